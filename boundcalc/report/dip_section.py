"""The report's section on the DIP that users train (needs PyTorch; without it the section says so): the
convolutional generator beside the two-layer one on the talk's imaging problems, trained by Adam (all three
optimizers with ``report --full``), PSNR(ℓ) with where each stopping rule stopped, the images, and the rule
that lost least (:mod:`boundcalc.verification.stopping`)."""

from __future__ import annotations

import importlib.util
import time
from typing import Any

import numpy as np

from .._core import subplots
from ..problems import TALK_NOISE_STD, Problem
from .render import Section

__all__ = ["DIP_REPORT", "dip_section", "best_rule_line"]

#: The section's sizes, chosen to fit the report's time budget (about 20 s here for the default): 32×32 images,
#: the 28k-parameter ConvDecoder, 300 iterations; ES-WMV's window and patience scaled to the budget (W = 50,
#: P = 100; the published 100 and 1000 need runs of thousands of iterations, `boundcalc stopping` uses them).
DIP_REPORT = {"size": (32, 32), "iterations": 300, "seed": 0, "net_seed": 0, "window": 50, "patience": 100,
              "optimizers": ("adam",), "optimizers_full": ("adam", "igahd", "gd"), "nets": ("conv", "two-layer"),
              # the mechanism panel (report --full only: 4 certified σ_min(J) brackets per run, about 25 s each
              # run at 32×32 on two cores, more than the default report's budget)
              "mechanism_checkpoints": 4}


def best_rule_line(data: dict[str, Any]) -> str:
    """The one sentence the report's top prints: which rule without x̄ lost least, per problem (empty when the
    section did not run)."""
    parts = []
    for name, prob in data.get("problems", {}).items():
        best = None
        for run in prob["runs"]:
            for rule, out in run["rules"].items():
                if rule.startswith("oracle") or out["never_fired"]:
                    continue
                if best is None or out["db_lost"] < best[1]:
                    best = (rule, out["db_lost"], run["net"], run["optimizer"])
        if best is not None:
            parts.append(f"{name}: {best[0]} ({best[1]:.2f} dB below the best iterate, {best[2]} net, {best[3]})")
    return ("Stopping rules on the DIP runs, the one that lost least: " + "; ".join(parts) + ".") if parts else ""


