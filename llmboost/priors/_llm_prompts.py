"""Prompts of the language-model prior: task sentence, verbalizers, examples, chat layout.

A row's body (:class:`~llmboost.priors.RowSerializer`) becomes a prompt: the
chosen examples and the row as chat turns when the model has a chat template, else
``<examples><body>\\nAnswer:``. A class's verbalizer is the text the model should
answer for it; its token ids are those that follow the prompt.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Hashable, Mapping, Sequence

import numpy as np

from .._params import brief
from ._llm_text import control_pattern, mark, unmark
from ._serialize import default_class_names, default_task_description
from ._serialize_names import INVISIBLE

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
        unknown = [k for k in class_names if k not in names]  # as names.update matches keys
        if unknown:
            raise ValueError(
                f"LLMPrior: class_names has labels not in y: {_some(unknown, 5)}; the labels "
                f"are {_some(classes, 10)}."
            )
        not_text = [k for k, v in class_names.items() if not isinstance(v, str)]
        if not_text:
            label = not_text[0]
            raise ValueError(
                f"LLMPrior: class_names[{label!r}] is {class_names[label]!r}, not a text; give "
                f"the answer the model should give for that label, e.g. {{{label!r}: 'yes'}}."
            )
        names.update(class_names)
    texts = [unicodedata.normalize("NFC", names[c]) for c in classes]  # as cells are written
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


def serialize_answers(class_names, classes) -> list[str]:
    """The answers :func:`~llmboost.priors.serialize` writes, checked as LLMPrior checks
    them (a list first paired with ``classes``); without ``classes``, a dict's labels
    sorted as the prior's ``classes_`` (``np.unique(y)``) or a list's positions are the
    classes.

    Parameters
    ----------
    class_names : dict, sequence of str or None
    classes : sequence or None

    Returns
    -------
    list of str
    """
    if isinstance(class_names, str):
        raise TypeError(
            f"serialize: class_names={class_names!r} is one text; give a dict {{label: text}} "
            "or a list with one answer per class."
        )
    if classes is not None:
        classes = _distinct_labels(classes)
    if classes is None and not class_names:
        return []
    if classes is None and isinstance(class_names, Mapping):
        try:
            classes = sorted(class_names)
        except TypeError:  # labels that do not sort: in the order given
            classes = list(class_names)
    elif classes is None:
        classes = range(len(class_names))
    if class_names is not None and not isinstance(class_names, Mapping):
        if len(class_names) != len(classes):
            raise ValueError(
                f"serialize: class_names lists {len(class_names)} answers for {len(classes)} "
                "classes; give one per class, in the order of classes."
            )
        class_names = dict(zip(classes, class_names, strict=True))
    return class_texts(classes, class_names)  # refused as LLMPrior refuses them


def _distinct_labels(classes) -> list:
    """``classes`` as a list, refused unless it is one distinct label per class."""
    if isinstance(classes, str | bytes) or np.ndim(classes) != 1:
        what = "one text" if isinstance(classes, str | bytes) else "not a list of labels"
        raise TypeError(
            f"serialize: classes={brief(classes)} is {what}; give one label per class, "
            "e.g. classes=np.unique(y)."
        )
    labels, seen = [_label(c) for c in classes], set()
    for label in labels:
        if label in seen:
            raise ValueError(
                f"serialize: classes holds {label!r} twice; give each label once, "
                "e.g. classes=np.unique(y)."
            )
        seen.add(label)
    return labels


def _check_texts(classes: list, texts: list[str]) -> None:
    """``ValueError`` naming the first label whose verbalizer is empty, holds an invisible
    format character (a zero-width space), has whitespace at its ends, holds a line break
    or the options line's separator ``" | "`` (or ``"|"`` at an end, which joins with it)."""
    empty = [c for c, t in zip(classes, texts) if not t.strip()]
    if empty:
        raise ValueError(
            f"LLMPrior: the verbalizer of label {empty[0]!r} is empty; give it a text with "
            f"class_names={{{empty[0]!r}: 'some text'}}."
        )
    hidden = [(c, t, m.group()) for c, t in zip(classes, texts) if (m := INVISIBLE.search(t))]
    if hidden:
        label, text, char = hidden[0]
        raise ValueError(
            f"LLMPrior: the verbalizer of label {label!r} is {text!r}, holding the invisible "
            f"character U+{ord(char):04X}: in the options line it looks like the same text "
            f"without it; give class_names={{{label!r}: {_suggested(text)!r}}}."
        )
    padded = [(c, t) for c, t in zip(classes, texts) if t != t.strip()]
    if padded:
        label, text = padded[0]
        raise ValueError(
            f"LLMPrior: the verbalizer of label {label!r} is {text!r}, with whitespace at its "
            "ends: the prompt puts the space before the answer itself, and the answer's own "
            f"spaces would count in its score; give "
            f"class_names={{{label!r}: {_suggested(text)!r}}}."
        )
    broken = [(c, t) for c, t in zip(classes, texts) if len(t.splitlines()) > 1]
    if broken:
        label, text = broken[0]
        raise ValueError(
            f"LLMPrior: the verbalizer of label {label!r} is {text!r}, with a line break: it "
            "would split the options line of every prompt and the answer across lines; give "
            f"class_names={{{label!r}: {_suggested(text)!r}}}."
        )
    piped = [(c, t) for c, t in zip(classes, texts) if " | " in t or "|" in t[:1] + t[-1:]]
    if piped:
        label, text = piped[0]
        what = "holding ' | ', which" if " | " in text else "with '|' at an end, by the ' | ' that"
        raise ValueError(
            f"LLMPrior: the verbalizer of label {label!r} is {text!r}, {what} separates the "
            "answers in the options line of every prompt: the model could not tell where it "
            f"ends; give class_names={{{label!r}: {_suggested(text)!r}}}."
        )


