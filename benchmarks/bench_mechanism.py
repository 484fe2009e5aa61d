"""One certified σ_min(J) bracket of a convolutional DIP at 64×64 (issue 33: a checkpoint of the mechanism must
cost ≤ 60 s here): the dense route (jacrev, then J Jᵀ's certified eigenpairs), the same J by its SVD (the
previous dense route), and Golub–Kahan on Jacobian-vector products (never forms J), side by side.
Run: python benchmarks/bench_mechanism.py [channels] [golub-kahan: 1 to include it]
"""

import sys
import time

import numpy as np
import scipy.linalg
import torch

import boundcalc as bc
from boundcalc.verification.mechanism import _gram_bracket, jacobian_bracket


def main() -> None:
    channels = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    with_gk = len(sys.argv) > 2 and sys.argv[2] == "1"
    net = bc.TorchGenerator(*bc.conv_decoder((64, 64), channels=channels, depth=3, seed=0))
    print(f"conv_decoder 64×64, {channels} channels: n = {net.n}, p = {net.p}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    t0 = time.perf_counter()
    J = torch.func.jacrev(net._g)(net._theta(None)).detach().numpy()
    t_jac = time.perf_counter() - t0
    t0 = time.perf_counter()
    gram = _gram_bracket(J, 1e-3)
    t_gram = time.perf_counter() - t0
    t0 = time.perf_counter()
    sv = scipy.linalg.svdvals(J)
    t_svd = time.perf_counter() - t0
    print(f"jacrev (n VJPs): {t_jac:.1f} s")
    print(f"dense, J Jᵀ certified eigenpairs: {t_jac + t_gram:.1f} s in all ({t_gram:.1f} s after J); "
          f"σ_min ∈ [{gram.sigma_min_bracket[0]:.9g}, {gram.sigma_min_bracket[1]:.9g}]" if gram else
          "dense, J Jᵀ: unresolved (the SVD route takes over)")
    print(f"dense, SVD of J: {t_jac + t_svd:.1f} s in all ({t_svd:.1f} s after J); σ_min = {sv[net.n - 1]:.9g}")
    t0 = time.perf_counter()
    auto = jacobian_bracket(net)
    print(f"route auto, as mechanism() calls it: {time.perf_counter() - t0:.1f} s ({auto.method[:40]}…)")
    if with_gk:
        t0 = time.perf_counter()
        gk = jacobian_bracket(net, route="golub-kahan")
        print(f"golub-kahan (matrix-free): {time.perf_counter() - t0:.1f} s, σ_min ∈ "
              f"[{gk.sigma_min_bracket[0]:.9g}, {gk.sigma_min_bracket[1]:.9g}]")
    assert np.isfinite(sv).all()


if __name__ == "__main__":
    main()
