"""Rows and labels given besides fit's: ``eval_set``, the prior's logits of new rows, and
the labels ``score`` takes."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._class_count import metric_names
from .._library_params import ALIASES
from .._validation import _is_number, _plain, align_categories, check_target, named_frame
from .._warn import caller_level

#: The warning of ``align_categories`` about a column whose kind changed since fit.
_KIND_CHANGED = r"Column .* was \w+ at fit but is \w+ now"


def check_eval_set(eval_set, columns, rows, booster: str, booster_params: dict | None) -> tuple:
    """``(given, X_val, y_val)`` of ``fit``'s ``eval_set``: the rows as given (for
    :func:`prior_logits`) and read as in fit's ``rows``, and the labels as class codes of
    ``rows.classes`` (floats for a regressor); checked against the booster's metric."""
    categories, classes = rows.categories, rows.classes
    listed = isinstance(eval_set, list | tuple) and _pairs(eval_set)  # XGBoost's form
    if not isinstance(eval_set, tuple | list) or len(eval_set) != 2 or listed:
        raise ValueError(f"eval_set must be a pair (X_val, y_val), got a {_not_a_pair(eval_set)}.")
    try:
        given = named_frame(eval_set[0], columns)
        X_val = _aligned(given, categories)
        if classes is None:
            y_val = numeric_target(eval_set[1], len(X_val), "y_val")
        else:
            y_val = class_labels(eval_set[1], len(X_val), classes, "y_val")
    except ValueError as error:
        raise ValueError(f"eval_set (X_val, y_val): {error}") from None
    if classes is not None:
        unknown = sorted(set(np.unique(y_val).tolist()) - set(classes.tolist()))
        if unknown:
            raise ValueError(
                f"eval_set labels {unknown[:5]} are not among the classes of y "
                f"{classes.tolist()[:10]}: give y_val in the labels and types of fit's y "
                "(a class unseen in training cannot be scored)."
            )
        y_val = np.searchsorted(classes, y_val)
    check_eval_metric(booster, booster_params, y_val, classes)
    return given, X_val, y_val


def _aligned(given: pd.DataFrame, categories: dict) -> pd.DataFrame:
    """``given`` read with fit's categories; its warnings (a column whose kind changed)
    name ``eval_set``, whose rows they are about."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # aligning replaces columns: a shallow copy keeps those of ``given``, copying no rows
        aligned = align_categories(given.copy(deep=False), categories)
    for told in caught:
        warnings.warn(f"eval_set X_val: {told.message}", told.category, stacklevel=caller_level())
    return aligned


def prior_logits(prior, given: pd.DataFrame, aligned: pd.DataFrame) -> np.ndarray:
    """The fitted prior's logits of new rows: of the rows as ``given`` for a prior that
    reads text unseen at fit (a language model; the trees read it as missing), else of
    the rows ``aligned`` to the fit categories. Aligning them warned already about a
    column whose kind changed since fit: the prior's own encoding does not say it again."""
    if not getattr(prior, "_reads_unseen_text", False):
        return prior.logits(aligned)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", _KIND_CHANGED, UserWarning)
        return prior.logits(given)


def check_patience(booster: str, booster_params: dict | None, validated: bool) -> None:
    """Refuse a patience of early stopping (``early_stopping_rounds`` or a LightGBM name of
    it) in a fit without ``eval_set``, where it would be ignored, and with ``eval_set`` a
    LightGBM metric of no metric (``'None'``), on which LightGBM failed after the prior and
    the search ("at least one dataset and eval metric is required")."""
    if validated:
        return _check_a_metric(booster, booster_params or {})
    given = [k for k in _patience_names(booster) if (booster_params or {}).get(k) is not None]
    if given:
        raise ValueError(
            f"booster_params {given[0]}={booster_params[given[0]]!r} is the patience of early "
            "stopping on eval_set, but fit got no eval_set, so every one of n_estimators "
            "rounds would be trained: pass eval_set=(X_val, y_val) to fit, or leave "
            f"{given[0]} out."
        )


def _check_a_metric(booster: str, params: dict) -> None:
    """Refuse LightGBM's names of no metric alone where the trees stop early, and XGBoost's
    ``disable_default_eval_metric`` without ``eval_metric`` (it failed after the prior:
    "Must have at least 1 validation dataset for early stopping")."""
    none = booster == "xgboost" and params.get("disable_default_eval_metric")
    if none and not params.get("eval_metric") and stops_early(booster, params):
        raise ValueError(
            f"booster_params disable_default_eval_metric={params['disable_default_eval_metric']!r}"
            " without eval_metric leaves XGBoost no metric, but the trees stop early on "
            "eval_set's metric: give eval_metric (e.g. 'logloss'), leave "
            "disable_default_eval_metric out, or early_stopping_rounds=None to train every round."
        )
    for key in (k for k in ("metric", "metrics", "metric_types") if booster == "lightgbm"):
        value = params.get(key)
        names = metric_names(value)
        if (
            names
            and set(names) <= {"none", "null", "na", "custom"}
            and stops_early(booster, params)
        ):
            raise ValueError(
                f"booster_params {key}={value!r} is no metric, but the trees stop early on "
                "eval_set's metric: give one (e.g. leave the metric to its default), or "
                "early_stopping_rounds=None to train every round."
            )


