"""The writing half of :mod:`llmboost.persistence`: objects to a JSON tree and files.

Only the classes :func:`trusted_class` accepts are written (the reader refuses the
rest too); arrays go to ``.npy`` entries, library boosters to their own formats, each
checked as the reader will check it.
"""

from __future__ import annotations

import errno
import io
import os
import re
import secrets
import stat
import sys
import zipfile
import zlib
from decimal import Decimal
from fractions import Fraction
from functools import partial
from pathlib import Path, PurePath
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.compose import make_column_selector
from sklearn.utils.metadata_routing import MetadataRequest

from . import _load_checks
from ._check_lightgbm import check_lightgbm_model
from ._check_npy import NPY_KINDS
from ._check_xgboost import check_xgboost_model
from ._load_checks import check_built
from ._load_paths import expanded_path, folder_ending, given_text
from ._pandas_records import write_pandas
from ._params import is_torch_device

#: Packages whose classes ``load`` may build.
TRUSTED_PACKAGES = ("llmboost", "sklearn", "xgboost", "lightgbm")
#: Functions by another name: numpy's (``np.log1p``) and ``functools.partial``.
_FUNCTIONS = (FunctionType, BuiltinFunctionType, MethodType, np.ufunc, partial)


class Writer:
    """Turns objects into JSON values; arrays and trees go to ``files``. Its
    ``format_version``: 2 once it wrote a record llmboost before them refuses (``masked``
    with an entry masked, ``exact``, ``random_state``, ``metadata_request``, ``set``, a
    splitter), else 1 (read by those too)."""

    def __init__(self) -> None:
        self.format_version = 1
        self.files: dict[str, bytes] = {}
        self.seen: dict[int, int] = {}
        self.keep: list = []  # objects seen, kept alive so their ids stay unique

    def encode(self, obj, where: str):
        if isinstance(obj, np.generic):  # before float and str: np.float64, np.str_ are both
            return self._scalar(obj, where)
        if obj is None or isinstance(obj, bool | int | float | str):
            return obj
        if isinstance(obj, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
            items = [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
            return {"$": "tuple", "items": items}
        if isinstance(obj, dict):
            items = [
                [self.encode(k, f"{where} key"), self.encode(v, f"{where}[{k!r}]")]
                for k, v in obj.items()
            ]
            return {"$": "dict", "items": items}
        if type(obj) in (set, frozenset):  # LightGBM's booster_params take a set of columns
            self.format_version = 2
            items = [self.encode(v, f"{where} item") for v in _ordered(obj)]
            return {"$": "set", "frozen": type(obj) is frozenset, "items": items}
        if isinstance(obj, np.ma.MaskedArray):  # cv_results_'s param_<name>: np.save drops masks
            mask = np.ma.getmaskarray(obj)
            data = np.array(np.ma.getdata(obj))  # masked entries hold leftovers: made plain
            if not mask.any():  # a plain array to llmboost before masked records: version 1
                return {**self._array(data, where), "unmasked": True}
            data[mask] = None if data.dtype == object else 0
            mask, data = self._array(mask, f"{where}.mask"), self._array(data, where)
            self.format_version = 2
            return {"$": "masked", "data": data, "mask": mask}
        if isinstance(obj, np.ndarray):
            return self._array(obj, where)
        return self._other(obj, where)

    def _other(self, obj, where: str):
        if (record := write_pandas(self, obj, where)) is not None:  # Index, Series
            return record
        if isinstance(obj, np.dtype):
            return {"$": "dtype", "name": _simple_dtype(obj, where).str}
        if isinstance(obj, type) and issubclass(obj, np.generic):
            return {"$": "nptype", "name": _simple_dtype(np.dtype(obj), where).name}
        if isinstance(obj, slice):
            return {"$": "slice", "items": [obj.start, obj.stop, obj.step]}
        if isinstance(obj, PurePath):
            return {"$": "path", "value": str(obj)}
        if is_torch_device(obj):  # a device parameter: kept as its name, which it takes too
            return str(obj)
        if type(obj).__module__ == "torch" and type(obj).__name__ == "dtype":
            return {"$": "torch_dtype", "name": str(obj).removeprefix("torch.")}
        if type(obj) is np.random.RandomState:  # a random_state: its generator's state
            self.format_version = 2
            return {"$": "random_state", "state": self.encode(obj.get_state(), where)}
        if isinstance(obj, Fraction | Decimal):  # booster_params take them (as floats)
            kind = "fraction" if isinstance(obj, Fraction) else "decimal"
            self.format_version = 2
            return {"$": "exact", "kind": kind, "text": str(obj)}
        if isinstance(obj, MetadataRequest):
            return self._metadata_request(obj, where)
        return self._object(obj, where)

    def _metadata_request(self, obj: MetadataRequest, where: str):
        """What ``set_fit_request`` and the like set: per method, its requests. The owner
        is the estimator itself, or (a clone's) the name of its class."""
        owner = obj.owner
        if not isinstance(owner, str):
            owner = self.encode(owner, where) if id(owner) in self.seen else type(owner).__name__
        requests = {
            method: dict(value.requests)
            for method, value in vars(obj).items()
            if hasattr(value, "add_request") and value.requests
        }
        self.format_version = 2
        return {"$": "metadata_request", "owner": owner, "requests": self.encode(requests, where)}

    def _scalar(self, obj: np.generic, where: str):
        value = obj.item()  # a date, a complex number, or a bare integer for a datetime64
        if obj.dtype.kind in "Mm" or not isinstance(value, bool | int | float | str):
            raise TypeError(
                f"Cannot store {where}: a numpy {obj.dtype} scalar; give a number or text."
            )
        return {"$": "scalar", "dtype": _simple_dtype(obj.dtype, where).str, "value": value}

    def _array(self, obj: np.ndarray, where: str):
        if obj.dtype.kind in NPY_KINDS:
            name = f"arrays/{len(self.files)}.npy"
            buffer = io.BytesIO()
            np.save(buffer, obj, allow_pickle=False)
            self.files[name] = buffer.getvalue()
            return {"$": "array", "file": name}
        if obj.dtype.kind == "O":
            flat = [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj.ravel())]
            if all(v is None or isinstance(v, bool | int | float | str | dict) for v in flat):
                return {"$": "objarray", "shape": list(obj.shape), "items": flat}
        raise TypeError(f"Cannot store {where}: an array of dtype {obj.dtype} (without pickle).")

    def _object(self, obj, where: str):
        cls = type(obj)
        name = _public_name(cls)
        booster = _library_booster(obj)
        untrusted = booster is None and not trusted_class(cls)
        code = isinstance(obj, _FUNCTIONS) or callable(obj) and _in_a_parameter(where)
        if untrusted and code and not isinstance(obj, type):
            kind = "function" if isinstance(obj, _FUNCTIONS) else f"callable {cls.__name__}"
            raise TypeError(  # it said "builtins:function is not a class llmboost saves"
                f"Cannot store {where}: it is a {kind} ({getattr(obj, '__qualname__', obj)!s:.80}"
                "), whose code a file without pickle cannot hold. Give a text where the "
                "parameter takes one (a template, a scorer's name), or use pickle for this "
                "model, only with files you trust."
            )
        if untrusted:
            raise TypeError(
                f"Cannot store {where}: {name} is not a class llmboost saves without pickle "
                f"(only estimators and adapters of {', '.join(TRUSTED_PACKAGES)}). Use "
                "pickle for this model, only with files you trust."
            )
        if id(obj) in self.seen:
            return {"$": "ref", "id": self.seen[id(obj)]}
        self.seen[id(obj)] = len(self.seen)
        self.keep.append(obj)
        record: dict[str, Any] = {"id": self.seen[id(obj)], "class": name}
        if booster is not None:
            record["$"], record["file"] = booster, self._booster_file(obj, booster, where)
        elif hasattr(obj, "_fields"):
            record["$"] = "namedtuple"
            record["items"] = [self.encode(getattr(obj, f), f"{where}.{f}") for f in obj._fields]
        else:
            _check_built(obj, where)
            if _later_class(cls):
                self.format_version = 2
            state = obj.__getstate__() if hasattr(obj, "__getstate__") else obj.__dict__
            state = {} if state is None else state
            if not isinstance(state, dict):
                raise TypeError(f"Cannot store {where}: {name} has a non-dict state.")
            record["$"] = "object"
            record["state"] = [[k, self.encode(v, f"{where}.{k}")] for k, v in state.items()]
        return record

    def _booster_file(self, obj, kind: str, where: str) -> str:
        name = f"boosters/{len(self.files)}.{'ubj' if kind == 'xgboost' else 'txt'}"
        if kind == "xgboost":
            self.files[name] = bytes(obj.save_raw(raw_format="ubj"))
        else:
            self.files[name] = obj.model_to_string(num_iteration=-1).encode()
        check = check_xgboost_model if kind == "xgboost" else check_lightgbm_model
        try:  # what load would refuse is refused now, not discovered at load
            check(self.files[name])
        except ValueError as exc:
            raise TypeError(f"Cannot store {where}: its {kind} model {exc}.") from None
        return name


def _ordered(items: set | frozenset) -> list:
    """A set's items in an order that does not vary between runs (text hashes do)."""
    try:
        out = sorted(items)
        if all(a < b for a, b in zip(out, out[1:])):  # a total order: frozensets have none
            return out
    except TypeError:  # items of several kinds: 1 and "a"
        pass
    return sorted(items, key=lambda v: (type(v).__name__, _canonical(v)))


def _canonical(value) -> str:
    """``repr(value)``, with the items of each set in it sorted (its own order is a
    hash's)."""
    if type(value) in (set, frozenset):
        inner = ", ".join(sorted(map(_canonical, value)))
        return f"{type(value).__name__}({{{inner}}})" if value else repr(value)
    if type(value) is tuple:
        return f"({', '.join(map(_canonical, value))}{',' * (len(value) == 1)})"
    return repr(value)


def _in_a_parameter(where: str) -> bool:
    """Whether ``where`` (``model.scoring``) names a parameter's value, not fitted or
    private state (``...bsplines_[0]``: a fitted spline is callable, but data)."""
    names = re.findall(r"\.([A-Za-z_]\w*)", where)
    return bool(names) and not (names[-1].startswith("_") or names[-1].endswith("_"))


def _check_built(obj, where: str) -> None:
    """Refuse what load would refuse: a parameter set out of range after the fit."""
    if type(obj).__module__.startswith("llmboost."):
        try:
            check_built(obj)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"Cannot store {where}: {str(exc).rstrip('.')}; load would refuse it. Set a "
                "valid value (and refit if the fit depends on it)."
            ) from None


