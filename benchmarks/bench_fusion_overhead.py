"""Fit time of the fusion versus plain XGBoost with the same booster settings.

A fixed, precomputed prior (logistic-regression logits computed once, outside the timing)
isolates what the fusion itself costs: input conversion, the margin, the prior lookup.

    python benchmarks/bench_fusion_overhead.py --dataset income --rows 10000 --repeats 5

Two comparisons, medians of ``--repeats`` runs in the same process:

* one fit at a fixed scale versus one ``XGBClassifier.fit`` (target: under 20% more);
* ``scale="auto"`` (8 tree scales x 5 folds, every prefix of rounds read from each fit,
  plus the refit of the chosen members) versus plain XGBoost given the same tuning
  budget (8 x 5-fold ``cross_val_score`` + refit).
"""

from __future__ import annotations

import argparse

import _interrupt  # noqa: F401
import numpy as np
import pandas as pd
import xgboost as xgb
from _script import (
    SEED,
    DefaultsHelpFormatter,
    check_classes,
    count,
    interrupted,
    median_seconds,
    shared_table,
    shared_task,
)
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

from llmboost import Prior, PriorBoostClassifier, SklearnPrior
from llmboost.boosters import XGBoostBooster
from llmboost.scale_search import CLASSIFICATION_SCALES

FOLDS = 5  # of the scale search (PriorBoostClassifier's default cv) and of its plain twin


class FixedPrior(Prior):
    """Logits computed in advance, looked up by row index; uses no labels."""

    def __init__(self, table: pd.DataFrame | None = None) -> None:
        self.table = table

    def _fit(self, X, y):
        pass

    def _logits(self, X):
        return self.table.loc[X.index].to_numpy()

    def _oof_logits(self, X, y, folds):
        return self._logits(X)


def main() -> None:
    """Time one fit and the whole search of PriorBoost against plain XGBoost; print the table.

    Returns
    -------
    None
    """
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter, description=__doc__.split("\n")[0]
    )
    parser.add_argument("--dataset", type=shared_task, default="income", help="shared task")
    # a row of each of two classes in each of the 5 folds
    parser.add_argument(
        "--rows", type=count(2 * FOLDS), default=10000, help="shuffled rows of the task fitted"
    )
    parser.add_argument(
        "--repeats", type=count(1), default=5, help="timed runs of each, median reported"
    )
    parser.add_argument(
        "--seed", type=SEED, default=0, help="seeds the shuffle, the folds and the boosters"
    )
    args = parser.parse_args()

    X, y, _ = shared_table(args.dataset, args.seed, rows=args.rows)
    X = X.astype({c: float for c in X.columns if X[c].dtype != "category"})
    check_classes("--rows", y, f"the {len(X)} rows of {args.dataset} drawn with seed {args.seed}")
    classes, y_enc = np.unique(y, return_inverse=True)
    logits = SklearnPrior(LogisticRegression(max_iter=1000)).fit(X, y).logits(X)
    prior = FixedPrior(pd.DataFrame(logits, index=X.index))
    params = {**XGBoostBooster.defaults, "random_state": args.seed}

    plain_fit = median_seconds(args.repeats, lambda: xgb.XGBClassifier(**params).fit(X, y_enc))
    fused_fit = median_seconds(
        args.repeats,
        lambda: PriorBoostClassifier(prior=prior, scale=1.0, random_state=args.seed).fit(X, y),
    )
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=args.seed)

    def plain_tuned():
        for _ in CLASSIFICATION_SCALES:
            cross_val_score(xgb.XGBClassifier(**params), X, y_enc, cv=folds, scoring="neg_log_loss")
        xgb.XGBClassifier(**params).fit(X, y_enc)

    plain_search = median_seconds(args.repeats, plain_tuned)
    fused_search = median_seconds(
        args.repeats, lambda: PriorBoostClassifier(prior=prior, random_state=args.seed).fit(X, y)
    )
    print(
        f"dataset {args.dataset}, {len(X)} rows x {X.shape[1]} columns, {len(classes)} classes, "
        f"median of {args.repeats} runs, XGBoost {xgb.__version__}\n"
    )
    print("| what | plain XGBoost s | PriorBoost s | ratio |")
    print("|---|---|---|---|")
    print(
        f"| one fit (scale=1.0) | {plain_fit:.3f} | {fused_fit:.3f} | {fused_fit / plain_fit:.3f} |"
    )
    print(
        f"| 8 scales x 5 folds + refit | {plain_search:.3f} | {fused_search:.3f} | "
        f"{fused_search / plain_search:.3f} |"
    )


__all__ = ["FixedPrior", "main"]


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        interrupted()
