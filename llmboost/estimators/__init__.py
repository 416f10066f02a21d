"""The scikit-learn estimators."""

from .pfnboost import PFNBoostClassifier, PFNBoostRegressor
from .prior_boost import PriorBoostClassifier, PriorBoostRegressor

__all__ = [
    "PFNBoostClassifier",
    "PFNBoostRegressor",
    "PriorBoostClassifier",
    "PriorBoostRegressor",
]
