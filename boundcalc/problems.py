"""Inverse problems y = A x̄ + ε (THEORY.md §1), built-in or from user arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._core import Result, as_finite_array, as_rng, positive_float, positive_int
from .operators import as_operator, gaussian

__all__ = ["Problem", "gaussian_problem", "default_problem", "make_problem", "DEFAULT_PROBLEM", "DEFAULT_NETWORK"]


@dataclass(frozen=True, repr=False)
class Problem(Result):
    """An instance y = A x̄ + ε.

    ``x_bar`` and ``noise`` are ``None`` for user data where only A and y are known; the
    quantities that need them (‖ε‖, SNR, ‖x(t) − x̄‖) then say ``not_applicable``.
    """

    A: Any
    y: np.ndarray
    x_bar: np.ndarray | None = None
    noise: np.ndarray | None = None
    name: str = "user"
    seed: int | None = None
    info: dict = field(default_factory=dict)

    @property
    def m(self) -> int:
        return int(self.A.shape[0])

    @property
    def n(self) -> int:
        return int(self.A.shape[1])

    @property
    def noise_norm(self) -> float | None:
        """‖ε‖ when the noise is known."""
        return None if self.noise is None else float(np.linalg.norm(self.noise))

    @property
    def y_clean(self) -> np.ndarray | None:
        """ȳ = A x̄ when x̄ is known."""
        return None if self.x_bar is None else np.asarray(self.A @ self.x_bar).ravel()

    @property
    def snr(self) -> float | None:
        """‖A x̄‖/‖ε‖ (THEORY.md §6's default definition); ``inf`` for noiseless data."""
        if self.x_bar is None or self.noise is None:
            return None
        nn = self.noise_norm
        return float(np.linalg.norm(self.y_clean) / nn) if nn > 0 else float("inf")

    def to_dict(self) -> dict[str, Any]:
        # The operator itself is not serialised (it may be huge or matrix-free); its shape is.
        return {"name": self.name, "m": self.m, "n": self.n, "seed": self.seed,
                "noise_norm": self.noise_norm, "snr": self.snr, "info": dict(self.info)}


def make_problem(A: Any, y: Any, x_bar: Any = None, noise: Any = None, name: str = "user") -> Problem:
    """Validate a user problem (shapes, finiteness) and wrap it in a :class:`Problem`."""
    A = as_operator(A)
    m, n = A.shape
    y = as_finite_array(y, "y", ndim=1, shape=(m,))
    if x_bar is not None:
        x_bar = as_finite_array(x_bar, "x_bar", ndim=1, shape=(n,))
    if noise is not None:
        noise = as_finite_array(noise, "noise", ndim=1, shape=(m,))
    return Problem(A=A, y=y, x_bar=x_bar, noise=noise, name=name)


def gaussian_problem(m: int, n: int, *, noise_norm: float = 0.01, signal_norm: float = 1.0,
                     seed: int = 0) -> Problem:
    """Compressed sensing: A with iid N(0, 1/m) entries, x̄ uniform on the sphere of radius
    ``signal_norm``, and ε uniform on the sphere of radius ``noise_norm``. One seed fixes all
    three draws (the signal's direction does not depend on its norm)."""
    m = positive_int(m, "m")
    n = positive_int(n, "n")
    noise_norm = positive_float(noise_norm, "noise_norm", allow_zero=True)
    signal_norm = positive_float(signal_norm, "signal_norm")
    rng = as_rng(seed)
    A = gaussian(m, n, rng)
    x_bar = rng.standard_normal(n)
    x_bar *= signal_norm / np.linalg.norm(x_bar)
    eps = rng.standard_normal(m)
    eps *= noise_norm / np.linalg.norm(eps)
    return Problem(A=A, y=A @ x_bar + eps, x_bar=x_bar, noise=eps, name="gaussian",
                   seed=seed if isinstance(seed, int) else None,
                   info={"operator": "iid N(0, 1/m)", "signal": f"uniform on the sphere of radius {signal_norm}",
                         "noise": f"uniform on the sphere of radius {noise_norm}"})


#: Parameters of the built-in default problem used by ``boundcalc report``. The theorem's
#: constants are pessimistic: a random initialization is certified non-degenerate only for tiny
#: n at widths k ~ 10⁵, and only when A is well conditioned (κ(A) ≈ 2) and y ∈ Im(A). This
#: 2×2 draw (seed 6: σ_A = 1.06, κ(A) = 1.95) is such a case, chosen so that every claim can be
#: checked; most 2×2 Gaussian draws are too ill-conditioned (see the width section of the report).
DEFAULT_PROBLEM = {"m": 2, "n": 2, "noise_norm": 0.01, "seed": 6}

#: Network of the default report: TwoLayerDIP(n, d, k, activation, v_init, seed).
DEFAULT_NETWORK = {"d": 2, "k": 100_000, "activation": "tanh", "v_init": "rademacher", "seed": 0}


def default_problem() -> Problem:
    """The built-in default problem of ``boundcalc report`` (:data:`DEFAULT_PROBLEM`)."""
    return gaussian_problem(**DEFAULT_PROBLEM)
