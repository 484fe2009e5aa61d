import numpy as np
import pytest

from boundcalc.dynamics.discrete import (
    DIPObjective,
    as_trials,
    gradient_descent,
    gradient_flow,
    igahd,
    igahd_dip,
    igahd_dip_batched,
    isehd,
    isehd_second_order,
)
from boundcalc.nets.two_layer import TwoLayerDIP
from boundcalc.problems import gaussian_problem

PROB = gaussian_problem(3, 5, noise_norm=0.01, seed=1)


def objective(k=30, seed=0, train="all"):
    net = TwoLayerDIP(5, 4, k, "tanh", seed=seed)
    return DIPObjective(net, PROB.A, PROB.y, x_bar=PROB.x_bar, train=train)


def test_igahd_dip_reduces_to_gd():
    # α√s = 1 removes the momentum and β = 0 the Hessian term: the recurrence is GD with step s.
    s = 0.04
    a = igahd_dip(objective(), alpha=1 / np.sqrt(s), beta=0.0, step=s, iterations=50)
    b = gradient_descent(objective(), step=s, iterations=50)
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(a.theta_final, b.theta_final, rtol=1e-12, atol=1e-14)


def test_igahd_nonconvex_reduces_to_heavy_ball():
    Q = np.diag([1.0, 3.0])
    grad = lambda x: Q @ x  # noqa: E731
    h, c = 0.2, 1.5
    run = igahd(grad, [1.0, -2.0], h=h, beta=0.0, gamma=c, iterations=40)["x"]
    a, s = 1 / (1 + c * h), h * h / (1 + c * h)
    x_prev, x = np.array([1.0, -2.0]), np.array([1.0, -2.0])
    ref = [x]
    for _ in range(40):
        x_prev, x = x, x + a * (x - x_prev) - s * grad(x)
        ref.append(x)
    np.testing.assert_allclose(run, np.array(ref), rtol=1e-13, atol=1e-15)


def test_igahd_dip_first_form_is_consistent_with_isehd():
    # Small step: the IGAHD path mapped through t = Σ√s approaches the ISEHD solution.
    obj = objective()
    ode = isehd(obj, alpha=1.0, beta=0.5, t_max=3.0, n_eval=4)
    errs = []
    for s in (1e-3, 2.5e-4):
        dis = igahd_dip(objective(), alpha=1.0, beta=0.5, step=s, iterations=int(round(3.0 / np.sqrt(s))))
        errs.append(abs(dis.loss[-1] - ode.loss[-1]) / ode.loss[-1])
    assert errs[1] < errs[0] < 0.05  # first-order convergence in h


@pytest.mark.parametrize("form", ["ode", "slide"])
def test_igahd_forms_are_transcribed_literally(form):
    """Three iterations by hand, with the talk's coefficients typed here as an independent check:
    'ode' a = 1 − α√s, b = β√s; 'slide' a = αs, b = βs² (no '1 −': the slide's literal momentum)."""
    alpha, beta, s = 3.0, 0.5, 0.01
    a, b = {"ode": (1 - alpha * np.sqrt(s), beta * np.sqrt(s)), "slide": (alpha * s, beta * s**2)}[form]
    obj = objective()
    th_prev = th = obj.net.theta0.copy()
    g_prev = g = obj.grad(th)
    for _ in range(3):
        new = th + a * (th - th_prev) - b * (g - g_prev) - s * g
        th_prev, th, g_prev, g = th, new, g, obj.grad(new)
    run = igahd_dip(objective(), alpha=alpha, beta=beta, step=s, iterations=3, form=form)
    assert run.method == f"igahd-{form}" and run.params["form"] == form
    np.testing.assert_allclose(run.theta_final, th, rtol=1e-13, atol=1e-15)


def test_backtracking_never_increases_step():
    tr = igahd_dip(objective(), alpha=1.0, beta=0.5, step=5.0, iterations=40, backtracking=True)
    assert np.all(np.diff(tr.steps) <= 0) and tr.steps[-1] < 5.0
    assert np.all(np.isfinite(tr.loss)) and tr.loss[-1] < tr.loss[0]


def test_first_order_isehd_matches_second_order_with_hvp():
    obj1, obj2 = objective(k=20), objective(k=20)
    a = isehd(obj1, alpha=0.8, beta=0.4, t_max=4.0, n_eval=9, rtol=1e-10, atol=1e-12)
    b = isehd_second_order(obj2, alpha=0.8, beta=0.4, t_max=4.0, n_eval=9, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-6)
    np.testing.assert_allclose(a.theta_final, b.theta_final, rtol=1e-6, atol=1e-8)


