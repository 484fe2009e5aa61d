"""Exact reduced-state training of the two-layer DIP (docs/numerics.md "Dynamics").

Every gradient of L(θ) = ½‖A V φ(Wu)/√k − y‖² moves V by Aᵀ(r aᵀ)/√k and W by (c ⊙ φ′(Wu)) uᵀ/√k,
and every method here (IGAHD in both forms, GD, ISEHD, GF) starts with zero velocity and moves
along linear combinations of gradients. Hence, exactly,

    V(t) = V₀ + Aᵀ Z(t),  Z ∈ R^{m×k};      W(t) = W₀ + b(t) uᵀ,  b ∈ R^k.

With P₀ = A V₀ (m×k), K = A Aᵀ (m×m) and h₀ = W₀u precomputed, one loss-and-gradient costs O(mk)
and needs neither V₀ nor W₀:

    h = h₀ + ‖u‖² b,  a = φ(h),  A x = (P₀ a + K Z a)/√k,  r = A x − y,
    G_Z = r aᵀ/√k,  G_b = φ′(h) ⊙ (P₀ᵀ r + Zᵀ K r)/√k,

where (G_Z, G_b) represent ∇L exactly: ∇_V L = Aᵀ G_Z, ∇_W L = G_b uᵀ. Distances in θ are
‖θ₁ − θ₂‖² = tr(ΔZᵀ K ΔZ) + ‖u‖²‖Δb‖². The state has k(m + 1) numbers instead of k(n + d); it pays
when m < n + d, the compressed-sensing and deblurring-like regimes (for m > n the full state is
smaller, and :func:`boundcalc.dynamics.objectives.make_objective`'s ``state="auto"`` keeps it).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._core import as_finite_array
from ..io.memory import float_bytes, require_memory
from ..linalg.backend import Backend, dot, matrix_transpose, namespace, norm, problem_arrays, to_numpy
from ..linalg.operators import as_operator
from ..nets.two_layer import TwoLayerDIP

__all__ = ["ReducedDIPObjective", "objective_inputs", "ObjectiveBase", "reduced_residual",
           "reduced_loss_grad"]


def reduced_residual(Z: Any, a: Any, P0: Any, K: Any, y: Any, sk: float) -> Any:
    """r = (P₀a + K Z a)/√k − y, for one trial (Z m×k, a k) or a stack (leading trial axis)."""
    ac = a[..., None]
    return (P0 @ ac + K @ (Z @ ac))[..., 0] * sk - y


def reduced_loss_grad(Z: Any, h: Any, P0: Any, K: Any, y: Any, sk: float, act: Any, *, train_W: bool = True,
                      gz_out: np.ndarray | None = None) -> tuple[Any, Any, Any]:
    """The one source of the reduced formulas (module docstring): (L, G_Z, G_b) with L = ½‖r‖²,
    G_Z = r aᵀ/√k, G_b = φ′(h) ⊙ (P₀ᵀ r + Zᵀ K r)/√k — for one trial or a stack of trials
    (:func:`boundcalc.dynamics.discrete.igahd_dip_batched`); L is an array over the trial axis. ``gz_out``
    (NumPy) receives G_Z in place, saving a pass over an m×k array per step."""
    xp = namespace(Z)
    a = act.phi(h)
    r = reduced_residual(Z, a, P0, K, y, sk)
    if gz_out is not None:
        GZ = np.multiply(r[..., :, None], (a * sk)[..., None, :], out=gz_out)
    else:
        GZ = r[..., :, None] * (a * sk)[..., None, :]
    rc = r[..., None]
    if not train_W:
        return 0.5 * xp.sum(r * r, axis=-1), GZ, xp.zeros_like(h)
    Gb = act.dphi(h) * (matrix_transpose(P0) @ rc + matrix_transpose(Z) @ (K @ rc))[..., 0] * sk
    return 0.5 * xp.sum(r * r, axis=-1), GZ, Gb


class ObjectiveBase:
    """What the full and reduced objectives share: validated inputs held in a backend."""

    def _setup(self, net: Any, A: Any, y: Any, x_bar: Any, train: str, backend: Backend | None):
        A, y, x_bar = objective_inputs(net, A, y, x_bar, train)
        self.net, self.train, self.n_grad = net, train, 0
        self.backend = backend or Backend()
        self.A, self.y, self.y_clean, self.x_bar = problem_arrays(self.backend, A, y, x_bar)
        return A

    def as_state(self, x: Any) -> Any:
        """``x`` (e.g. a NumPy state from solve_ivp) in this objective's backend."""
        return self.backend.asarray(x) if self.backend.xp is not np else x


def objective_inputs(net: Any, A: Any, y: Any, x_bar: Any, train: str) -> tuple[Any, np.ndarray, np.ndarray | None]:
    """(A, y, x̄) of a training objective, validated: A an operator whose columns match the
    generator's output, y of A's rows, x̄ of its columns, ``train`` in {"all", "V"}."""
    A = as_operator(A)
    m, n = A.shape
    if net.n != n:
        raise ValueError(f"net: output size n = {net.n} must equal the columns of A, {n}")
    if train not in ("all", "V"):
        raise ValueError(f"train must be 'all' or 'V', got {train!r}")
    y = as_finite_array(y, "y", ndim=1, shape=(m,))
    x_bar = None if x_bar is None else as_finite_array(x_bar, "x_bar", ndim=1, shape=(n,))
    return A, y, x_bar


