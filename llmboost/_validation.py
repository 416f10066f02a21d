"""Input checks and conversion of ``X`` into the frame every part of the pipeline reads."""

from __future__ import annotations

import math
import numbers
import re
from decimal import Decimal
from fractions import Fraction

import narwhals as nw
import numpy as np
import pandas as pd
from pandas.api import types as ptypes
from sklearn.base import BaseEstimator
from sklearn.utils import check_array
from sklearn.utils.validation import validate_data

from ._categories import align_categories, fit_categories
from ._columns import (
    FLOAT32_MAX,
    _convert_column,
    _first_not_utf8,
    _first_overflow,
    _magnitude,
    _native_values,
    _not_utf8,
    _numpy_labels,
    _parse_numbers,
    _plain,
    _quiet_nans,
    _text_names,
    from_torch,
)
from ._sample_weight import check_sample_weight, ragged_shape, unmasked

#: Characters XGBoost (``[ ] <``, control characters: it cuts a name at NUL) or LightGBM
#: (JSON specials, whitespace) refuse in names.
_UNSAFE_NAME = re.compile(r'[\[\]<,:{}"\s\x00-\x1f\x7f]')


def to_frame(X) -> pd.DataFrame:
    """Return ``X`` as a DataFrame with string column names.

    Numeric and boolean columns (also object columns holding only numbers or
    booleans) become floats, durations become seconds. Text, mixed number/text
    and ``category`` columns become ``category`` dtype with text categories (the
    boosters' native categorical support); an all-missing column becomes floats, or
    categories (none present, so each value at predict is unseen) when it is text,
    objects or categories.
    Polars and other dataframe libraries keep their column names, and a polars ``Enum``'s
    or an Arrow dictionary's categories their order. Raises
    ``ValueError`` naming the column for empty input, complex values, infinities,
    values beyond float32 range, dates and a NumPy structured array, and ``TypeError`` for
    a polars ``LazyFrame``.

    Parameters
    ----------
    X : DataFrame, array-like or any dataframe narwhals reads

    Returns
    -------
    DataFrame
    """
    _refuse_misread(X)
    if not isinstance(X, pd.DataFrame) and nw.dependencies.is_into_dataframe(X):
        data = nw.from_native(X, eager_only=True)
        X = pd.DataFrame({str(name): _native_values(data[name]) for name in data.columns})
    if isinstance(X, pd.DataFrame):
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(
                f"Found array with shape {X.shape}; at least 1 sample and 1 feature are required."
            )
        frame = X.copy()
        frame.columns = _text_names(X.columns)
    else:
        X = unmasked(from_torch(X), "X", missing=True)
        try:
            array = check_array(X, dtype=None, ensure_all_finite=False, ensure_min_samples=1)
        except ValueError:
            ragged_shape(X, "X")
            raise
        if array.dtype == object or array.dtype.kind in "SU":
            columns = [_parse_numbers(array[:, j]) for j in range(array.shape[1])]
        else:
            columns = [array[:, j] for j in range(array.shape[1])]
        try:
            frame = pd.DataFrame({f"x{j}": col for j, col in enumerate(columns)})
        except UnicodeEncodeError:  # text UTF-8 cannot hold, met where pandas infers str
            j = next(j for j, col in enumerate(columns) if _first_not_utf8(col) is not None)
            raise _not_utf8(pd.Series(columns[j], dtype=object), f"x{j}") from None
    if len(set(frame.columns)) != frame.shape[1]:
        dupes = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
        labels = [c for c in getattr(X, "columns", []) if str(c) in dupes]
        how = f" ({' and '.join(map(repr, labels))}, as text)" if len(set(labels)) > 1 else ""
        raise ValueError(f"Column names must be unique; repeated: {dupes}{how}.")
    return pd.DataFrame(
        {name: _convert_column(frame[name], name) for name in frame.columns}, index=frame.index
    )


def _refuse_misread(X) -> None:
    """Refuse what ``check_array`` misreads: a polars ``LazyFrame`` (its query plan as a
    value) and a NumPy structured array (its records as one column, or "1D array")."""
    if nw.dependencies.is_polars_lazyframe(X):
        raise TypeError("X is a polars LazyFrame; collect it first: X.collect().")
    if isinstance(X, np.ndarray) and X.dtype.names:
        raise ValueError(
            f"X is a NumPy structured array (fields {', '.join(map(repr, X.dtype.names))}); "
            "read its fields as columns with pd.DataFrame(X)."
        )


