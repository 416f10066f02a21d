"""Dask labels: every label checked in one pass over ``y``, as a local fit checks them."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from .._columns import _first_overflow, _magnitude, _plain
from .._validation import _is_number, _label
from ._data import SAME_INDEX, _is_text

#: First distinct labels over all rows checked as a classifier's labels (more are
#: classes or a continuous target either way); each partition sends at most as many.
DISTINCT = 1000
_FAN_IN = 8  # partitions' first labels merged at a time


def check_labels(X, y, *, regression: bool = False, classes=None) -> tuple[list[int], object]:
    """Raise unless ``X`` has rows and ``y`` its index and no missing or infinite label.

    One pass over ``y`` and ``X``'s index; the errors are the local estimators' (the rows
    are counted over all partitions). Partitions whose dtype is not ``y``'s (floats in
    a ``y`` that says int64) get the dtype of all of them together, as ``y.compute()``.

    Parameters
    ----------
    X : dask DataFrame
    y : dask Series
        From :func:`as_dask_target`.
    regression : bool, default=False
        Labels must be numbers (text such as ``"inf"`` read as one).
    classes : callable, default=None
        The local check of a classifier's labels, given the first of each of the first
        :data:`DISTINCT` distinct labels over all rows, in order (so it names the values
        the local fit names: labels of mixed kinds, a continuous ``y``).

    Returns
    -------
    lengths : list of int
        The rows of each partition.
    y : dask Series
        In the dtype of its values.
    """
    import dask

    parts = y.to_delayed()
    *summaries, firsts = dask.compute(
        *[
            dask.delayed(_labels_summary)(i, p, regression)
            for i, p in zip(X.index.to_delayed(), parts)
        ],
        _merged_firsts(parts),
    )
    n_rows = sum(s[0] for s in summaries)
    n_labels = sum(s[1] for s in summaries)
    if n_rows == 0:
        raise ValueError(
            f"Found array with shape (0, {len(X.columns)}); at least 1 sample and 1 feature "
            "are required."
        )
    if n_rows != n_labels:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: X has "
            f"{n_rows} rows, y has {n_labels}."
        )
    differ = [k for k, s in enumerate(summaries) if not s[2]]
    if differ:
        raise ValueError(f"y's index differs from X's in partition {differ[0]}: {SAME_INDEX}")
    offsets = np.cumsum([0] + [s[0] for s in summaries])
    huge = next(((s[6][0] + o, s[6][1]) for s, o in zip(summaries, offsets) if s[6]), None)
    rows = [[s[k] + o for s, o in zip(summaries, offsets)] for k in (3, 5)]
    _refuse_labels(rows, summaries, huge, regression)
    if classes is not None:
        firsts = firsts.reset_index(drop=True)
        classes(firsts, len(firsts))
    return [int(s[0]) for s in summaries], _settled(y, [s[7] for s in summaries if s[0]])


def refuse_no_rows(X, n_columns: int) -> None:
    """Raise as a local predict does when ``X`` (a dask array or DataFrame) has zero rows
    that dask knows of without reading them (an array's chunks, a table's length dask
    holds, as for ``dd.from_pandas``); other lengths are not read (no pass over the rows)."""
    if hasattr(X, "chunks"):
        rows = X.chunks[0]
        if not any(np.isnan(rows)) and sum(rows) == 0:
            raise ValueError(  # scikit-learn's message for an array, as locally
                f"Found array with 0 sample(s) (shape=(0, {n_columns})) while a minimum of 1 "
                "is required."
            )
        return
    try:  # dask-expr's private API: any dask where it differs is not checked
        from dask.dataframe.dask_expr._reductions import Len

        length = Len(X.expr).optimize(fuse=False)
    except Exception:  # also ImportError or AttributeError: a dask without query planning
        return
    if type(length).__name__ == "Literal" and length.value == 0:
        raise ValueError(
            f"Found array with shape (0, {n_columns}); at least 1 sample and 1 feature are "
            "required."
        )


def _settled(y, heads: list):
    """``y`` in the dtype of its partitions' values together (``heads``: their first
    labels), where a partition's differs from the dtype ``y`` says."""
    dtypes = [y.dtype, *(head.dtype for head in heads)]
    if len(set(dtypes)) == 1 or not all(isinstance(d, np.dtype) for d in dtypes):
        return y  # (categories: each partition may hold its own)
    dtype = pd.concat(heads).dtype
    meta = pd.Series([], dtype=dtype, name=y.name)
    return y.map_partitions(lambda part: part.astype(dtype), meta=meta)


