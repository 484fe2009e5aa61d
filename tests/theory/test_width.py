import json

import numpy as np
import pytest

from boundcalc.cli import main
from boundcalc.formulas import evaluate, evaluate_many
from boundcalc.linalg.operators import spectrum
from boundcalc.nets.two_layer import TwoLayerDIP
from boundcalc.problems import default_problem, gaussian_problem
from boundcalc.theory.bounds import (
    check_initialization,
    compute_bounds,
    early_stopping_times,
    envelopes,
    igahd_iteration_for_time,
    rate_comparison,
    x_space_bound,
)
from boundcalc.theory.width import instance_width, required_width

PROB = gaussian_problem(30, 3, noise_norm=0.01, seed=0)
CHECK = check_initialization(PROB.A, PROB.y, TwoLayerDIP(3, 3, 100_000, seed=0))


def test_T_ES_solves_its_defining_equation():
    es = early_stopping_times(CHECK, 0.01)
    s0sA = CHECK.sigma_min_J * CHECK.sigma_A
    # √(2ξL₀) e^{−σ₀σ_A T/4} = ‖ε‖ at T = T_ES (the residual envelope reaches the noise level).
    assert np.sqrt(2 * CHECK.xi * CHECK.loss0) * np.exp(-s0sA * es["T_ES"] / 4) == pytest.approx(0.01, rel=1e-10)
    r0 = np.sqrt(2 * CHECK.loss0)
    mu = s0sA**2 / 4
    assert np.exp(-mu * es["T_ES_gf"]) * r0 == pytest.approx(0.01, rel=1e-10)


def test_T_ES_hand_example():
    v = {"sigma0": 1.0, "sigma_A": 0.5, "xi": 2.0, "L0": 2.0, "noise_norm": np.exp(-1.0) * 2.0}
    # √(2·2·2) = 2√2 ... choose ‖ε‖ so that the log is 1 + ln √2: T = 8(1 + ln √2).
    assert evaluate("T_ES", v) == pytest.approx(8 * (1 + np.log(np.sqrt(2))))


def test_T_ES_grows_as_noise_shrinks_and_edge_cases():
    times = [early_stopping_times(CHECK, e)["T_ES"] for e in (0.1, 0.01, 0.001)]
    assert times[0] < times[1] < times[2]
    assert early_stopping_times(CHECK, 0.0)["T_ES"] == np.inf
    assert early_stopping_times(CHECK, 1e3)["T_ES"] == 0.0  # noise above the envelope: from t = 0
    with pytest.raises(ValueError, match="noise_norm"):
        early_stopping_times(CHECK, -1.0)


def test_gd_iteration_and_igahd_mapping():
    es = early_stopping_times(CHECK, 0.01, gd_step=0.5)
    mu = (CHECK.sigma_min_J * CHECK.sigma_A) ** 2 / 4
    tau = es["tau_ES_gd"]
    assert (1 - 0.5 * mu) ** (tau / 2) * np.sqrt(2 * CHECK.loss0) == pytest.approx(0.01, rel=1e-10)
    with pytest.raises(ValueError, match="gd_step"):
        early_stopping_times(CHECK, 0.01, gd_step=1e6)
    assert igahd_iteration_for_time([0.04] * 100, 1.0) == 5  # h = 0.2 per step
    assert igahd_iteration_for_time([0.04] * 3, 1.0) is None


def test_envelopes_values_and_monotone():
    t = np.array([0.0, 1.0, 5.0])
    env = envelopes(CHECK, t)
    assert env["loss_envelope"][0] == pytest.approx(CHECK.xi * CHECK.loss0)
    assert env["theta_envelope"][0] == pytest.approx(CHECK.R_prime)
    assert np.all(np.diff(env["loss_envelope"]) < 0)
    with pytest.raises(ValueError, match="times"):
        envelopes(CHECK, [-1.0])


