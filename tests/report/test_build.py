import html
import json
import time
from pathlib import Path

import pytest

import boundcalc
from boundcalc.cli import main
from boundcalc.io.outputs import MANIFEST, read_manifest
from boundcalc.report.build import write_report
from boundcalc.report.sections import SECTIONS


@pytest.fixture(scope="module")
def full_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep") / "default"
    code = main(["report", "--out", str(out)])
    # The exit status follows the verdicts: 1 exactly when a theorem claim is violated (as verify does); the
    # talk's figure readings are observations, counted apart, and fail the command only with --strict.
    violated = sum(v["violated"] for v in json.loads((out / "results.json").read_text())["verdicts"])
    assert code == (1 if violated else 0)
    return out


@pytest.fixture(scope="module", params=["spectrum", pytest.param("problem", marks=pytest.mark.slow),
                                        pytest.param("full", marks=pytest.mark.slow)])
def any_report(request, tmp_path_factory):
    """The first section alone (default suite: seconds), the problem's sections, and the whole
    default report (both slow)."""
    if request.param == "full":
        return request.getfixturevalue("full_report")
    out = tmp_path_factory.mktemp("rep") / request.param
    if request.param == "spectrum":
        write_report(out, sections=1, experiments=False)
    else:
        assert main(["report", "--out", str(out), "--no-experiments"]) in (0, 1)
    return out


@pytest.mark.slow
def test_full_report_content(full_report):
    data = json.loads((full_report / "results.json").read_text())
    assert {"environment", "inputs", "spectrum", "initialization", "rates", "verification", "cones", "imaging",
            "widths", "phase_diagram", "verdicts", "timings"} <= set(data)
    assert set(read_manifest(full_report)) >= {"report.html", "report.md", "results.json", "tables.tex"}
    assert all(data[key]["seconds"] > 0 for key in ("spectrum", "imaging", "widths", "phase_diagram"))
    assert data["initialization"]["verdict"] == "non_degenerate"
    for dyn in ("isehd", "igahd", "gf"):
        statuses = [c["status"] for c in data["verification"][dyn]["claims"]]
        # On IGAHD the ISEHD envelopes are read across: transferred, counted apart from verified ones.
        kept = "transferred" if dyn == "igahd" else "holds"
        assert "violated" not in statuses and statuses.count(kept) >= 4
    problems = {v["problem"]: v for v in data["verdicts"]}
    assert any(v["transferred"] >= 4 for v in problems.values())  # the verdict table counts them apart
    md = (full_report / "report.md").read_text()
    assert "σ_A" in md and "numpy" in md and "holds" in md
    for fig in ("spectrum.png", "envelopes.png", "trajectory.png", "phase_diagram.png", "widths.png",
                "deblurring_early_stopping.png", "normal-integration_early_stopping.png"):
        assert (full_report / fig).stat().st_size > 1000
    for name in ("deblurring", "normal-integration"):
        runs = data["imaging"][name]["runs"]
        assert {r["dynamics"] for r in runs} == {"igahd", "gd"}
        assert all(r["best_iteration"] >= 0 and r["T_ES"] != "nan" for r in runs)
        assert {"signal", "noise"} <= set(data["imaging"][name]["problem"]["info"])
        if all(r["psnr_T_ES"] is None for r in runs):  # said in the caption, not in a column of blank panels
            assert "Not reached within the run, so not shown: x(T_ES) of IGAHD" in md
    # the talk's showcase: on deblurring x(best) beats both the observation and the last iterate
    deblur = data["imaging"]["deblurring"]
    assert deblur["psnr_y"] is not None and data["imaging"]["normal-integration"]["psnr_y"] is None
    for r in deblur["runs"]:
        assert r["best_psnr"] > deblur["psnr_y"] + 1 and r["best_psnr"] > r["end_psnr"] + 3
        assert 0 < r["best_iteration"] < r["end_iteration"]
    # the phase diagram: both budgets, censored medians, budget-checked claims
    phase = data["phase_diagram"]
    assert phase["budgets"] == [15000, 60000] and set(phase["median_iterations"]) == {"15000", "60000"}
    assert all(c["kind"] == "observation" and c["status"] in ("reproduced", "not_reproduced", "inconclusive")
               for c in phase["claims"])
    missed = [c for c in phase["claims"] if c["status"] == "not_reproduced"]
    assert sum(v["observations_not_reproduced"] for v in data["verdicts"]) == len(missed)
    assert (data["observations_not_reproduced"] is None) == (not missed)
    page = html.unescape(_visible_text((full_report / "report.html").read_text()))
    for c in missed:  # the top of the report names each, with its numbers
        assert c["statement"] in data["observations_not_reproduced"] and c["statement"] in page
    assert data["initialization"]["pass_rates"]["network"]["trials"] >= 20
    assert data["timings"]["phase_diagram (in the background)"] > 0
    # the report's own experiment file by the path given to --out: the command runs from where the report was made
    assert f"boundcalc claim loss_envelope --run isehd --config {full_report / 'experiment.toml'}" in md
    text = _visible_text((full_report / "report.html").read_text())
    assert not [raw for raw in ("$", "\\frac", "^{", "_{") if raw in text]


