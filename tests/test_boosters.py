"""The booster adapters: margins in, margins out, for every task and library."""

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from llmboost._library_params import check_binary_weight
from llmboost._params import brief
from llmboost.boosters import make_booster

TINY_STEP = {"n_estimators": 5, "learning_rate": 1e-9}


def _frame(n=60, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"]), rng


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
@pytest.mark.parametrize(
    "task, n_classes, shape",
    [("classification", 2, (60,)), ("classification", 3, (60, 3)), ("regression", 0, (60,))],
)
def test_margin_is_the_starting_point(library, task, n_classes, shape):
    # With a vanishing learning rate the trees add nothing: the raw margin must be the
    # margin given, at fit and at predict (LightGBM needs it added back by the adapter).
    X, rng = _frame()
    y = (
        rng.integers(0, max(n_classes, 2), len(X))
        if task == "classification"
        else rng.normal(size=len(X))
    )
    margin = rng.normal(size=shape)
    booster = make_booster(library, TINY_STEP, task, 0).fit(X, y, margin)
    out = booster.predict_margin(X, margin)
    assert out.shape == shape
    np.testing.assert_allclose(out, margin, atol=1e-4)
    other = rng.normal(size=shape)
    np.testing.assert_allclose(booster.predict_margin(X, other), other, atol=1e-4)


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_trees_learn_the_residual(library):
    X, rng = _frame(300)
    y = (X["a"] > 0).astype(int).to_numpy()
    wrong = np.full(len(X), -2.0)  # a prior that always says class 0
    booster = make_booster(library, {"n_estimators": 50}, "classification", 0).fit(X, y, wrong)
    out = booster.predict_margin(X, wrong)
    assert ((out > 0) == y).mean() > 0.95


def test_defaults_merge_with_user_params():
    booster = make_booster("xgboost", {"max_depth": 2}, "classification", 7)
    assert booster.params["max_depth"] == 2 and booster.params["n_estimators"] == 100
    assert booster.params["random_state"] == 7
    with pytest.raises(ValueError, match="booster='catboost' is not supported"):
        make_booster("catboost", None, "classification", 0)


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_library_errors_in_fit_are_one_line_naming_the_parameters(library):
    X = pd.DataFrame({"a": np.arange(40.0)})
    y = (np.arange(40) % 2).astype(float)
    # values the library refuses only at fit (XGBoost's logistic loss needs a base_score
    # in (0, 1), which it checks on the labels; LightGBM one max_bin per column of X, one)
    key, value = {"xgboost": ("base_score", 5), "lightgbm": ("max_bin_by_feature", [2, 3])}[library]
    booster = make_booster(library, {key: value}, "classification", 0)
    with pytest.raises(ValueError, match=rf"could not fit: .*{key}") as caught:
        booster.fit(X, y, None)
    message = str(caught.value)
    assert f"'{key}': {value}" in message and "Stack trace" not in message
    assert caught.value.__cause__ is None and "\n" not in message


@pytest.mark.parametrize("value", ["nope", "Balanced", 2.0, ["balanced"]])
def test_lightgbm_class_weight_that_is_no_dict_or_balanced_is_refused_by_name(value):
    # it failed at fit, after the prior's scores, with scikit-learn's message about
    # compute_sample_weight ("The 'class_weight' parameter of compute_sample_weight must
    # be an instance of 'dict', an instance of 'list', ...")
    from sklearn.linear_model import LogisticRegression

    from llmboost import PriorBoostClassifier

    class NotToFit(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            raise AssertionError("the prior was fitted")

    X, _ = _frame()
    y = np.where(np.arange(len(X)) % 3, "yes", "no")
    model = PriorBoostClassifier(
        NotToFit(), booster="lightgbm", booster_params={"class_weight": value}
    )
    shown = brief(value)
    message = re.escape(
        f"booster_params class_weight={shown}: LightGBM takes a dict of weights keyed by "
        "the labels of y (e.g. {'no': 2.0, 'yes': 1.0}), 'balanced' (weights inverse to the "
        "classes' frequencies) or None."
    )
    with pytest.raises(ValueError, match=rf"^{message}$"):
        model.fit(X, y)
    for taken in ("balanced", {"no": 2.0}, None):
        model.set_params(prior=None, scale=0, booster_params={"class_weight": taken})
        assert model.fit(X, y).predict_proba(X).shape == (len(X), 2)


@pytest.mark.parametrize(
    "params, shown, reason",
    [({"metric_freq": 0}, "metric_freq=0", "Check failed: (metric_freq) > (0)"),
     ({"tweedie_variance_power": 3}, "tweedie_variance_power=3", "(tweedie_variance_power) <"),
     ({"poisson_max_delta_step": 0}, "poisson_max_delta_step=0", "(poisson_max_delta_step) >"),
     ({"refit_decay_rate": "2"}, "refit_decay_rate='2'", "(refit_decay_rate) <= (1.0)"),
     ({"histogram_pool_size": "x"}, "histogram_pool_size='x'", "Unknown token x"),
     ({"gpu_platform_id": "x"}, "gpu_platform_id='x'", "should be of type int")],
)  # fmt: skip
def test_lightgbm_values_its_config_refuses_are_refused_before_the_prior(
    params, shown, reason, capsys
):
    # LightGBM refused each at fit, after the prior's scores, with its source's path
    # ("LightGBM could not fit: Check failed: (metric_freq) > (0) at /__w/LightGBM/...")
    from sklearn.linear_model import Ridge

    from llmboost import PriorBoostRegressor

    class NotToFit(Ridge):
        def fit(self, X, y, sample_weight=None):
            raise AssertionError("the prior was fitted")

    X, rng = _frame()
    y = rng.gamma(2.0, size=len(X))
    model = PriorBoostRegressor(NotToFit(), booster="lightgbm", booster_params=params)
    message = f"booster_params {shown}: LightGBM refuses it ("
    with pytest.raises(ValueError, match=rf"^{re.escape(message)}.*{re.escape(reason)}.*\); see"):
        model.fit(X, y)
    assert "config_auto.cpp" not in capsys.readouterr().out  # nor printed
    taken = {"metric_freq": 2, "tweedie_variance_power": 1.5, "poisson_max_delta_step": 0.7,
             "refit_decay_rate": "0.5", "histogram_pool_size": -1,
             "gpu_platform_id": 0}  # fmt: skip
    fine = {k: taken.get(k, v) for k, v in params.items()}
    make_booster("lightgbm", fine, "regression", 0).fit(X, y, None)


@pytest.mark.parametrize(
    "params", [{"metric": "auc"}, {"metric": "multi_logloss"}, {"metric_freq": 0}]
)
def test_lightgbm_config_check_prints_nothing(params, capfd):
    # reading the config for the loss the estimator does not set printed LightGBM's error
    # to the process's stderr, on fits that went on: "[LightGBM] [Fatal] Multiclass
    # objective and metrics don't match", twice per check, four times per fit
    from llmboost._library_config import _refusal

    _refusal.cache_clear()  # the library reads them again
    try:
        make_booster("lightgbm", params, "classification", 0)
    except ValueError as error:
        assert "metric_freq=0: LightGBM refuses it" in str(error)
    out, err = capfd.readouterr()
    assert "[LightGBM]" not in out + err


@pytest.mark.parametrize("loss", [{}, {"objective": "multiclass", "num_class": 4}])
def test_lightgbm_auc_mu_weights_for_the_classes_of_y_are_taken(loss):
    # they were refused before any fit, on four classes: "booster_params auc_mu_weights=[...]:
    # LightGBM refuses it (auc_mu_weights must have 9 elements, but found 16)", LightGBM's
    # config being read for three classes; LightGBM takes them at fit
    X, rng = _frame()
    y = np.arange(len(X)) % 4
    weights = [0.0 if i // 4 == i % 4 else 1.0 for i in range(16)]
    params = {**loss, "metric": "auc_mu", "auc_mu_weights": weights, "n_estimators": 3}
    booster = make_booster("lightgbm", params, "classification", 0).fit(X, y, None)
    assert booster.model_.booster_.params["auc_mu_weights"] == weights
    assert booster.predict_margin(X, None).shape == (len(X), 4)


@pytest.mark.parametrize(
    "params, shown, reason",
    [({"eval_metric": "nope"}, "eval_metric='nope'", "Unknown metric function nope"),
     ({"eval_metric": ["auc", "nope"]}, "eval_metric=['auc', 'nope']", "Unknown metric"),
     ({"refresh_leaf": 2}, "refresh_leaf=2", "expect boolean but value='2'"),
     ({"max_cached_hist_node": 0}, "max_cached_hist_node=0", "should be greater equal to 1"),
     ({"updater": "nope"}, "updater='nope'", "Unknown tree updater nope"),
     ({"eta": 0.3, "updater": "nope"}, "updater='nope'", "Unknown tree updater nope")],
)  # fmt: skip
def test_xgboost_values_its_learner_refuses_are_refused_before_the_prior(params, shown, reason):
    # XGBoost refused each at fit, after the prior's scores, without naming the parameter
    # it read ("XGBoost could not fit: Unknown metric function nope (its parameters, ...")
    from sklearn.linear_model import LogisticRegression

    from llmboost import PriorBoostClassifier

    class NotToFit(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            raise AssertionError("the prior was fitted")

    X, _ = _frame()
    y = np.arange(len(X)) % 2
    model = PriorBoostClassifier(NotToFit(), booster="xgboost", booster_params=params)
    message = f"booster_params {shown}: XGBoost refuses it ("
    with pytest.raises(ValueError, match=rf"^{re.escape(message)}.*{re.escape(reason)}.*\); see"):
        model.fit(X, y)
    taken = {"eval_metric": ["auc", "logloss"], "refresh_leaf": 1, "max_cached_hist_node": 8,
             "updater": "grow_quantile_histmaker", "eta": 0.3}  # fmt: skip
    model.set_params(prior=LogisticRegression(), scale=1.0)
    model.set_params(booster_params={**{k: taken[k] for k in params}, "n_estimators": 3})
    assert model.fit(X, y).predict_proba(X).shape == (len(X), 2)


@pytest.mark.parametrize(
    "library, task, params, shown, reason",
    [("xgboost", "regression", {"objective": "reg:quantileerror", "quantile_alpha": 0.3,
                                "eval_metric": "nope"}, "eval_metric='nope'", "Unknown metric"),
     ("xgboost", "regression", {"objective": "reg:quantileerror", "quantile_alpha": 0.3,
                                "max_cached_hist_node": 0}, "max_cached_hist_node=0",
      "greater equal to 1"),
     ("xgboost", "classification", {"booster": "gblinear", "feature_selector": "thrifty"},
      "feature_selector='thrifty'", "Unsupported feature selector"),
     ("lightgbm", "classification", {"objective": "multiclass", "metric": "binary_logloss"},
      "metric='binary_logloss'", "objective and metrics don't match")],
)  # fmt: skip
def test_a_library_refusal_names_the_value_refused(library, task, params, shown, reason):
    # a loss that needs a later parameter was blamed for another's value: "booster_params
    # objective='reg:quantileerror': XGBoost refuses it (Check failed:
    # !quantile_alpha.Get().empty():)" for eval_metric='nope'
    refused = rf"^booster_params {re.escape(shown)}: \w+ refuses it \(.*{re.escape(reason)}"
    with pytest.raises(ValueError, match=refused):
        make_booster(library, params, task, 0)


def test_a_numpy_array_of_quantiles_is_read_as_the_library_reads_it():
    # quantile_alpha=np.array([0.3]), which XGBoost takes, was refused before any fit:
    # "booster_params objective='reg:quantileerror': XGBoost refuses it (Check failed:
    # !quantile_alpha.Get().empty():)", the array left out of the check
    X, rng = _frame()
    y = rng.normal(size=len(X))
    params = {"objective": "reg:quantileerror", "quantile_alpha": np.array([0.3])}
    booster = make_booster("xgboost", {**params, "n_estimators": 3}, "regression", 0)
    assert booster.fit(X, y, None).predict_margin(X, None).shape == (len(X),)


@pytest.mark.parametrize(
    "key, value, hint",
    [("eval_metric", "auc", r"metric=\.\.\."), ("callbacks", [], "early_stopping_rounds")],
)
def test_lightgbm_fit_arguments_as_parameters_are_refused(key, value, hint):
    # LightGBM ignored them as parameters with a warning verbose=-1 hides: early stopping
    # on eval_set went on by log loss with eval_metric="auc"
    with pytest.raises(
        ValueError, match=rf"{key} is not supported: LightGBM takes it in fit.*{hint}"
    ):
        make_booster("lightgbm", {key: value}, "classification", 0)
    X, rng = _frame()
    y = rng.integers(0, 2, len(X))
    booster = make_booster("lightgbm", {"metric": "auc", "n_estimators": 5}, "classification", 0)
    assert booster.fit(X, y, None).model_.get_params()["metric"] == "auc"


@pytest.mark.parametrize("key", ["metric", "metrics"])
@pytest.mark.parametrize("kind", [tuple, np.array])
def test_lightgbm_metrics_as_a_tuple_or_an_array_are_read_as_a_list(key, kind):
    # LightGBM's fit failed on a tuple, after the prior's scores: "TypeError: can only
    # concatenate list (not "tuple") to list"; a NumPy array failed before any fit with
    # "The truth value of an array with more than one element is ambiguous"
    X, rng = _frame()
    y = rng.integers(0, 2, len(X))
    names = kind(["AUC", "binary_logloss"])
    booster = make_booster("lightgbm", {key: names, "n_estimators": 5}, "classification", 0)
    assert booster.params[key] == ["auc", "binary_logloss"]
    # early stopping on the validation rows reads both metrics
    fitted = booster.fit(X, y, None, eval_set=(X, y, None))
    assert set(fitted.model_.evals_result_["valid_0"]) == {"auc", "binary_logloss"}


@pytest.mark.parametrize(
    "alias, main, value",
    [
        ("eta", "learning_rate", 0.7),
        ("max_leaves", "num_leaves", 3),
        ("min_data_per_leaf", "min_child_samples", 25),
        ("l2_regularization", "reg_lambda", 50.0),
    ],
)
def test_lightgbm_aliases_its_estimator_overrides_are_refused(alias, main, value):
    import lightgbm as lgb

    # plain LightGBM ignores them (its estimator passes `main`, read in their place), with
    # a warning verbose=-1 hides: the user's value never reached the trees
    X, rng = _frame(n=200)
    y = (X["a"] + rng.normal(size=len(X)) > 0).astype(int)
    kw = {"n_estimators": 10, "verbose": -1}
    plain = lgb.LGBMClassifier(**kw, **{alias: value}).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(plain, lgb.LGBMClassifier(**kw).fit(X, y).predict_proba(X))
    assert not np.array_equal(
        plain, lgb.LGBMClassifier(**kw, **{main: value}).fit(X, y).predict_proba(X)
    )
    with pytest.raises(ValueError, match=rf"{alias}={value!r} would be ignored.*give {main}="):
        make_booster("lightgbm", {alias: value}, "classification", 0)


def test_xgboost_early_stopping_callback_without_validation_rows_says_where_it_belongs():
    import xgboost as xgb

    # XGBoost's "Must have at least 1 validation dataset for early stopping." came through
    # every fit of the search
    X, rng = _frame()
    y = rng.integers(0, 2, len(X))
    params = {"n_estimators": 50, "callbacks": [xgb.callback.EarlyStopping(rounds=3)]}
    booster = make_booster("xgboost", params, "classification", 0)
    with pytest.raises(ValueError, match=r"EarlyStopping, which needs validation rows.*eval_set"):
        booster.fit(X, y, None)
    # with validation rows it stops early, as in plain XGBoost (labels are noise: the
    # validation loss rises from the first rounds)
    X_val, rng = _frame(seed=1)
    booster = make_booster("xgboost", params, "classification", 0)
    validation = (X_val, rng.integers(0, 2, len(X_val)), None)
    assert booster.fit(X, y, None, eval_set=validation).n_rounds_ < 50


def test_xgboost_verbosity_out_of_its_range_is_refused_before_it_reaches_xgboost():
    import xgboost as xgb

    # verbosity=-1 failed at fit ("value -1 for Parameter verbosity exceed bound [0,3]")
    # and stayed in XGBoost's global configuration: every later XGBoost fit of the
    # process, of any model, failed the same way
    for value in (-1, 4):
        message = re.escape(
            f"booster_params verbosity={value} is out of range: XGBoost takes a number >= 0 "
            "and <= 3 here, or leave it out for the default."
        )
        with pytest.raises(ValueError, match=rf"^{message}$"):
            make_booster("xgboost", {"verbosity": value}, "regression", 0)
    for key, value, what in (("verbosity", 1.5, "a whole number"), ("verbose", "x", "a number")):
        library = "xgboost" if key == "verbosity" else "lightgbm"
        with pytest.raises(ValueError, match=rf"^booster_params {key}={value!r}: .* {what} here"):
            make_booster(library, {key: value}, "regression", 0)
    assert xgb.get_config()["verbosity"] in range(4)
    X, rng = _frame()
    booster = make_booster("xgboost", {"verbosity": "0", "n_estimators": 2}, "regression", 0)
    assert booster.fit(X, rng.normal(size=len(X)), None).n_rounds_ == 2


def test_xgboost_linear_booster_with_categorical_columns_is_refused_by_name():
    # it failed at fit in C++: "Check failed: !p_fmat->Info().HasCategorical(): `gblinear`
    # doesn't support categorical features"
    X, rng = _frame()
    X["city"] = pd.Categorical(np.where(X.iloc[:, 0] > 0, "Oslo", "Lima"))
    booster = make_booster("xgboost", {"booster": "gblinear"}, "regression", 0)
    message = re.escape(
        "booster_params booster='gblinear', but the columns ['city'] hold text or categories, "
        "which llmboost passes to XGBoost as categories; use booster='gbtree', or encode "
        "them as numbers."
    )
    with pytest.raises(ValueError, match=rf"^{message}$"):
        booster.fit(X, rng.normal(size=len(X)), None)
    numbers = X.drop(columns="city")
    assert booster.fit(numbers, rng.normal(size=len(X)), None).n_rounds_ == 100


def test_xgboost_early_stopping_rounds_beside_an_early_stopping_callback_is_refused():
    import xgboost as xgb

    # the fit stopped on the callback's 30 rounds alone: early_stopping_rounds=2 was
    # ignored without a word (32 rounds trained instead of 4)
    callbacks = [xgb.callback.EarlyStopping(rounds=30)]
    message = re.escape(
        "booster_params early_stopping_rounds=2 and callbacks holding XGBoost's "
        "EarlyStopping both stop early on eval_set; give one of them."
    )
    with pytest.raises(ValueError, match=rf"^{message}$"):
        make_booster(
            "xgboost", {"early_stopping_rounds": 2, "callbacks": callbacks}, "regression", 0
        )
    for params in ({"early_stopping_rounds": None}, {"callbacks": callbacks}):
        make_booster("xgboost", {**params, "callbacks": callbacks}, "regression", 0)


def test_xgboost_linear_booster_gets_no_tree_defaults_and_equals_plain_xgboost():
    import warnings

    import xgboost as xgb

    # llmboost's max_depth=4 and tree_method='hist' reached it: XGBoost warned on every
    # fit that they are not used (28 times in one search)
    X, rng = _frame(n=200)
    y = (X["a"] + rng.normal(size=len(X)) > 0).astype(int)
    params = {"booster": "gblinear", "n_estimators": 10}
    booster = make_booster("xgboost", params, "classification", 0)
    assert "max_depth" not in booster.params and "tree_method" not in booster.params
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Parameters: { ... } are not used"
        booster.fit(X, y, None)
    plain = xgb.XGBClassifier(**params, learning_rate=0.1, n_jobs=1, random_state=0).fit(X, y)
    # float32 margins summed in another order: equal to a few ulps of float32
    np.testing.assert_allclose(
        booster.predict_margin(X, None), plain.predict(X, output_margin=True), atol=1e-6
    )


@pytest.mark.parametrize(
    "task, n_classes", [("classification", 2), ("classification", 3), ("regression", 0)]
)
def test_xgboost_dart_counts_the_starting_margin_once(task, n_classes):
    # XGBoost's in-place prediction of DART trees (its scikit-learn predict) adds
    # base_margin once per round: 5 rounds that add nothing predicted 5 x the margin
    X, rng = _frame()
    y = rng.integers(0, max(n_classes, 2), len(X)) if n_classes else rng.normal(size=len(X))
    margin = rng.normal(size=(len(X), n_classes) if n_classes > 2 else len(X))
    params = {**TINY_STEP, "booster": "dart"}
    booster = make_booster("xgboost", params, task, 0).fit(X, y, margin)
    # the trees add ~1e-9 each; float32 margins: 1e-4
    np.testing.assert_allclose(booster.predict_margin(X, margin), margin, atol=1e-4)
    np.testing.assert_allclose(booster.predict_margin(X, margin, 2), margin, atol=1e-4)


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_constraints_by_position(library):
    # XGBoost failed on a monotone_constraints list ("'list' object has no attribute
    # 'keys'") and refused positions in interaction_constraints; a list of the wrong length
    # constrained XGBoost's first columns, and LightGBM ignored a position past the last
    X, rng = _frame(n=200)
    y = (X["a"] + X["b"] * X["c"] + rng.normal(scale=0.1, size=len(X))).to_numpy()
    params = {"monotone_constraints": [-1, 0, 0], "interaction_constraints": [[0], [1, 2]]}
    booster = make_booster(library, params, "regression", 0).fit(X, y, None)
    grid = X.iloc[[0] * 50].assign(a=np.linspace(-3, 3, 50))
    assert np.diff(booster.predict_margin(grid, None)).max() <= 0  # never up in a
    if library == "xgboost":  # by position as by name
        named = {**params, "interaction_constraints": [["a"], ["b", "c"]]}
        same = make_booster(library, named, "regression", 0).fit(X, y, None)
        np.testing.assert_array_equal(same.predict_margin(X, None), booster.predict_margin(X, None))
    short = make_booster(library, {"monotone_constraints": [1, 0]}, "regression", 0)
    with pytest.raises(ValueError, match=r"monotone_constraints has 2 entries for the 3 columns"):
        short.fit(X, y, None)
    past = make_booster(library, {"interaction_constraints": [[0, 5]]}, "regression", 0)
    with pytest.raises(ValueError, match=r"holds position 5, but X has 3 columns \(positions 0"):
        past.fit(X, y, None)


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("text", ['[["a"], ["b", "c"]]', "[[0], [1, 2]]", "[0], [1, 2]"])
def test_interaction_constraints_as_text_are_read_as_the_list(library, text):
    # LightGBM read the names in '[["a"], ["b", "c"]]' as its first column without a word
    # (R^2 0.18 against 0.78 for the list), XGBoost failed at fit on them ("Failed to parse")
    from sklearn.linear_model import Ridge

    from llmboost import PriorBoostRegressor

    X, rng = _frame(n=200)
    y = (X["a"] * X["b"] + X["c"] + rng.normal(scale=0.1, size=len(X))).to_numpy()
    kwargs = {"booster": library, "scale": 0, "cv": 2}
    listed = {"n_estimators": 20, "interaction_constraints": [["a"], ["b", "c"]]}
    expected = PriorBoostRegressor(Ridge(), booster_params=listed, **kwargs).fit(X, y)
    params = {**listed, "interaction_constraints": text}
    model = PriorBoostRegressor(Ridge(), booster_params=params, **kwargs)
    np.testing.assert_array_equal(model.fit(X, y).predict(X), expected.predict(X))
    bad = make_booster(library, {"interaction_constraints": "[[0], 1"}, "regression", 0)
    with pytest.raises(ValueError, match=r"interaction_constraints='\[\[0\], 1' is no list"):
        bad.fit(X, y, None)


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
@pytest.mark.parametrize(
    "monotone",
    [np.array([-1, 0, 0]), [np.int64(-1), 0, 0], (-1.0, 0.0, 0.0), {"a": np.int64(-1)},
     "(-1,0,0)", "-1, 0, 0", ("-1", "0", "0"), [" -1", "0", "+0"]],
    ids=["array", "numpy-ints", "floats", "dict-of-numpy-int", "xgboost-text", "lightgbm-text",
         "text-entries", "text-entries-with-spaces"],
)  # fmt: skip
def test_monotone_constraints_from_numpy_or_floats(library, monotone):
    # XGBoost failed on an array ("'numpy.ndarray' object has no attribute 'keys'") and
    # on NumPy integers or floats ("Invalid Parameter format for monotone_constraints
    # expect but value='(np.int64(-1), 0, 0)'"), as on LightGBM's text "-1, 0, 0", and
    # LightGBM ignored XGBoost's text "(-1,0,0)" without a word; plain LightGBM reads
    # ("-1", "0", "0") as (-1, 0, 0), which llmboost refused, and dropped every
    # constraint of [" -1", "0", "+0"] without a word
    X, rng = _frame(n=200)
    y = (np.sin(2 * X["a"]) + X["b"] + rng.normal(scale=0.1, size=len(X))).to_numpy()
    if library == "lightgbm" and isinstance(monotone, dict):
        pytest.skip("the estimators turn LightGBM's dict into one value per column")
    booster = make_booster(library, {"monotone_constraints": monotone}, "regression", 0)
    booster.fit(X, y, None)
    grid = X.iloc[[0] * 50].assign(a=np.linspace(-3, 3, 50))
    assert np.diff(booster.predict_margin(grid, None)).max() <= 0  # never up in a
    for wrong, shown in (([2, 0, 0], "2"), (["-1.5", "0", "0"], "'-1.5'")):
        bad = make_booster(library, {"monotone_constraints": wrong}, "regression", 0)
        with pytest.raises(ValueError, match=rf"gives {shown} for column 'a': give -1"):
            bad.fit(X, y, None)


@pytest.mark.parametrize(
    "library, params",
    [
        ("xgboost", {"monotone_constraints": {"c": 1}}),
        ("xgboost", {"monotone_constraints": "(0,0,-1)"}),
        ("lightgbm", {"monotone_constraints": [0, 0, 1]}),
        ("lightgbm", {"monotone_constraints": [0, 1, 0], "categorical_feature": [1]}),
    ],
)
def test_a_monotone_constraint_on_a_categorical_column_is_refused(library, params):
    # LightGBM aborted the Python process ("The output cannot be monotone with respect to
    # categorical features", then "terminate called"); XGBoost fitted without a word
    X, rng = _frame(n=100)
    X["c"] = pd.Categorical(rng.choice(["x", "y", "z"], len(X)))
    y = X["a"].to_numpy()
    column = "b" if "categorical_feature" in params else "c"
    booster = make_booster(library, params, "regression", 0)
    with pytest.raises(ValueError, match=rf"monotone_constraints constrains '{column}', which"):
        booster.fit(X, y, None)
    free = {"monotone_constraints": [1, 0, 0]}  # a 0 on a categorical column is no constraint
    make_booster(library, {**params, **free}, "regression", 0).fit(X, y, None)


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
@pytest.mark.parametrize(
    "groups", [[np.array([0]), np.array([1, 2])], np.array([[0], [1]])], ids=["arrays", "2-d"]
)
def test_interaction_constraints_from_numpy(library, groups):
    # XGBoost kept positions in arrays as they were ("Constrained features are not a
    # subset of training data feature names"); LightGBM refused a 2-d array ("Unknown
    # type of parameter:interaction_constraints, got:ndarray")
    X, rng = _frame(n=200)
    y = (X["a"] + X["b"] * X["c"] + rng.normal(scale=0.1, size=len(X))).to_numpy()
    as_lists = [list(map(int, g)) for g in groups]
    booster = make_booster(library, {"interaction_constraints": groups}, "regression", 0)
    same = make_booster(library, {"interaction_constraints": as_lists}, "regression", 0)
    np.testing.assert_array_equal(
        booster.fit(X, y, None).predict_margin(X, None),
        same.fit(X, y, None).predict_margin(X, None),
    )


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("column", [True, 1.0, None])
def test_a_constraint_column_that_is_no_name_or_position_is_refused(library, column):
    # LightGBM read True and 1.0 as column 1 without a word; XGBoost failed with
    # "Constrained features are not a subset of training data feature names"
    X, rng = _frame()
    y = rng.normal(size=len(X))
    booster = make_booster(library, {"interaction_constraints": [[column, 2]]}, "regression", 0)
    message = (
        f"booster_params interaction_constraints holds {column!r}: give the columns' names "
        "or positions (0 for the first column of X)."
    )
    with pytest.raises(ValueError, match=rf"^{re.escape(message)}$"):
        booster.fit(X, y, None)


def test_margins_below_the_exponent_range_give_probabilities_without_a_warning():
    import warnings

    from llmboost import PriorBoostClassifier

    # LightGBM at learning_rate=10 reaches margins below -709, where exp(-margin) is inf:
    # predict_proba gave the right 0 with numpy's "overflow encountered in exp"
    X, rng = _frame(n=200)
    y = (X["a"] + rng.normal(size=len(X)) > 0).astype(int)
    params = {"learning_rate": 10.0, "n_estimators": 20}
    model = PriorBoostClassifier(booster="lightgbm", booster_params=params, scale=0).fit(X, y)
    margin = model.decision_function(X)
    assert margin.min() < -709
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba = model.predict_proba(X)
    np.testing.assert_array_equal(proba[margin < -709], [[1.0, 0.0]] * int((margin < -709).sum()))


def test_lightgbm_unknown_name_is_not_pointed_at_a_parameter_of_prediction():
    # start_iteration said "did you mean 'start_iteration_predict'?", which is refused
    with pytest.raises(
        ValueError, match=r"^booster_params start_iteration=1: LightGBM has no"
    ) as error:
        make_booster("lightgbm", {"start_iteration": 1}, "classification", 0)
    assert "predict" not in str(error.value)


def test_lightgbm_parameter_names_it_does_not_know_are_refused_by_name():
    # LightGBM ignores them with a warning that verbose=-1 hid: max_dept=1 fitted trees of
    # any depth in silence
    with pytest.raises(
        ValueError,
        match=r"booster_params max_dept=1: LightGBM has no parameter 'max_dept' and would "
        r"ignore it \(did you mean 'max_depth'\?",
    ):
        make_booster("lightgbm", {"max_dept": 1}, "classification", 0)
    # its aliases and its estimator's own parameters are known
    known = {"bagging_fraction": 0.5, "min_data_in_leaf": 3, "class_weight": "balanced"}
    assert make_booster("lightgbm", known, "classification", 0).params["min_data_in_leaf"] == 3


def test_xgboost_parameter_names_it_does_not_use_are_refused_by_name_before_any_fit():
    # XGBoost warned "Parameters: { "max_dept" } are not used." on every fit, 41 times in
    # a search, and fitted trees of its default depth
    from llmboost import PriorBoostClassifier

    X, _ = _frame()
    y = (X["a"] > 0).astype(int)
    message = (
        r"^booster_params max_dept=2: XGBoost does not use 'max_dept' and would ignore it "
        r"\(did you mean 'max_depth'\? XGBoost's parameters: https://xgboost\.readthedocs"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # raised before XGBoost warns
        with pytest.raises(ValueError, match=message):
            PriorBoostClassifier(booster_params={"max_dept": 2}).fit(X, y)
    # a parameter of another booster: XGBoost's linear booster grows no trees
    with pytest.raises(ValueError, match=r"'max_depth' with booster='gblinear' and would"):
        make_booster("xgboost", {"booster": "gblinear", "max_depth": 3}, "regression", 0)


@pytest.mark.parametrize(
    "library, key, hint",
    [
        ("xgboost", "quantile_alpha", "it is a parameter of the loss "
         "objective='reg:quantileerror' and is not used with the loss given; "),
        ("xgboost", "huber_slope", "it is a parameter of the loss "
         "objective='reg:pseudohubererror' and is not used with the loss given; "),
        ("lightgbm", "huber_delta", "LightGBM calls it 'alpha', with objective='huber'; "),
        ("lightgbm", "quantile_alpha", "LightGBM calls it 'alpha', with objective='quantile'; "),
        ("lightgbm", "gamma", "LightGBM calls it 'min_split_gain'; "),
        ("xgboost", "huber_delta",
         "XGBoost calls it 'huber_slope', with objective='reg:pseudohubererror'; "),
        ("xgboost", "num_leaves", "XGBoost calls it 'max_leaves'; "),
        ("xgboost", "feature_fraction", "XGBoost calls it 'colsample_bytree'; "),
    ],
)  # fmt: skip
def test_a_name_of_a_loss_or_of_the_other_library_says_what_to_give(library, key, hint):
    # quantile_alpha without its loss said "did you mean 'reg_alpha'?", and huber_delta
    # (LightGBM's alpha) or feature_fraction (XGBoost's colsample_bytree) no more than
    # "has no parameter" or a near name of another meaning
    with pytest.raises(ValueError, match=re.escape(f"ignore it ({hint}")):
        make_booster(library, {key: 0.5}, "regression", 0)


@pytest.mark.parametrize(
    "metric, key", [("quantile", "quantile_alpha"), (["rmse", "mphe"], "huber_slope")]
)
def test_xgboost_parameters_of_a_metric_are_taken_with_it(metric, key):
    # eval_metric='quantile' reads quantile_alpha (and 'mphe' huber_slope) with any loss,
    # but they were refused before any fit: "booster_params quantile_alpha=0.3: XGBoost
    # does not use 'quantile_alpha' and would ignore it"
    X, rng = _frame()
    y = rng.normal(size=len(X))
    scores = []
    for value in (0.2, 0.8):
        params = {"eval_metric": metric, key: value, "n_estimators": 3}
        booster = make_booster("xgboost", params, "regression", 0)
        booster.fit(X, y, None, eval_set=(X, y, None))
        scores.append(booster.model_.evals_result()["validation_0"][np.ravel(metric)[-1]])
    assert scores[0] != scores[1]  # the metric reads the parameter
    with pytest.raises(ValueError, match=f"XGBoost does not use '{key}'"):
        make_booster("xgboost", {"eval_metric": "rmse", key: 0.2}, "regression", 0)


def test_xgboost_parameter_names_pass_when_its_config_cannot_be_read(monkeypatch):
    # an XGBoost whose saved config has no "..._param" tables (another layout) gave a
    # list of the global and estimator names only, which refused max_depth itself
    import xgboost as xgb

    import llmboost._param_names as names

    names._xgboost_names.cache_clear()
    monkeypatch.setattr(xgb.Booster, "save_config", lambda self: '{"learner": {"a": {}}}')
    try:
        booster = make_booster("xgboost", {"max_depth": 3, "max_dept": 2}, "regression", 0)
    finally:
        names._xgboost_names.cache_clear()
    assert booster.params["max_depth"] == 3  # XGBoost itself warns about max_dept at fit


def test_xgboost_parameter_names_are_checked_with_a_custom_objective():
    # a callable objective left every name unchecked: XGBoost could not be configured
    # with it, and max_dept was fitted with a warning on every fit
    def squared_error(y, margin):
        return margin - y, np.ones_like(margin)

    params = {"objective": squared_error, "max_dept": 2}
    with pytest.raises(ValueError, match="booster_params max_dept=2: XGBoost does not use"):
        make_booster("xgboost", params, "regression", 0)
    X, _ = _frame()
    booster = make_booster(
        "xgboost", {"objective": squared_error, "n_estimators": 2}, "regression", 0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and XGBoost warns about none of its names
        assert booster.fit(X, X["a"].to_numpy(), None).n_rounds_ == 2


@pytest.mark.parametrize(
    "params",
    [
        {"eta": 0.2, "lambda": 2, "alpha": 0.1, "seed": 1, "nthread": 1, "gamma": 0.1,
         "min_split_loss": 0.1, "reg_alpha": 0.1, "max_leaves": 8, "grow_policy": "lossguide",
         "max_bin": 32, "num_parallel_tree": 2, "colsample_bynode": 0.9, "colsample_bylevel":
         0.9, "colsample_bytree": 0.9, "sampling_method": "uniform", "max_delta_step": 1,
         "scale_pos_weight": 1, "max_cat_to_onehot": 4, "max_cat_threshold": 16,
         "max_cached_hist_node": 1024, "monotone_constraints": {"a": 1}, "verbosity": 1,
         "interaction_constraints": [["a", "b"], ["c"]], "validate_parameters": True,
         "seed_per_iteration": True, "disable_default_eval_metric": True, "eval_metric":
         "logloss", "importance_type": "gain", "missing": np.nan, "device": "cpu",
         "multi_strategy": "one_output_per_tree", "refresh_leaf": 1},
        {"booster": "dart", "rate_drop": 0.1, "skip_drop": 0.5, "one_drop": 1,
         "sample_type": "weighted", "normalize_type": "forest"},
        {"booster": "gblinear", "updater": "coord_descent", "feature_selector": "greedy",
         "top_k": 2},
        {"tree_method": "exact", "enable_categorical": False},
        {"objective": "reg:pseudohubererror", "huber_slope": 2.0},
        {"objective": "reg:quantileerror", "quantile_alpha": 0.3},
    ],
)  # fmt: skip
def test_xgboost_parameter_names_it_uses_are_not_refused(params):
    # each of these is documented, and XGBoost warns about none of them on a fit
    X, rng = _frame()
    task = "regression" if "objective" in params else "classification"
    y = X["a"].to_numpy() if task == "regression" else (X["a"] > 0).astype(int).to_numpy()
    booster = make_booster("xgboost", {"n_estimators": 2, **params}, task, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Parameters: { ... } are not used"
        assert booster.fit(X, y, None).n_rounds_ == 2


@pytest.mark.parametrize("library, name", [("xgboost", "XGBoost"), ("lightgbm", "LightGBM")])
def test_text_or_a_boolean_for_a_number_is_refused_by_name(library, name):
    # it failed inside the libraries without the parameter's name: LightGBM "Unknown token
    # fast in data file", XGBoost "Some trailing characters could not be parsed: 'ast'"
    for key, value in (("learning_rate", "fast"), ("max_depth", True), ("subsample", [0.5])):
        message = re.escape(f"booster_params {key}={value!r}: {name} takes a number here.")
        with pytest.raises(ValueError, match=rf"^{message}$"):
            make_booster(library, {key: value}, "classification", 0)
    # numbers written as text are numbers to both libraries, as in plain XGBoost / LightGBM
    X, rng = _frame()
    booster = make_booster(library, {"learning_rate": "0.2", "n_estimators": 3}, "regression", 0)
    assert booster.fit(X, rng.normal(size=len(X)), None).n_rounds_ == 3


def test_lightgbm_categorical_columns_in_booster_params_go_by_position():
    # a name failed inside LightGBM with the first line of its message only
    # ("categorical_feature is not a number,"), and its advice ("name:d") failed too
    X, rng = _frame(n=300)
    X["d"] = rng.integers(0, 6, len(X))
    y = np.isin(X["d"], [1, 4]).astype(int)
    params = {"categorical_feature": [3], "n_estimators": 3, "num_leaves": 4}
    booster = make_booster("lightgbm", params, "classification", 0).fit(X, y, None)
    tree = booster.model_.booster_.dump_model()["tree_info"][0]["tree_structure"]
    assert tree["decision_type"] == "==" and tree["threshold"] == "1||4"  # one split: {1, 4}
    with pytest.raises(ValueError, match=r"categorical_feature names 'd': LightGBM takes its"):
        make_booster("lightgbm", {"categorical_feature": ["d"]}, "classification", 0).fit(
            X, y, None
        )
    with pytest.raises(ValueError, match=r"cat_feature holds position 4, but X has 4 columns"):
        make_booster("lightgbm", {"cat_feature": [4]}, "classification", 0).fit(X, y, None)


@pytest.mark.parametrize("given", [["3"], (" 3",), ["3", 3]])
def test_lightgbm_categorical_positions_as_text_are_read_as_positions(given):
    # plain LightGBM reads categorical_feature=['3'] as position 3; llmboost refused it
    # as a name ("categorical_feature names '3'")
    X, rng = _frame(n=300)
    X["d"] = rng.integers(0, 6, len(X))
    y = np.isin(X["d"], [1, 4]).astype(int)
    params = {"categorical_feature": given, "n_estimators": 3, "num_leaves": 4}
    booster = make_booster("lightgbm", params, "classification", 0).fit(X, y, None)
    tree = booster.model_.booster_.dump_model()["tree_info"][0]["tree_structure"]
    assert tree["decision_type"] == "==" and tree["threshold"] == "1||4"  # one split: {1, 4}
    with pytest.raises(ValueError, match=r"categorical_feature holds position 4, but X has 4"):
        make_booster("lightgbm", {"categorical_feature": ["4"]}, "classification", 0).fit(
            X, y, None
        )


def test_lightgbm_categorical_columns_in_booster_params_add_to_the_text_columns(
    lightgbm_splits,
):
    # with a text (category) column in X, LightGBM replaced the positions by the
    # category columns ("categorical_feature in param dict is overridden"): d was split
    # as a number
    X, rng = _frame(n=300)
    X["d"] = rng.integers(0, 6, len(X))
    X["e"] = pd.Categorical(rng.choice(["x", "y"], len(X)))
    y = np.isin(X["d"], [1, 4]) * 2.0 + (X["e"] == "x") + rng.normal(scale=0.1, size=len(X))
    params = {"categorical_feature": [3], "n_estimators": 20, "num_leaves": 4}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither LightGBM warning about its parameter
        booster = make_booster("lightgbm", params, "regression", 0).fit(X, y.to_numpy(), None)
    splits = lightgbm_splits(booster)
    assert (3, "==") in splits and (4, "==") in splits and (3, "<=") not in splits
    assert booster.params["categorical_feature"] == [3]  # as given


def test_a_library_message_of_several_lines_is_kept_whole_on_one_line():
    import lightgbm as lgb
    import xgboost as xgb

    from llmboost.boosters import library_message

    # only the first line was kept: LightGBM's "categorical_feature is not a number," lost
    # the rest of its sentence
    X, rng = _frame()
    y = rng.integers(0, 2, len(X))
    with pytest.raises(lgb.basic.LightGBMError) as caught:
        lgb.LGBMClassifier(categorical_feature=["c"], verbose=-1).fit(X, y)
    assert library_message(caught.value) == (
        "categorical_feature is not a number, if you want to use a column name, please add "
        'the prefix "name:" to the column name'
    )
    # XGBoost's time, source and stack trace stay out
    with pytest.raises(xgb.core.XGBoostError) as caught:
        xgb.XGBClassifier(monotone_constraints=(1, 0, 0, 0), n_estimators=1).fit(X, y)
    message = library_message(caught.value)
    assert message.startswith("Check failed: p.monotone_constraints.size() <= n_features")
    assert "Stack trace" not in message and "\n" not in message and len(message) <= 300


@pytest.mark.parametrize(
    "task, key, value, predicts",
    [
        ("classification", "sigmoid", 2.0, "the logistic of sigmoid x its margin"),
        ("regression", "reg_sqrt", True, "the square of its margin"),
    ],
)
def test_lightgbm_parameters_that_link_margin_and_prediction_are_refused(
    task, key, value, predicts
):
    # llmboost read LightGBM's margin as log-odds or as the prediction: with sigmoid=2 its
    # probabilities at scale=0 were up to 0.15 off plain LightGBM's, with reg_sqrt=True its
    # regression R^2 0.91 where plain LightGBM's was 0.93
    message = f"booster_params {key}={value!r} is not supported: LightGBM then predicts {predicts}"
    with pytest.raises(ValueError, match=re.escape(message)):
        make_booster("lightgbm", {key: value}, task, 0)
    make_booster("lightgbm", {key: {"sigmoid": 1.0, "reg_sqrt": False}[key]}, task, 0)


@pytest.mark.parametrize(
    "library, params, match",
    [
        ("xgboost", {"device": "cuda"}, r"device='cuda', but this XGBoost is built without CUDA"),
        ("xgboost", {"device": "gpu:1"}, r"device='gpu:1', but this XGBoost is built without"),
        ("lightgbm", {"device_type": "cuda"}, r"device_type='cuda', but this LightGBM cannot"),
        ("lightgbm", {"device": "cuda"}, r"device='cuda', but this LightGBM cannot train"),
    ],
)
def test_a_gpu_in_booster_params_without_a_cuda_build_is_refused(
    monkeypatch, library, params, match
):
    # XGBoost ran its trees on the CPU with "Device is changed from GPU to CPU" per fit;
    # LightGBM failed every fit ("CUDA Tree Learner was not enabled"), after the prior's
    from llmboost import PriorBoostRegressor
    from llmboost.boosters import BOOSTERS

    monkeypatch.setattr(BOOSTERS[library], "has_cuda", staticmethod(lambda: False))
    with pytest.raises(ValueError, match=match):
        make_booster(library, params, "regression", 0)
    X, rng = _frame()
    model = PriorBoostRegressor(booster=library, booster_params=params, scale=0)
    with pytest.raises(ValueError, match=match):
        model.fit(X, rng.normal(size=len(X)))
    monkeypatch.setattr(BOOSTERS[library], "has_cuda", staticmethod(lambda: True))
    assert make_booster(library, params, "regression", 0).params == {
        **make_booster(library, None, "regression", 0).params,
        **params,
    }


@pytest.mark.parametrize("key, value", [("device_type", "cuda:1"), ("device", "gpu:0")])
def test_lightgbm_device_with_an_index_names_gpu_device_id(monkeypatch, key, value):
    # LightGBM failed at fit, after the prior's scores: "Unknown device type cuda:1"
    from llmboost.boosters import LightGBMBooster

    monkeypatch.setattr(LightGBMBooster, "has_cuda", staticmethod(lambda: True))
    kind, index = value.split(":")
    message = (
        f"booster_params {key}={value!r}: LightGBM's device type has no index; give "
        f"{key}={kind!r} and gpu_device_id={index}"
    )
    with pytest.raises(ValueError, match=rf"^{re.escape(message)} \(or the estimator's"):
        make_booster("lightgbm", {key: value}, "regression", 0)


@pytest.mark.parametrize(
    "library, key, value, match",
    [("xgboost", "device", "CPU", r"XGBoost takes 'cpu', 'cuda', 'cuda:<index>'"),
     ("xgboost", "device", "cpu:0", r"XGBoost takes 'cpu', 'cuda', 'cuda:<index>'"),
     ("lightgbm", "device_type", "tpu", r"LightGBM takes 'cpu', 'gpu' or 'cuda'\.$"),
     ("lightgbm", "device", "CUDA", r"but this LightGBM cannot train on CUDA")],
)  # fmt: skip
def test_a_device_name_the_library_refuses_is_refused_before_any_fit(
    monkeypatch, library, key, value, match
):
    # both failed at fit, after the prior's scores: XGBoost "Invalid argument for
    # `device`", LightGBM "Unknown device type tpu" or, for 'CUDA' without a CUDA build,
    # "CUDA Tree Learner was not enabled in this build"
    from llmboost.boosters import BOOSTERS

    monkeypatch.setattr(BOOSTERS[library], "has_cuda", staticmethod(lambda: False))
    with pytest.raises(ValueError, match=rf"^booster_params {key}={value!r}.*{match}"):
        make_booster(library, {key: value}, "regression", 0)
    for name in ("cpu", "CPU") if library == "lightgbm" else ("cpu",):
        make_booster(library, {key: name}, "regression", 0)


def test_xgboost_gpu_tree_methods_name_their_replacement():
    # XGBoost 3 refused tree_method='gpu_hist' at fit, after the prior's scores, with
    # "valid values are: {'approx', 'auto', 'exact', 'hist'}"
    import xgboost as xgb

    if int(xgb.__version__.split(".")[0]) < 3:
        pytest.skip("XGBoost 2 still takes gpu_hist, with its deprecation warning")
    with pytest.raises(ValueError, match=r"tree_method='gpu_hist' .* tree_method='hist' and"):
        make_booster("xgboost", {"tree_method": "gpu_hist"}, "regression", 0)


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_numpy_scalars_in_booster_params_fit_as_their_python_values(library):
    # XGBoost failed on np.int64 n_jobs / nthread / verbosity with "TypeError: Object of
    # type int64 is not JSON serializable" from inside its DMatrix
    X, rng = _frame()
    y = rng.normal(size=len(X))
    given = {"n_jobs": np.int64(1), "max_depth": np.int32(3), "learning_rate": np.float64(0.25)}
    given.update({"verbosity": np.int64(0)} if library == "xgboost" else {"verbose": np.int8(-1)})
    plain = {key: value.item() for key, value in given.items()}
    booster = make_booster(library, given, "regression", 0).fit(X, y, None)
    expected = make_booster(library, plain, "regression", 0).fit(X, y, None)
    assert booster.params == expected.params
    assert all(type(booster.params[key]) is type(value) for key, value in plain.items())
    np.testing.assert_array_equal(booster.predict_margin(X, None), expected.predict_margin(X, None))


@pytest.mark.parametrize("kind", [list, tuple])
def test_a_list_of_numpy_quantiles_fits_as_its_python_values(kind):
    # XGBoost wrote the list as text with NumPy's names and failed on it, after the
    # prior's scores: "Expecting null value "null", around character position: 5
    # [np.float32(0"
    X, rng = _frame()
    y = rng.normal(size=len(X))
    loss = {"objective": "reg:quantileerror", "n_estimators": 3}
    given = make_booster("xgboost", {**loss, "quantile_alpha": kind([np.float32(0.25)])},
                         "regression", 0).fit(X, y, None)  # fmt: skip
    plain = make_booster("xgboost", {**loss, "quantile_alpha": [0.25]}, "regression", 0)
    assert given.params["quantile_alpha"] == kind([0.25])
    assert type(given.params["quantile_alpha"][0]) is float
    margins = given.predict_margin(X, None), plain.fit(X, y, None).predict_margin(X, None)
    np.testing.assert_array_equal(*margins)


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_zero_d_arrays_fractions_and_decimals_fit_as_python_numbers(library):
    # a 0-d array or a Decimal was refused as "takes a number here", and a Fraction failed
    # at fit, after the prior's scores ("Some trailing characters could not be parsed:
    # '/2'", LightGBM "should be of type double, got "1/2"")
    from decimal import Decimal
    from fractions import Fraction

    X, rng = _frame()
    y = rng.normal(size=len(X))
    plain = {"max_depth": 3, "learning_rate": 0.5, "subsample": 0.75, "reg_lambda": 2.5}
    given = {"max_depth": np.array(3), "learning_rate": Fraction(1, 2),
             "subsample": Decimal("0.75"), "reg_lambda": np.array(2.5)}  # fmt: skip
    booster = make_booster(library, given, "regression", 0).fit(X, y, None)
    expected = make_booster(library, plain, "regression", 0).fit(X, y, None)
    assert booster.params == expected.params
    assert all(type(booster.params[key]) is type(value) for key, value in plain.items())
    np.testing.assert_array_equal(booster.predict_margin(X, None), expected.predict_margin(X, None))


@pytest.mark.parametrize("library, name", [("xgboost", "XGBoost"), ("lightgbm", "LightGBM")])
@pytest.mark.parametrize(
    "key, value",
    [("learning_rate", float("inf")), ("learning_rate", "inf"), ("learning_rate", 1e308),
     ("reg_lambda", float("-inf")), ("max_delta_step", float("nan"))],
)  # fmt: skip
def test_a_number_beyond_float32_or_not_finite_is_refused_by_name(library, name, key, value):
    # learning_rate=inf gave NaN (XGBoost) or inf (LightGBM) predictions without a word,
    # and LightGBM's learning_rate=1e308 overflowed to inf as well
    message = re.escape(f"booster_params {key}={value!r}: {name} takes a finite number")
    with pytest.raises(ValueError, match=rf"^{message} .*float32"):
        make_booster(library, {key: value}, "regression", 0)


@pytest.mark.parametrize(
    "library, given, message",
    [("xgboost", {"eta": float("inf")}, "eta=inf: XGBoost takes a finite number"),
     ("xgboost", {"eta": "fast"}, "eta='fast': XGBoost takes a number"),
     ("xgboost", {"nthread": 1.5}, "nthread=1.5: XGBoost takes a whole number here, such as "
      "nthread=2."),
     ("lightgbm", {"early_stopping_round": 0}, "early_stopping_round=0: give the rounds")],
)  # fmt: skip
def test_a_number_refused_is_named_as_given_not_by_its_main_name(library, given, message):
    # booster_params eta=inf was refused as "learning_rate=inf", a key the user never gave
    with pytest.raises(ValueError, match=rf"^booster_params {re.escape(message)}"):
        make_booster(library, given, "regression", 0)


@pytest.mark.parametrize(
    "library, key, value",
    [("lightgbm", "is_unbalance", "false"), ("lightgbm", "unbalance", "True"),
     ("lightgbm", "first_metric_only", " False"), ("xgboost", "enable_categorical", "false")],
)  # fmt: skip
def test_text_for_a_boolean_parameter_is_refused_by_name(library, key, value):
    # Python reads any text as true: is_unbalance="false" was refused with three classes,
    # first_metric_only="false" stopped on the first metric alone
    word = value.strip().lower() == "true"
    message = re.escape(f"booster_params {key}={value!r}: give {word} (a bool), not text")
    with pytest.raises(ValueError, match=rf"^{message}"):
        make_booster(library, {key: value}, "classification", 0)
    booster = make_booster(library, {key: word}, "classification", 0)
    assert booster.params["is_unbalance" if key == "unbalance" else key] is word


@pytest.mark.parametrize(
    "key, value", [("extra_trees", 1), ("unbalance", 0), ("first_metric_only", 1.0)]
)
def test_lightgbm_booleans_take_true_or_false_only(key, value):
    # LightGBM refused 1 or 0 at fit, after the prior's scores: "Parameter extra_trees
    # should be "true"/"+" or "false"/"-", got "1""
    message = re.escape(f"booster_params {key}={value!r}: LightGBM takes True or False.")
    with pytest.raises(ValueError, match=rf"^{message}$"):
        make_booster("lightgbm", {key: value}, "classification", 0)
    X, rng = _frame()
    booster = make_booster("lightgbm", {key: bool(value), "n_estimators": 3}, "classification", 0)
    assert booster.fit(X, rng.integers(0, 2, len(X)), None).n_rounds_ == 3


@pytest.mark.parametrize("value", ["no", 0, 1.0])
def test_xgboost_enable_categorical_takes_true_or_false_only(value):
    # XGBoost's estimator reads any text as true: enable_categorical="no" kept the
    # categories of X as categories, without a word
    message = re.escape(
        f"booster_params enable_categorical={value!r}: XGBoost takes True or False."
    )
    with pytest.raises(ValueError, match=rf"^{message}$"):
        make_booster("xgboost", {"enable_categorical": value}, "classification", 0)
    X = _frame()[0].assign(a=pd.Categorical(["x", "y", "z"] * 20))
    booster = make_booster(
        "xgboost", {"enable_categorical": True, "n_estimators": 3}, "classification", 0
    )
    assert booster.fit(X, np.arange(len(X)) % 2, None).n_rounds_ == 3
    assert booster.model_.get_booster().feature_types == ["c", "float", "float"]


@pytest.mark.parametrize(
    "library, params, message",
    [("xgboost", {"objective": "reg:quantileerror", "quantile_alpha": 1.5},
      "quantile_alpha=1.5: XGBoost takes it from 0 to 1"),
     ("xgboost", {"objective": "reg:quantileerror", "quantile_alpha": "[-0.1]"},
      "quantile_alpha='[-0.1]': XGBoost takes it from 0 to 1"),
     ("xgboost", {"objective": "reg:pseudohubererror", "huber_slope": 0},
      "huber_slope=0: XGBoost takes it other than 0."),
     ("lightgbm", {"objective": "quantile", "alpha": 1.0},
      "alpha=1.0: LightGBM takes it strictly between 0 and 1"),
     ("lightgbm", {"objective": "huber", "alpha": -1}, "alpha=-1: LightGBM takes it above 0."),
     ("lightgbm", {"objective": "fair", "fair_c": 0}, "fair_c=0: LightGBM takes it above 0.")],
)  # fmt: skip
def test_a_loss_parameter_out_of_its_range_is_refused_before_any_fit(library, params, message):
    # both refused it at the first fit, after the prior's scores: XGBoost "quantile alpha
    # must be in the range [0.0, 1.0]", LightGBM "Check failed: alpha_ > 0 && alpha_ < 1"
    with pytest.raises(ValueError, match=rf"^booster_params {re.escape(message)}"):
        make_booster(library, params, "regression", 0)
    X, rng = _frame()
    key = next(k for k in params if k != "objective")
    fine = {**params, key: 0.5, "n_estimators": 3}
    booster = make_booster(library, fine, "regression", 0)
    assert booster.fit(X, rng.normal(size=len(X)), None).n_rounds_ == 3


@pytest.mark.parametrize(
    "library, params, message",
    [("xgboost", {"objective": "reg:quantileerror", "quantile_alpha": 10**400},
      "XGBoost takes it from 0 to 1"),
     ("xgboost", {"objective": "reg:quantileerror", "quantile_alpha": [-(10**400)]},
      "XGBoost takes it from 0 to 1"),
     ("lightgbm", {"objective": "fair", "fair_c": -(10**400)}, "LightGBM takes it above 0.")],
)  # fmt: skip
def test_a_loss_parameter_beyond_float_range_is_refused_by_name(library, params, message):
    # an int beyond float64's range raised "OverflowError: int too large to convert to
    # float" from the range check, naming no parameter
    key = next(k for k in params if k != "objective")
    with pytest.raises(ValueError, match=rf"^booster_params {key}=.*: {re.escape(message)}"):
        make_booster(library, params, "regression", 0)


@pytest.mark.parametrize("library, name", [("xgboost", "XGBoost"), ("lightgbm", "LightGBM")])
def test_whole_number_parameters_take_ints_or_their_text(library, name):
    # a float failed at fit, after the prior's scores ("Parameter max_bin should be of type
    # int, got "16.0""); XGBoost refused max_bin='16' and LightGBM n_jobs='1' raised
    # "TypeError: '<' not supported between instances of 'str' and 'int'"
    for key, value in (("max_bin", 16.0), ("max_depth", 3.5), ("n_jobs", "2.0")):
        message = re.escape(f"booster_params {key}={value!r}: {name} takes a whole number")
        with pytest.raises(ValueError, match=rf"^{message} here, such as {key}=\d+\.$"):
            make_booster(library, {key: value}, "regression", 0)
    X, rng = _frame()
    given = {"max_bin": "16", "n_jobs": " 1", "max_depth": "3", "n_estimators": 3}
    booster = make_booster(library, given, "regression", 0)
    assert [booster.params[key] for key in ("max_bin", "n_jobs", "max_depth")] == [16, 1, 3]
    assert booster.fit(X, rng.normal(size=len(X)), None).n_rounds_ == 3


@pytest.mark.parametrize(
    "task, loss, name",
    [("classification", "Binary:Logistic", "binary:logistic"),
     ("regression", "reg:squarederror ", "reg:squarederror"),
     ("regression", "REG:ABSOLUTEERROR", "reg:absoluteerror")],
)  # fmt: skip
def test_an_xgboost_loss_in_another_case_or_with_spaces_is_refused_with_its_name(task, loss, name):
    # XGBoost refuses them at fit ("Unknown objective function"); llmboost said the loss
    # was "not supported" as one with a link, though its name was among those it listed
    message = re.escape(
        f"booster_params objective={loss!r} is no loss XGBoost knows: it names its losses in "
        f"lower case, without spaces; give objective={name!r}."
    )
    with pytest.raises(ValueError, match=rf"^{message}$"):
        make_booster("xgboost", {"objective": loss}, task, 0)


def test_lightgbm_loss_names_with_spaces_are_checked_as_lightgbm_reads_them():
    # ' binary' with three classes, 'Multiclass ' with two and ' MAPE' on a target beyond
    # float32 passed the checks before any fit, which read the name as it was given
    from llmboost._losses import check_loss_target

    with pytest.raises(ValueError, match=r"^booster_params objective=' binary' is a loss of two"):
        check_binary_weight({"objective": " binary"}, np.arange(3))
    with pytest.raises(ValueError, match=r"classes \(0 and 1\); give objective='binary', the"):
        check_binary_weight({"objective": "Multiclass "}, np.arange(2))
    with pytest.raises(ValueError, match=r"^booster_params objective=' MAPE' trains on y in its"):
        check_loss_target({"objective": " MAPE"}, np.array([1e39, 1.0]))


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_the_rounds_and_the_patience_take_the_text_of_a_whole_number(library):
    # max_depth="5" was read as 5, while n_estimators="5" and early_stopping_rounds="5"
    # were refused ("the trees need a whole number of boosting rounds")
    from sklearn.linear_model import Ridge

    from llmboost import PriorBoostRegressor

    X, rng = _frame()
    y, fit = rng.normal(size=len(X)), {"eval_set": (X[:20], rng.normal(size=20))}
    models = [
        PriorBoostRegressor(
            Ridge(), booster=library, scale=[0, 1], cv=2, random_state=0,
            booster_params={"n_estimators": rounds, "early_stopping_rounds": patience},
        ).fit(X, y, **fit)
        for rounds, patience in ((40, 2), ("40", " 2 "))
    ]  # fmt: skip
    assert [m.n_rounds for m in models[0].members_] == [m.n_rounds for m in models[1].members_]
    np.testing.assert_array_equal(models[0].predict(X), models[1].predict(X))  # same trees
    booster = make_booster(library, {"n_estimators": "+3", "early_stopping_rounds": "4"},
                           "regression", 0)  # fmt: skip
    assert (booster.params["n_estimators"], booster.patience) == (3, 4)
    for text in ("4.0", "0", "-3"):  # a float's text, as max_depth's; refused as given
        message = f"booster_params early_stopping_rounds={text!r}: give the rounds without"
        with pytest.raises(ValueError, match=rf"^{re.escape(message)}"):
            make_booster(library, {"early_stopping_rounds": text}, "regression", 0)


@pytest.mark.parametrize(
    "task, key, loss, why",
    [("classification", "objective", "Poisson", "is not supported: this classifier adds"),
     ("regression", "application", " Gamma", "is not supported: this regressor adds"),
     ("regression", "objective", "REG:SquaredError", "is the other library's name: LightGBM")],
)  # fmt: skip
def test_a_refused_lightgbm_loss_is_shown_as_given(task, key, loss, why):
    # it was shown as LightGBM reads it, lower-cased and stripped ("objective='poisson'")
    message = f"booster_params {key}={loss!r} {why}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        make_booster("lightgbm", {key: loss}, task, 0)


@pytest.mark.parametrize(
    "task, given, name",
    [("regression", "MAE", "mae"), ("regression", "Huber", "huber"),
     ("regression", "L2", "l2"), ("classification", "BINARY", "binary"),
     ("regression", " mae ", "mae"), ("regression", "L2 ", "l2"),
     ("classification", " binary", "binary")],
)  # fmt: skip
def test_lightgbm_loss_names_in_any_case_are_its_losses(task, given, name):
    # LightGBM reads objective='MAE' as 'mae'; llmboost refused it as a loss "with a link",
    # and read 'L2' as no squared error (its trees then lost the target's unit); it
    # refused 'binary ' (LightGBM's binary loss) and ' binary' (which plain LightGBM fits
    # as its default loss, regression, without a word) as "not supported"
    X, rng = _frame()
    y = rng.integers(0, 2, len(X)) if task == "classification" else rng.normal(size=len(X)) * 1e-9
    fits = [
        make_booster("lightgbm", {"objective": loss, "n_estimators": 5}, task, 0).fit(X, y, None)
        for loss in (given, name)
    ]
    assert fits[0].params["objective"] == name
    assert (fits[0].unit_, fits[0].center_) == (fits[1].unit_, fits[1].center_)
    np.testing.assert_array_equal(fits[0].predict_margin(X, None), fits[1].predict_margin(X, None))


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("monotone", [pd.Series({"a": 1}), {1}, 1], ids=["series", "set", "int"])
def test_monotone_constraints_in_another_form_are_refused_before_any_fit(library, monotone):
    # a Series failed at fit, after the prior's scores: XGBoost "Invalid Parameter format
    # for monotone_constraints expect but value='(np.int64(1),)'", LightGBM "Unknown type
    # of parameter:monotone_constraints, got:Series"
    with pytest.raises(
        ValueError, match=r"^booster_params monotone_constraints is a (Series|set|int)"
    ):
        make_booster(library, {"monotone_constraints": monotone}, "regression", 0)


@pytest.mark.parametrize(
    "library, params, n_classes, match",
    [("lightgbm", {"objective": "binary"}, 3, r"objective='binary' is a loss of two classes, but "),
     ("lightgbm", {"objective": "XENTROPY"}, 3, r"objective='XENTROPY' is a loss of two classes"),
     ("xgboost", {"objective": "binary:logistic"}, 3,
      r"objective='binary:logistic' is a loss of two classes, but y has 3 classes; leave"),
     ("xgboost", {"objective": "binary:logitraw"}, 4,
      r"objective='binary:logitraw' is a loss of two classes, but y has 4 classes"),
     ("xgboost", {"num_class": 2}, 2, r"num_class=2, but y has 2 classes"),
     ("lightgbm", {"num_class": 2}, 2, r"num_class=2, but y has 2 classes"),
     ("lightgbm", {"num_classes": 3}, 2, r"num_classes=3, but y has 2 classes")],
)  # fmt: skip
def test_a_binary_loss_or_num_class_that_y_contradicts_is_refused_before_any_fit(
    library, params, n_classes, match
):
    # they failed at fit, after the prior's scores: LightGBM "Number of classes must be 1
    # for non-multiclass training", XGBoost "base_margin_.Shape(1) == this->mparam_.
    # OutputLength() (1 vs. 2)"; XGBoost's estimator replaced its binary loss by its
    # multiclass loss without a word
    from sklearn.linear_model import LogisticRegression

    from llmboost import PriorBoostClassifier

    class NotToFit(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            raise AssertionError("the prior was fitted")

    X, rng = _frame()
    y = np.arange(len(X)) % n_classes
    model = PriorBoostClassifier(NotToFit(), booster=library, booster_params=params, scale=1.0)
    with pytest.raises(ValueError, match=rf"^booster_params {match}"):
        model.fit(X, y)
    if "num_class" in params:  # with a multiclass loss, plain trees take two classes
        loss = {"xgboost": "multi:softprob", "lightgbm": "multiclass"}[library]
        model.set_params(prior=None, scale=0, booster_params={**params, "objective": loss})
        assert model.fit(X, y).predict_proba(X).shape == (len(X), 2)


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_num_class_that_is_no_whole_number_is_refused_before_any_fit(library, task):
    # num_class=1.0 (or True, or the text '1.0') passed the checks of the class count,
    # which read it as 1, and failed at fit, after the prior's scores: "Parameter
    # num_class should be of type int, got "1.0"" (XGBoost: "expect int")
    name = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}[library]
    keys = ("num_class", "num_classes") if library == "lightgbm" else ("num_class",)
    for key in keys:
        for value, what in ((1.0, "a whole number"), ("1.0", "a whole number"), (True, "a number")):
            message = re.escape(f"booster_params {key}={value!r}: {name} takes {what} here")
            with pytest.raises(ValueError, match=rf"^{message}"):
                make_booster(library, {key: value}, task, 0)
    assert make_booster(library, {"num_class": " 1 "}, task, 0).params["num_class"] == 1


@pytest.mark.parametrize(
    "library, params",
    [("xgboost", {"objective": "multi:softprob", "num_class": 3}),
     ("xgboost", {"objective": "multi:softmax", "num_class": 1}),
     ("lightgbm", {"objective": "multiclass", "num_class": 3}),
     ("lightgbm", {"objective": "softmax", "num_classes": "1"})],
)  # fmt: skip
def test_a_multiclass_loss_with_a_class_count_other_than_2_on_two_classes_is_refused(
    library, params
):
    # with 3 both predicted three columns of probabilities for the two classes of y,
    # without a word; with 1 both failed at fit ("label must be discrete values in the
    # range of [0, num_class)", "Number of classes should be specified and greater than 1")
    from sklearn.linear_model import LogisticRegression

    from llmboost import PriorBoostClassifier

    class NotToFit(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            raise AssertionError("the prior was fitted")

    X, _ = _frame()
    y = np.arange(len(X)) % 2
    count, loss = [k for k in params if k != "objective"][0], params["objective"]
    model = PriorBoostClassifier(NotToFit(), booster=library, booster_params=params, scale=0)
    message = (
        f"booster_params {count}={params[count]!r} with objective={loss!r}, but y has 2 "
        f"classes: give {count}=2, or leave both to their defaults (a binary loss)."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        model.fit(X, y)
    model.set_params(prior=None, booster_params={**params, count: 2, "n_estimators": 3})
    assert model.fit(X, y).predict_proba(X).shape == (len(X), 2)


@pytest.mark.parametrize(
    "library, loss", [("xgboost", "multi:softprob"), ("lightgbm", "multiclass")]
)
@pytest.mark.parametrize("scale", [1.0, "auto", [0, 0.5, "prior"]])
def test_a_multiclass_loss_with_num_class_2_and_a_prior_is_refused_before_the_prior(
    library, loss, scale
):
    # the prior's margin of two classes is one log-odds per row, which a multiclass loss
    # does not take: it was refused only at the first fit of the trees, after the prior's
    # scores (six fits of the prior)
    from sklearn.linear_model import LogisticRegression

    from llmboost import PriorBoostClassifier

    class NotToFit(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            raise AssertionError("the prior was fitted")

    X, _ = _frame()
    y = np.arange(len(X)) % 2
    params = {"objective": loss, "num_class": 2, "n_estimators": 3}
    model = PriorBoostClassifier(NotToFit(), booster=library, booster_params=params, scale=scale)
    message = re.escape(
        f"booster_params objective={loss!r} with two classes: the trees start from the "
        "prior's log-odds, one number per row, which a multiclass loss does not take; leave "
        "the loss to its default (binary), or use scale=0."
    )
    with pytest.raises(ValueError, match=rf"^{message}$"):
        model.fit(X, y)
    for fits in (0, "prior"):  # no prior's margin under the trees, or no trees
        model.set_params(prior=LogisticRegression(), scale=fits)
        assert model.fit(X, y).predict_proba(X).shape == (len(X), 2)


@pytest.mark.parametrize(
    "library, count",
    [("xgboost", {"num_class": 1}), ("xgboost", {"num_class": "1"}),
     ("lightgbm", {"num_class": 1}), ("lightgbm", {"num_classes": 1})],
)  # fmt: skip
def test_num_class_1_on_a_binary_target_fits_as_without_it(library, count):
    # one margin per row, the libraries' own setting for two classes (LightGBM's default):
    # it was refused as contradicting y ("num_class=1, but y has 2 classes")
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression

    from llmboost import PriorBoostClassifier

    X, rng = _frame()
    y = np.arange(len(X)) % 2
    given = {"n_estimators": 5, **count}
    model = PriorBoostClassifier(
        LogisticRegression(), booster=library, booster_params=given, scale=1.0, random_state=0
    ).fit(X, y)
    plain = clone(model).set_params(booster_params={"n_estimators": 5}).fit(X, y)
    # the same trees: float32 margins of the same fit may differ in their last bits
    np.testing.assert_allclose(model.predict_proba(X), plain.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize(
    "library, key, loss, binary",
    [("xgboost", "objective", "multi:softprob", "binary:logistic"),
     ("xgboost", "objective", "multi:softmax", "binary:logistic"),
     ("lightgbm", "objective", "multiclass", "binary"),
     ("lightgbm", "objective", "Softmax", "binary")],
)  # fmt: skip
@pytest.mark.parametrize("scale", [0, 1.0])
def test_a_multiclass_loss_with_two_classes_is_refused_before_the_prior(
    library, key, loss, binary, scale
):
    # at scale=0 both failed inside the library (XGBoost "value 0 for Parameter num_class
    # should be greater equal to 1", LightGBM "Number of classes should be specified"),
    # and with a prior only after its scores, advising scale=0
    from sklearn.linear_model import LogisticRegression

    from llmboost import PriorBoostClassifier

    class NotToFit(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            raise AssertionError("the prior was fitted")

    X, _ = _frame()
    y = np.where(np.arange(len(X)) % 2, "yes", "no")
    params = {key: loss, "n_estimators": 3}
    model = PriorBoostClassifier(NotToFit(), booster=library, booster_params=params, scale=scale)
    message = re.escape(
        f"booster_params {key}={loss!r} is a loss of several classes, but y has 2 classes "
        f"('no' and 'yes'); give {key}={binary!r}, the same loss for two classes, or leave "
        "the loss to its default."
    )
    with pytest.raises(ValueError, match=rf"^{message}$"):
        model.fit(X, y)
    model.set_params(prior=None, scale=0, booster_params={**params, key: binary})
    assert model.fit(X, y).predict_proba(X).shape == (len(X), 2)  # what it says to give


@pytest.mark.parametrize(
    "library, key, value",
    [("xgboost", "num_class", 3), ("lightgbm", "num_class", "3"), ("lightgbm", "num_classes", 2)],
)  # fmt: skip
def test_a_class_count_in_a_regressor_is_refused_before_the_prior(library, key, value):
    # both failed at the first fit, after the prior's scores (XGBoost "base_margin_.
    # Shape(1) == this->mparam_.OutputLength() (1 vs. 3)", LightGBM "Number of classes
    # must be 1 for non-multiclass training")
    from sklearn.linear_model import Ridge

    from llmboost import PriorBoostRegressor

    class NotToFit(Ridge):
        def fit(self, X, y, sample_weight=None):
            raise AssertionError("the prior was fitted")

    X, rng = _frame()
    model = PriorBoostRegressor(NotToFit(), booster=library, booster_params={key: value})
    message = re.escape(
        f"booster_params {key}={value!r} is a number of classes, but a regressor fits one "
        f"number per row; leave {key} out."
    )
    with pytest.raises(ValueError, match=rf"^{message}$"):
        model.fit(X, rng.normal(size=len(X)))
    booster = make_booster(library, {key: 1, "n_estimators": 2}, "regression", 0)
    assert booster.fit(X, rng.normal(size=len(X)), None).n_rounds_ == 2  # one: as without


@pytest.mark.parametrize("key", ["is_unbalance", "unbalance", "unbalanced_sets"])
@pytest.mark.parametrize("weight", [2, "0.5"])
def test_lightgbm_is_unbalance_beside_a_positive_class_weight_is_refused(key, weight):
    # LightGBM failed at fit, after the prior's scores: "Cannot set is_unbalance and
    # scale_pos_weight at the same time"
    message = re.escape(
        f"booster_params scale_pos_weight={weight!r} and {key}=True both weight the positive "
        "class, which LightGBM refuses; give one of them (is_unbalance weights it by the "
        "classes' ratio)."
    )
    with pytest.raises(ValueError, match=rf"^{message}$"):
        make_booster("lightgbm", {"scale_pos_weight": weight, key: True}, "classification", 0)
    X, _ = _frame()
    y = (np.arange(len(X)) % 2).astype(float)
    for params in ({"scale_pos_weight": 1, key: True}, {"scale_pos_weight": weight, key: False}):
        booster = make_booster("lightgbm", {**params, "n_estimators": 2}, "classification", 0)
        assert booster.fit(X, y, None).n_rounds_ == 2  # which LightGBM takes
    booster = make_booster("lightgbm", {"scale_pos_weight": weight, key: True}, "regression", 0)
    assert booster.fit(X, y, None).n_rounds_ > 0  # a regressor reads neither


@pytest.mark.parametrize(
    "library, params",
    [("xgboost", {"num_class": 5}), ("xgboost", {"num_class": 2, "objective": "multi:softprob"}),
     ("lightgbm", {"num_class": "4"}), ("lightgbm", {"num_classes": 2})],
)  # fmt: skip
def test_a_class_count_other_than_y_has_is_refused(library, params):
    # with three classes both estimators set num_class from y and ignored the one given
    key = next(k for k in params if k.startswith("num_class"))
    message = re.escape(
        f"booster_params {key}={params[key]!r}, but y has 3 classes: the library sets {key} "
        f"from y and ignores this one; leave {key} out."
    )
    with pytest.raises(ValueError, match=rf"^{message}$"):
        check_binary_weight(params, np.arange(3))
    check_binary_weight({**params, key: 3}, np.arange(3))  # the count y has, also as text
    check_binary_weight({**params, key: "3"}, np.arange(3))


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("groups", [[{"a"}, {"b", "c"}], [{0}, {1, 2}], ({0, 1},), {0, 1}])
def test_interaction_constraints_as_sets_are_refused_before_any_fit(library, groups):
    # LightGBM ignored groups of names given as sets without a word (R^2 0.994, as
    # unconstrained, where the same groups as lists gave 0.776); XGBoost failed on sets of
    # positions at fit ("Constrained features are not a subset of training data feature
    # names"), and a model holding sets could not be saved
    message = "booster_params interaction_constraints holds a set: give each group as a list"
    with pytest.raises(ValueError, match=rf"^{re.escape(message)}"):
        make_booster(library, {"interaction_constraints": groups}, "regression", 0)


@pytest.mark.parametrize(
    "library, key, value, what",
    [("xgboost", "lambda", float("inf"), "a finite number"),
     ("xgboost", "alpha", "fast", "a number"),
     ("xgboost", "min_split_loss", float("inf"), "a finite number"),
     ("lightgbm", "lambda_l2", float("inf"), "a finite number"),
     ("lightgbm", "bagging_fraction", "fast", "a number"),
     ("lightgbm", "min_data_in_leaf", 3.0, "a whole number"),
     ("lightgbm", "num_threads", 2.0, "a whole number"),
     ("lightgbm", "bagging_freq", "1.5", "a whole number"),
     ("lightgbm", "sub_row", True, "a number"), ("lightgbm", "sub_feature", "x", "a number"),
     ("lightgbm", "min_hessian", True, "a number"),
     ("lightgbm", "min_sum_hessian", 1e300, "a finite number"),
     ("lightgbm", "min_data", "abc", "a number"),
     ("lightgbm", "min_samples_leaf", 3.0, "a whole number"),
     ("lightgbm", "max_bins", 2.5, "a whole number"), ("lightgbm", "seed", 1.5, "a whole number"),
     ("xgboost", "seed", "x", "a number"), ("lightgbm", "path_smooth", "fast", "a number"),
     ("lightgbm", "min_data_per_group", 2.5, "a whole number"),
     ("lightgbm", "min_data_in_bin", 2.5, "a whole number"),
     ("lightgbm", "linear_lambda", "x", "a number"), ("lightgbm", "pos_sub_row", "x", "a number"),
     # DART's most trees dropped, the bins of quantized gradients, a seed, the rounds
     # between printed metrics: "Parameter max_drop should be of type int"
     ("lightgbm", "max_drop", 5.0, "a whole number"),
     ("lightgbm", "num_grad_quant_bins", "4.0", "a whole number"),
     ("lightgbm", "bagging_seed", 2.0, "a whole number"),
     ("lightgbm", "metric_freq", "x", "a number"),
     ("lightgbm", "output_freq", 1.5, "a whole number")],
)  # fmt: skip
def test_library_names_of_number_parameters_are_checked_as_the_main_names(
    library, key, value, what
):
    # lambda=inf fitted trees of zero leaves (the prior alone) without a word; the others
    # failed at fit, after the prior's scores ("Unknown token fast in data file",
    # "Parameter min_data_in_leaf should be of type int, got "3.0"", XGBoost "Invalid
    # Parameter format for seed expect long but value='x'")
    name = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}[library]
    message = re.escape(f"booster_params {key}={value!r}: {name} takes {what} here")
    with pytest.raises(ValueError, match=rf"^{message}"):
        make_booster(library, {key: value}, "regression", 0)


def test_a_diverged_booster_names_the_learning_rate_instead_of_predicting_nan():
    # XGBoost at learning_rate=1000 (within its float32 range) gave NaN predictions at
    # every scale without a word, as plain XGBoost does
    from sklearn.linear_model import Ridge

    from llmboost import PriorBoostRegressor

    X, rng = _frame(200)
    y = 2 * X["a"].to_numpy() + X["b"].to_numpy()
    booster = make_booster("xgboost", {"learning_rate": 1000}, "regression", 0).fit(X, y, None)
    message = (
        r"^XGBoost's trees give a margin that is not finite \(NaN or inf\) on 200 of 200 "
        r"rows: the boosting diverged; lower learning_rate \(1000\)\.$"
    )
    with pytest.raises(ValueError, match=message):
        booster.predict_margin(X, None)
    model = PriorBoostRegressor(Ridge(), booster_params={"learning_rate": 1000}, scale=0.5)
    with pytest.raises(ValueError, match=r"the boosting diverged; lower learning_rate"):
        model.fit(X, y).predict(X)
    with pytest.raises(ValueError, match=r"the boosting diverged; lower learning_rate"):
        model.set_params(scale="auto", cv=3).fit(X, y)  # the search reads its margins
    assert np.isfinite(booster.predict_margin(X, None, n_rounds=1)).all()  # before it did


def test_a_diverged_booster_names_the_learning_rate_as_given():
    # booster_params eta=1000 diverged with "lower learning_rate (1000)", a key the user
    # never gave
    X, rng = _frame(200)
    y = 2 * X["a"].to_numpy() + X["b"].to_numpy()
    booster = make_booster("xgboost", {"eta": 1000}, "regression", 0).fit(X, y, None)
    with pytest.raises(ValueError, match=r"the boosting diverged; lower eta \(1000\)\.$"):
        booster.predict_margin(X, None)


_OUT_OF_RANGE = [
    ("xgboost", "reg_lambda", -1, ">= 0"), ("xgboost", "lambda", -1, ">= 0"),
    ("xgboost", "reg_alpha", -1, ">= 0"), ("xgboost", "alpha", -1, ">= 0"),
    ("xgboost", "gamma", -1, ">= 0"), ("xgboost", "min_split_loss", -0.5, ">= 0"),
    ("xgboost", "max_depth", -2, ">= 0"), ("xgboost", "min_child_weight", -1, ">= 0"),
    ("xgboost", "subsample", 0, "> 0 and <= 1"), ("xgboost", "subsample", 1.5, "> 0 and <= 1"),
    ("xgboost", "colsample_bytree", 0, "> 0 and <= 1"), ("xgboost", "learning_rate", 0, "> 0"),
    ("xgboost", "eta", -0.1, "> 0"), ("xgboost", "max_bin", 1, ">= 2"),
    ("lightgbm", "num_leaves", 1, "> 1 and <= 131072"),
    ("lightgbm", "min_child_samples", -1, ">= 0"), ("lightgbm", "min_data_in_leaf", -1, ">= 0"),
    ("lightgbm", "bagging_fraction", 0, "> 0 and <= 1"),
    ("lightgbm", "subsample", "1.5", "> 0 and <= 1"),
    ("lightgbm", "feature_fraction", 1.5, "> 0 and <= 1"),
    ("lightgbm", "learning_rate", -0.1, "> 0"), ("lightgbm", "lambda_l2", -1, ">= 0"),
    ("lightgbm", "max_bin", 1, "> 1"), ("lightgbm", "scale_pos_weight", 0, "> 0"),
    ("xgboost", "rate_drop", 1.5, ">= 0 and <= 1"), ("xgboost", "skip_drop", -1, ">= 0 and <= 1"),
    ("lightgbm", "drop_rate", 1.5, ">= 0 and <= 1"), ("lightgbm", "skip_drop", 2, ">= 0 and <= 1"),
    ("lightgbm", "rate_drop", -0.5, ">= 0 and <= 1"),
    ("lightgbm", "early_stopping_min_delta", -1, ">= 0"),
    # XGBoost refused 0 at fit and read -1 as 2**32 - 1; LightGBM refused both at fit
    ("xgboost", "max_cat_to_onehot", 0, ">= 1"), ("xgboost", "max_cat_to_onehot", -1, ">= 1"),
    ("lightgbm", "max_cat_to_onehot", 0, ">= 1"), ("lightgbm", "path_smooth", -1e-9, ">= 0"),
    # the categorical splits' parameters: both refused them at fit, after the prior's scores
    ("xgboost", "max_cat_threshold", 0, ">= 1"), ("lightgbm", "max_cat_threshold", -1, ">= 1"),
    ("lightgbm", "min_data_per_group", 0, ">= 1"), ("lightgbm", "cat_l2", -1e-9, ">= 0"),
    ("lightgbm", "cat_smooth", -0.5, ">= 0"),
    # LightGBM's bagging by class, GOSS's rates, its bins and linear trees: refused at fit
    ("lightgbm", "pos_bagging_fraction", 0, "> 0 and <= 1"),
    ("lightgbm", "neg_subsample", 1.5, "> 0 and <= 1"),
    ("lightgbm", "top_rate", 1.1, ">= 0 and <= 1"),
    ("lightgbm", "other_rate", -0.1, ">= 0 and <= 1"),
    ("lightgbm", "min_data_in_bin", 0, ">= 1"), ("lightgbm", "linear_lambda", -1e-9, ">= 0"),
    # its penalties of monotone splits and of CEGB, and its sample counts
    ("lightgbm", "monotone_penalty", -1, ">= 0"), ("lightgbm", "ms_penalty", -0.5, ">= 0"),
    ("lightgbm", "cegb_tradeoff", -1, ">= 0"), ("lightgbm", "cegb_penalty_split", -1, ">= 0"),
    ("lightgbm", "topk", 0, ">= 1"), ("lightgbm", "subsample_for_bin", 0, ">= 1"),
    ("lightgbm", "bin_construct_sample_cnt", -5, ">= 1"),
]  # fmt: skip


def _in_mode(library, key, value):
    """``{key: value}``, with XGBoost's DART for its parameters (else it does not use them)."""
    dart = library == "xgboost" and key in ("rate_drop", "skip_drop")
    return {key: value, **({"booster": "dart"} if dart else {})}


@pytest.mark.parametrize("library, key, value, allowed", _OUT_OF_RANGE)
def test_a_number_out_of_the_library_range_is_refused_by_name(library, key, value, allowed):
    # both failed at the first fit, after the prior's scores, with their own line (XGBoost
    # "value -1 for Parameter reg_lambda should be greater equal to 0", LightGBM "Check
    # failed: (num_leaves) > (1)"); XGBoost's subsample=0 and learning_rate=0 fitted trees
    # that add nothing, without a word
    name = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}[library]
    message = f"booster_params {key}={value!r} is out of range: {name} takes a number {allowed} "
    with pytest.raises(ValueError, match=rf"^{re.escape(message)}"):
        make_booster(library, _in_mode(library, key, value), "regression", 0)


@pytest.mark.parametrize(
    "mode, rates, shown",
    [({"boosting_type": "goss"}, {"top_rate": 0}, "top_rate=0"),
     ({"data_sample_strategy": "goss"}, {"other_rate": "0"}, "other_rate='0'"),
     ({"boosting": "GOSS"}, {"top_rate": 0.6, "other_rate": 0.5},
      "top_rate=0.6 and other_rate=0.5"),
     ({"data_sample_strategy": "goss"}, {"top_rate": 0.95}, "top_rate=0.95")],
)  # fmt: skip
def test_goss_rates_that_goss_does_not_take_are_refused_before_any_fit(mode, rates, shown):
    # each was within [0, 1] but failed at fit, after the prior's scores ("Check failed:
    # config_->top_rate > 0.0f && config_->other_rate > 0.0f")
    from sklearn.linear_model import LogisticRegression

    from llmboost import PriorBoostClassifier

    class NotToFit(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            raise AssertionError("the prior was fitted")

    X, _ = _frame()
    y = np.arange(len(X)) % 2
    given = {**mode, **rates}
    model = PriorBoostClassifier(NotToFit(), booster="lightgbm", booster_params=given)
    message = f"booster_params {shown}: LightGBM's GOSS keeps the top_rate share"
    with pytest.raises(ValueError, match=rf"^{re.escape(message)}.*top_rate \+ other_rate <= 1"):
        model.fit(X, y)
    make_booster("lightgbm", rates, "regression", 0)  # GOSS off: LightGBM reads neither


@pytest.mark.parametrize(
    "given, shown",
    [({"boosting_type": "goss", "subsample": 0.5, "subsample_freq": 1},
      "subsample=0.5 with subsample_freq=1"),
     ({"data_sample_strategy": "goss", "bagging_fraction": "0.8", "bagging_freq": "2"},
      "bagging_fraction='0.8' with bagging_freq=2")],
)  # fmt: skip
def test_bagging_with_goss_is_refused_before_any_fit(given, shown):
    # LightGBM failed at fit, after the prior's scores: "Cannot use bagging in GOSS"
    with pytest.raises(ValueError, match=rf"^booster_params {re.escape(shown)} bags rows"):
        make_booster("lightgbm", given, "classification", 0)
    unbagged = {**given, "subsample_freq": 0} if "subsample" in given else given
    unbagged = {k: v for k, v in unbagged.items() if k != "bagging_freq"}
    make_booster("lightgbm", unbagged, "classification", 0)  # no frequency: no bagging


@pytest.mark.parametrize("key", ["pos_bagging_fraction", "neg_subsample"])
def test_bagging_by_class_with_goss_is_refused_before_any_fit(key):
    # GOSS ignored it, with its frequency too: the same trees as without it
    given = {"boosting_type": "goss", key: "0.5", "bagging_freq": 1}
    message = f"booster_params {key}='0.5' with bagging_freq=1 bags the rows of a class"
    with pytest.raises(ValueError, match=rf"^{re.escape(message)}, which LightGBM's GOSS"):
        make_booster("lightgbm", given, "classification", 0)
    make_booster("lightgbm", {**given, key: 1.0}, "classification", 0)  # bags nothing


def test_goss_rates_at_the_edges_goss_takes_fit():
    X, _ = _frame()
    given = {"data_sample_strategy": "goss", "top_rate": 0.7, "other_rate": 0.3}
    booster = make_booster("lightgbm", {**given, "n_estimators": 3}, "regression", 0)
    assert booster.fit(X, X["a"].to_numpy(), None).n_rounds_ == 3


@pytest.mark.parametrize(
    "library, key, value",
    [("xgboost", "rate_drop", "abc"), ("xgboost", "skip_drop", True),
     ("lightgbm", "drop_rate", "high"), ("lightgbm", "skip_drop", True),
     ("lightgbm", "rate_drop", [0.1])],
)  # fmt: skip
def test_dart_drop_rates_that_are_no_number_are_refused_by_name(library, key, value):
    # they failed at the first fit, after the prior's scores ("Invalid Parameter format
    # for rate_drop expect float but value='abc'", "Unknown token true in data file")
    name = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}[library]
    message = re.escape(f"booster_params {key}={value!r}: {name} takes a number here")
    with pytest.raises(ValueError, match=rf"^{message}"):
        make_booster(library, _in_mode(library, key, value), "regression", 0)


@pytest.mark.parametrize(
    "library, params",
    [("xgboost", {"subsample": 1, "colsample_bytree": 1e-3, "max_depth": 0, "gamma": 0,
                  "max_bin": 2, "learning_rate": 2.0, "max_cat_to_onehot": 1,
                  "max_cat_threshold": 1}),
     ("lightgbm", {"num_leaves": 2, "bagging_fraction": 1.0, "subsample_freq": 1,
                   "min_child_samples": 0, "max_bin": 2, "lambda_l2": 0,
                   "max_cat_to_onehot": 1, "path_smooth": 0, "max_cat_threshold": 1,
                   "min_data_per_group": 1, "cat_l2": 0, "cat_smooth": 0,
                   "pos_bagging_fraction": 1, "neg_bagging_fraction": 1e-3, "top_rate": 1,
                   "other_rate": 0, "min_data_in_bin": 1, "linear_lambda": 0,
                   "monotone_penalty": 0, "cegb_tradeoff": 0, "cegb_penalty_split": 0,
                   "top_k": 1, "subsample_for_bin": 1})],
)  # fmt: skip
def test_numbers_at_the_edges_of_the_library_ranges_fit(library, params):
    X, rng = _frame()
    booster = make_booster(library, {**params, "n_estimators": 3}, "regression", 0)
    assert booster.fit(X, rng.normal(size=len(X)), None).n_rounds_ == 3


@pytest.mark.parametrize("library, key, value, allowed", _OUT_OF_RANGE[::4])
def test_a_number_out_of_range_is_refused_before_the_prior_is_fitted(library, key, value, allowed):
    from sklearn.linear_model import Ridge

    from llmboost import PriorBoostRegressor

    class NotToFit(Ridge):
        def fit(self, X, y, sample_weight=None):
            raise AssertionError("the prior was fitted")

    X, rng = _frame()
    params = _in_mode(library, key, value)
    model = PriorBoostRegressor(NotToFit(), booster=library, booster_params=params)
    with pytest.raises(ValueError, match=rf"^booster_params {key}=.* is out of range: "):
        model.fit(X, rng.normal(size=len(X)))


@pytest.mark.parametrize(
    "library, params",
    [("xgboost", {"reg_lambda": 1, "lambda": 100}), ("xgboost", {"alpha": 5, "reg_alpha": 0}),
     ("xgboost", {"gamma": 0, "min_split_loss": 1}), ("xgboost", {"seed": 1, "random_state": 2}),
     ("lightgbm", {"subsample": 1.0, "bagging_fraction": 0.1}),
     ("lightgbm", {"max_bin": 255, "max_bins": 3}),
     ("lightgbm", {"min_data": 80, "min_child_samples": 5}),
     ("lightgbm", {"lambda": 1, "lambda_l2": 2})],
)  # fmt: skip
def test_a_parameter_given_under_two_of_its_names_is_refused(library, params):
    # the library read one and ignored the other without a word: XGBoost's lambda=100
    # beside reg_lambda=1 fitted as reg_lambda=1 alone, LightGBM's max_bins=3 beside
    # max_bin=255 as max_bin=255 alone
    name = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}[library]
    first, second = params
    shown = f"{first}={params[first]!r} and {second}={params[second]!r}"
    message = f"booster_params gives {shown}, which {name} reads as one parameter"
    with pytest.raises(ValueError, match=rf"^{re.escape(message)} .*give it once"):
        make_booster(library, params, "regression", 0)
    make_booster(library, {**params, first: params[second]}, "regression", 0)  # one value
    X, rng = _frame()
    alone = make_booster(library, {second: params[second], "n_estimators": 3}, "regression", 0)
    assert alone.fit(X, rng.normal(size=len(X)), None).n_rounds_ == 3


@pytest.mark.parametrize(
    "key, rate",
    [("subsample", "subsample_freq"), ("bagging", "bagging_freq"),
     ("pos_bagging_fraction", "bagging_freq"), ("neg_subsample", "bagging_freq")],
)  # fmt: skip
def test_a_lightgbm_row_subsample_without_its_frequency_warns_once(key, rate):
    # LightGBM's subsample=0.5 (or pos_bagging_fraction=0.5, ...) without subsample_freq
    # fitted every row, as subsample=1, without a word (its frequency is 0 by default:
    # never)
    from sklearn.linear_model import Ridge

    from llmboost import PriorBoostRegressor

    X, rng = _frame()
    y = rng.normal(size=len(X))
    params = {key: 0.5, "n_estimators": 3}
    model = PriorBoostRegressor(Ridge(), booster="lightgbm", booster_params=params, cv=3)
    message = f"booster_params {key}=0.5 does nothing without {rate}: LightGBM samples rows"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)  # the scale search fits a booster per fold and scale
    assert [str(w.message)[: len(message)] for w in caught] == [message]
    assert f"give {rate}=1" in str(caught[0].message) and caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.set_params(booster_params={**params, rate: 1}).fit(X, y)
        model.set_params(booster_params={**params, "data_sample_strategy": "goss"}).fit(X, y)


@pytest.mark.parametrize("missing", [None, "x", "nan", True])
def test_xgboost_missing_that_is_no_number_is_refused_before_the_prior(missing):
    # missing=None failed at fit, after the prior's scores, with XGBoost's C++ stack
    # trace ("Invalid type for: `missing`, expecting one of the: {`Number`, `Integer`},
    # got: `Null`"); text failed there too
    from sklearn.linear_model import Ridge

    from llmboost import PriorBoostRegressor

    class NotToFit(Ridge):
        def fit(self, X, y, sample_weight=None):
            raise AssertionError("the prior was fitted")

    X, rng = _frame()
    message = f"booster_params missing={missing!r}: XGBoost takes a number here"
    model = PriorBoostRegressor(NotToFit(), booster_params={"missing": missing}, scale=0.5)
    with pytest.raises(ValueError, match=rf"^{re.escape(message)}"):
        model.fit(X, rng.normal(size=len(X)))
    booster = make_booster("xgboost", {"missing": -999.0, "n_estimators": 3}, "regression", 0)
    assert booster.fit(X, rng.normal(size=len(X)), None).n_rounds_ == 3


@pytest.mark.parametrize(
    "key, value, mode",
    [("boosting_type", " DART", "dart"), ("boosting", "dart ", "dart"),
     ("boost", " Goss ", "goss"), ("data_sample_strategy", " GOSS", "goss")],
)  # fmt: skip
def test_lightgbm_modes_with_spaces_are_read_as_its_losses_are(key, value, mode):
    # ' DART' was refused ("LightGBM takes one of 'gbdt', ...") where ' binary' is read as
    # 'binary'; plain LightGBM read ' dart' as its default, gbdt, without a word
    from llmboost._library_params import canonical_params, prefixes_hold

    X, rng = _frame()
    booster = make_booster("lightgbm", {key: value, "n_estimators": 3}, "regression", 0)
    booster.fit(X, rng.normal(size=len(X)), None)
    model = booster.model_.booster_.model_to_string()
    assert f"[{'boosting' if mode == 'dart' else 'data_sample_strategy'}: {mode}]" in model
    read = canonical_params("lightgbm", {key: value})
    assert prefixes_hold("lightgbm", read) is (mode != "dart")  # DART rescales earlier trees
    # GOSS's rates are checked under it (LightGBM failed at fit: "Check failed:
    # (config_->top_rate + config_->other_rate) <= (1.0f)")
    rates = {key: value, "top_rate": 0.6, "other_rate": 0.5}
    if mode == "goss":
        with pytest.raises(ValueError, match=r"^booster_params top_rate=0.6 and other_rate=0.5:"):
            make_booster("lightgbm", rates, "regression", 0)
    message = f"booster_params {key}=' Nope': LightGBM takes one of "  # as given
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        make_booster("lightgbm", {key: " Nope"}, "regression", 0)
    if key != "data_sample_strategy":  # the random forest, refused as given
        with pytest.raises(ValueError, match=f"^booster_params {key}=' RF' is not supported"):
            make_booster("lightgbm", {key: " RF"}, "regression", 0)


@pytest.mark.parametrize("key", ["monotone_constraints_method", "mc_method"])
def test_lightgbm_monotone_constraints_method_is_read_in_any_case_and_checked(key):
    # LightGBM read any text but its three names ("nope", "Advanced", " advanced") as
    # "basic", without a word: the same trees as the basic method
    message = (
        f"booster_params {key}='nope': LightGBM takes one of 'basic', 'intermediate', 'advanced'."
    )
    with pytest.raises(ValueError, match=rf"^{re.escape(message)}$"):
        make_booster("lightgbm", {key: "nope"}, "regression", 0)
    X, rng = _frame(200)
    y = np.sin(3 * X["a"]) + X["b"]
    params = {key: " Advanced", "monotone_constraints": [1, 0, 0], "n_estimators": 5}
    booster = make_booster("lightgbm", params, "regression", 0).fit(X, y, None)
    written = booster.model_.booster_.model_to_string()
    assert "[monotone_constraints_method: advanced]" in written


@pytest.mark.parametrize(
    "library, key, value, match",
    [("xgboost", "booster", "GBTREE", "XGBoost takes one of 'gbtree', 'gblinear', 'dart'."),
     ("xgboost", "tree_method", 1, "XGBoost takes one of 'auto', 'exact', 'approx', 'hist'."),
     ("xgboost", "grow_policy", "leafwise", "XGBoost takes one of 'depthwise', 'lossguide'."),
     ("lightgbm", "boosting", "nope", "LightGBM takes one of 'gbdt', 'gbrt', 'dart', 'goss'"),
     ("lightgbm", "data_sample_strategy", "random", "LightGBM takes one of 'bagging', 'goss'."),
     ("xgboost", "objective", 5, "give the loss by its name (e.g. 'reg:squarederror'), or"),
     ("lightgbm", "objective", 5, "give the loss by its name (e.g. 'regression'), or as a")],
)  # fmt: skip
def test_a_choice_parameter_outside_its_choices_is_refused_by_name(library, key, value, match):
    # they failed at fit, after the prior's scores ("Unknown gbm type GBTREE" with
    # XGBoost's C++ stack trace, "Unknown boosting type nope", "Unknown objective
    # function: `5`")
    message = f"booster_params {key}={value!r}: {match}"
    with pytest.raises(ValueError, match=rf"^{re.escape(message)}"):
        make_booster(library, {key: value}, "regression", 0)
    X, rng = _frame()
    fine = {"boosting": "DART", "data_sample_strategy": "GOSS"}  # LightGBM's in any case
    if key in fine:
        booster = make_booster(library, {key: fine[key], "n_estimators": 3}, "regression", 0)
        assert booster.fit(X, rng.normal(size=len(X)), None).n_rounds_ == 3


@pytest.mark.parametrize(
    "library, params",
    [("xgboost", {"reg_lambda": None, "lambda": 1000}),
     ("lightgbm", {"reg_lambda": None, "lambda_l2": 1000}),
     ("lightgbm", {"subsample": None, "bagging_fraction": 0.5, "bagging_freq": 1})],
)  # fmt: skip
def test_none_beside_another_name_of_the_parameter_is_its_default(library, params):
    # None is no value (the libraries pass over it and read the other name), yet it was
    # refused as a second value of the parameter
    X, rng = _frame()
    y = rng.normal(size=len(X))
    given = {k: v for k, v in params.items() if v is not None}
    both = make_booster(library, {**params, "n_estimators": 3}, "regression", 0)
    alone = make_booster(library, {**given, "n_estimators": 3}, "regression", 0)
    both.fit(X, y, None), alone.fit(X, y, None)
    # the same trees: equal to the last bit on one machine
    np.testing.assert_array_equal(both.predict_margin(X, None), alone.predict_margin(X, None))


@pytest.mark.parametrize("key", ["num_threads", "num_thread", "nthread", "nthreads"])
def test_lightgbm_names_of_its_threads_count_as_n_jobs(key):
    # the default n_jobs=1 replaced nthread=3, num_thread=3 and nthreads=3 without a word
    X, rng = _frame()
    booster = make_booster("lightgbm", {key: 3, "n_estimators": 2}, "regression", 0)
    booster.fit(X, rng.normal(size=len(X)), None)
    assert "[num_threads: 3]" in booster.model_.booster_.model_to_string().splitlines()
    with pytest.raises(ValueError, match=f"^booster_params gives n_jobs and {key}, "):
        make_booster("lightgbm", {key: 3, "n_jobs": 2}, "regression", 0)


@pytest.mark.parametrize(
    "library, key, value, bits",
    [("xgboost", "max_depth", 2**40, 32), ("xgboost", "n_jobs", -(2**40), 32),
     ("xgboost", "seed", 2**63, 64), ("lightgbm", "max_bin", "1099511627776", 32),
     ("lightgbm", "min_data_in_leaf", 2**31, 32), ("lightgbm", "seed", -(2**70), 32)],
)  # fmt: skip
def test_a_whole_number_beyond_the_library_integers_is_refused_by_name(library, key, value, bits):
    # XGBoost failed at the first fit, after the prior's scores ("Invalid Parameter format
    # for max_depth expect int"), LightGBM read max_bin=2**40 as a number <= 1 ("Check
    # failed: (max_bin) > (1)") and min_data_in_leaf=2**31 as a negative number
    name = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}[library]
    message = f"booster_params {key}={int(value)!r}: {name} holds it in {bits} bits; give a "
    with pytest.raises(ValueError, match=rf"^{re.escape(message)}whole number from -\d+ to \d+"):
        make_booster(library, {key: value}, "regression", 0)
    X, rng = _frame()
    seed = 2**63 - 1 if library == "xgboost" else 2**31 - 1
    for params in ({"seed": seed}, {"max_bin": 2**31 - 1}):  # the largest it holds
        booster = make_booster(library, {**params, "n_estimators": 2}, "regression", 0)
        assert booster.fit(X, rng.normal(size=len(X)), None).n_rounds_ == 2


@pytest.mark.parametrize(
    "library, key, value, bits",
    [("xgboost", "random_state", 2**63, 64), ("xgboost", "random_state", -(2**63) - 1, 64),
     ("lightgbm", "random_state", 2**70, 32), ("lightgbm", "random_state", 2**31, 32),
     ("lightgbm", "bagging_seed", 2**32 + 5, 32),
     ("lightgbm", "feature_fraction_seed", -(2**31) - 1, 32),
     ("lightgbm", "data_random_seed", 2**40, 32), ("lightgbm", "random_seed", 2**32, 32)],
)  # fmt: skip
def test_a_seed_beyond_the_library_integers_is_refused_before_the_prior(library, key, value, bits):
    # XGBoost failed at the first fit, after the prior's scores ("Invalid Parameter format
    # for seed expect long"), naming seed for random_state; LightGBM read its seeds in 32
    # bits without a word (random_state=2**70 as 0, bagging_seed=2**32 + 5 as 5)
    from sklearn.linear_model import Ridge

    from llmboost import PriorBoostRegressor

    class NotToFit(Ridge):
        def fit(self, X, y, sample_weight=None):
            raise AssertionError("the prior was fitted")

    name = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}[library]
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    message = re.escape(
        f"booster_params {key}={value}: {name} holds it in {bits} bits; give a whole number "
        f"from {low} to {high}."
    )
    X, rng = _frame()
    model = PriorBoostRegressor(NotToFit(), booster=library, booster_params={key: value})
    with pytest.raises(ValueError, match=rf"^{message}$"):
        model.fit(X, rng.normal(size=len(X)))


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_a_seed_in_booster_params_fits_at_the_library_edges_and_as_its_text(library):
    X, rng = _frame()
    y, high = rng.normal(size=len(X)), 2**63 - 1 if library == "xgboost" else 2**31 - 1
    for value in (high, -high - 1, " 5 ", np.random.RandomState(0)):
        booster = make_booster(library, {"random_state": value, "n_estimators": 2}, "regression", 0)
        assert booster.fit(X, y, None).n_rounds_ == 2
    assert make_booster(library, {"random_state": "5"}, "regression", 0).params["random_state"] == 5
    with pytest.raises(
        ValueError, match=r"^booster_params random_state=1\.5: .* such as random_state=2\.$"
    ):
        make_booster(library, {"random_state": 1.5}, "regression", 0)
    # the estimator's own seed (up to 2**32 - 1) is not booster_params': LightGBM takes it
    assert make_booster(library, None, "regression", 2**32 - 1).params["random_state"] == 2**32 - 1


@pytest.mark.parametrize("weight", [1, "1", "1.0"])  # its text too, as the number is
@pytest.mark.parametrize("with_margin", [True, False])
def test_xgboost_gets_no_default_positive_class_weight_for_more_classes(with_margin, weight):
    # scale_pos_weight=1 (taken with three classes as the no-op it is) made XGBoost warn
    # 'Parameters: { "scale_pos_weight" } are not used.' on every fit
    X, rng = _frame()
    y = rng.integers(0, 3, len(X))
    margin = rng.normal(size=(len(X), 3)) if with_margin else None
    params = {"scale_pos_weight": weight, "n_estimators": 5}
    with warnings.catch_warnings(record=True) as caught:  # XGBoost's log, as a warning
        warnings.simplefilter("always")
        booster = make_booster("xgboost", params, "classification", 0).fit(X, y, margin)
    assert [str(w.message) for w in caught] == []
    plain = make_booster("xgboost", {"n_estimators": 5}, "classification", 0).fit(X, y, margin)
    np.testing.assert_array_equal(
        booster.predict_margin(X, margin), plain.predict_margin(X, margin)
    )
    # two classes read it (the same value changes nothing there either): it stays
    binary = make_booster("xgboost", params, "classification", 0).fit(X, y % 2, None)
    assert binary.model_.get_params()["scale_pos_weight"] == weight


def test_a_positive_class_weight_is_read_as_its_number_with_more_classes():
    # the text "1" was refused with three classes where the number 1 was taken, and the
    # number 0 taken (XGBoost ignored it) where the text "0" was refused
    classes = np.arange(3)
    for weight in (1, 1.0, "1", " 1.0 ", np.float64(1), None):
        check_binary_weight({"scale_pos_weight": weight}, classes)
    for weight in (0, "0", 2.5, "2.5"):
        with pytest.raises(ValueError) as err:
            check_binary_weight({"scale_pos_weight": weight}, classes)
        assert str(err.value).startswith(
            f"booster_params scale_pos_weight={weight!r} weights the positive class of a "
            "binary target, but y has 3 classes, where the library ignores it;"
        )
    check_binary_weight({"scale_pos_weight": "2.5"}, classes[:2])  # two classes read it


@pytest.mark.parametrize("library, params, shown", [
    ("xgboost", {"max_depth": 2**2000}, r"max_depth=1\.15e\+602 \(about 603 digits\): XGBoost"),
    ("lightgbm", {"lambda_l1": -(10**400)}, r"lambda_l1=-1e\+400 \(about 401 digits\): LightGBM"),
    ("xgboost", {"lambda": 2**2000}, r"lambda=1\.15e\+602 \(about 603 digits\): XGBoost"),
    ("xgboost", {"max_dept": list(range(3000))}, r"max_dept=\[0, 1, 2, [0-9, ]+\.\.\.: XGBoost"),
    ("lightgbm", {"max_dept": np.arange(30.0)}, r"max_dept=array\(\[ 0\., [0-9., ]+\.\.\.: Light"),
], ids=["huge-whole", "huge-number", "huge-alias", "long-list", "array"])  # fmt: skip
def test_a_refused_parameter_value_is_shown_in_bounded_text(library, params, shown):
    # max_depth=2**2000 printed all 603 digits in a 738-character message, a misspelt
    # name given a list of 3,000 numbers the whole list (17,074 characters)
    with pytest.raises(ValueError) as error:
        make_booster(library, params, "classification", 0)
    text = str(error.value)
    assert re.match(rf"booster_params {shown}", text) and len(text) < 400, text


@pytest.mark.parametrize(
    "library, params, shown",
    [  # the values were printed whole: 603 digits, 1,890 characters of a list
        ("xgboost", {"early_stopping_rounds": -(2**2000)}, "=-1.15e+602 (about 603 digits): give"),
        ("lightgbm", {"eta": list(range(500))}, f"={list(range(500))!r:.77}... would be"),
        (
            "xgboost",
            {"enable_categorical": "true" + "\t" * 2000},
            r"='true\t\t\t\t\t\t\t\t\t\t\t\t",
        ),
    ],
)
def test_booster_parameter_messages_show_the_value_in_brief(library, params, shown):
    with pytest.raises(ValueError) as err:
        make_booster(library, params, "classification", 0)
    assert shown in str(err.value)
    assert len(str(err.value)) < 400


def test_a_class_count_for_two_classes_is_shown_in_brief():
    with pytest.raises(ValueError) as err:  # all 603 digits were printed
        check_binary_weight({"num_class": 2**2000}, np.arange(2))
    assert str(err.value).startswith(
        "booster_params num_class=1.15e+602 (about 603 digits), but y has 2 classes"
    )


@pytest.mark.parametrize("library, name", [("xgboost", "XGBoost"), ("lightgbm", "LightGBM")])
def test_number_text_is_taken_as_the_libraries_read_it(library, name):
    # Python's float read "0_1" as 1.0 and "٠.١" (Arabic-Indic digits) as 0.1, and both
    # libraries failed on them at fit; XGBoost failed on " 0.2\n" ("Some trailing characters
    # could not be parsed: ' '") where LightGBM read it
    for value in ("0_1", "\u0660.\u0661"):
        message = re.escape(f"booster_params learning_rate={value!r}: {name} takes a number here.")
        with pytest.raises(ValueError, match=rf"^{message}$"):
            make_booster(library, {"learning_rate": value}, "regression", 0)
    X, rng = _frame()
    y = rng.normal(size=len(X))
    fits = [
        make_booster(library, {"learning_rate": rate, "n_estimators": 3}, "regression", 0).fit(
            X, y, None
        )
        for rate in (" 0.2\n", 0.2)
    ]
    np.testing.assert_array_equal(fits[0].predict_margin(X, None), fits[1].predict_margin(X, None))


@pytest.mark.parametrize("library, name", [("xgboost", "XGBoost"), ("lightgbm", "LightGBM")])
def test_true_as_text_for_a_number_is_refused_as_no_number(library, name):
    # it was told to "give True (a bool)", which the number parameter refuses in turn
    for key, value in (("nthread", "true"), ("max_depth", " False")):
        message = re.escape(f"booster_params {key}={value!r}: {name} takes a number here.")
        with pytest.raises(ValueError, match=rf"^{message}$"):
            make_booster(library, {key: value}, "classification", 0)


def test_the_whole_number_suggested_for_a_float_is_one_the_library_holds():
    # max_bin=3e38 was told "such as max_bin=300000000000000012135895401846682943488",
    # which the next fit refused as beyond 32 bits
    for library, key, value, near in (
        ("lightgbm", "max_bin", 3e38, 2**31 - 1),
        ("xgboost", "max_depth", -1e10, -(2**31)),
        ("xgboost", "seed", 1e19, 2**63 - 1),
        ("xgboost", "max_depth", 2.5, 3),
    ):
        with pytest.raises(ValueError) as err:
            make_booster(library, {key: value}, "classification", 0)
        assert str(err.value).endswith(f"takes a whole number here, such as {key}={near}.")


def test_two_threads_checking_lightgbm_at_once_leave_stderr_as_it_was():
    # each swapped stderr for /dev/null and put back what it found: a thread that began
    # while another held /dev/null put back /dev/null, and the process printed nothing more
    import os
    import threading
    import time

    from llmboost._library_config import _no_stderr

    before = os.fstat(2)
    first_in, release_first, release_second = (threading.Event() for _ in range(3))

    def first():
        with _no_stderr():
            first_in.set()
            release_first.wait()

    def second():
        with _no_stderr():
            release_second.wait()

    a = threading.Thread(target=first)
    a.start()
    first_in.wait()
    b = threading.Thread(target=second)
    b.start()
    time.sleep(0.2)  # the second enters now where nothing holds it back
    release_first.set()
    a.join()
    release_second.set()  # the second ends after the first
    b.join()
    after = os.fstat(2)
    assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)


def _refused_before_the_prior(task="classification"):
    """A prior that fails the test when fitted: the refusals come before it."""
    from sklearn.linear_model import LogisticRegression, Ridge

    base = LogisticRegression if task == "classification" else Ridge

    class NotToFit(base):
        def fit(self, X, y, sample_weight=None):
            raise AssertionError("the prior was fitted")

    return NotToFit()


@pytest.mark.parametrize(
    "key, value, count",
    [("max_bin_by_feature", [8, 8], 2), ("feature_contri", [1.0] * 4, 4), ("fc", "1,1", 2),
     ("cegb_penalty_feature_lazy", np.ones(1), 1), ("cegb_penalty_feature_coupled", [1.0], 1),
     ("monotone_constraints", [1, 0], 2)],
)  # fmt: skip
def test_lightgbm_lists_of_one_value_per_column_of_another_length_are_refused_before_the_prior(
    key, value, count
):
    # LightGBM failed at fit, after the prior's scores: "Check failed:
    # (static_cast<size_t>(num_col)) == (config_.max_bin_by_feature.size())"
    from llmboost import PriorBoostClassifier

    X, _ = _frame()
    y = np.arange(len(X)) % 2
    params = {key: value}
    model = PriorBoostClassifier(
        _refused_before_the_prior(), booster="lightgbm", booster_params=params
    )
    with pytest.raises(ValueError, match=rf"^booster_params {key}.* {count} .*3 columns of X"):
        model.fit(X, y)
    taken = {**params, key: ([8] if key == "max_bin_by_feature" else [1.0]) * 3, "n_estimators": 3}
    taken = {**taken, "monotone_constraints": [1, 0, 0]} if key == "monotone_constraints" else taken
    model.set_params(prior=None, scale=0, booster_params=taken)
    assert model.fit(X, y).predict_proba(X).shape == (len(X), 2)


@pytest.mark.parametrize("value", [5, "2", [1.5], -0.1])
def test_xgboost_base_score_beyond_a_probability_with_two_classes_is_refused_before_the_prior(
    value,
):
    # XGBoost failed at fit, after the prior's scores: "base_score must be in (0,1) for the
    # logistic loss", the loss its estimator sets for two classes
    from llmboost import PriorBoostClassifier

    X, _ = _frame()
    params = {"base_score": value, "n_estimators": 3}
    model = PriorBoostClassifier(
        _refused_before_the_prior(), booster="xgboost", booster_params=params
    )
    message = re.escape(
        f"booster_params base_score={brief(value)}: XGBoost's logistic loss, its loss for the "
        "2 classes of y, reads base_score as a probability and refuses it outside [0, 1]"
    )
    with pytest.raises(ValueError, match=rf"^{message}"):
        model.fit(X, np.arange(len(X)) % 2)
    model.set_params(prior=None, scale=0)  # three classes: multi:softprob takes it
    assert model.fit(X, np.arange(len(X)) % 3).predict_proba(X).shape == (len(X), 3)
    for taken in (0, 1, 0.3):
        model.set_params(booster_params={**params, "base_score": taken})
        assert model.fit(X, np.arange(len(X)) % 2).predict_proba(X).shape == (len(X), 2)


@pytest.mark.parametrize(
    "value, n_classes, shown",
    [([0.5, 0.5], 3, "gives 2 values, but y has 3 classes: XGBoost takes one number, or one "
      "per class (3)"),
     (np.array([0.1, 0.2, 0.3, 0.4]), 3, "gives 4 values, but y has 3 classes: XGBoost takes "
      "one number, or one per class (3)"),
     ((0.2, 0.8), 2, "gives 2 values, but y has 2 classes, which the trees fit with one "
      "margin per row: XGBoost takes one number")],
)  # fmt: skip
def test_xgboost_base_score_of_several_values_not_one_per_class_is_refused_before_the_prior(
    value, n_classes, shown
):
    # XGBoost failed at fit, after the prior's scores: "Invalid `base_score`, it should
    # match the number of outputs for multi-class/target models. `base_score` len: 2"
    from llmboost import PriorBoostClassifier

    X, _ = _frame()
    y = np.arange(len(X)) % n_classes
    params = {"base_score": value, "n_estimators": 3}
    model = PriorBoostClassifier(
        _refused_before_the_prior(), booster="xgboost", booster_params=params
    )
    message = re.escape(f"booster_params base_score={brief(value)} {shown}")
    with pytest.raises(ValueError, match=rf"^{message}"):
        model.fit(X, y)
    model.set_params(prior=None, scale=0)  # one per class, or one number, is taken
    for taken in ([0.2, 0.3, 0.5][:n_classes] if n_classes > 2 else [0.4], 0.3):
        model.set_params(booster_params={**params, "base_score": taken})
        assert model.fit(X, y).predict_proba(X).shape == (len(X), n_classes)


@pytest.mark.parametrize(
    "library, params, message",
    [("xgboost", {"process_type": "update"}, "process_type='update' updates the trees of an "
      "earlier model"),
     ("xgboost", {"updater": "refresh"}, "updater='refresh': refresh modifies the trees of an "
      "earlier model"),
     ("xgboost", {"updater": "grow_colmaker"}, "updater='grow_colmaker' with tree_method='hist':"
      " grow_colmaker cannot read the data XGBoost prepares for 'hist'; give "
      "tree_method='exact'"),
     ("xgboost", {"updater": "grow_histmaker,prune", "tree_method": "auto"},
      "updater='grow_histmaker,prune' with tree_method='auto': grow_histmaker cannot read "
      "the data XGBoost prepares for 'hist'; give tree_method='approx'"),
     ("lightgbm", {"force_row_wise": True, "force_col_wise": True},
      "force_row_wise=True and force_col_wise=True: LightGBM builds its histograms one way")],
)  # fmt: skip
def test_ways_of_building_trees_that_fail_at_fit_are_refused_before_the_prior(
    library, params, message
):
    # each failed at fit, after the prior's scores: "Updater: `grow_quantile_histmaker` can
    # not be used to modify existing trees", "Only `hist` tree method can use
    # `QuantileDMatrix`", "Cannot set both of `force_col_wise` and `force_row_wise`"
    from llmboost import PriorBoostClassifier

    X, _ = _frame()
    y = np.arange(len(X)) % 2
    model = PriorBoostClassifier(
        _refused_before_the_prior(), booster=library, booster_params=params
    )
    with pytest.raises(ValueError, match=rf"^booster_params {re.escape(message)}"):
        model.fit(X, y)


@pytest.mark.parametrize(
    "params",
    [{"updater": "grow_colmaker", "tree_method": "exact"},
     {"updater": "grow_histmaker", "tree_method": "approx"},
     {"updater": "grow_quantile_histmaker,prune"}, {"process_type": "default"},
     {"force_row_wise": True, "force_col_wise": False}],
)  # fmt: skip
def test_ways_of_building_trees_the_libraries_take_are_taken(params):
    X, _ = _frame()
    library = "lightgbm" if "force_row_wise" in params else "xgboost"
    booster = make_booster(library, {**params, "n_estimators": 3}, "classification", 0)
    margin = np.zeros(len(X))
    assert booster.fit(X, np.arange(len(X)) % 2, margin).predict_margin(X, margin).shape == (60,)


@pytest.mark.parametrize("kind", [set, frozenset])
@pytest.mark.parametrize(
    "key, values", [("label_gain", (0.0, 1.0, 3.0)), ("max_bin_by_feature", (8, 16, 32))]
)
def test_lightgbm_lists_read_in_order_are_refused_as_sets(kind, key, values):
    # LightGBM took a set's values in the order Python keeps them, without a word (and
    # failed on a frozenset at fit: "Unknown type of parameter:label_gain, got:frozenset")
    value = kind(values)
    message = re.escape(
        f"booster_params {key}={brief(value)} is a set, whose order Python chooses, but "
        f"LightGBM reads {key} in order; give a list."
    )
    with pytest.raises(ValueError, match=rf"^{message}$"):
        make_booster("lightgbm", {key: value}, "classification", 0)


def test_a_lightgbm_frozenset_is_read_as_the_set():
    # LightGBM failed at fit, after the prior's scores: "Unknown type of parameter:eval_at,
    # got:frozenset"; a set of the same values was taken
    X, _ = _frame()
    y = np.arange(len(X)) % 2
    fits = []
    for kind in (set, frozenset):
        params = {"eval_at": kind({3, 1}), "n_estimators": 5}
        booster = make_booster("lightgbm", params, "classification", 0).fit(X, y, None)
        assert booster.model_.booster_.params["eval_at"] == {1, 3}
        fits.append(booster.predict_margin(X, None))
    np.testing.assert_array_equal(fits[0], fits[1])  # the same trees, bit for bit


@pytest.mark.parametrize(
    "key, value, bad, kind",
    [("label_gain", "x", "'x'", "numbers"), ("label_gain", [0, 1, None], "None", "numbers"),
     ("label_gain", "0,1e999", "'1e999'", "numbers"), ("feature_contri", [True, 1.0], "True",
      "numbers"), ("auc_mu_weights", ["a"], "'a'", "numbers"),
     ("eval_at", "x", "'x'", "whole numbers"), ("ndcg_at", [1, 2.5], "2.5", "whole numbers"),
     ("max_bin_by_feature", "8,x,8", "'x'", "whole numbers")],
)  # fmt: skip
def test_lightgbm_lists_of_numbers_holding_something_else_are_refused_by_name(
    key, value, bad, kind
):
    # LightGBM said only "stod" (label_gain='x': "booster_params label_gain='x': LightGBM
    # refuses it (stod)"), failed at fit after the prior's scores on None or True, and read
    # eval_at='x' as 0 and 2.5 as 2 without a word
    message = re.escape(
        f"booster_params {key}={brief(value)}: LightGBM takes finite {kind} here, as a list "
        f"or as text separated by commas; {bad} is not one."
    )
    with pytest.raises(ValueError, match=rf"^{message}$"):
        make_booster("lightgbm", {key: value}, "classification", 0)


@pytest.mark.parametrize(
    "params",
    [{"label_gain": "0, 1,3"}, {"label_gain": np.array([0.0, 1.0, 3.0])}, {"eval_at": [1, 3.0]},
     {"eval_at": ""}, {"max_bin_by_feature": ["8", 16, np.int64(32)]}],
)  # fmt: skip
def test_lightgbm_lists_of_numbers_it_reads_are_taken(params):
    X, _ = _frame()
    booster = make_booster("lightgbm", {**params, "n_estimators": 3}, "classification", 0)
    assert booster.fit(X, np.arange(len(X)) % 2, None).predict_margin(X, None).shape == (60,)


def test_lightgbm_categorical_positions_as_text_are_read_as_the_list():
    # LightGBM's text of them ("2", "0,2") stayed a parameter, which LightGBM replaced by
    # X's category columns ("categorical_feature in param dict is overridden"): column c
    # was split as numbers; "name:c" failed at fit, after the prior's scores ("Could not
    # find categorical_feature c in data file")
    X, rng = _frame(200)
    X["c"] = rng.integers(0, 6, size=len(X)).astype(float)
    X["k"] = pd.Categorical(rng.integers(0, 3, size=len(X)))
    y = np.isin(X["c"], (1, 4)).astype(int)
    margins = {}
    for given in ([2], "2", " 2 ,0", [2, 0]):
        params = {"n_estimators": 5, "min_child_samples": 2, "cat_feature": given}
        booster = make_booster("lightgbm", params, "classification", 0)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # LightGBM's warning that it overrides them
            margins[repr(given)] = booster.fit(X, y, None).predict_margin(X, None)
    np.testing.assert_array_equal(margins["'2'"], margins["[2]"])  # the same trees
    np.testing.assert_array_equal(margins["' 2 ,0'"], margins["[2, 0]"])
    message = re.escape(
        "booster_params cat_feature names 'c': LightGBM takes its categorical columns by "
        "position here (0 for the first column of X)"
    )
    booster = make_booster("lightgbm", {"cat_feature": "name:c"}, "classification", 0)
    with pytest.raises(ValueError, match=rf"^{message}"):
        booster.fit(X, y, None)


@pytest.mark.parametrize("kind", [set, frozenset])
def test_lightgbm_categorical_positions_as_a_set_are_read_as_the_list(kind):
    # a set stayed a parameter, which LightGBM ignored beside the categorical columns
    # llmboost passes to its fit ("categorical_feature keyword has been found in `params`
    # and will be ignored"): the column was split as numbers
    X, rng = _frame(200)
    X["c"] = rng.integers(0, 6, size=len(X)).astype(float)
    y = np.isin(X["c"], (1, 4)).astype(int)
    margins = {}
    for name, given in (("set", kind({2})), ("list", [2]), ("none", None)):
        params = {"n_estimators": 5, "min_child_samples": 2}
        params.update({} if given is None else {"categorical_feature": given})
        booster = make_booster("lightgbm", params, "classification", 0)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # LightGBM's warning that it ignores them
            margins[name] = booster.fit(X, y, None).predict_margin(X, None)
    np.testing.assert_array_equal(margins["set"], margins["list"])  # the same trees
    assert not np.array_equal(margins["set"], margins["none"])


@pytest.mark.parametrize(
    "key, value", [("ignore_column", [0]), ("ignore_feature", "0"), ("blacklist", "name:a")]
)
def test_lightgbm_ignored_columns_of_a_data_file_are_refused_before_the_prior(key, value):
    # LightGBM reads them only from a data file: ignore_column=[0] fitted the same trees on
    # column 0 as without it, without a word
    from llmboost import PriorBoostClassifier

    X, _ = _frame()
    params = {key: value}
    model = PriorBoostClassifier(
        _refused_before_the_prior(), booster="lightgbm", booster_params=params
    )
    message = re.escape(
        f"booster_params {key}={brief(value)} names a column of a data file, which LightGBM "
        "ignores for the table llmboost gives it: drop those columns from X "
        "(X.drop(columns=[...])) before fit."
    )
    with pytest.raises(ValueError, match=rf"^{message}$"):
        model.fit(X, np.arange(len(X)) % 2)
    for empty in ("", [], ()):  # no column: [] was refused as naming one
        model.set_params(prior=None, scale=0, booster_params={key: empty, "n_estimators": 3})
        assert model.fit(X, np.arange(len(X)) % 2).predict_proba(X).shape == (len(X), 2)


@pytest.mark.parametrize(
    "task, value, name",
    [("classification", "ndcg", "ndcg"), ("classification", ["auc", "MAP"], "map"),
     ("regression", "l2,xendcg", "xendcg"), ("classification", ("lambdarank",), "lambdarank"),
     ("regression", "mean_average_precision", "mean_average_precision")],
)  # fmt: skip
def test_lightgbm_ranking_metrics_are_refused_before_the_prior(task, value, name):
    # LightGBM failed at fit, after the prior's scores: "The NDCG metric requires query
    # information", "For MAP metric, there should be query information"
    from llmboost import PriorBoostClassifier, PriorBoostRegressor

    X, rng = _frame()
    y = np.arange(len(X)) % 2 if task == "classification" else rng.normal(size=len(X))
    cls = PriorBoostClassifier if task == "classification" else PriorBoostRegressor
    model = cls(_refused_before_the_prior(task), booster="lightgbm",
                booster_params={"metric": value})  # fmt: skip
    message = re.escape(
        f"booster_params metric={brief(value)}: {name!r} is a ranking metric, which needs "
        "query groups of rows that llmboost does not give (LightGBM fails without them)"
    )
    with pytest.raises(ValueError, match=rf"^{message}"):
        model.fit(X, y)


@pytest.mark.parametrize(
    "task, value, name",
    [("regression", "aft-nloglik", "aft-nloglik"),
     ("classification", ["logloss", "interval-regression-accuracy"],
      "interval-regression-accuracy")],
)  # fmt: skip
def test_xgboost_metrics_of_interval_censored_labels_are_refused_before_the_prior(
    task, value, name
):
    # XGBoost failed at a fit with eval_set, after the prior's scores: "Check failed:
    # preds.Size() == info.labels_lower_bound_.Size() (60 vs. 0)"
    from llmboost import PriorBoostClassifier, PriorBoostRegressor

    X, rng = _frame()
    y = np.arange(len(X)) % 2 if task == "classification" else rng.normal(size=len(X))
    cls = PriorBoostClassifier if task == "classification" else PriorBoostRegressor
    model = cls(_refused_before_the_prior(task), booster="xgboost",
                booster_params={"eval_metric": value})  # fmt: skip
    message = re.escape(
        f"booster_params eval_metric={brief(value)}: {name!r} is a metric of interval-censored "
        "labels, which needs the lower and upper bounds of y that llmboost does not give "
        "(XGBoost fails without them)"
    )
    with pytest.raises(ValueError, match=rf"^{message}"):
        model.fit(X, y, eval_set=(X, y))


@pytest.mark.parametrize(
    "n_classes, value, message",
    [(3, [1.0] * 4, "gives 4 values, but y has 3 classes: LightGBM takes 3 x 3 = 9, the weight "
      "of each pair of classes, row by row in the order of the sorted labels."),
     (4, "0,1,1,0", "gives 4 values, but y has 4 classes: LightGBM takes 4 x 4 = 16"),
     (2, [0.0, 1.0, 1.0, 0.0], "gives 4 values, but y has 2 classes: it weighs the pairs of "
      "classes of auc_mu, a metric of several classes, and LightGBM takes one value here")],
)  # fmt: skip
def test_lightgbm_auc_mu_weights_of_another_length_than_the_classes_are_refused_before_the_prior(
    n_classes, value, message
):
    # LightGBM failed at fit, after the prior's scores: "auc_mu_weights must have 9
    # elements, but found 4"
    from llmboost import PriorBoostClassifier

    X, _ = _frame()
    model = PriorBoostClassifier(
        _refused_before_the_prior(), booster="lightgbm", booster_params={"auc_mu_weights": value}
    )
    shown = re.escape(f"booster_params auc_mu_weights={brief(value)} {message}")
    with pytest.raises(ValueError, match=rf"^{shown}"):
        model.fit(X, np.arange(len(X)) % n_classes)


@pytest.mark.parametrize("value, name", [("nope", "nope"), ("auc,aucc", "aucc"),
                                         (["binary_logloss", "ndcg@3"], "ndcg@3")])  # fmt: skip
def test_lightgbm_metric_names_it_does_not_have_are_refused_before_the_prior(value, name, capfd):
    # LightGBM skipped them without a word; a fit with eval_set failed after the prior's
    # scores: "For early stopping, at least one dataset and eval metric is required"
    from llmboost import PriorBoostClassifier

    X, _ = _frame()
    y = np.arange(len(X)) % 2
    model = PriorBoostClassifier(
        _refused_before_the_prior(), booster="lightgbm", booster_params={"metric": value}
    )
    message = re.escape(
        f"booster_params metric={brief(value)}: LightGBM has no metric {name!r} and would "
        "skip it without a word"
    )
    with pytest.raises(ValueError, match=rf"^{message}"):
        model.fit(X, y, eval_set=(X, y))
    out, err = capfd.readouterr()
    assert "[LightGBM]" not in out + err  # its errors about the names it has
    for taken in ("binary", "AUC", "average_precision, binary_error", "None", ""):
        make_booster("lightgbm", {"metric": taken}, "classification", 0)


@pytest.mark.parametrize("metric", ["merror@0.5", ["auc", "mlogloss@1"]])
def test_xgboost_multiclass_metric_with_a_parameter_is_refused_with_two_classes(metric):
    # "merror@0.5" passed as no metric of several classes, and XGBoost failed at a fit with
    # eval_set, after the prior's scores: "label must be in [0, num_class), num_class=1"
    name = metric if isinstance(metric, str) else metric[1]
    message = re.escape(
        f"booster_params eval_metric={brief(metric)}: {name!r} is a metric of several classes, "
        f"but y has 2 classes, which XGBoost refuses; give '{name[1:].partition('@')[0]}'"
    )
    with pytest.raises(ValueError, match=rf"^{message}"):
        check_binary_weight({"eval_metric": metric}, np.array([0, 1]))
    check_binary_weight({"eval_metric": metric}, np.array([0, 1, 2]))  # taken


def test_xgboost_base_score_of_one_value_in_a_list_is_read_as_the_value_in_a_regressor():
    # the regressor's fit without a margin failed on it: "float() argument must be a string
    # or a real number, not 'list'" (XGBoost takes it); several values failed at fit,
    # after the prior's scores: "Invalid `base_score`, it should match the number of outputs"
    X, rng = _frame()
    y = 100 + 10 * rng.normal(size=len(X))
    fits = []
    for score in (3.0, [3.0], np.array([3.0]), (np.float32(3.0),)):
        booster = make_booster("xgboost", {"base_score": score, "n_estimators": 5}, "regression", 0)
        fits.append(booster.fit(X, y, None).predict_margin(X, None))
    for other in fits[1:]:
        np.testing.assert_array_equal(other, fits[0])  # the same trees, bit for bit
    message = re.escape(
        "booster_params base_score=[3.0, 1.0] gives 2 values, but a regressor fits one number "
        "per row; give one number (the trees' start)."
    )
    with pytest.raises(ValueError, match=rf"^{message}$"):
        make_booster("xgboost", {"base_score": [3.0, 1.0]}, "regression", 0)


@pytest.mark.parametrize(
    "value, message",
    [([1.0, 2.0], " gives 2 values for the 3 columns of X, where XGBoost takes one per column"),
     ([1.0] * 4, " gives 4 values for the 3 columns of X, where XGBoost takes one per column"),
     ([1.0, -1.0, 1.0], ": XGBoost takes a finite weight >= 0 per column"),
     (np.array([1.0, np.nan, 1.0]), ": XGBoost takes a finite weight >= 0 per column"),
     # a dict of three names and a set of three weights were "1 value" for the columns
     ({"a": 1.0, "b": 2.0, "c": 3.0}, ": XGBoost takes a list or 1-D array of one weight per "
      "column of X, in X's order, not a dict."),
     ({1.0, 2.0, 3.0}, ": XGBoost takes a list or 1-D array of one weight per column of X, "
      "in X's order, not a set."),
     ("1,2,3", ": XGBoost takes a list or 1-D array of one weight per column of X, in X's "
      "order, not a str.")],
)  # fmt: skip
def test_xgboost_feature_weights_not_one_weight_per_column_are_refused_before_the_prior(
    value, message
):
    # XGBoost took four weights for three columns without a word, and failed at fit on a
    # negative one, after the prior's scores: "Feature weight must be greater than 0"
    from llmboost import PriorBoostClassifier

    X, _ = _frame()
    y = np.arange(len(X)) % 2
    params = {"feature_weights": value, "colsample_bynode": 0.5}
    model = PriorBoostClassifier(
        _refused_before_the_prior(), booster="xgboost", booster_params=params
    )
    shown = re.escape(f"booster_params feature_weights={brief(value)}{message}")
    with pytest.raises(ValueError, match=rf"^{shown}"):
        model.fit(X, y)
    model.set_params(prior=None, scale=0, booster_params={**params, "feature_weights": [0, 1, 2]})
    assert model.fit(X, y).predict_proba(X).shape == (len(X), 2)


@pytest.mark.parametrize(
    "key, value, hint",
    [("output_model", "m.txt", "save the fitted estimator with llmboost.save(model, path)"),
     ("save_period", 5, "save the fitted estimator with llmboost.save(model, path)"),
     ("task", "predict", "llmboost trains and predicts itself; leave it out"),
     ("valid", "v.csv", "it reads or writes data files, and llmboost gives LightGBM the rows "
      "of fit(X, y, eval_set=(X_val, y_val)); leave it out"),
     ("save_binary", True, "it reads or writes data files"),
     ("input_model", "m.txt", "each fit builds new trees from the prior's margin")],
)  # fmt: skip
def test_lightgbm_parameters_of_its_command_line_program_are_refused(key, value, hint):
    # LightGBM's Python package ignores them: output_model="m.txt" wrote no file, without
    # a word
    message = re.escape(
        f"booster_params {key}={brief(value)} is read by LightGBM's command-line program "
        f"only, and its Python package, which llmboost calls, ignores it: {hint}"
    )
    with pytest.raises(ValueError, match=rf"^{message}"):
        make_booster("lightgbm", {key: value}, "classification", 0)
    X, _ = _frame()
    default = {"output_model": "", "save_period": -1, "task": "train", "valid": "",
               "save_binary": False, "input_model": ""}[key]  # fmt: skip
    booster = make_booster("lightgbm", {key: default, "n_estimators": 3}, "classification", 0)
    assert booster.fit(X, np.arange(len(X)) % 2, None).predict_margin(X, None).shape == (60,)


@pytest.mark.parametrize("key", ["forcedsplits_filename", "forced_splits", "forcedbins_filename"])
def test_lightgbm_files_of_forced_splits_or_bins_that_do_not_exist_are_refused(key, tmp_path):
    # LightGBM skipped a missing file without a word: the trees split as without it
    from llmboost import PriorBoostClassifier

    missing = tmp_path / "splits.json"
    for value in (str(missing), missing, str(tmp_path), 3):
        message = re.escape(
            f"booster_params {key}={brief(value)} is no file, which LightGBM would skip "
            "without a word; give the path of an existing file, or leave it out."
        )
        model = PriorBoostClassifier(
            _refused_before_the_prior(), booster="lightgbm", booster_params={key: value}
        )
        with pytest.raises(ValueError, match=rf"^{message}$"):
            model.fit(*_frame()[:1], np.arange(60) % 2)
    forced = {"feature": 1, "threshold": 0.5} if "splits" in key else [
        {"feature": 1, "bin_upper_bound": [0.5]}]  # fmt: skip
    missing.write_text(json.dumps(forced))
    other = "forcedbins_filename" if "splits" in key else "forcedsplits_filename"
    gone = str(tmp_path / "gone.json")  # beside an existing file, it was not checked
    model = PriorBoostClassifier(
        _refused_before_the_prior(), booster="lightgbm", booster_params={key: missing, other: gone}
    )
    with pytest.raises(ValueError, match=rf"^booster_params {other}='.*gone\.json' is no file"):
        model.fit(*_frame()[:1], np.arange(60) % 2)
    X, _ = _frame()
    booster = make_booster("lightgbm", {key: missing, "n_estimators": 3}, "classification", 0)
    booster.fit(X, np.arange(len(X)) % 2, None)
    if "splits" in key:  # the first split is the one forced
        assert booster.model_.booster_.dump_model()["tree_info"][0]["tree_structure"][
            "split_feature"] == 1  # fmt: skip


def test_lightgbm_text_lists_with_spaces_after_the_commas_are_read_whole():
    # LightGBM cuts its parameters' text at spaces: metric="auc, binary_logloss" evaluated
    # auc alone, without a word, and max_bin_by_feature="8, 8, 8" was one value, on which
    # the fit failed after the prior's scores ("Check failed: ... max_bin_by_feature.size()")
    X, rng = _frame(200)
    y = (X["a"] + rng.normal(size=len(X)) > 0).astype(int).to_numpy()
    params = {"metric": " AUC, binary_logloss ", "n_estimators": 3, "early_stopping_rounds": 2}
    booster = make_booster("lightgbm", params, "classification", 0)
    booster.fit(X, y, None, eval_set=(X + 0.1, y, None))
    assert list(booster.model_.evals_result_["valid_0"]) == ["auc", "binary_logloss"]
    for key, value in [("max_bin_by_feature", "8, 8, 8"), ("feature_contri", "1, 0.5 ,1")]:
        booster = make_booster("lightgbm", {key: value, "n_estimators": 3}, "classification", 0)
        assert booster.fit(X, y, None).predict_margin(X, None).shape == (len(X),)
        written = booster.model_.booster_.model_to_string()
        assert f"[{key}: {value.replace(' ', '')}]" in written  # every value, in order


@pytest.mark.parametrize(
    "key, value, written",
    [("max_bin_by_feature", ["8", " 8", "8 "], "8,8,8"),
     ("feature_contri", ("1", " 0.5", "1"), "1,0.5,1"),
     ("eval_at", ["1", " 2"], "1,2"), ("label_gain", [" 1", "2"], "1,2")],
)  # fmt: skip
def test_lightgbm_lists_with_spaces_in_text_entries_are_read_whole(key, value, written):
    # LightGBM cuts its parameters' text at spaces: max_bin_by_feature=["8", " 8", "8 "]
    # failed at fit ("Check failed: ... max_bin_by_feature.size()"), eval_at=["1", " 2"]
    # was read as 1 alone and label_gain=[" 1", "2"] as nothing, without a word
    X, rng = _frame(200)
    y = (X["a"] + rng.normal(size=len(X)) > 0).astype(int).to_numpy()
    booster = make_booster("lightgbm", {key: value, "n_estimators": 3}, "classification", 0)
    assert booster.fit(X, y, None).predict_margin(X, None).shape == (len(X),)
    assert f"[{key}: {written}]" in booster.model_.booster_.model_to_string()


def test_lightgbm_file_of_forced_splits_in_a_path_with_a_space_is_refused(tmp_path):
    # LightGBM reads its parameters as "key=value" text cut at spaces: it read the path up to
    # the space and skipped the file without a word (the first split on column 0, not 2)
    from llmboost import PriorBoostClassifier

    (tmp_path / "my splits").mkdir()
    forced = tmp_path / "my splits" / "splits.json"
    forced.write_text(json.dumps({"feature": 2, "threshold": 0.5}))
    model = PriorBoostClassifier(
        _refused_before_the_prior(), booster="lightgbm", booster_params={"fs": str(forced)}
    )
    message = re.escape(
        f"booster_params fs={brief(str(forced))} holds a space, where LightGBM cuts its "
        "parameters: it would read the path up to it and skip the file without a word; give a "
        "path without spaces (e.g. of a copy of the file)."
    )
    X, _ = _frame()
    with pytest.raises(ValueError, match=rf"^{message}$"):
        model.fit(X, np.arange(len(X)) % 2)
    taken = tmp_path / "splits.json"
    taken.write_bytes(forced.read_bytes())
    model.set_params(prior=None, scale=0, booster_params={"fs": taken, "n_estimators": 3})
    trees = model.fit(X, np.arange(len(X)) % 2).members_[0].booster.model_.booster_
    assert trees.dump_model()["tree_info"][0]["tree_structure"]["split_feature"] == 2


def test_a_model_fitted_with_a_file_of_forced_splits_loads_once_the_file_is_gone(tmp_path):
    # the check of the file ran at load too: llmboost.load failed with "booster_params
    # forcedsplits_filename='...' is no file", though the fitted trees do not read it
    import llmboost
    from llmboost import PriorBoostClassifier

    forced = tmp_path / "splits.json"
    forced.write_text(json.dumps({"feature": 1, "threshold": 0.5}))
    X, _ = _frame()
    params = {"forcedsplits_filename": str(forced), "n_estimators": 3}
    model = PriorBoostClassifier(None, booster="lightgbm", booster_params=params, scale=0)
    expected = model.fit(X, np.arange(len(X)) % 2).predict_proba(X)
    llmboost.save(model, tmp_path / "model.llmboost")
    forced.unlink()
    loaded = llmboost.load(tmp_path / "model.llmboost")
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)  # the same trees
    assert loaded.get_params()["booster_params"] == params
    with pytest.raises(ValueError, match="is no file, which LightGBM would skip"):
        loaded.fit(X, np.arange(len(X)) % 2)  # a new fit needs the file


@pytest.mark.parametrize(
    "key, value, low, what",
    [("max_bin_by_feature", [1, 8, 8], "1", "at least 2 bins per column"),
     ("max_bin_by_feature", "8,0,8", "'0'", "at least 2 bins per column"),
     ("feature_contri", [1.0, -0.5, 1.0], "-0.5", "a weight >= 0 per column"),
     ("fp", np.array([1.0, 1.0, -1.0]), "-1.0", "a weight >= 0 per column")],
)  # fmt: skip
def test_lightgbm_lists_of_numbers_below_their_least_are_refused_by_name(key, value, low, what):
    # LightGBM failed at fit, after the prior's scores: "Check failed:
    # (*(std::min_element(config_.max_bin_by_feature.begin(), ...))) > (1)", and for a
    # negative feature_contri "Check failed: (best_split_info.left_count) > (0)"
    message = re.escape(f"booster_params {key}={brief(value)}: LightGBM takes {what}")
    with pytest.raises(ValueError, match=rf"^{message}.*; {re.escape(low)} is below it\.$"):
        make_booster("lightgbm", {key: value}, "classification", 0)
    X, _ = _frame()
    taken = [2, 8, 8] if key == "max_bin_by_feature" else [0.0, 1.0, 0.5]
    booster = make_booster("lightgbm", {key: taken, "n_estimators": 3}, "classification", 0)
    assert booster.fit(X, np.arange(len(X)) % 2, None).predict_margin(X, None).shape == (60,)


@pytest.mark.parametrize(
    "params, shown, hint",
    [({"predict_raw_score": True}, "predict_raw_score=True",
      "decision_function (a regressor's predict) gives the trees' raw score plus the prior's"),
     ({"raw_score": True}, "raw_score=True", "decision_function"),
     ({"contrib": True}, "contrib=True", "llmboost.explain(model, X) gives each column's"),
     ({"predict_leaf_index": True}, "predict_leaf_index=True", "the margin of the rounds it"),
     ({"pred_early_stop": False, "pred_early_stop_margin": 0.1}, "pred_early_stop_margin=0.1",
      "the margin of the rounds it chose, plus the prior's; leave it out"),
     ({"pred_early_stop": True}, "pred_early_stop=True", "the margin"),
     ({"num_iteration_predict": 3}, "num_iteration_predict=3", "the margin"),
     ({"start_iteration_predict": 5}, "start_iteration_predict=5", "the margin")],
)  # fmt: skip
def test_lightgbm_parameters_of_prediction_are_refused_before_the_prior(params, shown, hint):
    # LightGBM's fit ignores them and llmboost's margins ignored them in silence, but
    # pred_early_stop with pred_early_stop_margin=0.1 moved them by up to 2.5
    from llmboost import PriorBoostClassifier

    X, rng = _frame()
    y = (X["a"] + rng.normal(size=len(X)) > 0).astype(int)
    model = PriorBoostClassifier(
        _refused_before_the_prior(), booster="lightgbm", booster_params=params
    )
    message = re.escape(
        f"booster_params {shown} is read by LightGBM when it predicts, not when it trains, "
        f"and llmboost makes its predictions itself: {hint}"
    )
    with pytest.raises(ValueError, match=rf"^{message}"):
        model.fit(X, y)
    defaults = {"predict_raw_score": False, "pred_early_stop_freq": 10,
                "pred_early_stop_margin": 10, "num_iteration_predict": -1}  # fmt: skip
    model.set_params(prior=None, scale=0, booster_params={**defaults, "n_estimators": 3})
    assert model.fit(X, y).predict_proba(X).shape == (len(X), 2)


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize(
    "score", [[[0.2, 0.3, 0.5]], np.array([[0.2, 0.3, 0.5]]), [[0.2], [0.3], [0.5]]]
)
def test_xgboost_nested_base_score_is_refused_before_the_prior(task, score):
    # XGBoost failed at fit, after the prior's scores: "Invalid type for: `base_score`,
    # expecting one of the: {`Number`, `Integer`}, got: `Array`"
    from llmboost import PriorBoostClassifier, PriorBoostRegressor

    X, _ = _frame(n=90)
    y = np.arange(len(X)) % 3 if task == "classification" else X["a"].to_numpy()
    cls = PriorBoostClassifier if task == "classification" else PriorBoostRegressor
    params = {"base_score": score, "n_estimators": 3}
    model = cls(_refused_before_the_prior(task), booster="xgboost", booster_params=params)
    message = re.escape(
        f"booster_params base_score={brief(score)} is nested, which XGBoost refuses; give one "
        "number, or a flat list of one per class ([0.2, 0.3, 0.5])."
    )
    with pytest.raises(ValueError, match=rf"^{message}$"):
        model.fit(X, y)
    if task == "classification":
        model.set_params(
            prior=None, scale=0, booster_params={**params, "base_score": [0.2, 0.3, 0.5]}
        )
        assert model.fit(X, y).predict_proba(X).shape == (len(X), 3)


@pytest.mark.parametrize(
    "task, score, message",
    [("regression", "[1,2]", "base_score='[1,2]' gives 2 values, but a regressor fits one"),
     ("multiclass", "[0.2,0.3]", "base_score='[0.2,0.3]' gives 2 values, but y has 3 classes"),
     ("classification", "[0.2,0.3,0.5]", "base_score='[0.2,0.3,0.5]' gives 3 values, but y has"),
     ("classification", " [2.0]", "base_score=' [2.0]': XGBoost's logistic loss, its loss for"),
     ("multiclass", "[[0.2,0.3,0.5]]", "base_score='[[0.2,0.3,0.5]]' is nested")],
)  # fmt: skip
def test_xgboost_base_score_as_the_text_of_a_list_is_checked_before_the_prior(task, score, message):
    # XGBoost reads "[0.2,0.3,0.5]" as the list; its length was not checked, and the fit
    # failed after the prior's scores ("Invalid `base_score`, it should match the number
    # of outputs")
    from llmboost import PriorBoostClassifier, PriorBoostRegressor

    X, _ = _frame(n=90)
    kind = "regression" if task == "regression" else "classification"
    y = {"regression": X["a"].to_numpy(), "multiclass": np.arange(90) % 3}.get(task)
    y = np.arange(90) % 2 if y is None else y
    cls = PriorBoostRegressor if kind == "regression" else PriorBoostClassifier
    params = {"base_score": score, "n_estimators": 3}
    model = cls(_refused_before_the_prior(kind), booster="xgboost", booster_params=params)
    with pytest.raises(ValueError, match=rf"^booster_params {re.escape(message)}"):
        model.fit(X, y)
    fitted = [
        PriorBoostClassifier(
            None, scale=0, booster="xgboost", booster_params={**params, "base_score": s}
        )
        .fit(X, np.arange(90) % 3)
        .predict_proba(X)
        for s in ("[0.2,0.3,0.5]", [0.2, 0.3, 0.5])
    ]  # the text is the list
    np.testing.assert_array_equal(*fitted)


@pytest.mark.parametrize(
    "types, message",
    [(["q", "q"], "feature_types=['q', 'q'] gives 2 values for the 3 columns of X, where "
      "XGBoost takes one per column"),
     (["x", "q", "q"], "feature_types=['x', 'q', 'q']: XGBoost takes a list of one type per "
      "column of X, each one of 'int', 'float', 'i', 'q', 'c'; 'x' is not one."),
     ("qqq", "feature_types='qqq': XGBoost takes a list of one type per column")],
)  # fmt: skip
def test_xgboost_feature_types_are_checked_before_the_prior(types, message):
    # XGBoost failed at fit, after the prior's scores: "feature types must have the same
    # length as the number of data columns", "All feature_types must be one of {int,
    # float, i, q, c}"
    from llmboost import PriorBoostClassifier

    X, _ = _frame()
    y = np.arange(len(X)) % 2
    params = {"feature_types": types, "n_estimators": 3}
    model = PriorBoostClassifier(
        _refused_before_the_prior(), booster="xgboost", booster_params=params
    )
    with pytest.raises(ValueError, match=rf"^booster_params {re.escape(message)}"):
        model.fit(X, y)
    fine = {**params, "feature_types": ["float", "q", "i"]}
    model.set_params(prior=None, scale=0, booster_params=fine)
    assert model.fit(X, y).predict_proba(X).shape == (len(X), 2)


@pytest.mark.parametrize("key, value", [("max_bin_by_feature", ""), ("feature_contri", " ")])
def test_lightgbm_blank_text_of_a_column_list_is_its_default(key, value):
    # LightGBM reads blank text as no values, its default, but llmboost refused it before
    # the prior: "max_bin_by_feature='' gives 1 value for the 3 columns of X"
    from llmboost import PriorBoostClassifier

    X, rng = _frame()
    y = (X["a"] + rng.normal(size=len(X)) > 0).astype(int)
    fitted = [
        PriorBoostClassifier(None, scale=0, booster="lightgbm", booster_params=params)
        .fit(X, y)
        .predict_proba(X)
        for params in ({key: value, "n_estimators": 3}, {"n_estimators": 3})
    ]
    np.testing.assert_array_equal(*fitted)  # the same trees


@pytest.mark.parametrize("extra", [{}, {"eval_metric": []}])
def test_xgboost_no_default_metric_with_early_stopping_is_refused_before_the_prior(extra):
    # XGBoost then has no metric to stop on, and the fit failed after the prior's scores
    # with "Must have at least 1 validation dataset for early stopping" (one was given)
    from llmboost import PriorBoostClassifier

    X, _ = _frame()
    y = np.arange(len(X)) % 2
    params = {"disable_default_eval_metric": True, "n_estimators": 3, **extra}
    model = PriorBoostClassifier(
        _refused_before_the_prior(), booster="xgboost", booster_params=params
    )
    message = re.escape(
        "booster_params disable_default_eval_metric=True without eval_metric leaves XGBoost "
        "no metric, but the trees stop early on eval_set's metric: give eval_metric"
    )
    with pytest.raises(ValueError, match=rf"^{message}"):
        model.fit(X, y, eval_set=(X, y))
    model.set_params(prior=None, scale=0, booster_params={**params, "eval_metric": "logloss"})
    assert model.fit(X, y, eval_set=(X, y)).predict_proba(X).shape == (len(X), 2)
    model.set_params(booster_params={**params, "early_stopping_rounds": None})
    assert model.fit(X, y, eval_set=(X, y)).predict_proba(X).shape == (len(X), 2)
