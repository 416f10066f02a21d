"""Above the context limit: every row in some context against one stratified subsample.

    python benchmarks/bench_bundled_pfn_rows.py --csv benchmarks/results/bundled_pfn_rows.csv \\
        --md benchmarks/results/bundled_pfn_rows.md

For every classification task of ``/work/shared/datasets`` with at least ``size`` training
rows (sizes 2,048 and 4,096), seeds 0-2: a shuffled stratified subsample of ``size`` rows
is the training set, the fixed test file (capped at 1,000 rows) the test set. Methods:

* ``all``: ``BundledPFNPrior(random_state=seed)`` on all rows: context parts of 1,024
  rows that together use every row, ``max(4, parts)`` passes;
* ``single``: the same prior on one stratified subsample of 1,024 of the rows (what the
  prior did before: one context, 4 passes).

Metric: ROC AUC (one-vs-rest macro for multiclass). Resumable like the other scripts.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import _interrupt  # noqa: F401
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _script import (  # noqa: E402
    SEED,
    SIZE,
    DefaultsHelpFormatter,
    check_summary_file,
    check_summary_only,
    command_line,
    interrupted,
    usage_error,
    write_summary,
)
from _suite import (  # noqa: E402
    CELLS_KEPT,
    appended_rows,
    check_summary,
    csv_lock,
    finished_cells,
    rows_kept,
    say_skipped_sizes,
    whole_rows,
)
from bench_bundled_pfn import DATASETS, auc, load_task  # noqa: E402

from llmboost.benchmarks.datasets import stratified_subsample  # noqa: E402

FIELDS = ["dataset", "size", "seed", "method", "auc", "seconds", "passes"]


def _score(method: str, Xtr, ytr, Xte, seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    from llmboost.priors import BundledPFNPrior

    if method == "single":
        keep = stratified_subsample(ytr, 1024, seed)
        Xtr, ytr = Xtr.iloc[keep], ytr[keep]
    prior = BundledPFNPrior(random_state=seed).fit(Xtr, ytr)
    z = prior.logits(Xte)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True), prior.classes_, max(4, len(prior.contexts_))


def run(args: argparse.Namespace) -> None:
    """Append every missing (dataset, size, seed, method) cell to ``args.csv``.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    None
    """
    tasks = sorted(p.name for p in DATASETS.iterdir() if (p / "meta.json").exists())
    if missing := sorted(set(args.datasets or ()) - set(tasks)):
        usage_error(
            f"--datasets: no task folder {missing} in {DATASETS}; choose from {', '.join(tasks)}"
        )
    path = Path(args.csv)
    done, new = finished_cells(path)
    with appended_rows(path, FIELDS, new) as append:
        for name in args.datasets or tasks:
            Xpool, ypool, Xte, yte, meta = load_task(name, 1000)
            if len(np.unique(ypool)) > 10:
                print(f"{name} is skipped: more than 10 classes", file=sys.stderr, flush=True)
                continue
            say_skipped_sizes({name: len(ypool)}, args.sizes)
            for size in args.sizes:
                if len(ypool) < size:
                    continue
                for seed in args.seeds:
                    idx = stratified_subsample(ypool, size, seed)
                    Xtr, ytr = Xpool.iloc[idx].reset_index(drop=True), ypool[idx]
                    for method in ("single", "all"):
                        if (name, size, seed, method) in done:
                            continue
                        t0 = time.perf_counter()
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            proba, classes, passes = _score(method, Xtr, ytr, Xte, seed)
                        row = {"dataset": name, "size": size, "seed": seed, "method": method}
                        row.update(auc=round(auc(yte, proba, classes), 6), passes=passes)
                        row["seconds"] = round(time.perf_counter() - t0, 3)
                        append(row)
                        done.add((name, size, seed, method))  # named twice: runs once
                        print(row, flush=True)


def summarize(csv_path: str, md_path: str, command: str) -> str:
    """The markdown summary of the large training sizes.

    Parameters
    ----------
    csv_path : str
    md_path : str
        Where the markdown is written.
    command : str
        The command line shown at the top.

    Returns
    -------
    str
        The markdown.
    """
    df = whole_rows(csv_path)  # not a row a stop cut short
    both = df.groupby(["dataset", "size", "seed"])["method"].transform("nunique") == 2
    df = df[both]  # a run stopped between a seed's two methods leaves it half done
    per = df.groupby(["size", "dataset", "method"])["auc"].mean().unstack("method")
    lines = [
        "# Bundled PFN above the context limit",
        "",
        "```",
        command,
        "```",
        "",
        "Mean ROC AUC over the seeds where both methods finished; `all` uses every training",
        "row (context parts of 1,024 rows), `single` one stratified subsample of 1,024 rows.",
        "",
        "| size | dataset | single | all | all - single |",
        "|---|---|---|---|---|",
    ]
    for (size, ds), r in per.iterrows():
        gap = r["all"] - r["single"]
        lines.append(f"| {size} | {ds} | {r['single']:.4f} | {r['all']:.4f} | {gap:+.4f} |")
    means = per.groupby(level=0).mean()
    secs = df.groupby(["size", "method"])["seconds"].median().unstack()
    lines += [
        "",
        "| size | datasets | mean single | mean all | all - single | all better "
        "| median s single / all |",
    ]
    lines.append("|---|---|---|---|---|---|---|")
    for size, r in means.iterrows():
        sub = per.loc[size]
        wins = int((sub["all"] > sub["single"]).sum())
        gap = r["all"] - r["single"]
        lines.append(
            f"| {size} | {len(sub)} | {r['single']:.4f} | {r['all']:.4f} | {gap:+.4f} "
            f"| {wins}/{len(sub)} | {secs.loc[size, 'single']:.1f} / {secs.loc[size, 'all']:.1f} |"
        )
    text = "\n".join(lines) + "\n"
    write_summary(md_path, text)
    return text


def main(argv: list[str] | None = None) -> None:
    """Run the large-context cells of the bundled PFN and write their summary.

    Parameters
    ----------
    argv : list of str, default=None
        Options such as ``["--sizes", "2048"]``; ``None`` reads the command line.

    Returns
    -------
    None
    """
    p = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter, description=__doc__.split("\n\n")[0]
    )
    p.add_argument(
        "--csv",
        default="benchmarks/results/bundled_pfn_rows.csv",
        help="results file: cells are appended, a rerun resumes",
    )
    p.add_argument("--md", default=None, help="write the summary markdown here")
    p.add_argument("--datasets", nargs="+", default=None, help="shared task folders (default: all)")
    p.add_argument("--sizes", nargs="+", type=SIZE, default=[2048, 4096], help="training rows")
    p.add_argument("--seeds", nargs="+", type=SEED, default=[0, 1, 2], help="subsample seeds")
    p.add_argument(
        "--summary-only", action="store_true", help="write --md from the CSV, run no cells"
    )
    args = p.parse_args(argv)
    check_summary_only(p, args, argv)
    check_summary_file("--md", args.md)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.summary_only:
        check_summary(args.md, [args.csv])
    else:
        try:
            with csv_lock(args.csv):
                run(args)
        except KeyboardInterrupt:
            interrupted(rows_kept(args.csv))
    if args.md:
        check_summary(args.md, [args.csv])
        print(summarize(args.csv, args.md, command_line("bench_bundled_pfn_rows.py", argv)))


__all__ = ["FIELDS", "main", "run", "summarize"]


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        interrupted(CELLS_KEPT)
