"""Result objects and JSON: strict JSON with null and a status where a number does not exist, a
notebook view, readable arrays."""

import json
from dataclasses import dataclass

import numpy as np

from boundcalc._core import Result, jsonable


@dataclass(frozen=True, repr=False)
class Toy(Result):
    T_ES: float
    curve: np.ndarray
    note: str = ""


def test_non_finite_values_are_null_with_a_status_never_strings():
    d = Toy(float("inf"), np.array([1.0, np.nan, 3.0])).to_dict()
    assert d["T_ES"] is None and d["T_ES_status"].startswith("infinite")
    assert d["curve"] == [1.0, None, 3.0] and d["curve_status"] == "null entries: not defined here (nan)"
    text = json.dumps(jsonable({"a": float("-inf"), "b": 2.0, "nested": {"c": float("nan")}}), allow_nan=False)
    back = json.loads(text)
    assert back == {"a": None, "a_status": "minus infinity", "b": 2.0,
                    "nested": {"c": None, "c_status": "not defined here (nan)"}}
    # an object that already says why keeps its own status
    assert jsonable({"k": float("nan"), "k_status": "not found up to 1024"})["k_status"] == "not found up to 1024"
    assert jsonable(float("inf")) is None and jsonable([np.float64(2.5), np.int64(3)]) == [2.5, 3]


def test_results_show_arrays_and_render_in_a_notebook():
    r = Toy(1.5, np.linspace(1.0, 0.0, 11), "a<b")
    text = repr(r)
    assert "array(shape=(11,): 1, 0.9, 0.8, …, 0)" in text and "T_ES  = 1.5" in text
    html = r._repr_html_()
    assert html.startswith("<table><caption>Toy</caption>") and "a&lt;b" in html and "<th" in html


def test_a_none_beside_its_status_is_not_printed():
    # width printed "probability = None" above "probability_status = vacuous …"
    import boundcalc as bc
    prob = bc.gaussian_problem(30, 3, seed=0)
    text = repr(bc.required_width(prob.A, x_bar=prob.x_bar, noise_norm=prob.noise_norm))
    assert "probability_status" in text and "= None" not in text
