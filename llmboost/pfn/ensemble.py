"""How the bundled PFN's ensemble passes are chosen: output codes and context subsamples.

* :func:`auto_passes`: how many passes ``n_ensemble="auto"`` runs, more on small contexts.
* :func:`output_codes`: more classes than the model was pretrained on are handled by an
  error-correcting output code. Each code maps the classes onto at most ``max_groups``
  groups (a balanced random partition); the model is run once per code on the grouped
  labels, and a class's log-probability is the sum over codes of the log-probability
  of its group (then normalised). The codes together separate every pair of classes.
* :func:`context_parts`: more training rows than the largest context are split into
  context subsamples that together use every row (stratified for classification, and
  every class in every part), each topped up with other rows to the full context size.
* :func:`feature_parts`: the same for the columns of a table wider than the widest
  pretraining table: each pass reads one part, and the parts together read every column.
* :func:`principal_view`: a second view of a table for every other pass, the numeric
  columns replaced by their principal components (strongly correlated measurements,
  where a linear combination carries the signal, are read better this way), used only
  when the columns share clearly more variance than independent columns would.
"""

from __future__ import annotations

import math

import numpy as np

#: ``n_ensemble="auto"``: a query row attends to at most about this many context rows over all
#: passes (one full context's worth), see :func:`auto_passes`.
AUTO_CONTEXT_ROWS = 1024

#: The leading principal axis must carry this many times the variance of the largest
#: axis of independent columns (the Marchenko-Pastur edge ``(1 + sqrt(d / n))**2``) for
#: :func:`principal_view` to be used; independent columns stay below about 1.05.
SHARED_VARIANCE = 1.2


