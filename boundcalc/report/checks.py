"""The report's claims, each computable on its own.

The report's sections and ``boundcalc claim`` both get their claims from here, so the command a
claim row prints re-checks exactly what the report checked: the problem's claims from
:func:`problem_run` (one dynamics of :data:`DYNAMICS`), the IGAHD test-function claims from
:func:`test_function_claims`, and the phase diagram's two sentences from :func:`phase_claims`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..problems import Problem
from ..verification.claims import ClaimCheck

__all__ = ["PHASE_GRID", "PHASE_GRID_FULL", "phase_grid", "PHASE_BUDGET_FACTOR", "DYNAMICS", "VERIFY_ITERATIONS",
           "LOJASIEWICZ_POWERS", "PHASE_CLAIMS", "TEST_FUNCTION_CLAIMS", "certified_lam_min", "report_network",
           "problem_run",
           "test_function_claims", "phase_claims", "claim_command", "recheck"]

#: The report's phase diagram: the slide's measurement (form slide, β = 0.05, A_ij ~ N(0, 1/m), 15000
#: iterations), checked again at 4× the budget; n, m, d, s, the widths, the dampings, the trials and the
#: tolerance are boundcalc's choices (the talk gives none of them). `phase-diagram --full`: the talk's grid size.
PHASE_GRID = {"n": 20, "m": 10, "d": 5, "ks": (5, 10, 40, 200), "alphas": (0.0, 100.0, 300.0, 600.0, 900.0),
              "beta": 0.05, "step": 1e-3, "form": "slide", "iterations": 15000, "trials": 8, "loss_tol": 1e-6,
              # α = 0 of form slide is gradient descent (plus a vanishing βs² term): no separate GD column,
              # which cost a quarter of the sweep at 4× the budget
              "include_gd": False}
#: The talk's size (`report --full`, `phase-diagram --full`): n = 50, m = 25, 10 widths from 10 to 10⁴,
#: 10 dampings from 0 to 900, 20 trials; the other settings as in :data:`PHASE_GRID`.
PHASE_GRID_FULL = {**PHASE_GRID, "n": 50, "m": 25, "d": 10,
                   "ks": (10, 21, 46, 100, 215, 464, 1000, 2154, 4641, 10000),
                   "alphas": (0.0, 100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 900.0), "trials": 20}
#: The budgets at which the phase diagram's sentences are checked: the talk's, and four times it.
PHASE_BUDGET_FACTOR = 4


#: The dynamics the report runs on its problem, and the IGAHD / GD iteration count.
DYNAMICS = ("isehd", "igahd", "gf")
#: IGAHD's iterations on the report's problem: with s = 0.01 they reach t = Σ√s = 100, beyond ISEHD's
#: horizon 1.5·T_ES (31 on the default problem), where the loss is at round-off (measured 4e-30).
VERIFY_ITERATIONS = 1000
#: Exponents p of the Łojasiewicz test functions |x|^p (q = 1 − 1/p).
LOJASIEWICZ_POWERS = (2, 3, 4)
#: Claim ids of the test functions and of the phase diagram.
TEST_FUNCTION_CLAIMS = ("igahd_energy", "trap_avoidance", "lojasiewicz_rate")
PHASE_CLAIMS = ("phase_no_gain_under", "phase_gain_over", "phase_acceleration", "phase_oscillation_reduction")
#: Claim ids each of the report's runs can make (the ids :func:`~boundcalc.verification.claims.verify` gives
#: its ClaimChecks, loss_envelope_range where m > n; a test keeps the two equal), so ``claim`` can refuse an
#: id before it computes anything.
RUN_CLAIMS = {"isehd": ("loss_envelope", "loss_envelope_range", "param_ball", "param_envelope", "early_stopping",
                        "x_space"),
              "igahd": ("loss_envelope", "loss_envelope_range", "param_ball", "param_envelope", "early_stopping",
                        "x_space", "igahd_convergence"),
              "gf": ("gf_residual", "gf_loss", "gf_ball", "gf_early_stopping")}


def report_network(n: int, spec: dict[str, Any], seed: int | None = None) -> Any:
    """The report's two-layer network on R^n from its spec (the keys of ``DEFAULT_NETWORK``), drawn
    with ``seed`` instead of the spec's when given (the pass-rate draws)."""
    from ..nets.two_layer import TwoLayerDIP
    return TwoLayerDIP(n, spec["d"], spec["k"], spec["activation"], v_init=spec["v_init"],
                       seed=spec["seed"] if seed is None else seed)


