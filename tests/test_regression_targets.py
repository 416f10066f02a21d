"""Targets in any unit, labels of any type, weights the search cannot score, messages."""

from __future__ import annotations

import re
import warnings

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from sklearn.datasets import make_regression
from sklearn.linear_model import Ridge

from llmboost import PriorBoostClassifier, PriorBoostRegressor
from llmboost.boosters import LightGBMBooster, XGBoostBooster, target_center, target_unit
from llmboost.persistence import load, save


def _data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=list("abcd"))
    y = X.a * 2 + np.sin(3 * X.b) * 2 + (X.c > 0) * 3 + rng.normal(scale=0.3, size=n)
    return X, y.to_numpy()


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("unit", [1e-9, 1e-4, 1e9])
def test_trees_do_not_depend_on_the_target_unit(booster, unit):
    # XGBoost skips splits with gain < 1e-6: a target in 1e-4 units got r2 0.5,
    # in 1e-9 units no tree at all (r2 0.0)
    X, y = _data()
    kwargs = {"booster": booster, "scale": 0, "cv": 3, "random_state": 0}
    reference = PriorBoostRegressor(Ridge(), **kwargs).fit(X, y)
    scaled = PriorBoostRegressor(Ridge(), **kwargs).fit(X, y * unit)
    assert scaled.score(X, y * unit) > 0.99
    np.testing.assert_allclose(scaled.predict(X), reference.predict(X) * unit, rtol=1e-4)


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_small_unit_fusion_explains_and_reloads(booster, tmp_path):
    X, y = _data()
    y = y * 1e-9
    model = PriorBoostRegressor(Ridge(), booster=booster, cv=3, random_state=0)
    model.fit(X, y, eval_set=(X.iloc[:40], y[:40]))
    predicted = model.predict(X)
    assert any(m.booster is not None for m in model.members_)
    assert model.score(X, y) > 0.95
    np.testing.assert_allclose(model.explain(X).sum(axis=1), predicted, rtol=0, atol=1e-15)
    save(model, tmp_path / "m.zip")
    np.testing.assert_array_equal(load(tmp_path / "m.zip").predict(X), predicted)


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("scale", [0, 1.0])
def test_trees_do_not_depend_on_the_target_offset(booster, scale):
    # the libraries store labels as float32, 64 apart near 1e9: trees fitted 1e9 + y
    # were off by up to 42 (the target's standard deviation is 3)
    X, y = _data()
    kwargs = {"booster": booster, "scale": scale, "cv": 3, "random_state": 0}
    reference = PriorBoostRegressor(Ridge(), **kwargs).fit(X, y)
    shifted = PriorBoostRegressor(Ridge(), **kwargs).fit(X, y + 1e9)
    assert target_center(shifted.members_[0].booster) == pytest.approx(1e9 + y.mean())
    # float32 trees on the centred target: within 1e-5 of the target's spread
    np.testing.assert_allclose(
        shifted.predict(X) - 1e9, reference.predict(X), rtol=0, atol=1e-5 * np.std(y)
    )
    # the explanation adds up to the prediction up to float64 rounding near 1e9 (1e-7)
    np.testing.assert_allclose(
        shifted.explain(X).sum(axis=1), shifted.predict(X), rtol=0, atol=1e-6
    )


@pytest.mark.parametrize(
    "booster, params",
    [("xgboost", {"base_score": 0.0}), ("lightgbm", {"boost_from_average": False})],
)
def test_a_fixed_start_is_not_centred(booster, params):
    # the user's own starting constant stays in the target's units
    X, y = _data()
    model = PriorBoostRegressor(Ridge(), booster=booster, booster_params=params, scale=0)
    assert target_center(model.fit(X, y + 100).members_[0].booster) == 0.0


@pytest.mark.parametrize(
    "booster, key, loss",
    [
        ("xgboost", "objective", "count:poisson"),
        ("xgboost", "objective", "reg:gamma"),
        ("lightgbm", "objective", "tweedie"),
        ("lightgbm", "application", "poisson"),
    ],
)
def test_losses_with_a_link_are_refused(booster, key, loss):
    # their prediction is exp(margin): predict returned the log of the mean (r2 -0.6)
    X, y = _data()
    model = PriorBoostRegressor(Ridge(), booster=booster, booster_params={key: loss}, scale=0)
    with pytest.raises(ValueError) as err:
        model.fit(X, np.abs(y))
    message = str(err.value)
    assert message.startswith(f"booster_params {key}={loss!r} is not supported: this regressor")
    assert message.endswith("for counts or positive targets, fit log1p(y) instead.")
    assert ("reg:squarederror" in message) == (booster == "xgboost")
    assert ("regression_l1" in message) == (booster == "lightgbm")
    classifier = PriorBoostClassifier(booster=booster, booster_params={"objective": "reg:gamma"})
    with pytest.raises(ValueError, match="this classifier adds the prior to the trees' margin"):
        classifier.fit(X, y > 0)


