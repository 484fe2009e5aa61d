"""
Early stopping on a blurred image
=================================

Deblurring with the talk's noise (ε ~ N(0, 50²) on 8-bit levels) by the DIP users train: a convolutional
generator (:func:`boundcalc.conv_decoder`) fitted by Adam. The PSNR rises, peaks, then falls as the network
fits the noise. ES-WMV (:class:`boundcalc.stopping.ESWMV`), an online rule that needs neither x̄ nor σ,
reads the run as it goes and picks an iterate near the peak.
"""

# %%
# Train, with the rule reading every iterate
# ------------------------------------------
import textwrap

import matplotlib.pyplot as plt

import boundcalc as bc

rule = bc.stopping.ESWMV(window=50, patience=200)
res = bc.run_dip("deblurring", size=(32, 32), channels=16, depth=3, iterations=1000, rules=[rule])
print(textwrap.fill(repr(res), 88))
print(textwrap.fill(f"ES-WMV: {rule}", 88))

# %%
# PSNR along the run, the best iterate and the rule's choice
# -----------------------------------------------------------
# The best iterate needs x̄ (an oracle a user does not have); ES-WMV needs only the outputs.
fig, ax = plt.subplots(figsize=(6.4, 3.2), layout="constrained")
ax.semilogx(res.trajectory.iteration[1:], res.psnr[1:], label="PSNR x(ℓ)")
ax.axhline(res.psnr_y, ls=":", color="0.4", label=f"PSNR y = {res.psnr_y:.1f} dB")
ax.axvline(res.best_iteration, color="C2", ls="--", label=f"best ℓ = {res.best_iteration}")
if rule.stop_iteration is not None:
    ax.axvline(rule.stop_iteration, color="C3", ls="-.", label=f"ES-WMV ℓ = {rule.stop_iteration}")
ax.set_xlabel("iteration ℓ (Adam, learning rate 1e-2)")
ax.set_ylabel("PSNR (dB)")
ax.legend(fontsize=8, loc="lower left")

# %%
# The images
# ----------
problem = bc.deblurring_problem((32, 32), seed=0)
shown = [("x̄", problem.x_bar), ("y", problem.y)]
if rule.x_stop is not None:
    shown.append((f"x at ES-WMV's ℓ = {rule.stop_iteration}", rule.x_stop))
fig, axes = plt.subplots(1, len(shown), figsize=(2.6 * len(shown), 2.8), layout="constrained")
for ax, (title, image) in zip(axes, shown, strict=True):
    ax.imshow(image.reshape(32, 32), cmap="gray", vmin=0, vmax=1)
    ax.set_title(title, fontsize=9)
    ax.axis("off")
