"""Every theorem formula of THEORY.md, written once as a sympy expression.

Each :class:`Formula` is evaluated numerically from its expression (``lambdify``) and rendered
as LaTeX or text from the same expression, so a number in a report and the formula printed
beside it cannot drift apart. A formula may use the output symbol of another (e.g. R′ = η√(ξL₀)
uses ξ and η); :func:`evaluate` resolves such dependencies from the inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

__all__ = ["PARAMETERS", "Formula", "FORMULAS", "evaluate", "evaluate_many", "render", "SYMBOLS"]

_LATEX = {
    "sigma0": r"\sigma_0", "sigma_A": r"\sigma_A", "sigma_max_J": r"\sigma_{\max}(J)",
    "kappa_J": r"\kappa(J_g(0))", "kappa_A": r"\kappa(A)", "L0": r"L_0", "norm_A": r"\|A\|",
    "norm_u": r"\|u\|", "M0": r"M_0", "radius": r"R", "noise_norm": r"\|\varepsilon\|",
    "lam_min": r"\lambda_{\min}", "dist": r"\operatorname{dist}(\bar x, \Sigma')",
    "r0": r"\|y(0) - y\|", "gamma": r"\gamma", "tau": r"\tau", "snr": r"\mathrm{SNR}",
    "c1": r"c_1", "c2": r"c_2", "C": r"C", "xi": r"\xi", "eta": r"\eta", "R_prime": r"R'",
    "R_max": r"R^{*}", "lip_a": r"a_\ell", "lip_b": r"b_\ell", "mu": r"\mu",
    "alpha": r"\alpha", "beta": r"\beta", "R_prime_gf": r"R'_{GF}", "h": "h", "c": "c", "L": "L",
    "rho": r"\rho", "s": "s", "w": "w", "t": "t", "k": "k", "n": "n", "m": "m", "B": "B",
    "r_max": r"r_{\max}", "lipschitz_J": r"\ell(R)", "gamma_k": r"\gamma_k", "delta": r"\delta", "q": "q",
    "psi": r"\psi(\rho)", "lipschitz_required": r"\mathrm{Lip}_{\max}", "nondeg_lhs": r"N(R)",
    "a_k": r"a", "b_k": r"b",
    # the formulas themselves, as left-hand sides and where one formula uses another
    "loss_envelope": r"\bar L(t)", "theta_envelope": r"\bar\Theta(t)", "T_ES": r"T_{ES}",
    "rate_isehd": r"r_{\mathrm{ISEHD}}", "rate_gf": r"r_{\mathrm{GF}}", "R_prime_gd": r"R'_{GD}",
    "residual_envelope_gf": r"\bar r_{GF}(t)", "loss_envelope_gf": r"\bar L_{GF}(t)",
    "loss_envelope_gd": r"\bar L_{GD}(\tau)", "T_ES_gf": r"T_{ES}^{GF}", "tau_ES_gd": r"\tau_{ES}^{GD}",
    "L_loc": r"L_{\mathrm{loc}}", "x_opt_error": r"E_{\mathrm{opt}}(t)", "x_approx_error": r"E_{\mathrm{approx}}",
    "x_noise_error": r"E_{\mathrm{noise}}", "x_bound": r"\bar E_x(t)", "k_theorem": r"k_{\mathrm{thm}}",
    "width_probability": r"P_{\mathrm{width}}", "k_scaling": r"k_{\mathrm{scaling}}",
    "k_scaling_W_only": r"k_{\mathrm{scaling}}^{W}", "igahd_condition": r"\mathrm{cond}_{\mathrm{IGAHD}}",
    "igahd_alpha_k": r"\alpha_k", "igahd_beta_k": r"\beta_k", "igahd_s_k": r"s_k",
    "igahd_dip_momentum_ode": r"a_{\mathrm{ode}}", "igahd_dip_hessian_ode": r"b_{\mathrm{ode}}",
    "igahd_dip_momentum_slide": r"a_{\mathrm{slide}}", "igahd_dip_hessian_slide": r"b_{\mathrm{slide}}",
    "igahd_map_h": r"h_{\mathrm{map}}", "igahd_map_gamma": r"\gamma_{\mathrm{map}}",
    "igahd_map_beta": r"\beta_{\mathrm{map}}", "igahd_energy_coef": r"c_E", "igahd_energy_decrease": r"d_E",
    "backtracking_L": r"L_{\ell}", "lojasiewicz_exponent": r"e_q", "rate_loss": r"r_L",
    "rate_loss_gf": r"r_L^{GF}", "gordon_mean": r"\mathbb{E}\|g_m\|", "gordon_lower": r"\lambda_{\mathrm{Gordon}}",
    "gordon_probability": r"P_{\mathrm{Gordon}}", "psi_objective": r"\Psi(\rho, \tau)",
    "l1_statdim_lower": r"\delta_{\ell_1}^{-}",
}

_UNICODE = [(r"\varepsilon", "ε"), (r"\sigma", "σ"), (r"\kappa", "κ"), (r"\xi", "ξ"), (r"\eta", "η"),
            (r"\alpha", "α"), (r"\beta", "β"), (r"\gamma", "γ"), (r"\tau", "τ"), (r"\mu", "μ"), (r"\rho", "ρ"),
            (r"\delta", "δ"), (r"\lambda", "λ"), (r"\psi", "ψ"), (r"\Psi", "Ψ"), (r"\ell", "ℓ"),
            (r"\Theta", "Θ"), (r"\Sigma", "Σ"), (r"\|", "‖"), (r"\max", "max"), (r"\min", "min"),
            (r"\mathbb{E}", "E"), (r"\operatorname", ""), (r"\mathrm", ""), (r"\bar x", "x̄"), (r"\bar ", "¯"),
            (r"\,", ""), ("_0", "₀"), ("_1", "₁"), ("_2", "₂"), ("^{*}", "*"), ("{", ""), ("}", ""), ("\\", "")]


def _unicode_name(name: str) -> str:
    """A symbol's name for a terminal, from its LaTeX (σ₀ for sigma0, ‖A‖ for norm_A)."""
    text = _latex_name(name)
    if text.startswith(r"\mathrm{") and name not in _LATEX:
        return name
    for tex, uni in _UNICODE:
        text = text.replace(tex, uni)
    return text.replace(" ", "")