@pytest.mark.parametrize(
    "booster, loss, name",
    [("xgboost", "huber", "'reg:pseudohubererror'"), ("xgboost", "mae", "'reg:absoluteerror'"),
     ("xgboost", "quantile", "'reg:quantileerror' (with quantile_alpha, the quantile)"),
     ("lightgbm", "reg:absoluteerror", "'l1'"), ("lightgbm", "reg:squarederror", "'regression'"),
     ("lightgbm", "reg:pseudohubererror", "'huber' (with alpha, its threshold)")],
)  # fmt: skip
def test_a_loss_named_as_the_other_library_names_it_says_its_name_here(booster, loss, name):
    # it was refused as a loss "with a link", naming the losses taken and log1p(y)
    X, y = _data()
    params = {"objective": loss}
    model = PriorBoostRegressor(Ridge(), booster=booster, booster_params=params, scale=0)
    library = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}[booster]
    message = (
        f"booster_params objective={loss!r} is the other library's name: {library} calls "
        f"this loss {name}."
    )
    with pytest.raises(ValueError, match=rf"^{re.escape(message)}$"):
        model.fit(X, y)
    # a classifier's loss is named to a classifier, not to a regressor
    binary = {"xgboost": "binary", "lightgbm": "binary:logistic"}[booster]
    model = PriorBoostRegressor(Ridge(), booster=booster, booster_params={"objective": binary})
    with pytest.raises(ValueError, match=r"is not supported: this regressor adds the prior"):
        model.fit(X, y)
    classifier = PriorBoostClassifier(booster=booster, booster_params={"objective": binary})
    with pytest.raises(ValueError, match=r"is the other library's name: .* 'binary"):
        classifier.fit(X, y > 0)


@pytest.mark.parametrize("booster, loss", [("lightgbm", "huber"), ("xgboost", "reg:absoluteerror")])
def test_a_fixed_scale_below_one_with_a_robust_loss_starts_near_the_target(booster, loss):
    # the trees started from 0.5 x the prior in the target's units and a Huber or
    # absolute loss could not climb back (R^2 -1944 on targets near 1000): the prior is
    # now shrunk toward the target's mean
    X, y = _data()
    params = {"objective": loss, "n_estimators": 10}
    model = PriorBoostRegressor(Ridge(), booster=booster, booster_params=params, scale=0.5)
    assert model.fit(X, y + 1000).score(X, y + 1000) > 0.5


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("scale", [0.5, "auto"])
def test_the_fused_model_does_not_depend_on_the_target_origin(booster, scale):
    # scales below 1 shrank the prior toward 0, so the model depended on where y's zero
    # lies: XGBoost at scale 0.5 reached test R^2 0.853 on y + 50 against 0.887 on y,
    # and the search chose other members for y, y + 50 and y - 1000
    X, y = _data()
    X_test, y_test = _data(seed=1)
    kwargs = {"booster": booster, "scale": scale, "cv": 3, "random_state": 0}
    reference = PriorBoostRegressor(Ridge(), **kwargs).fit(X, y)
    for shift in (50.0, -1000.0):
        shifted = PriorBoostRegressor(Ridge(), **kwargs).fit(X, y + shift)
        assert [m[:3] for m in shifted.members_] == [m[:3] for m in reference.members_]
        # float32 trees on targets centred in float64: equal within 1e-5 of the spread
        np.testing.assert_allclose(
            shifted.predict(X_test) - shift,
            reference.predict(X_test),
            rtol=0,
            atol=1e-5 * np.std(y),
        )
    assert reference.score(X_test, y_test) > 0.85


def test_time_targets_and_several_targets_are_refused_by_name():
    # durations and dates became floats in pandas' unit of the day (microseconds)
    X, y = _data()
    model = PriorBoostRegressor(Ridge(), scale=0)
    durations = pd.Series(pd.to_timedelta(np.arange(len(y)), unit="s"))
    for target in (durations, pd.Series(pd.date_range("2020-01-01", periods=len(y)))):
        dtype = re.escape(str(target.dtype))
        with pytest.raises(ValueError, match=rf"y has dtype {dtype}: a regressor needs numbers"):
            model.fit(X, target)
    with pytest.raises(ValueError, match=r"y has shape \(120, 2\): llmboost fits one target"):
        model.fit(X, np.c_[y, y])


def test_targets_near_the_float64_limit_are_searched_as_in_their_own_unit():
    # the search's squared errors overflowed: every score -inf, and the worst candidate won
    X, y = _data()
    kwargs = {"cv": 3, "random_state": 0, "booster_params": {"n_estimators": 10}}
    reference = PriorBoostRegressor(Ridge(), **kwargs).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow on the way
        huge = PriorBoostRegressor(Ridge(), **kwargs).fit(X, y * 1e300)
    assert [m[:3] for m in huge.members_] == [m[:3] for m in reference.members_]
    for key in ("mean_test_score", "std_test_score", "split0_test_score"):
        # the same numbers, 1e300 times larger, up to float64 rounding
        np.testing.assert_allclose(
            huge.cv_results_[key], reference.cv_results_[key] * 1e300, rtol=1e-9
        )


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_target_beyond_float32_range(booster):
    # the libraries store labels as float32: LightGBM fitted y * 1e39 with r2 -0.08
    X, y = _data()
    model = PriorBoostRegressor(Ridge(), booster=booster, scale=0, cv=3, random_state=0)
    model.fit(X, y * 1e39)
    assert np.isfinite(model.predict(X)).all()
    assert model.score(X, y * 1e39) > 0.99


