"""Exact per-row explanations of a fused model: the prior's share plus tree SHAP.

A fitted PriorBoost model's margin is ``scale_ * z + sum_j weight_j * T_j(X)``, where
``z`` is the prior's unscaled margin and ``T_j`` the trees of member ``j`` (see
``members_``). Tree SHAP (XGBoost ``pred_contribs``, LightGBM ``pred_contrib``) splits
each ``T_j`` into one value per feature plus a bias; the library puts the starting
margin ``scale_j * z`` into that bias, and it is moved to the ``prior`` column here. So

    margin = sum(feature columns) + prior + bias

holds for every row (the bias takes the float32 rounding of XGBoost's SHAP values, about
1e-6, so the sum equals ``decision_function`` / ``predict``). The transformer is
never explained feature by feature: it is one column, which costs one prior call.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted, validate_data

from ._validation import align_categories, booster_frame, to_frame

#: Names of the two columns added to the features.
PRIOR_COLUMN, BIAS_COLUMN = "prior", "bias"


def explain(estimator, X) -> pd.DataFrame:
    """Per-row contributions to the margin of a fitted PriorBoost estimator.

    Parameters
    ----------
    estimator : PriorBoostClassifier or PriorBoostRegressor (or a subclass), fitted
    X : array-like or DataFrame of shape (n_samples, n_features)

    Returns
    -------
    DataFrame
        One row per row of ``X`` (same index when ``X`` is a DataFrame). Columns: one
        per feature (named as in ``X``; ``x0, x1, ...`` for arrays) holding the trees'
        SHAP values, ``prior`` (``scale_ * z``, what the prior contributes) and
        ``bias`` (the trees' expected value). Each row sums to the margin:
        ``decision_function`` for binary classifiers (log-odds of ``classes_[1]``),
        ``predict`` for regressors.

        **Multiclass**: the columns are a MultiIndex ``(class, column)`` with one block
        of the same columns per class in the order of ``classes_``;
        ``frame[c]`` is class ``c``'s table and sums to ``decision_function(X)[:, i]``
        (the logit of class ``c``).

    Raises
    ------
    ValueError
        When a feature is itself named ``prior`` or ``bias``.
    """
    check_is_fitted(estimator, "members_")
    frame = to_frame(X)
    validate_data(estimator, X, reset=False, skip_check_array=True)
    frame = align_categories(frame, estimator.categories_)
    names = [str(c) for c in frame.columns]
    clash = sorted({PRIOR_COLUMN, BIAS_COLUMN} & set(names))
    if clash:
        raise ValueError(
            f"X has a feature named {clash[0]!r}, the name of an explanation column; "
            "rename that column to explain this model."
        )
    z = estimator._prior_margin(frame) if estimator.prior_ is not None else None
    table = _contributions(estimator.members_, booster_frame(frame), z)
    index = X.index if isinstance(X, pd.DataFrame) else None
    columns = [*names, PRIOR_COLUMN, BIAS_COLUMN]
    if table.ndim == 2:
        return pd.DataFrame(table, columns=columns, index=index)
    classes = list(estimator.classes_)
    wide = table.reshape(len(frame), -1)
    header = pd.MultiIndex.from_product([classes, columns], names=["class", "column"])
    return pd.DataFrame(wide, columns=header, index=index)


def _contributions(members, frame: pd.DataFrame, z: np.ndarray | None) -> np.ndarray:
    """``(n, p + 2)`` or ``(n, k, p + 2)``: features, prior, bias, weighted over members."""
    n, p = frame.shape
    total = None
    done: dict[tuple, np.ndarray] = {}
    for member in members:
        start = None if member.scale == 0 else member.scale * z
        if member.booster is None:
            shape = start.shape + (p + 2,)
            part = np.zeros(shape)
            part[..., p] = start
        else:
            key = (id(member.booster), member.scale, member.n_rounds)
            if key not in done:
                done[key] = _member_table(member.booster, frame, start, member.n_rounds)
            part = done[key]
        total = member.weight * part if total is None else total + member.weight * part
    return total


def _member_table(booster, frame, start, n_rounds) -> np.ndarray:
    """One member's features, prior and bias columns; the trees' bias excludes ``start``.

    The bias is what the member's margin leaves after the features and the prior, so
    the row sums match ``predict_margin`` exactly; it differs from the library's bias
    column only by the float32 rounding of XGBoost's SHAP values (about 1e-6).
    """
    shap = tree_contributions(booster, frame, start, n_rounds)
    prior = np.zeros(shap.shape[:-1]) if start is None else np.asarray(start, dtype=np.float64)
    features = shap[..., :-1]
    bias = booster.predict_margin(frame, start, n_rounds) - features.sum(axis=-1) - prior
    return np.concatenate([features, prior[..., None], bias[..., None]], axis=-1)


def tree_contributions(booster, frame: pd.DataFrame, margin, n_rounds=None) -> np.ndarray:
    """Tree SHAP of a fitted booster adapter, with ``margin`` in the last (bias) column.

    Returns ``(n, p + 1)`` for binary classification and regression, ``(n, k, p + 1)``
    for ``k`` classes; each row (per class) sums to ``predict_margin(frame, margin,
    n_rounds)``.
    """
    rounds = booster.n_rounds_ if n_rounds is None else int(n_rounds)
    if booster.name == "xgboost":
        import xgboost as xgb

        data = xgb.DMatrix(frame, base_margin=margin, enable_categorical=True)
        out = booster.model_.get_booster().predict(
            data, pred_contribs=True, iteration_range=(0, rounds)
        )
        return np.asarray(out, dtype=np.float64)
    if booster.name == "lightgbm":
        out = np.asarray(
            booster.model_.predict(frame, pred_contrib=True, num_iteration=rounds),
            dtype=np.float64,
        )
        k = getattr(booster.model_, "n_classes_", 2)
        if booster.task == "classification" and k > 2:
            out = out.reshape(len(frame), k, -1)
        if margin is not None:
            out[..., -1] += margin
        return out
    raise ValueError(f"No tree contributions for booster {booster.name!r}.")


__all__ = ["BIAS_COLUMN", "PRIOR_COLUMN", "explain", "tree_contributions"]
