"""PriorBoost on a Dask cluster: the local estimator's parts, run where the rows are.

1. A stratified sample of the training rows (about ``sample_size``) is gathered to the
   client and a local :class:`~llmboost.PriorBoostClassifier` (same parameters) is fitted
   on it: that chooses the fusion (``members_``, ``scale_``, ``cv_results_``) and fits
   the prior (``prior_``; in-context priors take the sample as their context).
2. The prior scores every partition on the workers (sent once, one copy per worker).
   Sampled rows, which the prior has seen, get their out-of-fold margin instead.
3. Every tree member is retrained on all rows with ``xgboost.dask`` (``base_margin``)
   or ``lightgbm.dask`` (``init_score``), with the member's parameters and rounds.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin, RegressorMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._params import Check, Interval
from ..estimators import (
    LLMBoostClassifier,
    PFNBoostClassifier,
    PFNBoostRegressor,
    PriorBoostClassifier,
    PriorBoostRegressor,
)
from ..estimators._shared import PARAMETER_CONSTRAINTS, FusionParams
from ..scale_search import check_margin, make_folds, margin_to_output, prior_folds
from ._boosting import fit_member, margin_meta, predict_partition
from ._data import (
    as_dask_frame,
    as_dask_target,
    check_columns,
    meta_frame,
    prepare_partition,
    require_dask,
    sample_fractions,
    schema,
)
from ._scoring import (
    PARTITION,
    TARGET,
    sample_partition,
    score_partition,
    training_partition,
)

#: Default number of training rows gathered to the client to choose the fusion.
SAMPLE_SIZE = 10_000

#: The Dask estimators' parameters, formatted into their docstrings with ``{shared}``,
#: the local estimators' parameter names, and ``{local}``, the local estimator's name.
DASK_PARAMETERS_DOC = """{shared}
        As in :class:`~llmboost.{local}` (keyword-only after ``prior``); they apply to the
        local fit on the sample (the fusion search) and the trees' parameters to the final
        training; ``cv`` here is a number of folds only (the sample's rows are not the
        caller's).
    sample_size : int, default=10_000
        About this many training rows, stratified by class for classifiers (every class
        keeps at least ``cv`` rows, all of them when it has fewer), are gathered to the
        client to choose the fusion and to fit the prior (the context of in-context
        priors). With fewer rows than that, all rows are used and the fit equals the
        local estimator's.
    client : distributed.Client, default=None
        ``None`` uses the current default client."""


def _document(local: str):
    """Class decorator: the Dask parameters of the counterpart of ``local``."""

    def decorate(cls):
        shared = ", ".join(PARAMETER_CONSTRAINTS)
        parameters = DASK_PARAMETERS_DOC.format(shared=shared, local=local)
        cls.__doc__ = cls.__doc__.format(parameters=parameters)
        return cls

    return decorate


class _DaskPriorBoost(FusionParams):
    """Shared fit/predict logic; the public classes name the local estimator they scale."""

    _local = PriorBoostClassifier
    _parameter_constraints: dict = {
        **PARAMETER_CONSTRAINTS,
        "cv": [Interval(Integral, 2)],  # folds of the gathered sample: a number only
        "sample_size": [Interval(Integral, 2)],
        "client": [Check(lambda c: hasattr(c, "scatter"), "a distributed.Client"), None],
    }

    def __init__(
        self,
        prior=None,
        *,
        booster: str = "xgboost",
        booster_params: dict | None = None,
        scale="auto",
        cv: int = 5,
        scoring=None,
        n_trials: int = 0,
        random_state: int | None = None,
        verbose: bool = False,
        n_jobs: int | None = None,
        device: str | None = None,
        sample_size: int = SAMPLE_SIZE,
        client=None,
    ) -> None:
        self.prior = prior
        self.booster = booster
        self.booster_params = booster_params
        self.scale = scale
        self.cv = cv
        self.scoring = scoring
        self.n_trials = n_trials
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.device = device
        self.sample_size = sample_size
        self.client = client

    @property
    def _task(self) -> str:
        return self._local._task

    def __sklearn_clone__(self):
        """A clone shares the client: a connection, not a value to copy."""
        params = self.get_params(deep=False)
        client = params.pop("client")
        return type(self)(**{k: clone(v, safe=False) for k, v in params.items()}, client=client)

    def __getstate__(self) -> dict:
        """Pickled without the client (it reconnects to the default client when used)."""
        return {**self.__dict__, "client": None}

    def _get_client(self):
        _, _, distributed = require_dask()
        if self.client is not None:
            return self.client
        try:
            return distributed.default_client()
        except ValueError as error:
            raise ValueError(
                f"{type(self).__name__} needs a dask client: pass client=... or create "
                "distributed.Client(...) first."
            ) from error

    def _local_estimator(self):
        names = self._local().get_params(deep=False)
        return self._local(**{name: getattr(self, name) for name in names})

    # -- fit -----------------------------------------------------------------
    def fit(self, X, y):
        """Choose the fusion on a sample, score the prior on the workers, train on all rows.

        Parameters
        ----------
        X : dask DataFrame or 2-d dask array, known divisions / chunk sizes
        y : dask Series or 1-d dask array, partitioned like ``X`` (or repartitionable)

        Returns
        -------
        self
        """
        self._check_params()
        client = self._get_client()
        X = as_dask_frame(X)
        y = as_dask_target(y, X)
        categories, meta = schema(X)
        frame = X.map_partitions(prepare_partition, categories, meta, meta=meta)
        frame, y = client.persist([frame, y])
        fractions = self._fractions(y)
        seed = _sample_seed(self.random_state)

        sample = frame.map_partitions(
            sample_partition, y, fractions, seed, meta=_sample_meta(meta, y)
        ).compute()
        y_sample = pd.Series(sample.pop(TARGET).to_numpy(), name=_target_name(y))
        partitions = sample.pop(PARTITION).to_numpy()
        sample = sample.reset_index(drop=True)
        local = self._local_estimator().fit(sample, y_sample)
        self._copy_fitted(local, categories, list(meta.columns), len(sample))

        margin = None
        if any(m.scale != 0 and m.booster is not None for m in self.members_):
            oof = self._sample_margin(local, sample, y_sample)
            oof_parts = {int(p): oof[partitions == p] for p in np.unique(partitions)}
            prior_future, oof_future = client.scatter(
                [self.prior_, oof_parts], broadcast=True, hash=False
            )
            margin = frame.map_partitions(
                training_partition, y, prior_future, oof_future, fractions, seed,
                self._task, self._n_classes, meta=margin_meta(self._width),
            )  # fmt: skip
            margin = client.persist(margin)
        self.members_ = self._train_members(client, frame, self._encode(y), margin)
        trees = [m for m in self.members_ if m.booster is not None]
        self.booster_ = max(trees, key=lambda m: m.weight).booster if trees else None
        return self

    def _fractions(self, y):
        if self._task == "regression":
            return min(1.0, self.sample_size / len(y))
        counts = y.value_counts().compute()
        return sample_fractions(counts, self.sample_size, max(self.cv, 2))

    def _copy_fitted(self, local, categories, columns, n_sample: int) -> None:
        for name in ("classes_", "scale_", "cv_results_", "best_params_", "prior_", "members_"):
            if hasattr(local, name):
                setattr(self, name, getattr(local, name))
        if hasattr(local, "default_prior_"):
            self.default_prior_ = local.default_prior_
        self.sample_estimator_ = local
        self.n_sample_ = n_sample
        self.categories_ = categories
        self.feature_names_in_ = np.asarray(columns, dtype=object)
        self.n_features_in_ = len(columns)

    def _sample_margin(self, local, sample, y_sample) -> np.ndarray:
        """Out-of-fold prior margin of the sampled rows, on the local estimator's folds."""
        prior = clone(local.prior_)
        folds = make_folds(y_sample.to_numpy(), self.cv, self._task, self.random_state)
        z = prior.oof_logits(sample, y_sample.to_numpy(), prior_folds(folds, len(sample)))
        return check_margin(prior, z, len(sample), self._task, self._n_classes, "oof_logits")

    def _encode(self, y):
        if self._task == "regression":
            return y.astype(np.float64)
        classes = self.classes_
        return y.map_partitions(
            lambda part: pd.Series(np.searchsorted(classes, part.to_numpy()), index=part.index),
            meta=pd.Series([], dtype=np.int64),
        )

    def _train_members(self, client, frame, y, margin) -> list:
        """Retrain each distinct local booster on all rows (members at one scale share one)."""
        rounds: dict[int, int] = {}
        for m in self.members_:
            if m.booster is not None:
                rounds[id(m.booster)] = max(m.n_rounds, rounds.get(id(m.booster), 0))
        trained, out = {}, []
        for m in self.members_:
            if m.booster is not None and id(m.booster) not in trained:
                start = None if m.scale == 0 else margin * m.scale
                trained[id(m.booster)] = fit_member(
                    client, m.booster, rounds[id(m.booster)], frame, y, start
                )
            out.append(m if m.booster is None else m._replace(booster=trained[id(m.booster)]))
        return out

    @property
    def _n_classes(self) -> int:
        return len(self.classes_) if self._task == "classification" else 0

    @property
    def _width(self) -> int:
        return self._n_classes if self._n_classes > 2 else 0

    # -- predict -------------------------------------------------------------
    def _margin(self, X):
        """The fused margin as a dask Series (1-d) or DataFrame, and the row lengths."""
        check_is_fitted(self, "members_")
        client = self._get_client()
        lengths = _known_lengths(X)
        X = as_dask_frame(X)
        check_columns(X, list(self.feature_names_in_))
        meta = meta_frame(list(self.feature_names_in_), self.categories_)
        frame = X.map_partitions(prepare_partition, self.categories_, meta, meta=meta)
        out_meta = margin_meta(self._width)
        z = None
        if self.prior_ is not None:
            prior = client.scatter(self.prior_, broadcast=True, hash=False)
            z = frame.map_partitions(
                score_partition, prior, self._task, self._n_classes, meta=out_meta
            )
        total = None
        for m in self.members_:
            part = None if m.scale == 0 else z * m.scale
            if m.booster is not None:
                booster = client.scatter(m.booster, broadcast=True, hash=False)
                part = frame.map_partitions(
                    predict_partition, part, booster, m.n_rounds, self._width, meta=out_meta
                )
            total = part * m.weight if total is None else total + part * m.weight
        return total, lengths


def _known_lengths(X):
    """Row chunks of a dask array input (so outputs keep them), else ``None``."""
    _, da, _ = require_dask()
    return tuple(X.chunks[0]) if isinstance(X, da.Array) else None


def _sample_seed(random_state) -> int:
    if isinstance(random_state, Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(2**31 - 1))


def _sample_meta(meta: pd.DataFrame, y) -> pd.DataFrame:
    out = meta.copy()
    out[TARGET] = pd.Series([], dtype=y.dtype)
    out[PARTITION] = pd.Series([], dtype=np.int64)
    return out


def _target_name(y):
    name = y.name
    return None if name == "y" else name


def _proba_partition(margin, task: str) -> pd.DataFrame:
    values = margin_to_output(margin.to_numpy(), task)
    return pd.DataFrame(
        values, index=margin.index, columns=[f"p{j}" for j in range(values.shape[1])]
    )


def _array(collection, lengths):
    return collection.to_dask_array(lengths=list(lengths) if lengths is not None else None)


@_document("PriorBoostClassifier")
class DaskPriorBoostClassifier(ClassifierMixin, _DaskPriorBoost):
    """:class:`~llmboost.PriorBoostClassifier` for dask collections on a ``distributed`` cluster.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    members_, scale_, cv_results_, best_params_, prior_, booster_, classes_
        As locally; each tree member's ``booster`` is a local adapter whose ``model_``
        holds the trees trained on all rows, and ``dask_model_`` the distributed
        estimator that trained them.
    sample_estimator_ : PriorBoostClassifier
        The local estimator fitted on the sample.
    n_sample_ : int
        Rows in the sample.
    categories_, n_features_in_, feature_names_in_
        Categories of text/categorical columns over all rows; the columns seen at fit.
    """

    _local = PriorBoostClassifier

    def decision_function(self, X):
        """Raw margin: log-odds of ``classes_[1]`` or per-class logits.

        Parameters
        ----------
        X : dask DataFrame or 2-d dask array
            The columns seen at fit.

        Returns
        -------
        dask array of shape (n_samples,) or (n_samples, n_classes)
        """
        margin, lengths = self._margin(X)
        return _array(margin, lengths)

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``.

        Parameters
        ----------
        X : dask DataFrame or 2-d dask array
            Rows to classify.

        Returns
        -------
        dask array of shape (n_samples, n_classes)
        """
        margin, lengths = self._margin(X)
        meta = pd.DataFrame({f"p{j}": [] for j in range(len(self.classes_))}, dtype=np.float64)
        return _array(margin.map_partitions(_proba_partition, self._task, meta=meta), lengths)

    def predict(self, X):
        """Most probable class.

        Parameters
        ----------
        X : dask DataFrame or 2-d dask array
            Rows to label.

        Returns
        -------
        dask array of shape (n_samples,)
        """
        classes = self.classes_
        proba = self.predict_proba(X)
        return proba.map_blocks(
            lambda p: classes[p.argmax(axis=1)], drop_axis=1, dtype=classes.dtype
        )


@_document("PriorBoostRegressor")
class DaskPriorBoostRegressor(RegressorMixin, _DaskPriorBoost):
    """:class:`~llmboost.PriorBoostRegressor` for dask collections.

    See :class:`DaskPriorBoostClassifier` for the attributes; the sample is uniform, not
    stratified.

    Parameters
    ----------
    {parameters}
    """

    _local = PriorBoostRegressor

    def predict(self, X):
        """Predicted values.

        Parameters
        ----------
        X : dask DataFrame or 2-d dask array
            Rows to predict.

        Returns
        -------
        dask array of shape (n_samples,)
        """
        margin, lengths = self._margin(X)
        return _array(margin, lengths)


@_document("PFNBoostClassifier")
class DaskPFNBoostClassifier(DaskPriorBoostClassifier):
    """:class:`DaskPriorBoostClassifier` with :class:`~llmboost.PFNBoostClassifier`'s prior.

    The default prior is TabPFN v2, else the bundled PFN; its context is the sample.

    Parameters
    ----------
    {parameters}
    """

    _local = PFNBoostClassifier


@_document("PFNBoostRegressor")
class DaskPFNBoostRegressor(DaskPriorBoostRegressor):
    """:class:`DaskPriorBoostRegressor` with :class:`~llmboost.PFNBoostRegressor`'s prior.

    Parameters
    ----------
    {parameters}
    """

    _local = PFNBoostRegressor


@_document("LLMBoostClassifier")
class DaskLLMBoostClassifier(DaskPriorBoostClassifier):
    """:class:`DaskPriorBoostClassifier` with :class:`~llmboost.LLMBoostClassifier`'s prior.

    The default prior is a language model, scored on the workers with its batching and
    caches; a named ``y`` names its task as it does locally.

    Parameters
    ----------
    {parameters}
    """

    _local = LLMBoostClassifier


__all__ = [
    "DASK_PARAMETERS_DOC",
    "SAMPLE_SIZE",
    "DaskLLMBoostClassifier",
    "DaskPFNBoostClassifier",
    "DaskPFNBoostRegressor",
    "DaskPriorBoostClassifier",
    "DaskPriorBoostRegressor",
]