def dip_section(problem: Problem, context: dict[str, Any]) -> Section:
    """Conv and two-layer DIP on deblurring and normal integration, rules marked on PSNR(ℓ)."""
    t0 = time.perf_counter()
    title = "The DIP users train: a convolutional generator, and when to stop it"
    if importlib.util.find_spec("torch") is None:
        md = ("This section trains a convolutional DIP in PyTorch, which is not installed here: "
              "`pip install \".[torch]\"` and rerun the report.")
        return Section("dip", title, md, {"skipped": "PyTorch is not installed", "seconds": time.perf_counter() - t0})
    from ..verification.stopping_comparison import _problem, landweber_oracle, landweber_rules, run_rules
    full = bool(context["inputs"].get("report", {}).get("full", False))
    opts = DIP_REPORT["optimizers_full"] if full else DIP_REPORT["optimizers"]
    size, its = DIP_REPORT["size"], DIP_REPORT["iterations"]
    md = [f"DIP users train convolutional decoders, not the two-layer net of the theorem. Here a ConvDecoder-shaped "
          f"generator (`boundcalc.nets.conv.conv_decoder`: 32 channels, three upsampling blocks, softplus, BatchNorm "
          f"on the current activations; docs/THEORY_NOTES.md \"The convolutional DIP\") and the report's two-layer "
          f"imaging net are trained in torch on the talk's problems at {size[0]}×{size[1]} with the talk's noise, "
          f"{its} iterations, by {', '.join(opts)}" + ("" if full else " (all three optimizers: `report --full`)")
          + ". Every stopping rule is replayed on the same runs (docs/THEORY_NOTES.md \"Stopping rules\"); ES-WMV "
          f"uses W = {DIP_REPORT['window']}, P = {DIP_REPORT['patience']} to fit this budget, SURE is left out "
          "(it needs a second run: `boundcalc stopping` includes it), and the mechanism of the theorem along a run "
          "is `boundcalc dip --mechanism N`" + (" (shown below on deblurring)" if full else
                                                 " (`report --full` shows it on deblurring)") + ".", ""]
    data: dict[str, Any] = {"settings": {**DIP_REPORT, "size": list(size), "optimizers": list(opts)}, "problems": {}}
    figures = {}
    for name in ("deblurring", "normal-integration"):
        prob, y2 = _problem(name, size, 1.0, DIP_REPORT["seed"])
        mech = DIP_REPORT["mechanism_checkpoints"] if full and name == "deblurring" else 0
        runs = [run_rules(prob, y2, TALK_NOISE_STD[name], net=net, optimizer=opt, iterations=its,
                          net_seed=DIP_REPORT["net_seed"], window=DIP_REPORT["window"],
                          patience=DIP_REPORT["patience"], sure=False, keep_images=(net == "conv"),
                          mechanism_checkpoints=mech if net == "conv" else 0)
                for net in DIP_REPORT["nets"] for opt in opts]
        lw = landweber_oracle(prob, iterations=its) if name == "deblurring" else None
        lw_rules = None
        if lw is not None:  # the rules built from the spectrum and σ, on the same closed-form run (issue 34 §3)
            found = landweber_rules(prob, TALK_NOISE_STD[name], iterations=its)
            lw_rules = {rule: None if found[rule] is None else
                        {"iteration": found[rule], "db_lost": float(lw[1] - lw[2][found[rule]])}
                        for rule in ("gcv", "upre", "discrepancy", "x_risk")}
        md += [f"### {name}", ""]
        rows = []
        for r in runs:
            y = "—" if r["psnr_y"] is None else f"{r['psnr_y']:.2f} dB"
            curve = r["psnr_curve"]
            rows.append(f"| {r['net']} (p = {r['parameters']:,}) | {r['optimizer']} | {y} | "
                        f"{r['oracle_best']['psnr']:.2f} dB at ℓ = {r['oracle_best']['iteration']} | "
                        f"{curve[-1]:.2f} dB | {'yes' if r['ema_beats_every_iterate'] else 'no'} |")
        md += ["| generator | optimizer | PSNR(y) | best iterate | last iterate | best EMA beats every iterate |",
               "|---|---|---|---|---|---|"] + rows + [""]
        if lw is not None:
            conv_best = max(r["oracle_best"]["psnr"] for r in runs if r["net"] == "conv")
            winner = "the convolutional DIP" if conv_best > lw[1] else "Landweber"
            md += [f"Landweber from x = 0 (step 1), in closed form from the blur's spectrum: best {lw[1]:.2f} dB at "
                   f"ℓ = {lw[0]}. The convolutional DIP's best is {conv_best:.2f} dB: {winner} is ahead by "
                   f"{abs(conv_best - lw[1]):.2f} dB here. On that run, rules built from the spectrum, the step "
                   "and σ (no x̄) stop at: " + "; ".join(
                       f"{rule} ℓ = {v['iteration']} ({v['db_lost']:.2f} dB lost)" if v else f"{rule}: never"
                       for rule, v in lw_rules.items()) + " (docs/THEORY_NOTES.md \"Landweber's own rules\").", ""]
        table = ["| run | rule | returns ℓ | fired at ℓ | dB lost against the best iterate |", "|---|---|---|---|---|"]
        for r in runs:
            for rule, out in r["rules"].items():
                if out["never_fired"]:
                    table.append(f"| {r['net']} / {r['optimizer']} | {rule} | — | never | {out['note']} |")
                else:
                    table.append(f"| {r['net']} / {r['optimizer']} | {rule} | {out['stop_iteration']} | "
                                 f"{out['fired_at']} | {out['db_lost']:.2f} |")
        md += table + ["",
               f"![{name}: PSNR(ℓ) and where each rule stopped](dip_{name}.png)", ""]
        figures[f"dip_{name}.png"] = _figure(prob, runs, lw)
        measured = {r["optimizer"]: r["_mechanism"] for r in runs if "_mechanism" in r}
        if measured:
            from ..verification.mechanism import plot_mechanism
            md += [f"The theorem's mechanism along the convolutional runs ({DIP_REPORT['mechanism_checkpoints']} "
                   "log-spaced checkpoints, certified brackets of σ_min(J(θ_ℓ)); R′ from σ₀, σ_A and L₀, Adam's "
                   "the ISEHD one as a reference):", ""]
            md += [f"- {opt}: min σ_min(J)/σ₀ = {m.min_sigma_ratio:.3g}, max ‖θ − θ₀‖/R′ = {m.max_ball_ratio:.3g}; "
                   f"{m.verdict}" for opt, m in measured.items()]
            md += ["", f"![{name}: σ_min(J(θ_ℓ))/σ₀ and ‖θ_ℓ − θ₀‖/R′](dip_{name}_mechanism.png)", ""]
            figures[f"dip_{name}_mechanism.png"] = plot_mechanism(measured)
        data["problems"][name] = {"runs": [{k: v for k, v in r.items() if k not in ("images", "_mechanism")}
                                           for r in runs],
                                  "landweber_best": None if lw is None else {"iteration": lw[0], "psnr": lw[1]},
                                  "landweber_rules": lw_rules}
    line = best_rule_line(data)
    if line:
        md.insert(1, line)
        md.insert(2, "")
    data["best_rule"] = line or None
    data["seconds"] = time.perf_counter() - t0
    return Section("dip", title, "\n".join(md), data, figures)


