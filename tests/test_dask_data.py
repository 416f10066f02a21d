"""The Dask reading of X and y against the local one."""

import re
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")

import dask  # noqa: E402

from llmboost._validation import align_categories, fit_categories, to_frame  # noqa: E402
from llmboost.dask._data import as_dask_frame, as_given, schema, text_dtypes  # noqa: E402


@pytest.fixture(scope="module")
def client():
    import distributed

    with distributed.Client(processes=False, n_workers=1, dashboard_address=None) as c:
        yield c


def read_as_dask(X: pd.DataFrame, npartitions: int = 2, dtypes=None, strings=False):
    """The categories of a Dask fit and its partitions as converted, computed here
    (``dtypes`` given to the dask frame: ``dd.from_pandas`` does not take them all;
    ``strings``: dask's dataframe.convert-string)."""
    with dask.config.set({"dataframe.convert-string": strings, "scheduler": "sync"}):
        Xd = as_dask_frame(dd.from_pandas(X, npartitions=npartitions).astype(dtypes or {}))
        categories, text = schema(Xd), text_dtypes(Xd)
        text = dask.compute(text)[0]
        parts = dask.compute(*[dask.delayed(as_given)(p, list(X.columns), text)
                               for p in Xd.to_delayed()])  # fmt: skip
    return categories, pd.concat([align_categories(p, categories) for p in parts])


def test_booleans_and_numbers_among_text_are_distinct_categories_as_locally():
    # dask's distinct values merged True and 1 as pandas' categories did
    X = pd.DataFrame({"a": ["u", True, 1, 0, False, "v", 1, True]}, dtype=object)
    local = to_frame(X)
    categories, frame = read_as_dask(X, npartitions=3)
    pd.testing.assert_index_equal(categories["a"], fit_categories(local)["a"])
    assert categories["a"].tolist() == ["0", "1", "False", "True", "u", "v"]
    pd.testing.assert_series_equal(frame["a"], local["a"])


def test_a_signalling_nan_decimal_is_missing_as_locally():
    # the distinct values of the schema raised a bare decimal.InvalidOperation
    snan = Decimal("sNaN")
    X = pd.DataFrame({"d": [snan, Decimal(1), Decimal(2), snan], "t": ["u", snan, "v", 1]})
    local = to_frame(X)
    categories, frame = read_as_dask(X)
    assert categories.keys() == {"t"}
    pd.testing.assert_index_equal(categories["t"], fit_categories(local)["t"])
    pd.testing.assert_frame_equal(frame, local)


@pytest.mark.parametrize("dictionary", [False, True])
def test_a_column_of_arrow_string_view_is_text_as_locally(dictionary):
    # dask's and pandas' checks of the column raised "NotImplementedError: string_view"
    pa = pytest.importorskip("pyarrow")
    kind = pa.dictionary(pa.int32(), pa.string_view()) if dictionary else pa.string_view()
    X = pd.DataFrame({"t": ["w", "v", None, "w", "u", "v"], "a": [1.5, 2, 3, 4, 5, 6]})
    local = to_frame(X.astype({"t": pd.ArrowDtype(kind)}))
    categories, frame = read_as_dask(X, dtypes={"t": pd.ArrowDtype(kind)})
    pd.testing.assert_index_equal(categories["t"], fit_categories(local)["t"])
    assert categories["t"].tolist() == (["w", "v", "u"] if dictionary else ["u", "v", "w"])
    pd.testing.assert_frame_equal(frame, local)


def test_a_classifier_s_text_label_beside_the_number_it_writes_is_refused(client):
    # dask's strings wrote "1" and 1 alike, so the Dask fit took them as one text class
    # where a local classifier refuses labels of mixed kinds
    from llmboost import PriorBoostClassifier
    from llmboost.dask import DaskPriorBoostClassifier
    from llmboost.dask._data import as_dask_target

    X = pd.DataFrame({"a": [0.5, 1, 2, 3, 4, 5]})
    y = pd.Series(["1", 1, "a", 1, "1", "a"], dtype=object, name="t")
    with pytest.raises(ValueError, match=r"y mixes text and other labels \(e.g. '1' and 1\)"):
        PriorBoostClassifier().fit(X, y)
    Xd, yd = dd.from_pandas(X, npartitions=2), dd.from_pandas(y, npartitions=2)
    assert yd.dtype != object  # dask wrote the labels as text
    message = r"y mixes text and other labels \(e.g. '1' and 1\), which dask's strings"
    with pytest.raises(ValueError, match=message):
        DaskPriorBoostClassifier().fit(Xd, yd)
    for labels in (["True", True, "a"], ["1.5", 1.5, "a"]):
        with pytest.raises(ValueError, match=rf"e.g. '{labels[0]}' and {labels[1]}\)"):
            as_dask_target(dd.from_pandas(pd.Series(labels, dtype=object), 1), Xd, classifier=True)
    # a regressor reads both as the number, as locally
    numbers = pd.Series(["1", 1, 2.5, 1, "1", 3], dtype=object)
    got = as_dask_target(dd.from_pandas(numbers, npartitions=2), as_dask_frame(Xd))
    assert got.compute().astype(float).tolist() == numbers.astype(float).tolist()


def test_classes_of_a_numpy_text_array_keep_its_dtype_as_locally(client):
    # the Dask fit's classes_ were objects where the local ones are <U3
    da = pytest.importorskip("dask.array")
    from llmboost import PriorBoostClassifier
    from llmboost.dask import DaskPriorBoostClassifier

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.random(60)})
    y = np.array(["no", "yes", "abc"])[rng.integers(0, 3, 60)]
    kw = {"scale": 0, "booster_params": {"n_estimators": 3}}
    local = PriorBoostClassifier(**kw).fit(X, y)
    Xd = dd.from_pandas(X, npartitions=2)
    model = DaskPriorBoostClassifier(**kw).fit(Xd, da.from_array(y, chunks=30))
    assert model.classes_.dtype == local.classes_.dtype == np.dtype("<U3")
    np.testing.assert_array_equal(model.classes_, local.classes_)
    predicted = model.predict(Xd).compute()
    assert predicted.dtype == np.dtype("<U3")
    np.testing.assert_array_equal(predicted, local.predict(X))
    assert model.score(Xd, da.from_array(y, chunks=30)) == local.score(X, y)


@pytest.mark.parametrize(
    "values",
    [
        [b"a", b"b", None, b"a"],  # bytes
        ["u", date(2020, 1, 1), "v", "u"],  # dates among text
        [pd.Interval(0, 1)] * 4,
        [{"a": 1}, None, {}, {}],
    ],
)
def test_objects_dask_wrote_as_text_are_refused_as_locally(values):
    # dask's strings (on by default) wrote them as text, which became categories
    X = pd.DataFrame({"c": pd.Series(values, dtype=object), "a": [1.0, 2, 3, 4]})
    with pytest.raises((TypeError, ValueError)) as local:
        to_frame(X)
    Xd = dd.from_pandas(X, npartitions=2)
    assert isinstance(Xd.dtypes["c"], pd.StringDtype)  # dask wrote the column as text
    with pytest.raises(local.type, match=re.escape(str(local.value))):
        as_dask_frame(Xd)


@pytest.mark.parametrize("value", [timedelta(seconds=3), np.timedelta64(3, "s"), Fraction(1, 3)])
def test_numbers_dask_wrote_as_text_it_cannot_read_back_are_refused(value):
    # a local fit reads them as numbers; dask's text of them became categories (or NaN)
    X = pd.DataFrame({"c": pd.Series([value, value, None, value], dtype=object)})
    assert to_frame(X)["c"].dtype == np.float64
    with pytest.raises(ValueError, match=r"Column 'c' holds \w+ values .* wrote as text: "):
        as_dask_frame(dd.from_pandas(X, npartitions=2))
    with dask.config.set({"dataframe.convert-string": False}):  # the advice given works
        pd.testing.assert_frame_equal(read_as_dask(X)[1], to_frame(X))


