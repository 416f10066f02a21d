"""The command line of ``python -m llmboost.pfn.pretrain``: options, their checks, stops."""

from __future__ import annotations

import argparse
import math
import os
import secrets
import signal
import sys
import threading
from pathlib import Path

from ._resume import FREE
from .prior_data import KIND_WEIGHTS, MIN_ROWS


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options of ``python -m llmboost.pfn.pretrain``, checked (a usage error names
    the option)."""
    p = _parser()
    args = p.parse_args(argv)
    _check(p, args)
    if args.ship:  # said, not refused: a training command with --ship added is common
        _say_unused(argv)
    elif args.threads > _cpus():  # a command written on a larger machine still runs
        print(
            f"{p.prog}: warning: --threads {args.threads} is more than the {_cpus()} CPU"
            f"{'s' if _cpus() > 1 else ''} this process may use; the threads share them",
            file=sys.stderr,
            flush=True,
        )
    args.kind_weights = [w / sum(args.kind_weights) for w in args.kind_weights]
    args.bins = 64 if args.bins is None else args.bins
    return args


def _say_unused(argv: list[str] | None) -> None:
    """Warn on stderr naming the options given with ``--ship`` that it does not use:
    it exports the run as it was trained."""
    p = _parser()
    names = {a.dest: a.option_strings[0] for a in p._actions}
    for action in p._actions:  # only the options given are parsed
        action.default = argparse.SUPPRESS
    unused = [names[k] for k in vars(p.parse_args(argv)) if k not in ("out", "ship")]
    if unused:
        print(
            f"{p.prog}: warning: --ship only exports the run in --out as it was trained; "
            f"{', '.join(unused)} not used",
            file=sys.stderr,
            flush=True,
        )


def device_of(device: str):
    """``--device`` as a torch device, else a usage error naming the value (before the
    run folder is made)."""
    import torch

    from ..priors._device import torch_device

    try:
        return torch.device(torch_device(device, "pretrain"))
    except ValueError as exc:
        _parser().error(f"argument --device: {exc}")


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """``--help`` that ends an option's text with its default, unless the text says it or
    the option has none (``None``, or a flag's ``False``)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text, default = action.help or "", action.default
        if (
            not action.option_strings
            or default is None
            or default is argparse.SUPPRESS
            or isinstance(default, bool)
            or "(default" in text
            or "default:" in text
        ):
            return text
        shown = " ".join(map(str, default)) if isinstance(default, list | tuple) else default
        return f"{text} (default: {str(shown).replace('%', '%%') or 'none'})"


def _parser() -> argparse.ArgumentParser:
    """The command line's parser, unchecked."""
    p = argparse.ArgumentParser(
        prog="python -m llmboost.pfn.pretrain",
        formatter_class=DefaultsHelpFormatter,
        description="Pretrain the bundled PFN on synthetic tasks (docs/bundled_pfn.md).",
        epilog="Rerunning with the same --out resumes the run. Its other settings must be "
        f"the same (a differing one is refused, naming both values); only {FREE} may change.",
    )
    p.add_argument(
        "--out",
        required=True,
        help="run folder (checkpoint, model.pt, recipe.json, train_info.json)",
    )
    p.add_argument(
        "--minutes", type=float, help="time budget: steps, validations (default 60, or the run's)"
    )
    p.add_argument("--steps", type=int, help="step budget (step-based schedule), or --minutes")
    p.add_argument("--seed", type=int, default=0, help="seeds the weights and training tasks")
    p.add_argument("--val-seed", type=int, default=20251128, help="seeds the validation tasks")
    p.add_argument("--width", type=int, default=64, help="model width; --heads divides it")
    p.add_argument("--layers", type=int, default=3, help="transformer layers")
    p.add_argument("--heads", type=int, default=4, help="attention heads")
    p.add_argument(
        "--no-label-to-cells",
        dest="label_to_cells",
        action="store_false",
        help="labels only in the target column (TabPFN style)",
    )
    p.add_argument(
        "--task",
        choices=("classification", "regression"),
        default="classification",
        help="what the model learns to predict",
    )
    p.add_argument(
        "--kind-weights",
        type=float,
        nargs=3,
        default=list(KIND_WEIGHTS),
        metavar=("MLP", "TREE", "LINEAR"),
        help="training's probabilities of the synthetic task families (validation's are fixed)",
    )
    p.add_argument("--bins", type=int, help="target bins of --task regression (default 64)")
    p.add_argument("--init-from", default=None, help="checkpoint whose matching weights start")
    _add_schedule(p)
    p.add_argument(
        "--ship",
        default=None,
        help="only export the run's checkpoint to this .pt path (plus .json)",
    )
    return p


def _add_schedule(p: argparse.ArgumentParser) -> None:
    """The options of the optimiser, the batches, validation, checkpoints and hardware."""
    p.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (AdamW)")
    p.add_argument(
        "--min-lr-ratio",
        type=float,
        default=0.05,
        help="last learning rate of the cosine decay, as a fraction of --lr (0 to 1)",
    )
    p.add_argument("--warmup", type=int, default=200, help="warm-up steps")
    p.add_argument("--weight-decay", type=float, default=0.01, help="AdamW's weight decay")
    p.add_argument("--tokens", type=int, default=20_000, help="table cells per batch")
    p.add_argument(
        "--max-rows", type=int, default=1024, help=f"most rows of a synthetic task (>= {MIN_ROWS})"
    )
    p.add_argument("--val-batches", type=int, default=16, help="batches of the validation set")
    p.add_argument("--val-every", type=int, default=250, help="steps between validations")
    p.add_argument(
        "--checkpoint-every", type=float, default=180.0, help="seconds between checkpoints"
    )
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help=f"torch CPU threads, at most {THREADS_PER_CPU} per CPU; more than the CPUs share them",
    )
    p.add_argument(
        "--device",
        default="auto",
        help="torch device: auto (CUDA when torch sees a GPU, else the CPU), cpu, or one "
        "such as cuda:0",
    )


