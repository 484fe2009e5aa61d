"""The theorem's mechanism measured along a run (THEORY §3): does the trajectory stay where σ_min(J) ≥ σ₀/2
and ‖θ − θ₀‖ ≤ R′?

The theorem works through three hypotheses: σ₀ = σ_min(J(θ₀)) > 0, a Lipschitz Jacobian, and R′ < R. Together
they keep θ in B(θ₀, R′), where σ_min(J) ≥ σ₀/2, and that gives the rate. On a convolutional network Lip(J) is
not certified, so the mechanism is measured instead: at checkpoints of a recorded run (the θ the torch loop
kept), a certified bracket of σ_min(J(θ_ℓ)) (Golub–Kahan on J through JVPs and VJPs), ‖θ_ℓ − θ₀‖ against the
theorem's R′ (from σ₀, σ_A and L₀, :func:`~boundcalc.theory.bounds.check_initialization`), and the first
checkpoint where σ_min(J) is certainly below σ₀/2. The one-line verdict follows from those numbers only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._core import Result, progress_bar

__all__ = ["MechanismResult", "mechanism", "jacobian_bracket", "sigma_min_bracket", "plot_mechanism", "ROUTES"]

#: How σ_min(J(θ)) is bracketed: "dense" (J by reverse mode, an SVD, widened by the rounding bound),
#: "golub-kahan" (matrix-free, certified), or "auto" (dense whenever J and its SVD fit half the memory).
ROUTES = ("auto", "dense", "golub-kahan")


def jacobian_bracket(net: Any, theta: Any = None, *, route: str = "auto", rtol: float = 1e-3,
                     max_seconds: float | None = None) -> Any:
    """σ_min(J(θ)) = σ_n and σ_max(J(θ)) of a :class:`~boundcalc.nets.torch.TorchGenerator`, with brackets
    (a :class:`~boundcalc.nets.two_layer.JacobianSpectrum`: ``sigma_min`` the lower end, ``sigma_max`` the upper).

    Route "dense" forms J (n × p) by ``torch.func.jacrev`` (n VJPs), then brackets σ_min and σ_max from the
    certified extreme eigenpairs of J Jᵀ (:func:`_gram_bracket`, a few seconds); where the squared condition
    number leaves σ_min unresolved, from J's singular values by LAPACK: the computed values are those of J + E
    with ‖E‖ ≤ c·eps·‖J‖, so each is bracketed by ± 4·max(n, p)·eps·σ_max (the floor
    :mod:`boundcalc.linalg.singular_bracket` uses). Route "golub-kahan" never forms J
    (``TorchGenerator.jacobian_spectrum``). "auto" takes the dense route when 2·n·p float64 numbers fit half
    the memory available: on small networks it is much faster (7.7 s against 29 s for the 28k-parameter
    ConvDecoder at 32×32, docs/THEORY_NOTES.md "The convolutional DIP").
    """
    import scipy.linalg
    import torch

    from ..io.memory import available_bytes, float_bytes, require_memory
    from ..nets.two_layer import JacobianSpectrum
    if route not in ROUTES:
        raise ValueError(f"route must be one of {ROUTES}, got {route!r}")
    # J and the copy its SVD works on, and J Jᵀ with eigh's eigenvectors and workspace (about 4n² numbers)
    dense_bytes = float_bytes(2 * net.n * net.p, 4 * net.n * net.n)
    if route == "dense" or (route == "auto" and dense_bytes <= available_bytes() / 2):
        require_memory(dense_bytes, f"the dense Jacobian ({net.n} × {net.p}), J Jᵀ and their decompositions")
        J = torch.func.jacrev(net._g)(net._theta(theta)).detach().cpu().numpy()
        if not np.all(np.isfinite(J)):
            raise ValueError("module: the network's Jacobian is not finite at this θ")
        if net.p >= net.n >= 4:
            gram = _gram_bracket(J, rtol)
            if gram is not None:
                return gram
        sv = scipy.linalg.svdvals(J)
        if not np.all(np.isfinite(sv)):
            raise ValueError("module: the network's Jacobian is not finite at this θ")
        delta = 4 * max(net.n, net.p) * np.finfo(float).eps * float(sv[0])
        sn = float(sv[net.n - 1]) if net.p >= net.n else 0.0
        lo, hi = (max(sn - delta, 0.0), sn + delta) if net.p >= net.n else (0.0, 0.0)
        top = (float(sv[0]) - delta, float(sv[0]) + delta)
        return JacobianSpectrum(lo, top[1], "dense SVD of J (jacrev), ± 4·max(n, p)·eps·σ_max", (lo, hi), top)
    return net.jacobian_spectrum(theta, rtol=rtol, max_seconds=max_seconds)


def _gram_bracket(J: np.ndarray, rtol: float) -> Any:
    """σ_min and σ_max of a formed J (n ≤ p) from its n × n Gram matrix: eigenvectors by LAPACK (``eigh``, a few
    seconds where the SVD of J takes 26 s at n = 4096, p = 7073), then brackets certified by
    :mod:`boundcalc.linalg.eigen_bracket`'s residual bounds (Kato–Temple/Weyl) recomputed with J itself,
    M x = J(Jᵀx), rounding widened for inner products of length p. The Gram matrix squares the condition number:
    where the bracket on σ_min is wider than ``rtol`` this returns None and the caller takes the SVD of J."""
    import scipy.linalg

    from ..linalg.eigen_bracket import certify_ritz_vectors
    from ..nets.two_layer import JacobianSpectrum
    n, p = J.shape
    _, V = scipy.linalg.eigh(J @ J.T)
    X = V[:, [0, 1, n - 2, n - 1]]
    b = certify_ritz_vectors(lambda Y: J @ (J.T @ Y), X, max(n, p), rtol=rtol, require_min=False,
                             method="eigenvectors of J Jᵀ (LAPACK eigh), residuals recomputed with J")
    lo, hi = np.sqrt(max(b.lambda_min_lower, 0.0)), np.sqrt(b.lambda_min_upper)
    if not (lo > 0 and hi - lo <= rtol * hi):
        return None
    top = (float(np.sqrt(b.lambda_max_lower)), float(np.sqrt(b.lambda_max_upper)))
    return JacobianSpectrum(float(lo), top[1], "dense J (jacrev), eigenpairs of J Jᵀ (LAPACK) certified by "
                            "Kato–Temple/Weyl residual bounds recomputed with J", (float(lo), float(hi)), top)


def sigma_min_bracket(net: Any, theta: Any = None, *, route: str = "auto", rtol: float = 1e-3,
                      max_seconds: float | None = None) -> tuple[float, float, str]:
    """(lower, upper, method) of σ_n(J(θ)) from :func:`jacobian_bracket`."""
    js = jacobian_bracket(net, theta, route=route, rtol=rtol, max_seconds=max_seconds)
    lo, hi = js.sigma_min_bracket or (js.sigma_min, js.sigma_min)
    return float(lo), float(hi), js.method


@dataclass(frozen=True, repr=False)
class MechanismResult(Result):
    """σ_min(J(θ_ℓ)) brackets, ‖θ_ℓ − θ₀‖ and the loss at ``checkpoints``, against σ₀/2 and R′.

    ``first_below_half`` is the first checkpoint whose upper end of σ_min(J) lies below half the lower end
    of σ₀ (certainly below; None if none); ``first_outside_ball`` the first recorded iteration with
    ‖θ − θ₀‖ > R′. ``mu_measured`` = σ_A²·min_ℓ σ_min(J(θ_ℓ))² (lower ends): a measurement of the
    Polyak–Łojasiewicz constant along the run, not the theorem's μ."""

    checkpoints: tuple
    sigma_min_lower: tuple
    sigma_min_upper: tuple
    theta_dist: tuple
    loss: tuple
    sigma0: tuple
    sigma_A: float
    loss0: float
    R_prime: float
    R_prime_dynamics: str
    max_theta_dist: float
    first_below_half: int | None
    first_outside_ball: int | None
    min_sigma_ratio: float
    max_ball_ratio: float
    mu_measured: float
    verdict: str
    stayed: bool
    method: str
    R_estimate: float | None = None
    R_estimate_note: str = "not requested"
    inputs: dict = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return (f"MechanismResult({self.verdict}; min σ_min(J)/σ₀ = {self.min_sigma_ratio:.3g}, "
                f"max ‖θ − θ₀‖/R′ = {self.max_ball_ratio:.3g}, {len(self.checkpoints)} checkpoints)")


