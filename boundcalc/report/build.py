"""The report's page assembly (``boundcalc report``): runs the sections of
:mod:`boundcalc.report.sections`, then writes report.md, report.html, results.json, tables.tex and the
figures through :mod:`boundcalc.report.render`, staged and moved into place by :mod:`boundcalc.io.outputs`.
"""

from __future__ import annotations

import json
import math
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .._core import close_figure, jsonable, progress_bar
from ..io.files import check_input_file
from ..io.outputs import check_output_folder, staged_output_folder
from ..nets.two_layer import TwoLayerDIP
from ..problems import DEFAULT_NETWORK, DEFAULT_PROBLEM, Problem
from .render import Section
from .sections import EXPERIMENTS, SECTIONS

__all__ = ["build_report", "write_report", "load_config", "config_from_dict", "problem_inputs", "default_inputs"]


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
    """Inputs of the built-in default report: the problem, the network draw, and the report's parts."""
    return {"problem": dict(DEFAULT_PROBLEM), "network": dict(DEFAULT_NETWORK), "report": dict(DEFAULT_REPORT)}


#: What a report contains besides the problem's sections (``[report]`` in experiment.toml).
DEFAULT_REPORT = {"experiments": True, "full": False}


def _toml_value(value: Any) -> str:
    """A TOML literal for the scalar values an experiment file holds (bool, int, float, str)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"experiment.toml: non-finite value {value!r}")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string uses JSON's escapes for these characters
    raise TypeError(f"experiment.toml: cannot write {type(value).__name__} {value!r}")


def experiment_toml(inputs: dict[str, Any]) -> str:
    """The experiment file that reproduces a report: ``boundcalc report --config`` on it gives the
    same results.json apart from timings and the run's provenance."""
    lines = ["# boundcalc experiment: `boundcalc report --config experiment.toml` reruns this report;",
             "# `boundcalc claim ID [--run DYNAMICS | --p P] --config experiment.toml` re-checks one claim."]
    for section in ("problem", "network", "report"):
        lines += ["", f"[{section}]"] + [f"{key} = {_toml_value(v)}" for key, v in inputs.get(section, {}).items()]
    return "\n".join(lines) + "\n"


def build_report(problem: Problem | None = None, inputs: dict[str, Any] | None = None, *,
                 sections: int | None = None, experiments: bool = True, progress: bool = False,
                 config_path: str = "experiment.toml") -> list[Section]:
    """Build the sections of :data:`SECTIONS` for ``problem`` (the default problem if None), then,
    with ``experiments``, the talk's experiments (:data:`boundcalc.report.sections.EXPERIMENTS`:
    imaging problems, the three widths, the slide's phase diagram).

    ``inputs["network"]`` gives the network (keys of :data:`DEFAULT_NETWORK`); ``sections`` keeps
    only the first that many problem sections (each may use the results of the ones before). Every
    section records its wall time in ``data["seconds"]``.
    """

    problem, inputs = _problem_and_inputs(problem, inputs)
    context: dict[str, Any] = {"inputs": inputs, "network": {**DEFAULT_NETWORK, **inputs.get("network", {})}}
    builders = SECTIONS[:sections] + (EXPERIMENTS if experiments else [])
    context["progress"] = progress
    context["config_path"] = config_path  # where the claim tables' re-check commands find experiment.toml
    from .sections import phase_section
    if phase_section in builders:
        # The phase diagram's worker processes run beside the serial sections (one core each would
        # otherwise idle): measured 127 s → about 90 s for the default report on two cores.
        context["phase_background"] = BackgroundPhaseDiagram(full=bool(inputs.get("report", {}).get("full")))
    try:
        return _build_sections(builders, problem, context, progress)
    finally:
        if "phase_background" in context:  # an error or interrupt elsewhere stops its workers too
            context["phase_background"].stop()


def phase_workers(full: bool = False) -> int:
    """The background phase diagram's worker processes: one per core, at most one per width of the grid."""
    import os

    from .checks import phase_grid
    return min(os.cpu_count() or 1, len(phase_grid(full)["ks"]))


