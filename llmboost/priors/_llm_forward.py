"""Forward passes of the language-model prior: verbalizer log-probabilities of prompts.

* one forward pass per row reads every single-token verbalizer at the last position,
  and only there is the vocabulary projected (``logits_to_keep=1``);
* multi-token verbalizers continue from the row's KV cache (all classes batched);
* the prefix every prompt of a group shares (chat preamble, task sentence, few-shot
  examples) is encoded once and its KV cache reused by every batch;
* batches hold rows of similar length, left-padded (causal) with explicit position
  ids; the batch size adapts to memory (halved on out-of-memory).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._compat import transformers_text_config
from ._llm_budget import batch_rows, second_pass, shrink_budget
from ._llm_runtime import Runtime, check_context
from ._llm_text import token_ids

#: Shortest shared prefix (tokens) worth encoding once and reusing.
MIN_SHARED_PREFIX = 4
#: Whether causal prompts sharing a prefix encode it once (off: every row reads it whole).
USE_PREFIX_CACHE = True


def score_prompts(
    rt: Runtime,
    prompts: list[str],
    groups: list[int],
    verb: list[list[int]],
    budget: dict,
    show_progress: bool,
    rows: Sequence[int] | None = None,
    done: Callable[[list[int], np.ndarray], None] | None = None,
    examples: list[list[tuple[str, str]]] | None = None,
) -> tuple[np.ndarray, int]:
    """Raw verbalizer log-probabilities of prompts.

    Parameters
    ----------
    rt : Runtime
        A runtime with its model loaded.
    prompts : list of str
    groups : list of int
        Group of each prompt: prompts of one group share their prefix.
    verb : list of list of int
        Token ids of each class's answer.
    budget : dict
        Rows and tokens per pass (:func:`~llmboost.priors._llm_budget.batch_budget`),
        halved in place on out-of-memory.
    show_progress : bool
    rows : sequence of int, default=None
        Position in ``X`` of each prompt's row, named when a prompt is too long or its
        scores are not finite (``ValueError``, at the first batch that has them).
    done : callable, default=None
        Called with the positions (in ``prompts``) and scores of every batch scored.
    examples : list of list of (str, str), default=None
        Per prompt, as in :func:`~llmboost.priors._llm_runtime.check_context`.

    Returns
    -------
    scores : ndarray of shape (len(prompts), len(verb))
    tokens : int
        Tokens that went through the model.
    """
    from tqdm.auto import tqdm

    ids = prompt_ids(rt, prompts)
    check_context(rt, ids, verb, rows, examples)
    out = np.empty((len(prompts), len(verb)), dtype=np.float64)
    bar = tqdm(
        total=len(prompts), desc="LLM prior", unit="row", leave=False, disable=not show_progress
    )
    tokens = 0
    try:
        with rt.torch.inference_mode():
            for g in sorted(set(groups)):
                members = [i for i, gi in enumerate(groups) if gi == g]
                report = _checked(rt, members, rows, done)
                group = [ids[i] for i in members]
                out[members], n = score_group(rt, group, verb, budget, bar, report)
                tokens += n
    finally:
        bar.close()
    return out, tokens


def prompt_ids(rt: Runtime, prompts: list[str]) -> list[list[int]]:
    """Token ids of prompts, as the model reads them before the answer (marked control
    tokens as plain text, :func:`~llmboost.priors._llm_text.token_ids`).

    Parameters
    ----------
    rt : Runtime
    prompts : list of str

    Returns
    -------
    list of list of int
    """
    ids = token_ids(rt.tokenizer, prompts, add_special_tokens=not rt.chat)
    if rt.trailing:  # the answer follows the prompt, not the end token a tokenizer appends
        ids = [i[: len(i) - rt.trailing] for i in ids]
    return ids


def _checked(rt: Runtime, members: list[int], rows, done):
    """The ``done`` of a group's batches: refuses scores that are not finite, then calls
    ``done`` with positions in the prompts (``members``: the group's prompts)."""

    def report(positions, values) -> None:
        bad = np.flatnonzero(~np.isfinite(values).all(axis=1))
        if len(bad):
            at = members[positions[bad[0]]]
            row = rows[at] if rows is not None else at
            dtype = str(rt.dtype).removeprefix("torch.")
            raise ValueError(
                f"LLMPrior: the scores of the row at position {row} of X are not finite: "
                f"computing in {dtype} on {rt.device}, the model's activations overflowed. "
                "Use dtype='float32' (or 'bfloat16', whose range is that of float32)."
            )
        if done is not None:
            done([members[i] for i in positions], values)

    return report


def score_group(
    rt: Runtime, ids: list[list[int]], verb: list[list[int]], budget: dict, bar, done=None
) -> tuple[np.ndarray, int]:
    """Score prompts sharing one prefix: encode it once, then batches of suffixes.

    Parameters
    ----------
    rt : Runtime
    ids : list of list of int
        Token ids of the prompts.
    verb : list of list of int
    budget : dict
        As in :func:`score_prompts`.
    bar : tqdm
        Advanced by the rows scored.
    done : callable, default=None
        Called after every batch with the positions (in ``ids``) and scores of its rows.

    Returns
    -------
    scores : ndarray of shape (len(ids), len(verb))
    tokens : int
    """
    prefix_len, prefix_cache = _shared_prefix(rt, ids, verb)
    tokens = prefix_len
    out = np.empty((len(ids), len(verb)), dtype=np.float64)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]), reverse=True)
    start = 0
    starts = len(decoder_start(rt.model, rt.pad_id)) if rt.kind == "seq2seq" else 1
    while start < len(order):  # the first batch may find that the state cannot be copied
        answers = second_pass(rt, verb, starts)
        n = batch_rows(budget, len(ids[order[start]]) - prefix_len, prefix_len, answers)
        chunk = order[start : start + n]
        try:
            out[chunk] = _forward_batch(rt, [ids[i] for i in chunk], prefix_len, prefix_cache, verb)
        except RuntimeError as err:
            shrink_budget(budget, err, len(chunk))
            continue
        tokens += sum(len(ids[i]) - prefix_len for i in chunk)
        if done is not None:
            done(chunk, out[chunk])
        bar.update(len(chunk))
        start += len(chunk)
    return out, tokens


