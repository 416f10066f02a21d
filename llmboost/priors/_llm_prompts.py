"""Prompts of the language-model prior: task sentence, verbalizers, examples, chat layout.

A row's body (:class:`~llmboost.priors.RowSerializer`) becomes a prompt: the
chosen examples and the row as chat turns when the model has a chat template, else
``<examples><body>\\nAnswer:``. A class's verbalizer is the text the model should
answer for it; its token ids are those that follow the prompt.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence

import numpy as np

from .._warn import caller_level
from ._llm_text import control_pattern, mark, unmark
from ._serialize import default_class_names, default_task_description

#: Marker rendered in place of the row to split a chat template once.
_MARKER = "\x00LLMBOOST\x00"


def task_sentence(task_description: str | None, target_name: Hashable | None) -> str:
    """The task sentence: ``task_description``, else the default naming the target.

    Parameters
    ----------
    task_description : str or None
    target_name : hashable or None
        Name of the predicted column.

    Returns
    -------
    str
    """
    if task_description is not None:
        return task_description
    return default_task_description(target_name)


def class_texts(classes: Sequence, class_names: Mapping | None) -> list[str]:
    """Verbalizer of each class, in the order of ``classes``.

    Parameters
    ----------
    classes : sequence
        The original labels.
    class_names : dict or None
        Verbalizers of some labels; the others get
        :func:`~llmboost.priors._serialize.default_class_names`.

    Returns
    -------
    list of str
    """
    classes = [_label(c) for c in classes]
    names = default_class_names(classes)
    if class_names:
        class_names = {_label(k): v for k, v in class_names.items()}  # as named in messages
        unknown = [k for k in class_names if not np.isin(k, np.asarray(classes)).any()]
        if unknown:
            raise ValueError(
                f"LLMPrior: class_names has labels not in y: {unknown[:5]}; the labels are "
                f"{classes[:10]}."
            )
        not_text = [k for k, v in class_names.items() if not isinstance(v, str)]
        if not_text:
            label = not_text[0]
            raise ValueError(
                f"LLMPrior: class_names[{label!r}] is {class_names[label]!r}, not a text; give "
                f"the answer the model should give for that label, e.g. {{{label!r}: 'yes'}}."
            )
        names.update(class_names)
    texts = [names[c] for c in classes]
    _check_texts(classes, texts)
    first: dict[str, object] = {}
    for label, text in zip(classes, texts):
        if text in first:
            raise ValueError(
                f"LLMPrior: labels {first[text]!r} and {label!r} have the same verbalizer "
                f"{text!r}; give them distinct class_names, e.g. {{{label!r}: 'other text'}}."
            )
        first[text] = label
    return texts


def _check_texts(classes: list, texts: list[str]) -> None:
    """``ValueError`` naming the first label whose verbalizer is empty, has whitespace at
    its ends, holds a line break or the options line's separator ``" | "``."""
    empty = [c for c, t in zip(classes, texts) if not t.strip()]
    if empty:
        raise ValueError(
            f"LLMPrior: the verbalizer of label {empty[0]!r} is empty; give it a text with "
            f"class_names={{{empty[0]!r}: 'some text'}}."
        )
    padded = [(c, t) for c, t in zip(classes, texts) if t != t.strip()]
    if padded:
        label, text = padded[0]
        raise ValueError(
            f"LLMPrior: the verbalizer of label {label!r} is {text!r}, with whitespace at its "
            "ends: the prompt puts the space before the answer itself, and the answer's own "
            f"spaces would count in its score; give class_names={{{label!r}: {text.strip()!r}}}."
        )
    broken = [(c, t) for c, t in zip(classes, texts) if len(t.splitlines()) > 1]
    if broken:
        label, text = broken[0]
        raise ValueError(
            f"LLMPrior: the verbalizer of label {label!r} is {text!r}, with a line break: it "
            "would split the options line of every prompt and the answer across lines; give "
            f"class_names={{{label!r}: {' '.join(text.split())!r}}}."
        )
    piped = [(c, t) for c, t in zip(classes, texts) if " | " in t]
    if piped:
        label, text = piped[0]
        raise ValueError(
            f"LLMPrior: the verbalizer of label {label!r} is {text!r}, holding ' | ', which "
            "separates the answers in the options line of every prompt: the model could not "
            f"tell where it ends; give class_names={{{label!r}: {text.replace(' | ', ' or ')!r}}}."
        )


