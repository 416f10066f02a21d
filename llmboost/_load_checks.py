"""Checks ``load`` makes: before it builds anything, what the zip would unpack to; once
an llmboost object is built, that its parameters and fitted attributes are of the kinds a
fit sets (else a crafted value failed only at predict, or raised a bare ``TypeError`` as
the weights were checked)."""

from __future__ import annotations

import importlib
import json
import numbers
import re
import zipfile
import zlib
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from ._check_npy import NPY_KINDS

#: Bytes a file may unpack to whatever its compression (a prior's context of ~256 MB fits,
#: even as text); past them, at most ``MAX_RATIO`` times its compressed size (deflate
#: reaches about 1,000; a model's arrays and trees compress 1 to 20 times). The same for
#: model.json (a model's: 5 to 50 KB; distinct categories compress 4 to 12 times), whose
#: short values take up to 16 times their bytes parsed and decoded (a 25 KB file of 16 MiB
#: took 230 MB): save stores one that compresses more than ``MAX_JSON_RATIO`` times
#: uncompressed.
ANY_RATIO_BYTES, MAX_RATIO = 2**30, 100
ANY_RATIO_JSON, MAX_JSON_RATIO = 2**20, 20
#: A model.json of up to this many bytes that compresses more (save stored none before
#: the bound was 1 MiB: 30,000 URLs as categories took 4.9 MB, 21 times) is scanned, not
#: kept, and read if parsing it takes what the bound allows: about 2 bytes per byte and
#: 64 per value (a 5 KB file of 3 MiB of '"ab",' would take 40 MB: refused).
SCANNED_JSON = 2**24
#: Most lists and dicts (``[`` and ``{``, in text too) a model.json may hold. A model
#: writes a few per object and parameter (hundreds), none per category or row; parsed
#: and decoded, each costs about 150 bytes (64 MiB of empty lists took 3 GB).
MAX_JSON_CONTAINERS = 2_000_000


def _unsafe(message: str) -> ValueError:
    from .persistence import UnsafeFileError  # defined there, beside load

    return UnsafeFileError(message)


def exact_number(value: dict, where: str) -> Fraction | Decimal:
    """The ``Fraction`` or ``Decimal`` of an ``exact`` record, from its text (a fraction's
    as ``str`` writes it: ``Fraction("1e99999999")`` computes 10**99999999, for hours)."""
    make = {"fraction": Fraction, "decimal": Decimal}.get(value.get("kind"))
    text = value.get("text")
    if make is None or not isinstance(text, str) or len(text) > 1000:
        raise _unsafe(f"{where}: malformed number record.")
    if make is Fraction and not re.fullmatch(r"-?\d+(/\d+)?", text):
        raise _unsafe(f"{where}: malformed fraction {text!r:.80} (not numerator/denominator).")
    try:
        return make(text)
    except (ValueError, ArithmeticError) as exc:  # Decimal's InvalidOperation; 1/0
        raise _unsafe(f"{where}: malformed number ({exc!r}).") from None


def manifest_texts(manifest: dict, key: str, path) -> list[str] | None:
    """``manifest[key]``, a list of text or ``None`` (absent)."""
    value = manifest.get(key)
    if value is None or isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise _unsafe(f"{path}: model.json's {key} is not a list of text: {value!r:.80}.")


