"""scikit-learn's estimator checks over every estimator and prior of the package.

Priors are checked as plain estimators (``fit``; they have no ``predict``). The priors
that load a model get a tiny one built here (nothing is downloaded): each estimator
names its model file ``"set-in-test"`` and the test points it at the built file. The
Dask estimators take Dask collections, which the checks do not generate;
tests/test_dask.py checks them against the local estimators instead.
"""

import functools

import numpy as np
import pandas as pd
import pytest
import torch
from estimator_checks import WEIGHTS_ARE_NOT_REPEATS, check_subset_invariance_float32
from llm_fixtures import build_gpt2
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks
from tabicl_fixtures import build_checkpoint as build_tabicl
from tabpfn_fixtures import build_checkpoint as build_tabpfn

from llmboost import (
    LLMBoostClassifier,
    PFNBoostClassifier,
    PFNBoostRegressor,
    PriorBoostClassifier,
    PriorBoostRegressor,
    SklearnPrior,
)
from llmboost.priors import BundledPFNPrior, LLMPrior, Prior, TabICLPrior, TabPFNPrior

FAST = {"n_estimators": 20}
TINY = {"n_estimators": 5}
PLACEHOLDER = "set-in-test"
#: float64 makes TabPFN's output for a row independent of the other rows in its batch.
EXACT = {"inference_precision": torch.float64}


def _pfnboost(prior, **kwargs):
    cls = PFNBoostRegressor if getattr(prior, "task", "") == "regression" else PFNBoostClassifier
    return cls(prior=prior, booster_params=TINY, scale=1.0, cv=2, random_state=0, **kwargs)


ESTIMATORS = [
    PriorBoostClassifier(booster_params=FAST, cv=3, random_state=0),
    PriorBoostClassifier(
        prior=LogisticRegression(), booster="lightgbm", booster_params=FAST, scale=0.5, cv=3
    ),
    PriorBoostRegressor(booster_params=FAST, cv=3, random_state=0),
    PriorBoostRegressor(prior=Ridge(), booster="lightgbm", booster_params=FAST, scale=1.0, cv=3),
    _pfnboost(BundledPFNPrior(n_ensemble=1)),
    _pfnboost(BundledPFNPrior(task="regression", n_ensemble=1)),
    _pfnboost(TabPFNPrior(model_path=PLACEHOLDER, n_estimators=1, tabpfn_params=EXACT)),
    _pfnboost(
        TabPFNPrior(task="regression", model_path=PLACEHOLDER, n_estimators=1, tabpfn_params=EXACT)
    ),
    _pfnboost(TabICLPrior(model_path=PLACEHOLDER, n_estimators=1)),
    _pfnboost(TabICLPrior(task="regression", model_path=PLACEHOLDER, n_estimators=1)),
    # A random language model is a useless prior: the default search learns to ignore it.
    LLMBoostClassifier(
        prior=LLMPrior(PLACEHOLDER, progress=False), booster_params=FAST, cv=2, random_state=0
    ),
]

PRIORS = [
    SklearnPrior(LogisticRegression()),
    SklearnPrior(Ridge()),
    BundledPFNPrior(n_ensemble=1),
    BundledPFNPrior(task="regression", n_ensemble=1),
    TabPFNPrior(model_path=PLACEHOLDER, n_estimators=1, tabpfn_params=EXACT),
    TabPFNPrior(task="regression", model_path=PLACEHOLDER, n_estimators=1, tabpfn_params=EXACT),
    TabICLPrior(model_path=PLACEHOLDER, n_estimators=1),
    TabICLPrior(task="regression", model_path=PLACEHOLDER, n_estimators=1),
    LLMPrior(PLACEHOLDER, progress=False),
]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Tiny random models in each family's own format, by prior class and task."""
    root = tmp_path_factory.mktemp("models")
    built = {}
    for task in ("classification", "regression"):
        built[TabPFNPrior, task] = build_tabpfn(root / f"tabpfn-{task}.ckpt", task)
        built[TabICLPrior, task] = build_tabicl(root / f"tabicl-{task}.ckpt", task)
    built[LLMPrior, "classification"] = build_gpt2(root / "gpt2")
    return built


