"""``booster_params`` names and numbers the libraries would misread, refused by name.

LightGBM ignores a parameter it does not know (a typo such as ``max_dept``) with a
warning that llmboost's default ``verbose=-1`` hides, so the trees were fitted without
it in silence. XGBoost warned on every fit itself ("Parameters: { ... } are not used"),
41 times in one fit with the default scales; its own list of the names it uses refuses
them now.
Text or a boolean for a number failed inside the libraries without the parameter's
name (LightGBM: "Unknown token fast in data file"; XGBoost: "Some trailing characters
could not be parsed: 'ast'").
"""

from __future__ import annotations

import json
import math
import warnings
from difflib import get_close_matches
from functools import cache
from numbers import Integral, Real

import numpy as np

from ._compat import lightgbm_parameter_names
from ._library_params import OBJECTIVE_KEYS, WHOLE_TEXT, given_key
from ._param_tables import (
    CHOICES,
    FEATURE_TYPES,
    GENERATORS,
    LIGHTGBM_BOOLEANS,
    LIST_LEAST,
    NEG,
    NUMBER_LISTS,
    NUMBER_TEXT,
    NUMBERS,
    ORDERED,
    OTHER_NAMES,
    POS,
    PREDICT_ONLY,
    RANGES,
    WHOLE_LISTS,
    WHOLE_NUMBERS,
    XGBOOST_SEEDS,
)
from ._params import brief
from ._validation import _is_number, _to_float
from ._warn import caller_level

#: XGBoost's parameters that choose the parts of its learner, and so the parameters it uses.
_XGBOOST_PARTS = (
    "booster", "objective", "tree_method", "updater", "process_type", "device",
    "multi_strategy", "num_class",
)  # fmt: skip


#: XGBoost's parameters of one loss, which it uses with that ``objective`` only.
_XGBOOST_LOSS_PARAMS = {
    "quantile_alpha": "reg:quantileerror",
    "huber_slope": "reg:pseudohubererror",
}

#: XGBoost's metrics that read a loss parameter whatever the loss.
_XGBOOST_METRIC_PARAMS = {"quantile": "quantile_alpha", "mphe": "huber_slope"}


@cache
def _known() -> frozenset | None:
    names = lightgbm_parameter_names()
    return None if names is None else frozenset(names)


def _xgboost_known(params: dict) -> frozenset | None:
    """The names XGBoost uses with ``params``: its estimator's own, and those of the
    learner they configure, as XGBoost's check behind its warning "Parameters: { ... }
    are not used" lists them (``None`` where XGBoost cannot configure it: the fit says
    why). A part given as anything but a name or number (a custom objective) is read
    as its default. A metric's parameter is used with the metric (``quantile_alpha``
    with ``eval_metric='quantile'``)."""
    names = (k for k in _XGBOOST_PARTS if isinstance(params.get(k), str | Integral))
    known = _xgboost_names(tuple((k, params[k]) for k in names))
    metrics = params.get("eval_metric")
    metrics = [metrics] if isinstance(metrics, str) else metrics
    metrics = metrics if isinstance(metrics, list | tuple) else []  # a callable reads none
    read = {_XGBOOST_METRIC_PARAMS.get(str(m).split("@")[0]) for m in metrics}  # quantile_alpha
    return None if known is None else known | (read - {None})


@cache
def _xgboost_names(parts: tuple) -> frozenset | None:
    """Read from the learner's saved config, whose tables of parameters are named
    ``..._param`` (checked: XGBoost 3.2.0); ``None`` where none names the booster."""
    import xgboost as xgb

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # about the device, which the fit repeats
            config = json.loads(xgb.Booster({**dict(parts), "num_feature": 1}).save_config())
    except xgb.core.XGBoostError:
        return None
    names, stack = set(xgb.get_config()), [config]
    while stack:  # the keys of every "..._param" table, as XGBoost's own check reads them
        node = stack.pop()
        for key, value in node.items() if isinstance(node, dict) else enumerate(node):
            if str(key).endswith("_param") and isinstance(value, dict):
                names.update(value)
            elif isinstance(value, dict | list):
                stack.append(value)
    if "booster" not in names:  # a config laid out otherwise: no list to check against
        return None
    model = xgb.XGBModel()
    wrapper = set(model.get_params()) - set(model.get_xgb_params())  # not sent to the learner
    extra = {"eval_metric", "num_output_group", "num_feature", "num_class", "verbosity"}
    return frozenset(names | wrapper | extra)


