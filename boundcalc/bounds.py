"""Theorem quantities for a concrete problem: the non-degeneracy check (THEORY.md §2–§4).

All constants come from :mod:`boundcalc.formulas`; this module only gathers their inputs from
the operator and the generator and records which hypotheses hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._core import Result, as_finite_array
from .formulas import FORMULAS, evaluate_many
from .generators import Generator, TwoLayerDIP
from .operators import SpectrumResult, as_operator, spectrum

__all__ = ["Hypothesis", "CheckInitResult", "check_initialization", "DYNAMICS"]

#: Radius formula used by each dynamics (THEORY.md §3 for ISEHD/IGAHD, §4 for GF/GD).
DYNAMICS = {"isehd": "R_prime", "igahd": "R_prime", "gf": "R_prime_gf", "gd": "R_prime_gd"}


@dataclass(frozen=True, repr=False)
class Hypothesis(Result):
    """One hypothesis of a theorem: ``status`` is "holds", "fails" or "unknown"."""

    name: str
    status: str
    detail: str = ""

    def __repr__(self) -> str:
        return f"{self.name}: {self.status}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True, repr=False)
class CheckInitResult(Result):
    """Outcome of :func:`check_initialization` (THEORY.md §3, §4 for ``dynamics`` gf/gd).

    ``verdict`` is "non_degenerate", "degenerate" or "not_applicable" (a hypothesis that the
    check needs could not be established, e.g. no certified Lipschitz bound); the failed
    hypothesis is in ``hypotheses``. ``margin`` = (R − R′)/R.
    """

    sigma_A: float
    norm_A: float
    kappa_A: float
    sigma_min_J: float
    sigma_max_J: float
    kappa_J: float
    alpha: float
    beta: float
    xi: float
    eta: float
    loss0: float
    R_prime: float
    R: float
    lipschitz_J: float
    non_degenerate: bool
    verdict: str
    margin: float
    dynamics: str
    radius_formula: str
    activation: str
    B: float
    k: int
    n: int
    m: int
    d: int
    D: float
    v_init: str
    seed: int | None
    hypotheses: tuple[Hypothesis, ...] = field(default=(), repr=False)
    inputs: dict = field(default_factory=dict, repr=False)

    def formulas(self, *, latex: bool = True) -> dict[str, str]:
        """The formulas behind this result, rendered from the same expressions that computed it."""
        names = ["alpha", "beta", "xi", "eta", self.radius_formula, "lipschitz_J", "R_max", "nondeg_lhs"]
        return {n: (FORMULAS[n].latex() if latex else FORMULAS[n].text()) for n in names}

    def __repr__(self) -> str:
        head = super().__repr__().rstrip(")").rstrip()
        hyp = "\n".join(f"    - {h!r}" for h in self.hypotheses)
        return f"{head}\n  hypotheses:\n{hyp}\n)"


def _network_hypotheses(net: Any) -> list[Hypothesis]:
    hyps = []
    act = getattr(net, "activation", None)
    if act is not None:
        hyps.append(Hypothesis("activation C¹ with B-Lipschitz derivative",
                               "holds" if act.admissible else "fails",
                               f"{act.name}, B = {act.B:g}" if act.admissible else act.reason))
    D = getattr(net, "D", None)
    if D is not None:
        hyps.append(Hypothesis("V(0) entries D-bounded (needed only for the width theorem §6)",
                               "holds" if np.isfinite(D) else "fails",
                               f"D = {D:g}" if np.isfinite(D) else
                               "Gaussian V(0) is unbounded: the probability statement of §6 does not apply"))
    return hyps


def check_initialization(A: Any, y: Any, net: Generator, theta: np.ndarray | None = None, *,
                         dynamics: str = "isehd", spec: SpectrumResult | None = None) -> CheckInitResult:
    """Is the initialization θ₀ non-degenerate for the problem (A, y)? (THEORY.md §3)

    Non-degenerate ⇔ σ₀ = σ_min(J_g(θ₀)) > 0 and R′ < R, tested as 2R′ℓ(R′) < σ₀ with the
    Lipschitz bound ℓ(R) of §2 (equivalent, since R ↦ 2Rℓ(R) is increasing), where

    - ξ = 1 + κ(J_g(0))²κ(A)²/4,  η = 4 max(σ₀σ_A, (1+√2)/2)/min(σ₀²σ_A², 3/4),
    - R′ = η√(ξL₀) for ISEHD/IGAHD; R′_GF = 2‖y(0) − y‖/(σ₀σ_A) for ``dynamics="gf"`` and
      R′_GD = 2R′_GF for ``"gd"`` (§4, derived),
    - R = (−a + √(a² + 2bσ₀))/(2b) with ℓ(R) = a + bR.

    Parameters
    ----------
    A : array, sparse matrix or LinearOperator, m×n
    y : (m,) array
    net : Generator
        e.g. :class:`TwoLayerDIP`. Without ``jacobian_lipschitz_bound`` the verdict is
        ``not_applicable``.
    theta : array, optional
        Parameters to check (default ``net.theta0``).
    dynamics : {"isehd", "igahd", "gf", "gd"}
    spec : SpectrumResult, optional
        Precomputed spectrum of A (saves the SVD when checking many networks).
    """
    if dynamics not in DYNAMICS:
        raise ValueError(f"dynamics must be one of {sorted(DYNAMICS)}, got {dynamics!r}")
    A = as_operator(A)
    m, n = A.shape
    if getattr(net, "n", None) != n:
        raise ValueError(f"net: the generator's output size n = {getattr(net, 'n', None)} must equal "
                         f"the number of columns of A, {n}")
    y = as_finite_array(y, "y", ndim=1, shape=(m,))
    theta = net.theta0 if theta is None else as_finite_array(theta, "theta", ndim=1, shape=net.theta0.shape)
    spec = spec if spec is not None else spectrum(A)
    js = net.jacobian_spectrum(theta)
    residual = np.asarray(A @ net.forward(theta)).ravel() - y
    r0 = float(np.linalg.norm(residual))
    values: dict[str, float] = {"sigma0": js.sigma_min, "sigma_A": spec.sigma_A, "kappa_A": spec.kappa_A,
                                "norm_A": spec.norm_A, "kappa_J": js.kappa, "L0": 0.5 * r0**2, "r0": r0}
    hyps = _network_hypotheses(net)
    hyps.append(Hypothesis("σ_min(J_g(θ₀)) > 0", "holds" if js.sigma_min > 0 else "fails",
                           f"σ₀ = {js.sigma_min:.6g}"))
    radius_formula = DYNAMICS[dynamics]
    has_lip = callable(getattr(net, "lipschitz_inputs", None))
    act = getattr(net, "activation", None)
    positive = js.sigma_min > 0
    names = ["alpha", "beta", "xi", "eta", radius_formula]
    out = evaluate_many(names, values) if positive else dict.fromkeys(names, float("nan"))
    R_prime = out[radius_formula]
    lip, R_max = float("nan"), float("nan")
    if not has_lip:
        hyps.append(Hypothesis("certified Lipschitz bound of J_g on the ball", "unknown",
                               f"{type(net).__name__} supplies no jacobian_lipschitz_bound"))
        verdict = "not_applicable"
    elif act is not None and not act.admissible:
        verdict = "not_applicable"
    elif not positive:
        verdict = "degenerate"
    else:
        lip_in = {**values, **net.lipschitz_inputs(theta), "radius": R_prime}
        ev = evaluate_many(["lipschitz_J", "R_max", "nondeg_lhs"], lip_in)
        lip, R_max = ev["lipschitz_J"], ev["R_max"]
        ok = ev["nondeg_lhs"] < js.sigma_min
        hyps.append(Hypothesis("R′ < R (tested as 2R′ℓ(R′) < σ₀)", "holds" if ok else "fails",
                               f"R′ = {R_prime:.6g}, R = {R_max:.6g}, 2R′ℓ(R′) = {ev['nondeg_lhs']:.6g}, "
                               f"σ₀ = {js.sigma_min:.6g}"))
        verdict = "non_degenerate" if ok else "degenerate"
    margin = (R_max - R_prime) / R_max if np.isfinite(R_max) and R_max > 0 else float("nan")
    is_dip = isinstance(net, TwoLayerDIP)
    return CheckInitResult(
        sigma_A=spec.sigma_A, norm_A=spec.norm_A, kappa_A=spec.kappa_A, sigma_min_J=js.sigma_min,
        sigma_max_J=js.sigma_max, kappa_J=js.kappa, alpha=out["alpha"], beta=out["beta"], xi=out["xi"],
        eta=out["eta"], loss0=values["L0"], R_prime=R_prime, R=R_max, lipschitz_J=lip,
        non_degenerate=verdict == "non_degenerate", verdict=verdict, margin=margin, dynamics=dynamics,
        radius_formula=radius_formula, activation=act.name if act is not None else "unknown",
        B=act.B if act is not None else float("nan"), k=int(getattr(net, "k", 0)), n=n, m=m,
        d=int(getattr(net, "d", 0)), D=float(getattr(net, "D", float("nan"))),
        v_init=str(getattr(net, "v_init", "unknown")), seed=getattr(net, "seed", None) if is_dip else None,
        hypotheses=tuple(hyps), inputs=values)
