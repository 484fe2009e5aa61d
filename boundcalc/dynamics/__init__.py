"""Training dynamics: IGAHD (both forms) and gradient descent in discrete time, ISEHD and
gradient flow in continuous time, on the full parameters or the exact reduced state.

Stage 4 of the flow: trajectories θ(t), loss, ‖θ(t) − θ₀‖.
"""

from .discrete import (  # noqa: F401
    FORMS,
    STATES,
    BatchResult,
    DIPObjective,
    GeneratorObjective,
    ReducedDIPObjective,
    Trajectory,
    as_trials,
    check_form,
    dip_coefficients,
    gradient_descent,
    gradient_flow,
    igahd,
    igahd_dip,
    igahd_dip_batched,
    isehd,
    isehd_second_order,
    make_objective,
)
from .reduced import (  # noqa: F401
    ObjectiveBase,
    objective_inputs,
    reduced_loss_grad,
    reduced_residual,
)

__all__ = [
    'objective_inputs',
    'ObjectiveBase',
    'reduced_residual',
    'reduced_loss_grad',
    'DIPObjective',
    'GeneratorObjective',
    'ReducedDIPObjective',
    'make_objective',
    'STATES',
    'Trajectory',
    'igahd_dip',
    'igahd',
    'gradient_descent',
    'isehd',
    'gradient_flow',
    'isehd_second_order',
    'igahd_dip_batched',
    'BatchResult',
    'as_trials',
    'FORMS',
    'check_form',
    'dip_coefficients',
]
