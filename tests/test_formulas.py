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


def test_every_formula_knows_its_name_source_and_kind():
    """The formula book's metadata is what the reports and ``boundcalc formulas`` print: each entry
    is filed under its own name, in a § of the theory chapter, with a description and a source."""
    import re
    for name, f in FORMULAS.items():
        assert f.name == name and f.kind in ("claim", "derived") and f.description
        assert re.fullmatch(r"§\d+(\.\d+)?", f.section), f.section
        assert f.source  # the paper, the talk's slide, or the theory chapter's section
        if not any(w in f.source for w in ("arXiv", "talk", "ALMT", "Gordon", "SNOW", "McCoy")):
            assert f.source == f"docs/THEORY.md {f.section}", f.source
        assert f.text().startswith(f"{name} = ") and " = " in f.latex()
    assert FORMULAS["k_scaling"].source == "docs/THEORY.md §6"
    assert FORMULAS["alpha"].latex() == r"\alpha = \sigma_0 \sigma_A"
    assert FORMULAS["rate_loss"].latex() == r"\mathrm{rate\_loss} = \frac{\sigma_0 \sigma_A}{2}"
    assert all(s.is_positive for s in (FORMULAS["alpha"].expr.free_symbols))


def test_calling_a_formula_checks_its_inputs_and_evaluates_its_expression():
    f = FORMULAS["alpha"]
    assert f(sigma0=2.0, sigma_A=3.0) == 6.0 and f(sigma0=2.0, sigma_A=3.0) == 6.0  # compiled once, reused
    assert FORMULAS["T_ES_gf"](sigma0=1.0, sigma_A=1.0, r0=1.0, noise_norm=1.0) == 0.0
    with pytest.raises(ValueError, match=r"formula 'alpha' needs \['sigma_A'\]"):
        f(sigma0=1.0)


def test_render_lists_what_it_is_asked_for():
    from boundcalc.formulas import render
    text = render(["alpha"])
    assert text == ("[§3, claim] viscous damping α = σ₀σ_A\n    alpha = sigma0*sigma_A\n    source: "
                    f"{FORMULAS['alpha'].source}")
    assert render(["alpha"], latex=True).splitlines()[1].strip() == r"\alpha = \sigma_0 \sigma_A"
    assert render().count("source:") == len(FORMULAS)


def test_a_missing_or_circular_input_is_named():
    with pytest.raises(ValueError, match=r"missing input 'sigma_A' \(needed by alpha\)"):
        evaluate_many(["alpha"], {"sigma0": 1.0})
