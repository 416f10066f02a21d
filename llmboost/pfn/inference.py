"""Batched forward passes of the bundled PFN, chunked to a cell budget.

A :class:`Pass` is one context (rows, targets, columns in order, feature embeddings)
scoring one set of query rows. :func:`run_passes` stacks passes with the same context
size and column count into
forward calls of about ``batch_cells`` table cells each (:func:`plan`): every pass's
queries at once when they fit, else groups of passes with chunks of queries at least as
long as the context (the context is recomputed in every call, so shorter chunks would
mostly repeat it). :func:`encode_passes` runs the passes over their contexts alone once;
:func:`decode_passes` then scores any query rows against them without recomputing a
context.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Pass:
    """One forward pass: a context scoring the query set ``queries``.

    ``features`` are the columns the pass reads, in the order it reads them (a
    permutation of all columns, or a subset); ``noise`` has one row per such column.
    ``unseen`` marks the columns the context rows never observe: the pass reads them as
    missing in its query rows too (:func:`unseen_as_missing`).
    """

    queries: int
    x: np.ndarray
    y: np.ndarray
    features: np.ndarray
    noise: np.ndarray
    n_out: int = 0
    unseen: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.unseen = unseen_columns(self.x)


def plan(n_passes: int, n_ctx: int, n_query: int, rows_budget: int) -> tuple[int, int]:
    """``(passes per call, query rows per call)`` for about ``rows_budget`` rows a call.

    Parameters
    ----------
    n_passes : int
    n_ctx : int
        Context rows of each pass.
    n_query : int
        Query rows of each pass.
    rows_budget : int
        Rows (context and query, over all stacked passes) one call may hold.

    Returns
    -------
    tuple of int
    """
    room = rows_budget // n_passes - n_ctx
    if room >= n_query:
        return n_passes, n_query
    chunk = min(n_query, max(room, n_ctx, 64))
    return min(n_passes, max(1, rows_budget // (n_ctx + chunk))), chunk


def run_passes(
    model,
    passes: list[Pass],
    queries: list[np.ndarray],
    categorical: np.ndarray,
    batch_cells: int,
    temperature: float = 1.0,
    device: str = "cpu",
) -> list[np.ndarray]:
    """Softmax output of every pass over its query rows.

    Parameters
    ----------
    model : TabPFNLite
    passes : list of Pass
    queries : list of ndarray
        Query row sets; ``Pass.queries`` indexes this list.
    categorical : ndarray of bool
        Which columns are categorical.
    batch_cells : int
        Table cells per forward call.
    temperature : float, default=1.0
        The logits are divided by it before the softmax.
    device : str, default="cpu"

    Returns
    -------
    list of ndarray
        Per pass, class probabilities ``(n_query, n_out)`` for a classifier, or
        probabilities over the target bins ``(n_query, n_bins)`` for a regression model.
    """
    import torch

    out: list[np.ndarray | None] = [None] * len(passes)
    for (n_ctx, n_feat), members in _by_size(passes).items():
        n_query = max(len(queries[passes[i].queries]) for i in members)
        group, chunk = plan(len(members), n_ctx, n_query, max(1, batch_cells // (n_feat + 1)))
        for g in range(0, len(members), group):
            ids = members[g : g + group]
            parts = []
            for s in range(0, n_query, chunk):
                t = _tensors([passes[i] for i in ids], queries, categorical, (s, chunk), device)
                with torch.no_grad():
                    z = model(t["x"], t["y"], t["cat"], t["n_out"], feature_noise=t["noise"])
                parts.append(z)
            _finish(out, ids, parts, passes, queries, temperature)
    return out  # type: ignore[return-value]


def encode_passes(model, passes: list[Pass], categorical, batch_cells: int, device="cpu") -> list:
    """Every pass's context encoded once (``TabPFNLite.encode``), for :func:`decode_passes`.

    Parameters
    ----------
    model : TabPFNLite
    passes : list of Pass
    categorical : ndarray of bool
    batch_cells : int
        Table cells per forward call.
    device : str, default="cpu"

    Returns
    -------
    list of (list of int, tuple)
        Groups of passes (their indices) with their stacked encoded contexts.
    """
    import torch

    groups = []
    for (n_ctx, n_feat), members in _by_size(passes).items():
        group = max(1, batch_cells // (n_feat + 1) // n_ctx)
        for g in range(0, len(members), group):
            ids = members[g : g + group]
            t = _tensors([passes[i] for i in ids], None, categorical, None, device)
            with torch.no_grad():
                groups.append((ids, model.encode(t["x"], t["y"], t["cat"], t["noise"])))
    return groups


def decode_passes(
    model,
    groups: list,
    passes: list[Pass],
    queries: list[np.ndarray],
    categorical: np.ndarray,
    batch_cells: int,
    temperature: float = 1.0,
    device: str = "cpu",
) -> list[np.ndarray]:
    """:func:`run_passes`'s output from contexts encoded by :func:`encode_passes`.

    Equal to it up to floating-point rounding, without recomputing any context: a few
    query rows cost a fraction of a full pass.

    Returns
    -------
    list of ndarray
    """
    import torch

    out: list[np.ndarray | None] = [None] * len(passes)
    for ids, context in groups:
        group = [passes[i] for i in ids]
        n_query = max(len(queries[p.queries]) for p in group)
        chunk = max(1, batch_cells // (len(group[0].features) + 1) // len(ids))
        parts = []
        for s in range(0, n_query, chunk):
            t = _tensors(group, queries, categorical, (s, min(chunk, n_query - s)), device, False)
            with torch.no_grad():
                parts.append(model.decode(context, t["x"], t["cat"], t["n_out"]))
        _finish(out, ids, parts, passes, queries, temperature)
    return out  # type: ignore[return-value]


def unseen_columns(x: np.ndarray) -> np.ndarray:
    """Which columns the training rows ``x`` never observe (missing in every row)."""
    return np.isnan(x).all(axis=0)


def unseen_as_missing(unseen: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``rows`` with the columns ``unseen`` (:func:`unseen_columns`) made missing: such a
    column carries no information (as in TabPFN and TabICL), whatever its values."""
    if not unseen.any():
        return rows
    rows = rows.copy()
    rows[:, unseen] = np.nan
    return rows


