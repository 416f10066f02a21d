"""Speed and memory of the bundled PFN on a 1,000 x 20 table, CPU.

    python benchmarks/bench_bundled_pfn_speed.py --md benchmarks/results/bundled_pfn_speed.md

Each configuration runs in a fresh process (so peak memory is its own): the prior is
fitted on 1,000 rows x 20 features (16 numeric, 4 categorical, 5% missing) and scores
1,000 new rows; one warm-up call, then ``--repeats`` timed calls, median reported. Also
timed: ``PriorBoostClassifier(prior=BundledPFNPrior())`` fit (5-fold out-of-fold logits
plus the scale search) and predict on the same table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def table(n: int, seed: int = 0):
    import pandas as pd

    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 16)), columns=[f"num{i}" for i in range(16)])
    for i in range(4):
        X[f"cat{i}"] = pd.Categorical(rng.choice(list("abcde"), size=n))
    X = X.mask(rng.random(X.shape) < 0.05)
    logit = X["num0"].fillna(0) - X["num1"].fillna(0) + (X["cat0"] == "a") * 1.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit.to_numpy()))).astype(int)
    return X, y


def measure(what: str, threads: int, n_ensemble: int, repeats: int) -> dict:
    """Run in this process: median seconds and peak resident memory."""
    import resource

    import torch

    torch.set_num_threads(threads)
    from llmboost import PriorBoostClassifier
    from llmboost.priors.bundled_pfn import BundledPFNPrior

    X, y = table(2000)
    Xtr, ytr, Xte = X.iloc[:1000], y[:1000], X.iloc[1000:].reset_index(drop=True)

    def once():
        prior = BundledPFNPrior(n_ensemble=n_ensemble, random_state=0)
        if what == "prior":
            prior.fit(Xtr, ytr).logits(Xte)
        else:
            PriorBoostClassifier(prior=prior, random_state=0).fit(Xtr, ytr).predict_proba(Xte)

    once()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        once()
        times.append(time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"median_s": float(np.median(times)), "times": times, "peak_rss_mb": peak_mb}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--md", default=None, help="write a markdown table here")
    p.add_argument("--one", default=None, help=argparse.SUPPRESS)  # child process
    args = p.parse_args(argv)
    if args.one:
        what, threads, n_ensemble = args.one.split(",")
        print(json.dumps(measure(what, int(threads), int(n_ensemble), args.repeats)))
        return
    configs = [
        ("prior", 2, 4),
        ("prior", 1, 4),
        ("prior", 2, 1),
        ("pfnboost", 2, 4),
    ]
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    rows = []
    for what, threads, n_ensemble in configs:
        out = subprocess.run(
            [sys.executable, __file__, "--repeats", str(args.repeats)]
            + ["--one", f"{what},{threads},{n_ensemble}"],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout
        result = json.loads(out.strip().splitlines()[-1])
        rows.append((what, threads, n_ensemble, result))
        print(what, threads, n_ensemble, result, flush=True)
    lines = [
        "| what | torch threads | n_ensemble | median s | peak RSS MB |",
        "|---|---|---|---|---|",
    ]
    for what, threads, n_ensemble, r in rows:
        label = "prior fit + logits" if what == "prior" else "PFNBoost fit + predict_proba"
        lines.append(
            f"| {label} | {threads} | {n_ensemble} | {r['median_s']:.2f} | {r['peak_rss_mb']:.0f} |"
        )
    text = "\n".join(lines)
    print(text)
    if args.md:
        Path(args.md).write_text(
            "# Bundled PFN speed, 1,000 x 20 table\n\n"
            "```\npython benchmarks/bench_bundled_pfn_speed.py --md " + args.md + "\n```\n\n"
            f"1,000 context rows x 20 features, 1,000 rows scored; median of {args.repeats} "
            "runs after a warm-up, each configuration in its own process.\n\n" + text + "\n"
        )


if __name__ == "__main__":
    main()
