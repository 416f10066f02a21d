"""Input types a scikit-learn user passes: labels, weights, columns and parameters."""

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from llmboost import PriorBoostClassifier, SklearnPrior
from llmboost._params import InvalidParameterError
from llmboost._validation import (
    align_categories,
    booster_frame,
    check_sample_weight,
    check_target,
    fit_categories,
    to_frame,
)

N = 24


def _classifier(**kw):
    """A fast classifier whose prior and trees both read every column."""
    params = {"prior": SklearnPrior(LogisticRegression()), "scale": 0.5, "cv": 2, **kw}
    return PriorBoostClassifier(booster_params={"n_estimators": 10}, random_state=0, **params)


def _table():
    """Two numeric columns; ``a`` separates the classes ``arange(N) % 2``."""
    y = np.arange(N) % 2
    rng = np.random.default_rng(0)
    return pd.DataFrame({"a": y + rng.normal(0, 0.2, N), "b": rng.normal(size=N)}), y


@pytest.mark.parametrize(
    ("dtype", "kind"),
    [("Int64", "i"), ("boolean", "b"), ("int64[pyarrow]", "i"), ("bool[pyarrow]", "b")],
)
def test_nullable_and_arrow_labels_keep_their_kind(dtype, kind):
    X, y = _table()
    labels = pd.Series(y == 1 if kind == "b" else y, dtype=dtype)
    assert check_target(labels, N, classification=True).dtype.kind == kind
    model = _classifier().fit(X, labels)
    assert model.classes_.dtype.kind == kind
    pred = model.predict(X)
    assert pred.dtype.kind == kind
    np.testing.assert_array_equal(pred, labels.to_numpy(dtype=model.classes_.dtype))


def test_bfloat16_torch_tensors_are_read_as_float32():
    # numpy raised "TypeError: Got unsupported ScalarType BFloat16" (and, for a tensor that
    # requires grad, "Can't call numpy() on Tensor that requires grad")
    torch = pytest.importorskip("torch")
    X, y = _table()
    tensor = torch.tensor(X.to_numpy()).bfloat16().requires_grad_()
    exact = tensor.detach().float().numpy()  # float32 holds every bfloat16 exactly
    np.testing.assert_array_equal(to_frame(tensor).to_numpy(), exact)
    model = _classifier().fit(tensor, torch.tensor(y).bfloat16())
    reference = _classifier().fit(exact, y.astype(np.float32))
    np.testing.assert_array_equal(model.classes_, reference.classes_)
    np.testing.assert_array_equal(model.predict_proba(tensor), reference.predict_proba(exact))


def test_float8_torch_tensors_are_read_as_float32():
    # numpy raised "TypeError: Got unsupported ScalarType Float8_e4m3fn", as for bfloat16
    torch = pytest.importorskip("torch")
    X, y = _table()
    for kind in (torch.float8_e4m3fn, torch.float8_e5m2):
        tensor = torch.tensor(X.to_numpy()).to(kind)
        exact = tensor.float().numpy()  # float32 holds every float8 value exactly
        np.testing.assert_array_equal(to_frame(tensor).to_numpy(), exact)
        labels = torch.tensor(y).to(kind)
        assert check_target(labels, N, classification=True).tolist() == y.tolist()
        weights = check_sample_weight(torch.full((N,), 0.5).to(kind), N)
        np.testing.assert_array_equal(weights, np.full(N, 0.5))  # 0.5 is exact in float8


def test_arrow_dictionary_labels_with_a_missing_value_are_refused():
    # a column of a pyarrow table (a chunked array) read its null as the label 'q'
    pa = pytest.importorskip("pyarrow")
    codes = pa.array([0, None, 1], pa.int8())
    labels = pa.chunked_array([pa.DictionaryArray.from_arrays(codes, pa.array(["p", "q"]))])
    with pytest.raises(ValueError, match=r"y contains NaN or infinity \(rows \[1\]\)"):
        check_target(labels, 3, classification=True)
    full = pa.chunked_array(
        [pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int8()), ["p", "q"])]
    )
    assert check_target(full, 2, classification=True).tolist() == ["p", "q"]


def test_nullable_labels_with_missing_values_name_the_rows():
    with pytest.raises(ValueError, match=r"y contains NaN or infinity \(rows \[1\]\)"):
        check_target(pd.Series([1, None, 2], dtype="Int64"), 3, classification=True)


def test_labels_mixing_booleans_and_numbers_are_refused():
    X, y = _table()
    mixed = np.array([True if label else 2 for label in y], dtype=object)
    with pytest.raises(ValueError, match="y mixes booleans and other labels .e.g. True and 2."):
        _classifier().fit(X, mixed)
    labels = check_target(np.array([True, False, True], dtype=object), 3, classification=True)
    assert labels.dtype == bool


def test_labels_given_as_a_list_of_mixed_types_are_refused_as_an_object_array_is():
    # [1, "a"] became the text labels "1" and "a" (predict then gave "1", not 1), and
    # [True, 2] the numbers 1 and 2, where the same labels as an object array are refused
    for labels, message in (
        ([1, "a", "a"], "y mixes text and other labels (e.g. 'a' and 1)"),
        ([True, 2, 2], "y mixes booleans and other labels (e.g. True and 2)"),
    ):
        for y in (labels, tuple(labels), np.array(labels, dtype=object)):
            with pytest.raises(ValueError, match=re.escape(message)):
                check_target(y, 3, classification=True)
    # a missing label among text was the label "nan" (NaN) or refused as a mixed type (None)
    for missing in (None, np.nan, pd.NA):
        with pytest.raises(ValueError, match=re.escape("y contains NaN or infinity (rows [1])")):
            check_target(["a", missing, "b"], 3, classification=True)
    assert check_target(["a", "b", "a"], 3, classification=True).tolist() == ["a", "b", "a"]
    assert check_target([1, 2, 1], 3, classification=True).dtype.kind == "i"
    assert check_target([[1], [2], [1]], 3, classification=True).tolist() == [1, 2, 1]
    assert check_target([1, "2.5", 3], 3, classification=False).tolist() == [1.0, 2.5, 3.0]


