"""TabPFN as a prior: in-context learning gives per-class log-probabilities for every row.

The wrapper drives the installed ``tabpfn`` package's own ``TabPFNClassifier`` /
``TabPFNRegressor``; nothing of TabPFN is copied here. ``torch`` and ``tabpfn`` are
imported only when a prior is fitted, so ``import llmboost`` stays light.

TabPFN "fits" by storing its context; the work happens at prediction. Out-of-fold
logits therefore cost one forward pass per fold, each scoring that fold's rows against
the other folds. On CUDA, folds of equal shape are scored together with TabPFN's batched
inference (``predict_proba_batched`` / ``predict_batched``), which fuses them into one
forward pass per group.
"""

from __future__ import annotations

import os
import threading
import urllib.error
import urllib.request
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from .base import Folds, Prior, align_columns, log_proba

#: Model names accepted by ``TabPFNPrior(model=...)`` (TabPFN's ``ModelVersion`` values).
MODEL_NAMES = ("v2", "v2.5", "v2.6", "v3", "v3.5", "v3.5-fast")

#: Devices on which folds of equal shape are fused into one TabPFN forward pass. On CPU
#: the fused pass measured no faster than one pass per fold (benchmarks/results/
#: tabpfn_prior.md), so CPU scores fold by fold.
FUSED_FOLD_DEVICES: tuple[str, ...] = ("cuda",)

#: Seconds allowed for the check that a download host answers at all.
REACHABILITY_TIMEOUT = 3.0

_INSTALL_HINT = 'TabPFNPrior needs torch and tabpfn: pip install "llmboost[tabpfn]"'
_CPU_SLOW_WARNING = "Running on CPU with more than"


class ModelNotAvailableError(RuntimeError):
    """The TabPFN weights are neither on disk nor downloadable right now."""


def _import_tabpfn():
    try:
        import tabpfn
        import torch  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(_INSTALL_HINT) from exc
    return tabpfn


