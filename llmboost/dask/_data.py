"""Dask inputs: checks and the per-partition conversion.

Every partition goes through the same conversion as a local fit
(:func:`llmboost._validation.to_frame`), with what depends on all rows decided over all
rows: the categories (:func:`schema`) and which object columns are text
(:func:`text_dtypes`). So partitions agree with each other, with the sample, and with a
local fit on the whole table.
"""

from __future__ import annotations

import threading
import uuid
import warnings

import numpy as np
import pandas as pd
from pandas.api import types as ptypes
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.validation import validate_data

from .._columns import (
    _distinct,
    _quiet_nans,
    _sorted_categories,
    _text_numbers,
    _text_objects,
    meta_frame,
)
from .._validation import (
    _order_hint,
    align_categories,
    feature_names,
    fit_categories,
    to_frame,
)
from .._warn import caller_level
from ._forward import forward, listen
from ._text import (
    labels_again,
    numbers_again,
    objects_again,
    refuse_labels_written_alike,
    views_as_strings,
    written_columns,
)

EXTRA = 'pip install "llmboost[dask]"'
#: How to fix a ``y`` whose rows are not ``X``'s.
SAME_INDEX = (
    "the Dask estimators match labels to rows by index, so y needs X's index (take both "
    "from one DataFrame, or build y with X's index and divisions)."
)

#: scikit-learn's warning for a ``y`` of one column (``column_or_1d``), as a local fit's.
COLUMN_VECTOR = (
    "A column-vector y was passed when a 1d array was expected. Please change the shape "
    "of y to (n_samples, ), for example using ravel()."
)

#: Why a ``y`` cannot be matched to the rows of ``X`` when a division is unknown.
UNKNOWN = (
    "X or y has unknown divisions (e.g. from dd.read_csv), so y's partitions are matched "
    "to X's in order, but y has {y} partitions and X {X}: take both from one DataFrame "
    "(X = df[features], y = df[target]) or give both known divisions (dd.from_pandas, "
    "read_parquet(..., calculate_divisions=True))."
)


#: Held while a partition's warnings are recorded: recording swaps the process's warning
#: state, which the threads of a worker share.
_RECORDING = threading.Lock()


def require_dask():
    """Import dask.dataframe, dask.array and distributed, or say which extra to install.

    Returns
    -------
    tuple of modules
        ``(dask.dataframe, dask.array, distributed)``.
    """
    try:
        import dask.array as da
        import dask.dataframe as dd
        import distributed
    except ImportError as error:
        raise ImportError(
            f"llmboost.dask needs dask[distributed] and dask[dataframe] ({error}); "
            f"install them with: {EXTRA}"
        ) from error
    return dd, da, distributed


def as_dask_frame(X, name: str = "X", *, fitted: bool = False):
    """A dask DataFrame (a dask array's columns are named 0, 1, ...).

    Columns that dask's strings wrote as text are read as a local fit reads the objects
    they were (:func:`written_columns`).

    Parameters
    ----------
    X : dask DataFrame or 2-d dask array
        Known chunk sizes (not needed for a fitted model's rows).
    name : str, default="X"
        Named in the errors.
    fitted : bool, default=False
        Rows for a fitted model, predicted partition by partition (the errors then say
        how to predict, not how to fit).

    Returns
    -------
    dask DataFrame
    """
    dd, da, _ = require_dask()
    if isinstance(X, da.Array):
        if X.ndim != 2:
            raise ValueError(f"{name} must be 2-d; got a dask array of shape {X.shape}.")
        if not fitted:  # predicting maps chunks: unknown sizes are fine
            _check_chunks(X, name)
        X = _array_frame(_text_numbers(X.rechunk({1: -1})), columns=list(range(X.shape[1])))
    elif not isinstance(X, dd.DataFrame):
        raise TypeError(_not_a_frame(X, name, fitted))
    if len(X.columns) == 0:  # else each partition names its own shape
        raise ValueError(
            f"{name} has no columns (shape ({len(X)}, 0)); at least 1 feature is required."
        )
    columns = [str(c) for c in X.columns]
    if len(set(columns)) != len(columns):
        dupes = sorted({c for c in columns if columns.count(c) > 1})
        labels = [c for c in X.columns if str(c) in dupes]  # as to_frame names them
        how = f" ({' and '.join(map(repr, labels))}, as text)" if len(set(labels)) > 1 else ""
        raise ValueError(f"Column names must be unique; repeated: {dupes}{how}.")
    written, numbers = written_columns(X)
    return numbers_again(views_as_strings(objects_again(X, written)), numbers)


