"""The prior on the workers: one partition at a time, one prior object per worker.

The fitted prior is scattered once to every worker (``client.scatter(...,
broadcast=True)``); every partition task on a worker receives that same object, so a
model it loads lazily (a language model, TabPFN's network) is loaded once per worker
process and reused. Language-model priors keep their batching, prefix cache and
on-disk score cache on each worker.

Before a worker scores its first partition, :func:`restore_mmap_threshold` undoes a
side effect of distributed's default worker environment that slows torch on CPU.
"""

from __future__ import annotations

import ast
import ctypes
import ctypes.util
import os
import platform
import re
import threading

import numpy as np
import pandas as pd

from .._columns import _plain
from ..estimators._eval_set import prior_logits
from ..scale_search import check_margin
from ._boosting import as_margin_frame, margin_meta
from ._data import as_given
from ._sample import sample_mask

#: Extra columns of the gathered sample: the label and the partition a row came from.
TARGET, PARTITION = "__llmboost_y__", "__llmboost_partition__"
#: The positions a refusal of non-finite logits names.
_POSITIONS = re.compile(r"\(rows (\[[\d, ]*\])\)")


#: glibc's ceiling for its adaptive mmap threshold (64-bit): blocks below it may come
#: from the heap, which is reused without page faults.
MMAP_THRESHOLD = 32 * 1024 * 1024
#: glibc's ``mallopt`` parameter number of the mmap threshold.
_M_MMAP_THRESHOLD = -3
_LOCK = threading.Lock()
_restored: list[bool] = []  # the outcome, once per process


def needs_mmap_threshold(environ=None) -> bool:
    """Whether this process runs with glibc's adaptive mmap threshold switched off.

    distributed starts its worker processes with ``MALLOC_TRIM_THRESHOLD_=65536``
    (``distributed.nanny.pre-spawn-environ``) so that freed memory returns to the
    operating system. Setting any of glibc's tuning variables also fixes the mmap
    threshold at 128 KiB, so every larger block (a language model's activations) is
    mapped and unmapped afresh: torch on CPU then spends much of its time in page
    faults. An explicit ``MALLOC_MMAP_THRESHOLD_`` is a deliberate choice and is kept.

    Parameters
    ----------
    environ : mapping, default=None
        The environment to judge; ``None`` is ``os.environ``.

    Returns
    -------
    bool
        ``True`` on glibc Linux with ``MALLOC_TRIM_THRESHOLD_`` set and
        ``MALLOC_MMAP_THRESHOLD_`` unset.
    """
    environ = os.environ if environ is None else environ
    return (
        platform.system() == "Linux"
        and platform.libc_ver()[0] == "glibc"
        and "MALLOC_TRIM_THRESHOLD_" in environ
        and "MALLOC_MMAP_THRESHOLD_" not in environ
    )


def restore_mmap_threshold() -> bool:
    """Raise glibc's mmap threshold to :data:`MMAP_THRESHOLD` once per process, if needed.

    Runs on a worker before its first partition is scored when
    :func:`needs_mmap_threshold` holds. The trim threshold stays as distributed set it,
    so freed memory at the top of the heap is still returned. The language models of
    the benchmark score rows up to 1.7x faster with it (``benchmarks/results/dask.md``).

    Returns
    -------
    bool
        Whether the threshold was raised (by this call or an earlier one).
    """
    with _LOCK:
        if not _restored:
            done = False
            if needs_mmap_threshold():
                libc = ctypes.CDLL(ctypes.util.find_library("c"))
                done = bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
            _restored.append(done)
        return _restored[0]


def _width(task: str, n_classes: int) -> int:
    return n_classes if task == "classification" and n_classes > 2 else 0


def prior_margin(prior, client, named, frame, text, task: str, n_classes: int, names=None):
    """The prior's unscaled margin of new rows (lazily): of the rows as given for a prior
    that reads text unseen at fit (a language model), as the local predict gives them
    (:func:`~llmboost.estimators._eval_set.prior_logits`), else of the rows in the fit's
    encoding.

    Parameters
    ----------
    prior : Prior
        Fitted; sent once to every worker.
    client : distributed.Client
    named, frame : dask DataFrame
        The rows named as at fit, and converted to the fit's encoding.
    text : Delayed dict
        :func:`~llmboost.dask._data.text_dtypes` of ``named``.
    task : {"classification", "regression"}
    n_classes : int
    names : tuple of str, default=None
        How a refusal names rows of several partitions (:func:`checked_margin`).

    Returns
    -------
    dask Series or DataFrame
    """
    meta = margin_meta(_width(task, n_classes))
    future = client.scatter(prior, broadcast=True, hash=False)
    args = (future, task, n_classes)
    if not getattr(prior, "_reads_unseen_text", False):
        return frame.map_partitions(score_partition, *args, names=names, meta=meta)
    columns = list(frame.columns)
    return named.map_partitions(score_partition, *args, columns, text, names, meta=meta)


