"""Cones, projections, restricted minimum singular values and conic geometry (THEORY.md §5, §8).

λ_min(A; C) = min{‖Az‖ : z ∈ C, ‖z‖ = 1} is NP-hard in general, so
:func:`restricted_min_singular_value` returns a certified **bracket** [lower, upper]:

- ``upper``: ‖Az‖ at the best unit z ∈ C found (projected power iteration with restarts, and the
  rounded SDP solution); always a true upper bound, with the witness z.
- ``lower``: from the dual of Shor's SDP relaxation with RLT cuts G W Gᵀ ≥ 0 for a cone written
  as C = {E w : G w ≥ 0}: max τ s.t. Eᵀ(AᵀA − τI)E − GᵀNG ⪰ 0, N ≥ 0. The solver's (τ, N) is
  **re-certified in float64**: with N clipped to N ≥ 0 and P = EᵀAᵀAE − τEᵀE − GᵀNG,
  ‖Az‖² ≥ τ + c_w·min(0, λ_min(P)) for every feasible z, where c_w bounds ‖w‖² (docs/numerics.md "Cone brackets").
  For the orthant and the ℓ1 descent cone the same relaxation is solved in doubly-nonnegative
  coordinates (route "dnn", :mod:`boundcalc.theory.dnn_certificate`), whose certificate can be
  polished towards a target gap. Exact for a subspace: σ_min(AU).

Solves whose status is not "optimal" are never reported as numbers: the bracket's lower end is
then ``nan`` and ``status`` says why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg
from scipy.optimize import linprog, lsq_linear

from .._core import Result, as_finite_array, as_rng, positive_float, positive_int
from ..io.memory import float_bytes, require_memory
from ..linalg.operators import as_operator, spectrum

__all__ = [
    "Cone", "Subspace", "NonnegativeOrthant", "PolyhedralCone", "FinitelyGeneratedCone", "L1DescentCone",
    "ChordCone", "BracketResult", "restricted_min_singular_value", "StatDimResult", "statistical_dimension",
    "l1_statistical_dimension", "gaussian_width", "gordon_lower_bound", "GordonResult", "l1_kernel_test",
    "universal_lower_bound",
]


class Cone:
    """A closed convex cone in R^n with a Euclidean projection and a membership test.

    Subclasses that admit a description C = {E w : G w ≥ 0} give it by ``lifted()`` for the SDP
    lower bound, with c_w ≥ max ‖w‖² over the w describing unit vectors of C.
    """

    n: int
    name: str = "cone"

    def project(self, v: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def contains(self, z: np.ndarray, tol: float = 1e-9) -> bool:
        z = np.asarray(z, float)
        return bool(np.linalg.norm(self.project(z) - z) <= tol * max(1.0, np.linalg.norm(z)))

    def project_polar(self, v: np.ndarray) -> np.ndarray:
        """Π_{C°}(v) = v − Π_C(v) (Moreau decomposition)."""
        return np.asarray(v, float) - self.project(v)

    def dnn_form(self) -> Any:
        """Doubly-nonnegative coordinates (a :class:`~boundcalc.theory.dnn_certificate.DNNForm`), or None."""
        return None

    def lifted(self) -> tuple[np.ndarray, np.ndarray, float] | None:
        """(E, G, c_w) with C = {E w : G w ≥ 0}, or None when no SDP description is available."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n={self.n})"


class Subspace(Cone):
    """span(U); U is orthonormalised. λ_min(A; span U) = σ_min(AU) exactly; δ = dim."""

    name = "subspace"

    def __init__(self, U: Any):
        U = as_finite_array(U, "U", ndim=2)
        self.U = scipy.linalg.orth(U)  # SVD-based: drops dependent columns
        if self.U.shape[1] == 0:
            raise ValueError("U must have at least one nonzero column")
        self.n = U.shape[0]

    def project(self, v):
        return self.U @ (self.U.T @ np.asarray(v, float))


class NonnegativeOrthant(Cone):
    """R^n₊ (λ_min over it is a copositivity problem). δ = n/2."""

    name = "orthant"

    def __init__(self, n: int):
        self.n = positive_int(n, "n")

    def project(self, v):
        return np.maximum(np.asarray(v, float), 0.0)

    def lifted(self):
        return np.eye(self.n), np.eye(self.n), 1.0

    def dnn_form(self):
        from .dnn_certificate import DNNForm
        return DNNForm(np.eye(self.n), 0, 1.0)


def _nonnegative_least_squares(M: np.ndarray, b: np.ndarray) -> np.ndarray:
    """argmin_{λ ≥ 0} ‖Mλ − b‖ by bounded-variable least squares (an exact active-set method).

    ``scipy.optimize.nnls`` is not used: from SciPy 1.15 it returns non-optimal points for inputs
    on the cone's boundary (measured with SciPy 1.17: Π(Π(v)) ≠ Π(v) on 2 of 20 draws).
    """
    res = lsq_linear(M, b, bounds=(0.0, np.inf), method="bvls", tol=1e-14)
    if res.status < 1:
        raise RuntimeError(f"projection: bounded least squares did not converge ({res.message})")
    return np.maximum(res.x, 0.0)