def _not_a_frame(X, name: str, fitted: bool) -> str:
    """What to give instead of ``X``, which is neither a dask DataFrame nor an array."""
    from dask import is_dask_collection

    if is_dask_collection(X):
        kind = f"a dask {type(X).__name__}"
        fix = f"make it one, e.g. {name}.to_frame() for a Series of one column"
    else:
        kind = type(X).__name__
        fix = (
            "wrap in-memory rows as one, e.g. dd.from_pandas(X, npartitions=1) (a client "
            "is needed), or explain(model, X) for their contributions"
            if fitted
            else "use the local estimators for in-memory data"
        )
    return f"{name} must be a dask DataFrame or dask array, got {kind}; {fix}."


def _not_labels(y) -> str:
    """What to give instead of ``y``, which is neither a dask Series nor an array."""
    from dask import is_dask_collection

    if is_dask_collection(y):
        kind = f"a dask {type(y).__name__}"
        if hasattr(y, "columns"):
            kind += f" of {len(y.columns)} columns; pass one, e.g. y[name]"
    else:
        kind = (
            f"{type(y).__name__}; wrap in-memory labels as one, e.g. dd.from_pandas(y, "
            "npartitions=X.npartitions) with X's index, or da.from_array(y) in X's row order"
        )
    return f"y must be a dask Series or 1-d dask array, got {kind}."


def _array_frame(array, columns=None, index=None):
    """``dd.from_dask_array`` keeping objects as they are (dask would make them text):
    numbers and booleans in an object array are read as in a local fit on the array."""
    import dask
    import dask.dataframe as dd

    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_dask_array(array, columns=columns, index=index)


def _array_target(y, X):
    """A 1-d dask array of labels as a Series matched to ``X``'s rows by position, as a
    local fit matches an array ``y`` (unnamed, as the array is)."""
    import dask

    n_labels = int(y.shape[0])
    if (X.divisions[0], X.divisions[-1]) == (0, n_labels - 1):  # X's rows numbered alike
        return _array_labels(y)
    lengths = dask.compute(*[dask.delayed(len)(part) for part in X.index.to_delayed()])
    if sum(lengths) != n_labels:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: X has "
            f"{sum(lengths)} rows, y has {n_labels}."
        )
    return _array_labels(y.rechunk((tuple(lengths),)), X.index)


def _array_labels(y, index=None):
    """A 1-d dask array as a Series, each chunk's values as they are (``dd.from_dask_array``
    makes them the array's dtype: floats in an array that says int64 became ints; objects
    stay objects), on ``index`` (chunked alike) or the positions."""
    import dask
    import dask.dataframe as dd

    if index is None:
        ends = np.cumsum((0, *y.chunks[0])).tolist()
        indexes = [pd.RangeIndex(a, b) for a, b in zip(ends[:-1], ends[1:])]
        divisions = (*ends[:-1], ends[-1] - 1)
    else:
        indexes = index.to_delayed()
        divisions = index.divisions if index.known_divisions else None
    parts = [dask.delayed(pd.Series)(b, index=i) for b, i in zip(y.to_delayed(), indexes)]
    meta = pd.Series(np.array([], dtype=y.dtype))  # as the array says; the labels' check
    with dask.config.set({"dataframe.convert-string": False}):  # objects as they are
        return dd.from_delayed(parts, meta=meta, divisions=divisions, verify_meta=False)


def named_columns(X, columns, *, reset: bool):
    """``X`` with its columns named as the local estimators name them.

    By their names when they are all strings, else ``x0, x1, ...`` (an array's and a
    table's columns are interchangeable), as :func:`llmboost._validation.named_frame`.

    Parameters
    ----------
    X : dask DataFrame
        From :func:`as_dask_frame`.
    columns : estimator
        Holds the columns seen at fit (``reset=False``), or takes those of ``X``.
    reset : bool

    Returns
    -------
    dask DataFrame
    """
    try:
        validate_data(columns, X._meta, reset=reset, skip_check_array=True)
    except ValueError as error:  # with the local hint for fit's columns in another order
        if not (hint := _order_hint(pd.DataFrame(columns=X.columns.map(str)), columns)):
            raise
        raise ValueError(f"{str(error).rstrip()}\n{hint}") from None
    return X.rename(columns=dict(zip(X.columns, feature_names(columns))))


