"""What the booster adapters read in the libraries' parameters: aliases, the boosting mode.

The search reads the first ``r`` rounds of one booster as the booster trained with
``r`` rounds. That holds for gradient-boosted trees (also with row and column
sampling, GOSS or several parallel trees per round), not for DART, whose later
rounds rescale earlier trees (unless it drops none), nor for XGBoost's linear
booster, whose prediction ignores the round range.
"""

from __future__ import annotations

import math
import re
from functools import cache
from numbers import Integral

import numpy as np

from ._class_count import OBJECTIVE_KEYS, check_class_count, check_metric_classes, score_list
from ._param_tables import CHOICES, NUMBER_LISTS
from ._params import brief
from ._validation import _python_number, _to_float

#: Other names the libraries take for a parameter llmboost reads or sets by default.
#: XGBoost's ``eta`` and ``nthread`` replace the defaults ``learning_rate`` and
#: ``n_jobs`` in plain XGBoost; LightGBM's aliases of the number of rounds replace
#: ``n_estimators`` in plain LightGBM (the default ``n_jobs=1`` replaced its ``nthread``,
#: ``num_thread`` and ``nthreads``), its early-stopping aliases are the patience of
#: early stopping on ``eval_set`` (LightGBM stopped every fit without one), and
#: ``is_unbalance`` is refused with more than two classes.
ALIASES = {
    "xgboost": {"learning_rate": ("eta",), "n_jobs": ("nthread",)},
    "lightgbm": {
        "n_estimators": (
            "num_iterations", "num_iteration", "n_iter", "num_tree", "num_trees",
            "num_round", "num_rounds", "nrounds", "num_boost_round", "max_iter",
        ),
        "early_stopping_rounds": ("early_stopping_round", "early_stopping", "n_iter_no_change"),
        "is_unbalance": ("unbalance", "unbalanced_sets"),
        "n_jobs": ("num_threads", "num_thread", "nthread", "nthreads"),
    },
}  # fmt: skip

#: The text of a whole number, which the adapters read as the int (``max_depth="5"``).
WHOLE_TEXT = re.compile(r"\s*[+-]?\d+\s*")

#: Parameters llmboost reads before the adapters' checks of whole numbers, and the
#: bound of their values (the libraries count rounds in 32 bits).
_ROUNDS = {"n_estimators": 2**31, "early_stopping_rounds": math.inf}

#: llmboost's XGBoost defaults that only trees read: left out for the linear booster,
#: about which XGBoost warns on every fit that they are not used.
_TREE_ONLY = ("max_depth", "tree_method")

#: LightGBM's parameters that name a loss, metrics or a mode, which it reads in any case.
_LIGHTGBM_NAMES = (
    *OBJECTIVE_KEYS, "metric", "metrics", "metric_types",
    *(key for names in CHOICES["lightgbm"] for key in names),
)  # fmt: skip

#: LightGBM's names of its boosting mode.
_LIGHTGBM_BOOSTING = ("boosting_type", "boosting", "boost")
_FOREST = ("rf", "random_forest")


