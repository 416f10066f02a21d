"""TabICL as a prior: a permissively licensed tabular foundation model (code and weights BSD-3).

The wrapper drives the installed ``tabicl`` package's own ``TabICLClassifier`` /
``TabICLRegressor`` (``pip install "llmboost[tabicl]"``); ``torch`` and ``tabicl`` are
imported only when a prior is fitted. TabICL "fits" by storing its context; the work
happens at prediction. Its scikit-learn API scores one context per call, so out-of-fold
logits cost one call per fold, each scoring that fold's rows against the other folds;
rows are scored ``batch_size`` at a time.

Weights come from the Hugging Face repository ``jingang/TabICL``. Offline, pass
``model_path=`` (a checkpoint file) or put the checkpoint in the Hugging Face cache;
nothing is ever downloaded when ``model_path`` is given.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from .base import Folds, Prior, align_columns, log_proba
from .tabpfn import (
    ModelNotAvailableError,
    _as_frame,
    _fit_categories,
    _SingleClass,
    _stratified_indices,
    _unreachable_reason,
)

#: Hugging Face repository of the released checkpoints.
REPO_ID = "jingang/TabICL"
#: Default checkpoint file per task (TabICL v2).
CHECKPOINTS = {
    "classification": "tabicl-classifier-v2-20260212.ckpt",
    "regression": "tabicl-regressor-v2-20260212.ckpt",
}
#: Default context cap: the table size TabICL v2 is documented for.
MAX_CONTEXT = 100_000

_INSTALL_HINT = 'TabICLPrior needs torch and tabicl: pip install "llmboost[tabicl]"'


def _import_tabicl():
    try:
        import tabicl
        import torch  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(_INSTALL_HINT) from exc
    return tabicl


class TabICLPrior(Prior):
    """TabICL's predictions as a prior (log-probabilities, or the mean for regression).

    Parameters
    ----------
    task : {"classification", "regression"}, default="classification"
    checkpoint : str, default=None
        File name of a released checkpoint in ``jingang/TabICL``, looked up in the
        Hugging Face cache (downloaded when a host answers). ``None`` is TabICL v2 for
        the task (:data:`CHECKPOINTS`).
    model_path : str or Path, default=None
        A local checkpoint file; overrides ``checkpoint``. Never downloaded.
    device : str, default="auto"
        ``"auto"`` is ``"cuda"`` when available, else ``"cpu"``; any torch device name.
    n_estimators : int, default=8
        TabICL's ensemble size (views with other normalisations and feature orders).
    max_context : int, default=None
        Most training rows used as context; ``None`` is :data:`MAX_CONTEXT`. Beyond it a
        stratified (random for regression) subsample is the context, with a warning; the
        booster still sees every row.
    batch_size : int, default=8192
        Rows scored per TabICL call (each call re-reads the context).
    random_state : int, default=None
        Seeds TabICL's ensemble and the context subsample; ``None`` means 0.
    tabicl_params : dict, default=None
        Extra keyword arguments for ``TabICLClassifier`` / ``TabICLRegressor``, e.g.
        ``{"softmax_temperature": 1.0}`` or ``{"kv_cache": True}``.

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
    """

    def __init__(
        self,
        task: str = "classification",
        checkpoint: str | None = None,
        model_path: str | os.PathLike | None = None,
        device: str = "auto",
        n_estimators: int = 8,
        max_context: int | None = None,
        batch_size: int = 8192,
        random_state: int | None = None,
        tabicl_params: dict | None = None,
    ) -> None:
        self.task = task
        self.checkpoint = checkpoint
        self.model_path = model_path
        self.device = device
        self.n_estimators = n_estimators
        self.max_context = max_context
        self.batch_size = batch_size
        self.random_state = random_state
        self.tabicl_params = tabicl_params

    # -- pickling: the fitted TabICL estimator holds the network; keep the context only --
    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_estimator", None)
        return state

    # -- public verbs ------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: np.ndarray) -> TabICLPrior:
        """Resolve the checkpoint, encode the table and fit TabICL on (a cap of) the rows."""
        values, y_fit = self._prepare(X, y)
        rows = self._subsample(y_fit, self._cap(), self._seed(), "the training rows")
        self.context_X_ = values[rows]
        self.context_y_ = y_fit[rows]
        self.context_size_ = len(rows)
        self._estimator = None
        self._fitted_estimator()
        return self

    def logits(self, X: pd.DataFrame) -> np.ndarray:
        """``(n, n_classes)`` log-probabilities, or ``(n,)`` means for regression."""
        check_is_fitted(self, "context_X_")
        values = self._encode(_as_frame(X), check_columns=True)
        return self._score(self._fitted_estimator(), values)

    def oof_logits(self, X: pd.DataFrame, y: np.ndarray, folds: Folds) -> np.ndarray:
        """Score each training row with TabICL whose context is the other folds only."""
        return clone(self)._oof_logits(X, y, folds)

    def _oof_logits(self, X: pd.DataFrame, y: np.ndarray, folds: Folds) -> np.ndarray:
        values, y_all = self._prepare(X, y)
        cap, capped, out = self._cap(), [], None
        for k, (train, test) in enumerate(folds):
            train, test = np.asarray(train), np.asarray(test)
            if len(train) > cap:
                capped.append(len(train))
                train = train[self._subsample(y_all[train], cap, self._seed() + k, None)]
            z = self._score(self._fit_tabicl(values[train], y_all[train]), values[test])
            if out is None:
                out = np.full((len(values),) + z.shape[1:], np.nan, dtype=np.float64)
            out[test] = z
        if capped:
            self._warn_cap(max(capped), cap, "each fold's context (the other folds' rows)")
        return out

    def _prepare(self, X: pd.DataFrame, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Check parameters, find the checkpoint and device, encode the table and labels."""
        self._check_params()
        frame = _as_frame(X)
        self.checkpoint_path_ = self._resolve_checkpoint()
        self.device_ = self._resolve_device()
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.categories_ = _fit_categories(frame)
        y = np.asarray(y)
        if self.task == "regression":
            return self._encode(frame), y.astype(np.float64).reshape(-1)
        self.classes_, codes = np.unique(y, return_inverse=True)
        return self._encode(frame), codes.reshape(-1)

    # -- parameters and resources --------------------------------------------------------
    def _check_params(self) -> None:
        if self.task not in CHECKPOINTS:
            raise ValueError(f"task must be 'classification' or 'regression', got {self.task!r}.")
        for name in ("n_estimators", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
        if self.tabicl_params is not None and not isinstance(self.tabicl_params, dict):
            raise ValueError(f"tabicl_params must be a dict or None, got {self.tabicl_params!r}.")
        cap = self.max_context
        if cap is not None and (not isinstance(cap, int | np.integer) or cap < 2):
            raise ValueError(f"max_context must be None or an integer >= 2, got {cap!r}.")

    def _seed(self) -> int:
        return 0 if self.random_state is None else int(self.random_state)

    def _cap(self) -> int:
        return MAX_CONTEXT if self.max_context is None else int(self.max_context)

    def _resolve_device(self) -> str:
        if self.device != "auto":
            return str(self.device)
        _import_tabicl()
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    def _resolve_checkpoint(self) -> str:
        """Path of an existing checkpoint file, downloading a released one if possible.

        Raises :class:`ModelNotAvailableError` within seconds when the file is missing
        and no download host answers (nothing is created in that case).
        """
        if self.model_path is not None:
            path = Path(self.model_path).expanduser()
            if path.is_file():
                return str(path.resolve())
            why = "model_path names no existing file"
            raise ModelNotAvailableError(_missing_message(self._name(), path.resolve(), why))
        _import_tabicl()
        from huggingface_hub import hf_hub_download, try_to_load_from_cache

        name, cache = self._name(), _hf_cache_dir()
        found = try_to_load_from_cache(REPO_ID, name, cache_dir=cache)
        if isinstance(found, str) and Path(found).is_file():
            return found
        endpoint = os.environ.get("HF_ENDPOINT", "").strip() or "https://huggingface.co"
        why = _unreachable_reason([endpoint])
        if why is None:
            try:
                return hf_hub_download(REPO_ID, name, cache_dir=cache)
            except Exception as exc:  # noqa: BLE001 - any download failure is reported
                why = f"the download failed ({str(exc).splitlines()[0]})"
        where = Path(cache) / f"models--{REPO_ID.replace('/', '--')}"
        raise ModelNotAvailableError(
            _missing_message(name, where, f"it is not in the Hugging Face cache and {why}")
        )

    def _name(self) -> str:
        return self.checkpoint or CHECKPOINTS.get(self.task, CHECKPOINTS["classification"])

    # -- data ---------------------------------------------------------------------------
    def _encode(self, frame: pd.DataFrame, check_columns: bool = False) -> np.ndarray:
        """Float matrix: numbers as they are, categories as codes, missing as NaN."""
        if check_columns and list(frame.columns) != list(self.feature_names_in_):
            raise ValueError(
                f"X has columns {list(frame.columns)}; the prior was fitted on "
                f"{list(self.feature_names_in_)}."
            )
        out = np.empty(frame.shape, dtype=np.float64)
        for j, name in enumerate(frame.columns):
            col = frame[name]
            cats = self.categories_.get(name)
            if cats is not None:
                codes = pd.Categorical(col.astype(object), categories=cats).codes
                out[:, j] = np.where(codes < 0, np.nan, codes)
            else:
                numbers = pd.to_numeric(col, errors="coerce")
                out[:, j] = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
        return out

    def _subsample(self, y: np.ndarray, cap: int, seed: int, where: str | None) -> np.ndarray:
        """Indices of at most ``cap`` rows (stratified for classification), sorted."""
        n = len(y)
        if n <= cap:
            return np.arange(n)
        if where is not None:
            self._warn_cap(n, cap, where)
        rng = np.random.default_rng(seed)
        if self.task == "regression":
            return np.sort(rng.choice(n, cap, replace=False))
        return _stratified_indices(y, cap, rng)

    def _warn_cap(self, n: int, cap: int, where: str) -> None:
        how = "stratified" if self.task == "classification" else "random"
        warnings.warn(
            f"TabICLPrior: {n} rows exceed the context cap of {cap} rows; a {how} subsample "
            f"of {cap} rows is used as TabICL's context for {where}. The booster still "
            "trains on all rows. Set TabICLPrior(max_context=...) to change the cap.",
            UserWarning,
            stacklevel=3,
        )

    # -- TabICL calls --------------------------------------------------------------------
    def _fit_tabicl(self, X: np.ndarray, y: np.ndarray):
        if self.task == "classification" and len(np.unique(y)) < 2:
            return _SingleClass(int(y[0]))
        tabicl = _import_tabicl()
        cls = tabicl.TabICLClassifier if self.task == "classification" else tabicl.TabICLRegressor
        params = {
            "n_estimators": int(self.n_estimators),
            "model_path": self.checkpoint_path_,
            "allow_auto_download": False,
            "device": self.device_,
            "random_state": self._seed(),
        }
        return cls(**{**params, **(self.tabicl_params or {})}).fit(X, y)

    def _fitted_estimator(self):
        """The TabICL estimator on the stored context, refitted lazily after unpickling."""
        if getattr(self, "_estimator", None) is None:
            self._estimator = self._fit_tabicl(self.context_X_, self.context_y_)
        return self._estimator

    def _score(self, estimator, values: np.ndarray) -> np.ndarray:
        """Score rows in batches of ``batch_size``, halving the batch on out-of-memory."""
        parts, start, batch = [], 0, int(self.batch_size)
        while start < len(values):
            chunk = values[start : start + batch]
            try:
                parts.append(self._predict(estimator, chunk))
            except Exception as exc:
                batch = _halve_on_oom(exc, batch)
                continue
            start += len(chunk)
        return np.concatenate(parts, axis=0)

    def _predict(self, estimator, values: np.ndarray) -> np.ndarray:
        if self.task == "regression":
            return np.asarray(estimator.predict(values), dtype=np.float64)
        proba = estimator.predict_proba(values)
        want = np.arange(len(self.classes_))
        return align_columns(log_proba(proba), np.asarray(estimator.classes_), want)


# -- helpers ------------------------------------------------------------------------------
def _hf_cache_dir() -> str:
    """The Hugging Face hub cache, read from the environment now (not at import)."""
    env = os.environ.get("HF_HUB_CACHE", "").strip()
    if env:
        return env
    home = os.environ.get("HF_HOME", "").strip()
    if home:
        return str(Path(home) / "hub")
    from huggingface_hub import constants

    return str(constants.HF_HUB_CACHE)


def _missing_message(name: str, where: Path, why: str) -> str:
    url = f"https://huggingface.co/{REPO_ID}/resolve/main/{name}"
    return (
        f"TabICL checkpoint {name} is not available ({why}; looked at {where}).\n"
        "To fix, on a machine with internet access download it, e.g.\n"
        f"    hf download {REPO_ID} {name} --local-dir DIR\n"
        f"  or {url}\n"
        f"then pass TabICLPrior(model_path='DIR/{name}'), or copy the Hugging Face cache "
        "folder (HF_HUB_CACHE) over."
    )


def _halve_on_oom(exc: BaseException, batch: int) -> int:
    """Half of ``batch`` after freeing the CUDA cache, or re-raise ``exc``."""
    import torch

    oom = isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc).lower()
    if not oom or batch <= 1:
        raise exc
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    warnings.warn(
        f"TabICLPrior: out of memory with {batch} rows per batch; retrying with {batch // 2}.",
        UserWarning,
        stacklevel=3,
    )
    return batch // 2


__all__ = ["CHECKPOINTS", "MAX_CONTEXT", "REPO_ID", "TabICLPrior"]
