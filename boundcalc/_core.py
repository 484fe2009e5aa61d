"""Shared plumbing: input validation and the result base class.

Every public function of boundcalc validates its inputs through the helpers here so that
bad input fails the same way everywhere: a ``TypeError`` or ``ValueError`` whose message
names the argument and states the requirement.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

__all__ = ["Terminated", "Result", "as_finite_array", "positive_float", "positive_int", "jsonable", "as_rng"]


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread by the CLI's handler so that the same clean-up as for
    Ctrl-C runs (workers stopped, finished work kept, partial outputs removed); exit status 143."""


def as_finite_array(value: Any, name: str, *, ndim: int | tuple[int, ...] | None = None,
                    shape: tuple[int | None, ...] | None = None, allow_empty: bool = False) -> np.ndarray:
    """Return ``value`` as a float64 array after checking dtype, shape and finiteness.

    Raises
    ------
    TypeError
        If the values are not real numbers (strings, objects, complex, booleans).
    ValueError
        If the array has the wrong number of dimensions or shape, is empty, or holds NaN/inf.
    """
    arr = np.asarray(value)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.integer)
                                   or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(f"{name} must hold real numbers (integer or float dtype), got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            want = " or ".join(f"{k}-D" for k in allowed)
            raise ValueError(f"{name} must be {want}, got an array of shape {arr.shape}")
    if shape is not None:
        if len(shape) != arr.ndim or any(s is not None and s != a for s, a in zip(shape, arr.shape, strict=False)):
            dims = [("any" if s is None else str(s)) for s in shape]
            want = f"({dims[0]},)" if len(dims) == 1 else "(" + ", ".join(dims) + ")"  # Python's own tuple notation
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf entries)")
    return arr


def positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """Check that ``value`` is an integer ``>= minimum`` and return it as ``int``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def positive_float(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """Check that ``value`` is a finite real number > 0 (or >= 0) and return it as ``float``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        rel = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {rel}, got {value}")
    return v


def as_rng(seed: Any, name: str = "seed") -> np.random.Generator:
    """Turn an integer seed or a ``numpy.random.Generator`` into a Generator.

    ``None`` is refused: every random draw in boundcalc must be reproducible.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{name} must be an integer or a numpy.random.Generator, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {seed}")
    return np.random.default_rng(int(seed))


#: Why a value is null in JSON: what the non-finite float stood for.
NONFINITE_STATUS = {"inf": "infinite: unbounded, or never reached", "-inf": "minus infinity",
                    "nan": "not defined here (nan)"}


def _kind(v: float) -> str | None:
    return None if math.isfinite(v) else "nan" if math.isnan(v) else "inf" if v > 0 else "-inf"


def _convert(value: Any) -> tuple[Any, set[str]]:
    """(JSON-ready value, kinds of the non-finite floats met directly in it or its lists)."""
    if isinstance(value, Result):
        return value.to_dict(), set()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return json_dict((f.name, getattr(value, f.name)) for f in dataclasses.fields(value)), set()
    if isinstance(value, dict):
        return json_dict(value.items()), set()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        out, kinds = [], set()
        for v in value:
            c, k = _convert(v)
            out.append(c)
            kinds |= k
        return out, kinds
    if isinstance(value, (np.bool_, bool)):
        return bool(value), set()
    if isinstance(value, np.integer):
        return int(value), set()
    if isinstance(value, (float, np.floating)):
        kind = _kind(float(value))
        return (None, {kind}) if kind else (float(value), set())
    return value, set()


def json_dict(items: Any) -> dict[str, Any]:
    """A JSON object from (key, value) pairs: a non-finite float becomes ``null`` and, beside it,
    ``<key>_status`` says what it stood for (unless the object already says why); a list holding
    such values gets the same status for its null entries. Strict JSON, no sentinels."""
    out: dict[str, Any] = {}
    statuses: dict[str, str] = {}
    for k, v in items:
        c, kinds = _convert(v)
        out[str(k)] = c
        if kinds:
            what = "; ".join(NONFINITE_STATUS[x] for x in ("inf", "-inf", "nan") if x in kinds)
            statuses[f"{k}_status"] = what if not isinstance(c, list) else f"null entries: {what}"
    for key, why in statuses.items():
        out.setdefault(key, why)
    return out


def jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays, dataclasses and results into JSON-ready Python objects.

    Non-finite floats become ``null``; inside an object a ``<key>_status`` beside them says whether
    the value was infinite (unbounded, never reached) or undefined (:func:`json_dict`), so that the
    output is strict JSON and an unbounded quantity is not confused with a missing one.
    """
    return _convert(value)[0]


