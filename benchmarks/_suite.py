"""A suite of (dataset, size, seed, method) cells: its command line, the cells kept in a
resumable CSV, and the summary written from it.

The scripts run as ``python benchmarks/NAME.py``, so this folder is on ``sys.path`` and
they import this module as ``_suite``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from _script import (
    SEED,
    SIZE,
    DefaultsHelpFormatter,
    check_summary_file,
    command_line,
    file_name,
    interrupted,
    json_object,
    usage_error,
)

from llmboost.pfn._run_lock import hold_lock


def say_skipped_sizes(n_rows: dict[str, int], sizes) -> None:
    """Say once per task which sizes exceed its training rows: their cells are not run.

    Parameters
    ----------
    n_rows : dict
        The training rows of each task of the run.
    sizes : sequence of int

    Returns
    -------
    None
    """
    for name, rows in n_rows.items():
        if over := sorted({size for size in sizes if size > rows}):
            print(
                f"{name} has {rows} training rows, fewer than size "
                f"{', '.join(map(str, over))}: those cells are skipped",
                file=sys.stderr,
                flush=True,
            )


@contextlib.contextmanager
def csv_lock(path):
    """Hold ``.NAME.lock`` beside the results CSV ``path`` while cells are appended to it:
    a second run on that CSV stops at its start with a usage error naming the process
    that holds it (two runs appended each cell twice). A lock left by a process that
    has ended blocks nothing. A folder where no lock can be made, and a CSV that
    cannot be written, are usage errors too.

    Parameters
    ----------
    path : str or Path
        The results CSV (its folder is created when missing, and removed again when
        the run leaves it empty).
    """
    if not str(path).strip():  # an unset shell variable: read as the current folder
        usage_error("argument --csv: it is empty; give a file name")
    path = Path(path)
    folders = [p for p in [path.parent, *path.parent.parents] if not p.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(f".{path.name}.lock")

    def refuse(holder: str) -> None:
        usage_error(
            f"argument --csv: {holder} is running cells into {path} (it holds {lock}): let "
            "it finish or stop it first, or give another --csv"
        )

    try:
        with hold_lock(lock, refuse):
            yield
    except BaseException as err:
        _remove_empty(folders)
        if isinstance(err, OSError) and err.filename == str(lock):  # before the run
            usage_error(
                f"argument --csv: no lock can be made in {path.parent} ({lock}: "
                f"{err.strerror}); give a folder you can write to"
            )
        if not isinstance(err, PermissionError) or err.filename != str(path):
            raise
        # a read-only folder: no lock, and the CSV says so
        usage_error(
            f"argument --csv: cannot write {path}: {err.strerror}; give a folder you can write to"
        )
    _remove_empty(folders)


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders made for the CSV, innermost first, while they are empty: a run
    refused, or one that wrote nothing, leaves none of them."""
    for folder in folders:
        if any(folder.iterdir()):
            break
        folder.rmdir()


#: What a stop of a suite keeps outside its cells' loop (see :func:`rows_kept`).
CELLS_KEPT = "finished cells are kept in --csv, --md is written whole or not at all; run it again"


def rows_kept(path) -> str:
    """What a stop keeps of the results CSV at ``path`` (its whole rows), and how to
    resume: for :func:`_script.interrupted`."""
    path = Path(path)
    rows = len(whole_rows(path)) if path.is_file() and path.stat().st_size else 0
    return f"{rows} result rows kept in {path}; run the same command again to resume"


def drop_cut_row(path: Path) -> bool:
    """Cut the last row of the CSV at ``path`` when a stop left it without its line end:
    it was read as a finished cell (its scores missing), or the next row was written on
    the same line.

    Parameters
    ----------
    path : Path
        A results CSV (may be missing).

    Returns
    -------
    bool
        Whether a row was cut.
    """
    if not path.exists():
        return False
    with path.open("r+b") as fh:
        if not fh.seek(0, os.SEEK_END):
            return False
        fh.seek(-1, os.SEEK_END)
        if fh.read(1) == b"\n":
            return False
        fh.seek(0)
        fh.truncate(fh.read().rfind(b"\n") + 1)
    return True