def test_arrow_durations_become_seconds():
    durations = pd.array(
        [pd.Timedelta(1, "s"), None, pd.Timedelta(3, "ms")] * 8, dtype="duration[ns][pyarrow]"
    )
    X, y = _table()
    X["d"] = durations
    frame = to_frame(X)
    assert frame["d"].dtype == np.float64
    np.testing.assert_array_equal(frame["d"].to_numpy()[:3], [1.0, np.nan, 0.003])
    model = _classifier().fit(X, y)
    as_numpy = X.assign(d=pd.to_timedelta([1, np.nan, 0.003] * 8, unit="s"))
    # exact: both frames convert to identical floats, scored on the same CPU
    np.testing.assert_array_equal(model.predict_proba(as_numpy), model.predict_proba(X))


def test_unreadable_dtypes_get_a_message_that_fits_them():
    with pytest.raises(ValueError, match=r"'i' has dtype interval\[int64, right\]; only numbers"):
        to_frame(pd.DataFrame({"i": pd.interval_range(0, 3)}))
    with pytest.raises(
        ValueError, match=r"'t' has dtype timestamp\[ns\]\[pyarrow\]; convert dates"
    ):
        to_frame(
            pd.DataFrame({"t": pd.array([pd.Timestamp(2020, 1, 1)], "timestamp[ns][pyarrow]")})
        )


def test_numbers_in_numpy_string_arrays_are_read_as_numbers():
    frame = to_frame(np.array([["1.5", "red"], ["2", "blue"]]))
    assert frame["x0"].tolist() == [1.5, 2.0]
    assert list(frame["x1"].cat.categories) == ["blue", "red"]
    X, y = _table()
    rows = [[a, "u" if label else "v"] for a, label in zip(X["a"], y)]  # numpy makes it <U
    as_objects = np.array(rows, dtype=object)
    model = _classifier().fit(rows, y)
    assert (model.predict(rows) == y).all()
    # exact: the list and the object array convert to identical frames, on the same CPU
    np.testing.assert_array_equal(
        model.predict_proba(rows), _classifier().fit(as_objects, y).predict_proba(as_objects)
    )


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_empty_column_name_fits(booster):
    assert list(booster_frame(to_frame(pd.DataFrame([[1, 2, 3]], columns=["", "_", "a"])))) == [
        "_",
        "__1",
        "a",
    ]
    X, y = _table()
    X = X.rename(columns={"b": ""})
    model = _classifier(booster=booster).fit(X, y)
    assert list(model.feature_names_in_) == ["a", ""]
    assert (model.predict(X) == y).all()


def test_sample_weight_of_text_is_refused():
    with pytest.raises(ValueError, match="sample_weight must hold numbers, not text: row 0"):
        check_sample_weight(["a", "b"], 2)


@pytest.mark.parametrize(
    "weight",
    [["1", "2"], np.array(["1", "2"]), pd.Series(["1", "2"], dtype="string"), [1.0, b"2"]],
)
def test_sample_weight_of_text_numbers_is_refused_as_one_text_weight_is(weight):
    # ["1", "2"] was read as the weights 1 and 2 while sample_weight="1" was refused
    row, value = (1, "b'2'") if isinstance(weight[1], bytes) else (0, "'1'")
    with pytest.raises(ValueError) as error:
        check_sample_weight(weight, 2)
    assert str(error.value) == (
        f"sample_weight must hold numbers, not text: row {row} holds {value}; convert the "
        "weights first, e.g. pd.to_numeric(sample_weight)."
    )
    with pytest.raises(ValueError, match="not text: row 0"):
        _classifier().fit(*_table(), sample_weight=[str(i) for i in range(N)])


@pytest.mark.parametrize(
    ("weight", "shown"),
    [(-2.5, "-2.5"), (np.nan, "nan"), (-np.inf, "-inf"), (1e40, "1e+40"), (1e-40, "1e-40")],
)
def test_a_refused_sample_weight_is_named_with_its_value(weight, shown):
    # the messages named the rows only ("sample_weight must be finite and >= 0 (rows [1])")
    with pytest.raises(ValueError) as error:
        check_sample_weight([1.0, weight, 1.0, weight], 4)
    assert "(rows [1, 3]" in str(error.value)
    assert f"row 1 holds {shown}" in str(error.value)


def test_one_number_as_sample_weight_weighs_every_row_alike():
    # refused with "sample_weight has shape (); expected (4,)", where scikit-learn takes it
    np.testing.assert_array_equal(check_sample_weight(2.5, 4), [2.5] * 4)
    np.testing.assert_array_equal(check_sample_weight(np.float32(1), 3), [1.0] * 3)
    X, y = _table()
    weighted = _classifier().fit(X, y, sample_weight=3.0)
    expected = _classifier().fit(X, y, sample_weight=np.full(len(y), 3.0))
    np.testing.assert_array_equal(weighted.predict_proba(X), expected.predict_proba(X))
    with pytest.raises(ValueError, match="sample_weight must be finite and >= 0"):
        check_sample_weight(-1.0, 2)


def test_complex_sample_weight_is_refused():
    # the imaginary part was dropped with NumPy's ComplexWarning, and the fit went on
    for weight in (np.array([1.0, 2.0]) + 1j, [1 + 0j, 2 + 0j], pd.Series([1j, 2.0])):
        with pytest.raises(ValueError, match="sample_weight must hold real numbers"):
            check_sample_weight(weight, 2)
    np.testing.assert_array_equal(check_sample_weight(pd.Series([1, 2]), 2), [1.0, 2.0])


class _NoFit(SklearnPrior):
    def fit(self, *args, **kwargs):
        raise AssertionError("the prior was fitted before scoring was checked")

    oof_logits = fit


def test_unknown_scoring_name_is_refused_before_the_prior_fits():
    X, y = _table()
    model = _classifier(prior=_NoFit(LogisticRegression()), scale=[0, 1], scoring="acuracy")
    with pytest.raises(InvalidParameterError, match="scoring must be a name from sklearn.metrics"):
        model.fit(X, y)
    assert _classifier(scale=[0, 1], scoring="accuracy").fit(X, y).scale_ in (0.0, 1.0)


