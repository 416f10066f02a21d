"""Evidence-gated ensemble selection: which candidates join the prior, and how often.

The ensemble starts as the prior alone and greedily adds (with replacement) the
candidate whose margin, averaged in, lowers the per-row loss the most, but only while
the paired per-row improvement exceeds :data:`EVIDENCE` standard errors, or fewer when
the prior's own out-of-fold ranking beats chance by fewer standard errors
(:func:`ranking_signal`): a constant or inverted prior gets no protection.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp
from scipy.stats import rankdata

#: Most standard errors of paired per-row improvement a candidate must show to join
#: the prior: about the largest of ~60 candidates' noise, so luck rarely joins.
EVIDENCE = 2.0
#: Most greedy steps of the ensemble selection.
MAX_STEPS = 20


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
    n_eff = weight.sum() ** 2 / (weight**2).sum()
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
) -> np.ndarray:
    """Counts of each candidate in the evidence-gated greedy ensemble (margin averaging).

    ``oof`` holds the candidates' pooled out-of-fold margins, ``(n_candidates, n, ...)``.
    The ensemble starts as candidate ``anchor``; a step adds the candidate that lowers
    the mean per-row loss most, if that improvement exceeds ``evidence`` standard
    errors of the paired per-row differences.

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

    Returns
    -------
    ndarray of int of shape (n_candidates,)
    """
    binary = task == "classification" and oof.ndim == 2
    counts = np.zeros(len(oof), dtype=int)
    counts[anchor] = 1
    current = oof[anchor]
    loss = row_loss(current, y_encoded, task, binary)
    w = np.ones(len(y_encoded)) if sample_weight is None else np.asarray(sample_weight, float)
    for _ in range(max_steps):
        k = counts.sum()
        trial = (k * current[None] + oof) / (k + 1)
        gain, spread = paired_gain(loss[None] - row_loss(trial, y_encoded, task, binary), w)
        best = int(np.argmax(gain - evidence * spread))
        if gain[best] - evidence * spread[best] <= 0:
            break
        counts[best] += 1
        current, loss = trial[best], row_loss(trial[best], y_encoded, task, binary)
    return counts


def ranking_signal(margin: np.ndarray, y_encoded: np.ndarray, task: str) -> float:
    """How far the prior's ranking of the rows beats chance, in standard errors.

    Binary: the Mann-Whitney statistic of the margin (AUC against 0.5); multiclass: the
    mean of the one-vs-rest statistics of each class's margin over the best other
    class; regression: Spearman's correlation times ``sqrt(n - 1)``. A constant prior
    scores 0, an inverted one below 0.

    Parameters
    ----------
    margin : ndarray of shape (n,) or (n, k)
    y_encoded : ndarray of shape (n,)
    task : {"classification", "regression"}

    Returns
    -------
    float
    """
    if task == "regression":
        rho = np.corrcoef(rankdata(margin), rankdata(y_encoded))[0, 1]
        return 0.0 if not np.isfinite(rho) else float(rho * np.sqrt(len(margin) - 1))
    if margin.ndim == 1:
        return _rank_z(margin, y_encoded == 1)
    zs = [
        _rank_z(margin[:, k] - np.delete(margin, k, axis=1).max(axis=1), y_encoded == k)
        for k in range(margin.shape[1])
    ]
    return float(np.mean(zs))


def _rank_z(score: np.ndarray, positive: np.ndarray) -> float:
    n1 = int(positive.sum())
    n0 = len(positive) - n1
    if n1 == 0 or n0 == 0:
        return 0.0
    ranks = rankdata(score)
    auc = (ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
    return float((auc - 0.5) / np.sqrt((n1 + n0 + 1) / (12 * n1 * n0)))


def row_loss(margin, y_encoded, task: str, binary: bool) -> np.ndarray:
    """Per-row log loss (or squared error) of margins.

    Parameters
    ----------
    margin : ndarray of shape (..., n) or (..., n, k)
    y_encoded : ndarray of shape (n,)
    task : {"classification", "regression"}
    binary : bool
        Whether the margin is the log-odds of class 1.

    Returns
    -------
    ndarray of shape (..., n)
    """
    if task == "regression":
        return (margin - y_encoded) ** 2
    if binary:
        return np.logaddexp(0.0, -np.where(y_encoded == 1, margin, -margin))
    picked = np.take_along_axis(
        margin, np.broadcast_to(y_encoded[:, None], margin.shape[:-1] + (1,)), axis=-1
    )[..., 0]
    return logsumexp(margin, axis=-1) - picked


def select(candidates: list[tuple], margins: list[np.ndarray], cv) -> np.ndarray:
    """Ensemble counts by the default rule.

    The ensemble starts from the prior alone (or the best candidate when the prior
    alone is not a candidate). Every addition must show as many standard errors of
    improvement as the prior's own out-of-fold ranking beats chance by
    (:func:`ranking_signal`), at most :data:`EVIDENCE`: a prior that has shown a
    signal is protected from noise, a constant or inverted one is not.

    Parameters
    ----------
    candidates : list of (scale, n_rounds)
    margins : list of ndarray
        Pooled out-of-fold margin of each candidate.
    cv : CVScorer
        Gives the folds' rows, labels and weights.

    Returns
    -------
    ndarray of int of shape (n_candidates,)
    """
    rows = cv.tested_rows()
    stack = np.stack([m[rows] for m in margins])
    y = cv.y_encoded[rows]
    w = None if cv.sample_weight is None else cv.sample_weight[rows]
    if (1.0, 0) not in candidates:
        means = [row_loss(m, y, cv.task, m.ndim == 1).mean() for m in stack]
        return ensemble_selection(stack, y, cv.task, int(np.argmin(means)), sample_weight=w)
    anchor = candidates.index((1.0, 0))
    evidence = min(EVIDENCE, max(0.0, ranking_signal(stack[anchor], y, cv.task)))
    return ensemble_selection(stack, y, cv.task, anchor, sample_weight=w, evidence=evidence)


__all__ = [
    "EVIDENCE",
    "MAX_STEPS",
    "ensemble_selection",
    "paired_gain",
    "ranking_signal",
    "row_loss",
    "select",
]
