"""TabICL as a prior: a permissively licensed tabular foundation model (code and weights BSD-3).

The wrapper drives the installed ``tabicl`` package's own ``TabICLClassifier`` /
``TabICLRegressor`` (``pip install "llmboost[tabicl]"``); ``torch`` and ``tabicl`` are
imported only when a prior is fitted. TabICL "fits" by storing its context; the work
happens at prediction. Its scikit-learn API scores one context per call, so out-of-fold
logits cost one call per fold, each scoring that fold's rows against the other folds;
rows are scored ``batch_size`` at a time. What TabPFN and TabICL share lives in
:mod:`llmboost.priors._in_context`.

Weights come from the Hugging Face repository ``jingang/TabICL``. Offline, pass
``model_path=`` (a checkpoint file) or put the checkpoint in the Hugging Face cache;
nothing is ever downloaded when ``model_path`` is given.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .. import _compat
from .._params import Check, filled_text
from ._base import fit_from_checkpoint
from ._in_context import EXTRA_PARAMS, IN_CONTEXT_CONSTRAINTS, InContextPrior

#: Hugging Face repository of the released checkpoints.
REPO_ID = "jingang/TabICL"
#: Default checkpoint file per task (TabICL v2).
CHECKPOINTS = {
    "classification": "tabicl-classifier-v2-20260212.ckpt",
    "regression": "tabicl-regressor-v2-20260212.ckpt",
}
#: Default context cap: the table size TabICL v2 is documented for.
MAX_CONTEXT = 100_000


def _file_name(value) -> bool:
    """Whether ``value`` is a file name without a folder; a local file goes in ``model_path``."""
    return filled_text(value) and not any(sep in value for sep in "/\\")


class TabICLPrior(InContextPrior):
    """TabICL's predictions as a prior (log-probabilities, or the mean for regression).

    Parameters
    ----------
    task : {"classification", "regression"}, default="classification"
    checkpoint : str, default=None
        File name of a released checkpoint in ``jingang/TabICL``, looked up in the
        Hugging Face cache (downloaded when a host answers). ``None`` is TabICL v2 for
        the task (:data:`CHECKPOINTS`). A local file's path goes in ``model_path``.
    model_path : str or Path, default=None
        A local checkpoint file; overrides ``checkpoint``. Never downloaded.
    device : str or torch.device, default="auto"
        ``"auto"`` is ``"cuda"`` when available, else ``"cpu"``; any torch device name.
    n_estimators : int, default=8
        TabICL's ensemble size (views with other normalisations and feature orders).
    max_context : int, default=None
        Most training rows used as context; ``None`` is :data:`MAX_CONTEXT`. Beyond it a
        stratified (random for regression) subsample is the context, with a warning; the
        booster still sees every row.
        Set after fit, it takes effect at the next fit (fit keeps only the context).
    batch_size : int, default=8192
        Rows scored per TabICL call (each call re-reads the context).
    random_state : int, RandomState instance or None, default=None
        Seeds TabICL's ensemble and the context subsample; ``None`` means 0. A
        ``RandomState`` is drawn from once per fit. Set after fit, it seeds TabICL from
        the next score on (the context stays fit's).
    tabicl_params : dict, default=None
        Extra keyword arguments for ``TabICLClassifier`` / ``TabICLRegressor`` (not the
        prior's own ``n_estimators``, ``model_path``, ``device``, ``random_state``), e.g.
        ``{"softmax_temperature": 1.0}`` or ``{"kv_cache": True}``. ``allow_auto_download``
        and ``checkpoint_version`` are refused: ``checkpoint`` and ``model_path`` say which
        file is used.

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
    """

    _parameter_constraints = {
        **IN_CONTEXT_CONSTRAINTS,
        "checkpoint": [Check(_file_name, f"a file name in {REPO_ID} (a path: model_path)"), None],
        "tabicl_params": EXTRA_PARAMS,
    }
    _library = "TabICL"
    _extra_params = "tabicl_params"
    _requires = (("tabicl", "torch"), "tabicl")
    _refused_extra = {
        "allow_auto_download": (
            "TabICLPrior sets itself (to False): it finds the checkpoint file itself, from "
            "model_path= or checkpoint= (downloaded when a host answers)"
        ),
        "checkpoint_version": (
            "TabICL ignores when given a checkpoint file, as TabICLPrior gives it; pass "
            f"TabICLPrior(checkpoint=...) a file name in {REPO_ID} instead"
        ),
    }

    def __init__(
        self,
        task: str = "classification",
        *,
        checkpoint: str | None = None,
        model_path: str | os.PathLike | None = None,
        device: str = "auto",
        n_estimators: int = 8,
        max_context: int | None = None,
        batch_size: int = 8192,
        random_state: int | np.random.RandomState | None = None,
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

    # -- the checkpoint ---------------------------------------------------------------
    def _name(self) -> str:
        return self.checkpoint or CHECKPOINTS.get(self.task, CHECKPOINTS["classification"])

    def _cached_checkpoint(self) -> str | None:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(REPO_ID, self._name(), cache_dir=_compat.hf_cache_dir())
        return found if isinstance(found, str) and Path(found).is_file() else None

    def _download_hosts(self) -> list[str]:
        return [os.environ.get("HF_ENDPOINT", "").strip() or "https://huggingface.co"]

    def _download(self) -> str:
        from huggingface_hub import hf_hub_download

        return hf_hub_download(REPO_ID, self._name(), cache_dir=_compat.hf_cache_dir())

    def _missing_message(self, why: str) -> str:
        where = Path(_compat.hf_cache_dir()) / f"models--{REPO_ID.replace('/', '--')}"
        return _missing_message(
            self._name(), where, f"it is not in the Hugging Face cache and {why}"
        )

    def _no_file_message(self, looked: list[Path]) -> str:
        return _missing_message(
            self._name(),
            looked[0].resolve(),
            "model_path names no existing file",
            wanted=f"file {looked[0].name}",
        )

    # -- the context and the model ---------------------------------------------------
    def _row_limit(self) -> int:
        return MAX_CONTEXT

    def _make_estimator(self):
        tabicl = self._import()[0]
        cls = tabicl.TabICLClassifier if self.task == "classification" else tabicl.TabICLRegressor
        params = {
            "n_estimators": int(self.n_estimators),
            "model_path": self.checkpoint_path_,
            "allow_auto_download": False,
            "device": self.device_,
            "random_state": self.seed_,
        }
        return cls(**self._extra(cls, params))

    def _fit_model(self, X: np.ndarray, y: np.ndarray):
        """TabICL on the context, its columns standardised in float64 (:class:`_Standardised`)."""
        from ..pfn.inference import column_moments

        fix = f"Pass model_path= a TabICL {self.task} checkpoint such as {CHECKPOINTS[self.task]}."
        centre, scale = column_moments(X, np.zeros(X.shape[1], dtype=bool))
        estimator = fit_from_checkpoint(
            lambda: super(TabICLPrior, self)._fit_model((X - centre) / scale, y),
            "TabICL",
            self.checkpoint_path_,
            fix,
        )
        self._check_head(getattr(estimator, "model_", None))
        return _Standardised(estimator, centre, scale)

    def _check_head(self, model) -> None:
        """Refuse a checkpoint trained for the other task (a regressor has no classes)."""
        max_classes = getattr(model, "max_classes", None)
        if max_classes is None or (max_classes > 0) == (self.task == "classification"):
            return
        kind = "classification" if max_classes > 0 else "regression"
        raise ValueError(
            f"TabICL checkpoint {self.checkpoint_path_} is a {kind} checkpoint "
            f"(max_classes={max_classes}), but TabICLPrior has task={self.task!r}. "
            f"Pass task={kind!r}, or a {self.task} checkpoint such as "
            f"{CHECKPOINTS[self.task]}."
        )


class _Standardised:
    """A fitted TabICL estimator that gets rows standardised with its context's moments.

    TabICL divides each column by its spread + 1e-6, so a column in small units (a spread
    of 1e-8) reached it nearly constant; standardised first, TabICL's own scaling is the
    identity up to rounding. Other attributes are the estimator's.
    """

    def __init__(self, estimator, centre: np.ndarray, scale: np.ndarray) -> None:
        self.estimator, self.centre, self.scale = estimator, centre, scale

    def __getattr__(self, name: str):
        if name == "estimator":  # not set yet (copies): no recursion
            raise AttributeError(name)
        return getattr(self.estimator, name)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.estimator.predict_proba((X - self.centre) / self.scale)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.estimator.predict((X - self.centre) / self.scale)


def _missing_message(name: str, where: Path, why: str, wanted: str | None = None) -> str:
    url = f"https://huggingface.co/{REPO_ID}/resolve/main/{name}"
    return (
        f"TabICL checkpoint {wanted or name} is not available ({why}; looked at {where}).\n"
        "To fix, on a machine with internet access download one, e.g.\n"
        f"    hf download {REPO_ID} {name} --local-dir DIR\n"
        f"  or {url}\n"
        f"then pass TabICLPrior(model_path='DIR/{name}'), or copy the Hugging Face cache "
        "folder (HF_HUB_CACHE) over."
    )


__all__ = ["CHECKPOINTS", "MAX_CONTEXT", "REPO_ID", "TabICLPrior"]
