"""Rows read as text: text unseen at fit is kept, and control tokens written in a row are
not the model's control tokens.

A tokenizer reads the text of its control tokens (``</s>``, ``<|im_end|>``, ``<think>``)
as those tokens wherever it finds it, so a cell holding ``<|im_end|>`` would end the
row's turn early. Row bodies are therefore marked (:func:`mark`) around such text, and
:func:`token_ids` tokenizes what is marked as plain characters, together with the text
around it as the tokenizer would read it; text without any is tokenized exactly as before.
"""

from __future__ import annotations

import json
import re
import warnings
import weakref

import numpy as np
import pandas as pd

from .._warn import caller_level
from ._serialize import format_value

# Changed when marked text came to be tokenized differently: scores cached for prompts
# holding the former marks are never served again (prompts without marks keep theirs).
_OPEN, _CLOSE = "\x00\x02", "\x02\x00"
_MARKED = re.compile(f"{_OPEN}(.*?){_CLOSE}", re.S)
#: A token added to the plain tokenizer: the text after it is read as after a control token.
_AFTER = "\x00llmboost-after\x00"
#: tokenizer -> (its size and chat template, control pattern, added tokens, plain tokenizer)
_READERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def control_pattern(tokenizer) -> re.Pattern | None:
    """A pattern matching the text of every control token of ``tokenizer`` (or ``None``).

    Control tokens are the special tokens and the added tokens the chat template writes
    (Qwen3's ``<think>``, which a tokenizer matches although it is not special).

    Parameters
    ----------
    tokenizer : transformers tokenizer

    Returns
    -------
    re.Pattern or None
    """
    template = getattr(tokenizer, "chat_template", None) or ""
    if isinstance(template, dict):  # named templates
        template = "".join(map(str, template.values()))
    texts = set(getattr(tokenizer, "all_special_tokens", None) or ())
    for token in (getattr(tokenizer, "added_tokens_decoder", None) or {}).values():
        if getattr(token, "special", False) or (str(token) and str(token) in str(template)):
            texts.add(str(token))
    texts = sorted((t for t in texts if t), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, texts))) if texts else None


def with_unseen_text(given: pd.DataFrame, encode, empty=()) -> pd.DataFrame:
    """``encode(given)``, rows in the fitted encoding, with the values of ``given`` back
    in the cells of text columns that the encoding made missing, being unseen at fit: the
    trees read them as missing, a language model reads any text. So are numbers in a
    column of text at fit (as they print) and the text of the ``empty`` columns (missing
    in every row at fit, so read as numbers). The encoding's warnings are given but that a
    column's text all became missing, and say that such numbers are written as given.

    Parameters
    ----------
    given : DataFrame
        The rows as :func:`~llmboost._validation.to_frame` reads them.
    encode : callable
        Rows -> the same rows in the fitted encoding.
    empty : collection of str, default=()
        Columns without a value at fit.

    Returns
    -------
    DataFrame
    """
    blank = given.copy()
    for name in set(empty) & set(blank.columns):
        if isinstance(blank[name].dtype, pd.CategoricalDtype):
            blank[name] = np.nan  # no text to read as numbers, no warning that it was
    said: list = []  # the encoding's warnings, said again below as they apply
    try:
        with warnings.catch_warnings(record=True) as said:
            warnings.filterwarnings("ignore", "Column .* holds no category", UserWarning)
            encoded = encode(blank)
    except Exception:
        _say_again(said, [])
        raise
    numbers = []
    for name in encoded.columns:
        value, col = given[name], encoded[name]
        if not isinstance(col.dtype, pd.CategoricalDtype) and name not in empty:
            continue  # numbers at fit: read as numbers, as at fit
        lost = (col.isna() & value.notna()).to_numpy()
        if not lost.any():
            continue
        if not isinstance(value.dtype, pd.CategoricalDtype):  # numbers now, text at fit
            numbers.append(f"Column {name!r} was categorical at fit but is numeric now")
            value = value.map(format_value, na_action="ignore")
        encoded[name] = np.where(lost, value.to_numpy(object), col.to_numpy(object))
    _say_again(said, numbers)
    return encoded


def _say_again(said: list, numbers: list[str]) -> None:
    """The warnings of the encoding (``warnings.WarningMessage``); those starting with one
    of ``numbers`` say that the numbers no category matched are written as given."""
    for caught in said:
        message = str(caught.message)
        if message.startswith(tuple(numbers)):
            message = message.replace("became missing", "are written as given")
        warnings.warn(message, caught.category, stacklevel=caller_level())


