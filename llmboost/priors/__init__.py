"""Priors: models that turn table rows into per-class logits (or a regression mean)."""

from .base import Prior
from .bundled_pfn import BundledPFNPrior
from .llm import LLMPrior
from .sklearn import SklearnPrior
from .tabicl import TabICLPrior
from .tabpfn import ModelNotAvailableError, TabPFNPrior

__all__ = [
    "BundledPFNPrior",
    "LLMPrior",
    "ModelNotAvailableError",
    "Prior",
    "SklearnPrior",
    "TabICLPrior",
    "TabPFNPrior",
]
