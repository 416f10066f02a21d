"""The optuna study of the tuning search (``n_trials``): its space, and a study seeded,
quiet, and failing as its trial."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from numbers import Integral, Real

import numpy as np

from ._library_params import _LIGHTGBM_BOOSTING, _TREE_ONLY, boosting_mode
from ._param_tables import NEG, POS
from ._validation import _to_float

#: The libraries' other names of the parameters the search tunes (``n_trials``) that
#: :data:`~llmboost._library_params.ALIASES` does not rename or refuse (as LightGBM's
#: ``eta``).
_TUNED_ALIASES = {
    "xgboost": {"reg_lambda": ("lambda",)},
    "lightgbm": {
        "subsample": ("bagging_fraction", "sub_row", "bagging"),
        "subsample_freq": ("bagging_freq",),
        "reg_lambda": ("lambda_l2", "lambda"),
        "min_child_samples": ("min_data_in_leaf", "min_data", "min_samples_leaf"),
    },
}

#: LightGBM's bagging fractions of each class: below 1, it bags by them, not by subsample.
_CLASS_BAGGING = ("pos_bagging_fraction", *POS, "neg_bagging_fraction", *NEG)

#: XGBoost's parameters of its trees' rows and leaves, which its linear booster ignores.
_TREE_SAMPLING = ("min_child_weight", "subsample")


def run_study(objective: Callable, n_trials: int, seed: int | None) -> None:
    """Maximise ``objective`` over ``n_trials`` trials of optuna's TPE seeded by ``seed``.

    Optuna logs at the user's verbosity or quieter (at most warnings) and is left as it
    was. The first error a trial raises (or a Ctrl-C during it) stops the study and is
    raised as it is, without optuna's warning and traceback of the failed trial before
    it. A NaN score (a scorer that could not score) is the worst score, not a failed trial.

    Parameters
    ----------
    objective : callable
        ``objective(trial) -> float``.
    n_trials : int
    seed : int or None
    """
    import optuna

    failed: list[BaseException] = []

    def trial_of(trial):
        try:
            value = objective(trial)
        except (Exception, KeyboardInterrupt) as error:  # raised once the study has stopped
            failed.append(error)
            trial.study.stop()
            raise optuna.TrialPruned() from None
        return -math.inf if math.isnan(value) else value  # optuna fails a NaN, loudly

    previous = optuna.logging.get_verbosity()  # the user's, for their own studies
    optuna.logging.set_verbosity(max(previous, optuna.logging.WARNING))
    try:
        sampler = optuna.samplers.TPESampler(seed=seed)
        optuna.create_study(direction="maximize", sampler=sampler).optimize(trial_of, n_trials)
    finally:
        optuna.logging.set_verbosity(previous)
    if failed:
        raise failed[0]


def suggest(trial, space: dict) -> dict:
    """The trial's values of ``space``: a value for each of its optuna distributions
    (and the values it holds as they are).

    Parameters
    ----------
    trial : optuna.Trial
    space : dict
        Parameter names and optuna's ``IntDistribution`` or ``FloatDistribution`` (or a
        value).

    Returns
    -------
    dict
    """
    from optuna.distributions import FloatDistribution, IntDistribution

    values = {}
    for name, value in space.items():
        if isinstance(value, IntDistribution | FloatDistribution):
            propose = (
                trial.suggest_int if isinstance(value, IntDistribution) else trial.suggest_float
            )
            value = propose(name, value.low, value.high, step=value.step, log=value.log)
        values[name] = value
    return values


def tunable(library: str, space: dict, fixed: dict | None) -> dict:
    """The part of the search ``space`` that goes with the user's ``fixed`` parameters.

    A parameter the user fixed, also under another of the library's names (XGBoost
    ``lambda``, LightGBM ``bagging_fraction``, ``lambda_l2``, ...), is not tuned (optuna
    would model a value that does nothing): XGBoost would read the trial's value in
    place of the user's ``lambda``, LightGBM the user's while the trial's went into
    ``cv_results_``. LightGBM's GOSS samples rows by gradient and
    refuses bagging, so the row subsample (and its frequency) is not tuned with it, nor
    with ``subsample_freq=0``, which turns bagging off, nor the subsample alone with a
    class's bagging fraction below 1 (``pos_bagging_fraction``), which LightGBM bags by
    in its place; with ``max_depth`` fixed,
    LightGBM's ``num_leaves`` is tuned only up to the ``2**max_depth`` leaves such a tree
    can have (not at all when that is the range's bottom). XGBoost's linear booster
    grows no trees, so nothing of them is tuned with it.

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    space : dict
        The adapter's search space (:meth:`~llmboost.boosters.Booster.search_space`).
    fixed : dict or None
        The user's ``booster_params``, aliases renamed (:func:`canonical_params`).

    Returns
    -------
    dict
    """
    fixed = _as_read(fixed)
    aliases = _TUNED_ALIASES.get(library, {})
    space = {
        k: v for k, v in space.items() if not any(a in fixed for a in (k, *aliases.get(k, ())))
    }
    if library == "xgboost" and boosting_mode(library, fixed) == "gblinear":
        return {k: v for k, v in space.items() if k not in _TREE_ONLY + _TREE_SAMPLING}
    if library != "lightgbm":
        return space
    space = _within_depth(space, fixed.get("max_depth"))
    keys = ("data_sample_strategy", *_LIGHTGBM_BOOSTING)
    goss = any(str(fixed.get(k)).lower() == "goss" for k in keys)
    unbagged = any(fixed.get(k) == 0 for k in ("subsample_freq", "bagging_freq"))
    if not (goss or unbagged):
        by_class = any((_to_float(fixed.get(k)) or 1) < 1 for k in _CLASS_BAGGING)
        return {k: v for k, v in space.items() if k != "subsample"} if by_class else space
    return {k: v for k, v in space.items() if k not in ("subsample", "subsample_freq")}


def _as_read(fixed: dict | None) -> dict:
    """``fixed`` with the text of a whole number as the int the boosters read it as
    (``max_depth="3"`` is 3: the search tuned as if no depth were given)."""
    whole = re.compile(r"\s*[+-]?\d+\s*")
    return {
        k: int(v) if isinstance(v, str) and whole.fullmatch(v) else v
        for k, v in (fixed or {}).items()
    }


def _within_depth(space: dict, depth) -> dict:
    """``space`` with ``num_leaves`` at most ``2**depth``: LightGBM grows no more leaves
    in a tree of that depth, and a trial's larger value did nothing."""
    whole = isinstance(depth, Integral) and not isinstance(depth, bool)
    if not whole or not 0 < depth < 31:  # <= 0: no limit
        return space
    return _leaves_at_most(space, 2**depth)


def _leaves_at_most(space: dict, top: int) -> dict:
    """``space`` with LightGBM's ``num_leaves`` tuned up to ``top`` (not at all when that
    is its range's bottom: the default then grows as many leaves as a trial could)."""
    leaves = space.get("num_leaves")
    if leaves is None or top >= leaves.high:
        return space
    if top <= leaves.low:
        return {k: v for k, v in space.items() if k != "num_leaves"}
    return {**space, "num_leaves": type(leaves)(leaves.low, top, log=leaves.log)}


def leaf_bounds(library: str, space: dict, fixed: dict | None, folds, weight, hessian: float):
    """``space`` with the least a leaf must hold cut to what the training folds can hold.

    A split makes two leaves, each with at least LightGBM's ``min_child_samples`` rows
    or XGBoost's ``min_child_weight`` of hessian. Above half of what the smallest
    training fold holds (at the lowest row subsample a trial may train with), no split
    is possible and a trial grows no tree: on 40 rows (5 folds), 2 to 5 trials in 30 did.
    The range's top is cut there (never below its bottom). LightGBM's ``num_leaves`` is
    tuned only up to as many leaves as the largest training fold fills with the fewest
    rows a leaf may hold: it grows no more.

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    space : dict
        The search space, fixed parameters taken out (:func:`tunable`).
    fixed : dict or None
        The user's ``booster_params``, aliases renamed.
    folds : list of (train, test)
    weight : ndarray or None
        The rows' weights.
    hessian : float
        The most hessian a row of weight 1 has: 1 for squared error, 1/4 for log loss.

    Returns
    -------
    dict
    """
    name = "min_child_samples" if library == "lightgbm" else "min_child_weight"
    fixed = _as_read(fixed)
    if library == "lightgbm":  # no more leaves than the largest fold's rows fill
        least = getattr(space.get(name), "low", None)
        names = (name, *_TUNED_ALIASES[library][name])
        least = next((fixed[k] for k in names if k in fixed), least)
        if isinstance(least, Integral) and least > 0:
            space = _leaves_at_most(space, max(len(tr) for tr, _ in folds) // least)
    if name not in space:
        return space
    rows = min(len(train) for train, _ in folds)
    held = rows if library == "lightgbm" or weight is None else min(
        float(np.sum(weight[train])) for train, _ in folds)  # fmt: skip
    share = getattr(space.get("subsample"), "low", _to_float(fixed.get("subsample")))
    if not isinstance(share, Real) or not 0 < share <= 1:
        share = 1.0
    top = held * share * (1.0 if library == "lightgbm" else hessian) / 2
    bound = space[name]
    top = max(bound.low, min(bound.high, int(top) if library == "lightgbm" else top))
    return {**space, name: type(bound)(bound.low, top, log=bound.log)}


__all__ = ["leaf_bounds", "run_study", "suggest", "tunable"]
