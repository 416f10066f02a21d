"""The libraries' losses of several classes and of two, and the refusals of a loss or a
number of classes that the classes of ``y`` contradict, or of a list of one value per
column that the columns of ``X`` contradict."""

from __future__ import annotations

import json
from functools import cache
from numbers import Real

import numpy as np

from ._constraints import position_constraints
from ._param_tables import PER_COLUMN
from ._params import brief
from ._validation import _to_float

#: Names of the loss in the two libraries' parameters.
OBJECTIVE_KEYS = ("objective", "objective_type", "app", "application", "loss")

#: The libraries' multiclass losses, and their losses of two classes.
_MULTICLASS = {
    "multi:softprob": "binary:logistic", "multi:softmax": "binary:logistic",
    "multiclass": "binary", "softmax": "binary",
}  # fmt: skip

#: The libraries' losses of two classes (XGBoost's estimator replaced its own by its
#: multiclass loss with more classes, without a word).
_BINARY = ("binary", "cross_entropy", "xentropy", "binary:logistic", "binary:logitraw")


#: The libraries' metrics of several classes (and LightGBM's other names of them), each
#: with its metric of two classes; LightGBM refuses them with two classes, and the others
#: with more.
_MULTICLASS_METRICS = {
    **dict.fromkeys(
        ("multi_logloss", "multiclass", "softmax", "multiclassova", "multiclass_ova", "ova",
         "ovr"),
        "binary_logloss",
    ),
    "multi_error": "binary_error", "auc_mu": "auc",
    "mlogloss": "logloss", "merror": "error",  # XGBoost's
}  # fmt: skip

#: XGBoost's metrics of several classes.
_XGBOOST_MULTICLASS_METRICS = ("mlogloss", "merror")

#: LightGBM's names of its metrics, and its metrics of several classes.
_METRIC_KEYS = ("metric", "metrics", "metric_types")
_LIGHTGBM_OURS = "'multi_logloss', 'multi_error' or 'auc_mu'"

#: LightGBM's names of no metric (and of the objective's own).
_NO_METRIC = ("", "none", "null", "na", "custom")


def check_class_count(params: dict, classes, scales) -> None:
    """Refuse a loss or ``num_class`` that ``classes`` contradict (for
    :func:`~llmboost._library_params.check_binary_weight`): a multiclass loss with two
    classes, unless ``num_class=2`` is given (both libraries failed at fit without it:
    XGBoost "value 0 for Parameter num_class", LightGBM "Number of classes should be
    specified"; with 3 they predicted three columns for two classes), and with more
    classes a ``num_class`` other than their count (both estimators replace it in
    silence). ``num_class=1`` with two classes is the libraries' own setting for them;
    and a multiclass loss with two classes under a prior's margin (a non-zero scale)."""
    losses = [str(params.get(k)).strip().lower() for k in OBJECTIVE_KEYS]
    multiclass = [k for k, loss in zip(OBJECTIVE_KEYS, losses) if loss in _MULTICLASS]
    count = next((k for k in ("num_class", "num_classes") if params.get(k) is not None), None)
    one = count and _to_float(params[count]) == 1  # one margin per row, as for two classes
    if len(classes) == 2 and count and not (multiclass or one):  # num_classes: LightGBM's
        raise ValueError(
            f"booster_params {count}={brief(params[count])}, but y has 2 classes, which the trees "
            f"fit with one margin per row (a binary loss); leave {count} out."
        )
    if len(classes) > 2 and count and _to_float(params[count]) != len(classes):
        raise ValueError(
            f"booster_params {count}={brief(params[count])}, but y has {len(classes)} classes: "
            f"the library sets {count} from y and ignores this one; leave {count} out."
        )
    if len(classes) == 2 and multiclass and count and _to_float(params[count]) != 2:
        raise ValueError(
            f"booster_params {count}={brief(params[count])} with {multiclass[0]}="
            f"{brief(params[multiclass[0]])}, but y has 2 classes: give {count}=2, or leave "
            "both to their defaults (a binary loss)."
        )
    margin = any(isinstance(s, Real) and s != 0 for s in scales)  # one log-odds per row
    if len(classes) == 2 and multiclass and count and margin:
        raise ValueError(
            f"booster_params {multiclass[0]}={brief(params[multiclass[0]])} with two classes: "
            "the trees start from the prior's log-odds, one number per row, which a multiclass "
            "loss does not take; leave the loss to its default (binary), or use scale=0."
        )
    if len(classes) == 2 and multiclass and not count:
        key = multiclass[0]
        binary = _MULTICLASS[params[key].strip().lower()]
        raise ValueError(
            f"booster_params {key}={brief(params[key])} is a loss of several classes, but y has "
            f"2 classes ({brief(classes[0])} and {brief(classes[1])}); give {key}={binary!r}, "
            "the same loss for two classes, or leave the loss to its default."
        )
    binary = [k for k, loss in zip(OBJECTIVE_KEYS, losses) if loss in _BINARY]
    if len(classes) > 2 and binary:
        raise ValueError(
            f"booster_params {binary[0]}={brief(params[binary[0]])} is a loss of two classes, but "
            f"y has {len(classes)} classes; leave the loss to its default (multiclass)."
        )
    outputs = len(classes) if len(classes) > 2 or multiclass else 1
    _check_base_score(params, classes, outputs)
    _check_auc_mu_weights(params, outputs)