def _refuse_labels(rows: list, summaries: tuple, huge, regression: bool) -> None:
    """The local errors for missing labels, then a regressor's number beyond floats
    (``huge``: its row and value), then text that is not a number, then infinite labels,
    then a classifier's label beyond int64 (in ``check_target``'s order); ``rows`` are
    those of all rows."""
    missing, infinite = (np.concatenate(r) for r in rows)
    text = next((s[4] for s in summaries if s[4] is not None), None)
    _refuse_missing(missing)
    if huge is not None and regression:
        raise ValueError(
            f"y holds {_magnitude(huge[1])} at row {huge[0]}, beyond the range of floats: "
            "rescale the target (e.g. to thousands or a logarithm)."
        )
    if text is not None:
        raise ValueError(
            f"y holds {text!r}, which is not a number: a regressor needs numeric "
            "targets (use a classifier for labels, or convert y to numbers)."
        )
    _refuse_missing(infinite)
    if huge is not None:
        raise ValueError(
            f"y holds the label {_label(huge[1])} (row {huge[0]}), beyond int64's range: "
            "NumPy and scikit-learn read such labels as floats (neighbours merge) or not "
            "at all; give the labels as text, e.g. [str(v) for v in y]."
        )


def _refuse_missing(bad: np.ndarray) -> None:
    if len(bad):
        raise ValueError(
            f"Input y contains NaN or infinity (rows {bad[:5].tolist()}); drop those rows."
        )


def _labels_summary(index: pd.Index, y: pd.Series, regression: bool) -> tuple:
    """Rows, labels, whether the indexes agree, the first missing labels, the first value
    that is not a number (``regression``), the first infinite labels, and the row and
    value of the first number beyond floats (a regressor's) or int beyond int64 (a
    classifier's), and the first label of one partition.

    Labels held as objects or text are read as numbers as the local fit reads them
    (``"inf"`` is infinite for a regressor)."""
    values = np.asarray(y)
    missing = pd.isna(values)
    text, infinite, huge = None, np.zeros(len(values), dtype=bool), None
    if values.dtype != object and ptypes.is_numeric_dtype(values.dtype):
        missing |= np.isinf(values.astype(np.float64))
    elif not (missing.any() or (not regression and len(values) and _is_text(values[0]))):
        try:  # (a classifier's text labels are classes, "inf" too)
            infinite = ~np.isfinite(values.astype(np.float64))
        except OverflowError:  # an int beyond floats (a classifier's sample has every class)
            row = _first_overflow(values) if regression else None
            huge = None if row is None else (row, values[row])
        except (TypeError, ValueError):  # text
            if regression:
                text = _plain(next(v for v in values if not _is_number(v)))
        if not regression and (row := _huge_int(values)) is not None:
            huge = (row, values[row])  # a classifier's label beyond int64
    first = np.flatnonzero(missing)[:5], np.flatnonzero(infinite)[:5]
    return (len(index), len(y), index.equals(y.index), first[0], text, first[1], huge,
            y.iloc[:1])  # fmt: skip


def _merged_firsts(parts: list):
    """The first :data:`DISTINCT` distinct labels of the partitions ``parts`` (Delayed),
    merged on the cluster: at most as many from each merge, in row order."""
    import dask

    firsts = [dask.delayed(_first_distinct)(p) for p in parts]
    while len(firsts) > 1:
        firsts = [
            dask.delayed(_first_distinct)(*firsts[k : k + _FAN_IN])
            for k in range(0, len(firsts), _FAN_IN)
        ]
    return firsts[0]


def _first_distinct(*parts: pd.Series) -> pd.Series:
    """The first :data:`DISTINCT` distinct labels of ``parts`` in order."""
    return pd.concat(parts).drop_duplicates().iloc[:DISTINCT]


def _huge_int(values: np.ndarray) -> int | None:
    """The position of the first int beyond int64 among labels held as objects."""
    if values.dtype != object:
        return None
    return next(
        (
            i
            for i, v in enumerate(values)
            if isinstance(v, numbers.Integral) and not isinstance(v, bool) and abs(v) >= 2**63
        ),
        None,
    )


__all__ = ["check_labels", "refuse_no_rows"]
