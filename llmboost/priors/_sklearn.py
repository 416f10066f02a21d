"""Any scikit-learn classifier or regressor as a prior."""

from __future__ import annotations

import numbers
import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import InputTags, get_tags
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import has_fit_parameter

from .._params import BOOL, Check, Options
from ._base import Prior, align_columns, log_proba


class SklearnPrior(Prior):
    """Wrap a scikit-learn estimator as a prior.

    Classifiers give ``log(predict_proba)`` (floored, never ``-inf``), or, without
    ``predict_proba`` (``RidgeClassifier``, ``LinearSVC``, ``SVC()``), their
    ``decision_function`` read as logits (log-softmax of the scores; binary: the score
    is the log-odds of the second class; scores of pairs of classes, as
    ``decision_function_shape="ovo"`` gives with more than 2 classes, are refused);
    regressors give ``predict``.

    Parameters
    ----------
    estimator : scikit-learn classifier or regressor
        Cloned before fitting; the original is left untouched.
    preprocess : bool or "auto", default="auto"
        ``True`` puts the estimator behind a median imputer and standard scaler for
        numeric columns (no scaler for an estimator whose tags say it takes only
        non-negative input, such as ``MultinomialNB``) and a one-hot encoder for
        categorical ones (a sparse matrix only for an estimator whose tags say it
        takes one), so that models that
        need numbers (logistic regression, k-NN) take any table; so ``scale="prior"``
        gives the probabilities of that pipeline, not of the bare estimator. ``False``
        hands the estimator the table as it is. ``"auto"``: ``True``, except for a
        :class:`~sklearn.pipeline.Pipeline`, which brings its own preprocessing (and
        may select columns by name; by dtype, numbers and booleans are ``float64`` and
        text is ``category`` here).

    Notes
    -----
    ``fit(X, y, sample_weight)`` passes the weights to the estimator when its ``fit``
    takes them (``supports_sample_weight``), and refuses them otherwise. A classifier
    is fitted on the labels (so parameters such as ``class_weight`` may name them); one
    that takes only the labels ``0..k-1`` (XGBoost's ``XGBClassifier``), on their codes.
    """

    _parameter_constraints = {
        "estimator": [
            Check(
                lambda e: predicts(e),
                "a scikit-learn estimator (with fit and predict_proba or predict)",
            )
        ],
        "preprocess": [BOOL, Options(("auto",))],
    }

    def __init__(self, estimator, *, preprocess: bool | str = "auto") -> None:
        self.estimator = estimator
        self.preprocess = preprocess

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            inner = get_tags(self.estimator).input_tags.allow_nan
        except AttributeError:  # not a scikit-learn estimator: refused at fit
            inner = False
        tags.input_tags.allow_nan = self._wraps() or inner
        return tags

    def _wraps(self) -> bool:
        """Whether the estimator goes behind llmboost's preprocessing (``preprocess``)."""
        if self.preprocess == "auto":
            return not isinstance(self.estimator, Pipeline)
        return bool(self.preprocess)

    @property
    def task(self) -> str:
        """``"classification"`` for a classifier, else ``"regression"``.

        The estimator's scikit-learn tags decide (a pipeline's are its final step's); an
        estimator without a type tag is a classifier if it has ``predict_proba``. A
        clusterer, an outlier detector, a density estimator or a transformer is refused
        (``ValueError``): its ``predict`` gives no prediction of ``y``; so is an object
        whose tags scikit-learn cannot read.
        """
        name = describe(self.estimator)
        try:
            if is_classifier(self.estimator):
                return "classification"
            kind = get_tags(self.estimator).estimator_type
        except AttributeError:
            raise ValueError(
                f"SklearnPrior: scikit-learn cannot read the tags of {name}, so whether it is "
                "a classifier or a regressor is unknown; derive its class from "
                "sklearn.base.BaseEstimator and ClassifierMixin (for a classification prior) "
                "or RegressorMixin (for a regression prior)."
            ) from None
        if kind is None and hasattr(self.estimator, "predict_proba"):
            return "classification"
        if is_regressor(self.estimator) or kind is None:
            return "regression"
        raise ValueError(
            f"SklearnPrior: {name} is a {kind.replace('_', ' ')}; its predict does not "
            "predict y. Pass a classifier (predict_proba or decision_function) for a "
            "classification prior, or a regressor for a regression prior."
        )

    def _prepare(self, X, y) -> tuple[pd.DataFrame, np.ndarray]:
        """The base input layer; a target of the other task names the estimator."""
        task = self.task
        try:
            return super()._prepare(X, y)
        except ValueError:
            wrong = _wrong_target(y, task)
            if wrong is None:
                raise
        kind, other, need = ("classifier", "regression", "a regressor")
        if task == "regression":
            kind, other, need = ("regressor", "classification", "a classifier")
        raise ValueError(
            f"SklearnPrior: {describe(self.estimator)} is a {kind}, so this is a {task} "
            f"prior, but {wrong}. For a {other} target pass {need} instead."
        ) from None

    @property
    def supports_sample_weight(self) -> bool:
        return has_fit_parameter(self.estimator, "sample_weight")

    def _weight_kwargs(self, sample_weight, n_rows: int) -> dict:
        if sample_weight is not None and not self.supports_sample_weight:
            raise ValueError(
                f"SklearnPrior: {type(self.estimator).__name__}.fit takes no sample_weight, "
                "so the prior cannot use one; fit it without sample_weight, or use an "
                "estimator whose fit takes one (instead of a Pipeline, its final estimator: "
                "SklearnPrior preprocesses the table itself)."
            )
        return super()._weight_kwargs(sample_weight, n_rows)

    def _fit(self, X: pd.DataFrame, y: np.ndarray, sample_weight=None) -> None:
        """Fit the (preprocessed) estimator; ``sample_weight`` reaches it when it takes one.

        The preprocessing is fitted first and the estimator on its output, so the
        weights go straight to the estimator (no ``step__sample_weight`` keyword, which
        scikit-learn's metadata routing would refuse).
        """
        if self.task == "classification" and len(self.classes_) > 2:
            _check_per_class_scores(self.estimator)
        model = clone(self.estimator)
        if self.task == "classification":
            y = self.classes_[y]  # the user's labels: parameters may name them (class_weight)
        kwargs = {}
        if sample_weight is not None and self.supports_sample_weight:
            kwargs = {"sample_weight": sample_weight}
        if not self._wraps():
            self.model_, self._model_labels = _fit_as_given(model, X, y, kwargs)
        else:
            tags = _input_tags(self.estimator)
            columns = _preprocessing(sparse=tags.sparse, scale=not tags.positive_only)
            values = columns.fit_transform(X)
            with _negative_named(model, X, tags.positive_only):
                _, self._model_labels = _fit_labels(lambda t: model.fit(values, t, **kwargs), y)
            self.model_ = make_pipeline(columns, model)
        # checked on the fitted model: a stacking ensemble's final estimator is made at fit
        scores = ("predict_proba", "decision_function")
        if self.task == "classification" and not any(hasattr(self.model_, m) for m in scores):
            raise ValueError(
                f"SklearnPrior: {describe(self.estimator)} has neither predict_proba "
                "nor decision_function, so it gives no class scores; use a classifier that "
                "has one, or wrap it in sklearn.calibration.CalibratedClassifierCV."
            )

    def _logits(self, X: pd.DataFrame) -> np.ndarray:
        if self.task == "regression":
            z, how = np.asarray(self.model_.predict(X), dtype=np.float64).reshape(-1), "predict"
        elif hasattr(self.model_, "predict_proba"):
            z, how = log_proba(self.model_.predict_proba(X)), "predict_proba"
        else:
            how = "decision_function"
            z = _log_softmax(np.asarray(self.model_.decision_function(X), dtype=np.float64))
        bad = np.flatnonzero(~np.isfinite(z.reshape(len(z), -1)).all(axis=1))
        if len(bad):
            raise ValueError(
                f"SklearnPrior: {type(self.estimator).__name__}.{how} gave NaN or infinite "
                f"values for {len(bad)} of {len(z)} rows (first: {bad[:5].tolist()}); change "
                "the estimator's settings (e.g. a variance floor) or use another estimator."
            )
        if self.task == "regression":
            return z
        if getattr(self, "_model_labels", None) is not None:  # fitted on their codes
            return align_columns(z, self._model_labels, self.classes_)
        have = self.model_.classes_
        # a model fitted on the class codes 0..k-1 (as saved files and pickles of earlier
        # llmboost versions hold) reads them as codes
        codes = np.arange(len(self.classes_))
        return align_columns(z, have, codes if np.array_equal(have, codes) else self.classes_)


