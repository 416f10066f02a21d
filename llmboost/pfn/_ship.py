"""Exporting a pretraining run's weights: ``model.pt`` beside each checkpoint and
``--ship`` (the weights plus a JSON record of how they were made)."""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

from ._pretrain_cli import StopOnInterrupt, _file_above
from ._resume import load_checkpoint

#: The format tag of the files this package's pretraining writes.
FORMAT = "llmboost-pfn/1"


def _replace(path: Path, write) -> None:
    """Write ``path`` through a temporary file: a stop or a full disk mid-write leaves
    the old file whole, and no temporary file."""
    # this process's own: two ships to one file keep apart
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())  # on disk before it takes the old file's name
        os.replace(tmp, path)
    except BaseException:  # a failed write (a full disk, Ctrl-C) leaves no part file
        tmp.unlink(missing_ok=True)
        raise


def atomic_save(obj, path: Path) -> None:
    """``torch.save`` ``obj`` to ``path``, whole or not at all."""
    import torch

    _replace(path, lambda f: torch.save(obj, f))


def atomic_write_json(obj, path: Path) -> None:
    """Write ``obj`` as indented JSON to ``path``, whole or not at all."""
    _replace(path, lambda f: f.write(json.dumps(obj, indent=2).encode()))


def export(model, recipe: dict, info: dict, path: Path) -> None:
    """Write the shippable checkpoint: tensors and plain Python types only.

    Parameters
    ----------
    model : TabPFNLite
    recipe : dict
        How the run was made.
    info : dict
        Training steps, minutes and validation history.
    path : Path
        The file written.

    Returns
    -------
    None
    """
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    atomic_save(
        {
            "format": FORMAT,
            "config": model.cfg.to_dict(),
            "state_dict": state,
            "recipe": _plain(recipe),
            "train_info": _plain(info),
        },
        path,
    )


def _plain(obj):
    """JSON round trip, so a checkpoint loads with ``torch.load(weights_only=True)``."""
    return json.loads(json.dumps(obj, default=str))


def ship(run_dir: str | os.PathLike, dest: str | os.PathLike) -> dict:
    """Export a run's latest ``checkpoint.pt`` to ``dest`` (+ ``dest`` with ``.json``).

    The JSON file holds the recipe and the training info (steps, minutes, validation
    history) next to the shipped weights. A run started with ``--init-from`` a shipped
    checkpoint also keeps that checkpoint's JSON under ``"parent"`` (read before
    ``dest`` is written, so shipping over the parent keeps its record).

    Parameters
    ----------
    run_dir : str or Path
    dest : str or Path

    Returns
    -------
    dict
        What the JSON file holds.
    """
    dest = _check_dest(run_dir, dest)
    try:
        model, meta = _shipment(run_dir)
    except SystemExit as stop:  # the command line's stop on a file it cannot read
        raise ValueError(f"ship: {stop}") from None
    _write(model, meta, dest)
    return meta


def ship_command(run_dir: str | os.PathLike, dest: str | os.PathLike) -> dict:
    """:func:`ship` for ``--ship``: a Ctrl-C while the run is read writes nothing, and one
    (or SIGTERM) while the files are written waits for both, so that ``dest`` and its
    ``.json`` are never of two runs; either stop ends with one line (exit status 130 or
    143)."""
    dest = _check_dest(run_dir, dest)
    pair = f"{dest} and {dest.with_suffix('.json')}"
    try:
        model, meta = _shipment(run_dir)
    except KeyboardInterrupt:
        print(f"\ninterrupted: nothing was written ({pair} are as they were)", file=sys.stderr)
        raise SystemExit(130) from None
    stop = StopOnInterrupt()
    try:
        _write(model, meta, dest)
    finally:
        stop.release()
    if stop:
        print(f"\n{stop.why}: {pair} were written whole before stopping", file=sys.stderr)
        raise SystemExit(stop.exit_status)
    return meta


def _shipment(run_dir) -> tuple:
    """The model of a run's ``checkpoint.pt`` and the record shipped with it."""
    from .model import PFNConfig, TabPFNLite

    ck = load_checkpoint(Path(run_dir) / "checkpoint.pt")
    model = TabPFNLite(PFNConfig(**{"label_to_cells": False, **ck["config"]}))
    model.load_state_dict(ck["model"])
    info = {
        "step": ck["step"],
        "minutes": round(ck["elapsed"] / 60, 2),
        "val_loss": ck["history"][-1]["val_loss"] if ck["history"] else None,
        "history": ck["history"],
    }
    meta = {"recipe": _plain(ck["recipe"]), "train_info": _plain(info)}
    parent = ck["recipe"].get("initialised_from")
    # relative to the run folder; recipes written before: to the folder the run started in
    places = (Path(run_dir) / str(parent), Path(str(parent))) if parent else ()
    found = [p.with_suffix(".json") for p in places if p.with_suffix(".json").is_file()]
    if found:
        record = _parent_record(found[0])
        if _same_run(record.get("recipe", {}), meta["recipe"]):  # shipped over its parent
            record = record.get("parent")  # before: keep the parent that ship recorded
        if record:
            meta["parent"] = record
    return model, meta


