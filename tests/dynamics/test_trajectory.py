import numpy as np

from boundcalc.dynamics import (
    igahd_dip,
)


def test_trajectory_records_and_seeds(objective):
    a = igahd_dip(objective(), alpha=1.0, beta=0.5, step=0.01, iterations=20, record_every=5)
    b = igahd_dip(objective(), alpha=1.0, beta=0.5, step=0.01, iterations=20, record_every=5)
    np.testing.assert_array_equal(a.loss, b.loss)
    assert list(a.iteration) == [0, 5, 10, 15, 20]
    np.testing.assert_allclose(a.t, a.iteration * 0.1)
    assert np.all(np.isfinite(a.x_dist)) and np.all(np.isfinite(a.y_clean_dist))
    d = a.to_dict()
    assert "theta_final" not in d and len(d["loss"]) == 5
