"""Verification reports: Markdown + JSON + figures for a problem (``boundcalc report``).

A report is a list of sections. Each section is built by one function from the public API's
result objects, so a report never computes anything the Python API does not expose.
"""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._core import close_figure, jsonable, subplots
from ..io.outputs import check_output_folder, staged_output_folder
from ..linalg.operators import spectrum
from ..nets.two_layer import TwoLayerDIP
from ..problems import DEFAULT_NETWORK, DEFAULT_PROBLEM, Problem, default_problem

__all__ = ["Section", "build_report", "write_report", "SECTIONS"]


@dataclass
class Section:
    """One report section: Markdown text, JSON data, figures (name → matplotlib Figure) and the
    claims it checked (``(problem, ClaimCheck)`` pairs, for the verdict summary and tables.tex)."""

    key: str
    title: str
    markdown: str
    data: dict[str, Any]
    figures: dict[str, Any] = field(default_factory=dict)
    claims: list = field(default_factory=list)


def _md_table(rows: list[tuple[str, Any]]) -> str:
    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.6g}"
        return str(v)
    out = ["| quantity | value |", "|---|---|"]
    out += [f"| {k} | {fmt(v)} |" for k, v in rows]
    return "\n".join(out)


def _cell(text: Any) -> str:
    """Text for a Markdown table cell: a '|' inside would end the cell."""
    return str(text).replace("|", "\\|")


def claims_table(claims) -> str:
    """The Markdown table of claim checks: statement, kind, status, predicted, measured, margin and
    the note, the failed hypothesis, or the assumptions taken as given (never marked verified)."""
    rows = ["| claim | kind | status | predicted | measured | margin | note / failed hypothesis |",
            "|---|---|---|---|---|---|---|"]
    for c in claims:
        extra = c.failed_hypothesis if c.status == "not_applicable" else c.note
        if c.assumptions:
            extra = f"{extra}; assumed, not verified: {'; '.join(c.assumptions)}".lstrip("; ")
        rows.append(f"| `{c.claim_id}`: {_cell(c.statement)} | {c.kind} | **{c.status}** | {c.predicted:.4g} | "
                    f"{c.measured:.4g} | {c.margin:+.3g} | {_cell(extra)} |")
    return "\n".join(rows)


def spectrum_section(problem: Problem, context: dict[str, Any]) -> Section:
    """σ_A, ‖A‖, κ(A), rank and a plot of the singular values (THEORY.md §2)."""
    res = spectrum(problem.A)
    context["spectrum"] = res
    md = [_md_table([("m × n", f"{problem.m} × {problem.n}"), ("σ_A (smallest nonzero σ)", res.sigma_A),
                     ("‖A‖", res.norm_A), ("κ(A)", res.kappa_A), ("rank", res.rank),
                     ("rank tolerance", res.tol), ("gap at the rank decision", res.gap),
                     ("method", res.method)])]
    if res.ambiguous_rank:
        md.append("\n**Warning**: the singular-value gap is below 1e6; σ_A is set by the tolerance.")
    figures = {}
    s = res.singular_values
    if s is not None:
        fig, ax = subplots(figsize=(5, 3.2))
        ax.semilogy(np.arange(1, s.size + 1), np.maximum(s, 1e-300), "o-", ms=3)
        ax.axhline(res.tol, color="C3", ls="--", lw=1, label="rank tolerance")
        ax.set_xlabel("index i")
        ax.set_ylabel("σ_i(A)")
        ax.set_title("Singular values of A")
        ax.legend()
        fig.tight_layout()
        figures["spectrum.png"] = fig
        md.append("\n![singular values of A](spectrum.png)")
    return Section("spectrum", "Operator spectrum (THEORY §2)", "\n".join(md), res.to_dict(), figures)


def _formula_block(names: list[str]) -> str:
    from ..formulas import FORMULAS
    return "\n".join(f"- {FORMULAS[n].description} ({FORMULAS[n].section}, {FORMULAS[n].kind}): "
                     f"${FORMULAS[n].latex()}$" for n in names)


