"""Seeded synthetic tasks: the prior the bundled PFNs are pretrained on.

Every task is drawn from one of three function families and then "dressed" to look like
a real table:

* ``"mlp"``: a random structural causal model in the style of TabPFN's prior. Root noise
  is pushed through a random MLP (1-4 layers, random activations, per-layer noise); the
  features are randomly chosen hidden units (so they are correlated and some are causes,
  some effects of the target) and the target is read from another unit or from a
  random linear map of the last layer.
* ``"tree"``: a sum of random axis-aligned decision trees (depth 1-5) on independent
  inputs, giving step-wise, interaction-heavy targets.
* ``"linear"``: a sparse linear (optionally logistic-link) function of a few inputs.

The continuous score becomes a label either by random quantile thresholds (imbalanced
class proportions drawn from a Dirichlet) or, with several outputs, by an argmax.
Then: label noise, irrelevant features, heavy-tailed or integer-rounded features,
categorical features (binned, category codes randomly permuted), and missing values
(NaN) at a per-task rate.

:func:`sample_task` returns one :class:`Task`; :func:`sample_batch` a batch of tasks of
equal shape (rows, features) as float32 arrays, which is what pretraining consumes.
:func:`sample_regression_task` draws a regression task from the same families: the
score itself (plus noise, sometimes warped) is the target.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Most classes the bundled model handles.
MAX_CLASSES = 10
#: Most features a pretraining task has (the model itself takes any number).
MAX_FEATURES = 50
#: Most rows (train + test) a pretraining task has.
MAX_ROWS = 1024
#: Fewest rows a pretraining task has.
MIN_ROWS = 48

KINDS = ("mlp", "tree", "linear")
KIND_WEIGHTS = (0.5, 0.3, 0.2)


@dataclass
class Task:
    """One synthetic classification task.

    ``X`` is ``(n_rows, n_features)`` float with NaN for missing; categorical columns
    hold integer codes ``0..k-1``. ``y`` holds labels ``0..n_classes-1``; the first
    ``n_train`` rows are the context (training rows), the rest the queries.
    """

    X: np.ndarray
    y: np.ndarray
    n_train: int
    n_classes: int
    categorical: np.ndarray
    kind: str
    missing_rate: float
    info: dict = field(default_factory=dict)


_ACTIVATIONS = {
    "tanh": np.tanh,
    "relu": lambda a: np.maximum(a, 0.0),
    "sin": np.sin,
    "abs": np.abs,
    "identity": lambda a: a,
    "sigmoid": lambda a: 0.5 * (1.0 + np.tanh(a / 2)),
    "square": lambda a: np.clip(a, -4, 4) ** 2,
    "step": lambda a: (a > 0).astype(float),
}


def _standardize(a: np.ndarray) -> np.ndarray:
    sd = a.std(axis=0, keepdims=True)
    return (a - a.mean(axis=0, keepdims=True)) / np.where(sd > 1e-8, sd, 1.0)


def _inputs(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """Independent inputs: normal, uniform or a mixture per column."""
    kind = rng.choice(["normal", "uniform", "mixed"])
    if kind == "normal":
        return rng.normal(size=(n, d))
    if kind == "uniform":
        return rng.uniform(-2, 2, size=(n, d))
    out = rng.normal(size=(n, d))
    cols = rng.random(d) < 0.5
    out[:, cols] = rng.uniform(-2, 2, size=(n, int(cols.sum())))
    return out


def _mlp_scm(
    rng: np.random.Generator, n: int, n_feat: int, n_out: int
) -> tuple[np.ndarray, np.ndarray]:
    """Random MLP SCM: features and target(s) are hidden units of one random network."""
    n_layers = int(rng.integers(1, 5))
    width = int(rng.integers(max(4, n_feat // 2 + 1), max(8, 2 * n_feat) + 8))
    noise_sd = float(np.exp(rng.uniform(np.log(0.01), np.log(0.5))))
    act_names = list(_ACTIVATIONS)
    h = _inputs(rng, n, int(rng.integers(2, max(3, width // 2) + 1)))
    units = [h]
    for _ in range(n_layers):
        w = rng.normal(size=(h.shape[1], width)) * rng.uniform(0.5, 2.0) / np.sqrt(h.shape[1])
        # Sparsify connections now and then, for more varied dependence structures.
        if rng.random() < 0.5:
            w *= rng.random(w.shape) < rng.uniform(0.2, 0.9)
        act = _ACTIVATIONS[act_names[int(rng.integers(len(act_names)))]]
        h = act(h @ w + rng.normal(size=width) * 0.5)
        h = _standardize(h + noise_sd * rng.normal(size=h.shape))
        units.append(h)
    pool = np.concatenate(units, axis=1)
    if rng.random() < 0.5 or pool.shape[1] < n_feat + n_out:
        # Inputs as features, target from the last layer (a plain random-MLP task).
        x = _inputs(rng, n, n_feat)
        h = x
        for _ in range(n_layers):
            w = rng.normal(size=(h.shape[1], width)) / np.sqrt(h.shape[1]) * rng.uniform(0.5, 2)
            act = _ACTIVATIONS[act_names[int(rng.integers(len(act_names)))]]
            h = _standardize(act(h @ w + rng.normal(size=width) * 0.5))
        score = h @ rng.normal(size=(h.shape[1], n_out))
        return x, score + noise_sd * rng.normal(size=score.shape)
    order = rng.permutation(pool.shape[1])
    target_units = order[:n_out]
    feat_units = order[n_out : n_out + n_feat]
    return pool[:, feat_units], pool[:, target_units]


def _tree_ensemble(
    rng: np.random.Generator, n: int, n_feat: int, n_out: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sum of random axis-aligned trees on independent inputs."""
    x = _inputs(rng, n, n_feat)
    n_trees = int(rng.integers(1, 16))
    relevant = rng.choice(n_feat, size=int(rng.integers(1, min(n_feat, 8) + 1)), replace=False)
    score = np.zeros((n, n_out))
    for _ in range(n_trees):
        depth = int(rng.integers(1, 6))
        node = np.zeros(n, dtype=np.int64)
        for _level in range(depth):
            n_nodes = 2 ** (_level + 1) - 1
            feat = rng.choice(relevant, size=n_nodes)
            thr = rng.normal(size=n_nodes) * 0.8
            go_right = x[np.arange(n), feat[node]] > thr[node]
            node = 2 * node + 1 + go_right
        leaves = rng.normal(size=(2 ** (depth + 1), n_out))
        score += leaves[node - (2**depth - 1)]
    score /= np.sqrt(n_trees)
    return x, score + rng.uniform(0, 0.3) * rng.normal(size=score.shape)


