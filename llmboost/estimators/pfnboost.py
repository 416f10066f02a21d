"""PFNBoost: gradient-boosted trees that start from TabPFN's logits."""

from __future__ import annotations

from ..priors.base import Prior
from .prior_boost import PriorBoostClassifier, PriorBoostRegressor


class PFNBoostClassifier(PriorBoostClassifier):
    """:class:`PriorBoostClassifier` whose default prior is TabPFN v2.

    ``prior=None`` means ``TabPFNPrior()``: TabPFN v2 from the local model cache,
    4 ensemble members, on CUDA when available. Set TabPFN's knobs on the prior,
    e.g. ``PFNBoostClassifier(prior=TabPFNPrior(model_path="...", n_estimators=8))``.
    Training rows get out-of-fold TabPFN log-probabilities (each fold's context is
    the other folds); new rows are scored with all training rows as context.
    See :class:`~llmboost.priors.tabpfn.TabPFNPrior` for the context cap and offline
    behaviour, and :class:`PriorBoostClassifier` for the parameters.
    """

    def _default_prior(self) -> Prior:
        from ..priors.tabpfn import TabPFNPrior

        return TabPFNPrior()


class PFNBoostRegressor(PriorBoostRegressor):
    """:class:`PriorBoostRegressor` whose default prior is TabPFN v2's predictive mean.

    ``prior=None`` means ``TabPFNPrior(task="regression")``; see
    :class:`PFNBoostClassifier`.
    """

    def _default_prior(self) -> Prior:
        from ..priors.tabpfn import TabPFNPrior

        return TabPFNPrior(task="regression")


__all__ = ["PFNBoostClassifier", "PFNBoostRegressor"]
