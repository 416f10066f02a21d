"""Scale search helpers: margins, probabilities, results table."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, log_loss

from llmboost.scale_search import CVScorer, margin_to_output, prior_margin, results_table


def test_binary_margin_is_log_odds_and_gives_back_the_probabilities():
    proba = np.array([[0.2, 0.8], [0.9, 0.1]])
    margin = prior_margin(np.log(proba), "classification")
    np.testing.assert_allclose(margin, np.log([4.0, 1 / 9]))
    np.testing.assert_allclose(margin_to_output(margin, "classification"), proba)


def test_multiclass_softmax_is_shift_invariant():
    logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    out = margin_to_output(prior_margin(logits, "classification"), "classification")
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    np.testing.assert_allclose(out, margin_to_output(logits + 100.0, "classification"))


def test_prior_only_candidate_scores_the_prior_itself():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 2)), columns=["a", "b"])
    y = np.array(["n", "y"] * 20)
    margin = rng.normal(size=40)
    folds = [(np.arange(20, 40), np.arange(20)), (np.arange(20), np.arange(20, 40))]
    cv = CVScorer(
        X,
        y,
        (y == "y").astype(int),
        np.array(["n", "y"]),
        margin,
        folds,
        task="classification",
        booster="xgboost",
        scoring="neg_log_loss",
        random_state=0,
    )
    scores = cv.score("prior", None)
    for (_, test), score in zip(folds, scores):
        proba = margin_to_output(margin[test], "classification")
        np.testing.assert_allclose(score, -log_loss(y[test], proba, labels=["n", "y"]))


def _scorer_setup(scoring, weight=None):
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=40), "group": ["f", "m", "m", "m"] * 10})
    y = np.array(["n", "y"] * 20)
    margin = rng.normal(size=40)
    folds = [(np.arange(20, 40), np.arange(20)), (np.arange(20), np.arange(20, 40))]
    cv = CVScorer(X.rename(columns={"group": "g"}), y, (y == "y").astype(int),
                  np.array(["n", "y"]), margin, folds, task="classification",
                  booster="xgboost", scoring=scoring, sample_weight=weight,
                  scoring_rows=X)  # fmt: skip
    predicted = np.where(margin > 0, "y", "n")
    return cv, X, y, folds, predicted


def test_a_callable_scorer_gets_the_rows_and_may_score_a_subset_of_them():
    # it got row positions: X["group"] raised IndexError
    def worst_group(estimator, X, y):
        return min(
            accuracy_score(y[(X["group"] == g).to_numpy()], estimator.predict(X[X["group"] == g]))
            for g in ("f", "m")
        )  # fmt: skip

    cv, X, y, folds, predicted = _scorer_setup(worst_group)
    for (_, test), score in zip(folds, cv.score("prior", None)):
        group = X["group"].to_numpy()[test]
        expected = min(accuracy_score(y[test][group == g], predicted[test][group == g])
                       for g in ("f", "m"))  # fmt: skip
        assert score == expected

    def as_array(estimator, X, y):
        return accuracy_score(y, estimator.predict(X.to_numpy()))

    cv, *_ = _scorer_setup(as_array)
    assert cv.score("prior", None) == [
        accuracy_score(y[test], predicted[test]) for _, test in folds
    ]  # the fold's rows, in order, without their index
    cv, *_ = _scorer_setup(lambda estimator, X, y: estimator.predict(X.to_numpy()[:3]).size)
    with pytest.raises(ValueError, match="predicted rows that are not its fold's"):
        cv.score("prior", None)


def test_weights_reach_a_scorer_that_takes_them():
    weight = np.linspace(0.1, 2.0, 40)
    cv, X, y, folds, predicted = _scorer_setup("accuracy", weight)
    assert cv.score("prior", None) == [
        accuracy_score(y[test], predicted[test], sample_weight=weight[test]) for _, test in folds
    ]

    def half(estimator, X, y):  # takes none: called without, and said so
        return 0.5

    with pytest.warns(UserWarning, match=r"scoring=.*half: it takes no sample_weight"):
        cv, *_ = _scorer_setup(half, weight)
    assert cv.score("prior", None) == [0.5, 0.5]


def test_a_scikit_learn_scorer_whose_metric_takes_no_weights_is_called_without_them():
    # make_scorer's scorer takes sample_weight and passes it to its metric, which raised
    # "TypeError: hits() got an unexpected keyword argument 'sample_weight'" (so did
    # scoring="neg_max_error" in a weighted regression)
    from sklearn.metrics import make_scorer

    def hits(y, predicted):
        return float(np.mean(y == predicted))

    weight = np.linspace(0.1, 2.0, 40)
    with pytest.warns(UserWarning, match="scoring=make_scorer") as warned:
        cv, X, y, folds, predicted = _scorer_setup(make_scorer(hits), weight)
        assert cv.score("prior", None) == [hits(y[test], predicted[test]) for _, test in folds]
    # once, naming the scorer and its metric (the folds were scored unweighted silently)
    assert len(warned) == 1 and "its metric hits takes no sample_weight" in str(warned[0].message)

    def weighted_hits(y, predicted, **kwargs):  # takes them through **kwargs
        return accuracy_score(y, predicted, **kwargs)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # it takes them: nothing to warn about
        cv, *_ = _scorer_setup(make_scorer(weighted_hits), weight)
    assert cv.score("prior", None) == [
        accuracy_score(y[test], predicted[test], sample_weight=weight[test]) for _, test in folds
    ]


@pytest.mark.parametrize(
    "returned, shown",
    [(np.array([0.5, 0.7]), r"array\(\[0.5, 0.7\]\) \(a ndarray\)"), (None, r"None \(a NoneType\)"),
     ("0.5", r"'0.5' \(a str\)"), (1 + 2j, r"\(1\+2j\) \(a complex\)")],
)  # fmt: skip
def test_a_scorer_that_returns_no_number_is_named(returned, shown):
    # a callable returning an array or None raised a bare TypeError from float() ("only
    # 0-dimensional arrays can be converted to Python scalars"), one returning text an
    # error about multiclass targets and positive labels
    def scorer(estimator, X, y):
        return returned

    cv, *_ = _scorer_setup(scorer)
    with pytest.raises(
        TypeError,
        match=rf"^scoring=.*scorer returned {shown} on a fold of the search; a scorer "
        "returns one number per call, greater is better.$",
    ):
        cv.score("prior", None)
    for number in (np.float32(0.25), np.array(0.25), np.array([0.25]), 0.25):  # as sklearn
        cv, *_ = _scorer_setup(lambda estimator, X, y, number=number: number)
        assert cv.score("prior", None) == [0.25, 0.25]  # 0.25 is exact in float32


def test_results_table_ranks_by_mean():
    params = [{"scale": 0.0}, {"scale": 1.0}, {"scale": "prior"}]
    table = results_table(params, [[1, 1], [3, 3], [2, 2]])
    assert list(table["rank_test_score"]) == [3, 1, 2]
    # ties share the best rank, as scikit-learn's searches give them (they were 1 and 2)
    tied = results_table(params, [[1, 1], [3, 3], [3, 3]])
    assert list(tied["rank_test_score"]) == [3, 1, 1]
    # a failed score (NaN) ranks last; every rank was -9223372036854775808
    failed = results_table(params, [[1, 1], [np.nan, 3], [2, 2]])
    assert list(failed["rank_test_score"]) == [2, 3, 1]
    assert list(results_table(params, [[np.nan]] * 3)["rank_test_score"]) == [1, 1, 1]
    assert list(table["split1_test_score"]) == [1, 3, 2]
    assert table["params"] == params and list(table["param_scale"]) == [0.0, 1.0, "prior"]


def test_results_table_dtypes_are_scikit_learns():
    """``param_<name>`` keeps its values' dtype (object only with text), ranks are int32."""
    from sklearn.model_selection import GridSearchCV
    from sklearn.tree import DecisionTreeClassifier

    params = [{"scale": 0.0, "n_rounds": 5, "eta": 0.1}, {"scale": "prior", "n_rounds": 0}]
    table = results_table(params, [[1, 2], [2, 2]])
    # all three were object arrays
    assert table["param_n_rounds"].dtype == np.int64
    assert table["param_eta"].dtype == np.float64 and list(table["param_eta"].mask) == [0, 1]
    assert table["param_scale"].dtype == object
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10) % 2
    grid = {"max_depth": [1, 2], "min_impurity_decrease": [0.0, 0.1]}
    sklearn = GridSearchCV(DecisionTreeClassifier(), grid, cv=2).fit(X, y).cv_results_
    ours = results_table([dict(p) for p in sklearn["params"]], [[1, 2]] * 4)
    for key in ("param_max_depth", "param_min_impurity_decrease", "rank_test_score"):
        assert ours[key].dtype == sklearn[key].dtype, key


