"""Golub–Kahan certified singular brackets against exact spectra."""

import numpy as np
import pytest

from boundcalc.linalg.eigen_bracket import extreme_eigen_bracket
from boundcalc.linalg.singular_bracket import extreme_singular_bracket


def operator(n, p, sigmas, seed=0):
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((n, n)))
    V, _ = np.linalg.qr(rng.standard_normal((p, n)))
    return (U * sigmas) @ V.T


@pytest.mark.parametrize("n, p, smin", [(300, 900, 1e-4), (120, 121, 1e-6), (64, 200, 0.5), (7, 9, 1e-3)])
def test_brackets_contain_the_svd_values_and_are_narrow(n, p, smin):
    sig = np.geomspace(smin, 300.0, n)
    J = operator(n, p, sig)
    exact = np.linalg.svd(J, compute_uv=False)
    br = extreme_singular_bracket(lambda v: J @ v, lambda u: J.T @ u, n, p, rtol=1e-6)
    assert br.sigma_min[0] <= exact[-1] <= br.sigma_min[1]
    assert br.sigma_max[0] <= exact[0] <= br.sigma_max[1]
    # Working on J itself: σ_min is resolved to ~n·eps·κ(J) even at κ(J) = 3·10⁸.
    assert (br.sigma_min[1] - br.sigma_min[0]) / exact[-1] <= 2e-6 * max(1.0, 300.0 / smin * 1e-6 * n)
    assert br.stopped_by in ("rtol", "full basis")


def test_squaring_loses_what_golub_kahan_keeps():
    n, p = 200, 600
    sig = np.geomspace(1e-4, 300.0, n)  # κ(J) = 3·10⁶, κ(J Jᵀ) = 9·10¹²
    J = operator(n, p, sig, seed=1)
    gk = extreme_singular_bracket(lambda v: J @ v, lambda u: J.T @ u, n, p, rtol=1e-6)
    lan = extreme_eigen_bracket(lambda w: J @ (J.T @ w), n, rtol=1e-6, max_steps=n, require_min=False)
    width = lambda b: (b[1] - b[0]) / b[1]  # noqa: E731
    assert width(gk.sigma_min) < 1e-5 < width(lan.sigma_min)


def test_tiny_and_degenerate_inputs():
    J = np.array([[3.0, 4.0]])  # n = 1: σ = 5
    br = extreme_singular_bracket(lambda v: J @ v, lambda u: J.T @ u, 1, 2)
    assert br.sigma_min[0] <= 5.0 <= br.sigma_min[1] and br.sigma_max[0] <= 5.0 <= br.sigma_max[1]
    with pytest.raises(ValueError, match="n = 3 > p = 2"):
        extreme_singular_bracket(lambda v: v, lambda u: u, 3, 2)
    with pytest.raises(ValueError, match="Jᵀ u is 0"):
        extreme_singular_bracket(lambda v: np.zeros(4), lambda u: np.zeros(6), 4, 6)
    with pytest.raises(ValueError, match="not finite"):
        extreme_singular_bracket(lambda v: np.full(4, np.nan), lambda u: np.ones(6), 4, 6)


def test_a_budget_that_ends_the_run_is_reported():
    n, p = 150, 300
    J = operator(n, p, np.geomspace(1e-3, 1.0, n), seed=2)
    br = extreme_singular_bracket(lambda v: J @ v, lambda u: J.T @ u, n, p, rtol=1e-9, max_steps=20)
    exact = np.linalg.svd(J, compute_uv=False)
    assert br.stopped_by == "budget" and br.steps == 20
    assert br.sigma_max[0] <= exact[0] <= br.sigma_max[1] and exact[-1] <= br.sigma_min[1]
    assert br.sigma_min[0] == 0.0  # unconverged: no lower end is claimed