#: The most torch threads per CPU: torch oversubscribes CPUs as asked (more threads than
#: CPUs run with a warning), but failed to start 99999 threads (an ImportError).
THREADS_PER_CPU = 64
#: The largest values the run can hold (other integers: 64-bit ones, as torch and numpy
#: take them; --threads: per CPU, checked on its own): AdamW's first step, 10 x lr, and
#: the weight decay must fit in the float32 weights (at most 3.4e38); the budget's seconds
#: overflow a float with more minutes; the seed is checked on its own.
_HIGHEST = {
    "minutes": 1e306,
    "lr": 3.4e37,
    "weight_decay": 3.4e38,
    "min_lr_ratio": 1,
    "checkpoint_every": math.inf,
    "seed": math.inf,
    "val_seed": math.inf,
}
#: (option, lowest value, whether the lowest is allowed) of the numeric options.
_LOWEST = [
    ("minutes", 0, False), ("steps", 1, True), ("seed", 0, True), ("val_seed", 0, True),
    ("width", 1, True), ("layers", 1, True), ("heads", 1, True), ("bins", 2, True),
    ("lr", 0, False), ("min_lr_ratio", 0, True), ("warmup", 1, True),
    ("weight_decay", 0, True), ("tokens", 1, True), ("max_rows", MIN_ROWS, True),
    ("val_batches", 1, True), ("val_every", 1, True), ("checkpoint_every", 0, True),
    ("threads", 1, True),
]  # fmt: skip


