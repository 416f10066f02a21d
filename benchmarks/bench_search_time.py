"""Wall time of the fusion search: ``n_jobs=1`` against ``n_jobs=2``, and PFNBoost's fit.

    python benchmarks/bench_search_time.py jobs --rows 5000 --repeats 3
    python benchmarks/bench_search_time.py pfnboost --rows 1024 --repeats 3
    python benchmarks/bench_search_time.py selection --repeats 3

``jobs``: ``PriorBoostClassifier(scale="auto")`` with a logistic-regression prior on a
synthetic table (``--rows`` x 20, binary), fitted with ``n_jobs=1`` and ``n_jobs=2``
alternately; medians of ``--repeats`` fits each.

``pfnboost``: ``PriorBoostClassifier(prior=BundledPFNPrior())`` (PFNBoost's offline
default) fitted on ``--rows`` rows of five shared tasks (all rows of a task that has
fewer: the table says how many); the median fit time per task.
Run it from two checkouts (``PYTHONPATH=<checkout>``) to compare versions.

``selection``: the default selection's own cost, the evidence-gated ensemble selection on
all rows once against the subagged one (on 25 halves, the default), on synthetic
out-of-fold margins of the default 63 candidates (some informative, some noise) for
1,024 to 10,000 rows (``--rows`` picks one, 40 or more) and 2, 5 and 10 classes; evidence 0, the
case with the most greedy steps; medians of ``--repeats``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import _interrupt  # noqa: F401
import numpy as np
import pandas as pd
from _script import DefaultsHelpFormatter, check_classes, interrupted, usage_error

from llmboost import PriorBoostClassifier
from llmboost.benchmarks.cli import count

TASKS = ("heart", "diabetes", "blood", "creditg", "bank")
#: The classes the selection is timed on.
_CLASSES = (2, 5, 10)


def _seconds(fit) -> float:
    start = time.perf_counter()
    fit()
    return time.perf_counter() - start


def jobs(rows: int, repeats: int) -> None:
    """Print the fit seconds of the default search with ``n_jobs`` 1 and 2.

    Parameters
    ----------
    rows : int
    repeats : int

    Returns
    -------
    None
    """
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(rows, 20)), columns=[f"x{i}" for i in range(20)])
    y = (X["x0"] + X["x1"] * X["x2"] + rng.normal(size=rows) > 0).astype(int)
    check_classes("--rows", y, f"the {rows} rows of the synthetic table")  # before any fit
    times = {1: [], 2: []}
    for _ in range(repeats):
        for n_jobs in (1, 2):
            model = PriorBoostClassifier(n_jobs=n_jobs, random_state=0)
            times[n_jobs].append(_seconds(lambda m=model: m.fit(X, y)))
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print(f"{rows} rows x 20 columns, median of {repeats} fits")
    print("| n_jobs | seconds |\n|---|---|")
    print(f"| 1 | {one:.2f} |\n| 2 | {two:.2f} |")
    print(f"speed-up: {one / two:.2f}x")


def pfnboost(rows: int, repeats: int) -> None:
    """Print the fit seconds of PFNBoost (bundled PFN) on every shared task.

    Parameters
    ----------
    rows : int
        Training rows per task.
    repeats : int

    Returns
    -------
    None
    """
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_bundled_pfn import load_task

    from llmboost.benchmarks.datasets import stratified_subsample
    from llmboost.priors import BundledPFNPrior

    tables = {name: load_task(name, 1000)[:2] for name in TASKS}
    fewest = max(2 * len(np.unique(y)) for _, y in tables.values())
    if rows < fewest:  # said before any fit: the subsample gives every class two rows
        usage_error(
            f"argument --rows: {rows} rows cannot hold two rows of each class of every task; "
            f"give --rows {fewest} or more"
        )
    print(f"PFNBoost (bundled PFN) fit on {rows} rows (or all of a task's), median of {repeats}")
    print("| task | rows | seconds |\n|---|---|---|")
    medians = []
    for name, (train, y) in tables.items():
        pick = stratified_subsample(y, rows, 0)
        X, y = train.iloc[pick].reset_index(drop=True), y[pick]

        def fit(X=X, y=y):
            prior = BundledPFNPrior(random_state=0)
            PriorBoostClassifier(prior=prior, random_state=0).fit(X, y)

        times = [_seconds(fit) for _ in range(repeats)]
        medians.append(statistics.median(times))
        print(f"| {name} | {len(y)} | {medians[-1]:.2f} |", flush=True)
    print(f"| median | | {statistics.median(medians):.2f} |")


def selection(rows: int | None, repeats: int) -> None:
    """Print the seconds of one selection on all rows and of the subagged one.

    Parameters
    ----------
    rows : int or None
        Rows of the out-of-fold margins; None runs 1,024, 5,000 and 10,000.
    repeats : int

    Returns
    -------
    None
    """
    from llmboost.selection import ensemble_selection, subagged_selection

    if rows is not None:
        _check_selection_rows(rows)  # before any timing
    print(f"63 candidates, evidence 0, median of {repeats}")
    print("| rows | classes | once s | subagged s | ratio |\n|---|---|---|---|---|")
    for n in [1024, 5000, 10000] if rows is None else [rows]:
        for k in _CLASSES:
            oof, y = _synthetic_margins(n, k)
            args = (oof, y, "classification", 0)
            draws = np.random.default_rng(0)
            once = [_seconds(partial(ensemble_selection, *args, evidence=0.0))
                    for _ in range(repeats)]  # fmt: skip
            sub = [_seconds(partial(subagged_selection, *args, draws, evidence=0.0))
                   for _ in range(repeats)]  # fmt: skip
            a, b = statistics.median(once), statistics.median(sub)
            print(f"| {n} | {k} | {a:.3f} | {b:.3f} | {b / a:.1f} |", flush=True)


def _fewest_rows(k: int) -> int:
    """The fewest rows of :func:`_synthetic_margins` that hold each of ``k`` classes twice."""
    y = np.random.default_rng(0).integers(0, k, 10_000)  # its labels, as it draws them
    held = np.cumsum(np.eye(k, dtype=int)[y], axis=0).min(axis=1)
    return int(np.argmax(held >= 2)) + 1


def _check_selection_rows(rows: int) -> None:
    """Stop with a usage error unless ``rows`` synthetic rows hold two or more of every
    class: out-of-fold margins come from a cross-validation, which needs them."""
    need = max(map(_fewest_rows, _CLASSES))
    if rows < need:
        usage_error(
            f"argument --rows: {rows} rows cannot be cross-validated: the synthetic margins "
            "need two rows or more of every class, for 2, 5 and 10 classes, which their "
            f"first {need} rows hold; give --rows {need} or more"
        )


def _synthetic_margins(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """63 candidates' margins for ``n`` rows of ``k`` classes: the truth at random strengths
    (0 to 1.5) plus unit noise."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, k, n)
    truth = 2.0 * y - 1 if k == 2 else np.eye(k)[y]
    strength = rng.uniform(0, 1.5, (63,) + (1,) * truth.ndim)
    return strength * truth + rng.normal(size=(63,) + truth.shape), y


def main() -> None:
    """Run the timings the options ask for.

    Returns
    -------
    None
    """
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter, description=__doc__.splitlines()[0]
    )
    parser.add_argument("what", choices=["jobs", "pfnboost", "selection"])
    parser.add_argument(
        "--rows",
        type=count(1),
        default=None,
        help="rows timed; default: 5000 (jobs), 1024 (pfnboost), 1024, 5000 and 10000 (selection)",
    )
    parser.add_argument(
        "--repeats", type=count(1), default=3, help="timed runs of each, median reported"
    )
    args = parser.parse_args()
    if args.what == "jobs":
        jobs(5000 if args.rows is None else args.rows, args.repeats)
    elif args.what == "selection":
        selection(args.rows, args.repeats)
    else:
        pfnboost(1024 if args.rows is None else args.rows, args.repeats)


__all__ = ["TASKS", "jobs", "main", "pfnboost", "selection"]


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        interrupted()
