"""Stopping rules on constructed sequences whose stop is known exactly: a rule moved by one iteration, or a
window off by one, fails these tests; the oracles and SURE against closed forms."""

import math

import numpy as np
import pytest

from boundcalc.verification.stopping import (
    ESEMV,
    ESWMV,
    Discrepancy,
    FixedIteration,
    Validation,
    ema_oracle,
    estimate_sigma,
    oracle_best,
    replay,
    sure_curve,
    theorem_rule,
)


def _brute_wmv(X, W):
    """VAR_ℓ = (1/W) Σ_{i=ℓ−W+1}^{ℓ} ‖x_i − mean‖²/n, nan before the window is full."""
    out = np.full(len(X), np.nan)
    for l in range(W - 1, len(X)):
        win = X[l - W + 1:l + 1]
        out[l] = np.mean(np.sum((win - win.mean(axis=0)) ** 2, axis=1)) / X.shape[1]
    return out


def test_eswmv_stops_patience_after_the_variance_minimum_and_returns_its_window_end():
    rng = np.random.default_rng(0)
    W, P, l0 = 7, 100, 60  # P > ℓ0: no earlier window can trigger a stop before ℓ0 is seen
    X = rng.standard_normal((200, 5))
    X[l0 - W + 1:l0 + 1] = 0.3  # the one window of zero variance ends at ℓ0
    rule = ESWMV(window=W, patience=P)
    fired = [rule.update(x) for x in X]
    assert rule.stop_iteration == l0 and rule.fired_at == l0 + P
    assert fired.index(True) == l0 + P and all(fired[l0 + P:])
    np.testing.assert_array_equal(rule.x_stop, X[l0])
    np.testing.assert_allclose(rule.scores, _brute_wmv(X[:l0 + P + 1], W), atol=1e-12)
    # one more or one fewer in the window would not see the zero-variance window
    for w in (W - 1, W + 1):
        assert not np.allclose(_brute_wmv(X[:l0 + P + 1], w), rule.scores, equal_nan=True)


def test_eswmv_does_not_fire_while_the_variance_keeps_falling():
    X = np.outer(np.exp(-np.arange(300) / 50.0), np.ones(3)) * np.cos(np.arange(300))[:, None]
    rule = ESWMV(window=10, patience=20)
    assert not any(rule.update(x) for x in X) and rule.fired_at is None


def test_esemv_follows_its_recursion_and_tracks_the_minimum_from_its_start():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((300, 4)) * np.r_[np.linspace(2, 0.1, 150), np.linspace(0.1, 3, 150)][:, None]
    a, P, start = 0.2, 40, 30
    rule = ESEMV(alpha=a, patience=P, start=start)
    for x in X:
        if rule.update(x):
            break
    ema, emv, ref = X[0].copy(), 0.0, [0.0]
    for x in X[1:rule.fired_at + 1]:
        d = x - ema
        emv = (1 - a) * emv + a * (1 - a) * (d @ d) / x.size
        ema = ema + a * d
        ref.append(emv)
    np.testing.assert_allclose(rule.scores, ref, rtol=1e-12)
    ref = np.array(ref)
    l_min = start + int(np.argmin(ref[start:]))
    assert rule.stop_iteration == l_min and rule.fired_at == l_min + P


def test_discrepancy_fires_at_the_first_residual_below_tau_sigma_sqrt_m():
    m = 16
    y = np.linspace(0, 1, m)
    u = np.ones(m) / 4.0  # unit vector
    X = [y + (10.0 - l) * u for l in range(10)]  # ‖x_ℓ − y‖ = 10 − ℓ
    sigma = 3.5 / math.sqrt(m)  # τσ√m = 3.5: the first ℓ with 10 − ℓ ≤ 3.5 is 7
    rule = Discrepancy(np.eye(m), y, sigma)
    out = replay(rule, X, y)
    assert (out.fired_at, out.stop_iteration, out.spent) == (7, 7, 0)
    assert Discrepancy(np.eye(m), y, sigma, tau=2.0).level == pytest.approx(7.0)
    with pytest.raises(ValueError, match="needs the noise level"):
        Discrepancy(np.eye(m), y, None)


