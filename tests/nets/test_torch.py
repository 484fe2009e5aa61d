"""Your own network: TorchGenerator against the exact two-layer generator, the Lipschitz estimate
against a known constant, the CNN example end to end (skipped without torch)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from boundcalc.dynamics import igahd_dip, make_objective  # noqa: E402
from boundcalc.nets.torch import TorchGenerator, TwoLayerModule, load_model_factory  # noqa: E402
from boundcalc.nets.two_layer import TwoLayerDIP  # noqa: E402
from boundcalc.problems import deblurring_problem, gaussian_problem  # noqa: E402
from boundcalc.theory.bounds import check_initialization  # noqa: E402
from boundcalc.verification.claims import verify  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pair():
    net = TwoLayerDIP(40, 3, 600, "tanh", seed=0)
    return net, TorchGenerator(TwoLayerModule(net), net.u)


def test_maps_equal_the_two_layer_generator(pair):
    net, gen = pair
    rng = np.random.default_rng(1)
    th = net.theta0 + 0.1 * rng.standard_normal(net.p)
    dth, w = rng.standard_normal(net.p), rng.standard_normal(net.n)
    assert gen.p == net.p and gen.n == net.n
    np.testing.assert_allclose(gen.theta0, net.theta0)
    np.testing.assert_allclose(gen.forward(th), net.forward(th), rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(gen.jvp(th, dth), net.jvp(th, dth), rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(gen.vjp(th, w), net.vjp(th, w), rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(gen.gram_matvec(w, th), net.gram_matvec(w, th), rtol=1e-11)


def test_lanczos_bracket_contains_the_exact_gram_value(pair):
    net, gen = pair
    exact = net.jacobian_spectrum(method="gram")
    js = gen.jacobian_spectrum()
    (lo, hi), (mlo, mhi) = js.sigma_min_bracket, js.sigma_max_bracket
    slack = 1e-12
    assert lo * (1 - slack) <= exact.sigma_min <= hi * (1 + slack) and (hi - lo) / exact.sigma_min <= 1e-6
    assert mlo * (1 - slack) <= exact.sigma_max <= mhi * (1 + slack) and (mhi - mlo) / exact.sigma_max <= 1e-6
    assert js.sigma_min_resolved


def test_check_and_dynamics_on_a_wrapped_module(pair):
    net, gen = pair
    prob = gaussian_problem(20, 40, seed=0)
    res = check_initialization(prob.A, prob.y, gen)
    ref = check_initialization(prob.A, prob.y, net)
    assert res.verdict == "not_applicable"  # no certified Lipschitz bound for a general network
    assert res.R_prime == pytest.approx(ref.R_prime, rel=1e-5)
    assert res.lipschitz_required == pytest.approx(ref.sigma_min_J / (2 * ref.R_prime), rel=1e-5)
    a = igahd_dip(make_objective(gen, prob.A, prob.y), alpha=1.0, beta=0.05, step=0.05, iterations=50)
    b = igahd_dip(make_objective(net, prob.A, prob.y, state="full"), alpha=1.0, beta=0.05, step=0.05, iterations=50)
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-10)
    v = verify(prob, gen, dynamics="gd", iterations=20, step=0.05)
    assert all(c.status == "not_applicable" for c in v.claims)


def test_lipschitz_estimate_reaches_a_known_constant():
    """g = v tanh(w u), u = 1 (n = k = d = 1): Lip of J on the ball is max ‖[[0, φ′], [φ′, vφ″]]‖."""

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.v = torch.nn.Parameter(torch.tensor([0.7], dtype=torch.float64))
            self.w = torch.nn.Parameter(torch.tensor([0.3], dtype=torch.float64))

        def forward(self, u):
            return self.v * torch.tanh(self.w * u)

    gen = TorchGenerator(Tiny(), torch.tensor([1.0]), params=["v", "w"])
    R = 1.5
    vs, ws = np.meshgrid(np.linspace(-R, R, 801), np.linspace(-R, R, 801))
    inside = vs**2 + ws**2 <= R**2
    v, w = 0.7 + vs[inside], 0.3 + ws[inside]
    d1, d2 = 1 - np.tanh(w) ** 2, -2 * np.tanh(w) * (1 - np.tanh(w) ** 2)
    h = v * d2 / 2
    known = float(np.max(np.abs(h) + np.sqrt(h**2 + d1**2)))
    est = gen.lipschitz_estimate(R, starts=4, steps=40)
    assert 0.5 * known <= est <= known * (1 + 1e-3)


@pytest.mark.slow
def test_cnn_example_and_cli(tmp_path):
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        from torch_cnn import build
    finally:
        sys.path.pop(0)
    gen = TorchGenerator(*build())
    assert gen.n == 1024 and gen.p == 8273
    prob = deblurring_problem((32, 32), seed=0)
    check = check_initialization(prob.A, prob.y, gen)
    assert check.verdict == "not_applicable" and check.sigma_method.startswith("golub-kahan")
    # The audit's reference: σ_min = 5.66e-4 (dense SVD); the Lanczos bracket on J Jᵀ was [0, 8.7e-4].
    assert 5.6600e-4 <= check.sigma_min_J <= 5.6602e-4 and check.sigma_max_J > 0
    run = verify(prob, gen, dynamics="igahd", iterations=30, step=5e-6, alpha=1.0, beta=0.05)
    assert run.trajectory.loss[-1] < run.trajectory.loss[0]
    proc = subprocess.run([sys.executable, "-m", "boundcalc", "check-init", "--torch-model",
                           str(ROOT / "examples" / "torch_cnn.py") + ":build", "--problem", "deblurring",
                           "--size", "32x32", "--json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 4 and "Traceback" not in proc.stderr  # 4: cannot decide (no certified Lipschitz bound)
    assert '"verdict": "not_applicable"' in proc.stdout


def test_model_factory_errors(tmp_path):
    f = tmp_path / "net.py"
    f.write_text("def build():\n    return 3\n")
    with pytest.raises(TypeError, match="module, u"):
        load_model_factory(f"{f}:build")
    with pytest.raises(ValueError, match="no function"):
        load_model_factory(f"{f}:missing")
    with pytest.raises(ValueError, match="look like"):
        load_model_factory("net.py")


def _assembled_jacobian_svd(gen):
    """σ of the Jacobian assembled column by column with torch.func.jacrev, independently of the
    generator's matrix-free products."""
    from torch.func import functional_call, jacrev
    theta = torch.as_tensor(gen.theta0, dtype=torch.float64)
    params = dict(zip(gen.names, torch.split(theta, gen.sizes), strict=True))

    def out(flat_params):
        named = {k: v.reshape(sh) for (k, v), sh in zip(flat_params.items(), gen.shapes, strict=True)}
        return functional_call(gen.module, {**named, **gen.fixed}, (gen.u,)).reshape(-1)

    jac = jacrev(out)(params)
    J = torch.cat([jac[k].reshape(gen.n, -1) for k in gen.names], dim=1).numpy()
    return np.linalg.svd(J, compute_uv=False)


