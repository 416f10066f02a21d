"""The scikit-learn estimators."""

from .prior_boost import PriorBoostClassifier, PriorBoostRegressor

__all__ = ["PriorBoostClassifier", "PriorBoostRegressor"]
