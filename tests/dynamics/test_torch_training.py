"""The torch training loop: the same trajectory as the NumPy route, the Hessian-damping term present, every
optimizer recording what the NumPy dynamics record; the torch operators against boundcalc's own (skipped
without torch)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from boundcalc.dynamics import igahd_dip  # noqa: E402
from boundcalc.dynamics.discrete import gradient_descent  # noqa: E402
from boundcalc.dynamics.objectives import GeneratorObjective  # noqa: E402
from boundcalc.dynamics.torch_training import log_checkpoints, train_torch  # noqa: E402
from boundcalc.linalg.operators import Convolution2D, Gradient2D, Mask, gaussian  # noqa: E402
from boundcalc.linalg.torch_operator import torch_operator  # noqa: E402
from boundcalc.nets.conv import conv_decoder  # noqa: E402
from boundcalc.nets.torch import TorchGenerator, TwoLayerModule  # noqa: E402
from boundcalc.nets.two_layer import TwoLayerDIP  # noqa: E402
from boundcalc.problems import deblurring_problem, gaussian_kernel  # noqa: E402


@pytest.mark.parametrize("make", [
    lambda: Convolution2D(gaussian_kernel(0.6), (8, 6)),
    lambda: Gradient2D((5, 7), boundary="neumann"),
    lambda: Gradient2D((5, 7), boundary="periodic"),
    lambda: Mask(np.arange(20) % 3 == 0),
    lambda: gaussian(7, 11, 0),
])
def test_torch_operators_equal_boundcalcs_and_their_adjoints_come_from_autograd(make):
    A = make()
    n = A.shape[1]
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(n), rng.standard_normal(A.shape[0])
    op = torch_operator(A)
    xt = torch.tensor(x, requires_grad=True)
    out = op(xt)
    np.testing.assert_allclose(out.detach().numpy(), A @ x, rtol=1e-12, atol=1e-13)
    (adj,) = torch.autograd.grad(out, xt, torch.as_tensor(w))
    np.testing.assert_allclose(adj.numpy(), A.T @ w, rtol=1e-12, atol=1e-13)


def test_an_operator_without_a_torch_form_is_refused_by_name():
    import scipy.sparse.linalg as spla
    with pytest.raises(TypeError, match="A: no torch form for MatrixLinearOperator"):
        torch_operator(spla.aslinearoperator(np.eye(3)))


@pytest.fixture(scope="module")
def small():
    """A small conv DIP on a 16×16 deblurring problem, and the same run's settings."""
    prob = deblurring_problem((16, 16), blur_sigma=1.0, seed=1)
    net = TorchGenerator(*conv_decoder((16, 16), channels=4, depth=2, seed=3))
    return prob, net


