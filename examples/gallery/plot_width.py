"""
How wide must the network be?
=============================

THEORY §6 gives k ≳ n³ + nm² up to constants the talk does not state (boundcalc exposes them, default
1). Beside it, the *instance width*: the smallest width at which a seeded draw passes the §3 test,
with the pass probability of fresh draws there.
"""

import matplotlib.pyplot as plt

import boundcalc as bc

problem = bc.default_problem()
theorem = bc.required_width(problem.A, x_bar=problem.x_bar, noise_norm=problem.noise_norm)
instance = bc.instance_width(problem.A, problem.y, d=2, seed=0, trials=20)
print(f"k_theorem = {theorem.k_theorem:.3g} (c₁ = c₂ = C = 1), scaling n³ + nm² = {theorem.k_scaling:g}")
print(f"k_instance = {instance.k_instance} (the seeded draw passes), pass probability there "
      f"{instance.pass_probability:.2f} [{instance.ci[0]:.2f}, {instance.ci[1]:.2f}]")
print(f"the theorem asks {theorem.k_theorem / instance.k_instance:.3g}× the instance width")

# %%
# The three widths on one axis: the theorem's formula, its scaling law and what a draw needs here.
fig, ax = plt.subplots(figsize=(5.4, 2.6), layout="constrained")
names = ["k_theorem (c = 1)", "n³ + nm²", "k_instance"]
values = [theorem.k_theorem, theorem.k_scaling, instance.k_instance]
ax.barh(names, values, color=["C3", "C1", "C0"])
ax.set_xscale("log")
ax.set_xlabel("width k (log scale)")
for y, v in enumerate(values):
    ax.text(v, y, f" {v:.3g}", va="center", fontsize=8)