def what_was_given(model, estimator_class) -> str:
    """What ``save`` got instead of an estimator, and what to save instead."""
    from .dask._base import _DaskPriorBoost

    if isinstance(model, type):  # a class save takes no instance of is named only
        hint = ": pass a fitted instance" if issubclass(model, estimator_class) else ""
        if issubclass(model, _DaskPriorBoost):
            hint = ": pickle a Dask estimator instead"
        return f"the class {model.__name__}{hint}"
    if isinstance(model, _DaskPriorBoost):
        return f"{type(model).__name__}: pickle a Dask estimator instead"
    return type(model).__name__ + holder_hint(model, estimator_class)


def holder_hint(model, estimator_class) -> str:
    """What to save instead of a Pipeline or search that holds an llmboost estimator."""
    inner, what = getattr(model, "best_estimator_", None), "its best_estimator_ (the refit model)"
    if inner is None and isinstance(getattr(model, "steps", None), list) and model.steps:
        inner = model.steps[-1][-1]
        what = "its final step (pipeline[-1]) and pickle or refit the steps before it"
    if not isinstance(inner, estimator_class):
        return ""
    return f": save {what}, or pickle the {type(model).__name__} (load pickles you trust only)"


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
    Where the folder takes no new file (or no rename over that one), a file there that
    is writable is overwritten in place (:func:`_overwrite`)."""
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
        except PermissionError:  # a read-only folder; another's file in a sticky one
            if not (target.is_file() and os.access(target, os.W_OK)):
                raise
            doing = f"overwriting {target} in place, as {target.parent} takes no new file"
            hint = ""
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


def _library_booster(obj) -> str | None:
    """``"xgboost"`` / ``"lightgbm"`` for those libraries' native boosters, else ``None``."""
    cls = type(obj)
    if cls.__name__ != "Booster":
        return None
    return {"xgboost.core": "xgboost", "lightgbm.basic": "lightgbm"}.get(cls.__module__)


