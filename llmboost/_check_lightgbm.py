"""Check a LightGBM text model before LightGBM's own parser reads it.

LightGBM's C++ parser trusts its input: it jumps to each tree by the offsets in
``tree_sizes``, scans for ``=`` and newlines without a bound, and later indexes arrays
by the children, features and categories the trees name. A truncated or crafted model
string makes it read and write outside its buffers (a segfault, or an abort from an
exception thrown in a parallel loop). :func:`check_lightgbm_model` checks in Python,
the way LightGBM reads the text, everything those reads depend on, and raises
``ValueError`` saying what is wrong; text that passes is safe for ``lgb.Booster``.
What is checked: the header keys and their counts, each tree at its ``tree_sizes``
offset (its keys, the lengths of its arrays against ``num_leaves``, numbers that parse,
children that form one tree, features up to ``max_feature_idx``, categorical splits
inside ``cat_boundaries`` / ``cat_threshold``), the objective, and the ``end of trees``,
``parameters:`` and ``pandas_categorical`` sections after the trees.
"""

from __future__ import annotations

import json
import re

from .boosters import library_message

_INT = re.compile(rb"[+-]?\d{1,10}")
_INTS = re.compile(rb"[+-]?\d{1,10}(?: [+-]?\d{1,10})*")
_NUMBER = rb"[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|[iI][nN][fF]|[nN][aA][nN])"
_FLOAT = re.compile(_NUMBER)
_FLOATS = re.compile(_NUMBER + rb"(?: " + _NUMBER + rb")*")
_VERSION = re.compile(r"v\d+")
_PARAMETER = re.compile(rb"\[[A-Za-z0-9_]+: [^\"\\\x00-\x1f]*\]")
_INT32 = 2**31
#: LightGBM's tree parser reads at most this many ``key=value`` lines of a tree.
_MAX_TREE_LINES = 22
_HEADER = (
    "version",
    "num_class",
    "num_tree_per_iteration",
    "label_index",
    "max_feature_idx",
    "feature_names",
    "feature_infos",
    "tree_sizes",
)
_TREE = (
    "num_leaves",
    "num_cat",
    "split_feature",
    "split_gain",
    "threshold",
    "decision_type",
    "left_child",
    "right_child",
    "leaf_value",
    "leaf_weight",
    "leaf_count",
    "internal_value",
    "internal_weight",
    "internal_count",
    "is_linear",
    "shrinkage",
)
_CATEGORICAL = ("cat_boundaries", "cat_threshold")
_LINEAR = ("leaf_const", "num_features", "leaf_features", "leaf_coeff")
_OBJECTIVES = {
    "regression",
    "regression_l1",
    "quantile",
    "huber",
    "fair",
    "poisson",
    "binary",
    "lambdarank",
    "rank_xendcg",
    "multiclass",
    "multiclassova",
    "cross_entropy",
    "cross_entropy_lambda",
    "mape",
    "gamma",
    "tweedie",
    "custom",
}
_PANDAS = "pandas_categorical:"


def check_lightgbm_model(data: bytes) -> None:
    """Raise ``ValueError`` unless ``data`` is a LightGBM text model LightGBM reads safely.

    Parameters
    ----------
    data : bytes
        The model, as ``Booster.model_to_string()`` wrote it, UTF-8 encoded.

    Raises
    ------
    ValueError
        Saying what is wrong (first problem found).
    """
    if b"\0" in data or b"\r" in data:
        raise ValueError("it holds NUL or carriage-return characters")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("it is not UTF-8 text") from None
    start = 0 if data.startswith(b"Tree=") else data.find(b"\nTree=") + 1
    if start == 0 and not data.startswith(b"Tree="):
        raise ValueError("it has no trees (truncated?)")
    header = _header(data[:start])
    n_features = _check_header(header)
    sizes = _ints(header["tree_sizes"].encode(), "tree_sizes", 1, _INT32)
    if not sizes or len(sizes) % int(header["num_tree_per_iteration"]):
        raise ValueError(f"{len(sizes)} trees is not a whole number of iterations")
    for i, size in enumerate(sizes):
        if start + size > len(data):
            raise ValueError(f"tree {i} runs past the end of the text (truncated?)")
        _check_tree(data[start : start + size], i, n_features)
        start += size
    _check_tail(data[start:])
    _check_pandas_categorical(text)