#: Metrics of the libraries that rank one class against another: undefined on one class.
_RANKING_METRICS = ("auc", "aucpr", "average_precision", "auc_mu")


def _patience_names(booster: str) -> tuple:
    return ("early_stopping_rounds", *ALIASES[booster].get("early_stopping_rounds", ()))


def stops_early(booster: str, booster_params: dict | None) -> bool:
    """Whether the trees stop early on ``eval_set``: unless a patience is given as None."""
    params = booster_params or {}
    return not any(k in params and params[k] is None for k in _patience_names(booster))


def check_eval_metric(booster: str, booster_params: dict | None, codes, classes) -> None:
    """Refuse a ranking metric (AUC, ...) on a validation set without a row of every
    class, on which early stopping stopped at round 1 (LightGBM without a word, XGBoost
    with warnings)."""
    present = np.unique(codes)
    if classes is None or len(present) == len(classes):
        return
    if not stops_early(booster, booster_params):
        return  # every round is trained
    for key in ("eval_metric", "metric", "metrics", "metric_types"):
        value = (booster_params or {}).get(key)
        names = value.split(",") if isinstance(value, str) else value
        names = names if isinstance(names, list | tuple) else []
        names = [n.lower() if booster == "lightgbm" else n for n in names if isinstance(n, str)]
        ranking = [n for n in names if n.strip() in _RANKING_METRICS]  # LightGBM's in any case
        if ranking:
            missing = _plain(classes[np.setdiff1d(np.arange(len(classes)), present)[0]])
            which = (
                f"a single class ({_plain(classes[present[0]])!r})"
                if len(present) == 1
                else f"no row of class {missing!r}"
            )
            raise ValueError(
                f"eval_set's y_val holds {which}, on which booster_params {key}={value!r} is "
                f"undefined ({ranking[0].strip()} ranks each class against the others): "
                "early stopping would stop at round 1. Give eval_set rows of every class, "
                "or a metric such as log loss (the library's default)."
            )


def _not_a_pair(eval_set) -> str:
    """What ``eval_set``, not a pair (X_val, y_val), is, and what to give instead."""
    what = type(eval_set).__name__
    if listed := _pairs(eval_set) if isinstance(eval_set, list | tuple) else []:
        more = " (early stopping reads one validation set)" if len(listed) > 1 else ""
        return f"{what}: give the pair itself, not XGBoost's list of pairs [(X_val, y_val)]{more}"
    if not isinstance(eval_set, list | tuple):
        return what
    if len(eval_set) == 3 and _table_like(eval_set[0]):
        return (
            f"{what} of length 3: the validation rows take no weights (early stopping weighs "
            "them alike); give (X_val, y_val)"
        )
    return f"{what} of length {len(eval_set)}"


def _pairs(eval_set) -> list:
    """``eval_set`` when it is a list of (X, y) pairs with a 2-D X (XGBoost's form), else []."""
    pair = [isinstance(p, tuple) and len(p) == 2 and _table_like(p[0]) for p in eval_set]
    return list(eval_set) if pair and all(pair) else []


def _table_like(X) -> bool:
    try:
        return np.ndim(X) == 2
    except ValueError:  # ragged rows
        return False


def class_labels(y, n_rows: int, classes, where: str) -> np.ndarray:
    """``y`` checked as labels of a classifier fitted on ``classes``; a continuous ``y``
    is named ``where`` (fit's y was labels: "use a regressor" would be wrong here)."""
    try:
        return check_target(y, n_rows, classification=True, name=_parameter(where))
    except ValueError:
        fraction = _fraction(y)
        if fraction is None:
            raise
    fitted = "" if classes is None else f" {np.asarray(classes).tolist()[:10]}"
    raise ValueError(
        f"{where} is continuous (e.g. {fraction!r}), but it must hold the class labels of "
        f"fit's y{fitted}, not scores or probabilities."
    )


def numeric_target(y, n_rows: int, where: str) -> np.ndarray:
    """``y`` checked as a regressor's target; text in it is named ``where`` (fit's y was
    numbers: "use a classifier" would be wrong here)."""
    try:
        return check_target(y, n_rows, classification=False, name=_parameter(where))
    except ValueError:
        values = _array(y)
        text = (
            [v for v in values.ravel() if not _is_number(v)] if values.dtype.kind in "OUS" else []
        )
        if not text:
            raise
    raise ValueError(
        f"{where} holds {_plain(text[0])!r}, which is not a number, but fit's y was numbers: "
        f"give {where} as numbers, in the units of fit's y."
    )


def _parameter(where: str) -> str:
    """The parameter that gave the labels ``where`` names: ``y_val``, or score's ``y``."""
    return where.removeprefix("score's ")


def _array(y) -> np.ndarray:
    """``y`` as an array; a ragged nesting (refused by ``check_target``, naming ``y``) as
    an empty one, so that its error stands rather than NumPy's of the cast."""
    try:
        return np.asarray(y)
    except ValueError:
        return np.array([])


def _fraction(y) -> float | None:
    """The first finite value of a float ``y`` that is not a whole number, or ``None``."""
    values = _array(y)
    if values.dtype.kind != "f":
        return None
    values = values[np.isfinite(values)]
    fractions = values[values != np.round(values)]
    return float(fractions.flat[0]) if fractions.size else None


__all__ = [
    "check_eval_set",
    "check_patience",
    "class_labels",
    "numeric_target",
    "prior_logits",
    "stops_early",
]
