"""The tables the checks of ``booster_params`` read (:mod:`llmboost._param_names`): which
parameters take a number, a whole number, a boolean or one of a few names, and the range
the libraries take each number in."""

from __future__ import annotations

import re
from numbers import Real

import numpy as np

from ._params import Interval

#: Parameters of the two libraries' estimators that take a whole number: a float failed at
#: fit ("should be of type int, got "16.0""), text of one in some only; and the libraries'
#: own names for them.
WHOLE_NUMBERS = (
    "max_depth", "max_leaves", "num_leaves", "min_child_samples", "subsample_freq", "max_bin",
    "n_jobs", "max_cat_to_onehot", "num_parallel_tree", "min_data_in_leaf", "bagging_freq",
    "num_threads", "nthread", "nthreads", "num_thread", "max_cat_threshold", "min_data",
    "min_samples_leaf", "max_bins", "seed", "random_seed", "random_state", "bagging_seed",
    "bagging_fraction_seed", "feature_fraction_seed", "drop_seed", "extra_seed",
    "data_random_seed", "data_seed", "objective_seed", "min_data_per_group", "min_data_in_bin",
    "verbosity", "verbose", "top_k", "topk", "subsample_for_bin", "bin_construct_sample_cnt",
    "num_class", "num_classes", "max_drop", "num_grad_quant_bins", "snapshot_freq",
    "metric_freq", "output_freq",
)  # fmt: skip

#: LightGBM's other names of its bagging fractions of the positive and negative class.
POS = ("pos_bagging", "pos_subsample", "pos_sub_row")
NEG = ("neg_bagging", "neg_subsample", "neg_sub_row")

#: LightGBM's other names of its penalty of monotone splits.
_MONOTONE_PENALTY = ("monotone_splits_penalty", "ms_penalty", "mc_penalty")

#: XGBoost's seeds, which it holds in 64 bits (LightGBM holds its own in 32: it read
#: seed=2**32 + 5 as 5, and 2**70 as 0, without a word).
XGBOOST_SEEDS = ("seed", "random_state")

#: LightGBM's parameters of one value per column of X, under each of their names.
PER_COLUMN = (
    "max_bin_by_feature", "feature_contri", "fc", "fp", "feature_contrib", "feature_penalty",
    "cegb_penalty_feature_lazy", "cegb_penalty_feature_coupled",
)  # fmt: skip

#: LightGBM's lists read in order (by column, label or pair of classes), which a set's
#: order would scramble.
ORDERED = (*PER_COLUMN, "label_gain", "auc_mu_weights")

#: LightGBM's names of its positions of the ranking metrics.
_EVAL_AT = ("eval_at", "ndcg_eval_at", "ndcg_at", "map_eval_at", "map_at")

#: LightGBM's lists of numbers, and those of whole numbers: it failed at fit on text in
#: the others ("stod"), and read ``"x"`` in these as 0 and 8.5 as 8, without a word.
NUMBER_LISTS = (*ORDERED, *_EVAL_AT)
WHOLE_LISTS = ("max_bin_by_feature", *_EVAL_AT)

#: LightGBM's lists of numbers with a least value, and what it takes: it failed at fit
#: below it, after the prior's scores ("Check failed: ... max_bin_by_feature ... > (1)",
#: "Check failed: (best_split_info.left_count) > (0)" for a negative feature_contri).
LIST_LEAST = {
    "max_bin_by_feature": (2, "at least 2 bins per column"),
    **dict.fromkeys(
        ("feature_contri", "fc", "fp", "feature_contrib", "feature_penalty"),
        (0, "a weight >= 0 per column (it multiplies the column's split gains)"),
    ),
}

#: LightGBM's parameters of prediction (under each of their names), their defaults, and
#: what to use instead. Its fit ignored them, and llmboost's predictions ignored all but
#: ``pred_early_stop``, which stopped summing trees on their margin without the prior's
#: (``pred_early_stop_margin=0.1`` moved the margin by up to 2.5).
_LEAVE_OUT = "the margin of the rounds it chose, plus the prior's; leave it out"
PREDICT_ONLY = {
    **dict.fromkeys(
        ("predict_raw_score", "raw_score", "predict_rawscore", "is_predict_raw_score"),
        (
            False,
            "decision_function (a regressor's predict) gives the trees' raw score plus the prior's",
        ),
    ),
    **dict.fromkeys(
        ("predict_contrib", "contrib", "is_predict_contrib"),
        (False, "llmboost.explain(model, X) gives each column's contribution"),
    ),
    **dict.fromkeys(
        ("predict_leaf_index", "leaf_index", "is_predict_leaf_index"), (False, _LEAVE_OUT)
    ),
    "predict_disable_shape_check": (False, _LEAVE_OUT),
    "pred_early_stop": (False, _LEAVE_OUT),
    "pred_early_stop_freq": (10, _LEAVE_OUT),
    "pred_early_stop_margin": (10.0, _LEAVE_OUT),
    "start_iteration_predict": (0, _LEAVE_OUT),
    "num_iteration_predict": (-1, _LEAVE_OUT),
}

