"""Pretrain the bundled PFN on synthetic tasks.

    python -m llmboost.pfn.pretrain --out runs/pfn --minutes 80 --seed 0
    python -m llmboost.pfn.pretrain --out runs/pfn-reg --task regression --bins 64 \
        --init-from llmboost/pfn/weights/llmboost-pfn-small.pt --minutes 70

* Reproducible: the synthetic data stream, the initialisation and the validation set are
  seeded; ``recipe.json`` next to the checkpoint records every setting. With
  ``--steps`` the learning-rate schedule is step-based and a run is repeatable step for
  step (on the same hardware and torch build); with ``--minutes`` alone the cosine
  schedule follows the wall clock, so the number of steps depends on the machine.
* Resumable: ``checkpoint.pt`` (model, optimizer, step, elapsed time, numpy and torch
  RNG states, the GPU's too on CUDA) is written every ``--checkpoint-every`` seconds, at
  the end and on Ctrl-C or SIGTERM (after the step in progress, or the validation batch;
  exit status 130 or 143); rerunning the same command continues where it stopped. A
  larger ``--minutes`` (or ``--steps``) extends a finished run (the schedule stretches
  to the new budget; left out, the budget is the run's own); a resumed run may also
  change ``--val-every``, ``--checkpoint-every``, ``--threads`` and ``--device``, and
  any other differing setting (seed, data, validation set, model, optimiser,
  ``--init-from``) is refused with both values named.
* Each checkpoint also exports ``model.pt``: weights plus config and recipe in the format
  :class:`~llmboost.priors.BundledPFNPrior` loads; ``--ship PATH.pt`` writes it with its
  recipe and training history in ``PATH.json`` (how the shipped weights were made).
* Validation: mean cross-entropy on a fixed set of held-out synthetic batches (drawn
  from ``--val-seed``, independent of ``--seed``), every ``--val-every`` steps.
* ``--task regression`` trains a regression head: cross-entropy over ``--bins`` target
  bins of the standardised target (a bar distribution). ``--init-from`` starts from
  another checkpoint's weights wherever names and shapes match (e.g. the shipped
  classifier's feature encoder and layers); the new parts start fresh.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from .._resources import require
from ._pretrain_cli import StopOnInterrupt, device_of, parse_args
from ._resume import (
    check_same_run,
    fill_budget,
    load_checkpoint,
    random_states,
    read_init,
    restore,
)
from ._run_lock import run_lock
from ._ship import FORMAT, atomic_save, atomic_write_json, export, ship, ship_command
from .prior_data import KINDS, sample_batch, sample_shape


def _to_torch(batch: dict, device):
    import torch

    return (
        torch.from_numpy(batch["x"]).to(device),
        torch.from_numpy(batch["y"]).to(device),
        torch.from_numpy(batch["categorical"]).to(device),
        torch.from_numpy(batch["n_classes"]).to(device),
        int(batch["n_train"]),
    )


def batch_loss(model, batch: dict, device, generator=None):
    """Mean cross-entropy of the test rows of one batch (over target bins in regression).

    Parameters
    ----------
    model : TabPFNLite
    batch : dict
        From :func:`~llmboost.pfn.prior_data.sample_batch`.
    device : torch device
    generator : torch Generator, default=None
        Draws the random feature embeddings.

    Returns
    -------
    Tensor
        The scalar loss (with gradients).
    """
    import torch.nn.functional as F

    from .model import target_bins

    x, y, cat, n_classes, n_train = _to_torch(batch, device)
    logits = model(x, y[:, :n_train], cat, n_classes, generator=generator)
    target = y[:, n_train:]
    if model.cfg.task == "regression":
        target = target_bins(target, model.borders)
    return F.cross_entropy(logits.reshape(-1, model.cfg.n_outputs), target.reshape(-1))


def validation_set(
    seed: int, n_batches: int, tokens: int, max_rows: int, task: str = "classification", stop=None
) -> list[dict]:
    """The fixed held-out synthetic batches (fewer once ``stop`` is true: the run stops).

    Parameters
    ----------
    seed : int
    n_batches : int
    tokens : int
        Table cells per batch.
    max_rows : int
    task : {"classification", "regression"}, default="classification"
    stop : StopOnInterrupt, optional
        A Ctrl-C or SIGTERM while the batches are drawn ends the drawing.

    Returns
    -------
    list of dict
    """
    rng = np.random.default_rng(seed)
    batches = []
    while len(batches) < n_batches and not stop:
        batches.append(sample_batch(rng, tokens=tokens, max_rows=max_rows, task=task))
    return batches


def init_from(model, path: str | os.PathLike) -> list[str]:
    """Copy the weights of ``path`` whose names and shapes match.

    Parameters
    ----------
    model : TabPFNLite
    path : str or Path
        A checkpoint of this script (``model.pt`` or ``checkpoint.pt``).

    Returns
    -------
    list of str
        Names of the parameters left fresh.
    """
    import pickle

    try:
        ck = read_init(path)
        source = ck.get("state_dict") or ck["model"]
    except (pickle.UnpicklingError, EOFError, RuntimeError, KeyError, AttributeError) as exc:
        why = ": ".join([type(exc).__name__, *str(exc).splitlines()[:1]])
        raise SystemExit(
            f"--init-from {path}: not a checkpoint of `python -m llmboost.pfn.pretrain` ({why})"
        ) from None
    own = model.state_dict()
    fresh = [k for k in own if k not in source or source[k].shape != own[k].shape]
    if all(k in fresh for k in own if k.startswith("layers.")):
        shape = ("width", "layers", "heads")
        raise SystemExit(
            f"--init-from {path}: none of its layers fits this model (its "
            + ", ".join(f"{k} {ck.get('config', {}).get(k)}" for k in shape)
            + "; this run's "
            + ", ".join(f"{k} {getattr(model.cfg, k)}" for k in shape)
            + "); pass its --width, --layers and --heads, or leave --init-from out"
        )
    model.load_state_dict({k: v for k, v in source.items() if k in own and k not in fresh}, False)
    return fresh


def validate(model, batches: list[dict], device, stop=None) -> float | None:
    """Mean validation loss (feature embeddings drawn from a fixed seed).

    Parameters
    ----------
    model : TabPFNLite
    batches : list of dict
        From :func:`validation_set`.
    device : torch device
    stop : object, default=None
        Read before each batch: once it is true, the validation ends unfinished.

    Returns
    -------
    float, or None when stopped
    """
    import torch

    model.eval()
    gen = torch.Generator(device=device).manual_seed(0)
    losses = []
    with torch.no_grad():
        for b in batches:
            if stop:
                break
            losses.append(float(batch_loss(model, b, device, generator=gen)))
    model.train()
    return float(np.mean(losses)) if len(losses) == len(batches) else None


def _lr(args: argparse.Namespace, step: int, elapsed: float) -> float:
    progress = step / args.steps if args.steps else elapsed / (60.0 * args.minutes)
    progress = min(max(progress, 0.0), 1.0)
    ratio = args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
    return args.lr * min(1.0, (step + 1) / args.warmup) * ratio


def _recipe(args: argparse.Namespace, argv, cfg, model, device, fresh) -> dict:
    """What a run was: its command, arguments, model, hardware and library versions."""
    import torch

    from .model import count_parameters

    return {
        "format": FORMAT,
        "command": "python -m llmboost.pfn.pretrain "
        + shlex.join(sys.argv[1:] if argv is None else argv),
        "args": vars(args),
        "config": cfg.to_dict(),
        "parameters": count_parameters(model),
        "device": str(device),
        "hardware": {
            "machine": platform.machine(),
            "processor": platform.processor(),
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "cuda": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        },
        "torch": str(torch.__version__),
        "numpy": np.__version__,
        "prior": "llmboost.pfn.prior_data ("
        + " / ".join(f"{k} {w:.3g}" for k, w in zip(KINDS, args.kind_weights, strict=True))
        + ")",
        "task": args.task,
        "initialised_from": args.init_from and os.path.relpath(args.init_from, args.out),
        "fresh_parameters": fresh,
    }


def _record_invocation(path: Path, recipe: dict, step: int, saved: dict | None) -> None:
    """Write ``recipe`` to ``path`` with the list of commands that trained the run.

    ``saved`` is the recipe in the checkpoint resumed (None for a new run: a run started
    again without a checkpoint keeps none of the earlier ones' steps); it lists the
    commands up to its last save, and stands in for a ``path`` that cannot be read.
    """
    runs = []
    if saved is not None:
        try:
            prev = json.loads(path.read_text())
            runs = prev.get("invocations") or [{"command": prev["command"], "from_step": 0}]
        except (OSError, ValueError, AttributeError, KeyError) as exc:
            runs = saved.get("invocations") or [{"command": saved["command"], "from_step": 0}]
            why = ": ".join([type(exc).__name__, *str(exc).splitlines()[:1]])
            print(
                f"{path} could not be read ({why}); it is written again with the commands "
                "its checkpoint lists",
                flush=True,
            )
    runs.append(
        {
            "command": recipe["command"],
            "from_step": step,
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
    )
    recipe["invocations"] = runs
    atomic_write_json(recipe, path)


def _validated(history, model, val, device, step, elapsed, smooth, stop=None) -> float | None:
    """The validation loss at ``step``, recorded in ``history`` with the smoothed training
    loss (None, and nothing recorded, when ``stop`` came first)."""
    v = validate(model, val, device, stop)
    if v is None:
        return None
    record = {"step": step, "minutes": round(elapsed / 60, 2), "val_loss": v, "train_loss": smooth}
    history.append(record)
    return v


def _done(args: argparse.Namespace, step: int, elapsed: float) -> bool:
    """Whether a run has used its budget (steps, or seconds of training)."""
    return step >= args.steps if args.steps else elapsed >= 60.0 * args.minutes


def _info(step: int, elapsed: float, history: list[dict]) -> dict:
    """The training info: steps, minutes, last validation loss and the history."""
    return {
        "step": step,
        "minutes": round(elapsed / 60, 2),
        "val_loss": history[-1]["val_loss"] if history else None,
        "history": history,
    }


def _check_finite(loss: float, norm: float, step: int, ckpt_path: Path) -> None:
    """Stop before a step whose loss or gradients are not finite would update the weights."""
    if not (math.isfinite(loss) and math.isfinite(norm)):
        raise SystemExit(
            f"training diverged at step {step}: loss {loss}, gradient norm {norm}; "
            f"{ckpt_path} is left as it was. Start a new run (another --out) with a "
            "lower --lr or a longer --warmup."
        )


def main(argv: list[str] | None = None) -> dict:
    """Run (or resume) pretraining.

    Parameters
    ----------
    argv : list of str, default=None
        Command-line arguments (``sys.argv[1:]`` when None).

    Returns
    -------
    dict
        The final training info (or, with ``--ship``, the shipped file's metadata).
    """
    args = parse_args(argv)
    try:  # a Ctrl-C in these seconds ends as one during the run: a line, no traceback
        torch = require("torch", extra="pfn", who="pretrain")
    except KeyboardInterrupt:
        print("\ninterrupted while loading torch: nothing was run", file=sys.stderr)
        raise SystemExit(130) from None
    if args.ship:
        meta, dest = ship_command(args.out, args.ship), Path(args.ship)
        info, last = meta["train_info"], (meta["train_info"]["history"] or [{}])[-1]
        val = "none" if info["val_loss"] is None else f"{info['val_loss']:.4f}"
        val += "" if last.get("step", info["step"]) == info["step"] else f" at step {last['step']}"
        print(
            f"shipped {args.out} at step {info['step']} (validation loss {val}) to {dest} "
            f"and {dest.with_suffix('.json')}"
        )
        return meta
    device = device_of(args.device)  # before the run folder is made
    threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    stop = StopOnInterrupt()  # from here on a stop saves the run (and shows no traceback)
    try:
        with run_lock(Path(args.out)):
            return _train(args, argv, device, stop)
    finally:  # run from another program, it leaves that program's threads and handlers
        stop.release()
        torch.set_num_threads(threads)


def _train(args: argparse.Namespace, argv: list[str] | None, device, stop) -> dict:
    """The training run of :func:`main` (after the options are checked); it stops
    before the next step once ``stop`` is true."""
    import torch
    from tqdm import tqdm

    from .model import PFNConfig, TabPFNLite

    out = Path(args.out)
    ckpt_path = out / "checkpoint.pt"

    torch.manual_seed(args.seed)
    cfg = PFNConfig(
        width=args.width,
        layers=args.layers,
        heads=args.heads,
        label_to_cells=args.label_to_cells,
        task=args.task,
        n_bins=args.bins if args.task == "regression" else 0,
    )
    resuming = ckpt_path.exists()
    model = TabPFNLite(cfg).to(device)
    fresh = init_from(model, args.init_from) if args.init_from and not resuming else None
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    rng = np.random.default_rng(args.seed)
    step, elapsed, history, smooth = 0, 0.0, [], None
    ck = load_checkpoint(ckpt_path) if resuming else None  # on the CPU (the RNG states)
    kept = fill_budget(args, ck and ck["recipe"])  # none given: the run's, or 60 minutes
    if resuming:
        check_same_run(ck, args, ckpt_path)
        if ck["config"] != cfg.to_dict():
            raise SystemExit(f"{ckpt_path} has config {ck['config']}, not {cfg.to_dict()}")
        restore(ck, model, opt, rng, device)
        fresh = ck["recipe"].get("fresh_parameters")  # the parent's file is not read again
        step, elapsed, history = ck["step"], ck["elapsed"], ck["history"]
        smooth = ck.get("smooth")  # the training loss's running mean goes on
        if _done(args, step, elapsed) and history and history[-1]["step"] == step:
            print(
                f"{out} is trained to its budget (step {step}): nothing to do; a larger "
                f"--{'steps' if args.steps else 'minutes'} extends it",
                flush=True,
            )
            return _info(step, elapsed, history)
        budget = f"; the run's budget, {kept}" if kept else ""
        at = f"at step {step} ({elapsed / 60:.1f} min{budget})"
        print(f"resumed from {ckpt_path} {at}", flush=True)

    recipe = _recipe(args, argv, cfg, model, device, fresh)
    _record_invocation(out / "recipe.json", recipe, step, ck["recipe"] if resuming else None)
    val = validation_set(
        args.val_seed, args.val_batches, args.tokens, args.max_rows, args.task, stop
    )

    def info() -> dict:
        return _info(step, elapsed, history)

    def save() -> None:
        atomic_save(
            {
                "config": cfg.to_dict(),
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                **random_states(rng, device),
                "step": step,
                "elapsed": elapsed,
                "history": history,
                "recipe": recipe,
                "smooth": smooth,
            },
            ckpt_path,
        )
        export(model, recipe, info(), out / "model.pt")
        atomic_write_json(info(), out / "train_info.json")

    budget = args.steps if args.steps else 60.0 * args.minutes  # seconds, not rounded down
    bar = tqdm(
        total=budget,
        initial=min(step if args.steps else elapsed, budget),
        unit="step" if args.steps else "s",
        mininterval=20,
        dynamic_ncols=False,
        bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} [{elapsed}<{remaining}{postfix}]",
    )
    last_save = time.monotonic()
    kinds = tuple(args.kind_weights)
    model.train()
    while not _done(args, step, elapsed) and not stop:
        t0 = time.monotonic()
        if step % args.val_every == 0 and not (history and history[-1]["step"] == step):
            v = _validated(history, model, val, device, step, elapsed, smooth, stop)
            if v is None:  # stopped during it: the rerun validates this step again
                break
            train = "-" if smooth is None else f"{smooth:.4f}"
            print(f"\nstep {step} min {elapsed / 60:.1f} val {v:.4f} train {train}", flush=True)
        for g in opt.param_groups:
            g["lr"] = _lr(args, step, elapsed)
        batch = sample_batch(rng, args.tokens, args.max_rows, task=args.task, kind_weights=kinds)
        loss = batch_loss(model, batch, device)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0))
        lv = float(loss.detach())
        _check_finite(lv, norm, step, ckpt_path)
        opt.step()
        step += 1
        smooth = lv if smooth is None else 0.99 * smooth + 0.01 * lv
        dt = time.monotonic() - t0
        elapsed += dt
        bar.update(1 if args.steps else min(dt, budget - bar.n))  # the last step ends past it
        bar.set_postfix(
            step=step,
            loss=f"{smooth:.3f}",
            val=f"{history[-1]['val_loss']:.3f}" if history else "-",
            refresh=False,
        )
        if time.monotonic() - last_save > args.checkpoint_every:
            save()
            last_save = time.monotonic()
    if not stop and not (history and history[-1]["step"] == step):
        v = _validated(history, model, val, device, step, elapsed, smooth)
        print(f"\nfinal step {step} min {elapsed / 60:.1f} val {v:.4f}", flush=True)
    save()  # a stop during the final validation or save waits for them
    bar.close()
    if stop:  # Ctrl-C or SIGTERM: the last whole step is saved, and a rerun goes on from it
        print(f"\n{stop.why}: step {step} saved in {ckpt_path}; rerun the command to go on")
        raise SystemExit(stop.exit_status)
    return info()


__all__ = ["batch_loss", "export", "main", "sample_shape", "ship", "validate", "validation_set"]

if __name__ == "__main__":
    main()
