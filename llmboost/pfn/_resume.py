"""Resuming a pretraining run: the settings it must keep, and what its checkpoint restores."""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

#: The options that define a run's model, training data, validation set and optimisation:
#: a resumed run must keep them (``bins`` matters in regression only).
KEPT = (
    "task", "width", "layers", "heads", "label_to_cells", "bins", "seed", "kind_weights",
    "tokens", "max_rows", "val_seed", "val_batches", "lr", "min_lr_ratio", "warmup",
    "weight_decay",
)  # fmt: skip
#: What a resumed run may change.
FREE = (
    "the budget (--minutes, or --steps if the run has a step budget: a larger one "
    "extends the run), --val-every, --checkpoint-every, --threads and --device"
)


def _same(a, b) -> bool:
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) or isinstance(b, float):  # kind weights are normalised
        return isinstance(a, int | float) and math.isclose(a, b, rel_tol=1e-9)
    return a == b


def _show(name: str, value) -> str:
    if name == "label_to_cells":
        return "left out" if value else "given"
    if name == "kind_weights":
        return " ".join(f"{w:.3g}" for w in value)
    return "left out" if value is None else str(value)


def _option(name: str) -> str:
    return "--no-label-to-cells" if name == "label_to_cells" else "--" + name.replace("_", "-")


def fill_budget(args: argparse.Namespace, recipe: dict | None) -> str | None:
    """Give a command without ``--minutes`` or ``--steps`` the budget of the run it
    resumes (``recipe``; None for a new run), or 60 minutes; the option taken, if any."""
    if args.minutes is not None or args.steps is not None:
        return None
    old = (recipe or {}).get("args", {})
    args.minutes, args.steps = old.get("minutes"), old.get("steps")
    if args.minutes is None and args.steps is None:
        args.minutes = 60.0
        return None
    return f"--steps {args.steps}" if args.steps else f"--minutes {args.minutes:g}"


def differences(recipe: dict, args: argparse.Namespace) -> list[str]:
    """One line per option of ``args`` that would change the run ``recipe`` records.

    Parameters
    ----------
    recipe : dict
        The recipe stored in the run's checkpoint.
    args : argparse.Namespace
        The options of the command resuming it.

    Returns
    -------
    list of str
        ``"--seed: 3 in the run, 4 now"`` and the like; empty when the run goes on as it was.
    """
    old = recipe.get("args", {})
    # None: a recipe written before the option existed
    names = [k for k in KEPT if old.get(k) is not None and not _same(old[k], getattr(args, k))]
    if "bins" in names and "regression" not in (old.get("task"), args.task):
        names.remove("bins")
    if "steps" in old and (old["steps"] is None) != (args.steps is None):
        names.append("steps")  # the schedule follows steps, or time without --steps
    if "initialised_from" in recipe and not _same_parent(recipe, args):
        names.append("init_from")
    return [
        f"{_option(k)}: {_show(k, old.get(k))} in the run, {_show(k, getattr(args, k))} now"
        for k in names
    ]


def _same_parent(recipe: dict, args: argparse.Namespace) -> bool:
    """Whether ``--init-from`` names the file the run started from (or both are left out)."""
    parent = recipe["initialised_from"]
    if parent is None or args.init_from is None:
        return parent is None and args.init_from is None
    # relative to the run folder; recipes written before: as typed
    places = {os.path.abspath(Path(args.out) / parent), os.path.abspath(parent)}
    return os.path.abspath(args.init_from) in places


def check_same_run(ck: dict, args: argparse.Namespace, path: Path) -> None:
    """Stop, naming each differing option with both values, when ``args`` would change
    the run of checkpoint ``ck`` (read from ``path``)."""
    lines = differences(ck.get("recipe", {}), args)
    if lines:
        raise SystemExit(
            f"{path} was trained with other settings than this command's:\n  "
            + "\n  ".join(lines)
            + f"\nResume with the run's settings (its commands are in {path.parent}"
            f"{os.sep}recipe.json) or start a new run with another --out; a resumed run "
            f"may change only {FREE}."
        )


