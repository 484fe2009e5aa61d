import numpy as np
import pytest

from boundcalc.dynamics import (
    DIPObjective,
    as_trials,
    gradient_descent,
    igahd,
    igahd_dip,
    igahd_dip_batched,
    isehd,
)
from boundcalc.nets.two_layer import TwoLayerDIP
from boundcalc.problems import gaussian_problem


def test_igahd_dip_reduces_to_gd(objective):
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


def test_igahd_dip_first_form_is_consistent_with_isehd(objective):
    # Small step: the IGAHD path mapped through t = Σ√s approaches the ISEHD solution.
    obj = objective()
    ode = isehd(obj, alpha=1.0, beta=0.5, t_max=3.0, n_eval=4)
    errs = []
    for s in (1e-3, 2.5e-4):
        dis = igahd_dip(objective(), alpha=1.0, beta=0.5, step=s, iterations=int(round(3.0 / np.sqrt(s))))
        errs.append(abs(dis.loss[-1] - ode.loss[-1]) / ode.loss[-1])
    assert errs[1] < errs[0] < 0.05  # first-order convergence in h


@pytest.mark.parametrize("form", ["ode", "slide"])
def test_igahd_forms_are_transcribed_literally(form, objective):
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


def test_backtracking_never_increases_step(objective):
    tr = igahd_dip(objective(), alpha=1.0, beta=0.5, step=5.0, iterations=40, backtracking=True)
    assert np.all(np.diff(tr.steps) <= 0) and tr.steps[-1] < 5.0
    assert np.all(np.isfinite(tr.loss)) and tr.loss[-1] < tr.loss[0]


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


def test_bad_dynamics_input(objective, prob):
    with pytest.raises(ValueError, match="alpha"):
        igahd_dip(objective(), alpha=-1.0, beta=0.5, step=0.01, iterations=5)
    with pytest.raises(ValueError, match="form"):
        igahd_dip(objective(), alpha=1.0, beta=0.5, step=0.01, iterations=5, form="third")
    with pytest.raises(ValueError, match="train"):
        DIPObjective(TwoLayerDIP(5, 4, 3), prob.A, prob.y, train="W")
    with pytest.raises(ValueError, match="output size"):
        DIPObjective(TwoLayerDIP(4, 4, 3), prob.A, prob.y)


def test_fused_igahd_update_equals_the_step_term_by_term():
    """The axpy form (1 + a)θ − aθ₋ − (b + s)g + b g₋ is the IGAHD step θ + a(θ − θ₋) − b(g − g₋) − s g,
    written in place; a buffer BLAS cannot update in place is refused, never silently left stale."""
    from boundcalc.dynamics.discrete import _igahd_update
    rng = np.random.default_rng(5)
    th, pr, g, gp = (rng.standard_normal(1001) for _ in range(4))
    a, b, s = 0.83, 0.017, 0.05
    out = np.empty(1001)
    _igahd_update(th, pr, g, gp, a, b, s, out=out)
    np.testing.assert_allclose(out, th + a * (th - pr) - b * (g - gp) - s * g, rtol=0, atol=1e-14)
    with pytest.raises(RuntimeError, match="contiguous"):
        _igahd_update(th[::2], pr[::2], g[::2], gp[::2], a, b, s, out=np.empty(1002)[::2])


def test_the_dynamics_run_with_one_blas_thread():
    """Two BLAS threads made k = 2·10⁴ IGAHD 2.5–5.8× slower and erased the reduced state's lead."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from boundcalc.dynamics import gradient_descent, igahd_dip, make_objective
    from boundcalc.nets.two_layer import TwoLayerDIP
    from boundcalc.problems import gaussian_problem
    prob = gaussian_problem(10, 5, seed=0)
    obj = make_objective(TwoLayerDIP(5, 2, 50, seed=0), prob.A, prob.y)
    seen = []
    inner = obj.value_and_grad

    def recording(theta):
        seen.extend(lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas")
        return inner(theta)
    obj.value_and_grad = recording
    with threadpool_limits(limits=2, user_api="blas"):  # what the process may run with
        igahd_dip(obj, alpha=1.0, beta=0.05, step=0.01, iterations=3)
        gradient_descent(obj, step=0.01, iterations=3)
    assert seen and set(seen) == {1}
