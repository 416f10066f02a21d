"""What the booster adapters read in the libraries' parameters: the boosting mode.

The search reads the first ``r`` rounds of one booster as the booster trained with
``r`` rounds. That holds for gradient-boosted trees (also with row and column
sampling, GOSS or several parallel trees per round), not for DART, whose later
rounds rescale earlier trees, nor for XGBoost's linear booster, whose prediction
ignores the round range.
"""

from __future__ import annotations

#: LightGBM's names of its boosting mode.
_LIGHTGBM_BOOSTING = ("boosting_type", "boosting", "boost")
_FOREST = ("rf", "random_forest")


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
    modes = {str(params[key]).lower() for key in _LIGHTGBM_BOOSTING if params.get(key)}
    if modes & set(_FOREST):
        return "rf"
    return "dart" if "dart" in modes else "gbtree"


def check_boosting(library: str, params: dict) -> None:
    """Refuse LightGBM's random forest mode.

    It refuses a starting margin (``init_score``), and its raw score is the sum of its
    trees where its predictions average them, so even from no margin llmboost would
    read a forest of ``n`` trees as ``n`` times its margin.

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    params : dict
        The library's parameters.

    Raises
    ------
    ValueError
        For ``boosting_type="rf"`` (or an alias).
    """
    if library != "lightgbm" or boosting_mode(library, params) != "rf":
        return
    key = next(k for k in _LIGHTGBM_BOOSTING if str(params.get(k)).lower() in _FOREST)
    raise ValueError(
        f"booster_params {key}={params[key]!r} is not supported: LightGBM's random forest "
        "cannot start from the prior's margin, and its raw score sums the trees where its "
        "predictions average them. Use boosting_type='gbdt' with subsample < 1 (and "
        "subsample_freq=1), or XGBoost with num_parallel_tree."
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
        ``False`` for DART and XGBoost's linear booster.
    """
    return boosting_mode(library, params or {}) not in ("dart", "gblinear")


__all__ = ["boosting_mode", "check_boosting", "prefixes_hold"]