def check_parameter_names(library: str, params: dict, given: dict | None = None) -> dict:
    """Raise for text or a boolean where a number belongs, and for a parameter name that
    the library does not know (XGBoost: does not use with the booster and loss given).

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    params : dict
        The library's parameters, aliases renamed.
    given : dict, default=None
        The user's ``booster_params``: messages name a parameter as given there.

    Returns
    -------
    dict
        ``params``, with the text of a whole number as the int where one belongs (XGBoost
        refused ``max_bin='16'``, LightGBM's ``n_jobs='2'`` raised a ``TypeError``), and
        the text of a number without the whitespace around it (XGBoost failed on it).

    Raises
    ------
    ValueError
        Naming the key and its value (and the nearest known name).
    """
    _check_predict_only(library, params)
    _check_feature_types(library, params)
    _check_text_booleans(library, params, given)
    _check_number_lists(library, params, given)
    _check_choices(library, params, given)
    _check_numbers(library, params, given)
    params = {k: v.strip() if k in NUMBERS and isinstance(v, str) else v for k, v in params.items()}
    known = {"lightgbm": _known, "xgboost": lambda: _xgboost_known(params)}[library]()
    unknown = [key for key in params if known is not None and key not in known]
    if not unknown:
        params = _whole_numbers(library, params, given)
        _check_common(library, params, given)
        _check_goss(library, params)
        return params
    key = unknown[0]
    hint = _hint(library, key, known)
    if library == "lightgbm":
        raise ValueError(
            f"booster_params {key}={brief(params[key])}: LightGBM has no parameter {key!r} and "
            f"would ignore it ({hint}LightGBM's parameters: "
            "https://lightgbm.readthedocs.io/en/latest/Parameters.html)."
        )
    parts = [f"{k}={brief(params[k])}" for k in ("booster", "objective") if k in params]
    raise ValueError(
        f"booster_params {key}={brief(params[key])}: XGBoost does not use {key!r}"
        f"{' with ' + ' and '.join(parts) if parts else ''} and would ignore it ({hint}"
        "XGBoost's parameters: https://xgboost.readthedocs.io/en/stable/parameter.html)."
    )


def _check_predict_only(library: str, params: dict) -> None:
    """Refuse LightGBM's parameters of prediction (:data:`PREDICT_ONLY`) other than at
    their defaults: its fit ignores them, and so did llmboost's predictions, or they
    changed them (``pred_early_stop``)."""
    given = (k for k, v in params.items() if k in PREDICT_ONLY and v is not None)
    given = (k for k in given if not _is_default(params[k], PREDICT_ONLY[k][0]))
    if library != "lightgbm" or (key := next(given, None)) is None:
        return
    value, instead = params[key], PREDICT_ONLY[key][1]
    raise ValueError(
        f"booster_params {key}={brief(value)} is read by LightGBM when it predicts, not "
        f"when it trains, and llmboost makes its predictions itself: {instead}."
    )