@pytest.mark.slow
def test_full_report_reproduces_from_its_experiment_toml(full_report, tmp_path):
    """`boundcalc report --config <folder>/experiment.toml` gives the same results.json, apart from
    timings and provenance: the report folder carries what reproduces it."""
    again = tmp_path / "again"
    main(["report", "--config", str(full_report / "experiment.toml"), "--out", str(again), "--quiet"])
    a, b = (json.loads((p / "results.json").read_text()) for p in (full_report, again))
    assert _comparable(a) == _comparable(b)


def test_results_json_follows_its_schema(any_report):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(boundcalc.__file__).parent / "io" / "schemas" / "results.schema.json").read_text())
    data = json.loads((any_report / "results.json").read_text())
    jsonschema.validate(data, schema)
    broken = json.loads(json.dumps(data))
    if "verification" in broken:
        broken["verification"]["isehd"]["claims"][0]["status"] = "probably"
    else:
        del broken["spectrum"]["sigma_A"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_the_schema_knows_every_claim_status_and_nothing_else():
    jsonschema = pytest.importorskip("jsonschema")
    from boundcalc.verification.claims import OBSERVATION_STATUSES, STATUSES, VERDICT_KEYS
    schema = json.loads((Path(boundcalc.__file__).parent / "io" / "schemas" / "results.schema.json").read_text())
    claim_schema = {"$defs": schema["$defs"], **schema["$defs"]["claim"]}
    claim = {"claim_id": "c", "statement": "s", "predicted": 1.0, "measured": 0.5, "margin": 0.5,
             "hypotheses": [["h", True]], "kind": "theorem", "within_rounding": False}
    for status in set(STATUSES) | set(OBSERVATION_STATUSES):
        jsonschema.validate({**claim, "status": status}, claim_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**claim, "status": "probably"}, claim_schema)
    verdict = schema["properties"]["verdicts"]["items"]
    assert set(verdict["required"]) == {"problem", *VERDICT_KEYS}


def test_html_is_self_contained(any_report):
    from html.parser import HTMLParser

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__()
            self.imgs, self.urls, self.ids = [], [], []

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "img":
                self.imgs.append(a.get("src", ""))
            for key in ("src", "href"):
                if a.get(key):
                    self.urls.append(a[key])
            if tag in ("link", "script") and (a.get("src") or a.get("href")):
                self.urls.append(a.get("src") or a.get("href"))

    page = (any_report / "report.html").read_text()
    parser = Collect()
    parser.feed(page)
    pngs = list(any_report.glob("*.png"))
    assert len(parser.imgs) == len(pngs) >= {"default": 7, "problem": 3, "spectrum": 1}[any_report.name]
    assert all(src.startswith("data:image/png;base64,") for src in parser.imgs)
    assert not [u for u in parser.urls if "://" in u or u.startswith("//")]  # nothing loaded from outside
    assert page.index("Verdicts") < page.index("Contents") < page.index("Operator spectrum")


def test_tables_tex(any_report):
    tex = (any_report / "tables.tex").read_text()
    assert "\\begin{tabular}" in tex and tex.count("\\toprule") >= 2
    if any_report.name != "spectrum":  # the claims section's rows
        assert "lojasiewicz\\_rate" in tex
    if any_report.name == "default":  # the experiments add the widths table and the phase-diagram claims
        assert tex.count("\\toprule") >= 3 and "phase\\_gain\\_over" in tex


def test_report_refuses_overwrite_without_force(any_report, capsys):
    assert (any_report / MANIFEST).exists()
    assert main(["report", "--out", str(any_report)]) == 2
    assert "--force" in capsys.readouterr().err
    (any_report / "mine.txt").write_text("user data")
    assert main(["report", "--out", str(any_report), "--force"]) == 2
    assert "mine.txt" in capsys.readouterr().err
    assert (any_report / "mine.txt").read_text() == "user data"