def initialization_section(problem: Problem, context: dict[str, Any]) -> Section:
    """The non-degeneracy check of THEORY.md §3 for the report's network."""
    from ..nets.two_layer import TwoLayerDIP
    from ..theory.bounds import check_initialization
    spec = context["network"]
    net = TwoLayerDIP(problem.n, spec["d"], spec["k"], spec["activation"], v_init=spec["v_init"],
                      seed=spec["seed"])
    res = check_initialization(problem.A, problem.y, net, spec=context.get("spectrum"))
    context["net"], context["check"] = net, res
    rows = [("network", repr(net)), ("σ_min(J_g(θ₀))", res.sigma_min_J), ("σ_max(J_g(θ₀))", res.sigma_max_J),
            ("κ(J_g(θ₀))", res.kappa_J), ("α = σ₀σ_A", res.alpha), ("β = 1/(2α)", res.beta), ("ξ", res.xi),
            ("η", res.eta), ("L₀", res.loss0), ("R′", res.R_prime), ("R", res.R), ("ℓ(R′)", res.lipschitz_J),
            ("margin (R − R′)/R", res.margin), ("verdict", f"**{res.verdict}**")]
    md = [_md_table(rows), "", "Hypotheses:", ""]
    md += [f"- {h.name}: **{h.status}**" + (f" — {h.detail}" if h.detail else "") for h in res.hypotheses]
    md += ["", "Formulas (rendered from the expressions that computed the numbers):", "",
           _formula_block(list(res.formulas()))]
    return Section("initialization", "Non-degenerate initialization (THEORY §2–§3)", "\n".join(md), res.to_dict())


def rates_section(problem: Problem, context: dict[str, Any]) -> Section:
    """Envelopes, early-stopping times, the GF/ISEHD comparison and the width (THEORY §3–§6)."""
    from ..theory.bounds import compute_bounds
    from ..theory.width import instance_width, required_width
    check = context["check"]
    bounds = compute_bounds(check, noise_norm=problem.noise_norm)
    width = required_width(problem.A, spec=context.get("spectrum"), x_bar=problem.x_bar,
                           noise_norm=problem.noise_norm)
    spec = context["network"]
    inst = instance_width(problem.A, problem.y, d=spec["d"], activation=spec["activation"],
                          v_init=spec["v_init"], seed=spec["seed"])
    context["bounds"] = bounds
    cmp_ = bounds.comparison
    rows = [("loss-envelope rate σ₀σ_A/2", bounds.rate), ("‖ε‖", bounds.noise_norm),
            ("T_ES (ISEHD)", bounds.T_ES), ("T_ES^GF", bounds.T_ES_gf),
            ("optimization-error exponent, ISEHD σ₀σ_A/4", cmp_.rate_isehd),
            ("optimization-error exponent, GF σ₀²σ_A²/4", cmp_.rate_gf),
            ("faster", f"{cmp_.faster} (×{cmp_.ratio:.3g}; {cmp_.note})")]
    wrows = [("k_theorem (c₁ = c₂ = C = 1)", width.k_theorem), ("probability bound", width.probability),
             ("SNR", f"{width.snr:.4g} ({width.snr_source})"), ("scaling n³ + nm²", width.k_scaling),
             ("scaling n²m (only W trained)", width.k_scaling_W_only), ("∂ln k/∂ln n at fixed m", width.exponent_n)]
    if inst.found:
        wrows += [("k_instance (seeded draw passes §3)", inst.k_instance), ("largest failing k found", inst.k_below),
                  ("pass probability at k_instance", f"{inst.pass_probability:.2f} "
                   f"(Wilson {inst.confidence:.0%} CI [{inst.ci[0]:.2f}, {inst.ci[1]:.2f}], {inst.trials} draws)"),
                  ("k_theorem / k_instance", width.k_theorem / inst.k_instance)]
    else:
        wrows.append(("k_instance", f"not found up to k = {inst.k_below}"))
    md = [_md_table(rows), "", f"*{width.note}.*", "", "Width:", "", _md_table(wrows), "",
          "![envelopes](envelopes.png)", "", "Formulas:", "",
          _formula_block(["loss_envelope", "theta_envelope", "T_ES", "T_ES_gf", "rate_isehd", "rate_gf",
                          "k_theorem", "width_probability"])]
    fig, ax = subplots(figsize=(5.5, 3.4))
    ax.semilogy(bounds.times, bounds.loss_envelope, label="ISEHD loss envelope ξL₀e^{−σ₀σ_A t/2}")
    ax.semilogy(bounds.times, bounds.loss_envelope_gf, label="GF loss envelope e^{−2μt}L₀")
    if bounds.noise_norm > 0:
        ax.axhline(0.5 * bounds.noise_norm**2, color="k", ls=":", lw=1, label="½‖ε‖²")
    if np.isfinite(bounds.T_ES):
        ax.axvline(bounds.T_ES, color="C0", ls="--", lw=1, label="T_ES")
        ax.axvline(bounds.T_ES_gf, color="C1", ls="--", lw=1, label="T_ES^GF")
    ax.set_xlabel("t")
    ax.set_ylabel("loss bound")
    ax.legend(fontsize=7)
    fig.tight_layout()
    data = {"bounds": bounds.to_dict(), "width": width.to_dict(), "instance_width": inst.to_dict()}
    return Section("rates", "Rates, early stopping and width (THEORY §3–§6)", "\n".join(md), data,
                   {"envelopes.png": fig})


