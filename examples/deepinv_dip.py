"""deepinv's DIP network on a deepinv blur: is the initialization non-degenerate, and what do the
claims say along an IGAHD run? Needs ``pip install "boundcalc[deepinv]"`` (see the README).

Run: python examples/deepinv_dip.py
"""

import numpy as np
import torch

import boundcalc as bc


def build(size: int = 16, seed: int = 0):
    """A 16×16 Gaussian blur (BlurFFT, float64), a ConvDecoder generator and its fixed input u."""
    import deepinv as dinv
    physics = dinv.physics.BlurFFT(img_size=(1, size, size), filter=dinv.physics.blur.gaussian_blur(sigma=(1.0, 1.0)))
    model = dinv.models.ConvDecoder(img_size=(1, size, size), in_size=(4, 4), layers=3, channels=8)
    u = torch.randn((1, 8, 4, 4), generator=torch.Generator().manual_seed(seed))
    return physics, model, u


def main() -> dict:
    physics, model, u = build()
    A = bc.from_deepinv(physics, adjoint_rtol=1e-5)  # deepinv computes in float32: its adjoint to 1e-5
    spec = bc.spectrum(A)
    gen = bc.TorchGenerator(model, u)
    rng = np.random.default_rng(0)
    x_bar = rng.uniform(0.0, 1.0, A.shape[1])
    y = A @ x_bar + 0.01 * rng.standard_normal(A.shape[0])
    problem = bc.make_problem(A, y, x_bar=x_bar, name="deepinv blur")
    check = bc.check_initialization(A, y, gen)
    run = bc.verify(problem, gen, dynamics="igahd", iterations=20, step=1e-4, alpha=1.0, beta=0.05)
    print(f"A: {spec.method} spectrum, σ_A = {spec.sigma_A:.3e}, κ(A) = {spec.kappa_A:.3e}")
    print(f"generator: n = {gen.n}, p = {gen.p}; σ_min(J_g(θ₀)) = {check.sigma_min_J:.3e}; verdict {check.verdict}")
    print(f"IGAHD: loss {run.trajectory.loss[0]:.4g} → {run.trajectory.loss[-1]:.4g}; "
          + ", ".join(f"{c.claim_id}: {c.status}" for c in run.claims))
    return {"spectrum": spec, "check": check, "run": run}


if __name__ == "__main__":
    main()
