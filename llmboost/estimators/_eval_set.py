"""``fit``'s ``eval_set``: the validation rows and labels, checked as in fit."""

from __future__ import annotations

import numpy as np

from .._validation import align_categories, check_target, named_frame


def check_eval_set(eval_set, columns, categories: dict, classes) -> tuple:
    """``(X_val, y_val)`` of ``fit``'s ``eval_set``: the rows read as in fit, and the
    labels as class codes of ``classes`` (floats for a regressor, ``classes=None``)."""
    if not isinstance(eval_set, tuple | list) or len(eval_set) != 2:
        listed = isinstance(eval_set, list) and len(eval_set) == 1  # XGBoost's form
        hint = ": give the pair itself, not XGBoost's list of pairs [(X_val, y_val)]"
        raise ValueError(f"eval_set must be a pair (X_val, y_val), got a "
                         f"{type(eval_set).__name__}{hint if listed else ''}.")  # fmt: skip
    try:
        X_val = align_categories(named_frame(eval_set[0], columns), categories)
        y_val = check_target(eval_set[1], len(X_val), classification=classes is not None)
    except ValueError as error:
        fraction = None if classes is None else _fraction(eval_set[1])
        if fraction is None:
            raise ValueError(f"eval_set (X_val, y_val): {error}") from None
        raise ValueError(  # fit's y was labels: "use a regressor" would be wrong here
            f"eval_set (X_val, y_val): y_val is continuous (e.g. {fraction!r}), but it must "
            f"hold the class labels of fit's y {classes.tolist()[:10]}, not scores or "
            "probabilities."
        ) from None
    if classes is not None:
        unknown = sorted(set(np.unique(y_val).tolist()) - set(classes.tolist()))
        if unknown:
            raise ValueError(f"eval_set labels {unknown} are not among the classes of y.")
        y_val = np.searchsorted(classes, y_val)
    return X_val, y_val


def _fraction(y) -> float | None:
    """The first finite value of a float ``y`` that is not a whole number, or ``None``."""
    values = np.asarray(y)
    if values.dtype.kind != "f":
        return None
    values = values[np.isfinite(values)]
    fractions = values[values != np.round(values)]
    return float(fractions.flat[0]) if fractions.size else None


__all__ = ["check_eval_set"]
