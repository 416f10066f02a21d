"""Speed and memory of the bundled PFN, CPU: 1,000 x 20, and wide tables.

    python benchmarks/bench_bundled_pfn_speed.py --md benchmarks/results/bundled_pfn_speed.md

Each configuration runs in a fresh process (so peak memory is its own): the prior is
fitted on ``rows`` rows x ``features`` features (all numeric but 4 categorical, 5%
missing) and scores as many new rows; one warm-up call, then ``--repeats`` timed calls,
median reported (wall seconds, and the process's CPU seconds, which are less sensitive
to other jobs on the machine). Also timed: ``PriorBoostClassifier(prior=
BundledPFNPrior())`` fit (5-fold out-of-fold logits plus the scale search) and
predict on the same table, and ``PFNBoostClassifier()`` with default settings (offline
it falls back to the bundled PFN) on 800 x 200 and 1,000 x 150. ``--only 3 4`` runs
some configurations (numbers as listed by ``--list``). ``--package-root DIR`` times the
``llmboost`` package found in ``DIR`` instead of the installed one, e.g. an earlier
version exported with ``git archive COMMIT llmboost | tar -x -C DIR``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import _interrupt  # noqa: F401
import numpy as np

CONFIGS = [  # (what, torch threads, n_ensemble, rows, features)
    ("prior", 2, 4, 1000, 20),
    ("prior", 1, 4, 1000, 20),
    ("prior", 2, 1, 1000, 20),
    ("pfnboost", 2, 4, 1000, 20),
    ("default", 2, 4, 800, 200),
    ("default", 2, 4, 1000, 150),
]
LABELS = {
    "prior": "prior fit + logits",
    "pfnboost": "PriorBoostClassifier(prior=BundledPFNPrior()) fit + predict_proba",
    "default": "PFNBoostClassifier() fit + predict_proba",
}


def table(n: int, n_features: int = 20, seed: int = 0):
    """A synthetic table with numeric and categorical columns and a binary target.

    Parameters
    ----------
    n : int
        Rows.
    n_features : int, default=20
    seed : int, default=0

    Returns
    -------
    X : DataFrame
    y : ndarray
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    n_num = n_features - 4
    X = pd.DataFrame(rng.normal(size=(n, n_num)), columns=[f"num{i}" for i in range(n_num)])
    for i in range(4):
        X[f"cat{i}"] = pd.Categorical(rng.choice(list("abcde"), size=n))
    X = X.mask(rng.random(X.shape) < 0.05)
    logit = X["num0"].fillna(0) - X["num1"].fillna(0) + (X["cat0"] == "a") * 1.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit.to_numpy()))).astype(int)
    return X, y


def _fit_once(what: str, n_ensemble: int, Xtr, ytr, Xte) -> float:
    """Fit and score; returns the seconds of the fit alone."""
    import warnings

    from llmboost import PFNBoostClassifier, PriorBoostClassifier
    from llmboost.priors import BundledPFNPrior

    prior = BundledPFNPrior(n_ensemble=n_ensemble, random_state=0)
    if what == "prior":
        model = prior
    elif what == "pfnboost":
        model = PriorBoostClassifier(prior=prior, random_state=0)
    else:
        model = PFNBoostClassifier(random_state=0)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the offline fallback's warning
        model.fit(Xtr, ytr)
    seconds = time.perf_counter() - start
    model.logits(Xte) if what == "prior" else model.predict_proba(Xte)
    return seconds


def measure(config: tuple, repeats: int, warmup: bool = True) -> dict:
    """Run in this process: median wall and CPU seconds and peak resident memory.

    Parameters
    ----------
    config : tuple
        One entry of :data:`CONFIGS`.
    repeats : int
    warmup : bool, default=True
        Run once untimed first.

    Returns
    -------
    dict
    """
    import resource

    import torch

    what, threads, n_ensemble, rows, features = config
    torch.set_num_threads(threads)
    X, y = table(2 * rows, features)
    split = (what, n_ensemble, X.iloc[:rows], y[:rows], X.iloc[rows:].reset_index(drop=True))

    def once() -> float:
        return _fit_once(*split)

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    if warmup:
        once()
    times, cpus, fits = [], [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), cpu()
        fits.append(once())
        times.append(time.perf_counter() - start)
        cpus.append(cpu() - start_cpu)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "median_s": float(np.median(times)),
        "median_cpu_s": float(np.median(cpus)),
        "median_fit_s": float(np.median(fits)),
        "times": times,
        "peak_rss_mb": peak_mb,
    }


