import numpy as np
import pytest

from boundcalc.problems import gaussian_problem, make_problem


def test_gaussian_problem_norms_and_seed():
    a = gaussian_problem(6, 4, noise_norm=0.1, signal_norm=3.0, seed=2)
    b = gaussian_problem(6, 4, noise_norm=0.1, signal_norm=1.0, seed=2)
    assert np.linalg.norm(a.x_bar) == pytest.approx(3.0) and a.noise_norm == pytest.approx(0.1)
    np.testing.assert_allclose(a.x_bar, 3 * b.x_bar)          # same direction, same A and ε
    np.testing.assert_array_equal(a.A, b.A)
    np.testing.assert_allclose(a.y, a.A @ a.x_bar + a.noise)
    assert a.snr == pytest.approx(np.linalg.norm(a.A @ a.x_bar) / 0.1)
    assert gaussian_problem(6, 4, noise_norm=0.0, seed=0).snr == np.inf


def test_make_problem_validates():
    with pytest.raises(ValueError, match="y must have shape"):
        make_problem(np.eye(3), np.ones(4))
    with pytest.raises(ValueError, match="x_bar"):
        make_problem(np.eye(3), np.ones(3), x_bar=np.ones(2))
    p = make_problem(np.eye(3), np.ones(3))
    assert p.snr is None and p.noise_norm is None and p.to_dict()["m"] == 3
