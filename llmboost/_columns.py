"""How :func:`~llmboost._validation.to_frame` reads each column of ``X``: numbers,
booleans and durations as floats, text and categories as text categories."""

from __future__ import annotations

import math
import numbers
from datetime import date, timedelta
from decimal import Decimal

import narwhals as nw
import numpy as np
import pandas as pd
from pandas.api import types as ptypes

#: Largest magnitude the boosters can store (they hold features as float32).
FLOAT32_MAX = float(np.finfo(np.float32).max)
#: Values whose text (as dask's strings write it) a local fit reads alike.
_AS_TEXT = (str, int, float, Decimal, np.bool_, np.integer, np.floating)
#: What to do with a column of dates.
_DATES = "convert dates and periods to numbers or text first"
#: What to do with a column of a kind :func:`to_frame` does not read.
_READ = "only numbers, booleans, durations, text and categories are read; convert it first"


def _parse_numbers(values: np.ndarray) -> np.ndarray:
    """Numbers (and numeric strings) of an object or string array become floats, with
    ``pd.NA`` and ``NaT`` missing; other columns are read as a DataFrame's would be.
    Dates and durations are too (a cast would give counts of each value's unit), and so
    is a column of no value (as a table's, categories with none present)."""
    if values.dtype == object:
        values = _quiet_nans(values)
        if any(isinstance(v, date | timedelta | np.datetime64 | np.timedelta64) for v in values):
            return values
        if (missing := pd.isna(values)).all():
            return values
        values = np.where(missing, np.nan, values)
    try:
        numbers = values.astype(np.float64)
    except (TypeError, ValueError, OverflowError):  # named as a table's column would be:
        return values  # a dict, a complex number, an int beyond float64, ...
    if values.dtype == object and np.isinf(numbers).any() and _first_overflow(values) is not None:
        return values  # so is a Decimal beyond it, which the cast made infinity
    return numbers


def _quiet_nans(values):
    """Object values (a Series or an array) with ``Decimal("sNaN")`` as ``Decimal("NaN")``,
    missing as that is (pandas' missing check raised ``decimal.InvalidOperation``)."""
    if values.dtype != object:
        return values
    signalling = np.array([isinstance(v, Decimal) and v.is_snan() for v in values], dtype=bool)
    if not signalling.any():
        return values
    values = values.copy()
    values[signalling] = Decimal("NaN")
    return values


def _text_numbers(array):
    """A dask array of NumPy text (one chunk across its columns) with the columns whose
    every value, over all chunks, is a number as floats (objects), as :func:`to_frame`
    reads a NumPy text array (:func:`_parse_numbers`); another array as it is."""
    if array.dtype.kind not in "US":
        return array
    import dask

    blocks = array.to_delayed().ravel()
    numbers = np.logical_and.reduce(dask.compute(*map(dask.delayed(_number_columns), blocks)))
    return array.map_blocks(_read_number_columns, numbers, dtype=object)


def _number_columns(block: np.ndarray) -> np.ndarray:
    return np.array([_parse_numbers(column).dtype.kind == "f" for column in block.T], dtype=bool)


def _read_number_columns(block: np.ndarray, numbers: np.ndarray) -> np.ndarray:
    out = block.astype(object)
    out[:, numbers] = block[:, numbers].astype(np.float64)
    return out


def _convert_column(col: pd.Series, name: str) -> pd.Series:
    try:
        return _read_column(col, name)
    except UnicodeEncodeError:  # pandas stores text as UTF-8, which has no lone surrogates
        raise _not_utf8(col, name) from None


def _not_utf8(col: pd.Series, name: str) -> ValueError:
    """The error for text cells UTF-8 cannot encode, naming the column and the first."""
    values = pd.Series(col.astype(object).to_numpy(), index=col.index, dtype=object)
    row = _first_not_utf8(values)
    return ValueError(
        f"Column {name!r} holds text that is not valid Unicode (first at {_where(values, row)}: "
        f"{values.iloc[row]!r:.60}, a lone surrogate, as from a bad decode); re-decode it "
        "(bytes.decode('utf-8', errors='replace')) or remove those characters."
    )


def _text_names(columns) -> list[str]:
    """Column names as text; one UTF-8 cannot encode is refused by name (pandas stores
    text as UTF-8: it failed with a bare ``UnicodeEncodeError``)."""
    names = [str(c) for c in columns]
    if (j := _first_not_utf8(names)) is not None:
        raise ValueError(
            f"Column name {names[j]!r} (column {j}) is not valid Unicode (a lone surrogate, "
            "as from a bad decode); rename that column."
        )
    return names


