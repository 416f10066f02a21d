"""XGBoost's and LightGBM's own errors in ``fit``, as one-line ``ValueError``."""

from __future__ import annotations

import re
from contextlib import contextmanager


def library_message(error: Exception) -> str:
    """An XGBoost or LightGBM error on one line, without XGBoost's time, source and stack."""
    text = (str(error).strip() or type(error).__name__).split("\nStack trace:")[0]
    return re.sub(r"^\[[\d:]+\] \S+: ", "", " ".join(text.split()))[:300]


@contextmanager
def library_errors(library: str, params: dict):
    """The library's own errors in ``fit`` as ``ValueError``: one line, no C++ stack trace."""
    try:
        yield
    except Exception as error:
        if type(error).__name__ not in ("XGBoostError", "LightGBMError"):
            raise
        shown = {k: v for k, v in params.items() if k != "random_state"}
        raise ValueError(
            f"{library} could not fit: {library_message(error)} (its parameters, from the "
            f"defaults and booster_params: {shown})."
        ) from None


__all__ = ["library_errors", "library_message"]
