"""Sweeps over an executor: the talk's phase diagram of IGAHD (and GD) success over (k, α).

Each cell of the grid is one task; its result is written to ``out_dir/cells/<cell>.json`` as
soon as it finishes, and a rerun skips the cells already written, so an interrupted sweep
resumes without recomputing finished work. Any ``concurrent.futures.Executor`` runs the tasks
(local processes by default; a ``dask.distributed`` client's ``get_executor()`` works too).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._core import Result, Terminated, positive_float, positive_int, progress_bar, subplots
from ..dynamics import check_form, igahd_dip_batched
from ..io.memory import float_bytes, format_bytes, require_memory
from ..linalg.backend import resolve_backend
from ..linalg.operators import gaussian

__all__ = ["PhaseDiagramResult", "SweepInterrupted", "phase_diagram", "run_cell", "run_row", "plot_phase_diagram",
           "check_sweep_folder", "parse_dask_target", "dask_executor", "local_executor", "stop_executor"]

#: Files of a phase-diagram folder besides its ``cells/`` subfolder.
SWEEP_OUTPUTS = ("phase_diagram.json", "phase_diagram.png")


def _where_kept(out_dir: Path | None) -> str:
    """Where a stopped sweep's finished work is, and what a rerun does."""
    return (f"saved in {out_dir}; rerun the same command to resume" if out_dir is not None else
            "kept in memory only (no out_dir): they are lost")


class SweepInterrupted(KeyboardInterrupt):
    """A sweep stopped by SIGINT/SIGTERM after its workers were stopped and its finished cells saved.

    ``exit_status`` is 130 for SIGINT (Ctrl-C) and 143 for SIGTERM; ``str()`` is the one line
    the CLI prints.
    """

    def __init__(self, saved: int, total: int, out_dir: Path | None, exit_status: int, unit: str = "cells"):
        super().__init__(f"interrupted: {saved} of {total} {unit} {_where_kept(out_dir)}")
        self.saved, self.total, self.out_dir, self.exit_status = saved, total, out_dir, exit_status


class WorkerDied(RuntimeError):
    """A worker process of a local sweep died (SIGKILL, the out-of-memory killer) while its row ran;
    the other workers were stopped and the finished cells saved. ``str()`` is the one line the CLI
    prints (exit status 3: the sweep could not produce its numbers)."""

    def __init__(self, saved: int, total: int, out_dir: Path | None):
        super().__init__(f"a worker process died (killed from outside: SIGKILL, or the out-of-memory killer, "
                         f"which the kernel log names); {saved} of {total} cells {_where_kept(out_dir)}")
        self.saved, self.total, self.out_dir = saved, total, out_dir


