"""The report of a suite: markdown tables and PNG plots next to the results file."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from .results import cell_key, read_results, replace_whole


def _size_order(size) -> float:
    return np.inf if size == "all" else float(size)


def write_report(out_dir: Path) -> Path:
    """Write ``report.md``, ``auc_<dataset>.png`` and ``normalized_auc.png``.

    Parameters
    ----------
    out_dir : Path
        The suite's folder.

    Returns
    -------
    Path
        The report.
    """
    out_dir = Path(out_dir)
    records = read_results(out_dir)
    if not records:
        raise ValueError(
            f"No results in {out_dir}; run `llmboost-bench run --out {out_dir}` first."
        )
    latest = {cell_key(r): r for r in records}  # a cell run again: its last record counts
    frame = pd.DataFrame(list(latest.values()))
    frame["size"] = frame["size"].astype(str)
    ok = frame[frame["status"] == "ok"].copy()
    sizes = sorted(ok["size"].unique(), key=_size_order)
    lines = ["# Benchmark report", ""]
    hosts = ", ".join(sorted(frame["host"].dropna().unique())) if "host" in frame else "unknown"
    failed = frame[frame["status"] == "failed"]
    skipped = frame[frame["status"] == "skipped"]
    counts = f"{len(ok)} cell{'' if len(ok) == 1 else 's'} finished, {len(failed)} failed"
    counts += f", {len(skipped)} skipped" if len(skipped) else ""
    lines += [
        f"{counts}; ran on {hosts}.",
        "ROC AUC on the fixed test set (one-vs-rest macro for multiclass), mean ± standard "
        "deviation over seeds.",
        "",
    ]
    if not ok.empty:
        ok["norm_auc"] = ok.groupby(["dataset", "size", "seed"])["auc"].transform(
            lambda a: (a - a.min()) / (a.max() - a.min()) if a.max() > a.min() else 1.0
        )
        ok["rank"] = ok.groupby(["dataset", "size", "seed"])["auc"].rank(ascending=False)
        lines += ["## All datasets: mean rank (1 is best)", ""]
        lines += _table(ok, "rank", sizes, "{:.2f}", spread=False)
        lines += ["", "## All datasets: mean normalised AUC (0 worst, 1 best method)", ""]
        lines += _table(ok, "norm_auc", sizes, "{:.3f}", spread=False)
        for name, part in ok.groupby("dataset"):
            lines += ["", f"## {name}", ""] + _table(part, "auc", sizes, "{:.3f}", spread=True)
        try:
            _plots(ok, sizes, out_dir)
        except ModuleNotFoundError as err:
            note = f"No plots: {err.name} is not installed; pip install 'llmboost[bench]'."
            print(note, file=sys.stderr)
            lines += ["", note]
    lines += _raised_lines(ok) + _unscored_lines(ok) + _failed_lines(failed)
    lines += _skipped_lines(skipped) + _missing_lines(frame)
    path = out_dir / "report.md"
    replace_whole(path, lambda part: part.write_text("\n".join(lines) + "\n"))
    return path


def _failed_lines(failed: pd.DataFrame) -> list[str]:
    if failed.empty:
        return []
    lines = [
        "",
        "## Failed cells",
        "",
        "| dataset | method | size | seed | error |",
        "|---|---|---|---|---|",
    ]
    for r in failed.itertuples():
        error = " ".join(str(r.error).split())[:160].replace("|", "\\|")  # one table cell
        lines.append(f"| {r.dataset} | {r.method} | {r.size} | {r.seed} | {error} |")
    return lines


def _raised_lines(ok: pd.DataFrame) -> list[str]:
    """Per dataset, the sizes that trained on more rows to give every class two."""
    if ok.empty or "n_train" not in ok:  # records written before n_train was recorded
        return []
    numeric = pd.to_numeric(ok["size"], errors="coerce")
    raised = ok[numeric.notna() & (ok["n_train"] > numeric)]
    if raised.empty:
        return []
    lines = [
        "",
        "## Sizes raised to two training rows per class",
        "",
        "| dataset | size | rows trained on |",
        "|---|---|---|",
    ]
    rows = raised.groupby(["dataset", "size"])["n_train"].max()
    for name, size in sorted(rows.index, key=lambda key: (key[0], _size_order(key[1]))):
        lines.append(f"| {name} | {size} | {int(rows[(name, size)])} |")
    return lines


def _unscored_lines(ok: pd.DataFrame) -> list[str]:
    """Per dataset and size, the most test rows left unscored: those of classes that the
    training rows lack (their AUC and log loss are over the other rows)."""
    if ok.empty or "n_test_unscored" not in ok or not ok["n_test_unscored"].notna().any():
        return []
    lines = [
        "",
        "## Test rows not scored: classes absent from the training rows",
        "",
        "| dataset | size | cells | rows not scored (most) |",
        "|---|---|---|---|",
    ]
    part = ok[ok["n_test_unscored"].notna()]
    rows = part.groupby(["dataset", "size"])["n_test_unscored"].agg(["size", "max"])
    for name, size in sorted(rows.index, key=lambda key: (key[0], _size_order(key[1]))):
        cells, most = rows.loc[(name, size)]
        lines.append(f"| {name} | {size} | {int(cells)} | {int(most)} |")
    return lines


def _skipped_lines(skipped: pd.DataFrame) -> list[str]:
    """Per dataset, the sizes above its training rows (those cells were not fitted)."""
    if skipped.empty:
        return []
    lines = [
        "",
        "## Skipped cells: size above the dataset's training rows",
        "",
        "| dataset | training rows | sizes | cells |",
        "|---|---|---|---|",
    ]
    for name, part in skipped.groupby("dataset"):
        sizes = ", ".join(sorted(part["size"].unique(), key=_size_order))
        lines.append(f"| {name} | {int(part['n_rows'].max())} | {sizes} | {len(part)} |")
    return lines


def _missing_lines(frame: pd.DataFrame) -> list[str]:
    """Per dataset and size, the seeds of a method that has no record where other methods
    have one (a run stopped before it got there): the tables compare it on fewer seeds."""
    rows = []
    for (name, size), part in frame.groupby(["dataset", "size"]):
        for method, cells in part.groupby("method"):
            if missing := sorted(set(part["seed"]) - set(cells["seed"])):
                rows.append((name, _size_order(size), size, method, missing))
    if not rows:
        return []
    return [
        "",
        "## Cells not run: the tables compare these methods on fewer seeds",
        "",
        "Other methods have records for these seeds; run the suite's command again to resume it.",
        "",
        "| dataset | size | method | seeds not run |",
        "|---|---|---|---|",
        *(
            f"| {n} | {size} | {m} | {', '.join(map(str, seeds))} |"
            for n, _, size, m, seeds in sorted(rows)
        ),
    ]


def _table(part: pd.DataFrame, column: str, sizes: list, fmt: str, spread: bool) -> list[str]:
    stats = part.groupby(["method", "size"])[column].agg(["mean", "std"])
    order = stats["mean"].groupby("method").mean().sort_values(ascending=column == "rank").index
    lines = ["| method | " + " | ".join(sizes) + " |", "|---" * (len(sizes) + 1) + "|"]
    for method in order:
        cells = []
        for size in sizes:
            if (method, size) not in stats.index:
                cells.append("")
                continue
            mean, std = stats.loc[(method, size)]
            text = fmt.format(mean)
            cells.append(text + (f" ± {std:.3f}" if spread and np.isfinite(std) else ""))
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return lines


def _plots(ok: pd.DataFrame, sizes: list, out_dir: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = {s: i for i, s in enumerate(sizes)}
    style = {m: i for i, m in enumerate(sorted(ok["method"].unique()))}  # alike in every plot
    for name, part in [*ok.groupby("dataset"), ("all datasets", ok)]:
        column = "norm_auc" if name == "all datasets" else "auc"
        fig, ax = plt.subplots(figsize=(8.5, 4.5))
        for method, rows in part.groupby("method"):
            i = style[method]
            curve = rows.groupby("size")[column].mean()
            points = sorted(curve.index, key=_size_order)
            ax.plot(
                [x[s] for s in points],
                [curve[s] for s in points],
                label=method,
                color=plt.cm.tab20.colors[i % 20],
                marker="os^Dv"[i % 5],
            )
        ax.set_xticks(range(len(sizes)), sizes)
        ax.set_xlabel("training rows")
        ax.set_ylabel("normalised ROC AUC" if column == "norm_auc" else "ROC AUC")
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
        fig.tight_layout()
        file = "normalized_auc.png" if name == "all datasets" else f"auc_{name}.png"
        replace_whole(out_dir / file, partial(fig.savefig, dpi=110, format="png"))
        plt.close(fig)


__all__ = ["write_report"]
