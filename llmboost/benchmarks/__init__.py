"""The ``llmboost-bench`` command: AUC-versus-training-size curves for every method."""

__all__ = []
