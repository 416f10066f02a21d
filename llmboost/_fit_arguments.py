"""``booster_params`` that belong elsewhere, refused before any fit: data of the
libraries' ``fit``, LightGBM's other names of parameters its estimator always passes,
its random forest, XGBoost's early-stopping callback without validation rows or beside
``early_stopping_rounds``, and ways of building trees the fits cannot take."""

from __future__ import annotations

import os

from ._library_params import _FOREST, _LIGHTGBM_BOOSTING, boosting_mode
from ._params import brief

#: LightGBM's other names of parameters its scikit-learn estimator always passes under a
#: name LightGBM reads first (measured with LightGBM 4): a value under one of these names
#: is ignored, in plain LightGBM too (with a warning ``verbose=-1`` hides).
_LIGHTGBM_OVERRIDDEN = {
    "learning_rate": ("eta", "shrinkage_rate"),
    "num_leaves": ("num_leaf", "max_leaves", "max_leaf", "max_leaf_nodes"),
    "min_child_weight": ("min_sum_hessian_per_leaf",),
    "min_child_samples": ("min_data_per_leaf",),
    "reg_alpha": ("l1_regularization",),
    "reg_lambda": ("l2_regularization",),
}

#: What the libraries' ``fit`` takes as data, and where it goes in llmboost.
_FIT_DATA = {
    **dict.fromkeys(
        ("base_margin", "init_score"),
        "the trees start from scale times the prior's logits; for your own margin, give a "
        "prior that returns it (scale=1)",
    ),
    "sample_weight": "give it to fit(X, y, sample_weight=...)",
    "eval_set": "give it to fit(X, y, eval_set=(X_val, y_val))",
}

#: LightGBM's columns of a data file (and their other names), which it ignores for the
#: table llmboost gives it (``weight`` and ``group`` with a warning, the others in silence:
#: ``ignore_column=[0]`` fitted the same trees on column 0 as without it).
_LIGHTGBM_FILE_COLUMNS = {
    **dict.fromkeys(("weight_column", "weight"), "give the row weights to fit(X, y, "
                    "sample_weight=...) (and drop their column from X)"),
    **dict.fromkeys(("label_column", "label"), "give the target to fit(X, y)"),
    **dict.fromkeys(("ignore_column", "ignore_feature", "blacklist"),
                    "drop those columns from X (X.drop(columns=[...])) before fit"),
    **dict.fromkeys(
        ("group_column", "group", "group_id", "query_column", "query", "query_id"),
        "query groups are for ranking, which llmboost does not fit; leave it out",
    ),
}  # fmt: skip


#: LightGBM's parameters of its command-line program (and their other names), which its
#: Python package ignores: ``output_model='m.txt'`` wrote no file, without a word.
_LIGHTGBM_CLI = {
    **dict.fromkeys(
        ("config", "config_file", "task", "task_type", "convert_model", "convert_model_file",
         "convert_model_language", "output_result", "name_pred", "pred_name", "predict_name",
         "predict_result", "prediction_name", "prediction_result"),
        "llmboost trains and predicts itself; leave it out",
    ),
    **dict.fromkeys(
        ("data", "train", "train_data", "data_filename", "train_data_file", "valid", "test",
         "test_data", "valid_data", "test_data_file", "valid_data_file", "valid_filenames",
         "header", "has_header", "two_round", "two_round_loading", "use_two_round_loading",
         "save_binary", "is_save_binary", "is_save_binary_file", "precise_float_parser",
         "parser_config_file"),
        "it reads or writes data files, and llmboost gives LightGBM the rows of fit(X, y, "
        "eval_set=(X_val, y_val)); leave it out",
    ),
    **dict.fromkeys(
        ("output_model", "model_out", "model_output", "snapshot_freq", "save_period",
         "saved_feature_importance_type"),
        "save the fitted estimator with llmboost.save(model, path)",
    ),
    **dict.fromkeys(
        ("input_model", "model_in", "model_input"),
        "each fit builds new trees from the prior's margin; leave it out",
    ),
}  # fmt: skip


#: LightGBM's files of forced splits and bins (under each of their names), which it skips
#: without a word where no such file exists.
_LIGHTGBM_FILES = (
    "forcedsplits_filename", "fs", "forced_splits", "forced_splits_file",
    "forced_splits_filename", "forcedbins_filename",
)  # fmt: skip


def _at_default(value) -> bool:
    """Whether a command-line parameter is at a value that does nothing (its default:
    empty, off, ``task='train'``, ``snapshot_freq=-1``)."""
    if isinstance(value, str):
        return value.strip().lower() in ("", "train", "training")
    return value is None or value is False or (isinstance(value, int | float) and value <= 0)


def _no_column(value) -> bool:
    """Whether a data file's column parameter is at LightGBM's default, no column (``''``,
    as a model file's parameters write it, ``None``, or an empty list, which LightGBM
    writes as ``''``)."""
    empty = isinstance(value, list | tuple | set | frozenset) and not value
    return value is None or empty or (isinstance(value, str) and not value.strip())