def load_lightgbm_model(data: bytes):
    """``lgb.Booster(model_str=...)`` of ``data`` once :func:`check_lightgbm_model` passes.

    Parameters
    ----------
    data : bytes
        The model text, UTF-8 encoded.

    Returns
    -------
    lightgbm.Booster

    Raises
    ------
    ValueError
        "is not a LightGBM model load accepts: <what is wrong>", from the check or from
        LightGBM (its error's first line).
    """
    import lightgbm as lgb

    try:
        check_lightgbm_model(data)
        return lgb.Booster(model_str=data.decode("utf-8"))
    except (lgb.basic.LightGBMError, ValueError) as exc:
        raise ValueError(f"is not a LightGBM model load accepts: {library_message(exc)}") from None


def _header(data: bytes) -> dict[str, str]:
    """The ``key=value`` lines before the first tree, split as LightGBM splits them."""
    out: dict[str, str] = {}
    for line in data.decode("utf-8").split("\n"):
        parts = [p for p in line.split("=") if p]
        if not parts:
            continue
        key = parts[0]
        if len(parts) > 2 and key not in ("feature_names", "monotone_constraints"):
            raise ValueError(f"header line {line[:60]!r} has more than one '='")
        if key in out:
            raise ValueError(f"header key {key!r} appears twice")
        out[key] = "" if len(parts) == 1 else line[len(key) + 1 :] if len(parts) > 2 else parts[1]
    return out


def _check_header(header: dict[str, str]) -> int:
    """Check the header; return ``max_feature_idx``."""
    if missing := [k for k in _HEADER if k not in header]:
        raise ValueError(f"the header has no {', '.join(missing)} (truncated?)")
    if not _VERSION.fullmatch(header["version"]):
        raise ValueError(f"version {header['version'][:20]!r} is not LightGBM's")
    n_class = _int(header["num_class"].encode(), "num_class", 1, _INT32)
    if _int(header["num_tree_per_iteration"].encode(), "num_tree_per_iteration", 1) != n_class:
        raise ValueError("num_tree_per_iteration differs from num_class")
    _int(header["label_index"].encode(), "label_index", 0, _INT32)
    last = _int(header["max_feature_idx"].encode(), "max_feature_idx", 0, _INT32 - 1)
    for key in ("feature_names", "feature_infos", "monotone_constraints"):
        if key in header and len(_words(header[key])) != last + 1:
            raise ValueError(f"{key} does not have max_feature_idx + 1 = {last + 1} entries")
    if "monotone_constraints" in header:
        _ints(header["monotone_constraints"].encode(), "monotone_constraints", -1, 2)
    if "objective" in header:
        _check_objective(header["objective"], n_class)
    return last


def _check_objective(value: str, n_class: int) -> None:
    tokens = _words(value)
    if not tokens or tokens[0] not in _OBJECTIVES:
        raise ValueError(f"objective {value[:40]!r} is not one LightGBM loads")
    params = {}
    for token in tokens[1:]:
        key, _, number = token.partition(":")
        if token != "sqrt" and not (key.isidentifier() and _FLOAT.fullmatch(number.encode())):
            raise ValueError(f"objective parameter {token[:40]!r} is malformed")
        params[key] = float(number) if number else 0.0
    name = tokens[0]
    if name in ("multiclass", "multiclassova"):
        if params.get("num_class") != n_class:
            raise ValueError("the objective's num_class differs from the header's")
    elif name != "custom" and n_class != 1:
        raise ValueError(f"objective {name} with num_class={n_class}")
    if name in ("binary", "multiclassova") and not params.get("sigmoid", 0.0) > 0:
        raise ValueError(f"objective {name} without a positive sigmoid")


