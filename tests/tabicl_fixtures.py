"""Tiny, randomly initialised but structurally valid TabICL checkpoints (no downloads).

Plain functions (no pytest), so that tests and benchmarks can both use them.
"""

from __future__ import annotations

from pathlib import Path

#: A model small enough for unit tests (about 25k parameters).
TINY_CONFIG = {
    "embed_dim": 16,
    "col_num_blocks": 1,
    "col_nhead": 2,
    "col_num_inds": 4,
    "row_num_blocks": 1,
    "row_nhead": 2,
    "row_num_cls": 2,
    "icl_num_blocks": 1,
    "icl_nhead": 2,
    "zero_init": False,
}


def build_checkpoint(path: str | Path, task: str = "classification", seed: int = 0) -> Path:
    """Write a random TabICL checkpoint in TabICL's own format and return its path.

    The format is a ``torch.save`` dict with ``config`` (keyword arguments of TabICL's
    network class, :func:`llmboost._compat.tabicl_model_class`) and ``state_dict``.
    ``zero_init=False`` keeps the output projections random, so rows get different
    outputs. A regressor has ``max_classes=0`` and predicts ``num_quantiles`` quantiles.
    """
    import torch

    from llmboost._compat import tabicl_model_class

    TabICL = tabicl_model_class()

    config = {
        **TINY_CONFIG,
        "max_classes": 10 if task == "classification" else 0,
        "num_quantiles": 19,
    }
    torch.manual_seed(seed)
    model = TabICL(**config)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": config, "state_dict": model.state_dict()}, path)
    return path


def put_in_hf_cache(cache: str | Path, repo_id: str, filename: str, source: str | Path) -> Path:
    """Place ``source`` in a Hugging Face hub cache as ``repo_id``'s ``filename``."""
    repo = Path(cache) / f"models--{repo_id.replace('/', '--')}"
    commit = "0" * 40
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    target = repo / "snapshots" / commit / filename
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(Path(source).read_bytes())
    return target