def canonical_params(library: str, params: dict | None) -> dict | None:
    """``params`` with a library alias of a parameter llmboost reads under its main name,
    a NumPy scalar (or 0-d array), also in a list or tuple, as its Python value (XGBoost
    failed on ``n_jobs=np.int64(2)``: "Object of type int64 is not JSON serializable"), a
    ``Fraction`` or ``Decimal`` as a float (the libraries failed on their text, "1/2"),
    LightGBM's loss, metrics and modes (``boosting_type``, :data:`CHOICES`) in lower case,
    as LightGBM reads them, and stripped (it read ``'binary '`` as ``'binary'``, but
    ``' binary'`` as its default loss, regression, and ``' dart'`` as ``'gbdt'``, without a
    word; a tuple of them as a list), a LightGBM ``frozenset`` as a set (LightGBM failed on
    one: "Unknown type of parameter:eval_at, got:frozenset"), and the text of a whole number
    as the int for ``n_estimators`` and ``early_stopping_rounds``, as for the other whole
    numbers (``"5"`` was refused), and XGBoost's ``base_score`` of one value in a list as
    the value (the regressor failed on ``[3.0]``: "float() argument must be ... not 'list'"),
    and the text of a list as the list (:func:`_base_score`).

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    params : dict or None
        The user's ``booster_params``.

    Returns
    -------
    dict or None
        A new dict where an alias was renamed or a value rewritten, else ``params`` itself.

    Raises
    ------
    ValueError
        When a parameter is given under two of its names.
    """
    out = params
    if any(_python_values(value) is not value for value in (params or {}).values()):
        out = {k: _python_values(v) for k, v in params.items()}
    if library == "lightgbm" and params:
        named = {k: _number_list(v) if k in NUMBER_LISTS else _lower(v) for k, v in out.items()
                 if k in _LIGHTGBM_NAMES or k in NUMBER_LISTS and _has_text(v)}  # fmt: skip
        changed = any(type(named[k]) is not type(out[k]) or named[k] != out[k] for k in named)
        out = {**out, **named} if changed else out
        if any(type(v) is frozenset for v in out.values()):  # LightGBM failed on one
            out = {k: set(v) if type(v) is frozenset else v for k, v in out.items()}
    for main, aliases in ALIASES.get(library, {}).items():
        given = [key for key in (main, *aliases) if key in (params or {})]
        if len(given) > 1:
            raise ValueError(
                f"booster_params gives {' and '.join(given)}, which {library} reads as one "
                f"parameter ({main}); give it once, as {main}."
            )
        if given and given[0] != main:
            out = {**out, main: out[given[0]]}
            del out[given[0]]
    for key in (k for k in _ROUNDS if isinstance((out or {}).get(k), str)):
        out = {**out, key: _rounds(out[key], _ROUNDS[key])}
    return _base_score(out) if library == "xgboost" and "base_score" in (out or {}) else out


def _base_score(params: dict) -> dict:
    """``params`` with XGBoost's ``base_score`` as the list its text is (``"[0.2,0.3]"``),
    and one value in a list as the value (``[3.0]``: 3.0), as XGBoost reads them."""
    score = params["base_score"]
    if isinstance(score, str):
        params = {**params, "base_score": (score := score_list(score))}
    if isinstance(score, list | tuple | np.ndarray) and np.size(score) == 1:
        params = {**params, "base_score": np.ravel(score).tolist()[0]}
    return params


def _python_values(value):
    """:func:`_python_number` of a value, or of each in a list or tuple (XGBoost wrote
    ``quantile_alpha=[np.float32(0.3)]`` as text with NumPy's names, and failed on it)."""
    if isinstance(value, list | tuple) and any(_python_number(v) is not v for v in value):
        return (list if isinstance(value, list) else tuple)(map(_python_number, value))
    return _python_number(value)


def _has_text(value) -> bool:
    """Whether ``value`` is text, or a list, tuple or 1-d array holding some (LightGBM read
    ``eval_at=['1', ' 2']`` as ``[1]`` and ``label_gain=[' 1', '2']`` as none, in silence)."""
    many = isinstance(value, list | tuple) or (isinstance(value, np.ndarray) and value.ndim == 1)
    return isinstance(value, str) or many and any(isinstance(v, str) for v in value)


def _rounds(text: str, high: float):
    """The int the text of a number of rounds from 1 to below ``high`` holds; other text
    as it is, which the checks of the rounds refuse as given (``'0'``, 90 digits)."""
    whole = WHOLE_TEXT.fullmatch(text) and len(text.strip()) <= 4000  # int() takes 4300
    return int(text) if whole and 1 <= int(text) < high else text


