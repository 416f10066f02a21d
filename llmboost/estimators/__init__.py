"""The scikit-learn estimators."""

from .llmboost import LLMBoostClassifier
from .pfnboost import PFNBoostClassifier, PFNBoostRegressor
from .prior_boost import PriorBoostClassifier, PriorBoostRegressor

__all__ = [
    "LLMBoostClassifier",
    "PFNBoostClassifier",
    "PFNBoostRegressor",
    "PriorBoostClassifier",
    "PriorBoostRegressor",
]
