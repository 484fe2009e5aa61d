"""Linear algebra: forward operators with exact spectra, ``spectrum(A)``, certified Lanczos
brackets, and the array-API backend layer under the generators and the dynamics.

Stage 2 of the flow problem → spectra → Jacobian → theorem quantities → dynamics → claims → report.
"""

from .backend import (  # noqa: F401
    Backend,
    asarray,
    copy,
    describe,
    device_of,
    dot,
    matrix_transpose,
    namespace,
    norm,
    problem_arrays,
    resolve_backend,
    to_numpy,
)
from .eigen_bracket import (  # noqa: F401
    EigenBracket,
    extreme_eigen_bracket,
)
from .operators import (  # noqa: F401
    DENSE_FALLBACK_MAX,
    Convolution2D,
    Gradient2D,
    Mask,
    SpectrumResult,
    StructuredOperator,
    adjoint_test,
    as_operator,
    gaussian,
    spectrum,
)
from .singular_bracket import (  # noqa: F401
    SingularBracket,
    extreme_singular_bracket,
)

__all__ = [
    'SingularBracket',
    'extreme_singular_bracket',
    'namespace',
    'resolve_backend',
    'to_numpy',
    'asarray',
    'device_of',
    'describe',
    'Backend',
    'norm',
    'dot',
    'copy',
    'matrix_transpose',
    'problem_arrays',
    'EigenBracket',
    'extreme_eigen_bracket',
    'StructuredOperator',
    'Convolution2D',
    'Gradient2D',
    'Mask',
    'gaussian',
    'SpectrumResult',
    'spectrum',
    'adjoint_test',
    'as_operator',
    'DENSE_FALLBACK_MAX',
]
