"""Constraints in ``booster_params`` given by column position, checked against ``X``.

Both libraries take positions, XGBoost only in forms its scikit-learn estimator
passes through: it fails on a ``monotone_constraints`` list (``'list' object has no
attribute 'keys'``), as on an array, refuses NumPy integers or floats in it ("Invalid
Parameter format for monotone_constraints"), and refuses positions in
``interaction_constraints`` ("not a subset of training data feature names"). A list
of ``monotone_constraints`` of another length than the columns is XGBoost's
constraints of the first columns when shorter, and a position past the last column
LightGBM ignores, both without a word.
LightGBM's ``categorical_feature`` as a parameter takes positions only: a name failed
inside LightGBM ("categorical_feature is not a number,"). A monotone constraint on a
categorical column aborted the Python process in LightGBM ("The output cannot be
monotone with respect to categorical features") and was not applied by XGBoost.
"""

from __future__ import annotations

import ast
import re
from numbers import Integral, Real

import numpy as np
import pandas as pd

#: LightGBM's names of its categorical columns' parameter.
_CATEGORICAL = (
    "categorical_feature", "cat_feature", "categorical_column", "cat_column",
    "categorical_features",
)  # fmt: skip


def position_constraints(library: str, params: dict, columns) -> dict:
    """The constraints of ``params`` given by position, in the form ``library`` takes.

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    params : dict
        The library's parameters.
    columns : list of str
        The names of the columns the booster trains on, in order.

    Returns
    -------
    dict
        ``monotone_constraints`` (its directions as Python ints; a tuple for a list or
        array), ``interaction_constraints`` and LightGBM's ``categorical_feature`` where
        given by position (XGBoost: column names; a set of LightGBM's categorical
        positions as a list: LightGBM ignored it as a parameter); empty otherwise.

    Raises
    ------
    ValueError
        For a ``monotone_constraints`` list of another length than ``columns`` or a
        direction other than -1, 0 and 1, a position that is no column's, or a name in
        ``categorical_feature``.
    """
    columns, out = list(columns), {}
    monotone = params.get("monotone_constraints")
    if isinstance(monotone, np.ndarray) and monotone.ndim == 1:
        monotone = monotone.tolist()
    if isinstance(monotone, str):  # each library misread the other's text
        monotone = _monotone_text(monotone)
    if isinstance(monotone, list | tuple):
        if len(monotone) != len(columns):
            raise ValueError(
                f"booster_params monotone_constraints has {len(monotone)} entries for the "
                f"{len(columns)} columns of X; give one per column, in X's order, or a dict "
                "of the constrained columns' names."
            )
        out["monotone_constraints"] = tuple(map(_sign, monotone, columns))
    elif isinstance(monotone, dict):  # XGBoost's text of it read np.int64(1) as no number
        out["monotone_constraints"] = {c: _sign(v, c) for c, v in monotone.items()}
    for key in _CATEGORICAL if library == "lightgbm" else ():  # a set too, in its order
        given = _categorical_text(params[key]) if isinstance(params.get(key), str) else None
        given = params.get(key) if given is None else given
        if isinstance(given, list | tuple | set | frozenset):
            out[key] = [_categorical(key, c, columns) for c in given]
    groups = params.get("interaction_constraints")
    if isinstance(groups, str):  # LightGBM read its names as other columns, in silence
        groups = interaction_text(groups)
    if isinstance(groups, list | tuple | np.ndarray):  # NumPy groups as lists
        groups = [g.tolist() if isinstance(g, np.ndarray) else g for g in groups]
    if isinstance(groups, list) and all(isinstance(g, list | tuple) for g in groups):
        out["interaction_constraints"] = [
            [_member(library, c, columns) for c in group] for group in groups
        ]
    return out


