"""Behaviour of PriorBoostClassifier / PriorBoostRegressor."""

import copy
import pickle
import re
import warnings
from decimal import Decimal

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from column_prior import FirstColumnPrior
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import log_loss, make_scorer, roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier

from llmboost import Prior, PriorBoostClassifier, PriorBoostRegressor, SklearnPrior
from llmboost.boosters import LightGBMBooster, XGBoostBooster
from llmboost.fusion_inputs import MAX_LOGIT, check_margin
from llmboost.scale_search import make_folds


def _data(n_classes=2, n=200, seed=0):
    X, y = make_classification(
        n_samples=n, n_features=6, n_informative=4, n_classes=n_classes, random_state=seed
    )
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(6)]), y


class LinearOraclePrior(Prior):
    """Knows the linear part of the synthetic task below; ignores labels."""

    def _fit(self, X, y):
        pass

    def _logits(self, X):
        lin = X[[f"x{i}" for i in range(5)]].to_numpy().sum(axis=1)
        return np.column_stack([np.zeros(len(X)), lin])


class SpyPrior(Prior):
    """Remembers the ids of the rows it was fitted on and reports them back as a logit."""

    def _fit(self, X, y):
        self.seen_ = set(X["row_id"].astype(int))

    def _logits(self, X):
        seen = X["row_id"].astype(int).isin(self.seen_).to_numpy(dtype=float)
        return np.column_stack([np.zeros(len(X)), seen])


class BadPrior(Prior):
    def __init__(self, output="shape"):
        self.output = output

    def _fit(self, X, y):
        pass

    def _logits(self, X):
        if self.output == "shape":
            return np.zeros((len(X), 3))
        z = np.zeros((len(X), 2))
        z[0, 1] = np.nan
        return z


class CountingPrior(SklearnPrior):
    calls = 0

    def logits(self, X):
        CountingPrior.calls += 1
        return super().logits(X)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_scale_zero_equals_plain_gbdt(n_classes, booster):
    X, y = _data(n_classes)
    params = {"n_estimators": 30, "learning_rate": 0.2}
    model = PriorBoostClassifier(booster=booster, booster_params=params, scale=0, random_state=3)
    model.fit(X, y)
    adapter = XGBoostBooster if booster == "xgboost" else LightGBMBooster
    plain_cls = xgb.XGBClassifier if booster == "xgboost" else lgb.LGBMClassifier
    plain = plain_cls(**{**adapter.defaults, **params, "random_state": 3}).fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X), plain.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(model.predict(X), plain.predict(X))
    assert model.prior_ is None


def test_lightgbm_class_weight_keyed_by_the_labels_as_plain_lightgbm():
    # the trees train on class codes: the labels' keys raised KeyError: 'churn'
    X, codes = _data(3)
    y = np.array(["churn", "stay", "upgrade"])[codes]
    weights = {"churn": 5.0, "upgrade": 2.0}
    params = {"n_estimators": 20, "class_weight": weights}
    model = PriorBoostClassifier(booster="lightgbm", booster_params=params, scale=0)
    model.fit(X, y)
    plain = lgb.LGBMClassifier(**{**LightGBMBooster.defaults, **params}).fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X), plain.predict_proba(X), atol=1e-6)
    assert model.best_params_["class_weight"] == weights
    with pytest.raises(ValueError, match=r"class_weight names 'gone', which is not a label"):
        model.set_params(booster_params={"class_weight": {"gone": 2.0}}).fit(X, y)


def test_xgboost_class_weight_is_refused_with_the_weights_to_pass():
    # XGBoost does not read class_weight: the trees were those without it, with XGBoost's
    # "Parameters: { "class_weight" } are not used." on every fit of the search
    X, y = _data(2)
    model = PriorBoostClassifier(booster_params={"class_weight": {0: 1.0, 1: 10.0}}, scale=0)
    with pytest.raises(ValueError, match=r"class_weight is a LightGBM parameter: XGBoost "):
        model.fit(X, y)
    with pytest.raises(ValueError, match=r"compute_sample_weight\(class_weight, y\)"):
        model.set_params(booster_params={"class_weight": "balanced"}).fit(X, y)


@pytest.mark.parametrize(
    "library, params",
    [("xgboost", {"scale_pos_weight": 10.0}), ("lightgbm", {"scale_pos_weight": 10.0}),
     ("lightgbm", {"is_unbalance": True}), ("lightgbm", {"unbalance": True}),
     ("lightgbm", {"unbalanced_sets": True})],
)  # fmt: skip
def test_a_positive_class_weight_with_more_classes_is_refused(library, params):
    # with 3 classes both libraries fitted the trees as without it (XGBoost warned "not
    # used" on every fit; LightGBM's probabilities were the same to the last bit)
    X, y = _data(3)
    key = next(iter(params))
    message = (
        rf"booster_params {key}={params[key]!r} weights the positive class of a binary "
        r"target, but y has 3 classes, where the library ignores it; weight the classes "
        r"with sample_weight=sklearn\.utils\.class_weight\.compute_sample_weight"
    )
    model = PriorBoostClassifier(booster=library, booster_params=params, scale=0)
    with pytest.raises(ValueError, match=message):
        model.fit(X, y)
    model.fit(X, (y > 0).astype(int))  # two classes: the weight is used


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_the_default_positive_class_weight_is_taken_with_more_classes(library):
    # scale_pos_weight=1 (the libraries' default, which changes nothing) was refused too
    X, y = _data(3)
    params = {"scale_pos_weight": 1, "n_estimators": 5}
    fused = PriorBoostClassifier(booster=library, booster_params=params, scale=0).fit(X, y)
    params.pop("scale_pos_weight")
    plain = PriorBoostClassifier(booster=library, booster_params=params, scale=0).fit(X, y)
    np.testing.assert_array_equal(fused.predict_proba(X), plain.predict_proba(X))


def test_text_columns_with_xgboost_categories_turned_off_are_named():
    # XGBoost's own "DataFrame.dtypes for data must be int, float, bool or category" came out
    X, y = _data(2)
    X["city"] = np.where(X["f0"] > 0, "Oslo", "Lima")
    model = PriorBoostClassifier(booster_params={"enable_categorical": False}, scale=0)
    with pytest.raises(ValueError, match=r"enable_categorical=False, but the columns \['city'\]"):
        model.fit(X, y)


@pytest.mark.parametrize(
    "booster, params",
    [("xgboost", {"objective": "multi:softprob", "num_class": 2}),
     ("lightgbm", {"objective": "multiclass", "num_class": 2})],
)  # fmt: skip
def test_a_multiclass_loss_with_two_classes_fits_plain_trees_and_names_the_loss_otherwise(
    booster, params
):
    # from the prior's one-column margin the libraries failed in C++ ("Check failed:
    # base_margin_.Shape(1) == OutputLength() (1 vs. 2)", "Number of class for initial score")
    X, y = _data(2)
    model = PriorBoostClassifier(booster=booster, booster_params=params, scale=0, random_state=3)
    adapter, plain_cls = {"xgboost": (XGBoostBooster, xgb.XGBClassifier),
                          "lightgbm": (LightGBMBooster, lgb.LGBMClassifier)}[booster]  # fmt: skip
    plain = plain_cls(**{**adapter.defaults, **params, "random_state": 3}).fit(X, y)
    # the same trees; the softmax taken in float64 here, in float32 by XGBoost
    np.testing.assert_allclose(model.fit(X, y).predict_proba(X), plain.predict_proba(X), atol=1e-6)
    with pytest.raises(ValueError, match=rf"objective='{params['objective']}' with two classes"):
        model.set_params(scale=[0, 1], cv=3).fit(X, y)


def test_xgboost_constraints_name_columns_as_in_x_when_the_boosters_see_other_names():
    # "age (years)" reaches XGBoost as "age_(years)": a constraint by its name failed with
    # XGBoost's "Constrained features are not a subset of training data feature names"
    X, y = make_regression(n_samples=200, n_features=3, noise=1.0, random_state=0)
    X = pd.DataFrame(X, columns=["age (years)", "income [k]", "c"])
    y = y - 50 * X["age (years)"]  # falls with age, unconstrained
    older = X.assign(**{"age (years)": X["age (years)"] + 1})
    params = {"monotone_constraints": {"age (years)": 1}, "n_estimators": 30}
    model = PriorBoostRegressor(booster_params=params, scale=0, random_state=0).fit(X, y)
    constrained = model.predict(X)
    assert (model.predict(older) >= constrained).all()
    assert model.best_params_ == params
    renamed = {"monotone_constraints": {"age_(years)": 1}, "n_estimators": 30}  # XGBoost's
    model.set_params(booster_params=renamed).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), constrained)
    params = {"interaction_constraints": [["age (years)"], ["income [k]", "c"]]}
    model.set_params(booster_params=params).fit(X, y)
    assert model.best_params_ == params
    with pytest.raises(ValueError, match=r"monotone_constraints names 'agee', which is not a"):
        model.set_params(booster_params={"monotone_constraints": {"agee": 1}}).fit(X, y)


def test_lightgbm_monotone_constraints_by_name_are_one_value_per_column():
    # a dict by column name, as XGBoost takes it, failed with LightGBM's raw
    # "TypeError: Unknown type of parameter:monotone_constraints, got:dict"
    X, y = make_regression(n_samples=200, n_features=3, noise=1.0, random_state=0)
    X = pd.DataFrame(X, columns=["age (years)", "income", "c"])
    y = y - 50 * X["age (years)"]  # falls with age, unconstrained
    given = {"monotone_constraints": {"age (years)": 1}, "n_estimators": 30}
    listed = {"monotone_constraints": [1, 0, 0], "n_estimators": 30}
    kwargs = dict(booster="lightgbm", scale=0, random_state=0)
    model = PriorBoostRegressor(booster_params=given, **kwargs).fit(X, y)
    plain = PriorBoostRegressor(booster_params=listed, **kwargs).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), plain.predict(X))
    older = X.assign(**{"age (years)": X["age (years)"] + 1})
    assert (model.predict(older) >= model.predict(X)).all()
    assert model.best_params_ == given


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_monotone_constraints_dict_takes_positions_as_interaction_constraints_do(booster):
    # {0: 1} was refused with "names 0, which is not a column of X", though X (a table
    # with integer names, or an array) has a column 0 and interaction_constraints take
    # positions
    X, y = make_regression(n_samples=200, n_features=3, noise=1.0, random_state=0)
    y = y - 50 * X[:, 0]  # falls along column 0, unconstrained
    kwargs = dict(booster=booster, scale=0, random_state=0)
    listed = {"monotone_constraints": [1, 0, 0], "n_estimators": 30}
    plain = PriorBoostRegressor(booster_params=listed, **kwargs).fit(X, y).predict(X)
    given = {"monotone_constraints": {0: 1}, "n_estimators": 30}
    for table in (X, pd.DataFrame(X)):
        model = PriorBoostRegressor(booster_params=given, **kwargs).fit(table, y)
        np.testing.assert_array_equal(model.predict(table), plain)
        assert model.best_params_ == given
    past = {"monotone_constraints": {3: 1}, "n_estimators": 30}
    with pytest.raises(ValueError, match=r"names 3, which is not a column of X; .* \(0 to 2\)\.$"):
        PriorBoostRegressor(booster_params=past, **kwargs).fit(X, y)


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
@pytest.mark.parametrize(
    "twice", [{"age (years)": 1, "age_(years)": -1}, {"age (years)": 1, 0: -1}]
)
def test_monotone_constraints_dict_giving_a_column_twice_is_refused(booster, twice):
    # the column's name as in X and as the boosters see it (or its position) both
    # reached the library, which kept the last direction without a word
    X, y = make_regression(n_samples=40, n_features=3, random_state=0)
    X = pd.DataFrame(X, columns=["age (years)", "b", "c"])
    params = {"monotone_constraints": twice, "n_estimators": 5}
    model = PriorBoostRegressor(booster=booster, booster_params=params, scale=0)
    first, second = twice
    with pytest.raises(ValueError) as error:
        model.fit(X, y)
    assert str(error.value) == (
        f"booster_params monotone_constraints gives column 'age (years)' twice, as {first!r} "
        f"and as {second!r}; give each column once."
    )


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
@pytest.mark.parametrize(
    "groups", [[["a", "b"], "c"], ["ab", "c"], [["a"], 2], {"a": 1}, np.array([0, 1])]
)
def test_interaction_constraints_groups_that_are_not_lists_are_refused(booster, groups):
    # LightGBM read [["a", "b"], "c"] as other columns in silence (R^2 0.354, where
    # [["a", "b"], ["c"]] gave 0.958); XGBoost split a bare "ab" into "a" and "b" and
    # read a dict's keys as a group; LightGBM failed on a dict with its raw "Unknown type
    # of parameter:interaction_constraints, got:dict", XGBoost on a 1-D array with
    # "'numpy.int64' object is not iterable"
    X, y = make_regression(n_samples=40, n_features=3, random_state=0)
    X = pd.DataFrame(X, columns=["a", "b", "c"])
    params = {"interaction_constraints": groups, "n_estimators": 5}
    model = PriorBoostRegressor(booster=booster, booster_params=params, scale=0)
    with pytest.raises(ValueError, match=r"^booster_params interaction_constraints is not a "):
        model.fit(X, y)
    params["interaction_constraints"] = [["a", "b"], ["c"]]
    assert model.set_params(booster_params=params).fit(X, y).predict(X).shape == (40,)


def test_xgboost_exact_tree_method_fits_numbers_as_plain_xgboost_and_names_text_columns():
    # XGBoost's "Experimental support for categorical data is not implemented for current
    # tree method yet" came out on a table of numbers (llmboost turns enable_categorical on)
    X, y = _data(2)
    params = {"tree_method": "exact", "n_estimators": 30}
    model = PriorBoostClassifier(booster_params=params, scale=0, random_state=3).fit(X, y)
    defaults = {**XGBoostBooster.defaults, "enable_categorical": False}
    plain = xgb.XGBClassifier(**{**defaults, **params, "random_state": 3}).fit(X, y)
    # the same trees; the margin summed in float64 here, in float32 by XGBoost
    np.testing.assert_allclose(model.predict_proba(X), plain.predict_proba(X), atol=1e-6)
    X["city"] = np.where(X["f0"] > 0, "Oslo", "Lima")
    with pytest.raises(ValueError, match=r"tree_method=exact, but the columns \['city'\] hold"):
        model.fit(X, y)