class ReducedDIPObjective(ObjectiveBase):
    """L as a function of the reduced state ζ = (vec Z, b) ∈ R^{k(m+1)}, ζ = 0 at θ₀.

    Same interface as :class:`boundcalc.dynamics.objectives.DIPObjective` (``start``, ``value_and_grad``,
    ``metrics``, ``dist``, ``theta``), so every integrator runs on either; ``theta(ζ)`` rebuilds
    the full θ on demand (O(nmk)), ``forward(ζ)`` the signal x (O(nk + nmk)).
    """

    state_name = "reduced"

    def __init__(self, net: TwoLayerDIP, A: Any, y: Any, *, x_bar: Any = None, train: str = "all",
                 backend: Backend | None = None):
        m, k = as_operator(A).shape[0], net.k
        require_memory(float_bytes(4 * m * k, m * m), f"the reduced state (m = {m}, k = {k})")
        self._setup(net, A, y, x_bar, train, backend)
        self.m = m
        V0, W0 = net.unpack()
        self.V0 = self.as_state(V0)
        self.P0 = self._apply_A(self.V0)                       # A V₀, m×k
        self.K = self._gram()                                  # A Aᵀ, m×m
        self.h0 = self.as_state(W0 @ net.u)
        self.uu = net.norm_u**2
        self.sk = 1.0 / math.sqrt(k)
        self.size = k * (m + 1)

    def _apply_A(self, X: Any) -> Any:
        return np.asarray(self.A @ X) if self.backend.xp is np else self.A @ X

    def _apply_At(self, X: Any) -> Any:
        if self.backend.xp is not np:
            return self.A.T @ X
        At = self.A.T if hasattr(self.A, "T") else self.A.transpose()
        return np.asarray(At @ X)

    def _gram(self) -> Any:
        if self.backend.xp is not np or isinstance(self.A, np.ndarray):
            return self.A @ self.A.T
        # A Aᵀ from products with the adjoint, never densifying A itself.
        return np.asarray(self.A @ self._apply_At(np.eye(self.m)))

    # ----------------------------------------------------------------- state layout
    def split(self, state: Any) -> tuple[Any, Any]:
        """Views (Z, b) of a state vector."""
        mk = self.m * self.net.k
        return namespace(state).reshape(state[:mk], (self.m, self.net.k)), state[mk:]

    def start(self) -> Any:
        """ζ₀ = 0 (θ = θ₀)."""
        return self.backend.xp.zeros(self.size, dtype=self.backend.dtype, **(
            {"device": self.backend.device} if self.backend.device is not None else {}))

    # ----------------------------------------------------------------- maps
    def _hidden(self, state):
        Z, b = self.split(state)
        h = self.h0 + self.uu * b
        return Z, h, self.net.activation.phi(h)

    def value_and_grad(self, state: Any) -> tuple[float, Any]:
        """L and the gradient representation (G_Z, G_b) flattened like the state."""
        self.n_grad += 1
        xp = namespace(state)
        Z, b = self.split(state)
        out = np.empty(self.size) if xp is np else None
        L, GZ, Gb = reduced_loss_grad(Z, self.h0 + self.uu * b, self.P0, self.K, self.y, self.sk,
                                      self.net.activation, train_W=self.train == "all",
                                      gz_out=None if out is None else self.split(out)[0])
        if out is None:
            return float(L), xp.concat([xp.reshape(GZ, (-1,)), Gb])
        out[self.m * self.net.k:] = Gb  # G_Z is already in place
        return float(L), out

    def grad(self, state: Any) -> Any:
        return self.value_and_grad(state)[1]

    def forward(self, state: Any) -> Any:
        """x = V a/√k = (V₀ a + Aᵀ Z a)/√k."""
        Z, _, a = self._hidden(state)
        Ata = self._apply_At(Z @ a)
        if namespace(Ata) is np:
            Ata = Ata.ravel()
        return (self.V0 @ a + Ata) * self.sk

    def metrics(self, state: Any) -> tuple[float, float, float]:
        """(loss, ‖y(θ) − ȳ‖, ‖x(θ) − x̄‖), nan where ȳ or x̄ is unknown; x only when x̄ is known."""
        Z, _, a = self._hidden(state)
        r = reduced_residual(Z, a, self.P0, self.K, self.y, self.sk)
        dy = norm(r + self.y - self.y_clean) if self.y_clean is not None else float("nan")
        dx = norm(self.forward(state) - self.x_bar) if self.x_bar is not None else float("nan")
        return 0.5 * dot(r, r), dy, dx

    def dist(self, s1: Any, s2: Any) -> float:
        """‖θ(s1) − θ(s2)‖ = √(tr(ΔZᵀKΔZ) + ‖u‖²‖Δb‖²)."""
        dZ, db = self.split(s1 - s2)
        xp = namespace(dZ)
        return math.sqrt(max(float(xp.sum(dZ * (self.K @ dZ))), 0.0) + self.uu * dot(db, db))

    def theta(self, state: Any) -> np.ndarray:
        """The full parameter vector θ = (V₀ + AᵀZ, W₀ + b uᵀ) of a state (O(nmk)), as NumPy."""
        Z, b = self.split(self.as_state(state))
        V0, W0 = self.net.unpack()
        return self.net.pack(V0 + to_numpy(self._apply_At(Z)), W0 + np.outer(to_numpy(b), self.net.u))
