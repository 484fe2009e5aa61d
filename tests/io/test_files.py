"""Reading user arrays: headers are checked against the file before anything is loaded."""

import zipfile
from pathlib import Path

import numpy as np
import pytest
from clitools import assert_one_line, cli

from boundcalc.io.files import InputFileError, load_npz


def _forged_npy(path: Path, shape: tuple[int, ...]) -> None:
    """A .npy header claiming ``shape`` followed by only 16 bytes of data."""
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False, "shape": shape})
        fh.write(b"\0" * 16)


def test_forged_headers_are_refused_before_loading(tmp_path):
    _forged_npy(tmp_path / "A.npy", (10**6, 10**6))
    code, _, err = cli("spectrum", "--operator", tmp_path / "A.npy")
    assert code == 2
    assert_one_line(err, "A.npy", "truncated or corrupt")
    with zipfile.ZipFile(tmp_path / "init.npz", "w") as zf:
        for key, shape in (("V", (10**7, 10**7)), ("W", (2, 2)), ("u", (2,))):
            _forged_npy(tmp_path / f"{key}.npy", shape)
            zf.write(tmp_path / f"{key}.npy", f"{key}.npy")
    with pytest.raises(InputFileError, match=r"init.npz\[V\].*truncated"):
        load_npz(tmp_path / "init.npz", "--init", ("V", "W", "u"))
