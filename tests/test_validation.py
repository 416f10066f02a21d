"""Conversion of user input into the pipeline's frame."""

import warnings
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from llmboost import BundledPFNPrior, PriorBoostClassifier, PriorBoostRegressor, SklearnPrior
from llmboost._validation import (
    align_categories,
    booster_frame,
    check_sample_weight,
    check_target,
    fit_categories,
    to_frame,
)


def test_dataframe_columns_are_typed_for_the_boosters():
    X = pd.DataFrame(
        {"n": [1, 2, 3], "flag": [True, False, True], "city": ["a", None, "b"], 7: [1.5, np.nan, 2]}
    )
    frame = to_frame(X)
    assert list(frame.columns) == ["n", "flag", "city", "7"]
    assert frame["n"].dtype == np.float64 and frame["flag"].tolist() == [1.0, 0.0, 1.0]
    assert isinstance(frame["city"].dtype, pd.CategoricalDtype)
    assert frame["city"].isna().tolist() == [False, True, False]


def test_object_array_keeps_numbers_and_makes_text_categorical():
    X = np.array([[1, "red"], [2.5, "blue"]], dtype=object)
    frame = to_frame(X)
    assert list(frame.columns) == ["x0", "x1"] and frame["x0"].tolist() == [1.0, 2.5]
    assert isinstance(frame["x1"].dtype, pd.CategoricalDtype)


def test_bad_columns_are_named():
    with pytest.raises(ValueError, match="'d' has dtype datetime64"):
        to_frame(pd.DataFrame({"d": pd.to_datetime(["2020-01-01"])}))
    with pytest.raises(ValueError, match=r"repeated: \['a'\]"):
        to_frame(pd.DataFrame([[1, 2]], columns=["a", "a"]))
    with pytest.raises(ValueError, match="Complex data"):
        to_frame(np.array([[1 + 2j]]))


def test_column_labels_that_are_the_same_text_are_named_as_given():
    # 1 and '1' are two columns of a DataFrame: the error said '1' was repeated
    with pytest.raises(ValueError) as err:
        to_frame(pd.DataFrame([[1, 2, 3]], columns=[1, "1", "b"]))
    assert str(err.value) == "Column names must be unique; repeated: ['1'] (1 and '1', as text)."
    with pytest.raises(ValueError, match=r"^Column names must be unique; repeated: \['a'\]\.$"):
        to_frame(pd.DataFrame([[1, 2]], columns=["a", "a"]))


def test_a_bad_value_under_a_multiindex_is_named_by_its_plain_label():
    # the message read "first at index ('y', np.int64(2))"
    X = pd.DataFrame({"a": [1.0, np.inf]}, index=pd.MultiIndex.from_tuples([("x", 1), ("y", 2)]))
    with pytest.raises(ValueError, match=r"'a' contains infinity \(first at index \('y', 2\)\);"):
        to_frame(X)


def test_unseen_categories_become_missing():
    train = to_frame(pd.DataFrame({"c": ["a", "b"]}))
    new = align_categories(to_frame(pd.DataFrame({"c": ["b", "z"]})), fit_categories(train))
    assert list(new["c"].cat.categories) == ["a", "b"]
    assert new["c"].isna().tolist() == [False, True]


def test_target_checks():
    for classification in (True, False):
        with pytest.raises(ValueError, match="requires y to be passed, but the target y is None"):
            check_target(None, 3, classification=classification)
    assert check_target(np.array([[1.0], [2.0]]), 2, classification=False).shape == (2,)
    with pytest.raises(ValueError, match=r"continuous \(e.g. 0.5\).*use a regressor"):
        check_target(np.array([0.5, 1.5, 2.25]), 3, classification=True)
    with pytest.raises(ValueError, match=r"rows \[1\]"):
        check_target(np.array(["a", None, "b"], dtype=object), 3, classification=True)


class ColumnsPrior(SklearnPrior):
    """Logistic regression that records the column names and dtypes it was given."""

    def fit(self, X, y):
        self.columns_seen_ = list(X.columns)
        return super().fit(X, y)


def _fit_predict(X, y, booster="xgboost", **kw):
    """PriorBoostClassifier with the prior on (scale 0.5): every part reads the frame."""
    model = PriorBoostClassifier(
        prior=ColumnsPrior(LogisticRegression()),
        booster=booster,
        booster_params={"n_estimators": 10},
        scale=0.5,
        cv=2,
        random_state=0,
        **kw,
    ).fit(X, y)
    return model, model.predict(X)


