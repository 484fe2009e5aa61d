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
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._core import Result
from ..dynamics import gradient_descent, igahd_dip, igahd_dip_batched, make_objective
from ..linalg.operators import spectrum
from ..nets.two_layer import TwoLayerDIP
from ..problems import Problem
from ..theory.bounds import check_initialization, compute_bounds, x_space_bound
from ..theory.width import instance_width, required_width
from .claims import ClaimCheck
from .sweeps import PhaseDiagramResult

__all__ = ["fit_growth_exponent", "MIN_FIT_POINTS",
           "EarlyStoppingRun", "early_stopping_experiment", "psnr", "WidthRow", "width_table",
           "phase_diagram_claims", "REGIMES"]


def psnr(x_dist: Any, x_bar: np.ndarray) -> np.ndarray:
    """PSNR = 20 log₁₀(range(x̄) / RMSE), RMSE = ‖x − x̄‖/√n, in dB."""
    peak = float(np.max(x_bar) - np.min(x_bar)) or 1.0
    rmse = np.asarray(x_dist, dtype=float) / math.sqrt(x_bar.size)
    with np.errstate(divide="ignore"):
        return 20 * np.log10(peak / rmse)


@dataclass(frozen=True, repr=False)
class EarlyStoppingRun(Result):
    """One run on an imaging problem: curves, the measured best time and the predicted T_ES."""

    problem: str
    dynamics: str
    t: np.ndarray
    x_dist: np.ndarray
    psnr: np.ndarray
    data_fit: np.ndarray
    best_t: float
    best_psnr: float
    end_psnr: float
    T_ES: float
    T_ES_reached: bool
    x_space_bound_at_best: float
    x_space_note: str
    non_degenerate: bool
    R_prime_over_R: float
    params: dict
    images: dict = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.pop("images")
        return d


def early_stopping_experiment(problem: Problem, *, k: int = 1000, d: int = 8, seed: int = 0,
                              iterations: int = 2000, record_every: int = 10) -> tuple[EarlyStoppingRun, ...]:
    """IGAHD (form ode, α = 1, β = 0.05, s = 0.25/L) and GD (γ = 0.5/L), L = σ_max(J)²‖A‖² the
    gradient's scale at θ₀, from one seeded two-layer network, on an imaging problem whose x̄ and ε
    are known. T_ES is the theorem's (§3 ii) with the instance's constants — computed whether or
    not the theorem's hypotheses hold (``non_degenerate`` and R′/R say whether they do)."""
    if problem.x_bar is None or problem.noise is None:
        raise ValueError("problem: the early-stopping experiment needs x̄ and ε (a built-in problem)")
    net = TwoLayerDIP(problem.n, d, k, "tanh", seed=seed)
    spec = spectrum(problem.A)
    check = check_initialization(problem.A, problem.y, net, spec=spec)
    bounds = compute_bounds(check, noise_norm=problem.noise_norm)
    L = check.sigma_max_J**2 * spec.norm_A**2
    shape = tuple(problem.info.get("image_shape", (problem.n,)))
    lam = spec.sigma_n
    clean = problem.y_clean
    runs = []
    for name, run in (("igahd", lambda o: igahd_dip(o, alpha=1.0, beta=0.05, step=0.25 / L, iterations=iterations,
                                                    record_every=record_every, keep_x=True)),
                      ("gd", lambda o: gradient_descent(o, step=0.5 / L, iterations=iterations,
                                                        record_every=record_every, keep_x=True))):
        tr = run(make_objective(net, problem.A, problem.y, x_bar=problem.x_bar))
        x_dist = tr.x_dist
        modulo_constants = "kernel" in problem.info
        if modulo_constants:  # x̄ is defined up to the constants: compare modulo them
            x_dist = np.linalg.norm((tr.x_samples - tr.x_samples.mean(axis=1, keepdims=True))
                                    - (problem.x_bar - problem.x_bar.mean()), axis=1)
        p = psnr(x_dist, problem.x_bar)
        best = int(np.argmax(p))
        T = bounds.T_ES
        reached = bool(np.isfinite(T) and tr.t[-1] >= T)
        at_T = int(np.searchsorted(tr.t, T)) if reached else None
        if lam > 0:  # nan (unresolved) compares False: no certified λ_min
            xb = x_space_bound(check, float(tr.t[best]), float(lam), noise_norm=problem.noise_norm)
            xs, note = xb.total, "λ_min ≥ σ_n(A) (certified for every cone); dist(x̄, Σ′) taken as 0"
        else:
            xs, note = float("inf"), ("σ_n(A) = 0 (A has a kernel or m < n): no certified λ_min > 0 here, "
                                      "the x-space bound is vacuous")
        fit = np.array([np.linalg.norm(problem.A @ x - clean) for x in tr.x_samples])
        seen = problem.y if problem.m == problem.n else np.asarray(problem.A.T @ problem.y).ravel()
        images = {"x_bar": problem.x_bar.reshape(shape), "y": seen.reshape(shape),
                  "best": tr.x_samples[best].reshape(shape),
                  "end": tr.x_samples[-1].reshape(shape)}
        if at_T is not None:
            images["T_ES"] = tr.x_samples[min(at_T, len(tr.t) - 1)].reshape(shape)
        runs.append(EarlyStoppingRun(
            problem.name, name, tr.t, x_dist, p, fit, float(tr.t[best]), float(p[best]), float(p[-1]), float(T),
            reached, float(xs), note, check.non_degenerate,
            float(check.R_prime / check.R) if check.R > 0 else float("inf"),
            {**tr.params, "k": k, "d": d, "seed": seed, "L": L, "sigma_A": spec.sigma_A,
             "modulo_constants": modulo_constants,
             "y_shown": "y" if problem.m == problem.n else "Aᵀy (back-projection)"}, images))
    return tuple(runs)


