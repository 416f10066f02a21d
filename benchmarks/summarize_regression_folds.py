"""PFNBoostRegressor with shuffled against target-sorted folds: the summary table.

    python benchmarks/summarize_regression_folds.py > benchmarks/results/regression_folds.md

Reads ``benchmarks/results/regression_folds.csv``: cells of
``bench_bundled_pfn_regression.py --methods pfnboost`` run with shuffled folds (commit
ac50241, checked out with ``git worktree add /tmp/old ac50241`` and run as
``PYTHONPATH=/tmp/old python benchmarks/bench_bundled_pfn_regression.py ...`` from
there) and with target-sorted folds (the commit that made them the default), on the
same (dataset, size, seed) cells: seeds 0-4 at every size (the main benchmark's
cells), seeds 5-9 at 32 to 128 rows, seeds 10-19 at 32 and 64 rows (``--sizes``,
``--seeds``). ``regression_folds_baselines.csv`` holds the PFN alone, ridge, random
forest and XGBoost (``--methods pfn ridge rf xgb``) on the 32- and 64-row cells of all
20 seeds, to check the targets on more seeds than the main benchmark's 5.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

CSV = Path(__file__).parent / "results" / "regression_folds.csv"
BASELINES = CSV.with_name("regression_folds_baselines.csv")


def summary(df: pd.DataFrame) -> str:
    """Markdown: mean R^2 per size (means over seeds per dataset, then over datasets).

    Parameters
    ----------
    df : DataFrame
        Columns dataset, size, seed, folds, r2.

    Returns
    -------
    str
    """
    wide = df.pivot_table(index=["dataset", "size", "seed"], columns="folds", values="r2")
    wide = wide.dropna()
    diff = (wide["target-sorted"] - wide["shuffled"]).rename("diff")
    per_ds = wide.assign(diff=diff).groupby(["size", "dataset"]).mean()
    by_size = per_ds.groupby("size").mean()
    sem = per_ds["diff"].groupby("size").sem()
    cells = diff.groupby("size")
    lines = [
        "| size | seeds | shuffled | target-sorted | difference | se over datasets "
        "| cells changed | better |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for size, row in by_size.iterrows():
        d = cells.get_group(size)
        seeds = d.index.get_level_values("seed").nunique()
        lines.append(
            f"| {size} | {seeds} | {row['shuffled']:.4f} | {row['target-sorted']:.4f} "
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


def with_baselines(folds: pd.DataFrame, baselines: pd.DataFrame) -> str:
    """Markdown: mean R^2 of both fold kinds and the baselines on the baselines' sizes.

    Parameters
    ----------
    folds, baselines : DataFrame
        :data:`CSV` and :data:`BASELINES`.

    Returns
    -------
    str
    """
    sizes = sorted(baselines["size"].unique())
    fused = folds.assign(method="pfnboost, " + folds["folds"] + " folds")
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


def main() -> None:
    """Print the summary of :data:`CSV` and :data:`BASELINES`."""
    folds = pd.read_csv(CSV)
    print("# Regression folds: shuffled against target-sorted\n")
    print(__doc__.split("\n\n", 2)[2].strip() + "\n")
    print(summary(folds))
    print("\nMean R^2 with the baselines on the same cells:\n")
    print(with_baselines(folds, pd.read_csv(BASELINES)))


if __name__ == "__main__":
    main()
