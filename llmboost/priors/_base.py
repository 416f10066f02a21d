"""The prior protocol: anything that turns table rows into per-class logits.

A prior is a scikit-learn style estimator with three public verbs, all defined here:

* ``fit(X, y, sample_weight=None)``: ``X`` any table (:func:`llmboost._validation.to_frame`),
  ``y`` the original labels (classification; sets ``classes_``) or numbers (regression).
* ``logits(X)``: ``(n, n_classes)`` log-probabilities (any finite logits up to a per-row
  constant; the fusion clips them to ±1e9) in the order of ``classes_``, or ``(n,)``
  predicted means for regression.
* ``oof_logits(X, y, folds, sample_weight=None)``: logits for the training rows
  themselves, each row scored by a prior that never saw its label. It leaves the prior
  it is called on unchanged (no fitted attributes are set), for every prior.

The verbs do the input work once, for every prior: ``X`` becomes a frame with string
column names (numbers as floats, text as ``category``), one table encoding is fitted
(categories in the order :func:`~llmboost._validation.to_frame` gives them; unseen
categories become missing at ``logits``), labels become codes ``0..k-1``. A subclass
implements the hooks :meth:`Prior._fit` and :meth:`Prior._logits` on that encoded input,
and may override :meth:`Prior._oof_logits` when it can score folds together.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from .._params import check_params
from .._sample_weight import check_sample_weight
from .._validation import align_categories, check_target, fit_categories, from_torch, to_frame
from ..fusion_inputs import _real_values
from ._folds import checked_folds, fold_named

Folds = Sequence[tuple[np.ndarray, np.ndarray]]

#: Probability floor used when probabilities are turned into log-probabilities.
PROBA_FLOOR = 1e-7

#: Input-layer attributes a fold's worker shares with the prior that made it.
_INPUT_ATTRIBUTES = ("feature_names_in_", "n_features_in_", "categories_", "classes_")


class Prior(BaseEstimator, ABC):
    """Base class of all priors; subclasses implement ``_fit`` and ``_logits``.

    Attributes (set by ``fit``)
    ---------------------------
    feature_names_in_ : ndarray of str
        Column names of ``X`` (``x0, x1, ...`` for arrays).
    n_features_in_ : int
    categories_ : dict of str to Index
        Categories of every categorical column, the codes of :func:`category_codes`.
    classes_ : ndarray
        Labels, the order of the logit columns (classification only).
    """

    task: str = "classification"
    #: Whether ``fit`` takes ``sample_weight`` (in-context and language-model priors don't).
    supports_sample_weight: bool = False
    #: Whether out-of-fold logits score every class of ``y``, also one that a fold's
    #: training rows lack (a language model reads the classes' names).
    oof_scores_every_class: bool = False
    #: Constraints of the constructor parameters (see :mod:`llmboost._params`).
    _parameter_constraints: dict = {}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing values are part of every prior's input
        tags.input_tags.string = True  # text columns are categories, as for the estimators
        return tags

    # -- the public verbs -----------------------------------------------------------
    def fit(self, X, y, sample_weight=None) -> Prior:
        """Fit the prior on a table.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels (classification) or numbers (regression).
        sample_weight : array-like of shape (n_samples,) or float, default=None
            Row weights, finite, >= 0 and not all zero (a float weighs every row alike),
            checked as the estimators check them; only for priors whose
            ``supports_sample_weight`` is true.

        Returns
        -------
        self
            A fit that raises leaves the prior as it was before (fitted or not).
        """
        before = dict(vars(self))
        try:
            self._check_params()
            frame, target = self._prepare(X, y)
            self._fit(frame, target, **self._weight_kwargs(sample_weight, len(frame)))
        except BaseException:  # no mix of the new input layer and the old model
            vars(self).clear()
            vars(self).update(before)
            raise
        return self

    def logits(self, X) -> np.ndarray:
        """Logits of new rows.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The columns seen at ``fit``, in their order; an array and
            ``pd.DataFrame(array)`` name theirs by position, so either takes the other's place.

        Returns
        -------
        ndarray of shape (n_samples, n_classes), or (n_samples,) for regression
        """
        check_is_fitted(self, "categories_")
        fitted = getattr(self, "_fitted_task", self.task)
        if fitted != self.task:
            raise ValueError(
                f"{type(self).__name__} was fitted for {fitted}, but its parameters now make it "
                f"a {self.task} prior (set after fit); fit it again, or set them back."
            )
        return np.asarray(from_torch(self._logits(self._encode_rows(X))))

    def oof_logits(self, X, y, folds: Folds, sample_weight=None) -> np.ndarray:
        """Logits of the training rows, each from a prior that never saw its label.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        folds : iterable of (train, test) index arrays or boolean masks
            Such as a splitter's ``split(X, y)``. Every row is in exactly one ``test`` (a
            row in none is a ``ValueError``); it is scored by a prior fitted on that fold's
            ``train`` rows (an empty ``train`` is a ``ValueError``; a fold with an empty
            ``test`` is skipped).
        sample_weight : array-like of shape (n_samples,), default=None
            As in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples, n_classes), or (n_samples,) for regression
            The prior itself is left unchanged.
        """
        worker = clone_prior(self)
        worker._check_params()
        frame, target = worker._prepare(X, y)
        folds = checked_folds(folds, len(frame))
        kwargs = worker._weight_kwargs(sample_weight, len(frame))
        return worker._oof_logits(frame, target, folds, **kwargs)

    # -- the hooks ------------------------------------------------------------------
    @abstractmethod
    def _fit(self, X: pd.DataFrame, y: np.ndarray, **kwargs) -> None:
        """Fit on encoded rows: ``y`` holds class codes ``0..k-1`` or floats.

        ``kwargs`` holds ``sample_weight`` when the caller passed one.
        """

    @abstractmethod
    def _logits(self, X: pd.DataFrame) -> np.ndarray:
        """Logits of encoded rows, one column per class in ``classes_`` (all of them)."""

    def _oof_logits(self, X: pd.DataFrame, y: np.ndarray, folds: Folds, **kwargs) -> np.ndarray:
        """Default: a clone fitted on each fold's training rows scores its test rows."""
        out = None
        for i, fold in enumerate(folds):
            train, test = np.asarray(fold[0]), np.asarray(fold[1])
            part = self._fold_worker()
            weights = {k: v[train] for k, v in kwargs.items()}
            with fold_named(getattr(fold, "number", i), train, test):
                part._fit(X.iloc[train], y[train], **weights)
                z = _real_values(part._logits(X.iloc[test]), f"{type(self).__name__}._logits")
            if out is None:
                out = np.empty((len(X),) + z.shape[1:], dtype=np.float64)
            if z.shape != (len(test),) + out.shape[1:]:
                raise ValueError(
                    f"{type(self).__name__}._logits returned shape {z.shape} for {len(test)} "
                    f"rows; expected {(len(test),) + out.shape[1:]}: one row of logits per "
                    "row of X, as many columns for every fold."
                )
            out[test] = z
        return out

    def _check_params(self) -> None:
        """Check the constructor parameters against ``_parameter_constraints``."""
        check_params(self, self._parameter_constraints)

    # -- the input layer ------------------------------------------------------------
    def _prepare(self, X, y) -> tuple[pd.DataFrame, np.ndarray]:
        """Normalise ``X``, fit the table encoding and encode ``y`` (sets the attributes)."""
        frame = to_frame(X)
        classification = self.task == "classification"
        regressor = f"{type(self).__name__}(task='regression')"
        if "task" not in self.get_params(deep=False):
            regressor = "a regression prior"
        target = check_target(y, len(frame), classification=classification, regressor=regressor)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.categories_ = fit_categories(frame)
        self._fitted_task = self.task
        if not classification:
            vars(self).pop("classes_", None)  # of an earlier fit for classification
            return frame, target
        self.classes_, codes = np.unique(target, return_inverse=True)
        return frame, codes.reshape(-1)

    def _encode_rows(self, X) -> pd.DataFrame:
        """New rows in the fitted encoding; the columns must be those seen at fit (by
        position for an array and a DataFrame made of one, ``pd.DataFrame(array)``)."""
        frame = to_frame(X)
        have, want = list(frame.columns), list(self.feature_names_in_)
        positional = _by_position(have) and _by_position(want)
        if have != want and positional and len(have) == len(want):
            frame.columns = want  # an array and pd.DataFrame(array): the same columns
        elif have != want:
            raise ValueError(
                f"X does not have the columns {type(self).__name__} was fitted on: "
                f"{_column_change(have, want)}; pass the {len(want)} columns seen at fit, in "
                "their order."
            )
        return align_categories(frame, self.categories_)

    def _fold_worker(self) -> Prior:
        """An unfitted clone that shares this prior's input layer (columns, categories, classes)."""
        part = clone_prior(self)
        for name in _INPUT_ATTRIBUTES:
            if hasattr(self, name):
                setattr(part, name, getattr(self, name))
        return part

    def _weight_kwargs(self, sample_weight, n_rows: int) -> dict:
        if sample_weight is None:
            return {}
        if not self.supports_sample_weight:
            raise ValueError(
                f"{type(self).__name__} does not use sample_weight; check "
                "supports_sample_weight before passing one."
            )
        return {"sample_weight": check_sample_weight(sample_weight, n_rows)}