#: What the libraries' scikit-learn estimators take as ``random_state`` besides an int.
GENERATORS = (np.random.RandomState, np.random.Generator)

#: Parameters of the two libraries' estimators that take a number, and the libraries' own
#: names for them (XGBoost's lambda=inf fitted trees of zero leaves without a word).
NUMBERS = (
    "learning_rate", "min_child_weight", "subsample", "colsample_bytree", "colsample_bylevel",
    "colsample_bynode", "reg_alpha", "reg_lambda", "gamma", "min_split_gain", "max_delta_step",
    "scale_pos_weight", "huber_slope", "lambda", "alpha", "min_split_loss", "lambda_l1",
    "lambda_l2", "min_gain_to_split", "bagging_fraction", "feature_fraction",
    "feature_fraction_bynode", "min_sum_hessian_in_leaf", "max_leaf_output", "fair_c",
    "cat_smooth", "cat_l2", "early_stopping_min_delta", "sub_row", "bagging", "sub_feature",
    "sub_feature_bynode", "min_sum_hessian", "min_hessian", "rate_drop", "drop_rate",
    "skip_drop", "path_smooth", "pos_bagging_fraction", *POS, "neg_bagging_fraction", *NEG,
    "top_rate", "other_rate", "linear_lambda", "monotone_penalty", *_MONOTONE_PENALTY,
    "cegb_tradeoff", "cegb_penalty_split", *WHOLE_NUMBERS,
)  # fmt: skip

#: A number as text the libraries read (:data:`NUMBERS`): Python's ``float`` also reads
#: ``"0_1"`` (as 1.0) and other scripts' digits, on which both libraries failed at fit.
NUMBER_TEXT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?|[+-]?(inf(inity)?|nan)", re.I | re.A)

#: LightGBM's parameters that take True or False only (it refused 1 or 0 at fit, after
#: the prior's scores: 'should be "true"/"+" or "false"/"-"'; measured with LightGBM 4.7).
LIGHTGBM_BOOLEANS = (
    "is_unbalance", "first_metric_only", "boost_from_average", "extra_trees", "extra_tree",
    "linear_tree", "linear_trees", "xgboost_dart_mode", "uniform_drop", "use_missing",
    "zero_as_missing", "feature_pre_filter", "deterministic", "force_col_wise",
    "force_row_wise", "reg_sqrt", "use_quantized_grad", "stochastic_rounding",
    "quant_train_renew_leaf", "pre_partition", "enable_bundle", "is_enable_sparse",
    "is_sparse", "two_round", "use_two_round_loading", "header", "save_binary",
    "is_provide_training_metric", "bagging_by_query",
)  # fmt: skip

#: Common parameters, each under every name the library takes it by (its scikit-learn
#: name first), and the range it takes them in (``None``: not checked here), from
#: XGBoost's parameter.rst and LightGBM's Parameters.rst (checked with XGBoost 3.2 and
#: LightGBM 4.7). Beyond the range both failed at the first fit, after the prior's scores,
#: or XGBoost fitted trees that add nothing (learning_rate=0, subsample=0).
_ABOVE_0 = Interval(Real, 0, low_open=True)
_FROM_0 = Interval(Real, 0)
_FRACTION = Interval(Real, 0, 1, low_open=True)
RANGES = {
    "xgboost": {
        ("learning_rate",): _ABOVE_0,  # and eta, which canonical_params renames
        ("subsample",): _FRACTION,
        ("colsample_bytree",): _FRACTION,
        ("colsample_bylevel",): _FRACTION,
        ("colsample_bynode",): _FRACTION,
        ("reg_lambda", "lambda"): _FROM_0,
        ("reg_alpha", "alpha"): _FROM_0,
        ("gamma", "min_split_loss"): _FROM_0,
        ("min_child_weight",): _FROM_0,
        ("max_delta_step",): _FROM_0,
        ("max_depth",): _FROM_0,
        ("max_leaves",): _FROM_0,
        ("scale_pos_weight",): _FROM_0,
        ("max_bin",): Interval(Real, 2),
        ("num_parallel_tree",): Interval(Real, 1),
        ("max_cat_to_onehot",): Interval(Real, 1),  # it read -1 as 2**32 - 1
        ("max_cat_threshold",): Interval(Real, 1),
        ("rate_drop",): Interval(Real, 0, 1),  # DART's
        ("skip_drop",): Interval(Real, 0, 1),
        ("verbosity",): Interval(Real, 0, 3),  # beyond, it broke every later XGBoost fit
        ("random_state", "seed"): None,
    },
    "lightgbm": {
        ("learning_rate",): _ABOVE_0,  # its other names are refused (check_fit_arguments)
        ("num_leaves",): Interval(Real, 1, 131072, low_open=True),
        ("max_bin", "max_bins"): Interval(Real, 1, low_open=True),
        ("scale_pos_weight",): _ABOVE_0,
        ("subsample", "bagging_fraction", "sub_row", "bagging"): _FRACTION,
        ("subsample_freq", "bagging_freq"): None,
        ("colsample_bytree", "feature_fraction", "sub_feature"): _FRACTION,
        ("colsample_bynode", "feature_fraction_bynode", "sub_feature_bynode"): _FRACTION,
        ("min_child_samples", "min_data_in_leaf", "min_data", "min_samples_leaf"): _FROM_0,
        ("min_child_weight", "min_sum_hessian_in_leaf", "min_sum_hessian", "min_hessian"): _FROM_0,
        ("reg_alpha", "lambda_l1"): _FROM_0,
        ("reg_lambda", "lambda_l2", "lambda"): _FROM_0,
        ("min_split_gain", "min_gain_to_split"): _FROM_0,
        ("drop_rate", "rate_drop"): Interval(Real, 0, 1),  # DART's
        ("skip_drop",): Interval(Real, 0, 1),
        ("early_stopping_min_delta",): _FROM_0,
        ("max_cat_to_onehot",): Interval(Real, 1),
        ("max_cat_threshold",): Interval(Real, 1),
        ("min_data_per_group",): Interval(Real, 1),
        ("cat_l2",): _FROM_0,
        ("cat_smooth",): _FROM_0,
        ("path_smooth",): _FROM_0,
        ("pos_bagging_fraction", *POS): _FRACTION,  # rows of each class bagged
        ("neg_bagging_fraction", *NEG): _FRACTION,
        ("top_rate",): Interval(Real, 0, 1),  # GOSS's
        ("other_rate",): Interval(Real, 0, 1),
        ("min_data_in_bin",): Interval(Real, 1),
        ("linear_lambda",): _FROM_0,
        ("monotone_penalty", *_MONOTONE_PENALTY): _FROM_0,
        ("cegb_tradeoff",): _FROM_0,
        ("cegb_penalty_split",): _FROM_0,
        ("top_k", "topk"): Interval(Real, 1),
        ("subsample_for_bin", "bin_construct_sample_cnt"): Interval(Real, 1),
        ("random_state", "seed", "random_seed"): None,
    },
}  # fmt: skip


