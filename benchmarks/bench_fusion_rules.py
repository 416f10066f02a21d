"""Fusion rules compared: how PriorBoost should choose between prior, trees and both.

    python benchmarks/bench_fusion_rules.py --prior pfn \\
        --csv benchmarks/results/fusion_rules_pfn.csv
    python benchmarks/bench_fusion_rules.py --prior constant \\
        --csv benchmarks/results/fusion_rules_constant.csv
    python benchmarks/bench_fusion_rules.py --prior llm --max-test 200 \\
        --sizes 32 64 128 256 --seeds 0 --csv benchmarks/results/fusion_rules_llm.csv
    python benchmarks/bench_fusion_rules.py --md benchmarks/results/fusion_rules.md \\
        --csv benchmarks/results/fusion_rules_{pfn,constant,llm}.csv

A follow-up (``benchmarks/results/fusion_rules_followup.md``) re-scored the cached
cells of the first two commands with the held-out-halves rules (``--cached-only`` into a
new ``--csv``) and added five set-ups, each with::

    python benchmarks/bench_fusion_rules.py --prior pfn --sizes 32 64 128 256 \\
        --csv benchmarks/results/fusion_rules_followup.csv OPTION
    python benchmarks/bench_fusion_rules.py --prior constant --sizes 32 64 128 256 \\
        --seeds 0 1 2 --csv benchmarks/results/fusion_rules_followup.csv OPTION

where OPTION is ``--prior-cv 10`` or ``--prior-cv 0`` (leave-one-out; pfn only, sizes
32 to 128), ``--booster-params '{"max_depth": 2}'``,
``--booster-params '{"min_child_weight": 4}'`` or ``--repeats 3``; then the summary::

    python benchmarks/bench_fusion_rules.py --md benchmarks/results/fusion_rules_followup.md \\
        --csv benchmarks/results/fusion_rules_followup.csv

With the current bundled PFN (second checkpoint, principal-component passes), sizes 32
to 256, a fresh cache, as two processes (seeds 0-2 and 3-4), concatenated and summarised
(``benchmarks/results/fusion_rules_v4.md``)::

    python benchmarks/bench_fusion_rules.py --prior pfn --sizes 32 64 128 256 \\
        --seeds 0 1 2 --cache /tmp/fcache --csv fr_a.csv  # and --seeds 3 4 --csv fr_b.csv
    python benchmarks/bench_fusion_rules.py --md benchmarks/results/fusion_rules_v4.md \\
        --csv benchmarks/results/fusion_rules_v4.csv

With the third checkpoint and ``n_ensemble="auto"`` (``fusion_rules_v5.md``): the same
two commands with a fresh ``--cache``, concatenated into
``benchmarks/results/fusion_rules_v5.csv``, then ``--md`` as above.

The subagged rules (the default since ``fusion_rules_v6.md``) were scored on the cells of
``fusion_rules_v5.md`` without new fits (the same ``--cache``)::

    python benchmarks/bench_fusion_rules.py --prior pfn --sizes 32 64 128 256 \\
        --cache /tmp/fcache --cached-only --csv benchmarks/results/fusion_rules_v6.csv

and on the constant prior's cells of the follow-up (seeds 0-2, sizes 32 to 512), the same
with ``--prior constant --sizes 32 64 128 256 512`` and that run's cache; the language
model's cells were computed afresh (``--prior llm --max-test 200 --sizes 32 64 128 256
--seeds 0`` with a new ``--cache``), all into the same ``--csv``; then::

    python benchmarks/bench_fusion_rules.py --md benchmarks/results/fusion_rules_v6.md \\
        --csv benchmarks/results/fusion_rules_v6.csv

Fresh cells (seeds 5-9; ``fusion_rules_v6_fresh_seeds.md``), run to check subagging over
all candidates out of sample; its log loss there led to the restriction of the default,
which was then chosen looking at both sets of seeds::

    python benchmarks/bench_fusion_rules.py --prior pfn --sizes 32 64 128 256 \\
        --seeds 5 6 7 --cache /tmp/fcache_new --csv fr_new_a.csv  # and --seeds 8 9
    python benchmarks/bench_fusion_rules.py --md \\
        benchmarks/results/fusion_rules_v6_fresh_seeds.md \\
        --csv benchmarks/results/fusion_rules_v6_fresh_seeds.csv  # the two concatenated

The start at the prior's smallest scale when its ranking is near chance (the default
since ``fusion_rules_v7.md``), on fresh cells of all three priors (seeds 0-2, sizes 32
to 256; the language model seed 0 with test sets capped at 200 rows) and, with the
language model, on 20 tables outside the shared ones (``fusion_rules_v7_outside.md``;
tables from ``rdatasets_tasks.py``)::

    python benchmarks/bench_fusion_rules.py --prior pfn --sizes 32 64 128 256 \\
        --seeds 0 1 2 --cache /tmp/fcache7 --csv benchmarks/results/fusion_rules_v7.csv
    python benchmarks/bench_fusion_rules.py --prior constant --sizes 32 64 128 256 \\
        --seeds 0 1 2 --cache /tmp/fcache7 --csv benchmarks/results/fusion_rules_v7.csv
    python benchmarks/bench_fusion_rules.py --prior llm --max-test 200 --sizes 32 64 128 256 \\
        --seeds 0 --cache /tmp/fcache7 --csv benchmarks/results/fusion_rules_v7.csv
    python benchmarks/bench_fusion_rules.py --prior llm --data-dir /tmp/rtasks --max-test 200 \\
        --sizes 32 64 128 --seeds 0 1 2 --cache /tmp/fcache7_outside \\
        --csv benchmarks/results/fusion_rules_v7_outside.csv
    python benchmarks/bench_fusion_rules.py --md benchmarks/results/fusion_rules_v7.md \\
        --csv benchmarks/results/fusion_rules_v7.csv  # and the same for _outside

Five seeds (``fusion_rules_v8.md``): the cells of ``fusion_rules_v7.md`` with the bundled
PFN and the constant prior at seeds 3-4, and the bundled PFN at 512 and 1,024 rows (seeds
0-4), into the same cache; then every cached cell re-scored with every rule (three
variants of the start near chance added), the outside tables likewise
(``fusion_rules_v8_outside.md``)::

    python benchmarks/bench_fusion_rules.py --prior pfn --sizes 32 64 128 256 \\
        --seeds 3 4 --cache /tmp/fcache7 --csv fr_new.csv  # and --prior constant
    python benchmarks/bench_fusion_rules.py --prior pfn --sizes 512 1024 \\
        --cache /tmp/fcache7 --csv fr_new.csv
    python benchmarks/bench_fusion_rules.py --prior pfn --cache /tmp/fcache7 \\
        --cached-only --csv benchmarks/results/fusion_rules_v8.csv  # and --prior constant
    python benchmarks/bench_fusion_rules.py --prior llm --max-test 200 --cache /tmp/fcache7 \\
        --cached-only --csv benchmarks/results/fusion_rules_v8.csv
    python benchmarks/bench_fusion_rules.py --prior llm --data-dir /tmp/rtasks --max-test 200 \\
        --cache /tmp/fcache7_outside --cached-only \\
        --csv benchmarks/results/fusion_rules_v8_outside.csv
    python benchmarks/bench_fusion_rules.py --md benchmarks/results/fusion_rules_v8.md \\
        --csv benchmarks/results/fusion_rules_v8.csv  # and the same for _outside

The language model's and the constant prior's cells completed (``fusion_rules_v9.md``,
the same rules): the language model at seeds 1-4 (32 to 256 rows) and at 512 and 1,024
rows (seeds 0-4), the constant prior at 512 and 1,024 rows, into the same cache; the
rows they wrote are ``fusion_rules_v9.csv``, summarised with ``fusion_rules_v8.csv``::

    python benchmarks/bench_fusion_rules.py --prior llm --max-test 200 --sizes 32 64 128 256 \\
        --seeds 1 2 3 4 --cache /tmp/fcache7 --csv benchmarks/results/fusion_rules_v9.csv
    python benchmarks/bench_fusion_rules.py --prior llm --max-test 200 --sizes 512 1024 \\
        --cache /tmp/fcache7 --csv benchmarks/results/fusion_rules_v9.csv
    python benchmarks/bench_fusion_rules.py --prior constant --sizes 512 1024 \\
        --cache /tmp/fcache7 --csv benchmarks/results/fusion_rules_v9.csv
    python benchmarks/bench_fusion_rules.py --md benchmarks/results/fusion_rules_v9.md \\
        --csv benchmarks/results/fusion_rules_v8.csv benchmarks/results/fusion_rules_v9.csv

The margins of every cell are kept in ``--cache``; ``--cached-only`` re-scores the rules
of the cells computed so far without fitting anything (how a stopped run was summarised).

Tasks, subsamples and test sets are those of ``bench_bundled_pfn.py`` (every shared
classification task with at most 10 classes; sizes 32 ... 1024, none above a task's
training rows (results files before ``fusion_rules_v8.md`` counted such a size as all of
the task's rows); seeds 0-4; test files capped at 1,000 rows). For each cell the prior's
out-of-fold margin, the pooled out-of-fold margins of every candidate ``(scale, rounds)``
(one XGBoost per fold and scale, rounds read as prefixes) and the candidates' test
margins (one refit per scale) are computed once with the package's own search code;
every rule then only picks weights over those candidates, so rules are compared on
identical fits.

Priors: ``pfn`` (the bundled PFN, PFNBoost's offline default), ``llm`` (the default
language model, SmolLM2-135M: LLMBoost's default) and ``constant`` (the training
class frequencies: a prior with nothing to say, which the search must learn to
ignore). Results are appended per cell (resumable); ``--md`` writes the summary. Each row
keeps its test rows (``n_test``): one ``--csv`` may hold priors scored on other test caps
(the language model's 200 rows), but a rerun of a prior with another ``--max-test`` is
refused (it would skip the cells done and the summary would mix them); results files from
before that column keep their layout and are not checked.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import re
import sys
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

import _interrupt  # noqa: F401
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_bundled_pfn  # noqa: E402
from _script import (  # noqa: E402
    SEED,
    SIZE,
    DefaultsHelpFormatter,
    check_summary_file,
    count,
    folder_name,
    given_options,
    interrupted,
    json_object,
    task_folder,
    tasks_folder_name,
    write_summary,
)
from _suite import (  # noqa: E402
    CELLS_KEPT,
    check_summary,
    check_test_rows,
    csv_lock,
    drop_cut_row,
    rows_kept,
    say_skipped_sizes,
    whole_rows,
)
from bench_bundled_pfn import auc, datasets, load_task  # noqa: E402

from llmboost.benchmarks.datasets import stratified_subsample  # noqa: E402
from llmboost.benchmarks.results import replace_whole  # noqa: E402
from llmboost.boosters import make_booster  # noqa: E402
from llmboost.scale_search import (  # noqa: E402
    ANCHOR_SIGNAL,
    CLASSIFICATION_SCALES,
    EVIDENCE,
    SUBSAMPLES,
    CVScorer,
    ensemble_selection,
    half_rows,
    make_folds,
    margin_to_output,
    paired_gain,
    prior_folds,
    prior_margin,
    ranking_signal,
    round_prefixes,
    row_loss,
    select,
    subagged_selection,
)

SIZES = (32, 64, 128, 256, 512, 1024)
FIELDS = ["prior", "dataset", "size", "seed", "rule", "auc", "log_loss", "scale", "trees", "n_test"]


def make_prior(name: str, seed: int):
    """The prior of a suite: ``"pfn"``, ``"llm"`` or ``"constant"``.

    Parameters
    ----------
    name : str
    seed : int

    Returns
    -------
    Prior
    """
    from llmboost import LLMPrior, SklearnPrior
    from llmboost.priors import BundledPFNPrior

    if name == "pfn":
        return BundledPFNPrior(random_state=seed)
    if name == "llm":
        return LLMPrior()
    if name == "constant":
        from sklearn.dummy import DummyClassifier

        return SklearnPrior(DummyClassifier(strategy="prior"), preprocess=False)
    raise ValueError(name)


def candidates_of(
    prior_name, X, y, X_test, seed, prior_cv=5, booster_params=None, repeats=1
) -> dict:
    """Pooled out-of-fold and test margins of every (scale, rounds) candidate.

    Parameters
    ----------
    prior_name : str
    X : DataFrame
        Training rows.
    y : ndarray
    X_test : DataFrame
    seed : int
    prior_cv : int, default=5
        Folds of the prior's out-of-fold margin (the trees always use 5); 0 is
        leave-one-out (each row scored with every other row as the context).
    booster_params : dict, default=None
        Over the package's XGBoost defaults.
    repeats : int, default=1
        Splits into folds; each candidate's out-of-fold margins are averaged over them
        (rows every split scores; the fold numbers are the first split's).

    Returns
    -------
    dict
        Candidate names, margins, labels and the prior's signals.
    """
    classes, y_enc = np.unique(y, return_inverse=True)
    prior = make_prior(prior_name, seed)
    splits = [
        _split_candidates(prior, X, y, y_enc, classes, seed, r, prior_cv, booster_params)
        for r in range(repeats)
    ]
    z, z_test = splits[0]["z"], prior_margin(prior.fit(X, y).logits(X_test), "classification")
    names, test = [], []
    for s in CLASSIFICATION_SCALES:
        booster = make_booster("xgboost", booster_params, "classification", seed)
        booster.fit(X, y_enc, None if s == 0 else s * z)
        for r in round_prefixes(100):
            names.append((s, r))
            test.append(booster.predict_margin(X_test, None if s == 0 else s * z_test, r))
    for s in CLASSIFICATION_SCALES[1:]:
        names.append((s, 0))
        test.append(s * z_test)
    tested = np.logical_and.reduce([d["tested"] for d in splits])
    return {"names": np.array(names), "test": np.stack(test), "classes": classes,
            "oof": np.mean([d["oof"][:, tested] for d in splits], axis=0),
            "null": np.mean([d["null"][tested] for d in splits], axis=0),
            "y": y_enc[tested], "fold": splits[0]["fold"][tested]}  # fmt: skip


def _split_candidates(prior, X, y, y_enc, classes, seed, r, prior_cv, booster_params) -> dict:
    """Split ``r``'s out-of-fold margins of every candidate (all rows; ``tested`` marks the
    scored ones), in :func:`candidates_of`'s order."""
    seed += 1000 * r
    folds = make_folds(y, 5, "classification", seed)
    if prior_cv == 0:  # leave one out: every row's context is all the other rows
        pfolds = [(np.delete(np.arange(len(y)), i), np.array([i])) for i in range(len(y))]
    else:
        pfolds = folds if prior_cv == 5 else make_folds(y, prior_cv, "classification", seed)
    z = prior_margin(prior.oof_logits(X, y, prior_folds(pfolds, len(y))), "classification")
    cv = CVScorer(X, y, y_enc, classes, z, folds, task="classification", booster="xgboost",
                  random_state=seed)  # fmt: skip
    grid = cv.oof_grid(CLASSIFICATION_SCALES, booster_params, round_prefixes(100))
    oof = [m for s in CLASSIFICATION_SCALES for m in grid[s]]
    oof += [s * z for s in CLASSIFICATION_SCALES[1:]]
    tested = np.zeros(len(y), dtype=bool)
    tested[cv.tested_rows()] = True
    fold_id = np.zeros(len(y), dtype=int)
    for i, (_, rows) in enumerate(folds):
        fold_id[rows] = i
    null = null_margin(y_enc, folds, "classification", len(classes))
    return {"z": z, "oof": np.stack(oof), "tested": tested, "fold": fold_id, "null": null}


def null_margin(y_encoded, folds, task: str, n_classes: int) -> np.ndarray:
    """Out-of-fold margin of the model that knows only the training folds' label mix.

    Parameters
    ----------
    y_encoded : ndarray of shape (n,)
    folds : list of (train, test) index arrays
    task : {"classification", "regression"}
    n_classes : int

    Returns
    -------
    ndarray
    """
    width = () if task == "regression" or n_classes == 2 else (n_classes,)
    out = np.zeros((len(y_encoded),) + width)
    for train, test in folds:
        if task == "regression":
            out[test] = y_encoded[train].mean()
            continue
        out[test] = _mix_margin(y_encoded[train], n_classes)
    return out


def _mix_margin(y_encoded: np.ndarray, n_classes: int) -> np.ndarray:
    """Margin of the class frequencies of ``y_encoded``, each class counted half a row
    more; binary: the log-odds of class 1."""
    freq = np.bincount(y_encoded, minlength=n_classes) + 0.5
    logits = np.log(freq / freq.sum())
    return logits[1] - logits[0] if n_classes == 2 else logits


def label_mix_signal(prior_oof, null_oof, y) -> float:
    """Standard errors by which the prior's per-row log loss beats the label mix's.

    Parameters
    ----------
    prior_oof, null_oof : ndarray
        Out-of-fold margins of the prior and of :func:`null_margin`.
    y : ndarray
        Class codes.

    Returns
    -------
    float
    """
    binary = prior_oof.ndim == 1
    diff = row_loss(null_oof, y, "classification", binary) - row_loss(
        prior_oof, y, "classification", binary
    )
    gain, spread = paired_gain(diff, np.ones(len(y)))
    return float(gain / spread) if spread > 0 else 0.0


