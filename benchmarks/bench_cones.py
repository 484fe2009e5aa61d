"""λ_min bracket over the ℓ1 descent cone, Gaussian A (m = n/2, s = n/10): time and relative gap of the
old route (lifted Shor + RLT, SCS at 1e-3) and the new ones (DNN coordinates; DNN + certificate polish
towards a 1e-3 gap; the size-n "zspace" certificate towards 1e-2 and 1e-3), in one run on this machine,
with the ratio of times to the old route.
Run: python benchmarks/bench_cones.py [n ...] [--only TEXT] [--ceiling]   (default 50 100 200; above 200 only
zspace runs, the SDP routes' estimated time is printed instead; --only keeps the routes whose name contains
TEXT; --ceiling adds, per n, the most the size-n relaxation can certify, from its dual solved by SCS at 1e-4:
no route of that relaxation can reach a gap below 1 − ceiling/upper. n = 500 takes about 13 minutes.)
"""

import sys
import time

import numpy as np

from boundcalc.theory.cones import L1DescentCone, certificate_size, restricted_min_singular_value
from boundcalc.theory.l1_certificate import solve_ceiling

ROUTES = {
    "old: shor-rlt": dict(route="shor-rlt", solver="SCS", fallback=None),
    "new: dnn": dict(route="dnn", solver="SCS", fallback=None),
    "new: dnn+polish": dict(route="dnn", solver="SCS", fallback=None, target_gap=1e-3, polish_seconds=120.0),
    "new: zspace 1e-2": dict(route="zspace", target_gap=1e-2, polish_seconds=120.0),
    "new: zspace 1e-3": dict(route="zspace", target_gap=1e-3, polish_seconds=120.0),
}


def instance(n):
    rng = np.random.default_rng(n)
    m, s = n // 2, max(1, n // 10)
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    x = np.zeros(n)
    x[:s] = rng.choice([-1.0, 1.0], s)
    return A, L1DescentCone(x)


def main():
    args = sys.argv[1:]
    only = args[args.index("--only") + 1] if "--only" in args else ""
    sizes = [int(a) for a in args if a.isdigit() and a != only] or [50, 100, 200]
    ceiling = "--ceiling" in args
    print(f"{'n':>5} {'route':<18}{'seconds':>9}{'×old':>7}{'lower':>12}{'upper':>12}{'rel. gap':>10}"
          "  certificate λ_min")
    for n in sizes:
        A, cone = instance(n)
        base, best_upper = None, np.inf
        for name, kw in ROUTES.items():
            if only not in name:
                continue
            if n > 200 and "zspace" not in name:
                dim, est, _ = certificate_size(cone, kw["route"])
                print(f"{n:>5} {name:<18}  skipped: SDP of size {dim}, SCS stage estimated {est / 60:.0f} min")
                continue
            t0 = time.perf_counter()
            r = restricted_min_singular_value(A, cone, **kw)
            dt = time.perf_counter() - t0
            base = dt if name.startswith("old") else base
            best_upper = min(best_upper, r.upper)
            ratio = f"{dt / base:>7.2f}" if base else f"{'—':>7}"
            print(f"{n:>5} {name:<18}{dt:>9.1f}{ratio}{r.lower:>12.6g}{r.upper:>12.6g}{r.gap:>10.1e}"
                  f"  {r.certificate_residual:.1e} ({r.route})", flush=True)
        if ceiling:
            if not np.isfinite(best_upper):
                best_upper = restricted_min_singular_value(A, cone, lower=False).upper
            t0 = time.perf_counter()
            c, status = solve_ceiling(A.T @ A, cone, "SCS", 1e-4)
            dt = time.perf_counter() - t0
            if c is None:
                print(f"{n:>5} {'ceiling (SCS 1e-4)':<18}{dt:>9.1f}  no ceiling: SCS {status}")
            else:
                print(f"{n:>5} {'ceiling (SCS 1e-4)':<18}{dt:>9.1f}{'':>7}{c:>12.6g}{best_upper:>12.6g}"
                      f"{max(0.0, 1 - c / best_upper):>10.1e}  the smallest gap this relaxation can certify",
                      flush=True)


if __name__ == "__main__":
    main()
