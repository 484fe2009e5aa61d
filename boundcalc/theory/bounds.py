"""Theorem quantities for a concrete problem: the non-degeneracy check (THEORY.md §2–§4).

All constants come from :mod:`boundcalc.formulas`; this module only gathers their inputs from
the operator and the generator and records which hypotheses hold.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._core import Result, _fmt, as_finite_array
from ..formulas import FORMULAS, evaluate_many
from ..linalg.backend import resolve_backend
from ..linalg.operators import SpectrumResult, as_operator, spectrum
from ..nets.two_layer import Generator, TwoLayerDIP

__all__ = [
    "Hypothesis", "CheckInitResult", "check_initialization", "DYNAMICS", "XSpaceBound", "RateComparison",
    "BoundsResult", "rate_comparison", "early_stopping_times", "envelopes", "x_space_bound", "compute_bounds",
    "igahd_iteration_for_time", "lam_min_bracket",
]

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
    k: int | None
    n: int
    m: int
    d: int | None
    D: float
    v_init: str
    seed: int | None
    hypotheses: tuple[Hypothesis, ...] = field(default=(), repr=False)
    inputs: dict = field(default_factory=dict, repr=False)
    lipschitz_required: float = float("nan")
    lipschitz_estimate: float | None = None
    sigma_method: str = "gram"
    lipschitz_estimate_status: str = "not requested"

    def formulas(self, *, latex: bool = True) -> dict[str, str]:
        """The formulas behind this result, rendered from the same expressions that computed it."""
        names = ["alpha", "beta", "xi", "eta", self.radius_formula, "lipschitz_J", "R_max", "nondeg_lhs"]
        return {n: (FORMULAS[n].latex() if latex else FORMULAS[n].text()) for n in names}

    def _absent(self) -> dict[str, str]:
        """Why a network field is null: the two-layer net's width, input size and seed do not apply to
        another generator, and a given initialization (``--init``) has no seed."""
        if self.k is None:
            why = "not a two-layer network g = Vφ(Wu)/√k: no width, input size or seed of a draw"
            return {"k": why, "d": why, "seed": why}
        return {"seed": "the initialization was given (--init / TwoLayerDIP.from_arrays), not drawn from a seed"} \
            if self.seed is None else {}

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        for key, why in self._absent().items():
            d.setdefault(f"{key}_status", why)
        return d

    def __repr__(self) -> str:
        # The verdict and what decided it first; then the numbers that exist (a field that does not
        # apply to this generator, or that the check could not compute, is named once, not printed as 0/nan).
        decisive = [h for h in self.hypotheses if h.status == "fails"] or \
            [h for h in self.hypotheses if h.status == "unknown"]
        why = ("every hypothesis holds" if not decisive else
               "; ".join(f"{h.name}: {h.status}" for h in decisive))
        lines = [f"CheckInitResult: {self.verdict} ({why})", "  hypotheses:"]
        lines += [f"    - {h!r}" for h in self.hypotheses]
        shown, missing = [], []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not f.repr or f.name in ("verdict", "non_degenerate") or \
                    (f.name == "lipschitz_estimate" and value is None):  # its _status line says why
                continue
            if value is None or (isinstance(value, float) and np.isnan(value)) or value == "unknown":
                missing.append(f.name)
            else:
                shown.append((f.name, value))
        width = max(len(n) for n, _ in shown)
        lines += [f"  {n:<{width}} = {_fmt(v)}" for n, v in shown]
        if missing:
            lines.append(f"  not available: {', '.join(missing)}")
        return "\n".join(lines)


def _network_hypotheses(net: Any) -> list[Hypothesis]:
    hyps = []
    act = getattr(net, "activation", None)
    if act is not None:
        hyps.append(Hypothesis("activation C¹ with B-Lipschitz derivative",
                               "holds" if act.admissible else "fails",
                               f"{act.name}, B = {act.B:g}" if act.admissible else act.reason))
    name = "V(0) entries D-bounded (needed only for the width theorem §6)"
    D = getattr(net, "D", None)
    if D is not None:
        hyps.append(Hypothesis(name, "holds" if np.isfinite(D) else "fails",
                               f"D = {D:g}" if np.isfinite(D) else
                               "Gaussian V(0) is unbounded: the probability statement of §6 does not apply"))
    elif getattr(net, "v_init", None) == "user":
        hyps.append(Hypothesis(name, "unknown", "not checkable from one sample: D-boundedness is a property "
                               "of the law of V(0), not of the user's draw"))
    return hyps


def _radius_test(net: Any, lip_fn: Any, theta: np.ndarray, values: dict[str, float],
                 R_prime: float) -> tuple[float, float, float]:
    """(ℓ(R′), R, 2R′ℓ(R′)) for the generator's certified Lipschitz bound ℓ.

    The two-layer net exposes the inputs of the affine ℓ(R) = a + bR of §2, so R has the closed
    form of formulas.py. Any other generator only needs ``jacobian_lipschitz_bound(theta, R)``:
    R is then the root of the increasing map R ↦ 2Rℓ(R) − σ₀, found by bracketing and brentq.
    """
    from scipy.optimize import brentq
    if callable(getattr(net, "lipschitz_inputs", None)):
        values.update(net.lipschitz_inputs(theta))
        ev = evaluate_many(["lipschitz_J", "R_max", "nondeg_lhs"], {**values, "radius": R_prime})
        return ev["lipschitz_J"], ev["R_max"], ev["nondeg_lhs"]
    sigma0 = values["sigma0"]

    def excess(R: float) -> float:
        return evaluate_many(["nondeg_lhs"], {"radius": R, "lipschitz_J": lip_fn(theta, R)})["nondeg_lhs"] - sigma0

    hi = 1.0
    while excess(hi) < 0:
        hi *= 2
        if hi > 1e300:
            raise RuntimeError("net: 2Rℓ(R) stays below σ₀ for every R; its Lipschitz bound is not increasing")
    lip = float(lip_fn(theta, R_prime))
    R_max = float(brentq(excess, 0.0, hi, xtol=1e-14 * hi, rtol=1e-13))
    return lip, R_max, evaluate_many(["nondeg_lhs"], {"radius": R_prime, "lipschitz_J": lip})["nondeg_lhs"]


def check_initialization(A: Any, y: Any, net: Generator, theta: np.ndarray | None = None, *,
                         dynamics: str = "isehd", spec: SpectrumResult | None = None,
                         device: str | None = None, estimate_lipschitz: bool = False,
                         jacobian: Any = None) -> CheckInitResult:
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
    jacobian : JacobianSpectrum, optional
        Precomputed σ_min(J), σ_max(J) at θ (with their brackets), e.g. from a dense route that is faster on
        a small network (:func:`boundcalc.verification.mechanism.jacobian_bracket`).
    device : {"cpu", "cuda"}, optional
        Where σ_min(J), σ_max(J) are computed (:mod:`boundcalc.linalg.backend`); the rest is small.
    estimate_lipschitz : bool
        For a generator without a certified bound but with ``lipschitz_estimate(radius)`` (e.g.
        :class:`boundcalc.nets.torch.TorchGenerator`): an adversarial **estimate** — a lower bound — of
        Lip(J) on B(θ₀, R′), to set beside the requirement Lip < σ₀/(2R′) (``lipschitz_required``).

    Examples
    --------
    >>> prob = bc.gaussian_problem(30, 3, seed=0)
    >>> res = bc.check_initialization(prob.A, prob.y, bc.TwoLayerDIP(3, 3, 100_000, seed=0))
    >>> res.verdict, res.R_prime < res.R
    ('non_degenerate', True)
    """
    backend = resolve_backend(device)
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
    js = jacobian if jacobian is not None else net.jacobian_spectrum(theta if backend.xp is np else
                                                                     backend.asarray(theta))
    residual = np.asarray(A @ net.forward(theta)).ravel() - y
    r0 = float(np.linalg.norm(residual))
    values: dict[str, float] = {"sigma0": js.sigma_min, "sigma_A": spec.sigma_A, "kappa_A": spec.kappa_A,
                                "norm_A": spec.norm_A, "kappa_J": js.kappa, "L0": 0.5 * r0**2, "r0": r0,
                                "sigma_max_J": js.sigma_max}
    hyps = _network_hypotheses(net)
    bracket = getattr(js, "sigma_min_bracket", None)
    how = "" if bracket is None else (f" (lower end of the certified {js.method} bracket [{bracket[0]:.10g}, "
                                      f"{bracket[1]:.10g}]; σ_max = upper end {js.sigma_max:.10g})")
    resolved = getattr(js, "sigma_min_resolved", True)
    if resolved:
        hyps.append(Hypothesis("σ_min(J_g(θ₀)) > 0", "holds" if js.sigma_min > 0 else "fails",
                               f"σ₀ = {js.sigma_min:.6g}{how}"))
    else:
        # Say what stopped the bracket: a work budget (Golub–Kahan on J) or float64 itself (J Jᵀ).
        why = ("the Golub–Kahan run on J stopped at its work budget before resolving it"
               if str(js.method).startswith("golub-kahan") else
               f"float64 cannot narrow it through J Jᵀ (κ(J) ≥ {js.sigma_max / bracket[1]:.3g})")
        if js.sigma_min > 0:  # a wide but certified bracket: its lower end is a valid σ₀
            hyps.append(Hypothesis("σ_min(J_g(θ₀)) > 0", "holds",
                                   f"σ₀ ≥ {bracket[0]:.4g}, the certified lower end of [{bracket[0]:.4g}, "
                                   f"{bracket[1]:.4g}]; {why}, so every constant below uses that lower end"))
        else:
            hyps.append(Hypothesis("σ_min(J_g(θ₀)) > 0", "unknown",
                                   f"σ₀ ∈ [0, {bracket[1]:.3g}]: {why}; every bound built on σ₀ is vacuous"))
    radius_formula = DYNAMICS[dynamics]
    lip_fn = getattr(net, "jacobian_lipschitz_bound", None)
    act = getattr(net, "activation", None)
    positive = js.sigma_min > 0
    names = ["alpha", "beta", "xi", "eta", radius_formula]
    out = evaluate_many(names, values) if positive else dict.fromkeys(names, float("nan"))
    R_prime = out[radius_formula]
    lip, R_max = float("nan"), float("nan")
    required = evaluate_many(["lipschitz_required"], {**values, "R_prime": R_prime})["lipschitz_required"] \
        if positive else float("nan")
    estimate, estimate_status = None, "not requested"
    if not callable(lip_fn):
        detail = (f"{type(net).__name__} supplies no jacobian_lipschitz_bound; the theorem needs Lip of J on "
                  f"B(θ₀, R′) < σ₀/(2R′) = {required:.6g}")
        if estimate_lipschitz and not callable(getattr(net, "lipschitz_estimate", None)):
            estimate_status = f"not available: {type(net).__name__} has no lipschitz_estimate"
        elif estimate_lipschitz and not np.isfinite(R_prime):
            # The ball B(θ₀, R′) is undefined while σ₀ is unresolved: there is nothing to search.
            estimate_status = ("not computed: R′ is unknown (σ₀ is not certified > 0), so the ball B(θ₀, R′) "
                               "on which Lip(J) is needed is undefined")
            detail += f"; {estimate_status}"
        elif estimate_lipschitz:
            found = float(net.lipschitz_estimate(R_prime, center=theta))
            settings = "projected ascent from 4 random pairs in B(θ₀, R′), 30 steps each, 15 power steps per difference"
            if np.isfinite(found) and found > 0:
                estimate = found
                estimate_status = f"adversarial estimate, a lower bound on the true constant: {settings}"
                detail += (f"; adversarial estimate (a lower bound on the true constant) {estimate:.6g}, "
                           f"{estimate / required:.3g}× the requirement")
            else:  # e.g. R′ so large that every sampled pair saturates the network: J₁ − J₂ = 0
                estimate_status = (f"no informative estimate: the ascent ({settings}) found "
                                   f"{'no finite ratio' if not np.isfinite(found) else 'only ‖J₁ − J₂‖ = 0'} at "
                                   f"R′ = {R_prime:.3g} (the network saturates that far from θ₀)")
                detail += f"; {estimate_status}"
        if estimate is not None and np.isfinite(required) and estimate >= required:
            # The estimate is a ratio ‖J(θ₁) − J(θ₂)‖/‖θ₁ − θ₂‖ met by a pair in B(θ₀, R′): a lower bound on
            # Lip(J; B(θ₀, R′)). At or above σ₀/(2R′) it shows 2R′·Lip ≥ σ₀, i.e. R′ ≥ R: the test fails for sure.
            hyps.append(Hypothesis("R′ < R (Lip(J; B(θ₀, R′)) < σ₀/(2R′))", "fails",
                                   detail + "; the estimate is a lower bound at or above the requirement, so the "
                                   "requirement fails whatever the true constant"))
            verdict = "degenerate"
        else:
            hyps.append(Hypothesis("certified Lipschitz bound of J_g on the ball", "unknown", detail))
            verdict = "not_applicable"
    elif act is not None and not act.admissible:
        verdict = "not_applicable"
    elif not positive and not resolved:
        verdict = "not_applicable"
    elif not positive:
        verdict = "degenerate"
    else:
        lip, R_max, lhs = _radius_test(net, lip_fn, theta, values, R_prime)
        ok = lhs < js.sigma_min
        hyps.append(Hypothesis("R′ < R (tested as 2R′ℓ(R′) < σ₀)", "holds" if ok else "fails",
                               f"R′ = {R_prime:.6g}, R = {R_max:.6g}, 2R′ℓ(R′) = {lhs:.6g}, "
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
        B=act.B if act is not None else float("nan"), k=int(net.k) if is_dip else None, n=n, m=m,
        d=int(net.d) if is_dip else None, D=float(getattr(net, "D", None) or float("nan")),
        v_init=str(getattr(net, "v_init", "unknown")), seed=getattr(net, "seed", None) if is_dip else None,
        hypotheses=tuple(hyps), inputs=values, lipschitz_required=required, lipschitz_estimate=estimate,
        lipschitz_estimate_status=estimate_status,
        sigma_method=getattr(js, "method", "gram"))


# ----------------------------------------------------------------------------- rates and times

@dataclass(frozen=True, repr=False)
class XSpaceBound(Result):
    """The x-space recovery bound of THEORY.md §5 at time ``t``, split into its three terms.

    ``lam_min_used`` is the value the bound divides by: with a bracket (lower, upper) on
    λ_min(A; T_Σ′(x̄_Σ′)) it is the **lower** end, so the bound stays valid. With
    ``lam_min_used = 0`` the bound is vacuous (infinite) and ``note`` says so.
    """

    t: float
    optimization: float
    approximation: float
    noise: float
    total: float
    lam_min_used: float
    lam_min_bracket: tuple[float, float]
    dist: float
    note: str = ""
    quantity: str = "bound"


@dataclass(frozen=True, repr=False)
class RateComparison(Result):
    """GF vs ISEHD optimization-error exponents (THEORY.md §3): e^{−σ₀²σ_A² t/4} vs e^{−σ₀σ_A t/4}."""

    rate_gf: float
    rate_isehd: float
    faster: str
    ratio: float
    note: str


@dataclass(frozen=True, repr=False)
class BoundsResult(Result):
    """Every time-dependent quantity of THEORY.md §3–§5 for one instance.

    ``rate`` is the loss-envelope exponent σ₀σ_A/2; envelopes are sampled at ``times``.
    Times that need ‖ε‖ are ``nan`` when the noise level is unknown, and ``inf`` when ‖ε‖ = 0.
    """

    non_degenerate: bool
    xi: float
    eta: float
    loss0: float
    rate: float
    noise_norm: float
    T_ES: float
    T_ES_gf: float
    tau_ES_gd: float
    gd_step: float
    times: np.ndarray
    loss_envelope: np.ndarray
    theta_envelope: np.ndarray
    loss_envelope_gf: np.ndarray
    residual_envelope_gf: np.ndarray
    comparison: RateComparison
    x_space: tuple[XSpaceBound, ...] = ()
    igahd_iteration_ES: int | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        if self.igahd_iteration_ES is None:
            d["igahd_iteration_ES_status"] = "not computed: needs IGAHD's step sizes (igahd_steps) and a finite T_ES"
        return d


def _values(check: CheckInitResult) -> dict[str, float]:
    return dict(check.inputs)


def rate_comparison(check: CheckInitResult) -> RateComparison:
    """Which optimization error decays faster on this instance, GF or ISEHD, and by what factor."""
    v = evaluate_many(["rate_gf", "rate_isehd"], _values(check))
    gf, isehd = v["rate_gf"], v["rate_isehd"]
    faster = "isehd" if isehd > gf else ("gf" if gf > isehd else "equal")
    note = ("inertia wins: σ₀σ_A < 1" if faster == "isehd" else
            "gradient flow wins: σ₀σ_A > 1" if faster == "gf" else "σ₀σ_A = 1: same exponent")
    if not min(gf, isehd) > 0:  # σ₀σ_A = 0 or unknown: no exponent to compare
        return RateComparison(gf, isehd, "unknown", float("nan"), "σ₀σ_A is 0 or unknown: no rate")
    return RateComparison(gf, isehd, faster, max(gf, isehd) / min(gf, isehd), note)


def early_stopping_times(check: CheckInitResult, noise_norm: float, *, gd_step: float | None = None
                         ) -> dict[str, float]:
    """T_ES (ISEHD, §3), T_ES^GF (§4) and, with a GD step γ, the GD iteration τ_ES.

    Times are clamped at 0 where ‖ε‖ already exceeds the initial envelope (the early-stopping
    guarantee then holds from the start), and are ``inf`` when ‖ε‖ = 0.
    """
    if noise_norm is None or not np.isfinite(noise_norm) or noise_norm < 0:
        raise ValueError(f"noise_norm must be a finite number >= 0, got {noise_norm}")
    if noise_norm == 0:
        return {"T_ES": float("inf"), "T_ES_gf": float("inf"), "tau_ES_gd": float("inf")}
    vals = {**_values(check), "noise_norm": float(noise_norm)}
    names = ["T_ES", "T_ES_gf"]
    if gd_step is not None:
        vals["gamma"] = gd_step
        mu = evaluate_many(["mu"], vals)["mu"]
        if not 0 < gd_step * mu < 1:
            raise ValueError(f"gd_step must satisfy 0 < γμ < 1 (μ = {mu:.4g}), got γ = {gd_step}")
        names.append("tau_ES_gd")
    out = {k: max(v, 0.0) for k, v in evaluate_many(names, vals).items()}
    out.setdefault("tau_ES_gd", float("nan"))
    return out


def envelopes(check: CheckInitResult, times: Any) -> dict[str, np.ndarray]:
    """Loss and parameter envelopes of §3 and the GF envelopes of §4 at the given times.

    Examples
    --------
    >>> prob = bc.gaussian_problem(30, 3, seed=0)
    >>> check = bc.check_initialization(prob.A, prob.y, bc.TwoLayerDIP(3, 3, 100_000, seed=0))
    >>> env = bc.envelopes(check, [0.0, 10.0])
    >>> sorted(env)
    ['loss_envelope', 'loss_envelope_gf', 'residual_envelope_gf', 'theta_envelope']
    >>> bool(env["loss_envelope"][1] < env["loss_envelope"][0])
    True
    """
    times = as_finite_array(times, "times", ndim=1)
    if np.any(times < 0):
        raise ValueError("times must be >= 0")
    out: dict[str, list[float]] = {k: [] for k in ("loss_envelope", "theta_envelope", "loss_envelope_gf",
                                                   "residual_envelope_gf")}
    base = _values(check)
    for t in times:
        v = evaluate_many(list(out), {**base, "t": float(t)})
        for k in out:
            out[k].append(v[k])
    return {k: np.array(v) for k, v in out.items()}


def lam_min_bracket(lam_min: float | tuple[float, float]) -> tuple[float, float, str]:
    """(lower, upper, note) from λ_min given as a number or as a bracket (lower, upper).

    Every bound divides by the lower end, which must be finite; the upper end may be ``inf``
    (unknown), e.g. when only the universal lower bound σ_n(A) is certified.
    """
    if isinstance(lam_min, (tuple, list)):
        if len(lam_min) != 2:
            raise ValueError("lam_min bracket must be a pair (lower, upper)")
        lo, hi = float(lam_min[0]), float(lam_min[1])
        if not (np.isfinite(lo) and 0 <= lo <= hi):
            raise ValueError(f"lam_min bracket must satisfy 0 <= lower <= upper, lower finite, got {lam_min}")
        return lo, hi, f"computed from the lower end of the bracket [{lo:.6g}, {hi:.6g}]"
    lo = float(lam_min)
    if not (np.isfinite(lo) and lo >= 0):
        raise ValueError(f"lam_min must be a finite number >= 0, got {lam_min}")
    return lo, lo, "λ_min given as a number"


def x_space_bound(check: CheckInitResult, t: float, lam_min: float | tuple[float, float], *,
                  noise_norm: float, dist: float | None = None) -> XSpaceBound:
    """‖x(t) − x̄‖ ≤ optimization + approximation + noise (THEORY.md §5).

    Without ``dist`` (dist(x̄, Σ′) unknown) the approximation term is taken as 0, and the result is
    named for what it is: ``quantity = "bound assuming x̄ ∈ Σ′"``, not a bound on the recovery error.

    Parameters
    ----------
    lam_min : float or (lower, upper)
        λ_min(A; T_Σ′(x̄_Σ′)), or a bracket on it from :mod:`boundcalc.theory.cones`; the bound uses the
        lower end.
    noise_norm : float
        ‖ε‖.
    dist : float
        dist(x̄, Σ′) (0 when x̄ is in the range of the generator over the ball).
    """
    lo, hi, note = lam_min_bracket(lam_min)
    quantity = "bound" if dist is not None else "bound assuming x̄ ∈ Σ′ (dist(x̄, Σ′) = 0)"
    dist = 0.0 if dist is None else dist
    for name, val in (("noise_norm", noise_norm), ("dist", dist), ("t", t)):
        if not (np.isfinite(val) and val >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {val}")
    if lo == 0:
        inf = float("inf")
        return XSpaceBound(float(t), inf, inf, inf, inf, 0.0, (lo, hi), float(dist),
                           "λ_min lower end is 0: the restricted injectivity condition is not certified "
                           "and the bound is vacuous", quantity)
    v = evaluate_many(["x_opt_error", "x_approx_error", "x_noise_error", "x_bound"],
                      {**_values(check), "t": float(t), "lam_min": lo, "noise_norm": float(noise_norm),
                       "dist": float(dist)})
    return XSpaceBound(float(t), v["x_opt_error"], v["x_approx_error"], v["x_noise_error"], v["x_bound"],
                       lo, (lo, hi), float(dist), note, quantity)


def compute_bounds(check: CheckInitResult, *, noise_norm: float | None, times: Any = None,
                   lam_min: float | tuple[float, float] | None = None, dist: float | None = None,
                   gd_step: float | None = None, igahd_steps: Any = None) -> BoundsResult:
    """All rates, envelopes, early-stopping times and x-space terms for a checked instance.

    The bounds are *statements* of the theorems; they are guaranteed only when
    ``check.non_degenerate`` is True, which the result records (and ``notes`` repeats).

    Parameters
    ----------
    check : CheckInitResult
    noise_norm : float or None
        ‖ε‖; None when unknown (times that need it are then nan).
    times : array, optional
        Times at which to sample the envelopes (default: 0 … 2·T_ES or 0 … 8/rate).
    lam_min, dist
        For the x-space bound (§5), see :func:`x_space_bound`.
    gd_step : float, optional
        GD step γ for τ_ES^GD.
    igahd_steps : array, optional
        IGAHD step sizes s_ℓ; the result gives the first iteration ℓ with Σ_{i<ℓ} √s_i ≥ T_ES.

    Examples
    --------
    >>> prob = bc.gaussian_problem(30, 3, seed=0)
    >>> check = bc.check_initialization(prob.A, prob.y, bc.TwoLayerDIP(3, 3, 100_000, seed=0))
    >>> b = bc.compute_bounds(check, noise_norm=prob.noise_norm)
    >>> b.rate > 0, b.T_ES > 0
    (True, True)
    """
    notes = []
    if not check.non_degenerate:
        notes.append(f"verdict is {check.verdict}: these are the formulas' values, not guarantees")
    if noise_norm is None:
        es = {"T_ES": float("nan"), "T_ES_gf": float("nan"), "tau_ES_gd": float("nan")}
        notes.append("‖ε‖ unknown: early-stopping times and x-space terms not computed")
    else:
        es = early_stopping_times(check, noise_norm, gd_step=gd_step)
    rate = evaluate_many(["rate_loss"], _values(check))["rate_loss"]
    if times is None:
        horizon = 2 * es["T_ES"] if np.isfinite(es["T_ES"]) and es["T_ES"] > 0 else \
            (8 / rate if rate > 0 else float("nan"))  # σ₀ unknown (nan) or 0: no time scale
        times = np.linspace(0, horizon, 9) if np.isfinite(horizon) else np.zeros(1)
    env = envelopes(check, times)
    times = np.asarray(times, dtype=float)
    xs: tuple[XSpaceBound, ...] = ()
    if lam_min is not None and noise_norm is not None:
        xs = tuple(x_space_bound(check, t, lam_min, noise_norm=noise_norm, dist=dist) for t in times)
    it = None
    if igahd_steps is not None and np.isfinite(es["T_ES"]):
        it = igahd_iteration_for_time(igahd_steps, es["T_ES"])
    return BoundsResult(check.non_degenerate, check.xi, check.eta, check.loss0, rate,
                        float("nan") if noise_norm is None else float(noise_norm), es["T_ES"], es["T_ES_gf"],
                        es["tau_ES_gd"], float("nan") if gd_step is None else float(gd_step), times,
                        env["loss_envelope"], env["theta_envelope"], env["loss_envelope_gf"],
                        env["residual_envelope_gf"], rate_comparison(check), xs, it, tuple(notes))


def igahd_iteration_for_time(steps: Any, T: float) -> int | None:
    """First IGAHD iteration ℓ whose time t_ℓ = Σ_{i<ℓ} √s_i reaches T (THEORY.md §7: h = √s).

    Returns None when the schedule ends before T.
    """
    s = as_finite_array(steps, "igahd_steps", ndim=1)
    if np.any(s <= 0):
        raise ValueError("igahd_steps must be > 0")
    t = np.concatenate([[0.0], np.cumsum(np.sqrt(s))])
    idx = int(np.searchsorted(t, T, side="left"))
    return idx if idx < t.size else None