class BackgroundPhaseDiagram:
    """The report's phase diagram (:func:`boundcalc.report.checks.phase_claims`) computed in a
    daemon thread on a spawned two-process pool, while the other sections run; :meth:`result` waits
    for it, :meth:`stop` ends its workers (an interrupt must not wait for them)."""

    def __init__(self, *, full: bool = False) -> None:
        import threading

        from ..verification.sweeps import local_executor
        self.full = full
        self.executor = local_executor(phase_workers(full), start_method="spawn")
        self._outcome: tuple[Any, BaseException | None] = (None, None)
        self.seconds = float("nan")
        self._thread = threading.Thread(target=self._run, daemon=True, name="boundcalc-phase-diagram")
        self._thread.start()

    def _run(self) -> None:
        import time

        from .checks import phase_claims
        t0 = time.perf_counter()

        def say(line: str) -> None:
            print(f"boundcalc: {line}", file=sys.stderr, flush=True)
        try:
            self._outcome = (phase_claims(executor=self.executor, full=self.full,
                                          announce=say if self.full else None), None)
        except BaseException as exc:  # handed to the thread that asks for the result
            self._outcome = (None, exc)
        self.seconds = time.perf_counter() - t0

    def result(self) -> Any:
        """(result, observations, budgets, third sentence) of :func:`~boundcalc.report.checks.phase_claims`."""
        self._thread.join()
        value, error = self._outcome
        if error is not None:
            raise error
        return value

    def stop(self) -> None:
        from ..verification.sweeps import stop_executor
        stop_executor(self.executor)


def _build_sections(builders: list, problem: Problem, context: dict[str, Any], progress: bool) -> list[Section]:
    import time
    out = []
    # One BLAS thread: the report's arrays are small (n ≤ 1024, p ≤ 4e5), and two threads on two cores
    # made the imaging runs 2× slower (measured 36 s against 19 s); the phase diagram's parallelism is
    # its worker processes.
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1), progress_bar(total=len(builders), desc="report", enabled=progress,
                                                   unit="section") as bar:
        for builder in builders:
            bar.set_description(f"report: {builder.__name__.removesuffix('_section')}")
            t0 = time.perf_counter()
            sec = builder(problem, context)
            sec.data["seconds"] = time.perf_counter() - t0
            out.append(sec)
            bar.update()
    return out


