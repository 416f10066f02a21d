"""PriorBoost: gradient-boosted trees that start from a prior's logits."""

from __future__ import annotations

from abc import ABC, abstractmethod
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn import get_config
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .._library_params import check_binary_weight
from .._losses import check_loss_target
from .._resources import seed_from
from .._sample_weight import warn_unweighted_classes
from .._validation import (
    align_categories,
    booster_frame,
    check_sample_weight,
    fit_categories,
    fit_frame,
    named_frame,
)
from ..boosters import n_estimators
from ..fusion_inputs import warn_untested_classes
from ..priors._base import Prior, as_prior
from ..priors._sklearn import SklearnPrior
from ..scale_search import (
    PRIOR_ONLY,
    CVScorer,
    check_fold_weights,
    check_margin,
    given_folds,
    grid_search,
    make_folds,
    margin_to_output,
    optuna_search,
    prior_folds,
    progress_bar,
)
from ._docs import document
from ._eval_set import check_eval_set, check_patience, prior_logits, stops_early
from ._refit import _Rows, check_overflow, check_predicted, fused_scale, refit_members
from ._shared import FusionParams, LabelsAsFit, ValuesAsFit


class _PriorBoost(FusionParams, ABC):
    """Shared fit/predict logic; the public classes add the task-specific parts."""

    def __init__(
        self,
        prior=None,
        *,
        booster: str = "xgboost",
        booster_params: dict | None = None,
        scale="auto",
        cv: int = 5,
        scoring=None,
        n_trials: int = 0,
        random_state: int | None = None,
        verbose: bool = False,
        n_jobs: int | None = None,
        device: str | None = None,
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
        self.n_jobs = n_jobs
        self.device = device

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = tags.input_tags.string = True  # text: categories
        return tags

    # -- hooks -------------------------------------------------------------
    @abstractmethod
    def _default_prior(self) -> Prior:
        """The prior ``prior=None`` stands for."""

    @abstractmethod
    def _encode_target(self, y: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """``(classes, codes)`` for classifiers, ``(None, y)`` for regressors."""

    def _resolve_prior(self, y) -> Prior:
        """The unfitted prior to use; ``y`` is the target exactly as passed to ``fit``."""
        prior = self._default_prior() if self.prior is None else self.prior
        return self._prior_on_device(as_prior(prior, self._task, who=self._who))

    # -- fit -----------------------------------------------------------------
    def fit(self, X, y, sample_weight=None, eval_set=None):
        """Fit the prior (out of fold), search the fusion by CV, refit on all rows.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,) or float, default=None
            Row weights (a float: every row alike) for the boosters and the search's
            scores (and for priors that accept weights; in-context and language-model
            priors, and scikit-learn models whose ``fit`` takes none, such as a
            ``Pipeline``, ignore them).
        eval_set : tuple (X_val, y_val), default=None
            Validation rows: each tree member is refit with up to ``n_estimators``
            rounds, stops early when their loss stops improving (after
            ``booster_params["early_stopping_rounds"]`` rounds, 20 by default; refused
            without ``eval_set``), and keeps at most the rounds the search chose for it.

        Returns
        -------
        self
            The fitted estimator.
        """
        self._check_params()
        candidates = self._candidates()
        booster_params = self._booster_params()
        frame, columns = fit_frame(self, X)
        rows = self._training_rows(frame, y, sample_weight)
        check_binary_weight(self.booster_params, rows.classes, candidates)
        booster_params = self._by_name(self._by_code(booster_params, rows.classes), *rows[:2])
        validation = self._validation_rows(eval_set, rows, columns)
        seed = seed_from(self.random_state, default=None)
        prior = self._resolve_prior(y)
        prior_weight = self._prior_weight(prior, rows)
        search = len(candidates) > 1 or self.n_trials > 0
        folds = margin = None
        if search or candidates[0] not in (0, PRIOR_ONLY):
            folds = self._folds(rows, seed, search)
        if folds is not None and any(s != 0 for s in candidates):  # scale 0 reads no prior
            margin = self._oof_margin(prior, rows, folds, prior_weight)
        if search:
            cv_results, members, params = self._search(
                rows, margin, folds, candidates, seed, booster_params
            )
        else:
            cv_results, params = None, booster_params
            members = [self._fixed_member(candidates[0], booster_params)]
        fitted_prior = self._refit_prior(prior, rows, prior_weight, members, params)
        if validation is not None:
            validation = self._with_prior_margin(validation, fitted_prior, rows.classes, members)
        fused = refit_members(
            members, self.booster, params, self._task, seed, rows, margin, validation,
            self.booster_params,
        )  # fmt: skip
        check_overflow(fused, rows, margin)
        validate_data(self, X, reset=True, skip_check_array=True)  # sets feature names
        self._set_fitted(rows, cv_results, params, fitted_prior, fused, candidates)
        return self

    @staticmethod
    def _prior_weight(prior: Prior, rows: _Rows) -> dict:
        """``sample_weight`` for the prior's fits, when it takes weights and, with
        scikit-learn's metadata routing enabled, its estimator does not decline them."""
        if rows.weight is None or not prior.supports_sample_weight:
            return {}
        if not isinstance(prior, SklearnPrior) or not get_config()["enable_metadata_routing"]:
            return {"sample_weight": rows.weight}
        own = getattr(prior.estimator, "_get_metadata_request", None)  # its own, also a router's
        request = None if own is None else own().fit.requests.get("sample_weight")
        if isinstance(request, str) and request != "sample_weight":
            raise ValueError(
                f"The prior {type(prior.estimator).__name__} requests sample_weight as "
                f"{request!r}, but fit takes only sample_weight: give the prior "
                "set_fit_request(sample_weight=True), or False to fit it unweighted."
            )
        return {} if request is False else {"sample_weight": rows.weight}

    def _training_rows(self, frame: pd.DataFrame, y, sample_weight) -> _Rows:
        if len(frame) < 2:
            raise ValueError(f"n_samples={len(frame)}: fitting needs at least 2 rows.")
        y = self._check_target(y, len(frame))
        weight = check_sample_weight(sample_weight, len(frame))
        classes, encoded = self._encode_target(y)
        if classes is None and self._candidates() != [PRIOR_ONLY]:  # trees' regression loss
            check_loss_target(self.booster_params, y)
        trees = booster_frame(frame)
        return _Rows(frame, trees, fit_categories(frame), y, encoded, classes, weight)

    def _folds(self, rows: _Rows, seed, search: bool) -> list:
        """The folds (with ``search`` scored, so each needs positive weights)."""
        if isinstance(self.cv, Integral):
            folds = make_folds(rows.y, self.cv, self._task, seed)
        else:
            folds = given_folds(self.cv, rows.frame, rows.y, self._task)
        if search and rows.weight is not None:
            check_fold_weights(folds, rows.weight, not isinstance(self.cv, Integral))
        return folds

    def _oof_margin(self, prior: Prior, rows: _Rows, folds, prior_weight: dict) -> np.ndarray:
        splits = prior_folds(folds, len(rows.y))
        for i, (train, _) in enumerate(splits if prior_weight else []):
            if rows.weight[train].sum() <= 0:  # the prior's own error named no fold
                which = f"fold {i}" if i < len(folds) else "the split of the rows no fold tests"
                raise ValueError(
                    f"sample_weight is zero on every training row of cross-validation {which} "
                    f"({len(train)} rows), so {type(prior).__name__} cannot be fitted there "
                    "for the out-of-fold logits: give more of those rows a positive weight, "
                    "use other folds (cv), or drop the zero-weight rows."
                )
        if rows.classes is not None and not isinstance(self.cv, Integral):
            if not getattr(prior, "oof_scores_every_class", False):  # make_folds: no such rows
                warn_untested_classes(folds, rows.y)
        z = prior.oof_logits(rows.frame, rows.y, splits, **prior_weight)
        return self._checked_margin(prior, z, len(rows.y), rows.classes, "oof_logits")

    def _fixed_member(self, scale, booster_params) -> tuple[float, int, float]:
        """The single member of a fixed ``scale``: the prior alone, or trees from it."""
        if scale == PRIOR_ONLY:
            return (1.0, 0, 1.0)
        return (scale, n_estimators(self.booster, booster_params), 1.0)

    def _checked_margin(self, prior, z, n_rows: int, classes, where: str) -> np.ndarray:
        n_classes = 0 if classes is None else len(classes)
        return check_margin(prior, z, n_rows, self._task, n_classes, where)

    def _refit_prior(self, prior, rows: _Rows, prior_weight, members, params) -> Prior | None:
        """The prior refit on all rows (``None`` when no member uses it); first a warning of
        a class whose rows all weigh 0, unless the prior, taking no weights, learns it."""
        uses_prior = any(s != 0 for s, _, _ in members)
        if prior_weight or not uses_prior:
            warn_unweighted_classes(rows.weight, rows.encoded, rows.classes, params, uses_prior)
        if not uses_prior:
            return None
        fitted = prior.fit(rows.frame, rows.y, **prior_weight)
        if rows.classes is not None and not np.array_equal(fitted.classes_, rows.classes):
            raise ValueError(
                f"{type(prior).__name__}.classes_ {list(fitted.classes_)} differ "
                f"from the labels in y {list(rows.classes)}."
            )
        return fitted

    def _search(self, rows: _Rows, margin, folds, candidates, seed, booster_params):
        n_tree = sum(s != PRIOR_ONLY for s in candidates)
        bar = progress_bar(len(folds) * (self.n_trials or n_tree), self.verbose)
        cv = CVScorer(
            rows.trees, rows.y, rows.encoded, rows.classes, margin, folds,
            task=self._task, booster=self.booster, scoring=self.scoring, random_state=seed,
            sample_weight=rows.weight, n_jobs=self.n_jobs, progress=bar, scoring_rows=rows.frame,
            given=self.booster_params,
        )  # fmt: skip
        try:
            if self.n_trials:
                return optuna_search(cv, candidates, booster_params, self.n_trials, seed)
            results, members = grid_search(cv, candidates, booster_params)
            return results, members, booster_params
        finally:
            if bar is not None:
                bar.close()

    def _validation_rows(self, eval_set, rows: _Rows, columns):
        """``eval_set`` checked before the search: its rows (as given, as in fit), its labels;
        ``None`` without one, or when no trees stop early (every round trained)."""
        trees = self._candidates() != [PRIOR_ONLY]  # the prior alone fits no trees
        if trees:
            check_patience(self.booster, self.booster_params, eval_set is not None)
        if eval_set is None:
            return None
        validation = check_eval_set(eval_set, columns, rows, self.booster, self.booster_params)
        if rows.classes is None and trees:  # NaN metric, ...
            check_loss_target(self.booster_params, validation[2], "eval_set's y_val")
        return validation if stops_early(self.booster, self.booster_params) else None

    def _with_prior_margin(self, validation, prior, classes, members):
        """The validation rows for the boosters and the fitted prior's margin of them."""
        given, X_val, y_val = validation
        if prior is None or not any(r and s != 0 for s, r, _ in members):
            return booster_frame(X_val), y_val, None  # no trees start from the prior
        z = prior_logits(prior, given, X_val)
        z = self._checked_margin(prior, z, len(X_val), classes, "logits")
        return booster_frame(X_val), y_val, z

    def _set_fitted(self, rows: _Rows, cv_results, params, prior, fused, candidates) -> None:
        if rows.classes is not None:
            self.classes_ = rows.classes
        self.categories_ = rows.categories
        self.cv_results_ = cv_results
        trees = [m for m in fused if m.booster is not None]
        self.best_params_ = self._as_given(params) if trees else None
        self.prior_ = prior
        self.members_ = fused
        self.booster_ = max(trees, key=lambda m: m.weight).booster if trees else None
        self.scale_ = PRIOR_ONLY if candidates == [PRIOR_ONLY] else fused_scale(fused)

    # -- predict -------------------------------------------------------------
    def _prepared(self, X) -> tuple[pd.DataFrame, np.ndarray | None]:
        """New rows in the fitted encoding and the prior's unscaled margin of them."""
        check_is_fitted(self, "members_")
        given = named_frame(X, self)  # aligning writes in place: a copy where it is read
        reads_given = getattr(self.prior_, "_reads_unseen_text", False)
        frame = align_categories(given.copy() if reads_given else given, self.categories_)
        if self.prior_ is None:
            return frame, None
        z = prior_logits(self.prior_, given, frame)
        classes = getattr(self, "classes_", None)
        return frame, self._checked_margin(self.prior_, z, len(frame), classes, "logits")

    def _margin(self, X) -> np.ndarray:
        frame, z = self._prepared(X)
        trees_frame = booster_frame(frame)
        total = 0.0
        for member in self.members_:
            with np.errstate(over="ignore"):  # an overflow is refused below, by name
                start = member.start(z)
            if member.booster is None:
                part = start
            else:
                part = member.booster.predict_margin(trees_frame, start, member.n_rounds)
            check_predicted(member, part, start, z, self._task == "classification")
            total = total + member.weight * part
        return total

    def explain(self, X) -> pd.DataFrame:
        """Per-row contributions to the margin; see :func:`llmboost.explain.explain`.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows to explain, with the columns seen at fit.

        Returns
        -------
        DataFrame
            One column per feature plus ``prior`` and ``bias``; rows sum to the margin.
        """
        from ..explain import explain

        return explain(self, X)


@document(
    prior="""llmboost prior or scikit-learn classifier, default=None
        Gives per-class logits. A scikit-learn classifier is wrapped in
        :class:`~llmboost.priors.SklearnPrior` (log of ``predict_proba``). ``None``
        uses logistic regression on one-hot/standardised columns.""",
    scales="``0, 0.01, 0.03, ..., 10``",
)
class PriorBoostClassifier(LabelsAsFit, ClassifierMixin, _PriorBoost):
    """Gradient-boosted trees whose starting margin is ``scale`` times a prior's logits.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    {attributes}

    Notes
    -----
    The training rows' margins are **out-of-fold** prior logits: a prior that learns
    from labels never scores a row whose label it saw. New rows are scored by the
    prior refit on all training rows.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from llmboost import PriorBoostClassifier
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> model = PriorBoostClassifier(LogisticRegression(max_iter=500), scale=[0, 1, "prior"],
    ...                              cv=3, random_state=0).fit(X, y)
    >>> model.predict_proba(X.head()).shape
    (5, 3)
    >>> model.scale_ >= 0
    True
    """

    _task = "classification"

    def _default_prior(self) -> Prior:
        from sklearn.linear_model import LogisticRegression

        return SklearnPrior(LogisticRegression(max_iter=1000))

    def _encode_target(self, y):
        classes, encoded = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"y has a single class ({classes.tolist()[0]!r}); a classifier needs at least 2."
            )
        return classes, encoded

    def decision_function(self, X) -> np.ndarray:
        """Raw margin of the fused model.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows to score, with the columns seen at fit.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Log-odds of ``classes_[1]`` (binary) or per-class logits.
        """
        return self._margin(X)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows to classify, with the columns seen at fit.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        return margin_to_output(self._margin(X), self._task)

    def predict(self, X) -> np.ndarray:
        """Most probable class.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows to label, with the columns seen at fit.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]


@document(
    prior="""llmboost regression prior or scikit-learn regressor, default=None
        Gives a predicted mean per row. A scikit-learn regressor is wrapped in
        :class:`~llmboost.priors.SklearnPrior`. ``None`` uses ridge regression on
        one-hot/standardised columns.""",
    scales="``0, 0.25, 0.5, 0.75, 1``",
    classes="",
)
class PriorBoostRegressor(ValuesAsFit, RegressorMixin, _PriorBoost):
    """Gradient-boosted trees that start from a prior's mean shrunk toward the target's.

    The trees start from ``mean + scale * (prior - mean)``, where ``mean`` is the
    training target's (weighted) mean, so the model does not depend on the target's
    origin. The search scores squared error per row (RMSE per fold), or the booster's
    own loss (absolute, quantile, Huber, ...).

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    {attributes}

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from llmboost import PriorBoostRegressor
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> model = PriorBoostRegressor(Ridge(), scale=[0, 1], cv=3, random_state=0).fit(X, y)
    >>> model.predict(X.head()).shape
    (5,)
    >>> model.scale_ >= 0
    True
    """

    _task = "regression"

    def _default_prior(self) -> Prior:
        from sklearn.linear_model import Ridge

        return SklearnPrior(Ridge())

    def _encode_target(self, y):
        return None, y

    def predict(self, X) -> np.ndarray:
        """Predicted values.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows to predict, with the columns seen at fit.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self._margin(X)


__all__ = ["PriorBoostClassifier", "PriorBoostRegressor"]