def rules(data: dict, seed: int) -> dict:
    """Weights over candidates for every rule compared.

    Parameters
    ----------
    data : dict
        From :func:`candidates_of`.
    seed : int
        The cell's seed (the subagged rules draw their halves from it, as the package does
        from ``random_state``).

    Returns
    -------
    dict of str to ndarray
        Weights over the candidates and, last, the label mix (used by :data:`NULL_RULES`).
    """
    names = [(float(s), int(r)) for s, r in data["names"]]
    oof, y = data["oof"], data["y"]
    binary = oof.ndim == 2
    losses = row_loss(oof, y, "classification", binary)
    pooled = losses.mean(axis=1)
    folds = np.unique(data["fold"])
    fold_mean = np.mean([losses[:, data["fold"] == f].mean(axis=1) for f in folds], axis=0)
    prior_i = names.index((1.0, 0))
    full_rounds = [i for i, (s, r) in enumerate(names) if r == 100] + [prior_i]
    out = {}

    def one(i):
        w = np.zeros(len(names))
        w[i] = 1.0
        return w

    out["prior alone"] = one(prior_i)
    out["xgboost alone (scale 0)"] = one(names.index((0.0, 100)))
    out["v1: scales x 100 rounds, mean fold log loss"] = one(
        full_rounds[int(np.argmin(fold_mean[full_rounds]))]
    )
    best = int(np.argmin(pooled))
    out["best (scale, rounds), pooled log loss"] = one(best)
    t = label_mix_signal(oof[prior_i], data["null"], y)
    z = ranking_signal(oof[prior_i], y, "classification")
    default = min(EVIDENCE, max(0.0, z))
    for label, anchor, ev in [
        ("ensemble from best, evidence 0", best, 0.0),
        ("ensemble from prior, evidence 0", prior_i, 0.0),
        ("ensemble from prior, evidence 1", prior_i, 1.0),
        ("ensemble from prior, evidence 2", prior_i, 2.0),
        ("evidence 1 if prior beats label mix (log loss) by 2 SE, else 0", prior_i,
         1.0 if t >= 2 else 0.0),
        ("evidence 2 if prior ranks above chance by 1 SE, else 0", prior_i,
         2.0 if z >= 1 else 0.0),
        ("evidence 2 if prior ranks above chance by 2 SE, else 0", prior_i,
         2.0 if z >= 2 else 0.0),
        ("evidence = prior's ranking signal, at most 1", prior_i, min(1.0, max(0.0, z))),
        (PREVIOUS, prior_i, default),
        ("evidence = ranking signal, at most 3", prior_i, min(3.0, max(0.0, z))),
        ("evidence = ranking signal, at most sqrt(2 ln candidates)", prior_i,
         min(np.sqrt(2 * np.log(len(names))), max(0.0, z))),
    ]:  # fmt: skip
        counts = ensemble_selection(oof, y, "classification", anchor, evidence=ev)
        out[label] = counts / counts.sum()
    chosen = out[PREVIOUS]
    for label, repeats, gate in [
        ("default, kept only if it beats the prior on held-out halves", 5, -np.inf),
        ("same, checked only when the prior ranks above chance by 1 SE", 5, 1.0),
        ("same, checked only when the prior ranks above chance by 2 SE", 5, 2.0),
    ]:  # fmt: skip
        if z < gate:
            out[label] = chosen
            continue
        gain = honest_gain(oof, y, prior_i, default, np.random.default_rng(0), repeats)
        out[label] = chosen if gain > 0 else one(prior_i)
    out[SUBAGGED] = subagged_selection(oof, y, "classification", prior_i,
                                       np.random.default_rng(seed), evidence=default)  # fmt: skip
    every_row = SimpleNamespace(tested_rows=lambda: np.arange(len(y)), y_encoded=y,
                                task="classification", sample_weight=None, random_state=seed,
                                n_jobs=None)  # fmt: skip
    out[DEFAULT] = select(names, list(oof), every_row)  # the package's own rule
    from_trees = "same, from XGBoost alone (scale 0, evidence 0) instead"
    out[from_trees] = out[SUBAGGED]
    if z <= ANCHOR_SIGNAL:  # near chance: start unprotected from the trees alone
        out[from_trees] = subagged_selection(oof, y, "classification", names.index((0.0, 100)),
                                             np.random.default_rng(seed), evidence=0.0)  # fmt: skip
    _near_chance_variants(out, data, seed, z, prior_i)
    for label, draw, per_draw in [
        (UNRESTRICTED, "halves", False),
        ("same, evidence measured on each half", "halves", True),
        ("same on 25 stratified bootstrap samples", "bootstrap", False),
    ]:  # fmt: skip
        rng, total = np.random.default_rng(seed), np.zeros(len(names))
        for _ in range(SUBSAMPLES):
            rows = half_rows(y, "classification", rng) if draw == "halves" else _bootstrap(y, rng)
            ev = default
            if per_draw:
                ev = min(EVIDENCE, max(0.0, ranking_signal(oof[prior_i][rows], y[rows],
                                                           "classification")))  # fmt: skip
            counts = ensemble_selection(oof[:, rows], y[rows], "classification", prior_i,
                                        evidence=ev)  # fmt: skip
            total += counts / counts.sum()
        out[label] = total / SUBSAMPLES
    return {label: w if label in NULL_RULES else np.append(w, 0.0) for label, w in out.items()}


#: Rules whose weights include the label mix (``data["null"]``) as a last candidate.
NULL_RULES = (
    "default, but from the label mix (a constant at the training class frequencies)"
    " instead of the tempered prior",
)


def _near_chance_variants(out: dict, data: dict, seed: int, z: float, prior_i: int) -> None:
    """Variants of the default's start for a prior near chance, added to ``out``.

    Parameters
    ----------
    out : dict
        Rules so far; must hold :data:`DEFAULT` and :data:`SUBAGGED`.
    data : dict
        From :func:`candidates_of`.
    seed : int
    z : float
        The prior's ranking signal.
    prior_i : int
        Index of the prior alone.
    """
    oof, y = data["oof"], data["y"]
    label = (
        "default, but the tempered start only when the prior's log loss is also no better"
        " than the label mix's"
    )
    out[label] = out[DEFAULT]
    if label_mix_signal(oof[prior_i], data["null"], y) > 0:  # the prior beats the mix
        out[label] = out[SUBAGGED]
    label = "default, but protection = ranking signal minus 1 (at most 2)"
    out[label] = out[DEFAULT]
    if z > ANCHOR_SIGNAL:
        out[label] = subagged_selection(oof, y, "classification", prior_i,
                                        np.random.default_rng(seed),
                                        evidence=min(EVIDENCE, z - 1.0))  # fmt: skip
    label = NULL_RULES[0]
    out[label] = np.append(out[DEFAULT], 0.0)
    if z <= ANCHOR_SIGNAL:
        with_null = np.concatenate([oof, data["null"][None]])
        out[label] = subagged_selection(with_null, y, "classification", len(oof),
                                        np.random.default_rng(seed), evidence=0.0)  # fmt: skip