def _check_feature_types(library: str, params: dict) -> None:
    """Refuse XGBoost's ``feature_types`` other than a list of its types (it failed at fit,
    after the prior's scores: "All feature_types must be one of {int, float, i, q, c}")."""
    value = params.get("feature_types")
    if library != "xgboost" or value is None:
        return
    listed = isinstance(value, list | tuple) or (isinstance(value, np.ndarray) and value.ndim == 1)
    bad = [v for v in value if v not in FEATURE_TYPES] if listed else [value]
    if bad:
        raise ValueError(
            f"booster_params feature_types={brief(value)}: XGBoost takes a list of one type "
            f"per column of X, each one of {', '.join(map(repr, FEATURE_TYPES))}; "
            f"{brief(bad[0])} is not one."
        )


def _is_default(value, default) -> bool:
    """Whether ``value`` is ``default`` (a bool only for a bool: 10.0 is 10, 0 not False)."""
    return isinstance(value, bool) == isinstance(default, bool) and value == default


def _check_numbers(library: str, params: dict, given: dict | None) -> None:
    """Refuse anything but a number (or its text) for a parameter of :data:`NUMBERS`,
    and one beyond float32's range; ``random_state`` takes a NumPy generator too."""
    name = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}[library]
    for key in NUMBERS:
        value, shown = params.get(key), given_key(library, key, given)
        if key == "random_state" and isinstance(value, GENERATORS):
            continue  # the estimator draws the seed from it
        text = isinstance(value, str) and not NUMBER_TEXT.fullmatch(value.strip())
        if text or isinstance(value, bool) or not isinstance(value, Real | str | None):
            raise ValueError(f"booster_params {shown}={brief(value)}: {name} takes a number here.")
        if value is not None and not _in_float32(value):
            raise ValueError(
                f"booster_params {shown}={brief(value)}: {name} takes a finite number here, "
                "within float32's range (|x| <= 3.4e38), or leave it out for the default."
            )


def _check_text_booleans(library: str, params: dict, given: dict | None) -> None:
    """Refuse ``"true"`` / ``"false"`` as text: Python reads any text as true, so
    ``is_unbalance="false"`` was refused with three classes and LightGBM's
    ``first_metric_only="false"`` stopped on the first metric alone (in plain LightGBM
    too), and XGBoost's ``enable_categorical="false"`` kept categories; and anything but
    a bool for LightGBM's booleans (:data:`LIGHTGBM_BOOLEANS`) and XGBoost's
    ``enable_categorical`` (it read ``"no"`` as true). A number parameter
    (:data:`NUMBERS`) is left to the check of numbers, which takes no bool either."""
    for key, value in params.items():
        shown, text = given_key(library, key, given), isinstance(value, str)
        if text and value.strip().lower() in ("true", "false") and key not in NUMBERS:
            word = value.strip().lower() == "true"
            raise ValueError(
                f"booster_params {shown}={brief(value)}: give {word} (a bool), not text, which "
                "Python reads as true whatever it says."
            )
        booleans = {"lightgbm": LIGHTGBM_BOOLEANS, "xgboost": ("enable_categorical",)}
        if key in booleans[library] and value is not None and not isinstance(value, bool):
            name = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}[library]
            raise ValueError(f"booster_params {shown}={brief(value)}: {name} takes True or False.")


def _check_number_lists(library: str, params: dict, given: dict | None) -> None:
    """Refuse a set for a LightGBM list read in order (:data:`ORDERED`), whose values
    LightGBM took in the order Python keeps them (``label_gain={2.0, 1.0}`` as ``1,2``),
    without a word; and anything but finite numbers in its lists of numbers
    (:data:`NUMBER_LISTS`), whole ones in :data:`WHOLE_LISTS`, none below its least
    (:data:`LIST_LEAST`): LightGBM failed at fit, after the prior's scores, with "stod"
    (``label_gain='x'``), or read ``eval_at='x'`` as 0 in silence."""
    for key in (k for k in NUMBER_LISTS if params.get(k) is not None and library == "lightgbm"):
        value, shown = params[key], brief((given or {}).get(key, params[key]))
        if isinstance(value, set | frozenset) and key in ORDERED:
            raise ValueError(
                f"booster_params {key}={shown} is a set, whose order Python chooses, but "
                f"LightGBM reads {key} in order; give a list."
            )
        items = (value.split(",") if value.strip() else []) if isinstance(value, str) else [value]
        if isinstance(value, list | tuple | set | frozenset | np.ndarray):
            items = value.ravel().tolist() if isinstance(value, np.ndarray) else list(value)
        whole = key in WHOLE_LISTS
        bad = next((i for i, v in enumerate(items) if not _list_number(v, whole)), None)
        if bad is not None:
            kind = "whole numbers" if whole else "numbers"
            raise ValueError(
                f"booster_params {key}={shown}: LightGBM takes finite {kind} here, as a list "
                f"or as text separated by commas; {brief(items[bad])} is not one."
            )
        least, what = LIST_LEAST.get(key, (-np.inf, ""))
        low = next((v for v in items if float(v) < least), None)
        if low is not None:
            raise ValueError(
                f"booster_params {key}={shown}: LightGBM takes {what}; {brief(low)} is below it."
            )


