"""The parameters every PriorBoost estimator shares and their checks.

:data:`PARAMETER_CONSTRAINTS` is the table :class:`FusionParams` checks at the top of
``fit`` (see :mod:`llmboost._params`); their documentation is in :mod:`._docs`.
"""

from __future__ import annotations

import re
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from .._class_count import check_column_count
from .._columns import FLOAT32_MAX, _quiet_nans
from .._constraints import interaction_text
from .._fit_arguments import check_forced_files
from .._library_params import ALIASES, canonical_params, given_key, given_names
from .._param_names import brief, warn_unsampled_rows
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
from .._validation import _to_float, check_sample_weight, check_target
from ..boosters import BOOSTERS, make_booster, n_estimators
from ..priors._base import Prior
from ..scale_search import PRIOR_ONLY
from ._eval_set import class_labels, numeric_target
from ._scale_param import _as_given, _bad_scale, _huge, _is_time, _scales


def _estimator_like(value) -> bool:
    from ..priors._sklearn import predicts

    if isinstance(value, type):  # BundledPFNPrior, not BundledPFNPrior()
        return False
    return isinstance(value, Prior) or predicts(value)  # a transformer gives no logits


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


def _splits_like(value) -> bool:
    if isinstance(value, type):  # KFold, not KFold(5): its split is not bound
        return False
    if hasattr(value, "split"):
        return not isinstance(value, str)
    return hasattr(value, "__iter__") and not isinstance(value, str | dict)


#: Smallest normal float32: a smaller positive weight is 0 to LightGBM.
_FLOAT32_TINY = float(np.finfo(np.float32).tiny)

#: LightGBM's other names of ``is_unbalance``.
_UNBALANCE = ALIASES["lightgbm"]["is_unbalance"]


def class_weights_given(params: dict) -> list:
    """The names in ``params`` that weigh classes, with a value that changes the weights."""
    names = ("class_weight", "scale_pos_weight", "is_unbalance", *_UNBALANCE)
    plain = {"scale_pos_weight": 1}  # the library's own value changes nothing
    array = {k for k in names if hasattr(params.get(k), "__array__") and np.ndim(params[k])}
    given = [k for k in names if k in array or params.get(k) not in (None, False, plain.get(k))]
    # 'false' as text asks for no weights: the adapter names it as text
    return [k for k in given if str(params[k]).strip().lower() != "false"]