def _check_numbers(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Stop with a usage error naming the option on a number out of its range: NaN,
    infinite, too small, or too large to hold."""
    for name, low, closed in _LOWEST:
        value, option = getattr(args, name), f"--{name.replace('_', '-')}"
        if value is None:
            continue
        if isinstance(value, float) and not math.isfinite(value):
            p.error(f"{option} must be finite, got {value}")
        if not (value >= low if closed else value > low):
            p.error(f"{option} must be {'>=' if closed else '>'} {low}, got {value}")
        high = _HIGHEST.get(name, 2**63 - 1)
        if value > high:
            p.error(f"{option} must be at most {high if isinstance(high, int) else f'{high:g}'}, "
                    f"got {value}")  # fmt: skip
    if args.threads > THREADS_PER_CPU * _cpus():  # 99999: torch failed to start them
        p.error(
            f"--threads must be at most {THREADS_PER_CPU * _cpus()}, {THREADS_PER_CPU} per CPU "
            f"this process may use ({_cpus()}), got {args.threads}"
        )
    weights = args.kind_weights
    if not all(math.isfinite(w) and w >= 0 for w in weights) or not 0 < sum(weights) < math.inf:
        p.error(f"--kind-weights must be finite, >= 0, with a positive sum, got {weights}")


def _cpus() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _check(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Stop with a usage error on a value the run cannot use."""
    _check_numbers(p, args)
    for option in ("out", "init_from", "ship"):  # an unset shell variable: not "here", "none"
        if getattr(args, option) is not None and not getattr(args, option).strip():
            p.error(f"--{option.replace('_', '-')} is empty; name a path (or leave it out)")
    if args.minutes is not None and args.steps is not None:
        p.error(
            f"give --minutes or --steps, not both (got --minutes {args.minutes} and --steps "
            f"{args.steps}): a step budget ignores the clock"
        )
    if args.bins is not None and args.task != "regression" and not args.ship:  # --ship: said
        p.error(f"--bins {args.bins}: only --task regression uses it; drop it, or add that")
    if args.seed >= 2**64:
        p.error(f"--seed must be < 2**64 (torch's seeds are 64-bit), got {args.seed}")
    if args.width % args.heads:
        p.error(f"--heads must divide --width ({args.width}), got {args.heads}")
    if Path(args.out).exists() and not Path(args.out).is_dir():
        p.error(f"--out {args.out} is a file; name a folder for the run")
    for option, path in (("--out", args.out), ("--ship", args.ship)):
        if path and (above := _file_above(Path(path))) is not None:
            p.error(f"{option} {path}: {above} is a file, so no folder can be made in it")
    # --ship only reads the run; its file's folder is written instead
    written = ("--ship", Path(args.ship).parent) if args.ship else ("--out", Path(args.out))
    if (why := _unwritable(written[1])) is not None:
        p.error(f"{written[0]} {args.ship or args.out}: {why}; give a folder you can write to")
    trained = (Path(args.out) / "checkpoint.pt").is_file()  # resumed: --init-from is not read
    if args.init_from and not trained and not Path(args.init_from).is_file():
        p.error(f"--init-from {args.init_from}: no such checkpoint file")
    if args.ship and Path(args.ship).suffix != ".pt":
        p.error(f"--ship must name a .pt file (its .json is written beside it), got {args.ship}")
    if args.ship and not trained:
        p.error(f"--ship: {args.out} holds no checkpoint.pt; train the run first")
    if args.ship:
        written = {Path(args.ship).resolve(), Path(args.ship).with_suffix(".json").resolve()}
        for own in ("checkpoint.pt", "recipe.json", "train_info.json"):
            if (Path(args.out) / own).resolve() in written:
                p.error(f"--ship {args.ship} would write over the run's {own}; name another file")
        for path in (Path(args.ship), Path(args.ship).with_suffix(".json")):
            if path.is_dir():  # the weights would be written, then the record would fail
                p.error(f"--ship {args.ship}: {path} is a folder; name another file")


def _file_above(path: Path) -> Path | None:
    """The nearest existing path above ``path`` when it is a file (no folder can be made
    there), else ``None``."""
    for parent in path.absolute().parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def _unwritable(folder: Path) -> str | None:
    """Why no file can be made in ``folder`` (or in the nearest existing folder above it,
    where it is to be made), else ``None``: a file is made there and removed again."""
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    probe = folder / f".write-test.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        open(probe, "x").close()
    except OSError as err:  # a read-only folder or file system, another user's folder
        return f"cannot write in {folder} ({err.strerror})"
    probe.unlink()
    return None


class StopOnInterrupt:
    """True once Ctrl-C was pressed or SIGTERM came (a batch scheduler's kill): the
    training loop finishes its step, saves and stops.

    Installed from the main thread only (Python takes signals there); :meth:`release`
    gives both signals back to the handlers they had.
    """

    SIGNALS = {signal.SIGINT: "interrupted", signal.SIGTERM: "stopped (SIGTERM)"}

    def __init__(self) -> None:
        self.signum = None
        self.previous = {}
        if threading.current_thread() is threading.main_thread():
            self.previous = {s: signal.signal(s, self._press) for s in self.SIGNALS}

    def _press(self, signum, _frame) -> None:
        self.signum = signum

    def __bool__(self) -> bool:
        return self.signum is not None

    @property
    def why(self) -> str:
        """How the run was stopped (``"interrupted"`` for Ctrl-C)."""
        return self.SIGNALS[self.signum]

    @property
    def exit_status(self) -> int:
        """The shell's status for a stop by this signal: 130 for Ctrl-C, 143 for SIGTERM."""
        return 128 + int(self.signum)

    def release(self) -> None:
        """Give the signals back to the handlers they had before."""
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        self.previous = {}


__all__ = [
    "THREADS_PER_CPU",
    "DefaultsHelpFormatter",
    "StopOnInterrupt",
    "device_of",
    "parse_args",
]
