"""The reduced state (V = V₀ + AᵀZ, W = W₀ + b uᵀ) against the full-parameter reference."""

import numpy as np
import pytest

from boundcalc.dynamics import gradient_descent, gradient_flow, igahd_dip, isehd, make_objective
from boundcalc.linalg.operators import Convolution2D
from boundcalc.nets.two_layer import TwoLayerDIP
from boundcalc.problems import gaussian_problem, make_problem
from boundcalc.verification.claims import verify

INSTANCES = [(5, 10, 3, 50, "tanh"), (25, 50, 10, 200, "sigmoid"), (2, 2, 2, 1000, "softplus")]


def pair(m, n, d, k, act, **kw):
    p = gaussian_problem(m, n, seed=1)
    net = TwoLayerDIP(n, d, k, act, seed=2)
    return [make_objective(net, p.A, p.y, x_bar=p.x_bar, state=s, **kw) for s in ("full", "reduced")]


def assert_same(a, b, *, loss_scale):
    """Losses to 1e-10 relative (to L₀ where the loss reaches the round-off floor), θ to 1e-10 relative."""
    assert a.state == "full" and b.state == "reduced"
    np.testing.assert_allclose(b.loss, a.loss, rtol=1e-10, atol=1e-10 * loss_scale)
    np.testing.assert_allclose(b.theta_final, a.theta_final, rtol=0, atol=1e-10 * np.abs(a.theta_final).max())
    np.testing.assert_allclose(b.theta_dist, a.theta_dist, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.x_dist, a.x_dist, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("inst", INSTANCES)
@pytest.mark.parametrize("form", ["ode", "slide"])
def test_igahd_reduced_equals_full(inst, form):
    full, red = pair(*inst)
    kw = {"alpha": 2.0, "beta": 0.1, "step": 0.05, "iterations": 300, "form": form, "keep_theta": 10}
    a, b = igahd_dip(full, **kw), igahd_dip(red, **kw)
    assert_same(a, b, loss_scale=a.loss[0])
    np.testing.assert_allclose(b.final_dist, a.final_dist, rtol=1e-9, atol=1e-12)
    assert b.theta_samples.shape[1] == inst[3] * (inst[0] + 1)  # k(m + 1) numbers per state


@pytest.mark.parametrize("inst", INSTANCES)
def test_gd_and_flows_reduced_equal_full(inst):
    full, red = pair(*inst)
    assert_same(gradient_descent(full, step=0.05, iterations=200), gradient_descent(red, step=0.05, iterations=200),
                loss_scale=1.0)
    for run in (lambda o: isehd(o, alpha=1.0, beta=0.5, t_max=4.0, n_eval=20, rtol=1e-12, atol=1e-15),
                lambda o: gradient_flow(o, t_max=4.0, n_eval=20, rtol=1e-12, atol=1e-15)):
        a, b = run(full), run(red)
        # Adaptive steps are chosen on different coordinates: equal to the integration tolerance.
        assert_same(a, b, loss_scale=a.loss[0])
    # At the default tolerance (rtol = 1e-9) the agreement is the integrator's, as documented: ≤ 50·rtol.
    for run in (lambda o: isehd(o, alpha=1.0, beta=0.5, t_max=4.0, n_eval=20), lambda o: gradient_flow(o, t_max=4.0,
                                                                                                     n_eval=20)):
        a, b = run(full), run(red)
        assert np.max(np.abs(b.loss - a.loss)) <= 50 * 1e-9 * a.loss[0]


def test_only_v_trained_and_a_structured_operator():
    full, red = pair(5, 10, 3, 40, "tanh", train="V")
    a, b = igahd_dip(full, alpha=1.0, beta=0.1, step=0.05, iterations=100), \
        igahd_dip(red, alpha=1.0, beta=0.1, step=0.05, iterations=100)
    assert_same(a, b, loss_scale=a.loss[0])
    rng = np.random.default_rng(0)
    A = Convolution2D(np.ones((3, 3)) / 9, (4, 4))
    x = rng.standard_normal(16)
    p = make_problem(A, A @ x, x_bar=x)
    net = TwoLayerDIP(16, 3, 30, seed=0)
    runs = [igahd_dip(make_objective(net, p.A, p.y, x_bar=p.x_bar, state=s), alpha=1.0, beta=0.1, step=0.05,
                      iterations=100) for s in ("full", "reduced")]
    assert_same(*runs, loss_scale=runs[0].loss[0])


@pytest.mark.slow
def test_auto_picks_the_smaller_state_and_verify_records_it():
    p = gaussian_problem(5, 10, seed=0)
    net = TwoLayerDIP(10, 3, 20, seed=0)
    assert make_objective(net, p.A, p.y).state_name == "reduced"           # m = 5 < n + d = 13
    tall = gaussian_problem(30, 3, seed=0)
    assert make_objective(TwoLayerDIP(3, 3, 20, seed=0), tall.A, tall.y).state_name == "full"
    with pytest.raises(ValueError, match="state"):
        make_objective(net, p.A, p.y, state="compressed")
    sq = gaussian_problem(2, 2, noise_norm=0.01, seed=6)
    sq_net = TwoLayerDIP(2, 2, 100_000, seed=0)
    a = verify(sq, sq_net, dynamics="igahd", iterations=800, state="full")
    b = verify(sq, sq_net, dynamics="igahd", iterations=800, state="reduced")
    assert b.to_dict()["dynamics"]["state"] == "reduced"
    assert [(c.claim_id, c.status) for c in a.claims] == [(c.claim_id, c.status) for c in b.claims]
    np.testing.assert_allclose([c.measured for c in b.claims if c.status == "holds"],
                               [c.measured for c in a.claims if c.status == "holds"], rtol=1e-9)


@pytest.mark.parametrize("scale", [2.0, 0.3])
def test_reduced_equals_full_with_a_non_unit_input(scale):
    """‖u‖ ≠ 1 (every seeded draw has ‖u‖ = 1): W u moves by ‖u‖²b, and a reduced gradient that drops
    ‖u‖² leaves the loss at 0.30 where the full state reaches 2e-15."""
    p = gaussian_problem(5, 10, seed=1)
    base = TwoLayerDIP(10, 3, 60, "tanh", seed=2)
    V, W = base.unpack()
    net = TwoLayerDIP.from_arrays(V, W, scale * base.u, "tanh")
    full, red = (make_objective(net, p.A, p.y, x_bar=p.x_bar, state=s) for s in ("full", "reduced"))
    kw = {"alpha": 2.0, "beta": 0.1, "step": 0.05, "iterations": 300}
    assert_same(igahd_dip(full, **kw), igahd_dip(red, **kw), loss_scale=1.0)
    assert_same(gradient_descent(full, step=0.05, iterations=200), gradient_descent(red, step=0.05, iterations=200),
                loss_scale=1.0)


@pytest.mark.parametrize("train", ["all", "V"])
def test_reduced_value_gradient_and_metrics_equal_the_full_state(train):
    """One evaluation, term by term: the loss, the gradient mapped back to θ (∇_V = Aᵀ G_Z,
    ∇_W = G_b uᵀ), x, ‖y − ȳ‖, ‖x − x̄‖ and distances, for both layers trained and for V alone, with a
    non-unit u; the reduced state starts at ζ = 0 and rebuilds θ₀ exactly."""
    p = gaussian_problem(4, 7, seed=3, noise_norm=0.05)
    base = TwoLayerDIP(7, 3, 30, "tanh", seed=5)
    V, W = base.unpack()
    net = TwoLayerDIP.from_arrays(V, W, 1.7 * base.u, "tanh")
    full = make_objective(net, p.A, p.y, x_bar=p.x_bar, state="full", train=train)
    red = make_objective(net, p.A, p.y, x_bar=p.x_bar, state="reduced", train=train)
    zeta = np.random.default_rng(0).standard_normal(red.size) * 0.1
    theta = red.theta(zeta)
    Lf, gf = full.value_and_grad(theta)
    Lr, gr = red.value_and_grad(zeta)
    assert Lr == pytest.approx(Lf, rel=1e-12)
    assert Lr == pytest.approx(0.5 * np.sum((p.A @ net.forward(theta) - p.y) ** 2), rel=1e-12)
    GZ, Gb = red.split(gr)
    gV, gW = net.unpack(gf)
    np.testing.assert_allclose(p.A.T @ GZ, gV, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(np.outer(Gb, net.u), gW, rtol=1e-10, atol=1e-13)
    if train == "V":
        assert not Gb.any() and not gW.any()
    np.testing.assert_allclose(red.forward(zeta), net.forward(theta), rtol=1e-12)
    np.testing.assert_allclose(red.metrics(zeta), full.metrics(theta), rtol=1e-10)
    np.testing.assert_allclose(red.theta(red.start()), net.theta0, rtol=0, atol=0)
    assert not red.start().any() and red.start().shape == (red.size,) == (30 * (4 + 1),)
    z2 = zeta * 0.3
    assert red.dist(zeta, z2) == pytest.approx(np.linalg.norm(red.theta(zeta) - red.theta(z2)), rel=1e-10)
    assert red.n_grad == 1 and red.state_name == "reduced"


def test_objective_inputs_name_what_is_wrong():
    p = gaussian_problem(4, 7, seed=3)
    net = TwoLayerDIP(7, 3, 30, seed=5)
    with pytest.raises(ValueError, match=r"^y must have shape \(4,\), got \(3,\)"):
        make_objective(net, p.A, p.y[:3], state="reduced")
    with pytest.raises(ValueError, match=r"^x_bar must have shape \(7,\), got \(6,\)"):
        make_objective(net, p.A, p.y, x_bar=np.ones(6), state="reduced")
    with pytest.raises(ValueError, match="output size n = 7 must equal the columns of A, 8"):
        make_objective(net, np.ones((4, 8)), p.y, state="reduced")
    with pytest.raises(ValueError, match="train must be 'all' or 'V'"):
        make_objective(net, p.A, p.y, state="reduced", train="W")
    assert make_objective(net, p.A, p.y, state="reduced").x_bar is None
