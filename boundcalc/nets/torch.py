"""Your own network: any ``torch.nn.Module`` mapping a fixed input u to x = g(u, θ) as a boundcalc
:class:`~boundcalc.nets.two_layer.Generator` (optional: needs PyTorch, ``pip install 'boundcalc[torch]'``).

θ is the flat vector of the module's parameters (or a chosen subset), float64 by default, on the
CPU or a GPU. Forward, JVP and VJP come from ``torch.func`` (``functional_call``, ``jvp``, ``vjp``),
so J is never formed: J Jᵀ is applied as JVP∘VJP and its extreme eigenvalues are bracketed by
certified Lanczos (:mod:`boundcalc.linalg.eigen_bracket`). The public interface takes and returns NumPy
arrays (what the rest of boundcalc speaks); the work happens in torch on the module's device.

A general network has no certified Lipschitz bound of its Jacobian, so
:func:`~boundcalc.theory.bounds.check_initialization` says ``not_applicable`` and states the requirement
Lip(J; B(θ₀, R′)) < σ₀/(2R′); :meth:`TorchGenerator.lipschitz_estimate` gives an adversarial lower
estimate of that constant, so a user sees how far the network is from the hypothesis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.func import functional_call, jvp, vjp

from .._core import as_rng, positive_float, positive_int
from ..io.memory import float_bytes, require_memory
from ..linalg.eigen_bracket import extreme_eigen_bracket
from ..linalg.singular_bracket import extreme_singular_bracket
from .two_layer import JacobianSpectrum, into_ball, projected_ratio_ascent

__all__ = ["TorchGenerator", "load_model_factory", "TwoLayerModule"]


class TwoLayerModule(torch.nn.Module):
    """The two-layer generator g(u, θ) = V φ(W u)/√k (THEORY §1) as a torch module, with the arrays of a
    :class:`~boundcalc.nets.two_layer.TwoLayerDIP` (θ in the same order: V, then W), so the same network runs
    through :class:`TorchGenerator` and the torch training loop. Use ``TorchGenerator(m, net.u)``."""

    def __init__(self, net: Any):
        super().__init__()
        V, W = net.unpack()
        self.V = torch.nn.Parameter(torch.as_tensor(np.array(V, dtype=float)))
        self.W = torch.nn.Parameter(torch.as_tensor(np.array(W, dtype=float)))
        self.k = int(net.k)
        name = net.activation.name
        torch_act = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "softplus": torch.nn.functional.softplus,
                     "sin": torch.sin}
        if name not in torch_act:
            raise ValueError(f"activation: {name!r} has no torch form here (one of {sorted(torch_act)})")
        self.phi = torch_act[name]

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return self.V @ self.phi(self.W @ u) / math.sqrt(self.k)


class TorchGenerator:
    """A ``torch.nn.Module`` as a generator x = g(u, θ) (THEORY.md §1 with any network).

    Parameters
    ----------
    module : torch.nn.Module
        Maps ``u`` to an output of any shape; x is its flattened output (n entries).
    u : torch.Tensor or array
        The fixed input.
    params : sequence of str, optional
        Names of the parameters that form θ (default: every parameter with ``requires_grad``);
        the others stay fixed at their values.
    dtype : torch.dtype
        float64 by default (the module and u are converted to it).
    device : str or torch.device, optional
        Default: the module's device.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> module = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    >>> gen = bc.TorchGenerator(module, torch.ones(2, dtype=torch.float64))
    >>> gen.n, gen.p
    (3, 51)
    """

    def __init__(self, module: torch.nn.Module, u: Any, params: Sequence[str] | None = None, *,
                 dtype: torch.dtype = torch.float64, device: Any = None):
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
        if device is None:
            first = next(module.parameters(), None)
            device = first.device if first is not None else "cpu"
        self.device, self.dtype = torch.device(device), dtype
        self.module = module.to(device=self.device, dtype=dtype).eval()
        self.u = torch.as_tensor(u).to(device=self.device, dtype=dtype)
        named = dict(self.module.named_parameters())
        if params is None:
            params = [name for name, p in named.items() if p.requires_grad]
        unknown = [p for p in params if p not in named]
        if unknown:
            raise ValueError(f"params: {unknown} are not parameters of the module (it has {sorted(named)})")
        if not params:
            raise ValueError("params: the module has no trainable parameter to form θ")
        self.names = list(params)
        self.shapes = [tuple(named[p].shape) for p in self.names]
        self.sizes = [math.prod(s) for s in self.shapes]
        self.fixed = {k: v.detach() for k, v in list(named.items()) + list(self.module.named_buffers())
                      if k not in self.names}
        self.p = sum(self.sizes)
        require_memory(float_bytes(8 * self.p), f"θ of the torch module ({self.p} parameters)")
        self._theta0 = torch.cat([named[p].detach().reshape(-1) for p in self.names])
        with torch.no_grad():
            try:
                out0 = functional_call(self.module, self._unflatten(self._theta0), (self.u,))
            except RuntimeError as exc:  # shapes, dtypes: the module and its u do not fit together (bad input)
                raise ValueError(f"module: calling it on its own u (shape {tuple(self.u.shape)}) failed: "
                                 f"{' '.join(str(exc).split())}") from None
            x0 = out0.reshape(-1)
        if not torch.all(torch.isfinite(x0)):
            raise ValueError("module: the output at θ₀ is not finite")
        self.n = int(x0.numel())
        self.output_shape = tuple(out0.shape)
        self.theta0 = self._theta0.cpu().numpy()

    def __repr__(self) -> str:
        return (f"TorchGenerator({type(self.module).__name__}, n={self.n}, p={self.p}, device={self.device}, "
                f"dtype={str(self.dtype).replace('torch.', '')})")

    # ------------------------------------------------------------------ conversion
    def _t(self, x: Any) -> torch.Tensor:
        if isinstance(x, torch.Tensor):
            return x.to(device=self.device, dtype=self.dtype)
        return torch.as_tensor(np.asarray(x, dtype=float), device=self.device, dtype=self.dtype)

    def _theta(self, theta: Any) -> torch.Tensor:
        if theta is None:
            return self._theta0
        t = self._t(theta)
        if tuple(t.shape) != (self.p,):
            raise ValueError(f"theta must have shape ({self.p},), got {tuple(t.shape)}")
        return t

    def _unflatten(self, theta: torch.Tensor) -> dict[str, torch.Tensor]:
        out, i = dict(self.fixed), 0
        for name, shape, size in zip(self.names, self.shapes, self.sizes, strict=True):
            out[name] = theta[i:i + size].reshape(shape)
            i += size
        return out

    def _g(self, theta: torch.Tensor) -> torch.Tensor:
        return functional_call(self.module, self._unflatten(theta), (self.u,)).reshape(-1)

    # ------------------------------------------------------------------ protocol
    def forward(self, theta: Any = None) -> np.ndarray:
        """x = g(u, θ), flattened."""
        with torch.no_grad():
            return self._g(self._theta(theta)).cpu().numpy()

    def jvp(self, theta: Any, dtheta: Any) -> np.ndarray:
        """J_g(θ) δθ by forward-mode differentiation."""
        return jvp(self._g, (self._theta(theta),), (self._t(dtheta),))[1].detach().cpu().numpy()

    def vjp(self, theta: Any, w: Any) -> np.ndarray:
        """J_g(θ)ᵀ w by reverse-mode differentiation."""
        _, pull = vjp(self._g, self._theta(theta))
        return pull(self._t(w))[0].detach().cpu().numpy()

    def loss_and_grad(self, theta: Any, A: Any, y: Any) -> tuple[float, np.ndarray]:
        """L(θ) = ½‖A g(u, θ) − y‖² and ∇L = J_gᵀ Aᵀ r (one forward, one VJP; A applied on the host)."""
        x, pull = vjp(self._g, self._theta(theta))
        r = np.asarray(A @ x.detach().cpu().numpy()).ravel() - np.asarray(y, dtype=float)
        w = np.asarray(A.T @ r).ravel()
        return 0.5 * float(r @ r), pull(self._t(w))[0].detach().cpu().numpy()

    def gram_matvec(self, w: Any, theta: Any = None) -> np.ndarray:
        """J Jᵀ w = JVP(VJP(w)), never forming J; ``w`` may be an n×b block (one column at a time)."""
        th = self._theta(theta)
        w = np.asarray(w, dtype=float)
        if w.ndim == 2:
            return np.column_stack([self.gram_matvec(w[:, j], th) for j in range(w.shape[1])])
        _, pull = vjp(self._g, th)
        v = pull(self._t(w))[0]
        out = jvp(self._g, (th,), (v,))[1].detach().cpu().numpy()
        if not np.all(np.isfinite(out)):  # else Lanczos fails later with a message about eigenvalues
            raise ValueError("module: the network's Jacobian produced NaN or inf (J Jᵀ w is not finite at this θ; "
                             "look for sqrt/log/division at 0 in its forward pass)")
        return out

    def jacobian_spectrum(self, theta: Any = None, *, method: str = "golub-kahan", rtol: float = 1e-6,
                          seed: int = 0, max_steps: int | None = None,
                          max_seconds: float | None = None) -> JacobianSpectrum:
        """σ_min(J) (= σ_n, 0 when p < n) and σ_max(J) from certified brackets, the conservative ends
        returned: ``method="golub-kahan"`` (default) works on J itself through JVP and VJP
        (:mod:`boundcalc.linalg.singular_bracket`; its absolute floor is 4n·eps·‖J‖, the products' rounding),
        ``"lanczos"`` on J Jᵀ (floor 4n·eps·‖J‖² on σ², for comparison), ``"dense"`` exactly from the
        assembled J (n·p ≤ 2·10⁷ entries; for tests). ``max_steps``/``max_seconds`` bound the Golub–Kahan
        work; when they stop it before ``rtol`` is met, the certified bracket is returned with
        ``sigma_min_resolved`` False."""
        th = self._theta(theta)
        if method == "dense":
            if self.n * self.p > 2e7:
                raise ValueError(f"method='dense' forms J ({self.n}×{self.p}); too large, use 'lanczos'")
            J = torch.func.jacfwd(self._g)(th).detach().cpu().numpy()
            s = np.linalg.svd(J, compute_uv=False)
            return JacobianSpectrum(float(s[self.n - 1]) if self.p >= self.n else 0.0, float(s[0]), "dense")
        if method not in ("golub-kahan", "lanczos"):
            raise ValueError(f"method must be 'golub-kahan', 'lanczos' or 'dense', got {method!r}")
        if self.p < self.n:
            return JacobianSpectrum(0.0, float("nan"), "rank", (0.0, 0.0), None)
        if method == "golub-kahan":
            import warnings
            _, pull = vjp(self._g, th)
            with warnings.catch_warnings():  # torch.fx's constant folding warns about its own graph
                warnings.simplefilter("ignore", UserWarning)
                _, push = torch.func.linearize(self._g, th)  # JVPs without recomputing the forward pass

            def apply_J(v):
                return push(self._t(v)).detach().cpu().numpy()

            def apply_Jt(u):
                return pull(self._t(u))[0].detach().cpu().numpy()

            try:
                sb = extreme_singular_bracket(apply_J, apply_Jt, self.n, self.p, rtol=rtol, seed=seed,
                                              max_steps=max_steps, max_seconds=max_seconds)
            except ValueError as exc:
                what = "produced NaN or inf" if "not finite" in str(exc) else "cannot be bracketed"
                raise ValueError(f"module: the network's Jacobian {what} ({exc})") from None
            (lo, hi), (lo_x, hi_x) = sb.sigma_min, sb.sigma_max
            if not (hi_x - lo_x) <= rtol * hi_x:
                raise RuntimeError(f"Golub–Kahan bracket on σ_max(J) is {(hi_x - lo_x) / hi_x:.2e} wide after "
                                   f"{sb.steps} steps ({sb.stopped_by}); above rtol = {rtol:g}, no number is reported")
            return JacobianSpectrum(lo, hi_x, f"golub-kahan ({sb.steps} steps, stopped by {sb.stopped_by})",
                                    sb.sigma_min, sb.sigma_max, bool(hi - lo <= rtol * hi))
        br = extreme_eigen_bracket(lambda w: self.gram_matvec(w, th), self.n, rtol=rtol, seed=seed,
                                   require_min=False)
        return JacobianSpectrum(br.sigma_min[0], br.sigma_max[1], "lanczos", br.sigma_min, br.sigma_max,
                                br.min_resolved)

    # ------------------------------------------------------------------ Lipschitz estimate
    def _difference(self, t1: torch.Tensor, t2: torch.Tensor, p: torch.Tensor, power_steps: int) -> tuple:
        """Top left singular vector p of J(t1) − J(t2) by power iteration on (J₁−J₂)(J₁−J₂)ᵀ."""
        _, pull1 = vjp(self._g, t1)
        _, pull2 = vjp(self._g, t2)
        for _ in range(power_steps):
            q = pull1(p)[0] - pull2(p)[0]
            p = jvp(self._g, (t1,), (q,))[1] - jvp(self._g, (t2,), (q,))[1]
            nrm = torch.linalg.vector_norm(p)
            if nrm == 0:
                break
            p = p / nrm
        return p

    def _ratio2(self, t1: torch.Tensor, t2: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        """‖(J₁ − J₂)ᵀp‖²/‖θ₁ − θ₂‖² for a unit p: ≤ ‖J₁ − J₂‖²/‖θ₁ − θ₂‖², differentiable in (θ₁, θ₂)."""
        _, pull1 = vjp(self._g, t1)
        _, pull2 = vjp(self._g, t2)
        q = pull1(p)[0] - pull2(p)[0]
        return torch.sum(q * q) / torch.sum((t1 - t2) ** 2)

    def lipschitz_estimate(self, radius: float, *, center: Any = None, starts: int = 4, steps: int = 30,
                           power_steps: int = 15, seed: int | np.random.Generator = 0) -> float:
        """An **estimate** (a lower bound) of Lip(J_g) on B(θ₀, R) by adversarial ascent on
        ‖J(θ₁) − J(θ₂)‖/‖θ₁ − θ₂‖: from ``starts`` random pairs in the ball (close pairs probe the
        local constant), projected gradient ascent on ‖(J₁ − J₂)ᵀp‖²/‖θ₁ − θ₂‖² with p the top left
        singular vector of J₁ − J₂ (power iteration through JVP/VJP; its gradient by autograd). Every
        value is attained by a pair in the ball with a unit p, so it never exceeds the true constant.
        """
        radius = positive_float(radius, "radius")
        rng = as_rng(seed)
        c = self._theta(center).detach()
        norm = torch.linalg.vector_norm

        def draw(size):
            v = torch.as_tensor(rng.standard_normal(size), device=self.device, dtype=self.dtype)
            return v / norm(v)

        best = 0.0
        for i in range(positive_int(starts, "starts")):
            t1 = into_ball(c + draw(self.p) * radius * float(rng.uniform()), c, radius, norm)
            t2 = into_ball(t1 + draw(self.p) * radius * (1e-3 if i % 2 else float(rng.uniform())), c, radius, norm)
            p = [draw(self.n)]  # the current singular vector, refreshed at every accepted pair

            def value_and_grad(t1, t2, p=p):
                p[0] = self._difference(t1, t2, p[0], power_steps).detach()
                a, b = t1.detach().clone().requires_grad_(True), t2.detach().clone().requires_grad_(True)
                f = self._ratio2(a, b, p[0])
                g1, g2 = torch.autograd.grad(f, (a, b))
                return float(f.detach()), g1, g2

            def value(t1, t2, p=p):
                with torch.no_grad():
                    return float(self._ratio2(t1, t2, p[0]))

            best = max(best, projected_ratio_ascent(value_and_grad, value, t1, t2, center=c, radius=radius,
                                                    steps=steps, norm=norm))
        return best


def load_model_factory(spec: str) -> tuple[torch.nn.Module, Any]:
    """``path/to/file.py:function`` → the (module, u) the user's factory returns.

    The file is the user's own Python code and **is executed** (as ``python file.py`` would);
    boundcalc never executes strings from any other input.
    """
    import importlib.util

    from ..io.files import check_input_file
    path, sep, func = spec.rpartition(":")
    if not sep or not path or not func.isidentifier():
        raise ValueError(f"--torch-model must look like my_net.py:build, got {spec!r}")
    file = check_input_file(path, "--torch-model")
    module_spec = importlib.util.spec_from_file_location(f"boundcalc_user_model_{file.stem}", file)
    if module_spec is None or module_spec.loader is None:
        raise ValueError(f"--torch-model: {path} is not a Python file")
    mod = importlib.util.module_from_spec(module_spec)
    # The user's code may raise anything, or call sys.exit: either is an unusable input (exit 2),
    # reported with where it happened, never a traceback or a silent exit 0.
    try:
        module_spec.loader.exec_module(mod)
    except (Exception, SystemExit) as exc:
        raise ValueError(f"--torch-model: running {path} raised {_describe(exc)}") from None
    factory = getattr(mod, func, None)
    if not callable(factory):
        raise ValueError(f"--torch-model: {path} defines no function {func!r}")
    try:
        out = factory()
    except (Exception, SystemExit) as exc:
        raise ValueError(f"--torch-model: {path}:{func}() raised {_describe(exc)}") from None
    if not (isinstance(out, tuple) and len(out) == 2):
        got = f"a tuple of {len(out)}" if isinstance(out, tuple) else type(out).__name__
        raise TypeError(f"--torch-model: {path}:{func}() must return a pair (module, u), got {got}")
    # each element named (a (42, u) pair was answered "got tuple")
    if not isinstance(out[0], torch.nn.Module):
        raise TypeError(f"--torch-model: {path}:{func}() must return (module, u) with module a torch.nn.Module; "
                        f"its first element is a {type(out[0]).__name__}")
    if not isinstance(out[1], torch.Tensor):
        raise TypeError(f"--torch-model: {path}:{func}() must return (module, u) with u a torch.Tensor; "
                        f"its second element is a {type(out[1]).__name__}")
    return out


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"SystemExit({exc.code!r}) (sys.exit inside the model file)"
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
