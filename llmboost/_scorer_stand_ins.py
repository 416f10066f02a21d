"""Fold predictions dressed as a fitted estimator, so that any scikit-learn scorer (or a
callable) scores the search's pooled out-of-fold margins without a refit."""

from __future__ import annotations

import inspect
import numbers
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from ._params import InvalidParameterError, brief
from ._validation import _plain
from ._warn import caller_level
from .fusion_inputs import margin_to_output


def scorer_score(
    scorer, task: str, classes, margin, test, rows: pd.DataFrame, y, weight, scoring=None
) -> float:
    """``scorer``'s score of the pooled ``margin`` on the fold's rows ``test``.

    Parameters
    ----------
    scorer : callable
        ``scorer(estimator, X, y, **kwargs)``.
    task : {"classification", "regression"}
    classes : ndarray or None
    margin : ndarray of shape (n,) or (n, k)
        Every training row's pooled margin.
    test : ndarray of int
        The fold's rows.
    rows : DataFrame
        Those rows as ``fit`` read them; the scorer gets them indexed by ``test``.
    y : ndarray
        Their labels or targets.
    weight : ndarray or None
        Their weights, passed as ``sample_weight=`` when the scorer (and its metric) takes them.
    scoring : str, callable or None
        The ``scoring`` parameter ``scorer`` comes from, named in the errors.

    Returns
    -------
    float
    """
    if task == "regression":
        stand_in = _Regressed(margin, test)
    else:
        stand_in = _Classified(classes, margin, test)
    kwargs = {} if weight is None or not _takes_weights(scorer) else {"sample_weight": weight}
    try:
        value = scorer(stand_in, rows.set_axis(test), y, **kwargs)
    except AttributeError as error:  # it named the stand-in, which the user never sees
        if type(stand_in).__name__ not in str(error):
            raise
        raise _lacking(scoring, task) from None
    except ValueError as error:
        if str(error).startswith("scoring"):
            raise
        raise _failed(scoring, task, classes, y, error) from error
    return _as_score(value, scoring)


def _as_score(value, scoring) -> float:
    """The number a scorer returned (a numpy scalar or 0-d array too); an error naming
    ``scoring`` for anything else, as scikit-learn's searches refuse it."""
    if isinstance(value, np.ndarray | np.generic) and value.size == 1:
        value = value.item()
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(
        f"scoring={_name(scoring)} returned {brief(value)} (a {type(value).__name__}) on a "
        "fold of the search; a scorer returns one number per call, greater is better."
    )


def _failed(scoring, task: str, classes, y, error: ValueError) -> ValueError:
    """The error of a scorer that raised ``error`` on a fold's test rows ``y``."""
    present = set(y.tolist())
    absent = [] if classes is None else [c for c in classes if c not in present]
    if not absent:
        return _unscorable(scoring, task, error)
    return ValueError(
        f"scoring: the scorer failed on a fold whose test rows hold no row of class "
        f"{_plain(absent[0])!r} ({len(absent)} of the {len(classes)} classes absent: a "
        "class with fewer rows than folds is not in every test part), while the "
        f"predictions have a column for every class ({error}). Use scoring=None (log loss "
        "per row), fewer folds (cv), or a scorer told the labels, e.g. make_scorer("
        "log_loss, response_method='predict_proba', greater_is_better=False, "
        f"labels={[_plain(c) for c in classes]!r})."
    )


def check_callable(scoring) -> None:
    """Refuse a callable ``scoring`` that cannot be called as ``scoring(estimator, X, y)``.

    Parameters
    ----------
    scoring : str, callable or None

    Raises
    ------
    InvalidParameterError
        For a metric of ``(y_true, y_pred)`` such as ``roc_auc_score``.
    """
    if not callable(scoring):
        return
    try:
        inspect.signature(scoring).bind(None, None, None)
    except TypeError:
        name = getattr(scoring, "__qualname__", scoring)
        raise InvalidParameterError(
            f"scoring={name} cannot be called as scorer(estimator, X, y), as scikit-learn "
            f"calls a scorer; for a metric of (y_true, y_pred), give make_scorer({name}) "
            "(with response_method='predict_proba' for one that reads probabilities)."
        ) from None
    except ValueError:  # no signature to read
        pass


