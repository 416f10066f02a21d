"""The ``scale`` parameter read as its candidates, and what makes one invalid."""

from __future__ import annotations

import sys
from decimal import Decimal
from numbers import Integral

import numpy as np
import pandas as pd

from .._param_names import brief
from .._validation import _is_number
from ..scale_search import PRIOR_ONLY, scale_candidates


def _scales(scale, task: str) -> list | None:
    """:func:`scale_candidates` of ``scale``, also of a 1-D array or Series of scales
    (a ``Decimal`` as a float, as in ``booster_params``); ``None`` for dates and
    durations (NumPy's are integers to Python)."""
    if _is_time(scale) or isinstance(scale, list | tuple) and any(map(_is_time, scale)):
        return None
    return scale_candidates(_listed(_as_given(scale)), task)


def _is_time(value) -> bool:
    """Whether ``value`` is a NumPy or pandas date or duration, or an array of them."""
    return getattr(getattr(value, "dtype", None), "kind", "") in ("m", "M")


def _listed(scale):
    """A list's (or tuple's) entries as Python's, a ``Decimal`` as a float; else ``scale``."""
    if not isinstance(scale, list | tuple):
        return scale
    return [_as_given(s) if isinstance(s, np.generic | Decimal) else s for s in scale]


def _as_given(scale):
    """NumPy and pandas values as Python's; a float32 or float16 (also pandas' ``Float32``)
    as written (0.1, not its binary value 0.10000000149011612), a missing one as ``pd.NA``;
    a ``Decimal`` as a float (a signalling NaN too, which ``float`` refuses)."""
    if isinstance(scale, Decimal):
        return float("nan") if scale.is_snan() else float(scale)
    if not hasattr(scale, "tolist") or np.ndim(scale) > 1:
        return scale
    dtype = getattr(scale, "dtype", None)
    dtype = getattr(dtype, "numpy_dtype", dtype)  # pandas' Float32: float32 and pd.NA
    if not isinstance(dtype, np.dtype) or dtype.kind != "f" or dtype.itemsize >= 8:
        return scale.tolist()
    if not np.ndim(scale):
        return float(str(scale))
    # a Series yields Python floats (0.10000000149011612): each is read back as its dtype's
    return [s if s is pd.NA else float(str(dtype.type(s))) for s in scale]


def _huge(value) -> bool:
    """Whether ``value`` is an integer (or a finite ``Decimal``) beyond float64's range."""
    if isinstance(value, Decimal):
        return value.is_finite() and abs(value) > sys.float_info.max
    return isinstance(value, Integral) and not _is_time(value) and abs(value) > sys.float_info.max


def _bad_scale(scale) -> str:
    """The first invalid entry of a list or 1-D array of scales, for the message."""
    if _is_time(scale):
        return f" It {'holds dates or durations' if np.ndim(scale) else 'is a date or duration'}."
    if isinstance(scale, list | tuple):
        given = list(scale)  # np.ndim refuses a ragged list
    elif hasattr(scale, "tolist") and np.ndim(scale) == 1:
        given = _as_given(scale)
    else:
        dims = np.ndim(scale) if hasattr(scale, "tolist") else 0
        if dims > 1:
            return f" It has {dims} dimensions: give a list or a 1-D array."
        return " It is beyond the range of floats." if _huge(scale) else ""
    if not given:
        return " It is empty: give at least one scale."
    entries = _listed(given)
    bad = [i for i, s in enumerate(entries) if _scales([given[i]], "") is None][:1]
    if not bad:
        return ""
    if _is_time(given[bad[0]]):
        return f" Its entry {given[bad[0]]!r} is a date or duration, not a number."
    # a Decimal is named as given (Decimal('1E+400'), not the inf it reads as)
    bad = given[bad[0]] if isinstance(given[bad[0]], Decimal) else entries[bad[0]]
    text = getattr(getattr(scale, "dtype", None), "kind", "") in ("U", "S")
    if text and all(s == PRIOR_ONLY or _is_number(s) for s in entries):
        listed = [s if s == PRIOR_ONLY else float(s) for s in entries]
        if scale_candidates(listed, "") is not None:  # advised only where it is taken
            return (
                f" Its entry {bad!r} is text (NumPy holds 'prior' and numbers in one array "
                f"as text): give a list: scale={listed!r}."
            )
    if isinstance(bad, str) and _is_number(bad) and scale_candidates([float(bad)], ""):
        return f" Its entry {bad!r} is text: give the number, {float(bad)!r}."
    if _huge(bad):
        return f" Its entry {brief(bad)} is beyond the range of floats."
    value = _as_given(bad)
    if bad is pd.NA or isinstance(value, float) and np.isnan(value):
        return f" Its entry {bad!r} is missing: drop it, or give a number."
    return f" Its entry {brief(bad if isinstance(bad, Decimal) else value)} is not one."


__all__ = []
