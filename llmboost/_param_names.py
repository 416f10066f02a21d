"""``booster_params`` names and numbers the libraries would misread, refused by name.

LightGBM ignores a parameter it does not know (a typo such as ``max_dept``) with a
warning that llmboost's default ``verbose=-1`` hides, so the trees were fitted without
it in silence. XGBoost warns on every fit itself ("Parameters: { ... } are not used").
Text or a boolean for a number failed inside the libraries without the parameter's
name (LightGBM: "Unknown token fast in data file"; XGBoost: "Some trailing characters
could not be parsed: 'ast'").
"""

from __future__ import annotations

from difflib import get_close_matches
from functools import cache
from numbers import Real

from ._compat import lightgbm_parameter_names
from ._validation import _is_number

#: Parameters of the two libraries' estimators that take a number.
_NUMBERS = (
    "learning_rate", "max_depth", "num_leaves", "min_child_samples", "min_child_weight",
    "subsample", "subsample_freq", "colsample_bytree", "colsample_bylevel",
    "colsample_bynode", "reg_alpha", "reg_lambda", "gamma", "min_split_gain", "max_bin",
    "max_delta_step", "scale_pos_weight", "huber_slope",
)  # fmt: skip


@cache
def _known() -> frozenset | None:
    names = lightgbm_parameter_names()
    return None if names is None else frozenset(names)


def check_parameter_names(library: str, params: dict) -> None:
    """Raise for text or a boolean where a number belongs, and for a LightGBM parameter
    name that LightGBM does not know.

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    params : dict
        The library's parameters.

    Raises
    ------
    ValueError
        Naming the key and its value (and the nearest known name).
    """
    for key in _NUMBERS:
        value = params.get(key)
        text = isinstance(value, str) and not _is_number(value)
        if text or isinstance(value, bool) or not isinstance(value, Real | str | None):
            name = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}.get(library, library)
            raise ValueError(f"booster_params {key}={value!r}: {name} takes a number here.")
    known = _known() if library == "lightgbm" else None
    unknown = [key for key in params if known is not None and key not in known]
    if not unknown:
        return
    key = unknown[0]
    near = get_close_matches(str(key), sorted(known), n=1)
    hint = f"did you mean {near[0]!r}? " if near else ""
    raise ValueError(
        f"booster_params {key}={params[key]!r}: LightGBM has no parameter {key!r} and would "
        f"ignore it ({hint}LightGBM's parameters: "
        "https://lightgbm.readthedocs.io/en/latest/Parameters.html)."
    )


__all__ = ["check_parameter_names"]
