"""Unreadable checkpoint files, shared by the TabPFN and TabICL prior tests.

Plain functions (no pytest), like the fixtures modules.
"""

from __future__ import annotations

from pathlib import Path

#: (content, what the error says): an empty file, text, a cut-off checkpoint, one
#: without ``config``.
UNREADABLE = [
    (b"", "not a torch checkpoint .EOFError"),
    (b"not a checkpoint", "not a torch checkpoint .UnpicklingError"),
    ("half", "not a torch checkpoint"),
    ("no config", "it has no config"),
]


def write_unreadable(path: Path, content, good: Path) -> Path:
    """Write the ``content`` case of :data:`UNREADABLE` to ``path`` (``good``: a valid file)."""
    import torch

    if content == "half":
        data = Path(good).read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif content == "no config":
        torch.save({"state_dict": {}}, path)
    else:
        path.write_bytes(content)
    return path
