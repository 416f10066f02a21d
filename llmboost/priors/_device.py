"""Torch devices of the priors: a name checked by placing data there."""

from __future__ import annotations

from .._params import is_torch_device
from .._resources import resolve_device


def torch_device(device, who: str) -> str:
    """The device ``device`` resolves to, checked by placing an empty tensor there.

    Parameters
    ----------
    device : str or torch.device
        ``"auto"``, or a torch device (or its name, such as ``"cpu"`` or ``"cuda:0"``).
    who : str
        The class named in the error.

    Returns
    -------
    str
        As :func:`llmboost._resources.resolve_device` gives it.

    Raises
    ------
    ValueError
        When torch cannot place data on that device here (an unknown name such as
        ``"gpu"``, a backend this torch lacks, the data-less ``"meta"``).
    """
    import torch

    device = str(device) if is_torch_device(device) else device
    try:
        name = resolve_device(device)
    except ValueError as exc:  # a CUDA device torch cannot see
        raise ValueError(f"{who}: {exc}") from None
    try:
        kind = torch.device(name).type
    except RuntimeError:
        kind, why = None, "not a torch device name"
    if kind == "meta":
        why = "the meta device holds no data"
    elif kind is not None:
        try:
            torch.empty(0, device=name)
            return name
        except (RuntimeError, AssertionError) as exc:
            why = str(exc).splitlines()[0].split(". ")[0] if str(exc) else type(exc).__name__
    raise ValueError(
        f"{who}: device={device!r} cannot be used here ({why}); pass 'cpu', 'auto' "
        "(CUDA when torch sees a GPU) or a device torch sees, such as 'cuda:0'."
    )


def fitted_device(device: str, who: str) -> str:
    """:func:`torch_device` for a fitted prior about to score (perhaps loaded elsewhere):
    its error also says how to score on this machine."""
    try:
        return torch_device(device, who)
    except ValueError as exc:
        raise ValueError(
            f"{exc} A fitted {who} scores on its device={device!r} (kept in saved models); "
            "to score on this machine, set another one: model.prior_.set_params(device='cpu') on a "
            "fitted llmboost model, or set_params(device='cpu') on the prior itself."
        ) from None


__all__ = ["fitted_device", "torch_device"]