class PolyhedralCone(Cone):
    """{z : G z ≥ 0}. Projection by NNLS on the polar: Π_{C°}(v) = −Gᵀλ*, λ* = argmin_{λ≥0}‖v + Gᵀλ‖."""

    name = "polyhedral"

    def __init__(self, G: Any):
        self.G = as_finite_array(G, "G", ndim=2)
        self.n = self.G.shape[1]

    def project(self, v):
        v = np.asarray(v, float)
        lam = _nonnegative_least_squares(self.G.T, -v)
        return v + self.G.T @ lam

    def contains(self, z, tol=1e-9):
        z = np.asarray(z, float)
        return bool(np.all(self.G @ z >= -tol * max(1.0, np.linalg.norm(z)) * np.linalg.norm(self.G, axis=1)))

    def lifted(self):
        return np.eye(self.n), self.G, 1.0


class FinitelyGeneratedCone(Cone):
    """{D λ : λ ≥ 0} (columns of D generate it). Projection: D λ*, λ* = argmin_{λ≥0} ‖Dλ − v‖ (NNLS)."""

    name = "generated"

    def __init__(self, D: Any):
        self.D = as_finite_array(D, "D", ndim=2)
        self.n = self.D.shape[0]

    def project(self, v):
        lam = _nonnegative_least_squares(self.D, np.asarray(v, float))
        return self.D @ lam

    def lifted(self):
        # z = Dλ, λ ≥ 0; ‖λ‖ ≤ ‖z‖/σ_min(D) needs independent generators, else no certificate.
        s = scipy.linalg.svdvals(self.D)
        if self.D.shape[1] > self.n or s[-1] <= 1e-12 * s[0]:
            return None
        return self.D, np.eye(self.D.shape[1]), 1.0 / s[-1] ** 2


class L1DescentCone(Cone):
    """Descent cone of ‖·‖₁ at x (THEORY.md §8): {z : sign(x_S)ᵀz_S + ‖z_{S^c}‖₁ ≤ 0}, S = supp(x).

    Projection exact in O(n log n): z_S = v_S − μ sg, z_{S^c} = soft(v_{S^c}, μ), μ ≥ 0 the root
    of the piecewise-linear h(μ) = sgᵀv_S − μs + Σ_{S^c} max(|v_i| − μ, 0).
    """

    name = "l1-descent"

    def __init__(self, x: Any, *, tol: float = 0.0):
        x = as_finite_array(x, "x", ndim=1)
        self.support = np.flatnonzero(np.abs(x) > tol)
        if self.support.size == 0:
            raise ValueError("x must have at least one nonzero entry (the descent cone at 0 is not pointed)")
        self.off = np.setdiff1d(np.arange(x.size), self.support)
        self.sign = np.sign(x[self.support])
        self.n = x.size
        self.s = self.support.size

    def _h(self, v, mu):
        vs, vo = v[self.support], np.abs(v[self.off])
        return self.sign @ vs - mu * self.s + np.sum(np.maximum(vo - mu, 0.0))

    def project(self, v):
        v = np.asarray(v, float)
        if self._h(v, 0.0) <= 0:
            return v.copy()
        # h is decreasing, piecewise linear with kinks at |v_i| (i ∈ S^c): on the segment where the j
        # largest |v_i| are active, h = sgᵀv_S + (sum of those j) − μ(s + j); the root lies on the first
        # segment whose candidate μ_j falls inside it (all segments at once, no Python loop).
        knots = np.sort(np.abs(v[self.off]))[::-1]
        csum = np.concatenate([[0.0], np.cumsum(knots)])
        cand = (self.sign @ v[self.support] + csum) / (self.s + np.arange(knots.size + 1))
        lo = np.concatenate([knots, [0.0]])
        hi = np.concatenate([[np.inf], knots])
        ok = np.flatnonzero((lo <= cand) & (cand <= hi))
        if ok.size:
            mu = float(cand[ok[0]])
        else:  # numerical corner: bisection on the monotone h
            a, b = 0.0, max(np.abs(v).max(), 1.0) * (1 + self.n)
            for _ in range(200):
                mu = 0.5 * (a + b)
                a, b = (mu, b) if self._h(v, mu) > 0 else (a, mu)
        z = np.empty_like(v)
        z[self.support] = v[self.support] - mu * self.sign
        vo = v[self.off]
        z[self.off] = np.sign(vo) * np.maximum(np.abs(vo) - mu, 0.0)
        return z

    def dnn_form(self):
        from .dnn_certificate import l1_descent_form
        return l1_descent_form(self.support, self.off, self.sign, self.n)

    def face_minimiser(self, z: np.ndarray, AtA: np.ndarray) -> np.ndarray | None:
        """The minimiser of zᵀAᵀAz on the unit sphere of the face through ``z`` (zero set Z ⊂ S^c, signs σ
        of the other off-support entries, cone constraint active): the bottom eigenvector of AᵀA on
        {z_Z = 0, sgᵀz_S + σᵀz_T = 0}; None when it leaves the face (wrong signs)."""
        tol = 1e-9 * max(np.abs(z).max(), 1e-300)
        zero = self.off[np.abs(z[self.off]) <= tol]
        T = self.off[np.abs(z[self.off]) > tol]
        free = np.setdiff1d(np.arange(self.n), zero)
        h = np.zeros(self.n)
        h[self.support] = self.sign
        h[T] = np.sign(z[T])
        B = scipy.linalg.null_space(h[free][None, :])
        if B.shape[1] == 0:
            return None
        lam, V = np.linalg.eigh(B.T @ AtA[np.ix_(free, free)] @ B)
        out = np.zeros(self.n)
        out[free] = B @ V[:, 0]
        if out @ z < 0:
            out = -out
        if np.any(np.sign(out[T]) != np.sign(z[T])) or not self.contains(out, 1e-12):
            return None
        return out / np.linalg.norm(out)

    def contains(self, z, tol=1e-9):
        z = np.asarray(z, float)
        return bool(self.sign @ z[self.support] + np.sum(np.abs(z[self.off])) <= tol * max(1.0, np.linalg.norm(z)))

    def lifted(self):
        # w = (z, t), t ∈ R^{|S^c|}: t ± z_{S^c} ≥ 0 and −sgᵀz_S − 1ᵀt ≥ 0. For a unit z take
        # t = |z_{S^c}|, so ‖w‖² ≤ 2: c_w = 2.
        n, q = self.n, self.off.size
        E = np.hstack([np.eye(n), np.zeros((n, q))])
        rows = []
        for j, i in enumerate(self.off):
            for sgn in (1.0, -1.0):
                r = np.zeros(n + q)
                r[n + j] = 1.0
                r[i] = sgn
                rows.append(r)
        last = np.zeros(n + q)
        last[self.support] = -self.sign
        last[n:] = -1.0
        rows.append(last)
        return E, np.array(rows), 2.0


