"""The prior protocol: anything that turns table rows into per-class logits.

A prior is a scikit-learn style estimator with three verbs:

* ``fit(X, y)``: ``X`` is a :class:`pandas.DataFrame` (string column names,
  categorical columns as ``category`` dtype), ``y`` the original labels
  (classification) or floats (regression). Sets ``classes_`` for classification.
* ``logits(X)``: ``(n, n_classes)`` log-probabilities (any logits up to a
  per-row constant) in the order of ``classes_``, or ``(n,)`` predicted means
  for regression.
* ``oof_logits(X, y, folds)``: logits for the training rows themselves, each
  row scored by a prior that never saw its label. The default refits a clone
  per fold; priors that ignore labels (a zero-shot LLM) or can batch folds
  override it.

``task`` is ``"classification"`` or ``"regression"``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

Folds = Sequence[tuple[np.ndarray, np.ndarray]]

#: Probability floor used when probabilities are turned into log-probabilities.
PROBA_FLOOR = 1e-7


class Prior(BaseEstimator):
    """Base class of all priors; subclasses implement ``fit`` and ``logits``."""

    task: str = "classification"
    #: Whether ``fit`` takes ``sample_weight`` (in-context and language-model priors don't).
    supports_sample_weight: bool = False

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> Prior:
        raise NotImplementedError

    def logits(self, X: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError

    def oof_logits(
        self, X: pd.DataFrame, y: np.ndarray, folds: Folds, sample_weight=None
    ) -> np.ndarray:
        """Score every training row with a clone fitted on the other folds.

        ``sample_weight`` is passed only by callers that checked
        :attr:`supports_sample_weight`.
        """
        classes = np.unique(y) if self.task == "classification" else None
        out = None
        for train, test in folds:
            kwargs = {} if sample_weight is None else {"sample_weight": sample_weight[train]}
            part = clone(self).fit(X.iloc[train], y[train], **kwargs)
            z = part.logits(X.iloc[test])
            if classes is not None:
                z = align_columns(z, part.classes_, classes)
            if out is None:
                out = np.empty((len(X),) + z.shape[1:], dtype=np.float64)
            out[test] = z
        return out


def log_proba(proba: np.ndarray) -> np.ndarray:
    """Log of probabilities floored at :data:`PROBA_FLOOR` (never ``-inf``)."""
    return np.log(np.clip(np.asarray(proba, dtype=np.float64), PROBA_FLOOR, None))


def align_columns(z: np.ndarray, have: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Reorder logit columns from classes ``have`` to ``want``.

    A class a fold never saw gets the log of :data:`PROBA_FLOOR`.
    """
    if len(have) == len(want) and np.array_equal(have, want):
        return z
    out = np.full((z.shape[0], len(want)), np.log(PROBA_FLOOR))
    index = {c: i for i, c in enumerate(want)}
    for j, c in enumerate(have):
        out[:, index[c]] = z[:, j]
    return out
