"""Checks of the folds of :meth:`Prior.oof_logits <llmboost.priors.Prior.oof_logits>`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized
from contextlib import contextmanager

import numpy as np


class Fold(tuple):
    """A fold's ``(train, test)`` row indices and its ``number`` among the caller's folds
    (counting those that test no row), by which an error names it, and its training
    ``rows`` (more than ``train`` holds when that is a context capped from them)."""

    number: int
    rows: int

    def __new__(cls, train: np.ndarray, test: np.ndarray, number: int, rows: int | None = None):
        fold = super().__new__(cls, (train, test))
        fold.number, fold.rows = number, len(train) if rows is None else rows
        return fold

    def __getnewargs__(self) -> tuple:  # pickle and deepcopy rebuild it from these
        return (*self, self.number, self.rows)


def checked_folds(folds, n_rows: int) -> list[Fold]:
    """The folds that test rows, as index arrays. Refuse a fold that trains on no row or on
    a row it tests, a row tested twice, and test sets that leave rows out."""
    if hasattr(folds, "split") or not isinstance(folds, Iterable):
        raise TypeError(
            f"folds must be (train, test) pairs of row indices or masks, such as "
            f"KFold(5).split(X, y); got {folds!r}."
        )
    kept, tested = [], np.zeros(n_rows, dtype=bool)
    for i, fold in enumerate(folds):
        if isinstance(fold, str | bytes) or not isinstance(fold, Sized) or len(fold) != 2:
            raise TypeError(
                f"folds: fold {i} is not a (train, test) pair of row indices or masks: "
                f"{str(fold)[:60]}."
            )
        train, test = (
            _row_index(i, "train", fold[0], n_rows),
            _row_index(i, "test", fold[1], n_rows),
        )
        if not len(test):
            continue
        if not len(train):
            raise ValueError(
                f"folds: fold {i} has no training rows, so its {len(test)} test rows would "
                "be scored by a prior fitted on nothing; give every fold training rows."
            )
        _check_fold(i, train, test, tested)
        tested[test] = True
        kept.append(Fold(train, test, i))
    missed = np.flatnonzero(~tested)
    if len(missed):
        raise ValueError(
            f"folds: rows {missed[:5].tolist()} ({len(missed)} of {n_rows}) are in no test "
            "set, so they would get no logits; pass folds whose test sets hold every row "
            "(TimeSeriesSplit never tests its first rows: add a split that does)."
        )
    return kept


def _check_fold(i: int, train: np.ndarray, test: np.ndarray, tested: np.ndarray) -> None:
    """Refuse rows out of range, in fold ``i``'s train and test, or tested before."""
    rows = np.concatenate([train, test])
    if rows.min() < 0 or rows.max() >= len(tested):
        raise ValueError(
            f"folds: fold {i} has row indices outside 0..{len(tested) - 1} (from "
            f"{rows.min()} to {rows.max()}); pass indices (or masks) of X's rows."
        )
    both = np.intersect1d(train, test)
    if len(both):
        raise ValueError(
            f"folds: rows {both[:5].tolist()} are in both the train and the test part of "
            f"fold {i}, so their logits would come from a prior that saw their labels."
        )
    again = np.unique(test[tested[test]])
    if len(again):
        raise ValueError(
            f"folds: rows {again[:5].tolist()} are in the test part of fold {i} and of an "
            "earlier fold, so one of their logits would be lost; pass folds whose test sets "
            "are disjoint (KFold or StratifiedKFold; not ShuffleSplit or repeated splitters)."
        )


@contextmanager
def fold_named(
    i: int, train: np.ndarray, test: np.ndarray, rows: int | None = None
) -> Iterator[None]:
    """Name fold ``i`` and its row counts in an error of the fit or scoring inside it (a
    plain ``ValueError`` or ``TypeError`` in its message, any other in a note); ``rows``:
    its training rows when ``train`` is a context capped from them."""
    try:
        yield
    except Exception as exc:
        trained = f"{len(train)} training rows"
        if rows is not None and rows != len(train):
            trained = f"{rows} training rows, a context of {len(train)}"
        where = f"in fold {i} of the out-of-fold logits: {trained}, {len(test)} rows scored"
        if type(exc) in (ValueError, TypeError):
            raise type(exc)(f"{exc} ({where})") from exc
        exc.add_note(where[0].upper() + where[1:] + ".")
        raise


def _row_index(i: int, name: str, part, n_rows: int) -> np.ndarray:
    """Fold ``i``'s ``name`` part as row indices; a boolean mask of ``n_rows`` entries
    gives its true rows."""
    part = np.asarray(part)
    if part.ndim != 1 or (len(part) and part.dtype.kind not in "biu"):
        raise TypeError(
            f"folds: the {name} part of fold {i} has shape {part.shape} and dtype "
            f"{part.dtype}; give a 1-D array of integer row positions, or a boolean mask."
        )
    if part.dtype == bool and len(part) != n_rows:
        raise ValueError(
            f"folds: the {name} part of fold {i} is a boolean mask of {len(part)} entries "
            f"for {n_rows} rows; give one entry per row of X."
        )
    return np.flatnonzero(part) if part.dtype == bool else part.astype(np.intp)


__all__ = ["Fold", "checked_folds", "fold_named"]
