"""One process per output: a second run on the same ``--out`` (or results file) stops.

The lock is an ``flock`` on a lock file, which the system drops when its process ends:
a lock file left by a process that was killed blocks nothing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path


@contextlib.contextmanager
def hold_lock(lock: Path, refuse: Callable[[str], None]):
    """Hold the lock file ``lock``, this process's id written in it, while the block runs.

    A lock file made here is removed again when the block fails or writes no file
    beside it (a refused run, or one with nothing to do, leaves nothing behind).

    Parameters
    ----------
    lock : Path
        The lock file (created when missing; its folder must exist; one this user
        cannot write, e.g. another user's, locks all the same, without the id).
    refuse : callable
        Called with the holder, e.g. ``"process 4242"``, when another process holds the
        lock; it raises (``SystemExit``, a parser's usage error).

    Raises
    ------
    OSError
        When no lock file can be made (a read-only folder), before the block runs: it
        ran unlocked, and only its first write said so.
    """
    made = not os.path.exists(lock)
    f = _locked(lock, refuse)
    with f:
        if f.writable():
            f.seek(0)
            f.truncate()
            f.write(f"{os.getpid()}\n")
            f.flush()
        before, failed = _beside(lock), True
        try:
            yield  # closing the file releases the lock
            failed = False
        finally:
            if made and (failed or _beside(lock) == before) and _same_file(f, lock):
                os.unlink(lock)


def _beside(lock: Path) -> dict:
    """The files in the folder of ``lock`` but itself, by name: their inode, size and
    time of change, which any write changes."""
    files = {}
    for path in Path(lock).parent.iterdir():
        try:
            stat = path.stat(follow_symlinks=False)
        except FileNotFoundError:  # removed meanwhile: another process's temporary
            continue
        files[path.name] = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    files.pop(Path(lock).name, None)
    return files


def _locked(lock: Path, refuse: Callable[[str], None]):
    """``lock`` opened and locked; opened again when its holder removed it meanwhile."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        fcntl = None
    while True:
        try:
            f = open(lock, "a+")
        except PermissionError:
            if not os.path.exists(lock):
                raise
            f = open(lock)  # another user's lock file: a lock needs no write access
        try:
            if fcntl is not None:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            with f:
                f.seek(0)
                pid = f.read().strip()
                refuse(f"process {pid}" if pid.isdigit() else "another process")
                raise  # refuse did not stop the run: never run unlocked beside another
        except OSError:  # a file system without locks: run unlocked
            return f
        if _same_file(f, lock):
            return f
        f.close()


def _same_file(f, path: Path) -> bool:
    """Whether the open file ``f`` is still the one at ``path``."""
    try:
        return os.path.samestat(os.fstat(f.fileno()), os.stat(path))
    except FileNotFoundError:
        return False


def _refuse_training(out: Path) -> Callable[[str], None]:
    def refuse(holder: str) -> None:
        raise SystemExit(
            f"another process is training {out} ({holder} holds {out / '.lock'}): let it "
            "finish or stop it first, or start a new run with another --out"
        )

    return refuse


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
    with hold_lock(out / ".lock", _refuse_training(out)):
        try:
            yield
        except BaseException:
            if made and [p.name for p in out.iterdir()] == [".lock"]:
                (out / ".lock").unlink()
                out.rmdir()
            raise


__all__ = ["hold_lock", "run_lock"]