def _first_not_utf8(values) -> int | None:
    """The position of the first text value UTF-8 cannot encode, or ``None``."""
    for i, value in enumerate(values):
        try:
            value.encode("utf-8") if isinstance(value, str) else None
        except UnicodeEncodeError:
            return i
    return None


def _read_column(col: pd.Series, name: str) -> pd.Series:
    if isinstance(col.dtype, pd.SparseDtype):  # read as its values: dates are not numbers
        col = col.sparse.to_dense()
    col = _quiet_nans(_numpy_typed(col, name))
    if _is_arrow_dictionary(getattr(col.dtype, "pyarrow_dtype", None)):  # pyarrow backend
        arrow = _arrow_categorical(col.array.__arrow_array__(), name)
        col = pd.Series(arrow, col.index, name=col.name)
    categorical = isinstance(col.dtype, pd.CategoricalDtype)
    if categorical and (raw := [c for c in col.cat.categories if isinstance(c, bytes)]):
        raise _odd_value(name, raw[0])  # else "b'u'" (also when no row holds it)
    if col.isna().all() and (empty := _empty_column(col)) is not None:
        return empty  # categories (also text with none present) stay categories
    if categorical:
        return _text_categories(col)
    if col.dtype == object:
        return _object_column(col, name)
    if ptypes.is_string_dtype(col.dtype):
        return _text_categories(col.astype("category"))
    if ptypes.is_complex_dtype(col.dtype):
        raise ValueError(f"Complex data not supported (column {name!r}).")
    if col.dtype.kind == "m":  # NumPy and Arrow durations
        col = col.dt.total_seconds()
    if ptypes.is_bool_dtype(col.dtype) or ptypes.is_numeric_dtype(col.dtype):
        return _float_column(col, name)
    if col.dtype.kind == "M" or isinstance(col.dtype, pd.PeriodDtype):
        fix = _DATES
    else:
        fix = _READ
    raise ValueError(f"Column {name!r} has dtype {col.dtype}; {fix}.")


def _numpy_typed(col: pd.Series, name: str) -> pd.Series:
    """``col``, an Arrow text view as ``large_string``; refused naming its dtype when
    pandas has no NumPy type for it (its own checks raise a bare ``NotImplementedError``)."""
    try:
        ptypes.is_object_dtype(col.dtype)  # reads the dtype's NumPy type
        return col
    except NotImplementedError:
        arrow = _text_view_as_string(col.array.__arrow_array__())
    if arrow.type == col.dtype.pyarrow_dtype:
        raise ValueError(f"Column {name!r} has dtype {col.dtype}; {_READ}.")
    return pd.Series(pd.arrays.ArrowExtensionArray(arrow), index=col.index, name=col.name)


def _text_view_as_string(chunks):
    """Arrow ``string_view`` values (also a dictionary's) as ``large_string``, which pandas
    and Arrow's own kernels read; other types as they are."""
    import pyarrow as pa

    kind = chunks.type
    if pa.types.is_dictionary(kind) and pa.types.is_string_view(kind.value_type):
        return chunks.cast(pa.dictionary(kind.index_type, pa.large_string()))
    return chunks.cast(pa.large_string()) if pa.types.is_string_view(kind) else chunks


def _string_kind(dtype):
    """``dtype``, Arrow's ``string_view`` (also a dictionary's) as ``large_string``."""
    arrow = getattr(dtype, "pyarrow_dtype", None)
    if arrow is None:
        return dtype
    import pyarrow as pa

    return pd.ArrowDtype(_text_view_as_string(pa.nulls(0, type=arrow)).type)


def _large_strings(part):
    """A Series or DataFrame with its Arrow ``string_view`` values as ``large_string``."""
    if isinstance(part, pd.DataFrame):
        return pd.DataFrame({n: _large_strings(c) for n, c in part.items()}, index=part.index)
    if not hasattr(part.dtype, "pyarrow_dtype"):
        return part
    values = _text_view_as_string(part.array.__arrow_array__())
    return pd.Series(pd.arrays.ArrowExtensionArray(values), index=part.index, name=part.name)


