"""Save and load fitted llmboost estimators without pickle and without the prior's weights.

A saved model is a zip file (written beside the target, then renamed): ``model.json``,
``arrays/N.npy`` (read with ``allow_pickle=False``) and ``boosters/N.ubj`` or ``.txt``.

Loading never unpickles and never runs code from the file: it builds only estimators of
llmboost, scikit-learn, XGBoost and LightGBM (and scikit-learn's splitters, llmboost's
booster adapters and named tuples, numpy's RandomState from its state, metadata requests
from the requests per method) and parses trees with the libraries' parsers once checks
in Python found them consistent (:mod:`llmboost._check_lightgbm`,
:mod:`llmboost._check_xgboost`). Anything else, and a damaged file, is refused with
:class:`UnsafeFileError`; an estimator saved without a parameter this version has (or
an llmboost one with a parameter it does not have) with ``ValueError``. State that needs
pickle is refused at save with :class:`TypeError` naming the attribute. The prior's
weights are not stored: they are found by path or name and fingerprinted
(:mod:`llmboost._prior_weights`).
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import sklearn

from . import __version__, _saved_versions
from ._check_lightgbm import load_lightgbm_model
from ._check_npy import read_npy
from ._check_xgboost import load_xgboost_model
from ._file_writer import save_path, write_archive
from ._load_checks import (
    check_built,
    check_entries,
    check_fitted,
    check_json,
    entry,
    exact_number,
    hashable_key,
    import_llmboost_module,
    manifest_texts,
    stored_dtype,
)
from ._load_paths import DAMAGED, open_zip, path_text, regular_path
from ._model_writer import (
    TRUSTED_PACKAGES,
    Writer,
    check_estimator,
    trusted_class,
)
from ._pandas_records import malformed, read_index, read_series
from ._prior_weights import check_weights, fingerprint, needed_files, weights_files
from ._resources import require
from ._saved_versions import InconsistentVersionWarning, check_saved_params

#: The newest format version read; a file is written in version 1 (read by every
#: llmboost) unless it holds records added in version 2 (:class:`Writer`).
FORMAT, VERSION = "llmboost-model", 2


class UnsafeFileError(ValueError):
    """The file is not an llmboost model, or holds something ``load`` will not build."""


def save(model, path: str | os.PathLike) -> Path:
    """Write a fitted llmboost estimator to ``path`` (a zip file; see the module notes).

    Parameters
    ----------
    model : PriorBoostClassifier, PriorBoostRegressor or a subclass
        A fitted estimator.
    path : str or path-like
        The file to write (``~`` is the home folder) in an existing folder; a file there
        is replaced only once the new one is complete, keeping its permissions (a symbolic
        link's target is written, the link kept; other hard links keep the old), or, where
        the folder takes no new file or the file no rename (mounted on its own),
        overwritten in place if writable (its hard links then all get the new model).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    TypeError
        When ``model`` is no llmboost estimator, ``path`` not a str or path-like (``None``,
        bytes, a file object), or part of the fitted state cannot be stored without
        pickle (named: ``model.prior_.model_.steps[1][1].estimators_``).
    ValueError, NotFittedError
        When ``path`` is empty, holds a NUL byte or is a device, pipe or socket, a
        parameter was set out of range after the fit, model.json would hold more than
        2,000,000 ``[`` and ``{`` (load would refuse either), or ``model`` is not fitted.
    FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError, OSError
        When the folder is missing or a file (``~user``: no such home folder), ``path``
        is a folder or ends in ``/`` or ``/.`` but is a file, the folder takes no new file
        (or rename over it) nor the file an overwrite, writing fails (a full disk:
        ``ENOSPC``; one that may have damaged the file says so) or ``path`` is a symbolic
        link loop (``ELOOP``); the message names ``path`` and the step that failed.
    """
    from sklearn.utils.validation import check_is_fitted

    check_estimator(model)
    check_is_fitted(model, "members_")
    path = save_path(path)
    writer = Writer()
    root = writer.encode(model, "model")
    manifest = {
        "format": FORMAT,
        "version": writer.format_version,
        "root": root,
        "needs_files": needed_files(model.prior_),
        "weights_fingerprints": [fingerprint(p) for p in weights_files(model.prior_)],
        "llmboost_version": __version__,
        "library_versions": _saved_versions.library_versions(model, writer.keep),
    }
    text = json.dumps(manifest).encode()
    check_json(text, path, saving=True)
    write_archive(path, {"model.json": text, **writer.files})
    return path


def load(path: str | os.PathLike):
    """Read a model written by :func:`save`; the prior's weights are found again.

    Parameters
    ----------
    path : str, path-like or binary file object
        A file written by :func:`save` (``~`` is the home folder), or opened with
        ``open(path, "rb")``.

    Returns
    -------
    estimator
        The fitted estimator, predicting exactly as the saved one.

    Warns
    -----
    InconsistentVersionWarning
        Once per library the model uses (llmboost, scikit-learn, numpy, XGBoost, torch,
        ...) installed here in another version than the one that saved the file.

    Raises
    ------
    UnsafeFileError
        When the file is not an llmboost model (or not a regular file: a pipe, device or
        socket, refused unopened), is damaged, would unpack to more than 1 GiB and 100
        times its size (model.json: 1 MiB and 20 times, but for few values), has a format
        version this llmboost does not read, or holds anything but plain values, arrays and
        trusted classes, or parameters and fitted attributes no fit sets (or lacks those
        every fit sets), or has a model.json of more than 2,000,000 lists and dicts.
    TypeError
        When ``path`` is not a str, path-like or file object open for reading in binary mode.
    FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError
        When the file or the prior's weights are not found here or may not be read, or
        ``path`` is a folder, or ends in ``/`` or ``/.`` (a folder's) and is a file.
    ModelNotAvailableError, ModuleNotFoundError
        When TabPFN's or TabICL's weights, or a library the model needs (named), are
        not installed here.
    ValueError
        When the weights are not those fitted with, the estimator was saved without a
        parameter this version has (one whose default does what the older version did
        is filled in) or with one it lacks, a file object is closed or unseekable, or
        ``path`` is empty or holds a NUL byte.
    """
    from .estimators._prior_boost import _PriorBoost

    path = regular_path(path)
    name = path_text(path)  # a file object's file, as a path is named
    with open_zip(path, name) as archive:
        manifest = _manifest(archive, name)
        versions = _saved_versions.recorded_versions(manifest, name)
        _saved_versions.warn_other_versions(name, versions)  # before a failure they may explain
        reader = _Reader(archive, manifest.get("llmboost_version"))
        model = reader.decode_root(manifest.get("root"), f"{name}: model")
    if not isinstance(model, _PriorBoost):
        raise UnsafeFileError(f"{name} holds a {type(model).__name__}, not an llmboost estimator.")
    check_fitted(model, name)
    if "scikit-learn" not in versions:  # older files: the version their estimators kept
        _saved_versions.warn_other_versions(name, {}, reader.sklearn_versions)
    _check_weights(model, manifest, name)
    return model


def _check_weights(model, manifest: dict, name: str) -> None:
    """The prior's weights found here are the ones the file's fingerprints name."""
    check_weights(
        model.prior_,
        manifest_texts(manifest, "needs_files", name) or [],
        manifest_texts(manifest, "weights_fingerprints", name),
        str(manifest.get("llmboost_version", "unknown")),
    )


def _manifest(archive: zipfile.ZipFile, path) -> dict:
    """The parsed model.json of an llmboost model file of this format version."""
    check_entries(archive, path)
    try:
        data = entry(archive, "model.json")
        check_json(data, path)
        manifest = json.loads(data)
    except UnsafeFileError:
        raise
    except (ValueError, RecursionError, *DAMAGED) as exc:
        raise UnsafeFileError(f"{path} has no readable model.json ({exc!r}).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise UnsafeFileError(f"{path} is not an llmboost model file.")
    version = manifest.get("version")
    if type(version) is not int or not 1 <= version <= VERSION:  # 1.0 or true are not 1
        by = manifest.get("llmboost_version", "unknown")
        raise UnsafeFileError(
            f"{path} has format version {version!r} (written by llmboost {by}); this "
            f"llmboost {__version__} reads versions 1 to {VERSION}: load it with llmboost {by}."
        )
    return manifest


# -- reading ------------------------------------------------------------------------------
class _Reader:
    """Builds objects back from the JSON tree, refusing anything outside the vocabulary."""

    def __init__(self, archive: zipfile.ZipFile, written_by=None) -> None:
        self.archive, self.written_by = archive, written_by  # the llmboost version
        self.built: dict[int, Any] = {}
        self.read: set[str] = set()  # entries read: each once, so memory stays bounded
        self.sklearn_versions: set[str] = set()  # of the scikit-learn estimators built

    def decode_root(self, value, where: str):
        """:meth:`decode`; nesting past the recursion limit (no model's) is refused."""
        try:
            return self.decode(value, where)
        except RecursionError:
            raise UnsafeFileError(f"{where}: model.json is nested too deeply.") from None

    def decode(self, value, where: str):
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, list):
            return [self.decode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if not isinstance(value, dict) or not isinstance(value.get("$"), str):
            raise UnsafeFileError(f"{where}: unexpected record {str(value)[:80]!r}.")
        method = getattr(self, "_tag_" + value["$"], None)
        if method is None:
            raise UnsafeFileError(f"{where}: unknown record type {value['$']!r}{self._by()}.")
        out = method(value, where)
        if value.get("unmasked") is True and isinstance(out, np.ndarray):  # no entry masked
            return np.ma.MaskedArray(out, mask=np.zeros(out.shape, bool))
        return out

    def _by(self) -> str:
        """For what a newer llmboost writes (older ones wrote no version): which it was."""
        if self.written_by in (None, __version__):
            return ""
        return f" (written by llmboost {self.written_by}: load it with that version)"

    def _items(self, value, where):
        items = value.get("items")
        if not isinstance(items, list):
            raise UnsafeFileError(f"{where}: record without items.")
        return [self.decode(v, f"{where}[{i}]") for i, v in enumerate(items)]

    def _tag_tuple(self, value, where):
        return tuple(self._items(value, where))

    def _tag_dict(self, value, where):
        pairs = self._items(value, where)
        if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
            raise UnsafeFileError(f"{where}: malformed dict.")
        return {hashable_key(k, where): v for k, v in pairs}

    def _tag_set(self, value, where):
        items = self._items(value, where)
        items = [hashable_key(v, where, "set (an unhashable item)") for v in items]
        return (frozenset if value.get("frozen") is True else set)(items)

    def _tag_scalar(self, value, where):
        dtype, item = stored_dtype(value.get("dtype"), where), value.get("value")
        if not isinstance(item, bool | int | float | str):  # None: nan or 'None'; a list
            raise UnsafeFileError(f"{where}: malformed scalar {item!r:.80}.")
        with malformed(where, "scalar"):
            return dtype.type(item)

    def _tag_dtype(self, value, where):
        return stored_dtype(value.get("name"), where)

    def _tag_nptype(self, value, where):
        return stored_dtype(value.get("name"), where).type

    def _tag_exact(self, value, where):
        return exact_number(value, where)

    def _tag_slice(self, value, where):
        items = self._items(value, where)
        if len(items) != 3 or not all(v is None or isinstance(v, int) for v in items):
            raise UnsafeFileError(f"{where}: malformed slice.")
        return slice(*items)

    def _tag_path(self, value, where):
        if not isinstance(text := value.get("value"), str):  # Path('None')
            raise UnsafeFileError(f"{where}: malformed path {text!r:.80}.")
        return Path(text)

    def _tag_torch_dtype(self, value, where):
        torch = require("torch", extra="llm", who=f"{where} (a torch dtype)")

        dtype = getattr(torch, str(value.get("name")), None)
        if not isinstance(dtype, torch.dtype):
            raise UnsafeFileError(f"{where}: {value.get('name')!r} is not a torch dtype.")
        return dtype

    def _tag_random_state(self, value, where):
        state = self.decode(value.get("state"), where)
        generator = np.random.RandomState()
        try:
            generator.set_state(state)
        except (TypeError, ValueError, IndexError, OverflowError) as exc:
            raise UnsafeFileError(f"{where}: malformed random state ({exc}).") from None
        return generator

    def _tag_metadata_request(self, value, where):
        from sklearn.utils.metadata_routing import MetadataRequest

        requests = self.decode(value.get("requests"), where)
        if not isinstance(requests, dict) or not all(
            isinstance(r, dict) for r in requests.values()
        ):
            raise UnsafeFileError(f"{where}: malformed metadata requests.")
        out = MetadataRequest(owner=self.decode(value.get("owner"), where))
        for method, params in requests.items():
            target = getattr(out, str(method), None)
            if not hasattr(target, "add_request"):
                raise UnsafeFileError(
                    f"{where}: metadata requests of an unknown method {method!r}."
                )
            for param, alias in params.items():
                if not (
                    isinstance(param, str) and (alias is None or isinstance(alias, bool | str))
                ):
                    raise UnsafeFileError(
                        f"{where}: malformed metadata request {param!r}: {alias!r}."
                    )
                try:
                    target.add_request(param=param, alias=alias)
                except ValueError as exc:
                    raise UnsafeFileError(f"{where}: {exc}") from None
        return out

    def _tag_array(self, value, where):
        return _read(read_npy, self._file(value, where, "arrays/", ".npy"), where, value)

    def _tag_masked(self, value, where):
        data, mask = (self.decode(value.get(k), f"{where}.{k}") for k in ("data", "mask"))
        arrays = isinstance(data, np.ndarray) and isinstance(mask, np.ndarray)
        if not arrays or mask.dtype != bool or mask.shape != data.shape:
            raise UnsafeFileError(f"{where}: malformed masked array.")
        return np.ma.MaskedArray(data, mask=mask)

    def _tag_objarray(self, value, where):
        items = self._items(value, where)
        shape = value.get("shape")  # as numpy's: math.prod of 500 4,000-digit sizes took 18 s
        sizes = isinstance(shape, list) and all(type(n) is int and 0 <= n < 2**63 for n in shape)
        if not sizes or len(shape) > 64:
            raise UnsafeFileError(f"{where}: malformed object array shape {shape!r:.80}.")
        if math.prod(shape) != len(items):
            raise UnsafeFileError(f"{where}: malformed object array.")
        out = np.empty(len(items), dtype=object)
        out[:] = items
        with malformed(where, "object array"):
            return out.reshape(shape)

    def _tag_index(self, value, where):
        return read_index(self.decode, value, where)

    def _tag_series(self, value, where):
        return read_series(self.decode, value, where)

    _tag_extension = _tag_series

    def _tag_ref(self, value, where):
        if not isinstance(value.get("id"), int) or value["id"] not in self.built:
            raise UnsafeFileError(f"{where}: reference to an unknown object.")
        return self.built[value["id"]]

    def _tag_namedtuple(self, value, where):
        cls = _resolve(value.get("class"), where, self._by())
        if not (issubclass(cls, tuple) and hasattr(cls, "_fields")):
            raise UnsafeFileError(f"{where}: {value.get('class')} is not a named tuple.")
        items = self._items(value, where)
        with malformed(where, "named tuple"):
            made = cls(*items)
        return self._keep(value, made, where)

    def _tag_object(self, value, where):
        cls = _resolve(value.get("class"), where, self._by())
        if not trusted_class(cls) or hasattr(cls, "_fields"):
            raise UnsafeFileError(f"{where}: {value.get('class')} is not a trusted class.")
        pairs = value.get("state")
        if not isinstance(pairs, list) or not all(
            isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in pairs
        ):
            raise UnsafeFileError(f"{where}: malformed object state.")
        obj = cls.__new__(cls)
        self._keep(value, obj, where)
        state = {k: self.decode(v, f"{where}.{k}") for k, v in pairs}
        check_saved_params(cls, state, where)
        if isinstance(state.get("_sklearn_version"), str):  # one warning, not one per estimator
            self.sklearn_versions.add(state["_sklearn_version"])
            state["_sklearn_version"] = sklearn.__version__
        if hasattr(obj, "__setstate__"):
            obj.__setstate__(state)
        else:
            obj.__dict__.update(state)
        if cls.__module__.startswith("llmboost."):
            try:
                check_built(obj)
            except (ValueError, TypeError) as exc:
                raise UnsafeFileError(f"{where}: {str(exc).rstrip('.')}.") from None
        return obj

    def _tag_xgboost(self, value, where):
        data = self._file(value, where, "boosters/", ".ubj")
        return self._keep(value, _read(load_xgboost_model, data, where, value), where)

    def _tag_lightgbm(self, value, where):
        data = self._file(value, where, "boosters/", ".txt")
        return self._keep(value, _read(load_lightgbm_model, data, where, value), where)

    def _keep(self, value, obj, where):
        key = value.get("id")
        if not isinstance(key, int) or key in self.built:
            raise UnsafeFileError(f"{where}: missing or repeated object id.")
        self.built[key] = obj
        return obj

    def _file(self, value, where, folder: str, suffix: str) -> bytes:
        name = value.get("file")
        if not (isinstance(name, str) and name.startswith(folder) and name.endswith(suffix)):
            raise UnsafeFileError(f"{where}: bad file name {name!r}.")
        if name in self.read:
            raise UnsafeFileError(f"{where}: {name} is read a second time (a crafted file).")
        self.read.add(name)
        try:
            return entry(self.archive, name)
        except KeyError as exc:
            raise UnsafeFileError(f"{where}: {name} is missing from the file.") from exc
        except DAMAGED as exc:
            raise UnsafeFileError(f"{where}: {name} is damaged ({exc!r}); save it again.") from None


def _read(read, data: bytes, where: str, value: dict):
    """An array or booster read from ``data`` after the checks of :mod:`llmboost._check_npy`
    (``.npy``) or :mod:`llmboost._check_lightgbm` / :mod:`llmboost._check_xgboost` (trees)."""
    try:
        return read(data)
    except ValueError as exc:
        raise UnsafeFileError(f"{where}: {value['file']} {exc}.") from None


def _resolve(name, where, by: str) -> type:
    """The class ``module:qualname``, imported only from :data:`TRUSTED_PACKAGES`
    (``by``: which llmboost wrote the file, where another)."""
    if not isinstance(name, str) or name.count(":") != 1:
        raise UnsafeFileError(f"{where}: bad class name {name!r}.")
    module, qualname = name.split(":")
    parts = module.split(".")
    if parts[0] not in TRUSTED_PACKAGES or "." in qualname or any(p[:2] == "__" for p in parts):
        raise UnsafeFileError(f"{where}: class {name} is outside {TRUSTED_PACKAGES}.")
    try:
        cls = getattr(import_llmboost_module(module), qualname)
    except (ImportError, AttributeError) as exc:
        _saved_versions.check_importable(exc, where, name)  # a library not installed
        raise UnsafeFileError(f"{where}: class {name} not found{by}.") from exc
    if not isinstance(cls, type):
        raise UnsafeFileError(f"{where}: {name} is not a class.")
    return cls


__all__ = [
    "FORMAT",
    "TRUSTED_PACKAGES",
    "InconsistentVersionWarning",
    "UnsafeFileError",
    "load",
    "save",
]
