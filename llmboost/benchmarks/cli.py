"""``llmboost-bench``: list datasets and methods, run a suite, write its report."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from .datasets import SKLEARN_TABLES
from .methods import METHODS
from .report import write_report
from .runner import RESULTS, run_suite

#: Suite files, shipped inside the package (``--suite quick`` works from any install).
SUITES = Path(__file__).resolve().parent / "suites"
EXAMPLES = """examples:
  llmboost-bench methods
  llmboost-bench run --suite quick --out runs/quick
  llmboost-bench run --datasets sklearn:wine path/to/folder --methods xgboost pfnboost-bundled \\
      --sizes 32 64 128 all --seeds 0 1 2 --jobs 2 --out runs/mine
  llmboost-bench report --out runs/mine
"""


def _size(text) -> int | str:
    """A training size: a positive integer or ``all``."""
    if str(text) == "all":
        return "all"
    if not re.fullmatch(r"[0-9]+", str(text)) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"invalid size {text!r}: use a positive integer or 'all'")
    return int(text)


def _count(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"invalid value {text!r}: use an integer >= {minimum}")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llmboost-bench",
        description="AUC against training-set size for GBDTs, priors and fused models.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    data = sub.add_parser("datasets", help="list the dataset sources (and folders in --data-dir)")
    data.add_argument("--data-dir", type=Path, help="list the dataset folders inside this folder")
    sub.add_parser("methods", help="list the methods")
    run = sub.add_parser("run", help="run (or resume) a suite; results go to OUT/results.jsonl")
    run.add_argument("--suite", help=f"suite name in {SUITES} or a suite JSON file")
    run.add_argument("--datasets", nargs="+", help="dataset specs (see `datasets`)")
    run.add_argument("--methods", nargs="+", help="method names (see `methods`)")
    run.add_argument("--sizes", nargs="+", type=_size, help="training sizes, e.g. 32 64 128 all")
    run.add_argument(
        "--seeds", nargs="+", type=_count(0), help="subsample seeds (default 0 1 2 3 4)"
    )
    run.add_argument("--out", type=Path, required=True, help="results folder")
    run.add_argument("--jobs", type=_count(1), default=1, help="worker processes (default 1)")
    run.add_argument(
        "--n-trials",
        type=_count(0),
        default=0,
        help="optuna trials per fit for GBDTs and fused models alike (default 0)",
    )
    run.add_argument(
        "--max-test",
        type=_count(1),
        default=2000,
        help="cap on test rows, stratified (default 2000)",
    )
    run.add_argument("--retry-failed", action="store_true", help="rerun cells that failed")
    run.add_argument("--no-report", action="store_true", help="skip writing the report")
    report = sub.add_parser("report", help="write report.md and plots from OUT/results.jsonl")
    report.add_argument("--out", type=Path, required=True, help="results folder")
    return parser


def _suite(args) -> dict:
    suite = {}
    if args.suite:
        path = Path(args.suite)
        if not path.exists():
            path = SUITES / f"{args.suite}.json"
        if not path.exists():
            raise SystemExit(f"No suite {args.suite!r}: not a file, and not in {SUITES}.")
        suite = json.loads(path.read_text())
        suite["datasets"] = [
            str((path.parent / d).resolve()) if d.split(":")[0] not in ("sklearn", "openml") else d
            for d in suite["datasets"]
        ]
    for key in ("datasets", "methods", "sizes", "seeds"):
        if getattr(args, key):
            suite[key] = getattr(args, key)
    suite.setdefault("seeds", [0, 1, 2, 3, 4])
    missing = [k for k in ("datasets", "methods", "sizes") if not suite.get(k)]
    if missing:
        raise SystemExit(f"Give --suite or --{' --'.join(missing)}.")
    unknown = [m for m in suite["methods"] if m not in METHODS]
    if unknown:
        raise SystemExit(f"Unknown methods {unknown}; `llmboost-bench methods` lists them.")
    try:
        suite["sizes"] = [_size(s) for s in suite["sizes"]]
    except argparse.ArgumentTypeError as err:
        raise SystemExit(f"Suite {args.suite!r}: {err}.") from None
    return suite


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
        The exit status: 0, or 130 when a run was interrupted.
    """
    args = _parser().parse_args(argv)
    if args.command == "datasets":
        print("scikit-learn tables:  " + "  ".join(f"sklearn:{n}" for n in SKLEARN_TABLES))
        print("OpenML (internet):    openml:ID or openml:NAME, cached after the first download")
        print(
            "local folder:         PATH with train.csv + test.csv (or data.csv), optional meta.json"
        )
        if args.data_dir:
            for folder in sorted(p for p in args.data_dir.iterdir() if p.is_dir()):
                print(f"  {folder}")
        return 0
    if args.command == "methods":
        width = max(map(len, METHODS))
        for name, (text, _) in METHODS.items():
            print(f"{name:<{width}}  {text}")
        return 0
    if args.command == "run":
        suite = _suite(args)
        try:
            path = run_suite(
                suite["datasets"],
                suite["methods"],
                suite["sizes"],
                suite["seeds"],
                args.out,
                jobs=args.jobs,
                n_trials=args.n_trials,
                max_test=args.max_test,
                retry_failed=args.retry_failed,
            )
        except KeyboardInterrupt:
            print(
                f"\nInterrupted: finished cells are kept in {args.out / RESULTS}; "
                "run the same command again to resume.",
                file=sys.stderr,
            )
            return 130
        print(f"results: {path}")
    if args.command == "report" or not args.no_report:
        print(f"report: {write_report(args.out)}")
    return 0


__all__ = ["EXAMPLES", "SUITES", "main"]


if __name__ == "__main__":
    sys.exit(main())
