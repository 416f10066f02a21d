"""The methods a benchmark compares, by name.

Every method is built from the dataset (for its task sentence), the seed and the tuning
budget ``n_trials``; GBDTs and fused models get the same budget (optuna trials over the
booster's parameters when ``n_trials > 0``; the fused models also search ``scale``); the
selection, stacking and averaging baselines keep the booster's default parameters.
"""

from __future__ import annotations

from collections.abc import Callable

from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from ..estimators._prior_boost import PriorBoostClassifier
from ..priors._sklearn import SklearnPrior
from .baselines import AveragingClassifier, StackingClassifier
from .datasets import Dataset


def _llm(ds: Dataset, seed: int):
    from ..priors._llm import LLMPrior

    return LLMPrior(
        task_description=ds.task_description, class_names=ds.class_names, random_state=seed
    )


def _tabpfn(ds: Dataset, seed: int):
    from ..priors._tabpfn import TabPFNPrior

    return TabPFNPrior(random_state=seed)


def _bundled_pfn(ds: Dataset, seed: int):
    from ..priors._bundled_pfn import BundledPFNPrior

    return BundledPFNPrior(random_state=seed)


PRIORS: dict[str, tuple[str, Callable]] = {
    "llm": ("language model reading the serialized row (LLMPrior, default model)", _llm),
    "tabpfn": ("TabPFN's in-context predictions (TabPFNPrior; needs its weights)", _tabpfn),
    "pfn": ("the PFN bundled with llmboost (BundledPFNPrior)", _bundled_pfn),
}
FUSED_NAMES = {"llm": "llmboost", "tabpfn": "pfnboost", "pfn": "pfnboost-bundled"}


def _registry() -> dict[str, tuple[str, Callable]]:
    methods = {
        "xgboost": (
            "XGBoost alone",
            lambda ds, seed, n: PriorBoostClassifier(scale=0, n_trials=n, random_state=seed),
        ),
        "lightgbm": (
            "LightGBM alone",
            lambda ds, seed, n: PriorBoostClassifier(
                booster="lightgbm", scale=0, n_trials=n, random_state=seed
            ),
        ),
        "logistic-regression": (
            "logistic regression on one-hot, standardised columns",
            lambda ds, seed, n: _alone(LogisticRegression(max_iter=1000), seed),
        ),
        "random-forest": (
            "random forest, 500 trees",
            lambda ds, seed, n: _alone(RandomForestClassifier(500, random_state=seed), seed),
        ),
    }
    for key, (text, make) in PRIORS.items():
        methods[key] = (
            f"{text}, alone",
            lambda ds, seed, n, make=make: PriorBoostClassifier(
                prior=make(ds, seed), scale="prior", random_state=seed
            ),
        )
        methods[FUSED_NAMES[key]] = (
            f"XGBoost from the {key} prior's margin, scale by CV",
            lambda ds, seed, n, make=make: PriorBoostClassifier(
                prior=make(ds, seed), n_trials=n, random_state=seed
            ),
        )
        methods[f"selection-{key}"] = (
            f"XGBoost or the {key} prior, whichever cross-validates better",
            lambda ds, seed, n, make=make: PriorBoostClassifier(
                prior=make(ds, seed), scale=[0.0, "prior"], random_state=seed
            ),
        )
        methods[f"stacking-{key}"] = (
            f"XGBoost with the {key} prior's out-of-fold logits as extra features",
            lambda ds, seed, n, make=make: StackingClassifier(make(ds, seed), random_state=seed),
        )
        methods[f"averaging-{key}"] = (
            f"CV-weighted average of XGBoost's and the {key} prior's probabilities",
            lambda ds, seed, n, make=make: AveragingClassifier(make(ds, seed), random_state=seed),
        )
    return methods


def _alone(estimator, seed: int) -> PriorBoostClassifier:
    """A scikit-learn model alone, through the same input handling as the priors."""
    return PriorBoostClassifier(prior=SklearnPrior(estimator), scale="prior", random_state=seed)


METHODS = _registry()


def make_method(name: str, ds: Dataset, seed: int, n_trials: int):
    """Build the estimator for method ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`METHODS`.
    ds : Dataset
        Gives the task sentence.
    seed : int
    n_trials : int
        Tuning budget.

    Returns
    -------
    estimator
        Unfitted, with ``fit`` and ``predict_proba``.
    """
    if name not in METHODS:
        raise ValueError(f"Unknown method {name!r}; `llmboost-bench methods` lists them.")
    return METHODS[name][1](ds, seed, n_trials)


__all__ = ["FUSED_NAMES", "METHODS", "PRIORS", "make_method"]