@pytest.mark.parametrize(
    "booster, params",
    [("xgboost", {"objective": "reg:absoluteerror"}), ("lightgbm", {"objective": "huber"})],
)
def test_other_losses_keep_the_target_as_given(booster, params):
    # a Huber loss has an absolute threshold: its target is not divided by a unit
    X, y = _data()
    model = PriorBoostRegressor(Ridge(), booster=booster, booster_params=params, scale=0, cv=3)
    model.fit(X, y * 100)
    assert target_unit(model.booster_) == 1.0
    reference = PriorBoostRegressor(Ridge(), booster=booster, scale=0, cv=3).fit(X, y * 100)
    assert target_unit(reference.booster_) == pytest.approx(np.std(y * 100))


@pytest.mark.parametrize("weighted", [False, True])
def test_xgboost_pseudo_huber_starts_near_the_target(weighted):
    # XGBoost starts this loss one Newton step from 0, which on targets near 100 is 1e6:
    # its trees could not climb back (R^2 -1.3e11 at scale=0, as in plain XGBoost)
    X, y = _data()
    y, weight = y + 100, np.linspace(0.2, 3.0, len(y)) if weighted else None
    params = {"objective": "reg:pseudohubererror"}
    model = PriorBoostRegressor(Ridge(), booster_params=params, scale=0, random_state=0)
    model.fit(X, y, sample_weight=weight)
    mean = np.average(y, weights=weight)
    assert target_center(model.booster_) == pytest.approx(mean)
    spread = np.sqrt(np.average((y - mean) ** 2, weights=weight))
    assert target_unit(model.booster_) == pytest.approx(spread)  # huber_slope divided too
    assert model.score(X, y) > 0.95
    # it no longer depends on where the target's zero lies (float32 trees: 1e-4 of y's spread)
    shifted = PriorBoostRegressor(Ridge(), booster_params=params, scale=0, random_state=0)
    shifted.fit(X, y - 100, sample_weight=weight)
    np.testing.assert_allclose(model.predict(X) - 100, shifted.predict(X), atol=1e-4 * np.std(y))
    # a start the user fixes is XGBoost's start, as given
    fixed = {**params, "base_score": 5.0}
    model = PriorBoostRegressor(Ridge(), booster_params=fixed, scale=0).fit(X, y)
    assert target_center(model.booster_) == 0.0


@pytest.mark.parametrize("slope", [None, 0.5])
@pytest.mark.parametrize("unit", [1e-6, 1e-3, 1e3])
def test_xgboost_pseudo_huber_does_not_depend_on_the_target_unit(slope, unit):
    # XGBoost skips splits with gain < 1e-6: its pseudo-Huber loss on a target in 1e-6
    # units got no tree at all (R^2 0.0, 0.99 on y); huber_slope is in y's units
    X, y = _data()
    params = {"objective": "reg:pseudohubererror"}
    params.update({} if slope is None else {"huber_slope": slope})
    kwargs = {"booster_params": params, "scale": 0, "cv": 3, "random_state": 0}
    reference = PriorBoostRegressor(Ridge(), **kwargs).fit(X, y)
    params = {**params, "huber_slope": (1.0 if slope is None else slope) * unit}
    scaled = PriorBoostRegressor(Ridge(), **{**kwargs, "booster_params": params})
    scaled.fit(X, y * unit)
    assert scaled.score(X, y * unit) > 0.95
    # float32 trees in the two units: equal within 1e-4 of the spread
    np.testing.assert_allclose(
        scaled.predict(X) / unit, reference.predict(X), rtol=0, atol=1e-4 * np.std(y)
    )
    assert scaled.booster_.params["huber_slope"] == params["huber_slope"]  # as given


@pytest.mark.parametrize(
    "booster, params",
    [
        ("xgboost", {"objective": "reg:absoluteerror"}),
        ("xgboost", {"objective": "reg:quantileerror", "quantile_alpha": 0.7}),
        ("lightgbm", {"objective": "l1"}),
        ("lightgbm", {"objective": "huber"}),
        ("lightgbm", {"objective": "quantile", "alpha": 0.7}),
    ],
)
def test_losses_of_the_residual_keep_the_digits_of_a_target_far_from_0(booster, params):
    # the libraries store labels as float32, 1 apart near 1e7: XGBoost's absolute error
    # on 1e7 + y had R^2 -0.01 (0.988 on y), LightGBM's predictions moved by 0.12 x std(y)
    X, y = _data()
    kwargs = {"booster": booster, "booster_params": params, "scale": 0, "random_state": 0}
    reference = PriorBoostRegressor(Ridge(), **kwargs).fit(X, y)
    shifted = PriorBoostRegressor(Ridge(), **kwargs).fit(X, y + 1e7)
    assert target_center(shifted.booster_) == pytest.approx(1e7 + y.mean())
    assert target_unit(shifted.booster_) == 1.0  # their thresholds are in y's units
    # float32 trees on targets centred in float64: equal within 1e-4 of the spread
    np.testing.assert_allclose(
        shifted.predict(X) - 1e7, reference.predict(X), rtol=0, atol=1e-4 * np.std(y)
    )


