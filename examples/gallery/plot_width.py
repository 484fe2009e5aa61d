"""
How wide must the network be?
=============================

THEORY §6 gives k ≳ n³ + nm² up to constants the talk does not state (boundcalc exposes them, default
1). Beside it, the *instance width*: the smallest width at which a seeded draw passes the §3 test,
with the pass probability of fresh draws there.
"""

import boundcalc as bc

problem = bc.default_problem()
theorem = bc.required_width(problem.A, x_bar=problem.x_bar, noise_norm=problem.noise_norm)
instance = bc.instance_width(problem.A, problem.y, d=2, seed=0, trials=20)
print(f"k_theorem = {theorem.k_theorem:.3g} (c₁ = c₂ = C = 1), scaling n³ + nm² = {theorem.k_scaling:g}")
print(f"k_instance = {instance.k_instance} (the seeded draw passes), pass probability there "
      f"{instance.pass_probability:.2f} [{instance.ci[0]:.2f}, {instance.ci[1]:.2f}]")
print(f"the theorem asks {theorem.k_theorem / instance.k_instance:.3g}× the instance width")
