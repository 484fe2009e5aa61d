"""The theorem's mechanism measured along a torch run: brackets that agree across routes, and a verdict that
follows from the numbers (skipped without torch)."""

from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from boundcalc.dynamics.torch_training import log_checkpoints, train_torch  # noqa: E402
from boundcalc.nets.conv import conv_decoder  # noqa: E402
from boundcalc.nets.torch import TorchGenerator  # noqa: E402
from boundcalc.problems import deblurring_problem  # noqa: E402
from boundcalc.verification.mechanism import mechanism, sigma_min_bracket  # noqa: E402


@pytest.fixture(scope="module")
def setting():
    prob = deblurring_problem((8, 8), blur_sigma=0.8, seed=0)
    net = TorchGenerator(*conv_decoder((8, 8), channels=6, depth=1, seed=1))
    return prob, net


def test_dense_and_matrix_free_brackets_agree(setting):
    _, net = setting
    lo_d, hi_d, how = sigma_min_bracket(net, route="dense")
    lo_g, hi_g, _ = sigma_min_bracket(net, route="golub-kahan", rtol=1e-8)
    assert "dense" in how and lo_d <= hi_d and lo_g <= hi_g
    assert max(lo_d, lo_g) <= min(hi_d, hi_g) * (1 + 1e-12)  # the two certified brackets overlap
    exact = np.linalg.svd(torch.func.jacrev(net._g)(net._theta0).numpy(), compute_uv=False)[net.n - 1]
    assert lo_d <= exact <= hi_d
    with pytest.raises(ValueError, match="route must be one of"):
        sigma_min_bracket(net, route="svd")


def test_the_verdict_follows_the_numbers(setting):
    prob, net = setting
    tr = train_torch(net, prob.A, prob.y, optimizer="gd", iterations=60, keep_theta=log_checkpoints(60, 3))
    # with a (fake) R′ below the distance the run travels, the verdict names the first iteration outside the ball
    R = float(tr.theta_dist[len(tr.theta_dist) // 2])
    fake = SimpleNamespace(R_prime=R, sigma_A=0.5, loss0=float(tr.loss[0]))
    m = mechanism(net, prob, tr, check=fake)
    first = int(tr.iteration[np.flatnonzero(tr.theta_dist > R)[0]])
    assert m.first_outside_ball == first and not m.stayed and f"R′ = {R:.3g} at ℓ = {first}" in m.verdict
    assert m.checkpoints == tuple(log_checkpoints(60, 3))
    assert m.mu_measured == pytest.approx(0.25 * min(m.sigma_min_lower) ** 2)
    assert m.min_sigma_ratio == pytest.approx(min(m.sigma_min_lower) / m.sigma0[1])
    below = [i for i, hi in zip(m.checkpoints, m.sigma_min_upper, strict=True) if hi < m.sigma0[0] / 2]
    assert m.first_below_half == (below[0] if below else None)
    # a run that never moves stays in the regime
    still = train_torch(net, prob.A, prob.y, optimizer="gd", iterations=0, keep_theta=[0])
    s = mechanism(net, prob, still, check=SimpleNamespace(R_prime=1.0, sigma_A=0.5, loss0=1.0))
    assert s.stayed and s.verdict.startswith("stayed in the theorem's regime") and s.min_sigma_ratio <= 1
    with pytest.raises(ValueError, match="kept no θ"):
        mechanism(net, prob, train_torch(net, prob.A, prob.y, optimizer="gd", iterations=2))


def test_the_gram_route_brackets_the_svd_and_gives_way_where_it_cannot_resolve():
    """The dense route takes J Jᵀ's certified eigenpairs (26 s → 4 s for a 4096 × 7073 J); J's SVD where the
    squared condition number leaves σ_min unresolved."""
    from boundcalc.verification.mechanism import _gram_bracket
    rng = np.random.default_rng(0)
    U, _ = np.linalg.qr(rng.standard_normal((30, 30)))
    W, _ = np.linalg.qr(rng.standard_normal((80, 30)))
    for smin, resolved in ((1e-2, True), (1e-9, False)):
        s = np.geomspace(smin, 3.0, 30)
        J = (U * s) @ W.T
        b = _gram_bracket(J, 1e-3)
        if not resolved:
            assert b is None  # κ² = 9e18: the Gram matrix cannot tell σ_min from 0
            continue
        lo, hi = b.sigma_min_bracket
        assert lo <= smin <= hi and (hi - lo) <= 1e-3 * hi
        assert b.sigma_max_bracket[0] <= 3.0 <= b.sigma_max_bracket[1]
