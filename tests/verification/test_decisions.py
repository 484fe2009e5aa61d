"""Claim decisions on synthetic measurements: the rounding rule at its edges, the tightest point,
the resolution floor, hypotheses that fail, transferred claims and the verdict counts — every branch
of boundcalc.verification.decisions with a case that tells it apart."""

import warnings

import numpy as np
import pytest

from boundcalc.verification.decisions import (
    OBSERVATION_STATUSES,
    REL_TOL,
    STATUSES,
    ClaimCheck,
    bound_claim,
    count_line,
    counts,
    decide,
    not_applicable,
    observation,
    observation_line,
    transfer,
)

T = np.linspace(0.0, 2.0, 9)
PRED = 3.0 * np.exp(-T)
OK = [("h1", True), ("h2", True)]


@pytest.mark.parametrize("factor, status, within", [(1 - 1e-12, "holds", False), (1.0, "holds", False),
                                                    (1 + 0.5 * REL_TOL, "holds", True),
                                                    (1 + 2 * REL_TOL, "violated", False),
                                                    (1 + 1e-6, "violated", False)])
def test_a_trajectory_at_the_edge_of_its_bound(factor, status, within):
    c = bound_claim("loss_envelope", "L ≤ env", OK, T, PRED * factor, PRED)
    assert (c.status, c.within_rounding) == (status, within)
    assert c.margin == pytest.approx(1 - factor, abs=1e-15)
    assert c.label == (f"{status} (within rounding)" if within else status)


def test_the_tightest_point_is_reported():
    measured = PRED * np.array([0.5, 0.9, 0.99, 0.7, 0.2, 0.1, 0.3, 0.4, 0.5])
    c = bound_claim("c", "s", OK, T, measured, PRED, note="n")
    assert c.at == T[2] and c.predicted == PRED[2] and c.measured == measured[2]
    assert c.margin == pytest.approx(0.01) and c.note == "n" and c.hypotheses == tuple(OK)
    worse = measured.copy()
    worse[6] = PRED[6] * 1.5
    v = bound_claim("c", "s", OK, T, worse, PRED)
    assert v.status == "violated" and v.at == T[6] and v.margin == pytest.approx(-0.5)


def test_a_zero_prediction_is_violated_only_by_a_positive_measurement():
    pred = np.array([1.0, 0.0, 0.0])
    assert bound_claim("c", "s", OK, T[:3], np.array([0.5, 0.0, 0.0]), pred).status == "holds"
    broke = bound_claim("c", "s", OK, T[:3], np.array([0.5, 0.0, 1e-30]), pred)
    assert broke.status == "violated" and broke.at == T[2] and broke.margin == -np.inf


def test_points_below_the_resolution_are_not_checked_and_the_note_says_where():
    measured = PRED.copy()
    measured[-1] = PRED[-1] * 10  # a floor artefact far below the resolution
    c = bound_claim("c", "s", OK, T, measured, PRED, resolution=PRED[-2])
    assert c.status == "holds" and f"t <= {T[-2]:.4g}" in c.note and "numerical floor" in c.note
    assert bound_claim("c", "s", OK, T, measured, PRED).status == "violated"
    none = bound_claim("c", "s", OK, T, measured, PRED, resolution=10.0)
    assert none.status == "not_applicable" and none.failed_hypothesis == "prediction above numerical resolution"


def test_a_failed_hypothesis_makes_the_claim_not_applicable_whatever_was_measured():
    hyps = [("h1", True), ("non-degenerate", False), ("h3", False)]
    c = bound_claim("c", "s", hyps, T, PRED * 100, PRED)
    assert c.status == "not_applicable" and c.failed_hypothesis == "non-degenerate"
    assert np.isnan(c.margin) and np.isnan(c.measured) and c.hypotheses == tuple(hyps)
    assert not_applicable("x", "s", hyps, note="why").note == "why"
    assert "fails: non-degenerate" in repr(c)


