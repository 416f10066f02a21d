"""The bundled PFN: a compact tabular transformer pretrained on synthetic tasks.

``prior_data`` draws the synthetic tasks, ``model`` defines the network (needs torch),
``pretrain`` trains it (``python -m llmboost.pfn.pretrain``). The shipped weights live in
``weights/`` and are used through :class:`llmboost.priors.bundled_pfn.BundledPFNPrior`.
"""

from pathlib import Path

#: Folder of the shipped checkpoints.
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
#: File name of the default shipped checkpoint.
DEFAULT_WEIGHTS = "llmboost-pfn-small.pt"

__all__ = ["DEFAULT_WEIGHTS", "WEIGHTS_DIR"]
