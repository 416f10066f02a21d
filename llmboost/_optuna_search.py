"""The fusion search tuned with optuna, and the choice of the best-scored candidate
that it shares with the grid search of :mod:`llmboost.scale_search`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._cv_results import results_table
from ._params import brief
from ._scorer_stand_ins import _name
from ._search_loss import booster_loss
from ._study import leaf_bounds, run_study, suggest, tunable
from .boosters import BOOSTERS, n_estimators
from .fusion_inputs import PRIOR_ONLY

if TYPE_CHECKING:
    from .scale_search import CVScorer


def check_scored(cv: CVScorer, scores: list[list[float]]) -> None:
    """Raise when the scorer gave no candidate a finite score: nothing to choose by."""
    table = np.asarray(scores, dtype=float)
    means = table.mean(axis=1)
    if cv.scorer is None or np.isfinite(means).any():
        return
    if cv.scorer_overflowed:
        raise ValueError(
            f"scoring={_name(cv.scoring)} overflowed on every candidate: its arithmetic passed "
            "float64's largest value (1.8e308; the square of an error past 1.3e154 does), "
            "so the search has nothing to choose by: use scoring=None (the search's own "
            "loss, computed in the target's unit) or a target in smaller units."
        )
    folds = np.flatnonzero(np.isnan(table).all(axis=0)).tolist()
    if np.isnan(means).all() and folds:
        one = [i for i in folds if len(np.unique(cv.y_encoded[cv.folds[i][1]])) < 2]
        what = "class" if cv.task == "classification" else "value of y"
        why = f" (the test rows of fold {one[0]} hold a single {what})" if one else ""
        raise ValueError(
            f"scoring={_name(cv.scoring)} scored NaN on folds {folds[:10]} for every "
            f"candidate{why}, so the search has nothing to choose by: use scoring=None, or "
            "folds whose test rows it can score (StratifiedKFold for a classifier)."
        )
    if cv.scorer_infinite or np.isnan(means).all():  # else margins past the limit: refused
        raise ValueError(
            f"scoring={_name(cv.scoring)} gave no candidate a finite mean score (the first "
            f"one's fold scores: {brief(table[0].tolist())}), so the search has nothing to "
            "choose by: use scoring=None, or a scorer that returns finite numbers."
        )


def best_of(means, is_prior: list[bool]) -> int:
    """Index of the best mean score; a tie (common with roc_auc on few rows) goes to the
    prior alone, the simpler model, and otherwise to the first candidate."""
    means = np.asarray(means, dtype=float)
    means = np.where(np.isnan(means), -np.inf, means)
    tied = np.flatnonzero(means == means.max())
    return int(next((i for i in tied if is_prior[i]), tied[0]))


def optuna_search(
    cv: CVScorer, scales: list, params: dict | None, n_trials: int, seed: int | None
) -> tuple[dict, list[tuple[float, int, float]], dict | None]:
    """Tune scale and booster parameters jointly with optuna's TPE on the same folds.

    The prior alone, when among ``scales``, is scored once beside the trials.

    Parameters
    ----------
    cv : CVScorer
        The folds and the prior's margin the trials are scored on.
    scales : list
        The scales a trial picks from; ``"prior"`` adds the prior alone.
    params : dict or None
        Booster parameters the user set: fixed in every trial, and not in the search
        space (optuna proposes no value for them).
    n_trials : int
    seed : int or None
        Seeds the sampler.

    Returns
    -------
    cv_results : dict
    members : list of one (scale, n_rounds, weight)
    params : dict or None
        The chosen member's booster parameters.
    """
    tree_scales = [s for s in scales if s != PRIOR_ONLY]
    cv.loss = booster_loss(cv.booster, cv.task, params)
    candidates, searched, scores, times = [], [], [], []
    space = tunable(cv.booster, BOOSTERS[cv.booster].search_space(), params)
    hessian = 1.0 if cv.task == "regression" else 0.25 if len(cv.classes) == 2 else 0.5
    space = leaf_bounds(cv.booster, space, params, cv.folds, cv.sample_weight, hessian)

    def objective(trial):
        scale = trial.suggest_categorical("scale", tree_scales)
        values = suggest(trial, space)  # nothing the user set is proposed
        trial_params = {**values, **(params or {})}
        fold_scores, *seconds = cv.timed_score(scale, trial_params)
        candidates.append((scale, trial_params))
        searched.append({"scale": scale} | {k: v for k, v in values.items() if k in trial.params})
        scores.append(fold_scores)
        times.append(seconds)
        return float(np.mean(fold_scores))

    run_study(objective, n_trials, seed)  # a trial's error is raised as it is
    if PRIOR_ONLY in scales:
        candidates.append((PRIOR_ONLY, None))
        searched.append({"scale": PRIOR_ONLY})
        fold_scores, *seconds = cv.timed_score(PRIOR_ONLY, None)
        scores.append(fold_scores)
        times.append(seconds)
    check_scored(cv, scores)
    results = results_table(searched, scores, times=tuple(zip(*times)))
    best = best_of(results["mean_test_score"], [c[0] == PRIOR_ONLY for c in candidates])
    scale, best_params = candidates[best]
    if scale == PRIOR_ONLY:
        return results, [(1.0, 0, 1.0)], None
    return results, [(float(scale), n_estimators(cv.booster, best_params), 1.0)], best_params


__all__ = ["best_of", "check_scored", "optuna_search"]