@pytest.mark.parametrize(
    "metric, lower", [("L2", "l2"), ("MAE", "mae"), (["RMSE", "l1"], ["rmse", "l1"])]
)
def test_lightgbm_metric_names_in_any_case_keep_the_target_centred(metric, lower):
    # LightGBM reads metric='MAE' as 'mae', but llmboost took it for a metric that differs
    # on the centred target: on 1e9 + y early stopping kept the float32 labels, stopped
    # after 1 round and scored R^2 -0.05 (0.954 with 'mae')
    X, y = _data(300)
    y = y + 1e9
    fit, val = slice(0, 200), slice(200, None)
    models = []
    for name in (metric, lower):
        params = {"metric": name, "n_estimators": 300}
        model = PriorBoostRegressor(Ridge(), booster="lightgbm", booster_params=params, scale=0)
        models.append(model.fit(X[fit], y[fit], eval_set=(X[val], y[val])))
    assert target_center(models[0].booster_) == pytest.approx(y[fit].mean())
    assert models[0].members_[0].n_rounds == models[1].members_[0].n_rounds > 1
    np.testing.assert_array_equal(models[0].predict(X), models[1].predict(X))


def test_regressor_names_a_text_target():
    X, _ = _data(60)
    with pytest.raises(ValueError, match=r"y holds 'b', which is not a number.*classifier"):
        PriorBoostRegressor(Ridge(), cv=3).fit(X, np.array([1.5, "b"] * 30, dtype=object))


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_zero_weight_fold_is_a_clear_error(task):
    X, y = _data(100)
    if task == "classification":
        y, model = (y > 0).astype(int), PriorBoostClassifier(cv=3, random_state=0)
    else:
        model = PriorBoostRegressor(Ridge(), cv=3, random_state=0)
    weight = np.zeros(len(y))
    weight[:5] = 1.0  # was numpy's "ZeroDivisionError: Weights sum to zero"
    with pytest.raises(ValueError, match=r"sample_weight is zero on every test row .* fold"):
        model.fit(X, y, sample_weight=weight)


def test_zero_weight_fold_is_fine_without_a_search():
    X, y = _data(100)
    weight = np.zeros(len(y))
    weight[:5] = 1.0
    model = PriorBoostRegressor(Ridge(), scale=1.0, cv=3, random_state=0)
    assert np.isfinite(model.fit(X, y, sample_weight=weight).predict(X)).all()


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_rows_of_weight_zero_do_not_set_the_trees_unit(booster):
    # five excluded rows with targets of 1e6 set the unit to ~2e5: XGBoost's gains on the
    # other rows fell below its 1e-6 threshold and its predictions were up to 183 off
    # plain XGBoost with the same weights (LightGBM's up to 1.8, digits lost in float32)
    X, y = make_regression(n_samples=150, n_features=5, noise=5.0, random_state=0)
    y, weight = np.r_[np.full(5, 1e6), y[5:]], np.r_[np.zeros(5), np.ones(145)]
    model = PriorBoostRegressor(booster=booster, scale=0, random_state=1)
    model.fit(X, y, sample_weight=weight)
    adapter = XGBoostBooster if booster == "xgboost" else LightGBMBooster
    plain_cls = xgb.XGBRegressor if booster == "xgboost" else lgb.LGBMRegressor
    plain = plain_cls(**{**adapter.defaults, "random_state": 1})
    plain.fit(X, y, sample_weight=weight)
    assert target_center(model.booster_) == pytest.approx(y[5:].mean())
    assert target_unit(model.booster_) == pytest.approx(y[5:].std())
    # float32 trees on the standardised target: within 1e-5 of the target's spread
    spread = y[5:].std()
    np.testing.assert_allclose(model.predict(X), plain.predict(X), rtol=0, atol=1e-5 * spread)


def test_eval_set_errors_say_eval_set():
    X, y = _data(60)
    labels = (y > 0).astype(int)
    model = PriorBoostClassifier(cv=3)
    with pytest.raises(ValueError, match=r"^eval_set \(X_val, y_val\): .*feature names"):
        model.fit(X, labels, eval_set=(X[["a", "b"]], labels))
    with pytest.raises(ValueError, match=r"^eval_set \(X_val, y_val\): .*X has 60 rows, y has 10"):
        model.fit(X, labels, eval_set=(X, labels[:10]))


def test_text_in_eval_set_targets_of_a_regressor_is_named_as_y_val():
    # it said "y holds 'x', which is not a number: ... (use a classifier for labels, ...)",
    # though fit's y was numbers and only eval_set's held text
    X, y = _data(60)
    model = PriorBoostRegressor(scale=0, booster_params={"n_estimators": 5})
    with pytest.raises(ValueError) as error:
        model.fit(X, y, eval_set=(X, np.where(y > 0, "high", "low")))
    assert str(error.value) == (
        "eval_set (X_val, y_val): y_val holds 'high', which is not a number, but fit's y was "
        "numbers: give y_val as numbers, in the units of fit's y."
    )
    # numbers written as text are numbers, as in fit
    model.fit(X, y, eval_set=(X, y.astype(str).astype(object)))
    assert model.predict(X).shape == (60,)


