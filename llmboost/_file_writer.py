"""The file half of :func:`llmboost.save`: the path checked, then the zip written beside
the target and renamed over it (or, where the folder takes no new file, written over it
in place)."""

from __future__ import annotations

import errno
import io
import os
import secrets
import stat
import zipfile
import zlib
from pathlib import Path

from . import _load_checks
from ._load_paths import expanded_path, folder_ending, given_text


def save_path(path) -> Path:
    """``path`` with ``~`` expanded; what is not a str or path-like is a ``TypeError``, a
    path ending in a separator or in one then ``.`` (a folder's; pathlib drops either)
    that is no folder an error."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(
            "save writes to a path (a str or os.PathLike), got "
            f"{given_text(path)}{_write_hint(path)}."
        )
    out, text = expanded_path(path, "save"), os.fspath(path)
    ending = folder_ending(text)
    if ending and not out.is_dir():
        found = out.exists() or out.is_symlink()  # "a/" wrote the file a over a file a
        why = f"{out} is a file" if found else f"the folder {out} does not exist"
        raise (NotADirectoryError if found else FileNotFoundError)(
            f"Cannot save to {text}: a path ending in {ending!r} names a folder, and {why}; "
            f"pass the file's path without the {ending!r}."
        )
    return out


def _write_hint(path) -> str:
    """What to pass ``save`` for a file object: it writes a file of its own, renamed
    into place."""
    if not hasattr(path, "write"):
        return ""
    if isinstance(getattr(path, "name", None), str):
        return f": pass its path, save(model, {path.name!r})"
    return ": to hold a model in memory, save it to a file and read the file's bytes"


def write_archive(path: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` as a zip at ``path`` (a symbolic link's target, the link kept): in a
    new file beside it, renamed over it once complete with the old file's permissions.
    Where the folder takes no new file (or no rename over that one), or the file is
    mounted on its own (a rename over it: ``EBUSY``), a file there that is writable is
    overwritten in place (:func:`_overwrite`)."""
    target = _file_to_write(path)
    # renamed once complete; a short name, as the target's may be near the length limit
    part = target.with_name(f".llmboost-{secrets.token_hex(8)}.part")
    doing = f"writing a new file in {target.parent} to rename over it"
    hint = ": make the folder writable, or save elsewhere"
    try:
        try:
            with open(part, "xb") as handle:
                _write_zip(handle, files)
            _keep_mode(target, part)
            doing = f"renaming a new file in {target.parent} over it"
            hint = (  # the folder took the new file: the old one is another user's
                ": in a sticky folder (as /tmp is) only a file's owner may replace it; save "
                "elsewhere, or have its owner remove it"
            )
            os.replace(part, target)
        except OSError as exc:  # a read-only folder; another's file in a sticky one; a mount
            busy = exc.errno == errno.EBUSY  # a container's volume of one file
            if not isinstance(exc, PermissionError) and not busy:
                raise
            if not (target.is_file() and os.access(target, os.W_OK)):
                raise
            why = "it is mounted on its own" if busy else f"{target.parent} takes no new file"
            doing, hint = f"overwriting {target} in place, as {why}", ""
            _overwrite(target, files)
    except OSError as exc:  # it named the temporary file, which the user never chose
        if exc.errno is None:
            raise
        hint *= isinstance(exc, PermissionError)
        raise type(exc)(
            exc.errno,
            f"Cannot save to {path}: {exc.strerror} ({doing}){hint}",
        ) from exc
    finally:
        part.unlink(missing_ok=True)


def _overwrite(target: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` as a zip over ``target`` in place, made whole in memory first; the
    old bytes are written back when that fails (a full disk), so the old model stays."""
    buffer = io.BytesIO()
    _write_zip(buffer, files)
    with open(target, "r+b") as handle:
        old = handle.read()
        try:
            _put(handle, buffer.getbuffer())
        except BaseException as exc:
            try:
                _put(handle, old)
            except OSError as again:  # it raised only the second cause
                first = exc.strerror if isinstance(exc, OSError) and exc.strerror else repr(exc)
                raise type(again)(
                    again.errno or errno.EIO,
                    f"{first}, and writing the old model back failed too "
                    f"({again.strerror or repr(again)}): {target} may now be damaged; restore it "
                    "from a copy or save the model again",
                ) from exc
            raise


def _put(handle, data) -> None:
    """``data`` as the whole of the file ``handle``, on disk when it returns."""
    handle.seek(0)
    handle.write(data)
    handle.truncate()
    _sync(handle)


def _write_zip(handle, files: dict[str, bytes]) -> None:
    """``files`` as a zip into ``handle``, on disk (a file's) when it returns."""
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(_entry_info(name, data), data)
    if not isinstance(handle, io.BytesIO):
        _sync(handle)  # on disk before the rename: a crash keeps one whole file


def _sync(handle) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _entry_info(name: str, data: bytes) -> zipfile.ZipInfo:
    """Entry ``name``, deflated, of a fixed date: the same model saves to the same bytes.
    A model.json that deflates past what load reads (:func:`check_entries`) is stored."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o600 << 16  # as writestr
    if name == "model.json" and len(data) > _load_checks.ANY_RATIO_JSON:
        packer = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)  # zipfile's
        if len(data) > _load_checks.MAX_JSON_RATIO * len(packer.compress(data) + packer.flush()):
            info.compress_type = zipfile.ZIP_STORED
    return info


def _keep_mode(target: Path, part: Path) -> None:
    """Give the new file the permissions of the one it replaces (a model holds training
    rows: a file kept private stays private)."""
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        return
    os.chmod(part, mode)


def _file_to_write(path: Path) -> Path:
    """The file ``save`` writes for ``path``: a symbolic link's target (the link stays)."""
    try:
        target = path.resolve() if path.is_symlink() else path
    except (RuntimeError, OSError) as exc:  # a loop: RuntimeError before Python 3.13
        if isinstance(exc, OSError) and exc.errno != errno.ELOOP:
            raise
        raise OSError(
            errno.ELOOP,
            f"Cannot save to {path}: it is a symbolic link whose links lead back to "
            "themselves (a loop); remove it or pass another path",
        ) from None
    if path.is_dir() or not target.parent.is_dir():
        why = "it is a folder" if path.is_dir() else f"the folder {target.parent} does not exist"
        if not path.is_dir() and target.parent.exists():  # a file where a folder should be
            why = f"{target.parent} is a file, not a folder"
        error = IsADirectoryError if path.is_dir() else FileNotFoundError
        raise error(f"Cannot save to {path}: {why}; pass a file path in an existing folder.")
    if target.exists() and not target.is_file():  # the rename would replace a device
        raise ValueError(
            f"Cannot save to {path}: it is not a regular file (a device, pipe or socket), "
            "which save would replace by one; pass a file path."
        )
    return target


__all__ = ["save_path", "write_archive"]
