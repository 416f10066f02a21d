"""What ``load`` and ``save`` make of a path before reading or writing it: ``~`` expanded,
what is not a file refused unopened, and what a file that is no zip appears to be."""

from __future__ import annotations

import io
import os
import pickletools
import stat
import zipfile
import zlib
from contextlib import nullcontext
from itertools import islice
from pathlib import Path

from ._load_checks import _unsafe

#: What reading a damaged zip raises (a plain ``OSError``: a seek to a bad offset).
DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError)
#: ``OSError`` subclasses that say the path is wrong, not the file: raised as they are.
_NOT_DAMAGE = (FileNotFoundError, IsADirectoryError, PermissionError)


def expanded_path(path, what: str) -> Path:
    """``path`` with ``~`` expanded; an empty one (pathlib reads it as the current
    folder, ``.``) or one holding a NUL byte (no file name can) is refused."""
    text = os.fspath(path)
    if text == "":
        raise ValueError(f"{what} got an empty path (''); pass the model file's path.")
    if isinstance(text, str) and "\0" in text:  # os.stat and open: "embedded null byte"
        raise ValueError(
            f"{what} got the path {text!r}, which holds a NUL byte ('\\x00'): no file name "
            "can hold one; pass the model file's path without it."
        )
    try:
        return Path(path).expanduser()
    except RuntimeError:  # pathlib: "Could not determine home directory."
        user = Path(path).parts[0]
        why = f"no user {user[1:]!r} here" if user != "~" else "HOME unset and no home folder"
        raise FileNotFoundError(
            f"{what} got the path {text!r}, whose {user} is no home folder ({why}); pass "
            "the full path."
        ) from None


def folder_ending(text: str) -> str:
    """The end of ``text`` that names a folder and that pathlib drops: a separator, or
    one then ``.`` (``"a/."`` is ``Path("a")``); ``""`` where there is none."""
    for sep in filter(None, (os.sep, os.altsep)):
        for end in (sep + ".", sep):
            if text.endswith(end):
                return end
    return ""


def regular_path(path):
    """``path`` with ``~`` expanded (a file object as it is); a device, pipe or socket is
    refused unopened (opening a named pipe waits for a writer), and what is neither a
    path nor a binary file object too."""
    if not isinstance(path, str | os.PathLike):
        if not hasattr(path, "seek"):
            zipped = isinstance(path, bytes | bytearray) and path[:4] == b"PK\x03\x04"
            hint = ": a model held in memory loads with load(io.BytesIO(data))" * zipped
            raise TypeError(
                f"load takes the path (a str or os.PathLike) of a file written by save, got "
                f"{given_text(path)}{hint}."
            )
        if getattr(path, "closed", False):  # readable() raised "I/O operation on closed file"
            raise ValueError(
                f"load got a closed file object ({given_text(path)}): open it again "
                "(open(path, 'rb')) and call load inside the with block, or pass the path."
            )
        if isinstance(path, io.TextIOBase) or not getattr(path, "readable", lambda: True)():
            raise TypeError(  # a text-mode file read as "not a zip, or a damaged one"
                "load reads a file object opened for reading in binary mode "
                f"(open(path, 'rb')), got {given_text(path)}."
            )
        if not getattr(path, "seekable", lambda: True)():  # zipfile: "File is not a zip file"
            raise ValueError(
                f"load got a file object it cannot seek in ({given_text(path)}, as a pipe or "
                "stdin is); a model file is read from its end: pass "
                "load(io.BytesIO(stream.read())) or a path."
            )
        return path
    text, path = os.fsdecode(path), expanded_path(path, "load")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:  # "No such file or directory", of a link ls lists
        if not path.is_symlink():
            raise
        raise FileNotFoundError(
            f"load reads {path}, a symbolic link to {os.readlink(path)}, which does not "
            "exist (moved or deleted?): point the link at the model file, or pass its path."
        ) from None
    if stat.S_ISDIR(mode):  # open() said only "[Errno 21] Is a directory"
        hint = _folder_hint(path)
        raise IsADirectoryError(f"load reads a file written by save; {path} is a folder{hint}.")
    if not stat.S_ISREG(mode):
        raise _unsafe(
            f"{path} is not a regular file (a device, pipe or socket); load reads a file "
            "written by save. It was not read."
        )
    if ending := folder_ending(text):  # pathlib dropped it: "m.llmboost/" read the file
        raise NotADirectoryError(
            f"load got {text}: a path ending in {ending!r} names a folder, and {path} is a "
            f"file; pass the file's path without the {ending!r}."
        )
    return path


def _folder_hint(path: Path) -> str:
    """What to load instead of the folder ``path``: the file in it, or (where it holds
    what a saved file unzips to) that file or the folder zipped again."""
    if not (path / "model.json").is_file():
        return ": pass the path of the file in it (such as model.llmboost)"
    return (
        " holding model.json, as unzipping such a file leaves: load the file save wrote, or "
        "zip the folder's contents into one file (shutil.make_archive(name, 'zip', folder)) "
        "and load that"
    )