def certified_lam_min(sigma_n: float) -> tuple[float, float] | None:
    """σ_n(A) ≤ λ_min(A; C) for every cone C, so (σ_n(A), ∞) is a certified bracket for the x-space
    claim whenever σ_n(A) > 0; None otherwise."""
    return (float(sigma_n), float("inf")) if sigma_n > 0 else None


def problem_run(problem: Problem, net: Any, dynamics: str, lam_min: tuple[float, float] | None,
                gf_run: Any = None) -> Any:
    """One of the report's runs on its problem: ``verify`` with the report's settings (ISEHD is
    compared with GF; ``gf_run``, the report's own GF run, saves integrating GF twice)."""
    from ..verification.claims import verify
    if dynamics not in DYNAMICS:
        raise ValueError(f"run must be one of {DYNAMICS}, got {dynamics!r}")
    return verify(problem, net, dynamics=dynamics, lam_min=lam_min, compare_gf=(dynamics == "isehd"),
                  iterations=VERIFY_ITERATIONS, gf_run=gf_run if dynamics == "isehd" else None)


def _double_well(z):
    return z[0] ** 2 / 2 + z[1] ** 4 / 4 - z[1] ** 2 / 2


def _double_well_grad(z):
    return np.array([z[0], z[1] ** 3 - z[1]])


def test_function_claims(only: str | None = None, p: int | None = None) -> list[ClaimCheck]:
    """The IGAHD theorem on test functions (THEORY §7): the energy decrease on a double well, trap
    avoidance at its strict saddle, and the Łojasiewicz rates on |x|^p, p in
    :data:`LOJASIEWICZ_POWERS`; ``only`` (and ``p``) selects one."""
    from ..verification.claims import check_energy_decrease, check_lojasiewicz_rate, check_trap_avoidance
    if only is not None and only not in TEST_FUNCTION_CLAIMS:
        raise ValueError(f"claim must be one of {TEST_FUNCTION_CLAIMS}, got {only!r}")
    if p is not None and p not in LOJASIEWICZ_POWERS:
        raise ValueError(f"p must be one of {LOJASIEWICZ_POWERS}, got {p!r}")
    out = []
    if only in (None, "igahd_energy"):
        # ∇²f = diag(1, 3y² − 1) ≤ 11 = L wherever |y| ≤ 2: the box the run must stay in
        out.append(check_energy_decrease(_double_well, _double_well_grad, [1.5, 0.3], lipschitz=11.0, c=1.0,
                                         beta=0.02, h=0.1, box=2.0))
    if only in (None, "trap_avoidance"):
        out.append(check_trap_avoidance(starts=100, seed=0))
    if only in (None, "lojasiewicz_rate"):
        out += [check_lojasiewicz_rate(q) for q in LOJASIEWICZ_POWERS if p is None or q == p]
    return out


def phase_grid(full: bool = False) -> dict[str, Any]:
    """The report's phase-diagram grid: :data:`PHASE_GRID`, or the talk's size :data:`PHASE_GRID_FULL`."""
    return dict(PHASE_GRID_FULL if full else PHASE_GRID)


def phase_claims(progress: bool = False, executor: Any = None, *, full: bool = False,
                 announce: Any = None) -> tuple[Any, tuple[ClaimCheck, ...], tuple[int, ...], Any]:
    """The report's phase diagram (:func:`phase_grid`), run once to 4× the talk's budget, the slide's two
    sentences read at both budgets, and its third sentence measured on the same problem
    (:func:`~boundcalc.verification.experiments.third_sentence`): (result, observations, budgets, third).
    ``executor`` runs its rows (default: its own local pool); ``announce`` receives the estimated time
    before it starts."""
    from ..verification.experiments import phase_claims_across_budgets, third_sentence
    from ..verification.sweeps import phase_diagram
    grid = phase_grid(full)
    talk = grid["iterations"]
    budgets = (talk, PHASE_BUDGET_FACTOR * talk)
    res = phase_diagram(**{**grid, "iterations": budgets[-1]}, progress=progress, executor=executor,
                        announce=announce)
    third = third_sentence(res, budgets)
    return res, phase_claims_across_budgets(res, budgets) + third.observations, budgets, third


