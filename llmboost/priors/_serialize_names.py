"""Column names as a row's text writes them, and the names whose lines a reader could not
tell apart (:func:`unclear_header`)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable

#: The start of the answer options line, before the answers.
OPTIONS_LEAD = "Answer with one of the following"
#: Invisible format characters: zero-width space, word joiner, byte order mark, soft
#: hyphen, direction marks (not the joiners U+200C and U+200D that shape letters and emoji).
INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u206f\ufeff]")


def format_column_name(name: Hashable) -> str:
    """Column header as shown to the model: underscores become spaces (a name made only of
    underscores is kept: it would otherwise vanish), accents composed (Unicode NFC),
    invisible format characters (:data:`INVISIBLE`) dropped.

    Parameters
    ----------
    name : hashable

    Returns
    -------
    str
    """
    name = INVISIBLE.sub("", unicodedata.normalize("NFC", str(name)))
    return " ".join(name.replace("_", " ").split()) or name.strip()


def unclear_header(columns) -> str | None:
    """What is wrong with the first column whose ``{row}`` line has no name, or the same
    name as an earlier column's (``a_b`` and ``a b``), or reads as the answer line
    (``Answer: ...``) or the options line (``Answer with one of the following: ...``), in
    any case, or ``None``.

    Parameters
    ----------
    columns : sequence
        Column names.

    Returns
    -------
    str or None
    """
    seen: dict[str, Hashable] = {}
    for column in columns:
        header = format_column_name(column)
        if not header:
            return (
                f"X's column {column!r} has no name to write in the row text (its lines would "
                "read ': value'); rename the column."
            )
        if header in seen:
            return (
                f"X's columns {seen[header]!r} and {column!r} are both written {header!r} in "
                "the row text, so the model cannot tell their lines apart; rename one."
            )
        if line := _prompt_line(header):
            return (
                f"X's column {column!r} is written {header!r} in the row text: its line "
                f"'{header}: ...' reads as the prompt's {line}; rename the column, e.g. "
                f"X.rename(columns={{{column!r}: 'answer given'}})."
            )
        seen[header] = column
    return None


def _prompt_line(header: str) -> str | None:
    """The prompt line a feature line ``header: ...`` reads as, or ``None``."""
    lead = header.split(":")[0].strip().casefold()
    if lead == "answer":
        return "answer line"
    if lead.startswith(OPTIONS_LEAD.casefold()):
        return f"options line '{OPTIONS_LEAD}: ...'"
    return None


__all__ = ["INVISIBLE", "OPTIONS_LEAD", "format_column_name", "unclear_header"]