def given_text(path) -> str:
    """What was given for a path, in a message: its type and :func:`path_text`."""
    return f"{type(path).__name__} {path_text(path)}"


def path_text(path) -> str:
    """How messages name ``path``: a path as it is, a file object by its file's name (its
    ``name``; without one, its repr, cut at 80 characters)."""
    if isinstance(path, str | os.PathLike):
        return os.fsdecode(path)
    name = getattr(path, "name", None)  # an int for os.fdopen's: the repr says more
    return os.fsdecode(name) if isinstance(name, str | bytes) and name else f"{path!r:.80}"


def open_zip(path, name: str) -> zipfile.ZipFile:
    """``path`` (named ``name``) as a zip file; not a zip: :class:`UnsafeFileError`."""
    try:
        return zipfile.ZipFile(path)
    except _NOT_DAMAGE:
        raise
    except DAMAGED as exc:
        raise _not_a_zip(path, name, exc) from exc


def _not_a_zip(path, name: str, exc: Exception) -> ValueError:
    """What to say of a file (``path``, named ``name``) zipfile did not read (``exc``):
    by its first and last bytes, a damaged zip, an empty file, a pickle, a compressed
    file or another kind."""
    head, last = _ends(path)
    if head and head[:4] == b"PK\x03\x04":  # a zip's first entry: its end is what is missing
        return _unsafe(
            f"{name} is a damaged zip file: it starts as one, but its end (the list of "
            f"entries) is missing or unreadable, as in a truncated copy ({exc!r}). Copy "
            "it again from where it was saved, or save the model again."
        )
    if head == b"":
        return _unsafe(
            f"{name} is empty (0 bytes), not a file save wrote, as a failed copy or "
            "download leaves: copy it again from where it was saved, or save the model again."
        )
    if head and head.startswith(b'{"format": "llmboost-model"'):  # as save writes it
        return _unsafe(
            f"{name} is the model.json of a file save wrote, not the file: load the file "
            "save wrote, which holds the arrays and trees model.json names too."
        )
    untrusted = "only if you trust where it came from (unpickling runs code), or write the "
    if head and (head[:2] in _PICKLES or _old_pickle(head, last)):
        return _unsafe(
            f"{name} is a pickle (as pickle.dump and joblib.dump write), not a file save "
            f"wrote: read it with pickle.load or joblib.load, {untrusted}model with "
            "llmboost's save."
        )
    if head and (kind := _compression(head)):
        return _unsafe(
            f"{name} appears to be a {kind}-compressed file (as joblib.dump with compress= "
            "writes), not a file llmboost.save wrote, and llmboost.load reads only those: if "
            f"it is a joblib file, read it with joblib.load, {untrusted}model with llmboost's "
            "save."
        )
    return _unsafe(f"{name} is not an llmboost model file (not a zip, or a damaged one: {exc!r}).")


#: The first bytes of pickles of protocol 2 and later (0 and 1 have no header).
_PICKLES = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")
#: The first bytes of the compressed files ``joblib.dump(..., compress=...)`` writes.
_COMPRESSED = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bz2",
    b"\xfd7zXZ\x00": "xz",
    b"]\x00\x00": "lzma",
    b"\x04\x22\x4d\x18": "lz4",
    b"\x28\xb5\x2f\xfd": "zstd",
}


def _ends(path) -> tuple[bytes | None, bytes | None]:
    """The first 4 KiB and the last byte of a file (a path or a file object)."""
    try:
        with nullcontext(path) if hasattr(path, "read") else open(path, "rb") as handle:
            handle.seek(0)
            head = handle.read(4096)
            if not head:
                return head, b""
            handle.seek(-1, os.SEEK_END)
            return head, handle.read(1)
    except (OSError, ValueError):
        return None, None


def _compression(head: bytes) -> str | None:
    """The compression whose header ``head`` starts with (zlib's: ``x`` and a byte that
    makes the two a multiple of 31)."""
    if head[:1] == b"x" and len(head) > 1 and int.from_bytes(head[:2], "big") % 31 == 0:
        return "zlib"
    return next((kind for magic, kind in _COMPRESSED.items() if head.startswith(magic)), None)


def _old_pickle(head: bytes, last: bytes | None) -> bool:
    """Whether a file that starts with ``head`` and ends with ``last`` reads as a pickle
    of protocol 0 or 1: an object's first opcodes (parsed, never run), and a final stop."""
    if last != b"." or head[:1] not in (b"c", b"(", b"}", b"]", b")"):
        return False
    try:
        return len(list(islice(pickletools.genops(head), 4))) == 4
    except ValueError:  # not an opcode, or not its argument
        return False


__all__ = [
    "DAMAGED",
    "expanded_path",
    "folder_ending",
    "given_text",
    "open_zip",
    "path_text",
    "regular_path",
]
