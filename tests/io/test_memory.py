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


def test_a_gpu_allocation_is_checked_against_the_gpus_free_memory(monkeypatch):
    torch = pytest.importorskip("torch")
    from boundcalc.io.memory import require_device_memory
    # no GPU is needed to check the rule: the free memory torch would report is set here
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (2**30, 2**34))
    require_device_memory(torch.device("cuda"), 2**29, "the run")
    with pytest.raises(MemoryLimitError, match=r"the run needs 2 GiB on cuda; 1 GiB of GPU memory free"):
        require_device_memory(torch.device("cuda"), 2**31, "the run")
    with pytest.raises(MemoryLimitError):
        require_device_memory(torch.device("cuda:0"), float("inf"), "the run")
    require_device_memory(torch.device("cpu"), 2**60, "the run")  # the host's check is require_memory's
