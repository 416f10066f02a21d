"""``cv_results_`` of the fusion search, in scikit-learn's layout."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from .selection import loss_unit


def results_table(
    params: list[dict], scores: list[list[float]], times: tuple | None = None, **extra
) -> dict:
    """``cv_results_`` in scikit-learn's layout: one entry per candidate.

    Parameters
    ----------
    params : list of dict
        The searched values of each candidate (``scale``, ``n_rounds``, tuned booster
        parameters); each name also gets a ``param_<name>`` masked array, masked where
        a candidate lacks it.
    scores : list of list of float
        Fold scores of each candidate.
    times : (fit, score), default=None
        Per candidate, the seconds of each fold's fit and of its scoring, which give
        ``mean_fit_time``, ``std_fit_time``, ``mean_score_time`` and ``std_score_time``.
    **extra
        More columns, one value per candidate, after scikit-learn's own.

    Returns
    -------
    dict
    """
    table = np.asarray(scores)
    means = table.mean(axis=1)
    # ties share the best rank; a NaN mean ranks last, as in scikit-learn's searches
    rank = rankdata(-np.where(np.isnan(means), -np.inf, means), method="min").astype(np.int32)
    # the spread of scores whose squares would overflow; an infinite score is no unit
    unit = loss_unit(table[np.isfinite(table)])
    results = {}
    for name, seconds in zip(("fit", "score"), times or ()):
        seconds = np.asarray(seconds, dtype=float).reshape(len(params), -1)
        results[f"mean_{name}_time"] = seconds.mean(axis=1)
        results[f"std_{name}_time"] = seconds.std(axis=1)
    for name in dict.fromkeys(k for p in params for k in p):
        column = np.ma.masked_all(len(params), dtype=_dtype([p[name] for p in params if name in p]))
        for i, p in enumerate(params):
            if name in p:
                column[i] = p[name]
        results[f"param_{name}"] = column
    results["params"] = params
    for i in range(table.shape[1]):
        results[f"split{i}_test_score"] = table[:, i]
    return results | {
        "mean_test_score": means,
        "std_test_score": _spread(table / unit) * unit,
        "rank_test_score": rank,
        **extra,
    }


def _dtype(values: list) -> np.dtype:
    """The dtype of a ``param_<name>`` column, as scikit-learn's searches choose it: the
    values' own (``int64`` rounds, ``float64`` rates), but ``object`` for text or a mix
    with text (``"prior"`` among the scales)."""
    try:
        column = np.array(values)
    except ValueError:  # sequences of different lengths
        return np.dtype(object)
    return column.dtype if column.dtype.kind not in "US" and column.ndim == 1 else np.dtype(object)


def _spread(table: np.ndarray) -> np.ndarray:
    """Standard deviation of each row; NaN for a row with an infinite score."""
    with np.errstate(invalid="ignore"):  # inf - inf
        return table.std(axis=1)


__all__ = ["results_table"]
