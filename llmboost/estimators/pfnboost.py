"""PFNBoost: gradient-boosted trees that start from a prior-fitted network's logits."""

from __future__ import annotations

import warnings

from ..priors.base import Prior
from .prior_boost import PriorBoostClassifier, PriorBoostRegressor


class PFNBoostClassifier(PriorBoostClassifier):
    """:class:`PriorBoostClassifier` whose default prior is TabPFN v2, or the bundled PFN.

    ``prior=None`` means ``TabPFNPrior()`` (TabPFN v2 from the local model cache or
    downloaded, 4 ensemble members, CUDA when available) when its weights can be had;
    otherwise the PFN that ships with llmboost (``BundledPFNPrior()``), with one warning
    that says so and how to get TabPFN. The decision takes seconds offline. Which one
    was used is ``default_prior_`` after fit. Set a prior's knobs on the prior object,
    e.g. ``PFNBoostClassifier(prior=TabPFNPrior(model_path="...", n_estimators=8))``.
    Training rows get out-of-fold log-probabilities (each fold's context is the other
    folds); new rows are scored with all training rows as context. See
    :class:`~llmboost.priors.tabpfn.TabPFNPrior` and :class:`PriorBoostClassifier`.

    Attributes
    ----------
    default_prior_ : str
        ``"tabpfn"`` or ``"bundled"``: the prior ``prior=None`` resolved to (set only
        then), beside the attributes of :class:`PriorBoostClassifier`.
    """

    def _default_prior(self) -> Prior:
        return _tabpfn_or_bundled(self, "classification")


class PFNBoostRegressor(PriorBoostRegressor):
    """:class:`PriorBoostRegressor` whose default prior is TabPFN v2's mean, or the bundled PFN.

    ``prior=None`` means ``TabPFNPrior(task="regression")`` when its weights can be
    had; otherwise the regression PFN that ships with llmboost
    (``BundledPFNPrior(task="regression")``), with one warning; ``default_prior_``
    says which. See :class:`PFNBoostClassifier`.

    Attributes
    ----------
    default_prior_ : str
        ``"tabpfn"`` or ``"bundled"`` (set only when ``prior=None``).
    """

    def _default_prior(self) -> Prior:
        return _tabpfn_or_bundled(self, "regression")


def _tabpfn_or_bundled(estimator, task: str) -> Prior:
    """TabPFN v2 for ``task`` when its checkpoint is available, else the bundled PFN."""
    from ..priors.bundled_pfn import BundledPFNPrior
    from ..priors.tabpfn import ModelNotAvailableError, TabPFNPrior

    tabpfn = TabPFNPrior(task=task)
    try:
        tabpfn._resolve_checkpoint()
    except (ModelNotAvailableError, ImportError) as error:
        reason = str(error).splitlines()[0]
        name = type(estimator).__name__
        warnings.warn(
            f"TabPFN v2 is not available ({reason}); {name} uses the PFN bundled with "
            "llmboost instead. To use TabPFN, install llmboost[tabpfn], download its "
            "weights into the TabPFN model cache (see the error of TabPFNPrior().fit for "
            "the command) or pass prior=TabPFNPrior(model_path=...).",
            UserWarning,
            stacklevel=5,
        )
        estimator.default_prior_ = "bundled"
        return BundledPFNPrior(task=task)
    estimator.default_prior_ = "tabpfn"
    return tabpfn


__all__ = ["PFNBoostClassifier", "PFNBoostRegressor"]
