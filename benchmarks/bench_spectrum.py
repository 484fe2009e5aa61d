"""Exact structured spectra vs dense SVD vs scipy's svds (issue: operator spectra).

Prints, in one run, the time of each route for Convolution2D and Gradient2D at 64×64 and
the ratios against the structured route, then the structured route alone at 256×256.
Run: python benchmarks/bench_spectrum.py
"""

import time

import numpy as np
import scipy.linalg
import scipy.sparse.linalg as spla

from boundcalc import Convolution2D, Gradient2D, spectrum


def timed(fn, repeat=1):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def svds_sigma(op):
    # Smallest nonzero σ by svds needs the kernel dimension + 1 values; both operators have a
    # one-dimensional kernel (constants) or none, so ask for 2 and take the largest of them.
    vals = spla.svds(op, k=2, which="SM", return_singular_vectors=False, solver="arpack", maxiter=20000)
    return np.sort(vals)


def main():
    rng = np.random.default_rng(0)
    x, y = np.meshgrid(np.arange(-3, 4), np.arange(-3, 4))
    kernel = np.exp(-(x**2 + y**2) / 2.0) + 0.05 * rng.random((7, 7))
    ops = {"Convolution2D 64x64": Convolution2D(kernel, (64, 64)),
           "Gradient2D 64x64": Gradient2D((64, 64))}
    print(f"{'operator':<22}{'structured s':>14}{'dense SVD s':>14}{'svds s':>12}"
          f"{'dense/struct':>14}{'svds/struct':>13}")
    for name, op in ops.items():
        t_s, res = timed(lambda op=op: spectrum(op), repeat=5)
        dense = op.toarray()
        t_d, s = timed(lambda dense=dense: scipy.linalg.svdvals(dense))
        try:
            t_v, _ = timed(lambda op=op: svds_sigma(op))
            sv = f"{t_v:12.3f}"
            rv = f"{t_v / t_s:13.0f}"
        except Exception as exc:  # svds is the reference here; report its failure, do not hide it
            sv, rv = f"{'failed':>12}", f"{type(exc).__name__:>13}"
        err = abs(res.norm_A - s[0]) / s[0]
        print(f"{name:<22}{t_s:14.5f}{t_d:14.3f}{sv}{t_d / t_s:14.0f}{rv}   (‖A‖ rel. diff {err:.1e})")
    for name, op in {"Convolution2D 256x256": Convolution2D(kernel, (256, 256)),
                     "Gradient2D 256x256": Gradient2D((256, 256))}.items():
        t_s, _ = timed(lambda op=op: spectrum(op), repeat=3)
        print(f"{name:<22}{t_s:14.5f}   (target <= 1 s)")


if __name__ == "__main__":
    main()