def _list_number(value, whole: bool) -> bool:
    """Whether LightGBM reads ``value``, an entry of a list of numbers, as the number it
    is (a whole one where ``whole``)."""
    if isinstance(value, str):
        text = value.strip()
        if not NUMBER_TEXT.fullmatch(text) or (whole and not WHOLE_TEXT.fullmatch(text)):
            return False
        value = float(text)
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        return False
    return not whole or float(value).is_integer()


def _check_choices(library: str, params: dict, given: dict | None) -> None:
    """Refuse XGBoost's ``missing`` (the value of a missing entry) unless a number (NaN
    too), a value of a parameter of :data:`CHOICES` outside its choices, and a loss that
    is neither a name nor a callable. The libraries failed at fit, after the prior's
    scores ("Unknown boosting type nope", "Unknown objective function: `5`"; for
    ``missing=None`` with XGBoost's C++ stack trace); a value is shown as ``given``."""
    name = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}[library]
    missing = params.get("missing", np.nan)
    if library == "xgboost" and (isinstance(missing, bool) or not isinstance(missing, Real)):
        raise ValueError(
            f"booster_params missing={brief(missing)}: XGBoost takes a number here, the value "
            "that marks a missing entry (np.nan, its default, or e.g. -999)."
        )
    for names, choices in CHOICES[library].items():
        for key in (k for k in names if params.get(k) is not None):
            value = params[key]  # LightGBM's in lower case (canonical_params)
            gpu = key == "tree_method" and str(value).startswith("gpu_")  # check_gpu's
            if not (isinstance(value, str) and (value in choices or gpu)):
                shown = ", ".join(repr(c) for c in choices)
                value = (given or {}).get(key, value)
                raise ValueError(
                    f"booster_params {key}={brief(value)}: {name} takes one of {shown}."
                )
    for key in (k for k in OBJECTIVE_KEYS if params.get(k) is not None):
        if not (isinstance(params[key], str) or callable(params[key])):
            loss = {"xgboost": "'reg:squarederror'", "lightgbm": "'regression'"}[library]
            raise ValueError(
                f"booster_params {key}={brief(params[key])}: give the loss by its name (e.g. "
                f"{loss}), or as a callable."
            )