def _by_position(names: list) -> bool:
    """Whether columns are named by their position: ``x0, x1, ...`` (an array) or
    ``0, 1, ...`` (a DataFrame made of one)."""
    return names in ([f"x{j}" for j in range(len(names))], [str(j) for j in range(len(names))])


def _column_change(have: list, want: list) -> str:
    """How the columns ``have`` differ from ``want``: missing, not seen, or out of place."""
    if _by_position(have) and _by_position(want):
        return f"{len(have)} columns, {len(want)} at fit"
    seen, fitted = set(have), set(want)
    lost, new = [c for c in want if c not in seen], [c for c in have if c not in fitted]
    said = [
        f"{what} {cols[:5]}{f' and {len(cols) - 5} more' * (len(cols) > 5)}"
        for what, cols in (("missing", lost), ("not seen at fit", new))
        if cols
    ]
    moved = [(i, a, b) for i, (a, b) in enumerate(zip(have, want)) if a != b][:1]
    said += [f"column {i} is {a!r}, at fit {b!r}" for i, a, b in moved if not said]
    return ", ".join(said or [f"{len(have)} columns, {len(want)} at fit"])


def as_prior(obj, task: str, who: str = "This model") -> Prior:
    """``obj`` as an unfitted prior for ``task``: a clone of a prior, or a scikit-learn
    classifier or regressor wrapped in :class:`~llmboost.priors.SklearnPrior`.

    Parameters
    ----------
    obj : Prior or scikit-learn estimator
    task : {"classification", "regression"}
    who : str, default="This model"
        The caller, named in the error when the task does not match.

    Returns
    -------
    Prior
        Unfitted.

    Raises
    ------
    TypeError
        When ``obj`` is neither a prior nor an estimator with ``fit`` and ``predict``
        (a classifier or regressor).
    ValueError
        When ``task`` is neither, or the prior's task is not ``task``.
    """
    if task not in ("classification", "regression"):
        raise ValueError(f"task must be 'classification' or 'regression', got {task!r}.")
    if not isinstance(obj, Prior):
        from ._sklearn import SklearnPrior, predicts

        if not predicts(obj):
            raise TypeError(
                "prior must be a llmboost prior or a scikit-learn classifier or regressor "
                f"(with fit and predict), got {type(obj).__name__}."
            )
        obj = SklearnPrior(obj)
    if obj.task != task:
        from ._sklearn import SklearnPrior, describe

        inner = f"({describe(obj.estimator)})" if isinstance(obj, SklearnPrior) else ""
        name = type(obj).__name__ + inner
        kind = {"classification": "classifier", "regression": "regressor"}[task]
        raise ValueError(
            f"{who} needs a {task} prior, but {name} is a {obj.task} prior; pass a "
            f"{kind} or a prior with task={task!r}."
        )
    return clone_prior(obj)