def test_integer_categories_arriving_as_floats_keep_their_values():
    X, y = _table()
    codes = np.where(y == 1, 1, 2)
    X["a"] = pd.Categorical(codes)  # the only informative column
    model = _classifier(scale=0).fit(X, y)
    # a missing value turns integer codes into floats: categories 1.0, 2.0
    as_floats = X.assign(a=pd.Categorical(np.where(np.arange(N) == 0, np.nan, codes)))
    aligned = align_categories(to_frame(as_floats), model.categories_)["a"]
    assert aligned.astype(object).fillna("missing").tolist()[:3] == ["missing", "1", "2"]
    # exact: rows 1.. convert to identical frames, scored on the same CPU
    np.testing.assert_array_equal(model.predict_proba(as_floats)[1:], model.predict_proba(X)[1:])
    assert (model.predict(as_floats)[1:] == y[1:]).all()


def test_codes_written_differently_are_not_matched():
    fitted = fit_categories(to_frame(pd.DataFrame({"zip": ["01234", "1.5", "7"]})))
    new = to_frame(pd.DataFrame({"zip": ["1234", "1.50", "7.0", "1.5"]}))
    got = align_categories(new, fitted)["zip"].astype(object).fillna("missing").tolist()
    assert got == ["missing", "missing", "7", "1.5"]


@pytest.mark.parametrize(
    ("weight", "message"),
    [(1e40, "above float32's largest value 3.4e.38"), (1e-40, "below float32's smallest normal")],
)
def test_sample_weight_beyond_float32_is_refused(weight, message):
    # XGBoost refused 1e40 with "Weights must be positive values"; 1e-40 became zero
    X, y = _table()
    with pytest.raises(ValueError, match=rf"sample_weight has values {message}.*rows \[0, 1"):
        _classifier().fit(X, y, sample_weight=np.full(N, weight))
    rescaled = _classifier().fit(X, y, sample_weight=np.full(N, weight) / weight)
    # exact: weights of one are the rows unweighted, fitted on the same CPU
    np.testing.assert_array_equal(
        rescaled.predict_proba(X), _classifier().fit(X, y).predict_proba(X)
    )


def test_object_arrays_of_nullable_columns_read_like_the_table():
    # DataFrame.to_numpy() of nullable columns holds pd.NA and NaT: float() raised TypeError
    X, y = _table()
    missing = np.arange(N) % 5 == 0
    X["i"] = pd.array(np.where(missing, None, np.arange(N)), dtype="Int64")
    X["s"] = pd.array(np.where(missing, None, np.where(y == 1, "u", "v")), dtype="string")
    X["d"] = pd.to_timedelta(np.where(missing, np.nan, np.arange(N)), unit="s")
    array = X.to_numpy()
    assert array.dtype == object and array[0, 2] is pd.NA and array[0, 4] is pd.NaT
    frame = to_frame(array)
    np.testing.assert_array_equal(frame["x2"].to_numpy()[:2], [np.nan, 1.0])
    assert frame["x3"].astype(object).fillna("missing").tolist()[:2] == ["missing", "u"]
    np.testing.assert_array_equal(frame["x4"].to_numpy()[:2], [np.nan, 1.0])
    model = _classifier().fit(X, y)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        from_array = model.predict_proba(array)
    # exact: the array converts to the same frame as the table, scored on the same CPU
    np.testing.assert_array_equal(from_array, model.predict_proba(X))
    np.testing.assert_array_equal(_classifier().fit(array, y).predict_proba(array), from_array)


def test_arrow_dictionary_columns_are_categories(tmp_path):
    # a categorical read from parquet with dtype_backend="pyarrow" was refused as unreadable
    pytest.importorskip("pyarrow")
    X, y = _table()
    X["c"] = pd.Categorical(np.where(y == 1, "yes", "no"), categories=["yes", "no"])
    X.to_parquet(tmp_path / "t.parquet")
    arrow = pd.read_parquet(tmp_path / "t.parquet", dtype_backend="pyarrow")
    assert str(arrow["c"].dtype).startswith("dictionary<values=string")
    frame = to_frame(arrow)
    assert list(frame["c"].cat.categories) == ["yes", "no"]  # the dictionary's order
    assert frame["c"].tolist() == X["c"].tolist()
    model = _classifier().fit(X, y)
    # exact: both tables convert to identical frames, scored on the same CPU
    np.testing.assert_array_equal(model.predict_proba(arrow), model.predict_proba(X))
    np.testing.assert_array_equal(
        _classifier().fit(arrow, y).predict_proba(X), model.predict_proba(X)
    )


def test_polars_enums_and_arrow_dictionaries_keep_their_categories():
    # polars and pyarrow tables were read through NumPy: an Enum's or a dictionary's
    # categories became the values present, sorted (['hi', 'lo', 'mid'] for
    # ['lo', 'mid', 'hi', 'unused']), and a missing value in an Arrow dictionary column
    # read as a category ('b' below)
    pl, pa = pytest.importorskip("polars"), pytest.importorskip("pyarrow")
    categories = ["lo", "mid", "hi", "unused"]
    values = ["lo", "hi", None, "mid", "lo"]
    want = to_frame(pd.DataFrame({"c": pd.Categorical(values, categories=categories)}))
    enum = pl.DataFrame({"c": pl.Series(values, dtype=pl.Enum(categories))})
    pd.testing.assert_frame_equal(to_frame(enum), want)
    codes = pa.array([0, 2, None, 1, 0], pa.int8())
    arrow = pa.table({"c": pa.DictionaryArray.from_arrays(codes, pa.array(categories))})
    pd.testing.assert_frame_equal(to_frame(arrow), want)
    first = pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int8()), pa.array(["a", "b"]))
    second = pa.DictionaryArray.from_arrays(pa.array([None, 0], pa.int8()), pa.array(["z"]))
    chunks = pa.chunked_array([first, second])  # the chunks' dictionaries differ
    for table in (
        pa.table({"c": chunks}),
        pd.DataFrame({"c": pd.arrays.ArrowExtensionArray(chunks)}),
    ):
        column = to_frame(table)["c"]
        assert column.tolist() == ["a", "b", np.nan, "z"]
        assert list(column.cat.categories) == ["a", "b", "z"]


