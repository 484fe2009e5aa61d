"""Claim decisions: the status of a checked bound and the rules that set it.

A claim is ``holds``, ``violated``, ``transferred``, ``inconclusive`` or ``not_applicable``
(:data:`STATUSES`). A reading of the talk's figures at sizes of boundcalc's choosing is not a theorem: it is an
*observation* (``kind="observation"``), ``reproduced``, ``not_reproduced`` or ``inconclusive``
(:data:`OBSERVATION_STATUSES`, :func:`observation`), counted apart from the claims (:data:`VERDICT_KEYS`).
A bound is checked only where every hypothesis holds (:func:`bound_claim`);
a relative margin (predicted − measured)/predicted decides the status through one rounding rule
(:func:`decide`: margins in [−REL_TOL, 0) hold "within rounding"); a claim read across from another
setting is ``transferred`` and never counted as verified (:func:`transfer`). Kept apart from the
runs that produce measurements so that these few lines can be mutation-tested on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .._core import Result

__all__ = ["REL_TOL", "STATUSES", "OBSERVATION_STATUSES", "VERDICT_KEYS", "ClaimCheck", "decide", "bound_claim",
           "not_applicable", "observation", "counts", "count_line", "observation_line", "transfer"]

#: The rounding rule (module docstring): relative margins in [−REL_TOL, 0) hold "within rounding".
REL_TOL = 1e-9
#: Every status a claim can have, in the order the verdict tables show them.
STATUSES = ("holds", "violated", "transferred", "inconclusive", "not_applicable")
#: The statuses of an observation (a reading of the talk's figures, ``kind="observation"``).
OBSERVATION_STATUSES = ("reproduced", "not_reproduced", "inconclusive")
#: The counts every verdict table shows: the claims' statuses, then the observations' apart.
VERDICT_KEYS = STATUSES + tuple(f"observations_{s}" for s in OBSERVATION_STATUSES)


@dataclass(frozen=True, repr=False)
class ClaimCheck(Result):
    """One claim: ``status`` in :data:`STATUSES`; ``hypotheses`` lists the hypotheses with their
    status; for not_applicable, ``failed_hypothesis`` names the first that failed. ``at`` is the
    time (or iteration) of the tightest point, ``at_name`` what it counts ("t", "iteration", "k").
    ``within_rounding``: the margin is negative but within
    the rounding rule's tolerance (``label`` then reads "holds (within rounding)").

    ``violated`` means every hypothesis was verified and the measurement broke the bound;
    ``transferred`` means the claim was read across from another setting and not verified (the
    measurement is shown beside it); ``inconclusive`` means the measurement cannot decide."""

    claim_id: str
    statement: str
    predicted: float
    measured: float
    status: str
    margin: float
    hypotheses: tuple[tuple[str, bool], ...] = ()
    failed_hypothesis: str = ""
    at: float = float("nan")
    note: str = ""
    kind: str = "theorem"
    assumptions: tuple[str, ...] = ()
    within_rounding: bool = False
    at_name: str = ""

    @property
    def label(self) -> str:
        """The status as tables show it: "holds (within rounding)" for a margin inside the rule."""
        return f"{self.status} (within rounding)" if self.within_rounding else self.status.replace("_", " ")

    @property
    def is_observation(self) -> bool:
        """A reading of the talk's figures (statuses :data:`OBSERVATION_STATUSES`), not a theorem claim."""
        return self.kind == "observation"

    def __repr__(self) -> str:
        tag = "" if self.kind == "theorem" else f" ({self.kind})"
        # a terminal shows TeX's braces as they are: e^{−σ₀σ_A t/2} reads as exp(−σ₀σ_A t/2)
        statement = re.sub(r"e\^\{([^{}]*)\}", r"exp(\1)", self.statement)
        if self.status == "not_applicable":
            return f"[{self.status}] {self.claim_id}{tag}: {statement} — fails: {self.failed_hypothesis}"
        return (f"[{self.label}] {self.claim_id}{tag}: {statement} — predicted {self.predicted:.4g}, "
                f"measured {self.measured:.4g}, margin {self.margin:+.3g}" + (
                    f" at {self.at_name or 'the point'} = {self.at:.4g}" if np.isfinite(self.at) else ""))


def not_applicable(cid: str, statement: str, hyps: list[tuple[str, bool]], note: str = "") -> ClaimCheck:
    failed = next(name for name, ok in hyps if not ok)
    return ClaimCheck(cid, statement, float("nan"), float("nan"), "not_applicable", float("nan"), tuple(hyps),
                      failed, note=note)


