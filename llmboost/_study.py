"""The optuna study of the tuning search (``n_trials``): seeded, quiet, and failing as its trial."""

from __future__ import annotations

import math
from collections.abc import Callable


def run_study(objective: Callable, n_trials: int, seed: int | None) -> None:
    """Maximise ``objective`` over ``n_trials`` trials of optuna's TPE seeded by ``seed``.

    Optuna logs at the user's verbosity or quieter (at most warnings) and is left as it
    was. The first error a trial raises stops the study and is raised as it is, without
    optuna's warning and traceback of the failed trial before it. A NaN score (a scorer
    that could not score) is the worst score, not a failed trial.

    Parameters
    ----------
    objective : callable
        ``objective(trial) -> float``.
    n_trials : int
    seed : int or None
    """
    import optuna

    failed: list[Exception] = []

    def trial_of(trial):
        try:
            value = objective(trial)
        except Exception as error:  # raised below, once the study has stopped
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


__all__ = ["run_study", "suggest"]
