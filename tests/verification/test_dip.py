"""The DIP job (``boundcalc dip``, ``run_dip``): the PSNR figures it reports are those of its own run, the
IGAHD β is kept stable, bad input is refused (skipped without torch)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from boundcalc.problems import deblurring_problem  # noqa: E402
from boundcalc.verification.dip import run_dip, stable_beta  # noqa: E402
from boundcalc.verification.experiments import psnr  # noqa: E402


def test_the_reported_figures_are_the_runs_own():
    r = run_dip("deblurring", size=(16, 16), channels=4, depth=2, iterations=25)
    prob = deblurring_problem((16, 16))
    assert r.psnr_y == pytest.approx(psnr([np.linalg.norm(prob.y - prob.x_bar)], prob.x_bar)[0])
    assert r.best_psnr == pytest.approx(np.max(r.psnr)) and r.psnr[r.best_iteration] == r.best_psnr
    assert r.end_psnr == r.psnr[-1] and r.end_iteration == 25 and list(r.iterations) == list(range(26))
    np.testing.assert_allclose(r.psnr, psnr(r.trajectory.x_dist, prob.x_bar))
    assert r.to_dict()["mechanism"] is None and "best" in repr(r)


def test_normal_integration_is_read_modulo_the_constants():
    from boundcalc.dynamics.torch_training import train_torch
    from boundcalc.nets.conv import conv_decoder
    from boundcalc.nets.torch import TorchGenerator
    from boundcalc.problems import normal_integration_problem
    r = run_dip("normal-integration", size=(16, 16), channels=4, depth=2, iterations=5)
    assert r.psnr_y is None and r.settings["modulo_constants"]
    prob = normal_integration_problem((16, 16))
    net = TorchGenerator(*conv_decoder((16, 16), channels=4, depth=2, seed=0))
    tr = train_torch(net, prob.A, prob.y, optimizer="adam", iterations=5, x_bar=prob.x_bar, keep_x=[5],
                     modulo_constants=True)
    x = tr.x_samples[-1]
    centred = x - x.mean() + prob.x_bar.mean()  # x̄ is known up to the constants, the gradient's kernel
    assert tr.x_dist[-1] == pytest.approx(np.linalg.norm(centred - prob.x_bar), rel=1e-12)
    assert tr.x_dist[-1] < np.linalg.norm(x - prob.x_bar)


def test_igahd_beta_is_kept_below_half_a_root_step():
    assert stable_beta(0.05, 1e-2) == 0.05 and stable_beta(0.05, 4e-6) == pytest.approx(1e-3)
    r = run_dip("deblurring", size=(16, 16), channels=4, depth=2, iterations=10, optimizer="igahd")
    assert r.settings["beta"] == stable_beta(0.05, r.settings["step"]) and r.trajectory.status == "max_iterations"


def test_bad_input_is_refused_by_name():
    with pytest.raises(ValueError, match="problem must be"):
        run_dip("gaussian", size=(16, 16))
    with pytest.raises(ValueError, match="divisible by 2\\^depth"):
        run_dip("deblurring", size=(12, 16), depth=3)
    with pytest.raises(ValueError, match="net must be one of"):
        run_dip("deblurring", size=(16, 16), net="unet")