@pytest.mark.parametrize("form", ["ode", "slide"])
def test_torch_igahd_equals_the_numpy_route(small, form):
    """The same IGAHD run through the torch loop and through the NumPy dynamics (the generator's forward and
    VJP, A on the host) agree to 1e-10, and the Hessian-damping term matters: without it they differ."""
    prob, net = small
    from boundcalc.dynamics.torch_training import gradient_lipschitz_estimate
    A = np.asarray(prob.A @ np.eye(prob.n))  # dense, so both routes apply the same matrix
    s = 0.1 / gradient_lipschitz_estimate(net, A)
    # form ode: momentum 1 − α√s, Hessian term β√s; slide: momentum αs, Hessian term βs²; both made 0.1·s here
    alpha, beta = (1.0, 0.1 * np.sqrt(s)) if form == "ode" else (0.3 / s, 0.1 / s)
    ref = igahd_dip(GeneratorObjective(net, A, prob.y, x_bar=prob.x_bar), alpha=alpha, beta=beta, step=s,
                    iterations=40, form=form)
    got = train_torch(net, A, prob.y, optimizer="igahd", alpha=alpha, beta=beta, step=s, iterations=40, form=form,
                      x_bar=prob.x_bar)
    np.testing.assert_allclose(got.loss, ref.loss, rtol=1e-10)
    np.testing.assert_allclose(got.theta_dist, ref.theta_dist, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(got.x_dist, ref.x_dist, rtol=1e-10)
    np.testing.assert_allclose(got.theta_final, ref.theta_final, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(got.t, ref.t, rtol=1e-12)
    no_hessian = train_torch(net, A, prob.y, optimizer="igahd", alpha=alpha, beta=0.0, step=s, iterations=40,
                             form=form)
    assert np.max(np.abs(no_hessian.loss - ref.loss) / ref.loss) > 1e-6


def test_torch_gd_equals_the_numpy_route_on_the_two_layer_net():
    net = TwoLayerDIP(6, 3, 50, "tanh", seed=2)
    A = gaussian(4, 6, 1)
    y = A @ np.linspace(-1, 1, 6)
    gen = TorchGenerator(TwoLayerModule(net), net.u)
    ref = gradient_descent(GeneratorObjective(gen, A, y), step=0.05, iterations=60)
    got = train_torch(gen, A, y, optimizer="gd", step=0.05, iterations=60)
    np.testing.assert_allclose(got.loss, ref.loss, rtol=1e-10)
    np.testing.assert_allclose(gen.forward(), net.forward(), rtol=1e-12)


def test_every_optimizer_records_what_the_numpy_dynamics_record(small):
    prob, net = small
    for opt in ("igahd", "gd", "adam"):
        tr = train_torch(net, prob.A, prob.y, optimizer=opt, iterations=30, x_bar=prob.x_bar, record_every=10,
                         keep_x=[0, 30], keep_theta=[0, 10])
        assert list(tr.iteration) == [0, 10, 20, 30] and tr.loss.shape == tr.x_dist.shape == (4,)
        assert tr.loss[-1] < tr.loss[0] and tr.theta_dist[0] == 0.0 and np.all(np.isfinite(tr.y_clean_dist))
        assert list(tr.x_sample_index) == [0, 30] and tr.x_samples.shape == (2, prob.n)
        np.testing.assert_allclose(np.linalg.norm(tr.x_samples[-1] - prob.x_bar), tr.x_dist[-1], rtol=1e-12)
        assert list(tr.theta_sample_index) == [0, 10]
        np.testing.assert_allclose(tr.theta_samples[0], net.theta0)
        assert tr.params["backend"] == "torch" and tr.params["optimizer"] == opt
        assert tr.to_dict()["params"]["parameters"] == net.p


def test_bad_input_is_refused_by_name(small):
    prob, net = small
    with pytest.raises(ValueError, match="optimizer must be one of"):
        train_torch(net, prob.A, prob.y, optimizer="sgd")
    with pytest.raises(ValueError, match="y must have 256 entries"):
        train_torch(net, prob.A, prob.y[:10])
    with pytest.raises(ValueError, match="y must be finite"):
        train_torch(net, prob.A, np.full(prob.m, np.nan))
    with pytest.raises(ValueError, match="x_bar must have"):
        train_torch(net, prob.A, prob.y, x_bar=np.zeros(3))


def test_log_checkpoints():
    assert log_checkpoints(1000, 4) == [0, 1, 10, 100, 1000]
    assert log_checkpoints(0, 3) == [0]


def test_conv_decoder_is_seeded_and_its_batchnorm_a_function_of_theta():
    m1, u1 = conv_decoder((16, 16), channels=4, depth=2, seed=5)
    torch.manual_seed(123)  # the global state must not matter
    m2, u2 = conv_decoder((16, 16), channels=4, depth=2, seed=5)
    assert torch.equal(u1, u2) and all(torch.equal(a, b) for a, b in zip(m1.parameters(), m2.parameters(), strict=True))
    gen = TorchGenerator(m1, u1)
    x0 = gen.forward()
    np.testing.assert_array_equal(gen.forward(), x0)  # no running statistics: the same θ gives the same x
    # finite differences through the normalisation agree with the JVP (the Jacobian includes it)
    rng = np.random.default_rng(0)
    d = rng.standard_normal(gen.p)
    h = 1e-6
    fd = (gen.forward(gen.theta0 + h * d) - gen.forward(gen.theta0 - h * d)) / (2 * h)
    np.testing.assert_allclose(gen.jvp(gen.theta0, d), fd, rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match="divisible by 2\\^depth"):
        conv_decoder((10, 10), depth=2)
    with pytest.raises(ValueError, match="activation must be one of"):
        conv_decoder((16, 16), activation="swish")
