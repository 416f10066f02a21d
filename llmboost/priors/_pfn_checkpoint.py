"""Loading the bundled PFN's checkpoints: the shipped files, or a run's of
``python -m llmboost.pfn.pretrain``, each read once per process and device."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from .._resources import require
from ._device import torch_device

_MODELS: dict[tuple, Any] = {}
_LOCK = threading.Lock()


def default_weights_path(task: str = "classification") -> Path:
    """Path of the shipped checkpoint for ``task``.

    Parameters
    ----------
    task : {"classification", "regression"}, default="classification"

    Returns
    -------
    Path
    """
    from ..pfn import DEFAULT_REGRESSION_WEIGHTS, DEFAULT_WEIGHTS, WEIGHTS_DIR

    return WEIGHTS_DIR / (DEFAULT_REGRESSION_WEIGHTS if task == "regression" else DEFAULT_WEIGHTS)


def load_model(path: str | os.PathLike | None = None, device: str = "cpu"):
    """Load (once per process) a checkpoint written by ``llmboost.pfn.pretrain``.

    Parameters
    ----------
    path : str or Path, default=None
        The checkpoint file; ``None`` is the shipped classification network.
    device : str, default="cpu"
        Torch device the network is placed on; ``"auto"`` picks CUDA when available.

    Returns
    -------
    TabPFNLite
        The network in evaluation mode (shared by every caller of the same file and device).
    """
    require("torch", extra="pfn", who="BundledPFNPrior")
    path = Path(path).expanduser() if path is not None else default_weights_path()
    device = torch_device(device, "load_model")
    if not path.is_file():
        folder = " (a folder)" if path.is_dir() else ""
        raise FileNotFoundError(
            f"No PFN checkpoint at {path}{folder}: pass weights= a file written by `python -m "
            "llmboost.pfn.pretrain` (a fitted prior needs the file it was fitted with), or "
            "None for the shipped network."
        )
    stat = path.stat()  # a file written over in place is read again
    key = (str(path.resolve()), device, stat.st_size, stat.st_mtime_ns)
    with _LOCK:
        if key not in _MODELS:
            for old in [k for k in _MODELS if k[:2] == key[:2]]:
                del _MODELS[old]
            model, ck = _read_checkpoint(path)
            model.to(device).eval()
            model.train_info = ck.get("train_info", {})
            _MODELS[key] = model
        return _MODELS[key]


def _read_checkpoint(path: Path):
    """The network and the checkpoint dict in ``path``; ``ValueError`` for any other file."""
    import pickle

    from ..pfn._resume import checkpoint_weights, read_plain
    from ..pfn.model import PFNConfig, TabPFNLite

    try:
        ck = read_plain(path)  # model.pt and shipped files hold "state_dict"; a run's
        weights = checkpoint_weights(ck)  # checkpoint.pt, "model"
        cfg = PFNConfig(**{"label_to_cells": False, **ck["config"]})
        _check_config(cfg)
        model = TabPFNLite(cfg)
        model.load_state_dict(weights)
        model.max_rows = _max_rows(ck)
    except PermissionError:
        raise
    except (pickle.UnpicklingError, OSError, EOFError, RuntimeError, KeyError, TypeError) as exc:
        why = ": ".join([type(exc).__name__, *str(exc).splitlines()[:1]])
        raise ValueError(
            f"{path} is not a checkpoint of the bundled PFN ({why}); "
            "pass weights= a file written by `python -m llmboost.pfn.pretrain`, or None "
            "for the shipped network."
        ) from None
    return model, ck


def _max_rows(ck: dict) -> int:
    """The largest pretraining table of checkpoint ``ck`` (its recipe's ``max_rows``; 1,024
    for a file without one); a ``RuntimeError`` for another value."""
    recipe = ck.get("recipe", {})
    args = recipe.get("args", {}) if isinstance(recipe, dict) else None
    rows = args.get("max_rows", 1024) if isinstance(args, dict) else None
    if not isinstance(rows, int) or isinstance(rows, bool) or rows < 1:
        raise RuntimeError(f"its recipe's args hold no max_rows, a row count >= 1: {recipe!r:.60}")
    return rows


def _check_config(cfg) -> None:
    """A ``RuntimeError`` for a configuration no pretraining run writes (the network was
    built, then failed at its first forward pass, or not at all)."""
    sizes = (cfg.width, cfg.layers, cfg.heads, cfg.mlp_ratio, cfg.feature_embed, cfg.max_classes)
    if (
        not all(isinstance(v, int) and v >= 1 for v in sizes)
        or cfg.width % cfg.heads
        or cfg.task not in ("classification", "regression")
        or cfg.task == "regression"
        and not (isinstance(cfg.n_bins, int) and cfg.n_bins >= 2)
    ):
        raise RuntimeError(f"its config is not one of a pretraining run: {cfg}")


__all__ = ["default_weights_path", "load_model"]
