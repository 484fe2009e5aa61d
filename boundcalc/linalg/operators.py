"""Forward operators A and their spectral constants σ_A, ‖A‖, κ(A) (THEORY.md §2).

Structured operators (periodic convolution, finite-difference gradient, masks) are
``scipy.sparse.linalg.LinearOperator`` subclasses that also know all their singular values in
closed form, so :func:`spectrum` never needs an SVD for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg as spla

from .._core import Result, as_finite_array, as_rng, positive_int
from ..io.memory import available_bytes, float_bytes, format_bytes, require_memory

__all__ = [
    "StructuredOperator", "Convolution2D", "Gradient2D", "Mask", "gaussian",
    "SpectrumResult", "spectrum", "adjoint_test", "as_operator", "DENSE_FALLBACK_MAX",
]

#: Largest min(m, n) for which a matrix-free operator is assembled and given a dense SVD.
DENSE_FALLBACK_MAX = 2048


def _parse_shape(shape: Any, name: str = "shape") -> tuple[int, int]:
    """(N1, N2), checked; an image whose FFT, spectrum and sort temporaries (about 8 float64
    arrays of N1·N2 entries) cannot fit in memory is refused here, before anything is built."""
    if not isinstance(shape, (tuple, list)) or len(shape) != 2:
        raise ValueError(f"{name} must be a pair (N1, N2) of positive integers, got {shape!r}")
    n1, n2 = positive_int(shape[0], f"{name}[0]"), positive_int(shape[1], f"{name}[1]")
    require_memory(float_bytes(8 * n1 * n2), f"{name} {n1}x{n2}: the structured operator's spectrum")
    return n1, n2


class StructuredOperator(spla.LinearOperator):
    """A ``LinearOperator`` whose singular values are known in closed form."""

    #: Human-readable name of the closed form, recorded in :class:`SpectrumResult`.
    closed_form: str = ""

    def singular_values(self) -> np.ndarray:
        """All min(m, n) singular values, in descending order."""
        raise NotImplementedError

    def toarray(self) -> np.ndarray:
        """Assemble the dense matrix (for tests and small sizes only)."""
        return self.matmat(np.eye(self.shape[1]))


class Convolution2D(StructuredOperator):
    """Periodic 2-D convolution x ↦ h ⊛ x on images of size N1×N2 (deblurring).

    The kernel is zero-padded to ``shape`` with its centre moved to pixel (0, 0), so a
    symmetric kernel does not translate the image. The operator is diagonalised by the 2-D
    DFT: its singular values are ∣DFT₂(padded kernel)∣ (THEORY.md §9.3).

    Parameters
    ----------
    kernel : (K1, K2) array_like
        Real convolution kernel, K1 ≤ N1 and K2 ≤ N2.
    shape : (N1, N2)
        Image size; the operator is square with m = n = N1·N2.

    Examples
    --------
    >>> import numpy as np
    >>> A = bc.Convolution2D(np.ones((3, 3)) / 9, (8, 8))
    >>> A.shape
    (64, 64)
    >>> round(bc.spectrum(A).norm_A, 12)
    1.0
    """

    closed_form = "|DFT2(zero-padded kernel)|"

    def __init__(self, kernel: Any, shape: tuple[int, int]):
        self.image_shape = _parse_shape(shape)
        h = as_finite_array(kernel, "kernel", ndim=2)
        if h.shape[0] > self.image_shape[0] or h.shape[1] > self.image_shape[1]:
            raise ValueError(f"kernel of shape {h.shape} does not fit in an image of shape {self.image_shape}")
        if not np.any(h):
            raise ValueError("kernel must not be identically zero (the operator would be zero)")
        self.kernel = h
        padded = np.zeros(self.image_shape)
        padded[: h.shape[0], : h.shape[1]] = h
        padded = np.roll(padded, (-(h.shape[0] // 2), -(h.shape[1] // 2)), axis=(0, 1))
        self._fft = np.fft.fft2(padded)
        n = self.image_shape[0] * self.image_shape[1]
        super().__init__(dtype=np.float64, shape=(n, n))

    def _apply(self, x: np.ndarray, multiplier: np.ndarray) -> np.ndarray:
        # Columns of a block (n × c) are images stacked on a trailing axis: one batched FFT, not c.
        cols = x.shape[1:] if x.ndim > 1 else ()
        img = x.reshape(self.image_shape + cols)
        mult = multiplier.reshape(self.image_shape + (1,) * len(cols))
        out = np.fft.irfft2(np.fft.rfft2(img, axes=(0, 1)) * mult[:, : self.image_shape[1] // 2 + 1],
                            s=self.image_shape, axes=(0, 1))
        return out.reshape(x.shape)

    def _matvec(self, x):
        return self._apply(np.asarray(x, dtype=float).ravel(), self._fft)

    def _rmatvec(self, x):
        return self._apply(np.asarray(x, dtype=float).ravel(), np.conj(self._fft))

    def _matmat(self, X):
        return self._apply(np.asarray(X, dtype=float), self._fft)

    def _rmatmat(self, X):
        return self._apply(np.asarray(X, dtype=float), np.conj(self._fft))

    def _adjoint(self):
        return spla.LinearOperator(self.shape, matvec=self._rmatvec, rmatvec=self._matvec, matmat=self._rmatmat,
                                   rmatmat=self._matmat, dtype=float)

    def singular_values(self) -> np.ndarray:
        return np.sort(np.abs(self._fft).ravel())[::-1]

    def range_residual(self, y: np.ndarray, rtol: float | None = None) -> float:
        """‖y − P_{Im A} y‖ exactly, by FFT: the part of ŷ on the frequencies whose ∣ĥ∣ is below the
        rank tolerance (default max(m, n)·eps·σ_max, the rank rule of :func:`spectrum`), by Parseval."""
        h = np.abs(self._fft)
        tol = (rtol if rtol is not None else max(self.shape) * np.finfo(float).eps) * h.max()
        Y = np.fft.fft2(np.asarray(y, dtype=float).reshape(self.image_shape))
        return float(np.linalg.norm(Y[h <= tol]) / np.sqrt(Y.size))


class Gradient2D(StructuredOperator):
    """Forward-difference gradient x ↦ (∂₁x, ∂₂x) on N1×N2 images (normal integration).

    The output stacks the two difference images, so m = 2n with n = N1·N2.

    - ``boundary="periodic"``: (∂₁x)_{ij} = x_{i+1,j} − x_{ij} with wrap-around; singular values
      √(4 sin²(πk₁/N₁) + 4 sin²(πk₂/N₂)), σ_A = 2 sin(π/max(N₁, N₂)).
    - ``boundary="neumann"``: the difference across the last row/column is zero (the
      (N−1)×N difference matrix padded with a zero row); AᵀA is the Neumann Laplacian,
      diagonalised by the DCT-II: singular values √(4 sin²(πk₁/(2N₁)) + 4 sin²(πk₂/(2N₂))),
      σ_A = 2 sin(π/(2 max(N₁, N₂))).

    In both cases the kernel is the constant images (THEORY.md §9.3).

    Examples
    --------
    >>> D = bc.Gradient2D((4, 5))
    >>> D.shape
    (40, 20)
    >>> spec = bc.spectrum(D)
    >>> spec.rank, round(spec.norm_A ** 2, 12)
    (19, 7.61803398875)
    """

    def __init__(self, shape: tuple[int, int], boundary: str = "periodic"):
        self.image_shape = _parse_shape(shape)
        if boundary not in ("periodic", "neumann"):
            raise ValueError(f"boundary must be 'periodic' or 'neumann', got {boundary!r}")
        if self.image_shape == (1, 1):
            raise ValueError("shape must have more than one pixel (the gradient of a 1x1 image is zero)")
        self.boundary = boundary
        self.closed_form = ("sqrt(4 sin^2(pi k1/N1) + 4 sin^2(pi k2/N2))" if boundary == "periodic"
                            else "sqrt(4 sin^2(pi k1/(2 N1)) + 4 sin^2(pi k2/(2 N2)))")
        n = self.image_shape[0] * self.image_shape[1]
        super().__init__(dtype=np.float64, shape=(2 * n, n))

    def _diff(self, img: np.ndarray, axis: int) -> np.ndarray:
        if self.boundary == "periodic":
            return np.roll(img, -1, axis=axis) - img
        d = np.zeros_like(img)
        sl_hi = [slice(None)] * 2
        sl_lo = [slice(None)] * 2
        sl_hi[axis], sl_lo[axis] = slice(1, None), slice(None, -1)
        d[tuple(sl_lo)] = img[tuple(sl_hi)] - img[tuple(sl_lo)]
        return d

    def _diff_adjoint(self, g: np.ndarray, axis: int) -> np.ndarray:
        if self.boundary == "periodic":
            return np.roll(g, 1, axis=axis) - g
        out = np.zeros_like(g)
        sl_hi = [slice(None)] * 2
        sl_lo = [slice(None)] * 2
        sl_hi[axis], sl_lo[axis] = slice(1, None), slice(None, -1)
        # Only the first N-1 rows of g carry differences; the padded zero row has no adjoint part.
        out[tuple(sl_hi)] += g[tuple(sl_lo)]
        out[tuple(sl_lo)] -= g[tuple(sl_lo)]
        return out

    def _matmat(self, X):
        # Columns stacked on a trailing axis: the differences of c images in one pass.
        X = np.asarray(X, dtype=float)
        cols = X.shape[1:]
        img = X.reshape(self.image_shape + cols)
        return np.concatenate([self._diff(img, 0).reshape((-1,) + cols), self._diff(img, 1).reshape((-1,) + cols)])

    def _rmatmat(self, Y):
        Y = np.asarray(Y, dtype=float)
        cols = Y.shape[1:]
        n = self.shape[1]
        g1 = Y[:n].reshape(self.image_shape + cols)
        g2 = Y[n:].reshape(self.image_shape + cols)
        return (self._diff_adjoint(g1, 0) + self._diff_adjoint(g2, 1)).reshape((n,) + cols)

    def _matvec(self, x):
        return self._matmat(np.asarray(x, dtype=float).ravel())

    def _rmatvec(self, y):
        return self._rmatmat(np.asarray(y, dtype=float).ravel())

    def _adjoint(self):
        return spla.LinearOperator(self.shape[::-1], matvec=self._rmatvec, rmatvec=self._matvec,
                                   matmat=self._rmatmat, rmatmat=self._matmat, dtype=float)

    def singular_values(self) -> np.ndarray:
        n1, n2 = self.image_shape
        denom = 1.0 if self.boundary == "periodic" else 2.0
        s1 = 4 * np.sin(np.pi * np.arange(n1) / (denom * n1)) ** 2
        s2 = 4 * np.sin(np.pi * np.arange(n2) / (denom * n2)) ** 2
        return np.sort(np.sqrt(s1[:, None] + s2[None, :]).ravel())[::-1]


class Mask(StructuredOperator):
    """Pixel subsampling (inpainting): keeps the entries of x where ``mask`` is True.

    A is the m×n row selection with m = number of kept pixels; its singular values are all 1,
    so σ_A = ‖A‖ = κ(A) = 1 and the kernel is spanned by the dropped pixels.

    Examples
    --------
    >>> import numpy as np
    >>> M = bc.Mask(np.array([True, False, True, True]))
    >>> M.shape
    (3, 4)
    >>> M.matvec(np.array([1.0, 2.0, 3.0, 4.0]))
    array([1., 3., 4.])
    """

    closed_form = "all ones (row selection)"

    def __init__(self, mask: Any):
        arr = np.asarray(mask)
        if arr.dtype != bool:
            if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
                raise TypeError(f"mask must be boolean or 0/1 numbers, got dtype {arr.dtype}")
            if not np.all(np.isin(arr, (0, 1))):
                raise ValueError("mask must contain only 0/1 (or True/False) entries")
            arr = arr.astype(bool)
        if arr.size == 0:
            raise ValueError("mask must not be empty")
        if not arr.any():
            raise ValueError("mask must keep at least one pixel (an all-False mask is the zero operator)")
        self.mask = arr
        self._index = np.flatnonzero(arr.ravel())
        super().__init__(dtype=np.float64, shape=(self._index.size, arr.size))

    def _matvec(self, x):
        return np.asarray(x, dtype=float).ravel()[self._index]

    def _rmatvec(self, y):
        out = np.zeros(self.shape[1])
        out[self._index] = np.asarray(y, dtype=float).ravel()
        return out

    def _adjoint(self):
        return spla.LinearOperator(self.shape[::-1], matvec=self._rmatvec, rmatvec=self._matvec, dtype=float)

    def singular_values(self) -> np.ndarray:
        return np.ones(self.shape[0])


def gaussian(m: int, n: int, seed: int | np.random.Generator) -> np.ndarray:
    """Dense m×n matrix with iid N(0, 1/m) entries (compressed sensing; the talk's experiments).

    Examples
    --------
    >>> A = bc.gaussian(4, 3, seed=0)
    >>> A.shape
    (4, 3)
    """
    m = positive_int(m, "m")
    n = positive_int(n, "n")
    require_memory(float_bytes(2 * m * n), f"a dense {m}×{n} operator")
    rng = as_rng(seed)
    return rng.standard_normal((m, n)) / np.sqrt(m)


def as_operator(A: Any, name: str = "A") -> np.ndarray | scipy.sparse.sparray | spla.LinearOperator:
    """Validate a forward operator: a 2-D finite real array, a sparse matrix or a LinearOperator."""
    if isinstance(A, spla.LinearOperator):
        if len(A.shape) != 2 or min(A.shape) < 1:
            raise ValueError(f"{name} must have a 2-D shape with positive sizes, got {A.shape}")
        return A
    if scipy.sparse.issparse(A):
        if min(A.shape) < 1:
            raise ValueError(f"{name} must not be empty, got shape {A.shape}")
        data = A.tocsr()
        as_finite_array(data.data, f"{name} (sparse entries)", allow_empty=True)
        return data.astype(np.float64)
    return as_finite_array(A, name, ndim=2)


def adjoint_test(A: spla.LinearOperator, seed: int | np.random.Generator = 0, trials: int = 3,
                 rtol: float = 1e-10) -> float:
    """Dot-product test ⟨Ax, y⟩ = ⟨x, Aᵀy⟩ on random vectors; returns the worst relative error.

    Raises
    ------
    ValueError
        If the relative error exceeds ``rtol`` (the rmatvec is not the adjoint of matvec).

    Examples
    --------
    >>> import numpy as np
    >>> A = bc.Gradient2D((6, 6))
    >>> bc.adjoint_test(A, seed=0) < 1e-12
    np.True_
    """
    rng = as_rng(seed)
    m, n = A.shape
    worst = 0.0
    for _ in range(trials):
        x = rng.standard_normal(n)
        y = rng.standard_normal(m)
        ax = np.asarray(A.matvec(x)).ravel()
        aty = np.asarray(A.rmatvec(y)).ravel()
        if ax.shape != (m,) or aty.shape != (n,):
            raise ValueError(f"A: matvec/rmatvec returned shapes {ax.shape}/{aty.shape}, expected ({m},)/({n},)")
        # NaN compares false with every tolerance: an operator whose output is NaN passed the test
        if not (np.all(np.isfinite(ax)) and np.all(np.isfinite(aty))):
            which = "matvec" if not np.all(np.isfinite(ax)) else "rmatvec"
            raise ValueError(f"A: {which} returned NaN or inf on a finite random vector")
        lhs, rhs = float(ax @ y), float(x @ aty)
        scale = np.linalg.norm(ax) * np.linalg.norm(y) + np.linalg.norm(x) * np.linalg.norm(aty)
        err = abs(lhs - rhs) / scale if scale > 0 else 0.0
        worst = max(worst, err)
    if worst > rtol:
        raise ValueError(f"A: adjoint test failed (relative error {worst:.2e} > {rtol:.0e}): "
                         "rmatvec is not the transpose of matvec")
    return worst


@dataclass(frozen=True, repr=False)
class SpectrumResult(Result):
    """Spectral constants of A (THEORY.md §2).

    Attributes
    ----------
    sigma_A : float
        Smallest **nonzero** singular value (nonzero = above ``tol``).
    norm_A : float
        ‖A‖ = σ_max(A).
    kappa_A : float
        κ(A) = ‖A‖/σ_A, the condition number on the range.
    rank : int
        Number of singular values above ``tol``.
    tol : float
        Rank tolerance: max(m, n)·eps·σ_max (LAPACK convention) unless ``rtol`` was given.
    gap : float
        σ_A / (largest singular value ≤ tol); ``inf`` when none is below the tolerance or it
        is exactly zero. A gap below 1e6 means the rank (and σ_A) is set by the tolerance.
    method : str
        "exact-structured", "dense-svd" or "lanczos-gram".
    shape : tuple
        (m, n).
    detail : str
        Closed form used or a note on the decision.
    singular_values : ndarray or None
        All singular values (descending) when the route computed them (closed form, dense SVD);
        None for the Lanczos route, which only finds the extreme ones.
    """

    sigma_A: float
    norm_A: float
    kappa_A: float
    rank: int
    tol: float
    gap: float
    method: str
    shape: tuple[int, int]
    detail: str = ""
    singular_values: np.ndarray | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        # The full spectrum can be large; the JSON contract holds the constants only.
        d = super().to_dict()
        d.pop("singular_values")
        return d

    @property
    def sigma_n(self) -> float:
        """σ_n(A), the n-th singular value: λ_min(A; C) ≥ σ_n(A) for every cone C. 0 when m < n or
        when the rank decision finds a kernel (a computed σ at rounding level is not a certified
        lower bound); nan when the route kept no singular values (Lanczos on a large operator)."""
        m, n = self.shape
        if m < n or self.rank < n:
            return 0.0
        if self.singular_values is None:
            return float("nan")
        return float(np.min(self.singular_values)) if self.singular_values.size >= n else 0.0

    @property
    def ambiguous_rank(self) -> bool:
        """True when the gap is below 1e6: σ_A then depends on the tolerance, not on A alone."""
        return self.gap < 1e6


def _from_singular_values(s: np.ndarray, shape: tuple[int, int], rtol: float | None,
                          method: str, detail: str) -> SpectrumResult:
    s = np.sort(np.abs(np.asarray(s, dtype=float)))[::-1]
    smax = float(s[0]) if s.size else 0.0
    if not smax > 0:
        raise ValueError("A must not be the zero operator (σ_A is undefined)")
    tol = (rtol if rtol is not None else max(shape) * np.finfo(float).eps) * smax
    above = s[s > tol]
    below = s[s <= tol]
    sigma = float(above[-1])
    gap = float(sigma / below[0]) if below.size and below[0] > 0 else float("inf")
    return SpectrumResult(sigma_A=sigma, norm_A=smax, kappa_A=smax / sigma, rank=int(above.size),
                          tol=float(tol), gap=gap, method=method, shape=(int(shape[0]), int(shape[1])),
                          detail=detail, singular_values=s)


def _lanczos_gram(A: spla.LinearOperator | scipy.sparse.sparray, rtol: float | None) -> SpectrumResult:
    """Smallest nonzero singular value of a large operator from the smaller Gram matrix.

    Sparse input: shift-invert Lanczos with a small negative shift (the Gram stays positive
    definite and factorizable). Matrix-free input: plain Lanczos on the smallest algebraic
    eigenvalues. In both cases the number of requested values doubles until one lies above
    the rank tolerance, and every Ritz pair passes a residual check.
    """
    m, n = A.shape
    op = spla.aslinearoperator(A)
    small = min(m, n)
    if m >= n:
        gram_mv = lambda v: op.rmatvec(op.matvec(v))  # noqa: E731
    else:
        gram_mv = lambda v: op.matvec(op.rmatvec(v))  # noqa: E731
    G = spla.LinearOperator((small, small), matvec=gram_mv, dtype=float)
    top = spla.eigsh(G, k=1, which="LA", return_eigenvectors=False, tol=1e-12)
    lam_max = float(top[0])
    if not lam_max > 0:
        raise ValueError("A must not be the zero operator (σ_A is undefined)")
    smax = np.sqrt(lam_max)
    tol = (rtol if rtol is not None else max(m, n) * np.finfo(float).eps) * smax
    # Eigenvalues of the Gram carry an absolute error ~eps‖A‖², so a singular value is
    # decided nonzero only well above that floor (docs/numerics.md "Spectra and rank": never trust σ² below it).
    floor = max(tol, np.sqrt(small * np.finfo(float).eps) * smax)
    sparse_input = scipy.sparse.issparse(A)
    if sparse_input:
        Gs = (A.T @ A) if m >= n else (A @ A.T)
        shift = -1e-8 * abs(Gs).sum(axis=0).max()
    nev = 2
    while True:
        nev = min(nev, small - 1)
        try:
            if sparse_input:
                vals, vecs = spla.eigsh(Gs.tocsc(), k=nev, sigma=shift, which="LM", tol=1e-12)
            else:
                vals, vecs = spla.eigsh(G, k=nev, which="SA", tol=1e-12, maxiter=20 * small)
        except spla.ArpackNoConvergence as exc:
            raise RuntimeError(f"A: Lanczos did not converge for the {nev} smallest Gram eigenvalues; "
                               "no σ_A is reported") from exc
        order = np.argsort(vals)
        vals, vecs = vals[order], vecs[:, order]
        res = np.array([np.linalg.norm(gram_mv(vecs[:, i]) - vals[i] * vecs[:, i]) for i in range(nev)])
        if np.any(res > 1e-8 * lam_max):
            raise RuntimeError(f"A: Lanczos residual check failed (max residual {res.max():.2e}); "
                               "no σ_A is reported")
        sv = np.sqrt(np.clip(vals, 0, None))
        if np.any(sv > floor) or nev >= small - 1:
            break
        nev *= 2
    above = sv[sv > floor]
    if above.size == 0:
        raise RuntimeError("A: no singular value above the rank floor among the Lanczos values")
    below = sv[sv <= floor]
    sigma = float(above[0])
    gap = float(sigma / below.max()) if below.size and below.max() > 0 else float("inf")
    kernel = int(below.size)
    return SpectrumResult(sigma_A=sigma, norm_A=float(smax), kappa_A=float(smax / sigma),
                          rank=small - kernel, tol=float(floor), gap=gap, method="lanczos-gram",
                          shape=(m, n),
                          detail=(f"{'shift-invert ' if sparse_input else ''}Lanczos on the {small}x{small} Gram; "
                                  f"{kernel} kernel values found below {floor:.2e}; residuals <= {res.max():.1e}"))


def spectrum(A: Any, *, rtol: float | None = None, seed: int = 0) -> SpectrumResult:
    """σ_A, ‖A‖, κ(A) and the rank of a forward operator (THEORY.md §2).

    Parameters
    ----------
    A : ndarray, sparse matrix, LinearOperator or StructuredOperator
        The forward operator, m×n.
    rtol : float, optional
        Relative rank tolerance; singular values ≤ rtol·σ_max count as zero. Default: the
        LAPACK convention max(m, n)·eps.
    seed : int
        Seed of the random vectors of the adjoint test run on user ``LinearOperator`` input.

    Returns
    -------
    SpectrumResult

    Notes
    -----
    Routes: closed forms for :class:`StructuredOperator`; a dense SVD (``scipy.linalg.svdvals``,
    never eigenvalues of AᵀA) for arrays and for operators with min(m, n) ≤ 2048, assembled
    from matvecs; Lanczos on the smaller Gram matrix above that size.

    Examples
    --------
    >>> import numpy as np
    >>> spec = bc.spectrum(np.diag([3.0, 2.0, 0.5]))
    >>> spec.sigma_A, spec.norm_A, spec.kappa_A, spec.method
    (0.5, 3.0, 6.0, 'dense-svd')
    """
    if rtol is not None:
        if isinstance(rtol, bool) or not isinstance(rtol, (int, float)) or not (0 < rtol < 1):
            raise ValueError(f"rtol must be a number in (0, 1), got {rtol!r}")
        rtol = float(rtol)
    A = as_operator(A)
    shape = A.shape
    if isinstance(A, StructuredOperator):
        return _from_singular_values(A.singular_values(), shape, rtol, "exact-structured", A.closed_form)
    if isinstance(A, np.ndarray):
        return _from_singular_values(scipy.linalg.svdvals(A), shape, rtol, "dense-svd", "LAPACK gesdd")
    if isinstance(A, spla.LinearOperator):
        # an operator that states its precision (a float32 deepinv physics) is tested at it
        adjoint_test(A, seed=seed, rtol=getattr(A, "adjoint_rtol", 1e-10))
    m, n = shape
    small = min(shape)
    # the dense route assembles m×n numbers and gesdd's workspace (~4k² more); where that does not fit,
    # the matrix-free route (a few Lanczos vectors) runs instead of allocating it (a 2000² operator was
    # assembled under a 1 KiB limit)
    dense_bytes = float_bytes(2 * m * n, 4 * small * small)
    lanczos_bytes = float_bytes(40 * small, 4 * max(m, n))
    if small <= DENSE_FALLBACK_MAX and (dense_bytes <= available_bytes() or small <= 2):
        require_memory(dense_bytes, f"A: the dense SVD of the {m}×{n} operator assembled from matvecs")
        if scipy.sparse.issparse(A):
            dense = A.toarray()
        elif shape[1] <= shape[0]:
            dense = np.asarray(A.matmat(np.eye(shape[1])))
        else:
            dense = np.asarray(A.rmatmat(np.eye(shape[0]))).T
        as_finite_array(dense, "A (assembled from matvecs)")
        return _from_singular_values(scipy.linalg.svdvals(dense), shape, rtol, "dense-svd",
                                     "dense SVD of the operator assembled from matvecs")
    require_memory(lanczos_bytes, f"A: Lanczos on the {small}×{small} Gram matrix of the {m}×{n} operator "
                                  f"(the dense SVD would need {format_bytes(dense_bytes)})")
    return _lanczos_gram(A, rtol)
