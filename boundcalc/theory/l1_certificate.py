"""Certified lower ends of λ_min(A; C) over the ℓ1 descent cone in the cone's own n coordinates (THEORY.md §8).

With S = supp x, sg = sign x_S, r = |S^c|, κ(z) = sgᵀz_S and d = z_{S^c}, take the quadratic form

    zᵀLz = ℓκ² + 2κ·βᵀd + dᵀL_oo d,      L = [[ℓ·sg sgᵀ, sg βᵀ], [β sgᵀ, L_oo]]  (in the order S, S^c).

Through the cone's generators (:func:`boundcalc.theory.dnn_certificate.l1_descent_form`, z = T w′ with
w′ = (u, c, a, b), a = d₋, b = d₊ for the canonical lift) zᵀLz = w′ᵀ(TᵀLT)w′, and the entries of N = TᵀLT
on the nonnegative block are

    N_cc = ℓs,  N_{c,a_j} = √s(ℓ + β_j),  N_{c,b_j} = √s(ℓ − β_j),
    N_{a_i a_j} = ℓ + β_i + β_j + L_ij,  N_{b_i b_j} = ℓ − β_i − β_j + L_ij,  N_{a_i b_j} = ℓ + β_i − β_j − L_ij,

while N vanishes on the free coordinates u. So zᵀLz ≥ 0 on C as soon as

    ℓ ≥ |β_j|,   |β_i + β_j| − ℓ ≤ L_ij ≤ ℓ − |β_i − β_j|  (i ≠ j),   L_ii ≥ 2|β_i| − ℓ

(N_{a_i b_i} needs no sign: the canonical lift has a_i b_i = 0). These are the four joint probabilities of
two ±1 variables with means β/ℓ and correlation L/ℓ.

**Certificate.** If K = AᵀA − τI − L then for every unit z ∈ C, ‖Az‖² − τ = zᵀKz + zᵀLz ≥ λ_min(K), so
λ_min(A; C)² ≥ τ + min(0, λ_min(K) − margin). This is the doubly-nonnegative relaxation with N restricted
to N·null(T) = 0: an SDP of size n instead of 2n − s, with no degenerate null directions. On the instances
measured it loses nothing against the full DNN (docs/THEORY_NOTES.md).

**Search.** At τ = upper² (``SEARCH_SLACK`` = 0) a (ℓ, β, L) with τ + λ_min(K) ≥ upper²(1 − gap)² — that is
λ_min(AᵀA − L) ≥ upper²(1 − gap)², whatever τ is — is sought by minimising ‖Π₋(K)‖²_F with
L-BFGS-B over ℓ = ℓ₀ν (ν ≥ 0), β = ℓψ (ψ ∈ [−1, 1]^r), off-diagonal L_ij = lo_ij + t_ij(hi_ij − lo_ij)
(t ∈ [0, 1]) and L_ii = lo_ii + ℓ₀e_i (e ≥ 0): every point of the box is a valid L, so any iterate certifies
something, and the best certificate met (a stalled last iterate included) is kept. The certificate's
bottom eigenvector points at the minimiser: route "zspace" searches at gap 1e-2 first, lowers the
upper end from that direction, then searches at the target from the first stage's certificate, since
a target above the true λ_min² (an upper end found too high) has no certificate. No SDP solver is
involved: each step computes the eigenpairs of K below zero
(:func:`~boundcalc.theory.dnn_certificate.negative_eigenpairs`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.optimize

from .._core import as_finite_array
from .dnn_certificate import (
    gram_scale,
    minimise_negative_part,
    negative_eigenpairs,
    negative_part,
    rounding_margin,
    sym_from_upper,
    target_tau,
)

#: The search's τ sits this many gaps below upper². Searching at upper² itself took 17 % (target 1e-2) and
#: 22 % (3e-3) fewer steps than at 1 − 1.9·gap, the DNN polish's setting (n = 200, docs/THEORY_NOTES.md):
#: the stop rule λ_min(AᵀA − L) ≥ upper²(1 − gap)² does not depend on τ, and a τ beyond reach keeps the
#: gradient from vanishing before the rule is met.
SEARCH_SLACK = 0.0

__all__ = ["ZCertificate", "nonneg_bounds", "clip_to_bounds", "assemble", "certify", "search", "solve_sdp",
           "useful_box", "residual_bound", "relaxation_ceiling", "solve_ceiling"]


@dataclass(frozen=True)
class ZCertificate:
    """(τ, ℓ, β, L_oo): a certificate candidate, τ and the entries in units of max|AᵀA| (``gram_scale``)."""

    tau: float
    ell: float
    beta: np.ndarray
    L: np.ndarray


def _parts(cone: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not all(hasattr(cone, a) for a in ("support", "off", "sign")):
        raise TypeError(f"cone must be an L1DescentCone (support, off, sign), not {type(cone).__name__}")
    return cone.support, cone.off, np.asarray(cone.sign, float)


def _ordered_gram(AtA: np.ndarray, cone: Any) -> tuple[np.ndarray, np.ndarray, float]:
    """(AᵀA in the order perm = (S, S^c) and units of max|AᵀA|, perm, that unit): the frame every
    certificate, search and SDP here works in."""
    S, O, _ = _parts(cone)
    perm = np.concatenate([S, O])
    scale = gram_scale(AtA)
    return AtA[np.ix_(perm, perm)] / scale, perm, scale


def nonneg_bounds(ell: float, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) with lo = |β_i + β_j| − ℓ, hi = ℓ − |β_i − β_j| (+∞ on the diagonal): given ℓ ≥ max|β|,
    TᵀLT ≥ 0 off the a_i b_i entries iff lo ≤ L_oo ≤ hi entrywise, and then zᵀLz ≥ 0 on C (a sufficient
    condition: nonnegativity on C alone is weaker)."""
    lo = np.abs(beta[:, None] + beta[None, :]) - ell
    hi = ell - np.abs(beta[:, None] - beta[None, :])
    # hi − lo = 2(ℓ − max(|β_i|, |β_j|)) ≥ 0 exactly; in float64 it can come out −2e-19 when ℓ = max|β|, which
    # L-BFGS-B refuses as an empty box. The certificate is re-checked in float64 (entries ≥ −6·eps·ℓ), so the
    # rounding excess is absorbed there.
    hi = np.maximum(hi, lo)
    np.fill_diagonal(hi, np.inf)
    return lo, hi