def _with_column(values):
    n = len(values)
    y = np.arange(n) % 2
    X = pd.DataFrame({"num": y + np.linspace(0, 0.5, n), "col": values})
    return X, y


NAN = np.nan
#: case -> (column values, dtype after to_frame, its first three values)
UNUSUAL_COLUMNS = {
    "object numbers": (pd.Series([1, 2.5, None] * 8, dtype=object), "float", [1.0, 2.5, NAN]),
    "object bools": (pd.Series([True, False, None] * 8, dtype=object), "float", [1.0, 0.0, NAN]),
    "object int/str": (pd.Series([1, "a", 2] * 8, dtype=object), "category", ["1", "a", "2"]),
    "float categorical": (
        pd.Series([1.5, 2.5, 1.5] * 8).astype("category"),
        "category",
        ["1.5", "2.5", "1.5"],
    ),
    "nullable string": (
        pd.Series(["a", None, "b"] * 8, dtype="string"),
        "category",
        ["a", NAN, "b"],
    ),
    "nullable boolean": (
        pd.Series([True, None, False] * 8, dtype="boolean"),
        "float",
        [1.0, NAN, 0.0],
    ),
    "timedelta (seconds)": (pd.to_timedelta([1, 2, None] * 8, unit="s"), "float", [1.0, 2.0, NAN]),
    "all None": (pd.Series([None] * 24, dtype=object), "category", [NAN] * 3),  # none present
}


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("case", list(UNUSUAL_COLUMNS))
def test_unusual_column_types_fit_and_predict(case, booster):
    values, kind, first = UNUSUAL_COLUMNS[case]
    X, y = _with_column(values)
    frame = to_frame(X)
    if kind == "float":
        assert frame["col"].dtype == np.float64
        np.testing.assert_array_equal(frame["col"].to_numpy()[:3], first)
    else:
        assert isinstance(frame["col"].dtype, pd.CategoricalDtype)
        assert all(isinstance(c, str) for c in frame["col"].cat.categories)
        assert frame["col"].astype(object).iloc[:3].fillna("nan").tolist() == [
            "nan" if v is NAN else v for v in first
        ]
    model, pred = _fit_predict(X, y, booster=booster)
    assert pred.shape == (len(y),) and set(pred) <= {0, 1}
    # the "num" column separates the classes: every column type still lets the model learn it
    assert (pred == y).mean() >= 0.9


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (pd.period_range("2020-01", periods=4, freq="M"), "'col' has dtype period"),
        (pd.to_datetime(["2020-01-01"] * 4), "'col' has dtype datetime64"),
        ([1e300, 1.0, 2.0, 3.0], "'col' has values beyond float32 range .first at row 0"),
        ([1.0, -np.inf, 2.0, 3.0], "'col' contains infinity .first at row 1"),
        (pd.Series([1, {"a": 1}, 2, 3], dtype=object), "'col' holds a value of type dict"),
    ],
)
def test_unsupported_columns_are_named(values, message):
    X, y = _with_column(values)
    with pytest.raises((ValueError, TypeError), match=message):
        PriorBoostClassifier(scale=0).fit(X, y)


def test_booster_frame_renames_only_unsafe_names():
    frame = to_frame(
        pd.DataFrame([[1, 2, 3, 4, 5]], columns=["a b", "a_b", "Income [USD]", "x", 'k:{"v",<w>}'])
    )
    safe = booster_frame(frame)
    assert list(safe.columns) == ["a_b", "a_b_1", "Income__USD_", "x", "k___v___w>_"]
    assert list(frame.columns)[2] == "Income [USD]"
    assert safe.to_numpy().tolist() == frame.to_numpy().tolist()
    plain = to_frame(pd.DataFrame({"a": [1.0], "b_c": [2.0]}))
    assert booster_frame(plain) is plain