def test_transferred_claims_are_never_holds_nor_violated():
    held = bound_claim("loss_envelope", "L ≤ env", OK, T, PRED * 0.5, PRED)
    broke = bound_claim("param_ball", "‖θ − θ₀‖ ≤ R′", OK, T, PRED * 2, PRED)
    na = bound_claim("x_space", "x", [("h", False)], T, PRED, PRED)
    out = transfer([held, broke, na], "assumed", "IGAHD")
    assert [c.status for c in out] == ["transferred", "transferred", "not_applicable"]
    assert all(c.kind == "transferred" and c.assumptions == ("assumed",) for c in out)
    assert all(c.statement.startswith("[transferred to IGAHD]") for c in out)
    assert "stays within" in out[0].note and "leaves" in out[1].note and "not verified" in out[1].note
    assert out[0].margin == held.margin and not out[0].within_rounding


def test_counts_cover_every_status_in_order():
    claims = [ClaimCheck("a", "s", 1, 1, st, 0) for st in ("holds", "holds", "violated", "transferred")]
    assert counts(claims) == {"holds": 2, "violated": 1, "transferred": 1, "inconclusive": 0, "not_applicable": 0,
                              "observations_reproduced": 0, "observations_not_reproduced": 0,
                              "observations_inconclusive": 0}
    assert list(counts([])) == list(STATUSES) + [f"observations_{s}" for s in OBSERVATION_STATUSES]
    assert count_line(claims) == ("2 hold, 1 violated, 1 transferred (read across, not verified), 0 inconclusive, "
                                  "0 not applicable")


def test_observations_are_counted_apart_and_named_when_not_reproduced():
    seen = observation("o1", "no gain", 0.25, 0.1, 0.15, at=5)
    missed = observation("o2", "gain over", 0.5, 0.2, -0.3, at=200, at_name="k")
    unread = observation("o3", "gain over", 0.5, float("nan"), float("nan"), hypotheses=(("widths k ≥ 10n", False),))
    nan = observation("o4", "x", 0.5, float("nan"), float("nan"))
    assert [c.status for c in (seen, missed, unread, nan)] == ["reproduced", "not_reproduced", "inconclusive",
                                                               "inconclusive"]
    assert "widths k ≥ 10n" in unread.note and "not a number" in nan.note
    assert all(c.kind == "observation" and c.is_observation for c in (seen, missed, unread))
    n = counts([seen, missed, unread, ClaimCheck("a", "s", 1, 1, "violated", -1)])
    assert (n["violated"], n["inconclusive"], n["observations_reproduced"], n["observations_not_reproduced"],
            n["observations_inconclusive"]) == (1, 0, 1, 1, 1)
    assert "observations of the talk's figures: 1 reproduced, 1 not reproduced, 1 inconclusive" in count_line(
        [seen, missed, unread])
    line = observation_line([seen, missed, unread])
    assert "“gain over” (measured 0.2 against the threshold 0.5 at k = 200)" in line and "no gain" not in line
    assert observation_line([seen]) == "" and missed.label == "not reproduced"


@pytest.mark.parametrize("margin, expected", [(0.0, ("holds", False)), (1e-300, ("holds", False)),
                                              (-REL_TOL, ("holds", True)), (-REL_TOL * 1.0001, ("violated", False)),
                                              (-np.inf, ("violated", False))])
def test_decide(margin, expected):
    assert decide(margin) == expected


def test_what_a_claim_carries_and_says():
    """Its id and statement are kept, the default note is empty, and the text a report prints is exact."""
    c = bound_claim("loss_envelope", "L ≤ env", OK, T, PRED * 0.5, PRED)
    assert (c.claim_id, c.statement, c.note, c.kind) == ("loss_envelope", "L ≤ env", "", "theorem")
    assert repr(c) == "[holds] loss_envelope: L ≤ env — predicted 3, measured 1.5, margin +0.5 at t = 0"  # t named
    assert repr(bound_claim("gd_loss", "L ≤ env", OK, T, PRED * 0.5, PRED, at_name="τ")).endswith("at τ = 0")
    na = bound_claim("x_space", "x ≤ b", [("h", False)], T, PRED, PRED)
    assert (na.claim_id, na.statement, na.note) == ("x_space", "x ≤ b", "")
    assert repr(na) == "[not_applicable] x_space: x ≤ b — fails: h"
    noted = bound_claim("c", "s", [("h", False)], T, PRED, PRED, note="why")
    assert noted.note == "why"
    t_rep = transfer([c], "assumed", "IGAHD")[0]
    assert repr(t_rep).startswith("[transferred] loss_envelope (transferred): [transferred to IGAHD] L ≤ env — ")
    assert repr(ClaimCheck("a", "s", 1.0, 2.0, "violated", -1.0)) == \
        "[violated] a: s — predicted 1, measured 2, margin -1"  # no "at" without a time


