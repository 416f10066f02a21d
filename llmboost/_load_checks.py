"""Checks ``load`` makes before it builds anything: what the path is, and what the zip
would unpack to."""

from __future__ import annotations

import os
import stat
import zipfile

#: Bytes a file may unpack to whatever its compression (a prior's context of ~256 MB fits,
#: even as text); past them, at most ``MAX_RATIO`` times its compressed size (deflate
#: reaches about 1,000; a model's arrays and trees compress 1 to 20 times). The same for
#: model.json, whose text (distinct categories past a few MB) compresses about 4 times.
ANY_RATIO_BYTES, MAX_RATIO = 2**30, 100
ANY_RATIO_JSON, MAX_JSON_RATIO = 2**26, 20


def _unsafe(message: str) -> ValueError:
    from .persistence import UnsafeFileError  # defined there, beside load

    return UnsafeFileError(message)


def check_regular(path) -> None:
    """Refuse, unopened, a device, pipe or socket (opening a named pipe waits for a writer)."""
    if isinstance(path, str | os.PathLike):
        mode = os.stat(path).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # a folder: IsADirectoryError
            raise _unsafe(
                f"{path} is not a regular file (a device, pipe or socket); load reads a file "
                "written by save. It was not read."
            )


def check_entries(archive: zipfile.ZipFile, path) -> None:
    """Refuse, unread, a file with encrypted entries or one that would unpack to implausibly
    many bytes (a zip bomb): in all, or in model.json (25 times its bytes once parsed)."""
    infos = archive.infolist()
    if locked := [info.filename for info in infos if info.flag_bits & 0x1]:
        raise _unsafe(
            f"{path} has encrypted entries ({locked[0]}), which load does not read (save "
            "writes none): unzip them with their password into a new zip, or save again."
        )
    text = [info for info in infos if info.filename == "model.json"]
    for what, entries, free, ratio in (
        (path, infos, ANY_RATIO_BYTES, MAX_RATIO),
        (f"{path}'s model.json", text, ANY_RATIO_JSON, MAX_JSON_RATIO),
    ):
        unpacked = sum(info.file_size for info in entries)
        packed = sum(info.compress_size for info in entries)
        if unpacked > max(free, ratio * packed):
            raise _unsafe(
                f"{what} would unpack to {unpacked:,} bytes from {packed:,}, more than "
                f"{ratio} times its compressed size past {free:,} bytes: not a model "
                "llmboost wrote (a zip bomb?); it was not read."
            )


def entry(archive: zipfile.ZipFile, name: str) -> bytes:
    """Entry ``name``'s bytes, never past its stated size (``BadZipFile`` if they differ)."""
    info = archive.getinfo(name)
    with archive.open(info) as stream:
        data = stream.read(info.file_size + 1)
    if len(data) != info.file_size:
        raise zipfile.BadZipFile(f"{name} holds {len(data):,} bytes, not {info.file_size:,}")
    return data


__all__ = ["check_entries", "check_regular", "entry"]
