"""Fixtures of the dynamics tests: one small Gaussian problem and two-layer objectives on it."""

import pytest

from boundcalc.dynamics import DIPObjective
from boundcalc.nets.two_layer import TwoLayerDIP
from boundcalc.problems import gaussian_problem

PROB = gaussian_problem(3, 5, noise_norm=0.01, seed=1)


@pytest.fixture()
def prob():
    """m = 3, n = 5, ‖ε‖ = 0.01 (seed 1)."""
    return PROB


@pytest.fixture()
def objective():
    """``objective(k=30, seed=0, train="all")`` → a fresh :class:`DIPObjective` on :data:`PROB` (d = 4, tanh)."""
    def make(k=30, seed=0, train="all"):
        net = TwoLayerDIP(5, 4, k, "tanh", seed=seed)
        return DIPObjective(net, PROB.A, PROB.y, x_bar=PROB.x_bar, train=train)
    return make
