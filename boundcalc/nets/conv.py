"""A convolutional Deep Image Prior generator in torch (optional: ``pip install 'boundcalc[torch]'``).

The network DIP users train, shaped like deepinv's ``ConvDecoder``: a fixed random input u of ``channels``
channels at the image size divided by 2^depth, then ``depth`` blocks of (nearest ×2 upsampling, 3×3
convolution, activation, normalisation), then a 1×1 convolution to the image. :func:`conv_decoder` returns
the (module, u) pair that :class:`~boundcalc.nets.torch.TorchGenerator` wraps, so its certified σ_min(J)
brackets and the Lipschitz search apply as they are.

**Activation.** The theorem needs φ ∈ C¹ with φ′ bounded and Lipschitz (THEORY §1); ReLU, what practice uses,
has a discontinuous φ′. The default is softplus, log(1 + eˣ): φ′ = sigmoid ∈ (0, 1) and φ″ ≤ ¼, so it meets
the hypothesis with B = 1, and it is the smooth function closest in shape to ReLU (it tends to it away from 0),
which keeps the network near what DIP users run (docs/THEORY_NOTES.md, "The convolutional DIP"). ReLU is
offered by name and marked as outside the theorem (:data:`THEOREM_ACTIVATIONS`).

**Normalisation.** ``norm="batch"`` is BatchNorm computed from the current activations (no running
statistics, ``track_running_stats=False``): for the one fixed input u it normalises each channel over the
image's pixels, so g(u, θ) is a deterministic function of θ in training and evaluation alike, and the
Jacobian J = ∂g/∂θ includes the normalisation (the mean and variance depend on θ). Running statistics would
make the output depend on the history of the run instead.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .._core import positive_int

__all__ = ["ConvDecoder", "conv_decoder", "check_decoder_size", "CONV_ACTIVATIONS", "THEOREM_ACTIVATIONS", "NORMS"]

#: Activations of the convolutional generator; those in :data:`THEOREM_ACTIVATIONS` have a bounded,
#: Lipschitz derivative (THEORY §1), ReLU does not.
CONV_ACTIVATIONS = {"softplus": nn.Softplus, "relu": nn.ReLU, "elu": nn.ELU, "gelu": nn.GELU, "tanh": nn.Tanh}
THEOREM_ACTIVATIONS = ("softplus", "elu", "gelu", "tanh")
#: Normalisations: BatchNorm on the current activations, or none.
NORMS = ("batch", "none")


class ConvDecoder(nn.Module):
    """u (1 × channels × H/2^depth × W/2^depth) → ``depth`` × [upsample ×2, conv 3×3, activation, norm] →
    conv 1×1 → x (1 × out_channels × H × W)."""

    def __init__(self, channels: int = 32, depth: int = 3, activation: str = "softplus", norm: str = "batch",
                 out_channels: int = 1):
        super().__init__()
        if activation not in CONV_ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(CONV_ACTIVATIONS)}, got {activation!r}")
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        layers: list[nn.Module] = []
        for _ in range(depth):
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(channels, channels, 3, padding=1),
                       CONV_ACTIVATIONS[activation]()]
            if norm == "batch":
                layers.append(nn.BatchNorm2d(channels, track_running_stats=False))
        layers.append(nn.Conv2d(channels, out_channels, 1))
        self.layers = nn.Sequential(*layers)
        self.activation, self.norm = activation, norm

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return self.layers(u)


def check_decoder_size(size: tuple[int, int], depth: int) -> tuple[int, int]:
    """(h, w) of ``size`` if a decoder of ``depth`` upsamplings can make it (h, w divisible by 2^depth), else
    ValueError naming the size: a sweep asks this before it starts any run."""
    h, w = (positive_int(v, "size") for v in size)
    depth = positive_int(depth, "depth", minimum=0)
    if h % 2**depth or w % 2**depth:
        raise ValueError(f"size: {h}x{w} must be divisible by 2^depth = {2**depth} (depth = {depth} upsamplings)")
    return h, w


def conv_decoder(size: tuple[int, int] = (64, 64), *, channels: int = 32, depth: int = 3,
                 activation: str = "softplus", norm: str = "batch", seed: int = 0,
                 dtype: torch.dtype = torch.float64) -> tuple[ConvDecoder, torch.Tensor]:
    """A seeded :class:`ConvDecoder` for ``size`` images and its fixed input u ~ N(0, 1).

    The same seed gives the same weights and input whatever torch's global random state (the draw runs in
    a forked generator). Parameters: depth·(9c² + 3c) + c + 1 for c channels (27 969 for c = 32, depth = 3).

    Raises
    ------
    ValueError
        If the image size is not divisible by 2^depth, or an option is unknown.

    Examples
    --------
    >>> module, u = conv_decoder((32, 32), channels=8, depth=2, seed=0)
    >>> tuple(module(u).shape), sum(p.numel() for p in module.parameters())
    ((1, 1, 32, 32), 1209)
    """
    h, w = check_decoder_size(size, depth)
    channels, depth = positive_int(channels, "channels"), positive_int(depth, "depth", minimum=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = ConvDecoder(channels, depth, activation, norm).to(dtype)
        u = torch.randn(1, channels, h // 2**depth, w // 2**depth, dtype=dtype)
    return module, u


def describe(module: Any) -> dict[str, Any]:
    """What a report records of a :class:`ConvDecoder`: parameters, activation, normalisation."""
    return {"parameters": int(sum(p.numel() for p in module.parameters())),
            "activation": getattr(module, "activation", None), "norm": getattr(module, "norm", None),
            "theorem_activation": getattr(module, "activation", None) in THEOREM_ACTIVATIONS}
