"""Dask inputs: checks, the per-partition conversion, and the stratified sample.

Every partition goes through the same conversion as a local fit
(:func:`llmboost._validation.to_frame`), with categorical columns given the categories
of all rows, so that partitions agree with each other and with the sample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import align_categories, to_frame

EXTRA = 'pip install "llmboost[dask]"'


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


def as_dask_frame(X, name: str = "X"):
    """A dask DataFrame with string column names (a dask array gets ``x0, x1, ...``).

    Parameters
    ----------
    X : dask DataFrame or 2-d dask array
        Known divisions or chunk sizes.
    name : str, default="X"
        Named in the errors.

    Returns
    -------
    dask DataFrame
    """
    dd, da, _ = require_dask()
    if isinstance(X, da.Array):
        if X.ndim != 2:
            raise ValueError(f"{name} must be 2-d; got a dask array of shape {X.shape}.")
        _check_chunks(X, name)
        X = dd.from_dask_array(X.rechunk({1: -1}), columns=[f"x{j}" for j in range(X.shape[1])])
    elif not isinstance(X, dd.DataFrame):
        raise TypeError(
            f"{name} must be a dask DataFrame or dask array, got {type(X).__name__}; "
            "use the local estimators for in-memory data."
        )
    if not X.known_divisions:
        raise ValueError(
            f"{name} has unknown divisions, so its rows cannot be matched with y and the "
            "margins: give it known divisions (dd.from_pandas, read_parquet(..., "
            "calculate_divisions=True), or X.set_index(column))."
        )
    columns = [str(c) for c in X.columns]
    if len(set(columns)) != len(columns):
        dupes = sorted({c for c in columns if columns.count(c) > 1})
        raise ValueError(f"Column names must be unique; repeated: {dupes}.")
    return X.rename(columns=dict(zip(X.columns, columns)))


def as_dask_target(y, X):
    """``y`` as a dask Series partitioned exactly like ``X`` (known divisions).

    Parameters
    ----------
    y : dask Series or 1-d dask array
    X : dask DataFrame
        From :func:`as_dask_frame`.

    Returns
    -------
    dask Series
    """
    dd, da, _ = require_dask()
    if isinstance(y, da.Array):
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(f"y must be 1-d; got a dask array of shape {y.shape}.")
        _check_chunks(y, "y")
        y = dd.from_dask_array(y, columns="y")
    elif isinstance(y, dd.DataFrame) and len(y.columns) == 1:
        y = y[y.columns[0]]
    elif not isinstance(y, dd.Series):
        raise TypeError(f"y must be a dask Series or 1-d dask array, got {type(y).__name__}.")
    if not y.known_divisions:
        raise ValueError(
            "y has unknown divisions, so its rows cannot be matched with X: give it known "
            "divisions (dd.from_pandas, read_parquet(..., calculate_divisions=True))."
        )
    if tuple(y.divisions) != tuple(X.divisions):
        y = y.repartition(divisions=X.divisions)
    return y


def _check_chunks(array, name: str) -> None:
    if any(np.isnan(c) for c in array.chunks[0]):
        raise ValueError(
            f"{name} is a dask array with unknown chunk sizes; call "
            f"{name}.compute_chunk_sizes() (or to_dask_array(lengths=True)) first."
        )


def schema(X) -> tuple[dict[str, pd.Index], pd.DataFrame]:
    """Categories of every text/categorical column over all rows, and the converted meta.

    Parameters
    ----------
    X : dask DataFrame

    Returns
    -------
    categories : dict of str to Index
    meta : DataFrame
        Empty, with the dtypes :func:`prepare_partition` gives.
    """
    categories, unknown = {}, []
    for name, dtype in X.dtypes.items():
        if isinstance(dtype, pd.CategoricalDtype) and X[name].cat.known:
            categories[name] = dtype.categories
        elif not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            if pd.api.types.is_datetime64_any_dtype(dtype):
                raise ValueError(
                    f"Column {name!r} has dtype {dtype}; convert dates to numbers or text first."
                )
            unknown.append(name)
    if unknown:
        import dask

        values = dask.compute(*[X[name].dropna().astype(object).unique() for name in unknown])
        for name, vals in zip(unknown, values):
            categories[name] = pd.Index(sorted({str(v) for v in vals}))
    return categories, meta_frame(list(X.columns), categories)


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


def prepare_partition(part: pd.DataFrame, categories: dict, meta: pd.DataFrame) -> pd.DataFrame:
    """One partition converted as a local fit converts ``X`` (empty ones too).

    Parameters
    ----------
    part : DataFrame
    categories : dict of str to Index
        Over all rows (:func:`schema`).
    meta : DataFrame
        The converted dtypes.

    Returns
    -------
    DataFrame
    """
    if len(part) == 0:
        return meta.set_axis(part.index[:0])
    part = part.rename(columns=dict(zip(part.columns, meta.columns)))
    frame = align_categories(to_frame(part), categories)
    return frame.set_axis(part.index)


def check_columns(X, names) -> None:
    """Raise ``ValueError`` unless the columns of ``X`` are those seen at fit, in order.

    Parameters
    ----------
    X : dask DataFrame
    names : list of str
        The columns seen at fit.

    Returns
    -------
    None
    """
    columns = [str(c) for c in X.columns]
    missing = [c for c in names if c not in columns]
    unknown = [c for c in columns if c not in set(names)]
    if missing or unknown:
        raise ValueError(
            f"X has columns that differ from those seen at fit: missing {missing}, "
            f"unknown {unknown}."
        )
    if columns != list(names):
        raise ValueError(f"X's columns must be in the order seen at fit: {list(names)}.")


def sample_fractions(counts: pd.Series, sample_size: int, min_per_class: int) -> dict:
    """Per-label probability that a row enters the stratified sample.

    Every label keeps the overall fraction ``sample_size / n`` but at least
    ``min_per_class`` rows (all of them when it has fewer).

    Parameters
    ----------
    counts : Series
        Rows per label.
    sample_size : int
    min_per_class : int

    Returns
    -------
    dict of label to float
    """
    fraction = min(1.0, sample_size / counts.sum())
    return {
        label: min(1.0, max(fraction, min_per_class / count)) for label, count in counts.items()
    }


def sample_mask(y: pd.Series, number: int, fractions, seed: int) -> np.ndarray:
    """Which rows of partition ``number`` are in the sample (reproducible on any worker).

    Parameters
    ----------
    y : Series
        The partition's labels.
    number : int
        The partition's number (seeds its draw).
    fractions : dict or float
        A probability per label (classification) or one probability.
    seed : int

    Returns
    -------
    ndarray of bool
    """
    rng = np.random.default_rng([seed, number])
    if isinstance(fractions, dict):
        probability = y.map(fractions).to_numpy(dtype=np.float64)
    else:
        probability = np.full(len(y), float(fractions))
    return rng.random(len(y)) < probability


__all__ = [
    "as_dask_frame",
    "as_dask_target",
    "check_columns",
    "meta_frame",
    "prepare_partition",
    "require_dask",
    "sample_fractions",
    "sample_mask",
    "schema",
]
