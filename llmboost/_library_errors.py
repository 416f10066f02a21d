"""XGBoost's and LightGBM's own errors in ``fit``, as one-line ``ValueError``, and
parameters they would fail on or ignore (a GPU they cannot use, a metric that is no
name), refused before any fit."""

from __future__ import annotations

import re
from contextlib import contextmanager

import numpy as np

#: The device names XGBoost 3 takes (its own pattern).
_XGBOOST_DEVICE = re.compile(r"gpu(:[0-9]+)?|cuda(:[0-9]+)?|cpu|sycl(:cpu|:gpu)?(:-1|:[0-9]+)?")


def library_message(error: Exception) -> str:
    """An XGBoost or LightGBM error on one line, without XGBoost's time, source and stack."""
    text = (str(error).strip() or type(error).__name__).split("\nStack trace:")[0]
    return re.sub(r"^\[[\d:]+\] \S+: ", "", " ".join(text.split()))[:300]


@contextmanager
def library_errors(library: str, params: dict):
    """The library's own errors in ``fit`` as ``ValueError``: one line, no C++ stack trace."""
    try:
        yield
    except Exception as error:
        if type(error).__name__ not in ("XGBoostError", "LightGBMError"):
            raise
        shown = {k: v for k, v in params.items() if k != "random_state"}
        raise ValueError(
            f"{library} could not fit: {library_message(error)} (its parameters, from the "
            f"defaults and booster_params: {shown})."
        ) from None


def finite_margin(
    library: str, params: dict, out: np.ndarray, start, rate: str = "learning_rate"
) -> np.ndarray:
    """``out``, a booster's margin, unless the trees made it NaN or infinite somewhere:
    XGBoost at ``learning_rate=1000`` gave NaN predictions without a word, as plain XGBoost
    does. Where some row's ``start`` margin is past float32 (a scale that overflows the
    prior's margin), the trees are not to blame (near that end, the trees' steps from huge
    starting margins overflow too): ``out`` stays as it is, for the search to score.
    ``rate`` is what the user called the learning rate (``eta``), for the message."""
    bad = ~np.isfinite(out)
    if start is not None and bad.any():
        start = np.abs(np.asarray(start, dtype=np.float64).reshape(out.shape))
        bad &= bool((start <= np.finfo(np.float32).max).all())  # False for NaN
    if bad.any():
        rows = int(bad.reshape(len(out), -1).any(axis=1).sum())
        raise ValueError(
            f"{library}'s trees give a margin that is not finite (NaN or inf) on {rows} of "
            f"{len(out)} rows: the boosting diverged; lower {rate} "
            f"({params.get('learning_rate')})."
        )
    return out


def check_gpu(library: str, params: dict, has_cuda) -> None:
    """Refuse a GPU in ``params`` that the installed ``library`` cannot train on.

    XGBoost without CUDA ran the trees on the CPU with a warning per fit, LightGBM
    without CUDA failed every fit (after the prior's scores), as both did on a device
    name they do not take; XGBoost 3 has no ``gpu_*`` tree methods. ``has_cuda`` is
    the adapter's :meth:`has_cuda`.
    """
    method = params.get("tree_method")
    if library == "xgboost" and isinstance(method, str) and method.startswith("gpu_"):
        import xgboost as xgb

        if int(xgb.__version__.split(".")[0]) >= 3:
            raise ValueError(
                f"booster_params tree_method={method!r} was removed in XGBoost 3: give "
                "tree_method='hist' and device='cuda' (or the estimator's device='cuda')."
            )
    keys = ("device",) if library == "xgboost" else ("device_type", "device")
    for key in keys:
        value = params.get(key)
        if isinstance(value, str):
            _check_device_name(library, key, value)
        gpu = str(value).lower() == "cuda" or (
            library == "xgboost" and str(value).startswith(("cuda", "gpu"))
        )
        if isinstance(value, str) and gpu and not has_cuda():
            why = {
                "xgboost": "this XGBoost is built without CUDA (xgboost-cpu): its trees would "
                "run on the CPU, with a warning per fit",
                "lightgbm": "this LightGBM cannot train on CUDA (its PyPI wheels have no "
                "CUDA; a GPU must be visible too): every fit would fail",
            }[library]
            raise ValueError(
                f"booster_params {key}={value!r}, but {why}. Install the CUDA build "
                f"(docs/gpu.md), or leave {key} out."
            )


def _check_device_name(library: str, key: str, value: str) -> None:
    """Refuse a device name the library refuses at fit, after the prior's scores
    (XGBoost: "Invalid argument for `device`", LightGBM: "Unknown device type cuda:1")."""
    if library == "xgboost" and not _XGBOOST_DEVICE.fullmatch(value):
        raise ValueError(
            f"booster_params device={value!r}: XGBoost takes 'cpu', 'cuda', 'cuda:<index>' "
            "(e.g. 'cuda:0'), 'gpu', 'gpu:<index>' or 'sycl', in lower case."
        )
    kind, colon, index = value.partition(":")
    if library == "lightgbm" and colon:
        raise ValueError(
            f"booster_params {key}={value!r}: LightGBM's device type has no index; give "
            f"{key}={kind!r} and gpu_device_id={index} (or the estimator's device={value!r})."
        )
    if library == "lightgbm" and value.lower() not in ("cpu", "gpu", "cuda"):
        raise ValueError(f"booster_params {key}={value!r}: LightGBM takes 'cpu', 'gpu' or 'cuda'.")


def check_metric(library: str, params: dict) -> None:
    """Refuse an early-stopping metric that is no name (``metric=5``): the libraries
    failed with a ``TypeError`` ("can only concatenate list (not "int") to list")."""
    for key in ("eval_metric",) if library == "xgboost" else ("metric", "metrics", "metric_types"):
        value = params.get(key)
        names = value if isinstance(value, list | tuple) else [value]
        named = (isinstance(n, str) or (callable(n) and library == "xgboost") for n in names)
        if value is not None and not all(named):
            how = "a name, a list of names or a callable" if library == "xgboost" else (
                "a name, names separated by commas, or a list of names")  # fmt: skip
            raise ValueError(f"booster_params {key}={value!r}: give {how}, e.g. 'rmse'.")


__all__ = ["check_gpu", "check_metric", "finite_margin", "library_errors", "library_message"]
