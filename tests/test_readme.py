import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.slow
def test_readme_python_example_runs(capsys):
    """The README's Python example is code users copy: it must run as written."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks
    for code in blocks:
        exec(compile(code, str(README), "exec"), {})  # our own README, not user input
    out = capsys.readouterr().out
    assert "non_degenerate" in out and "holds" in out


def test_readme_commands_match_ci():
    text = README.read_text()
    ci = (README.parent / ".ci" / "run").read_text()
    test_cmds = [line for line in text.splitlines() if "pytest" in line and line.startswith("python3")]
    assert len(test_cmds) == 2  # the tests, and the deepinv tests in their own environment
    assert test_cmds[0] in ci
    # CI runs the deepinv command step by step (an install that cannot happen is said, not fatal)
    for step in test_cmds[1].split(" && "):
        assert step in ci, step
    assert any("boundcalc report" in line and line.startswith("python3") for line in text.splitlines())
