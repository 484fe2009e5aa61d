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


def cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report
    try:
        out = write_report(args.out, force=args.force)
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

    r = sub.add_parser("report", help="verification report of the built-in default problem")
    r.add_argument("--out", default="reports/default", help="output folder (default reports/default)")
    r.add_argument("--force", action="store_true", help="overwrite an existing output folder")
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
