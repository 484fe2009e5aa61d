"""``boundcalc <command>``: a thin command line over the public Python API.

Exit status (:data:`EXIT_STATUSES`, also in ``boundcalc --help`` and the README): 0 success; 1 a check
ran and found a hypothesis false or a claim violated (``verify``, ``report``, ``check-init``); 2 bad
input, usage, an unusable file or a size that cannot fit in memory (one line on stderr, no traceback);
3 a numerical method failed to produce a trustworthy number (solver status, non-convergence); 4 a check
ran but cannot decide (``check-init`` on a network without a certified Jacobian-Lipschitz bound, or
with σ_min(J) unresolved: nothing was found false); 130 interrupted (Ctrl-C), 143 terminated
(SIGTERM), finished work kept.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import threading
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ._core import Terminated, jsonable
from .io.files import load_npy, load_npz
from .io.memory import ENV_VAR, float_bytes, parse_bytes, require_memory
from .io.outputs import remove_staging_folders  # here, not in the SIGTERM watchdog (the import lock)

__all__ = ["main"]


#: The exit statuses of every command (claim statuses: boundcalc.verification.claims.STATUSES).
EXIT_STATUSES = {
    0: "success (verify/report: no theorem claim violated; transferred and not-applicable claims, and observations "
       "of the talk's figures not reproduced, are not failures)",
    1: "a check ran and found a hypothesis false (check-init: degenerate) or a theorem claim violated (verify, "
       "report, claim); with --strict (report, claim) also an observation not reproduced",
    2: "bad input or usage, an unusable file, or a size that cannot fit in memory",
    3: "a numerical method could not produce a trustworthy number",
    4: "a check ran but cannot decide (check-init, verify: no certified Lipschitz bound, or σ_min(J) unresolved; "
       "nothing was found false)",
    130: "interrupted (Ctrl-C)", 143: "terminated (SIGTERM)",
}


class UsageError(ValueError):
    """Bad command-line input: reported on one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors: one line, exit 2
        raise UsageError(message)


def _number(kind: type, minimum: float, strict: bool) -> Callable[[str], Any]:
    """argparse type: an int/float ≥ (or >) ``minimum``, finite; refused at parse time, exit 2."""
    rel = ">" if strict else ">="

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, "
                                             f"got {text!r}") from None
        if not math.isfinite(value) or value < minimum or (strict and value == minimum):
            raise argparse.ArgumentTypeError(f"must be a finite number {rel} {minimum:g}, got {text}")
        return value
    parse.__name__ = f"{kind.__name__} {rel} {minimum:g}"
    return parse


POS_INT, NONNEG_INT = _number(int, 0, True), _number(int, 0, False)
POS_FLOAT, NONNEG_FLOAT = _number(float, 0.0, True), _number(float, 0.0, False)


def parse_shape(text: str) -> tuple[int, int]:
    """Parse ``64x64`` into (64, 64)."""
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise UsageError(f"an image shape is ROWSxCOLUMNS, e.g. 64x64; got {text!r}")
    return int(parts[0]), int(parts[1])


def _print(obj: Any, as_json: bool, inputs: dict[str, Any] | None = None) -> None:
    """The result, as JSON (with the ``inputs`` that produced it, seeds included) or as text."""
    if as_json:
        data = obj.to_dict() if hasattr(obj, "to_dict") else obj
        print(json.dumps(jsonable({**data, "inputs": inputs} if inputs else data), indent=2))
    else:
        print(obj)


# ----------------------------------------------------------------------------- commands

def cmd_spectrum(args: argparse.Namespace) -> int:
    from .linalg.operators import Convolution2D, Gradient2D, spectrum
    chosen = [a for a in (args.operator, args.gradient2d, args.convolution) if a is not None]
    if len(chosen) != 1:
        raise UsageError("give exactly one of --operator, --gradient2d, --convolution")
    if args.operator is not None:
        A = load_npy(args.operator, "--operator")
    elif args.gradient2d is not None:
        A = Gradient2D(parse_shape(args.gradient2d), boundary=args.boundary)
    else:
        if args.shape is None:
            raise UsageError("--convolution needs --shape N1xN2")
        A = Convolution2D(load_npy(args.convolution, "--convolution"), parse_shape(args.shape))
    _print(spectrum(A, rtol=args.rtol), args.json)
    return 0


def add_problem_options(p: argparse.ArgumentParser, *, network: bool = True) -> None:
    """Options shared by check-init, width, bounds and verify: a built-in problem or user files."""
    from .problems import DEFAULT_NETWORK, DEFAULT_PROBLEM
    g = p.add_argument_group("problem (built-in, or user files)")
    g.add_argument("--problem", choices=["gaussian", "deblurring", "normal-integration"], default=None,
                   help="built-in problem (default gaussian when no --operator): gaussian (A iid N(0, 1/m)), "
                        "deblurring (periodic Gaussian blur of a photograph), normal-integration (gradient of a "
                        "depth map)")
    g.add_argument("--size", default="32x32", metavar="N1xN2", help="image size of the imaging problems")
    g.add_argument("--blur-sigma", type=POS_FLOAT, default=1.5, help="blur width in pixels (deblurring)")
    g.add_argument("--m", type=POS_INT, default=DEFAULT_PROBLEM["m"], help="rows of A (built-in problem)")
    g.add_argument("--n", type=POS_INT, default=DEFAULT_PROBLEM["n"], help="columns of A (built-in problem)")
    g.add_argument("--noise-norm", type=NONNEG_FLOAT, default=None,
                   help=f"‖ε‖ of the built-in problem (default {DEFAULT_PROBLEM['noise_norm']}); with user data "
                        "give --x-bar instead (ε = y − A x̄), except for `bounds`, which also takes ‖ε‖ alone")
    g.add_argument("--signal-norm", type=POS_FLOAT, default=1.0, help="‖x̄‖ of the built-in problem (default 1)")
    g.add_argument("--seed", type=NONNEG_INT, default=DEFAULT_PROBLEM["seed"], help="seed of the built-in problem")
    g.add_argument("--operator", metavar="A.npy", help="user operator (needs --y)")
    g.add_argument("--y", metavar="y.npy", help="user observation")
    g.add_argument("--x-bar", metavar="x.npy", help="user data: the true signal x̄, when known; then ε = y − A x̄ "
                   "and ȳ = A x̄ are known and the early-stopping and x-space claims are checked")
    if network:
        h = p.add_argument_group("network (a seeded draw, or --init)")
        h.add_argument("--init", metavar="init.npz", help="user initialization with arrays V, W, u "
                       "(not with --k, --d, --v-init, --net-seed)")
        h.add_argument("--k", type=POS_INT, default=None, help=f"width (default {DEFAULT_NETWORK['k']})")
        h.add_argument("--d", type=POS_INT, default=None, help=f"input size (default {DEFAULT_NETWORK['d']})")
        h.add_argument("--activation", default=DEFAULT_NETWORK["activation"],
                       help="tanh, sigmoid, softplus, sin (relu is refused by the theorems)")
        h.add_argument("--v-init", default=None, choices=["rademacher", "uniform", "gaussian"],
                       help=f"law of V(0) (default {DEFAULT_NETWORK['v_init']})")
        h.add_argument("--net-seed", type=NONNEG_INT, default=None,
                       help=f"seed of the network draw (default {DEFAULT_NETWORK['seed']})")
        h.add_argument("--torch-model", metavar="FILE.py:FUNC", default=None,
                       help="your own PyTorch network: FUNC() in FILE.py returns (module, u). The file is your "
                            "Python code and IS EXECUTED, as `python FILE.py` would; needs boundcalc[torch]")


