"""Sweeps over an executor: the talk's phase diagram of IGAHD (and GD) success over (k, α).

Each cell of the grid is one task; its result is written to ``out_dir/cells/<cell>.json`` as
soon as it finishes, and a rerun skips the cells already written, so an interrupted sweep
resumes without recomputing finished work. Any ``concurrent.futures.Executor`` runs the tasks
(local processes by default; a ``dask.distributed`` client's ``get_executor()`` works too).
"""

from __future__ import annotations

import json
import os
import sys
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._core import Result, positive_float, positive_int, subplots
from .dynamics import igahd_dip_batched
from .operators import gaussian

__all__ = ["PhaseDiagramResult", "phase_diagram", "run_cell", "plot_phase_diagram"]


@dataclass(frozen=True, repr=False)
class PhaseDiagramResult(Result):
    """Success probabilities: ``igahd[i, j]`` for k = ks[i], α = alphas[j]; ``gd[i]`` for k = ks[i].

    A trial succeeds when its loss reaches ``loss_tol`` within ``iterations`` iterations.
    """

    ks: tuple[int, ...]
    alphas: tuple[float, ...]
    igahd: np.ndarray
    gd: np.ndarray
    trials: int
    params: dict
    computed: int
    reused: int


def _cell_name(method: str, k: int, alpha: float | None) -> str:
    return f"{method}_k{k}" + ("" if alpha is None else f"_a{alpha:.6g}")


def run_cell(spec: dict[str, Any]) -> dict[str, Any]:
    """One grid cell: ``trials`` seeded instances (A ~ N(0, 1/m), x̄ on the unit sphere, noise of
    norm ``noise_norm``, a fresh network each), advanced together by the batched solver."""
    n, m, d, k, T = spec["n"], spec["m"], spec["d"], spec["k"], spec["trials"]
    V, W, u, As, ys = [], [], [], [], []
    for i in range(T):
        rng = np.random.default_rng([spec["seed"], i])  # same problems in every cell of the grid
        A = gaussian(m, n, rng)
        x = rng.standard_normal(n)
        x /= np.linalg.norm(x)
        e = rng.standard_normal(m)
        e *= spec["noise_norm"] / np.linalg.norm(e)
        net_rng = np.random.default_rng([spec["seed"], i, k])
        uu = net_rng.standard_normal(d)
        u.append(uu / np.linalg.norm(uu))
        W.append(net_rng.standard_normal((k, d)))
        V.append(net_rng.choice([-1.0, 1.0], size=(n, k)))
        As.append(A)
        ys.append(A @ x + e)
    res = igahd_dip_batched(np.stack(V), np.stack(W), np.stack(u), np.stack(As), np.stack(ys),
                            activation=spec["activation"], alpha=spec.get("alpha") or 1.0, beta=spec["beta"],
                            step=spec["step"], iterations=spec["iterations"], loss_tol=spec["loss_tol"],
                            method=spec["method"], stop_when_all=True)
    success = res.hit_iteration >= 0
    return {**spec, "success": int(success.sum()), "hit_iteration": res.hit_iteration.tolist(),
            "final_loss": res.final_loss.tolist()}


