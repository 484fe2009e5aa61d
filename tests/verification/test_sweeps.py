"""The dask.distributed path of the sweeps, for real: a LocalCluster's executor runs the rows."""

import numpy as np
import pytest

from boundcalc.verification.sweeps import phase_diagram

distributed = pytest.importorskip("distributed")


def test_phase_diagram_on_a_local_dask_cluster(tmp_path):
    kw = {"n": 6, "m": 3, "d": 2, "ks": (5, 20), "alphas": (0.5, 2.0), "iterations": 300, "trials": 3,
          "loss_tol": 1e-6, "progress": False}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        res = phase_diagram(executor=client.get_executor(), out_dir=tmp_path, **kw)
        workers = set(client.run(lambda: 1))  # the cells were computed in worker processes
    ref = phase_diagram(**kw)
    assert len(workers) == 2 and res.computed == 6
    np.testing.assert_array_equal(res.igahd, ref.igahd)
    np.testing.assert_array_equal(res.gd, ref.gd)
    assert len(list((tmp_path / "cells").glob("*.json"))) == 6


@pytest.mark.slow  # 17 s: two worker processes and a kill
def test_a_worker_killed_mid_sweep_is_survived(tmp_path):
    """Kill one of two worker processes while its row runs: the scheduler reschedules the row and
    the result equals the single-machine run."""
    import os
    import signal
    import threading
    import time

    kw = {"n": 20, "m": 10, "d": 5, "ks": (10, 20, 40, 80), "alphas": (0.1, 1.0), "trials": 4, "iterations": 4000,
          "loss_tol": 1e-30, "progress": False}
    from boundcalc.verification.sweeps import _DASK_CLIENTS, dask_executor
    with dask_executor("local:2") as executor:
        client = _DASK_CLIENTS[executor]
        pids = client.run(os.getpid)  # worker address → pid
        box = {}
        sweep = threading.Thread(target=lambda: box.setdefault("res", phase_diagram(executor=executor,
                                                                                      out_dir=tmp_path, **kw)))
        sweep.start()
        deadline, victim = time.time() + 60, None
        while victim is None and time.time() < deadline:
            busy = [addr for addr, tasks in client.processing().items() if tasks and addr in pids]
            victim = busy[0] if busy else None
            time.sleep(0.02)
        assert victim is not None, "no row was seen running on a worker"
        os.kill(pids[victim], signal.SIGKILL)
        sweep.join(timeout=120)
        assert not sweep.is_alive()
        assert set(client.run(os.getpid).values()) != set(pids.values())  # the nanny started a new worker
    ref = phase_diagram(**{**kw, "progress": False})
    np.testing.assert_array_equal(box["res"].igahd, ref.igahd)
    np.testing.assert_array_equal(box["res"].gd, ref.gd)


def test_cli_dask_local_cluster_and_its_refusals(tmp_path, run_cli):
    argv = ["phase-diagram", "--n", "6", "--m", "3", "--d", "2", "--ks", "5", "8", "--alphas", "1", "--trials", "2",
            "--iterations", "200", "--json"]
    code, out, _ = run_cli(*argv, "--out", tmp_path / "dask", "--dask", "local:2")
    code2, ref, _ = run_cli(*argv, "--out", tmp_path / "local")
    assert code == code2 == 0
    import json
    assert json.loads(out)["igahd"] == json.loads(ref)["igahd"]
    for bad in ("local:0", "local:x", "", "local:100000"):
        code, _, err = run_cli(*argv, "--out", tmp_path / "bad", "--dask", bad)
        assert code == 2 and "--dask" in err and len(err.strip().splitlines()) == 1
        assert not (tmp_path / "bad").exists()
    from boundcalc.verification.sweeps import dask_executor
    with pytest.raises(ValueError, match="no dask scheduler answers at tcp://127.0.0.1:1"):
        with dask_executor("tcp://127.0.0.1:1", timeout=1):
            pass


def test_the_cluster_is_sized_by_its_workers(tmp_path):
    # local:2 was announced and sized as one process, while the local pool was refused at twice the memory
    from boundcalc.verification.sweeps import dask_executor
    said: list[str] = []
    with dask_executor("local:2") as executor:
        phase_diagram(n=6, m=3, d=2, ks=(5, 8), alphas=(1.0,), trials=2, iterations=100, progress=False,
                      executor=executor, announce=said.append)
    assert "on 2 process(es)" in said[0]


