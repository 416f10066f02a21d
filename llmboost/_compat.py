"""Every use of a third-party library's private names or version-specific layout, in one place.

Each function wraps one item, says why llmboost needs it, and which versions it was
checked against. When a library changes, this is the only module to adapt. Nothing
here is imported at ``import llmboost`` time: every function imports its library itself.

Checked against tabpfn 9.2.0, tabicl 2.2.0, huggingface_hub 2.4.0, transformers 5.24 and 5.25,
LightGBM 4.7.0 and torch 2.13.
"""

from __future__ import annotations

import importlib
import inspect
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

#: Start of TabPFN's per-call warning about large tables on CPU (tabpfn/validation.py).
TABPFN_CPU_WARNING = "Running on CPU with more than"

_ROW_LIMITS: dict[tuple, int] = {}


def tabpfn_model_source(model: str, which: str) -> tuple[str, str]:
    """``(Hugging Face repository, default file name)`` of a TabPFN checkpoint.

    Wraps ``tabpfn.model_loading._get_model_source`` (private): TabPFN has no public
    way to name the file its cache holds for a version, and llmboost must look for
    that file without downloading it. Checked: tabpfn 9.2.0.

    Parameters
    ----------
    model : str
        A ``ModelVersion`` value, e.g. ``"v2"``.
    which : {"classifier", "regressor"}

    Returns
    -------
    tuple of str
    """
    from tabpfn.constants import ModelVersion
    from tabpfn.model_loading import ModelType, _get_model_source

    source = _get_model_source(ModelVersion(model), ModelType(which))
    return source.repo_id, source.default_filename


