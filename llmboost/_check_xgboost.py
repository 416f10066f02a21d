"""Check an XGBoost UBJSON model before XGBoost's own reader reads it.

XGBoost's UBJSON reader does not check lengths against its buffer (an empty or
truncated model reads past the end and crashes), and its tree loader indexes nodes by
the parents the file names; prediction then follows children, features, categories
and tree groups the file names too. :func:`check_xgboost_model` reads the UBJSON in
Python with every length checked, then checks what those reads depend on: the learner's
parameters, the objective's class count, one node array per node of each tree,
children and parents that form one tree, split features below ``num_feature``,
categorical splits inside their category lists, ``tree_info`` / ``iteration_indptr`` /
``weight_drop``, a linear model's weight count and the categories' encoding. It raises
``ValueError`` saying what is wrong.
"""

from __future__ import annotations

import re
import struct

import numpy as np
import pandas as pd

from ._validation import booster_frame
from .boosters import library_message

#: UBJSON scalar markers XGBoost reads, and their big-endian layouts.
_SCALARS = {b"i": ">b", b"U": ">B", b"I": ">h", b"l": ">i", b"L": ">q", b"d": ">f", b"D": ">d"}
_SCALARS[b"C"] = ">b"
#: Element types of the typed arrays XGBoost reads.
_TYPED = {b"i": ">i1", b"U": ">u1", b"I": ">i2", b"l": ">i4", b"L": ">i8", b"d": ">f4", b"D": ">f8"}
_MAX_DEPTH = 32
_MAX_FEATURES = 2**24
_MAX_CATEGORY = 2**24  # XGBoost's own bound on category codes
_NUMBER = re.compile(r" *[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)? *")
_NO_PARENT = 2**31 - 1  # XGBoost writes the root's parent as this
_DELETED = 2**31 - 1  # and the split feature of a node a pruner deleted
_TREE_ARRAYS = {
    "loss_changes": "f4",
    "sum_hessian": "f4",
    "base_weights": "f4",
    "left_children": "i4",
    "right_children": "i4",
    "parents": "i4",
    "split_conditions": "f4",
    "default_left": "u1",
}
_CATEGORY_ARRAYS = {
    "split_type": "u1",
    "categories_segments": "i8",
    "categories_sizes": "i8",
    "categories_nodes": "i4",
    "categories": "i4",
}
_OBJECTIVES = {
    "reg:squarederror",
    "reg:squaredlogerror",
    "reg:logistic",
    "reg:pseudohubererror",
    "reg:absoluteerror",
    "reg:quantileerror",
    "reg:gamma",
    "reg:tweedie",
    "reg:linear",
    "count:poisson",
    "survival:cox",
    "survival:aft",
    "binary:logistic",
    "binary:logitraw",
    "binary:hinge",
    "multi:softmax",
    "multi:softprob",
    "rank:ndcg",
    "rank:map",
    "rank:pairwise",
}


def check_xgboost_model(data: bytes) -> None:
    """Raise ``ValueError`` unless ``data`` is an XGBoost UBJSON model XGBoost reads safely.

    Parameters
    ----------
    data : bytes
        The model, as ``Booster.save_raw(raw_format="ubj")`` wrote it.

    Raises
    ------
    ValueError
        Saying what is wrong (first problem found).
    """
    if data[:2] != b"{L":
        raise ValueError("it is not an XGBoost UBJSON model")
    reader = _Reader(data)
    model = reader.value(0)
    if reader.pos != len(data):
        raise ValueError("it has bytes after the model")
    version = _get(model, "version", list, "the model")
    if len(version) != 3 or not all(type(v) is int for v in version):
        raise ValueError("its version is not three integers")
    _check_learner(_get(model, "learner", dict, "the model"))


def _check_learner(learner: dict) -> None:
    params = _get(learner, "learner_model_param", dict, "learner")
    n_features = _count(params, "num_feature", "learner_model_param")
    if n_features > _MAX_FEATURES:
        raise ValueError(f"num_feature={n_features} is more than load accepts")
    n_class = _count(params, "num_class", "learner_model_param")
    n_target = (
        _count(params, "num_target", "learner_model_param", 1) if "num_target" in params else 1
    )
    if params.get("boost_from_average", "1") not in ("0", "1") or min(n_class, n_target) > 1:
        raise ValueError("learner_model_param is malformed")
    outputs = max(n_class, n_target, 1)
    base_score = _get(params, "base_score", str, "learner_model_param")
    scores = base_score[1:-1].split(",") if base_score[:1] == "[" else [base_score]
    if len(scores) not in (1, outputs) or not all(_NUMBER.fullmatch(v) for v in scores):
        raise ValueError(f"base_score {base_score[:40]!r} is not {outputs} number(s)")
    _check_objective(_get(learner, "objective", dict, "learner"), n_class)
    _check_booster(_get(learner, "gradient_booster", dict, "learner"), n_features, outputs)
    for key in ("feature_names", "feature_types"):
        names = learner.get(key, [])
        if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            raise ValueError(f"learner {key} is not a list of names")
        if len(names) not in (0, n_features):
            raise ValueError(f"learner {key} does not have num_feature={n_features} entries")
    attributes = _get(learner, "attributes", dict, "learner")
    if not all(isinstance(v, str) for v in attributes.values()):
        raise ValueError("learner attributes are not text")


