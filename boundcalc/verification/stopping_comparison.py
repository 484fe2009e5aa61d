"""Stopping rules side by side on the same DIP runs (optional: needs PyTorch), measured in dB lost against the
oracle best, iterations spent after the returned iterate, and how often each rule never fires.

One run is one (problem, generator, optimizer, noise level, seed): the generator is trained in torch
(:func:`~boundcalc.dynamics.torch_training.train_torch`) with every iterate kept, a second run on y + δb gives the
SURE estimate (:func:`~boundcalc.verification.stopping.sure_curve`; the cost is that second run), a second noisy
copy y₂ of the data feeds the validation rule, and each rule of :mod:`boundcalc.verification.stopping` is
replayed on the recorded iterates. Each finished run is written to ``out/runs/<name>.json`` and reused when the
sweep is rerun (an interrupted sweep resumes). :func:`landweber_oracle` gives the exact PSNR-optimal Landweber
iterate of a periodic blur from its spectrum, a closed-form check on the oracle for runs that move like Landweber.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._core import Result, positive_float, positive_int, progress_bar
from ..problems import TALK_NOISE_STD, deblurring_problem, normal_integration_problem

__all__ = ["RULES", "CONV_RUN", "check_comparison", "check_runs_folder", "run_rules", "stopping_comparison",
           "ComparisonResult", "landweber_oracle", "landweber_rules", "summarise", "plot_comparison"]

#: The rules compared, in table order (docs/THEORY_NOTES.md, "Stopping rules").
RULES = ("theorem T_ES", "discrepancy (σ known)", "discrepancy (σ estimated)", "discrepancy τ = 2 (σ known)",
         "ES-WMV", "ES-EMV", "SURE minimum", "validation copy", "oracle: best EMA")


def _landweber_filters(problem: Any, step: float, iterations: int):
    """The closed form of Landweber x_{ℓ+1} = x_ℓ + γAᵀ(y − A x_ℓ) from x_0 = 0 on a periodic blur, per Fourier
    frequency: (A, |ĥ|², and a generator of chunks (ℓ, keep, f, q) with keep = (1 − γ|ĥ|²)^ℓ, f = 1 − keep and
    q = f/|ĥ|² (→ γℓ where ĥ = 0)). f is −expm1(ℓ·log1p(−γ|ĥ|²)) where γ|ĥ|² is small: no cancellation, exact
    where ĥ is tiny; the power elsewhere."""
    from ..linalg.operators import Convolution2D
    A = problem.A
    if not isinstance(A, Convolution2D):
        raise TypeError("problem: the Landweber closed form needs a periodic blur (Convolution2D)")
    gamma = positive_float(step, "step")
    iterations = positive_int(iterations, "iterations", minimum=0)
    h2 = np.abs(A._fft) ** 2
    if gamma * h2.max() >= 2:
        raise ValueError(f"step: γ·‖A‖² = {gamma * h2.max():.3g} must be < 2 for Landweber to converge")
    g2 = gamma * h2
    small = g2 < 0.5
    logr = np.log1p(-np.where(small, g2, 0.0))

    def chunks():
        for c0 in range(0, iterations + 1, 128):
            ls = np.arange(c0, min(iterations + 1, c0 + 128))[:, None, None]
            keep = np.where(small, np.exp(ls * logr), (1.0 - g2) ** ls)
            f = np.where(small, -np.expm1(ls * logr), 1.0 - keep)
            with np.errstate(divide="ignore", invalid="ignore"):
                q = np.where(h2 > 0, f / h2, gamma * ls)
            yield slice(c0, c0 + ls.shape[0]), keep, f, q
    return A, h2, chunks()


def landweber_oracle(problem: Any, *, step: float = 1.0, iterations: int = 2000) -> tuple[int, float, np.ndarray]:
    """(ℓ*, PSNR*, PSNR(ℓ) for ℓ = 0 … ``iterations``) of Landweber x_{ℓ+1} = x_ℓ + γAᵀ(y − A x_ℓ) from x_0 = 0
    on a periodic blur, in closed form in the Fourier basis: x̂_ℓ = (1 − (1 − γ|ĥ|²)^ℓ) ŷ/ĥ
    (:func:`_landweber_filters`). The two-layer net from V(0) ≈ 0 with V trained alone moves like this
    (docs/numerics.md)."""
    from .experiments import psnr
    A, h2, chunks = _landweber_filters(problem, step, iterations)
    Y = np.fft.fft2(problem.y.reshape(A.image_shape))
    X = np.fft.fft2(problem.x_bar.reshape(A.image_shape))
    with np.errstate(divide="ignore", invalid="ignore"):
        naive = np.where(h2 > 0, np.conj(A._fft) * Y / h2, 0.0)
    errs = np.empty(int(iterations) + 1)
    for sl, _, f, _ in chunks:
        errs[sl] = np.sqrt(np.sum(np.abs(f * naive - X) ** 2, axis=(1, 2)) / X.size)
    p = psnr(errs, problem.x_bar)
    best = int(np.argmax(p))
    return best, float(p[best]), p


def landweber_rules(problem: Any, sigma: float | None, *, step: float = 1.0, iterations: int = 2000,
                    tau: float = 1.0) -> dict[str, Any]:
    """Stopping rules for Landweber from x_0 = 0 on a periodic blur, in closed form and without x̄ (issue 34 §3):
    built from the theory's own quantities — the spectrum of A, the step γ and the noise level σ.

    With f_ℓ = 1 − (1 − γ|ĥ|²)^ℓ per frequency, x̂_ℓ = f_ℓ ŷ/ĥ and the residual is (1 − f_ℓ)ŷ (numpy's unnormalised
    FFT: E|ε̂|² = nσ² per frequency). Returned (each an iteration ℓ in 0 … ``iterations``):

    - ``discrepancy``: the first ℓ with ‖A x_ℓ − y‖ ≤ τσ√m (None if never);
    - ``upre``: the minimiser of the unbiased predictive-risk estimate ‖A x_ℓ − y‖² + 2σ² tr(A F_ℓ) − mσ²
      (Mallows' C_L; tr(A F_ℓ) = Σ f_ℓ);
    - ``gcv``: the minimiser of generalised cross-validation ‖A x_ℓ − y‖²/(m − tr(A F_ℓ))², which needs no σ;
    - ``x_risk``: the minimiser of the unbiased estimate of ‖x_ℓ − x̄‖² itself, (1/n)Σ q[(f − 2)|ŷ|² + 2nσ²] up to
      a constant, q = f/|ĥ|² (→ γℓ where ĥ → 0). Unbiased, but its variance grows with 1/|ĥ|²: measured it is the
      worst of the four (docs/THEORY_NOTES.md).

    The rules that need σ are None when ``sigma`` is None. Also returned: ``residual`` ‖A x_ℓ − y‖, ``trace``
    tr(A F_ℓ) and each minimised ``curves[name]``, for ℓ = 0 … ``iterations``."""
    sigma = None if sigma is None else positive_float(sigma, "sigma")
    tau = positive_float(tau, "tau")
    A, _, chunks = _landweber_filters(problem, step, iterations)
    Y2 = np.abs(np.fft.fft2(problem.y.reshape(A.image_shape))) ** 2
    n = Y2.size
    rss, trace, xq1, xq2 = (np.empty(int(iterations) + 1) for _ in range(4))
    for sl, keep, f, q in chunks:
        rss[sl] = np.sum(keep**2 * Y2, axis=(1, 2)) / n
        trace[sl] = np.sum(f, axis=(1, 2))
        xq1[sl] = np.sum(q * (f - 2.0) * Y2, axis=(1, 2)) / n
        xq2[sl] = np.sum(q, axis=(1, 2)) * 2.0
    curves = {"gcv": rss / (n - trace) ** 2}
    out: dict[str, Any] = {"residual": np.sqrt(rss), "trace": trace, "curves": curves,
                           "discrepancy": None, "upre": None, "x_risk": None}
    if sigma is not None:
        below = np.flatnonzero(np.sqrt(rss) <= tau * sigma * np.sqrt(n))
        out["discrepancy"] = int(below[0]) if below.size else None
        curves["upre"] = rss + 2 * sigma**2 * trace - n * sigma**2
        curves["x_risk"] = xq1 + xq2 * sigma**2
    out.update({name: int(np.argmin(c)) for name, c in curves.items()})
    return out


#: The comparison's convolutional DIP (``conv_options`` overrides entries): the ConvDecoder shape of issue 26.
CONV_RUN = {"channels": 32, "depth": 3, "activation": "softplus", "norm": "batch"}


def _problem(name: str, size: tuple[int, int], noise_factor: float, seed: int) -> tuple[Any, np.ndarray]:
    """The problem at ``noise_factor`` × the talk's σ, and a second noisy copy y₂ (an independent draw)."""
    std = noise_factor * TALK_NOISE_STD[name]
    make = deblurring_problem if name == "deblurring" else normal_integration_problem
    prob = make(size, noise_std=std, seed=seed)
    copy = make(size, noise_std=std, seed=seed + 1_000_003)
    return prob, copy.y


def run_rules(problem: Any, y_copy: np.ndarray, sigma: float, *, net: str = "conv", optimizer: str = "adam",
              iterations: int = 1500, net_seed: int = 0, window: int = 100, patience: int = 1000,
              sure: bool = True, conv_options: dict[str, Any] | None = None,
              keep_images: bool = False, mechanism_checkpoints: int = 0, device: str | None = None) -> dict[str, Any]:
    """Train one DIP on ``problem`` (noise std ``sigma`` per entry, the model's: "σ known") keeping every iterate,
    replay every rule of :data:`RULES` on it, and return
    the record (JSON-ready): per rule the iteration it fired, the iterate it returned, PSNR, dB lost against the
    best raw iterate, iterations spent, never fired; the oracle figures; PSNR(ℓ) (``psnr_curve``); the seconds
    each part took; with ``keep_images`` the best and last iterates (``images``); with ``mechanism_checkpoints`` N
    the theorem's mechanism at N log-spaced checkpoints (``mechanism``, and the result object under
    ``_mechanism`` for a figure: :func:`~boundcalc.verification.mechanism.plot_mechanism`). ``device``: where
    both runs train ("cpu", default, or "cuda"); the rules read the iterates on the host."""
    from ..dynamics.torch_training import train_torch
    from . import stopping as st
    from .dip import _check_device, _network, optimizer_settings
    device = _check_device(device)
    t0 = time.perf_counter()
    opts = {**CONV_RUN, **(conv_options or {})}
    gen = _network(problem, net, net_seed, opts, device=device)
    kw = optimizer_settings(gen, problem.A, optimizer)
    modulo = "kernel" in problem.info
    from ..dynamics.torch_training import log_checkpoints
    keep = log_checkpoints(iterations, mechanism_checkpoints) if mechanism_checkpoints else None
    tr = train_torch(gen, problem.A, problem.y, optimizer=optimizer, iterations=iterations, keep_x="all",
                     x_bar=problem.x_bar, modulo_constants=modulo, keep_theta=keep, **kw)
    xs = tr.x_samples
    if modulo:  # x̄ is known up to the constants: compare (and stop) on centred iterates
        xs = xs - xs.mean(axis=1, keepdims=True) + problem.x_bar.mean()
    t_run = time.perf_counter() - t0
    l_best, p_best = st.oracle_best(xs, problem.x_bar)
    l_ema, p_ema = st.ema_oracle(xs, problem.x_bar)
    shape = tuple(problem.info["image_shape"])
    m = problem.m
    sigma_true = positive_float(sigma, "sigma")
    # the estimator reads an image: y itself for a blur, its first gradient component for normal integration
    sigma_hat = st.estimate_sigma(problem.y[: problem.n], shape)
    rules: dict[str, Any] = {}
    if net == "two-layer" and optimizer in ("igahd", "gd"):
        from ..nets.two_layer import TwoLayerDIP
        from ..theory.bounds import check_initialization
        from .experiments import IMAGING_RUN
        two = TwoLayerDIP(problem.n, IMAGING_RUN["d"], IMAGING_RUN["k"], "tanh", seed=net_seed,
                          v_scale=IMAGING_RUN["v_scale"])
        check = check_initialization(problem.A, problem.y, two, dynamics="gd" if optimizer == "gd" else "isehd")
        clock = math.sqrt(kw["step"]) if optimizer == "igahd" else kw["step"]
        rules["theorem T_ES"] = st.theorem_rule(check, problem.noise_norm, clock,
                                                dynamics="gd" if optimizer == "gd" else "isehd")
    else:
        why = ("no certified Lip(J) for a general network (THEORY §3)" if net != "two-layer" else
               "Adam has no theorem, so no T_ES clock")
        rules["theorem T_ES"] = st.FixedIteration(math.inf, applicable=False, name="theorem T_ES",
                                                  reason=f"not_applicable: {why}")
    rules["discrepancy (σ known)"] = st.Discrepancy(problem.A, problem.y, sigma_true)
    rules["discrepancy (σ estimated)"] = st.Discrepancy(problem.A, problem.y, sigma_hat, sigma_source="estimated")
    rules["discrepancy τ = 2 (σ known)"] = st.Discrepancy(problem.A, problem.y, sigma_true, tau=2.0)
    rules["ES-WMV"] = st.ESWMV(window=window, patience=patience)
    rules["ES-EMV"] = st.ESEMV(patience=patience, start=window)
    rules["validation copy"] = st.Validation(problem.A, y_copy, patience=100)
    out: dict[str, Any] = {}
    for name, rule in rules.items():
        out[name] = st.replay(rule, xs, problem.x_bar, oracle=p_best).to_dict()
    t_sure = 0.0
    if sure:
        t1 = time.perf_counter()
        rng = np.random.default_rng([net_seed, 7])
        b = rng.standard_normal(m)
        delta = 1e-3 * float(np.linalg.norm(problem.y)) / math.sqrt(m)
        tr2 = train_torch(gen, problem.A, problem.y + delta * b, optimizer=optimizer, iterations=iterations,
                          keep_x="all", **kw)
        xs2 = tr2.x_samples
        if modulo:
            xs2 = xs2 - xs2.mean(axis=1, keepdims=True) + problem.x_bar.mean()
        common = min(len(xs), len(xs2))  # a run that diverged stops early: SURE over the iterates both have
        curve = st.sure_curve(problem.A, problem.y, sigma_true, xs[:common], xs2[:common], b, delta)
        l_sure = int(np.argmin(curve))
        p_sure = st._psnr(xs[l_sure], problem.x_bar)
        cut = "" if common == len(xs) == len(xs2) else f"; over the first {common} iterates (a run diverged)"
        out["SURE minimum"] = st.RuleOutcome("SURE minimum", l_sure, l_sure, p_sure, p_best - p_sure, 0, False,
                                             "offline: the minimum of SURE over the run (a second run on y + δb)"
                                             + cut).to_dict()
        t_sure = time.perf_counter() - t1
    out["oracle: best EMA"] = st.RuleOutcome("oracle: best EMA", l_ema, l_ema, p_ema, p_best - p_ema, 0, False,
                                             "needs x̄: the best exponential moving average (α = 0.1)").to_dict()
    psnr_y = None
    if problem.m == problem.n:
        from .experiments import psnr
        psnr_y = float(psnr([np.linalg.norm(problem.y - problem.x_bar)], problem.x_bar)[0])
    from .experiments import psnr as _psnr_curve
    curve = _psnr_curve(np.linalg.norm(xs - problem.x_bar, axis=1), problem.x_bar)
    extra: dict[str, Any] = {"images": {"best": xs[l_best].tolist(), "end": xs[-1].tolist()}} if keep_images else {}
    if mechanism_checkpoints:
        from .mechanism import mechanism
        t1 = time.perf_counter()
        mech = mechanism(gen, problem, tr)
        extra.update(mechanism={**mech.to_dict(), "seconds": time.perf_counter() - t1}, _mechanism=mech)
    return {**extra, "psnr_curve": curve.tolist(), "problem": problem.name, "net": net, "optimizer": optimizer,
            "iterations": iterations,
            "net_seed": net_seed, "problem_seed": problem.seed, "sigma": sigma_true, "sigma_estimated": sigma_hat,
            "psnr_y": psnr_y, "oracle_best": {"iteration": l_best, "psnr": p_best},
            "ema_beats_every_iterate": bool(p_ema > p_best), "rules": out, "parameters": gen.p,
            "status": tr.status, "device": device,
            "seconds": {"run": t_run, "sure_second_run": t_sure}}


@dataclass(frozen=True, repr=False)
class ComparisonResult(Result):
    """The sweep: every run's record (``runs``) and the summary table per (problem, net, optimizer, rule):
    dB lost (median, mean, 90th percentile, worst, over the runs where the rule fired), median iterations
    spent, never-fired count."""

    runs: tuple
    table: tuple
    settings: dict

    def __repr__(self) -> str:
        lines = [f"{'problem / net / optimizer':<36} {'rule':<28} {'median':>7} {'mean':>6} {'p90':>6} {'worst':>6} "
                 f"{'spent':>6} {'never':>6}"]
        for r in self.table:
            def f(v):
                return "—" if v is None else f"{v:.2f}"
            spent = "—" if r["median_spent"] is None else f"{r['median_spent']:.0f}"
            lines.append(f"{r['problem'] + ' / ' + r['net'] + ' / ' + r['optimizer']:<36} {r['rule']:<28} "
                         f"{f(r['median_db_lost']):>7} {f(r['mean_db_lost']):>6} {f(r['p90_db_lost']):>6} "
                         f"{f(r['worst_db_lost']):>6} {spent:>6} {r['never_fired']:>3}/{r['runs']:<2}")
        return "\n".join(lines)


def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The table rows of :class:`ComparisonResult` from run records."""
    groups: dict[tuple, list] = {}
    for r in runs:
        groups.setdefault((r["problem"], r["net"], r["optimizer"]), []).append(r)
    rows = []
    for (prob, net, opt), rs in groups.items():
        for rule in RULES:
            outs = [r["rules"][rule] for r in rs if rule in r["rules"]]
            if not outs:
                continue
            lost = np.array([o["db_lost"] for o in outs if not o["never_fired"]], float)
            spent = [o["spent"] for o in outs if not o["never_fired"] and o["spent"] is not None]
            rows.append({"problem": prob, "net": net, "optimizer": opt, "rule": rule, "runs": len(outs),
                         "never_fired": sum(o["never_fired"] for o in outs),
                         "median_db_lost": float(np.median(lost)) if lost.size else None,
                         "mean_db_lost": float(np.mean(lost)) if lost.size else None,
                         "p90_db_lost": float(np.percentile(lost, 90)) if lost.size else None,
                         "worst_db_lost": float(np.max(lost)) if lost.size else None,
                         "median_spent": float(np.median(spent)) if spent else None})
    return rows


#: What ``boundcalc stopping --out`` writes beside ``runs/``: the figure of :func:`plot_comparison`.
COMPARISON_OUTPUTS = ("stopping_rules.png",)


def check_runs_folder(out: str | Path) -> Path:
    """A comparison folder: new, empty, or one a previous comparison wrote (``runs/`` of ``*.json`` and the
    ``*.part`` an interrupted write leaves, and :data:`COMPARISON_OUTPUTS`). Anything else is refused before
    any work (ValueError)."""
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            raise ValueError(f"out: {out} exists and is not a folder")
        runs = out / "runs"
        # a figure of that name without runs/ beside it was not drawn by a comparison: the user's, kept
        ours = {"runs", *((*COMPARISON_OUTPUTS, *(f".{name}.tmp" for name in COMPARISON_OUTPUTS))
                          if runs.is_dir() else ())}
        foreign = [p.name for p in out.iterdir() if p.name not in ours]
        if runs.exists():
            if not runs.is_dir():
                foreign.append("runs (a file)")
            else:
                foreign += [f"runs/{p.name}" for p in runs.iterdir() if p.suffix not in (".json", ".part")]
        if foreign:
            raise ValueError(f"out: {out} holds files a stopping comparison did not write ({', '.join(foreign[:5])});"
                             " choose a new folder (an existing one is reused only to resume)")
    return out


def _comparison_run(problem: str, size: tuple[int, int], net: str, opt: str, factor: float, seed: int,
                    iterations: int, window: int, patience: int, sure: bool, conv_options: Any,
                    device: str = "cpu") -> dict[str, Any]:
    """One run of the comparison's grid (a module-level function: an executor ships it to a worker)."""
    prob, y2 = _problem(problem, size, factor, seed)
    return {**run_rules(prob, y2, factor * TALK_NOISE_STD[problem], net=net, optimizer=opt, iterations=iterations,
                        net_seed=seed, window=window, patience=patience, sure=sure, conv_options=conv_options,
                        device=device),
            "noise_factor": factor}


def check_comparison(problem: str, *, size: tuple[int, int], nets: tuple, optimizers: tuple, seeds: int,
                     noise_factors: tuple, iterations: int, conv_options: dict | None = None,
                     device: str | None = None, executor: Any = None) -> tuple[int, int, tuple, str]:
    """Every input of :func:`stopping_comparison` checked, by name, before any run (or a dask cluster) starts:
    (seeds, iterations, noise factors, device) as the sweep uses them; ValueError otherwise."""
    from ..dynamics.torch_training import OPTIMIZERS
    from .dip import NETS, _check_device
    if problem not in ("deblurring", "normal-integration"):
        raise ValueError(f"problem must be 'deblurring' or 'normal-integration', got {problem!r}")
    device = _check_device(device)
    if executor is not None and device != "cpu":
        raise ValueError(f"device: {device!r} with an executor; the executor's workers train on their CPUs "
                         "(leave device out, or run without the executor)")
    seeds = positive_int(seeds, "seeds")
    iterations = positive_int(iterations, "iterations")
    factors = tuple(positive_float(f, "noise") for f in noise_factors)
    for net in nets:
        if net not in NETS:
            raise ValueError(f"nets: each must be one of {NETS}, got {net!r}")
    for opt in optimizers:
        if opt not in OPTIMIZERS:
            raise ValueError(f"optimizers: each must be one of {OPTIMIZERS}, got {opt!r}")
    if "conv" in nets:
        from ..nets.conv import check_decoder_size
        check_decoder_size(size, {**CONV_RUN, **(conv_options or {})}["depth"])
    return seeds, iterations, factors, device


def stopping_comparison(problem: str = "deblurring", *, size: tuple[int, int] = (32, 32), nets: tuple = ("conv",),
                        optimizers: tuple = ("adam",), seeds: int = 5, noise_factors: tuple = (0.5, 1.0, 2.0),
                        iterations: int = 1500, out: str | Path | None = None, window: int = 100,
                        patience: int = 1000, sure: bool = True, conv_options: dict | None = None,
                        progress: bool = False, executor: Any = None, device: str | None = None,
                        announce: Any = None) -> ComparisonResult:
    """Every rule on every run of the grid (``nets`` × ``optimizers`` × ``noise_factors`` × ``seeds``; the
    problem noise and the network both take the seed). With ``out``, each run is written to
    ``out/runs/<name>.json`` as it finishes and reused by a rerun (resume). With ``executor`` (a
    ``concurrent.futures`` executor, e.g. :func:`~boundcalc.verification.sweeps.dask_executor`'s) the runs not on
    disk run there, each saved here as it comes back; an interrupt cancels the others and keeps the finished.
    ``device`` "cuda" trains the runs in turn on the GPU (not with an executor, whose workers are CPU
    processes); a run on the GPU is kept under a name of its own, so a resume never mixes the two devices'
    figures, which agree to rounding only. ``announce`` (a callable taking one line) hears the plan once every
    input is checked and before any run starts.

    Examples
    --------
    >>> res = stopping_comparison("deblurring", size=(16, 16), seeds=2, noise_factors=(1.0,), iterations=30,
    ...                           window=5, patience=5, sure=False, conv_options={"channels": 4, "depth": 1})
    >>> len(res.runs), res.settings["device"]
    (2, 'cpu')
    >>> row = next(r for r in res.table if r["rule"] == "discrepancy (σ known)")
    >>> row["runs"], row["never_fired"] + (row["median_db_lost"] is not None) >= 1
    (2, True)
    """
    seeds, iterations, factors, device = check_comparison(problem, size=size, nets=nets, optimizers=optimizers,
                                                          seeds=seeds, noise_factors=noise_factors,
                                                          iterations=iterations, conv_options=conv_options,
                                                          device=device, executor=executor)
    folder = None if out is None else check_runs_folder(out) / "runs"
    grid = [(net, opt, f, s) for net in nets for opt in optimizers for f in factors for s in range(seeds)]
    if announce is not None:
        announce(f"{len(grid)} run{'s' if len(grid) != 1 else ''} of {iterations} iterations "
                 f"({'with' if sure else 'without'} the second run SURE needs) "
                 f"{'on ' + device if executor is None else 'on the executor'}; each finished run is kept"
                 + (f" in {folder}/" if folder is not None else ""))
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    bar = progress_bar(total=len(grid), desc="stopping rules", enabled=progress, unit="run")
    records: dict[int, dict[str, Any]] = {}
    todo = []
    for i, (net, opt, f, s) in enumerate(grid):
        path = None if folder is None else \
            folder / (f"{problem}_{size[0]}x{size[1]}_{net}_{opt}_noise{f:g}_seed{s}_it{iterations}"
                      + ("" if device == "cpu" else f"_{device.replace(':', '')}") + ".json")
        if path is not None and path.is_file():
            records[i] = json.loads(path.read_text())
            bar.update()
        else:
            todo.append((i, path, (problem, size, net, opt, f, s, iterations, window, patience, sure, conv_options,
                                   device)))

    def keep(i: int, path: Path | None, rec: dict[str, Any]) -> None:
        if path is not None:
            tmp = path.with_suffix(".part")
            tmp.write_text(json.dumps(rec))
            tmp.replace(path)  # a run is either whole on disk or absent
        records[i] = rec
        bar.update()
    try:
        if executor is None:
            for i, path, spec in todo:
                keep(i, path, _comparison_run(*spec))
        else:
            from concurrent.futures import as_completed
            futures = {executor.submit(_comparison_run, *spec): (i, path) for i, path, spec in todo}
            try:
                for fut in as_completed(futures):
                    keep(*futures[fut], fut.result())
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
    except KeyboardInterrupt as exc:  # the finished runs are on disk: say so (not "partial outputs were removed")
        from .._core import Terminated
        from .sweeps import SweepInterrupted
        raise SweepInterrupted(len(records), len(grid), None if folder is None else folder.parent,
                               143 if isinstance(exc, Terminated) else 130, unit="runs") from None
    finally:
        bar.close()
    runs = [records[i] for i in range(len(grid))]
    return ComparisonResult(tuple(runs), tuple(summarise(runs)),
                            {"problem": problem, "size": list(size), "nets": list(nets), "optimizers": list(optimizers),
                             "seeds": seeds, "noise_factors": list(factors), "iterations": iterations,
                             "window": window, "patience": patience, "sure": sure, "device": device})


def plot_comparison(res: ComparisonResult):
    """One panel per (problem, net, optimizer) of the comparison: a box per rule of the dB it lost against the
    best raw iterate, over the runs where it fired (the points are the runs), and on the right how many runs it
    never fired in. A rule that never fired has no box; a negative loss (the averaged output, which can beat
    every raw iterate) lies left of the dashed zero line.

    Examples
    --------
    >>> res = stopping_comparison("deblurring", size=(16, 16), seeds=2, noise_factors=(1.0,), iterations=20,
    ...                           window=3, patience=3, sure=False, conv_options={"channels": 4, "depth": 1})
    >>> len(plot_comparison(res).axes)
    1
    """
    from .._core import subplots
    groups: dict[tuple, list] = {}
    for r in res.runs:
        groups.setdefault((r["problem"], r["net"], r["optimizer"]), []).append(r)
    rules = [rule for rule in RULES if any(rule in r["rules"] for r in res.runs)]
    fig, axes = subplots(len(groups), 1, figsize=(8.0, 0.42 * len(rules) * len(groups) + 1.0 * len(groups)),
                         layout="constrained", squeeze=False)
    for ax, ((prob, net, opt), runs) in zip(axes[:, 0], groups.items(), strict=True):
        lost, never = [], []
        for rule in rules:
            outs = [r["rules"][rule] for r in runs if rule in r["rules"]]
            lost.append([o["db_lost"] for o in outs if not o["never_fired"]])
            never.append((sum(o["never_fired"] for o in outs), len(outs)))
        y = np.arange(len(rules))[::-1]  # the table's order, top to bottom
        filled = [i for i, v in enumerate(lost) if v]
        if filled:
            ax.boxplot([lost[i] for i in filled], positions=y[filled], vert=False, widths=0.55, showfliers=False,
                       medianprops={"color": "C1", "linewidth": 2})
            for i in filled:
                ax.plot(lost[i], np.full(len(lost[i]), y[i]), "o", ms=3, color="C0", alpha=0.6, zorder=3)
        ax.axvline(0.0, color="0.5", ls="--", lw=0.8)
        ax.set_yticks(y, rules, fontsize=8)
        ax.set_ylim(-0.7, len(rules) - 0.3)
        for yi, (nv, total) in zip(y, never, strict=True):
            ax.annotate(f"never {nv}/{total}" if nv else "", (1.0, yi), xycoords=("axes fraction", "data"),
                        xytext=(4, 0), textcoords="offset points", va="center", fontsize=7, color="0.35")
        ax.set_xlabel("dB lost against the best raw iterate (runs where the rule fired)")
        noise = sorted({r.get("noise_factor") for r in runs if r.get("noise_factor") is not None})
        ax.set_title(f"{prob} / {net} / {opt}: {len(runs)} runs"
                     + (f", noise {', '.join(f'{f:g}' for f in noise)} × the talk's σ" if noise else ""), fontsize=9)
    return fig