def _check_auc_mu_weights(params: dict, n_outputs: int) -> None:
    """Refuse LightGBM's ``auc_mu_weights`` of another length than the square of its
    number of outputs (the classes, one for two classes): it failed at fit, after the
    prior's scores ("auc_mu_weights must have 9 elements, but found 4")."""
    value = params.get("auc_mu_weights")
    if isinstance(value, str):  # LightGBM reads text as values separated by commas
        count = len(value.split(",")) if value.strip() else 0
    else:
        count = 0 if value is None else np.size(value)
    if not count or count == n_outputs**2:
        return
    shown = f"booster_params auc_mu_weights={brief(value)} gives {count} values"
    if n_outputs == 1:
        raise ValueError(
            f"{shown}, but y has 2 classes: it weighs the pairs of classes of auc_mu, a "
            "metric of several classes, and LightGBM takes one value here; leave it out."
        )
    raise ValueError(
        f"{shown}, but y has {n_outputs} classes: LightGBM takes {n_outputs} x {n_outputs} = "
        f"{n_outputs**2}, the weight of each pair of classes, row by row in the order of "
        "the sorted labels."
    )


def score_list(text: str):
    """XGBoost's ``base_score`` given as the text of a list (``"[0.2,0.3,0.5]"``) as the
    list, which the checks of its length read (it failed at fit, after the prior's scores:
    "Invalid `base_score`, it should match the number of outputs"); other text as it is."""
    try:
        value = json.loads(text) if text.strip().startswith("[") else text
    except ValueError:
        return text
    return value if isinstance(value, list) else text


def _check_base_score(params: dict, classes, outputs: int) -> None:
    """Refuse XGBoost's ``base_score`` of several values other than one per output (per
    class, one for two classes): it failed at fit, after the prior's scores ("Invalid
    `base_score`, it should match the number of outputs"); and outside [0, 1] with the
    logistic loss its estimator sets for two classes: XGBoost failed there with
    "base_score must be in (0,1) for the logistic loss" (it takes 0 and 1; a loss given
    is checked with it by :func:`~llmboost._library_config.check_library_values`)."""
    value = shown = params.get("base_score")
    if isinstance(value, str):  # XGBoost reads the text of a list as the list
        value = score_list(value)
    count = np.size(value) if isinstance(value, list | tuple | np.ndarray) else 1
    if count > 1 and count != outputs:
        shown = f"booster_params base_score={brief(shown)} gives {count} values, but y has "
        raise ValueError(
            f"{shown}2 classes, which the trees fit with one margin per row: XGBoost takes "
            "one number (the start of that margin)."
            if outputs == 1
            else f"{shown}{outputs} classes: XGBoost takes one number, or one per class "
            f"({outputs}), in the order of the sorted labels."
        )
    if value is None or len(classes) != 2 or any(params.get(k) for k in OBJECTIVE_KEYS):
        return
    number = _to_float(np.ravel(value)[0]) if np.size(value) == 1 else None  # [2.0] too
    if number is not None and not 0 <= number <= 1:
        raise ValueError(
            f"booster_params base_score={brief(shown)}: XGBoost's logistic loss, its loss "
            "for the 2 classes of y, reads base_score as a probability and refuses it "
            "outside [0, 1]; give a probability (e.g. 0.5), or leave it out."
        )