def _sparse_linear(
    rng: np.random.Generator, n: int, n_feat: int, n_out: int
) -> tuple[np.ndarray, np.ndarray]:
    """A sparse linear function of a few inputs."""
    x = _inputs(rng, n, n_feat)
    k = int(rng.integers(1, min(n_feat, 6) + 1))
    idx = rng.choice(n_feat, size=k, replace=False)
    w = np.zeros((n_feat, n_out))
    w[idx] = rng.normal(size=(k, n_out))
    score = x @ w
    return x, score + rng.uniform(0, 1.0) * score.std() * rng.normal(size=score.shape)


_FAMILIES = {"mlp": _mlp_scm, "tree": _tree_ensemble, "linear": _sparse_linear}


def _to_labels(rng: np.random.Generator, score: np.ndarray, n_classes: int) -> np.ndarray:
    """Turn a score into labels: random-quantile thresholds, or argmax of several outputs."""
    if score.shape[1] > 1:
        temp = float(np.exp(rng.uniform(np.log(0.1), np.log(2.0))))
        logits = _standardize(score) / temp + np.log(rng.dirichlet(np.ones(score.shape[1]) * 2))
        g = rng.gumbel(size=logits.shape) if rng.random() < 0.5 else 0.0
        return np.argmax(logits + g, axis=1)
    s = score[:, 0]
    props = rng.dirichlet(np.ones(n_classes) * rng.uniform(0.5, 5.0))
    props = np.maximum(props, 0.02)
    cuts = np.quantile(s, np.cumsum(props / props.sum())[:-1])
    labels = np.searchsorted(cuts, s)
    if rng.random() < 0.5:  # non-monotone: classes are intervals in a random order
        labels = rng.permutation(n_classes)[labels]
    return labels