def _label(value):
    """A label as Python's own scalar (``np.int64(1)`` as ``1``)."""
    return value.item() if isinstance(value, np.generic) else value


def shot_candidates(
    bodies: Sequence[str], codes: np.ndarray, texts: list[str], n_shots: int, seed: int | None
) -> tuple[list[tuple[str, str]], list[int]]:
    """``n_shots + 1`` distinct (body, answer) examples, classes taken in turn, and their rows.

    One spare: a row whose text equals an example gets the next one instead, so a
    row is never its own example. Fewer than ``n_shots`` distinct texts: fewer examples
    (:func:`warn_few_shots` says so).

    Parameters
    ----------
    bodies : sequence of str
        Bodies of the candidate rows.
    codes : ndarray of int
        Class code of each candidate (an index into ``texts``).
    texts : list of str
        Verbalizer of each class.
    n_shots : int
    seed : int or None

    Returns
    -------
    examples : list of (str, str)
    rows : list of int
        Position of each example in ``bodies``.
    """
    rng = np.random.default_rng(seed)
    codes = np.asarray(codes)
    pools = [list(rng.permutation(np.flatnonzero(codes == c))) for c in rng.permutation(len(texts))]
    picked: list[tuple[str, str]] = []
    rows: list[int] = []
    seen: set[str] = set()
    while len(picked) < n_shots + 1 and any(pools):
        for pool in pools:
            while pool:
                i = int(pool.pop(0))
                if bodies[i] not in seen:
                    seen.add(bodies[i])
                    picked.append((bodies[i], texts[int(codes[i])]))
                    rows.append(i)
                    break
            if len(picked) == n_shots + 1:
                break
    return picked, rows


def named_examples(
    shots: list[tuple[str, str]] | None, rows: Sequence[int] | None, n_shots: int, where: str
) -> list[tuple[str, str]] | None:
    """(name, text) of the examples that every prompt but their own row's shows.

    Parameters
    ----------
    shots : list of (str, str) or None
        Candidate examples (:func:`shot_candidates`).
    rows : sequence of int or None
        Training row of each candidate (``None``: unknown, no names).
    n_shots : int
    where : str
        The data ``rows`` index, as named in messages (``"X"``).

    Returns
    -------
    list of (str, str) or None
    """
    if not shots or rows is None:
        return None
    return [
        (f"the training row at position {int(r)} of {where}", f"{b}\nAnswer: {v}")
        for (b, v), r in zip(shots[:n_shots], rows, strict=False)
    ]


def check_examples_fit(prior) -> None:
    """``ValueError`` when the examples a fitted :class:`~llmboost.priors.LLMPrior` drew
    no longer suit its parameters: ``n_shots`` raised, or ``template`` changed while its
    prompts show examples (written at fit: a row would not be told from its own example).
    Fewer ``n_shots`` are the first of the examples drawn, as a refit would show."""
    fitted = getattr(prior, "_fit_n_shots", prior.n_shots)
    if prior.n_shots > fitted:
        raise ValueError(
            f"LLMPrior was fitted with n_shots={fitted}, but n_shots is now {prior.n_shots} "
            "(set after fit): the examples are drawn at fit; fit it again, or set n_shots "
            f"back to at most {fitted}."
        )
    template = getattr(prior, "_fit_template", prior.template)
    if prior.n_shots and prior.shots_ and template != prior.template:
        raise ValueError(
            f"LLMPrior was fitted with n_shots={fitted} and template={template!r}, but "
            f"template is now {prior.template!r} (set after fit): the examples were written "
            "at fit with the template of fit, and a row would not be told from its own "
            "example; fit it again, or set template back."
        )


def warn_few_shots(n_shots: int, counts: Sequence[int], folds: bool = False) -> None:
    """One warning when some of ``counts`` (examples found: by the fit, or per fold) fall
    short of ``n_shots``."""
    few = [n for n in counts if n < n_shots]
    if not few:
        return
    if folds:
        where = f"in {len(few)} of {len(counts)} folds the rows outside the fold have as few as"
        shown = f"their prompts show as few as {min(few)}"
    else:
        where, shown = "the training rows have only", f"prompts show at most {min(few)}"
    warnings.warn(
        f"LLMPrior: n_shots={n_shots}, but {where} {min(few)} distinct texts, so {shown} examples.",
        UserWarning,
        stacklevel=caller_level(),
    )


