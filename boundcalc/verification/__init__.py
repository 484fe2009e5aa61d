"""Claims checked against trajectories (``holds`` / ``violated`` / ``not_applicable`` /
``transferred``), the talk's experiments, and sweeps over an executor (local or dask).

Stage 6 of the flow.
"""

from .claims import (  # noqa: F401
    REL_TOL,
    RESOLUTION,
    TRANSFER_ASSUMPTION,
    ClaimCheck,
    RateMeasurement,
    VerifyResult,
    check_energy_decrease,
    check_lojasiewicz_rate,
    check_trap_avoidance,
    fit_decay_rate,
    fit_linear_rate,
    fit_power_rate,
    linear_rate_claim,
    power_rate_claim,
    tail_sup,
    verify,
)
from .experiments import (  # noqa: F401
    REGIMES,
    EarlyStoppingRun,
    WidthRow,
    early_stopping_experiment,
    phase_diagram_claims,
    psnr,
    width_table,
)
from .sweeps import (  # noqa: F401
    PhaseDiagramResult,
    SweepInterrupted,
    check_sweep_folder,
    phase_diagram,
    plot_phase_diagram,
    run_cell,
    run_row,
)

__all__ = [
    'RESOLUTION',
    'ClaimCheck',
    'RateMeasurement',
    'TRANSFER_ASSUMPTION',
    'VerifyResult',
    'verify',
    'fit_decay_rate',
    'check_trap_avoidance',
    'check_lojasiewicz_rate',
    'check_energy_decrease',
    'REL_TOL',
    'fit_linear_rate',
    'fit_power_rate',
    'tail_sup',
    'linear_rate_claim',
    'power_rate_claim',
    'PhaseDiagramResult',
    'SweepInterrupted',
    'phase_diagram',
    'run_cell',
    'run_row',
    'plot_phase_diagram',
    'check_sweep_folder',
    'EarlyStoppingRun',
    'early_stopping_experiment',
    'psnr',
    'WidthRow',
    'width_table',
    'phase_diagram_claims',
    'REGIMES',
]
