"""Wall time of the fusion search: ``n_jobs=1`` against ``n_jobs=2``, and PFNBoost's fit.

    python benchmarks/bench_search_time.py jobs --rows 5000 --repeats 3
    python benchmarks/bench_search_time.py pfnboost --rows 1024 --repeats 3

``jobs``: ``PriorBoostClassifier(scale="auto")`` with a logistic-regression prior on a
synthetic table (``--rows`` x 20, binary), fitted with ``n_jobs=1`` and ``n_jobs=2``
alternately; medians of ``--repeats`` fits each.

``pfnboost``: ``PriorBoostClassifier(prior=BundledPFNPrior())`` (PFNBoost's offline
default) fitted on ``--rows`` rows of five shared tasks; the median fit time per task.
Run it from two checkouts (``PYTHONPATH=<checkout>``) to compare versions.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from llmboost import PriorBoostClassifier

TASKS = ("heart", "diabetes", "blood", "creditg", "bank")


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

    print(f"PFNBoost (bundled PFN) fit on {rows} rows, median of {repeats}")
    print("| task | seconds |\n|---|---|")
    medians = []
    for name in TASKS:
        train, y, _, _, _ = load_task(name, 1000)
        pick = stratified_subsample(y, rows, 0)
        X, y = train.iloc[pick].reset_index(drop=True), y[pick]

        def fit(X=X, y=y):
            prior = BundledPFNPrior(random_state=0)
            PriorBoostClassifier(prior=prior, random_state=0).fit(X, y)

        times = [_seconds(fit) for _ in range(repeats)]
        medians.append(statistics.median(times))
        print(f"| {name} | {medians[-1]:.2f} |", flush=True)
    print(f"| median | {statistics.median(medians):.2f} |")


def main() -> None:
    """Run the timings the options ask for.

    Returns
    -------
    None
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["jobs", "pfnboost"])
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.what == "jobs":
        jobs(args.rows or 5000, args.repeats)
    else:
        pfnboost(args.rows or 1024, args.repeats)


__all__ = ["TASKS", "jobs", "main", "pfnboost"]


if __name__ == "__main__":
    main()