def clip_to_bounds(cert: ZCertificate) -> ZCertificate:
    """The nearest valid form: ℓ raised to max|β|, L_oo symmetrised and clipped into [lo, hi]."""
    beta = np.asarray(cert.beta, float)
    ell = max(float(cert.ell), float(np.abs(beta).max()) if beta.size else 0.0, 0.0)
    L = (np.asarray(cert.L, float) + np.asarray(cert.L, float).T) / 2
    lo, hi = nonneg_bounds(ell, beta)
    return ZCertificate(float(cert.tau), ell, beta, np.clip(L, lo, hi))


def assemble(cone: Any, ell: float, beta: np.ndarray, L: np.ndarray) -> np.ndarray:
    """The n×n matrix L = [[ℓ·sg sgᵀ, sg βᵀ], [β sgᵀ, L_oo]] in the cone's original coordinate order."""
    S, O, sg = _parts(cone)
    n = S.size + O.size
    out = np.zeros((n, n))
    out[np.ix_(S, S)] = ell * np.outer(sg, sg)
    out[np.ix_(S, O)] = np.outer(sg, beta)
    out[np.ix_(O, S)] = np.outer(beta, sg)
    out[np.ix_(O, O)] = L
    return out


def certify(AtA: np.ndarray, cone: Any, cert: ZCertificate) -> tuple[float, float, float, np.ndarray]:
    """(lower, λ_min(K), margin, z): the float64 certificate of any (τ, ℓ, β, L_oo), after
    :func:`clip_to_bounds`; z is the bottom eigenvector of K (it points at the minimiser).

    lower² = (τ + min(0, λ_min(K) − margin) − 12·r·eps·ℓ)·scale. The last term covers rounding in the
    bounds lo/hi: each entry of N is then ≥ −6·eps·ℓ, and Σ_k w′_k ≤ √(2r+1)·‖w′‖ ≤ √(2r+1) for the
    canonical lift of a unit z (c_w = 1).
    """
    c = clip_to_bounds(cert)
    scale = gram_scale(AtA)
    K = AtA / scale - c.tau * np.eye(AtA.shape[0]) - assemble(cone, c.ell, c.beta, c.L)
    lam, vecs = np.linalg.eigh((K + K.T) / 2)
    margin = rounding_margin(lam, K.shape[0])
    r = c.beta.size
    low2 = (c.tau + min(0.0, float(lam[0]) - margin) - 12 * (2 * r + 1) * np.finfo(float).eps * c.ell) * scale
    return float(np.sqrt(max(low2, 0.0))), float(lam[0]), margin, vecs[:, 0]


