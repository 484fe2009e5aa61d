import numpy as np
import pytest

from boundcalc.dynamics import (
    gradient_flow,
    isehd,
    isehd_second_order,
)


def modal_residual(obj, t, alpha, beta, prob, flow=False):
    """Closed form of THEORY §9.4: r̈ + (αI + βK)ṙ + Kr = 0 (or ṙ = −Kr), K = (‖a‖²/k) A Aᵀ."""
    net = obj.net
    V, W = net.unpack()
    a = np.tanh(W @ net.u)
    K = (a @ a / net.k) * prob.A @ prob.A.T
    lam, Q = np.linalg.eigh(K)
    r0 = prob.A @ net.forward() - prob.y
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


def test_first_order_isehd_matches_second_order_with_hvp(objective):
    obj1, obj2 = objective(k=20), objective(k=20)
    a = isehd(obj1, alpha=0.8, beta=0.4, t_max=4.0, n_eval=9, rtol=1e-10, atol=1e-12)
    b = isehd_second_order(obj2, alpha=0.8, beta=0.4, t_max=4.0, n_eval=9, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-6)
    np.testing.assert_allclose(a.theta_final, b.theta_final, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("alpha, beta", [(0.3, 0.2), (3.0, 0.5)])  # under- and over-damped modes
def test_linear_regime_matches_modal_solution(alpha, beta, objective, prob):
    obj = objective(train="V")
    tr = isehd(obj, alpha=alpha, beta=beta, t_max=6.0, n_eval=7, rtol=1e-11, atol=1e-13, keep_theta=1)
    r = np.array([prob.A @ obj.net.forward(th) - prob.y for th in tr.theta_samples])
    np.testing.assert_allclose(r, modal_residual(obj, tr.t, alpha, beta, prob), atol=1e-8)
    # W never moves when only V is trained.
    nk = obj.net.n * obj.net.k
    np.testing.assert_array_equal(tr.theta_final[nk:], obj.net.theta0[nk:])


def test_linear_regime_gradient_flow(objective, prob):
    obj = objective(train="V")
    tr = gradient_flow(obj, t_max=5.0, n_eval=6, rtol=1e-11, atol=1e-13, keep_theta=1)
    r = np.array([prob.A @ obj.net.forward(th) - prob.y for th in tr.theta_samples])
    np.testing.assert_allclose(r, modal_residual(obj, tr.t, 0, 0, prob, flow=True), atol=1e-8)