def _fit_as_given(model, X: pd.DataFrame, y: np.ndarray, kwargs: dict):
    """``model`` fitted on the table as it is (with :func:`_fit_labels`); a failure names
    what in the table may be the cause: categorical columns, columns with no value."""
    try:
        return _fit_labels(lambda t: model.fit(X, t, **kwargs), y)
    except (ValueError, TypeError) as exc:
        text = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
        empty = [c for c in X.columns if X[c].isna().all()]
        said = [f"categorical columns {text[:5]} as pandas 'category' values"] * bool(text)
        said += [f"columns {empty[:5]} with no value (all missing)"] * bool(empty)
        if not said:
            raise
        raise ValueError(
            f"{exc} (SklearnPrior: {describe(model)} got X as it is, since preprocess=False "
            f"or, for a Pipeline, 'auto'; X has {' and '.join(said)}, which may be the cause: "
            "encode or drop them first (in the pipeline), or pass preprocess=True.)"
        ) from exc


@contextmanager
def _negative_named(model, X: pd.DataFrame, positive_only: bool):
    """A refusal by an estimator that takes only non-negative numbers (``MultinomialNB``)
    names the numeric columns with negative values."""
    try:
        yield
    except ValueError as exc:
        numeric = [c for c in X.columns if not isinstance(X[c].dtype, pd.CategoricalDtype)]
        negative = [c for c in numeric if (X[c] < 0).any()]
        if not positive_only or not negative:
            raise
        raise ValueError(
            f"{exc} (SklearnPrior: {describe(model)} takes only non-negative numbers, and "
            f"columns {negative[:5]} have negative values; shift or rescale them first, or "
            "use another estimator.)"
        ) from exc