def _check_tree(block: bytes, i: int, last_feature: int) -> None:
    """One ``Tree=i`` block: its lines as LightGBM reads them, then its arrays."""
    where = f"tree {i}"
    lines = block.split(b"\n")
    if lines[0] != b"Tree=%d" % i:
        raise ValueError(f"{where} does not start at its tree_sizes offset (truncated?)")
    body = lines[1 : lines.index(b"") if b"" in lines else len(lines)]
    if not block.endswith(b"\n\n") or any(lines[len(body) + 1 :]):
        raise ValueError(f"{where} does not end with an empty line where tree_sizes says")
    if len(body) > _MAX_TREE_LINES or not all(b"=" in line for line in body):
        raise ValueError(f"{where} has malformed lines")
    tree: dict[str, bytes] = {}
    for line in body:
        key, _, value = line.partition(b"=")
        name = key.decode("utf-8")
        if name not in _TREE + _CATEGORICAL + _LINEAR or name in tree:
            raise ValueError(f"{where}: unexpected or repeated key {name[:30]!r}")
        tree[name] = value
    if missing := [k for k in _TREE if k not in tree]:
        raise ValueError(f"{where} has no {', '.join(missing)}")
    _check_tree_arrays(tree, where, last_feature)


def _check_tree_arrays(tree: dict[str, bytes], where: str, last_feature: int) -> None:
    leaves = _int(tree["num_leaves"], f"{where} num_leaves", 1, _INT32)
    n_cat = _int(tree["num_cat"], f"{where} num_cat", 0, _INT32)
    linear = _int(tree["is_linear"], f"{where} is_linear", 0, 2)
    _floats(tree["leaf_value"], f"{where} leaf_value", leaves)
    _ints(tree["leaf_count"], f"{where} leaf_count", -_INT32, _INT32, leaves)
    _float(tree["shrinkage"], f"{where} shrinkage")
    if leaves == 1 and not linear:
        return  # LightGBM reads nothing more of a one-leaf tree
    for key in ("split_gain", "internal_value", "internal_weight"):
        _floats(tree[key], f"{where} {key}", leaves - 1)
    _floats(tree["leaf_weight"], f"{where} leaf_weight", leaves)
    _ints(tree["internal_count"], f"{where} internal_count", -_INT32, _INT32, leaves - 1)
    _ints(tree["split_feature"], f"{where} split_feature", 0, last_feature + 1, leaves - 1)
    left = _ints(tree["left_child"], f"{where} left_child", -leaves, leaves - 1, leaves - 1)
    right = _ints(tree["right_child"], f"{where} right_child", -leaves, leaves - 1, leaves - 1)
    _check_links(left, right, leaves, where)
    if n_cat:
        _check_categories(tree, n_cat, where)
    elif any(k in tree for k in _CATEGORICAL):
        raise ValueError(f"{where} has categorical arrays but num_cat=0")
    decisions = _ints(tree["decision_type"], f"{where} decision_type", 0, 12, leaves - 1)
    thresholds = _floats(tree["threshold"], f"{where} threshold", leaves - 1)
    for decision, threshold in zip(decisions, thresholds, strict=True):
        if decision & 1 and not 0 <= float(threshold) < n_cat:
            raise ValueError(f"{where}: a categorical split names no category set")
    if linear:
        _check_linear(tree, leaves, last_feature, where)
    elif any(k in tree for k in _LINEAR):
        raise ValueError(f"{where} has linear-leaf arrays but is_linear=0")


def _check_links(left: list[int], right: list[int], leaves: int, where: str) -> None:
    """The children form one binary tree: every node and leaf reached once from node 0."""
    if leaves == 1:
        return
    nodes, leaf_seen = [True] + [False] * (leaves - 2), [False] * leaves
    stack = [0]
    while stack:
        node = stack.pop()
        for child in (left[node], right[node]):
            seen, index = (nodes, child) if child >= 0 else (leaf_seen, ~child)
            if seen[index]:
                raise ValueError(f"{where}: node {index} is reached twice (not a tree)")
            seen[index] = True
            if child >= 0:
                stack.append(child)
    if not (all(nodes) and all(leaf_seen)):
        raise ValueError(f"{where}: some nodes or leaves are not reached from the root")


def _check_categories(tree: dict[str, bytes], n_cat: int, where: str) -> None:
    if missing := [k for k in _CATEGORICAL if k not in tree]:
        raise ValueError(f"{where} has num_cat={n_cat} but no {', '.join(missing)}")
    bounds = _ints(tree["cat_boundaries"], f"{where} cat_boundaries", 0, _INT32, n_cat + 1)
    if bounds[0] != 0 or any(a > b for a, b in zip(bounds, bounds[1:], strict=False)):
        raise ValueError(f"{where}: cat_boundaries do not start at 0 and rise")
    _ints(tree["cat_threshold"], f"{where} cat_threshold", 0, 2**32, bounds[-1])


