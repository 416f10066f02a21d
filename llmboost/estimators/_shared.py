"""The parameters every PriorBoost estimator shares: their checks and their documentation.

:data:`PARAMETER_CONSTRAINTS` is the table :class:`FusionParams` checks at the top of
``fit`` (see :mod:`llmboost._params`); :data:`PARAMETERS_DOC` and :data:`ATTRIBUTES_DOC`
are formatted into each estimator's docstring by :func:`document`.
"""

from __future__ import annotations

import re
import warnings
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator

from .._library_params import canonical_params, given_names
from .._params import (
    BOOL,
    DICT,
    NON_NEGATIVE_INT,
    RANDOM_STATE,
    Check,
    Interval,
    InvalidParameterError,
    Options,
    check_params,
    is_torch_device,
)
from .._resources import resolve_device
from .._scorer_stand_ins import check_callable
from .._validation import check_target
from ..boosters import BOOSTERS, make_booster, n_estimators
from ..priors._base import Prior
from ..scale_search import PRIOR_ONLY, scale_candidates
from ._eval_set import class_labels, numeric_target

#: The parameters every PriorBoost estimator shares, formatted into their docstrings
#: with ``prior`` (what the prior may be and its default) and ``scales`` (the grid of
#: ``scale="auto"``).
PARAMETERS_DOC = """prior : {prior}
    booster : {{"xgboost", "lightgbm"}}, default="xgboost"
        The tree library.
    booster_params : dict, default=None
        Passed to the library's estimator, over small-data defaults: XGBoost
        ``n_estimators=100, learning_rate=0.1, max_depth=4, tree_method="hist",
        enable_categorical=True``; LightGBM ``n_estimators=100, learning_rate=0.1,
        num_leaves=15, min_child_samples=5, verbose=-1``; both ``n_jobs=1``. A library
        alias of one of those (XGBoost ``eta``, LightGBM ``num_iterations``, ...) is that
        parameter, and one given under two names is an error (a LightGBM alias its
        estimator overrides, such as ``eta``, is refused). With the
        default squared error, regression trees train on the target divided by its
        standard deviation (XGBoost skips splits whose gain is below 1e-6, which left
        small-unit targets without trees); predictions are in the target's units, while
        ``gamma`` / ``min_split_gain`` and ``reg_alpha`` apply to the standardised target
        (with ``eval_set`` and a metric that depends on the target's origin or unit,
        such as MAPE, or LightGBM ``early_stopping_min_delta``, they train on the target
        as given, where early stopping reads it).
    scale : "auto", "prior", float >= 0, list or 1-D array, default="auto"
        Multiplier of the prior's logits. ``0`` is plain GBDT, ``"prior"`` the prior
        alone. ``"auto"`` runs the fusion search (see :mod:`llmboost.scale_search`):
        trees from {scales} times the prior, every prefix of their boosting, and the
        prior alone at several temperatures, combined by evidence-gated ensemble
        selection starting from the prior (averaged over halves of the rows; for
        regressors only while the prior is not fully protected). A list (or 1-D
        array) gives your own scales (``"prior"`` in it adds the prior alone as a
        candidate and anchor).
    cv : int, cross-validation splitter or iterable of (train, test), default=5
        Folds for the out-of-fold prior logits of the training rows and for the
        search. An int: that many shuffled folds (stratified for classifiers; a class
        with a single row stays in every training fold). A splitter (its
        ``split(X, y)``, e.g. ``TimeSeriesSplit``) or a list of index pairs (e.g. from
        ``GroupKFold(...).split(X, y, groups)``) must test each row once at most and,
        for classifiers, keep every class in every training part.
    scoring : str or callable, default=None
        ``None`` scores by the per-row loss (log loss; squared error, or the regression
        booster's own loss: absolute, quantile, Huber, ...) and selects an ensemble; any other
        scikit-learn scorer keeps the single candidate with the best mean fold score (a tie goes
        to the prior alone). A scorer is called as ``scorer(estimator, X, y)`` on each fold's
        rows as ``fit`` read them (a table indexed by their positions; it may predict a subset
        of them by index), with ``sample_weight=`` when it takes that keyword (a scikit-learn
        scorer when its metric does: not ``neg_max_error`` or a ``make_scorer`` of a metric
        without it); one that does not scores weighted folds unweighted, with a warning. A
        metric of ``(y_true, y_pred)`` is refused: wrap it in ``make_scorer``.
    n_trials : int, default=0
        When > 0, optuna (TPE, seeded by ``random_state``) tunes booster parameters
        and scale together for this many trials on the same folds; parameters set in
        ``booster_params`` stay fixed. ``cv_results_`` then has one entry per trial
        (``params`` holds the scale and the tuned parameters; no ``ensemble_weight``).
    random_state : int, RandomState or None, default=None
        Seeds the folds, the boosters and optuna.
    verbose : bool or int >= 0, default=False
        Show a progress bar over the fits of the search (any int above 0 shows it too).
    n_jobs : int, default=None
        Fold fits of the search, and the halves of its selection, run in this many
        threads (``-1``: all cores); each booster keeps its own ``n_jobs`` (1 by
        default), so cores are not oversubscribed.
    device : {{"auto", "cpu", "cuda"}}, "cuda:<index>" or torch.device, default=None
        Where the prior and the trees run. It is set on the prior when the prior has
        a ``device`` parameter (over the prior's own value) and goes into the booster's
        parameters (XGBoost ``device``; LightGBM ``device_type`` and ``gpu_device_id``,
        which need a CUDA build of LightGBM; ``"cuda"`` with a library that cannot
        train on CUDA is refused before any fit). ``"auto"`` is a GPU when torch sees
        one, for the trees only when the library can train on CUDA. ``None`` leaves
        the prior and ``booster_params`` as they are."""

