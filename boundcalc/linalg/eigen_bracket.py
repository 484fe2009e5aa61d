"""Certified brackets on the extreme eigenvalues of a symmetric positive semi-definite operator
applied matrix-free — J Jᵀ of a generator, as JVP∘VJP — never formed.

Method: Lanczos with full reorthogonalization (both ends of the spectrum in one run, stopped as
soon as the estimated brackets are narrow enough), then the four extreme Ritz pairs (θ, x) are
re-checked with fresh products of our own: θ = xᵀMx, r = Mx − θx. The bracket follows from
residual bounds that hold for any unit x:

- upper end of λ_min: θ₁ itself (a Rayleigh quotient, so λ_min ≤ θ₁);
- rounding: θ and r are computed in floating point, so every end is widened by 4n·eps·θ_max;
- lower end of λ_min: Kato–Temple, λ_min ≥ θ₁ − ‖r₁‖²/(μ − θ₁) where μ = θ₂ − ‖r₂‖ bounds the next
  eigenvalue from below (Weyl: some eigenvalue lies within ‖r₂‖ of θ₂), or Weyl's θ₁ − ‖r₁‖ when
  there is no gap — whichever is larger;
- λ_max symmetrically: [θ_n, θ_n + ‖r_n‖²/(θ_n − μ′)] or θ_n + ‖r_n‖.

The residual bounds are rigorous; what Lanczos cannot prove is that the Krylov space saw the
extreme eigenvector at all (a start vector orthogonal to it). A random start makes that a
probability-zero event; the result says so in ``method``. A bracket wider than ``rtol`` (relative)
after ``max_steps`` steps raises ``RuntimeError`` (the CLI's exit status 3), never a number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._core import Result, as_rng, positive_float, positive_int

__all__ = ["EigenBracket", "extreme_eigen_bracket", "certify_ritz_vectors"]


@dataclass(frozen=True, repr=False)
class EigenBracket(Result):
    """λ_min ∈ [lambda_min_lower, lambda_min_upper], λ_max ∈ [lambda_max_lower, lambda_max_upper]
    of a PSD operator; ``residuals`` are ‖Mx − θx‖ of the two extreme Ritz pairs."""

    lambda_min_lower: float
    lambda_min_upper: float
    lambda_max_lower: float
    lambda_max_upper: float
    residuals: tuple[float, float]
    matvecs: int
    method: str
    min_resolved: bool = True

    @property
    def sigma_min(self) -> tuple[float, float]:
        """Bracket on σ_min = √λ_min (of J when M = J Jᵀ), rounded outward: √ is correctly rounded,
        so one ULP down (up) keeps the lower (upper) end below (above) the exact root."""
        return _outward_sqrt(self.lambda_min_lower, self.lambda_min_upper)

    @property
    def sigma_max(self) -> tuple[float, float]:
        return _outward_sqrt(self.lambda_max_lower, self.lambda_max_upper)

    @property
    def relative_width(self) -> float:
        """Largest relative width of the two brackets."""
        return max(_widths(self.lambda_min_lower, self.lambda_min_upper, self.lambda_max_lower, self.lambda_max_upper))


def round_down(x: float) -> float:
    """One ULP towards −∞: a computed lower end stays below the exact value it rounds."""
    return float(np.nextafter(x, -np.inf))


def round_up(x: float) -> float:
    """One ULP towards +∞: a computed upper end stays above the exact value it rounds."""
    return float(np.nextafter(x, np.inf))


def lower_end(theta1: float, r1: float, theta2: float, r2: float) -> float:
    """Lower end for the smallest of two Ritz values θ₁ < θ₂ with residuals r₁, r₂: Kato–Temple with
    the next eigenvalue ≥ θ₂ − r₂, or Weyl's θ₁ − r₁ when there is no gap (the larger of the two)."""
    weyl = theta1 - r1
    gap = (theta2 - r2) - theta1
    return max(weyl, theta1 - r1**2 / gap) if gap > 0 else weyl