def mechanism(net: Any, problem: Any, traj: Any, *, check: Any = None, rtol: float = 1e-3,
              max_seconds: float | None = None, route: str = "auto", progress: bool = False) -> MechanismResult:
    """Measure the theorem's mechanism on a recorded torch run.

    Parameters
    ----------
    net : TorchGenerator
        The network the run trained (θ₀ is its initial point).
    problem : Problem
        A, y (and x̄) of the run.
    traj : Trajectory
        A run of :func:`~boundcalc.dynamics.torch_training.train_torch` with ``keep_theta`` set (the checkpoints;
        e.g. :func:`~boundcalc.dynamics.torch_training.log_checkpoints`).
    check : CheckInitResult, optional
        The §3 check at θ₀ (computed when not given; ``dynamics`` "gd" for a GD run, "isehd" otherwise: for
        Adam no theorem exists and the ISEHD R′ is a reference).
    rtol : float
        Relative width asked of each Golub–Kahan σ_min(J) bracket (a wider one is reported as is).
    route : {"auto", "dense", "golub-kahan"}
        How each bracket is computed (:func:`sigma_min_bracket`).

    Returns
    -------
    MechanismResult

    Examples
    --------
    >>> from boundcalc.nets.conv import conv_decoder
    >>> from boundcalc.nets.torch import TorchGenerator
    >>> from boundcalc.dynamics.torch_training import train_torch
    >>> net = TorchGenerator(*conv_decoder((8, 8), channels=4, depth=1, seed=0))
    >>> prob = bc.deblurring_problem((8, 8), blur_sigma=0.5, seed=0)
    >>> traj = train_torch(net, prob.A, prob.y, optimizer="gd", iterations=20, step=1e-3, keep_theta=[0, 5, 20])
    >>> res = bc.mechanism(net, prob, traj)
    >>> res.checkpoints, res.stayed
    ((0, 5, 20), True)
    """
    from ..theory.bounds import check_initialization
    if traj.theta_samples is None or traj.theta_sample_index is None:
        raise ValueError("traj: the run kept no θ (train_torch(..., keep_theta=log_checkpoints(N, c)))")
    dyn = "gd" if traj.params.get("optimizer") == "gd" else "isehd"
    js0 = jacobian_bracket(net, route=route, rtol=rtol, max_seconds=max_seconds)
    if check is None:
        check = check_initialization(problem.A, problem.y, net, dynamics=dyn, jacobian=js0)
    sig0 = tuple(float(v) for v in (js0.sigma_min_bracket or (js0.sigma_min, js0.sigma_min)))
    how = js0.method
    lows, highs = [], []
    bar = progress_bar(total=len(traj.theta_sample_index), desc="σ_min(J) checkpoints", enabled=progress)
    for th in traj.theta_samples:
        lo, hi, _ = sigma_min_bracket(net, th, route=route, rtol=rtol, max_seconds=max_seconds)
        lows.append(lo)
        highs.append(hi)
        bar.update()
    bar.close()
    its = [int(i) for i in traj.theta_sample_index]
    pos = {int(it): j for j, it in enumerate(traj.iteration)}
    dist_cp = [float(np.linalg.norm(th - net.theta0)) for th in traj.theta_samples]
    loss_cp = [float(traj.loss[pos[i]]) if i in pos else float("nan") for i in its]
    below = [i for i, hi in zip(its, highs, strict=True) if hi < sig0[0] / 2]
    first_below = below[0] if below else None
    R_prime = float(check.R_prime)
    dists = np.asarray(traj.theta_dist, float)
    outside = np.flatnonzero(dists > R_prime)
    first_out = int(traj.iteration[outside[0]]) if outside.size and np.isfinite(R_prime) else None
    max_dist = float(np.max(dists)) if dists.size else 0.0
    min_ratio = min(lows) / sig0[1] if sig0[1] > 0 else float("nan")
    ball_ratio = max_dist / R_prime if R_prime > 0 else float("inf")
    mu = float(check.sigma_A) ** 2 * min(lows) ** 2
    # neither certainly below σ₀/2 (hi < σ₀_lo/2) nor certainly above it (lo ≥ σ₀_hi/2): the brackets overlap
    undecided = [i for i, lo, hi in zip(its, lows, highs, strict=True) if hi >= sig0[0] / 2 and lo < sig0[1] / 2]
    if first_below is None and first_out is None and not undecided:
        verdict, stayed = (f"stayed in the theorem's regime: σ_min(J) ≥ σ₀/2 at every checkpoint and "
                           f"‖θ − θ₀‖ ≤ R′ = {R_prime:.3g} throughout"), True
    else:
        reasons = []
        if first_out is not None:
            reasons.append(f"‖θ − θ₀‖ exceeded R′ = {R_prime:.3g} at ℓ = {first_out}")
        if first_below is not None:
            reasons.append(f"σ_min(J) fell below σ₀/2 at ℓ = {first_below}")
        if not reasons:
            reasons.append(f"σ_min(J) cannot be told from σ₀/2 at ℓ = {undecided[0]} (the brackets overlap)")
        first = min([x for x in (first_out, first_below) if x is not None], default=undecided[0] if undecided else 0)
        verdict, stayed = f"left it at ℓ = {first}, because " + " and ".join(reasons), False
    return MechanismResult(tuple(its), tuple(lows), tuple(highs), tuple(dist_cp), tuple(loss_cp),
                           (float(sig0[0]), float(sig0[1])), float(check.sigma_A), float(check.loss0), R_prime, dyn,
                           max_dist, first_below, first_out, float(min_ratio), float(ball_ratio), mu, verdict, stayed,
                           how,
                           inputs={"optimizer": traj.params.get("optimizer"), "iterations": int(traj.iteration[-1])})