def check_metric_classes(params: dict, classes) -> None:
    """Refuse a metric of several classes with two classes (and no multiclass loss), and
    a LightGBM metric of another kind (an XGBoost one of two classes) with more: LightGBM
    failed at fit, after the prior's scores, with "Multiclass objective and metrics
    don't match", XGBoost at a fit with ``eval_set`` ("label and prediction size not
    match", "label must be in [0, num_class)")."""
    loss = next((k for k in OBJECTIVE_KEYS if str(params.get(k)).strip().lower() in
                 _MULTICLASS), None)  # fmt: skip
    several = len(classes) > 2 or loss is not None
    for key in (k for k in (*_METRIC_KEYS, "eval_metric") if params.get(k) is not None):
        value = params[key]
        names = metric_names(value.tolist() if hasattr(value, "tolist") else value)  # NumPy's
        name = next((n for n in names if _mismatch(key, n, several)), None)
        library = "XGBoost" if key == "eval_metric" else "LightGBM"
        if name is not None and not several:
            raise ValueError(
                f"booster_params {key}={brief(value)}: {name!r} is a metric of several "
                f"classes, but y has 2 classes, which {library} refuses; give "
                f"{_MULTICLASS_METRICS[name.partition('@')[0]]!r}, the same metric for two "
                "classes, or leave the metric to its default."
            )
        if name is not None:
            fits = f"y has {len(classes)} classes" if loss is None else f"{loss} is multiclass"
            ours = "'mlogloss', 'merror' or 'auc'" if key == "eval_metric" else _LIGHTGBM_OURS
            raise ValueError(
                f"booster_params {key}={brief(value)}: {name!r} is not a metric of several "
                f"classes, but {fits}, where {library} takes only those: give {ours}, or "
                "leave the metric to its default."
            )


def check_column_count(library: str, params: dict | None, columns) -> None:
    """Refuse a list of one value per column of X of another length than X's columns:
    LightGBM's :data:`~llmboost._param_tables.PER_COLUMN` (it failed at fit, after the
    prior's scores: "Check failed: (static_cast<size_t>(num_col)) ==
    (config_.max_bin_by_feature.size())"), XGBoost's ``feature_weights`` (it took three
    weights for two columns without a word, and failed at fit on a negative one) and
    ``feature_types`` (it failed at fit: "feature types must have the same length"), and the
    constraints :func:`~llmboost._constraints.position_constraints` checks.

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    params : dict or None
        The library's parameters, aliases renamed.
    columns : list of str
        The columns of X, as the booster trains on them.

    Raises
    ------
    ValueError
        Naming the parameter, its length and X's number of columns.
    """
    params = params or {}
    position_constraints(library, params, columns)
    if library == "xgboost" and params.get("feature_weights") is not None:
        _check_feature_weights(params["feature_weights"])
    keys = PER_COLUMN if library == "lightgbm" else ("feature_weights", "feature_types")
    name = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}[library]
    for key in (k for k in keys if params.get(k) is not None):
        value = params[key]  # LightGBM reads text as values separated by commas
        count = len(value.split(",")) if isinstance(value, str) and value else np.size(value)
        if count and count != len(columns):
            raise ValueError(
                f"booster_params {key}={brief(value)} gives {count} value"
                f"{'s' * (count != 1)} for the {len(columns)} columns of X, where {name} "
                "takes one per column; give one per column of X, in X's order."
            )


def _check_feature_weights(value) -> None:
    """Refuse XGBoost's ``feature_weights`` other than a list or 1-D array (a dict of
    three names was refused as "1 value" for the columns) of finite weights >= 0 (it
    failed at fit on a negative one)."""
    if not isinstance(value, list | tuple) and np.ndim(value) != 1:
        raise ValueError(
            f"booster_params feature_weights={brief(value)}: XGBoost takes a list or 1-D "
            f"array of one weight per column of X, in X's order, not a {type(value).__name__}."
        )
    if not all(_to_float(w) is not None and 0 <= _to_float(w) < np.inf for w in np.ravel(value)):
        raise ValueError(
            f"booster_params feature_weights={brief(value)}: XGBoost takes a finite weight "
            ">= 0 per column (the chance of its sampling by colsample_*)."
        )


