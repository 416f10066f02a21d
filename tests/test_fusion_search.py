"""The fusion search: prefix margins, pooled scoring, evidence-gated ensemble selection."""

import re
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score

from llmboost import PriorBoostClassifier, PriorBoostRegressor, SklearnPrior
from llmboost.boosters import make_booster
from llmboost.scale_search import (
    ANCHOR_SIGNAL,
    EVIDENCE,
    SUBSAMPLES,
    CVScorer,
    ensemble_selection,
    half_rows,
    make_folds,
    margin_to_output,
    prior_folds,
    prior_margin,
    ranking_signal,
    round_prefixes,
    row_loss,
    select,
    subagged_selection,
)


def _table(n=200, seed=0, n_classes=2):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=["a", "b", "c", "d"])
    score = X["a"] + X["b"] * X["c"]
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    return X, y


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("task, n_classes", [("classification", 2), ("classification", 3),
                                             ("regression", 0)])  # fmt: skip
def test_prefix_margins_equal_boosters_with_that_many_rounds(library, task, n_classes):
    X, y = _table(n_classes=max(n_classes, 2))
    y = y.astype(float) + np.random.default_rng(1).normal(size=len(y)) if not n_classes else y
    rng = np.random.default_rng(2)
    margin = rng.normal(size=(len(X), n_classes) if n_classes > 2 else len(X))
    params = {"n_estimators": 40, "subsample": 0.8}
    full = make_booster(library, params, task, 0).fit(X, y, margin)
    for r in (1, 7, 25, 40):
        alone = make_booster(library, {**params, "n_estimators": r}, task, 0)
        alone.fit(X, y, margin)
        # Same seed, same data: the first r trees are the same trees; float64 sums of
        # the same float32 leaf values in the same order.
        np.testing.assert_allclose(
            full.predict_margin(X, margin, r), alone.predict_margin(X, margin), atol=1e-6
        )


@pytest.mark.parametrize(
    "library, params",
    [("xgboost", {"booster": "gblinear"}), ("xgboost", {"booster": "dart", "rate_drop": 0.3}),
     ("lightgbm", {"boosting_type": "dart"})],
)  # fmt: skip
def test_boosters_whose_first_rounds_are_not_a_shorter_booster_are_searched_in_full(
    library, params
):
    # DART rescales earlier trees in later rounds and XGBoost's linear booster ignores the
    # round range: every prefix was scored as a shorter booster, and the refit trained the
    # chosen rounds (a linear booster scored with 20 rounds was refit with 1)
    X, y = _table()
    params = {"n_estimators": 20, **params}
    rng = np.random.default_rng(2)
    margin = rng.normal(size=len(X))
    full = make_booster(library, params, "classification", 0).fit(X, y, margin)
    alone = make_booster(library, {**params, "n_estimators": 5}, "classification", 0)
    alone.fit(X, y, margin)
    assert np.abs(full.predict_margin(X, margin, 5) - alone.predict_margin(X, margin)).max() > 0.1
    prior = SklearnPrior(LogisticRegression())
    model = PriorBoostClassifier(
        prior, booster=library, booster_params=params, scale=[0, 1], cv=3, random_state=0
    ).fit(X, y)
    assert {r for r in model.cv_results_["param_n_rounds"] if r} == {20}
    assert all(m.n_rounds in (0, 20) for m in model.members_)


@pytest.mark.parametrize(
    "library, params",
    [("xgboost", {"booster": "dart"}), ("xgboost", {"booster": "dart", "rate_drop": 0.0}),
     ("xgboost", {"booster": "dart", "rate_drop": 0.3, "skip_drop": 1.0}),
     ("lightgbm", {"boosting_type": "dart", "drop_rate": 0.0}),
     ("lightgbm", {"boosting": "dart", "rate_drop": 0.0}),
     ("lightgbm", {"boosting_type": "dart", "skip_drop": 1.0})],
)  # fmt: skip
def test_dart_that_drops_no_tree_has_its_rounds_searched(library, params):
    # XGBoost's DART drops nothing at its default rate_drop=0: its first rounds are the
    # shorter booster, yet only the full n_estimators was scored (1 round count, not 6)
    X, y = _table()
    params = {"n_estimators": 20, **params}
    margin = np.random.default_rng(2).normal(size=len(X))
    full = make_booster(library, params, "classification", 0).fit(X, y, margin)
    alone = make_booster(library, {**params, "n_estimators": 5}, "classification", 0)
    # the same trees with the same weights: float64 sums of the same float32 leaf values
    np.testing.assert_allclose(
        full.predict_margin(X, margin, 5), alone.fit(X, y, margin).predict_margin(X, margin),
        atol=1e-6,
    )  # fmt: skip
    model = PriorBoostClassifier(
        LogisticRegression(), booster=library, booster_params=params, scale=[0, 1], cv=3,
        random_state=0,
    ).fit(X, y)  # fmt: skip
    assert {r for r in model.cv_results_["param_n_rounds"] if r} == set(round_prefixes(20))


def test_a_linear_booster_stopped_early_keeps_only_its_best_rounds():
    # it predicted with every round trained (best + patience), while reporting the best
    X, y = _table()
    X_val, y_val = _table(100, seed=1)
    params = {"booster": "gblinear", "n_estimators": 300, "learning_rate": 0.5}
    booster = make_booster("xgboost", params, "classification", 0)
    booster.fit(X, y, None, eval_set=(X_val, y_val, None))
    assert booster.model_.get_booster().num_boosted_rounds() == booster.n_rounds_ < 300
    shorter = {**params, "n_estimators": booster.n_rounds_}
    alone = make_booster("xgboost", shorter, "classification", 0)
    # the same updates in the same order (one thread): the same float32 weights
    np.testing.assert_allclose(
        booster.predict_margin(X, None), alone.fit(X, y, None).predict_margin(X, None), atol=1e-6
    )


def test_round_prefixes_cover_the_boosting():
    assert round_prefixes(100) == [5, 10, 20, 30, 50, 75, 100]
    assert round_prefixes(10) == [1, 2, 3, 5, 8, 10]


def test_the_search_names_no_scorer_as_its_default():
    # its default, scoring=None, scores each row's own loss (the regression booster's loss
    # when it is not squared error), not a scikit-learn scorer such as RMSE
    import inspect

    from llmboost import scale_search

    assert inspect.signature(CVScorer).parameters["scoring"].default is None
    assert not any("SCORING" in name for name in scale_search.__all__)


def test_pooled_fold_scores_are_per_fold_log_loss():
    X, y = _table(120)
    folds = make_folds(y, 4, "classification", 0)
    margin = np.random.default_rng(0).normal(size=len(y))
    cv = CVScorer(X, y, y, np.array([0, 1]), margin, folds, task="classification",
                  booster="xgboost")  # fmt: skip
    for (_, test), score in zip(folds, cv.fold_scores(margin)):
        proba = margin_to_output(margin[test], "classification")
        np.testing.assert_allclose(-score, log_loss(y[test], proba, labels=[0, 1]), rtol=1e-9)


def test_row_loss_matches_log_loss_binary_and_multiclass():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 50)
    m = rng.normal(size=(50, 3))
    np.testing.assert_allclose(
        row_loss(m, y, "classification", False).mean(),
        log_loss(y, margin_to_output(m, "classification")),
        rtol=1e-9,
    )
    b = rng.normal(size=50)
    yb = (y > 0).astype(int)
    np.testing.assert_allclose(
        row_loss(b, yb, "classification", True).mean(),
        log_loss(yb, margin_to_output(b, "classification")),
        rtol=1e-9,
    )


def test_ensemble_keeps_the_anchor_without_evidence():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 40)
    truth = np.where(y == 1, 1.0, -1.0)
    anchor = truth + rng.normal(scale=2.0, size=40)
    # A candidate slightly better on average but within noise: must not join at 1 SE.
    noisy = anchor + rng.normal(scale=0.5, size=40)
    counts = ensemble_selection(np.stack([anchor, noisy]), y, "classification", 0)
    assert counts.tolist() == [1, 0]
    # A much better candidate joins, repeatedly.
    good = 3 * truth
    counts = ensemble_selection(np.stack([anchor, good]), y, "classification", 0)
    assert counts[0] == 1 and counts[1] >= 3


def test_a_candidate_with_infinite_or_nan_margins_never_joins():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 40)
    truth = np.where(y == 1, 1.0, -1.0)
    anchor = truth + rng.normal(scale=2.0, size=40)
    wild = np.inf * truth * np.where(np.arange(40) % 4 == 0, -1.0, 1.0)  # wrong on a quarter
    for bad in (wild, np.full(40, np.nan)):
        counts = ensemble_selection(np.stack([anchor, 3 * truth, bad]), y, "classification", 0)
        assert counts[2] == 0 and counts[1] >= 3
    # Fitted: a scale so large that the prior's margin overflows scores -inf and gets no weight.
    X, y = _table(n=60)
    model = PriorBoostClassifier(LogisticRegression(), scale=[0, 1e300], cv=3, random_state=0,
                                 booster_params={"n_estimators": 10}).fit(X, y)  # fmt: skip
    results = model.cv_results_
    huge = results["param_scale"] == 1e300
    assert np.all(results["mean_test_score"][huge] == -np.inf)
    assert np.all(results["ensemble_weight"][huge] == 0)
    assert np.isfinite(model.predict_proba(X)).all()


@pytest.mark.parametrize("library, n_classes", [("lightgbm", 0), ("lightgbm", 2),
                                                ("lightgbm", 3), ("xgboost", 3)])  # fmt: skip
def test_a_scale_that_overflows_is_left_out_without_numpy_warnings(library, n_classes):
    # scale=[1e300, 1.0] warned "overflow encountered in square" (LightGBM) or "invalid
    # value encountered in subtract" (XGBoost, three classes) from the selection's losses
    import warnings

    from sklearn.linear_model import Ridge

    X, y = _table(n=90, n_classes=max(n_classes, 2))
    kwargs = dict(booster=library, scale=[1e300, 1.0], cv=3, random_state=0,
                  booster_params={"n_estimators": 10})  # fmt: skip
    if n_classes:
        model = PriorBoostClassifier(LogisticRegression(), **kwargs)
    else:
        y = 2 * X["a"].to_numpy() + X["b"].to_numpy()
        model = PriorBoostRegressor(Ridge(), **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X, y)
    results = model.cv_results_
    huge = results["param_scale"] == 1e300
    assert not (results["mean_test_score"][huge] > -1e100).any()  # -inf, NaN or -1e299
    assert np.all(results["ensemble_weight"][huge] == 0)
    assert model.scale_ == 1.0