def plot_mechanism(results: dict[str, MechanismResult]):
    """σ_min(J(θ_ℓ))/σ₀ (certified brackets) and ‖θ_ℓ − θ₀‖/R′ against ℓ, one line per run (e.g. per optimizer),
    with σ₀/2 marked: where the theorem's mechanism holds and where a run leaves it.

    Examples
    --------
    >>> from boundcalc.nets.torch import TorchGenerator
    >>> net = TorchGenerator(*bc.conv_decoder((8, 8), channels=4, depth=1, seed=0))
    >>> prob = bc.deblurring_problem((8, 8), blur_sigma=0.5, seed=0)
    >>> traj = bc.train_torch(net, prob.A, prob.y, optimizer="gd", iterations=20, step=1e-3,
    ...                       keep_theta=bc.log_checkpoints(20, 3))
    >>> fig = bc.plot_mechanism({"gd": bc.mechanism(net, prob, traj)})
    >>> len(fig.axes)
    2
    """
    from .._core import subplots
    fig, (a1, a2) = subplots(1, 2, figsize=(9.0, 3.4))
    for name, m in results.items():
        its = np.maximum(np.asarray(m.checkpoints, float), 0.5)  # ℓ = 0 drawn at 0.5 on the log axis
        lo = np.asarray(m.sigma_min_lower) / m.sigma0[1]
        hi = np.asarray(m.sigma_min_upper) / m.sigma0[0]
        line, = a1.semilogx(its, lo, "o-", ms=3, label=name)
        a1.fill_between(its, lo, hi, color=line.get_color(), alpha=0.2)
        a2.loglog(its, np.maximum(np.asarray(m.theta_dist) / m.R_prime, 1e-300), "o-", ms=3, label=name)
    a1.axhline(0.5, color="k", ls=":", lw=1, label="σ₀/2")
    a1.set_xlabel("iteration ℓ (0 drawn at ½)")
    a1.set_ylabel("σ_min(J(θ_ℓ)) / σ₀")
    a1.set_title("Jacobian's smallest singular value (certified)", fontsize=9)
    a1.legend(fontsize=7)
    a2.set_xlabel("iteration ℓ")
    a2.set_ylabel("‖θ_ℓ − θ₀‖ / R′")
    a2.set_title("distance travelled, in units of the theorem's R′", fontsize=9)
    fig.tight_layout()
    return fig