def _shared_prefix(rt: Runtime, ids: list[list[int]], verb):
    """Length and KV cache of the prefix all prompts share; ``(0, None)`` when not worth it.

    Also ``(0, None)`` when a prompt and its answer reach a sliding attention window: the
    left padding between the prefix and a row's tokens would count in the window.
    """
    if rt.kind != "causal" or not USE_PREFIX_CACHE or len(ids) < 2 or rt.cache_repeats is False:
        return 0, None
    window = getattr(transformers_text_config(rt.model.config), "sliding_window", None)
    longest = max(len(i) for i in ids) + max(len(t) for t in verb)
    if isinstance(window, int) and 0 < window <= longest:
        return 0, None
    length = min(common_prefix_length(ids), min(len(i) for i in ids) - 1)
    if length < MIN_SHARED_PREFIX:
        return 0, None
    prefix = rt.torch.tensor([ids[0][:length]], device=rt.device)
    kw = {"logits_to_keep": 1} if rt.logits_to_keep else {}
    cache = output_cache(rt(input_ids=prefix, use_cache=True, **kw))
    rt.cache_repeats = repeatable(cache)
    return (length, cache) if rt.cache_repeats else (0, None)


def repeatable(cache) -> bool:
    """Whether a KV cache can be repeated per row or class (recurrent layers cannot).

    Parameters
    ----------
    cache : transformers cache

    Returns
    -------
    bool
    """
    layers = getattr(cache, "layers", None) or []
    return hasattr(cache, "batch_repeat_interleave") and all(
        hasattr(layer, "batch_repeat_interleave") for layer in layers
    )


def _forward_batch(rt: Runtime, batch, prefix_len: int, prefix_cache, verb) -> np.ndarray:
    if rt.kind == "causal":
        suffixes = [i[prefix_len:] for i in batch]
        return forward_causal(rt, suffixes, prefix_cache, prefix_len, verb)
    return forward_seq2seq(rt, batch, verb)


def padded(rt: Runtime, seqs: list[list[int]], left: bool):
    """Token ids padded to one length and their attention mask.

    Parameters
    ----------
    rt : Runtime
    seqs : list of list of int
    left : bool
        Pad on the left (causal models) or on the right.

    Returns
    -------
    input_ids, attention_mask : torch.Tensor of shape (len(seqs), longest)
    """
    torch = rt.torch
    B, S = len(seqs), max(len(s) for s in seqs)
    input_ids = torch.full((B, S), rt.pad_id, dtype=torch.long)
    mask = torch.zeros((B, S), dtype=torch.long)
    for b, s in enumerate(seqs):
        span = slice(S - len(s), S) if left else slice(0, len(s))
        input_ids[b, span] = torch.tensor(s, dtype=torch.long)
        mask[b, span] = 1
    return input_ids.to(rt.device), mask.to(rt.device)


