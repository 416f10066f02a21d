"""Gradient-boosted trees that start from what a pretrained transformer knows about a table."""

from .estimators import PriorBoostClassifier, PriorBoostRegressor
from .priors import Prior, SklearnPrior

__version__ = "0.1.0"

__all__ = ["Prior", "PriorBoostClassifier", "PriorBoostRegressor", "SklearnPrior"]
