"""deepinv linear physics as boundcalc forward operators (``pip install "boundcalc[deepinv]"``).

:func:`from_deepinv` wraps any ``deepinv.physics.LinearPhysics`` (``A`` and ``A_adjoint`` on
tensors of shape (1, C, H, W)) as a float64 ``scipy.sparse.linalg.LinearOperator`` on flattened
images. A ``BlurFFT`` (periodic convolution with a stored filter) becomes a
:class:`~boundcalc.linalg.operators.StructuredOperator` whose singular values are computed by
boundcalc itself from the filter: ∣DFT₂(filter zero-padded to the image)∣ per channel (a circular
shift of the padding does not change the moduli), so ``spectrum`` is exact. Every other physics goes
through the certified routes of :func:`~boundcalc.linalg.operators.spectrum` (dense SVD from matvecs
up to min(m, n) = 2048, Lanczos above).

Before anything is computed the dot-product test ⟨Ax, y⟩ = ⟨x, Aᵀy⟩ is run; a physics computed in
float32 (deepinv's default, and parts of BlurFFT even with a float64 filter) fails the default 1e-10
tolerance, and the error says to pass ``adjoint_rtol=1e-5``; :func:`~boundcalc.spectrum` then repeats
the test at that precision. (``physics.to(torch.float64)`` is not a remedy for BlurFFT: it casts the
complex phase buffer to real.)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse.linalg as spla

from .operators import StructuredOperator, adjoint_test

__all__ = ["from_deepinv", "DeepinvOperator", "DeepinvBlurFFT"]


class DeepinvOperator(spla.LinearOperator):
    """A deepinv linear physics on flattened float64 images (C·H·W → the physics' output, flattened)."""

    def __init__(self, physics: Any, img_size: tuple[int, ...], out_size: tuple[int, ...], dtype: Any,
                 device: Any = None):
        import torch
        self.physics, self.img_size, self.out_size, self._tdtype = physics, tuple(img_size), tuple(out_size), dtype
        self._torch = torch
        # the physics' own device: its A is applied there, the result comes back to NumPy (a physics on
        # a GPU raised torch's "Expected all tensors to be on the same device")
        self.device = device if device is not None else torch.device("cpu")
        super().__init__(dtype=np.float64, shape=(int(np.prod(out_size)), int(np.prod(img_size))))

    def _apply(self, fn: Any, v: np.ndarray, shape: tuple[int, ...], out_len: int) -> np.ndarray:
        t = self._torch.as_tensor(np.asarray(v, dtype=np.float64).reshape((1, *shape)), dtype=self._tdtype,
                                  device=self.device)
        with self._torch.no_grad():
            out = fn(t)
        return out.detach().to(self._torch.float64).cpu().numpy().reshape(out_len)

    def _matvec(self, x):
        return self._apply(self.physics.A, x, self.img_size, self.shape[0])

    def _rmatvec(self, y):
        return self._apply(self.physics.A_adjoint, y, self.out_size, self.shape[1])

    def _adjoint(self):
        return spla.LinearOperator((self.shape[1], self.shape[0]), matvec=self._rmatvec, rmatvec=self._matvec,
                                   dtype=np.float64)


class DeepinvBlurFFT(DeepinvOperator, StructuredOperator):
    """A deepinv ``BlurFFT``: singular values ∣DFT₂(filter zero-padded to the image)∣ per channel."""

    closed_form = "|DFT2(filter zero-padded to the image)| per channel (from the BlurFFT filter)"

    def __init__(self, physics: Any, img_size: tuple[int, ...], out_size: tuple[int, ...], dtype: Any,
                 sv: np.ndarray, device: Any = None):
        super().__init__(physics, img_size, out_size, dtype, device)
        self._sv = sv

    def singular_values(self) -> np.ndarray:
        return self._sv.copy()


def physics_device(tensors: list) -> Any:
    """The one device a physics' tensors live on (CPU when it holds none).

    Raises
    ------
    ValueError
        Its tensors are spread over several devices (no device can apply it whole)."""
    import torch
    devices = sorted({str(t.device) for t in tensors if t is not None})
    if len(devices) > 1:
        raise ValueError(f"physics: its tensors are on several devices ({', '.join(devices)}); move it to one "
                         "with physics.to(device)")
    return torch.device(devices[0]) if devices else torch.device("cpu")


def _blur_singular_values(filt: np.ndarray, img_size: tuple[int, ...]) -> np.ndarray:
    """∣DFT₂∣ of the filter zero-padded to (H, W), one block per channel (filter (1, c, h, w), c = 1 or C)."""
    C, H, W = img_size
    sv = []
    for c in range(C):
        k = filt[0, c if filt.shape[1] > 1 else 0]
        padded = np.zeros((H, W))
        padded[:k.shape[0], :k.shape[1]] = k
        sv.append(np.abs(np.fft.fft2(padded)).ravel())
    return np.sort(np.concatenate(sv))[::-1]


def from_deepinv(physics: Any, *, img_size: tuple[int, ...] | None = None, adjoint_rtol: float = 1e-10,
                 seed: int = 0) -> DeepinvOperator:
    """A deepinv linear physics as a float64 boundcalc operator.

    Parameters
    ----------
    physics : deepinv.physics.LinearPhysics
        Any physics with ``A`` and ``A_adjoint`` (BlurFFT, Blur, Downsampling, Inpainting,
        CompressedSensing, …). It is applied in float64 when its buffers are float64, in its own
        precision otherwise.
    img_size : (C, H, W), optional
        The input image size; taken from ``physics.img_size`` when the physics stores it.
    adjoint_rtol : float
        Tolerance of the dot-product test (1e-10; pass 1e-5 for a float32 physics).
    seed : int
        Seed of the dot-product test's random vectors.

    Returns
    -------
    DeepinvOperator
        m×n with n = C·H·W; a :class:`DeepinvBlurFFT` with exact singular values (``spectrum`` →
        "exact-structured") for BlurFFT.

    Examples
    --------
    >>> import deepinv as dinv
    >>> physics = dinv.physics.BlurFFT(img_size=(1, 16, 16), filter=dinv.physics.blur.gaussian_blur(sigma=1.0),
    ...                                device="cpu")
    >>> A = bc.from_deepinv(physics, adjoint_rtol=1e-5)  # deepinv computes parts of BlurFFT in float32
    >>> A.shape, bc.spectrum(A).method
    ((256, 256), 'exact-structured')
    """
    import torch
    if not (callable(getattr(physics, "A", None)) and callable(getattr(physics, "A_adjoint", None))):
        raise TypeError(f"physics must be a deepinv LinearPhysics (with A and A_adjoint), got {type(physics).__name__}")
    size = img_size if img_size is not None else getattr(physics, "img_size", None)
    if size is None:
        raise ValueError("img_size: this physics does not store its image size; pass img_size=(C, H, W)")
    # whole numbers only: (1, 8.7, 8) was read as (1, 8, 8)
    if isinstance(size, (str, bytes)) or not hasattr(size, "__len__") or len(size) != 3 or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in size):
        raise ValueError(f"img_size must be (C, H, W), three whole numbers >= 1, got {size!r}")
    size = tuple(int(v) for v in size)
    tensors = (list(physics.buffers()) + list(physics.parameters())) if hasattr(physics, "buffers") else []
    buffers = [b for b in tensors if b is not None and torch.is_floating_point(b)]
    dtype = torch.float64 if all(b.dtype == torch.float64 for b in buffers) else (buffers[0].dtype if buffers
                                                                                 else torch.float64)
    device = physics_device(tensors)
    with torch.no_grad():
        out = physics.A(torch.zeros((1, *size), dtype=dtype, device=device))
    filt = getattr(physics, "filter", None)
    # A filter larger than the image: deepinv crops it in its own way, so no closed form is claimed.
    if type(physics).__name__ == "BlurFFT" and filt is not None and filt.shape[-2] <= size[1] \
            and filt.shape[-1] <= size[2]:
        sv = _blur_singular_values(filt.detach().to(torch.float64).cpu().numpy(), size)
        op: DeepinvOperator = DeepinvBlurFFT(physics, size, tuple(out.shape[1:]), dtype, sv, device=device)
    else:
        op = DeepinvOperator(physics, size, tuple(out.shape[1:]), dtype, device=device)
    op.adjoint_rtol = float(adjoint_rtol)  # spectrum() repeats the dot-product test at this precision
    try:
        adjoint_test(op, seed=seed, rtol=adjoint_rtol)
    except ValueError as exc:
        raise ValueError(f"physics: A_adjoint is not the adjoint of A to rtol {adjoint_rtol:g} ({exc}); a physics "
                         "computed in float32 passes with adjoint_rtol=1e-5") from None
    return op
