"""Reduced vs full state: IGAHD time per iteration, side by side in one run (issue: scale).

Sizes: the phase-diagram instance n = 50, m = 25, d = 10 (Gaussian A) and a deblurring-like
n = m = 1024 (a 32×32 periodic Gaussian blur, matrix-free), k in {10², 10³, 10⁴}. Both states run
the same iterations from the same θ₀; the final losses are compared. Target: ≥ 1.8× at m = n/2,
k ≥ 10³. Then the phase diagram: the reduced grid (4 widths × 4 α, 8 trials, 15000 iterations) is
timed and the talk's full grid (10 × 10, 20 trials) extrapolated from it.

Run: python benchmarks/bench_reduced.py [iterations]
"""

import sys
import time

import numpy as np

from boundcalc.dynamics import igahd_dip, make_objective
from boundcalc.linalg.operators import Convolution2D
from boundcalc.nets.two_layer import TwoLayerDIP
from boundcalc.problems import gaussian_problem, make_problem
from boundcalc.verification.sweeps import phase_diagram


def per_iteration(obj, iters, repeats=3):
    """Best of ``repeats`` runs (the machine's other load only ever slows a run down)."""
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        run = igahd_dip(obj, alpha=1.0, beta=0.05, step=0.01, iterations=iters, record_every=iters)
        best = min(best, time.perf_counter() - t0)
    return best / iters, run.loss[-1]


def blur_problem(side=32, sigma=1.5):
    r = np.arange(-4, 5)
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma**2))
    A = Convolution2D(g / g.sum(), (side, side))
    x = np.random.default_rng(0).standard_normal(side * side)
    return make_problem(A, A @ x, x_bar=x)


def main():
    iters = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    print(f"IGAHD (form ode) seconds per iteration, {iters} iterations each")
    print(f"{'problem':<28}{'k':>7}{'full s/it':>12}{'reduced s/it':>14}{'ratio':>8}{'rel. diff':>11}")
    cases = [("gaussian n=50 m=25 d=10", gaussian_problem(25, 50, seed=0), 10),
             ("blur n=m=1024 d=10", blur_problem(), 10)]
    for name, prob, d in cases:
        for k in ((1000, 20000, 100000) if name.startswith("gaussian") else (1000, 10000)):
            net = TwoLayerDIP(prob.n, d, k, seed=0)
            tf, lf = per_iteration(make_objective(net, prob.A, prob.y, state="full"), iters)
            tr, lr = per_iteration(make_objective(net, prob.A, prob.y, state="reduced"), iters)
            print(f"{name:<28}{k:>7}{tf:>12.4g}{tr:>14.4g}{tf / tr:>8.2f}{abs(lf - lr) / lf:>11.1e}")
    kw = {"n": 50, "m": 25, "d": 10, "ks": (10, 100, 1000, 3000), "alphas": (0.1, 1.0, 10.0, 30.0),
          "iterations": 15000, "trials": 8, "loss_tol": 1e-6, "step": 1e-3, "progress": False}
    t0 = time.perf_counter()
    res = phase_diagram(**kw)
    dt = time.perf_counter() - t0
    # The full grid has 10 widths x 10 α x 20 trials: the work per width grows ~linearly in k.
    work_small = sum(kw["ks"]) * len(kw["alphas"]) * kw["trials"]
    full_ks = np.unique(np.geomspace(10, 3000, 10).astype(int))
    work_full = full_ks.sum() * 10 * 20
    print(f"\nphase diagram 4 x 4 x 8 trials x 15000 it.: {dt:.1f} s on this machine "
          f"(IGAHD success\n{res.igahd})")
    print(f"full grid 10 x 10 x 20 trials (k = {full_ks.tolist()}): about {dt * work_full / work_small:.0f} s "
          f"extrapolated (work ∝ Σk · #α · trials)")


if __name__ == "__main__":
    main()
