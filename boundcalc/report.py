"""Verification reports: Markdown + JSON + figures for a problem (``boundcalc report``).

A report is a list of sections. Each section is built by one function from the public API's
result objects, so a report never computes anything the Python API does not expose.
"""

from __future__ import annotations

import json
import platform
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._core import jsonable
from .operators import StructuredOperator, spectrum
from .problems import DEFAULT_NETWORK, DEFAULT_PROBLEM, Problem, default_problem

__all__ = ["Section", "build_report", "write_report", "SECTIONS"]


@dataclass
class Section:
    """One report section: Markdown text, JSON data and figures (name → matplotlib Figure)."""

    key: str
    title: str
    markdown: str
    data: dict[str, Any]
    figures: dict[str, Any] = field(default_factory=dict)


def _md_table(rows: list[tuple[str, Any]]) -> str:
    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.6g}"
        return str(v)
    out = ["| quantity | value |", "|---|---|"]
    out += [f"| {k} | {fmt(v)} |" for k, v in rows]
    return "\n".join(out)


def _all_singular_values(A: Any) -> np.ndarray | None:
    if isinstance(A, StructuredOperator):
        return A.singular_values()
    if isinstance(A, np.ndarray):
        import scipy.linalg
        return scipy.linalg.svdvals(A)
    return None


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
    s = _all_singular_values(problem.A)
    if s is not None:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(5, 3.2))
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
    from .formulas import FORMULAS
    return "\n".join(f"- {FORMULAS[n].description} ({FORMULAS[n].section}, {FORMULAS[n].kind}): "
                     f"${FORMULAS[n].latex()}$" for n in names)


def initialization_section(problem: Problem, context: dict[str, Any]) -> Section:
    """The non-degeneracy check of THEORY.md §3 for the report's network."""
    from .bounds import check_initialization
    from .generators import TwoLayerDIP
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


def _figure():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt.subplots(figsize=(5.5, 3.4))


def rates_section(problem: Problem, context: dict[str, Any]) -> Section:
    """Envelopes, early-stopping times, the GF/ISEHD comparison and the width (THEORY §3–§6)."""
    from .bounds import compute_bounds
    from .width import instance_width, required_width
    check = context["check"]
    bounds = compute_bounds(check, noise_norm=problem.noise_norm)
    width = required_width(problem.A, spec=context.get("spectrum"), x_bar=problem.x_bar,
                           noise_norm=problem.noise_norm)
    spec = context["network"]
    inst = instance_width(problem.A, problem.y, d=spec["d"], activation=spec["activation"],
                          v_init=spec["v_init"], seed=spec["seed"], trials=10)
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
    fig, ax = _figure()
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


#: Report sections in order; each later capability appends its builder here.
SECTIONS: list[Callable[[Problem, dict[str, Any]], Section]] = [spectrum_section, initialization_section,
                                                                      rates_section]


def _environment() -> dict[str, str]:
    import scipy
    import sympy

    from . import __version__
    return {"boundcalc": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "sympy": sympy.__version__, "platform": platform.platform()}


def default_inputs() -> dict[str, Any]:
    """Inputs of the built-in default report: the problem and the network draw."""
    return {"problem": dict(DEFAULT_PROBLEM), "network": dict(DEFAULT_NETWORK)}


def build_report(problem: Problem | None = None, inputs: dict[str, Any] | None = None) -> list[Section]:
    """Build every section of :data:`SECTIONS` for ``problem`` (the default problem if None).

    ``inputs["network"]`` gives the network (keys of :data:`DEFAULT_NETWORK`).
    """
    problem = problem if problem is not None else default_problem()
    inputs = inputs if inputs is not None else default_inputs()
    context: dict[str, Any] = {"inputs": inputs, "network": {**DEFAULT_NETWORK, **inputs.get("network", {})}}
    return [builder(problem, context) for builder in SECTIONS]


def write_report(out: str | Path = "reports/default", *, force: bool = False,
                 problem: Problem | None = None, inputs: dict[str, Any] | None = None) -> Path:
    """Write ``report.md``, ``results.json`` and the figures into ``out``.

    Raises
    ------
    FileExistsError
        If ``out`` exists and is not empty and ``force`` is False (a user's report is never
        overwritten silently).
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        if not force:
            raise FileExistsError(f"out: {out} already exists; pass --force (force=True) to overwrite it")
        if out.is_dir():
            shutil.rmtree(out)
        else:
            out.unlink()
    out.mkdir(parents=True, exist_ok=True)
    problem = problem if problem is not None else default_problem()
    inputs = inputs if inputs is not None else default_inputs()
    sections = build_report(problem, inputs)
    env = _environment()
    md = ["# boundcalc verification report", "",
          f"Problem: **{problem.name}**, m = {problem.m}, n = {problem.n}; inputs: `{json.dumps(jsonable(inputs))}`.",
          "", "Environment: " + ", ".join(f"{k} {v}" for k, v in env.items()), ""]
    results: dict[str, Any] = {"environment": env, "inputs": jsonable(inputs), "problem": problem.to_dict()}
    for sec in sections:
        md += [f"## {sec.title}", "", sec.markdown, ""]
        results[sec.key] = jsonable(sec.data)
        for fname, fig in sec.figures.items():
            fig.savefig(out / fname, dpi=120)
            import matplotlib.pyplot as plt
            plt.close(fig)
    (out / "report.md").write_text("\n".join(md))
    (out / "results.json").write_text(json.dumps(results, indent=2))
    return out