def _suggested(text: str) -> str:
    """A verbalizer close to ``text`` that :func:`_check_texts` takes, for its messages."""
    text = " ".join(INVISIBLE.sub("", text).split())
    return " ".join(text.replace(" | ", " or ").strip("| ").split()) or "some text"


def _some(values: list, n: int) -> str:
    """The first ``n`` of ``values``, and how many more there are."""
    return f"{values[:n]}{f' and {len(values) - n} more' * (len(values) > n)}"


def _label(value):
    """A label as Python's own scalar (``np.int64(1)`` as ``1``)."""
    return value.item() if isinstance(value, np.generic) else value


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
        Candidate examples (:func:`~._llm_shots.shot_candidates`); a body never gets itself.
    n_shots : int
        Examples per prompt.

    Returns
    -------
    prompts : list of str
    groups : list of int
    """
    pattern = control_pattern(rt.tokenizer)
    picked = [example_picks(shots, b, n_shots) for b in bodies]
    bodies = [mark(pattern, b) for b in bodies]
    shots = None if shots is None else [(mark(pattern, b), v) for b, v in shots]
    groups: list[int] = []
    sets: dict[tuple[int, ...], int] = {}
    chosen: list[list[tuple[str, str]]] = []
    for picks in picked:
        if picks not in sets:
            sets[picks] = len(sets)
            chosen.append([shots[i] for i in picks])
        groups.append(sets[picks])
    renderers = [renderer(rt, examples) for examples in chosen]
    return [renderers[g](b) for g, b in zip(groups, bodies)], groups


def example_picks(shots: list[tuple[str, str]] | None, body: str, n_shots: int) -> tuple:
    """Positions in ``shots`` of the examples a prompt of ``body`` shows: the first
    ``n_shots`` whose text is not the body's (as written: NUL characters dropped).

    Parameters
    ----------
    shots : list of (str, str) or None
    body : str
    n_shots : int

    Returns
    -------
    tuple of int
    """
    body = body.replace("\x00", "")
    return tuple(i for i, (b, _) in enumerate(shots or ()) if b.replace("\x00", "") != body)[
        :n_shots
    ]


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


def verbalizer_ids(rt, prompt: str, texts: list[str], labels=None) -> list[list[int]]:
    """Token ids of each class's answer as it would follow ``prompt``.

    Parameters
    ----------
    rt : Runtime
    prompt : str
        A full prompt (its end decides how the answer tokenizes).
    texts : list of str
        The verbalizers.
    labels : sequence, default=None
        The label of each verbalizer, named in errors.

    Returns
    -------
    list of list of int
        When one answer begins another, each is followed by the token that ends the
        assistant's turn (chat templates), else the tokenizer's end token.
    """
    tok = rt.tokenizer
    pattern = control_pattern(tok)
    control = [(k, m.group()) for k, t in enumerate(texts) if pattern and (m := pattern.search(t))]
    if control:
        k, found = control[0]
        who, fix = _of(labels, k, "class_names without it")
        raise ValueError(
            f"LLMPrior: the verbalizer {texts[k]!r}{who} holds {found!r}, a control token of "
            f"the model's tokenizer; use {fix}."
        )
    lead, end = assistant_turn(rt) if rt.chat else (" ", tok.eos_token_id)
    out = []
    for k, text in enumerate(texts):
        ids = _answer_ids(rt, prompt, lead + text) if rt.kind != "seq2seq" else None
        ids = tok(text, add_special_tokens=False)["input_ids"] if ids is None else ids
        if not ids:
            who, fix = _of(labels, k, "another text in class_names")
            raise ValueError(
                f"LLMPrior: the verbalizer {text!r}{who} has no tokens (the model's tokenizer "
                f"drops its characters); use {fix}."
            )
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


def _answer_ids(rt, prompt: str, answer: str) -> list[int]:
    """Ids of ``answer`` as a causal model reads it after ``prompt``."""
    tok = rt.tokenizer
    tail = unmark(prompt)[-48:]
    base = tok(tail, add_special_tokens=False)["input_ids"]
    full = tok(tail + answer, add_special_tokens=False)["input_ids"]
    if full[: len(base)] == base and len(full) > len(base):
        return full[len(base) :]
    return tok(answer, add_special_tokens=False)["input_ids"]


def _of(labels, k: int, fix: str) -> tuple[str, str]:
    """The ``k``-th verbalizer's label as named in an error (`` of label 'a'``) and the
    class_names to give it; ``""`` and ``fix`` when ``labels`` is ``None``."""
    if labels is None:
        return "", fix
    label = _label(labels[k])
    return f" of label {label!r}", f"class_names={{{label!r}: 'another text'}}"


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
    "class_texts",
    "example_picks",
    "renderer",
    "serialize_answers",
    "task_sentence",
    "verbalizer_ids",
]
