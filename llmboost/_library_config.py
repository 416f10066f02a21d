"""Values the libraries refuse as they configure themselves (XGBoost's learner, LightGBM's
config), refused by name before any fit: both failed at the first fit, after the prior's
scores, without naming the parameter (XGBoost "Unknown metric function nope", LightGBM
"Check failed: (metric_freq) > (0) at .../config_auto.cpp, line 642")."""

from __future__ import annotations

import contextlib
import io
import os
import re
import threading
import warnings
from functools import cache, lru_cache
from numbers import Real

import numpy as np

from ._library_errors import library_message
from ._library_params import OBJECTIVE_KEYS, given_key
from ._params import brief

#: Parameters that choose the parts of the model, sent first.
_PARTS = {
    "xgboost": ("booster", "objective", "tree_method", "updater", "process_type", "device"),
    "lightgbm": (*OBJECTIVE_KEYS, "boosting_type", "boosting", "boost"),
}

#: Parameters not sent: read by the columns of X or the classes of y (which the adapters
#: and the estimators check and set at fit), or how much the library prints.
_NOT_SENT = {
    "xgboost": ("verbosity", "monotone_constraints", "interaction_constraints"),
    "lightgbm": (
        "verbosity", "verbose", "num_class", "num_classes", "class_weight", "importance_type",
        "categorical_feature", "cat_column", "cat_feature", "categorical_column",
        "categorical_features", "ignore_column", "blacklist", "ignore_feature",
        "label_column", "label", "weight_column", "weight", "group_column", "group",
        "query", "group_id", "query_id", "query_column", "monotone_constraints", "mc",
        "monotonic_cst", "monotone_constraint", "interaction_constraints",
        "max_bin_by_feature", "feature_contri", "fc", "fp", "feature_contrib",
        "feature_penalty", "cegb_penalty_feature_lazy", "cegb_penalty_feature_coupled",
        "forcedbins_filename", "auc_mu_weights",
    ),
}  # fmt: skip

#: The losses a classifier's estimator sets from ``y``: of two classes, of more.
_CLASSIFIER_LOSSES = {
    "xgboost": ("binary:logistic", "multi:softprob"),
    "lightgbm": ("binary", "multiclass"),
}

_URL = {
    "xgboost": "https://xgboost.readthedocs.io/en/stable/parameter.html",
    "lightgbm": "https://lightgbm.readthedocs.io/en/latest/Parameters.html",
}


def check_library_values(library: str, task: str, params: dict, given: dict | None) -> None:
    """Refuse a value the library refuses as it configures itself, before any fit
    (XGBoost's ``eval_metric='nope'``, ``refresh_leaf=2``, ``max_cached_hist_node=0``,
    ``updater='nope'``; LightGBM's ``metric_freq=0``, ``tweedie_variance_power=3``). The
    value named is the last without which the library takes the others (the model's
    parts first); where several are refused, the first it refuses with the parts and
    the parameters before it.

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    task : {"classification", "regression"}
        A classifier without a loss is read with the binary and the multiclass loss, as
        its estimator sets one from ``y`` (LightGBM refuses a metric of the other).
    params : dict
        The library's parameters, aliases renamed, the other checks passed.
    given : dict or None
        The user's ``booster_params``: the message names a parameter as given there.

    Raises
    ------
    ValueError
        Naming the parameter, its value and the library's reason.
    """
    skip = set(_NOT_SENT[library]) | (_xgboost_wrapper() if library == "xgboost" else set())
    sent = {k: _hashable(v) for k, v in params.items() if k not in skip}
    sent = {k: v for k, v in sent.items() if _sendable(v)}
    order = sorted(sent, key=lambda k: k not in _PARTS[library])  # the parts first
    losses = [None]
    if task == "classification" and not any(k in OBJECTIVE_KEYS for k in sent):
        losses = list(_CLASSIFIER_LOSSES[library])
    refusals = [_refusal(library, tuple((k, sent[k]) for k in order), loss) for loss in losses]
    if None in refusals:  # one loss the estimator may set takes them
        return
    key, reason = refusals[0]
    name = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}[library]
    shown = given_key(library, key, given)  # eta for learning_rate, as given
    raise ValueError(
        f"booster_params {shown}={brief((given or {}).get(shown, params[key]))}: {name} "
        f"refuses it ({reason}); see {name}'s parameters: {_URL[library]}."
    )


