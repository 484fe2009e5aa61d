"""Discrete-time dynamics (THEORY §4, §7): IGAHD for DIP in both forms ('ode', 'slide'), with
constant or backtracking steps, gradient descent, the non-convex IGAHD on any gradient, and the
batched reduced-state solver of the phase diagram.

Iteration ℓ maps to time t_ℓ = Σ_{i<ℓ} h_i (h = √s for IGAHD, h = γ for GD), so iterations
can be set against the continuous-time bounds."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._core import Result, one_blas_thread, positive_float, positive_int
from ..formulas import FORMULAS, evaluate_many
from ..io.memory import float_bytes, require_memory
from ..linalg.backend import asarray, copy, dot, matrix_transpose, namespace, resolve_backend, to_numpy
from ..nets.activations import get_activation
from ..nets.two_layer import TwoLayerDIP
from .objectives import DIPObjective
from .reduced import reduced_loss_grad
from .trajectory import Recorder, Trajectory

__all__ = ["igahd_dip", "igahd", "gradient_descent", "igahd_dip_batched", "BatchResult", "as_trials",
           "FORMS", "check_form", "dip_coefficients"]


def _check_common(iterations: int, record_every: int) -> tuple[int, int]:
    return positive_int(iterations, "iterations", minimum=0), positive_int(record_every, "record_every")


@one_blas_thread
def igahd_dip(obj: DIPObjective, *, alpha: float, beta: float, step: float, iterations: int,
              form: str = "ode", backtracking: bool = False, rho: float = 0.5, delta: float = 0.9,
              record_every: int = 1, keep_theta: int = 0, theta0: np.ndarray | None = None,
              loss_tol: float | None = None, keep_x: bool = False) -> Trajectory:
    """IGAHD for DIP training (THEORY.md §7), in one of the talk's two forms:

        η_ℓ = θ_ℓ + a_ℓ(θ_ℓ − θ_{ℓ−1}) − b_ℓ(∇L(θ_ℓ) − ∇L(θ_{ℓ−1})),  θ_{ℓ+1} = η_ℓ − s_ℓ∇L(θ_ℓ),

    - ``form="ode"`` (default; talk "DIP training with inertia"): a_ℓ = 1 − α√s_ℓ, b_ℓ = β√s_ℓ,
      the explicit discretization of ISEHD with h = √s_ℓ;
    - ``form="slide"`` (the slide before the phase diagram, transcribed literally): a_ℓ = αs_ℓ,
      b_ℓ = βs_ℓ²; α = 0 is gradient descent; **not** a discretization of ISEHD (THEORY.md §10.1).

    The coefficients come from formulas.py (``igahd_dip_momentum_<form>``, ``igahd_dip_hessian_<form>``).
    With ``backtracking=True`` the step never increases and shrinks (s ← ρs) until the descent
    inequality L(θ_{ℓ+1}) ≤ L(θ_ℓ) + ⟨∇L(θ_ℓ), θ_{ℓ+1} − θ_ℓ⟩ + (L_ℓ/2)‖θ_{ℓ+1} − θ_ℓ‖² holds with
    L_ℓ = δα/(β + √s_ℓ/2), the largest L_ℓ allowed by β + √s_ℓ/2 ≤ δα/L_ℓ (THEORY.md §7, derived).

    Time t_ℓ = Σ_{i<ℓ} √s_i (the ISEHD time of form "ode"). Stops early once the loss is ≤ ``loss_tol``.

    Examples
    --------
    >>> prob = bc.gaussian_problem(30, 3, seed=0)
    >>> obj = bc.make_objective(bc.TwoLayerDIP(3, 3, 200, seed=0), prob.A, prob.y)
    >>> tr = bc.igahd_dip(obj, alpha=1.0, beta=0.05, step=0.01, iterations=200)
    >>> bool(tr.loss[-1] < tr.loss[0])
    True
    """
    alpha = positive_float(alpha, "alpha", allow_zero=True)
    beta = positive_float(beta, "beta", allow_zero=True)
    s = positive_float(step, "step")
    iterations, record_every = _check_common(iterations, record_every)
    check_form(form)
    if backtracking and alpha == 0:
        raise ValueError("alpha must be > 0 with backtracking (its rule is β + √s/2 ≤ δα/L)")
    theta = copy(obj.start() if theta0 is None else obj.as_state(theta0))
    start = copy(theta)
    rec = Recorder(obj, start, keep_theta, iterations // record_every + 2, keep_x)
    L, g = obj.value_and_grad(theta)
    prev, g_prev = copy(theta), copy(g)
    in_place = namespace(theta) is np
    new, work = (np.empty_like(theta), np.empty_like(theta)) if in_place else (None, None)
    t, status = 0.0, "max_iterations"
    rec(0, t, theta, s)
    coef_s, (mom, hess) = s, dip_coefficients(alpha, beta, s, form)
    for it in range(1, iterations + 1):
        while True:
            h = np.sqrt(s)
            if s != coef_s:  # only backtracking changes s
                coef_s, (mom, hess) = s, dip_coefficients(alpha, beta, s, form)
            if in_place:
                _igahd_update(theta, prev, g, g_prev, mom, hess, s, out=new, work=work)
            else:
                new = theta + mom * (theta - prev) - hess * (g - g_prev) - s * g
            L_new, g_new = obj.value_and_grad(new)
            if not backtracking:
                break
            L_loc = FORMULAS["backtracking_L"](delta=delta, alpha=alpha, beta=beta, h=h)
            d = new - theta
            if L_new <= L + dot(g, d) + 0.5 * L_loc * dot(d, d) or s < 1e-16:
                break
            s *= rho
        if not np.isfinite(L_new):
            status = "diverged"
            break
        prev, theta, new = theta, new, prev  # rotate the buffers (NumPy: no allocation per iteration)
        g_prev, g, L = g, g_new, L_new
        t += np.sqrt(s)
        done = loss_tol is not None and L <= loss_tol
        if it % record_every == 0 or it == iterations or done:
            rec(it, t, theta, s)
        if done:
            status = "loss_tol"
            break
    params = {"alpha": alpha, "beta": beta, "step": step, "form": form, "backtracking": backtracking,
              "iterations": iterations}
    return rec.result(f"igahd-{form}", params, theta, status)


def _igahd_update(theta, prev, g, g_prev, mom, hess, s, *, out, work=None):
    """out = θ + a(θ − θ₋) − b(g − g₋) − s g, in place, as (1 + a)θ − aθ₋ − (b + s)g + b g₋: one
    scaled copy and three BLAS axpy passes. An IGAHD step is bound by memory traffic; this reads 7
    and writes 4 parameter-sized arrays where the term-by-term form moved 21 (measured 4× faster at
    p = 2.6e5), and allocates nothing per iteration (page faults at large p). ``work`` is unused."""
    from scipy.linalg.blas import daxpy
    np.multiply(theta, 1.0 + mom, out=out)
    for x, a in ((prev, -mom), (g, -(hess + s)), (g_prev, hess)):
        if daxpy(x, out, a=a) is not out:  # daxpy updates a contiguous float64 y in place, copies others
            raise RuntimeError("IGAHD update: the step buffer is not a contiguous float64 array")
    return out


#: The talk's two IGAHD-for-DIP forms (THEORY.md §7, §10.1).
FORMS = ("ode", "slide")


def check_form(form: str) -> str:
    """``form`` if it names one of :data:`FORMS`, else a ValueError."""
    if form not in FORMS:
        raise ValueError(f"form must be 'ode' (1 − α√s, β√s: the discretization of ISEHD) or 'slide' "
                         f"(αs, βs²: the slide before the phase diagram), got {form!r}")
    return form


def dip_coefficients(alpha: float, beta: float, s: float, form: str) -> tuple[float, float]:
    """(momentum a, gradient-difference coefficient b) of IGAHD for DIP, from formulas.py."""
    names = [f"igahd_dip_momentum_{check_form(form)}", f"igahd_dip_hessian_{form}"]
    v = evaluate_many(names, {"alpha": alpha, "beta": beta, "s": s})
    return v[names[0]], v[names[1]]


@one_blas_thread
def gradient_descent(obj: DIPObjective, *, step: float, iterations: int, record_every: int = 1,
                     keep_theta: int = 0, loss_tol: float | None = None, keep_x: bool = False) -> Trajectory:
    """θ_{τ+1} = θ_τ − γ∇L(θ_τ); time t_τ = τγ (so GD is compared with GF at equal time).
    ``keep_x`` stores x(t) at every recorded iteration (``Trajectory.x_samples``).

    Examples
    --------
    >>> prob = bc.gaussian_problem(30, 3, seed=0)
    >>> obj = bc.make_objective(bc.TwoLayerDIP(3, 3, 200, seed=0), prob.A, prob.y)
    >>> tr = bc.gradient_descent(obj, step=0.01, iterations=200)
    >>> bool(tr.loss[-1] < tr.loss[0])
    True
    """
    gamma = positive_float(step, "step")
    iterations, record_every = _check_common(iterations, record_every)
    theta = obj.start()
    rec = Recorder(obj, copy(theta), keep_theta, iterations // record_every + 2, keep_x)
    rec(0, 0.0, theta, gamma)
    status = "max_iterations"
    _, g = obj.value_and_grad(theta)
    for it in range(1, iterations + 1):
        theta = theta - gamma * g
        L_new, g = obj.value_and_grad(theta)
        if not np.isfinite(L_new):
            status = "diverged"
            break
        done = loss_tol is not None and L_new <= loss_tol
        if it % record_every == 0 or it == iterations or done:
            rec(it, it * gamma, theta, gamma)
        if done:
            status = "loss_tol"
            break
    return rec.result("gd", {"step": gamma, "iterations": iterations}, theta, status)


def igahd(grad: Callable[[np.ndarray], np.ndarray], x0: Any, *, h: float, beta: float,
          gamma: float | Callable[[float], float], iterations: int, f: Callable[[np.ndarray], float] | None = None,
          lipschitz: float | None = None, x1: Any = None, tol: float = 0.0) -> dict[str, np.ndarray]:
    """IGAHD, non-convex form (THEORY.md §7), for any f with a gradient oracle:

    y_k = x_k + α_k(x_k − x_{k−1}) − β_k(∇f(x_k) − ∇f(x_{k−1})),  x_{k+1} = y_k − s_k∇f(x_k),
    α_k = 1/(1 + γ_k h), β_k = βhα_k, s_k = h²α_k, γ_k = γ(kh).

    Returns the iterates ``x`` (iterations+1 rows, x_0 first; x_{−1} = x_0 unless ``x1`` is the
    second point), ``f`` when f is given, and ``energy`` E_k = f(x_k) + ((1 + βhL)/(2h²))‖x_k − x_{k−1}‖²
    when f and the gradient-Lipschitz constant L are given. Stops once ‖x_{k+1} − x_k‖ ≤ tol.
    """
    h = positive_float(h, "h")
    beta = positive_float(beta, "beta", allow_zero=True)
    iterations = positive_int(iterations, "iterations", minimum=0)
    if callable(gamma):
        gam = gamma
    else:
        c_const = positive_float(gamma, "gamma")

        def gam(_t: float) -> float:
            return c_const
    x = np.atleast_1d(np.asarray(x0, dtype=float)).copy()
    xs = [x.copy()]
    prev = x.copy()
    if x1 is not None:
        prev, x = x, np.atleast_1d(np.asarray(x1, dtype=float)).copy()
        xs.append(x.copy())
    g_prev, g = grad(prev), grad(x)
    coef_cache: dict[float, tuple[float, float, float]] = {}
    for k in range(len(xs) - 1, iterations):
        gk = float(gam(k * h))
        if gk not in coef_cache:  # the coefficients come from formulas.py; constant γ evaluates once
            v = evaluate_many(["igahd_alpha_k", "igahd_beta_k", "igahd_s_k"], {"gamma_k": gk, "h": h, "beta": beta})
            coef_cache[gk] = (v["igahd_alpha_k"], v["igahd_beta_k"], v["igahd_s_k"])
        a, b_k, s_k = coef_cache[gk]
        new = x + a * (x - prev) - b_k * (g - g_prev) - s_k * g
        prev, x = x, new
        g_prev, g = g, grad(x)
        xs.append(x.copy())
        if np.linalg.norm(x - prev) <= tol:
            break
    X = np.array(xs)
    out = {"x": X}
    if f is not None:
        fx = np.array([f(v) for v in X])
        out["f"] = fx
        if lipschitz is not None:
            dx2 = np.concatenate([[0.0], np.sum(np.diff(X, axis=0) ** 2, axis=1)])
            coef = FORMULAS["igahd_energy_coef"](beta=beta, h=h, L=lipschitz)
            out["energy"] = fx + coef * dx2
    return out


@dataclass(frozen=True, repr=False)
class BatchResult(Result):
    """Final loss and the first iteration reaching ``loss_tol`` (−1 if never) for each trial;
    ``iterations_run`` is how many iterations each trial ran (fewer when it stopped at the tolerance)."""

    final_loss: np.ndarray
    hit_iteration: np.ndarray
    initial_loss: np.ndarray
    params: dict
    iterations_run: np.ndarray = None
    #: (T, iterations + 1) losses per iteration with ``loss_history=True`` (nan once a trial stopped), else None.
    loss_history: np.ndarray = field(repr=False, default=None)

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.pop("loss_history")
        return d


@one_blas_thread
def igahd_dip_batched(V0: np.ndarray, W0: np.ndarray, u: np.ndarray, A: np.ndarray, y: np.ndarray, *,
                      activation: str, alpha: float | np.ndarray, beta: float | np.ndarray, step: float,
                      iterations: int, loss_tol: float = 0.0, method: str = "igahd", form: str = "ode",
                      stop_early: bool = True, device: str | None = None, xp: Any = None,
                      dtype: str = "float64", loss_history: bool = False) -> BatchResult:
    """Many IGAHD (form ``form``, see :func:`igahd_dip`) or GD trials of the two-layer DIP advanced
    together, in the exact reduced state of :mod:`boundcalc.dynamics.reduced` (O(mk) per trial and step).

    Arrays are stacked along a leading trial axis: V0 (T, n, k), W0 (T, k, d), u (T, d),
    A (T, m, n), y (T, m); ``alpha`` and ``beta`` may differ per trial (arrays of shape (T,)), so a
    whole row of a phase diagram (trials × dampings at one width) is one call. Each step is a
    handful of batched ``matmul`` calls, which removes the per-call overhead that dominates small
    problems (docs/numerics.md "Dynamics"). ``method="gd"`` runs gradient descent with step ``step`` (momentum and
    gradient-difference coefficients zero). With ``stop_early`` a trial stops at the first iteration
    whose loss is ≤ ``loss_tol`` (its final loss is that one, as :func:`igahd_dip` with ``loss_tol``),
    and the batch stops once every trial has. The per-trial reference is :func:`igahd_dip` /
    :func:`gradient_descent`. ``device``/``xp``/``dtype`` choose the backend (:mod:`boundcalc.linalg.backend`);
    the per-trial bookkeeping (T losses per step) stays on the host. ``loss_history`` keeps every trial's
    loss at every iteration (``BatchResult.loss_history``, T × (iterations + 1) numbers, checked against memory).
    """
    backend = resolve_backend(device, xp=xp, dtype=dtype)
    act = get_activation(activation, for_theorem=False)
    V0, W0 = np.asarray(V0, dtype=float), np.asarray(W0, dtype=float)
    u, A, y = np.asarray(u, dtype=float), np.asarray(A, dtype=float), np.asarray(y, dtype=float)
    T, n, k = V0.shape
    if W0.shape[:2] != (T, k) or u.shape != (T, W0.shape[2]) or A.shape[0] != T or A.shape[2] != n \
            or y.shape != (T, A.shape[1]):
        raise ValueError("batched arrays must be stacked as V (T,n,k), W (T,k,d), u (T,d), A (T,m,n), y (T,m)")
    if method not in ("igahd", "gd"):
        raise ValueError(f"method must be 'igahd' or 'gd', got {method!r}")
    check_form(form)
    iterations = positive_int(iterations, "iterations", minimum=0)
    step = positive_float(step, "step")
    alphas = np.broadcast_to(np.asarray(alpha, dtype=float), (T,))
    betas = np.broadcast_to(np.asarray(beta, dtype=float), (T,))
    if not (np.all(np.isfinite(alphas)) and np.all(alphas >= 0) and np.all(np.isfinite(betas)) and np.all(betas >= 0)):
        raise ValueError("alpha and beta must be finite and >= 0 (one value, or one per trial)")
    coef: dict[tuple[float, float], tuple[float, float]] = {}
    mom, hess = np.zeros(T), np.zeros(T)
    if method == "igahd":
        for i, key in enumerate(zip(alphas.tolist(), betas.tolist(), strict=True)):
            if key not in coef:
                coef[key] = dip_coefficients(key[0], key[1], step, form)
            mom[i], hess[i] = coef[key]
    m = A.shape[1]
    require_memory(float_bytes(8 * T * m * k, T * m * m), f"the batched reduced states ({T} trials, m = {m}, k = {k})")
    history = None
    if loss_history:
        require_memory(float_bytes(T * (iterations + 1)), f"the loss histories ({T} trials × {iterations + 1})")
        history = np.full((T, iterations + 1), np.nan)
    # Stacking pays while the per-call overhead dominates; once a trial's arrays leave the cache,
    # memory traffic dominates and stacking only adds temporaries (docs/numerics.md "Dynamics"). So trials are
    # advanced in chunks of about 2^17 state entries: many trials at small k, one at large k.
    chunk = max(1, (1 << 17) // (m * k))
    L_all, L0_all = np.empty(T), np.empty(T)
    hit_all, run_all = np.empty(T, dtype=int), np.empty(T, dtype=int)
    if backend.xp is not np:
        chunk = T  # one stacked call per batch: on a GPU the launches, not the caches, set the cost
    for c0 in range(0, T, chunk):
        sl = slice(c0, min(T, c0 + chunk))
        L_all[sl], L0_all[sl], hit_all[sl], run_all[sl] = _batched_reduced_chunk(
            *(backend.asarray(x[sl]) if backend.xp is not np else x[sl] for x in (V0, W0, u, A, y, mom, hess)),
            act, step, iterations, loss_tol, stop_early, None if history is None else history[sl])
    return BatchResult(L_all, hit_all, L0_all, {"alpha": alphas.tolist(), "beta": betas.tolist(), "step": step,
                                                "form": form, "iterations": iterations, "loss_tol": loss_tol,
                                                "method": method, "state": "reduced", **backend.describe()}, run_all,
                       history)


def _batched_reduced_chunk(V0, W0, u, A, y, mom, hess, act, step, iterations, loss_tol, stop_early, history=None):
    """The reduced recursion of :mod:`boundcalc.dynamics.reduced` for a stack of trials, in any array-API
    namespace; finished trials leave the stack (their arrays are dropped) so the remaining ones run
    at full speed. The T losses per step are copied to the host for the bookkeeping."""
    xp = namespace(V0)
    T, _, k = V0.shape
    sk = 1 / math.sqrt(k)
    P0 = xp.matmul(A, V0)                                              # (T, m, k)
    K = xp.matmul(A, matrix_transpose(A))                                           # (T, m, m)
    h0 = xp.matmul(W0, u[:, :, None])[:, :, 0]                         # (T, k)
    uu = xp.sum(u * u, axis=1)[:, None]
    Z, b = xp.zeros_like(P0), xp.zeros_like(h0)
    L, GZ, Gb = reduced_loss_grad(Z, h0, P0, K, y, sk, act)
    L = to_numpy(L).copy()
    L0 = L.copy()
    if history is not None:
        history[:, 0] = L0
    final, hit, ran = L.copy(), np.where(L <= loss_tol, 0, -1), np.zeros(T, dtype=int)
    idx = np.arange(T)  # trials still running (host bookkeeping)
    # The running trials' arrays: the iterate pair, the gradient pair, and the per-trial constants.
    state = [Z, b, GZ, Gb, copy(Z), copy(b), copy(GZ), copy(Gb)]
    const = [P0, K, h0, uu, y, mom[:, None, None], hess[:, None, None], mom[:, None], hess[:, None]]

    def drop(arrays, keep):
        mask = keep if xp is np else xp.astype(asarray(keep, like=arrays[0]), xp.bool)
        return [x[mask] for x in arrays]

    if stop_early and (hit >= 0).any():
        idx = idx[hit < 0]
        state, const = drop(state, hit == -1), drop(const, hit == -1)
    for it in range(1, iterations + 1):
        if idx.size == 0:
            break
        Z, b, GZ, Gb, Zp, bp, GZp, Gbp = state
        P0, K, h0, uu, y, mom3, hess3, mom2, hess2 = const
        Z_new = Z + mom3 * (Z - Zp) - hess3 * (GZ - GZp) - step * GZ
        b_new = b + mom2 * (b - bp) - hess2 * (Gb - Gbp) - step * Gb
        L, GZ_new, Gb_new = reduced_loss_grad(Z_new, h0 + uu * b_new, P0, K, y, sk, act)
        state = [Z_new, b_new, GZ_new, Gb_new, Z, b, GZ, Gb]
        L = to_numpy(L)
        final[idx], ran[idx] = L, it
        if history is not None:
            history[idx, it] = L
        newly = (hit[idx] < 0) & (L <= loss_tol)
        hit[idx[newly]] = it
        if stop_early and newly.any():
            idx = idx[~newly]
            state, const = drop(state, ~newly), drop(const, ~newly)
    return final, L0, hit, ran


def as_trials(nets: list[TwoLayerDIP], As: list[np.ndarray], ys: list[np.ndarray]) -> tuple[np.ndarray, ...]:
    """Stack per-trial networks and problems into the arrays of :func:`igahd_dip_batched`."""
    V = np.stack([n.unpack()[0] for n in nets])
    W = np.stack([n.unpack()[1] for n in nets])
    u = np.stack([n.u for n in nets])
    return V, W, u, np.stack(As), np.stack(ys)