def test_an_infinite_fold_score_leaves_the_other_candidates_spread_alone():
    params = [{"scale": 0.0}, {"scale": 1e300}]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "invalid value" warning either
        table = results_table(params, [[-0.5, -0.4], [-np.inf, -1.0]])
    # it was NaN for every candidate: the scores were divided by an infinite unit
    np.testing.assert_allclose(table["std_test_score"][0], 0.05)  # float rounding only
    assert np.isnan(table["std_test_score"][1])
    assert list(table["rank_test_score"]) == [1, 2]


def test_results_table_masks_a_parameter_a_candidate_lacks():
    """scikit-learn's layout: ``param_<name>`` is a masked array, masked where unset."""
    params = [{"scale": 0.3, "max_depth": 4}, {"scale": "prior"}]
    table = results_table(params, [[1, 2], [2, 2]], ensemble_weight=[0.0, 1.0])
    depth = table["param_max_depth"]
    assert isinstance(depth, np.ma.MaskedArray) and list(depth.mask) == [False, True]
    assert depth[0] == 4 and table["ensemble_weight"] == [0.0, 1.0]
    assert list(table) == [
        "param_scale", "param_max_depth", "params", "split0_test_score", "split1_test_score",
        "mean_test_score", "std_test_score", "rank_test_score", "ensemble_weight",
    ]  # fmt: skip