_MARKERS = {"discrepancy (σ known)": "o", "discrepancy (σ estimated)": "s", "discrepancy τ = 2 (σ known)": "D",
            "ES-WMV": "^", "ES-EMV": "v", "validation copy": "P", "theorem T_ES": "X"}


def _figure(prob: Problem, runs: list[dict[str, Any]], landweber: Any) -> Any:
    """PSNR(ℓ) per run with each rule's returned iterate marked, and the conv run's images."""
    shape = tuple(prob.info["image_shape"])
    conv = next(r for r in runs if r["net"] == "conv")
    fig, axes = subplots(1, 5, figsize=(14.0, 4.2), gridspec_kw={"width_ratios": [2.6, 1, 1, 1, 1]})
    ax = axes[0]
    for r in runs:
        curve = np.asarray(r["psnr_curve"], float)
        line, = ax.plot(np.arange(curve.size), curve, lw=1.2, label=f"{r['net']} / {r['optimizer']}")
        for rule, out in r["rules"].items():
            if out["never_fired"] or rule not in _MARKERS:
                continue
            ax.plot(out["stop_iteration"], curve[out["stop_iteration"]], _MARKERS[rule], color=line.get_color(),
                    ms=6, mfc="none")
    if landweber is not None:
        ax.axhline(landweber[1], color="gray", ls=":", lw=1, label="Landweber best (closed form)")
    for rule, mk in _MARKERS.items():
        ax.plot([], [], mk, color="k", mfc="none", label=rule)
    if conv["psnr_y"] is not None:
        ax.axhline(conv["psnr_y"], color="k", lw=0.8, ls="--", label="PSNR(y)")
    ax.set_xlabel("iteration ℓ")
    ax.set_ylabel("PSNR (dB)")
    ax.set_title(f"{prob.name}: PSNR(ℓ); markers: where each rule stopped", fontsize=9)
    ax.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3)
    seen = prob.y if prob.m == prob.n else np.asarray(prob.A.T @ prob.y).ravel()
    for a, (title, img) in zip(axes[1:], (("x̄", prob.x_bar), ("y" if prob.m == prob.n else "Aᵀy", seen),
                                           ("conv x(best)", conv["images"]["best"]),
                                           ("conv x(end)", conv["images"]["end"])), strict=True):
        a.imshow(np.asarray(img, float).reshape(shape), cmap="gray")
        a.set_title(title, fontsize=9)
        a.set_xticks([])
        a.set_yticks([])
    fig.tight_layout()
    return fig
