"""The common part of the booster adapters (:mod:`llmboost.boosters`): the checks of
``booster_params`` every library shares, the trees' unit and the verbs each implements."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from ._class_count import check_metric_data
from ._constraints import check_constraint_forms
from ._fit_arguments import check_boosting, check_stopping_twice
from ._library_config import check_library_values
from ._library_errors import check_gpu, check_metric
from ._library_params import (
    OBJECTIVE_KEYS,
    canonical_params,
    check_task_params,
    defaults_for,
    given_key,
    pop_patience,
)
from ._losses import check_loss_params, refused_loss
from ._param_names import check_parameter_names
from ._params import brief
from ._tree_unit import target_center, target_unit, trees_unit

#: Patience of early stopping on a user's validation rows, unless ``booster_params`` say.
EARLY_STOPPING_ROUNDS = 20

#: The squared-error losses.
_SQUARED_ERROR = (
    None, "reg:squarederror", "reg:linear", "regression", "regression_l2", "l2",
    "mean_squared_error", "mse", "l2_root", "root_mean_squared_error", "rmse",
)  # fmt: skip


class Booster(ABC):
    """Common part of the adapters.

    Parameters
    ----------
    params : dict or None
        The library's parameters, over the adapter's ``defaults``.
    task : {"classification", "regression"}
    random_state : int or None
        Seed of the library's randomness.

    Attributes
    ----------
    unit_ : float
        What the trees' outputs are multiplied by (:func:`target_unit`).
    center_ : float
        What is added to them for regression (:func:`target_center`).
    """

    name: str = ""
    defaults: dict = {}
    #: The library's named losses whose prediction is the margin, per task.
    margin_losses: dict = {"classification": (), "regression": ()}
    #: Other names the library takes for a parameter of :meth:`device_params`.
    device_aliases: dict = {}
    #: Parameters that put a link between the margin and the prediction, per task: their
    #: value without one, and what the library then predicts.
    link_params: dict = {"classification": {}, "regression": {}}
    _rate: str = "learning_rate"  # its name in booster_params (eta), for messages

    def __init__(self, params: dict | None, task: str, random_state: int | None) -> None:
        self.task, given = task, params
        params = canonical_params(self.name, params) or {}  # eta is learning_rate, ...
        defaults = defaults_for(self.name, self.defaults, params)
        self.params = {**defaults, "random_state": random_state, **params}
        self._rate = given_key(self.name, "learning_rate", given)
        patience = given_key(self.name, "early_stopping_rounds", given)
        check_stopping_twice(self.name, self.params)
        self.patience = pop_patience(self.params, EARLY_STOPPING_ROUNDS, patience)
        self._check_loss(given or {})
        check_boosting(self.name, self.params, given)
        self.params = check_parameter_names(self.name, self.params, given)
        check_task_params(self.name, task, self.params, given)
        check_constraint_forms(self.params)
        check_gpu(self.name, self.params, self.has_cuda)
        check_metric(self.name, self.params)
        check_metric_data(self.name, self.params, given)
        _check_class_weight(self.params)
        check_library_values(self.name, task, self.params, given)

    def _check_loss(self, given: dict) -> None:
        """Refuse a named loss whose prediction is not the margin (a log or logistic link):
        the prior's logits or prediction are added to the margin, read back as they are
        (so also a parameter of :attr:`link_params`); and a loss parameter the library
        refuses (:func:`~llmboost._losses.check_loss_params`); a loss shown as ``given``."""
        for key in OBJECTIVE_KEYS:
            loss = self.params.get(key)
            if isinstance(loss, str) and loss not in self.margin_losses[self.task]:
                taken = self.margin_losses[self.task]
                shown = given.get(key, loss)
                raise ValueError(refused_loss(self.name, self.task, key, loss, taken, shown))
        reads = "the prediction" if self.task == "regression" else "log-odds"
        for key, (plain, predicts) in self.link_params[self.task].items():
            if self.params.get(key, plain) != plain:
                raise ValueError(
                    f"booster_params {key}={self.params[key]!r} is not supported: LightGBM "
                    f"then predicts {predicts}, while llmboost adds the prior to the margin "
                    f"and reads the margin as {reads}; leave {key}={plain!r}."
                )
        check_loss_params(self.name, self.params)

    @property
    def squared_error(self) -> bool:
        """Whether this is regression with the libraries' default squared error."""
        keys = (self.params.get(key) for key in OBJECTIVE_KEYS)
        return self.task == "regression" and all(key in _SQUARED_ERROR for key in keys)

    def _in_unit(self, y, margin, eval_set, sample_weight=None):
        """``(y, margin, eval_set)`` in the trees' unit; sets ``unit_`` and ``center_``
        (:func:`~llmboost._tree_unit.trees_unit`)."""
        self.unit_, self.center_ = trees_unit(self, y, margin, sample_weight, eval_set)
        if (self.unit_, self.center_) == (1.0, 0.0):
            return y, margin, eval_set
        if eval_set is not None:
            X_val, y_val, z_val = eval_set
            eval_set = (X_val, self._scaled(y_val), self._scaled(z_val))
        return self._scaled(y), self._scaled(margin), eval_set

    def _scaled(self, values):
        """Targets or margins in the trees' unit: ``(values - center_) / unit_``."""
        unit, center = target_unit(self), target_center(self)
        if values is None or (unit, center) == (1.0, 0.0):  # classification: as given
            return values
        return (np.asarray(values, dtype=np.float64) - center) / unit

    def _estimator(self, classifier, regressor, **extra):
        cls = regressor if self.task == "regression" else classifier
        return cls(**{**self.params, **extra})

    @staticmethod
    def search_space() -> dict:
        """Parameters optuna tunes (with the scale) for this library.

        Returns
        -------
        dict
            The library's parameter names and optuna's distributions of their values
            (or a value every trial sets).
        """
        from optuna.distributions import FloatDistribution, IntDistribution

        return {
            "n_estimators": IntDistribution(50, 500, log=True),
            "learning_rate": FloatDistribution(0.01, 0.3, log=True),
            "subsample": FloatDistribution(0.5, 1.0),
            "reg_lambda": FloatDistribution(1e-3, 10.0, log=True),
        }

    @staticmethod
    @abstractmethod
    def device_params(device: str) -> dict:
        """This library's parameters for running on ``device``.

        Parameters
        ----------
        device : str
            ``"cpu"``, ``"cuda"`` or ``"cuda:<index>"``.

        Returns
        -------
        dict
        """

    @staticmethod
    def has_cuda() -> bool:
        """Whether the installed library was built with CUDA.

        Returns
        -------
        bool
        """
        return False

    @abstractmethod
    def fit(self, X, y, margin, sample_weight=None, eval_set=None) -> Booster:
        """Train, starting every row from ``margin``.

        Parameters
        ----------
        X : DataFrame
            Rows with names the library accepts (:func:`~llmboost._validation.booster_frame`).
        y : ndarray of shape (n_samples,)
            Class codes or numbers.
        margin : ndarray or None
            The starting margin; ``None`` is the library's own constant (plain GBDT).
        sample_weight : ndarray of shape (n_samples,), default=None
        eval_set : tuple (X, y, margin), default=None
            Rows to stop early on.

        Returns
        -------
        self
        """

    @abstractmethod
    def predict_margin(self, X, margin, n_rounds: int | None = None) -> np.ndarray:
        """Raw margin of the first ``n_rounds`` trees, ``margin`` included.

        Parameters
        ----------
        X : DataFrame
        margin : ndarray or None
            The starting margin of these rows.
        n_rounds : int, default=None
            Trees to read (all when ``None``).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
        """


def _check_class_weight(params: dict) -> None:
    """Refuse LightGBM's ``class_weight`` but a dict, ``'balanced'`` or ``None``: it failed
    at fit, after the prior's scores, with scikit-learn's message about
    ``compute_sample_weight``."""
    weights = params.get("class_weight")
    if weights is None or isinstance(weights, dict) or str(weights) == "balanced":
        return
    raise ValueError(
        f"booster_params class_weight={brief(weights)}: LightGBM takes a dict of weights keyed "
        "by the labels of y (e.g. {'no': 2.0, 'yes': 1.0}), 'balanced' (weights inverse to "
        "the classes' frequencies) or None."
    )


def check_rounds(n_rounds, available: int) -> int:
    """Rounds to read; past the last tree (LightGBM stops when no split gains) is all."""
    if n_rounds is None:
        return available
    if n_rounds < 1:
        raise ValueError(f"n_rounds={n_rounds}: a booster's margin needs at least 1 round.")
    return int(min(n_rounds, available))


__all__ = ["EARLY_STOPPING_ROUNDS", "Booster", "check_rounds"]
