"""Booster adapters: one small class per GBDT library, the same three verbs each.

* ``fit(X, y, margin)``: train, starting every row from ``margin`` (or from the
  library's own constant when ``margin`` is ``None``, i.e. plain GBDT).
* ``predict_margin(X, margin)``: raw margin, with ``margin`` added back where the
  library does not add it itself (LightGBM ignores ``init_score`` at predict time).
* ``params``: the library's own parameter names, defaults merged with the user's.

Margins are ``(n,)`` for binary classification (log-odds of the second class) and
regression, ``(n, n_classes)`` for multiclass. ``y`` is integer-coded for
classification.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


class Booster:
    """Common part of the adapters."""

    name: str = ""
    defaults: dict = {}

    def __init__(
        self, params: dict | None, task: str, n_classes: int, random_state: int | None
    ) -> None:
        self.task = task
        self.n_classes = n_classes
        self.params = {**self.defaults, "random_state": random_state, **(params or {})}

    def fit(self, X: pd.DataFrame, y: np.ndarray, margin: np.ndarray | None) -> Booster:
        raise NotImplementedError

    def predict_margin(self, X: pd.DataFrame, margin: np.ndarray | None) -> np.ndarray:
        raise NotImplementedError


class XGBoostBooster(Booster):
    """XGBoost through its scikit-learn wrapper and native ``base_margin``."""

    name = "xgboost"
    defaults = {
        "n_estimators": 100,
        "learning_rate": 0.1,
        "max_depth": 4,
        "tree_method": "hist",
        "enable_categorical": True,
        "n_jobs": 1,
    }

    def fit(self, X, y, margin):
        import xgboost as xgb

        cls = xgb.XGBRegressor if self.task == "regression" else xgb.XGBClassifier
        self.model_ = cls(**self.params)
        self.model_.fit(X, y, base_margin=margin)
        return self

    def predict_margin(self, X, margin):
        out = self.model_.predict(X, output_margin=True, base_margin=margin)
        return np.asarray(out, dtype=np.float64)


class LightGBMBooster(Booster):
    """LightGBM through its scikit-learn wrapper and ``init_score``."""

    name = "lightgbm"
    defaults = {
        "n_estimators": 100,
        "learning_rate": 0.1,
        "num_leaves": 15,
        "min_child_samples": 5,
        "n_jobs": 1,
        "verbose": -1,
    }

    def fit(self, X, y, margin):
        import lightgbm as lgb

        cls = lgb.LGBMRegressor if self.task == "regression" else lgb.LGBMClassifier
        self.model_ = cls(**self.params)
        self.model_.fit(X, y, init_score=margin)
        return self

    def predict_margin(self, X, margin):
        out = np.asarray(self.model_.predict(X, raw_score=True), dtype=np.float64)
        return out if margin is None else out + margin


BOOSTERS = {b.name: b for b in (XGBoostBooster, LightGBMBooster)}


def make_booster(
    name: str, params: dict | None, task: str, n_classes: int, random_state: int | None
) -> Booster:
    """Build the adapter called ``name`` (``"xgboost"`` or ``"lightgbm"``)."""
    if name not in BOOSTERS:
        raise ValueError(f"booster={name!r} is not supported; choose one of {sorted(BOOSTERS)}.")
    return BOOSTERS[name](params, task, n_classes, random_state)
