"""Training a torch generator in torch (optional: needs PyTorch): IGAHD in both forms, gradient descent and
Adam on the parameters' tensors, with L(θ) = ½‖A g(u, θ) − y‖² and A applied in torch
(:func:`~boundcalc.linalg.torch_operator.torch_operator`), so no step goes through NumPy.

The run is recorded into the same :class:`~boundcalc.dynamics.trajectory.Trajectory` as the NumPy dynamics:
loss, ‖θ_ℓ − θ₀‖, ‖A x_ℓ − ȳ‖, ‖x_ℓ − x̄‖ at every recorded iteration, x at chosen iterations and θ at chosen
checkpoints (for :func:`~boundcalc.verification.mechanism.mechanism`). The metrics stay on the device during
the run and come to the host once at the end. Online stopping rules (:mod:`boundcalc.stopping`) can read the
run as it goes (``rules``); they receive x on the host.

IGAHD is the update of :func:`~boundcalc.dynamics.discrete.igahd_dip` with the coefficients of
:func:`~boundcalc.dynamics.discrete.dip_coefficients` (one source):
η_ℓ = θ_ℓ + a(θ_ℓ − θ_{ℓ−1}) − b(∇L(θ_ℓ) − ∇L(θ_{ℓ−1})), θ_{ℓ+1} = η_ℓ − s∇L(θ_ℓ) (THEORY §7).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch

from .._core import positive_float, positive_int, progress_bar
from ..io.memory import float_bytes, require_device_memory, require_memory
from ..linalg.torch_operator import torch_operator
from .discrete import check_form, dip_coefficients
from .trajectory import Trajectory

__all__ = ["OPTIMIZERS", "train_torch", "gradient_lipschitz_estimate", "log_checkpoints"]

#: The optimizers of :func:`train_torch`.
OPTIMIZERS = ("igahd", "gd", "adam")


def gradient_lipschitz_estimate(net: Any, A: Any, *, iterations: int = 30, seed: int = 0) -> float:
    """An estimate of ‖J(θ₀)ᵀAᵀA J(θ₀)‖ = (‖A J‖)² by power iteration (JVPs and VJPs only): the curvature of
    L at θ₀ along which a step s is stable when s ≲ 2/value. An estimate from below, not a certified bound."""
    from torch.func import jvp, vjp
    # a boundcalc operator or a matrix (they have a shape; a LinearOperator is callable too), or a torch function
    apply = torch_operator(A, device=net.device, dtype=net.dtype) if hasattr(A, "shape") else A
    th = net._theta0
    gen = torch.Generator(device="cpu").manual_seed(seed)
    v = torch.randn(net.p, generator=gen, dtype=net.dtype).to(net.device)
    v /= torch.linalg.vector_norm(v)
    lam = 0.0
    for _ in range(positive_int(iterations, "iterations")):
        Jv = jvp(net._g, (th,), (v,))[1]
        AJv = apply(Jv)
        _, pull_a = vjp(apply, Jv)
        w = pull_a(AJv)[0]
        _, pull_g = vjp(net._g, th)
        u = pull_g(w)[0]
        lam = float(torch.dot(u, v))
        v = u / torch.linalg.vector_norm(u)
    return lam


def train_torch(net: Any, A: Any, y: Any, *, optimizer: str = "igahd", iterations: int = 1000,
                step: float | None = None, alpha: float = 1.0, beta: float = 0.05, form: str = "ode",
                lr: float = 1e-2, x_bar: Any = None, y_clean: Any = None, record_every: int = 1,
                keep_x: Iterable[int] | str | None = None, keep_theta: Iterable[int] | None = None,
                rules: Sequence[Any] = (), stop_on_rules: bool = False, progress: bool = False,
                modulo_constants: bool = False) -> Trajectory:
    """Train a :class:`~boundcalc.nets.torch.TorchGenerator` on L(θ) = ½‖A g(u, θ) − y‖², all in torch.

    Parameters
    ----------
    net : TorchGenerator
        The network; θ starts at its θ₀ (zero initial velocity).
    A : operator
        Dense array, boundcalc ``Convolution2D``/``Gradient2D``/``Mask``, or a deepinv physics
        (:func:`~boundcalc.linalg.torch_operator.torch_operator`).
    y : (m,) array
    optimizer : {"igahd", "gd", "adam"}
        IGAHD (``form`` "ode" or "slide", ``alpha``, ``beta``, ``step``), gradient descent (``step``), or Adam
        (``lr``, torch's defaults otherwise) as the practice baseline.
    step : float, optional
        s of IGAHD / γ of GD; default 1/λ with λ = :func:`gradient_lipschitz_estimate` (said in ``params``).
    x_bar, y_clean : arrays, optional
        The true signal and ȳ = A x̄ (computed from x̄ when not given), for ‖x − x̄‖ and ‖A x − ȳ‖.
    record_every : int
        Record the metrics every this many iterations (and at the last).
    keep_x : iterable of int, "all" or None
        The iterations at which x is stored (``Trajectory.x_samples``, index in ``x_sample_index``).
    keep_theta : iterable of int, optional
        The iterations at which θ is stored (``theta_samples``; ``theta_sample_index`` holds the iterations).
    modulo_constants : bool
        Measure ‖x − x̄‖ modulo the constants (x̄ known up to the operator's kernel, as for normal integration).
    rules : sequence
        Online stopping rules (:mod:`boundcalc.stopping`): ``rule.update(x, loss=…)`` every iteration, with x
        on the host; with ``stop_on_rules`` the run ends when every rule has fired.

    Returns
    -------
    Trajectory
        Time t is Σ√s for IGAHD (the ISEHD clock of form "ode"), Σγ for GD and the iteration for Adam.

    Examples
    --------
    >>> import numpy as np
    >>> from boundcalc.nets.conv import conv_decoder
    >>> from boundcalc.nets.torch import TorchGenerator
    >>> net = TorchGenerator(*conv_decoder((8, 8), channels=4, depth=1, seed=0))
    >>> A = np.eye(64)
    >>> traj = train_torch(net, A, np.ones(64), optimizer="adam", iterations=20)
    >>> bool(traj.loss[-1] < traj.loss[0])
    True
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    iterations = positive_int(iterations, "iterations", minimum=0)
    record_every = positive_int(record_every, "record_every")
    check_form(form)
    alpha = positive_float(alpha, "alpha", allow_zero=True)
    beta = positive_float(beta, "beta", allow_zero=True)
    lr = positive_float(lr, "lr")
    dev, dt = net.device, net.dtype
    apply = torch_operator(A, device=dev, dtype=dt)
    y_t = _vector(y, "y", dev, dt)
    xb = None if x_bar is None else _vector(x_bar, "x_bar", dev, dt)
    if xb is not None and xb.numel() != net.n:
        raise ValueError(f"x_bar must have {net.n} entries (the network's output), got {xb.numel()}")
    yc = _vector(y_clean, "y_clean", dev, dt) if y_clean is not None else (apply(xb) if xb is not None else None)
    with torch.no_grad():
        m = apply(net._g(net._theta0)).numel()
    if y_t.numel() != m:
        raise ValueError(f"y must have {m} entries (A's output for the network's x), got {y_t.numel()}")
    step_note = "given"
    if optimizer in ("igahd", "gd") and step is None:
        step = 1.0 / gradient_lipschitz_estimate(net, apply)
        step_note = "1/λ, λ = ‖A J(θ₀)‖² by power iteration (an estimate)"
    s = positive_float(step, "step") if optimizer != "adam" else float("nan")
    keep_x_set = set(range(iterations + 1)) if keep_x == "all" else set(int(i) for i in (keep_x or ()))
    keep_theta_set = set(int(i) for i in (keep_theta or ()))
    require_memory(float_bytes(len(keep_x_set) * net.n + len(keep_theta_set) * net.p + 6 * net.p),
                   f"the torch run's buffers ({len(keep_x_set)} stored x, {len(keep_theta_set)} stored θ)")
    # on a GPU the stored iterates sit in its memory twice at the end: the list and its stacked copy
    stored = len(keep_x_set) * net.n + len(keep_theta_set) * net.p
    require_device_memory(dev, float_bytes(2 * stored + 6 * net.p),
                          f"the torch run's buffers ({len(keep_x_set)} stored x, {len(keep_theta_set)} stored θ)")

    theta = net._theta0.clone().requires_grad_(True)
    theta0 = net._theta0.detach().clone()

    def loss_grad(th: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        x = net._g(th)
        Ax = apply(x)
        r = Ax - y_t
        L = 0.5 * torch.dot(r, r)
        (g,) = torch.autograd.grad(L, th)
        return L.detach(), g.detach(), x.detach(), Ax.detach()

    rows: list[torch.Tensor] = []
    its: list[int] = []
    xs, x_idx, thetas, th_idx = [], [], [], []
    nan = torch.tensor(float("nan"), dtype=dt, device=dev)

    def centred(x: torch.Tensor) -> torch.Tensor:
        return x - x.mean() + xb.mean() if modulo_constants else x

    def record(it: int, L: torch.Tensor, x: torch.Tensor, Ax: torch.Tensor, th: torch.Tensor) -> None:
        rows.append(torch.stack([L, torch.linalg.vector_norm(th.detach() - theta0),
                                 torch.linalg.vector_norm(Ax - yc) if yc is not None else nan,
                                 torch.linalg.vector_norm(centred(x) - xb) if xb is not None else nan]))
        its.append(it)

    coef = dip_coefficients(alpha, beta, s, form) if optimizer == "igahd" else (0.0, 0.0)
    adam = torch.optim.Adam([theta], lr=lr) if optimizer == "adam" else None
    L, g, x, Ax = loss_grad(theta)
    prev, g_prev = theta.detach().clone(), g.clone()
    status, n_grad = "max_iterations", 1
    bar = progress_bar(total=iterations, desc=f"torch {optimizer}", enabled=progress, unit="it")

    def observe(it: int, L: torch.Tensor, x: torch.Tensor, Ax: torch.Tensor, th: torch.Tensor) -> bool:
        if it % record_every == 0 or it == iterations:
            record(it, L, x, Ax, th)
        if it in keep_x_set:
            xs.append(x.clone())
            x_idx.append(it)
        if it in keep_theta_set:
            thetas.append(th.detach().clone())
            th_idx.append(it)
        if rules:
            xh = x.cpu().numpy()
            fired = [bool(rule.update(xh, loss=float(L))) for rule in rules]
            return stop_on_rules and all(fired)
        return False

    stop = observe(0, L, x, Ax, theta)
    for it in range(1, iterations + 1):
        if stop:
            status = "stopped_by_rules"
            break
        with torch.no_grad():
            if optimizer == "adam":
                theta.grad = g
                adam.step()
            else:
                mom, hess = coef
                new = theta + mom * (theta - prev) - hess * (g - g_prev) - s * g
                prev = theta.detach().clone()
                theta.copy_(new)
        g_prev = g
        L, g, x, Ax = loss_grad(theta)
        n_grad += 1
        if not torch.isfinite(L):  # as the NumPy dynamics: the run ends at the last finite iterate
            status = "diverged"
            break
        stop = observe(it, L, x, Ax, theta)
        bar.update()
    bar.close()
    if stop and status == "max_iterations":
        status = "stopped_by_rules"
    cols = torch.stack(rows).cpu().numpy().T if rows else np.zeros((4, 0))
    iters = np.array(its, dtype=int)
    clock = (np.sqrt(s) if optimizer == "igahd" else s if optimizer == "gd" else 1.0)
    params = {"optimizer": optimizer, "iterations": iterations, "step": s, "step_rule": step_note
              if optimizer != "adam" else None, "lr": lr if optimizer == "adam" else None,
              "alpha": alpha if optimizer == "igahd" else None, "beta": beta if optimizer == "igahd" else None,
              "form": form if optimizer == "igahd" else None, "backend": "torch", "device": str(dev),
              "dtype": str(dt).replace("torch.", ""), "parameters": net.p}
    method = f"torch-igahd-{form}" if optimizer == "igahd" else f"torch-{optimizer}"
    return Trajectory(method, iters * clock, iters, cols[0], cols[1], cols[2], cols[3],
                      np.full(iters.size, s), np.full(iters.size, np.nan), params, n_grad, status,
                      theta.detach().cpu().numpy().copy(),
                      torch.stack(thetas).cpu().numpy() if thetas else None,
                      np.array(th_idx, dtype=int) if thetas else None, None, "full",
                      torch.stack(xs).cpu().numpy() if xs else None,
                      np.array(x_idx, dtype=int) if xs else None)


def _vector(v: Any, name: str, device: Any, dtype: torch.dtype) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(v, dtype=float) if not isinstance(v, torch.Tensor) else v).to(device=device,
                                                                                                 dtype=dtype)
    t = t.reshape(-1)
    if not bool(torch.all(torch.isfinite(t))):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return t


def log_checkpoints(iterations: int, count: int) -> list[int]:
    """``count`` log-spaced iterations in [1, iterations], with 0 in front: where the mechanism is measured.

    Examples
    --------
    >>> bc.log_checkpoints(1000, 4)
    [0, 1, 10, 100, 1000]
    """
    count = positive_int(count, "count")
    pts = np.unique(np.round(np.geomspace(1, max(iterations, 1), count)).astype(int))
    return [0] + [int(p) for p in pts if 0 < p <= iterations]

