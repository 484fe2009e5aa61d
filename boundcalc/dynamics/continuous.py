"""Continuous-time dynamics (THEORY §4, §7): ISEHD in its Hessian-free first-order form, its
second-order form (for tests), and gradient flow, integrated with ``scipy.integrate.solve_ivp``
from θ(0) = θ₀ with zero velocity."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.integrate import solve_ivp

from .._core import one_blas_thread, positive_float, positive_int
from ..io.memory import float_bytes, require_memory
from ..linalg.backend import to_numpy
from .objectives import DIPObjective
from .trajectory import Recorder, Trajectory

__all__ = ["isehd", "isehd_second_order", "gradient_flow"]


def _integrate(obj: DIPObjective, rhs: Callable, y0: np.ndarray, p: int, t_max: float, n_eval: int,
               rtol: float, atol: float, keep_theta: bool, method: str, params: dict) -> Trajectory:
    t_max = positive_float(t_max, "t_max")
    n_eval = positive_int(n_eval, "n_eval", minimum=2)
    t_eval = np.linspace(0.0, t_max, n_eval)
    # solve_ivp keeps the state at every t_eval, and DOP853 about 16 state-sized work vectors.
    require_memory(float_bytes((n_eval + 16) * y0.size), f"{method}: {n_eval} recorded states of "
                   f"{y0.size} entries")
    sol = solve_ivp(rhs, (0.0, t_max), y0, method="DOP853", t_eval=t_eval, rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"{method}: solve_ivp failed ({sol.message}); no trajectory is reported")
    rec = Recorder(obj, obj.as_state(y0[:p].copy()), keep_theta, n_eval)
    for i, t in enumerate(sol.t):
        rec(i, float(t), obj.as_state(sol.y[:p, i]), float("nan"))
    params = {**params, "t_max": t_max, "rtol": rtol, "atol": atol, "integrator": "DOP853", "nfev": int(sol.nfev)}
    return rec.result(method, params, sol.y[:p, -1], "ok")


@one_blas_thread
def isehd(obj: DIPObjective, *, alpha: float, beta: float, t_max: float, n_eval: int = 200,
          rtol: float = 1e-9, atol: float = 1e-12, keep_theta: int = 0) -> Trajectory:
    """ISEHD θ̈ + αθ̇ + β(d/dt)∇L(θ) + ∇L(θ) = 0, θ(0) = θ₀, θ̇(0) = 0, integrated in the
    Hessian-free first-order form of THEORY.md §7 (β > 0):
    z = θ̇ + β∇L(θ); θ̇ = z − β∇L(θ); ż = −αz + (αβ − 1)∇L(θ); z(0) = β∇L(θ₀).

    DOP853 with ``rtol``/``atol``; :func:`isehd_second_order` integrates the same ODE in its
    second-order form with Hessian-vector products, which the tests compare against.

    Accuracy: an adaptive integrator guarantees its tolerance, not rounding. Two integrations of the
    same flow (full vs reduced coordinates, whose step sizes differ) agree to about ``rtol``·growth:
    5.7e-9 relative in the loss at the default rtol = 1e-9 (measured; the tests hold them to 50·rtol),
    1e-12 at rtol = 1e-12. The discrete methods agree to rounding (1e-14).

    Examples
    --------
    >>> prob = bc.gaussian_problem(30, 3, seed=0)
    >>> obj = bc.make_objective(bc.TwoLayerDIP(3, 3, 200, seed=0), prob.A, prob.y)
    >>> tr = bc.isehd(obj, alpha=1.0, beta=0.1, t_max=5.0, n_eval=50)
    >>> bool(tr.loss[-1] < tr.loss[0]), float(tr.t[-1])
    (True, 5.0)
    """
    alpha = positive_float(alpha, "alpha")
    beta = positive_float(beta, "beta")
    theta0 = to_numpy(obj.start())
    p = theta0.size

    def grad(th):  # solve_ivp works on the host: the gradient runs on the objective's backend
        return to_numpy(obj.grad(obj.as_state(th)))

    def rhs(_t, state):
        g = grad(state[:p])
        z = state[p:]
        return np.concatenate([z - beta * g, -alpha * z + (alpha * beta - 1) * g])

    y0 = np.concatenate([theta0, beta * grad(theta0)])
    return _integrate(obj, rhs, y0, p, t_max, n_eval, rtol, atol, keep_theta, "isehd",
                      {"alpha": alpha, "beta": beta})


def isehd_second_order(obj: DIPObjective, *, alpha: float, beta: float, t_max: float, n_eval: int = 50,
                       rtol: float = 1e-9, atol: float = 1e-12, fd_step: float = 1e-6) -> Trajectory:
    """ISEHD integrated directly as θ̇ = v, v̇ = −αv − β∇²L(θ)v − ∇L(θ), the Hessian-vector
    product by central differences of the gradient (a reference for tests, not for production)."""
    theta0 = obj.start()
    p = theta0.size

    def rhs(_t, state):
        th, v = state[:p], state[p:]
        nv = np.linalg.norm(v)
        hv = (obj.grad(th + fd_step * v / nv) - obj.grad(th - fd_step * v / nv)) * (nv / (2 * fd_step)) \
            if nv > 0 else np.zeros(p)
        return np.concatenate([v, -alpha * v - beta * hv - obj.grad(th)])

    y0 = np.concatenate([theta0, np.zeros(p)])
    return _integrate(obj, rhs, y0, p, t_max, n_eval, rtol, atol, False, "isehd-second-order",
                      {"alpha": alpha, "beta": beta})


@one_blas_thread
def gradient_flow(obj: DIPObjective, *, t_max: float, n_eval: int = 200, rtol: float = 1e-9,
                  atol: float = 1e-12, keep_theta: int = 0) -> Trajectory:
    """Gradient flow θ̇ = −∇L(θ) (THEORY.md §4), DOP853.

    Examples
    --------
    >>> prob = bc.gaussian_problem(30, 3, seed=0)
    >>> obj = bc.make_objective(bc.TwoLayerDIP(3, 3, 200, seed=0), prob.A, prob.y)
    >>> tr = bc.gradient_flow(obj, t_max=5.0, n_eval=50)
    >>> bool(tr.loss[-1] < tr.loss[0]), float(tr.t[-1])
    (True, 5.0)
    """
    theta0 = to_numpy(obj.start())
    return _integrate(obj, lambda _t, th: -to_numpy(obj.grad(obj.as_state(th))), theta0, theta0.size, t_max,
                      n_eval, rtol, atol,
                      keep_theta, "gf", {})
