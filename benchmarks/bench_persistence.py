"""Size of a saved model versus its pickle and the prior's weights; save and load times.

    python benchmarks/bench_persistence.py --train-rows 1000 --repeats 5

Models are fitted once on ``--train-rows`` shuffled rows of ``income`` (``scale="auto"``);
times are medians of ``--repeats`` runs. ``load`` includes finding the prior's weights
again; the loaded model's ``predict_proba`` on the training rows is compared with the
original's bit for bit.
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
from pathlib import Path

import _interrupt  # noqa: F401
import numpy as np
from _script import (
    SEED,
    DefaultsHelpFormatter,
    check_classes,
    count,
    interrupted,
    median_seconds,
    shared_table,
)
from sklearn.linear_model import LogisticRegression

from llmboost import BundledPFNPrior, PFNBoostClassifier, PriorBoostClassifier, SklearnPrior
from llmboost import load as load_model
from llmboost import save as save_model
from llmboost.priors._bundled_pfn import default_weights_path


def main() -> None:
    """Time ``save``/``load`` against pickle and print the sizes and seconds.

    Returns
    -------
    None
    """
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter, description=__doc__.split("\n")[0]
    )
    # two rows of each of two classes: what the fusion search's cross-validation needs
    parser.add_argument(
        "--train-rows", type=count(4), default=1000, help="shuffled rows of income fitted"
    )
    parser.add_argument(
        "--repeats", type=count(1), default=5, help="timed saves and loads, median reported"
    )
    parser.add_argument("--seed", type=SEED, default=0, help="seeds the shuffle and the models")
    args = parser.parse_args()

    frame, y, _ = shared_table("income", args.seed, parts=("train", "test"))
    X, y = frame.iloc[: args.train_rows], y[: args.train_rows]
    check_classes("--train-rows", y, f"the first {len(X)} rows of income with seed {args.seed}")
    models = {
        "PriorBoost, LogisticRegression prior": (
            PriorBoostClassifier(
                prior=SklearnPrior(LogisticRegression(max_iter=1000)), random_state=args.seed
            ),
            0,
        ),
        "PFNBoost, bundled PFN prior": (
            PFNBoostClassifier(prior=BundledPFNPrior(), random_state=args.seed),
            default_weights_path().stat().st_size,
        ),
    }
    print(f"income, {len(X)} training rows, median of {args.repeats}\n")
    print("| model | saved bytes | pickle bytes | prior weights bytes | save s | load s | same |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.llmboost"
        for name, (model, weights) in models.items():
            model.fit(X, y)
            t_save = median_seconds(args.repeats, save_model, model, path)
            t_load = median_seconds(args.repeats, load_model, path)
            same = np.array_equal(load_model(path).predict_proba(X), model.predict_proba(X))
            print(
                f"| {name} | {path.stat().st_size:,} | {len(pickle.dumps(model)):,} | "
                f"{weights:,} | {t_save:.3f} | {t_load:.3f} | {same} |"
            )


__all__ = ["main"]


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        interrupted()
