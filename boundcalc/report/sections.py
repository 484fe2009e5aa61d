"""Report sections for the talk's experiments (:mod:`boundcalc.verification.experiments`): imaging problems and
early stopping seen on images, how far the theorem's width is from practice, and the slide's phase
diagram with its two claims. Each builder returns a :class:`boundcalc.report.build.Section`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core import subplots
from ..linalg.operators import spectrum
from ..problems import Problem, deblurring_problem, gaussian_problem, normal_integration_problem
from ..verification.experiments import REGIMES, early_stopping_experiment, phase_diagram_claims, width_table
from ..verification.sweeps import phase_diagram, plot_phase_diagram

__all__ = ["imaging_section", "widths_section", "phase_section", "EXPERIMENTS", "IMAGING", "PHASE_GRID"]

#: The imaging runs of the default report (fits its time budget on 2 cores).
IMAGING = {"size": (32, 32), "k": 1000, "d": 8, "seed": 0, "iterations": {"deblurring": 2000,
                                                                            "normal-integration": 8000}}
#: The report's phase diagram (form slide, α from 0 to below 1/s); `phase-diagram --full` is the talk's size.
PHASE_GRID = {"n": 20, "m": 10, "d": 5, "ks": (5, 10, 40, 200), "alphas": (0.0, 100.0, 300.0, 600.0, 900.0),
              "beta": 0.05, "step": 1e-3, "form": "slide", "iterations": 8000, "trials": 8, "loss_tol": 1e-6}


def _fmt_k(k: float, cap: int) -> str:
    return f"> {cap:,}" if k < 0 else f"{k:,.0f}" if k < 1e6 else f"{k:.3g}"


def _image_figure(runs) -> Any:
    shown = ["x_bar", "y", "T_ES", "best", "end"]
    fig, axes = subplots(len(runs), len(shown) + 1, figsize=(12, 2.6 * len(runs)))
    axes = np.atleast_2d(axes)
    for row, run in zip(axes, runs, strict=True):
        x_bar = run.images["x_bar"]
        lo, hi = float(x_bar.min()), float(x_bar.max())
        for ax, key in zip(row[:-1], shown, strict=True):
            ax.axis("off")
            if key in run.images:
                img = run.images[key]
                if key == "y":  # data, or Aᵀy for the gradient: its own gray scale
                    ax.imshow(img, cmap="gray")
                else:
                    if run.params["modulo_constants"]:
                        img = img - img.mean() + x_bar.mean()
                    ax.imshow(img, cmap="gray", vmin=lo, vmax=hi)
                label = {"x_bar": "x̄", "y": run.params["y_shown"], "T_ES": f"x(T_ES = {run.T_ES:.3g})",
                         "best": f"x(best, t = {run.best_t:.3g})", "end": f"x(end, t = {run.t[-1]:.3g})"}[key]
                ax.set_title(f"{run.dynamics.upper()}: {label}" if key not in ("x_bar", "y") else label, fontsize=8)
            else:
                ax.set_title(f"T_ES = {run.T_ES:.3g}\nnot reached", fontsize=8)
        ax = row[-1]
        ax.plot(run.t, run.psnr)
        if run.T_ES_reached:
            ax.axvline(run.T_ES, color="C3", ls="--", lw=1, label="T_ES")
        ax.axvline(run.best_t, color="C2", ls=":", lw=1, label="best")
        ax.set_xlabel("t")
        ax.set_ylabel("PSNR (dB)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def imaging_section(problem: Problem, context: dict[str, Any]):
    """Deblurring and normal integration (the talk's examples): exact spectra, non-degeneracy (R′/R),
    and early stopping seen on images (THEORY §3 ii, §5)."""
    from .build import Section, _md_table
    probs = [deblurring_problem(IMAGING["size"], seed=IMAGING["seed"]),
             normal_integration_problem(IMAGING["size"], seed=IMAGING["seed"])]
    md, data, figures = [], {}, {}
    for prob in probs:
        spec = spectrum(prob.A)
        runs = early_stopping_experiment(prob, k=IMAGING["k"], d=IMAGING["d"], seed=IMAGING["seed"],
                                         iterations=IMAGING["iterations"][prob.name])
        first = runs[0]
        nd = ("holds" if first.non_degenerate else
              f"does **not** hold at k = {IMAGING['k']}: R′/R = {first.R_prime_over_R:.3g} (the theorem needs < 1)")
        md += [f"### {prob.name} ({prob.info['operator']})", "",
               f"Signal: {prob.info['signal']}; {prob.info['noise']} (‖ε‖ = {prob.noise_norm:.4g}, SNR "
               f"{prob.snr:.3g}); seed {prob.seed}.", "",
               _md_table([("σ_A", spec.sigma_A), ("‖A‖", spec.norm_A), ("κ(A)", spec.kappa_A),
                          ("method", spec.method), ("gap at the rank decision", spec.gap)]), "",
               f"Non-degenerate initialization (§3) with the two-layer DIP, k = {IMAGING['k']}, d = {IMAGING['d']}: "
               f"{nd}.", "",
               "| dynamics | best t (measured) | PSNR at best | PSNR at end | T_ES (predicted) | T_ES reached | "
               "x-space bound at best |", "|---|---|---|---|---|---|---|"]
        for r in runs:
            md.append(f"| {r.dynamics.upper()} | {r.best_t:.4g} | {r.best_psnr:.2f} dB | {r.end_psnr:.2f} dB | "
                      f"{r.T_ES:.4g} | {'yes' if r.T_ES_reached else 'no (beyond the run)'} | "
                      f"{r.x_space_bound_at_best:.3g} |")
        overfit = [r for r in runs if r.end_psnr < r.best_psnr - 0.1]
        flat = all(r.best_psnr - r.psnr[0] < 3 for r in runs)
        md += ["", f"x-space bound: {runs[0].x_space_note}. "
               + ("The PSNR barely moves: the components of x that A hardly sees (|ĥ| ≪ 1) keep the random "
                  "initialization's content, since the two-layer generator carries no spatial prior. " if flat else "")
               + ("Overfitting is seen: " + ", ".join(f"{r.dynamics.upper()} loses {r.best_psnr - r.end_psnr:.2f} dB "
                                                      f"after t = {r.best_t:.3g}" for r in overfit) + "."
                  if overfit else "Within this run the PSNR is still rising at the end: the best time is the "
                  "last one, and no overfitting is seen yet."),
               "", f"![{prob.name}: images and PSNR]({prob.name}_early_stopping.png)", ""]
        figures[f"{prob.name}_early_stopping.png"] = _image_figure(runs)
        data[prob.name] = {"problem": prob.to_dict(), "spectrum": spec.to_dict(),
                           "signal_norm": float(np.linalg.norm(prob.x_bar)),
                           "runs": [r.to_dict() for r in runs]}
    md.insert(0, "The DIP user's question is when x(t) is closest to x̄. T_ES is the theorem's time after which "
                 "‖y(t) − ȳ‖ ≤ 2‖ε‖; the best time is measured (PSNR against x̄; for normal integration modulo "
                 "the constants, the operator's kernel). IGAHD: form ode, α = 1, β = 0.05, s = 0.25/L; GD: "
                 "γ = 0.5/L, L = σ_max(J)²‖A‖².\n")
    return Section("imaging", "The talk's imaging problems: early stopping seen (THEORY §3 ii, §5)", "\n".join(md),
                   {**data, "settings": {**IMAGING, "size": list(IMAGING["size"])}}, figures)


def widths_section(problem: Problem, context: dict[str, Any]):
    """k_theorem, k_instance and k_empirical side by side, with fitted exponents in n (THEORY §6)."""
    from .build import Section
    gauss = [gaussian_problem(2, 2, seed=6, noise_norm=0.01)] + [gaussian_problem(n // 2, n, seed=0, noise_norm=0.01)
                                                                for n in (4, 8, 16, 32)]
    rows, expo = width_table(gauss, k_max=2**18)
    img_rows, _ = width_table([deblurring_problem((8, 8), blur_sigma=1.0), normal_integration_problem((8, 8))],
                              k_max=2**14, k_empirical_max=64, trials=10, iterations=1000)
    all_rows = list(rows) + list(img_rows)
    md = ["Three widths per problem (Gaussian A with m = n/2, n = 2 the default 2×2; the imaging problems at 8×8). "
          "k_theorem uses c₁ = c₂ = C = 1 (the talk gives no constants). k_instance: the smallest width whose seeded "
          "draw passes the §3 test, with the pass probability over 40 fresh draws (Wilson 95%). k_empirical: the "
          "smallest k = 2^j at which IGAHD (ode, α = 1, β = 0.05) brings the excess loss below 1e-6 of its start "
          "in ≥ 90% of 10 seeded networks within the iteration budget (5000; 1000 for the imaging rows). "
          "'> K' means not found up to K — never guessed.", "",
          "| problem | n | m | k_theorem | k_instance | pass probability | k_empirical |",
          "|---|---|---|---|---|---|---|"]
    for r in all_rows:
        pp = f"{r.pass_probability:.2f} [{r.pass_ci[0]:.2f}, {r.pass_ci[1]:.2f}]" if r.k_instance > 0 else "—"
        md.append(f"| {r.problem} | {r.n} | {r.m} | {r.k_theorem:.3g} | {_fmt_k(r.k_instance, r.k_instance_max)} | "
                  f"{pp} | {_fmt_k(r.k_empirical, r.k_empirical_max)} |")
    md += ["", "Fitted growth exponents in n (Gaussian rows where the width was found; log-log slope): "
           + ", ".join(f"{k} ≈ n^{v:.2f}" for k, v in expo.items())
           + " — the theorem's scaling n³ + nm² is n³ here (m = n/2).", "", "![three widths](widths.png)"]
    fig, ax = subplots(figsize=(5.5, 3.6))
    ns = [r.n for r in rows]
    ax.loglog(ns, [r.k_theorem for r in rows], "o-", label="k_theorem (c = 1)")
    for key, mk in (("k_instance", "s-"), ("k_empirical", "^-")):
        found = [(r.n, getattr(r, key)) for r in rows if getattr(r, key) > 0]
        if found:
            ax.loglog(*zip(*found, strict=True), mk, label=key)
        missing = [(r.n, getattr(r, f"{key}_max")) for r in rows if getattr(r, key) < 0]
        if missing:
            ax.loglog(*zip(*missing, strict=True), "v", color="gray", label=f"{key} > (not found)")
    ax.loglog(ns, np.array(ns, float) ** 3, "k:", label="n³")
    ax.set_xlabel("n")
    ax.set_ylabel("width k")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return Section("widths", "How far is the theorem from practice? Three widths (THEORY §6)", "\n".join(md),
                   {"rows": [r.to_dict() for r in all_rows], "exponents": expo}, {"widths.png": fig})


def phase_section(problem: Problem, context: dict[str, Any]):
    """The slide's phase diagram (form slide) and its two sentences as claims (THEORY §11)."""
    from .build import Section, claims_table
    res = phase_diagram(**PHASE_GRID, progress=False)
    c_under, c_over = phase_diagram_claims(res)
    md = [f"Form **slide** (momentum αs, Hessian term βs²; the slide before the figure), α from 0 (no inertia) to "
          f"below 1/s, A_ij iid N(0, 1/m). Grid: {PHASE_GRID}. The talk's size (10 widths × 10 α, 20 trials, "
          "15000 iterations, n = 50, m = 25): `boundcalc phase-diagram --full`.", "",
          "Regimes and thresholds, fixed before the data (docs/THEORY_NOTES.md): under-parametrized "
          f"{REGIMES['under']}, "
          f"over-parametrized {REGIMES['over']}; gain = max over α > 0 of P(success) − P(α = 0); 'no gain' means "
          f"gain ≤ {REGIMES['flat_max_gain']}, 'substantial gain' gain ≥ {REGIMES['substantial_min_gain']}.", "",
          claims_table([c_under, c_over])]
    md += ["", "![phase diagram](phase_diagram.png)"]
    return Section("phase_diagram", "The slide's phase diagram and its two claims (THEORY §11)", "\n".join(md),
                   {"result": res.to_dict(), "claims": [c_under.to_dict(), c_over.to_dict()], "regimes": REGIMES},
                   {"phase_diagram.png": plot_phase_diagram(res)},
                   [("phase diagram", c_under), ("phase diagram", c_over)])


#: The experiment sections appended to a report.
EXPERIMENTS = [imaging_section, widths_section, phase_section]