def _whole_numbers(library: str, params: dict, given: dict | None) -> dict:
    """``params`` with the text of a whole number as the int where one belongs; raise for
    any other value there but an int or ``None``, and for an int beyond the library's
    integers: 32-bit ones, XGBoost's 64-bit seeds (XGBoost refused ``max_depth=2**40`` at
    fit, LightGBM read ``max_bin=2**40`` as a number <= 1 and ``seed=2**70`` as 0)."""
    name = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}[library]
    out = dict(params)
    for key in WHOLE_NUMBERS:
        value = out.get(key)
        if isinstance(value, str) and WHOLE_TEXT.fullmatch(value):
            value = out[key] = int(value)
        if key == "random_state" and (isinstance(value, GENERATORS) or key not in (given or {})):
            continue  # the estimator's own seed (0 to 2**32 - 1) is not booster_params'
        bits = 63 if library == "xgboost" and key in XGBOOST_SEEDS else 31
        whole = isinstance(value, Integral) and not isinstance(value, bool)
        if whole and not -(2**bits) <= value < 2**bits:
            raise ValueError(
                f"booster_params {given_key(library, key, given)}={brief(value)}: {name} holds "
                f"it in {bits + 1} bits; give a whole number from {-(2**bits)} to {2**bits - 1}."
            )
        elif value is not None and (isinstance(value, bool) or not isinstance(value, Integral)):
            near = math.ceil(float(value)) if _is_number(value) and _in_float32(value) else 1
            near = min(max(near, -(2**bits)), 2**bits - 1)  # one the library holds
            shown = given_key(library, key, given)
            raise ValueError(
                f"booster_params {shown}={brief(value)}: {name} takes a whole number here, "
                f"such as {shown}={near}."
            )
    return out


def _check_common(library: str, params: dict, given: dict | None) -> None:
    """Refuse a common parameter (:data:`RANGES`) given two values under two of its
    names (the library read one and ignored the other without a word: XGBoost's
    ``lambda`` beside ``reg_lambda``, LightGBM's ``subsample`` beside
    ``bagging_fraction``; ``None`` is no value, which both pass over), or outside the
    range the library takes it in."""
    name = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}[library]
    for names, allowed in RANGES[library].items():
        twice = {k: v for k, v in (given or {}).items() if k in names and v is not None}
        if len({_to_float(v) if _is_number(v) else repr(v) for v in twice.values()}) > 1:
            shown = " and ".join(f"{k}={brief(v)}" for k, v in twice.items())
            raise ValueError(
                f"booster_params gives {shown}, which {name} reads as one parameter and "
                f"would keep one of; give it once, e.g. as {names[0]}."
            )
        for key in names if allowed else ():
            value = params.get(key)
            number = None if isinstance(value, bool) else _to_float(value)
            if number is not None and not allowed(number):
                raise ValueError(
                    f"booster_params {given_key(library, key, given)}={brief(value)} is out "
                    f"of range: {name} takes {allowed} here, or leave it out for the default."
                )


def _check_goss(library: str, params: dict) -> None:
    """Refuse with LightGBM's GOSS a row subsample below 1 with its frequency ("Cannot use
    bagging in GOSS") or a class's bagging fraction so given (which GOSS ignored: the same
    trees as without it), and rates GOSS does not take (each in [0, 1] else, where GOSS is
    off): ``top_rate`` or ``other_rate`` of 0, or the two summing to more than 1 ("Check
    failed: config_->top_rate > 0.0f && config_->other_rate > 0.0f"). LightGBM failed on
    them at fit, after the prior's scores."""
    modes = ("data_sample_strategy", "boosting_type", "boosting", "boost")
    if library != "lightgbm" or not any(str(params.get(k)).lower() == "goss" for k in modes):
        return
    share = [k for k in ("subsample", "bagging_fraction", "sub_row", "bagging") if k in params]
    rate = [k for k in ("subsample_freq", "bagging_freq") if params.get(k)]  # bagging on
    if share and rate and (_to_float(params[share[0]]) or 1) < 1:
        raise ValueError(
            f"booster_params {share[0]}={brief(params[share[0]])} with {rate[0]}="
            f"{brief(params[rate[0]])} bags rows, which LightGBM's GOSS refuses (it samples "
            f"rows by their gradients); leave {share[0]} out, or use data_sample_strategy="
            "'bagging'."
        )
    by_class = [k for k in ("pos_bagging_fraction", *POS, "neg_bagging_fraction", *NEG)
                if (_to_float(params.get(k)) or 1) < 1]  # fmt: skip
    if by_class and rate:
        raise ValueError(
            f"booster_params {by_class[0]}={brief(params[by_class[0]])} with {rate[0]}="
            f"{brief(params[rate[0]])} bags the rows of a class, which LightGBM's GOSS "
            "ignores without a word (it samples rows by their gradients); leave "
            f"{by_class[0]} out, or use data_sample_strategy='bagging'."
        )
    rates = {k: params[k] for k in ("top_rate", "other_rate") if params.get(k) is not None}
    top, other = (_to_float(rates.get(k, d)) for k, d in (("top_rate", 0.2), ("other_rate", 0.1)))
    if top > 0 and other > 0 and top + other <= 1:
        return
    shown = " and ".join(f"{k}={brief(v)}" for k, v in rates.items())
    raise ValueError(
        f"booster_params {shown}: LightGBM's GOSS keeps the top_rate share of rows with the "
        "largest gradients and samples the other_rate share of the rest, so it takes both "
        "above 0 with top_rate + other_rate <= 1 (its defaults: 0.2 and 0.1)."
    )


