"""The training objective L(θ) = ½‖A g(u, θ) − y‖² on a backend: the full two-layer state
(the reference), any other generator, and :func:`make_objective`, which picks the full or the
exact reduced state (:mod:`boundcalc.dynamics.reduced`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..linalg.backend import Backend, dot, namespace, norm, resolve_backend, to_numpy
from ..linalg.operators import as_operator
from ..nets.two_layer import TwoLayerDIP
from .reduced import ObjectiveBase, ReducedDIPObjective

__all__ = ["DIPObjective", "GeneratorObjective", "ReducedDIPObjective", "make_objective", "STATES"]


class DIPObjective(ObjectiveBase):
    """L(θ) = ½‖A g(u, θ) − y‖² for a :class:`TwoLayerDIP`, with the metrics the claims need.

    Parameters
    ----------
    net : TwoLayerDIP
    A : operator, m×n
    y : (m,) array
    x_bar : (n,) array, optional
        True signal, for ‖x(t) − x̄‖ and ȳ = A x̄.
    train : {"all", "V"}
        Train both layers, or only V (the linear regime of THEORY.md §9.4).
    backend : Backend, optional
        Where the state lives (:mod:`boundcalc.linalg.backend`; default NumPy on the CPU).
    """

    state_name = "full"

    def __init__(self, net: TwoLayerDIP, A: Any, y: Any, *, x_bar: Any = None, train: str = "all",
                 backend: Backend | None = None):
        self._setup(net, A, y, x_bar, train, backend)

    def start(self) -> Any:
        """The initial state: θ₀ itself."""
        return self.backend.asarray(self.net.theta0) if self.backend.xp is not np else self.net.theta0.copy()

    def theta(self, state: Any) -> np.ndarray:
        """The parameter vector of a state (the state itself), as NumPy."""
        return to_numpy(state)

    def forward(self, state: Any) -> Any:
        return self.net.forward(state)

    def dist(self, s1: Any, s2: Any) -> float:
        """‖θ₁ − θ₂‖."""
        return norm(s1 - s2)

    def value_and_grad(self, theta: Any) -> tuple[float, Any]:
        self.n_grad += 1
        L, g = self.net.loss_and_grad(theta, self.A, self.y)
        if self.train == "V":
            g[self.net.n * self.net.k:] = 0.0
        return L, g

    def grad(self, theta: Any) -> Any:
        return self.value_and_grad(theta)[1]

    def loss(self, theta: Any) -> float:
        return self.net.loss(theta, self.A, self.y)

    def metrics(self, theta: Any) -> tuple[float, float, float]:
        """(loss, ‖y(θ) − ȳ‖, ‖x(θ) − x̄‖), nan where ȳ or x̄ is unknown."""
        x = self.net.forward(theta)
        yt = self.A @ x
        if namespace(yt) is np:
            yt = np.asarray(yt).ravel()
        r = yt - self.y
        dy = norm(yt - self.y_clean) if self.y_clean is not None else float("nan")
        dx = norm(x - self.x_bar) if self.x_bar is not None else float("nan")
        return 0.5 * dot(r, r), dy, dx


class GeneratorObjective(DIPObjective):
    """L(θ) = ½‖A g(u, θ) − y‖² for any :class:`~boundcalc.nets.two_layer.Generator` (e.g. a
    :class:`boundcalc.nets.torch.TorchGenerator`): its ``loss_and_grad`` when it has one, else the
    forward map and one VJP, ∇L = J_gᵀ Aᵀ r. NumPy on the host; the generator does its own work."""

    def __init__(self, net: Any, A: Any, y: Any, *, x_bar: Any = None):
        super().__init__(net, A, y, x_bar=x_bar)

    def _residual(self, theta: Any) -> np.ndarray:
        return np.asarray(self.A @ self.net.forward(theta)).ravel() - self.y

    def value_and_grad(self, theta: Any) -> tuple[float, Any]:
        self.n_grad += 1
        if callable(getattr(self.net, "loss_and_grad", None)):
            return self.net.loss_and_grad(theta, self.A, self.y)
        r = self._residual(theta)
        return 0.5 * float(r @ r), np.asarray(self.net.vjp(theta, np.asarray(self.A.T @ r).ravel()))

    def loss(self, theta: Any) -> float:
        r = self._residual(theta)
        return 0.5 * float(r @ r)


STATES = ("auto", "full", "reduced")


def make_objective(net: TwoLayerDIP, A: Any, y: Any, *, x_bar: Any = None, train: str = "all",
                   state: str = "auto", device: str | None = None, xp: Any = None,
                   dtype: str = "float64") -> DIPObjective | ReducedDIPObjective:
    """The training objective of the two-layer DIP in full or reduced coordinates, on a backend.

    ``state="reduced"``: :class:`~boundcalc.dynamics.reduced.ReducedDIPObjective`, exact, k(m + 1) numbers per
    state; ``"full"``: θ itself, k(n + d) numbers (the reference); ``"auto"`` (default): reduced
    whenever it is the smaller state, m < n + d, except for a matrix-free A with m ≥ n (deblurring,
    gradients), where the reduced state's dense m×m Gram A Aᵀ costs more than applying A by its
    fast product in the full state (measured: 0.1 s against 10 ms per step at n = m = 1024).
    ``device`` ("cpu": NumPy, "cuda": PyTorch on the
    GPU), ``xp`` (any array-API namespace, e.g. ``array_api_strict``) and ``dtype`` ("float64" by
    default; "float32" on request) choose where the run's arrays live (:mod:`boundcalc.linalg.backend`).

    Examples
    --------
    >>> prob = bc.gaussian_problem(30, 3, seed=0)
    >>> obj = bc.make_objective(bc.TwoLayerDIP(3, 3, 200, seed=0), prob.A, prob.y)
    >>> theta0 = obj.start()
    >>> loss, grad = obj.value_and_grad(theta0)
    >>> bool(loss > 0), grad.shape == theta0.shape
    (True, True)
    """
    if state not in STATES:
        raise ValueError(f"state must be one of {STATES}, got {state!r}")
    if not isinstance(net, TwoLayerDIP):  # any other generator: full state, its own backend
        if state == "reduced" or train != "all":
            raise ValueError("the reduced state and train='V' exist for the two-layer DIP only")
        return GeneratorObjective(net, A, y, x_bar=x_bar)
    backend = resolve_backend(device, xp=xp, dtype=dtype)
    op = as_operator(A)
    m = op.shape[0]
    matrix_free_square = not isinstance(op, np.ndarray) and m >= net.n
    if state == "reduced" or (state == "auto" and m < net.n + net.d and not matrix_free_square):
        return ReducedDIPObjective(net, A, y, x_bar=x_bar, train=train, backend=backend)
    return DIPObjective(net, A, y, x_bar=x_bar, train=train, backend=backend)