def modal_residual(obj, t, alpha, beta, flow=False):
    """Closed form of THEORY §9.4: r̈ + (αI + βK)ṙ + Kr = 0 (or ṙ = −Kr), K = (‖a‖²/k) A Aᵀ."""
    net = obj.net
    V, W = net.unpack()
    a = np.tanh(W @ net.u)
    K = (a @ a / net.k) * PROB.A @ PROB.A.T
    lam, Q = np.linalg.eigh(K)
    r0 = PROB.A @ net.forward() - PROB.y
    c0 = Q.T @ r0
    out = []
    for ti in t:
        if flow:
            c = np.exp(-lam * ti) * c0
        else:
            b = alpha + beta * lam
            disc = np.sqrt((b * b - 4 * lam).astype(complex))
            rp, rm = (-b + disc) / 2, (-b - disc) / 2
            c = np.real((rp * np.exp(rm * ti) - rm * np.exp(rp * ti)) / (rp - rm)) * c0
        out.append(Q @ c)
    return np.array(out)


@pytest.mark.parametrize("alpha, beta", [(0.3, 0.2), (3.0, 0.5)])  # under- and over-damped modes
def test_linear_regime_matches_modal_solution(alpha, beta):
    obj = objective(train="V")
    tr = isehd(obj, alpha=alpha, beta=beta, t_max=6.0, n_eval=7, rtol=1e-11, atol=1e-13, keep_theta=1)
    r = np.array([PROB.A @ obj.net.forward(th) - PROB.y for th in tr.theta_samples])
    np.testing.assert_allclose(r, modal_residual(obj, tr.t, alpha, beta), atol=1e-8)
    # W never moves when only V is trained.
    nk = obj.net.n * obj.net.k
    np.testing.assert_array_equal(tr.theta_final[nk:], obj.net.theta0[nk:])


def test_linear_regime_gradient_flow():
    obj = objective(train="V")
    tr = gradient_flow(obj, t_max=5.0, n_eval=6, rtol=1e-11, atol=1e-13, keep_theta=1)
    r = np.array([PROB.A @ obj.net.forward(th) - PROB.y for th in tr.theta_samples])
    np.testing.assert_allclose(r, modal_residual(obj, tr.t, 0, 0, flow=True), atol=1e-8)


@pytest.mark.parametrize("form", ["ode", "slide"])
def test_batched_equals_per_trial_loop(form):
    nets = [TwoLayerDIP(5, 4, k, "tanh", seed=s) for s, k in ((0, 30), (1, 30), (2, 30))]
    probs = [gaussian_problem(3, 5, seed=s) for s in range(3)]
    V, W, u, As, ys = as_trials(nets, [p.A for p in probs], [p.y for p in probs])
    alphas = [1.2, 0.5, 3.0]  # one damping per trial: a phase-diagram row is one call
    for method in ("igahd", "gd"):
        batch = igahd_dip_batched(V, W, u, As, ys, activation="tanh", alpha=alphas, beta=0.05, step=0.05,
                                  iterations=200, loss_tol=1e-3, method=method, form=form)
        for i, (net, p) in enumerate(zip(nets, probs, strict=False)):
            obj = DIPObjective(net, p.A, p.y)
            if method == "igahd":
                tr = igahd_dip(obj, alpha=alphas[i], beta=0.05, step=0.05, iterations=200, form=form, loss_tol=1e-3)
            else:
                tr = gradient_descent(obj, step=0.05, iterations=200, loss_tol=1e-3)
            np.testing.assert_allclose(batch.final_loss[i], tr.loss[-1], rtol=1e-10, atol=1e-15)
            hit = np.flatnonzero(tr.loss <= 1e-3)
            assert batch.hit_iteration[i] == (tr.iteration[hit[0]] if hit.size else -1)
            assert batch.iterations_run[i] == tr.iteration[-1]  # stopped with the trial, not the batch


def test_trajectory_records_and_seeds():
    a = igahd_dip(objective(), alpha=1.0, beta=0.5, step=0.01, iterations=20, record_every=5)
    b = igahd_dip(objective(), alpha=1.0, beta=0.5, step=0.01, iterations=20, record_every=5)
    np.testing.assert_array_equal(a.loss, b.loss)
    assert list(a.iteration) == [0, 5, 10, 15, 20]
    np.testing.assert_allclose(a.t, a.iteration * 0.1)
    assert np.all(np.isfinite(a.x_dist)) and np.all(np.isfinite(a.y_clean_dist))
    d = a.to_dict()
    assert "theta_final" not in d and len(d["loss"]) == 5


def test_bad_dynamics_input():
    with pytest.raises(ValueError, match="alpha"):
        igahd_dip(objective(), alpha=-1.0, beta=0.5, step=0.01, iterations=5)
    with pytest.raises(ValueError, match="form"):
        igahd_dip(objective(), alpha=1.0, beta=0.5, step=0.01, iterations=5, form="third")
    with pytest.raises(ValueError, match="train"):
        DIPObjective(TwoLayerDIP(5, 4, 3), PROB.A, PROB.y, train="W")
    with pytest.raises(ValueError, match="output size"):
        DIPObjective(TwoLayerDIP(4, 4, 3), PROB.A, PROB.y)
