"""The phase diagram's announced time against the time it takes: the ratio taken / estimated on a few
sweeps of 0.1–10 s, with the interval the estimate announces (ESTIMATE_FACTOR). A ratio outside
[1/ESTIMATE_FACTOR, ESTIMATE_FACTOR] on a quiet machine means the probes no longer predict the rows.
Run: python benchmarks/bench_sweep_estimate.py
"""

import re
import time

from boundcalc.verification.sweeps import ESTIMATE_FACTOR, phase_diagram

SWEEPS = [dict(n=20, m=10, d=5, ks=(10, 20, 40, 80), alphas=(0.1, 1.0), trials=4, iterations=6000, loss_tol=1e-30),
          dict(n=20, m=10, d=3, ks=(50, 100, 200), alphas=(0.0, 1.0), trials=4, iterations=20000),
          dict(n=30, m=15, d=5, ks=(100, 400), alphas=(0.0, 100.0, 300.0), trials=5, iterations=5000),
          dict(n=50, m=25, d=10, ks=(10, 100), alphas=(0.0, 100.0, 300.0), trials=10, iterations=3000)]


def main() -> None:
    print(f"interval announced: estimate / {ESTIMATE_FACTOR:g} to estimate × {ESTIMATE_FACTOR:g}")
    print(f"{'sweep':<5} {'first line':>10} {'estimate':>9} {'taken':>7} {'ratio':>6}")
    for i, spec in enumerate(SWEEPS):
        said: list[tuple[float, str]] = []
        t0 = time.perf_counter()
        phase_diagram(**spec, progress=False,
                      announce=lambda s, t0=t0, said=said: said.append((time.perf_counter() - t0, s)))
        taken = time.perf_counter() - t0 - said[-1][0]
        est = re.search(r"about (\S+) (s|min|h) ", said[-1][1])
        seconds = float(est.group(1)) * {"s": 1, "min": 60, "h": 3600}[est.group(2)]
        print(f"{i:<5} {said[0][0]:9.2f}s {seconds:8.0f}s {taken:6.1f}s {taken / max(seconds, 0.5):6.2f}")


if __name__ == "__main__":
    main()
