"""The two-layer DIP generator g(u, θ) = V φ(W u)/√k and its Jacobian constants (THEORY.md §1–§2).

Parameters are carried as one flat vector θ = (vec V, vec W) of length p = k(n + d) (row-major
blocks), so the dynamics treat the generator like any other smooth map.

The Jacobian J_g(θ) ∈ R^{n×p} is never formed: its Gram matrix is
J Jᵀ = (‖a‖² I_n + ‖u‖² V D² Vᵀ)/k with a = φ(Wu), D = diag(φ′(Wu)) (THEORY.md §2), and the
difference of two Jacobians obeys the same identity:
‖J(θ₁) − J(θ₂)‖² = (‖a₁ − a₂‖² + ‖u‖² ‖V₁D₁ − V₂D₂‖²)/k.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import scipy.linalg

from .._core import as_finite_array, as_rng, positive_float, positive_int
from ..formulas import evaluate
from ..io.memory import float_bytes, require_memory
from ..linalg.backend import asarray, describe, namespace, to_numpy
from .activations import Activation, get_activation

__all__ = ["Generator", "TwoLayerDIP", "JacobianSpectrum"]

V_INITS = {"rademacher": 1.0, "uniform": float(np.sqrt(3.0)), "gaussian": float("inf")}
_CHUNK = 4096  # columns of VD per SYRK block: keeps the n×k product out of memory


@runtime_checkable
class Generator(Protocol):
    """What a network must supply to be checked by boundcalc.

    ``jacobian_lipschitz_bound`` is optional: a generator without a certified Lipschitz bound
    of its Jacobian gets the verdict ``not_applicable`` from :func:`check_initialization`.
    """

    n: int
    theta0: np.ndarray

    def forward(self, theta: np.ndarray | None = None) -> np.ndarray: ...
    def jvp(self, theta: np.ndarray, dtheta: np.ndarray) -> np.ndarray: ...
    def vjp(self, theta: np.ndarray, w: np.ndarray) -> np.ndarray: ...
    def jacobian_spectrum(self, theta: np.ndarray | None = None) -> JacobianSpectrum: ...


@dataclass(frozen=True)
class JacobianSpectrum:
    """σ_min(J) = σ_n(J), σ_max(J) and κ(J) at a parameter vector (THEORY.md §2).

    For an exact route (``method="gram"``) the brackets are None. For an iterative route
    (``"lanczos"``) ``sigma_min`` is the **lower** end of its certified bracket and ``sigma_max``
    the **upper** end — the conservative choices for every bound built on them — and the brackets
    are kept beside them. ``sigma_min_resolved`` is False when σ_min lies below what float64 can
    separate from 0 through J Jᵀ (κ(J)² ≳ 1/eps): the bracket is then all that is known.
    """

    sigma_min: float
    sigma_max: float
    method: str = "gram"
    sigma_min_bracket: tuple[float, float] | None = None
    sigma_max_bracket: tuple[float, float] | None = None
    sigma_min_resolved: bool = True

    @property
    def kappa(self) -> float:
        return self.sigma_max / self.sigma_min if self.sigma_min > 0 else float("inf")


def into_ball(theta: Any, center: Any, radius: float, norm: Any = np.linalg.norm) -> Any:
    """The projection of ``theta`` onto the ball B(center, radius); ``norm`` of the arrays' backend."""
    d = theta - center
    nd = float(norm(d))
    return theta if nd <= radius else center + d * (radius / nd)


def projected_ratio_ascent(value_and_grad: Any, value: Any, t1: Any, t2: Any, *, center: Any, radius: float,
                           steps: int, norm: Any = np.linalg.norm) -> float:
    """Projected gradient ascent with Armijo steps on a ratio f(θ₁, θ₂) = ‖J₁ − J₂‖²/‖θ₁ − θ₂‖² (or a
    lower bound of it) over pairs in B(center, radius); returns √ of the largest value attained.

    ``value_and_grad(t1, t2)`` → (f, ∇₁f, ∇₂f) and ``value(t1, t2)`` → f (any backend whose arrays
    support arithmetic; ``norm`` is its Euclidean norm). A step is accepted only if it increases f
    and keeps the pair at least 1e-6·radius apart (closer, the difference J₁ − J₂ loses its digits);
    the step doubles after each success. Every returned value is attained by a pair in the ball.
    """
    f, g1, g2 = value_and_grad(t1, t2)
    best, lr = f, None
    for _ in range(steps):
        gn = math.sqrt(float(norm(g1)) ** 2 + float(norm(g2)) ** 2)
        if gn == 0:
            break
        lr = 0.1 * radius / gn if lr is None else 2 * lr
        while lr * gn > 1e-12 * radius:
            n1 = into_ball(t1 + lr * g1, center, radius, norm)
            n2 = into_ball(t2 + lr * g2, center, radius, norm)
            if float(norm(n1 - n2)) >= 1e-6 * radius and value(n1, n2) > f:
                break
            lr *= 0.5
        else:
            break
        t1, t2 = n1, n2
        f, g1, g2 = value_and_grad(t1, t2)
        best = max(best, f)
    return math.sqrt(max(best, 0.0))