def problem_from_args(args: argparse.Namespace, *, noise_alone: bool = False):
    """The Problem named by the shared options, and the inputs to record.

    User data (``--operator``, ``--y``) may carry the truth with ``--x-bar``: then ε = y − A x̄.
    ``--noise-norm`` with user data is accepted only where ‖ε‖ alone is enough (``noise_alone``,
    the ``bounds`` command); elsewhere it needs x̄ too, so ``--x-bar`` is asked for instead.
    """
    from .problems import builtin_problem, make_problem
    if args.operator is not None:
        if args.problem is not None:
            raise UsageError("give either --problem or --operator, not both")
        if args.y is None:
            raise UsageError("--operator needs --y")
        if args.x_bar is not None and args.noise_norm is not None:
            raise UsageError("give --x-bar or --noise-norm, not both: with x̄ known, ‖ε‖ = ‖y − A x̄‖")
        if args.noise_norm is not None and not noise_alone:
            raise UsageError("--noise-norm with user data: the claims also need ȳ = A x̄; give --x-bar x.npy "
                             "(ε = y − A x̄ is then known)")
        A = load_npy(args.operator, "--operator")
        y = load_npy(args.y, "--y")
        inputs = {"operator": args.operator, "y": args.y, "x_bar": args.x_bar, "noise_norm": args.noise_norm}
        if args.x_bar is not None:
            prob = make_problem(A, y, x_bar=load_npy(args.x_bar, "--x-bar"))
            prob = replace(prob, noise=prob.y - prob.y_clean)  # with x̄ known, ε = y − A x̄ is too
        else:
            prob = make_problem(A, y)
            if args.noise_norm is not None:
                prob.info["noise_norm_given"] = args.noise_norm
        return prob, inputs
    if args.y is not None or args.x_bar is not None:
        raise UsageError("--y and --x-bar are user data: they need --operator")
    name = args.problem or "gaussian"
    size = parse_shape(args.size)
    prob = builtin_problem(name, m=args.m, n=args.n, size=size, noise_norm=args.noise_norm,
                           signal_norm=args.signal_norm, blur_sigma=args.blur_sigma, seed=args.seed)
    shape = {"m": args.m, "n": args.n, "signal_norm": args.signal_norm} if name == "gaussian" else \
        {"size": list(size), **({"blur_sigma": args.blur_sigma} if name == "deblurring" else {})}
    return prob, {"problem": name, **shape, "noise_norm": prob.noise_norm, "seed": args.seed}


def network_from_args(args: argparse.Namespace, n: int):
    """The generator named by the network options (a user --init or a seeded draw)."""
    from .nets.two_layer import TwoLayerDIP
    drawn = {"--k": args.k, "--d": args.d, "--v-init": args.v_init, "--net-seed": args.net_seed}
    if getattr(args, "torch_model", None) is not None:
        given = [flag for flag, value in {**drawn, "--init": args.init}.items() if value is not None]
        if given:
            raise UsageError(f"--torch-model gives the network; {', '.join(given)} would be ignored: drop them")
        try:
            from .nets.torch import TorchGenerator, load_model_factory
        except ImportError:
            raise UsageError("--torch-model needs PyTorch: pip install 'boundcalc[torch]'") from None
        module, u = load_model_factory(args.torch_model)
        try:
            net = TorchGenerator(module, u)
        except (TypeError, ValueError) as exc:
            raise UsageError(f"--torch-model {args.torch_model}: {str(exc).removeprefix('module: ')}") from None
        if net.n != n:
            raise UsageError(f"--torch-model {args.torch_model}: the network outputs {net.n} values but the "
                             f"operator has n = {n} columns")
        return net, {"torch_model": args.torch_model, "p": net.p}
    if args.init is not None:
        given = [flag for flag, value in drawn.items() if value is not None]
        if given:
            raise UsageError(f"--init gives the network; {', '.join(given)} would be ignored: drop them")
        arrays = load_npz(args.init, "--init", ("V", "W", "u"))
        net = TwoLayerDIP.from_arrays(arrays["V"], arrays["W"], arrays["u"], args.activation)
        if net.n != n:
            raise UsageError(f"--init: V has {net.n} rows but the operator has n = {n} columns")
        return net, {"init": args.init, "activation": args.activation}
    draw = draw_spec(args)
    net = TwoLayerDIP(n, draw["d"], draw["k"], args.activation, v_init=draw["v_init"], seed=draw["seed"])
    return net, _recorded(draw, args.activation)


def _recorded(draw: dict[str, Any], activation: str) -> dict[str, Any]:
    """The network inputs as recorded in JSON (``net_seed``: the problem has a ``seed`` of its own)."""
    return {"k": draw["k"], "d": draw["d"], "v_init": draw["v_init"], "net_seed": draw["seed"],
            "activation": activation}


def draw_spec(args: argparse.Namespace) -> dict[str, Any]:
    """k, d, v_init and seed of the seeded draw: the options given, the defaults of DEFAULT_NETWORK
    otherwise (the options default to None so that --init can tell which were given)."""
    from .problems import DEFAULT_NETWORK
    given = {"k": args.k, "d": args.d, "v_init": args.v_init, "seed": args.net_seed}
    return {key: DEFAULT_NETWORK[key] if value is None else value for key, value in given.items()}


def validate_network_args(args: argparse.Namespace, n: int) -> None:
    """Check the network options before any computation (sizes against memory included)."""
    from .nets.two_layer import TwoLayerDIP
    if args.init is not None or getattr(args, "torch_model", None) is not None:
        return  # checked when the file is read, before anything is computed from it
    TwoLayerDIP.validate_spec(n, activation=args.activation, **draw_spec(args))


def add_dip_options(p: argparse.ArgumentParser, *, size: str, many: bool) -> None:
    """The options ``dip`` and ``stopping`` share: the imaging problem, its size, the generator(s) and the
    optimizer(s) (``many``: one or more of each, for a comparison)."""
    kw: dict[str, Any] = {"nargs": "+"} if many else {}
    p.add_argument("--problem", choices=["deblurring", "normal-integration"], default="deblurring",
                   help="the talk's imaging problem, with the talk's noise (default deblurring)")
    p.add_argument("--size", default=size, help=f"image size N1xN2 (default {size})")
    p.add_argument("--net", choices=["conv", "two-layer"], default=["conv"] if many else "conv", **kw,
                   help="conv: a ConvDecoder-shaped DIP (default); two-layer: the report's imaging network")
    p.add_argument("--optimizer", choices=["adam", "igahd", "gd"], default=["adam"] if many else "adam", **kw,
                   help="adam (DIP practice, lr 1e-2; default), igahd (form ode) or gd")


def add_json_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true",
                   help="print JSON (each key documented in boundcalc/io/schemas/COMMAND.schema.json)")


def add_dynamics_option(p: argparse.ArgumentParser, help_text: str) -> None:
    p.add_argument("--dynamics", choices=["isehd", "igahd", "gf", "gd"], default="isehd", help=help_text)


TORCH_DEVICE_HELP = "where the network trains in torch: cpu (default) or cuda (a GPU; float64 either way)"