def _minus_support_blocks(X0: np.ndarray, s: int, sg: np.ndarray, ell: float, beta: np.ndarray) -> np.ndarray:
    """X0 − [[ℓ·sg sgᵀ, sg βᵀ], [β sgᵀ, 0]] in the order (S, S^c): the part of L that L_oo leaves out."""
    X = X0.copy()
    X[:s, :s] -= ell * np.outer(sg, sg)
    X[:s, s:] -= np.outer(sg, beta)
    X[s:, :s] -= np.outer(beta, sg)
    return X


def _stage(X0: np.ndarray, s: int, sg: np.ndarray, tau: float, need: float, x0: np.ndarray, ell0: float,
           deadline: float, max_evals: int) -> tuple[np.ndarray | None, np.ndarray, int]:
    """L-BFGS-B on ‖Π₋(K)‖² in the box parametrisation; stops when τ + λ_min(K) ≥ need.
    Returns (point reaching need or None, last point, evaluations)."""
    n = X0.shape[0]
    r = n - s
    iu = np.triu_indices(r, 1)
    nt = iu[0].size
    state: dict[str, Any] = {"evals": 0, "hit": None, "last": x0}

    class _Stop(Exception):
        pass

    def f(x):
        state["evals"] += 1
        state["last"] = x
        ell, psi, T, P, M, L = _box_to_form(x, ell0, r)
        X = _minus_support_blocks(X0, s, sg, ell, ell * psi)
        X[s:, s:] -= L
        lam0, lam, V = negative_eigenpairs(X)
        if tau + lam0 >= need:
            state["hit"] = x.copy()
            raise _Stop
        if state["evals"] >= max_evals or time.perf_counter() > deadline:
            raise _Stop
        Gm = -2.0 * negative_part(lam, V)  # ∂f/∂(entries of L), f = Σ λ₋²
        Gs, Gso, Goo = Gm[:s, :s], Gm[:s, s:], Gm[s:, s:]
        gso = sg @ Gso
        off = Goo.copy()
        np.fill_diagonal(off, 0.0)
        dell = sg @ Gs @ sg + 2 * gso @ psi + np.sum(off * L) / max(ell, 1e-300) \
            + np.diag(Goo) @ (2 * np.abs(psi) - 1)
        D = (1 - T) * np.sign(P) - T * np.sign(M)
        np.fill_diagonal(D, 0.0)
        dpsi = ell * (2 * np.sum(Goo * D, axis=1) + 2 * np.diag(Goo) * np.sign(psi) + 2 * gso)
        dt = 2 * Goo[iu] * ell * (2 - np.abs(P[iu]) - np.abs(M[iu]))
        de = np.diag(Goo) * ell0
        return float(np.sum(lam ** 2)), np.concatenate([[dell * ell0], dpsi, dt, de])

    bounds = [(0.0, None)] + [(-1.0, 1.0)] * r + [(0.0, 1.0)] * nt + [(0.0, None)] * r
    try:
        # |ψ_i ± ψ_j| has kinks where L-BFGS-B's line search can fail; a restart from there failed at once
        # too (n = 8, "ties": 409 evaluations, then 0), so the convex stage (_finish) takes over instead
        scipy.optimize.minimize(f, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                                options={"maxiter": max_evals, "ftol": 0.0, "gtol": 0.0, "maxcor": 10})
    except _Stop:
        pass
    return state["hit"], state["last"], state["evals"]