def fit_frame(estimator, X) -> tuple[pd.DataFrame, BaseEstimator]:
    """The training frame, named as :func:`named_frame` says, and its columns' holder.

    The holder (``n_features_in_``, ``feature_names_in_``) carries the columns of a fit
    until it succeeds, so a failed refit leaves the fitted model as it was; it is
    named like ``estimator`` for scikit-learn's messages.
    """
    frame = to_frame(X)
    holder = type(type(estimator).__name__, (BaseEstimator,), {})()
    validate_data(holder, X, reset=True, skip_check_array=True)
    frame.columns = feature_names(holder)
    return frame, holder


def named_frame(X, columns) -> pd.DataFrame:
    """``to_frame(X)``, checked against the columns ``columns`` holds and named like them.

    Columns are named as scikit-learn reads ``X``: by their names when they are all
    strings, else by position (``x0, x1, ...``). So a model fitted on a table takes an
    array of the same columns and the reverse (scikit-learn warns), and a table with
    integer column names reads like an array.
    """
    frame = to_frame(X)
    try:
        validate_data(columns, X, reset=False, skip_check_array=True)
    except ValueError as error:
        if not (hint := _order_hint(frame, columns)):
            raise
        raise ValueError(f"{str(error).rstrip()}\n{hint}") from None
    frame.columns = feature_names(columns)
    return frame


def _order_hint(frame: pd.DataFrame, columns) -> str:
    """For a table of fit's columns in another order: the first position that differs
    (scikit-learn's message names none); else ``""``."""
    fit, given = feature_names(columns), list(frame.columns)
    if sorted(given) != sorted(fit) or given == fit:
        return ""
    j = next(j for j, (a, b) in enumerate(zip(given, fit)) if a != b)
    return (
        f"X has fit's columns in another order: column {j} is {given[j]!r}, fit's is "
        f"{fit[j]!r}. Select them in fit's order, e.g. X[model.feature_names_in_]."
    )


def feature_names(columns) -> list[str]:
    """The names of a fit's columns: ``feature_names_in_``, else ``x0, x1, ...``."""
    names = getattr(columns, "feature_names_in_", None)
    return [f"x{j}" for j in range(columns.n_features_in_)] if names is None else list(names)