def import_llmboost_module(module: str):
    """Import ``module``, or the private module an llmboost module has since become."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError:
        head, _, last = module.rpartition(".")
        if not head.startswith("llmboost") or last.startswith("_"):
            raise
        return importlib.import_module(f"{head}._{last}")


def check_fitted(model, path) -> None:
    """Refuse an estimator without the attributes every fit sets and predict reads (a
    damaged or edited file): it raised ``AttributeError`` or failed at predict."""
    from sklearn.base import is_classifier

    needed = ["n_features_in_", "prior_", "members_"] + ["classes_"] * is_classifier(model)
    if missing := [name for name in needed if name not in vars(model)]:
        raise _unsafe(
            f"{path} holds a {type(model).__name__} without the fitted attribute(s) "
            f"{', '.join(missing)} that every fit sets: not a fitted model (a damaged or "
            "edited file); save it again from the fitted model."
        )


def check_entries(archive: zipfile.ZipFile, path) -> None:
    """Refuse, unread, a file with encrypted entries, one without model.json, or one that
    would unpack to implausibly many bytes (a zip bomb): in all, or in model.json (25
    times its bytes once parsed; up to ``SCANNED_JSON``, unless its values are few)."""
    infos = archive.infolist()
    if locked := [info.filename for info in infos if info.flag_bits & 0x1]:
        raise _unsafe(
            f"{path} has encrypted entries ({locked[0]}), which load does not read (save "
            "writes none): unzip them with their password into a new zip, or save again."
        )
    text = [info for info in infos if info.filename == "model.json"]
    if not text:  # it said "no readable model.json (KeyError(...))"
        names = ", ".join(info.filename for info in infos[:3]) + ", ..." * (len(infos) > 3)
        held = f"entries: {names}" if infos else "no entries"
        raise _unsafe(
            f"{path} is a zip file without model.json ({held}), not an llmboost model "
            "file: load reads the files save writes."
        )
    for what, entries, free, ratio in (
        (path, infos, ANY_RATIO_BYTES, MAX_RATIO),
        (f"{path}'s model.json", text, ANY_RATIO_JSON, MAX_JSON_RATIO),
    ):
        unpacked = sum(info.file_size for info in entries)
        packed = sum(info.compress_size for info in entries)
        if unpacked <= max(free, ratio * packed):
            continue
        cost = None
        if entries is text and len(text) == 1 and unpacked <= SCANNED_JSON:
            cost = _parse_cost(archive, text[0])
            if cost <= 16 * max(free, ratio * packed):  # as a json within the bound
                continue
        parsed = "" if cost is None else f", about {cost:,} bytes parsed"
        raise _unsafe(
            f"{what} would unpack to {unpacked:,} bytes from {packed:,}, more than "
            f"{ratio} times its compressed size past {free:,} bytes{parsed}: not a model "
            f"llmboost wrote (a zip bomb?); it was not {'read' if cost is None else 'parsed'}."
        )


def _parse_cost(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """About the bytes ``json.loads`` of entry ``info`` takes, read 64 KiB at a time: 2 per
    byte and 64 per value (per comma); a damaged entry is left to :func:`entry` (0)."""
    size = commas = 0
    try:
        with archive.open(info) as stream:
            while size < info.file_size and (chunk := stream.read(2**16)):
                size, commas = size + len(chunk), commas + chunk.count(b",")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
        return 0
    return 2 * size + 64 * commas


def check_json(data: bytes, path, saving: bool = False) -> None:
    """Refuse, unparsed, a model.json of more lists and dicts than any model writes (at
    save, one that load would refuse: brackets in text, such as categories, count too)."""
    containers = data.count(b"[") + data.count(b"{")
    if containers <= MAX_JSON_CONTAINERS:
        return
    if saving:
        raise ValueError(
            f"Cannot save to {path}: its model.json would hold {containers:,} '[' and '{{' "
            f"(in text too, such as categories), more than the {MAX_JSON_CONTAINERS:,} load "
            "reads; write those categories without brackets, or pickle the model."
        )
    raise _unsafe(
        f"{path}'s model.json holds {containers:,} '[' and '{{', more than the "
        f"{MAX_JSON_CONTAINERS:,} any model llmboost writes has: not a model llmboost "
        "wrote; it was not parsed."
    )


def entry(archive: zipfile.ZipFile, name: str) -> bytes:
    """Entry ``name``'s bytes, never past its stated size (``BadZipFile`` if they differ)."""
    info = archive.getinfo(name)
    with archive.open(info) as stream:
        data = stream.read(info.file_size + 1)
    if len(data) != info.file_size:
        raise zipfile.BadZipFile(f"{name} holds {len(data):,} bytes, not {info.file_size:,}")
    return data


