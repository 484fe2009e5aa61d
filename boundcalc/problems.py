"""Inverse problems y = A x̄ + ε (THEORY.md §1), built-in or from user arrays."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._core import Result, as_finite_array, as_rng, positive_float, positive_int
from .linalg.operators import Convolution2D, Gradient2D, as_operator, gaussian

__all__ = ["Problem", "gaussian_problem", "deblurring_problem", "normal_integration_problem", "default_problem",
           "make_problem", "builtin_problem", "PROBLEMS", "DEFAULT_PROBLEM", "DEFAULT_NETWORK"]


@dataclass(frozen=True, repr=False)
class Problem(Result):
    """An instance y = A x̄ + ε.

    ``x_bar`` and ``noise`` are ``None`` for user data where only A and y are known; the
    quantities that need them (‖ε‖, SNR, ‖x(t) − x̄‖) then say ``not_applicable``.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 0.0, 1.0], [0.0, 2.0, 0.0]])
    >>> prob = bc.Problem(A, y=np.array([1.0, 2.0]), name='tiny')
    >>> prob.m, prob.n
    (2, 3)
    """

    A: Any
    y: np.ndarray
    x_bar: np.ndarray | None = None
    noise: np.ndarray | None = None
    name: str = "user"
    seed: int | None = None
    info: dict = field(default_factory=dict)

    @property
    def m(self) -> int:
        return int(self.A.shape[0])

    @property
    def n(self) -> int:
        return int(self.A.shape[1])

    @property
    def noise_norm(self) -> float | None:
        """‖ε‖ when the noise is known."""
        return None if self.noise is None else float(np.linalg.norm(self.noise))

    @property
    def y_clean(self) -> np.ndarray | None:
        """ȳ = A x̄ when x̄ is known."""
        return None if self.x_bar is None else np.asarray(self.A @ self.x_bar).ravel()

    @property
    def snr(self) -> float | None:
        """‖A x̄‖/‖ε‖ (THEORY.md §6's default definition); ``inf`` for noiseless data."""
        if self.x_bar is None or self.noise is None:
            return None
        nn = self.noise_norm
        return float(np.linalg.norm(self.y_clean) / nn) if nn > 0 else float("inf")

    def to_dict(self) -> dict[str, Any]:
        # The operator itself is not serialised (it may be huge or matrix-free); its shape is.
        return {"name": self.name, "m": self.m, "n": self.n, "seed": self.seed,
                "noise_norm": self.noise_norm, "snr": self.snr, "info": dict(self.info)}


def make_problem(A: Any, y: Any, x_bar: Any = None, noise: Any = None, name: str = "user") -> Problem:
    """Validate a user problem (shapes, finiteness) and wrap it in a :class:`Problem`.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.eye(3)[:2]
    >>> prob = bc.make_problem(A, np.array([1.0, -1.0]))
    >>> prob.name, prob.m, prob.n, prob.x_bar is None
    ('user', 2, 3, True)
    """
    A = as_operator(A)
    m, n = A.shape
    y = as_finite_array(y, "y", ndim=1, shape=(m,))
    if x_bar is not None:
        x_bar = as_finite_array(x_bar, "x_bar", ndim=1, shape=(n,))
    if noise is not None:
        noise = as_finite_array(noise, "noise", ndim=1, shape=(m,))
    return Problem(A=A, y=y, x_bar=x_bar, noise=noise, name=name)


def gaussian_problem(m: int, n: int, *, noise_norm: float = 0.01, signal_norm: float = 1.0,
                     seed: int = 0) -> Problem:
    """Compressed sensing: A with iid N(0, 1/m) entries, x̄ uniform on the sphere of radius
    ``signal_norm``, and ε uniform on the sphere of radius ``noise_norm``. One seed fixes all
    three draws (the signal's direction does not depend on its norm).

    Examples
    --------
    >>> prob = bc.gaussian_problem(30, 3, noise_norm=0.01, seed=0)
    >>> prob.A.shape, round(float(prob.noise_norm), 6)
    ((30, 3), 0.01)
    """
    m = positive_int(m, "m")
    n = positive_int(n, "n")
    noise_norm = positive_float(noise_norm, "noise_norm", allow_zero=True)
    signal_norm = positive_float(signal_norm, "signal_norm")
    rng = as_rng(seed)
    A = gaussian(m, n, rng)
    x_bar = rng.standard_normal(n)
    x_bar *= signal_norm / np.linalg.norm(x_bar)
    eps = rng.standard_normal(m)
    eps *= noise_norm / np.linalg.norm(eps)
    return Problem(A=A, y=A @ x_bar + eps, x_bar=x_bar, noise=eps, name="gaussian",
                   seed=seed if isinstance(seed, int) else None,
                   info={"operator": "iid N(0, 1/m)", "signal": f"uniform on the sphere of radius {signal_norm}",
                         "noise": f"uniform on the sphere of radius {noise_norm}"})


def _noise(rng: np.random.Generator, m: int, norm: float) -> np.ndarray:
    e = rng.standard_normal(m)
    return e * (norm / np.linalg.norm(e))


def _observe(A: Any, x: np.ndarray, noise_norm: float | None, noise_std: float, seed: int
             ) -> tuple[np.ndarray, np.ndarray, str]:
    """(A x, ε, description): ε iid N(0, σ²) with σ = ``noise_std`` — the talk's model — or, when ``noise_norm``
    is given, uniform on the sphere of that radius (a fixed ‖ε‖)."""
    clean = A @ x
    rng = as_rng(seed)
    if noise_norm is not None:
        nn = positive_float(noise_norm, "noise_norm", allow_zero=True)
        eps = _noise(rng, A.shape[0], nn) if nn > 0 else np.zeros(A.shape[0])
        return clean, eps, f"uniform on the sphere of radius {nn:.6g} (--noise-norm)"
    std = positive_float(noise_std, "noise_std", allow_zero=True)
    return clean, std * rng.standard_normal(A.shape[0]), f"iid N(0, σ²), σ = {std:.6g}"


#: The talk's noise levels (THEORY_NOTES "The talk's noise"): deblurring ε ~ N(0, 50²) on 8-bit gray
#: levels, i.e. standard deviation 50/255 on our [0, 1] scale; normal integration ε ~ N(0, 1.5) on the
#: gradient of a depth map in pixel units, read as the variance (the notation N(μ, σ²) of the first).
TALK_NOISE_STD = {"deblurring": 50 / 255, "normal-integration": math.sqrt(1.5)}


def sample_image(size: tuple[int, int]) -> np.ndarray:
    """A real photograph shipped with matplotlib (Grace Hopper, 600×512), in gray levels [0, 1],
    centre-cropped to a multiple of ``size`` and block-averaged down to it (no download)."""
    from matplotlib import cbook
    from matplotlib import image as mpimg
    n1, n2 = size
    img = mpimg.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)).astype(float).mean(axis=2) / 255
    f = min(img.shape[0] // n1, img.shape[1] // n2)
    if f < 1:
        raise ValueError(f"size {n1}x{n2} is larger than the sample image {img.shape[0]}x{img.shape[1]}")
    r0, c0 = (img.shape[0] - f * n1) // 2, (img.shape[1] - f * n2) // 2
    crop = img[r0:r0 + f * n1, c0:c0 + f * n2]
    return crop.reshape(n1, f, n2, f).mean(axis=(1, 3))


#: Smallest blur accepted: below it the off-centre weights e^{−1/(2σ²)} < 1e-87 vanish in float64
#: (the kernel is the identity), and σ² itself underflows long before 1e-300.
MIN_BLUR_SIGMA = 0.05


def gaussian_kernel(sigma: float, max_width: int | None = None) -> np.ndarray:
    """Normalised Gaussian kernel of standard deviation ``sigma`` pixels on a (2⌈3σ⌉+1)² grid.

    The width is checked against ``max_width`` (the image's smaller side) *before* anything is
    allocated, so a huge σ is refused in a line instead of exhausting memory."""
    sigma = positive_float(sigma, "blur_sigma")
    if sigma < MIN_BLUR_SIGMA:
        raise ValueError(f"blur_sigma must be >= {MIN_BLUR_SIGMA} pixel (smaller blurs are the identity in "
                         f"float64), got {sigma:g}")
    width = 2 * math.ceil(3 * sigma) + 1
    if max_width is not None and width > max_width:
        largest = (max_width - 1) // 2 / 3
        # a smaller blur is advised only where one exists (a 1×1 image was told "use blur_sigma <= 0")
        instead = f"; or blur_sigma <= {largest:g}" if largest >= MIN_BLUR_SIGMA else ""
        raise ValueError(f"blur_sigma = {sigma:g} needs a {width}-pixel kernel (2⌈3σ⌉ + 1), larger than the "
                         f"image's {max_width} pixels: give an image at least {width}x{width}{instead}")
    r = np.arange(-int(np.ceil(3 * sigma)), int(np.ceil(3 * sigma)) + 1)
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma**2))
    return g / g.sum()


