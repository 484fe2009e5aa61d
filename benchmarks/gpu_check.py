"""The GPU check (issue: scale): one prepared script, CPU and GPU side by side.

1. σ_min(J), σ_max(J) by the Gram route at n = 4096, k = 10⁵: NumPy on the CPU vs PyTorch on the
   GPU (target ≤ 0.5 s on an H100, agreement ≤ 1e-12 relative);
2. one IGAHD iteration (form ode, full state, float64) at n = m = 4096, k = 10⁵ (target ≤ 40 ms),
   and the same in the reduced state;
3. the talk's phase diagram at full size on the GPU: 10 widths × 10 α, 20 trials, 15000 iterations,
   n = 50, m = 25, β = 0.05, form slide (target ≤ 3 min), each width one batched call;
4. one run of the stopping comparison (issue 34): the convolutional DIP on 64×64 deblurring by Adam, 1500
   iterations with SURE's second run, on the CPU and on the GPU (``run_rules(device=…)``): the seconds of each
   and the largest PSNR difference along the run (float64 on both: rounding only).

Without a GPU it says so and exits 0 (CI never has one); ``--small`` runs every step at toy sizes
on whatever backend is there (a smoke test of the script itself).
Run: python benchmarks/gpu_check.py [--small] [--skip-phase] [--skip-stopping]
"""

import json
import sys
import time

import numpy as np

from boundcalc.dynamics import igahd_dip, make_objective
from boundcalc.linalg.operators import gaussian
from boundcalc.nets.two_layer import TwoLayerDIP
from boundcalc.verification.sweeps import phase_diagram


def timed(fn, repeats=1, sync=None):
    best, out = np.inf, None
    for _ in range(repeats):
        if sync:
            sync()
        t0 = time.perf_counter()
        out = fn()
        if sync:
            sync()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main():
    small = "--small" in sys.argv
    try:
        import torch
    except ImportError:
        print("gpu_check: PyTorch is not installed; nothing to check")
        return
    device = "cuda" if torch.cuda.is_available() else None
    if device is None and not small:
        print("gpu_check: no GPU on this machine (torch.cuda.is_available() is False); run with --small for a "
              "CPU smoke test")
        return
    dev = device or "cpu"
    sync = torch.cuda.synchronize if device else None
    report = {"device": torch.cuda.get_device_name() if device else "cpu (smoke test)"}
    n, k = (256, 4000) if small else (4096, 100_000)

    # 1. Gram spectrum
    net = TwoLayerDIP(n, 16, k, "tanh", seed=0)
    t_cpu, ref = timed(lambda: net.jacobian_spectrum(method="gram"))
    theta = torch.asarray(net.theta0, device=dev)
    net.jacobian_spectrum(theta, method="gram")  # warm-up (kernels, cuBLAS handles)
    t_gpu, js = timed(lambda: net.jacobian_spectrum(theta, method="gram"), repeats=3, sync=sync)
    rel = max(abs(js.sigma_min - ref.sigma_min) / ref.sigma_min, abs(js.sigma_max - ref.sigma_max) / ref.sigma_max)
    report["gram"] = {"n": n, "k": k, "cpu_s": t_cpu, "gpu_s": t_gpu, "ratio": t_cpu / t_gpu, "rel_diff": rel}
    print(f"1. Gram σ_min/σ_max n={n} k={k}: CPU {t_cpu:.2f} s, {dev} {t_gpu:.3f} s "
          f"({t_cpu / t_gpu:.0f}x), rel. diff {rel:.1e}  [target ≤ 0.5 s, ≤ 1e-12]")

    # 2. One IGAHD iteration, n = m
    m = n
    A = gaussian(m, n, seed=1)
    y = A @ np.ones(n) / np.sqrt(n)
    for state in ("full", "reduced"):
        iters = 5 if small else 20
        kw = {"alpha": 1.0, "beta": 0.05, "step": 1e-3, "iterations": iters, "record_every": iters}
        t_c, run_c = timed(lambda st=state, kw=kw: igahd_dip(make_objective(net, A, y, state=st), **kw))
        obj = make_objective(net, A, y, state=state, device=device, xp=None if device else torch)
        igahd_dip(obj, **{**kw, "iterations": 2, "record_every": 2})  # warm-up
        t_g, run_g = timed(lambda o=obj, kw=kw: igahd_dip(o, **kw), sync=sync)
        rel = abs(run_g.loss[-1] - run_c.loss[-1]) / run_c.loss[-1]
        report[f"igahd_{state}"] = {"cpu_ms": 1e3 * t_c / iters, "gpu_ms": 1e3 * t_g / iters,
                                    "ratio": t_c / t_g, "rel_diff": rel}
        print(f"2. IGAHD iteration ({state}) n=m={n} k={k}: CPU {1e3 * t_c / iters:.1f} ms, {dev} "
              f"{1e3 * t_g / iters:.2f} ms ({t_c / t_g:.0f}x), rel. diff {rel:.1e}  [target ≤ 40 ms]")

    # 3. The phase diagram at the talk's size
    if "--skip-phase" not in sys.argv:
        ks = (10, 20) if small else tuple(int(v) for v in np.unique(np.geomspace(10, 10_000, 10).astype(int)))
        alphas = (0.0, 100.0) if small else tuple(float(a) for a in np.linspace(0.0, 900.0, 10))
        kw = {"n": 50, "m": 25, "d": 10, "ks": ks, "alphas": alphas, "beta": 0.05, "step": 1e-3, "form": "slide",
              "iterations": 500 if small else 15000, "trials": 4 if small else 20, "loss_tol": 1e-6,
              "progress": True}
        t_pd, res = timed(lambda: phase_diagram(**kw, device=device), sync=sync)
        report["phase_diagram"] = {"seconds": t_pd, "ks": list(res.ks), "alphas": list(res.alphas),
                                   "igahd": res.igahd.tolist(), "gd": res.gd.tolist()}
        print(f"3. phase diagram {len(ks)} x {len(alphas)} x {kw['trials']} trials x {kw['iterations']} it. on "
              f"{dev}: {t_pd:.1f} s  [target ≤ 180 s]\n{res.igahd}")

    # 4. The stopping comparison's convolutional run
    if "--skip-stopping" not in sys.argv:
        from boundcalc.verification.stopping_comparison import _problem, run_rules
        size, iters = ((16, 16), 60) if small else ((64, 64), 1500)
        prob, y2 = _problem("deblurring", size, 1.0, 0)
        kw = {"net": "conv", "optimizer": "adam", "iterations": iters, "sure": True,
              "conv_options": {"channels": 8, "depth": 2} if small else None}
        t_c, rec_c = timed(lambda: run_rules(prob, y2, 50 / 255, device="cpu", **kw))
        t_g, rec_g = timed(lambda: run_rules(prob, y2, 50 / 255, device=dev, **kw), sync=sync)
        diff = float(np.max(np.abs(np.subtract(rec_g["psnr_curve"], rec_c["psnr_curve"]))))
        report["stopping_run"] = {"size": list(size), "iterations": iters, "cpu_s": t_c, "gpu_s": t_g,
                                  "ratio": t_c / t_g, "max_psnr_diff_db": diff,
                                  "best_iteration": [rec_c["oracle_best"]["iteration"],
                                                     rec_g["oracle_best"]["iteration"]]}
        print(f"4. stopping run conv {size[0]}x{size[1]} Adam {iters} it. + SURE: CPU {t_c:.1f} s, {dev} {t_g:.1f} s "
              f"({t_c / t_g:.1f}x), max PSNR difference {diff:.1e} dB")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