def _dress_features(
    rng: np.random.Generator, x: np.ndarray, cat_rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """Skew, round and categorise columns; returns features and the categorical mask."""
    n, d = x.shape
    x = x.copy()
    categorical = np.zeros(d, dtype=bool)
    for j in range(d):
        u = rng.random()
        if u < cat_rate:
            k = int(rng.integers(2, 11))
            cuts = np.quantile(x[:, j], np.sort(rng.uniform(0, 1, k - 1)))
            x[:, j] = rng.permutation(k)[np.searchsorted(cuts, x[:, j])]
            categorical[j] = True
            continue
        if u < cat_rate + 0.15:
            x[:, j] = np.exp(np.clip(x[:, j] * rng.uniform(0.5, 1.5), -20, 20))  # log-normal
        elif u < cat_rate + 0.25:
            x[:, j] = np.round(x[:, j] * rng.uniform(1, 5))  # integer-valued
        x[:, j] = x[:, j] * np.exp(rng.normal() * 2) + rng.normal() * 3  # arbitrary units
    return x, categorical


def _finish_features(
    rng: np.random.Generator, x: np.ndarray, irrelevant: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """Add irrelevant columns, shuffle, dress and blank out cells at a per-task rate."""
    n_rows = x.shape[0]
    if irrelevant:
        x = np.concatenate([x, _inputs(rng, n_rows, irrelevant)], axis=1)
    n_features = x.shape[1]
    x = x[:, rng.permutation(n_features)]
    cat_rate = rng.uniform(0, 0.4) if rng.random() < 0.5 else 0.0
    x, categorical = _dress_features(rng, x, cat_rate)
    missing_rate = float(rng.uniform(0, 0.3)) if rng.random() < 0.3 else 0.0
    if missing_rate:
        cols = rng.random(n_features) < rng.uniform(0.2, 1.0)
        mask = (rng.random(x.shape) < missing_rate) & cols
        x[mask] = np.nan
    return x, categorical, missing_rate


def sample_task(
    rng: np.random.Generator,
    n_rows: int,
    n_features: int,
    n_train: int | None = None,
    n_classes: int | None = None,
    kind: str | None = None,
    kind_weights: tuple[float, ...] = KIND_WEIGHTS,
) -> Task:
    """Draw one task with exactly ``n_rows`` rows and ``n_features`` feature columns.

    Unset arguments are drawn: ``n_train`` 30-90% of the rows, ``n_classes`` 2 (half
    the time) or 3-10, ``kind`` from :data:`KINDS` by ``kind_weights``. Classes present
    are relabelled ``0..n_classes-1`` (``n_classes`` may shrink, never below 2).

    Parameters
    ----------
    rng : numpy Generator
    n_rows, n_features : int
    n_train, n_classes : int, default=None
    kind : {"mlp", "tree", "linear"}, default=None
    kind_weights : tuple of float, default=KIND_WEIGHTS

    Returns
    -------
    Task
    """
    if n_train is None:
        n_train = int(np.clip(round(n_rows * rng.uniform(0.3, 0.9)), 1, n_rows - 1))
    if n_classes is None:
        n_classes = 2 if rng.random() < 0.5 else int(rng.integers(3, MAX_CLASSES + 1))
    if kind is None:
        kind = str(rng.choice(KINDS, p=kind_weights))
    irrelevant = int(rng.binomial(n_features - 1, rng.uniform(0, 0.5))) if n_features > 1 else 0
    n_out = 1 if rng.random() < 0.6 else n_classes
    for _attempt in range(10):
        x, score = _FAMILIES[kind](rng, n_rows, n_features - irrelevant, n_out)
        y = _to_labels(rng, score, n_classes)
        if len(np.unique(y[:n_train])) >= 2:
            break
    else:  # degenerate draw: fall back to a balanced split of the first score
        y = (score[:, 0] > np.median(score[:, 0])).astype(np.int64)
    flip = rng.uniform(0, 0.1) if rng.random() < 0.5 else 0.0
    noisy = rng.random(n_rows) < flip
    y[noisy] = rng.integers(0, n_classes, size=int(noisy.sum()))
    x, categorical, missing_rate = _finish_features(rng, x, irrelevant)
    present = np.unique(y)
    relabel = np.full(n_classes + 1, -1)
    relabel[present] = rng.permutation(len(present))
    y = relabel[y]
    return Task(
        X=x.astype(np.float32),
        y=y.astype(np.int64),
        n_train=n_train,
        n_classes=len(present),
        categorical=categorical,
        kind=kind,
        missing_rate=missing_rate,
        info={"label_noise": flip, "irrelevant": irrelevant},
    )


def _warp_target(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """A random monotone or rounding transform of a standardised target."""
    u = rng.random()
    if u < 0.2:  # right-skewed (prices, counts, durations)
        return np.exp(np.clip(t * rng.uniform(0.3, 1.2), -20, 20))
    if u < 0.3:  # integer-valued on a coarse scale
        return np.round(t * rng.uniform(0.5, 3))
    if u < 0.4:  # saturating
        return np.tanh(t * rng.uniform(0.5, 2))
    return t


def sample_regression_task(
    rng: np.random.Generator,
    n_rows: int,
    n_features: int,
    n_train: int | None = None,
    kind: str | None = None,
    kind_weights: tuple[float, ...] = KIND_WEIGHTS,
) -> Task:
    """Draw one regression task: like :func:`sample_task`, with a real-valued ``y``.

    The target is the family's score plus noise at a random signal-to-noise ratio,
    sometimes warped (skewed, rounded or saturating); ``n_classes`` is 0.

    Parameters
    ----------
    rng : numpy Generator
    n_rows : int
    n_features : int
    n_train : int, default=None
    kind : {"mlp", "tree", "linear"}, default=None
    kind_weights : tuple of float, default=KIND_WEIGHTS

    Returns
    -------
    Task
    """
    if n_train is None:
        n_train = int(np.clip(round(n_rows * rng.uniform(0.3, 0.9)), 1, n_rows - 1))
    if kind is None:
        kind = str(rng.choice(KINDS, p=kind_weights))
    irrelevant = int(rng.binomial(n_features - 1, rng.uniform(0, 0.5))) if n_features > 1 else 0
    x, score = _FAMILIES[kind](rng, n_rows, n_features - irrelevant, 1)
    t = _standardize(score)[:, 0]
    noise = float(np.exp(rng.uniform(np.log(0.02), np.log(1.5))))
    t = _standardize((t + noise * rng.normal(size=n_rows))[:, None])[:, 0]
    y = _warp_target(rng, t) * np.exp(rng.normal() * 2) + rng.normal() * 3
    x, categorical, missing_rate = _finish_features(rng, x, irrelevant)
    return Task(
        X=x.astype(np.float32),
        y=y.astype(np.float64),
        n_train=n_train,
        n_classes=0,
        categorical=categorical,
        kind=kind,
        missing_rate=missing_rate,
        info={"noise": noise, "irrelevant": irrelevant},
    )


def standardize_target(y: np.ndarray, n_train: int) -> np.ndarray:
    """``y`` in units of its first ``n_train`` values' mean and standard deviation.

    Parameters
    ----------
    y : ndarray
    n_train : int

    Returns
    -------
    ndarray
    """
    mean = y[..., :n_train].mean(axis=-1, keepdims=True)
    sd = y[..., :n_train].std(axis=-1, keepdims=True)
    return (y - mean) / np.where(sd > 1e-12, sd, 1.0)


def sample_shape(rng: np.random.Generator, max_rows: int = MAX_ROWS) -> tuple[int, int, int]:
    """Draw (rows, training rows, features) for one batch; sizes are log-uniform.

    Parameters
    ----------
    rng : numpy Generator
    max_rows : int, default=MAX_ROWS

    Returns
    -------
    tuple of int
    """
    n_rows = int(np.exp(rng.uniform(np.log(MIN_ROWS), np.log(max_rows))))
    n_train = int(np.clip(round(n_rows * rng.uniform(0.4, 0.9)), 16, n_rows - 8))
    n_features = int(np.exp(rng.uniform(0, np.log(MAX_FEATURES))))
    return n_rows, n_train, max(1, n_features)


def sample_batch(
    rng: np.random.Generator,
    tokens: int = 40_000,
    max_rows: int = MAX_ROWS,
    shape: tuple[int, int, int] | None = None,
    batch_size: int | None = None,
    task: str = "classification",
    kind_weights: tuple[float, ...] = KIND_WEIGHTS,
) -> dict[str, np.ndarray]:
    """A batch of tasks with one shared shape, sized to about ``tokens`` table cells.

    Parameters
    ----------
    rng : numpy Generator
    tokens : int, default=40_000
    max_rows : int, default=MAX_ROWS
    shape : tuple of int, default=None
        ``(rows, training rows, features)``; drawn by :func:`sample_shape` when None.
    batch_size : int, default=None
        Tasks in the batch; from ``tokens`` when None.
    task : {"classification", "regression"}, default="classification"
    kind_weights : tuple of float, default=KIND_WEIGHTS
        Probabilities of the families in :data:`KINDS`.

    Returns
    -------
    dict
        float32 ``x`` ``(B, rows, features)`` (NaN = missing), ``y`` ``(B, rows)`` (int64
        labels, or for regression float32 targets standardised with the training rows'
        mean and deviation), bool ``categorical`` ``(B, features)``, int64 ``n_classes``
        ``(B,)`` (0 for regression) and the int ``n_train``.
    """
    n_rows, n_train, n_feat = shape or sample_shape(rng, max_rows)
    if batch_size is None:
        batch_size = int(np.clip(tokens // (n_rows * (n_feat + 1)), 1, 64))
    if task == "regression":
        tasks = [
            sample_regression_task(rng, n_rows, n_feat, n_train=n_train, kind_weights=kind_weights)
            for _ in range(batch_size)
        ]
        y = standardize_target(np.stack([t.y for t in tasks]), n_train).astype(np.float32)
    else:
        tasks = [
            sample_task(rng, n_rows, n_feat, n_train=n_train, kind_weights=kind_weights)
            for _ in range(batch_size)
        ]
        y = np.stack([t.y for t in tasks])
    return {
        "x": np.stack([t.X for t in tasks]),
        "y": y,
        "categorical": np.stack([t.categorical for t in tasks]),
        "n_classes": np.array([t.n_classes for t in tasks], dtype=np.int64),
        "n_train": n_train,
    }


__all__ = [
    "KINDS",
    "KIND_WEIGHTS",
    "MAX_CLASSES",
    "MAX_FEATURES",
    "MAX_ROWS",
    "MIN_ROWS",
    "Task",
    "sample_batch",
    "sample_regression_task",
    "sample_shape",
    "sample_task",
    "standardize_target",
]