def test_force_replaces_only_a_boundcalc_report(tmp_path):
    out = tmp_path / "r"
    write_report(out, sections=1, experiments=False)
    first = set(read_manifest(out))
    assert first == {p.name for p in out.iterdir()} - {MANIFEST}
    with pytest.raises(ValueError, match="--force"):
        write_report(out, sections=1, experiments=False)
    write_report(out, sections=2, force=True, experiments=False)
    assert set(read_manifest(out)) == first
    assert "initialization" in json.loads((out / "results.json").read_text())
    assert not [p for p in tmp_path.iterdir() if p.name != "r"]  # no staging folder left behind


def test_report_reproducible(tmp_path):
    # The deterministic sections (no timings, no solver output): same seeds, same numbers.
    a = json.loads((write_report(tmp_path / "a", sections=3, experiments=False) / "results.json").read_text())
    b = json.loads((write_report(tmp_path / "b", sections=3, experiments=False) / "results.json").read_text())
    for d in (a, b):  # timings are not reproducible numbers
        d.pop("environment"), d.pop("timings")
        for sec in d.values():
            if isinstance(sec, dict):
                sec.pop("seconds", None)
    assert a == b
    assert len(SECTIONS) == 5


@pytest.mark.slow
def test_config_file(tmp_path, capsys):
    cfg = tmp_path / "exp.toml"
    cfg.write_text("[problem]\nm = 30\nn = 3\nseed = 0\n[network]\nk = 1000\nd = 3\n")
    out = tmp_path / "cfg"
    assert main(["report", "--config", str(cfg), "--out", str(out), "--no-experiments"]) == 0
    data = json.loads((out / "results.json").read_text())
    assert data["problem"]["m"] == 30 and data["inputs"]["network"]["k"] == 1000
    assert data["initialization"]["verdict"] == "degenerate"  # k = 1000 is far too narrow here
    capsys.readouterr()
    cfg.write_text("[problem]\nm = 30\nsize = 4\n")
    assert main(["report", "--config", str(cfg), "--out", str(tmp_path / "x")]) == 2
    assert "unknown keys ['size']" in capsys.readouterr().err
    cfg.write_text("[problem\n")
    assert main(["report", "--config", str(cfg), "--out", str(tmp_path / "y")]) == 2


def test_tex_widths_table_shows_a_width_not_found_as_a_bound():
    from boundcalc.report.render import to_tex
    from boundcalc.verification.experiments import WidthRow
    rows = [WidthRow("gaussian", 2, 2, 3e3, -1, 1024, 0.0, (0.0, 1.0), -1, 4, 0.0).to_dict(),
            WidthRow("gaussian", 4, 2, 3e3, 64, 1024, 0.5, (0.2, 0.8), 8, 64, 1.0).to_dict()]
    assert rows[0]["k_instance"] is None and rows[0]["k_instance_status"] == "not found up to k = 1024"
    tex = to_tex([], {"widths": {"rows": rows}})
    assert "$>1024$" in tex and "$>4$" in tex and "& 64 &" in tex