def add_device_option(p: argparse.ArgumentParser, help_text: str | None = None) -> None:
    """--device cpu|cuda: where the generator and the dynamics run (cuda: PyTorch on the GPU)."""
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                   help=help_text or "cpu (NumPy) or cuda (PyTorch on the GPU; needs boundcalc[torch] and a GPU)")


def add_lam_min_option(p: argparse.ArgumentParser) -> None:
    """--lam-min, read back by :func:`lam_min_from_args` (bounds and verify)."""
    p.add_argument("--lam-min", type=NONNEG_FLOAT, nargs="+", default=None, metavar="L",
                   help="λ_min(A; T_Σ′) as a value, or a bracket LOWER UPPER (x-space terms)")


def lam_min_from_args(args: argparse.Namespace) -> float | tuple[float, float] | None:
    """--lam-min L (a value) or --lam-min LOWER UPPER (a bracket, LOWER ≤ UPPER); --dist needs it."""
    if args.lam_min is None:
        if getattr(args, "dist", None) is not None:
            raise UsageError("--dist is used only by the x-space bound, which needs --lam-min")
        return None
    if len(args.lam_min) > 2:
        raise UsageError("--lam-min takes one value or a bracket LOWER UPPER")
    if len(args.lam_min) == 2 and args.lam_min[0] > args.lam_min[1]:
        raise UsageError(f"--lam-min LOWER UPPER must have LOWER <= UPPER, got {args.lam_min[0]:g} > "
                         f"{args.lam_min[1]:g}")
    return tuple(args.lam_min) if len(args.lam_min) == 2 else args.lam_min[0]


def cmd_check_init(args: argparse.Namespace) -> int:
    from .linalg.backend import resolve_backend
    from .theory.bounds import check_initialization
    resolve_backend(args.device)
    prob, p_in = problem_from_args(args)
    validate_network_args(args, prob.n)
    net, n_in = network_from_args(args, prob.n)
    res = check_initialization(prob.A, prob.y, net, dynamics=args.dynamics, device=args.device,
                               estimate_lipschitz=args.estimate_lipschitz)
    _print(res, args.json, {**p_in, **n_in})
    return decision_status(res)


def decision_status(check: Any) -> int:
    """The exit status of a non-degeneracy decision, one rule for every command and every network: 1 when a
    hypothesis of THEORY §3 was found false (σ₀ = 0, R′ ≥ R, an inadmissible activation), 0 when every one
    holds, 4 when none failed but one cannot be decided (a general network's Lip(J), an unresolved σ₀)."""
    statuses = [h.status for h in getattr(check, "hypotheses", ())]
    if check.verdict == "degenerate" or "fails" in statuses:
        return 1
    return 0 if check.non_degenerate else 4


def cmd_width(args: argparse.Namespace) -> int:
    from .linalg.operators import spectrum
    from .theory.width import instance_width, required_width
    only_formula = args.operator is not None and args.y is None
    if args.init is not None:
        raise UsageError("width draws its own networks; --init does not apply")
    if getattr(args, "torch_model", None) is not None:
        raise UsageError("width draws its own two-layer networks (THEORY §6); --torch-model does not apply")
    if only_formula:
        if args.instance:
            raise UsageError("--instance needs an observation: give --y with --operator, or a built-in problem")
        if args.snr is None:
            raise UsageError("--operator alone needs --snr (no x̄ and ε to compute it from)")
        A = load_npy(args.operator, "--operator")
        res = required_width(A, snr=args.snr, c1=args.c1, c2=args.c2, C=args.C)
        _print(res, args.json)
        return 0
    prob, p_in = problem_from_args(args)
    if args.snr is None and prob.snr is None:
        raise UsageError("--snr is needed for user data without --x-bar (x̄ and ε unknown)")
    draw = draw_spec(args)
    if args.instance:
        from .nets.activations import get_activation
        get_activation(args.activation)
    spec = spectrum(prob.A)
    res = required_width(prob.A, spec=spec, snr=args.snr, x_bar=prob.x_bar, noise_norm=prob.noise_norm,
                         c1=args.c1, c2=args.c2, C=args.C)
    out: dict[str, Any] = res.to_dict()
    if args.instance:
        iw = instance_width(prob.A, prob.y, d=draw["d"], activation=args.activation, v_init=draw["v_init"],
                            seed=draw["seed"], trials=args.trials, dynamics=args.dynamics,
                            progress=not args.json)
        inst = iw.to_dict()
        out.update({"k_instance": inst["k_instance"], "pass_probability": inst["pass_probability"],
                    "pass_probability_ci": inst["ci"], "k_instance_status": inst["k_instance_status"],
                    "instance": inst,
                    "ratio_theorem_to_instance": res.k_theorem / iw.k_instance if iw.found else None})
        if not iw.found:
            out.update({f"{key}_status": inst["k_instance_status"]
                        for key in ("pass_probability", "pass_probability_ci", "ratio_theorem_to_instance")})
    if args.json:
        _print(out, True, {**p_in, **_recorded(draw, args.activation)})
    else:
        print(res)
        if args.instance:
            print(iw)
            if iw.found:
                print(f"k_theorem / k_instance = {res.k_theorem / iw.k_instance:.4g}")
    return 0


def cmd_bounds(args: argparse.Namespace) -> int:
    from .theory.bounds import check_initialization, compute_bounds
    lam = lam_min_from_args(args)
    prob, p_in = problem_from_args(args, noise_alone=True)
    validate_network_args(args, prob.n)
    net, n_in = network_from_args(args, prob.n)
    check = check_initialization(prob.A, prob.y, net, dynamics="isehd")
    noise = prob.noise_norm if prob.noise_norm is not None else args.noise_norm
    res = compute_bounds(check, noise_norm=noise, times=args.times, lam_min=lam,
                         dist=args.dist, gd_step=args.gd_step)
    if args.json:
        _print(res, True, {**p_in, **n_in})
    else:
        print(res)
        for x in res.x_space:
            print(x)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from .linalg.backend import resolve_backend
    from .verification.claims import verify
    resolve_backend(args.device, dtype=args.dtype)
    lam = lam_min_from_args(args)
    prob, p_in = problem_from_args(args)
    validate_network_args(args, prob.n)
    net, n_in = network_from_args(args, prob.n)
    if args.dynamics != "igahd" and args.form != "ode":
        raise UsageError("--form applies to --dynamics igahd only")
    if args.dynamics in ("gf", "gd") and (args.alpha is not None or args.beta is not None):
        raise UsageError(f"--alpha/--beta are dampings of ISEHD and IGAHD; --dynamics {args.dynamics} has none")
    res = verify(prob, net, dynamics=args.dynamics, t_max=args.t_max, iterations=args.iterations,
                 step=args.step, alpha=args.alpha, beta=args.beta, form=args.form, lam_min=lam, dist=args.dist,
                 compare_gf=args.compare_gf, state=args.state, device=args.device, dtype=args.dtype)
    if args.json:
        _print(res, True, {**p_in, **n_in})
    else:
        print(res.summary())
    # 1 when a claim is violated or a hypothesis was found false; 4 when non-degeneracy cannot be decided.
    return 1 if res.any_violated else decision_status(res.check)


