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


MAX_SEED = 2**32 - 1


def _seed(text: str) -> int:
    """A seed scikit-learn accepts: an integer from 0 to ``MAX_SEED``."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(
            f"invalid seed {text!r}: use an integer from 0 to {MAX_SEED}"
        )
    return value


def _check_train_size(parser: argparse.ArgumentParser, train_size: int, y: pd.Series) -> None:
    """Stop with a usage error unless the stratified split leaves every class two training
    rows (the cross-validation of the fits needs them) and one test row."""
    n_rows, n_classes = len(y), y.nunique()
    low, high = 2 * n_classes, n_rows - n_classes
    if not low <= train_size <= high:
        parser.error(
            f"argument --train-size: invalid value {train_size}: iris has {n_rows} rows in "
            f"{n_classes} classes, so use {low} to {high} (at least two training rows and "
            "one test row per class)"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m llmboost",
        description="Fit LLMBoost (the default language model, offline) and PFNBoost (TabPFN, "
        "or the bundled PFN when TabPFN's weights are missing) on scikit-learn's iris table and "
        "compare them with XGBoost alone and the language model alone (ROC AUC and log loss "
        "on held-out rows). The first run converts the packaged model once "
        "(about 35 s); language-model scores are cached on disk.",
    )
    parser.add_argument(
        "--train-size",
        type=int,
        default=60,
        help="training rows of iris's 150, from 6 to 147 so that every class keeps two "
        "training rows and one test row (default 60)",
    )
    parser.add_argument(
        "--seed", type=_seed, default=0, help=f"random seed, 0 to {MAX_SEED} (default 0)"
    )
    args = parser.parse_args(argv)

    data = load_iris(as_frame=True)
    y = pd.Series(np.asarray(data.target_names)[data.target], name="species")
    _check_train_size(parser, args.train_size, y)
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
