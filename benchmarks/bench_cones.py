"""λ_min bracket for the ℓ1 descent cone with Gaussian A, n in {20, 50, 100, 200}, m = n/2, s = n/10,
Clarabel vs SCS (accuracy 1e-3, re-certified): time and relative gap of each, in one run
(target: n = 100 in ≤ 10 s). Clarabel is run up to n = 50 only.
Run: python benchmarks/bench_cones.py [max_n]
"""

import sys
import time

import numpy as np

from boundcalc.theory.cones import L1DescentCone, restricted_min_singular_value


def main():
    max_n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    print(f"{'n':>5}{'solver':>10}{'seconds':>10}{'lower':>12}{'upper':>12}{'rel. gap':>10}  status")
    for n in (20, 50, 100, 200):
        if n > max_n:
            break
        rng = np.random.default_rng(n)
        m, s = n // 2, max(1, n // 10)
        A = rng.standard_normal((m, n)) / np.sqrt(m)
        x = np.zeros(n)
        x[:s] = rng.choice([-1.0, 1.0], s)
        for solver in ("SCS", "CLARABEL"):
            if solver == "CLARABEL" and n > 50:
                continue  # its dense KKT system: 91 s at n = 50 already (n = 100 would take many minutes)
            t0 = time.perf_counter()
            r = restricted_min_singular_value(A, L1DescentCone(x), solver=solver, fallback=None)
            dt = time.perf_counter() - t0
            print(f"{n:>5}{solver:>10}{dt:>10.2f}{r.lower:>12.4g}{r.upper:>12.4g}{r.gap:>10.2e}  {r.status}")


if __name__ == "__main__":
    main()