def _simple_dtype(dtype: np.dtype, where: str) -> np.dtype:
    if dtype.kind not in NPY_KINDS + "O" or dtype.fields is not None:
        raise TypeError(f"Cannot store {where}: dtype {dtype} is not a simple dtype.")
    return dtype


def _public_name(cls: type) -> str:
    """``module:qualname`` by the package that re-exports a class of a private module
    (``llmboost.priors._llm:LLMPrior`` as ``llmboost.priors:LLMPrior``)."""
    module = cls.__module__
    while "." in module and any(part.startswith("_") for part in module.split(".")):
        parent = module.rsplit(".", 1)[0]
        if getattr(sys.modules.get(parent), cls.__qualname__, None) is not cls:
            break
        module = parent
    return f"{module}:{cls.__qualname__}"


def _later_class(cls: type) -> bool:
    """Whether llmboost of format version 1 only refuses ``cls`` as untrusted: the
    cross-validation splitters (``cv=KFold(...)``) trusted since."""
    from sklearn.model_selection import BaseCrossValidator, BaseShuffleSplit

    from .boosters import Booster

    new = issubclass(cls, BaseCrossValidator | BaseShuffleSplit)
    return new and not issubclass(cls, BaseEstimator | Booster)


def trusted_class(cls: type) -> bool:
    """Estimators and cross-validation splitters of the trusted packages, llmboost's
    booster adapters and named tuples."""
    if cls.__module__.split(".")[0] not in TRUSTED_PACKAGES or "." in cls.__qualname__:
        return False
    from sklearn.model_selection import BaseCrossValidator, BaseShuffleSplit

    from .boosters import Booster

    if issubclass(cls, BaseEstimator | Booster | BaseCrossValidator | BaseShuffleSplit):
        return True
    if cls is make_column_selector:  # plain data: which columns a transformer takes
        return True
    return cls.__module__.startswith("llmboost.") and issubclass(cls, tuple)


__all__ = [
    "TRUSTED_PACKAGES",
    "Writer",
    "save_path",
    "trusted_class",
    "what_was_given",
    "write_archive",
]