#: How XGBoost's classifier refuses labels other than 0..k-1 (checked: xgboost 3.2).
_CODES_ONLY = "Invalid classes inferred from unique values of `y`"


def _fit_labels(fit, y: np.ndarray):
    """``fit(y)`` and ``None``; for a classifier that takes only the labels 0..m-1
    (XGBoost's), ``fit`` of the codes of ``y`` and the labels those codes stand for."""
    try:
        return fit(y), None
    except ValueError as exc:
        present, codes = np.unique(y, return_inverse=True)
        if _CODES_ONLY not in str(exc) or _are_codes(present):  # also in a search's report
            raise
    return fit(codes.reshape(-1)), present


def _are_codes(labels: np.ndarray) -> bool:
    """Whether ``labels`` are the numbers 0..m-1 in order."""
    numeric = labels.dtype.kind in "biuf"
    return numeric and np.array_equal(labels, np.arange(len(labels)))


def _preprocessing(sparse: bool, scale: bool = True):
    """One-hot encoded categories and imputed numbers, standardised when ``scale``; the
    one-hot columns are a sparse matrix only when ``sparse``. The output is a matrix
    whatever scikit-learn's ``transform_output`` setting (the estimator always gets one)."""
    numbers = [SimpleImputer(strategy="median", keep_empty_features=True)]
    numbers += [StandardScaler()] if scale else []
    columns = make_column_transformer(
        (
            OneHotEncoder(handle_unknown="ignore", sparse_output=sparse),
            make_column_selector(dtype_include="category"),
        ),
        (
            make_pipeline(*numbers),
            make_column_selector(dtype_exclude="category"),
        ),
    )
    return columns.set_output(transform="default")


def _input_tags(estimator) -> InputTags:
    """The estimator's scikit-learn input tags: whether it fits on a sparse matrix, whether
    it takes only non-negative numbers (``MultinomialNB``, which standardised numbers fail)."""
    try:
        return get_tags(estimator).input_tags
    except AttributeError:  # tags scikit-learn cannot read: dense input works for all
        return InputTags()


def _check_per_class_scores(estimator) -> None:
    """Refuse a multiclass classifier whose ``decision_function`` scores pairs of classes."""
    final = estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator
    pairwise = getattr(final, "decision_function_shape", None) == "ovo"
    if pairwise and not hasattr(estimator, "predict_proba"):
        name = type(final).__name__
        raise ValueError(
            f"SklearnPrior: {name}(decision_function_shape='ovo') gives one score per pair "
            "of classes, not one per class, so its scores are no class logits; pass "
            f"{name}(decision_function_shape='ovr') (the same model) or probability=True."
        )


def predicts(estimator) -> bool:
    """Whether ``estimator`` fits and predicts: it has ``fit`` and ``predict_proba`` or
    ``predict``, or tags of a classifier or regressor (a stacking ensemble has neither
    method before fit while its ``final_estimator`` is the default ``None``)."""
    if not hasattr(estimator, "fit"):
        return False
    if hasattr(estimator, "predict_proba") or hasattr(estimator, "predict"):
        return True
    try:
        return is_classifier(estimator) or is_regressor(estimator)
    except Exception:  # noqa: BLE001 - tags scikit-learn cannot read: no predictor
        return False


def describe(estimator) -> str:
    """The estimator's class name; a pipeline's names its final step too."""
    if isinstance(estimator, Pipeline) and estimator.steps:
        return f"Pipeline ending in {describe(estimator.steps[-1][1])}"
    return type(estimator).__name__


def _wrong_target(y, task: str) -> str | None:
    """Why ``y`` is a target of the other task (for the message), else ``None``."""
    values = np.asarray(y, dtype=object)
    if values.ndim == 0:  # a single value: not a target of either task
        return None
    values = values.reshape(-1)
    if task == "classification":
        try:
            with warnings.catch_warnings():  # it may warn on NaN, which has its own error
                warnings.simplefilter("ignore")
                continuous = type_of_target(y) == "continuous"
        except (ValueError, TypeError):
            return None
        return f"y is continuous (e.g. {values[0]!r})" if continuous else None
    for value in values[~pd.isna(values)]:  # missing or complex targets: their own errors
        if isinstance(value, numbers.Number):
            continue
        try:
            float(value)
        except (TypeError, ValueError):
            return f"y holds {value!r}, which is not a number"
    return None


def _log_softmax(scores: np.ndarray) -> np.ndarray:
    """Log-probabilities from decision scores: ``(n,)`` is the second class's log-odds."""
    if scores.ndim == 1:
        scores = np.column_stack([np.zeros_like(scores), scores])
    top = scores.max(axis=1, keepdims=True)
    return scores - top - np.log(np.exp(scores - top).sum(axis=1, keepdims=True))


__all__ = ["SklearnPrior", "describe", "predicts"]