def phase_diagram(*, n: int = 50, m: int = 25, d: int = 10, ks: tuple[int, ...] = (10, 100, 1000),
                  alphas: tuple[float, ...] = (0.1, 1.0, 10.0, 30.0), beta: float = 0.05, step: float = 1e-3,
                  iterations: int = 15000, trials: int = 10, loss_tol: float = 1e-6, noise_norm: float = 0.0,
                  activation: str = "tanh", seed: int = 0, include_gd: bool = True,
                  out_dir: str | Path | None = None, executor: Executor | None = None,
                  progress: bool = True) -> PhaseDiagramResult:
    """Empirical probability that IGAHD (β = 0.05 by default) reaches ``loss_tol`` within
    ``iterations`` iterations over a grid of widths k and viscous dampings α, for Gaussian A with
    N(0, 1/m) entries; the same grid in k for gradient descent (step ``step``) for comparison.

    With the same step s, an IGAHD iteration advances the time t by √s and a GD iteration by s,
    which is what the figure shows. The defaults (s = 1e-3, loss ≤ 1e-6) are where the picture has
    structure: with s = 0.05 and loss ≤ 1e-4 every cell, GD included, succeeds (measured).

    Parameters
    ----------
    out_dir : path, optional
        Where per-cell results are written; a rerun skips cells already there (resume).
    executor : concurrent.futures.Executor, optional
        Runs the cells (default: a local ProcessPoolExecutor on all cores, with one BLAS thread
        per worker, set through the environment before the workers start).
    """
    n, m, d = positive_int(n, "n"), positive_int(m, "m"), positive_int(d, "d")
    ks = tuple(positive_int(k, "ks") for k in ks)
    alphas = tuple(positive_float(a, "alphas") for a in alphas)
    step = positive_float(step, "step")
    if any(a * np.sqrt(step) >= 1 for a in alphas):
        raise ValueError(f"alphas: α√s must be < 1 for the IGAHD momentum 1 − α√s to stay positive (s = {step})")
    base = {"n": n, "m": m, "d": d, "beta": positive_float(beta, "beta", allow_zero=True), "step": step,
            "iterations": positive_int(iterations, "iterations"), "trials": positive_int(trials, "trials"),
            "loss_tol": positive_float(loss_tol, "loss_tol"),
            "noise_norm": positive_float(noise_norm, "noise_norm", allow_zero=True), "activation": activation,
            "seed": positive_int(seed, "seed", minimum=0)}
    specs = [{**base, "method": "igahd", "k": k, "alpha": a, "name": _cell_name("igahd", k, a)}
             for k in ks for a in alphas]
    if include_gd:
        specs += [{**base, "method": "gd", "k": k, "alpha": None, "name": _cell_name("gd", k, None)} for k in ks]
    cells_dir = None
    results: dict[str, dict] = {}
    if out_dir is not None:
        cells_dir = Path(out_dir) / "cells"
        cells_dir.mkdir(parents=True, exist_ok=True)
        for spec in specs:
            f = cells_dir / f"{spec['name']}.json"
            if f.exists():
                saved = json.loads(f.read_text())
                if all(saved.get(key) == spec[key] for key in spec):  # same inputs: reuse
                    results[spec["name"]] = saved
    todo = [s for s in specs if s["name"] not in results]
    reused = len(results)
    own = executor is None and len(todo) > 1
    if own:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        executor = ProcessPoolExecutor(max_workers=os.cpu_count() or 1)
    try:
        if executor is None:
            futures = None
            done_iter = (run_cell(s) for s in todo)
        else:
            futures = [executor.submit(run_cell, s) for s in todo]
            done_iter = (f.result() for f in as_completed(futures))
        for i, res in enumerate(done_iter, 1):
            results[res["name"]] = res
            if cells_dir is not None:
                tmp = cells_dir / f"{res['name']}.json.tmp"
                tmp.write_text(json.dumps(res))
                tmp.replace(cells_dir / f"{res['name']}.json")  # atomic: a killed run leaves no half file
            if progress:
                bar = "#" * (30 * i // len(todo))
                print(f"\rphase diagram [{bar:<30}] {i}/{len(todo)} cells ({reused} reused)", end="",
                      file=sys.stderr, flush=True)
        if progress and todo:
            print(file=sys.stderr)
    finally:
        if own:
            executor.shutdown()
    ig = np.array([[results[_cell_name("igahd", k, a)]["success"] / trials for a in alphas] for k in ks])
    gd = np.array([results[_cell_name("gd", k, None)]["success"] / trials for k in ks]) if include_gd \
        else np.full(len(ks), np.nan)
    return PhaseDiagramResult(ks, alphas, ig, gd, trials, base, len(todo), reused)


def plot_phase_diagram(res: PhaseDiagramResult):
    """Heat map of the IGAHD success probability over (k, α) with the GD column beside it."""
    fig, (ax, ax2) = subplots(1, 2, figsize=(7, 3.4), gridspec_kw={"width_ratios": [len(res.alphas), 1]})
    im = ax.imshow(res.igahd, origin="lower", vmin=0, vmax=1, cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(res.alphas)), [f"{a:g}" for a in res.alphas])
    ax.set_yticks(range(len(res.ks)), [str(k) for k in res.ks])
    ax.set_xlabel("α")
    ax.set_ylabel("width k")
    ax.set_title(f"IGAHD, β = {res.params['beta']:g}")
    ax2.imshow(res.gd[:, None], origin="lower", vmin=0, vmax=1, cmap="viridis", aspect="auto")
    ax2.set_xticks([0], ["GD"])
    ax2.set_yticks(range(len(res.ks)), [str(k) for k in res.ks])
    ax2.set_title("GD")
    fig.colorbar(im, ax=[ax, ax2], label=f"P(loss ≤ {res.params['loss_tol']:g} in {res.params['iterations']} it.)")
    return fig
