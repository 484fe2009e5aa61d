"""Activations φ with φ′, φ″ and the constant B of THEORY.md §1.

The theorems need φ ∈ C¹ with sup|φ′| ≤ B and φ′ B-Lipschitz; B is the larger of sup|φ′| and
Lip(φ′) = sup|φ″|. An activation without a Lipschitz derivative (ReLU) may be used to train,
but :func:`get_activation` with ``for_theorem=True`` refuses it with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._core import positive_float
from ..linalg.backend import namespace

__all__ = ["Activation", "get_activation", "custom_activation", "gaussian_moments", "ACTIVATIONS"]

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """An activation function and the constants the theorems use.

    Attributes
    ----------
    name : str
    phi, dphi, d2phi : callable
        φ, φ′ and φ″ (φ″ is ``None`` where it does not exist).
    sup_dphi : float
        sup ∣φ′∣.
    lip_dphi : float
        Lip(φ′) (``inf`` when φ′ is not Lipschitz).
    admissible : bool
        Whether the theorems' assumptions hold (φ ∈ C¹, φ′ Lipschitz).
    reason : str
        Why it is not admissible, when it is not.
    """

    name: str
    phi: Callable[[Array], Array]
    dphi: Callable[[Array], Array]
    d2phi: Callable[[Array], Array] | None
    sup_dphi: float
    lip_dphi: float
    admissible: bool = True
    reason: str = ""

    @property
    def B(self) -> float:
        """B = max(sup ∣φ′∣, Lip(φ′)) (THEORY.md §1)."""
        return max(self.sup_dphi, self.lip_dphi)

    def __repr__(self) -> str:
        return f"Activation({self.name!r}, B={self.B:g}{'' if self.admissible else ', not admissible'})"


# Written against the array API (NumPy, PyTorch, CuPy, array-api-strict arrays alike): the
# namespace comes from the argument (NumPy itself for NumPy input, without wrapper overhead).

def _tanh(x: Array) -> Array:
    return namespace(x).tanh(x)


def _sin(x: Array) -> Array:
    return namespace(x).sin(x)


def _cos(x: Array) -> Array:
    return namespace(x).cos(x)


def _neg_sin(x: Array) -> Array:
    return -namespace(x).sin(x)


def _sigmoid(x: Array) -> Array:
    return 0.5 * (1.0 + namespace(x).tanh(0.5 * x))  # overflow-free form of 1/(1 + e^{-x})


def _softplus(x: Array) -> Array:
    xp = namespace(x)
    return xp.logaddexp(xp.zeros_like(x), x)


def _tanh_d1(x: Array) -> Array:
    return 1.0 - namespace(x).tanh(x) ** 2


def _tanh_d2(x: Array) -> Array:
    t = namespace(x).tanh(x)
    return -2.0 * t * (1.0 - t**2)


def _sig_d1(x: Array) -> Array:
    s = _sigmoid(x)
    return s * (1.0 - s)


def _sig_d2(x: Array) -> Array:
    s = _sigmoid(x)
    return s * (1.0 - s) * (1.0 - 2.0 * s)


def _relu(x: Array) -> Array:
    xp = namespace(x)
    return xp.where(x > 0, x, xp.zeros_like(x))


def _relu_d1(x: Array) -> Array:
    xp = namespace(x)
    return xp.astype(x > 0, x.dtype)


# sup|φ″|: tanh″ peaks at |x| = artanh(1/√3): 4/(3√3); sigmoid″ at s = (3 ± √3)/6: 1/(6√3);
# softplus″ = sigmoid′ ≤ 1/4; sin″ = −sin ≤ 1.
ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation("tanh", _tanh, _tanh_d1, _tanh_d2, 1.0, 4 / (3 * np.sqrt(3))),
    "sigmoid": Activation("sigmoid", _sigmoid, _sig_d1, _sig_d2, 0.25, 1 / (6 * np.sqrt(3))),
    "softplus": Activation("softplus", _softplus, _sigmoid, _sig_d1, 1.0, 0.25),
    "sin": Activation("sin", _sin, _cos, _neg_sin, 1.0, 1.0),
    "relu": Activation("relu", _relu, _relu_d1, None,
                       1.0, float("inf"), admissible=False,
                       reason="ReLU has no Lipschitz derivative (φ′ jumps at 0), so the theorems' "
                              "assumption 'φ′ is B-Lipschitz' fails"),
}


def custom_activation(name: str, phi: Callable[[Array], Array], dphi: Callable[[Array], Array], B: float,
                      d2phi: Callable[[Array], Array] | None = None) -> Activation:
    """A user-defined activation with its certified constant B (sup ∣φ′∣ ≤ B and Lip(φ′) ≤ B).

    boundcalc cannot certify B for arbitrary code; the user's B is taken as given, spot-checked
    on a grid (a violated spot check raises), and recorded in every result.

    Examples
    --------
    >>> import numpy as np
    >>> act = bc.custom_activation('softsign', lambda z: z / (1 + np.abs(z)), lambda z: 1 / (1 + np.abs(z)) ** 2, B=2.0)
    >>> act.name, act.admissible, act.B
    ('softsign', True, 2.0)
    """
    B = positive_float(B, "B")
    if not (callable(phi) and callable(dphi)):
        raise TypeError("phi and dphi must be callables mapping arrays to arrays")
    grid = np.linspace(-10, 10, 2001)
    d = np.asarray(dphi(grid), dtype=float)
    if d.shape != grid.shape or not np.all(np.isfinite(d)):
        raise ValueError("dphi must return a finite array of the input's shape")
    if np.max(np.abs(d)) > B * (1 + 1e-9):
        raise ValueError(f"B = {B} is below sup|φ′| ≈ {np.max(np.abs(d)):.4g} on [-10, 10]")
    lip = np.max(np.abs(np.diff(d)) / np.diff(grid))
    if lip > B * (1 + 1e-6):
        raise ValueError(f"B = {B} is below the Lipschitz constant of φ′ ≈ {lip:.4g} on [-10, 10]")
    return Activation(name, phi, dphi, d2phi, B, B)


def get_activation(activation: str | Activation, *, for_theorem: bool = True) -> Activation:
    """Look up an activation by name (or pass one through).

    Raises
    ------
    ValueError
        For an unknown name, or, with ``for_theorem=True``, an activation that breaks the
        theorems' assumptions (the message gives the reason).

    Examples
    --------
    >>> bc.get_activation('tanh').B
    1.0
    >>> bc.get_activation('relu', for_theorem=False).admissible
    False
    """
    if isinstance(activation, Activation):
        act = activation
    elif isinstance(activation, str):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)} or an Activation, "
                             f"got {activation!r}")
        act = ACTIVATIONS[activation]
    else:
        raise TypeError(f"activation must be a name or an Activation, got {type(activation).__name__}")
    if for_theorem and not act.admissible:
        raise ValueError(f"activation {act.name!r} is not admissible for the theorems: {act.reason}")
    return act


def gaussian_moments(activation: str | Activation, order: int = 120) -> tuple[float, float]:
    """(C_φ, C_φ′) = (E φ(Z)², E φ′(Z)²), Z ~ N(0, 1), by Gauss–Hermite quadrature (THEORY.md §9.2)."""
    act = get_activation(activation, for_theorem=False)
    x, w = np.polynomial.hermite_e.hermegauss(order)
    w = w / np.sqrt(2 * np.pi)
    return float(w @ act.phi(x) ** 2), float(w @ act.dphi(x) ** 2)