def _load_tiny_model(estimator, models, tmp_path):
    """Point the estimator's prior (or the prior itself) at its tiny model."""
    prior, prefix = (
        (estimator, "") if isinstance(estimator, Prior) else (estimator.prior, "prior__")
    )
    if isinstance(prior, (TabPFNPrior, TabICLPrior)):
        estimator.set_params(**{f"{prefix}model_path": str(models[type(prior), prior.task])})
    elif isinstance(prior, LLMPrior):
        path = str(models[LLMPrior, "classification"])
        estimator.set_params(**{f"{prefix}model": path, f"{prefix}cache_dir": str(tmp_path)})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda _: WEIGHTS_ARE_NOT_REPEATS)
def test_estimators(estimator, check, models, tmp_path):
    _load_tiny_model(estimator, models, tmp_path)
    if getattr(check, "func", check).__name__ == "check_methods_subset_invariance":
        check = functools.partial(check_subset_invariance_float32, *check.args)
    check(estimator)


#: A prior that cannot use weights still takes ``sample_weight`` (the signature all
#: priors share) and refuses one with an error naming ``supports_sample_weight``.
REFUSES_WEIGHTS = {
    check: "refuses sample_weight: supports_sample_weight is False"
    for check in (
        "check_sample_weights_pandas_series",
        "check_sample_weights_not_an_array",
        "check_sample_weights_list",
        "check_sample_weights_shape",
        "check_sample_weights_not_overwritten",
        "check_all_zero_sample_weights_error",
        "check_sample_weight_equivalence_on_dense_data",
    )
}


def _prior_expected_failures(prior):
    return {} if prior.supports_sample_weight else REFUSES_WEIGHTS


@parametrize_with_checks(PRIORS, expected_failed_checks=_prior_expected_failures)
def test_priors(estimator, check, models, tmp_path):
    _load_tiny_model(estimator, models, tmp_path)
    check(estimator)


def _contract_table(task, n=40):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "age": rng.normal(size=n),
            "income": rng.normal(size=n),
            "city": pd.Categorical(rng.choice(["north", "south", "east"], n)),
        }
    )
    if task == "regression":
        return X, X["age"].to_numpy() + 0.1 * rng.normal(size=n)
    return X, np.where(X["age"] > 0, "yes", "no")


@pytest.mark.parametrize("prior", PRIORS, ids=repr)
def test_oof_logits_leave_the_prior_as_it_was(prior, models, tmp_path):
    """The one ``oof_logits`` contract: rows scored out of fold, the prior untouched."""
    prior = clone(prior)
    _load_tiny_model(prior, models, tmp_path)
    task = "regression" if getattr(prior, "task", None) == "regression" else "classification"
    X, y = _contract_table(task)
    folds = list(KFold(4, shuffle=True, random_state=0).split(X))
    unfitted = dict(vars(prior))
    oof = prior.oof_logits(X, y, folds)
    assert oof.shape == ((40,) if task == "regression" else (40, 2))
    assert np.isfinite(oof).all()
    assert vars(prior).keys() == unfitted.keys()
    fitted_logits = prior.fit(X, y).logits(X)
    state = set(vars(prior))
    prior.oof_logits(X, y, folds)
    assert set(vars(prior)) == state
    np.testing.assert_array_equal(prior.logits(X), fitted_logits)


@pytest.mark.parametrize(
    "prior", [BundledPFNPrior(n_ensemble=1), SklearnPrior(LogisticRegression())]
)
def test_priors_say_they_take_text_as_the_estimators_do(prior):
    # the tags said no, so scikit-learn's check_dtype_object put a dict in a column and
    # expected NumPy's float() message, not the one naming the column
    assert get_tags(prior).input_tags.string
    X = pd.DataFrame({"colour": ["red", "blue"] * 10, "size": np.arange(20.0)})
    y = np.array([0, 1] * 10)
    assert prior.fit(X, y).logits(X).shape == (20, 2)