class TwoLayerDIP:
    """Two-layer generator g(u, θ) = V φ(W u)/√k, V ∈ R^{n×k}, W ∈ R^{k×d} (THEORY.md §1).

    Parameters
    ----------
    n, d, k : int
        Signal size, input size and width.
    activation : str or Activation
        φ; it must satisfy the theorems' assumptions unless ``for_theorem=False``.
    v_init : {"rademacher", "uniform", "gaussian"}
        Law of V(0): Rademacher (D = 1), uniform on [−√3, √3] (D = √3), or N(0, 1), which is
        **not** D-bounded: the probability statement of the width theorem (§6) then does not
        apply; the deterministic check of §3 still does.
    seed : int or numpy.random.Generator
        Fixes u, W(0) and V(0).
    for_theorem : bool
        Refuse activations that break the theorems' assumptions (default True).
    v_scale : float
        V(0) is drawn from ``v_init`` and multiplied by this (default 1). A small scale starts the
        generator near x(0) = 0, from where training behaves like Landweber iteration on A and shows
        DIP's semi-convergence. The §3 check stays exact at any scale (σ_min(J_g)² ≥ ‖φ(Wu)‖²/k does
        not depend on V); the width theorem (§6) assumes unit-variance entries, so with a scale ≠ 1
        its probability statement does not apply, and D is scaled with V.

    Notes
    -----
    u is uniform on S^{d−1}, W(0) has iid N(0, 1) entries (THEORY.md §1).

    Examples
    --------
    >>> net = bc.TwoLayerDIP(n=3, d=2, k=100, seed=0)
    >>> net.p, net.forward().shape
    (500, (3,))
    """

    def __init__(self, n: int, d: int, k: int, activation: str | Activation = "tanh",
                 v_init: str = "rademacher", seed: int | np.random.Generator = 0, *, for_theorem: bool = True,
                 v_scale: float = 1.0):
        self.validate_spec(n, d=d, k=k, activation=activation, v_init=v_init, seed=seed, for_theorem=for_theorem)
        v_scale = positive_float(v_scale, "v_scale")
        rng = as_rng(seed)
        u = rng.standard_normal(d)
        u /= np.linalg.norm(u)
        W = rng.standard_normal((k, d))
        if v_init == "rademacher":
            V = rng.choice([-1.0, 1.0], size=(n, k))
        elif v_init == "uniform":
            V = rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), size=(n, k))
        else:
            V = rng.standard_normal((n, k))
        self._setup(V * v_scale if v_scale != 1.0 else V, W, u, activation, for_theorem)
        self.v_init = v_init
        self.v_scale = v_scale
        D = V_INITS[v_init]
        self.D = None if D is None else D * v_scale
        self.seed = seed if isinstance(seed, int) else None

    @staticmethod
    def validate_spec(n: int, *, d: int, k: int, activation: str | Activation = "tanh", v_init: str = "rademacher",
                      seed: int | np.random.Generator = 0, for_theorem: bool = True) -> None:
        """Check the arguments of a seeded draw without drawing it: sizes, activation, law of V(0),
        seed, and that θ (k(n + d) float64 entries, twice while drawing) fits in memory.

        Raises
        ------
        TypeError, ValueError
            Naming the argument and the requirement; :class:`~boundcalc.io.memory.MemoryLimitError`
            (a ValueError) when θ cannot fit.
        """
        n, d, k = positive_int(n, "n"), positive_int(d, "d"), positive_int(k, "k")
        if v_init not in V_INITS:
            raise ValueError(f"v_init must be one of {sorted(V_INITS)}, got {v_init!r}")
        get_activation(activation, for_theorem=for_theorem)
        as_rng(seed)
        p = k * (n + d)
        require_memory(float_bytes(2 * p), f"k = {k}: θ with k(n + d) = {p:.4g} entries")

    @classmethod
    def from_arrays(cls, V: Any, W: Any, u: Any, activation: str | Activation = "tanh", *,
                    for_theorem: bool = True) -> TwoLayerDIP:
        """A generator at a user's initialization θ₀ = (V, W) with input u (any nonzero u)."""
        self = cls.__new__(cls)
        V = as_finite_array(V, "V", ndim=2)
        W = as_finite_array(W, "W", ndim=2)
        u = as_finite_array(u, "u", ndim=1)
        if W.shape[0] != V.shape[1]:
            raise ValueError(f"W must have k = V.shape[1] = {V.shape[1]} rows, got W of shape {W.shape}")
        if u.shape[0] != W.shape[1]:
            raise ValueError(f"u must have d = W.shape[1] = {W.shape[1]} entries, got {u.shape[0]}")
        if not np.any(u):
            raise ValueError("u must be nonzero")
        self._setup(V, W, u, activation, for_theorem)
        self.v_init = "user"
        self.v_scale = 1.0
        # D-boundedness is a property of the law of V(0), which one sample cannot reveal.
        self.D = None
        self.seed = None
        return self

    def _setup(self, V, W, u, activation, for_theorem):
        self.activation = get_activation(activation, for_theorem=for_theorem)
        self.n, self.k = V.shape
        self.d = W.shape[1]
        self.u = np.asarray(u, dtype=float)
        self.norm_u = float(np.linalg.norm(self.u))
        self.theta0 = np.concatenate([V.ravel(), W.ravel()])
        self.p = self.theta0.size

    def __repr__(self) -> str:
        return (f"TwoLayerDIP(n={self.n}, d={self.d}, k={self.k}, activation={self.activation.name!r}, "
                f"v_init={self.v_init!r}" + (f", v_scale={self.v_scale:g}" if self.v_scale != 1.0 else "")
                + f", seed={self.seed})")

    # ------------------------------------------------------------------ parameters
    # Every map below is written against the array API: θ (and w, δθ, A, y) may be NumPy, PyTorch,
    # CuPy or array-api-strict arrays, all in one namespace; u follows θ's namespace and device.
    def unpack(self, theta: Any = None) -> tuple[Any, Any]:
        """Views (V, W) of a flat parameter vector (θ₀ if None)."""
        theta = self.theta0 if theta is None else theta
        if tuple(theta.shape) != (self.p,):
            raise ValueError(f"theta must have shape ({self.p},) = k(n + d), got {tuple(theta.shape)}")
        xp = namespace(theta)
        nk = self.n * self.k
        return xp.reshape(theta[:nk], (self.n, self.k)), xp.reshape(theta[nk:], (self.k, self.d))

    def pack(self, V: Any, W: Any) -> Any:
        xp = namespace(V, W)
        return xp.concat([xp.reshape(V, (-1,)), xp.reshape(W, (-1,))]) if xp is not np else \
            np.concatenate([np.ravel(V), np.ravel(W)])

    def _u(self, like: Any) -> Any:
        """u in the namespace, device and dtype of ``like`` (cached per backend)."""
        if namespace(like) is np:
            return self.u
        key = describe(like)
        key = (key["backend"], key["device"], key["dtype"])
        cache = self.__dict__.setdefault("_u_cache", {})
        if key not in cache:
            cache[key] = asarray(self.u, like=like)
        return cache[key]

    def _hidden(self, theta):
        V, W = self.unpack(theta)
        z = W @ self._u(W)
        return V, self.activation.phi(z), self.activation.dphi(z)

    # ------------------------------------------------------------------ maps
    def forward(self, theta: Any = None) -> Any:
        """x = g(u, θ) = V φ(Wu)/√k."""
        V, a, _ = self._hidden(theta)
        return V @ a / math.sqrt(self.k)

    def jvp(self, theta: Any, dtheta: Any) -> Any:
        """J_g(θ) δθ = (δV a + V D δW u)/√k."""
        V, a, da = self._hidden(theta)
        dV, dW = self.unpack(dtheta)
        return (dV @ a + V @ (da * (dW @ self._u(dW)))) / math.sqrt(self.k)

    def vjp(self, theta: Any, w: Any) -> Any:
        """J_g(θ)ᵀ w = (w aᵀ, D Vᵀ w uᵀ)/√k, flattened."""
        V, a, da = self._hidden(theta)
        s = 1 / math.sqrt(self.k)
        return self.pack(w[:, None] * a[None, :] * s, (da * (V.T @ w))[:, None] * self._u(V)[None, :] * s)

    def loss(self, theta: Any, A: Any, y: Any) -> float:
        """L(θ) = ½‖A g(u, θ) − y‖²."""
        r = A @ self.forward(theta) - y
        return 0.5 * float(namespace(r).sum(r * r))

    def loss_and_grad(self, theta: Any, A: Any, y: Any) -> tuple[float, Any]:
        """L(θ) and ∇L(θ) = J_gᵀ Aᵀ (A g − y) (both blocks rank one, docs/numerics.md "Gram route")."""
        V, a, da = self._hidden(theta)
        s = 1 / math.sqrt(self.k)
        r = A @ (V @ a * s) - y
        w = A.T @ r
        if namespace(r) is not np:
            return 0.5 * float(namespace(r).sum(r * r)), self.pack(w[:, None] * (a * s)[None, :],
                                                                   (da * (V.T @ w) * s)[:, None] * self._u(V)[None, :])
        grad = np.empty(self.p)  # NumPy: written in place, no temporaries
        nk = self.n * self.k
        np.multiply.outer(w * s, a, out=grad[:nk].reshape(self.n, self.k))
        np.multiply.outer(da * (V.T @ w) * s, self.u, out=grad[nk:].reshape(self.k, self.d))
        return 0.5 * float(r @ r), grad

    # ------------------------------------------------------------------ Jacobian
    def jacobian(self, theta: np.ndarray | None = None, *, max_entries: float = 2e7) -> np.ndarray:
        """Explicit n×p Jacobian, **for tests and benchmarks only** (refused above ``max_entries``)."""
        if self.n * self.p > max_entries:
            raise ValueError(f"jacobian: n·p = {self.n * self.p} entries is too large; use gram() or "
                             "jacobian_spectrum(), which never form J")
        V, a, da = self._hidden(theta)
        s = 1 / math.sqrt(self.k)
        JV = np.kron(np.eye(self.n), a[None, :]) * s            # ∂x_i/∂V_{jr} = δ_ij a_r/√k
        JW = np.einsum("ir,s->irs", V * da[None, :], self.u).reshape(self.n, -1) * s
        return np.hstack([JV, JW])

    def _vd_gram(self, V: Any, da: Any) -> Any:
        require_memory(float_bytes(2 * self.n * self.n, self.n * min(self.k, _CHUNK)),
                       f"the n×n Gram matrix of J (n = {self.n})")
        G = None
        for j in range(0, self.k, _CHUNK):
            stop = min(j + _CHUNK, self.k)  # the array API leaves out-of-bounds slices unspecified
            C = V[:, j:stop] * da[None, j:stop]
            G = C @ C.T if G is None else G + C @ C.T
        return G

    def gram(self, theta: np.ndarray | None = None) -> np.ndarray:
        """J Jᵀ = (‖a‖² I_n + ‖u‖² V D² Vᵀ)/k, built by column blocks (never the n×k product)."""
        V, a, da = self._hidden(theta)
        G = to_numpy(self._vd_gram(V, da)) * self.norm_u**2
        G[np.diag_indices_from(G)] += float(namespace(a).sum(a * a))
        return G / self.k

    def gram_matvec(self, w: np.ndarray, theta: np.ndarray | None = None) -> np.ndarray:
        """J Jᵀ w = (‖a‖² w + ‖u‖² V D² Vᵀ w)/k without forming J or V D (two passes over V, O(nk));
        ``w`` may be an n×b block."""
        V, a, da = self._hidden(theta)
        t = V.T @ w
        t = t * ((da * da)[:, None] if w.ndim == 2 else da * da)
        return (self.norm_u**2 * (V @ t) + float(namespace(a).sum(a * a)) * w) / self.k

    def jacobian_spectrum(self, theta: np.ndarray | None = None, *, method: str = "auto",
                          rtol: float = 2e-6, seed: int = 0) -> JacobianSpectrum:
        """σ_min(J) = σ_n(J) and σ_max(J) (THEORY.md §2).

        ``method="gram"``: one symmetric eigensolve of the n×n Gram identity
        σ_min² = (‖a‖² + ‖u‖² λ_min(VD²Vᵀ))/k, exact (‖a‖²/k when k < n: VD then has rank < n); it
        costs n²k for the Gram matrix. ``"lanczos"``: certified brackets from Lanczos on w ↦ J Jᵀ w
        (:func:`boundcalc.linalg.eigen_bracket.extreme_eigen_bracket`, O(nk) per product, relative width
        ``rtol`` on λ, so about rtol/2 on σ); the conservative ends are returned. ``"auto"``: Lanczos
        when n ≥ 2048 and k ≥ 4n, where it is faster (n = 4096, k = 10⁵: 18 s against 25 s on 2
        cores; at n = 1024 the Gram route still wins), the Gram route otherwise.
        """
        if method not in ("auto", "gram", "lanczos"):
            raise ValueError(f"method must be 'auto', 'gram' or 'lanczos', got {method!r}")
        if method == "auto":
            method = "lanczos" if self.n >= 2048 and self.k >= 4 * self.n else "gram"
        V, a, da = self._hidden(theta)
        aa = float(namespace(a).sum(a * a))
        if method == "lanczos":
            if self.k < self.n:
                raise ValueError("method='lanczos' needs k >= n (for k < n, σ_min = ‖a‖/√k exactly: use 'gram')")
            from ..linalg.eigen_bracket import extreme_eigen_bracket
            like = V if theta is not None else self.theta0
            br = extreme_eigen_bracket(lambda w: to_numpy(self.gram_matvec(asarray(w, like=like), theta)), self.n,
                                       rtol=rtol, seed=seed)
            # J Jᵀ ⪰ ‖a‖²/k·I (docs/numerics.md "Gram route"): a free certified lower bound, never below it.
            lo = max(br.sigma_min[0], float(np.sqrt(aa / self.k)))
            return JacobianSpectrum(lo, br.sigma_max[1], "lanczos", (lo, br.sigma_min[1]), br.sigma_max)
        # One symmetric eigensolve: the tridiagonal reduction dominates, so asking for both ends
        # at once costs the same as asking for one.
        lam = scipy.linalg.eigh(to_numpy(self._vd_gram(V, da)), eigvals_only=True, check_finite=False)
        top = lam[-1]
        low = 0.0 if self.k < self.n else max(lam[0], 0.0)
        return JacobianSpectrum(float(np.sqrt((aa + self.norm_u**2 * low) / self.k)),
                                float(np.sqrt((aa + self.norm_u**2 * max(top, 0.0)) / self.k)))

    def jacobian_difference_norm(self, theta1: np.ndarray, theta2: np.ndarray) -> float:
        """‖J(θ₁) − J(θ₂)‖ (spectral), exactly, from the Gram identity of the difference."""
        V1, a1, d1 = self._hidden(theta1)
        V2, a2, d2 = self._hidden(theta2)
        diff = V1 * d1[None, :] - V2 * d2[None, :]
        s = scipy.linalg.svdvals(diff)[0] if min(diff.shape) else 0.0
        return float(np.sqrt(self._difference_sq(a1 - a2, s)))

    def _difference_sq(self, da: np.ndarray, sigma: float) -> float:
        """k‖J₁ − J₂‖² = ‖a₁ − a₂‖² + ‖u‖² σ_max(V₁D₁ − V₂D₂)²: the Gram identity of the difference."""
        return float((da @ da + self.norm_u**2 * sigma**2) / self.k)

    def max_column_norm(self, theta: np.ndarray | None = None) -> float:
        """M(θ) = max_r ‖V_{:,r}‖ (THEORY.md §2)."""
        V, _ = self.unpack(theta)
        return float(np.sqrt(np.max(np.sum(V**2, axis=0))))

    def lipschitz_inputs(self, theta0: np.ndarray | None = None) -> dict[str, float]:
        """The inputs of ℓ(R): B, ‖u‖, k and M₀ = M(θ₀)."""
        return {"B": self.activation.B, "norm_u": self.norm_u, "k": float(self.k),
                "M0": self.max_column_norm(theta0)}

    def jacobian_lipschitz_bound(self, theta0: np.ndarray | None, radius: float) -> float:
        """ℓ(R) = (B‖u‖/√k)(1 + ‖u‖(M₀ + R)) ≥ Lip of J_g on B(θ₀, R) (THEORY.md §2, derived).

        ``theta0`` is the ball's centre (None: the network's θ₀), M₀ = M(θ₀) its largest V-column norm.
        """
        radius = positive_float(radius, "radius", allow_zero=True)
        return evaluate("lipschitz_J", {**self.lipschitz_inputs(theta0), "radius": radius})

    def empirical_lipschitz(self, radius: float, *, pairs: int = 200, restarts: int = 4, steps: int = 200,
                            seed: int | np.random.Generator = 0, theta0: np.ndarray | None = None) -> float:
        """A lower estimate of Lip(J_g) on B(θ₀, R) by adversarial ascent on the ratio
        ρ(θ₁, θ₂) = ‖J(θ₁) − J(θ₂)‖/‖θ₁ − θ₂‖ over pairs in the ball.

        ``pairs`` random pairs (half of them close pairs, which probe the local constant) seed the
        search; from the ``restarts`` best, projected gradient ascent on ρ² with an Armijo step runs
        for at most ``steps`` steps. The gradient is exact: with Δ = V₁D₁ − V₂D₂ and its top singular
        triplet (σ, p, q), k‖J₁ − J₂‖² = ‖a₁ − a₂‖² + ‖u‖²σ², ∂σ²/∂V₁ = 2σ p (q ⊙ d₁)ᵀ and
        ∂σ²/∂W₁ = 2σ (q ⊙ V₁ᵀp ⊙ φ″(z₁)) uᵀ (d = φ′(z), z = Wu), likewise for θ₂ with the other sign.
        Every value returned is attained by a pair in the ball, so it never exceeds the true
        constant; without φ″ (a custom activation) only the sampled pairs are used.
        """
        radius = positive_float(radius, "radius")
        rng = as_rng(seed)
        center = self.theta0 if theta0 is None else theta0
        starts = []
        for i in range(positive_int(pairs, "pairs")):
            pts = []
            for _ in range(2):
                v = rng.standard_normal(self.p)
                pts.append(center + v / np.linalg.norm(v) * radius * rng.uniform() ** (1 / self.p))
            if i % 2:  # a close pair around the first point
                v = rng.standard_normal(self.p)
                pts[1] = into_ball(pts[0] + 1e-3 * radius * v / np.linalg.norm(v), center, radius)
            starts.append((self._ratio2(pts[0], pts[1]), pts[0], pts[1]))
        starts.sort(key=lambda item: -item[0])
        best = float(np.sqrt(starts[0][0]))
        if self.activation.d2phi is None:
            return best
        for _, t1, t2 in starts[: positive_int(restarts, "restarts")]:
            best = max(best, projected_ratio_ascent(lambda a, b: self._ratio2(a, b, grad=True), self._ratio2, t1, t2,
                                                    center=center, radius=radius, steps=steps))
        return best

    def _ratio2(self, t1: np.ndarray, t2: np.ndarray, *, grad: bool = False):
        """ρ² = ‖J₁ − J₂‖²/‖θ₁ − θ₂‖², or with ``grad`` (ρ², ∇_θ₁ρ², ∇_θ₂ρ²)."""
        diff = t1 - t2
        den = float(diff @ diff)
        if not grad:
            return self.jacobian_difference_norm(t1, t2) ** 2 / den
        V1, W1 = self.unpack(t1)
        V2, W2 = self.unpack(t2)
        z1, z2 = W1 @ self.u, W2 @ self.u
        a1, a2 = self.activation.phi(z1), self.activation.phi(z2)
        d1, d2 = self.activation.dphi(z1), self.activation.dphi(z2)
        delta = V1 * d1[None, :] - V2 * d2[None, :]
        U, sv, Vt = scipy.linalg.svd(delta, full_matrices=False)
        sig, pl, qr = sv[0], U[:, 0], Vt[0]
        da = a1 - a2
        num = self._difference_sq(da, sig)
        uu = self.norm_u**2 / self.k
        g1V = 2 * uu * sig * np.outer(pl, qr * d1)
        g2V = -2 * uu * sig * np.outer(pl, qr * d2)
        d2p1, d2p2 = self.activation.d2phi(z1), self.activation.d2phi(z2)
        g1W = np.outer((2 / self.k) * da * d1 + 2 * uu * sig * qr * (V1.T @ pl) * d2p1, self.u)
        g2W = np.outer(-(2 / self.k) * da * d2 - 2 * uu * sig * qr * (V2.T @ pl) * d2p2, self.u)
        gnum1, gnum2 = self.pack(g1V, g1W), self.pack(g2V, g2W)
        f = num / den
        return f, (gnum1 - f * 2 * diff) / den, (gnum2 + f * 2 * diff) / den
