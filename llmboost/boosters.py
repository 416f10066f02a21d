"""Booster adapters: one small class per GBDT library, the same verbs each.

* ``fit(X, y, margin, sample_weight=None, eval_set=None)``: train, starting every row
  from ``margin`` (or from the library's own constant when ``margin`` is ``None``,
  i.e. plain GBDT). ``eval_set=(X, y, margin)`` stops early on those rows.
* ``predict_margin(X, margin, n_rounds=None)``: raw margin of the first ``n_rounds``
  trees (all when ``None``), with ``margin`` added back where the library does not add
  it itself (LightGBM ignores ``init_score`` at predict time).
* ``n_rounds_``: the number of boosting rounds the fitted model uses.
* ``params``: the library's own parameter names, defaults merged with the user's.

Margins are ``(n,)`` for binary classification (log-odds of the second class) and
regression, ``(n, n_classes)`` for multiclass. ``y`` is integer-coded for
classification.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from ._booster_base import EARLY_STOPPING_ROUNDS, Booster, check_rounds
from ._compat import lightgbm_eval_kwargs
from ._constraints import check_monotone_categories, lightgbm_categorical, position_constraints
from ._fit_arguments import check_early_stopping_callback
from ._library_errors import finite_margin, library_errors, library_message
from ._library_params import (
    boosting_mode,
    canonical_params,
    check_margin_width,
    lightgbm_has_cuda,
)
from ._tree_unit import fixed_start, past_float32, target_center, target_unit
from ._validation import _to_float


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
    margin_losses = {
        "classification": ("binary:logistic", "binary:logitraw", "multi:softprob", "multi:softmax"),
        "regression": (
            "reg:squarederror", "reg:linear", "reg:squaredlogerror", "reg:pseudohubererror",
            "reg:absoluteerror", "reg:quantileerror",
        ),
    }  # fmt: skip

    @staticmethod
    def search_space() -> dict:
        """:meth:`Booster.search_space` with the tree depth and child weight."""
        from optuna.distributions import FloatDistribution, IntDistribution

        return {
            **Booster.search_space(),
            "max_depth": IntDistribution(2, 8),
            "min_child_weight": FloatDistribution(0.5, 10.0, log=True),
        }

    @staticmethod
    def device_params(device: str) -> dict:
        """:meth:`Booster.device_params`: XGBoost's ``device`` takes the name as it is."""
        return {"device": device}

    @staticmethod
    def has_cuda() -> bool:
        """:meth:`Booster.has_cuda` from ``xgboost.build_info()``."""
        import xgboost as xgb

        return bool(xgb.build_info().get("USE_CUDA"))

    def fit(self, X, y, margin, sample_weight=None, eval_set=None):
        """See :meth:`Booster.fit` (``base_margin``)."""
        import xgboost as xgb

        _check_categories(self.params, X)
        exact = self.params.get("tree_method") == "exact"  # it has no categorical splits
        given = (X, y, margin, sample_weight)
        self.params.update(position_constraints(self.name, self.params, X.columns))
        check_monotone_categories(self.name, self.params, X)
        eval_set = None if self.patience is None else eval_set  # None: no early stopping
        stop = xgb.callback.EarlyStopping  # it keeps its state from fit to fit: a copy each
        callbacks = [copy.deepcopy(c) if isinstance(c, stop) else c for c in
                     self.params.get("callbacks") or ()]  # fmt: skip
        self.params.update({"callbacks": callbacks} if callbacks else {})
        own = any(isinstance(c, stop) for c in callbacks)
        extra = {"early_stopping_rounds": self.patience} if eval_set is not None and not own else {}
        extra.update({"enable_categorical": False} if exact else {})  # numbers only
        check_margin_width(self.params, margin)
        y, margin, eval_set = self._in_unit(y, margin, eval_set, sample_weight)
        extra.update(fixed_start(self, margin))
        many = self.task == "classification" and (np.ndim(margin) == 2 or np.max(y) > 1)
        if many and _to_float(self.params.get("scale_pos_weight")) == 1:  # XGBoost warns of
            del self.params["scale_pos_weight"]
        self.model_ = self._estimator(xgb.XGBClassifier, xgb.XGBRegressor, **extra)
        margin, sample_weight = past_float32(self.params, margin, sample_weight)
        kwargs = {} if eval_set is None else {"eval_set": [eval_set[:2]], "verbose": False,
                                              "base_margin_eval_set": [eval_set[2]]}  # fmt: skip
        check_early_stopping_callback(self.params, eval_set is not None)
        with library_errors("XGBoost", self.params):
            self.model_.fit(X, y, base_margin=margin, sample_weight=sample_weight, **kwargs)
        if eval_set is None:
            self.n_rounds_ = self.model_.get_booster().num_boosted_rounds()
        else:
            self.n_rounds_ = int(self.model_.best_iteration) + 1
        if boosting_mode(self.name, self.params) == "gblinear" and eval_set is not None:
            self.params["n_estimators"] = self.n_rounds_  # it predicts with all its rounds
            return self.fit(*given)
        return self

    def predict_margin(self, X, margin, n_rounds=None):
        """See :meth:`Booster.predict_margin`."""
        import xgboost as xgb

        rounds, start = check_rounds(n_rounds, self.n_rounds_), margin
        margin = self._scaled(margin)
        if margin is not None and boosting_mode(self.name, self.params) == "dart":
            # XGBoost's in-place prediction (its scikit-learn predict) adds a DART
            # model's base_margin once per round; a DMatrix prediction adds it once
            data = xgb.DMatrix(
                X, base_margin=margin, missing=self.model_.missing, enable_categorical=True
            )
            trees = self.model_.get_booster()
            out = trees.predict(data, output_margin=True, iteration_range=(0, rounds))
        else:
            out = self.model_.predict(
                X, output_margin=True, base_margin=margin, iteration_range=(0, rounds)
            )
        out = np.asarray(out, dtype=np.float64) * target_unit(self) + target_center(self)
        return finite_margin("XGBoost", self.params, out, start, self._rate)


