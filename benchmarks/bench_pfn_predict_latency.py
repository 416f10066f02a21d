"""Prediction latency of a fitted bundled PFN: the kept encoded context against a full pass.

    python benchmarks/bench_pfn_predict_latency.py \\
        --md benchmarks/results/pfn_predict_latency.md

For each table (``bench_bundled_pfn_speed.table``: numeric and 4 categorical columns,
5% missing) a ``BundledPFNPrior()`` (default settings) and a
``PriorBoostClassifier(prior=BundledPFNPrior())`` are fitted on ``rows`` rows; then
``logits`` / ``predict_proba`` of 1 and of 100 new rows are timed, ``--repeats`` calls
each after one untimed call, median wall seconds. "kept" is the package as it is (the
first call encodes the training rows and keeps them); "full pass" drops the kept
context and sets ``ENCODED_CONTEXT_BYTES = 0`` for the call, so it runs the network
over the context again, as every call did before the context was kept. Both in the same
process, one after the other. The largest absolute difference between the two paths'
outputs is reported too.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from functools import partial
from pathlib import Path

import _interrupt  # noqa: F401
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _script import (  # noqa: E402
    DefaultsHelpFormatter,
    check_summary_file,
    command_line,
    interrupted,
    write_summary,
)
from bench_bundled_pfn_speed import table  # noqa: E402

TABLES = [(100, 10), (500, 10), (1000, 20)]


def _median_seconds(call, repeats: int) -> float:
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def measure(rows: int, features: int, repeats: int) -> list[dict]:
    """Median seconds of 1- and 100-row predictions, kept context and full pass.

    Parameters
    ----------
    rows, features : int
        The training table's shape.
    repeats : int

    Returns
    -------
    list of dict
    """
    from llmboost import PriorBoostClassifier
    from llmboost.priors import BundledPFNPrior

    X, y = table(rows + 100, features)
    Xtr, ytr, Xnew = X.iloc[:rows], y[:rows], X.iloc[rows:]
    prior = BundledPFNPrior().fit(Xtr, ytr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        boost = PriorBoostClassifier(prior=BundledPFNPrior(), random_state=0).fit(Xtr, ytr)
    out = []
    for what, model, fitted in (("prior logits", prior, prior),
                                ("fused predict_proba", boost, boost.prior_)):  # fmt: skip
        score = model.logits if model is prior else model.predict_proba
        for n_new in (1, 100):
            rows_new = Xnew.iloc[:n_new]
            kept = _median_seconds(partial(score, rows_new), repeats)
            kept_out = score(rows_new)
            full = _median_seconds(partial(_full_pass, score, rows_new, fitted), repeats)
            out.append(
                {
                    "what": what,
                    "table": f"{rows} x {features}",
                    "new rows": n_new,
                    "kept s": kept,
                    "full pass s": full,
                    "ratio": full / kept,
                    "max abs diff": float(
                        np.abs(kept_out - _full_pass(score, rows_new, fitted)).max()
                    ),
                }
            )
            print(out[-1], flush=True)
    return out


def _full_pass(score, rows, fitted_prior):
    """``score(rows)`` with the prior's context run through the network again."""
    import llmboost.priors._bundled_pfn as bundled

    kept, budget = fitted_prior._encoded, bundled.ENCODED_CONTEXT_BYTES
    fitted_prior._encoded, bundled.ENCODED_CONTEXT_BYTES = None, 0
    try:
        return score(rows)
    finally:
        fitted_prior._encoded, bundled.ENCODED_CONTEXT_BYTES = kept, budget


def main() -> None:
    from llmboost.benchmarks.cli import count

    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter, description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--repeats", type=count(1), default=11, help="timed calls of each, median reported"
    )
    parser.add_argument("--md", required=True, help="results file to write")
    args = parser.parse_args()
    check_summary_file("--md", args.md)
    import torch

    torch.set_num_threads(2)
    results = [r for rows, features in TABLES for r in measure(rows, features, args.repeats)]
    keys = list(results[0])
    lines = [
        "# Bundled PFN prediction latency: the kept encoded context",
        "",
        "```",
        command_line("bench_pfn_predict_latency.py", None),
        "```",
        "",
        f"Median wall seconds of {args.repeats} calls (torch {torch.__version__}, 2 threads).",
        "",
        "| " + " | ".join(keys) + " |",
        "|" + "---|" * len(keys),
    ]
    for r in results:
        cells = [f"{v:.4f}" if isinstance(v, float) and k.endswith(" s") else
                 f"{v:.1f}x" if k == "ratio" else f"{v:.1e}" if isinstance(v, float) else str(v)
                 for k, v in r.items()]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    write_summary(args.md, "\n".join(lines) + "\n")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        interrupted()