class ChordCone(FinitelyGeneratedCone):
    """Sampled cone of chords T_Σ′(x̄_Σ′) = cl conv(R₊(Σ′ − x̄_Σ′)) of THEORY.md §5.

    Generated by the normalised chords g(u, θ_i) − x̄_Σ′ for samples θ_i with ‖θ_i‖ ≤ R′ + ‖θ₀‖ and
    by ±the columns of an orthonormal basis of range J_g(θ̄) at the base point. A sampled cone is an
    **inner** approximation of the true one, so the λ_min computed over it is an estimate from
    above of λ_min(A; T_Σ′); results over it say so (``inner_approximation = True``).
    """

    name = "chord"
    inner_approximation = True

    def __init__(self, net: Any, theta_bar: np.ndarray, radius: float, *, samples: int = 200,
                 seed: int | np.random.Generator = 0, include_jacobian: bool = True):
        rng = as_rng(seed)
        theta_bar = as_finite_array(theta_bar, "theta_bar", ndim=1, shape=net.theta0.shape)
        if not radius > 0:
            raise ValueError(f"radius must be > 0, got {radius}")
        base = net.forward(theta_bar)
        cols = []
        for _ in range(positive_int(samples, "samples")):
            d = rng.standard_normal(net.p)
            th = d / np.linalg.norm(d) * radius * rng.uniform() ** (1 / net.p)
            c = net.forward(th) - base
            if np.linalg.norm(c) > 1e-12:
                cols.append(c / np.linalg.norm(c))
        if include_jacobian:
            # range J_g(θ̄) = range(J Jᵀ): eigenvectors of the Gram with nonzero eigenvalues. When J
            # is onto (a non-degenerate point) this makes the cone all of R^n, as it should.
            lam, Q = np.linalg.eigh(net.gram(theta_bar))
            Q = Q[:, lam > net.n * np.finfo(float).eps * lam[-1]]
            cols += list(Q.T) + list(-Q.T)
        super().__init__(np.array(cols).T)
        self.base = base

    def lifted(self):
        # An SDP bound over the *sampled* cone is not a bound for the true cone (inner
        # approximation), so the only certified lower end offered is σ_n(A), valid for every cone.
        return None


# ----------------------------------------------------------------------------- λ_min brackets

@dataclass(frozen=True, repr=False)
class BracketResult(Result):
    """Certified bracket lower ≤ λ_min(A; C) ≤ upper.

    ``witness`` is the unit z ∈ C with ‖Az‖ = upper. ``status`` is the SDP status ("optimal",
    or why no lower bound is reported: then ``lower`` is nan, never an unverified number).
    ``gap`` = (upper − lower)/upper. For a :class:`ChordCone`, ``note`` says that the value is an
    estimate from above of the true cone's λ_min (inner approximation). ``route`` names how the lower
    end was certified ("dnn", "dnn+polish", "shor-rlt", "zspace", "exact", "sigma_n"); ``certificate_residual``
    is the smallest eigenvalue of the certificate's slack matrix (in units of max|AᵀA|; negative: the
    solver's infeasibility, absorbed as c_w·λ; for "zspace" that of AᵀA − τI − L) and ``rounding_margin``
    the float64 margin subtracted from it.
    """

    lower: float
    upper: float
    gap: float
    method: str
    solver: str
    status: str
    seconds: float
    witness: np.ndarray = field(repr=False)
    note: str = ""
    route: str = ""
    certificate_residual: float = float("nan")
    rounding_margin: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d["witness"] = self.witness.tolist()
        return d