def hashable_key(key, where, what: str = "dict (an unhashable key)"):
    """``key``, refused unless hashable (a dict key or set item read from a file)."""
    try:
        hash(key)  # a tuple holding a list, an Index, ... too
    except TypeError:
        raise _unsafe(f"{where}: malformed {what}.") from None
    return key


def stored_dtype(name, where) -> np.dtype:
    """The dtype ``name``, refused unless of a kind a saved model holds."""
    try:
        dtype = np.dtype(str(name))
    except TypeError as exc:
        raise _unsafe(f"{where}: bad dtype {name!r}.") from exc
    if dtype.kind not in NPY_KINDS + "O" or dtype.fields is not None:
        raise _unsafe(f"{where}: dtype {name!r} is not allowed.")
    return dtype


def _int(low: int, high: float = np.inf):
    return (lambda v: isinstance(v, numbers.Integral) and not isinstance(v, bool | np.bool_)
            and low <= v <= high), f"an integer >= {low}"  # fmt: skip


def _real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_) and np.isfinite(v)


def _array(ndim: int, kinds: str = NPY_KINDS + "O"):  # labels may be dates too
    return (lambda v: isinstance(v, np.ndarray) and v.ndim == ndim and v.dtype.kind in kinds,
            f"a {ndim}-D array")  # fmt: skip


def _arrays(v) -> bool:
    return isinstance(v, list) and all(isinstance(a, np.ndarray) for a in v)


def _texts(v) -> bool:
    """A 1-D array of ``str`` only (pandas' check, in C: a Python loop took 2.4 s per 10
    million names)."""
    if not _array(1, "OU")[0](v):
        return False
    return v.dtype.kind == "U" or pd.api.types.infer_dtype(v, skipna=False) in ("string", "empty")


def _categories(v) -> bool:
    return isinstance(v, dict) and all(isinstance(i, pd.Index) for i in v.values())


def _classes(v) -> bool:
    if not (_array(1)[0](v) and len(v) >= 1):
        return False
    # pd.unique makes Python objects of text: 9 times an array's bytes, not np.unique's 1
    return len(pd.unique(v) if v.dtype == object else np.unique(v)) == len(v)


_SHOTS = "None or a list of (row text, class text) pairs"


def _shot(v) -> bool:
    return isinstance(v, tuple) and len(v) == 2 and all(isinstance(t, str) for t in v)


def _members(v) -> bool:
    from .boosters import Booster
    from .scale_search import FusionMember

    return (
        isinstance(v, list)
        and len(v) >= 1
        and all(
            isinstance(m, FusionMember)
            and all(_real(x) for x in (m.scale, m.weight, m.center))
            and (  # trees of at least one round, or the prior alone (not at scale 0)
                isinstance(m.booster, Booster)
                and _int(1)[0](m.n_rounds)
                or m.booster is None
                and m.n_rounds == 0
                and m.scale != 0
            )
            for m in v
        )
    )


def _of(name: str):
    """Instances of an llmboost or scikit-learn base class, imported when checked."""

    def test(v) -> bool:
        from sklearn.base import BaseEstimator

        from .boosters import Booster
        from .priors import Prior

        return isinstance(v, {"Prior": Prior, "Booster": Booster, "estimator": BaseEstimator}[name])

    return test, f"a fitted {name}"


