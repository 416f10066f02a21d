"""Ensembling baselines a reviewer asks for beside the fused model.

* :class:`StackingClassifier`: the prior's out-of-fold logits as extra features of the GBDT.
* :class:`AveragingClassifier`: a weighted average of the GBDT's and the prior's
  probabilities, the weight chosen by cross-validation.

Selection (GBDT or prior, whichever cross-validates better) needs no class of its own:
it is ``PriorBoostClassifier(scale=[0, "prior"])``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from .._resources import seed_from
from .._validation import align_categories, fit_categories, to_frame
from ..estimators._prior_boost import PriorBoostClassifier
from ..priors._base import as_prior
from ..scale_search import make_folds, margin_to_output, prior_folds, prior_margin

WEIGHTS = [0.0, 0.25, 0.5, 0.75, 1.0]


class _PriorBaseline(ClassifierMixin, BaseEstimator):
    """Shared set-up: the prior's out-of-fold logits for the training rows."""

    def __init__(self, prior=None, *, booster_params=None, cv=5, random_state=None):
        self.prior = prior
        self.booster_params = booster_params
        self.cv = cv
        self.random_state = random_state

    def _gbdt(self, scale):
        return PriorBoostClassifier(
            prior=self.prior,
            booster_params=self.booster_params,
            scale=scale,
            cv=self.cv,
            random_state=self.random_state,
        )

    def predict(self, X):
        """Most probable class.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def _frame(self, X):
        return align_categories(to_frame(X).reset_index(drop=True), self.categories_)

    def _prior_oof(self, X, y):
        prior = self.prior
        if prior is None:
            prior = LogisticRegression(max_iter=1000)
        prior = as_prior(prior, "classification", who=type(self).__name__)
        frame = to_frame(X).reset_index(drop=True)
        self.categories_ = fit_categories(frame)
        y = np.asarray(y)
        folds = make_folds(y, self.cv, "classification", seed_from(self.random_state, None))
        self.classes_ = np.unique(y)
        oof = prior.oof_logits(frame, y, prior_folds(folds, len(y)))
        self.prior_ = clone(prior).fit(frame, y)
        return frame, y, folds, oof


class StackingClassifier(_PriorBaseline):
    """XGBoost on the original columns plus the prior's logits as features."""

    def fit(self, X, y):
        """Fit the prior out of fold, then XGBoost on the columns and its logits.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        frame, y, _, oof = self._prior_oof(X, y)
        self.model_ = self._gbdt(0.0).fit(self._stack(frame, oof), y)
        return self

    @staticmethod
    def _stack(frame, logits):
        extra = pd.DataFrame(logits, columns=[f"prior_logit_{k}" for k in range(logits.shape[1])])
        return pd.concat([frame.reset_index(drop=True), extra], axis=1)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        frame = self._frame(X)
        return self.model_.predict_proba(self._stack(frame, self.prior_.logits(frame)))


class AveragingClassifier(_PriorBaseline):
    """``w * GBDT + (1 - w) * prior`` probabilities, ``w`` chosen by CV log loss."""

    def fit(self, X, y):
        """Choose the GBDT's weight by CV log loss, then refit both on all rows.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        frame, y, folds, oof = self._prior_oof(X, y)
        prior_proba = margin_to_output(prior_margin(oof, "classification"), "classification")
        gbdt_proba = np.zeros_like(prior_proba)
        for train, test in folds:
            part = self._gbdt(0.0).fit(frame.iloc[train], y[train])
            gbdt_proba[test] = part.predict_proba(frame.iloc[test])
        losses = [
            log_loss(y, w * gbdt_proba + (1 - w) * prior_proba, labels=self.classes_)
            for w in WEIGHTS
        ]
        self.weight_ = WEIGHTS[int(np.argmin(losses))]
        self.model_ = self._gbdt(0.0).fit(frame, y)
        return self

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        frame = self._frame(X)
        prior = margin_to_output(
            prior_margin(self.prior_.logits(frame), "classification"), "classification"
        )
        return self.weight_ * self.model_.predict_proba(frame) + (1 - self.weight_) * prior


__all__ = ["WEIGHTS", "AveragingClassifier", "StackingClassifier"]
