"""Backend neutrality: the same numbers from NumPy, array-api-strict (only the standard is used)
and, where installed, PyTorch on the CPU. GPU paths are exercised by benchmarks/gpu_check.py."""

import importlib.util

import numpy as np
import pytest

from boundcalc.cli import main
from boundcalc.dynamics import as_trials, gradient_descent, igahd_dip, igahd_dip_batched, isehd, make_objective
from boundcalc.linalg.backend import resolve_backend, to_numpy
from boundcalc.nets.two_layer import TwoLayerDIP
from boundcalc.problems import gaussian_problem

xps = [pytest.param("array_api_strict", id="array-api-strict"), pytest.param("torch", id="torch-cpu")]


@pytest.fixture(params=xps)
def xp(request):
    return pytest.importorskip(request.param)


PROB = gaussian_problem(5, 10, seed=1)
NET = TwoLayerDIP(10, 3, 40, "tanh", seed=2)


def test_generator_maps(xp):
    rng = np.random.default_rng(0)
    th = xp.asarray(NET.theta0)
    dth, w = rng.standard_normal(NET.p), rng.standard_normal(10)
    np.testing.assert_allclose(to_numpy(NET.forward(th)), NET.forward(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(to_numpy(NET.jvp(th, xp.asarray(dth))), NET.jvp(None, dth), rtol=1e-13)
    np.testing.assert_allclose(to_numpy(NET.vjp(th, xp.asarray(w))), NET.vjp(None, w), rtol=1e-13, atol=1e-16)
    L1, g1 = NET.loss_and_grad(th, xp.asarray(PROB.A), xp.asarray(PROB.y))
    L2, g2 = NET.loss_and_grad(None, PROB.A, PROB.y)
    assert L1 == pytest.approx(L2, rel=1e-14)
    np.testing.assert_allclose(to_numpy(g1), g2, rtol=1e-13, atol=1e-16)
    for method in ("gram", "lanczos"):
        a, b = NET.jacobian_spectrum(th, method=method), NET.jacobian_spectrum(method=method)
        assert a.sigma_min == pytest.approx(b.sigma_min, rel=1e-12)
        assert a.sigma_max == pytest.approx(b.sigma_max, rel=1e-12)


@pytest.mark.parametrize("state", ["full", "reduced"])
@pytest.mark.parametrize("form", ["ode", "slide"])
def test_dynamics(xp, state, form):
    kw = {"alpha": 2.0, "beta": 0.1, "step": 0.05, "iterations": 60, "form": form, "keep_theta": 6}
    a = igahd_dip(make_objective(NET, PROB.A, PROB.y, x_bar=PROB.x_bar, state=state), **kw)
    b = igahd_dip(make_objective(NET, PROB.A, PROB.y, x_bar=PROB.x_bar, state=state, xp=xp), **kw)
    np.testing.assert_allclose(b.loss, a.loss, rtol=1e-12)
    np.testing.assert_allclose(b.theta_final, a.theta_final, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b.x_dist, a.x_dist, rtol=1e-12)
    assert b.params["backend"] != "numpy" and b.params["dtype"] == "float64"
    g = [gradient_descent(make_objective(NET, PROB.A, PROB.y, state=state, **kw2), step=0.05, iterations=30).loss
         for kw2 in ({}, {"xp": xp})]
    np.testing.assert_allclose(g[1], g[0], rtol=1e-12)
    f = [isehd(make_objective(NET, PROB.A, PROB.y, state=state, **kw2), alpha=1.0, beta=0.5, t_max=2.0, n_eval=5).loss
         for kw2 in ({}, {"xp": xp})]
    np.testing.assert_allclose(f[1], f[0], rtol=1e-10)


def test_batched(xp):
    nets = [TwoLayerDIP(5, 4, 30, seed=s) for s in range(3)]
    probs = [gaussian_problem(3, 5, seed=s) for s in range(3)]
    arrays = as_trials(nets, [p.A for p in probs], [p.y for p in probs])
    kw = {"activation": "tanh", "alpha": [1.2, 0.5, 3.0], "beta": 0.05, "step": 0.05, "iterations": 200,
          "loss_tol": 1e-3}
    a, b = igahd_dip_batched(*arrays, **kw), igahd_dip_batched(*arrays, **kw, xp=xp)
    np.testing.assert_allclose(b.final_loss, a.final_loss, rtol=1e-12)
    np.testing.assert_array_equal(b.hit_iteration, a.hit_iteration)


def test_float32_on_request_is_recorded():
    torch = pytest.importorskip("torch")
    run = igahd_dip(make_objective(NET, PROB.A, PROB.y, xp=torch, dtype="float32"), alpha=2.0, beta=0.1,
                    step=0.05, iterations=40)
    ref = igahd_dip(make_objective(NET, PROB.A, PROB.y), alpha=2.0, beta=0.1, step=0.05, iterations=40)
    assert run.params["dtype"] == "float32"
    np.testing.assert_allclose(run.loss, ref.loss, rtol=1e-5)  # float32: ~1e-7 relative per operation


def test_cuda_refused_clearly_without_a_gpu(capsys):
    try:
        import torch
        has_gpu = torch.cuda.is_available()
    except ImportError:
        has_gpu = False
    if has_gpu:
        pytest.skip("a GPU is present: the refusal cannot be seen here")
    with pytest.raises(ValueError, match="cuda"):
        resolve_backend("cuda")
    torch_commands = ([["dip", "--device", "cuda"], ["stopping", "--device", "cuda", "--dask", "local:1"]]
                      if importlib.util.find_spec("torch") else [])  # without torch they say they need it
    for argv in [["check-init", "--device", "cuda"], ["verify", "--device", "cuda"],
                 ["phase-diagram", "--device", "cuda", "--out", "unused-folder"], *torch_commands]:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "cuda" in err and err.count("\n") == 1
    with pytest.raises(ValueError, match="device"):
        resolve_backend("tpu")


def test_structured_operators_stay_on_numpy():
    from boundcalc.linalg.operators import Gradient2D
    A = Gradient2D((4, 4))
    with pytest.raises(ValueError, match="dense array"):
        make_objective(TwoLayerDIP(16, 2, 5, seed=0), A, np.zeros(32), xp=pytest.importorskip("array_api_strict"))


def _explicit_jacobian(V, W, u):
    """J of x = V tanh(W u)/√k written out entry by entry, independently of boundcalc's maps:
    ∂x_i/∂V_ij = tanh(Wu)_j/√k, ∂x_i/∂W_jl = V_ij (1 − tanh²(Wu)_j) u_l/√k."""
    n, k = V.shape
    d = W.shape[1]
    a = np.tanh(W @ u)
    J = np.zeros((n, k * (n + d)))
    for i in range(n):
        for j in range(k):
            J[i, i * k + j] = a[j] / np.sqrt(k)
            for col in range(d):
                J[i, n * k + j * d + col] = V[i, j] * (1 - a[j] ** 2) * u[col] / np.sqrt(k)
    return V @ a / np.sqrt(k), J


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict", "torch"])
def test_every_backend_against_an_independent_numpy_computation(backend):
    xp = np if backend == "numpy" else pytest.importorskip(backend)
    net = TwoLayerDIP.from_arrays(*_arrays(), activation="tanh")
    V, W = net.unpack()
    x_ref, J = _explicit_jacobian(V, W, net.u)
    rng = np.random.default_rng(7)
    dth, w = rng.standard_normal(net.p), rng.standard_normal(net.n)
    th = xp.asarray(net.theta0)
    np.testing.assert_allclose(to_numpy(net.forward(th)), x_ref, rtol=1e-13)
    np.testing.assert_allclose(to_numpy(net.jvp(th, xp.asarray(dth))), J @ dth, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(to_numpy(net.vjp(th, xp.asarray(w))), J.T @ w, rtol=1e-12, atol=1e-14)
    A, y = PROB.A, PROB.y
    r = A @ x_ref - y
    L, g = net.loss_and_grad(th, xp.asarray(A), xp.asarray(y))
    assert float(L) == pytest.approx(0.5 * r @ r, rel=1e-13)
    np.testing.assert_allclose(to_numpy(g), J.T @ (A.T @ r), rtol=1e-12, atol=1e-14)
    sv = np.linalg.svd(J, compute_uv=False)
    spec = net.jacobian_spectrum(th, method="gram")
    assert spec.sigma_min == pytest.approx(sv[-1], rel=1e-10) and spec.sigma_max == pytest.approx(sv[0], rel=1e-12)
    # one gradient-descent step, by hand: θ₁ = θ₀ − γ Jᵀ Aᵀ (A x₀ − y)
    obj = make_objective(net, A, y, state="full", **({} if backend == "numpy" else {"xp": xp}))
    run = gradient_descent(obj, step=0.05, iterations=1, keep_theta=2)
    np.testing.assert_allclose(run.theta_final, net.theta0 - 0.05 * J.T @ (A.T @ r), rtol=1e-12, atol=1e-14)


def _arrays():
    rng = np.random.default_rng(11)
    n, k, d = 10, 7, 3
    return rng.standard_normal((n, k)), rng.standard_normal((k, d)), 1.7 * rng.standard_normal(d)