def load_checkpoint(path: Path) -> dict:
    """Read the run's ``checkpoint.pt`` onto the CPU (the RNG states must stay there),
    or stop with what to do when it cannot be read (cut short, or another file)."""
    import pickle

    try:
        ck = read_plain(path)
        if not isinstance(ck, dict) or not {"model", "config", "step"} <= ck.keys():
            raise KeyError("not a checkpoint of this command")
        checkpoint_weights(ck)
    except (pickle.UnpicklingError, EOFError, RuntimeError, KeyError, AttributeError) as exc:
        why = ": ".join([type(exc).__name__, *str(exc).splitlines()[:1]])
        raise SystemExit(
            f"{path} cannot be read ({why}); restore it from a copy, or start a new run "
            f"with another --out (--init-from {path.parent / 'model.pt'} starts it from "
            "the weights of the last save, if that file reads)"
        ) from None
    return ck


def read_init(path: str | os.PathLike) -> dict:
    """The checkpoint ``--init-from`` names (:func:`read_plain`), with its weights checked
    (:func:`checkpoint_weights`)."""
    ck = read_plain(path)
    checkpoint_weights(ck)
    return ck


def read_plain(path: str | os.PathLike):
    """A file of ``torch.save`` read with ``weights_only=True``: tensors and plain values,
    all a shipped ``model.pt`` or a run's ``checkpoint.pt`` holds. A file holding other
    objects is refused unread, whatever its name and folder (reading it in full would
    run any code it holds)."""
    import pickle

    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (KeyError, ValueError, IndexError) as exc:  # how its unpickler reads other bytes
        why = f"{type(exc).__name__}: {exc}"
        raise pickle.UnpicklingError(f"not a file of torch.save ({why})") from None
    except pickle.UnpicklingError as exc:
        if "Weights only load failed" not in str(exc):
            raise
        found = "; ".join(t.strip(" .") for t in str(exc).splitlines() if "nsupported" in t)
        raise pickle.UnpicklingError(
            f"it holds more than tensors and plain values ({found or 'refused by torch'}), so "
            "it is not read; the model.pt and checkpoint.pt of `python -m "
            "llmboost.pfn.pretrain` hold only those"
        ) from None


def checkpoint_weights(ck) -> dict:
    """The named tensors of checkpoint ``ck``: its ``state_dict`` (a ``model.pt``) or
    ``model`` (a ``checkpoint.pt``); a ``RuntimeError`` says what it holds instead."""
    import torch

    if not isinstance(ck, dict):
        raise RuntimeError(f"it holds a {type(ck).__name__}, not a checkpoint dict")
    key = "state_dict" if "state_dict" in ck else "model"
    if key not in ck:
        raise RuntimeError(f"it has no weights (keys: {', '.join(map(str, ck)) or 'none'})")
    weights = ck[key]
    named = isinstance(weights, dict) and all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in weights.items()
    )
    if not named or not weights:
        raise RuntimeError(f"its {key} is not a dict of named tensors ({weights!r:.60})")
    return weights


def restore(ck: dict, model, opt, rng, device) -> None:
    """Load checkpoint ``ck`` into the model, the optimizer and the random generators."""
    model.load_state_dict(ck["model"])
    opt.load_state_dict(ck["optimizer"])
    set_random_states(ck, rng, device)


def random_states(rng, device) -> dict:
    """The random states a checkpoint keeps: numpy's, torch's and, training on a GPU,
    that GPU's (it draws the feature embeddings there).

    Parameters
    ----------
    rng : numpy Generator
        The synthetic data stream.
    device : torch device
        The training device.

    Returns
    -------
    dict
        ``numpy_rng``, ``torch_rng`` and ``cuda_rng`` (None off CUDA).
    """
    import torch

    cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
    return {
        "numpy_rng": rng.bit_generator.state,
        "torch_rng": torch.get_rng_state(),
        "cuda_rng": cuda,
    }


def set_random_states(ck: dict, rng, device) -> None:
    """Set the states :func:`random_states` saved in ``ck`` (the GPU's on a GPU only;
    checkpoints written before it was kept have none)."""
    import torch

    rng.bit_generator.state = ck["numpy_rng"]
    torch.set_rng_state(ck["torch_rng"])
    if device.type == "cuda" and ck.get("cuda_rng") is not None:
        torch.cuda.set_rng_state(ck["cuda_rng"], device)


__all__ = [
    "FREE",
    "KEPT",
    "check_same_run",
    "checkpoint_weights",
    "differences",
    "fill_budget",
    "load_checkpoint",
    "random_states",
    "restore",
    "set_random_states",
]
