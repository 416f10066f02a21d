"""What the fusion search reads: the prior's margins, the candidate scales and the folds."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import check_random_state

from ._tree_unit import unit_for
from ._validation import from_torch, unmasked
from ._warn import caller_level

#: The ``scale`` of the prior alone (no trees).
PRIOR_ONLY = "prior"

#: Default scales trees start from: 0 (plain GBDT) and log-spaced multiples of the prior.
CLASSIFICATION_SCALES = [0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
#: Regression margins are the prior's mean itself, so scales stay within [0, 1].
REGRESSION_SCALES = [0.0, 0.25, 0.5, 0.75, 1.0]
#: Largest magnitude of a classification logit: beyond it a logit is clipped to it. Its
#: probability is 0 (or 1) in float64 either way, and the search's losses stay finite.
MAX_LOGIT = 1e9


def start_margin(scale: float, z, center: float = 0.0):
    """The trees' starting margin at ``scale``: ``center + scale * (z - center)``.

    A regression prior is shrunk toward ``center``, the mean of the training target,
    so that the fused model does not depend on where the target's zero lies (``y`` and
    ``y + 100`` give the same model, shifted); classification margins have centre 0.

    Parameters
    ----------
    scale : float
    z : ndarray or dask array
        The prior's unscaled margin.
    center : float, default=0.0

    Returns
    -------
    ndarray, dask array or None
        ``None`` at scale 0 (the trees start from their own base score).
    """
    if scale == 0:
        return None
    if center == 0 or scale == 1:
        return z * scale
    return center + scale * (z - center)


def shrink_center(task: str, y, sample_weight=None) -> float:
    """What the prior is shrunk toward: 0 for classification, the weighted mean of a
    regression target (the centre its trees train around, :func:`unit_for`).

    Parameters
    ----------
    task : {"classification", "regression"}
    y : ndarray of shape (n,)
    sample_weight : ndarray of shape (n,) or None

    Returns
    -------
    float
    """
    return unit_for(y, sample_weight)[1] if task == "regression" else 0.0


def prior_margin(logits: np.ndarray, task: str) -> np.ndarray:
    """The unscaled margin a prior's logits give: log-odds for binary, logits otherwise.

    Parameters
    ----------
    logits : ndarray of shape (n, k), or (n,) for regression
    task : {"classification", "regression"}

    Returns
    -------
    ndarray of shape (n,) or (n, k)
    """
    if task == "classification" and logits.shape[1] == 2:
        return logits[:, 1] - logits[:, 0]
    return logits


def check_margin(prior, z, n_rows: int, task: str, n_classes: int, where="logits") -> np.ndarray:
    """The prior's margin from its logits, checked for shape and finite values.

    Classification logits beyond :data:`MAX_LOGIT` (a prior ruling a class out with
    ``-1e300``) are clipped to it.

    Parameters
    ----------
    prior : Prior
        Named in the errors.
    z : array-like
        What ``prior``'s method ``where`` returned.
    n_rows : int
    task : {"classification", "regression"}
    n_classes : int
        Columns expected for classification.
    where : str, default="logits"

    Returns
    -------
    ndarray of shape (n_rows,) or (n_rows, n_classes)
        As :func:`prior_margin` gives it.
    """
    name = type(prior).__name__
    z = _real_values(z, f"{name}.{where}")
    if task == "regression":
        z = z.reshape(-1) if z.ndim == 2 and z.shape[1] == 1 else z
        expected = (n_rows,)
    else:
        expected = (n_rows, n_classes)
    if z.shape != expected:
        raise ValueError(f"{name}.{where} returned shape {z.shape}; expected {expected}.")
    if not np.isfinite(z).all():
        rows = np.flatnonzero(~np.isfinite(z).reshape(n_rows, -1).all(axis=1))[:5].tolist()
        raise ValueError(
            f"{name}.{where} returned non-finite values (rows {rows}); return finite "
            f"numbers (a class ruled out can get a logit such as -{MAX_LOGIT:.0e})."
        )
    if task == "classification":
        z = np.clip(z, -MAX_LOGIT, MAX_LOGIT)
    return prior_margin(z, task)


def _real_values(z, who: str) -> np.ndarray:
    """``z`` as floats (``None``, ``pd.NA``, masked entries: NaN); else an error naming ``who``."""
    z = np.asarray(unmasked(from_torch(z), who, missing=True))
    words = z.ravel().tolist() if z.dtype.kind in "OUS" else []  # Python's str and bytes
    words = [v for v in words if isinstance(v, str | bytes)]
    z = np.where(pd.isna(z), np.nan, z) if z.dtype == object else z
    try:
        if z.dtype.kind in "cmMV" or words:  # a cast drops 5j, gives dates as ticks, reads "1.5"
            raise TypeError(f"text such as {words[0]!r}" if words else f"dtype {z.dtype}")
        return z.astype(np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"{who} returned values that are not real numbers ({exc}); return floats."
        raise ValueError(msg) from None


def scale_candidates(scale, task: str) -> list | None:
    """The scales a ``scale`` parameter stands for.

    Parameters
    ----------
    scale : "auto", "prior", float >= 0 or list of them
    task : {"classification", "regression"}
        Picks the grid of ``"auto"``.

    Returns
    -------
    list or None
        Floats and ``"prior"``; ``None`` when ``scale`` is invalid.
    """
    if isinstance(scale, str):
        if scale == "auto":
            grid = CLASSIFICATION_SCALES if task == "classification" else REGRESSION_SCALES
            return [*grid, PRIOR_ONLY]
        return [PRIOR_ONLY] if scale == PRIOR_ONLY else None
    if isinstance(scale, list | tuple):
        ok = scale and all(_prior_only(s) or _valid_scale(s) for s in scale)
        once = dict.fromkeys(s if _prior_only(s) else float(s) for s in scale) if ok else None
        return None if once is None else list(once)  # a scale named twice is one candidate
    return [float(scale)] if _valid_scale(scale) else None


def _prior_only(s) -> bool:
    return isinstance(s, str) and s == PRIOR_ONLY  # pd.NA == "prior" is neither


def _valid_scale(s) -> bool:
    if not isinstance(s, Real) or isinstance(s, bool):
        return False
    try:  # float(): np.isfinite refuses a Fraction and an int beyond float range
        return bool(np.isfinite(float(s)) and s >= 0)
    except OverflowError:
        return False


def margin_to_output(margin: np.ndarray, task: str) -> np.ndarray:
    """Probabilities from a margin, or the margin itself for regression.

    Parameters
    ----------
    margin : ndarray of shape (n,) or (n, k)
    task : {"classification", "regression"}

    Returns
    -------
    ndarray of shape (n, k), or (n,) for regression
    """
    if task == "regression":
        return margin
    if margin.ndim == 1:
        with np.errstate(over="ignore"):  # exp(-margin) is inf below -709: p1 is 0
            p1 = 1.0 / (1.0 + np.exp(-margin))
        return np.column_stack([1.0 - p1, p1])
    shifted = np.exp(margin - margin.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def check_fold_classes(counts: dict) -> None:
    """Refuse classes cross-validation cannot split: fewer than two with 2 or more rows.

    Parameters
    ----------
    counts : dict
        Rows of each class.
    """
    if sum(count >= 2 for count in counts.values()) < 2:
        raise ValueError(
            "Cross-validation needs at least two classes with 2 or more rows each; "
            f"class counts are {counts}. Add rows, or use scale='prior' (the prior alone) "
            "or scale=0 (the trees alone), which need no cross-validation."
        )


def make_folds(y, cv: int, task: str, random_state) -> list[tuple[np.ndarray, np.ndarray]]:
    """Shuffled folds stratified on the target; a class with one row is kept in every training fold.

    Such a row is never in a test fold (it cannot be both taught and tested); its
    out-of-fold prior logits come from the extra split of :func:`prior_folds`.
    Regression folds are stratified too (:func:`target_sorted_folds`).

    Parameters
    ----------
    y : array-like of shape (n,)
    cv : int
        Number of folds (fewer when the rows or the largest class are fewer).
    task : {"classification", "regression"}
        Classification folds are stratified by class, regression folds by rank.
    random_state : int, RandomState or None
        Seeds the shuffle.

    Returns
    -------
    list of (train, test) index arrays
    """
    y = np.asarray(y)
    if task == "regression":
        return target_sorted_folds(y, min(cv, len(y)), random_state)
    labels, counts = np.unique(y, return_counts=True)
    single = np.isin(y, labels[counts == 1])
    rest = np.flatnonzero(~single)
    check_fold_classes(dict(zip(labels.tolist(), counts.tolist())))
    n_splits = min(cv, int(np.bincount(np.unique(y[rest], return_inverse=True)[1]).max()))
    splitter = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    kept = np.flatnonzero(single)
    folds = []
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class")
        for train, test in splitter.split(np.zeros(len(rest)), y[rest]):
            folds.append((np.sort(np.concatenate([rest[train], kept])), rest[test]))
    return folds


def target_sorted_folds(y, n_splits: int, random_state) -> list[tuple[np.ndarray, np.ndarray]]:
    """Regression folds stratified on the target: sorted rows dealt out in blocks.

    The rows, sorted by target (ties in random order), are cut into consecutive blocks
    of ``n_splits`` and each block sends one row to every fold, in random order. Every
    fold then spans the whole range of the target. With plain shuffled folds at a few
    dozen rows, a fold's context mean moves against its own test rows' targets, so an
    in-context prior's out-of-fold predictions can rank the rows worse than its refit
    predicts new ones.

    Parameters
    ----------
    y : ndarray of shape (n,)
    n_splits : int
    random_state : int, RandomState or None

    Returns
    -------
    list of (train, test) index arrays
    """
    rng = check_random_state(random_state)
    order = np.lexsort((rng.permutation(len(y)), y))
    n_blocks = -(-len(y) // n_splits)
    deal = np.concatenate([rng.permutation(n_splits) for _ in range(n_blocks)])[: len(y)]
    fold = np.empty(len(y), dtype=int)
    fold[order] = deal
    return [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(n_splits)]


def given_folds(cv, X, y, task: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """The folds of a ``cv`` that is a splitter (``cv.split(X, y)``) or (train, test) pairs.

    The search pools out-of-fold predictions, so a row may be tested by one split at
    most (``KFold``, ``GroupKFold`` via its splits, ``TimeSeriesSplit``; not
    ``ShuffleSplit``); rows no split tests only train. A classifier's every training
    part must hold every class.

    Parameters
    ----------
    cv : cross-validation splitter or iterable of (train, test) index arrays
    X : DataFrame
    y : ndarray of shape (n,)
    task : {"classification", "regression"}

    Returns
    -------
    list of (train, test) index arrays

    Raises
    ------
    ValueError
        Naming the split and what is wrong with it.
    """
    try:
        splits = list(cv.split(X, y) if hasattr(cv, "split") else cv)
    except ValueError as err:
        if "groups" in str(err):
            raise ValueError(
                f"cv={cv!r} splits by groups, which fit does not take; pass its splits: "
                f"cv=list({type(cv).__name__}(...).split(X, y, groups))."
            ) from None
        classes = task == "regression" and "target type" in str(err)  # StratifiedKFold's
        hint = " (a stratified splitter needs classes: use KFold)" if classes else ""
        raise ValueError(f"cv={cv!r} could not split the rows{hint}: {err}") from None
    folds = [_split_pair(i, split, len(y)) for i, split in enumerate(splits)]
    if not folds:
        used = isinstance(cv, Iterator)  # a generator of splits serves one fit only
        hint = (
            ": an iterator of splits is used up by one fit; pass list(...) of them" if used else ""
        )
        raise ValueError(f"cv={cv!r} gave no (train, test) split{hint}.")
    tested = np.zeros(len(y), dtype=int)
    for i, (train, test) in enumerate(folds):
        _check_split(i, train, test, y, task)
        tested[test] += 1
    if tested.max() > 1:
        raise ValueError(
            f"cv: row {int(np.argmax(tested))} is in the test part of {tested.max()} splits; "
            "the search pools out-of-fold predictions, so each row may be tested once at "
            "most (KFold, StratifiedKFold, TimeSeriesSplit; not ShuffleSplit or repeated "
            "splitters)."
        )
    return folds


def _split_pair(i: int, split, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Split ``i`` of ``cv`` as (train, test) row indices."""
    if isinstance(split, str | dict) or not hasattr(split, "__len__") or len(split) != 2:
        size = f" of {len(split)} items" if hasattr(split, "__len__") else ""
        raise ValueError(
            f"cv split {i} is a {type(split).__name__}{size}, not a (train, test) pair of "
            "row indices: give a list of such pairs (one split is [(train, test)]), or a "
            "splitter such as KFold(5)."
        )
    return _row_indices(i, "train", split[0], n_rows), _row_indices(i, "test", split[1], n_rows)