def _at_least_one(text: str) -> int:
    """An integer >= 1, else a usage error (llmboost-bench's ``count(1)``, here without
    importing llmboost: ``--package-root`` must import it first)."""
    if not re.fullmatch("[0-9]+", text) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: use an integer >= 1")
    return int(text)


def _use_package(root: str) -> None:
    """Import ``llmboost`` from ``root``, ahead of an installed (or editable) copy."""
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    sys.path.insert(0, str(Path(root).resolve()))
    import llmboost

    if not Path(llmboost.__file__).resolve().is_relative_to(Path(root).resolve()):
        raise SystemExit(f"llmboost was imported from {llmboost.__file__}, not {root}")


def _run_child(i: int, args) -> tuple:
    """Configuration ``i`` measured in a child process: ``(config, result)``."""
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    child = subprocess.run(
        [sys.executable, __file__, "--repeats", str(args.repeats), "--one", str(i)]
        + ([] if args.warmup else ["--no-warmup"])
        + (["--package-root", args.package_root] if args.package_root else []),
        capture_output=True,
        text=True,
        env=env,
    )
    if child.returncode:  # its error, captured, is said: the configurations before are printed
        raise SystemExit(
            f"configuration {i} {CONFIGS[i]} failed (exit status {child.returncode}):\n"
            + child.stderr.strip()[-3000:]
        )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    print(CONFIGS[i], result, flush=True)
    return CONFIGS[i], result


def main(argv: list[str] | None = None) -> None:
    """Time every configuration (each in its own process) and print the table.

    Parameters
    ----------
    argv : list of str, default=None
        Options; ``None`` reads the command line.

    Returns
    -------
    None
    """
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--repeats",
        type=_at_least_one,
        default=5,
        help="timed calls, median reported (default: %(default)s)",
    )
    p.add_argument("--md", default=None, help="write a markdown table here")
    p.add_argument(
        "--only",
        nargs="+",
        type=int,
        choices=range(len(CONFIGS)),
        default=None,
        help="configuration numbers (see --list)",
    )
    p.add_argument("--list", action="store_true", help="list the configurations")
    p.add_argument(
        "--no-warmup", dest="warmup", action="store_false", help="time without a warm-up call"
    )
    p.add_argument("--package-root", default=None, help="folder holding another llmboost")
    p.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # child process
    args = p.parse_args(argv)
    given = {"--md": (args.md, "a file name"), "--package-root": (args.package_root, "a folder")}
    for option, (value, what) in given.items():
        if value is not None and not value.strip():  # an unset shell variable: was ignored
            p.error(f"argument {option}: it is empty; give {what}")
    root = args.package_root
    if root and not (Path(root) / "llmboost" / "__init__.py").is_file():
        p.error(
            f"argument --package-root: {root} holds no llmboost/__init__.py; give a folder "
            f"with llmboost in it, e.g. git archive COMMIT llmboost | tar -x -C {root}"
        )
    if args.md and Path(args.md).is_dir():  # said before the run, not after it
        p.error(f"argument --md: {args.md} is a folder; give a file name")
    if args.list:
        for i, config in enumerate(CONFIGS):
            print(i, config)
        return
    if args.one is not None:
        if args.package_root:
            _use_package(args.package_root)
        print(json.dumps(measure(CONFIGS[args.one], args.repeats, args.warmup)))
        return
    rows = [
        _run_child(i, args) for i in (args.only if args.only is not None else range(len(CONFIGS)))
    ]
    lines = [
        "| what | table | torch threads | n_ensemble | median s | of which fit s | median CPU s "
        "| peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (what, threads, n_ensemble, n, f), r in rows:
        lines.append(
            f"| {LABELS[what]} | {n} x {f} | {threads} | {n_ensemble} | {r['median_s']:.2f} "
            f"| {r['median_fit_s']:.2f} | {r['median_cpu_s']:.2f} | {r['peak_rss_mb']:.0f} |"
        )
    text = "\n".join(lines)
    print(text)
    if args.md:
        from _script import command_line, write_summary  # here: after --package-root's import

        write_summary(
            args.md,
            "# Bundled PFN speed\n\n```\n"
            f"{command_line('bench_bundled_pfn_speed.py', argv)}\n```\n\n"
            f"Median of {args.repeats} runs ({'after a' if args.warmup else 'no'} warm-up), "
            "each configuration in its own "
            "process; as many rows scored as fitted.\n\n" + text + "\n",
        )


__all__ = ["CONFIGS", "LABELS", "main", "measure", "table"]


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        from _script import interrupted  # here: a child imports llmboost from --package-root

        interrupted()
