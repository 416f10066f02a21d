"""The fusion search: how much of the prior, and how many trees on top of it.

The prior's logits for the training rows are computed once, out of fold, and
reused for every fold and candidate. A candidate is a pair ``(scale, n_rounds)``:
trees boosted ``n_rounds`` times from the starting margin ``scale * prior`` (for
regression ``mean + scale * (prior - mean)``, the prior shrunk toward the training
target's mean: :func:`start_margin`).
``n_rounds == 0`` is the prior alone at temperature ``1 / scale``; ``(1, 0)`` is the
prior itself (labelled ``"prior"``). One booster per fold and scale is fitted; every
number of rounds is read from it as a prefix of its trees, so rounds cost no fits.

Selection (default scoring) is **evidence-gated ensemble selection** on the pooled
out-of-fold predictions: the ensemble starts as the prior alone and greedily adds (with
replacement) the candidate whose margin, averaged in, lowers the per-row loss the most,
but only while the paired per-row improvement exceeds :data:`EVIDENCE` standard
errors, or fewer when the prior's own out-of-fold ranking beats chance by fewer
standard errors: a constant or inverted prior gets no protection, and a
classification prior within :data:`ANCHOR_SIGNAL` standard errors of chance starts it
only at its smallest scale, nearly constant. With few rows the
standard error is large and a good prior stays; with many rows the trees take over.
The selection is repeated on random halves of the rows and the weights averaged, so a
candidate picked by luck gets only part of the weight (for regression only while the
prior is not fully protected).
Averaging margins keeps the model of the form ``scale_ * prior + trees`` (plus
``(1 - scale_) * mean`` for regression).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from joblib import Parallel, delayed
from sklearn.metrics import get_scorer
from tqdm.auto import tqdm

from ._cv_results import results_table
from ._library_params import given_names, prefixes_hold
from ._optuna_search import best_of, check_scored, optuna_search
from ._scorer_stand_ins import _name, scorer_score, warn_unweighted
from ._search_loss import booster_loss, loss_scale
from ._warn import caller_level
from .boosters import make_booster, n_estimators, target_center, target_unit
from .fusion_inputs import (
    CLASSIFICATION_SCALES,
    PRIOR_ONLY,
    REGRESSION_SCALES,
    check_fold_weights,
    check_margin,
    given_folds,
    make_folds,
    margin_to_output,
    prior_folds,
    prior_margin,
    scale_candidates,
    shrink_center,
    start_margin,
    target_sorted_folds,
)
from .selection import (
    ANCHOR_SIGNAL,
    EVIDENCE,
    MAX_STEPS,
    SUBSAMPLES,
    ensemble_selection,
    half_rows,
    loss_unit,
    paired_gain,
    ranking_signal,
    row_loss,
    select,
    subagged_selection,
)

#: Prefixes of the boosting scored, as fractions of ``n_estimators``.
ROUND_FRACTIONS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)
#: The largest starting margin trees train from: XGBoost keeps it as float32 (past it,
#: inf), and LightGBM's float64 margin is held to the same bound.
MARGIN_LIMIT = float(np.finfo(np.float32).max)


class FusionMember(NamedTuple):
    """One member of the fused model: trees from the prior at ``scale``, and its weight.

    ``center`` is what a regression prior is shrunk toward (see :func:`start_margin`).
    """

    scale: float
    n_rounds: int
    weight: float
    booster: Any = None
    center: float = 0.0

    def start(self, z):
        """The member's starting margin from the prior's unscaled margin ``z``."""
        return start_margin(self.scale, z, self.center)


def round_prefixes(n_estimators: int) -> list[int]:
    """The numbers of rounds scored for a booster of ``n_estimators`` trees (sorted, >= 1)."""
    return sorted({max(1, round(n_estimators * f)) for f in ROUND_FRACTIONS})


class CVScorer:
    """Out-of-fold margins of candidates on fixed folds, and their scores.

    ``margin`` is the prior's unscaled out-of-fold margin for the training rows (or
    ``None`` when no candidate uses the prior). ``scoring=None`` scores by the per-row
    loss (log loss, RMSE, or ``loss``) and enables evidence-gated ensemble selection.

    Attributes
    ----------
    loss : SearchLoss or None
        The regression booster's own loss when it is not squared error; the searches set
        it from the booster's parameters (:func:`~llmboost._search_loss.booster_loss`).
    given : dict
        The user's ``booster_params``: the boosters' messages name a parameter as it does.
    """

    def __init__(
        self,
        X,
        y,
        y_encoded,
        classes,
        margin,
        folds,
        *,
        task,
        booster,
        scoring=None,
        random_state=None,
        sample_weight=None,
        n_jobs=None,
        progress=None,
        scoring_rows=None,
        given=None,
    ):
        self.X, self.y, self.y_encoded, self.classes = X, y, y_encoded, classes
        self.scoring_rows = X if scoring_rows is None else scoring_rows
        self.margin, self.folds, self.task = margin, folds, task
        self.booster, self.random_state = booster, random_state
        self.scoring = scoring
        self.scorer: Callable | None = None if scoring is None else get_scorer(scoring)
        if self.scorer is not None and sample_weight is not None:
            warn_unweighted(self.scorer, scoring)
        self.sample_weight, self.n_jobs, self.progress = sample_weight, n_jobs, progress
        self.loss, self.given = None, given or {}
        self.scorer_overflowed, self.scorer_warned, self.scorer_infinite = False, False, False

    def center(self, train) -> float:
        """What the prior is shrunk toward when trained on rows ``train`` (0 but for
        regression: their target's mean, so a fold's start knows no test label)."""
        weight = None if self.sample_weight is None else self.sample_weight[train]
        return shrink_center(self.task, self.y_encoded[train], weight)

    def prior_at(self, scale) -> np.ndarray:
        """The pooled out-of-fold margin of the prior alone at ``scale``."""
        with np.errstate(over="ignore"):  # past float64: refused at predict, the worst here
            out = start_margin(scale, self.margin, self.center(np.arange(len(self.margin))))
            for train, test in self.folds:
                out[test] = start_margin(scale, self.margin[test], self.center(train))
        return np.where(np.isfinite(out), out, np.nan)  # inf of the right sign: loss 0

    def _fold_fit(self, scale, params, train, test, rounds):
        with np.errstate(over="ignore"):  # past float64: inf, which scores -inf
            start = start_margin(scale, self.margin, self.center(train))
        params = given_names(self.booster, params or {}, self.given)  # eta stays eta
        booster = make_booster(self.booster, params, self.task, self.random_state)
        weight = None if self.sample_weight is None else self.sample_weight[train]
        began = time.perf_counter()
        booster.fit(self.X.iloc[train], self.y_encoded[train], _rows(start, train), weight)
        fit = time.perf_counter() - began
        held_out, seconds = [], []
        for r in rounds:
            began = time.perf_counter()
            out = booster.predict_margin(self.X.iloc[test], _rows(start, test), r)
            held_out.append(bounded_margin(out, _rows(start, test), booster))
            seconds.append(time.perf_counter() - began)
        if self.progress is not None:
            self.progress.update(1)
        return held_out, fit, seconds

    def oof_grid(self, scales, params, rounds, times=None) -> dict[float, list[np.ndarray]]:
        """Pooled out-of-fold margins of ``(scale, r)`` for every scale and ``r`` in ``rounds``.

        One booster per scale and fold, fitted in parallel over both.

        Parameters
        ----------
        scales : list of float
        params : dict or None
            Booster parameters.
        rounds : list of int
            Prefixes of the boosting to read.
        times : dict, default=None
            When given, gets per scale the seconds of each fold's fit and of predicting
            each entry of ``rounds`` on each fold (shape ``(len(rounds), k)``).

        Returns
        -------
        dict of float to list of ndarray
            Per scale, one pooled margin per entry of ``rounds``.
        """
        tasks = [(s, params, tr, te, rounds) for s in scales for tr, te in self.folds]
        fits = self._run(tasks)
        k = len(self.folds)
        out = {}
        for i, s in enumerate(scales):
            held_out, fit, seconds = zip(*fits[i * k : (i + 1) * k])
            out[s] = self._pool(held_out, len(rounds))
            if times is not None:
                times[s] = (np.array(fit), np.array(seconds).T)
        return out

    def _run(self, tasks):
        if self.n_jobs in (None, 1) or len(tasks) < 2:
            return [self._fold_fit(*t) for t in tasks]
        return Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(self._fold_fit)(*t) for t in tasks
        )

    def _pool(self, fits, n_rounds):
        pooled = []
        for j in range(n_rounds):
            out = np.zeros((len(self.X),) + fits[0][j].shape[1:])
            for (_, test), held_out in zip(self.folds, fits):
                out[test] = held_out[j]
            pooled.append(out)
        return pooled

    def fold_scores(self, oof: np.ndarray) -> list[float]:
        """Score of pooled margins ``oof`` on every fold's test rows (higher is better)."""
        return self.timed_scores(oof)[0]

    def timed_scores(self, oof: np.ndarray) -> tuple[list[float], list[float]]:
        """:meth:`fold_scores`, and the seconds each fold's score took."""
        scores, seconds = [], []
        for fold, (_, test) in enumerate(self.folds):
            began = time.perf_counter()
            if self.scorer is None:
                y = self.y_encoded[test]
                loss = row_loss(oof[test], y, self.task, oof.ndim == 1, self.loss)
                w = None if self.sample_weight is None else self.sample_weight[test]
                # a margin that overflowed (inf loss) scores -inf, also on a row of weight 0
                mean = np.average(loss, weights=w) if np.isfinite(loss).all() else np.inf
                scores.append(-self._in_units(mean, y))
            else:
                scores.append(self._scorer_score(oof, test, fold))
            seconds.append(time.perf_counter() - began)
        return scores, seconds

    def _in_units(self, mean: float, y) -> float:
        """A fold's mean per-row loss as its score's loss: log loss, RMSE, or the mean
        of the booster's own loss (MAE, pinball, Huber), in the target's units."""
        if self.task == "classification":
            return float(mean)
        if self.loss is None:
            return float(np.sqrt(mean) * loss_unit(y))
        return float(mean * loss_scale(self.loss, loss_unit(y)))

    def _scorer_score(self, oof: np.ndarray, test: np.ndarray, fold: int) -> float:
        """The scorer's score of the pooled margins on the fold's rows ``test``; -inf, as
        by the search's own loss, where a scale overflowed them (scorers refuse inf) or
        the scorer's own arithmetic overflowed to a score that is not finite (squares of
        errors past 1e154; noted in ``scorer_overflowed``), without numpy's warning; any
        other overflow or invalid value in the scorer is warned of once per search."""
        if not np.isfinite(oof[test]).all():
            return -np.inf
        weight = None if self.sample_weight is None else self.sample_weight[test]
        rows, kinds = self.scoring_rows.iloc[test], []
        with np.errstate(over="call", invalid="call", call=lambda kind, _: kinds.append(kind)):
            score = scorer_score(
                self.scorer, self.task, self.classes, oof, test, rows, self.y[test], weight,
                self.scoring,
            )  # fmt: skip
        if "overflow" in kinds and not np.isfinite(score):  # and inf / inf after it
            self.scorer_overflowed = True
            return -np.inf
        self.scorer_infinite |= bool(np.isinf(score))
        if kinds and not self.scorer_warned:  # what numpy would have said, and where
            self.scorer_warned = True
            warnings.warn(
                f"scoring={_name(self.scoring)}: numpy's '{kinds[0]} "
                f"encountered' arose inside the scorer on fold {fold} of the search, which it "
                f"scored {score:.6g} there (a NaN score ranks a candidate last); check the "
                "scorer's arithmetic (a log or division of its predictions, for example).",
                RuntimeWarning,
                stacklevel=caller_level(),
            )
        return score

    def score(self, scale, params) -> list[float]:
        """Fold scores of one candidate with all of its rounds.

        Parameters
        ----------
        scale : float or "prior"
            ``"prior"`` scores the prior alone.
        params : dict or None
            Booster parameters.

        Returns
        -------
        list of float
        """
        return self.timed_score(scale, params)[0]

    def timed_score(self, scale, params) -> tuple[list[float], np.ndarray, np.ndarray]:
        """:meth:`score`, the seconds of each fold's fit (0 for the prior alone, whose
        out-of-fold margin is given) and those of predicting and scoring each fold."""
        if scale == PRIOR_ONLY:
            scores, seconds = self.timed_scores(self.margin)
            return scores, np.zeros(len(seconds)), np.array(seconds)
        n, times = n_estimators(self.booster, params), {}
        scores, seconds = self.timed_scores(self.oof_grid([scale], params, [n], times)[scale][0])
        return scores, times[scale][0], times[scale][1][0] + seconds

    def tested_rows(self) -> np.ndarray:
        """Sorted indices of the rows some fold tests."""
        rows = np.concatenate([test for _, test in self.folds])
        return np.sort(rows)


