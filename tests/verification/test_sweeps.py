"""The dask.distributed path of the sweeps, for real: a LocalCluster's executor runs the rows."""

import numpy as np
import pytest

from boundcalc.verification.sweeps import phase_diagram

distributed = pytest.importorskip("distributed")


def test_phase_diagram_on_a_local_dask_cluster(tmp_path):
    kw = {"n": 6, "m": 3, "d": 2, "ks": (5, 20), "alphas": (0.5, 2.0), "iterations": 300, "trials": 3,
          "loss_tol": 1e-6, "progress": False}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        res = phase_diagram(executor=client.get_executor(), out_dir=tmp_path, **kw)
        workers = set(client.run(lambda: 1))  # the cells were computed in worker processes
    ref = phase_diagram(**kw)
    assert len(workers) == 2 and res.computed == 6
    np.testing.assert_array_equal(res.igahd, ref.igahd)
    np.testing.assert_array_equal(res.gd, ref.gd)
    assert len(list((tmp_path / "cells").glob("*.json"))) == 6