def score_partition(
    part, prior, task: str, n_classes: int, columns=None, text=None, names=None,
    partition_info=None,
):  # fmt: skip
    """The prior's unscaled margin for one partition (runs on a worker).

    Parameters
    ----------
    part : DataFrame
    prior : Prior
        Fitted.
    task : {"classification", "regression"}
    n_classes : int
    columns : list of str, default=None
        Given for rows as given: the names of the columns seen at fit.
    text : dict of str to CategoricalDtype, default=None
        With ``columns``: see :func:`~llmboost.dask._data.as_given`.
    names : tuple of str, default=None
        See :func:`checked_margin`; ``None``: positions, as locally.
    partition_info : dict, default=None
        Given by dask (the partition's ``number``).

    Returns
    -------
    Series or DataFrame
        See :func:`~llmboost.dask._boosting.as_margin_frame`.
    """
    restore_mmap_threshold()
    width = _width(task, n_classes)
    if len(part) == 0:
        return as_margin_frame(np.empty((0, width) if width else (0,)), part.index)
    if columns is None:
        z = prior.logits(part)
    else:  # its alignment warned already of a column whose kind changed, once per call
        number = partition_info["number"] if partition_info else 0
        z = prior_logits(prior, as_given(part, columns, text, number), None)
    z = checked_margin(prior, z, part.index, task, n_classes, names, partition_info)
    return as_margin_frame(z, part.index)


def checked_margin(prior, z, index, task, n_classes, names, partition_info=None):
    """:func:`~llmboost.scale_search.check_margin` of one partition's rows (``index``),
    whose refusal of non-finite logits names them by ``names``: the word and the labels
    of ``index`` ("index", or "rows" for an array's positions), and what follows
    "partition k of X" where they are counted in their partition; positions within the
    partition were named as if they were X's."""
    try:
        return check_margin(prior, z, len(index), task, n_classes)
    except ValueError as error:
        if names is None:
            raise
        word, counted = names
        number = partition_info["number"] if partition_info else 0
        where = f" of partition {number} of X{counted}" if counted else ""
        named = rows_named(error, index, word, where)
        if named is None:
            raise
        raise named from None


def rows_named(error: ValueError, index, word: str, where: str = "") -> ValueError | None:
    """``error`` with the rows its refusal of non-finite logits names by position in
    ``index`` named by their labels there (``word``, then ``where``); else ``None``."""
    found = _POSITIONS.search(str(error))
    if found is None:
        return None
    labels = [_plain(v) for v in index[ast.literal_eval(found[1])]]
    return ValueError(str(error).replace(found[0], f"({word} {labels}{where})", 1))


def training_partition(
    part, y, prior, oof, thresholds, seed, task, n_classes, word="index", partition_info=None
):  # fmt: skip
    """Training margin of one partition: the prior's score, or out-of-fold for sampled rows.

    Rows of the stratified sample were part of the prior's context (it was fitted on
    the sample), so they get the out-of-fold margin computed on the client.

    Parameters
    ----------
    part : DataFrame
    y : Series
        The partition's labels.
    prior : Prior
        Fitted on the sample.
    oof : dict of int to ndarray
        Partition number -> margins of its sampled rows, in row order.
    thresholds : dict or float
        As in :func:`~llmboost.dask._sample.sample_mask`.
    seed : int
    task : {"classification", "regression"}
    n_classes : int
    word : str, default="index"
        Names the rows a refusal names by their index labels (:func:`checked_margin`).
    partition_info : dict
        Given by dask (the partition's ``number``).

    Returns
    -------
    Series or DataFrame
    """
    restore_mmap_threshold()
    number = partition_info["number"]
    width = _width(task, n_classes)
    out = np.empty((len(part), width) if width else (len(part),))
    sampled = sample_mask(y, number, thresholds, seed)
    if sampled.any():
        out[sampled] = oof[number]
    rest = ~sampled
    if rest.any():
        rows = part[rest]
        z = prior.logits(rows)
        out[rest] = checked_margin(prior, z, rows.index, task, n_classes, (word, ""))
    return as_margin_frame(out, part.index)


def sample_partition(part, y, thresholds, seed, partition_info=None) -> pd.DataFrame:
    """The sampled rows of one partition, with their label and partition number.

    Parameters
    ----------
    part : DataFrame
    y : Series
        The partition's labels.
    thresholds : dict or float
    seed : int
    partition_info : dict, default=None
        Given by dask (the partition's ``number``).

    Returns
    -------
    DataFrame
        With the columns :data:`TARGET` and :data:`PARTITION` added.
    """
    number = partition_info["number"] if partition_info else 0
    mask = sample_mask(y, number, thresholds, seed) if len(part) else np.zeros(0, dtype=bool)
    out = part[mask].copy()
    out[TARGET] = y[mask].to_numpy()
    out[PARTITION] = np.full(int(mask.sum()), number, dtype=np.int64)
    return out


__all__ = [
    "MMAP_THRESHOLD",
    "PARTITION",
    "TARGET",
    "needs_mmap_threshold",
    "restore_mmap_threshold",
    "rows_named",
    "check_margin",
    "checked_margin",
    "prior_margin",
    "sample_partition",
    "score_partition",
    "training_partition",
]
