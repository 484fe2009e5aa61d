"""The talk's experiments, as functions the report calls (and users can call):

- :func:`early_stopping_experiment`: IGAHD and GD on an imaging problem from a seeded network, run
  long enough to overfit; ‖x(t) − x̄‖ and PSNR(t), the measured best time, the predicted T_ES and
  x-space bound, and x at T_ES / best / end (THEORY §3 ii, §5);
- :func:`width_table`: the theorem's width, the instance width and the empirical width side by side
  for a family of problems, with fitted growth exponents in n (THEORY §6);
- :func:`phase_diagram_claims`: the slide's two sentences about the (k, α) phase diagram as claims
  with thresholds fixed in advance (THEORY §11; docs/THEORY_NOTES.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .._core import Result
from ..dynamics import gradient_descent, igahd_dip, igahd_dip_batched, make_objective
from ..linalg.operators import spectrum
from ..nets.two_layer import TwoLayerDIP
from ..problems import Problem
from ..theory.bounds import check_initialization, compute_bounds, x_space_bound
from ..theory.width import draws_for_half_width, instance_width, required_width
from .claims import ClaimCheck, observation
from .sweeps import PhaseDiagramResult

__all__ = ["fit_growth_exponent", "MIN_FIT_POINTS", "EarlyStoppingRun", "early_stopping_experiment",
           "early_stopping_sentences", "IMAGING_RUN", "psnr", "WidthRow", "width_table", "phase_diagram_claims",
           "phase_claims_across_budgets", "REGIMES", "K_EMPIRICAL_START", "THIRD_SENTENCE",
           "ThirdSentenceResult", "third_sentence", "plot_third_sentence", "loss_oscillation"]


def psnr(x_dist: Any, x_bar: np.ndarray) -> np.ndarray:
    """PSNR = 20 log₁₀(range(x̄) / RMSE), RMSE = ‖x − x̄‖/√n, in dB."""
    peak = float(np.max(x_bar) - np.min(x_bar)) or 1.0
    rmse = np.asarray(x_dist, dtype=float) / math.sqrt(x_bar.size)
    with np.errstate(divide="ignore"):
        return 20 * np.log10(peak / rmse)


#: The imaging runs: a small V(0) (x(0) ≈ 0, so training starts like Landweber on A and the classical
#: semi-convergence shows), iterations enough to see PSNR rise and fall (more for normal integration,
#: whose noise sits where A is well conditioned, so its fall is slow), every ``record_every``-th kept.
IMAGING_RUN = {"k": 256, "d": 8, "v_scale": 1e-3, "seed": 0,
               "iterations": {"deblurring": 300, "normal-integration": 3000},
               "record_every": {"deblurring": 1, "normal-integration": 5}}


@dataclass(frozen=True, repr=False)
class EarlyStoppingRun(Result):
    """One run on an imaging problem, on the one clock every method shares: the iteration ℓ.

    ``t`` is the method's own time (IGAHD form ode: t = Σ√s; GD: t = Σγ), in which its theorem
    states T_ES (ISEHD's T_ES for IGAHD, a transferred reading; T_ES^GF for GD); ``T_ES_iteration``
    is that time mapped to iterations (``time_map``). ``psnr_y`` is the PSNR of the data y itself
    where y is an image of x̄'s size (deblurring), else None with ``psnr_y_status``."""

    problem: str
    dynamics: str
    iteration: np.ndarray
    t: np.ndarray
    x_dist: np.ndarray
    psnr: np.ndarray
    data_fit: np.ndarray
    noise_bound: float
    best_iteration: int
    best_psnr: float
    end_iteration: int
    end_psnr: float
    start_psnr: float
    psnr_y: float | None
    psnr_y_status: str
    T_ES: float
    T_ES_iteration: float
    T_ES_reached: bool
    psnr_T_ES: float | None
    time_map: str
    fit_iteration: int | None
    residual_end: float
    noise_norm: float
    x_space_bound_at_best: float
    x_space_note: str
    non_degenerate: bool
    R_prime_over_R: float
    xi: float
    kappa_A: float
    params: dict
    images: dict = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.pop("images")
        return d


def early_stopping_sentences(run: EarlyStoppingRun) -> list[str]:
    """What the report says about one run, every sentence decided by and quoting the measurements:
    where the best iterate is (the last one, or earlier with the fall after it), how x(best) compares
    with y, when ‖A x − ȳ‖ meets 2‖ε‖, and whether the theorem's T_ES certifies anything here."""
    name = run.dynamics.upper()
    out = []
    if run.best_iteration >= run.end_iteration:
        out.append(f"{name}: the PSNR is still rising at the end of the run (ℓ = {run.end_iteration}, "
                   f"{run.end_psnr:.2f} dB): the best iterate is the last one, and no overfitting is seen within "
                   "the run.")
    else:
        out.append(f"{name}: the PSNR rises from {run.start_psnr:.2f} dB at ℓ = 0 to {run.best_psnr:.2f} dB at "
                   f"ℓ = {run.best_iteration}, then falls to {run.end_psnr:.2f} dB at ℓ = {run.end_iteration} "
                   f"({run.end_psnr - run.best_psnr:+.2f} dB)"
                   + (f"; at the end ‖A x − y‖ = {run.residual_end:.4g} < ‖ε‖ = {run.noise_norm:.4g}: the network "
                      "has fitted part of the noise." if run.residual_end < run.noise_norm else "."))
    if run.psnr_y is not None:
        diff = run.best_psnr - run.psnr_y
        out.append(f"x(best) is {abs(diff):.2f} dB {'above' if diff >= 0 else 'below'} the observation y "
                   f"({run.psnr_y:.2f} dB)" + (f"; x(end) is {run.end_psnr - run.psnr_y:+.2f} dB from y." if
                                             run.best_iteration < run.end_iteration else "."))
    if run.fit_iteration is None:
        out.append(f"‖A x − ȳ‖ stays above 2‖ε‖ = {run.noise_bound:.4g} throughout (smallest "
                   f"{float(np.min(run.data_fit)):.4g}).")
    elif run.fit_iteration == 0:
        out.append(f"‖A x − ȳ‖ ≤ 2‖ε‖ = {run.noise_bound:.4g} already at ℓ = 0 (x(0) ≈ 0 and ‖ȳ‖ = "
                   f"{run.data_fit[0]:.4g}): the noise is so large that the theorem's criterion does not tell early "
                   "iterates from late ones here" + (f"; it still holds at the end ({run.data_fit[-1]:.4g})."
                                                     if run.data_fit[-1] <= run.noise_bound else
                                                     f"; it fails at the end ({run.data_fit[-1]:.4g})."))
    else:
        out.append(f"‖A x − ȳ‖ first falls below 2‖ε‖ = {run.noise_bound:.4g} at ℓ = {run.fit_iteration}.")
    t_es = (f"the theorem's T_ES = {run.T_ES:.3g} ({run.time_map}: ℓ = {run.T_ES_iteration:.3g})"
            if np.isfinite(run.T_ES) else "the theorem's T_ES is not finite")
    if not run.non_degenerate:
        out.append(f"The theorem cannot certify early stopping here: the initialization is degenerate "
                   f"(R′/R = {run.R_prime_over_R:.3g}; κ(A) = {run.kappa_A:.3g} makes ξ = {run.xi:.3g}), so "
                   f"{t_es} is the formula's value, not a guarantee; the measured best iterate is "
                   f"ℓ = {run.best_iteration}.")
    else:
        reached = "is reached" if run.T_ES_reached else "lies beyond the run"
        out.append(f"The hypotheses hold, and {t_es} {reached}; the measured best iterate is ℓ = "
                   f"{run.best_iteration}.")
    return out


def early_stopping_experiment(problem: Problem, *, k: int = IMAGING_RUN["k"], d: int = IMAGING_RUN["d"],
                              v_scale: float = IMAGING_RUN["v_scale"], seed: int = 0, iterations: int = 300,
                              record_every: int = 1) -> tuple[EarlyStoppingRun, ...]:
    """IGAHD (form ode, α = 1, β = 0.05, s = 0.25/L) and GD (γ = 0.5/L), L = σ_max(J)²‖A‖² the
    gradient's scale at θ₀, from one seeded two-layer network with V(0) scaled by ``v_scale``, on an
    imaging problem whose x̄ and ε are known. T_ES is the theorem's (§3 ii; T_ES^GF for GD, §4) with the
    instance's constants, computed whether or not the hypotheses hold (``non_degenerate``, R′/R)."""
    if problem.x_bar is None or problem.noise is None:
        raise ValueError("problem: the early-stopping experiment needs x̄ and ε (a built-in problem)")
    net = TwoLayerDIP(problem.n, d, k, "tanh", seed=seed, v_scale=v_scale)
    spec = spectrum(problem.A)
    check = check_initialization(problem.A, problem.y, net, spec=spec)
    bounds = compute_bounds(check, noise_norm=problem.noise_norm)
    L = check.sigma_max_J**2 * spec.norm_A**2
    shape = tuple(problem.info.get("image_shape", (problem.n,)))
    lam = spec.sigma_n
    modulo_constants = "kernel" in problem.info

    def centred(x):  # x̄ is defined up to the constants (the operator's kernel): compare modulo them
        return x - x.mean(axis=-1, keepdims=True) + problem.x_bar.mean() if modulo_constants else x

    if problem.m == problem.n:
        psnr_y, psnr_y_status = float(psnr(np.linalg.norm(problem.y - problem.x_bar), problem.x_bar)), "measured"
    else:
        psnr_y, psnr_y_status = None, f"y has m = {problem.m} ≠ n = {problem.n} entries: it is not an image of x̄"
    s_igahd, gamma = 0.25 / L, 0.5 / L
    runs = []
    for name, run, T, h, time_map in (
            ("igahd", lambda o: igahd_dip(o, alpha=1.0, beta=0.05, step=s_igahd, iterations=iterations,
                                          record_every=record_every, keep_x=True),
             bounds.T_ES, math.sqrt(s_igahd), f"t = ℓ√s, √s = {math.sqrt(s_igahd):.3g}"),
            ("gd", lambda o: gradient_descent(o, step=gamma, iterations=iterations, record_every=record_every,
                                              keep_x=True),
             bounds.T_ES_gf, gamma, f"t = ℓγ, γ = {gamma:.3g}")):
        tr = run(make_objective(net, problem.A, problem.y, x_bar=problem.x_bar))
        xs = centred(tr.x_samples)
        x_dist = np.linalg.norm(xs - problem.x_bar, axis=1)
        p = psnr(x_dist, problem.x_bar)
        best = int(np.argmax(p))
        T_it = T / h if np.isfinite(T) else float("inf")
        reached = bool(tr.iteration[-1] >= T_it)
        at_T = int(np.searchsorted(tr.iteration, T_it)) if reached else None
        if lam > 0:  # nan (unresolved) compares False: no certified λ_min
            xb = x_space_bound(check, float(tr.t[best]), float(lam), noise_norm=problem.noise_norm)
            xsb, note = xb.total, "λ_min ≥ σ_n(A) (certified for every cone); dist(x̄, Σ′) taken as 0"
        else:
            xsb, note = float("inf"), ("σ_n(A) = 0 (A has a kernel or m < n): no certified λ_min > 0 here, "
                                       "the x-space bound is vacuous")
        fit = tr.y_clean_dist  # ‖A x(ℓ) − ȳ‖, recorded by the run itself
        below = np.flatnonzero(fit <= 2 * problem.noise_norm)
        seen = problem.y if problem.m == problem.n else np.asarray(problem.A.T @ problem.y).ravel()
        images = {"x_bar": problem.x_bar.reshape(shape), "y": seen.reshape(shape),
                  "best": xs[best].reshape(shape), "end": xs[-1].reshape(shape)}
        if at_T is not None:
            images["T_ES"] = xs[min(at_T, len(xs) - 1)].reshape(shape)
        runs.append(EarlyStoppingRun(
            problem.name, name, tr.iteration.astype(int), tr.t, x_dist, p, fit, 2 * problem.noise_norm,
            int(tr.iteration[best]), float(p[best]), int(tr.iteration[-1]), float(p[-1]), float(p[0]),
            psnr_y, psnr_y_status, float(T), float(T_it), reached,
            float(p[min(at_T, len(p) - 1)]) if at_T is not None else None, time_map,
            int(tr.iteration[below[0]]) if below.size else None, float(np.sqrt(2 * tr.loss[-1])),
            float(problem.noise_norm), float(xsb), note, check.non_degenerate,
            float(check.R_prime / check.R) if check.R > 0 else float("inf"), float(check.xi), float(spec.kappa_A),
            {**tr.params, "k": k, "d": d, "v_scale": v_scale, "seed": seed, "L": L, "sigma_A": spec.sigma_A,
             "modulo_constants": modulo_constants,
             "y_shown": "y" if problem.m == problem.n else "Aᵀy (back-projection)"}, images))
    return tuple(runs)


# ----------------------------------------------------------------------------- widths

@dataclass(frozen=True, repr=False)
class WidthRow(Result):
    """Three widths for one problem. ``k_instance``/``k_empirical`` are −1 when not found up to
    ``k_max``/``k_empirical_max`` (shown as "> max"), never guessed; a ``k_empirical`` equal to the first
    width tried, :data:`K_EMPIRICAL_START`, means "≤ that width" (``k_empirical_status`` says so)."""

    problem: str
    n: int
    m: int
    k_theorem: float
    k_instance: int
    k_instance_max: int
    pass_probability: float
    pass_ci: tuple[float, float]
    k_empirical: int
    k_empirical_max: int
    empirical_success: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: a width not found is null with a status saying up to where it was searched."""
        d = super().to_dict()
        for key, cap in (("k_instance", self.k_instance_max), ("k_empirical", self.k_empirical_max)):
            found = getattr(self, key) > 0
            d[f"{key}_status"] = "found" if found else f"not found up to k = {cap}"
            if not found:
                d[key] = None
        if self.k_empirical == K_EMPIRICAL_START:
            d["k_empirical_status"] = (f"at most {K_EMPIRICAL_START}: the first width tried already succeeded "
                                       "(a bound from above, left out of the exponent fit)")
        if self.k_instance <= 0:
            d["pass_probability"], d["pass_ci"] = None, None
        return d


#: The first width the empirical search tries (then doubling): a width found there is only "≤ this".
K_EMPIRICAL_START = 2


def _empirical_width(problem: Problem, *, d: int, trials: int, iterations: int, loss_tol: float, k_max: int,
                     seed: int) -> tuple[int, float]:
    """Smallest k = 2^j whose IGAHD (ode, α = 1, β = 0.05, s = 0.25/L) runs bring the excess loss
    L − L* (L* = ½‖P⊥y‖², the part of y outside Im A) below ``loss_tol``·(L₀ − L*) with probability
    ≥ 0.9 over ``trials`` seeded networks within ``iterations`` (batched)."""
    from .claims import _range_residual
    A = np.asarray(problem.A @ np.eye(problem.n)) if not isinstance(problem.A, np.ndarray) else problem.A
    L_star = 0.5 * _range_residual(problem.A, problem.y) ** 2
    k, rate = K_EMPIRICAL_START, 0.0
    while k <= k_max:
        nets = [TwoLayerDIP(problem.n, d, k, "tanh", seed=seed + i) for i in range(trials)]
        V = np.stack([n.unpack()[0] for n in nets])
        W = np.stack([n.unpack()[1] for n in nets])
        u = np.stack([n.u for n in nets])
        L = max(n.jacobian_spectrum(method="gram").sigma_max for n in nets) ** 2 * np.linalg.norm(A, 2) ** 2
        L0 = 0.5 * min(np.sum((A @ n.forward() - problem.y) ** 2) for n in nets) - L_star
        res = igahd_dip_batched(V, W, u, np.repeat(A[None], trials, 0), np.repeat(problem.y[None], trials, 0),
                                activation="tanh", alpha=1.0, beta=0.05, step=0.25 / L, iterations=iterations,
                                loss_tol=L_star + loss_tol * L0)
        rate = float(np.mean(res.hit_iteration >= 0))
        if rate >= 0.9:
            return k, rate
        k *= 2
    return -1, rate


def width_table(problems: list[Problem], *, d: int = 2, k_max: int = 2**20, k_empirical_max: int = 1024,
                trials: int = 10, iterations: int = 5000, loss_tol: float = 1e-6, seed: int = 0,
                progress: bool = False, family: str = "gaussian",
                pass_half_width: float = 0.03) -> tuple[tuple[WidthRow, ...], dict[str, float]]:
    """k_theorem (c₁ = c₂ = C = 1), k_instance (§3 test on seeded draws, unbiased pass probability over
    enough fresh draws for a 95% Wilson interval of half-width ≤ ``pass_half_width``,
    :func:`~boundcalc.theory.width.draws_for_half_width`) and k_empirical for each problem, and the
    fitted exponents of k in n (log-log slope over the problems of ``family`` where the width was found,
    leaving out a k_empirical that is only a bound, :data:`K_EMPIRICAL_START`) next to the theorem's
    n³ + nm² scaling."""
    rows = []
    for prob in problems:
        if progress:
            print(f"  widths: {prob.name} n = {prob.n}", flush=True)
        kt = required_width(prob.A, x_bar=prob.x_bar, noise_norm=prob.noise_norm).k_theorem
        inst = instance_width(prob.A, prob.y, d=d, seed=seed, k_max=k_max,
                              trials=draws_for_half_width(pass_half_width))
        ke, rate = _empirical_width(prob, d=d, trials=trials, iterations=iterations, loss_tol=loss_tol,
                                    k_max=k_empirical_max, seed=seed)
        rows.append(WidthRow(prob.name, prob.n, prob.m, kt, inst.k_instance if inst.found else -1, k_max,
                             inst.pass_probability, inst.ci, ke, k_empirical_max, rate))
    expo = {}
    for key in ("k_theorem", "k_instance", "k_empirical"):
        pts = [(r.n, getattr(r, key)) for r in rows
               if r.problem == family and getattr(r, key) > 0 and np.isfinite(getattr(r, key))
               and not (key == "k_empirical" and getattr(r, key) == K_EMPIRICAL_START)]
        expo[key] = fit_growth_exponent([p[0] for p in pts], [p[1] for p in pts])
    return tuple(rows), expo


#: Fewest distinct widths an exponent is fitted over: a two-point "fit" has no uncertainty.
MIN_FIT_POINTS = 4


def fit_growth_exponent(ns: Any, ks: Any) -> dict[str, Any]:
    """The exponent e of k ≈ C nᵉ by least squares on log k against log n, with its standard error
    (from the fit's residuals), over at least :data:`MIN_FIT_POINTS` distinct n; otherwise no
    exponent (None) and the reason."""
    ns, ks = np.asarray(ns, float), np.asarray(ks, float)
    points = len(set(ns.tolist()))
    if points < MIN_FIT_POINTS:
        return {"exponent": None, "stderr": None, "points": points,
                "status": f"not fitted: {points} width(s) found, {MIN_FIT_POINTS} needed for an exponent with an "
                          "uncertainty"}
    coef, cov = np.polyfit(np.log(ns), np.log(ks), 1, cov="unscaled")
    resid = np.log(ks) - np.polyval(coef, np.log(ns))
    sigma2 = float(resid @ resid) / (ns.size - 2)
    return {"exponent": float(coef[0]), "stderr": float(np.sqrt(sigma2 * cov[0, 0])), "points": points,
            "status": "fitted"}


# ----------------------------------------------------------------------------- phase diagram claims

#: Regimes and thresholds of the two phase-diagram claims, fixed before any data was looked at
#: (docs/THEORY_NOTES.md): under-parametrized k < n (the hidden layer narrower than the signal);
#: over-parametrized k ≥ 10n. The gain at a width is max over α > 0 of P(success) minus P at α = 0.
REGIMES = {"under": "k < n", "over": "k ≥ 10 n", "flat_max_gain": 0.25, "substantial_min_gain": 0.5}


def phase_diagram_claims(res: PhaseDiagramResult, budget: int | None = None) -> tuple[ClaimCheck, ClaimCheck]:
    """The slide's "no gain in the under-parametrized regime" and "substantial gain in the
    over-parametrized regime" as observations (THEORY §11: readings of the talk's figure at boundcalc's
    sizes, ``reproduced`` / ``not_reproduced``, never theorem claims), with :data:`REGIMES`, read at
    ``budget`` iterations (default: the run's; a smaller budget needs the run's per-trial iterations).
    A regime without widths in the grid leaves its sentence ``inconclusive``."""
    n = res.params["n"]
    alphas = np.asarray(res.alphas, dtype=float)
    if 0.0 not in alphas or not (alphas > 0).any():
        raise ValueError("phase_diagram_claims needs α = 0 (no inertia) and some α > 0 in the grid")
    P = res.igahd if budget is None else res.success_at(budget)[0]
    budget_txt = f" within {budget if budget is not None else res.params.get('iterations', '?')} iterations"
    base = int(np.flatnonzero(alphas == 0.0)[0])
    gain = {k: float(np.max(P[i, alphas > 0]) - P[i, base]) for i, k in enumerate(res.ks)}
    under = [k for k in res.ks if k < n]
    over = [k for k in res.ks if k >= 10 * n]
    out = []
    for cid, ks, statement, test in (
            ("phase_no_gain_under", under,
             f"no gain in the under-parametrized regime ({REGIMES['under']}): max_α P − P(α=0) ≤ "
             f"{REGIMES['flat_max_gain']} at every such width{budget_txt}", lambda g: REGIMES["flat_max_gain"] - g),
            ("phase_gain_over", over,
             f"substantial gain in the over-parametrized regime ({REGIMES['over']}): max_α P − P(α=0) ≥ "
             f"{REGIMES['substantial_min_gain']} at every such width{budget_txt}",
             lambda g: g - REGIMES["substantial_min_gain"])):
        hyps = [(f"the grid has widths with {REGIMES['under' if cid.endswith('under') else 'over']} (n = {n})",
                 bool(ks))]
        threshold = REGIMES["flat_max_gain" if cid.endswith("under") else "substantial_min_gain"]
        if not ks:
            out.append(observation(cid, statement, threshold, float("nan"), float("nan"), hypotheses=tuple(hyps)))
            continue
        margins = {k: test(gain[k]) for k in ks}
        worst = min(margins, key=margins.get)
        out.append(observation(cid, statement, threshold, gain[worst], float(margins[worst]), hypotheses=tuple(hyps),
                               at=float(worst), at_name="k", note="measured: the gain at the tightest width; gains " +
                               ", ".join(f"k={k}: {gain[k]:+.2f}" for k in ks)))
    return out[0], out[1]


def phase_claims_across_budgets(res: PhaseDiagramResult, budgets: tuple[int, ...]) -> tuple[ClaimCheck, ...]:
    """Each of the slide's two sentences read at every budget in ``budgets`` (e.g. the talk's 15000
    and four times it, from one run of the largest): the verdict stands only if it is the same at every
    budget; a sentence whose verdict changes with the budget measures the budget, not the method, and
    is ``inconclusive``, with the figures at each budget in its note. The reported measurement is the
    one at the first budget."""
    if not budgets:
        raise ValueError("budgets must name at least one iteration budget")
    per_budget = [phase_diagram_claims(res, b) for b in budgets]
    out = []
    for i in range(2):
        checks = [claims[i] for claims in per_budget]
        first = checks[0]
        statuses = {c.status for c in checks}
        figures = "; ".join(f"{b} iterations: {c.label} (gain {c.measured:+.2f} at k = {c.at:g}; {c.note})"
                            if np.isfinite(c.measured) else f"{b} iterations: {c.label} ({c.note})"
                            for b, c in zip(budgets, checks, strict=True))
        if len(statuses) == 1:
            status, note = first.status, f"the same verdict at every budget — {figures}"
        else:
            status, note = "inconclusive", f"the verdict changes with the iteration budget — {figures}"
        statement = first.statement.replace(f" within {budgets[0]} iterations",
                                            f" within {budgets[0]} iterations (and {', '.join(map(str, budgets[1:]))})"
                                            if len(budgets) > 1 else f" within {budgets[0]} iterations")
        out.append(replace(first, statement=statement, status=status, note=note))
    return tuple(out)


# ----------------------------------------------------------------------------- the third sentence

#: The third sentence's measures and thresholds, fixed before its data (docs/THEORY_NOTES.md): at the grid's
#: largest width, with the "well-adjusted" α the phase diagram itself finds best there (fewest median
#: iterations at the talk's budget), IGAHD must reach the tolerance in at most ``speedup`` × GD's median
#: iterations (acceleration), and IGAHD at some β of the run must have at most ``oscillation`` × heavy ball's
#: median upward variation of log loss (oscillation reduction); heavy ball's median must be at least
#: ``min_upward`` nats for there to be an oscillation to reduce. The larger β puts the Hessian term at
#: ``big_hessian`` × s.
THIRD_SENTENCE = {"speedup": 0.5, "oscillation": 0.5, "min_upward": 0.1, "big_hessian": 0.1}


def loss_oscillation(loss: Any) -> tuple[int, float]:
    """(number of loss increases L_{ℓ+1} > L_ℓ, total upward variation Σ max(0, log L_{ℓ+1} − log L_ℓ)) of
    one loss curve; nan entries (after the run stopped) are left out."""
    L = np.asarray(loss, float)
    L = L[np.isfinite(L) & (L > 0)]
    if L.size < 2:
        return 0, 0.0
    d = np.diff(np.log(L))
    return int(np.count_nonzero(d > 0)), float(np.sum(d[d > 0]))


@dataclass(frozen=True, repr=False)
class ThirdSentenceResult(Result):
    """The runs behind "well-adjusted parameters: acceleration and oscillation reduction" (THEORY §11):
    per method (``methods``: name → (α, β)), every trial's iterations to the tolerance (−1: not within the
    budget), loss increases and upward variation of log loss up to that point; ``curves`` the loss of trial 0
    per method for the figure; ``observations`` the sentence read at each budget."""

    k: int
    alpha: float
    methods: dict
    hit_iteration: dict
    increases: dict
    upward: dict
    curves: dict = field(repr=False)
    budgets: tuple
    observations: tuple
    params: dict

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        # each curve up to its run's stop (nan beyond it): 4 × 60001 numbers would otherwise fill results.json
        d["curves"] = {m: np.asarray(c, float)[np.isfinite(c)].tolist() for m, c in self.curves.items()}
        d["observations"] = [c.to_dict() for c in self.observations]
        return d


def _censored_median(hits: np.ndarray, budget: int) -> float:
    """Median iterations with the trials not done within ``budget`` censored there (inf when more than half)."""
    h = np.where((hits >= 0) & (hits <= budget), hits, np.inf).astype(float)
    return float(np.sort(h)[(h.size - 1) // 2])


def third_sentence(res: PhaseDiagramResult, budgets: tuple[int, ...]) -> ThirdSentenceResult:
    """Measure the slide's third sentence on the phase diagram's problem (its largest width, its trials, its
    form and step), with :data:`THIRD_SENTENCE`: GD (α = 0, β = 0), heavy ball (α*, β = 0), IGAHD (α*, the
    grid's β) and IGAHD (α*, a larger β), α* the phase diagram's best α there. Its two halves are two
    observations, ``phase_acceleration`` and ``phase_oscillation_reduction``, read at every budget: one whose
    reading changes with the budget is ``inconclusive``, and oscillation reduction is ``inconclusive`` when
    heavy ball does not oscillate (nothing to reduce)."""
    from ..dynamics.discrete import dip_coefficients, igahd_dip_batched
    from .sweeps import _instances
    p = dict(res.params)
    if res.igahd_hits is None:
        raise ValueError("third_sentence needs the phase diagram's per-trial iterations (igahd_hits)")
    alphas = np.asarray(res.alphas, float)
    if not (alphas > 0).any():
        raise ValueError("third_sentence needs some α > 0 in the phase diagram")
    i = len(res.ks) - 1
    k = int(res.ks[i])
    med = res.median_iterations(budgets[0])[0][i]
    cand = np.flatnonzero(alphas > 0)
    a_star = float(alphas[cand[np.argmin(med[cand])]])
    s, form = float(p["step"]), p["form"]
    hess_per_beta = dip_coefficients(a_star, 1.0, s, form)[1]
    beta_big = THIRD_SENTENCE["big_hessian"] * s / hess_per_beta
    methods = {"gradient descent": (0.0, 0.0), "heavy ball": (a_star, 0.0),
               f"IGAHD β = {p['beta']:g}": (a_star, float(p["beta"])), f"IGAHD β = {beta_big:.3g}": (a_star, beta_big)}
    spec = {**p, "k": k}
    V, W, u, As, ys = _instances(spec)
    T = V.shape[0]
    M = len(methods)
    al = np.repeat([a for a, _ in methods.values()], T)
    be = np.repeat([b for _, b in methods.values()], T)
    out = igahd_dip_batched(np.tile(V, (M, 1, 1)), np.tile(W, (M, 1, 1)), np.tile(u, (M, 1)), np.tile(As, (M, 1, 1)),
                            np.tile(ys, (M, 1)), activation=p["activation"], alpha=al, beta=be, step=s,
                            iterations=max(budgets), loss_tol=p["loss_tol"], form=form, loss_history=True)
    hits, inc, up, curves = {}, {}, {}, {}
    for j, name in enumerate(methods):
        sl = slice(j * T, (j + 1) * T)
        hits[name] = out.hit_iteration[sl]
        osc = [loss_oscillation(h) for h in out.loss_history[sl]]
        inc[name] = np.array([o[0] for o in osc])
        up[name] = np.array([o[1] for o in osc])
        curves[name] = out.loss_history[j * T]
    names = list(methods)
    gd, hb, igahd_beta, igahd_big = names
    per_budget = []
    for b in budgets:
        # each loss curve read up to the tolerance or the budget, whichever comes first
        osc_b = {name: np.array([loss_oscillation(row)[1] for row in
                                 out.loss_history[j * T:(j + 1) * T, :b + 1]]) for j, name in enumerate(names)}
        m_gd, m_ig = _censored_median(hits[gd], b), _censored_median(hits[igahd_beta], b)
        # GD not done within the budget: its median is at least the budget, so the ratio is at most this
        ratio = m_ig / (m_gd if np.isfinite(m_gd) else b) if np.isfinite(m_ig) else (
            float("inf") if np.isfinite(m_gd) else float("nan"))
        up_med = {name: float(np.median(v)) for name, v in osc_b.items()}
        hb_up = up_med[hb]
        best_up = min(up_med[igahd_beta], up_med[igahd_big])
        oscillates = hb_up >= THIRD_SENTENCE["min_upward"]
        within = f" within {b} iterations"
        acc = observation(
            "phase_acceleration",
            f"well-adjusted parameters accelerate: IGAHD (α = {a_star:g}, the phase diagram's best at k = {k}; "
            f"β = {p['beta']:g}) reaches the tolerance in ≤ {THIRD_SENTENCE['speedup']:g}× GD's median iterations"
            + within, THIRD_SENTENCE["speedup"], ratio, THIRD_SENTENCE["speedup"] - ratio, at=float(k), at_name="k",
            note=("GD's median is beyond the budget, so the ratio is an upper bound; " if not np.isfinite(m_gd)
                  else "") + f"median iterations (censored at the budget): GD {m_gd:g}, IGAHD {m_ig:g}, heavy ball "
                 f"{_censored_median(hits[hb], b):g}, {igahd_big} {_censored_median(hits[igahd_big], b):g}")
        osc = observation(
            "phase_oscillation_reduction",
            f"well-adjusted parameters reduce oscillations: IGAHD (α = {a_star:g}, some β of {p['beta']:g}, "
            f"{beta_big:.3g}) has ≤ {THIRD_SENTENCE['oscillation']:g}× heavy ball's median upward variation of "
            "log loss" + within, THIRD_SENTENCE["oscillation"], best_up / hb_up if oscillates else float("nan"),
            THIRD_SENTENCE["oscillation"] - best_up / hb_up if oscillates else float("nan"),
            hypotheses=((f"heavy ball oscillates: its median upward variation of log loss is ≥ "
                         f"{THIRD_SENTENCE['min_upward']} (measured {hb_up:.3g})", bool(oscillates)),),
            at=float(k), at_name="k", note="median upward variation of log loss: " + ", ".join(
                f"{n} {up_med[n]:.3g}" for n in names) + "; median loss increases: " + ", ".join(
                f"{n} {int(np.median(inc[n]))}" for n in names))
        per_budget.append((acc, osc))
    final = []
    for which in range(2):
        checks = [pair[which] for pair in per_budget]
        statuses = {c.status for c in checks}
        figures = "; ".join(f"{b} iterations: {c.label} ({c.note})" for b, c in zip(budgets, checks, strict=True))
        same = len(statuses) == 1
        statement = checks[0].statement.replace(f" within {budgets[0]} iterations",
                                                f" within {' and '.join(map(str, budgets))} iterations")
        final.append(replace(checks[0], statement=statement, status=checks[0].status if same else "inconclusive",
                             note=("the same reading at every budget" if same else
                                   "the reading changes with the budget") + f" — {figures}"))
    return ThirdSentenceResult(k, a_star, {n: list(v) for n, v in methods.items()},
                               {n: h.tolist() for n, h in hits.items()}, {n: v.tolist() for n, v in inc.items()},
                               {n: v.tolist() for n, v in up.items()}, curves, tuple(budgets), tuple(final),
                               {"form": form, "step": s, "loss_tol": p["loss_tol"], "trials": T, "n": p["n"],
                                "m": p["m"], "d": p["d"],
                                **{f"threshold_{key}": v for key, v in THIRD_SENTENCE.items()}})


def plot_third_sentence(res: ThirdSentenceResult):
    """The talk's "training to zero-loss" figure: loss(ℓ) of trial 0 for every method on one axis."""
    from .._core import subplots
    fig, ax = subplots(figsize=(7.0, 3.4))
    for name, curve in res.curves.items():
        c = np.asarray(curve, float)
        ax.semilogy(np.arange(c.size)[np.isfinite(c)], c[np.isfinite(c)], label=name, lw=1.2)
    ax.axhline(res.params["loss_tol"], color="gray", ls=":", lw=1, label="tolerance")
    ax.set_xlabel("iteration ℓ")
    ax.set_ylabel("loss L(θ_ℓ)")
    ax.set_title(f"Training to zero loss: k = {res.k}, α = {res.alpha:g}, trial 0")
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig
