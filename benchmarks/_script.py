"""What every benchmark script shares: the shared tasks, the checks of its options before
any work, timing, and writing its summary.

The scripts run as ``python benchmarks/NAME.py``, so this folder is on ``sys.path`` and
they import this module as ``_script``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd

from llmboost.benchmarks.cli import count
from llmboost.benchmarks.results import replace_whole
from llmboost.pfn._pretrain_cli import THREADS_PER_CPU, DefaultsHelpFormatter

#: The shared benchmark tasks: one folder each with train.csv, test.csv and meta.json.
DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
if not DATASETS.is_dir():
    DATASETS = Path("/work/shared/datasets")


def usage_error(message: str) -> NoReturn:
    """Stop as argparse does on a usage error: ``SCRIPT: error: message``, exit status 2."""
    print(f"{Path(sys.argv[0]).name}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


#: What a stop keeps of a script that writes its files once at the end.
NOTHING_KEPT = "only what was printed above is kept (files are written at the end); run it again"


def interrupted(kept: str = NOTHING_KEPT) -> NoReturn:
    """Stop on Ctrl-C with one line on stderr saying what the run kept and how to go on,
    exit status 130 (the shell's for Ctrl-C), not a traceback.

    Parameters
    ----------
    kept : str, default=NOTHING_KEPT
        What was kept, e.g. ``"12 result rows kept in r.csv; ..."``.
    """
    print(f"\n{Path(sys.argv[0]).name}: interrupted: {kept}", file=sys.stderr, flush=True)
    raise SystemExit(130)


def given_options(parser: argparse.ArgumentParser, argv, keep=()) -> list[str]:
    """The options given in ``argv``, in their order, by their first name, but those
    named in ``keep``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        Parses ``argv`` (its defaults are left as they were).
    argv : list of str or None
        ``None``: this process's command line.
    keep : sequence of str, default=()
        Options left out, e.g. ``("--csv", "--md")``.

    Returns
    -------
    list of str
    """
    actions = [a for a in parser._actions if a.option_strings]
    defaults = [a.default for a in actions]
    for action in actions:  # only the options given are parsed
        action.default = argparse.SUPPRESS
    try:
        given = vars(parser.parse_args(argv))
    finally:
        for action, default in zip(actions, defaults):
            action.default = default
    names = {a.dest: a.option_strings[0] for a in actions}
    return [names[dest] for dest in given if names[dest] not in keep]


def check_summary_only(parser: argparse.ArgumentParser, args, argv) -> None:
    """Stop with a usage error naming the options of a run given with ``--summary-only``,
    which runs no cell (they were ignored without a word).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        Parsed ``argv``; reports the error.
    args : argparse.Namespace
        Its options.
    argv : list of str or None
        ``None``: this process's command line.

    Returns
    -------
    None
    """
    if not args.summary_only:
        return
    read = ("--csv", "--md", "--summary-only", "--inputs", "--notes", "--command", "--data-dir")
    if unused := given_options(parser, argv, read):
        parser.error(
            f"argument --summary-only: writes --md from the results and runs no cell, so "
            f"{', '.join(unused)} would not be used: drop them, or run the cells first "
            "without --summary-only"
        )


def check_summary_file(option: str, path) -> None:
    """Stop with a usage error when ``path``, the file a summary goes to, is a folder: said
    before the run, not once it is over (:func:`write_summary` refuses it then).

    Parameters
    ----------
    option : str
        The option naming it, in the message.
    path : str or Path or None
        ``None``: no summary file.

    Returns
    -------
    None
    """
    if path is not None and not str(path).strip():  # an unset shell variable
        usage_error(f"argument {option}: it is empty; give a file name")
    if path is not None and Path(path).is_dir():
        usage_error(f"argument {option}: {path} is a folder; give a file name")


def file_name(text: str) -> Path:
    """An argparse type: a file's path, else a usage error when it is empty (an unset
    shell variable, which ``Path`` reads as the current folder).

    Parameters
    ----------
    text : str

    Returns
    -------
    Path
    """
    return _not_empty(text, "give a file name")


def folder_name(text: str) -> Path:
    """An argparse type: a folder's path, else a usage error when it is empty, as
    :func:`file_name`."""
    return _not_empty(text, "give a folder (created if missing)")


def tasks_folder_name(text: str) -> Path:
    """An argparse type: ``--data-dir``, else a usage error when it is empty, as
    :func:`file_name` (read as the current folder, it was said to hold no task folder)."""
    return _not_empty(text, "give the folder of task folders")


def _not_empty(text: str, advice: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError(f"it is empty; {advice}")
    return Path(text)


def check_device(parser: argparse.ArgumentParser, device: str) -> None:
    """``--device`` read as the priors read it, refused as a usage error before any work
    (a name torch cannot use failed in the first fit, after the set-up)."""
    from llmboost.priors._device import torch_device

    try:
        torch_device(device, "--device")
    except ValueError as err:
        parser.error(f"argument {err}")


def check_classes(option: str, y, rows: str) -> None:
    """Stop with a usage error unless ``y`` holds two classes of two rows or more, which
    the fusion search's cross-validation needs: said before any fit, not by its traceback.

    Parameters
    ----------
    option : str
        The option that chose the rows, in the message.
    y : array-like
        The rows' labels.
    rows : str
        Which rows they are, e.g. ``"the 12 rows of income drawn with seed 3"``.

    Returns
    -------
    None
    """
    classes, counts = np.unique(np.asarray(y), return_counts=True)
    if (counts >= 2).sum() < 2:
        held = ", ".join(f"{c!r}: {n}" for c, n in zip(classes.tolist(), counts.tolist()))
        usage_error(
            f"argument {option}: {rows} hold {{{held}}}; the fusion search's cross-validation "
            "needs two classes of two rows or more: give more rows"
        )


def shared_table(
    name: str, seed: int, *, parts=("train",), rows: int | None = None
) -> tuple[pd.DataFrame, np.ndarray, dict]:
    """Shuffled rows of a shared task, its categorical columns as ``category``.

    Parameters
    ----------
    name : str
        The task's folder under :data:`DATASETS`.
    seed : int
        Seeds the shuffle.
    parts : tuple of str, default=("train",)
        The CSV files read, stacked (``("train", "test")``: all rows).
    rows : int, default=None
        Keep the first ``rows`` shuffled rows (all when ``None``).

    Returns
    -------
    frame : DataFrame
    y : ndarray
        The target column.
    meta : dict
        The task's meta.json.
    """
    folder = DATASETS / name
    meta = json.loads((folder / "meta.json").read_text())
    frame = pd.concat([pd.read_csv(folder / f"{part}.csv") for part in parts])
    frame = frame.sample(frac=1.0, random_state=seed).iloc[:rows].reset_index(drop=True)
    y = frame.pop(meta["target_column"]).to_numpy()
    for col in meta.get("categorical_columns", []):
        frame[col] = frame[col].astype("category")
    return frame, y, meta


def shared_task(name: str) -> str:
    """An argparse type: the name of a task folder of :data:`DATASETS`, else a usage error.

    Parameters
    ----------
    name : str

    Returns
    -------
    str
    """
    if not (DATASETS / name / "meta.json").is_file():
        tasks = sorted(p.parent.name for p in DATASETS.glob("*/meta.json"))
        raise argparse.ArgumentTypeError(
            f"no task {name!r} in {DATASETS}; give one of {', '.join(tasks)}"
        )
    return name


def task_folder(parser: argparse.ArgumentParser, folder: Path) -> Path:
    """``--data-dir``, or a usage error when it is no folder.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        Reports the error.
    folder : Path
        The folder of task folders.

    Returns
    -------
    Path
    """
    if not Path(folder).is_dir():
        parser.error(f"argument --data-dir: no folder {folder}; give the folder of task folders")
    return Path(folder)


def median_seconds(repeats: int, fn: Callable, *args) -> float:
    """Median wall time of ``fn(*args)`` over ``repeats`` calls.

    Parameters
    ----------
    repeats : int
    fn : callable
    *args
        Passed to ``fn``.

    Returns
    -------
    float
        Seconds.
    """
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def json_object(text: str) -> dict:
    """An argparse type: a JSON object (``{"key": value}``), else a usage error.

    Parameters
    ----------
    text : str

    Returns
    -------
    dict
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        value = err
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a JSON object; give '{{\"name\": value, ...}}'"
        )
    return value