def test_continuous_eval_set_labels_of_a_classifier_are_named_as_y_val():
    # it said "y is continuous ...; for a numeric target use a regressor", though fit's y
    # was labels and only eval_set's were scores
    X, y = _data(60)
    labels = (y > 0).astype(int)
    model = PriorBoostClassifier(scale=0, booster_params={"n_estimators": 5})
    scores = np.where(np.arange(60) == 0, 0.25, 0.75)
    with pytest.raises(ValueError) as error:
        model.fit(X, labels, eval_set=(X, scores))
    assert str(error.value) == (
        "eval_set (X_val, y_val): y_val is continuous (e.g. 0.25), but it must hold the class "
        "labels of fit's y [0, 1], not scores or probabilities."
    )
    # whole numbers that are floats are labels, as in fit
    model.fit(X, labels, eval_set=(X, labels.astype(float)))
    assert model.predict(X).dtype == labels.dtype


def test_classification_labels_of_mixed_types_are_named():
    X, y = _data(60)
    mixed = np.array([1, "a"] * 30, dtype=object)  # was scikit-learn's "Unknown label type"
    with pytest.raises(ValueError, match=r"y mixes text and other labels \(e.g. 'a' and 1\)"):
        PriorBoostClassifier(scale=0, cv=3).fit(X, mixed)
    numbers = np.array([1, 2] * 30, dtype=object)  # numbers held as objects are labels
    model = PriorBoostClassifier(scale=0, cv=3).fit(X, numbers)
    assert model.classes_.tolist() == [1, 2] and set(model.predict(X)) <= {1, 2}


def test_score_reads_the_labels_as_fit_does():
    # labels held as objects (a column that had missing values): fit took them as
    # booleans, score gave them to scikit-learn as they were, which refused them ("can't
    # handle a mix of unknown and binary targets")
    X, y = _data(60)
    labels = pd.Series(y > 0, dtype=object)
    model = PriorBoostClassifier(scale=0, booster_params={"n_estimators": 5}).fit(X, labels)
    assert model.score(X, labels) == model.score(X, labels.astype(bool))
    weight = np.linspace(0.1, 1.0, 60)
    assert model.score(X, labels, sample_weight=weight) == np.average(
        model.predict(X) == (y > 0), weights=weight
    )


def test_several_quantiles_are_refused_by_name():
    # XGBoost predicts one column per quantile: scale=0 returned predictions of shape
    # (120, 2) from a regressor, and the search failed inside XGBoost ("base_margin_
    # .Shape(1) == this->mparam_.OutputLength() (1 vs. 2)")
    X, y = _data()
    params = {"objective": "reg:quantileerror", "quantile_alpha": [0.1, 0.9]}
    for scale in (0, "auto"):
        model = PriorBoostRegressor(Ridge(), booster_params=params, scale=scale, cv=3)
        with pytest.raises(ValueError, match=r"quantile_alpha=\[0.1, 0.9\]: XGBoost then pre"):
            model.fit(X, y)
    one = {"objective": "reg:quantileerror", "quantile_alpha": [0.9]}
    model = PriorBoostRegressor(Ridge(), booster_params=one, scale=0).fit(X, y)
    assert model.predict(X).shape == (120,) and np.mean(model.predict(X) > y) > 0.8


def test_an_xgboost_quantile_loss_without_its_quantile_is_refused_before_any_fit():
    # XGBoost failed at fit, after the prior's scores: "Check failed:
    # !quantile_alpha.Get().empty():"
    class NotToFit(Ridge):
        def fit(self, X, y, sample_weight=None):
            raise AssertionError("the prior was fitted")

    X, y = _data()
    params = {"objective": "reg:quantileerror", "alpha": 0.9}  # LightGBM's name for it
    model = PriorBoostRegressor(NotToFit(), booster_params=params, scale=1.0)
    with pytest.raises(ValueError, match=r"objective='reg:quantileerror' needs quantile_alpha"):
        model.fit(X, y)


@pytest.mark.parametrize(
    "alphas, match",
    [("[0.1, 0.9]", r"quantile_alpha='\[0.1, 0.9\]': XGBoost then predicts one column"),
     ([], r"objective='reg:quantileerror' needs quantile_alpha, the quantile to fit"),
     ("[]", r"objective='reg:quantileerror' needs quantile_alpha, the quantile to fit")],
)  # fmt: skip
def test_xgboost_quantiles_as_text_or_none_are_refused_before_any_fit(alphas, match):
    # XGBoost reads text as JSON: "[0.1, 0.9]" failed at fit, after the prior's scores
    # ("base_margin_.Shape(1) == this->mparam_.OutputLength() (1 vs. 2)"), and [] with
    # "Check failed: !quantile_alpha.Get().empty():"
    class NotToFit(Ridge):
        def fit(self, X, y, sample_weight=None):
            raise AssertionError("the prior was fitted")

    X, y = _data()
    params = {"objective": "reg:quantileerror", "quantile_alpha": alphas}
    with pytest.raises(ValueError, match=match):
        PriorBoostRegressor(NotToFit(), booster_params=params, scale=1.0).fit(X, y)
    one = {"objective": "reg:quantileerror", "quantile_alpha": "[0.9]"}
    model = PriorBoostRegressor(Ridge(), booster_params=one, scale=0).fit(X, y)
    assert np.mean(model.predict(X) > y) > 0.8


