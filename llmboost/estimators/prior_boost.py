"""PriorBoost: gradient-boosted trees that start from a prior's logits."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import (
    align_categories,
    booster_frame,
    check_target,
    fit_categories,
    to_frame,
)
from ..boosters import BOOSTERS, make_booster, n_estimators
from ..priors.base import Prior, as_prior
from ..priors.sklearn import SklearnPrior
from ..scale_search import (
    CLASSIFICATION_SCALES,
    PRIOR_ONLY,
    REGRESSION_SCALES,
    CVScorer,
    FusionMember,
    grid_search,
    make_folds,
    margin_to_output,
    optuna_search,
    prior_folds,
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
        n_jobs: int | None = None,
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    # -- hooks -------------------------------------------------------------
    def _default_prior(self) -> Prior:
        raise NotImplementedError

    def _encode_target(self, y: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        raise NotImplementedError

    # -- parameter checks --------------------------------------------------
    def _candidates(self) -> list:
        scale = self.scale
        if isinstance(scale, str):
            if scale == "auto":
                grid = (
                    CLASSIFICATION_SCALES if self._task == "classification" else REGRESSION_SCALES
                )
                return [*grid, PRIOR_ONLY]
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

    def _check_params(self, candidates: list) -> None:
        if self.booster not in BOOSTERS:
            raise ValueError(
                f"booster={self.booster!r} is not supported; choose one of {sorted(BOOSTERS)}."
            )
        if self.booster_params is not None and not isinstance(self.booster_params, dict):
            raise ValueError(f"booster_params must be a dict or None, got {self.booster_params!r}.")
        if not isinstance(self.cv, Integral) or isinstance(self.cv, bool) or self.cv < 2:
            raise ValueError(f"cv must be an integer >= 2, got {self.cv!r}.")
        if (
            not isinstance(self.n_trials, Integral)
            or isinstance(self.n_trials, bool)
            or self.n_trials < 0
        ):
            raise ValueError(f"n_trials must be an integer >= 0, got {self.n_trials!r}.")
        if self.n_trials and candidates == [PRIOR_ONLY]:
            raise ValueError(
                f"n_trials={self.n_trials} tunes booster parameters, but scale='prior' fits "
                "no booster; use n_trials=0 or a scale that fits trees."
            )
        if self.n_jobs is not None and (
            not isinstance(self.n_jobs, Integral)
            or isinstance(self.n_jobs, bool)
            or self.n_jobs == 0
        ):
            raise ValueError(f"n_jobs must be None or a non-zero integer, got {self.n_jobs!r}.")

    def _resolve_prior(self, y) -> Prior:
        """The unfitted prior to use; ``y`` is the target exactly as passed to ``fit``."""
        prior = self._default_prior() if self.prior is None else self.prior
        return as_prior(prior, self._task, who=type(self).__name__)

    def _folds(self, y: np.ndarray, seed=None) -> list[tuple[np.ndarray, np.ndarray]]:
        seed = self.random_state if seed is None else seed
        return make_folds(y, self.cv, self._task, seed)

    def _check_logits(self, prior: Prior, z, n_rows: int, where: str, n_classes: int):
        name = type(prior).__name__
        z = np.asarray(z, dtype=np.float64)
        if self._task == "regression":
            z = z.reshape(-1) if z.ndim == 2 and z.shape[1] == 1 else z
            expected = (n_rows,)
        else:
            expected = (n_rows, n_classes)
        if z.shape != expected:
            raise ValueError(f"{name}.{where} returned shape {z.shape}; expected {expected}.")
        if not np.isfinite(z).all():
            rows = np.flatnonzero(~np.isfinite(z).reshape(n_rows, -1).all(axis=1))[:5].tolist()
            raise ValueError(f"{name}.{where} returned non-finite values (rows {rows}).")
        return prior_margin(z, self._task)

    # -- fit -----------------------------------------------------------------
    def fit(self, X, y, sample_weight=None, eval_set=None) -> _PriorBoost:
        """Fit the prior (out of fold), search the fusion by CV, refit on all rows.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights for the boosters and the search's scores (and for priors that
            accept weights; in-context and language-model priors ignore them).
        eval_set : tuple (X_val, y_val), default=None
            Validation rows: each tree member of the fused model is refit with up to
            ``n_estimators`` rounds and stops early when their loss stops improving.

        Returns
        -------
        self
        """
        candidates = self._candidates()
        self._check_params(candidates)
        y_raw = y
        frame = to_frame(X)
        if len(frame) < 2:
            raise ValueError(f"n_samples={len(frame)}: fitting needs at least 2 rows.")
        y = check_target(y, len(frame), classification=self._task == "classification")
        weight = _check_weight(sample_weight, len(frame))
        classes, y_encoded = self._encode_target(y)
        n_classes = 0 if classes is None else len(classes)
        seed = _seed(self.random_state)
        categories = fit_categories(frame)
        prior = self._resolve_prior(y_raw)
        search = len(candidates) > 1 or self.n_trials > 0
        needs_oof = search or candidates[0] not in (0, PRIOR_ONLY)
        folds = make_folds(y, self.cv, self._task, seed) if needs_oof else None
        margin = None
        prior_weight = {}
        if weight is not None and prior.supports_sample_weight:
            prior_weight = {"sample_weight": weight}
        if needs_oof:
            z = prior.oof_logits(frame, y, prior_folds(folds, len(frame)), **prior_weight)
            margin = self._check_logits(prior, z, len(frame), "oof_logits", n_classes)

        cv_results, params = None, self.booster_params
        trees_frame = booster_frame(frame)
        if search:
            cv_results, members, params = self._search(
                trees_frame, y, y_encoded, classes, margin, folds, candidates, seed, weight
            )
        elif candidates[0] == PRIOR_ONLY:
            members = [(1.0, 0, 1.0)]
        else:
            members = [(candidates[0], n_estimators(self.booster, params), 1.0)]

        fitted_prior = None
        if any(s != 0 for s, _, _ in members):
            fitted_prior = prior.fit(frame, y, **prior_weight)
            if classes is not None and not np.array_equal(
                np.asarray(fitted_prior.classes_), classes
            ):
                raise ValueError(
                    f"{type(prior).__name__}.classes_ {list(fitted_prior.classes_)} differ "
                    f"from the labels in y {list(classes)}."
                )
        validation = None
        if eval_set is not None:
            validation = self._validation_rows(eval_set, categories, fitted_prior, classes)
        fused = _refit_members(
            members, self.booster, params, self._task, n_classes, seed,
            trees_frame, y_encoded, margin, weight, validation,
        )  # fmt: skip

        validate_data(self, X, reset=True, skip_check_array=True)  # sets feature names
        if classes is not None:
            self.classes_ = classes
        self.categories_ = categories
        self.cv_results_ = cv_results
        self.best_params_ = params
        self.prior_ = fitted_prior
        self.members_ = fused
        tree_members = [m for m in fused if m.booster is not None]
        self.booster_ = max(tree_members, key=lambda m: m.weight).booster if tree_members else None
        self.scale_ = (
            PRIOR_ONLY
            if candidates == [PRIOR_ONLY]
            else float(sum(m.weight * m.scale for m in fused))
        )
        return self

    def _search(self, frame, y, y_encoded, classes, margin, folds, candidates, seed, weight):
        n_tree = sum(s != PRIOR_ONLY for s in candidates)
        n_fits = len(folds) * (self.n_trials or n_tree)
        bar = progress_bar(n_fits, self.verbose)
        cv = CVScorer(
            frame, y, y_encoded, classes, margin, folds,
            task=self._task, booster=self.booster, scoring=self.scoring,
            random_state=seed, sample_weight=weight, n_jobs=self.n_jobs, progress=bar,
        )  # fmt: skip
        try:
            if self.n_trials:
                return optuna_search(cv, candidates, self.booster_params, self.n_trials, seed)
            results, members = grid_search(cv, candidates, self.booster_params)
            return results, members, self.booster_params
        finally:
            if bar is not None:
                bar.close()

    def _validation_rows(self, eval_set, categories, prior, classes):
        if not isinstance(eval_set, tuple | list) or len(eval_set) != 2:
            raise ValueError("eval_set must be a pair (X_val, y_val).")
        X_val = align_categories(to_frame(eval_set[0]), categories)
        y_val = check_target(eval_set[1], len(X_val), classification=classes is not None)
        if classes is not None:
            unknown = sorted(set(np.unique(y_val).tolist()) - set(classes.tolist()))
            if unknown:
                raise ValueError(f"eval_set labels {unknown} are not among the classes of y.")
            y_val = np.searchsorted(classes, y_val)
        z = None
        if prior is not None:
            n_classes = 0 if classes is None else len(classes)
            z = self._check_logits(prior, prior.logits(X_val), len(X_val), "logits", n_classes)
        return booster_frame(X_val), y_val, z

    # -- predict -------------------------------------------------------------
    def _prior_margin(self, frame) -> np.ndarray:
        n_classes = len(self.classes_) if self._task == "classification" else 0
        z = self.prior_.logits(frame)
        return self._check_logits(self.prior_, z, len(frame), "logits", n_classes)

    def _margin(self, X) -> np.ndarray:
        check_is_fitted(self, "members_")
        frame = to_frame(X)
        validate_data(self, X, reset=False, skip_check_array=True)
        frame = align_categories(frame, self.categories_)
        z = self._prior_margin(frame) if self.prior_ is not None else None
        trees_frame = booster_frame(frame)
        total = 0.0
        for member in self.members_:
            start = None if member.scale == 0 else member.scale * z
            if member.booster is None:
                part = start
            else:
                part = member.booster.predict_margin(trees_frame, start, member.n_rounds)
            total = total + member.weight * part
        return total

    def explain(self, X):
        """Per-row contributions to the margin; see :func:`llmboost.explain.explain`."""
        from ..explain import explain

        return explain(self, X)


def _check_weight(sample_weight, n_rows: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n_rows,):
        raise ValueError(f"sample_weight has shape {w.shape}; expected ({n_rows},).")
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if len(bad):
        raise ValueError(f"sample_weight must be finite and >= 0 (rows {bad[:5].tolist()}).")
    if w.sum() <= 0:
        raise ValueError("sample_weight is all zero: at least one row needs a positive weight.")
    return w


def _seed(random_state) -> int | None:
    """An integer seed from ``random_state`` (a ``RandomState`` is drawn from once)."""
    if random_state is None or isinstance(random_state, Integral):
        return random_state
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _refit_members(
    members, booster, params, task, n_classes, seed, frame, y, margin, weight, validation
) -> list[FusionMember]:
    """Fit one booster per distinct scale with trees, as many rounds as its members use."""
    rounds_at: dict[float, int] = {}
    for s, r, _ in members:
        if r:
            rounds_at[s] = max(r, rounds_at.get(s, 0))
    fitted = {}
    for s, r in rounds_at.items():
        start = None if s == 0 else s * margin
        member_params = dict(params or {})
        eval_set = None
        if validation is None:
            member_params["n_estimators"] = r
        else:
            X_val, y_val, z_val = validation
            eval_set = (X_val, y_val, None if s == 0 else s * z_val)
        adapter = make_booster(booster, member_params, task, n_classes, seed)
        fitted[s] = adapter.fit(frame, y, start, weight, eval_set)
    out: dict[tuple, float] = {}
    for s, r, w in members:
        rounds = min(r, fitted[s].n_rounds_) if r else 0
        out[(s, rounds)] = out.get((s, rounds), 0.0) + w
    return [FusionMember(s, r, w, fitted.get(s) if r else None) for (s, r), w in out.items()]


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
        alone. ``"auto"`` runs the fusion search (see :mod:`llmboost.scale_search`):
        trees from ``0, 0.01, 0.03, ..., 10`` times the prior, every prefix of their
        boosting, and the prior alone at several temperatures, combined by
        evidence-gated ensemble selection starting from the prior. A list gives your
        own scales (``"prior"`` in it adds the prior alone as a candidate and anchor).
    cv : int, default=5
        Folds, stratified and shuffled, for the out-of-fold prior logits of the
        training rows and for the search. A class with a single row stays in every
        training fold.
    scoring : str or callable, default=None
        ``None`` scores by log loss per row and selects an ensemble; any other
        scikit-learn scorer keeps the single candidate with the best mean fold score.
    n_trials : int, default=0
        When > 0, optuna (TPE, seeded by ``random_state``) tunes booster
        parameters and scale together for this many trials on the same folds.
    random_state : int, RandomState or None, default=None
        Seeds the folds, the boosters and optuna.
    verbose : bool, default=False
        Show a progress bar over the fits of the search.
    n_jobs : int, default=None
        Fold fits of the search run in this many threads (``-1``: all cores); each
        booster keeps its own ``n_jobs`` (1 by default), so cores are not oversubscribed.

    Attributes
    ----------
    scale_ : float or "prior"
        Weight of the prior's margin in the final margin (``sum(weight * scale)`` over
        members), or ``"prior"`` when ``scale="prior"``.
    members_ : list of FusionMember
        ``(scale, n_rounds, weight, booster)``: the final margin is
        ``sum(weight * (scale * prior + first n_rounds trees of booster))``;
        ``n_rounds == 0`` members are the prior alone at that scale.
    cv_results_ : dict or None
        Every candidate (``scale``, ``n_rounds``, ``params``) with its fold scores
        and ``ensemble_weight``, in scikit-learn's layout; ``None`` when nothing was
        searched.
    best_params_ : dict or None
        Booster parameters of the refit model.
    prior_ : Prior or None
        The prior refit on all training rows (``None`` when no member uses it: the
        prior is then never evaluated at predict time).
    booster_ : Booster or None
        The booster adapter of the heaviest member with trees (``None`` for the prior
        alone); its ``model_`` is the library's estimator.
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
        classes, encoded = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"y has a single class ({classes[0]!r}); a classifier needs at least 2."
            )
        return classes, encoded

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
    regression), ``scale="auto"`` starts trees from ``0, 0.25, 0.5, 0.75, 1`` times
    the prior's mean, and the search scores squared error per row (RMSE per fold).
    """

    _task = "regression"

    def _default_prior(self) -> Prior:
        from sklearn.linear_model import Ridge

        return SklearnPrior(Ridge())

    def _encode_target(self, y):
        return None, y

    def predict(self, X) -> np.ndarray:
        """Predicted values."""
        return self._margin(X)


__all__ = ["PriorBoostClassifier", "PriorBoostRegressor"]
