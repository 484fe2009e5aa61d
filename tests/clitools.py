"""Helpers of the end-to-end tests: the real command line in a subprocess, and its one-line errors."""

import os
import subprocess
import sys


def cli(*argv, cwd=None, env=None, timeout=120):
    """Run ``python -m boundcalc ARGV``; returns (exit status, stdout, stderr)."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "boundcalc", *map(str, argv)], capture_output=True, text=True,
                          cwd=cwd, env=full_env, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def assert_one_line(err: str, *needles: str) -> None:
    """stderr holds exactly one line (progress lines in brackets aside), with every needle, no traceback."""
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("[")]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], (needle, err)