#: XGBoost's types of a column (``feature_types``): numbers, indicators, categories.
FEATURE_TYPES = ("int", "float", "i", "q", "c")

#: Well-known names the library does not take, with its own name for the same thing.
OTHER_NAMES = {
    "lightgbm": {
        "quantile_alpha": "'alpha', with objective='quantile'",
        "huber_slope": "'alpha', with objective='huber'",
        "huber_delta": "'alpha', with objective='huber'",
        "gamma": "'min_split_gain'",
        "min_split_loss": "'min_split_gain'",
    },
    "xgboost": {
        "huber_delta": "'huber_slope', with objective='reg:pseudohubererror'",
        "num_leaves": "'max_leaves'",
        "min_split_gain": "'gamma'",
        "min_gain_to_split": "'gamma'",
        "feature_fraction": "'colsample_bytree'",
        "feature_fraction_bynode": "'colsample_bynode'",
        "bagging_fraction": "'subsample'",
        "lambda_l1": "'reg_alpha'",
        "lambda_l2": "'reg_lambda'",
        "min_sum_hessian_in_leaf": "'min_child_weight'",
        "num_iterations": "'n_estimators'",
        "num_boost_round": "'n_estimators'",
        "num_threads": "'n_jobs'",
    },
}


#: Parameters that take one of a few names (LightGBM's in any case), under each name the
#: library takes them by, and those names (XGBoost lists its own in its errors).
CHOICES = {
    "xgboost": {
        ("booster",): ("gbtree", "gblinear", "dart"),
        ("tree_method",): ("auto", "exact", "approx", "hist"),
        ("grow_policy",): ("depthwise", "lossguide"),
        ("sampling_method",): ("uniform", "gradient_based"),
        ("multi_strategy",): ("one_output_per_tree", "multi_output_tree"),
    },
    "lightgbm": {
        ("boosting_type", "boosting", "boost"): (
            "gbdt", "gbrt", "dart", "goss", "rf", "random_forest"),
        ("data_sample_strategy",): ("bagging", "goss"),
        ("tree_learner", "tree", "tree_type", "tree_learner_type"): (
            "serial", "feature", "data", "voting", "feature_parallel", "data_parallel",
            "voting_parallel"),
        # it read any other text ("Advanced", "nope") as "basic", without a word
        ("monotone_constraints_method", "mc_method", "monotone_constraining_method"): (
            "basic", "intermediate", "advanced"),
    },
}  # fmt: skip


__all__ = [
    "CHOICES",
    "FEATURE_TYPES",
    "GENERATORS",
    "LIGHTGBM_BOOLEANS",
    "LIST_LEAST",
    "NEG",
    "NUMBERS",
    "NUMBER_LISTS",
    "NUMBER_TEXT",
    "ORDERED",
    "OTHER_NAMES",
    "PER_COLUMN",
    "POS",
    "PREDICT_ONLY",
    "RANGES",
    "WHOLE_LISTS",
    "WHOLE_NUMBERS",
    "XGBOOST_SEEDS",
]