def deblurring_problem(size: tuple[int, int] = (32, 32), *, blur_sigma: float = 1.5, noise_norm: float | None = None,
                       noise_std: float = TALK_NOISE_STD["deblurring"], seed: int = 0) -> Problem:
    """Image deblurring (the talk's first example): a periodic Gaussian blur (:class:`Convolution2D`,
    exact spectrum by FFT) of a real photograph (:func:`sample_image`, gray levels in [0, 1]);
    y = A x̄ + ε with ε iid N(0, σ²), σ = ``noise_std``, by default the talk's N(0, 50²) on 8-bit levels
    (σ = 50/255), or uniform on the sphere of radius ``noise_norm`` when that is given.

    Examples
    --------
    >>> prob = bc.deblurring_problem((16, 16), blur_sigma=1.0, seed=0)
    >>> prob.m, prob.n, prob.info['image_shape']
    (256, 256, [16, 16])
    """
    n1, n2 = positive_int(size[0], "size[0]"), positive_int(size[1], "size[1]")
    kernel = gaussian_kernel(blur_sigma, max_width=min(n1, n2))
    A = Convolution2D(kernel, (n1, n2))
    x = sample_image((n1, n2)).ravel()
    clean, eps, noise = _observe(A, x, noise_norm, noise_std, seed)
    return Problem(A=A, y=clean + eps, x_bar=x, noise=eps, name="deblurring", seed=seed,
                   info={"operator": f"periodic Gaussian blur, σ = {blur_sigma:g} px, {n1}x{n2}",
                         "signal": "matplotlib sample image grace_hopper.jpg, gray levels in [0, 1], block-averaged",
                         "noise": noise, "image_shape": [n1, n2], "blur_sigma": blur_sigma})


