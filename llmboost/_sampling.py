"""Subsamples of rows that keep every class: one helper for contexts and benchmarks."""

from __future__ import annotations

import numpy as np


def subsample(
    y: np.ndarray,
    size: int,
    rng: np.random.Generator,
    *,
    stratify: bool = True,
    min_per_class: int = 1,
    shuffle: bool = False,
) -> np.ndarray:
    """Indices of at most ``size`` rows of ``y`` (every row when there are fewer).

    With ``stratify``, classes get rows in proportion to their frequency (largest
    remainder) and at least ``min_per_class`` each where they have them, taken from
    the largest classes; otherwise rows are drawn at random. Indices are sorted, or in
    random order with ``shuffle``.
    """
    n = len(y)
    if n <= size:
        return rng.permutation(n) if shuffle else np.arange(n)
    if not stratify:
        picked = rng.permutation(n)[:size]
    else:
        _, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
        take = _class_quota(counts, size, min_per_class)
        picked = np.concatenate(
            [rng.permutation(np.flatnonzero(inverse == k))[: take[k]] for k in range(len(counts))]
        )
    return rng.permutation(picked) if shuffle else np.sort(picked)


def _class_quota(counts: np.ndarray, size: int, min_per_class: int) -> np.ndarray:
    share = counts / counts.sum() * size
    take = np.floor(share).astype(int)
    for k in np.argsort(-(share - take))[: size - take.sum()]:
        take[k] += 1
    floor = np.minimum(counts, min_per_class)
    for k in np.flatnonzero(take < floor):
        need = floor[k] - take[k]
        take[k] += need
        for _ in range(need):
            donor = np.argmax(np.where(take > min_per_class, take, -1))
            if take[donor] > min_per_class:
                take[donor] -= 1
    return take


__all__ = ["subsample"]