#: Fitted attributes of llmboost's estimators, priors and booster adapters: the kind of
#: value a fit sets (checked where present).
FITTED = {
    "n_features_in_": _int(1),
    "feature_names_in_": (_texts, "a 1-D array of column names"),
    "categories_": (_categories, "a dict of pandas indexes"),
    "classes_": (_classes, "a 1-D array of distinct classes"),
    "prior_": (lambda v: v is None or _of("Prior")[0](v), "a fitted Prior or None (scale=0)"),
    "members_": (
        _members,
        "a list of FusionMember (finite numbers; trees of 1 round or more, or none at 0)",
    ),
    "booster_": (lambda v: v is None or _of("Booster")[0](v), "a fitted Booster or None"),
    "scale_": (lambda v: _real(v) or v == "prior", "a number or 'prior'"),
    "model_": _of("estimator"),
    "unit_": (lambda v: _real(v) and v > 0, "a positive number"),
    "center_": (_real, "a finite number"),
    "n_rounds_": _int(0),
    "params": (lambda v: isinstance(v, dict) and all(isinstance(k, str) for k in v), "a dict"),
    "seed_": _int(0, 2**32 - 1),
    "context_size_": _int(1),
    "categorical_": _array(1, "b"),
    "ignored_columns_": _array(1, "b"),
    "X_train_": _array(2, "f"),
    "feature_centre_": _array(1, "f"),
    "feature_scale_": (lambda v: _array(1, "f")[0](v) and bool(np.all(v > 0)), "positive numbers"),
    "y_train_": _array(1),
    "contexts_": (lambda v: _arrays(v) and len(v) >= 1, "a list of arrays"),
    "codes_": (_arrays, "a list of arrays"),
    "context_X_": _array(2, "biuf"),
    "context_y_": _array(1),
    "target_mean_": (_real, "a finite number"),
    "target_scale_": (lambda v: _real(v) and v > 0, "a positive number"),
    "class_texts_": (lambda v: isinstance(v, list) and _texts(np.array(v, object)), "texts"),
    "shots_": (lambda v: v is None or isinstance(v, list) and all(_shot(s) for s in v), _SHOTS),
}
#: Attributes of one row per training row (or per class), and what they must match.
SAME_LENGTH = {
    "X_train_": "y_train_",
    "context_X_": "context_y_",
    "class_texts_": "classes_",
}
#: Attributes of one value per column of the training rows ``X_train_``.
PER_COLUMN = ("categorical_", "ignored_columns_", "feature_centre_", "feature_scale_")


def check_built(obj) -> None:
    """Raise ``ValueError`` naming the first parameter or fitted attribute of a loaded
    llmboost object that no fit would have left (a crafted or damaged model.json)."""
    if hasattr(obj, "_check_params") and hasattr(obj, "get_params"):
        obj._check_params()  # InvalidParameterError, a ValueError, names the parameter
    state = vars(obj)
    _check_device(state.get("device"))
    for name, (test, what) in FITTED.items():
        if name in state and not test(state[name]):
            raise ValueError(f"{name} is {state[name]!r:.80}, not {what}")
    for rows, other in SAME_LENGTH.items():
        if rows in state and other in state and len(state[rows]) != len(state[other]):
            raise ValueError(f"{rows} has length {len(state[rows])}, {other} {len(state[other])}")
    names, count = state.get("feature_names_in_"), state.get("n_features_in_")
    if names is not None and count is not None and len(names) != count:
        raise ValueError(f"feature_names_in_ has {len(names)} names for {count} features")
    for rows in ("X_train_", "context_X_"):  # a training row has a value per feature
        if rows in state and count is not None and state[rows].shape[1] != count:
            raise ValueError(f"{rows} has {state[rows].shape[1]} columns, n_features_in_ {count}")
    members = state.get("members_", [])
    if "prior_" in state and state["prior_"] is None and any(m.scale != 0 for m in members):
        raise ValueError("prior_ is None, but members_ start from the prior (a scale not 0)")
    known = set() if names is None else set(names.tolist())  # per name: 6.9 s for 20,000
    extra = [k for k in state.get("categories_", {}) if names is not None and k not in known]
    if extra:
        raise ValueError(f"categories_ names {extra[0]!r}, not one of feature_names_in_")
    _check_same_categories(state)
    _check_margins(state)
    if "X_train_" in state:
        rows, width = state["X_train_"].shape
        for name in PER_COLUMN:  # a shorter one broadcast silently or failed at predict
            if name in state and len(state[name]) != width:
                raise ValueError(f"{name} has length {len(state[name])}, X_train_ {width} columns")
        _check_indexes(state.get("contexts_", []), rows, "contexts_", f"row numbers below {rows}")
        classes = len(state.get("classes_", []))
        for i, code in enumerate(state.get("codes_", [])):  # a group for each class
            if len(code) != classes:
                raise ValueError(f"codes_[{i}] has length {len(code)}, classes_ {classes}")
        _check_indexes(state.get("codes_", []), np.inf, "codes_", "group numbers")


