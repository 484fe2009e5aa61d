import json

import numpy as np
import pytest
import scipy.sparse.linalg as spla
import sympy as sp

from boundcalc.cli import main
from boundcalc.formulas import FORMULAS, SYMBOLS, evaluate, evaluate_many
from boundcalc.nets.two_layer import TwoLayerDIP
from boundcalc.problems import gaussian_problem
from boundcalc.theory.bounds import check_initialization

PROB = gaussian_problem(30, 3, noise_norm=0.01, seed=0)


def test_verdict_monotone_in_width():
    # Tiny width: degenerate; very wide: non-degenerate for every seed tried (THEORY §6's message).
    for s in range(3):
        assert not check_initialization(PROB.A, PROB.y, TwoLayerDIP(3, 3, 10, seed=s)).non_degenerate
        wide = check_initialization(PROB.A, PROB.y, TwoLayerDIP(3, 3, 1_000_000, seed=s))
        assert wide.non_degenerate and 0 < wide.margin < 1 and wide.R_prime < wide.R


def test_R_solves_fixed_point_and_constants_by_hand():
    net = TwoLayerDIP(3, 3, 2000, seed=1)
    r = check_initialization(PROB.A, PROB.y, net)
    ell = net.jacobian_lipschitz_bound(None, r.R)
    assert r.R == pytest.approx(r.sigma_min_J / (2 * ell), rel=1e-12)  # R = σ₀/(2ℓ(R))
    s0, sA = r.sigma_min_J, r.sigma_A
    assert r.alpha == pytest.approx(s0 * sA) and r.beta == pytest.approx(1 / (2 * s0 * sA))
    assert r.xi == pytest.approx(1 + r.kappa_J**2 * r.kappa_A**2 / 4)
    assert r.eta == pytest.approx(4 * max(s0 * sA, (1 + np.sqrt(2)) / 2) / min(s0**2 * sA**2, 0.75))
    assert r.R_prime == pytest.approx(r.eta * np.sqrt(r.xi * r.loss0))
    resid = PROB.A @ net.forward() - PROB.y
    assert r.loss0 == pytest.approx(0.5 * resid @ resid)
    # Verdict is exactly R′ < R.
    assert r.non_degenerate == (r.R_prime < r.R)


def test_gf_and_gd_radii():
    net = TwoLayerDIP(3, 3, 100_000, seed=0)
    gf = check_initialization(PROB.A, PROB.y, net, dynamics="gf")
    gd = check_initialization(PROB.A, PROB.y, net, dynamics="gd")
    r0 = np.sqrt(2 * gf.loss0)
    assert gf.R_prime == pytest.approx(2 * r0 / (gf.sigma_min_J * gf.sigma_A))
    assert gd.R_prime == pytest.approx(2 * gf.R_prime)
    assert gf.radius_formula == "R_prime_gf"


def test_hand_computed_example():
    # σ₀ = 1/2, σ_A = 1/2: σ₀σ_A = 1/4, min(1/16, 3/4) = 1/16, max(1/4, 1.2071) = 1.2071.
    v = evaluate_many(["xi", "eta", "R_prime"], {"sigma0": 0.5, "sigma_A": 0.5, "kappa_J": 2.0,
                                                  "kappa_A": 1.0, "L0": 0.25})
    assert v["xi"] == pytest.approx(2.0)
    assert v["eta"] == pytest.approx(4 * (1 + np.sqrt(2)) / 2 * 16)
    assert v["R_prime"] == pytest.approx(v["eta"] * np.sqrt(0.5))


def test_sympy_and_numeric_evaluation_agree():
    rng = np.random.default_rng(0)
    for f in FORMULAS.values():
        vals = {name: float(rng.uniform(0.2, 3.0)) for name in f.inputs}
        if "n" in vals:
            vals["n"] = 5.0
        if "m" in vals:
            vals["m"] = 7.0
        if "gamma" in vals:  # keep 0 < γμ < 1 where the GD formulas are defined
            vals["gamma"] = 0.1
        exact = float(f.expr.subs({SYMBOLS[k]: sp.Float(v, 30) for k, v in vals.items()}).evalf(30))
        assert f(**vals) == pytest.approx(exact, rel=1e-12), f.name
        assert f.latex() and " = " in f.text()


class Opaque:
    """A generator exposing σ(J) but no certified Lipschitz bound (delegates to a TwoLayerDIP)."""

    def __init__(self, net):
        self.net, self.n, self.theta0 = net, net.n, net.theta0

    def forward(self, theta=None):
        return self.net.forward(theta)

    def jvp(self, theta, d):
        return self.net.jvp(theta, d)

    def vjp(self, theta, w):
        return self.net.vjp(theta, w)

    def jacobian_spectrum(self, theta=None):
        return self.net.jacobian_spectrum(theta)


