"""Constraints in ``booster_params`` given by column position, checked against ``X``.

Both libraries take positions, XGBoost only in forms its scikit-learn estimator
passes through: it fails on a ``monotone_constraints`` list (``'list' object has no
attribute 'keys'``) and refuses positions in ``interaction_constraints`` ("not a
subset of training data feature names"). A list of ``monotone_constraints`` of
another length than the columns is XGBoost's constraints of the first columns when
shorter, and a position past the last column LightGBM ignores, both without a word.
LightGBM's ``categorical_feature`` as a parameter takes positions only: a name failed
inside LightGBM ("categorical_feature is not a number,").
"""

from __future__ import annotations

from numbers import Integral

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
        ``monotone_constraints``, ``interaction_constraints`` and LightGBM's
        ``categorical_feature`` where given by position (XGBoost: a tuple, and column
        names); empty otherwise.

    Raises
    ------
    ValueError
        For a ``monotone_constraints`` list of another length than ``columns``, a
        position that is no column's, or a name in ``categorical_feature``.
    """
    columns, out = list(columns), {}
    monotone = params.get("monotone_constraints")
    if isinstance(monotone, list | tuple):
        if len(monotone) != len(columns):
            raise ValueError(
                f"booster_params monotone_constraints has {len(monotone)} entries for the "
                f"{len(columns)} columns of X; give one per column, in X's order, or a dict "
                "of the constrained columns' names."
            )
        out["monotone_constraints"] = tuple(monotone)
    for key in _CATEGORICAL if library == "lightgbm" else ():
        if isinstance(params.get(key), list | tuple):
            out[key] = [_categorical(key, c, columns) for c in params[key]]
    groups = params.get("interaction_constraints")
    if isinstance(groups, list | tuple) and all(isinstance(g, list | tuple) for g in groups):
        out["interaction_constraints"] = [
            [_member(library, c, columns) for c in group] for group in groups
        ]
    return out


def _categorical(key: str, column, columns: list) -> int:
    """A position of LightGBM's ``categorical_feature``, checked."""
    if isinstance(column, str):
        raise ValueError(
            f"booster_params {key} names {column!r}: LightGBM takes its categorical columns "
            "by position here (0 for the first column of X), or make them pandas "
            "'category' columns, which llmboost passes to both libraries as categories."
        )
    return _member("lightgbm", column, columns, key)


def _member(library: str, column, columns: list, key="interaction_constraints"):
    """A column of ``key``: a position checked (a column name for XGBoost)."""
    if not isinstance(column, Integral) or isinstance(column, bool):
        return column
    if not 0 <= column < len(columns):
        raise ValueError(
            f"booster_params {key} holds position {column}, but X has "
            f"{len(columns)} columns (positions 0 to {len(columns) - 1})."
        )
    return columns[int(column)] if library == "xgboost" else int(column)


__all__ = ["position_constraints"]
