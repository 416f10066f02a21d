"""Gradient-boosted trees that start from what a pretrained transformer knows about a table."""

__version__ = "0.1.0"  # before the imports: llmboost.persistence records it

from .estimators import (
    LLMBoostClassifier,
    PFNBoostClassifier,
    PFNBoostRegressor,
    PriorBoostClassifier,
    PriorBoostRegressor,
)
from .explain import explain
from .persistence import load, save
from .priors import BundledPFNPrior, LLMPrior, Prior, SklearnPrior, TabICLPrior, TabPFNPrior

__all__ = [
    "BundledPFNPrior",
    "LLMBoostClassifier",
    "LLMPrior",
    "PFNBoostClassifier",
    "PFNBoostRegressor",
    "Prior",
    "PriorBoostClassifier",
    "PriorBoostRegressor",
    "SklearnPrior",
    "TabICLPrior",
    "TabPFNPrior",
    "explain",
    "load",
    "save",
]
