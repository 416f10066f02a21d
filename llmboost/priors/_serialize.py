"""Turn table rows into the text a language model reads.

Each row becomes a task sentence, one ``Column name: value`` line per feature and
the answer options line, the format of the LLM-Boost paper (from TabLLM)::

    Given the following data, you must predict the value of heart disease.
    Age: 40
    Sex: M
    Oldpeak: 0.5
    Answer with one of the following: no | yes.

Column names have underscores replaced by spaces; numbers keep 4 significant digits
but at least 2 decimals, integers print without ``.0``; missing values are left out.
"""

from __future__ import annotations

import difflib
import math
import numbers
import string
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from .._params import InvalidParameterError, brief, filled_text
from .._validation import to_frame
from ._serialize_names import OPTIONS_LEAD, format_column_name, unclear_header

#: Default layout of a row: ``{task}``, ``{row}`` (feature lines), ``{options}``.
DEFAULT_TEMPLATE = "{task}\n{row}\n{options}"
#: The fields a template may use besides the columns, and what fills them.
BUILT_IN_FIELDS = {
    "task": "the task sentence",
    "row": "the feature lines",
    "classes": "the answers joined by ' | '",
    "options": "the answer options line",
}

#: A template is a format string or a callable ``row dict -> text``.
Template = str | Callable[[dict], str] | None

_BINARY_WORDS = {0: "no", 1: "yes"}


