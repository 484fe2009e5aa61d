import json

import pytest

from boundcalc.cli import main
from boundcalc.outputs import MANIFEST, read_manifest
from boundcalc.report import SECTIONS, write_report


@pytest.fixture(scope="module")
def full_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep") / "default"
    assert main(["report", "--out", str(out)]) == 0
    return out


def test_full_report_content(full_report):
    data = json.loads((full_report / "results.json").read_text())
    assert {"environment", "inputs", "spectrum", "initialization", "rates", "verification", "cones"} <= set(data)
    assert data["initialization"]["verdict"] == "non_degenerate"
    for dyn in ("isehd", "igahd", "gf"):
        statuses = [c["status"] for c in data["verification"][dyn]["claims"]]
        assert "violated" not in statuses and statuses.count("holds") >= 4
    md = (full_report / "report.md").read_text()
    assert "σ_A" in md and "numpy" in md and "holds" in md
    for fig in ("spectrum.png", "envelopes.png", "trajectory.png", "phase_diagram.png"):
        assert (full_report / fig).stat().st_size > 1000


def test_report_refuses_overwrite_without_force(full_report, capsys):
    assert (full_report / MANIFEST).exists()
    assert main(["report", "--out", str(full_report)]) == 2
    assert "--force" in capsys.readouterr().err
    (full_report / "mine.txt").write_text("user data")
    assert main(["report", "--out", str(full_report), "--force"]) == 2
    assert "mine.txt" in capsys.readouterr().err
    assert (full_report / "mine.txt").read_text() == "user data"


def test_force_replaces_only_a_boundcalc_report(tmp_path):
    out = tmp_path / "r"
    write_report(out, sections=1)
    first = set(read_manifest(out))
    assert first == {p.name for p in out.iterdir()} - {MANIFEST}
    with pytest.raises(ValueError, match="--force"):
        write_report(out, sections=1)
    write_report(out, sections=2, force=True)
    assert set(read_manifest(out)) == first
    assert "initialization" in json.loads((out / "results.json").read_text())
    assert not [p for p in tmp_path.iterdir() if p.name != "r"]  # no staging folder left behind


def test_report_reproducible(tmp_path):
    # The deterministic sections (no timings, no solver output): same seeds, same numbers.
    a = json.loads((write_report(tmp_path / "a", sections=3) / "results.json").read_text())
    b = json.loads((write_report(tmp_path / "b", sections=3) / "results.json").read_text())
    a.pop("environment"), b.pop("environment")
    assert a == b
    assert len(SECTIONS) == 5


def test_config_file(tmp_path, capsys):
    cfg = tmp_path / "exp.toml"
    cfg.write_text("[problem]\nm = 30\nn = 3\nseed = 0\n[network]\nk = 1000\nd = 3\n")
    out = tmp_path / "cfg"
    assert main(["report", "--config", str(cfg), "--out", str(out)]) == 0
    data = json.loads((out / "results.json").read_text())
    assert data["problem"]["m"] == 30 and data["inputs"]["network"]["k"] == 1000
    assert data["initialization"]["verdict"] == "degenerate"  # k = 1000 is far too narrow here
    capsys.readouterr()
    cfg.write_text("[problem]\nm = 30\nsize = 4\n")
    assert main(["report", "--config", str(cfg), "--out", str(tmp_path / "x")]) == 2
    assert "unknown keys ['size']" in capsys.readouterr().err
    cfg.write_text("[problem\n")
    assert main(["report", "--config", str(cfg), "--out", str(tmp_path / "y")]) == 2
