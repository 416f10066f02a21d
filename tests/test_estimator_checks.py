"""scikit-learn's estimator checks over every estimator and prior of the package.

Priors are checked as plain estimators (``fit``; they have no ``predict``). The Dask
estimators take Dask collections, which the checks do not generate; tests/test_dask.py
checks them against the local estimators instead.
"""

from estimator_checks import WEIGHTS_ARE_NOT_REPEATS
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from llmboost import PriorBoostClassifier, PriorBoostRegressor, SklearnPrior

FAST = {"n_estimators": 20}

ESTIMATORS = [
    PriorBoostClassifier(booster_params=FAST, cv=3, random_state=0),
    PriorBoostClassifier(
        prior=LogisticRegression(), booster="lightgbm", booster_params=FAST, scale=0.5, cv=3
    ),
    PriorBoostRegressor(booster_params=FAST, cv=3, random_state=0),
    PriorBoostRegressor(prior=Ridge(), booster="lightgbm", booster_params=FAST, scale=1.0, cv=3),
]

PRIORS = [SklearnPrior(LogisticRegression()), SklearnPrior(Ridge())]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda _: WEIGHTS_ARE_NOT_REPEATS)
def test_estimators(estimator, check):
    check(estimator)


@parametrize_with_checks(PRIORS)
def test_priors(estimator, check):
    check(estimator)