def cmd_phase_diagram(args: argparse.Namespace) -> int:
    from .verification.sweeps import (
        check_sweep_folder,
        dask_executor,
        parse_dask_target,
        phase_diagram,
        plot_phase_diagram,
    )
    out = check_sweep_folder(args.out, force=args.force)
    if args.full:
        from .report.checks import PHASE_GRID_FULL as g
        args.n, args.m, args.d, args.trials, args.iterations = g["n"], g["m"], g["d"], g["trials"], g["iterations"]
        args.step, args.form, args.ks, args.alphas = g["step"], g["form"], list(g["ks"]), list(g["alphas"])
    kw = dict(n=args.n, m=args.m, d=args.d, ks=tuple(args.ks), alphas=tuple(args.alphas), beta=args.beta,
              step=args.step, iterations=args.iterations, trials=args.trials, loss_tol=args.loss_tol,
              seed=args.seed, out_dir=out, progress=not args.json, form=args.form, device=args.device,
              force=args.force,
              # The plan and its cost come first; scripts (--json) hear it only for the talk-size sweep.
              announce=(lambda line: print(f"boundcalc: {line}", file=sys.stderr, flush=True))
              if args.full or not args.json else None)
    if args.dask is None:
        res = phase_diagram(**kw)
    else:
        parse_dask_target(args.dask)
        if args.device not in (None, "cpu"):
            raise UsageError("--dask runs the rows on the cluster's CPU workers; drop --device")
        with dask_executor(args.dask) as executor:
            res = phase_diagram(executor=executor, **kw)
    fig = plot_phase_diagram(res)
    for name, write in (("phase_diagram.png", lambda f: fig.savefig(f, dpi=120, bbox_inches="tight", format="png")),
                        ("phase_diagram.json", lambda f: f.write_text(json.dumps(jsonable(res.to_dict()), indent=2)))):
        tmp = out / f".{name}.tmp"
        write(tmp)
        tmp.replace(out / name)  # atomic: an interrupted write leaves the previous file
    if args.json:
        _print(res, True)
    else:
        print(res)
        print(f"IGAHD success (rows k = {res.ks}, columns α = {res.alphas}):\n{res.igahd}\nGD: {res.gd}")
        print(f"figure: {out / 'phase_diagram.png'}")
    return 0


def cmd_cone(args: argparse.Namespace) -> int:
    from .theory.cones import (
        FinitelyGeneratedCone,
        L1DescentCone,
        NonnegativeOrthant,
        PolyhedralCone,
        Subspace,
        certificate_size,
        restricted_min_singular_value,
        zspace_seconds,
    )
    A = load_npy(args.operator, "--operator")
    if A.ndim != 2:
        raise UsageError(f"--operator must be a 2-D array, got shape {A.shape}")
    n = A.shape[1]
    needs = {"l1-descent": ("x", args.x), "subspace": ("basis", args.basis), "polyhedral": ("G", args.G),
             "generated": ("D", args.D)}
    if args.cone in needs and needs[args.cone][1] is None:
        raise UsageError(f"--cone {args.cone} needs --{needs[args.cone][0]}")
    if args.cone == "l1-descent":
        cone = L1DescentCone(load_npy(args.x, "--x"))
    elif args.cone == "subspace":
        cone = Subspace(load_npy(args.basis, "--basis"))
    elif args.cone == "orthant":
        cone = NonnegativeOrthant(n)
    elif args.cone == "polyhedral":
        cone = PolyhedralCone(load_npy(args.G, "--G"))
    else:
        cone = FinitelyGeneratedCone(load_npy(args.D, "--D"))
    solver = "auto" if args.solver == "auto" else args.solver.upper()
    dim, seconds, nbytes = certificate_size(cone, args.route)
    require_memory(nbytes, f"the λ_min certificate (SDP of size {dim})")
    if args.route == "zspace":
        print(f"[boundcalc cone: certificate of size {dim}, searched for at most "
              f"{zspace_seconds(args.polish_seconds):g} s towards a gap of {args.target_gap:g}]",
              file=sys.stderr, flush=True)
    elif seconds > 30:
        print(f"[boundcalc cone: SDP of size {dim}; estimated {seconds / 60:.0f} min and {nbytes / 2**30:.1f} GiB "
              f"before the polish, from the measured cost per iteration"
              + ("; --route zspace certifies a size-n form in a set time]" if args.cone == "l1-descent" else "]"),
              file=sys.stderr, flush=True)
    res = restricted_min_singular_value(A, cone, solver=solver, seed=args.seed, route=args.route,
                                        accuracy=args.accuracy, target_gap=args.target_gap,
                                        polish_seconds=args.polish_seconds)
    if args.json:
        d = res.to_dict()
        d.pop("witness")
        _print(d, True)
    else:
        print(res)
    return 0 if res.status.startswith("optimal") else 3


def cmd_statdim(args: argparse.Namespace) -> int:
    from .theory.cones import L1DescentCone, NonnegativeOrthant, l1_statistical_dimension, statistical_dimension
    if args.method is None:
        args.method = "almt-bound" if args.cone == "l1-descent" else "closed-form"
    if args.cone == "l1-descent":
        if args.s is None:
            raise UsageError("--cone l1-descent needs --s (sparsity)")
        if args.method in ("exact", "closed-form"):
            raise UsageError("--method: the ℓ1 descent cone has no closed-form statistical dimension; "
                             "--method almt-bound gives ALMT's bracket, --method montecarlo an estimate")
        if args.method == "almt-bound":
            res = l1_statistical_dimension(args.n, args.s)
        else:
            if not 1 <= args.s <= args.n:
                raise UsageError(f"--s must be in 1..n, got {args.s}")
            require_memory(float_bytes(8 * args.n), f"--n {args.n}: Monte-Carlo over a cone in R^{args.n}")
            x = np.zeros(args.n)
            x[: args.s] = 1.0
            res = statistical_dimension(L1DescentCone(x), "montecarlo", samples=args.samples, seed=args.seed)
    else:
        if args.method == "almt-bound":
            raise UsageError("--method almt-bound is for --cone l1-descent; the orthant has the closed form n/2")
        res = statistical_dimension(NonnegativeOrthant(args.n), args.method, samples=args.samples, seed=args.seed)
    _print(res, args.json)
    return 0


def cmd_formulas(args: argparse.Namespace) -> int:
    from .formulas import FORMULAS, render
    names = args.names or None
    if names:
        unknown = [n for n in names if n not in FORMULAS]
        if unknown:
            raise UsageError(f"unknown formula(s) {unknown}; known: {sorted(FORMULAS)}")
    print(render(names, latex=args.latex))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .io.outputs import check_output_folder
    from .report.build import default_inputs, load_config, write_report
    # Everything is validated before the disk changes: the config (network sizes included), then
    # the output folder; write_report builds the report beside it and moves it in when complete.
    problem, inputs = load_config(args.config) if args.config is not None else (None, None)
    check_output_folder(args.out, force=args.force)
    if args.full:
        if args.no_experiments:
            raise UsageError("--full enlarges the phase diagram, which --no-experiments leaves out; choose one")
        inputs = inputs if inputs is not None else default_inputs()
        inputs["report"] = {**inputs.get("report", {}), "full": True}
    out = write_report(args.out, force=args.force, progress=not args.quiet, problem=problem, inputs=inputs,
                       experiments=False if args.no_experiments else None, config=args.config)
    print(f"report written to {out}/report.html (also report.md, results.json, tables.tex, experiment.toml)")
    results = json.loads((out / "results.json").read_text())
    violated = sum(v["violated"] for v in results["verdicts"])
    missed = sum(v["observations_not_reproduced"] for v in results["verdicts"])
    # The last line on stderr says what was found and where to read it; the status follows report_status.
    if violated:
        print(f"boundcalc: {violated} theorem claim(s) violated; see the verdict table at the top of "
              f"{out}/report.html", file=sys.stderr)
    if missed:
        print(f"boundcalc: {missed} of the talk's figure readings not reproduced at boundcalc's sizes (observations, "
              f"not theorem claims{'' if args.strict else '; --strict makes this exit 1'}); see the verdict table "
              f"at the top of {out}/report.html", file=sys.stderr)
    return report_status(violated, missed, args.strict)


