"""Running a suite: cells of (dataset, method, training size, seed), resumable.

Each finished cell is appended as one JSON line to ``results.jsonl``; a rerun skips the
cells already there (failed ones too, unless asked to retry them). A size above a
dataset's training rows is not fitted: its cells are recorded as ``"skipped"``, with the
reason, and a run says so once per dataset, as it does for sizes under two rows per
class, which train on more rows (``n_train``). Cells run in worker
processes; only the parent writes the file. Ctrl-C stops the workers at once and keeps
every finished cell; a line cut short by a stop is dropped before the next append. A
second run on the same folder stops at its start, naming the process running there.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import sys
import time
import traceback
from collections import Counter
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from sklearn.metrics import log_loss, roc_auc_score
from tqdm.auto import tqdm

from ..pfn._run_lock import hold_lock
from .datasets import dataset_name, load_dataset, stratified_subsample
from .methods import make_method
from .results import RESULTS, _check_records, _data_id, _drop_partial_line, cell_key, read_results

#: The lock file of a results folder, held by the run appending to it.
_LOCK = ".lock"


@lru_cache(maxsize=8)
def _dataset(spec: str, max_test: int):
    """The dataset, test set capped; or the error loading it raised, kept so that a
    download that failed is not tried again for every cell."""
    try:
        ds = load_dataset(spec)
    except Exception as error:
        return error
    if len(ds.y_test) > max_test:
        keep = np.sort(stratified_subsample(ds.y_test, max_test, seed=0))
        ds.X_test, ds.y_test = ds.X_test.iloc[keep].reset_index(drop=True), ds.y_test[keep]
    return ds


def run_cell(spec: str, method: str, size, seed: int, n_trials: int, max_test: int) -> dict:
    """Fit one method on one subsample and score it on the test set; never raises.

    Parameters
    ----------
    spec : str
        The dataset (see :func:`~llmboost.benchmarks.datasets.load_dataset`).
    method : str
        A name of :data:`~llmboost.benchmarks.methods.METHODS`.
    size : int or "all"
        Training rows.
    seed : int
    n_trials : int
        Tuning budget.
    max_test : int
        Most test rows scored.

    Returns
    -------
    dict
        The record: ``status`` ``"ok"`` with scores and times, ``"skipped"`` with the
        dataset's ``n_rows`` and the ``reason`` when ``size`` exceeds its training rows
        (nothing is fitted), or ``"failed"`` with the error.
    """
    record = {
        "dataset": dataset_name(spec),
        "method": method,
        "size": size,
        "seed": seed,
        "n_trials": n_trials,
        "max_test": max_test,
        "host": f"{platform.machine()} {os.cpu_count()} CPUs",
    }
    record["data"] = _data_id(spec)  # which table the cell was computed on
    try:
        ds = _dataset(spec, max_test)
        if isinstance(ds, Exception):
            return {**record, **_failure(ds)}
        n_rows = len(ds.y_train)
        if size != "all" and size > n_rows:
            reason = f"size {size} exceeds the {n_rows} training rows of {record['dataset']}"
            return {**record, "status": "skipped", "n_rows": n_rows, "reason": reason}
        record.update(_fit_and_score(ds, method, size, seed, n_trials))
    except Exception as error:  # a failed cell is recorded, the suite goes on
        record.update(_failure(error))
    return record


def _failure(error: Exception) -> dict:
    """The fields of a failed cell's record."""
    return {
        "status": "failed",
        "error": f"{type(error).__name__}: {error}",
        "traceback": "".join(traceback.format_exception(error, limit=5)),
    }


def _fit_and_score(ds, method: str, size, seed: int, n_trials: int) -> dict:
    rows = stratified_subsample(ds.y_train, len(ds.y_train) if size == "all" else size, seed)
    X, y = ds.X_train.iloc[rows].reset_index(drop=True), ds.y_train[rows]
    model = make_method(method, ds, seed, n_trials)
    start = time.perf_counter()
    model.fit(X, y)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    proba = model.predict_proba(ds.X_test)
    predict_s = time.perf_counter() - start
    return dict(
        status="ok",
        n_train=len(y),
        fit_s=fit_s,
        predict_s=predict_s,
        **_scores(ds.y_test, proba, np.asarray(model.classes_)),
    )


