"""The estimators as one more model in AutoML sweeps (the examples of docs/automl.md)."""

import numpy as np
import optuna
import pytest
from scipy.stats import loguniform
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_breast_cancer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline

from llmboost import PriorBoostClassifier

FAST = {"n_estimators": 20}


@pytest.fixture(scope="module")
def data():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X.iloc[:150], y.iloc[:150]


def test_grid_search(data):
    X, y = data
    grid = GridSearchCV(
        PriorBoostClassifier(scale=[0.0, 1.0], random_state=0),
        {"booster": ["xgboost", "lightgbm"], "booster_params": [{**FAST, "max_depth": 2}, FAST]},
        scoring="roc_auc",
        cv=3,
    ).fit(X, y)
    assert grid.best_params_["booster"] in ("xgboost", "lightgbm")
    assert len(grid.cv_results_["params"]) == 4 and grid.best_score_ > 0.9


def test_randomized_search(data):
    X, y = data
    search = RandomizedSearchCV(
        PriorBoostClassifier(booster_params=FAST, random_state=0),
        {"scale": loguniform(0.01, 10)},
        n_iter=3,
        scoring="neg_log_loss",
        cv=3,
        random_state=0,
    ).fit(X, y)
    scales = [p["scale"] for p in search.cv_results_["params"]]
    assert len(set(scales)) == 3 and all(0.01 <= s <= 10 for s in scales)
    assert search.best_estimator_.scale_ == search.best_params_["scale"]


def test_pipeline_with_preprocessing(data):
    X, y = data
    X = X.copy()
    X.iloc[::5, 0] = np.nan
    pipe = make_pipeline(
        make_column_transformer(
            (SimpleImputer(strategy="median"), ["mean radius", "mean texture"]),
            remainder="passthrough",
            verbose_feature_names_out=False,
        ),
        PriorBoostClassifier(booster_params=FAST, cv=3, random_state=0),
    ).set_output(transform="pandas")
    proba = pipe.fit(X, y).predict_proba(X)
    assert proba.shape == (len(X), 2)
    assert "mean radius" in pipe[-1].feature_names_in_


def test_optuna_study(data):
    X, y = data

    def objective(trial):
        model = PriorBoostClassifier(
            booster=trial.suggest_categorical("booster", ["xgboost", "lightgbm"]),
            booster_params=FAST,
            scale=trial.suggest_float("scale", 0.01, 10, log=True),
            cv=3,
            random_state=0,
        )
        return cross_val_score(model, X, y, cv=3, scoring="roc_auc").mean()

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0))
    study.optimize(objective, n_trials=3)
    assert len(study.trials) == 3 and study.best_value > 0.9