def _fit_with_an_overflowing_scale(n_classes: int, **kwargs):
    """A search over scale=[1e300, 1.0], fitted (n_classes 0: a regressor)."""
    from sklearn.linear_model import Ridge

    X, y = _table(n=90, n_classes=max(n_classes, 2))
    kwargs = {"scale": [1e300, 1.0], "cv": 3, "random_state": 0,
              "booster_params": {"n_estimators": 10}, **kwargs}  # fmt: skip
    if n_classes:
        return PriorBoostClassifier(LogisticRegression(), **kwargs).fit(X, y)
    y = 2 * X["a"].to_numpy() + X["b"].to_numpy()
    return PriorBoostRegressor(Ridge(), **kwargs).fit(X, y)


@pytest.mark.parametrize("n_classes, scoring", [(2, "roc_auc"), (3, "neg_log_loss"),
                                               (0, "r2")])  # fmt: skip
def test_a_scale_that_overflows_is_left_out_by_a_given_scorer(n_classes, scoring):
    # with scoring given, scale=[1e300, 1.0] failed the fit: "scoring='roc_auc' could not
    # score the search's out-of-fold predictions: Input contains infinity" (XGBoost keeps
    # its starting margin as float32), while the search's own loss leaves it out
    model = _fit_with_an_overflowing_scale(n_classes, scoring=scoring)
    results = model.cv_results_
    huge = results["param_scale"] == 1e300
    assert np.all(results["mean_test_score"][huge] == -np.inf)
    assert np.isfinite(results["mean_test_score"][~huge]).all()
    assert np.all(results["ensemble_weight"][huge] == 0)
    assert model.scale_ == 1.0


def _rows_cv(y, task="classification"):
    """What :func:`~llmboost.selection.select` reads of a CVScorer: every row tested."""
    return SimpleNamespace(tested_rows=lambda: np.arange(len(y)), y_encoded=y, task=task,
                           sample_weight=None, random_state=0, n_jobs=None)  # fmt: skip


def test_a_classification_prior_near_chance_starts_at_its_smallest_scale():
    y = np.repeat([0, 1], 20)
    right = np.arange(40) % 4 != 0  # the trees rank three rows in four correctly
    trees = 2.0 * np.where(y == 1, 1.0, -1.0) * np.where(right, 1.0, -1.0)
    prior = 3.0 * (np.arange(40) % 2 - 0.5)  # ranks at chance (signal 0), confidently
    assert ranking_signal(prior, y, "classification") == 0.0
    candidates = [(0.0, 100), (0.01, 0), (1.0, 0)]
    stack = np.stack([trees, 0.01 * prior, prior])
    weights = select(candidates, list(stack), _rows_cv(y))
    expected = subagged_selection(stack, y, "classification", 1, np.random.default_rng(0),
                                  evidence=0)  # fmt: skip
    np.testing.assert_array_equal(weights, expected)
    # The trees join the flat start; the confident prior gets only what a few halves give.
    assert weights[0] > 0.4 and weights[2] < 0.1
    # A regression prior near chance still starts the ensemble itself (unprotected).
    target = np.where(right, 1.0, -1.0) * (y - 0.5)
    regressed = select(candidates, list(stack), _rows_cv(target, "regression"))
    from_prior = subagged_selection(stack, target, "regression", 2, np.random.default_rng(0),
                                    evidence=0)  # fmt: skip
    np.testing.assert_array_equal(regressed, from_prior)
    assert not np.array_equal(regressed, weights)


def test_a_prior_that_ranks_above_chance_starts_the_ensemble():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60)
    truth = np.where(y == 1, 1.0, -1.0)
    prior = truth + rng.normal(scale=1.5, size=60)
    trees = 3 * truth + rng.normal(scale=3.0, size=60)
    signal = ranking_signal(prior, y, "classification")
    assert ANCHOR_SIGNAL < signal
    weights = select([(0.0, 100), (1.0, 0)], [trees, prior], _rows_cv(y))
    draws = np.random.default_rng(0)
    expected = subagged_selection(np.stack([trees, prior]), y, "classification", 1, draws,
                                  evidence=min(EVIDENCE, signal))  # fmt: skip
    np.testing.assert_array_equal(weights, expected)


def test_half_rows_are_stratified_halves():
    rng = np.random.default_rng(0)
    y = np.array([0] * 7 + [1] * 4 + [2])
    for _ in range(20):
        rows = half_rows(y, "classification", rng)
        assert len(np.unique(rows)) == len(rows)
        # Half of each class rounded up; the single row of class 2 is always kept.
        assert np.bincount(y[rows], minlength=3).tolist() == [4, 2, 1]
    target = rng.normal(size=9)
    order = np.argsort(target)
    seen = set()
    for _ in range(20):
        rows = half_rows(target, "regression", rng)
        # One row of each pair of neighbours in target order, the odd one out sometimes.
        for pair in order[:8].reshape(4, 2):
            assert len(set(pair) & set(rows)) == 1
        assert len(rows) in (4, 5)
        seen.update(rows.tolist())
    assert seen == set(range(9))


def test_subagged_selection_averages_the_selections_of_its_halves():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60)
    truth = np.where(y == 1, 1.0, -1.0)
    anchor = truth + rng.normal(scale=2.0, size=60)
    oof = np.stack([anchor, 3 * truth, rng.normal(size=60), anchor + truth])
    weights = subagged_selection(oof, y, "classification", 0, np.random.default_rng(3))
    np.testing.assert_allclose(weights.sum(), 1.0)
    # The halves choose among the anchor and what the selection on all rows picked.
    picked = np.flatnonzero(ensemble_selection(oof, y, "classification", 0))
    assert picked.tolist() == [0, 1]
    expected = np.zeros(4)
    draws = np.random.default_rng(3)
    for _ in range(SUBSAMPLES):
        rows = half_rows(y, "classification", draws)
        counts = ensemble_selection(oof[picked][:, rows], y[rows], "classification", 0)
        expected[picked] += counts / counts.sum() / SUBSAMPLES
    np.testing.assert_allclose(weights, expected, rtol=1e-12)
    # The clearly better candidate wins on every half; noise and the runner-up never join.
    assert weights[1] > 0.5 and weights[2] == 0.0 and weights[3] == 0.0
    again = subagged_selection(oof, y, "classification", 0, np.random.default_rng(3))
    np.testing.assert_array_equal(weights, again)
    threaded = subagged_selection(oof, y, "classification", 0, np.random.default_rng(3), n_jobs=2)
    np.testing.assert_array_equal(weights, threaded)


def test_subagging_gives_no_weight_to_a_candidate_all_rows_reject():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 40)
    truth = np.where(y == 1, 1.0, -1.0)
    anchor = truth + rng.normal(size=40)
    # The prior, the prior sharpened threefold, and the prior with a real improvement.
    oof = np.stack([anchor, 3 * anchor, anchor + 0.5 * truth])
    assert ensemble_selection(oof, y, "classification", 0)[1] == 0
    draws = np.random.default_rng(3)
    halves = [half_rows(y, "classification", draws) for _ in range(SUBSAMPLES)]
    lucky = [ensemble_selection(oof[:, r], y[r], "classification", 0)[1] > 0 for r in halves]
    assert any(lucky)  # some halves alone would let the sharpened prior in
    weights = subagged_selection(oof, y, "classification", 0, np.random.default_rng(3))
    assert weights[1] == 0.0 and weights[2] > 0.5
    # Without protection (evidence 0: nothing to protect) every candidate takes part.
    free = subagged_selection(oof, y, "classification", 0, np.random.default_rng(3), evidence=0)
    expected = np.zeros(3)
    for r in halves:
        counts = ensemble_selection(oof[:, r], y[r], "classification", 0, evidence=0)
        expected += counts / counts.sum() / SUBSAMPLES
    np.testing.assert_allclose(free, expected, rtol=1e-12)


def test_regressors_use_halves_only_while_the_prior_is_not_fully_protected(monkeypatch):
    from sklearn.dummy import DummyRegressor

    import llmboost.selection

    def refuse(*args, **kwargs):
        raise AssertionError("halves used")

    monkeypatch.setattr(llmboost.selection, "subagged_selection", refuse)
    X, y = _table(80)
    target = X["a"].to_numpy() + np.random.default_rng(0).normal(size=80)
    strong = PriorBoostRegressor(random_state=0)  # the ridge prior ranks far above chance
    strong.fit(X, target)  # selection on all rows only
    constant = PriorBoostRegressor(prior=SklearnPrior(DummyRegressor()), random_state=0)
    with pytest.raises(AssertionError, match="halves used"):
        constant.fit(X, target)  # ranking signal 0: no protection, so halves
    with pytest.raises(AssertionError, match="halves used"):
        PriorBoostClassifier(random_state=0).fit(X, y)


def test_ranking_signal_is_zero_for_a_constant_and_negative_when_inverted():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    good = y + rng.normal(scale=0.8, size=200)
    assert ranking_signal(np.zeros(200), y, "classification") == 0.0
    assert ranking_signal(good, y, "classification") > 5
    np.testing.assert_allclose(
        ranking_signal(-good, y, "classification"), -ranking_signal(good, y, "classification")
    )
    y3 = rng.integers(0, 3, 200)
    assert ranking_signal(np.eye(3)[y3] * 2 + rng.normal(size=(200, 3)), y3, "classification") > 5
    assert ranking_signal(np.zeros((200, 3)), y3, "classification") == 0.0
    yr = rng.normal(size=200)
    assert ranking_signal(yr + rng.normal(size=200), yr, "regression") > 5
    assert ranking_signal(np.ones(200), yr, "regression") == 0.0


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_ranking_signal_counts_rows_by_their_weight(task):
    # the signal ignored sample_weight: a prior that ranked only rows of weight 0 (which
    # no loss counts) was protected as if it ranked the rows the model is fitted to
    rng = np.random.default_rng(1)
    n, kind = 300, "regression" if task == "regression" else "classification"
    if task == "regression":
        y = rng.normal(size=n)
        good, noise = y + 0.3 * rng.normal(size=n), rng.normal(size=n)
    else:
        y = rng.integers(0, 2 if task == "binary" else 3, n)
        shape = (n,) if task == "binary" else (n, 3)
        signal = y * 3.0 if task == "binary" else np.eye(3)[y] * 3
        good, noise = signal + rng.normal(size=shape), rng.normal(size=shape)
    masked = np.arange(n) < 200  # the prior ranks these rows only
    margin = noise.copy()
    margin[masked] = good[masked]
    weight = (~masked).astype(float)
    assert ranking_signal(margin, y, kind) > 5
    np.testing.assert_array_equal(
        ranking_signal(margin, y, kind, weight), ranking_signal(noise[~masked], y[~masked], kind)
    )
    # equal weights are no weights
    assert ranking_signal(margin, y, kind, np.full(n, 2.5)) == ranking_signal(margin, y, kind)


