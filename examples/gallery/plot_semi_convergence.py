"""
Early stopping on a blurred image
=================================

Deblurring with the talk's noise (ε ~ N(0, 50²) on 8-bit levels): the two-layer DIP started near
x(0) = 0 recovers first what the blur keeps, then fits the noise where the blur is nearly zero. The
PSNR rises and falls; the theorem's T_ES cannot certify anything here (κ(A) ≈ 10¹⁰), and the report
says so with the numbers.
"""

import matplotlib.pyplot as plt

import boundcalc as bc
from boundcalc.verification.experiments import early_stopping_experiment, early_stopping_sentences

problem = bc.deblurring_problem((16, 16), blur_sigma=1.0, seed=0)
runs = early_stopping_experiment(problem, k=64, d=4, iterations=150)
for run in runs:
    for sentence in early_stopping_sentences(run):
        print(sentence)

fig, axes = plt.subplots(1, 4, figsize=(10, 2.8))
gd = runs[1]
titles = ("x̄", f"x(best), ℓ = {gd.best_iteration}", f"x(end), ℓ = {gd.end_iteration}")
for ax, key, title in zip(axes[:3], ("x_bar", "best", "end"), titles, strict=True):
    ax.imshow(gd.images[key], cmap="gray", vmin=0, vmax=1)
    ax.set_title(title, fontsize=9)
    ax.axis("off")
axes[3].semilogx(gd.iteration[1:], gd.psnr[1:], label="PSNR x(ℓ)")
axes[3].axhline(gd.psnr_y, ls=":", label="PSNR y")
axes[3].set_xlabel("iteration ℓ (GD)")
axes[3].legend(fontsize=7)
fig.tight_layout()
