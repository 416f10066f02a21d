"""The unit regression trees train in: a target far from 1 in size is fitted in its own unit."""

from __future__ import annotations

import numpy as np

from ._library_params import OBJECTIVE_KEYS


def unit_for(y, sample_weight=None) -> tuple[float, float]:
    """``(unit, center)`` regression trees train in: the target's standard deviation
    (else 1) and mean, over the rows' weights (a row of weight 0 counts for nothing).

    XGBoost refuses a split whose gain is below a fixed 1e-6, so a target measured in
    small units (standard deviation 1e-3 or less) got few or no trees, and one near
    float32's limit (both libraries store labels as float32) overflowed; a target far
    from 0 (``1e9 + y``) lost its digits in float32. Trees trained on
    ``(y - center) / unit`` (with the margin alike) and read times ``unit`` plus
    ``center`` are those of ``y`` otherwise (squared error; only loss thresholds,
    XGBoost ``gamma`` and LightGBM ``min_split_gain``, and the L1 penalty ``reg_alpha``
    then apply to ``y / unit``).
    """
    y = np.asarray(y, dtype=np.float64)
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, np.float64)
    if not w.sum() > 0:
        w = np.ones(len(y))
    y, w = y[w > 0], w[w > 0]  # rows of weight 0 would set the unit of rows they do not train
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if not np.isfinite(peak) or peak == 0:
        return 1.0, 0.0
    scaled = y / peak  # no overflow for |y| near float64's limit
    mean = float(np.average(scaled, weights=w))
    spread = peak * float(np.sqrt(np.average((scaled - mean) ** 2, weights=w)))
    return (spread if spread > 0 else 1.0), peak * mean


#: Losses of the residual alone, started from a weighted mean or quantile of the target.
_RESIDUAL_LOSSES = (
    "reg:absoluteerror", "reg:quantileerror", "regression_l1", "l1", "mean_absolute_error",
    "mae", "huber", "fair", "quantile",
)  # fmt: skip


#: Metrics whose best round is the same on ``(y - center) / unit`` (XGBoost, LightGBM);
#: the second tuple only on ``y - center`` (their thresholds are in the target's units).
_AFFINE_METRICS = (
    "rmse", "mae", "quantile", "l1", "mean_absolute_error", "regression_l1", "l2",
    "mean_squared_error", "mse", "regression_l2", "regression", "l2_root",
    "root_mean_squared_error", "",
)  # fmt: skip
_SHIFT_METRICS = ("mphe", "huber", "fair")
_METRIC_KEYS = ("eval_metric", "metric", "metrics", "metric_types")


def _metrics_hold(params: dict, unit: float) -> bool:
    """Whether early stopping on the metrics of ``params`` (named, or the loss's own)
    picks the same round on the target in the trees' unit (``unit``, centred); a least
    gain to go on is in the target's units."""
    callbacks = params.get("callbacks") or ()  # XGBoost's EarlyStopping(min_delta=...)
    if float(params.get("early_stopping_min_delta") or 0) or any(
        getattr(c, "_min_delta", 0) for c in callbacks
    ):  # the least gain to go on, in y's units
        return False
    kept = _AFFINE_METRICS + (_SHIFT_METRICS if unit == 1.0 else ())
    kept += ("mphe",) if _pseudo_huber(params) else ()  # its huber_slope is in the unit too
    for key in _METRIC_KEYS:
        value = params.get(key)
        names = value.split(",") if isinstance(value, str) else value
        names = names if isinstance(names, list | tuple) else [names]  # a callable, ...
        if value is not None and any(n not in kept for n in names):
            return False
    return True


