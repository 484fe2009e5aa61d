"""The DIP that users train (optional: needs PyTorch): a convolutional generator (or the two-layer net, or the
user's own module) trained in torch on the talk's imaging problems by IGAHD, GD or Adam, with PSNR(y), the
best and the last iterate, and — on request — the theorem's mechanism measured along the run
(:mod:`boundcalc.verification.mechanism`). ``boundcalc dip`` is a thin layer over :func:`run_dip`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._core import Result, positive_int
from ..problems import Problem, builtin_problem
from .experiments import psnr

__all__ = ["DipResult", "run_dip", "NETS", "DIP_DEFAULTS", "stable_beta", "optimizer_settings"]

#: The generators ``run_dip`` builds: the convolutional DIP, or the two-layer net of the report's imaging runs.
NETS = ("conv", "two-layer")
#: Defaults: deepinv's DIP practice (Adam, lr 1e-2) and the talk's IGAHD (α = 1, β = 0.05, made stable below).
DIP_DEFAULTS = {"iterations": 1500, "lr": 1e-2, "alpha": 1.0, "beta": 0.05, "channels": 32, "depth": 3,
                "activation": "softplus", "norm": "batch"}


def stable_beta(beta: float, step: float) -> float:
    """β for IGAHD form ode on a network: min(β, √s/2). The explicit scheme applies β√s·∇²L to the gradient
    difference; with s = 1/λ that term's curvature is β√s·λ = β/√s, which must stay below about one half for
    the iteration not to blow up (measured: β = 0.05 diverged at the first steps on the 64×64 ConvDecoder,
    where √s = 2.6e-3)."""
    return float(min(beta, 0.5 * np.sqrt(step)))


def optimizer_settings(gen: Any, A: Any, optimizer: str, *, step: float | None = None,
                       alpha: float = DIP_DEFAULTS["alpha"], beta: float = DIP_DEFAULTS["beta"]) -> dict[str, Any]:
    """The keyword arguments of :func:`~boundcalc.dynamics.torch_training.train_torch` for ``optimizer`` on a
    network: s = ``step`` or 1/λ (λ = ‖A J(θ₀)‖², power iteration) for IGAHD and GD, and for IGAHD form ode with
    α = ``alpha`` and β = :func:`stable_beta` (``beta``, s). Adam needs none (its ``lr`` is passed apart)."""
    from ..dynamics.torch_training import gradient_lipschitz_estimate
    if optimizer not in ("igahd", "gd"):
        return {}
    s = step if step is not None else 1.0 / gradient_lipschitz_estimate(gen, A)
    kw: dict[str, Any] = {"step": s}
    if optimizer == "igahd":
        kw.update(alpha=alpha, beta=stable_beta(beta, s), form="ode")
    return kw


@dataclass(frozen=True, repr=False)
class DipResult(Result):
    """PSNR(y), the best iterate (iteration and PSNR), the last, for one DIP run; ``trajectory`` the recorded
    run; ``mechanism`` the measured mechanism (or None); ``psnr`` PSNR(ℓ) at the recorded iterations."""

    problem: str
    size: tuple
    net: str
    optimizer: str
    parameters: int
    psnr_y: float | None
    best_psnr: float
    best_iteration: int
    end_psnr: float
    end_iteration: int
    iterations: np.ndarray
    psnr: np.ndarray
    settings: dict
    mechanism: Any = None
    trajectory: Any = field(default=None, repr=False)

    def __repr__(self) -> str:
        y = f"PSNR(y) {self.psnr_y:.2f} dB, " if self.psnr_y is not None else ""
        mech = f"; mechanism: {self.mechanism.verdict}" if self.mechanism is not None else ""
        return (f"DipResult({self.problem} {self.size[0]}x{self.size[1]}, {self.net} net (p = {self.parameters}), "
                f"{self.optimizer}: {y}best {self.best_psnr:.2f} dB at ℓ = {self.best_iteration}, end "
                f"{self.end_psnr:.2f} dB at ℓ = {self.end_iteration}{mech})")

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.pop("trajectory")
        d["mechanism"] = None if self.mechanism is None else self.mechanism.to_dict()
        return d


def _check_device(device: str | None) -> str:
    """``device`` as torch names it ("cpu", "cuda", "cuda:1"); "cuda" without PyTorch's GPU is refused here, by
    name, before any network is built (ValueError)."""
    from ..linalg.backend import resolve_backend
    resolve_backend(device)
    return "cpu" if device is None else str(device)


def _network(problem: Problem, net: str, seed: int, options: dict[str, Any], module: Any = None,
             device: str | None = None) -> Any:
    import torch

    from ..nets.conv import conv_decoder
    from ..nets.torch import TorchGenerator, TwoLayerModule
    if module is not None:
        return TorchGenerator(*module, device=device)
    if net == "conv":
        shape = tuple(problem.info["image_shape"])
        return TorchGenerator(*conv_decoder(shape, channels=options["channels"], depth=options["depth"],
                                            activation=options["activation"], norm=options["norm"], seed=seed,
                                            dtype=torch.float64), device=device)
    if net == "two-layer":  # the report's imaging network: V(0) scaled down, so x(0) ≈ 0 (docs/THEORY_NOTES.md)
        from ..nets.two_layer import TwoLayerDIP
        from .experiments import IMAGING_RUN
        two = TwoLayerDIP(problem.n, IMAGING_RUN["d"], IMAGING_RUN["k"], "tanh", seed=seed,
                          v_scale=IMAGING_RUN["v_scale"])
        return TorchGenerator(TwoLayerModule(two), two.u, device=device)
    raise ValueError(f"net must be one of {NETS}, got {net!r}")


def run_dip(problem: str | Problem = "deblurring", *, size: tuple[int, int] = (64, 64), net: str = "conv",
            optimizer: str = "adam", iterations: int = DIP_DEFAULTS["iterations"], seed: int = 0,
            net_seed: int = 0, lr: float = DIP_DEFAULTS["lr"], step: float | None = None,
            alpha: float = DIP_DEFAULTS["alpha"], beta: float = DIP_DEFAULTS["beta"],
            channels: int = DIP_DEFAULTS["channels"], depth: int = DIP_DEFAULTS["depth"],
            activation: str = DIP_DEFAULTS["activation"], norm: str = DIP_DEFAULTS["norm"],
            module: tuple[Any, Any] | None = None, mechanism_checkpoints: int = 0, record_every: int = 1,
            rules: Any = (), progress: bool = False, device: str | None = None) -> DipResult:
    """Train a DIP on a built-in imaging problem (or ``problem`` itself) in torch and read its PSNR curve.

    Parameters
    ----------
    problem : "deblurring", "normal-integration" or Problem
        The talk's problems at ``size`` with the talk's noise (problem seed ``seed``).
    net : {"conv", "two-layer"}
        :func:`~boundcalc.nets.conv.conv_decoder` (``channels``, ``depth``, ``activation``, ``norm``; seed
        ``net_seed``) or the report's two-layer imaging network; ``module`` = (torch module, u) replaces both.
    optimizer : {"adam", "igahd", "gd"}
        Adam (``lr``), IGAHD form ode (``alpha``, β = :func:`stable_beta` (``beta``, s)) or GD; ``step`` s
        defaults to 1/λ with λ = ‖A J(θ₀)‖² estimated by power iteration.
    mechanism_checkpoints : int
        When > 0, measure the theorem's mechanism at that many log-spaced checkpoints (and θ₀).
    device : {"cpu", "cuda"} or torch's "cuda:N", optional
        Where the network trains (default: the CPU, or ``module``'s own device). The figures are float64 on
        either; a GPU's reductions sum in another order, so they agree with the CPU's to rounding, not bit for
        bit.

    Returns
    -------
    DipResult

    Examples
    --------
    >>> r = run_dip("deblurring", size=(16, 16), channels=4, depth=2, iterations=30)
    >>> r.best_iteration <= r.end_iteration == 30
    True
    """
    from ..dynamics.torch_training import log_checkpoints, train_torch
    from ..nets.conv import CONV_ACTIVATIONS, NORMS
    if net not in NETS:
        raise ValueError(f"net must be one of {NETS}, got {net!r}")
    if activation not in CONV_ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(CONV_ACTIVATIONS)}, got {activation!r}")
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    iterations = positive_int(iterations, "iterations")
    mechanism_checkpoints = positive_int(mechanism_checkpoints, "mechanism_checkpoints", minimum=0)
    if device is not None:
        device = _check_device(device)
    if isinstance(problem, str):
        if problem not in ("deblurring", "normal-integration"):
            raise ValueError(f"problem must be 'deblurring' or 'normal-integration', got {problem!r}")
        prob = builtin_problem(problem, size=size, seed=seed)
    else:
        prob = problem
    if "image_shape" not in prob.info and module is None and net == "conv":
        raise ValueError("problem: the convolutional net needs an imaging problem (info['image_shape'])")
    gen = _network(prob, net, net_seed, {"channels": channels, "depth": depth, "activation": activation,
                                         "norm": norm}, module, device)
    if gen.n != prob.n:
        raise ValueError(f"module: the network's output has {gen.n} entries, the problem's x has {prob.n}")
    kw = optimizer_settings(gen, prob.A, optimizer, step=step, alpha=alpha, beta=beta)
    modulo = "kernel" in prob.info
    keep = log_checkpoints(iterations, mechanism_checkpoints) if mechanism_checkpoints else None
    traj = train_torch(gen, prob.A, prob.y, optimizer=optimizer, iterations=iterations, lr=lr,
                       x_bar=prob.x_bar, record_every=record_every, keep_theta=keep, rules=rules,
                       progress=progress, modulo_constants=modulo, **kw)
    p = psnr(traj.x_dist, prob.x_bar)
    best = int(np.nanargmax(p))
    psnr_y = None if prob.m != prob.n else float(psnr([np.linalg.norm(prob.y - prob.x_bar)], prob.x_bar)[0])
    mech = None
    if mechanism_checkpoints:
        from .mechanism import mechanism
        mech = mechanism(gen, prob, traj, progress=progress)
    shape = tuple(prob.info.get("image_shape", (prob.n, 1)))
    return DipResult(prob.name, shape, "user module" if module is not None else net, optimizer, gen.p, psnr_y,
                     float(p[best]), int(traj.iteration[best]), float(p[-1]), int(traj.iteration[-1]),
                     traj.iteration, p, {**traj.params, "net_seed": net_seed, "problem_seed": seed,
                                         "channels": channels if net == "conv" else None,
                                         "depth": depth if net == "conv" else None,
                                         "activation": activation if net == "conv" else None,
                                         "norm": norm if net == "conv" else None, "modulo_constants": modulo},
                     mech, traj)