def _hashable(value):
    """A list or a 1-d NumPy array (quantiles, metrics) as a tuple of its values."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        return tuple(value.tolist())
    return tuple(value) if isinstance(value, list | tuple) else value


def _sendable(value) -> bool:
    """A value the library reads from ``booster_params``: a number, a name, or a list of
    them (metrics, quantiles); not a callable (a custom loss or metric, which its
    estimator keeps)."""
    many = isinstance(value, tuple) and all(isinstance(v, str | Real) for v in value)
    return many or isinstance(value, str | Real)


@cache
def _xgboost_wrapper() -> frozenset:
    """The parameters XGBoost's scikit-learn estimator keeps (not sent to the learner)."""
    import xgboost as xgb

    model = xgb.XGBModel()
    return frozenset(set(model.get_params()) - set(model.get_xgb_params()))


@lru_cache(maxsize=256)
def _refusal(library: str, items: tuple, loss: str | None) -> tuple[str, str] | None:
    """The parameter of ``items`` the library refuses (with ``loss``, the estimator's,
    where given), and its reason (``None`` when it takes them all): the last without which
    it takes the others (a loss may need a later parameter, ``quantile_alpha``), else the
    first it refuses with those before it."""
    base: dict = {"num_feature": 1} if library == "xgboost" else {"verbose": -1}
    base.update({} if loss is None else {"objective": loss})
    loss = loss or next((v for k, v in items if k in OBJECTIVE_KEYS and isinstance(v, str)), "")
    if loss.startswith("multi:") or loss in ("multiclass", "softmax"):
        base["num_class"] = 3  # the estimator sets it from y
    reason = {"xgboost": _xgboost_reason, "lightgbm": _lightgbm_reason}[library]
    if (why := reason(base, items)) is None:
        return None
    for k in reversed(range(len(items))):  # the last the library takes the others without
        if reason(base, items[:k] + items[k + 1 :]) is None:
            return items[k][0], why
    for n in range(1, len(items) + 1):  # several refused: the first, with those before it
        if (first := reason(base, items[:n])) is not None:
            return items[n - 1][0], first
    return None


def _as_sent(base: dict, items: tuple) -> dict:
    return {**base, **{k: list(v) if isinstance(v, tuple) else v for k, v in items}}


def _xgboost_reason(base: dict, items: tuple) -> str | None:
    """Why XGBoost's learner refuses ``base`` and ``items`` as it configures itself."""
    import xgboost as xgb

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # about the device, which the fit repeats
            xgb.Booster(_as_sent(base, items)).save_config()
    except xgb.core.XGBoostError as error:
        return library_message(error).rstrip(".")
    return None


def _lightgbm_reason(base: dict, items: tuple) -> str | None:
    """Why LightGBM refuses ``base`` and ``items`` as it reads its config (which it does
    for a dataset of four rows as for the training rows)."""
    import lightgbm as lgb

    rows = np.arange(8.0).reshape(4, 2)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), _no_stderr():
            warnings.simplefilter("ignore")  # LightGBM prints its error as it raises it
            lgb.Dataset(rows, label=[0, 1, 0, 1], params=_as_sent(base, items)).construct()
    except lgb.basic.LightGBMError as error:
        return re.sub(r" at \S+, line \d+ ?\.?$", "", library_message(error)).rstrip(".")
    return None


#: One thread at a time swaps the process's stderr (two at once could restore /dev/null).
_STDERR_SWAP = threading.Lock()


@contextlib.contextmanager
def _no_stderr():
    """The process's stderr closed to LightGBM's C++ code, which writes its errors there
    ("[LightGBM] [Fatal] ..."), also those of the loss the estimator does not set."""
    with _STDERR_SWAP:
        try:
            saved = os.dup(2)
        except OSError:  # no stderr to silence
            saved = None
        if saved is not None:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 2)
            os.close(null)
        try:
            yield
        finally:
            if saved is not None:
                os.dup2(saved, 2)
                os.close(saved)


__all__ = ["check_library_values"]