def forward_causal(
    rt: Runtime, suffixes: list[list[int]], prefix_cache, prefix_len: int, verb
) -> np.ndarray:
    """Verbalizer log-probabilities for a batch of left-padded suffixes after a prefix.

    Parameters
    ----------
    rt : Runtime
    suffixes : list of list of int
        Token ids of each prompt after the shared prefix.
    prefix_cache : transformers cache or None
        KV cache of the prefix (copied, never changed).
    prefix_len : int
    verb : list of list of int

    Returns
    -------
    ndarray of shape (len(suffixes), len(verb))
    """
    multi = [c for c, toks in enumerate(verb) if len(toks) > 1]
    if multi and rt.cache_repeats is False:  # then there is no prefix either
        return _whole_answers(rt, suffixes, verb)
    torch = rt.torch
    B = len(suffixes)
    input_ids, mask = padded(rt, suffixes, left=True)
    position_ids = (mask.cumsum(1) - 1).clamp(min=0) + prefix_len
    attention = mask
    kwargs: dict[str, Any] = {}
    if prefix_cache is not None:
        cache = copy.deepcopy(prefix_cache)
        cache.batch_repeat_interleave(B)
        kwargs[rt.cache_kw] = cache
        ones = torch.ones((B, prefix_len), dtype=mask.dtype, device=rt.device)
        attention = torch.cat([ones, mask], 1)
    if rt.logits_to_keep:
        kwargs["logits_to_keep"] = 1
    res = rt(
        input_ids=input_ids,
        attention_mask=attention,
        position_ids=position_ids,
        use_cache=bool(multi) or prefix_cache is not None,
        **kwargs,
    )
    if multi and not repeatable(output_cache(res)):  # then the next batches skip this pass
        rt.cache_repeats = False
        return _whole_answers(rt, suffixes, verb)
    logprobs = res.logits[:, -1, :].float().log_softmax(-1)
    scores = logprobs[:, torch.tensor([toks[0] for toks in verb], device=rt.device)]
    if multi:
        scores = scores + _continuations(rt, res, attention, position_ids, verb, multi)
    return scores.double().cpu().numpy()


def _whole_answers(rt: Runtime, prompts: list[list[int]], verb) -> np.ndarray:
    """Verbalizer log-probabilities from one pass over every prompt followed by every
    answer but its last token (for models whose state cannot be repeated per class): a
    prompt takes the positions :func:`~._llm_runtime.check_context` counts, no more."""
    torch = rt.torch
    B, C, K = len(prompts), len(verb), max(len(t) for t in verb)
    input_ids, mask = padded(rt, [p + t[:-1] for p in prompts for t in verb], left=True)
    kw = {"logits_to_keep": K} if rt.logits_to_keep else {}
    position_ids = (mask.cumsum(1) - 1).clamp(min=0)
    res = rt(
        input_ids=input_ids, attention_mask=mask, position_ids=position_ids, use_cache=False, **kw
    )
    lp = res.logits[:, -K:, :].float().log_softmax(-1)  # each reads the next token
    targets = torch.tensor([[0] * (K - len(t)) + t for t in verb] * B, device=rt.device)
    picked = lp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    lengths = torch.tensor([len(t) for t in verb] * B, device=rt.device)
    answer = torch.arange(K, device=rt.device) >= (K - lengths).unsqueeze(1)
    picked = torch.where(answer, picked, torch.zeros_like(picked))
    return picked.sum(-1).view(B, C).double().cpu().numpy()


def _answer_tensors(rt: Runtime, answers: list[list[int]], width: int, start: list[int] | None):
    """Inputs, targets and mask of answers scored together (teacher forcing).

    With ``start`` (a decoder's first tokens), inputs are ``start + answer[:-1]`` and
    targets the whole answer, read from the last start token on; without, inputs are
    ``answer[:-1]`` and targets ``answer[1:]``.
    """
    torch = rt.torch
    shape = (len(answers), width)
    inputs = torch.full(shape, rt.pad_id, dtype=torch.long)
    targets = torch.zeros(shape, dtype=torch.long)
    tmask = torch.zeros(shape, dtype=torch.long)
    for k, toks in enumerate(answers):
        if start is None:
            lo, n = 0, len(toks) - 1
            inputs[k, :n], targets[k, :n] = torch.tensor(toks[:-1]), torch.tensor(toks[1:])
        else:
            lo, n = len(start) - 1, len(toks)
            inputs[k, : lo + n] = torch.tensor([*start, *toks[:-1]])
            targets[k, lo : lo + n] = torch.tensor(toks)
        tmask[k, lo : lo + n] = 1
    return inputs.to(rt.device), targets.to(rt.device), tmask.to(rt.device)


def _picked_sum(logits, targets, tmask, B: int):
    """Sum over positions of the target tokens' log-probabilities, per (row, answer)."""
    lp = logits.float().log_softmax(-1)
    picked = lp.gather(-1, targets.repeat(B, 1).unsqueeze(-1)).squeeze(-1) * tmask.repeat(B, 1)
    return picked.sum(-1).view(B, targets.shape[0])