def _check_categories(params: dict, X) -> None:
    """Refuse categorical columns with XGBoost parameters that take none: its exact tree
    method and linear booster (which failed at fit: "`gblinear` doesn't support
    categorical features"), and ``enable_categorical=False``."""
    categories = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    refused = {
        "tree_method=exact": (params.get("tree_method") == "exact", "use tree_method='hist'"
                              " or 'approx'"),
        "booster='gblinear'": (boosting_mode("xgboost", params) == "gblinear",
                               "use booster='gbtree'"),
        "enable_categorical=False": (not params.get("enable_categorical", True), "keep it True"),
    }  # fmt: skip
    setting = next((k for k, (holds, _) in refused.items() if holds), None)
    if categories and setting:
        raise ValueError(
            f"booster_params {setting}, but the columns {categories[:5]} hold text or "
            "categories, which llmboost passes to XGBoost as categories; "
            f"{refused[setting][1]}, or encode them as numbers."
        )


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
    margin_losses = {
        "classification": ("binary", "multiclass", "softmax", "cross_entropy", "xentropy"),
        "regression": (
            "regression", "regression_l2", "l2", "mean_squared_error", "mse", "l2_root",
            "root_mean_squared_error", "rmse", "regression_l1", "l1", "mean_absolute_error",
            "mae", "huber", "fair", "quantile", "mape", "mean_absolute_percentage_error",
        ),
    }  # fmt: skip
    device_aliases = {"device_type": ("device",)}
    link_params = {
        "classification": {"sigmoid": (1.0, "the logistic of sigmoid x its margin")},
        "regression": {"reg_sqrt": (False, "the square of its margin")},
    }
    has_cuda = staticmethod(lightgbm_has_cuda)

    @staticmethod
    def search_space() -> dict:
        """:meth:`Booster.search_space` with the leaves and rows per leaf."""
        from optuna.distributions import IntDistribution

        return {
            **Booster.search_space(),
            "num_leaves": IntDistribution(4, 64, log=True),
            "min_child_samples": IntDistribution(2, 50, log=True),
            "subsample_freq": 1,
        }

    @staticmethod
    def device_params(device: str) -> dict:
        """:meth:`Booster.device_params`: ``device_type`` (and ``gpu_device_id``)."""
        kind, _, index = device.partition(":")
        return {"device_type": kind, **({"gpu_device_id": int(index)} if index else {})}

    def fit(self, X, y, margin, sample_weight=None, eval_set=None):
        """See :meth:`Booster.fit` (``init_score``)."""
        import lightgbm as lgb

        self.params.update(position_constraints(self.name, self.params, X.columns))
        check_monotone_categories(self.name, self.params, X)
        params, categorical = lightgbm_categorical(self.params, X)
        cls = lgb.LGBMRegressor if self.task == "regression" else lgb.LGBMClassifier
        self.model_ = cls(**params)
        eval_set = None if self.patience is None else eval_set  # None: no early stopping
        check_margin_width(self.params, margin)
        y, margin, eval_set = self._in_unit(y, margin, eval_set, sample_weight)
        kwargs = {}
        if eval_set is not None:
            kwargs = {
                "eval_init_score": [eval_set[2]],
                "callbacks": [_lightgbm_stopping(self.patience, self.params)],
            }
            kwargs.update(lightgbm_eval_kwargs(self.model_.fit, *eval_set[:2]))
        with library_errors("LightGBM", self.params):
            self.model_.fit(
                X, y, init_score=margin, sample_weight=sample_weight,
                categorical_feature=categorical, **kwargs,
            )  # fmt: skip
        best = self.model_.best_iteration_ if eval_set is not None else 0
        self.n_rounds_ = int(best) if best else self.model_.booster_.current_iteration()
        return self

    def predict_margin(self, X, margin, n_rounds=None):
        """See :meth:`Booster.predict_margin` (LightGBM's margin is added back)."""
        rounds = check_rounds(n_rounds, self.n_rounds_)
        out = self.model_.predict(X, raw_score=True, num_iteration=rounds)
        # offset_: a start the trees were trained from outside the model (Dask, regression)
        out = np.asarray(out, dtype=np.float64) * target_unit(self) + getattr(self, "offset_", 0)
        # the raw score leaves out init_score, and with it the centre (which it cancels)
        out = out + target_center(self) if margin is None else out + margin
        return finite_margin("LightGBM", self.params, out, margin, self._rate)