@pytest.mark.parametrize(
    "booster, params",
    [
        ("xgboost", {}),
        ("lightgbm", {}),
        ("xgboost", {"base_score": 50.0}),  # started from 50 * std(y), 2,000 off
        ("lightgbm", {"boost_from_average": False}),
    ],
)
def test_regressor_scale_zero_equals_plain_gbdt(booster, params):
    X, y = make_regression(n_samples=150, n_features=5, noise=5.0, random_state=0)
    kwargs = dict(booster=booster, booster_params=params or None, scale=0, random_state=1)
    model = PriorBoostRegressor(**kwargs).fit(X, y)
    adapter = XGBoostBooster if booster == "xgboost" else LightGBMBooster
    plain_cls = xgb.XGBRegressor if booster == "xgboost" else lgb.LGBMRegressor
    plain = plain_cls(**{**adapter.defaults, "random_state": 1, **params}).fit(X, y)
    np.testing.assert_allclose(model.predict(X), plain.predict(X), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(
    "booster, alias, main",
    [("xgboost", {"eta": 0.9}, {"learning_rate": 0.9}),
     ("lightgbm", {"num_iterations": 150}, {"n_estimators": 150}),
     ("lightgbm", {"num_boost_round": 30}, {"n_estimators": 30})],
)  # fmt: skip
def test_a_library_alias_is_the_parameter_it_names(booster, alias, main):
    # eta=0.9 lost to the default learning_rate=0.1 (probabilities 0.24 off plain XGBoost's
    # with eta=0.9); LightGBM trained num_iterations=150 rounds, llmboost read and searched 100
    X, y = _data(2)
    fits = [
        PriorBoostClassifier(booster=booster, booster_params=p, scale=0, random_state=3).fit(X, y)
        for p in (alias, main)
    ]
    np.testing.assert_array_equal(fits[0].predict_proba(X), fits[1].predict_proba(X))
    n_rounds = main.get("n_estimators", 100)
    assert fits[0].members_[0].n_rounds == n_rounds
    # best_params_ names it as given, so they can be given back (it showed learning_rate)
    assert [f.best_params_ for f in fits] == [alias, main]
    model = PriorBoostClassifier(booster=booster, booster_params=alias, scale=[0, 1], cv=3,
                                 random_state=0)  # fmt: skip
    assert max(model.fit(X, y).cv_results_["param_n_rounds"]) == n_rounds
    again = clone(model).set_params(booster_params=model.best_params_).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))
    model.set_params(booster_params={**alias, **dict.fromkeys(main, 0.5)})
    with pytest.raises(ValueError, match=rf"gives {next(iter(main))} and {next(iter(alias))}, "):
        model.fit(X, y)


@pytest.mark.parametrize("key, value", [("boosting_type", "rf"), ("boosting", "random_forest")])
@pytest.mark.parametrize("scale", [0, 1])
def test_lightgbm_random_forest_is_refused_before_the_prior_is_fitted(key, value, scale):
    # its raw score sums the trees where its probabilities average them: at scale=0 the
    # probabilities were 0.43 off plain LightGBM's, any other scale failed in LightGBM's C++
    X, y = _data(2)
    params = {key: value, "subsample": 0.7, "subsample_freq": 1, "n_estimators": 20}
    model = PriorBoostClassifier(
        BadPrior("never fitted"), booster="lightgbm", booster_params=params, scale=scale
    )  # BadPrior's logits fail: the error comes first
    with pytest.raises(ValueError, match=rf"{key}='{value}' is not supported: LightGBM's random"):
        model.fit(X, y)


@pytest.mark.parametrize(
    "n_classes, params, message",
    [
        (2, {"metric": "multi_logloss"}, r"metric='multi_logloss': 'multi_logloss' is a metric "
         r"of several classes, but y has 2 classes, .* give 'binary_logloss'"),
        (2, {"metrics": "Multi_Error"}, r"'multi_error' is a .* give 'binary_error'"),
        (2, {"metric": np.array(["auc_mu"])}, r"'auc_mu' is a .* give 'auc'"),
        (3, {"metric": "binary_logloss"}, r"metric='binary_logloss': 'binary_logloss' is not a "
         r"metric of several classes, but y has 3 classes, .* give 'multi_logloss'"),
        (3, {"metric": "auc"}, r"'auc' is not a metric of several classes, but y has 3"),
    ],
)  # fmt: skip
def test_lightgbm_metric_of_another_class_count_is_refused_before_the_prior(
    n_classes, params, message
):
    # LightGBM failed at fit, after the prior's scores: "Multiclass objective and metrics
    # don't match", naming neither the metric nor the classes
    X, y = _data(n_classes, n=60)
    model = PriorBoostClassifier(
        BadPrior("never fitted"), booster="lightgbm", booster_params=params, scale=1.0
    )  # BadPrior's logits fail: the error comes first
    with pytest.raises(ValueError, match=message):
        model.fit(X, y)
    fits = {2: "binary_logloss", 3: "multi_logloss"}[n_classes]
    model.set_params(prior=LogisticRegression(), booster_params={"metric": fits, "n_estimators": 3})
    assert model.fit(X, y).predict_proba(X).shape == (60, n_classes)


@pytest.mark.parametrize(
    "n_classes, metric, message",
    [
        (2, "mlogloss", r"'mlogloss' is a metric of several classes, but y has 2 classes, "
         r"which XGBoost refuses; give 'logloss'"),
        (3, "error", r"'error' is not a metric of several classes, but y has 3 classes, where "
         r"XGBoost takes only those: give 'mlogloss', 'merror' or 'auc'"),
        (3, ["auc", "logloss"], r"'logloss' is not a metric of several classes"),
    ],
)  # fmt: skip
def test_xgboost_metric_of_another_class_count_is_refused_before_the_prior(
    n_classes, metric, message
):
    # with eval_set, XGBoost failed at fit, after the prior's scores: "label and prediction
    # size not match" (3 classes), "label must be in [0, num_class)" (2 classes)
    X, y = _data(n_classes, n=90)
    params = {"eval_metric": metric}
    model = PriorBoostClassifier(BadPrior("never fitted"), booster_params=params, scale=1.0)
    with pytest.raises(ValueError, match=message):
        model.fit(X[:60], y[:60], eval_set=(X[60:], y[60:]))
    fits = {2: "logloss", 3: "mlogloss"}[n_classes]
    model.set_params(prior=LogisticRegression(), booster_params={"eval_metric": fits})
    proba = model.fit(X[:60], y[:60], eval_set=(X[60:], y[60:])).predict_proba(X)
    assert proba.shape == (90, n_classes)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_prior_only_equals_prior_probabilities(n_classes):
    X, y = _data(n_classes)
    prior = SklearnPrior(LogisticRegression(max_iter=500), preprocess=False)
    model = PriorBoostClassifier(prior=prior, scale="prior").fit(X, y)
    reference = LogisticRegression(max_iter=500).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(model.predict_proba(X), reference, atol=1e-6)
    assert model.booster_ is None and model.scale_ == "prior"


def test_regressor_prior_only_equals_prior_prediction():
    X, y = make_regression(n_samples=80, n_features=4, random_state=0)
    model = PriorBoostRegressor(prior=LinearRegression(), scale="prior").fit(X, y)
    prior = SklearnPrior(LinearRegression()).fit(
        pd.DataFrame(X, columns=[f"x{i}" for i in range(4)]), y
    )
    np.testing.assert_allclose(
        model.predict(X), prior.logits(pd.DataFrame(X, columns=[f"x{i}" for i in range(4)]))
    )


def test_out_of_fold_logits_never_see_the_row():
    X, y = _data()
    X["row_id"] = np.arange(len(X))
    model = PriorBoostClassifier(prior=SpyPrior(), scale=1.0, cv=4, random_state=0).fit(X, y)
    folds = make_folds(y, 4, "classification", 0)
    oof = SpyPrior().oof_logits(X, y, folds)
    assert (oof[:, 1] == 0).all()  # no row was scored by a prior that saw it
    assert (model.prior_.logits(X)[:, 1] == 1).all()  # the refit prior saw them all


def test_memorising_prior_is_scored_honestly():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=list("abc"))
    y = rng.integers(0, 2, 200)  # labels are noise: a 1-NN prior has nothing to learn
    knn = SklearnPrior(KNeighborsClassifier(n_neighbors=1))
    in_sample = knn.fit(X, y).logits(X).argmax(axis=1)
    assert (in_sample == y).all()

    oof = knn.oof_logits(X, y, make_folds(y, 5, "classification", 0)).argmax(axis=1)
    assert 0.35 < (oof == y).mean() < 0.65


def test_fused_beats_prior_and_gbdt_at_mid_size():
    rng = np.random.default_rng(0)

    def task(n):
        X = pd.DataFrame(rng.normal(size=(n, 10)), columns=[f"x{i}" for i in range(10)])
        lin = X[[f"x{i}" for i in range(5)]].sum(axis=1)
        inter = 3.0 * ((X["x5"] > 0) & (X["x6"] > 0)) - 1.5
        y = (rng.random(n) < 1 / (1 + np.exp(-(lin + inter)))).astype(int)
        return X, y

    X, y = task(400)
    X_test, y_test = task(5000)
    fused = PriorBoostClassifier(prior=LinearOraclePrior(), random_state=0).fit(X, y)
    gbdt = PriorBoostClassifier(prior=LinearOraclePrior(), scale=0, random_state=0).fit(X, y)
    auc = {
        "fused": roc_auc_score(y_test, fused.predict_proba(X_test)[:, 1]),
        "gbdt": roc_auc_score(y_test, gbdt.predict_proba(X_test)[:, 1]),
        "prior": roc_auc_score(y_test, LinearOraclePrior().fit(X, y).logits(X_test)[:, 1]),
    }
    assert fused.scale_ not in (0, "prior")
    assert auc["fused"] > auc["gbdt"] + 0.01, auc
    assert auc["fused"] > auc["prior"] + 0.01, auc


def test_optuna_joint_tuning_is_seeded():
    X, y = _data(n=120)
    kw = {"n_trials": 3, "cv": 3, "random_state": 0, "scale": [0, 0.3, 1.0, "prior"]}
    a = PriorBoostClassifier(**kw).fit(X, y)
    b = PriorBoostClassifier(**kw).fit(X, y)
    assert len(a.cv_results_["params"]) == 4 and a.cv_results_["params"][-1] == {"scale": "prior"}
    assert {"scale", "learning_rate", "max_depth"} <= set(a.cv_results_["params"][0])
    assert a.cv_results_["param_max_depth"].mask[-1]  # the prior alone has no trees
    assert a.cv_results_["params"] == b.cv_results_["params"]
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_best_params_are_those_of_the_refit_trees():
    X, y = _data(n=80)
    kw = {"booster_params": {"n_estimators": 10, "max_depth": 2}, "random_state": 0}
    assert PriorBoostClassifier(scale=0.5, **kw).fit(X, y).best_params_ == kw["booster_params"]
    # the prior alone refits no trees, so it has no booster parameters (they were shown)
    assert PriorBoostClassifier(scale="prior", **kw).fit(X, y).best_params_ is None
    searched = PriorBoostClassifier(scale=[0.5, "prior"], scoring="roc_auc", **kw).fit(X, y)
    has_trees = any(m.booster is not None for m in searched.members_)
    assert (searched.best_params_ is None) == (not has_trees)
    # trees on the defaults have none to show (docs/index.md); device= is one
    assert PriorBoostClassifier(scale=0.5).fit(X, y).best_params_ is None
    assert PriorBoostClassifier(scale=0.5, device="cpu").fit(X, y).best_params_ == {"device": "cpu"}


def test_zero_scale_never_evaluates_prior_at_predict():
    X, y = _data()
    CountingPrior.calls = 0
    model = PriorBoostClassifier(prior=CountingPrior(LogisticRegression()), scale=[0.0], cv=3)
    model.fit(X, y).predict_proba(X)
    assert model.scale_ == 0 and CountingPrior.calls == 0


@pytest.mark.parametrize("verbose, shown", [(True, True), (1, True), (0, False), (False, False)])
def test_verbose_takes_a_bool_or_a_count_as_scikit_learn_does(verbose, shown, capsys):
    X, y = _data()
    kw = dict(prior=LogisticRegression(), booster_params={"n_estimators": 5}, cv=2)
    PriorBoostClassifier(scale=[0, 1.0], verbose=verbose, **kw).fit(X, y)
    assert ("fusion search" in capsys.readouterr().err) == shown
    with pytest.raises(ValueError, match="verbose"):
        PriorBoostClassifier(verbose=-1, **kw).fit(X, y)


def test_a_scale_named_twice_is_one_candidate():
    # [0.5, 0.5] fitted every booster twice and listed both; ["prior", "prior"] searched
    X, y = _data()
    kw = dict(prior=LogisticRegression(), booster_params={"n_estimators": 10}, random_state=0)
    for twice, once in [([0.5, 0.5, 0], [0.5, 0]), (["prior", "prior"], "prior")]:
        a = PriorBoostClassifier(scale=twice, **kw).fit(X, y)
        b = PriorBoostClassifier(scale=once, **kw).fit(X, y)
        assert a.scale_ == b.scale_ and a.members_[0][:3] == b.members_[0][:3]
        assert (a.cv_results_ is None) == (b.cv_results_ is None)
        if a.cv_results_ is not None:
            assert a.cv_results_["params"] == b.cv_results_["params"]
        np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_scales_given_as_an_array_are_that_list():
    # np.linspace(0, 1, 3) was refused: "scale=array([0. , 0.5, 1. ]) is invalid"
    X, y = _data()
    kw = dict(prior=LogisticRegression(), booster_params={"n_estimators": 10}, cv=3,
              random_state=0)  # fmt: skip
    listed = PriorBoostClassifier(scale=[0.0, 0.5, 1.0], **kw).fit(X, y)
    for scale in (np.linspace(0, 1, 3), pd.Series([0, 0.5, 1.0])):
        model = PriorBoostClassifier(scale=scale, **kw).fit(X, y)
        assert model.cv_results_["params"] == listed.cv_results_["params"]
        np.testing.assert_array_equal(model.predict_proba(X), listed.predict_proba(X))
    with pytest.raises(ValueError, match=r"scale=array\(\[\[0\. , 0\.5\]\]\) is invalid"):
        PriorBoostClassifier(scale=np.array([[0, 0.5]]), **kw).fit(X, y)
    # NumPy holds "prior" and numbers in one array as text: the message named no entry
    with pytest.raises(
        ValueError, match=r"entry '0' is text .* give a list: scale=\['prior', 0\.0, 0\.1\]"
    ):
        PriorBoostClassifier(scale=np.array(["prior", 0, 0.1]), **kw).fit(X, y)
    for scale, entry in (([0, -1], "-1"), ([0, [1, 2]], r"\[1, 2\]"), ([0, None], "None")):
        # a ragged list raised NumPy's "inhomogeneous shape" while naming the entry
        with pytest.raises(ValueError, match=rf"is invalid: use .* Its entry {entry} is not one"):
            PriorBoostClassifier(scale=scale, **kw).fit(X, y)