def _upper_bound(A: np.ndarray, cone: Cone, rng: np.random.Generator, restarts: int, iters: int,
                 extra_starts: list[np.ndarray]) -> tuple[float, np.ndarray]:
    """Projected power iteration z ← Π_C(Bz)/‖Π_C(Bz)‖, B = cI − AᵀA (maximises zᵀBz on C ∩ S)."""
    AtA = A.T @ A
    c = 1.01 * max(np.linalg.eigvalsh(AtA)[-1], 1e-300)
    best, best_z = np.inf, None
    starts = [cone.project(s) for s in extra_starts] + [cone.project(rng.standard_normal(cone.n))
                                                         for _ in range(restarts)]
    for z in starts:
        nz = np.linalg.norm(z)
        if nz < 1e-12:
            continue
        z = z / nz
        for _ in range(iters):
            p = cone.project(c * z - AtA @ z)
            np_ = np.linalg.norm(p)
            if np_ < 1e-14:
                break
            znew = p / np_
            if np.linalg.norm(znew - z) < 1e-13:
                z = znew
                break
            z = znew
        if not cone.contains(z, 1e-8):
            continue
        polish = getattr(cone, "face_minimiser", None)
        zf = polish(z, AtA) if polish is not None else None
        if zf is not None and np.linalg.norm(A @ zf) < np.linalg.norm(A @ z):
            z = zf  # exact on its face: the power iteration's tolerance no longer limits the upper end
        val = float(np.linalg.norm(A @ z))
        if val < best:
            best, best_z = val, z
    if best_z is None:
        raise RuntimeError("no feasible unit vector found in the cone (is it {0}?)")
    return best, best_z


def _sdp_lower(A: np.ndarray, desc: tuple[np.ndarray, np.ndarray, float], solver: str, max_iters: int | None,
               accuracy: float = 1e-3) -> tuple[float, str, np.ndarray | None, float, float]:
    """Dual Shor + RLT bound for the cone {E w : G w ≥ 0} = ``desc``, re-certified in float64.
    Returns (lower, status, rounding vector, λ_min of the slack, rounding margin)."""
    import cvxpy as cp

    from .dnn_certificate import gram_scale, rounding_margin, solve
    E, G, c_w = desc
    M = E.T @ (A.T @ A) @ E
    EtE = E.T @ E
    scale = gram_scale(M)
    tau = cp.Variable()
    q = G.shape[0]
    N = cp.Variable((q, q), symmetric=True)
    P = (M / scale) - tau * EtE - G.T @ N @ G
    prob = cp.Problem(cp.Maximize(tau), [(P + P.T) / 2 >> 0, N >= 0])
    status = solve(prob, solver, accuracy, max_iters)
    if status != "optimal" or tau.value is None or N.value is None:
        return float("nan"), status, None, float("nan"), float("nan")
    # Re-certify in float64 from whatever the solver returned.
    t = float(tau.value)
    Nv = np.maximum((N.value + N.value.T) / 2, 0.0)
    Pv = M / scale - t * EtE - G.T @ Nv @ G
    Pv = (Pv + Pv.T) / 2
    lam, vecs = np.linalg.eigh(Pv)
    lam_min = lam[0] - rounding_margin(lam, Pv.shape[0])
    low2 = (t + c_w * min(0.0, lam_min)) * scale
    # Rounding: the bottom eigenvector of the dual slack points at the primal minimiser.
    rounding = E @ vecs[:, 0]
    return float(np.sqrt(max(low2, 0.0))), "optimal", rounding, float(lam[0]), float(lam[0] - lam_min)


#: Lifted SDP size up to which "auto" uses Clarabel (accurate, but its dense KKT system makes it
#: ~15× slower than SCS from n ≈ 50: 91 s vs 3.5 s for the ℓ1 cone at n = 50, docs/numerics.md "Cone brackets").
CLARABEL_MAX_DIM = 30
#: The lower end's routes (see :func:`restricted_min_singular_value`).
ROUTES = ("auto", "dnn", "shor-rlt", "zspace")


