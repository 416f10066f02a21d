"""scikit-learn's estimator checks over every estimator of the package."""

from estimator_checks import WEIGHTS_ARE_NOT_REPEATS
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from llmboost import PriorBoostClassifier, PriorBoostRegressor

FAST = {"n_estimators": 20}

ESTIMATORS = [
    PriorBoostClassifier(booster_params=FAST, cv=3, random_state=0),
    PriorBoostClassifier(
        prior=LogisticRegression(), booster="lightgbm", booster_params=FAST, scale=0.5, cv=3
    ),
    PriorBoostRegressor(booster_params=FAST, cv=3, random_state=0),
    PriorBoostRegressor(prior=Ridge(), booster="lightgbm", booster_params=FAST, scale=1.0, cv=3),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda _: WEIGHTS_ARE_NOT_REPEATS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