def _row_indices(i: int, name: str, part, n_rows: int) -> np.ndarray:
    """Split ``i``'s ``name`` part as row indices; a boolean mask of ``n_rows`` gives its
    true rows."""
    part = np.asarray(part)
    if part.ndim != 1:  # a row as a number, or a nested list: numpy's own errors followed
        what = f"is {part.item()!r}" if part.ndim == 0 else f"has shape {part.shape}"
        raise ValueError(
            f"cv split {i}: its {name} part {what}, not a 1-D list of row positions; give "
            "one (a single row as a list of one), or a boolean mask."
        )
    if part.dtype == bool:
        if len(part) != n_rows:
            raise ValueError(
                f"cv split {i}: its {name} part is a boolean mask of {len(part)} entries for "
                f"{n_rows} rows; give one entry per row of X."
            )
        return np.flatnonzero(part)
    if part.dtype.kind in "iu":
        return part.astype(int)
    odd = next((v for v in part.ravel().tolist() if not _position(v)), None)
    if odd is not None:
        raise ValueError(
            f"cv split {i}: its {name} part holds {odd!r}, which is not a row position: give "
            f"whole numbers from 0 to {n_rows - 1} (positions, not index labels), or a "
            "boolean mask."
        )
    return part.astype(int)


def _position(value) -> bool:
    """Whether ``value`` is a whole number (``3`` or ``3.0``, not ``3.5`` or ``inf``)."""
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, Integral) and not isinstance(value, bool)


