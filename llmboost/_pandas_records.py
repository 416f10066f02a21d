"""pandas values in a saved model: an index (``X.columns``), a Series or a pandas array
(``scale=pd.Series([0.5, 1.0])``, its ``.array``), written as records of their values and
read back as the same kind, dtype, index and name."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pandas as pd

from ._load_checks import _unsafe, hashable_key

#: The dtypes of the pandas indexes ``load`` builds.
INDEX_DTYPES = {"object", "str", "string", "int64", "int32", "float64", "float32", "bool"}
#: pandas' own dtypes of the Series and arrays ``load`` builds (besides numpy's).
EXTENSION_DTYPES = {"Float32", "Float64", "boolean", "str", "string"} | {
    f"{sign}Int{bits}" for sign in ("", "U") for bits in (8, 16, 32, 64)
}


@contextmanager
def malformed(where: str, what: str):
    """What numpy, pandas or a named tuple raise on a bad stored value, as
    :class:`~llmboost.persistence.UnsafeFileError`."""
    try:
        yield
    except (TypeError, ValueError, OverflowError) as exc:
        raise _unsafe(f"{where}: malformed {what} ({exc}).") from None


def write_pandas(writer, obj, where: str) -> dict | None:
    """The record of a pandas index, Series or nullable array (``writer``: the
    :class:`~llmboost._model_writer.Writer`); ``None`` for anything else."""
    if isinstance(obj, pd.Index) and not isinstance(obj, pd.MultiIndex):
        return _index_record(writer, obj, where)
    series = isinstance(obj, pd.Series)
    if not (series or isinstance(obj, pd.api.extensions.ExtensionArray)):
        return None
    dtype, kind = str(obj.dtype), "series" if series else "extension"
    # a numpy dtype: a Series' own, or that of the array a Series' .array gives
    numpy = isinstance(obj.dtype, np.dtype) or isinstance(obj, pd.arrays.NumpyExtensionArray)
    if dtype not in EXTENSION_DTYPES and not numpy:
        raise TypeError(
            f"Cannot store {where}: a pandas {type(obj).__name__} of dtype {dtype}; use a "
            f"list, a numpy array or one of the dtypes {sorted(EXTENSION_DTYPES)}."
        )
    writer.format_version = 2  # llmboost before these records refuses them
    if dtype not in EXTENSION_DTYPES:  # a numpy dtype: its array
        record = {"$": kind, "values": writer.encode(obj.to_numpy(), where)}
    else:
        values = np.asarray(obj.to_numpy(dtype=object, na_value=None))
        record = {"$": kind, "dtype": dtype, "values": writer.encode(values, where)}
    if series and not _default_index(obj.index):
        record["index"] = writer.encode(obj.index, f"{where}.index")
    if series and obj.name is not None:
        record["name"] = writer.encode(obj.name, f"{where}.name")
    return record


def _default_index(index: pd.Index) -> bool:
    """Whether ``index`` is pandas' default, 0, 1, ... unnamed (equal values are not: an
    index of False, True or of 0.0, 1.0 keeps its dtype)."""
    default = isinstance(index, pd.RangeIndex) and index.name is None
    return default and index.equals(pd.RangeIndex(len(index)))


def _index_record(writer, obj: pd.Index, where: str) -> dict:
    if str(obj.dtype) not in INDEX_DTYPES:  # load would refuse it
        raise TypeError(
            f"Cannot store {where}: a pandas index of dtype {obj.dtype}; use a list "
            f"or an index of one of the dtypes {sorted(INDEX_DTYPES)}."
        )
    values = np.asarray(obj.to_numpy(dtype=object, na_value=None))
    record = {"$": "index", "dtype": str(obj.dtype), "values": writer.encode(values, where)}
    if obj.name is not None:  # X.columns' name, as after a pivot
        record["name"] = writer.encode(obj.name, f"{where}.name")
    return record


def read_index(decode, value: dict, where: str) -> pd.Index:
    """The index of an ``index`` record (``decode``: the reader's)."""
    dtype = value.get("dtype")
    if not isinstance(dtype, str) or dtype not in INDEX_DTYPES:
        raise _unsafe(f"{where}: index dtype {dtype!r} is not allowed.")
    values, name = (decode(value.get(k), where) for k in ("values", "name"))
    if not isinstance(values, np.ndarray) or values.dtype != object:  # as save writes
        raise _unsafe(f"{where}: malformed index.")  # 1 GB of int8: 8 GB objects
    with malformed(where, "index name"):
        hash(name)  # a label, as pandas takes
    with malformed(where, "index"):
        return pd.Index(values, dtype=dtype, name=name)


def read_series(decode, value: dict, where: str):
    """The Series of a ``series`` record, or the array of an ``extension`` one."""
    dtype = value.get("dtype")
    if dtype is not None and (not isinstance(dtype, str) or dtype not in EXTENSION_DTYPES):
        raise _unsafe(f"{where}: pandas dtype {dtype!r:.80} is not allowed.")
    values = decode(value.get("values"), f"{where}.values")
    plain = isinstance(values, np.ndarray) and not isinstance(values, np.ma.MaskedArray)
    if not plain or values.ndim != 1 or dtype is not None and values.dtype != object:
        raise _unsafe(f"{where}: malformed pandas values.")
    extension = value["$"] == "extension"
    with malformed(where, "pandas values"):
        if dtype is not None:
            values = pd.array(values, dtype=dtype)
        elif extension:  # the array of a Series of a numpy dtype (its .array)
            values = pd.arrays.NumpyExtensionArray(values)
    if extension:
        return values
    index = decode(value.get("index"), f"{where}.index")
    if index is not None and not (isinstance(index, pd.Index) and len(index) == len(values)):
        raise _unsafe(f"{where}: malformed Series index.")
    name = hashable_key(decode(value.get("name"), f"{where}.name"), where, "Series name")
    with malformed(where, "Series"):
        return pd.Series(values, index=index, name=name, dtype=values.dtype, copy=False)


__all__ = [
    "EXTENSION_DTYPES",
    "INDEX_DTYPES",
    "malformed",
    "read_index",
    "read_series",
    "write_pandas",
]
