"""The full stopping-rule table of issue 34 §2, as the theory notes give it: both problems, both generators, the
three optimizers, noise 0.5, 1 and 2 × the talk's σ; seeds 0–4 for the convolutional DIP and 0–9 for the
two-layer net; 32×32, 1500 iterations, SURE's second run included.

Each (problem, generator) is one resumable :func:`~boundcalc.verification.stopping_comparison.stopping_comparison`
in OUT/<problem>_<net>/; an interrupted grid resumes where it stopped. At the end it writes OUT/stopping_table.md (every
rule's dB lost: median, mean, 90th percentile, worst; iterations spent; never fired, pooled over the noise levels)
and OUT/stopping_table.json (the same rows, the settings and the seconds each part took), and one figure per
(problem, generator): OUT/stopping_rules_<problem>_<net>.png (:func:`~boundcalc.plot_comparison`).

270 runs. On this 2-core machine with ``--dask local:2``, 203 of them took 71 min while other work shared the
machine; the table in docs/stopping_table.md comes from this script.
Run: python benchmarks/stopping_grid.py OUT [--dask local:N|ADDRESS]
"""

import json
import sys
import time
from contextlib import nullcontext
from pathlib import Path

from boundcalc._core import close_figure
from boundcalc.verification.stopping_comparison import plot_comparison, stopping_comparison

GRID = [(problem, net, 5 if net == "conv" else 10) for problem in ("deblurring", "normal-integration")
        for net in ("conv", "two-layer")]


def markdown(rows: list[dict]) -> str:
    def f(v):
        return "—" if v is None else f"{v:.2f}"
    lines = ["| problem | net | optimizer | rule | median | mean | p90 | worst | spent | never fired |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        spent = "—" if r["median_spent"] is None else f"{r['median_spent']:.0f}"
        lines.append(f"| {r['problem']} | {r['net']} | {r['optimizer']} | {r['rule']} | {f(r['median_db_lost'])} | "
                     f"{f(r['mean_db_lost'])} | {f(r['p90_db_lost'])} | {f(r['worst_db_lost'])} | {spent} | "
                     f"{r['never_fired']}/{r['runs']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    args = sys.argv[1:]
    if not args or args[0].startswith("--"):
        sys.exit(__doc__)
    out = Path(args[0])
    # the grid writes only these names into OUT: anything else there is someone else's, and is left alone
    ours = {f"{problem}_{net}" for problem, net, _ in GRID} | {"stopping_table.md", "stopping_table.json"} | {
        f"stopping_rules_{problem}_{net}.png" for problem, net, _ in GRID}
    if out.exists():
        foreign = [p.name for p in out.iterdir() if p.name not in ours] if out.is_dir() else [out.name]
        if foreign:
            sys.exit(f"stopping_grid: {out} holds files the grid did not write ({', '.join(sorted(foreign)[:5])}); "
                     "choose a new folder (an existing one is reused only to resume)")
    dask = args[args.index("--dask") + 1] if "--dask" in args else None
    if dask is not None:
        from boundcalc.verification.sweeps import dask_executor
        ctx = dask_executor(dask)
    else:
        ctx = nullcontext(None)
    rows, seconds, settings, ema = [], {}, {}, {}
    with ctx as executor:
        for problem, net, seeds in GRID:
            t0 = time.perf_counter()
            res = stopping_comparison(problem, nets=(net,), optimizers=("adam", "igahd", "gd"), seeds=seeds,
                                      noise_factors=(0.5, 1.0, 2.0), out=out / f"{problem}_{net}", progress=True,
                                      executor=executor)
            seconds[f"{problem}/{net}"] = time.perf_counter() - t0
            settings[f"{problem}/{net}"] = res.settings
            rows += list(res.table)
            fig = plot_comparison(res)
            fig.savefig(out / f"stopping_rules_{problem}_{net}.png", dpi=100)
            close_figure(fig)
            for opt in ("adam", "igahd", "gd"):
                mine = [r["ema_beats_every_iterate"] for r in res.runs if r["optimizer"] == opt]
                ema[f"{problem}/{net}/{opt}"] = f"{sum(mine)} of {len(mine)}"
            print(f"{problem} / {net}: {len(res.runs)} runs, {seconds[f'{problem}/{net}']:.0f} s here", flush=True)
    (out / "stopping_table.md").write_text(markdown(rows))
    (out / "stopping_table.json").write_text(json.dumps({"table": rows, "settings": settings, "seconds": seconds,
                                                      "ema_beats_every_iterate": ema}, indent=1))
    print(markdown(rows))
    print("the best EMA beat every raw iterate in: " + "; ".join(f"{k} {v}" for k, v in ema.items()))


if __name__ == "__main__":
    main()
