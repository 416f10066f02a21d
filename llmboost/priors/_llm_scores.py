"""The score cache of the LLM prior: scores of prompts on disk, shared by processes.

Nothing here imports torch or transformers.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import uuid
import zlib
from pathlib import Path

import numpy as np

#: Bump when the way scores are computed changes: old disk-cache entries are then unused.
#: 2: no end token between prompt and answer; no padding inside a sliding window.
SCORE_VERSION = 2

_MAGIC = b"LLMBOOST-SCORES-1\n"


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
    return hashlib.sha256(json.dumps({"v": SCORE_VERSION, **parts}).encode()).hexdigest()


class ScoreCache:
    """Scores of prompts on disk, under ``root/scores/<namespace>/``.

    ``namespace`` hashes everything else that decides a score (model identity, dtype,
    prompt mode, verbalizers), so every record holds ``n`` float64 values. Each
    :meth:`put_many` writes one pack file of records, to a temporary name first and
    then ``os.replace``: readers never see half a file and any number of processes
    may write at once. Every record carries its own CRC: a corrupt record counts as
    missing (it is recomputed and written again) and the others stay usable. Once
    there are more than ``max_packs`` packs they are merged into one.

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
        self._index: dict[bytes, np.ndarray] = {}
        self._read: set[str] = set()

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

    def _load(self, path: Path) -> dict[bytes, np.ndarray]:
        try:
            data = path.read_bytes()
        except OSError:
            return {}
        out: dict[bytes, np.ndarray] = {}
        if not data.startswith(_MAGIC):
            return out
        size, n = self._record, self.n
        for start in range(len(_MAGIC), len(data) - size + 1, size):
            rec = data[start : start + size]
            if zlib.crc32(rec[:-4]) != struct.unpack("<I", rec[-4:])[0]:
                continue
            if struct.unpack("<I", rec[32:36])[0] != n:
                continue
            values = np.frombuffer(rec, dtype="<f8", offset=36, count=n).astype(np.float64)
            if np.isfinite(values).all():
                out[rec[:32]] = values
        return out

    def refresh(self) -> None:
        """Read the packs written since the last call (by this or another process).

        Returns
        -------
        None
        """
        for path in self._packs():
            if path.name not in self._read:
                self._index.update(self._load(path))
                self._read.add(path.name)

    def get_many(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        """Stored scores of the keys found (missing and corrupt ones left out).

        Parameters
        ----------
        keys : list of bytes

        Returns
        -------
        dict of bytes to ndarray
        """
        self.refresh()
        return {k: self._index[k] for k in keys if k in self._index}

    def put_many(self, items: dict[bytes, np.ndarray]) -> None:
        """Store scores in one new pack; disk errors are ignored (the cache is optional).

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
        chunks = [_MAGIC]
        for key, values in items.items():
            values = np.ascontiguousarray(values, dtype="<f8").reshape(-1)
            if values.size != self.n:
                raise ValueError(f"expected {self.n} scores, got {values.size}")
            rec = key + struct.pack("<I", self.n) + values.tobytes()
            chunks.append(rec + struct.pack("<I", zlib.crc32(rec)))
            self._index[key] = values.astype(np.float64)
        name = f"{os.getpid()}-{uuid.uuid4().hex}.pack"
        if self._write(self.folder / name, b"".join(chunks)):
            self._read.add(name)
        packs = self._packs()
        if len(packs) > self.max_packs:
            self._compact(packs)

    def _write(self, path: Path, data: bytes) -> bool:
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        written = False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
            written = True
        except OSError:
            pass
        finally:  # also when interrupted: no temporary copy stays behind
            if not written:
                try:
                    tmp.unlink()
                except OSError:
                    pass
        return written

    def _compact(self, packs: list[Path]) -> None:
        merged: dict[bytes, np.ndarray] = {}
        for path in packs:
            merged.update(self._load(path))
        chunks = [_MAGIC]
        for key, values in merged.items():
            rec = key + struct.pack("<I", self.n) + np.asarray(values, "<f8").tobytes()
            chunks.append(rec + struct.pack("<I", zlib.crc32(rec)))
        name = f"0-merged-{uuid.uuid4().hex}.pack"
        if self._write(self.folder / name, b"".join(chunks)):
            self._read.add(name)
            for path in packs:
                try:
                    path.unlink()
                except OSError:
                    pass


__all__ = ["SCORE_VERSION", "ScoreCache", "score_namespace"]
