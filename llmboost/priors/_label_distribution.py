"""The stand-in for a context an in-context model cannot fit."""

from __future__ import annotations

import numpy as np


class LabelDistribution:
    """Stand-in for a context the library cannot fit (a single class, a constant target; for
    TabPFN, no varying feature): every row gets the context's class frequencies, or its mean."""

    def __init__(self, y: np.ndarray, task: str) -> None:
        if task == "classification":
            self.classes_, counts = np.unique(y, return_counts=True)
            self.proba_ = counts / counts.sum()
        else:
            self.mean_ = float(np.mean(y))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.tile(self.proba_, (len(X), 1))

    def predict(self, X: np.ndarray, output_type: str = "mean") -> np.ndarray:
        return np.full(len(X), self.mean_)


__all__ = ["LabelDistribution"]
