"""ROC AUC of the bundled PFN, PFNBoost with it, and standard baselines at small sizes.

    python benchmarks/bench_bundled_pfn.py --csv benchmarks/results/bundled_pfn.csv \\
        --md benchmarks/results/bundled_pfn.md

For every classification task of ``/work/shared/datasets`` with at most 10 classes, every
training size (default 32 ... 1024, where the training file has that many rows: a run
says which sizes it skips) and seed: a shuffled, stratified subsample of the training
file (at least two rows per class where it has them, so that the methods that
cross-validate can run) is the training set; the fixed test file (capped at
``--max-test`` rows by a sample drawn once with seed 0, stratified unless it leaves out
fewer rows than classes) is the test set.
Methods:

* ``pfn``: :class:`~llmboost.priors._bundled_pfn.BundledPFNPrior` alone (4 passes);
* ``pfnboost``: ``PriorBoostClassifier(prior=BundledPFNPrior(), random_state=seed)``;
* ``xgb``: ``XGBClassifier()`` defaults (native categorical support);
* ``lr``: logistic regression behind median imputation, scaling and one-hot encoding;
* ``rf``: ``RandomForestClassifier(random_state=seed)``.

Metric: ROC AUC, one-vs-rest macro average for multiclass (test classes only). Each
result is appended to the CSV at once; a rerun skips the cells already there, so the
benchmark resumes after a stop (a CSV with cells of another ``--max-test`` is refused).
``--md`` rewrites the summary table from the CSV.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import _interrupt  # noqa: F401
import numpy as np
import pandas as pd
from _script import (
    DATASETS,
    check_summary_only,
    interrupted,
    task_folder,
    tasks_folder_name,
    usage_error,
    write_summary,
)
from _suite import (
    CELLS_KEPT,
    appended_rows,
    check_test_rows,
    finished_cells,
    pfn_options,
    read_cells,
    run_suite,
    say_skipped_sizes,
    seconds_table,
    suite_parser,
)

from llmboost.benchmarks.datasets import stratified_subsample

SIZES = (32, 64, 128, 256, 512, 1024)
METHODS = ("pfn", "xgb", "lr", "rf", "pfnboost")
FIELDS = [
    "dataset",
    "size",
    "seed",
    "method",
    "auc",
    "seconds",
    "n_train",
    "n_test",
    "n_classes",
    "scale",
    "error",
]


def load_task(
    name: str, max_test: int
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray, dict]:
    """Train pool and (capped) test set; categorical columns share one category list.

    Parameters
    ----------
    name : str
        A task folder under :data:`DATASETS`.
    max_test : int
        Most test rows kept (a stratified subset, unless the rows left out are fewer
        than the classes).

    Returns
    -------
    X_train, y_train, X_test, y_test, meta
        Frames, string labels and the task's meta.json.
    """
    folder = DATASETS / name
    meta = json.loads((folder / "meta.json").read_text())
    target = meta["target_column"]
    train = pd.read_csv(folder / "train.csv")
    test = pd.read_csv(folder / "test.csv")
    if len(test) > max_test:
        from sklearn.model_selection import train_test_split

        if max_test < (classes := test[target].nunique()):  # else a ValueError traceback
            usage_error(
                f"argument --max-test: {max_test} test rows cannot hold the {classes} classes "
                f"of {name}'s test set; give --max-test {classes} or more"
            )
        # the rows left out must hold every class too, else the split raises
        left_out = len(test) - max_test >= classes
        test, _ = train_test_split(
            test,
            train_size=max_test,
            random_state=0,
            stratify=_stratifiable(test[target].to_numpy()) if left_out else None,
        )
    ytr, yte = train.pop(target).to_numpy(), test.pop(target).to_numpy()
    ytr, yte = ytr.astype(str), yte.astype(str)
    cats = set(meta.get("categorical_columns") or [])
    cats |= {c for c in train.columns if not pd.api.types.is_numeric_dtype(train[c])}
    for col in cats:
        values = pd.concat([train[col], test[col]]).astype(str)
        categories = sorted(values.dropna().unique())
        train[col] = pd.Categorical(train[col].astype(str), categories=categories)
        test[col] = pd.Categorical(test[col].astype(str), categories=categories)
    return train, ytr, test.reset_index(drop=True), yte, meta


def _stratifiable(y: np.ndarray) -> np.ndarray | None:
    _, counts = np.unique(y, return_counts=True)
    return y if counts.min() >= 2 else None


def auc(y_true: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    """Binary AUC, or one-vs-rest macro AUC over the classes present in the test set.

    Parameters
    ----------
    y_true : ndarray of shape (n,)
    proba : ndarray of shape (n, len(classes))
    classes : ndarray
        The columns of ``proba``.

    Returns
    -------
    float
    """
    from sklearn.metrics import roc_auc_score

    present = np.unique(y_true)
    full = np.zeros((len(y_true), len(present)))
    index = {c: i for i, c in enumerate(classes)}
    for j, c in enumerate(present):
        if c in index:
            full[:, j] = proba[:, index[c]]
    if len(present) == 2:
        return float(roc_auc_score(y_true == present[1], full[:, 1] - full[:, 0]))
    full = full + 1e-12
    full /= full.sum(axis=1, keepdims=True)
    return float(roc_auc_score(y_true, full, multi_class="ovr", average="macro", labels=present))


PFN_PARAMS: dict = {}  # BundledPFNPrior options: --weights (None: the shipped one), --pfn-params


def make_model(method: str, seed: int):
    """A fitted-on-demand estimator with ``fit``/``predict_proba``/``classes_``.

    Parameters
    ----------
    method : str
        A name of :data:`METHODS`.
    seed : int

    Returns
    -------
    estimator
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    from llmboost import PriorBoostClassifier, SklearnPrior
    from llmboost.priors import BundledPFNPrior

    if method == "pfn":
        return _PriorAsModel(BundledPFNPrior(random_state=seed, **PFN_PARAMS))
    if method == "pfnboost":
        prior = BundledPFNPrior(random_state=seed, **PFN_PARAMS)
        return PriorBoostClassifier(prior=prior, random_state=seed)
    if method == "lr":
        return _PriorAsModel(SklearnPrior(LogisticRegression(max_iter=2000)))
    if method == "rf":
        return _PriorAsModel(
            SklearnPrior(RandomForestClassifier(random_state=seed, n_jobs=1), preprocess=True)
        )
    if method == "xgb":
        return _XGB(seed)
    raise ValueError(method)


