"""Every public function and class of ``boundcalc`` has an Examples section, and every example runs as
written (doctest): the API pages show code a reader can paste."""

import doctest
import importlib.util
import inspect
import sys

import numpy as np
import pytest

import boundcalc as bc

#: Public names that are not functions or classes with behaviour of their own to show: the version,
#: the formula table, the stopping-rule module (its classes have their own examples) and the result
#: records, which the functions' examples produce.
NOT_CALLABLES = {"__version__", "FORMULAS", "stopping", "SpectrumResult", "CheckInitResult", "ClaimCheck",
                 "VerifyResult", "Activation"}
PUBLIC = [name for name in bc.__all__ if name not in NOT_CALLABLES]
NEEDS = {"TorchGenerator": "torch", "run_dip": "torch", "mechanism": "torch", "train_torch": "torch",
         "plot_mechanism": "torch", "log_checkpoints": "torch", "stopping_comparison": "torch",
         "plot_comparison": "torch",
         "conv_decoder": "torch", "from_deepinv": "deepinv"}  # run in the README's deepinv environment


def test_the_public_api_is_what_this_test_walks():
    # names of an optional backend are looked up only where it is installed (TorchGenerator imports torch)
    present = [n for n in PUBLIC if n not in NEEDS or importlib.util.find_spec(NEEDS[n]) is not None]
    assert all(inspect.isfunction(getattr(bc, n)) or inspect.isclass(getattr(bc, n)) for n in present)


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_object_has_an_example_that_runs(name):
    if name in NEEDS and importlib.util.find_spec(NEEDS[name]) is None:
        pytest.skip(f"needs {NEEDS[name]}")
    obj = getattr(bc, name)
    doc = inspect.getdoc(obj) or ""
    assert "Examples\n--------" in doc, f"{name} has no Examples section"
    # the names of the object's own module, as a doctest of that module sees them, and bc, np
    globs = {**vars(sys.modules[obj.__module__]), "bc": bc, "np": np}
    tests = doctest.DocTestFinder(recurse=False).find(obj, name, globs=globs)
    assert sum(len(t.examples) for t in tests) > 0
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for t in tests:
        runner.run(t)
    assert runner.failures == 0, f"{name}: {runner.failures} example(s) print something else"


def test_the_gallery_uses_the_public_api_only():
    """The semi-convergence example imported from boundcalc.verification.experiments, which no page documents."""
    from pathlib import Path
    gallery = Path(__file__).resolve().parents[1] / "examples" / "gallery"
    for script in gallery.glob("*.py"):
        text = script.read_text()
        assert "from boundcalc" not in text and "import boundcalc." not in text, script.name