def test_validation_stops_patience_after_the_held_out_minimum():
    m, l0, P = 6, 40, 10
    y2 = np.zeros(m)
    X = [np.full(m, (abs(l - l0) + 1) / math.sqrt(m)) for l in range(100)]  # ‖x_ℓ − y₂‖ = |ℓ − ℓ0| + 1
    out = replay(Validation(np.eye(m), y2, patience=P), X)
    assert (out.fired_at, out.stop_iteration, out.spent) == (l0 + P, l0, P)
    with pytest.raises(ValueError, match="second noisy copy"):
        Validation(np.eye(m), None)


def test_fixed_iteration_and_the_theorem_rule():
    rule = FixedIteration(12.3)
    assert replay(rule, np.zeros((30, 2))).fired_at == 13
    never = FixedIteration(math.inf, applicable=False, reason="not_applicable: R′ < R fails")
    out = replay(never, np.zeros((5, 2)))
    assert out.never_fired and "R′ < R" in out.note
    from boundcalc.nets.two_layer import TwoLayerDIP
    from boundcalc.problems import DEFAULT_NETWORK, default_problem
    from boundcalc.theory.bounds import check_initialization, compute_bounds
    prob = default_problem()
    net = TwoLayerDIP(prob.n, DEFAULT_NETWORK["d"], DEFAULT_NETWORK["k"], DEFAULT_NETWORK["activation"],
                      v_init=DEFAULT_NETWORK["v_init"], seed=DEFAULT_NETWORK["seed"])
    check = check_initialization(prob.A, prob.y, net)
    assert check.non_degenerate
    r = theorem_rule(check, prob.noise_norm, clock=0.1)
    assert r.applicable and r.at == pytest.approx(compute_bounds(check, noise_norm=prob.noise_norm).T_ES / 0.1)
    bad = theorem_rule(check_initialization(prob.A, prob.y, TwoLayerDIP(prob.n, 2, 20, "tanh", seed=0)),
                       prob.noise_norm, clock=0.1)
    assert not bad.applicable and bad.reason.startswith("not_applicable")


def test_sigma_estimate_reads_the_noise_of_a_smooth_image():
    rng = np.random.default_rng(2)
    yy, xx = np.mgrid[0:128, 0:128] / 128.0
    img = np.sin(3 * xx) + yy**2 + 0.2 * rng.standard_normal((128, 128))
    assert estimate_sigma(img.ravel(), (128, 128)) == pytest.approx(0.2, rel=0.05)
    with pytest.raises(ValueError, match="no 2×2 block"):
        estimate_sigma(np.zeros(3), (1, 3))


def test_sure_is_exact_for_a_linear_map_and_unbiased_over_noise():
    rng = np.random.default_rng(3)
    m, sigma = 50, 0.3
    x_bar = rng.standard_normal(m)
    cs = np.linspace(0, 1, 6)  # x_ℓ = c_ℓ y: a linear estimator with divergence c_ℓ·m
    b = rng.standard_normal(m)
    b *= math.sqrt(m) / np.linalg.norm(b)  # ‖b‖² = m: the one-probe estimate is then exact for c·I
    y = x_bar + sigma * rng.standard_normal(m)
    delta = 1e-3
    s = sure_curve(np.eye(m), y, sigma, [c * y for c in cs], [c * (y + delta * b) for c in cs], b, delta)
    exact = np.array([np.sum((c * y - y) ** 2) - m * sigma**2 + 2 * sigma**2 * c * m for c in cs])
    np.testing.assert_allclose(s, exact, rtol=1e-9)
    # over noise draws SURE's mean is the mean prediction error ‖c y − x̄‖²
    sures, risks = [], []
    for _ in range(400):
        yk = x_bar + sigma * rng.standard_normal(m)
        sures.append(sure_curve(np.eye(m), yk, sigma, [0.7 * yk], [0.7 * (yk + delta * b)], b, delta)[0])
        risks.append(np.sum((0.7 * yk - x_bar) ** 2))
    assert np.mean(sures) == pytest.approx(np.mean(risks), rel=0.02)


def test_oracles_and_an_average_that_beats_every_raw_iterate():
    x_bar = np.linspace(0, 1, 20)
    d = np.where(np.arange(20) % 2, 0.1, -0.1)
    X = np.array([x_bar + (-1) ** l * d for l in range(60)])  # every raw iterate is ‖d‖ away
    l, p = oracle_best(X, x_bar)
    le, pe = ema_oracle(X, x_bar, alpha=0.1)
    assert pe > p + 10  # the running average cancels the alternation
    out = replay(ESWMV(window=4, patience=5), X, x_bar)
    assert out.db_lost == pytest.approx(p - out.psnr)
