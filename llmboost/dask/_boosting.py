"""Tree members trained on all rows with ``xgboost.dask`` / ``lightgbm.dask``.

A member is trained with the local member's library parameters and its number of
rounds, starting from the member's start (``scale * z``; regression: shrunk toward
the local fit's target mean) (``base_margin`` / ``init_score``). The result is
a local adapter (:mod:`llmboost.boosters`) whose ``model_`` is the library's ordinary
estimator, so prediction runs the local adapter's code on every partition; the
distributed estimator stays on the adapter as ``dask_model_``.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd

from .._columns import FLOAT32_MAX, _plain
from .._constraints import lightgbm_categorical
from .._validation import booster_frame
from ..boosters import fixed_start, target_center, target_unit
from ..estimators._refit import check_predicted
from ..scale_search import MARGIN_LIMIT, FusionMember, bounded_margin


def fit_member(client, adapter, n_rounds: int, X, y, margin, threads: bool = False):
    """A copy of ``adapter`` retrained on the dask collections with ``n_rounds`` rounds.

    Parameters
    ----------
    client : distributed.Client
    adapter : Booster
        The local member's booster (its parameters are reused).
    n_rounds : int
    X : dask DataFrame
    y : dask Series
        Class codes or numbers.
    margin : dask Series or DataFrame or None
        The starting margin.
    threads : bool, default=False
        Keep the member's ``n_jobs`` for XGBoost's training (set in ``booster_params``);
        else each worker trains on all its threads.

    Returns
    -------
    Booster
        ``model_`` the library's local estimator, ``dask_model_`` the distributed one;
        its ``unit_`` and ``center_`` are the local member's (regression targets train
        as ``(y - center_) / unit_``).
    """
    params = {**adapter.params, "n_estimators": int(n_rounds)}
    X = X.map_partitions(booster_frame)  # the column names the boosters accept
    # the local member's unit and centre, from the sample: trees in its unit
    unit, center = target_unit(adapter), target_center(adapter)
    if (unit, center) != (1.0, 0.0):
        y = (y - center) / unit
        margin = None if margin is None else (margin - center) / unit
    params.update(fixed_start(adapter, margin))
    offset = _lightgbm_start(adapter, params, y, margin)
    if offset is not None:
        margin = y * 0 + offset
    n_classes = int(getattr(adapter.model_, "n_classes_", 0))  # the local member's
    if adapter.name == "xgboost":
        train = params if threads else {**params, "n_jobs": None}  # None: the worker's
        model = _fit_xgboost(client, adapter.task, train, X, y, margin)
    else:
        model = _fit_lightgbm(client, adapter.task, params, X, y, margin, n_classes)
    out = copy.copy(adapter)
    out.params = params
    out.dask_model_ = model
    out.model_ = _local_model(adapter.name, adapter.task, params, model)
    out.n_rounds_ = int(n_rounds)
    if offset is not None:
        out.offset_ = offset * unit
    return out


def check_tree_labels(y, boosters: list) -> None:
    """Refuse a regression label the trees of ``boosters`` would read beyond float32.

    They train on ``(y - center_) / unit_``, the sampled rows' centre and spread (in
    y's own unit for some losses): a label outside the sample can be far beyond them.
    One pass over ``y`` (its least and greatest values), one more to name the row.

    Parameters
    ----------
    y : dask Series
        The regression labels.
    boosters : list of Booster
        The local members' fitted boosters.

    Raises
    ------
    ValueError
        Naming the label, its index and the unit the trees train in.
    """
    import dask

    y = y.astype(np.float64)
    low, high = dask.compute(y.min(), y.max())
    for booster in boosters:
        unit, center = target_unit(booster), target_center(booster)
        value = max((low, high), key=lambda v: abs(v - center))
        if abs(value - center) / unit <= FLOAT32_MAX:
            continue
        label = _plain((y.idxmax() if value == high else y.idxmin()).compute())
        spread = ", or raise sample_size so that the sample spans y" if unit != 1 else ""
        fix = f", drop that row{spread}" if spread else ", or drop that row"
        raise ValueError(
            f"y holds {value:.3g} (at index {label!r}), which the trees read as "
            f"{(value - center) / unit:.3g}: they train on (y - {center:.3g}) / {unit:.3g}, "
            f"set on the sampled rows, and store it as float32 (|value| <= {FLOAT32_MAX:.3g})"
            f"; divide y by a power of ten (and multiply the predictions back){fix}."
        )


def _lightgbm_start(adapter, params: dict, y, margin) -> float | None:
    """The mean of ``y`` where LightGBM would start a regression from it, else ``None``.

    Locally LightGBM starts squared-error trees from the mean of the labels; its Dask
    training starts from the average of each worker's mean instead (another constant
    when workers hold different numbers of rows). Passing the mean as the margin and
    adding it back at predict time gives the local trees.
    """
    if adapter.name != "lightgbm" or margin is not None or not adapter.squared_error:
        return None
    if not params.get("boost_from_average", True):
        return None
    return float(y.mean().compute())


def _fit_xgboost(client, task, params, X, y, margin):
    from xgboost import dask as xgb_dask

    cls = xgb_dask.DaskXGBRegressor if task == "regression" else xgb_dask.DaskXGBClassifier
    if task == "classification":  # its classes from a Series shuffle the rows (P2P)
        y = y.to_dask_array()
    model = cls(**params)
    model.client = client
    return model.fit(X, y, base_margin=margin, verbose=False)


def _fit_lightgbm(client, task, params, X, y, margin, n_classes: int):
    from lightgbm import dask as lgb_dask

    weight = None
    if task == "classification":
        # LightGBM's classifier encodes the labels anew on every worker, so a worker
        # without rows of some class trained other classes (or a binary model) under
        # the codes: its plain model takes the class codes as they are
        objective = "multiclass" if n_classes > 2 else "binary"
        params = {**params, "objective": params.get("objective") or objective}
        if n_classes > 2:
            params["num_class"] = n_classes
        weight = _class_weights(y, params.pop("class_weight", None), n_classes)
    if margin is not None:  # numpy parts: LightGBM reads a multiclass DataFrame differently
        margin = margin.to_dask_array()
    # given positions go to fit with X's category columns, as locally (as a parameter,
    # LightGBM replaced them by the category columns)
    params, categorical = lightgbm_categorical(params, X)
    with warnings.catch_warnings():
        # LightGBM's Dask fit passes its own n_jobs (even None) and then warns that it
        # ignores it: each worker uses its cores
        warnings.filterwarnings("ignore", message="Parameter n_jobs will be ignored")
        model = lgb_dask.DaskLGBMRegressor(client=client, **params)
        return model.fit(
            X, y, sample_weight=weight, init_score=margin, categorical_feature=categorical
        )


def _class_weights(codes, class_weight, n_classes: int):
    """Each row's weight from ``class_weight`` (by class code, or ``"balanced"``) over all
    rows, as LightGBM weighs them locally (its Dask fit weighs each worker's rows alone:
    a worker without some class failed, and "balanced" balanced each worker)."""
    if class_weight is None:
        return None
    if class_weight == "balanced":
        counts = codes.value_counts(split_out=1).compute().reindex(range(n_classes), fill_value=0)
        per_class = counts.sum() / (n_classes * counts.to_numpy(dtype=np.float64))
    else:
        per_class = np.array([class_weight.get(k, 1.0) for k in range(n_classes)], dtype=float)
    return codes.map_partitions(
        lambda part: pd.Series(per_class[part.to_numpy()], index=part.index),
        meta=pd.Series([], dtype=np.float64),
    )


def _local_model(name: str, task: str, params: dict, model):
    """The library's local estimator holding the trees ``model`` trained."""
    if name == "lightgbm":
        return model.to_local()
    import xgboost as xgb

    local = (xgb.XGBRegressor if task == "regression" else xgb.XGBClassifier)(**params)
    local.load_model(bytearray(model.get_booster().save_raw("json")))
    return local