def test_weighted_ranking_signal_is_the_weighted_auc_in_standard_errors():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 120)
    margin = np.round(y + rng.normal(size=120), 1)  # ties
    w = rng.uniform(0.1, 3.0, 120)
    n1, n0 = (w[y == c].sum() ** 2 / (w[y == c] ** 2).sum() for c in (1, 0))
    auc = 0.5 + ranking_signal(margin, y, "classification", w) * np.sqrt(
        (n1 + n0 + 1) / (12 * n1 * n0)
    )
    assert auc == pytest.approx(roc_auc_score(y, margin, sample_weight=w), rel=1e-12)


def test_ranking_signal_leaves_out_classes_without_rows():
    # classes of a single row are never tested; each counted as 0 in the mean: ten of
    # them took a prior at 4.5 standard errors to 0.95, so it lost its protection and
    # the ensemble started from it tempered to 0.01
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 90)
    margin = np.eye(3)[y] + rng.normal(size=(90, 3))
    rare = np.hstack([margin, np.full((90, 10), np.log(1e-7))])  # columns of unseen classes
    signal = ranking_signal(margin, y, "classification")
    assert signal > 3
    assert ranking_signal(rare, y, "classification") == signal
    X = pd.DataFrame({"a": margin[:, 0] - margin[:, 1], "b": rng.normal(size=90)})
    labels = np.array(["lo", "mid", "hi"], dtype=object)[y]
    labels[:10] = [f"rare{i}" for i in range(10)]
    model = PriorBoostClassifier(LogisticRegression(max_iter=300), cv=3, random_state=0)
    model.fit(X, labels)
    assert [(m.scale, m.n_rounds) for m in model.members_] == [(1.0, 0)]


def test_ensemble_learns_to_ignore_a_useless_prior():
    X, y = _table(300)
    constant = SklearnPrior(__import__("sklearn.dummy").dummy.DummyClassifier(), preprocess=False)
    model = PriorBoostClassifier(prior=constant, random_state=0).fit(X, y)
    tree_weight = sum(m.weight for m in model.members_ if m.n_rounds > 0)
    assert tree_weight >= 0.75


def test_members_sum_to_the_margin_and_cv_results_show_every_candidate():
    X, y = _table(150)
    model = PriorBoostClassifier(random_state=0).fit(X, y)
    res = model.cv_results_
    n = len(res["params"])
    assert n == 8 * 7 + 7  # 8 tree scales x 7 prefixes, 7 tempered priors (with 'prior')
    assert {"scale": "prior", "n_rounds": 0} in res["params"]
    assert set(res["param_n_rounds"]) == {0, 5, 10, 20, 30, 50, 75, 100}
    assert [p["scale"] for p in res["params"]] == list(res["param_scale"])
    assert pd.DataFrame(res).shape[0] == n  # a row per candidate, as scikit-learn's searches
    np.testing.assert_allclose(res["ensemble_weight"].sum(), 1.0)
    assert {f"split{i}_test_score" for i in range(5)} <= set(res)
    weights = [m.weight for m in model.members_]
    np.testing.assert_allclose(sum(weights), 1.0)
    np.testing.assert_allclose(model.scale_, sum(m.weight * m.scale for m in model.members_))
    z = prior_margin(model.prior_.logits(X), "classification")
    manual = sum(
        m.weight * (m.scale * z if m.booster is None
                    else m.booster.predict_margin(X, m.scale * z, m.n_rounds))
        for m in model.members_
    )  # fmt: skip
    np.testing.assert_allclose(model.decision_function(X), manual, atol=1e-12)


@pytest.mark.parametrize("n_trials", [0, 2])
def test_cv_results_time_each_candidates_fits_and_scoring(n_trials, monkeypatch):
    # cv_results_ had no mean_fit_time, std_fit_time, mean_score_time, std_score_time
    # (the first four columns of scikit-learn's searches)
    if n_trials:
        pytest.importorskip("optuna")
    from llmboost.boosters import XGBoostBooster

    fit, predict = XGBoostBooster.fit, XGBoostBooster.predict_margin

    def slow_fit(self, *args, **kwargs):  # a fit of at least 20 ms, a prediction of 2 ms
        time.sleep(0.02)
        return fit(self, *args, **kwargs)

    def slow_predict(self, *args, **kwargs):
        time.sleep(0.002)
        return predict(self, *args, **kwargs)

    monkeypatch.setattr(XGBoostBooster, "fit", slow_fit)
    monkeypatch.setattr(XGBoostBooster, "predict_margin", slow_predict)
    X, y = _table(90)
    kw = {"booster_params": {"n_estimators": 10}, "cv": 3, "random_state": 0}
    model = PriorBoostClassifier(**kw, scale=[0.3, 1.0, "prior"], n_trials=n_trials).fit(X, y)
    res = model.cv_results_
    times = ["mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time"]
    keys = list(res)  # GridSearchCV's order: the times, the param_<name> columns, params
    assert keys[:4] == times and keys[4] == "param_scale"
    assert all(k.startswith("param_") for k in keys[4 : keys.index("params")])
    n = len(res["params"])
    assert all(res[k].shape == (n,) and (res[k] >= 0).all() for k in times)
    trees = np.array([p["scale"] != "prior" and p.get("n_rounds") != 0 for p in res["params"]])
    assert trees.sum() == (n_trials or 2 * len(round_prefixes(10)))
    assert (res["mean_fit_time"][trees] >= 0.02).all()  # the sleep above, at least
    assert (res["mean_score_time"][trees] >= 0.002).all()
    # the prior alone (at any temperature) fits nothing in the search
    assert (res["mean_fit_time"][~trees] == 0).all() and (res["std_fit_time"][~trees] == 0).all()
    if not n_trials:  # the rounds of one scale are prefixes of the same fold fits
        for scale in (0.3, 1.0):
            shared = res["mean_fit_time"][trees & (res["param_scale"] == scale)]
            assert len(shared) == len(round_prefixes(10)) and len(set(shared)) == 1


def test_search_is_deterministic_and_parallel_equals_serial():
    X, y = _table(150, n_classes=3)
    kw = {"booster_params": {"subsample": 0.7}, "random_state": 5}
    a = PriorBoostClassifier(**kw).fit(X, y)
    b = PriorBoostClassifier(**kw, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(
        a.cv_results_["mean_test_score"], b.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    rs = PriorBoostClassifier(random_state=np.random.RandomState(0)).fit(X, y)
    assert rs.predict_proba(X).shape == (len(X), 3)


def test_a_regressor_searches_a_tiny_target_as_the_same_target_in_other_units():
    from sklearn.dummy import DummyRegressor

    X, _ = _table(n=120)
    y = (2 * X["a"] + np.sin(3 * X["b"]) * X["c"]).to_numpy()
    kw = {"booster_params": {"n_estimators": 20}, "random_state": 0}
    fits = [PriorBoostRegressor(DummyRegressor(), **kw).fit(X, y * unit) for unit in (1, 1e-200)]
    # squared errors of 1e-200 underflowed to 0: every candidate scored 0 (a perfect RMSE)
    # and the mean alone was kept (scale_ 1.0) where the trees took over at unit 1
    same = [[(m.scale, m.n_rounds) for m in fit.members_] for fit in fits]
    assert same[0] == same[1] and any(r for _, r in same[0])
    for key in ("mean_test_score", "std_test_score"):  # the same numbers, in the target's unit
        # the trees train on the standardised target in float32: equal up to rounding
        tiny = fits[1].cv_results_[key] / 1e-200
        np.testing.assert_allclose(tiny, fits[0].cv_results_[key], rtol=1e-6)


def test_regressor_search_and_early_stopping_on_validation_rows():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    y = X["a"] * 2 + np.sin(3 * X["b"]) + rng.normal(scale=0.1, size=300)
    model = PriorBoostRegressor(random_state=0).fit(X[:200], y[:200])
    assert np.isfinite(model.predict(X)).all() and len(model.cv_results_["param_n_rounds"])
    early = PriorBoostRegressor(
        scale=0.5, booster_params={"n_estimators": 2000, "early_stopping_rounds": 5},
        random_state=0,
    ).fit(X[:200], y[:200], eval_set=(X[200:], y[200:]))  # fmt: skip
    assert early.members_[0].n_rounds < 2000
    assert early.booster_.n_rounds_ == early.members_[0].n_rounds


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_eval_set_early_stopping_classifier(booster):
    X, y = _table(400)
    params = {"n_estimators": 1000, "learning_rate": 0.3}
    model = PriorBoostClassifier(booster=booster, booster_params=params, scale=1.0,
                                 random_state=0)  # fmt: skip
    model.fit(X[:300], y[:300], eval_set=(X[300:], y[300:]))
    assert 1 <= model.members_[0].n_rounds < 1000
    with pytest.raises(ValueError, match="eval_set must be a pair .* got a DataFrame"):
        model.fit(X, y, eval_set=X)
    with pytest.raises(ValueError, match=r"not XGBoost's list of pairs \[\(X_val, y_val\)\]"):
        model.fit(X, y, eval_set=[(X[300:], y[300:])])
    # two pairs: "setting an array element with a sequence. The requested array has an
    # inhomogeneous shape after 2 dimensions ..."
    two = [(X[300:350], y[300:350]), (X[350:], y[350:])]
    with pytest.raises(ValueError, match=r"list of pairs .* \(early stopping reads one valid"):
        model.fit(X, y, eval_set=two)
    with pytest.raises(ValueError, match=r"eval_set labels \[7\]"):
        model.fit(X, y, eval_set=(X[:5], np.array([0, 1, 7, 0, 1])))
    # text labels for integer classes: the message named neither the classes nor the types
    with pytest.raises(ValueError, match=r"\['0', '1'\] are not among the classes of y \[0, 1\]"):
        model.fit(X, y, eval_set=(X[:5], np.array(["0", "1", "1", "0", "1"])))


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_early_stopping_rounds_none_trains_every_round_and_lightgbm_names_are_the_patience(
    booster,
):
    # None raised XGBoost's AttributeError (best_iteration) or LightGBM's TypeError; LightGBM's
    # early_stopping_round stopped every fit without eval_set (LightGBM's ValueError)
    X, y = _table(300)
    params = {"n_estimators": 60, "learning_rate": 0.3, "early_stopping_rounds": None}
    model = PriorBoostClassifier(booster=booster, booster_params=params, scale=0, random_state=0)
    model.fit(X[:200], y[:200], eval_set=(X[200:], y[200:]))
    assert model.members_[0].n_rounds == 60
    plain = PriorBoostClassifier(booster=booster, booster_params={**params, "n_estimators": 60},
                                 scale=0, random_state=0).fit(X[:200], y[:200])  # fmt: skip
    np.testing.assert_array_equal(model.predict_proba(X), plain.predict_proba(X))
    with pytest.raises(ValueError, match=r"early_stopping_rounds=0: give the rounds without"):
        model.set_params(booster_params={"early_stopping_rounds": 0}).fit(X, y)
    if booster == "lightgbm":
        model.set_params(booster_params={**params, "early_stopping_round": 3}, scale=[0, 1], cv=3)
        with pytest.raises(ValueError, match=r"gives early_stopping_rounds and early_stopping_ro"):
            model.fit(X, y)
        del params["early_stopping_rounds"]
        model.set_params(booster_params={**params, "early_stopping_round": 3})
        model.fit(X[:200], y[:200], eval_set=(X[200:], y[200:]))  # the search's fits too
        model.set_params(scale=0).fit(X[:200], y[:200], eval_set=(X[200:], y[200:]))
        assert model.members_[0].n_rounds < 60


def test_prior_folds_score_rows_no_fold_tests():
    y = np.array([0] * 10 + [1] * 10 + [2])
    folds = make_folds(y, 5, "classification", 0)
    assert all(20 in train and 20 not in test for train, test in folds)
    extra = prior_folds(folds, len(y))
    assert len(extra) == 6 and extra[-1][1].tolist() == [20] and 20 not in extra[-1][0]


def test_regression_folds_are_stratified_on_the_target():
    y = np.random.default_rng(0).normal(size=37)
    folds = make_folds(y, 5, "regression", 0)
    tested = np.sort(np.concatenate([test for _, test in folds]))
    assert tested.tolist() == list(range(37))
    assert all(np.intersect1d(train, test).size == 0 for train, test in folds)
    assert {len(test) for _, test in folds} == {7, 8}
    blocks = np.sort(y)
    for _, test in folds:  # the i-th smallest target of a fold lies in the i-th block of 5
        for i, value in enumerate(np.sort(y[test])):
            assert blocks[5 * i] <= value <= blocks[min(5 * i + 4, 36)]
    again = make_folds(y, 5, "regression", 0)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again))
    other = make_folds(y, 5, "regression", 1)
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(folds, other))
    assert len(make_folds(y[:3], 5, "regression", 0)) == 3