def _latex_name(name: str) -> str:
    return _LATEX.get(name, r"\mathrm{" + name.replace("_", r"\_") + "}")


#: Every symbol used by the formula book, by name.
SYMBOLS: dict[str, sp.Symbol] = {}


class _SymbolTable:
    """``S["name"]`` gives the (positive) symbol ``name``, registering it in :data:`SYMBOLS`."""

    def __getitem__(self, name: str) -> sp.Symbol:
        if name not in SYMBOLS:
            SYMBOLS[name] = sp.Symbol(name, positive=True)
        return SYMBOLS[name]

    def items(self):
        return SYMBOLS.items()


S = _SymbolTable()


@dataclass(frozen=True)
class Formula:
    """One quantity of the formula book.

    Attributes
    ----------
    name : str
        Python name and output symbol (other formulas may use it).
    expr : sympy.Expr
        The expression, in the symbols of :data:`SYMBOLS`.
    section : str
        THEORY.md section.
    kind : str
        "claim" (stated by the sources) or "derived" (derived in THEORY.md).
    description : str
    source : str
    """

    name: str
    expr: sp.Expr
    section: str
    kind: str
    description: str
    source: str = "THEORY.md"
    _fn: Any = field(default=None, repr=False, compare=False)

    @property
    def inputs(self) -> tuple[str, ...]:
        """Names of the free symbols, sorted."""
        return tuple(sorted(s.name for s in self.expr.free_symbols))

    def latex(self) -> str:
        names = {v: _latex_name(k) for k, v in S.items()}
        return f"{_latex_name(self.name)} = {sp.latex(self.expr, symbol_names=names)}"

    def text(self) -> str:
        """The formula for a terminal: its symbols in Unicode (α = σ₀*σ_A), not sympy's names."""
        names = {v: sp.Symbol(_unicode_name(k)) for k, v in S.items()}
        return f"{_unicode_name(self.name)} = {sp.sstr(self.expr.xreplace(names))}"

    def __call__(self, **values: float) -> float:
        missing = [n for n in self.inputs if n not in values]
        if missing:
            raise ValueError(f"formula {self.name!r} needs {missing}")
        fn = self._fn
        if fn is None:  # compiled on first use; frozen dataclass, so bypass __setattr__
            fn = sp.lambdify([S[n] for n in self.inputs], self.expr, modules=["numpy"])
            object.__setattr__(self, "_fn", fn)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            return float(fn(*[values[n] for n in self.inputs]))