def verification_section(problem: Problem, context: dict[str, Any]) -> Section:
    """ISEHD (and GF, IGAHD) trajectories against every claim (THEORY §3–§7) and the IGAHD
    test-function claims."""
    from ..verification.claims import check_energy_decrease, check_lojasiewicz_rate, check_trap_avoidance, verify
    net = context["net"]
    lam = context.get("lam_min")
    sigma_n = context["spectrum"].sigma_n if "spectrum" in context else 0.0
    if lam is None and sigma_n > 0:
        # σ_n(A) ≤ λ_min(A; C) for every cone, so it is a certified lower end for the x-space claim.
        lam = (sigma_n, float("inf"))
        context["lam_min"] = lam
    runs = {dyn: verify(problem, net, dynamics=dyn, lam_min=lam, compare_gf=(dyn == "isehd"), iterations=3000)
            for dyn in ("isehd", "igahd", "gf")}

    def f(z):
        return z[0] ** 2 / 2 + z[1] ** 4 / 4 - z[1] ** 2 / 2

    def g(z):
        return np.array([z[0], z[1] ** 3 - z[1]])

    tests = [check_energy_decrease(f, g, [1.5, 0.3], lipschitz=11.0, c=1.0, beta=0.02, h=0.1),
             check_trap_avoidance(starts=100, seed=0)] + [check_lojasiewicz_rate(p) for p in (2, 3, 4)]
    md = []
    for dyn, res in runs.items():
        tr = res.trajectory
        md += [f"### {dyn.upper()} ({tr.method}, {tr.n_grad} gradient evaluations, status {tr.status})", "",
               claims_table(res.claims)]
        if res.measurements:
            md += ["", "Measurements (fitted exponents beside the bounds' exponents; not verdicts, THEORY §10.6):",
                   "", "| quantity | predicted exponent | measured exponent | ratio | note |", "|---|---|---|---|---|"]
            md += [f"| {_cell(m.quantity)} | {m.predicted_exponent:.4g} | {m.measured_exponent:.4g} | "
                   f"{m.ratio:.3g} | {_cell(m.note)} |" for m in res.measurements]
        md.append("")
    md += ["### IGAHD on test functions (THEORY §7)", "", claims_table(tests)]
    md += ["", "![trajectory against the bounds](trajectory.png)", "",
           "The talk writes two IGAHD-for-DIP forms (THEORY §7, §10.1), and they differ: form `ode` "
           "(momentum 1 − α√s, Hessian term β√s) is the explicit discretization of ISEHD with h = √s and is "
           "the one run above; form `slide` (momentum αs, Hessian term βs², the slide before the phase "
           "diagram, transcribed literally) is not a discretization of ISEHD, so the ISEHD claims are never "
           "read on it. The IGAHD claims marked *transferred* read the continuous-time guarantees on the "
           "discrete path at t = Σ√s_ℓ — a reading of the talk's \"similar guarantees hold\", assumed and not "
           "verified; `igahd_convergence` is the discrete theorem itself, through an exact mapping of the "
           "iteration's coefficients (docs/THEORY_NOTES.md)."]
    fig, axes = subplots(1, 3, figsize=(11, 3.3))
    iso = runs["isehd"]
    tr = iso.trajectory
    env = context["bounds"]
    from ..theory.bounds import envelopes
    e = envelopes(iso.check, tr.t)
    axes[0].semilogy(tr.t, tr.loss, label="ISEHD L(t)")
    axes[0].semilogy(runs["gf"].trajectory.t, runs["gf"].trajectory.loss, label="GF L(t)")
    axes[0].semilogy(runs["igahd"].trajectory.t, runs["igahd"].trajectory.loss, ":", label="IGAHD L(t_ℓ)")
    axes[0].semilogy(tr.t, e["loss_envelope"], "k--", label="ξL₀e^{−σ₀σ_A t/2}")
    axes[0].set_ylim(max(1e-16, tr.loss.min() / 10), None)
    axes[0].set_xlim(0, tr.t[-1])
    axes[0].set_xlabel("t")
    axes[0].legend(fontsize=7)
    axes[1].plot(tr.t, tr.theta_dist, label="‖θ(t) − θ₀‖")
    axes[1].axhline(iso.check.R_prime, color="k", ls="--", label="R′")
    axes[1].axhline(iso.check.R, color="C3", ls=":", label="R")
    axes[1].set_xlabel("t")
    axes[1].legend(fontsize=7)
    axes[2].semilogy(tr.t, tr.y_clean_dist, label="‖y(t) − ȳ‖")
    if np.isfinite(env.noise_norm):
        axes[2].axhline(2 * env.noise_norm, color="k", ls="--", label="2‖ε‖")
        if np.isfinite(env.T_ES):
            axes[2].axvline(env.T_ES, color="C0", ls=":", label="T_ES")
    axes[2].set_xlabel("t")
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    context["theta_inf"] = runs["isehd"].trajectory.theta_final
    data = {dyn: res.to_dict() for dyn, res in runs.items()}
    data["lam_min_used"] = list(lam) if lam is not None else None
    data["test_functions"] = [c.to_dict() for c in tests]
    claims = [(f"{problem.name} ({dyn})", c) for dyn, res in runs.items() for c in res.claims]
    claims += [("test functions", c) for c in tests]
    return Section("verification", "Claims against measured trajectories (THEORY §3–§7)", "\n".join(md), data,
                   {"trajectory.png": fig}, claims)