def check_constraint_forms(params: dict) -> None:
    """Refuse constraints in a form the libraries misread: ``monotone_constraints`` as
    neither a dict, list, array nor text (a pandas Series failed at fit, after the
    prior's scores, with "Invalid Parameter format"), and sets in
    ``interaction_constraints`` (LightGBM ignored groups of names as sets in silence),
    or a group there that is no list, or a dict (LightGBM read a bare name as another
    column, XGBoost a bare name letter by letter and a dict's keys as a group)."""
    monotone = params.get("monotone_constraints")
    if not (monotone is None or isinstance(monotone, list | tuple | dict | str | np.ndarray)):
        raise ValueError(
            f"booster_params monotone_constraints is a {type(monotone).__name__}: give a "
            "dict of the constrained columns' names and directions ({'a': 1}; a Series: "
            "series.to_dict()), or a list of one direction per column of X, in X's order."
        )
    groups = params.get("interaction_constraints")
    if isinstance(groups, set | frozenset) or (
        isinstance(groups, list | tuple) and any(isinstance(g, set | frozenset) for g in groups)
    ):
        raise ValueError(
            "booster_params interaction_constraints holds a set: give each group as a list "
            "([['a', 'b'], ['c']], or positions [[0, 1], [2]]), in a list."
        )
    listed = isinstance(groups, list | tuple | np.ndarray)  # a 1-D array: no groups
    bare = [g for g in groups if not isinstance(g, list | tuple | np.ndarray)] if listed else []
    if isinstance(groups, dict) or bare:  # misread: a name as other columns, text by letter
        what = f"its group {bare[0]!r} is not a list" if bare else "it is a dict"
        raise ValueError(
            f"booster_params interaction_constraints is not a list of groups ({what}): give "
            "each group as a list ([['a', 'b'], ['c']], or positions [[0, 1], [2]]), in a list."
        )


def check_monotone_categories(library: str, params: dict, X) -> None:
    """Refuse a non-zero ``monotone_constraints`` entry on a categorical column of ``X``
    (pandas ``category``, or a position in LightGBM's ``categorical_feature``), given
    ``params`` as :func:`position_constraints` left them."""
    monotone, columns = params.get("monotone_constraints"), list(X.columns)
    if isinstance(monotone, str):  # XGBoost's "(1,0,-1)"
        monotone = [int(v) for v in re.findall(r"-?\d+", monotone)]
    if isinstance(monotone, list | tuple):
        monotone = dict(zip(columns, monotone))
    if not isinstance(monotone, dict):
        return
    categorical = {c for c in columns if isinstance(X[c].dtype, pd.CategoricalDtype)}
    for key in _CATEGORICAL if library == "lightgbm" else ():
        given = params.get(key)
        if isinstance(given, list | tuple):
            categorical.update(columns[c] for c in given if isinstance(c, Integral))
    bad = [c for c, sign in monotone.items() if sign and c in categorical]
    if bad:
        raise ValueError(
            f"booster_params monotone_constraints constrains {bad[0]!r}, which is a "
            "categorical column (text or categories): its categories have no order for the "
            "output to follow (LightGBM aborts the process, XGBoost does not apply it). "
            "Leave it out of monotone_constraints, or encode it as ordered numbers."
        )


def lightgbm_categorical(params: dict, X) -> tuple[dict, list | str]:
    """``params`` without LightGBM's categorical positions, and the positions for its
    ``fit``: those given and ``X``'s unordered category columns (``"auto"`` when none are
    given). As a parameter, LightGBM replaced them by the category columns of a table
    that has some ("categorical_feature in param dict is overridden")."""
    given = [key for key in _CATEGORICAL if isinstance(params.get(key), list | tuple)]
    if not given:
        return params, "auto"
    positions = {int(c) for key in given for c in params[key]}
    for i, column in enumerate(X.columns):
        dtype = X[column].dtype
        if isinstance(dtype, pd.CategoricalDtype) and not dtype.ordered:  # LightGBM's "auto"
            positions.add(i)
    return {k: v for k, v in params.items() if k not in given}, sorted(positions)


