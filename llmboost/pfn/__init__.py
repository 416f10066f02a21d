"""The bundled PFN: a compact tabular transformer pretrained on synthetic tasks.

``prior_data`` draws the synthetic tasks, ``model`` defines the network (needs torch),
``inference`` runs it in batches, ``ensemble`` chooses the passes, ``pretrain`` trains
it (``python -m llmboost.pfn.pretrain``). The shipped weights live in ``weights/`` and
are used through :class:`llmboost.priors.BundledPFNPrior`.
"""

from pathlib import Path

#: Folder of the shipped checkpoints.
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
#: File name of the default shipped checkpoint (classification).
DEFAULT_WEIGHTS = "llmboost-pfn-small.pt"
#: File name of the shipped regression checkpoint.
DEFAULT_REGRESSION_WEIGHTS = "llmboost-pfn-small-regression.pt"

__all__ = ["DEFAULT_REGRESSION_WEIGHTS", "DEFAULT_WEIGHTS", "WEIGHTS_DIR"]