@pytest.mark.parametrize("prior", ["logistic", "bundled_pfn"])
@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("n_single", [1, 2])
def test_classes_with_a_single_row_fit(prior, booster, n_single):
    from llmboost import BundledPFNPrior

    X, y = _table(60)
    y = np.array([f"c{v}" for v in y], dtype=object)
    for i in range(n_single):
        y[i] = f"rare{i}"
    prior = BundledPFNPrior(n_ensemble=1) if prior == "bundled_pfn" else None
    model = PriorBoostClassifier(prior=prior, booster=booster, random_state=0).fit(X, y)
    proba = model.predict_proba(X)
    assert list(model.classes_)[-n_single:] == [f"rare{i}" for i in range(n_single)]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.isfinite(model.cv_results_["mean_test_score"]).all()


def test_prior_alone_needs_no_cross_validation():
    class NoOOF(SklearnPrior):
        def oof_logits(self, X, y, folds):
            raise AssertionError("scale='prior' must not compute out-of-fold logits")

    X, y = _table(30)
    y = np.array([f"c{v}" for v in y], dtype=object)
    y[0] = "once"
    model = PriorBoostClassifier(prior=NoOOF(LogisticRegression()), scale="prior").fit(X, y)
    assert model.predict_proba(X).shape == (30, 3) and model.scale_ == "prior"
    with pytest.raises(ValueError, match="n_trials=3 tunes booster parameters"):
        PriorBoostClassifier(scale="prior", n_trials=3).fit(X, y)


def test_failed_refit_keeps_the_fitted_model():
    X, y = _table(80)
    model = PriorBoostClassifier(scale=0.5, random_state=0).fit(X, y)
    before = model.predict_proba(X)
    with pytest.raises(ValueError):
        model.fit(X, np.where(np.arange(80) == 3, np.nan, y.astype(float)))
    with pytest.raises(ValueError):
        model.fit(
            X.rename(columns=str.upper), np.array(["a", "b"] * 40), sample_weight=-np.ones(80)
        )
    np.testing.assert_array_equal(model.predict_proba(X), before)
    assert list(model.classes_) == [0, 1] and list(model.feature_names_in_) == list(X.columns)


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_sample_weight_reaches_the_booster(booster):
    import lightgbm as lgb
    import xgboost as xgb

    from llmboost.boosters import BOOSTERS

    X, y = _table(120)
    w = np.random.default_rng(0).uniform(0.1, 3.0, len(y))
    model = PriorBoostClassifier(booster=booster, scale=0, random_state=0).fit(X, y, w)
    cls = xgb.XGBClassifier if booster == "xgboost" else lgb.LGBMClassifier
    plain = cls(**{**BOOSTERS[booster].defaults, "random_state": 0}).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(model.predict_proba(X), plain.predict_proba(X), atol=1e-6)
    unweighted = PriorBoostClassifier(booster=booster, scale=0, random_state=0).fit(X, y)
    assert np.abs(unweighted.predict_proba(X) - model.predict_proba(X)).max() > 1e-3


def test_sample_weight_reaches_a_sklearn_prior_and_the_search():
    X, y = _table(150)
    w = np.where(np.arange(150) % 3 == 0, 5.0, 1.0)
    prior = SklearnPrior(LogisticRegression(), preprocess=True)
    model = PriorBoostClassifier(prior=prior, scale="prior").fit(X, y, sample_weight=w)
    reference = SklearnPrior(LogisticRegression(), preprocess=True).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(model.predict_proba(X), np.exp(reference.logits(X)), atol=1e-9)
    a = PriorBoostClassifier(random_state=0).fit(X, y, sample_weight=w)
    b = PriorBoostClassifier(random_state=0).fit(X, y)
    assert not np.array_equal(a.cv_results_["mean_test_score"], b.cv_results_["mean_test_score"])
    with pytest.raises(ValueError, match=r"sample_weight must be finite and >= 0 \(rows \[2\]\)"):
        PriorBoostClassifier().fit(X, y, sample_weight=np.where(np.arange(150) == 2, -1.0, 1.0))
    with pytest.raises(ValueError, match=r"sample_weight has shape \(3,\)"):
        PriorBoostClassifier().fit(X, y, sample_weight=[1, 2, 3])


def test_a_scorer_without_weights_warns_once_per_fit():
    # neg_max_error scored every weighted fold unweighted, silently
    X, y = _table(60)
    y = X["a"].to_numpy() + y
    w = np.linspace(0.5, 2.0, 60)
    kw = {"booster_params": {"n_estimators": 5}, "cv": 3, "scale": [0, 0.5, 1.0, "prior"]}
    with pytest.warns(UserWarning) as warned:
        PriorBoostRegressor(scoring="neg_max_error", **kw).fit(X, y, sample_weight=w)
    said = [str(w.message) for w in warned if "sample_weight" in str(w.message)]
    assert {w.filename for w in warned if "sample_weight" in str(w.message)} == {__file__}
    assert said == [
        "scoring='neg_max_error': its metric max_error takes no sample_weight, so the search "
        "scores every fold unweighted while the trees train on the weights. Use scoring=None "
        "(the weighted per-row loss) or a scorer whose metric takes sample_weight."
    ]


@pytest.mark.parametrize("scoring", ["neg_log_loss", "roc_auc"])
def test_a_classification_scorer_on_a_regressor_is_named(scoring):
    # AttributeError: "_Regressed has none of the following attributes: predict_proba."
    X, y = _table(60)
    model = PriorBoostRegressor(scoring=scoring, booster_params={"n_estimators": 5}, cv=3)
    with pytest.raises(ValueError, match=rf"scoring='{scoring}' asks for class probabilities "
                       r"or decision values, which a regressor does not give"):  # fmt: skip
        model.fit(X, X["a"].to_numpy() + y)


def test_sample_weight_is_routed_through_pipelines_and_cross_validation():
    import sklearn
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, y = _table(90)
    w = np.linspace(0.5, 2.0, 90)
    with sklearn.config_context(enable_metadata_routing=True):
        model = PriorBoostClassifier(scale=0, random_state=0)
        model.set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
        pipe = make_pipeline(FunctionTransformer(), model)
        scores = cross_val_score(pipe, X, y, cv=3, params={"sample_weight": w})
    assert scores.shape == (3,) and (scores > 0.5).all()


def test_a_splitter_and_its_splits_give_the_same_fit():
    from sklearn.model_selection import KFold

    X, y = _table(n=120)
    splitter = KFold(3, shuffle=True, random_state=1)
    by_splitter = PriorBoostClassifier(cv=splitter, random_state=0).fit(X, y)
    by_pairs = PriorBoostClassifier(cv=list(splitter.split(X, y)), random_state=0).fit(X, y)
    np.testing.assert_array_equal(by_splitter.predict_proba(X), by_pairs.predict_proba(X))
    by_number = PriorBoostClassifier(cv=3, random_state=0).fit(X, y)
    assert by_number.cv_results_["params"] == by_splitter.cv_results_["params"]


def test_splits_given_as_boolean_masks_are_their_rows():
    # masks were cast to 0 / 1 and refused as "rows [0, 1] are in both its train and test"
    from sklearn.model_selection import KFold

    X, y = _table(n=90)
    pairs = list(KFold(3, shuffle=True, random_state=1).split(X, y))
    masks = [(np.isin(np.arange(90), tr), np.isin(np.arange(90), te)) for tr, te in pairs]
    by_pairs = PriorBoostClassifier(cv=pairs, random_state=0).fit(X, y)
    by_masks = PriorBoostClassifier(cv=masks, random_state=0).fit(X, y)
    np.testing.assert_array_equal(by_masks.predict_proba(X), by_pairs.predict_proba(X))


