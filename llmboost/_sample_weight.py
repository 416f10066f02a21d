"""Row weights (``sample_weight``) checked as the boosters keep them."""

from __future__ import annotations

import warnings
from numbers import Real

import numpy as np
import pandas as pd
from scipy import sparse

from ._columns import FLOAT32_MAX, _first_overflow, _magnitude, _plain, from_torch
from ._warn import caller_level

#: Smallest normal float32 (positive row weights below it are refused).
_FLOAT32_TINY = float(np.finfo(np.float32).tiny)


def check_sample_weight(sample_weight, n_rows: int) -> np.ndarray | None:
    """Row weights as floats: finite, >= 0, not all zero, one per row.

    Positive weights must lie within float32's normal range, where the boosters keep
    them (above it XGBoost refuses them, below it they become zero).

    Parameters
    ----------
    sample_weight : array-like of shape (n_rows,), float or None
        A float weighs every row alike.
    n_rows : int

    Returns
    -------
    ndarray of shape (n_rows,) or None
        ``None`` when ``sample_weight`` is.
    """
    if sample_weight is None:
        return None
    sample_weight = unmasked(from_torch(sample_weight), "sample_weight")
    _refuse_kind(sample_weight)
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except OverflowError:
        values = np.asarray(sample_weight, dtype=object).ravel()
        row = _first_overflow(values)
        raise ValueError(
            f"sample_weight holds {_magnitude(values[row])} at row {row}, beyond the range "
            "of floats; the boosters store weights as float32: rescale them."
        ) from None
    except (TypeError, ValueError) as error:
        missing = _missing_message(sample_weight)
        raise ValueError(
            missing or f"sample_weight must hold numbers: {str(error).rstrip('.')}."
        ) from None
    if w.ndim == 0:  # one number weighs every row, as in scikit-learn
        w = np.full(n_rows, float(w))
    if w.shape != (n_rows,):
        raise ValueError(f"sample_weight has shape {w.shape}; expected ({n_rows},).")
    _refuse_bad_values(w, sample_weight)
    _refuse_float32_range(w)
    return w


def _refuse_kind(sample_weight) -> None:
    """Refuse weights a cast to floats reads wrongly: sparse (as one object), durations
    and dates (as ticks of their unit), text (as its number) and complex numbers (without
    the imaginary part)."""
    if sparse.issparse(sample_weight):
        raise TypeError(  # scikit-learn's words
            "Sparse data was passed for sample_weight, but dense data is required. Use "
            "'.toarray()' to convert to a dense numpy array."
        )
    ragged_shape(sample_weight, "sample_weight")
    dtype = np.asarray(sample_weight).dtype
    if dtype.kind in "mM":
        raise ValueError(
            f"sample_weight has dtype {dtype}: weights are numbers; convert them first, "
            "e.g. durations with .dt.total_seconds()."
        )
    if dtype.kind in "US" and np.ndim(sample_weight) == 0:
        raise TypeError(  # as scikit-learn, which refuses it as a scalar
            f"sample_weight={np.asarray(sample_weight).item()!r} is text, not a weight; give a "
            "number (one weight for every row) or an array of one weight per row."
        )
    if dtype.kind in "OUS":
        _refuse_text(np.asarray(sample_weight, dtype=object).ravel())
    if dtype.kind == "c":
        raise ValueError("sample_weight must hold real numbers, not complex ones.")


def ragged_shape(value, name: str) -> tuple:
    """The shape of ``value``; a nesting of rows of different lengths refused, naming
    ``name`` (NumPy's error named none)."""
    if hasattr(value, "shape"):
        return tuple(value.shape)
    try:
        return np.asarray(value).shape
    except ValueError as error:
        raise ValueError(f"{name} has rows of different lengths: {error}") from None


def unmasked(value, name: str, missing: bool = False):
    """A NumPy masked array as its data, refused (``name`` and the rows) when entries are
    masked (NumPy and scikit-learn read the values under the mask); with ``missing``
    (``X``, a prior's logits), masked entries are missing, as pandas reads them.
    Anything else as it is."""
    if not isinstance(value, np.ma.MaskedArray):
        return value
    mask = np.ma.getmaskarray(value)
    if not mask.any():
        return value.data
    if missing:  # dates and durations keep their dtype (as objects, dates were ticks)
        kind, dtype = value.dtype.kind, value.dtype
        dtype = float if kind in "biuf" else dtype if kind in "mM" else object
        data = np.array(value.data, dtype=dtype)
        data[mask] = np.nan if kind in "biuf" else np.array("NaT", dtype) if kind in "mM" else None
        return data
    rows = np.flatnonzero(mask.reshape(len(mask), -1).any(axis=1) if mask.ndim else mask)
    raise ValueError(
        f"{name} is a masked array with masked entries (rows {rows[:5].tolist()}), which would "
        f"be read as the values under the mask: fill them ({name}.filled(...)) or drop "
        "those rows."
    )