def _continuations(rt: Runtime, res, attention, position_ids, verb, multi):
    """Log-probability of tokens 2.. of multi-token verbalizers, from the row's KV cache."""
    torch = rt.torch
    B, Cm = attention.shape[0], len(multi)
    M = max(len(verb[c]) for c in multi) - 1
    inputs, targets, tmask = _answer_tensors(rt, [verb[c] for c in multi], M, None)
    cache = output_cache(res)
    cache.batch_repeat_interleave(Cm)
    attn = torch.cat([attention.repeat_interleave(Cm, 0), tmask.repeat(B, 1)], 1)
    pos = position_ids[:, -1:].repeat_interleave(Cm, 0) + 1 + torch.arange(M, device=rt.device)
    out = rt(
        input_ids=inputs.repeat(B, 1),
        attention_mask=attn,
        position_ids=pos,
        use_cache=True,
        **{rt.cache_kw: cache},
    )
    extra = torch.zeros((B, len(verb)), dtype=torch.float32, device=rt.device)
    extra[:, multi] = _picked_sum(out.logits, targets, tmask, B)
    return extra


def forward_seq2seq(rt: Runtime, prompts: list[list[int]], verb) -> np.ndarray:
    """Encoder once per row; the decoder scores every class's tokens from its states.

    Parameters
    ----------
    rt : Runtime
    prompts : list of list of int
    verb : list of list of int

    Returns
    -------
    ndarray of shape (len(prompts), len(verb))
    """
    torch, model = rt.torch, rt.model
    B, C = len(prompts), len(verb)
    input_ids, mask = padded(rt, prompts, left=False)
    start = decoder_start(model, rt.pad_id)
    rt.calls += 1
    encoded = model.get_encoder()(input_ids=input_ids, attention_mask=mask)
    K = max(len(t) for t in verb)
    if K == 1:
        dec = torch.tensor([start] * B, dtype=torch.long, device=rt.device)
        res = rt(
            encoder_outputs=encoded, attention_mask=mask, decoder_input_ids=dec, use_cache=False
        )
        lp = res.logits[:, -1, :].float().log_softmax(-1)
        first = torch.tensor([t[0] for t in verb], device=rt.device)
        return lp[:, first].double().cpu().numpy()
    dec, targets, tmask = _answer_tensors(rt, verb, K + len(start) - 1, start)
    dmask = (tmask.flip(1).cumsum(1).flip(1) > 0).long()  # the start tokens and the answer
    hidden = encoded.last_hidden_state.repeat_interleave(C, 0)
    res = rt(
        encoder_outputs=type(encoded)(last_hidden_state=hidden),
        attention_mask=mask.repeat_interleave(C, 0),
        decoder_input_ids=dec.repeat(B, 1),
        decoder_attention_mask=dmask.repeat(B, 1),
        use_cache=False,
    )
    return _picked_sum(res.logits, targets, tmask, B).double().cpu().numpy()


def decoder_start(model, pad_id: int) -> list[int]:
    """The tokens a decoder's answer follows, as the model's generation config says: the
    start token and, when generation forces one (BART's ``<s>``), the forced first token.

    Parameters
    ----------
    model : transformers encoder-decoder model
    pad_id : int
        The start token when the model names none.

    Returns
    -------
    list of int
    """
    sources = (getattr(model, "generation_config", None), model.config)
    start = next(
        (v for s in sources if (v := getattr(s, "decoder_start_token_id", None)) is not None),
        pad_id,
    )
    forced = next(
        (v for s in sources if (v := getattr(s, "forced_bos_token_id", None)) is not None), None
    )
    return [int(start)] + ([] if forced is None else [int(forced)])


def output_cache(res):
    """The KV cache of a model output (``cache`` or ``past_key_values``).

    Parameters
    ----------
    res : model output

    Returns
    -------
    transformers cache
    """
    cache = getattr(res, "cache", None)
    return cache if cache is not None else res.past_key_values


def common_prefix_length(ids: Sequence[Sequence[int]]) -> int:
    """Length of the longest run of tokens every sequence starts with.

    Parameters
    ----------
    ids : sequence of sequences of int

    Returns
    -------
    int
    """
    first = ids[0]
    n = len(first)
    for other in ids[1:]:
        n = min(n, len(other))
        k = 0
        while k < n and other[k] == first[k]:
            k += 1
        n = k
        if n == 0:
            break
    return n


__all__ = [
    "MIN_SHARED_PREFIX",
    "USE_PREFIX_CACHE",
    "common_prefix_length",
    "decoder_start",
    "forward_causal",
    "forward_seq2seq",
    "output_cache",
    "padded",
    "prompt_ids",
    "repeatable",
    "score_group",
    "score_prompts",
]
