"""The regression loss the default search scores by: the booster's own.

Absolute error, quantile, (pseudo-)Huber, fair, MAPE and squared log error boosters are
scored by that loss per row; squared error by squared error. All but the squared log
error are convex in the prediction, which is the margin, so averaging members' margins
(the ensemble selection) never scores worse than the members' mean loss.
"""

from __future__ import annotations

import json
from typing import NamedTuple

import numpy as np

from ._library_params import OBJECTIVE_KEYS
from .boosters import make_booster

#: The libraries' names of the losses scored as themselves: llmboost's name for each.
_LOSSES = {
    "xgboost": {
        "reg:absoluteerror": "absolute_error",
        "reg:quantileerror": "quantile",
        "reg:pseudohubererror": "pseudo_huber",
        "reg:squaredlogerror": "squared_log_error",
    },
    "lightgbm": {
        **dict.fromkeys(("regression_l1", "l1", "mean_absolute_error", "mae"), "absolute_error"),
        "quantile": "quantile",
        "huber": "huber",
        "fair": "fair",
        **dict.fromkeys(("mape", "mean_absolute_percentage_error"), "mape"),
    },
}
#: The parameter of a loss and the library's default for it.
_PARAMETERS = {
    ("xgboost", "quantile"): ("quantile_alpha", None),  # required: the adapter checks it
    ("xgboost", "pseudo_huber"): ("huber_slope", 1.0),
    ("lightgbm", "quantile"): ("alpha", 0.9),
    ("lightgbm", "huber"): ("alpha", 0.9),
    ("lightgbm", "fair"): ("fair_c", 1.0),
}


class SearchLoss(NamedTuple):
    """A regression loss other than squared error: its ``name`` and parameter (the
    quantile, or the Huber threshold or slope; 0 for absolute error)."""

    name: str
    param: float = 0.0


def booster_loss(library: str, task: str, params: dict | None) -> SearchLoss | None:
    """The loss a booster trains by, when the search scores by it; ``None`` for squared
    error (the default), other losses and classification.

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    task : {"classification", "regression"}
    params : dict or None
        The user's ``booster_params``: checked (the adapter's errors) and read under
        their main names.

    Returns
    -------
    SearchLoss or None
    """
    if task != "regression":
        return None
    given = make_booster(library, params, task, None).params
    names = [given[key] for key in OBJECTIVE_KEYS if isinstance(given.get(key), str)]
    name = _LOSSES[library].get(names[0]) if names else None
    if name is None:
        return None
    key, default = _PARAMETERS.get((library, name), (None, 0.0))
    value = given.get(key, default) if key else default
    try:
        value = json.loads(value) if isinstance(value, str) else value  # XGBoost reads JSON
        return SearchLoss(name, float(np.ravel(value)[0]))
    except (TypeError, ValueError):  # the fits raise the library's own error
        return None


def loss_of_rows(margin, y, loss: SearchLoss, unit: float) -> np.ndarray:
    """Per-row ``loss`` of margins (the predictions) in ``unit``: that of ``y / unit``
    with the threshold or slope over ``unit``, which is the loss over ``unit``
    (absolute, quantile), ``unit ** 2`` (Huber, fair) or 1 (MAPE, squared log error, which
    are read in the target's own units): :func:`loss_scale`."""
    r = y / unit - margin / unit
    if loss.name == "absolute_error":
        return np.abs(r)
    if loss.name == "quantile":
        return np.maximum(loss.param * r, (loss.param - 1.0) * r)
    if loss.name == "mape":  # LightGBM's: over max(1, |y|)
        return np.abs(r) / np.maximum(1.0 / unit, np.abs(y / unit))
    if loss.name == "squared_log_error":  # XGBoost reads a prediction below -1 as just above
        return (np.log1p(np.maximum(margin, -1.0 + 1e-6)) - np.log1p(y)) ** 2
    delta, size = loss.param / unit, np.abs(r)
    if loss.name == "huber":
        return np.where(size <= delta, 0.5 * r**2, delta * (size - 0.5 * delta))
    if loss.name == "fair":
        return delta**2 * (size / delta - np.log1p(size / delta))
    # pseudo-Huber: delta^2 (sqrt(1 + (r / delta)^2) - 1), without cancellation near 0
    return r**2 / (np.sqrt(1.0 + (r / delta) ** 2) + 1.0)


def loss_scale(loss: SearchLoss, unit: float) -> float:
    """What the mean of :func:`loss_of_rows` in ``unit`` is multiplied by to be in the
    target's units."""
    if loss.name in ("mape", "squared_log_error"):
        return 1.0
    return unit**2 if loss.name in ("huber", "pseudo_huber", "fair") else unit


__all__ = ["SearchLoss", "booster_loss", "loss_of_rows", "loss_scale"]