def test_an_iterator_of_splits_used_up_by_a_fit_says_so():
    from sklearn.model_selection import KFold

    X, y = _table(n=60)
    model = PriorBoostClassifier(cv=KFold(3).split(X), scale=[0, 1], random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"used up by one fit; pass list\(...\) of them"):
        model.fit(X, y)


def test_a_splitter_that_cannot_split_the_target_is_named():
    # scikit-learn's "Supported target types are: ('binary', 'multiclass')" named no cv
    from sklearn.model_selection import StratifiedKFold

    X, y = _table(n=60)
    model = PriorBoostRegressor(cv=StratifiedKFold(3), scale=[0, 1])
    message = r"cv=StratifiedKFold.* could not split the rows \(a stratified splitter needs "
    with pytest.raises(ValueError, match=message + r"classes: use KFold\): Supported target"):
        model.fit(X, y.astype(float) + np.arange(60) / 60)


def test_a_splitter_with_too_many_splits_is_not_told_to_use_kfold():
    # a regressor's KFold(100) on 60 rows was told "(a stratified splitter needs classes:
    # use KFold)", advice for StratifiedKFold only
    from sklearn.model_selection import KFold

    X, y = _table(n=60)
    model = PriorBoostRegressor(cv=KFold(100), scale=[0, 1])
    message = r"could not split the rows: Cannot have number of splits n_splits=100 greater"
    with pytest.raises(ValueError, match=message):
        model.fit(X, y.astype(float))


def test_time_series_splits_leave_early_rows_to_training_only():
    from sklearn.model_selection import TimeSeriesSplit

    from llmboost.fusion_inputs import given_folds, prior_folds

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"t": np.arange(90.0), "a": rng.normal(size=90)})
    y = X["a"] * 2 + 0.1 * X["t"] + rng.normal(scale=0.1, size=90)
    folds = given_folds(TimeSeriesSplit(3), X, y.to_numpy(), "regression")
    assert [len(test) for _, test in folds] == [22, 22, 22]
    extra = prior_folds(folds, 90)[-1]  # the never-tested early rows, scored honestly
    np.testing.assert_array_equal(extra[1], np.arange(24))
    assert np.intersect1d(extra[0], extra[1]).size == 0
    model = PriorBoostRegressor(cv=TimeSeriesSplit(3), random_state=0).fit(X, y)
    assert model.score(X, y) > 0.9


@pytest.mark.parametrize(
    ("cv", "message"),
    [
        ("shuffle", r"is in the test part of \d splits; the search pools"),
        ([(np.arange(10, 60), np.arange(0, 10)), (np.arange(5, 60), np.arange(0, 5))], "row 0"),
        ([(np.arange(0, 30), np.arange(25, 60))], "rows \\[25, 26, 27, 28, 29\\] are in both"),
        ([(np.arange(0, 30), np.arange(30, 60))], "has no row of class 1"),
        ([], "gave no \\(train, test\\) split"),
        # one pair, not a list of pairs: "too many values to unpack (expected 2)"
        ((np.arange(0, 40), np.arange(40, 60)), r"cv split 0 is a ndarray of 40 items, not a"),
        ([(np.arange(40), np.arange(40, 60), np.arange(3))], r"split 0 is a tuple of 3 items"),
        # 0.5 and 39.5 were cut to rows 0 and 39: "rows [39] are in both its train and ..."
        (
            [(np.arange(40) + 0.5, np.arange(40, 60) - 0.5)],
            r"split 0: its train part holds 0.5, which is not",
        ),
        ([(np.arange(40), [40, 41, np.inf])], r"split 0: its test part holds inf, which is not"),
        # a row as a number (a hand-made leave-one-out): "TypeError: len() of unsized object"
        ([(np.arange(40), 45)], r"split 0: its test part is 45, not a 1-D list of row posit"),
        ([(None, np.arange(40, 60))], r"split 0: its train part is None, not a 1-D list of"),
        ([(np.arange(40), [[40, 41], [42, 43]])], r"its test part has shape \(2, 2\), not a 1-D"),
        # row 40 was scored twice in the fold's score and in the selection, without a word
        ([(np.arange(40), [*range(40, 60), 40])], r"split 0: row 40 is 2 times in its test part"),
        # "train and test must be non-empty row indices below 60", naming neither part nor row
        ([(np.arange(40), [-1, *range(40, 59)])], r"split 0: its test part holds row -1; give"),
        ([(np.arange(5, 61), np.arange(5))], r"split 0: its train part holds row 60; give non"),
        ([(np.arange(60), [])], r"split 0: its test part is empty; give non-empty row positions"),
        # "cv: a boolean mask of 59 entries for 60 rows.", which split and part not said
        (
            [(np.arange(40), np.arange(40, 60))] + [(np.arange(59) < 30, np.arange(59) >= 30)],
            r"cv split 1: its train part is a boolean mask of 59 entries for 60 rows; give one",
        ),
        ("text", "cv must be"),
        ("groups", r"splits by groups, which fit does not take; pass its splits: cv=list\(Group"),
        # the class: "TypeError: super(type, obj): obj must be an instance or subtype of type"
        ("class", r"cv must be .* a splitter such as KFold\(5\) .* got <class 'sklearn\."),
    ],
)
def test_unusable_splits_are_refused_by_name(cv, message):
    from sklearn.model_selection import GroupKFold, ShuffleSplit

    X = pd.DataFrame({"a": np.arange(60.0)})
    y = (np.arange(60) >= 30).astype(int)
    cv = ShuffleSplit(4, test_size=0.5, random_state=0) if cv == "shuffle" else cv
    cv = GroupKFold(3) if cv == "groups" else cv  # scikit-learn: "The 'groups' parameter ..."
    cv = GroupKFold if cv == "class" else cv
    with pytest.raises(ValueError, match=message):
        PriorBoostClassifier(cv=cv).fit(X, y)


def test_dask_estimators_take_a_number_of_folds_only():
    from sklearn.model_selection import KFold

    from llmboost.dask import DaskPriorBoostClassifier

    with pytest.raises(ValueError, match="cv must be"):
        DaskPriorBoostClassifier(cv=KFold(3))._check_params()


def test_tuning_keeps_the_booster_params_the_user_set():
    pytest.importorskip("optuna")
    X, y = _table(n=80)
    fixed = {"n_estimators": 20, "max_depth": 2}
    kw = {"booster_params": fixed, "n_trials": 3, "random_state": 0, "scale": [0.3, 1.0]}
    model = PriorBoostClassifier(**kw).fit(X, y)
    tried = model.cv_results_["params"]
    # what the user fixed is not searched: only the scale and the tuned parameters show
    assert len(tried) == 3 and all({"scale", "learning_rate"} <= set(p) for p in tried)
    assert not any({"n_estimators", "max_depth"} & set(p) for p in tried)
    assert "param_max_depth" not in model.cv_results_ and "param_subsample" in model.cv_results_
    assert model.best_params_["n_estimators"] == 20 and model.best_params_["max_depth"] == 2


def _spied_studies(monkeypatch) -> list:
    """The optuna studies fit creates, kept to read their trials."""
    optuna = pytest.importorskip("optuna")
    studies = []

    def create_study(**kw):
        studies.append(optuna.study.create_study(**kw))
        return studies[-1]

    monkeypatch.setattr(optuna, "create_study", create_study)
    return studies


@pytest.mark.parametrize(
    ("library", "fixed", "untuned"),
    [
        ("xgboost", {"n_estimators": 20, "max_depth": 2}, {"n_estimators", "max_depth"}),
        ("xgboost", {"n_estimators": 20, "eta": 0.05}, {"n_estimators", "learning_rate"}),
        (
            "lightgbm",
            {"num_iterations": 20, "bagging_fraction": 0.8},
            {"n_estimators", "subsample"},
        ),
    ],
)
def test_tuning_proposes_no_value_for_what_the_user_set(monkeypatch, library, fixed, untuned):
    # every trial still proposed n_estimators, max_depth, ...: dropped and shown nowhere,
    # but TPE modelled a dimension that did nothing
    studies = _spied_studies(monkeypatch)
    X, y = _table(n=80)
    kw = {"n_trials": 3, "cv": 3, "random_state": 0, "scale": [0.3, 1.0]}
    model = PriorBoostClassifier(booster=library, booster_params=fixed, **kw).fit(X, y)
    proposed = [set(t.params) for t in studies[0].trials]
    assert len(proposed) == 3 and not any(untuned & p for p in proposed)
    assert {"scale", "reg_lambda"} <= proposed[0]
    assert [set(p) for p in model.cv_results_["params"]] == proposed
    assert model.best_params_.items() >= fixed.items()  # as given: eta stays eta
    assert not (untuned - set(fixed)) & set(model.best_params_)


@pytest.mark.parametrize(
    ("library", "name", "top"),
    [("lightgbm", "min_child_samples", 8), ("xgboost", "min_child_weight", 2.0)],
)
def test_tuning_asks_no_leaf_for_more_than_the_training_folds_hold(monkeypatch, library, name, top):
    # min_child_samples reached 50 and min_child_weight 10 on 32 training rows, where no
    # split can leave two such leaves: 2 (LightGBM) and 5 (XGBoost) of 30 trials grew no tree
    import llmboost.scale_search as search

    studies, fits = _spied_studies(monkeypatch), []
    make = search.make_booster
    monkeypatch.setattr(search, "make_booster", lambda *a: fits.append(make(*a)) or fits[-1])
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=list("abc"))
    y = (X["a"] + 0.5 * rng.normal(size=40) > 0).astype(int)
    kw = {"n_trials": 30, "cv": 5, "scale": [0.0], "random_state": 0}
    model = PriorBoostClassifier(booster=library, **kw).fit(X, y)
    # 32 training rows, half of them at subsample 0.5, half of that in each leaf (for
    # XGBoost's log loss times a hessian of at most 1/4)
    assert {t.distributions[name].high for t in studies[0].trials} == {top}
    assert max(p[name] for p in model.cv_results_["params"]) <= top

    def splits(fit):  # trees with more than one leaf
        if library == "lightgbm":
            return sum(t["num_leaves"] > 1 for t in fit.model_.booster_.dump_model()["tree_info"])
        return sum(not t.startswith("0:leaf") for t in fit.model_.get_booster().get_dump())

    assert len(fits) == 30 * 5 and min(splits(f) for f in fits) > 0  # every fold's fit


