"""The PFNs that ship inside llmboost as priors: offline, licence-free, CPU-friendly.

:class:`BundledPFNPrior` loads ``llmboost/pfn/weights/llmboost-pfn-small.pt``
(classification) or ``llmboost-pfn-small-regression.pt`` (regression): ~170k parameter
transformers pretrained on synthetic tasks (see ``docs/bundled_pfn.md``). Rows are
scored by in-context learning: the training rows are the context, each new row attends
to them. ``torch`` is imported only when a prior is fitted.
"""

from __future__ import annotations

import numbers
import os
from typing import Any

import numpy as np
import pandas as pd

from .._params import (
    BOOL,
    DEVICE,
    POSITIVE_INT,
    POSITIVE_REAL,
    RANDOM_STATE,
    TASK,
    Interval,
    Options,
)
from .._resources import require, seed_from
from ._base import Folds, Prior, categorical_mask, category_codes, target_moments
from ._device import fitted_device, torch_device
from ._in_context import CHECKPOINT_PATH, same_seed
from ._pfn_checkpoint import default_weights_path, load_model

#: Most bytes of encoded training rows a fitted prior keeps between ``logits`` calls.
ENCODED_CONTEXT_BYTES = 256 * 2**20


class BundledPFNPrior(Prior):
    """The bundled PFN's class log-probabilities (or predicted means) as a prior.

    Parameters
    ----------
    task : {"classification", "regression"}, default="classification"
        Which shipped network: class log-probabilities, or the mean of a distribution
        over target bins (``logits`` returns ``(n,)`` means).
    n_ensemble : int or "auto", default="auto"
        Forward passes averaged (classification: in probability space). Pass 0 uses
        the data as given; the others permute the class labels and the feature order,
        and every pass draws its own random feature embeddings. ``"auto"`` gives small
        contexts more passes, which cost little there: ``1024 // context rows``,
        between 4 and 16 (16 up to 64 rows, 8 at 128, 4 from 205 rows on;
        :func:`llmboost.pfn.ensemble.auto_passes`).
    random_state : int, RandomState instance or None, default=None
        Seeds the permutations, the feature embeddings and the context subsamples;
        ``None`` means 0, so results are reproducible. A ``RandomState`` is drawn from
        once per fit. Set after fit, it takes effect at the next ``logits``, as a refit.
    max_context : int, default=None
        Most training rows in one context; ``None`` is the largest table size the
        checkpoint was pretrained on (1,024 rows). With more training rows, the rows
        are split into context subsamples that together use every row (stratified,
        every class in each); there are then ``max(n_ensemble, subsamples)`` passes.
        Set after fit, it takes effect at the next ``logits``, as a refit.
    weights : str or Path, default=None
        A checkpoint file from ``python -m llmboost.pfn.pretrain`` for ``task`` (``~``
        is expanded); ``None`` is the shipped one. Set after fit, it takes effect at the
        next ``logits``, as a refit (contexts planned for its row limit).
    device : str or torch.device, default="cpu"
        Torch device; ``"auto"`` picks CUDA when available. A device torch cannot use
        here (``"gpu"``, ``"cuda"`` without a GPU) is a ``ValueError`` at fit.
    softmax_temperature : float, default=1.0
        Logits (class or bin) are divided by it before the softmax; must be > 0.
    batch_cells : int, default=2_000_000
        Memory knob: table cells (rows x columns, over all stacked passes) per forward
        call.
    max_features : int or None, default=50
        Most columns one pass reads (the pretraining tables had at most 50). A wider
        table's columns are split into equal parts that together cover every column,
        one part per pass; there are then at least as many passes as parts. ``None``
        reads every column in every pass.
    principal_components : bool, default=True
        Every other pass reads the numeric columns as their principal components
        (standardised, axes from the training rows) instead of as given, when the
        columns share a principal axis clearly stronger than independent columns would
        (:func:`llmboost.pfn.ensemble.principal_view`); other tables, and tables wider
        than ``max_features``, are always read as given.

    Notes
    -----
    More classes than the network's 10 are handled by an error-correcting output code
    (:func:`llmboost.pfn.ensemble.output_codes`): each code groups the classes into at
    most 10 groups; ``n_ensemble`` passes run per code. Sample weights are not used.

    The first ``logits`` call after a fit encodes the training rows once and keeps them
    (the network's work on them, when it fits in :data:`ENCODED_CONTEXT_BYTES`; never
    pickled or saved), so later calls cost only their own rows: one row against 500
    training rows takes milliseconds instead of a full pass over the context.

    Attributes
    ----------
    classes_ : ndarray
        Labels in the order of the logit columns (classification).
    contexts_ : list of ndarray
        Training-row indices of each context subsample.
    context_size_ : int
        Rows in each context.
    codes_ : list of ndarray
        Class -> group maps (one identity map up to 10 classes).
    seed_ : int
        The seed drawn from ``random_state``.
    categorical_ : ndarray of bool
        Which columns are categorical (read as category codes).
    ignored_columns_ : ndarray of bool
        Columns missing in every training row: read as missing at predict, whatever
        their values there.
    """

    _parameter_constraints = {
        "task": TASK,
        "n_ensemble": [POSITIVE_INT, Options(("auto",))],
        "random_state": RANDOM_STATE,
        "max_context": [Interval(numbers.Integral, 2), None],
        "weights": [CHECKPOINT_PATH, None],
        "device": DEVICE,
        "softmax_temperature": [POSITIVE_REAL],
        "batch_cells": [POSITIVE_INT],
        "max_features": [POSITIVE_INT, None],
        "principal_components": [BOOL],
    }

    def __init__(
        self,
        task: str = "classification",
        *,
        n_ensemble: int | str = "auto",
        random_state: int | np.random.RandomState | None = None,
        max_context: int | None = None,
        weights: str | os.PathLike | None = None,
        device: str = "cpu",
        softmax_temperature: float = 1.0,
        batch_cells: int = 2_000_000,
        max_features: int | None = 50,
        principal_components: bool = True,
    ) -> None:
        self.task = task
        self.n_ensemble = n_ensemble
        self.random_state = random_state
        self.max_context = max_context
        self.weights = weights
        self.device = device
        self.softmax_temperature = softmax_temperature
        self.batch_cells = batch_cells
        self.max_features = max_features
        self.principal_components = principal_components

    # ------------------------------------------------------------------ hooks
    def _fit(self, X: pd.DataFrame, y: np.ndarray) -> None:
        """Keep the encoded training rows and choose the context subsamples and codes."""
        from ..pfn.inference import column_moments, standardised, unseen_columns

        model = self._start(X)
        values = _values(X)
        self.feature_centre_, self.feature_scale_ = column_moments(values, self.categorical_)
        self.X_train_ = standardised(values, self.feature_centre_, self.feature_scale_)
        self.ignored_columns_ = unseen_columns(self.X_train_)
        self.y_train_ = y
        self.contexts_, self.codes_ = self._plan(model, y)
        self.context_size_ = len(self.contexts_[0])
        self._encoded, self._planned_for = None, (self.random_state, self.max_context, self.weights)

    def _replan(self) -> None:
        """Draw the seed and plan the contexts and codes again, as a refit would, when
        ``random_state``, ``max_context`` or ``weights`` (its row limit) was set since fit."""
        planned = (self.random_state, self.max_context, self.weights)
        seed, *kept = (*getattr(self, "_planned_for", planned), self.weights)[:3]
        if same_seed(self.random_state, seed) and kept == list(planned[1:]):
            return
        self._check_params()
        model = self._model()
        self._check_labels(model)
        self.seed_ = seed_from(self.random_state)
        self.contexts_, self.codes_ = self._plan(model, self.y_train_)
        self.context_size_, self._planned_for = len(self.contexts_[0]), planned

    def _logits(self, X: pd.DataFrame) -> np.ndarray:
        from ..pfn.inference import decode_passes, run_passes, standardised, unseen_as_missing

        self._replan()
        moments = (getattr(self, "feature_centre_", 0.0), getattr(self, "feature_scale_", 1.0))
        query = unseen_as_missing(self._ignored(), standardised(_values(X), *moments))
        job = (self.X_train_, self.y_train_, self.contexts_, self.codes_)
        model, passes, owners, views, groups = self._encoded_context(job)
        queries = _with_views([query], views)
        args = (self.categorical_, int(self.batch_cells), float(self.softmax_temperature))
        if groups is None:  # beyond the memory budget: every call a full pass
            outputs = run_passes(model, passes, queries, *args, self._device())
        else:
            outputs = decode_passes(model, groups, passes, queries, *args, self._device())
        return self._combine(model, 0, job, passes, owners, outputs)

    def _ignored(self) -> np.ndarray:
        """``ignored_columns_``, found once on a prior fitted before fit kept it."""
        if not hasattr(self, "ignored_columns_"):
            from ..pfn.inference import unseen_columns

            self.ignored_columns_ = unseen_columns(self.X_train_)
        return self.ignored_columns_

    def _encoded_context(self, job) -> tuple:
        """``(model, passes, owners, views, groups)`` of the fitted context: its passes with
        their encoded contexts, made on the first call and kept while the parameters and the
        network stay; ``groups`` is ``None`` (nothing kept) when they would exceed
        :data:`ENCODED_CONTEXT_BYTES`."""
        from ..pfn.inference import encode_passes

        params, model = self.get_params(), self._model()
        kept = getattr(self, "_encoded", None)
        if kept is not None and kept[0] == params and kept[1][0] is model:
            return kept[1]
        passes, owners, views = self._planned(model, [job])
        w, layers = model.cfg.width, model.cfg.layers
        size = sum(len(p.x) * ((layers - 1) * (len(p.features) + 1) + 1) for p in passes)
        if 2 * w * 4 * size > ENCODED_CONTEXT_BYTES:  # keys and values, float32
            return model, passes, owners, views, None
        device = self._device()
        groups = encode_passes(model, passes, self.categorical_, int(self.batch_cells), device)
        self._encoded = params, (model, passes, owners, views, groups)
        return self._encoded[1]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())  # a copy: the default may be __dict__ itself
        state.pop("_encoded", None)  # tensors rebuilt on the first call
        return state

    def _oof_logits(self, X: pd.DataFrame, y: np.ndarray, folds: Folds) -> np.ndarray:
        """Each fold's rows scored with the other folds as context; folds run batched."""
        from ..pfn.inference import (
            column_moments,
            standardised,
            unseen_as_missing,
            unseen_columns,
        )

        model = self._start(X)
        values = _values(X)
        jobs, queries = [], []
        for train, test in folds:
            train = np.asarray(train)
            contexts, codes = self._plan(model, y[train])
            centre, scale = column_moments(values[train], self.categorical_)
            x = standardised(values[train], centre, scale)
            jobs.append((x, y[train], contexts, codes))
            query = standardised(values[test], centre, scale)
            queries.append(unseen_as_missing(unseen_columns(x), query))
        shape = (len(X),) if self.task == "regression" else (len(X), len(self.classes_))
        out = np.empty(shape, dtype=np.float64)
        for (_train, test), z in zip(folds, self._score(jobs, queries)):
            out[np.asarray(test)] = z
        return out

    def _start(self, X: pd.DataFrame):
        """Check the labels against the network, draw the seed; the network."""
        model = self._model()
        self._check_labels(model)
        self.seed_ = seed_from(self.random_state)
        self.categorical_ = categorical_mask(X)
        return model

    def _check_labels(self, model) -> None:
        """Refuse one class, or fewer context rows (``max_context``, else the checkpoint's
        ``max_rows``) than classes."""
        if self.task != "classification":
            return
        k = len(self.classes_)
        if k < 2:
            raise ValueError(
                f"BundledPFNPrior needs at least 2 classes in y; got {k} "
                f"class ({self.classes_.tolist()})."
            )
        if self.max_context is not None and self.max_context < k:
            raise ValueError(
                f"BundledPFNPrior: max_context={self.max_context} is smaller than the "
                f"{k} classes in y; every class needs a context row "
                "(raise max_context or leave it None)."
            )
        if self._limit(model) < k:
            path = self.weights or default_weights_path(self.task)
            raise ValueError(
                f"BundledPFNPrior: the checkpoint {path} was pretrained on tables of "
                f"at most {model.max_rows} rows (its max_rows), fewer than the {k} classes in "
                f"y; every class needs a context row: pass max_context={k} or more (beyond its "
                "pretraining), or weights= a checkpoint pretrained on larger tables."
            )

    def _model(self):
        path = self.weights or default_weights_path(self.task)
        model = load_model(path, self._device())
        if model.cfg.task != self.task:
            raise ValueError(
                f"BundledPFNPrior(task={self.task!r}): the checkpoint {path} is a "
                f"{model.cfg.task} model; pass weights= of a {self.task} checkpoint."
            )
        return model

    def _device(self) -> str:
        require("torch", extra="pfn", who=type(self).__name__)  # the first use of torch
        fitted = hasattr(self, "X_train_")  # perhaps loaded on a machine without its device
        return (fitted_device if fitted else torch_device)(self.device, type(self).__name__)

    def _limit(self, model) -> int:
        return int(self.max_context) if self.max_context is not None else model.max_rows

    def _plan(self, model, targets: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Context subsamples and output codes for one training set (seeded afresh)."""
        from ..pfn.ensemble import context_parts, output_codes

        rng = np.random.default_rng(self.seed_)
        strata = targets if self.task == "classification" else None
        contexts = context_parts(len(targets), self._limit(model), rng, strata)
        if self.task == "regression":
            return contexts, []
        return contexts, output_codes(len(self.classes_), model.cfg.max_classes, rng)

    # --------------------------------------------------------------- inference
    def _score(self, jobs: list, queries: list[np.ndarray]) -> list[np.ndarray]:
        """Run every job's passes in shared forward calls and combine them per job."""
        from ..pfn.inference import run_passes

        model = self._model()
        passes, owners, views = self._planned(model, jobs)
        outputs = run_passes(
            model,
            passes,
            _with_views(queries, views),
            self.categorical_,
            int(self.batch_cells),
            float(self.softmax_temperature),
            self._device(),
        )
        return [self._combine(model, j, jobs[j], passes, owners, outputs) for j in range(len(jobs))]

    def _planned(self, model, jobs: list) -> tuple[list, list, list]:
        """Every job's passes, their ``(job, key)`` owners and the principal-view query sets.

        Job ``j``'s queries are query set ``j``; ``views`` holds ``(j, view, unseen)`` of
        each set after those (:func:`_with_views`).
        """
        from ..pfn.ensemble import principal_view

        passes, owners, views = [], [], []
        for j, (x, *job) in enumerate(jobs):
            one_part = x.shape[1] <= (self.max_features or x.shape[1])  # else no view
            rotate = self.principal_components and one_part
            view = principal_view(x, self.categorical_) if rotate else None
            sets = [(j, x)]
            if view is not None:
                sets.append((_view_sets(j, x, view, len(jobs), views), view(x)))
            for key, p in self._passes(model, sets, *job):
                passes.append(p)
                owners.append((j, key))
        return passes, owners, views

    def _passes(self, model, views, y: np.ndarray, contexts, codes):
        """``(key, Pass)`` for every pass of a job; the key says how to map it back.

        ``views`` holds ``(query set, training rows)`` per view of the job's table; a
        query set given as a function of the context rows is numbered by it.
        """
        from ..pfn.ensemble import auto_passes, feature_parts, view_of
        from ..pfn.inference import Pass

        rng = np.random.default_rng([self.seed_, 1])
        n_cols = views[0][1].shape[1]
        cols = feature_parts(n_cols, self.max_features or n_cols, rng)
        wanted = self.n_ensemble
        wanted = auto_passes(len(contexts[0])) if wanted == "auto" else int(wanted)
        n = max(wanted, len(contexts), len(cols))
        for c, code in enumerate(codes or [None]):
            for e in range(n):
                j, x = views[view_of(e, len(contexts)) % len(views)]
                rows = contexts[e % len(contexts)]
                j = j(rows) if callable(j) else j
                part = cols[e % len(cols)]
                features = part if e == 0 and len(cols) == 1 else rng.permutation(part)
                noise = rng.standard_normal((len(part), model.cfg.feature_embed))
                noise = noise.astype(np.float32)
                if code is None:  # regression: targets standardised with the context
                    mean, sd = target_moments(y[rows])  # a constant context predicts its value
                    yc = ((y[rows] - mean) / (sd or 1.0)).astype(np.float32)
                    key = (mean, sd)
                    yield key, Pass(j, x[rows], yc, features, noise)
                    continue
                n_groups = int(code.max()) + 1
                perm = np.arange(n_groups) if e == 0 else rng.permutation(n_groups)
                group = perm[code]  # class -> (permuted) group label of this pass
                yield (c, group), Pass(j, x[rows], group[y[rows]], features, noise, n_groups)

    def _combine(self, model, j, job, passes, owners, outputs) -> np.ndarray:
        """Average a job's passes (per code) and decode them."""
        mine = [(key, out) for (owner, key), out in zip(owners, outputs) if owner == j]
        if self.task == "regression":
            centers = _bin_centers(model)
            means = [mean + sd * (p @ centers) for (mean, sd), p in mine]
            return np.mean(means, axis=0)
        from ..pfn.ensemble import decode

        codes = job[3]
        per_code = [np.zeros((len(mine[0][1]), len(self.classes_))) for _ in codes]
        for (c, group), p in mine:
            per_code[c] += p[:, group] / (len(mine) / len(codes))
        return decode(per_code, codes, np.bincount(job[1], minlength=len(self.classes_)))


def _with_views(queries: list[np.ndarray], views: list) -> list[np.ndarray]:
    """The query sets, then each principal-view set ``(job, view, unseen)``: the job's
    queries with the columns ``unseen`` made missing (the view then fills them with the
    column mean, as in the context), rotated."""
    from ..pfn.inference import unseen_as_missing

    return [*queries, *(view(unseen_as_missing(u, queries[j])) for j, view, u in views)]


def _view_sets(j: int, x: np.ndarray, view, first: int, views: list):
    """Number of job ``j``'s principal-view query set for a pass's context rows: one set
    per pattern of columns those rows never observe (appended to ``views``, numbered from
    ``first``), so that a pass reads no query value of a column its context lacks."""
    from ..pfn.inference import unseen_columns

    numbers: dict[bytes, int] = {}

    def number(rows: np.ndarray) -> int:
        unseen = unseen_columns(x[rows])
        if unseen.tobytes() not in numbers:
            numbers[unseen.tobytes()] = first + len(views)
            views.append((j, view, unseen))
        return numbers[unseen.tobytes()]

    return number


def _values(X: pd.DataFrame) -> np.ndarray:
    """Encoded rows in float64 (categories as codes, NaN missing), standardised before the
    network reads them in float32 (:func:`llmboost.pfn.inference.standardised`)."""
    return category_codes(X)


def _bin_centers(model) -> np.ndarray:
    b = model.borders.detach().cpu().double().numpy()
    return (b[:-1] + b[1:]) / 2


__all__ = ["ENCODED_CONTEXT_BYTES", "BundledPFNPrior", "default_weights_path", "load_model"]