class WithLipschitz(Opaque):
    """Only the protocol's jacobian_lipschitz_bound, not the affine inputs of the two-layer net."""

    def jacobian_lipschitz_bound(self, theta0, radius):
        return self.net.jacobian_lipschitz_bound(theta0, radius)


def test_not_applicable_without_lipschitz_bound():
    r = check_initialization(PROB.A, PROB.y, Opaque(TwoLayerDIP(3, 3, 1000, seed=0)))
    assert r.verdict == "not_applicable" and not r.non_degenerate
    assert any(h.status == "unknown" and "Lipschitz" in h.name for h in r.hypotheses)


def test_linear_operator_input_and_json_roundtrip():
    net = TwoLayerDIP(3, 3, 5000, seed=0)
    r1 = check_initialization(PROB.A, PROB.y, net)
    r2 = check_initialization(spla.aslinearoperator(PROB.A), PROB.y, net)
    assert r1.R_prime == pytest.approx(r2.R_prime, rel=1e-12)
    d = json.loads(json.dumps(r1.to_dict()))
    assert d["verdict"] == r1.verdict and d["R"] == pytest.approx(r1.R)
    assert "R_prime" in r1.formulas() and "\\eta" in r1.formulas()["R_prime"]
    assert "hypotheses" in repr(r1)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"y": np.ones(5)}, ValueError, "y must have shape"),
    ({"y": np.full(30, np.nan)}, ValueError, "finite"),
    ({"net": TwoLayerDIP(4, 3, 10, seed=0)}, ValueError, "output size"),
    ({"dynamics": "adam"}, ValueError, "dynamics"),
])
def test_bad_check_input(kwargs, exc, match):
    args = {"A": PROB.A, "y": PROB.y, "net": TwoLayerDIP(3, 3, 10, seed=0), **kwargs}
    with pytest.raises(exc, match=match):
        check_initialization(**args)


def test_evaluate_reports_missing_inputs():
    with pytest.raises(ValueError, match="missing input"):
        evaluate("R_prime", {"sigma0": 1.0})


CHECK_KEYS = {"sigma_A", "norm_A", "kappa_A", "sigma_min_J", "sigma_max_J", "kappa_J", "alpha", "beta", "xi",
              "eta", "loss0", "R_prime", "R", "lipschitz_J", "non_degenerate", "activation", "B", "k", "n",
              "m", "d"}


