"""Certified lower ends of λ_min(A; C) in doubly-nonnegative (DNN) coordinates (THEORY.md §8).

For the nonnegative orthant and the ℓ1 descent cone there is a linear map z = T w′, w′ = (f, p) with
f ∈ R^{nb} free and p ≥ 0, whose image of R^{nb} × R₊^q is exactly C, and in which the cone's
constraints are the coordinates p themselves. Shor's relaxation with RLT cuts is then congruent to

    max τ  s.t.  Q₀ − τD − N ⪰ 0,  N ≥ 0 supported on the p-block,      Q₀ = TᵀAᵀAT,  D = TᵀT,

the same relaxation as the lifted form (w ↦ w′ is invertible), with a trivial constraint map: each
entry of N touches one entry of the matrix, where the lifted form spreads the cone row over all of them.

**Certificate.** For any τ and any N ≥ 0 (clipped, symmetrised) and every unit z ∈ C with its lift w′,
‖Az‖² − τ = w′ᵀ(Q₀ − τD)w′ ≥ w′ᵀ(Q₀ − τD − N)w′ ≥ λ_min·‖w′‖², so
‖Az‖² ≥ τ + c_w·min(0, λ_min − margin), with c_w ≥ max ‖w′‖² over the lifts of unit z and margin the
float64 rounding bound of the eigenvalue computation. Whatever produced N — a low-accuracy SCS solve or
the polish below — only this float64 check decides the number.

**Polish.** At τ = upper²(1 − δ) the certificate needs an N ≥ 0 with Q₀ − τD − N ⪰ 0. It is sought by
minimising f(N) = ‖Π₋(Q₀ − τD − N)‖²_F (squared distance to the PSD cone, convex and C¹ with gradient
−2Π₋ on the p-block) with L-BFGS-B under N ≥ 0, started from the SCS solution and stopped as soon as
the matrix has no negative eigenvalue: then the lower end is upper·√(1 − δ) exactly, up to the margin.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
import scipy.optimize

__all__ = ["DNNForm", "dnn_form", "l1_descent_form", "gram_scale", "rounding_margin", "slack", "certify", "solve",
           "scs_dual", "polish", "estimate_cost", "sym_from_upper", "negative_part", "minimise_negative_part",
           "target_tau"]


@dataclass(frozen=True)
class DNNForm:
    """z = T w′ with w′ = (free (nb), nonnegative (q)); every unit z ∈ C lifts with ‖w′‖² ≤ c_w."""

    T: np.ndarray
    nb: int
    c_w: float

    @property
    def dim(self) -> int:
        return self.T.shape[1]


def dnn_form(cone: Any) -> DNNForm | None:
    """The cone's DNN coordinates (:meth:`Cone.dnn_form`): the orthant (T = I, c_w = 1) and the ℓ1
    descent cone (c_w = 1, see :func:`l1_descent_form`); None for cones without them."""
    method = getattr(cone, "dnn_form", None)
    return method() if method is not None else None


def l1_descent_form(support: np.ndarray, off: np.ndarray, sign: np.ndarray, n: int) -> DNNForm:
    """DNN coordinates of the ℓ1 descent cone at x (S = supp x, sg = sign x_S, r = |S^c|).

    w′ = (u, c, a, b) ∈ R^{s−1} × R₊ × R₊^r × R₊^r, z_S = U u − sg(√s·c + 1ᵀa + 1ᵀb)/s (U an orthonormal
    basis of sg^⊥), z_{S^c} = b − a. Every (u, c, a, b) maps into C: sgᵀz_S + ‖z_{S^c}‖₁ ≤ −√s·c − 1ᵀ(a + b)
    + 1ᵀ(a + b) ≤ 0. Conversely write a unit z ∈ C as z_S = U u + γ·sg/√s (so ‖u‖² + γ² = ‖z_S‖², and
    γ = sgᵀz_S/√s ≤ −‖z_{S^c}‖₁/√s ≤ 0); it lifts with a = z₋, b = z₊ on S^c and
    c = (−sgᵀz_S − ‖z_{S^c}‖₁)/√s = −γ − ‖z_{S^c}‖₁/√s ∈ [0, |γ|], so
    ‖w′‖² = ‖u‖² + c² + ‖z_{S^c}‖² ≤ ‖u‖² + γ² + ‖z_{S^c}‖² = 1: c_w = 1, attained at z = −sg/√s on S.
    """
    s, r = support.size, off.size
    T = np.zeros((n, s + 2 * r))
    if s > 1:
        T[np.ix_(support, np.arange(s - 1))] = scipy.linalg.null_space(sign[None, :])
    T[support, s - 1] = -sign / np.sqrt(s)
    T[np.ix_(support, s + np.arange(r))] = -sign[:, None] / s
    T[np.ix_(support, s + r + np.arange(r))] = -sign[:, None] / s
    T[off, s + np.arange(r)] = -1.0
    T[off, s + r + np.arange(r)] = 1.0
    return DNNForm(T, s - 1, 1.0)


def gram_scale(M: np.ndarray) -> float:
    """max|M|: the unit in which every relaxation here is solved and τ is expressed (SCS is scale-sensitive)."""
    return max(float(np.abs(M).max()), 1e-300)


def rounding_margin(lam: np.ndarray, dim: int) -> float:
    """10·dim·eps·max(|λ|, 1): how far float64 rounding can move a computed eigenvalue of a dim×dim
    slack matrix; subtracted from λ_min before it certifies anything."""
    return 10 * dim * np.finfo(float).eps * max(float(np.abs(lam).max()), 1.0)


def sym_from_upper(v: np.ndarray, iu: tuple[np.ndarray, np.ndarray], q: int) -> np.ndarray:
    """The symmetric q×q matrix whose upper triangle ``iu`` holds ``v`` (the polishes' variables)."""
    M = np.zeros((q, q))
    M[iu] = v
    return M + np.triu(M, 1).T


def negative_part(lam: np.ndarray, V: np.ndarray) -> np.ndarray:
    """Π₋(X) = Σ_{λ<0} λ v vᵀ from X's ascending eigendecomposition: ‖Π₋(X)‖²_F = Σ λ₋² has gradient 2Π₋(X)."""
    k = int(np.searchsorted(lam, 0.0))
    return (V[:, :k] * lam[:k]) @ V[:, :k].T


def negative_eigenpairs(X: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(λ_min, λ, V) for the eigenvalues λ ≤ 0 of the symmetric X only, ascending, with their eigenvectors;
    λ_min = +inf when X has none (X ≻ 0). ‖Π₋(X)‖² and its gradient need no more, and LAPACK's MRRR
    (``syevr``) computes just these: 2× (n = 200) to 3× (n = 500) faster than a full ``eigh`` (measured)."""
    lam, V = scipy.linalg.eigh(X, driver="evr", subset_by_value=(-np.inf, 0.0), check_finite=False)
    return (float(lam[0]) if lam.size else float("inf")), lam, V


def _matrices(AtA: np.ndarray, form: DNNForm) -> tuple[np.ndarray, np.ndarray, float]:
    scale = gram_scale(AtA)
    Q0 = form.T.T @ (AtA / scale) @ form.T
    return (Q0 + Q0.T) / 2, form.T.T @ form.T, scale


def _embed(N: np.ndarray, form: DNNForm) -> np.ndarray:
    full = np.zeros((form.dim, form.dim))
    Nc = np.maximum((N + N.T) / 2, 0.0)
    full[form.nb:, form.nb:] = Nc
    return full


def slack(AtA: np.ndarray, form: DNNForm, tau: float, N: np.ndarray) -> np.ndarray:
    """The certificate's slack matrix Q₀ − τD − N (N clipped to N ≥ 0 and symmetrised), τ in units of max|AᵀA|."""
    Q0, D, _ = _matrices(AtA, form)
    X = Q0 - tau * D - _embed(N, form)
    return (X + X.T) / 2


def certify(AtA: np.ndarray, form: DNNForm, tau: float, N: np.ndarray) -> tuple[float, float, float, np.ndarray]:
    """(lower, λ_min, margin, z): the float64 certificate of ``tau`` (in units of max|AᵀA|) and ``N``, and
    z = T·(bottom eigenvector of the slack), which points at the minimiser (a start for the upper end).

    lower² = (τ + c_w·min(0, λ_min − margin))·scale, margin = 10·dim·eps·max(|λ|, 1).
    """
    lam, vecs = np.linalg.eigh(slack(AtA, form, tau, N))
    margin = rounding_margin(lam, form.dim)
    low2 = (tau + form.c_w * min(0.0, float(lam[0]) - margin)) * gram_scale(AtA)
    return float(np.sqrt(max(low2, 0.0))), float(lam[0]), margin, form.T @ vecs[:, 0]


def scs_dual(AtA: np.ndarray, form: DNNForm, accuracy: float, max_iters: int | None = None,
             solver: str = "SCS") -> tuple[float | None, np.ndarray | None, str]:
    """Solve max τ s.t. Q₀ − τD − N ⪰ 0, N ≥ 0 with cvxpy; returns (τ, N, status), τ in scaled units."""
    import cvxpy as cp
    Q0, D, _ = _matrices(AtA, form)
    q = form.dim - form.nb
    tau = cp.Variable()
    N = cp.Variable((q, q), symmetric=True)
    Nfull = N if form.nb == 0 else cp.bmat([[np.zeros((form.nb, form.nb)), np.zeros((form.nb, q))],
                                            [np.zeros((q, form.nb)), N]])
    P = Q0 - tau * D - Nfull
    prob = cp.Problem(cp.Maximize(tau), [(P + P.T) / 2 >> 0, N >= 0])
    status = solve(prob, solver, accuracy, max_iters)
    if status != "optimal" or tau.value is None or N.value is None:
        return None, None, status
    return float(tau.value), np.asarray(N.value), "optimal"


def solve(prob: Any, solver: str, accuracy: float, max_iters: int | None) -> str:
    """Solve a cvxpy problem; returns "optimal" or why not (a failed or inaccurate solve is never a number).
    SCS runs at eps_abs = eps_rel = ``accuracy``: every answer is re-certified in float64 afterwards."""
    import cvxpy as cp
    kwargs: dict[str, Any] = {"eps_abs": accuracy, "eps_rel": accuracy} if solver == "SCS" else {}
    if max_iters is not None:
        kwargs["max_iters" if solver == "SCS" else "max_iter"] = max_iters
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the status decides, not cvxpy's warning
            prob.solve(solver=solver, **kwargs)
    except cp.error.SolverError as exc:
        return f"solver error: {exc}"
    return "optimal" if prob.status == cp.OPTIMAL else str(prob.status)


#: The target τ sits this many gaps below upper²: the last 0.1·gap of (1 − gap)² is slack for λ_min(K) < 0.
TARGET_SLACK = 1.9


def target_tau(upper2: float, gap: float, slack: float = TARGET_SLACK) -> tuple[float, float]:
    """(τ, need) for a certificate of lower = upper·(1 − gap): τ = upper²(1 − slack·gap), and the search may
    stop once τ + λ_min ≥ need = upper²(1 − gap)² (``upper2`` = upper² in the units τ is in)."""
    return upper2 * (1 - slack * gap), upper2 * (1 - gap) ** 2


def minimise_negative_part(X0: np.ndarray, b: int, v0: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                           stop: Any, *, deadline: float, max_evals: int) -> tuple[np.ndarray | None, np.ndarray, int]:
    """L-BFGS-B on f(v) = ‖Π₋(X0 − B(v))‖²_F, B(v) the symmetric matrix with upper triangle v on the
    block [b:, b:] and zero elsewhere, under lower ≤ v ≤ upper (convex, C¹, gradient −2Π₋ on the block).
    Stops as soon as ``stop(λ_min)`` holds, or at ``deadline`` / ``max_evals``.
    Returns (v where it stopped or None, the v with the least f met, evaluations)."""
    from threadpoolctl import threadpool_limits
    q = X0.shape[0] - b
    iu = np.triu_indices(q)
    off = iu[0] != iu[1]
    state: dict[str, Any] = {"evals": 0, "hit": None, "best": (np.inf, v0)}

    class _Stop(Exception):
        pass

    def f(v):
        state["evals"] += 1
        X = X0.copy()
        X[b:, b:] -= sym_from_upper(v, iu, q)
        lam0, lam, V = negative_eigenpairs(X)
        if stop(lam0):
            state["hit"] = v.copy()
            raise _Stop
        value = float(np.sum(lam ** 2))
        if value < state["best"][0]:
            state["best"] = (value, v.copy())
        if time.perf_counter() > deadline or state["evals"] >= max_evals:
            raise _Stop
        g = -2.0 * negative_part(lam, V)[b:, b:][iu]
        g[off] *= 2.0  # an off-diagonal entry appears twice in the matrix
        return value, g

    # one BLAS thread: L-BFGS-B's and NumPy's OpenBLAS pools otherwise contend for the cores (3.7× slower, measured)
    with threadpool_limits(limits=1):
        try:
            scipy.optimize.minimize(f, np.clip(v0, lower, upper), jac=True, method="L-BFGS-B",
                                    bounds=scipy.optimize.Bounds(lower, upper),
                                    # a short memory: fewer evaluations, 2× less overhead than 30 (measured)
                                    options={"maxiter": max_evals, "ftol": 0.0, "gtol": 0.0, "maxcor": 10})
        except _Stop:
            pass
    return state["hit"], state["best"][1], state["evals"]


def polish(AtA: np.ndarray, form: DNNForm, tau: float, N0: np.ndarray, *, seconds: float,
           max_evals: int = 5000) -> tuple[np.ndarray, int, bool]:
    """Minimise ‖Π₋(Q₀ − τD − N)‖²_F over N ≥ 0 from ``N0`` (:func:`minimise_negative_part`), stopping
    at the first N with no negative eigenvalue or after ``seconds``. Returns (N, evaluations, reached PSD)."""
    Q0, D, _ = _matrices(AtA, form)
    q = form.dim - form.nb
    iu = np.triu_indices(q)
    v0 = np.maximum((N0 + N0.T) / 2, 0.0)[iu]
    hit, best, evals = minimise_negative_part(Q0 - tau * D, form.nb, v0, np.zeros(v0.size),
                                              np.full(v0.size, np.inf), lambda lam0: lam0 > 0.0,
                                              deadline=time.perf_counter() + seconds, max_evals=max_evals)
    return sym_from_upper(hit if hit is not None else np.maximum(best, 0.0), iu, q), evals, hit is not None


#: Seconds per SCS iteration per dim³ (one dim×dim eigendecomposition dominates an iteration), and the
#: iterations SCS takes at accuracy 1e-3: measured on the 2-core development machine, ℓ1 cones n = 50–200.
SECONDS_PER_DIM3 = 4e-9
SCS_ITERATIONS = 300


def estimate_cost(dim: int) -> tuple[float, int]:
    """(seconds, bytes) expected for the SCS stage of an SDP of size ``dim``: an estimate from the
    measured cost per iteration, to say before a long solve starts how long it will take."""
    return SCS_ITERATIONS * SECONDS_PER_DIM3 * dim ** 3, int(40 * 8 * dim * dim)
