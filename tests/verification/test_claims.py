import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from boundcalc.cli import main
from boundcalc.dynamics import DIPObjective, Trajectory, dip_coefficients, isehd
from boundcalc.formulas import evaluate_many
from boundcalc.nets.two_layer import TwoLayerDIP
from boundcalc.problems import gaussian_problem
from boundcalc.theory.bounds import check_initialization
from boundcalc.verification.claims import (
    TRANSFER_ASSUMPTION,
    ClaimCheck,
    _isehd_claims,
    check_energy_decrease,
    check_lojasiewicz_rate,
    check_trap_avoidance,
    fit_decay_rate,
    fit_linear_rate,
    fit_power_rate,
    linear_rate_claim,
    power_rate_claim,
    verify,
)
from boundcalc.verification.sweeps import phase_diagram

# A certified non-degenerate instance (THEORY §3 holds with margin 0.36): 2x2 Gaussian A, k = 10^5.
SQUARE = gaussian_problem(2, 2, noise_norm=0.01, seed=6)
SQUARE_NET = TwoLayerDIP(2, 2, 100_000, "tanh", seed=0)


@pytest.fixture(scope="module")
def isehd_run():
    return verify(SQUARE, SQUARE_NET, dynamics="isehd", lam_min=(0.9, 1.0))


def test_all_claims_hold_on_certified_instance(isehd_run):
    res = isehd_run
    assert res.non_degenerate
    ids = {c.claim_id: c for c in res.claims}
    for cid in ("loss_envelope", "param_ball", "param_envelope", "early_stopping", "x_space"):
        assert ids[cid].status == "holds", ids[cid]
        assert ids[cid].margin >= 0 and ids[cid].kind == "theorem"
    assert not res.any_violated
    (rate,) = res.measurements  # the fitted exponent is a measurement, not a claim
    assert rate.ratio == pytest.approx(rate.measured_exponent / rate.predicted_exponent)


# GF and GD also run in the slow full report and in the tightness tests (closed forms): slow here.
@pytest.mark.parametrize("dynamics", [pytest.param("gf", marks=pytest.mark.slow),
                                      pytest.param("gd", marks=pytest.mark.slow), "igahd"])
def test_claims_hold_for_other_dynamics(dynamics):
    res = verify(SQUARE, SQUARE_NET, dynamics=dynamics, iterations=1500, lam_min=0.9)
    assert res.non_degenerate
    # Every claim of the continuous-time theorems holds; only the discrete IGAHD theorem's own
    # step condition fails at the continuous-time damping (THEORY §10.2, tested below).
    for c in res.claims:
        transferred = dynamics == "igahd" and c.claim_id != "igahd_convergence"
        expected = "not_applicable" if c.claim_id == "igahd_convergence" else "transferred" if transferred else "holds"
        assert c.status == expected, res.summary()
        if transferred:  # read on the discrete path: shown with its measurement, never counted as verified
            assert c.kind == "transferred" and c.assumptions and c.margin >= 0 and "stays within" in c.note


@pytest.mark.slow
def test_integration_error_far_below_margins(isehd_run):
    # The same ISEHD run at rtol 1e-9 and 1e-11 agrees to far better than REL_TOL-level margins.
    a = isehd(DIPObjective(SQUARE_NET, SQUARE.A, SQUARE.y), alpha=0.98, beta=0.5, t_max=10, n_eval=11, rtol=1e-9)
    b = isehd(DIPObjective(SQUARE_NET, SQUARE.A, SQUARE.y), alpha=0.98, beta=0.5, t_max=10, n_eval=11,
              rtol=1e-11, atol=1e-14)
    rel = np.abs(a.loss - b.loss) / b.loss
    assert rel.max() < 1e-4  # measured: 3e-6 where the loss is 1e-8·L₀
    assert min(c.margin for c in isehd_run.claims if c.status == "holds") > 100 * rel.max()


def test_not_applicable_on_degenerate_instance():
    res = verify(SQUARE, TwoLayerDIP(2, 2, 10, "tanh", seed=0), dynamics="isehd", t_max=5.0, n_eval=20)
    assert not res.non_degenerate
    assert len(res.claims) >= 5
    for c in res.claims:
        assert c.status == "not_applicable"
        assert c.failed_hypothesis.startswith("non-degenerate")