def null_test_margin(y_encoded: np.ndarray, n_classes: int, n_test: int) -> np.ndarray:
    """The label mix of all training rows as a test margin (:func:`null_margin`'s refit).

    Parameters
    ----------
    y_encoded : ndarray of shape (n,)
    n_classes : int
    n_test : int

    Returns
    -------
    ndarray of shape (n_test,) or (n_test, n_classes)
    """
    margin = _mix_margin(y_encoded, n_classes)
    return np.full(n_test, margin) if n_classes == 2 else np.tile(margin, (n_test, 1))


def _bootstrap(y, rng) -> np.ndarray:
    """Rows drawn with replacement within each class, as many as the class has."""
    return np.concatenate([rng.choice(r, len(r)) for r in (np.flatnonzero(y == c)
                                                           for c in np.unique(y))])  # fmt: skip


def honest_gain(oof, y, anchor, evidence, rng, repeats=5) -> float:
    """Mean per-row log-loss gain over the anchor of ensembles chosen on the other half.

    The rows are split in two halves ``repeats`` times; an ensemble selected on one half
    is scored against the anchor alone on the other, so the estimate is not biased by
    the selection.

    Parameters
    ----------
    oof : ndarray of shape (n_candidates, n) or (n_candidates, n, k)
    y : ndarray of shape (n,)
    anchor : int
    evidence : float
    rng : numpy Generator
    repeats : int, default=5

    Returns
    -------
    float
    """
    binary = oof.ndim == 2
    gains = []
    for _ in range(repeats):
        perm = rng.permutation(len(y))
        half = len(y) // 2
        for a, b in ((perm[:half], perm[half:]), (perm[half:], perm[:half])):
            counts = ensemble_selection(oof[:, a], y[a], "classification", anchor,
                                        evidence=evidence)  # fmt: skip
            mix = np.tensordot(counts / counts.sum(), oof[:, b], axes=1)
            base = row_loss(oof[anchor][b], y[b], "classification", binary)
            gains.append(float(np.mean(base - row_loss(mix, y[b], "classification", binary))))
    return float(np.mean(gains))


def _variant(prior_cv=5, booster_params=None, repeats=1) -> str:
    """What a run changes from the default set-up, e.g. ``", prior cv 10"``."""
    tag = "" if prior_cv == 5 else f", prior cv {prior_cv or 'leave-one-out'}"
    tag += "" if repeats == 1 else f", {repeats} splits"
    return tag + "".join(f", {k}={v}" for k, v in sorted((booster_params or {}).items()))


def _cache_path(cache: Path, prior_name, name, size, seed, setup=()) -> Path:
    tag = "".join(c if c.isalnum() or c in "=." else "_" for c in _variant(*setup))
    return cache / f"{prior_name}{tag}_{name}_{size}_{seed}.npz"


def _task_key(name: str, train: pd.DataFrame, ytr: np.ndarray, test: pd.DataFrame) -> str:
    """The task's name and a digest of its rows: the cache of another ``--max-test``,
    ``--data-dir`` or edited files is another one."""
    digest = hashlib.sha256()
    for part in (train, pd.Series(ytr), test):
        digest.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
    return f"{name}-{digest.hexdigest()[:12]}"


def cell(prior_name, name, size, seed, train, ytr, test, cache: Path, setup=()) -> dict:
    """The cell's candidates, computed once and kept in ``cache``.

    Parameters
    ----------
    prior_name, name : str
        The prior and the task (its key, :func:`_task_key`).
    size, seed : int
    train : DataFrame
    ytr : ndarray
    test : DataFrame
    cache : Path
        Folder of the cached ``.npz`` files.
    setup : tuple, default=()
        ``(prior_cv, booster_params, repeats)`` of :func:`candidates_of`, or a prefix.

    Returns
    -------
    dict
    """
    path = _cache_path(cache, prior_name, name, size, seed, setup)
    if path.exists():
        with np.load(path, allow_pickle=False) as f:
            return dict(f)
    rows = stratified_subsample(ytr, size, seed)
    X, y = train.iloc[rows].reset_index(drop=True), ytr[rows]
    data = candidates_of(prior_name, X, y, test, seed, *setup)
    cache.mkdir(parents=True, exist_ok=True)

    def write(part: Path) -> None:
        with part.open("xb") as fh:
            np.savez_compressed(fh, **data)

    replace_whole(path, write)  # a stop while writing leaves no cut file
    return data


