"""Forward operators applied in torch (optional: needs PyTorch), so that a training loop on a torch network
never leaves the device: A x for a flattened image x as a differentiable torch function, whose adjoint
autograd supplies. The structured operators keep their exact structure: a periodic blur is an FFT product,
a gradient is two differences, a mask an index; a dense matrix is a matmul; a deepinv physics is its own
``A``. Every one is checked against boundcalc's NumPy operator in the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

__all__ = ["torch_operator"]


def torch_operator(A: Any, *, device: Any = "cpu", dtype: torch.dtype = torch.float64
                   ) -> Callable[[torch.Tensor], torch.Tensor]:
    """x ↦ A x on flattened torch vectors, for the operators boundcalc builds and dense matrices.

    Parameters
    ----------
    A : numpy.ndarray, Convolution2D, Gradient2D, Mask or DeepinvOperator
        The forward operator (m × n).
    device, dtype
        Where and in which precision the product runs (float64 by default).

    Raises
    ------
    TypeError
        For an operator with no torch form (a general ``LinearOperator`` or a sparse matrix): pass it as a
        dense array, or through ``from_deepinv``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from boundcalc.linalg.operators import Gradient2D
    >>> G = Gradient2D((4, 4), boundary="neumann")
    >>> x = np.arange(16.0)
    >>> bool(np.allclose(torch_operator(G)(torch.as_tensor(x)).numpy(), G @ x))
    True
    """
    from .deepinv_physics import DeepinvOperator
    from .operators import Convolution2D, Gradient2D, Mask
    if isinstance(A, np.ndarray):
        if A.ndim != 2 or not np.all(np.isfinite(A)):
            raise ValueError("A: a dense operator must be a finite 2-D array")
        M = torch.as_tensor(A, dtype=dtype, device=device)
        return lambda x: M @ x
    if isinstance(A, Convolution2D):
        n1, n2 = A.image_shape
        mult = torch.as_tensor(A._fft[:, : n2 // 2 + 1], device=device,
                               dtype=torch.complex128 if dtype == torch.float64 else torch.complex64)
        return lambda x: torch.fft.irfft2(torch.fft.rfft2(x.reshape(n1, n2)) * mult, s=(n1, n2)).reshape(-1)
    if isinstance(A, Gradient2D):
        periodic = A.boundary == "periodic"

        def grad(x: torch.Tensor) -> torch.Tensor:
            img = x.reshape(A.image_shape)
            if periodic:
                d0, d1 = torch.roll(img, -1, 0) - img, torch.roll(img, -1, 1) - img
            else:  # the difference across the last row / column is zero (Neumann)
                d0 = torch.nn.functional.pad(img[1:] - img[:-1], (0, 0, 0, 1))
                d1 = torch.nn.functional.pad(img[:, 1:] - img[:, :-1], (0, 1, 0, 0))
            return torch.cat([d0.reshape(-1), d1.reshape(-1)])
        return grad
    if isinstance(A, Mask):
        index = torch.as_tensor(A._index, device=device)
        return lambda x: x[index]
    if isinstance(A, DeepinvOperator):
        physics, shape = A.physics, A.img_size
        return lambda x: physics.A(x.reshape((1, *shape))).reshape(-1)
    raise TypeError(f"A: no torch form for {type(A).__name__}; pass a dense array (numpy), a boundcalc "
                    "Convolution2D / Gradient2D / Mask, or a deepinv physics through from_deepinv")