def clone_prior(prior: Prior) -> Prior:
    """An unfitted copy of ``prior`` (:func:`sklearn.base.clone`).

    Raises
    ------
    TypeError
        When the prior does not keep its constructor arguments as scikit-learn needs.
    """
    try:
        return clone(prior)
    except (AttributeError, RuntimeError) as exc:
        name = type(prior).__name__
        raise TypeError(
            f"{name} cannot be cloned: {exc}. A prior's parameters are those of its "
            "__init__: store each argument of __init__ as it is under its own name "
            f"(self.k = k), as scikit-learn estimators do, so that {name}(**get_params()) "
            "is an unfitted copy."
        ) from exc


def category_codes(X: pd.DataFrame, dtype=np.float64) -> np.ndarray:
    """Encoded rows as a number matrix: categories as their codes, missing as NaN."""
    out = np.empty(X.shape, dtype=dtype)
    for j, name in enumerate(X.columns):
        col = X[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            codes = col.cat.codes.to_numpy()
            out[:, j] = np.where(codes < 0, np.nan, codes)
        else:
            out[:, j] = col.to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def categorical_mask(X: pd.DataFrame) -> np.ndarray:
    """Which columns of encoded rows are categorical."""
    return np.array([isinstance(X[c].dtype, pd.CategoricalDtype) for c in X.columns], dtype=bool)


def log_proba(proba: np.ndarray) -> np.ndarray:
    """Log of probabilities floored at :data:`PROBA_FLOOR` (never ``-inf``).

    Parameters
    ----------
    proba : array-like
        Probabilities.

    Returns
    -------
    ndarray of float64, the shape of ``proba``
    """
    return np.log(np.clip(np.asarray(proba, dtype=np.float64), PROBA_FLOOR, None))


def fit_from_checkpoint(fit: Callable, library: str, path: str, fix: str):
    """``fit()``, or a clear error when the checkpoint file it reads is gone or unreadable.

    A readable checkpoint is a ``torch.save`` dict with ``state_dict`` and ``config``
    (TabPFN's and TabICL's format); a ``.safetensors`` file is not checked.

    Parameters
    ----------
    fit : callable
        Fits the library's estimator on the checkpoint; its result is returned.
    library : str
        Named in the error.
    path : str
        The checkpoint file.
    fix : str
        What to pass instead, appended to the error.

    Raises
    ------
    FileNotFoundError
        The file is gone (moved or deleted since the prior was fitted).
    ValueError
        ``fit`` failed and the file is not a readable checkpoint.
    """
    if not Path(path).is_file():
        raise FileNotFoundError(
            f"{library} checkpoint {path} does not exist (moved or deleted since the prior was "
            f"fitted?). {fix}"
        )
    try:
        return fit()
    except Exception as exc:
        problem = _checkpoint_problem(path, library)
        if problem is None:
            raise
        raise ValueError(f"{library} cannot read the checkpoint {path}: {problem}. {fix}") from exc


#: A config key that marks each kind of checkpoint, and the prior that reads it.
_CHECKPOINT_KINDS = {
    "TabPFN": ("max_num_classes", "TabPFNPrior(model_path=...)"),
    "TabICL": ("embed_dim", "TabICLPrior(model_path=...)"),
    "bundled PFN": ("feature_embed", "BundledPFNPrior(weights=...)"),
}


def _checkpoint_problem(path: str, library: str) -> str | None:
    """Why ``path`` is not a checkpoint ``library`` reads, else ``None``."""
    if str(path).endswith(".safetensors"):
        return None
    import torch

    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - every way of not loading is reported
        text = (str(exc).strip().splitlines() or ["empty or cut off"])[0][:80]
        return f"it is not a torch checkpoint ({type(exc).__name__}: {text})"
    missing = [k for k in ("state_dict", "config") if not isinstance(ckpt, dict) or k not in ckpt]
    if missing:
        return f"it has no {' or '.join(missing)}"
    config = ckpt["config"] if isinstance(ckpt["config"], dict) else {}
    for kind, (key, reader) in _CHECKPOINT_KINDS.items():
        if kind != library and key in config:
            return f"it is a {kind} checkpoint, which {reader} reads"
    return None


def align_columns(z: np.ndarray, have: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Reorder logit columns from classes ``have`` to ``want``.

    A class a fold never saw gets the log of :data:`PROBA_FLOOR`.
    """
    if len(have) == len(want) and np.array_equal(have, want):
        return z
    out = np.full((z.shape[0], len(want)), np.log(PROBA_FLOOR))
    index = {c: i for i, c in enumerate(want)}
    for j, c in enumerate(have):
        out[:, index[c]] = z[:, j]
    return out


def target_moments(y: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation (0 when below 1e-13 of the largest ``|y|``: a constant's
    rounding), without overflow for |y| > 1e154 or underflow for |y| < 1e-100."""
    top = float(np.max(np.abs(y))) if len(y) else 0.0
    with np.errstate(over="ignore", under="ignore"):
        mean, sd = float(np.mean(y)), float(np.std(y))
    # the squares overflowed, or (tiny y) lost precision to underflow: use y scaled into [-1, 1]
    if not np.isfinite(sd) or 0.0 < top < 1e-100:
        mean, sd = top * float(np.mean(y / top)), top * float(np.std(y / top))
    return mean, sd if sd > 1e-13 * top else 0.0


__all__ = [
    "PROBA_FLOOR",
    "Folds",
    "Prior",
    "align_columns",
    "as_prior",
    "clone_prior",
    "categorical_mask",
    "category_codes",
    "fit_from_checkpoint",
    "log_proba",
    "target_moments",
]
