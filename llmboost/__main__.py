"""``python -m llmboost``: fit the fused models on a bundled table and compare with their parts."""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.datasets import load_iris
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import train_test_split

from . import LLMBoostClassifier, PFNBoostClassifier, PriorBoostClassifier


def _models(seed: int) -> dict:
    return {
        "XGBoost alone": PriorBoostClassifier(scale=0, random_state=seed),
        "language model alone": LLMBoostClassifier(scale="prior", random_state=seed),
        "LLMBoost": LLMBoostClassifier(random_state=seed, verbose=True),
        "PFNBoost": PFNBoostClassifier(random_state=seed),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m llmboost",
        description="Fit LLMBoost (the default language model, offline) and PFNBoost (TabPFN, "
        "or the bundled PFN when TabPFN's weights are missing) on scikit-learn's iris table and "
        "compare them with XGBoost alone and the language model alone (ROC AUC and log loss "
        "on held-out rows). The first run converts the packaged model once "
        "(about 35 s); language-model scores are cached on disk.",
    )
    parser.add_argument("--train-size", type=int, default=60, help="training rows (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)

    data = load_iris(as_frame=True)
    y = pd.Series(np.asarray(data.target_names)[data.target], name="species")
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, y, train_size=args.train_size, stratify=y, random_state=args.seed
    )
    print(f"iris: {len(X_train)} training rows, {len(X_test)} test rows")
    rows = []
    for name, model in _models(args.seed).items():
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        proba = model.predict_proba(X_test)
        scale = model.scale_ if isinstance(model.scale_, str) else f"{model.scale_:.3g}"
        auc = roc_auc_score(y_test, proba, multi_class="ovr", labels=model.classes_)
        loss = log_loss(y_test, np.clip(proba, 1e-15, 1), labels=model.classes_)
        rows.append(f"{name:<24}{scale:>8}{auc:>10.4f}{loss:>10.4f}{seconds:>8.1f}")
    print(f"{'model':<24}{'scale':>8}{'ROC AUC':>10}{'log loss':>10}{'fit s':>8}")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