def _finish(X0: np.ndarray, s: int, sg: np.ndarray, tau: float, need: float, cert: ZCertificate,
            deadline: float, max_evals: int) -> tuple[ZCertificate | None, ZCertificate, int]:
    """With (ℓ, β) fixed the problem in L_oo alone is convex with box bounds [lo, hi]
    (:func:`~boundcalc.theory.dnn_certificate.minimise_negative_part`), from ``cert``.
    Returns (certificate reaching need or None, the best one met, evaluations)."""
    c = clip_to_bounds(cert)
    r = c.beta.size
    iu = np.triu_indices(r)
    lo, hi = nonneg_bounds(c.ell, c.beta)
    hit, best, evals = minimise_negative_part(_minus_support_blocks(X0, s, sg, c.ell, c.beta), s, c.L[iu],
                                              lo[iu], hi[iu], lambda lam0: tau + lam0 >= need,
                                              deadline=deadline, max_evals=max_evals)

    def done(v):
        return ZCertificate(tau, c.ell, c.beta, sym_from_upper(v, iu, r))
    return (None if hit is None else done(hit)), done(best), evals


def _to_box(cert: ZCertificate, ell0: float) -> np.ndarray:
    c = clip_to_bounds(cert)
    r = c.beta.size
    psi = c.beta / c.ell if c.ell > 0 else np.zeros(r)  # β = ℓψ
    lo, hi = nonneg_bounds(c.ell, c.beta)
    iu = np.triu_indices(r, 1)
    width = (hi - lo)[iu]
    t = np.where(width > 0, (c.L[iu] - lo[iu]) / np.where(width > 0, width, 1.0), 0.5)
    e = (np.diag(c.L) - np.diag(lo)) / ell0
    return np.concatenate([[c.ell / ell0], np.clip(psi, -1, 1), np.clip(t, 0, 1), np.maximum(e, 0)])


def _box_to_form(x: np.ndarray, ell0: float, r: int) -> tuple[float, np.ndarray, np.ndarray, np.ndarray,
                                                              np.ndarray, np.ndarray]:
    """(ℓ, ψ, T, P = ψ_i + ψ_j, M = ψ_i − ψ_j, L_oo) from the box variables x = (ν, ψ, t, e):
    L_ij = lo_ij + t_ij(hi_ij − lo_ij) = ℓ((1 − t)|P| − t|M| − 1 + 2t), L_ii = ℓ(2|ψ_i| − 1) + ℓ₀e_i."""
    iu = np.triu_indices(r, 1)
    nt = iu[0].size
    ell, psi = x[0] * ell0, x[1:1 + r]
    T = np.zeros((r, r))
    T[iu] = x[1 + r:1 + r + nt]
    T = T + T.T
    P, M = psi[:, None] + psi[None, :], psi[:, None] - psi[None, :]
    L = ell * ((1 - T) * np.abs(P) - T * np.abs(M) - 1 + 2 * T)
    np.fill_diagonal(L, ell * (2 * np.abs(psi) - 1) + ell0 * x[1 + r + nt:])
    return ell, psi, T, P, M, L


def _from_box(x: np.ndarray, tau: float, ell0: float, r: int) -> ZCertificate:
    ell, psi, _, _, _, L = _box_to_form(x, ell0, r)
    return ZCertificate(tau, ell, ell * psi, L)