def restricted_min_singular_value(A: Any, cone: Cone, *, solver: str = "auto", fallback: str | None = "auto",
                                  restarts: int = 20, iters: int = 500, seed: int | np.random.Generator = 0,
                                  lower: bool = True, max_iters: int | None = None,
                                  accuracy: float = 1e-3, route: str = "auto", target_gap: float = 1e-4,
                                  polish_seconds: float = 0.0) -> BracketResult:
    """Certified bracket on λ_min(A; C) = min{‖Az‖ : z ∈ C, ‖z‖ = 1} (THEORY.md §8).

    Parameters
    ----------
    A : m×n array or operator (assembled densely; cones here are for n up to a few hundred)
    cone : Cone
    solver, fallback : {"auto", "CLARABEL", "SCS"} or None
        cvxpy solver for the SDP and the one tried when the first does not return "optimal".
        "auto": Clarabel for SDPs of size ≤ :data:`CLARABEL_MAX_DIM`, SCS above (the other one as fallback).
    accuracy : float
        SCS eps_abs = eps_rel (the bound is re-certified, so accuracy trades gap for time).
    route : {"auto", "dnn", "shor-rlt", "zspace"}
        "dnn": the relaxation in doubly-nonnegative coordinates (:mod:`boundcalc.theory.dnn_certificate`;
        orthant and ℓ1 descent cone); "shor-rlt": the lifted form, for every cone with a lifted
        description; "zspace" (ℓ1 descent cone): a certificate AᵀA − τI − L ⪰ 0 with L nonnegative on C,
        of size n, sought by L-BFGS-B without an SDP solver (:mod:`boundcalc.theory.l1_certificate`;
        ``solver``/``accuracy`` unused, ``polish_seconds`` its time, :data:`ZSPACE_SECONDS` when 0).
        "auto": "dnn" where it exists.
    target_gap, polish_seconds : float
        With ``polish_seconds`` > 0 (route "dnn"), when the certified gap exceeds ``target_gap`` the
        certificate is polished at τ = upper²(1 − 1.9·target_gap) for at most that many seconds
        (the lower end then reaches ≈ upper·(1 − 0.95·target_gap) if a PSD slack is found).
    lower : bool
        Compute the lower end (False: upper bound only; ``lower`` is then nan, status "not computed").
    max_iters : int, optional
        Iteration cap passed to the solver (a failure path for tests).

    Examples
    --------
    >>> import numpy as np
    >>> from boundcalc.theory.cones import NonnegativeOrthant
    >>> res = bc.restricted_min_singular_value(np.diag([2.0, 1.0, 3.0]), NonnegativeOrthant(3))
    >>> round(res.lower, 6), round(res.upper, 6)
    (1.0, 1.0)
    """
    from .dnn_certificate import TARGET_SLACK, certify, estimate_cost, gram_scale, polish, scs_dual, target_tau
    t0 = time.perf_counter()
    A = as_operator(A)
    A = np.asarray(A if isinstance(A, np.ndarray) else A @ np.eye(A.shape[1]), dtype=float)
    if A.shape[1] != cone.n:
        raise ValueError(f"cone: dimension {cone.n} must equal the number of columns of A, {A.shape[1]}")
    if solver not in ("auto", "CLARABEL", "SCS") or fallback not in (None, "auto", "CLARABEL", "SCS"):
        raise ValueError("solver/fallback must be 'auto', 'CLARABEL' or 'SCS' (fallback may be None)")
    if route not in ROUTES:
        raise ValueError(f"route must be one of {', '.join(map(repr, ROUTES))}, not {route!r}")
    target_gap = positive_float(target_gap, "target_gap")
    polish_seconds = float(polish_seconds)
    if not np.isfinite(polish_seconds) or polish_seconds < 0:
        raise ValueError(f"polish_seconds must be a finite number >= 0, not {polish_seconds}")
    form, desc, dim = _relaxation(cone, route)
    if route == "zspace":
        return _zspace_bracket(A, cone, as_rng(seed), restarts, iters, lower, target_gap, polish_seconds, t0)
    if lower:
        require_memory(estimate_cost(dim)[1], f"the λ_min certificate (SDP of size {dim})")
    if solver == "auto":
        solver = "CLARABEL" if dim <= CLARABEL_MAX_DIM else "SCS"
    if fallback == "auto":
        fallback = "SCS" if solver == "CLARABEL" else "CLARABEL"
    rng = as_rng(seed)
    note = "estimate from above of λ_min over the true chord cone (sampled inner approximation)" \
        if getattr(cone, "inner_approximation", False) else ""
    if isinstance(cone, Subspace):
        AU = A @ cone.U
        s = scipy.linalg.svd(AU)
        val = float(s[1][-1]) if AU.shape[0] >= AU.shape[1] else 0.0
        z = cone.U @ s[2][-1]
        return BracketResult(val, val, 0.0, "exact: σ_min(AU)", "LAPACK", "optimal",
                             time.perf_counter() - t0, z / np.linalg.norm(z), note, "exact", 0.0, 0.0)
    low, status, used, rounding = float("nan"), "not computed", "none", None
    lam_cert, margin, used_route = float("nan"), float("nan"), ""
    AtA = A.T @ A
    if lower and form is not None:
        tau = N = None
        failures = []
        for name in dict.fromkeys([solver] + ([fallback] if fallback else [])):
            tau, N, st = scs_dual(AtA, form, accuracy, max_iters, name)
            if st == "optimal":
                used, status = name, "optimal"
                break
            failures.append(f"{name}: {st}")
        if tau is None:
            status = "; ".join(failures)
        else:
            low, lam_cert, margin, rounding = certify(AtA, form, tau, N)
            used_route = "dnn"
    elif lower and desc is not None:
        low, status, rounding, lam_cert, margin = _sdp_lower(A, desc, solver, max_iters, accuracy)
        used, used_route = solver, "shor-rlt"
        if status != "optimal" and fallback is not None and fallback != solver:
            got = _sdp_lower(A, desc, fallback, max_iters, accuracy)
            if got[1] == "optimal":
                low, status, rounding, lam_cert, margin = got
                used = fallback
            else:
                status = f"{solver}: {status}; {fallback}: {got[1]}"
    extra = [] if rounding is None else [rounding, -rounding]
    up, z = _upper_bound(A, cone, rng, restarts, iters, extra)
    method = ("DNN relaxation (Shor + RLT in doubly-nonnegative coordinates, dual, re-certified)"
              if used_route == "dnn" else "Shor SDP + RLT cuts (dual, re-certified)") + " / projected power iteration"
    if (form is not None and np.isfinite(low) and polish_seconds > 0 and up > 0
            and (up - low) / up > target_gap):
        tau_t = target_tau(up ** 2 / gram_scale(AtA), target_gap)[0]
        N1, evals, psd = polish(AtA, form, tau_t, N, seconds=polish_seconds)
        low1, lam1, margin1, _ = certify(AtA, form, tau_t, N1)
        if low1 > low:
            low, lam_cert, margin, used_route = low1, lam1, margin1, "dnn+polish"
            method += (f"; certificate polished at τ = upper²(1 − {TARGET_SLACK * target_gap:.2g}) "
                       f"({evals} eigendecompositions)")
    trivial = universal_lower_bound(A)
    if lower and desc is None and form is None:
        low, status, used, used_route = trivial, "optimal (no SDP description: lower = σ_n(A))", "LAPACK", "sigma_n"
        method = "σ_n(A) / projected power iteration"
    elif np.isfinite(low):
        low = max(low, trivial)
    if np.isfinite(low):
        # A certified lower end above a feasible upper end is a bug, not rounding: refuse to report.
        if low > up * (1 + 1e-7) + 1e-12:
            raise RuntimeError(f"λ_min bracket inconsistent: certified lower {low:.10g} > feasible upper {up:.10g}")
        low = min(low, up)  # equal up to rounding when the relaxation is tight
    gap = (up - low) / up if np.isfinite(low) and up > 0 else float("nan")
    return BracketResult(low, up, gap, method, used, status, time.perf_counter() - t0, z, note, used_route,
                         lam_cert, margin)


