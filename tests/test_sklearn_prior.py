"""Scikit-learn models as priors."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.compose import TransformedTargetRegressor
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import IsolationForest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from llmboost import PriorBoostClassifier, PriorBoostRegressor, SklearnPrior
from llmboost.priors._base import PROBA_FLOOR, align_columns


def test_classifier_prior_takes_mixed_columns(mixed_frame):
    X, y = mixed_frame
    prior = SklearnPrior(LogisticRegression()).fit(X.astype({"job": "category"}), y)
    z = prior.logits(X.astype({"job": "category"}))
    assert z.shape == (len(X), 2) and np.isfinite(z).all()
    np.testing.assert_allclose(np.exp(z).sum(axis=1), 1.0, atol=1e-6)
    assert list(prior.classes_) == ["no", "yes"] and prior.task == "classification"


def test_regressor_prior_gives_the_mean():
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]})
    prior = SklearnPrior(Ridge(alpha=1e-9), preprocess=False).fit(X, np.array([1.0, 3.0, 5.0, 7.0]))
    assert prior.task == "regression"
    np.testing.assert_allclose(prior.logits(X), [1, 3, 5, 7], atol=1e-6)


def test_out_of_fold_fills_a_class_missing_from_a_fold():
    z = align_columns(np.log([[0.3, 0.7]]), np.array(["a", "c"]), np.array(["a", "b", "c"]))
    np.testing.assert_allclose(z, np.log([[0.3, PROBA_FLOOR, 0.7]]))


def test_oof_logits_match_per_fold_fits():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(60, 2)), columns=["a", "b"])
    y = (X["a"] > 0).astype(int).to_numpy()
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    prior = SklearnPrior(LogisticRegression(), preprocess=False)
    oof = prior.oof_logits(X, y, folds)
    for train, test in folds:
        model = LogisticRegression().fit(X.iloc[train], y[train])
        np.testing.assert_allclose(oof[test], np.log(model.predict_proba(X.iloc[test])), atol=1e-8)


def test_oof_logits_take_the_splits_of_a_splitter_as_they_come():
    # a generator of splits was used up by the fold check: oof_logits returned None
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(60, 2)), columns=["a", "b"])
    y = (X["a"] > 0).astype(int).to_numpy()
    splitter = StratifiedKFold(3, shuffle=True, random_state=0)
    prior = SklearnPrior(LogisticRegression())
    expected = prior.oof_logits(X, y, list(splitter.split(X, y)))
    assert expected.shape == (60, 2)
    np.testing.assert_array_equal(prior.oof_logits(X, y, splitter.split(X, y)), expected)


def test_folds_that_leak_lose_or_miss_rows_are_refused():
    # a repeated splitter kept only the last repeat's logits of every row, a fold that
    # trained on its test rows gave them logits from a prior that saw their labels, and a
    # negative index scored the last row; all in silence
    from sklearn.model_selection import RepeatedKFold

    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(20, 2)), columns=["a", "b"])
    y = (X["a"] > 0).astype(int).to_numpy()
    prior = SklearnPrior(LogisticRegression())
    rows = np.arange(20)
    repeated = list(RepeatedKFold(n_splits=2, n_repeats=2, random_state=0).split(X))
    with pytest.raises(ValueError) as err:
        prior.oof_logits(X, y, repeated)
    again = sorted(repeated[2][1][:5].tolist())
    assert str(err.value) == (
        f"folds: rows {again} are in the test part of fold 2 and of an earlier fold, so one "
        "of their logits would be lost; pass folds whose test sets are disjoint (KFold or "
        "StratifiedKFold; not ShuffleSplit or repeated splitters)."
    )
    with pytest.raises(ValueError) as err:
        prior.oof_logits(X, y, [(rows, rows[:10]), (rows[:10], rows[10:])])
    assert str(err.value) == (
        "folds: rows [0, 1, 2, 3, 4] are in both the train and the test part of fold 0, so "
        "their logits would come from a prior that saw their labels."
    )
    with pytest.raises(ValueError) as err:
        prior.oof_logits(X, y, [(rows[10:], rows[:10] - 1), (rows[:10], rows[10:])])
    assert str(err.value) == (
        "folds: fold 0 has row indices outside 0..19 (from -1 to 19); pass indices (or "
        "masks) of X's rows."
    )


def test_folds_that_are_no_train_test_pairs_are_named():
    # a splitter, a number of folds, or index arrays alone failed in the unpacking:
    # "'KFold' object is not iterable", "not enough values to unpack (expected 2, got 1)"
    from sklearn.model_selection import KFold

    X, y = _table(30)
    prior = SklearnPrior(LogisticRegression())
    for folds in (KFold(3), 3):
        with pytest.raises(TypeError) as err:
            prior.oof_logits(X, y, folds)
        assert str(err.value) == (
            "folds must be (train, test) pairs of row indices or masks, such as "
            f"KFold(5).split(X, y); got {folds!r}."
        )
    with pytest.raises(TypeError, match=r"folds: fold 0 is not a \(train, test\) pair"):
        prior.oof_logits(X, y, [np.arange(10), np.arange(10, 30)])
    folds = list(KFold(3).split(X))
    assert prior.oof_logits(X, y, folds).shape == (30, 2)


def test_an_estimator_error_in_a_fold_names_the_fold():
    # k-NN with more neighbours than a fold's training rows failed with scikit-learn's
    # "Expected n_neighbors <= n_samples_fit" alone: which fold, of how many rows, was unsaid
    from sklearn.model_selection import KFold

    X, y = _table(40)
    folds = list(KFold(4).split(X))
    with pytest.raises(ValueError) as err:
        SklearnPrior(KNeighborsClassifier(n_neighbors=35)).oof_logits(X, y, folds)
    assert "Expected n_neighbors <= n_samples_fit" in str(err.value)
    assert str(err.value).endswith(
        "(in fold 0 of the out-of-fold logits: 30 training rows, 10 rows scored)"
    )
    rows = np.arange(40)
    with pytest.raises(ValueError) as err:  # a fold that tests no row still counts
        SklearnPrior(KNeighborsClassifier(n_neighbors=35)).oof_logits(
            X, y, [(rows, rows[:0]), *folds]
        )
    assert str(err.value).endswith(
        "(in fold 1 of the out-of-fold logits: 30 training rows, 10 rows scored)"
    )

    class Broken(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            raise RuntimeError("no fit")

    with pytest.raises(RuntimeError, match="no fit") as err:  # other errors: a note
        SklearnPrior(Broken()).oof_logits(X, y, folds)
    assert err.value.__notes__ == [
        "In fold 0 of the out-of-fold logits: 30 training rows, 10 rows scored."
    ]


@pytest.mark.parametrize(
    "labels, weights", [(["no", "yes"], {"yes": 5, "no": 1}), ([3, 7], {7: 5, 3: 1})]
)
def test_the_estimator_sees_the_labels_so_its_parameters_may_name_them(labels, weights):
    # fitted on the codes 0, 1: "The classes, [0, 1], are not in class_weight"
    X, y = _table()
    y = np.where(y == "yes", labels[1], labels[0])
    estimator = LogisticRegression(class_weight=weights)
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    oof = SklearnPrior(estimator, preprocess=False).oof_logits(X, y, folds)
    for train, test in folds:
        model = LogisticRegression(class_weight=weights).fit(X.iloc[train], y[train])
        np.testing.assert_allclose(oof[test], np.log(model.predict_proba(X.iloc[test])), atol=1e-8)
    model = PriorBoostClassifier(SklearnPrior(estimator, preprocess=False), scale="prior")
    reference = LogisticRegression(class_weight=weights).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(model.fit(X, y).predict_proba(X), reference, atol=1e-8)
    # a model fitted on the codes, as earlier versions saved it, still reads its columns
    prior = model.prior_
    prior.model_ = LogisticRegression().fit(X, (y == labels[1]).astype(int))
    reference = prior.model_.predict_proba(X)
    np.testing.assert_allclose(prior.logits(X), np.log(reference), atol=1e-8)


@pytest.mark.parametrize("labels", [["no", "yes", "maybe"], [1, 2, 3]])
def test_a_classifier_that_takes_only_codes_as_labels_gets_them(labels):
    # XGBClassifier got the labels and refused them: "Invalid classes inferred from unique
    # values of `y`. Expected: [0 1 2], got ['maybe' 'no' 'yes']"
    from sklearn.model_selection import KFold
    from xgboost import XGBClassifier

    X, _ = _table()
    y = np.array(labels)[np.arange(len(X)) % 3]
    prior = SklearnPrior(XGBClassifier(n_estimators=3), preprocess=False).fit(X, y)
    codes = np.unique(y, return_inverse=True)[1]
    reference = XGBClassifier(n_estimators=3).fit(X, codes).predict_proba(X)
    # float32 probabilities from the same trees; the log is taken of both alike
    np.testing.assert_allclose(prior.logits(X), np.log(reference), rtol=0, atol=1e-6)
    assert list(prior.classes_) == sorted(labels)
    # labels[0] only in the first 30 rows: the first fold's model is fitted on the codes
    # of the two classes it has, and gives labels[0] the floor
    y[30:] = np.where(y[30:] == labels[0], labels[1], y[30:])
    folds = list(KFold(3).split(X))
    oof = SklearnPrior(XGBClassifier(n_estimators=3), preprocess=False).oof_logits(X, y, folds)
    first = sorted(labels).index(labels[0])
    np.testing.assert_array_equal(oof[:30, first], np.log(PROBA_FLOOR))
    assert np.isfinite(oof).all() and (oof[30:, first] > np.log(PROBA_FLOOR)).all()


def test_a_search_over_a_classifier_that_takes_only_codes_gets_them():
    # GridSearchCV reported XGBoost's refusal of the labels in its own error ("All the 3
    # fits failed"), so the labels were not replaced by their codes
    from xgboost import XGBClassifier

    X, _ = _table()
    y = np.array(["no", "yes", "maybe"])[np.arange(len(X)) % 3]
    search = GridSearchCV(XGBClassifier(n_estimators=3), {"max_depth": [2]}, cv=3)
    prior = SklearnPrior(search, preprocess=False).fit(X, y)
    codes = np.unique(y, return_inverse=True)[1]
    reference = XGBClassifier(n_estimators=3, max_depth=2).fit(X, codes).predict_proba(X)
    # float32 probabilities from the same trees; the log is taken of both alike
    np.testing.assert_allclose(prior.logits(X), np.log(reference), rtol=0, atol=1e-6)


def test_an_estimator_of_non_negative_input_gets_the_numbers_unscaled():
    # the standard scaler made the counts negative: "Negative values in data passed to
    # MultinomialNB (input X)", whatever the table
    from sklearn.naive_bayes import MultinomialNB

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.poisson(3, size=(60, 2)).astype(float), columns=["a", "b"])
    X.loc[0, "a"] = np.nan
    X["t"] = pd.Categorical(["u", "v", "w"] * 20)
    y = np.where(X["b"] > 3, "many", "few")
    prior = SklearnPrior(MultinomialNB()).fit(X, y)
    counts = np.column_stack([pd.get_dummies(X["t"]).to_numpy(float), X[["a", "b"]]])
    counts[0, 3] = np.nanmedian(X["a"])  # the median imputer's fill
    reference = MultinomialNB().fit(counts, y).predict_proba(counts)
    np.testing.assert_allclose(prior.logits(X), np.log(reference), rtol=0, atol=1e-10)


def test_a_stacking_ensemble_with_the_default_final_estimator_is_a_prior():
    # before fit it has no predict or predict_proba (its final_estimator is None until
    # fit makes one), so it was refused: "estimator must be a scikit-learn estimator"
    from sklearn.ensemble import RandomForestClassifier, StackingClassifier, StackingRegressor

    X, y = _table()
    stack = StackingClassifier([("rf", RandomForestClassifier(5, random_state=0))], cv=3)
    prior = SklearnPrior(stack, preprocess=False).fit(X, y)
    reference = clone(stack).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(prior.logits(X), np.log(reference), rtol=0, atol=1e-12)
    regressor = StackingRegressor([("ridge", Ridge())], cv=3)
    model = PriorBoostRegressor(regressor, booster_params={"n_estimators": 3}, cv=2)
    assert model.fit(X, X["a"]).predict(X).shape == (len(X),)


def test_as_prior_names_a_task_it_does_not_know():
    # a KeyError: 'Classification' came from building the message of a task mismatch
    from llmboost.priors import as_prior

    for task in ("Classification", None):
        with pytest.raises(ValueError) as err:
            as_prior(LogisticRegression(), task)
        assert str(err.value) == (f"task must be 'classification' or 'regression', got {task!r}.")
    assert isinstance(as_prior(LogisticRegression(), "classification"), SklearnPrior)


def test_as_prior_names_what_an_estimator_that_does_not_predict_lacks():
    # "prior must be a llmboost prior or a scikit-learn estimator, got StandardScaler",
    # which it is: a prior needs a classifier or regressor
    from sklearn.preprocessing import StandardScaler

    from llmboost.priors import as_prior

    with pytest.raises(TypeError) as err:
        as_prior(StandardScaler(), "classification")
    assert str(err.value) == (
        "prior must be a llmboost prior or a scikit-learn classifier or regressor (with fit "
        "and predict), got StandardScaler."
    )


def _table(n=90, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    y = np.where(X["a"] + 0.5 * rng.normal(size=n) > 0, "yes", "no")
    return X, y


def test_sample_weight_reaches_the_estimator_with_metadata_routing_on():
    import sklearn

    from llmboost import PriorBoostClassifier

    X, y = _table()
    w = np.where(y == "yes", 5.0, 1.0)
    plain = SklearnPrior(LogisticRegression()).fit(X, y, sample_weight=w).logits(X)
    with sklearn.config_context(enable_metadata_routing=True):
        routed = SklearnPrior(LogisticRegression()).fit(X, y, sample_weight=w).logits(X)
        model = PriorBoostClassifier(scale=1.0, cv=3, random_state=0)
        model.fit(X, y, sample_weight=w)  # raised "not routed to any object" before
    np.testing.assert_array_equal(routed, plain)
    unweighted = SklearnPrior(LogisticRegression()).fit(X, y).logits(X)
    assert np.abs(plain - unweighted).max() > 0.05  # the weights changed the model
    assert np.isfinite(model.predict_proba(X)).all()


def test_a_prior_that_declines_sample_weight_is_fitted_without_it():
    # with metadata routing on, LogisticRegression().set_fit_request(sample_weight=False)
    # still got the weights: its logits were the weighted fit's
    import sklearn

    X, y = _table()
    w = np.where(y == "yes", 5.0, 1.0)
    kw = {"scale": 1.0, "cv": 3, "random_state": 0}
    with sklearn.config_context(enable_metadata_routing=True):
        fits = {
            r: PriorBoostClassifier(LogisticRegression().set_fit_request(sample_weight=r), **kw)
            .fit(X, y, sample_weight=w)
            .prior_.logits(X)
            for r in (False, True)
        }
        aliased = LogisticRegression().set_fit_request(sample_weight="w")
        with pytest.raises(ValueError) as err:
            PriorBoostClassifier(aliased, **kw).fit(X, y, sample_weight=w)
    # the same fits on the same rows: equal but for the solver's last bits
    unweighted = SklearnPrior(LogisticRegression()).fit(X, y).logits(X)
    np.testing.assert_allclose(fits[False], unweighted, rtol=1e-9, atol=1e-12)
    weighted = SklearnPrior(LogisticRegression()).fit(X, y, sample_weight=w).logits(X)
    np.testing.assert_allclose(fits[True], weighted, rtol=1e-9, atol=1e-12)
    assert str(err.value) == (
        "The prior LogisticRegression requests sample_weight as 'w', but fit takes only "
        "sample_weight: give the prior set_fit_request(sample_weight=True), or False to fit "
        "it unweighted."
    )


def test_sample_weight_refused_by_an_estimator_is_named():
    import pytest
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _table()
    w = np.ones(len(y))
    for estimator, name in [
        (KNeighborsClassifier(), "KNeighborsClassifier"),
        (make_pipeline(StandardScaler(), LogisticRegression()), "Pipeline"),
    ]:
        assert not SklearnPrior(estimator).supports_sample_weight
        with pytest.raises(ValueError, match=f"SklearnPrior: {name}.fit takes no sample_weight"):
            SklearnPrior(estimator).fit(X, y, sample_weight=w)


def test_sample_weight_given_to_the_prior_itself_is_checked_as_the_estimators_do():
    X, y = np.arange(20.0).reshape(10, 2), np.array([0, 1] * 5)
    folds = [(np.arange(5, 10), np.arange(5)), (np.arange(5), np.arange(5, 10))]
    masked = np.ma.array(np.ones(10), mask=[True] + [False] * 9)
    for weight, said in [
        (["1"] * 10, "sample_weight must hold numbers, not text: row 0 holds '1'"),
        ([-1.0] + [1.0] * 9, r"sample_weight must be finite and >= 0 \(rows \[0\]\)"),
        ([np.nan] + [1.0] * 9, r"sample_weight must be finite and >= 0 \(rows \[0\]\)"),
        (masked, r"sample_weight is a masked array with masked entries \(rows \[0\]\)"),
        ([0.0] * 10, "sample_weight is all zero"),
    ]:  # text, -1 and the masked row were used before; NaN and zeros failed in the estimator
        prior = SklearnPrior(LogisticRegression())
        with pytest.raises(ValueError, match=said):
            prior.fit(X, y, sample_weight=weight)
        assert not hasattr(prior, "model_")
        with pytest.raises(ValueError, match=said):
            prior.oof_logits(X, y, folds, sample_weight=weight)
    # one number weighs every row alike, as in scikit-learn (refused before)
    alike = SklearnPrior(LogisticRegression()).fit(X, y, sample_weight=2.0).logits(X)
    model = LogisticRegression().fit(StandardScaler().fit_transform(X), y, sample_weight=[2.0] * 10)
    expected = np.log(model.predict_proba(StandardScaler().fit_transform(X)))
    # the same float64 fit: only the order of BLAS sums may differ
    np.testing.assert_allclose(alike, expected, rtol=1e-6)


def test_a_prior_whose_fit_takes_no_weights_is_fitted_without_them_as_the_docs_say():
    # docs/index.md: such priors (a Pipeline among them) are fitted without sample_weight
    X, y = _table()
    w = np.where(y == "yes", 20.0, 1.0)
    pipeline = make_pipeline(StandardScaler(), LogisticRegression())
    for prior, weighted in ((pipeline, False), (LogisticRegression(), True)):
        fit = PriorBoostClassifier(prior, scale="prior").fit
        with_weights = fit(X, y, sample_weight=w).predict_proba(X)
        without = fit(X, y).predict_proba(X)
        assert (np.abs(with_weights - without).max() > 0.05) == weighted


def test_classifiers_without_predict_proba_give_log_softmax_of_their_scores():
    from sklearn.linear_model import RidgeClassifier
    from sklearn.svm import LinearSVC

    X, y = _table()
    prior = SklearnPrior(RidgeClassifier(), preprocess=False).fit(X, y)
    d = RidgeClassifier().fit(X, y).decision_function(X)  # log-odds of "yes"
    expected = np.column_stack([-np.logaddexp(0, d), -np.logaddexp(0, -d)])
    np.testing.assert_allclose(prior.logits(X), expected, atol=1e-12)
    y3 = np.digitize(X["b"], [-0.5, 0.5])
    z = SklearnPrior(LinearSVC(), preprocess=False).fit(X, y3).logits(X)
    scores = LinearSVC().fit(X, y3).decision_function(X)
    np.testing.assert_allclose(np.exp(z).sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(z - z[:, :1], scores - scores[:, :1], atol=1e-12)


@pytest.mark.parametrize("n_classes", [3, 4])
def test_one_score_per_pair_of_classes_is_refused_by_name(n_classes):
    from sklearn.svm import SVC

    X, _ = _table()
    y = np.digitize(X["b"], np.quantile(X["b"], np.linspace(0, 1, n_classes + 1)[1:-1]))
    for estimator in (
        SVC(decision_function_shape="ovo"),
        make_pipeline(SVC(decision_function_shape="ovo")),
    ):
        with pytest.raises(ValueError, match=r"SVC\(decision_function_shape='ovo'\) gives one"):
            SklearnPrior(estimator).fit(X, y)
    # binary scores, and probabilities, are one per class whatever the shape
    SklearnPrior(SVC(decision_function_shape="ovo")).fit(X, y > 0)
    SklearnPrior(SVC(decision_function_shape="ovo", probability=True)).fit(X, y)


def test_a_classifier_without_class_scores_is_refused_by_name():
    import pytest
    from sklearn.base import BaseEstimator, ClassifierMixin

    class LabelsOnly(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            self.classes_ = np.unique(y)
            return self

        def predict(self, X):
            return np.repeat(self.classes_[0], len(X))

    X, y = _table()
    with pytest.raises(ValueError, match="LabelsOnly has neither predict_proba nor decision"):
        SklearnPrior(LabelsOnly()).fit(X, y)


def test_a_pipeline_keeps_its_own_preprocessing_and_column_names():
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from llmboost import PriorBoostClassifier

    X, y = _table()
    X["d"] = pd.Categorical(np.where(X["c"] > 0, "u", "v"))
    pipe = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["d"]), (StandardScaler(), ["a", "b"])),
        LogisticRegression(),
    )
    model = PriorBoostClassifier(pipe, scale="prior").fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X), pipe.fit(X, y).predict_proba(X), atol=1e-12)
    assert SklearnPrior(pipe)._wraps() is False and SklearnPrior(LogisticRegression())._wraps()
    assert SklearnPrior(pipe, preprocess=True)._wraps()


def test_a_pipeline_that_cannot_read_categories_says_why():
    # it was scikit-learn's bare "could not convert string to float: 'u'", though the same
    # estimator outside a pipeline takes the table
    from sklearn.pipeline import make_pipeline

    X, y = _table()
    X["d"] = np.where(X["c"] > 0, "u", "v")
    with pytest.raises(ValueError) as err:
        SklearnPrior(make_pipeline(StandardScaler(), LogisticRegression())).fit(X, y)
    assert str(err.value).endswith(
        "(SklearnPrior: Pipeline ending in LogisticRegression got X as it is, since "
        "preprocess=False or, for a Pipeline, 'auto'; X has categorical columns ['d'] as "
        "pandas 'category' values, which may be the cause: encode or drop them first (in the "
        "pipeline), or pass preprocess=True.)"
    )
    assert "could not convert string to float" in str(err.value)
    prior = SklearnPrior(make_pipeline(StandardScaler(), LogisticRegression()), preprocess=True)
    assert prior.fit(X, y).logits(X).shape == (len(X), 2)


def test_a_failure_on_the_table_as_given_names_columns_with_no_value():
    # HistGradientBoosting on an all-missing column failed with scikit-learn's "window shape
    # cannot be larger than input array shape"; with a categorical column beside it the note
    # blamed the categories alone, without one it said nothing
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = _table(40)
    X["d"] = np.nan
    prior = SklearnPrior(HistGradientBoostingClassifier(max_iter=5), preprocess=False)
    with pytest.raises(ValueError) as err:
        prior.fit(X, y)
    assert str(err.value).endswith(
        "X has columns ['d'] with no value (all missing), which may be the cause: encode or "
        "drop them first (in the pipeline), or pass preprocess=True.)"
    )
    X["e"] = pd.Categorical(["u", "v"] * 20)
    with pytest.raises(ValueError, match=r"X has categorical columns \['e'\] as pandas ") as err:
        prior.fit(X, y)
    assert "and columns ['d'] with no value (all missing)" in str(err.value)
    z = SklearnPrior(HistGradientBoostingClassifier(max_iter=5)).fit(X, y).logits(X)
    assert z.shape == (40, 2)  # preprocess=True imputes the empty column


def test_an_estimator_of_non_negative_numbers_names_the_negative_columns():
    # MultinomialNB failed with scikit-learn's "Negative values in data passed to
    # MultinomialNB (input X)" alone: which of the table's columns, unsaid
    from sklearn.naive_bayes import MultinomialNB

    X, y = _table(40)
    X["c"] = X["c"].abs()
    with pytest.raises(ValueError) as err:
        SklearnPrior(MultinomialNB()).fit(X, y)
    assert str(err.value) == (
        "Negative values in data passed to MultinomialNB (input X). (SklearnPrior: "
        "MultinomialNB takes only non-negative numbers, and columns ['a', 'b'] have negative "
        "values; shift or rescale them first, or use another estimator.)"
    )
    assert SklearnPrior(MultinomialNB()).fit(X[["c"]], y).logits(X[["c"]]).shape == (40, 2)


def test_a_prior_whose_task_changed_after_fit_is_refused_at_logits():
    # a classifier's prior given a regressor after fit returned the class labels as means
    # (TabPFNPrior(task=...) alike); refitted as a regressor it kept the old classes_
    X, y = _table()
    prior = SklearnPrior(LogisticRegression()).fit(X, y)
    prior.set_params(estimator=Ridge())
    with pytest.raises(ValueError) as err:
        prior.logits(X)
    assert str(err.value) == (
        "SklearnPrior was fitted for classification, but its parameters now make it a "
        "regression prior (set after fit); fit it again, or set them back."
    )
    target = X["a"].to_numpy()
    assert prior.fit(X, target).logits(X).shape == (len(X),)
    assert not hasattr(prior, "classes_")


def test_a_fit_that_fails_leaves_the_prior_as_it_was():
    # the failed fit kept the new labels' classes_ beside the old model: its logits came
    # back as they were, labelled with the new classes (0, 1, 2 read as 'a', 'b', 'c')
    X, y = _table()
    codes = np.arange(len(X)) % 3
    prior = SklearnPrior(LogisticRegression(class_weight={0: 1, 1: 1, 2: 3})).fit(X, codes)
    expected = prior.logits(X)
    with pytest.raises(ValueError, match="are not in class_weight"):
        prior.fit(X.drop(columns="a"), np.array(["c", "b", "a"])[codes])
    np.testing.assert_array_equal(prior.classes_, [0, 1, 2])
    assert list(prior.feature_names_in_) == list(X.columns)
    np.testing.assert_array_equal(prior.logits(X), expected)
    unfitted = SklearnPrior(LogisticRegression())
    with pytest.raises(ValueError):
        unfitted.fit(X, np.zeros(len(X)))  # one class
    assert not hasattr(unfitted, "classes_")  # still unfitted: logits says so


def test_columns_unlike_those_at_fit_are_named():
    # the error listed every column of X and every column seen at fit, leaving the reader
    # to find the one missing among 30 names
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 30)), columns=[f"f{i}" for i in range(30)])
    prior = SklearnPrior(LogisticRegression()).fit(X, np.arange(40) % 2)
    start = "X does not have the columns SklearnPrior was fitted on: "
    end = "; pass the 30 columns seen at fit, in their order."
    cases = [
        (X.drop(columns="f7"), "missing ['f7']"),
        (X.rename(columns={"f3": "g3"}), "missing ['f3'], not seen at fit ['g3']"),
        (X.drop(columns=X.columns[:8]), "missing ['f0', 'f1', 'f2', 'f3', 'f4'] and 3 more"),
        (X[X.columns[::-1]], "column 0 is 'f29', at fit 'f0'"),
    ]
    for other, change in cases:
        with pytest.raises(ValueError) as err:
            prior.logits(other)
        assert str(err.value) == start + change + end


def test_nan_class_scores_are_refused_by_name():
    import pytest
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.naive_bayes import GaussianNB

    X = pd.DataFrame({"a": [0.0] * 4 + [1.0] * 4})
    y = np.array([0] * 4 + [1] * 4)
    prior = SklearnPrior(GaussianNB(var_smoothing=0), preprocess=False).fit(X, y)
    with (
        np.errstate(all="ignore"),
        pytest.raises(
            ValueError,
            match=r"GaussianNB.predict_proba gave NaN or infinite values for 8 of 8 rows",
        ),
    ):
        prior.logits(X.assign(a=0.5))

    class Certain(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            self.classes_ = np.unique(y)
            return self

        def decision_function(self, X):
            return np.where(np.arange(len(X)) == 2, np.inf, 1.0)

        def predict(self, X):
            return np.zeros(len(X), dtype=int)

    with (
        np.errstate(all="ignore"),
        pytest.raises(
            ValueError, match=r"Certain.decision_function .* 1 of 8 rows \(first: \[2\]\)"
        ),
    ):
        SklearnPrior(Certain()).fit(X, y).logits(X)

    class Broken(RegressorMixin, BaseEstimator):
        def fit(self, X, y):
            self.fitted_ = True
            return self

        def predict(self, X):
            return np.full(len(X), np.nan)

    with pytest.raises(ValueError, match=r"Broken.predict gave NaN"):
        SklearnPrior(Broken()).fit(X, y.astype(float)).logits(X)


@pytest.mark.parametrize("estimator", [KMeans(2, n_init=1), IsolationForest(n_estimators=5)])
def test_clusterers_and_outlier_detectors_are_refused_by_name(estimator):
    # their predict gives cluster ids or inlier flags: KMeans fitted as a regression prior
    rng = np.random.default_rng(0)
    X, y = pd.DataFrame(rng.normal(size=(40, 3)), columns=list("abc")), rng.normal(size=40)
    name = type(estimator).__name__
    with pytest.raises(ValueError, match=rf"SklearnPrior: {name} is a (clusterer|outlier)"):
        PriorBoostRegressor(prior=estimator, scale=1.0, cv=2).fit(X, y)
    with pytest.raises(ValueError, match=rf"SklearnPrior: {name} is a (clusterer|outlier)"):
        SklearnPrior(estimator).fit(X, y > 0)


def test_density_estimators_are_refused_by_name_also_at_the_end_of_a_pipeline():
    # GaussianMixture's predict gives mixture components, not predictions of y
    from sklearn.mixture import GaussianMixture

    X, y = _table(40)
    fix = (
        "its predict does not predict y. Pass a classifier (predict_proba or "
        "decision_function) for a classification prior, or a regressor for a regression prior."
    )
    for estimator, name in [
        (GaussianMixture(2), "GaussianMixture"),
        (make_pipeline(StandardScaler(), GaussianMixture(2)), "Pipeline ending in GaussianMixture"),
    ]:
        with pytest.raises(ValueError) as err:
            SklearnPrior(estimator).fit(X, X["a"].to_numpy())
        assert str(err.value) == f"SklearnPrior: {name} is a density estimator; {fix}"
        with pytest.raises(ValueError, match=rf"SklearnPrior: {name} is a density estimator"):
            PriorBoostRegressor(prior=estimator, scale=1.0, cv=2).fit(X, X["a"])


def test_a_target_of_the_other_task_names_the_estimator_and_what_to_pass():
    X, labels = _table(40)
    numbers = X["b"].to_numpy()
    with pytest.raises(ValueError) as err:
        SklearnPrior(make_pipeline(StandardScaler(), LogisticRegression())).fit(X, numbers)
    assert str(err.value) == (
        "SklearnPrior: Pipeline ending in LogisticRegression is a classifier, so this is a "
        f"classification prior, but y is continuous (e.g. {float(numbers[0])!r}). For a regression "
        "target pass a regressor instead."
    )
    with pytest.raises(ValueError) as err:
        SklearnPrior(Ridge()).fit(X, labels)
    assert str(err.value) == (
        f"SklearnPrior: Ridge is a regressor, so this is a regression prior, but y holds "
        f"{str(labels[0])!r}, which is not a number. For a classification target pass a classifier "
        "instead."
    )
    with pytest.raises(ValueError, match=r"^Input y contains NaN"):  # not a task mismatch
        SklearnPrior(Ridge()).fit(X, np.where(numbers > 0, None, 1.0))
    # what fits its task is unchanged: classes given as numbers, a regressor on 0/1
    z = SklearnPrior(LogisticRegression()).fit(X, (numbers > 0).astype(float)).logits(X)
    assert z.shape == (40, 2)
    assert SklearnPrior(Ridge()).fit(X, (numbers > 0).astype(int)).logits(X).shape == (40,)


def test_an_object_scikit_learn_cannot_read_is_refused_by_name():
    class Mean:  # fit and predict, but no scikit-learn tags: classifier or regressor?
        def fit(self, X, y):
            self.mean_ = float(np.mean(y))
            return self

        def predict(self, X):
            return np.full(len(X), self.mean_)

    X, _ = _table(20)
    message = (
        "SklearnPrior: scikit-learn cannot read the tags of Mean, so whether it is a "
        "classifier or a regressor is unknown; derive its class from "
        "sklearn.base.BaseEstimator and ClassifierMixin (for a classification prior) or "
        "RegressorMixin (for a regression prior)."
    )
    with pytest.raises(ValueError) as err:
        SklearnPrior(Mean()).fit(X, X["a"])
    assert str(err.value) == message
    with pytest.raises(ValueError) as err:
        PriorBoostRegressor(prior=Mean(), scale=1.0, cv=2).fit(X, X["a"])
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("estimator", "task"),
    [
        (KNeighborsClassifier(3), "classification"),
        (make_pipeline(StandardScaler(), LogisticRegression()), "classification"),
        (GridSearchCV(LogisticRegression(), {"C": [1.0]}, cv=2), "classification"),
        (DummyRegressor(), "regression"),
        (make_pipeline(StandardScaler(), Ridge()), "regression"),
        (TransformedTargetRegressor(Ridge()), "regression"),
    ],
    ids=lambda e: type(e).__name__ if not isinstance(e, str) else e,
)
def test_classifiers_and_regressors_of_every_form_are_taken(estimator, task):
    X, labels = _table(40)
    prior = SklearnPrior(estimator)
    assert prior.task == task
    z = prior.fit(X, labels if task == "classification" else X["a"].to_numpy()).logits(X)
    assert np.isfinite(z).all() and z.shape == ((40, 2) if task == "classification" else (40,))


def test_an_estimator_without_a_type_tag_is_a_classifier_when_it_has_predict_proba():
    # scikit-learn calls an untagged estimator neither; one with class probabilities is
    # used as a classification prior, equal to the classifier it wraps
    from sklearn.base import BaseEstimator

    class Wrapped(BaseEstimator):
        def fit(self, X, y):
            self.model_ = LogisticRegression().fit(X, y)
            self.classes_ = self.model_.classes_
            return self

        def predict_proba(self, X):
            return self.model_.predict_proba(X)

    class Mean(BaseEstimator):
        def fit(self, X, y):
            self.mean_ = float(np.mean(y))
            return self

        def predict(self, X):
            return np.full(len(X), self.mean_)

    X, labels = _table(40)
    assert SklearnPrior(Wrapped()).task == "classification"
    assert SklearnPrior(Mean()).task == "regression"
    z = SklearnPrior(Wrapped(), preprocess=False).fit(X, labels).logits(X)
    expected = np.log(LogisticRegression().fit(X, labels).predict_proba(X))
    np.testing.assert_allclose(z, expected, atol=1e-12)
    model = PriorBoostClassifier(prior=Wrapped(), scale="prior").fit(X, labels)
    assert list(model.classes_) == ["no", "yes"]


def test_an_estimator_that_needs_dense_input_takes_text_columns():
    # the one-hot columns were a sparse matrix whenever most cells were zero: GaussianNB,
    # HistGradientBoosting... raised "Sparse data was passed for X, but dense data is required"
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.naive_bayes import GaussianNB

    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {"a": rng.normal(size=60), "zip": rng.choice([f"z{i}" for i in range(10)], 60)}
    )
    y = (X["a"] > 0).astype(int)
    z = SklearnPrior(GaussianNB()).fit(X, y).logits(X)
    onehot = pd.get_dummies(X["zip"]).to_numpy(dtype=float)  # sorted, as OneHotEncoder's
    a = ((X["a"] - X["a"].mean()) / X["a"].std(ddof=0)).to_numpy()
    want = GaussianNB().fit(np.c_[onehot, a], y).predict_proba(np.c_[onehot, a])
    # 1e-9: pandas' and StandardScaler's standardisations round apart in the last bits
    np.testing.assert_allclose(z, np.log(np.clip(want, PROBA_FLOOR, None)), rtol=0, atol=1e-9)
    model = PriorBoostClassifier(HistGradientBoostingClassifier(max_iter=5), scale="prior", cv=2)
    assert model.fit(X, y).predict_proba(X).shape == (60, 2)
    # an estimator that takes sparse input still gets it (wide one-hot tables stay small)
    fitted = SklearnPrior(LogisticRegression()).fit(X, y).model_
    assert fitted[0].transform(X).format == "csr"


@pytest.mark.parametrize("output", ["pandas", "polars"])
def test_the_preprocessing_ignores_the_transform_output_setting(output, recwarn):
    # sklearn.set_config(transform_output="pandas") made the one-hot encoder refuse to
    # fit ("Pandas output does not support sparse data") on any table with a text column
    import sklearn

    if output == "polars":
        pytest.importorskip("polars")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=40), "c": rng.choice(["u", "v"], 40)})
    y = (X["a"] > 0).astype(int)
    want = SklearnPrior(LogisticRegression()).fit(X, y)
    with sklearn.config_context(transform_output=output):
        prior = SklearnPrior(LogisticRegression()).fit(X, y)
        # exact: the same matrices reach the same solver on the same CPU
        np.testing.assert_array_equal(prior.logits(X), want.logits(X))
    np.testing.assert_array_equal(prior.logits(X), want.logits(X))
    assert not [w for w in recwarn if "feature names" in str(w.message)]


def test_an_array_and_a_dataframe_made_of_it_take_each_other_s_place_at_logits():
    # fit(array).logits(pd.DataFrame(array)) was refused: "missing ['x0', 'x1'], not seen
    # at fit ['0', '1']", and the reverse too, though both name their columns by position
    A = np.c_[np.arange(20.0), np.arange(20.0) % 3]
    y = np.arange(20) % 2
    expected = SklearnPrior(LogisticRegression()).fit(A, y).logits(A)
    for fitted, given in ((A, pd.DataFrame(A)), (pd.DataFrame(A), A)):
        z = SklearnPrior(LogisticRegression()).fit(fitted, y).logits(given)
        # the same columns, so the same fit: equal up to the order of float sums
        np.testing.assert_allclose(z, expected, rtol=1e-12)
    prior = SklearnPrior(LogisticRegression()).fit(pd.DataFrame(A), y)
    with pytest.raises(ValueError, match=r"fitted on: 3 columns, 2 at fit; pass the 2 columns"):
        prior.logits(np.ones((2, 3)))
    named = SklearnPrior(LogisticRegression()).fit(pd.DataFrame(A, columns=["a", "b"]), y)
    with pytest.raises(ValueError, match=r"missing \['a', 'b'\], not seen at fit \['x0', 'x1'\]"):
        named.logits(A)  # named columns are matched by name


@pytest.mark.parametrize(
    "value, shown",
    [(1, "1 (int)"), (1.5, "1.5 (float)"), ("a", "'a' (str)"), (np.array(2.0), "2.0 (float)")],
)
def test_a_single_value_as_y_is_named_at_fit(value, shown):
    # "y should be a 1d array, got an array of shape () instead", naming no value; a
    # regression prior said y "holds 'a', which is not a number. For a classification
    # target pass a classifier instead"
    X = np.arange(40.0).reshape(20, 2)
    said = f"y must be array-like, one value per row of X, got {shown}; pass the target"
    for fit in (
        SklearnPrior(LogisticRegression()).fit,
        SklearnPrior(Ridge()).fit,
        PriorBoostClassifier(scale=0).fit,
        PriorBoostRegressor(scale=0).fit,
    ):
        with pytest.raises(ValueError, match=f"^{re.escape(said)}"):
            fit(X, value)