class _PriorAsModel:
    def __init__(self, prior) -> None:
        self.prior = prior

    def fit(self, X, y):
        self.prior.fit(X, y)
        self.classes_ = self.prior.classes_
        return self

    def predict_proba(self, X):
        z = self.prior.logits(X)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        return p / p.sum(axis=1, keepdims=True)


class _XGB:
    def __init__(self, seed: int) -> None:
        self.seed = seed

    def fit(self, X, y):
        from xgboost import XGBClassifier

        self.classes_, codes = np.unique(y, return_inverse=True)
        self.model = XGBClassifier(
            enable_categorical=True, tree_method="hist", n_jobs=1, random_state=self.seed
        )
        self.model.fit(X, codes)
        return self

    def predict_proba(self, X):
        return self.model.predict_proba(X)


def datasets(names: list[str] | None) -> tuple[list[str], list[str]]:
    """Benchmark tasks and the skipped ones (more than 10 classes).

    Parameters
    ----------
    names : list of str or None
        ``None``: every task folder.

    Returns
    -------
    chosen, skipped : list of str
    """
    chosen, skipped = [], []
    folders = sorted(p for p in DATASETS.iterdir() if (p / "meta.json").exists())
    if not folders:  # the run would write an empty results file
        usage_error(f"--data-dir: {DATASETS} holds no task folder (one with meta.json)")
    if missing := sorted(set(names or ()) - {f.name for f in folders}):
        names_there = ", ".join(f.name for f in folders)
        usage_error(
            f"--datasets: no task folder {missing} in {DATASETS}; choose from {names_there}"
        )
    for folder in folders:
        if names and folder.name not in names:
            continue
        n_classes = _n_classes(folder, json.loads((folder / "meta.json").read_text()))
        (skipped if n_classes > 10 else chosen).append(folder.name)
    if not chosen:
        usage_error(
            f"--datasets: every task chosen has more than 10 classes ({', '.join(skipped)}), "
            "and those are skipped; choose others"
        )
    return chosen, skipped


