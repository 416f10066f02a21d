"""Exact per-row explanations of a fused model: the prior's share plus tree SHAP.

A fitted PriorBoost model's margin is ``scale_ * z + sum_j weight_j * T_j(X)``, where
``z`` is the prior's unscaled margin and ``T_j`` the trees of member ``j`` (see
``members_``; a regressor's is ``m + scale_ * (z - m) + ...``, ``m`` the training
target's mean, and ``m`` is in the bias). Tree SHAP (XGBoost ``pred_contribs``,
LightGBM ``pred_contrib``) splits each ``T_j`` into one value per feature plus a bias;
the library puts the starting margin ``scale_j * z`` into that bias, and it is moved to
the ``prior`` column here. So

    margin = sum(feature columns) + prior + bias

holds for every row (the bias takes the float32 rounding of XGBoost's SHAP values, about
1e-6, so the sum equals ``decision_function`` / ``predict``). The transformer is
never explained feature by feature: it is one column, which costs one prior call.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ._validation import booster_frame, feature_names
from .boosters import target_unit
from .estimators._refit import check_predicted

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
        per feature (named as in fit: ``feature_names_in_``, or ``x0, x1, ...`` when
        the model was fitted without column names) holding the trees' SHAP values,
        ``prior`` (``scale_ * z``, what the prior contributes; for regressors
        ``scale_ * (z - m)``, ``m`` the training target's mean) and ``bias`` (the
        trees' expected value, plus ``m``). Each row sums to the margin:
        ``decision_function`` for binary classifiers (log-odds of ``classes_[1]``),
        ``predict`` for regressors.

        **Multiclass**: the columns are a MultiIndex ``(class, column)`` with one block
        of the same columns per class in the order of ``classes_``;
        ``frame[c]`` is class ``c``'s table and sums to ``decision_function(X)[:, i]``
        (the logit of class ``c``).

    Raises
    ------
    TypeError
        When ``estimator`` is not an llmboost estimator.
    ValueError
        When a feature is itself named ``prior`` or ``bias``, or the trees are XGBoost
        multi-output trees (``multi_strategy="multi_output_tree"``), which XGBoost
        cannot explain, or a row's starting margin overflows (as ``predict`` refuses it).
    """
    _check_explainable(estimator)
    names = feature_names(estimator)
    clash = sorted({PRIOR_COLUMN, BIAS_COLUMN} & set(names))
    if clash:
        raise ValueError(
            f"X has a feature named {clash[0]!r}, the name of an explanation column; "
            "rename that column to explain this model."
        )
    frame, z = estimator._prepared(X)
    classification = estimator._task == "classification"
    table = _contributions(estimator.members_, booster_frame(frame), z, classification)
    index = X.index if isinstance(X, pd.DataFrame) else None
    columns = [*names, PRIOR_COLUMN, BIAS_COLUMN]
    if table.ndim == 2:
        return pd.DataFrame(table, columns=columns, index=index)
    classes = list(estimator.classes_)
    wide = table.reshape(len(frame), -1)
    header = pd.MultiIndex.from_product([classes, columns], names=["class", "column"])
    return pd.DataFrame(wide, columns=header, index=index)


def _contributions(members, frame: pd.DataFrame, z, classification: bool) -> np.ndarray:
    """``(n, p + 2)`` or ``(n, k, p + 2)``: features, prior, bias, weighted over members;
    rows whose starting margin overflows are refused, as ``predict`` refuses them."""
    features = _feature_shap(members, frame)
    total = 0.0
    for member in members:
        with np.errstate(over="ignore"):  # an overflow is refused below, by name
            start = member.start(z)
        if member.booster is None:
            check_predicted(member, start, start, z, classification)
            part = np.zeros(start.shape + (frame.shape[1] + 2,))
            part[..., -2], part[..., -1] = start - member.center, member.center
        else:
            shap = features[(id(member.booster), member.n_rounds)]
            prior = np.zeros(shap.shape[:-1]) if start is None else start - member.center
            # the bias is what the member's margin leaves after the features and the
            # prior, so rows sum to ``predict_margin`` exactly; it differs from the
            # library's bias column only by XGBoost's float32 rounding (about 1e-6)
            margin = member.booster.predict_margin(frame, start, member.n_rounds)
            check_predicted(member, margin, start, z, classification)
            bias = margin - shap.sum(axis=-1) - prior
            part = np.concatenate([shap, prior[..., None], bias[..., None]], axis=-1)
        total = total + member.weight * part
    return total


def _feature_shap(members, frame: pd.DataFrame) -> dict[tuple, np.ndarray]:
    """Per-feature tree SHAP of every (booster, rounds) the members use.

    SHAP values add up over trees, so members that use prefixes of one booster share
    the work: each stretch of rounds is explained once.
    """
    rounds: dict[int, tuple] = {}
    for member in members:
        if member.booster is not None:
            booster, used = rounds.setdefault(id(member.booster), (member.booster, set()))
            used.add(int(member.n_rounds))
    out = {}
    for key, (booster, used) in rounds.items():
        done, total = 0, 0.0
        for end in sorted(used):
            total = total + tree_contributions(booster, frame, done, end)[..., :-1]
            out[(key, end)], done = total, end
    return out