#: Constraints of the shared parameters (see :mod:`llmboost._params`).
PARAMETER_CONSTRAINTS = {
    "prior": [
        Check(
            _estimator_like,
            "a llmboost prior or a scikit-learn classifier or regressor (an instance)",
        ),
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

    @property
    def _who(self) -> str:
        """The class its messages name: the Dask estimator's while that fits this one."""
        return self.__dict__.get("_fitting_for", type(self).__name__)

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
            name, sub = key.split("__", 1)  # an unknown name gets scikit-learn's message (self)
            if not hasattr(given := params.get(name, getattr(self, name, self)), "set_params"):
                given = {**(given if isinstance(given, dict) else {}), sub: params[key]}
                whole = f"{name}={brief(given)}" if name == "booster_params" else f"{name}=..."
                raise InvalidParameterError(  # scikit-learn raised AttributeError on a dict
                    f"{type(self).__name__}.set_params({key}=...): {name} has no parameters of "
                    f"its own; give it whole, e.g. set_params({whole}) (in a grid search, a "
                    "list of whole values)."
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
        self._check_class_weights()
        given = {k: v for k, v in (self.booster_params or {}).items() if k != "missing"}
        nan = [k for k, v in given.items() if isinstance(v, float | np.floating) and np.isnan(v)]
        if nan:  # XGBoost's learning_rate=nan gave NaN probabilities without a word
            raise InvalidParameterError(
                f"booster_params {nan[0]}=nan is not a value; give a number, or leave it out "
                "for the default."
            )
        rounds = n_estimators(self.booster, self.booster_params)
        whole = isinstance(rounds, Integral) and not isinstance(rounds, bool)
        trees = candidates != [PRIOR_ONLY]  # scale='prior' fits no trees
        if trees and (not whole or not 1 <= rounds < 2**31):  # the libraries count in 32 bits
            shown = given_key(self.booster, "n_estimators", self.booster_params)
            raise InvalidParameterError(
                f"booster_params {shown}={brief(rounds)}: the trees need a whole number "
                "of boosting rounds from 1 to 2**31 - 1 (scale='prior' gives the prior "
                "alone, without trees)."
            )
        if trees:  # the adapter's checks (loss, boosting mode) before fits
            make_booster(self.booster, self.booster_params, self._task, None)

    def _check_class_weights(self) -> None:
        """Refuse weights of classes for a regressor, and LightGBM's ``class_weight``
        for XGBoost."""
        params = self.booster_params or {}
        given = class_weights_given(params)
        if self._task == "regression" and given:
            raise InvalidParameterError(
                f"booster_params {given[0]}={brief(params[given[0]])} weights classes, but a "
                "regressor has no classes (the library would ignore it, or weigh each "
                "distinct target value as a class); weight rows with sample_weight at fit."
            )
        if self.booster == "xgboost" and "class_weight" in (self.booster_params or {}):
            raise InvalidParameterError(
                "booster_params class_weight is a LightGBM parameter: XGBoost does not read "
                "it (its trees would ignore it, with XGBoost's warning on every fit). Pass "
                "sample_weight=sklearn.utils.class_weight.compute_sample_weight(class_weight, "
                "y) to fit, or use booster='lightgbm'."
            )

    def _booster_params(self) -> dict | None:
        """``booster_params`` with ``device`` in the library's own terms, and a library
        alias of a parameter llmboost sets or reads under its main name (``eta`` is
        ``learning_rate``, LightGBM's ``num_iterations`` is ``n_estimators``, ...)."""
        canonical = canonical_params(self.booster, self.booster_params)
        if self._candidates() != [PRIOR_ONLY]:  # in fit alone: not at every save and load
            warn_unsampled_rows(self.booster, self.booster_params, self.n_trials > 0)
            check_forced_files(self.booster, self.booster_params)  # gone by a load: taken
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
        trees = self._candidates() != [PRIOR_ONLY]  # scale="prior" fits no trees
        if device != "cpu" and trees and not adapter.has_cuda():
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
            labels = str(classes.tolist()[:10])
            if len(classes) > 10:
                labels = f"{labels[:-1]}, ...] ({len(classes)} in all)"
            raise InvalidParameterError(
                f"booster_params class_weight names {brief(unknown[0])}, which is not a label "
                f"in y; key it by the labels {labels}."
            )
        for key, w in weights.items():  # -1 or inf: probabilities 1, NaN: 0, in silence
            real = isinstance(w, Real) and not isinstance(w, bool)
            if not real or not (_huge(w) or np.isfinite(_to_float(w))) or w < 0:
                raise InvalidParameterError(
                    f"booster_params class_weight gives {brief(key)} the weight {brief(w)}: "
                    "give each class a finite number >= 0."
                )
            if w > FLOAT32_MAX or 0 < w < _FLOAT32_TINY:  # 1e300 became inf, 1e-320 0
                raise InvalidParameterError(
                    f"booster_params class_weight gives {brief(key)} the weight {brief(w)}: "
                    "LightGBM stores weights as float32; give each class 0 or a number from "
                    f"{_FLOAT32_TINY:.3g} to {FLOAT32_MAX:.3g}, or rescale the weights."
                )
        if all(label in weights and weights[label] == 0 for label in classes):
            raise InvalidParameterError(  # no row would train: probabilities alike, in silence
                "booster_params class_weight gives every class the weight 0, so no row would "
                "train the trees; give some class a weight above 0."
            )
        return {**params, "class_weight": {code[key]: w for key, w in weights.items()}}

    def _by_name(self, params: dict | None, frame, trees) -> dict | None:
        """``params`` with constraints that name columns of ``frame`` or give their
        positions (XGBoost's ``monotone_constraints`` dict, ``interaction_constraints``
        lists) in the names of ``trees``, the same rows as the boosters see them
        (:func:`~llmboost._validation.booster_frame`); for LightGBM, positions and a list
        of one ``monotone_constraints`` value per column; lists of one value per column
        checked against them (:func:`~llmboost._class_count.check_column_count`)."""
        columns = list(frame.columns)
        rename = dict(zip(columns, trees.columns, strict=True))

        def booster_name(key: str, column):
            if column in rename or column in rename.values():  # as in X, or as renamed
                return rename.get(column, column)
            whole = isinstance(column, Integral) and not isinstance(column, bool)
            if whole and 0 <= column < len(columns):  # a position, as in interaction_constraints
                return trees.columns[column]
            raise InvalidParameterError(
                f"booster_params {key} names {column!r}, which is not a column of X; "
                f"name the columns as in X ({columns[:10]}) or by position (0 to "
                f"{len(columns) - 1})."
            )

        out = dict(params or {})
        monotone = out.get("monotone_constraints")
        if isinstance(monotone, dict):
            named, keys = {}, {}
            for column, value in monotone.items():
                name = booster_name("monotone_constraints", column)
                if name in keys:  # the library would keep the last direction in silence
                    raise InvalidParameterError(
                        f"booster_params monotone_constraints gives column "
                        f"{columns[list(trees.columns).index(name)]!r} twice, as "
                        f"{keys[name]!r} and as {column!r}; give each column once."
                    )
                named[name], keys[name] = value, column
            if self.booster == "lightgbm":  # a value per column; the others unconstrained
                named = [named.get(name, 0) for name in trees.columns]
            out["monotone_constraints"] = named
        groups = out.get("interaction_constraints")
        groups = interaction_text(groups) if isinstance(groups, str) else groups
        position = {name: i for i, name in enumerate(trees.columns)}

        def member(column):
            if not isinstance(column, str):
                return column
            name = booster_name("interaction_constraints", column)
            # LightGBM writes names into its model text, which it then cannot read back
            return position[name] if self.booster == "lightgbm" else name

        if isinstance(groups, list | tuple) and all(isinstance(g, list | tuple) for g in groups):
            out["interaction_constraints"] = [[member(c) for c in g] for g in groups]
        if self._candidates() != [PRIOR_ONLY]:  # scale="prior" fits no trees
            check_column_count(self.booster, out, trees.columns)
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
            if _is_time(self.scale) and not np.ndim(self.scale):  # np.timedelta64(1) is no 1
                shown = repr(self.scale)
            elif isinstance(self.scale, np.generic):
                shown = brief(_as_given(self.scale))
            else:  # pandas cannot print a Series holding Decimal("sNaN")
                series = isinstance(self.scale, pd.Series)
                shown = brief(_quiet_nans(self.scale) if series else self.scale)
            raise InvalidParameterError(
                f"scale={shown} is invalid: use 'auto', 'prior', a number >= 0, "
                f"or a list (or 1-D array) of such numbers and 'prior'.{_bad_scale(self.scale)}"
            )
        return candidates


def _score_rows(y) -> int:
    """The length of ``score``'s ``y`` (0 for ``None``, refused as it is); a single value,
    which has none, is refused as scikit-learn's metrics refuse it."""
    if y is None:
        return 0
    if not isinstance(y, str | bytes):
        try:
            return len(y)
        except TypeError:  # a number, a 0-d array, an iterator
            pass
    raise InvalidParameterError(
        f"score's y must be array-like, one value per row of X, got {brief(y)} "
        f"({type(y).__name__}); pass the true values of the rows as a list or array."
    )


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
        sample_weight : array-like of shape (n_samples,) or float, default=None
            Checked as ``fit`` checks it (a float: every row alike).

        Returns
        -------
        float
        """
        classes = getattr(self, "classes_", None)
        y = class_labels(y, _score_rows(y), classes, "score's y")
        sample_weight = check_sample_weight(sample_weight, len(y))
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
        sample_weight : array-like of shape (n_samples,) or float, default=None
            Checked as ``fit`` checks it (a float: every row alike).

        Returns
        -------
        float
        """
        y = numeric_target(y, _score_rows(y), "score's y")
        sample_weight = check_sample_weight(sample_weight, len(y))
        return super().score(X, y, sample_weight=sample_weight)


__all__ = [
    "PARAMETER_CONSTRAINTS",
    "FusionParams",
    "LabelsAsFit",
    "ValuesAsFit",
]