#: Sizes and test caps are positive; seeds are those numpy, XGBoost and LightGBM take.
SIZE, SEED = count(1), count(0, 2**32 - 1)


def threads(text: str) -> int:
    """An argparse type: torch CPU threads, from 1 to ``THREADS_PER_CPU`` per CPU this
    process may use (torch failed to start 99999), else a usage error. More than those
    CPUs run, sharing them, with a warning on stderr (a command written on a larger
    machine still runs).

    Parameters
    ----------
    text : str

    Returns
    -------
    int
    """
    value = count(1)(text)
    affinity = getattr(os, "sched_getaffinity", None)
    cpus = (len(affinity(0)) if affinity else os.cpu_count()) or 1
    if value > THREADS_PER_CPU * cpus:
        raise argparse.ArgumentTypeError(
            f"invalid value {text!r}: use at most {THREADS_PER_CPU * cpus}, {THREADS_PER_CPU} "
            f"per CPU this process may use ({cpus})"
        )
    if value > cpus:
        print(
            f"{Path(sys.argv[0]).name}: warning: --threads {value} is more than the {cpus} "
            f"CPU{'s' if cpus > 1 else ''} this process may use; the threads share them",
            file=sys.stderr,
            flush=True,
        )
    return value


def command_line(script: str, argv: list[str] | None) -> str:
    """The command that ran a script, quoted for a shell: every option as given.

    Parameters
    ----------
    script : str
        The script's file name in ``benchmarks/``.
    argv : list of str or None
        Its options; ``None``: this process's command line.

    Returns
    -------
    str
    """
    options = sys.argv[1:] if argv is None else argv
    return shlex.join(["python", f"benchmarks/{script}", *map(str, options)])


def write_summary(path: Path, text: str) -> None:
    """Write ``text`` to a file beside ``path``, then rename it over ``path``: a full disk
    or a stop leaves the previous summary whole, never a cut one. A missing folder is
    created (as for the results CSV), so a long run's summary is not lost to it.

    Parameters
    ----------
    path : Path
    text : str

    Returns
    -------
    None
    """
    path = Path(path)
    if path.is_dir():  # the rename would fail after the part was written
        usage_error(f"cannot write the summary to {path}: it is a folder; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_whole(path, lambda part: part.write_text(text))
    except OSError as err:  # a read-only folder, a full disk
        usage_error(
            f"cannot write the summary to {path}: {err.strerror}; give a file in a folder "
            "you can write to"
        )


__all__ = [
    "DATASETS",
    "DefaultsHelpFormatter",
    "SEED",
    "SIZE",
    "THREADS_PER_CPU",
    "check_classes",
    "check_device",
    "check_summary_file",
    "check_summary_only",
    "command_line",
    "count",
    "file_name",
    "folder_name",
    "given_options",
    "interrupted",
    "json_object",
    "median_seconds",
    "shared_table",
    "shared_task",
    "task_folder",
    "tasks_folder_name",
    "threads",
    "usage_error",
    "write_summary",
]
