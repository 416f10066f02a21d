"""The bundled PFN alone, before and after priors shared one input layer.

Before (commit 776a19e) the bundled PFN numbered a text column's categories in order of
first appearance in its training rows; after, every prior reads the categories in the
order :func:`llmboost._validation.to_frame` gives them (sorted text). This compares the
bundled PFN's test AUC and log loss on the shared tasks that have categorical columns,
at 32/128/512 training rows and 3 seeds. Both versions see identical rows: this process
draws them with the current loaders and hands them to one worker per version, each
importing llmboost from its own tree (``PYTHONPATH``).

Usage (about a minute on 2 cores)::

    git worktree add /tmp/llmboost-before 776a19e
    nice python benchmarks/bench_input_layer.py --before /tmp/llmboost-before \\
        --out benchmarks/results/input_layer.md
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import _interrupt  # noqa: F401
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATASETS = Path("/work/shared/datasets")
SIZES = (32, 128, 512)
SEEDS = (0, 1, 2)
#: Test rows scored per task (a fixed stratified subsample of the test set).
MAX_TEST = 1000


def categorical_tasks(folder: Path) -> list[Path]:
    """Classification task folders whose ``meta.json`` lists categorical columns."""
    out = []
    for meta_path in sorted(folder.glob("*/meta.json")):
        meta = json.loads(meta_path.read_text())
        if meta.get("task_type") == "classification" and meta.get("categorical_columns"):
            out.append(meta_path.parent)
    return out


def build_cells(folder: Path) -> list[dict]:
    """Every (task, size, seed) cell: its training rows and its task's test rows."""
    from llmboost.benchmarks.datasets import load_dataset, stratified_subsample

    cells = []
    for task in categorical_tasks(folder):
        data = load_dataset(str(task))
        test = stratified_subsample(data.y_test, MAX_TEST, 0)
        X_test, y_test = data.X_test.iloc[test].reset_index(drop=True), data.y_test[test]
        for size in SIZES:
            for seed in SEEDS:
                rows = stratified_subsample(data.y_train, size, seed)
                cells.append(
                    {
                        "task": data.name,
                        "size": size,
                        "seed": seed,
                        "X": data.X_train.iloc[rows].reset_index(drop=True),
                        "y": data.y_train[rows],
                        "X_test": X_test,
                        "y_test": y_test,
                    }
                )
    return cells


def worker(cells_path: str, out_path: str) -> None:
    """Fit the bundled PFN of the llmboost on ``sys.path`` on each cell; save probabilities."""
    import torch

    import llmboost
    from llmboost.priors import BundledPFNPrior

    root = os.environ["PYTHONPATH"]
    if not Path(llmboost.__file__).resolve().is_relative_to(Path(root).resolve()):
        raise SystemExit(f"llmboost was imported from {llmboost.__file__}, not from {root}.")
    torch.set_num_threads(1)
    with open(cells_path, "rb") as f:
        cells = pickle.load(f)  # written by this script's parent process
    out = []
    for cell in cells:
        prior = BundledPFNPrior(random_state=cell["seed"]).fit(cell["X"], cell["y"])
        z = prior.logits(cell["X_test"])
        proba = np.exp(z - z.max(axis=1, keepdims=True))
        out.append((list(prior.classes_), proba / proba.sum(axis=1, keepdims=True)))
    with open(out_path, "wb") as f:
        pickle.dump(out, f)


def run_version(root: Path, cells_path: str, tmp: str, name: str) -> list:
    out_path = os.path.join(tmp, f"{name}.pkl")
    # absolute: the worker starts in the temporary folder
    env = {**os.environ, "PYTHONPATH": str(Path(root).resolve()), "OMP_NUM_THREADS": "1"}
    code = (  # Ctrl-C ends the worker without its traceback: the script says what it kept
        "import signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
        "sys.path.insert(0, sys.argv[1]); import bench_input_layer as b; "
        "b.worker(sys.argv[2], sys.argv[3])"
    )
    cmd = [sys.executable, "-c", code, str(Path(__file__).parent), cells_path, out_path]
    subprocess.run(cmd, check=True, env=env, cwd=tempfile.gettempdir())
    with open(out_path, "rb") as f:
        return pickle.load(f)  # written by the worker this function started


