"""The array backend below the generator and the dynamics (docs/architecture.md).

The two-layer generator, the reduced state and the IGAHD/GD iterations are written against the
Python array API standard through ``array-api-compat``, so NumPy (the default and the reference),
PyTorch (CPU or CUDA) and CuPy arrays run the same code, and ``array-api-strict`` in the tests
proves that only the standard is used. A run's arrays all live in one namespace and on one device;
results record both, and the dtype.

What stays NumPy/SciPy (small results are moved there): ``scipy.integrate.solve_ivp`` (ISEHD, GF),
the cone SDPs, the n×n symmetric eigensolve of the Gram route, the Lanczos tridiagonal eigensolves,
and everything reported (trajectories are recorded as Python floats / NumPy arrays).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["namespace", "resolve_backend", "to_numpy", "asarray", "device_of", "describe", "Backend", "norm", "dot",
           "copy", "matrix_transpose", "problem_arrays"]


def namespace(*arrays: Any) -> Any:
    """The array namespace of ``arrays``: NumPy itself for NumPy input (no wrapper, no overhead),
    else ``array_api_compat.array_namespace``."""
    if all(isinstance(a, (np.ndarray, np.generic, float, int)) or a is None for a in arrays):
        return np
    from array_api_compat import array_namespace
    return array_namespace(*[a for a in arrays if a is not None and not isinstance(a, (float, int))])


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy copy (or view) of any backend's array; moves device memory to the host."""
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "detach"):  # torch
        return x.detach().cpu().numpy()
    if hasattr(x, "get"):  # cupy
        return x.get()
    return np.asarray(x)


def device_of(x: Any) -> str:
    """'cpu', or the device string of a GPU array."""
    if isinstance(x, np.ndarray):
        return "cpu"
    from array_api_compat import device
    return str(device(x))


class Backend:
    """A namespace, a device and a dtype: where a run's arrays live.

    ``Backend.resolve(device="cuda")`` gives PyTorch on the GPU; ``"cpu"`` (default) NumPy; an
    explicit ``xp`` (e.g. ``array_api_strict`` or ``torch``) is taken as given.
    """

    def __init__(self, xp: Any = np, device: Any = None, dtype: str = "float64"):
        if dtype not in ("float64", "float32"):
            raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
        self.xp, self.device, self.dtype_name = xp, device, dtype
        self.dtype = getattr(xp, dtype)

    @property
    def name(self) -> str:
        return getattr(self.xp, "__name__", str(self.xp)).replace("array_api_compat.", "")

    def asarray(self, x: Any) -> Any:
        """``x`` in this backend (converted from NumPy or another backend through the host)."""
        if self.xp is np:
            return np.asarray(to_numpy(x), dtype=self.dtype)
        if not isinstance(x, np.ndarray) and namespace(x) is not self.xp:
            x = to_numpy(x)
        kw = {"device": self.device} if self.device is not None else {}
        return self.xp.asarray(x, dtype=self.dtype, **kw)

    def describe(self) -> dict[str, str]:
        return {"backend": self.name, "device": str(self.device or "cpu"), "dtype": self.dtype_name}


def resolve_backend(device: str | None = None, *, xp: Any = None, dtype: str = "float64") -> Backend:
    """The backend for ``device`` ("cpu" → NumPy, "cuda" → PyTorch on the GPU) or an explicit ``xp``.

    Raises
    ------
    ValueError
        For an unknown device, or "cuda" without PyTorch or without a GPU (said plainly).
    """
    if xp is not None:
        if getattr(xp, "__name__", "") == "torch":  # the bare module: use its array-API wrapper
            xp = _torch_namespace()
        if xp is np:
            return Backend(np, None, dtype)
        return Backend(xp, device if device not in (None, "cpu") else None, dtype)
    if device in (None, "cpu"):
        return Backend(np, None, dtype)
    if device == "cuda" or str(device).startswith("cuda:"):
        try:
            import torch
        except ImportError:
            raise ValueError("device 'cuda' needs PyTorch: pip install 'boundcalc[torch]'") from None
        if not torch.cuda.is_available():
            raise ValueError("device 'cuda': PyTorch finds no GPU on this machine (torch.cuda.is_available() "
                             "is False); use --device cpu") from None
        return Backend(_torch_namespace(), device, dtype)
    raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")


def _torch_namespace() -> Any:
    from array_api_compat import torch as xp_torch
    return xp_torch


def asarray(x: Any, like: Any) -> Any:
    """``x`` in the namespace, device and dtype of the array ``like``."""
    xp = namespace(like)
    if xp is np:
        return np.asarray(to_numpy(x), dtype=like.dtype)
    from array_api_compat import device
    return xp.asarray(to_numpy(x) if not hasattr(x, "__array_namespace__") or namespace(x) is not xp else x,
                      dtype=like.dtype, device=device(like))


def describe(x: Any) -> dict[str, str]:
    """Backend, device and dtype of an array, for the records."""
    xp = namespace(x)
    name = "numpy" if xp is np else getattr(xp, "__name__", str(xp)).replace("array_api_compat.", "")
    return {"backend": name, "device": device_of(x), "dtype": str(x.dtype).replace("torch.", "")}


def norm(x: Any) -> float:
    """‖x‖₂ of a vector (or Frobenius of an array) as a Python float, any backend."""
    xp = namespace(x)
    return float(np.linalg.norm(x)) if xp is np else float(xp.sqrt(xp.sum(x * x)))


def dot(a: Any, b: Any) -> float:
    """⟨a, b⟩ as a Python float, any backend."""
    xp = namespace(a, b)
    return float(a @ b) if xp is np else float(xp.sum(a * b))


def matrix_transpose(x: Any) -> Any:
    """Transpose of the last two axes (one matrix or a stack of them), any backend."""
    xp = namespace(x)
    return np.swapaxes(x, -1, -2) if xp is np else xp.matrix_transpose(x)


def copy(x: Any) -> Any:
    """A copy of an array, any backend (the array API has no ``.copy()``)."""
    xp = namespace(x)
    return x.copy() if xp is np else xp.asarray(x, copy=True)


def problem_arrays(backend: Backend, A: Any, y: Any, x_bar: Any) -> tuple[Any, Any, Any, Any]:
    """(A, y, ȳ = A x̄, x̄) in ``backend``; a non-NumPy backend needs A as a dense array (structured
    and matrix-free operators apply through SciPy, on the host)."""
    if backend.xp is np:
        y_clean = None if x_bar is None else np.asarray(A @ x_bar).ravel()
        return A, y, y_clean, x_bar
    if not (isinstance(A, np.ndarray) or hasattr(A, "__array_namespace__") or hasattr(A, "__dlpack__")):
        raise ValueError(f"A: the {backend.name} backend needs a dense array operator; "
                         f"{type(A).__name__} runs on the NumPy backend (device='cpu')")
    A_b, y_b = backend.asarray(A), backend.asarray(y)
    x_b = None if x_bar is None else backend.asarray(x_bar)
    return A_b, y_b, None if x_b is None else A_b @ x_b, x_b