def test_x_space_bound_terms_and_bracket():
    b = x_space_bound(CHECK, 0.0, (0.4, 0.5), noise_norm=0.01, dist=0.1)
    assert b.lam_min_used == 0.4 and "lower end" in b.note
    assert b.noise == pytest.approx(0.01 / 0.4)
    assert b.approximation == pytest.approx((1 + CHECK.norm_A / 0.4) * 0.1)
    assert b.optimization == pytest.approx(np.sqrt(2 * CHECK.xi * CHECK.loss0) / 0.4)
    assert b.total == pytest.approx(b.optimization + b.approximation + b.noise)
    vac = x_space_bound(CHECK, 0.0, (0.0, 0.5), noise_norm=0.01)
    assert vac.total == np.inf and "vacuous" in vac.note
    with pytest.raises(ValueError, match="bracket"):
        x_space_bound(CHECK, 0.0, (0.5, 0.4), noise_norm=0.01)


def test_rate_comparison():
    c = rate_comparison(CHECK)
    s = CHECK.sigma_min_J * CHECK.sigma_A
    assert c.rate_isehd == pytest.approx(s / 4) and c.rate_gf == pytest.approx(s**2 / 4)
    assert c.faster == ("isehd" if s < 1 else "gf")
    assert c.ratio == pytest.approx(1 / s)


def test_compute_bounds_not_guaranteed_when_degenerate():
    bad = check_initialization(PROB.A, PROB.y, TwoLayerDIP(3, 3, 10, seed=0))
    b = compute_bounds(bad, noise_norm=0.01)
    assert not b.non_degenerate and "not guarantees" in b.notes[0]
    json.dumps(b.to_dict())


def test_required_width_formula_and_monotonicity():
    spec = spectrum(PROB.A)
    w = required_width(spec=spec, snr=10.0)
    s, kap, nA, n, m = spec.sigma_A, spec.kappa_A, spec.norm_A, 3, 30
    hand = (1 + kap**4) * max(s**4, 1) / min(s**8, 1) * n * (nA**4 * n**2 + (1 + 0.1) ** 4 * m**2)
    assert w.k_theorem == pytest.approx(hand, rel=1e-12)
    assert w.probability_bound == pytest.approx(1 - 5 * np.exp(-2) - 2 / 3) and w.probability is None  # vacuous
    assert "vacuous" in w.note
    assert required_width(spec=spec, snr=1.0).k_theorem > w.k_theorem          # grows with 1/SNR
    assert required_width(spec=spec, snr=10.0, C=2.0).k_theorem == pytest.approx(2 * w.k_theorem)
    big_n = required_width(gaussian_problem(60, 6, seed=0).A, snr=10.0)
    big_m = required_width(gaussian_problem(60, 3, seed=0).A, snr=10.0)
    assert big_n.k_theorem > w.k_theorem and big_m.k_theorem > w.k_theorem
    ill = np.diag([1.0, 0.5, 0.1])
    well = np.diag([1.0, 0.8, 0.6])
    assert required_width(ill, snr=10.0).k_theorem > required_width(well, snr=10.0).k_theorem
    # SNR default is ‖A x̄‖/‖ε‖
    w2 = required_width(PROB.A, x_bar=PROB.x_bar, noise_norm=0.01)
    assert w2.snr == pytest.approx(np.linalg.norm(PROB.A @ PROB.x_bar) / 0.01)


@pytest.mark.parametrize("kwargs, match", [({"snr": 0.0}, "snr"), ({"snr": -1.0}, "snr"),
                                           ({"snr": 1.0, "c1": 0.0}, "c1"), ({}, "snr")])
def test_bad_width_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        required_width(PROB.A, **kwargs)


