"""``boundcalc <command>``: a thin command line over the public Python API.

Exit status: 0 success; 1 a check ran and found a hypothesis false or a claim violated;
2 bad input or usage (one line on stderr, no traceback); 3 a numerical method failed to
produce a trustworthy number (solver status, non-convergence).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._core import jsonable

__all__ = ["main"]


class UsageError(ValueError):
    """Bad command-line input: reported on one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors: one line, exit 2
        raise UsageError(message)


def load_array(path: str, name: str) -> np.ndarray:
    """Load a ``.npy`` array without pickle (user files never execute code)."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{name}: file not found: {path}")
    try:
        return np.load(p, allow_pickle=False)
    except ValueError as exc:
        raise UsageError(f"{name}: cannot load {path} without pickle ({exc})") from None


def parse_shape(text: str) -> tuple[int, int]:
    """Parse ``64x64`` into (64, 64)."""
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise UsageError(f"shape must look like 64x64, got {text!r}")
    return int(parts[0]), int(parts[1])


def _print(obj: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(jsonable(obj.to_dict() if hasattr(obj, "to_dict") else obj), indent=2))
    else:
        print(obj)


# ----------------------------------------------------------------------------- commands

def cmd_spectrum(args: argparse.Namespace) -> int:
    from .operators import Convolution2D, Gradient2D, spectrum
    chosen = [a for a in (args.operator, args.gradient2d, args.convolution) if a is not None]
    if len(chosen) != 1:
        raise UsageError("give exactly one of --operator, --gradient2d, --convolution")
    if args.operator is not None:
        A = load_array(args.operator, "--operator")
    elif args.gradient2d is not None:
        A = Gradient2D(parse_shape(args.gradient2d), boundary=args.boundary)
    else:
        if args.shape is None:
            raise UsageError("--convolution needs --shape N1xN2")
        A = Convolution2D(load_array(args.convolution, "--convolution"), parse_shape(args.shape))
    _print(spectrum(A, rtol=args.rtol), args.json)
    return 0


def add_problem_options(p: argparse.ArgumentParser, *, network: bool = True) -> None:
    """Options shared by check-init, width, bounds and verify: a built-in problem or user files."""
    from .problems import DEFAULT_NETWORK, DEFAULT_PROBLEM
    g = p.add_argument_group("problem (built-in, or user files)")
    g.add_argument("--problem", choices=["gaussian"], default=None,
                   help="built-in problem: A with iid N(0, 1/m) entries (default when no --operator)")
    g.add_argument("--m", type=int, default=DEFAULT_PROBLEM["m"], help="rows of A (built-in problem)")
    g.add_argument("--n", type=int, default=DEFAULT_PROBLEM["n"], help="columns of A (built-in problem)")
    g.add_argument("--noise-norm", type=float, default=None,
                   help=f"‖ε‖ (built-in default {DEFAULT_PROBLEM['noise_norm']}; for user data, if known)")
    g.add_argument("--signal-norm", type=float, default=1.0, help="‖x̄‖ of the built-in problem (default 1)")
    g.add_argument("--seed", type=int, default=DEFAULT_PROBLEM["seed"], help="seed of the built-in problem")
    g.add_argument("--operator", metavar="A.npy", help="user operator (needs --y)")
    g.add_argument("--y", metavar="y.npy", help="user observation")
    if network:
        h = p.add_argument_group("network")
        h.add_argument("--init", metavar="init.npz", help="user initialization with arrays V, W, u")
        h.add_argument("--k", type=int, default=DEFAULT_NETWORK["k"], help="width")
        h.add_argument("--d", type=int, default=DEFAULT_NETWORK["d"], help="input size")
        h.add_argument("--activation", default=DEFAULT_NETWORK["activation"],
                       help="tanh, sigmoid, softplus, sin (relu is refused by the theorems)")
        h.add_argument("--v-init", default=DEFAULT_NETWORK["v_init"], choices=["rademacher", "uniform", "gaussian"])
        h.add_argument("--net-seed", type=int, default=DEFAULT_NETWORK["seed"], help="seed of the network draw")


def problem_from_args(args: argparse.Namespace):
    """The Problem named by the shared options, and the inputs to record."""
    from .problems import DEFAULT_PROBLEM, gaussian_problem, make_problem
    if args.operator is not None:
        if args.problem is not None:
            raise UsageError("give either --problem or --operator, not both")
        if args.y is None:
            raise UsageError("--operator needs --y")
        A = load_array(args.operator, "--operator")
        y = load_array(args.y, "--y")
        prob = make_problem(A, y)
        if args.noise_norm is not None:
            if args.noise_norm < 0:
                raise UsageError(f"--noise-norm must be >= 0, got {args.noise_norm}")
            prob.info["noise_norm_given"] = args.noise_norm
        return prob, {"operator": args.operator, "y": args.y, "noise_norm": args.noise_norm}
    if args.y is not None:
        raise UsageError("--y needs --operator")
    noise = DEFAULT_PROBLEM["noise_norm"] if args.noise_norm is None else args.noise_norm
    prob = gaussian_problem(args.m, args.n, noise_norm=noise, signal_norm=args.signal_norm, seed=args.seed)
    return prob, {"problem": "gaussian", "m": args.m, "n": args.n, "noise_norm": noise,
                  "signal_norm": args.signal_norm, "seed": args.seed}


def network_from_args(args: argparse.Namespace, n: int):
    """The generator named by the network options (a user --init or a seeded draw)."""
    from .generators import TwoLayerDIP
    if args.init is not None:
        path = Path(args.init)
        if not path.is_file():
            raise UsageError(f"--init: file not found: {args.init}")
        try:
            with np.load(path, allow_pickle=False) as data:
                missing = {"V", "W", "u"} - set(data.files)
                if missing:
                    raise UsageError(f"--init must hold arrays V, W, u; missing {sorted(missing)}")
                arrays = {key: data[key] for key in ("V", "W", "u")}
        except ValueError as exc:
            raise UsageError(f"--init: cannot load {args.init} without pickle ({exc})") from None
        net = TwoLayerDIP.from_arrays(arrays["V"], arrays["W"], arrays["u"], args.activation)
        return net, {"init": args.init, "activation": args.activation}
    net = TwoLayerDIP(n, args.d, args.k, args.activation, v_init=args.v_init, seed=args.net_seed)
    return net, {"k": args.k, "d": args.d, "activation": args.activation, "v_init": args.v_init,
                 "net_seed": args.net_seed}


def add_lam_min_option(p: argparse.ArgumentParser) -> None:
    """--lam-min, read back by :func:`lam_min_from_args` (bounds and verify)."""
    p.add_argument("--lam-min", type=float, nargs="+", default=None, metavar="L",
                   help="λ_min(A; T_Σ′) as a value, or a bracket LOWER UPPER (x-space terms)")


def lam_min_from_args(args: argparse.Namespace) -> float | tuple[float, float] | None:
    """--lam-min L (a value) or --lam-min LOWER UPPER (a bracket)."""
    if args.lam_min is None:
        return None
    if len(args.lam_min) > 2:
        raise UsageError("--lam-min takes one value or a bracket LOWER UPPER")
    return tuple(args.lam_min) if len(args.lam_min) == 2 else args.lam_min[0]


def cmd_check_init(args: argparse.Namespace) -> int:
    from .bounds import check_initialization
    prob, _ = problem_from_args(args)
    net, _ = network_from_args(args, prob.n)
    res = check_initialization(prob.A, prob.y, net, dynamics=args.dynamics)
    _print(res, args.json)
    return 0 if res.non_degenerate else 1


def cmd_width(args: argparse.Namespace) -> int:
    from .operators import spectrum
    from .width import instance_width, required_width
    only_formula = args.operator is not None and args.y is None
    if only_formula:
        if args.instance:
            raise UsageError("--instance needs an observation: give --y with --operator, or a built-in problem")
        if args.snr is None:
            raise UsageError("--operator alone needs --snr (no x̄ and ε to compute it from)")
        A = load_array(args.operator, "--operator")
        res = required_width(A, snr=args.snr, c1=args.c1, c2=args.c2, C=args.C)
        _print(res, args.json)
        return 0
    prob, _ = problem_from_args(args)
    spec = spectrum(prob.A)
    if args.snr is None and prob.snr is None:
        raise UsageError("--snr is needed for user data (x̄ and ε unknown)")
    res = required_width(prob.A, spec=spec, snr=args.snr, x_bar=prob.x_bar, noise_norm=prob.noise_norm,
                         c1=args.c1, c2=args.c2, C=args.C)
    out: dict[str, Any] = res.to_dict()
    if args.instance:
        iw = instance_width(prob.A, prob.y, d=args.d, activation=args.activation, v_init=args.v_init,
                            seed=args.net_seed, trials=args.trials, dynamics=args.dynamics,
                            progress=not args.json)
        out.update({"k_instance": iw.k_instance, "pass_probability": iw.pass_probability,
                    "pass_probability_ci": list(iw.ci), "instance": iw.to_dict(),
                    "ratio_theorem_to_instance": res.k_theorem / iw.k_instance if iw.found else None})
    if args.json:
        _print(out, True)
    else:
        print(res)
        if args.instance:
            print(iw)
            if iw.found:
                print(f"k_theorem / k_instance = {res.k_theorem / iw.k_instance:.4g}")
    return 0


def cmd_bounds(args: argparse.Namespace) -> int:
    from .bounds import check_initialization, compute_bounds
    prob, _ = problem_from_args(args)
    net, _ = network_from_args(args, prob.n)
    check = check_initialization(prob.A, prob.y, net, dynamics="isehd")
    noise = args.noise_norm if args.noise_norm is not None else prob.noise_norm
    lam = lam_min_from_args(args)
    res = compute_bounds(check, noise_norm=noise, times=args.times, lam_min=lam, dist=args.dist,
                         gd_step=args.gd_step)
    if args.json:
        _print(res, True)
    else:
        print(res)
        for x in res.x_space:
            print(x)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from .harness import verify
    prob, _ = problem_from_args(args)
    net, _ = network_from_args(args, prob.n)
    if args.noise_norm is not None and prob.noise is None:
        raise UsageError("--noise-norm with user data: x̄ and ε are unknown, so the claims that need them "
                         "are not applicable; omit it")
    lam = lam_min_from_args(args)
    res = verify(prob, net, dynamics=args.dynamics, t_max=args.t_max, iterations=args.iterations,
                 step=args.step, lam_min=lam, dist=args.dist, compare_gf=args.compare_gf)
    if args.json:
        print(json.dumps(jsonable(res.to_dict()), indent=2))
    else:
        print(res.summary())
    # 1 when a claim is violated, or when the theorem's hypothesis (non-degeneracy) is false.
    return 1 if res.any_violated or not res.non_degenerate else 0


def cmd_phase_diagram(args: argparse.Namespace) -> int:
    from .sweeps import phase_diagram, plot_phase_diagram
    out = Path(args.out)
    res = phase_diagram(n=args.n, m=args.m, d=args.d, ks=tuple(args.ks), alphas=tuple(args.alphas), beta=args.beta,
                        step=args.step, iterations=args.iterations, trials=args.trials, loss_tol=args.loss_tol,
                        seed=args.seed, out_dir=out, progress=not args.json)
    fig = plot_phase_diagram(res)
    fig.savefig(out / "phase_diagram.png", dpi=120, bbox_inches="tight")
    (out / "phase_diagram.json").write_text(json.dumps(jsonable(res.to_dict()), indent=2))
    if args.json:
        _print(res, True)
    else:
        print(res)
        print(f"IGAHD success (rows k = {res.ks}, columns α = {res.alphas}):\n{res.igahd}\nGD: {res.gd}")
        print(f"figure: {out / 'phase_diagram.png'}")
    return 0


def cmd_cone(args: argparse.Namespace) -> int:
    from .cones import (
        FinitelyGeneratedCone,
        L1DescentCone,
        NonnegativeOrthant,
        PolyhedralCone,
        Subspace,
        restricted_min_singular_value,
    )
    A = load_array(args.operator, "--operator")
    if A.ndim != 2:
        raise UsageError(f"--operator must be a 2-D array, got shape {A.shape}")
    n = A.shape[1]
    needs = {"l1-descent": ("x", args.x), "subspace": ("basis", args.basis), "polyhedral": ("G", args.G),
             "generated": ("D", args.D)}
    if args.cone in needs and needs[args.cone][1] is None:
        raise UsageError(f"--cone {args.cone} needs --{needs[args.cone][0]}")
    if args.cone == "l1-descent":
        cone = L1DescentCone(load_array(args.x, "--x"))
    elif args.cone == "subspace":
        cone = Subspace(load_array(args.basis, "--basis"))
    elif args.cone == "orthant":
        cone = NonnegativeOrthant(n)
    elif args.cone == "polyhedral":
        cone = PolyhedralCone(load_array(args.G, "--G"))
    else:
        cone = FinitelyGeneratedCone(load_array(args.D, "--D"))
    solver = "auto" if args.solver == "auto" else args.solver.upper()
    res = restricted_min_singular_value(A, cone, solver=solver, seed=args.seed)
    if args.json:
        d = res.to_dict()
        d.pop("witness")
        _print(d, True)
    else:
        print(res)
    return 0 if res.status.startswith("optimal") else 3


def cmd_statdim(args: argparse.Namespace) -> int:
    from .cones import L1DescentCone, NonnegativeOrthant, l1_statistical_dimension, statistical_dimension
    if args.cone == "l1-descent":
        if args.s is None:
            raise UsageError("--cone l1-descent needs --s (sparsity)")
        if args.method == "exact":
            res = l1_statistical_dimension(args.n, args.s)
        else:
            x = np.zeros(args.n)
            if not 1 <= args.s <= args.n:
                raise UsageError(f"--s must be in 1..n, got {args.s}")
            x[: args.s] = 1.0
            res = statistical_dimension(L1DescentCone(x), "montecarlo", samples=args.samples, seed=args.seed)
    else:
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
    from .report import load_config, write_report
    problem, inputs = load_config(args.config) if args.config is not None else (None, None)
    try:
        out = write_report(args.out, force=args.force, progress=True, problem=problem, inputs=inputs)
    except FileExistsError as exc:
        raise UsageError(str(exc)) from None
    print(f"report written to {out}/report.md and {out}/results.json")
    return 0


# ----------------------------------------------------------------------------- parser

def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    p = _Parser(prog="boundcalc", description="Bound calculator and theory verifier for the Deep "
                "Inverse Prior trained with inertia (ISEHD / IGAHD).")
    p.add_argument("--version", action="version", version=f"boundcalc {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    s = sub.add_parser("spectrum", help="σ_A, ‖A‖, κ(A) and rank of a forward operator")
    s.add_argument("--operator", metavar="A.npy", help="dense operator as a .npy array")
    s.add_argument("--gradient2d", metavar="N1xN2", help="2-D forward-difference gradient")
    s.add_argument("--boundary", choices=["periodic", "neumann"], default="periodic")
    s.add_argument("--convolution", metavar="KERNEL.npy", help="periodic 2-D convolution kernel")
    s.add_argument("--shape", metavar="N1xN2", help="image shape for --convolution")
    s.add_argument("--rtol", type=float, default=None, help="relative rank tolerance")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_spectrum)

    c = sub.add_parser("check-init", help="is this initialization non-degenerate? (THEORY §3)")
    add_problem_options(c)
    c.add_argument("--dynamics", choices=["isehd", "igahd", "gf", "gd"], default="isehd")
    c.add_argument("--json", action="store_true", help="print JSON")
    c.set_defaults(func=cmd_check_init)

    w = sub.add_parser("width", help="network width required by the theorem (THEORY §6) and by the instance")
    add_problem_options(w)
    w.add_argument("--snr", type=float, default=None, help="SNR (default ‖A x̄‖/‖ε‖ of the built-in problem)")
    w.add_argument("--c1", type=float, default=1.0, help="absolute constant c1 (unknown; default 1)")
    w.add_argument("--c2", type=float, default=1.0, help="absolute constant c2 (unknown; default 1)")
    w.add_argument("--C", type=float, default=1.0, help="leading absolute constant C (unknown; default 1)")
    w.add_argument("--instance", action="store_true", help="also search the instance width")
    w.add_argument("--trials", type=int, default=10, help="draws for the pass probability (--instance)")
    w.add_argument("--dynamics", choices=["isehd", "igahd", "gf", "gd"], default="isehd")
    w.add_argument("--json", action="store_true", help="print JSON")
    w.set_defaults(func=cmd_width)

    b = sub.add_parser("bounds", help="rates, envelopes, early-stopping times, x-space terms (THEORY §3–§5)")
    add_problem_options(b)
    b.add_argument("--times", type=float, nargs="+", default=None, help="times for the envelopes")
    add_lam_min_option(b)
    b.add_argument("--dist", type=float, default=0.0, help="dist(x̄, Σ′) for the approximation term")
    b.add_argument("--gd-step", type=float, default=None, help="GD step γ for the GD early-stopping iteration")
    b.add_argument("--json", action="store_true", help="print JSON")
    b.set_defaults(func=cmd_bounds)

    v = sub.add_parser("verify", help="run the dynamics and check every claim against the trajectory")
    add_problem_options(v)
    v.add_argument("--dynamics", choices=["isehd", "gf", "gd", "igahd"], default="isehd")
    v.add_argument("--t-max", type=float, default=None, help="horizon for isehd/gf (default 1.5·T_ES)")
    v.add_argument("--iterations", type=int, default=5000, help="iterations for igahd/gd")
    v.add_argument("--step", type=float, default=None, help="step s (igahd) or γ (gd)")
    add_lam_min_option(v)
    v.add_argument("--dist", type=float, default=None, help="dist(x̄, Σ′) (default: bounded from the run)")
    v.add_argument("--compare-gf", action="store_true", help="also run GF and compare decay exponents")
    v.add_argument("--json", action="store_true", help="print JSON")
    v.set_defaults(func=cmd_verify)

    pd = sub.add_parser("phase-diagram", help="IGAHD/GD success probability over a (k, α) grid (resumable)")
    pd.add_argument("--n", type=int, default=50)
    pd.add_argument("--m", type=int, default=25)
    pd.add_argument("--d", type=int, default=10)
    pd.add_argument("--ks", type=int, nargs="+", default=[10, 100, 1000])
    pd.add_argument("--alphas", type=float, nargs="+", default=[0.1, 1.0, 10.0, 30.0])
    pd.add_argument("--beta", type=float, default=0.05)
    pd.add_argument("--step", type=float, default=1e-3)
    pd.add_argument("--iterations", type=int, default=15000)
    pd.add_argument("--trials", type=int, default=10)
    pd.add_argument("--loss-tol", type=float, default=1e-6)
    pd.add_argument("--seed", type=int, default=0)
    pd.add_argument("--out", default="reports/phase_diagram", help="folder for cells, JSON and figure (resumes)")
    pd.add_argument("--json", action="store_true")
    pd.set_defaults(func=cmd_phase_diagram)

    co = sub.add_parser("cone", help="certified bracket on λ_min(A; C) over a cone (THEORY §8)")
    co.add_argument("--operator", required=True, metavar="A.npy")
    co.add_argument("--cone", required=True, choices=["l1-descent", "subspace", "orthant", "polyhedral", "generated"])
    co.add_argument("--x", metavar="x.npy", help="point of the ℓ1 descent cone")
    co.add_argument("--basis", metavar="U.npy", help="basis of the subspace")
    co.add_argument("--G", metavar="G.npy", help="polyhedral cone {z : Gz >= 0}")
    co.add_argument("--D", metavar="D.npy", help="generators of {Dλ : λ >= 0}")
    co.add_argument("--solver", default="auto", choices=["auto", "clarabel", "scs"],
                    help="SDP solver (auto: Clarabel for small SDPs, SCS above)")
    co.add_argument("--seed", type=int, default=0)
    co.add_argument("--json", action="store_true")
    co.set_defaults(func=cmd_cone)

    sd = sub.add_parser("statdim", help="statistical dimension δ(C) (THEORY §8)")
    sd.add_argument("--cone", required=True, choices=["l1-descent", "orthant"])
    sd.add_argument("--n", type=int, required=True)
    sd.add_argument("--s", type=int, default=None, help="sparsity (ℓ1 descent cone)")
    sd.add_argument("--method", choices=["exact", "montecarlo"], default="exact")
    sd.add_argument("--samples", type=int, default=2000)
    sd.add_argument("--seed", type=int, default=0)
    sd.add_argument("--json", action="store_true")
    sd.set_defaults(func=cmd_statdim)

    f = sub.add_parser("formulas", help="every formula of the package with its source")
    f.add_argument("names", nargs="*", help="only these formulas")
    f.add_argument("--latex", action="store_true", help="render as LaTeX")
    f.set_defaults(func=cmd_formulas)

    r = sub.add_parser("report", help="verification report of the built-in default problem")
    r.add_argument("--out", default="reports/default", help="output folder (default reports/default)")
    r.add_argument("--force", action="store_true", help="overwrite an existing output folder")
    r.add_argument("--config", metavar="experiment.toml", default=None,
                   help="[problem] m, n, noise_norm, seed and [network] d, k, activation, v_init, seed")
    r.set_defaults(func=cmd_report)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``boundcalc`` console script; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except (UsageError, ValueError, TypeError) as exc:
        print(f"boundcalc: error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"boundcalc: numerical failure: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
