"""RMSE and R^2 of the bundled regression PFN, PFNBoostRegressor and baselines.

    python benchmarks/bench_bundled_pfn_regression.py \\
        --csv benchmarks/results/bundled_pfn_regression.csv \\
        --md benchmarks/results/bundled_pfn_regression.md

For every task of ``/work/shared/datasets/regression``, every training size (default
32 ... 1024, where the training file has that many rows: a run says which sizes it
skips) and seed: a shuffled subsample of the training file is the training set; the
fixed test file (capped at ``--max-test`` rows, drawn once with seed 0) is the test set.
Methods:

* ``pfn``: ``BundledPFNPrior(task="regression")`` alone (its predicted mean);
* ``pfnboost``: ``PFNBoostRegressor(prior=BundledPFNPrior(task="regression"))``;
* ``ridge``: ``RidgeCV`` behind median imputation, scaling and one-hot encoding;
* ``rf``: ``RandomForestRegressor`` (same preprocessing, ordinal categories);
* ``xgb``: ``XGBRegressor()`` defaults (native categorical support);
* ``constboost``: ``PriorBoostRegressor`` with a constant prior (``DummyRegressor``):
  the fusion search must learn to ignore a useless prior (not in the default methods).

Cells run seed-major (seed 0 at every size and dataset first), each appended to the CSV
at once; a rerun skips the cells already there (a CSV with cells of another
``--max-test`` is refused). ``--md`` rewrites the summary.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import _interrupt  # noqa: F401
import _script
import numpy as np
import pandas as pd
from _script import (
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

DATASETS = _script.DATASETS / "regression"
SIZES = (32, 64, 128, 256, 512, 1024)
METHODS = ("pfn", "ridge", "rf", "xgb", "pfnboost", "constboost")
BASELINES = ("ridge", "rf", "xgb")
FIELDS = ["dataset", "size", "seed", "method", "rmse", "r2", "seconds", "n_test", "error"]


def load_task(name: str, max_test: int):
    """Train pool and (capped) test set; categorical columns share one category list.

    Parameters
    ----------
    name : str
        A task folder under :data:`DATASETS`.
    max_test : int
        Most test rows kept (a random subset).

    Returns
    -------
    X_train, y_train, X_test, y_test
        Frames and float targets.
    """
    folder = DATASETS / name
    meta = json.loads((folder / "meta.json").read_text())
    target = meta["target_column"]
    train, test = pd.read_csv(folder / "train.csv"), pd.read_csv(folder / "test.csv")
    if len(test) > max_test:
        test = test.sample(max_test, random_state=0)
    ytr = train.pop(target).to_numpy(dtype=float)
    yte = test.pop(target).to_numpy(dtype=float)
    cats = set(meta.get("categorical_columns") or [])
    cats |= {c for c in train.columns if not pd.api.types.is_numeric_dtype(train[c])}
    for col in cats:
        categories = sorted(pd.concat([train[col], test[col]]).dropna().astype(str).unique())
        for frame in (train, test):
            values = frame[col].astype(object).where(frame[col].notna())
            frame[col] = pd.Categorical(values.map(str, na_action="ignore"), categories)
    return train, ytr, test.reset_index(drop=True), yte


def _preprocess(X: pd.DataFrame, one_hot: bool):
    from sklearn.compose import make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    cats = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    nums = [c for c in X.columns if c not in cats]
    encoder = (
        OneHotEncoder(handle_unknown="ignore")
        if one_hot
        else OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    )
    return make_column_transformer(
        (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), nums),
        (make_pipeline(SimpleImputer(strategy="most_frequent"), encoder), cats),
    )


PFN_PARAMS: dict = {}  # BundledPFNPrior options: --weights (None: the shipped one), --pfn-params


def make_model(method: str, seed: int, X: pd.DataFrame):
    """An unfitted estimator with ``fit``/``predict``.

    Parameters
    ----------
    method : str
        A name of :data:`METHODS`.
    seed : int
    X : DataFrame
        The training rows (baselines pick their preprocessing from its columns).

    Returns
    -------
    estimator
    """
    from sklearn.dummy import DummyRegressor
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline

    from llmboost import PFNBoostRegressor, PriorBoostRegressor, SklearnPrior
    from llmboost.priors import BundledPFNPrior

    prior = BundledPFNPrior(task="regression", random_state=seed, **PFN_PARAMS)
    if method == "pfn":
        return _PriorAsModel(prior)
    if method == "pfnboost":
        return PFNBoostRegressor(prior=prior, random_state=seed)
    if method == "constboost":
        return PriorBoostRegressor(prior=SklearnPrior(DummyRegressor()), random_state=seed)
    if method == "ridge":
        return make_pipeline(_preprocess(X, True), RidgeCV(alphas=np.logspace(-3, 3, 13)))
    if method == "rf":
        forest = RandomForestRegressor(random_state=seed, n_jobs=1)
        return make_pipeline(_preprocess(X, False), forest)
    if method == "xgb":
        from xgboost import XGBRegressor

        return XGBRegressor(
            enable_categorical=True, tree_method="hist", n_jobs=1, random_state=seed
        )
    raise ValueError(method)


class _PriorAsModel:
    def __init__(self, prior) -> None:
        self.prior = prior

    def fit(self, X, y):
        self.prior.fit(X, y)
        return self

    def predict(self, X):
        return self.prior.logits(X)


def _task_names(names: list[str] | None) -> list[str]:
    """``--datasets`` (``None``: every task folder of :data:`DATASETS`), each checked to be
    a regression task, else a usage error naming it."""
    tasks = sorted(p.parent.name for p in DATASETS.glob("*/meta.json"))
    names = names or tasks
    if not names:
        usage_error(f"--data-dir: {DATASETS} holds no task folder (one with meta.json)")
    if missing := [n for n in names if not (DATASETS / n / "meta.json").is_file()]:
        usage_error(
            f"--datasets: no task folder {missing} in {DATASETS}; choose from {', '.join(tasks)}"
        )
    for name in names:
        path = DATASETS / name / "meta.json"
        meta = json.loads(path.read_text())
        if not meta.get("target_column"):
            why = "names no target_column"
        elif meta.get("task_type", "regression") != "regression":
            why = f"says task_type {meta['task_type']!r}"
        else:
            continue
        usage_error(
            f"--data-dir: {path} {why}; give a folder of regression tasks, each with "
            "target_column in its meta.json"
        )
    return names


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
    from sklearn.metrics import mean_squared_error, r2_score

    path = Path(args.csv)
    done, new = finished_cells(path)
    names = _task_names(args.datasets)
    tasks = {name: load_task(name, args.max_test) for name in names}
    check_test_rows(path, {name: len(task[3]) for name, task in tasks.items()})
    say_skipped_sizes({name: len(task[1]) for name, task in tasks.items()}, args.sizes)
    with appended_rows(path, FIELDS, new) as append:
        for seed in args.seeds:
            for size in args.sizes:
                for name in names:
                    Xpool, ypool, Xte, yte = tasks[name]
                    if size > len(ypool):
                        continue
                    idx = np.random.default_rng(seed).permutation(len(ypool))[:size]
                    Xtr, ytr = Xpool.iloc[idx].reset_index(drop=True), ypool[idx]
                    for method in args.methods:
                        if (name, size, seed, method) in done:
                            continue
                        row = {"dataset": name, "size": size, "seed": seed, "method": method}
                        row.update(n_test=len(yte), rmse="", r2="", error="")
                        t0 = time.perf_counter()
                        try:
                            with warnings.catch_warnings():
                                warnings.simplefilter("ignore")
                                pred = make_model(method, seed, Xtr).fit(Xtr, ytr).predict(Xte)
                            row["rmse"] = round(float(np.sqrt(mean_squared_error(yte, pred))), 6)
                            row["r2"] = round(float(r2_score(yte, pred)), 6)
                        except Exception as exc:  # noqa: BLE001 - recorded, not fatal
                            row["error"] = f"{type(exc).__name__}: {exc}"[:200]
                        row["seconds"] = round(time.perf_counter() - t0, 3)
                        append(row)
                        done.add((name, size, seed, method))  # named twice: runs once
                        print(name, size, seed, method, row["r2"], row["seconds"], flush=True)


def _complete(df: pd.DataFrame, methods: list[str]) -> pd.DataFrame:
    """Rows of the (dataset, size, seed) cells where every method finished."""
    df = df[df["method"].isin(methods)]
    cell = ["dataset", "size", "seed"]
    ok = df.groupby(cell)["method"].nunique() == len(methods)
    return df.set_index(cell).loc[ok[ok].index].reset_index()


def _mean_r2(df: pd.DataFrame, per_ds: pd.DataFrame, r2: pd.DataFrame, methods) -> list[str]:
    """Markdown: mean R^2 per size and method, the best of each size in bold."""
    n_ds = per_ds.groupby("size")["dataset"].nunique()
    n_seeds = df.groupby("size")["seed"].nunique()
    lines = [
        "## Mean R^2",
        "",
        "| size | datasets | seeds | " + " | ".join(methods) + " |",
        "|---|---|---|" + "---|" * len(methods),
    ]
    for size in r2.index:
        top = r2.loc[size].max()
        cells = [
            f"**{r2.loc[size, m]:.4f}**"
            if np.isclose(r2.loc[size, m], top)
            else f"{r2.loc[size, m]:.4f}"
            for m in methods
        ]
        lines.append(f"| {size} | {n_ds[size]} | {n_seeds[size]} | " + " | ".join(cells) + " |")
    return lines


def _per_dataset(per_ds: pd.DataFrame, methods: list[str]) -> list[str]:
    """Markdown: one table per size of every dataset's R^2 / RMSE."""
    lines = ["", "## Per dataset: R^2 / RMSE (means over seeds)", ""]
    for size in sorted(per_ds["size"].unique()):
        sub = per_ds[per_ds["size"] == size]
        lines += [f"size {size}:", "", "| dataset | " + " | ".join(methods) + " |"]
        lines.append("|---|" + "---|" * len(methods))
        for ds, grp in sub.groupby("dataset"):
            g = grp.set_index("method")
            cells = [f"{g.loc[m, 'r2']:.3f} / {g.loc[m, 'rmse']:.4g}" for m in methods]
            lines.append(f"| {ds} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def summarize(csv_paths: list[str], md_path: str, command: str, notes: str) -> str:
    """Mean R^2 per method and size, targets, and per-dataset RMSE tables.

    Parameters
    ----------
    csv_paths : list of str
        Result files.
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
    errors, df = df[df["r2"].isna()], df[df["r2"].notna()]
    methods = [m for m in METHODS if m in set(df["method"])]
    df = _complete(df, methods)
    per_ds = df.groupby(["method", "size", "dataset"])[["r2", "rmse"]].mean().reset_index()
    r2 = per_ds.pivot_table(index="size", columns="method", values="r2", aggfunc="mean")
    lines = [
        "# Bundled regression PFN benchmark",
        "",
        "R^2 and RMSE on the fixed test sets, averaged over seeds per dataset, then (R^2)",
        "over datasets; only (dataset, size, seed) cells where every method finished.",
        "",
        "```",
        command,
        "```",
        "",
        *_mean_r2(df, per_ds, r2, methods),
    ]
    lines += ["", *_targets(r2, methods)]
    lines += seconds_table(df, methods, "Median seconds per fit + predict:")
    lines += _per_dataset(per_ds, methods)
    for _, r in errors.iterrows():
        lines.append(
            f"- failed: {r['dataset']} {r['size']} {r['seed']} {r['method']}: {r['error']}"
        )
    text = "\n".join(lines + ["", notes, ""] if notes else lines + [""])
    write_summary(md_path, text)
    return text


def _targets(r2: pd.DataFrame, methods: list[str]) -> list[str]:
    base = [m for m in BASELINES if m in methods]
    if not {"pfn", "pfnboost"} <= set(methods) or not base:
        return []
    lines = [
        "Targets: the PFN alone above ridge, random forest and XGBoost up to 512 rows;",
        "PFNBoost at least as good as the best of them at every size.",
        "",
        "| size | PFN - best baseline | PFN target | PFNBoost - best baseline | PFNBoost target |",
        "|---|---|---|---|---|",
    ]
    for size in r2.index:
        best = max(r2.loc[size, m] for m in base)
        gap = r2.loc[size, "pfn"] - best
        ok = "n/a" if size > 512 else ("met" if gap > 0 else "missed")
        bgap = r2.loc[size, "pfnboost"] - best
        bcell = f"{bgap:+.4f} | {'met' if bgap >= 0 else 'missed'}"
        lines.append(f"| {size} | {gap:+.4f} | {ok} | {bcell} |")
    return lines + [""]


def main(argv: list[str] | None = None) -> None:
    """Run the regression suite of the bundled PFN and write its summary.

    Parameters
    ----------
    argv : list of str, default=None
        Options such as ``["--methods", "pfn", "xgb"]``; ``None`` reads the command line.

    Returns
    -------
    None
    """
    csv_path = "benchmarks/results/bundled_pfn_regression.csv"
    default = [m for m in METHODS if m != "constboost"]
    global PFN_PARAMS, DATASETS
    parser = suite_parser(__doc__, csv_path, SIZES, default, known=METHODS)
    parser.add_argument(
        "--data-dir",
        type=tasks_folder_name,
        default=DATASETS,
        help="folder of regression task folders (train.csv, test.csv, meta.json); "
        "default: the shared ones",
    )
    args = parser.parse_args(argv)
    check_summary_only(parser, args, argv)
    PFN_PARAMS = pfn_options(parser, args, task="regression", random_state=0)
    DATASETS = task_folder(parser, args.data_dir)
    run_suite(args, run, summarize, "bench_bundled_pfn_regression.py", argv)


__all__ = [
    "BASELINES",
    "DATASETS",
    "FIELDS",
    "METHODS",
    "SIZES",
    "PFN_PARAMS",
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