def search(AtA: np.ndarray, cone: Any, upper: float, *, target_gap: float = 1e-3, seconds: float = 60.0,
           max_evals: int = 100_000, start: ZCertificate | None = None, slack: float = SEARCH_SLACK) \
        -> tuple[ZCertificate | None, float, int, bool]:
    """Seek a certificate that λ_min(A; C) ≥ upper·(1 − target_gap) (see the module docstring).

    At τ = upper²(1 − slack·target_gap), from ``start`` (an earlier stage's certificate) or else
    from L = 0 (the middle of every box), the joint search stops once
    τ + λ_min(K) ≥ upper²(1 − target_gap)²; if it stalls, a convex search in L_oo alone follows at the ℓ
    and β reached. Returns (best certificate met, its certified lower end, evaluations, target reached);
    every candidate goes through :func:`certify`, and β, L_oo are indexed like ``cone.off``. A target
    above the true λ_min² (an upper end that is too high) cannot be reached: refresh the upper end from
    the certificate's bottom eigenvector and search again (what route "zspace" does).
    """
    from threadpoolctl import threadpool_limits
    S, O, sg = _parts(cone)
    s, r = S.size, O.size
    Gp, _, scale = _ordered_gram(AtA, cone)
    up2 = upper ** 2 / scale
    tau, need = target_tau(up2, target_gap, slack)
    deadline = time.perf_counter() + seconds
    X0 = Gp - tau * np.eye(s + r)
    if start is not None and (np.shape(start.beta) != (r,) or np.shape(start.L) != (r, r)):
        raise ValueError(f"start must have β of length {r} and L_oo of shape ({r}, {r}) (|S^c| of the cone)")
    # One BLAS thread: L-BFGS-B's and NumPy's OpenBLAS pools otherwise contend for the cores (3.7× slower,
    # measured). With τ at upper² stages differ only in their stop rule (and in τ where the upper end came
    # down), so a warm start continues the last stage; at τ = upper²(1 − 1.9·gap) it had cost more steps.
    # A warm start can stall on the kinks of |ψ_i ± ψ_j| (measured on the tests' "s=2 of 8": 299 steps, stuck
    # at a gap of 9e-3 that a cold start takes to 1e-3); a cold start then follows in the time left.
    starts = ([start] if start is not None else []) + [ZCertificate(tau, up2, np.zeros(r), np.zeros((r, r)))]
    cands, evals, reached = [], 0, False
    with threadpool_limits(limits=1):
        for st in starts:
            if reached or time.perf_counter() >= deadline:
                break
            hit, last, k = _stage(X0, s, sg, tau, need, _to_box(st, up2), up2, deadline, max_evals - evals)
            evals += k
            cands += [_from_box(np.asarray(x), tau, up2, r) for x in ([hit] if hit is not None else []) + [last]]
            reached = hit is not None
        if not reached and time.perf_counter() < deadline:
            fin_hit, fin, k = _finish(X0, s, sg, tau, need, cands[-1], deadline, max_evals - evals)
            evals += k
            reached = fin_hit is not None
            cands += ([fin_hit] if reached else []) + [fin]
    best, best_low = None, 0.0
    for cand in cands:
        low = certify(AtA, cone, cand)[0]
        if low > best_low:
            best, best_low = cand, low
    return best, best_low, evals, reached


def _sdp(AtA: np.ndarray, cone: Any) -> tuple[Any, Any, Any, Any, np.ndarray]:
    """(problem, (τ, ℓ, β, L_oo), PSD constraint, bound constraint, perm) of
    max τ s.t. AᵀA − τI − L ⪰ 0, keep∘(TqᵀLTq) ≥ 0, in the order perm = (S, S^c) and units of max|AᵀA|."""
    import cvxpy as cp
    S, O, sg = _parts(cone)
    s, r = S.size, O.size
    Gp, perm, _ = _ordered_gram(AtA, cone)
    Tq, keep = _lifted_bounds(cone, perm)
    tau, ell = cp.Variable(), cp.Variable()
    beta = cp.Variable(r)
    Loo = cp.Variable((r, r), symmetric=True)
    if r:
        row = cp.reshape(beta, (1, r), order="C")
        L = cp.vstack([cp.hstack([ell * np.outer(sg, sg), sg.reshape(s, 1) @ row]),
                       cp.hstack([row.T @ sg.reshape(1, s), Loo])])
    else:
        L = ell * np.outer(sg, sg)
    K = Gp - tau * np.eye(s + r) - L
    psd = (K + K.T) / 2 >> 0
    bounds = cp.multiply(keep, Tq.T @ L @ Tq) >= 0
    return cp.Problem(cp.Maximize(tau), [psd, bounds]), (tau, ell, beta, Loo), psd, bounds, perm


