"""boundcalc: bound calculator and theory verifier for the Deep Inverse Prior trained with inertia.

The formula book is THEORY.md (shipped beside the package's design notes); every quantity
computed here cites its section.
"""

from importlib.metadata import PackageNotFoundError, version

from .formulas import FORMULAS, evaluate
from .linalg.operators import Convolution2D, Gradient2D, Mask, SpectrumResult, adjoint_test, gaussian, spectrum
from .nets.activations import Activation, custom_activation, get_activation
from .nets.two_layer import TwoLayerDIP
from .problems import Problem, default_problem, gaussian_problem, make_problem
from .theory.bounds import CheckInitResult, check_initialization

try:
    __version__ = version("boundcalc")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = [
    "__version__", "Convolution2D", "Gradient2D", "Mask", "SpectrumResult", "adjoint_test",
    "gaussian", "spectrum", "Problem", "default_problem", "gaussian_problem", "make_problem",
    "Activation", "custom_activation", "get_activation", "CheckInitResult", "check_initialization",
    "FORMULAS", "evaluate", "TwoLayerDIP",
]
