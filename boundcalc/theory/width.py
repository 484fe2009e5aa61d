"""How wide must the network be? The theorem's width (THEORY.md §6) and the instance width.

- :func:`required_width`: the talk's sufficient width k_theorem with the unknown absolute
  constants c₁, c₂, C exposed (default 1, recorded in every output).
- :func:`instance_width`: the smallest k for which :func:`check_initialization` passes on a
  seeded random draw, by doubling then bisection, with the pass probability over several draws
  and its Wilson confidence interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from scipy.stats import binomtest

from .._core import Result, positive_float, positive_int, progress_bar
from ..formulas import FORMULAS, SYMBOLS, evaluate_many
from ..linalg.operators import SpectrumResult, as_operator, spectrum
from ..nets.two_layer import TwoLayerDIP
from .bounds import check_initialization

__all__ = ["initialization_pass_rate", "PassRateResult", "WidthResult", "InstanceWidthResult", "required_width",
           "instance_width", "width_exponent_n", "draws_for_half_width"]

CONSTANTS_NOTE = ("c1, c2 and C are absolute constants the talk does not give; they are parameters here "
                  "(default 1), so k_theorem is known only up to these constants")


@dataclass(frozen=True, repr=False)
class WidthResult(Result):
    """The sufficient width of THEORY.md §6 for one operator.

    ``k_theorem`` = C(1 + κ(A)⁴)·max(σ_A⁴, c₁)/min(σ_A⁸, c₂)·n(‖A‖⁴n² + (1 + SNR⁻¹)⁴m²), valid
    with probability ≥ 1 − 5e^{−(n−1)} − 2/n for D-bounded V(0) (both layers trained): that bound's
    value is ``probability_bound``; ``probability`` is the same number where it is a probability
    (in [0, 1]) and None where the bound is vacuous (≤ 0, e.g. n = 2), ``probability_status`` says
    which. ``k_scaling`` = n³ + nm² and ``k_scaling_W_only`` = n²m are scaling laws (no
    constants), ``exponent_n`` = ∂ln k_theorem/∂ln n at fixed m and operator constants.
    """

    k_theorem: float
    probability: float | None
    snr: float
    snr_source: str
    c1: float
    c2: float
    C: float
    n: int
    m: int
    sigma_A: float
    norm_A: float
    kappa_A: float
    k_scaling: float
    k_scaling_W_only: float
    exponent_n: float
    note: str = CONSTANTS_NOTE
    probability_bound: float = float("nan")
    probability_status: str = "bound"


@dataclass(frozen=True, repr=False)
class InstanceWidthResult(Result):
    """Smallest width k for which the seeded draw passes the §3 test, and how often draws pass.

    ``k_instance`` passes for draw ``seed``; ``k_below`` (the largest failing k found) fails.
    ``pass_probability`` is the fraction of ``trials`` fresh draws (seeds ``seed`` + 1, …,
    ``seed`` + trials: independent of the draw that selected ``k_instance``, which passes by
    construction and would bias the estimate upward) that pass at ``k_instance``, with a Wilson
    ``confidence``-level interval ``ci``.
    """

    k_instance: int
    k_below: int
    pass_probability: float
    ci: tuple[float, float]
    confidence: float
    trials: int
    seed: int
    dynamics: str
    history: tuple[tuple[int, bool], ...]
    found: bool = True
    search: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; a width not found is null with ``k_instance_status``, never the sentinel −1."""
        d = super().to_dict()
        if not self.found:
            d.update(k_instance=None, pass_probability=None, ci=None,
                     k_instance_status=f"not found: every seeded draw up to k = {self.k_below} failed")
        else:
            d["k_instance_status"] = "found"
        return d


def width_exponent_n() -> sp.Expr:
    """∂ln k_theorem/∂ln n as a sympy expression (from the one k_theorem expression)."""
    expr = FORMULAS["k_theorem"].expr
    n = SYMBOLS["n"]
    return sp.simplify(n * sp.diff(expr, n) / expr)


