"""σ_min(J) of the example CNN (examples/torch_cnn.py, 32×32 deblurring, p = 8273): the certified
Golub–Kahan bracket on J, Lanczos on J Jᵀ (300 steps, as before 0.2), and the assembled J with a
dense SVD, timed in one run. Prints each time, its ratio to the dense route, and the bracket widths.

    python benchmarks/bench_singular.py
"""

import importlib.util
import time
from pathlib import Path

spec = importlib.util.spec_from_file_location("cnn", Path(__file__).resolve().parents[1] / "examples" / "torch_cnn.py")
cnn = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cnn)

from boundcalc.nets.torch import TorchGenerator  # noqa: E402

gen = TorchGenerator(*cnn.build())
rows = []
for method, kw in (("dense", {}), ("golub-kahan", {"rtol": 1e-6}), ("lanczos", {"rtol": 2e-6})):
    t0 = time.perf_counter()
    js = gen.jacobian_spectrum(method=method, **kw)
    rows.append((method, time.perf_counter() - t0, js))
dense_t, exact = rows[0][1], rows[0][2].sigma_min
print(f"n = {gen.n}, p = {gen.p}; σ_min(J) by dense SVD = {exact:.10g}")
print(f"{'route':<12} {'seconds':>8} {'ratio to dense':>15}  σ_min bracket (relative width)")
for method, t, js in rows:
    br = js.sigma_min_bracket or (js.sigma_min, js.sigma_min)
    width = (br[1] - br[0]) / br[1] if br[1] > 0 else float("inf")
    print(f"{method:<12} {t:8.1f} {t / dense_t:15.2f}  [{br[0]:.6g}, {br[1]:.6g}] ({width:.2e}); {js.method}")