def depth_map(size: tuple[int, int]) -> np.ndarray:
    """A smooth synthetic depth map on [−1, 1]²: a sphere cap plus three Gaussian bumps."""
    n1, n2 = size
    yy, xx = np.meshgrid(np.linspace(-1, 1, n1), np.linspace(-1, 1, n2), indexing="ij")
    cap = np.sqrt(np.maximum(1.2**2 - xx**2 - yy**2, 0.0))
    bumps = sum(h * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * w**2))
                for h, cx, cy, w in ((0.3, -0.4, -0.3, 0.15), (-0.2, 0.45, 0.2, 0.2), (0.15, 0.1, 0.55, 0.1)))
    return cap + bumps


def normal_integration_problem(size: tuple[int, int] = (32, 32), *, noise_norm: float | None = None,
                               noise_std: float = TALK_NOISE_STD["normal-integration"], seed: int = 0) -> Problem:
    """Normal integration (the talk's second example): recover a depth map z from its noisy gradient,
    y = ∇z + ε, with the Neumann forward-difference :class:`Gradient2D` (exact spectrum; its kernel is
    the constants). z is :func:`depth_map` in pixel units (the [−1, 1]² domain spans the image, so
    depth and grid share one unit, as for a surface seen orthographically); ε iid N(0, σ²) with σ = ``noise_std``,
    by default the talk's N(0, 1.5) read as the variance (σ = √1.5), or uniform on the sphere of
    radius ``noise_norm`` when that is given.

    Examples
    --------
    >>> prob = bc.normal_integration_problem((8, 8), seed=0)
    >>> prob.m, prob.n
    (128, 64)
    """
    n1, n2 = positive_int(size[0], "size[0]"), positive_int(size[1], "size[1]")
    A = Gradient2D((n1, n2), boundary="neumann")
    z = depth_map((n1, n2)).ravel() * (min(n1, n2) / 2)
    clean, eps, noise = _observe(A, z, noise_norm, noise_std, seed)
    return Problem(A=A, y=clean + eps, x_bar=z, noise=eps, name="normal-integration", seed=seed,
                   info={"operator": f"forward-difference gradient, Neumann boundary, {n1}x{n2}",
                         "signal": "sphere cap plus three Gaussian bumps, depth in pixel units",
                         "image_shape": [n1, n2],
                         "kernel": "constant images (depth is recovered up to an additive constant)",
                         "noise": noise})


