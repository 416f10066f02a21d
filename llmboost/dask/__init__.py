"""PriorBoost on a Dask cluster (extra ``llmboost[dask]``).

The estimators take dask DataFrames or arrays and a ``distributed`` client: the fusion
is chosen on a stratified sample with the local estimator, the prior scores every
partition on the workers, and the trees are trained on all rows with ``xgboost.dask``
or ``lightgbm.dask``. Importing this module needs no dask; fitting does.
"""

from ._estimators import (
    SAMPLE_SIZE,
    DaskLLMBoostClassifier,
    DaskPFNBoostClassifier,
    DaskPFNBoostRegressor,
    DaskPriorBoostClassifier,
    DaskPriorBoostRegressor,
)

__all__ = [
    "SAMPLE_SIZE",
    "DaskLLMBoostClassifier",
    "DaskPFNBoostClassifier",
    "DaskPFNBoostRegressor",
    "DaskPriorBoostClassifier",
    "DaskPriorBoostRegressor",
]
