"""Route "zspace" on the small ℓ1 cases of the test suite (tests/theory/test_cone_certificates.py, exact values by
face enumeration): the gap each case reaches towards a 1e-3 target, its time and eigendecompositions, and the
scipy version. Reaching the target depends on one L-BFGS-B path, which changes with scipy (1.15 replaced the
Fortran code by a C translation), so it is a figure to watch here, not a test.
Run: python benchmarks/bench_zspace_cases.py [seconds per case, default 30]
"""

import sys
from pathlib import Path

import scipy

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "theory"))
from test_cone_certificates import CASES, exact_l1, l1_instance  # noqa: E402

from boundcalc.theory.cones import restricted_min_singular_value  # noqa: E402


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    print(f"scipy {scipy.__version__}; target gap 1e-3, {seconds:g} s per case")
    print(f"{'case':<14} {'exact':>10} {'gap':>9} {'target':>8} {'seconds':>8}")
    for case, (n, m, support, signs) in CASES.items():
        A, cone = l1_instance(n, m, support, signs, seed=n + m)
        exact = exact_l1(A, cone)
        r = restricted_min_singular_value(A, cone, route="zspace", target_gap=1e-3, polish_seconds=seconds)
        reached = "reached" if r.gap < 1e-3 else "missed"
        print(f"{case:<14} {exact:10.6f} {r.gap:9.2e} {reached:>8} {r.seconds:8.2f}")


if __name__ == "__main__":
    main()
