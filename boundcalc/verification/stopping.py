"""When to stop a DIP: stopping rules as online detectors, and the oracles they are measured against.

Each rule reads the run as it happens, ``rule.update(x, loss=…)`` once per iteration (ℓ = 0, 1, …), and
returns True from the iteration at which it says "stop" on (``fired_at``). It names the iterate it returns
(``stop_iteration``, with a copy in ``x_stop``): for a rule that looks back, such as ES-WMV, that iterate lies
before the detection, and ``fired_at − stop_iteration`` iterations were spent after it. A rule says what it needs
(``needs``: the noise level σ, a second noisy copy, x̄) and is refused, with one line, where that is missing.
The same rules run in boundcalc's loops (:func:`~boundcalc.dynamics.torch_training.train_torch` ``rules=``), in
the user's own loop, and after a recorded run (:func:`replay`)::

    rule = ESWMV(window=100, patience=1000)
    for it in range(iterations):
        ...
        if rule.update(x):
            break

Rules (docs/THEORY_NOTES.md, "Stopping rules", says where each comes from and what boundcalc chose):

- :class:`ESWMV` — Wang, Li, Zhuang, Chen, Liang, Sun (arXiv 2112.06074): the variance of the last W outputs,
  stop when it has not reached a new minimum for P iterations; :class:`ESEMV` its exponential variant;
- :class:`Discrepancy` — the first ℓ with ‖A x_ℓ − y‖ ≤ τ·σ·√m, σ known or estimated (:func:`estimate_sigma`);
- :class:`Validation` — the loss on a held-out noisy copy y₂ of the data, stop at its minimum (with patience);
- :class:`FixedIteration` — stop at a given iteration: the theorem's T_ES mapped to the run's clock
  (:func:`theorem_rule`), ``not_applicable`` with the reason where the hypotheses fail;
- :func:`sure_curve` — the Monte-Carlo SURE estimate of the prediction error from a second run on y + δb.

Oracles (they need x̄): :func:`oracle_best` (the best iterate by PSNR) and :func:`ema_oracle` (the best of the
exponential moving average of x, which can beat every raw iterate).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core import Result, positive_float, positive_int

__all__ = ["StoppingRule", "ESWMV", "ESEMV", "Discrepancy", "Validation", "FixedIteration", "theorem_rule",
           "estimate_sigma", "sure_curve", "oracle_best", "ema_oracle", "replay", "RuleOutcome", "RULE_DEFAULTS"]

#: The published defaults (ES-WMV: W = 100, P = 1000; ES-EMV: α = 0.1) and boundcalc's choices.
RULE_DEFAULTS = {"window": 100, "patience": 1000, "ema_alpha": 0.1, "tau": 1.0}


class StoppingRule:
    """Base of the online rules: ``update`` once per iteration; ``fired_at`` (None until it fires),
    ``stop_iteration`` and ``x_stop`` (the iterate it returns), ``needs`` (what it reads besides x)."""

    name = "rule"
    needs: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.iteration = -1
        self.fired_at: int | None = None
        self.stop_iteration: int | None = None
        self.x_stop: np.ndarray | None = None

    @property
    def fired(self) -> bool:
        return self.fired_at is not None

    def update(self, x: Any, *, loss: float | None = None) -> bool:
        """Read iterate ℓ (the next one); True once the rule has said "stop"."""
        x = np.asarray(x, dtype=float).ravel()
        self.iteration += 1
        if not self.fired:
            self._read(x, loss)
        return self.fired

    def _read(self, x: np.ndarray, loss: float | None) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fire(self, at_best: int, x_best: np.ndarray) -> None:
        self.fired_at, self.stop_iteration, self.x_stop = self.iteration, at_best, x_best

    def __repr__(self) -> str:
        state = (f"fired at ℓ = {self.fired_at}, returns ℓ = {self.stop_iteration}" if self.fired else
                 f"not fired after ℓ = {self.iteration}")
        return f"{type(self).__name__}({state})"


class _MinimumWithPatience(StoppingRule):
    """Stop when a score has not reached a new minimum for ``patience`` iterations; return the iterate at the
    minimum. Scores are compared from iteration ``start`` on (before it the score is not defined)."""

    def __init__(self, patience: int, start: int = 0):
        super().__init__()
        self.patience = positive_int(patience, "patience")
        self.start = start
        self.best_score, self.best_iteration, self.x_best = math.inf, None, None
        self.scores: list[float] = []

    def _score(self, x: np.ndarray, loss: float | None) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _read(self, x: np.ndarray, loss: float | None) -> None:
        score = self._score(x, loss)
        self.scores.append(score)
        if self.iteration < self.start or not np.isfinite(score):
            return
        if score < self.best_score:
            self.best_score, self.best_iteration, self.x_best = score, self.iteration, x.copy()
        elif self.iteration - self.best_iteration >= self.patience:
            self._fire(self.best_iteration, self.x_best)


class ESWMV(_MinimumWithPatience):
    """ES-WMV (arXiv 2112.06074): VAR_ℓ = (1/W) Σ_{i=ℓ−W+1}^{ℓ} ‖x_i − x̄_W‖²/n over the last W outputs, defined
    from ℓ = W − 1; stop at the first ℓ with VAR_{ℓ'} ≥ min VAR for every ℓ' in (ℓ_min, ℓ] and ℓ − ℓ_min = P, and
    return x_{ℓ_min}, the *last* iterate of the window of smallest variance (as the authors' code does).

    VAR is kept by running sums of x and ‖x‖² over the window (O(n) per step, float64):
    VAR = mean_i ‖x_i‖²/n − ‖mean_i x_i‖²/n."""

    name = "ES-WMV"

    def __init__(self, window: int = RULE_DEFAULTS["window"], patience: int = RULE_DEFAULTS["patience"]):
        self.window = positive_int(window, "window")
        super().__init__(patience, start=self.window - 1)
        self._buf: deque[np.ndarray] = deque()
        self._sum: np.ndarray | None = None
        self._sq = 0.0

    def _score(self, x: np.ndarray, loss: float | None) -> float:
        if self._sum is None:
            self._sum = np.zeros_like(x)
        self._buf.append(x.copy())
        self._sum += x
        self._sq += float(x @ x)
        if len(self._buf) > self.window:
            old = self._buf.popleft()
            self._sum -= old
            self._sq -= float(old @ old)
        if len(self._buf) < self.window:
            return math.nan
        n, W = x.size, self.window
        mean = self._sum / W
        return max(self._sq / (W * n) - float(mean @ mean) / n, 0.0)


class ESEMV(_MinimumWithPatience):
    """ES-EMV, the exponential variant: EMA_ℓ = (1 − α)EMA_{ℓ−1} + α x_ℓ and
    EMV_ℓ = (1 − α)EMV_{ℓ−1} + α(1 − α)‖x_ℓ − EMA_{ℓ−1}‖²/n (EMA_0 = x_0, EMV_0 = 0); the minimum is tracked
    from ``start`` on (default W = 100, as ES-WMV: before it EMV is still rising from its zero start), with
    patience P, and x at the minimum is returned. ``ema`` holds the running average (the ES-EMV output)."""

    name = "ES-EMV"

    def __init__(self, alpha: float = RULE_DEFAULTS["ema_alpha"], patience: int = RULE_DEFAULTS["patience"],
                 start: int = RULE_DEFAULTS["window"]):
        a = positive_float(alpha, "alpha")
        if a >= 1:
            raise ValueError(f"alpha must be in (0, 1), got {a}")
        self.alpha = a
        super().__init__(patience, start=positive_int(start, "start", minimum=0))
        self.ema: np.ndarray | None = None
        self.emv = 0.0

    def _score(self, x: np.ndarray, loss: float | None) -> float:
        if self.ema is None:
            self.ema = x.copy()
            return self.emv
        d = x - self.ema
        self.emv = (1 - self.alpha) * self.emv + self.alpha * (1 - self.alpha) * float(d @ d) / x.size
        self.ema += self.alpha * d
        return self.emv


class Discrepancy(StoppingRule):
    """Morozov's discrepancy principle: stop at the first ℓ with ‖A x_ℓ − y‖ ≤ τ·σ·√m and return x_ℓ. ``sigma``
    is the noise level per entry, known, or estimated from y (:func:`estimate_sigma`, ``sigma_source`` says which)."""

    name = "discrepancy"
    needs = ("sigma",)

    def __init__(self, A: Any, y: Any, sigma: float | None, *, tau: float = RULE_DEFAULTS["tau"],
                 sigma_source: str = "known"):
        super().__init__()
        if sigma is None:
            raise ValueError("sigma: the discrepancy principle needs the noise level σ (known, or "
                             "estimate_sigma(y, image_shape))")
        self.A, self.y = A, np.asarray(y, dtype=float).ravel()
        self.sigma, self.tau = positive_float(sigma, "sigma"), positive_float(tau, "tau")
        self.level = self.tau * self.sigma * math.sqrt(self.y.size)
        self.sigma_source = sigma_source

    def _read(self, x: np.ndarray, loss: float | None) -> None:
        r = float(np.linalg.norm(np.asarray(self.A @ x).ravel() - self.y))
        if r <= self.level:
            self._fire(self.iteration, x.copy())


class Validation(_MinimumWithPatience):
    """A held-out copy y₂ = A x̄ + ε₂ of the data: the loss ‖A x_ℓ − y₂‖ picks the stop (its minimum, with
    ``patience``). A reference users rarely have (it needs a second noisy observation)."""

    name = "validation"
    needs = ("copy",)

    def __init__(self, A: Any, y_copy: Any, patience: int = 100):
        if y_copy is None:
            raise ValueError("y_copy: the validation rule needs a second noisy copy of the data")
        super().__init__(patience)
        self.A, self.y_copy = A, np.asarray(y_copy, dtype=float).ravel()

    def _score(self, x: np.ndarray, loss: float | None) -> float:
        return float(np.linalg.norm(np.asarray(self.A @ x).ravel() - self.y_copy))


class FixedIteration(StoppingRule):
    """Stop at iteration ``at`` (e.g. the theorem's T_ES in the run's clock). ``applicable`` False (with
    ``reason``) when the stop it stands for does not exist: it then never fires."""

    name = "fixed"

    def __init__(self, at: float, *, applicable: bool = True, reason: str = "", name: str = "fixed"):
        super().__init__()
        self.at, self.applicable, self.reason, self.name = float(at), bool(applicable), reason, name

    def _read(self, x: np.ndarray, loss: float | None) -> None:
        if self.applicable and self.iteration >= self.at:
            self._fire(self.iteration, x.copy())


def theorem_rule(check: Any, noise_norm: float, clock: float, *, dynamics: str = "isehd") -> FixedIteration:
    """The theorem's early-stopping time T_ES (THEORY §3 ii; T_ES^GF for gradient descent, §4) mapped to
    iterations by the run's clock (t = ℓ·``clock``: √s for IGAHD form ode, γ for GD). ``not_applicable`` (never
    fires) with the failed hypothesis where the initialization is not certified non-degenerate."""
    from ..theory.bounds import compute_bounds
    b = compute_bounds(check, noise_norm=noise_norm)
    T = b.T_ES_gf if dynamics in ("gf", "gd") else b.T_ES
    if not check.non_degenerate:
        failed = next((h for h in check.hypotheses if h.status != "holds"), None)
        return FixedIteration(math.inf, applicable=False, name="theorem T_ES",
                              reason=f"not_applicable: {failed.name if failed else check.verdict}")
    if not np.isfinite(T):
        return FixedIteration(math.inf, applicable=False, name="theorem T_ES", reason="T_ES is not finite")
    return FixedIteration(T / positive_float(clock, "clock"), name="theorem T_ES")


def estimate_sigma(y: Any, image_shape: tuple[int, int]) -> float:
    """σ of iid noise on an image y by the median absolute deviation of its finest diagonal Haar wavelet
    coefficients (Donoho, 1995): d = (y₀₀ − y₀₁ − y₁₀ + y₁₁)/2 on 2×2 blocks, σ̂ = median|d|/0.6745. The smooth
    image contributes little to d, so σ̂ reads the noise."""
    img = np.asarray(y, dtype=float).reshape(image_shape)
    h, w = (image_shape[0] // 2) * 2, (image_shape[1] // 2) * 2
    if h < 2 or w < 2:
        raise ValueError(f"image_shape: {image_shape} has no 2×2 block to estimate σ from")
    b = img[:h, :w]
    d = (b[0::2, 0::2] - b[0::2, 1::2] - b[1::2, 0::2] + b[1::2, 1::2]) / 2
    return float(np.median(np.abs(d)) / 0.6744897501960817)


def sure_curve(A: Any, y: Any, sigma: float, xs: Any, xs_probe: Any, probe: Any, delta: float) -> np.ndarray:
    """Monte-Carlo SURE of the prediction error ‖A x_ℓ − A x̄‖² for y = A x̄ + ε, ε ~ N(0, σ²I):
    SURE_ℓ = ‖A x_ℓ − y‖² − mσ² + 2σ²·div_ℓ, div_ℓ ≈ bᵀ(A x_ℓ(y + δb) − A x_ℓ(y))/δ (Ramani et al. 2008), where
    ``xs`` are the run's iterates on y and ``xs_probe`` those of a second run, the same in every other respect,
    on y + δ·``probe``. With DIP's fixed input the output at fixed θ does not depend on y, so the divergence is
    the training map's, which costs this second run (docs/THEORY_NOTES.md)."""
    y = np.asarray(y, dtype=float).ravel()
    b = np.asarray(probe, dtype=float).ravel()
    X, Xp = np.atleast_2d(np.asarray(xs, float)), np.atleast_2d(np.asarray(xs_probe, float))
    if X.shape != Xp.shape:
        raise ValueError(f"xs_probe must have the shape of xs, {X.shape}, got {Xp.shape}")
    AX = np.asarray(A @ X.T).T
    AXp = np.asarray(A @ Xp.T).T
    div = (AXp - AX) @ b / positive_float(delta, "delta")
    return np.sum((AX - y) ** 2, axis=1) - y.size * sigma**2 + 2 * sigma**2 * div


def _psnr(x: np.ndarray, x_bar: np.ndarray) -> float:
    from .experiments import psnr
    return float(psnr([np.linalg.norm(x - x_bar)], x_bar)[0])


def oracle_best(xs: Any, x_bar: Any) -> tuple[int, float]:
    """(ℓ, PSNR) of the best iterate against x̄: what no rule without x̄ can beat on the raw iterates."""
    from .experiments import psnr
    X = np.asarray(xs, dtype=float)
    p = psnr(np.linalg.norm(X - np.asarray(x_bar, float), axis=1), np.asarray(x_bar, float))
    i = int(np.nanargmax(p))
    return i, float(p[i])


def ema_oracle(xs: Any, x_bar: Any, alpha: float = RULE_DEFAULTS["ema_alpha"]) -> tuple[int, float]:
    """(ℓ, PSNR) of the best exponential moving average EMA_ℓ = (1 − α)EMA_{ℓ−1} + α x_ℓ of the iterates (the
    output ES-EMV keeps): averaging removes part of the noise the iterates carry, so it can beat them all."""
    X = np.asarray(xs, dtype=float)
    xb = np.asarray(x_bar, float)
    ema = X[0].copy()
    best = (0, _psnr(ema, xb))
    for i in range(1, X.shape[0]):
        ema += alpha * (X[i] - ema)
        p = _psnr(ema, xb)
        if p > best[1]:
            best = (i, p)
    return best


@dataclass(frozen=True, repr=False)
class RuleOutcome(Result):
    """One rule on one run: where it fired and which iterate it returned, with its PSNR, the dB lost against
    the oracle best, and the iterations spent after the returned iterate (None/nan when it never fired)."""

    rule: str
    fired_at: int | None
    stop_iteration: int | None
    psnr: float
    db_lost: float
    spent: int | None
    never_fired: bool
    note: str = ""


def replay(rule: StoppingRule, xs: Any, x_bar: Any = None, *, losses: Any = None,
           oracle: float | None = None) -> RuleOutcome:
    """Run ``rule`` after the fact on a recorded sequence of iterates (one row per iteration, from ℓ = 0) and
    measure it against x̄: PSNR of the returned iterate and the dB lost against ``oracle`` (default: the best
    raw iterate's PSNR). A rule that never fires returns the last iterate, and is counted as never fired."""
    X = np.asarray(xs, dtype=float)
    for i in range(X.shape[0]):
        if rule.update(X[i], loss=None if losses is None else float(losses[i])):
            break
    best = oracle if oracle is not None else (oracle_best(X, x_bar)[1] if x_bar is not None else math.nan)
    if rule.fired:
        p = _psnr(rule.x_stop, np.asarray(x_bar, float)) if x_bar is not None else math.nan
        return RuleOutcome(getattr(rule, "name", type(rule).__name__), rule.fired_at, rule.stop_iteration, p,
                           best - p, rule.fired_at - rule.stop_iteration, False)
    p = _psnr(X[-1], np.asarray(x_bar, float)) if x_bar is not None else math.nan
    note = getattr(rule, "reason", "") or "never fired within the run: the last iterate is returned"
    return RuleOutcome(getattr(rule, "name", type(rule).__name__), None, None, p, best - p, None, True, note)