def _check_linear(tree: dict[str, bytes], leaves: int, last_feature: int, where: str) -> None:
    if missing := [k for k in _LINEAR if k not in tree]:
        raise ValueError(f"{where} has is_linear=1 but no {', '.join(missing)}")
    _floats(tree["leaf_const"], f"{where} leaf_const", leaves)
    counts = _ints(tree["num_features"], f"{where} num_features", 0, _INT32, leaves)
    features = b" ".join(_words(tree["leaf_features"]))
    _ints(features, f"{where} leaf_features", 0, last_feature + 1, sum(counts))
    _floats(b" ".join(_words(tree["leaf_coeff"])), f"{where} leaf_coeff", sum(counts))


def _check_tail(data: bytes) -> None:
    """``end of trees``, then ``parameters:`` ... ``end of parameters``, then at most
    ``pandas_categorical``."""
    lines = data.split(b"\n")
    rest = [line for line in lines if line]
    if not rest or rest[0] != b"end of trees":
        raise ValueError("'end of trees' does not follow the last tree (truncated?)")
    if lines.count(b"parameters:") != 1 or lines.count(b"end of parameters") != 1:
        raise ValueError("the text has no parameters section (truncated?)")
    begin, end = lines.index(b"parameters:"), lines.index(b"end of parameters")
    if end < begin:
        raise ValueError("the parameters section is malformed")
    for line in lines[begin + 1 : end]:
        if line and not _PARAMETER.fullmatch(line):
            raise ValueError(f"parameter line {line[:60]!r} is malformed")
    after = [line for line in lines[end + 1 :] if line]
    if after and (len(after) > 1 or not after[0].startswith(_PANDAS.encode())):
        raise ValueError("unexpected text after the parameters section")


def _check_pandas_categorical(text: str) -> None:
    """What LightGBM's Python package reads as the categories of pandas columns."""
    last = text[text.rfind("\n", 0, -len(_PANDAS)) :].strip()
    if not last.startswith(_PANDAS):
        return
    try:
        value = json.loads(last[len(_PANDAS) :])
    except ValueError:
        raise ValueError("pandas_categorical is not valid JSON") from None
    if value is not None and not (
        isinstance(value, list)
        and all(
            isinstance(c, list) and all(isinstance(v, str | int | float) for v in c) for c in value
        )
    ):
        raise ValueError("pandas_categorical is not a list of category lists")


def _words(value):
    """Split on spaces, dropping empty pieces, as LightGBM's ``Common::Split`` does."""
    return [w for w in value.split(b" " if isinstance(value, bytes) else " ") if w]


def _tokens(value: bytes, what: str, count: int | None) -> list[bytes]:
    tokens = value.split(b" ") if value else []
    if count is not None and len(tokens) != count:
        raise ValueError(f"{what} has {len(tokens)} entries, not {count} (truncated?)")
    return tokens


def _int(value: bytes, what: str, low: int, high: int = _INT32) -> int:
    """An integer in ``[low, high)``."""
    if not _INT.fullmatch(value) or not low <= int(value) < high:
        raise ValueError(
            f"{what} {value[:20].decode('utf-8', 'replace')!r} is not in [{low}, {high})"
        )
    return int(value)


def _ints(value: bytes, what: str, low: int, high: int, count: int | None = None) -> list[int]:
    """Space-separated integers in ``[low, high)`` (the whole line matched at once)."""
    tokens = _tokens(value, what, count)
    numbers = list(map(int, tokens)) if _INTS.fullmatch(value) else []
    if len(numbers) != len(tokens) or (numbers and not low <= min(numbers) <= max(numbers) < high):
        return [_int(t, what, low, high) for t in tokens]  # names the first bad one
    return numbers


def _float(value: bytes, what: str) -> float:
    if not _FLOAT.fullmatch(value):
        raise ValueError(f"{what} {value[:20].decode('utf-8', 'replace')!r} is not a number")
    return float(value)


def _floats(value: bytes, what: str, count: int) -> list[bytes]:
    """Space-separated numbers, returned unparsed (the whole line matched at once)."""
    tokens = _tokens(value, what, count)
    if tokens and not _FLOATS.fullmatch(value):
        for token in tokens:
            _float(token, what)  # names the first bad one
    return tokens


__all__ = ["check_lightgbm_model", "load_lightgbm_model"]
