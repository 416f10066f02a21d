"""The unit regression trees train in: a target far from 1 in size is fitted in its own unit."""

from __future__ import annotations

import numpy as np


def unit_for(y, sample_weight=None) -> tuple[float, float]:
    """``(unit, center)`` regression trees train in: the target's standard deviation
    (else 1) and mean, over the rows' weights (a row of weight 0 counts for nothing).

    XGBoost refuses a split whose gain is below a fixed 1e-6, so a target measured in
    small units (standard deviation 1e-3 or less) got few or no trees, and one near
    float32's limit (both libraries store labels as float32) overflowed; a target far
    from 0 (``1e9 + y``) lost its digits in float32. Trees trained on
    ``(y - center) / unit`` (with the margin alike) and read times ``unit`` plus
    ``center`` are those of ``y`` otherwise (squared error; only loss thresholds,
    XGBoost ``gamma`` and LightGBM ``min_split_gain``, and the L1 penalty ``reg_alpha``
    then apply to ``y / unit``).
    """
    y = np.asarray(y, dtype=np.float64)
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, np.float64)
    if not w.sum() > 0:
        w = np.ones(len(y))
    y, w = y[w > 0], w[w > 0]  # rows of weight 0 would set the unit of rows they do not train
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if not np.isfinite(peak) or peak == 0:
        return 1.0, 0.0
    scaled = y / peak  # no overflow for |y| near float64's limit
    mean = float(np.average(scaled, weights=w))
    spread = peak * float(np.sqrt(np.average((scaled - mean) ** 2, weights=w)))
    return (spread if spread > 0 else 1.0), peak * mean


__all__ = ["unit_for"]