def test_cli_check_init_exit_codes(capsys, tmp_path):
    assert main(["check-init", "--problem", "gaussian", "--m", "30", "--n", "3", "--k", "100000", "--json"]) == 0
    assert CHECK_KEYS <= set(json.loads(capsys.readouterr().out))
    assert main(["check-init", "--k", "10"]) == 1
    capsys.readouterr()
    net = TwoLayerDIP(3, 3, 100_000, seed=0)
    V, W = net.unpack()
    np.savez(tmp_path / "init.npz", V=V, W=W, u=net.u)
    np.save(tmp_path / "A.npy", PROB.A)
    np.save(tmp_path / "y.npy", PROB.y)
    code = main(["check-init", "--operator", str(tmp_path / "A.npy"), "--y", str(tmp_path / "y.npy"),
                 "--init", str(tmp_path / "init.npz"), "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["R_prime"] == pytest.approx(
        check_initialization(PROB.A, PROB.y, net).R_prime)
    np.savez(tmp_path / "bad.npz", V=V, W=W)
    assert main(["check-init", "--operator", str(tmp_path / "A.npy"), "--y", str(tmp_path / "y.npy"),
                 "--init", str(tmp_path / "bad.npz")]) == 2
    assert "missing ['u']" in capsys.readouterr().err
    assert main(["check-init", "--activation", "relu"]) == 2
    assert "Lipschitz" in capsys.readouterr().err
    assert main(["check-init", "--k", "0"]) == 2


def test_cli_formulas(capsys):
    assert main(["formulas", "--latex", "R_prime"]) == 0
    assert "\\eta" in capsys.readouterr().out
    assert main(["formulas", "nope"]) == 2


def test_any_generator_with_a_lipschitz_bound_is_checked():
    # A generator that only offers the protocol's jacobian_lipschitz_bound (no affine inputs)
    # gets the same verdict and the same R, found by root finding instead of the closed form.
    net = TwoLayerDIP(3, 3, 100_000, seed=0)
    ref = check_initialization(PROB.A, PROB.y, net)
    res = check_initialization(PROB.A, PROB.y, WithLipschitz(net))
    assert res.verdict == ref.verdict == "non_degenerate"
    assert res.R == pytest.approx(ref.R, rel=1e-10)
    assert res.lipschitz_J == pytest.approx(ref.lipschitz_J, rel=1e-12)


def test_user_arrays_are_not_called_d_bounded():
    V, W, u = np.ones((2, 3)), np.ones((3, 2)), np.array([1.0, 0.0])
    net = TwoLayerDIP.from_arrays(V, W, u)
    check = check_initialization(np.eye(2), np.ones(2), net)
    hyp = next(h for h in check.hypotheses if "D-bounded" in h.name)
    assert hyp.status == "unknown" and "not checkable from one sample" in hyp.detail


def test_lipschitz_estimate_says_why_when_it_cannot_give_one():
    from boundcalc.nets.two_layer import JacobianSpectrum

    class Unresolved(TwoLayerDIP):  # a generator without a certified bound whose σ₀ is not resolved
        jacobian_lipschitz_bound = None

        def jacobian_spectrum(self, theta=None, **kw):
            return JacobianSpectrum(0.0, 1.0, "golub-kahan", (0.0, 1e-3), (0.99, 1.0), False)

        def lipschitz_estimate(self, radius, center=None):
            return 0.0

    class Saturated(TwoLayerDIP):  # σ₀ resolved, but the ascent finds only ‖J₁ − J₂‖ = 0
        jacobian_lipschitz_bound = None

        def lipschitz_estimate(self, radius, center=None):
            return 0.0

    prob = gaussian_problem(30, 3, noise_norm=0.01, seed=0)
    res = check_initialization(prob.A, prob.y, Unresolved(3, 3, 1000, seed=0), estimate_lipschitz=True)
    assert res.lipschitz_estimate is None and "R′ is unknown" in res.lipschitz_estimate_status
    res = check_initialization(prob.A, prob.y, Saturated(3, 3, 1000, seed=0), estimate_lipschitz=True)
    assert res.lipschitz_estimate is None and res.lipschitz_estimate_status.startswith("no informative estimate")
    assert res.to_dict()["lipschitz_estimate"] is None  # never nan in the JSON


def test_envelopes_at_positive_times_equal_their_closed_forms():
    """A looser envelope (e^{−σ₀σ_A t/4} for the loss) must fail: the values at t > 0 are pinned."""
    from boundcalc.theory.bounds import envelopes
    prob = gaussian_problem(30, 3, noise_norm=0.01, seed=0)
    c = check_initialization(prob.A, prob.y, TwoLayerDIP(3, 3, 100_000, seed=0))
    rate = c.sigma_min_J * c.sigma_A
    t = np.array([0.0, 2 / rate, 4 / rate, 1.0])
    env = envelopes(c, t)
    np.testing.assert_allclose(env["loss_envelope"], c.xi * c.loss0 * np.exp(-rate * t / 2), rtol=1e-12)
    assert env["loss_envelope"][1] == pytest.approx(c.xi * c.loss0 / np.e, rel=1e-12)  # ξL₀/e at 2/(σ₀σ_A)
    np.testing.assert_allclose(env["theta_envelope"], c.eta * np.sqrt(c.xi * c.loss0) * np.exp(-rate * t / 4),
                               rtol=1e-12)
    mu = rate**2 / 4
    np.testing.assert_allclose(env["loss_envelope_gf"], c.loss0 * np.exp(-2 * mu * t), rtol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "softplus", "sin"])
def test_the_lipschitz_bound_uses_B_the_max_of_both_constants(activation):
    """B = max(sup|φ′|, Lip(φ′)): for tanh sup|φ′| = 1 > Lip(φ′) = 4/(3√3), so B ≠ Lip(φ′)."""
    net = TwoLayerDIP(4, 3, 50, activation, seed=0)
    act = net.activation
    assert net.lipschitz_inputs()["B"] == max(act.sup_dphi, act.lip_dphi) == act.B
    if activation == "tanh":
        assert act.lip_dphi == pytest.approx(4 / (3 * np.sqrt(3))) and act.B == 1.0
    R = 0.7
    a = act.B * net.norm_u * (1 + net.norm_u * net.max_column_norm()) / np.sqrt(net.k)
    b = act.B * net.norm_u**2 / np.sqrt(net.k)
    assert net.jacobian_lipschitz_bound(None, R) == pytest.approx(a + b * R, rel=1e-12)
