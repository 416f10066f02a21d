"""What TabPFN and TabICL priors share: a third-party in-context model with its context.

Such a model "fits" by storing its context (the training rows); the work happens at
prediction. :class:`InContextPrior` holds everything but the model itself: the checkpoint
lookup (on disk, else a download when a host answers within seconds), the context cap
with its stratified subsample and warning, out-of-fold scoring (each fold's rows against
the other folds, folds of equal shape grouped), batched scoring that halves the batch on
out-of-memory, and the stand-in for a context with one class or a constant target. A
subclass says how its model is made and where its checkpoint lives.
"""

from __future__ import annotations

import contextlib
import numbers
import os
import warnings
from abc import abstractmethod
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._params import DEVICE, DICT, POSITIVE_INT, RANDOM_STATE, TASK, Check, Interval, filled_text
from .._resources import halve_on_oom, is_out_of_memory, require, seed_from
from .._sampling import subsample
from .._warn import caller_level
from ._base import Folds, Prior, align_columns, category_codes, log_proba, target_moments
from ._device import fitted_device, torch_device
from ._extra_params import checked_extra
from ._folds import Fold, fold_named
from ._hosts import unreachable_reason
from ._label_distribution import LabelDistribution


def _a_path(value) -> bool:
    """Whether ``value`` can name a file: a path object, or text besides whitespace."""
    return isinstance(value, os.PathLike) or filled_text(value)


#: A checkpoint file's path: a path object, or text besides whitespace.
CHECKPOINT_PATH = Check(_a_path, "a path to a checkpoint file")
#: Constraints of the parameters every in-context prior has.
IN_CONTEXT_CONSTRAINTS = {
    "task": TASK,
    "model_path": [CHECKPOINT_PATH, None],
    "device": DEVICE,
    "n_estimators": [POSITIVE_INT],
    "max_context": [Interval(numbers.Integral, 2), None],
    "batch_size": [POSITIVE_INT],
    "random_state": RANDOM_STATE,
}
#: File endings of checkpoints, suggested when ``model_path`` names a folder.
CHECKPOINT_SUFFIXES = (".ckpt", ".pt", ".pth", ".safetensors")
#: The extra-keyword dict of a prior (``tabpfn_params``, ``tabicl_params``).
EXTRA_PARAMS = [DICT, None]


class ModelNotAvailableError(RuntimeError):
    """The model's weights are neither on disk nor downloadable right now."""