@pytest.mark.parametrize(
    "names, booster_names",
    [(["=", "b"], ["_", "b"]), (["a", "=="], ["a", "_"]), (["===b", "b="], ["_b", "b_"])],
)
def test_names_lightgbm_reads_without_their_equals_signs_fit_and_load(
    names, booster_names, tmp_path
):
    # LightGBM drops the '=' that start its model's feature names or end them: a column
    # named '=' failed with "Wrong size of feature_names", and '===b' became 'b' (two 'b's)
    from llmboost import load, save

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 2)), columns=names)
    y = (X.iloc[:, 0] + X.iloc[:, 1] > 0).astype(int)
    fit = {"scale": 0, "booster": "lightgbm", "booster_params": {"n_estimators": 5}}
    model = PriorBoostClassifier(**fit).fit(X, y)
    assert list(booster_frame(to_frame(X)).columns) == booster_names
    assert model.booster_.model_.booster_.feature_name() == booster_names
    plain = PriorBoostClassifier(**fit).fit(X.set_axis(["p", "q"], axis=1), y)
    same = plain.predict_proba(X.set_axis(["p", "q"], axis=1))
    np.testing.assert_array_equal(model.predict_proba(X), same)  # the names change nothing
    loaded = load(save(model, tmp_path / "m.llmboost"))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_control_character_in_a_column_name_fits_and_predicts_with_xgboost():
    # XGBoost cut "a\x00b" at the NUL: predict said "feature_names mismatch"
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 2)), columns=["a\x00b", "c\td"])
    y = (X.iloc[:, 0] > 0).astype(int)
    model = PriorBoostClassifier(scale=0, booster_params={"n_estimators": 5}).fit(X, y)
    assert model.predict_proba(X).shape == (60, 2)
    assert list(booster_frame(to_frame(X)).columns) == ["a_b", "c_d"]


def test_polars_input_keeps_column_names():
    pl = pytest.importorskip("polars")
    X, y = _with_column(["red", "blue", None] * 8)
    X.columns = ["age (years)", "colour"]
    data = pl.DataFrame(
        {"age (years)": X["age (years)"].tolist(), "colour": ["red", "blue", None] * 8}
    )
    model, pred = _fit_predict(data, y)
    assert model.prior_.columns_seen_ == ["age (years)", "colour"]
    assert list(model.feature_names_in_) == ["age (years)", "colour"]
    _, want = _fit_predict(X, y)
    np.testing.assert_array_equal(pred, want)


def test_column_names_reach_the_prior_unchanged():
    X, y = _with_column(["a", "b", "c"] * 8)
    X.columns = ["Income [USD]", 'k:{"v", <w>}']
    for booster in ["xgboost", "lightgbm"]:
        model, pred = _fit_predict(X, y, booster=booster)
        assert model.prior_.columns_seen_ == ["Income [USD]", 'k:{"v", <w>}']
        assert (pred == y).mean() >= 0.9


def test_codes_read_as_text_at_fit_and_numbers_at_predict():
    rng = np.random.default_rng(0)
    c = rng.integers(1, 4, 90)
    y = (c == 2).astype(int)
    train = pd.DataFrame({"c": c.astype(str), "noise": rng.normal(size=90)})
    model, pred = _fit_predict(train, y)
    assert (pred == y).all()
    as_numbers = train.assign(c=c)
    with pytest.warns(UserWarning, match="'c' was categorical at fit but is numeric now") as w:
        drifted = model.predict_proba(as_numbers)
    assert [r.filename for r in w] == [__file__]  # the user's call, not llmboost's
    # exact: after conversion both calls compute on identical frames, on the same CPU
    np.testing.assert_array_equal(drifted, model.predict_proba(train))


def test_numbers_at_fit_and_text_at_predict():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 10, 60).astype(float)
    y = (x > 4).astype(int)
    train = pd.DataFrame({"x": x, "noise": rng.normal(size=60)})
    model, _ = _fit_predict(train, y)
    as_text = train.assign(x=[str(int(v)) for v in x[:-1]] + ["n/a"])
    with pytest.warns(UserWarning, match="'x' was numeric at fit but is text now.*1 value"):
        drifted = model.predict_proba(as_text)
    # exact: same rows, same frame shape, same CPU; only the unparsable last row differs
    np.testing.assert_array_equal(drifted[:-1], model.predict_proba(train)[:-1])