@pytest.mark.parametrize("value", [[1], {"a": 1}, {1}])
def test_unhashable_objects_are_refused_as_locally(value):
    # the schema's distinct values failed with a bare "unhashable type: 'list'"
    X = pd.DataFrame({"c": pd.Series(["u", value, "v", value], dtype=object)})
    message = rf"Column 'c' holds a value of type {type(value).__name__} \("
    with pytest.raises(TypeError, match=message):
        to_frame(X)
    with pytest.raises(TypeError, match=message):
        read_as_dask(X)


def test_text_mixed_with_numbers_under_dask_strings_sorts_its_categories_as_locally():
    # dask's strings wrote 10 and 2 as "10" and "2", whose categories sorted as text
    # (["10", "2", "2.5", ...]) where a local fit sorts the numbers by value
    values = ["u", 10, Decimal("2.50"), 10, "v", 3.5, None, 10**30]
    X = pd.DataFrame({"c": pd.Series(values, dtype=object)})
    local = to_frame(X)
    assert local["c"].cat.categories.tolist()[:4] == ["2.50", "3.5", "10", str(10**30)]
    categories, frame = read_as_dask(X, strings=True)
    pd.testing.assert_index_equal(categories["c"], fit_categories(local)["c"])
    pd.testing.assert_frame_equal(frame, local)


@pytest.mark.parametrize("label", [b"a", Decimal("1.5"), date(2020, 1, 2)])
def test_labels_dask_wrote_as_text_are_refused_as_a_local_classifier_refuses_them(client, label):
    # dask's strings wrote them as text ("a", "1.5", "2020-01-02"), which became classes
    from llmboost import PriorBoostClassifier
    from llmboost.dask import DaskPriorBoostClassifier

    X = pd.DataFrame({"a": np.arange(8.0)})
    y = pd.Series([label, b"x" if isinstance(label, bytes) else 2] * 4, dtype=object)
    kw = {"scale": 0, "booster_params": {"n_estimators": 2}}
    with pytest.raises((TypeError, ValueError)) as local:
        PriorBoostClassifier(**kw).fit(X, y)
    Xd, yd = dd.from_pandas(X, npartitions=2), dd.from_pandas(y, npartitions=2)
    assert isinstance(yd.dtype, pd.StringDtype)  # dask wrote the labels as text
    with pytest.raises(local.type, match=re.escape(str(local.value))):
        DaskPriorBoostClassifier(**kw).fit(Xd, yd)


def test_a_dask_array_of_numpy_text_reads_its_number_columns_as_locally():
    # its columns of numbers written as text were text categories where a local fit
    # reads a NumPy text array's columns of numbers as floats
    da = pytest.importorskip("dask.array")
    array = np.array([["1.5", "u", "1"], ["2", "v", "2"], ["3", "u", "3"], ["4", "w", "x"]])
    local = to_frame(array)
    assert local.dtypes["x0"] == np.float64 and list(fit_categories(local)) == ["x1", "x2"]
    with dask.config.set({"scheduler": "sync"}):
        Xd = as_dask_frame(da.from_array(array, chunks=(2, 3)))
        Xd = Xd.rename(columns=dict(zip(Xd.columns, local.columns)))
        categories, text = schema(Xd), dask.compute(text_dtypes(Xd))[0]
        parts = dask.compute(*[dask.delayed(as_given)(p, list(local.columns), text)
                               for p in Xd.to_delayed()])  # fmt: skip
    assert categories.keys() == fit_categories(local).keys()
    frame = pd.concat([align_categories(p, categories) for p in parts])
    pd.testing.assert_frame_equal(frame, local)


def test_column_names_repeated_as_text_are_named_as_locally():
    # 1 and "1" were refused as "repeated: ['1']", without saying which two columns
    X = pd.DataFrame([[0.5, 1.0, 2.0]], columns=["a", 1, "1"])
    with pytest.raises(ValueError) as local:
        to_frame(X)
    with pytest.raises(ValueError) as error:
        as_dask_frame(dd.from_pandas(X, npartitions=1))
    assert str(error.value) == str(local.value)
    assert str(error.value).endswith("repeated: ['1'] (1 and '1', as text).")


