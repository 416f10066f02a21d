"""Conversion of user input into the pipeline's frame."""

import numpy as np
import pandas as pd
import pytest

from llmboost._validation import align_categories, check_target, fit_categories, to_frame


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


def test_unseen_categories_become_missing():
    train = to_frame(pd.DataFrame({"c": ["a", "b"]}))
    new = align_categories(to_frame(pd.DataFrame({"c": ["b", "z"]})), fit_categories(train))
    assert list(new["c"].cat.categories) == ["a", "b"]
    assert new["c"].isna().tolist() == [False, True]


def test_target_checks():
    assert check_target(np.array([[1.0], [2.0]]), 2, classification=False).shape == (2,)
    with pytest.raises(ValueError, match="Unknown label type"):
        check_target(np.array([0.5, 1.5, 2.25]), 3, classification=True)
    with pytest.raises(ValueError, match=r"rows \[1\]"):
        check_target(np.array(["a", None, "b"], dtype=object), 3, classification=True)