def _lower(value):
    """A name, or a list of names, in lower case and without the spaces around it, or
    around the commas of text (LightGBM cuts its parameters' text at spaces: it read
    ``metric='auc, l2'`` as ``'auc'``, and ``max_bin_by_feature='8, 8'`` as one value);
    anything else as it is; a tuple or a 1-d NumPy array as a list (LightGBM's fit
    failed on a tuple: "can only concatenate list (not "tuple") to list")."""
    if isinstance(value, list | tuple) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [_lower(v) for v in value]
    text = isinstance(value, str)
    return ",".join(part.strip() for part in value.split(",")).lower() if text else value


def _number_list(value):
    """A LightGBM list of numbers as :func:`_lower` reads it, blank text as no values
    (LightGBM's default, which ``max_bin_by_feature=''`` is; it was refused as 1 value)."""
    return [] if isinstance(value, str) and not value.strip() else _lower(value)


def given_names(library: str, params: dict, given: dict) -> dict:
    """``params`` with a parameter :func:`canonical_params` renamed under the alias the
    user's ``given`` parameters name it by (``learning_rate`` back to ``eta``), in place.

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    params : dict
        Parameters under llmboost's main names.
    given : dict
        The user's ``booster_params``.

    Returns
    -------
    dict
    """
    alias_of = {}
    for main, aliases in ALIASES.get(library, {}).items():
        alias_of.update((main, a) for a in aliases if a in given)
    return {alias_of.get(key, key): value for key, value in params.items()}


def given_key(library: str, key: str, given: dict | None) -> str:
    """The name the user's ``given`` parameters call ``key`` by (``eta`` for
    ``learning_rate`` when given as ``eta``), for messages.

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    key : str
        A main name (:data:`ALIASES`).
    given : dict or None
        The user's ``booster_params``.

    Returns
    -------
    str
    """
    return next((a for a in ALIASES.get(library, {}).get(key, ()) if a in (given or {})), key)


def pop_patience(params: dict, default: int, name: str = "early_stopping_rounds") -> int | None:
    """Remove ``early_stopping_rounds`` from ``params`` and return it (``default`` if absent).

    Parameters
    ----------
    params : dict
        The library's parameters, aliases renamed (:func:`canonical_params`).
    default : int
    name : str, default="early_stopping_rounds"
        What the user called it, for the message (:func:`given_key`).

    Returns
    -------
    int or None
        ``None`` trains every round, also with ``eval_set``.

    Raises
    ------
    ValueError
        Unless a whole number >= 1 or ``None``.
    """
    value = params.pop("early_stopping_rounds", default)
    if value is None or (isinstance(value, Integral) and not isinstance(value, bool) and value > 0):
        return value
    raise ValueError(
        f"booster_params {name}={brief(value)}: give the rounds without improvement "
        "on eval_set to stop after (a whole number >= 1), or None to train every round."
    )


def boosting_mode(library: str, params: dict) -> str:
    """The boosting mode ``params`` select: ``"gbtree"``, ``"gblinear"``, ``"dart"`` or
    ``"rf"``.

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    params : dict
        The library's parameters.

    Returns
    -------
    str
    """
    if library == "xgboost":
        return str(params.get("booster") or "gbtree")
    modes = {str(params[key]).strip().lower() for key in _LIGHTGBM_BOOSTING if params.get(key)}
    if modes & set(_FOREST):
        return "rf"
    return "dart" if "dart" in modes else "gbtree"


def defaults_for(library: str, defaults: dict, params: dict) -> dict:
    """The adapter's ``defaults`` that the boosting mode ``params`` select reads.

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    defaults : dict
        The adapter's defaults.
    params : dict
        The user's parameters, aliases renamed (:func:`canonical_params`).

    Returns
    -------
    dict
    """
    if library == "xgboost" and boosting_mode(library, params) == "gblinear":
        return {k: v for k, v in defaults.items() if k not in _TREE_ONLY}
    return defaults