def _lifted_bounds(cone: Any, perm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Tq, keep): the DNN map's nonnegative columns (c, a, b), rows in the order ``perm`` (from
    :func:`_ordered_gram`), and the mask of the entries of TqᵀLTq that must be ≥ 0 (all but a_i b_i). The
    bounds are taken from their source, N = TᵀLT ≥ 0 in the DNN coordinates; the tests check
    :func:`nonneg_bounds` against it."""
    r = cone.off.size
    form = cone.dnn_form()
    keep = np.ones((2 * r + 1, 2 * r + 1))
    keep[1 + np.arange(r), 1 + r + np.arange(r)] = keep[1 + r + np.arange(r), 1 + np.arange(r)] = 0.0
    return form.T[perm, form.nb:], keep


def solve_sdp(AtA: np.ndarray, cone: Any, solver: str = "CLARABEL", accuracy: float = 1e-8) \
        -> tuple[ZCertificate | None, str]:
    """max τ s.t. AᵀA − τI − L ⪰ 0 with L nonnegative on C (the constraints above), with cvxpy; for small n
    (tests, and the comparison with the full DNN in the theory notes). τ in units of max|AᵀA|."""
    from .dnn_certificate import solve
    prob, (tau, ell, beta, Loo), _, _, _ = _sdp(AtA, cone)
    r = cone.off.size
    status = solve(prob, solver, accuracy, None)
    if status != "optimal" or tau.value is None:
        return None, status
    return ZCertificate(float(tau.value), float(ell.value), np.asarray(beta.value if r else np.zeros(0)),
                        np.asarray(Loo.value if r else np.zeros((0, 0)))), "optimal"


def useful_box(AtA: np.ndarray, cone: Any) -> tuple[float, np.ndarray]:
    """(ℓ_max, D) in units of max|AᵀA|, D indexed like ``cone.off``: every valid L (:func:`nonneg_bounds`)
    with λ_min(AᵀA − L) ≥ 0 has ℓ ≤ ℓ_max, hence |β_j|, |L_ij| ≤ ℓ_max (i ≠ j), and −ℓ_max ≤ L_ii ≤ D_i.

    For unit z ∈ C, λ_min(AᵀA − L) ≤ zᵀ(AᵀA − L)z. At z₀ = −sg/√s on S, z₀ᵀLz₀ = ℓs, so
    ℓ ≤ ℓ_max = z₀ᵀAᵀAz₀/s (tight when sg is an eigenvector of the support block). At z = (−sg/s, ±e_i),
    on C's boundary, zᵀLz = ℓ ∓ 2β_i + L_ii; the sign with ∓β_i = |β_i| gives
    L_ii ≤ zᵀAᵀAz − ℓ − 2|β_i| ≤ D_i = max_± zᵀAᵀAz.
    """
    _, _, sg = _parts(cone)
    s = sg.size
    G, _, _ = _ordered_gram(np.asarray(AtA, float), cone)
    Gss = float(sg @ G[:s, :s] @ sg)
    ell_max = max(Gss / s ** 2, 0.0)
    cross = 2 * (sg @ G[:s, s:]) / s  # zᵀGz = Gss/s² ∓ cross_i + G_ii
    return ell_max, Gss / s ** 2 + np.diag(G)[s:] + np.abs(cross)


def residual_bound(R: np.ndarray, s: int, sg: np.ndarray, ell_max: float, D: np.ndarray) -> float:
    """max −⟨L, R⟩ over the structured L of the box of :func:`useful_box` (ℓ ∈ [0, ℓ_max], order (S, S^c)):
    ℓ_max·max(0, −sgᵀR_SS sg) + 2ℓ_max·Σ_j|sgᵀR_{S,j}| + ℓ_max·Σ_{i≠j}|R_ij| + Σ_i max(ℓ_max·R_ii, −D_i·R_ii),
    each structured entry of L at the end of its interval that the sign of R picks."""
    Roo = R[s:, s:]
    d = np.diag(Roo)
    return float(ell_max * (max(0.0, -float(sg @ R[:s, :s] @ sg)) + 2 * np.abs(sg @ R[:s, s:]).sum()
                            + np.abs(Roo).sum() - np.abs(d).sum()) + np.maximum(ell_max * d, -D * d).sum())


def relaxation_ceiling(AtA: np.ndarray, cone: Any, Z: np.ndarray, M: np.ndarray | None = None) -> float:
    """The most any certificate of this relaxation can certify: λ_min(A; C) ≥ c is out of its reach for
    every c above the value returned, from any n×n Z (its positive semidefinite part is used; the cone's
    coordinate order) and multipliers M ≥ 0 of the bounds (the (c, a, b) coordinates of the bound
    constraint in :func:`solve_ceiling`; negative entries are dropped). Weak duality, made rigorous for
    inexact duals.

    For a valid L with F(L) = λ_min(AᵀA − L) ≥ 0 and Y = Tq(keep∘M)Tqᵀ, R = Z − Y:
    F(L)·tr Z ≤ ⟨AᵀA − L, Z⟩ = ⟨AᵀA, Z⟩ − ⟨TqᵀLTq, keep∘M⟩ − ⟨L, R⟩ ≤ ⟨AᵀA, Z⟩ + E, since
    keep∘TqᵀLTq ≥ 0, and E = :func:`residual_bound` bounds −⟨L, R⟩ over the box (:func:`useful_box`)
    every such L lies in. When Z, M solve the SDP's dual exactly R = 0 and the ceiling is the relaxation's
    optimum; any PSD Z gives a valid, if loose, ceiling. Returns √(max(0, ceiling²)) in the units of A.
    """
    S, O, sg = _parts(cone)
    s, r = S.size, O.size
    n = s + r
    AtA = as_finite_array(AtA, "AtA", shape=(n, n))
    Z = np.asarray(Z, float)
    if Z.shape != (n, n) or not np.all(np.isfinite(Z)):
        raise ValueError(f"Z must be a finite {n}×{n} array (the cone's dimension)")
    Gp, perm, scale = _ordered_gram(AtA, cone)
    Tq, keep = _lifted_bounds(cone, perm)
    M = np.zeros_like(keep) if M is None else np.asarray(M, float)
    if M.shape != keep.shape or not np.all(np.isfinite(M)):
        raise ValueError(f"M must be a finite {keep.shape[0]}×{keep.shape[0]} array (2·|S^c| + 1)")
    Zs = Z[np.ix_(perm, perm)]
    lam, V = np.linalg.eigh((Zs + Zs.T) / 2)
    lam = np.maximum(lam, 0.0)
    if lam.sum() <= 0:
        raise ValueError("Z must have a positive semidefinite part other than 0")
    Zp = (V * lam) @ V.T
    R = Zp - Tq @ (keep * np.maximum((M + M.T) / 2, 0.0)) @ Tq.T
    ell_max, D = useful_box(AtA, cone)
    E = residual_bound(R, s, sg, ell_max, D)
    ceiling2 = (float(np.sum(Gp * Zp)) + E) / lam.sum()
    # float64 rounding: sums of n² terms |G_ij Z_ij| and |L_ij R_ij| with |G_ij| ≤ 1, |L_ij| ≤ max(ℓ_max, D_i)
    # and Σ|Z_ij| ≤ n·tr Z, so at most ~n³·eps·(1 + max L) relative to tr Z (4× for the eigen-reconstruction)
    ceiling2 += 4 * n ** 3 * np.finfo(float).eps * (1.0 + max(ell_max, float(D.max()) if D.size else 0.0))
    return float(np.sqrt(max(ceiling2, 0.0) * scale))


def solve_ceiling(AtA: np.ndarray, cone: Any, solver: str = "SCS", accuracy: float = 1e-4) \
        -> tuple[float | None, str]:
    """(ceiling, status): :func:`relaxation_ceiling` from the dual of :func:`solve_sdp`'s problem (Z of the
    PSD constraint, M of the bounds). An inexact solve still gives a rigorous ceiling, only a looser one."""
    from .dnn_certificate import solve
    prob, _, psd, bounds, perm = _sdp(AtA, cone)
    status = solve(prob, solver, accuracy, None)
    if status != "optimal" or psd.dual_value is None:
        return None, status
    Zp = np.asarray(psd.dual_value, float)
    Z = np.empty_like(Zp)
    Z[np.ix_(perm, perm)] = Zp
    return relaxation_ceiling(AtA, cone, Z, np.asarray(bounds.dual_value, float)), "optimal"