def _check_split(i: int, train: np.ndarray, test: np.ndarray, y: np.ndarray, task: str):
    for part, rows in (("train", train), ("test", test)):
        outside = rows[(rows < 0) | (rows >= len(y))]
        if len(rows) == 0 or len(outside):
            what = f"holds row {outside[0]}" if len(rows) else "is empty"
            raise ValueError(
                f"cv split {i}: its {part} part {what}; give non-empty row positions from "
                f"0 to {len(y) - 1} (a negative position is not read from the end)."
            )
    listed, count = np.unique(test, return_counts=True)
    if count.max() > 1:
        raise ValueError(
            f"cv split {i}: row {int(listed[np.argmax(count)])} is {count.max()} times in its "
            "test part, so its score would count that many times; list each row once."
        )
    both = np.intersect1d(train, test)
    if both.size:
        raise ValueError(
            f"cv split {i}: rows {both[:5].tolist()} are in both its train and its test part."
        )
    missing = np.setdiff1d(np.unique(y), y[train]) if task == "classification" else []
    if len(missing):
        raise ValueError(
            f"cv split {i}: its training part has no row of class {missing.tolist()[0]!r}; "
            "every class must be in every training part (use a stratified splitter or "
            "fewer splits)."
        )


def warn_untested_classes(folds, y) -> None:
    """Warn about a class only in rows no fold tests: their out-of-fold prior logits come
    from the split of :func:`prior_folds`, a prior fitted on rows that hold no such class."""
    tested = np.zeros(len(y), dtype=bool)
    for _, test in folds:
        tested[test] = True
    unseen = np.setdiff1d(np.unique(y[~tested]), y[tested])
    if len(unseen):
        rows, names = np.flatnonzero(np.isin(y, unseen)), unseen.tolist()
        which = f"class {names[0]!r} is" if len(names) == 1 else f"classes {names} are"
        warnings.warn(
            f"cv: {which} only in rows {rows[:5].tolist()} ({len(rows)} rows), which no split "
            "tests: their out-of-fold prior logits come from a prior fitted on the tested rows, "
            "which never saw the class: most priors give it about 1e-7 (BundledPFNPrior up to "
            "10 classes: a few percent). Use other folds, whose test parts hold rows of every "
            "class (StratifiedKFold, or TimeSeriesSplit with more splits).",
            UserWarning,
            stacklevel=caller_level(),
        )