def test_scales_in_a_pandas_float32_array_are_read_as_written():
    # pd.array([0.1, 0.5], dtype="Float32") searched 0.10000000149011612 (NumPy's float32
    # scales were read as written); a missing entry was "not one", as if a wrong value
    X, y = _data(n=60)
    kw = dict(prior=LogisticRegression(), booster_params={"n_estimators": 3}, cv=2)
    scale = pd.array([0.1, 0.5], dtype="Float32")
    model = PriorBoostClassifier(scale=scale, **kw).fit(X, y)
    assert sorted({p["scale"] for p in model.cv_results_["params"]}) == [0.1, 0.5]
    for scale in (pd.array([0.1, None], dtype="Float32"), np.array([0.1, np.nan], "float32")):
        with pytest.raises(ValueError, match=r"is invalid: .* Its entry (<NA>|nan) is missing"):
            PriorBoostClassifier(scale=scale, **kw).fit(X, y)


def test_mixed_dataframe_with_text_labels(mixed_frame):
    X, y = mixed_frame
    for booster in ("xgboost", "lightgbm"):
        model = PriorBoostClassifier(booster=booster, random_state=0).fit(X, y)
        assert list(model.classes_) == ["no", "yes"]
        assert list(model.feature_names_in_) == ["age", "income", "city", "job"]
        new = X.head(5).copy()
        new["job"] = ["astronaut", None, "nurse", "clerk", "pilot"]  # unseen value
        proba = model.predict_proba(new)
        assert proba.shape == (5, 2) and np.isfinite(proba).all()
        assert (model.predict(X) == y).mean() > 0.8


def test_pickle_clone_and_grid_search(mixed_frame):
    X, y = mixed_frame
    model = PriorBoostClassifier(scale=0.3, random_state=0).fit(X, y)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))
    fresh = clone(model)
    assert fresh.get_params() == model.get_params() and not hasattr(fresh, "booster_")
    grid = GridSearchCV(
        PriorBoostClassifier(random_state=0),
        {"scale": [0.0, 1.0], "booster": ["xgboost", "lightgbm"]},
        cv=3,
        scoring="roc_auc",
    ).fit(X, y)
    assert grid.best_params_["scale"] in (0.0, 1.0)
    assert grid.predict_proba(X).shape == (len(X), 2)


def test_a_metric_given_as_scoring_is_refused_before_the_prior_is_fitted():
    # scoring=roc_auc_score (a metric, not a scorer) failed after the prior's and the
    # trees' fits with "TypeError: too many positional arguments"
    X, y = _data(n=40)
    model = PriorBoostClassifier(BadPrior("never fitted"), scoring=roc_auc_score, cv=3)
    said = r"scoring=roc_auc_score cannot be called as scorer\(estimator, X, y\)"
    with pytest.raises(TypeError, match=said + r".* give make_scorer\(roc_auc_score\)"):
        model.fit(X, y)
    model.set_params(prior=None, scoring=make_scorer(roc_auc_score), scale=[0, 1.0])
    assert model.fit(X, y).cv_results_["mean_test_score"].max() > 0.5


@pytest.mark.parametrize(
    "params, match",
    [
        ({"scale": -1}, "scale=-1"),
        ({"scale": "big"}, "scale='big'"),
        ({"scale": [0.1, "x"]}, "scale="),
        ({"booster": "catboost"}, "booster='catboost'"),
        ({"cv": 1}, "cv must be"),
        ({"n_trials": -2}, "n_trials"),
        ({"booster_params": "fast"}, "booster_params"),
        ({"device": "gpu"}, "device"),
        ({"device": "cuda", "booster_params": {"device": "cpu"}}, "device='cuda' sets"),
        # LightGBM's other name for device_type: device_type='cpu' would win, silently
        (
            {"booster": "lightgbm", "device": "cpu", "booster_params": {"device": "gpu"}},
            "sets lightgbm device_type='cpu', but booster_params has device='gpu'",
        ),
    ],
)
def test_invalid_parameters(params, match):
    X, y = _data(n=40)
    with pytest.raises(ValueError, match=match):
        PriorBoostClassifier(**params).fit(X, y)


def test_one_device_reaches_the_prior_and_both_boosters(monkeypatch):
    from llmboost import BundledPFNPrior, PFNBoostClassifier
    from llmboost.boosters import LightGBMBooster

    monkeypatch.setattr(LightGBMBooster, "has_cuda", staticmethod(lambda: True))

    X, y = _data(n=60)
    prior = BundledPFNPrior(n_ensemble=1)  # its own default device is "cpu"
    model = PFNBoostClassifier(prior=prior, scale=0.5, device="cpu", random_state=0).fit(X, y)
    assert model.prior_.device == "cpu" and model.booster_.params["device"] == "cpu"
    assert prior.device == "cpu" and not hasattr(prior, "classes_")  # a clone was set
    plain = PFNBoostClassifier(prior=prior, scale=0.5, random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(X), plain.predict_proba(X))
    lgb = PriorBoostClassifier(booster="lightgbm", scale=0.5, device="cuda:1")
    assert lgb._booster_params() == {"device_type": "cuda", "gpu_device_id": 1}
    assert lgb._prior_on_device(lgb._resolve_prior(y)).get_params().get("device") is None
    # "auto" on a machine whose XGBoost has no CUDA (or no GPU): the trees stay on the CPU
    from llmboost.boosters import XGBoostBooster

    auto = PriorBoostClassifier(device="auto", booster_params={"max_depth": 3})
    gpu = XGBoostBooster.has_cuda() and __import__("torch").cuda.is_available()
    assert auto._booster_params() == {"max_depth": 3, "device": "cuda" if gpu else "cpu"}
    assert PriorBoostClassifier(booster_params={"device": "cuda"})._booster_params() == {
        "device": "cuda"
    }


def test_a_torch_device_is_taken_as_its_name(monkeypatch):
    torch = pytest.importorskip("torch")
    from llmboost.boosters import LightGBMBooster

    monkeypatch.setattr(LightGBMBooster, "has_cuda", staticmethod(lambda: True))
    # the parameter check refused it: "device must be 'auto', ..., got device(type='cuda')"
    lgb = PriorBoostClassifier(booster="lightgbm", device=torch.device("cuda:1"))
    assert lgb._booster_params() == {"device_type": "cuda", "gpu_device_id": 1}
    xgb = PriorBoostClassifier(device=torch.device("cpu"), booster_params={"max_depth": 3})
    assert xgb._booster_params() == {"max_depth": 3, "device": "cpu"}
    X, y = _data(n=40)
    with pytest.raises(ValueError, match=r"device must be .*, got device\(type='mps'\)"):
        PriorBoostClassifier(device=torch.device("mps")).fit(X, y)


def test_input_errors():
    X, y = _data(n=40)
    model = PriorBoostClassifier(scale=0.5, cv=3)
    with pytest.raises(ValueError, match="single class"):
        model.fit(X, np.zeros(40))
    with pytest.raises(ValueError, match=r"y contains NaN or infinity \(rows \[3\]\)"):
        model.fit(X, np.where(np.arange(40) == 3, np.nan, y))
    with pytest.raises(ValueError, match="y contains NaN or infinity"):
        model.fit(X, np.where(np.arange(40) == 3, np.inf, y))
    with pytest.raises(ValueError, match="X has 40 rows, y has 39"):
        model.fit(X, y[:-1])
    with pytest.raises(ValueError, match="at least 1 sample"):
        model.fit(X.iloc[:0], y[:0])
    with pytest.raises(ValueError, match="'f2' contains infinity"):
        model.fit(X.assign(f2=np.inf), y)
    with pytest.raises(TypeError, match="prior must be"):
        PriorBoostClassifier(prior="gpt").fit(X, y)
    with pytest.raises(
        ValueError,
        match=r"PriorBoostClassifier needs a classification prior, but "
        r"SklearnPrior\(LinearRegression\) is a regression prior; pass a classifier",
    ):
        PriorBoostClassifier(prior=LinearRegression()).fit(X, y)


def test_predict_columns_must_match_fit():
    X, y = _data(n=60)
    model = PriorBoostClassifier(scale=0.5, cv=3).fit(X, y)
    with pytest.raises(ValueError, match="Feature names unseen at fit time"):
        model.predict(X.rename(columns={"f0": "g0"}))
    with pytest.raises(ValueError, match="must be in the same order"):
        model.predict(X[list(reversed(X.columns))])
    with pytest.raises(
        ValueError, match="X has 5 features, but PriorBoostClassifier is expecting 6"
    ):
        model.predict(X.to_numpy()[:, :5])


def test_reordered_columns_are_named_with_their_first_difference():
    # scikit-learn's message said only "must be in the same order as they were in fit"
    X, y = _data(n=60)
    model = PriorBoostClassifier(scale=0, cv=3, booster_params={"n_estimators": 2}).fit(X, y)
    swapped = X[["f0", "f1", "f3", "f2", "f4", "f5"]]
    with pytest.raises(ValueError) as error:
        model.predict(swapped)
    assert str(error.value).endswith(
        "\nX has fit's columns in another order: column 2 is 'f3', fit's is 'f2'. Select "
        "them in fit's order, e.g. X[model.feature_names_in_]."
    )
    assert "must be in the same order" in str(error.value)
    with pytest.raises(ValueError, match=r"(?s)eval_set \(X_val, y_val\): .*column 2 is 'f3'"):
        model.fit(X, y, eval_set=(swapped, y))
    np.testing.assert_array_equal(model.predict(swapped[model.feature_names_in_]), model.predict(X))


@pytest.mark.parametrize(
    "output, match", [("shape", r"shape \(\d+, 3\); expected"), ("nan", "non-finite")]
)
def test_bad_prior_output(output, match):
    X, y = _data(n=60)
    with pytest.raises(ValueError, match=f"BadPrior.oof_logits returned {match}"):
        PriorBoostClassifier(prior=BadPrior(output), scale=1.0, cv=3).fit(X, y)


class MaskingPrior(Prior):
    """Rules class 2 out with a huge negative logit (class 2 does occur)."""

    def __init__(self, mask=-1e9):
        self.mask = mask

    def _fit(self, X, y):
        pass

    def _logits(self, X):
        z = np.zeros((len(X), 3))
        z[:, 0], z[:, 2] = X["f0"].to_numpy(), self.mask
        return z


def test_logits_beyond_the_limit_are_clipped_to_it():
    # a mask of -1e300 on a class among the labels overflowed in the search (-inf scores,
    # NaN spreads and another scale than -1e9 gave); both now give the same model
    X, y = _data(n_classes=3, n=150)
    kwargs = dict(booster_params={"n_estimators": 5}, cv=3, random_state=0)
    reference = PriorBoostClassifier(MaskingPrior(-MAX_LOGIT), **kwargs).fit(X, y)
    for mask in (-1e300, -1.7e308):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            model = PriorBoostClassifier(MaskingPrior(mask), **kwargs).fit(X, y)
            proba = model.predict_proba(X)
        assert model.scale_ == reference.scale_
        np.testing.assert_array_equal(
            model.cv_results_["mean_test_score"], reference.cv_results_["mean_test_score"]
        )
        np.testing.assert_array_equal(proba, reference.predict_proba(X))


@pytest.mark.parametrize("estimator", [PriorBoostClassifier, PriorBoostRegressor])
def test_a_fixed_scale_whose_margin_overflows_is_refused(estimator):
    # scale=1e300 gave infinite predictions (XGBoost keeps its starting margin as
    # float32), while the search scores such a scale -inf and leaves it out
    X, y = _data(n=80)
    if estimator is PriorBoostRegressor:
        X, y = make_regression(n_samples=80, n_features=4, random_state=0)
    what = "logit" if estimator is PriorBoostClassifier else "distance from the target's mean"
    kwargs = dict(booster_params={"n_estimators": 5}, cv=3, random_state=0)
    with pytest.raises(
        ValueError,
        match=rf"scale=1e\+300 times the prior's largest out-of-fold {what} \([0-9.]+\) "
        r"overflows the trees' starting margin \(at most 3.403e\+38, float32's largest\): "
        "the predictions are infinite. Give a smaller",
    ):
        estimator(scale=1e300, **kwargs).fit(X, y)
    for searched in (dict(scale=1e300, n_trials=2), dict(scale=[1e300, 1e299])):
        with pytest.raises(ValueError, match=r"scale=1e\+(300|299) times the prior's largest"):
            estimator(**searched, **kwargs).fit(X, y)  # a search with no other scale
    model = estimator(scale=1e10, **kwargs).fit(X, y)  # large, but finite
    assert np.isfinite(model.predict(X)).all()
    model = estimator(scale=[1e300, 1.0], **kwargs).fit(X, y)
    assert model.scale_ == 1.0


@pytest.mark.parametrize("estimator", [PriorBoostClassifier, PriorBoostRegressor])
def test_lightgbm_refuses_and_leaves_out_a_scale_past_float32_as_xgboost_does(estimator):
    # LightGBM keeps its starting margin as float64: scale=1e300 was refused with XGBoost
    # only; with LightGBM the classifier kept it (scoring="roc_auc" is scale-free) and
    # predicted probabilities of exactly 0 and 1 on all 80 rows, the regressor 1e300s
    X, y = _data(n=80)
    kwargs = dict(booster="lightgbm", booster_params={"n_estimators": 5}, cv=3, random_state=0)
    if estimator is PriorBoostRegressor:
        X, y = make_regression(n_samples=80, n_features=4, random_state=0)
    else:
        kwargs["scoring"] = "roc_auc"
    with pytest.raises(ValueError, match=r"scale=1e\+300 times .* overflows the trees' "):
        estimator(scale=1e300, **kwargs).fit(X, y)
    model = estimator(scale=[1e300, 1.0], **kwargs).fit(X, y)
    huge = model.cv_results_["param_scale"] == 1e300
    assert np.all(model.cv_results_["mean_test_score"][huge] == -np.inf)
    assert model.scale_ == 1.0
    if estimator is PriorBoostClassifier:
        proba = model.predict_proba(X)
        assert np.all((proba > 0) & (proba < 1))
    assert estimator(scale=1e30, **kwargs).fit(X, y).scale_ == 1e30  # within float32


