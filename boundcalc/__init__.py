"""boundcalc: bound calculator and theory verifier for the Deep Inverse Prior trained with inertia.

Every "THEORY §N" in the docstrings refers to the theory chapter shipped in docs/THEORY.md.

The top-level namespace is the public API. Its names are imported on first use (PEP 562), so
``import boundcalc`` is instant, never imports PyTorch, and the command line can answer Ctrl-C
from its first instant. The folders follow the flow of the computation (docs/architecture.md):
problem → ``linalg`` (spectra) → ``nets`` (Jacobians) → ``theory`` (theorem quantities) →
``dynamics`` (trajectories) → ``verification`` (claims) → ``report``.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name → the module that defines it (relative to the package).
_EXPORTS = {
    # problems
    "Problem": "problems", "default_problem": "problems", "gaussian_problem": "problems",
    "make_problem": "problems", "deblurring_problem": "problems", "normal_integration_problem": "problems",
    # linalg
    "Convolution2D": "linalg.operators", "Gradient2D": "linalg.operators", "Mask": "linalg.operators",
    "SpectrumResult": "linalg.operators", "adjoint_test": "linalg.operators", "gaussian": "linalg.operators",
    "spectrum": "linalg.operators", "from_deepinv": "linalg.deepinv_physics",
    # nets
    "Activation": "nets.activations", "custom_activation": "nets.activations", "get_activation": "nets.activations",
    "TwoLayerDIP": "nets.two_layer", "TorchGenerator": "nets.torch",
    # formulas and theory
    "FORMULAS": "formulas", "evaluate": "formulas",
    "CheckInitResult": "theory.bounds", "check_initialization": "theory.bounds", "compute_bounds": "theory.bounds",
    "envelopes": "theory.bounds",
    "required_width": "theory.width", "instance_width": "theory.width",
    "initialization_pass_rate": "theory.width",
    "restricted_min_singular_value": "theory.cones", "statistical_dimension": "theory.cones",
    # dynamics
    "make_objective": "dynamics.objectives", "igahd_dip": "dynamics.discrete", "gradient_descent": "dynamics.discrete",
    "isehd": "dynamics.continuous", "gradient_flow": "dynamics.continuous",
    # verification and report
    "verify": "verification.claims", "ClaimCheck": "verification.claims", "VerifyResult": "verification.claims",
    "phase_diagram": "verification.sweeps", "write_report": "report.build",
    "run_dip": "verification.dip", "mechanism": "verification.mechanism", "plot_mechanism": "verification.mechanism",
    "stopping_comparison": "verification.stopping_comparison",
    "plot_comparison": "verification.stopping_comparison",
    "train_torch": "dynamics.torch_training", "log_checkpoints": "dynamics.torch_training", "conv_decoder": "nets.conv",
}
#: Public submodules reachable as attributes (``bc.stopping.ESWMV``), imported on first use.
_SUBMODULES = {"stopping": "verification.stopping"}

__all__ = ["__version__", *_EXPORTS, *_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version
        try:
            value = version("boundcalc")
        except PackageNotFoundError:  # pragma: no cover - a source tree without install
            value = "0.0.0+unknown"
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{_SUBMODULES[name]}", __name__)
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    else:
        raise AttributeError(f"module 'boundcalc' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