def warn_unweighted(scorer, scoring) -> None:
    """Warn, once per search, that ``scorer`` scores the weighted folds unweighted.

    Parameters
    ----------
    scorer : callable
        The scorer of ``scoring``.
    scoring : str or callable
        The ``scoring`` parameter, named in the warning.
    """
    if _takes_weights(scorer):
        return
    metric = getattr(scorer, "_score_func", None)
    what = f"its metric {metric.__name__}" if callable(metric) else "it"
    warnings.warn(
        f"scoring={_name(scoring)}: {what} takes no sample_weight, so the search scores every fold "
        "unweighted while the trees train on the weights. Use scoring=None (the weighted "
        "per-row loss) or a scorer whose metric takes sample_weight.",
        UserWarning,
        stacklevel=caller_level(),
    )


def _name(scoring) -> str:
    """``scoring`` in a message: a name in quotes, a callable by its qualified name."""
    return repr(scoring) if isinstance(scoring, str) else getattr(scoring, "__qualname__", scoring)


def _lacking(scoring, task: str) -> ValueError:
    """The error of a scorer that asked the search's predictions for a method they lack."""
    if task == "regression":
        return ValueError(
            f"scoring={_name(scoring)} asks for class probabilities or decision values, which a "
            "regressor does not give (its predictions offer predict only); use a regression "
            "scorer ('neg_root_mean_squared_error', 'r2', ...) or scoring=None."
        )
    return ValueError(
        f"scoring={_name(scoring)} asked the search's out-of-fold predictions for a method they "
        "do not have; a scorer may call predict, predict_proba and decision_function."
    )


def _unscorable(scoring, task: str, error: ValueError) -> ValueError:
    """The error of a scorer that failed on the search's predictions, with what to do."""
    hint = ""
    if task == "classification":
        hint = (
            " A multiclass target needs a multiclass scorer ('roc_auc_ovr', 'f1_macro', "
            "'neg_log_loss', ...); labels other than 0 and 1 need the positive one named, "
            "e.g. make_scorer(f1_score, pos_label=...)."
        )
    said = str(error).rstrip(".")
    return ValueError(
        f"scoring={_name(scoring)} could not score the search's out-of-fold predictions: "
        f"{said}.{hint}"
    )


class _Classified(ClassifierMixin, BaseEstimator):
    """Precomputed predictions dressed as a fitted classifier, so any scorer reads them.

    ``margin`` holds every training row's; a scorer is given one fold's ``rows``, indexed
    by their positions among the training rows (see :func:`_positions`).
    """

    def __init__(self, classes, margin, rows):
        self.classes = self.classes_ = classes
        self.margin, self.rows = margin, rows

    def decision_function(self, X):
        return self.margin[_positions(X, self.rows)]

    def predict_proba(self, X):
        return margin_to_output(self.decision_function(X), "classification")

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class _Regressed(RegressorMixin, BaseEstimator):
    """Precomputed regression predictions dressed as a fitted regressor."""

    def __init__(self, margin, rows):
        self.margin, self.rows = margin, rows

    def predict(self, X):
        return self.margin[_positions(X, self.rows)]


def _positions(X, rows: np.ndarray) -> np.ndarray:
    """The training rows a scorer asks about: by the index of the fold's table it was
    given (also of a subset), or all of the fold's rows for as many rows without one."""
    index = getattr(X, "index", None)
    if index is not None and np.isin(index, rows).all():
        return np.asarray(index, dtype=np.intp)
    if len(X) == len(rows):
        return rows
    raise ValueError(
        "scoring: the scorer predicted rows that are not its fold's; a callable scorer may "
        "predict the table it is given or rows of it selected by index (X[mask], X.loc[...])."
    )


def _takes_weights(scorer) -> bool:
    """Whether ``scorer`` (scikit-learn's, from a name or ``make_scorer``, or a callable)
    has a ``sample_weight`` parameter; for a scikit-learn scorer, whether its metric
    takes them too (``max_error`` and a custom metric may not)."""
    metric = getattr(scorer, "_score_func", None)
    return _has_parameter(scorer, "sample_weight") and (
        metric is None or _has_parameter(metric, "sample_weight", any_keyword=True)
    )


def _has_parameter(function, name: str, any_keyword: bool = False) -> bool:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):  # no signature to read
        return False
    keywords = any_keyword and any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    return name in parameters or keywords


__all__ = ["check_callable", "scorer_score", "warn_unweighted"]
