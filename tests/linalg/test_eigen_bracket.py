"""Certified Lanczos brackets on σ_min(J), σ_max(J) against the exact Gram route."""

import numpy as np
import pytest

from boundcalc.linalg.eigen_bracket import extreme_eigen_bracket
from boundcalc.nets.two_layer import TwoLayerDIP
from boundcalc.problems import gaussian_problem
from boundcalc.theory.bounds import check_initialization


@pytest.mark.parametrize("n, d, k, act", [(6, 3, 50, "tanh"), (64, 8, 2000, "sigmoid"), (300, 10, 5000, "softplus"),
                                          (500, 4, 3000, "sin")])
def test_bracket_contains_the_gram_value_and_is_narrow(n, d, k, act):
    net = TwoLayerDIP(n, d, k, act, seed=1)
    exact = net.jacobian_spectrum(method="gram")
    lan = net.jacobian_spectrum(method="lanczos", rtol=2e-6)
    slack = 10 * n * np.finfo(float).eps  # the Gram route's own rounding
    for (lo, hi), value in ((lan.sigma_min_bracket, exact.sigma_min), (lan.sigma_max_bracket, exact.sigma_max)):
        assert lo * (1 - slack) <= value <= hi * (1 + slack)
        assert (hi - lo) / value <= 1e-6
    assert lan.sigma_min == lan.sigma_min_bracket[0] and lan.sigma_max == lan.sigma_max_bracket[1]
    assert lan.sigma_min >= np.linalg.norm(net.activation.phi(net.unpack()[1] @ net.u)) / np.sqrt(k) - 1e-15


def test_gram_matvec_matches_the_gram_matrix():
    net = TwoLayerDIP(20, 3, 70, seed=0)
    W = np.random.default_rng(0).standard_normal((20, 3))
    np.testing.assert_allclose(net.gram_matvec(W), net.gram() @ W, rtol=1e-13, atol=1e-14)
    J = net.jacobian()
    np.testing.assert_allclose(net.gram_matvec(W[:, 0]), J @ (J.T @ W[:, 0]), rtol=1e-12, atol=1e-14)


def test_unconverged_bracket_is_refused():
    net = TwoLayerDIP(300, 10, 5000, seed=1)
    with pytest.raises(RuntimeError, match="no number is reported"):
        extreme_eigen_bracket(net.gram_matvec, 300, rtol=1e-9, max_steps=8)


def test_known_spectrum_and_tiny_operators():
    lam = np.linspace(1.0, 3.0, 50)
    br = extreme_eigen_bracket(lambda w: (lam * w.T).T, 50, rtol=1e-8)
    assert br.lambda_min_lower <= 1.0 <= br.lambda_min_upper and br.lambda_max_lower <= 3.0 <= br.lambda_max_upper
    M = np.diag([2.0, 5.0])
    br = extreme_eigen_bracket(lambda w: M @ w, 2)
    assert br.lambda_min_upper == pytest.approx(2.0) and br.lambda_max_lower == pytest.approx(5.0)


class LanczosDIP(TwoLayerDIP):
    def jacobian_spectrum(self, theta=None, **kw):
        return super().jacobian_spectrum(theta, method="lanczos")


def test_check_initialization_uses_the_conservative_ends():
    prob = gaussian_problem(3, 6, seed=0)
    exact = check_initialization(prob.A, prob.y, TwoLayerDIP(6, 3, 200, seed=0))
    lan = check_initialization(prob.A, prob.y, LanczosDIP(6, 3, 200, seed=0))
    assert lan.sigma_min_J <= exact.sigma_min_J * (1 + 1e-12) and lan.sigma_max_J >= exact.sigma_max_J * (1 - 1e-12)
    hyp = next(h for h in lan.hypotheses if h.name.startswith("σ_min"))
    assert "certified lanczos bracket" in hyp.detail


@pytest.mark.parametrize("n", [500, 37])
def test_brackets_contain_exact_spectra_with_no_slack(n):
    """Diagonal operators with exactly representable eigenvalues spread over [1e-8, 1] (the true
    values sit at the brackets' ends): containment with no tolerance added by the test, and the
    σ ends compared with the exact roots in rational arithmetic."""
    from fractions import Fraction
    lam = np.unique(np.round(np.geomspace(1e-8, 1.0, n), 12))
    lam[0], lam[-1] = 1e-8, 1.0
    m = lam.size
    br = extreme_eigen_bracket(lambda w: (lam * w.T).T, m, rtol=1e-3, max_steps=m, require_min=False)
    assert br.lambda_min_lower <= lam[0] <= br.lambda_min_upper
    assert br.lambda_max_lower <= lam[-1] <= br.lambda_max_upper
    for (lo, hi), value in ((br.sigma_min, lam[0]), (br.sigma_max, lam[-1])):
        assert Fraction(lo) ** 2 <= Fraction(value) <= Fraction(hi) ** 2


