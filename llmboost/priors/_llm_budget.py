"""Rows and tokens per forward pass of the language-model prior.

A batch's memory is its rows' padded tokens plus, when the rows share a prefix, one copy
of the prefix's KV cache per row: a row counts its own tokens and the prefix's at the
share of a token's memory its keys and values take. Answers of several tokens are read
in a second pass over one copy of the row's KV cache per such answer, counted alike; a
model whose state cannot be copied reads the row once per answer instead, in one pass.
A seq2seq model's decoder reads every answer (when one has several tokens) over one copy
of the row's encoder states per answer, counted as a KV cache is.
"""

from __future__ import annotations

from .._compat import transformers_text_config
from .._resources import halve_on_oom
from ._llm_runtime import Runtime


def batch_budget(rt: Runtime, batch_size) -> dict:
    """Most rows and padded tokens per forward pass.

    Parameters
    ----------
    rt : Runtime
    batch_size : int or "auto"
        A fixed number of rows, or ``"auto"``: 32 rows and 4096 tokens on CPU, 256 rows
        and what free GPU memory allows on CUDA.

    Returns
    -------
    dict
        ``rows``, ``tokens`` (``None``: no bound), ``prefix`` (what a token of a shared
        prefix counts in ``tokens``) and ``key`` (the model, device, dtype and
        ``batch_size`` the budget was made for).
    """
    if batch_size != "auto":
        budget = {"rows": int(batch_size), "tokens": None}
    elif rt.device.type == "cuda":
        budget = {"rows": 256, "tokens": cuda_token_budget(rt)}
    else:
        budget = {"rows": 32, "tokens": 4096}
    cache, token = token_memory(rt)
    budget["prefix"] = cache / token
    budget["key"] = (rt.identity, str(rt.device), str(rt.dtype), batch_size)
    return budget


def token_memory(rt: Runtime) -> tuple[int, int]:
    """Values held per token: by its KV cache, and in all (cache and activations).

    Parameters
    ----------
    rt : Runtime
        A runtime with its model loaded.

    Returns
    -------
    cache, total : int
    """
    cfg = transformers_text_config(rt.model.config)
    hidden = getattr(cfg, "hidden_size", 4096)
    layers = getattr(cfg, "num_hidden_layers", 32)
    heads = getattr(cfg, "num_attention_heads", 32)
    kv_heads = getattr(cfg, "num_key_value_heads", None) or heads
    head_dim = getattr(cfg, "head_dim", None) or hidden // heads
    inter = getattr(cfg, "intermediate_size", None) or 4 * hidden
    cache = 2 * layers * kv_heads * head_dim
    return cache, cache + 6 * hidden + 3 * inter


def cuda_token_budget(rt: Runtime) -> int:
    """Padded tokens per batch that should fit in free GPU memory (a rough estimate).

    Parameters
    ----------
    rt : Runtime
        A runtime with its model on a CUDA device.

    Returns
    -------
    int
    """
    torch = rt.torch
    index = rt.device.index if rt.device.index is not None else torch.cuda.current_device()
    free, _ = torch.cuda.mem_get_info(index)
    per_token = torch.finfo(rt.dtype).bits // 8 * token_memory(rt)[1]
    return int(max(256, 0.5 * free / per_token))


def batch_rows(budget: dict, own: int, prefix: int, answers=(0, 0, False)) -> int:
    """Rows of the next batch: its longest row has ``own`` tokens after a shared prefix
    of ``prefix`` tokens, whose KV cache every row of the batch copies.

    Parameters
    ----------
    budget : dict
        A :func:`batch_budget`.
    own : int
    prefix : int
    answers : (int, int, bool), default=(0, 0, False)
        Answers read in a second pass (each over a copy of the row's KV cache), tokens
        each reads there and whether they are read with the whole row instead, the row
        once per answer (:func:`second_pass`).

    Returns
    -------
    int
    """
    if not budget["tokens"]:
        return budget["rows"]
    cost = own + int(round(prefix * budget["prefix"]))
    copies, width, whole = answers
    if copies:
        row = own if whole else (prefix + own) * budget["prefix"]  # whole: no prefix then
        cost = max(cost, copies * (width + row))
    return min(budget["rows"], max(1, int(budget["tokens"] // max(cost, 1))))


def second_pass(rt: Runtime, verb: list[list[int]], start: int = 1) -> tuple[int, int, bool]:
    """Answers a causal model reads after the first pass (those of several tokens), the
    most tokens one reads there, and whether its state cannot be copied (then it reads
    every answer after the whole row instead, in one pass); ``(0, 0, False)`` when none.
    A seq2seq model with an answer of several tokens reads every answer, after its
    ``start`` tokens, over a copy of the row's encoder states.

    Parameters
    ----------
    rt : Runtime
    verb : list of list of int
        Token ids of each class's answer.
    start : int, default=1
        Tokens a seq2seq decoder reads before the answer
        (:func:`~._llm_forward.decoder_start`).

    Returns
    -------
    (int, int, bool)
    """
    rest = [len(t) - 1 for t in verb if len(t) > 1]
    if rt.kind == "seq2seq" and rest:
        return len(verb), max(rest) + start, False
    if rt.kind != "causal" or not rest:
        return 0, 0, False
    if rt.cache_repeats is False:
        return len(verb), max(rest), True
    return len(rest), max(rest), False


def shrink_budget(budget: dict, exc: BaseException, rows: int) -> None:
    """Halve ``budget`` after an out-of-memory error on ``rows`` rows; re-raise any other.

    Parameters
    ----------
    budget : dict
        A :func:`batch_budget`, changed in place.
    exc : BaseException
        The error a forward pass raised.
    rows : int
        Rows of that pass (a single row is never halved: the error is re-raised).

    Returns
    -------
    None
    """
    budget["rows"] = halve_on_oom(exc, rows, "LLMPrior")
    if budget["tokens"]:
        budget["tokens"] = max(1, budget["tokens"] // 2)


__all__ = [
    "batch_budget",
    "batch_rows",
    "cuda_token_budget",
    "second_pass",
    "shrink_budget",
    "token_memory",
]
