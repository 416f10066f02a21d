"""Scikit-learn models as priors."""

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import StratifiedKFold

from llmboost import SklearnPrior
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