@pytest.mark.parametrize(
    "booster, params",
    [
        ("xgboost", {"eval_metric": "mape"}),
        ("xgboost", {"eval_metric": ["rmse", "rmsle"]}),
        ("lightgbm", {"metric": "gamma"}),
        ("lightgbm", {"metric": "l2,huber"}),
    ],
)
def test_early_stopping_reads_the_metric_in_the_targets_units(booster, params):
    # the metric was read on the centred, standardised target: XGBoost's MAPE stopped
    # after 41 rounds (42 in plain XGBoost), LightGBM's gamma deviance failed ("label > 0")
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(400, 2)), columns=["a", "b"])
    y = np.exp(X.a.to_numpy()) * 10 + rng.normal(size=400) + 30
    fit, val = slice(0, 300), slice(300, None)
    plain = {"n_estimators": 1000, "learning_rate": 0.1, "n_jobs": 1, **params}
    if booster == "xgboost":
        ref = xgb.XGBRegressor(**plain, max_depth=4, tree_method="hist", early_stopping_rounds=20)
        ref.fit(X[fit], y[fit], eval_set=[(X[val], y[val])], verbose=False)
        rounds = ref.best_iteration + 1
    else:
        ref = lgb.LGBMRegressor(**plain, num_leaves=15, min_child_samples=5, verbose=-1)
        stop = lgb.early_stopping(20, first_metric_only=True, verbose=False)
        with warnings.catch_warnings():  # LightGBM 4.7 renames eval_set
            warnings.simplefilter("ignore", FutureWarning)
            ref.fit(X[fit], y[fit], eval_set=[(X[val], y[val])], callbacks=[stop])
        rounds = ref.best_iteration_
    booster_params = {"n_estimators": 1000, **params}
    model = PriorBoostRegressor(booster=booster, booster_params=booster_params, scale=0)
    model.fit(X[fit], y[fit], eval_set=(X[val], y[val]))
    assert model.members_[0].n_rounds == rounds
    assert target_unit(model.booster_) == 1.0 and target_center(model.booster_) == 0.0


@pytest.mark.parametrize("booster, key", [("xgboost", "eval_metric"), ("lightgbm", "metric")])
def test_a_metric_that_is_no_name_is_refused_by_name(booster, key):
    # "TypeError: 'int' object is not iterable" when reading it for the trees' unit; the
    # libraries' own: "can only concatenate list (not "int") to list" (LightGBM)
    X, y = _data()
    model = PriorBoostRegressor(booster=booster, booster_params={key: 5}, scale=0)
    with pytest.raises(ValueError, match=rf"booster_params {key}=5: give a name, "):
        model.fit(X[:90], y[:90], eval_set=(X[90:], y[90:]))


@pytest.mark.parametrize(
    "params",
    [
        {"metric": "mape,l1", "first_metric_only": True},
        {"early_stopping_min_delta": 0.5, "metric": "l1"},
    ],
)
def test_lightgbm_early_stopping_takes_its_stopping_parameters(params):
    # both were left out of the early-stopping callback: first_metric_only stopped on
    # the first metric to stall (38 rounds, LightGBM 39), min_delta 0.5 on any gain
    # (39 rounds, LightGBM 20)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(400, 2)), columns=["a", "b"])
    y = np.exp(X.a.to_numpy()) * 10 + rng.normal(size=400) + 30
    fit, val = slice(0, 300), slice(300, None)
    plain = {"n_estimators": 1000, "num_leaves": 15, "min_child_samples": 5, "n_jobs": 1}
    ref = lgb.LGBMRegressor(**plain, **params, early_stopping_round=20, verbose=-1)
    with warnings.catch_warnings():  # LightGBM 4.7 renames eval_set
        warnings.simplefilter("ignore", FutureWarning)
        ref.fit(X[fit], y[fit], eval_set=[(X[val], y[val])])
    booster_params = {"n_estimators": 1000, **params}
    model = PriorBoostRegressor(booster="lightgbm", booster_params=booster_params, scale=0)
    model.fit(X[fit], y[fit], eval_set=(X[val], y[val]))
    assert model.members_[0].n_rounds == ref.best_iteration_


def test_lightgbm_early_stopping_min_delta_as_text_or_no_number():
    # its text failed at fit with "TypeError: '<' not supported between instances of 'str'
    # and 'int'", True with "Unknown token true in data file"
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(400, 2)), columns=["a", "b"])
    y = np.exp(X.a.to_numpy()) * 10 + rng.normal(size=400) + 30
    fits = [
        PriorBoostRegressor(
            booster="lightgbm", booster_params={"early_stopping_min_delta": delta}, scale=0
        ).fit(X[:300], y[:300], eval_set=(X[300:], y[300:]))
        for delta in (0.5, "0.5")
    ]
    assert fits[0].members_[0].n_rounds == fits[1].members_[0].n_rounds < 100
    for delta in (True, "x", float("inf")):
        model = PriorBoostRegressor(
            booster="lightgbm", booster_params={"early_stopping_min_delta": delta}, scale=0
        )
        with pytest.raises(
            ValueError, match=rf"^booster_params early_stopping_min_delta={delta!r}"
        ):
            model.fit(X[:300], y[:300], eval_set=(X[300:], y[300:]))