@pytest.mark.parametrize("scoring", ["r2", "neg_root_mean_squared_error"])
def test_a_scorer_that_overflows_scores_the_candidate_minus_infinity_in_silence(scoring):
    # scale=[1e200, 1.0, "prior"] warned "overflow encountered in square" from inside
    # scikit-learn (the prior alone at scale 1e200 has errors near 1e200), where the
    # search's own loss scores such a margin -inf without a word
    X, y = make_regression(n_samples=60, n_features=4, noise=1.0, random_state=0)
    kwargs = dict(booster_params={"n_estimators": 5}, cv=3, random_state=0, scoring=scoring)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = PriorBoostRegressor(scale=[1e200, 1.0, "prior"], **kwargs).fit(X, y)
    results = model.cv_results_
    huge = np.array([s == 1e200 for s in results["param_scale"]])
    assert (results["param_n_rounds"][huge] == 0).sum() == 1  # the prior alone, and trees
    for key in ("mean_test_score", "split0_test_score", "split2_test_score"):
        assert np.all(results[key][huge] == -np.inf), key
    assert np.isfinite(results["mean_test_score"][~huge]).all()
    assert model.scale_ == 1.0


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("estimator", [PriorBoostClassifier, PriorBoostRegressor])
def test_new_rows_whose_starting_margin_overflows_are_refused_at_predict(library, estimator):
    # only the training rows were checked: fitted at scale=1e36 on logits within +-4, a
    # row whose logit is 1000 got probabilities [0, 1] from an infinite margin (XGBoost)
    # or a margin of 1e39 (LightGBM), and a regressor predicted inf or 1e39
    X, y = _data(n=80)
    task = "classification" if estimator is PriorBoostClassifier else "regression"
    y = y if task == "classification" else 2 * X["f0"].to_numpy()
    kwargs = dict(booster=library, booster_params={"n_estimators": 5}, cv=3, random_state=0)
    model = estimator(FirstColumnPrior(task), scale=1e36, **kwargs).fit(X, y)
    new = X.head(3).copy()
    new.loc[1, "f0"] = 1e3
    with pytest.raises(
        ValueError,
        match=r"scale=1e\+36 times the prior's (logits|distances from the target's mean) "
        r"on 1 of 3 rows \(rows \[1\], largest 1000\) overflows the starting margin "
        r"\(past 3.403e\+38, float32's largest\): their predictions would be infinite",
    ):
        model.predict(new)
    margin = model.decision_function(X) if task == "classification" else model.predict(X)
    assert np.isfinite(margin).all()


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("estimator", [PriorBoostClassifier, PriorBoostRegressor])
def test_eval_set_rows_whose_starting_margin_overflows_are_refused_at_fit(library, estimator):
    # predict refused such rows, but early stopping scored them in silence (an infinite
    # margin with XGBoost, 1e39 with LightGBM, whose regressor kept 25 rounds, not 30); a scale
    # past float64 gave numpy's overflow warning before the refusal of the scale
    X, y = _data(n=80)
    task = "classification" if estimator is PriorBoostClassifier else "regression"
    y = y if task == "classification" else 2 * X["f0"].to_numpy()
    X_val = X.head(20).copy()
    X_val.loc[X_val.index[1], "f0"] = 1e3
    params = {"n_estimators": 30, "early_stopping_rounds": 3}
    kwargs = dict(booster=library, booster_params=params, cv=3, random_state=0)
    model = estimator(FirstColumnPrior(task), scale=1e36, **kwargs)
    with pytest.raises(
        ValueError,
        match=r"scale=1e\+36 times the prior's .* on 1 of 20 eval_set rows \(rows \[1\], "
        r"largest 1000\) overflows the starting margin \(past 3.403e\+38, float32's "
        r"largest\): early stopping's scores would be infinite",
    ):
        model.fit(X, y, eval_set=(X_val, y[:20]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warning before the error
        with pytest.raises(ValueError, match=r"^scale=1e\+300 times the prior's largest out-of"):
            model.set_params(scale=1e300).fit(X, y, eval_set=(X_val, y[:20]))


def test_the_prior_alone_refuses_new_rows_past_float64_at_predict():
    # a scorer that prefers large predictions keeps the prior alone at scale=1e300 (its
    # trees are past float32); a row whose distance from the mean is 1e10 predicted inf
    X, _ = _data(n=80)
    y = 2 * X["f0"].to_numpy()

    def largest_prediction(estimator, X, y):
        return float(np.max(estimator.predict(X)))

    kwargs = dict(booster_params={"n_estimators": 5}, cv=3, random_state=0)
    model = PriorBoostRegressor(
        FirstColumnPrior("regression"), scale=[1e300, "prior"], scoring=largest_prediction, **kwargs
    ).fit(X, y)
    assert [(m.scale, m.n_rounds) for m in model.members_] == [(1e300, 0)]
    new = X.head(2).copy()
    new.loc[0, "f0"] = 1e10
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warning before the error
        with pytest.raises(ValueError, match=r"rows \[0\], .*past float64's largest\)"):
            model.predict(new)


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("estimator", [PriorBoostClassifier, PriorBoostRegressor])
def test_a_scale_that_overflows_float64_is_left_out_and_refused_without_warnings(
    library, estimator
):
    # with a training row's logit at 1e9, scale=1e300 overflows float64 itself: the search
    # and the refit warned "overflow encountered in multiply" before leaving it out
    # (or refusing it, fixed)
    X, y = _data(n=80)
    task = "classification" if estimator is PriorBoostClassifier else "regression"
    y = y if task == "classification" else 2 * X["f1"].to_numpy()
    X.loc[3, "f0"] = 1e9
    kwargs = dict(booster=library, booster_params={"n_estimators": 5}, cv=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = estimator(FirstColumnPrior(task), scale=[1e300, 1.0, "prior"], **kwargs).fit(X, y)
        with pytest.raises(ValueError, match=r"scale=1e\+300 times the prior's largest"):
            estimator(FirstColumnPrior(task), scale=1e300, **kwargs).fit(X, y)
    huge = np.array([s == 1e300 for s in model.cv_results_["param_scale"]])
    assert np.all(model.cv_results_["mean_test_score"][huge] == -np.inf)
    assert model.scale_ == 1.0


@pytest.mark.parametrize("estimator", [PriorBoostClassifier, PriorBoostRegressor])
def test_a_scale_that_overflows_scores_minus_infinity_beside_rows_of_weight_zero(estimator):
    # with a row of weight 0 in every fold, scale=1e300 scored NaN instead of -inf (its
    # infinite loss times the weight 0) and numpy warned "invalid value encountered in
    # multiply"
    X, y = _data(n=90)
    y = y if estimator is PriorBoostClassifier else 3 * X["f0"].to_numpy()
    weight = np.where(np.arange(90) % 7 == 0, 0.0, 1.0)
    kwargs = dict(booster_params={"n_estimators": 5}, cv=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = estimator(scale=[1e300, 1.0], **kwargs).fit(X, y, sample_weight=weight)
    results = model.cv_results_
    huge = results["param_scale"] == 1e300
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        assert np.all(results[key][huge] == -np.inf), key
    assert np.isfinite(results["mean_test_score"][~huge]).all()
    assert model.scale_ == 1.0


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("huge", [1e39, 1e300])
def test_an_overflowing_scale_is_left_out_when_its_infinite_margins_have_the_right_sign(
    library, huge
):
    # with a prior that separates the classes, an infinite margin of the right sign has
    # log loss 0: the search kept scale=1e39 (or 1e300) and the fit then refused it,
    # telling the user to add smaller scales to the search, which already held 1.0
    X, _ = _data(n=90)
    y = (X["f0"] > 0).astype(int)
    kwargs = dict(booster=library, booster_params={"n_estimators": 5}, cv=3, random_state=0)
    model = PriorBoostClassifier(FirstColumnPrior(), scale=[huge, 1.0], **kwargs).fit(X, y)
    results = model.cv_results_
    past = results["param_scale"] == huge
    assert np.all(results["mean_test_score"][past] == -np.inf)
    assert np.all(results["ensemble_weight"][past] == 0)
    assert model.scale_ == 1.0 and np.isfinite(model.decision_function(X)).all()


def test_the_prior_alone_past_float64_is_left_out_by_the_search():
    # with a training row's logit at 1e9, the prior alone at scale=1e300 is infinite
    # there, which had log loss 0 for a row of its sign's class: the search gave it half
    # the weight (scale_ 5e299) and predict then refused the training rows
    X, _ = _data(n=90)
    y = (X["f0"] > 0).astype(int)
    X.loc[int(np.flatnonzero(y)[0]), "f0"] = 1e9
    kwargs = dict(booster_params={"n_estimators": 5}, cv=3, random_state=0)
    model = PriorBoostClassifier(FirstColumnPrior(), scale=[1e300, 1.0, "prior"], **kwargs).fit(
        X, y
    )
    results = model.cv_results_
    huge = np.array([s == 1e300 for s in results["param_scale"]])
    assert np.all(results["mean_test_score"][huge] == -np.inf)
    assert np.all(results["ensemble_weight"][huge] == 0)
    assert model.scale_ <= 1.0 and np.isfinite(model.decision_function(X)).all()


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_a_target_beyond_float32_keeps_its_trees(library):
    # the trees train on the target in its own unit, so a regression target near 1e100
    # starts them within float32; read on the target's scale, every starting margin was
    # past float32 and the search kept the prior alone
    X, y = make_regression(n_samples=90, n_features=4, noise=1.0, random_state=0)
    kwargs = dict(booster=library, booster_params={"n_estimators": 10}, cv=3, random_state=0)
    small = PriorBoostRegressor(scale=[0.5, 1.0], **kwargs).fit(X, y)
    big = PriorBoostRegressor(scale=[0.5, 1.0], **kwargs).fit(X, 1e100 * y)
    assert np.isfinite(big.cv_results_["mean_test_score"]).all()
    assert [m[:2] for m in big.members_] == [m[:2] for m in small.members_]
    # the same trees up to float rounding of the target in its unit
    np.testing.assert_allclose(big.predict(X) / 1e100, small.predict(X), rtol=1e-4)


@pytest.mark.parametrize("scoring", ["r2", "neg_mean_squared_error"])
def test_a_scorer_that_overflows_on_every_candidate_is_refused(scoring):
    # with a target near 1e160 every squared error overflows: each candidate scored -inf
    # and the search kept the prior alone as if it had won (scoring="r2" said "scored
    # NaN", blaming the folds, after numpy's "overflow encountered in square")
    X, y = make_regression(n_samples=60, n_features=4, noise=1.0, random_state=0)
    kwargs = dict(booster_params={"n_estimators": 5}, cv=3, random_state=0, scoring=scoring)
    model = PriorBoostRegressor(scale=[0.5, 1.0, "prior"], **kwargs)
    with pytest.raises(
        ValueError,
        match=rf"^scoring='{scoring}' overflowed on every candidate: its arithmetic passed "
        r"float64's largest value \(1.8e308; .*use scoring=None",
    ):
        model.fit(X, 1e160 * y)
    assert PriorBoostRegressor(scale=[0.5, 1.0], cv=3, random_state=0).fit(X, 1e160 * y)


class ShortPrior(Prior):
    """Drops the last row of every batch it scores."""

    def _fit(self, X, y):
        pass

    def _logits(self, X):
        return np.zeros((len(X) - 1, 2))


def test_a_prior_returning_too_few_rows_is_named():
    X, y = _data(n=60)
    with pytest.raises(
        ValueError, match=r"ShortPrior\._logits returned shape \(19, 2\) for 20 rows"
    ):
        ShortPrior().oof_logits(
            X, y, [(np.arange(20, 60), np.arange(20)), (np.arange(20), np.arange(20, 60))]
        )
    with pytest.raises(
        ValueError, match=r"ShortPrior\._logits returned shape \(\d+, 2\) for \d+ rows"
    ):
        PriorBoostClassifier(prior=ShortPrior(), scale=1.0, cv=3).fit(X, y)


class RenamedPrior(ShortPrior):
    """Stores its constructor argument under another name: scikit-learn cannot clone it."""

    def __init__(self, k=3):
        self.kk = k


class ChangedPrior(ShortPrior):
    """Changes its constructor argument: scikit-learn's clone refuses it."""

    def __init__(self, k=3):
        self.k = k + 1


@pytest.mark.parametrize("prior", [RenamedPrior(), ChangedPrior()])
def test_a_prior_that_does_not_keep_its_arguments_is_named_with_the_fix(prior):
    X, y = _data(n=30)
    name = type(prior).__name__
    match = rf"{name} cannot be cloned: .*store each argument of __init__ as it is under its own"
    with pytest.raises(TypeError, match=match):
        PriorBoostClassifier(prior=prior, scale=1.0, cv=3).fit(X, y)
    with pytest.raises(TypeError, match=match):
        prior.oof_logits(
            X, y, [(np.arange(15, 30), np.arange(15)), (np.arange(15), np.arange(15, 30))]
        )


@pytest.mark.parametrize("prior", [SklearnPrior(LogisticRegression()), ShortPrior()])
def test_folds_that_test_some_rows_nowhere_are_refused(prior):
    # TimeSeriesSplit never tests its first rows: they came back as uninitialised memory
    from sklearn.model_selection import TimeSeriesSplit

    X, y = _data(n=60)
    folds = list(TimeSeriesSplit(3).split(X))
    with pytest.raises(ValueError, match=r"rows \[0, 1, 2, 3, 4\] \(15 of 60\) are in no test set"):
        prior.oof_logits(X, y, folds)


class CopyingPrior(Prior):
    """Scores each fold from a pickled copy of it, as a prior that sends its folds to
    worker processes (joblib) does."""

    def _fit(self, X, y):
        self.model_ = LogisticRegression().fit(X, y)

    def _logits(self, X):
        return self.model_.predict_log_proba(X)

    def _oof_logits(self, X, y, folds):
        out = np.zeros((len(X), 2))
        for fold in folds:
            train, test = copy.deepcopy(pickle.loads(pickle.dumps(fold)))
            out[test] = (
                LogisticRegression().fit(X.iloc[train], y[train]).predict_log_proba(X.iloc[test])
            )
        return out


def test_a_prior_s_own_oof_logits_can_pickle_and_copy_its_folds():
    # the folds came as a tuple subclass that pickle and deepcopy could not rebuild
    # ("Fold.__new__() missing 2 required positional arguments"), so a prior scoring its
    # folds in joblib's worker processes failed
    X, y = _data(n=60)
    folds = [(np.arange(30, 60), np.arange(30)), (np.arange(30), np.arange(30, 60))]
    reference = SklearnPrior(LogisticRegression(), preprocess=False).oof_logits(X, y, folds)
    # the same fits on the same rows: equal up to float rounding
    np.testing.assert_allclose(CopyingPrior().oof_logits(X, y, folds), reference, atol=1e-9)


def test_a_class_only_in_rows_no_split_tests_is_warned_about():
    # TimeSeriesSplit never tests its first rows; a class only there got its out-of-fold
    # logits from a prior that never saw it (about -16 for its own class), without a word
    from sklearn.model_selection import KFold, TimeSeriesSplit

    X, y = _data(n=60)
    y = np.where(y == 1, "a", "b").astype(object)
    y[[2, 5]] = "c"
    kwargs = dict(scale=1.0, booster_params={"n_estimators": 5}, random_state=0)
    match = (
        r"cv: class 'c' is only in rows \[2, 5\] \(2 rows\), which no split tests: .* "
        r"Use other folds, whose test parts hold rows of every class"
    )
    with pytest.warns(UserWarning, match=match):
        PriorBoostClassifier(cv=TimeSeriesSplit(3), **kwargs).fit(X, y)
    y[5], y[25] = "a", "c"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        PriorBoostClassifier(cv=KFold(3), **kwargs).fit(X, y)  # every row tested
        y[25] = "a"  # a class of one row: left out of the test parts of an integer cv
        PriorBoostClassifier(cv=3, **kwargs).fit(X, y)


def test_a_cuda_device_torch_cannot_see_is_refused_by_name(monkeypatch):
    import torch

    from llmboost import BundledPFNPrior, PFNBoostClassifier
    from llmboost.boosters import XGBoostBooster

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(XGBoostBooster, "has_cuda", staticmethod(lambda: True))  # torch's turn
    X, y = _data(n=40)
    model = PFNBoostClassifier(BundledPFNPrior(n_ensemble=1), device="cuda:0", scale=1.0, cv=3)
    with pytest.raises(ValueError, match=r"device='cuda:0', but this torch .* sees no CUDA GPU"):
        model.fit(X, y)


def test_a_cuda_device_with_an_xgboost_without_cuda_is_refused(monkeypatch):
    # the trees ran on the CPU, with XGBoost's "Device is changed from GPU to CPU" per fit
    from llmboost.boosters import XGBoostBooster

    monkeypatch.setattr(XGBoostBooster, "has_cuda", staticmethod(lambda: False))
    X, y = _data(n=40)
    for device in ("cuda", "cuda:1"):
        model = PriorBoostClassifier(scale=0, device=device)
        with pytest.raises(ValueError, match=rf"device='{device}', but this XGBoost is built"):
            model.fit(X, y)
    auto = PriorBoostClassifier(scale=0, device="auto", booster_params={"n_estimators": 3})
    assert auto.fit(X, y).booster_.params["device"] == "cpu"


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_a_cuda_device_without_a_cuda_library_is_taken_where_no_trees_are_fit(monkeypatch, booster):
    # scale="prior" was refused: "this XGBoost is built without CUDA ... its trees would
    # run on the CPU", though that setting fits no trees
    from sklearn.linear_model import LogisticRegression

    from llmboost.boosters import BOOSTERS

    monkeypatch.setattr(BOOSTERS[booster], "has_cuda", staticmethod(lambda: False))
    X, y = _data(n=40)
    prior = SklearnPrior(LogisticRegression())
    model = PriorBoostClassifier(prior, booster=booster, scale="prior", device="cuda")
    plain = PriorBoostClassifier(prior, booster=booster, scale="prior").fit(X, y)
    np.testing.assert_array_equal(model.fit(X, y).predict_proba(X), plain.predict_proba(X))
    with pytest.raises(ValueError, match=r"device='cuda', but this (XGBoost|LightGBM)"):
        PriorBoostClassifier(prior, booster=booster, scale=[0.5, "prior"], device="cuda").fit(X, y)


def test_a_cuda_device_with_a_lightgbm_without_cuda_is_refused_before_any_fit(monkeypatch):
    # every fit failed with "CUDA Tree Learner was not enabled in this build", after the
    # prior's out-of-fold scores (minutes for a language model)
    from llmboost.boosters import LightGBMBooster

    monkeypatch.setattr(LightGBMBooster, "has_cuda", staticmethod(lambda: False))
    X, y = _data(n=40)
    prior = BadPrior("shape")  # its out-of-fold scores would fail: never reached
    model = PriorBoostClassifier(prior, booster="lightgbm", scale=0.5, device="cuda")
    with pytest.raises(ValueError, match=r"device='cuda', but this LightGBM cannot train on"):
        model.fit(X, y)
    auto = PriorBoostClassifier(booster="lightgbm", scale=0, device="auto")
    assert auto.fit(X, y).booster_.params["device_type"] == "cpu"


def test_lightgbm_cuda_is_probed_by_one_round_on_cuda(monkeypatch):
    import lightgbm as lgb

    from llmboost._library_params import lightgbm_has_cuda

    seen = []

    def train(params, data, rounds):
        seen.append((params["device_type"], rounds))
        if not cuda:
            raise lgb.basic.LightGBMError("CUDA Tree Learner was not enabled in this build.")

    monkeypatch.setattr(lgb, "train", train)
    for cuda in (False, True):
        lightgbm_has_cuda.cache_clear()
        assert lightgbm_has_cuda() is cuda
    assert seen == [("cuda", 1), ("cuda", 1)]
    lightgbm_has_cuda.cache_clear()


def test_tuning_at_scale_0_never_calls_the_prior():
    # its out-of-fold scores were computed on every fold and thrown away (no candidate
    # reads them): the costliest step with a language model, and a failing prior failed
    X, y = _data(n=60)
    model = PriorBoostClassifier(BadPrior("shape"), scale=0, n_trials=2, cv=3, random_state=0)
    assert model.fit(X, y).prior_ is None and len(model.cv_results_["params"]) == 2


def test_the_single_class_error_shows_the_label_as_written():
    X, _ = _data(n=40)
    with pytest.raises(ValueError, match=r"y has a single class \(0\.0\)"):
        PriorBoostClassifier().fit(X, np.zeros(40))


def test_too_few_rows_for_folds_name_the_scales_that_need_none():
    X, _ = _data(n=3)
    y = np.array([0, 1, 1])  # class 0 has one row: no fold can test it
    with pytest.raises(ValueError, match=r"class counts are \{0: 1, 1: 2\}.*scale='prior'"):
        PriorBoostClassifier(scale=1.0).fit(X, y)
    for scale in ("prior", 0):  # the two that need no cross-validation
        assert PriorBoostClassifier(scale=scale).fit(X, y).predict(X).shape == (3,)


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("rounds", [0, -3, 2.5, True])
def test_boosting_rounds_below_one_are_refused_before_fitting(booster, rounds):
    X, y = _data(n=40)
    model = PriorBoostClassifier(booster=booster, booster_params={"n_estimators": rounds})
    with pytest.raises(ValueError, match=rf"booster_params n_estimators={rounds!r}: the trees"):
        model.fit(X, y)


def test_a_prior_of_the_other_task_names_a_pipeline_by_its_final_step():
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _data(n=40)
    with pytest.raises(ValueError) as err:
        PriorBoostClassifier(prior=make_pipeline(StandardScaler(), Ridge())).fit(X, y)
    assert str(err.value) == (
        "PriorBoostClassifier needs a classification prior, but SklearnPrior(Pipeline ending "
        "in Ridge) is a regression prior; pass a classifier or a prior with "
        "task='classification'."
    )


@pytest.mark.parametrize(
    ("scoring", "labels", "said"),
    [
        ("roc_auc", ["lo", "mid", "hi"], r"multi_class must be in \('ovo', 'ovr'\)"),
        ("f1", ["lo", "mid", "hi"], "Target is multiclass but average='binary'"),
        ("f1", ["no", "yes"], "pos_label=1 is not a valid label"),
    ],
)
def test_a_scorer_that_cannot_score_the_target_is_named_with_what_to_do(scoring, labels, said):
    # scikit-learn's own message came through alone, after every fit of the search, without
    # naming scoring or the scorers that fit the target
    X, y = _data(len(labels), n=60)
    model = PriorBoostClassifier(booster_params={"n_estimators": 5}, scale=[0, 1], cv=3,
                                 scoring=scoring)  # fmt: skip
    message = rf"^scoring={scoring!r} could not score the search's .*{said}.*roc_auc_ovr.*pos_label"
    with pytest.raises(ValueError, match=message):
        model.fit(X, np.array(labels, dtype=object)[y])


def test_a_probability_scorer_on_a_class_absent_from_a_fold_says_what_to_do():
    # a class of 4 rows with 5 folds: one fold tests none of its rows; scikit-learn's
    # "y_true and y_prob contain different number of classes: 3 vs 4. Please provide the
    # true labels explicitly through the labels argument" came through
    X, y = _data(3, n=120)
    labels = np.array(["lo", "mid", "hi"], dtype=object)[y]
    labels[:4] = "rare"
    model = PriorBoostClassifier(
        LogisticRegression(max_iter=300),
        booster_params={"n_estimators": 10},
        scale=[0, 1, "prior"],
        cv=5,
    )
    message = (
        r"scoring: the scorer failed on a fold whose test rows hold no row of class 'rare' "
        r"\(1 of the 4 classes absent: .*\)\. Use scoring=None .* "
        r"labels=\['hi', 'lo', 'mid', 'rare'\]\)\.$"
    )
    with pytest.raises(ValueError, match=message):
        model.set_params(scoring="neg_log_loss").fit(X, labels)
    told = make_scorer(
        log_loss, response_method="predict_proba", greater_is_better=False,
        labels=["hi", "lo", "mid", "rare"],
    )  # fmt: skip
    assert model.set_params(scoring=told).fit(X, labels).predict_proba(X).shape == (120, 4)


def test_a_prior_written_as_the_guide_says():
    # docs/index.md, "Writing a prior": a regression prior declares task = "regression";
    # one that uses row weights sets supports_sample_weight and takes them in _fit
    class MeanPlusA(Prior):
        task = "regression"

        def _fit(self, X, y):
            self.mean_ = float(y.mean())

        def _logits(self, X):
            return X["f0"].to_numpy() + self.mean_

    class Weighted(Prior):
        supports_sample_weight = True

        def _fit(self, X, y, sample_weight=None):
            self.weight_ = sample_weight

        def _logits(self, X):
            return np.zeros((len(X), len(self.classes_)))

    X, y = _data(n=40)
    target = X["f0"].to_numpy() * 2.0
    model = PriorBoostRegressor(MeanPlusA(), scale="prior").fit(X, target)
    np.testing.assert_array_equal(model.predict(X), X["f0"].to_numpy() + target.mean())
    weight = np.arange(40) + 1.0
    model = PriorBoostClassifier(Weighted(), scale="prior").fit(X, y, sample_weight=weight)
    np.testing.assert_array_equal(model.prior_.weight_, weight)


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
@pytest.mark.parametrize(
    ("key", "hint"),
    [
        ("base_margin", "prior's logits"),
        ("init_score", "prior's logits"),
        ("sample_weight", r"fit\(X, y, sample_weight"),
        ("eval_set", r"fit\(X, y, eval_set"),
    ],
)
def test_fit_data_given_as_a_booster_parameter_is_refused(booster, key, hint):
    # XGBoost warned that it was not used and LightGBM dropped it without a word
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20) % 2
    model = PriorBoostClassifier(scale=0, booster=booster, booster_params={key: 1.0})
    with pytest.raises(ValueError, match=rf"booster_params {key} is not a parameter.*{hint}"):
        model.fit(X, y)


@pytest.mark.parametrize(
    ("key", "hint"),
    [
        ("weight_column", r"fit\(X, y, sample_weight=\.\.\.\)"),
        ("weight", r"fit\(X, y, sample_weight=\.\.\.\)"),
        ("label_column", r"give the target to fit\(X, y\)"),
        ("group", "ranking, which llmboost does not fit"),
    ],
)
def test_lightgbm_columns_of_a_data_file_are_refused(key, hint):
    # LightGBM reads them only from a data file: weight_column="f1" weighed no row (the
    # fit was that without it, f1 a feature), without a word; weight= with a warning
    X, y = _data(n=40)
    params = {key: "f1", "n_estimators": 3}
    model = PriorBoostClassifier(scale=0, booster="lightgbm", booster_params=params)
    with pytest.raises(ValueError, match=rf"^booster_params {key}='f1' names a column .*{hint}"):
        model.fit(X, y)


@pytest.mark.parametrize("params", [{"weight_column": ""}, {"label_column": ""}, {"group": None}])
def test_lightgbm_data_file_columns_at_their_default_are_taken(params):
    # LightGBM's default, no column, as a model file's parameters write it ("[weight_column: ]"),
    # was refused as naming a column
    X, y = _data(n=40)
    model = PriorBoostClassifier(scale=0, booster="lightgbm", booster_params=params)
    assert model.fit(X, y).predict_proba(X).shape == (40, 2)


def test_prior_parameters_of_the_default_prior_say_to_pass_the_prior():
    # an AttributeError ('NoneType' object has no attribute 'set_params') before
    from llmboost import BundledPFNPrior, PFNBoostClassifier

    with pytest.raises(ValueError, match=r"prior=None .*set_params\(prior=BundledPFNPrior\(\)\)"):
        PFNBoostClassifier().set_params(prior__n_ensemble=2)
    with pytest.raises(ValueError, match=r"prior=SklearnPrior\(estimator=LogisticRegression"):
        PriorBoostClassifier().set_params(prior__C=2.0)
    model = PFNBoostClassifier().set_params(prior=BundledPFNPrior(), prior__n_ensemble=2)
    assert clone(model).get_params()["prior__n_ensemble"] == 2
    assert PriorBoostClassifier().set_params(scale=0).get_params()["prior"] is None


def test_a_prior_class_instead_of_an_instance_is_refused_by_name():
    # passed the parameter check, then "TypeError: ... got ABCMeta"
    from llmboost import BundledPFNPrior

    X, y = _data(n=20)
    for prior in (BundledPFNPrior, LogisticRegression):
        model = PriorBoostClassifier(prior, scale=0)
        with pytest.raises(ValueError, match=rf"prior must be .*\(an instance\).*{prior.__name__}"):
            model.fit(X, y)


def test_a_prior_that_does_not_predict_is_refused_as_such():
    # StandardScaler() passed the parameter check, then fit said "TypeError: prior must
    # be a llmboost prior or a scikit-learn estimator, got StandardScaler", which it is
    from sklearn.preprocessing import StandardScaler

    X, y = _data(n=20)
    with pytest.raises(ValueError) as error:
        PriorBoostClassifier(StandardScaler(), scale=0).fit(X, y)
    assert str(error.value) == (
        "PriorBoostClassifier: prior must be a llmboost prior or a scikit-learn classifier "
        "or regressor (an instance) or None, got StandardScaler()."
    )


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_a_nan_booster_parameter_is_refused(booster):
    # XGBoost's learning_rate=nan fitted and predicted NaN probabilities
    X, y = _data(n=20)
    for key in ("learning_rate", "reg_alpha", "subsample"):
        model = PriorBoostClassifier(scale=0, booster=booster, booster_params={key: np.nan})
        with pytest.raises(ValueError, match=rf"booster_params {key}=nan is not a value"):
            model.fit(X, y)
    model = PriorBoostClassifier(scale=0, booster_params={"missing": np.nan, "n_estimators": 3})
    assert np.isfinite(model.fit(X, y).predict_proba(X)).all()


def test_scales_of_any_real_kind_are_read_and_others_refused_by_name():
    # a Fraction and 10**400 raised NumPy's "ufunc 'isfinite' not supported", [0, pd.NA]
    # "boolean value of NA is ambiguous"
    from fractions import Fraction

    X, y = _data(n=20)
    model = PriorBoostClassifier(scale=Fraction(1, 2), booster_params={"n_estimators": 2})
    assert model.fit(X, y).scale_ == 0.5
    for scale in (10**400, [0, pd.NA], [Fraction(1, 2), 10**400]):
        with pytest.raises(ValueError, match=r"scale=.* is invalid: use 'auto', 'prior'"):
            PriorBoostClassifier(scale=scale).fit(X, y)


def test_scales_given_as_decimals_are_read_as_floats():
    # scale=Decimal("0.5") was refused: "is invalid: use 'auto', 'prior', a number >= 0",
    # though booster_params take Decimals (as floats)
    X, y = _data(n=40)
    kw = dict(booster_params={"n_estimators": 2}, cv=2, random_state=0)
    assert PriorBoostClassifier(scale=Decimal("0.5"), **kw).fit(X, y).scale_ == 0.5
    model = PriorBoostClassifier(scale=[Decimal("0.1"), "prior"], **kw).fit(X, y)
    assert list(dict.fromkeys(p["scale"] for p in model.cv_results_["params"])) == [0.1, "prior"]
    with pytest.raises(ValueError, match=r"scale=Decimal\('-1'\) is invalid"):
        PriorBoostClassifier(scale=Decimal("-1")).fit(X, y)


def test_scales_as_decimals_in_an_array_are_read_and_a_bad_entry_named():
    # an array or Series of Decimals was refused ("Its entry 0.5 is not one"), and so was
    # [Decimal("0.5"), -1], naming 0.5, not -1
    X, y = _data(n=40)
    kw = dict(booster_params={"n_estimators": 2}, cv=2, random_state=0)
    scale = pd.Series([Decimal("0.1"), Decimal("0.5")])
    model = PriorBoostClassifier(scale=scale, **kw).fit(X, y)
    assert list(dict.fromkeys(p["scale"] for p in model.cv_results_["params"])) == [0.1, 0.5]
    for scale in ([Decimal("0.5"), -1], np.array([Decimal("0.5"), -1], dtype=object)):
        with pytest.raises(ValueError, match=r"Its entry -1 is not one\.$"):
            PriorBoostClassifier(scale=scale).fit(X, y)


@pytest.mark.parametrize("scale, told", [
    ((Decimal("1E+400"),), r"Its entry Decimal\('1E\+400'\) is beyond the range of floats\.$"),
    ([0, Decimal("-1E+400")], r"Its entry Decimal\('-1E\+400'\) is beyond the range of"),
    (Decimal("1E+400"), r"^scale=Decimal\('1E\+400'\) is invalid: .* It is beyond the range of"),
    ([Decimal("NaN")], r"Its entry Decimal\('NaN'\) is missing: drop it"),
])  # fmt: skip
def test_a_decimal_scale_past_floats_is_named_as_given(scale, told):
    # (Decimal('1E+400'),) was told "Its entry inf is not one", a value never given
    X, y = _data(n=40)
    with pytest.raises(ValueError, match=told):
        PriorBoostClassifier(scale=scale).fit(X, y)


@pytest.mark.parametrize("scale, told", [
    ([Decimal("sNaN")], r"Its entry Decimal\('sNaN'\) is missing: drop it, or give a number\.$"),
    ([0, Decimal("-Infinity")], r"Its entry Decimal\('-Infinity'\) is not one\.$"),
    ((Decimal("-1.5"),), r"Its entry Decimal\('-1\.5'\) is not one\.$"),
    (pd.Series([Decimal("sNaN")]), r"Its entry Decimal\('sNaN'\) is missing: drop it, or "),
])  # fmt: skip
def test_an_invalid_decimal_scale_entry_is_named_as_given(scale, told):
    # [Decimal("sNaN")] raised Python's "cannot convert signaling NaN to float", and
    # [0, Decimal("-Infinity")] was told "Its entry -inf is not one"; a Series of
    # Decimal("sNaN") raised pandas' decimal.InvalidOperation while its repr was written
    X, y = _data(n=40)
    with pytest.raises(ValueError, match=told):
        PriorBoostClassifier(scale=scale).fit(X, y)


@pytest.mark.parametrize("scale, told", [
    (np.timedelta64(1), r"^scale=np\.timedelta64\(1\) is invalid: .* It is a date or duration\.$"),
    (np.timedelta64(3, "s"), r"^scale=np\.timedelta64\(3,'s'\) is invalid: .* It is a date or"),
    ([0.5, np.timedelta64(2)], r"Its entry np\.timedelta64\(2\) is a date or duration, not a"),
    (np.array([1, 2], dtype="m8"), r"It holds dates or durations\.$"),
    (pd.Series(pd.to_timedelta([1, 2], unit="s")), r"It holds dates or durations\.$"),
])  # fmt: skip
def test_a_duration_is_no_scale(scale, told):
    # np.timedelta64(1) was searched as the scale 1.0, [0.5, np.timedelta64(2)] as 0.5
    # and 2.0, and np.timedelta64(3, "s") raised NumPy's "ufunc 'greater' did not contain
    # a loop with signature matching types"
    X, y = _data(n=40)
    with pytest.raises(ValueError, match=told):
        PriorBoostClassifier(scale=scale, booster_params={"n_estimators": 2}, cv=2).fit(X, y)


@pytest.mark.parametrize("metric", ["None", "na", ["custom"]])
def test_lightgbm_no_metric_with_early_stopping_is_refused_before_the_prior(metric):
    # LightGBM failed after the prior and the search: "For early stopping, at least one
    # dataset and eval metric is required for evaluation"
    X, y = _data(n=40)
    model = PriorBoostClassifier(scale=0.5, booster="lightgbm", booster_params={"metric": metric})
    with pytest.raises(ValueError, match=r"^booster_params metric=.* is no metric, but the trees"):
        model.fit(X, y, eval_set=(X, y))
    params = {"metric": metric, "early_stopping_rounds": None, "n_estimators": 3}
    model = PriorBoostClassifier(scale=0.5, booster="lightgbm", booster_params=params, cv=2)
    assert model.fit(X, y, eval_set=(X, y)).predict_proba(X).shape == (40, 2)
    model = PriorBoostClassifier(
        scale="prior", booster="lightgbm", booster_params={"metric": metric}
    )
    assert model.fit(X, y, eval_set=(X, y)).predict_proba(X).shape == (40, 2)  # no trees


def test_score_without_labels_says_they_are_required():
    # score(X, None) raised TypeError "object of type 'NoneType' has no len()"
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20) % 2
    model = PriorBoostClassifier(scale=0, booster_params={"n_estimators": 3}).fit(X, y)
    with pytest.raises(ValueError, match="requires y to be passed, but the target y is None"):
        model.score(X, None)


@pytest.mark.parametrize(
    "value, shown",
    [(1, "1 (int)"), (1.5, "1.5 (float)"), (np.int64(1), "1 (int64)"), ("yes", "'yes' (str)")],
)
def test_score_of_a_single_value_as_y_names_score_s_y(value, shown):
    # score(X, 1) raised TypeError "object of type 'int' has no len()"
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20) % 2
    for model in (
        PriorBoostClassifier(scale=0, booster_params={"n_estimators": 3}).fit(X, y),
        PriorBoostRegressor(scale=0, booster_params={"n_estimators": 3}).fit(X, y * 1.0),
    ):
        said = f"score's y must be array-like, one value per row of X, got {shown}; pass"
        with pytest.raises(ValueError, match=f"^{re.escape(said)}"):
            model.score(X, value)
        with pytest.raises(TypeError):  # as scikit-learn's metrics: both kinds of error
            model.score(X, value)


@pytest.mark.parametrize("big", [Decimal("1E+400"), Decimal("-1E+400"), 10**400])
def test_a_regression_target_beyond_float_range_is_named_as_given(big):
    # Decimal("1E+400") said "Input y contains NaN or infinity (rows [1])", a value not given
    X = np.arange(40.0).reshape(20, 2)
    y = np.array([Decimal(1), big] + [Decimal(2)] * 18, dtype=object)
    sign = "-" * (big < 0)
    said = f"y holds {sign}1e+400 (about 401 digits) at row 1, beyond the range of floats"
    for fit in (PriorBoostRegressor(scale=0).fit, SklearnPrior(LinearRegression()).fit):
        with pytest.raises(ValueError, match=f"^{re.escape(said)}"):
            fit(X, y)
    with pytest.raises(ValueError, match=r"^Input y contains NaN or infinity \(rows \[1\]\)"):
        PriorBoostRegressor(scale=0).fit(X, np.where(y == big, Decimal("Infinity"), y))


def test_a_regression_target_of_text_beyond_float_range_is_named_as_given():
    # "1e400" said "Input y contains NaN or infinity (rows [1])", a value not given
    X = np.arange(40.0).reshape(20, 2)
    for big, sign in (("1e400", ""), (" -1E+400", "-")):
        y = ["1", big] + ["2"] * 18
        said = f"y holds {sign}1e+400 (about 401 digits) at row 1, beyond the range of floats"
        with pytest.raises(ValueError, match=f"^{re.escape(said)}"):
            PriorBoostRegressor(scale=0).fit(X, y)
    with pytest.raises(ValueError, match=r"^Input y contains NaN or infinity \(rows \[1\]\)"):
        PriorBoostRegressor(scale=0).fit(X, ["1", "inf"] + ["2"] * 18)  # infinity as given


@pytest.mark.parametrize("rounds", [0, 1.5, True, 2**31, 10**400])
def test_boosting_rounds_outside_what_the_libraries_count_are_refused(rounds):
    # 10**400 passed the check and ran without end
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20) % 2
    model = PriorBoostClassifier(scale=0, booster_params={"n_estimators": rounds})
    with pytest.raises(ValueError, match=r"n_estimators=.*boosting rounds from 1 to 2\*\*31 - 1"):
        model.fit(X, y)