#: The fitted attributes every PriorBoost estimator shares (``{classes}``: ``classes_, ``
#: for classifiers).
ATTRIBUTES_DOC = """scale_ : float or "prior"
        Weight of the prior's margin in the final margin (``sum(weight * scale)`` over
        members), or ``"prior"`` when ``scale="prior"``.
    members_ : list of FusionMember
        ``(scale, n_rounds, weight, booster, center)``: the final margin is
        ``sum(weight * (center + scale * (prior - center) + first n_rounds trees of
        booster))``; ``center`` is 0 for classifiers and the training target's mean for
        regressors (a regression prior is shrunk toward it); ``n_rounds == 0`` members
        are the prior alone at that scale.
    cv_results_ : dict or None
        Every candidate with its fold scores, in scikit-learn's layout: ``params``
        (``{{"scale": ..., "n_rounds": ...}}``; when ``n_trials > 0``, a trial's scale
        and tuned booster parameters, its rounds being ``n_estimators``), a
        ``param_<name>`` masked array per name, the scores, and ``ensemble_weight`` (the
        grid search); ``None`` when nothing was searched.
    best_params_ : dict or None
        Booster parameters of the refit trees (``booster_params`` with ``device``'s,
        or the tuned ones), under the names given (``eta`` stays ``eta``); ``None``
        when there are none or no member has trees.
    prior_ : Prior or None
        The prior refit on all training rows (``None`` when no member uses it: the
        prior is then never evaluated at predict time).
    booster_ : Booster or None
        The booster adapter of the heaviest member with trees (``None`` for the prior
        alone); its ``model_`` is the library's estimator.
    {classes}n_features_in_, feature_names_in_, categories_
        As in scikit-learn; ``categories_`` holds the categories of every text or
        categorical column."""


def document(prior: str, scales: str, classes: str = "classes_, "):
    """Class decorator: fill ``{parameters}`` and ``{attributes}`` of the docstring.

    Parameters
    ----------
    prior : str
        Type, default and description of the ``prior`` parameter.
    scales : str
        The scales ``scale="auto"`` starts trees from.
    classes : str, default="classes_, "
        ``""`` for regressors (no ``classes_``).

    Returns
    -------
    callable
        The decorator.
    """

    def decorate(cls):
        cls.__doc__ = cls.__doc__.format(
            parameters=PARAMETERS_DOC.format(prior=prior, scales=scales),
            attributes=ATTRIBUTES_DOC.format(classes=classes),
        )
        return cls

    return decorate


def _estimator_like(value) -> bool:
    if isinstance(value, type):  # BundledPFNPrior, not BundledPFNPrior()
        return False
    return isinstance(value, Prior) or hasattr(value, "fit")


def _device_name(value) -> bool:
    value = str(value) if is_torch_device(value) else value
    return isinstance(value, str) and re.fullmatch(r"auto|cpu|cuda(:\d+)?", value) is not None


def _gpu_visible() -> bool:
    try:
        return resolve_device("auto") == "cuda"
    except ImportError:  # no torch: no GPU it could see
        return False