def as_dask_target(y, X, *, classifier: bool = False):
    """``y`` as a dask Series partitioned exactly like ``X``.

    A Series is matched to ``X``'s rows by index (repartitioned to ``X``'s divisions when
    both are known, else partition by partition), an array by position.

    Parameters
    ----------
    y : dask Series or 1-d dask array
    X : dask DataFrame
        From :func:`as_dask_frame`.
    classifier : bool, default=False
        Labels of a classifier: those dask's strings wrote as text are refused as locally.

    Returns
    -------
    dask Series
    """
    dd, da, _ = require_dask()
    if isinstance(y, da.Array):
        if y.ndim == 2 and y.shape[1] == 1:
            y = _one_column(y[:, 0])
        if y.ndim != 1:
            raise ValueError(f"y must be 1-d; got a dask array of shape {y.shape}.")
        _check_chunks(y, "y")
        y = _array_target(y, X)
    elif isinstance(y, dd.DataFrame) and len(y.columns) == 1:
        y = _one_column(y[y.columns[0]])
    elif not isinstance(y, dd.Series):
        raise TypeError(_not_labels(y))
    if classifier:
        refuse_labels_written_alike(y)
    y = views_as_strings(labels_again(y))
    if not (X.known_divisions and y.known_divisions):
        if y.npartitions != X.npartitions:
            raise ValueError(UNKNOWN.format(y=y.npartitions, X=X.npartitions))
        return y.clear_divisions()
    ends, x_ends = (y.divisions[0], y.divisions[-1]), (X.divisions[0], X.divisions[-1])
    if ends != x_ends:
        raise ValueError(
            f"y's index runs from {ends[0]!r} to {ends[1]!r} but X's from {x_ends[0]!r} to "
            f"{x_ends[1]!r}: {SAME_INDEX}"
        )
    if tuple(y.divisions) != tuple(X.divisions):
        y = y.repartition(divisions=X.divisions)
    return y


def _one_column(y):
    """The labels of a ``y`` of one column, with scikit-learn's warning, as locally."""
    warnings.warn(COLUMN_VECTOR, DataConversionWarning, stacklevel=caller_level())
    return y


def _check_chunks(array, name: str) -> None:
    if any(np.isnan(c) for c in array.chunks[0]):
        raise ValueError(
            f"{name} is a dask array with unknown chunk sizes; call "
            f"{name}.compute_chunk_sizes() (or to_dask_array(lengths=True)) first."
        )


def schema(X) -> dict[str, pd.Index]:
    """The categories a local fit gives ``X``'s columns (:func:`to_frame` on all rows).

    The distinct values of every column that is not numeric or boolean are gathered (in
    order of first appearance; categories dask does not know, which each partition made
    from its own values, sorted) and converted as :func:`to_frame` converts the column:
    categories of any type become text; an object column becomes text categories when
    it holds text, else it stays numbers; an all-missing column is categories (none
    present) or numbers, as its dtype says.

    Parameters
    ----------
    X : dask DataFrame

    Returns
    -------
    dict of str to Index
        Text categories of the categorical columns.
    """
    import dask

    others = [
        name
        for name, dtype in X.dtypes.items()
        if not (ptypes.is_numeric_dtype(dtype) or ptypes.is_timedelta64_dtype(dtype))
    ]
    found = dask.compute(
        *[X[name].map_partitions(_distinct, meta=X[name]._meta) for name in others]
    )
    categories = {}
    for name, values in zip(others, found):
        values = _distinct(values).reset_index(drop=True)
        if isinstance(values.dtype, pd.CategoricalDtype) and not X[name].cat.known:
            values = _sorted_categories(values)
        if not len(values):  # missing in every row: read as to_frame reads such a column
            values = values.reindex([0])
        if values.dtype != object or values.map(_is_text).any() or values.isna().all():
            categories.update(fit_categories(to_frame(pd.DataFrame({name: values}))))
    return categories


