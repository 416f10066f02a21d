"""Tiny, randomly initialised but structurally valid TabPFN v2 checkpoints (no downloads).

Plain functions (no pytest), so that tests and benchmarks can both use them.
"""

from __future__ import annotations

from pathlib import Path

#: Sizes of the released TabPFN v2 checkpoints (for ``size="v2"``).
V2_SIZE = {"emsize": 192, "nlayers": 12, "nhead": 6, "num_buckets": 5000}
#: A model small enough for unit tests (about 12k parameters).
TINY_SIZE = {"emsize": 16, "nlayers": 2, "nhead": 2, "num_buckets": 64}


def build_checkpoint(
    path: str | Path, task: str = "classification", size: str = "tiny", seed: int = 0
) -> Path:
    """Write a random TabPFN v2 checkpoint in TabPFN's own format and return its path.

    TabPFN zero-initialises the attention output and MLP output projections, so a
    random model would give every row the same output; those get small random values.
    A regressor also needs its bar-distribution borders in the state dict.
    """
    import torch

    from llmboost._compat import tabpfn_v2_architecture

    tabpfn_v2 = tabpfn_v2_architecture()

    dims = dict(TINY_SIZE if size == "tiny" else V2_SIZE)
    buckets = dims.pop("num_buckets")
    classification = task == "classification"
    config = {
        **dims,
        "features_per_group": 2,
        "seed": 0,
        "max_num_classes": 10 if classification else 0,
        "num_buckets": 0 if classification else buckets,
    }
    parsed, _ = tabpfn_v2.parse_config(config)
    torch.manual_seed(seed)
    model = tabpfn_v2.get_architecture(parsed)
    with torch.no_grad():
        for param in model.parameters():
            if param.ndim >= 2 and not torch.any(param):
                param.normal_(0.0, 0.5)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if not classification:
        state["criterion.borders"] = torch.linspace(-5.0, 5.0, buckets + 1)
        state["criterion.losses_per_bucket"] = torch.zeros(buckets)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": state, "config": config, "architecture_name": "tabpfn_v2"}, path)
    return path


def default_filename(task: str, model: str = "v2") -> str:
    """TabPFN's default checkpoint file name for ``model`` (what the cache folder holds)."""
    from llmboost._compat import tabpfn_model_source

    which = "classifier" if task == "classification" else "regressor"
    return tabpfn_model_source(model, which)[1]