def _n_classes(folder: Path, meta: dict) -> int:
    """The classes of a task: its meta.json's ``n_classes`` or ``class_names``, else those
    of its train.csv; a usage error for a folder that is no classification task."""
    if meta.get("task_type") == "regression" or not meta.get("target_column"):
        why = "is a regression task" if meta.get("target_column") else "names no target_column"
        usage_error(
            f"--data-dir: {folder / 'meta.json'} {why}; give a folder of classification "
            "tasks, each with target_column in its meta.json"
        )
    if meta.get("n_classes") or meta.get("class_names"):
        return meta.get("n_classes") or len(meta["class_names"])
    return pd.read_csv(folder / "train.csv", usecols=[meta["target_column"]]).nunique().iloc[0]


def _score_cell(name, size, seed, method, Xtr, ytr, Xte, yte) -> dict:
    """The CSV row of one cell: fit ``method`` on the subsample and score the test set."""
    row = {
        "dataset": name,
        "size": size,
        "seed": seed,
        "method": method,
        "n_train": len(ytr),  # raised above size when a class needs its two rows
        "n_test": len(yte),
        "n_classes": len(np.unique(ytr)),
        "auc": "",
        "scale": "",
        "error": "",
    }
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = make_model(method, seed).fit(Xtr, ytr)
            proba = model.predict_proba(Xte)
        row["auc"] = round(auc(yte, proba, model.classes_), 6)
        scale = getattr(model, "scale_", "")
        row["scale"] = round(float(scale), 6) if isinstance(scale, float) else scale
    except Exception as exc:  # noqa: BLE001 - recorded, not fatal
        row["error"] = f"{type(exc).__name__}: {exc}"[:200]
    row["seconds"] = round(time.perf_counter() - t0, 3)
    return row


def run(args: argparse.Namespace) -> None:
    """Append every missing (dataset, size, seed, method) cell to ``args.csv``.

    Parameters
    ----------
    args : argparse.Namespace
        From :func:`_suite.suite_parser`.

    Returns
    -------
    None
    """
    path = Path(args.csv)
    done, new = finished_cells(path)
    names, skipped = datasets(args.datasets)
    if skipped:
        print("skipped (more than 10 classes):", ", ".join(skipped), flush=True)
    tasks = {name: load_task(name, args.max_test) for name in names}
    check_test_rows(path, {name: len(task[3]) for name, task in tasks.items()})
    say_skipped_sizes({name: len(task[1]) for name, task in tasks.items()}, args.sizes)
    with appended_rows(path, FIELDS, new) as append:
        for size in args.sizes:  # size-major, so a partial run covers every dataset
            for name in names:
                Xpool, ypool, Xte, yte, _meta = tasks[name]
                if size > len(ypool):
                    continue
                for seed in args.seeds:
                    idx = stratified_subsample(ypool, size, seed)
                    Xtr, ytr = Xpool.iloc[idx].reset_index(drop=True), ypool[idx]
                    for method in args.methods:
                        if (name, size, seed, method) in done:
                            continue
                        row = _score_cell(name, size, seed, method, Xtr, ytr, Xte, yte)
                        append(row)
                        done.add((name, size, seed, method))  # named twice: runs once
                        print(
                            name,
                            size,
                            seed,
                            method,
                            row["auc"],
                            row["seconds"],
                            row["error"],
                            flush=True,
                        )