def format_value(value: Any) -> str | None:
    """Text of one cell, ``None`` when missing.

    Numbers keep 4 significant digits and at least 2 decimals (``3.14159 -> 3.142``,
    ``1234.567 -> 1234.57``, ``0.000123456 -> 0.0001235``), integers have no ``.0``
    (past 2**53 a float's shortest form, as ``repr`` gives it: ``2.0**60 ->
    1152921504606847000``, from 1e21 ``1e+23``);
    text is kept as is but for the whitespace at its ends (line breaks, ``\\n`` as well as
    ``\\u2028`` and the like, become spaces) and its accents, composed (Unicode NFC);
    empty or whitespace-only text is missing.

    Parameters
    ----------
    value : object
        A cell: number, boolean, text, numpy date or duration, or missing.

    Returns
    -------
    str or None
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.datetime64 | np.timedelta64):  # numpy counts them as integers
        return None if np.isnat(value) else str(value)
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        x = float(value)
        if math.isnan(x):
            return None
        if math.isinf(x):
            return "infinity" if x > 0 else "minus infinity"
        if x.is_integer() and abs(x) < 2**53:  # every digit exact
            return str(int(x))
        if x.is_integer():  # past 2**53, digits past its shortest form are rounding
            return format(Decimal(repr(x)), "f").removesuffix(".0") if abs(x) < 1e21 else repr(x)
        magnitude = abs(x)
        if magnitude < 1e-4:
            return f"{x:.4g}"
        decimals = max(2, 3 - math.floor(math.log10(magnitude)))
        text = f"{x:.{decimals}f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    text = unicodedata.normalize("NFC", str(value))  # as column names and answers are
    if not text.strip():  # a real "NaN" or "Nan" is text (a missing value is a float NaN)
        return None
    return " ".join(text.splitlines()).strip()


def default_class_names(labels: Sequence) -> dict:
    """Verbalizer of each label: two labels ``0/1`` (numbers) or ``False/True`` become
    ``no/yes``; others, text labels ``"0"/"1"`` too, their text.

    Parameters
    ----------
    labels : sequence
        The class labels.

    Returns
    -------
    dict
        ``{label: text}``.
    """
    labels = list(labels)
    as_numbers = [_as_number(v) for v in labels]
    if len(labels) == 2 and sorted(n for n in as_numbers if n is not None) == [0, 1]:
        return {label: _BINARY_WORDS[n] for label, n in zip(labels, as_numbers)}
    return {label: format_column_name(format_value(label) or str(label)) for label in labels}


def _as_number(value: Any) -> int | None:
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, numbers.Real) and float(value) in (0.0, 1.0):
        return int(value)
    return None


def default_task_description(target_name: Hashable | None = None) -> str:
    """The task sentence: names the target column when it is known.

    Parameters
    ----------
    target_name : hashable, default=None

    Returns
    -------
    str
    """
    name = "" if target_name is None else format_column_name(target_name)
    if not name:  # no name, or only whitespace and invisible characters
        return "Given the following data, you must predict the correct class."
    return f"Given the following data, you must predict the value of {name}."


def options_line(class_texts: Iterable[str]) -> str:
    """The answer options line, as in the paper: ``Answer with one of the following: a | b.``

    Parameters
    ----------
    class_texts : iterable of str

    Returns
    -------
    str
    """
    return f"{OPTIONS_LEAD}: {' | '.join(class_texts)}."


def feature_lines(X: pd.DataFrame) -> list[str]:
    """One ``Column name: value`` line per non-missing cell, joined by newlines, per row.

    Parameters
    ----------
    X : DataFrame
        Rows whose missing cells are left out.

    Returns
    -------
    list of str
        The lines of each row, one string per row.
    """
    columns = []
    for name in X.columns:
        header = format_column_name(name) + ": "
        memo: dict = {}
        texts = []
        for value in X[name].tolist():
            key = (value.__class__, value)
            try:
                text = memo[key]
            except (KeyError, TypeError):
                text = format_value(value)
                text = None if text is None else header + text
                try:
                    memo[key] = text
                except TypeError:
                    pass
            texts.append(text)
        columns.append(texts)
    if not columns:  # zip() of no columns would give no rows
        return [""] * len(X)
    return ["\n".join(t for t in cells if t is not None) for cells in zip(*columns)]


class RowSerializer:
    """Render rows of a table as prompt bodies.

    Parameters
    ----------
    task_description : str
        The task sentence (``{task}``), not empty.
    class_texts : sequence of str
        Verbalizers in class order; they fill ``{classes}`` (``"no | yes"``) and
        ``{options}`` (the full options line).
    template : str or callable, default=None
        ``None`` uses :data:`DEFAULT_TEMPLATE`. A format string may use ``{task}``,
        ``{row}`` (the feature lines), ``{classes}``, ``{options}`` and any column
        name (its formatted value, empty when missing). A callable receives the
        row as ``{column: value}`` (missing values as ``None``, whole numbers as ``int``)
        and returns the text.
    """

    def __init__(
        self, task_description: str, class_texts: Sequence[str], template: Template = None
    ) -> None:
        if not filled_text(task_description):
            raise InvalidParameterError(
                "RowSerializer: task_description must be a task sentence (not empty), got "
                f"{brief(task_description)}."
            )
        texts = [class_texts] if isinstance(class_texts, str) else list(class_texts)
        if isinstance(class_texts, str) or not all(isinstance(t, str) for t in texts):
            raise TypeError(
                "RowSerializer: class_texts must be a list of texts, one answer per class, "
                f"got {brief(class_texts)}."
            )
        self.task_description = task_description
        self.class_texts = texts
        self.template = DEFAULT_TEMPLATE if template is None else template
        if not (isinstance(self.template, str) or callable(self.template)):
            raise TypeError(
                f"template must be a format string or a callable, got {type(template).__name__}."
            )

    def check(self, columns) -> None:
        """Raise ``ValueError`` naming ``template`` when a format string cannot be filled
        from ``columns`` and the built-in fields, or writes no row, or naming the column
        whose feature lines the model could not tell by name (checked at fit, not at the
        first call).

        Parameters
        ----------
        columns : sequence
            The column names of the rows the template will be filled from.

        Returns
        -------
        None
        """
        if not isinstance(self.template, str):
            return
        try:
            names = self.fields()
        except ValueError as err:
            raise ValueError(f"template={self.template!r} is not a format string: {err}.") from None
        if unknown := self._unknown_field(names, columns):
            raise ValueError(unknown)
        if "row" in names and (unclear := unclear_header(columns)):
            raise ValueError(unclear)
        if "row" not in names and not set(names) & set(map(str, columns)):
            raise ValueError(
                f"template={self.template!r} writes neither {{row}} nor a column, so every row "
                "would get the same prompt and the same scores; add {row} or column fields."
            )
        known = {*BUILT_IN_FIELDS, *map(str, columns)}
        try:  # every field is filled with text, numbers already written out
            _FORMATTER.vformat(self.template, (), dict.fromkeys(known, "text"))
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as err:
            raise ValueError(
                f"template={self.template!r} cannot be filled with text ({err}); fields are "
                "text (numbers already written out), so drop number formats such as ':.1f'."
            ) from None

    def _unknown_field(self, names: list[str], columns) -> str | None:
        """What is wrong with the first of ``names`` that no column or built-in field has,
        or that names both a built-in field and a column that no ``{row}`` writes out (the
        column is out of reach)."""
        named = set(map(str, columns))
        if unknown := [name for name in names if name not in BUILT_IN_FIELDS and name not in named]:
            return (
                f"template={self.template!r}: field {unknown[0]!r} is neither task, row, "
                f"classes, options nor a column of X ({_listed(unknown[0], columns)})"
                f"{_unnameable(unknown[0], columns)}."
            )
        hidden = [n for n in BUILT_IN_FIELDS if n in names and n in named]
        if hidden and "row" not in names:
            return (
                f"template={self.template!r}: {{{hidden[0]}}} is the built-in field "
                f"({BUILT_IN_FIELDS[hidden[0]]}), so X's column {hidden[0]!r} cannot be "
                "reached by name; rename the column."
            )
        return None

    def fields(self) -> list[str]:
        """Field names a format-string template uses.

        Returns
        -------
        list of str
        """
        if not isinstance(self.template, str):
            return []
        return [f for _, f, _, _ in string.Formatter().parse(self.template) if f is not None]

    def __call__(self, X: pd.DataFrame) -> list[str]:
        """The text of every row of ``X``.

        Parameters
        ----------
        X : DataFrame
            The rows, with the columns the template names.

        Returns
        -------
        list of str
            One prompt body per row.
        """
        if callable(self.template):
            texts = [self.template(row) for row in _records(X)]
            bad = [type(t).__name__ for t in texts if not isinstance(t, str)]
            if bad:
                raise TypeError(f"template must return str, got {bad[0]}.")
            return texts
        common = {
            "task": self.task_description,
            "classes": " | ".join(self.class_texts),
            "options": options_line(self.class_texts),
        }
        fields = self.fields()
        if unknown := self._unknown_field(fields, X.columns):
            raise ValueError(unknown)
        rows = feature_lines(X) if "row" in fields else [""] * len(X)
        used = [c for c in X.columns if str(c) in fields and str(c) not in {*common, "row"}]
        values = {str(c): [format_value(v) or "" for v in X[c].tolist()] for c in used}
        out = []
        for i, row in enumerate(rows):
            mapping: Mapping[str, str] = {
                **common,
                "row": row,
                **{name: texts[i] for name, texts in values.items()},
            }
            out.append(_FORMATTER.vformat(self.template, (), mapping))
        return out


def _records(X: pd.DataFrame) -> list[dict]:
    """The rows as ``{column: value}``, missing values as ``None`` and whole numbers as
    ``int`` (to_frame reads integers as floats: ``40``, not ``40.0``; past 2**53 a float)."""
    frame = X.astype(object).where(X.notna(), None)
    for i in range(X.shape[1]):
        if pd.api.types.is_float_dtype(X.dtypes.iloc[i]):
            frame.iloc[:, i] = [
                int(v) if v is not None and v.is_integer() and abs(v) < 2**53 else v
                for v in frame.iloc[:, i]
            ]
    return frame.to_dict(orient="records")


def _listed(field: str, columns) -> str:
    """The first 10 ``columns``, how many more, and the one closest to ``field``."""
    names = list(map(str, columns))
    more = f" and {len(names) - 10} more" if len(names) > 10 else ""
    close = difflib.get_close_matches(field, names, n=1)
    return f"{list(columns)[:10]}{more}" + (f"; did you mean {close[0]!r}?" if close else "")


def _unnameable(field: str, columns) -> str:
    """Why a column whose name is ``field`` then ``:`` or ``!`` cannot be a template field
    (read as ``field`` and a format spec or conversion), or ``""``."""
    for column in map(str, columns):
        if column.startswith(field) and column[len(field) : len(field) + 1] in (":", "!"):
            what = "':' starts a format spec" if column[len(field)] == ":" else "'!' a conversion"
            fixed = column.replace(":", " ").replace("!", " ")
            return (
                f"; X's column {column!r} cannot be named in a format string ({what}): rename "
                f"it, e.g. X.rename(columns={{{column!r}: {fixed!r}}}), and write {{{fixed}}}"
            )
    return ""


class _ColumnFormatter(string.Formatter):
    """Looks a field up by its whole name first: columns such as ``0``, ``a.b`` or ``c[d]``."""

    def get_field(self, field_name, args, kwargs):
        if field_name in kwargs:
            return kwargs[field_name], field_name
        return super().get_field(field_name, args, kwargs)


_FORMATTER = _ColumnFormatter()


def serialize(
    X: pd.DataFrame,
    *,
    task_description: str | None = None,
    class_names: Mapping | Sequence[str] | None = None,
    classes: Sequence | None = None,
    template: Template = None,
    target_name: Hashable | None = None,
) -> list[str]:
    """Texts of the rows of ``X`` (see :class:`RowSerializer`), as :class:`LLMPrior` writes them.

    ``X`` is read as every prior reads it (:func:`llmboost._validation.to_frame`:
    booleans print as ``1`` / ``0``, a float category ``2.0`` as ``2.0``).
    ``class_names`` maps labels to verbalizers, labels left out getting the default
    (or lists them in the order of ``classes``); without ``classes``, a dict's labels are
    the classes, sorted as the prior's ``classes_`` are, and a list keeps its order. Class
    names the prior refuses (a label not in ``classes``, two classes with one answer) raise
    ``ValueError`` here too, as do the templates its ``fit`` refuses.
    ``task_description`` defaults to a sentence naming ``target_name`` (an empty one is
    refused, as the prior refuses it).

    Parameters
    ----------
    X : DataFrame or array-like
    task_description : str, default=None
    class_names : dict or sequence of str, default=None
    classes : sequence, default=None
        The labels, each once, as ``np.unique(y)`` gives them.
    template : str or callable, default=None
    target_name : hashable, default=None

    Returns
    -------
    list of str
    """
    if task_description is not None and not filled_text(task_description):
        raise InvalidParameterError(  # as LLMPrior refuses it
            "serialize: task_description must be a task sentence (not empty) or None, got "
            f"{brief(task_description)}."
        )
    from ._llm_prompts import serialize_answers  # it imports this module

    texts = serialize_answers(class_names, classes)
    task = default_task_description(target_name) if task_description is None else task_description
    serializer = RowSerializer(task, texts, template)
    frame = to_frame(X)
    serializer.check(frame.columns)  # the templates fit refuses are refused here too
    if not texts and (needs := [f for f in ("options", "classes") if f in serializer.fields()]):
        raise ValueError(
            f"serialize: the template writes {{{needs[0]}}}, the answers, but no classes= or "
            "class_names= gives them; pass classes=np.unique(y) as the prior would."
        )
    return serializer(frame)


def dedupe(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Unique texts (first-seen order) and, per input, the index of its unique text.

    Parameters
    ----------
    texts : sequence of str

    Returns
    -------
    unique : list of str
    inverse : ndarray of int
    """
    index: dict[str, int] = {}
    inverse = np.empty(len(texts), dtype=np.intp)
    for i, t in enumerate(texts):
        inverse[i] = index.setdefault(t, len(index))
    return list(index), inverse


__all__ = [
    "BUILT_IN_FIELDS",
    "DEFAULT_TEMPLATE",
    "RowSerializer",
    "dedupe",
    "default_class_names",
    "default_task_description",
    "feature_lines",
    "format_column_name",
    "format_value",
    "options_line",
    "serialize",
]
