"""Evidence-gated ensemble selection: which candidates join the prior, and how much.

The ensemble starts as the prior alone and greedily adds (with replacement) the
candidate whose margin, averaged in, lowers the per-row loss the most, but only while
the paired per-row improvement exceeds :data:`EVIDENCE` standard errors, or fewer when
the prior's own out-of-fold ranking beats chance by fewer standard errors
(:func:`ranking_signal`): a constant or inverted prior gets no protection. A
classification prior that ranks at most :data:`ANCHOR_SIGNAL` standard errors above
chance starts the ensemble only tempered to nearly nothing (its smallest scale).

The selection is then repeated on :data:`SUBSAMPLES` random halves of the rows and the
resulting ensembles are averaged (subagging, :func:`subagged_selection`): a candidate
that passes the gate on only some halves gets only part of the weight, so a winner
picked by luck on one set of a few dozen rows no longer takes its full share. For
regression only while the prior is not fully protected (see :func:`select`).
"""

from __future__ import annotations

from functools import partial

import numpy as np
from joblib import Parallel, delayed
from scipy.stats import rankdata

from ._search_loss import SearchLoss, loss_of_rows

#: Most standard errors of paired per-row improvement a candidate must show to join
#: the prior: about the largest of ~60 candidates' noise, so luck rarely joins.
EVIDENCE = 2.0
#: Most greedy steps of the ensemble selection.
MAX_STEPS = 20
#: Random halves of the rows the selection is repeated on; the ensemble is their average.
SUBSAMPLES = 25
#: Standard errors by which a classification prior's out-of-fold ranking must beat
#: chance for the ensemble to start from it; at or below, it starts from the prior at
#: its smallest scale.
ANCHOR_SIGNAL = 1.0


