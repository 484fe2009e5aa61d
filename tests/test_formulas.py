"""The formula book: parameters of the dynamics are never filled in silently."""

import pytest

from boundcalc.formulas import FORMULAS, evaluate_many


def test_a_formula_using_beta_needs_the_runs_beta():
    # Before: igahd_condition with α given and β missing silently used the theorem's β = 1/(2α).
    with pytest.raises(ValueError, match="beta: igahd_condition needs the beta of the run"):
        evaluate_many(["igahd_condition"], {"h": 0.1, "c": 1.0, "L": 2.0, "alpha": 3.0})
    given = evaluate_many(["igahd_condition"], {"h": 0.1, "c": 1.0, "L": 2.0, "beta": 0.2})["igahd_condition"]
    assert given == pytest.approx(0.2 + 0.05 - 0.5)


def test_the_theorems_damping_is_available_by_name():
    v = evaluate_many(["alpha", "beta"], {"sigma0": 0.5, "sigma_A": 0.4})
    assert v["alpha"] == pytest.approx(0.2) and v["beta"] == pytest.approx(2.5)
    assert FORMULAS["beta"](alpha=0.2) == pytest.approx(2.5)