def load_xgboost_model(data: bytes):
    """``xgb.Booster(model_file=...)`` of ``data`` once :func:`check_xgboost_model` passes.

    Parameters
    ----------
    data : bytes
        The UBJSON model.

    Returns
    -------
    xgboost.Booster
        With the feature names :func:`~llmboost._validation.booster_frame` gives today
        (files of earlier versions kept a leading or trailing ``=`` at the edges).

    Raises
    ------
    ValueError
        "is not an XGBoost model load accepts: <what is wrong>", from the check or from
        XGBoost (its error's first line, without its C++ stack trace).
    """
    import xgboost as xgb

    try:
        check_xgboost_model(data)
        booster = xgb.Booster(model_file=bytearray(data))
    except (xgb.core.XGBoostError, ValueError) as exc:
        raise ValueError(f"is not an XGBoost model load accepts: {library_message(exc)}") from None
    if booster.feature_names:  # the names predict gives it
        named = pd.DataFrame(columns=booster.feature_names)
        booster.feature_names = [str(name) for name in booster_frame(named).columns]
    return booster


class _Reader:
    """UBJSON as XGBoost writes it, every length checked against the bytes."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError("it ends inside a value (truncated?)")
        self.pos += n
        return self.data[self.pos - n : self.pos]

    def length(self) -> int:
        if self.take(1) != b"L":
            raise ValueError(f"a length at byte {self.pos - 1} is not an int64")
        return struct.unpack(">q", self.take(8))[0]

    def value(self, depth: int):
        if depth > _MAX_DEPTH:
            raise ValueError("it nests deeper than a model does")
        marker = self.take(1)
        if marker in _SCALARS:
            return struct.unpack(_SCALARS[marker], self.take(struct.calcsize(_SCALARS[marker])))[0]
        if marker == b"S":
            return self.take(self.length()).decode("utf-8", "replace")
        if marker in (b"Z", b"T", b"F"):
            return {b"Z": None, b"T": True, b"F": False}[marker]
        if marker == b"{":
            return self.object(depth)
        if marker == b"[":
            return self.array(depth)
        raise ValueError(f"unknown UBJSON marker {marker!r} at byte {self.pos - 1}")

    def object(self, depth: int) -> dict:
        out: dict = {}
        while self.data[self.pos : self.pos + 1] != b"}":
            key = self.take(self.length()).decode("utf-8", "replace")
            if key in out:
                raise ValueError(f"key {key[:30]!r} appears twice in an object")
            out[key] = self.value(depth + 1)
        self.take(1)
        return out

    def array(self, depth: int) -> list | np.ndarray:
        head = self.data[self.pos : self.pos + 1]
        if head == b"$":
            self.take(1)
            kind = self.take(1)
            if kind not in _TYPED or self.take(1) != b"#":
                raise ValueError(f"typed array of {kind!r} at byte {self.pos - 2}")
            dtype = np.dtype(_TYPED[kind])
            n = self.length()
            raw = self.take(n * dtype.itemsize) if n >= 0 else self.take(-1)
            return np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("="))
        if head == b"#":
            self.take(1)
            n = self.length()
            if not 0 <= n <= len(self.data) - self.pos:
                raise ValueError(f"an array of {n} values is longer than the model")
            return [self.value(depth + 1) for _ in range(n)]
        out = []
        while self.data[self.pos : self.pos + 1] != b"]":
            out.append(self.value(depth + 1))
        self.take(1)
        return out


def _get(obj, key: str, kind: type, where: str):
    if not isinstance(obj, dict) or not isinstance(obj.get(key), kind):
        raise ValueError(f"{where} has no {key} ({kind.__name__})")
    return obj[key]


def _count(obj: dict, key: str, where: str, low: int = 0) -> int:
    """A count XGBoost stores as decimal text."""
    text = _get(obj, key, str, where)
    if not (text.isascii() and text.isdigit() and low <= int(text) < 2**31):
        raise ValueError(f"{where} {key}={text[:20]!r} is not a count")
    return int(text)


def _array(obj: dict, key: str, dtype: str, n: int | None, where: str) -> np.ndarray:
    value = obj.get(key)
    if not isinstance(value, np.ndarray) or value.dtype != np.dtype(dtype):
        raise ValueError(f"{where} has no {key} array of {np.dtype(dtype)}")
    if n is not None and len(value) != n:
        raise ValueError(f"{where} {key} has {len(value)} entries, not {n} (truncated?)")
    return value


def _ints(obj: dict, key: str, where: str) -> list[int]:
    value = obj.get(key)
    if not (isinstance(value, list) and all(type(v) is int for v in value)):
        raise ValueError(f"{where} has no {key} list of integers")
    return value


def _check_objective(objective: dict, n_class: int) -> None:
    name = _get(objective, "name", str, "objective")
    if name not in _OBJECTIVES:
        raise ValueError(f"objective {name[:40]!r} is not one load accepts")
    if name.startswith("multi:"):
        param = _get(objective, "softmax_multiclass_param", dict, "objective")
        if n_class < 1 or _count(param, "num_class", "objective") != n_class:
            raise ValueError("the objective's num_class differs from the learner's")


def _check_booster(booster: dict, n_features: int, outputs: int) -> None:
    name = _get(booster, "name", str, "gradient_booster")
    if name == "gblinear":
        model = _get(booster, "model", dict, "gblinear")
        _array(model, "weights", "f4", (n_features + 1) * outputs, "gblinear")
        return
    gbtree = _get(booster, "gbtree", dict, "dart") if name == "dart" else booster
    if name not in ("gbtree", "dart") or gbtree.get("name") != "gbtree":
        raise ValueError(f"gradient booster {name[:20]!r} is not one load accepts")
    n_trees = _check_trees(_get(gbtree, "model", dict, "gbtree"), n_features, outputs)
    if name == "dart":
        drops = _get(booster, "weight_drop", list, "dart")
        if len(drops) != n_trees or not all(type(w) is float for w in drops):
            raise ValueError(f"dart weight_drop does not have one number per tree ({n_trees})")


def _check_trees(model: dict, n_features: int, outputs: int) -> int:
    """The gbtree model: its trees, their groups and iterations; return the tree count."""
    n_trees = _count(_get(model, "gbtree_model_param", dict, "gbtree"), "num_trees", "gbtree")
    _count(model["gbtree_model_param"], "num_parallel_tree", "gbtree", low=1)
    trees = _get(model, "trees", list, "gbtree")
    info = _ints(model, "tree_info", "gbtree")
    if len(trees) != n_trees or len(info) != n_trees:
        raise ValueError(f"gbtree does not have num_trees={n_trees} trees and tree_info entries")
    if not all(0 <= g < outputs for g in info) or outputs > max(n_trees, 1):
        raise ValueError(f"gbtree tree_info does not match its {outputs} outputs")
    indptr = _ints(model, "iteration_indptr", "gbtree")
    steps = zip(indptr, indptr[1:], strict=False)
    if not indptr or indptr[0] != 0 or indptr[-1] != n_trees or any(a > b for a, b in steps):
        raise ValueError("gbtree iteration_indptr does not rise from 0 to the tree count")
    for i, tree in enumerate(trees):
        if not isinstance(tree, dict) or type(tree.get("id")) is not int or tree["id"] != i:
            raise ValueError(
                f"tree {i} has id {tree.get('id') if isinstance(tree, dict) else None}"
            )
        _check_tree(tree, n_features, f"tree {i}")
    if "cats" in model:
        _check_cats(_get(model, "cats", dict, "gbtree"), n_features)
    return n_trees


def _check_tree(tree: dict, n_features: int, where: str) -> None:
    param = _get(tree, "tree_param", dict, where)
    n = _count(param, "num_nodes", f"{where} tree_param", low=1)
    _count(param, "num_feature", f"{where} tree_param")
    if _count(param, "size_leaf_vector", f"{where} tree_param") > 1:
        raise ValueError(f"{where} is a multi-output tree, which load does not accept")
    arrays = {k: _array(tree, k, t, n, where) for k, t in _TREE_ARRAYS.items()}
    split = tree.get("split_indices")
    if not isinstance(split, np.ndarray) or split.dtype not in (np.int32, np.int64):
        raise ValueError(f"{where} has no split_indices array of integers")
    arrays["split_indices"] = _array(tree, "split_indices", split.dtype.str, n, where)
    if (arrays["default_left"] > 1).any():
        raise ValueError(f"{where} default_left is not 0/1")
    reached = _check_links(arrays, n, n_features, where)
    deleted = (arrays["split_indices"] == _DELETED) & (arrays["default_left"] != 0)
    if not np.array_equal(~reached, deleted) or deleted.sum() != _count(
        param, "num_deleted", f"{where} tree_param"
    ):
        raise ValueError(f"{where}: nodes not reached from the root are not the deleted ones")
    if "split_type" in tree:
        _check_splits(tree, n, where)


def _check_links(arrays: dict, n: int, n_features: int, where: str) -> np.ndarray:
    """Children and parents form one tree from node 0; split features < ``n_features``."""
    left, right = arrays["left_children"].tolist(), arrays["right_children"].tolist()
    parents, features = arrays["parents"].tolist(), arrays["split_indices"].tolist()
    if parents[0] not in (_NO_PARENT, -1) or not all(0 <= p < n for p in parents[1:]):
        raise ValueError(f"{where}: parents outside the tree")
    reached = [False] * n
    reached[0], stack = True, [0]
    while stack:
        node = stack.pop()
        if left[node] == -1 and right[node] == -1:
            continue
        if not 0 <= features[node] < n_features:
            raise ValueError(f"{where}: node {node} splits on feature {features[node]}")
        for child in (left[node], right[node]):
            if not 0 < child < n or reached[child] or parents[child] != node:
                raise ValueError(f"{where}: node {node} has child {child} (not a tree)")
            reached[child] = True
            stack.append(child)
    return np.array(reached)


def _check_splits(tree: dict, n: int, where: str) -> None:
    """Categorical splits: each names a non-empty run of category codes >= 0."""
    cat = {k: _array(tree, k, t, None, where) for k, t in _CATEGORY_ARRAYS.items()}
    kinds, nodes = cat["split_type"], cat["categories_nodes"]
    if len(kinds) != n or not np.isin(kinds, (0, 1)).all():
        raise ValueError(f"{where} split_type is not one 0/1 per node")
    if not np.array_equal(nodes, np.flatnonzero(kinds == 1)):
        raise ValueError(f"{where} categories_nodes are not its categorical splits")
    begin, size = cat["categories_segments"], cat["categories_sizes"]
    if len(begin) != len(nodes) or len(size) != len(nodes):
        raise ValueError(f"{where}: one category run per categorical split is missing")
    if (begin < 0).any() or (size < 1).any() or (begin + size > len(cat["categories"])).any():
        raise ValueError(f"{where}: category runs outside the categories")
    if ((cat["categories"] < 0) | (cat["categories"] >= _MAX_CATEGORY)).any():
        raise ValueError(f"{where}: category codes outside [0, 2**24)")


def _check_cats(cats: dict, n_features: int) -> None:
    """The categories seen in training, by feature (XGBoost re-codes new data with them)."""
    columns = _get(cats, "enc", list, "cats")
    if len(columns) not in (0, n_features):
        raise ValueError(f"cats do not have num_feature={n_features} columns")
    counts = [_category_count(c, f"cats column {i}") for i, c in enumerate(columns)]
    segments = _array(cats, "feature_segments", "i4", len(columns) + 1 if columns else 0, "cats")
    if len(segments) and (segments[0] != 0 or (np.diff(segments) != counts).any()):
        raise ValueError("cats feature_segments do not match the columns")
    order = _array(cats, "sorted_idx", "i4", int(segments[-1]) if len(segments) else 0, "cats")
    for i, (a, b) in enumerate(zip(segments[:-1], segments[1:], strict=True)):
        if not np.array_equal(np.sort(order[a:b]), np.arange(b - a)):
            raise ValueError(f"cats sorted_idx of column {i} is not an order of its categories")


def _category_count(column, where: str) -> int:
    if not isinstance(column, dict):
        raise ValueError(f"{where} is not an object")
    if "offsets" not in column:
        values = column.get("values")
        if type(column.get("type")) is not int or not isinstance(values, np.ndarray):
            raise ValueError(f"{where} has no typed values")
        return len(values)
    offsets = _array(column, "offsets", "i4", None, where)
    values = column.get("values")
    if not isinstance(values, np.ndarray) or values.dtype.itemsize != 1:
        raise ValueError(f"{where} has no text values")
    if len(offsets) and (offsets[0] != 0 or offsets[-1] != len(values)):
        raise ValueError(f"{where}: text offsets do not span the values")
    if (np.diff(offsets) < 0).any():
        raise ValueError(f"{where}: text offsets fall")
    return max(len(offsets) - 1, 0)


__all__ = ["check_xgboost_model", "load_xgboost_model"]