def finished_cells(path: Path) -> tuple[set[tuple], bool]:
    """The ``(dataset, size, seed, method)`` cells already in the CSV at ``path``.

    Parameters
    ----------
    path : Path
        The results CSV (its folder is created when missing; a row a stop cut short is
        dropped, :func:`drop_cut_row`).

    Returns
    -------
    done : set of tuple
    new : bool
        Whether the file is missing or empty (a run stopped before its first row): it
        needs a header.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    drop_cut_row(path)
    if not path.exists() or not path.stat().st_size:
        return set(), True
    with path.open() as fh:
        return {
            (r["dataset"], int(r["size"]), int(r["seed"]), r["method"]) for r in csv.DictReader(fh)
        }, False


@contextlib.contextmanager
def appended_rows(path: Path, fields: list[str], new: bool):
    """``append(row)``, which writes a row to the results CSV at ``path`` and flushes it;
    the file is opened at the first row (the header written with it when ``new``), so a
    run that scores no cell leaves no file, not one holding only the header.

    Parameters
    ----------
    path : Path
    fields : list of str
        The CSV's columns.
    new : bool
        Whether the file needs its header (:func:`finished_cells`).
    """
    files = []

    def append(row: dict) -> None:
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=fields)
        if not files:
            files.append(path.open("a", newline=""))
            if new:
                writer.writeheader()
        writer.writerow(row)
        files[0].write(text.getvalue())
        files[0].flush()

    try:
        yield append
    finally:
        for fh in files:
            fh.close()


def check_test_rows(path: Path, n_test: dict[str, int], where: dict | None = None) -> None:
    """Stop when the CSV at ``path`` holds cells of a task scored on other test rows.

    A rerun with another ``--max-test`` would skip those cells, and the summary would
    compare methods on different test sets.

    Parameters
    ----------
    path : Path
        The results CSV (rows without ``n_test``, written before that column, are not
        checked).
    n_test : dict
        The test rows of each task of this run.
    where : dict, default=None
        Check only the rows with these values, e.g. ``{"prior": "llm"}``.

    Returns
    -------
    None
    """
    if not path.exists() or not path.stat().st_size:
        return
    keep = {"dataset", "n_test", *(where or {})}
    done = pd.read_csv(path, usecols=lambda column: column in keep)
    if "n_test" not in done:
        return
    for column, value in (where or {}).items():
        done = done[done[column] == value]
    of = "".join(f" ({column} {value})" for column, value in (where or {}).items())
    for name, rows in n_test.items():
        other = sorted(set(done.loc[done["dataset"] == name, "n_test"].dropna()) - {rows})
        if other:
            usage_error(
                f"--max-test: {path} holds cells of {name}{of} scored on "
                f"{', '.join(str(int(n)) for n in other)} test rows, not {rows}: a rerun would "
                "skip them and the summary would mix them; use another --csv or their "
                "--max-test"
            )


def whole_rows(path) -> pd.DataFrame:
    """The rows of the results CSV at ``path`` written to their line end: a last row a stop
    cut short, or one a run is writing now, is left out (the file is left as it is).

    Parameters
    ----------
    path : str or Path
        A results CSV.

    Returns
    -------
    DataFrame
        No columns when not even the header is whole.
    """
    data = Path(path).read_bytes()
    whole = data[: data.rfind(b"\n") + 1]
    return pd.read_csv(io.BytesIO(whole)) if whole else pd.DataFrame()


def read_cells(csv_paths: list[str]) -> pd.DataFrame:
    """The result rows of several CSV files, the last row of each cell kept (an empty
    file, of a run stopped before its first row, holds none; a row a stop cut short is
    left out, :func:`whole_rows`).

    Parameters
    ----------
    csv_paths : list of str

    Returns
    -------
    DataFrame
    """
    frames = [whole_rows(p) for p in csv_paths if Path(p).stat().st_size]
    frame = pd.concat(frames, ignore_index=True)
    return frame.drop_duplicates(["dataset", "size", "seed", "method"], keep="last")


def seconds_table(df: pd.DataFrame, methods: list[str], title: str) -> list[str]:
    """Markdown lines: the median seconds per size (rows) and method (columns).

    Parameters
    ----------
    df : DataFrame
        Result rows with ``size``, ``method`` and ``seconds``.
    methods : list of str
        The columns, in order.
    title : str
        The line above the table.

    Returns
    -------
    list of str
    """
    secs = df.groupby(["size", "method"])["seconds"].median().unstack()
    lines = [title, "", "| size | " + " | ".join(methods) + " |", "|---|" + "---|" * len(methods)]
    for size in secs.index:
        cells = [f"{secs.loc[size, m]:.2f}" if m in secs else "" for m in methods]
        lines.append(f"| {size} | " + " | ".join(cells) + " |")
    return lines


def suite_parser(doc: str, csv_path: str, sizes, methods, known=None) -> argparse.ArgumentParser:
    """The command line of a suite of (dataset, size, seed, method) cells.

    Parameters
    ----------
    doc : str
        The script's docstring (its first paragraph describes the command).
    csv_path : str
        Default results CSV.
    sizes, methods : sequence
        Defaults of ``--sizes`` and ``--methods``.
    known : sequence, default=None
        Every name ``--methods`` takes (default: ``methods``).

    Returns
    -------
    argparse.ArgumentParser
    """
    p = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter, description=doc.split("\n\n")[0]
    )
    p.add_argument(
        "--csv", default=csv_path, help="results file: cells are appended, a rerun resumes"
    )
    p.add_argument("--md", default=None, help="write the summary markdown here")
    p.add_argument(
        "--summary-only", action="store_true", help="write --md from the CSV, run no cells"
    )
    p.add_argument(
        "--inputs",
        nargs="+",
        type=file_name,
        default=None,
        help="CSV files to summarise (default: --csv); e.g. from parallel runs",
    )
    p.add_argument("--notes", default="", help="text appended to the markdown")
    p.add_argument(
        "--command",
        default=None,
        help="command line shown in the markdown (default: this one, every option as given)",
    )
    p.add_argument(
        "--datasets", nargs="+", default=None, help="task folders of --data-dir (default: all)"
    )
    p.add_argument("--sizes", nargs="+", type=SIZE, default=list(sizes), help="training rows")
    p.add_argument("--seeds", nargs="+", type=SEED, default=[0, 1, 2, 3, 4], help="subsample seeds")
    p.add_argument(
        "--methods",
        nargs="+",
        default=list(methods),
        choices=list(known or methods),
        help="methods run",
    )
    p.add_argument("--max-test", type=SIZE, default=1000, help="cap on test rows, a fixed subset")
    p.add_argument(
        "--weights", default=None, help="PFN checkpoint of pfn and pfnboost (default: shipped)"
    )
    p.add_argument(
        "--pfn-params",
        type=json_object,
        default={},
        help="more BundledPFNPrior options of pfn and pfnboost as JSON, e.g. "
        "'{\"principal_components\": false}'",
    )
    return p


def pfn_options(parser: argparse.ArgumentParser, args, **fixed) -> dict:
    """``--weights`` and ``--pfn-params`` as ``BundledPFNPrior`` options, or a usage error
    before any cell runs: a bad one failed every PFN cell, and a rerun skipped them; given
    without a PFN method (``pfn``, ``pfnboost``), they were not used.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        Reports the error.
    args : argparse.Namespace
        From :func:`suite_parser`.
    **fixed
        The options the script sets itself (``random_state``, ``task``).

    Returns
    -------
    dict
    """
    from llmboost.priors import BundledPFNPrior

    if args.weights is not None and not args.weights.strip():  # an unset shell variable
        parser.error(
            "argument --weights: it is empty; give a PFN checkpoint file, or leave it out "
            "for the shipped one"
        )
    given = [o for o, v in (("--weights", args.weights), ("--pfn-params", args.pfn_params)) if v]
    if given and not {"pfn", "pfnboost"} & set(args.methods):
        parser.error(
            f"argument {given[0]}: only the methods pfn and pfnboost use {', '.join(given)}, "
            f"and --methods {' '.join(args.methods)} names neither: add one, or drop "
            f"{'them' if len(given) > 1 else 'it'}"
        )
    if args.weights is not None and not Path(args.weights).is_file():
        parser.error(f"argument --weights: no file {args.weights}")
    options = {"weights": args.weights, **args.pfn_params}
    try:
        BundledPFNPrior(**fixed, **options)._check_params()
    except (TypeError, ValueError) as err:
        parser.error(f"argument --pfn-params: {err}")
    return options


def run_suite(
    args: argparse.Namespace, run: Callable, summarize: Callable, script: str, argv=None
) -> None:
    """Run the missing cells (unless ``--summary-only``), then write the summary.

    Parameters
    ----------
    args : argparse.Namespace
        From :func:`suite_parser`.
    run : callable
        ``run(args)`` appends the missing cells to ``args.csv``.
    summarize : callable
        ``summarize(csv_paths, md_path, command, notes)`` returns the markdown.
    script : str
        The script's file name, for the command line shown in the markdown.
    argv : list of str, default=None
        The options it was given (``None``: this process's), shown with it unless
        ``--command`` replaces the line.

    Returns
    -------
    None
    """
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    check_summary_file("--md", args.md)
    summary_only = {"--inputs": args.inputs, "--notes": args.notes, "--command": args.command}
    if not args.md and (given := [k for k, v in summary_only.items() if v]):
        usage_error(f"argument {given[0]}: only the summary uses it; give --md, its file")
    inputs = args.inputs or [args.csv]
    if args.summary_only:
        check_summary(args.md, inputs)  # before anything runs
    else:
        try:
            with csv_lock(args.csv):
                run(args)
        except KeyboardInterrupt:
            interrupted(rows_kept(args.csv))
    if args.md:
        check_summary(args.md, inputs)
        command = args.command or command_line(script, argv)
        print(summarize(inputs, args.md, command, args.notes))


def check_summary(md: str | None, csv_paths: list[str], option: str = "--csv/--inputs") -> None:
    """Stop when a summary has no ``--md`` to be written to, or its results files are
    missing or hold no cells (the summary would be empty tables).

    Parameters
    ----------
    md : str or None
        The summary's file.
    csv_paths : list of str
        The results files it reads.
    option : str, default="--csv/--inputs"
        The options that name them, in the messages.

    Returns
    -------
    None
    """
    if not md:
        usage_error("--summary-only: give --md, the file the summary is written to")
    if missing := [str(p) for p in csv_paths if not Path(p).is_file()]:
        usage_error(f"{option}: no results file {', '.join(missing)}; run the suite first")
    if all(not Path(p).stat().st_size or whole_rows(p).empty for p in csv_paths):
        usage_error(
            f"{option}: {', '.join(map(str, csv_paths))} holds no cells, so --md is "
            "left as it was; run cells first (sizes within the tasks' training rows)"
        )


__all__ = [
    "CELLS_KEPT",
    "appended_rows",
    "check_summary",
    "check_test_rows",
    "csv_lock",
    "drop_cut_row",
    "finished_cells",
    "pfn_options",
    "read_cells",
    "rows_kept",
    "run_suite",
    "say_skipped_sizes",
    "seconds_table",
    "suite_parser",
    "whole_rows",
]