def _rows(margin, rows):
    return None if margin is None else margin[rows]


def bounded_margin(out: np.ndarray, start, booster) -> np.ndarray:
    """The margin ``out`` of the fitted ``booster``, NaN where the starting margin
    ``start``, in the trees' unit (a regression target's), is past :data:`MARGIN_LIMIT`,
    so that both libraries leave out and refuse the same scales: LightGBM's margin there
    was finite (1e300 times the logits, kept, gave probabilities of exactly 0 and 1),
    XGBoost's infinite, a loss of 0 on a row of the sign's class. A NaN margin is the
    worst, whatever the row's label."""
    if start is None:
        return out
    with np.errstate(over="ignore", invalid="ignore"):  # NaN: past the limit
        trees = (np.asarray(start, np.float64) - target_center(booster)) / target_unit(booster)
        past = ~(np.abs(trees) <= MARGIN_LIMIT)
    return np.where(past, np.nan, out)


def grid_search(
    cv: CVScorer, scales: list, params: dict | None
) -> tuple[dict, list[tuple[float, int, float]]]:
    """Score every (scale, rounds) candidate; returns ``cv_results_`` and the members.

    Members are ``(scale, n_rounds, weight)``. With the default scoring they come from
    :func:`~llmboost.selection.select`: evidence-gated ensemble selection anchored on
    the prior alone (or on the best candidate when the prior alone is not among
    ``scales``), averaged over halves of the rows (for regression only while the prior
    is not fully protected); with a custom scorer the single candidate with the best
    mean fold score is kept.

    Parameters
    ----------
    cv : CVScorer
    scales : list
        Floats and possibly ``"prior"``.
    params : dict or None
        Booster parameters.

    Returns
    -------
    cv_results : dict
    members : list of (scale, n_rounds, weight)
    """
    cv.loss = booster_loss(cv.booster, cv.task, params)
    rounds = [n_estimators(cv.booster, params)]
    if prefixes_hold(cv.booster, params):  # else only the full boosting is that booster
        rounds = round_prefixes(rounds[0])
    candidates, margins, fit, seconds = _grid(cv, scales, params, rounds)
    timed = [cv.timed_scores(m) for m in margins]
    scores = [t[0] for t in timed]
    check_scored(cv, scores)
    means = np.mean(scores, axis=1)
    if cv.scorer is None:
        weight = select(candidates, margins, cv, cv.loss)
    else:
        weight = np.zeros(len(candidates))
        weight[best_of(means, [c == (1.0, 0) for c in candidates])] = 1.0
    labels = [PRIOR_ONLY if c == (1.0, 0) else c[0] for c in candidates]
    results = results_table(
        [{"scale": label, "n_rounds": r} for label, (_, r) in zip(labels, candidates)],
        scores,
        times=(fit, [s + t[1] for s, t in zip(seconds, timed)]),
        ensemble_weight=weight,
    )
    members = [(s, r, float(w)) for (s, r), w in zip(candidates, weight) if w > 0]
    return results, members