def booster_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with column names that XGBoost and LightGBM accept.

    ``[ ] < , : { } "`` and whitespace become ``_`` (an empty name is ``_``, which
    LightGBM refuses), and so do the first name's leading and the last name's trailing
    ``=`` (LightGBM splits its model's ``feature_names=`` line at ``=`` and drops
    them: a column named ``=`` failed); a name that then repeats gets
    a ``_<position>`` suffix. The same columns always get the same names, so fit
    and predict agree. Only the boosters see these names: priors and users keep
    the original ones. A categorical column with no categories (missing in every row
    at fit) is all-missing floats, as XGBoost refuses a category dtype without any.

    Parameters
    ----------
    frame : DataFrame
        As :func:`to_frame` gives it.

    Returns
    -------
    DataFrame
        ``frame`` itself when every name is already accepted.
    """
    empty = [c for c, t in frame.dtypes.items() if isinstance(t, pd.CategoricalDtype) and
             not len(t.categories)]  # fmt: skip
    if empty:  # (not assign(): a column named "self" is its own argument)
        frame = frame.copy()
        for name in empty:
            frame[name] = np.nan
    names, seen, last = [], set(), frame.shape[1] - 1
    for j, name in enumerate(frame.columns):
        safe = _UNSAFE_NAME.sub("_", name) or "_"
        safe = re.sub("^=+", "_", safe) if j == 0 else safe
        safe = re.sub("=+$", "_", safe) if j == last else safe
        if safe in seen:
            safe = f"{safe}_{j}"
        while safe in seen:
            safe += "_"
        seen.add(safe)
        names.append(safe)
    if names == list(frame.columns):
        return frame
    return frame.set_axis(names, axis=1)


def _refuse_single_value(y, name: str) -> None:
    value = y.item() if isinstance(y, np.ndarray) else y
    raise ValueError(
        f"{name} must be array-like, one value per row of X, got {_plain(value)!r} "
        f"({type(value).__name__}); pass the target of every row as a list or array."
    )


def check_target(
    y, n_rows: int, *, classification: bool, regressor: str = "", name: str = "y"
) -> np.ndarray:
    """Check ``y``: 1-d, same length as ``X``, no NaN or infinity.

    Parameters
    ----------
    y : array-like of shape (n_rows,)
    n_rows : int
        Rows of ``X``.
    classification : bool
        Labels must be classes; otherwise they become floats.
    regressor : str, default=""
        What to use instead for a continuous ``y`` of a classifier (for the message).
    name : str, default="y"
        The parameter that gave ``y``, which masked entries and ragged rows name.

    Returns
    -------
    ndarray of shape (n_rows,)
    """
    from sklearn.utils import column_or_1d

    if y is None:  # scikit-learn's words: it read "y should be a 1d array, got ... shape ()"
        raise ValueError("This estimator requires y to be passed, but the target y is None.")
    if classification and isinstance(y, list | tuple):
        y = _list_labels(y)
    y = _numpy_labels(unmasked(from_torch(y), name))
    shape = ragged_shape(y, name)
    if shape == ():  # scikit-learn's words named no value: "got an array of shape ()"
        _refuse_single_value(y, name)
    _refuse_complex(y)
    if len(shape) == 2 and shape[1] > 1:
        raise ValueError(
            f"y has shape {shape}: llmboost fits one target; fit one model per column."
        )
    y = _quiet_nans(column_or_1d(y, warn=True))
    if len(y) != n_rows:
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: X has {n_rows} rows, "
            f"y has {len(y)}."
        )
    if not classification and y.dtype.kind in "mM":  # float64: ticks of pandas' unit
        raise ValueError(
            f"y has dtype {y.dtype}: a regressor needs numbers; convert it first, e.g. "
            "durations with y.dt.total_seconds() or dates to days since one date."
        )
    bad = pd.isna(y)  # NaN, None, pd.NA and NaT
    if ptypes.is_numeric_dtype(y.dtype):
        bad |= np.isinf(y.astype(np.float64))
    _refuse_missing(bad)
    if not classification:
        return _float_target(y)
    labels = _object_labels(y) if y.dtype == object else y
    if labels.dtype.kind == "f":  # numbers held as objects
        _refuse_missing(~np.isfinite(labels))
    return _class_labels(labels, regressor)


def _refuse_complex(y) -> None:
    """Refuse complex labels, naming one (scikit-learn's message printed them all)."""
    values = np.asarray(y)
    seen = ptypes.infer_dtype(values.ravel(), skipna=True) if values.dtype == object else ""
    if values.dtype.kind == "c" or seen == "complex" or seen.startswith("mixed"):
        kind = complex | np.complexfloating
        if (value := next((v for v in values.ravel() if isinstance(v, kind)), None)) is not None:
            raise ValueError(
                f"y holds complex numbers (e.g. {_plain(value)!r}); labels and targets are "
                "real numbers or text: take the real part or the magnitude first."
            )


def _list_labels(y: list | tuple):
    """A list of labels that mixes text or booleans with other values (``None``, NaN)
    as an object array, checked as one (NumPy made ``[1, "a", nan]`` the text ``"1"``,
    ``"a"``, ``"nan"``); other lists as they are."""
    flat = np.array(y, dtype=object).ravel()
    for types in (str, bool | np.bool_):
        kind = [isinstance(v, types) for v in flat]
        if any(kind) and not all(kind):
            return np.array(y, dtype=object)
    return y


def _float_target(y: np.ndarray) -> np.ndarray:
    """A regressor's ``y`` as floats; text and numbers beyond float range are named."""
    try:
        values = y.astype(np.float64)
    except OverflowError:  # an int beyond float range
        values = None
    except (TypeError, ValueError):
        value = _plain(next(v for v in y if not _is_number(v)))
        raise ValueError(
            f"y holds {value!r}, which is not a number: a regressor needs numeric targets "
            "(use a classifier for labels, or convert y to numbers)."
        ) from None
    # a finite Decimal or text ("1e400") beyond float range became infinity
    if values is None or (y.dtype.kind in "OU" and not np.isfinite(values).all()):
        exact = _exact(y)
        if (row := _first_overflow(exact)) is not None:
            raise ValueError(
                f"y holds {_magnitude(exact[row])} at row {row}, beyond the range of floats: "
                "rescale the target (e.g. to thousands or a logarithm)."
            )
    _refuse_missing(~np.isfinite(values))  # held as text or objects: "nan", Decimal("Inf")
    return values


def _exact(values: np.ndarray) -> list:
    """Text numbers as Decimals (``float("1e400")`` is infinity); other values as they are."""
    out = []
    for value in values:
        try:
            out.append(Decimal(value) if isinstance(value, str) else value)
        except ArithmeticError:  # not a number as text: refused as such elsewhere
            out.append(value)
    return out


def _refuse_missing(bad: np.ndarray) -> None:
    """Raise naming the first rows of ``y`` that ``bad`` marks as NaN or infinite."""
    if bad.any():
        rows = np.flatnonzero(bad)[:5].tolist()
        raise ValueError(f"Input y contains NaN or infinity (rows {rows}); drop those rows.")


def _class_labels(y: np.ndarray, regressor: str) -> np.ndarray:
    """``y`` checked as class labels; a continuous one is told ``regressor``."""
    from sklearn.utils.multiclass import check_classification_targets, type_of_target

    kind = type_of_target(y)
    if kind in ("continuous", "unknown") and (row := _huge_label(y)) is not None:
        raise ValueError(
            f"y holds the label {_label(y[row])} (row {row}), beyond int64's range: NumPy "
            "and scikit-learn read such labels as floats (neighbours merge) or not at all; "
            "give the labels as text, e.g. [str(v) for v in y]."
        )
    if kind == "continuous":
        value = _plain(next(v for v in y if float(v) != round(float(v))))
        raise ValueError(
            f"y is continuous (e.g. {value!r}): a classifier needs class labels; for a "
            f"numeric target use {regressor or 'a regressor'} (or bin y into classes)."
        )
    if kind == "unknown" and (value := _odd_label(y)) is not None:
        raise ValueError(
            f"y holds labels of type {type(value).__name__} (e.g. {value!r}), which "
            "scikit-learn does not take as classes; convert them first, e.g. y.astype(str)."
        )
    check_classification_targets(y)
    return y


def _odd_label(y: np.ndarray):
    """The first label that is not text, a number or a boolean (a date, a Decimal), or
    ``None`` (scikit-learn's message called such labels a regression target)."""
    return next((v for v in y if not isinstance(v, str | bool | int | float | np.generic)), None)


def _huge_label(y: np.ndarray) -> int | None:
    """The row of the first whole-number label beyond int64's range, or ``None``."""
    for row, value in enumerate(y):
        value = _plain(value)
        if isinstance(value, float) and np.isfinite(value) and value == round(value):
            value = int(value)
        if isinstance(value, numbers.Integral) and abs(value) >= 2**63:
            return row
    return None


def _label(value) -> str:
    value = _plain(value)
    if isinstance(value, int) and _first_overflow([value]) == 0:
        return _magnitude(value)
    return f"{value:.3g}" if isinstance(value, float) else repr(value)


def _object_labels(y: np.ndarray) -> np.ndarray:
    """Labels held as objects: text as it is, numbers or booleans as a NumPy array.

    Text or booleans mixed with other labels are refused (``True`` would become ``1``).
    """
    for kind, types in (("text", str), ("booleans", bool | np.bool_)):
        is_kind = np.array([isinstance(v, types) for v in y])
        if is_kind.any() and not is_kind.all():
            raise ValueError(
                f"y mixes {kind} and other labels (e.g. {_plain(y[is_kind][0])!r} and "
                f"{_plain(y[~is_kind][0])!r}); give every label one type, e.g. y.astype(str)."
            )
    return y if len(y) and isinstance(y[0], str) else np.asarray(y.tolist())


def _to_float(value) -> float | None:
    """``value`` as ``float`` reads it (text of a number too; an int beyond float64's
    range as the infinity of its sign), or ``None`` where ``float`` refuses it."""
    try:
        return float(value)
    except OverflowError:  # an int beyond float64's range
        return math.inf if value > 0 else -math.inf
    except (TypeError, ValueError):
        return None


def _python_number(value):
    """A NumPy scalar or 0-d array as the Python value it holds, a ``Fraction`` or
    ``Decimal`` as a float; anything else as it is (itself)."""
    if isinstance(value, np.generic | np.ndarray) and np.ndim(value) == 0:
        return value.item()
    return float(value) if isinstance(value, Fraction | Decimal) else value


def _is_number(value) -> bool:
    """Whether :func:`_to_float` reads ``value`` as a number."""
    return _to_float(value) is not None


__all__ = [
    "FLOAT32_MAX",
    "align_categories",
    "booster_frame",
    "check_sample_weight",
    "check_target",
    "feature_names",
    "fit_categories",
    "fit_frame",
    "from_torch",
    "named_frame",
    "to_frame",
]