def scores(classes: list, proba: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(macro one-vs-rest AUC, log loss) over the test rows whose class the prior knows."""
    from sklearn.metrics import log_loss, roc_auc_score

    keep = np.isin(y, classes)
    y, proba = y[keep], proba[keep]
    aucs = [
        roc_auc_score(y == c, proba[:, k])
        for k, c in enumerate(classes)
        if 0 < np.sum(y == c) < len(y)
    ]
    loss = log_loss(y, np.clip(proba, 1e-7, 1), labels=classes)
    return float(np.mean(aucs)), float(loss)


def table(cells: list[dict], before: list, after: list) -> pd.DataFrame:
    rows = []
    for cell, b, a in zip(cells, before, after):
        auc_b, loss_b = scores(*b, cell["y_test"])
        auc_a, loss_a = scores(*a, cell["y_test"])
        rows.append(
            {
                "task": cell["task"],
                "size": cell["size"],
                "seed": cell["seed"],
                "auc_before": auc_b,
                "auc_after": auc_a,
                "logloss_before": loss_b,
                "logloss_after": loss_a,
            }
        )
    return pd.DataFrame(rows)


def markdown(frame: pd.DataFrame, fmt: str) -> str:
    """``frame`` as a markdown table, numbers formatted with ``fmt``."""

    def cell(v) -> str:
        return format(v, fmt) if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |"]
    lines.append("|" + "---|" * frame.shape[1])
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join(lines)


def summarize(by_task: pd.DataFrame) -> str:
    """One paragraph: the mean changes, the cells that moved, and the seed noise."""
    big = by_task[by_task["auc_change"].abs() > 0.01]
    moved = ", ".join(f"{t} {n}" for t, n in zip(big["task"], big["size"]))
    return (
        f"Over all {len(by_task)} task-size means the AUC changed by "
        f"{by_task['auc_change'].mean():+.4f} and the log loss by "
        f"{by_task['logloss_change'].mean():+.4f} on average; {len(big)} of them moved "
        f"the AUC by more than 0.01 ({moved}). For scale, `auc_seed_sd` is the standard "
        "deviation of the AUC over the 3 seeds (before): the change of category order is "
        f"below it in {int((by_task['auc_change'].abs() < by_task['auc_seed_sd']).sum())} "
        f"of {len(by_task)} task-size means."
    )


def report(frame: pd.DataFrame, command: str) -> str:
    """The markdown page: per task and size (mean of the seeds), then per size."""
    cols = ["auc_before", "auc_after", "logloss_before", "logloss_after"]
    by_task = frame.groupby(["task", "size"])[cols].mean().reset_index()
    by_task["auc_change"] = by_task["auc_after"] - by_task["auc_before"]
    by_task["logloss_change"] = by_task["logloss_after"] - by_task["logloss_before"]
    by_task["auc_seed_sd"] = frame.groupby(["task", "size"])["auc_before"].std().to_numpy()
    by_size = by_task.groupby("size")[["auc_change", "logloss_change"]].agg(["mean", "min", "max"])
    by_size.columns = [f"{a} {b}" for a, b in by_size.columns]
    n_tasks = frame["task"].nunique()
    summary = summarize(by_task)
    for name in ("auc_change", "logloss_change"):
        by_task[name] = by_task[name].map(lambda v: f"{v:+.4f}")
    return "\n".join(
        [
            "# Bundled PFN before and after the shared input layer",
            "",
            "Before (776a19e) the bundled PFN numbered a text column's categories in order of",
            "first appearance in its training rows; after, every prior uses the order",
            "`to_frame` gives (sorted text categories). Only that differs for the bundled PFN:",
            "numbers, missing values and unseen categories are read as before. Bundled PFN",
            f"alone (default settings), {n_tasks} shared classification tasks with categorical",
            f"columns, training subsamples of {', '.join(map(str, SIZES))} rows (stratified,",
            f"seeds {', '.join(map(str, SEEDS))}; a task with fewer training rows uses all of",
            f"them, in a seeded order), scored on up to {MAX_TEST} test rows (a fixed stratified",
            "subsample). AUC is the macro one-vs-rest AUC. Changes are after minus before (AUC:",
            "higher is better; log loss: lower is better), means over seeds. The whole run",
            "takes about a minute of CPU (torch on one thread per version).",
            "",
            summary,
            "",
            "TabPFN v2 weights are not on this machine, so only the bundled PFN is measured;",
            "TabPFN and TabICL also read categories in `to_frame`'s order now (they already",
            "used sorted text categories for text columns before).",
            "",
            "Reproduce:",
            "",
            "```",
            command,
            "```",
            "",
            "## Change per training size (over tasks)",
            "",
            markdown(by_size.reset_index(), "+.4f"),
            "",
            "## Per task and size",
            "",
            markdown(by_task, ".4f"),
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    # here: the workers import this file
    from _script import DefaultsHelpFormatter, check_summary_file, tasks_folder_name

    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter, description=__doc__.splitlines()[0]
    )
    parser.add_argument("--before", required=True, help="worktree of commit 776a19e")
    parser.add_argument(
        "--datasets",
        type=tasks_folder_name,
        default=str(DATASETS),
        help="folder of task folders; those with categorical columns are timed",
    )
    parser.add_argument(
        "--out",
        default=str(ROOT / "benchmarks/results/input_layer.md"),
        help="write the markdown report here",
    )
    args = parser.parse_args(argv)
    check_summary_file("--out", args.out)
    if not args.before.strip():  # an unset shell variable: read as the current folder
        parser.error("argument --before: it is empty; give a worktree of commit 776a19e")
    if not (Path(args.before) / "llmboost" / "__init__.py").is_file():  # before any cell
        parser.error(
            f"argument --before: {args.before} holds no llmboost/__init__.py; give a "
            f"worktree of commit 776a19e (git worktree add {args.before} 776a19e)"
        )
    if not categorical_tasks(Path(args.datasets)):  # both versions ran, then a KeyError
        parser.error(
            f"argument --datasets: {args.datasets} holds no classification task folder "
            "with categorical columns (in its meta.json); give the folder of task folders"
        )
    cells = build_cells(Path(args.datasets))
    with tempfile.TemporaryDirectory() as tmp:
        cells_path = os.path.join(tmp, "cells.pkl")
        with open(cells_path, "wb") as f:
            pickle.dump(cells, f)
        before = run_version(Path(args.before), cells_path, tmp, "before")
        after = run_version(ROOT, cells_path, tmp, "after")
    frame = table(cells, before, after)
    options = shlex.join(sys.argv[1:] if argv is None else argv)  # every option as given
    command = (
        f"git worktree add {args.before} 776a19e\n"
        f"nice python benchmarks/bench_input_layer.py {options}"
    )
    from _script import write_summary  # here: the workers import this file with another llmboost

    write_summary(args.out, report(frame, command))
    print(Path(args.out).read_text())


__all__ = ["build_cells", "categorical_tasks", "main", "report", "scores", "worker"]

if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        from _script import interrupted  # here: the workers import this file with another llmboost

        interrupted()