def test_results_table_keys_come_in_grid_search_cvs_order():
    # params came before the param_<name> columns and the split scores after the rank
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    X, y = np.arange(24.0).reshape(12, 2), np.tile([0, 1], 6)
    grid = {"C": [1.0, 2.0], "tol": [1e-4]}
    keys = list(GridSearchCV(LogisticRegression(), grid, cv=3).fit(X, y).cv_results_)
    params = [{"scale": 0.3, "n_rounds": 5}, {"scale": 1.0, "n_rounds": 5}]
    times = ([0.1] * 6, [0.01] * 6)
    table = results_table(params, [[1, 2, 3], [2, 2, 2]], times=times, ensemble_weight=[0, 1])
    names = {"param_C": "param_scale", "param_tol": "param_n_rounds"}
    assert list(table) == [names.get(k, k) for k in keys] + ["ensemble_weight"]


def test_a_scorers_invalid_value_is_warned_of_once_naming_the_scorer():
    # it was re-issued as "invalid value encountered in scoring" from inside llmboost, once
    # per fold and candidate, naming neither the scorer nor the fold
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    from llmboost import PriorBoostClassifier

    def log_margin(estimator, X, y):  # the log of a negative number: NaN, ignored by nanmean
        return float(np.nanmean(np.log(estimator.predict_proba(X)[:, 1] - 0.5)))

    X, y = make_classification(120, 4, random_state=0)
    kw = {"booster_params": {"n_estimators": 5}, "scale": [0.5, 1.0], "cv": 2, "random_state": 0}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        PriorBoostClassifier(LogisticRegression(), scoring=log_margin, **kw).fit(X, y)
    said = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(said) == 1 and said[0].filename == __file__  # the user's fit
    assert str(said[0].message).startswith(
        "scoring=test_a_scorers_invalid_value_is_warned_of_once_naming_the_scorer.<locals>"
        ".log_margin: numpy's 'invalid value encountered' arose inside the scorer on fold 0"
    )


