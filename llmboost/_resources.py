"""Shared handling of optional dependencies, devices, seeds and out-of-memory retries."""

from __future__ import annotations

import importlib
import numbers
import warnings

import numpy as np

from ._warn import caller_level


def require(*modules: str, extra: str, who: str):
    """Import ``modules`` (returned in order), or raise ``ImportError`` naming the extra.

    The message reads ``"<who> needs <modules>: pip install "llmboost[<extra>]""``.
    """
    try:
        loaded = [importlib.import_module(name) for name in modules]
    except ImportError as exc:
        names = " and ".join(modules)
        raise ImportError(f'{who} needs {names}: pip install "llmboost[{extra}]"') from exc
    return loaded[0] if len(loaded) == 1 else tuple(loaded)


def resolve_device(device, *, allow_mps: bool = False) -> str:
    """``"auto"`` (or ``None``) is ``"cuda"`` when torch sees a GPU, else ``"cpu"``.

    With ``allow_mps``, Apple's ``"mps"`` comes before the CPU. Any other value is
    returned as a string, unchanged; a CUDA device torch cannot see is refused.
    """
    import torch

    if device not in (None, "auto"):
        if str(device).startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(
                f"device={str(device)!r}, but this torch ({torch.__version__}) sees no CUDA "
                "GPU; pass device='cpu' or 'auto', or install a CUDA build of torch (the "
                "README's GPU install)."
            )
        return str(device)

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if allow_mps and mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def seed_from(random_state, default: int | None = 0) -> int | None:
    """An integer seed: ``None`` gives ``default``, an int itself, a RandomState one draw."""
    if random_state is None:
        return default
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    raise ValueError(
        f"random_state must be None, an int or a numpy RandomState; got {random_state!r}."
    )


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is a CUDA (or other torch) out-of-memory error, the CPU allocator's
    included (``DefaultCPUAllocator: can't allocate memory``)."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is absent: nothing ran out of memory there
        return False
    oom = getattr(torch.cuda, "OutOfMemoryError", ())
    text = str(exc).lower()
    return (bool(oom) and isinstance(exc, oom)) or any(
        words in text for words in ("out of memory", "can't allocate memory", "not enough memory")
    )


def halve_on_oom(exc: BaseException, batch: int, who: str, is_oom=is_out_of_memory) -> int:
    """Half of ``batch`` after freeing the CUDA cache, with a warning; else re-raise ``exc``."""
    if not is_oom(exc) or batch <= 1:
        raise exc
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    warnings.warn(
        f"{who}: out of memory with {batch} rows per batch; retrying with {batch // 2}.",
        UserWarning,
        stacklevel=caller_level(),
    )
    return batch // 2


__all__ = ["halve_on_oom", "is_out_of_memory", "require", "resolve_device", "seed_from"]
