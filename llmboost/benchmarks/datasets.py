"""Benchmark datasets: local folders, scikit-learn's bundled tables, OpenML.

A dataset is named by a spec string:

* ``sklearn:NAME``: a table bundled with scikit-learn (``breast_cancer``, ``iris``, ``wine``).
* ``openml:ID`` or ``openml:NAME``: downloaded once from OpenML and cached (needs internet).
* a folder: ``train.csv`` and ``test.csv`` (or one ``data.csv``), plus an optional
  ``meta.json`` with ``target_column``, ``task_description`` and ``class_names`` (the
  text of each label for a language model: ``{label: text}``, or a list in the order of
  the sorted labels, numerically sorted when all are numbers).
  Without ``meta.json`` the target is the column ``target``, ``y`` or ``y_temp``, else
  the last one. Tables that cannot be a classification task (unreadable files, a blank
  ``target_column``, a ``task_type`` other than ``classification``, ``binary`` or
  ``multiclass``, no rows, a missing or blank target, one class, a regression target,
  other columns in ``test.csv``) raise ``ValueError`` naming the file and the fix.

Sources with a single table are split 75/25, stratified, with seed 0.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
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
_CLASSIFICATION = ("classification", "binary", "multiclass")  # meta.json's task_type


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
    kind, _, name = spec.partition(":")
    if kind in ("sklearn", "openml"):
        return name
    return Path(os.path.abspath(spec)).name  # "." and "data/.." name the folder itself


def data_digest(spec: str) -> str | None:
    """A digest of a folder's data files, or ``None`` for ``sklearn:``, ``openml:`` and a
    path that is no folder.

    It tells which data a result was computed on, whatever the folder's name or place.

    Parameters
    ----------
    spec : str

    Returns
    -------
    str or None
    """
    if spec.startswith(("sklearn:", "openml:")) or not Path(spec).is_dir():
        return None
    digest = hashlib.sha256()
    for name in ("train.csv", "test.csv", "data.csv", "meta.json"):
        path = Path(spec) / name
        if path.is_file():
            digest.update(f"{name}\0{path.stat().st_size}\0".encode())
            file_digest = hashlib.sha256()  # hashlib.file_digest needs Python 3.11
            with path.open("rb") as file:
                for block in iter(lambda: file.read(1 << 20), b""):
                    file_digest.update(block)
            digest.update(file_digest.digest())
    return digest.hexdigest()[:16]


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
    try:
        with warnings.catch_warnings():  # the error below says what its retries' warnings say
            warnings.filterwarnings("ignore", message="A network error occurred")
            bunch = fetch_openml(**by, as_frame=True, data_home=cache)
    except OSError as err:  # no connection, a timeout, an HTTP error, an unwritable cache
        raise ValueError(
            f"openml:{key} could not be fetched ({getattr(err, 'reason', err)}); it is "
            f"downloaded from OpenML the first time and then read from {cache} "
            "(LLMBOOST_DATA_CACHE). Check the internet connection, or give a local folder "
            "with train.csv and test.csv instead."
        ) from err
    target = pd.Series(np.asarray(bunch.target))  # checked as a folder's target column is
    name = str(getattr(bunch.target, "name", None) or "target")
    y = _labels(target, name, f"openml:{key}")
    _check_split(y, name, f"openml:{key}")
    return _split(bunch.details.get("name", key), bunch.data, y)


def _load_folder(folder: Path) -> Dataset:
    meta_path = folder / "meta.json"
    meta = _read_meta(meta_path)
    if (folder / "train.csv").exists() and (folder / "test.csv").exists():
        paths = folder / "train.csv", folder / "test.csv"
    elif (folder / "data.csv").exists():
        paths = (folder / "data.csv",)
    else:
        raise ValueError(f"{folder} has neither train.csv + test.csv nor data.csv.")
    tables = [_read_csv(path) for path in paths]
    train, test = tables[0], (tables[1] if len(tables) == 2 else None)
    target = meta.get("target_column") or next(
        (c for c in TARGET_NAMES if c in train.columns), train.columns[-1]
    )
    if target not in train.columns:
        raise ValueError(
            f"the target column {target!r} (target_column in {meta_path}) is not in "
            f"{paths[0]}, whose columns are {list(train.columns)}; name one of them"
        )
    if meta.get("task_type") == "regression":
        raise ValueError(
            f"{meta_path} says task_type 'regression': llmboost-bench compares "
            "classifiers; give a folder whose target column holds class labels"
        )
    if test is not None:
        _check_test_columns(train, test, target, paths)
    y = _labels(train.pop(target), target, paths[0])
    y_test = None if test is None else _labels(test.pop(target), target, paths[1])
    if y_test is not None and len(np.intersect1d(y, y_test)) < 2:
        raise ValueError(
            f"{paths[1]} has the labels {sorted(set(y_test))[:10]} and {paths[0]} "
            f"{sorted(set(y))[:10]}: fewer than two in common, so no AUC can be scored; "
            "spell the labels alike in both files"
        )
    labels = np.unique(y if y_test is None else np.concatenate([y, y_test]))
    extra = {
        "task_description": meta.get("task_description"),
        "meta": meta,
        "class_names": _class_names(meta.get("class_names"), labels, meta_path),
    }
    name = dataset_name(str(folder))
    if test is None:
        _check_split(y, target, paths[0])
        return _split(name, train, y, **extra)
    return Dataset(name, train, y, test, y_test, **extra)


def _read_meta(path: Path) -> dict:
    """``meta.json`` as a dict (empty when there is none)."""
    if not path.exists():
        return {}
    try:
        meta = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"cannot read {path} as JSON ({err}); fix it or remove it") from None
    if not isinstance(meta, dict):
        raise ValueError(
            f"{path} must hold a JSON object (target_column, task_description, class_names)"
        )
    for key, kinds, what in (
        ("target_column", str, "a column name"),
        ("task_description", str, "a text"),
        ("task_type", str, "'classification'"),
        ("class_names", (list, dict), "a list of texts, one per label, or a {label: text} object"),
    ):
        if meta.get(key) is not None and not isinstance(meta[key], kinds):
            raise ValueError(f"{key} in {path} must be {what}, not {meta[key]!r}")
    if meta.get("target_column") is not None and not meta["target_column"].strip():
        raise ValueError(
            f"target_column in {path} is blank ({meta['target_column']!r}): name the target "
            "column, or remove the key to use the default"
        )
    if meta.get("task_type") not in (None, "regression", *_CLASSIFICATION):
        raise ValueError(
            f"task_type in {path} is {meta['task_type']!r}: llmboost-bench compares "
            f"classifiers; write one of {', '.join(map(repr, _CLASSIFICATION))}, or remove it"
        )
    return meta


def _read_csv(path: Path) -> pd.DataFrame:
    """A table with rows, a target and at least one feature column."""
    try:
        frame = pd.read_csv(path)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise ValueError(f"cannot read {path} as CSV: {err}") from None
    if frame.empty:
        raise ValueError(f"{path} has no rows; give a table with a header line and rows")
    if frame.shape[1] < 2:
        raise ValueError(
            f"{path} has one column ({frame.columns[0]!r}); give feature columns and a target "
            "column, comma-separated"
        )
    return frame


def _check_test_columns(train: pd.DataFrame, test: pd.DataFrame, target: str, paths) -> None:
    """Stop when test.csv lacks the target or has other feature columns than train.csv."""
    if target not in test.columns:
        raise ValueError(
            f"{paths[1]} has no target column {target!r}, which {paths[0].name} has; add it"
        )
    missing = [c for c in train.columns if c not in test.columns]
    extra = [c for c in test.columns if c not in train.columns]
    if missing or extra:
        raise ValueError(
            f"{paths[1]} has other columns than {paths[0].name} (missing {missing}, extra "
            f"{extra}); give both files the same columns"
        )


def _labels(column: pd.Series, target: str, path: Path | str) -> np.ndarray:
    """The class labels of ``column`` as text; refuses blanks, one class, numeric targets."""
    blank = int(column.isna().sum())
    if blank:
        one = blank == 1
        raise ValueError(
            f"{blank} row{'' if one else 's'} of {path} {'has' if one else 'have'} no value "
            f"in the target column {target!r}; drop {'it' if one else 'those rows'} or give "
            f"{'it' if one else 'them'} a class"
        )
    numbers = pd.to_numeric(column, errors="coerce")
    if (
        numbers.notna().all()
        and (numbers != numbers.round()).any()
        and column.nunique() > len(column) / 2
    ):
        raise ValueError(
            f"the target column {target!r} of {path} holds {column.nunique()} distinct "
            "numbers: a regression target; llmboost-bench compares classifiers, so give a "
            "column of class labels"
        )
    y = column.astype(str).to_numpy()
    if len(np.unique(y)) < 2:
        raise ValueError(
            f"the target column {target!r} of {path} holds a single class ({y[0]!r}); give "
            "rows of at least two classes (fitting a classifier and ROC AUC both need them)"
        )
    return y


def _check_split(y: np.ndarray, target: str, path: Path | str) -> None:
    """Stop when a class has one row, or there are too few rows for one of each class on
    both sides: the stratified 75/25 split needs both."""
    labels, counts = np.unique(y, return_counts=True)
    if -(-len(y) // 4) < len(labels):  # the test side, ceil(n / 4), is the smaller one
        raise ValueError(
            f"{path} has {len(y)} rows of {len(labels)} classes; the stratified 75/25 split "
            f"puts a row of each class on both sides, so it needs at least "
            f"{4 * len(labels) - 3}: give more rows, or train.csv + test.csv"
        )
    single = labels[counts < 2].tolist()
    if single:
        shown = ", ".join(map(repr, single[:5])) + (", ..." if len(single) > 5 else "")
        one = len(single) == 1
        raise ValueError(
            f"{len(single)} class{'' if one else 'es'} of the target column {target!r} in "
            f"{path} {'has' if one else 'have'} a single row ({shown}); the stratified 75/25 "
            f"split needs two per class: drop {'that row' if one else 'those rows'}, or give "
            "train.csv + test.csv"
        )


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
    "data_digest",
    "dataset_name",
    "load_dataset",
    "stratified_subsample",
]