def _f(name: str, expr: sp.Expr, section: str, kind: str, description: str, source: str = "") -> Formula:
    return Formula(name, sp.sympify(expr), section, kind, description, source or "docs/THEORY.md " + section)


_sq2 = sp.sqrt(2)
_talk = "talk 'Recovery guarantees: y space'; arXiv:2506.02986"
_list = [
    # §3 ISEHD non-degeneracy constants
    _f("alpha", S["sigma0"] * S["sigma_A"], "§3", "claim", "viscous damping α = σ₀σ_A", _talk),
    _f("beta", 1 / (2 * S["alpha"]), "§3", "claim", "Hessian damping β = 1/(2α)", _talk),
    _f("xi", 1 + S["kappa_J"] ** 2 * S["kappa_A"] ** 2 / 4, "§3", "claim", "loss-envelope constant ξ", _talk),
    _f("eta", 4 * sp.Max(S["sigma0"] * S["sigma_A"], (1 + _sq2) / 2)
       / sp.Min(S["sigma0"] ** 2 * S["sigma_A"] ** 2, sp.Rational(3, 4)),
       "§3", "claim", "parameter-envelope constant η", _talk),
    _f("R_prime", S["eta"] * sp.sqrt(S["xi"] * S["L0"]), "§3", "claim",
       "radius R′ of the ball the ISEHD trajectory stays in", _talk),
    # §2 Jacobian Lipschitz bound ℓ(R) = a + bR, and the largest admissible radius
    _f("lip_a", S["B"] * S["norm_u"] * (1 + S["norm_u"] * S["M0"]) / sp.sqrt(S["k"]), "§2", "derived",
       "intercept a of ℓ(R) = a + bR"),
    _f("lip_b", S["B"] * S["norm_u"] ** 2 / sp.sqrt(S["k"]), "§2", "derived", "slope b of ℓ(R) = a + bR"),
    _f("lipschitz_J", S["lip_a"] + S["lip_b"] * S["radius"], "§2", "derived",
       "ℓ(R) ≥ Lip of J_g on B(θ₀, R)"),
    _f("R_max", (-S["lip_a"] + sp.sqrt(S["lip_a"] ** 2 + 2 * S["lip_b"] * S["sigma0"])) / (2 * S["lip_b"]),
       "§3", "derived", "R: the largest radius with 2Rℓ(R) ≤ σ₀ (R = σ₀/(2 Lip))"),
    _f("lipschitz_required", S["sigma0"] / (2 * S["R_prime"]), "§3", "derived",
       "R′ < R = σ₀/(2 Lip) ⇔ Lip of J on B(θ₀, R′) < σ₀/(2R′): what any network must satisfy"),
    _f("nondeg_lhs", 2 * S["radius"] * S["lipschitz_J"], "§3", "derived",
       "2R′ℓ(R′); non-degenerate ⇔ this < σ₀ (equivalent to R′ < R)"),
    # §3 consequences
    _f("loss_envelope", S["xi"] * S["L0"] * sp.exp(-S["sigma0"] * S["sigma_A"] * S["t"] / 2), "§3", "claim",
       "L_y(y(t)) ≤ ξL₀e^{−σ₀σ_A t/2}", _talk),
    _f("theta_envelope", S["eta"] * sp.sqrt(S["xi"] * S["L0"]) * sp.exp(-S["sigma0"] * S["sigma_A"] * S["t"] / 4),
       "§3", "claim", "‖θ(t) − θ_∞‖ ≤ η√(ξL₀)e^{−σ₀σ_A t/4}", _talk),
    _f("T_ES", 4 / (S["sigma0"] * S["sigma_A"]) * sp.log(sp.sqrt(2 * S["xi"] * S["L0"]) / S["noise_norm"]),
       "§3", "claim", "early-stopping time: ‖y(t) − ȳ‖ ≤ 2‖ε‖ for t ≥ T_ES", _talk),
    _f("rate_isehd", S["sigma0"] * S["sigma_A"] / 4, "§3", "claim",
       "exponent of the ISEHD optimization error e^{−σ₀σ_A t/4}", "talk, GF vs ISEHD comparison"),
    _f("rate_gf", S["sigma0"] ** 2 * S["sigma_A"] ** 2 / 4, "§3", "claim",
       "exponent of the GF optimization error e^{−σ₀²σ_A² t/4}", "talk, GF vs ISEHD comparison"),
    # §4 gradient flow / descent
    _f("mu", S["sigma0"] ** 2 * S["sigma_A"] ** 2 / 4, "§4", "derived", "GF contraction rate μ"),
    _f("R_prime_gf", 2 * S["r0"] / (S["sigma0"] * S["sigma_A"]), "§4", "derived", "GF radius R′_GF"),
    _f("R_prime_gd", 2 * S["R_prime_gf"], "§4", "derived", "GD radius R′_GD = 2R′_GF"),
    _f("residual_envelope_gf", sp.exp(-S["mu"] * S["t"]) * S["r0"], "§4", "derived",
       "‖y(t) − y‖ ≤ e^{−μt}‖y(0) − y‖ (GF)"),
    _f("loss_envelope_gf", sp.exp(-2 * S["mu"] * S["t"]) * S["L0"], "§4", "derived", "L(θ(t)) ≤ e^{−2μt}L₀ (GF)"),
    _f("loss_envelope_gd", (1 - S["gamma"] * S["mu"]) ** S["tau"] * S["L0"], "§4", "derived",
       "L(θ_τ) ≤ (1 − γμ)^τ L₀ (GD, γ ≤ 1/L_loc)"),
    _f("T_ES_gf", 4 / (S["sigma0"] ** 2 * S["sigma_A"] ** 2) * sp.log(S["r0"] / S["noise_norm"]), "§4", "derived",
       "GF early-stopping time"),
    _f("tau_ES_gd", 2 * sp.log(S["r0"] / S["noise_norm"]) / (-sp.log(1 - S["gamma"] * S["mu"])), "§4", "derived",
       "GD early-stopping iteration: (1 − γμ)^{τ/2}‖y(0) − y‖ ≤ ‖ε‖ from the GD loss envelope"),
    _f("L_loc", S["norm_A"] ** 2 * (S["sigma_max_J"] + S["lipschitz_J"] * S["radius"]) ** 2
       + S["norm_A"] * S["r_max"] * S["lipschitz_J"], "§4", "derived",
       "bound on ‖∇²L‖ over B(θ₀, R) while ‖A g − y‖ ≤ r_max: ‖A‖²(σ_max(J₀) + ℓ(R)R)² + ‖A‖ r_max ℓ(R)"),
    # §5 recovery in x space
    _f("x_opt_error", sp.sqrt(2 * S["xi"] * S["L0"]) * sp.exp(-S["sigma0"] * S["sigma_A"] * S["t"] / 4)
       / S["lam_min"], "§5", "claim", "optimization error term", _talk),
    _f("x_approx_error", (1 + S["norm_A"] / S["lam_min"]) * S["dist"], "§5", "claim", "approximation error term",
       _talk),
    _f("x_noise_error", S["noise_norm"] / S["lam_min"], "§5", "claim", "noise error term", _talk),
    _f("x_bound", S["x_opt_error"] + S["x_approx_error"] + S["x_noise_error"], "§5", "claim",
       "‖x(t) − x̄‖ ≤ optimization + approximation + noise", _talk),
    # §6 width
    _f("k_theorem", S["C"] * (1 + S["kappa_A"] ** 4) * sp.Max(S["sigma_A"] ** 4, S["c1"])
       / sp.Min(S["sigma_A"] ** 8, S["c2"]) * S["n"]
       * (S["norm_A"] ** 4 * S["n"] ** 2 + (1 + 1 / S["snr"]) ** 4 * S["m"] ** 2),
       "§6", "claim", "width sufficient for a non-degenerate initialization (both layers trained)",
       "talk, overparametrization; arXiv:2506.02986"),
    _f("width_probability", 1 - 5 * sp.exp(-(S["n"] - 1)) - 2 / S["n"], "§6", "claim",
       "probability of the width statement", "talk, overparametrization"),
    _f("k_scaling", S["n"] ** 3 + S["n"] * S["m"] ** 2, "§6", "claim", "scaling law k ≳ n³ + nm² (both layers)"),
    _f("k_scaling_W_only", S["n"] ** 2 * S["m"], "§6", "claim", "scaling law k ≳ n²m (only W trained)"),
    # §7 IGAHD
    _f("igahd_condition", S["beta"] + S["h"] / 2 - S["c"] / S["L"], "§7", "claim",
       "IGAHD convergence needs β + h/2 − c/L < 0", "arXiv:2407.12518"),
    _f("igahd_alpha_k", 1 / (1 + S["gamma_k"] * S["h"]), "§7", "claim", "IGAHD momentum α_k = 1/(1 + γ_k h)",
       "arXiv:2407.12518"),
    _f("igahd_beta_k", S["beta"] * S["h"] * S["igahd_alpha_k"], "§7", "claim", "IGAHD Hessian coefficient β_k = βhα_k",
       "arXiv:2407.12518"),
    _f("igahd_s_k", S["h"] ** 2 * S["igahd_alpha_k"], "§7", "claim", "IGAHD gradient step s_k = h²α_k",
       "arXiv:2407.12518"),
    _f("igahd_dip_momentum_ode", 1 - S["alpha"] * sp.sqrt(S["s"]), "§7", "claim",
       "IGAHD for DIP, form 'ode': momentum 1 − α√s (explicit discretization of ISEHD, h = √s)",
       "talk 'DIP training with inertia'"),
    _f("igahd_dip_hessian_ode", S["beta"] * sp.sqrt(S["s"]), "§7", "claim",
       "IGAHD for DIP, form 'ode': gradient-difference coefficient β√s", "talk 'DIP training with inertia'"),
    _f("igahd_dip_momentum_slide", S["alpha"] * S["s"], "§7", "claim",
       "IGAHD for DIP, form 'slide' (literal transcription): momentum αs, no '1 −' (§10.1)",
       "talk 'What about (IGAHD)', slide before the phase diagram"),
    _f("igahd_dip_hessian_slide", S["beta"] * S["s"] ** 2, "§7", "claim",
       "IGAHD for DIP, form 'slide': gradient-difference coefficient βs² (§10.1)",
       "talk 'What about (IGAHD)', slide before the phase diagram"),
    # Exact mapping of an iteration θ+ = θ + a(θ − θ₋) − b(∇L − ∇L₋) − s∇L onto the discrete
    # theorem's (α_k, β_k, s_k) = (1/(1+γh), βhα_k, h²α_k): α_k = a, s_k = s, β_k = b (THEORY §10.5).
    _f("igahd_map_h", sp.sqrt(S["s"] / S["a_k"]), "§7", "derived",
       "h of the discrete theorem matching momentum a and step s: h = √(s/a)"),
    _f("igahd_map_gamma", (1 / S["a_k"] - 1) / S["igahd_map_h"], "§7", "derived",
       "γ of the discrete theorem matching momentum a: γ = (1/a − 1)/h (> 0 needs 0 < a < 1)"),
    _f("igahd_map_beta", S["b_k"] / (S["igahd_map_h"] * S["a_k"]), "§7", "derived",
       "β of the discrete theorem matching the gradient-difference coefficient b: β = b/(h a)"),
    _f("igahd_energy_coef", (1 + S["beta"] * S["h"] * S["L"]) / (2 * S["h"] ** 2), "§7", "derived",
       "E_k = f(x_k) + coef·‖x_k − x_{k−1}‖²"),
    _f("igahd_energy_decrease", (S["c"] - (S["beta"] + S["h"] / 2) * S["L"]) / S["h"], "§7", "derived",
       "E_{k+1} ≤ E_k − this·‖x_{k+1} − x_k‖² when γ_k ≡ c"),
    _f("backtracking_L", S["delta"] * S["alpha"] / (S["beta"] + S["h"] / 2), "§7", "derived",
       "largest L_ℓ allowed by β + √s/2 ≤ δα/L_ℓ (backtracking rule)"),
    _f("lojasiewicz_exponent", (1 - S["q"]) / (2 * S["q"] - 1), "§7", "claim",
       "‖x_k − x_∞‖ = O(k^{−(1−q)/(2q−1)}) for q ∈ (½, 1)", "arXiv:2407.12518"),
    _f("rate_loss", S["sigma0"] * S["sigma_A"] / 2, "§3", "claim", "exponent of the ISEHD loss envelope", _talk),
    _f("rate_loss_gf", 2 * S["mu"], "§4", "derived", "exponent of the GF loss envelope e^{−2μt}"),
    # §8 conic geometry
    _f("gordon_mean", sp.sqrt(2) * sp.gamma((S["m"] + 1) / 2) / sp.gamma(S["m"] / 2), "§8", "claim",
       "E‖g_m‖ for g_m ~ N(0, I_m)", "Gordon; ALMT 2014"),
    _f("gordon_lower", (sp.sqrt(S["m"] - 1) - S["w"] - S["t"]) / sp.sqrt(S["m"]), "§8", "claim",
       "λ_min(A; C) ≥ this with probability ≥ 1 − e^{−t²/2}, A = G/√m", "Gordon; ALMT 2014"),
    _f("gordon_probability", 1 - sp.exp(-S["t"] ** 2 / 2), "§8", "claim", "probability of the Gordon bound",
       "Gordon; ALMT 2014"),
    _f("psi_objective", S["rho"] * (1 + S["tau"] ** 2) + (1 - S["rho"]) * (
        (1 + S["tau"] ** 2) * sp.erfc(S["tau"] / sp.sqrt(2))
        - S["tau"] * sp.sqrt(2 / sp.pi) * sp.exp(-S["tau"] ** 2 / 2)), "§8", "claim",
       "ψ(ρ) = inf_{τ≥0} of this (ℓ1 statistical dimension δ/n)", "ALMT 2014; McCoy's SNOW code"),
    _f("l1_statdim_lower", S["n"] * S["psi"] - 2 * sp.sqrt(S["n"] / S["s"]), "§8", "claim",
       "δ ≥ nψ(s/n) − 2√(n/s)", "ALMT 2014"),
]

