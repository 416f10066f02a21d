"""The score cache of the LLM prior: scores of prompts on disk, shared by processes.

Nothing here imports torch or transformers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
import time
import uuid
import warnings
import zlib
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .._warn import caller_level
from ._llm_store import STALE_SECONDS

#: Bump when the way scores are computed changes: old disk-cache entries are then unused.
#: 2: no end token between prompt and answer; no padding inside a sliding window.
SCORE_VERSION = 2

_MAGIC = b"LLMBOOST-SCORES-1\n"
#: Packs changed this recently (ns) are read at every lookup: file times are coarser.
_SETTLED_NS = 2 * 10**9
#: Cache folders whose packs are kept in memory (least recently used dropped first).
MAX_FOLDERS = 8
_PACKS: OrderedDict = OrderedDict()  # (folder, n) -> {pack name: (signature, keys, scores)}


def score_namespace(**parts) -> str:
    """Hash of everything besides the prompt that decides a score (model, dtype, answers...).

    Parameters
    ----------
    **parts
        JSON-serialisable values, in a fixed order.

    Returns
    -------
    str
        A hex digest, the namespace of a :class:`ScoreCache`.
    """
    return _namespace(SCORE_VERSION, parts)


def _namespace(version: int, parts: dict) -> str:
    return hashlib.sha256(json.dumps({"v": version, **parts}).encode()).hexdigest()


def remove_older_versions(root: Path, **parts) -> None:
    """Delete the packs of the same ``parts`` scored by older versions (never read again).

    Only pack files and the cache's temporary files go, then the folder if that empties
    it; anything else in it stays. Disk errors are ignored.

    Parameters
    ----------
    root : Path
        The cache folder.
    **parts
        As given to :func:`score_namespace`.

    Returns
    -------
    None
    """
    for version in range(1, SCORE_VERSION):
        folder = Path(root) / "scores" / _namespace(version, parts)[:32]
        try:
            paths = list(folder.iterdir())
        except OSError:
            continue
        for path in paths:
            if path.suffix == ".pack" or (path.name[:1] == "." and path.suffix == ".tmp"):
                try:
                    path.unlink()
                except OSError:
                    pass
        try:
            folder.rmdir()
        except OSError:
            pass


def _prefix(keys: np.ndarray) -> np.ndarray:
    """The first 8 bytes of each key (rows of 32 bytes) as one integer, to sort and search."""
    return np.ascontiguousarray(keys[:, :8]).view("<u8")[:, 0]


class ScoreCache:
    """Scores of prompts on disk, under ``root/scores/<namespace>/``.

    ``namespace`` hashes everything else that decides a score (model identity, dtype,
    prompt mode, verbalizers), so every record holds ``n`` float64 values. Each
    :meth:`put_many` writes one pack file of records, to a temporary name first and
    then ``os.replace``: readers never see half a file and any number of processes
    may write at once. Every record carries its own CRC: a corrupt record counts as
    missing (it is recomputed and written again) and the others stay usable. Once
    there are more than ``max_packs`` packs they are merged into one. A pack is read
    once per process and again only when its size, times or inode change (every
    lookup rereads packs changed in the last 2 seconds, finer than file times).
    Temporary files older than a day, left by writers that were killed, are removed
    when a cache opens.

    Parameters
    ----------
    root : Path
        The cache folder.
    namespace : str
        :func:`score_namespace` of the scores.
    n : int
        Scores per prompt.
    """

    max_packs = 32

    def __init__(self, root: Path, namespace: str, n: int) -> None:
        self.namespace = namespace
        self.n = int(n)
        self.folder = Path(root) / "scores" / namespace[:32]
        self._record = 32 + 4 + 8 * self.n + 4
        self._sweep()

    def _sweep(self) -> None:
        """Remove the temporary packs (:meth:`_write`) older than ``STALE_SECONDS``: a
        writer killed before its ``os.replace`` left them; a live one's are seconds old."""
        try:
            paths = list(self.folder.glob(".*.pack.*.tmp"))
        except OSError:
            return
        now = time.time()
        for path in paths:
            with contextlib.suppress(OSError):
                if now - path.stat().st_mtime > STALE_SECONDS:
                    path.unlink()

    def key(self, prompt: str) -> bytes:
        """Binary key of a prompt (SHA-256 of namespace and prompt text).

        Parameters
        ----------
        prompt : str

        Returns
        -------
        bytes
        """
        return hashlib.sha256(
            self.namespace.encode() + b"\0" + prompt.encode("utf-8", "surrogatepass")
        ).digest()

    def _packs(self) -> list[Path]:
        try:
            return sorted(p for p in self.folder.iterdir() if p.suffix == ".pack")
        except OSError:
            return []

    def _parse(self, data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sorted :func:`_prefix` of the valid records, their keys (32 bytes) and scores."""
        size, n, head = self._record, self.n, len(_MAGIC)
        count = (len(data) - head) // size if data.startswith(_MAGIC) else 0
        data = data if count else _MAGIC  # not a pack, or no whole record: none
        view = memoryview(data)
        crc = np.fromiter(
            (zlib.crc32(view[s : s + size - 4]) for s in range(head, head + count * size, size)),
            dtype=np.uint32,
            count=count,
        )
        rec = np.frombuffer(data, np.uint8, count=count * size, offset=head).reshape(count, size)
        values = rec[:, 36:-4].copy().view("<f8").astype(np.float64)
        ok = crc == rec[:, -4:].copy().view("<u4")[:, 0]
        ok &= (rec[:, 32:36].copy().view("<u4")[:, 0] == n) & np.isfinite(values).all(axis=1)
        keys = rec[ok, :32].copy()
        order = np.argsort(_prefix(keys), kind="stable")
        return _prefix(keys)[order], keys[order], values[ok][order]

    def _read(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Keys and scores of every pack, from memory for packs unchanged since last read."""
        memo = _PACKS.pop((str(self.folder), self.n), {})
        now, current = time.time_ns(), {}
        for path in self._packs():
            try:
                st = path.stat()
                sign = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
                entry = memo.get(path.name)
                if entry is None or entry[0] != sign:
                    entry = (sign, *self._parse(path.read_bytes()))
            except OSError:  # removed meanwhile (merged by another process)
                continue
            if now - st.st_mtime_ns < _SETTLED_NS:
                entry = (None, *entry[1:])  # changes within a timestamp tick would not show
            current[path.name] = entry
        _PACKS[(str(self.folder), self.n)] = current
        while len(_PACKS) > MAX_FOLDERS:
            _PACKS.popitem(last=False)
        return [entry[1:] for entry in current.values()]

    def get_many(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        """Stored scores of the keys found (missing and corrupt ones left out).

        Parameters
        ----------
        keys : list of bytes

        Returns
        -------
        dict of bytes to ndarray
        """
        query = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 32)
        order = np.argsort(_prefix(query))
        wanted = _prefix(query)[order]  # sorted: searched faster
        found = np.zeros(len(keys), dtype=bool)
        out = np.empty((len(keys), self.n), dtype=np.float64)
        for prefixes, stored, values in self._read() if keys else []:
            if not len(prefixes):
                continue
            at = np.searchsorted(prefixes, wanted).clip(max=len(prefixes) - 1)
            same = prefixes[at] == wanted
            rows, at = order[same], at[same]
            hit = (stored[at] == query[rows]).all(axis=1)  # a shared prefix alone is a miss
            out[rows[hit]], found[rows[hit]] = values[at[hit]], True
        return {k: out[i] for i, k in enumerate(keys) if found[i]}

    def put_many(self, items: dict[bytes, np.ndarray]) -> None:
        """Store scores in one new pack; a disk error is a warning (the cache is optional).

        Parameters
        ----------
        items : dict of bytes to ndarray
            Keys (:meth:`key`) and their ``n`` scores.

        Returns
        -------
        None
        """
        if not items:
            return
        values = [np.ascontiguousarray(v, dtype="<f8").reshape(-1) for v in items.values()]
        for v in values:
            if v.size != self.n:
                raise ValueError(f"expected {self.n} scores, got {v.size}")
        name = f"{os.getpid()}-{uuid.uuid4().hex}.pack"
        error = self._write(self.folder / name, self._encode(list(items), values))
        if error is not None:
            warnings.warn(
                f"LLMPrior: cannot save the scores into {self.folder} ({error}); they will be "
                "computed again next time. Pass a writable cache_dir= (or cache_dir=False).",
                UserWarning,
                stacklevel=caller_level(),
            )
            return
        packs = self._packs()
        if len(packs) > self.max_packs:
            self._compact(packs)

    def _encode(self, keys: list[bytes], values) -> bytes:
        chunks = [_MAGIC]
        for key, row in zip(keys, values, strict=True):
            rec = key + struct.pack("<I", self.n) + np.asarray(row, "<f8").tobytes()
            chunks.append(rec + struct.pack("<I", zlib.crc32(rec)))
        return b"".join(chunks)

    def _write(self, path: Path, data: bytes) -> OSError | None:
        """Write ``path`` through a temporary file; the error when it could not be."""
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        written, error = False, None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
            written = True
        except OSError as err:
            error = err
        finally:  # also when interrupted: no temporary copy stays behind
            if not written:
                try:
                    tmp.unlink()
                except OSError:
                    pass
        return error

    def _compact(self, packs: list[Path]) -> None:
        merged: dict[bytes, np.ndarray] = {}
        for _, stored, values in self._read():
            merged.update((key.tobytes(), row) for key, row in zip(stored, values, strict=True))
        name = f"0-merged-{uuid.uuid4().hex}.pack"
        if self._write(self.folder / name, self._encode(list(merged), merged.values())) is None:
            for path in packs:
                try:
                    path.unlink()
                except OSError:
                    pass


__all__ = [
    "MAX_FOLDERS",
    "SCORE_VERSION",
    "ScoreCache",
    "remove_older_versions",
    "score_namespace",
]