def _monotone_text(text: str) -> list:
    """``monotone_constraints`` as text, LightGBM's ``"1,0,-1"`` or XGBoost's
    ``"(1,0,-1)"``, as a list (XGBoost failed at fit on the first, LightGBM ignored the
    second without a word)."""
    body = text.strip().removeprefix("(").removesuffix(")").strip()
    parts = [p.strip() for p in body.split(",")] if body else []
    if not all(re.fullmatch(r"[+-]?\d+", p) for p in parts):
        raise ValueError(
            f"booster_params monotone_constraints={text!r} is no list of directions: give "
            "one per column of X, in X's order, as a list ([1, 0, -1]) or text ('1,0,-1')."
        )
    return [int(p) for p in parts]


def interaction_text(text: str) -> list:
    """``interaction_constraints`` as text (``"[[0, 1], [2]]"``, ``'[["a"], ["b"]]'`` or
    LightGBM's ``"[0, 1], [2]"``) as its list of groups."""
    try:
        groups = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        groups = None
    groups = list(groups) if isinstance(groups, list | tuple) else []
    if not groups or not all(isinstance(g, list | tuple) for g in groups):
        raise ValueError(
            f"booster_params interaction_constraints={text!r} is no list of groups: give "
            "each group as a list of columns, in a list ([['a', 'b'], ['c']], or positions "
            "[[0, 1], [2]])."
        )
    return [list(g) for g in groups]


def _sign(value, column) -> int:
    """A direction of ``monotone_constraints`` as a Python int (-1, 0 or 1), also from
    its text (``'1'``, as LightGBM reads it; ``' 1'`` there dropped every constraint)."""
    number = value
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,4}\s*", value):
        number = int(value)
    if isinstance(number, Real) and number in (-1, 0, 1):
        return int(number)
    raise ValueError(
        f"booster_params monotone_constraints gives {value!r} for column {column!r}: give "
        "-1 (decreasing), 0 (unconstrained) or 1 (increasing)."
    )


def _categorical_text(text: str) -> list | None:
    """LightGBM's text of categorical columns, ``"0,2"`` (positions) or ``"name:a,b"``
    (names), as the list of them; ``None`` for other text. As text it stayed a parameter,
    which LightGBM replaced by X's category columns without using it."""
    names = text.strip().startswith("name:")
    parts = [p.strip() for p in text.strip().removeprefix("name:").split(",")]
    if names and all(parts):
        return parts
    return [int(p) for p in parts] if all(re.fullmatch(r"\d+", p) for p in parts) else None


def _categorical(key: str, column, columns: list) -> int:
    """A position of LightGBM's ``categorical_feature``, checked; its text too (``'3'``, as
    LightGBM reads it)."""
    if isinstance(column, str) and re.fullmatch(r"\s*\d{1,9}\s*", column):
        column = int(column)
    if isinstance(column, str):
        raise ValueError(
            f"booster_params {key} names {column!r}: LightGBM takes its categorical columns "
            "by position here (0 for the first column of X), or make them pandas "
            "'category' columns, which llmboost passes to both libraries as categories."
        )
    return _member("lightgbm", column, columns, key)


def _member(library: str, column, columns: list, key="interaction_constraints"):
    """A column of ``key``: a position checked (a column name for XGBoost), or a name."""
    if isinstance(column, str):
        return column
    if isinstance(column, bool) or not isinstance(column, Integral):  # LightGBM: True is 1
        what = "names or positions" if key == "interaction_constraints" else "positions"
        raise ValueError(
            f"booster_params {key} holds {column!r}: give the columns' {what} (0 for the "
            "first column of X)."
        )
    if not 0 <= column < len(columns):
        raise ValueError(
            f"booster_params {key} holds position {column}, but X has "
            f"{len(columns)} columns (positions 0 to {len(columns) - 1})."
        )
    return columns[int(column)] if library == "xgboost" else int(column)


__all__ = [
    "check_constraint_forms",
    "interaction_text",
    "check_monotone_categories",
    "lightgbm_categorical",
    "position_constraints",
]