def test_a_categorical_column_of_no_fit_category_is_warned_about():
    # codes given as categories of numbers (or other text) were all read as missing, silently
    rng = np.random.default_rng(0)
    c = rng.choice(["red", "blue", "green"], 60)
    y = (c == "red").astype(int)
    train = pd.DataFrame({"c": c, "noise": rng.normal(size=60)})
    model, _ = _fit_predict(train, y)
    codes = train.assign(c=pd.Categorical(pd.Series(c).map({"red": 0, "blue": 1, "green": 2})))
    with pytest.warns(UserWarning) as w:
        proba = model.predict_proba(codes)
    assert [str(r.message) for r in w] == [
        "Column 'c' holds no category seen at fit: its values (such as '2', '1', '0') are not "
        "among the fit's ('blue', 'green', 'red'), so all 60 became missing. Check that it is "
        "the column of the fit, its values written the same way."
    ]
    assert [r.filename for r in w] == [__file__]  # the user's call, not llmboost's
    # exact: same frame as an all-missing column, on the same CPU
    np.testing.assert_array_equal(proba, model.predict_proba(train.assign(c=None)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a few unseen values are not warned about
        model.predict_proba(train.assign(c=["purple"] * 5 + list(c[5:])))
        model.predict_proba(train.assign(c=None))
        model.predict_proba(train.assign(c="purple"))  # one new category, in every row
        model.predict_proba(train.head(1).assign(c="purple"))  # a row served alone


def test_all_missing_column_at_predict_keeps_fit_categories():
    train = to_frame(pd.DataFrame({"c": ["a", "b", "a"]}))
    new = align_categories(to_frame(pd.DataFrame({"c": [None, None]})), fit_categories(train))
    assert list(new["c"].cat.categories) == ["a", "b"] and new["c"].isna().all()


@pytest.mark.parametrize("scale", [0, 1.0])
def test_tables_and_arrays_of_the_same_columns_are_interchangeable(scale):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] > 0).astype(int)
    named = pd.DataFrame(X, columns=["a", "b", "c"])
    for fit_on in (X, pd.DataFrame(X)):  # integer names read like an array
        model = PriorBoostClassifier(scale=scale, random_state=0).fit(fit_on, y)
        assert not hasattr(model, "feature_names_in_")
        expected = model.predict_proba(X)
        np.testing.assert_array_equal(model.predict_proba(pd.DataFrame(X)), expected)
        with pytest.warns(UserWarning, match="X has feature names"):
            np.testing.assert_array_equal(model.predict_proba(named), expected)
        assert list(model.explain(X).columns[:3]) == ["x0", "x1", "x2"]
    model = PriorBoostClassifier(scale=scale, random_state=0).fit(named, y)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        np.testing.assert_array_equal(model.predict_proba(X), model.predict_proba(named))
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict_proba(named.rename(columns={"c": "d"}))


def test_eval_set_is_checked_against_the_columns_before_the_search(monkeypatch):
    import llmboost.estimators._prior_boost as prior_boost

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 4)), columns=list("abcd"))
    y = (X["a"] > 0).astype(int)

    def no_search(*args, **kwargs):
        raise AssertionError("the search ran before eval_set was checked")

    monkeypatch.setattr(prior_boost, "grid_search", no_search)
    model = PriorBoostClassifier(random_state=0)
    with pytest.raises(ValueError, match="expecting 4 features"):
        model.fit(X[:90], y[:90], eval_set=(X.iloc[90:, :3].to_numpy(), y[90:]))
    with pytest.raises(ValueError, match="feature names should match"):
        model.fit(X[:90], y[:90], eval_set=(X.iloc[90:].rename(columns={"d": "e"}), y[90:]))


def test_mixed_column_name_types_are_refused_before_the_search(monkeypatch):
    import llmboost.estimators._prior_boost as prior_boost

    monkeypatch.setattr(prior_boost, "grid_search", lambda *a, **k: 1 / 0)
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(40, 2)), columns=["a", 1])
    with pytest.raises(TypeError, match="Feature names are only supported if all input"):
        PriorBoostClassifier().fit(X, (X["a"] > 0).astype(int))


@pytest.mark.parametrize("as_category_at", ["fit", "predict"])
def test_booleans_made_categorical_match_plain_booleans(as_category_at):
    # df.astype("category") on a boolean column gives categories "False", "True": every
    # value "matched nothing" and became missing when the other kind came in
    rng = np.random.default_rng(0)
    flag = rng.random(60) > 0.5
    y = flag.astype(int)
    plain = pd.DataFrame({"flag": flag, "noise": rng.normal(size=60)})
    categorical = plain.astype({"flag": "category"})
    train, new = (categorical, plain) if as_category_at == "fit" else (plain, categorical)
    model, pred = _fit_predict(train, y)
    assert (pred == y).all()
    with pytest.warns(UserWarning, match="'flag' was .* its values were [a-z ]+\\.$"):
        drifted = model.predict_proba(new)
    # exact: after conversion both calls compute on identical frames, on the same CPU
    np.testing.assert_array_equal(drifted, model.predict_proba(train))


