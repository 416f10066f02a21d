"""Any scikit-learn classifier or regressor as a prior."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import get_tags
from sklearn.utils.validation import has_fit_parameter

from .._params import BOOL, Check
from ._base import Prior, align_columns, log_proba


class SklearnPrior(Prior):
    """Wrap a scikit-learn estimator as a prior.

    Classifiers give ``log(predict_proba)`` (floored, never ``-inf``); regressors give
    ``predict``.

    Parameters
    ----------
    estimator : scikit-learn classifier or regressor
        Cloned before fitting; the original is left untouched.
    preprocess : bool, default=True
        Put the estimator behind a median imputer and standard scaler for numeric
        columns and a one-hot encoder for categorical ones, so that models that
        need numbers (logistic regression, k-NN) take any table.
    """

    _parameter_constraints = {
        "estimator": [
            Check(
                lambda e: (
                    hasattr(e, "fit") and (hasattr(e, "predict_proba") or hasattr(e, "predict"))
                ),
                "a scikit-learn estimator (with fit and predict_proba or predict)",
            )
        ],
        "preprocess": [BOOL],
    }

    def __init__(self, estimator, *, preprocess: bool = True) -> None:
        self.estimator = estimator
        self.preprocess = preprocess

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator).input_tags.allow_nan
        tags.input_tags.allow_nan = bool(self.preprocess or inner)
        return tags

    @property
    def task(self) -> str:
        return "classification" if is_classifier(self.estimator) else "regression"

    @property
    def supports_sample_weight(self) -> bool:
        return has_fit_parameter(self.estimator, "sample_weight")

    def _fit(self, X: pd.DataFrame, y: np.ndarray, sample_weight=None) -> None:
        """Fit the (preprocessed) estimator; ``sample_weight`` reaches it when it takes one."""
        model = clone(self.estimator)
        kwargs = {}
        if sample_weight is not None and self.supports_sample_weight:
            step = type(model).__name__.lower() if self.preprocess else None
            kwargs = (
                {"sample_weight": sample_weight}
                if step is None
                else {f"{step}__sample_weight": sample_weight}
            )
        if self.preprocess:
            columns = make_column_transformer(
                (
                    OneHotEncoder(handle_unknown="ignore"),
                    make_column_selector(dtype_include="category"),
                ),
                (
                    make_pipeline(
                        SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler()
                    ),
                    make_column_selector(dtype_exclude="category"),
                ),
            )
            model = make_pipeline(columns, model)
        self.model_ = model.fit(X, y, **kwargs)

    def _logits(self, X: pd.DataFrame) -> np.ndarray:
        if self.task == "classification":
            z = log_proba(self.model_.predict_proba(X))
            return align_columns(z, self.model_.classes_, np.arange(len(self.classes_)))
        return np.asarray(self.model_.predict(X), dtype=np.float64).reshape(-1)


__all__ = ["SklearnPrior"]