@pytest.mark.parametrize("min_delta", [0.0, 0.5])
def test_xgboosts_own_early_stopping_callback_decides_the_rounds(min_delta):
    # llmboost's patience of 20 stopped the fit too, and its best round was the one kept
    # (19 rounds where XGBoost's callback with min_delta=0.5 keeps 17); min_delta applied
    # to the standardised target
    from xgboost.callback import EarlyStopping

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(400, 2)), columns=["a", "b"])
    y = np.exp(X.a.to_numpy()) * 10 + rng.normal(size=400) + 30
    fit, val = slice(0, 300), slice(300, None)
    plain = {"n_estimators": 1000, "learning_rate": 0.1, "max_depth": 4, "tree_method": "hist"}
    stop = EarlyStopping(rounds=10, min_delta=min_delta)
    ref = xgb.XGBRegressor(**plain, callbacks=[stop])
    ref.fit(X[fit], y[fit], eval_set=[(X[val], y[val])], verbose=False)
    params = {"n_estimators": 1000, "callbacks": [EarlyStopping(rounds=10, min_delta=min_delta)]}
    model = PriorBoostRegressor(booster_params=params, scale=0)
    model.fit(X[fit], y[fit], eval_set=(X[val], y[val]))
    assert model.members_[0].n_rounds == ref.best_iteration + 1
    # the callback keeps its state between fits: a second fit of the same model failed
    # ("`best_iteration` is only defined when early stopping is used")
    model.fit(X[fit], y[fit], eval_set=(X[val], y[val]))
    assert model.members_[0].n_rounds == ref.best_iteration + 1


def test_score_reads_y_as_fit_does():
    # score took durations as ticks of their unit (R^2 -2.9 without a word) where fit refuses
    # them, and named no y for a missing value ("Input contains NaN.")
    from sklearn.metrics import r2_score

    X, y = _data(n=60)
    model = PriorBoostRegressor(Ridge(), scale=0, cv=2).fit(X, y)
    durations = pd.Series(pd.to_timedelta(np.arange(60), unit="s"))
    with pytest.raises(ValueError, match=r"y has dtype timedelta64\[\w+\]: a regressor needs"):
        model.score(X, durations)
    missing = pd.Series(y).astype("Float64").where(np.arange(60) > 0)
    with pytest.raises(ValueError, match=r"Input y contains NaN or infinity \(rows \[0\]\)"):
        model.score(X, missing)
    with pytest.raises(ValueError, match=r"score's y holds 'a', which is not a number"):
        model.score(X, ["a"] * 60)
    weight = np.linspace(0.5, 2, 60)
    expected = r2_score(y, model.predict(X), sample_weight=weight)
    assert model.score(X, [str(v) for v in y], sample_weight=weight) == pytest.approx(expected)


@pytest.mark.parametrize(
    "booster, objective",
    [
        ("xgboost", "reg:linear"),
        ("lightgbm", "mean_squared_error"),
        ("lightgbm", "l2_root"),
        ("lightgbm", "root_mean_squared_error"),
        ("lightgbm", "rmse"),
    ],
)
def test_other_names_of_squared_error_train_in_the_targets_unit(booster, objective):
    # these names of the default loss kept the target as given: on 1e8 + 1e-4 * y the
    # trees found nothing (R^2 0.0, 0.997 under the loss's main name)
    X, y = _data()
    y = 1e8 + 1e-4 * y
    kwargs = {"booster": booster, "scale": 0, "random_state": 0}
    reference = PriorBoostRegressor(Ridge(), **kwargs).fit(X, y)
    params = {"objective": objective}
    with warnings.catch_warnings():  # XGBoost's deprecation of reg:linear
        warnings.simplefilter("ignore")
        model = PriorBoostRegressor(Ridge(), booster_params=params, **kwargs).fit(X, y)
    assert target_unit(model.booster_) == pytest.approx(np.std(y))
    assert model.score(X, y) > 0.95
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))


def test_squared_log_error_on_a_target_at_or_below_minus_one_is_refused_before_any_fit():
    # XGBoost refused it at the first fold's fit, after the prior's scores: "label must be
    # greater than -1 for rmsle so that log(label + 1) can be valid"
    class Unfitted(Ridge):
        def fit(self, X, y, sample_weight=None):
            raise AssertionError("the prior was fitted")

    X, y = _data()
    y = np.abs(y)
    y[[5, 9]] = [-1.0, -3.5]
    params = {"objective": "reg:squaredlogerror"}
    model = PriorBoostRegressor(Unfitted(), booster_params=params, scale=0.5, cv=3)
    message = "objective='reg:squaredlogerror' fits log1p(y), which needs y > -1, but 2 rows"
    with pytest.raises(ValueError, match=rf"{re.escape(message)} .*\(row 5: -1\.0\)"):
        model.fit(X, y)
    prior_only = PriorBoostRegressor(Ridge(), booster_params=params, scale="prior").fit(X, y)
    assert prior_only.score(X, y) > 0  # it fits no trees, so no loss of theirs
    y[[5, 9]] = 0.0
    fitted = PriorBoostRegressor(Ridge(), booster_params=params, scale=0.5, cv=3).fit(X, y)
    assert fitted.predict(X).shape == (len(X),)