def check_binary_weight(params: dict | None, classes, scales=()) -> None:
    """Refuse parameters that contradict the number of classes of ``y``: ``scale_pos_weight``
    (or LightGBM's ``is_unbalance=True``, or an alias), which weight the positive class of
    two, with more classes, where both libraries ignore them (XGBoost with a warning on
    every fit, LightGBM in silence); a binary loss with more classes (XGBoost replaced
    it by its multiclass loss, without a word), ``num_class`` other than 1 with two
    classes and a binary loss, and a multiclass loss with two classes without
    ``num_class``, on which both failed at fit, after the prior's
    scores; and a multiclass loss with ``num_class=2`` at a scale other than 0, whose
    margin of one log-odds per row it does not take (:func:`check_margin_width` refused it
    at the first fit of the trees, after the prior's scores); and a LightGBM metric the
    number of classes contradicts (:func:`~llmboost._class_count.check_metric_classes`).

    Parameters
    ----------
    params : dict or None
        The user's ``booster_params``, under the names given.
    classes : ndarray or None
        The labels of ``y`` (``None`` for regression).
    scales : sequence, default=()
        The scales the fit tries (numbers and ``"prior"``).

    Raises
    ------
    ValueError
        Naming the parameter, the number of classes and what to give instead.
    """
    if classes is None or not params:
        return
    check_class_count(params, classes, scales)
    check_metric_classes(params, classes)
    weight = None if isinstance(w := params.get("scale_pos_weight"), bool) else _to_float(w)
    given = [k for k in ("is_unbalance", *ALIASES["lightgbm"]["is_unbalance"]) if params.get(k)]
    given = given if weight in (None, 1) else ["scale_pos_weight", *given]  # "1" is 1 too
    if len(classes) <= 2 or not given:  # scale_pos_weight=1, the default, changes nothing
        return
    raise ValueError(
        f"booster_params {given[0]}={brief(params[given[0]])} weights the positive class of a "
        f"binary target, but y has {len(classes)} classes, where the library ignores it; "
        "weight the classes with sample_weight=sklearn.utils.class_weight."
        "compute_sample_weight(class_weight, y) at fit, or booster_params class_weight (LightGBM)."
    )


def check_task_params(library: str, task: str, params: dict, given: dict | None) -> None:
    """Refuse parameters the task contradicts: ``num_class`` other than 1 in a regressor
    (XGBoost failed at fit, after the prior's scores: "base_margin_.Shape(1) ==
    OutputLength() (1 vs. 3)", LightGBM "Number of classes must be 1 for non-multiclass
    training"), XGBoost's ``base_score`` of several values in a regressor (it failed
    there: "Invalid `base_score`, it should match the number of outputs") or nested
    (``[[0.2, 0.3, 0.5]]``, on which it failed at fit, after the prior's scores: "Invalid
    type for: `base_score`"), and LightGBM's
    ``is_unbalance=True`` beside a ``scale_pos_weight`` other than 1 in a classifier (it
    failed at fit: "Cannot set is_unbalance and scale_pos_weight at the same time").

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    task : {"classification", "regression"}
    params : dict
        The library's parameters, aliases renamed (:func:`canonical_params`).
    given : dict or None
        The user's ``booster_params``, for the names in the message.

    Raises
    ------
    ValueError
        Naming the parameters.
    """
    count = next((k for k in ("num_class", "num_classes") if params.get(k) is not None), None)
    if task == "regression" and count and _to_float(params[count]) != 1:
        shown = (given or {}).get(count, params[count])  # "3" as given, not 3
        raise ValueError(
            f"booster_params {count}={brief(shown)} is a number of classes, but a "
            f"regressor fits one number per row; leave {count} out."
        )
    score, shown = params.get("base_score"), (given or {}).get("base_score")  # text as given
    shown = score if shown is None else shown
    many = isinstance(score, list | tuple | np.ndarray)
    if many and any(isinstance(v, list | tuple | np.ndarray) for v in score):
        raise ValueError(
            f"booster_params base_score={brief(shown)} is nested, which XGBoost refuses; give "
            "one number, or a flat list of one per class ([0.2, 0.3, 0.5])."
        )
    if task == "regression" and many:  # of several
        raise ValueError(
            f"booster_params base_score={brief(shown)} gives {np.size(score)} values, but a "
            "regressor fits one number per row; give one number (the trees' start)."
        )
    weight = params.get("scale_pos_weight")
    weight = None if isinstance(weight, bool) else _to_float(weight)
    if library != "lightgbm" or task != "classification" or weight in (None, 1):
        return
    if params.get("is_unbalance") is True:
        key = given_key(library, "is_unbalance", given)
        raise ValueError(
            f"booster_params scale_pos_weight={brief(params['scale_pos_weight'])} and {key}=True "
            "both weight the positive class, which LightGBM refuses; give one of them "
            "(is_unbalance weights it by the classes' ratio)."
        )