@pytest.mark.parametrize(("fixed", "top"), [({}, 16), ({"min_data_in_leaf": 10}, None)])
def test_tuning_lightgbm_leaves_no_more_than_the_training_rows_fill(monkeypatch, fixed, top):
    # num_leaves was tuned up to 64 on 32 training rows, where leaves of at least 2 rows
    # are 16 at most: 17 to 64 gave the same trees, optuna modelled them all the same
    studies = _spied_studies(monkeypatch)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=list("abc"))
    y = (X["a"] + 0.5 * rng.normal(size=40) > 0).astype(int)
    kw = {"n_trials": 3, "cv": 5, "scale": [0.0], "random_state": 0}
    fixed = {"n_estimators": 10, **fixed}
    PriorBoostClassifier(booster="lightgbm", booster_params=fixed, **kw).fit(X, y)
    tops = {t.distributions["num_leaves"].high if "num_leaves" in t.params else None
            for t in studies[0].trials}  # fmt: skip
    assert tops == {top}  # 32 // 10 is below the range's bottom (4): num_leaves not tuned


@pytest.mark.parametrize(
    ("library", "fixed"),
    [("lightgbm", {"max_depth": 2}), ("lightgbm", {"max_depth": 3}),
     ("lightgbm", {"subsample_freq": 0}), ("lightgbm", {"min_data_in_leaf": 10}),
     ("xgboost", {"subsample": 0.5})],
)  # fmt: skip
def test_tuning_reads_a_number_given_as_text_as_the_number(monkeypatch, library, fixed):
    # the trees read max_depth="2" as 2, but the search tuned num_leaves up to 64 (4 leaves
    # at most) and the row subsample with subsample_freq="0" (no bagging): optuna modelled
    # dimensions that did nothing; XGBoost's min_child_weight went past what half the rows hold
    X, y = _table(n=40)
    kw = {"n_trials": 2, "cv": 5, "scale": [0.0], "random_state": 0}
    spaces = []
    for given in (fixed, {k: str(v) for k, v in fixed.items()}):
        studies = _spied_studies(monkeypatch)
        params = {"n_estimators": 5, **given}
        PriorBoostClassifier(booster=library, booster_params=params, **kw).fit(X, y)
        spaces.append([t.distributions for t in studies[0].trials])
    assert spaces[1] == spaces[0]


def test_tuning_lists_only_what_the_trials_searched():
    # LightGBM's subsample_freq=1, the same in every trial, showed in cv_results_ as a
    # tuned parameter (param_subsample_freq, all 1)
    pytest.importorskip("optuna")
    X, y = _table(n=80)
    kw = {"booster_params": {"n_estimators": 10}, "cv": 3, "scale": [0.0], "random_state": 0}
    model = PriorBoostClassifier(booster="lightgbm", n_trials=2, **kw).fit(X, y)
    assert "param_subsample_freq" not in model.cv_results_
    assert {"scale", "subsample", "num_leaves"} <= set(model.cv_results_["params"][0])
    assert model.best_params_["subsample_freq"] == 1  # what the trees were trained with


@pytest.mark.parametrize("key", ["data_sample_strategy", "boosting_type"])
def test_tuning_lightgbm_goss_leaves_the_row_subsample_alone(key):
    # every trial tuned subsample with subsample_freq=1, which GOSS refuses: "LightGBM could
    # not fit: Cannot use bagging in GOSS", and the fit failed
    pytest.importorskip("optuna")
    X, y = _table(n=80)
    fixed = {"n_estimators": 20, key: "goss"}
    model = PriorBoostClassifier(booster="lightgbm", booster_params=fixed, n_trials=3, cv=3,
                                 random_state=0).fit(X, y)  # fmt: skip
    tried = [p for p in model.cv_results_["params"] if p["scale"] != "prior"]
    assert len(tried) == 3 and not any("subsample" in p for p in tried)


@pytest.mark.parametrize(
    ("library", "fixed", "tuned"),
    [
        ("xgboost", {"lambda": 1e6}, ["reg_lambda"]),
        ("lightgbm", {"lambda_l2": 1e6}, ["reg_lambda"]),
        ("lightgbm", {"bagging_fraction": 0.5, "bagging_freq": 0}, ["subsample", "subsample_freq"]),
        ("lightgbm", {"min_data_in_leaf": 30}, ["min_child_samples"]),
    ],
)
def test_tuning_keeps_a_parameter_the_user_set_under_another_name(library, fixed, tuned):
    # XGBoost read the trial's reg_lambda in place of the user's lambda (trees as if
    # unregularised); LightGBM kept the user's value, but cv_results_ and best_params_
    # showed the trial's value it had not used
    pytest.importorskip("optuna")
    X, y = _table(n=80)
    kw = {"n_trials": 2, "cv": 3, "random_state": 0, "scale": [0.0]}
    fixed = {"n_estimators": 20, **fixed}
    model = PriorBoostClassifier(booster=library, booster_params=fixed, **kw).fit(X, y)
    tried = model.cv_results_["params"]
    assert len(tried) == 2 and not any(set(tuned) & set(p) for p in tried)
    assert not set(tuned) & set(model.best_params_)
    assert model.best_params_.items() >= fixed.items()
    if library == "xgboost":  # lambda=1e6 leaves the trees next to nothing
        scores = model.cv_results_["mean_test_score"]
        assert np.allclose(scores, np.log(0.5), atol=1e-3)  # log loss of a coin: 0.693


@pytest.mark.parametrize(("depth", "top"), [(2, None), (3, 8), (7, 64)])
def test_tuning_lightgbm_leaves_no_more_than_a_tree_of_the_fixed_depth_has(depth, top):
    # with max_depth=2 trials tuned num_leaves from 4 to 64, and cv_results_ and
    # best_params_ showed e.g. 40 leaves for trees of at most 4, the same model
    pytest.importorskip("optuna")
    X, y = _table(n=80)
    fixed = {"n_estimators": 10, "max_depth": depth}
    model = PriorBoostClassifier(booster="lightgbm", booster_params=fixed, n_trials=8, cv=3,
                                 scale=[0.0], random_state=0).fit(X, y)  # fmt: skip
    leaves = [p.get("num_leaves") for p in model.cv_results_["params"]]
    if top is None:  # 2**2 is the range's bottom: not tuned, the depth bounds the leaves
        assert leaves == [None] * 8 and "num_leaves" not in model.best_params_
    else:
        assert 4 <= min(leaves) and max(leaves) <= top and len(set(leaves)) > 2


@pytest.mark.parametrize("key", ["subsample_freq", "bagging_freq"])
def test_tuning_lightgbm_without_bagging_leaves_the_row_subsample_alone(key):
    # with bagging off (a frequency of 0) LightGBM ignores subsample, which trials still
    # tuned and cv_results_ and best_params_ showed as the tuned model's
    pytest.importorskip("optuna")
    X, y = _table(n=80)
    fixed = {"n_estimators": 20, key: 0}
    model = PriorBoostClassifier(booster="lightgbm", booster_params=fixed, n_trials=2, cv=3,
                                 scale=[0.0], random_state=0).fit(X, y)  # fmt: skip
    assert not any("subsample" in p for p in model.cv_results_["params"])
    assert "subsample" not in model.best_params_ and model.best_params_[key] == 0


@pytest.mark.parametrize("fixed", [{"pos_bagging_fraction": 0.5}, {"neg_subsample": "0.8"}])
def test_tuning_lightgbm_with_bagging_by_class_leaves_the_row_subsample_alone(fixed):
    # LightGBM bags each class by its own fraction then and ignores subsample (the same
    # trees at 0.5 and 0.9), which trials still tuned and cv_results_ showed
    pytest.importorskip("optuna")
    X, y = _table(n=80)
    fixed = {"n_estimators": 20, **fixed}
    model = PriorBoostClassifier(booster="lightgbm", booster_params=fixed, n_trials=2, cv=3,
                                 scale=[0.0], random_state=0).fit(X, y)  # fmt: skip
    tried = model.cv_results_["params"]
    assert len(tried) == 2 and not any("subsample" in p for p in tried)
    assert "subsample" not in model.best_params_ and model.best_params_["subsample_freq"] == 1


def test_tuning_xgboost_gblinear_leaves_the_tree_parameters_alone():
    # trials tuned max_depth, min_child_weight and subsample, which the linear booster
    # ignores ("Parameters: { "max_depth", ... } are not used"), and cv_results_ and
    # best_params_ showed them as the tuned model's
    pytest.importorskip("optuna")
    X, y = _table(n=80)
    fixed = {"n_estimators": 20, "booster": "gblinear"}
    model = PriorBoostClassifier(booster_params=fixed, n_trials=2, cv=3, scale=[0.0],
                                 random_state=0).fit(X, y)  # fmt: skip
    trees = {"max_depth", "min_child_weight", "subsample"}
    assert not any(trees & set(p) for p in model.cv_results_["params"])
    assert not trees & set(model.best_params_) and "reg_lambda" in model.best_params_


def test_tuning_leaves_optuna_logging_as_the_user_set_it():
    # fit set optuna's verbosity to WARNING for good, so a study of the user's (around
    # the estimator, as in docs/automl.md) no longer logged its trials
    optuna = pytest.importorskip("optuna")
    X, y = _table(n=60)
    kw = {"booster_params": {"n_estimators": 5}, "n_trials": 1, "cv": 3, "scale": [0.0]}
    before = optuna.logging.get_verbosity()
    try:
        optuna.logging.set_verbosity(optuna.logging.INFO)
        PriorBoostClassifier(**kw).fit(X, y)
        assert optuna.logging.get_verbosity() == optuna.logging.INFO
        with pytest.raises(ValueError, match="max_cached_hist_node"):  # also when a trial fails
            bad = {"n_estimators": 5, "max_cached_hist_node": 0}
            PriorBoostClassifier(**{**kw, "booster_params": bad}).fit(X, y)
        assert optuna.logging.get_verbosity() == optuna.logging.INFO
    finally:
        optuna.logging.set_verbosity(before)


def test_a_failing_trial_raises_its_error_alone(capfd):
    # optuna printed "Trial 0 failed with parameters: ..." and the whole traceback before
    # the same error was raised, and went on with the next trial when there was one
    pytest.importorskip("optuna")
    X, y = _table(n=60)
    import xgboost as xgb

    class Fails(xgb.callback.TrainingCallback):  # an error only fitting the trees shows
        def after_iteration(self, model, epoch, evals_log):
            raise xgb.core.XGBoostError("a round failed")

    bad = {"n_estimators": 5, "callbacks": [Fails()]}
    model = PriorBoostClassifier(booster_params=bad, n_trials=3, cv=3, scale=[0.0])
    with pytest.raises(ValueError, match=r"XGBoost could not fit: a round failed"):
        model.fit(X, y)
    err = capfd.readouterr().err
    assert "Trial 0 failed" not in err and "Traceback" not in err


