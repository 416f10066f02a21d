"""``booster_params`` names LightGBM does not know, refused with the nearest it knows.

LightGBM ignores a parameter it does not know (a typo such as ``max_dept``) with a
warning that llmboost's default ``verbose=-1`` hides, so the trees were fitted without
it in silence. XGBoost warns on every fit itself ("Parameters: { ... } are not used").
"""

from __future__ import annotations

from difflib import get_close_matches
from functools import cache

from ._compat import lightgbm_parameter_names


@cache
def _known() -> frozenset | None:
    names = lightgbm_parameter_names()
    return None if names is None else frozenset(names)


def check_parameter_names(library: str, params: dict) -> None:
    """Raise for a LightGBM parameter name that LightGBM does not know.

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    params : dict
        The library's parameters.

    Raises
    ------
    ValueError
        Naming the first unknown key, its value and the nearest known name.
    """
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