def check_fold_weights(folds, weight: np.ndarray, given: bool = False) -> None:
    """Each fold the search scores needs a positive weight in its test and training rows
    (``given``: the folds of the user's splitter, so the advice is other folds)."""
    fix = "other" if given else "fewer"
    for i, (train, test) in enumerate(folds):
        for part, rows in (("test", test), ("training", train)):
            if weight[rows].sum() <= 0:
                raise ValueError(
                    f"sample_weight is zero on every {part} row of cross-validation fold {i} "
                    f"({len(rows)} rows), so the search cannot score it: give more rows a "
                    f"positive weight, use {fix} folds (cv), or drop the zero-weight rows."
                )


def prior_folds(folds, n_rows: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``folds`` plus one split that scores the rows no fold tests, from all the others.

    Parameters
    ----------
    folds : list of (train, test) index arrays
    n_rows : int

    Returns
    -------
    list of (train, test) index arrays
        Every row is in exactly one ``test``.
    """
    tested = np.zeros(n_rows, dtype=bool)
    for _, test in folds:
        tested[test] = True
    if tested.all():
        return list(folds)
    return [*folds, (np.flatnonzero(tested), np.flatnonzero(~tested))]


__all__ = [
    "CLASSIFICATION_SCALES",
    "MAX_LOGIT",
    "PRIOR_ONLY",
    "REGRESSION_SCALES",
    "check_fold_classes",
    "check_fold_weights",
    "check_margin",
    "given_folds",
    "make_folds",
    "margin_to_output",
    "prior_folds",
    "prior_margin",
    "scale_candidates",
    "shrink_center",
    "start_margin",
    "target_sorted_folds",
    "warn_untested_classes",
]
