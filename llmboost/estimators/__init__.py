"""The scikit-learn estimators."""

from ._llmboost import LLMBoostClassifier
from ._pfnboost import PFNBoostClassifier, PFNBoostRegressor
from ._prior_boost import PriorBoostClassifier, PriorBoostRegressor

__all__ = [
    "LLMBoostClassifier",
    "PFNBoostClassifier",
    "PFNBoostRegressor",
    "PriorBoostClassifier",
    "PriorBoostRegressor",
]