def _comparable(results: dict) -> dict:
    """results.json without what a rerun need not reproduce: timings (the "timings" object and every
    "seconds" field, e.g. a solver's time inside a cone bracket), provenance and the environment."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "seconds"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    return strip({k: v for k, v in results.items() if k not in ("timings", "run", "environment")})


def test_experiment_toml_reproduces_the_report(tmp_path):
    """The report folder's experiment.toml, read back with load_config, reruns the same report: the
    same results.json apart from timings and provenance."""
    from boundcalc.report.build import load_config
    first = write_report(tmp_path / "a", sections=3, experiments=False)
    toml_text = (first / "experiment.toml").read_text()
    assert "[problem]" in toml_text and "experiments = false" in toml_text
    assert "experiment.toml" in read_manifest(first)
    problem, inputs = load_config(first / "experiment.toml")
    again = write_report(tmp_path / "b", sections=3, problem=problem, inputs=inputs,
                         config=first / "experiment.toml")
    a, b = (json.loads((p / "results.json").read_text()) for p in (first, again))
    assert b["run"]["config"].endswith("experiment.toml") and a["run"]["config"] is None
    assert _comparable(a) == _comparable(b)
    assert a["inputs"]["report"] == {"experiments": False, "full": False}


def test_experiment_toml_round_trips_every_value_type(tmp_path):
    import tomllib

    from boundcalc.report.build import experiment_toml
    inputs = {"problem": {"m": 3, "n": 2, "noise_norm": 1e-07, "seed": 6},
              "network": {"activation": 'ta"nh', "k": 10, "v_init": "rademacher"}, "report": {"experiments": True}}
    assert tomllib.loads(experiment_toml(inputs)) == inputs
    with pytest.raises(ValueError, match="non-finite"):
        experiment_toml({"problem": {"noise_norm": float("nan")}})
    with pytest.raises(TypeError, match="cannot write"):
        experiment_toml({"problem": {"m": [1, 2]}})


def test_claims_table_shows_the_command_that_rechecks_each_claim():
    from boundcalc.report.checks import claim_command
    from boundcalc.report.render import claims_table
    from boundcalc.verification.claims import ClaimCheck
    c = ClaimCheck("loss_envelope", "L ≤ env", 1.0, 0.5, "holds", 0.5)
    table = claims_table([c], [claim_command("loss_envelope", run="isehd")])
    assert table.splitlines()[0].endswith("re-check alone |")
    assert "`boundcalc claim loss_envelope --run isehd --config experiment.toml` |" in table
    assert claim_command("x", config="my reports/e.toml").endswith("--config 'my reports/e.toml'")
    assert "re-check" not in claims_table([c])
    with pytest.raises(ValueError, match="one per claim"):
        claims_table([c], [])


def test_claim_command_rechecks_a_test_function_claim_alone(run_cli):
    """`boundcalc claim` computes exactly the report's claim (same function, same settings)."""
    from boundcalc.report.checks import test_function_claims
    code, out, err = run_cli("claim", "lojasiewicz_rate", "--p", "2", "--json")
    assert code == 0, err
    got = json.loads(out)
    want = test_function_claims("lojasiewicz_rate", 2)[0]
    assert got["status"] == want.status and got["measured"] == pytest.approx(want.measured, rel=1e-12)
    assert got["inputs"]["p"] == 2
    for args, message in ((("lojasiewicz_rate",), "--p"), (("loss_envelope",), "--run"),
                          (("lojasiewicz_rate", "--p", "7"), "checked for p in (2, 3, 4), got 7"),
                          # each refused before any computation (an unknown id was answered about --run,
                          # and with --run isehd only after a 70 s run; --p was ignored)
                          (("nosuchclaim",), "'nosuchclaim' is not one of the report's claims"),
                          (("nosuchclaim", "--run", "isehd"), "'nosuchclaim' is not one of the report's claims"),
                          (("igahd_energy", "--p", "2"), "--p: only lojasiewicz_rate"),
                          (("loss_envelope", "--run", "isehd", "--p", "2"), "--p: only lojasiewicz_rate"),
                          (("trap_avoidance", "--run", "gf"), "drop --run"),
                          (("gf_loss", "--run", "isehd"), "made by the gf run(s), not isehd")):
        t0 = time.perf_counter()
        code, _, err = run_cli("claim", *args)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
        assert time.perf_counter() - t0 < 30  # refused up front, not after the run (70 s)


@pytest.mark.parametrize("dynamics", ["isehd", "igahd", "gf"])
def test_the_claim_ids_claim_knows_are_those_verify_makes(dynamics):
    from boundcalc.nets.two_layer import TwoLayerDIP
    from boundcalc.problems import gaussian_problem
    from boundcalc.report.checks import RUN_CLAIMS
    from boundcalc.verification.claims import verify
    made = []
    for m, n in ((10, 5), (5, 10)):  # m > n adds loss_envelope_range (y may leave the range of A)
        prob = gaussian_problem(m, n, noise_norm=0.01, seed=0)
        res = verify(prob, TwoLayerDIP(prob.n, 2, 2000, "tanh", seed=0), dynamics=dynamics, iterations=50,
                     compare_gf=dynamics == "isehd", t_max=1.0)
        made += [c.claim_id for c in res.claims]
    assert set(made) == set(RUN_CLAIMS[dynamics])


def test_full_report_option_is_recorded_and_checked(tmp_path, run_cli):
    """`report --full` is the talk-size phase diagram, recorded in experiment.toml's [report] so that
    the file reruns the same report; combined with --no-experiments it is refused before any work."""
    from boundcalc.report.build import load_config
    from boundcalc.report.checks import PHASE_GRID, PHASE_GRID_FULL, phase_grid
    assert phase_grid(True) == PHASE_GRID_FULL and phase_grid() == PHASE_GRID
    assert (PHASE_GRID_FULL["n"], PHASE_GRID_FULL["m"], len(PHASE_GRID_FULL["ks"]), len(PHASE_GRID_FULL["alphas"]),
            PHASE_GRID_FULL["trials"], PHASE_GRID_FULL["iterations"]) == (50, 25, 10, 10, 20, 15000)
    cfg = tmp_path / "e.toml"
    cfg.write_text("[report]\nfull = true\n")
    assert load_config(cfg)[1]["report"] == {"experiments": True, "full": True}
    cfg.write_text("[report]\nfull = 1\n")
    with pytest.raises(ValueError, match="full must be true or false"):
        load_config(cfg)
    code, _, err = run_cli("report", "--full", "--no-experiments", "--out", tmp_path / "r")
    assert code == 2 and "--full" in err and not (tmp_path / "r").exists()