def _in_float32(value) -> bool:
    """Whether a number (or its text) is finite and within float32's range, as XGBoost
    stores it (beyond it XGBoost refused it, LightGBM's trees overflowed to inf)."""
    try:
        return abs(float(value)) <= float(np.finfo(np.float32).max)
    except OverflowError:  # an int beyond float64
        return False


def _hint(library: str, key, known: frozenset) -> str:
    """What to give instead of ``key``: the loss it belongs to, the library's own name
    for it, or the nearest known name (a typo)."""
    name = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}[library]
    if library == "xgboost" and key in _XGBOOST_LOSS_PARAMS:
        return (
            f"it is a parameter of the loss objective={_XGBOOST_LOSS_PARAMS[key]!r} and is "
            "not used with the loss given; "
        )
    if key in OTHER_NAMES[library]:
        return f"{name} calls it {OTHER_NAMES[library][key]}; "
    near = get_close_matches(str(key), sorted(known - set(PREDICT_ONLY)), n=1)  # not refused
    return f"did you mean {near[0]!r}? " if near else ""


def warn_unsampled_rows(library: str, params: dict | None, tuned: bool) -> None:
    """Warn that LightGBM's row subsample (``subsample`` or another of its names, or the
    bagging fraction of one class, ``pos_bagging_fraction``) below 1 does nothing without
    its frequency (``subsample_freq``, 0 by default: never), as in
    plain LightGBM, where it fitted every row without a word (not with GOSS, which
    samples rows its own way).

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    params : dict or None
        The user's ``booster_params``.
    tuned : bool
        Whether the search tunes parameters: its trials set ``subsample_freq=1`` unless
        ``params`` give a frequency.
    """
    params = params or {}
    names = next(n for n in RANGES["lightgbm"] if n[0] == "subsample")
    names = (*names, "pos_bagging_fraction", *POS, "neg_bagging_fraction", *NEG)
    given = [k for k in names if (_to_float(params.get(k)) or 1.0) < 1]
    rates = [k for k in ("subsample_freq", "bagging_freq") if params.get(k) is not None]
    modes = ("data_sample_strategy", "boosting_type", "boosting", "boost")
    goss = any(str(params.get(k)).strip().lower() == "goss" for k in modes)  # as given
    if library != "lightgbm" or not given or goss or (tuned and not rates):
        return
    if any((_to_float(params[k]) or 0) > 0 for k in rates):
        return
    key = given[0]
    rate = "subsample_freq" if key == "subsample" else "bagging_freq"
    warnings.warn(
        f"booster_params {key}={brief(params[key])} does nothing without {rate}: LightGBM "
        f"samples rows every {rate} rounds, and {rate}=0 (its default) never does; give "
        f"{rate}=1 to sample them every round.",
        UserWarning,
        stacklevel=caller_level(),
    )


__all__ = ["brief", "check_parameter_names", "warn_unsampled_rows"]
