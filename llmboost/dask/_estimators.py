"""The public Dask estimators: the counterparts of the local ones, and their outputs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score

from .._validation import check_sample_weight
from ..estimators import (
    LLMBoostClassifier,
    PFNBoostClassifier,
    PFNBoostRegressor,
    PriorBoostClassifier,
    PriorBoostRegressor,
)
from ..estimators._eval_set import class_labels, numeric_target
from ..estimators._shared import PARAMETER_CONSTRAINTS
from ..scale_search import margin_to_output
from ._base import SAMPLE_SIZE, _DaskPriorBoost
from ._text import labels_again

#: The Dask estimators' parameters, formatted into their docstrings with ``{shared}``,
#: the local estimators' parameter names, and ``{local}``, the local estimator's name.
DASK_PARAMETERS_DOC = """{shared}
        As in :class:`~llmboost.{local}` (keyword-only after ``prior``); they apply to the
        local fit on the sample (the fusion search) and the trees' parameters to the final
        training; ``cv`` here is a number of folds only (the sample's rows are not the
        caller's).
    sample_size : int, default=10_000
        This many training rows, stratified by class for classifiers (each class its
        share but at least ``cv`` rows, all of them when it has fewer; at least ``cv``
        rows for regressors), are gathered to the
        client to choose the fusion and to fit the prior (the context of in-context
        priors). With fewer rows than that, all rows are used and the fit equals the
        local estimator's.
    client : distributed.Client, default=None
        Runs ``fit`` and ``score``; ``None`` uses the current default client. The lazy
        outputs of ``predict`` hold parts on this client: compute them with it
        (``client.compute(...)``) when it is not the default."""


def _document(local: str):
    """Class decorator: the Dask parameters of the counterpart of ``local``."""

    def decorate(cls):
        shared = ", ".join(PARAMETER_CONSTRAINTS)
        parameters = DASK_PARAMETERS_DOC.format(shared=shared, local=local)
        cls.__doc__ = cls.__doc__.format(parameters=parameters)
        return cls

    return decorate


def _proba_partition(margin, task: str) -> pd.DataFrame:
    values = margin_to_output(margin.to_numpy(), task)
    return pd.DataFrame(
        values, index=margin.index, columns=[f"p{j}" for j in range(values.shape[1])]
    )


def _array(collection, lengths):
    return collection.to_dask_array(lengths=list(lengths) if lengths is not None else None)


def _computed(client, *values) -> list:
    """Each value in memory, as given or computed by ``client`` (dask collections in one
    pass: a source that ``X`` and ``y`` share is read once), read then as the local
    ``score`` reads it (labels of Arrow's string_view, which NumPy has no type for, too)."""
    import dask

    with client.as_current(), warnings.catch_warnings():
        # dask arrays (y, weights) beside the margin's table: computed together all the same
        warnings.filterwarnings("ignore", "Computing mixed collections", UserWarning)
        return list(dask.compute(*values))


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
        Text categories of the categorical columns over all rows (as a local fit gives
        them); the columns seen at fit (``feature_names_in_`` only when their names are
        all strings, as locally).
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
        proba = self.predict_proba(X)  # refuses an unfitted estimator
        classes = self.classes_
        return proba.map_blocks(
            lambda p: classes[p.argmax(axis=1)], drop_axis=1, dtype=classes.dtype
        )

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy of ``predict(X)``, computed on the cluster and compared here.

        Parameters
        ----------
        X : dask DataFrame or 2-d dask array
        y : dask Series or array-like, in the order of ``X``'s rows
            True labels, of the types ``fit`` takes.
        sample_weight : dask Series, array-like or float, default=None
            Checked as the local ``score`` checks it (a float: every row alike).

        Returns
        -------
        float
        """
        margin, _ = self._margin(X)  # refuses an unfitted estimator first
        margin, y, weight = _computed(self._get_client(), margin, labels_again(y), sample_weight)
        proba = margin_to_output(margin.to_numpy(), self._task)
        predicted = self.classes_[proba.argmax(axis=1)]  # as predict gives them
        y = class_labels(y, len(predicted), self.classes_, "score's y")  # as fit reads them
        weight = check_sample_weight(weight, len(y))  # as the local score reads them
        return float(accuracy_score(y, predicted, sample_weight=weight))


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

    def score(self, X, y, sample_weight=None) -> float:
        """R² of ``predict(X)``, computed on the cluster and compared here.

        Parameters
        ----------
        X : dask DataFrame or 2-d dask array
        y : dask Series or array-like, in the order of ``X``'s rows
            True values, of the types ``fit`` takes.
        sample_weight : dask Series, array-like or float, default=None
            Checked as the local ``score`` checks it (a float: every row alike).

        Returns
        -------
        float
        """
        margin, _ = self._margin(X)  # refuses an unfitted estimator first
        predicted, y, weight = _computed(self._get_client(), margin, labels_again(y), sample_weight)
        predicted = predicted.to_numpy()
        y = numeric_target(y, len(predicted), "score's y")  # as fit reads it
        weight = check_sample_weight(weight, len(y))  # as the local score reads them
        return float(r2_score(y, predicted, sample_weight=weight))


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