def _visible_text(html_text: str) -> str:
    """What a reader sees: the page without its style, scripts, code spans and typeset MathML."""
    import re
    for block in ("style", "script", "math", "code"):
        html_text = re.sub(rf"<{block}\b.*?</{block}>", " ", html_text, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html_text)


def test_formulas_are_typeset_never_raw_tex(tmp_path):
    """The initialization section renders its formulas from sympy: the page carries them as MathML,
    and no TeX ($…$, backslash commands, ^{…}) is left in its visible text."""
    out = write_report(tmp_path / "r", sections=2, experiments=False)
    page = (out / "report.html").read_text()
    assert page.count("<math") >= 5 and "<mfrac>" in page
    text = _visible_text(page)
    for raw in ("$", "\\frac", "\\sigma", "^{", "_{"):
        assert raw not in text, raw
    assert "$" in (out / "report.md").read_text()  # the Markdown keeps TeX for Markdown renderers


@pytest.mark.parametrize("content, what", [(None, "is missing"), (b"", "is empty"), (b"GIF89a", "is not a PNG")])
def test_a_figure_that_cannot_be_shown_is_refused_not_embedded(tmp_path, content, what):
    from boundcalc.report.render import to_html
    if content is not None:
        (tmp_path / "fig.png").write_bytes(content)
    with pytest.raises(ValueError, match=f"the figure fig.png {what}"):
        to_html("![a figure](fig.png)", tmp_path, "t", [])
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig = plt.figure()
    fig.savefig(tmp_path / "fig.png")
    plt.close(fig)
    assert "data:image/png;base64," in to_html("![a figure](fig.png)", tmp_path, "t", [])


def test_the_problem_shown_and_the_problem_recorded_are_the_same(tmp_path):
    """write_report(problem=P) recorded the default problem's table in experiment.toml (and its pass-rate
    section crashed on the mismatch); inputs without a problem reported the default problem."""
    import numpy as np

    from boundcalc.problems import deblurring_problem, gaussian_problem
    from boundcalc.report.build import load_config, problem_inputs
    given = gaussian_problem(10, 3, noise_norm=0.02, seed=4)
    folder = write_report(tmp_path / "p", problem=given, sections=1, experiments=False)
    rebuilt, inputs = load_config(folder / "experiment.toml")
    assert inputs["problem"] == {"m": 10, "n": 3, "noise_norm": 0.02, "seed": 4}
    np.testing.assert_array_equal(rebuilt.y, given.y)
    results = json.loads((folder / "results.json").read_text())
    assert results["inputs"]["problem"] == inputs["problem"]
    # inputs alone: the report is of the problem they describe
    folder = write_report(tmp_path / "i", inputs={"problem": inputs["problem"]}, sections=1, experiments=False)
    shown = json.loads((folder / "results.json").read_text())["problem"]
    assert (shown["m"], shown["n"], shown["seed"]) == (10, 3, 4)
    # what experiment.toml cannot rebuild is refused before the disk changes
    for problem, inp, match in ((deblurring_problem((16, 16), seed=0), None, "rebuilds only a seeded Gaussian"),
                                (given, {"problem": {"m": 10, "n": 3, "seed": 5}}, "rebuilds another problem"),
                                (gaussian_problem(10, 3, signal_norm=2.0, seed=4), None, "another problem")):
        with pytest.raises(ValueError, match=match):
            write_report(tmp_path / "no", problem=problem, inputs=inp, sections=1, experiments=False)
        assert not (tmp_path / "no").exists()
    assert problem_inputs(given) == {"m": 10, "n": 3, "noise_norm": 0.02, "seed": 4}
    # a partial table is recorded whole: the keys left out take the defaults that rebuilt the problem
    folder = write_report(tmp_path / "part", problem=gaussian_problem(10, 3, seed=4), sections=1,
                          experiments=False, inputs={"problem": {"m": 10, "n": 3, "seed": 4}})
    assert load_config(folder / "experiment.toml")[1]["problem"] == {"m": 10, "n": 3, "noise_norm": 0.01, "seed": 4}