def test_a_float32_scale_is_kept_as_written():
    # np.float32(0.1) showed in scale_ and cv_results_ as 0.10000000149011612, its binary value
    from sklearn.linear_model import LogisticRegression

    from llmboost import PriorBoostClassifier

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 2)), np.tile([0, 1], 30)
    kw = {"booster_params": {"n_estimators": 5}, "cv": 2, "random_state": 0}
    fixed = PriorBoostClassifier(LogisticRegression(), scale=np.float32(0.1), **kw).fit(X, y)
    assert fixed.scale_ == 0.1 and fixed.members_[0].scale == 0.1
    for scale in (
        [np.float32(0.1), np.float16(0.3), "prior"],
        np.array([0.1, 0.3], dtype=np.float32),
        pd.Series([0.1, 0.3], dtype="float32"),
    ):
        model = PriorBoostClassifier(LogisticRegression(), scale=scale, **kw).fit(X, y)
        assert {p["scale"] for p in model.cv_results_["params"]} - {"prior"} == {0.1, 0.3}


def test_errors_of_a_callable_scorer_name_it_by_its_name():
    # they named it by its repr, with its address: "scoring=<function nan_score at 0x7f...>"
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from llmboost import PriorBoostClassifier, PriorBoostRegressor

    def nan_score(estimator, X, y):
        return np.nan

    def proba(estimator, X, y):
        return float(estimator.predict_proba(X).mean())

    def refuse(estimator, X, y):
        raise ValueError("no such labels")

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 2)), np.tile([0, 1], 30)
    kw = {"booster_params": {"n_estimators": 3}, "scale": [0.5, 1.0], "cv": 2}
    where = "test_errors_of_a_callable_scorer_name_it_by_its_name.<locals>"
    for Model, prior, scoring, said in [
        (PriorBoostClassifier, LogisticRegression(), nan_score, "nan_score scored NaN on folds"),
        (PriorBoostRegressor, LinearRegression(), proba, "proba asks for class probabilities"),
        (PriorBoostClassifier, LogisticRegression(), refuse, "refuse could not score the search"),
    ]:
        with pytest.raises(ValueError) as err:
            Model(prior, scoring=scoring, **kw).fit(X, y)
        assert str(err.value).startswith(f"scoring={where}.{said}")


@pytest.mark.parametrize("n_trials", [0, 2])
def test_a_scorer_with_no_finite_score_is_refused(n_trials):
    # a scorer that returned inf (or -inf) for every candidate kept the prior alone
    # (scale_ 1.0) without a word; NaN on different folds per candidate was told
    # "scored NaN on folds [] for every candidate"
    from sklearn.linear_model import LogisticRegression

    from llmboost import PriorBoostClassifier

    def inf_score(estimator, X, y):
        return np.inf

    def nan_on_one_fold(estimator, X, y):  # candidate c on fold c % 3: no fold all NaN
        candidate, fold = divmod(nan_on_one_fold.calls, 3)
        nan_on_one_fold.calls += 1
        return np.nan if fold == candidate % 3 else 0.5

    nan_on_one_fold.calls = 0
    X, y = np.random.default_rng(0).normal(size=(60, 2)), np.tile([0, 1], 30)
    kw = {"booster_params": {"n_estimators": 3}, "scale": [0.5, "prior"], "cv": 3}
    for scoring, scores in ((inf_score, "inf, inf, inf"), (nan_on_one_fold, "nan, 0.5, 0.5")):
        model = PriorBoostClassifier(LogisticRegression(), scoring=scoring, **kw)
        with pytest.raises(ValueError) as err:
            model.set_params(n_trials=n_trials, random_state=0).fit(X, y)
        name = scoring.__name__
        assert re.match(rf"scoring=.*\.{name} gave no candidate a finite mean score \(the first "
                        rf"one's fold scores: .*{scores}.*\), so the search has nothing to "
                        "choose by: use scoring=None", str(err.value)), str(err.value)  # fmt: skip


def test_an_invalid_float32_scale_is_shown_as_written():
    # scale=np.float32(-0.1) was refused as "scale=-0.10000000149011612 is invalid", and an
    # entry of a float32 list or array as "Its entry -0.20000000298023224 is not one"
    from llmboost import PriorBoostClassifier

    X, y = np.arange(8.0).reshape(4, 2), [0, 1, 0, 1]
    for scale, said in [
        (np.float32(-0.1), "scale=-0.1 is invalid"),
        ([np.float32(-0.2)], "Its entry -0.2 is not one."),
        (np.array([0.1, -0.2], dtype=np.float32), "Its entry -0.2 is not one."),
    ]:
        with pytest.raises(ValueError) as err:
            PriorBoostClassifier(scale=scale).fit(X, y)
        assert said in str(err.value)