def tabpfn_cache_dir() -> Path:
    """TabPFN's model cache: ``$TABPFN_MODEL_CACHE_DIR`` read now, else TabPFN's own folder.

    TabPFN reads the variable once, at import (``tabpfn.settings``); llmboost reads it at
    each call so that a variable set later counts. Wraps the public
    ``tabpfn.model_loading.get_cache_dir`` (creates nothing). Checked: tabpfn 9.2.0.

    Returns
    -------
    Path
    """
    env = os.environ.get("TABPFN_MODEL_CACHE_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    from tabpfn.model_loading import get_cache_dir

    return Path(get_cache_dir())


def tabpfn_download_hosts(model: str) -> list[str]:
    """Hosts a TabPFN checkpoint download may come from (checked before downloading).

    Wraps ``tabpfn.model_loading._version_has_direct_download_option`` (private) and
    ``FALLBACK_S3_BASE_URL``: only v2 has a mirror besides Hugging Face. Checked:
    tabpfn 9.2.0.

    Parameters
    ----------
    model : str
        A ``ModelVersion`` value.

    Returns
    -------
    list of str
    """
    from tabpfn.constants import ModelVersion
    from tabpfn.model_loading import FALLBACK_S3_BASE_URL, _version_has_direct_download_option

    hosts = [os.environ.get("HF_ENDPOINT", "").strip() or "https://huggingface.co"]
    if _version_has_direct_download_option(ModelVersion(model)):
        hosts.append(FALLBACK_S3_BASE_URL.split("/tabpfn")[0])
    return hosts


def tabpfn_download(path: Path, model: str, which: str) -> None:
    """Download a TabPFN checkpoint to ``path``; raise ``RuntimeError`` naming the errors.

    Wraps ``tabpfn.model_loading.download_model``, which returns ``"ok"`` or a list of
    exceptions instead of raising. Checked: tabpfn 9.2.0.

    Parameters
    ----------
    path : Path
    model : str
    which : {"classifier", "regressor"}

    Returns
    -------
    None
    """
    from tabpfn.constants import ModelVersion
    from tabpfn.model_loading import download_model

    result = download_model(path, version=ModelVersion(model), which=which)
    if result != "ok" or not path.is_file():
        errors = "; ".join(str(e).splitlines()[0] for e in result) if result != "ok" else ""
        raise RuntimeError(errors or "no file written")


def tabpfn_row_limit(path: str, device: str, which: str) -> int:
    """TabPFN's own training-row limit for the checkpoint at ``path`` on ``device``.

    On CPU TabPFN refuses more rows than ``inference_config.cpu_sample_limit`` unless
    ``settings.tabpfn.allow_cpu_large_dataset`` is set (from its environment variable,
    read once, at TabPFN's import: one set later lifts nothing, and is not read here);
    elsewhere the limit is the checkpoint's ``MAX_NUMBER_OF_SAMPLES``, read with
    ``model_loading.load_model`` (cached per file). None of these is documented API.
    Checked: tabpfn 9.2.0.

    Parameters
    ----------
    path : str
    device : str
    which : {"classifier", "regressor"}

    Returns
    -------
    int
    """
    from tabpfn.inference_config import cpu_sample_limit
    from tabpfn.model_loading import load_model, resolve_model_version
    from tabpfn.settings import settings

    if device.startswith("cpu") and not settings.tabpfn.allow_cpu_large_dataset:
        return cpu_sample_limit(resolve_model_version(path))
    stat = os.stat(path)
    key = (path, stat.st_mtime_ns, stat.st_size, which)
    if key not in _ROW_LIMITS:
        _, _, _, inference_config = load_model(path=Path(path), estimator_type=which)
        _ROW_LIMITS[key] = int(inference_config.MAX_NUMBER_OF_SAMPLES)
    return _ROW_LIMITS[key]


def tabpfn_is_oom(exc: BaseException) -> bool:
    """Whether ``exc`` is TabPFN's own out-of-memory error (``tabpfn.errors``).

    TabPFN re-raises CUDA out-of-memory as ``TabPFNOutOfMemoryError``. Checked: tabpfn
    9.2.0 (``False`` when the module is missing).

    Parameters
    ----------
    exc : BaseException

    Returns
    -------
    bool
    """
    try:
        from tabpfn.errors import TabPFNOutOfMemoryError, is_oom_error
    except ImportError:  # pragma: no cover - older TabPFN
        return False
    return isinstance(exc, TabPFNOutOfMemoryError) or (
        isinstance(exc, Exception) and is_oom_error(exc)
    )


class quiet_tabpfn(warnings.catch_warnings):
    """Silence TabPFN's per-call "Running on CPU with more than N samples" warning.

    llmboost caps the context itself and warns once, so TabPFN's warning on every call
    is noise. The text is matched by :data:`TABPFN_CPU_WARNING`. Checked: tabpfn
    9.2.0.
    """

    def __enter__(self):
        out = super().__enter__()
        warnings.filterwarnings("ignore", message=TABPFN_CPU_WARNING)
        return out


def tabpfn_v2_architecture():
    """TabPFN's v2 architecture module (``parse_config``, ``get_architecture``).

    Used to build small random checkpoints for tests and benchmarks. Checked: tabpfn
    9.2.0 (``tabpfn.architectures.tabpfn_v2``).

    Returns
    -------
    module
    """
    from tabpfn.architectures import tabpfn_v2

    return tabpfn_v2


def tabicl_model_class():
    """TabICL's network class, ``tabicl._model.tabicl.TabICL`` (private module).

    Its keyword arguments are a checkpoint's ``config``; used to build small random
    checkpoints for tests and benchmarks. Checked: tabicl 2.2.0.

    Returns
    -------
    type
    """
    from tabicl._model.tabicl import TabICL

    return TabICL


def hf_cache_dir() -> str:
    """The Hugging Face hub cache, with ``HF_HUB_CACHE``, its older name
    ``HUGGINGFACE_HUB_CACHE`` and ``HF_HOME`` read now, in that order.

    ``huggingface_hub.constants`` reads them once, at import; llmboost reads them at
    each call so that variables set later count, with ``~`` and ``$VAR`` expanded as
    there. Checked: huggingface_hub 2.4.0.

    Returns
    -------
    str
    """
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        env = os.environ.get(name, "").strip()
        if env:
            return os.path.expandvars(os.path.expanduser(env))
    home = os.environ.get("HF_HOME", "").strip()
    if home:
        return str(Path(os.path.expandvars(os.path.expanduser(home))) / "hub")
    from huggingface_hub import constants

    return str(constants.HF_HUB_CACHE)


def lightgbm_eval_kwargs(fit, X, y) -> dict:
    """The keyword arguments that give LightGBM's ``fit`` a validation set ``(X, y)``.

    LightGBM 4.7 added ``eval_X`` / ``eval_y`` and deprecated ``eval_set``; older
    versions only know ``eval_set``. Read from ``fit``'s signature. Checked: LightGBM
    4.7.0.

    Parameters
    ----------
    fit : callable
        The ``fit`` method of a LightGBM scikit-learn estimator.
    X, y : array-like
        The validation rows and their targets.

    Returns
    -------
    dict
    """
    if "eval_X" in inspect.signature(fit).parameters:
        return {"eval_X": (X,), "eval_y": (y,)}
    return {"eval_set": [(X, y)]}


def lightgbm_parameter_names() -> set[str] | None:
    """Every name LightGBM's scikit-learn estimator takes as a parameter, aliases included.

    Wraps ``lightgbm.basic._ConfigAliases._get_all_param_aliases`` (private): LightGBM
    has no public list of its parameters, and it ignores an unknown name with a warning
    llmboost's ``verbose=-1`` hides. Checked: LightGBM 4.7.0.

    Returns
    -------
    set of str or None
        ``None`` where this LightGBM has no such table.
    """
    import lightgbm as lgb

    try:
        table = lgb.basic._ConfigAliases._get_all_param_aliases()
    except AttributeError:
        return None
    names = set(inspect.signature(lgb.LGBMModel.__init__).parameters) - {"self", "kwargs"}
    return names | set(table) | {alias for aliases in table.values() for alias in aliases}


def transformers_forward_options(model) -> tuple[bool, str]:
    """``(logits_to_keep accepted, name of the key/value cache argument)`` of a model.

    Newer transformers models take ``logits_to_keep`` (only the last positions' logits
    are computed) and some name their cache ``cache`` instead of ``past_key_values``;
    read from ``model.forward``'s signature. Checked: transformers 5.24.0.

    Parameters
    ----------
    model : transformers.PreTrainedModel

    Returns
    -------
    tuple of (bool, str)
    """
    params = inspect.signature(model.forward).parameters
    return "logits_to_keep" in params, "cache" if "cache" in params else "past_key_values"


def transformers_text_config(config):
    """The text part of a model's config (multimodal configs nest it).

    ``get_text_config`` exists from transformers 4.45; older configs are text-only.
    Checked: transformers 5.24.0.

    Parameters
    ----------
    config : transformers.PretrainedConfig

    Returns
    -------
    transformers.PretrainedConfig
    """
    return config.get_text_config() if hasattr(config, "get_text_config") else config


def transformers_drop_quantization(model, config) -> None:
    """Mark a model loaded from GGUF (already dequantised) as a plain checkpoint.

    transformers keeps the GGUF quantisation settings on the config
    (``quantization_config``) and the model (``hf_quantizer``, ``is_quantized``, a
    read-only property in some versions); ``save_pretrained`` would write them and
    ``from_pretrained`` would then expect a quantised file. Checked: transformers 5.24.0.

    Parameters
    ----------
    model : transformers.PreTrainedModel
    config : transformers.PretrainedConfig
        The config loaded next to the model, cleaned as well.

    Returns
    -------
    None
    """
    for obj in (model.config, config):
        if hasattr(obj, "quantization_config"):
            del obj.quantization_config
    if getattr(model, "hf_quantizer", None) is not None:
        model.hf_quantizer = None
    if hasattr(model, "is_quantized"):
        try:
            model.is_quantized = False
        except AttributeError:
            pass


def transformers_set_origin(model, name: str) -> None:
    """Record the hub name a model was converted from in its saved config.

    ``config._name_or_path`` is private, but it is what ``from_pretrained`` writes and
    ``save_pretrained`` keeps; a checkpoint converted from a local GGUF file would
    otherwise name a temporary folder. Checked: transformers 5.24.0.

    Parameters
    ----------
    model : transformers.PreTrainedModel
    name : str
        The hub name, e.g. ``"HuggingFaceTB/SmolLM2-135M-Instruct"``.

    Returns
    -------
    None
    """
    model.config._name_or_path = name


@contextmanager
def progress_bars(show: bool) -> Iterator[None]:
    """Inside the block, the progress bars of transformers stay as they are or are hidden.

    ``show=False`` turns off the bars of ``transformers.utils.logging`` (loading,
    saving, downloads) and the GGUF conversion bar, which transformers draws with tqdm
    directly (``transformers.modeling_gguf_pytorch_utils.tqdm``, checked: transformers
    5.25); both are restored afterwards.

    Parameters
    ----------
    show : bool

    Yields
    ------
    None
    """
    if show:
        yield
        return
    from transformers.utils import logging as hf_logging

    gguf_utils = importlib.import_module("transformers.modeling_gguf_pytorch_utils")
    bar = getattr(gguf_utils, "tqdm", None)
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    if bar is not None:
        gguf_utils.tqdm = partial(bar, disable=True)
    try:
        yield
    finally:
        if bar is not None:
            gguf_utils.tqdm = bar
        if was_enabled:
            hf_logging.enable_progress_bar()


__all__ = [
    "TABPFN_CPU_WARNING",
    "hf_cache_dir",
    "lightgbm_eval_kwargs",
    "lightgbm_parameter_names",
    "progress_bars",
    "quiet_tabpfn",
    "tabicl_model_class",
    "tabpfn_cache_dir",
    "tabpfn_download",
    "tabpfn_download_hosts",
    "tabpfn_is_oom",
    "tabpfn_model_source",
    "tabpfn_row_limit",
    "tabpfn_v2_architecture",
    "transformers_drop_quantization",
    "transformers_forward_options",
    "transformers_set_origin",
    "transformers_text_config",
]