def test_a_ctrl_c_during_a_trial_stops_the_study_without_optunas_traceback(capfd):
    # optuna printed "Trial 1 failed with parameters: ... KeyboardInterrupt()" with the
    # trial's traceback, and "Trial 1 failed with value None", before the interrupt
    pytest.importorskip("optuna")
    from llmboost._study import run_study

    calls = []

    def objective(trial):
        calls.append(trial.suggest_float("x", 0.0, 1.0))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return calls[-1]

    with pytest.raises(KeyboardInterrupt):
        run_study(objective, 5, 0)
    err = capfd.readouterr().err
    assert len(calls) == 2 and "failed" not in err and "Traceback" not in err


def test_a_trial_scored_nan_is_the_worst_not_a_failure(capfd):
    # optuna printed "Trial 0 failed with value nan." for every trial a scorer could not
    # score, though the fit went on and succeeded
    pytest.importorskip("optuna")
    X, y = _table(n=60)

    calls = []

    def unscorable(estimator, X, y):  # NaN for the 12 trials' 3 folds, not the prior alone
        calls.append(1)
        return float("nan") if len(calls) <= 36 else 0.5

    kw = {"booster_params": {"n_estimators": 5}, "cv": 3, "random_state": 0}
    model = PriorBoostClassifier(scoring=unscorable, n_trials=12, scale=[0.3, "prior"], **kw)
    model.fit(X, y)  # past TPE's 10 random trials: its model takes the scores too
    assert "failed" not in capfd.readouterr().err
    assert np.isnan(model.cv_results_["mean_test_score"][:-1]).all()
    assert [(m.n_rounds, m.booster) for m in model.members_] == [(0, None)]


@pytest.mark.parametrize("n_trials", [0, 3])
def test_a_tie_in_a_custom_score_goes_to_the_prior_alone(n_trials):
    if n_trials:
        pytest.importorskip("optuna")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)  # separable: the prior and trees both rank perfectly
    prior = SklearnPrior(LogisticRegression(C=100))
    kw = {"scoring": "roc_auc", "n_trials": n_trials, "cv": 3, "random_state": 0}
    model = PriorBoostClassifier(prior=prior, scale=[0.3, 1.0, "prior"], **kw).fit(X, y)
    mean = np.asarray(model.cv_results_["mean_test_score"])
    prior_alone = list(model.cv_results_["param_scale"]).index("prior")
    assert mean[prior_alone] == mean.max() == 1.0
    assert np.flatnonzero(mean == 1.0)[0] < prior_alone  # a candidate with trees came first
    assert [(m.n_rounds, m.booster) for m in model.members_] == [(0, None)]


@pytest.mark.parametrize("n_trials", [0, 2])
def test_a_scorer_that_scores_no_candidate_is_an_error(n_trials):
    from sklearn.model_selection import KFold

    if n_trials:
        pytest.importorskip("optuna")
    X = pd.DataFrame({"a": np.linspace(1, -1, 60), "b": np.arange(60.0) % 7})
    y = (X["a"] > 0).to_numpy().astype(int)  # unshuffled KFold(3): folds 0 and 2 hold one class
    model = PriorBoostClassifier(scale=[0, "prior"], scoring="roc_auc", cv=KFold(3),
                                 n_trials=n_trials, random_state=0)  # fmt: skip
    # every candidate scored NaN and the prior alone was kept as if it had tied
    message = r"scoring='roc_auc' scored NaN on folds \[0, 2\] for every candidate \(the test"
    with pytest.warns(UserWarning, match="Only one class"):
        with pytest.raises(ValueError, match=message):
            model.fit(X, y)


def test_a_regression_scorer_that_scores_no_candidate_names_the_fold_s_single_value():
    from sklearn.model_selection import LeaveOneOut

    X, _ = _table(n=12)
    model = PriorBoostRegressor(scale=[0, "prior"], scoring="r2", cv=LeaveOneOut(),
                                booster_params={"n_estimators": 5})  # fmt: skip
    message = r"scoring='r2' scored NaN .* \(the test rows of fold 0 hold a single value of y\)"
    with pytest.warns(UserWarning, match="R\\^2 score is not well-defined"):
        with pytest.raises(ValueError, match=message):  # it said "a single class"
            model.fit(X, X["a"])


