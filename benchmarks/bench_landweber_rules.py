"""Landweber's own stopping rules (issue 34 §3), measured: on 32×32 deblurring at 0.5×, 1× and 2× the talk's
σ over 10 seeds, the dB each rule loses against the exact PSNR-optimal iterate (all in closed form from the blur's
spectrum: :func:`~boundcalc.verification.stopping_comparison.landweber_oracle` and ``landweber_rules``).
Step γ = 0.1 (γ = 1, the report's, puts the best iterate at ℓ ≈ 3 and hides the differences).

Also a rule from the theory's rate (issue 34 §3): T_ES^GF of THEORY §4, ln(‖y(0) − y‖/‖ε‖)/μ, with the certified
μ = σ₀²σ_A²/4 replaced by the rate the residual measured over its first W iterations, μ̂ = ln(r₀/r_W)/W per
iteration, and ‖ε‖ = σ√m ("rate W"; it cannot stop before W, when the rate is known). With the average rate
up to ℓ instead of W, the stop is exactly the discrepancy principle: ℓ ≥ ln(r₀/‖ε‖)/μ̂_ℓ ⇔ r_ℓ ≤ ‖ε‖.
Run: python benchmarks/bench_landweber_rules.py [step]
"""

import sys

import numpy as np

from boundcalc.formulas import evaluate
from boundcalc.problems import TALK_NOISE_STD, deblurring_problem
from boundcalc.verification.stopping_comparison import landweber_oracle, landweber_rules

RULES = ("gcv", "upre", "discrepancy", "x_risk", "rate W=10", "rate W=30")


def rate_rule(residual: np.ndarray, noise_norm: float, window: int) -> int | None:
    """T_ES^GF (THEORY §4) in iterations with the rate measured over the first ``window`` iterations in place of
    the certified μ: the formula's σ₀ = 2√μ̂ with σ_A = 1, since μ = σ₀²σ_A²/4."""
    mu = np.log(residual[0] / residual[window]) / window
    if not mu > 0:
        return None
    t = evaluate("T_ES_gf", {"sigma0": 2 * np.sqrt(mu), "sigma_A": 1.0, "r0": residual[0],
                             "noise_norm": noise_norm})
    # the rate is known only at ℓ = W: a stop it predicts before then happens at W
    return max(window, int(np.ceil(t))) if np.isfinite(t) and t < len(residual) else None


def main() -> None:
    step = float(sys.argv[1]) if len(sys.argv) > 1 else 0.1
    print(f"Landweber, step {step}, 32×32 deblurring, 10 seeds; dB lost against the best iterate "
          "(median / 90th percentile / worst; never: rule did not fire)")
    print(f"{'noise':<7}{'best ℓ':>8}  " + "  ".join(f"{r:>22}" for r in RULES))
    stops = {r: [] for r in ("discrepancy", "rate W=10", "rate W=30")}
    for factor in (0.5, 1.0, 2.0):
        sigma = factor * TALK_NOISE_STD["deblurring"]
        lost = {r: [] for r in RULES}
        best_its = []
        for seed in range(10):
            prob = deblurring_problem((32, 32), noise_std=sigma, seed=seed)
            best, p_best, p = landweber_oracle(prob, step=step, iterations=3000)
            found = landweber_rules(prob, sigma, step=step, iterations=3000)
            for w in (10, 30):
                found[f"rate W={w}"] = rate_rule(found["residual"], sigma * np.sqrt(prob.m), w)
            best_its.append(best)
            for r in stops:
                stops[r].append(found[r])
            for r in RULES:
                lost[r].append(np.nan if found[r] is None else p_best - p[found[r]])
        cells = []
        for r in RULES:
            v = np.asarray(lost[r])
            cells.append(f"{np.nanmedian(v):5.2f} / {np.nanpercentile(v, 90):5.2f} / {np.nanmax(v):5.2f}"
                         + (f" ({int(np.isnan(v).sum())} never)" if np.isnan(v).any() else ""))
        print(f"{factor:<7g}{np.median(best_its):>8.0f}  " + "  ".join(f"{c:>22}" for c in cells))
        print("        median stop ℓ: " + ", ".join(f"{r} {np.median([v for v in stops[r] if v is not None]):.0f}"
                                                  for r in stops))
        stops = {r: [] for r in stops}


if __name__ == "__main__":
    main()
