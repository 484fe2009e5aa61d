"""Refuse allocations that cannot fit, before making them.

Every large array boundcalc allocates (the parameters θ of size k(n + d), Gram blocks, the θ
snapshots of a trajectory, Monte-Carlo samples, the spectra of structured operators, arrays read
from user files) is first estimated in bytes and compared with the memory available. A size that
cannot fit raises :class:`MemoryLimitError` (a ``ValueError``: the CLI reports it on one line with
exit status 2) instead of ending in a ``MemoryError`` or an out-of-memory kill.

The limit is the memory the operating system reports as available (``MemAvailable`` of
``/proc/meminfo``, else physical pages × page size). The environment variable
``BOUNDCALC_MAX_MEMORY`` (or the CLI option ``--max-memory``, which sets it) overrides it, e.g.
``8G``, ``512M`` or a number of bytes.
"""

from __future__ import annotations

import math
import os

__all__ = ["MemoryLimitError", "available_bytes", "require_memory", "format_bytes", "parse_bytes",
           "float_bytes", "require_device_memory", "ENV_VAR"]

#: Environment variable holding a user-set memory limit (bytes, or with a K/M/G/T suffix).
ENV_VAR = "BOUNDCALC_MAX_MEMORY"
_UNITS = {"": 1, "B": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40, "P": 2**50}
_FLOAT = 8  # bytes of a float64


class MemoryLimitError(ValueError):
    """An allocation that cannot fit in the memory available (refused before it is made)."""


def parse_bytes(text: str) -> int:
    """``'8G'`` → 8·2³⁰ bytes; accepts K, M, G, T, P suffixes (binary, optional ``iB``/``B``)."""
    s = str(text).strip().upper().removesuffix("IB").removesuffix("B")
    unit = s[-1:] if s[-1:] in _UNITS and s[-1:] else ""
    number = s[: len(s) - len(unit)] if unit else s
    try:
        value = float(number) * _UNITS[unit]
    except ValueError:
        raise ValueError(f"memory size must look like 8G, 512M or a number of bytes, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"memory size must be positive, got {text!r}")
    return int(value)


def format_bytes(nbytes: float) -> str:
    """1.6e13 → '14.6 TiB'."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(nbytes) < 1024 or unit == "PiB":
            return f"{nbytes:.0f} {unit}" if unit == "B" else f"{nbytes:.3g} {unit}"
        nbytes /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def available_bytes() -> int:
    """Memory available to a new allocation: ``BOUNDCALC_MAX_MEMORY`` if set, else the system's."""
    override = os.environ.get(ENV_VAR)
    if override:
        return parse_bytes(override)
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - no way to tell: do not refuse
        return 2**62


def require_memory(nbytes: float, what: str) -> None:
    """Raise :class:`MemoryLimitError` if ``nbytes`` cannot fit in the memory available.

    ``what`` names the size and its use, e.g. ``"k = 10¹² needs"`` … ``"for θ"``; the message
    reads "<what>: needs 14.6 TiB; 21 GiB available (set BOUNDCALC_MAX_MEMORY / --max-memory to
    change the limit)".
    """
    avail = available_bytes()
    if not math.isfinite(nbytes) or nbytes > avail:
        raise MemoryLimitError(f"{what} needs {format_bytes(nbytes)}; {format_bytes(avail)} available "
                               f"(--max-memory or {ENV_VAR} sets the limit)")


def require_device_memory(device: object, nbytes: float, what: str) -> None:
    """On a CUDA ``device`` (a ``torch.device``), raise :class:`MemoryLimitError` if ``nbytes`` exceed the
    GPU memory free now (``torch.cuda.mem_get_info``); a CPU device is checked by :func:`require_memory`.
    A GPU that runs out mid-run raises torch's OutOfMemoryError after minutes of work; this says it first."""
    if getattr(device, "type", None) != "cuda":
        return
    import torch
    free, _total = torch.cuda.mem_get_info(device)
    if not math.isfinite(nbytes) or nbytes > free:
        raise MemoryLimitError(f"{what} needs {format_bytes(nbytes)} on {device}; {format_bytes(free)} of GPU "
                               "memory free (store fewer iterates, or run on --device cpu)")


def float_bytes(*counts: float) -> float:
    """Bytes of float64 arrays with these numbers of entries (Python ints: no overflow)."""
    return float(sum(int(c) for c in counts)) * _FLOAT
