"""
Is a random initialization non-degenerate?
==========================================

THEORY §3: the ISEHD guarantees need σ₀ = σ_min(J_g(θ₀)) > 0 and R′ < R. boundcalc computes σ₀ from
the Gram identity of §2 (an n×n problem, never the n×p Jacobian) and R from the derived
Jacobian-Lipschitz bound, then reports each hypothesis with its status.
"""

import matplotlib.pyplot as plt
import numpy as np

import boundcalc as bc

problem = bc.default_problem()  # the report's 2×2 Gaussian instance
net = bc.TwoLayerDIP(n=problem.n, d=2, k=100_000, activation="tanh", seed=0)
check = bc.check_initialization(problem.A, problem.y, net)
print(check.verdict, f"R′ = {check.R_prime:.4g} < R = {check.R:.4g}")
for h in check.hypotheses:
    print(f"  {h.name}: {h.status}")

# %%
# The same test over 20 network seeds at several widths: how often is a random draw certified?
widths = [20_000, 50_000, 100_000]
rates = [bc.initialization_pass_rate(lambda s, k=k: (problem.A, problem.y, bc.TwoLayerDIP(2, 2, k, seed=s)),
                                     range(20), what=f"k = {k}") for k in widths]
fig, ax = plt.subplots(figsize=(5, 3))
ax.errorbar(widths, [r.rate for r in rates], yerr=np.array([[r.rate - r.ci[0], r.ci[1] - r.rate] for r in rates]).T,
            fmt="o-", capsize=3)
ax.set_xscale("log")
ax.set_xticks(widths, [f"{k // 1000}k" for k in widths])  # three labels, apart (they ran together)
ax.minorticks_off()
ax.set_xlabel("width k")
ax.set_ylabel("P(non-degenerate), Wilson 95%")
ax.set_ylim(0, 1)
fig.tight_layout()
