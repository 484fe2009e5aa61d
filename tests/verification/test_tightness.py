"""Tightness, not only safety: on instances where the true decay is known in closed form, each rate
and radius the package checks on trajectories must be *at most a stated factor* looser than the
truth. A bound that is merely safe passes any "measured ≤ bound" test, including a bound loosened by
mistake; these tests fail then.

The instance: only V trained (the model is linear in V), A = σ_A·I. Then J_V J_Vᵀ = (‖a‖²/k) I with
a = φ(Wu), so every mode has λ = σ₀²σ_A² with σ₀ = ‖a‖/√k (THEORY §9.4), and

- GF: r(t) = e^{−λt} r₀, so L decays at 2λ = 4·(2μ) — the GF loss envelope's exponent 2μ is 4× slow,
  its residual envelope's μ is 4× slow, and the path is a straight segment of length ‖r₀‖/(σ₀σ_A) = R′_GF/2;
- GD with step γ: r_τ = (1 − γλ)^τ r₀, so log L drops by 2 log(1 − γλ) per step against the
  envelope's log(1 − γμ);
- ISEHD with the theorem's α = σ₀σ_A, β = 1/(2α): r̈ + (α + βλ)ṙ + λr = 0 is underdamped with
  α + βλ = 1.5σ₀σ_A, so the loss peaks decay at 1.5σ₀σ_A = 3 × the loss envelope's σ₀σ_A/2, and
  ‖θ(t) − θ_∞‖ at 0.75σ₀σ_A = 3 × the parameter envelope's σ₀σ_A/4.

Every predicted exponent below is evaluated from formulas.py (the one source), every measured one
from a trajectory, and the stated factors come from the closed forms above.
"""

import math

import numpy as np
import pytest

from boundcalc.dynamics import gradient_descent, gradient_flow, isehd, make_objective
from boundcalc.formulas import evaluate
from boundcalc.nets.two_layer import TwoLayerDIP

SIGMA_A = 0.5


@pytest.fixture(scope="module")
def linear():
    """(objective with only V trained, σ₀ of the V-Jacobian, λ, ‖r₀‖) on A = σ_A·I, n = 3, noiseless."""
    net = TwoLayerDIP(3, 2, 40, "tanh", seed=3)
    A = SIGMA_A * np.eye(3)
    x_bar = np.array([0.4, -0.7, 0.2])
    y = A @ x_bar
    a = np.tanh(net.unpack()[1] @ net.u)
    sigma0 = float(np.linalg.norm(a) / math.sqrt(net.k))
    obj = make_objective(net, A, y, x_bar=x_bar, train="V", state="full")
    r0 = float(np.linalg.norm(A @ net.forward() - y))
    return obj, sigma0, (sigma0 * SIGMA_A) ** 2, r0


def _envelope_rate(name, values):
    """The exponent of an envelope formula itself, −d/dt log env (from formulas.py at t = 0 and 1), so
    that a change to the envelope — not only to a separate rate formula — is what the tests see."""
    common = {"L0": 1.0, "xi": 2.0, "eta": 3.0, "r0": 1.0, **values}
    return math.log(evaluate(name, {**common, "t": 0.0}) / evaluate(name, {**common, "t": 1.0}))


def _slope(t, values, floor):
    """Least-squares decay exponent of log(values) over the samples above ``floor``."""
    keep = values > floor
    return -np.polyfit(t[keep], np.log(values[keep]), 1)[0]


def _peaks(t, values, floor):
    """The local maxima of an oscillating decay (its envelope), above ``floor``."""
    i = np.flatnonzero((values[1:-1] > values[:-2]) & (values[1:-1] >= values[2:]) & (values[1:-1] > floor)) + 1
    return t[i], values[i]


def test_gf_loss_residual_and_ball_are_exactly_4_4_and_2_times_loose(linear):
    obj, sigma0, lam, r0 = linear
    tr = gradient_flow(obj, t_max=30 / lam, n_eval=600, rtol=1e-11)
    v = {"sigma0": sigma0, "sigma_A": SIGMA_A, "r0": r0}
    loss_rate = _slope(tr.t, tr.loss, 1e-14 * tr.loss[0])  # above the integrator's error floor
    assert loss_rate == pytest.approx(2 * lam, rel=1e-3)            # the closed form, measured
    ratio = loss_rate / _envelope_rate("loss_envelope_gf", v)
    assert 1.0 <= ratio <= 4.0 * (1 + 1e-3)                         # e^{−2μt}: exactly 4× loose
    resid_rate = _slope(tr.t, np.sqrt(2 * tr.loss), 1e-7 * r0)
    assert 1.0 <= resid_rate / _envelope_rate("residual_envelope_gf", v) <= 4.0 * (1 + 1e-3)  # 4× loose
    travelled = float(tr.theta_dist.max())
    assert travelled == pytest.approx(r0 / (sigma0 * SIGMA_A), rel=1e-6)
    assert 1.0 <= evaluate("R_prime_gf", {**v, "r0": r0}) / travelled <= 2.0 * (1 + 1e-6)  # R′_GF: 2×


def test_gd_loss_factor_is_as_loose_as_its_closed_form_says(linear):
    obj, sigma0, lam, _ = linear
    gamma = 0.2 / lam
    tr = gradient_descent(obj, step=gamma, iterations=120)
    per_step = -np.diff(np.log(tr.loss))[:40].mean()  # before round-off: L has fallen by 1e-8 there
    assert per_step == pytest.approx(-2 * math.log(1 - gamma * lam), rel=1e-7)
    v = {"sigma0": sigma0, "sigma_A": SIGMA_A, "gamma": gamma, "tau": 1.0, "L0": 1.0}
    predicted = -math.log(evaluate("loss_envelope_gd", v))            # log-decrease of (1 − γμ)^τ per step
    stated = 2 * math.log(1 - gamma * lam) / math.log(1 - gamma * lam / 4)  # 8.9 at γλ = 0.2
    assert 1.0 <= per_step / predicted <= stated * (1 + 1e-9)


def test_isehd_loss_and_parameter_envelopes_are_exactly_3_times_loose(linear):
    obj, sigma0, lam, _ = linear
    alpha = evaluate("alpha", {"sigma0": sigma0, "sigma_A": SIGMA_A})
    beta = evaluate("beta", {"alpha": alpha})
    tr = isehd(obj, alpha=alpha, beta=beta, t_max=45 / math.sqrt(lam), n_eval=4000, rtol=1e-11, atol=1e-14,
               keep_theta=1)
    t_pk, l_pk = _peaks(tr.t, tr.loss, 1e-24)
    assert t_pk.size >= 4  # several periods of the underdamped mode
    loss_rate = _slope(t_pk, l_pk, 0.0)
    assert loss_rate == pytest.approx(1.5 * sigma0 * SIGMA_A, rel=2e-2)  # the closed form, measured
    v = {"sigma0": sigma0, "sigma_A": SIGMA_A}
    assert 1.0 <= loss_rate / _envelope_rate("loss_envelope", v) <= 3.0 * (1 + 2e-2)
    # ‖θ(t) − θ_∞‖: the distance to the final state, measured on the stored states
    dist = tr.final_dist
    t_s = tr.t[tr.theta_sample_index]
    t_pk, d_pk = _peaks(t_s, dist, 1e-11 * dist.max())
    theta_rate = _slope(t_pk, d_pk, 0.0)
    assert 1.0 <= theta_rate / _envelope_rate("theta_envelope", v) <= 3.0 * (1 + 3e-2)