#: Seconds the "zspace" route searches for its certificate when ``polish_seconds`` is 0.
ZSPACE_SECONDS = 60.0


def zspace_seconds(polish_seconds: float) -> float:
    """The time route "zspace" searches for: ``polish_seconds``, or :data:`ZSPACE_SECONDS` when it is 0."""
    return polish_seconds if polish_seconds > 0 else ZSPACE_SECONDS


def _zspace_bracket(A: np.ndarray, cone: Cone, rng: np.random.Generator, restarts: int, iters: int,
                    lower: bool, target_gap: float, seconds: float, t0: float) -> BracketResult:
    """Route "zspace" (ℓ1 descent cone): a certificate in the cone's n coordinates
    (:mod:`boundcalc.theory.l1_certificate`), no SDP solver. Stages at gap 1e-2 and then the target; after
    each the upper end is refreshed from the certificate's bottom eigenvector, because a target above the
    true λ_min² (an upper end found too high) has no certificate (measured: n = 200 stalled at 3.5e-3
    against an upper end 0.27 % too high, and certified 8.7e-4 once it was lowered)."""
    from .l1_certificate import certify, search
    up, z = _upper_bound(A, cone, rng, restarts, iters, [])
    method = "ℓ1 certificate in n coordinates (AᵀA − τI − L ⪰ 0, L ≥ 0 on C; L-BFGS-B, re-certified)"
    if not lower:
        return BracketResult(float("nan"), up, float("nan"), method + " / projected power iteration", "none",
                             "not computed", time.perf_counter() - t0, z, "", "zspace")
    AtA = A.T @ A
    deadline = time.perf_counter() + zspace_seconds(seconds)
    low, lam, margin, evals, log = 0.0, float("nan"), float("nan"), 0, []
    cert = None
    for g in ([1e-2] if target_gap < 1e-2 else []) + [target_gap]:
        left = deadline - time.perf_counter()
        if left <= 0:
            log.append(f"gap {g:.1e}: no time left")
            break
        # each stage starts where the last one's best certificate left off
        got_cert, _, n_evals, reached = search(AtA, cone, up, target_gap=g, seconds=left, start=cert)
        evals += n_evals
        log.append(f"gap {g:.1e}: {'reached' if reached else 'not reached'}")
        if got_cert is None:
            continue
        cert = got_cert
        got, lam_k, margin_k, rounding = certify(AtA, cone, cert)
        if got > low:
            low, lam, margin = got, lam_k, margin_k
        up2, z2 = _upper_bound(A, cone, rng, 0, iters, [rounding, -rounding])
        if up2 < up:
            log[-1] += f", upper end lowered by {(up - up2) / up:.1e}"
            up, z = up2, z2
    low = max(low, universal_lower_bound(A))
    if low > up * (1 + 1e-7) + 1e-12:
        raise RuntimeError(f"λ_min bracket inconsistent: certified lower {low:.10g} > feasible upper {up:.10g}")
    low = min(low, up)
    gap = (up - low) / up if up > 0 else float("nan")
    method += f" ({evals} eigendecompositions; {'; '.join(log)}) / projected power iteration"
    return BracketResult(low, up, gap, method, "L-BFGS-B", "optimal", time.perf_counter() - t0, z, "", "zspace",
                         lam, margin)


def _relaxation(cone: Cone, route: str) -> tuple[Any, tuple[np.ndarray, np.ndarray, float] | None, int]:
    """(DNN form or None, lifted description or None, SDP size) of the relaxation ``route`` uses."""
    from .dnn_certificate import dnn_form
    if route == "zspace":
        if not isinstance(cone, L1DescentCone):
            raise ValueError(f"route 'zspace' is for the ℓ1 descent cone, not {cone.name!r}")
        return None, None, cone.n
    form = dnn_form(cone) if route in ("auto", "dnn") else None
    if route == "dnn" and form is None:
        raise ValueError(f"route 'dnn' is for the orthant and the ℓ1 descent cone, not {cone.name!r}")
    desc = None if form is not None else cone.lifted()
    return form, desc, form.dim if form is not None else (desc[0].shape[1] if desc is not None else 0)