def test_a_continuous_target_of_a_classifier_names_the_regressor():
    # scikit-learn's "Unknown label type: continuous" before, without what to use instead
    from llmboost import BundledPFNPrior, LLMBoostClassifier, PFNBoostClassifier

    X = pd.DataFrame({"a": np.arange(20.0)})
    y = np.linspace(0.0, 1.0, 20)
    cases = [
        (PriorBoostClassifier(scale=0), "use PriorBoostRegressor "),
        (PFNBoostClassifier(BundledPFNPrior(), scale=1.0), "use PFNBoostRegressor "),
        (LLMBoostClassifier(scale=0), "use PriorBoostRegressor or PFNBoostRegressor "),
        (BundledPFNPrior(), r"use BundledPFNPrior\(task='regression'\)"),
    ]
    for model, regressor in cases:
        with pytest.raises(ValueError, match=rf"y is continuous \(e.g. 0.05.*{regressor}"):
            model.fit(X, y)


@pytest.mark.parametrize(
    "bad",
    [np.inf, "inf", "nan", Decimal("-Infinity")],
    ids=["inf object", "inf text", "nan text", "Decimal -inf"],
)
def test_a_target_held_as_text_or_objects_is_checked_for_nan_and_infinity(bad):
    # the NaN/infinity check read only float y: LightGBM trained on these silently
    # (scale=0 predicted 6.7e37 for y=inf held as an object), XGBoost failed in its C++
    y = np.array([1.5, bad, 2.5, 0.5], dtype=object)
    message = r"Input y contains NaN or infinity \(rows \[1\]\); drop those rows\."
    with pytest.raises(ValueError, match=message):
        check_target(y, 4, classification=False)
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]})
    model = PriorBoostRegressor(scale=0, booster="lightgbm", booster_params={"n_estimators": 2})
    with pytest.raises(ValueError, match=message):
        model.fit(X, y)
    fitted = PriorBoostRegressor(scale=0, booster_params={"n_estimators": 2}).fit(
        X, [1.5, 1, 2.5, 0.5]
    )
    with pytest.raises(ValueError, match=r"eval_set \(X_val, y_val\): " + message):
        fitted.fit(X, [1.5, 1, 2.5, 0.5], eval_set=(X, y))
    with pytest.raises(ValueError, match=message):
        fitted.score(X, y)


def test_class_labels_held_as_objects_are_checked_for_infinity():
    # scikit-learn's type_of_target refused them without naming the row
    y = np.array([0.0, 1.0, np.inf, 1.0], dtype=object)
    with pytest.raises(ValueError, match=r"NaN or infinity \(rows \[2\]\)"):
        check_target(y, 4, classification=True)


def test_missing_dates_among_class_labels_are_named_by_row():
    # NaT was read as one more class; the fit failed with "y contains previously
    # unseen labels: np.datetime64('NaT','D')"
    days = np.array(["2020-01-01", "2021-01-01"] * 5, dtype="datetime64[D]")
    days[3] = np.datetime64("NaT")
    with pytest.raises(ValueError, match=r"NaN or infinity \(rows \[3\]\); drop those rows"):
        check_target(pd.Series(days), 10, classification=True)
    with pytest.raises(ValueError, match="y has dtype datetime64.*a regressor needs numbers"):
        check_target(days, 10, classification=False)
    labels = check_target(np.delete(days, 3), 9, classification=True)
    assert labels.dtype == days.dtype and len(np.unique(labels)) == 2


def test_integers_beyond_float_range_are_named():
    # a Python int beyond float64 raised a bare OverflowError("int too large to convert
    # to float"), naming neither the column, y nor the value
    big = 10**400
    column = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": pd.Series([1, -big, 3], dtype=object)})
    with pytest.raises(ValueError, match=r"Column 'b' holds -1e\+400 \(about 401 digits\) .*row 1"):
        to_frame(column)
    with pytest.raises(ValueError, match=r"Column 'x0' holds 1e\+400 .*first at row 1"):
        to_frame([[1], [big]])
    for y in ([1, big, 3], np.array([1, big, 3], dtype=object)):
        with pytest.raises(ValueError, match=r"y holds 1e\+400 \(about 401 digits\) at row 1"):
            check_target(y, 3, classification=False)
    with pytest.raises(
        ValueError, match=r"sample_weight holds 1e\+400 \(about 401 digits\) at row 1"
    ):
        check_sample_weight([1, big], 2)
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"eval_set \(X_val, y_val\): y holds 1e\+400 .* row 1"):
        PriorBoostRegressor(scale=0, cv=2).fit(
            X, [1.0, 2.0, 3.0, 4.0], eval_set=(X, [1, big, 3, 4])
        )