def _lightgbm_stopping(patience: int, params: dict):
    """LightGBM's early stopping with its ``first_metric_only`` and
    ``early_stopping_min_delta``, as ``lightgbm.train`` reads them from ``params``."""
    import lightgbm as lgb

    first = bool(params.get("first_metric_only", False))
    delta = float(params.get("early_stopping_min_delta") or 0.0)  # or its text
    return lgb.early_stopping(patience, first_metric_only=first, min_delta=delta, verbose=False)


BOOSTERS = {b.name: b for b in (XGBoostBooster, LightGBMBooster)}


def n_estimators(name: str, params: dict | None) -> int:
    """Boosting rounds the adapter called ``name`` runs with ``params`` (defaults merged).

    Parameters
    ----------
    name : str
        A key of :data:`BOOSTERS`.
    params : dict or None

    Returns
    -------
    int
    """
    return {**BOOSTERS[name].defaults, **(canonical_params(name, params) or {})}["n_estimators"]


def make_booster(name: str, params: dict | None, task: str, random_state: int | None) -> Booster:
    """Build the adapter called ``name`` (``"xgboost"`` or ``"lightgbm"``).

    Parameters
    ----------
    name : str
    params : dict or None
        The library's parameters.
    task : {"classification", "regression"}
    random_state : int or None

    Returns
    -------
    Booster
        Unfitted.
    """
    if name not in BOOSTERS:
        raise ValueError(f"booster={name!r} is not supported; choose one of {sorted(BOOSTERS)}.")
    return BOOSTERS[name](params, task, random_state)


__all__ = [
    "BOOSTERS", "EARLY_STOPPING_ROUNDS", "Booster", "LightGBMBooster", "XGBoostBooster",
    "fixed_start", "library_message", "make_booster", "n_estimators", "target_center",
    "target_unit",
]  # fmt: skip