def load_config(path: str | Path) -> tuple[Problem, dict[str, Any]]:
    """Read an experiment TOML: ``[problem]`` (m, n, noise_norm, seed of the Gaussian problem),
    ``[network]`` (d, k, activation, v_init, seed) and ``[report]`` (experiments: whether the talk's
    experiments run); missing keys take the defaults. A report folder's own experiment.toml is one.

    Raises
    ------
    ValueError
        For unknown sections or keys, or values the problem/network constructors refuse.
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    path = check_input_file(path, "config")
    try:
        cfg = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"config: {path} is not valid TOML ({exc})") from None
    return config_from_dict(cfg)


def config_from_dict(cfg: dict[str, Any]) -> tuple[Problem, dict[str, Any]]:
    """:func:`load_config` on the tables already read: ``{"problem": {...}, "network": {...}, "report": {...}}``
    (missing keys take the defaults), checked the same way."""
    allowed = {"problem": set(DEFAULT_PROBLEM), "network": set(DEFAULT_NETWORK), "report": set(DEFAULT_REPORT)}
    for section, values in cfg.items():
        if section not in allowed:
            raise ValueError(f"config: unknown section [{section}]; allowed: {sorted(allowed)}")
        if not isinstance(values, dict):
            raise ValueError(f"config: '{section}' must be a table ([{section}] with keys "
                             f"{', '.join(sorted(allowed[section]))}), got {type(values).__name__} {values!r}")
        unknown = set(values) - allowed[section]
        if unknown:
            raise ValueError(f"config: unknown keys {sorted(unknown)} in [{section}]; allowed: "
                             f"{sorted(allowed[section])}")
    from ..problems import gaussian_problem
    prob_in = {**DEFAULT_PROBLEM, **cfg.get("problem", {})}
    net_in = {**DEFAULT_NETWORK, **cfg.get("network", {})}
    report_in = {**DEFAULT_REPORT, **cfg.get("report", {})}
    for key in DEFAULT_REPORT:
        if not isinstance(report_in[key], bool):
            raise ValueError(f"config: [report] {key} must be true or false, got {report_in[key]!r}")
    try:
        problem = gaussian_problem(prob_in["m"], prob_in["n"], noise_norm=prob_in["noise_norm"],
                                   seed=prob_in["seed"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"config: [problem] {exc}") from None
    try:
        TwoLayerDIP.validate_spec(problem.n, **_network_spec({"network": net_in}))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"config: [network] {exc}") from None
    return problem, {"problem": prob_in, "network": net_in, "report": report_in}


def _problem_and_inputs(problem: Problem | None, inputs: dict[str, Any] | None) -> tuple[Problem, dict[str, Any]]:
    """The problem a report shows and the inputs it records, made to agree: without ``problem`` the one the
    inputs' ``[problem]`` describes (the default without inputs); without a ``[problem]`` table the one that
    rebuilds ``problem``; with both, the table is checked against the problem (:func:`problem_inputs`)."""
    given = dict(inputs) if inputs is not None else {}
    inputs = {**default_inputs(), **given}
    if problem is None:
        problem, read = config_from_dict({"problem": dict(inputs["problem"])})
        inputs["problem"] = read["problem"]  # whole: the defaults of the keys left out, as experiment.toml has them
    else:
        inputs["problem"] = problem_inputs(problem, given.get("problem"))
    return problem, inputs


def problem_inputs(problem: Problem, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``[problem]`` table of experiment.toml that rebuilds ``problem``: m, n, noise_norm and seed of
    :func:`~boundcalc.problems.gaussian_problem`, checked by rebuilding it (A, x̄ and y equal to 1e-12
    relative). With ``spec`` (a table given with the problem) that table is checked instead.

    Raises
    ------
    ValueError
        If the table would rebuild another problem, or no table can (a problem that is not a seeded Gaussian
        draw of unit signal norm): a report of it could not be rerun from its folder.
    """
    from ..problems import gaussian_problem
    if spec is None:
        if problem.name != "gaussian" or problem.seed is None or problem.noise_norm is None:
            raise ValueError(f"problem: a report's experiment.toml rebuilds only a seeded Gaussian problem "
                             f"(bc.gaussian_problem(m, n, noise_norm=…, seed=…)); this one is {problem.name!r}"
                             f"{'' if problem.seed is not None else ' without a seed'}")
        # ‖ε‖ is the requested norm up to rounding: 15 digits give back the number that was asked for
        spec = {"m": problem.m, "n": problem.n, "noise_norm": float(f"{problem.noise_norm:.15g}"),
                "seed": int(problem.seed)}
    full = {**DEFAULT_PROBLEM, **spec}
    again = gaussian_problem(full["m"], full["n"], noise_norm=full["noise_norm"], seed=full["seed"])
    same = (again.A.shape == np.shape(problem.A) and
            all(np.allclose(a, np.asarray(b), rtol=1e-12, atol=0) for a, b in
                ((again.A, problem.A), (again.x_bar, problem.x_bar), (again.y, problem.y))))
    if not same:
        raise ValueError(f"problem: the experiment.toml table {full} rebuilds another problem than the one given "
                         "(a Gaussian draw of signal norm 1 with these m, n, noise_norm and seed is the only kind "
                         "it records); the report could not be rerun from its folder")
    return full