def test_decimals_beyond_float_range_are_named_not_called_infinity():
    # Decimal("-2.5e400") became -inf: "Column 'b' contains infinity (first at row 1)"
    column = pd.DataFrame({"b": pd.Series([Decimal("1.5"), Decimal("-2.5e400")], dtype=object)})
    with pytest.raises(ValueError, match=r"^Column 'b' holds -2\.5e\+400 \(about 401 digits\) \(f"):
        to_frame(column)
    with pytest.raises(
        ValueError, match=r"^Column 'x0' holds 1e\+400 \(about 401 digits\) \(first"
    ):
        to_frame(np.array([[Decimal("1.5")], [Decimal("1e400")]], dtype=object))
    with pytest.raises(ValueError, match=r"^Column 'b' contains infinity \(first at row 1\)"):
        to_frame(pd.DataFrame({"b": [Decimal("1.5"), Decimal("-Infinity")]}, dtype=object))
    assert to_frame([[Decimal("1.5")], [Decimal("2")]])["x0"].tolist() == [1.5, 2.0]


def test_integer_labels_beyond_int64_are_named():
    # 2**63 next to 1 made floats, which scikit-learn reads as continuous: a bare
    # StopIteration; 2**70 stayed an object: "Unknown label type: unknown"
    for y, shown in (
        ([1, 2**63, 1], r"9\.22e\+18"),
        (np.array([1.0, 1e19, 1.0]), r"1e\+19"),
        (np.array([1, 2**70, 1], dtype=object), "1180591620717411303424"),
        ([1, 10**400, 1], r"1e\+400 \(about 401 digits\)"),
    ):
        with pytest.raises(ValueError, match=rf"y holds the label {shown} \(row 1\), beyond int6"):
            check_target(y, 3, classification=True)
    labels = check_target(np.array([0, 2**63], dtype=np.uint64), 2, classification=True)
    assert labels.tolist() == [0, 2**63]  # unsigned 64-bit labels are read as they are


def _object_categories(values):
    return pd.CategoricalDtype(pd.Index(values, dtype=object))


@pytest.mark.parametrize(
    "make, column, where",
    [
        (
            lambda t: pd.DataFrame({"c": ["a", t, "b"]}, index=[5, 6, 7], dtype=object),
            "c",
            "index 6",
        ),
        (
            lambda t: pd.DataFrame({"c": pd.array(["a", "b", t], dtype="string[python]")}),
            "c",
            "row 2",
        ),
        (
            lambda t: pd.DataFrame(
                {"c": pd.Categorical.from_codes([0, 1], dtype=_object_categories(["a", t]))}
            ),
            "c",
            "row 1",
        ),
        (lambda t: np.array([["a", 1.0], [2.0, t]], dtype=object), "x1", "row 1"),
        (lambda t: [["a"], [t]], "x0", "row 1"),
    ],
)
def test_text_with_a_lone_surrogate_names_the_column_and_row(make, column, where):
    # a raw UnicodeEncodeError "'utf-8' codec can't encode character '\ud800'", from pandas
    with pytest.raises(ValueError) as err:
        to_frame(make("x\ud800"))
    assert str(err.value) == (
        f"Column {column!r} holds text that is not valid Unicode (first at {where}: "
        "'x\\ud800', a lone surrogate, as from a bad decode); re-decode it "
        "(bytes.decode('utf-8', errors='replace')) or remove those characters."
    )


def test_a_categorical_column_of_bytes_is_refused_like_an_object_column_of_bytes():
    # its categories became the text "b'u'" and "b'v'"; an object column of bytes is refused
    message = "Column 'c' holds a value of type bytes (b'u'); expected numbers, booleans or text."
    for values in (pd.Categorical([b"u", b"v", None]), pd.Series([b"u", b"v", None], dtype=object)):
        with pytest.raises(TypeError) as err:
            to_frame(pd.DataFrame({"c": values, "n": [1.0, 2.0, 3.0]}))
        assert str(err.value) == message
    text = to_frame(pd.DataFrame({"c": pd.Categorical(["u", "v", None])}))["c"]
    assert list(text.cat.categories) == ["u", "v"]  # text categories as before


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        ({"cv": -(2**2000)}, "-1.15e+602 (about 603 digits)"),  # printed all 603 digits
        ({"n_trials": list(range(1000))}, f"{list(range(1000))!r:.77}..."),  # all 4890 chars
    ],
)
def test_a_refused_constructor_value_is_shown_in_brief(params, shown):
    X, y = np.arange(20.0).reshape(-1, 1), np.arange(20) % 2
    with pytest.raises(ValueError) as err:
        PriorBoostClassifier(LogisticRegression(), **params).fit(X, y)
    assert str(err.value).endswith(f", got {shown}.")
    assert len(str(err.value)) < 250


