"""Regression tests of the audit's misleading verdicts (each failed on boundcalc 0.1)."""

import json

import numpy as np
import pytest

from boundcalc.theory.bounds import check_initialization
from boundcalc.cli import main
from boundcalc.theory.cones import L1DescentCone, gaussian_width, gordon_lower_bound, l1_statistical_dimension
from boundcalc.dynamics.discrete import Trajectory, dip_coefficients
from boundcalc.formulas import evaluate_many
from boundcalc.nets.two_layer import TwoLayerDIP
from boundcalc.verification.claims import (
    TRANSFER_ASSUMPTION,
    _isehd_claims,
    check_trap_avoidance,
    fit_linear_rate,
    fit_power_rate,
    linear_rate_claim,
    power_rate_claim,
    verify,
)
from boundcalc.problems import default_problem, gaussian_problem
from boundcalc.theory.width import instance_width

SQUARE = gaussian_problem(2, 2, noise_norm=0.01, seed=6)
SQUARE_NET = TwoLayerDIP(2, 2, 100_000, "tanh", seed=0)


# ----------------------------------------------------------------------------- 1. the two IGAHD forms

def test_slide_form_or_other_damping_makes_the_isehd_claims_not_applicable():
    slide = verify(SQUARE, SQUARE_NET, dynamics="igahd", form="slide", iterations=200)
    ode = verify(SQUARE, SQUARE_NET, dynamics="igahd", form="ode", iterations=200, alpha=2.0)
    for res, needle in ((slide, "form 'ode'"), (ode, "theorem's damping")):
        transferred = [c for c in res.claims if c.kind == "transferred"]
        assert len(transferred) >= 4
        assert all(c.status == "not_applicable" and needle in c.failed_hypothesis for c in transferred)