def mark(pattern: re.Pattern | None, text: str) -> str:
    """``text`` with every special token's text marked as plain text; its NUL characters
    are dropped (with them, a cell could spell the marks and unmark a control token).

    Parameters
    ----------
    pattern : re.Pattern or None
        From :func:`control_pattern`.
    text : str

    Returns
    -------
    str
    """
    text = text.replace("\x00", "")
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
    if not any(_OPEN in text for text in texts):
        return ids
    reader = _reader(tokenizer)
    for i, text in enumerate(texts):
        if _OPEN in text:
            ids[i] = _wrapped(tokenizer, _marked_ids(tokenizer, reader, text), add_special_tokens)
    return ids


def _reader(tokenizer) -> tuple:
    """Control pattern, added tokens by text and plain tokenizer (:func:`_plain_tokenizer`)
    of ``tokenizer``, built once per tokenizer (again when its tokens or template change)."""
    sign = (len(tokenizer), str(getattr(tokenizer, "chat_template", None)))
    cached = _READERS.get(tokenizer)
    if cached is None or cached[0] != sign:
        pattern = control_pattern(tokenizer)
        added = {
            str(t): t for t in (getattr(tokenizer, "added_tokens_decoder", None) or {}).values()
        }
        cached = _READERS[tokenizer] = (sign, pattern, added, _plain_tokenizer(tokenizer, pattern))
    return cached[1:]


def _plain_tokenizer(tokenizer, pattern):
    """The tokenizer's own pipeline without its control tokens (``pattern``), plus the
    :data:`_AFTER` token (``None`` for a tokenizer without a ``tokenizers`` backend)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None or pattern is None:
        return None
    from tokenizers import AddedToken, Tokenizer

    state = json.loads(backend.to_str())
    state["added_tokens"] = [
        t for t in state.get("added_tokens") or () if not pattern.fullmatch(t["content"])
    ]
    state["post_processor"] = None
    plain = Tokenizer.from_str(json.dumps(state))
    plain.add_special_tokens([AddedToken(_AFTER, special=True)])
    return plain


def _marked_ids(tokenizer, reader: tuple, text: str) -> list[int]:
    """Ids of ``text`` (no tokens added around it): its unmarked control tokens as tokens,
    the text between them read whole by the plain tokenizer (of :func:`_reader`), as after
    a control token."""
    pattern, added, plain = reader
    pieces = _MARKED.split(text)  # odd pieces are marked
    if plain is None:  # no pipeline to read plain text with: each piece alone
        return [
            i
            for k, piece in enumerate(pieces)
            if piece
            for i in tokenizer(piece, add_special_tokens=False, split_special_tokens=bool(k % 2))[
                "input_ids"
            ]
        ]
    items = [""]  # text runs at even positions, control tokens at odd ones
    for k, piece in enumerate(pieces):
        parts = [piece] if k % 2 else pattern.split(piece)
        controls = [] if k % 2 else pattern.findall(piece)
        items[-1] += parts[0]
        for control, after in zip(controls, parts[1:], strict=True):
            items += [control, after]
    for j in range(1, len(items), 2):  # whitespace the control token takes in
        token = added.get(items[j])
        if getattr(token, "lstrip", False):
            items[j - 1] = items[j - 1].rstrip()
        if getattr(token, "rstrip", False):
            items[j + 1] = items[j + 1].lstrip()
    ids: list[int] = []
    for j, item in enumerate(items):
        if j % 2:
            ids.append(tokenizer.convert_tokens_to_ids(item))
        elif item:
            ids += plain.encode(item if j == 0 else _AFTER + item, add_special_tokens=False).ids[
                int(j > 0) :
            ]
    return ids


def _wrapped(tokenizer, ids: list[int], add_special_tokens: bool) -> list[int]:
    """``ids`` with the tokens the tokenizer adds around a text (a start token)."""
    if not add_special_tokens:
        return ids
    bare = tokenizer("Answer:", add_special_tokens=False)["input_ids"]
    full = tokenizer("Answer:")["input_ids"]
    for start in range(len(full) - len(bare) + 1):
        if full[start : start + len(bare)] == bare:
            return full[:start] + ids + full[start + len(bare) :]
    return ids


__all__ = ["control_pattern", "mark", "token_ids", "unmark", "with_unseen_text"]
