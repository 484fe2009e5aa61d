import json
from pathlib import Path

import numpy as np
import pytest

from boundcalc.cli import main


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert "boundcalc" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0


def test_spectrum_json_keys(capsys, run_cli):
    code, out, _ = run_cli("spectrum", "--gradient2d", "16x16", "--json")
    assert code == 0
    data = json.loads(out)
    assert {"sigma_A", "norm_A", "kappa_A", "rank", "method"} <= set(data)
    assert data["sigma_A"] == pytest.approx(2 * np.sin(np.pi / 16))


def test_spectrum_from_files(tmp_path, capsys, run_cli):
    A = np.diag([3.0, 2.0, 0.5])
    np.save(tmp_path / "A.npy", A)
    code, out, _ = run_cli("spectrum", "--operator", str(tmp_path / "A.npy"), "--json")
    assert code == 0 and json.loads(out)["kappa_A"] == pytest.approx(6.0)
    np.save(tmp_path / "K.npy", np.ones((3, 3)) / 9)
    code, out, _ = run_cli("spectrum", "--convolution", str(tmp_path / "K.npy"), "--shape", "8x8")
    assert code == 0 and "exact-structured" in out


@pytest.mark.parametrize("argv, msg", [
    (["spectrum"], "exactly one"),
    (["spectrum", "--gradient2d", "64by64"], "shape"),
    (["spectrum", "--operator", "missing.npy"], "not found"),
    (["spectrum", "--nonsense"], "unrecognized"),
])
def test_bad_usage_is_one_line_exit_2(capsys, argv, msg, run_cli):
    code, _, err = run_cli(*argv)
    assert code == 2
    assert msg in err and err.count("\n") == 1 and "Traceback" not in err


def test_pickled_array_is_refused(tmp_path, capsys, run_cli):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    code, _, err = run_cli("spectrum", "--operator", str(tmp_path / "obj.npy"))
    assert code == 2 and "pickle" in err


def test_nan_operator_file(tmp_path, capsys, run_cli):
    np.save(tmp_path / "A.npy", np.array([[1.0, np.nan]]))
    code, _, err = run_cli("spectrum", "--operator", str(tmp_path / "A.npy"))
    assert code == 2 and "finite" in err


def test_json_records_the_inputs_and_seeds(capsys, run_cli):
    code, out, _ = run_cli("check-init", "--seed", "3", "--net-seed", "5", "--k", "50", "--json")
    inputs = json.loads(out)["inputs"]
    assert code in (0, 1) and inputs["seed"] == 3 and inputs["net_seed"] == 5 and inputs["k"] == 50
    code, out, _ = run_cli("verify", "--dynamics", "gd", "--iterations", "5", "--k", "50", "--net-seed", "5",
                       "--step", "0.01", "--json")
    assert json.loads(out)["inputs"]["net_seed"] == 5


@pytest.mark.parametrize("violated, missed, strict, status", [
    (1, 0, False, 1), (1, 1, True, 1),     # a theorem claim broke its bound: 1, whatever --strict says
    (0, 1, False, 0), (0, 1, True, 1),     # a figure reading not reproduced: a finding, 1 only with --strict
    (0, 0, True, 0)])
def test_report_exits_1_only_for_a_violated_claim_or_strictly_a_missed_observation(
        tmp_path, monkeypatch, run_cli, violated, missed, strict, status):
    import boundcalc.report.build as build
    from boundcalc.verification.claims import VERDICT_KEYS

    def fake_write_report(out, **kw):  # the verdicts of a report with these counts
        out = Path(out)
        out.mkdir()
        verdicts = [{"problem": "p", **dict.fromkeys(VERDICT_KEYS, 1), "violated": violated,
                     "observations_not_reproduced": missed}]
        (out / "results.json").write_text(json.dumps({"verdicts": verdicts}))
        return out

    monkeypatch.setattr(build, "write_report", fake_write_report)
    code, _, err = run_cli("report", "--out", tmp_path / "rep", "--no-experiments", *(["--strict"] if strict else []))
    assert code == status
    assert ("1 theorem claim(s) violated" in err) == bool(violated)
    assert ("figure readings not reproduced" in err) == bool(missed)
    if violated or missed:  # the last line says where to read what was found
        assert err.strip().splitlines()[-1].endswith(f"{tmp_path / 'rep'}/report.html")


def test_help_documents_every_exit_status(capsys):
    from boundcalc.cli import EXIT_STATUSES
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert all(f"{code:>3}  " in text for code in EXIT_STATUSES) and 4 in EXIT_STATUSES


def test_every_option_of_every_command_has_a_help_text():
    import argparse

    from boundcalc.cli import build_parser
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    missing = {name: [a.option_strings or a.dest for a in sub._actions
                      if not a.help and not isinstance(a, argparse._HelpAction)]
               for name, sub in commands.items()}
    assert not {k: v for k, v in missing.items() if v}