def _worker_init(parent_pid: int) -> None:
    """Initializer of every local worker process.

    - Ctrl-C reaches the whole process group; only the parent handles it (it stops the workers
      itself), so a worker ignores SIGINT and never prints a traceback of its own.
    - A forked worker inherits the CLI's SIGTERM handler (which raises in the main thread and
      would let the worker finish its cell): it gets the default action back, so the parent's
      SIGTERM ends it at once.
    - If the parent dies without stopping it (SIGKILL), the worker must not live on as an orphan:
      Linux's parent-death signal ends it at once, and a watchdog thread that polls the parent's
      pid is the portable fallback (at most :data:`WATCHDOG_PERIOD` seconds late). A worker never
      writes cell files (the parent does, atomically), so its death leaves no half-written file.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # forked inside signals_deferred: take the signals again
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the watchdog remains
            pass
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="boundcalc-watchdog").start()


#: Seconds between two checks of the worker watchdog that its parent is still alive.
WATCHDOG_PERIOD = 0.5


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(WATCHDOG_PERIOD)
        if os.getppid() != parent_pid:  # re-parented: the sweep's main process is gone
            os._exit(1)


def _stop_workers(executor: ProcessPoolExecutor) -> None:
    """Cancel pending cells and end the worker processes now (running cells are abandoned).

    The process table is read *before* ``shutdown``: on Python 3.11, ``shutdown(wait=False)`` empties
    it, and the workers would then run their cells to the end. ProcessPoolExecutor offers no public
    way to stop a running task before Python 3.14 (``terminate_workers``)."""
    procs = list((getattr(executor, "_processes", None) or {}).values())
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    executor.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        proc.join(timeout=1)
        if proc.is_alive():  # pragma: no cover - a worker that ignored SIGTERM
            proc.kill()
            proc.join()


@contextlib.contextmanager
def _interrupts_held():
    """SIGINT and SIGTERM ignored for the duration (main thread only: signals are handled there),
    then their handlers restored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def signals_deferred(signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)):
    """SIGINT and SIGTERM held by the kernel for the duration and delivered when it ends.

    Why: a signal that lands while ``os.fork`` runs CPython's at-fork hooks (logging's
    ``_releaseLock``) raises KeyboardInterrupt inside the hook, where CPython prints "Exception ignored"
    and drops it. Ctrl-C pressed 1–5 ms after the phase diagram's estimate line was lost that way and
    the sweep ran to its end (exit 0). A forked worker inherits the blocked mask and
    :func:`_worker_init` clears it. Main thread only, where Python's handlers run."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, set(signals))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def local_executor(workers: int, *, start_method: str | None = None) -> ProcessPoolExecutor:
    """A pool of ``workers`` local processes set up as the sweep's own (one BLAS thread each, set
    through the environment before they start; Ctrl-C and SIGTERM left to the parent; no orphans: see
    :func:`_worker_init`). ``start_method="spawn"`` for a pool started beside running threads, where a
    fork could copy a lock another thread holds. Stop it with :func:`stop_executor`."""
    import multiprocessing
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    return ProcessPoolExecutor(max_workers=positive_int(workers, "workers"), initializer=_worker_init,
                               initargs=(os.getpid(),),
                               mp_context=multiprocessing.get_context(start_method) if start_method else None)


def stop_executor(executor: ProcessPoolExecutor) -> None:
    """End a :func:`local_executor` now: pending work cancelled, running work abandoned (a second
    Ctrl-C meanwhile is held off, so the workers are always stopped)."""
    with _interrupts_held():
        _stop_workers(executor)


def parse_dask_target(target: str) -> tuple[str, int | str]:
    """``"local:N"`` → ("local", N), a scheduler address → ("address", ADDRESS); checks the form only.

    Raises
    ------
    ValueError
        ``local:`` without a whole number ≥ 1 of workers, or an empty address.
    """
    if not isinstance(target, str) or not target.strip():
        raise ValueError("--dask: give a scheduler address (tcp://HOST:PORT) or local:N")
    if target.startswith("local:"):
        count, cores = target.removeprefix("local:"), os.cpu_count() or 1
        if not count.isdigit() or not 1 <= int(count) <= cores:
            raise ValueError(f"--dask: local:N needs a whole number of worker processes, 1 <= N <= {cores} (this "
                             f"machine's cores: a row is one process's work), got {target!r}")
        return "local", int(count)
    return "address", target


@contextlib.contextmanager
def _logs_quiet():
    """No log record below CRITICAL while a cluster is torn down. ``silence_logs`` does not reach every logger of
    the scheduler in this process: a worker ended mid-send printed distributed.batched's INFO traceback
    ("CommClosedError", 11 lines), seen once in about a dozen interrupted runs."""
    before = logging.root.manager.disable
    logging.disable(logging.ERROR)
    try:
        yield
    finally:
        logging.disable(before)


def _connect(distributed: Any, address: str, timeout: float) -> Any:
    """A client of the scheduler at ``address``, or ValueError within about ``timeout`` seconds.

    Why a thread with a deadline: ``Client(timeout=)`` bounds the TCP connection, not the handshake.
    A server that accepts and stays silent held it past 180 s, and one that answers in another
    protocol made msgpack read a length of gigabytes (MemoryError, "out of memory")."""
    box: dict[str, Any] = {}

    def attempt() -> None:
        try:
            box["client"] = distributed.Client(address, timeout=timeout)
        except BaseException as exc:  # noqa: BLE001 - reported below as what it means here
            box["error"] = exc
    thread = threading.Thread(target=attempt, daemon=True, name="boundcalc-dask-connect")
    thread.start()
    thread.join(timeout + 0.5)
    if "client" in box:
        return box["client"]
    why = (f"{type(box['error']).__name__}: {box['error']}" if "error" in box else
           f"no answer within {timeout:g} s")
    if isinstance(box.get("error"), MemoryError):
        why = "the server there does not speak dask's protocol"
    raise ValueError(f"--dask: no dask scheduler answers at {address} ({why})")


#: The client behind each executor :func:`dask_executor` made (distributed's executor does not expose it).
_DASK_CLIENTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def dask_workers(executor: Any) -> int | None:
    """How many rows an executor of :func:`dask_executor` runs at once: its cluster's worker threads (None for
    any other executor)."""
    try:
        client = _DASK_CLIENTS.get(executor)
    except TypeError:  # an object that takes no weak reference is not one of ours
        return None
    if client is None:
        return None
    return max(int(sum(client.nthreads().values())), 1)


@contextlib.contextmanager
def dask_executor(target: str, *, timeout: float = 10.0):
    """A ``concurrent.futures`` executor on a dask.distributed cluster, closed on exit.

    ``target`` is ``"local:N"`` (a ``LocalCluster`` of N worker processes, one thread each, started
    here and stopped on exit) or the address of a running scheduler (``tcp://HOST:PORT``; the
    cluster stays up). A worker that dies mid-row has its row rescheduled by the scheduler; the cells
    are written by this process, so an interrupted sweep resumes from its cell files as a local one.

    Raises
    ------
    ValueError
        dask.distributed is not installed, the target is malformed, or no scheduler answers there.
    """
    kind, value = parse_dask_target(target)
    try:
        import distributed
    except ImportError:
        raise ValueError("--dask needs dask.distributed: pip install 'boundcalc[dask]'") from None
    cluster = None
    try:
        if kind == "local":
            # Ctrl-C reaches the whole process group; this process stops the cluster and says so in
            # one line. The workers ignore SIGINT (the preload), and distributed's logs are silenced
            # below CRITICAL: before, an interrupt printed 4 tracebacks and 64 lines of logs.
            cluster = distributed.LocalCluster(n_workers=value, threads_per_worker=1, processes=True,
                                               dashboard_address=None, silence_logs=logging.CRITICAL,
                                               preload=["boundcalc.verification.dask_worker"])
            client = distributed.Client(cluster)
        else:
            client = _connect(distributed, value, timeout)
        try:
            # pure=False: a resumed sweep resubmits rows whose keys were just cancelled; equal keys
            # would hand it the cancelled futures back.
            executor = client.get_executor(pure=False)
            _DASK_CLIENTS[executor] = client
            yield executor
        except BaseException:
            if cluster is not None:  # interrupted or failed: a busy worker held close() for 4 s
                with _interrupts_held(), _logs_quiet():
                    for nanny in list(cluster.workers.values()):
                        pid = getattr(nanny, "pid", None)
                        if callable(getattr(nanny, "close_gracefully", None)):
                            nanny.close_gracefully()  # a worker that exits is then not restarted
                        if pid:
                            with contextlib.suppress(ProcessLookupError):
                                os.kill(pid, signal.SIGTERM)
            raise
        finally:
            with _logs_quiet():
                client.close()
    finally:
        if cluster is not None:
            with _interrupts_held(), _logs_quiet():  # a second Ctrl-C must not leave the cluster half closed
                cluster.close()


def check_sweep_folder(out_dir: str | Path, *, force: bool = False) -> Path:
    """A phase-diagram folder: new, empty, or one a previous sweep wrote (``cells/`` and its outputs).

    A folder holding ``phase_diagram.png`` or ``.json`` but no ``cells/`` was not written by a sweep
    (a sweep writes its cells first): those files are the user's, replaced only with ``force``.

    Raises
    ------
    ValueError
        ``out_dir`` is a file, a non-empty folder holding anything else, or a folder whose output
        files are not a sweep's (without ``force``).
    """
    out = Path(out_dir)
    if out.exists():
        if not out.is_dir():
            raise ValueError(f"out: {out} exists and is not a folder")
        theirs = [name for name in SWEEP_OUTPUTS if (out / name).exists()]
        if theirs and not (out / "cells").is_dir() and not force:
            raise ValueError(f"out: {out} holds {', '.join(theirs)} but no cells/: not a phase diagram's folder; "
                             "choose a new folder, or --force to replace those files")
        # Ours: cells/, the outputs, and their staging copies (.NAME.tmp) an interrupted write leaves.
        ours = {"cells", *SWEEP_OUTPUTS, *(f".{name}.tmp" for name in SWEEP_OUTPUTS)}
        foreign = [p.name for p in out.iterdir() if p.name not in ours]
        if foreign or ((out / "cells").exists() and not (out / "cells").is_dir()):
            raise ValueError(f"out: {out} holds files a phase diagram did not write ({', '.join(foreign[:5])}); "
                             "choose a new folder (an existing one is reused only to resume a sweep)")
    return out


def _cell_problem(saved: Any, spec: dict[str, Any]) -> str | None:
    """What is wrong with a saved cell record for ``spec`` (None: a whole, consistent record).

    A cell is checked against the sweep's own settings and the ranges of its values, so an edited
    or damaged file (``"success": 999``) is never read into a probability."""
    if not isinstance(saved, dict):
        return "not a cell record"
    trials = spec["trials"]
    success, hits, losses = saved.get("success"), saved.get("hit_iteration"), saved.get("final_loss")
    if isinstance(success, bool) or not isinstance(success, int) or not 0 <= success <= trials:
        return f"success must be a whole number of trials in [0, {trials}], got {success!r}"
    # null: the trial did not reach the tolerance (cells written before 0.9 said −1; still read)
    if not (isinstance(hits, list) and len(hits) == trials
            and all(h is None or (isinstance(h, int) and not isinstance(h, bool) and -1 <= h <= spec["iterations"])
                    for h in hits)):
        return (f"hit_iteration must list {trials} iteration numbers in [0, {spec['iterations']}], "
                "null where the trial did not reach the tolerance")
    reached = sum(h is not None and h >= 0 for h in hits)
    if reached != success:
        return f"success = {success} disagrees with hit_iteration ({reached} trials reached the tolerance)"
    if not (isinstance(losses, list) and len(losses) == trials
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in losses)):
        return f"final_loss must list {trials} non-negative losses"
    return None


def _load_cell(path: Path, spec: dict[str, Any]) -> dict[str, Any] | None:
    """A saved cell with the same inputs as ``spec``, or None (absent, other inputs, or corrupt)."""
    if not path.exists():
        return None
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        warnings.warn(f"phase diagram: cell file {path} is unreadable or corrupt ({exc}); recomputing it",
                      stacklevel=3)
        return None
    if not isinstance(saved, dict) or not all(saved.get(key) == spec[key] for key in spec):
        return None  # another sweep's cell (other settings): recomputed and replaced
    problem = _cell_problem(saved, spec)
    if problem is not None:
        warnings.warn(f"phase diagram: cell file {path} is invalid ({problem}); recomputing it", stacklevel=3)
        return None
    return saved


@dataclass(frozen=True, repr=False)
class PhaseDiagramResult(Result):
    """Success probabilities: ``igahd[i, j]`` for k = ks[i], α = alphas[j]; ``gd[i]`` for k = ks[i].

    A trial succeeds when its loss reaches ``loss_tol`` within ``iterations`` iterations.
    ``igahd_hits[i, j, r]`` / ``gd_hits[i, r]`` hold the iteration at which trial r first reached the
    tolerance (−1: not within the budget), from which :meth:`success_at` and
    :meth:`median_iterations` read the diagram at any smaller budget.
    """

    ks: tuple[int, ...]
    alphas: tuple[float, ...]
    igahd: np.ndarray
    gd: np.ndarray
    trials: int
    params: dict
    computed: int
    reused: int
    igahd_hits: np.ndarray | None = None
    gd_hits: np.ndarray | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; a trial that never reached the tolerance is ``null`` in the hit arrays (with
        ``<name>_status`` saying so), not the −1 that marks it in memory."""
        d = super().to_dict()
        for name in ("igahd_hits", "gd_hits"):
            hits = getattr(self, name)
            if hits is not None:
                d[name] = np.where(hits < 0, None, hits).tolist()
                if (hits < 0).any():
                    d[f"{name}_status"] = "null entries: the trial did not reach loss_tol within the iteration budget"
        return d

    def __repr__(self) -> str:
        # the hits are −1 in memory where a trial did not reach the tolerance; a reader sees counts
        text = super().__repr__()
        budget = self.params.get("iterations")
        for name in ("igahd_hits", "gd_hits"):
            hits = getattr(self, name)
            if hits is not None:
                line = next(ln for ln in text.splitlines() if ln.lstrip().startswith(f"{name} "))
                head = line[:line.index("=") + 1]
                text = text.replace(line, f"{head} per-trial iterations to loss_tol, shape {hits.shape}: "
                                          f"{int((hits >= 0).sum())} of {hits.size} reached it within {budget}")
        return text

    def _check_budget(self, budget: int | None) -> int:
        if self.igahd_hits is None:
            raise ValueError("this phase diagram has no per-trial iterations (igahd_hits); rerun it")
        total = int(self.params["iterations"])
        if budget is None:
            return total
        budget = positive_int(budget, "budget")
        if budget > total:
            raise ValueError(f"budget must be <= the run's {total} iterations, got {budget}")
        return budget

    def success_at(self, budget: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(IGAHD, GD) success probabilities with the tolerance reached within ``budget`` iterations."""
        budget = self._check_budget(budget)

        def rate(h):
            return ((h >= 0) & (h <= budget)).mean(axis=-1) if h is not None else None
        gd = rate(self.gd_hits)
        return rate(self.igahd_hits), gd if gd is not None else np.full(len(self.ks), np.nan)

    def median_iterations(self, budget: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(IGAHD, GD) median iterations to the tolerance, runs that did not get there within
        ``budget`` counted as censored at the budget; the lower median is taken, and one that is itself
        censored (more than half the trials did not get there) is ``inf`` ("> budget")."""
        budget = self._check_budget(budget)

        def med(h):
            if h is None:
                return np.full(len(self.ks), np.nan)
            c = np.where((h >= 0) & (h <= budget), h, np.iinfo(np.int64).max).astype(float)
            c = np.sort(c, axis=-1)
            # the lower median of a sorted sample: censored values sort last, so the median is
            # censored exactly when it lands on one of them
            m = c[..., (c.shape[-1] - 1) // 2]
            return np.where(m > budget, np.inf, m)
        return med(self.igahd_hits), med(self.gd_hits)


def _cell_name(method: str, k: int, alpha: float | None) -> str:
    return f"{method}_k{k}" + ("" if alpha is None else f"_a{alpha:.6g}")


def _instances(spec: dict[str, Any]) -> tuple[np.ndarray, ...]:
    """The ``trials`` seeded instances of a width: A ~ N(0, 1/m), x̄ on the unit sphere, noise of norm
    ``noise_norm`` (the same problems at every width), and a fresh network per (trial, width)."""
    n, m, d, k, T = spec["n"], spec["m"], spec["d"], spec["k"], spec["trials"]
    V, W, u, As, ys = [], [], [], [], []
    for i in range(T):
        rng = np.random.default_rng([spec["seed"], i])  # same problems in every cell of the grid
        A = gaussian(m, n, rng)
        x = rng.standard_normal(n)
        x /= np.linalg.norm(x)
        e = rng.standard_normal(m)
        e *= spec["noise_norm"] / np.linalg.norm(e)
        net_rng = np.random.default_rng([spec["seed"], i, k])
        uu = net_rng.standard_normal(d)
        u.append(uu / np.linalg.norm(uu))
        W.append(net_rng.standard_normal((k, d)))
        V.append(net_rng.choice([-1.0, 1.0], size=(n, k)))
        As.append(A)
        ys.append(A @ x + e)
    return np.stack(V), np.stack(W), np.stack(u), np.stack(As), np.stack(ys)


def run_row(cells: list[dict[str, Any]], device: str | None = None) -> list[dict[str, Any]]:
    """The cells of one width k: every IGAHD damping α of the row, ``trials`` instances each, is one
    call of the batched solver (each trial stops at the tolerance, the batch when all have); the GD
    cell is a second call. Returns one result per cell."""
    first = cells[0]
    if any(c["k"] != first["k"] for c in cells):
        raise ValueError("run_row: the cells of a row share one width k")
    V, W, u, As, ys = _instances(first)
    T = first["trials"]
    out = []
    for method in ("igahd", "gd"):
        group = [c for c in cells if c["method"] == method]
        if not group:
            continue
        alphas = np.repeat([c["alpha"] or 0.0 for c in group], T)
        tile = (len(group),) + (1,) * (V.ndim - 1)
        res = igahd_dip_batched(np.tile(V, tile), np.tile(W, tile), np.tile(u, (len(group), 1)),
                                np.tile(As, tile), np.tile(ys, (len(group), 1)), activation=first["activation"],
                                alpha=alphas, beta=first["beta"], step=first["step"], iterations=first["iterations"],
                                loss_tol=first["loss_tol"], method=method, form=first["form"],
                                device=device)
        for j, cell in enumerate(group):
            sl = slice(j * T, (j + 1) * T)
            hit = res.hit_iteration[sl]
            out.append({**cell, "success": int((hit >= 0).sum()),
                        "hit_iteration": [h if h >= 0 else None for h in hit.tolist()],
                        "final_loss": res.final_loss[sl].tolist()})
    return out


#: Iterations of the first probe timed per width for ``announce`` (doubled up to PROBE_SECONDS).
CALIBRATION_ITERATIONS = 5
#: A probe of the estimate lasts at least this long (seconds) before its timing is trusted.
PROBE_SECONDS = 0.05
#: The announced interval is [estimate / ESTIMATE_FACTOR, estimate × ESTIMATE_FACTOR]: on 5 sweeps of
#: 0.1–6 s here the time taken was 0.6–1.3× the estimate (benchmarks/bench_sweep_estimate.py measures it).
ESTIMATE_FACTOR = 2.0


def require_sweep_memory(*, n: int, m: int, d: int, ks: Sequence[int], alphas: Sequence[float], trials: int,
                         workers: int, **_: Any) -> float:
    """The peak bytes of a sweep whose ``workers`` rows run at once (the widest row each), refused with
    MemoryLimitError where they cannot fit; callers check it before any other work (``report --full`` once
    refused only after 63 s of other sections)."""
    peak = workers * _row_bytes(n, m, d, max(ks), len(alphas), trials)
    require_memory(peak, f"the phase diagram's {workers} concurrent row(s) ({len(alphas)} α × {trials} trials, "
                         f"n = {n}, k = {max(ks)})")
    return peak


def _row_bytes(n: int, m: int, d: int, k: int, n_alphas: int, trials: int) -> int:
    """Peak bytes of one row: its α × trials runs stack V and W (the draws and their tiled copies)
    and about eight reduced-state arrays of m×k + k numbers (state, velocity, gradients)."""
    runs = n_alphas * trials
    return float_bytes(runs * (2 * (n * k + k * d) + 8 * (m * k + k) + m * n))


def _probe_row(row: list[dict[str, Any]], device: str | None) -> float:
    """Seconds for one width's row, without early stops, from probes on at most two trials.

    The first probe is discarded (it pays the first call's allocations); then the probe doubles its
    iterations from :data:`CALIBRATION_ITERATIONS` until it lasts :data:`PROBE_SECONDS` (or reaches the
    row's budget). The last two probes give the cost of an iteration (their difference) and of the
    set-up (the rest), scaled to the row's trials and iterations. Probes of 5 and 15 iterations,
    as before, took ~10 ms: their difference was noise, and the estimate said 2 s for a 5 s row."""
    trials, total = row[0]["trials"], row[0]["iterations"]
    probe_trials = min(trials, 2)

    def timed(its: int) -> float:
        probe = [{**c, "iterations": its, "loss_tol": 1e-300, "trials": probe_trials} for c in row]
        t0 = time.perf_counter()
        run_row(probe, device)  # at one BLAS thread, as in a worker (igahd_dip_batched is one_blas_thread)
        return time.perf_counter() - t0

    its = min(CALIBRATION_ITERATIONS, total)
    timed(its)
    probes = [(its, timed(its))]
    while probes[-1][1] < PROBE_SECONDS and its < total:
        its = min(2 * its, total)
        probes.append((its, timed(its)))
    (i1, t1), (i2, t2) = probes[-2:] if len(probes) > 1 else (probes[0], probes[0])
    # noise can make the difference negative: the last probe's mean cost is then the fallback
    per_iteration = (t2 - t1) / (i2 - i1) if i2 > i1 and t2 > t1 else t2 / i2
    setup = max(t2 - i2 * per_iteration, 0.0)
    return (setup + per_iteration * total) * trials / probe_trials


def _estimate_seconds(rows: list[list[dict[str, Any]]], workers: int, device: str | None) -> float:
    """Seconds for ``rows`` on ``workers`` processes, without early stops (real trials stop at the
    tolerance): each row timed by :func:`_probe_row`, then the rows dealt to the workers longest first."""
    loads = [0.0] * workers
    for c in sorted((_probe_row(row, device) for row in rows), reverse=True):
        loads[loads.index(min(loads))] += c
    return max(loads)


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min" if seconds < 7200 else \
        f"{seconds / 3600:.1f} h"


def run_cell(spec: dict[str, Any]) -> dict[str, Any]:
    """One grid cell (a row of one cell)."""
    return run_row([spec])[0]


def phase_diagram(*, n: int = 50, m: int = 25, d: int = 10, ks: tuple[int, ...] = (10, 100, 1000),
                  alphas: tuple[float, ...] = (0.0, 100.0, 300.0, 600.0, 900.0), beta: float = 0.05,
                  step: float = 1e-3, form: str = "slide",
                  iterations: int = 15000, trials: int = 10, loss_tol: float = 1e-6, noise_norm: float = 0.0,
                  activation: str = "tanh", seed: int = 0, include_gd: bool = True,
                  out_dir: str | Path | None = None, executor: Executor | None = None,
                  progress: bool = True, device: str | None = None, force: bool = False,
                  announce: Callable[[str], None] | None = None) -> PhaseDiagramResult:
    """Empirical probability that IGAHD (β = 0.05 by default) reaches ``loss_tol`` within
    ``iterations`` iterations over a grid of widths k and viscous dampings α, for Gaussian A with
    N(0, 1/m) entries; the same grid in k for gradient descent (step ``step``) for comparison.

    The default is the form written on the slide before the talk's figure (``form="slide"``:
    momentum αs, Hessian term βs²), with α from 0 (no inertia: gradient descent) up to below 1/s;
    ``form="ode"`` (1 − α√s, β√s) needs α√s < 1. s = 1e-3 and loss ≤ 1e-6 are where the picture has
    structure: with s = 0.05 and loss ≤ 1e-4 every cell, GD included, succeeds (measured).

    Parameters
    ----------
    out_dir : path, optional
        Where per-cell results are written; a rerun skips cells already there (resume).
    executor : concurrent.futures.Executor, optional
        Runs the rows, one per width (default: a local ProcessPoolExecutor on all cores, with one
        BLAS thread per worker, set through the environment before the workers start; a
        ``dask.distributed`` client's ``get_executor()`` works too).
    device : {"cpu", "cuda"}, optional
        Backend of the batched solver; with "cuda" the rows run in turn on the one GPU.
    force : bool
        Replace ``phase_diagram.png``/``.json`` in ``out_dir`` even without a sweep's ``cells/``.
    announce : callable, optional
        Receives two lines before the first cell: at once, the cells to compute and the peak
        memory; then, after timing each width on a short probe, the estimated time on this machine
        and an interval (:data:`ESTIMATE_FACTOR`).

    Raises
    ------
    MemoryLimitError
        If the rows that run at once cannot fit in memory (refused before any work).

    Examples
    --------
    >>> res = bc.phase_diagram(n=6, m=3, d=2, ks=(5,), alphas=(1.0,), trials=2, iterations=300, progress=False)
    >>> res.igahd.shape, res.computed
    ((1, 1), 2)
    """
    n, m, d = positive_int(n, "n"), positive_int(m, "m"), positive_int(d, "d")
    ks = tuple(positive_int(k, "ks") for k in ks)
    alphas = tuple(positive_float(a, "alphas", allow_zero=True) for a in alphas)
    step = positive_float(step, "step")
    check_form(form)
    if form == "ode" and any(a * np.sqrt(step) >= 1 for a in alphas):
        raise ValueError(f"alphas: α√s must be < 1 for the IGAHD momentum 1 − α√s to stay positive (s = {step})")
    if form == "slide" and any(a * step >= 1 for a in alphas):
        raise ValueError(f"alphas: αs must be < 1 for the slide's momentum αs to stay below one (s = {step})")
    base = {"n": n, "m": m, "d": d, "beta": positive_float(beta, "beta", allow_zero=True), "step": step, "form": form,
            "iterations": positive_int(iterations, "iterations"), "trials": positive_int(trials, "trials"),
            "loss_tol": positive_float(loss_tol, "loss_tol"),
            "noise_norm": positive_float(noise_norm, "noise_norm", allow_zero=True), "activation": activation,
            "seed": positive_int(seed, "seed", minimum=0)}
    resolve_backend(device)  # refuse an unusable device before any work
    specs = [{**base, "method": "igahd", "k": k, "alpha": a, "name": _cell_name("igahd", k, a)}
             for k in ks for a in alphas]
    if include_gd:
        specs += [{**base, "method": "gd", "k": k, "alpha": None, "name": _cell_name("gd", k, None)} for k in ks]
    cells_dir = None
    results: dict[str, dict] = {}
    if out_dir is not None:
        cells_dir = check_sweep_folder(out_dir, force=force) / "cells"
        for spec in specs:
            saved = _load_cell(cells_dir / f"{spec['name']}.json", spec)
            if saved is not None:  # same inputs: reuse
                results[spec["name"]] = saved
    todo = [s for s in specs if s["name"] not in results]
    rows = [[c for c in todo if c["k"] == k] for k in ks]
    rows = [r for r in rows if r]  # one task per width: all its α (and GD) in one batched call
    reused = len(results)
    # One GPU serves the rows in turn; worker processes would each need their own CUDA context.
    own = executor is None and len(rows) > 1 and device in (None, "cpu")
    # an executor handed in (a local pool, a dask client's executor) says how many rows run at once
    given = (getattr(executor, "_max_workers", None) or dask_workers(executor)) if executor is not None else None
    workers = min(os.cpu_count() or 1, len(rows)) if own else min(int(given or 1), max(len(rows), 1))
    peak = require_sweep_memory(n=n, m=m, d=d, ks=ks, alphas=alphas, trials=trials, workers=workers)
    if cells_dir is not None:  # only now: a refused sweep leaves nothing on the disk
        cells_dir.mkdir(parents=True, exist_ok=True)
    if announce is not None and rows:
        # a line at once (the timing below takes a second or more), then the estimate
        announce(f"phase diagram: {len(todo)} cells to compute ({reused} reused) in {len(rows)} rows on {workers} "
                 f"process(es), peak memory about {format_bytes(peak)}; timing each width on a short probe")
        est = _estimate_seconds(rows, workers, device)
        announce(f"phase diagram: about {_duration(est)} on this machine, likely between "
                 f"{_duration(est / ESTIMATE_FACTOR)} and {_duration(est * ESTIMATE_FACTOR)} (each width timed on a "
                 f"probe of ≥ {PROBE_SECONDS:g} s as if no run stopped early: runs that reach the tolerance stop "
                 "sooner; a machine busier than during the probes is slower)")

    def save(res: dict[str, Any]) -> None:
        # The file first, the record after: an interrupt between the two leaves the cell unrecorded,
        # and the handler below saves it again (idempotent), so the count said equals the files kept.
        if cells_dir is not None:
            tmp = cells_dir / f"{res['name']}.json.tmp"
            tmp.write_text(json.dumps(res))
            tmp.replace(cells_dir / f"{res['name']}.json")  # atomic: a killed run leaves no half file
        results[res["name"]] = res

    pending: list[dict[str, Any]] = []  # the finished row being saved when an interrupt arrives

    futures = []
    try:
        with signals_deferred():  # the workers are forked here: see signals_deferred
            if own:
                executor = local_executor(workers)
            if executor is None:
                done_iter = (run_row(r, device) for r in rows)
            else:
                futures = [executor.submit(run_row, r, device) for r in rows]
                done_iter = (f.result() for f in as_completed(futures))
        with progress_bar(total=len(todo), desc=f"phase diagram ({reused} cells reused)", enabled=progress,
                          unit="cell") as bar:
            for row in done_iter:
                pending = list(row)
                for res in row:
                    save(res)
                pending = []
                bar.update(len(row))
    except (KeyboardInterrupt, BrokenProcessPool) as exc:  # SIGINT, SIGTERM (Terminated), a worker killed
        # A second Ctrl-C while this runs (people press it twice) must not cut the clean-up short:
        # it once left the workers running and the parent waiting for them in shutdown().
        with _interrupts_held():
            if own:
                _stop_workers(executor)
            else:  # another executor (dask): cancel what has not finished; the cluster stays up
                for f in futures:
                    f.cancel()
            finished = list(pending)  # a row interrupted halfway through its saving is completed
            for f in futures:  # rows that finished while the interrupt arrived are kept too
                if f.done() and not f.cancelled() and f.exception() is None:
                    finished += f.result()
            for res in finished:
                if res["name"] not in results:
                    save(res)
            if cells_dir is not None:  # a write cut between its temporary file and the rename
                for stale in cells_dir.glob("*.json.tmp"):
                    stale.unlink(missing_ok=True)
        where = cells_dir.parent if cells_dir is not None else None
        if isinstance(exc, BrokenProcessPool):
            raise WorkerDied(len(results), len(specs), where) from None
        raise SweepInterrupted(len(results), len(specs), where, 143 if isinstance(exc, Terminated) else 130) from None
    except BaseException:
        if own:  # any other failure: never wait for the running rows
            _stop_workers(executor)
        raise
    if own:
        executor.shutdown()
    ig = np.array([[results[_cell_name("igahd", k, a)]["success"] / trials for a in alphas] for k in ks])
    gd = np.array([results[_cell_name("gd", k, None)]["success"] / trials for k in ks]) if include_gd \
        else np.full(len(ks), np.nan)
    def hits(name: str) -> list[int]:  # −1 in memory: not reached (null in the files and the JSON)
        return [-1 if h is None else h for h in results[name]["hit_iteration"]]
    ig_hits = np.array([[hits(_cell_name("igahd", k, a)) for a in alphas] for k in ks], int)
    gd_hits = np.array([hits(_cell_name("gd", k, None)) for k in ks], int) if include_gd else None
    return PhaseDiagramResult(ks, alphas, ig, gd, trials, base, len(todo), reused, ig_hits, gd_hits)


def plot_phase_diagram(res: PhaseDiagramResult, budget: int | Sequence[int] | None = None):
    """Heat map of the IGAHD success probability over (k, α) within ``budget`` iterations (default the
    run's), the GD column beside it, and — where the run kept its per-trial iterations — a second
    panel with the median iterations to the tolerance. A censored median (more than half the trials did
    not get there within the budget: "> B") is hatched grey, never a colour of the scale (it was drawn
    white, the scale's fast end). Several budgets give one row each."""
    from matplotlib.patches import Patch, Rectangle
    has_hits = res.igahd_hits is not None
    budgets = [budget] if budget is None or isinstance(budget, (int, np.integer)) else list(budget)
    budgets = [res._check_budget(b) if has_hits else int(res.params["iterations"]) for b in budgets]
    gd_all = res.success_at(budgets[0])[1] if has_hits else res.gd
    has_gd = bool(np.isfinite(np.asarray(gd_all, float)).any())
    ratios = [len(res.alphas)] + ([1] if has_gd else []) + ([len(res.alphas)] if has_hits else [])
    fig, grid = subplots(len(budgets), len(ratios), figsize=(4.6 + 5.0 * has_hits, 3.8 * len(budgets)),
                         layout="constrained", gridspec_kw={"width_ratios": ratios}, squeeze=False)
    ks = [str(k) for k in res.ks]
    alphas = [f"{a:g}" for a in res.alphas]
    for row, b in zip(grid, budgets, strict=True):
        ig, gd = res.success_at(b) if has_hits else (res.igahd, res.gd)
        axes = list(row)
        ax = axes.pop(0)
        im = ax.imshow(ig, origin="lower", vmin=0, vmax=1, cmap="viridis", aspect="auto")
        ax.set_xticks(range(len(res.alphas)), alphas, rotation=45, fontsize=7)
        ax.set_yticks(range(len(res.ks)), ks)
        ax.set_xlabel("α" + (" (α = 0: gradient descent)" if res.params.get("form") == "slide" else ""))
        ax.set_ylabel("width k")
        ax.set_title(f"IGAHD, β = {res.params['beta']:g}: P(success) within {b} it.", fontsize=9)
        bar_axes = [ax]
        if has_gd:
            ax2 = axes.pop(0)
            ax2.imshow(np.asarray(gd, float)[:, None], origin="lower", vmin=0, vmax=1, cmap="viridis", aspect="auto")
            ax2.set_xticks([0], ["GD"])
            ax2.set_yticks(range(len(res.ks)), [""] * len(ks))
            ax2.set_title("GD", fontsize=9)
            bar_axes.append(ax2)
        fig.colorbar(im, ax=bar_axes, label=f"P(loss ≤ {res.params['loss_tol']:g} in {b} it.)", shrink=0.9,
                     pad=0.02)
        if has_hits:
            ax3 = axes.pop(0)
            med, _ = res.median_iterations(b)
            censored = ~np.isfinite(med)
            im3 = ax3.imshow(np.ma.masked_invalid(np.log10(np.maximum(med, 1))), origin="lower", cmap="magma_r",
                             aspect="auto", vmin=0, vmax=np.log10(b))
            ax3.set_facecolor("none")
            beyond = f"> {b // 1000}k" if b >= 1000 else f"> {b}"  # a budget under 1000 read "> 0k"
            for (i, j), v in np.ndenumerate(med):
                if censored[i, j]:
                    ax3.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="0.8", edgecolor="0.45",
                                            hatch="///", linewidth=0))
                ax3.text(j, i, beyond if censored[i, j] else f"{v:.0f}", ha="center", va="center",
                         fontsize=6, color="k" if censored[i, j] or v < b ** 0.6 else "w",
                         bbox={"facecolor": "white", "edgecolor": "none", "pad": 1} if censored[i, j] else None)
            ax3.set_xticks(range(len(res.alphas)), alphas, rotation=45, fontsize=7)
            ax3.set_yticks(range(len(res.ks)), ks)
            ax3.set_xlabel("α")
            ax3.set_title(f"median iterations to the tolerance, budget {b}", fontsize=9)
            fig.colorbar(im3, ax=ax3, label="log₁₀ iterations", shrink=0.9)
            if censored.any():
                ax3.legend(handles=[Patch(facecolor="0.8", edgecolor="0.45", hatch="///",
                                          label=f"censored: > {b} (most trials did not get there)")],
                           loc="upper center", bbox_to_anchor=(0.5, -0.22), fontsize=7, frameon=False)
    return fig