def auto_passes(context_size: int) -> int:
    """Passes for ``n_ensemble="auto"``: ``1024 // context_size``, between 4 and 16.

    A pass over a small context is cheap, and averaging more of them (other feature
    orders, label permutations and feature embeddings) is what a small context gains
    from: on the shared tasks 16 passes instead of 4 added about 0.001 mean AUC at 32
    and 64 rows and nothing measurable at 128.
    """
    return min(16, max(4, AUTO_CONTEXT_ROWS // max(1, int(context_size))))


def output_codes(n_classes: int, max_groups: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Class -> group maps: the identity when ``n_classes <= max_groups``, else an ECOC.

    There are ``2 * ceil(log(n_classes) / log(max_groups)) + 1`` random balanced codes,
    plus more (up to 4 * that) until every pair of classes falls in different groups
    under at least one code.

    Parameters
    ----------
    n_classes : int
    max_groups : int
        Most groups a code may have (the network's class count).
    rng : numpy Generator

    Returns
    -------
    list of ndarray
        One ``(n_classes,)`` array of group labels per code.
    """
    if n_classes <= max_groups:
        return [np.arange(n_classes)]
    n_codes = 2 * math.ceil(math.log(n_classes) / math.log(max_groups)) + 1
    base = np.arange(n_classes) % max_groups
    codes: list[np.ndarray] = []
    same = np.ones((n_classes, n_classes), dtype=bool)
    while len(codes) < n_codes or (same.sum() > n_classes and len(codes) < 4 * n_codes):
        code = rng.permutation(base)
        codes.append(code)
        same &= code[:, None] == code[None, :]
    return codes


def decode(group_proba: list[np.ndarray], codes: list[np.ndarray], counts) -> np.ndarray:
    """Class log-probabilities ``(n, n_classes)`` from each code's group probabilities.

    Each code's group probability holds the class frequencies once; their product would
    hold them once per code (a class of a few rows beside one of most rows then got
    probability ~0 whatever the row). So each code's group log-probability has its
    group's frequency taken out, and the class frequencies are added back once: group
    probabilities equal to the group frequencies give the class frequencies. One code
    (the identity, up to 10 classes) gives its probabilities as they are; with several,
    a class absent from the context (a fold's) keeps the floor of its frequency.

    Parameters
    ----------
    group_proba : list of ndarray
        ``group_proba[c][i, k]`` is the probability code ``c`` gives row ``i``'s group of
        class ``k``.
    codes : list of ndarray
        The class -> group map of each code.
    counts : array-like of shape (n_classes,)
        Rows of each class in the context.

    Returns
    -------
    ndarray of shape (n, n_classes)
        The normalised sum of their logs, less the extra counts of the frequencies.
    """
    freq = np.asarray(counts, dtype=np.float64) / np.sum(counts)
    extra = np.log(np.clip(freq, 1e-7, None))
    # a group of classes absent from the context, under several codes: nothing to take
    # out (its 0, clipped to 1e-7 and taken out per code, made such a class the likeliest)
    empty = 1e-7 if len(codes) == 1 else 1.0
    for code in codes:
        group = np.bincount(code, weights=freq)[code]
        extra = extra - np.log(np.where(group > 0, np.clip(group, 1e-7, None), empty))
    total = sum(np.log(np.clip(p, 1e-7, None)) for p in group_proba) + extra
    total = total - total.max(axis=1, keepdims=True)
    return total - np.log(np.exp(total).sum(axis=1, keepdims=True))


def context_parts(
    n_rows: int, limit: int, rng: np.random.Generator, y_codes: np.ndarray | None = None
) -> list[np.ndarray]:
    """Sorted row indices of each context subsample; ``[all rows]`` if they fit.

    Above ``limit`` rows, the rows are split (class by class when ``y_codes`` is given)
    into ``ceil(n_rows / (limit - n_classes))`` disjoint parts; each part gets one row
    of every class it lacks and is then filled with random other rows to ``limit``.

    Parameters
    ----------
    n_rows : int
    limit : int
        Rows per context.
    rng : numpy Generator
    y_codes : ndarray, default=None
        Class codes of the rows (stratified parts), or ``None`` (random parts).

    Returns
    -------
    list of ndarray
    """
    if n_rows <= limit:
        return [np.arange(n_rows)]
    classes = np.unique(y_codes) if y_codes is not None else np.zeros(1, dtype=np.int64)
    n_parts = math.ceil(n_rows / max(1, limit - len(classes)))
    if y_codes is None:
        order = rng.permutation(n_rows)
    else:
        order = np.concatenate([rng.permutation(np.flatnonzero(y_codes == c)) for c in classes])
    # Dealing rows round-robin (after a shuffle within each class) keeps parts stratified.
    start = int(rng.integers(n_parts))
    part_of = (np.arange(n_rows) + start) % n_parts
    parts = []
    for p in range(n_parts):
        rows = order[part_of == p]
        if y_codes is not None:
            missing = np.setdiff1d(classes, y_codes[rows])
            extra = [rng.choice(np.flatnonzero(y_codes == c)) for c in missing]
            rows = np.concatenate([rows, np.asarray(extra, dtype=rows.dtype)])
        others = np.setdiff1d(np.arange(n_rows), rows)
        fill = rng.choice(others, size=limit - len(rows), replace=False)
        parts.append(np.sort(np.concatenate([rows, fill])))
    return parts


def feature_parts(n_features: int, limit: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Column subsets of equal size, at most ``limit`` each, that together cover all.

    ``[arange(n_features)]`` when the table is narrow enough; else the columns are
    split at random into ``ceil(n_features / limit)`` parts, the smaller ones topped up
    with one other random column so that every part has the same size.

    Parameters
    ----------
    n_features : int
    limit : int
        Most columns per part.
    rng : numpy Generator

    Returns
    -------
    list of ndarray
        Sorted column indices of each part.
    """
    if n_features <= limit:
        return [np.arange(n_features)]
    n_parts = math.ceil(n_features / limit)
    size = math.ceil(n_features / n_parts)
    order = rng.permutation(n_features)
    parts = []
    for p in range(n_parts):
        cols = order[p::n_parts]
        if len(cols) < size:
            others = np.setdiff1d(np.arange(n_features), cols)
            cols = np.concatenate([cols, rng.choice(others, size - len(cols), replace=False)])
        parts.append(np.sort(cols))
    return parts


def principal_view(x: np.ndarray, categorical: np.ndarray):
    """A map of rows onto the principal components of ``x``'s numeric columns.

    The numeric columns are standardised (missing cells set to the column mean) and
    rotated onto the principal axes of ``x``; component ``i`` takes the place of the
    ``i``-th numeric column (columns left over, when ``x`` has fewer rows or its columns
    are linearly dependent, are 0: such axes carry only rounding noise), and
    categorical columns stay as they are. Each axis's sign is fixed by its largest
    loading, so the view does not flip with the linear algebra library. Rotating
    independent columns only mixes them, so there is no view unless the leading axis
    carries :data:`SHARED_VARIANCE` times the variance expected of the largest axis of
    as many independent columns.

    Parameters
    ----------
    x : ndarray of shape (n_rows, n_columns)
        Training rows (NaN missing), which define the axes.
    categorical : ndarray of bool
        Which columns are categorical.

    Returns
    -------
    callable or None
        ``view(rows) -> rows`` (float32), or ``None`` with fewer than 2 varying numeric
        columns or too little shared variance.
    """
    numeric = np.flatnonzero(~np.asarray(categorical, dtype=bool))
    if len(numeric) < 2:
        return None
    z = x[:, numeric].astype(np.float64)
    seen = ~np.isnan(z)
    mean = np.where(seen, z, 0.0).sum(axis=0) / np.maximum(seen.sum(axis=0), 1)
    z = np.where(seen, z, mean)
    scale = z.std(axis=0)
    varying = int((scale >= 1e-12).sum())
    scale[scale < 1e-12] = 1.0
    _, spread, axes = np.linalg.svd((z - mean) / scale, full_matrices=False)
    edge = (1 + np.sqrt(varying / len(z))) ** 2
    if varying < 2 or spread[0] ** 2 / len(z) < SHARED_VARIANCE * edge:
        return None
    axes *= np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)])[:, None]
    # numeric rank at the inputs' float32 precision: further axes are rounding noise
    axes = axes[spread > spread[0] * max(z.shape) * np.finfo(np.float32).eps]

    def view(rows: np.ndarray) -> np.ndarray:
        v = rows[:, numeric].astype(np.float64)
        scores = (np.where(np.isnan(v), mean, v) - mean) / scale @ axes.T
        out = rows.astype(np.float32, copy=True)
        out[:, numeric] = 0.0
        out[:, numeric[: scores.shape[1]]] = np.clip(scores, -1e30, 1e30)
        return out

    return view


def view_of(n_pass: int, n_contexts: int) -> int:
    """Which view pass ``n_pass`` reads: 0 (the columns) or 1 (principal components).

    Views alternate; with an even number of context subsamples they swap every round,
    so that each context is read both ways.
    """
    return (n_pass + (n_pass // n_contexts if n_contexts % 2 == 0 else 0)) % 2


__all__ = [
    "AUTO_CONTEXT_ROWS",
    "SHARED_VARIANCE",
    "auto_passes",
    "context_parts",
    "decode",
    "feature_parts",
    "output_codes",
    "principal_view",
    "view_of",
]