def check_boosting(library: str, params: dict, given: dict | None = None) -> None:
    """Refuse LightGBM's random forest mode (and arguments of a library's ``fit``).

    It refuses a starting margin (``init_score``), and its raw score is the sum of its
    trees where its predictions average them, so even from no margin llmboost would
    read a forest of ``n`` trees as ``n`` times its margin.

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    params : dict
        The library's parameters.
    given : dict, default=None
        The user's ``booster_params``: the message shows the mode as given there.

    Raises
    ------
    ValueError
        For ``boosting_type="rf"`` (or an alias), and for arguments of the library's
        ``fit`` (:func:`check_fit_arguments`).
    """
    check_fit_arguments(library, params)
    check_tree_building(library, params)
    if library != "lightgbm" or boosting_mode(library, params) != "rf":
        return
    key = next(k for k in _LIGHTGBM_BOOSTING if str(params.get(k)).strip().lower() in _FOREST)
    raise ValueError(
        f"booster_params {key}={brief((given or params)[key])} is not supported: LightGBM's "
        "random forest cannot start from the prior's margin, and its raw score sums the trees "
        "where its predictions average them. Use boosting_type='gbdt' with subsample < 1 (and "
        "subsample_freq=1), or XGBoost with num_parallel_tree."
    )


def check_fit_arguments(library: str, params: dict) -> None:
    """Refuse what LightGBM would ignore: what it takes in ``fit`` (which llmboost calls),
    not as a parameter, and another name of a parameter its estimator always passes.

    LightGBM ignores both with a warning llmboost's ``verbose=-1`` hides.

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    params : dict
        The library's parameters.

    Raises
    ------
    ValueError
        For a starting margin or another of ``fit``'s data (both libraries), LightGBM's
        columns of a data file (``weight_column``, ``label_column``, ``group_column``,
        ``ignore_column``), parameters of its command-line program (``output_model``),
        ``eval_metric`` or ``callbacks``, or an alias such as ``eta``.
    """
    if data := next((key for key in _FIT_DATA if key in params), None):
        raise ValueError(
            f"booster_params {data} is not a parameter but data of the library's fit, "
            f"which llmboost calls: {_FIT_DATA[data]}."
        )
    if library != "lightgbm":
        return
    _check_lightgbm_files(params)
    for main, aliases in _LIGHTGBM_OVERRIDDEN.items():
        if alias := next((a for a in aliases if a in params), None):
            raise ValueError(
                f"booster_params {alias}={brief(params[alias])} would be ignored: LightGBM's "
                f"estimator always passes {main}, which LightGBM reads in its place; give "
                f"{main}={brief(params[alias])}."
            )
    hints = {
        "eval_metric": "give the metric to stop on as metric=... (LightGBM's parameter)",
        "callbacks": "early stopping on eval_set is early_stopping_rounds",
    }
    for key, hint in hints.items():
        if key in params:
            raise ValueError(
                f"booster_params {key} is not supported: LightGBM takes it in fit, which "
                f"llmboost calls, and ignores it as a parameter; {hint}."
            )


def _check_lightgbm_files(params: dict) -> None:
    """Refuse LightGBM's parameters of files it does not read for llmboost's fits: the
    columns of a data file and those of its command-line program."""
    named = (k for k in _LIGHTGBM_FILE_COLUMNS if k in params and not _no_column(params[k]))
    if column := next(named, None):
        raise ValueError(
            f"booster_params {column}={brief(params[column])} names a column of a data file, "
            f"which LightGBM ignores for the table llmboost gives it: "
            f"{_LIGHTGBM_FILE_COLUMNS[column]}."
        )
    if cli := next((k for k in _LIGHTGBM_CLI if k in params and not _at_default(params[k])), None):
        raise ValueError(
            f"booster_params {cli}={brief(params[cli])} is read by LightGBM's command-line "
            "program only, and its Python package, which llmboost calls, ignores it: "
            f"{_LIGHTGBM_CLI[cli]}."
        )


def check_forced_files(library: str, params: dict | None) -> None:
    """Refuse a LightGBM file of forced splits or bins (each given) that does not exist,
    or whose path holds a space, which it skipped without a word (the trees split as
    without it). Checked at fit alone: a fitted model does not read it, and loads and
    predicts where the file is gone.

    Raises
    ------
    ValueError
        Naming the parameter and its value.
    """
    params = params or {}
    if library != "lightgbm":
        return
    for name in (k for k in _LIGHTGBM_FILES if not _no_column(params.get(k))):
        path = params[name]
        if not (isinstance(path, str | os.PathLike) and os.path.isfile(path)):
            raise ValueError(
                f"booster_params {name}={brief(path)} is no file, which LightGBM would "
                "skip without a word; give the path of an existing file, or leave it out."
            )
        if any(c.isspace() for c in os.fspath(path)):  # it reads "key=value" cut at spaces
            raise ValueError(
                f"booster_params {name}={brief(path)} holds a space, where LightGBM cuts its "
                "parameters: it would read the path up to it and skip the file without a "
                "word; give a path without spaces (e.g. of a copy of the file)."
            )