def test_polars_columns_without_a_numpy_form_are_named():
    # Int128 raised polars' "cannot convert i128 to NumPy", and a struct or fixed-size
    # array pandas' "Per-column arrays must each be 1-dimensional": neither named the column
    pl = pytest.importorskip("polars")
    for name, column, message in [
        ("big", pl.Series([1, 2], dtype=pl.Int128), "has dtype Int128, which has no NumPy form"),
        ("s", pl.Series([{"a": 1}, {"a": 2}]), "has dtype Struct({'a': Int64}); only numbers"),
        ("v", pl.Series([[1, 2], [3, 4]], dtype=pl.Array(pl.Int64, 2)), "has dtype Array("),
    ]:
        with pytest.raises(ValueError, match=re.escape(f"Column {name!r} {message}")):
            to_frame(pl.DataFrame({"ok": [1.0, 2.0], name: column}))


def test_a_polars_lazy_frame_is_told_to_collect():
    # "Expected 2D array, got scalar array instead: array=naive plan: ..." from check_array
    pl = pytest.importorskip("polars")
    lazy = pl.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}).lazy()
    with pytest.raises(TypeError) as err:
        to_frame(lazy)
    assert str(err.value) == "X is a polars LazyFrame; collect it first: X.collect()."
    assert to_frame(lazy.collect()).shape == (2, 2)


def test_numpy_dates_and_durations_in_object_arrays_read_as_in_a_table():
    # cast to floats, they were counts of each value's unit: 5 ms read as 5, and dates
    # (refused in a table) became numbers
    durations = [np.timedelta64(5, "ms"), np.timedelta64(2, "s")]
    array = np.array([[d, "a"] for d in durations], dtype=object)
    assert to_frame(array)["x0"].tolist() == [0.005, 2.0]
    assert to_frame(pd.DataFrame({"x0": durations, "x1": "a"}))["x0"].tolist() == [0.005, 2.0]
    dates = [np.datetime64("2020-01-01"), np.datetime64("2020-01-02T00:00:00")]
    with pytest.raises(ValueError, match="'x0' has dtype datetime64.*; convert dates"):
        to_frame(np.array([[d, "a"] for d in dates], dtype=object))
    table = pd.DataFrame({"t": pd.to_datetime(["2020-01-01", None]), "s": ["a", "b"]})
    with pytest.raises(ValueError, match="'x0' has dtype datetime64.*; convert dates"):
        to_frame(table.to_numpy())  # Timestamps: float() raised its own TypeError


@pytest.mark.parametrize(
    "name",
    ["PriorBoostClassifier", "PriorBoostRegressor", "PFNBoostClassifier", "LLMBoostClassifier"],
)
def test_tags_say_text_and_missing_values_are_taken(name):
    # scikit-learn reads the tags to know what a model takes: text columns are categories
    import llmboost

    tags = getattr(llmboost, name)().__sklearn_tags__().input_tags
    assert (tags.string, tags.allow_nan, tags.categorical) == (True, True, False)


def test_text_and_missing_values_in_an_object_array_fit():
    X = np.array([["red", 1.0], ["blue", np.nan], ["red", 2.0], ["blue", 0.5]] * 10, dtype=object)
    y = np.array([1, 0, 1, 0] * 10)
    model = PriorBoostClassifier(scale=0, booster_params={"n_estimators": 5}).fit(X, y)
    assert (model.predict(X) == y).all()


def test_only_a_text_name_of_y_names_the_language_model_target():
    # a y taken from a frame with integer column labels wrote "predict the value of 0."
    from llmboost import LLMBoostClassifier, LLMPrior

    X = pd.DataFrame({"age": [40.0, 61.0, 35.0, 70.0]})
    for name, sentence in [
        (0, "the correct class."),
        ("heart_disease", "the value of heart disease."),
    ]:
        y = pd.Series([0, 1, 0, 1], name=name)
        prior = LLMBoostClassifier()._resolve_prior(y)
        assert prior.target_name == (name if isinstance(name, str) else None)
        prior = LLMPrior()
        prior._prepare(X, y)
        assert prior.task_description_.endswith(f"predict {sentence}")


def test_an_array_for_a_parameter_with_named_options_is_refused_by_name():
    # BundledPFNPrior(n_ensemble=np.array([1, 2])) raised NumPy's "truth value of an array
    # ... is ambiguous"; np.array(["auto"]) passed the check as if it were "auto"
    from llmboost import BundledPFNPrior
    from llmboost._params import Options

    X, y = pd.DataFrame({"a": np.arange(20.0)}), np.arange(20) % 2
    for value in (np.array([1, 2]), np.array(["auto"]), ["auto"]):
        with pytest.raises(InvalidParameterError, match=r"n_ensemble must be .* one of 'auto'"):
            BundledPFNPrior(n_ensemble=value).fit(X, y)
    assert Options(("auto",))(np.str_("auto")) and not Options(("auto",))(pd.NA)


def test_an_integer_beyond_float_range_is_refused_by_name():
    # OverflowError: int too large to convert to float, from inside the parameter check
    X, y = pd.DataFrame({"a": np.arange(20.0)}), np.arange(20) % 2
    model = PriorBoostClassifier(scale=0, random_state=10**400)
    with pytest.raises(InvalidParameterError, match=r"random_state must be an integer >= 0"):
        model.fit(X, y)
    model = PriorBoostClassifier(scale=0, cv=10**400)  # in range: checked against the rows
    assert model._check_params() is None


