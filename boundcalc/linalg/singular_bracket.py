"""Certified brackets on the extreme singular values of a matrix-free J (n×p, n ≤ p), from its
products v ↦ J v and u ↦ Jᵀ u alone — J itself is never formed.

Why not Lanczos on J Jᵀ (:mod:`boundcalc.linalg.eigen_bracket`): squaring costs the small end half of
the digits. The rounding floor of J Jᵀ w is about eps·‖J‖², so σ_min is resolved only to
~eps·κ(J)² relative; for a convolutional DIP with κ(J) ≈ 5·10⁵ that floor (4n·eps·‖J‖²) is a quarter
of σ_min². Working on J directly, the floor is eps·‖J‖ and the same σ_min is resolved to ~1e-7.

Method: Golub–Kahan bidiagonalization with full reorthogonalization of both bases, started from a
random u ∈ R^n: J V_k = U_{k+1} B_k with B_k lower bidiagonal. The extreme singular triplets of
B_k give Ritz triplets (θ, û, v̂) of J; once the estimated brackets are narrower than ``rtol``
(checked every few steps), or the left basis spans R^n, or the work budget is spent, the four
extreme triplets are re-checked with fresh products of our own. With w = [û; v̂]/√2, a unit vector,
the augmented symmetric operator H = [[0, J], [Jᵀ, 0]] (eigenvalues ±σ_i and p − n zeros) has
Rayleigh quotient θ = ûᵀJv̂ and residual ρ = ‖[Jv̂ − θû; Jᵀû − θv̂]‖/√2, widened by the rounding
term 4n·eps·‖J‖ (the products' backward error). Then:

- σ_min ≤ ‖Jᵀû₁‖ for any unit û₁ (σ_n = min over unit u of ‖Jᵀu‖): the upper end, rounded up;
- Kato–Temple on H in the interval (0, b), b = θ₂ − ρ₂ a lower bound of the next singular value:
  σ_min ≥ θ₁ − ρ₁²/(b − θ₁); Weyl's θ₁ − ρ₁ when there is no gap; the larger is the lower end;
- σ_max symmetrically: [θ_n, θ_n + ρ_n²/(θ_n − (θ_{n−1} + ρ_{n−1}))] (or θ_n + ρ_n), and ≥ ‖Jv̂_n‖.

The residual bounds are rigorous; that the Krylov space saw the extreme singular vectors at all is
what a random start makes a probability-zero failure (``method`` says so), as for Lanczos.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._core import Result, as_rng, positive_float, positive_int
from .eigen_bracket import lower_end, round_down, round_up

__all__ = ["SingularBracket", "extreme_singular_bracket"]


@dataclass(frozen=True, repr=False)
class SingularBracket(Result):
    """σ_min(J) ∈ ``sigma_min``, σ_max(J) ∈ ``sigma_max`` (certified (lower, upper) pairs).

    ``steps`` Golub–Kahan steps, ``products`` applications of J or Jᵀ; ``stopped_by`` says what
    ended the iteration: "rtol" (the estimated brackets met it), "full basis" (the left basis spans
    R^n: the singular values of B are those of J up to rounding), or "budget" (``max_steps`` or
    ``max_seconds`` spent first; the σ_min lower end is then 0: unconverged, the smallest Ritz value
    need not belong to σ_n, and only the upper end ‖Jᵀû₁‖ is certain)."""

    sigma_min: tuple[float, float]
    sigma_max: tuple[float, float]
    residuals: tuple[float, float]
    steps: int
    products: int
    seconds: float
    stopped_by: str
    method: str

    @property
    def relative_width(self) -> float:
        """Larger relative width of the two brackets."""
        (a, b), (c, d) = self.sigma_min, self.sigma_max
        return max((b - a) / b if b > 0 else np.inf, (d - c) / d if d > 0 else np.inf)


def extreme_singular_bracket(apply_J: Callable[[np.ndarray], np.ndarray],
                             apply_Jt: Callable[[np.ndarray], np.ndarray], n: int, p: int, *,
                             rtol: float = 1e-3, seed: int | np.random.Generator = 0,
                             max_steps: int | None = None, max_seconds: float | None = None,
                             check_every: int = 16) -> SingularBracket:
    """Certified brackets on σ_min = σ_n(J) and σ_max(J) of J ∈ R^{n×p}, n ≤ p (module docstring).

    Parameters
    ----------
    apply_J, apply_Jt : callable
        v ↦ J v (R^p → R^n) and u ↦ Jᵀ u (R^n → R^p), float64.
    rtol : float
        Relative width asked of both brackets; the iteration stops as soon as the estimates meet it.
    max_steps, max_seconds : optional
        The work budget (default: n steps, no time limit). When it ends the iteration first, the
        certified brackets are still returned, and ``stopped_by = "budget"`` says so.

    Raises
    ------
    ValueError
        n > p (σ_n is 0: no bracket needed), or a product that is not finite.
    """
    n, p = positive_int(n, "n"), positive_int(p, "p")
    if n > p:
        raise ValueError(f"n = {n} > p = {p}: J has rank < n and σ_n(J) = 0; no bracket is needed")
    rtol = positive_float(rtol, "rtol")
    steps_cap = n if max_steps is None else min(positive_int(max_steps, "max_steps"), n)
    t0, count = time.perf_counter(), [0]

    def counted(apply, label):
        def product(x):
            count[0] += 1
            out = np.asarray(apply(x), dtype=float).ravel()
            if not np.all(np.isfinite(out)):
                raise ValueError(f"the Jacobian product {label} is not finite (NaN or inf)")
            return out
        return product

    J, Jt = counted(apply_J, "J v"), counted(apply_Jt, "Jᵀ u")

    # Bases stored row-wise (one vector per row) so that the reorthogonalization products read
    # contiguous memory: at n = 1024, p = 8273 they dominate a step.
    U = np.zeros((steps_cap + 1, n))
    V = np.zeros((steps_cap, p))
    u = as_rng(seed).standard_normal(n)
    U[0] = u / np.linalg.norm(u)
    alphas, betas = [], []
    v = Jt(U[0])
    stopped = "budget"
    k = 0
    for k in range(1, steps_cap + 1):
        if k > 1:
            v = Jt(U[k - 1]) - betas[-1] * V[k - 2]
        for _ in range(2):  # full reorthogonalization, twice is enough
            v -= V[: k - 1].T @ (V[: k - 1] @ v)
        a = float(np.linalg.norm(v))
        if a == 0.0:
            stopped = "full basis"
            k -= 1
            break
        V[k - 1] = v / a
        alphas.append(a)
        w = J(V[k - 1]) - a * U[k - 1]
        for _ in range(2):
            w -= U[:k].T @ (U[:k] @ w)
        b = float(np.linalg.norm(w))
        betas.append(b)
        if k == n or b <= 1e-14 * max(alphas):  # the left basis spans R^n (or an invariant subspace)
            stopped = "full basis"
            break
        U[k] = w / b
        if max_seconds is not None and time.perf_counter() - t0 > max_seconds:
            break
        if k % check_every == 0 and k >= 4:
            s, X, _ = _extreme_triplets(alphas, betas, k)
            est = max(alphas) * np.abs(X[-1])  # residual α_{k+1}|x_{k+1}| with α_{k+1} ≤ ‖J‖
            if max(est[0] / max(s[0], 1e-300), est[3] / max(s[3], 1e-300)) <= rtol / 2:
                stopped = "rtol"
                break
    if k == 0:  # Jᵀu = 0 for the start u: J is 0 on it; the products give only the trivial bracket
        raise ValueError("the Jacobian product Jᵀ u is 0 for the start vector: J has a zero direction or is 0; "
                         "σ_min(J) = 0 is not certified by a Krylov run (assemble J for such an operator)")
    s, X, Y = _extreme_triplets(alphas, betas, k)
    return _certify(J, Jt, X.T @ U[: k + 1], Y.T @ V[:k], n, k, count, t0, stopped)


def _extreme_triplets(alphas: list[float], betas: list[float], k: int) -> tuple[np.ndarray, ...]:
    """The two smallest and two largest singular triplets (σ, x, y) of the (k+1)×k lower bidiagonal
    B (diagonal α, subdiagonal β), from the symmetric tridiagonal of zero diagonal and off-diagonal
    (α₁, β₁, …, α_k, β_k) on (x₁, y₁, …, y_k, x_{k+1}): its eigenvalues are ±σ_i and 0, and an
    eigenvector for σ interleaves x/√2 and y/√2. O(k) per pair instead of a dense SVD of B.

    Returns σ (4,), X ((k+1)×4) and Y (k×4), columns ordered smallest, second smallest, second
    largest, largest."""
    from scipy.linalg import eigh_tridiagonal
    e = np.empty(2 * k)
    e[0::2], e[1::2] = alphas[:k], betas[:k]
    size = 2 * k + 1
    # Ascending: −σ_max … −σ_min, 0, σ_min … σ_max; the positive ones are indices k+1 … 2k.
    lo = [k + 1, min(k + 2, size - 1)]
    hi = [max(size - 2, k + 1), size - 1]
    vals, vecs = [], []
    for first, last in (lo, hi):
        w, z = eigh_tridiagonal(np.zeros(size), e, select="i", select_range=(first, last))
        vals.append(w)
        vecs.append(z)
    s = np.concatenate(vals)
    Z = np.concatenate(vecs, axis=1) * np.sqrt(2.0)
    if s.size < 4:  # k = 1: one singular value, standing for both ends
        s, Z = s[[0, 0, -1, -1]], Z[:, [0, 0, -1, -1]]
    return s, Z[0::2], Z[1::2]


def _certify(J, Jt, Uh, Vh, n, k, count, t0, stopped) -> SingularBracket:
    eps = np.finfo(float).eps
    Uh = (Uh / np.linalg.norm(Uh, axis=1, keepdims=True)).T  # rows → columns: û_i, v̂_i unit
    Vh = (Vh / np.linalg.norm(Vh, axis=1, keepdims=True)).T
    JV = np.column_stack([J(Vh[:, i]) for i in range(Vh.shape[1])])
    JtU = np.column_stack([Jt(Uh[:, i]) for i in range(Uh.shape[1])])
    theta = np.einsum("ij,ij->j", Uh, JV)
    rho = np.sqrt((np.linalg.norm(JV - Uh * theta, axis=0) ** 2 + np.linalg.norm(JtU - Vh * theta, axis=0) ** 2) / 2)
    norm_J = float(max(np.max(np.abs(theta)), np.max(np.linalg.norm(JV, axis=0))))
    fl = 4 * n * eps * norm_J  # the products' rounding (backward error), on every residual and end
    rho = rho + fl
    # σ_min: [Kato–Temple/Weyl lower end, min(‖Jᵀû₁‖, θ₁ + ρ₁)]; σ_max: [max(θ_n − ρ_n, ‖J v̂_n‖·(1 − …)), …].
    lo_min = max(round_down(lower_end(theta[0], rho[0], theta[1], rho[1]) - fl), 0.0)
    if stopped == "budget":
        # Unconverged, the smallest Ritz value need not be σ_n's: only the upper end ‖Jᵀû₁‖ is sure.
        lo_min = 0.0
    hi_min = round_up(min(float(np.linalg.norm(JtU[:, 0])) + fl, theta[0] + rho[0]))
    hi_max = round_up(-lower_end(-theta[3], rho[3], -theta[2], rho[2]) + fl)
    lo_max = max(round_down(float(np.linalg.norm(JV[:, 3])) - fl), round_down(theta[3] - rho[3]), 0.0)
    return SingularBracket((lo_min, hi_min), (lo_max, hi_max), (float(rho[0]), float(rho[3])), k, count[0],
                           time.perf_counter() - t0, stopped,
                           "Golub–Kahan bidiagonalization (full reorthogonalization) + Kato–Temple/Weyl on "
                           "[[0, J], [Jᵀ, 0]] with residuals recomputed from the Ritz vectors; assumes the random "
                           "start is not orthogonal to the extreme singular vectors")