def paired_gain(diff: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean of per-row improvements (last axis) and its standard error.

    Parameters
    ----------
    diff : ndarray of shape (..., n)
        Per-row improvements.
    weight : ndarray of shape (n,)

    Returns
    -------
    gain, spread : ndarray of shape (...)
    """
    gain = diff @ weight / weight.sum()
    n_eff = _effective_rows(weight)
    with np.errstate(over="ignore"):  # a margin near float64's end: an infinite spread
        spread = np.sqrt(((diff - gain[..., None]) ** 2) @ weight / weight.sum() / n_eff)
    return gain, spread


def ensemble_selection(
    oof: np.ndarray,
    y_encoded: np.ndarray,
    task: str,
    anchor: int,
    *,
    sample_weight=None,
    evidence: float = EVIDENCE,
    max_steps: int = MAX_STEPS,
    loss: SearchLoss | None = None,
) -> np.ndarray:
    """Counts of each candidate in the evidence-gated greedy ensemble (margin averaging).

    ``oof`` holds the candidates' pooled out-of-fold margins, ``(n_candidates, n, ...)``.
    The ensemble starts as candidate ``anchor``; a step adds the candidate that lowers
    the mean per-row loss most, if that improvement exceeds ``evidence`` standard
    errors of the paired per-row differences (never one whose improvement is NaN, as
    that of an infinite margin is).

    Parameters
    ----------
    oof : ndarray of shape (n_candidates, n) or (n_candidates, n, k)
    y_encoded : ndarray of shape (n,)
        Class codes or numbers.
    task : {"classification", "regression"}
    anchor : int
        The candidate the ensemble starts from.
    sample_weight : ndarray of shape (n,), default=None
    evidence : float, default=EVIDENCE
    max_steps : int, default=MAX_STEPS
    loss : SearchLoss, default=None
        The regression loss (:func:`row_loss`).

    Returns
    -------
    ndarray of int of shape (n_candidates,)
    """
    binary = task == "classification" and oof.ndim == 2
    counts = np.zeros(len(oof), dtype=int)
    counts[anchor] = 1
    current = oof[anchor]
    row = partial(row_loss, y_encoded=y_encoded, task=task, binary=binary, loss=loss)
    losses = row(current)
    w = np.ones(len(y_encoded)) if sample_weight is None else np.asarray(sample_weight, float)
    for _ in range(max_steps):
        k = counts.sum()
        trial = (k * current[None] + oof) / (k + 1)
        with np.errstate(invalid="ignore"):  # an infinite or NaN margin: no evidence
            diff = losses[None] - row(trial)
            gain, spread = paired_gain(diff, w)
            evident = np.nan_to_num(gain - evidence * spread, nan=-np.inf)
        best = int(np.argmax(evident))
        if evident[best] <= 0:
            break
        counts[best] += 1
        current, losses = trial[best], row(trial[best])
    return counts


def subagged_selection(
    oof: np.ndarray,
    y_encoded: np.ndarray,
    task: str,
    anchor: int,
    rng: np.random.Generator,
    *,
    sample_weight=None,
    evidence: float = EVIDENCE,
    n_subsamples: int = SUBSAMPLES,
    n_jobs=None,
    loss: SearchLoss | None = None,
) -> np.ndarray:
    """Weights of :func:`ensemble_selection` averaged over random halves of the rows.

    Each half (:func:`half_rows`) selects its own ensemble with the same anchor, ``evidence``
    and ``loss`` (:func:`row_loss`); a candidate's weight is its mean share over the halves.
    When the anchor is protected (``evidence > 0``) the halves choose only among the anchor
    and what the selection on all rows picked, so they can only hand weight back to the
    anchor: a candidate the rows as a whole reject (a sharpened prior that fits one lucky
    half) cannot come in. Unprotected (a constant or inverted prior), every candidate takes
    part, which spreads the weight over trees that win on different halves.

    Parameters
    ----------
    oof : ndarray of shape (n_candidates, n) or (n_candidates, n, k)
    y_encoded : ndarray of shape (n,)
    task : {"classification", "regression"}
    anchor : int
    rng : numpy Generator
        Draws the halves.
    sample_weight : ndarray of shape (n,), default=None
    evidence : float, default=EVIDENCE
    n_subsamples : int, default=SUBSAMPLES
    n_jobs : int, default=None
        Halves selected at once, in threads (``-1``: all cores).
    loss : SearchLoss, default=None

    Returns
    -------
    ndarray of float of shape (n_candidates,)
        Non-negative weights summing to 1.
    """
    picked = np.arange(len(oof))
    if evidence > 0:
        picked = np.flatnonzero(ensemble_selection(oof, y_encoded, task, anchor,
                                                   sample_weight=sample_weight,
                                                   evidence=evidence, loss=loss))  # fmt: skip
    if len(picked) == 1:  # nothing joined on all rows, so every half keeps the anchor alone
        return np.eye(len(oof))[anchor]
    weights = np.zeros(len(oof))
    start = int(np.flatnonzero(picked == anchor)[0])
    halves = [half_rows(y_encoded, task, rng) for _ in range(n_subsamples)]  # same for any n_jobs
    share = partial(_share, oof[picked], y_encoded, task, start, sample_weight, evidence, loss)
    if n_jobs in (None, 1):
        shares = [share(rows) for rows in halves]
    else:
        shares = Parallel(n_jobs=n_jobs, prefer="threads")(delayed(share)(r) for r in halves)
    weights[picked] = np.sum(shares, axis=0) / n_subsamples
    return weights


def _share(oof, y_encoded, task, anchor, sample_weight, evidence, loss, rows) -> np.ndarray:
    """Each candidate's share of the ensemble selected on ``rows``."""
    weight = None if sample_weight is None else sample_weight[rows]
    counts = ensemble_selection(oof[:, rows], y_encoded[rows], task, anchor,
                                sample_weight=weight, evidence=evidence,
                                loss=loss)  # fmt: skip
    return counts / counts.sum()


def half_rows(y_encoded: np.ndarray, task: str, rng: np.random.Generator) -> np.ndarray:
    """Indices of a random half of the rows, stratified on the target.

    Classification: half of each class's rows, rounded up (a class with one row keeps
    it). Regression: one row of each pair of neighbours in target order (and the odd row
    out with probability one half), so every half spans the target's range.

    Parameters
    ----------
    y_encoded : ndarray of shape (n,)
    task : {"classification", "regression"}
    rng : numpy Generator

    Returns
    -------
    ndarray of int, sorted
    """
    if task == "regression":
        order = np.argsort(y_encoded, kind="stable")
        pairs = order[: len(order) // 2 * 2].reshape(-1, 2)
        picked = list(pairs[np.arange(len(pairs)), rng.integers(0, 2, len(pairs))])
        if len(order) % 2 and rng.random() < 0.5:
            picked.append(order[-1])
        return np.sort(np.asarray(picked, dtype=int))
    parts = []
    for label in np.unique(y_encoded):
        rows = np.flatnonzero(y_encoded == label)
        parts.append(rng.choice(rows, (len(rows) + 1) // 2, replace=False))
    return np.sort(np.concatenate(parts))


def ranking_signal(
    margin: np.ndarray, y_encoded: np.ndarray, task: str, sample_weight=None
) -> float:
    """How far the prior's ranking of the rows beats chance, in standard errors.

    Binary: the Mann-Whitney statistic of the margin (AUC against 0.5); multiclass: the
    mean of the one-vs-rest statistics of each class's margin over the best other
    class, over the classes among the rows (a class with no row, such as one of a
    single row, which no fold tests, tells nothing about the ranking); regression:
    Spearman's correlation times ``sqrt(n - 1)``. A constant prior scores 0, an
    inverted one below 0. With ``sample_weight`` the AUC and correlation are weighted
    and ``n`` is the effective number of rows (``sum(w) ** 2 / sum(w ** 2)`` per
    class): a row of weight 0 counts for nothing, as in the loss.

    Parameters
    ----------
    margin : ndarray of shape (n,) or (n, k)
    y_encoded : ndarray of shape (n,)
    task : {"classification", "regression"}
    sample_weight : ndarray of shape (n,) or None

    Returns
    -------
    float
    """
    w = np.ones(len(y_encoded)) if sample_weight is None else np.asarray(sample_weight, float)
    margin, y_encoded, w = margin[w > 0], y_encoded[w > 0], w[w > 0]
    if task == "regression":
        return _rank_correlation_z(margin, y_encoded, w)
    if margin.ndim == 1:
        return _rank_z(margin, y_encoded == 1, w)
    zs = [
        _rank_z(margin[:, k] - np.delete(margin, k, axis=1).max(axis=1), y_encoded == k, w)
        for k in np.unique(y_encoded)
    ]
    return float(np.mean(zs)) if zs else 0.0


def _effective_rows(w: np.ndarray) -> float:
    return float(w.sum() ** 2 / (w**2).sum()) if w.size else 0.0


def _rank_correlation_z(margin: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    if len(y) < 2:
        return 0.0
    ranks = np.stack([rankdata(margin), rankdata(y)])
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant side: no signal
        if np.all(w == w[0]):
            rho = np.corrcoef(ranks)[0, 1]
        else:
            cov = np.cov(ranks, aweights=w)
            rho = cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])
    n = _effective_rows(w)
    return 0.0 if not np.isfinite(rho) else float(rho * np.sqrt(max(n - 1, 0.0)))


def _rank_z(score: np.ndarray, positive: np.ndarray, w: np.ndarray) -> float:
    n1, n0 = _effective_rows(w[positive]), _effective_rows(w[~positive])
    if n1 == 0 or n0 == 0:
        return 0.0
    # weighted Mann-Whitney: each positive row wins the negative weight below its score
    # and half of that at its score
    values, at = np.unique(score, return_inverse=True)
    negative = np.bincount(at, weights=np.where(positive, 0.0, w), minlength=len(values))
    below = np.cumsum(negative) - negative
    wins = (below[at] + negative[at] / 2)[positive] @ w[positive]
    auc = wins / (w[positive].sum() * w[~positive].sum())
    return float((auc - 0.5) / np.sqrt((n1 + n0 + 1) / (12 * n1 * n0)))


def row_loss(margin, y_encoded, task: str, binary: bool, loss: SearchLoss | None = None):
    """Per-row log loss (or squared error, or the regression ``loss``) of margins.

    Parameters
    ----------
    margin : ndarray of shape (..., n) or (..., n, k)
    y_encoded : ndarray of shape (n,)
    task : {"classification", "regression"}
    binary : bool
        Whether the margin is the log-odds of class 1.
    loss : SearchLoss, default=None
        A regression booster's own loss
        (:func:`~llmboost._search_loss.booster_loss`); ``None``: squared error.

    Returns
    -------
    ndarray of shape (..., n)
        In the unit of :func:`loss_unit`; inf where a margin that overflowed gives NaN.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # a scale that overflows the
        out = _row_loss(margin, y_encoded, task, binary, loss)  # margin: inf or NaN
    # its NaN losses (inf - inf) are the worst, as its infinite ones: means of -inf
    return np.where(np.isnan(out), np.inf, out)


def _row_loss(margin, y_encoded, task, binary, loss):
    if task == "regression":
        unit = loss_unit(y_encoded)
        if loss is not None:
            return loss_of_rows(margin, y_encoded, loss, unit)
        return (margin / unit - y_encoded / unit) ** 2
    if binary:
        return np.logaddexp(0.0, -np.where(y_encoded == 1, margin, -margin))
    picked = np.take_along_axis(
        margin, np.broadcast_to(y_encoded[:, None], margin.shape[:-1] + (1,)), axis=-1
    )[..., 0]
    top = margin.max(axis=-1, keepdims=True)  # logsumexp by hand: scipy's is ~3x slower
    return np.log(np.exp(margin - top).sum(axis=-1)) + top[..., 0] - picked


def loss_unit(y: np.ndarray) -> float:
    """The unit of :func:`row_loss`'s squared errors: 1, or the largest ``|y|`` when that
    is above 1e100 and squares could overflow, or below 1e-100 and they could underflow
    to 0 (the choice between candidates is the same in any unit)."""
    top = float(np.max(np.abs(y))) if len(y) else 0.0
    return top if top > 1e100 or 0 < top < 1e-100 else 1.0


def select(candidates: list[tuple], margins: list[np.ndarray], cv, loss=None) -> np.ndarray:
    """Ensemble weights by the default rule.

    The ensemble starts from the prior alone (or the best candidate when the prior
    alone is not a candidate). Every addition must show as many standard errors of
    improvement as the prior's own out-of-fold ranking beats chance by
    (:func:`ranking_signal`, measured on all rows), at most :data:`EVIDENCE`: a prior
    that has shown a signal is protected from noise, a constant or inverted one is not.
    A classification prior that ranks at most :data:`ANCHOR_SIGNAL` standard errors
    above chance starts, unprotected, at its smallest scale among the candidates (0.01 by
    default): nearly constant. From the prior itself, the greedy steps, which lower log
    loss, would first temper it to a flat margin that beats trees overconfident on a few
    dozen rows, and its ranking, noise or inverted, would stay the model's; from the
    flat start, trees that rank join.
    The selection then runs again on :data:`SUBSAMPLES` stratified halves of the rows,
    seeded by ``cv.random_state`` and in ``cv.n_jobs`` threads, and the weights are
    averaged (:func:`subagged_selection`). Regression does so only while the prior's
    protection is below :data:`EVIDENCE` (few rows, a weak or constant prior): with a
    fully protected prior the halves' larger standard errors kept useful trees out
    (-0.003 to -0.006 mean R^2 from 256 to 1,024 rows on the shared tables).

    Parameters
    ----------
    candidates : list of (scale, n_rounds)
    margins : list of ndarray
        Pooled out-of-fold margin of each candidate.
    cv : CVScorer
        Gives the folds' rows, labels, weights, random state and ``n_jobs``.
    loss : SearchLoss, default=None
        The regression loss the rows are scored by (:func:`row_loss`).

    Returns
    -------
    ndarray of float of shape (n_candidates,)
        Non-negative weights summing to 1.
    """
    rows = cv.tested_rows()
    stack = np.stack([m[rows] for m in margins])
    y = cv.y_encoded[rows]
    w = None if cv.sample_weight is None else cv.sample_weight[rows]
    rng = np.random.default_rng(cv.random_state)

    def weights(anchor: int, evidence: float) -> np.ndarray:
        if cv.task == "regression" and evidence >= EVIDENCE:  # see the docstring
            return _share(stack, y, cv.task, anchor, w, evidence, loss, np.arange(len(y)))
        return subagged_selection(stack, y, cv.task, anchor, rng, sample_weight=w,
                                  evidence=evidence, n_jobs=cv.n_jobs, loss=loss)  # fmt: skip

    if (1.0, 0) not in candidates:
        with np.errstate(invalid="ignore"):  # a NaN mean (infinite margins) is the worst
            means = [np.average(row_loss(m, y, cv.task, m.ndim == 1, loss), weights=w)
                     for m in stack]  # fmt: skip
        return weights(int(np.argmin(np.nan_to_num(means, nan=np.inf))), EVIDENCE)
    anchor = candidates.index((1.0, 0))
    signal = ranking_signal(stack[anchor], y, cv.task, w)
    if cv.task == "classification" and signal <= ANCHOR_SIGNAL:
        tempered = min((s, i) for i, (s, r) in enumerate(candidates) if r == 0 and s > 0)
        return weights(tempered[1], 0.0)
    return weights(anchor, min(EVIDENCE, max(0.0, signal)))


__all__ = [
    "ANCHOR_SIGNAL",
    "EVIDENCE",
    "MAX_STEPS",
    "SUBSAMPLES",
    "ensemble_selection",
    "half_rows",
    "loss_unit",
    "paired_gain",
    "ranking_signal",
    "row_loss",
    "select",
    "subagged_selection",
]