def _scores(y_true: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> dict:
    """AUC and log loss on the test rows of classes the model knows: ``n_test`` rows
    scored, and ``n_test_unscored`` those of classes absent from the training rows."""
    seen = np.isin(y_true, classes)
    unscored = {} if seen.all() else {"n_test_unscored": int((~seen).sum())}
    y_true, proba = y_true[seen], proba[seen]
    if len(classes) == 2:
        auc = roc_auc_score(y_true == classes[1], proba[:, 1])
    else:
        present = np.isin(classes, y_true)
        p = proba[:, present] / proba[:, present].sum(axis=1, keepdims=True)
        if present.sum() == 2:  # two of the classes in the test rows: a binary AUC
            auc = roc_auc_score(y_true == classes[present][1], p[:, 1])
        else:
            labels = classes[present]
            auc = roc_auc_score(y_true, p, multi_class="ovr", average="macro", labels=labels)
    return {
        "n_test": len(y_true),
        **unscored,
        "auc": float(auc),
        "log_loss": float(log_loss(y_true, np.clip(proba, 1e-15, 1), labels=classes)),
    }


def _run_cell(args: tuple) -> dict:
    return run_cell(*args)


def _ignore_interrupt() -> None:
    """Workers leave Ctrl-C to the parent, which stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _wanted(datasets, methods, sizes, seeds) -> dict:
    """The suite's cells in run order, by :func:`cell_key`."""
    return {  # a cell named twice (--seeds 0 0, a folder given two ways) runs once
        (dataset_name(spec), method, str(size), seed): (spec, method, size, seed)
        for spec in datasets
        for size in sizes
        for seed in seeds
        for method in methods
    }


def _missing_cells(records, datasets, methods, sizes, seeds, retry_failed: bool) -> list:
    """The cells with no record (or, with ``retry_failed``, a failed one), in run order."""
    records = {cell_key(r): r for r in records}
    cells, skipped_failed = [], 0
    for key, cell in _wanted(datasets, methods, sizes, seeds).items():
        record = records.get(key)
        if record is None or (record["status"] == "failed" and retry_failed):
            cells.append(cell)
        elif record["status"] == "failed":
            skipped_failed += 1
    if skipped_failed:
        one = skipped_failed == 1
        print(
            f"{skipped_failed} cell{'' if one else 's'} failed in an earlier run and "
            f"{'is' if one else 'are'} skipped; add --retry-failed to run "
            f"{'it' if one else 'them'} again.",
            file=sys.stderr,
        )
    return cells


def _records(cells: list, n_trials: int, max_test: int, jobs: int):
    """The cells' records as they finish, in this process or in ``jobs`` workers."""
    tasks = [(*cell, n_trials, max_test) for cell in cells]
    _dataset.cache_clear()  # every run reads its tables, and tries failed downloads, afresh
    for spec in dict.fromkeys(t[0] for t in tasks if jobs > 1 and t[0].startswith("openml:")):
        if isinstance(_dataset(spec, max_test), Exception):  # tried here, not in each worker
            yield from (_run_cell(task) for task in tasks if task[0] == spec)
            tasks = [task for task in tasks if task[0] != spec]
        _dataset.cache_clear()  # the workers read the table from the cache
    if jobs <= 1 or not tasks:
        for task in tasks:
            yield _run_cell(task)
        return
    # spawn, not fork: forking a process whose OpenMP threads ran (LightGBM,
    # XGBoost, torch) can deadlock the child.
    unset = "OMP_NUM_THREADS" not in os.environ
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # the workers inherit it when they start
    try:
        # no more workers than cells: each starts by importing the libraries, for seconds
        pool = get_context("spawn").Pool(min(jobs, len(tasks)), initializer=_ignore_interrupt)
    finally:  # the caller's own setting is left as it was
        if unset:
            del os.environ["OMP_NUM_THREADS"]
    try:
        yield from pool.imap_unordered(_run_cell, tasks)
    finally:  # all done, or Ctrl-C: stop the running cells now, drop the queue
        pool.terminate()
        pool.join()


def run_suite(
    datasets: list[str],
    methods: list[str],
    sizes: list,
    seeds: list[int],
    out_dir: Path,
    *,
    jobs: int = 1,
    n_trials: int = 0,
    max_test: int = 2000,
    retry_failed: bool = False,
    progress: bool = True,
) -> Path:
    """Run every missing cell and append its record.

    Parameters
    ----------
    datasets, methods : list of str
    sizes : list of int or "all"
    seeds : list of int
    out_dir : Path
        Folder of ``results.jsonl``.
    jobs : int, default=1
        Worker processes.
    n_trials : int, default=0
    max_test : int, default=2000
    retry_failed : bool, default=False
        Run cells that failed before again.
    progress : bool, default=True

    Returns
    -------
    Path
        The results file.

    Raises
    ------
    ValueError
        When ``out_dir`` holds results of another ``n_trials``, ``max_test`` or data
        (:func:`~llmboost.benchmarks.results.check_settings`), a results file
        :func:`~llmboost.benchmarks.results.read_results` refuses, or another process is
        running a suite in it (it holds ``out_dir/.lock``).
    """
    return _run_suite(
        datasets,
        methods,
        sizes,
        seeds,
        out_dir,
        jobs=jobs,
        n_trials=n_trials,
        max_test=max_test,
        retry_failed=retry_failed,
        progress=progress,
    )[0]


def _run_suite(
    datasets, methods, sizes, seeds, out_dir, *, jobs, n_trials, max_test, retry_failed, progress
) -> tuple:
    """:func:`run_suite`'s results file, and how many of the suite's cells hold each
    status after the run (by their latest records: earlier runs' count too)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with hold_lock(out_dir / _LOCK, _refuse(out_dir)):  # one run appends to a folder
        records = read_results(out_dir)  # once: the checks, the cells to run and the warnings
        _check_records(out_dir, records, n_trials, max_test, datasets)
        path = out_dir / RESULTS
        _drop_partial_line(path)
        cells = _missing_cells(records, datasets, methods, sizes, seeds, retry_failed)
        tasks = _records(cells, n_trials, max_test, jobs)
        new = _append(path, tasks, len(cells), progress)
    _warn_sizes(records + new, datasets, sizes)
    _warn_failed([r for r in new if r["status"] == "failed"], len(cells), path)
    latest = {cell_key(r): r["status"] for r in records + new}
    wanted = _wanted(datasets, methods, sizes, seeds)
    return path, Counter(latest[key] for key in wanted if key in latest)


def _refuse(out_dir: Path):
    """What a run says when another process holds ``out_dir``'s lock."""

    def refuse(holder: str) -> None:
        raise ValueError(
            f"{holder} is running a suite in {out_dir} (it holds {out_dir / _LOCK}): let it "
            "finish or stop it first, or use another folder"
        )

    return refuse


def _append(path: Path, records, n_cells: int, progress: bool) -> list[dict]:
    """Append each record to ``path`` as it comes, flushed; the records appended."""
    bar = tqdm(total=n_cells, desc="cells", unit="cell", disable=not progress)
    done = []
    with path.open("a") as sink:
        for record in records:
            sink.write(json.dumps(record) + "\n")
            sink.flush()
            bar.set_postfix_str(f"{record['dataset']} {record['method']} {record['status']}")
            bar.update(1)
            done.append(record)
    bar.close()
    return done


def _warn_failed(failed: list[dict], n_cells: int, path: Path) -> None:
    """Say how many of this run's cells failed, and the first error."""
    if failed:
        first = failed[0]
        print(
            f"{len(failed)} of {n_cells} cell{'s' if n_cells > 1 else ''} failed in this run "
            f"(first: {first['dataset']} {first['method']}: {first['error'].splitlines()[0]}); "
            f"{'their errors are' if len(failed) > 1 else 'its error is'} in {path} and the "
            "report.",
            file=sys.stderr,
        )


def _warn_sizes(records: list[dict], datasets: list[str], sizes: list) -> None:
    """Say which of the suite's sizes were skipped, or trained on more rows, per dataset."""
    names, wanted = {dataset_name(d) for d in datasets}, {str(s) for s in sizes}
    records = [r for r in records if r["dataset"] in names and str(r["size"]) in wanted]
    _warn_skipped(records)
    _warn_raised(records)


def _warn_skipped(records: list[dict]) -> None:
    """Say once per dataset which of the suite's sizes exceed its training rows."""
    over: dict[str, tuple[int, set]] = {}
    for r in records:
        if r["status"] == "skipped":
            over.setdefault(r["dataset"], (r["n_rows"], set()))[1].add(int(r["size"]))
    for name, (n_rows, too_big) in over.items():
        print(
            f"{name} has {n_rows} training rows, fewer than size "
            f"{', '.join(map(str, sorted(too_big)))}: those cells are skipped (status "
            f"'skipped' in {RESULTS}); use size 'all' to train on every row.",
            file=sys.stderr,
        )


def _warn_raised(records: list[dict]) -> None:
    """Say once per dataset which sizes trained on more rows, to give each class two."""
    raised: dict[str, dict[int, int]] = {}
    for r in records:
        # records written before n_train was recorded: not said
        if r["status"] == "ok" and r["size"] != "all" and r.get("n_train", 0) > int(r["size"]):
            raised.setdefault(r["dataset"], {})[int(r["size"])] = r["n_train"]
    for name, rows in raised.items():
        said = ", ".join(f"size {size} on {n}" for size, n in sorted(rows.items()))
        print(
            f"{name} trains {said} rows: every class gets at least two training rows "
            f"(n_train in {RESULTS}); use sizes of at least {max(rows.values())} to train "
            "on exactly that many.",
            file=sys.stderr,
        )


__all__ = ["run_cell", "run_suite"]