def required_width(A: Any = None, *, spec: SpectrumResult | None = None, snr: float | None = None,
                   x_bar: Any = None, noise_norm: float | None = None, c1: float = 1.0, c2: float = 1.0,
                   C: float = 1.0) -> WidthResult:
    """The theorem's width requirement k_theorem (THEORY.md §6).

    Parameters
    ----------
    A : operator, optional
        Forward operator (or give ``spec``).
    snr : float, optional
        Signal-to-noise ratio. Default: ‖A x̄‖/‖ε‖ from ``x_bar`` and ``noise_norm``; the choice
        is recorded in ``snr_source``.
    c1, c2, C : float
        The talk's unknown absolute constants (default 1).

    Examples
    --------
    >>> prob = bc.gaussian_problem(30, 3, seed=0)
    >>> w = bc.required_width(prob.A, x_bar=prob.x_bar, noise_norm=prob.noise_norm)
    >>> w.k_scaling, f'{w.k_theorem:.3g}'
    (2727.0, '1.19e+05')
    """
    if spec is None:
        if A is None:
            raise ValueError("give A or spec")
        A = as_operator(A)
        spec = spectrum(A)
    m, n = spec.shape
    c1, c2, C = (positive_float(c1, "c1"), positive_float(c2, "c2"), positive_float(C, "C"))
    if snr is not None:
        snr = positive_float(snr, "snr")
        source = "given"
    else:
        if x_bar is None or noise_norm is None or A is None:
            raise ValueError("snr: give snr, or x_bar and noise_norm (with A) to compute SNR = ‖A x̄‖/‖ε‖")
        noise_norm = positive_float(noise_norm, "noise_norm")
        snr = float(np.linalg.norm(np.asarray(A @ np.asarray(x_bar, dtype=float)))) / noise_norm
        if not snr > 0:
            raise ValueError("snr: ‖A x̄‖ = 0, the SNR is 0 and the width formula is undefined")
        source = "‖A x̄‖/‖ε‖"
    vals = {"sigma_A": spec.sigma_A, "kappa_A": spec.kappa_A, "norm_A": spec.norm_A, "n": float(n),
            "m": float(m), "snr": snr, "c1": c1, "c2": c2, "C": C}
    v = evaluate_many(["k_theorem", "width_probability", "k_scaling", "k_scaling_W_only"], vals)
    expo = float(width_exponent_n().subs({SYMBOLS[k]: val for k, val in vals.items()}))
    note = CONSTANTS_NOTE
    bound = v["width_probability"]
    # A probability lives in [0, 1]: a bound ≤ 0 says nothing, and is reported as such, not as a value.
    status = "bound" if bound > 0 else f"vacuous: the bound 1 − 5e^(−(n−1)) − 2/n = {bound:.3g} is ≤ 0 at n = {n}"
    if bound <= 0:
        note += f"; the probability bound {bound:.3g} is vacuous at n = {n}"
    return WidthResult(v["k_theorem"], bound if bound > 0 else None, snr, source, c1, c2, C, n, m, spec.sigma_A,
                       spec.norm_A, spec.kappa_A, v["k_scaling"], v["k_scaling_W_only"], expo, note, bound, status)


def draws_for_half_width(half_width: float, confidence: float = 0.95) -> int:
    """The fewest draws N for which the Wilson interval of a pass probability has half-width ≤ ``half_width``
    whatever the probability: its half-width is at most z/(2√(N + z²)) (the worst case p = ½), so
    N = ⌈(z/(2h))² − z²⌉ with z the normal quantile of ``confidence`` (1064 draws for ±0.03 at 95%)."""
    from scipy.stats import norm
    h = positive_float(half_width, "half_width")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    z = float(norm.ppf(0.5 + confidence / 2))
    return max(1, math.ceil((z / (2 * h)) ** 2 - z**2))


