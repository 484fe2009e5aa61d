"""Shared fixtures. The test folders mirror the package: tests/<stage>/test_<module>.py tests
boundcalc/<stage>/<module>.py; the end-to-end suites (CLI, hostile inputs, README, layout) sit here."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    """One BLAS thread, here and in the CLI subprocesses: the suite's arrays are small, and on a
    2-core machine BLAS threads fight each other (as they do in ``boundcalc report``, which limits
    itself the same way)."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from threadpoolctl import threadpool_limits
    config._boundcalc_blas_limit = threadpool_limits(limits=1)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder (README, examples, docs)."""
    return ROOT


@pytest.fixture()
def run_cli(capsys):
    """``run_cli(*argv)`` → (exit status, stdout, stderr) of the CLI run in this process."""
    from boundcalc.cli import main

    def run(*argv):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run