#: Built-in problems by name (``--problem NAME``).
PROBLEMS = ("gaussian", "deblurring", "normal-integration")


def builtin_problem(name: str, *, m: int = 30, n: int = 3, size: tuple[int, int] = (32, 32),
                    noise_norm: float | None = None, signal_norm: float = 1.0, blur_sigma: float = 1.5,
                    seed: int = 0) -> Problem:
    """A built-in problem by name: "gaussian" (m, n, signal_norm), "deblurring" (size, blur_sigma)
    or "normal-integration" (size); ``noise_norm`` None takes each problem's default."""
    if name == "gaussian":
        return gaussian_problem(m, n, noise_norm=DEFAULT_PROBLEM["noise_norm"] if noise_norm is None else noise_norm,
                                signal_norm=signal_norm, seed=seed)
    if name == "deblurring":
        return deblurring_problem(size, blur_sigma=blur_sigma, noise_norm=noise_norm, seed=seed)
    if name == "normal-integration":
        return normal_integration_problem(size, noise_norm=noise_norm, seed=seed)
    raise ValueError(f"problem must be one of {PROBLEMS}, got {name!r}")


#: Parameters of the built-in default problem used by ``boundcalc report``. The theorem's
#: constants are pessimistic: a random initialization is certified non-degenerate only for tiny
#: n at widths k ~ 10⁵, and only when A is well conditioned (κ(A) ≈ 2) and y ∈ Im(A). This
#: 2×2 draw (seed 6: σ_A = 1.06, κ(A) = 1.95) is such a case, chosen so that every claim can be
#: checked; most 2×2 Gaussian draws are too ill-conditioned (see the width section of the report).
DEFAULT_PROBLEM = {"m": 2, "n": 2, "noise_norm": 0.01, "seed": 6}

#: Network of the default report: TwoLayerDIP(n, d, k, activation, v_init, seed).
DEFAULT_NETWORK = {"d": 2, "k": 100_000, "activation": "tanh", "v_init": "rademacher", "seed": 0}


def default_problem() -> Problem:
    """The built-in default problem of ``boundcalc report`` (:data:`DEFAULT_PROBLEM`).

    Examples
    --------
    >>> prob = bc.default_problem()
    >>> prob.name, prob.m, prob.n
    ('gaussian', 2, 2)
    """
    return gaussian_problem(**DEFAULT_PROBLEM)