def bound_claim(cid: str, statement: str, hyps: list[tuple[str, bool]], t: np.ndarray, measured: np.ndarray,
                 predicted: np.ndarray, note: str = "", resolution: float = 0.0, at_name: str = "t") -> ClaimCheck:
    """measured(t) ≤ predicted(t) at every recorded t; reports the tightest point.

    With ``resolution`` > 0, only the points where the prediction is at least ``resolution``
    are checked: below it the measured quantity sits at the integration / round-off floor and
    cannot confirm or refute anything (the note says where the check stopped).
    """
    if not all(ok for _, ok in hyps):
        return not_applicable(cid, statement, hyps, note)
    measured, predicted = np.asarray(measured, float), np.asarray(predicted, float)
    t = np.asarray(t, float)
    if resolution > 0:
        keep = predicted >= resolution
        if not keep.any():
            return not_applicable(cid, statement, list(hyps) + [("prediction above numerical resolution", False)],
                                  (note + "; " if note else "") + f"every prediction is below {resolution:.2g}, "
                                  "the numerical floor of the measurement")
        if not keep.all():
            note = (note + "; " if note else "") + (f"checked where the prediction is >= {resolution:.2g} "
                                                    f"(t <= {t[keep].max():.4g}): the "
                                                    "numerical floor of the measurement")
        measured, predicted, t = measured[keep], predicted[keep], t[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(predicted > 0, (predicted - measured) / predicted, np.where(measured <= 0, 0.0, -np.inf))
    if np.isnan(rel).any():  # a measurement that is not a number decides nothing, whatever the other points say
        i = int(np.flatnonzero(np.isnan(rel))[0])
        note = (note + "; " if note else "") + f"the measurement is not a number at {t[i]:.4g}: inconclusive"
    else:
        i = int(np.argmin(rel))
    status, within = decide(float(rel[i]))
    return ClaimCheck(cid, statement, float(predicted[i]), float(measured[i]), status, float(rel[i]), tuple(hyps),
                      at=float(t[i]), note=note, within_rounding=within, at_name=at_name)


def decide(margin: float) -> tuple[str, bool]:
    """The rounding rule: (status, within_rounding) for a relative margin (predicted − measured)/predicted.
    A margin that is not a number (a NaN measurement) decides nothing: ``inconclusive``."""
    if np.isnan(margin):
        return "inconclusive", False
    if margin >= 0:
        return "holds", False
    if margin >= -REL_TOL:
        return "holds", True
    return "violated", False


def observation(cid: str, statement: str, predicted: float, measured: float, margin: float, *,
                hypotheses: tuple[tuple[str, bool], ...] = (), at: float = float("nan"), note: str = "",
                at_name: str = "") -> ClaimCheck:
    """A reading of the talk's figures against a threshold fixed in advance: ``reproduced`` when
    ``margin`` ≥ 0, ``not_reproduced`` when it is negative, ``inconclusive`` when it is not a number or a
    hypothesis of the reading fails (the note then says which)."""
    failed = next((name for name, ok in hypotheses if not ok), "")
    if failed or not np.isfinite(margin):
        why = f"cannot be read: {failed}" if failed else "the measurement is not a number"
        return ClaimCheck(cid, statement, predicted, measured, "inconclusive", float(margin), tuple(hypotheses),
                          failed, at=at, note=(note + "; " if note else "") + why, kind="observation",
                          at_name=at_name)
    return ClaimCheck(cid, statement, predicted, measured, "reproduced" if margin >= 0 else "not_reproduced",
                      float(margin), tuple(hypotheses), at=at, note=note, kind="observation", at_name=at_name)


def counts(claims: Any) -> dict[str, int]:
    """How many claims have each status of :data:`STATUSES`, and how many observations each of
    :data:`OBSERVATION_STATUSES` (keys ``observations_<status>``): every key of :data:`VERDICT_KEYS`."""
    out = dict.fromkeys(VERDICT_KEYS, 0)
    for c in claims:
        out[f"observations_{c.status}" if c.kind == "observation" else c.status] += 1
    return out


def count_line(claims: Any) -> str:
    """"3 hold, 0 violated, 2 transferred (not verified), …": the one line every verdict table prints."""
    n = counts(claims)
    words = {"holds": "hold", "violated": "violated", "transferred": "transferred (read across, not verified)",
             "inconclusive": "inconclusive", "not_applicable": "not applicable"}
    line = ", ".join(f"{n[s]} {words[s]}" for s in STATUSES)
    if any(n[f"observations_{s}"] for s in OBSERVATION_STATUSES):
        line += "; observations of the talk's figures: " + ", ".join(
            f"{n[f'observations_{s}']} {s.replace('_', ' ')}" for s in OBSERVATION_STATUSES)
    return line


def observation_line(claims: Any) -> str:
    """The one sentence naming each observation that was not reproduced, with its numbers (empty when none)."""
    missed = [c for c in claims if c.kind == "observation" and c.status == "not_reproduced"]
    if not missed:
        return ""
    parts = [f"“{c.statement}” (measured {c.measured:.3g} against the threshold {c.predicted:.3g}"
             + (f" at {c.at_name or 'the point'} = {c.at:g}" if np.isfinite(c.at) else "") + ")" for c in missed]
    return ("Not reproduced at boundcalc's sizes (observations of the talk's figures, not theorem claims): "
            + "; ".join(parts) + ".")


def transfer(claims: list[ClaimCheck], assumption: str, setting: str) -> list[ClaimCheck]:
    """Claims read across from another setting: status ``transferred`` (never holds, never violated)
    where their hypotheses hold, with what the run shows in the note; not_applicable stays."""
    out = []
    for c in claims:
        c = replace(c, kind="transferred", statement=f"[transferred to {setting}] {c.statement}",
                    assumptions=(assumption,))
        if c.status != "not_applicable":
            seen = "stays within" if c.status == "holds" else "leaves"
            c = replace(c, status="transferred", within_rounding=False,
                        note=(c.note + "; " if c.note else "") + f"the run {seen} the transferred bound (margin "
                        f"{c.margin:+.3g}); not verified: the bound is not a theorem for {setting}")
        out.append(c)
    return out
