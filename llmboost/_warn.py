"""Where llmboost's warnings point: the user's call."""

from __future__ import annotations

import os
import sys

import joblib
import sklearn

#: llmboost, and scikit-learn with joblib (its parallel loop) calling it for the user:
#: ``score``, a Pipeline, a search or cross-validation.
_LIBRARIES = tuple(
    os.path.dirname(os.path.abspath(path)) + os.sep
    for path in (__file__, sklearn.__file__, joblib.__file__)
)


def caller_level() -> int:
    """The ``stacklevel`` that points a warning of this function's caller at the first
    frame outside llmboost and scikit-learn: the user's call, however deep it called in."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_LIBRARIES):
        frame, level = frame.f_back, level + 1
    return level


__all__ = ["caller_level"]
