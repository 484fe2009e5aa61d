import numpy as np
import pytest

from boundcalc.nets.activations import ACTIVATIONS, custom_activation, gaussian_moments, get_activation
from boundcalc.nets.two_layer import TwoLayerDIP

ADMISSIBLE = ["tanh", "sigmoid", "softplus", "sin"]


def fd_jacobian(net, theta, h=1e-6):
    J = np.zeros((net.n, net.p))
    for i in range(net.p):
        e = np.zeros(net.p)
        e[i] = h
        J[:, i] = (net.forward(theta + e) - net.forward(theta - e)) / (2 * h)
    return J


@pytest.mark.parametrize("act", ADMISSIBLE)
def test_gram_identity_against_explicit_and_fd_jacobian(act):
    net = TwoLayerDIP(5, 3, 7, act, seed=2)
    theta = net.theta0 + 0.3 * np.random.default_rng(0).standard_normal(net.p)
    J = net.jacobian(theta)
    np.testing.assert_allclose(J, fd_jacobian(net, theta), atol=1e-8)
    np.testing.assert_allclose(net.gram(theta), J @ J.T, rtol=1e-12, atol=1e-14)
    s = np.linalg.svd(J, compute_uv=False)
    js = net.jacobian_spectrum(theta)
    np.testing.assert_allclose([js.sigma_min, js.sigma_max], [s[net.n - 1], s[0]], rtol=1e-10)


def test_narrow_network_sigma_min_closed_form():
    net = TwoLayerDIP(6, 2, 3, "tanh", seed=0)  # k < n
    a = np.tanh(net.unpack()[1] @ net.u)
    s = np.linalg.svd(net.jacobian(), compute_uv=False)
    np.testing.assert_allclose(net.jacobian_spectrum().sigma_min, np.linalg.norm(a) / np.sqrt(3), rtol=1e-12)
    np.testing.assert_allclose(net.jacobian_spectrum().sigma_min, s[5], rtol=1e-10)


def test_jvp_vjp_adjoint_and_loss_gradient():
    net = TwoLayerDIP(4, 3, 6, "softplus", seed=1)
    rng = np.random.default_rng(5)
    theta, dtheta, w = net.theta0, rng.standard_normal(net.p), rng.standard_normal(4)
    np.testing.assert_allclose(net.jvp(theta, dtheta) @ w, dtheta @ net.vjp(theta, w), rtol=1e-12)
    A, y = rng.standard_normal((3, 4)), rng.standard_normal(3)
    L, g = net.loss_and_grad(theta, A, y)
    h = 1e-6
    fd = (net.loss(theta + h * dtheta, A, y) - net.loss(theta - h * dtheta, A, y)) / (2 * h)
    np.testing.assert_allclose(g @ dtheta, fd, rtol=1e-7)
    assert L == pytest.approx(net.loss(theta, A, y))


@pytest.mark.parametrize("act, exact", [("sin", 1.0), ("tanh", None), ("sigmoid", None), ("softplus", None)])
def test_expected_gram_is_scaled_identity(act, exact):
    # E[J Jᵀ] = (C_φ + C_φ′) I at initialisation (THEORY §9.2). Monte-Carlo over 400 draws:
    # each entry has standard deviation ≲ 1/sqrt(400 k); 8e-3 is > 5 standard errors here.
    c_phi, c_dphi = gaussian_moments(act)
    if exact is not None:
        assert c_phi + c_dphi == pytest.approx(exact, abs=1e-12)
    mean = np.zeros((4, 4))
    rng = np.random.default_rng(0)
    draws = 400
    for _ in range(draws):
        mean += TwoLayerDIP(4, 5, 50, act, v_init="uniform", seed=rng).gram() / draws
    np.testing.assert_allclose(mean, (c_phi + c_dphi) * np.eye(4), atol=8e-3)


def test_difference_norm_matches_explicit_jacobians():
    net = TwoLayerDIP(4, 3, 5, "tanh", seed=3)
    rng = np.random.default_rng(1)
    t1, t2 = net.theta0 + rng.standard_normal(net.p), net.theta0 - rng.standard_normal(net.p)
    exact = np.linalg.norm(net.jacobian(t1) - net.jacobian(t2), 2)
    np.testing.assert_allclose(net.jacobian_difference_norm(t1, t2), exact, rtol=1e-10)