def _check_brackets_contain_the_assembled_svd(gen):
    sv = _assembled_jacobian_svd(gen)
    js = gen.jacobian_spectrum(method="golub-kahan", rtol=1e-8)
    smin = sv[gen.n - 1] if gen.p >= gen.n else 0.0
    assert js.sigma_max_bracket[0] <= sv[0] * (1 + 1e-12) and sv[0] <= js.sigma_max_bracket[1] * (1 + 1e-12)
    assert js.sigma_min_bracket[0] <= smin * (1 + 1e-10) + 1e-14
    assert smin <= js.sigma_min_bracket[1] * (1 + 1e-10) + 1e-14


def test_conv_decoder_brackets_contain_the_assembled_jacobian_svd():
    # a DIP-style decoder (upsampling convolutions) built from torch alone, so it runs everywhere
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(4, 6, 3, padding=1), torch.nn.Tanh(),
                                torch.nn.Upsample(scale_factor=2, mode="bilinear"), torch.nn.Conv2d(6, 1, 3, padding=1))
    u = torch.randn((1, 4, 4, 4), generator=torch.Generator().manual_seed(1))
    _check_brackets_contain_the_assembled_svd(TorchGenerator(model, u))


def test_deepinv_dip_model():
    deepinv = pytest.importorskip("deepinv")
    model = deepinv.models.ConvDecoder(img_size=(1, 16, 16), in_size=(4, 4), layers=3, channels=8)
    u = torch.randn((1, 8, 4, 4), generator=torch.Generator().manual_seed(0))
    _check_brackets_contain_the_assembled_svd(TorchGenerator(model, u))


def test_golub_kahan_bracket_contains_the_exact_gram_value(pair):
    net, torch_gen = pair
    gk = torch_gen.jacobian_spectrum(method="golub-kahan", rtol=1e-8)
    dense = net.jacobian_spectrum(method="gram")  # the two-layer net's exact route
    assert gk.sigma_min_bracket[0] <= dense.sigma_min <= gk.sigma_min_bracket[1]
    assert gk.sigma_max_bracket[0] <= dense.sigma_max <= gk.sigma_max_bracket[1]
    assert gk.sigma_min_resolved and (gk.sigma_min_bracket[1] - gk.sigma_min_bracket[0]) <= 1e-8 * dense.sigma_min