#: XGBoost's updaters that build trees from the data as ``tree_method`` reads it, and the
#: ``tree_method`` each needs: its estimator gives ``hist`` a ``QuantileDMatrix``, which
#: they cannot read ("Only `hist` tree method can use `QuantileDMatrix`").
_XGBOOST_UPDATERS = {"grow_colmaker": "exact", "grow_histmaker": "approx"}


def check_tree_building(library: str, params: dict) -> None:
    """Refuse what fails at fit, after the prior's scores, however the rows look: XGBoost's
    ``process_type='update'`` and a first updater that modifies trees (``refresh``,
    ``prune``), which need trees of an earlier model, ``grow_colmaker`` or
    ``grow_histmaker`` with ``tree_method='hist'``, and LightGBM's ``force_row_wise``
    beside ``force_col_wise`` ("Cannot set both of `force_col_wise` and `force_row_wise`").

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    params : dict
        The library's parameters.

    Raises
    ------
    ValueError
        Naming the parameters, their values and what to give instead.
    """
    if library == "lightgbm":
        if params.get("force_row_wise") is True and params.get("force_col_wise") is True:
            raise ValueError(
                "booster_params force_row_wise=True and force_col_wise=True: LightGBM builds "
                "its histograms one way, and refuses both; give one of them."
            )
        return
    if str(params.get("process_type", "default")).strip() == "update":
        raise ValueError(
            "booster_params process_type='update' updates the trees of an earlier model, "
            "but each fit of llmboost builds new trees from the prior's margin; leave "
            "process_type out (its default, 'default', builds new trees)."
        )
    updater = params.get("updater")
    if not isinstance(updater, str) or boosting_mode(library, params) == "gblinear":
        return
    names = [name.strip() for name in updater.split(",")]
    if names[0] in ("refresh", "prune"):
        raise ValueError(
            f"booster_params updater={updater!r}: {names[0]} modifies the trees of an earlier "
            "model, and cannot come first where new trees are built; leave updater out, or "
            "start it with an updater that grows trees (e.g. 'grow_quantile_histmaker,prune')."
        )
    method = params.get("tree_method")
    name = next((n for n in names if n in _XGBOOST_UPDATERS), None)
    if name and method in ("hist", "auto", None):
        raise ValueError(
            f"booster_params updater={updater!r} with tree_method={method!r}: {name} cannot "
            f"read the data XGBoost prepares for 'hist'; give tree_method="
            f"{_XGBOOST_UPDATERS[name]!r}, or leave updater out."
        )


def check_early_stopping_callback(params: dict, validated: bool) -> None:
    """Refuse XGBoost's ``EarlyStopping`` callback in a fit without validation rows.

    The search's fits never have any; XGBoost's own error ("Must have at least 1
    validation dataset") does not say where early stopping belongs.

    Parameters
    ----------
    params : dict
        XGBoost's parameters.
    validated : bool
        Whether the fit has validation rows (``eval_set``).

    Raises
    ------
    ValueError
        For an ``xgboost.callback.EarlyStopping`` among ``callbacks`` without them.
    """
    from xgboost.callback import EarlyStopping

    stopping = any(isinstance(c, EarlyStopping) for c in params.get("callbacks") or ())
    if stopping and not validated:
        raise ValueError(
            "booster_params callbacks holds XGBoost's EarlyStopping, which needs validation "
            "rows: the fusion search's fits (and a fit without eval_set) have none. Stop "
            "early with fit(X, y, eval_set=(X_val, y_val)) and booster_params "
            "early_stopping_rounds instead."
        )


def check_stopping_twice(library: str, params: dict) -> None:
    """Refuse XGBoost's ``early_stopping_rounds`` beside an ``EarlyStopping`` callback: the
    fit stopped on the callback alone and ignored the rounds given, without a word.

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    params : dict
        The library's parameters, ``early_stopping_rounds`` still among them.

    Raises
    ------
    ValueError
        Naming both.
    """
    if library != "xgboost" or params.get("early_stopping_rounds") is None:
        return
    from xgboost.callback import EarlyStopping

    if any(isinstance(c, EarlyStopping) for c in params.get("callbacks") or ()):
        raise ValueError(
            f"booster_params early_stopping_rounds={brief(params['early_stopping_rounds'])} "
            "and callbacks holding XGBoost's EarlyStopping both stop early on eval_set; give "
            "one of them."
        )


__all__ = [
    "check_boosting",
    "check_early_stopping_callback",
    "check_fit_arguments",
    "check_forced_files",
    "check_stopping_twice",
    "check_tree_building",
]