def test_notes_say_what_was_left_out_and_what_a_transfer_means():
    measured = PRED.copy()
    measured[-1] = PRED[-1] * 10
    c = bound_claim("c", "s", OK, T, measured, PRED, note="prev", resolution=PRED[-2])
    assert c.note == (f"prev; checked where the prediction is >= {PRED[-2]:.2g} (t <= {T[-2]:.4g}): the numerical "
                      "floor of the measurement")
    alone = bound_claim("c", "s", OK, T, measured, PRED, resolution=PRED[-2])
    assert alone.note.startswith("checked where")
    held = bound_claim("c", "s", OK, T, PRED * (1 + 0.5 * REL_TOL), PRED, note="n")
    out = transfer([held], "assumed", "IGAHD")[0]
    assert held.within_rounding and out.within_rounding is False
    assert out.note == (f"n; the run stays within the transferred bound (margin {held.margin:+.3g}); not verified: "
                        "the bound is not a theorem for IGAHD")
    broke = transfer([bound_claim("c", "s", OK, T, PRED * 2, PRED)], "a", "GD")[0]
    assert broke.note == ("the run leaves the transferred bound (margin -1); not verified: the bound is not a "
                          "theorem for GD")


def test_a_zero_prediction_met_exactly_has_a_zero_margin():
    c = bound_claim("c", "s", OK, T[:2], np.array([0.0, 0.0]), np.array([0.0, 0.0]))
    assert c.status == "holds" and c.margin == 0.0


def test_no_point_above_the_resolution_is_not_applicable_and_says_why():
    c = bound_claim("gf_loss", "L ≤ env", OK, T, PRED * 0.5, PRED, note="gf", resolution=10.0)
    assert (c.claim_id, c.statement, c.status) == ("gf_loss", "L ≤ env", "not_applicable")
    assert c.failed_hypothesis == "prediction above numerical resolution"
    assert c.note == "gf; every prediction is below 10, the numerical floor of the measurement"
    bare = bound_claim("gf_loss", "L ≤ env", OK, T, PRED * 0.5, PRED, resolution=10.0)
    assert bare.note == "every prediction is below 10, the numerical floor of the measurement"
    assert all(isinstance(v, float) and np.isnan(v) for v in (bare.predicted, bare.measured, bare.margin))


def test_a_negative_prediction_under_a_positive_measurement_is_a_violation():
    # the resolution filter is off at resolution = 0: the point with predicted < 0 must be checked
    c = bound_claim("c", "m ≤ p", OK, np.array([0.0, 1.0]), np.array([0.5, 0.5]), np.array([-1.0, 1.0]))
    assert c.status == "violated" and c.at == 0.0


def test_zero_predictions_decide_without_numpy_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        held = bound_claim("c", "m ≤ p", OK, np.array([0.0, 1.0]), np.array([0.0, 0.0]), np.array([0.0, 0.0]))
        broke = bound_claim("c", "m ≤ p", OK, np.array([0.0, 1.0]), np.array([0.0, 1e-3]), np.array([0.0, 0.0]))
    assert held.status == "holds" and broke.status == "violated" and broke.at == 1.0


def test_a_terminal_reads_exp_not_tex_braces():
    c = bound_claim("loss_envelope", "L(t) ≤ ξL₀e^{−σ₀σ_A t/2} (§3 i)", OK, T, PRED * 0.5, PRED)
    assert "ξL₀exp(−σ₀σ_A t/2)" in repr(c) and "{" not in repr(c)
    assert c.statement == "L(t) ≤ ξL₀e^{−σ₀σ_A t/2} (§3 i)"  # the report typesets the TeX itself