def _check_device(device) -> None:
    """A prior's ``device`` is a name torch reads (a device this machine lacks is one:
    ``set_params(device='cpu')`` scores here); torch is imported for rare names only."""
    if not isinstance(device, str) or re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", device):
        return
    try:
        import torch
    except ImportError:  # scoring says torch is needed
        return
    try:
        kind = torch.device(device).type
    except RuntimeError:
        kind = None
    if kind in (None, "meta"):  # meta: a device that holds no data
        raise ValueError(
            f"device is {device!r}, not a device a prior scores on: 'auto', 'cpu', 'cuda', "
            "'cuda:<index>', 'mps' or another device torch places data on ('xpu', ...)"
        )


def _check_margins(state: dict) -> None:
    """Each member's trees give one margin per class of a multiclass model, else one (a
    booster of another model failed at predict, in XGBoost's C++ or numpy's broadcast)."""
    classes = state.get("classes_", [])
    wanted = len(classes) if len(classes) > 2 else 1
    for i, member in enumerate(state.get("members_", [])):
        got = _margins(getattr(member.booster, "model_", None))
        if got is not None and got != wanted:
            raise ValueError(
                f"members_[{i}]'s trees give {got} margin(s) per row, not the {wanted} of "
                f"a model of {len(classes) or 'no'} classes"
            )


def _margins(model) -> int | None:
    """The margins per row of an XGBoost or LightGBM model (``None``: another)."""
    if hasattr(model, "get_booster"):
        learner = json.loads(model.get_booster().save_config())["learner"]
        return max(1, int(learner["learner_model_param"]["num_class"]))
    booster = getattr(model, "_Booster", None)
    return booster.num_model_per_iteration() if hasattr(booster, "current_iteration") else None


def _check_same_categories(state: dict) -> None:
    """An estimator's categories are its prior's: both read the training rows' (a column
    missing from either failed at predict)."""
    prior = state.get("prior_")
    if "members_" not in state or not hasattr(prior, "categories_"):
        return
    mine, its = state.get("categories_", {}), prior.categories_
    if set(mine) != set(its) or any(not mine[k].equals(its[k]) for k in mine):
        raise ValueError(
            f"categories_ ({', '.join(map(str, mine)) or 'none'}) are not prior_.categories_ "
            f"({', '.join(map(str, its)) or 'none'}): both are the training rows'"
        )


def _check_indexes(arrays: list, stop: float, name: str, what: str) -> None:
    """Each array of ``name`` is 1-D integers from 0 to below ``stop``."""
    for i, a in enumerate(arrays):
        if a.ndim != 1 or a.dtype.kind not in "iu" or len(a) and (a.min() < 0 or a.max() >= stop):
            raise ValueError(f"{name}[{i}] is not a 1-D array of {what} (from 0)")


__all__ = [
    "check_built",
    "check_entries",
    "check_fitted",
    "check_json",
    "entry",
    "exact_number",
    "hashable_key",
    "import_llmboost_module",
    "manifest_texts",
    "stored_dtype",
]