def _table(df: pd.DataFrame, methods: list[str]) -> tuple[list[str], pd.DataFrame]:
    """Mean-AUC table over the (dataset, size, seed) cells where all ``methods`` finished."""
    df = df[df["method"].isin(methods)]
    cell = ["dataset", "size", "seed"]
    complete = df.groupby(cell)["method"].nunique() == len(methods)
    df = df.set_index(cell).loc[complete[complete].index].reset_index()
    per_ds = df.groupby(["method", "size", "dataset"])["auc"].mean().reset_index()
    table = per_ds.pivot_table(index="size", columns="method", values="auc", aggfunc="mean")
    n_ds = per_ds.groupby("size")["dataset"].nunique()
    n_seeds = df.groupby("size")["seed"].nunique()
    lines = [
        "| size | datasets | seeds | " + " | ".join(methods) + " | best baseline |",
        "|---|---|---|" + "---|" * len(methods) + "---|",
    ]
    for size in table.index:
        r = table.loc[size]
        base = [m for m in ("xgb", "lr", "rf") if m in r]
        best = max(base, key=lambda m: r[m]) if base else ""
        top = max(r[m] for m in methods)
        vals = [f"**{r[m]:.4f}**" if np.isclose(r[m], top) else f"{r[m]:.4f}" for m in methods]
        lines.append(
            f"| {size} | {n_ds[size]} | {n_seeds[size]} | " + " | ".join(vals) + f" | {best} |"
        )
    return lines, per_ds


def _targets(per_ds: pd.DataFrame, methods: list[str]) -> list[str]:
    """The two quality targets per size: margins of the PFN and of PFNBoost."""
    means = per_ds.pivot_table(index="size", columns="method", values="auc", aggfunc="mean")
    baselines = [m for m in ("xgb", "lr", "rf") if m in methods]
    if "pfn" not in means or not baselines:
        return []
    lines = [
        "Targets (mean AUC over the cells of the table above): the PFN alone above each of",
        "XGBoost, logistic regression and random forest up to 512 rows; PFNBoost at least",
        "as good as the best of all other methods at every size.",
        "",
        "| size | PFN - best baseline | PFN target | PFNBoost - best other | PFNBoost target |",
        "|---|---|---|---|---|",
    ]
    for size in means.index:
        r = means.loc[size]
        pfn_gap = r["pfn"] - max(r[m] for m in baselines)
        boost_gap = r["pfnboost"] - max(r[m] for m in methods if m != "pfnboost")
        pfn_ok = "n/a" if size > 512 else ("met" if pfn_gap > 0 else "missed")
        boost_ok = "met" if boost_gap >= 0 else "missed"
        lines.append(f"| {size} | {pfn_gap:+.4f} | {pfn_ok} | {boost_gap:+.4f} | {boost_ok} |")
    return lines + [""]