@pytest.mark.slow
def test_y_outside_range_uses_derived_variant():
    prob = gaussian_problem(30, 3, noise_norm=0.01, seed=0)
    res = verify(prob, TwoLayerDIP(3, 3, 100_000, seed=0), dynamics="isehd", n_eval=80)
    ids = {c.claim_id: c for c in res.claims}
    assert ids["loss_envelope"].status == "not_applicable" and "Im(A)" in ids["loss_envelope"].failed_hypothesis
    assert ids["loss_envelope_range"].status == "holds"
    assert ids["early_stopping"].status == "holds"


@pytest.mark.slow
def test_violation_is_reported_with_negative_margin(isehd_run):
    # Feed a wrong (too small) λ_min-free bound: dist = 0 with λ_min = 100 makes the x-space bound
    # smaller than the measured error, which must be reported as violated, not hidden.
    res2 = verify(SQUARE, SQUARE_NET, dynamics="isehd", t_max=20.0, lam_min=100.0, dist=0.0)
    bad = {c.claim_id: c for c in res2.claims}["x_space"]
    assert bad.status == "violated" and bad.margin < 0
    # On IGAHD the same bound is only transferred: the run leaving it is shown, never called violated.
    res3 = verify(SQUARE, SQUARE_NET, dynamics="igahd", iterations=1000, lam_min=100.0, dist=0.0)
    moved = {c.claim_id: c for c in res3.claims}["x_space"]
    assert moved.status == "transferred" and moved.margin < 0 and "leaves the transferred bound" in moved.note
    assert not res3.any_violated


def test_fit_decay_rate_exact():
    t = np.linspace(0, 10, 50)
    assert fit_decay_rate(t, 3 * np.exp(-0.7 * t), lo=1e-12, hi=10) == pytest.approx(0.7)
    assert np.isnan(fit_decay_rate(t[:2], np.exp(-t[:2]), lo=0, hi=10))


def test_test_function_claims():
    trap = check_trap_avoidance(starts=40, seed=1)
    assert trap.status == "holds" and "0 reached a critical point that is not a minimizer" in trap.note
    for p in (2, 3, 4):
        assert check_lojasiewicz_rate(p).status == "holds"

    def f(z):
        return z[0] ** 2 / 2 + z[1] ** 4 / 4 - z[1] ** 2 / 2

    def g(z):
        return np.array([z[0], z[1] ** 3 - z[1]])

    ok = check_energy_decrease(f, g, [1.5, 0.3], lipschitz=11.0, c=1.0, beta=0.02, h=0.1, box=2.0)
    assert ok.status == "holds"
    # started at (0, 8), f″ = 191 against L = 11: the hypothesis fails along the path, so no verdict (it
    # was "violated" with both listed hypotheses true); without a region it cannot be checked at all
    far = check_energy_decrease(f, g, [0.0, 8.0], lipschitz=11.0, c=1.0, beta=0.02, h=0.1, box=2.0)
    assert far.status == "not_applicable" and "‖x‖∞ ≤ 2" in far.failed_hypothesis
    unchecked = check_energy_decrease(f, g, [1.5, 0.3], lipschitz=11.0, c=1.0, beta=0.02, h=0.1)
    assert unchecked.status == "not_applicable" and "box=None" in unchecked.failed_hypothesis
    na = check_energy_decrease(f, g, [1.5, 0.3], lipschitz=11.0, c=1.0, beta=0.5, h=0.1)
    assert na.status == "not_applicable" and "β + h/2" in na.failed_hypothesis
    assert check_trap_avoidance(beta=0.5).status == "not_applicable"


def test_claimcheck_json():
    c = ClaimCheck("x", "s", 1.0, 0.5, "holds", 0.5)
    assert json.loads(json.dumps(c.to_dict()))["status"] == "holds"


def test_phase_diagram_resumes_and_accepts_executor(tmp_path):
    kw = {"n": 6, "m": 3, "d": 3, "ks": (5, 50), "alphas": (0.5, 2.0), "iterations": 300, "trials": 3,
          "loss_tol": 1e-6, "progress": False, "out_dir": tmp_path}
    with ThreadPoolExecutor(2) as ex:
        a = phase_diagram(executor=ex, **kw)
    assert a.computed == 6 and a.reused == 0
    assert a.igahd.shape == (2, 2) and np.all((a.igahd >= 0) & (a.igahd <= 1))
    b = phase_diagram(**kw)
    assert b.computed == 0 and b.reused == 6
    np.testing.assert_array_equal(a.igahd, b.igahd)
    (tmp_path / "cells" / "gd_k5.json").unlink()  # an interrupted run: only the missing cell is redone
    c = phase_diagram(**kw)
    assert c.computed == 1 and c.reused == 5
    np.testing.assert_array_equal(a.gd, c.gd)
    with pytest.raises(ValueError, match="α√s"):
        phase_diagram(alphas=(10.0,), step=0.05, progress=False, form="ode")
    with pytest.raises(ValueError, match="αs"):
        phase_diagram(alphas=(30.0,), step=0.05, progress=False, form="slide")


