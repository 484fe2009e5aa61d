"""σ_min(J_g) by the Gram identity vs the SVD of the explicit Jacobian, and Gram vs Lanczos.

One run prints: n=256, k=1000 Gram and explicit SVD and their ratio (target ≥ 500×); then, side by
side at n=1024, k=2·10⁴ and n=4096, k=10⁵, the Gram route and the certified Lanczos bracket
(relative σ width ≤ 1e-6; target ≤ 5 s at n = 4096 on 2 cores), their agreement and the Gram
route's peak extra memory. Run: python benchmarks/bench_jacobian.py [--skip-large]
"""

import sys
import time
import tracemalloc

import numpy as np

from boundcalc.nets.two_layer import TwoLayerDIP


def cnn_check_init():
    """check-init on the example CNN (examples/torch_cnn.py) with the 32×32 deblurring problem."""
    try:
        import torch
    except ImportError:
        print("example CNN: torch not installed, skipped")
        return
    from pathlib import Path

    from boundcalc.nets.torch import TorchGenerator, load_model_factory
    from boundcalc.problems import deblurring_problem
    from boundcalc.theory.bounds import check_initialization
    prob = deblurring_problem((32, 32), seed=0)
    for device in ("cpu",) + (("cuda",) if torch.cuda.is_available() else ()):
        example = Path(__file__).resolve().parents[1] / "examples" / "torch_cnn.py"
        module, u = load_model_factory(f"{example}:build")
        gen = TorchGenerator(module, u, device=device)
        t0 = time.perf_counter()
        res = check_initialization(prob.A, prob.y, gen)
        dt = time.perf_counter() - t0
        lo, hi = res.sigma_min_J, res.sigma_max_J
        print(f"example CNN (p = {gen.p}, n = {gen.n}) check-init on {device}: {dt:.2f} s, σ_min ≥ {lo:.3g}, "
              f"σ_max ≤ {hi:.4g}, verdict {res.verdict}")


def main():
    cnn_check_init()
    net = TwoLayerDIP(256, 16, 1000, "tanh", seed=0)
    t_gram = np.inf
    for _ in range(5):
        t0 = time.perf_counter()
        js = net.jacobian_spectrum()
        t_gram = min(t_gram, time.perf_counter() - t0)
    t0 = time.perf_counter()
    s = np.linalg.svd(net.jacobian(max_entries=1e8), compute_uv=False)
    t_svd = time.perf_counter() - t0
    print(f"n=256 k=1000  gram {t_gram:.4f} s   explicit-J SVD {t_svd:.3f} s   ratio {t_svd / t_gram:.0f}x"
          f"   |σ_min diff| {abs(js.sigma_min - s[255]) / s[255]:.1e} rel")
    if "--skip-large" in sys.argv:
        return
    for n, k in ((1024, 20_000), (4096, 100_000)):
        net = TwoLayerDIP(n, 16, k, "tanh", seed=0)
        tracemalloc.start()
        t0 = time.perf_counter()
        js = net.jacobian_spectrum(method="gram")
        t_gram = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        t0 = time.perf_counter()
        lz = net.jacobian_spectrum(method="lanczos", rtol=2e-6)
        t_lz = time.perf_counter() - t0
        lo, hi = lz.sigma_min_bracket
        inside = lo * (1 - 1e-12) <= js.sigma_min <= hi * (1 + 1e-12)
        print(f"n={n} k={k}  gram {t_gram:.2f} s (peak extra {peak / 2**30:.2f} GiB)   lanczos {t_lz:.2f} s   "
              f"ratio {t_gram / t_lz:.2f}x   σ_min {js.sigma_min:.10f} in [{lo:.10f}, {hi:.10f}]: {inside}   "
              f"width {(hi - lo) / js.sigma_min:.1e}")


if __name__ == "__main__":
    main()
