"""Benchmark datasets: local folders, scikit-learn's bundled tables, OpenML.

A dataset is named by a spec string:

* ``sklearn:NAME``: a table bundled with scikit-learn (``breast_cancer``, ``iris``, ``wine``).
* ``openml:ID`` or ``openml:NAME``: downloaded once from OpenML and cached (needs internet).
* a folder: ``train.csv`` and ``test.csv`` (or one ``data.csv``), plus an optional
  ``meta.json`` with ``target_column``, ``task_description`` and ``class_names`` (the
  text of each label for a language model: ``{label: text}``, or a list in the order of
  the sorted labels, numerically sorted when all are numbers).
  Without ``meta.json`` the target is the column ``target``, ``y`` or ``y_temp``, else
  the last one.

Sources with a single table are split 75/25, stratified, with seed 0.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from .._sampling import subsample

SKLEARN_TABLES = {
    "breast_cancer": ("load_breast_cancer", "Is this breast mass malignant or benign?"),
    "iris": ("load_iris", "Which species of iris is this flower?"),
    "wine": ("load_wine", "Which cultivar is this wine from?"),
}
TARGET_NAMES = ("target", "y", "y_temp")


@dataclass
class Dataset:
    """A classification task with a fixed test set."""

    name: str
    X_train: pd.DataFrame
    y_train: np.ndarray
    X_test: pd.DataFrame
    y_test: np.ndarray
    task_description: str | None = None
    meta: dict = field(default_factory=dict)
    class_names: dict | None = None


def load_dataset(spec: str) -> Dataset:
    """Load the dataset named by ``spec`` (see the module docstring).

    Parameters
    ----------
    spec : str

    Returns
    -------
    Dataset
    """
    if spec.startswith("sklearn:"):
        return _load_sklearn(spec.split(":", 1)[1])
    if spec.startswith("openml:"):
        return _load_openml(spec.split(":", 1)[1])
    folder = Path(spec)
    if folder.is_dir():
        return _load_folder(folder)
    raise ValueError(
        f"Unknown dataset {spec!r}: use sklearn:NAME ({', '.join(SKLEARN_TABLES)}), "
        "openml:ID_OR_NAME, or a folder with train.csv/test.csv or data.csv."
    )


def dataset_name(spec: str) -> str:
    """Short name used in results and reports.

    Parameters
    ----------
    spec : str

    Returns
    -------
    str
    """
    return Path(spec).name if ":" not in spec else spec.split(":", 1)[1]


def _split(name: str, X: pd.DataFrame, y: np.ndarray, **extra) -> Dataset:
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    return Dataset(
        name,
        X_train.reset_index(drop=True),
        np.asarray(y_train),
        X_test.reset_index(drop=True),
        np.asarray(y_test),
        **extra,
    )


def _load_sklearn(name: str) -> Dataset:
    import sklearn.datasets

    if name not in SKLEARN_TABLES:
        raise ValueError(f"sklearn:{name} is not bundled; choose one of {sorted(SKLEARN_TABLES)}.")
    loader, sentence = SKLEARN_TABLES[name]
    bunch = getattr(sklearn.datasets, loader)(as_frame=True)
    y = np.asarray(bunch.target_names)[bunch.target.to_numpy()]
    return _split(name, bunch.data, y, task_description=sentence)


def _load_openml(key: str) -> Dataset:
    from sklearn.datasets import fetch_openml

    cache = os.environ.get(
        "LLMBOOST_DATA_CACHE", str(Path.home() / ".cache" / "llmboost" / "openml")
    )
    by = {"data_id": int(key)} if key.isdigit() else {"name": key, "version": 1}
    bunch = fetch_openml(**by, as_frame=True, data_home=cache)
    return _split(bunch.details.get("name", key), bunch.data, np.asarray(bunch.target).astype(str))


def _load_folder(folder: Path) -> Dataset:
    meta_path = folder / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if (folder / "train.csv").exists() and (folder / "test.csv").exists():
        train, test = pd.read_csv(folder / "train.csv"), pd.read_csv(folder / "test.csv")
    elif (folder / "data.csv").exists():
        train, test = pd.read_csv(folder / "data.csv"), None
    else:
        raise ValueError(f"{folder} has neither train.csv + test.csv nor data.csv.")
    target = meta.get("target_column") or next(
        (c for c in TARGET_NAMES if c in train.columns), train.columns[-1]
    )
    if target not in train.columns:
        raise ValueError(f"Target column {target!r} (from {meta_path}) is not in {folder}.")
    y = train.pop(target).astype(str).to_numpy()
    y_test = None if test is None else test.pop(target).astype(str).to_numpy()
    labels = np.unique(y if y_test is None else np.concatenate([y, y_test]))
    extra = {
        "task_description": meta.get("task_description"),
        "meta": meta,
        "class_names": _class_names(meta.get("class_names"), labels, meta_path),
    }
    if test is None:
        return _split(folder.name, train, y, **extra)
    return Dataset(folder.name, train, y, test, y_test, **extra)


def _class_names(names, labels: np.ndarray, meta_path: Path) -> dict | None:
    """``{label: text}`` from meta.json's ``class_names``; ``None`` when they are the labels."""
    if names is None:
        return None
    if isinstance(names, dict):
        names = {str(k): str(v) for k, v in names.items()}
        if not set(labels) <= set(names):
            missing = sorted(set(labels) - set(names))
            raise ValueError(f"class_names in {meta_path} has no text for labels {missing}.")
        return names
    if sorted(map(str, names)) == sorted(labels):
        return None
    if len(names) != len(labels):
        raise ValueError(
            f"class_names in {meta_path} has {len(names)} entries for {len(labels)} labels "
            f"({list(labels)}); give one text per label, or a {{label: text}} object."
        )
    numeric = pd.to_numeric(pd.Series(labels), errors="coerce")
    order = np.argsort(numeric.to_numpy(), kind="stable") if numeric.notna().all() else None
    ordered = labels if order is None else labels[order]
    return {label: str(text) for label, text in zip(ordered, names)}


def stratified_subsample(y: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Indices of a shuffled, stratified subsample of ``size`` rows (all rows if fewer).

    Classes get rows in proportion to their frequency (largest remainder), and at least
    two each where they have them, so that every class can be cross-validated.

    Parameters
    ----------
    y : ndarray of shape (n,)
    size : int
    seed : int

    Returns
    -------
    ndarray of int
        Row indices, in random order.
    """
    return subsample(y, size, np.random.default_rng(seed), min_per_class=2, shuffle=True)


__all__ = [
    "SKLEARN_TABLES",
    "TARGET_NAMES",
    "Dataset",
    "dataset_name",
    "load_dataset",
    "stratified_subsample",
]