def test_a_refused_value_holding_a_huge_integer_is_described():
    # the message itself failed: "Exceeds the limit (4300 digits) for integer string conversion"
    X, y = np.arange(20.0).reshape(-1, 1), np.arange(20) % 2
    with pytest.raises(ValueError) as err:
        PriorBoostClassifier(LogisticRegression(), n_trials=[2**20000]).fit(X, y)
    assert str(err.value) == (
        "PriorBoostClassifier: n_trials must be an integer >= 0, got a list holding an "
        "integer too long to print."
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [  # 10**400 was taken and failed at predict ("int too large to convert to float"),
        (10**400, "1e+400 (about 401 digits)"),
        # a Fraction beyond float64 failed the check itself with an OverflowError
        (Fraction(10**400), f"{Fraction(10**400)!r:.77}..."),
    ],
)
def test_a_number_beyond_float64_is_refused_where_a_float_belongs(value, shown):
    X, y = pd.DataFrame({"a": np.arange(20.0)}), np.arange(20) % 2
    with pytest.raises(ValueError) as err:
        BundledPFNPrior(softmax_temperature=value).fit(X, y)
    assert str(err.value) == (
        f"BundledPFNPrior: softmax_temperature must be a number > 0, got {shown}."
    )


def test_string_view_labels_of_pandas_are_read_as_text():
    # pandas raised a bare "NotImplementedError: string_view"
    pa = pytest.importorskip("pyarrow")
    kind = pd.ArrowDtype(pa.string_view())
    labels = pd.Series(["u", "v", "u"], dtype=kind)
    assert check_target(labels, 3, classification=True).tolist() == ["u", "v", "u"]
    assert check_target(labels.array, 3, classification=True).tolist() == ["u", "v", "u"]
    with pytest.raises(ValueError, match=r"y contains NaN or infinity \(rows \[1\]\)"):
        check_target(pd.Series(["u", None, "v"], dtype=kind), 3, classification=True)
    numbers = pd.Series(["1.5", "2"], dtype=kind)
    assert check_target(numbers, 2, classification=False).tolist() == [1.5, 2.0]


def test_booleans_and_numbers_among_text_are_distinct_categories():
    # True and 1 are equal, so they shared one category named by whichever came first:
    # ["u", True, 1] read 1 as "True", and a later batch's 1 was unseen (missing)
    X = pd.DataFrame({"a": ["u", True, 1, 0, np.False_, None]}, dtype=object)
    frame = to_frame(X)
    assert frame["a"].tolist()[:5] == ["u", "True", "1", "0", "False"]
    assert frame["a"].cat.categories.tolist() == ["0", "1", "False", "True", "u"]
    later = to_frame(pd.DataFrame({"a": ["u", 1]}, dtype=object))
    aligned = align_categories(later, fit_categories(frame))
    assert aligned["a"].tolist() == ["u", "1"]


def test_a_signalling_nan_decimal_is_missing_as_nan_is():
    # pandas' missing check raised a bare decimal.InvalidOperation on Decimal("sNaN")
    snan = Decimal("sNaN")
    frame = to_frame(pd.DataFrame({"d": [snan, Decimal("1.5")], "t": ["u", snan]}))
    assert frame["d"].tolist()[1] == 1.5 and np.isnan(frame["d"].iloc[0])
    assert frame["t"].tolist() == ["u", np.nan] and frame["t"].cat.categories.tolist() == ["u"]
    array = to_frame(np.array([[snan], [2]], dtype=object))
    assert np.isnan(array["x0"].iloc[0]) and array["x0"].iloc[1] == 2.0
    for classification in (True, False):
        with pytest.raises(ValueError, match=r"y contains NaN or infinity \(rows \[0\]\)"):
            check_target(np.array([snan, 1], dtype=object), 2, classification=classification)


