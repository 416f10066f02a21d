"""The training rows as the steps of ``fit`` read them, and the final refit of the
members the search chose (one booster per scale with trees)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from .._library_params import given_names
from ..boosters import make_booster
from ..scale_search import FusionMember, shrink_center, start_margin


class _Rows(NamedTuple):
    """The training rows as the steps of ``fit`` read them."""

    frame: pd.DataFrame  # to_frame(X)
    trees: pd.DataFrame  # the same rows with names the boosters accept
    categories: dict
    y: np.ndarray  # checked labels or floats
    encoded: np.ndarray  # class codes or floats
    classes: np.ndarray | None
    weight: np.ndarray | None


def refit_members(
    members, booster, params, task, seed, rows: _Rows, margin, validation, given=None
):
    """Fit one booster per distinct scale with trees, as many rounds as its members use;
    their messages name a parameter as the user's ``given`` booster_params do (``eta``)."""
    rounds_at: dict[float, int] = {}
    for s, r, _ in members:
        if r:
            rounds_at[s] = max(r, rounds_at.get(s, 0))
    fitted = {}
    center = shrink_center(task, rows.encoded, rows.weight)
    for s, r in rounds_at.items():
        start = start_margin(s, margin, center)
        member_params = dict(params or {})
        eval_set = None
        if validation is None:
            member_params["n_estimators"] = r
        else:
            X_val, y_val, z_val = validation
            eval_set = (X_val, y_val, start_margin(s, z_val, center))
        member_params = given_names(booster, member_params, given or {})
        adapter = make_booster(booster, member_params, task, seed)
        fitted[s] = adapter.fit(rows.trees, rows.encoded, start, rows.weight, eval_set)
    out: dict[tuple, float] = {}
    for s, r, w in members:
        rounds = min(r, fitted[s].n_rounds_) if r else 0
        out[(s, rounds)] = out.get((s, rounds), 0.0) + w
    return [
        FusionMember(s, r, w, fitted.get(s) if r else None, center) for (s, r), w in out.items()
    ]


__all__ = ["refit_members"]