# ----------------------------------------------------------------------------- widths

@dataclass(frozen=True, repr=False)
class WidthRow(Result):
    """Three widths for one problem. ``k_instance``/``k_empirical`` are −1 when not found up to
    ``k_max``/``k_empirical_max`` (shown as "> max"), never guessed."""

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
        if self.k_instance <= 0:
            d["pass_probability"], d["pass_ci"] = None, None
        return d


def _empirical_width(problem: Problem, *, d: int, trials: int, iterations: int, loss_tol: float, k_max: int,
                     seed: int) -> tuple[int, float]:
    """Smallest k = 2^j whose IGAHD (ode, α = 1, β = 0.05, s = 0.25/L) runs bring the excess loss
    L − L* (L* = ½‖P⊥y‖², the part of y outside Im A) below ``loss_tol``·(L₀ − L*) with probability
    ≥ 0.9 over ``trials`` seeded networks within ``iterations`` (batched)."""
    from .claims import _range_residual
    A = np.asarray(problem.A @ np.eye(problem.n)) if not isinstance(problem.A, np.ndarray) else problem.A
    L_star = 0.5 * _range_residual(problem.A, problem.y) ** 2
    k, rate = 2, 0.0
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
                progress: bool = False, family: str = "gaussian") -> tuple[tuple[WidthRow, ...], dict[str, float]]:
    """k_theorem (c₁ = c₂ = C = 1), k_instance (§3 test on seeded draws, unbiased pass probability)
    and k_empirical for each problem, and the fitted exponents of k in n (log-log slope over the
    problems of ``family`` where the width was found) next to the theorem's n³ + nm² scaling."""
    rows = []
    for prob in problems:
        if progress:
            print(f"  widths: {prob.name} n = {prob.n}", flush=True)
        kt = required_width(prob.A, x_bar=prob.x_bar, noise_norm=prob.noise_norm).k_theorem
        inst = instance_width(prob.A, prob.y, d=d, seed=seed, k_max=k_max)
        ke, rate = _empirical_width(prob, d=d, trials=trials, iterations=iterations, loss_tol=loss_tol,
                                    k_max=k_empirical_max, seed=seed)
        rows.append(WidthRow(prob.name, prob.n, prob.m, kt, inst.k_instance if inst.found else -1, k_max,
                             inst.pass_probability, inst.ci, ke, k_empirical_max, rate))
    expo = {}
    for key in ("k_theorem", "k_instance", "k_empirical"):
        pts = [(r.n, getattr(r, key)) for r in rows
               if r.problem == family and getattr(r, key) > 0 and np.isfinite(getattr(r, key))]
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


def phase_diagram_claims(res: PhaseDiagramResult) -> tuple[ClaimCheck, ClaimCheck]:
    """The slide's "no gain in the under-parametrized regime" and "substantial gain in the
    over-parametrized regime" as claims (THEORY §11), with :data:`REGIMES`."""
    n = res.params["n"]
    alphas = np.asarray(res.alphas, dtype=float)
    if 0.0 not in alphas or not (alphas > 0).any():
        raise ValueError("phase_diagram_claims needs α = 0 (no inertia) and some α > 0 in the grid")
    base = int(np.flatnonzero(alphas == 0.0)[0])
    gain = {k: float(np.max(res.igahd[i, alphas > 0]) - res.igahd[i, base]) for i, k in enumerate(res.ks)}
    under = [k for k in res.ks if k < n]
    over = [k for k in res.ks if k >= 10 * n]
    out = []
    for cid, ks, statement, test in (
            ("phase_no_gain_under", under,
             f"no gain in the under-parametrized regime ({REGIMES['under']}): max_α P − P(α=0) ≤ "
             f"{REGIMES['flat_max_gain']} at every such width", lambda g: REGIMES["flat_max_gain"] - g),
            ("phase_gain_over", over,
             f"substantial gain in the over-parametrized regime ({REGIMES['over']}): max_α P − P(α=0) ≥ "
             f"{REGIMES['substantial_min_gain']} at every such width", lambda g: g - REGIMES["substantial_min_gain"])):
        hyps = [(f"the grid has widths with {REGIMES['under' if cid.endswith('under') else 'over']} (n = {n})",
                 bool(ks))]
        if not ks:
            out.append(ClaimCheck(cid, statement, float("nan"), float("nan"), "not_applicable", float("nan"),
                                  tuple(hyps), hyps[0][0]))
            continue
        margins = {k: test(gain[k]) for k in ks}
        worst = min(margins, key=margins.get)
        status = "holds" if margins[worst] >= 0 else "violated"
        out.append(ClaimCheck(cid, statement, REGIMES["flat_max_gain" if cid.endswith("under") else
                                                      "substantial_min_gain"], gain[worst], status,
                              float(margins[worst]), tuple(hyps), at=float(worst),
                              note="measured: the gain at the tightest width; gains " +
                                   ", ".join(f"k={k}: {gain[k]:+.2f}" for k in ks),
                              kind="talk (empirical)"))
    return out[0], out[1]
