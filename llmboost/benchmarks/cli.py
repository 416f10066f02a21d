"""``llmboost-bench``: list datasets and methods, run a suite, write its report."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

from .datasets import SKLEARN_TABLES, dataset_name, load_dataset
from .methods import METHODS
from .report import write_report
from .results import RESULTS, read_results
from .runner import _run_suite

#: Suite files, shipped inside the package (``--suite quick`` works from any install).
SUITES = Path(__file__).resolve().parent / "suites"
EXAMPLES = """examples:
  llmboost-bench methods
  llmboost-bench run --suite quick --out runs/quick
  llmboost-bench run --datasets sklearn:wine path/to/folder --methods xgboost pfnboost-bundled \\
      --sizes 32 64 128 all --seeds 0 1 2 --jobs 2 --out runs/mine
  llmboost-bench report --out runs/mine
"""
RUN_STATUS = (
    "exit status: 0 when no cell of the suite failed; 3 when some failed and others scored; "
    "1 when some failed and none scored; 2 on bad options or an --out another run is "
    "writing; 130 when interrupted (Ctrl-C) and "
    "143 when stopped by SIGTERM, the finished cells kept. A cell that failed in an earlier "
    "run counts until --retry-failed runs it again; the report (unless --no-report) is "
    "written whatever the cells' status."
)


def _size(text) -> int | str:
    """A training size: a positive integer or ``all``."""
    if str(text) == "all":
        return "all"
    if not re.fullmatch(r"[0-9]+", str(text)) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"invalid size {text!r}: use a positive integer or 'all'")
    return int(text)


def count(minimum: int, maximum: int | None = None):
    """An argparse type: an integer from ``minimum`` (to ``maximum``), else a usage error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum or (maximum is not None and value > maximum):
            allowed = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
            raise argparse.ArgumentTypeError(f"invalid value {text!r}: use an integer {allowed}")
        return value

    return parse


