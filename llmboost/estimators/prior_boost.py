"""PriorBoost: gradient-boosted trees that start from a prior's logits."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import align_categories, check_target, fit_categories, to_frame
from ..boosters import BOOSTERS, make_booster
from ..priors.base import Prior
from ..priors.sklearn import SklearnPrior
from ..scale_search import (
    CLASSIFICATION_GRID,
    DEFAULT_SCORING,
    PRIOR_ONLY,
    REGRESSION_GRID,
    CVScorer,
    grid_search,
    margin_to_output,
    optuna_search,
    prior_margin,
    progress_bar,
)


class _PriorBoost(BaseEstimator):
    """Shared fit/predict logic; the public classes add the task-specific parts."""

    _task = ""

    def __init__(
        self,
        prior=None,
        booster: str = "xgboost",
        booster_params: dict | None = None,
        scale="auto",
        cv: int = 5,
        scoring=None,
        n_trials: int = 0,
        random_state: int | None = None,
        verbose: bool = False,
    ) -> None:
        self.prior = prior
        self.booster = booster
        self.booster_params = booster_params
        self.scale = scale
        self.cv = cv
        self.scoring = scoring
        self.n_trials = n_trials
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    # -- hooks -------------------------------------------------------------
    def _default_prior(self) -> Prior:
        raise NotImplementedError

    def _encode_target(self, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # -- parameter checks --------------------------------------------------
    def _candidates(self) -> list:
        scale = self.scale
        if isinstance(scale, str):
            if scale == "auto":
                return list(
                    CLASSIFICATION_GRID if self._task == "classification" else REGRESSION_GRID
                )
            if scale == PRIOR_ONLY:
                return [PRIOR_ONLY]
        elif isinstance(scale, Real) and not isinstance(scale, bool):
            if np.isfinite(scale) and scale >= 0:
                return [float(scale)]
        elif isinstance(scale, list | tuple) and scale:
            bad = [s for s in scale if not _valid_scale(s)]
            if not bad:
                return [s if s == PRIOR_ONLY else float(s) for s in scale]
        raise ValueError(
            f"scale={scale!r} is invalid: use 'auto', 'prior', a number >= 0, "
            "or a list of such numbers and 'prior'."
        )

    def _check_params(self) -> None:
        if self.booster not in BOOSTERS:
            raise ValueError(
                f"booster={self.booster!r} is not supported; choose one of {sorted(BOOSTERS)}."
            )
        if self.booster_params is not None and not isinstance(self.booster_params, dict):
            raise ValueError(f"booster_params must be a dict or None, got {self.booster_params!r}.")
        if not isinstance(self.cv, Integral) or isinstance(self.cv, bool) or self.cv < 2:
            raise ValueError(f"cv must be an integer >= 2, got {self.cv!r}.")
        if not isinstance(self.n_trials, Integral) or self.n_trials < 0:
            raise ValueError(f"n_trials must be an integer >= 0, got {self.n_trials!r}.")

    def _resolve_prior(self) -> Prior:
        prior = self._default_prior() if self.prior is None else self.prior
        if not isinstance(prior, Prior):
            if not hasattr(prior, "fit") or not (
                hasattr(prior, "predict_proba") or hasattr(prior, "predict")
            ):
                raise TypeError(
                    f"prior must be a llmboost prior or a scikit-learn estimator, got "
                    f"{type(prior).__name__}."
                )
            prior = SklearnPrior(prior)
        if prior.task != self._task:
            raise ValueError(
                f"{type(self).__name__} needs a {self._task} prior, but "
                f"{type(prior).__name__} is a {prior.task} prior."
            )
        return clone(prior)

    def _folds(self, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        n_splits = self.cv
        if self._task == "classification":
            _, counts = np.unique(y, return_counts=True)
            n_splits = min(n_splits, int(counts.min()))
            if n_splits < 2:
                raise ValueError(
                    "The least populated class in y has only 1 member; cross-validation "
                    "(out-of-fold prior logits, scale search) needs at least 2 per class."
                )
            splitter = StratifiedKFold(n_splits, shuffle=True, random_state=self.random_state)
        else:
            n_splits = min(n_splits, len(y))
            splitter = KFold(n_splits, shuffle=True, random_state=self.random_state)
        return list(splitter.split(np.zeros(len(y)), y))

    def _check_logits(self, prior: Prior, z, n_rows: int, where: str) -> np.ndarray:
        name = type(prior).__name__
        z = np.asarray(z, dtype=np.float64)
        if self._task == "regression":
            z = z.reshape(-1) if z.ndim == 2 and z.shape[1] == 1 else z
            expected = (n_rows,)
        else:
            expected = (n_rows, len(self.classes_))
        if z.shape != expected:
            raise ValueError(f"{name}.{where} returned shape {z.shape}; expected {expected}.")
        if not np.isfinite(z).all():
            rows = np.flatnonzero(~np.isfinite(z).reshape(n_rows, -1).all(axis=1))[:5].tolist()
            raise ValueError(f"{name}.{where} returned non-finite values (rows {rows}).")
        return z

    # -- fit -----------------------------------------------------------------
    def fit(self, X, y) -> _PriorBoost:
        """Fit the prior (out of fold), choose ``scale`` by CV, refit on all rows."""
        self._check_params()
        candidates = self._candidates()
        frame = to_frame(X)
        validate_data(self, X, reset=True, skip_check_array=True)
        if len(frame) < 2:
            raise ValueError(f"n_samples={len(frame)}: fitting needs at least 2 rows.")
        y = check_target(y, len(frame), classification=self._task == "classification")
        y_encoded = self._encode_target(y)
        self.categories_ = fit_categories(frame)
        prior = self._resolve_prior()
        uses_prior = any(s != 0 for s in candidates)
        search = len(candidates) > 1 or self.n_trials > 0
        folds = self._folds(y) if uses_prior or search else None

        margin = None
        if uses_prior:
            z = prior.oof_logits(frame, y, folds)
            margin = prior_margin(
                self._check_logits(prior, z, len(frame), "oof_logits"), self._task
            )

        self.cv_results_ = None
        if search:
            classes = getattr(self, "classes_", None)
            scoring = self.scoring or DEFAULT_SCORING[self._task]
            n_fits = len(folds) * (self.n_trials + 1 if self.n_trials else len(candidates))
            bar = progress_bar(n_fits, self.verbose)
            cv = CVScorer(
                frame,
                y,
                y_encoded,
                classes,
                margin,
                folds,
                task=self._task,
                booster=self.booster,
                scoring=scoring,
                random_state=self.random_state,
                progress=bar,
            )
            if self.n_trials:
                results, best = optuna_search(
                    cv, candidates, self.booster_params, self.n_trials, self.random_state
                )
            else:
                results, best = grid_search(cv, candidates, self.booster_params)
            if bar is not None:
                bar.close()
            self.cv_results_ = results
            self.scale_ = results["scale"][best]
            self.best_params_ = results["params"][best]
        else:
            self.scale_ = candidates[0]
            self.best_params_ = self.booster_params

        self.prior_ = None
        if self.scale_ != 0:
            self.prior_ = prior.fit(frame, y)
            if self._task == "classification" and not np.array_equal(
                np.asarray(self.prior_.classes_), self.classes_
            ):
                raise ValueError(
                    f"{type(prior).__name__}.classes_ {list(self.prior_.classes_)} differ from "
                    f"the labels in y {list(self.classes_)}."
                )
        self.booster_ = None
        if self.scale_ != PRIOR_ONLY:
            n_classes = len(self.classes_) if self._task == "classification" else 0
            self.booster_ = make_booster(
                self.booster, self.best_params_, self._task, n_classes, self.random_state
            )
            start = None if self.scale_ == 0 else self.scale_ * margin
            self.booster_.fit(frame, y_encoded, start)
        return self

    # -- predict -------------------------------------------------------------
    def _margin(self, X) -> np.ndarray:
        check_is_fitted(self, "booster_")
        frame = to_frame(X)
        validate_data(self, X, reset=False, skip_check_array=True)
        frame = align_categories(frame, self.categories_)
        start = None
        if self.scale_ != 0:
            z = self._check_logits(self.prior_, self.prior_.logits(frame), len(frame), "logits")
            start = prior_margin(z, self._task)
            if self.scale_ == PRIOR_ONLY:
                return start
            start = self.scale_ * start
        return self.booster_.predict_margin(frame, start)


def _valid_scale(s) -> bool:
    if isinstance(s, str):
        return s == PRIOR_ONLY
    return isinstance(s, Real) and not isinstance(s, bool) and np.isfinite(s) and s >= 0


class PriorBoostClassifier(ClassifierMixin, _PriorBoost):
    """Gradient-boosted trees whose starting margin is ``scale`` times a prior's logits.

    Parameters
    ----------
    prior : llmboost prior or scikit-learn classifier, default=None
        Gives per-class logits. A scikit-learn classifier is wrapped in
        :class:`~llmboost.priors.SklearnPrior` (log of ``predict_proba``).
        ``None`` uses logistic regression on one-hot/standardised columns.
    booster : {"xgboost", "lightgbm"}, default="xgboost"
    booster_params : dict, default=None
        Passed to ``XGBClassifier`` / ``LGBMClassifier``, over small-data defaults
        (100 trees, learning rate 0.1, depth 4 / 15 leaves).
    scale : "auto", "prior", float >= 0 or list, default="auto"
        Multiplier of the prior's logits. ``0`` is plain GBDT, ``"prior"`` the prior
        alone. ``"auto"`` picks by CV from ``0, 0.01, 0.03, ..., 10`` and ``"prior"``;
        a list gives your own candidates.
    cv : int, default=5
        Folds, stratified and shuffled, for the out-of-fold prior logits of the
        training rows and for the scale search (fewer when a class is smaller).
    scoring : str or callable, default=None
        Any scikit-learn scorer; ``None`` means ``"neg_log_loss"`` (a proper score
        that rewards calibrated margins, which is what ``scale`` changes).
    n_trials : int, default=0
        When > 0, optuna (TPE, seeded by ``random_state``) tunes booster
        parameters and scale together for this many trials on the same folds.
    random_state : int, default=None
        Seeds the folds, the boosters and optuna.
    verbose : bool, default=False
        Show a progress bar over the fits of the search.

    Attributes
    ----------
    scale_ : float or "prior"
        The chosen scale.
    cv_results_ : dict or None
        Candidates (``scale``, ``params``) with their fold scores; ``None`` when
        nothing was searched.
    best_params_ : dict or None
        Booster parameters of the refit model.
    prior_ : Prior or None
        The prior refit on all training rows (``None`` when ``scale_ == 0``: the
        prior is then never evaluated at predict time).
    booster_ : Booster or None
        The booster adapter refit on all rows (``None`` for the prior alone); its
        ``model_`` is the library's estimator.
    classes_, n_features_in_, feature_names_in_
        As in scikit-learn.

    Notes
    -----
    The training rows' margins are **out-of-fold** prior logits: a prior that learns
    from labels never scores a row whose label it saw. New rows are scored by the
    prior refit on all training rows.
    """

    _task = "classification"

    def _default_prior(self) -> Prior:
        from sklearn.linear_model import LogisticRegression

        return SklearnPrior(LogisticRegression(max_iter=1000))

    def _encode_target(self, y):
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y has a single class ({self.classes_[0]!r}); a classifier needs at least 2."
            )
        return encoded

    def decision_function(self, X) -> np.ndarray:
        """Raw margin: log-odds of ``classes_[1]`` (binary) or per-class logits."""
        return self._margin(X)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``."""
        return margin_to_output(self._margin(X), self._task)

    def predict(self, X) -> np.ndarray:
        """Most probable class."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]


class PriorBoostRegressor(RegressorMixin, _PriorBoost):
    """Gradient-boosted trees whose starting prediction is ``scale`` times a prior's mean.

    Same parameters and attributes as :class:`PriorBoostClassifier`, except:
    ``prior`` is a regression prior or scikit-learn regressor (``None`` uses ridge
    regression), ``scale="auto"`` searches ``0, 0.25, 0.5, 0.75, 1`` and
    ``"prior"``, and ``scoring=None`` means ``"neg_root_mean_squared_error"``.
    """

    _task = "regression"

    def _default_prior(self) -> Prior:
        from sklearn.linear_model import Ridge

        return SklearnPrior(Ridge())

    def _encode_target(self, y):
        return y

    def predict(self, X) -> np.ndarray:
        """Predicted values."""
        return self._margin(X)


__all__ = ["PriorBoostClassifier", "PriorBoostRegressor"]