def _pfn_wins(per_ds: pd.DataFrame) -> list[str]:
    """Markdown: per size, on how many datasets the PFN alone beats each baseline."""
    wins = per_ds.pivot_table(index=["size", "dataset"], columns="method", values="auc")
    others = [m for m in ("xgb", "lr", "rf") if m in wins]
    if "pfn" not in wins or not others:
        return []
    lines = [
        "Datasets where the PFN alone has the higher mean AUC:",
        "",
        "| size | " + " | ".join(f"pfn > {m}" for m in others) + " |",
        "|---|" + "---|" * len(others),
    ]
    for size, grp in wins.groupby(level=0):
        cells = [f"{int((grp['pfn'] > grp[m]).sum())}/{len(grp)}" for m in others]
        lines.append(f"| {size} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _per_dataset(df: pd.DataFrame, present: list[str]) -> list[str]:
    """Markdown: one table per size of the mean AUC over seeds of every dataset."""
    _, per_ds = _table(df, present)
    per = per_ds.pivot_table(index="dataset", columns=["size", "method"], values="auc")
    lines = ["", "## Per dataset (mean AUC over seeds)", ""]
    for size in sorted({sz for sz, _ in per.columns}):
        sub = per[size].dropna(how="all")
        ms = [m for m in present if m in sub]
        lines += [f"size {size}:", "", "| dataset | " + " | ".join(ms) + " |"]
        lines.append("|---|" + "---|" * len(ms))
        for ds in sub.index:
            lines.append(f"| {ds} | " + " | ".join(f"{sub.loc[ds, m]:.3f}" for m in ms) + " |")
        lines.append("")
    return lines


def summarize(csv_paths: list[str], md_path: str, command: str, notes: str) -> str:
    """Markdown tables of mean AUC per method and size over datasets.

    Parameters
    ----------
    csv_paths : list of str
        Result files, later rows replacing earlier ones of the same cell.
    md_path : str
        Where the markdown is written.
    command : str
        The command line shown at the top.
    notes : str
        Text appended at the end.

    Returns
    -------
    str
        The markdown.
    """
    df = read_cells(csv_paths)
    errors = df[df["auc"].isna()]
    df = df[df["auc"].notna()]
    present = [m for m in METHODS if m in set(df["method"])]
    base = [m for m in ("pfn", "xgb", "lr", "rf") if m in present]
    lines = [
        "# Bundled PFN benchmark",
        "",
        "ROC AUC on the fixed test sets (one-vs-rest macro AUC for multiclass), averaged over",
        "seeds per dataset, then over datasets. Each table uses only the (dataset, size,",
        "seed) cells where all of its methods finished.",
        "",
        "```",
        command,
        "```",
        "",
    ]
    if base:
        t, per_ds = _table(df, base)
        lines += ["## PFN alone versus the baselines", "", *t, ""]
        lines += _pfn_wins(per_ds)
    if "pfnboost" in present:
        t, per_ds = _table(df, present)
        lines += ["## All methods, including PFNBoost", "", *t, ""]
        lines += _targets(per_ds, present)
    title = "Median seconds per fit + predict (2-core machine shared with other jobs):"
    lines += seconds_table(df, present, title)
    lines += _per_dataset(df, present)
    if len(errors):
        lines += ["Failed cells:", ""]
        lines += [
            f"- {r['dataset']} size {r['size']} seed {r['seed']} {r['method']}: {r['error']}"
            for _, r in errors.iterrows()
        ]
        lines.append("")
    if notes:
        lines += [notes, ""]
    text = "\n".join(lines)
    write_summary(md_path, text)
    return text


def main(argv: list[str] | None = None) -> None:
    """Run the classification suite of the bundled PFN and write its summary.

    Parameters
    ----------
    argv : list of str, default=None
        Options such as ``["--sizes", "32", "--summary-only"]``; ``None`` reads the
        command line.

    Returns
    -------
    None
    """
    global PFN_PARAMS, DATASETS
    parser = suite_parser(__doc__, "benchmarks/results/bundled_pfn.csv", SIZES, METHODS)
    parser.add_argument(
        "--data-dir",
        type=tasks_folder_name,
        default=DATASETS,
        help="folder of task folders (train.csv, test.csv, meta.json); default: the shared ones",
    )
    args = parser.parse_args(argv)
    check_summary_only(parser, args, argv)
    PFN_PARAMS = pfn_options(parser, args, random_state=0)
    DATASETS = task_folder(parser, args.data_dir)
    run_suite(args, run, summarize, "bench_bundled_pfn.py", argv)


__all__ = [
    "DATASETS",
    "FIELDS",
    "METHODS",
    "SIZES",
    "PFN_PARAMS",
    "auc",
    "datasets",
    "load_task",
    "main",
    "make_model",
    "run",
    "summarize",
]


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        interrupted(CELLS_KEPT)
