"""Landweber's own stopping rules (issue 34 §3), measured: on 32×32 deblurring at 0.5×, 1× and 2× the talk's
σ over 10 seeds, the dB each rule loses against the exact PSNR-optimal iterate (all in closed form from the blur's
spectrum: :func:`~boundcalc.verification.stopping_comparison.landweber_oracle` and ``landweber_rules``).
Step γ = 0.1 (γ = 1, the report's, puts the best iterate at ℓ ≈ 3 and hides the differences).
Run: python benchmarks/bench_landweber_rules.py [step]
"""

import sys

import numpy as np

from boundcalc.problems import TALK_NOISE_STD, deblurring_problem
from boundcalc.verification.stopping_comparison import landweber_oracle, landweber_rules

RULES = ("gcv", "upre", "discrepancy", "x_risk")


def main() -> None:
    step = float(sys.argv[1]) if len(sys.argv) > 1 else 0.1
    print(f"Landweber, step {step}, 32×32 deblurring, 10 seeds; dB lost against the best iterate "
          "(median / 90th percentile / worst; never: rule did not fire)")
    print(f"{'noise':<7}{'best ℓ':>8}  " + "  ".join(f"{r:>22}" for r in RULES))
    for factor in (0.5, 1.0, 2.0):
        sigma = factor * TALK_NOISE_STD["deblurring"]
        lost = {r: [] for r in RULES}
        best_its = []
        for seed in range(10):
            prob = deblurring_problem((32, 32), noise_std=sigma, seed=seed)
            best, p_best, p = landweber_oracle(prob, step=step, iterations=3000)
            found = landweber_rules(prob, sigma, step=step, iterations=3000)
            best_its.append(best)
            for r in RULES:
                lost[r].append(np.nan if found[r] is None else p_best - p[found[r]])
        cells = []
        for r in RULES:
            v = np.asarray(lost[r])
            cells.append(f"{np.nanmedian(v):5.2f} / {np.nanpercentile(v, 90):5.2f} / {np.nanmax(v):5.2f}"
                         + (f" ({int(np.isnan(v).sum())} never)" if np.isnan(v).any() else ""))
        print(f"{factor:<7g}{np.median(best_its):>8.0f}  " + "  ".join(f"{c:>22}" for c in cells))


if __name__ == "__main__":
    main()