def test_sample_weight_of_durations_or_dates_is_refused():
    # they became ticks of pandas' unit: 1 and 2 seconds weighed 1e9 and 2e9 (dates 1.6e18)
    for weight, dtype in (
        (pd.Series(pd.to_timedelta([1, 2], unit="s")), "timedelta64"),
        (pd.to_datetime(["2020-01-01", "2020-01-02"]), "datetime64"),
        (np.array([1, 2], dtype="timedelta64[D]"), "timedelta64"),
    ):
        with pytest.raises(ValueError, match=rf"sample_weight has dtype {dtype}.*total_seconds"):
            check_sample_weight(weight, 2)


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("dtype", ["category", "object", "str"])
def test_a_text_column_missing_at_fit_stays_categorical(booster, dtype):
    # it was read as numbers: fit's categories_ lacked it, text at predict warned "was
    # numeric at fit but is text now" and numeric text ("1") was read as the number 1
    X, y = _table()
    X["c"] = pd.Series([None] * N, dtype=dtype)
    model = _classifier(booster=booster).fit(X, y)
    pd.testing.assert_index_equal(model.categories_["c"], pd.Index([], dtype=object))
    new = X.assign(c=pd.Series(["1", "u"] * (N // 2), dtype=dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every value is unseen, as the fit had none
        got = model.predict_proba(new)
    np.testing.assert_array_equal(got, model.predict_proba(X))  # the same rows as at fit
    assert booster_frame(to_frame(X))["c"].dtype == np.float64  # XGBoost needs categories


@pytest.mark.parametrize("dtype", ["object", "str"])
def test_numbers_in_a_column_of_no_value_at_fit_are_not_warned_about(dtype):
    # an object column missing in every training row warned at predict, given numbers,
    # "Column 'c' was categorical at fit but is numeric now; ... 24 value(s) matched
    # nothing", though it had no category to match (text there is not warned about)
    X, y = _table()
    X["c"] = pd.Series([None] * N, dtype=dtype)
    model = _classifier().fit(X, y)
    new = X.assign(c=np.arange(N) * 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = model.predict_proba(new)
    np.testing.assert_array_equal(got, model.predict_proba(X))  # unseen: missing, as at fit


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_declared_categories_of_a_column_missing_at_fit_carry_nothing_at_predict(booster):
    # its declared categories were kept: "u" and "v" at predict moved the probabilities
    # (by up to 2.4e-06 here), though no row at fit held a value of that column
    X, y = _table()
    X["c"] = pd.Categorical([None] * N, categories=["u", "v"])
    model = _classifier(booster=booster).fit(X, y)
    pd.testing.assert_index_equal(model.categories_["c"], pd.Index([], dtype=object))
    new = X.assign(c=pd.Categorical(["u", "v"] * (N // 2), categories=["u", "v"]))
    np.testing.assert_array_equal(model.predict_proba(new), model.predict_proba(X))


def test_a_category_column_missing_in_every_row_has_no_categories():
    frame = to_frame(pd.DataFrame({"c": pd.Categorical([None, None], categories=[2, 1])}))
    assert list(frame["c"].cat.categories) == [] and frame["c"].isna().all()


def test_an_arrow_dictionary_column_missing_in_every_row_is_categorical():
    # it became floats (an Arrow table's column of the same values was categorical)
    pa = pytest.importorskip("pyarrow")
    codes = pa.array([None, None], pa.int32())
    column = pa.DictionaryArray.from_arrays(codes, pa.array(["x", "y"]))
    series = pd.Series(pd.arrays.ArrowExtensionArray(column))
    for X in (pd.DataFrame({"c": series}), pa.table({"c": column})):
        got = to_frame(X)["c"]
        assert list(got.cat.categories) == [] and got.isna().all()  # none seen: none kept


def test_polars_and_arrow_columns_missing_in_every_row_read_as_their_dtype():
    # NumPy holds a boolean or null column of no value as None objects, read as text: a
    # text column of no value (categories, none present) rather than numbers
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    polars = {t: pl.Series([None, None], dtype=t) for t in (pl.Boolean, pl.Null, pl.String)}
    arrow = {t: pa.array([None, None], t) for t in (pa.bool_(), pa.null(), pa.string())}
    for columns in (polars, arrow):
        kinds = []
        for column in columns.values():
            table = pl.DataFrame({"c": column}) if columns is polars else pa.table({"c": column})
            kinds.append(to_frame(table)["c"].dtype)
        assert kinds[:2] == [np.float64, np.float64]
        assert list(kinds[2].categories) == []
    frame = to_frame(pl.DataFrame({"c": pl.Series([None, None], dtype=pl.Categorical)}))
    assert list(frame["c"].cat.categories) == [] and frame["c"].isna().all()


def test_polars_and_arrow_columns_refused_with_values_are_refused_with_none():
    # null in every row, a list or binary column became categories with none present
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    columns = [
        (pl.Series([[1], [2]]), pl.List(pl.Int64), "List(Int64)"),
        (pl.Series([b"u", b"v"]), pl.Binary, "Binary"),
        (pa.array([b"u", b"v"]), pa.binary(), "binary"),
        (pa.array([[1], [2]]), pa.list_(pa.int64()), "list<item: int64>"),
        (pa.array([{"a": 1}, {"a": 2}]), pa.struct([("a", pa.int64())]), "struct<a: int64>"),
    ]
    for full, dtype, shown in columns:
        if isinstance(full, pl.Series):
            tables = [pl.DataFrame({"c": s}) for s in (full, pl.Series([None, None], dtype=dtype))]
        else:
            tables = [pa.table({"c": a}) for a in (full, pa.array([None, None], dtype))]
        for table in tables:
            with pytest.raises(ValueError) as err:
                to_frame(table)
            assert str(err.value) == (
                f"Column 'c' has dtype {shown}; only numbers, booleans, durations, text and "
                "categories are read; convert it first."
            )
    assert to_frame(pa.table({"c": pa.array([None, None])}))["c"].dtype == np.float64  # null


def test_columns_refused_with_values_are_refused_when_missing_in_every_row():
    # all missing, they became floats; dates at predict were then refused
    pa = pytest.importorskip("pyarrow")
    pl = pytest.importorskip("polars")
    dates = pd.Series(pd.to_datetime(["2020-01-01", "2020-01-02"]))
    columns = [
        (dates, "convert dates and periods"),
        (pd.Series(pd.period_range("2020", periods=2)), "convert dates and periods"),
        (pd.Series(pd.interval_range(0, 2)), "only numbers"),
        (pd.Series([b"u", b"v"], dtype=pd.ArrowDtype(pa.binary())), "only numbers"),
        (pd.Series([1j, 2j]), "Complex data not supported"),
    ]
    for full, message in columns:
        for column in (full, full.iloc[:0].reindex(range(2))):  # the dtype, no value
            with pytest.raises(ValueError, match=message):
                to_frame(pd.DataFrame({"c": column}))
    for values in ([1, 2], [None, None]):  # a polars date column, as NumPy gives it
        column = pl.Series(values, dtype=pl.Int32).cast(pl.Date)
        with pytest.raises(ValueError, match=r"'c' has dtype datetime64\[s\]; convert dates"):
            to_frame(pl.DataFrame({"c": column}))
    null = pd.Series([None, None], dtype=pd.ArrowDtype(pa.null()))  # as read_parquet gives it
    readable = pd.DataFrame(
        {"t": pd.to_timedelta([None, None]), "b": pd.array([None] * 2, "boolean"), "n": null}
    )
    assert (to_frame(readable).dtypes == np.float64).all()  # missing floats, as before


def test_categories_of_bytes_are_refused_also_when_no_row_holds_one():
    # declared but in no row, they passed (no categories, or the text "b'u'" once);
    # an Arrow dictionary of bytes with no value became categories with none present
    pa = pytest.importorskip("pyarrow")
    declared = pd.DataFrame({"c": pd.Categorical([None, None], categories=[b"u"])})
    with pytest.raises(TypeError, match=r"^Column 'c' holds a value of type bytes \(b'u'\)"):
        to_frame(declared)
    for codes in ([0, None], [None, None]):
        column = pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), pa.array([b"u"]))
        for X in (
            pa.table({"c": column}),
            pd.DataFrame({"c": pd.arrays.ArrowExtensionArray(column)}),
        ):
            with pytest.raises(ValueError) as err:
                to_frame(X)
            assert str(err.value) == (
                "Column 'c' has dtype dictionary<values=binary, indices=int32, ordered=0>; only "
                "numbers, booleans, durations, text and categories are read; convert it first."
            )
    empty = pa.array([None, None], pa.binary()).dictionary_encode()  # an empty dictionary
    with pytest.raises(ValueError, match=r"^Column 'c' has dtype dictionary<values=binary"):
        to_frame(pa.table({"c": empty}))


def test_a_column_of_no_value_in_an_object_array_reads_as_in_a_table():
    # it became floats (a table's column of None is categories with none present): text
    # there at predict warned "Column 'x2' was numeric at fit but is text now; ... 12
    # value(s) matched nothing" and read "1" as the number 1
    X, y = _table()
    X["c"] = pd.Series([None] * N, dtype=object)
    array = X.to_numpy()
    model = _classifier().fit(array, y)
    pd.testing.assert_index_equal(model.categories_["x2"], pd.Index([], dtype=object))
    new = array.copy()
    new[:, 2] = np.array(["1", "u"] * (N // 2), dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = model.predict_proba(new)
    np.testing.assert_array_equal(got, model.predict_proba(array))  # unseen: missing
    assert to_frame(array).dtypes.equals(to_frame(X.set_axis(["x0", "x1", "x2"], axis=1)).dtypes)


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_a_column_named_self_of_no_value_at_fit_fits(booster):
    # "TypeError: DataFrame.assign() got multiple values for argument 'self'"
    X, y = _table()
    X["self"] = pd.Series([None] * N, dtype=object)
    model = _classifier(booster=booster).fit(X, y)
    assert booster_frame(to_frame(X))["self"].isna().all()
    new = X.copy()
    new["self"] = "u"
    np.testing.assert_array_equal(model.predict_proba(new), model.predict_proba(X))


def test_arrow_string_views_are_text_and_other_views_are_named():
    # pandas raised a bare "NotImplementedError: string_view" (binary_view, list_view and
    # month_day_nano_interval alike); a dictionary of string_view raised Arrow's
    # "Function 'array_take' has no kernel matching input types (string_view, int32)"
    pa = pytest.importorskip("pyarrow")
    X, y = _table()
    text = ["u", "v", None] * (N // 3)
    views = pd.array(text, dtype=pd.ArrowDtype(pa.string_view()))
    strings = pd.array(text, dtype=pd.ArrowDtype(pa.large_string()))
    pd.testing.assert_frame_equal(
        to_frame(X.assign(c=views)), to_frame(X.assign(c=strings)), check_exact=True
    )
    model = _classifier().fit(X.assign(c=strings), y)
    np.testing.assert_array_equal(
        model.predict_proba(X.assign(c=views)), model.predict_proba(X.assign(c=strings))
    )
    nulls = pd.array([None, None], dtype=pd.ArrowDtype(pa.string_view()))
    empty = to_frame(pd.DataFrame({"c": nulls}))["c"]
    assert list(empty.cat.categories) == [] and empty.isna().all()
    codes = pa.array([1, None, 0], pa.int32())
    dictionary = pa.DictionaryArray.from_arrays(codes, pa.array(["x", "y"], pa.string_view()))
    arrow = pd.arrays.ArrowExtensionArray(dictionary)
    for table in (pa.table({"c": dictionary}), pd.DataFrame({"c": arrow})):
        got = to_frame(table)["c"]
        assert got.tolist()[::2] == ["y", "x"] and list(got.cat.categories) == ["x", "y"]
    for value, kind, shown in [
        (b"u", pa.binary_view(), "binary_view"),
        ([1], pa.list_view(pa.int64()), "list_view<item: int64>"),
        ((1, 2, 3), pa.month_day_nano_interval(), "month_day_nano_interval"),
    ]:
        for values in (pa.array([value, None], kind), pa.array([None, None], kind)):
            with pytest.raises(ValueError) as err:
                to_frame(pd.DataFrame({"c": pd.arrays.ArrowExtensionArray(values)}))
            assert str(err.value) == (
                f"Column 'c' has dtype {shown}[pyarrow]; only numbers, booleans, durations, "
                "text and categories are read; convert it first."
            )


def test_arrow_types_narwhals_has_no_name_for_read_alike_with_and_without_values():
    # with values, large_binary (fixed_size_binary, binary_view) was refused by its first
    # value ("holds a value of type bytes (b'u')"), all-null by its dtype; decimal256
    # read as floats with values but was refused with none
    pa = pytest.importorskip("pyarrow")
    for value, kind in [
        (b"u", pa.large_binary()),
        (b"uv", pa.binary(2)),
        (b"u", pa.binary_view()),
        ([1], pa.list_view(pa.int64())),
    ]:
        for values in ([value, None], [None, None]):
            arrow = pa.array(values, kind)
            for X in (
                pa.table({"c": arrow}),
                pd.DataFrame({"c": pd.arrays.ArrowExtensionArray(arrow)}),
            ):
                with pytest.raises(ValueError) as err:
                    to_frame(X)
                assert str(err.value) == (
                    f"Column 'c' has dtype {kind}[pyarrow]; only numbers, booleans, "
                    "durations, text and categories are read; convert it first."
                )
    decimals = pa.table({"c": pa.array([None, None], pa.decimal256(5, 2))})
    assert to_frame(decimals)["c"].dtype == np.float64 and to_frame(decimals)["c"].isna().all()


def test_a_numpy_structured_array_is_told_to_become_a_table():
    # scikit-learn said "Expected 2D array, got 1D array instead ... Reshape your data
    # using array.reshape(-1, 1)", which gave one column of records, refused by its dtype
    X, y = _table()
    records = X.to_records(index=False)
    for array in (records, np.asarray(records), np.asarray(records).reshape(-1, 1)):
        with pytest.raises(ValueError) as err:
            _classifier().fit(array, y)
        assert str(err.value) == (
            "X is a NumPy structured array (fields 'a', 'b'); read its fields as columns "
            "with pd.DataFrame(X)."
        )
    model = _classifier().fit(pd.DataFrame(np.asarray(records)), y)
    assert list(model.feature_names_in_) == ["a", "b"]


def test_the_inputs_table_says_how_a_column_of_no_value_reads():
    # it said "floats, all NaN" for every kind; a text, object or category column of no
    # value is categories with none (every value at predict unseen), in pandas and polars
    pl = pytest.importorskip("polars")
    none = [None] * 3
    columns = [
        (pd.DataFrame, pd.Series(none, dtype=object), "category"),
        (pd.DataFrame, pd.Series(none, dtype="string"), "category"),
        (pd.DataFrame, pd.Series(pd.Categorical(none, categories=["u"])), "category"),
        (pl.DataFrame, pl.Series(none, dtype=pl.Object), "category"),
        (pl.DataFrame, pl.Series(none, dtype=pl.String), "category"),
        (pd.DataFrame, pd.Series(none, dtype="Int64"), "float64"),
        (pl.DataFrame, pl.Series(none, dtype=pl.Null), "float64"),
    ]
    for table, column, kind in columns:
        got = to_frame(table({"c": column}))["c"]
        assert str(got.dtype) == kind and got.isna().all()
        assert kind == "float64" or list(got.cat.categories) == []
    guide = (Path(__file__).parents[1] / "docs" / "index.md").read_text()
    row = next(line for line in guide.splitlines() if line.startswith("| a column with no value"))
    assert "floats, all NaN" in row and "polars `Object`" in row and "`category` with no" in row


def test_sparse_columns_read_as_their_values():
    # a sparse column of dates became floats (microseconds since 1970), one of durations
    # failed with "AttributeError: Can only use .dt accessor with datetimelike values",
    # and one of text was refused as "Sparse[object, nan]"
    dates = pd.arrays.SparseArray(pd.to_datetime(["2020-01-01", None]))
    with pytest.raises(ValueError, match=r"^Column 'c' has dtype datetime64\[us\]; convert dates"):
        to_frame(pd.DataFrame({"c": dates}))
    durations = pd.arrays.SparseArray(pd.to_timedelta([1.5, 0, None], unit="s"))
    text = pd.arrays.SparseArray(["u", None, "u"])
    frame = to_frame(pd.DataFrame({"d": durations, "t": text}))
    np.testing.assert_array_equal(frame["d"], [1.5, 0.0, np.nan])  # exact: whole microseconds
    assert frame["t"].tolist()[::2] == ["u", "u"] and frame["t"].isna()[1]
    assert list(frame["t"].cat.categories) == ["u"]


def test_a_column_name_that_is_not_valid_unicode_is_named():
    # "UnicodeEncodeError: 'utf-8' codec can't encode character '\ud800' in position 0:
    # surrogates not allowed", raised inside pandas
    X, y = _table()
    X.columns = pd.Index(["a", "b\udcff"], dtype=object)  # as os.fsdecode gives bad bytes
    with pytest.raises(ValueError) as err:
        _classifier().fit(X, y)
    assert str(err.value) == (
        "Column name 'b\\udcff' (column 1) is not valid Unicode (a lone surrogate, as from "
        "a bad decode); rename that column."
    )


def test_dates_in_an_object_column_are_refused_as_dates():
    # a table's dates said "convert dates and periods to numbers or text first" (ValueError),
    # the same dates as objects (e.g. from .dt.date) "holds a value of type date ...;
    # expected numbers, booleans or text" (TypeError)
    stamps = pd.to_datetime(["2020-01-01", "2020-02-01"])
    for values, shown in [
        (stamps.date, "datetime.date(2020, 1, 1) at row 0"),
        ([None, stamps[1]], "Timestamp('2020-02-01 00:00:00') at row 1"),
        (["x", pd.Period("2020", "Y")], "Period('2020', 'Y-DEC') at row 1"),
    ]:
        with pytest.raises(ValueError) as err:
            to_frame(pd.DataFrame({"d": pd.Series(values, dtype=object)}))
        assert str(err.value) == (
            f"Column 'd' holds dates ({shown}); convert dates and periods to numbers or text first."
        )
    with pytest.raises(ValueError, match=r"^Column 'x0' holds dates \(datetime.date"):
        to_frame(np.array([[None], [stamps[0].date()]], dtype=object))


def test_an_object_array_holding_an_odd_value_names_its_column():
    # "TypeError: float() argument must be a string or a real number, not 'dict'", from
    # the cast of the column to floats (a list was named: "holds a value of type list")
    for odd in ({"a": 1}, [1, 2]):
        array = np.empty((2, 2), dtype=object)
        array[:, 0], array[0, 1], array[1, 1] = 1.0, odd, 2
        with pytest.raises(TypeError) as err:
            to_frame(array)
        assert str(err.value) == (
            f"Column 'x1' holds a value of type {type(odd).__name__} ({odd!r}); expected "
            "numbers, booleans or text."
        )


def test_complex_numbers_in_an_object_column_are_refused_as_complex_data():
    # a complex column said "Complex data not supported (column 'z')" (ValueError), the
    # same numbers as objects "holds a value of type complex ...; expected numbers,
    # booleans or text" (TypeError)
    for values in ([1 + 2j, 1.0], [None, np.complex64(1j)], ["u", 2j]):
        with pytest.raises(ValueError) as err:
            to_frame(pd.DataFrame({"z": pd.Series(values, dtype=object)}))
        assert str(err.value) == "Complex data not supported (column 'z')."
    with pytest.raises(ValueError, match=r"^Complex data not supported \(column 'x0'\)\.$"):
        to_frame(np.array([[1j], ["u"]], dtype=object))


def test_masked_entries_are_missing_in_x_and_refused_in_y_and_sample_weight():
    # NumPy and scikit-learn read the values under the mask: the masked rows trained as
    # if nothing were masked
    X, y = _table()
    mask = np.zeros(X.shape, bool)
    mask[3, 0] = True
    holes = X.to_numpy().copy()
    holes[3, 0] = np.nan
    masked = _classifier().fit(np.ma.array(X.to_numpy(), mask=mask), y)
    expected = _classifier().fit(holes, y)
    np.testing.assert_array_equal(masked.predict_proba(holes), expected.predict_proba(holes))
    with pytest.raises(ValueError) as error:
        _classifier().fit(X, np.ma.array(y, mask=np.arange(N) == 5))
    assert str(error.value) == (
        "y is a masked array with masked entries (rows [5]), which would be read as the "
        "values under the mask: fill them (y.filled(...)) or drop those rows."
    )
    weight = np.ma.array(np.ones(N), mask=np.arange(N) % 10 == 2)
    with pytest.raises(
        ValueError, match=r"^sample_weight is a masked array .* \(rows \[2, 12, 22\]"
    ):
        _classifier().fit(X, y, sample_weight=weight)
    unmasked = np.ma.array(np.ones(N))  # nothing masked: read as it is
    np.testing.assert_array_equal(check_sample_weight(unmasked, N), np.ones(N))


def test_masked_dates_and_durations_in_x_are_read_as_unmasked_ones():
    # a masked date column became objects, so its dates were nanosecond ticks (1.6e18)
    # where the same dates unmasked are refused
    dates = np.array(["2020-01-01", "2021-01-01", "2022-01-01"], dtype="datetime64[ns]")
    for given in (dates.reshape(-1, 1), np.ma.array(dates.reshape(-1, 1), mask=[1, 0, 0])):
        with pytest.raises(ValueError, match=r"^Column 'x0' has dtype datetime64\[ns\]; conv"):
            to_frame(given)
    durations = np.ma.array(np.array([[1], [2], [3]], dtype="timedelta64[s]"), mask=[1, 0, 0])
    assert to_frame(durations)["x0"].tolist()[1:] == to_frame(durations.data)["x0"].tolist()[1:]
    assert np.isnan(to_frame(durations)["x0"][0])


@pytest.mark.parametrize("dtype", ["Int64", "Float64", "int64[pyarrow]", "double[pyarrow]"])
def test_a_missing_nullable_sample_weight_is_named_as_given(dtype):
    # NumPy reads pandas' NA as nan: the message said "row 1 holds nan"
    weight = pd.Series([1, pd.NA, 2, pd.NA], dtype=dtype)
    with pytest.raises(ValueError) as error:
        check_sample_weight(weight, 4)
    assert str(error.value) == (
        "sample_weight is missing on rows [1, 3]; row 1 holds <NA>: give every row a number "
        "(a weight of 0 leaves a row out)."
    )


def test_a_null_polars_or_arrow_sample_weight_is_named_missing():
    # NumPy reads their nulls as nan: "sample_weight must be finite and >= 0 (rows [1]);
    # row 1 holds nan"
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    for weight in (pl.Series([1.0, None]), pa.array([1.0, None]), pa.chunked_array([[1], [None]])):
        with pytest.raises(ValueError) as error:
            check_sample_weight(weight, 2)
        assert str(error.value) == (
            "sample_weight is missing on rows [1]; row 1 holds None: give every row a number "
            "(a weight of 0 leaves a row out)."
        )
    with pytest.raises(ValueError, match=r"row 1 holds nan\.$"):  # NaN itself, as given
        check_sample_weight(pl.Series([1.0, float("nan")]), 2)


def test_sparse_sample_weight_is_refused_as_scikit_learn_refuses_it():
    # NumPy read it as one object: "sample_weight must hold numbers: setting an array
    # element with a sequence.."
    sparse = pytest.importorskip("scipy.sparse")
    for weight in (sparse.csr_matrix(np.ones((1, 4))), sparse.csr_array(np.ones(4))):
        with pytest.raises(TypeError) as error:
            check_sample_weight(weight, 4)
        assert str(error.value) == (
            "Sparse data was passed for sample_weight, but dense data is required. Use "
            "'.toarray()' to convert to a dense numpy array."
        )
    with pytest.raises(ValueError, match=r"not 'dict'\.$"):  # one full stop
        check_sample_weight({0: 1.0}, 2)
