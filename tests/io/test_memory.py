"""Memory guards: sizes are parsed, formatted and refused before any allocation."""

import pytest

from boundcalc.io.memory import MemoryLimitError, format_bytes, parse_bytes, require_memory
from boundcalc.nets.two_layer import TwoLayerDIP


def test_memory_api():
    with pytest.raises(MemoryLimitError, match=r"k = 1000000000000.*TiB.*available"):
        TwoLayerDIP(3, 2, 10**12)
    assert parse_bytes("8G") == 8 * 2**30 and parse_bytes("512MiB") == 512 * 2**20
    assert format_bytes(1.6e13) == "14.6 TiB"
    with pytest.raises(ValueError, match="memory size"):
        parse_bytes("lots")
    require_memory(1024, "a small array")  # fits
