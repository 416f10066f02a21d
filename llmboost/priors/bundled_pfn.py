"""The PFN that ships inside llmboost as a prior: offline, licence-free, CPU-friendly.

:class:`BundledPFNPrior` loads ``llmboost/pfn/weights/llmboost-pfn-small.pt`` (a ~170k
parameter transformer pretrained on synthetic tasks, see ``docs/bundled_pfn.md``) and
scores rows by in-context learning: the training rows are the context, each new row
attends to them. ``torch`` is imported only when a prior is fitted.
"""

from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes
from sklearn.utils.validation import check_is_fitted

from .base import Folds, Prior, log_proba

_INSTALL_HINT = 'BundledPFNPrior needs torch: pip install "llmboost[tabpfn]" (or just torch)'
_MODELS: dict[tuple[str, str], Any] = {}
_LOCK = threading.Lock()


def default_weights_path() -> Path:
    """Path of the shipped checkpoint."""
    from ..pfn import DEFAULT_WEIGHTS, WEIGHTS_DIR

    return WEIGHTS_DIR / DEFAULT_WEIGHTS


def load_model(path: str | os.PathLike | None = None, device: str = "cpu"):
    """Load (once per process) a checkpoint written by ``llmboost.pfn.pretrain``."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(_INSTALL_HINT) from exc
    from ..pfn.model import PFNConfig, TabPFNLite

    path = Path(path) if path is not None else default_weights_path()
    key = (str(path.resolve()), str(device))
    with _LOCK:
        if key not in _MODELS:
            if not path.is_file():
                raise FileNotFoundError(f"No PFN checkpoint at {path}.")
            ck = torch.load(path, map_location=device, weights_only=True)
            model = TabPFNLite(PFNConfig(**{"label_to_cells": False, **ck["config"]}))
            model.load_state_dict(ck["state_dict"])
            model.to(device).eval()
            model.train_info = ck.get("train_info", {})
            model.max_rows = int(ck.get("recipe", {}).get("args", {}).get("max_rows", 1024))
            _MODELS[key] = model
        return _MODELS[key]


class BundledPFNPrior(Prior):
    """The bundled PFN's class log-probabilities as a prior (classification only).

    Parameters
    ----------
    n_ensemble : int, default=4
        Forward passes averaged (in probability space). Pass 0 uses the data as given;
        the others permute the class labels and the feature order, and every pass draws
        its own random feature embeddings. All passes run as one batch.
    random_state : int, default=None
        Seeds the permutations, the feature embeddings and the context subsample;
        ``None`` means 0, so results are reproducible.
    max_context : int, default=None
        Most training rows used as context; ``None`` is the largest table size the
        checkpoint was pretrained on (1,024 rows). Beyond it a stratified subsample is
        the context, with a warning.
    weights : str or Path, default=None
        A checkpoint file from ``python -m llmboost.pfn.pretrain``; ``None`` is the
        shipped one.
    device : str, default="cpu"
        Torch device; ``"auto"`` picks CUDA when available.
    softmax_temperature : float, default=1.0
        Logits are divided by it before the softmax.
    batch_cells : int, default=2_000_000
        Memory knob: rows x features x passes scored per forward call.

    Attributes
    ----------
    classes_ : ndarray
        Labels in the order of the logit columns.
    context_size_ : int
        Rows in the context.
    """

    task = "classification"

    def __init__(
        self,
        n_ensemble: int = 4,
        random_state: int | None = None,
        max_context: int | None = None,
        weights: str | os.PathLike | None = None,
        device: str = "cpu",
        softmax_temperature: float = 1.0,
        batch_cells: int = 2_000_000,
    ) -> None:
        self.n_ensemble = n_ensemble
        self.random_state = random_state
        self.max_context = max_context
        self.weights = weights
        self.device = device
        self.softmax_temperature = softmax_temperature
        self.batch_cells = batch_cells

    # ------------------------------------------------------------------ helpers
    def _device(self) -> str:
        if self.device == "auto":
            import torch

            return "cuda" if torch.cuda.is_available() else "cpu"
        return self.device

    def _seed(self) -> int:
        return 0 if self.random_state is None else int(self.random_state)

    def _fit_encoding(self, X: pd.DataFrame) -> None:
        if not isinstance(X, pd.DataFrame):
            X = pd.DataFrame(X)
        self.columns_ = list(X.columns)
        self.categories_: dict[Any, pd.Index] = {}
        for col in self.columns_:
            s = X[col]
            if isinstance(s.dtype, pd.CategoricalDtype):
                self.categories_[col] = s.cat.categories
            elif not (ptypes.is_numeric_dtype(s) or ptypes.is_bool_dtype(s)):
                self.categories_[col] = pd.Index(pd.unique(s.dropna()))

    def _encode(self, X: pd.DataFrame) -> np.ndarray:
        """Float matrix: numbers as they are, categories as codes, NaN for missing."""
        if not isinstance(X, pd.DataFrame):
            X = pd.DataFrame(X, columns=self.columns_)
        out = np.empty((len(X), len(self.columns_)), dtype=np.float32)
        for j, col in enumerate(self.columns_):
            s = X[col]
            if col in self.categories_:
                codes = self.categories_[col].get_indexer(np.asarray(s, dtype=object))
                out[:, j] = np.where(codes < 0, np.nan, codes)
            else:
                v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
                v = np.where(np.isfinite(v), v, np.nan)
                out[:, j] = np.clip(v, -1e30, 1e30)
        return out

    def _context_rows(self, y_codes: np.ndarray, limit: int, rng: np.random.Generator):
        """Indices of a stratified subsample of at most ``limit`` rows (all if fewer)."""
        n = len(y_codes)
        if n <= limit:
            return np.arange(n)
        keep = []
        classes, counts = np.unique(y_codes, return_counts=True)
        quota = np.maximum(1, np.floor(counts * limit / n).astype(int))
        for c, q in zip(classes, quota):
            idx = np.flatnonzero(y_codes == c)
            keep.append(rng.choice(idx, size=min(q, len(idx)), replace=False))
        keep = np.concatenate(keep)
        if len(keep) > limit:  # many tiny classes: the one-row minimum overshot
            keep = rng.choice(keep, size=limit, replace=False)
        return np.sort(keep)

    def _limit(self, model) -> int:
        return int(self.max_context) if self.max_context is not None else model.max_rows

    # ---------------------------------------------------------------- protocol
    def fit(self, X: pd.DataFrame, y: np.ndarray) -> BundledPFNPrior:
        """Store the (encoded, possibly subsampled) training rows as the context."""
        y = np.asarray(y)
        self.classes_, y_codes = np.unique(y, return_inverse=True)
        self._check_classes(len(self.classes_))
        model = load_model(self.weights, self._device())
        self._fit_encoding(X)
        Xe = self._encode(X)
        rng = np.random.default_rng(self._seed())
        limit = self._limit(model)
        rows = self._context_rows(y_codes, limit, rng)
        if len(rows) < len(y_codes):
            warnings.warn(
                f"BundledPFNPrior: {len(y_codes)} training rows exceed the model's context "
                f"limit of {limit}; using a stratified subsample of {len(rows)} rows.",
                UserWarning,
                stacklevel=2,
            )
        self.X_context_ = Xe[rows]
        self.y_context_ = y_codes[rows].astype(np.int64)
        self.categorical_ = np.array([c in self.categories_ for c in self.columns_], dtype=bool)
        self.context_size_ = len(rows)
        return self

    def _check_classes(self, k: int) -> None:
        from ..pfn.prior_data import MAX_CLASSES

        if k > MAX_CLASSES:
            raise ValueError(
                f"BundledPFNPrior handles at most {MAX_CLASSES} classes; got {k}. "
                "Use another prior (e.g. SklearnPrior) for this task."
            )
        if k < 2:
            raise ValueError("BundledPFNPrior needs at least 2 classes in y.")

    def logits(self, X: pd.DataFrame) -> np.ndarray:
        """Log-probabilities ``(n, n_classes)`` with all training rows as context."""
        check_is_fitted(self, "X_context_")
        Xq = self._encode(X)
        return self._predict([(self.X_context_, self.y_context_, Xq)])[0]

    def oof_logits(self, X: pd.DataFrame, y: np.ndarray, folds: Folds) -> np.ndarray:
        """Each fold's rows scored with the other folds as context; folds run batched."""
        y = np.asarray(y)
        classes, y_codes = np.unique(y, return_inverse=True)
        self._check_classes(len(classes))
        model = load_model(self.weights, self._device())
        self._fit_encoding(X)
        Xe = self._encode(X)
        rng = np.random.default_rng(self._seed())
        limit = self._limit(model)
        jobs = []
        for train, _test in folds:
            train = np.asarray(train)
            rows = train[self._context_rows(y_codes[train], limit, rng)]
            if len(rows) < len(train):
                warnings.warn(
                    f"BundledPFNPrior: fold context of {len(train)} rows exceeds {limit}; "
                    "subsampling.",
                    UserWarning,
                    stacklevel=2,
                )
            jobs.append((Xe[rows], y_codes[rows].astype(np.int64), Xe[np.asarray(_test)]))
        self.classes_ = classes
        self.categorical_ = np.array([c in self.categories_ for c in self.columns_], dtype=bool)
        out = np.empty((len(X), len(classes)), dtype=np.float64)
        for (_train, test), z in zip(folds, self._predict(jobs, n_classes=len(classes))):
            out[np.asarray(test)] = z
        return out

    # --------------------------------------------------------------- inference
    def _predict(self, jobs: list, n_classes: int | None = None) -> list[np.ndarray]:
        """Score ``(context X, context y codes, query X)`` jobs; same-size contexts batch."""
        import torch

        device = self._device()
        model = load_model(self.weights, device)
        k = n_classes if n_classes is not None else len(self.classes_)
        n_feat = jobs[0][0].shape[1]
        seed = self._seed()
        rng = np.random.default_rng(seed)
        m = max(1, int(self.n_ensemble))
        class_perms = [np.arange(k)] + [rng.permutation(k) for _ in range(m - 1)]
        feat_perms = [np.arange(n_feat)] + [rng.permutation(n_feat) for _ in range(m - 1)]
        results: list[np.ndarray | None] = [None] * len(jobs)
        groups: dict[int, list[int]] = {}
        for i, (xc, _yc, _xq) in enumerate(jobs):
            groups.setdefault(len(xc), []).append(i)
        cat = torch.from_numpy(self.categorical_)
        gen = torch.Generator().manual_seed(seed)
        noise = torch.randn(m, n_feat, model.cfg.feature_embed, generator=gen).to(device)
        for n_ctx, members in groups.items():
            n_query = max(len(jobs[i][2]) for i in members)
            per_row = (n_feat + 1) * m * len(members)
            chunk = max(1, min(n_query, self.batch_cells // per_row - n_ctx))
            probs = [np.zeros((len(jobs[i][2]), k)) for i in members]
            for start in range(0, n_query, chunk):
                xs, ys, cats, noises = [], [], [], []
                for i in members:
                    xc, yc, xq = jobs[i]
                    q = xq[start : start + chunk]
                    pad = min(chunk, n_query - start) - len(q)
                    if pad > 0:  # shorter fold: pad with copies of its first context row
                        q = np.concatenate([q, np.repeat(xc[:1], pad, axis=0)])
                    table = np.concatenate([xc, q])
                    for e in range(m):
                        xs.append(table[:, feat_perms[e]])
                        ys.append(class_perms[e][yc])
                        cats.append(cat[feat_perms[e]])
                        noises.append(noise[e])
                x = torch.from_numpy(np.stack(xs)).to(device)
                yt = torch.from_numpy(np.stack(ys)).to(device)
                ct = torch.stack(cats).to(device)
                nc = torch.full((len(xs),), k, dtype=torch.long, device=device)
                with torch.no_grad():
                    z = model(x, yt, ct, nc, feature_noise=torch.stack(noises))[..., :k]
                    p = torch.softmax(z / self.softmax_temperature, dim=-1).cpu().numpy()
                p = p.reshape(len(members), m, p.shape[1], k)
                for gi, i in enumerate(members):
                    n_here = min(chunk, len(jobs[i][2]) - start)
                    if n_here <= 0:
                        continue
                    avg = np.zeros((n_here, k))
                    for e in range(m):
                        avg += p[gi, e, :n_here][:, class_perms[e]]
                    probs[gi][start : start + n_here] = avg / m
            for gi, i in enumerate(members):
                results[i] = log_proba(probs[gi])
        return results  # type: ignore[return-value]


__all__ = ["BundledPFNPrior", "default_weights_path", "load_model"]