@pytest.mark.parametrize(
    "booster, key", [("lightgbm", "num_iterations"), ("xgboost", "n_estimators")]
)
def test_boosting_rounds_refused_are_named_as_given(booster, key):
    # LightGBM's num_iterations=0 was refused as n_estimators=0, a name not given
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20) % 2
    model = PriorBoostClassifier(booster=booster, scale=0, booster_params={key: 0})
    with pytest.raises(ValueError, match=rf"^booster_params {key}=0: the trees need a whole"):
        model.fit(X, y)


def test_no_boosting_rounds_with_the_prior_alone_is_taken():
    # scale='prior' with n_estimators=0 was refused, its message advising scale='prior'
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20) % 2
    model = PriorBoostClassifier(scale="prior", booster_params={"n_estimators": 0}, cv=2)
    assert model.fit(X, y).predict_proba(X).shape == (20, 2)


def test_score_of_continuous_labels_names_score_s_y():
    # "y is continuous ...; for a numeric target use a regressor", though the classifier
    # was fitted on labels and only the labels given to score were scores
    X, y = np.arange(40.0).reshape(20, 2), np.array(["no", "yes"] * 10)
    model = PriorBoostClassifier(scale=0, booster_params={"n_estimators": 3}).fit(X, y)
    with pytest.raises(ValueError) as error:
        model.score(X, np.linspace(0.05, 0.95, 20))
    assert str(error.value) == (
        "score's y is continuous (e.g. 0.05), but it must hold the class labels of fit's y "
        "['no', 'yes'], not scores or probabilities."
    )
    assert model.score(X, y) == np.mean(model.predict(X) == y)  # labels score as before


