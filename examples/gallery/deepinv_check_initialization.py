"""
deepinv users: is my DIP's initialization non-degenerate?
=========================================================

deepinv's physics and networks go straight in: :func:`boundcalc.from_deepinv` turns a ``BlurFFT`` into an
operator with its exact spectrum (from the filter), :class:`boundcalc.TorchGenerator` wraps deepinv's
``ConvDecoder`` with its fixed input u, and :func:`boundcalc.check_initialization` runs the test of THEORY §3
on them: a certified bracket of σ₀ = σ_min(J_g(θ₀)) (Golub–Kahan on Jacobian-vector products, never the full
Jacobian), and R′ < R, which needs a Lipschitz bound of the Jacobian that a general network does not supply:
the verdict then says "cannot decide" and names the bound R′ asks for.

This page runs where deepinv is installed (``pip install "boundcalc[deepinv]"``, see the README) and is shown
without its output otherwise.
"""

import deepinv as dinv
import numpy as np
import torch

import boundcalc as bc

size = 16
physics = dinv.physics.BlurFFT(img_size=(1, size, size), filter=dinv.physics.blur.gaussian_blur(sigma=(1.0, 1.0)))
A = bc.from_deepinv(physics, adjoint_rtol=1e-5)  # deepinv computes parts of BlurFFT in float32
print(bc.spectrum(A))

model = dinv.models.ConvDecoder(img_size=(1, size, size), in_size=(4, 4), layers=3, channels=8)
u = torch.randn((1, 8, 4, 4), generator=torch.Generator().manual_seed(0))
generator = bc.TorchGenerator(model, u)

rng = np.random.default_rng(0)
x_bar = rng.uniform(0.0, 1.0, A.shape[1])
y = A @ x_bar + 0.01 * rng.standard_normal(A.shape[0])
check = bc.check_initialization(A, y, generator)
print(check)
