"""Cost of ``explain`` versus one ``predict_proba`` (``predict`` for regression).

    python benchmarks/bench_explain.py --train-rows 1000 --rows 10000 --repeats 5

``--plots docs/images`` also saves the first model's importance chart and one row's
waterfall (the pictures in ``docs/explain.md``).

Each model is fitted once on ``--train-rows`` rows of a shuffled dataset (``scale="auto"``,
so the fused model may have several members; the regression uses ``scale=1`` so that it
has trees), then ``explain`` and the prediction run
``--repeats`` times each on the next ``--rows`` rows; medians are reported, with the largest
difference between a row's contributions and its margin. Target: explain costs no more
than 3x the prediction.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import _interrupt  # noqa: F401
import numpy as np
import pandas as pd
from _script import (
    SEED,
    DefaultsHelpFormatter,
    check_classes,
    count,
    folder_name,
    interrupted,
    median_seconds,
    shared_table,
)
from sklearn.linear_model import LogisticRegression, Ridge

from llmboost import (
    BundledPFNPrior,
    PFNBoostClassifier,
    PriorBoostClassifier,
    PriorBoostRegressor,
    SklearnPrior,
    explain,
)


def models(seed: int):
    """(dataset, label, estimator) triples.

    Parameters
    ----------
    seed : int

    Returns
    -------
    iterator of tuple
    """
    logistic = SklearnPrior(LogisticRegression(max_iter=1000))
    for booster in ("xgboost", "lightgbm"):
        yield (
            "income",
            f"LogisticRegression prior, {booster}",
            PriorBoostClassifier(prior=logistic, booster=booster, random_state=seed),
        )
    yield (
        "income",
        "bundled PFN prior, xgboost",
        PFNBoostClassifier(prior=BundledPFNPrior(), random_state=seed),
    )
    yield (
        "regression/youth_weight",
        "Ridge prior, xgboost, scale=1",
        PriorBoostRegressor(prior=SklearnPrior(Ridge()), scale=1.0, random_state=seed),
    )


def save_plots(table: pd.DataFrame, folder: Path) -> None:
    """The importance bar chart and one row's waterfall, as PNG files in ``folder``.

    Parameters
    ----------
    table : DataFrame
        From :func:`llmboost.explain.explain`.
    folder : Path

    Returns
    -------
    None
    """
    import matplotlib

    matplotlib.use("Agg")
    from llmboost.plot import plot_importance, plot_waterfall

    folder.mkdir(parents=True, exist_ok=True)
    for name, ax in (
        ("explain_importance.png", plot_importance(table)),
        ("explain_waterfall.png", plot_waterfall(table, row=table.index[0])),
    ):
        ax.figure.tight_layout()
        ax.figure.savefig(folder / name, dpi=110)


def main() -> None:
    """Time ``explain`` of every model and print the table.

    Returns
    -------
    None
    """
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter, description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--train-rows", type=count(2), default=1000, help="rows each model is fitted on"
    )
    parser.add_argument(
        "--rows", type=count(1), default=10000, help="rows after them, explained and predicted"
    )
    parser.add_argument(
        "--repeats", type=count(1), default=5, help="timed calls of each, median reported"
    )
    parser.add_argument("--seed", type=SEED, default=0, help="seeds the shuffle and the models")
    parser.add_argument("--plots", type=folder_name, help="save the first model's plots here")
    args = parser.parse_args()
    if args.plots is not None and args.plots.exists() and not args.plots.is_dir():
        parser.error(
            f"argument --plots: {args.plots} is a file; give a folder (created if missing)"
        )

    tables = {}
    for dataset, _, model in models(args.seed):  # before any fit: each leaves rows to explain
        tables[dataset] = shared_table(dataset, args.seed, parts=("train", "test"))[:2]
        if len(tables[dataset][0]) <= args.train_rows:
            parser.error(
                f"--train-rows {args.train_rows} leaves no rows of {dataset} "
                f"({len(tables[dataset][0])} rows) to explain; use fewer training rows."
            )
        if not isinstance(model, PriorBoostRegressor):  # the classifiers search by CV
            rows = f"the first {args.train_rows} rows of {dataset} with seed {args.seed}"
            check_classes("--train-rows", tables[dataset][1][: args.train_rows], rows)
    print(f"{args.train_rows} training rows, {args.rows} rows, median of {args.repeats}\n")
    print("| dataset | model | members | predict s | explain s | ratio | max abs(sum - margin) |")
    print("|---|---|---|---|---|---|---|")
    for dataset, label, model in models(args.seed):
        frame, y = tables[dataset]
        model.fit(frame.iloc[: args.train_rows], y[: args.train_rows])
        X = frame.iloc[args.train_rows : args.train_rows + args.rows]
        regression = isinstance(model, PriorBoostRegressor)
        predict = model.predict if regression else model.predict_proba
        margin = model.predict(X) if regression else model.decision_function(X)
        table = explain(model, X)
        error = float(np.abs(table.to_numpy().sum(axis=1) - margin).max())
        t_predict = median_seconds(args.repeats, predict, X)
        t_explain = median_seconds(args.repeats, explain, model, X)
        trees = sum(m.n_rounds for m in model.members_)
        members = f"{len(model.members_)} ({trees} rounds)"
        print(
            f"| {dataset} | {label} | {members} | {t_predict:.3f} | {t_explain:.3f} | "
            f"{t_explain / t_predict:.2f} | {error:.1e} |"
        )
        if args.plots is not None:
            save_plots(table, args.plots)
            args.plots = None


__all__ = ["main", "models", "save_plots"]


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        interrupted()