#: Metrics of data of the rows that llmboost does not give, by library: LightGBM's ranking
#: metrics (under each of their names) and XGBoost's metrics of interval-censored labels.
_METRIC_DATA = {
    "lightgbm": dict.fromkeys(
        ("ndcg", "lambdarank", "rank_xendcg", "xendcg", "xe_ndcg", "xe_ndcg_mart",
         "xendcg_mart", "map", "mean_average_precision"),
        "a ranking metric, which needs query groups of rows",
    ),
    "xgboost": dict.fromkeys(
        ("aft-nloglik", "interval-regression-accuracy"),
        "a metric of interval-censored labels, which needs the lower and upper bounds of y",
    ),
}  # fmt: skip


def check_metric_data(library: str, params: dict, given: dict | None) -> None:
    """Refuse a LightGBM metric name it does not have (it skipped ``metric='nope'`` without a
    word; a fit with ``eval_set`` failed after the prior's scores: "For early stopping, at
    least one dataset and eval metric is required for evaluation"), and metrics of data
    llmboost does not give (:data:`_METRIC_DATA`): LightGBM's
    ranking metrics (``ndcg``, ``map`` and their other names) failed at fit, after the
    prior's scores ("The NDCG metric requires query information"), in a classifier and a
    regressor alike, XGBoost's ``aft-nloglik`` at a fit with ``eval_set`` ("Check failed:
    preds.Size() == info.labels_lower_bound_.Size()"). XGBoost's ranking metrics compute
    without groups (one group of all rows).

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    params : dict
        The library's parameters (LightGBM's metrics in lower case).
    given : dict or None
        The user's ``booster_params``: the message shows the metric as given there.

    Raises
    ------
    ValueError
        Naming the parameter and the metric.
    """
    keys = ("eval_metric",) if library == "xgboost" else _METRIC_KEYS
    for key in (k for k in keys if params.get(k) is not None):
        value = params[key]
        names = metric_names(value.tolist() if hasattr(value, "tolist") else value)
        unknown = [n for n in names if library == "lightgbm" and not _lightgbm_metric(n)]
        if unknown:
            raise ValueError(
                f"booster_params {key}={brief((given or {}).get(key, value))}: LightGBM has no "
                f"metric {unknown[0]!r} and would skip it without a word (a fit stopping early "
                "on eval_set then fails); see LightGBM's metrics: "
                "https://lightgbm.readthedocs.io/en/latest/Parameters.html#metric."
            )
        if name := next((n for n in names if n in _METRIC_DATA[library]), None):
            lib = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}[library]
            raise ValueError(
                f"booster_params {key}={brief((given or {}).get(key, value))}: {name!r} is "
                f"{_METRIC_DATA[library][name]} that llmboost does not give ({lib} fails "
                "without them); give a metric of the task (e.g. the log loss or AUC for a "
                "classifier, the squared error for a regressor), or leave the metric to its "
                "default."
            )


@cache
def _lightgbm_metric(name: str) -> bool:
    """Whether LightGBM has the metric ``name``: a booster of four rows reports it, or
    LightGBM refuses it for the loss or the rows (it skips a name it does not know)."""
    import lightgbm as lgb

    from ._library_config import _no_stderr

    if name in _NO_METRIC:
        return True
    rows = lgb.Dataset(np.arange(8.0).reshape(4, 2), [0.0, 1.0, 0.0, 1.0], params={"verbose": -1})
    try:
        with _no_stderr():  # LightGBM prints its errors as it raises them
            params = {"objective": "regression", "metric": name, "verbose": -1}
            return bool(lgb.Booster(params, rows).eval_train())
    except lgb.basic.LightGBMError:  # "Multiclass objective and metrics don't match", ...
        return True


def metric_names(value) -> list[str]:
    """The metric names of a value of ``metric`` (names separated by commas, or a list or
    tuple of them), stripped and in lower case; ``[]`` for anything else."""
    names = value.split(",") if isinstance(value, str) else value
    return [str(n).strip().lower() for n in names] if isinstance(names, list | tuple) else []


def _mismatch(key: str, name: str, several: bool) -> bool:
    """Whether the metric ``name`` given under ``key`` contradicts the classes."""
    if key == "eval_metric":  # XGBoost's; its auc and aucpr take any number of classes
        binary = name in ("logloss", "error") or name.startswith("error@")
        return binary if several else name.partition("@")[0] in _XGBOOST_MULTICLASS_METRICS
    return name not in _NO_METRIC and (name in _MULTICLASS_METRICS) != several


__all__ = [
    "OBJECTIVE_KEYS",
    "check_class_count",
    "check_column_count",
    "check_metric_classes",
    "check_metric_data",
    "metric_names",
    "score_list",
]
