"""A small convolutional decoder DIP on a 32×32 deblurring problem, checked by boundcalc.

The factory ``build()`` is what ``boundcalc check-init --torch-model examples/torch_cnn.py:build
--problem deblurring --size 32x32`` loads: it returns (module, u). Run this file to see the check,
a short IGAHD run on the wrapped network, and the claims that can (and cannot) be judged for it:

    python examples/torch_cnn.py
"""

import torch
from torch import nn


class Decoder(nn.Module):
    """u (1×8×4×4) → three (3×3 conv, softplus, nearest upsampling ×2) blocks → a 3×3 conv and softplus
    at full resolution → a 3×3 conv to the 1×1×32×32 image (p = 8273 parameters)."""

    def __init__(self, channels: int = 16):
        super().__init__()
        up = {"scale_factor": 2, "mode": "nearest"}
        self.layers = nn.Sequential(
            nn.Conv2d(8, channels, 3, padding=1), nn.Softplus(), nn.Upsample(**up),
            nn.Conv2d(channels, channels, 3, padding=1), nn.Softplus(), nn.Upsample(**up),
            nn.Conv2d(channels, channels, 3, padding=1), nn.Softplus(), nn.Upsample(**up),
            nn.Conv2d(channels, channels, 3, padding=1), nn.Softplus(),
            nn.Conv2d(channels, 1, 3, padding=1),
        )

    def forward(self, u):
        return self.layers(u)


def build(seed: int = 0):
    """The (module, u) pair boundcalc wraps: a seeded decoder and a fixed random input."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    module = Decoder().double()
    u = torch.randn(1, 8, 4, 4, generator=gen, dtype=torch.float64)
    return module, u


if __name__ == "__main__":
    from boundcalc.nets.torch import TorchGenerator
    from boundcalc.problems import deblurring_problem
    from boundcalc.theory.bounds import check_initialization
    from boundcalc.verification.claims import verify

    problem = deblurring_problem((32, 32), seed=0)
    net = TorchGenerator(*build())
    print(net)
    check = check_initialization(problem.A, problem.y, net, estimate_lipschitz=True)
    print(check)
    for h in check.hypotheses:
        print(" -", h)
    # The theorem's damping needs σ₀; with it unknown, the talk's experimental values are used, and the
    # step stays below 2/(σ_max(J)²‖A‖²) ≈ 2e-5 (σ_max(J) ≈ 306 here).
    res = verify(problem, net, dynamics="igahd", iterations=300, step=5e-6, alpha=1.0, beta=0.05)
    print(res.summary())