def subplots(*args: Any, **kwargs: Any):
    """``matplotlib.pyplot.subplots`` on the non-interactive Agg backend (reports run headless);
    matplotlib is imported only when a figure is drawn."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt.subplots(*args, **kwargs)


def close_figure(fig: Any) -> None:
    """Release a figure made by :func:`subplots` once it is saved."""
    import matplotlib.pyplot as plt
    plt.close(fig)


def _fmt(value: Any) -> str:
    if isinstance(value, Result):
        inner = ", ".join(f"{f.name}={_fmt(getattr(value, f.name))}" for f in dataclasses.fields(value)
                          if f.repr and not isinstance(getattr(value, f.name), (np.ndarray, list, tuple, dict)))
        return f"{type(value).__name__}({inner})"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, np.ndarray):
        # shape and a few values: the first three and the last, enough to see the scale and the trend
        flat = value.ravel()
        if flat.size == 0 or not np.issubdtype(flat.dtype, np.number):
            return f"array(shape={value.shape})"
        shown = [f"{float(v):.4g}" for v in (flat[:3] if flat.size > 4 else flat)]
        if flat.size > 4:
            shown += ["…", f"{float(flat[-1]):.4g}"]
        return f"array(shape={value.shape}: {', '.join(shown)})"
    if isinstance(value, (list, tuple)) and (len(value) > 4 or any(isinstance(v, Result) for v in value)):
        return f"[{len(value)} items]"
    return str(value)


class Result:
    """Mixin for frozen result dataclasses: JSON-ready ``to_dict`` and a table ``__repr__``."""

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a JSON-ready dictionary (see :func:`jsonable`)."""
        return json_dict((f.name, getattr(self, f.name)) for f in dataclasses.fields(self))

    def __repr__(self) -> str:
        # a None beside its own <name>_status is left out: the status line says why it has no value
        # ("probability = None" printed above "probability_status = vacuous …")
        names = {f.name for f in dataclasses.fields(self)}
        fields = [f.name for f in dataclasses.fields(self) if f.repr
                  and not (getattr(self, f.name) is None and f"{f.name}_status" in names)]
        width = max((len(n) for n in fields), default=0)
        lines = [f"{type(self).__name__}("]
        for n in fields:
            lines.append(f"  {n:<{width}} = {_fmt(getattr(self, n))}")
        lines.append(")")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.__repr__()

    def _repr_html_(self) -> str:
        """A notebook's view: the result's scalar fields as a table (arrays by shape and a few values)."""
        import html
        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(f.name)}</th>"
                       f"<td style='text-align:left'>{html.escape(_fmt(getattr(self, f.name)))}</td></tr>"
                       for f in dataclasses.fields(self) if f.repr)
        return f"<table><caption>{html.escape(type(self).__name__)}</caption>{rows}</table>"


class _NoBar:
    """What :func:`progress_bar` returns when no bar is shown: the same calls, doing nothing."""

    def __init__(self, iterable: Any = None):
        self._it = iterable

    def __iter__(self):
        return iter(self._it)

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        pass

    def set_description(self, desc: str) -> None:
        pass

    def set_postfix_str(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(iterable: Any = None, *, total: int | None = None, desc: str = "", enabled: bool = True,
                 unit: str = "it") -> Any:
    """A tqdm bar on stderr for work that can take more than a couple of seconds, shown only when
    ``enabled`` and stderr is a terminal (a log file or a pipe gets nothing)."""
    import sys
    if not enabled or not sys.stderr.isatty():
        return _NoBar(iterable)
    from tqdm import tqdm
    return tqdm(iterable, total=total, desc=desc, file=sys.stderr, unit=unit, leave=False, dynamic_ncols=True)


def one_blas_thread(fn: Any) -> Any:
    """Run ``fn`` with one BLAS thread (threadpoolctl), whatever the process was started with.

    Why: the dynamics' products are matrix–vector sized (m·k up to a few 10⁶), where a second BLAS thread only
    adds synchronisation. Measured on 2 cores (n = 50, m = 25, d = 10, IGAHD): at k = 2·10⁴ one thread took
    4.95 ms (full state) and 2.44 ms (reduced) per iteration, two threads 12.4 and 14.1 ms; one thread was as
    fast or faster at every k from 10³ to 10⁵ and on a 1024-pixel blur (benchmarks/bench_reduced.py)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from threadpoolctl import threadpool_limits
        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)
    return wrapper