def run(args) -> None:
    """Score every rule on every missing cell and append the rows to ``args.csv``.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    None
    """
    path = Path(args.csv[0])
    done, fields = _finished(path, _rule_names())
    names_all, _ = datasets(args.datasets)
    cache = Path(args.cache)
    setup = (args.prior_cv, args.booster_params, args.repeats)
    label = args.prior + _variant(*setup)
    tasks = {name: load_task(name, args.max_test) for name in names_all}
    # one test cap per prior: the language model's cells are capped lower on purpose
    check_test_rows(path, {name: len(task[3]) for name, task in tasks.items()}, {"prior": label})
    say_skipped_sizes({name: len(task[1]) for name, task in tasks.items()}, args.sizes)
    uncached, scored, kept = 0, 0, 0
    keys = {name: _task_key(name, *task[:3]) for name, task in tasks.items()}
    for seed in args.seeds:  # seed-major, so a partial run covers every size and task
        for size in args.sizes:
            for name, (train, ytr, test, yte, _) in tasks.items():
                if size > len(ytr):  # as bench_bundled_pfn.py: no size above the training rows
                    continue
                if (label, name, size, seed) in done:
                    kept += 1
                    continue
                key = keys[name]
                if (
                    args.cached_only
                    and not _cache_path(cache, args.prior, key, size, seed, setup).exists()
                ):
                    uncached += 1
                    continue
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    data = cell(args.prior, key, size, seed, train, ytr, test, cache, setup)
                    rows = _rule_rows(data, yte, [label, name, size, seed])
                _append(path, fields, rows)
                done.add((label, name, size, seed))  # named twice: runs once
                scored += 1
                print(f"{args.prior} {name} n={size} seed={seed} "
                      f"{time.perf_counter() - start:.1f}s", flush=True)  # fmt: skip
    _say_uncached(uncached, scored, f"{cache} (prior {label})")
    if not scored and not uncached:
        why = "every size is above the tasks' training rows"
        why = f"the run's {kept} cell(s) are all in it already" if kept else why
        print(f"nothing to score into {path}: {why}", file=sys.stderr, flush=True)


def _append(path: Path, fields: list[str], rows: list[dict]) -> None:
    """Append a cell's rows to the CSV at ``path`` in one write (the header first when it
    is new): a stop keeps all or none of them (else :func:`_finished` drops the first
    ones), and a run that scores nothing writes no file."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fields, extrasaction="ignore")
    if not path.exists() or not path.stat().st_size:
        writer.writeheader()
    writer.writerows(rows)
    with path.open("a", newline="") as fh:
        fh.write(text.getvalue())


def _say_uncached(uncached: int, scored: int, where: str) -> None:
    """Say on stderr how many cells ``--cached-only`` left unscored, not being cached in
    ``where``; like sizes above a task's rows, they are skipped (exit status 0)."""
    if not uncached:
        return
    total = uncached + scored
    what = (
        f"none of the {total} cells to score is"
        if not scored
        else f"{uncached} of the {total} cells to score are not"
    )
    print(
        f"--cached-only: {what} in --cache {where}: "
        f"{'nothing was' if not scored else 'those were not'} scored; run without "
        "--cached-only to fit them",
        file=sys.stderr,
        flush=True,
    )


def _rule_rows(data: dict, yte: np.ndarray, key: list) -> list[dict]:
    """The CSV rows of the cell ``key`` (prior, dataset, size, seed): every rule's test
    scores, scale and trees."""
    seed = key[3]
    names = [(float(s), int(r)) for s, r in data["names"]]
    names.append((0.0, 0))  # the label mix, see NULL_RULES
    null = null_test_margin(data["y"], len(data["classes"]), data["test"].shape[1])
    test_margins = np.concatenate([data["test"], null[None]])
    rows = []
    for rule, w in rules(data, seed).items():
        proba = margin_to_output(np.tensordot(w, test_margins, axes=1), "classification")
        used = [names[i] for i in np.flatnonzero(w)]
        rows.append({
            **dict(zip(FIELDS[:4], key)), "rule": rule,
            "auc": auc(yte, proba, data["classes"]),
            "log_loss": _log_loss(yte, proba, data["classes"]),
            "scale": float(sum(w[i] * names[i][0] for i in np.flatnonzero(w))),
            "trees": ";".join(f"{s:g}x{r}" for s, r in used if r),
            "n_test": len(yte),
        })  # fmt: skip
    return rows


def _finished(path: Path, rule_names: list[str]) -> tuple[set, list[str]]:
    """The ``(prior, dataset, size, seed)`` cells in the CSV at ``path``, and the columns
    to append with: :data:`FIELDS`, or the file's own (files from before ``n_test`` lack
    it, and keep their layout); a cell a stop cut short is dropped first: a row cut
    short, or only the first of ``rule_names`` (the run's rules, in order)."""
    cut = drop_cut_row(path)  # and the rows of the last cell left: it may be that one
    if path.exists():
        lines = path.read_bytes().splitlines(keepends=True)
        rows = list(csv.reader(line.decode() for line in lines))
        end = len(lines)
        while end > 1 and not rows[end - 1]:  # blank lines, which readers skip
            end -= 1
        n = end
        while n > 1 and rows[n - 1][:4] == rows[end - 1][:4]:
            n -= 1
        last = [row[4] if len(row) > 4 else None for row in rows[n:end]]  # the rule: fifth
        if cut or len(last) < len(rule_names) and last == rule_names[: len(last)]:
            with path.open("r+b") as fh:
                fh.truncate(sum(map(len, lines[:n])))
    if not path.exists() or not path.stat().st_size:
        return set(), FIELDS
    with path.open() as fh:
        reader = csv.DictReader(fh)
        cells = {}
        for r in reader:
            key = (r["prior"], r["dataset"], int(r["size"]), int(r["seed"]))
            cells.setdefault(key, set()).add(r["rule"])
    _say_missing_rules(path, cells, rule_names)
    return set(cells), list(reader.fieldnames)


