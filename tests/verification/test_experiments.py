"""The talk's experiments: phase-diagram claims on known grids, PSNR, widths shown as bounds."""

import numpy as np
import pytest

from boundcalc.problems import deblurring_problem, gaussian_problem, normal_integration_problem
from boundcalc.verification.experiments import REGIMES, phase_diagram_claims, psnr, width_table
from boundcalc.verification.sweeps import PhaseDiagramResult


def grid(igahd, ks=(5, 10, 200, 400), n=20):
    return PhaseDiagramResult(tuple(ks), (0.0, 100.0, 900.0), np.array(igahd, float), np.zeros(len(ks)), 8,
                              {"n": n}, 0, 0)


def test_phase_claims_follow_the_declared_thresholds():
    flat_then_gain = grid([[0, 0.125, 0.25], [0.5, 0.5, 0.625], [0, 0.5, 1.0], [0.25, 1.0, 0.75]])
    under, over = phase_diagram_claims(flat_then_gain)
    assert (under.status, over.status) == ("holds", "holds")
    assert under.measured == pytest.approx(0.25) and over.measured == pytest.approx(0.75)
    gain_under = grid([[0, 0.5, 0.0], [0, 0, 0], [0, 0.25, 0.375], [0, 1, 1]])
    under, over = phase_diagram_claims(gain_under)
    assert under.status == "violated" and under.margin == pytest.approx(REGIMES["flat_max_gain"] - 0.5)
    assert over.status == "violated" and over.at == 200  # the tightest width is named
    no_over = grid([[0, 0, 0], [0, 0, 0]], ks=(5, 10))
    assert phase_diagram_claims(no_over)[1].status == "not_applicable"
    with pytest.raises(ValueError, match="α = 0"):
        phase_diagram_claims(PhaseDiagramResult((5,), (1.0, 2.0), np.zeros((1, 2)), np.zeros(1), 4, {"n": 20}, 0, 0))


def test_psnr():
    x = np.linspace(0, 1, 100)
    assert psnr([np.linalg.norm(0.1 * np.ones(100))], x)[0] == pytest.approx(20.0)


def test_widths_not_found_are_bounds_never_guesses():
    rows, expo = width_table([gaussian_problem(2, 2, seed=6, noise_norm=0.01), gaussian_problem(2, 4, seed=0)],
                             k_max=2**10, k_empirical_max=4, trials=4, iterations=300)
    assert rows[0].k_instance == -1 and rows[0].k_instance_max == 2**10  # 2x2 needs 16384: shown as "> 1024"
    assert all(r.k_theorem > 0 for r in rows)
    # Two widths are no fit: the exponent is absent, with the reason, never a two-point slope.
    assert expo["k_theorem"]["exponent"] is None and "4 needed" in expo["k_theorem"]["status"]


def test_growth_exponents_come_with_an_uncertainty():
    from boundcalc.verification.experiments import fit_growth_exponent
    ns = np.array([2.0, 4, 8, 16, 32])
    exact = fit_growth_exponent(ns, 3 * ns**2.5)
    assert exact["exponent"] == pytest.approx(2.5) and exact["stderr"] < 1e-10 and exact["points"] == 5
    noisy = fit_growth_exponent(ns, 3 * ns**2.5 * np.array([1.2, 0.8, 1.1, 0.9, 1.0]))
    assert abs(noisy["exponent"] - 2.5) < 3 * noisy["stderr"] and noisy["stderr"] > 0.01
    assert fit_growth_exponent(ns[:3], ns[:3] ** 2)["exponent"] is None


def test_imaging_problems_record_their_inputs():
    for p in (deblurring_problem((16, 16), seed=3), normal_integration_problem((16, 16), seed=3)):
        d = p.to_dict()
        assert d["seed"] == 3 and d["noise_norm"] > 0 and {"signal", "noise", "operator"} <= set(d["info"])
        assert p.x_bar.shape == (256,) and np.all(np.isfinite(p.y))
    with pytest.raises(ValueError, match="kernel"):
        deblurring_problem((4, 4), blur_sigma=1.5)


def test_psnr_peak_is_the_range_of_x_bar_off_the_unit_interval():
    x_bar = np.linspace(-3.0, 5.0, 64)  # range 8, max|x̄| = 5: a peak of max|x̄| would read 4.08 dB less
    rmse = 0.2
    got = psnr([rmse * np.sqrt(64)], x_bar)[0]
    assert got == pytest.approx(20 * np.log10(8.0 / rmse), rel=1e-12)
