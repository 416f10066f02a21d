"""The extra-keyword dict of an in-context prior (``tabpfn_params``, ``tabicl_params``),
checked against the library's estimator class before it is passed on."""

from __future__ import annotations

import inspect

from .._params import POSITIVE_REAL, brief

#: Extra keywords the libraries take without checking them, and the values that work:
#: a temperature <= 0 turned the probabilities around (0.53 -> 0.47) or made them NaN.
CHECKED_EXTRA = {"softmax_temperature": POSITIVE_REAL}


def checked_extra(prior, cls, params: dict) -> dict:
    """``params`` and the extra keywords of ``prior`` for the library's class ``cls``; an
    extra one it does not take, one that is a parameter of the prior, or a value it would
    misread is named."""
    name, field = type(prior).__name__, prior._extra_params
    extra = dict(getattr(prior, field) or {})
    known = inspect.signature(cls).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in known.values())
    unknown = sorted(set(extra) - set(known))
    if unknown and not takes_any:
        raise ValueError(
            f"{name}: {field} has {', '.join(map(repr, unknown))}, which {cls.__name__} does "
            f"not take; its parameters are {', '.join(known)}."
        )
    if refused := sorted(set(extra) & set(prior._refused_extra)):
        key = refused[0]
        raise ValueError(f"{name}: {field} has {key!r}, which {prior._refused_extra[key]}.")
    if own := sorted(set(extra) & set(params) & set(prior.get_params(deep=False))):
        raise ValueError(
            f"{name}: {field} has {', '.join(map(repr, own))}, which {name} sets itself (to "
            f"{params[own[0]]!r} here); pass {own[0]}=... to {name} instead."
        )
    for key, allowed in CHECKED_EXTRA.items():
        if key in extra and not allowed(extra[key]):
            raise ValueError(
                f"{name}: {field} has {key}={brief(extra[key])}; it must be {allowed}."
            )
    return {**params, **extra}


__all__ = ["CHECKED_EXTRA", "checked_extra"]
