"""A prior that gives a table's first column as its margin, for the tests of margins that
overflow the boosters' floats."""

from __future__ import annotations

import numpy as np

from llmboost.priors import Prior


class FirstColumnPrior(Prior):
    """The first column as it is: the log-odds of the second class, or the target."""

    def __init__(self, task="classification"):
        self.task = task

    def _fit(self, X, y):
        pass

    def _logits(self, X):
        z = X.iloc[:, 0].to_numpy(dtype=float)
        return z if self.task == "regression" else np.column_stack([np.zeros(len(X)), z])