class InContextPrior(Prior):
    """Base of the priors that drive a third-party in-context model (TabPFN, TabICL).

    Subclasses set :attr:`_library` and :attr:`_extra_params`, and implement
    :meth:`_make_estimator` and the checkpoint hooks.
    """

    #: The library's display name, e.g. ``"TabPFN"``.
    _library = ""
    #: Name of the parameter holding extra keyword arguments for the library's estimator.
    _extra_params = ""
    #: Import names and extra of the optional dependency.
    _requires: tuple[tuple[str, ...], str] = ((), "")
    #: Devices on which folds of equal shape are scored in one fused call.
    _fused_devices: tuple[str, ...] = ()
    #: Keywords of the library's estimator refused in the extra dict: why, and what instead.
    _refused_extra: dict[str, str] = {}

    # -- pickling: the fitted estimator holds the network; keep the context only ------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())  # a copy: the default may be __dict__ itself
        state.pop("_estimator", None)
        state.pop("_estimator_params", None)
        return state

    def is_available(self) -> bool:
        """Whether this prior's checkpoint is on disk now (nothing is downloaded or created).

        Returns
        -------
        bool
            ``False`` also when the library is not installed or a parameter is invalid.
        """
        try:
            self._check_params()
            self._import()
            if self.model_path is not None:
                self._local_checkpoint(Path(self.model_path).expanduser())
                return True
            return self._cached_checkpoint() is not None
        except (ImportError, ModelNotAvailableError, ValueError):
            return False

    # -- the hooks of the base protocol ------------------------------------------------
    def _fit(self, X: pd.DataFrame, y: np.ndarray) -> None:
        self._resolve_resources()
        self._set_target_units(y)
        cap = self._set_cap()
        rows = self._context_rows(y, cap, self.seed_, "the training rows")
        self.context_X_ = category_codes(X)[rows]
        self.context_y_ = y[rows]
        self.context_size_, self._context_for = len(rows), self.max_context
        self._capped_from = cap, len(y)  # what a max_context set later would change
        self._estimator = self._estimator_params = None
        self._fitted_estimator()

    def _logits(self, X: pd.DataFrame) -> np.ndarray:
        return self._score(self._fitted_estimator(), category_codes(X))

    def _oof_logits(self, X: pd.DataFrame, y: np.ndarray, folds: Folds) -> np.ndarray:
        """Each fold's rows scored against the other folds; folds of equal shape grouped."""
        self._resolve_resources()
        values, cap = category_codes(X), self._set_cap()
        self._set_target_units(y)
        y = self._standard(y)
        jobs, capped = [], []
        for k, fold in enumerate(folds):
            train, test = np.asarray(fold[0]), np.asarray(fold[1])
            n_train = len(train)
            if n_train > cap:
                rows = self._context_rows(y[train], cap, self.seed_ + k, None)
                capped.append((n_train, len(rows)))
                train = train[rows]
            jobs.append(Fold(train, test, getattr(fold, "number", k), n_train))
        if capped:
            n, used = max(capped)
            some = f"{len(capped)} of {len(jobs)} folds" if len(capped) < len(jobs) else "each fold"
            self._warn_cap(n, cap, used, f"the training rows of {some} (the other folds' rows)")
        out = None
        for group in self._group_folds(jobs, y):
            for (_, test), z in zip(group, self._score_group(group, values, y)):
                if out is None:
                    out = np.full((len(values),) + z.shape[1:], np.nan, dtype=np.float64)
                out[test] = z
        return out

    # -- resources ----------------------------------------------------------------------
    def _import(self):
        modules, extra = self._requires
        return require(*modules, extra=extra, who=type(self).__name__)

    def _resolve_resources(self) -> None:
        """Set ``device_``, ``checkpoint_path_`` and ``seed_`` (downloads when needed)."""
        self._import()  # torch, then a device it cannot use is said before missing weights
        self.device_ = torch_device(self.device, type(self).__name__)
        self._locate_weights()
        self.seed_, self._seeded_for = seed_from(self.random_state), self.random_state

    def _locate_weights(self) -> None:
        """Set ``checkpoint_path_``: also on a prior loaded from a file (its device is
        resolved when it first scores, so a model fitted on a GPU loads anywhere)."""
        self._import()
        self.checkpoint_path_ = self._resolve_checkpoint()
        self._located_for = self._weights_params()  # kept in pickles and saved models

    def _weights_params(self) -> dict:
        params = self.get_params(deep=False)
        return {k: params[k] for k in _WEIGHTS_KEYS if k in params}

    def _sync_weights(self) -> None:
        """Locate the checkpoint again when a parameter that chooses it was set since it
        was located (also on a loaded or unpickled prior): what the next score reads, and
        save records."""
        located = getattr(self, "_located_for", None)
        if located is not None and not _same(self._weights_params(), located):
            self._check_params()
            self._locate_weights()  # another checkpoint

    def _resolve_checkpoint(self) -> str:
        """Path of an existing checkpoint file, downloading the default one if possible.

        Raises :class:`ModelNotAvailableError` within seconds when the file is missing
        and no download host answers (nothing is created in that case).
        """
        if self.model_path is not None:
            return self._local_checkpoint(Path(self.model_path).expanduser())
        found = self._cached_checkpoint()
        if found is not None:
            return found
        why = unreachable_reason(self._download_hosts())
        if why is None:
            try:
                return self._download()
            except Exception as exc:  # noqa: BLE001 - any download failure is reported
                why = f"the download failed ({str(exc).splitlines()[0]})"
        raise ModelNotAvailableError(self._missing_message(why))

    def _local_checkpoint(self, path: Path) -> str:
        """The checkpoint ``model_path`` names: a folder is a ``ValueError``, a missing file
        :class:`ModelNotAvailableError`."""
        if path.is_dir():
            found = sorted(f.name for f in path.glob("*") if f.suffix in CHECKPOINT_SUFFIXES)
            name = type(self).__name__
            raise ValueError(
                f"{name}: model_path={str(self.model_path)!r} is a folder ({path.resolve()}); "
                "pass the path of the checkpoint file in it, e.g. "
                f"{name}(model_path={str(path / (found or ['NAME.ckpt'])[0])!r})."
            )
        looked = self._model_path_candidates(path)
        for candidate in looked:
            if candidate.is_file():
                return str(candidate.resolve())
        raise ModelNotAvailableError(self._no_file_message(looked))

    def _model_path_candidates(self, path: Path) -> list[Path]:
        """Files ``model_path`` may name, in the order they are tried."""
        return [path]

    @abstractmethod
    def _cached_checkpoint(self) -> str | None:
        """The default checkpoint's path when it is on disk, else ``None`` (no download)."""

    @abstractmethod
    def _download_hosts(self) -> list[str]:
        """Hosts a download of the default checkpoint may come from."""

    @abstractmethod
    def _download(self) -> str:
        """Download the default checkpoint and return its path (raise on failure)."""

    @abstractmethod
    def _missing_message(self, why: str) -> str:
        """Why the default checkpoint is missing and how to get it."""

    @abstractmethod
    def _no_file_message(self, looked: list[Path]) -> str:
        """``model_path`` names no file: where it was looked for and what to pass."""

    # -- the context ----------------------------------------------------------------------
    @abstractmethod
    def _row_limit(self) -> int:
        """The library's own limit on context rows for this checkpoint and device."""

    def _context_cap(self) -> tuple[int, bool]:
        """(rows allowed in a context, whether the library's own limit must be lifted)."""
        limit = self._row_limit()
        if self.max_context is None:
            return limit, False
        return int(self.max_context), int(self.max_context) > limit

    def _set_cap(self) -> int:
        cap, self.ignore_limits_ = self._context_cap()
        return cap

    def _context_rows(self, y: np.ndarray, cap: int, seed: int, where: str | None) -> np.ndarray:
        """Sorted indices of ``cap`` rows (all when fewer; stratified for classification,
        where more classes than ``cap`` keep one row each)."""
        rng = np.random.default_rng(seed)
        rows = subsample(y, cap, rng, stratify=self.task == "classification")
        if len(y) > cap and where is not None:
            self._warn_cap(len(y), cap, len(rows), where)
        return rows

    def _cap_origin(self) -> str:
        """Where the cap comes from, for the warning (empty: not said)."""
        return ""

    def _warn_cap(self, n: int, cap: int, used: int, where: str) -> None:
        name, how = type(self).__name__, "stratified" if self.task == "classification" else "random"
        origin = self._cap_origin()
        sample = f"a {how} subsample of {cap} rows"
        if used > cap:  # more classes than the cap: every class keeps one row
            sample = f"one row of each of the {used} classes (more classes than the cap)"
        warnings.warn(
            f"{name}: {n} rows exceed the context cap of {cap} rows{origin}; {sample} "
            f"is used as {self._library}'s context for {where}. "
            f"The booster still trains on all rows. Set {name}(max_context=...) to change "
            f"the cap{self._cap_note()}.",
            UserWarning,
            stacklevel=caller_level(),
        )

    def _cap_note(self) -> str:
        return ""

    # -- the library's estimator -------------------------------------------------------
    @abstractmethod
    def _make_estimator(self):
        """An unfitted estimator of the library, configured from the parameters."""

    def _extra(self, cls, params: dict) -> dict:
        """``params`` and the checked extra keywords for the library's class ``cls``."""
        return checked_extra(self, cls, params)

    def _categorical_indices(self) -> list[int] | None:
        names = list(self.feature_names_in_)
        return sorted(names.index(c) for c in self.categories_) or None

    def _quiet(self):
        """A context that silences the library's per-call noise."""
        return contextlib.nullcontext()

    def _fit_model(self, X: np.ndarray, y: np.ndarray):
        if len(np.unique(y)) < 2:  # one class, or a constant target: nothing to learn
            return LabelDistribution(y, self.task)
        with self._quiet():
            return self._make_estimator().fit(X, y)

    def _fitted_estimator(self):
        """The estimator on the stored context, made again after unpickling or a change of
        parameters (so a pickled copy scores as the prior does)."""
        params, made = self.get_params(deep=False), getattr(self, "_estimator_params", None)
        if getattr(self, "_estimator", None) is None or not _same(params, made):
            if made is not None:  # set since fit: checked as fit checks them
                self._check_params()
            self._sync_weights()
            if not same_seed(self.random_state, getattr(self, "_seeded_for", self.random_state)):
                self.seed_, self._seeded_for = seed_from(self.random_state), self.random_state
            self._estimator_params = params
            self.device_ = fitted_device(self.device, type(self).__name__)
            self._warn_context_kept()
            # a context within a GPU's row limit stays the context on a CPU (pickled, loaded)
            n, limit = len(self.context_y_), self._row_limit()
            if n > limit and not getattr(self, "ignore_limits_", False):
                self._warn_over_limit(n, limit)
            self.ignore_limits_ = getattr(self, "ignore_limits_", False) or n > limit
            self._estimator = self._fit_model(self.context_X_, self._standard(self.context_y_))
        return self._estimator

    def _warn_context_kept(self) -> None:
        """Warn when a ``max_context`` set since fit would give another context than fit's."""
        if self.max_context == getattr(self, "_context_for", self.max_context):
            return
        cap, n = getattr(self, "_capped_from", (None, None))  # earlier pickles: unknown
        if n is not None:
            new_cap = self._context_cap()[0]
            if new_cap == cap or n <= min(cap, new_cap):  # the same rows either way
                return
        warnings.warn(
            f"{type(self).__name__}: max_context={self.max_context} was set after fit; "
            f"the context stays fit's {len(self.context_y_)} rows (the other training "
            "rows are not kept) until the next fit.",
            UserWarning,
            stacklevel=caller_level(),
        )

    def _warn_over_limit(self, n: int, limit: int) -> None:
        name = type(self).__name__
        warnings.warn(
            f"{name}: the context has {n} rows, more than {self._library}'s limit of {limit} "
            f"rows on {self.device_} (it was fitted with a higher limit: on another device, "
            "with another checkpoint or with the limit lifted); scoring it here goes beyond "
            f"the limit and is slow on a CPU. To score faster, refit with "
            f"{name}(max_context={limit}), or set_params(device='cuda') where a GPU is.",
            UserWarning,
            stacklevel=caller_level(),
        )

    # -- regression targets: the libraries cast them to float32 -------------------------
    def _set_target_units(self, y: np.ndarray) -> None:
        """Set ``target_mean_`` and ``target_scale_`` (regression), the units of ``_standard``.

        The libraries get the target in those units, computed in float64: TabICL casts
        it to float32 (unix times lost their spread, |y| > 3.4e38 failed) and TabPFN's
        squares overflow above about 1e154.
        """
        if self.task == "regression":
            self.target_mean_, sd = target_moments(y)
            self.target_scale_ = sd or 1.0

    def _standard(self, y: np.ndarray) -> np.ndarray:
        if self.task != "regression":
            return y
        mean, scale = getattr(self, "target_mean_", 0.0), getattr(self, "target_scale_", 1.0)
        return (np.asarray(y, dtype=np.float64) - mean) / scale

    def _in_units(self, z: np.ndarray) -> np.ndarray:
        """Predicted means in the target's units (earlier pickles: as they are)."""
        z = np.asarray(z, dtype=np.float64)
        return getattr(self, "target_mean_", 0.0) + getattr(self, "target_scale_", 1.0) * z

    def _is_oom(self, exc: BaseException) -> bool:
        return is_out_of_memory(exc)

    def _score(self, estimator, values: np.ndarray, batch: int | None = None) -> np.ndarray:
        """Score rows in batches of ``batch_size``, halving the batch on out-of-memory."""
        parts, start, batch = [], 0, int(batch or self.batch_size)
        while start < len(values):
            chunk = values[start : start + batch]
            try:
                parts.append(self._predict(estimator, chunk))
            except Exception as exc:
                batch = halve_on_oom(exc, batch, type(self).__name__, self._is_oom)
                continue
            start += len(chunk)
        return self._finite(np.concatenate(parts, axis=0))

    def _finite(self, z: np.ndarray) -> np.ndarray:
        """``z``; a ``ValueError`` when the library returned NaN or infinity for some rows
        (the extra keywords, which it takes unchecked, are named)."""
        bad = int((~np.isfinite(z).reshape(len(z), -1).all(axis=1)).sum())
        if bad:
            what = "means" if self.task == "regression" else "probabilities"
            extra = getattr(self, self._extra_params) or {}
            why = f"check {self._extra_params}={extra!r}" if extra else "no extra keywords"
            raise ValueError(
                f"{type(self).__name__}: {self._library} returned NaN or infinite {what} for "
                f"{bad} of {len(z)} rows ({why}; checkpoint {self.checkpoint_path_})."
            )
        return z

    def _predict(self, estimator, values: np.ndarray) -> np.ndarray:
        with self._quiet():
            if self.task == "regression":
                return self._in_units(self._predict_mean(estimator, values))
            proba = estimator.predict_proba(values)
        want = np.arange(len(self.classes_))
        return align_columns(log_proba(proba), np.asarray(estimator.classes_), want)

    def _predict_mean(self, estimator, values: np.ndarray) -> np.ndarray:
        return estimator.predict(values)

    # -- out-of-fold scoring -----------------------------------------------------------
    def _group_folds(self, jobs, y: np.ndarray) -> list[list]:
        """Folds grouped by (context rows, query rows, context classes), order kept."""
        groups: dict[tuple, list] = {}
        for job in jobs:
            train, test = job
            classes = () if self.task == "regression" else tuple(np.unique(y[train]))
            groups.setdefault((len(train), len(test), classes), []).append(job)
        return list(groups.values())

    def _score_group(self, group, values: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        """Logits of each fold of a group; fused on :attr:`_fused_devices`, else fold by fold."""
        n_query = sum(len(test) for _, test in group)
        single = self.task == "classification" and len(np.unique(y[group[0][0]])) < 2
        fuse = self.device_.split(":")[0] in self._fused_devices and len(group) > 1
        batch = int(self.batch_size)
        while fuse and not single and n_query <= batch:
            try:
                return [self._finite(z) for z in self._score_fused(group, values, y)]
            except Exception as exc:
                if not self._is_oom(exc):  # a setting it does not support, or an error:
                    break  # fold by fold, where an error names its fold
                batch = halve_on_oom(exc, batch, type(self).__name__, self._is_oom)
        return [self._score_fold(fold, values, y, batch) for fold in group]

    def _score_fold(self, fold: Fold, values: np.ndarray, y: np.ndarray, batch: int):
        """Logits of one fold's rows from a model on its context; an error names the fold."""
        train, test = fold
        with fold_named(fold.number, train, test, fold.rows):  # rows: before the cap
            return self._score(self._fit_model(values[train], y[train]), values[test], batch)

    def _score_fused(self, group, values: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        """One fused call over several folds of equal shape (when the library has one)."""
        raise NotImplementedError


#: Parameters that choose the checkpoint file.
_WEIGHTS_KEYS = ("task", "model_path", "model", "checkpoint")


def same_seed(a, b) -> bool:
    """Whether two ``random_state`` values seed alike: equal values, one ``RandomState``,
    or two in one state (a saved and loaded prior's copy of its ``RandomState``)."""
    if isinstance(a, np.random.RandomState) and isinstance(b, np.random.RandomState):
        return a is b or all(map(np.array_equal, a.get_state(), b.get_state()))
    return _same(a, b)


def _same(a, b) -> bool:
    """Whether two parameter values are equal (values that cannot say so: not)."""
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - arrays and the like: made again
        return False


__all__ = [
    "CHECKPOINT_PATH",
    "EXTRA_PARAMS",
    "IN_CONTEXT_CONSTRAINTS",
    "InContextPrior",
    "LabelDistribution",
    "ModelNotAvailableError",
    "target_moments",
]
