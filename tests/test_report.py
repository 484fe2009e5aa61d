import json

from boundcalc.cli import main
from boundcalc.report import write_report


def test_report_writes_and_refuses_overwrite(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["report", "--out", str(out)]) == 0
    data = json.loads((out / "results.json").read_text())
    assert {"environment", "inputs", "spectrum", "initialization"} <= set(data)
    assert data["initialization"]["verdict"] == "non_degenerate"
    assert data["spectrum"]["sigma_A"] > 0
    md = (out / "report.md").read_text()
    assert "σ_A" in md and "numpy" in md
    assert (out / "spectrum.png").stat().st_size > 1000
    capsys.readouterr()
    # An existing folder is never overwritten without --force.
    (out / "mine.txt").write_text("user data")
    assert main(["report", "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "mine.txt").exists()
    assert main(["report", "--out", str(out), "--force"]) == 0
    assert not (out / "mine.txt").exists()


def test_report_reproducible(tmp_path):
    a = json.loads((write_report(tmp_path / "a") / "results.json").read_text())
    b = json.loads((write_report(tmp_path / "b") / "results.json").read_text())
    a.pop("environment"), b.pop("environment")
    assert a == b
