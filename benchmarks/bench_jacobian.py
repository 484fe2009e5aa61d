"""σ_min(J_g) by the Gram identity vs the SVD of the explicit Jacobian (issue: non-degeneracy check).

One run prints: n=256, k=1000 both routes and their ratio (target ≥ 500×); then the Gram route
alone at n=4096, k=10⁵ with its time and peak extra memory (target ≤ 60 s, ≤ 4 GB on 2 cores).
Run: python benchmarks/bench_jacobian.py [--skip-large]
"""

import sys
import time
import tracemalloc

import numpy as np

from boundcalc.generators import TwoLayerDIP


def main():
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
    net = TwoLayerDIP(4096, 16, 100_000, "tanh", seed=0)
    tracemalloc.start()
    t0 = time.perf_counter()
    js = net.jacobian_spectrum()
    t_big = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"n=4096 k=1e5  gram {t_big:.1f} s   peak extra memory {peak / 2**30:.2f} GiB   "
          f"(parameters alone {net.theta0.nbytes / 2**30:.2f} GiB)   σ_min={js.sigma_min:.6f}")


if __name__ == "__main__":
    main()
