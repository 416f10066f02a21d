"""The prior's pretrained weights in a saved model: found again, and the same ones.

:func:`llmboost.save` stores no weights. It records which local files the prior read
them from (:func:`needed_files`) and a fingerprint of each (:func:`fingerprint`: names,
sizes and contents, sampled in files over 8 MiB, so cheap on multi-GB checkpoints).
:func:`check_weights` runs on load: a missing file is a :class:`FileNotFoundError`
naming it, and a file that is not the one the model was fitted with (a retrained
checkpoint at the same path, the bundled PFN of another llmboost version) is a
:class:`ValueError`, since the loaded model would predict differently without a word.
"""

from __future__ import annotations

from pathlib import Path


def weights_files(prior) -> list[Path]:
    """The local files or folders this installation reads the prior's weights from.

    Parameters
    ----------
    prior : Prior
        A fitted prior (or one just loaded, its weights located).

    Returns
    -------
    list of Path
        Empty for priors without pretrained weights or with hub names not on disk.
    """
    from .priors._bundled_pfn import BundledPFNPrior, default_weights_path
    from .priors._in_context import InContextPrior
    from .priors._llm import LLMPrior

    if isinstance(prior, BundledPFNPrior):
        return [Path(prior.weights or default_weights_path(prior.task)).expanduser()]
    if isinstance(prior, InContextPrior) and getattr(prior, "checkpoint_path_", None):
        prior._sync_weights()  # model_path set since fit: the checkpoint it scores with
        return [Path(prior.checkpoint_path_)]
    if isinstance(prior, LLMPrior) and prior.model is not None:
        path = Path(prior.model).expanduser()
        return [path] if path.exists() else []
    return []


def needed_files(prior) -> list[str]:
    """Files that must exist on load: the bundled PFN's or a local language model's.

    Parameters
    ----------
    prior : Prior

    Returns
    -------
    list of str
        Absolute paths. TabPFN and TabICL checkpoints are not listed: they are located
        again by ``model_path`` or by name, with those priors' own errors.
    """
    from .priors._in_context import InContextPrior

    if isinstance(prior, InContextPrior):
        return []
    return [str(path.resolve()) for path in weights_files(prior)]


def fingerprint(path: Path) -> str:
    """A digest of a weights file, or of every file in a weights folder.

    The language-model cache's identity of weights: sizes and contents (start, middle
    and end of files over 8 MiB), and names within a folder, hidden and lock files
    skipped.

    Parameters
    ----------
    path : Path

    Returns
    -------
    str
        Hex SHA-256.
    """
    from .priors._llm_store import file_fingerprint, folder_fingerprint

    path = Path(path)
    if path.is_dir():
        return folder_fingerprint(path)
    if not path.is_file():  # reading a pipe waited for a writer; /dev/zero never ended
        raise ValueError(
            f"The prior's weights at {path} are not a file or folder (a device, pipe or "
            "socket), so they cannot be the weights the model was fitted with."
        )
    return file_fingerprint(path)


def check_weights(prior, needed: list, fingerprints: list | None, saved_by: str) -> None:
    """Raise unless the prior's weights are on this machine and are the saved model's.

    Parameters
    ----------
    prior : Prior
        The loaded prior.
    needed : list of str
        The files the saving process listed (:func:`needed_files`).
    fingerprints : list of str or None
        Their fingerprints at save time, one per :func:`weights_files` entry; ``None``
        for files written before fingerprints were recorded (not checked).
    saved_by : str
        The llmboost version that wrote the file, for the message.

    Raises
    ------
    FileNotFoundError
        A weights file is missing.
    ValueError
        A weights file differs from the one the model was fitted with, or the number
        of weights files does.
    """
    from .priors._bundled_pfn import BundledPFNPrior
    from .priors._in_context import InContextPrior

    if isinstance(prior, InContextPrior):
        _locate_checkpoint(prior)
    paths = weights_files(prior)
    _check_relative_model(prior, needed, paths)
    files = [str(p) for p in paths]  # where this machine reads them (``~``: its home)
    if needed and not paths:  # a language model's folder or file, missing here
        files = [str(Path(str(prior.model)).expanduser())]
    if isinstance(prior, BundledPFNPrior) and paths[0].is_dir():  # not walked: a checkpoint
        raise ValueError(f"The prior's weights at {paths[0]} are a folder, not a checkpoint file.")
    for name in files:
        if not Path(str(name)).exists():
            raise FileNotFoundError(
                f"The prior's weights are not on this machine: {name} does not exist. "
                f"{type(prior).__name__} was saved without its weights; put them at that "
                "path (or load with the same llmboost version) and load again."
            )
    if fingerprints is None:
        return
    if len(fingerprints) != len(paths):
        found = ", ".join(map(str, paths)) or "none"
        raise ValueError(
            f"The model was saved with {len(fingerprints)} weights file(s) for its prior, "
            f"but this machine has {len(paths)} ({found}), so they cannot be the same "
            f"weights. Load with llmboost {saved_by} and the original weights, or refit."
        )
    for path, recorded in zip(paths, fingerprints):
        if fingerprint(path) != recorded:
            raise ValueError(
                f"The prior's weights at {path} are not the ones this model was fitted "
                f"with (saved by llmboost {saved_by}; the file's fingerprint differs), so "
                "it would predict differently. Put the original weights at that path (or "
                f"load with llmboost {saved_by}), or refit the model with these weights."
            )


def _check_relative_model(prior, needed: list, paths: list) -> None:
    """A language model or bundled PFN weights given by a relative path, loaded from
    another working folder."""
    from .priors._bundled_pfn import BundledPFNPrior
    from .priors._llm import LLMPrior

    if isinstance(prior, LLMPrior) and needed and not paths:
        if not Path(str(prior.model)).expanduser().is_absolute():  # else: missing, below
            _relative_path_error("model", prior.model, needed[0])
    if isinstance(prior, BundledPFNPrior) and needed and not paths[0].is_absolute():
        if not paths[0].exists():
            _relative_path_error("weights file", prior.weights, needed[0])


def _locate_checkpoint(prior) -> None:
    """Find a TabPFN or TabICL checkpoint again; a relative ``model_path`` is named as such."""
    from .priors._in_context import ModelNotAvailableError

    saved = getattr(prior, "checkpoint_path_", None)
    try:
        prior._locate_weights()
    except ModelNotAvailableError as exc:
        given = prior.model_path
        if saved and given is not None and not Path(given).expanduser().is_absolute():
            _relative_path_error("checkpoint", given, saved)
        if saved and given is None and Path(saved).is_file():
            raise ModelNotAvailableError(
                f"{saved}, the checkpoint this model was fitted with, is on this machine, "
                f"but {type(prior).__name__} now looks for its default checkpoint elsewhere: "
                "its cache folder setting differs from when the model was saved. Set it as "
                f"it was then.\n{exc}"
            ) from None
        raise


def _relative_path_error(what: str, name, saved: str) -> None:
    name = str(name)
    raise FileNotFoundError(
        f"The prior's {what} {name!r} is a path relative to the working "
        f"directory: it was {saved} when the model was saved, and {Path.cwd()} "
        f"has no {name}. Load it from the folder it was saved from, or put the "
        f"{what} there."
    )


__all__ = ["check_weights", "fingerprint", "needed_files", "weights_files"]
