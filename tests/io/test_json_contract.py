"""Every subcommand's ``--json`` against its JSON Schema (boundcalc/io/schemas/<command>.schema.json):
every key documented (additionalProperties false), the contract's keys present, no sentinels."""

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

import boundcalc

jsonschema = pytest.importorskip("jsonschema")
SCHEMAS = Path(boundcalc.__file__).parent / "io" / "schemas"
PROBLEM = ["--problem", "gaussian", "--m", "5", "--n", "10", "--seed", "0"]
GAUSS = [*PROBLEM, "--d", "5"]


def _files(tmp_path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "A.npy", rng.standard_normal((4, 8)))
    x = np.zeros(8)
    x[[0, 3]] = [1.0, -2.0]
    np.save(tmp_path / "x.npy", x)
    np.savez(tmp_path / "init.npz", V=rng.standard_normal((10, 300)), W=rng.standard_normal((300, 5)),
             u=rng.standard_normal(5))
    (tmp_path / "nets.py").write_text(FACTORY)
    return tmp_path


FACTORY = """
import torch

def smooth():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 30), torch.nn.Softplus(), torch.nn.Linear(30, 10)).double()
    return net, torch.linspace(-1, 1, 4, dtype=torch.float64)
"""


CASES = {
    "spectrum": ["spectrum", "--gradient2d", "8x6"],
    "check-init": ["check-init", *GAUSS, "--k", "200"],
    "check-init --init": ["check-init", *PROBLEM, "--init", "{tmp}/init.npz"],
    "check-init --torch-model": ["check-init", *PROBLEM, "--torch-model", "{tmp}/nets.py:smooth"],
    "width": ["width", "--n", "10", "--m", "5"],
    "width --instance": ["width", "--problem", "gaussian", "--m", "30", "--n", "3", "--d", "3", "--seed", "0",
                         "--instance", "--trials", "3"],
    "width --instance, none found": ["width", *GAUSS, "--instance"],  # nulls with their statuses (slow: 20 s)
    "bounds": ["bounds", *GAUSS, "--k", "200"],
    "verify": ["verify", *GAUSS, "--k", "2000", "--dynamics", "gf"],
    "verify igahd": ["verify", *GAUSS, "--k", "2000", "--dynamics", "igahd", "--iterations", "200"],
    "verify gd": ["verify", *GAUSS, "--k", "2000", "--dynamics", "gd", "--iterations", "200", "--step", "1e-2"],
    "verify --torch-model": ["verify", *PROBLEM, "--torch-model", "{tmp}/nets.py:smooth", "--dynamics", "gd",
                             "--iterations", "20", "--step", "1e-3"],
    "cone": ["cone", "--operator", "{tmp}/A.npy", "--cone", "l1-descent", "--x", "{tmp}/x.npy"],
    "statdim": ["statdim", "--cone", "l1-descent", "--n", "100", "--s", "10"],
    "phase-diagram": ["phase-diagram", "--n", "8", "--m", "4", "--d", "3", "--ks", "4", "8", "--alphas", "0", "1",
                      "--trials", "2", "--iterations", "200", "--out", "{tmp}/pd"],
    "claim": ["claim", "lojasiewicz_rate", "--p", "3"],
    "dip": ["dip", "--size", "16x16", "--channels", "4", "--depth", "2", "--iterations", "10", "--mechanism", "2"],
    "stopping": ["stopping", "--quick", "--size", "16x16", "--noise", "1", "--no-sure"],  # slow: 20 s
}


def _walk(value, path="$"):
    """Yield (path, value) for every leaf."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]")
    else:
        yield path, value


NO_TORCH = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="dip trains in torch")


@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.slow) if "none found" in c else
                                  pytest.param(c, marks=[NO_TORCH, pytest.mark.slow]) if c == "stopping" else
                                  pytest.param(c, marks=NO_TORCH) if c == "dip" or "torch" in c else c
                                  for c in CASES])
def test_every_json_output_follows_its_schema(case, tmp_path, run_cli):
    _files(tmp_path)
    argv = [a.format(tmp=tmp_path) for a in CASES[case]] + ["--json"]
    status, out, err = run_cli(*argv)
    assert status in (0, 1, 4), err  # 1: found false, 4: undecided; still a full JSON answer
    data = json.loads(out)
    schema = json.loads((SCHEMAS / f"{argv[0]}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(data, schema)
    for path, leaf in _walk(data):
        assert not (isinstance(leaf, str) and leaf.strip().lower() in {"nan", "inf", "-inf", "infinity"}), path
        assert not (isinstance(leaf, float) and not math.isfinite(leaf)), path
    # a null says why: its key, or the object holding it, carries a *_status beside it
    for key, value in data.items():
        if value is None:
            assert f"{key}_status" in data or "status" in data, key


def test_a_key_the_schema_does_not_document_fails(tmp_path, run_cli):
    status, out, _ = run_cli("spectrum", "--gradient2d", "8x6", "--json")
    data = {**json.loads(out), "sigma_min": 1.0}
    with pytest.raises(jsonschema.ValidationError, match="sigma_min"):
        jsonschema.validate(data, json.loads((SCHEMAS / "spectrum.schema.json").read_text()))


def test_phase_diagram_hits_are_null_not_minus_one(tmp_path, run_cli):
    status, out, _ = run_cli(*[a.format(tmp=tmp_path) for a in CASES["phase-diagram"]], "--json")
    data = json.loads(out)
    hits = [h for _, h in _walk(data["igahd_hits"])]
    assert -1 not in hits and None in hits  # 200 iterations: no trial reaches the tolerance
    assert "did not reach" in data["igahd_hits_status"]


def test_every_subcommand_with_json_has_a_schema():
    from boundcalc.cli import build_parser
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    with_json = {name for name, p in sub.choices.items() if any(a.dest == "json" for a in p._actions)}
    assert with_json == {p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json")} - {"results"}
    assert with_json == {c.split()[0] for c in CASES}