def _empty_column(col: pd.Series) -> pd.Series | None:
    """An all-missing column: categories with none declared (not even a ``category``
    column's own) when it holds categories, objects or text, so that every value at
    predict is unseen and missing, as no value was seen at fit; floats when it holds
    numbers, booleans, durations or nothing (Arrow's null type); ``None`` for a dtype
    refused with values too."""
    dtype = col.dtype
    text = ptypes.is_object_dtype(dtype) or ptypes.is_string_dtype(dtype)
    if text or isinstance(dtype, pd.CategoricalDtype):
        empty = pd.Categorical([None] * len(col), categories=pd.Index([], dtype=object))
        return pd.Series(empty, index=col.index, name=col.name)
    numeric = ptypes.is_bool_dtype(dtype) or ptypes.is_numeric_dtype(dtype)
    null = str(getattr(dtype, "pyarrow_dtype", "")) == "null"  # no values to have a kind
    if null or dtype.kind == "m" or (numeric and not ptypes.is_complex_dtype(dtype)):
        return pd.Series(np.nan, index=col.index, name=col.name)
    return None


def _native_values(series: nw.Series):
    """A column of a polars, pyarrow, ... table as NumPy values, or as a categorical with
    its declared categories in their order (unused ones too) for a polars ``Enum`` and
    an Arrow dictionary, as a pandas ``category`` column keeps them. An Arrow type
    narwhals has no name for stays Arrow, read as in a pandas table (by its dtype,
    whether or not a row holds a value). Types refused by dtype are refused alike with
    no value in any row."""
    if isinstance(series.dtype, nw.Enum):
        return pd.Categorical(series.to_numpy(), categories=list(series.dtype.categories))
    native = series.to_native()
    if _is_arrow_dictionary(getattr(native, "type", None)):
        return _arrow_categorical(native, series.name)
    kind, empty = series.dtype, series.null_count() == len(series)
    if isinstance(kind, nw.Unknown) and type(native).__module__.startswith("pyarrow"):
        return pd.arrays.ArrowExtensionArray(native)  # e.g. large_binary: read as pandas does
    native_kind = getattr(native, "type", getattr(native, "dtype", kind))  # Arrow, polars
    null = str(native_kind).lower() == "null"  # (narwhals: Unknown)
    if isinstance(kind, nw.List | nw.Array | nw.Struct | nw.Map | nw.Binary | nw.Time):
        raise ValueError(f"Column {series.name!r} has dtype {native_kind}; {_READ}.")
    if empty and (kind.is_numeric() or isinstance(kind, nw.Boolean) or null):
        return np.full(len(series), np.nan)  # no value: NumPy's None would read as text
    try:  # polars has no NumPy form of Int128; structs and arrays give 2-d values
        values = series.to_numpy()
    except Exception as exc:  # each library raises its own kind of error
        raise ValueError(
            f"Column {series.name!r} has dtype {series.dtype}, which has no NumPy form "
            f"({exc}); convert it first, e.g. to Float64 or String."
        ) from exc
    if values.ndim != 1:
        raise ValueError(f"Column {series.name!r} has dtype {series.dtype}; {_READ}.")
    return values


def _is_arrow_dictionary(arrow_type) -> bool:
    """Whether ``arrow_type`` is Arrow's dictionary type (its categorical)."""
    if not type(arrow_type).__module__.startswith("pyarrow"):
        return False
    import pyarrow as pa

    return pa.types.is_dictionary(arrow_type)


def _arrow_categorical(chunks, name: str) -> pd.Categorical:
    """An Arrow dictionary column as a categorical whose categories are its dictionary's
    values in order (the chunks' dictionaries joined in order), missing values missing;
    one of bytes is refused by its dtype (with an empty dictionary too)."""
    if "binary" in str(chunks.type.value_type):  # binary, large_binary, binary_view, ...
        raise ValueError(f"Column {name!r} has dtype {chunks.type}; {_READ}.")
    array = _text_view_as_string(chunks).unify_dictionaries().combine_chunks()
    categories = pd.Index(array.dictionary.to_pandas()).dropna().unique()
    return pd.Categorical(array.dictionary_decode().to_pandas(), categories=categories)


def _float_column(col: pd.Series, name: str) -> pd.Series:
    """Floats with NaN for missing; infinities and values beyond float32 are refused."""
    values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    for bad, what in (
        (np.isinf(values), "contains infinity"),
        (np.abs(values) > FLOAT32_MAX, "has values beyond float32 range"),
    ):
        if bad.any():
            _refuse_range(name, what, _where(col, int(np.flatnonzero(bad)[0])))
    return pd.Series(values, index=col.index, name=col.name)


