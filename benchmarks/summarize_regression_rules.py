"""PFNBoostRegressor under two rules of its fusion search, on the same cells: the summary.

    python benchmarks/summarize_regression_rules.py folds > benchmarks/results/regression_folds.md
    python benchmarks/summarize_regression_rules.py halves > benchmarks/results/regression_halves.md

Each comparison (:data:`COMPARISONS`) reads a CSV of ``bench_bundled_pfn_regression.py
--methods pfnboost`` cells with a column naming the rule each cell ran under, and
``regression_folds_baselines.csv``: ridge, random forest, XGBoost (and, for the folds, the
PFN alone) on the 32- and 64-row cells of seeds 0-19
(``--methods pfn ridge rf xgb --sizes 32 64 --seeds 0 ... 19``), to check the targets on
more seeds than the main benchmark's 5.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NamedTuple

import _interrupt  # noqa: F401
import pandas as pd

RESULTS = Path(__file__).parent / "results"
BASELINES = RESULTS / "regression_folds_baselines.csv"


class Comparison(NamedTuple):
    """A results file, its rule column, the two rules, and what the summary says first."""

    csv: str
    column: str
    before: str
    after: str
    title: str
    about: str
    baselines: tuple[str, ...]


COMPARISONS = {
    "folds": Comparison(
        "regression_folds.csv",
        "folds",
        "shuffled",
        "target-sorted",
        "Regression folds: shuffled against target-sorted",
        """Reads ``benchmarks/results/regression_folds.csv``: cells of
``bench_bundled_pfn_regression.py --methods pfnboost`` run with shuffled folds (commit
ac50241, checked out with ``git worktree add /tmp/old ac50241`` and run as
``PYTHONPATH=/tmp/old python benchmarks/bench_bundled_pfn_regression.py ...`` from
there) and with target-sorted folds (the commit that made them the default), on the
same (dataset, size, seed) cells: seeds 0-4 at every size (the main benchmark's
cells), seeds 5-9 at 32 to 128 rows, seeds 10-19 at 32 and 64 rows (``--sizes``,
``--seeds``). ``regression_folds_baselines.csv`` holds the PFN alone, ridge, random
forest and XGBoost (``--methods pfn ridge rf xgb``) on the 32- and 64-row cells of all
20 seeds, to check the targets on more seeds than the main benchmark's 5.""",
        ("pfn", "ridge", "rf", "xgb"),
    ),
    "halves": Comparison(
        "regression_halves.csv",
        "rule",
        "all rows",
        "halves while unprotected",
        "Regression fusion search: selection on all rows against halves while unprotected",
        """Reads ``benchmarks/results/regression_halves.csv``: cells of
``bench_bundled_pfn_regression.py --methods pfnboost`` run with the selection on all rows
for every regressor (commit 119af3c, run from ``git worktree add /tmp/prev 119af3c`` with
``PYTHONPATH=/tmp/prev``) and with the selection also averaged over 25 halves of the
rows while the prior's protection is below the full 2 standard errors (the commit that
made it the default), on the same cells: seeds 0-4 at 32 to 256 rows (the main
benchmark's cells) and seeds 5-19 at 32 and 64 rows (``--sizes 32 64 --seeds 5 ...
19``). At 512 and 1,024 rows every prior in the main benchmark is fully protected, so
the two rules agree there. The baselines are ridge, random forest and XGBoost from
``regression_folds_baselines.csv`` (its PFN rows predate ``n_ensemble="auto"``).""",
        ("ridge", "rf", "xgb"),
    ),
}


def summary(df: pd.DataFrame, comp: Comparison) -> str:
    """Markdown: mean R^2 per size (means over seeds per dataset, then over datasets).

    Parameters
    ----------
    df : DataFrame
        Columns dataset, size, seed, ``comp.column``, r2.
    comp : Comparison

    Returns
    -------
    str
    """
    wide = df.pivot_table(index=["dataset", "size", "seed"], columns=comp.column, values="r2")
    wide = wide.dropna()
    diff = (wide[comp.after] - wide[comp.before]).rename("diff")
    per_ds = wide.assign(diff=diff).groupby(["size", "dataset"]).mean()
    by_size = per_ds.groupby("size").mean()
    sem = per_ds["diff"].groupby("size").sem()
    cells = diff.groupby("size")
    lines = [
        f"| size | seeds | {comp.before} | {comp.after} | difference | se over datasets "
        "| cells changed | better |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for size, row in by_size.iterrows():
        d = cells.get_group(size)
        seeds = d.index.get_level_values("seed").nunique()
        lines.append(
            f"| {size} | {seeds} | {row[comp.before]:.4f} | {row[comp.after]:.4f} "
            f"| {row['diff']:+.4f} | {sem[size]:.4f} | {(d.abs() > 1e-9).sum()} of {len(d)} "
            f"| {(d > 1e-9).sum()} |"
        )
    table = per_ds["diff"].unstack("size")
    lines += ["", "Difference per dataset (mean over seeds):", ""]
    lines.append("| dataset | " + " | ".join(str(c) for c in table.columns) + " |")
    lines.append("|---" * (len(table.columns) + 1) + "|")
    for name, row in table.iterrows():
        cells = ["" if pd.isna(v) else f"{v:+.4f}" for v in row]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def with_baselines(rules: pd.DataFrame, baselines: pd.DataFrame, comp: Comparison) -> str:
    """Markdown: mean R^2 under both rules and of the baselines on the baselines' sizes.

    Parameters
    ----------
    rules : DataFrame
        The comparison's cells.
    baselines : DataFrame
        :data:`BASELINES`.
    comp : Comparison

    Returns
    -------
    str
    """
    baselines = baselines[baselines["method"].isin(comp.baselines)]
    sizes = sorted(baselines["size"].unique())
    label = " folds" if comp.column == "folds" else ""
    fused = rules.assign(method="pfnboost, " + rules[comp.column] + label)
    df = pd.concat([baselines, fused[fused["size"].isin(sizes)]])
    mean = df.groupby(["method", "size", "dataset"])["r2"].mean().groupby(["method", "size"])
    table = mean.mean().unstack("size")
    seeds = df.groupby("size")["seed"].nunique()
    lines = [
        "| method | " + " | ".join(f"{s} rows ({seeds[s]} seeds)" for s in sizes) + " |",
        "|---" * (len(sizes) + 1) + "|",
    ]
    for method, row in table.iterrows():
        lines.append(f"| {method} | " + " | ".join(f"{v:.4f}" for v in row) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Print the summary of one comparison.

    Parameters
    ----------
    argv : list of str, default=None
        ``["folds"]`` or ``["halves"]``; ``None`` reads the command line.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("comparison", choices=sorted(COMPARISONS))
    comp = COMPARISONS[parser.parse_args(argv).comparison]
    rules = pd.read_csv(RESULTS / comp.csv)
    print(f"# {comp.title}\n")
    print(comp.about + "\n")
    print(summary(rules, comp))
    print("\nMean R^2 with the baselines on the same cells:\n")
    print(with_baselines(rules, pd.read_csv(BASELINES), comp))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        from _script import interrupted

        interrupted()
