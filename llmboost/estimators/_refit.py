"""The training rows as the steps of ``fit`` read them, the final refit of the
members the search chose (one booster per scale with trees), and the refusal of a
member whose starting margin overflows."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import NamedTuple

import numpy as np
import pandas as pd

from .._columns import _plain
from .._library_params import given_names
from ..boosters import make_booster
from ..scale_search import MARGIN_LIMIT, FusionMember, bounded_margin, shrink_center, start_margin


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
        with np.errstate(over="ignore"):  # past float64: inf, refused by check_overflow
            start = start_margin(s, margin, center)
        member_params = dict(params or {})
        eval_set = None
        if validation is None:
            member_params["n_estimators"] = r
        else:
            X_val, y_val, z_val = validation
            with np.errstate(over="ignore"):  # past float64: inf, refused below
                eval_set = (X_val, y_val, start_margin(s, z_val, center))
        member_params = given_names(booster, member_params, given or {})
        adapter = make_booster(booster, member_params, task, seed)
        fitted[s] = adapter.fit(rows.trees, rows.encoded, start, rows.weight, eval_set)
        if eval_set is not None and eval_set[2] is not None:  # as predict refuses them
            member = FusionMember(s, r, 1.0, fitted[s], center)
            _check_eval_rows(member, start, eval_set[2], z_val, task == "classification")
    out: dict[tuple, float] = {}
    for s, r, w in members:
        rounds = min(r, fitted[s].n_rounds_) if r else 0
        out[(s, rounds)] = out.get((s, rounds), 0.0) + w
    return [
        FusionMember(s, r, w, fitted.get(s) if r else None, center) for (s, r), w in out.items()
    ]


def fused_scale(members) -> float:
    """The prior's weight in the fused margin, ``sum(weight * scale)``, summed exactly and
    without the float noise of the averaged weights (0.829, not 0.8290000000000001): a
    sum of several members within 16 ulps of a decimal of 12 significant digits is that
    decimal (a single member's scale is kept as given)."""
    total = float(sum(Fraction(m.weight) * Fraction(m.scale) for m in members))
    if len(members) < 2:
        return total
    short = float(f"{total:.12g}")
    return short if abs(short - total) <= 16 * math.ulp(total) else total


def _check_eval_rows(member, start, val_start, z_val, classification: bool) -> None:
    """Refuse eval_set rows whose starting margin overflows where the training rows'
    does not (:func:`check_overflow` names a scale that overflows on those)."""
    if np.isfinite(bounded_margin(np.zeros(np.shape(start)), start, member.booster)).all():
        zeros = np.zeros(np.shape(val_start))
        check_predicted(member, zeros, val_start, z_val, classification, eval_set=True)


def check_overflow(fused, rows: _Rows, margin) -> None:
    """Refuse a member whose trees' margin is infinite on the training rows: a scale
    that overflows (past :data:`~llmboost.scale_search.MARGIN_LIMIT`), given alone or
    kept by a search whose every scale overflows."""
    for member in fused:
        if member.booster is None or member.scale == 0:
            continue
        with np.errstate(over="ignore"):  # past float64: inf, refused below
            start = member.start(margin)
        out = member.booster.predict_margin(rows.trees, start, member.n_rounds)
        if np.isfinite(bounded_margin(out, start, member.booster)).all():
            continue
        peak = float(np.max(np.abs(margin - member.center)))
        what = "logit" if rows.classes is not None else "distance from the target's mean"
        raise ValueError(
            f"scale={member.scale:g} times the prior's largest out-of-fold {what} "
            f"({peak:.4g}) overflows the trees' starting margin (at most {MARGIN_LIMIT:.4g}, "
            "float32's largest): the predictions are infinite. Give a smaller scale, or add "
            "smaller ones to the scales searched (the search leaves out the scales whose "
            "margin overflows)."
        )


def check_predicted(
    member, part, start, z, classification: bool, eval_set=False, rows=None
) -> None:  # fmt: skip
    """Refuse new rows (of ``eval_set``) on which ``member``'s margin ``part`` overflows:
    its ``start`` from the prior's margin ``z`` past
    :data:`~llmboost.scale_search.MARGIN_LIMIT` (trees) or float64 (the prior alone),
    which gave infinite values or NaN probabilities (early stopping's scores) in silence.
    ``rows``: (the rows counted, the word and the labels naming each) instead of
    ("rows", "rows", positions)."""
    out = part if member.booster is None else bounded_margin(part, start, member.booster)
    bad = ~np.isfinite(out).reshape(len(out), -1).all(axis=1)
    if not bad.any():
        return
    peak = float(np.max(np.abs(z[bad] - member.center)))
    what = "logits" if classification else "distances from the target's mean"
    where = f"{MARGIN_LIMIT:.4g}, float32's" if member.booster is not None else "float64's"
    counted, result = (
        ("eval_set rows", "early stopping's scores") if eval_set else ("rows", "their predictions")
    )
    counted, word, labels = rows or (counted, "rows", np.arange(len(bad)))
    named = [_plain(v) for v in labels[np.flatnonzero(bad)[:5]]]
    raise ValueError(
        f"scale={member.scale:g} times the prior's {what} on {int(bad.sum())} of {len(bad)} "
        f"{counted} ({word} {named}, largest {peak:.4g}) overflows "
        f"the starting margin (past {where} largest): {result} would be infinite "
        "or NaN. The prior scores these rows far beyond the training rows; check them, or "
        "refit with a smaller scale."
    )


__all__ = ["check_overflow", "check_predicted", "fused_scale", "refit_members"]
