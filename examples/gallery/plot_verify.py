"""
Every claim of the ISEHD theorem against a trajectory
=====================================================

On an instance where the hypotheses hold, ISEHD is integrated from θ₀ and each bound of THEORY §3–§5
is checked along the path: the loss envelope, the parameter ball, the parameter envelope, early
stopping and the x-space bound. ``violated`` would mean every hypothesis was verified and the
trajectory broke the bound.
"""

import matplotlib.pyplot as plt

import boundcalc as bc

problem = bc.default_problem()
net = bc.TwoLayerDIP(n=problem.n, d=2, k=100_000, seed=0)
result = bc.verify(problem, net, dynamics="isehd")
for claim in result.claims:
    print(f"{claim.label:>14}  {claim.claim_id}: {claim.statement}")

# %%
# The loss against its envelope ξL₀e^{−σ₀σ_A t/2}, in ISEHD's own time.
tr = result.trajectory
env = bc.envelopes(result.check, tr.t)
fig, ax = plt.subplots(figsize=(5, 3))
ax.semilogy(tr.t, tr.loss, label="ISEHD L(t)")
ax.semilogy(tr.t, env["loss_envelope"], "k--", label=r"$\xi L_0 e^{-\sigma_0\sigma_A t/2}$")
ax.set_ylim(1e-16, None)
ax.set_xlabel("ISEHD time t")
ax.legend()
fig.tight_layout()
