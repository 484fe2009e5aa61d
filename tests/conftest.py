"""Shared fixtures. The test folders mirror the package: tests/<stage>/test_<module>.py tests
boundcalc/<stage>/<module>.py; the end-to-end suites (CLI, hostile inputs, README, layout) sit here."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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