def _say_missing_rules(path: Path, cells: dict, rule_names: list[str]) -> None:
    """Say on stderr which cells of ``path`` lack which of ``rule_names`` (a results file
    of an earlier set of rules, or files put together): they stay done, and a summary
    would compare those rules on fewer cells."""
    lacking = {}
    for key, rules_of in cells.items():
        if missing := tuple(r for r in rule_names if r not in rules_of):
            lacking.setdefault(missing, []).append("/".join(map(str, key)))
    for missing, keys in lacking.items():
        more = f" and {len(keys) - 5} more" if len(keys) > 5 else ""
        print(
            f"{path}: {len(missing)} of the {len(rule_names)} rules ({'; '.join(missing)}) "
            f"missing from {len(keys)} cell(s), kept as done: {', '.join(keys[:5])}{more} "
            "(prior/dataset/size/seed); give another --csv to score every rule on them",
            file=sys.stderr,
            flush=True,
        )


def _rule_names() -> list[str]:
    """The rules :func:`rules` scores, in order: the same for every cell, so read off one
    of eight rows with nothing to learn."""
    names = [(s, r) for s in CLASSIFICATION_SCALES for r in round_prefixes(100)]
    names += [(s, 0) for s in CLASSIFICATION_SCALES[1:]]
    y = np.arange(8) % 2
    data = {"names": np.array(names), "oof": np.zeros((len(names), 8)), "y": y, "fold": y,
            "null": np.zeros(8)}  # fmt: skip
    return list(rules(data, 0))


def _log_loss(y_true, proba, classes) -> float:
    index = {c: i for i, c in enumerate(classes)}
    rows = np.array([index.get(c, -1) for c in y_true])
    p = np.where(rows >= 0, proba[np.arange(len(rows)), np.maximum(rows, 0)], 0.0)
    return float(-np.log(np.clip(p, 1e-15, None)).mean())


SUBAGGED = (
    "subagged: the previous default on 25 stratified halves, averaged, among the"
    " candidates it picks on all rows when the prior is protected"
)
#: The default until ``fusion_rules_v7.md``, as earlier results files name it.
SUBAGGED_DEFAULT = SUBAGGED + " (default)"
DEFAULT = (
    "same, but from the prior at scale 0.01 (evidence 0) when it ranks at most"
    f" {ANCHOR_SIGNAL:g} standard error above chance (default)"
)
UNRESTRICTED = "subagged: the previous default on 25 stratified halves, averaged"
PREVIOUS = "evidence = prior's ranking signal, at most 2 (previous default)"
BASELINES = Path(__file__).resolve().parent / "results" / "bundled_pfn.csv"


def summary(csv_paths: list[str], md_path: str) -> None:
    """Write the markdown summary of every rule per prior and size.

    Parameters
    ----------
    csv_paths : list of str
        Result files; a cell in several of them counts once, with its last rows.
    md_path : str

    Returns
    -------
    None
    """
    frames = [whole_rows(p) for p in csv_paths if Path(p).stat().st_size]  # 0 bytes: no cell
    frame = pd.concat(frames, ignore_index=True)
    frame = frame.drop_duplicates(["prior", "dataset", "size", "seed", "rule"], keep="last")
    lines = ["# Fusion rules compared", "", "Produced by `benchmarks/bench_fusion_rules.py` "
             "(commands at the top of that script).", ""]  # fmt: skip
    for prior, part in frame.groupby("prior", sort=False):
        cells = part.groupby(["dataset", "size", "seed"]).ngroups
        lines += [f"## Prior: {prior} ({cells} cells)", ""]
        counts = part.groupby("size")[["dataset", "seed"]].apply(lambda g: len(g.drop_duplicates()))
        lines += ["Cells per size: " + ", ".join(f"{s}: {c}" for s, c in counts.items()), ""]
        lines += _targets(part, prior)
        for metric in ("auc", "log_loss"):
            table = part.pivot_table(index="rule", columns="size", values=metric, aggfunc="mean")
            table = table.reindex(part["rule"].drop_duplicates())
            lines += [f"Mean {metric.replace('_', ' ')}:", ""]
            lines += _markdown(table, "rule")
    write_summary(md_path, "\n".join(lines) + "\n")


def _markdown(table: pd.DataFrame, first: str, cell=lambda v: f"{v:.4f}") -> list[str]:
    out = [f"| {first} | " + " | ".join(str(c) for c in table.columns) + " |"]
    out.append("|---" * (len(table.columns) + 1) + "|")
    for name, row in table.iterrows():
        out.append(f"| {name} | " + " | ".join(cell(v) for v in row) + " |")
    return out + [""]


def _targets(part: pd.DataFrame, prior: str) -> list[str]:
    """The default rule against the prior alone, XGBoost alone and the classical baselines."""
    keys = ["dataset", "size", "seed"]
    default = DEFAULT if (part["rule"] == DEFAULT).any() else SUBAGGED_DEFAULT
    rows = {"default rule": part[part["rule"] == default],
            "prior alone": part[part["rule"] == "prior alone"],
            "xgboost alone (scale 0)": part[part["rule"] == "xgboost alone (scale 0)"]}  # fmt: skip
    table = pd.DataFrame({k: v.groupby("size")["auc"].mean() for k, v in rows.items()}).T
    loss = pd.DataFrame({k: v.groupby("size")["log_loss"].mean() for k, v in rows.items()}).T
    best = "best of lr, rf, xgb (bench_bundled_pfn.py, same cells)"
    if prior == "pfn" and BASELINES.exists():
        base = pd.read_csv(BASELINES)
        base = base[base["method"].isin(["lr", "rf", "xgb"])]
        cells = rows["default rule"][keys]
        base = base.merge(cells, on=keys)
        means = base.groupby(["size", "method"])["auc"].mean().unstack()
        if len(means):  # none for seeds that benchmark did not run
            table.loc[best] = means.max(axis=1)
            top = means.idxmax(axis=1)  # per size, the baseline with the best mean
            rows[best] = base[base["method"] == base["size"].map(top)]
    return (
        ["Targets: mean AUC of the default rule and references on the same cells:", ""]
        + _markdown(table, "AUC")
        + ["Mean log loss:", ""]
        + _markdown(loss, "log loss")
        + _paired(rows)
    )


