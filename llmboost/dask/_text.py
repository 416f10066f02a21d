"""Numbers that dask wrote as text, read as the numbers they were.

With its ``dataframe.convert-string`` setting (on by default), ``dd.from_pandas`` writes
every object column as text, also one that holds only numbers or booleans, which a
local fit reads as numbers (features) or as numbers and booleans (labels). The pandas
table a collection was built from stays in its expression: such columns are found
there and their text is read back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from .._categories import _category_numbers
from .._columns import _large_strings, _objects_again, _plain, _string_kind, _written_objects
from .._validation import check_target


def written_columns(X) -> tuple[dict, list]:
    """The string columns dask's strings wrote from the object columns of the pandas
    table ``X`` was built from, each checked once (refused where a local fit refuses it).

    Parameters
    ----------
    X : dask DataFrame

    Returns
    -------
    written : dict
        By name, the objects that the text of a column mixing text with numbers or
        booleans wrote (:func:`~llmboost._columns._written_objects`).
    numbers : list
        The names of those holding only numbers or booleans.
    """
    source, written, numbers = _source_objects(X), {}, []
    for name, dtype in X.dtypes.items():
        if name not in source or not _is_string(dtype):
            continue
        if objects := _written_objects(source[name], str(name)):
            written[name] = objects
        elif (present := source[name].dropna()).size and not isinstance(present.iloc[0], str):
            numbers.append(name)  # not mixed, as checked: all numbers or booleans
    return written, numbers


def objects_again(X, written: dict):
    """``X`` with the columns of ``written`` (:func:`written_columns`) as the objects
    their text wrote (lazily)."""
    if not written:
        return X
    return X.map_partitions(_objects_again, written, meta=_objects_again(X._meta, written))


def numbers_again(X, names: list):
    """``X`` with the columns ``names`` (numbers dask wrote as text) as floats (lazily).

    Parameters
    ----------
    X : dask DataFrame
    names : list
        From :func:`written_columns`.

    Returns
    -------
    dask DataFrame
        ``X`` itself without such columns.
    """
    if not names:
        return X
    meta = X._meta.astype(dict.fromkeys(names, np.float64))
    return X.map_partitions(_read_numbers, names, meta=meta)


def labels_again(y):
    """A dask Series of labels dask turned from numbers or booleans into text, as they were.

    Parameters
    ----------
    y : any
        Returned as it is unless a dask Series of such text.

    Returns
    -------
    dask Series or ``y``
        Booleans, integers or floats, as a local fit reads the objects.
    """
    import dask.dataframe as dd

    if not isinstance(y, dd.Series) or not _is_string(y.dtype):
        return y
    source = _source_labels(y)
    if source is None or source.isna().any():
        return y  # missing labels: the text gives the local error as it is
    texts = source.map(lambda v: isinstance(v, str)).to_numpy()
    if texts.all() or not source[~texts].map(_is_plain_number).all():
        return y  # text, or other objects (Decimal): text, as documented
    dtype = np.asarray(source[~texts].tolist()).dtype
    booleans = source.map(lambda v: isinstance(v, bool | np.bool_))
    if texts.any() or dtype.kind not in "biuf" or (booleans.any() and not booleans.all()):
        # kinds mixed (the local fit refuses them, or a regressor reads True as 1), or
        # ints beyond int64 (numpy holds them as objects): objects, as they were
        meta = pd.Series([], dtype=object, name=y.name)
        return y.map_partitions(_read_objects, frozenset(source[texts]), meta=meta)
    return y.map_partitions(_read_labels, dtype, meta=pd.Series([], dtype=dtype, name=y.name))


def views_as_strings(data):
    """A Series or DataFrame with its columns of Arrow's ``string_view`` (also a
    dictionary's) as ``large_string`` ones (lazily), as a local fit reads them (pandas
    has no NumPy type for them: its checks raised ``NotImplementedError``)."""
    meta = data._meta
    frame = meta.to_frame() if isinstance(meta, pd.Series) else meta
    kinds = {n: _string_kind(t) for n, t in frame.dtypes.items()}
    if all(kinds[n] == t for n, t in frame.dtypes.items()):
        return data
    empty = {n: pd.Series([], dtype=t, index=frame.index[:0]) for n, t in kinds.items()}
    meta = empty[meta.name] if isinstance(meta, pd.Series) else pd.DataFrame(empty)
    return data.map_partitions(_large_strings, meta=meta)


def _source_objects(collection) -> dict:
    """Object columns, by name, of the pandas tables that ``dd.from_pandas`` built
    ``collection`` from with dask's strings on (none found where dask's expression
    differs: the text then stays text, as documented)."""
    found = {}
    try:
        nodes = list(collection.expr.walk())
    except AttributeError:  # a dask without query planning keeps no expression
        return found
    for node in nodes:
        frame = getattr(node, "frame", None) if type(node).__name__ == "FromPandas" else None
        frame = getattr(frame, "_data", frame)  # dask wraps the table it was given
        if not isinstance(frame, pd.Series | pd.DataFrame):
            continue
        if getattr(node, "pyarrow_strings_enabled", False):
            columns = {frame.name: frame} if isinstance(frame, pd.Series) else dict(frame.items())
            found.update((n, c) for n, c in columns.items() if c.dtype == object)
    return found


def _source_labels(y) -> pd.Series | None:
    """The objects that dask's strings wrote as the text of ``y``, of the values ``y``
    holds: ``y`` may be part of its source's rows (e.g. after ``dropna``), and the
    missing labels or kinds of other rows are not its own."""
    source = _source_objects(y).get(y.name)
    if source is None or (source.notna().all() and source.map(type).nunique() == 1):
        return source  # one kind: any part of it is of that kind
    held = pd.Series(y.unique().compute())
    written = source.astype(y.dtype)
    return source[written.isin(held.dropna()) | (written.isna() & held.isna().any())]


def _is_string(dtype) -> bool:
    return ptypes.is_string_dtype(dtype) and not ptypes.is_object_dtype(dtype)


def _read_numbers(part: pd.DataFrame, names: list) -> pd.DataFrame:
    """The columns ``names`` (numbers written as text by dask) as floats again; one that
    reads as infinite as the Python numbers it held (an int beyond floats is then
    named as locally, not as infinity)."""
    part = part.copy()
    for name in names:
        text = part[name].astype(object)
        numbers = _category_numbers(pd.Index(text))
        if np.isinf(numbers).any():
            numbers = text.map(lambda t: np.nan if pd.isna(t) else _python_value(t))
        part[name] = numbers
    return part


def _read_labels(part: pd.Series, dtype) -> pd.Series:
    """Labels written as text by dask (``"True"``, ``"3"``) as ``dtype`` again."""
    text = part.astype(object)
    values = text.map({"True": True, "False": False}) if dtype.kind == "b" else pd.to_numeric(text)
    return values.astype(dtype)


def _read_objects(part: pd.Series, texts: frozenset) -> pd.Series:
    """Labels written as text by dask as the objects they were: ``texts`` as they are,
    other text as the Python bool, int or float it writes."""
    return part.astype(object).map(lambda t: t if t in texts else _python_value(t))


def _python_value(text: str) -> bool | int | float:
    """The bool, int or float that Python wrote as ``text``."""
    if text in ("True", "False"):
        return text == "True"
    try:
        return int(text)
    except ValueError:
        return float(text)


def _is_plain_number(value) -> bool:
    """A bool, int or float (of Python or NumPy), which dask writes as Python does."""
    return isinstance(value, bool | int | float | np.bool_ | np.integer | np.floating)


def refuse_labels_written_alike(y) -> None:
    """Refuse labels dask's strings wrote as text that a local classifier refuses."""
    source = _source_labels(y)
    present = [] if source is None else source.dropna().tolist()
    if any(not isinstance(v, str | bool | int | float | np.generic) for v in present):
        check_target(source.to_numpy(), len(source), classification=True)  # the local error
    texts = {v for v in present if isinstance(v, str)}
    if alike := [v for v in present if not isinstance(v, str) and str(v) in texts]:
        raise ValueError(
            f"y mixes text and other labels (e.g. {str(alike[0])!r} and {_plain(alike[0])!r}), "
            "which dask's strings (dataframe.convert-string) wrote alike; give every label "
            "one type, e.g. y.astype(str)."
        )


__all__ = [
    "labels_again",
    "numbers_again",
    "objects_again",
    "refuse_labels_written_alike",
    "views_as_strings",
    "written_columns",
]
