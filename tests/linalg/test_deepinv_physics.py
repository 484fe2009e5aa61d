"""deepinv physics as boundcalc operators (skipped where deepinv is not installed; CI installs it in
a second environment, see the README's deepinv command)."""

import sys
from pathlib import Path

import numpy as np
import pytest

import boundcalc as bc

dinv = pytest.importorskip("deepinv")
torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
ROOT = Path(__file__).resolve().parents[2]


def blur(size=(1, 8, 6), sigma=(1.0, 0.7)):
    filt = dinv.physics.blur.gaussian_blur(sigma=sigma)
    return dinv.physics.BlurFFT(img_size=size, filter=filt, device="cpu")


def dense(op):
    return op.matmat(np.eye(op.shape[1]))


@pytest.mark.parametrize("size", [(1, 12, 10), (2, 11, 13)])
def test_blurfft_spectrum_from_the_filter_is_exact(size):
    physics = blur(size)
    op = bc.from_deepinv(physics, adjoint_rtol=1e-5)  # deepinv keeps parts of BlurFFT in float32
    spec = bc.spectrum(op)
    assert spec.method == "exact-structured" and "BlurFFT filter" in spec.detail
    sv = np.linalg.svd(dense(op), compute_uv=False)
    np.testing.assert_allclose(op.singular_values(), sv, rtol=1e-5, atol=1e-6)
    # deepinv's own diagonal (|rfft2| of the padded filter) holds the same values
    mask = physics.mask[..., 0].detach().double().numpy().ravel()
    ours = op.singular_values()
    assert max(np.min(np.abs(ours - v)) for v in mask) < 1e-6


def test_a_float32_physics_is_refused_with_the_remedy_and_accepted_at_its_precision():
    physics = dinv.physics.Inpainting(img_size=(1, 6, 5), mask=0.6, device="cpu")
    physics32 = dinv.physics.CompressedSensing(m=12, img_size=(1, 5, 5), device="cpu")
    with pytest.raises(ValueError, match="adjoint_rtol=1e-5"):
        bc.from_deepinv(physics32)
    op = bc.from_deepinv(physics32, adjoint_rtol=1e-5)
    assert op.shape == (12, 25)
    ins = bc.from_deepinv(physics, adjoint_rtol=1e-5)
    M = dense(ins)
    assert set(np.unique(np.round(M, 12))) <= {0.0, 1.0}  # inpainting: a selection of pixels


@pytest.mark.parametrize("make", [
    lambda: dinv.physics.Downsampling(img_size=(1, 12, 12), factor=2, device="cpu"),
    lambda: dinv.physics.CompressedSensing(m=10, img_size=(1, 4, 4), device="cpu"),
    lambda: dinv.physics.Blur(filter=dinv.physics.blur.gaussian_blur(sigma=(1.0, 1.0)), device="cpu"),
])
def test_other_physics_get_the_certified_dense_spectrum(make):
    physics = make()
    size = (1, 4, 4) if isinstance(physics, dinv.physics.CompressedSensing) else (1, 12, 12)
    op = bc.from_deepinv(physics, adjoint_rtol=1e-5, img_size=size)
    spec = bc.spectrum(op)
    sv = np.linalg.svd(dense(op), compute_uv=False)
    assert spec.method != "exact-structured"
    assert spec.norm_A == pytest.approx(sv[0], rel=1e-10)


def test_a_filter_larger_than_the_image_gets_no_closed_form():
    op = bc.from_deepinv(blur((1, 8, 6)), adjoint_rtol=1e-5)  # a 9×9 filter
    spec = bc.spectrum(op)
    assert spec.method != "exact-structured"
    assert spec.norm_A == pytest.approx(np.linalg.svd(dense(op), compute_uv=False)[0], rel=1e-10)


def test_bad_inputs_name_the_argument():
    with pytest.raises(TypeError, match="physics must be a deepinv LinearPhysics"):
        bc.from_deepinv(np.eye(3))
    physics = dinv.physics.Blur(filter=dinv.physics.blur.gaussian_blur(sigma=(1.0, 1.0)), device="cpu")
    with pytest.raises(ValueError, match="img_size"):
        bc.from_deepinv(physics, adjoint_rtol=1e-5)


def test_the_deepinv_dip_example_runs():
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import deepinv_dip
    finally:
        sys.path.pop(0)
    out = deepinv_dip.main()
    assert out["spectrum"].method == "exact-structured"
    assert out["check"].sigma_min_J > 0 and out["run"].trajectory.loss[-1] < out["run"].trajectory.loss[0]