#: LightGBM's names of its linear-tree mode, for which it has no SHAP values.
_LINEAR_TREES = ("linear_tree", "linear_trees")


def _check_explainable(estimator) -> None:
    """Refuse what is not a fitted llmboost estimator, or has trees SHAP cannot read."""
    from .dask._base import _DaskPriorBoost
    from .estimators._prior_boost import _PriorBoost

    kinds = (_PriorBoost, _DaskPriorBoost)
    if not isinstance(estimator, kinds):
        got, hint = type(estimator).__name__, ""
        if isinstance(estimator, type):
            got = f"the class {estimator.__name__}"
            hint = ": pass a fitted instance" if issubclass(estimator, kinds) else ""
        # a Pipeline that ends in one: its steps before transform the rows
        elif isinstance((getattr(estimator, "steps", None) or [(None, None)])[-1][-1], kinds):
            hint = ": explain its last step, explain(pipe[-1], pipe[:-1].transform(X))"
        elif isinstance(getattr(estimator, "best_estimator_", None), kinds):  # a search
            hint = ": explain its refit model, explain(search.best_estimator_, X)"
        raise TypeError(
            "explain() takes a fitted llmboost estimator (PriorBoost, PFNBoost, LLMBoost or "
            f"their Dask versions), got {got}{hint}."
        )
    check_is_fitted(estimator, "members_")
    for member in estimator.members_:
        booster = member.booster
        if booster is not None and booster.params.get("multi_strategy") == "multi_output_tree":
            raise ValueError(
                "explain: XGBoost has no SHAP values for multi-output trees "
                "(booster_params multi_strategy='multi_output_tree'); refit without it "
                "(one tree per class, the default) to explain the model."
            )
        if booster is not None and any(booster.params.get(k) for k in _LINEAR_TREES):
            raise ValueError(
                "explain: LightGBM has no SHAP values for linear trees (booster_params "
                "linear_tree=True); refit without it to explain the model."
            )


def tree_contributions(booster, frame: pd.DataFrame, start=0, end=None) -> np.ndarray:
    """Tree SHAP of rounds ``start`` to ``end`` of a fitted booster adapter.

    Parameters
    ----------
    booster : Booster
        A fitted adapter (:mod:`llmboost.boosters`).
    frame : DataFrame
        Rows with the names the booster was fitted on.
    start : int, default=0
    end : int, default=None
        All rounds from ``start`` when ``None``.

    Returns
    -------
    ndarray of shape (n, p + 1), or (n, k, p + 1) for k classes
        One value per feature, then the library's bias column. It holds no starting
        margin, but XGBoost's holds its ``base_score``, which the trees' model adds only
        when no starting margin is given (``scale=0``): for a booster trained from a
        margin, subtract it, or read the ``bias`` of :func:`explain`.

    Raises
    ------
    ValueError
        Unless ``start`` and ``end`` are integers with
        ``0 <= start < end <= booster.n_rounds_`` (the libraries read an empty or
        negative range, or one past the last round, as all rounds).
    """
    end = booster.n_rounds_ if end is None else end
    _check_rounds(start, end, booster.n_rounds_)
    if booster.name == "xgboost":
        import xgboost as xgb

        trees = booster.model_.get_booster()
        if start:  # XGBoost explains only the first rounds of a model: slice it
            trees = trees[int(start) : end]
            start, end = 0, end - int(start)
        data = xgb.DMatrix(frame, enable_categorical=True)
        out = trees.predict(data, pred_contribs=True, iteration_range=(0, end))
        return np.asarray(out, dtype=np.float64) * target_unit(booster)
    if booster.name == "lightgbm":
        out = booster.model_.predict(
            frame, pred_contrib=True, start_iteration=int(start), num_iteration=end - int(start)
        )
        out = np.asarray(out, dtype=np.float64) * target_unit(booster)
        k = booster.model_.booster_.num_model_per_iteration()  # trees per round: classes
        if k > 1:  # also a Dask member's, whose local model is an LGBMRegressor
            out = out.reshape(len(frame), k, -1)
        return out
    raise ValueError(f"No tree contributions for booster {booster.name!r}.")


def _check_rounds(start, end, n_rounds: int) -> None:
    """Refuse a range of rounds the libraries would read as another (0 as all rounds)."""
    whole = all(isinstance(v, Integral) and not isinstance(v, bool) for v in (start, end))
    if not (whole and 0 <= start < end <= n_rounds):
        raise ValueError(
            f"tree_contributions: start={start!r}, end={end!r} is not a range of this "
            f"booster's rounds: pass integers with 0 <= start < end <= {n_rounds}."
        )


__all__ = ["BIAS_COLUMN", "PRIOR_COLUMN", "explain", "tree_contributions"]