def _path(text: str) -> Path:
    """An argparse type: a path, not an empty one (an unset shell variable; read as the
    current folder, a run wrote its results and report there)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("it is empty; name a folder")
    return Path(text)


def _suite_name(text: str) -> str:
    """An argparse type: ``--suite``, not an empty one (an unset shell variable; it was
    ignored, the run going on without a suite)."""
    if not text.strip():
        names = ", ".join(sorted(p.stem for p in SUITES.glob("*.json")))
        raise argparse.ArgumentTypeError(f"it is empty; name a suite ({names}) or a JSON file")
    return text


#: Seeds scikit-learn, XGBoost and LightGBM all take.
_seed = count(0, 2**32 - 1)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llmboost-bench",
        description="AUC against training-set size for GBDTs, priors and fused models.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = "{datasets,methods,run,report}"  # named in the error when none is given
    sub = parser.add_subparsers(dest="command", required=True, metavar=commands)
    data = sub.add_parser("datasets", help="list the dataset sources (and folders in --data-dir)")
    data.add_argument("--data-dir", type=_path, help="list the dataset folders inside this folder")
    methods = sub.add_parser("methods", help="list the methods")
    run = sub.add_parser(
        "run",
        help="run (or resume) a suite; results go to OUT/results.jsonl",
        description="Run the cells of a suite that OUT/results.jsonl lacks. --datasets, "
        "--methods, --sizes and --seeds override the suite's.",
        epilog=RUN_STATUS,
    )
    _add_run_options(run)
    run.add_argument("--retry-failed", action="store_true", help="rerun cells that failed")
    run.add_argument("--no-report", action="store_true", help="skip writing the report")
    report = sub.add_parser("report", help="write report.md and plots from OUT/results.jsonl")
    report.add_argument("--out", type=_path, required=True, help="results folder of a run")
    for command in (data, methods, run, report):  # errors name the sub-command's usage
        command.set_defaults(error=command.error)
    return parser


def _add_run_options(run: argparse.ArgumentParser) -> None:
    """The options of ``run`` that name what to run, and its settings."""
    names = ", ".join(sorted(p.stem for p in SUITES.glob("*.json")))
    run.add_argument("--suite", type=_suite_name, help=f"a suite ({names}) or a suite JSON file")
    run.add_argument("--datasets", nargs="+", help="dataset specs (see `datasets`)")
    run.add_argument("--methods", nargs="+", help="method names (see `methods`)")
    run.add_argument(
        "--sizes",
        nargs="+",
        type=_size,
        help="training sizes, e.g. 32 64 128 all; every class gets at least two rows, so a "
        "size under twice the classes trains on more (said in the run and the report); a "
        "size above a dataset's training rows is skipped there (use all for every row)",
    )
    run.add_argument(
        "--seeds",
        nargs="+",
        type=_seed,
        help="subsample seeds, 0 to 4294967295 (default: the suite's, else 0 1 2 3 4)",
    )
    run.add_argument("--out", type=_path, required=True, help="results folder (created if missing)")
    run.add_argument(
        "--jobs",
        type=count(1),
        default=1,
        help="worker processes, at most one per cell (default 1)",
    )
    run.add_argument(
        "--n-trials",
        type=count(0),
        default=0,
        help="optuna trials per fit for GBDTs and fused models alike (default 0; the "
        "selection, stacking and averaging baselines keep default parameters); one value "
        "per --out folder",
    )
    run.add_argument(
        "--max-test",
        type=count(1),
        default=2000,
        help="cap on test rows, stratified, at least two per class (default 2000); one value "
        "per --out folder unless its test sets are below both caps",
    )


def _check_folder(error, option: str, path: Path) -> None:
    """Stop with a usage error unless ``path`` is an existing folder."""
    if not path.exists():
        error(f"argument {option}: {path} does not exist; give an existing folder")
    if not path.is_dir():
        error(f"argument {option}: {path} is a file, not a folder; give a folder")


def _read_suite(args) -> dict:
    """The suite file named by ``--suite``, its relative folders resolved against it."""
    path = Path(args.suite)
    if not path.is_file():
        path = SUITES / f"{args.suite}.json"
    if not path.is_file():
        names = ", ".join(sorted(p.stem for p in SUITES.glob("*.json")))
        args.error(f"argument --suite: no suite {args.suite!r}: not a file, and not one of {names}")
    try:
        suite = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        args.error(f"argument --suite: cannot read {path} as JSON: {err}")
    keys = ("datasets", "methods", "sizes", "seeds")
    if not isinstance(suite, dict) or any(not isinstance(suite.get(k, []), list) for k in keys):
        args.error(f"argument --suite: {path} must hold a JSON object of lists: {', '.join(keys)}")
    unknown = sorted(set(suite) - {*keys, "description"})
    if unknown:
        args.error(
            f"argument --suite: {path} has unknown keys {unknown}; a suite names "
            f"{', '.join(keys)} (lists) and a description; give run options on the command line"
        )
    suite["datasets"] = [  # an empty spec stays one: it names no folder
        str((path.parent / d).resolve())
        if d and d.split(":")[0] not in ("sklearn", "openml")
        else d
        for d in map(str, suite.get("datasets") or [])
    ]
    return suite


def _suite(args) -> dict:
    suite = _read_suite(args) if args.suite else {}
    for key in ("datasets", "methods", "sizes", "seeds"):
        if getattr(args, key):
            suite[key] = getattr(args, key)
    suite.setdefault("seeds", [0, 1, 2, 3, 4])
    missing = [k for k in ("datasets", "methods", "sizes", "seeds") if not suite.get(k)]
    if missing and args.suite:
        args.error(
            f"suite {args.suite!r} names no {', '.join(missing)}; give "
            f"--{' --'.join(missing)} or add {'them' if len(missing) > 1 else 'it'} to the suite"
        )
    if missing:
        args.error(f"give --suite or --{' --'.join(missing)}")

    def source(key: str) -> str:
        return f"argument --{key}" if getattr(args, key) else f"suite {args.suite!r}"

    unknown = [m for m in suite["methods"] if not isinstance(m, str) or m not in METHODS]
    if unknown:
        args.error(
            f"{source('methods')}: unknown methods {unknown}; `llmboost-bench methods` lists them"
        )
    for key, parse in (("sizes", _size), ("seeds", _seed)):
        try:
            suite[key] = [parse(str(value)) for value in suite[key]]
        except argparse.ArgumentTypeError as err:
            args.error(f"{source(key)}: {err}")
    _check_datasets(args, suite["datasets"], source("datasets"))
    return suite


def _check_datasets(args, specs: list[str], source: str) -> None:
    """Stop with a usage error on a bad spec, a name given twice, or a table no cell can use."""
    for spec in specs:
        _check_spec(args, spec, source)
    names: dict[str, str] = {}
    for spec in specs:
        other = names.setdefault(dataset_name(spec), spec)
        if _table_of(other) != _table_of(spec):  # one folder given two ways is one table
            args.error(
                f"{source}: {other!r} and {spec!r} are both named {dataset_name(spec)!r} in "
                f"{RESULTS}; give one of them, or rename a folder"
            )
    for spec in specs:
        if spec.partition(":")[0] not in ("sklearn", "openml"):
            try:  # a table every cell would fail on stops the run before it starts
                load_dataset(spec)
            except ValueError as err:
                args.error(f"{source}: {err}")


def _table_of(spec: str) -> str:
    """The table ``spec`` names: ``sklearn:`` and ``openml:`` specs as given, a folder's
    real path."""
    return spec if spec.partition(":")[0] in ("sklearn", "openml") else os.path.realpath(spec)


def _check_spec(args, spec: str, source: str) -> None:
    """Stop with a usage error unless ``spec`` names a dataset."""
    kind, _, name = spec.partition(":")
    remote = kind in ("sklearn", "openml")
    if (
        not spec
        or (kind == "sklearn" and name not in SKLEARN_TABLES)
        or (kind == "openml" and not name)
        or (not remote and not Path(spec).is_dir())
    ):
        args.error(
            f"{source}: no dataset {spec!r}; use sklearn:NAME "
            f"({', '.join(SKLEARN_TABLES)}), openml:ID_OR_NAME or an existing folder"
        )
    if not remote and not _is_dataset_folder(Path(spec)):
        args.error(
            f"{source}: the folder {spec} holds neither train.csv + test.csv nor "
            "data.csv; give a dataset folder (see `llmboost-bench datasets`)"
        )


def _is_dataset_folder(folder: Path) -> bool:
    """Whether ``folder`` holds ``train.csv`` and ``test.csv``, or ``data.csv``."""
    tables = ("train.csv", "test.csv"), ("data.csv",)
    return any(all((folder / name).is_file() for name in files) for files in tables)


def _list_datasets(args) -> int:
    if args.data_dir:
        _check_folder(args.error, "--data-dir", args.data_dir)
    print("scikit-learn tables:  " + "  ".join(f"sklearn:{n}" for n in SKLEARN_TABLES))
    print("OpenML (internet):    openml:ID or openml:NAME, cached after the first download")
    print("local folder:         PATH with train.csv + test.csv (or data.csv), optional meta.json")
    if args.data_dir:
        tables = ("train.csv", "test.csv", "data.csv")  # a part of a dataset is listed too
        inside = sorted(p for p in args.data_dir.iterdir() if p.is_dir())
        candidates = [args.data_dir, *inside]  # DIR itself may be a dataset folder
        folders = [p for p in candidates if any((p / t).is_file() for t in tables)]
        if not folders:
            print(
                f"  no dataset folder in {args.data_dir}: neither it nor a folder inside holds "
                "train.csv + test.csv or data.csv"
            )
        for folder in folders:
            try:  # `run` would stop on such a folder: say why here already
                load_dataset(str(folder))
                print(f"  {folder}")
            except ValueError as err:
                print(f"  {folder}  (not usable: {err})")
    return 0


def _run(args) -> int:
    try:
        suite = _checked_suite(args)
    except KeyboardInterrupt:
        print("\nInterrupted while checking the run's settings; nothing was run.", file=sys.stderr)
        return 130
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        args.error(f"argument --out: cannot create the folder {args.out}: {err.strerror}")
    try:  # the results are read and checked once, before a cell runs
        with _sigterm_stops():
            path, statuses = _run_suite(
                suite["datasets"],
                suite["methods"],
                suite["sizes"],
                suite["seeds"],
                args.out,
                jobs=args.jobs,
                n_trials=args.n_trials,
                max_test=args.max_test,
                retry_failed=args.retry_failed,
                progress=True,
            )
    except ValueError as err:  # a results file not ours, or of other settings or data
        args.error(f"argument --out: {err}")
    except OSError as err:  # opened before a cell runs: a folder or file not writable
        _cannot_write(args, err)
    except KeyboardInterrupt as stop:
        said = "Stopped (SIGTERM)" if isinstance(stop, _Stopped) else "Interrupted"
        print(
            f"\n{said}: finished cells are kept in {args.out / RESULTS}; "
            "run the same command again to resume.",
            file=sys.stderr,
        )
        return 143 if isinstance(stop, _Stopped) else 130
    print(f"results: {path}")
    return _failed_status(statuses, path)


class _Stopped(KeyboardInterrupt):
    """SIGTERM (``kill``, a scheduler's stop), raised to stop a run as Ctrl-C does."""


def _raise_stopped(signum, frame):
    raise _Stopped


@contextmanager
def _sigterm_stops():
    """Within, SIGTERM stops the run as Ctrl-C does, its worker processes with it (they
    went on with their cells, orphaned); Python allows this in the main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_stopped)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _failed_status(statuses, path: Path) -> int:
    """The exit status of a run by its suite's cells (see ``RUN_STATUS``), said on stderr
    unless 0."""
    failed, total = statuses["failed"], sum(statuses.values())
    if not failed:
        return 0
    if statuses["ok"]:
        status, said = 3, f"{failed} of the suite's {total} cells failed"
    else:
        skipped = f", {statuses['skipped']} skipped" if statuses["skipped"] else ""
        status, said = 1, f"no cell of the suite scored ({failed} failed{skipped})"
    print(f"Exit status {status}: {said}; the errors are in {path}.", file=sys.stderr)
    return status


def _checked_suite(args) -> dict:
    """The suite to run, after every check that can stop the run before it starts."""
    suite = _suite(args)
    if args.out.exists() and not args.out.is_dir():
        args.error(f"argument --out: {args.out} is a file, not a folder; give a folder")
    return suite


def _results(args) -> list[dict]:
    """The records in ``--out``; a usage error when its results file is not one of ours."""
    try:
        return read_results(args.out)
    except ValueError as err:
        args.error(f"argument --out: {err}")


def _cannot_write(args, err: OSError) -> None:
    """Stop with a usage error naming the file in ``--out`` that could not be written."""
    if err.filename is None:
        raise err
    args.error(
        f"argument --out: cannot write {err.filename}: {err.strerror}; give a folder you "
        "can write to"
    )


def _report(args) -> int:
    _check_folder(args.error, "--out", args.out)
    if not _results(args):
        args.error(
            f"argument --out: no results in {args.out} ({RESULTS} is missing or empty); "
            f"run `llmboost-bench run --out {args.out} ...` first"
        )
    try:
        print(f"report: {write_report(args.out)}")
    except OSError as err:
        _cannot_write(args, err)
    except KeyboardInterrupt:
        print(
            f"\nInterrupted: the report is unfinished; run `llmboost-bench report --out "
            f"{args.out}` to write it.",
            file=sys.stderr,
        )
        return 130
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the ``llmboost-bench`` command.

    Parameters
    ----------
    argv : list of str, default=None
        A sub-command and its options, e.g. ``["methods"]``; ``None`` reads the command
        line.

    Returns
    -------
    int
        The exit status: 0; for ``run`` also 1 or 3 when cells failed, 143 when stopped
        by SIGTERM (``RUN_STATUS``); 130 when interrupted. Bad options exit with status 2
        and a one-line error (``SystemExit``).
    """
    args = _parser().parse_args(argv)
    if args.command == "datasets":
        return _list_datasets(args)
    if args.command == "methods":
        width = max(map(len, METHODS))
        for name, (text, _) in METHODS.items():
            print(f"{name:<{width}}  {text}")
        return 0
    if args.command == "run":
        status = _run(args)
        if status in (130, 143) or args.no_report:
            return status
        return _report(args) or status  # the report lists the failed cells too
    return _report(args)


__all__ = ["EXAMPLES", "SUITES", "count", "main"]


if __name__ == "__main__":
    sys.exit(main())