def check_start(members, margin, task: str):
    """Refuse a tree member whose starting margin overflows on a training row, as the
    local fit refuses it (the search saw the sampled rows alone).

    Parameters
    ----------
    members : list of FusionMember
    margin : dask Series or DataFrame
        The prior's training margin of every row.
    task : {"classification", "regression"}

    Returns
    -------
    dask Series or DataFrame
        ``margin``.
    """
    import dask

    low, high = dask.compute(margin.min(), margin.max())
    ends = np.array([np.asarray(low), np.asarray(high)])  # the start is linear in it
    for member in members:
        if member.booster is None or member.scale == 0:
            continue
        with np.errstate(over="ignore"):  # past float64: inf, refused below
            start = member.start(ends)
        if np.isfinite(bounded_margin(np.zeros(start.shape), start, member.booster)).all():
            continue
        peak = float(np.max(np.abs(ends - member.center)))
        what = "logit" if task == "classification" else "distance from the target's mean"
        raise ValueError(
            f"scale={member.scale:g} times the prior's largest {what} on the training rows "
            f"({peak:.4g}) overflows the trees' starting margin (at most {MARGIN_LIMIT:.4g}, "
            "float32's largest): the predictions are infinite. Give a smaller scale, or add "
            "smaller ones to the scales searched (the search, on the sample, leaves out the "
            "scales whose margin overflows there)."
        )
    return margin