class TorchPrior(Prior):
    """Returns its logits as a torch tensor of the given dtype, with requires_grad."""

    def __init__(self, dtype="float32"):
        self.dtype = dtype

    def _fit(self, X, y):
        pass

    def _logits(self, X):
        torch = __import__("torch")
        # halves of small integers: bfloat16 holds them exactly, so both dtypes agree
        lin = np.round(2 * X["f0"].to_numpy()) / 2
        z = torch.tensor(np.column_stack([np.zeros(len(X)), lin]), dtype=getattr(torch, self.dtype))
        return z.requires_grad_()


def test_a_prior_returning_a_torch_tensor_is_read_as_its_values():
    # before: numpy's "Can't call numpy() on Tensor that requires grad" / bfloat16 TypeError
    pytest.importorskip("torch")
    X, y = _data(n=60)
    kwargs = {"scale": "auto", "cv": 3, "random_state": 0}
    reference = PriorBoostClassifier(TorchPrior("float32"), **kwargs).fit(X, y)
    model = PriorBoostClassifier(TorchPrior("bfloat16"), **kwargs).fit(X, y)
    assert model.scale_ == reference.scale_
    np.testing.assert_array_equal(model.predict_proba(X), reference.predict_proba(X))
    folds = [(np.arange(30, 60), np.arange(30)), (np.arange(30), np.arange(30, 60))]
    oof = TorchPrior("bfloat16").oof_logits(X, y, folds)
    assert isinstance(oof, np.ndarray) and oof.dtype == np.float64
    np.testing.assert_array_equal(oof[:, 1], np.round(2 * X["f0"].to_numpy()) / 2)


def test_a_prior_returning_a_torch_tensor_gives_an_array_from_logits():
    # logits returned the bfloat16 tensor itself, though documented as an ndarray
    pytest.importorskip("torch")
    X, y = _data(n=40)
    z = TorchPrior("bfloat16").fit(X, y).logits(X)
    assert isinstance(z, np.ndarray) and z.dtype == np.float32
    np.testing.assert_array_equal(z[:, 1], np.round(2 * X["f0"].to_numpy()) / 2)


