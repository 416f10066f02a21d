"""Few-shot examples of the language-model prior: drawn from the training rows (classes
taken in turn, distinct texts), named in errors, and the warnings when prompts show fewer
examples or none of a class.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from .._warn import caller_level
from ._llm_prompts import _label, example_picks


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
    """(name, text) of every candidate example, the spare included (a row whose text
    equals an example is shown the spare).

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
    if not shots or rows is None or not n_shots:
        return None
    return [
        (f"the training row at position {int(r)} of {where}", f"{b}\nAnswer: {v}")
        for (b, v), r in zip(shots, rows, strict=False)
    ]


def shown_examples(named, shots, bodies: Sequence[str], n_shots: int) -> list | None:
    """Per body, the (name, text) of the examples its prompt shows (:func:`named_examples`
    picked by :func:`~._llm_prompts.example_picks`), or ``None`` without names."""
    if named is None:
        return None
    return [[named[i] for i in example_picks(shots, b, n_shots)] for b in bodies]


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
    n, s = min(few), "s" * (min(few) != 1)
    if folds:
        where = f"in {len(few)} of {len(counts)} folds the rows outside the fold have as few as"
        shown = f"their prompts show as few as {n}"
    else:
        where, shown = "the training rows have only", f"prompts show at most {n}"
    warnings.warn(
        f"LLMPrior: n_shots={n_shots}, but {where} {n} distinct text{s}, so {shown} example{s}.",
        UserWarning,
        stacklevel=caller_level(),
    )


def warn_unshown_classes(n_shots: int, classes, texts: list[str], draws, folds=False) -> None:
    """One warning naming each class of the training rows (of a fit, or outside folds)
    that got no example because each of its rows repeats the text of an example drawn for
    another class. None with fewer ``n_shots`` than classes.

    Parameters
    ----------
    n_shots : int
    classes : sequence
        The labels, as named in the message.
    texts : list of str
        Verbalizer of each class.
    draws : sequence of (ndarray, list of (str, str))
        Class codes of the candidate rows and the examples drawn from them.
    folds : bool, default=False
        One draw per fold: the message counts the folds.
    """
    if n_shots < len(classes):
        return
    unshown: dict[int, None] = {}  # in order of first seen
    hit = 0
    for codes, examples in draws:
        shown = {answer for _, answer in examples[:n_shots]}
        lacking = [int(c) for c in np.unique(codes) if texts[c] not in shown]
        unshown.update(dict.fromkeys(lacking))
        hit += bool(lacking)
    if not unshown:
        return
    where = f" of {hit} of {len(draws)} folds" if folds else ""
    names = ", ".join(repr(_label(classes[c])) for c in unshown)
    warnings.warn(
        f"LLMPrior: n_shots={n_shots}, but every training row of class{'es' * (len(unshown) > 1)} "
        f"{names} repeats the text of an example drawn for another class, so the prompts"
        f"{where} show no example of {'them' if len(unshown) > 1 else 'it'} (another "
        "random_state may draw other examples).",
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


__all__ = [
    "check_examples_fit",
    "named_examples",
    "shot_candidates",
    "shown_examples",
    "warn_few_shots",
    "warn_missing_classes",
    "warn_unshown_classes",
]