def _where(col: pd.Series, row: int) -> str:
    label = col.index[row]  # a Dask partition's labels are the whole table's
    return f"row {row}" if label == row else f"index {_plain(label)!r}"


def _refuse_range(name: str, what: str, where: str):
    raise ValueError(
        f"Column {name!r} {what} (first at {where}); the boosters store features as "
        f"float32 (|x| <= {FLOAT32_MAX:.3g}): replace or rescale it (NaN means missing)."
    )


def _first_overflow(values) -> int | None:
    """The position of the first value whose ``float()`` overflows (an int beyond
    float64's range; a finite ``Decimal`` that becomes infinity), or ``None``."""
    for i, value in enumerate(values):
        try:
            number = float(value)
        except OverflowError:
            return i
        except (TypeError, ValueError):
            continue
        if isinstance(value, Decimal) and value.is_finite() and math.isinf(number):
            return i
    return None


def _magnitude(value) -> str:
    """A number beyond float64's range as ``1e+400 (about 401 digits)``."""
    exponent = float(abs(value).log10()) if isinstance(value, Decimal) else None
    exponent = math.log10(abs(int(value))) if exponent is None else exponent
    sign = "-" if value < 0 else ""
    return f"{sign}{10 ** (exponent % 1):.3g}e+{int(exponent)} (about {int(exponent) + 1} digits)"


def _numpy_labels(y):
    """Nullable or Arrow integer, float and boolean labels without missing values as
    NumPy arrays of that kind (so ``classes_`` are ints or bools, not floats); pyarrow
    dictionary labels decoded (NumPy reads a chunked one's nulls as a label), pandas
    ``string_view`` labels as ``large_string``."""
    if _is_arrow_dictionary(getattr(y, "type", None)):
        y = y.cast(y.type.value_type)
    if str(getattr(getattr(y, "dtype", None), "pyarrow_dtype", "")) == "string_view":
        chunks = getattr(y, "array", y).__arrow_array__()  # pandas has no NumPy type for it
        y = pd.arrays.ArrowExtensionArray(_text_view_as_string(chunks))
    dtype = getattr(y, "dtype", None)
    numpy_dtype = getattr(dtype, "numpy_dtype", None)
    if (
        isinstance(y, pd.Series | pd.api.extensions.ExtensionArray)
        and isinstance(dtype, pd.api.extensions.ExtensionDtype)
        and numpy_dtype is not None
        and numpy_dtype.kind in "biuf"
        and not pd.isna(y).any()
    ):
        return np.asarray(y, dtype=numpy_dtype)
    return y


def _plain(value):
    """A numpy scalar as the Python value it holds (so messages read ``5``, not ``np.int64(5)``),
    also inside a tuple (a ``MultiIndex`` label)."""
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value.item() if isinstance(value, np.generic) else value


def _object_column(col: pd.Series, name: str) -> pd.Series:
    """Only numbers or booleans: floats; only durations: seconds; numbers mixed with
    text: text categories."""
    present = col[col.notna()]
    number = present.map(lambda v: isinstance(v, numbers.Real | Decimal | np.bool_))
    if number.all():
        if (row := _first_overflow(col)) is not None:  # float() raised OverflowError
            _refuse_range(name, f"holds {_magnitude(col.iloc[row])}", _where(col, row))
        return _float_column(col.where(col.notna(), np.nan).astype(np.float64), name)
    if present.map(lambda v: isinstance(v, timedelta | np.timedelta64)).all():
        return _convert_column(pd.to_timedelta(col.where(col.notna(), None)), name)
    text = present.map(lambda v: isinstance(v, str))
    if not (number | text).all():
        row = int(np.flatnonzero(~(number | text).to_numpy())[0])
        value = present.iloc[row]
        if isinstance(value, date | np.datetime64 | pd.Period):  # as a column of dates
            where = _where(col, int(np.flatnonzero(col.notna())[row]))
            raise ValueError(f"Column {name!r} holds dates ({value!r} at {where}); {_DATES}.")
        if isinstance(value, numbers.Complex):  # as a column of complex numbers
            raise ValueError(f"Complex data not supported (column {name!r}).")
        raise _odd_value(name, value)
    return _text_categories(_text_objects(col).astype("category"))


def _text_objects(col: pd.Series) -> pd.Series:
    """An object column (its ``Decimal("sNaN")`` already quiet: :func:`_quiet_nans`) with
    its booleans as their text (``"True"``, ``"False"``: as categories, ``True`` and ``1``
    are equal, and whichever came first named both), before it becomes text categories."""
    flags = col.map(lambda v: isinstance(v, bool | np.bool_)).to_numpy(dtype=bool)
    if not flags.any():
        return col
    values = col.to_numpy(dtype=object, copy=True)
    values[flags] = [str(v) for v in values[flags]]
    return pd.Series(values, index=col.index, name=col.name, dtype=object)


