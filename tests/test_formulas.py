"""The formula book: parameters of the dynamics are never filled in silently."""

import warnings

import numpy as np
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
        assert " = " in f.text() and " = " in f.latex()
    assert FORMULAS["k_scaling"].source == "docs/THEORY.md §6"
    assert FORMULAS["alpha"].latex() == r"\alpha = \sigma_0 \sigma_A"
    assert FORMULAS["rate_loss"].latex() == r"r_L = \frac{\sigma_0 \sigma_A}{2}"
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
    assert text == ("[§3, claim] viscous damping α = σ₀σ_A\n    α = σ_A*σ₀\n    source: "
                    f"{FORMULAS['alpha'].source}")
    assert render(["alpha"], latex=True).splitlines()[1].strip() == r"\alpha = \sigma_0 \sigma_A"
    assert render().count("source:") == len(FORMULAS)


def test_a_missing_or_circular_input_is_named():
    with pytest.raises(ValueError, match=r"missing input 'sigma_A' \(needed by alpha\)"):
        evaluate_many(["alpha"], {"sigma0": 1.0})


def test_a_new_formula_compiles_once_and_evaluates(monkeypatch):
    import sympy as sp

    from boundcalc import formulas
    f = formulas._f("tmp_q", sp.sqrt(formulas.S["xi"]) * formulas.S["L0"], "§3", "claim", "a test quantity")
    assert (f.name, f.section, f.kind, f.description, f.source) == ("tmp_q", "§3", "claim", "a test quantity",
                                                                      "docs/THEORY.md §3")
    assert f.expr == sp.sqrt(formulas.S["xi"]) * formulas.S["L0"] and f.inputs == ("L0", "xi")
    assert formulas._f("tmp_q", 2 * formulas.S["xi"], "§4", "derived", "d", "paper").source == "paper"
    calls = []
    real = sp.lambdify
    monkeypatch.setattr(formulas.sp, "lambdify", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert f(xi=4.0, L0=3.0) == 6.0 and f(xi=9.0, L0=1.0) == 3.0
    assert len(calls) == 1 and f._fn is not None  # compiled on first use, then cached


def test_formulas_at_their_singular_points_give_inf_nan_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert FORMULAS["T_ES"](sigma0=1.0, sigma_A=1.0, xi=1.0, L0=1.0, noise_norm=0.0) == float("inf")
        assert FORMULAS["loss_envelope"](xi=1.0, L0=1.0, sigma0=1.0, sigma_A=1.0, t=-1e4) == float("inf")
        assert np.isnan(FORMULAS["T_ES"](sigma0=1.0, sigma_A=1.0, xi=-1.0, L0=1.0, noise_norm=1.0))


def test_a_new_symbol_is_positive_and_named():
    import uuid

    from boundcalc.formulas import SYMBOLS, S
    name = f"zz_{uuid.uuid4().hex}"  # fresh in every process (a forked mutation run included)
    s = S[name]
    assert s.name == name and s.is_positive is True and SYMBOLS[name] is s
    assert S[name] is s  # the same symbol on the second lookup


def test_evaluation_errors_name_what_is_wrong():
    with pytest.raises(ValueError, match=r"missing input 'kappa_A' \(needed by xi\)"):
        evaluate_many(["xi"], {})
    with pytest.raises(ValueError, match=r"unknown formula 'no_such'"):
        evaluate_many(["no_such"], {})


def test_a_circular_formula_is_refused_with_its_cycle(monkeypatch):
    from boundcalc import formulas
    monkeypatch.setitem(FORMULAS, "cyc_a", formulas._f("cyc_a", 2 * formulas.S["cyc_b"], "§3", "derived", "a"))
    monkeypatch.setitem(FORMULAS, "cyc_b", formulas._f("cyc_b", 3 * formulas.S["cyc_a"], "§3", "derived", "b"))
    with pytest.raises(ValueError, match=r"^circular formula dependency: cyc_a -> cyc_b -> cyc_a$"):
        evaluate_many(["cyc_a"], {})


def test_every_formula_shows_a_mathematical_symbol_not_its_python_name():
    # the formula list read "\\mathrm{loss\\_envelope} = …" and "2R ℓ(R) = 2ℓ(R)R"
    from boundcalc.formulas import FORMULAS
    for name, f in FORMULAS.items():
        lhs_tex, rhs_tex = f.latex().split(" = ", 1)
        assert r"\_" not in lhs_tex and lhs_tex.replace(" ", "") != rhs_tex.replace(" ", ""), name
        assert not lhs_tex.startswith(r"\mathrm{" + name), name
    assert FORMULAS["alpha"].text() == "α = σ_A*σ₀"