@pytest.mark.parametrize("act", ADMISSIBLE)
@pytest.mark.parametrize("radius", [0.1, 1.0, 5.0])
def test_lipschitz_bound_dominates_sampled_ratios(act, radius):
    net = TwoLayerDIP(4, 3, 20, act, seed=0)
    emp = net.empirical_lipschitz(radius, pairs=200, seed=1)
    bound = net.jacobian_lipschitz_bound(net.theta0, radius)
    assert 0 < emp <= bound


def test_lipschitz_bound_dominates_adversarial_direction():
    # Move only W along u: the direction where the derivative term is largest.
    net = TwoLayerDIP(3, 2, 4, "sin", seed=0)
    V, W = net.unpack()
    worst = 0.0
    for scale in np.linspace(0.05, 1.0, 20):
        dW = np.outer(np.ones(4), net.u) * scale
        t2 = net.pack(V, W + dW)
        worst = max(worst, net.jacobian_difference_norm(net.theta0, t2) / np.linalg.norm(dW))
    assert worst <= net.jacobian_lipschitz_bound(None, 1.0)


def test_activation_constants():
    x = np.linspace(-8, 8, 200001)
    for name in ADMISSIBLE:
        act = ACTIVATIONS[name]
        assert np.max(np.abs(act.dphi(x))) <= act.sup_dphi + 1e-12
        assert np.max(np.abs(act.d2phi(x))) == pytest.approx(act.lip_dphi, rel=1e-6)
        h = 1e-5
        np.testing.assert_allclose((act.phi(x + h) - act.phi(x - h)) / (2 * h), act.dphi(x), atol=1e-8)
    assert ACTIVATIONS["sigmoid"].B == 0.25 and ACTIVATIONS["tanh"].B == 1.0


def test_relu_is_refused_for_theorems_but_trainable():
    with pytest.raises(ValueError, match="Lipschitz derivative"):
        get_activation("relu")
    with pytest.raises(ValueError, match="Lipschitz derivative"):
        TwoLayerDIP(3, 2, 4, "relu")
    net = TwoLayerDIP(3, 2, 4, "relu", for_theorem=False)
    assert net.forward().shape == (3,)


def test_custom_activation():
    act = custom_activation("atan", np.arctan, lambda x: 1 / (1 + x**2), B=1.0)
    net = TwoLayerDIP(3, 2, 5, act, seed=0)
    assert net.activation.B == 1.0
    with pytest.raises(ValueError, match="below sup"):
        custom_activation("bad", np.arctan, lambda x: 1 / (1 + x**2), B=0.5)


def test_seeded_and_from_arrays():
    a, b = TwoLayerDIP(3, 2, 10, seed=7), TwoLayerDIP(3, 2, 10, seed=7)
    np.testing.assert_array_equal(a.theta0, b.theta0)
    V, W = a.unpack()
    c = TwoLayerDIP.from_arrays(V, W, a.u, "tanh")
    np.testing.assert_array_equal(c.forward(), a.forward())
    assert np.all(np.isin(V, [-1, 1])) and a.D == 1.0
    assert TwoLayerDIP(3, 2, 10, v_init="uniform", seed=0).D == pytest.approx(np.sqrt(3))
    assert TwoLayerDIP(3, 2, 10, v_init="gaussian", seed=0).D == np.inf


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"k": 0}, ValueError, "k must be"),
    ({"k": 2.5}, TypeError, "k must be an integer"),
    ({"v_init": "cauchy"}, ValueError, "v_init"),
    ({"activation": "swish"}, ValueError, "activation must be one of"),
    ({"seed": None}, TypeError, "seed"),
])
def test_bad_generator_input(kwargs, exc, match):
    args = {"n": 3, "d": 2, "k": 4, **kwargs}
    with pytest.raises(exc, match=match):
        TwoLayerDIP(**args)


def test_bad_arrays():
    with pytest.raises(ValueError, match="finite"):
        TwoLayerDIP.from_arrays(np.full((2, 3), np.nan), np.ones((3, 2)), np.ones(2))
    with pytest.raises(ValueError, match="rows"):
        TwoLayerDIP.from_arrays(np.ones((2, 3)), np.ones((4, 2)), np.ones(2))
    with pytest.raises(ValueError, match="u must have"):
        TwoLayerDIP.from_arrays(np.ones((2, 3)), np.ones((3, 2)), np.ones(5))


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