def text_dtypes(X):
    """The categories a local fit gives each object column of ``X`` that holds text (lazily).

    Locally such a column becomes categories as a whole (``col.astype("category")``),
    also in the rows that hold numbers: every partition needs those categories.

    Parameters
    ----------
    X : dask DataFrame

    Returns
    -------
    Delayed dict of str to CategoricalDtype, or ``{}`` without object columns
    """
    import dask

    names = [name for name, dtype in X.dtypes.items() if ptypes.is_object_dtype(dtype)]
    if not names:
        return {}
    found = [dask.delayed(_distinct_columns)(part) for part in X[names].to_delayed()]
    return dask.delayed(_text_dtypes)(found)


def _distinct_columns(part: pd.DataFrame) -> dict:
    return {name: _distinct(part[name]) for name in part.columns}


def _text_dtypes(found: list[dict]) -> dict:
    out = {}
    for name in found[0]:
        values = _distinct(pd.concat([f[name] for f in found])).reset_index(drop=True)
        if values.map(_is_text).any():
            to_frame(pd.DataFrame({name: values}))  # the local check: numbers and text only
            out[name] = _text_objects(values).astype("category").dtype
    return out


def _is_text(value) -> bool:
    return isinstance(value, str)


def prepared(X, categories: dict, client, text=None):
    """``X``'s partitions converted as a local fit converts the whole ``X`` (lazily).

    Their warnings reach ``client`` once per column (one call).

    Parameters
    ----------
    X : dask DataFrame
        Named by :func:`named_columns`.
    categories : dict of str to Index
        From :func:`schema` at fit.
    client : distributed.Client
    text : Delayed dict, default=None
        :func:`text_dtypes` of ``X``, when already asked for.

    Returns
    -------
    dask DataFrame
    """
    listen(client)
    meta = meta_frame(list(X.columns), categories)
    call = uuid.uuid4().hex
    text = text_dtypes(X) if text is None else text
    return X.map_partitions(prepare_partition, categories, meta, text, call, meta=meta)


def as_given(part: pd.DataFrame, columns, text=None, number: int = 0) -> pd.DataFrame:
    """One partition read as a local predict reads the rows as given (``to_frame``),
    before their alignment to the fit's categories. A bad value it names as the first
    is the first of partition ``number`` of X (unless 0: an earlier one may hold more).

    Parameters
    ----------
    part : DataFrame
    columns : list of str
        The names of the columns seen at fit.
    text : dict of str to CategoricalDtype, default=None
        The object columns holding text over all rows (:func:`text_dtypes`).
    number : int, default=0
        The partition's number in X.

    Returns
    -------
    DataFrame
    """
    part = part.set_axis(columns, axis=1)
    for name, dtype in (text or {}).items():
        part[name] = _text_objects(_quiet_nans(part[name])).astype(dtype)
    try:
        return to_frame(part)
    except ValueError as error:
        if not number or "(first at " not in str(error):
            raise
        raise ValueError(
            str(error).replace("(first at ", f"(first in partition {number} of X at ", 1)
        ) from None


def prepare_partition(part, categories: dict, meta, text=None, call="", partition_info=None):
    """One partition converted as a local fit converts the whole ``X`` (empty ones too);
    its warnings (a column whose kind changed since fit) are sent to the client
    (:func:`~llmboost.dask._forward.forward`).

    Parameters
    ----------
    part : DataFrame
    categories : dict of str to Index
        From :func:`schema` at fit.
    meta : DataFrame
        The converted dtypes and column names.
    text : dict of str to CategoricalDtype, default=None
        The object columns holding text over all rows (:func:`text_dtypes`).
    call : str, default=""
        The call the partition is converted for (its warnings are shown once).
    partition_info : dict, default=None
        Given by dask (the partition's ``number``).

    Returns
    -------
    DataFrame
    """
    if len(part) == 0:
        return meta.set_axis(part.index[:0])
    with _RECORDING, warnings.catch_warnings(record=True) as caught:  # one thread at a time
        warnings.simplefilter("always")
        number = partition_info["number"] if partition_info else 0
        out = align_categories(as_given(part, meta.columns, text, number), categories)
    forward(caught, call)  # a worker's own were seen in its log alone
    return out


__all__ = [
    "SAME_INDEX",
    "as_dask_frame",
    "as_given",
    "as_dask_target",
    "meta_frame",
    "named_columns",
    "prepare_partition",
    "prepared",
    "require_dask",
    "schema",
    "text_dtypes",
]
