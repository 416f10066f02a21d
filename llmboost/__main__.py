"""``python -m llmboost``: fit the fused model on a bundled table and compare it with its parts."""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import train_test_split

from . import PriorBoostClassifier


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m llmboost",
        description="Fit PriorBoost on scikit-learn's breast-cancer table and compare it with "
        "plain XGBoost and the prior alone (ROC AUC and log loss on held-out rows).",
    )
    parser.add_argument("--train-size", type=int, default=100, help="training rows (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)

    data = load_breast_cancer(as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(
        data.data,
        data.target,
        train_size=args.train_size,
        stratify=data.target,
        random_state=args.seed,
    )
    print(f"breast cancer: {len(X_train)} training rows, {len(X_test)} test rows")
    print(f"{'model':<28}{'scale':>8}{'ROC AUC':>10}{'log loss':>10}{'fit s':>8}")
    for name, scale in [("XGBoost alone", 0.0), ("prior alone", "prior"), ("PriorBoost", "auto")]:
        start = time.perf_counter()
        model = PriorBoostClassifier(scale=scale, random_state=args.seed).fit(X_train, y_train)
        seconds = time.perf_counter() - start
        proba = model.predict_proba(X_test)
        chosen = model.scale_ if isinstance(model.scale_, str) else f"{model.scale_:g}"
        print(
            f"{name:<28}{chosen:>8}{roc_auc_score(y_test, proba[:, 1]):>10.4f}"
            f"{log_loss(y_test, np.clip(proba, 1e-15, 1)):>10.4f}{seconds:>8.2f}"
        )


if __name__ == "__main__":
    main()
