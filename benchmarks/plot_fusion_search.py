"""Picture of one fit's fusion search: CV score of every (scale, rounds) candidate.

    python benchmarks/plot_fusion_search.py --dataset heart --size 512 \\
        --out docs/images/fusion_search.png

Fits ``PriorBoostClassifier(prior=BundledPFNPrior())`` on a stratified subsample of a
shared task and draws ``cv_results_`` as a heat map (rows: scale the trees start from;
columns: boosting rounds, 0 = the prior alone at that scale), with the weight each
candidate got in the selected ensemble written in its cell.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

import _interrupt  # noqa: F401
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_bundled_pfn  # noqa: E402
from _script import SEED, DefaultsHelpFormatter, count, file_name, interrupted  # noqa: E402

from llmboost import PriorBoostClassifier  # noqa: E402
from llmboost.benchmarks.datasets import stratified_subsample  # noqa: E402
from llmboost.benchmarks.results import replace_whole  # noqa: E402
from llmboost.priors import BundledPFNPrior  # noqa: E402


def draw(model, title: str, out: str) -> Path:
    """The heat map of one fit's candidates and ensemble weights, saved as ``out``.

    Parameters
    ----------
    model : PriorBoostClassifier or PriorBoostRegressor
        Fitted with the grid search: ``scale="auto"`` or a list of scales, and
        ``n_trials=0``.
    title : str
    out : str or Path
        The image path; its extension names the format, ``.png`` when it has none.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        When the model has no grid search to draw.
    """
    res = model.cv_results_
    if res is None or "ensemble_weight" not in res:
        why = "searched nothing" if res is None else "was tuned by optuna (n_trials > 0)"
        raise ValueError(
            f"draw: this model {why}, so it has no grid of (scale, rounds) candidates; fit "
            "it with scale='auto' (or a list of scales) and n_trials=0."
        )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scales = [1.0 if s == "prior" else s for s in res["param_scale"]]
    rows = sorted(set(scales))
    cols = sorted(set(res["param_n_rounds"]))
    # the search's own loss is drawn as a loss (lower is better), a given scorer as is
    name, sign = _score_name(model)
    loss = np.full((len(rows), len(cols)), np.nan)
    weight = np.zeros_like(loss)
    for s, r, score, w in zip(scales, res["param_n_rounds"], res["mean_test_score"],
                              res["ensemble_weight"]):  # fmt: skip
        loss[rows.index(s), cols.index(r)] = sign * score
        weight[rows.index(s), cols.index(r)] += w
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    # a few very poor candidates would flatten the rest: cap the colour at the worst 15%
    finite = loss[np.isfinite(loss)]
    cap = {}
    if finite.size:
        cap = (
            {"vmax": np.percentile(finite, 85)} if sign < 0 else {"vmin": np.percentile(finite, 15)}
        )
    cmap = "viridis_r" if sign < 0 else "viridis"
    image = ax.imshow(loss, cmap=cmap, aspect="auto", **cap)
    for i in range(len(rows)):
        for j in range(len(cols)):
            if weight[i, j] > 0:
                ax.text(j, i, f"{weight[i, j]:.2f}", ha="center", va="center", color="red",
                        fontsize=9, fontweight="bold")  # fmt: skip
    ax.set_xticks(range(len(cols)), [str(c) for c in cols])
    ax.set_yticks(range(len(rows)), [f"{s:g}" for s in rows])
    ax.set_xlabel("boosting rounds (0 = the prior alone at that scale)")
    ax.set_ylabel("scale the trees start from")
    ax.set_title(f"{title}\nred: weight in the fused model (scale_ = {model.scale_:.3g})")
    fig.colorbar(image, label=f"CV {name} (mean over folds; capped colour)")
    fig.tight_layout()
    return _save(fig, out)


def _save(fig, out: str) -> Path:
    """Save ``fig`` as ``out`` (``.png`` added when it has no extension, as matplotlib
    does) through a temporary file, so that a failed write leaves no broken picture."""
    path = Path(out)
    fmt = path.suffix[1:] or "png"
    if not path.suffix:
        path = path.with_name(path.name.rstrip(".") + ".png")
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_whole(path, lambda part: fig.savefig(part, format=fmt, dpi=110))
    return path


def _score_name(model) -> tuple[str, int]:
    """What ``cv_results_``'s scores are, and the sign that makes them that."""
    from sklearn.base import is_classifier

    if model.scoring is None:  # the search's per-row loss, stored negated
        return ("log loss" if is_classifier(model) else "RMSE"), -1
    scoring = model.scoring
    name = scoring if isinstance(scoring, str) else getattr(scoring, "__name__", "score")
    return f"{name}, higher is better", 1


def _check_out(parser: argparse.ArgumentParser, out: Path) -> None:
    """Stop with a usage error on an ``--out`` the picture cannot be saved as."""
    from matplotlib.backend_bases import FigureCanvasBase

    if out.is_dir():
        parser.error(
            f"argument --out: {out} is a folder; give a file name, e.g. {out / 'fusion_search.png'}"
        )
    kinds = sorted(FigureCanvasBase.get_supported_filetypes())
    if (out.suffix[1:].lower() or "png") not in kinds:
        parser.error(
            f"argument --out: {out}: matplotlib cannot write {out.suffix} pictures; give a "
            f"name ending in one of {', '.join('.' + k for k in kinds)}"
        )
    folder = next(p for p in out.absolute().parents if p.exists())  # made there if missing
    probe = folder / f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}.part"
    try:
        open(probe, "x").close()
    except OSError as err:  # a read-only folder
        parser.error(
            f"argument --out: cannot write {out}: {err.strerror}; give a folder you can write to"
        )
    probe.unlink()


def main() -> None:
    """Fit one model and draw its search.

    Returns
    -------
    None
    """
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter, description=__doc__.splitlines()[0]
    )
    parser.add_argument("--dataset", default="heart", help="shared classification task")
    parser.add_argument(
        "--size", type=count(1), default=512, help="training rows, a stratified subsample"
    )
    parser.add_argument(
        "--seed", type=SEED, default=0, help="seeds the subsample, the prior and the booster"
    )
    parser.add_argument(
        "--out",
        type=file_name,
        default="docs/images/fusion_search.png",
        help="the picture; its extension names the format",
    )
    args = parser.parse_args()
    tasks = bench_bundled_pfn.DATASETS
    if not (tasks / args.dataset / "meta.json").is_file():
        names = ", ".join(sorted(p.parent.name for p in tasks.glob("*/meta.json")))
        parser.error(
            f"argument --dataset: no task {args.dataset!r} in {tasks}; give one of {names}"
        )
    _check_out(parser, args.out)  # before the fit: saving would fail after it
    train, y, _, _, _ = bench_bundled_pfn.load_task(args.dataset, 1000)
    rows = stratified_subsample(y, args.size, args.seed)  # all rows when there are fewer
    model = PriorBoostClassifier(prior=BundledPFNPrior(random_state=args.seed),
                                 random_state=args.seed)  # fmt: skip
    model.fit(train.iloc[rows].reset_index(drop=True), y[rows])
    path = draw(model, f"{args.dataset}, {len(rows)} rows, bundled PFN prior", args.out)
    print(f"wrote {path}; members: {[m[:3] for m in model.members_]}")


__all__ = ["draw", "main"]


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        interrupted()
