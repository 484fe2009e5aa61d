"""One exit-status contract for every command and every kind of network (README "Exit status"): 0 holds,
1 something found false, 4 cannot decide — check-init and verify × {two-layer, torch} × {holds, false, unknown}."""

import importlib.util
from types import SimpleNamespace

import pytest

from boundcalc.cli import decision_status
from boundcalc.theory.bounds import Hypothesis

NEEDS_TORCH = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="needs torch")

GAUSS = ["--problem", "gaussian", "--m", "30", "--n", "3", "--seed", "0"]

FACTORIES = '''
import torch

class Smooth(torch.nn.Module):  # p = 43 >= n = 3: sigma_0 > 0 holds, Lip(J) is not certified: unknown
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(4, 5)
        self.b = torch.nn.Linear(5, 3)
    def forward(self, u):
        return self.b(torch.nn.functional.softplus(self.a(u)))

class Mismatch(Smooth):  # cannot take its own u: bad input, exit 2, naming the shapes
    def forward(self, u):
        return self.b(u)

class Narrow(torch.nn.Module):  # p = 2 < n = 3: sigma_min(J) = 0, found false
    def __init__(self):
        super().__init__()
        self.c = torch.nn.Parameter(torch.tensor([0.5, -0.3], dtype=torch.float64))
    def forward(self, u):
        return self.c[0] * u[:3] + torch.tanh(self.c[1]) * u[1:4]

def smooth():
    torch.manual_seed(0)
    return Smooth().double(), torch.linspace(-1, 1, 4, dtype=torch.float64)

def narrow():
    return Narrow(), torch.linspace(-1, 1, 4, dtype=torch.float64)

def mismatch():
    return Mismatch().double(), torch.linspace(-1, 1, 4, dtype=torch.float64)

def steep():  # weights ×20: IGAHD's default step 0.01 overflows within 10 iterations
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 300), torch.nn.Softplus(), torch.nn.Linear(300, 3)).double()
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(20)
    return net, torch.linspace(-1, 1, 4, dtype=torch.float64)
'''


def test_the_decision_is_one_rule():
    def check(verdict, *statuses):
        return SimpleNamespace(verdict=verdict, non_degenerate=verdict == "non_degenerate",
                               hypotheses=tuple(Hypothesis(f"h{i}", s) for i, s in enumerate(statuses)))
    assert decision_status(check("non_degenerate", "holds", "holds")) == 0
    assert decision_status(check("degenerate", "holds", "fails")) == 1
    assert decision_status(check("not_applicable", "fails", "unknown")) == 1  # found false, even if unknown
    assert decision_status(check("not_applicable", "holds", "unknown")) == 4


@pytest.mark.parametrize("network, status", [
    (["--k", "100000", "--d", "3"], 0),   # the README's non-degenerate draw
    (["--k", "20", "--d", "3"], 1),       # too narrow: R′ ≥ R
    pytest.param("smooth", 4, marks=NEEDS_TORCH),
    pytest.param("narrow", 1, marks=NEEDS_TORCH),
])
@pytest.mark.parametrize("command", [["check-init"],
                                     ["verify", "--dynamics", "gd", "--iterations", "20", "--step", "1e-3"]])
def test_every_command_and_network_derives_its_status_from_the_decision(tmp_path, run_cli, command, network,
                                                                        status):
    if isinstance(network, str):
        (tmp_path / "nets.py").write_text(FACTORIES)
        network = ["--torch-model", f"{tmp_path / 'nets.py'}:{network}"]
    code, out, err = run_cli(*command, *GAUSS, *network)
    assert code == status, (out, err)


def test_width_refuses_a_torch_model(tmp_path, run_cli):
    code, _, err = run_cli("width", *GAUSS, "--torch-model", "nofile.py:build")
    assert code == 2 and "--torch-model does not apply" in err


@NEEDS_TORCH
def test_a_module_that_cannot_take_its_own_input_is_bad_input(tmp_path, run_cli):
    (tmp_path / "nets.py").write_text(FACTORIES)
    code, _, err = run_cli("check-init", *GAUSS, "--torch-model", f"{tmp_path / 'nets.py'}:mismatch")
    assert code == 2 and "cannot be multiplied" in err and "its own u" in err


@pytest.mark.parametrize("command", ["dip", "stopping"])
def test_the_torch_commands_say_what_is_missing_without_torch(run_cli, monkeypatch, command):
    import importlib.util as iu
    real = iu.find_spec
    monkeypatch.setattr(iu, "find_spec", lambda name, *a, **k: None if name == "torch" else real(name, *a, **k))
    code, _, err = run_cli(command)
    assert code == 2 and "pip install 'boundcalc[torch]'" in err


@NEEDS_TORCH
def test_check_init_text_leads_with_the_verdict_and_leaves_out_what_does_not_apply(tmp_path, run_cli):
    (tmp_path / "nets.py").write_text(FACTORIES)
    code, out, _ = run_cli("check-init", *GAUSS, "--torch-model", f"{tmp_path / 'nets.py'}:smooth")
    first = out.splitlines()[0]
    assert first.startswith("CheckInitResult: not_applicable (certified Lipschitz bound of J_g on the ball: unknown")
    assert "= nan" not in out and "k " not in out.replace("not available", "")  # no k = 0, B = nan
    assert "not available: " in out and " k, d, " in out
    code, out, _ = run_cli("check-init", *GAUSS, "--k", "20", "--d", "3")
    assert out.splitlines()[0].startswith("CheckInitResult: degenerate (R′ < R")


@NEEDS_TORCH
def test_a_run_that_diverges_says_to_take_a_smaller_step(tmp_path, run_cli):
    # with the default step, verify on a torch network overflowed: numpy's warnings, no hint about --step
    (tmp_path / "nets.py").write_text(FACTORIES)
    code, out, err = run_cli("verify", *GAUSS, "--torch-model", f"{tmp_path / 'nets.py'}:steep", "--dynamics",
                             "igahd", "--iterations", "200")
    assert "the run diverged" in out and "rerun with a smaller --step (for example 0.001)" in out
    assert "overflow" not in err
