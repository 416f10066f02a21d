"""The Dask estimators on a ``distributed.LocalCluster``: prior scoring and 1M-row training.

    python benchmarks/bench_dask.py --out benchmarks/results/dask.md

1. **Prior scoring throughput**, 1 worker against 2 workers (processes, one thread
   each): ``DaskPriorBoostClassifier(prior=..., scale="prior")`` is fitted on 1,000 rows
   (the prior's context), then ``predict_proba`` scores ``--score-rows`` new rows in 8
   partitions; one warm-up call (loads the model on every worker), then ``--repeats``
   timed calls, median reported. Priors: a tiny random GPT-2 (2 layers, width 32, the
   test fixture) through :class:`~llmboost.LLMPrior`, and the bundled PFN. A calibration
   first measures what a second process gets on this (shared) machine: matrix products
   in 1 and 2 processes, one thread each. Each prior runs twice: with distributed's
   default ``MALLOC_TRIM_THRESHOLD_=65536`` in the workers' environment (whose effect on
   torch the Dask estimators undo, ``docs/dask.md``), and with the variable unset
   (``TRIM_SETTING`` set to ``None``).
2. **The allocator** (``--allocator-rows``): the default language model scoring rows in
   one process with ``MALLOC_TRIM_THRESHOLD_`` unset, set as distributed sets it, and set
   with the mmap threshold raised as the Dask estimators do on their workers.
3. **Training on 1,000,000 rows** (20 numeric columns, binary label): the Dask
   estimator on 2 workers against :class:`~llmboost.PriorBoostClassifier` in one process,
   both with the default prior (logistic regression), ``scale=0.3`` and the default
   XGBoost parameters (100 trees, one thread per process). Time of ``fit``, ROC AUC on
   100,000 held-out rows, peak resident memory (the local run in its own process; for
   Dask the client and each worker). The Dask data are generated on the workers.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import platform
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path
from queue import Empty

import _interrupt  # noqa: F401
import numpy as np
import pandas as pd

N_FEATURES = 20


def synthetic(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """``n`` rows of a logistic model with an interaction, reproducible from ``seed``.

    Parameters
    ----------
    n : int
    seed : int

    Returns
    -------
    X : DataFrame
    y : Series
    """
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, N_FEATURES)), columns=[f"f{j}" for j in range(N_FEATURES)])
    logit = X["f0"] - 0.5 * X["f1"] + X["f2"] * X["f3"] + 0.3 * X.iloc[:, 4:8].sum(axis=1)
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit.to_numpy()))).astype(int), name="y")
    return X, y


def _part(i: int, rows: int, seed: int) -> pd.DataFrame:
    X, y = synthetic(rows, seed * 1000 + i)
    X["y"] = y.to_numpy()
    return X.set_axis(pd.RangeIndex(i * rows, (i + 1) * rows))


def dask_table(n: int, parts: int, seed: int):
    """The same rows as :func:`local_table`, generated partition by partition on workers.

    Parameters
    ----------
    n : int
        Rows.
    parts : int
        Partitions.
    seed : int

    Returns
    -------
    X : dask DataFrame
    y : dask Series
    """
    import dask.dataframe as dd

    rows = n // parts
    divisions = [i * rows for i in range(parts)] + [n - 1]
    frame = dd.from_map(_part, range(parts), rows=rows, seed=seed, divisions=divisions)
    return frame.drop(columns="y"), frame["y"]


def local_table(n: int, parts: int, seed: int):
    """The rows of :func:`dask_table`, generated in this process.

    Parameters
    ----------
    n : int
    parts : int
        Partitions the rows are generated in (as on the workers).
    seed : int

    Returns
    -------
    X : DataFrame
    y : Series
    """
    frame = pd.concat([_part(i, n // parts, seed) for i in range(parts)])
    return frame.drop(columns="y"), frame.pop("y")


def _matmuls(seconds: float) -> float:
    import torch

    torch.set_num_threads(1)
    a, b = torch.randn(512, 512), torch.randn(512, 512)
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        a @ b
        n += 1
    return n / seconds


def calibration(seconds: float = 10.0) -> float:
    """Two processes' matmul rate over one process's: what the machine gives a 2nd worker now.

    Parameters
    ----------
    seconds : float, default=10.0
        Duration of each measurement.

    Returns
    -------
    float
    """
    ctx = multiprocessing.get_context("spawn")
    rates = []
    for n in (1, 2):
        with ctx.Pool(n) as pool:
            rates.append(sum(pool.map(_matmuls, [seconds] * n)))
    return rates[1] / rates[0]


def _child_result(target, *args) -> dict:
    """What ``target(*args, queue)`` puts on the queue, run in a fresh (spawned) process.

    A process that ends without it (its error printed above) stops the run with exit
    status 1: the run waited for it forever. On Ctrl-C, which it ignores, it is stopped.
    """
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=target, args=(*args, queue))
    process.start()
    try:
        out = _wait_result(process, queue, target.__name__)
    except BaseException:  # Ctrl-C: the run ends now, not when the process has finished
        process.terminate()
        raise
    finally:
        process.join()
    return out


def _wait_result(process, queue, name: str) -> dict:
    """What ``process`` puts on ``queue``, or ``SystemExit`` when it ends without it."""
    while process.is_alive():
        try:
            out = queue.get(timeout=1)
            break
        except Empty:
            pass
    else:
        try:  # a result put just before the end
            out = queue.get(timeout=5)
        except Empty:
            process.join()
            raise SystemExit(
                f"{name} ended with exit status {process.exitcode} before "
                "giving its result; its error is above"
            ) from None
    return out


def peak_mb() -> float:
    """Peak resident memory of this process.

    Returns
    -------
    float
        Megabytes.
    """
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- 1. prior scoring throughput ----------------------------------------------------------------
def make_prior(name: str, folder: Path):
    """The prior timed: ``"bundled-pfn"`` or ``"tiny-llm"`` (a small random model).

    Parameters
    ----------
    name : str
    folder : Path
        Where the tiny language model is written.

    Returns
    -------
    Prior
    """
    if name == "tiny-llm":
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from llm_fixtures import build_gpt2

        from llmboost import LLMPrior

        path = folder / "gpt2"
        if not path.is_dir():
            build_gpt2(path)
        return LLMPrior(str(path), cache_dir=False, progress=False, dtype="float32")
    from llmboost import BundledPFNPrior

    return BundledPFNPrior(random_state=0)


#: The dask setting under test: distributed sets this variable in every worker process.
TRIM_SETTING = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


def scoring(
    prior_name: str, workers: int, rows: int, repeats: int, folder: Path, trim: bool = True
) -> dict:
    """Median seconds of scoring ``rows`` rows with a prior on a LocalCluster.

    Parameters
    ----------
    prior_name : str
        As in :func:`make_prior`.
    workers : int
    rows : int
    repeats : int
    folder : Path
    trim : bool, default=True
        Keep distributed's default ``MALLOC_TRIM_THRESHOLD_=65536`` in the workers'
        environment; ``False`` leaves the variable unset (glibc's own defaults).

    Returns
    -------
    dict
        ``seconds``; ``cores``, the workers' CPU time over the wall time of a call (how
        many cores they kept busy; medians); the torch ``threads`` of the workers.
    """
    import dask
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    from llmboost.dask import DaskPriorBoostClassifier

    X, y = synthetic(1000 + rows, seed=1)
    X = X.round(3)  # shorter prompts for the language model
    environ = {} if trim else {TRIM_SETTING: None}
    if not trim:  # an earlier cluster's nanny left it in this process's environment
        os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with (
        dask.config.set(environ),
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        model = DaskPriorBoostClassifier(prior=make_prior(prior_name, folder), scale="prior")
        model.fit(dd.from_pandas(X.iloc[:1000], npartitions=2), dd.from_pandas(y[:1000], 2))
        new = dd.from_pandas(X.iloc[1000:], npartitions=8)
        model.predict_proba(new).compute()  # warm-up: the model loads on every worker
        seconds, cores = [], []
        for _ in range(repeats):
            cpu0, t0 = sum(client.run(_cpu_seconds).values()), time.perf_counter()
            model.predict_proba(new).compute()
            seconds.append(time.perf_counter() - t0)
            cores.append((sum(client.run(_cpu_seconds).values()) - cpu0) / seconds[-1])
        threads = client.run(lambda: __import__("torch").get_num_threads())
    return {
        "seconds": float(np.median(seconds)),
        "cores": float(np.median(cores)),
        "threads": sorted(threads.values()),
    }


def _cpu_seconds() -> float:
    """CPU time (user + system, all threads) of the calling process: run on each worker."""
    import psutil

    times = psutil.Process().cpu_times()
    return times.user + times.system


def _allocator_rate(rows: int, restore: bool, queue) -> None:
    import torch

    from llmboost import LLMPrior
    from llmboost.dask._scoring import restore_mmap_threshold

    torch.set_num_threads(1)
    raised = restore_mmap_threshold() if restore else False
    X, y = synthetic(rows + 100, seed=2)
    prior = LLMPrior(cache_dir=False, progress=False).fit(X.round(3)[:100], y[:100])
    prior.logits(X.round(3)[100:110])  # warm-up: loads the model
    t0 = time.perf_counter()
    prior.logits(X.round(3)[100 : 100 + rows])
    queue.put({"seconds": time.perf_counter() - t0, "raised": raised})


def allocator(rows: int) -> list[dict]:
    """The default language model's scoring time in the three allocator settings.

    Each setting runs in a fresh process (glibc reads its variables at start): no
    variable; ``MALLOC_TRIM_THRESHOLD_=65536`` as distributed sets it in its workers;
    the same with :func:`~llmboost.dask._scoring.restore_mmap_threshold` called first,
    as the Dask estimators do on their workers. One torch thread.

    Parameters
    ----------
    rows : int
        Rows scored (after a warm-up of 10).

    Returns
    -------
    list of dict
        ``setting``, ``seconds`` and whether the threshold was ``raised``.
    """
    out = []
    for setting, trim, restore in (
        ("unset", None, False),
        ("65536 (distributed's default)", "65536", False),
        ("65536, mmap threshold raised", "65536", True),
    ):
        saved = os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
        if trim is not None:
            os.environ["MALLOC_TRIM_THRESHOLD_"] = trim
        out.append({"setting": setting, **_child_result(_allocator_rate, rows, restore)})
        os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
        if saved is not None:
            os.environ["MALLOC_TRIM_THRESHOLD_"] = saved
    return out


# -- 2. one million rows ------------------------------------------------------------------------
def _local_fit(n: int, parts: int, test: int, queue) -> None:
    from sklearn.metrics import roc_auc_score

    from llmboost import PriorBoostClassifier

    X, y = local_table(n, parts, seed=0)
    X_test, y_test = synthetic(test, seed=99)
    t0 = time.perf_counter()
    model = PriorBoostClassifier(scale=0.3, random_state=0).fit(X, y)
    fit = time.perf_counter() - t0
    auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    queue.put({"fit": fit, "auc": auc, "peak_mb": peak_mb()})


def local_training(n: int, parts: int, test: int) -> dict:
    """``PriorBoostClassifier`` on all rows, in a fresh process.

    Parameters
    ----------
    n : int
        Training rows.
    parts : int
    test : int
        Test rows.

    Returns
    -------
    dict
        Fit seconds, test AUC and peak memory.
    """
    return _child_result(_local_fit, n, parts, test)


def dask_training(n: int, parts: int, test: int) -> dict:
    """``DaskPriorBoostClassifier`` on all rows with two workers.

    Parameters
    ----------
    n : int
        Training rows.
    parts : int
    test : int
        Test rows.

    Returns
    -------
    dict
        Fit seconds, test AUC, sample size and peak memory of the client and workers.
    """
    import dask.dataframe as dd
    from distributed import Client, LocalCluster
    from sklearn.metrics import roc_auc_score

    from llmboost.dask import DaskPriorBoostClassifier

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        X, y = dask_table(n, parts, seed=0)
        X_test, y_test = synthetic(test, seed=99)
        t0 = time.perf_counter()
        model = DaskPriorBoostClassifier(scale=0.3, random_state=0).fit(X, y)
        fit = time.perf_counter() - t0
        proba = model.predict_proba(dd.from_pandas(X_test, npartitions=4)).compute()
        auc = roc_auc_score(y_test, proba[:, 1])
        workers = client.run(peak_mb)
    return {
        "fit": fit,
        "auc": auc,
        "peak_mb": peak_mb(),
        "worker_mb": sorted(workers.values()),
        "n_sample": model.n_sample_,
    }


def _parser() -> argparse.ArgumentParser:
    from _script import DefaultsHelpFormatter, file_name  # here: spawned workers import this file

    from llmboost.benchmarks.cli import count

    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter, description=__doc__.split("\n")[0]
    )
    scored = "rows the %s prior scores per timed call (default %%(default)s)"
    parser.add_argument("--score-rows", type=count(1), default=4000, help=scored % "tiny-llm")
    parser.add_argument("--pfn-rows", type=count(1), default=20000, help=scored % "bundled PFN")
    parser.add_argument(
        "--repeats", type=count(1), default=3, help="timed scoring calls, median reported"
    )
    parser.add_argument(
        "--rows", type=count(1), default=1_000_000, help="training rows (default 1000000)"
    )
    parser.add_argument(
        "--partitions", type=count(1), default=20, help="partitions of --rows, a divisor of it"
    )
    parser.add_argument("--skip-scoring", action="store_true", help="skip the scoring section")
    parser.add_argument("--skip-training", action="store_true", help="skip the training section")
    parser.add_argument(
        "--allocator-rows",
        type=count(0),
        default=200,
        help="rows the default language model scores in each allocator setting (0: skip)",
    )
    parser.add_argument("--out", type=file_name, default=None, help="write a markdown report here")
    return parser


def _scoring_section(args) -> list[str]:
    """Markdown: the priors' scoring throughput on one and two workers, both environments."""
    lines = [
        "## Prior scoring throughput (median of the timed calls)",
        "",
        "`MALLOC_TRIM_THRESHOLD_`: distributed's default (65536) in the workers, or unset.",
        "",
        "Cores: the workers' CPU time over the wall time of a call (cores kept busy).",
        "",
        "| prior | MALLOC_TRIM_THRESHOLD_ | rows | 1 worker: s | rows/s | cores | 2 workers: s "
        "| rows/s | cores | speed-up |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    ratio = calibration()
    print(f"calibration {ratio:.2f}x", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, rows in (("tiny-llm", args.score_rows), ("bundled-pfn", args.pfn_rows)):
            for trim in (True, False):
                one = scoring(name, 1, rows, args.repeats, Path(tmp), trim)
                two = scoring(name, 2, rows, args.repeats, Path(tmp), trim)
                lines.append(
                    f"| {name} | {'65536' if trim else 'unset'} | {rows} | "
                    f"{one['seconds']:.1f} | {rows / one['seconds']:.0f} | {one['cores']:.2f} | "
                    f"{two['seconds']:.1f} | {rows / two['seconds']:.0f} | {two['cores']:.2f} | "
                    f"**{one['seconds'] / two['seconds']:.2f}x** |"
                )
                print(lines[-1], f"torch threads per worker {two['threads']}", flush=True)
    return [
        *lines,
        "",
        f"Calibration: two processes each multiplying 512 x 512 matrices (one thread) did "
        f"{ratio:.2f}x the work of one process, on the same machine just before.",
    ]


def _allocator_section(args) -> list[str]:
    """Markdown: the default language model in the three allocator settings."""
    runs = allocator(args.allocator_rows)
    base = runs[0]["seconds"]
    lines = [
        "",
        f"## The default language model and the allocator ({args.allocator_rows} rows, "
        "one process, one thread)",
        "",
        "| MALLOC_TRIM_THRESHOLD_ | seconds | rows/s | time against unset |",
        "|---|---|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run['setting']} | {run['seconds']:.1f} | "
            f"{args.allocator_rows / run['seconds']:.1f} | {run['seconds'] / base:.2f}x |"
        )
        print(lines[-1], flush=True)
    return lines


def _training_section(args) -> list[str]:
    """Markdown: local and Dask training on ``--rows`` rows."""
    test = 100_000
    local = local_training(args.rows, args.partitions, test)
    print("local", local, flush=True)
    dask = dask_training(args.rows, args.partitions, test)
    print("dask", dask, flush=True)
    return [
        "",
        f"## Training on {args.rows:,} rows x {N_FEATURES} (scale=0.3, logistic-regression "
        "prior, XGBoost defaults)",
        "",
        "| estimator | fit seconds | test ROC AUC | peak memory |",
        "|---|---|---|---|",
        f"| PriorBoostClassifier (one process) | {local['fit']:.0f} | {local['auc']:.4f} | "
        f"{local['peak_mb']:.0f} MB |",
        f"| DaskPriorBoostClassifier (2 workers, sample {dask['n_sample']:,} rows) | "
        f"{dask['fit']:.0f} | {dask['auc']:.4f} | client {dask['peak_mb']:.0f} MB, workers "
        f"{', '.join(f'{m:.0f}' for m in dask['worker_mb'])} MB |",
    ]


def main(argv=None) -> int:
    """Measure the Dask estimators; print (and write) the markdown report.

    Parameters
    ----------
    argv : list of str, default=None
        Options such as ``["--skip-training"]``; ``None`` reads the command line.

    Returns
    -------
    int
        0; the report is printed and, with ``--out``, written to that file.
    """
    # here: spawned workers import this file
    from _script import check_summary_file, command_line, write_summary

    parser = _parser()
    args = parser.parse_args(argv)
    check_summary_file("--out", args.out)
    if args.skip_scoring and args.skip_training and not args.allocator_rows:
        parser.error(
            "--skip-scoring, --skip-training and --allocator-rows 0 leave nothing to measure "
            "(the report would hold no section); drop one of them"
        )
    if not args.skip_training and args.rows % args.partitions:
        parser.error(  # the partitions hold rows // partitions each: the rest was dropped
            f"argument --rows: {args.rows} rows do not split into {args.partitions} equal "
            f"partitions (--partitions), so {args.rows % args.partitions} would not be "
            f"trained on; give a multiple of {args.partitions}"
        )
    lines = [
        "# Dask estimators on a LocalCluster",
        "",
        f"`{command_line('bench_dask.py', argv)}`",
        "",
        f"Machine: {os.cpu_count()} CPU cores ({platform.processor() or platform.machine()}), "
        f"shared with other jobs (load average before the run: {os.getloadavg()[0]:.1f}).",
        "",
    ]
    if not args.skip_scoring:
        lines += _scoring_section(args)
    if args.allocator_rows:
        lines += _allocator_section(args)
    if not args.skip_training:
        lines += _training_section(args)
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        write_summary(args.out, report)
    return 0


__all__ = [
    "N_FEATURES",
    "TRIM_SETTING",
    "allocator",
    "calibration",
    "dask_table",
    "dask_training",
    "local_table",
    "local_training",
    "main",
    "make_prior",
    "peak_mb",
    "scoring",
    "synthetic",
]


def _run(argv=None) -> None:
    """:func:`main`, stopped by Ctrl-C with one line and exit status 130.

    XGBoost turns a Ctrl-C inside its data callback into an error of its own (ValueError
    here, exit status 1): once Ctrl-C was pressed, any error ends the run as the stop.
    Python's report of the interrupt it swallowed, and Dask's logs of the shutdown that
    follows (tasks cancelled, workers killed), are left out.
    """
    from _script import interrupted  # here: spawned workers import this file

    pressed = []

    def press(signum, frame):
        pressed.append(signum)
        logging.disable(logging.CRITICAL)
        raise KeyboardInterrupt

    def unraisable(report, hook=sys.unraisablehook):
        if not (pressed and issubclass(report.exc_type, KeyboardInterrupt)):
            hook(report)

    signal.signal(signal.SIGINT, press)
    sys.unraisablehook = unraisable
    try:
        raise SystemExit(main(argv))
    except KeyboardInterrupt:
        interrupted()
    except Exception:
        if not pressed:
            raise
        interrupted()


if __name__ == "__main__":
    _run()