def _non_zero_int(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool) and value != 0


def _scorer_name(value) -> bool:
    from sklearn.metrics import get_scorer_names

    return isinstance(value, str) and value in get_scorer_names()


def _scales(scale, task: str) -> list | None:
    """:func:`scale_candidates` of ``scale``, also of a 1-D array or Series of scales."""
    if hasattr(scale, "tolist") and np.ndim(scale) <= 1:  # numpy and pandas values
        scale = scale.tolist()
    return scale_candidates(scale, task)


def _splits_like(value) -> bool:
    if isinstance(value, type):  # KFold, not KFold(5): its split is not bound
        return False
    if hasattr(value, "split"):
        return not isinstance(value, str)
    return hasattr(value, "__iter__") and not isinstance(value, str | dict)


#: Constraints of the shared parameters (see :mod:`llmboost._params`).
PARAMETER_CONSTRAINTS = {
    "prior": [
        Check(_estimator_like, "a llmboost prior or a scikit-learn estimator (an instance)"),
        None,
    ],
    "booster": [Options(tuple(BOOSTERS))],
    "booster_params": [DICT, None],
    "scale": [Check(lambda s: _scales(s, "") is not None, "'auto', 'prior' or >= 0")],
    "cv": [
        Interval(Integral, 2),
        Check(_splits_like, "a splitter such as KFold(5) or (train, test) pairs"),
    ],
    "scoring": [
        Check(_scorer_name, "a name from sklearn.metrics.get_scorer_names()"),
        Check(callable, "a callable"),
        None,
    ],
    "n_trials": [NON_NEGATIVE_INT],
    "random_state": RANDOM_STATE,
    "verbose": [BOOL, NON_NEGATIVE_INT],
    "n_jobs": [Check(_non_zero_int, "a non-zero integer"), None],
    "device": [
        Check(_device_name, "'auto', 'cpu', 'cuda' or 'cuda:<index>' (or a torch.device)"),
        None,
    ],
}


