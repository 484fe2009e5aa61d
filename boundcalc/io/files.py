"""Reading users' array files safely: ``.npy`` and ``.npz`` without pickle, headers checked first.

Before any data is read, the header (shape, dtype) is parsed and checked: the dtype must be a
real number type (no objects, so nothing can execute), the file must hold as many bytes as the
header claims (a truncated or forged header is refused instead of read), and the array must fit
in memory (:mod:`boundcalc.io.memory`). Every failure raises :class:`InputFileError` (a
``ValueError``) whose message names the file and the real cause ("is a directory", "is empty",
"permission denied", "not a .npy file", …).
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path
from typing import IO

import numpy as np

from .memory import require_memory

__all__ = ["InputFileError", "load_npy", "load_npz", "check_input_file"]


class InputFileError(ValueError):
    """A user's input file that cannot be used; the message names the file and the cause."""


def check_input_file(path: str | os.PathLike, name: str) -> Path:
    """The path of an existing, readable, regular file, or :class:`InputFileError` naming the cause."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"{name}: file not found: {path}")
    if p.is_dir():
        raise InputFileError(f"{name}: {path} is a directory, not a file")
    if not p.is_file():
        mode = p.stat().st_mode
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a special file")
        raise InputFileError(f"{name}: {path} is {kind}, not a regular file")
    if not os.access(p, os.R_OK):
        raise InputFileError(f"{name}: permission denied: {path}")
    return p


def _read_header(fh: IO[bytes], size: int, label: str) -> tuple[tuple[int, ...], np.dtype, bool]:
    """Shape, dtype and Fortran order of the ``.npy`` stream ``fh`` of ``size`` bytes, checked."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fh)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = fmt.read_array_header_2_0(fh)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
    except (ValueError, EOFError, SyntaxError, TypeError) as exc:
        reason = "is empty" if size == 0 else f"is not a valid .npy array ({exc})"
        raise InputFileError(f"{label} {reason}") from None
    if dtype.hasobject or dtype.kind not in "biuf":
        raise InputFileError(f"{label} holds dtype {dtype}; real numbers (integer or float) are required "
                             "(object arrays would need pickle, which boundcalc never loads)")
    count = 1
    for s in shape:
        count *= int(s)
    need = count * dtype.itemsize
    have = size - fh.tell()
    if have < need:
        raise InputFileError(f"{label}: the header claims shape {shape} ({need} bytes of data) but the file "
                             f"holds {max(have, 0)} bytes: truncated or corrupt")
    require_memory(count * max(dtype.itemsize, 8), f"{label} (shape {shape})")
    return tuple(int(s) for s in shape), dtype, fortran


def load_npy(path: str | os.PathLike, name: str) -> np.ndarray:
    """Load a ``.npy`` file after checking its header against its size and the memory available."""
    p = check_input_file(path, name)
    label = f"{name}: {path}"
    try:
        with open(p, "rb") as fh:
            _read_header(fh, p.stat().st_size, label)
        return np.load(p, allow_pickle=False)
    except InputFileError:
        raise
    except zipfile.BadZipFile:
        raise InputFileError(f"{label} is a .npz archive; give a .npy array") from None
    except (ValueError, EOFError, OSError) as exc:
        raise InputFileError(f"{label}: cannot read ({exc})") from None


def load_npz(path: str | os.PathLike, name: str, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Load the arrays ``keys`` of a ``.npz`` archive, each header checked before it is read."""
    p = check_input_file(path, name)
    label = f"{name}: {path}"
    try:
        with zipfile.ZipFile(p) as zf:
            members = {info.filename.removesuffix(".npy"): info for info in zf.infolist()}
            missing = [k for k in keys if k not in members]
            if missing:
                raise InputFileError(f"{label} must hold arrays {list(keys)}; missing {missing} "
                                     f"(found {sorted(members)})")
            out = {}
            for key in keys:
                info = members[key]
                with zf.open(info) as fh:
                    _read_header(fh, info.file_size, f"{label}[{key}]")
                with zf.open(info) as fh:
                    out[key] = np.lib.format.read_array(fh, allow_pickle=False)
            return out
    except InputFileError:
        raise
    except zipfile.BadZipFile:
        raise InputFileError(f"{label} is not a valid .npz archive (a zip of .npy arrays)") from None
    except (ValueError, EOFError, OSError, RuntimeError) as exc:
        raise InputFileError(f"{label}: cannot read ({exc})") from None