def report_status(violated: int, not_reproduced: int, strict: bool) -> int:
    """Exit status of ``report`` and ``claim``: 1 when a theorem claim is violated, or, with ``strict``,
    when an observation of the talk's figures is not reproduced; 0 otherwise."""
    return 1 if violated or (strict and not_reproduced) else 0


def _needs_torch(command: str) -> None:
    import importlib.util
    if importlib.util.find_spec("torch") is None:
        raise UsageError(f"{command} trains in torch, which is not installed: pip install 'boundcalc[torch]'")


def cmd_dip(args: argparse.Namespace) -> int:
    _needs_torch("dip")
    from .verification.dip import run_dip
    module = None
    if args.torch_model is not None:
        from .nets.torch import load_model_factory
        module = load_model_factory(args.torch_model)
    size = parse_shape(args.size)
    res = run_dip(args.problem, size=size, net=args.net, optimizer=args.optimizer, iterations=args.iterations,
                  seed=args.seed, net_seed=args.net_seed, lr=args.lr, step=args.step, alpha=args.alpha,
                  beta=args.beta, channels=args.channels, depth=args.depth, activation=args.activation,
                  norm=args.norm, module=module, mechanism_checkpoints=args.mechanism,
                  progress=not args.json and sys.stderr.isatty(), device=args.device)
    inputs = {"problem": args.problem, "size": list(size), "net": args.net, "optimizer": args.optimizer,
              "iterations": args.iterations, "seed": args.seed, "net_seed": args.net_seed,
              "torch_model": args.torch_model, "mechanism": args.mechanism, "device": args.device}
    if args.json:
        _print(res, True, inputs)
    else:
        y = f"PSNR(y) {res.psnr_y:.2f} dB; " if res.psnr_y is not None else ""
        print(f"{res.problem} {size[0]}x{size[1]}, {res.net} net (p = {res.parameters}), {res.optimizer}, "
              f"{res.end_iteration} iterations")
        print(f"{y}best {res.best_psnr:.2f} dB at ℓ = {res.best_iteration}; end {res.end_psnr:.2f} dB")
        if res.mechanism is not None:
            m = res.mechanism
            print(f"mechanism: {m.verdict}")
            print(f"  min σ_min(J)/σ₀ = {m.min_sigma_ratio:.3g}, max ‖θ − θ₀‖/R′ = {m.max_ball_ratio:.3g} "
                  f"(R′ = {m.R_prime:.3g}, {m.R_prime_dynamics}), measured μ = σ_A²·min σ_min(J)² = "
                  f"{m.mu_measured:.3g} (a measurement, not the theorem's)")
    return 0


def cmd_stopping(args: argparse.Namespace) -> int:
    _needs_torch("stopping")
    from .verification.stopping_comparison import check_comparison, check_runs_folder, stopping_comparison
    size = parse_shape(args.size)
    nets = tuple(args.net)
    opts = tuple(args.optimizer)
    seeds, iterations = (2, 300) if args.quick else (args.seeds, args.iterations)
    window, patience = (args.window, args.patience) if not args.quick else (50, 100)
    # before any work or cluster: a size the decoder cannot make, no GPU, a folder of someone else's files
    check_comparison(args.problem, size=size, nets=nets, optimizers=opts, seeds=seeds, noise_factors=args.noise,
                     iterations=iterations, device=args.device)
    if args.dask is not None and args.device != "cpu":
        raise UsageError("--dask trains the runs on the cluster's CPU workers; drop --device")
    if args.out is not None:
        check_runs_folder(args.out)
    kw = dict(size=size, nets=nets, optimizers=opts, seeds=seeds, noise_factors=tuple(args.noise),
              iterations=iterations, out=args.out, window=window, patience=patience, sure=not args.no_sure,
              progress=not args.json and sys.stderr.isatty(), device=args.device,
              announce=lambda line: print(f"boundcalc: {line}", file=sys.stderr, flush=True))
    if args.dask is None:
        res = stopping_comparison(args.problem, **kw)
    else:
        from .verification.sweeps import dask_executor, parse_dask_target
        parse_dask_target(args.dask)
        with dask_executor(args.dask) as executor:
            res = stopping_comparison(args.problem, executor=executor, **kw)
    figure = None
    if args.out is not None:
        from ._core import close_figure
        from .verification.stopping_comparison import plot_comparison
        fig = plot_comparison(res)
        figure = Path(args.out) / "stopping_rules.png"
        tmp = figure.with_name(f".{figure.name}.tmp")
        fig.savefig(tmp, dpi=110, format="png")
        close_figure(fig)
        tmp.replace(figure)  # atomic: an interrupted write leaves the previous figure
    _print({"table": list(res.table), "settings": res.settings, "runs": list(res.runs)} if args.json else res,
           args.json,
           {"problem": args.problem, "size": list(size), "quick": args.quick, "out": args.out, "dask": args.dask,
            "device": args.device})
    if figure is not None and not args.json:
        print(f"figure: {figure} (dB lost per rule, one box per rule)")
    return 0


def cmd_claim(args: argparse.Namespace) -> int:
    from .report.build import load_config
    from .report.checks import recheck
    problem, inputs = load_config(args.config) if args.config is not None else (None, None)
    res = recheck(args.claim_id, run=args.run, p=args.p, problem=problem, inputs=inputs, progress=not args.json)
    _print(res, args.json, {"claim_id": args.claim_id, "run": args.run, "p": args.p, "config": args.config})
    return report_status(res.status == "violated", res.status == "not_reproduced", args.strict)


# ----------------------------------------------------------------------------- parser