def certificate_size(cone: Cone, route: str = "auto") -> tuple[int, float, int]:
    """(SDP size, estimated seconds, bytes) of the lower end's relaxation: to say before it starts.
    Route "zspace" runs for the time it is given: seconds 0 here, bytes those of L-BFGS-B's memory."""
    from .dnn_certificate import estimate_cost
    dim = _relaxation(cone, route)[2]
    if route == "zspace":
        r = cone.n - cone.s
        return dim, 0.0, int(8 * (25 * r * r + 8 * dim * dim))  # ~12 vectors of r²/2 (L-BFGS-B), n×n matrices
    return (dim, *estimate_cost(dim))


def universal_lower_bound(A: Any) -> float:
    """σ_n(A) (0 when m < n): λ_min(A; C) ≥ σ_n(A) for every cone C, with no solver involved."""
    return spectrum(as_finite_array(A, "A", ndim=2)).sigma_n


def l1_kernel_test(A: Any, x: Any) -> tuple[bool, np.ndarray | None, float]:
    """Does ker(A) meet the ℓ1 descent cone at x (λ_min = 0)? The LP (HiGHS)
    min sgᵀz_S + ‖z_{S^c}‖₁ s.t. Az = 0, ‖z‖_∞ ≤ 1 has a negative value exactly when a kernel
    direction lies in the interior-side of the cone; returns (found, witness, LP value)."""
    A = np.asarray(as_operator(A), float)
    cone = L1DescentCone(x)
    n, S, O = cone.n, cone.support, cone.off
    # variables (z, t), t ≥ |z_{S^c}|
    q = O.size
    c = np.concatenate([np.zeros(n), np.ones(q)])
    c[S] = cone.sign
    A_ub = np.zeros((2 * q, n + q))
    for j, i in enumerate(O):
        A_ub[2 * j, i], A_ub[2 * j, n + j] = 1.0, -1.0
        A_ub[2 * j + 1, i], A_ub[2 * j + 1, n + j] = -1.0, -1.0
    A_eq = np.hstack([A, np.zeros((A.shape[0], q))])
    bounds = [(-1, 1)] * n + [(0, 1)] * q
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(2 * q), A_eq=A_eq, b_eq=np.zeros(A.shape[0]), bounds=bounds,
                  method="highs")
    if res.status != 0:
        raise RuntimeError(f"l1_kernel_test: LP failed ({res.message}); no decision is reported")
    found = res.fun < -1e-9
    return bool(found), (res.x[:n] / np.linalg.norm(res.x[:n]) if found else None), float(res.fun)


# ----------------------------------------------------------------------------- conic geometry

@dataclass(frozen=True, repr=False)
class StatDimResult(Result):
    """δ(C) with its method; ``stderr`` for Monte-Carlo, ``bracket`` for the ℓ1 closed form."""

    delta: float
    method: str
    stderr: float = 0.0
    bracket: tuple[float, float] = (float("nan"), float("nan"))
    samples: int = 0


def _psi(rho: float) -> float:
    """ψ(ρ) = inf_{τ≥0} of FORMULAS["psi_objective"] (ALMT; McCoy's SNOW code)."""
    from scipy.optimize import minimize_scalar

    from ..formulas import FORMULAS

    def F(tau):
        return FORMULAS["psi_objective"](rho=rho, tau=float(tau))

    # F is convex in τ; its stationarity condition is monotone, bracket generously.
    res = minimize_scalar(F, bounds=(0.0, 40.0), method="bounded", options={"xatol": 1e-12})
    if not res.success:
        raise RuntimeError(f"ψ(ρ = {rho}): the minimisation over τ did not converge ({res.message})")
    return float(min(res.fun, F(0.0)))


def l1_statistical_dimension(n: int, s: int) -> StatDimResult:
    """δ of the ℓ1 descent cone at an s-sparse x in R^n: ``delta`` is ALMT's **upper bound**
    nψ(s/n) and ``bracket`` = [nψ − 2√(n/s), nψ] holds δ (THEORY.md §8)."""
    n, s = positive_int(n, "n"), positive_int(s, "s")
    if s > n:
        raise ValueError(f"s must be <= n, got s = {s}, n = {n}")
    from ..formulas import FORMULAS
    psi = _psi(s / n)
    d = n * psi
    # A statistical dimension lies in [0, n]: ALMT's lower end is clipped at 0 (it is negative for
    # small n/s, where it says nothing).
    low = max(0.0, float(FORMULAS["l1_statdim_lower"](n=float(n), s=float(s), psi=psi)))
    return StatDimResult(min(d, float(n)), "almt-bound: ALMT upper bound nψ(s/n); δ lies in the bracket "
                         "[max(0, nψ − 2√(n/s)), nψ] (ALMT 2014)", 0.0, (low, min(float(d), float(n))))