def instance_width(A: Any, y: Any, *, d: int, activation: str = "tanh", v_init: str = "rademacher",
                   seed: int = 0, trials: int = 40, k_start: int = 16, k_max: int = 2**24,
                   dynamics: str = "isehd", confidence: float = 0.95, rel_tol: float = 0.0,
                   progress: bool = False) -> InstanceWidthResult:
    """Smallest width k for which the draw ``TwoLayerDIP(n, d, k, seed=seed)`` is non-degenerate.

    Monotone bracketing (doubling from ``k_start`` until the draw passes, or ``k_max``), then
    bisection on the seeded draw down to adjacent integers (``rel_tol`` = 0, the default) or to a
    relative tolerance; the seeds are fixed, so the search is reproducible. ``search`` says how it
    was searched and whether every probed width agreed with a monotone pass/fail in k. At the
    width found, ``trials`` fresh draws (seeds seed+1, …, seed+trials; the selecting draw is left
    out, so the estimate is unbiased) give the pass probability and its Wilson interval
    (scipy.stats.binomtest; 40 draws by default so that the interval means something).

    Examples
    --------
    >>> prob = bc.gaussian_problem(30, 3, seed=0)
    >>> w = bc.instance_width(prob.A, prob.y, d=3, seed=0, trials=5)
    >>> w.found, w.k_instance
    (True, 63982)
    """
    A = as_operator(A)
    spec = spectrum(A)
    n = A.shape[1]
    d = positive_int(d, "d")
    trials = positive_int(trials, "trials")
    k = positive_int(k_start, "k_start")
    k_max = positive_int(k_max, "k_max")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    history: list[tuple[int, bool]] = []
    # The number of probes is not known in advance (doubling, then bisection): the bar counts them
    # and shows the last width tried.
    bar = progress_bar(desc="instance width", enabled=progress, unit="probe")

    def passes(k: int, s: int = seed) -> bool:
        net = TwoLayerDIP(n, d, k, activation, v_init=v_init, seed=s)
        ok = check_initialization(A, y, net, dynamics=dynamics, spec=spec).non_degenerate
        if s == seed:
            history.append((k, ok))
        bar.set_postfix_str(f"k = {k}: {'pass' if ok else 'fail'}" + ("" if s == seed else f" (draw {s - seed})"))
        bar.update()
        return ok

    lo = 0
    while not passes(k):
        lo = k
        if k >= k_max:
            bar.close()
            return InstanceWidthResult(-1, k, 0.0, (0.0, 1.0), confidence, 0, seed, dynamics,
                                       tuple(history), found=False)
        k = min(2 * k, k_max)
    hi = k
    while hi - lo > max(1, rel_tol * hi):
        mid = (lo + hi) // 2
        if passes(mid):
            hi = mid
        else:
            lo = mid
    count = sum(passes(hi, seed + i) for i in range(1, trials + 1))
    bar.close()
    ci = binomtest(count, trials).proportion_ci(confidence_level=confidence, method="wilson")
    fails = [k for k, ok in history if not ok]
    monotone = not fails or max(fails) < min(k for k, ok in history if ok)
    search = (f"doubling from k = {k_start} to a passing width, then bisection to "
              + ("adjacent integers" if rel_tol == 0 else f"a relative tolerance {rel_tol:g}")
              + f" ({len(history)} widths probed on seed {seed}); "
              + ("every probe agrees with a pass/fail monotone in k" if monotone else
                 "the probes are NOT monotone in k: a smaller passing width may exist below a failing one"))
    return InstanceWidthResult(hi, lo, count / trials, (float(ci.low), float(ci.high)), confidence, trials, seed,
                               dynamics, tuple(history), search=search)


@dataclass(frozen=True, repr=False)
class PassRateResult(Result):
    """How often the §3 test passes over seeded draws: ``passes`` of ``trials`` (the seeds in
    ``seeds``; those that passed in ``passed_seeds``), with a Wilson ``confidence``-level interval."""

    what: str
    passes: int
    trials: int
    rate: float
    ci: tuple[float, float]
    confidence: float
    seeds: tuple[int, ...]
    passed_seeds: tuple[int, ...]

    def __str__(self) -> str:
        return (f"{self.passes}/{self.trials} = {self.rate:.2f} (Wilson {self.confidence:.0%} "
                f"[{self.ci[0]:.2f}, {self.ci[1]:.2f}]) over {self.what}")


def initialization_pass_rate(draw: Any, seeds: Any, *, what: str = "seeded draws",
                             confidence: float = 0.95) -> PassRateResult:
    """The fraction of seeds whose draw passes the §3 non-degeneracy test, with its Wilson interval
    (scipy.stats.binomtest). ``draw(seed)`` returns ``(A, y, net)``: vary the network's seed at a
    fixed problem to measure how random an initialization is certified, or the problem's seed to see
    how typical a problem is.

    Examples
    --------
    >>> prob = bc.gaussian_problem(30, 3, seed=0)
    >>> def draw(seed):
    ...     return prob.A, prob.y, bc.TwoLayerDIP(3, 3, 100_000, seed=seed)
    ...
    >>> rate = bc.initialization_pass_rate(draw, range(4))
    >>> rate.passes, rate.trials
    (1, 4)
    >>> print(rate)
    1/4 = 0.25 (Wilson 95% [0.05, 0.70]) over seeded draws
    """
    seeds = tuple(positive_int(s, "seeds", minimum=0) for s in seeds)
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    passed = []
    for s in seeds:
        A, y, net = draw(s)
        if check_initialization(A, y, net).non_degenerate:
            passed.append(s)
    ci = binomtest(len(passed), len(seeds)).proportion_ci(confidence_level=confidence, method="wilson")
    return PassRateResult(what, len(passed), len(seeds), len(passed) / len(seeds), (float(ci.low), float(ci.high)),
                          confidence, seeds, tuple(passed))
