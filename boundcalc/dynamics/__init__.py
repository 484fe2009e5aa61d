"""Training dynamics: IGAHD (both forms) and gradient descent in discrete time, ISEHD and
gradient flow in continuous time, on the full parameters or the exact reduced state.

Stage 5 of the flow: trajectories θ(t), loss, ‖θ(t) − θ₀‖.
"""

from .continuous import (  # noqa: F401
    gradient_flow,
    isehd,
    isehd_second_order,
)
from .discrete import (  # noqa: F401
    FORMS,
    BatchResult,
    as_trials,
    check_form,
    dip_coefficients,
    gradient_descent,
    igahd,
    igahd_dip,
    igahd_dip_batched,
)
from .objectives import (  # noqa: F401
    STATES,
    DIPObjective,
    GeneratorObjective,
    make_objective,
)
from .reduced import (  # noqa: F401
    ObjectiveBase,
    ReducedDIPObjective,
    objective_inputs,
    reduced_loss_grad,
    reduced_residual,
)
from .trajectory import (  # noqa: F401
    Recorder,
    Trajectory,
)

__all__ = [
    'ReducedDIPObjective',
    'objective_inputs',
    'ObjectiveBase',
    'reduced_residual',
    'reduced_loss_grad',
    'DIPObjective',
    'GeneratorObjective',
    'make_objective',
    'STATES',
    'Trajectory',
    'Recorder',
    'igahd_dip',
    'igahd',
    'gradient_descent',
    'igahd_dip_batched',
    'BatchResult',
    'as_trials',
    'FORMS',
    'check_form',
    'dip_coefficients',
    'isehd',
    'isehd_second_order',
    'gradient_flow',
]