class FusionParams(BaseEstimator):
    """Parameter checks of the fusion, shared by the local and the Dask estimators."""

    _task = ""
    _parameter_constraints: dict = PARAMETER_CONSTRAINTS

    def set_params(self, **params):
        """Set parameters, as in scikit-learn; ``prior__<name>`` needs a prior, not ``None``.

        Parameters
        ----------
        **params : dict
            Parameter names and their new values.

        Returns
        -------
        self
        """
        nested = sorted(key for key in params if key.startswith("prior__"))
        if nested and params.get("prior", self.prior) is None:
            try:
                with warnings.catch_warnings():  # naming the default needs no warning
                    warnings.simplefilter("ignore")
                    default = getattr(self, "_local", type(self))()._default_prior()
                example = f", e.g. set_params(prior={default!r})"
            except ImportError:  # a default that needs a library not installed here
                example = ""
            raise InvalidParameterError(
                f"{type(self).__name__}.set_params({nested[0]}=...): prior=None stands for "
                "the default prior, which has no parameters to set; pass the prior itself"
                f"{example}, and set its parameters there."
            )
        for key in sorted(k for k in params if "__" in k and not k.startswith("prior__")):
            name = key.split("__")[0]  # an unknown name gets scikit-learn's message (self)
            if not hasattr(params.get(name, getattr(self, name, self)), "set_params"):
                grid = {"booster_params": "a grid of whole dicts {'booster_params': [{'max_depth'"
                        ": 3}, {'max_depth': 6}]}"}  # fmt: skip
                raise InvalidParameterError(  # scikit-learn raised AttributeError on a dict
                    f"{type(self).__name__}.set_params({key}=...): {name} has no parameters of "
                    f"its own; give it whole, e.g. {grid.get(name, f'set_params({name}=...)')}."
                )
        return super().set_params(**params)

    def _check_target(self, y, n_rows: int) -> np.ndarray:
        """:func:`~llmboost._validation.check_target` for this task; a continuous ``y``
        of a classifier is told the regressor to use."""
        import llmboost

        name = type(self).__name__.replace("Classifier", "Regressor")
        regressor = name if hasattr(llmboost, name) else "PriorBoostRegressor or PFNBoostRegressor"
        classification = self._task == "classification"
        return check_target(y, n_rows, classification=classification, regressor=regressor)

    def _check_params(self) -> None:
        """The constraints table, then the rules that involve several parameters."""
        if not isinstance(self.booster, str) or self.booster not in BOOSTERS:
            raise InvalidParameterError(
                f"booster={self.booster!r} is not supported; choose one of {sorted(BOOSTERS)}."
            )
        candidates = self._candidates()
        check_params(self, self._parameter_constraints)
        check_callable(self.scoring)  # a metric given for a scorer, before any fit
        if self.n_trials and candidates == [PRIOR_ONLY]:
            raise InvalidParameterError(
                f"n_trials={self.n_trials} tunes booster parameters, but scale='prior' fits "
                "no booster; use n_trials=0 or a scale that fits trees."
            )
        if self.booster == "xgboost" and "class_weight" in (self.booster_params or {}):
            raise InvalidParameterError(
                "booster_params class_weight is a LightGBM parameter: XGBoost does not read "
                "it (its trees would ignore it, with XGBoost's warning on every fit). Pass "
                "sample_weight=sklearn.utils.class_weight.compute_sample_weight(class_weight, "
                "y) to fit, or use booster='lightgbm'."
            )
        given = {k: v for k, v in (self.booster_params or {}).items() if k != "missing"}
        nan = [k for k, v in given.items() if isinstance(v, float | np.floating) and np.isnan(v)]
        if nan:  # XGBoost's learning_rate=nan gave NaN probabilities without a word
            raise InvalidParameterError(
                f"booster_params {nan[0]}=nan is not a value; give a number, or leave it out "
                "for the default."
            )
        rounds = n_estimators(self.booster, self.booster_params)
        whole = isinstance(rounds, Integral) and not isinstance(rounds, bool)
        if not whole or not 1 <= rounds < 2**31:  # the libraries count rounds in 32 bits
            raise InvalidParameterError(
                f"booster_params n_estimators={rounds!r:.40}: the trees need a whole number "
                "of boosting rounds from 1 to 2**31 - 1 (scale='prior' gives the prior "
                "alone, without trees)."
            )
        if candidates != [PRIOR_ONLY]:  # the adapter's checks (loss, boosting mode) before fits
            make_booster(self.booster, self.booster_params, self._task, None)

    def _booster_params(self) -> dict | None:
        """``booster_params`` with ``device`` in the library's own terms, and a library
        alias of a parameter llmboost sets or reads under its main name (``eta`` is
        ``learning_rate``, LightGBM's ``num_iterations`` is ``n_estimators``, ...)."""
        canonical = canonical_params(self.booster, self.booster_params)
        if self.device is None:
            return canonical
        adapter = BOOSTERS[self.booster]
        device = str(self.device)  # a torch.device by its name
        if device == "auto":
            device = "cuda" if _gpu_visible() and adapter.has_cuda() else "cpu"
        params = dict(canonical or {})
        extra = adapter.device_params(device)
        for key, value in extra.items():
            for name in (key, *adapter.device_aliases.get(key, ())):
                if name in params and params[name] != value:
                    raise InvalidParameterError(
                        f"device={self.device!r} sets {self.booster} {key}={value!r}, but "
                        f"booster_params has {name}={params[name]!r}; give the device in one "
                        "place (device=... or booster_params, not both)."
                    )
        if device != "cpu" and not adapter.has_cuda():
            why = {
                "xgboost": "this XGBoost is built without CUDA (xgboost-cpu): its trees "
                "would run on the CPU, with a warning per fit",
                "lightgbm": "this LightGBM cannot train on CUDA (its PyPI wheels have no "
                "CUDA; a GPU must be visible too): every fit would fail",
            }[self.booster]
            raise InvalidParameterError(
                f"device={self.device!r}, but {why}. Install the CUDA build (docs/gpu.md), "
                "or pass device='auto' (a GPU for the prior when torch sees one, the CPU "
                "for the trees without a CUDA build) or 'cpu'."
            )
        return {**params, **extra}

    def _by_code(self, params: dict | None, classes) -> dict | None:
        """``params`` with a ``class_weight`` keyed by the labels keyed by the class codes
        the boosters train on; :meth:`_as_given` turns it back for ``best_params_``."""
        weights = (params or {}).get("class_weight")
        if classes is None or not isinstance(weights, dict):
            return params
        code = {label: i for i, label in enumerate(classes)}
        unknown = [key for key in weights if key not in code]
        if unknown:
            raise InvalidParameterError(
                f"booster_params class_weight names {unknown[0]!r}, which is not a label in "
                f"y; key it by the labels {classes.tolist()}."
            )
        return {**params, "class_weight": {code[key]: w for key, w in weights.items()}}

    def _by_name(self, params: dict | None, frame, trees) -> dict | None:
        """``params`` with constraints that name columns of ``frame`` (XGBoost's
        ``monotone_constraints`` dict, ``interaction_constraints`` lists) in the names of
        ``trees``, the same rows as the boosters see them
        (:func:`~llmboost._validation.booster_frame`); for LightGBM, positions and a list
        of one ``monotone_constraints`` value per column."""
        columns = list(frame.columns)
        rename = dict(zip(columns, trees.columns, strict=True))

        def booster_name(key: str, column):
            if column in rename or column in rename.values():  # as in X, or as renamed
                return rename.get(column, column)
            raise InvalidParameterError(
                f"booster_params {key} names {column!r}, which is not a column of X; "
                f"name the columns as in X ({columns[:10]}) or by position."
            )

        out = dict(params or {})
        monotone = out.get("monotone_constraints")
        if isinstance(monotone, dict):
            named = {booster_name("monotone_constraints", c): v for c, v in monotone.items()}
            if self.booster == "lightgbm":  # a value per column; the others unconstrained
                named = [named.get(name, 0) for name in trees.columns]
            out["monotone_constraints"] = named
        groups = out.get("interaction_constraints")
        position = {name: i for i, name in enumerate(trees.columns)}

        def member(column):
            if not isinstance(column, str):
                return column
            name = booster_name("interaction_constraints", column)
            # LightGBM writes names into its model text, which it then cannot read back
            return position[name] if self.booster == "lightgbm" else name

        if isinstance(groups, list | tuple) and all(isinstance(g, list | tuple) for g in groups):
            out["interaction_constraints"] = [[member(c) for c in g] for g in groups]
        return out if params is not None else None

    def _as_given(self, params: dict | None) -> dict | None:
        """``params`` with what :meth:`_by_code`, :meth:`_by_name` and
        :func:`~llmboost._library_params.canonical_params` rewrote as given (``eta``
        stays ``eta``), so that they can be given back as ``booster_params``."""
        if params is None:
            return None
        given = self.booster_params or {}
        keys = ("class_weight", "monotone_constraints", "interaction_constraints")
        restored = {k: given[k] for k in keys if k in params and k in given}
        return given_names(self.booster, {**params, **restored}, given)

    def _prior_on_device(self, prior: Prior) -> Prior:
        """``prior`` (an unfitted clone) with ``device`` set, when it has that parameter."""
        if self.device is None or "device" not in prior.get_params(deep=False):
            return prior
        return prior.set_params(device=self.device)

    def _candidates(self) -> list:
        """The scales of the search (raises for an invalid ``scale``)."""
        candidates = _scales(self.scale, self._task)
        if candidates is None:
            raise InvalidParameterError(
                f"scale={self.scale!r} is invalid: use 'auto', 'prior', a number >= 0, "
                "or a list (or 1-D array) of such numbers and 'prior'."
            )
        return candidates


class LabelsAsFit:
    """``score`` of a classifier on labels read as ``fit`` reads them (an object array
    of booleans is booleans; scikit-learn's metrics refuse it as a mix of types)."""

    def score(self, X, y, sample_weight=None) -> float:
        """Mean accuracy on ``X`` and ``y``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            True labels, of the types ``fit`` takes.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        float
        """
        classes = getattr(self, "classes_", None)
        y = class_labels(y, 0 if y is None else len(y), classes, "score's y")
        return super().score(X, y, sample_weight=sample_weight)


class ValuesAsFit:
    """``score`` of a regressor on a target read as ``fit`` reads it (durations, which
    ``fit`` refuses, were ticks of their unit to scikit-learn's R^2)."""

    def score(self, X, y, sample_weight=None) -> float:
        """R^2 on ``X`` and ``y``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            True values, of the types ``fit`` takes.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        float
        """
        y = numeric_target(y, 0 if y is None else len(y), "score's y")
        return super().score(X, y, sample_weight=sample_weight)


__all__ = [
    "ATTRIBUTES_DOC",
    "PARAMETERS_DOC",
    "PARAMETER_CONSTRAINTS",
    "FusionParams",
    "LabelsAsFit",
    "ValuesAsFit",
    "document",
]