def test_the_widening_rule_by_hand():
    from boundcalc.linalg.eigen_bracket import _brackets
    theta, res, n = [0.25, 0.5, 2.0, 4.0], [0.0, 0.0, 0.0, 0.0], 10
    lo_min, hi_min, lo_max, hi_max, fl = _brackets(theta, res, n)
    eps = np.finfo(float).eps
    assert fl == 4 * n * eps * 4.0  # 4n·eps·θ_max
    # Weyl/Kato–Temple with residual fl: λ_min ≥ θ₁ − fl²/((θ₂ − fl) − θ₁), less the rounding fl of θ₁
    # itself (a bound that subtracted only fl² sat 1 ULP above a true σ_min), then one ULP down.
    kt = 0.25 - fl**2 / ((0.5 - fl) - 0.25)
    assert lo_min == np.nextafter(max(0.25 - fl, kt) - fl, -np.inf)
    assert hi_min == np.nextafter(0.25 + fl, np.inf) and lo_max == np.nextafter(4.0 - fl, -np.inf)
    assert hi_min > 0.25 and lo_min < 0.25 and lo_max < 4.0 < hi_max


def test_kato_temple_weyl_and_the_outward_rounding_by_hand():
    """The pieces of a bracket against hand computations, with residuals large enough that every
    choice matters: Kato–Temple beats Weyl when the gap is wide, Weyl is kept when there is no gap,
    the top end mirrors the bottom one, and square roots and widths are taken outward."""
    from boundcalc.linalg.eigen_bracket import _brackets, _outward_sqrt, _widths, lower_end
    assert lower_end(1.0, 0.1, 3.0, 0.2) == max(1.0 - 0.1, 1.0 - 0.1**2 / ((3.0 - 0.2) - 1.0))  # KT: 0.99444…
    assert lower_end(1.0, 0.1, 3.0, 0.2) == pytest.approx(1.0 - 0.01 / 1.8, rel=1e-15)
    assert lower_end(1.0, 0.5, 1.2, 0.3) == 0.5          # θ₂ − r₂ ≤ θ₁: no gap, Weyl
    assert lower_end(1.0, 0.5, 1.5, 0.5) == 0.5          # gap exactly 0: Weyl, no division
    theta, res, n = [1.0, 3.0, 6.0, 8.0], [0.1, 0.2, 0.3, 0.05], 5
    lo_min, hi_min, lo_max, hi_max, fl = _brackets(theta, res, n)
    assert fl == 4 * 5 * np.finfo(float).eps * 8.0
    r = [x + fl for x in res]
    assert lo_min == np.nextafter(lower_end(1.0, r[0], 3.0, r[1]) - fl, -np.inf)
    assert hi_max == np.nextafter(-lower_end(-8.0, r[3], -6.0, r[2]) + fl, np.inf)
    assert hi_max == pytest.approx(8.0 + r[3] ** 2 / (8.0 - (6.0 + r[2])), rel=1e-15)  # the mirrored KT
    assert hi_min == np.nextafter(1.0 + fl, np.inf) and lo_max == np.nextafter(8.0 - fl, -np.inf)
    lo, hi = _outward_sqrt(4.0, 9.0)
    assert lo == np.nextafter(2.0, 0.0) and hi == np.nextafter(3.0, np.inf)
    assert _outward_sqrt(0.0, 1.0) == (0.0, np.nextafter(1.0, np.inf))
    assert _widths(1.0, 2.0, 3.0, 6.0) == (0.5, 1.0)    # each over its larger-magnitude end
    assert _widths(0.0, 0.0, 1e-320, 1e-310)[0] == 0.0


@pytest.mark.parametrize("kwargs, name", [({"n": 0}, "n"), ({"n": 5, "rtol": -1.0}, "rtol"),
                                          ({"n": 5, "max_steps": 0}, "max_steps")])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        extreme_eigen_bracket(lambda v: v, **kwargs)


def test_ritz_vectors_found_elsewhere_are_certified_by_their_own_residuals():
    from boundcalc.linalg.eigen_bracket import certify_ritz_vectors
    rng = np.random.default_rng(4)
    lam = np.array([0.5, 0.9, 1.3, 2.0, 3.0, 7.0])
    Q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    M = Q @ np.diag(lam) @ Q.T
    exact = Q[:, [0, 1, 4, 5]]
    b = certify_ritz_vectors(lambda Y: M @ Y, exact, 6, rtol=1e-9, method="given")
    assert b.lambda_min_lower <= 0.5 <= b.lambda_min_upper and b.lambda_max_lower <= 7.0 <= b.lambda_max_upper
    assert b.method == "given" and b.relative_width <= 1e-9
    # vectors off by 1e-4: the recomputed residuals widen the brackets, which still hold the eigenvalues
    rough = exact + 1e-4 * rng.standard_normal(exact.shape)
    b = certify_ritz_vectors(lambda Y: M @ Y, rough, 6, rtol=1e-3)
    assert b.lambda_min_lower <= 0.5 <= b.lambda_min_upper and b.lambda_max_lower <= 7.0 <= b.lambda_max_upper
    assert 0 < b.lambda_min_upper - b.lambda_min_lower <= 1e-3 * 0.5
    with pytest.raises(RuntimeError, match="no number is reported"):  # too rough for the width asked
        certify_ritz_vectors(lambda Y: M @ Y, exact + 1e-1 * rng.standard_normal(exact.shape), 6, rtol=1e-9)