def warn_missing_classes(n_shots: int, classes, codes: np.ndarray, folds) -> None:
    """One warning naming each class that the training rows of some folds
    (:class:`~._folds.Fold`, counted from 0) lack: their prompts show no example of it.
    A class of a single row is said to lack an example where that row is scored. None
    with fewer ``n_shots`` than classes: then every prompt lacks some class."""
    if n_shots < len(classes):
        return
    counts = np.bincount(codes, minlength=len(classes)).tolist()
    missing: dict[int, list[str]] = {}
    single: list[int] = []
    for fold in folds:
        for c in np.setdiff1d(np.arange(len(classes)), codes[fold[0]]):
            if counts[c] == 1 and c in codes[fold[1]]:  # its only row, scored here
                single.append(int(c))
            else:
                missing.setdefault(int(c), []).append(str(fold.number))
    said = []
    if single:
        names = ", ".join(repr(_label(classes[c])) for c in single)
        has = f"class {names} has" if len(single) == 1 else f"classes {names} each have"
        said.append(
            f"{has} a single row, so the out-of-fold prompt that scores that row shows no "
            "example of its class (a row is never its own example)"
        )
    if missing:
        listed = "; ".join(
            f"class {_label(classes[c])!r} ({counts[c]} row{'s' * (counts[c] > 1)}) outside "
            f"fold{'s' * (len(ks) > 1)} {', '.join(ks)}"
            for c, ks in missing.items()
        )
        said.append(
            "the rows outside some folds (counted from 0) have no row of a class, so those "
            f"folds' prompts show no example of it: {listed}. Stratified folds keep every "
            "class of 2 or more rows in every fold's training rows"
        )
    if said:
        warnings.warn(
            f"LLMPrior: n_shots={n_shots}, but {'; and '.join(said)}.",
            UserWarning,
            stacklevel=caller_level(),
        )


def build_prompts(
    rt, bodies: list[str], shots: list[tuple[str, str]] | None, n_shots: int
) -> tuple[list[str], list[int]]:
    """Full prompt of every body and the id of its example set (its shared prefix).

    The text of the model's control tokens in a body or example is marked to be read as
    plain text (:mod:`~llmboost.priors._llm_text`).

    Parameters
    ----------
    rt : Runtime
        Its tokenizer renders chat prompts.
    bodies : list of str
    shots : list of (str, str) or None
        Candidate examples (:func:`shot_candidates`); a body never gets itself.
    n_shots : int
        Examples per prompt.

    Returns
    -------
    prompts : list of str
    groups : list of int
    """
    pattern = control_pattern(rt.tokenizer)
    bodies = [mark(pattern, b) for b in bodies]
    shots = None if shots is None else [(mark(pattern, b), v) for b, v in shots]
    groups: list[int] = []
    sets: dict[tuple[int, ...], int] = {}
    chosen: list[list[tuple[str, str]]] = []
    for body in bodies:
        picks = tuple(i for i, (b, _) in enumerate(shots or ()) if b != body)[:n_shots]
        if picks not in sets:
            sets[picks] = len(sets)
            chosen.append([shots[i] for i in picks])
        groups.append(sets[picks])
    renderers = [renderer(rt, examples) for examples in chosen]
    return [renderers[g](b) for g, b in zip(groups, bodies)], groups


def renderer(rt, examples: list[tuple[str, str]]):
    """A function body -> full prompt, for one set of examples.

    Parameters
    ----------
    rt : Runtime
    examples : list of (str, str)
        (body, answer) of each example, in order.

    Returns
    -------
    callable
    """
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
            enable_thinking=False,  # the answer comes first, no thinking block (Qwen3)
        )

    # Render once around a marker; use the split when the template copies the
    # content verbatim (checked on a real body), else render every row. A body with
    # whitespace at either end is always rendered: templates may trim it (Llama 3's).
    whole = render(_MARKER)
    if whole.count(_MARKER) != 1:
        return render
    before, after = whole.split(_MARKER)
    checked: list[bool] = []

    def guarded(body: str) -> str:
        fast = f"{before}{body}{after}"
        if not checked:
            checked.append(render(body) == fast)
        return fast if checked[0] and body == body.strip() else render(body)

    return guarded