def check_margin_width(params: dict, margin) -> None:
    """Refuse a multiclass loss with a two-class margin (one log-odds per row).

    Parameters
    ----------
    params : dict
        The library's parameters.
    margin : ndarray or None
        The starting margin of a fit.

    Raises
    ------
    ValueError
        For ``multi:softprob`` / ``multi:softmax`` (XGBoost), ``multiclass`` /
        ``softmax`` (LightGBM) when ``margin`` has one column.
    """
    if margin is None or np.ndim(margin) != 1:
        return
    for key in OBJECTIVE_KEYS:
        if params.get(key) in ("multi:softprob", "multi:softmax", "multiclass", "softmax"):
            raise ValueError(
                f"booster_params {key}={brief(params[key])} with two classes: the trees start "
                "from the prior's log-odds, one number per row, which a multiclass loss does "
                "not take; leave the loss to its default (binary), or use scale=0."
            )


def prefixes_hold(library: str, params: dict | None) -> bool:
    """Whether the first ``r`` rounds of a booster are the booster trained ``r`` rounds.

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    params : dict or None
        The library's parameters.

    Returns
    -------
    bool
        ``False`` for XGBoost's linear booster and for DART when it drops trees (not
        with a drop rate of 0, XGBoost's default, or a skip probability of 1).
    """
    mode = boosting_mode(library, params or {})
    if mode == "dart":
        return not _drops_trees(library, params)
    return mode != "gblinear"


def _drops_trees(library: str, params: dict) -> bool:
    """Whether DART with ``params`` may drop trees (whose later rounds rescale earlier
    trees); with nothing dropped it is plain boosting."""
    if library == "xgboost":
        keys, rate, skip = ("rate_drop",), 0.0, 0.0
        if params.get("one_drop"):  # at least one tree dropped every round
            return True
    else:
        keys, rate, skip = ("drop_rate", "rate_drop"), 0.1, 0.5
    rate = next((params[k] for k in keys if k in params), rate)
    skip = params.get("skip_drop", skip)
    try:
        return float(rate) > 0 and float(skip) < 1
    except (TypeError, ValueError):  # the library says what is wrong with them
        return True


@cache
def lightgbm_has_cuda() -> bool:
    """Whether LightGBM can train on CUDA here: one round on four rows (LightGBM has no
    build flag to read; its PyPI wheels have no CUDA).

    Returns
    -------
    bool
    """
    import lightgbm as lgb

    rows = lgb.Dataset(np.arange(4.0).reshape(-1, 1), label=[0, 1, 0, 1])
    try:
        lgb.train({"device_type": "cuda", "objective": "binary", "verbose": -1}, rows, 1)
    except lgb.basic.LightGBMError:
        return False
    return True


__all__ = [
    "ALIASES",
    "OBJECTIVE_KEYS",
    "WHOLE_TEXT",
    "boosting_mode",
    "canonical_params",
    "check_binary_weight",
    "check_margin_width",
    "check_task_params",
    "defaults_for",
    "given_key",
    "given_names",
    "lightgbm_has_cuda",
    "pop_patience",
    "prefixes_hold",
]