def write_report(out: str | Path = "reports/default", *, force: bool = False,
                 problem: Problem | None = None, inputs: dict[str, Any] | None = None,
                 sections: int | None = None, experiments: bool | None = None, progress: bool = False,
                 config: str | Path | None = None) -> Path:
    """Write ``report.html`` (self-contained), ``report.md``, ``results.json`` (described by the JSON
    Schema ``boundcalc/io/schemas/results.schema.json``), ``tables.tex`` (booktabs), the figures and a
    manifest into the folder ``out``, with ``experiment.toml``: the inputs that reproduce it.
    ``experiments`` None takes ``inputs["report"]["experiments"]`` (default True); ``config`` (the
    experiment file read, if any) is recorded as provenance in results.json's ``run``.

    Everything is validated before anything on disk changes; the report is built in a temporary
    folder beside ``out`` and moved into place only when complete (:mod:`boundcalc.io.outputs`).

    Raises
    ------
    OutputFolderError
        If ``out`` cannot be a report folder: an existing boundcalc report without ``force``, a
        folder holding files boundcalc did not write, the current/home/root folder, a file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / 'report'
    >>> folder = bc.write_report(out, problem=bc.gaussian_problem(10, 3, seed=0), sections=1, experiments=False)
    >>> sorted(p.name for p in folder.iterdir())  # doctest: +ELLIPSIS
    [...'experiment.toml', ...'report.html', 'report.md', 'results.json', ...]
    >>> print((folder / "experiment.toml").read_text().split("[problem]")[1].split("[network]")[0].strip())
    m = 10
    n = 3
    noise_norm = 0.01
    seed = 0
    """
    import time

    from ..verification.claims import observation_line
    from .dip_section import best_rule_line
    from .render import summary_markdown, to_html, to_tex, verdict_summary
    t_start = time.perf_counter()
    check_output_folder(out, force=force)
    problem, inputs = _problem_and_inputs(problem, inputs)
    report_in = {**DEFAULT_REPORT, **inputs.get("report", {})}
    if experiments is not None:
        report_in["experiments"] = bool(experiments)
    inputs["report"] = report_in
    experiments = report_in["experiments"]
    TwoLayerDIP.validate_spec(problem.n, **_network_spec(inputs))
    if experiments:  # the background phase diagram's memory, before any section runs
        from ..verification.sweeps import require_sweep_memory
        from .checks import phase_grid
        full = bool(report_in.get("full"))
        require_sweep_memory(**phase_grid(full), workers=phase_workers(full))
    toml_text = experiment_toml(inputs)  # refuses an unwritable value before the disk changes
    with staged_output_folder(out, force=force) as tmp:
        built = build_report(problem, inputs, sections=sections, experiments=experiments, progress=progress,
                             config_path=str(Path(out) / "experiment.toml"))
        env = _environment()
        summary = verdict_summary(built)
        missed = observation_line([c for sec in built for _, c in getattr(sec, "claims", [])])
        rules = next((best_rule_line(sec.data) for sec in built if sec.key == "dip"), "")
        top = "\n\n".join(x for x in (missed, rules) if x)  # the paragraphs under the verdict table
        head = ["# boundcalc verification report", "",
                f"Problem: **{problem.name}**, m = {problem.m}, n = {problem.n}; inputs: "
                f"`{json.dumps(jsonable(inputs))}`.", "",
                "Environment: " + ", ".join(f"{k} {v}" for k, v in env.items()), ""]
        verdicts_md = ["## Verdicts", "", summary_markdown(summary), ""] + ([top, ""] if top else [])
        md: list[str] = []
        results: dict[str, Any] = {"schema": "boundcalc/results/1", "environment": env, "inputs": jsonable(inputs),
                                   "problem": problem.to_dict(),
                                   "verdicts": [{"problem": p, **c} for p, c in summary],
                                   "observations_not_reproduced": missed or None}
        for sec in built:
            md += [f"## {sec.title}", "", sec.markdown, ""]
            results[sec.key] = jsonable(sec.data)
            for fname, fig in sec.figures.items():
                fig.savefig(tmp / fname, dpi=110, bbox_inches="tight")
                close_figure(fig)
        results["timings"] = {sec.key: sec.data["seconds"] for sec in built}
        for sec in built:  # work done beside the other sections (the phase diagram) is timed there
            if sec.data.get("seconds_in_background") is not None:
                results["timings"][f"{sec.key} (in the background)"] = sec.data["seconds_in_background"]
            results.get(sec.key, {}).pop("seconds_in_background", None)
        results["timings"]["total"] = time.perf_counter() - t_start
        # Provenance, like the timings, is not part of what a rerun must reproduce.
        results["run"] = {"config": None if config is None else str(config),
                          "reproduce": "boundcalc report --config experiment.toml"}
        (tmp / "experiment.toml").write_text(toml_text)
        (tmp / "report.md").write_text("\n".join(head + verdicts_md + md))
        (tmp / "results.json").write_text(json.dumps(results, indent=2))
        (tmp / "tables.tex").write_text(to_tex(built, results))
        # The page puts the verdicts at its top itself, so their Markdown copy is left out.
        (tmp / "report.html").write_text(to_html("\n".join(head[2:] + md), tmp, "boundcalc verification report",
                                                 summary, top))
    return Path(out)


def _network_spec(inputs: dict[str, Any]) -> dict[str, Any]:
    """The network keyword arguments of :meth:`TwoLayerDIP.validate_spec` from report inputs."""
    spec = {**DEFAULT_NETWORK, **inputs.get("network", {})}
    return {"d": spec["d"], "k": spec["k"], "activation": spec["activation"], "v_init": spec["v_init"],
            "seed": spec["seed"]}