def trees_unit(booster, y, margin, sample_weight=None, eval_set=None) -> tuple[float, float]:
    """``(unit, center)`` an adapter's fit trains in: on ``(y - center) / unit``.

    Squared-error regression, and XGBoost's pseudo-Huber loss with its ``huber_slope``
    in the unit too (:func:`fixed_start`; a target in 1e-6 units got no tree at all):
    :func:`unit_for`. Other losses of the residual (absolute error, quantiles, Huber,
    ...): the centre alone (their thresholds are in the target's units), so that a
    target far from 0 keeps its digits in the libraries' float32 labels (XGBoost's
    absolute error on ``1e7 + y`` had R^2 -0.01). XGBoost starts its pseudo-Huber loss
    one Newton step away from 0, which lands far off on a target far from 0 (1e6 for
    targets near 100: R^2 -1e11); centred, it starts near the mean. Other losses and
    classification: ``(1, 0)``. A start the user fixed (``base_score``,
    ``boost_from_average=False``) is not centred. With ``eval_set``, a metric that
    differs on the centred target (MAPE, gamma deviance, ...; XGBoost's MAPE stopped
    after 41 rounds where plain XGBoost took 42), or a least gain to go on (LightGBM's
    ``early_stopping_min_delta``, XGBoost's ``EarlyStopping(min_delta=)``) keeps
    ``(1, 0)``.
    """
    params = booster.params
    losses = [params[key] for key in OBJECTIVE_KEYS if params.get(key) is not None]
    if booster.squared_error or (booster.task == "regression" and _pseudo_huber(params)):
        unit, center = unit_for(y, sample_weight)
    elif booster.task == "regression" and losses and set(losses) <= set(_RESIDUAL_LOSSES):
        unit, center = 1.0, unit_for(y, sample_weight)[1]
    else:  # a loss of y itself (MAPE, squared log error) or classification
        return 1.0, 0.0
    if eval_set is not None and not _metrics_hold(params, unit):
        return 1.0, 0.0  # early stopping reads the metric in the target's own units
    if margin is None and ("base_score" in params or not params.get("boost_from_average", True)):
        center = 0.0  # the trees start from the user's constant, not the data
    return unit, center


def fixed_start(booster, margin) -> dict:
    """XGBoost's ``base_score``, when the user fixed it, and ``huber_slope``, in the
    trees' unit.

    Regression trees train on ``y / unit_`` when the user gives ``base_score`` (no
    centre), so the library must start from ``base_score / unit_`` for the model to
    start from ``base_score``; a starting margin replaces ``base_score`` altogether.
    The pseudo-Huber loss of ``y / unit_`` with ``huber_slope / unit_`` is that of
    ``y`` over ``unit_ ** 2``: the same trees, read times ``unit_``.
    """
    unit, start, out = target_unit(booster), booster.params.get("base_score"), {}
    if unit == 1.0:
        return out
    if margin is None and start is not None:
        out["base_score"] = _start_number(start) / unit
    if _pseudo_huber(booster.params):  # XGBoost's default slope is 1
        out["huber_slope"] = float(booster.params.get("huber_slope", 1.0)) / unit
    return out


def _start_number(start) -> float:
    """A regressor's ``base_score`` as a number, read as XGBoost reads it: a number, its
    text, or one of either in a list or its text (``"[3.0]"``, ``" [3.0,]"``: XGBoost
    takes spaces around the list and a comma after its last value)."""
    text = start.strip() if isinstance(start, str) else ""
    values = np.ravel([v for v in text[1:-1].split(",") if v.strip()] if text[:1] == "[" else start)
    if values.size != 1:
        raise ValueError(
            f"booster_params base_score={start!r} gives {values.size} values, but a regressor "
            "fits one number per row; give one number (the trees' start)."
        )
    return float(values[0])


def past_float32(params: dict, margin, sample_weight) -> tuple:
    """``(margin, sample_weight)`` XGBoost's absolute and quantile losses train on.

    They failed ("Check failed: h_row_set.empty()") on a starting margin past float32 (a
    scale that overflows), which squared error trains on: those rows train from 0 at
    weight 0 (all rows at their weights when no other is left). Their margin stays
    infinite whatever the trees, so the search scores them -inf and a fixed scale is
    refused, as with squared error.
    """
    losses = {params.get(key) for key in OBJECTIVE_KEYS}
    held = np.abs(0.0 if margin is None else margin) <= np.finfo(np.float32).max
    if np.all(held) or not losses & {"reg:absoluteerror", "reg:quantileerror"}:
        return margin, sample_weight
    w = np.ones(len(held)) if sample_weight is None else np.asarray(sample_weight, np.float64)
    return np.where(held, margin, 0.0), w * held if (w * held).any() else w


def _pseudo_huber(params: dict) -> bool:
    """Whether ``params`` name XGBoost's pseudo-Huber loss."""
    return any(params.get(key) == "reg:pseudohubererror" for key in OBJECTIVE_KEYS)


def target_unit(booster) -> float:
    """What a fitted adapter's trees are multiplied by (1 but for regression)."""
    return float(getattr(booster, "unit_", 1.0))


def target_center(booster) -> float:
    """What a fitted adapter's regression trees were centred on (0 but for regression)."""
    return float(getattr(booster, "center_", 0.0))


__all__ = ["fixed_start", "past_float32", "target_center", "target_unit", "trees_unit", "unit_for"]