def test_sample_weight_as_a_torch_tensor_is_read_as_its_values():
    # "Can't call numpy() on Tensor that requires grad", in the model's fit and the prior's
    torch = pytest.importorskip("torch")
    X, y = _data(n=60)
    w = np.linspace(0.5, 2.0, 60)  # bfloat16 rounds these; the float32 values are the reference
    held = torch.tensor(w, dtype=torch.bfloat16)
    plain = held.float().numpy()
    prior = SklearnPrior(LogisticRegression())
    kwargs = {"scale": 1.0, "cv": 3, "random_state": 0, "booster_params": {"n_estimators": 5}}
    reference = PriorBoostClassifier(prior, **kwargs).fit(X, y, sample_weight=plain)
    model = PriorBoostClassifier(prior, **kwargs).fit(X, y, sample_weight=held.requires_grad_())
    np.testing.assert_array_equal(model.predict_proba(X), reference.predict_proba(X))
    z = clone(prior).fit(X, y, sample_weight=held).logits(X)
    np.testing.assert_array_equal(z, clone(prior).fit(X, y, sample_weight=plain).logits(X))


def test_a_prior_fold_without_weight_is_named():
    # a fixed scale fits the prior out of fold with the weights: a training part of
    # zero weight failed inside scikit-learn ("Sample weights must contain at least one
    # non-zero number"), naming no fold; the search's own check ran only with a search
    X, y = _data(n=60)
    weight = np.r_[np.zeros(30), np.ones(30)]
    folds = [(np.arange(30, 60), np.arange(30)), (np.arange(30), np.arange(30, 60))]
    model = PriorBoostClassifier(
        LogisticRegression(), scale=1.0, cv=folds, booster_params={"n_estimators": 2}
    )
    with pytest.raises(
        ValueError,
        match=r"sample_weight is zero on every training row of cross-validation fold 1 "
        r"\(30 rows\), so SklearnPrior cannot be fitted there for the out-of-fold logits",
    ):
        model.fit(X, y, sample_weight=weight)
    # the trees alone fit no prior, and a positive weight in the part is enough
    assert model.set_params(scale=0).fit(X, y, sample_weight=weight).scale_ == 0
    weight[0] = 1.0
    assert model.set_params(scale=1.0).fit(X, y, sample_weight=weight).scale_ == 1.0


def test_a_searched_fold_without_weight_advises_folds_as_cv_gives_them():
    # a splitter's fold of zero weight was told "use fewer folds (cv)", advice for
    # cv=<int> only; a splitter needs other folds
    from sklearn.model_selection import KFold

    X, y = _data(n=60)
    weight = np.r_[np.zeros(20), np.ones(40)]
    kwargs = {"scale": [0.5, 1.0], "booster_params": {"n_estimators": 2}}
    model = PriorBoostClassifier(LogisticRegression(), cv=KFold(3), **kwargs)
    with pytest.raises(
        ValueError,
        match=r"sample_weight is zero on every test row of cross-validation fold 0 \(20 rows\)"
        r", so the search cannot score it: give more rows a positive weight, use other "
        r"folds \(cv\), or drop",
    ):
        model.fit(X, y, sample_weight=weight)
    weight = np.r_[1.0, np.zeros(59)]  # two of the three folds test only zero weights
    with pytest.raises(ValueError, match=r"so the search cannot score it: .* use fewer folds"):
        model.set_params(cv=3).fit(X, y, sample_weight=weight)


def test_set_params_of_a_booster_parameter_says_to_give_the_dict_whole():
    # GridSearchCV({"booster_params__max_depth": [3, 6]}) failed inside scikit-learn with
    # "AttributeError: 'dict' object has no attribute 'set_params'"
    from sklearn.model_selection import KFold

    from llmboost._params import InvalidParameterError

    X, y = _data(n=40)
    model = PriorBoostClassifier(booster_params={"n_estimators": 2}, cv=2, scale=0)
    message = (
        "PriorBoostClassifier.set_params(booster_params__max_depth=...): booster_params has "
        "no parameters of its own; give it whole, e.g. set_params(booster_params="
        "{'n_estimators': 2, 'max_depth': 2}) (in a grid search, a list of whole values)."
    )
    with pytest.raises(InvalidParameterError) as error:
        GridSearchCV(model, {"booster_params__max_depth": [2, 3]}, cv=2).fit(X, y)
    assert str(error.value) == message
    # the advice showed max_depth whatever the parameter: it names the one given
    with pytest.raises(InvalidParameterError) as error:
        model.set_params(booster_params__learning_rate=0.05)
    assert "e.g. set_params(booster_params={'n_estimators': 2, 'learning_rate': 0.05})" in str(
        error.value
    )
    with pytest.raises(InvalidParameterError) as error:
        model.set_params(cv=KFold(3), cv__n_splits=4)
    # it was told of "a grid search over booster parameters" too
    assert str(error.value) == (
        "PriorBoostClassifier.set_params(cv__n_splits=...): cv has no parameters of its own; "
        "give it whole, e.g. set_params(cv=...) (in a grid search, a list of whole values)."
    )
    assert model.booster_params == {"n_estimators": 2} and model.cv == 2
    grid = {"booster_params": [{"n_estimators": 2, "max_depth": d} for d in (2, 3)]}
    search = GridSearchCV(model, grid, cv=2).fit(X, y)
    assert search.best_params_["booster_params"]["max_depth"] in (2, 3)
    with pytest.raises(ValueError, match="Invalid parameter 'foo'"):
        model.set_params(foo__bar=1)


@pytest.mark.parametrize(
    "booster, key", [("xgboost", "early_stopping_rounds"), ("lightgbm", "early_stopping_round")]
)
def test_early_stopping_rounds_without_eval_set_is_refused(booster, key):
    # it was silently ignored: the trees trained all 40 rounds (plain XGBoost raises)
    X, y = _data(n=60)
    params = {"n_estimators": 40, key: 5}
    model = PriorBoostClassifier(booster=booster, booster_params=params, scale=0, cv=3)
    with pytest.raises(
        ValueError, match=rf"booster_params {key}=5 .* pass eval_set=\(X_val, y_val\) to fit"
    ):
        model.fit(X, y)
    model.fit(X[:40], y[:40], eval_set=(X[40:], y[40:]))
    assert 1 <= model.members_[0].n_rounds <= 40
    # None trains every round, with or without eval_set
    model.set_params(booster_params={"n_estimators": 40, key: None}).fit(X, y)
    assert model.members_[0].n_rounds == 40
    # the prior alone fits no trees, so booster_params are not read (as before)
    model.set_params(booster_params=params, scale="prior").fit(X, y)


@pytest.mark.parametrize(
    "booster, key, metric",
    [
        ("xgboost", "eval_metric", "auc"),
        ("xgboost", "eval_metric", ["logloss", "aucpr"]),
        ("lightgbm", "metric", "binary_logloss,auc"),
        ("lightgbm", "metrics", "average_precision"),
        ("lightgbm", "metric", "AUC"),  # LightGBM reads metric names in any case
    ],
)
def test_single_class_eval_set_with_a_ranking_metric_is_refused(booster, key, metric):
    # early stopping stopped at round 1 of 200 (XGBoost warned "Dataset is empty, or
    # contains only positive or negative samples" on every round, LightGBM said nothing)
    X, y = _data(n=120)
    params = {"n_estimators": 200, key: metric}
    model = PriorBoostClassifier(booster=booster, booster_params=params, scale=0, cv=3)
    only = y[80:] == 1
    with pytest.raises(ValueError, match=r"eval_set's y_val holds a single class \(1\).*undef"):
        model.fit(X[:80], y[:80], eval_set=(X[80:][only], y[80:][only]))
    model.fit(X[:80], y[:80], eval_set=(X[80:], y[80:]))  # both classes: it stops as it should
    assert model.members_[0].n_rounds > 1
    # without early stopping the metric is never read
    model.set_params(booster_params={**params, "early_stopping_rounds": None})
    model.fit(X[:80], y[:80], eval_set=(X[80:][only], y[80:][only]))
    assert model.members_[0].n_rounds == 200


@pytest.mark.parametrize("booster, key, metric", [("xgboost", "eval_metric", "auc"),
                                                  ("lightgbm", "metric", "auc_mu")])  # fmt: skip
def test_multiclass_eval_set_without_a_class_and_a_ranking_metric_is_refused(booster, key, metric):
    # early stopping stopped at round 1 of 200 (55 with every class in the eval set)
    X, y = _data(n_classes=3, n=150)
    params = {"n_estimators": 200, key: metric}
    model = PriorBoostClassifier(booster=booster, booster_params=params, scale=0, cv=3)
    kept = y[100:] != 2
    with pytest.raises(ValueError, match=r"y_val holds no row of class 2, on which .*round 1"):
        model.fit(X[:100], y[:100], eval_set=(X[100:][kept], y[100:][kept]))


@pytest.mark.parametrize(
    "booster, params",
    [
        ("lightgbm", {"class_weight": "balanced"}),
        ("lightgbm", {"class_weight": {0: 2.0}}),
        ("xgboost", {"class_weight": "balanced"}),
        ("lightgbm", {"is_unbalance": True}),
        ("xgboost", {"scale_pos_weight": 5}),
    ],
)
def test_class_weights_of_a_regressor_are_refused(booster, params):
    # LightGBM's class_weight="balanced" weighed each distinct target value as a class
    # (equal weights: no effect), a dict failed inside scikit-learn ("The classes, [-2,
    # -1, ...] are not in class_weight"); the others were ignored without a word
    X, y = make_regression(n_samples=40, n_features=3, random_state=0)
    model = PriorBoostRegressor(booster=booster, booster_params=params, scale=0)
    key = next(iter(params))
    with pytest.raises(ValueError, match=rf"booster_params {key}=.* a regressor has no classes"):
        model.fit(X, y)
    plain = {"class_weight": None, "is_unbalance": False, "scale_pos_weight": 1}[key]
    if (booster, key) != ("xgboost", "class_weight"):  # XGBoost has no class_weight at all
        model.set_params(booster_params={key: plain, "n_estimators": 5}).fit(X, y)


@pytest.mark.parametrize("weights", [np.array([1.0, 2.0]), pd.Series({0: 1.0, 1: 2.0})])
@pytest.mark.parametrize("estimator", [PriorBoostClassifier, PriorBoostRegressor])
def test_a_class_weight_given_as_an_array_is_named(weights, estimator):
    # NumPy's "The truth value of an array ... is ambiguous" named no parameter
    X, y = _data(n=60)
    model = estimator(booster="lightgbm", booster_params={"class_weight": weights}, scale=0)
    what = "LightGBM takes a dict of weights" if estimator is PriorBoostClassifier else "no classes"
    with pytest.raises(ValueError, match=rf"booster_params class_weight=.*{what}"):
        model.fit(X, y)


def test_a_regressor_names_a_class_weight_flag_given_as_text_as_text():
    # is_unbalance='false' was refused as weighing classes, which the user did not ask for
    X, y = make_regression(n_samples=40, n_features=3, random_state=0)
    params = {"is_unbalance": "false"}
    model = PriorBoostRegressor(booster="lightgbm", booster_params=params, scale=0)
    with pytest.raises(ValueError, match=r"is_unbalance='false': give False \(a bool\), not"):
        model.fit(X, y)


def test_a_class_weight_of_zero_for_every_class_is_refused():
    # no row trained: every row got the probabilities 0.5 and 0.5, without a word
    X, y = _data(n=60)
    params = {"n_estimators": 5, "class_weight": {0: 0.0, 1: 0}}
    model = PriorBoostClassifier(booster="lightgbm", booster_params=params, scale=0)
    with pytest.raises(ValueError, match=r"class_weight gives every class the weight 0, so"):
        model.fit(X, y)
    model.set_params(booster_params={**params, "class_weight": {0: 0.0}}).fit(X, y)


@pytest.mark.parametrize("weight", [-1.0, np.nan, np.inf, "3", True])
def test_a_class_weight_that_is_not_a_finite_number_is_refused(weight):
    # -1 and inf gave every row the probability 1 of "yes", NaN the probability 0
    X, y = _data(n=60)
    labels = np.where(y == 1, "yes", "no")
    params = {"n_estimators": 5, "class_weight": {"yes": weight}}
    model = PriorBoostClassifier(booster="lightgbm", booster_params=params, scale=0)
    with pytest.raises(ValueError, match=r"class_weight gives 'yes' the weight .*: give each"):
        model.fit(X, labels)


def test_eval_set_rows_are_aligned_without_copying_them():
    # check_eval_set copied every eval_set row before aligning its categories (for a
    # prior that reads the rows as given); the aligned rows now share the given ones'
    # values, and the given rows keep their text
    from types import SimpleNamespace

    from llmboost.estimators._eval_set import check_eval_set

    X = pd.DataFrame({"a": np.arange(8.0), "c": list("xyxyxyxy")})
    model = PriorBoostClassifier(scale=0, booster_params={"n_estimators": 2}).fit(X, [0, 1] * 4)
    rows = SimpleNamespace(categories=model.categories_, classes=model.classes_)
    new = pd.DataFrame({"a": [1.0, 2.0], "c": ["x", "q"]})
    given, X_val, y_val = check_eval_set((new, [0, 1]), model, rows, "xgboost", None)
    assert np.shares_memory(given["a"].to_numpy(), X_val["a"].to_numpy())
    assert given["c"].astype(object).tolist() == ["x", "q"]  # as given, for the prior
    assert X_val["c"].astype(object).tolist()[0] == "x" and pd.isna(X_val["c"].iloc[1])
    assert y_val.tolist() == [0, 1]


def test_an_eval_set_of_three_items_is_named_so():
    # (X_val, y_val, w_val) was refused as "got a tuple": a tuple it was
    X, y = _data(n=60)
    model = PriorBoostClassifier(scale=0, booster_params={"n_estimators": 3})
    weights = np.ones(20)
    with pytest.raises(ValueError, match=r"got a tuple of length 3: the validation rows take no w"):
        model.fit(X[:40], y[:40], eval_set=(X[40:], y[40:], weights))
    with pytest.raises(ValueError, match=r"pair \(X_val, y_val\), got a list of length 1\.$"):
        model.fit(X[:40], y[:40], eval_set=[X[40:]])
    model.fit(X[:40], y[:40], eval_set=[X[40:], y[40:]])  # a list of the two is the pair


