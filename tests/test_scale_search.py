"""Scale search helpers: margins, probabilities, results table."""

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss

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


def test_results_table_ranks_by_mean():
    table = results_table([(0.0, None), (1.0, None), ("prior", None)], [[1, 1], [3, 3], [2, 2]])
    assert list(table["rank_test_score"]) == [3, 1, 2]
    assert list(table["split1_test_score"]) == [1, 3, 2]
    assert table["scale"] == [0.0, 1.0, "prior"]
