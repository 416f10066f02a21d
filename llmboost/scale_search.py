"""Choosing ``scale`` (and optionally booster parameters) by cross-validation.

The prior's logits for the training rows are computed once, out of fold, and
reused for every fold and candidate: a candidate only costs booster fits.
The candidate ``"prior"`` is the prior alone (margin at scale 1, no trees).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import get_scorer
from tqdm.auto import tqdm

from .boosters import make_booster

PRIOR_ONLY = "prior"

#: Default candidates: 0 (plain GBDT), log-spaced scales, and the prior alone.
CLASSIFICATION_GRID = [0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, PRIOR_ONLY]
#: Regression margins are the prior's mean itself, so scales stay within [0, 1].
REGRESSION_GRID = [0.0, 0.25, 0.5, 0.75, 1.0, PRIOR_ONLY]

DEFAULT_SCORING = {"classification": "neg_log_loss", "regression": "neg_root_mean_squared_error"}


def prior_margin(logits: np.ndarray, task: str) -> np.ndarray:
    """The unscaled margin a prior's logits give: log-odds for binary, logits otherwise."""
    if task == "classification" and logits.shape[1] == 2:
        return logits[:, 1] - logits[:, 0]
    return logits


def margin_to_output(margin: np.ndarray, task: str) -> np.ndarray:
    """Probabilities (``(n, k)``) from a margin, or the margin itself for regression."""
    if task == "regression":
        return margin
    if margin.ndim == 1:
        p1 = 1.0 / (1.0 + np.exp(-margin))
        return np.column_stack([1.0 - p1, p1])
    shifted = np.exp(margin - margin.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class _Classified(ClassifierMixin, BaseEstimator):
    """Precomputed predictions dressed as a fitted classifier, so any scorer reads them."""

    def __init__(self, classes, margin):
        self.classes = self.classes_ = classes
        self.margin = margin

    def decision_function(self, rows):
        return self.margin[rows]

    def predict_proba(self, rows):
        return margin_to_output(self.margin[rows], "classification")

    def predict(self, rows):
        return self.classes_[self.predict_proba(rows).argmax(axis=1)]


class _Regressed(RegressorMixin, BaseEstimator):
    """Precomputed regression predictions dressed as a fitted regressor."""

    def __init__(self, margin):
        self.margin = margin

    def predict(self, rows):
        return self.margin[rows]


class CVScorer:
    """Scores candidate (scale, booster params) pairs on fixed folds.

    ``margin`` is the prior's unscaled out-of-fold margin for the training rows (or
    ``None`` when no candidate uses the prior).
    """

    def __init__(
        self,
        X,
        y,
        y_encoded,
        classes,
        margin,
        folds,
        *,
        task,
        booster,
        scoring,
        random_state,
        progress=None,
    ):
        self.X, self.y, self.y_encoded, self.classes = X, y, y_encoded, classes
        self.margin, self.folds, self.task = margin, folds, task
        self.booster, self.random_state = booster, random_state
        self.scorer: Callable = get_scorer(scoring)
        self.progress = progress

    def fold_margin(self, scale, params, train, test) -> np.ndarray:
        """Held-out margin of one candidate on one fold."""
        if scale == PRIOR_ONLY:
            return self.margin[test]
        start = None if scale == 0 else scale * self.margin
        n_classes = len(self.classes) if self.classes is not None else 0
        booster = make_booster(self.booster, params, self.task, n_classes, self.random_state)
        booster.fit(
            self.X.iloc[train], self.y_encoded[train], None if start is None else start[train]
        )
        return booster.predict_margin(self.X.iloc[test], None if start is None else start[test])

    def score(self, scale, params) -> list[float]:
        """Test score on every fold."""
        scores = []
        for train, test in self.folds:
            held_out = self.fold_margin(scale, params, train, test)
            full = np.zeros((len(self.X),) + held_out.shape[1:])
            full[test] = held_out
            scores.append(
                float(self.scorer(_stand_in(self.task, self.classes, full), test, self.y[test]))
            )
            if self.progress is not None:
                self.progress.update(1)
        return scores


def _stand_in(task, classes, margin):
    return _Regressed(margin) if task == "regression" else _Classified(classes, margin)


def results_table(candidates: list[tuple], scores: list[list[float]]) -> dict:
    """``cv_results_`` in scikit-learn's layout: one entry per candidate."""
    table = np.asarray(scores)
    means = table.mean(axis=1)
    order = (-means).argsort(kind="stable")
    rank = np.empty(len(means), dtype=int)
    rank[order] = np.arange(1, len(means) + 1)
    results = {
        "scale": [c[0] for c in candidates],
        "params": [c[1] for c in candidates],
        "mean_test_score": means,
        "std_test_score": table.std(axis=1),
        "rank_test_score": rank,
    }
    for i in range(table.shape[1]):
        results[f"split{i}_test_score"] = table[:, i]
    return results


def grid_search(cv: CVScorer, scales: list, params: dict | None) -> tuple[dict, int]:
    """Score every scale with the same booster parameters; returns (results, best index)."""
    candidates = [(s, None if s == PRIOR_ONLY else params) for s in scales]
    scores = [cv.score(s, p) for s, p in candidates]
    results = results_table(candidates, scores)
    return results, int(np.argmax(results["mean_test_score"]))


def search_space(trial, booster: str) -> dict:
    """Booster parameters optuna tunes together with the scale."""
    params = {
        "n_estimators": trial.suggest_int("n_estimators", 50, 500, log=True),
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
        "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 10.0, log=True),
    }
    if booster == "xgboost":
        params["max_depth"] = trial.suggest_int("max_depth", 2, 8)
        params["min_child_weight"] = trial.suggest_float("min_child_weight", 0.5, 10.0, log=True)
    else:
        params["num_leaves"] = trial.suggest_int("num_leaves", 4, 64, log=True)
        params["min_child_samples"] = trial.suggest_int("min_child_samples", 2, 50, log=True)
        params["subsample_freq"] = 1
    return params


def optuna_search(
    cv: CVScorer, scales: list, params: dict | None, n_trials: int, seed: int | None
) -> tuple[dict, int]:
    """Tune scale and booster parameters jointly with optuna's TPE on the same folds.

    The prior alone, when among ``scales``, is scored once beside the trials.
    """
    import optuna

    tree_scales = [s for s in scales if s != PRIOR_ONLY]
    candidates, scores = [], []

    def objective(trial):
        scale = trial.suggest_categorical("scale", tree_scales)
        trial_params = {**(params or {}), **search_space(trial, cv.booster)}
        fold_scores = cv.score(scale, trial_params)
        candidates.append((scale, trial_params))
        scores.append(fold_scores)
        return float(np.mean(fold_scores))

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=n_trials)
    if PRIOR_ONLY in scales:
        candidates.append((PRIOR_ONLY, None))
        scores.append(cv.score(PRIOR_ONLY, None))
    results = results_table(candidates, scores)
    return results, int(np.argmax(results["mean_test_score"]))


def progress_bar(total: int, enabled: bool):
    """A tqdm bar over fold fits, or ``None`` when quiet."""
    return tqdm(total=total, desc="scale search", unit="fit", leave=False) if enabled else None
