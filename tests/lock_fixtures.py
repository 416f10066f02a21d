"""Another process holding a lock file as a run does, for the tests of refused runs."""

import contextlib
import os
import subprocess
import sys

import pytest

_HOLD = (
    "import fcntl, os, sys, time; f = open(sys.argv[1], 'a+'); "
    "fcntl.flock(f, fcntl.LOCK_EX); f.truncate(0); f.write(str(os.getpid())); f.flush(); "
    "print('held', flush=True); time.sleep(60)"
)


@contextlib.contextmanager
def held(lock):
    """A process holding ``lock`` (its id written in it) while the block runs; yields its id."""
    pytest.importorskip("fcntl")
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(lock)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline() == b"held\n"
        yield holder.pid
    finally:
        holder.kill()
        holder.wait()


def read_only(monkeypatch, path):
    """Opening ``path``, or a file inside it, for writing fails as in a read-only folder
    (chmod binds no one running as root)."""
    import builtins
    import errno
    import io

    real_open = io.open

    def refusing(file, mode="r", *args, **kwargs):
        inside = isinstance(file, (str, os.PathLike)) and str(path) in os.fspath(file)
        if inside and any(m in mode for m in "wax+"):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(io, "open", refusing)
    monkeypatch.setattr(builtins, "open", refusing)
