"""The stratified sample of the training rows, drawn where the rows are.

Every row gets a reproducible random key (its partition's number seeds the draw), so
any worker can tell which of its rows are in the sample without gathering them.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state


def sample_sizes(counts: pd.Series, sample_size: int, min_per_class: int) -> dict:
    """Rows of each label in the stratified sample.

    Every label keeps its share of ``sample_size`` but at least ``min_per_class`` rows
    (all of them when it has fewer).

    Parameters
    ----------
    counts : Series
        Rows per label.
    sample_size : int
    min_per_class : int

    Returns
    -------
    dict of label to int
    """
    fraction = min(1.0, sample_size / counts.sum())
    return {
        label: int(min(count, max(round(fraction * count), min_per_class)))
        for label, count in counts.items()
    }


def sample_thresholds(y, sizes, seed: int):
    """Key below which a row is sampled: exactly ``sizes`` rows (of each label).

    Every row gets a reproducible random key (:func:`sample_keys`); the rows of a label
    with the smallest keys form its part of the sample, so no label with rows can miss
    the sample by chance.

    Parameters
    ----------
    y : dask Series
        The labels, partitioned like the rows.
    sizes : dict of label to int, or int
        Rows per label (classification) or rows in all (regression).
    seed : int

    Returns
    -------
    dict of label to float, or float
        As :func:`sample_mask` takes them.
    """
    import dask

    found = dask.compute(
        *[
            dask.delayed(_smallest_keys)(part, number, sizes, seed)
            for number, part in enumerate(y.to_delayed())
        ]
    )
    if not isinstance(sizes, dict):
        return _threshold(np.concatenate(found), sizes)
    return {
        label: _threshold(np.concatenate([f.get(label, []) for f in found]), size)
        for label, size in sizes.items()
    }


def _smallest_keys(y: pd.Series, number: int, sizes, seed: int):
    """One partition's smallest keys (of each label): all its candidates for the sample."""
    keys = sample_keys(number, len(y), seed)
    if not isinstance(sizes, dict):
        return np.sort(keys)[:sizes]
    groups = pd.Series(keys).groupby(y.to_numpy(), sort=False)
    return {label: np.sort(g.to_numpy())[: sizes[label]] for label, g in groups}


def _threshold(keys: np.ndarray, size: int) -> float:
    if size == 0 or len(keys) == 0:
        return 0.0
    return float(np.nextafter(np.sort(keys)[min(size, len(keys)) - 1], np.inf))


def sample_keys(number: int, n_rows: int, seed: int) -> np.ndarray:
    """The random keys of partition ``number``'s rows (reproducible on any worker).

    Parameters
    ----------
    number : int
        The partition's number (seeds its draw).
    n_rows : int
    seed : int

    Returns
    -------
    ndarray of float in [0, 1)
    """
    return np.random.default_rng([seed, number]).random(n_rows)


def sample_mask(y: pd.Series, number: int, thresholds, seed: int) -> np.ndarray:
    """Which rows of partition ``number`` are in the sample (reproducible on any worker).

    Parameters
    ----------
    y : Series
        The partition's labels.
    number : int
        The partition's number (seeds its draw).
    thresholds : dict or float
        From :func:`sample_thresholds`: one per label (classification) or one for all.
    seed : int

    Returns
    -------
    ndarray of bool
    """
    if isinstance(thresholds, dict):
        threshold = y.map(thresholds).to_numpy(dtype=np.float64)
    else:
        threshold = np.full(len(y), float(thresholds))
    return sample_keys(number, len(y), seed) < threshold


def fit_keeping_margin(local, X, y, who: str) -> np.ndarray | None:
    """Fit ``local`` and return the prior's out-of-fold margin its fit computed, if any;
    its messages name the class ``who`` (the Dask estimator) meanwhile.

    The sampled rows train the trees from that margin: out of fold on the local search's
    own folds, so the prior scores each sampled row once (not once more for the trees).
    A tree member with a non-zero scale always comes with it (fit computes it whenever
    a candidate reads the prior).
    """
    kept = []

    def oof_margin(*args, **kwargs):
        kept.append(type(local)._oof_margin(local, *args, **kwargs))
        return kept[-1]

    local._oof_margin, local._fitting_for = oof_margin, who
    try:
        local.fit(X, y)
    finally:
        del local._oof_margin, local._fitting_for
    return kept[-1] if kept else None


def sample_seed(random_state) -> int:
    """The seed of the sample's keys: ``random_state`` itself, or drawn from it."""
    if isinstance(random_state, Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(2**31 - 1))


def sample_labels(values: pd.Series, name, given):
    """The sampled labels for the local fit: a Series named ``name``, or an array of the
    NumPy text dtype of ``given``, a dask array (so ``classes_`` are of it, as locally)."""
    if isinstance(kind := getattr(given, "dtype", None), np.dtype) and kind.kind in "US":
        return values.to_numpy().astype(kind)
    return pd.Series(values.to_numpy(), name=name)


__all__ = [
    "fit_keeping_margin",
    "sample_keys",
    "sample_labels",
    "sample_mask",
    "sample_seed",
    "sample_sizes",
    "sample_thresholds",
]
