"""One pretraining process per run folder: a second one on the same ``--out`` stops."""

from __future__ import annotations

import contextlib
from pathlib import Path


@contextlib.contextmanager
def run_lock(out: Path):
    """Make the run folder ``out`` and hold its ``.lock`` while the block runs.

    A folder made here is removed again when the block fails before writing to it (a
    refused ``--init-from``), so that a refused command leaves no run folder behind.

    Parameters
    ----------
    out : Path

    Raises
    ------
    SystemExit
        When another process holds it (two runs writing one checkpoint would mix).
    """
    made = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        fcntl = None
    with open(out / ".lock", "a") as f:
        try:
            if fcntl is not None:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit(
                f"another process is training {out} (it holds {out / '.lock'}): let it "
                "finish or stop it first, or start a new run with another --out"
            ) from None
        except OSError:  # a file system without locks: run unlocked
            pass
        try:
            yield  # closing the file releases the lock
        except BaseException:
            if made and [p.name for p in out.iterdir()] == [".lock"]:
                (out / ".lock").unlink()
                out.rmdir()
            raise


__all__ = ["run_lock"]