class ComplexPrior(ShortPrior):
    """Returns complex logits (or, with ``kind``, text, numbers as text or missing values)."""

    def __init__(self, kind="complex"):
        self.kind = kind

    def _logits(self, X):
        if self.kind == "complex":
            return np.tile([5j, 1.0 - 5j], (len(X), 1))
        if self.kind in ("text", "digits"):
            return np.full((len(X), 2), "u" if self.kind == "text" else "1.5", dtype=object)
        return pd.DataFrame({"a": pd.array([None] * len(X), "Float64"), "b": 0.0})


def test_a_prior_returning_logits_that_are_not_real_numbers_is_named():
    # complex logits lost their imaginary part (NumPy's ComplexWarning only) and were
    # fused; text failed with "could not convert string to float: 'u'" and pd.NA with
    # "float() argument must be a string or a real number, not 'NAType'"
    X, y = _data(n=60)
    head = r"^ComplexPrior\._logits returned values that are not real numbers "
    for kind, message in [
        ("complex", r"\(dtype complex128\); return floats\. \(in fold 0 "),
        ("text", r"\(text such as 'u'\); return floats\. \(in fold 0 "),
        ("digits", r"\(text such as '1\.5'\); return floats\. \(in fold 0 "),
    ]:
        with pytest.raises(ValueError, match=head + message):
            PriorBoostClassifier(prior=ComplexPrior(kind), scale=1.0, cv=3).fit(X, y)
    missing = r"^ComplexPrior\.oof_logits returned non-finite values \(rows \[0, 1, 2"
    with pytest.raises(ValueError, match=missing):
        PriorBoostClassifier(prior=ComplexPrior("missing"), scale=1.0, cv=3).fit(X, y)
    with pytest.raises(ValueError) as err:
        check_margin(ComplexPrior(), np.tile([5j, 1.0], (3, 1)), 3, "classification", 2)
    assert str(err.value) == (
        "ComplexPrior.logits returned values that are not real numbers (dtype complex128); "
        "return floats."
    )


def test_a_prior_returning_numbers_as_text_is_refused():
    # logits such as ["1.5"] were cast to 1.5 and fused as if the prior had returned numbers
    for z, text in [
        (np.array([["1.5", "0"]] * 3), "'1.5'"),
        (np.array([[1.5, "0"]] * 3, dtype=object), "'0'"),
        (np.array([[b"2.0", b"1.0"]] * 3), "b'2.0'"),
    ]:
        with pytest.raises(ValueError) as err:
            check_margin(ComplexPrior(), z, 3, "classification", 2)
        assert str(err.value) == (
            f"ComplexPrior.logits returned values that are not real numbers (text such as {text}); "
            "return floats."
        )


@pytest.mark.parametrize("weight, told", [
    (pd.NA, r"^sample_weight=<NA> is missing: give a number \(one weight for every row\)"),
    (pd.NaT, r"^sample_weight=NaT is missing: give a number"),
    ([1.0] * 7 + [None] * 3, r"^sample_weight is missing on rows \[7, 8, 9\]; row 7 holds None: "),
    ([1.0] * 9 + [pd.NA], r"^sample_weight is missing on rows \[9\]; row 9 holds <NA>: give"),
    (pd.Series([pd.NaT] + [1.0] * 9, dtype=object), r"^sample_weight is missing on rows \[0\]"),
])  # fmt: skip
def test_a_missing_sample_weight_is_named_by_its_row(weight, told):
    # pd.NA and pd.NaT were told Python's "float() argument must be a string or a real
    # number, not 'NAType'", naming no row; None in a list was shown as nan
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10) % 2
    with pytest.raises(ValueError, match=told):
        PriorBoostClassifier(scale=0).fit(X, y, sample_weight=weight)


@pytest.mark.parametrize("Model", [PriorBoostClassifier, PriorBoostRegressor])
def test_score_reads_sample_weight_as_fit_does(Model):
    # score(X, y, sample_weight=2.0) raised "The 'sample_weight' parameter of
    # accuracy_score must be an array-like or None", though fit takes a float for every
    # row alike; 5 weights for 20 rows said "inconsistent numbers of samples: [20, 20, 5]";
    # negative weights, which fit refuses, were scored
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20) % 2
    model = Model(scale=0, booster_params={"n_estimators": 3}).fit(X, y)
    assert model.score(X, y, sample_weight=2.0) == model.score(X, y)
    with pytest.raises(ValueError, match=r"^sample_weight has shape \(5,\); expected \(20,\)"):
        model.score(X, y, sample_weight=np.ones(5))
    with pytest.raises(ValueError, match=r"^sample_weight must be finite and >= 0 \(rows \[0\]"):
        model.score(X, y, sample_weight=np.r_[-1.0, np.ones(19)])


def test_scale_is_reported_without_the_float_noise_of_its_sum():
    # scale_ was sum(weight * scale) in floats: 0.19 * 0.1 + 0.81 * 1.0 showed as
    # 0.8290000000000001
    from sklearn.naive_bayes import GaussianNB

    X, y = make_classification(60, 4, flip_y=0.45, random_state=11)
    kw = dict(scale=[0.03, 0.1, 0.3, 3, "prior"], booster_params={"n_estimators": 5}, cv=2)
    model = PriorBoostClassifier(GaussianNB(), random_state=0, **kw).fit(X, y)
    assert [(m.scale, m.n_rounds, m.weight) for m in model.members_] == [
        (0.1, 0, 0.19),
        (1.0, 0, 0.81),
    ]
    assert repr(model.scale_) == "0.829"
    weighted = sum(m.weight * m.scale for m in model.members_)  # 0.8290000000000001
    assert model.scale_ == pytest.approx(weighted, rel=1e-15, abs=0)  # last bits only
    given = 0.1000000000000001  # 7 ulps from 0.1, as the user wrote it
    model = PriorBoostClassifier(GaussianNB(), scale=given, booster_params={"n_estimators": 2})
    assert model.fit(X, y).scale_ == given


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_a_class_whose_rows_all_weigh_zero_is_warned_of_once(booster):
    # such a class got a probability near 0 everywhere without a word; XGBoost and
    # LightGBM alone do the same, and so does scale=0
    X, y = make_classification(90, 5, n_informative=3, n_classes=3, random_state=0)
    y = np.array(["a", "b", "c"])[y]
    w = np.where(y == "c", 0.0, 1.0)
    kw = dict(booster=booster, booster_params={"n_estimators": 10}, cv=3, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = PriorBoostClassifier(scale=0, **kw).fit(X, y, sample_weight=w)
    told = [str(c.message) for c in caught if "sample_weight is 0" in str(c.message)]
    assert told == [
        "sample_weight is 0 on every row of class 'c' (30 rows): the model learns nothing of "
        "it and gives it a probability near 0 everywhere; give some of those rows a positive "
        "weight, or drop them from X and y."
    ]
    alone = xgb.XGBClassifier(n_estimators=10)
    if booster == "lightgbm":
        alone = lgb.LGBMClassifier(n_estimators=10, verbose=-1)
    alone.fit(X, np.unique(y, return_inverse=True)[1], sample_weight=w)
    assert model.predict_proba(X)[:, 2].max() < 1e-4 and alone.predict_proba(X)[:, 2].max() < 1e-4
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a class with some weight: no warning
        PriorBoostClassifier(scale=0, **kw).fit(X, y, sample_weight=np.where(y == "c", 0.5, 1))
    # a prior that takes no weights (a Pipeline) learns the class: no warning there
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    prior = make_pipeline(StandardScaler(), LogisticRegression())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = PriorBoostClassifier(prior, scale="prior").fit(X, y, sample_weight=w)
    assert model.predict_proba(X)[y == "c", 2].mean() > 0.5
    with pytest.warns(UserWarning, match=r"^sample_weight is 0 on every row of class 'c'"):
        PriorBoostClassifier(LogisticRegression(), scale="prior").fit(X, y, sample_weight=w)


def test_a_class_lightgbm_class_weight_weighs_zero_is_warned_of_when_no_prior_learns_it():
    # class_weight {'c': 0} with scale=0 gave 'c' a probability near 1e-15 everywhere
    # without a word, where sample_weight 0 on its rows warns
    X, y = make_classification(90, 5, n_informative=3, n_classes=3, random_state=0)
    y = np.array(["a", "b", "c"])[y]
    params = {"n_estimators": 10, "class_weight": {"a": 1, "c": 0}}
    kw = dict(booster="lightgbm", booster_params=params, cv=3, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = PriorBoostClassifier(scale=0, **kw).fit(X, y)
    told = [str(c.message) for c in caught if "weight 0" in str(c.message)]
    assert told == [
        "booster_params class_weight gives class 'c' the weight 0 (30 rows): the model learns "
        "nothing of it and gives it a probability near 0 everywhere; give it a weight above 0 "
        "there, or drop it from y (and those rows of X)."
    ]
    assert model.predict_proba(X)[:, 2].max() < 1e-4
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the prior, which reads no class_weight, learns 'c'
        model = PriorBoostClassifier(scale=1.0, **kw).fit(X, y)
    assert model.predict_proba(X)[y == "c", 2].mean() > 0.2


def test_xgboost_scale_pos_weight_zero_is_warned_of_when_no_prior_learns_the_class():
    # scale_pos_weight=0 with scale=0 gave the positive class 0.055 on every row (10
    # trees), as XGBoost alone gives it a few percent, without a word
    X, y = make_classification(90, 5, n_informative=3, random_state=0)
    y = np.array(["no", "yes"])[y]
    kw = dict(booster_params={"n_estimators": 10, "scale_pos_weight": 0}, cv=3, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = PriorBoostClassifier(scale=0, **kw).fit(X, y)
    told = [str(c.message) for c in caught if "weight 0" in str(c.message)]
    assert told == [
        "booster_params scale_pos_weight=0 gives class 'yes' the weight 0 (45 rows): the model "
        "learns nothing of it and gives it a probability near 0 everywhere; give it a weight "
        "above 0 there, or drop it from y (and those rows of X)."
    ]
    assert model.predict_proba(X)[:, 1].max() < 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the prior, which reads no scale_pos_weight, learns it
        PriorBoostClassifier(scale=1.0, **kw).fit(X, y)


def test_a_prior_returning_masked_logits_is_refused_where_masked():
    # np.ma.log(0) is masked over the data 0: the logit 0 (probability 1/2 against a
    # class the prior ruled out) was fused without a word
    z = np.ma.log(np.array([[0.0, 1.0], [0.5, 0.5], [0.2, 0.8]]))
    with pytest.raises(ValueError) as err:
        check_margin(ComplexPrior(), z, 3, "classification", 2)
    assert str(err.value) == (
        "ComplexPrior.logits returned non-finite values (rows [0]); return finite numbers "
        f"(a class ruled out can get a logit such as -{MAX_LOGIT:.0e})."
    )
    unmasked = np.ma.array(np.log([[0.5, 0.5]] * 3))  # nothing masked: its values
    margin = check_margin(ComplexPrior(), unmasked, 3, "classification", 2)
    np.testing.assert_array_equal(
        margin, check_margin(ComplexPrior(), unmasked.data, 3, "classification", 2)
    )


def test_the_zero_weight_warning_says_how_many_classes_it_leaves_unnamed():
    # it named the first 5 of 7 classes without a word of the other 2
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 2))
    y = np.repeat(np.arange(9), 10)
    w = np.where(y < 7, 0.0, 1.0)
    kw = dict(scale=0, booster_params={"n_estimators": 2}, cv=2, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        PriorBoostClassifier(**kw).fit(X, y, sample_weight=w)
    (told,) = [str(c.message) for c in caught if "sample_weight is 0" in str(c.message)]
    assert told.startswith(
        "sample_weight is 0 on every row of classes 0, 1, 2, 3, 4 and 2 more (70 rows): "
    )


def test_a_warning_about_eval_set_rows_names_eval_set():
    # a column of X_val whose kind differs from X's was warned of as of new rows ("Column
    # 'c' was categorical at fit but is numeric now") in a fit, without naming eval_set
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=80), "c": rng.choice(["x", "y"], 80)})
    y = (X["a"] > 0).astype(int)
    X_val = X.iloc[:20].assign(c=rng.choice([0, 1], 20))
    params = {"n_estimators": 10, "early_stopping_rounds": 2}
    model = PriorBoostClassifier(LogisticRegression(), scale=1.0, cv=2, booster_params=params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y, eval_set=(X_val, y.iloc[:20]))
    (told,) = [w for w in caught if "Column 'c'" in str(w.message)]
    assert str(told.message).startswith("eval_set X_val: Column 'c' was categorical at fit")
    assert told.category is UserWarning and told.filename == __file__


def test_warnings_of_predict_and_score_point_at_the_user_s_line():
    # score's pointed at scikit-learn's base.py (the mixin's call of predict), and a
    # Pipeline's at pipeline.py: the first frame outside llmboost, not the user's
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=80), "c": rng.choice(["x", "y"], 80)})
    drifted = X.assign(c=rng.choice([0, 1], 80))  # categorical at fit, numbers now
    kw = dict(scale=1.0, cv=2, booster_params={"n_estimators": 5}, random_state=0)
    y = (X["a"] > 0).astype(int)
    model = PriorBoostClassifier(prior=LogisticRegression(), **kw).fit(X, y)
    regressor = PriorBoostRegressor(prior=LinearRegression(), **kw).fit(X, X["a"])
    pipe = make_pipeline(PriorBoostClassifier(prior=LogisticRegression(), **kw)).fit(X, y)
    calls = [
        lambda: model.score(drifted, y),
        lambda: regressor.score(drifted, X["a"]),
        lambda: pipe.score(drifted, y),
        lambda: model.predict(drifted),
    ]
    for call in calls:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        drift = [w for w in caught if "was categorical at fit but is numeric now" in str(w.message)]
        assert len(drift) == 1 and drift[0].filename == __file__
        assert drift[0].category is UserWarning


def test_the_lightgbm_subsample_warning_points_at_the_user_s_line():
    # a fixed stacklevel pointed a Pipeline's at sklearn/pipeline.py
    from sklearn.pipeline import make_pipeline

    X, y = make_regression(n_samples=60, n_features=3, random_state=0)
    params = {"subsample": 0.5, "n_estimators": 3}
    model = PriorBoostRegressor(LinearRegression(), booster="lightgbm", booster_params=params)
    for call in (lambda: model.fit(X, y), lambda: make_pipeline(model).fit(X, y)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        (warned,) = [w for w in caught if "does nothing without subsample_freq" in str(w.message)]
        assert warned.filename == __file__ and warned.category is UserWarning