def _quantile_table(n, seed=0):
    """A target whose spread grows with column c: its 0.9 quantile is far from its mean."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=["a", "b", "c", "d"])
    y = 2 * X["a"] + X["b"] + (1 + np.abs(X["c"])) * rng.normal(size=n)
    return X, y.to_numpy()


@pytest.mark.parametrize(
    "library, params, loss",
    [
        ("xgboost", None, None),
        ("lightgbm", {"objective": "regression"}, None),
        ("xgboost", {"objective": "reg:squaredlogerror"}, ("squared_log_error", 0.0)),
        ("lightgbm", {"objective": "MAPE"}, ("mape", 0.0)),
        ("lightgbm", {"objective": "fair", "fair_c": 2.0}, ("fair", 2.0)),
        ("xgboost", {"objective": "reg:absoluteerror"}, ("absolute_error", 0.0)),
        ("lightgbm", {"application": "MAE"}, ("absolute_error", 0.0)),
        ("xgboost", {"objective": "reg:quantileerror", "quantile_alpha": "[0.25]"},
         ("quantile", 0.25)),
        ("lightgbm", {"objective": "quantile"}, ("quantile", 0.9)),  # LightGBM's default
        ("lightgbm", {"objective": "huber", "alpha": 2.0}, ("huber", 2.0)),
        ("xgboost", {"objective": "reg:pseudohubererror"}, ("pseudo_huber", 1.0)),
    ],
)  # fmt: skip
def test_a_regression_booster_is_scored_by_its_own_loss(library, params, loss):
    from llmboost._search_loss import booster_loss

    assert booster_loss(library, "regression", params) == loss
    assert booster_loss(library, "classification", None) is None


def _prior_fold_scores(X, y, params, library="xgboost"):
    """Fold scores of the prior alone (a column of X) and the fold rows, by grid_search."""
    from llmboost.scale_search import grid_search

    folds = make_folds(y, 3, "regression", 0)
    cv = CVScorer(X, y, y, None, X["a"].to_numpy() * 2.0, folds, task="regression",
                  booster=library, random_state=0)  # fmt: skip
    results, _ = grid_search(cv, ["prior"], params)
    return [results[f"split{i}_test_score"][0] for i in range(3)], folds, cv


def test_the_default_regression_search_still_scores_rmse_bit_for_bit():
    X, y = _quantile_table(90)
    scores, folds, cv = _prior_fold_scores(X, y, {"n_estimators": 5})
    assert cv.loss is None
    m = X["a"].to_numpy() * 2.0
    assert scores == [-float(np.sqrt(np.mean((m[t] - y[t]) ** 2))) for _, t in folds]


@pytest.mark.parametrize(
    "params, metric",
    [
        ({"objective": "reg:absoluteerror"}, lambda r: np.abs(r)),
        ({"objective": "reg:quantileerror", "quantile_alpha": 0.9},
         lambda r: np.maximum(0.9 * r, -0.1 * r)),
        ({"objective": "reg:pseudohubererror", "huber_slope": 0.5},
         lambda r: 0.25 * (np.sqrt(1 + (r / 0.5) ** 2) - 1)),
    ],
)  # fmt: skip
def test_fold_scores_are_the_negative_mean_of_the_boosters_loss(params, metric):
    X, y = _quantile_table(90)
    scores, folds, _ = _prior_fold_scores(X, y, {"n_estimators": 5, **params})
    m = X["a"].to_numpy() * 2.0
    # the same sums in another order: equal to a few ulps
    np.testing.assert_allclose(scores, [-np.mean(metric(y[t] - m[t])) for _, t in folds],
                               rtol=1e-12)  # fmt: skip


def test_lightgbm_huber_fold_scores_are_its_mean_huber_loss():
    X, y = _quantile_table(90)
    params = {"n_estimators": 5, "objective": "huber", "alpha": 1.5}
    scores, folds, _ = _prior_fold_scores(X, y, params, "lightgbm")
    r = y - X["a"].to_numpy() * 2.0
    huber = np.where(np.abs(r) <= 1.5, 0.5 * r**2, 1.5 * (np.abs(r) - 0.75))
    np.testing.assert_allclose(scores, [-huber[t].mean() for _, t in folds], rtol=1e-12)


@pytest.mark.parametrize(
    "library, params, metric",
    [
        ("lightgbm", {"objective": "mape"}, lambda y, m: np.abs(y - m) / np.maximum(1, y)),
        ("lightgbm", {"objective": "fair", "fair_c": 2.0},
         lambda y, m: 4 * (np.abs(y - m) / 2 - np.log1p(np.abs(y - m) / 2))),
        # XGBoost reads a prediction at or below -1 as -1 + 1e-6
        ("xgboost", {"objective": "reg:squaredlogerror"},
         lambda y, m: (np.log1p(np.maximum(m, -1 + 1e-6)) - np.log1p(y)) ** 2),
    ],
)  # fmt: skip
def test_fold_scores_of_mape_fair_and_squared_log_error(library, params, metric):
    X, _ = _quantile_table(90)
    y = np.exp(1 + X["a"].to_numpy() + X["b"].to_numpy())  # positive, over two decades
    scores, folds, _ = _prior_fold_scores(X, y, {"n_estimators": 5, **params}, library)
    m = X["a"].to_numpy() * 2.0  # below -1 on some rows
    # the same sums in another order: equal to a few ulps
    np.testing.assert_allclose(scores, [-np.mean(metric(y[t], m[t])) for _, t in folds],
                               rtol=1e-12)  # fmt: skip


def test_a_mape_booster_is_chosen_by_its_relative_error():
    # scored by squared error, the search kept the ridge prior alone: held-out MAPE 0.99
    X, _ = _quantile_table(1200)
    rng = np.random.default_rng(1)
    y = np.exp(1 + X["a"] + 0.5 * X["b"] + 0.5 * rng.normal(size=1200)).to_numpy()
    model = PriorBoostRegressor(booster="lightgbm", booster_params={"objective": "mape"},
                                random_state=0).fit(X[:400], y[:400])  # fmt: skip
    error = np.abs(y[400:] - model.predict(X[400:])) / np.maximum(1, y[400:])
    assert np.mean(error) < 0.6


@pytest.mark.parametrize("library, params", [
    ("xgboost", {"objective": "reg:quantileerror", "quantile_alpha": 0.9}),
    ("lightgbm", {"objective": "quantile", "alpha": 0.9}),
])  # fmt: skip
def test_a_quantile_booster_keeps_trees_that_cover_its_quantile(library, params):
    # scored by squared error, the search kept the ridge prior (the mean) alone:
    # 0.52 of held-out rows at or below the prediction instead of about 0.9
    X, y = _quantile_table(1200)
    model = PriorBoostRegressor(booster=library, booster_params=params, random_state=0)
    model.fit(X[:400], y[:400])
    assert any(m.n_rounds > 0 for m in model.members_)
    assert np.mean(y[400:] <= model.predict(X[400:])) > 0.8


def test_a_given_scorer_still_wins_over_the_boosters_loss():
    from llmboost.scale_search import grid_search

    X, y = _quantile_table(90)
    folds = make_folds(y, 3, "regression", 0)
    m = X["a"].to_numpy() * 2.0
    cv = CVScorer(X, y, y, None, m, folds, task="regression", booster="xgboost",
                  scoring="neg_mean_absolute_error", random_state=0)  # fmt: skip
    params = {"n_estimators": 5, "objective": "reg:quantileerror", "quantile_alpha": 0.9}
    results, members = grid_search(cv, ["prior", 0.5], params)
    prior = results["params"].index({"scale": "prior", "n_rounds": 0})
    mae = [-np.mean(np.abs(y[t] - m[t])) for _, t in folds]
    # the scorer's float32-free float64 sums, in its own order
    np.testing.assert_allclose([results[f"split{i}_test_score"][prior] for i in range(3)],
                               mae, rtol=1e-12)  # fmt: skip
    assert len(members) == 1 and members[0][2] == 1.0  # the best candidate alone


@pytest.mark.parametrize("settings", [{"scale": 0.5}, {"scale": "auto", "cv": 3},
                                      {"scale": [0.0, 1.0], "cv": 3, "n_trials": 1}])  # fmt: skip
def test_a_diverged_search_or_refit_names_the_learning_rate_as_given(settings):
    # booster_params eta=1000 diverged with "lower learning_rate (1000)", a key never given:
    # the estimators renamed eta before building the search's and the refit's boosters
    from sklearn.linear_model import Ridge

    X, _ = _table()
    y = 2 * X["a"].to_numpy() + X["b"].to_numpy()
    model = PriorBoostRegressor(Ridge(), booster_params={"eta": 1000}, **settings)
    with pytest.raises(ValueError, match=r"the boosting diverged; lower eta \(1000\)\.$"):
        model.fit(X, y)


@pytest.mark.parametrize("objective", ["reg:absoluteerror", "reg:quantileerror"])
def test_xgboost_losses_of_the_residual_leave_out_or_refuse_a_scale_that_overflows(objective):
    # XGBoost's absolute and quantile losses failed the search and the refit with "Check
    # failed: h_row_set.empty()" on a starting margin past float32, where squared error
    # leaves the scale out of the search and refuses it fixed, naming it
    from sklearn.linear_model import Ridge

    X, _ = _table(n=90)
    y = 2 * X["a"].to_numpy() + X["b"].to_numpy()
    params = {"objective": objective, "n_estimators": 10}
    params.update({"quantile_alpha": 0.5} if objective == "reg:quantileerror" else {})
    kwargs = dict(cv=3, random_state=0, booster_params=params)
    model = PriorBoostRegressor(Ridge(), scale=[1e39, 1.0], **kwargs).fit(X, y)
    results = model.cv_results_
    huge = results["param_scale"] == 1e39
    assert np.all(results["mean_test_score"][huge] == -np.inf)
    assert np.isfinite(results["mean_test_score"][~huge]).all()
    assert np.all(results["ensemble_weight"][huge] == 0)
    assert model.scale_ == 1.0 and np.isfinite(model.predict(X)).all()
    with pytest.raises(ValueError, match=r"scale=1e\+300 times .* overflows the trees'"):
        PriorBoostRegressor(Ridge(), scale=1e300, **kwargs).fit(X, y)


@pytest.mark.parametrize("n_classes, objective", [(2, None), (3, None), (0, None),
                                                  (0, "reg:pseudohubererror")])  # fmt: skip
def test_a_scale_that_overflows_scores_minus_infinity_for_every_task(n_classes, objective):
    # scale=[1e300, 1.0] scored NaN for three classes (XGBoost's infinite margins made
    # the log-sum-exp inf - inf) and for the pseudo-Huber loss, -inf for binary and
    # squared error; the finite candidates' scores are those of the rows' losses
    params = {"n_estimators": 10, **({"objective": objective} if objective else {})}
    model = _fit_with_an_overflowing_scale(n_classes, booster_params=params)
    results = model.cv_results_
    huge = results["param_scale"] == 1e300
    for key in ("mean_test_score", "split0_test_score", "split2_test_score"):
        assert np.all(results[key][huge] == -np.inf), key
    assert np.isfinite(results["mean_test_score"][~huge]).all()
    assert np.all(results["rank_test_score"][huge] > results["rank_test_score"][~huge].max())
    assert np.all(results["ensemble_weight"][huge] == 0)


HUGE = r"1.15e\+602 \(about 603 digits\)"  # 2**2000 by its size


@pytest.mark.parametrize("scale, shown, why", [
    ([0, 2**2000], r"\[0, 114813069527425452423\d+\.\.\.", rf"Its entry {HUGE} is beyond the"),
    (2**2000, HUGE, "It is beyond the range of floats"),
    ([0.5] * 30 + [-1.0], r"\[0.5, 0.5, [0-9., ]+\.\.\.", "Its entry -1.0 is not one"),
    (np.array([0, 2**2000], dtype=object), r"array\(\[0, 11481\d+\.\.\.", "Its entry 1.15e"),
], ids=["huge-entry", "huge", "long-list", "array"])  # fmt: skip
def test_an_invalid_scale_is_shown_in_bounded_text(scale, shown, why):
    # scale=[0, 2**2000] printed the whole 603-digit integer twice (a 1,342-character
    # message) without saying what was wrong with a number >= 0
    X, y = _table(n=40)
    with pytest.raises(ValueError) as error:
        PriorBoostClassifier(LogisticRegression(), scale=scale).fit(X, y)
    text = str(error.value)
    assert re.match(rf"scale={shown} is invalid: use 'auto', 'prior', a number >= 0", text), text
    assert re.search(why, text) and len(text) < 320, text


@pytest.mark.parametrize("scale, told", [
    ([0, "-1"], "Its entry '-1' is not one."),
    ([0, "1e999"], "Its entry '1e999' is not one."),
    (np.array(["prior", "-0.5"]), "Its entry '-0.5' is not one."),
    ([0, "0.5"], "Its entry '0.5' is text: give the number, 0.5."),
])  # fmt: skip
def test_a_scale_given_as_text_is_advised_only_a_valid_number(scale, told):
    # scale=[0, '-1'] was told "give the number, -1.0" and [0, '1e999'] "give the number,
    # inf", both refused in turn; np.array(['prior', '-0.5']) was told to give
    # scale=['prior', -0.5]
    X, y = _table(n=40)
    with pytest.raises(ValueError) as error:
        PriorBoostClassifier(LogisticRegression(), scale=scale).fit(X, y)
    assert str(error.value).endswith(told), str(error.value)


@pytest.mark.parametrize("weight, shown", [(1e300, r"1e\+300"), (1e-320, "1e-320"),
                                           (2**2000, HUGE)])  # fmt: skip
def test_a_class_weight_beyond_float32_is_refused(weight, shown):
    # LightGBM stores weights as float32: class_weight={0: 1e300} became inf (NumPy's
    # "overflow encountered in cast", then probabilities fitted to infinite weights) and
    # {0: 0, 1: 1e-320} became 0, so no row trained, without a word
    X, y = _table(n=60)
    params = {"n_estimators": 5, "class_weight": {0: 0.0 if weight < 1 else 1.0, 1: weight}}
    model = PriorBoostClassifier(LogisticRegression(), booster="lightgbm", scale=[1.0], cv=3,
                                 booster_params=params)  # fmt: skip
    with pytest.raises(ValueError, match=rf"class_weight gives 1 the weight {shown}: LightGBM "
                       r"stores weights as float32; give each class 0 or a number from "
                       r"1\.18e-38 to 3\.4e\+38"):  # fmt: skip
        model.fit(X, y)


@pytest.mark.parametrize("rounds, shown", [
    (2**2000, HUGE), (10**50, "1" + "0" * 50), ("5" * 90, r"'5{76}\.\.\."),
])  # fmt: skip
def test_a_number_of_rounds_out_of_range_is_shown_as_given(rounds, shown):
    # the value was cut at 40 characters without a mark: 2**2000 and 10**50 read as other
    # 40-digit numbers, text lost its closing quote
    X, y = _table(n=40)
    model = PriorBoostClassifier(LogisticRegression(), booster_params={"n_estimators": rounds})
    with pytest.raises(ValueError, match=rf"booster_params n_estimators={shown}: the trees need"):
        model.fit(X, y)


@pytest.mark.parametrize("scale, why", [
    ([], "It is empty: give at least one scale."),
    (np.array([]), "It is empty: give at least one scale."),
    (pd.Series([], dtype=float), "It is empty: give at least one scale."),
    (np.array([[0.5, 1.0]]), "It has 2 dimensions: give a list or a 1-D array."),
])  # fmt: skip
def test_an_empty_or_two_dimensional_scale_is_told_why(scale, why):
    # the message listed what a scale may be and stopped, without a word on what was wrong
    X, y = _table(n=40)
    with pytest.raises(ValueError) as error:
        PriorBoostClassifier(LogisticRegression(), scale=scale).fit(X, y)
    assert str(error.value).endswith(f"such numbers and 'prior'. {why}"), str(error.value)


def test_a_class_weight_naming_no_label_is_told_in_bounded_text():
    # with 200 classes the message listed all 200 labels, and the unknown key whole
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(400, 2)), columns=["a", "b"])
    y = np.arange(400) % 200
    params = {"class_weight": {"x" * 500: 2.0}}
    model = PriorBoostClassifier(LogisticRegression(), booster="lightgbm", booster_params=params)
    with pytest.raises(ValueError) as error:
        model.fit(X, y)
    text = str(error.value)
    assert text.startswith("booster_params class_weight names 'xxxxxxxxxxxx"), text
    assert text.endswith("key it by the labels [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ...] (200 in all).")
    assert len(text) < 250, text
