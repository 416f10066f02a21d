"""Wall time of TabPFNPrior's out-of-fold logits against one in-sample TabPFN fit/predict.

Builds a random TabPFN v2 checkpoint (tiny by default; ``--real-size`` uses the sizes of
the released v2 model, so timings match the real weights), then times on the same rows:

* ``in-sample``: ``fit(X, y)`` then ``logits(X)`` (context = all rows, as at predict time);
* ``OOF fused``: ``oof_logits`` with K folds, folds of equal shape fused into one pass by
  TabPFN's ``predict_proba_batched`` / ``predict_batched`` (forced on, whatever the
  device; by default the prior fuses on CUDA only);
* ``OOF per fold``: ``oof_logits`` with fusing off: TabPFN fitted once per fold, the
  fold's rows scored in batches (the prior's default on CPU).

Example::

    OMP_NUM_THREADS=1 python benchmarks/bench_tabpfn_prior.py --rows 250 500 1000
    python benchmarks/bench_tabpfn_prior.py --device cuda --real-size --rows 1000 5000 10000
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import _interrupt  # noqa: F401
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the checkpoint builder lives with the tests

from _script import (  # noqa: E402
    THREADS_PER_CPU,
    DefaultsHelpFormatter,
    check_device,
    check_summary_file,
    file_name,
    interrupted,
    threads,
    write_summary,
)
from tabpfn_fixtures import build_checkpoint  # noqa: E402

import llmboost.priors._tabpfn as tabpfn_prior  # noqa: E402
from llmboost.benchmarks.cli import count  # noqa: E402
from llmboost.priors import TabPFNPrior  # noqa: E402
from llmboost.scale_search import make_folds  # noqa: E402


def make_data(n: int, n_features: int, task: str, seed: int = 0):
    """A synthetic table of ``n`` rows with a linear signal.

    Parameters
    ----------
    n : int
    n_features : int
    task : {"classification", "regression"}
    seed : int, default=0

    Returns
    -------
    X : DataFrame
    y : ndarray
        ``"yes"``/``"no"`` labels or floats.
    """
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, n_features)), columns=[f"f{j}" for j in range(n_features)])
    signal = X.iloc[:, : min(3, n_features)].sum(axis=1).to_numpy()
    if task == "classification":
        return X, np.where(signal + rng.normal(scale=0.5, size=n) > 0, "yes", "no")
    return X, signal + rng.normal(scale=0.5, size=n)


def median_times(fns: dict, repeats: int) -> dict[str, float]:
    """Median wall time of each function; repeats interleaved so load drift hits all alike.

    Parameters
    ----------
    fns : dict of str to callable
    repeats : int

    Returns
    -------
    dict of str to float
    """
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            sync()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def sync() -> None:
    """Wait for the GPU's queued work, when there is a GPU.

    Returns
    -------
    None
    """
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def oof(prior, X, y, folds, fused: bool):
    """Out-of-fold logits, the folds fused into one batch or one fit per fold (the
    prior's own choice of devices is restored after the call).

    Parameters
    ----------
    prior : TabPFNPrior
    X : DataFrame
    y : ndarray
    folds : list of (train, test) index arrays
    fused : bool

    Returns
    -------
    ndarray
    """
    kept = tabpfn_prior.FUSED_FOLD_DEVICES
    tabpfn_prior.FUSED_FOLD_DEVICES = ("cuda", "cpu") if fused else ()
    try:
        return prior.oof_logits(X, y, folds)
    finally:
        tabpfn_prior.FUSED_FOLD_DEVICES = kept


def time_rows(n: int, prior, args) -> tuple[int, int, float, float, float]:
    """Time in-sample and out-of-fold scoring of ``n`` rows.

    Parameters
    ----------
    n : int
    prior : callable
        Returns a new TabPFNPrior.
    args : argparse.Namespace

    Returns
    -------
    tuple
        (rows, context rows, in-sample s, OOF fused s, OOF one fit per fold s).
    """
    X, y = make_data(n, args.features, args.task)
    folds = make_folds(y, args.folds, args.task, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the context-cap warning for large n
        prior().fit(X, y).logits(X.iloc[:5])  # warm-up: checkpoint load, kernels
        t = median_times(
            {
                "in": lambda: prior().fit(X, y).logits(X),
                "fused": lambda: oof(prior(), X, y, folds, True),
                "fold": lambda: oof(prior(), X, y, folds, False),
            },
            args.repeats,
        )
        context = prior().fit(X, y).context_size_
    return n, context, t["in"], t["fused"], t["fold"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter, description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--rows", type=count(1), nargs="+", default=[250, 500, 1000], help="row counts timed"
    )
    parser.add_argument("--features", type=count(1), default=10, help="synthetic feature columns")
    parser.add_argument("--folds", type=count(2), default=5, help="K of the out-of-fold logits")
    parser.add_argument(
        "--repeats", type=count(1), default=3, help="timed runs of each, median reported"
    )
    parser.add_argument(
        "--task",
        choices=["classification", "regression"],
        default="classification",
        help="the TabPFN model timed",
    )
    parser.add_argument(
        "--device",
        default="cpu",
        help="torch device: cpu, auto (CUDA when torch sees a GPU, else the CPU), cuda, cuda:0 "
        "or another torch sees here",
    )
    parser.add_argument("--n-estimators", type=count(1), default=4, help="TabPFN's n_estimators")
    parser.add_argument("--real-size", action="store_true", help="v2-sized random checkpoint")
    parser.add_argument(
        "--threads",
        type=threads,
        default=1,
        help=f"torch CPU threads, at most {THREADS_PER_CPU} per CPU; more than the CPUs share them",
    )
    parser.add_argument("--out", type=file_name, help="also write the markdown here")
    return parser


def _table(args, argv, rows: list, size: str, n_params: int) -> str:
    """The markdown report of the timed rows."""
    import torch

    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    hardware = torch.cuda.get_device_name(device) if device.startswith("cuda") else device.upper()
    command = "python benchmarks/bench_tabpfn_prior.py " + shlex.join(
        sys.argv[1:] if argv is None else argv
    )
    lines = [
        f"Command: `{command}`",
        "",
        f"Checkpoint: random TabPFN v2 architecture, {size} size ({n_params:,} parameters); "
        f"task {args.task}; {args.features} features; n_estimators={args.n_estimators}; "
        f"K={args.folds}; device {device} ({hardware}); torch threads {args.threads}; "
        f"median of {args.repeats} (interleaved).",
        "",
        "| rows | context | in-sample fit+predict (s) | OOF fused (s) | OOF per fold (s) "
        "| OOF/in-sample (fused, per fold) | in-sample rows/s | OOF rows/s (fused, per fold) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, context, t_in, t_fused, t_fold in rows:
        lines.append(
            f"| {n} | {context} | {t_in:.3f} | {t_fused:.3f} | {t_fold:.3f} "
            f"| {t_fused / t_in:.2f}, {t_fold / t_in:.2f} | {n / t_in:,.0f} "
            f"| {n / t_fused:,.0f}, {n / t_fold:,.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    """Time in-sample and out-of-fold TabPFN scoring; print (and write) the markdown.

    Parameters
    ----------
    argv : list of str, default=None
        Options such as ``["--rows", "250", "500"]``; ``None`` reads the command line.

    Returns
    -------
    str
        The markdown report.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    check_summary_file("--out", args.out)
    check_device(parser, args.device)  # before the checkpoint is built
    for n in args.rows:  # before any is timed: a later one stopped the run with a traceback
        try:
            make_folds(make_data(n, args.features, args.task)[1], args.folds, args.task, 0)
        except ValueError as err:
            why = str(err).split(". ")[0]  # not its advice on the fusion search's scale
            parser.error(f"argument --rows: {n} rows cannot be cross-validated ({why}); give more")

    import torch

    torch.set_num_threads(args.threads)
    size = "v2" if args.real_size else "tiny"
    with tempfile.TemporaryDirectory(prefix="bench_tabpfn_") as folder:
        ckpt = build_checkpoint(
            Path(folder) / f"random-{size}-{args.task}.ckpt", args.task, size=size
        )
        n_params = sum(
            v.numel()
            for k, v in torch.load(ckpt, weights_only=True)["state_dict"].items()
            if not k.startswith("criterion.")
        )

        def prior() -> TabPFNPrior:
            return TabPFNPrior(
                task=args.task, model_path=ckpt, device=args.device, n_estimators=args.n_estimators
            )

        rows = [time_rows(n, prior, args) for n in args.rows]
    text = _table(args, argv, rows, size, n_params)
    print(text)
    if args.out:
        write_summary(args.out, text + "\n")
    return text


__all__ = ["ROOT", "main", "make_data", "median_times", "oof", "sync", "time_rows"]


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        interrupted()
