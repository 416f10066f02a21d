"""Named losses: those refused, with what to give instead, and XGBoost's quantiles."""

from __future__ import annotations

import json

import numpy as np

from ._library_params import OBJECTIVE_KEYS
from ._tree_unit import _RESIDUAL_LOSSES as _CENTRED
from ._tree_unit import unit_for
from ._validation import _to_float

#: The losses llmboost takes under the other library's name, by library: its own name.
_OTHER_LOSSES = {
    "xgboost": {
        **dict.fromkeys(
            ("regression", "regression_l2", "l2", "mean_squared_error", "mse", "l2_root",
             "root_mean_squared_error", "rmse"), "'reg:squarederror'"),
        **dict.fromkeys(
            ("regression_l1", "l1", "mean_absolute_error", "mae"), "'reg:absoluteerror'"),
        "huber": "'reg:pseudohubererror'",
        "quantile": "'reg:quantileerror' (with quantile_alpha, the quantile)",
        "binary": "'binary:logistic'",
        **dict.fromkeys(("multiclass", "softmax"), "'multi:softprob'"),
    },
    "lightgbm": {
        **dict.fromkeys(("reg:squarederror", "reg:linear"), "'regression'"),
        "reg:absoluteerror": "'l1'",
        "reg:pseudohubererror": "'huber' (with alpha, its threshold)",
        "reg:quantileerror": "'quantile' (with alpha, the quantile)",
        **dict.fromkeys(("binary:logistic", "binary:logitraw"), "'binary'"),
        **dict.fromkeys(("multi:softprob", "multi:softmax"), "'multiclass'"),
    },
}  # fmt: skip


def refused_loss(
    library: str, task: str, key: str, loss: str, taken: tuple, shown: str | None = None
) -> str:
    """Why a named loss of ``params`` is refused, and what to give instead.

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    task : {"classification", "regression"}
    key : str
        Where ``params`` name it (``objective``, or an alias).
    loss : str
        A loss not among ``taken``.
    taken : tuple of str
        The losses the adapter takes for ``task``: those whose prediction is the margin.
    shown : str, default=None
        The loss as the user gave it (LightGBM's is read in lower case).

    Returns
    -------
    str
        A loss taken in another case or with spaces gets its name; the other library's
        name (``"huber"`` to XGBoost) gets this library's; a loss with a link (a log or
        logistic one) the losses taken.
    """
    name = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}[library]
    given = loss if shown is None else shown
    if loss.strip().lower() in taken:  # XGBoost reads its names as they are written
        return (
            f"booster_params {key}={given!r} is no loss {name} knows: it names its losses in "
            f"lower case, without spaces; give {key}={loss.strip().lower()!r}."
        )
    other = _OTHER_LOSSES[library].get(loss, "")
    if other.split("'")[1:2] and other.split("'")[1] in taken:  # one of this task's losses
        return (
            f"booster_params {key}={given!r} is the other library's name: {name} calls this "
            f"loss {other}."
        )
    kind, reads = ("regressor", "the prediction") if task == "regression" else (
        "classifier", "logits")  # fmt: skip
    return (
        f"booster_params {key}={given!r} is not supported: this {kind} adds the prior to the "
        f"trees' margin and reads the margin as {reads}, so it takes losses without a link "
        f"({', '.join(taken)})"
        + ("; for counts or positive targets, fit log1p(y) instead." if kind == "regressor"
           else ".")
    )  # fmt: skip


def check_quantiles(params: dict) -> None:
    """Refuse XGBoost's quantile loss with no quantile or several (also as text, which
    XGBoost reads as JSON): its model of several predicts one column each.

    Parameters
    ----------
    params : dict
        XGBoost's parameters.

    Raises
    ------
    ValueError
        Naming ``quantile_alpha``, before any fit (XGBoost's own errors came at fit,
        after the prior's scores).
    """
    alphas = given = params.get("quantile_alpha")
    if isinstance(alphas, str):
        try:
            alphas = json.loads(alphas)
        except ValueError:  # XGBoost says what is wrong with it
            pass
    if np.size(alphas) > 1:
        raise ValueError(
            f"booster_params quantile_alpha={given!r}: XGBoost then predicts one column "
            "per quantile, and llmboost fits one target; give one quantile (one model each)."
        )
    if np.size(alphas) == 0 or alphas is None:
        if params.get("objective") == "reg:quantileerror":
            raise ValueError(
                "booster_params objective='reg:quantileerror' needs quantile_alpha, the "
                "quantile to fit (e.g. 0.9): XGBoost has no default for it."
            )


