"""Priors: models that turn table rows into per-class logits (or a regression mean).

The classes and helpers are defined in private modules and re-exported here; import
them from ``llmboost.priors`` (the priors also from ``llmboost``).
"""

from ._base import PROBA_FLOOR, Prior, as_prior, log_proba
from ._bundled_pfn import BundledPFNPrior
from ._llm import LLMPrior, clear_loaded_models
from ._serialize import DEFAULT_TEMPLATE, RowSerializer, serialize
from ._sklearn import SklearnPrior
from ._tabicl import TabICLPrior
from ._tabpfn import ModelNotAvailableError, TabPFNPrior

__all__ = [
    "DEFAULT_TEMPLATE",
    "PROBA_FLOOR",
    "BundledPFNPrior",
    "LLMPrior",
    "ModelNotAvailableError",
    "Prior",
    "RowSerializer",
    "SklearnPrior",
    "TabICLPrior",
    "TabPFNPrior",
    "as_prior",
    "clear_loaded_models",
    "log_proba",
    "serialize",
]