@pytest.mark.parametrize("answer", [None, b"SSH-2.0-OpenSSH_9.2p1\r\n" * 4])
def test_an_address_that_is_not_a_scheduler_is_refused_in_time(answer):
    """A server that accepts and stays silent held the connection past 180 s; one speaking another
    protocol made msgpack read a length of gigabytes ("out of memory")."""
    import socket
    import threading
    import time

    from boundcalc.verification.sweeps import dask_executor
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    held = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)
            if answer:
                conn.sendall(answer)
    threading.Thread(target=serve, daemon=True).start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(ValueError, match="no dask scheduler answers at tcp://127.0.0.1:"):
            with dask_executor(f"tcp://127.0.0.1:{server.getsockname()[1]}", timeout=1):
                pass
    finally:
        server.close()
        for conn in held:
            conn.close()
    assert time.perf_counter() - t0 < 10


def test_ctrl_c_ends_a_local_dask_sweep_in_one_line(tmp_path):
    """Interrupting a local:2 sweep took 5 s and printed 64 lines of distributed's logs with 4 tracebacks."""
    import os
    import signal
    import subprocess
    import sys
    import time
    argv = ["phase-diagram", "--n", "20", "--m", "10", "--d", "3", "--ks", "50", "100", "200", "--alphas", "0", "1",
            "--trials", "4", "--iterations", "20000", "--out", str(tmp_path / "pd"), "--dask", "local:2"]
    proc = subprocess.Popen([sys.executable, "-m", "boundcalc", *argv], text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        line = proc.stderr.readline()
        while line and "on this machine" not in line:
            line = proc.stderr.readline()
        time.sleep(0.5)
        t0 = time.perf_counter()
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole group, the workers included
        _, err = proc.communicate(timeout=60)
        took = time.perf_counter() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "interrupted:" in lines[0] and "rerun the same command to resume" in lines[0], err
    assert took < 5  # 0.03-0.04 s measured here; 1.5-4 s while the busy workers held the cluster's close


@pytest.mark.slow  # the dask route's refusals and a local cluster stay in the default suite
def test_an_interrupted_dask_sweep_resumes_from_its_cells(tmp_path):
    import _thread
    import threading
    import time

    from boundcalc.verification.sweeps import SweepInterrupted, dask_executor
    kw = {"n": 20, "m": 10, "d": 5, "ks": (10, 20, 40, 80), "alphas": (0.1, 1.0), "trials": 4, "iterations": 4000,
          "loss_tol": 1e-30, "progress": False}
    cells = tmp_path / "pd" / "cells"

    def ctrl_c_after_the_first_cell():
        deadline = time.time() + 60
        while time.time() < deadline and not list(cells.glob("*.json")):
            time.sleep(0.01)
        _thread.interrupt_main()

    with dask_executor("local:2") as executor:
        threading.Thread(target=ctrl_c_after_the_first_cell, daemon=True).start()
        with pytest.raises(SweepInterrupted) as info:
            phase_diagram(executor=executor, out_dir=tmp_path / "pd", **kw)
        saved = info.value.saved
        assert 1 <= saved < 12 and len(list(cells.glob("*.json"))) == saved
        resumed = phase_diagram(executor=executor, out_dir=tmp_path / "pd", **kw)
    assert resumed.reused == saved and resumed.computed == 12 - saved
    ref = phase_diagram(**kw)
    np.testing.assert_array_equal(resumed.igahd, ref.igahd)
    np.testing.assert_array_equal(resumed.gd, ref.gd)


def test_censored_medians_are_hatched_not_coloured_and_each_budget_has_its_row():
    """The ">15k" cells were drawn white, the fast end of the colour scale."""
    res = phase_diagram(n=8, m=4, d=3, ks=(4, 32), alphas=(0.0, 3.0), trials=4, iterations=3000, step=0.03,
                        progress=False)
    from boundcalc.verification.sweeps import plot_phase_diagram
    med_short, _ = res.median_iterations(300)
    fig = plot_phase_diagram(res, [300, 3000])
    panels = [ax for ax in fig.axes if ax.get_title().startswith("median iterations")]
    assert [ax.get_title().split()[-1] for ax in panels] == ["300", "3000"]
    hatched = [p for p in panels[0].patches if p.get_hatch()]
    assert len(hatched) == int((~np.isfinite(med_short)).sum()) > 0
    assert panels[0].get_legend() is not None and "censored" in panels[0].get_legend().get_texts()[0].get_text()
    # a budget under 1000 is written out: its censored cells read "> 300" (they read "> 0k")
    texts = [t.get_text() for t in panels[0].texts]
    assert texts.count("> 300") == len(hatched) and "> 0k" not in texts