def cones_section(problem: Problem, context: dict[str, Any]) -> Section:
    """λ_min brackets (THEORY §5, §8): the sampled chord cone at the trained point, and an ℓ1
    sparse-recovery illustration with its statistical dimension and Gordon bound."""
    from ..theory.cones import (
        ChordCone,
        L1DescentCone,
        gordon_lower_bound,
        restricted_min_singular_value,
        statistical_dimension,
    )
    net, check = context["net"], context["check"]
    rows: list[tuple[str, Any]] = []
    data: dict[str, Any] = {}
    if isinstance(problem.A, np.ndarray) and "theta_inf" in context:
        radius = check.R_prime + float(np.linalg.norm(net.theta0))
        cone = ChordCone(net, context["theta_inf"], radius, samples=200, seed=0)
        br = restricted_min_singular_value(problem.A, cone, seed=0)
        data["chord_cone"] = {k: v for k, v in br.to_dict().items() if k != "witness"}
        rows += [("chord cone T_Σ′ at g(u, θ_∞): lower (σ_n(A), certified for every cone)", br.lower),
                 ("upper (sampled inner approximation: an estimate from above)", br.upper),
                 ("method", br.method), ("status", br.status)]
    n, s, m = 40, 4, 24
    rng = np.random.default_rng(0)
    x = np.zeros(n)
    x[:s] = rng.choice([-1.0, 1.0], s)
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    l1 = L1DescentCone(x)
    br = restricted_min_singular_value(A, l1, solver="SCS", fallback="CLARABEL", seed=0)
    sd = statistical_dimension(l1, "exact")
    mc = statistical_dimension(l1, "montecarlo", samples=2000, seed=0)
    gd = gordon_lower_bound(l1, m, t=1.0, delta=sd.delta, seed=0)
    bracket = {k: v for k, v in br.to_dict().items() if k != "witness"}
    data["l1_example"] = {"n": n, "s": s, "m": m, "bracket": bracket,
                          "statdim": sd.to_dict(), "statdim_mc": mc.to_dict(), "gordon": gd.to_dict()}
    rows += [(f"ℓ1 example (n = {n}, s = {s}, Gaussian A with m = {m}): λ_min bracket",
              f"[{br.lower:.6g}, {br.upper:.6g}] (gap {br.gap:.2e}, {br.solver}, {br.status}, "
              f"{br.seconds:.2f} s)"),
             ("δ(D) closed form nψ(s/n) and ALMT bracket",
              f"{sd.delta:.4g} in [{sd.bracket[0]:.4g}, {sd.bracket[1]:.4g}]"),
             ("δ(D) Monte-Carlo", f"{mc.delta:.4g} ± {mc.stderr:.2g}"),
             (f"Gordon lower bound (probability ≥ {gd.probability:.2f})", gd.lower),
             ("phase transition m ≈ δ(D)", f"m = {m} vs δ = {sd.delta:.3g}")]
    md = _md_table(rows) + ("\n\nThe x-space claim of the verification section uses σ_n(A) as λ_min lower end: it is "
                            "certified for every cone, hence for T_Σ′ whatever its shape.")
    return Section("cones", "Restricted injectivity: λ_min over cones (THEORY §5, §8)", md, data)