def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    p = _Parser(prog="boundcalc", description="Bound calculator and theory verifier for the Deep "
                "Inverse Prior trained with inertia (ISEHD / IGAHD).",
                epilog="exit status:\n" + "\n".join(f"  {code:>3}  {what}" for code, what in EXIT_STATUSES.items()),
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"boundcalc {__version__}")
    memory_help = (f"memory limit for any allocation, e.g. 8G (default: what the system reports available; "
                   f"the environment variable {ENV_VAR} sets it too); accepted before or after the command")
    p.add_argument("--max-memory", metavar="SIZE", default=None, help=memory_help)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    s = sub.add_parser("spectrum", help="σ_A, ‖A‖, κ(A) and rank of a forward operator")
    s.add_argument("--operator", metavar="A.npy", help="dense operator as a .npy array")
    s.add_argument("--gradient2d", metavar="N1xN2", help="2-D forward-difference gradient")
    s.add_argument("--boundary", choices=["periodic", "neumann"], default="periodic",
                   help="boundary of the gradient operator: periodic (wrap-around) or neumann (no difference "
                        "across the last row/column)")
    s.add_argument("--convolution", metavar="KERNEL.npy", help="periodic 2-D convolution kernel")
    s.add_argument("--shape", metavar="N1xN2", help="image shape for --convolution")
    s.add_argument("--rtol", type=POS_FLOAT, default=None, help="relative rank tolerance")
    add_json_option(s)
    s.set_defaults(func=cmd_spectrum)

    c = sub.add_parser("check-init", help="is this initialization non-degenerate? (THEORY §3)")
    add_problem_options(c)
    add_dynamics_option(c, "the dynamics whose radius R′ the test uses (ISEHD, IGAHD, gradient flow, GD)")
    c.add_argument("--estimate-lipschitz", action="store_true",
                   help="for a network without a certified bound (--torch-model): adversarial estimate (a lower "
                        "bound) of Lip(J) on B(θ₀, R′), next to the requirement σ₀/(2R′)")
    add_device_option(c)
    add_json_option(c)
    c.set_defaults(func=cmd_check_init)

    w = sub.add_parser("width", help="network width required by the theorem (THEORY §6) and by the instance")
    add_problem_options(w)
    w.add_argument("--snr", type=POS_FLOAT, default=None, help="SNR (default ‖A x̄‖/‖ε‖ of the built-in problem)")
    w.add_argument("--c1", type=POS_FLOAT, default=1.0, help="absolute constant c1 (unknown; default 1)")
    w.add_argument("--c2", type=POS_FLOAT, default=1.0, help="absolute constant c2 (unknown; default 1)")
    w.add_argument("--C", type=POS_FLOAT, default=1.0, help="leading absolute constant C (unknown; default 1)")
    w.add_argument("--instance", action="store_true", help="also search the instance width")
    w.add_argument("--trials", type=POS_INT, default=40,
                   help="fresh draws for the pass probability (--instance; the selecting draw is left out)")
    add_dynamics_option(w, "the dynamics whose non-degeneracy test the instance width uses")
    add_json_option(w)
    w.set_defaults(func=cmd_width)

    b = sub.add_parser("bounds", help="rates, envelopes, early-stopping times, x-space terms (THEORY §3–§5)")
    add_problem_options(b)
    b.add_argument("--times", type=NONNEG_FLOAT, nargs="+", default=None, help="times for the envelopes")
    add_lam_min_option(b)
    b.add_argument("--dist", type=NONNEG_FLOAT, default=None,
                   help="dist(x̄, Σ′) for the approximation term (needs --lam-min; without it the x-space value "
                        "is named 'bound assuming x̄ ∈ Σ′')")
    b.add_argument("--gd-step", type=POS_FLOAT, default=None, help="GD step γ for the GD early-stopping iteration")
    add_json_option(b)
    b.set_defaults(func=cmd_bounds)

    v = sub.add_parser("verify", help="run the dynamics and check every claim against the trajectory")
    add_problem_options(v)
    add_dynamics_option(v, "the dynamics to run and check")
    v.add_argument("--t-max", type=POS_FLOAT, default=None, help="horizon for isehd/gf (default 1.5·T_ES)")
    v.add_argument("--iterations", type=POS_INT, default=5000, help="iterations for igahd/gd")
    v.add_argument("--step", type=POS_FLOAT, default=None, help="step s (igahd, default 0.01) or γ (gd)")
    v.add_argument("--form", choices=["ode", "slide"], default="ode",
                   help="IGAHD form: 'ode' (momentum 1 − α√s, β√s: the discretization of ISEHD) or 'slide' "
                        "(αs, βs²: the slide before the phase diagram, literally); recorded as dynamics.form")
    v.add_argument("--alpha", type=NONNEG_FLOAT, default=None,
                   help="viscous damping α (default the theorem's σ₀σ_A; another value makes the ISEHD envelope "
                        "claims not applicable)")
    v.add_argument("--beta", type=NONNEG_FLOAT, default=None,
                   help="Hessian damping β (default the theorem's 1/(2α); likewise)")
    add_lam_min_option(v)
    v.add_argument("--dist", type=NONNEG_FLOAT, default=None,
                   help="dist(x̄, Σ′) (default: bounded from the run; needs --lam-min)")
    v.add_argument("--compare-gf", action="store_true", help="also run GF and compare decay exponents")
    v.add_argument("--state", choices=["auto", "reduced", "full"], default="auto",
                   help="coordinates of the run: the exact reduced state or θ itself (auto: the smaller)")
    v.add_argument("--dtype", choices=["float64", "float32"], default="float64",
                   help="precision of the dynamics (float64 by default; recorded in the JSON)")
    add_device_option(v)
    add_json_option(v)
    v.set_defaults(func=cmd_verify)

    pd = sub.add_parser("phase-diagram", help="IGAHD/GD success probability over a (k, α) grid (resumable)",
                        description="The slide's measurement (THEORY §11): the probability that IGAHD reaches "
                        "numerical accuracy on the loss within the iteration budget, A_ij iid N(0, 1/m), β = 0.05, "
                        "15000 iterations — what the talk states. Every other setting (n, m, d, the widths, the "
                        "dampings, s, the tolerance, the trials, the seed) is boundcalc's choice: the talk gives "
                        "none of them.")
    choice = "boundcalc's choice; the talk gives none"
    pd.add_argument("--n", type=POS_INT, default=50, help=f"signal size n ({choice})")
    pd.add_argument("--m", type=POS_INT, default=25, help=f"measurements m ({choice})")
    pd.add_argument("--d", type=POS_INT, default=10, help=f"input size d of the generator ({choice})")
    pd.add_argument("--ks", type=POS_INT, nargs="+", default=[10, 100, 1000], help=f"widths k ({choice})")
    pd.add_argument("--alphas", type=NONNEG_FLOAT, nargs="+", default=[0.0, 100.0, 300.0, 600.0, 900.0],
                    help=f"viscous dampings α (default for form slide: 0 = no inertia up to below 1/s; {choice})")
    pd.add_argument("--beta", type=NONNEG_FLOAT, default=0.05, help="Hessian damping β (the talk's 0.05)")
    pd.add_argument("--step", type=POS_FLOAT, default=1e-3, help=f"step s ({choice})")
    pd.add_argument("--iterations", type=POS_INT, default=15000,
                    help="iteration budget (the talk's 15000); the report also reads the sentences at 4× it")
    pd.add_argument("--trials", type=POS_INT, default=10, help=f"seeded problems and networks per cell ({choice})")
    pd.add_argument("--loss-tol", type=POS_FLOAT, default=1e-6,
                    help=f"'numerical accuracy on the loss': L ≤ this ({choice})")
    pd.add_argument("--seed", type=NONNEG_INT, default=0, help="seed of every draw of the sweep")
    add_device_option(pd)
    pd.add_argument("--form", choices=["ode", "slide"], default="slide",
                    help="IGAHD form: 'ode' (1 − α√s, β√s) or 'slide' (αs, βs², the slide before the figure)")
    pd.add_argument("--out", default="reports/phase_diagram", help="folder for cells, JSON and figure (resumes)")
    pd.add_argument("--force", action="store_true",
                    help="replace phase_diagram.png/.json in --out even when no sweep's cells/ are beside them")
    pd.add_argument("--dask", metavar="ADDRESS|local:N", default=None,
                    help="run the rows on dask.distributed: the address of a running scheduler (tcp://HOST:PORT), "
                         "or local:N to start a LocalCluster of N worker processes (needs boundcalc[dask])")
    pd.add_argument("--full", action="store_true",
                    help="the talk's size: n = 50, m = 25, 10 widths (10 … 10⁴) × 10 α (0 … 900, form slide, "
                         "s = 1e-3), 20 trials, 15000 iterations (overrides the grid options)")
    add_json_option(pd)
    pd.set_defaults(func=cmd_phase_diagram)

    co = sub.add_parser("cone", help="certified bracket on λ_min(A; C) over a cone (THEORY §8)")
    co.add_argument("--operator", required=True, metavar="A.npy", help="the forward operator A, an m×n .npy array")
    co.add_argument("--cone", required=True, choices=["l1-descent", "subspace", "orthant", "polyhedral", "generated"],
                    help="the cone C: ℓ1 descent cone at --x, span of --basis, the nonnegative orthant, {z : Gz ≥ 0} "
                         "(--G), or {Dλ : λ ≥ 0} (--D)")
    co.add_argument("--x", metavar="x.npy", help="point of the ℓ1 descent cone")
    co.add_argument("--basis", metavar="U.npy", help="basis of the subspace")
    co.add_argument("--G", metavar="G.npy", help="polyhedral cone {z : Gz >= 0}")
    co.add_argument("--D", metavar="D.npy", help="generators of {Dλ : λ >= 0}")
    co.add_argument("--solver", default="auto", choices=["auto", "clarabel", "scs"],
                    help="SDP solver (auto: Clarabel for small SDPs, SCS above)")
    co.add_argument("--seed", type=NONNEG_INT, default=0, help="seed of the upper end's projected-gradient restarts")
    co.add_argument("--route", default="auto", choices=["auto", "dnn", "shor-rlt", "zspace"],
                    help="relaxation form: dnn (doubly-nonnegative coordinates; orthant and ℓ1 descent cone), "
                         "shor-rlt (lifted form, any polyhedral cone), zspace (ℓ1 descent cone: a size-n "
                         "certificate sought without an SDP solver for --polish-seconds, 60 s when 0); "
                         "auto: dnn where it exists")
    co.add_argument("--accuracy", type=POS_FLOAT, default=1e-3,
                    help="SCS eps_abs = eps_rel (the answer is re-certified in float64 whatever the accuracy)")
    co.add_argument("--target-gap", type=POS_FLOAT, default=1e-4,
                    help="relative gap the certificate polish aims at (with --polish-seconds)")
    co.add_argument("--polish-seconds", type=NONNEG_FLOAT, default=0.0,
                    help="time allowed to polish the dnn certificate towards --target-gap (default 0: no polish)")
    add_json_option(co)
    co.set_defaults(func=cmd_cone)

    sd = sub.add_parser("statdim", help="statistical dimension δ(C) (THEORY §8)")
    sd.add_argument("--cone", required=True, choices=["l1-descent", "orthant"],
                    help="ℓ1 descent cone at an s-sparse point (--s), or the nonnegative orthant")
    sd.add_argument("--n", type=POS_INT, required=True, help="ambient dimension n")
    sd.add_argument("--s", type=POS_INT, default=None, help="sparsity (ℓ1 descent cone)")
    sd.add_argument("--method", choices=["almt-bound", "closed-form", "montecarlo", "exact"], default=None,
                    help="what to compute: almt-bound (ℓ1: ALMT's upper bound and bracket, the ℓ1 default), "
                         "closed-form (orthant: n/2, its default; 'exact' is the same), montecarlo (an estimate)")
    sd.add_argument("--samples", type=_number(int, 2, False), default=2000,
                    help="Gaussian samples of the Monte-Carlo estimate (--method montecarlo)")
    sd.add_argument("--seed", type=NONNEG_INT, default=0, help="seed of the Monte-Carlo samples")
    add_json_option(sd)
    sd.set_defaults(func=cmd_statdim)

    f = sub.add_parser("formulas", help="every formula of the package with its source")
    f.add_argument("names", nargs="*", help="only these formulas")
    f.add_argument("--latex", action="store_true", help="render as LaTeX")
    f.set_defaults(func=cmd_formulas)

    r = sub.add_parser("report", help="verification report of the built-in default problem")
    r.add_argument("--out", default="reports/default", help="output folder (default reports/default)")
    r.add_argument("--force", action="store_true",
                   help="replace an existing report folder (only one holding a boundcalc manifest and nothing else)")
    r.add_argument("--no-experiments", action="store_true",
                   help="only the problem's sections (skip the imaging problems, the widths and the phase diagram)")
    r.add_argument("--config", metavar="experiment.toml", default=None,
                   help="[problem] m, n, noise_norm, seed; [network] d, k, activation, v_init, seed; [report] "
                        "experiments (true/false). Every report folder holds the experiment.toml that reproduces it")
    r.add_argument("--quiet", action="store_true", help="no progress bar (it is shown only on a terminal anyway)")
    r.add_argument("--full", action="store_true",
                   help="the phase diagram at the talk's size (n = 50, m = 25, 10 widths × 10 α, 20 trials, 15000 "
                        "and 4× 15000 iterations) instead of the report's small grid; the estimated time on this "
                        "machine is printed before it starts")
    r.add_argument("--strict", action="store_true",
                   help="also exit 1 when one of the talk's figure readings (an observation) is not reproduced; "
                        "without it only a violated theorem claim exits 1")
    r.set_defaults(func=cmd_report)

    dp = sub.add_parser("dip", help="train a DIP (convolutional by default) in torch on an imaging problem: PSNR "
                                    "of y, the best and the last iterate, and the theorem's mechanism on request")
    add_dip_options(dp, size="64x64", many=False)
    dp.add_argument("--iterations", type=POS_INT, default=1500, help="iterations (default 1500)")
    dp.add_argument("--lr", type=POS_FLOAT, default=1e-2, help="Adam's learning rate (default 1e-2)")
    dp.add_argument("--step", type=POS_FLOAT, default=None,
                    help="s of IGAHD / γ of GD (default 1/λ, λ = ‖A J(θ₀)‖² by power iteration)")
    dp.add_argument("--alpha", type=NONNEG_FLOAT, default=1.0, help="IGAHD's α (default 1)")
    dp.add_argument("--beta", type=NONNEG_FLOAT, default=0.05,
                    help="IGAHD's β (default 0.05, lowered to √s/2 when larger, which keeps the scheme stable)")
    dp.add_argument("--channels", type=POS_INT, default=32, help="conv net: channels per layer (default 32)")
    dp.add_argument("--depth", type=POS_INT, default=3, help="conv net: upsampling blocks (default 3)")
    dp.add_argument("--activation", choices=["softplus", "relu", "elu", "gelu", "tanh"], default="softplus",
                    help="conv net: activation (default softplus, smooth as the theorem needs; relu as practice)")
    dp.add_argument("--norm", choices=["batch", "none"], default="batch", help="conv net: normalisation")
    dp.add_argument("--seed", type=NONNEG_INT, default=0, help="problem seed (the noise draw)")
    dp.add_argument("--net-seed", type=NONNEG_INT, default=0, help="network seed (weights and input u)")
    dp.add_argument("--torch-model", metavar="FILE.py:FUNC", default=None,
                    help="your own network: FUNC() returns (module, u); FILE.py is executed")
    dp.add_argument("--mechanism", type=NONNEG_INT, default=0, metavar="N",
                    help="measure the theorem's mechanism at N log-spaced checkpoints (σ_min(J) brackets, "
                         "‖θ − θ₀‖ against R′); 0: off (default)")
    add_device_option(dp, TORCH_DEVICE_HELP)
    add_json_option(dp)
    dp.set_defaults(func=cmd_dip)

    sp = sub.add_parser("stopping", help="stopping rules side by side on the same DIP runs: dB lost against the "
                                         "oracle best, iterations spent, never-fired counts")
    add_dip_options(sp, size="32x32", many=True)
    sp.add_argument("--seeds", type=POS_INT, default=5, help="seeds per cell: problem noise and network (default 5)")
    sp.add_argument("--noise", type=POS_FLOAT, nargs="+", default=[0.5, 1.0, 2.0],
                    help="noise levels as multiples of the talk's σ (default 0.5 1 2)")
    sp.add_argument("--iterations", type=POS_INT, default=1500, help="iterations per run (default 1500)")
    sp.add_argument("--window", type=POS_INT, default=100, help="ES-WMV's window W (default 100, published)")
    sp.add_argument("--patience", type=POS_INT, default=1000, help="ES-WMV/ES-EMV patience P (default 1000)")
    sp.add_argument("--no-sure", action="store_true", help="leave out SURE (it costs a second run per run)")
    sp.add_argument("--quick", action="store_true",
                    help="a small version: 2 seeds, 300 iterations, W = 50, P = 100")
    sp.add_argument("--out", default=None, help="keep each finished run in OUT/runs/ and reuse it (resume)")
    sp.add_argument("--dask", metavar="ADDRESS|local:N", default=None,
                    help="run the runs on dask.distributed, as phase-diagram does: a scheduler's address "
                         "(tcp://HOST:PORT) or local:N worker processes (needs boundcalc[dask]); each run is kept here")
    add_device_option(sp, TORCH_DEVICE_HELP + "; the runs train in turn on the one GPU, kept under names of "
                      "their own (not with --dask)")
    add_json_option(sp)
    sp.set_defaults(func=cmd_stopping)

    cl = sub.add_parser("claim", help="re-check one claim of a report alone, as the report checked it")
    cl.add_argument("claim_id", help="the claim's id, as in the report's claim tables (e.g. loss_envelope, "
                                     "phase_gain_over, lojasiewicz_rate)")
    cl.add_argument("--run", choices=["isehd", "igahd", "gf"], default=None,
                    help="for the problem's claims: the dynamics whose run makes the claim")
    cl.add_argument("--p", type=int, default=None,
                    help="for lojasiewicz_rate: the exponent p of the test function abs(x)^p (as in the report)")
    cl.add_argument("--config", metavar="experiment.toml", default=None,
                    help="the report's experiment file (default: the built-in default report)")
    cl.add_argument("--strict", action="store_true",
                    help="exit 1 also when the claim is an observation of the talk's figures that is not reproduced")
    add_json_option(cl)
    cl.set_defaults(func=cmd_claim)
    # The global option is accepted after the command too; SUPPRESS keeps a value given before it.
    for command in sub.choices.values():
        command.add_argument("--max-memory", metavar="SIZE", default=argparse.SUPPRESS, help=memory_help)
    return p