def column_moments(x: np.ndarray, categorical) -> tuple[np.ndarray, np.ndarray]:
    """Centre and scale of each column of the training rows ``x``, in float64: numeric
    columns' mean and standard deviation over their observed values; 0 and 1 (left as
    given) for categorical columns and for columns with no spread, which the network's
    own guard handles."""
    v = np.asarray(x, dtype=np.float64)
    seen = ~np.isnan(v)
    count = np.maximum(seen.sum(axis=0), 1)
    centre = np.where(seen, v, 0.0).sum(axis=0) / count
    spread = np.where(seen, v - centre, 0.0)
    top = np.abs(spread).max(axis=0, initial=0.0)
    unit = np.where((top > 0) & (top < 1e-100), top, 1.0)  # else tiny squares underflow to 0
    scale = unit * np.sqrt(((spread / unit) ** 2).sum(axis=0) / count)
    kept = np.asarray(categorical, dtype=bool) | (scale == 0)
    centre[kept], scale[kept] = 0.0, 1.0
    return centre, scale


def standardised(rows: np.ndarray, centre: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``rows`` shifted and scaled in float64, then cast to float32 for the network, so a
    column far from zero with a small spread (``X + 1e8``: IDs, timestamps) keeps its
    values; clipped to float32's range (the network clips what is far out)."""
    top = np.finfo(np.float32).max
    out = (np.asarray(rows, dtype=np.float64) - centre) / scale
    return np.clip(out, -top, top).astype(np.float32)


def _by_size(passes: list[Pass]) -> dict[tuple[int, int], list[int]]:
    """Pass indices by (context rows, columns read): such passes stack into one call."""
    by_size: dict[tuple[int, int], list[int]] = {}
    for i, p in enumerate(passes):
        by_size.setdefault((len(p.x), len(p.features)), []).append(i)
    return by_size


def _tensors(passes, queries, categorical, rows, device, context: bool = True) -> dict:
    """A call's inputs: each pass's context rows (when ``context``), then its query rows
    ``rows = (start, length)`` (none when ``rows`` is None)."""
    import torch

    xs = []
    for p in passes:
        parts = [p.x] if context else []
        if rows is not None:
            start, length = rows
            q = unseen_as_missing(p.unseen, queries[p.queries][start : start + length])
            if len(q) < length:  # a shorter query set: pad with copies of a context row
                q = np.concatenate([q, np.repeat(p.x[:1], length - len(q), axis=0)])
            parts.append(q)
        xs.append(np.concatenate(parts)[:, p.features])
    return {
        "x": torch.from_numpy(np.stack(xs)).to(device),
        "y": torch.from_numpy(np.stack([p.y for p in passes])).to(device),
        "cat": torch.from_numpy(np.stack([categorical[p.features] for p in passes])).to(device),
        "noise": torch.from_numpy(np.stack([p.noise for p in passes])).to(device),
        "n_out": torch.tensor([p.n_out or 1 for p in passes], device=device),
    }


def _finish(out, ids, parts, passes, queries, temperature) -> None:
    """Each pass's softmax over its own query rows and outputs, from a group's parts."""
    for j, i in enumerate(ids):
        full = np.concatenate([part[j].float().cpu().numpy() for part in parts])
        z = full[: len(queries[passes[i].queries])]
        out[i] = _softmax(z[:, : passes[i].n_out or z.shape[1]], temperature)


def _softmax(z: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax of ``z / temperature``, the maximum taken out first: a temperature below
    float32's range gives the argmax, not NaN."""
    z = z.astype(np.float64)
    e = np.exp((z - z.max(axis=1, keepdims=True)) / temperature)
    return e / e.sum(axis=1, keepdims=True)


__all__ = [
    "Pass",
    "column_moments",
    "decode_passes",
    "encode_passes",
    "plan",
    "run_passes",
    "standardised",
    "unseen_as_missing",
    "unseen_columns",
]