def predict_partition(
    part: pd.DataFrame, z, member, booster, n_columns, task, where=None, partition_info=None
):  # fmt: skip
    """The member's margin on one partition (runs on a worker); rows on which it
    overflows are refused, as the local ``predict`` refuses them.

    Parameters
    ----------
    part : DataFrame
    z : Series or DataFrame or None
        The prior's unscaled margin of the partition.
    member : dict
        The :class:`~llmboost.scale_search.FusionMember`'s fields but its booster (dask
        leaves a future within a dict as is).
    booster : Booster or None
    n_columns : int
        0 for a 1-d margin.
    task : {"classification", "regression"}
    where : tuple of str, default=None
        With several partitions: the word naming the refused rows by their index
        labels ("index", or "rows" for an array's positions) and what follows "rows of
        partition k of X" in the refusal; else they are named as locally.
    partition_info : dict, default=None
        Given by dask (the partition's ``number``).

    Returns
    -------
    Series or DataFrame
    """
    member = FusionMember(**{**member, "booster": booster})
    z = None if z is None else z.to_numpy()
    with np.errstate(over="ignore"):  # an overflow is refused below, by name
        start = member.start(z)
    if len(part) == 0:
        return as_margin_frame(np.empty((0, n_columns) if n_columns else (0,)), part.index)
    if member.booster is None:
        out = start
    else:
        out = member.booster.predict_margin(booster_frame(part), start, member.n_rounds)
    rows = None
    if where is not None:  # the rows of this partition, by X's index labels
        number = partition_info["number"] if partition_info else 0
        rows = (f"rows of partition {number} of X{where[1]}", where[0], part.index)
    check_predicted(member, out, start, z, task == "classification", rows=rows)
    return as_margin_frame(out, part.index)


def as_margin_frame(values: np.ndarray, index):
    """A margin as a pandas Series (binary, regression) or DataFrame (multiclass).

    Parameters
    ----------
    values : ndarray of shape (n,) or (n, k)
    index : Index

    Returns
    -------
    Series or DataFrame
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        return pd.Series(values, index=index, name="margin")
    return pd.DataFrame(values, index=index, columns=[f"m{j}" for j in range(values.shape[1])])


def margin_meta(n_columns: int):
    """Empty margin of the right kind.

    Parameters
    ----------
    n_columns : int
        0 for a 1-d margin.

    Returns
    -------
    Series or DataFrame
    """
    return as_margin_frame(np.empty((0, n_columns) if n_columns else (0,)), pd.RangeIndex(0))


__all__ = [
    "as_margin_frame",
    "check_start",
    "fit_member",
    "margin_meta",
    "predict_partition",
]