def test_a_string_column_dask_wrote_is_checked_in_one_reading_of_its_types(monkeypatch):
    # after the check of which objects its text wrote, a column's values were checked
    # once more for numbers (a third Python pass over every such column, fit and predict)
    numbers = pd.Series([1, 2.5, None, True], dtype=object)
    text = pd.Series(["u", "v", None, "w"], dtype=object)
    X = pd.DataFrame({"n": numbers, "t": text, "m": ["u", 1, 2.5, "v"]})
    with dask.config.set({"dataframe.convert-string": True}):
        given = dd.from_pandas(X, npartitions=2)
    assert all(isinstance(dtype, pd.StringDtype) for dtype in given.dtypes)
    passes, original = [], pd.Series.map

    def counted(self, *args, **kwargs):
        if len(self):  # not the empty meta
            passes.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pd.Series, "map", counted)
    Xd = as_dask_frame(given)
    assert {name: passes.count(name) for name in X} == {"n": 2, "t": 2, "m": 2}
    monkeypatch.setattr(pd.Series, "map", original)
    with dask.config.set({"scheduler": "sync"}):
        frame = Xd.compute()
    assert frame["n"].tolist()[:2] == [1.0, 2.5] and frame["n"].iloc[3] == 1.0
    assert frame["t"].tolist()[:2] == ["u", "v"] and frame["m"].tolist() == ["u", 1, 2.5, "v"]


@pytest.mark.parametrize("text,number", [("inf", np.inf), ("-1e39", -1e39)])
def test_text_of_infinity_in_a_numeric_column_is_refused_as_the_number_is(text, number):
    # a column numeric at fit given as text was read with "inf" (or beyond float32) as
    # that number, which reached the boosters where the number itself is refused
    with pytest.raises(ValueError) as expected:
        to_frame(pd.DataFrame({"a": [1.0, 2.0, 3.0, number]}))
    X = pd.DataFrame({"a": ["1", "2", "3", text]})
    with pytest.raises(ValueError, match=f"^{re.escape(str(expected.value))}$"):
        align_categories(to_frame(X), {})  # numeric at fit: no categories
    with dask.config.set({"scheduler": "sync"}):  # each Dask partition as converted
        parts = dask.compute(*dd.from_pandas(X, npartitions=2).to_delayed())
    with pytest.warns(UserWarning, match="'a' was numeric at fit but is text now; .*numbers"):
        align_categories(as_given(parts[0], ["a"]), {})  # "1", "2": read as numbers
    message = str(expected.value).replace("row 3", "index 3")  # the table's label
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        align_categories(as_given(parts[1], ["a"]), {})


def test_a_column_vector_y_is_warned_about_as_locally():
    # a y of one column (a dask DataFrame, or an (n, 1) array) was read silently where a
    # local fit warns scikit-learn's DataConversionWarning
    da = pytest.importorskip("dask.array")
    from sklearn.exceptions import DataConversionWarning

    from llmboost._validation import check_target
    from llmboost.dask._data import as_dask_target

    y = pd.Series(["u", "v"] * 4, name="t")
    with pytest.warns(DataConversionWarning) as local:
        check_target(y.to_frame(), len(y), classification=True)
    Xd = as_dask_frame(dd.from_pandas(pd.DataFrame({"a": np.arange(8.0)}), npartitions=2))
    for given in (dd.from_pandas(y.to_frame(), 2), da.from_array(y.to_numpy()[:, None], 4)):
        with pytest.warns(DataConversionWarning) as caught:
            got = as_dask_target(given, Xd, classifier=True)
        assert [str(w.message) for w in caught] == [str(w.message) for w in local]
        assert [w.filename for w in caught] == [__file__]  # the caller's line
        with dask.config.set({"scheduler": "sync"}):
            assert got.compute().tolist() == y.tolist()
