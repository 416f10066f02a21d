"""Categories of a fit reused on new rows, and columns whose kind changed since fit."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ._columns import _float_column
from ._warn import caller_level

#: Text categories of booleans (a boolean ``category`` column) and the numbers they are.
_BOOLEAN_TEXT = {"True": 1.0, "False": 0.0}


def align_categories(frame: pd.DataFrame, categories: dict[str, pd.Index]) -> pd.DataFrame:
    """Give categorical columns the categories seen at fit; unseen values become missing.

    A value that writes a fit category's number another way (``1.0`` for ``1``, as when
    a missing value turned integer codes into floats) is that category.

    A column whose kind changed since fit (numbers then, text now, or the reverse,
    e.g. codes read as strings once and as integers once) is converted to its fit
    kind, matching values by number (``True`` and ``False`` are 1 and 0), with a warning
    that names it. So is a categorical column of several values none of which was seen
    at fit (a few unseen values, or one new category in every row, are not warned
    about: a row or batch of a new category is ordinary; nor is any value of a column
    that had no categories at fit, missing in every row).

    Parameters
    ----------
    frame : DataFrame
        New rows, as :func:`to_frame` gives them.
    categories : dict of str to Index
        From :func:`fit_categories` at fit.

    Returns
    -------
    DataFrame
    """
    for name in frame.columns:
        col, cats = frame[name], categories.get(name)
        if cats is None:
            if isinstance(col.dtype, pd.CategoricalDtype):  # all missing: no text to read
                frame[name] = _numbers_from_text(col, name) if col.notna().any() else np.nan
            continue
        text = isinstance(col.dtype, pd.CategoricalDtype)
        if not text and len(cats):  # (no category at fit: every value is unseen)
            col = _text_from_numbers(col, cats, name)  # warns when values are lost
        values = col.astype(object)
        known = values.isin(cats)
        if not known.all():
            values = values.where(known, values.map(_same_number(values[~known], cats)))
        frame[name] = pd.Categorical(values.where(values.isin(cats)), categories=cats)
        if text and len(cats) and not frame[name].notna().any() and col.dropna().nunique() > 1:
            _warn_none_seen(name, col, cats)
    return frame


def _warn_none_seen(name: str, col: pd.Series, cats: pd.Index) -> None:
    """Say that no value of categorical column ``name`` is a category seen at fit."""
    present = col.dropna()
    shown = ", ".join(repr(v) for v in present.unique()[:3])
    fit = ", ".join(repr(v) for v in cats[:3]) + (", ..." if len(cats) > 3 else "")
    warnings.warn(
        f"Column {name!r} holds no category seen at fit: its values (such as {shown}) are "
        f"not among the fit's ({fit}), so all {len(present)} became missing. Check that it "
        "is the column of the fit, its values written the same way.",
        UserWarning,
        stacklevel=caller_level(),
    )


def _same_number(unseen: pd.Series, cats: pd.Index) -> dict:
    """Unseen text that writes a category's number another way (``1.0`` for ``1``, as
    when a missing value turned integer codes into floats), mapped to that category."""
    by_number = {}
    for cat in cats:
        by_number.setdefault(_written_number(cat), cat)
    by_number.pop(None, None)
    return {v: by_number.get(_written_number(v)) for v in unseen.dropna().unique()}


def _written_number(text) -> float | None:
    """The number ``text`` writes as Python prints an int or float (``2``, ``2.0``, ``-0.5``)."""
    try:
        number = float(text)
    except (TypeError, ValueError):
        return None
    forms = {repr(number)} | ({str(int(number))} if number.is_integer() else set())
    return number if text in forms else None


def _numbers_from_text(col: pd.Series, name: str) -> pd.Series:
    """A column numeric at fit that arrives as text: parse its values as numbers (text of
    infinity or beyond float32 refused as such a number is)."""
    parsed = _category_numbers(col.cat.categories)
    codes = col.cat.codes.to_numpy()
    values = np.where(codes >= 0, parsed[codes], np.nan)
    lost = int(((codes >= 0) & np.isnan(values)).sum())
    numbers = _float_column(pd.Series(values, index=col.index, name=col.name), name)
    _warn_drift(name, "numeric", "text", "read as numbers", lost)
    return numbers


def _text_from_numbers(col: pd.Series, cats: pd.Index, name: str) -> pd.Series:
    """A column categorical at fit that arrives as numbers: match categories by number."""
    by_number = {}
    for cat, number in zip(cats, _category_numbers(cats)):
        if not np.isnan(number):
            by_number.setdefault(float(number), cat)
    present = col.notna()
    if present.any():
        values = col.map(lambda v: by_number.get(float(v)) if pd.notna(v) else None)
        lost = int((present & values.isna()).sum())
        _warn_drift(name, "categorical", "numeric", "matched to the fit categories by number", lost)
        return values.astype(object)
    return col.astype(object)


def _category_numbers(categories: pd.Index) -> np.ndarray:
    """The number each text category writes, NaN for other text; ``True`` and ``False``
    are 1 and 0, as :func:`~llmboost._validation.to_frame` reads booleans."""
    text = pd.Series(categories.astype(object)).map(lambda t: _BOOLEAN_TEXT.get(t, t))
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)


def _warn_drift(name: str, was: str, now: str, done: str, lost: int) -> None:
    extra = f"; {lost} value(s) matched nothing and became missing" if lost else ""
    warnings.warn(
        f"Column {name!r} was {was} at fit but is {now} now; its values were {done}{extra}.",
        UserWarning,
        stacklevel=caller_level(),
    )


def fit_categories(frame: pd.DataFrame) -> dict[str, pd.Index]:
    """The categories of every categorical column, to reuse at predict time.

    Parameters
    ----------
    frame : DataFrame
        As :func:`to_frame` gives it.

    Returns
    -------
    dict of str to Index
    """
    return {
        name: frame[name].cat.categories
        for name in frame.columns
        if isinstance(frame[name].dtype, pd.CategoricalDtype)
    }


__all__ = ["align_categories", "fit_categories"]