def _paired(rows: dict) -> list[str]:
    """The default rule's mean AUC minus each reference's, with the standard error of the
    paired per-cell differences, per size."""
    keys = ["dataset", "size", "seed"]
    mine = rows["default rule"][keys + ["auc"]]
    lines = ["Default rule minus reference, mean AUC (standard error of the paired "
             "per-cell differences):", ""]  # fmt: skip
    table = {}
    for name, ref in rows.items():
        if name == "default rule":
            continue
        both = mine.merge(ref[keys + ["auc"]], on=keys, suffixes=("", "_ref"))
        diff = (both["auc"] - both["auc_ref"]).groupby(both["size"])
        table[name] = {
            size: f"{d.mean():+.4f} ({d.std(ddof=1) / np.sqrt(len(d)):.4f})" for size, d in diff
        }
    return lines + _markdown(pd.DataFrame(table).T, "reference", cell=str)


def _prior_cv(text: str) -> int:
    """``--prior-cv``: 0 (leave-one-out) or at least 2 folds, else a usage error."""
    value = int(text) if re.fullmatch("[0-9]+", text) else 1
    if value == 1:
        raise argparse.ArgumentTypeError(
            f"invalid value {text!r}: use 0 (leave-one-out) or an integer >= 2"
        )
    return value


def _check_summary_options(parser: argparse.ArgumentParser) -> None:
    """Stop with a usage error naming the options of a run given with ``--md``, which runs
    nothing (they were ignored; the suites' ``--md`` runs their cells first)."""
    given = given_options(parser, None, ("--md", "--csv", "--data-dir"))
    if given:
        parser.error(
            f"argument --md: writes the summary of --csv and runs nothing, so {', '.join(given)} "
            "would not be used: drop them, or run the cells first without --md"
        )


def main() -> None:
    """Run the comparison (or only its summary) as the options say.

    Returns
    -------
    None
    """
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter, description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--prior", choices=["pfn", "llm", "constant"], default="pfn", help="the prior fused"
    )
    parser.add_argument(
        "--csv",
        nargs="+",
        default=["benchmarks/results/fusion_rules.csv"],
        help="results file (several with --md)",
    )
    parser.add_argument(
        "--md",
        default=None,
        help="only write the summary from --csv (a cell in several files counts once: its last)",
    )
    parser.add_argument(
        "--datasets", nargs="+", default=None, help="task folders of --data-dir (default: all)"
    )
    parser.add_argument(
        "--data-dir",
        type=tasks_folder_name,
        default=bench_bundled_pfn.DATASETS,
        help="folder of task folders (train.csv, test.csv, meta.json); default: the shared ones",
    )
    parser.add_argument("--sizes", nargs="+", type=SIZE, default=list(SIZES), help="training rows")
    parser.add_argument(
        "--seeds", nargs="+", type=SEED, default=list(range(5)), help="subsample seeds"
    )
    parser.add_argument(
        "--max-test", type=SIZE, default=1000, help="cap on test rows, a fixed subset"
    )
    parser.add_argument(
        "--prior-cv",
        type=_prior_cv,
        default=5,
        help="folds of the prior's out-of-fold margin, 2 or more (0: leave-one-out)",
    )
    parser.add_argument(
        "--booster-params", type=json_object, default=None, help="JSON, over XGBoost's defaults"
    )
    parser.add_argument(
        "--repeats", type=count(1), default=1, help="splits into folds, margins averaged over them"
    )
    parser.add_argument(
        "--cache",
        type=folder_name,
        default=str(Path.home() / ".cache/llmboost/fusion_rules"),
        help="candidate margins per cell, kept per task rows (rules are re-scored from them)",
    )
    parser.add_argument(
        "--cached-only",
        action="store_true",
        help="score only cells in --cache (no new fits; how many were not is said on stderr)",
    )
    args = parser.parse_args()
    check_summary_file("--md", args.md)
    if args.cache.exists() and not args.cache.is_dir():  # else a traceback after a cell
        parser.error(
            f"argument --cache: {args.cache} is a file; give a folder (created if missing)"
        )
    if not args.md and len(args.csv) > 1:
        parser.error("argument --csv: a run writes one results file; give several only with --md")
    if args.md:
        _check_summary_options(parser)
    try:  # before any cell: a bad one stopped the first cell's search with a traceback
        make_booster("xgboost", args.booster_params, "classification", 0)
    except (TypeError, ValueError) as err:
        parser.error(f"argument --booster-params: {err}")
    bench_bundled_pfn.DATASETS = task_folder(parser, args.data_dir)
    if args.md:
        check_summary(args.md, args.csv, "--csv")  # each results file there, with cells
        summary(args.csv, args.md)
    else:
        try:
            with csv_lock(args.csv[0]):
                run(args)
        except KeyboardInterrupt:
            interrupted(rows_kept(args.csv[0]))


__all__ = [
    "BASELINES",
    "DEFAULT",
    "FIELDS",
    "SIZES",
    "candidates_of",
    "cell",
    "label_mix_signal",
    "main",
    "make_prior",
    "null_margin",
    "null_test_margin",
    "rules",
    "run",
    "summary",
]


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        interrupted(CELLS_KEPT)
