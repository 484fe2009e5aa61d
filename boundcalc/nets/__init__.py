"""Generators and their Jacobians: the two-layer DIP ``g(u, θ) = V φ(W u)/√k`` with its Gram
identity, the admissible activations, and (optional, lazily imported) any ``torch.nn.Module``.

Stage 3 of the flow: network Jacobian constants (σ_min(J), σ_max(J), Lip(J) on a ball).
"""

from .activations import (  # noqa: F401
    ACTIVATIONS,
    Activation,
    custom_activation,
    gaussian_moments,
    get_activation,
)
from .two_layer import (  # noqa: F401
    Generator,
    JacobianSpectrum,
    TwoLayerDIP,
)

__all__ = [
    'Activation',
    'get_activation',
    'custom_activation',
    'gaussian_moments',
    'ACTIVATIONS',
    'Generator',
    'TwoLayerDIP',
    'JacobianSpectrum',
]