def check_loss_params(library: str, params: dict) -> None:
    """Refuse a loss parameter outside the range the library takes (both refused it at
    the first fit, after the prior's scores: XGBoost "quantile alpha must be in the range
    [0.0, 1.0]", LightGBM "Check failed: alpha_ > 0 && alpha_ < 1"), and XGBoost's
    quantiles but one (:func:`check_quantiles`).

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    params : dict
        The library's parameters.

    Raises
    ------
    ValueError
        Naming the parameter, its value and the range.
    """
    if library == "xgboost":
        check_quantiles(params)
        rules = {
            "quantile_alpha": (lambda a: 0 <= a <= 1, "from 0 to 1 (the quantile to fit)"),
            "huber_slope": (lambda s: s != 0, "other than 0"),
        }
    else:
        quantile = "quantile" in [params.get(key) for key in OBJECTIVE_KEYS]
        alpha = (lambda a: 0 < a < 1, "strictly between 0 and 1 (the quantile to fit)")
        rules = {
            "alpha": alpha if quantile else (lambda a: a > 0, "above 0"),
            "fair_c": (lambda c: c > 0, "above 0"),
        }
    name = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}[library]
    for key, (holds, where) in rules.items():
        value = _one_number(params.get(key))
        if value is not None and not holds(value):
            raise ValueError(f"booster_params {key}={params[key]!r}: {name} takes it {where}.")


def _one_number(value) -> float | None:
    """``value`` (or its JSON text, or a list of one) as :func:`_to_float` reads it;
    ``None`` for anything else, which the other checks name."""
    try:
        value = json.loads(value) if isinstance(value, str) else value
        return _to_float(np.ravel(value)[0]) if np.size(value) == 1 else None
    except (TypeError, ValueError):  # not JSON, or a ragged list
        return None


#: Losses trained on the target in its own unit, beside the centred ones (``_CENTRED``,
#: the tree unit's losses of the residual): its float32 labels must hold it (``1e120 * y``
#: overflowed, ``1e-120 * y`` became 0: R^2 0.0).
_OWN_UNIT = ("mape", "mean_absolute_percentage_error", "reg:squaredlogerror")
_TINY, _MAX = float(np.finfo(np.float32).tiny), float(np.finfo(np.float32).max)


def check_loss_target(params: dict | None, y, where: str = "y") -> None:
    """Refuse a regression target the named loss of ``params`` cannot fit: XGBoost's
    squared log error at or below -1 (its ``log1p`` is undefined), a loss trained in the
    target's own unit on a target beyond float32's range, and XGBoost's ``huber_slope``
    that, over the target's spread (the unit its trees train in), is beyond it. The
    libraries failed at the first fit, after the prior's scores, or fitted nothing.

    Parameters
    ----------
    params : dict or None
        The user's ``booster_params``.
    y : ndarray of shape (n_samples,)
        The regression target.
    where : str, default="y"
        What ``y`` is, for the message (``"eval_set's y_val"``).

    Raises
    ------
    ValueError
        Naming the loss (or ``huber_slope``) and the target's rows or range.
    """
    named = [(k, v) for k, v in (params or {}).items() if k in OBJECTIVE_KEYS]
    key, loss = next(((k, v.strip().lower()) for k, v in named if isinstance(v, str)), (None, None))
    y = np.asarray(y, dtype=np.float64)
    if loss == "reg:squaredlogerror":
        bad = np.flatnonzero(y <= -1)
        refuse_log_rows(key, bad, y[bad[:1]], where)
    if loss not in (*_CENTRED, *_OWN_UNIT, "reg:pseudohubererror") or not y.size:
        return
    unit, center = unit_for(y)
    span = f"{where} spans [{y.min():.3g}, {y.max():.3g}] (spread {unit:.3g})"
    if loss == "reg:pseudohubererror":
        if where == "y":  # eval_set's rows train in fit's unit: the slope is over its spread
            _check_slope(params.get("huber_slope", 1.0), unit, span)
        return
    peak = float(np.max(np.abs(y - (center if loss in _CENTRED else 0.0))))
    if peak > _MAX or 0 < unit < _TINY:
        raise ValueError(
            f"booster_params {key}={params[key]!r} trains on y in its own unit, which the "
            f"library stores as float32 (|y| from {_TINY:.2g} to {_MAX:.2g}), "
            f"but {span}; divide y by a power of ten (and multiply the predictions back)."
        )


def refuse_log_rows(key: str, rows, first, where: str = "y") -> None:
    """Refuse ``rows`` at or below -1 (``first`` holds the first's value) of a target of
    XGBoost's squared log error, given under ``key``: its ``log1p`` is undefined there."""
    if len(rows):
        raise ValueError(
            f"booster_params {key}='reg:squaredlogerror' fits log1p(y), which needs y > -1, "
            f"but {len(rows)} rows of {where} are at or below -1 (row {rows[0]}: "
            f"{float(first[0])!r}); shift y, or use another loss."
        )


def _check_slope(slope, unit: float, span: str) -> None:
    """Refuse ``huber_slope / unit`` (and its square) beyond float32, where XGBoost
    reads it ("Out of range value for huber_slope"; a NaN start from 1.8e19 on)."""
    try:
        ratio = abs(float(slope)) / unit
    except (TypeError, ValueError):  # the adapter names what is wrong with it
        return
    if not _TINY <= ratio <= _MAX**0.5:
        raise ValueError(
            f"booster_params huber_slope={slope!r} is {ratio:.3g} times the spread of y, the "
            "unit the trees train in, where XGBoost reads it in float32 (it and its square: "
            f"from {_TINY:.2g} to {_MAX**0.5:.2g} times), but {span}; "
            "give huber_slope in y's units, near its spread, or divide y by a power of ten."
        )


__all__ = [
    "check_loss_params",
    "check_loss_target",
    "check_quantiles",
    "refused_loss",
    "refuse_log_rows",
]