#: Seconds a SIGTERM may take to end the command before boundcalc exits with 143 regardless.
TERMINATE_GRACE_SECONDS = 30.0
_term_state: dict[str, Any] = {"done": threading.Event(), "watchdog": None}


def _exit_unless_done(done: threading.Event) -> None:
    if not done.wait(TERMINATE_GRACE_SECONDS):
        remove_staging_folders()  # os._exit skips every finally: a half-written output must not stay behind
        print("boundcalc: terminated (SIGTERM; the interrupt was swallowed inside a library, exiting)",
              file=sys.stderr, flush=True)
        os._exit(143)


def _terminate(signum: int, frame: Any) -> None:
    # The exception below can be swallowed: a library's bare except, or a __del__ running when it lands,
    # where Python only prints it (seen once: a test's verify kept running minutes after SIGTERM). A
    # watchdog thread then ends the process with 143 once the grace period has passed.
    if _term_state["watchdog"] is None:
        _term_state["watchdog"] = threading.Thread(target=_exit_unless_done, args=(_term_state["done"],),
                                                   daemon=True)
        _term_state["watchdog"].start()
    raise Terminated(f"terminated by signal {signum}")


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"boundcalc: warning: {message}", file=sys.stderr)


def _interrupt_status(exc: KeyboardInterrupt, when: str) -> int:
    """The one line and the status of an interrupt: 143 for SIGTERM (:class:`Terminated`), 130 for Ctrl-C."""
    if isinstance(exc, Terminated):
        print(f"boundcalc: terminated (SIGTERM){when}", file=sys.stderr)
        return 143
    print(f"boundcalc: interrupted (Ctrl-C){when}", file=sys.stderr)
    return 130


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``boundcalc`` console script; returns the exit status.

    Every error path ends in one line on stderr and an exit status, never a traceback: 2 for bad
    input, unusable files and sizes that cannot fit; 3 for a numerical failure; 130 for Ctrl-C and
    143 for SIGTERM (a sweep keeps its finished cells and says where).
    """
    previous = signal.getsignal(signal.SIGTERM)
    previous_limit = os.environ.get(ENV_VAR)  # --max-memory holds for this command only (main may run in-process)
    in_main = threading.current_thread() is threading.main_thread()  # signal handlers need it
    if in_main:
        _term_state.update(done=threading.Event(), watchdog=None)
        signal.signal(signal.SIGTERM, _terminate)
    try:  # the imports below take a second (sympy, scipy): an interrupt there is answered in one line too
        from numpy.linalg import LinAlgError

        from .verification.sweeps import SweepInterrupted, WorkerDied
        parser = build_parser()
    except KeyboardInterrupt as exc:  # Terminated (SIGTERM) included
        return _interrupt_status(exc, " while starting")
    args: argparse.Namespace | None = None  # the handlers below name the user's network when it failed
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning
            args = parser.parse_args(argv)
            if args.max_memory is not None:
                parse_bytes(args.max_memory)  # refuse a malformed size before anything else
                os.environ[ENV_VAR] = args.max_memory
            if args.command is None:
                parser.print_help()
                return 2
            func: Callable[[argparse.Namespace], int] = args.func
            return func(args)
    except SweepInterrupted as exc:
        print(f"boundcalc: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt as exc:
        return _interrupt_status(exc, "; partial outputs were removed")
    except LinAlgError as exc:  # a ValueError subclass, but a numerical failure
        print(f"boundcalc: numerical failure: {exc}", file=sys.stderr)
        return 3
    except (ValueError, TypeError) as exc:  # UsageError, file, output-folder and memory refusals
        text = _one_line(exc)
        model = getattr(args, "torch_model", None)
        if model is not None and text.startswith("module: "):  # the user's network failed: say which one
            text = f"--torch-model {model}: {text.removeprefix('module: ')}"
        print(f"boundcalc: error: {text}", file=sys.stderr)
        return 2
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        print(f"boundcalc: error: {where}{_one_line(reason)}", file=sys.stderr)
        return 2
    except MemoryError:
        print("boundcalc: error: out of memory; a smaller size, or --max-memory below what is free, makes "
              "boundcalc refuse such sizes up front", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # a sweep's WorkerDied says what happened itself: not a numerical failure
        what = "" if isinstance(exc, WorkerDied) else "numerical failure: "
        print(f"boundcalc: {what}{_one_line(exc)}", file=sys.stderr)
        return 3
    finally:
        if previous_limit is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = previous_limit
        if in_main:
            signal.signal(signal.SIGTERM, previous)
            _term_state["done"].set()  # a watchdog started by a SIGTERM stands down


def _one_line(exc: Any) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