def _distinct(values: pd.Series) -> pd.Series:
    """The distinct values present, in order of first appearance (``True`` and ``1``
    both: they are equal, but distinct categories of a text column); a column of
    unhashable values is refused as :func:`to_frame` refuses it."""
    values = _quiet_nans(values).dropna()
    if values.dtype != object:
        return values.drop_duplicates()
    flags = values.map(lambda v: isinstance(v, bool | np.bool_))
    try:
        return values[~pd.DataFrame({"value": values, "flag": flags}).duplicated()]
    except TypeError:  # unhashable (a dict, a list): refused as a local fit refuses it
        _convert_column(values, str(values.name))
        raise


def _written_objects(col: pd.Series, name: str) -> dict:
    """For an object column that dask's strings wrote as text: the objects its text
    wrote where it mixes text with numbers or booleans (read back, they sort as a local
    fit sorts them: numbers first, by value), else ``{}``. Refused unless that text is
    what a local fit reads: with the local error where a local fit refuses the column
    (bytes, dates, ...), else saying how to keep its values (durations, fractions, ...
    a local fit reads as numbers)."""
    present = col[col.notna()]
    kept = present.map(lambda v: isinstance(v, _AS_TEXT) and not isinstance(v, np.timedelta64))
    if kept.all():
        others = present[~present.map(lambda v: isinstance(v, str))]
        return {str(v): v for v in others} if len(others) < len(present) else {}
    _convert_column(col, name)  # raises where a local fit refuses the column
    value = present[~kept].iloc[0]
    raise ValueError(
        f"Column {name!r} holds {type(value).__name__} values (e.g. {value!r}), which a local "
        "fit reads as numbers but dask's strings (dataframe.convert-string) wrote as text: "
        "convert the column first, e.g. to floats, or build the collection under "
        "dask.config.set({'dataframe.convert-string': False})."
    )


def _objects_again(part: pd.DataFrame, written: dict) -> pd.DataFrame:
    """The columns of ``written`` (by name: text to the object it wrote) as objects."""
    part = part.copy()
    for name, objects in written.items():
        part[name] = part[name].astype(object).map(lambda t, o=objects: o.get(t, t))
    return part


def _sorted_categories(values: pd.Series) -> pd.Series:
    """Categories dask does not know (each partition made its own, sorted) sorted over
    all partitions, as pandas sorts those of a whole column (unless not comparable)."""
    try:
        return values.cat.reorder_categories(values.cat.categories.sort_values())
    except TypeError:
        return values


def _odd_value(name: str, value) -> TypeError:
    return TypeError(
        f"Column {name!r} holds a value of type {type(value).__name__} ({value!r}); "
        "expected numbers, booleans or text."
    )


def _text_categories(col: pd.Series) -> pd.Series:
    """The same categorical column with distinct text categories and NaN as missing."""
    text = pd.Index([str(c) for c in col.cat.categories])
    categories = text.unique()
    codes = col.cat.codes.to_numpy()
    recode = np.append(categories.get_indexer(text), -1)  # code -1 (missing) stays -1
    codes = recode[codes]
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=categories), index=col.index, name=col.name
    )


def meta_frame(columns: list[str], categories: dict) -> pd.DataFrame:
    """An empty frame with the converted dtypes: categories as given, floats otherwise.

    Parameters
    ----------
    columns : list of str
    categories : dict of str to Index

    Returns
    -------
    DataFrame
    """
    return pd.DataFrame(
        {
            name: pd.Categorical([], categories=categories[name])
            if name in categories
            else np.array([], dtype=np.float64)
            for name in columns
        }
    )


def from_torch(value):
    """A torch tensor as NumPy can read it (detached, on the CPU, ``bfloat16`` and the
    ``float8`` types, which NumPy has not, as ``float32``, which holds each of their
    values exactly); anything else as it is."""
    if type(value).__module__ != "torch" or not hasattr(value, "detach"):
        return value
    value = value.detach().cpu()
    kind = str(value.dtype)
    return value.float() if kind == "torch.bfloat16" or kind.startswith("torch.float8") else value


__all__ = ["FLOAT32_MAX", "from_torch", "meta_frame"]
