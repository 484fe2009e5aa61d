"""Preload of the worker processes of boundcalc's local dask cluster (``dask_executor("local:N")``).

Ctrl-C in a terminal reaches the whole process group, the workers included; the sweep's own process
stops the cluster and reports the interrupt in one line. A worker left to its default handler printed
a KeyboardInterrupt traceback of its own (4 tracebacks and 64 lines of logs for a ``local:2`` sweep).
"""

import signal
from typing import Any


def dask_setup(worker: Any) -> None:
    """Called by distributed in the worker process's main thread before it joins the scheduler."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