#: Report sections in order; each later capability appends its builder here.
SECTIONS: list[Callable[[Problem, dict[str, Any]], Section]] = [spectrum_section, initialization_section,
                                                                      rates_section, verification_section,
                                                                      cones_section]


def _environment() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version
    env = {"python": platform.python_version(), "platform": platform.platform()}
    for pkg in ("boundcalc", "numpy", "scipy", "sympy", "cvxpy", "clarabel", "scs", "matplotlib"):
        try:
            env[pkg] = version(pkg)
        except PackageNotFoundError:
            env[pkg] = "not installed"
    return env


def default_inputs() -> dict[str, Any]:
    """Inputs of the built-in default report: the problem and the network draw."""
    return {"problem": dict(DEFAULT_PROBLEM), "network": dict(DEFAULT_NETWORK)}


def build_report(problem: Problem | None = None, inputs: dict[str, Any] | None = None, *,
                 sections: int | None = None, experiments: bool = True, progress: bool = False) -> list[Section]:
    """Build the sections of :data:`SECTIONS` for ``problem`` (the default problem if None), then,
    with ``experiments``, the talk's experiments (:data:`boundcalc.report.sections.EXPERIMENTS`:
    imaging problems, the three widths, the slide's phase diagram).

    ``inputs["network"]`` gives the network (keys of :data:`DEFAULT_NETWORK`); ``sections`` keeps
    only the first that many problem sections (each may use the results of the ones before). Every
    section records its wall time in ``data["seconds"]``.
    """
    import time

    from .sections import EXPERIMENTS
    problem = problem if problem is not None else default_problem()
    inputs = inputs if inputs is not None else default_inputs()
    context: dict[str, Any] = {"inputs": inputs, "network": {**DEFAULT_NETWORK, **inputs.get("network", {})}}
    builders = SECTIONS[:sections] + (EXPERIMENTS if experiments else [])
    out = []
    for i, builder in enumerate(builders, 1):
        if progress:
            print(f"[{i}/{len(builders)}] {builder.__name__.removesuffix('_section')} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        sec = builder(problem, context)
        sec.data["seconds"] = time.perf_counter() - t0
        out.append(sec)
    return out


def load_config(path: str | Path) -> tuple[Problem, dict[str, Any]]:
    """Read an experiment TOML: ``[problem]`` (m, n, noise_norm, seed of the Gaussian problem) and
    ``[network]`` (d, k, activation, v_init, seed); missing keys take the defaults.

    Raises
    ------
    ValueError
        For unknown sections or keys, or values the problem/network constructors refuse.
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"config: file not found: {path}")
    try:
        cfg = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"config: {path} is not valid TOML ({exc})") from None
    allowed = {"problem": set(DEFAULT_PROBLEM), "network": set(DEFAULT_NETWORK)}
    for section, values in cfg.items():
        if section not in allowed or not isinstance(values, dict):
            raise ValueError(f"config: unknown section [{section}]; allowed: {sorted(allowed)}")
        unknown = set(values) - allowed[section]
        if unknown:
            raise ValueError(f"config: unknown keys {sorted(unknown)} in [{section}]; allowed: "
                             f"{sorted(allowed[section])}")
    from ..problems import gaussian_problem
    prob_in = {**DEFAULT_PROBLEM, **cfg.get("problem", {})}
    net_in = {**DEFAULT_NETWORK, **cfg.get("network", {})}
    try:
        problem = gaussian_problem(prob_in["m"], prob_in["n"], noise_norm=prob_in["noise_norm"],
                                   seed=prob_in["seed"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"config: [problem] {exc}") from None
    try:
        TwoLayerDIP.validate_spec(problem.n, **_network_spec({"network": net_in}))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"config: [network] {exc}") from None
    return problem, {"problem": prob_in, "network": net_in, "config": str(path)}


def write_report(out: str | Path = "reports/default", *, force: bool = False,
                 problem: Problem | None = None, inputs: dict[str, Any] | None = None,
                 sections: int | None = None, experiments: bool = True, progress: bool = False) -> Path:
    """Write ``report.html`` (self-contained), ``report.md``, ``results.json`` (described by the JSON
    Schema ``boundcalc/io/schemas/results.schema.json``), ``tables.tex`` (booktabs), the figures and a
    manifest into the folder ``out``.

    Everything is validated before anything on disk changes; the report is built in a temporary
    folder beside ``out`` and moved into place only when complete (:mod:`boundcalc.io.outputs`).

    Raises
    ------
    OutputFolderError
        If ``out`` cannot be a report folder: an existing boundcalc report without ``force``, a
        folder holding files boundcalc did not write, the current/home/root folder, a file.
    """
    import time

    from .render import summary_markdown, to_html, to_tex, verdict_summary
    t_start = time.perf_counter()
    check_output_folder(out, force=force)
    problem = problem if problem is not None else default_problem()
    inputs = inputs if inputs is not None else default_inputs()
    TwoLayerDIP.validate_spec(problem.n, **_network_spec(inputs))
    with staged_output_folder(out, force=force) as tmp:
        built = build_report(problem, inputs, sections=sections, experiments=experiments, progress=progress)
        env = _environment()
        summary = verdict_summary(built)
        head = ["# boundcalc verification report", "",
                f"Problem: **{problem.name}**, m = {problem.m}, n = {problem.n}; inputs: "
                f"`{json.dumps(jsonable(inputs))}`.", "",
                "Environment: " + ", ".join(f"{k} {v}" for k, v in env.items()), ""]
        verdicts_md = ["## Verdicts", "", summary_markdown(summary), ""]
        md: list[str] = []
        results: dict[str, Any] = {"schema": "boundcalc/results/1", "environment": env, "inputs": jsonable(inputs),
                                   "problem": problem.to_dict(),
                                   "verdicts": [{"problem": p, "holds": h, "violated": v, "not_applicable": n}
                                                for p, h, v, n in summary]}
        for sec in built:
            md += [f"## {sec.title}", "", sec.markdown, ""]
            results[sec.key] = jsonable(sec.data)
            for fname, fig in sec.figures.items():
                fig.savefig(tmp / fname, dpi=110, bbox_inches="tight")
                close_figure(fig)
        results["timings"] = {sec.key: sec.data["seconds"] for sec in built}
        results["timings"]["total"] = time.perf_counter() - t_start
        (tmp / "report.md").write_text("\n".join(head + verdicts_md + md))
        (tmp / "results.json").write_text(json.dumps(results, indent=2))
        (tmp / "tables.tex").write_text(to_tex(built, results))
        # The page puts the verdicts at its top itself, so their Markdown copy is left out.
        (tmp / "report.html").write_text(to_html("\n".join(head[2:] + md), tmp, "boundcalc verification report",
                                                 summary))
    return Path(out)


def _network_spec(inputs: dict[str, Any]) -> dict[str, Any]:
    """The network keyword arguments of :meth:`TwoLayerDIP.validate_spec` from report inputs."""
    spec = {**DEFAULT_NETWORK, **inputs.get("network", {})}
    return {"d": spec["d"], "k": spec["k"], "activation": spec["activation"], "v_init": spec["v_init"],
            "seed": spec["seed"]}