@pytest.mark.parametrize(
    "label, kind", [(Decimal("1.5"), "Decimal"), (Fraction(1, 2), "Fraction"), ({"a": 1}, "dict")]
)
def test_labels_of_a_type_that_is_not_a_class_are_named(label, kind):
    # scikit-learn's "Unknown label type: unknown. Maybe you are trying to fit a
    # classifier, which expects discrete classes on a regression target" named none
    from datetime import date

    for value, name in ((label, kind), (date(2020, 1, 2), "date")):
        y = np.array([value, 2, value, 2], dtype=object)
        with pytest.raises(ValueError, match=rf"y holds labels of type {name} \(e.g. "):
            check_target(y, 4, classification=True)


@pytest.mark.parametrize("classification", [True, False])
def test_complex_labels_are_named_without_printing_every_label(classification):
    # scikit-learn's "Complex data not supported\n[ 0.+1.j  1.+1.j ...]" printed all of y
    for y in (np.arange(1000) + 1j, pd.Series([1 + 2j, 3] * 500, dtype=object)):
        with pytest.raises(ValueError) as error:
            check_target(y, 1000, classification=classification)
        assert str(error.value).startswith("y holds complex numbers (e.g. ")
        assert len(str(error.value)) < 150


@pytest.mark.parametrize("weight", ["1", b"1", np.str_("2.5")])
def test_sample_weight_given_as_text_is_refused(weight):
    # "1" weighed every row 1.0 without a word; scikit-learn refuses text as a weight
    with pytest.raises(TypeError, match=r"^sample_weight=.*'.*' is text, not a weight; give"):
        check_sample_weight(weight, 3)
    np.testing.assert_array_equal(check_sample_weight(2.5, 3), [2.5, 2.5, 2.5])


def test_rows_of_different_lengths_are_named_by_their_parameter():
    # NumPy's "setting an array element with a sequence" named none of X, y, sample_weight
    ragged = [[1.0, 2.0], [3.0]]
    for check, name in [
        (lambda: to_frame(ragged), "X"),
        (lambda: check_target(ragged, 2, classification=True), "y"),
        (lambda: check_target(ragged, 2, classification=False), "y"),
        (lambda: check_sample_weight(ragged, 2), "sample_weight"),
    ]:
        with pytest.raises(ValueError, match=rf"^{name} has rows of different lengths: setting"):
            check()
    with pytest.raises(ValueError, match=r"^y has shape \(2, 2\): llmboost fits one target"):
        check_target([[1.0, 2.0], [3.0, 4.0]], 2, classification=False)  # as an array's


@pytest.mark.parametrize("Model", [PriorBoostClassifier, PriorBoostRegressor])
def test_rows_of_different_lengths_in_score_and_eval_set_are_named(Model):
    # score's y and eval_set's y_val failed with NumPy's bare "setting an array element
    # with a sequence", raised again while reading the refused y for a better message
    X, y = np.arange(8.0).reshape(-1, 1), np.arange(8) % 2
    ragged = [[0.0]] * 7 + [[0.0, 1.0]]
    model = Model(scale=0, booster_params={"n_estimators": 2}).fit(X, y)
    with pytest.raises(ValueError, match=r"^y has rows of different lengths: setting"):
        model.score(X, ragged)
    with pytest.raises(ValueError, match=r"^eval_set \(X_val, y_val\): y_val has rows of d"):
        Model(scale=0).fit(X, y, eval_set=(X, ragged))


@pytest.mark.parametrize("Model", [PriorBoostClassifier, PriorBoostRegressor])
def test_masked_entries_of_y_val_are_named_y_val(Model):
    # they were told as fit's y: "y is a masked array ... fill them (y.filled(...))"
    X, y = np.arange(8.0).reshape(-1, 1), np.arange(8) % 2
    y_val = np.ma.array(y, mask=np.arange(8) == 3)
    with pytest.raises(ValueError) as error:
        Model(scale=0).fit(X, y, eval_set=(X, y_val))
    assert str(error.value) == (
        "eval_set (X_val, y_val): y_val is a masked array with masked entries (rows [3]), "
        "which would be read as the values under the mask: fill them (y_val.filled(...)) or "
        "drop those rows."
    )
    model = Model(scale=0, booster_params={"n_estimators": 2}).fit(X, y)
    with pytest.raises(ValueError, match=r"^y is a masked array .* \(y\.filled"):
        model.score(X, y_val)  # score's parameter is y