def claim_command(claim_id: str, run: str | None = None, p: int | None = None,
                  config: str = "experiment.toml") -> str:
    """The one command that re-checks a report claim alone, with the report's experiment file at ``config``
    (the report writes its own path, as given to ``--out``: the command then runs from where the report
    was made, not only inside its folder)."""
    import shlex
    return ("boundcalc claim " + claim_id + (f" --run {run}" if run else "") + (f" --p {p}" if p else "")
            + f" --config {shlex.quote(str(config))}")


def recheck(claim_id: str, *, run: str | None = None, p: int | None = None, problem: Problem | None = None,
            inputs: dict[str, Any] | None = None, progress: bool = False) -> ClaimCheck:
    """Compute one report claim alone, as the report computes it: a phase-diagram sentence, a
    test-function claim (``p`` picks the Łojasiewicz exponent), or a claim of the problem's ``run``
    (one of :data:`DYNAMICS`) on ``problem`` with the network of ``inputs`` (the defaults if None).

    Raises
    ------
    ValueError
        For an unknown claim id, a missing or unknown ``run``/``p``, or a claim the run does not make.
    """
    # Every argument is checked before anything is computed (an unknown id was answered after a 70 s run).
    run_claims = {c for ids in RUN_CLAIMS.values() for c in ids}
    if claim_id not in {*PHASE_CLAIMS, *TEST_FUNCTION_CLAIMS, *run_claims}:
        known = ", ".join(sorted({*PHASE_CLAIMS, *TEST_FUNCTION_CLAIMS, *run_claims}))
        raise ValueError(f"claim: {claim_id!r} is not one of the report's claims: {known}")
    if p is not None and claim_id != "lojasiewicz_rate":
        raise ValueError(f"--p: only lojasiewicz_rate takes an exponent; {claim_id} does not")
    if run is not None and claim_id not in run_claims:
        raise ValueError(f"--run: {claim_id} is not a claim of the problem's runs; drop --run")
    if claim_id in PHASE_CLAIMS:
        full = bool((inputs or {}).get("report", {}).get("full", False))
        return next(c for c in phase_claims(progress, full=full)[1] if c.claim_id == claim_id)
    if claim_id in TEST_FUNCTION_CLAIMS:
        if claim_id == "lojasiewicz_rate" and p is None:
            raise ValueError(f"--p: lojasiewicz_rate is checked for p in {LOJASIEWICZ_POWERS}; name one")
        if p is not None and p not in LOJASIEWICZ_POWERS:
            raise ValueError(f"--p: lojasiewicz_rate is checked for p in {LOJASIEWICZ_POWERS}, got {p}")
        return test_function_claims(claim_id, p)[0]
    from ..linalg.operators import spectrum
    from ..problems import DEFAULT_NETWORK, default_problem
    makers = [r for r, ids in RUN_CLAIMS.items() if claim_id in ids]
    if run is None:
        raise ValueError(f"--run: {claim_id} is checked on the run of each of {tuple(makers)}; name one")
    if run not in makers:
        raise ValueError(f"--run: {claim_id} is made by the {' and '.join(makers)} run(s), not {run}")
    problem = problem if problem is not None else default_problem()
    spec = {**DEFAULT_NETWORK, **(inputs or {}).get("network", {})}
    net = report_network(problem.n, spec)
    res = problem_run(problem, net, run, certified_lam_min(spectrum(problem.A).sigma_n))
    for c in res.claims:
        if c.claim_id == claim_id:
            return c
    known = sorted({c.claim_id for c in res.claims} | set(TEST_FUNCTION_CLAIMS) | set(PHASE_CLAIMS))
    raise ValueError(f"claim: {claim_id!r} is not a claim of the report's {run} run; known: {known}")