def statistical_dimension(cone: Cone, method: str = "exact", *, samples: int = 2000,
                          seed: int | np.random.Generator = 0) -> StatDimResult:
    """δ(C) = E‖Π_C(g)‖², g ~ N(0, I_n).

    Methods are named for what they compute: ``"closed-form"`` (``"exact"`` is the same) — dim for a
    subspace, n/2 for the orthant, exact values; ``"almt-bound"`` — the ℓ1 descent cone's ALMT upper
    bound nψ(s/n) with its bracket (not an exact value); ``"montecarlo"`` — the sample mean with its
    standard error, for any cone.

    Examples
    --------
    >>> from boundcalc.theory.cones import NonnegativeOrthant
    >>> bc.statistical_dimension(NonnegativeOrthant(10)).delta
    5.0
    """
    if method in ("exact", "closed-form"):
        if isinstance(cone, Subspace):
            return StatDimResult(float(cone.U.shape[1]), "closed-form: the dimension")
        if isinstance(cone, NonnegativeOrthant):
            return StatDimResult(cone.n / 2, "closed-form: n/2")
        if isinstance(cone, L1DescentCone):
            raise ValueError("method: the ℓ1 descent cone has no closed-form statistical dimension; "
                             "method='almt-bound' gives ALMT's bracket, 'montecarlo' an estimate")
        raise ValueError(f"no closed-form statistical dimension for {type(cone).__name__}; use method='montecarlo'")
    if method == "almt-bound":
        if not isinstance(cone, L1DescentCone):
            raise ValueError(f"method='almt-bound' is for the ℓ1 descent cone, got {type(cone).__name__}")
        return l1_statistical_dimension(cone.n, cone.s)
    if method != "montecarlo":
        raise ValueError(f"method must be 'closed-form', 'almt-bound' or 'montecarlo', got {method!r}")
    vals = _projected_gaussian_norms(cone, samples, seed) ** 2
    return StatDimResult(float(vals.mean()), "Monte-Carlo E‖Π_C(g)‖²", float(vals.std(ddof=1) / np.sqrt(samples)),
                         samples=samples)


def gaussian_width(cone: Cone, *, samples: int = 2000, seed: int | np.random.Generator = 0) -> tuple[float, float]:
    """w(C) = E sup_{z ∈ C, ‖z‖ ≤ 1} ⟨g, z⟩ = E‖Π_C(g)‖ by Monte-Carlo: (mean, standard error)."""
    vals = _projected_gaussian_norms(cone, samples, seed)
    return float(vals.mean()), float(vals.std(ddof=1) / np.sqrt(samples))


def _projected_gaussian_norms(cone: Cone, samples: int, seed: int | np.random.Generator) -> np.ndarray:
    """‖Π_C(g_i)‖ for ``samples`` draws g_i ~ N(0, I_n), one draw in memory at a time."""
    rng = as_rng(seed)
    samples = positive_int(samples, "samples", minimum=2)
    # A draw, its projection and the projection's work arrays: a few n-vectors at once.
    require_memory(float_bytes(8 * cone.n, samples), f"Monte-Carlo over a cone in R^{cone.n}")
    return np.array([np.linalg.norm(cone.project(rng.standard_normal(cone.n))) for _ in range(samples)])


@dataclass(frozen=True, repr=False)
class GordonResult(Result):
    """Gordon's prediction for A = G/√m, G iid N(0, 1) (THEORY.md §8): λ_min(A; C) ≥ ``lower`` =
    (√(m−1) − w_hi − t)/√m, where w_hi = ŵ + z·se is the upper ``confidence`` end of the Monte-Carlo
    width estimate ŵ ± se (w_hi = w when the width is given exactly). The statement holds with
    probability ≥ ``probability`` = 1 − e^{−t²/2} − (1 − confidence) (union bound over the draw of A
    and the Monte-Carlo error); ``mean_lower`` = (E‖g_m‖ − w_hi)/√m; the phase transition is near
    m ≈ δ(C)."""

    lower: float
    probability: float
    mean_lower: float
    width: float
    delta: float
    m: int
    t: float
    width_stderr: float = 0.0
    width_used: float = float("nan")
    confidence: float = 1.0


def gordon_lower_bound(cone: Cone, m: int, *, t: float = 2.0, width: float | None = None,
                       delta: float | None = None, samples: int = 2000, seed: int = 0,
                       confidence: float = 0.99) -> GordonResult:
    """Sample bound on λ_min(A; C) for Gaussian A = G/√m (THEORY.md §8), using the upper confidence
    end of the Monte-Carlo Gaussian width (an exact ``width`` is used as given)."""
    from scipy.stats import norm

    from ..formulas import evaluate_many
    m = positive_int(m, "m", minimum=2)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if width is None:
        width, stderr = gaussian_width(cone, samples=samples, seed=seed)
        w_hi, conf = width + float(norm.ppf(confidence)) * stderr, confidence
    else:
        width, stderr = positive_float(width, "width", allow_zero=True), 0.0
        w_hi, conf = width, 1.0
    if delta is None:
        if isinstance(cone, (Subspace, NonnegativeOrthant)):
            delta = statistical_dimension(cone, "closed-form").delta
        elif isinstance(cone, L1DescentCone):
            delta = statistical_dimension(cone, "almt-bound").delta
        else:
            delta = statistical_dimension(cone, "montecarlo", samples=samples, seed=seed).delta
    v = evaluate_many(["gordon_lower", "gordon_mean", "gordon_probability"], {"m": float(m), "w": w_hi, "t": t})
    # A probability lives in [0, 1]: a bound ≤ 0 (small t) is reported as 0, vacuous but in range.
    return GordonResult(max(v["gordon_lower"], 0.0), max(v["gordon_probability"] - (1 - conf), 0.0),
                        max((v["gordon_mean"] - w_hi) / np.sqrt(m), 0.0), width, delta, m, t, stderr, w_hi, conf)
