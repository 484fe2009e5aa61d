"""``python -m boundcalc`` and the ``boundcalc`` console script.

The entry point imports nothing heavy before it can answer Ctrl-C: the package's namespace is lazy
and :mod:`boundcalc.cli` is imported inside the handler, so an interrupt at any moment of the
start-up prints one line and exits 130, never a traceback.
"""

import sys


def run() -> None:
    """Run the command line and exit with its status."""
    try:
        from .cli import main
        status = main()
    except KeyboardInterrupt:
        print("boundcalc: interrupted (Ctrl-C) while starting", file=sys.stderr)
        status = 130
    # The work is over and its line printed: a late Ctrl-C (the second of a double press) must not
    # turn the exit into a death by signal while the interpreter shuts down. (Imported here, not at
    # the top: nothing may be imported before the handler above can answer Ctrl-C.)
    try:
        import signal
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except KeyboardInterrupt:  # landed in the instant before: the status stands
        pass
    if status in (130, 143):
        # CPython (3.11) remembers a KeyboardInterrupt that passed through C code run by PyRun_String
        # (Cython modules do this while they import) and, even after it was caught, ends the process by
        # SIGINT at exit (status -2, measured 1 in 8 Ctrl-C during start-up): leave without that step.
        sys.stdout.flush()
        sys.stderr.flush()
        import os
        os._exit(status)
    sys.exit(status)


if __name__ == "__main__":
    run()
