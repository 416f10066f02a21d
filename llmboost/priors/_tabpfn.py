"""TabPFN as a prior: in-context learning gives per-class log-probabilities for every row.

The wrapper drives the installed ``tabpfn`` package's own ``TabPFNClassifier`` /
``TabPFNRegressor``; nothing of TabPFN is copied here. ``torch`` and ``tabpfn`` are
imported only when a prior is fitted, so ``import llmboost`` stays light.

TabPFN "fits" by storing its context; the work happens at prediction. Out-of-fold
logits therefore cost one forward pass per fold, each scoring that fold's rows against
the other folds. On CUDA, folds of equal shape are scored together with TabPFN's batched
inference (``predict_proba_batched`` / ``predict_batched``), which fuses them into one
forward pass per group. What TabPFN and TabICL share lives in
:mod:`llmboost.priors._in_context`; TabPFN's private names in :mod:`llmboost._compat`.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np

from .. import _compat
from .._params import Options
from ._base import align_columns, fit_from_checkpoint, log_proba
from ._in_context import (
    EXTRA_PARAMS,
    IN_CONTEXT_CONSTRAINTS,
    InContextPrior,
    LabelDistribution,
    ModelNotAvailableError,
)

#: Model names accepted by ``TabPFNPrior(model=...)`` (TabPFN's ``ModelVersion`` values).
MODEL_NAMES = ("v2", "v2.5", "v2.6", "v3", "v3.5", "v3.5-fast")

#: Devices on which folds of equal shape are fused into one TabPFN forward pass. On CPU
#: the fused pass measured no faster than one pass per fold (benchmarks/results/
#: tabpfn_prior.md), so CPU scores fold by fold.
FUSED_FOLD_DEVICES: tuple[str, ...] = ("cuda",)
#: The row limit with ``tabpfn_params={"ignore_pretraining_limits": True}``: none.
NO_ROW_LIMIT = np.iinfo(np.int64).max


class TabPFNPrior(InContextPrior):
    """TabPFN's predictions as a prior (log-probabilities, or the mean for regression).

    Parameters
    ----------
    task : {"classification", "regression"}, default="classification"
    model : str, default="v2"
        TabPFN version whose default checkpoint is used: ``"v2"`` (Apache-2.0 with
        attribution, ungated), or ``"v2.5"``, ``"v2.6"``, ``"v3"``, ``"v3.5"``,
        ``"v3.5-fast"`` (their own licences; downloads need a licence acceptance).
        Looked up in ``$TABPFN_MODEL_CACHE_DIR`` or TabPFN's cache folder.
    model_path : str or Path, default=None
        A local checkpoint file; overrides ``model``. Never downloaded.
    device : str or torch.device, default="auto"
        ``"auto"`` is ``"cuda"`` when available, else ``"cpu"``; any torch device name.
    n_estimators : int, default=4
        TabPFN's ensemble size (forward passes with shuffled/transformed inputs).
    max_context : int, default=None
        Most training rows used as context. ``None`` is TabPFN's own limit (v2: 1,000
        rows on CPU, 10,000 on GPU; none with ``tabpfn_params={"ignore_pretraining_limits":
        True}``). Beyond it a stratified (random for regression)
        subsample is the context, with a warning; the booster still sees every row.
        Set after fit, it takes effect at the next fit (fit keeps only the context).
    batch_size : int, default=2048
        Rows scored per forward pass; halved on CUDA out-of-memory.
    random_state : int, RandomState instance or None, default=None
        Seeds TabPFN and the context subsample; ``None`` means 0 (TabPFN's default
        seed), so results are reproducible. A ``RandomState`` is drawn from once per fit.
        Set after fit, it seeds TabPFN from the next score on (the context stays fit's).
    tabpfn_params : dict, default=None
        Extra keyword arguments for ``TabPFNClassifier`` / ``TabPFNRegressor`` (not the
        prior's own ``n_estimators``, ``model_path``, ``device``, ``random_state``), e.g.
        ``{"inference_precision": torch.float64}`` (on CPUs with bfloat16 support
        TabPFN autocasts to bfloat16, so a row's output can change in the 4th digit
        with the other rows of its batch) or ``{"softmax_temperature": 1.0}``.
        ``{"ignore_pretraining_limits": True}`` lifts TabPFN's row and column limits
        (``max_context=None`` then takes every training row; ``False`` keeps those the
        prior lifts: a larger ``max_context``, a GPU's context on a CPU). ``fit_mode`` is
        ``"fit_preprocessors"`` unless given (e.g. ``"low_memory"``).
        ``categorical_features_indices`` is refused: the prior passes X's categorical
        columns.

    Attributes
    ----------
    classes_ : ndarray
        Labels, in the order of the logit columns (classification).
    checkpoint_path_ : str
        The checkpoint file used.
    device_ : str
        The resolved device.
    context_size_ : int
        Rows in the context of the model fitted on all training rows.
    target_mean_, target_scale_ : float
        Regression: the units in which the library gets the target (standardised in
        float64), its means mapped back.

    Notes
    -----
    A context in which no feature varies (each column constant, or missing in every row),
    which TabPFN refuses, gives every row the context's class frequencies (regression: its
    mean); a column missing in some rows only varies. More classes
    or columns than the model's inference config takes (``MAX_NUMBER_OF_CLASSES``,
    ``MAX_NUMBER_OF_FEATURES``) are a ``ValueError`` naming the limit and what to use
    instead; so is a checkpoint of the other task (a regressor's for a classifier).
    """

    _parameter_constraints = {
        **IN_CONTEXT_CONSTRAINTS,
        "model": [Options(MODEL_NAMES)],
        "tabpfn_params": EXTRA_PARAMS,
    }
    _library = "TabPFN"
    _extra_params = "tabpfn_params"
    _requires = (("tabpfn", "torch"), "tabpfn")
    _refused_extra = {
        "categorical_features_indices": (
            "TabPFNPrior sets itself from X's categorical columns; give a column the pandas "
            "'category' dtype to have it read as categorical (text columns are already)"
        ),
    }

    def __init__(
        self,
        task: str = "classification",
        *,
        model: str = "v2",
        model_path: str | os.PathLike | None = None,
        device: str = "auto",
        n_estimators: int = 4,
        max_context: int | None = None,
        batch_size: int = 2048,
        random_state: int | np.random.RandomState | None = None,
        tabpfn_params: dict | None = None,
    ) -> None:
        self.task = task
        self.model = model
        self.model_path = model_path
        self.device = device
        self.n_estimators = n_estimators
        self.max_context = max_context
        self.batch_size = batch_size
        self.random_state = random_state
        self.tabpfn_params = tabpfn_params

    @property
    def _fused_devices(self) -> tuple[str, ...]:
        return FUSED_FOLD_DEVICES

    def _which(self) -> str:
        return "classifier" if self.task == "classification" else "regressor"

    # -- the checkpoint ---------------------------------------------------------------
    def _default_path(self) -> Path:
        _, filename = _compat.tabpfn_model_source(self.model, self._which())
        return _compat.tabpfn_cache_dir() / filename

    def _cached_checkpoint(self) -> str | None:
        path = self._default_path()
        return str(path) if path.is_file() else None

    def _download_hosts(self) -> list[str]:
        return _compat.tabpfn_download_hosts(self.model)

    def _download(self) -> str:
        path = self._default_path()
        _compat.tabpfn_download(path, self.model, self._which())
        return str(path)

    def _model_path_candidates(self, path: Path) -> list[Path]:
        """The path itself; a bare file name also in the cache folder.

        TabPFN itself creates folders and a lock file for a missing path, so the file is
        checked here first.
        """
        looked = [path.resolve()]
        if not path.is_absolute() and path.parent == Path():
            looked.append(_compat.tabpfn_cache_dir() / path)
        return looked

    def _no_file_message(self, looked: list[Path]) -> str:
        where = " or ".join(str(p) for p in looked)
        return (
            f"TabPFN checkpoint not found: model_path={str(self.model_path)!r} (looked at "
            f"{where}). Pass the path of an existing checkpoint file, or leave model_path=None "
            f"to use the default TabPFN {self.model} {self._which()} checkpoint from the cache "
            "folder ($TABPFN_MODEL_CACHE_DIR). See docs/pfnboost.md, 'Getting the weights'."
        )

    def _missing_message(self, why: str) -> str:
        repo, filename = _compat.tabpfn_model_source(self.model, self._which())
        path = self._default_path()
        gated = ""
        if self.model != "v2":
            gated = (
                f" TabPFN {self.model} weights are gated: accept their licence on "
                f"https://huggingface.co/{repo} and log in (hf auth login) first."
            )
        return (
            f"TabPFN {self.model} {self._which()} weights are not available: no file at {path}, "
            f"and {why}.{gated}\n"
            "To fix, on a machine with internet access download the checkpoint, e.g.\n"
            f"    hf download {repo} {filename} --local-dir DIR\n"
            f"  or https://huggingface.co/{repo}/resolve/main/{filename}\n"
            "then either copy it to\n"
            f"    {path}\n"
            f"  or set TABPFN_MODEL_CACHE_DIR=DIR (the folder holding {filename}),\n"
            f"  or pass TabPFNPrior(model_path='DIR/{filename}')."
        )

    # -- the context and the model ---------------------------------------------------
    def _row_limit(self) -> int:
        if (self.tabpfn_params or {}).get("ignore_pretraining_limits"):
            return NO_ROW_LIMIT  # TabPFN's meaning: its limits lifted, every row a context row
        return _compat.tabpfn_row_limit(self.checkpoint_path_, self.device_, self._which())

    def _cap_origin(self) -> str:
        if self.max_context is None:
            return f" (TabPFN's own limit on {self.device_})"
        return " (max_context)"

    def _cap_note(self) -> str:
        return " (contexts above TabPFN's limit are slow on CPU and outside its pretraining range)"

    def _make_estimator(self):
        tabpfn = self._import()[0]
        cls = tabpfn.TabPFNClassifier if self.task == "classification" else tabpfn.TabPFNRegressor
        params = {
            "n_estimators": int(self.n_estimators),
            "categorical_features_indices": self._categorical_indices(),
            "model_path": self.checkpoint_path_,
            "device": self.device_,
            "ignore_pretraining_limits": self.ignore_limits_,
            "fit_mode": "fit_preprocessors",
            "random_state": self.seed_,
        }
        params = self._extra(cls, params)
        # tabpfn_params={"ignore_pretraining_limits": False} cannot shrink a context
        params["ignore_pretraining_limits"] = params["ignore_pretraining_limits"] or (
            self.ignore_limits_
        )
        return cls(**params)

    def _fit_model(self, X: np.ndarray, y: np.ndarray):
        """TabPFN on the context, or the label distribution when no feature varies in it."""
        if not _any_feature_varies(X):
            return LabelDistribution(y, self.task)
        fix = (
            f"Pass model_path= a TabPFN {self._which()} checkpoint file, or leave "
            "model_path=None for the default one."
        )
        with self._task_named(), self._limits_named(X, y):
            return fit_from_checkpoint(
                lambda: super(TabPFNPrior, self)._fit_model(X, y),
                "TabPFN",
                self.checkpoint_path_,
                fix,
            )

    @contextlib.contextmanager
    def _task_named(self):
        """Turn TabPFN's refusal of a checkpoint of the other task into a clear ``ValueError``."""
        try:
            yield
        except ValueError as exc:
            classes = _max_classes(self.checkpoint_path_)
            kind = None if classes is None else "classification" if classes else "regression"
            if kind is None or kind == self.task:
                raise
            raise ValueError(
                f"TabPFN checkpoint {self.checkpoint_path_} is a {kind} checkpoint "
                f"(max_num_classes={classes}), but TabPFNPrior has task={self.task!r}. "
                f"Pass task={kind!r}, or model_path= a TabPFN {self._which()} checkpoint "
                "(None for the default one)."
            ) from exc

    @contextlib.contextmanager
    def _limits_named(self, X: np.ndarray, y: np.ndarray):
        """Turn TabPFN's refusal of too many classes or features into a clear ``ValueError``."""
        try:
            yield
        except ValueError as exc:
            if type(exc).__name__ != "TabPFNValidationError":
                raise
            message = self._over_limit(X.shape[1], len(np.unique(y)))
            if message is None:  # another refusal: TabPFN's own words
                raise
            raise ValueError(message) from None

    def _over_limit(self, n_features: int, n_classes: int) -> str | None:
        """Which of TabPFN's limits the context exceeds, from the model's inference config."""
        try:
            config = self._make_estimator().get_inference_config()
        except Exception:  # noqa: BLE001 - without the limits, TabPFN's message stands
            return None
        max_classes = getattr(config, "MAX_NUMBER_OF_CLASSES", None)
        max_features = getattr(config, "MAX_NUMBER_OF_FEATURES", None)
        if self.task == "classification" and max_classes and n_classes > max_classes:
            return (
                f"TabPFNPrior: y has {n_classes} classes, but this TabPFN model takes at most "
                f"{max_classes} (its MAX_NUMBER_OF_CLASSES; ignore_pretraining_limits does not "
                "lift it). Use BundledPFNPrior, which takes any number of classes (split into "
                f"groups its network takes), or merge classes so that at most {max_classes} remain."
            )
        if max_features and n_features > max_features:
            return (
                f"TabPFNPrior: X has {n_features} columns, but this TabPFN model reads at most "
                f"{max_features} (its MAX_NUMBER_OF_FEATURES). Select at most {max_features} "
                "columns, use BundledPFNPrior, which reads any number of columns in parts, or "
                "pass tabpfn_params={'ignore_pretraining_limits': True} to go beyond the "
                "tables TabPFN was pretrained on."
            )
        return None

    def _quiet(self):
        return _compat.quiet_tabpfn()

    def _is_oom(self, exc: BaseException) -> bool:
        return _compat.tabpfn_is_oom(exc) or super()._is_oom(exc)

    def _predict_mean(self, estimator, values: np.ndarray) -> np.ndarray:
        return estimator.predict(values, output_type="mean")

    def _score_fused(self, group, values: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        """One fused TabPFN forward pass over several folds of equal shape."""
        if not all(_any_feature_varies(values[train]) for train, _ in group):
            raise NotImplementedError  # scored fold by fold, with the stand-in
        worker = self._make_estimator()
        X_train = [values[train] for train, _ in group]
        y_train = [y[train] for train, _ in group]
        X_test = [values[test] for _, test in group]
        with self._quiet(), self._task_named(), self._limits_named(X_train[0], y_train[0]):
            if self.task == "regression":
                preds = worker.predict_batched(X_train, y_train, X_test, output_type="mean")
                return [self._in_units(p) for p in preds]
            proba = worker.predict_proba_batched(X_train, y_train, X_test)
        have, want = np.unique(y_train[0]), np.arange(len(self.classes_))
        return [align_columns(log_proba(p), have, want) for p in proba]


def _max_classes(path: str) -> int | None:
    """The ``max_num_classes`` of a checkpoint's config (0: a regressor), else ``None``."""
    if str(path).endswith(".safetensors"):
        return None
    import torch

    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        return int(ckpt["config"]["max_num_classes"])
    except Exception:  # noqa: BLE001 - unknown: TabPFN's own error stands
        return None


def _any_feature_varies(X: np.ndarray) -> bool:
    """Whether some column of ``X`` holds two different values, a missing cell counting as
    one (TabPFN keeps a column missing in some rows only, and removes the others)."""
    for col in X.T:
        seen = np.unique(col[~np.isnan(col)])
        if len(seen) > 1 or (len(seen) == 1 and np.isnan(col).any()):
            return True
    return False


__all__ = ["FUSED_FOLD_DEVICES", "MODEL_NAMES", "ModelNotAvailableError", "TabPFNPrior"]