def assistant_turn(rt) -> tuple[str, int | None]:
    """How a chat template writes the assistant's text: the whitespace before it and the
    token that ends the turn.

    Mistral's and Llama 2's templates write ``[/INST] answer</s>``, ChatML
    ``answer<|im_end|>``, Gemma's ``answer<end_of_turn>``. The lead is ``""`` and the end
    the tokenizer's end token when the template does not tell.

    Parameters
    ----------
    rt : Runtime

    Returns
    -------
    lead : str
    end : int or None
    """
    tok, eos = rt.tokenizer, rt.tokenizer.eos_token_id
    user = [{"role": "user", "content": "Q"}]
    options = {"tokenize": False, "enable_thinking": False}
    try:
        prompt = tok.apply_chat_template(user, add_generation_prompt=True, **options)
        turn = [*user, {"role": "assistant", "content": _MARKER}]
        whole = tok.apply_chat_template(turn, **options)
    except Exception:  # noqa: BLE001 - a template that refuses this conversation: no help
        return "", eos
    if _MARKER not in whole:
        return "", eos
    before, after = whole.split(_MARKER, 1)
    lead = before[len(prompt) :] if before.startswith(prompt) else ""
    closing = tok(after, add_special_tokens=False)["input_ids"][:1]
    added = getattr(tok, "added_tokens_decoder", {})
    special = {i for i, t in added.items() if getattr(t, "special", False)}
    end = closing[0] if closing and closing[0] in special | set(tok.all_special_ids) else eos
    return (lead if not lead.strip() else ""), end


def verbalizer_ids(rt, prompt: str, texts: list[str]) -> list[list[int]]:
    """Token ids of each class's answer as it would follow ``prompt``.

    Parameters
    ----------
    rt : Runtime
    prompt : str
        A full prompt (its end decides how the answer tokenizes).
    texts : list of str
        The verbalizers.

    Returns
    -------
    list of list of int
        When one answer begins another, each is followed by the token that ends the
        assistant's turn (chat templates), else the tokenizer's end token.
    """
    tok = rt.tokenizer
    pattern = control_pattern(tok)
    control = [(t, m.group()) for t in texts if pattern and (m := pattern.search(t))]
    if control:
        raise ValueError(
            f"LLMPrior: the verbalizer {control[0][0]!r} holds {control[0][1]!r}, a control "
            "token of the model's tokenizer; use class_names without it."
        )
    lead, end = assistant_turn(rt) if rt.chat else (" ", tok.eos_token_id)
    out = []
    for text in texts:
        if rt.kind == "seq2seq":
            ids = tok(text, add_special_tokens=False)["input_ids"]
        else:
            answer = lead + text
            tail = unmark(prompt)[-48:]
            base = tok(tail, add_special_tokens=False)["input_ids"]
            full = tok(tail + answer, add_special_tokens=False)["input_ids"]
            if full[: len(base)] == base and len(full) > len(base):
                ids = full[len(base) :]
            else:
                ids = tok(answer, add_special_tokens=False)["input_ids"]
        if not ids:
            raise ValueError(f"LLMPrior: verbalizer {text!r} has no tokens; use another text.")
        out.append([int(i) for i in ids])
    _check_distinct(texts, out)
    starts = [(a, b) for a in range(len(out)) for b in range(len(out)) if a != b and
              out[b][: len(out[a])] == out[a]]  # fmt: skip
    if not starts:
        return out
    # "1" would score at least as high as "10": every answer then ends with the end token
    end = tok.eos_token_id if rt.kind == "seq2seq" else end
    if end is None:
        a, b = starts[0]
        raise ValueError(
            f"LLMPrior: the answer {texts[a]!r} begins the answer {texts[b]!r}, and the "
            "tokenizer has no end token to tell them apart; use class_names that do not."
        )
    return [ids + [int(end)] for ids in out]


def _check_distinct(texts: list[str], ids: list[list[int]]) -> None:
    """``ValueError`` naming the first two verbalizers with the same tokens."""
    same = [(a, b) for b in range(len(ids)) for a in range(b) if ids[a] == ids[b]]
    if same:
        a, b = same[0]
        raise ValueError(
            f"LLMPrior: the verbalizers {texts[a]!r} and {texts[b]!r} tokenize identically "
            f"({ids[a]}): the model cannot tell them apart; use other class_names."
        )


__all__ = [
    "assistant_turn",
    "build_prompts",
    "check_examples_fit",
    "class_texts",
    "named_examples",
    "renderer",
    "shot_candidates",
    "warn_few_shots",
    "warn_missing_classes",
    "task_sentence",
    "verbalizer_ids",
]