def test_cli_form_and_damping_are_recorded(capsys):
    code = main(["verify", "--dynamics", "igahd", "--form", "slide", "--alpha", "3", "--beta", "0.05",
                 "--step", "0.01", "--iterations", "100", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["dynamics"]["name"] == "igahd"
    assert (out["dynamics"]["form"], out["dynamics"]["alpha"], out["dynamics"]["beta"]) == ("slide", 3.0, 0.05)
    assert main(["verify", "--dynamics", "gf", "--form", "slide"]) == 2
    assert main(["verify", "--dynamics", "gd", "--alpha", "1"]) == 2


# ----------------------------------------------------------------------------- 2. fitted rates are measurements

def _synthetic(check, loss):
    t = np.linspace(0, 20, loss.size)
    zeros = np.zeros_like(t)
    return Trajectory("synthetic", t, np.arange(t.size), loss, zeros, zeros, zeros, zeros * np.nan, zeros * np.nan,
                      {}, 0, "ok")


def test_slow_start_under_the_envelope_is_never_violated():
    """The audit's case: a run under ξL₀e^{−σ₀σ_A t/2} everywhere whose fitted exponent is below the
    bound's (0.4866 < 0.4917) got `loss_decay_rate: violated`; now only the envelope is a verdict."""
    check = check_initialization(SQUARE.A, SQUARE.y, SQUARE_NET)
    v = dict(check.inputs)
    rate = check.alpha / 2
    t = np.linspace(0, 20, 200)
    loss = v["L0"] * np.exp(-0.9896 * rate * t)  # fitted exponent 0.9896·0.4917 = 0.4866
    assert np.all(loss <= check.xi * v["L0"] * np.exp(-rate * t))
    base = [("non-degenerate", True), ("theorem's damping", True)]
    claims = _isehd_claims(_synthetic(check, loss), check, v, base, ("y ∈ Im(A)", True), 0.0, None, SQUARE,
                           None, None)
    assert not [c for c in claims if "rate" in c.claim_id]
    assert {c.claim_id: c.status for c in claims}["loss_envelope"] == "holds"


def test_a_diverging_run_is_violated_where_it_should_be():
    res = verify(SQUARE, SQUARE_NET, dynamics="igahd", step=9.0, iterations=60)
    claims = {c.claim_id: c for c in res.claims}
    assert res.trajectory.loss.max() > res.trajectory.loss[0]
    assert claims["loss_envelope"].status == "violated" and claims["loss_envelope"].margin < 0
    assert res.any_violated
    (m,) = res.measurements
    assert m.quantity.startswith("loss decay exponent")  # shown, never judged


# ----------------------------------------------------------------------------- 3. transferred claims

def test_igahd_claims_are_labelled_transferred_and_not_verified():
    res = verify(SQUARE, SQUARE_NET, dynamics="igahd", iterations=1500)
    for c in res.claims:
        if c.claim_id == "igahd_convergence":
            assert c.kind == "theorem"
            continue
        assert c.kind == "transferred" and c.assumptions == (TRANSFER_ASSUMPTION,)
        assert c.statement.startswith("[transferred to IGAHD]")
        assert not any("mapped to continuous time" in name for name, _ in c.hypotheses)  # was hard-coded True
    assert "similar guarantees hold" in TRANSFER_ASSUMPTION and "t = Σ√s" in TRANSFER_ASSUMPTION


# ----------------------------------------------------------------------------- 4. exact mapping

@pytest.mark.parametrize("form, alpha, beta, s", [("ode", 0.9834, 0.5084, 0.01), ("ode", 1.0, 0.01, 0.0025),
                                                  ("slide", 30.0, 0.05, 0.001)])
def test_exact_mapping_reproduces_the_iteration(form, alpha, beta, s):
    a, b = dip_coefficients(alpha, beta, s, form)
    m = evaluate_many(["igahd_map_h", "igahd_map_gamma", "igahd_map_beta"], {"a_k": a, "b_k": b, "s": s})
    back = evaluate_many(["igahd_alpha_k", "igahd_beta_k", "igahd_s_k"],
                         {"gamma_k": m["igahd_map_gamma"], "h": m["igahd_map_h"], "beta": m["igahd_map_beta"]})
    np.testing.assert_allclose([back["igahd_alpha_k"], back["igahd_beta_k"], back["igahd_s_k"]], [a, b, s],
                               rtol=1e-12)


def test_old_mapping_was_off_and_the_claim_uses_the_exact_one():
    check = check_initialization(SQUARE.A, SQUARE.y, SQUARE_NET)
    a, b = dip_coefficients(check.alpha, check.beta, 0.01, "ode")
    old = evaluate_many(["igahd_alpha_k", "igahd_beta_k"], {"gamma_k": check.alpha, "h": 0.1, "beta": check.beta})
    assert a == pytest.approx(0.9017, abs=1e-4) and old["igahd_alpha_k"] == pytest.approx(0.9105, abs=1e-4)
    assert b == pytest.approx(0.0508, abs=1e-4) and old["igahd_beta_k"] != pytest.approx(b, rel=1e-3)
    res = verify(SQUARE, SQUARE_NET, dynamics="igahd", iterations=3000, alpha=1.0, beta=0.01, step=0.0025)
    mapping = res.extra["discrete_theorem_mapping"]
    a, b = dip_coefficients(1.0, 0.01, 0.0025, "ode")
    assert mapping["a"] == a and mapping["b"] == b
    assert {c.claim_id: c.status for c in res.claims}["igahd_convergence"] == "holds"


def test_no_exact_mapping_is_not_applicable():
    # form 'ode' with α√s ≥ 1: momentum ≤ 0, no (γ > 0, h > 0) gives it.
    res = verify(SQUARE, SQUARE_NET, dynamics="igahd", iterations=20, alpha=20.0, beta=0.0, step=0.01)
    c = {x.claim_id: x for x in res.claims}["igahd_convergence"]
    assert c.status == "not_applicable" and "exact mapping" in c.failed_hypothesis


# ----------------------------------------------------------------------------- 5. Łojasiewicz tests

@pytest.mark.parametrize("N", [10**4, 10**5])
def test_linear_rate_test_separates_linear_from_sublinear(N):
    k = np.arange(N + 1.0)
    assert linear_rate_claim(0.999**k * (1 + 0.5 * np.cos(k)), "s", []).status == "holds"
    rho, r2, _ = fit_linear_rate(1 / (k + 1))
    assert rho < 1  # the old test ("fitted ρ < 1") accepted 1/k ...
    assert linear_rate_claim(1 / (k + 1), "s", []).status == "violated"  # ... the line test does not
    assert linear_rate_claim((k + 1) ** -3.0, "s", []).status == "violated"


@pytest.mark.parametrize("N", [10**4, 10**5])
@pytest.mark.parametrize("e", [1.0, 0.5, 0.25])
@pytest.mark.parametrize("k0", [1.0, 50.0, 500.0])
def test_power_rate_test_accepts_the_true_rate_and_rejects_wrong_ones(N, e, k0):
    k = np.arange(N + 1.0)
    assert power_rate_claim((k + k0) ** -e, e, "s", []).status == "holds"
    assert power_rate_claim((k + k0) ** (-0.75 * e), e, "s", []).status == "violated"
    assert power_rate_claim((k + k0) ** (-1.33 * e), e, "s", []).status == "violated"
    assert power_rate_claim(0.999**k, e, "s", []).status == "violated"  # not a power law at all
    assert abs(fit_power_rate((k + k0) ** -e)[0] - e) < 0.01 * e


# ----------------------------------------------------------------------------- 6. unbiased pass probability

def test_pass_probability_leaves_out_the_selecting_draw():
    prob = default_problem()
    res = instance_width(prob.A, prob.y, d=2)
    assert res.k_instance == 16384 and res.trials == 40
    fresh = [check_initialization(prob.A, prob.y, TwoLayerDIP(2, 2, 16384, seed=s)).non_degenerate
             for s in range(1, 41)]
    assert res.pass_probability == sum(fresh) / 40 == 0.275  # 0.1 reported 0.6 with the selecting draw


# ----------------------------------------------------------------------------- 7. labels

def test_statdim_closed_form_is_called_an_upper_bound(capsys):
    sd = l1_statistical_dimension(100, 10)
    assert "upper bound" in sd.method and sd.bracket[1] == sd.delta > sd.bracket[0]
    assert main(["statdim", "--cone", "l1-descent", "--n", "100", "--s", "10", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "upper bound" in out["method"] and len(out["bracket"]) == 2


def test_empirical_lipschitz_is_an_adversarial_search():
    """Known constant: n = k = d = 1, u = 1, g = vφ(w): Lip of J on the ball is the largest
    ‖[[0, φ′(w)], [φ′(w), vφ″(w)]]‖ over the disc (a grid here)."""
    from boundcalc.nets.activations import get_activation
    act = get_activation("tanh")
    net = TwoLayerDIP.from_arrays(np.array([[0.7]]), np.array([[0.3]]), np.array([1.0]), "tanh")
    R = 1.5
    vs, ws = np.meshgrid(np.linspace(-R, R, 801), np.linspace(-R, R, 801))
    inside = vs**2 + ws**2 <= R**2
    v, w = 0.7 + vs[inside], 0.3 + ws[inside]
    h = v * act.d2phi(w) / 2
    known = float(np.max(np.abs(h) + np.sqrt(h**2 + act.dphi(w) ** 2)))
    sampled = net.empirical_lipschitz(R, steps=0, seed=0)
    ascent = net.empirical_lipschitz(R, seed=0)
    assert ascent >= 0.5 * known and ascent <= known * (1 + 1e-3)
    assert ascent > sampled


def test_user_arrays_are_not_called_d_bounded():
    V, W, u = np.ones((2, 3)), np.ones((3, 2)), np.array([1.0, 0.0])
    net = TwoLayerDIP.from_arrays(V, W, u)
    check = check_initialization(np.eye(2), np.ones(2), net)
    hyp = next(h for h in check.hypotheses if "D-bounded" in h.name)
    assert hyp.status == "unknown" and "not checkable from one sample" in hyp.detail


def test_gordon_uses_the_upper_confidence_end_of_the_width():
    x = np.zeros(40)
    x[:4] = 1.0
    cone = L1DescentCone(x)
    w, se = gaussian_width(cone, samples=500, seed=0)
    g = gordon_lower_bound(cone, 24, t=1.0, samples=500, seed=0)
    assert g.width == w and g.width_stderr == se and g.width_used > w + 2 * se
    exact = gordon_lower_bound(cone, 24, t=1.0, width=w)
    assert g.lower < exact.lower and g.probability < exact.probability


def test_trap_avoidance_draws_both_starting_points(monkeypatch):
    import boundcalc.verification.claims as harness
    seen = []
    real = harness.igahd

    def spy(grad, x0, **kw):
        seen.append((np.array(x0), kw.get("x1")))
        return real(grad, x0, **kw)

    monkeypatch.setattr(harness, "igahd", spy)
    assert check_trap_avoidance(starts=10, seed=0).status == "holds"
    assert all(x1 is not None and not np.array_equal(x0, x1) for x0, x1 in seen)
