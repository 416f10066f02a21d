"""A suite's results file: one JSON record per cell, read back, and checked against the
settings of a run that would add to it (another tuning budget, test-set cap or data)."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from .datasets import data_digest, dataset_name

RESULTS = "results.jsonl"
_RECORD_KEYS = {"dataset", "method", "size", "seed", "status"}


def cell_key(record: dict) -> tuple:
    """The cell a record belongs to.

    Parameters
    ----------
    record : dict
        One line of ``results.jsonl``.

    Returns
    -------
    tuple
        ``(dataset, method, size as text, seed)``.
    """
    return (record["dataset"], record["method"], str(record["size"]), int(record["seed"]))


def _drop_partial_line(path: Path) -> None:
    """Cut a last line left unfinished by a stop, or end a whole one that lacks its
    newline (as :func:`read_results` reads it), so the next record starts a line."""
    if not path.exists():
        return
    with path.open("r+b") as f:
        if f.seek(0, os.SEEK_END) == 0:
            return
        f.seek(-1, os.SEEK_END)
        if f.read(1) == b"\n":
            return  # whole: only its last byte was read
        f.seek(0)
        text = f.read()
        start = text.rfind(b"\n") + 1
        try:
            json.loads(text[start:])
        except ValueError:  # cut short by a stop: that cell reruns
            f.truncate(start)
        else:
            f.write(b"\n")


def read_results(out_dir: Path) -> list[dict]:
    """The records of a suite's folder.

    Parameters
    ----------
    out_dir : Path

    Returns
    -------
    list of dict
        Lines cut short by a stop, and blank lines, are left out.

    Raises
    ------
    ValueError
        When a line is JSON but not a record of a cell (another program's file).
    """
    path = Path(out_dir) / RESULTS
    if not path.exists():
        return []
    records = []
    lines = path.read_text(errors="replace").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():  # a record's line emptied by hand: that cell reruns
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):  # the last line, cut short by a stop: that cell reruns
                continue
            record = None
        if not isinstance(record, dict) or not _RECORD_KEYS <= record.keys():
            raise ValueError(
                f"line {number} of {path} is not a cell's record ({line[:60]!r}); give a "
                "folder that only llmboost-bench writes to"
            )
        records.append(record)
    return records


def check_settings(out_dir: Path, n_trials: int, max_test: int, datasets: list = ()) -> None:
    """Raise ``ValueError`` when ``out_dir`` holds results of another tuning budget,
    test-set cap or data (a rerun would skip those cells and the report would mix them).

    Parameters
    ----------
    out_dir : Path
    n_trials : int
        The budget of the run about to start; failed and skipped records (no scores)
        may have another.
    max_test : int
        Its cap on test rows (records without one were written with the default, 2000).
        Another cap passes for a record whose test set is below both caps, and for a
        failed or skipped one: capped either way, its cell is the same.
    datasets : list of str, default=()
        The run's datasets: a name with results of other data (another folder of that
        name, ``sklearn:iris`` and a folder ``iris``, or files changed since) is refused.
    """
    _check_records(out_dir, read_results(out_dir), n_trials, max_test, datasets)


def _check_records(out_dir, records: list[dict], n_trials: int, max_test: int, datasets) -> None:
    """:func:`check_settings` over records already read."""
    _check_data(out_dir, records, datasets)
    for option, key, value, default in (
        ("--n-trials", "n_trials", n_trials, 0),
        ("--max-test", "max_test", max_test, 2000),
    ):
        scored = [r for r in records if r.get("status") == "ok"]
        binding = scored if key == "n_trials" else [r for r in scored if _capped(r, value)]
        others = {r.get(key, default) for r in binding} - {value}
        if others:
            raise ValueError(
                f"{Path(out_dir) / RESULTS} holds results with {option} "
                f"{', '.join(map(str, sorted(others)))}, not {value}: a rerun would skip "
                f"those cells and the report would mix them; use another folder or the same "
                f"{option}"
            )


def _data_id(spec: str) -> str:
    """What a record says its table is: a folder's digest, else the spec (``sklearn:iris``)."""
    return data_digest(spec) or spec


def _check_data(out_dir: Path, records: list[dict], datasets: list) -> None:
    ids = {dataset_name(spec): (spec, _data_id(spec)) for spec in datasets}
    for record in records:
        spec, data = ids.get(record["dataset"], (None, None))
        if data and record.get("data", data) != data:  # records of old versions have none
            raise ValueError(
                f"{Path(out_dir) / RESULTS} holds results for {record['dataset']!r} computed "
                f"on other data than {spec} (another dataset of that name, or its files "
                "changed since): a rerun would skip those cells and the report would mix "
                "them; use another folder"
            )


def _capped(record: dict, max_test: int) -> bool:
    """Whether the record's scores could differ under ``max_test`` from under its own cap."""
    if record.get("status") != "ok":
        return False  # no scores
    if "n_test" not in record:
        return True
    rows = record["n_test"] + record.get("n_test_unscored", 0)
    return rows >= min(record.get("max_test", 2000), max_test + 1)


def replace_whole(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write`` on a file beside ``path``, then rename it over ``path``, which is
    never half written; the temporary is this process's own (two writers of one file
    keep apart) and is gone afterwards, whether ``write`` succeeded or not."""
    part = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
    try:
        write(part)
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)


__all__ = ["RESULTS", "cell_key", "check_settings", "read_results", "replace_whole"]