def _brackets(theta: list[float], res: list[float], n: int) -> tuple[float, float, float, float, float]:
    """(λ_min lower, λ_min upper, λ_max lower, λ_max upper, rounding) from the Ritz values θ of the
    two lowest and two highest pairs and their residual norms."""
    # Rounding in the products themselves: a backward error of a few n·eps·‖M‖ on θ and r.
    fl = 4 * n * np.finfo(float).eps * max(abs(theta[3]), 1e-300)
    res = [r + fl for r in res]
    # θ itself is a computed Rayleigh quotient, off by as much: Kato–Temple's θ − r²/gap subtracts only the
    # square of the residual, so the rounding of θ is taken off the end as well (Weyl's θ − r had it in r).
    lo_min = lower_end(theta[0], res[0], theta[1], res[1]) - fl
    # Mirror of lower_end for the top: λ_max ≤ θ_n + ‖r_n‖²/(θ_n − (θ_{n−1} + ‖r_{n−1}‖)).
    hi_max = -lower_end(-theta[3], res[3], -theta[2], res[2]) + fl
    # Outward by one ULP: each end is a floating-point sum, correctly rounded to nearest, which may
    # land an ULP inside the exact value when the true eigenvalue sits at the end (a diagonal M).
    return (max(round_down(lo_min), 0.0), round_up(theta[0] + fl), max(round_down(theta[3] - fl), 0.0),
            round_up(hi_max), fl)


def _outward_sqrt(lo: float, hi: float) -> tuple[float, float]:
    """[√lo, √hi] widened by one ULP each way (0 stays 0)."""
    low = float(np.nextafter(np.sqrt(lo), 0.0)) if lo > 0 else 0.0
    return low, float(np.nextafter(np.sqrt(hi), np.inf))


def _widths(lo_min: float, hi_min: float, lo_max: float, hi_max: float) -> tuple[float, float]:
    """Relative widths of the λ_min and λ_max brackets (each over its larger-magnitude end)."""
    return float((hi_min - lo_min) / max(hi_min, 1e-300)), float((hi_max - lo_max) / max(lo_max, 1e-300))


def extreme_eigen_bracket(matvec: Callable[[np.ndarray], np.ndarray], n: int, *, rtol: float = 1e-7,
                          seed: int | np.random.Generator = 0, max_steps: int = 300,
                          require_min: bool = True) -> EigenBracket:
    """Certified brackets on λ_min and λ_max of the symmetric PSD operator ``matvec`` on R^n.

    Lanczos with full reorthogonalization from a random start builds both ends of the spectrum at
    once; after every step the Ritz pairs' residual norms (β_j|s_ji|, no extra product) give the
    Kato–Temple brackets, and the run stops as soon as both are narrower than ``rtol``. The four
    extreme Ritz vectors are then formed and their residuals **recomputed** with one more product
    each: the returned bracket rests only on those. (ARPACK's eigsh was tried first: it converges
    every requested pair to machine precision through restarts, 149 products at n = 1024 where
    this stops after 68.)

    Parameters
    ----------
    matvec : callable
        w ↦ M w (M symmetric positive semi-definite, n×n); may accept an n×b block.
    rtol : float
        Required relative width of both eigenvalue brackets (σ = √λ brackets are half as wide).
    seed : int or Generator
        Random start vector (reproducible).
    require_min : bool
        With False, a λ_min that cannot be resolved — below the rounding floor 4n·eps·λ_max, i.e.
        κ² beyond what float64 separates — is returned as the certified bracket [lower, upper] it
        has (the lower end possibly 0) with ``min_resolved=False``, instead of an error.

    Raises
    ------
    RuntimeError
        When ``max_steps`` steps do not give brackets narrower than ``rtol`` (for λ_max only, with
        ``require_min=False``).
    """
    n = positive_int(n, "n")
    rtol = positive_float(rtol, "rtol")
    max_steps = min(positive_int(max_steps, "max_steps"), n)
    count = [0]

    def mv(w):
        count[0] += 1 if np.ndim(w) == 1 else np.shape(w)[1]
        return np.asarray(matvec(np.asarray(w, dtype=float)), dtype=float)

    if n <= 4:  # too small for a Krylov bracket: assemble the operator
        M = mv(np.eye(n))
        vals, vecs = np.linalg.eigh((M + M.T) / 2)
        order = [0, min(1, n - 1), max(n - 2, 0), n - 1]
        return certify_ritz_vectors(mv, vecs[:, order], n, rtol=rtol, require_min=require_min, count=count)
    Q = np.empty((n, max_steps + 1))
    q = as_rng(seed).standard_normal(n)
    Q[:, 0] = q / np.linalg.norm(q)
    alphas, betas = [], []
    for j in range(max_steps):
        w = mv(Q[:, j])
        a = float(Q[:, j] @ w)
        w -= a * Q[:, j]
        if j:
            w -= betas[-1] * Q[:, j - 1]
        for _ in range(2):  # full reorthogonalization, twice is enough
            w -= Q[:, : j + 1] @ (Q[:, : j + 1].T @ w)
        b = float(np.linalg.norm(w))
        alphas.append(a)
        betas.append(b)
        if j < 3:
            if b <= 1e-14 * abs(a):  # invariant subspace found: the Ritz values are exact
                break
            Q[:, j + 1] = w / b
            continue
        T = np.diag(alphas) + np.diag(betas[:-1], 1) + np.diag(betas[:-1], -1)
        theta, S = np.linalg.eigh(T)
        idx = [0, 1, len(theta) - 2, len(theta) - 1]
        est = _brackets([theta[i] for i in idx], [b * abs(S[-1, i]) for i in idx], n)
        w_min, w_max = _widths(*est[:4])
        if max(w_min, w_max) <= rtol / 2 or b <= 1e-14 * abs(theta[-1]):
            break
        if not require_min and w_max <= rtol / 2 and est[1] <= 2 * est[4]:  # λ_min at the rounding floor
            break
        Q[:, j + 1] = w / b
    T = np.diag(alphas) + np.diag(betas[:-1], 1) + np.diag(betas[:-1], -1)
    theta, S = np.linalg.eigh(T)
    idx = [0, min(1, len(theta) - 1), max(len(theta) - 2, 0), len(theta) - 1]
    return certify_ritz_vectors(mv, Q[:, : len(alphas)] @ S[:, idx], n, rtol=rtol, require_min=require_min,
                                count=count)