#: Registry of every formula, by name.
FORMULAS: dict[str, Formula] = {f.name: f for f in _list}


def evaluate(name: str, values: Mapping[str, float]) -> float:
    """Evaluate formula ``name``, computing any formula it depends on from ``values`` first.

    Examples
    --------
    >>> bc.evaluate('alpha', {'sigma0': 0.5, 'sigma_A': 2.0})
    1.0
    """
    return evaluate_many([name], values)[name]


#: Dampings the dynamics take as parameters: the theorem's choice (α = σ₀σ_A, β = 1/(2α)) is a
#: formula, but a formula that *uses* α or β never falls back on it silently; the caller passes the
#: value it runs with (or asks for the theorem's by name and passes that on, recorded).
PARAMETERS = ("alpha", "beta")


def evaluate_many(names: list[str], values: Mapping[str, float]) -> dict[str, float]:
    """Evaluate several formulas; returns the requested values (dependencies resolved).

    A dependency on a dynamics parameter of :data:`PARAMETERS` must be given in ``values``: e.g.
    ``igahd_condition`` needs the β of the run, never the theorem's 1/(2α) by default.
    """
    env = {k: float(v) for k, v in values.items() if v is not None}
    out: dict[str, float] = {}

    def resolve(n: str, stack: tuple[str, ...] = ()) -> float:
        if n in env:
            return env[n]
        if n in PARAMETERS and stack:
            raise ValueError(f"{n}: {stack[-1]} needs the {n} of the run; pass it explicitly (the theorem's value "
                             f"is evaluate_many([{n!r}], …)[{n!r}], which is then recorded with the run)")
        if n not in FORMULAS:
            raise ValueError(f"missing input {n!r} (needed by {stack[-1]})")  # top-level names are checked below
        if n in stack:
            raise ValueError(f"circular formula dependency: {' -> '.join(stack + (n,))}")
        f = FORMULAS[n]
        env[n] = f(**{i: resolve(i, stack + (n,)) for i in f.inputs})
        return env[n]

    for n in names:
        if n not in FORMULAS:
            raise ValueError(f"unknown formula {n!r}")
        out[n] = resolve(n)
    return out


def render(names: list[str] | None = None, *, latex: bool = False) -> str:
    """Every formula (or those named) with section, kind and source, as text or LaTeX."""
    lines = []
    for f in FORMULAS.values():
        if names is not None and f.name not in names:
            continue
        body = f.latex() if latex else f.text()
        lines.append(f"[{f.section}, {f.kind}] {f.description}\n    {body}\n    source: {f.source}")
    return "\n".join(lines)