def test_cli_verify(capsys):
    code = main(["verify", "--problem", "gaussian", "--m", "2", "--n", "2", "--seed", "6", "--k", "100000",
                 "--d", "2", "--dynamics", "gf", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {"non_degenerate", "claims", "trajectory"} <= set(out)
    assert {"claim_id", "statement", "status", "predicted", "measured", "margin"} <= set(out["claims"][0])
    assert {"t", "loss", "theta_dist"} <= set(out["trajectory"])
    assert main(["verify", "--dynamics", "adam"]) == 2
    assert main(["verify", "--k", "10", "--t-max", "2"]) == 1  # degenerate: nothing could be verified


def test_range_residual_matrix_free():
    from boundcalc.linalg.operators import Gradient2D
    from boundcalc.verification.claims import _range_residual
    rng = np.random.default_rng(0)
    G = Gradient2D((12, 12))  # m = 2n: Im(G) is a proper subspace (curl-free fields)
    x = rng.standard_normal(144)
    assert _range_residual(G, G @ x) < 1e-9 * np.linalg.norm(G @ x)
    e = rng.standard_normal(288)
    expected = np.linalg.norm(e - G.toarray() @ np.linalg.lstsq(G.toarray(), e, rcond=None)[0])
    assert _range_residual(G, G @ x + e) == pytest.approx(expected, rel=1e-6)


@pytest.mark.slow
def test_igahd_discrete_condition_reported():
    # Continuous-time damping (β = 1/(2α)) with h = 0.1 breaks β + h/2 < α/L (THEORY §10.2) ...
    res = verify(SQUARE, SQUARE_NET, dynamics="igahd", iterations=500)
    c = {x.claim_id: x for x in res.claims}["igahd_convergence"]
    assert c.status == "not_applicable" and "β + h/2 < c/L" in c.failed_hypothesis
    # ... while a small β and step satisfy it, and the iterates do converge.
    res = verify(SQUARE, SQUARE_NET, dynamics="igahd", iterations=3000, alpha=1.0, beta=0.01, step=0.0025)
    c = {x.claim_id: x for x in res.claims}["igahd_convergence"]
    assert c.status == "holds", c


def _synthetic(check, loss):
    t = np.linspace(0, 20, loss.size)
    zeros = np.zeros_like(t)
    return Trajectory("synthetic", t, np.arange(t.size), loss, zeros, zeros, zeros, zeros * np.nan, zeros * np.nan,
                      {}, 0, "ok")


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


def test_a_step_too_large_to_transfer_is_not_applicable_never_violated():
    # The audit's reproduction: IGAHD with s = 0.5 (and a diverging s = 9) reported violated claims
    # and exit 1, although the continuous-time statement says nothing about such steps.
    for step in (0.5, 9.0):
        res = verify(SQUARE, SQUARE_NET, dynamics="igahd", step=step, iterations=60)
        claims = {c.claim_id: c for c in res.claims}
        assert not res.any_violated, res.summary()
        env = claims["loss_envelope"]
        assert env.status == "not_applicable" and "transfer condition s·L_loc ≤ 1" in env.failed_hypothesis
    assert res.trajectory.loss.max() > res.trajectory.loss[0]  # s = 9 diverges: still not a violation
    (m,) = res.measurements
    assert m.quantity.startswith("loss decay exponent")  # shown, never judged


def test_cli_igahd_with_a_large_step_exits_0(run_cli):
    code, out, _ = run_cli("verify", "--dynamics", "igahd", "--step", "0.5", "--iterations", "400", "--json")
    data = json.loads(out)
    assert code == 0 and not [c for c in data["claims"] if c["status"] == "violated"]
    assert sum(c["status"] == "not_applicable" and "transfer condition" in c["failed_hypothesis"]
               for c in data["claims"]) >= 3


@pytest.mark.parametrize("margin, status, within", [(0.3, "holds", False), (0.0, "holds", False),
                                                    (-1e-12, "holds", True), (-1.2e-15, "holds", True),
                                                    (-1e-9, "holds", True), (-1.0001e-9, "violated", False),
                                                    (-1e-6, "violated", False)])
def test_one_rounding_rule_decides_every_margin(margin, status, within):
    from boundcalc.verification.claims import decide
    assert decide(margin) == (status, within)


def test_bound_claims_at_the_edge_and_within_rounding_is_shown():
    from boundcalc.verification.decisions import bound_claim as _bound_claim
    t = np.linspace(0, 1, 5)
    pred = np.exp(-t)
    above = _bound_claim("c", "s", [("h", True)], t, pred * (1 + 1e-6), pred)
    assert above.status == "violated"
    edge = _bound_claim("c", "s", [("h", True)], t, pred * (1 + 1e-12), pred)
    assert edge.status == "holds" and edge.within_rounding and edge.label == "holds (within rounding)"
    assert "within rounding" in repr(edge)
    below = _bound_claim("c", "s", [("h", True)], t, pred * (1 - 1e-12), pred)
    assert below.status == "holds" and not below.within_rounding and below.label == "holds"


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


@pytest.mark.parametrize("form, alpha, beta, s", [("ode", 0.9834, 0.5084, 0.01), ("ode", 1.0, 0.01, 0.0025),
                                                  ("slide", 30.0, 0.05, 0.001)])
def test_exact_mapping_reproduces_the_iteration(form, alpha, beta, s):
    a, b = dip_coefficients(alpha, beta, s, form)
    m = evaluate_many(["igahd_map_h", "igahd_map_gamma", "igahd_map_beta"], {"a_k": a, "b_k": b, "s": s})
    back = evaluate_many(["igahd_alpha_k", "igahd_beta_k", "igahd_s_k"],
                         {"gamma_k": m["igahd_map_gamma"], "h": m["igahd_map_h"], "beta": m["igahd_map_beta"]})
    np.testing.assert_allclose([back["igahd_alpha_k"], back["igahd_beta_k"], back["igahd_s_k"]], [a, b, s],
                               rtol=1e-12)


@pytest.mark.slow
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


@pytest.mark.parametrize("N", [10**4, 10**5])
def test_linear_rate_test_separates_linear_from_sublinear(N):
    k = np.arange(N + 1.0)
    assert linear_rate_claim(0.999**k * (1 + 0.5 * np.cos(k)), "s", []).status == "holds"
    rho, r2, _ = fit_linear_rate(1 / (k + 1))
    assert rho < 1  # the old test ("fitted ρ < 1") accepted 1/k ...
    assert linear_rate_claim(1 / (k + 1), "s", []).status == "violated"  # ... the line test does not
    assert linear_rate_claim((k + 1) ** -3.0, "s", []).status == "violated"
    # Faster than linear (a tail that bends down, e.g. 0.999^(k^1.2)) is within O(ρ^k).
    assert linear_rate_claim(0.99 ** (k**1.2 / 10), "s", []).status == "holds"


@pytest.mark.parametrize("N", [10**4, 10**5])
@pytest.mark.parametrize("e", [1.0, 0.5, 0.25])
@pytest.mark.parametrize("k0", [1.0, 50.0, 500.0])
def test_power_rate_is_an_upper_bound_violated_only_by_slower_decay(N, e, k0):
    k = np.arange(N + 1.0)
    assert power_rate_claim((k + k0) ** -e, e, "s", []).status == "holds"
    assert power_rate_claim((k + k0) ** (-0.94 * e), e, "s", []).status == "violated"  # 6% slower: beyond 5%
    assert power_rate_claim((k + k0) ** (-0.75 * e), e, "s", []).status == "violated"
    # Faster decay is within O(k^−e): before, 1.33e and a geometric tail were called violated.
    faster = power_rate_claim((k + k0) ** (-1.33 * e), e, "s", [])
    assert faster.status == "holds" and faster.measured == pytest.approx(1.33 * e, rel=0.01)
    assert power_rate_claim(0.999**k, e, "s", []).status == "holds"
    assert abs(fit_power_rate((k + k0) ** -e)[0] - e) < 0.01 * e


def test_trap_avoidance_draws_both_starting_points(monkeypatch):
    import boundcalc.verification.claims as harness
    seen = []
    real = harness.igahd

    def spy(grad, x0, **kw):
        seen.append((np.array(x0), kw.get("x1")))
        return real(grad, x0, **kw)

    monkeypatch.setattr(harness, "igahd", spy)
    assert check_trap_avoidance(starts=10, seed=0).status != "violated"
    assert all(x1 is not None and not np.array_equal(x0, x1) for x0, x1 in seen)


def test_trap_avoidance_needs_enough_decided_starts_for_a_verdict(monkeypatch):
    import boundcalc.verification.claims as harness
    real = harness.igahd
    calls = []

    def mostly_short(grad, x0, **kw):  # 38 of 40 starts run out of budget, 2 reach a minimiser
        calls.append(1)
        return real(grad, x0, **{**kw, "iterations": kw["iterations"] if len(calls) <= 2 else 5})

    monkeypatch.setattr(harness, "igahd", mostly_short)
    few = check_trap_avoidance(starts=40, seed=1)
    assert few.status == "inconclusive" and "2 converged to a minimizer" in few.note
    assert f"at least {harness.TRAP_MIN_DECIDED} decided" in few.note


def test_a_nan_measurement_is_inconclusive_never_violated():
    from boundcalc.verification.decisions import bound_claim, decide
    assert decide(float("nan")) == ("inconclusive", False)
    t = np.arange(4.0)
    c = bound_claim("c", "s", [("h", True)], t, np.array([0.1, np.nan, 0.2, 5.0]), np.ones(4))
    assert c.status == "inconclusive" and "not a number at 1" in c.note


def test_runs_that_exhaust_their_budget_are_censored_not_trapped():
    short = check_trap_avoidance(starts=12, seed=1, iterations=5)
    assert short.status == "inconclusive" and "0 reached a critical point" in short.note
    assert "12 exhausted the budget" in short.note  # before: all 12 counted against the claim


def test_x_space_uses_sigma_n_like_the_report_and_names_a_missing_dist():
    from boundcalc.theory.bounds import x_space_bound
    res = verify(SQUARE, SQUARE_NET, dynamics="igahd", iterations=300)  # no lam_min given
    x = {c.claim_id: c for c in res.claims}["x_space"]
    assert x.status != "not_applicable" and res.settings["lam_min_source"].startswith("σ_n(A)")
    assert res.settings["lam_min_lower"] == pytest.approx(np.linalg.svd(SQUARE.A, compute_uv=False)[-1])
    named = x_space_bound(res.check, 1.0, 0.5, noise_norm=0.01)
    assert named.quantity == "bound assuming x̄ ∈ Σ′ (dist(x̄, Σ′) = 0)" and named.approximation == 0.0
    assert x_space_bound(res.check, 1.0, 0.5, noise_norm=0.01, dist=0.1).quantity == "bound"


def test_isehd_reuses_an_identical_gf_run_and_refuses_another():
    """The report integrates GF once: verify(isehd, compare_gf) with the GF run of verify(gf) gives the
    same comparison as integrating it again, and a GF run with another horizon is refused."""
    p = gaussian_problem(2, 2, noise_norm=0.01, seed=6)
    net = TwoLayerDIP(2, 2, 20_000, seed=0)
    gf = verify(p, net, dynamics="gf", n_eval=60)
    fresh = verify(p, net, dynamics="isehd", compare_gf=True, n_eval=60)
    reused = verify(p, net, dynamics="isehd", compare_gf=True, n_eval=60, gf_run=gf)
    assert [m.to_dict() for m in reused.measurements] == [m.to_dict() for m in fresh.measurements]
    with pytest.raises(ValueError, match="gf_run"):
        verify(p, net, dynamics="isehd", compare_gf=True, n_eval=60, t_max=5.0, gf_run=gf)


def test_rate_statuses_follow_their_margins_and_faster_decay_holds():
    k = np.arange(10**4 + 1.0)
    # any finite sum of geometric modes decays linearly (the R² line test called this violated)
    modes = linear_rate_claim(0.5**k + 1e-40 * 0.9**k, "s", [])
    assert modes.status == "holds" and 0 < modes.margin and modes.measured < 1
    # superlinear decay: holds, with a positive margin (it was "holds" with a negative one)
    fast = linear_rate_claim(np.exp(-(k**1.5) / 300), "s", [])
    assert fast.status == "holds" and fast.margin > 0
    # a sequence that reaches exactly 0 decays faster than every power (it was violated, margin −19)
    zero = np.where(k <= 1000, 1 / (k + 1), 0.0)
    exact = power_rate_claim(zero, 1.0, "s", [])
    assert exact.status == "holds" and exact.margin > 0 and np.isinf(exact.measured)
    assert linear_rate_claim(zero, "s", []).status == "holds"
    for c in (modes, fast, exact, linear_rate_claim(1 / (k + 1), "s", []),
              power_rate_claim((k + 1.0) ** -0.5, 1.0, "s", [])):
        assert (c.status == "holds") == (c.margin >= 0), c