class TabPFNPrior(Prior):
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
    device : str, default="auto"
        ``"auto"`` is ``"cuda"`` when available, else ``"cpu"``; any torch device name.
    n_estimators : int, default=4
        TabPFN's ensemble size (forward passes with shuffled/transformed inputs).
    max_context : int, default=None
        Most training rows used as context. ``None`` is TabPFN's own limit (v2: 1,000
        rows on CPU, 10,000 on GPU). Beyond it a stratified (random for regression)
        subsample is the context, with a warning; the booster still sees every row.
    batch_size : int, default=2048
        Rows scored per forward pass; halved on CUDA out-of-memory.
    random_state : int, default=None
        Seeds TabPFN and the context subsample; ``None`` means 0 (TabPFN's default
        seed), so results are reproducible.
    tabpfn_params : dict, default=None
        Extra keyword arguments for ``TabPFNClassifier`` / ``TabPFNRegressor``, e.g.
        ``{"inference_precision": torch.float64}`` (on CPUs with bfloat16 support
        TabPFN autocasts to bfloat16, so a row's output can change in the 4th digit
        with the other rows of its batch) or ``{"softmax_temperature": 1.0}``.

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
        model: str = "v2",
        model_path: str | os.PathLike | None = None,
        device: str = "auto",
        n_estimators: int = 4,
        max_context: int | None = None,
        batch_size: int = 2048,
        random_state: int | None = None,
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

    # -- pickling: the fitted TabPFN estimator holds the network; keep the context only --
    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())  # a copy: the default may be __dict__ itself
        state.pop("_estimator", None)
        return state

    # -- public verbs ------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: np.ndarray) -> TabPFNPrior:
        """Resolve the checkpoint, encode the table and fit TabPFN on (a cap of) the rows."""
        values, y_fit = self._prepare(X, y)
        cap, ignore_limits = self._context_cap()
        rows = self._subsample(y_fit, cap, seed=self._seed(), where="the training rows")
        self.context_X_ = values[rows]
        self.context_y_ = y_fit[rows]
        self.context_size_ = len(rows)
        self.ignore_limits_ = ignore_limits
        self._estimator = None
        self._fitted_estimator()
        return self

    def logits(self, X: pd.DataFrame) -> np.ndarray:
        """``(n, n_classes)`` log-probabilities, or ``(n,)`` means for regression."""
        check_is_fitted(self, "context_X_")
        values = self._encode(_as_frame(X), check_columns=True)
        estimator = self._fitted_estimator()
        return self._score(estimator, values)

    def oof_logits(self, X: pd.DataFrame, y: np.ndarray, folds: Folds) -> np.ndarray:
        """Score each training row with TabPFN whose context is the other folds only.

        On CUDA, folds with the same context and query shapes (and classes) run as one
        batched TabPFN call (``predict_proba_batched`` / ``predict_batched``) when all
        their query rows fit in ``batch_size``. Otherwise (and on CPU, where fusing
        measured no faster) TabPFN is fitted once per fold and scores that fold's rows
        in batches.
        """
        return clone(self)._oof_logits(X, y, folds)

    def _prepare(self, X: pd.DataFrame, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Check parameters, find the checkpoint and device, encode the table and labels."""
        self._check_params()
        frame = _as_frame(X)
        self.checkpoint_path_ = self._resolve_checkpoint()
        self.device_ = self._resolve_device()
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.categories_ = _fit_categories(frame)
        return self._encode(frame), self._encode_target(y)

    def _oof_logits(self, X: pd.DataFrame, y: np.ndarray, folds: Folds) -> np.ndarray:
        values, y_all = self._prepare(X, y)
        cap, self.ignore_limits_ = self._context_cap()

        jobs, capped = [], []
        for k, (train, test) in enumerate(folds):
            train, test = np.asarray(train), np.asarray(test)
            if len(train) > cap:
                capped.append(len(train))
                keep = self._subsample(y_all[train], cap, seed=self._seed() + k, where=None)
                train = train[keep]
            jobs.append((train, test))
        if capped:
            self._warn_cap(max(capped), cap, "each fold's context (the other folds' rows)")

        out = None
        for group in self._group_folds(jobs, y_all):
            results = self._score_group(group, values, y_all)
            for (_, test), z in zip(group, results):
                if out is None:
                    out = np.full((len(values),) + z.shape[1:], np.nan, dtype=np.float64)
                out[test] = z
        return out

    # -- parameters and resources --------------------------------------------------------
    def _check_params(self) -> None:
        if self.task not in ("classification", "regression"):
            raise ValueError(f"task must be 'classification' or 'regression', got {self.task!r}.")
        if self.model_path is None and self.model not in MODEL_NAMES:
            raise ValueError(f"model={self.model!r} is unknown; choose one of {MODEL_NAMES}.")
        for name in ("n_estimators", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
        if self.tabpfn_params is not None and not isinstance(self.tabpfn_params, dict):
            raise ValueError(f"tabpfn_params must be a dict or None, got {self.tabpfn_params!r}.")
        cap = self.max_context
        if cap is not None and (not isinstance(cap, int | np.integer) or cap < 2):
            raise ValueError(f"max_context must be None or an integer >= 2, got {cap!r}.")

    def _seed(self) -> int:
        return 0 if self.random_state is None else int(self.random_state)

    def _which(self) -> str:
        return "classifier" if self.task == "classification" else "regressor"

    def _resolve_device(self) -> str:
        if self.device != "auto":
            return str(self.device)
        _import_tabpfn()
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    def _resolve_checkpoint(self) -> str:
        """Path of an existing checkpoint file, downloading TabPFN's default if possible.

        Raises :class:`ModelNotAvailableError` within seconds when the file is missing
        and no download host answers (nothing is created in that case).
        """
        if self.model_path is not None:
            return _existing_model_path(Path(self.model_path).expanduser())
        _import_tabpfn()
        from tabpfn.constants import ModelVersion
        from tabpfn.model_loading import ModelType, _get_model_source, download_model

        version = ModelVersion(self.model)
        source = _get_model_source(version, ModelType(self._which()))
        path = _cache_dir() / source.default_filename
        if path.is_file():
            return str(path)
        hosts = _download_hosts(version)
        why = _unreachable_reason(hosts)
        if why is None:
            result = download_model(path, version=version, which=self._which())
            if result == "ok" and path.is_file():
                return str(path)
            errors = "; ".join(str(e).splitlines()[0] for e in result) if result != "ok" else ""
            why = f"the download failed ({errors or 'no file written'})"
        raise ModelNotAvailableError(_missing_message(self.model, self._which(), path, source, why))

    def _context_cap(self) -> tuple[int, bool]:
        """(rows allowed in a context, whether TabPFN's own row limit must be lifted)."""
        limit = _tabpfn_row_limit(self.checkpoint_path_, self.device_, self._which())
        if self.max_context is None:
            return limit, False
        return int(self.max_context), int(self.max_context) > limit

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
                out[:, j] = pd.to_numeric(col, errors="coerce").to_numpy(
                    dtype=np.float64, na_value=np.nan
                )
        return out

    def _cat_indices(self) -> list[int] | None:
        names = list(self.feature_names_in_)
        idx = [names.index(c) for c in self.categories_]
        return sorted(idx) or None

    def _encode_target(self, y) -> np.ndarray:
        y = np.asarray(y)
        if self.task == "regression":
            return y.astype(np.float64).reshape(-1)
        self.classes_, codes = np.unique(y, return_inverse=True)
        return codes.reshape(-1)

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
        default = self.max_context is None
        origin = f"TabPFN's own limit on {self.device_}" if default else "max_context"
        warnings.warn(
            f"TabPFNPrior: {n} rows exceed the context cap of {cap} rows ({origin}); "
            f"a {how} subsample of {cap} rows is used as TabPFN's context for {where}. "
            "The booster still trains on all rows. Set TabPFNPrior(max_context=...) to "
            "change the cap (contexts above TabPFN's limit are slow on CPU and outside "
            "its pretraining range).",
            UserWarning,
            stacklevel=3,
        )

    # -- TabPFN calls --------------------------------------------------------------------
    def _make_estimator(self):
        tabpfn = _import_tabpfn()
        cls = tabpfn.TabPFNClassifier if self.task == "classification" else tabpfn.TabPFNRegressor
        params = {
            "n_estimators": int(self.n_estimators),
            "categorical_features_indices": self._cat_indices(),
            "model_path": self.checkpoint_path_,
            "device": self.device_,
            "ignore_pretraining_limits": self.ignore_limits_,
            "fit_mode": "fit_preprocessors",
            "random_state": self._seed(),
        }
        return cls(**{**params, **(self.tabpfn_params or {})})

    def _fit_tabpfn(self, X: np.ndarray, y: np.ndarray):
        if self.task == "classification" and len(np.unique(y)) < 2:
            return _SingleClass(int(y[0]))
        with _quiet():
            return self._make_estimator().fit(X, y)

    def _fitted_estimator(self):
        """The TabPFN estimator on the stored context, refitted lazily after unpickling."""
        if getattr(self, "_estimator", None) is None:
            self._estimator = self._fit_tabpfn(self.context_X_, self.context_y_)
        return self._estimator

    def _score(self, estimator, values: np.ndarray, batch: int | None = None) -> np.ndarray:
        """Score rows with a fitted estimator in batches, halving the batch on OOM."""
        parts = []
        start, batch = 0, int(batch or self.batch_size)
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
        with _quiet():
            if self.task == "regression":
                return np.asarray(estimator.predict(values, output_type="mean"), np.float64)
            proba = estimator.predict_proba(values)
        want = np.arange(len(self.classes_))
        return align_columns(log_proba(proba), np.asarray(estimator.classes_), want)

    def _group_folds(self, jobs, y_all):
        """Folds grouped by (context rows, query rows, context classes), order kept."""
        groups: dict[tuple, list] = {}
        for train, test in jobs:
            classes = () if self.task == "regression" else tuple(np.unique(y_all[train]))
            groups.setdefault((len(train), len(test), classes), []).append((train, test))
        return list(groups.values())

    def _score_group(self, group, values, y_all) -> list[np.ndarray]:
        n_query = sum(len(test) for _, test in group)
        single = self.task == "classification" and len(np.unique(y_all[group[0][0]])) < 2
        fuse = self.device_.split(":")[0] in FUSED_FOLD_DEVICES and len(group) > 1
        batch = int(self.batch_size)
        while fuse and not single and n_query <= batch:
            try:
                return self._batched(group, values, y_all)
            except NotImplementedError:
                break  # a TabPFN setting the batched path does not support
            except Exception as exc:
                batch = _halve_on_oom(exc, batch)
        # One TabPFN fit per fold (each fold's preprocessing reused across its batches).
        out = []
        for train, test in group:
            estimator = self._fit_tabpfn(values[train], y_all[train])
            out.append(self._score(estimator, values[test], batch))
        return out

    def _batched(self, group, values, y_all) -> list[np.ndarray]:
        """One fused TabPFN forward pass over several folds of equal shape."""
        worker = self._make_estimator()
        X_train = [values[train] for train, _ in group]
        y_train = [y_all[train] for train, _ in group]
        X_test = [values[test] for _, test in group]
        with _quiet():
            if self.task == "regression":
                preds = worker.predict_batched(X_train, y_train, X_test, output_type="mean")
                return [np.asarray(p, dtype=np.float64) for p in preds]
            proba = worker.predict_proba_batched(X_train, y_train, X_test)
        have = np.unique(y_train[0])
        want = np.arange(len(self.classes_))
        return [align_columns(log_proba(p), have, want) for p in proba]


class _SingleClass:
    """Stand-in for a context with one class: that class gets probability 1."""

    def __init__(self, label: int) -> None:
        self.classes_ = np.array([label])

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.ones((len(X), 1))


# -- helpers ------------------------------------------------------------------------------
def _as_frame(X) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        frame = X
    else:
        array = np.asarray(X)
        if array.ndim != 2:
            raise ValueError(f"X must be 2-dimensional, got shape {array.shape}.")
        frame = pd.DataFrame(array, columns=[f"x{j}" for j in range(array.shape[1])])
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _fit_categories(frame: pd.DataFrame) -> dict[str, pd.Index]:
    """Categories per non-numeric column (``category`` dtype keeps its own)."""
    cats = {}
    for name in frame.columns:
        col = frame[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            cats[name] = col.cat.categories
        elif not (ptypes.is_numeric_dtype(col.dtype) or ptypes.is_bool_dtype(col.dtype)):
            cats[name] = pd.Index(sorted(col.dropna().astype(str).unique()))
    return cats


def _stratified_indices(y: np.ndarray, cap: int, rng: np.random.Generator) -> np.ndarray:
    """``cap`` row indices with class shares as in ``y`` and every class kept when possible."""
    classes, counts = np.unique(y, return_counts=True)
    quota = np.minimum(counts, 1) if cap >= len(classes) else np.zeros_like(counts)
    left = cap - quota.sum()
    share = (counts - quota) * left / max((counts - quota).sum(), 1)
    extra = np.floor(share).astype(int)
    order = np.argsort(-(share - extra), kind="stable")
    extra[order[: left - extra.sum()]] += 1
    quota = np.minimum(quota + extra, counts)
    picked = [rng.choice(np.flatnonzero(y == c), q, replace=False) for c, q in zip(classes, quota)]
    return np.sort(np.concatenate(picked))


def _cache_dir() -> Path:
    """``$TABPFN_MODEL_CACHE_DIR`` (read now, not at import) or TabPFN's cache folder."""
    env = os.environ.get("TABPFN_MODEL_CACHE_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    _import_tabpfn()
    from tabpfn.model_loading import get_cache_dir

    return Path(get_cache_dir())


def _existing_model_path(path: Path) -> str:
    """The checkpoint at ``path`` (a bare name also looks in the cache folder), or raise.

    TabPFN itself creates folders and a lock file for a missing path, so check first.
    """
    looked = [path.resolve()]
    if path.is_file():
        return str(path.resolve())
    if not path.is_absolute() and path.parent == Path():
        cached = _cache_dir() / path
        looked.append(cached)
        if cached.is_file():
            return str(cached)
    where = " or ".join(str(p) for p in looked)
    raise ModelNotAvailableError(
        f"TabPFN checkpoint not found: model_path={str(path)!r} (looked at {where}). "
        "Pass the path of an existing checkpoint file, or leave model_path=None to use "
        "the default TabPFN v2 checkpoint from the cache folder ($TABPFN_MODEL_CACHE_DIR). "
        "See docs/pfnboost.md, 'Getting the weights'."
    )


def _download_hosts(version) -> list[str]:
    hosts = [os.environ.get("HF_ENDPOINT", "").strip() or "https://huggingface.co"]
    from tabpfn.model_loading import FALLBACK_S3_BASE_URL, _version_has_direct_download_option

    if _version_has_direct_download_option(version):
        hosts.append(FALLBACK_S3_BASE_URL.split("/tabpfn")[0])
    return hosts


def _unreachable_reason(hosts: list[str]) -> str | None:
    """``None`` if a host answers within :data:`REACHABILITY_TIMEOUT`, else why not."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return "HF_HUB_OFFLINE is set"
    answered: list[str] = []

    def probe(url: str) -> None:
        try:
            request = urllib.request.Request(url, method="HEAD")
            with urllib.request.urlopen(request, timeout=REACHABILITY_TIMEOUT):  # noqa: S310
                answered.append(url)
        except urllib.error.HTTPError:
            answered.append(url)  # the host answered, with an error status
        except Exception:  # noqa: BLE001 - DNS, refused, timeout: unreachable
            pass

    threads = [threading.Thread(target=probe, args=(h,), daemon=True) for h in hosts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(REACHABILITY_TIMEOUT + 0.5)
    if answered:
        return None
    return f"no download host answered within {REACHABILITY_TIMEOUT:.0f} s ({', '.join(hosts)})"


def _missing_message(model: str, which: str, path: Path, source, why: str) -> str:
    url = f"https://huggingface.co/{source.repo_id}/resolve/main/{source.default_filename}"
    gated = (
        ""
        if model == "v2"
        else (
            f" TabPFN {model} weights are gated: accept their licence on "
            f"https://huggingface.co/{source.repo_id} and log in (hf auth login) first."
        )
    )
    return (
        f"TabPFN {model} {which} weights are not available: no file at {path}, and "
        f"{why}.{gated}\n"
        "To fix, on a machine with internet access download the checkpoint, e.g.\n"
        f"    hf download {source.repo_id} {source.default_filename} --local-dir DIR\n"
        f"  or {url}\n"
        "then either copy it to\n"
        f"    {path}\n"
        f"  or set TABPFN_MODEL_CACHE_DIR=DIR (the folder holding {source.default_filename}),"
        "\n  or pass TabPFNPrior(model_path='DIR/" + source.default_filename + "')."
    )


_ROW_LIMITS: dict[tuple, int] = {}


def _tabpfn_row_limit(path: str, device: str, which: str) -> int:
    """TabPFN's own training-row limit for this checkpoint on this device."""
    from tabpfn.inference_config import cpu_sample_limit
    from tabpfn.model_loading import load_model, resolve_model_version
    from tabpfn.settings import settings

    allow_cpu = settings.tabpfn.allow_cpu_large_dataset or os.environ.get(
        "TABPFN_ALLOW_CPU_LARGE_DATASET", ""
    ).strip().lower() in ("1", "true", "yes", "on")
    if device.startswith("cpu") and not allow_cpu:
        return cpu_sample_limit(resolve_model_version(path))
    stat = os.stat(path)
    key = (path, stat.st_mtime_ns, stat.st_size, which)
    if key not in _ROW_LIMITS:
        _, _, _, inference_config = load_model(path=Path(path), estimator_type=which)
        _ROW_LIMITS[key] = int(inference_config.MAX_NUMBER_OF_SAMPLES)
    return _ROW_LIMITS[key]


def _is_oom(exc: BaseException) -> bool:
    try:
        from tabpfn.errors import TabPFNOutOfMemoryError, is_oom_error
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, TabPFNOutOfMemoryError) or (
        isinstance(exc, Exception) and is_oom_error(exc)
    )


def _halve_on_oom(exc: BaseException, batch: int) -> int:
    """Half of ``batch`` after freeing the CUDA cache, or re-raise ``exc``."""
    if not _is_oom(exc) or batch <= 1:
        raise exc
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    warnings.warn(
        f"TabPFNPrior: out of memory with {batch} rows per batch; retrying with {batch // 2}.",
        UserWarning,
        stacklevel=3,
    )
    return batch // 2


class _quiet(warnings.catch_warnings):
    """Silence TabPFN's per-call 'CPU may be slow' warning (the cap is documented)."""

    def __enter__(self):
        out = super().__enter__()
        warnings.filterwarnings("ignore", message=_CPU_SLOW_WARNING)
        return out


__all__ = ["FUSED_FOLD_DEVICES", "MODEL_NAMES", "ModelNotAvailableError", "TabPFNPrior"]