LANCZOS_METHOD = ("Lanczos (full reorthogonalization, both ends) + Kato–Temple/Weyl residual bounds recomputed "
                  "from the Ritz vectors; assumes the random start vector is not orthogonal to the extreme "
                  "eigenvectors")


def certify_ritz_vectors(mv: Callable[[np.ndarray], np.ndarray], X: np.ndarray, n: int, *, rtol: float,
                         require_min: bool = True, count: list[int] | None = None,
                         method: str = LANCZOS_METHOD) -> EigenBracket:
    """Certified brackets on λ_min and λ_max of a symmetric PSD M from four approximate eigenvectors, however
    they were found (Lanczos here; LAPACK's ``eigh`` of a formed Gram matrix in the mechanism's dense route).

    The columns of X are the lowest two and the highest two; their Rayleigh quotients θ and residuals
    ‖M x − θx‖ are **recomputed** by one block product ``mv(X)``, and the Kato–Temple/Weyl bounds of
    :func:`lower_end` turn them into brackets widened for the rounding of length-``n`` inner products. The
    bounds assume each pair's neighbour in X is the next eigenvalue (the extreme ends of the spectrum are
    found, not skipped); ``require_min`` and the RuntimeError are those of :func:`extreme_eigen_bracket`.
    ``count`` (a one-element list that the caller's ``mv`` increments) is recorded as the number of products;
    ``method`` says in the result how X was found.
    """
    count = [0] if count is None else count
    X = X / np.linalg.norm(X, axis=0)
    MX = mv(X)
    theta = np.einsum("ij,ij->j", X, MX)
    res = np.linalg.norm(MX - X * theta, axis=0)
    lo_min, hi_min, lo_max, hi_max, _ = _brackets(theta.tolist(), res.tolist(), n)
    w_min, w_max = _widths(lo_min, hi_min, lo_max, hi_max)
    min_ok = w_min <= rtol
    out = EigenBracket(lo_min, hi_min, lo_max, hi_max, (float(res[0]), float(res[3])), count[0], method, min_ok)
    if not require_min and not min_ok and w_max <= rtol:
        return out  # λ_min ∈ [lo_min, hi_min] is all float64 can certify; the caller says so
    if not out.relative_width <= rtol:
        raise RuntimeError(f"Lanczos bracket on J Jᵀ is {out.relative_width:.2e} wide (relative), above "
                           f"rtol = {rtol:g}; no number is reported")
    return out
