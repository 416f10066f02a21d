"""PFNBoost: gradient-boosted trees that start from a prior-fitted network's logits."""

from __future__ import annotations

import warnings

from .._warn import caller_level
from ..priors._base import Prior
from ._docs import document
from ._prior_boost import PriorBoostClassifier, PriorBoostRegressor


class _PFNDefault:
    """The default-prior rule shared by both PFNBoost estimators."""

    _task: str

    def _default_prior(self) -> Prior:
        used = any(s != 0 for s in self._candidates())  # scale=0 never runs the prior
        prior, self._default_used = _tabpfn_or_bundled(self._who, self._task, used)
        return prior

    def fit(self, X, y, sample_weight=None, eval_set=None):
        self._default_used = None
        try:
            super().fit(X, y, sample_weight=sample_weight, eval_set=eval_set)
        finally:
            used = self.__dict__.pop("_default_used", None)
        # set only by a fit that succeeded; a fit with a given prior removes a previous one
        if used is None:
            self.__dict__.pop("default_prior_", None)
        else:
            self.default_prior_ = used
        return self

    fit.__doc__ = PriorBoostClassifier.fit.__doc__


@document(
    prior="""llmboost prior or scikit-learn classifier, default=None
        Gives per-class logits. ``None`` is TabPFN v2 when its checkpoint is on disk,
        else the bundled PFN (see above).""",
    scales="``0, 0.01, 0.03, ..., 10``",
)
class PFNBoostClassifier(_PFNDefault, PriorBoostClassifier):
    """:class:`PriorBoostClassifier` whose default prior is TabPFN v2, or the bundled PFN.

    ``prior=None`` means ``TabPFNPrior()`` (TabPFN v2 from the local model cache, 4
    ensemble members, CUDA when available) when its checkpoint is on disk
    (:meth:`~llmboost.priors.TabPFNPrior.is_available`); otherwise the PFN that ships
    with llmboost (``BundledPFNPrior()``), with one warning that says so and how to get
    TabPFN. Nothing is downloaded to decide. Which one was used is ``default_prior_``
    after fit. Set a prior's knobs on the prior object, e.g.
    ``PFNBoostClassifier(prior=TabPFNPrior(model_path="...", n_estimators=8))``.
    Training rows get out-of-fold log-probabilities (each fold's context is the other
    folds); new rows are scored with all training rows as context. See
    :class:`~llmboost.priors.TabPFNPrior` and :class:`PriorBoostClassifier`.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    default_prior_ : str
        ``"tabpfn"`` or ``"bundled"``: the prior ``prior=None`` resolved to (set only
        then; a fit with a given prior removes it).
    {attributes}

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from llmboost import BundledPFNPrior, PFNBoostClassifier
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = PFNBoostClassifier(
    ...     prior=BundledPFNPrior(n_ensemble=1), booster_params={{"n_estimators": 20}},
    ...     scale=1.0, cv=2, random_state=0,
    ... ).fit(X[:120], y[:120])
    >>> model.predict_proba(X[120:125]).shape
    (5, 2)
    """


@document(
    prior="""llmboost regression prior or scikit-learn regressor, default=None
        Gives a predicted mean per row. ``None`` is TabPFN v2's mean when its
        checkpoint is on disk, else the bundled regression PFN (see above).""",
    scales="``0, 0.25, 0.5, 0.75, 1``",
    classes="",
)
class PFNBoostRegressor(_PFNDefault, PriorBoostRegressor):
    """:class:`PriorBoostRegressor` whose default prior is TabPFN v2's mean, or the bundled PFN.

    ``prior=None`` means ``TabPFNPrior(task="regression")`` when its checkpoint is on
    disk; otherwise the regression PFN that ships with llmboost
    (``BundledPFNPrior(task="regression")``), with one warning; ``default_prior_``
    says which. See :class:`PFNBoostClassifier`.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    default_prior_ : str
        ``"tabpfn"`` or ``"bundled"`` (set only when ``prior=None``).
    {attributes}

    Examples
    --------
    >>> import sklearn.datasets
    >>> from llmboost import BundledPFNPrior, PFNBoostRegressor
    >>> prior = BundledPFNPrior("regression", n_ensemble=1)
    >>> X, y = sklearn.datasets.load_diabetes(return_X_y=True, as_frame=True)
    >>> model = PFNBoostRegressor(prior=prior, scale=[0, 1], cv=2, random_state=0)
    >>> model.fit(X[:120], y[:120]).predict(X[120:125]).shape
    (5,)
    """


def _tabpfn_or_bundled(who: str, task: str, used: bool = True) -> tuple[Prior, str]:
    """TabPFN v2 for ``task`` when its checkpoint is on disk, else the bundled PFN (with
    ``"tabpfn"`` or ``"bundled"``, what ``default_prior_`` says); the bundled PFN needs
    torch when it is ``used``."""
    from .._resources import require
    from ..priors._bundled_pfn import BundledPFNPrior
    from ..priors._tabpfn import TabPFNPrior

    tabpfn = TabPFNPrior(task=task)
    if tabpfn.is_available():
        return tabpfn, "tabpfn"
    if used:  # before the warning: without torch it cannot run
        require("torch", extra="pfn", who="BundledPFNPrior")
    which = "classifier" if task == "classification" else "regressor"
    warnings.warn(
        f"TabPFN v2 is not available (no v2 {which} checkpoint on disk, or tabpfn is not "
        f"installed); {who} uses the PFN bundled with llmboost "
        'instead. To use TabPFN, pip install "llmboost[tabpfn]" and get its weights: '
        "TabPFNPrior().fit(X, y) downloads them into the TabPFN model cache "
        "($TABPFN_MODEL_CACHE_DIR) when a host answers, and its error says how to "
        "download them by hand; or pass prior=TabPFNPrior(model_path=...).",
        UserWarning,
        stacklevel=caller_level(),
    )
    return BundledPFNPrior(task=task), "bundled"


__all__ = ["PFNBoostClassifier", "PFNBoostRegressor"]
