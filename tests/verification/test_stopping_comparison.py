"""The stopping-rule comparison: Landweber's closed form against the iteration itself, every rule replayed on
one small run with figures that add up, and a sweep that resumes from its folder (skipped without torch)."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from boundcalc.problems import deblurring_problem  # noqa: E402
from boundcalc.verification import stopping_comparison as sc  # noqa: E402
from boundcalc.verification.experiments import psnr  # noqa: E402


def test_landweber_closed_form_equals_the_iteration():
    prob = deblurring_problem((16, 16), blur_sigma=1.0, seed=3)
    best, p_best, curve = sc.landweber_oracle(prob, step=1.0, iterations=40)
    x, dists = np.zeros(prob.n), []
    for _ in range(41):
        dists.append(np.linalg.norm(x - prob.x_bar))
        x = x + prob.A.T @ (prob.y - prob.A @ x)
    np.testing.assert_allclose(curve, psnr(dists, prob.x_bar), rtol=1e-10)
    assert best == int(np.argmax(curve)) and p_best == curve[best]
    with pytest.raises(ValueError, match="must be < 2"):
        sc.landweber_oracle(prob, step=2.5)


def test_every_rule_is_replayed_and_its_figures_add_up():
    prob, y2 = sc._problem("deblurring", (16, 16), 1.0, 0)
    rec = sc.run_rules(prob, y2, 50 / 255, net="conv", optimizer="adam", iterations=60, window=10, patience=20,
                       conv_options={"channels": 4, "depth": 2})
    assert set(rec["rules"]) == set(sc.RULES)
    best = rec["oracle_best"]["psnr"]
    for name, out in rec["rules"].items():
        if out["never_fired"]:
            assert out["fired_at"] is None and out["spent"] is None
        else:
            assert out["db_lost"] == pytest.approx(best - out["psnr"]) and out["spent"] >= 0
            assert out["fired_at"] - out["stop_iteration"] == out["spent"]
            if name != "oracle: best EMA":
                assert out["db_lost"] >= -1e-12  # no raw iterate beats the oracle best
    assert rec["rules"]["theorem T_ES"]["never_fired"] and "not_applicable" in rec["rules"]["theorem T_ES"]["note"]
    assert rec["ema_beats_every_iterate"] == (rec["rules"]["oracle: best EMA"]["db_lost"] < 0)
    json.dumps(rec)


def test_a_sweep_resumes_from_its_folder_and_refuses_a_foreign_one(tmp_path, monkeypatch):
    calls = []

    def fake(problem, y2, sigma, **kw):
        calls.append(kw["net_seed"])
        outcome = {"rule": "x", "fired_at": 5, "stop_iteration": 3, "psnr": 10.0, "db_lost": 1.0 + kw["net_seed"],
                   "spent": 2, "never_fired": False, "note": ""}
        return {"problem": problem.name, "net": kw["net"], "optimizer": kw["optimizer"],
                "rules": {r: outcome for r in sc.RULES}}

    monkeypatch.setattr(sc, "run_rules", fake)
    out = tmp_path / "cmp"
    res = sc.stopping_comparison("deblurring", size=(16, 16), seeds=3, noise_factors=(1.0,), iterations=10, out=out)
    assert calls == [0, 1, 2] and len(list((out / "runs").glob("*.json"))) == 3
    row = next(r for r in res.table if r["rule"] == "ES-WMV")
    assert (row["median_db_lost"], row["worst_db_lost"], row["never_fired"], row["runs"]) == (2.0, 3.0, 0, 3)
    calls.clear()
    again = sc.stopping_comparison("deblurring", size=(16, 16), seeds=3, noise_factors=(1.0,), iterations=10,
                                   out=out)
    assert calls == [] and again.table == res.table  # every run read back, none recomputed
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="did not write"):
        sc.stopping_comparison("deblurring", size=(16, 16), seeds=1, out=tmp_path / "mine")


def _landweber_explicit(problem, gamma, iterations):
    """Landweber by matrices on a small image: x_ℓ = F_ℓ y with F_{ℓ+1} = F_ℓ + γAᵀ(I − A F_ℓ)."""
    n = problem.n
    A = problem.A @ np.eye(n)
    F = np.zeros((n, n))
    out = []
    for _ in range(iterations + 1):
        x = F @ problem.y
        out.append((np.sum((A @ x - problem.y) ** 2), np.trace(A @ F), x))
        F = F + gamma * A.T @ (np.eye(n) - A @ F)
    return out


def test_landweber_rules_are_the_explicit_iteration_in_closed_form():
    from boundcalc.problems import deblurring_problem
    from boundcalc.verification.stopping_comparison import landweber_rules
    prob = deblurring_problem((8, 8), blur_sigma=0.7, noise_std=0.05, seed=3)
    gamma, its, sigma = 0.5, 60, 0.05
    explicit = _landweber_explicit(prob, gamma, its)
    rss = np.array([e[0] for e in explicit])
    tr = np.array([e[1] for e in explicit])
    r = landweber_rules(prob, sigma, step=gamma, iterations=its)
    np.testing.assert_allclose(r["residual"] ** 2, rss, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(r["trace"], tr, rtol=1e-10, atol=1e-12)
    m = prob.y.size
    assert r["upre"] == int(np.argmin(rss + 2 * sigma**2 * tr - m * sigma**2))
    assert r["gcv"] == int(np.argmin(rss / (m - tr) ** 2))
    below = np.flatnonzero(np.sqrt(rss) <= sigma * np.sqrt(m))
    assert r["discrepancy"] == (int(below[0]) if below.size else None)
    none = landweber_rules(prob, None, step=gamma, iterations=its)
    assert none["gcv"] == r["gcv"] and none["upre"] is None and none["discrepancy"] is None


def test_the_x_space_risk_estimate_is_unbiased():
    """E over the noise of the estimate equals E‖x_ℓ − x̄‖² − ‖x̄‖² at every ℓ (Monte Carlo, 3000 draws)."""
    from boundcalc.problems import deblurring_problem, make_problem
    from boundcalc.verification import stopping_comparison as sc
    base = deblurring_problem((8, 8), blur_sigma=0.6, noise_std=0.1, seed=0)
    A, x_bar, sigma, gamma, its = base.A, base.x_bar, 0.1, 0.5, 30
    rng = np.random.default_rng(1)
    H2 = np.abs(A._fft) ** 2
    est, true = np.zeros(its + 1), np.zeros(its + 1)
    draws = 3000
    ls = np.arange(its + 1)[:, None, None]
    f = 1 - (1 - gamma * H2) ** ls
    X = np.fft.fft2(x_bar.reshape(8, 8))
    for _ in range(draws):
        y = A @ x_bar + sigma * rng.standard_normal(64)
        curve = sc.landweber_rules(make_problem(A, y, x_bar=x_bar), sigma, step=gamma, iterations=its)["curves"]
        est += curve["x_risk"]
        Xl = f * np.fft.fft2(y.reshape(8, 8)) / A._fft
        true += np.sum(np.abs(Xl - X) ** 2, axis=(1, 2)) / 64 - np.sum(x_bar**2)
    est, true = est / draws, true / draws
    np.testing.assert_allclose(est, true, atol=0.03 * np.sum(x_bar**2))


def test_a_run_can_carry_the_theorems_mechanism_for_the_reports_panel():
    pytest.importorskip("torch")
    import json

    from boundcalc.verification.mechanism import plot_mechanism
    from boundcalc.verification.stopping_comparison import _problem, run_rules
    prob, y2 = _problem("deblurring", (12, 12), 1.0, 0)
    rec = run_rules(prob, y2, 50 / 255, net="conv", optimizer="gd", iterations=20, window=5, patience=5, sure=False,
                    conv_options={"channels": 4, "depth": 1}, mechanism_checkpoints=3)
    mech = rec["mechanism"]
    assert mech["checkpoints"][0] == 0 and mech["checkpoints"][-1] == 20 and len(mech["sigma_min_lower"]) == 4
    assert ("stayed" in mech["verdict"]) == mech["stayed"]
    json.dumps({k: v for k, v in rec.items() if k != "_mechanism"})
    assert len(plot_mechanism({"gd": rec["_mechanism"]}).axes) == 2


def test_the_comparison_runs_on_a_dask_cluster_and_keeps_each_run_here(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("distributed")
    from boundcalc.verification.stopping_comparison import stopping_comparison
    from boundcalc.verification.sweeps import dask_executor, dask_workers
    kw = dict(size=(12, 12), nets=("conv",), optimizers=("gd", "adam"), seeds=2, noise_factors=(1.0,),
              iterations=20, window=5, patience=5, sure=False, conv_options={"channels": 4, "depth": 1})
    with dask_executor("local:2") as executor:
        assert dask_workers(executor) == 2 and dask_workers(object()) is None
        remote = stopping_comparison("deblurring", out=tmp_path / "cmp", executor=executor, **kw)
    here = stopping_comparison("deblurring", **kw)
    assert len(list((tmp_path / "cmp" / "runs").glob("*.json"))) == 4
    assert [r["rules"] for r in remote.runs] == [r["rules"] for r in here.runs]  # same grid order, same numbers
    resumed = stopping_comparison("deblurring", out=tmp_path / "cmp", **kw)  # every run read back, none recomputed
    assert [r["seconds"] for r in resumed.runs] == [r["seconds"] for r in remote.runs]


def test_an_interrupted_comparison_says_which_runs_it_kept(tmp_path, monkeypatch):
    from boundcalc.verification import stopping_comparison as sc
    from boundcalc.verification.sweeps import SweepInterrupted
    calls = []

    def fake(*spec):
        calls.append(spec)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return {"rules": {}, "noise_factor": spec[4]}
    monkeypatch.setattr(sc, "_comparison_run", fake)
    with pytest.raises(SweepInterrupted, match="interrupted: 1 of 2 runs saved in .*rerun the same command"):
        sc.stopping_comparison("deblurring", seeds=2, noise_factors=(1.0,), out=tmp_path / "cmp")
    assert len(list((tmp_path / "cmp" / "runs").glob("*.json"))) == 1


def test_the_device_is_recorded_and_a_gpu_run_is_kept_under_a_name_of_its_own(tmp_path, monkeypatch):
    from boundcalc.verification import dip
    from boundcalc.verification import stopping_comparison as sc
    specs = []

    def fake(*spec):
        specs.append(spec)
        return {"problem": spec[0], "net": spec[2], "optimizer": spec[3], "rules": {}, "device": spec[-1],
                "noise_factor": spec[4]}
    monkeypatch.setattr(sc, "_comparison_run", fake)
    cpu = sc.stopping_comparison("deblurring", seeds=1, noise_factors=(1.0,), out=tmp_path / "cmp")
    assert cpu.settings["device"] == "cpu" and specs[-1][-1] == "cpu"
    # a GPU here is pretended: the check is the file name a GPU run is kept under, and that the CPU's stays
    monkeypatch.setattr(dip, "_check_device", lambda device: "cuda:0")
    gpu = sc.stopping_comparison("deblurring", seeds=1, noise_factors=(1.0,), out=tmp_path / "cmp")
    names = sorted(p.name for p in (tmp_path / "cmp" / "runs").glob("*.json"))
    assert len(names) == 2 and names[0].endswith("_it1500.json") and names[1].endswith("_it1500_cuda0.json")
    assert len(specs) == 2 and specs[-1][-1] == "cuda:0" and gpu.settings["device"] == "cuda:0"
    with pytest.raises(ValueError, match="device.*executor"):
        sc.stopping_comparison("deblurring", seeds=1, noise_factors=(1.0,), executor=object())


def test_a_run_records_where_it_trained():
    prob, y2 = sc._problem("deblurring", (12, 12), 1.0, 0)
    rec = sc.run_rules(prob, y2, 50 / 255, net="conv", optimizer="gd", iterations=8, window=3, patience=3,
                       sure=False, conv_options={"channels": 4, "depth": 1}, device="cpu")
    assert rec["device"] == "cpu"
    with pytest.raises(ValueError, match="device"):
        sc.run_rules(prob, y2, 50 / 255, device="tpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_gpu_run_gives_the_cpus_figures_to_rounding():
    prob, y2 = sc._problem("deblurring", (16, 16), 1.0, 0)
    kw = dict(net="conv", optimizer="gd", iterations=40, window=5, patience=10, sure=True,
              conv_options={"channels": 4, "depth": 2})
    cpu = sc.run_rules(prob, y2, 50 / 255, device="cpu", **kw)
    gpu = sc.run_rules(prob, y2, 50 / 255, device="cuda", **kw)
    assert gpu["device"] == "cuda"
    np.testing.assert_allclose(gpu["psnr_curve"], cpu["psnr_curve"], rtol=1e-8)
    assert gpu["oracle_best"]["iteration"] == cpu["oracle_best"]["iteration"]


def test_a_grid_that_cannot_run_is_refused_before_the_first_run(tmp_path, monkeypatch):
    from boundcalc.verification import stopping_comparison as sc
    monkeypatch.setattr(sc, "_comparison_run", lambda *spec: pytest.fail("a run started"))
    said = []
    for kw, match in (({"size": (12, 12)}, "size: 12x12 must be divisible by 2\\^depth = 8"),
                      ({"nets": ("unet",)}, "nets"), ({"optimizers": ("sgd",)}, "optimizers"),
                      ({"iterations": 0}, "iterations"), ({"noise_factors": (-1.0,)}, "noise")):
        with pytest.raises(ValueError, match=match):
            sc.stopping_comparison("deblurring", seeds=1, out=tmp_path / "cmp", announce=said.append, **kw)
    assert said == [] and not (tmp_path / "cmp").exists()  # nothing said, nothing written
    # a decoder of depth 2 makes 12×12: the size is checked against the network actually asked for
    sc.check_comparison("deblurring", size=(12, 12), nets=("conv",), optimizers=("adam",), seeds=1,
                        noise_factors=(1.0,), iterations=5, conv_options={"depth": 2})


def test_the_command_draws_one_box_per_rule_and_resumes_beside_its_figure(tmp_path, capsys):
    from boundcalc.cli import main
    argv = ["stopping", "--size", "16x16", "--seeds", "2", "--noise", "1", "--iterations", "12", "--window", "3",
            "--patience", "3", "--no-sure", "--out", str(tmp_path / "cmp")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    figure = tmp_path / "cmp" / "stopping_rules.png"
    assert f"figure: {figure}" in out and figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(argv) == 0  # the figure is the comparison's own: the folder resumes
    assert "figure:" in capsys.readouterr().out
    (tmp_path / "mine").mkdir()  # a figure of that name with no runs/ beside it is the user's: never replaced
    (tmp_path / "mine" / "stopping_rules.png").write_bytes(b"mine")
    assert main([*argv[:-1], str(tmp_path / "mine")]) == 2
    assert "did not write" in capsys.readouterr().err
    assert (tmp_path / "mine" / "stopping_rules.png").read_bytes() == b"mine"
    res = sc.ComparisonResult(tuple(json.loads(p.read_text()) for p in sorted((tmp_path / "cmp" / "runs").glob("*"))),
                              (), {})
    fig = sc.plot_comparison(res)
    ax = fig.axes[0]
    # every rule the runs have (SURE left out by --no-sure), in the table's order from the top
    assert [t.get_text() for t in ax.get_yticklabels()] == [r for r in sc.RULES if r != "SURE minimum"]
    never = [t.get_text() for t in ax.texts if t.get_text()]
    assert "never 2/2" in never  # the theorem's T_ES does not apply to the conv net: never fired
