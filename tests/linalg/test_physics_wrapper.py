"""from_deepinv's checks on a physics of its own kind (any object with A and A_adjoint), so they run without
deepinv: img_size as whole numbers, a NaN output refused, the physics' device used, and a matrix-free
spectrum that never assembles what cannot fit."""

import numpy as np
import pytest

import boundcalc as bc
from boundcalc.io.memory import MemoryLimitError

torch = pytest.importorskip("torch")


class Scale(torch.nn.Module):
    """A diagonal physics d ⊙ x on (1, C, H, W) images."""

    def __init__(self, img_size, value=None):
        super().__init__()
        n = int(np.prod(img_size))
        d = torch.linspace(1.0, 2.0, n, dtype=torch.float64) if value is None else torch.full((n,), value)
        self.register_buffer("d", d.reshape(1, *img_size))
        self.img_size = img_size

    def A(self, x):
        return self.d * x

    def A_adjoint(self, y):
        return self.d * y


@pytest.mark.parametrize("size", [(1, 8.7, 8), (1, 8, "8"), (1, 8), (True, 8, 8), (0, 8, 8), "1x8x8"])
def test_img_size_must_be_three_whole_numbers(size):
    with pytest.raises(ValueError, match="img_size must be .C, H, W., three whole numbers"):
        bc.from_deepinv(Scale((1, 8, 8)), img_size=size)


def test_a_physics_whose_output_is_nan_is_refused():
    with pytest.raises(ValueError, match="matvec returned NaN or inf"):
        bc.from_deepinv(Scale((1, 4, 4), value=float("nan")))


def test_the_physics_device_is_where_it_is_applied():
    from boundcalc.linalg.deepinv_physics import physics_device
    op = bc.from_deepinv(Scale((1, 4, 3)))
    assert str(op.device) == "cpu"
    np.testing.assert_allclose(op.matvec(np.ones(12)), np.linspace(1, 2, 12))
    assert str(physics_device([torch.zeros(1, device="meta")])) == "meta"
    with pytest.raises(ValueError, match="several devices"):
        physics_device([torch.zeros(1), torch.zeros(1, device="meta")])


def test_spectrum_of_a_matrix_free_physics_never_assembles_what_cannot_fit(monkeypatch):
    """A 2000×2000 physics was assembled (4·10⁶ numbers) under a 1 KiB limit."""
    op = bc.from_deepinv(Scale((1, 50, 40)))
    monkeypatch.setenv("BOUNDCALC_MAX_MEMORY", "1K")
    with pytest.raises(MemoryLimitError, match="Lanczos on the 2000×2000 Gram matrix"):
        bc.spectrum(op)
    monkeypatch.setenv("BOUNDCALC_MAX_MEMORY", "20M")  # the dense SVD needs 183 MiB: Lanczos, matrix-free
    spec = bc.spectrum(op)
    assert spec.method == "lanczos-gram"
    assert spec.sigma_A == pytest.approx(1.0, rel=1e-9) and spec.norm_A == pytest.approx(2.0, rel=1e-12)
