"""The writing half of :mod:`llmboost.persistence`: objects to a JSON tree and files.

Only the classes :func:`trusted_class` accepts are written (the reader refuses the
rest too); arrays go to ``.npy`` entries, library boosters to their own formats, each
checked as the reader will check it.
"""

from __future__ import annotations

import io
import re
import sys
from decimal import Decimal
from fractions import Fraction
from functools import partial
from pathlib import PurePath
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.compose import make_column_selector
from sklearn.utils.metadata_routing import MetadataRequest

from ._check_lightgbm import check_lightgbm_model
from ._check_npy import NPY_KINDS
from ._check_xgboost import check_xgboost_model
from ._load_checks import check_built
from ._pandas_records import write_pandas
from ._params import is_torch_device

#: Packages whose classes ``load`` may build.
TRUSTED_PACKAGES = ("llmboost", "sklearn", "xgboost", "lightgbm")
#: Functions by another name: numpy's (``np.log1p``) and ``functools.partial``.
_FUNCTIONS = (FunctionType, BuiltinFunctionType, MethodType, np.ufunc, partial)


class Writer:
    """Turns objects into JSON values; arrays and trees go to ``files``. Its
    ``format_version``: 2 once it wrote a record llmboost before them refuses (``masked``
    with an entry masked, ``exact``, ``random_state``, ``metadata_request``, ``set``,
    ``series``, ``extension``, a splitter), else 1 (read by those too)."""

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


def check_estimator(model) -> None:
    """Refuse, as a ``TypeError``, what is no llmboost estimator (saying what to save)."""
    from .estimators._prior_boost import _PriorBoost

    if not isinstance(model, _PriorBoost):
        raise TypeError(
            "save() takes a fitted PriorBoostClassifier, PriorBoostRegressor or a subclass "
            f"(PFNBoost, LLMBoost), got {what_was_given(model, _PriorBoost)}."
        )


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
    "check_estimator",
    "trusted_class",
    "what_was_given",
]