def test_instance_width_pass_and_half_fails():
    res = instance_width(PROB.A, PROB.y, d=3, seed=0, trials=5)
    assert res.found
    ok = check_initialization(PROB.A, PROB.y, TwoLayerDIP(3, 3, res.k_instance, seed=0))
    half = check_initialization(PROB.A, PROB.y, TwoLayerDIP(3, 3, res.k_instance // 2, seed=0))
    assert ok.non_degenerate and not half.non_degenerate
    assert not check_initialization(PROB.A, PROB.y, TwoLayerDIP(3, 3, res.k_below, seed=0)).non_degenerate
    assert 0 < res.pass_probability <= 1 and res.ci[0] <= res.pass_probability <= res.ci[1]
    assert res == instance_width(PROB.A, PROB.y, d=3, seed=0, trials=5)  # reproducible


def test_cli_width_and_bounds(capsys):
    assert main(["width", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert {"k_theorem", "probability", "snr", "c1", "c2", "C", "n", "m"} <= set(d)
    assert main(["width", "--instance", "--trials", "3", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert {"k_instance", "pass_probability"} <= set(d)
    assert main(["bounds", "--json", "--lam-min", "0.5"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert {"T_ES", "T_ES_gf", "xi", "loss0", "rate"} <= set(d)
    assert main(["width", "--snr", "-2"]) == 2
    assert main(["bounds", "--noise-norm", "-1"]) == 2


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_pos = st.floats(min_value=0.05, max_value=20.0)


@settings(max_examples=60, deadline=None)
@given(sigma_A=st.floats(0.05, 3.0), kappa=st.floats(1.0, 50.0), snr=_pos, n=st.integers(2, 200),
       m=st.integers(1, 200), factor=st.floats(1.01, 5.0))
def test_width_formula_monotone_property(sigma_A, kappa, snr, n, m, factor):
    base = {"sigma_A": sigma_A, "kappa_A": kappa, "norm_A": kappa * sigma_A, "snr": snr, "n": float(n),
            "m": float(m), "c1": 1.0, "c2": 1.0, "C": 1.0}

    def k(**change):
        return evaluate_many(["k_theorem"], {**base, **change})["k_theorem"]

    k0 = k()
    assert k(n=n * factor) > k0 and k(m=m * factor) > k0
    assert k(snr=snr / factor) > k0                         # grows with 1/SNR
    # κ(A) up with σ_A fixed (‖A‖ = κσ_A grows too): the width grows.
    assert k(kappa_A=kappa * factor, norm_A=kappa * factor * sigma_A) > k0


@settings(max_examples=40, deadline=None)
@given(noise=st.floats(1e-4, 0.05), shrink=st.floats(1.01, 10.0))
def test_T_ES_monotone_property(noise, shrink):
    assert early_stopping_times(CHECK, noise / shrink)["T_ES"] >= early_stopping_times(CHECK, noise)["T_ES"]


def test_pass_probability_leaves_out_the_selecting_draw():
    prob = default_problem()
    res = instance_width(prob.A, prob.y, d=2)
    # Bisection to adjacent integers: 16064 passes, 16063 fails (the 5% tolerance of 0.1 stopped at 16384).
    assert res.k_instance == 16064 and res.k_below == 16063 and res.trials == 40
    fresh = [check_initialization(prob.A, prob.y, TwoLayerDIP(2, 2, 16064, seed=s)).non_degenerate
             for s in range(1, 41)]
    assert res.pass_probability == sum(fresh) / 40 == 0.075  # 0.1 reported 0.6 with the selecting draw


def test_a_vacuous_probability_bound_is_null_with_its_reason(run_cli):
    import json
    code, out, _ = run_cli("width", "--json")  # the default 2×2 problem: 1 − 5e^{−1} − 1 < 0
    data = json.loads(out)
    assert code == 0 and data["probability"] is None
    assert data["probability_bound"] == pytest.approx(1 - 5 * np.exp(-1) - 1)
    assert data["probability_status"].startswith("vacuous")
    w = required_width(gaussian_problem(30, 4, noise_norm=0.01, seed=0).A, snr=10.0)  # n = 4: 1 − 5e^−3 − 1/2 > 0
    assert w.probability == w.probability_bound and w.probability_status == "bound" and 0 < w.probability <= 1


def test_instance_width_is_bisected_to_adjacent_integers_and_says_how():
    res = instance_width(PROB.A, PROB.y, d=3, k_start=16, trials=3)
    assert res.found and res.k_below == res.k_instance - 1  # the largest failing and smallest passing widths
    assert dict(res.history)[res.k_instance] and not dict(res.history).get(res.k_below, True)
    assert "bisection to adjacent integers" in res.search and "monotone" in res.search


def test_a_width_not_found_is_null_with_its_status():
    import json
    res = instance_width(PROB.A, PROB.y, d=3, k_start=2, k_max=4, trials=2)
    d = res.to_dict()
    assert not res.found and d["k_instance"] is None and d["pass_probability"] is None
    assert d["k_instance_status"].startswith("not found") and json.dumps(d)
