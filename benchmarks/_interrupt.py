"""Imported first by every benchmark script: a Ctrl-C while the script loads its
libraries ends with one line and exit status 130, not an import's traceback. Once the
script's ``main`` is defined, Ctrl-C is Python's again (the script says what it kept).
A worker process the script spawns, which imports the script again, ignores Ctrl-C: the
script stops it.

The scripts run as ``python benchmarks/NAME.py``, so this folder is on ``sys.path``.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
from pathlib import Path


def _loading(signum, frame) -> None:
    """Ctrl-C before the script's ``main`` is defined: one line, exit status 130."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if hasattr(sys.modules["__main__"], "main"):  # loaded: the script's own stop
        raise KeyboardInterrupt
    print(
        f"\n{Path(sys.argv[0]).name}: interrupted while loading its libraries: nothing was run",
        file=sys.stderr,
        flush=True,
    )
    raise SystemExit(130)


def _install() -> None:
    script = getattr(sys.modules["__main__"], "__file__", None) or "."
    if multiprocessing.current_process().name != "MainProcess":  # a worker, importing it
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    elif Path(script).resolve().parent == Path(__file__).resolve().parent:
        signal.signal(signal.SIGINT, _loading)


_install()

__all__: list[str] = []
