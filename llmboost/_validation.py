"""Input checks and conversion of ``X`` into the frame every part of the pipeline reads."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as ptypes
from sklearn.utils import check_array


def to_frame(X) -> pd.DataFrame:
    """Return ``X`` as a DataFrame with string column names.

    Numeric columns become floats; text, boolean-like objects and ``category``
    columns become ``category`` dtype (the boosters' native categorical support).
    Raises ``ValueError`` for empty input, complex values and infinities.
    """
    if isinstance(X, pd.DataFrame):
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(
                f"Found array with shape {X.shape}; at least 1 sample and 1 feature are required."
            )
        frame = X.copy()
        frame.columns = [str(c) for c in X.columns]
    else:
        array = check_array(X, dtype=None, ensure_all_finite=False, ensure_min_samples=1)
        if array.dtype == object:
            columns = [_object_column(array[:, j]) for j in range(array.shape[1])]
        else:
            columns = [array[:, j] for j in range(array.shape[1])]
        frame = pd.DataFrame({f"x{j}": col for j, col in enumerate(columns)})
    if len(set(frame.columns)) != frame.shape[1]:
        dupes = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
        raise ValueError(f"Column names must be unique; repeated: {dupes}.")
    for name in frame.columns:
        frame[name] = _convert_column(frame[name], name)
    return frame


def _object_column(values: np.ndarray) -> np.ndarray:
    """Numbers stay numbers; a column with any text becomes a text column."""
    try:
        return values.astype(np.float64)
    except ValueError:
        return values


def _convert_column(col: pd.Series, name: str) -> pd.Series:
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col
    if ptypes.is_complex_dtype(col.dtype):
        raise ValueError(f"Complex data not supported (column {name!r}).")
    if ptypes.is_bool_dtype(col.dtype):
        return col.astype(np.float64)
    if ptypes.is_numeric_dtype(col.dtype):
        values = col.to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isinf(values).any():
            row = int(np.flatnonzero(np.isinf(values))[0])
            raise ValueError(
                f"Column {name!r} contains infinity (first at row {row}); "
                "replace it with a finite value or NaN (missing)."
            )
        return pd.Series(values, index=col.index, name=col.name)
    if ptypes.is_datetime64_any_dtype(col.dtype):
        raise ValueError(
            f"Column {name!r} has dtype {col.dtype}; convert dates to numbers or text first."
        )
    return col.astype("category")


def align_categories(frame: pd.DataFrame, categories: dict[str, pd.Index]) -> pd.DataFrame:
    """Give categorical columns the categories seen at fit; unseen values become missing."""
    for name, cats in categories.items():
        col = frame[name].astype(object)
        frame[name] = pd.Categorical(col.where(col.isin(cats)), categories=cats)
    return frame


def fit_categories(frame: pd.DataFrame) -> dict[str, pd.Index]:
    """The categories of every categorical column, to reuse at predict time."""
    return {
        name: frame[name].cat.categories
        for name in frame.columns
        if isinstance(frame[name].dtype, pd.CategoricalDtype)
    }


def check_target(y, n_rows: int, *, classification: bool) -> np.ndarray:
    """Check ``y``: 1-d, same length as ``X``, no NaN or infinity."""
    from sklearn.utils import column_or_1d

    y = column_or_1d(y, warn=True)
    if len(y) != n_rows:
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: X has {n_rows} rows, "
            f"y has {len(y)}."
        )
    if ptypes.is_numeric_dtype(y.dtype) or y.dtype == object:
        bad = pd.isna(y)
        if y.dtype != object:
            bad |= np.isinf(y.astype(np.float64))
        if bad.any():
            rows = np.flatnonzero(bad)[:5].tolist()
            raise ValueError(f"Input y contains NaN or infinity (rows {rows}); drop those rows.")
    if not classification:
        return y.astype(np.float64)
    from sklearn.utils.multiclass import check_classification_targets

    check_classification_targets(y)
    return y