def _write(model, meta: dict, dest: Path) -> None:
    """Write the shipped weights to ``dest`` and their record beside it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    export(model, meta["recipe"], meta["train_info"], dest)
    atomic_write_json(meta, dest.with_suffix(".json"))


def _path(value, name: str) -> Path:
    """``value``, the argument ``name`` of :func:`ship`, as a path, else an error naming
    it (Python's own said 'expected str, bytes or os.PathLike object'; an empty one was
    read as the current folder)."""
    if not isinstance(value, str | os.PathLike):
        raise TypeError(
            f"ship: {name} must be a path (str or os.PathLike), got {type(value).__name__}."
        )
    if not str(os.fspath(value)).strip():  # Path reads it as the current folder
        raise ValueError(f"ship: {name} is empty; name a path.")
    return Path(value)


def _check_run_dir(run_dir) -> Path:
    """``run_dir`` as a path, refused unless a folder holding ``checkpoint.pt`` (Python's
    own error named only ``RUN/checkpoint.pt``)."""
    run_dir = _path(run_dir, "run_dir")
    shown, what = os.fspath(run_dir), "name the folder of a pretraining run (its --out)"
    if not run_dir.exists():
        raise FileNotFoundError(f"ship: run_dir {shown!r} does not exist; {what}.")
    if not run_dir.is_dir():
        raise NotADirectoryError(f"ship: run_dir {shown!r} is a file; {what}.")
    if not (run_dir / "checkpoint.pt").is_file():
        raise FileNotFoundError(
            f"ship: run_dir {shown!r} holds no checkpoint.pt; train the run first."
        )
    return run_dir


def _check_dest(run_dir, dest) -> Path:
    """``dest`` as a path, refused unless a ``.pt`` file (else ``x.json`` gets the
    weights and then the record over them) that leaves the run's own files alone."""
    run_dir, dest = _check_run_dir(run_dir), _path(dest, "dest")
    if (above := _file_above(dest)) is not None:  # found once the run was read
        raise NotADirectoryError(
            f"ship: dest {os.fspath(dest)!r} is inside {os.fspath(above)!r}, a file; name "
            "another dest."
        )
    if dest.suffix != ".pt":
        raise ValueError(
            f"ship: dest must name a .pt file (its .json record is written beside it), got "
            f"{os.fspath(dest)!r}."
        )
    written = {dest.resolve(), dest.with_suffix(".json").resolve()}
    for own in ("checkpoint.pt", "recipe.json", "train_info.json"):
        if (Path(run_dir) / own).resolve() in written:
            raise ValueError(
                f"ship: dest {os.fspath(dest)!r} would write over the run's {own}; name "
                "another file."
            )
    for path in (dest, dest.with_suffix(".json")):
        if path.is_dir():  # the weights would be written, then the record would fail
            raise ValueError(f"ship: {os.fspath(path)!r} is a folder; name another dest.")
    return dest


def _parent_record(path: Path) -> dict:
    """The shipped JSON of the weights a run started from, or a stop saying what to do."""
    try:
        record = json.loads(path.read_text())
        if isinstance(record, dict):
            return record
        why = f"a JSON {type(record).__name__}, not an object"
    except (OSError, ValueError) as exc:
        why = ": ".join([type(exc).__name__, *str(exc).splitlines()[:1]])
    raise SystemExit(
        f"{os.path.normpath(path)} (the record of the weights this run started from) cannot "
        f"be read ({why}); restore it (the shipped weights' record is in git), or move it "
        "away to ship without it"
    )


def _same_run(a: dict, b: dict) -> bool:
    """Whether two recipes are of one run (its folder, model and starting weights)."""
    keys = ("config", "initialised_from")
    return a.get("args", {}).get("out") == b.get("args", {}).get("out") and all(
        a.get(k) == b.get(k) for k in keys
    )


__all__ = ["FORMAT", "atomic_save", "atomic_write_json", "export", "ship", "ship_command"]