def warn_unweighted_classes(weight, codes, classes, params=None, prior_used=False) -> None:
    """Warn when every row of a class weighs 0 (``weight`` times the weight ``params``
    give its class: LightGBM's ``class_weight``, keyed by class code, or XGBoost's
    ``scale_pos_weight``): no fit learns of it, so the model gives it a probability near
    0 everywhere (as XGBoost and LightGBM alone do). For a model whose every fit takes
    the weights (not one with a prior that ignores them); a prior (``prior_used``)
    reads no weight of a class, so learns the classes those drop."""
    if classes is None:
        return
    scale, key = _class_scales(None if prior_used else params, len(classes))
    if weight is None and scale.all():
        return
    rows = (np.ones(len(codes)) if weight is None else weight) * scale[codes]
    empty = np.flatnonzero(np.bincount(codes, weights=rows, minlength=len(classes)) == 0)
    for zero in (empty[scale[empty] != 0], empty[scale[empty] == 0]):
        if len(zero):
            _warn_unweighted(zero, codes, classes, key if scale[zero[0]] == 0 else "")


def _class_scales(params: dict | None, n_classes: int) -> tuple[np.ndarray, str]:
    """Each class's weight in ``params`` (1 where none is given) and the key giving it."""
    scale, params = np.ones(n_classes), params or {}
    by_class = params.get("class_weight")
    if isinstance(by_class, dict):  # "balanced" gives no 0
        scale = np.array([float(by_class.get(k, 1.0)) for k in range(n_classes)])
        return scale, "class_weight"
    positive = params.get("scale_pos_weight")  # the second of two classes (checked)
    if n_classes == 2 and isinstance(positive, Real | str):
        scale[1] = float(positive)
    return scale, f"scale_pos_weight={positive!r}"


def _warn_unweighted(empty: np.ndarray, codes: np.ndarray, classes, key: str) -> None:
    rows, them = int(np.isin(codes, empty).sum()), "them" if len(empty) > 1 else "it"
    named = f"class{'es' * (them == 'them')} " + ", ".join(
        repr(_plain(c)) for c in classes[empty[:5]]
    )
    named += f" and {len(empty) - 5} more" if len(empty) > 5 else ""
    why = f"sample_weight is 0 on every row of {named}"
    fix = "give some of those rows a positive weight, or drop them from X and y"
    if key:
        why = f"booster_params {key} gives {named} the weight 0"
        fix = f"give {them} a weight above 0 there, or drop {them} from y (and those rows of X)"
    warnings.warn(
        f"{why} ({rows} rows): the model learns nothing of {them} and gives {them} a "
        f"probability near 0 everywhere; {fix}.",
        UserWarning,
        stacklevel=caller_level(),
    )


def _refuse_bad_values(w: np.ndarray, sample_weight) -> None:
    """Refuse weights that are missing, not finite, negative, or all zero."""
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if len(bad) and (missing := _missing_message(sample_weight)):
        raise ValueError(missing)  # None, or pandas' NA (nullable and Arrow types), read as NaN
    if len(bad):
        raise ValueError(
            f"sample_weight must be finite and >= 0 (rows {bad[:5].tolist()}); row {bad[0]} "
            f"holds {float(w[bad[0]])!r}."
        )
    if w.sum() <= 0:
        raise ValueError("sample_weight is all zero: at least one row needs a positive weight.")


def _refuse_text(values: np.ndarray) -> None:
    """Refuse weights given as text (``["1", "2"]`` read as numbers), as one weight of
    text is, naming the first row."""
    row = next((i for i, v in enumerate(values) if isinstance(v, str | bytes)), None)
    if row is not None:
        raise ValueError(
            f"sample_weight must hold numbers, not text: row {row} holds {values[row]!r}; "
            "convert the weights first, e.g. pd.to_numeric(sample_weight)."
        )


def _missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT


def _missing_message(sample_weight) -> str | None:
    """The message for missing weights (``pd.NA``, ``pd.NaT``, ``None``), naming the
    first by its row; ``None`` when there are none."""
    library = type(sample_weight).__module__.split(".")[0]
    listed = {"polars": "to_list", "pyarrow": "to_pylist"}.get(library, "")
    if hasattr(sample_weight, listed):
        sample_weight = getattr(sample_weight, listed)()
    try:  # (NumPy reads polars' and Arrow's nulls as nan; their lists hold None)
        values = np.asarray(sample_weight, dtype=object)
    except ValueError:  # a ragged nesting: the cast's error says so
        return None
    if values.ndim == 0 and _missing(values.item()):
        return (
            f"sample_weight={values.item()!r} is missing: give a number (one weight for every "
            "row) or an array of one weight per row."
        )
    rows = [i for i, v in enumerate(values.ravel()) if _missing(v)]
    if values.ndim != 1 or not rows:
        return None
    return (
        f"sample_weight is missing on rows {rows[:5]}; row {rows[0]} holds {values[rows[0]]!r}: "
        "give every row a number (a weight of 0 leaves a row out)."
    )


def _refuse_float32_range(w: np.ndarray) -> None:
    """Refuse weights the boosters' float32 cannot hold (too large, or positive and too
    small: they would become zero)."""
    for bad, what in (
        (w > FLOAT32_MAX, f"above float32's largest value {FLOAT32_MAX:.3g}"),
        (
            (w > 0) & (w < _FLOAT32_TINY),
            f"below float32's smallest normal value {_FLOAT32_TINY:.3g}",
        ),
    ):
        rows = np.flatnonzero(bad)
        if len(rows):
            raise ValueError(
                f"sample_weight has values {what} (rows {rows[:5].tolist()}; row {rows[0]} "
                f"holds {float(w[rows[0]])!r}); the boosters store weights as float32: "
                "rescale them, e.g. sample_weight / sample_weight.max()."
            )


__all__ = ["check_sample_weight", "ragged_shape", "unmasked", "warn_unweighted_classes"]
