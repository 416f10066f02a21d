"""Rows read as text: control tokens written in a row are not the model's control tokens.

A tokenizer reads the text of its special tokens (``</s>``, ``<|im_end|>``) as those
tokens wherever it finds it, so a cell holding ``<|im_end|>`` would end the row's turn
early. Row bodies are therefore marked (:func:`mark`) around such text, and
:func:`token_ids` tokenizes what is marked as plain characters; text without any is
tokenized exactly as before.
"""

from __future__ import annotations

import re

_OPEN, _CLOSE = "\x00\x01", "\x01\x00"
_MARKED = re.compile(f"{_OPEN}(.*?){_CLOSE}", re.S)


def control_pattern(tokenizer) -> re.Pattern | None:
    """A pattern matching the text of every special token of ``tokenizer`` (or ``None``).

    Parameters
    ----------
    tokenizer : transformers tokenizer

    Returns
    -------
    re.Pattern or None
    """
    texts = set(getattr(tokenizer, "all_special_tokens", None) or ())
    for token in (getattr(tokenizer, "added_tokens_decoder", None) or {}).values():
        if getattr(token, "special", False):
            texts.add(str(token))
    texts = sorted((t for t in texts if t), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, texts))) if texts else None


def mark(pattern: re.Pattern | None, text: str) -> str:
    """``text`` with every special token's text marked as plain text.

    Parameters
    ----------
    pattern : re.Pattern or None
        From :func:`control_pattern`.
    text : str

    Returns
    -------
    str
    """
    if pattern is None:
        return text
    return pattern.sub(lambda m: f"{_OPEN}{m.group()}{_CLOSE}", text)


def unmark(text: str) -> str:
    """``text`` as written (marks removed).

    Parameters
    ----------
    text : str

    Returns
    -------
    str
    """
    return _MARKED.sub(r"\1", text) if _OPEN in text else text


def token_ids(tokenizer, texts: list[str], add_special_tokens: bool) -> list[list[int]]:
    """Token ids of texts, marked parts (:func:`mark`) as plain characters.

    Parameters
    ----------
    tokenizer : transformers tokenizer
    texts : list of str
    add_special_tokens : bool
        Add the tokens the tokenizer puts around a text (a start token).

    Returns
    -------
    list of list of int
    """
    ids = tokenizer(texts, add_special_tokens=add_special_tokens)["input_ids"]
    for i, text in enumerate(texts):
        if _OPEN in text:
            ids[i] = _marked_ids(tokenizer, text, add_special_tokens)
    return ids


def _marked_ids(tokenizer, text: str, add_special_tokens: bool) -> list[int]:
    pieces = _MARKED.split(text)  # odd pieces are marked
    ids: list[int] = []
    for k, piece in enumerate(pieces):
        if piece:
            split = bool(k % 2)
            ids += tokenizer(piece, add_special_tokens=False, split_special_tokens=split)[
                "input_ids"
            ]
    if not add_special_tokens:
        return ids
    bare = tokenizer("Answer:", add_special_tokens=False)["input_ids"]
    full = tokenizer("Answer:")["input_ids"]
    for start in range(len(full) - len(bare) + 1):
        if full[start : start + len(bare)] == bare:
            return full[:start] + ids + full[start + len(bare) :]
    return ids


__all__ = ["control_pattern", "mark", "token_ids", "unmark"]
