"""Batched vs per-trial IGAHD throughput at the phase-diagram sizes (issue: verification harness).

n = 50, m = 25, d = 10, 100 trials, k in {10, 100, 1000, 10000}; both routes run the same
iterations on the same instances in this run and the ratio is printed (target ≥ 5× where the
per-call overhead dominates, i.e. small k). Run: python benchmarks/bench_dynamics.py [iterations]
"""

import sys
import time

import numpy as np

from boundcalc.dynamics import DIPObjective, as_trials, igahd_dip, igahd_dip_batched
from boundcalc.linalg.operators import gaussian
from boundcalc.nets.two_layer import TwoLayerDIP


def main():
    iters = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    n, m, d, T = 50, 25, 10, 100
    print(f"{'k':>6}{'per-trial s':>14}{'batched s':>12}{'ratio':>8}   (T = {T} trials x {iters} iterations)")
    for k in (10, 100, 1000, 10000):
        nets = [TwoLayerDIP(n, d, k, "tanh", seed=i) for i in range(T)]
        As = [gaussian(m, n, seed=1000 + i) for i in range(T)]
        ys = [A @ np.ones(n) / np.sqrt(n) for A in As]
        t0 = time.perf_counter()
        ref = [igahd_dip(DIPObjective(net, A, y), alpha=1.0, beta=0.05, step=0.05, iterations=iters,
                         record_every=iters).loss[-1] for net, A, y in zip(nets, As, ys, strict=True)]
        t_loop = time.perf_counter() - t0
        arrays = as_trials(nets, As, ys)
        t0 = time.perf_counter()
        batch = igahd_dip_batched(*arrays, activation="tanh", alpha=1.0, beta=0.05, step=0.05, iterations=iters)
        t_batch = time.perf_counter() - t0
        err = np.max(np.abs(batch.final_loss - ref) / np.abs(ref))
        print(f"{k:>6}{t_loop:>14.3f}{t_batch:>12.3f}{t_loop / t_batch:>8.1f}   (max rel. diff {err:.1e})")


if __name__ == "__main__":
    main()