def _grid(cv: CVScorer, scales: list, params: dict | None, rounds: list[int]) -> tuple:
    """The candidates of :func:`grid_search`, their pooled out-of-fold margins, and per
    candidate the seconds of the fold fits it shares with the other rounds of its scale
    (0 for the prior alone) and those of predicting its margin on each fold."""
    tree_scales = [float(s) for s in scales if s != PRIOR_ONLY]
    times: dict = {}
    grid = cv.oof_grid(tree_scales, params, rounds, times) if tree_scales else {}
    candidates, margins, fit, seconds = [], [], [], []
    for s in tree_scales:
        candidates += [(s, r) for r in rounds]
        margins += grid[s]
        fit += [times[s][0]] * len(rounds)
        seconds += list(times[s][1])
    if PRIOR_ONLY in scales:
        for s in sorted({*tree_scales, 1.0} - {0.0}):
            began = time.perf_counter()
            candidates.append((s, 0))
            margins.append(cv.prior_at(s))
            fit.append(np.zeros(len(cv.folds)))
            seconds.append(np.full(len(cv.folds), (time.perf_counter() - began) / len(cv.folds)))
    return candidates, margins, fit, seconds


def progress_bar(total: int, enabled: bool):
    """A tqdm bar over ``total`` fold fits, or ``None`` when not ``enabled``."""
    return tqdm(total=total, desc="fusion search", unit="fit", leave=False) if enabled else None


__all__ = [
    "ANCHOR_SIGNAL",
    "CLASSIFICATION_SCALES",
    "EVIDENCE",
    "MARGIN_LIMIT",
    "MAX_STEPS",
    "PRIOR_ONLY",
    "REGRESSION_SCALES",
    "ROUND_FRACTIONS",
    "SUBSAMPLES",
    "CVScorer",
    "bounded_margin",
    "FusionMember",
    "check_fold_weights",
    "check_margin",
    "ensemble_selection",
    "given_folds",
    "grid_search",
    "half_rows",
    "loss_unit",
    "make_folds",
    "margin_to_output",
    "optuna_search",
    "paired_gain",
    "prior_folds",
    "prior_margin",
    "progress_bar",
    "ranking_signal",
    "results_table",
    "round_prefixes",
    "row_loss",
    "scale_candidates",
    "select",
    "start_margin",
    "subagged_selection",
    "target_sorted_folds",
]