class _Unfitted(Ridge):
    def fit(self, X, y, sample_weight=None):
        raise AssertionError("the prior was fitted")


@pytest.mark.parametrize("size", [1e120, 1e-120])
@pytest.mark.parametrize(
    "booster, params",
    [("xgboost", {"objective": "reg:absoluteerror"}),
     ("xgboost", {"objective": "reg:quantileerror", "quantile_alpha": 0.5}),
     ("lightgbm", {"objective": "l1"}), ("lightgbm", {"objective": "mape"})],
)  # fmt: skip
def test_a_loss_in_the_targets_unit_beyond_float32_is_refused_before_any_fit(booster, params, size):
    # XGBoost's absolute error on a 1e120 target failed at the first fit ("Label contains
    # NaN, infinity or a value too large"); on 1e-120, and LightGBM's on both, the float32
    # labels were inf or 0 and the trees fitted nothing (R^2 0.0)
    X, y = _data()
    model = PriorBoostRegressor(_Unfitted(), booster=booster, booster_params=params, scale=0.5)
    message = f"objective={params['objective']!r} trains on y in its own unit, which"
    with pytest.raises(ValueError, match=rf"^booster_params {re.escape(message)} .* spans \["):
        model.fit(X, y * size)
    kwargs = {"booster": booster, "booster_params": params, "scale": 0, "cv": 3}
    assert PriorBoostRegressor(Ridge(), **kwargs).fit(X, y * 1e30).score(X, y * 1e30) > 0.5


# huber_slope over the spread of y (2.96 times size); the last digit left open
@pytest.mark.parametrize("size, ratio", [(1e120, r"3\.3\de-121"), (1e-120, r"3\.3\de\+119")])
def test_a_huber_slope_beyond_float32_in_the_trees_unit_is_refused_before_any_fit(size, ratio):
    # XGBoost failed at the first fit: "Out of range value for huber_slope"
    X, y = _data()
    params = {"objective": "reg:pseudohubererror"}
    model = PriorBoostRegressor(_Unfitted(), booster_params=params, scale=0.5)
    with pytest.raises(ValueError, match=rf"^booster_params huber_slope=1.0 is {ratio} times"):
        model.fit(X, y * size)
    size = size**0.25  # 1e30, 1e-30: a slope in y's units, within float32 itself
    model = PriorBoostRegressor(Ridge(), booster_params={**params, "huber_slope": size}, scale=0)
    assert model.fit(X, y * size).score(X, y * size) > 0.9


def test_squared_log_error_on_validation_rows_at_or_below_minus_one_is_refused():
    # its metric was NaN on them, so early stopping kept 1 round without a word
    X, y = _data()
    y = np.abs(y)
    y_val = y[90:].copy()
    y_val[2] = -3.0
    params = {"objective": "reg:squaredlogerror"}
    model = PriorBoostRegressor(_Unfitted(), booster_params=params, scale=0.5)
    message = "1 rows of eval_set's y_val are at or below -1 (row 2: -3.0)"
    with pytest.raises(ValueError, match=re.escape(message)):
        model.fit(X[:90], y[:90], eval_set=(X[90:], y_val))


def test_huber_slope_is_read_over_the_spread_of_y_not_of_the_validation_rows():
    # the trees train eval_set's rows in fit's unit too: a one-row eval_set (spread taken
    # as 1) had huber_slope=1e20 refused as 1e+20 times its spread, though fit's y took it
    X, y = _data()
    y = y * 1e20
    params = {"objective": "reg:pseudohubererror", "huber_slope": 1e20, "n_estimators": 20}
    model = PriorBoostRegressor(Ridge(), booster_params=params, scale=0, cv=3)
    model.fit(X[:90], y[:90], eval_set=(X[90:91], y[90:91]))
    assert model.score(X[90:], y[90:]) > 0.5


def test_a_base_score_as_text_of_a_list_is_read_as_xgboost_reads_it():
    # XGBoost reads "[3.0]" as 3.0; its start in the trees' unit failed with "could not
    # convert string to float: '[3.0]'"
    X, y = _data()
    kwargs = {"scale": 0, "cv": 2, "random_state": 0}
    fits = [
        PriorBoostRegressor(Ridge(), booster_params={"base_score": start}, **kwargs).fit(X, y)
        for start in (3.0, "[3.0]", "3.0", " [3.0]", "[ 3.0, ]")  # XGBoost reads all as 3.0
    ]
    for model in fits[1:]:
        np.testing.assert_array_equal(model.predict(X), fits[0].predict(X))
    model = PriorBoostRegressor(Ridge(), booster_params={"base_score": "[3.0, 4.0]"}, **kwargs)
    with pytest.raises(ValueError) as error:
        model.fit(X, y)
    assert str(error.value) == (
        "booster_params base_score='[3.0, 4.0]' gives 2 values, but a regressor fits one "
        "number per row; give one number (the trees' start)."
    )
