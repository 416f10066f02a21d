"""PFNBoost's offline default: the bundled PFNs, with the network unreachable."""

from __future__ import annotations

import urllib.error
import urllib.request

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from llmboost import PFNBoostClassifier, PFNBoostRegressor  # noqa: E402
from llmboost.priors import BundledPFNPrior  # noqa: E402


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """No TabPFN weights on disk and no host answering."""

    def unreachable(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setenv("TABPFN_MODEL_CACHE_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(urllib.request, "urlopen", unreachable)


def _table(n):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.choice(["x", "y"], size=n)})
    return X, 2 * X["a"].to_numpy() + (X["b"] == "y") + 0.1 * rng.normal(size=n)


@pytest.mark.parametrize(
    ("cls", "task"), [(PFNBoostRegressor, "regression"), (PFNBoostClassifier, "classification")]
)
def test_offline_default_is_the_bundled_pfn_with_one_warning(offline, cls, task):
    X, y = _table(120)
    if task == "classification":
        y = (y > np.median(y)).astype(int)
    with pytest.warns(UserWarning) as seen:
        model = cls(booster_params={"n_estimators": 10}, scale=1.0, cv=2).fit(X, y)
    messages = [str(w.message) for w in seen if "TabPFN v2 is not available" in str(w.message)]
    assert len(messages) == 1 and f"{cls.__name__} uses the PFN bundled" in messages[0]
    assert model.default_prior_ == "bundled"
    assert isinstance(model.prior_, BundledPFNPrior) and model.prior_.task == task
    assert model.predict(X).shape == (120,)


def test_offline_regressor_learns_the_target(offline):
    from sklearn.metrics import r2_score

    X, y = _table(300)
    with pytest.warns(UserWarning, match="uses the PFN bundled"):
        model = PFNBoostRegressor(booster_params={"n_estimators": 20}, scale=1.0, cv=3)
        model.fit(X[:200], y[:200])
    assert r2_score(y[200:], model.predict(X[200:])) > 0.8


def test_a_given_prior_removes_the_previous_default(offline):
    X, y = _table(80)
    with pytest.warns(UserWarning, match="uses the PFN bundled"):
        model = PFNBoostRegressor(booster_params={"n_estimators": 5}, scale=1.0, cv=2).fit(X, y)
    assert model.default_prior_ == "bundled"
    model.set_params(prior=BundledPFNPrior("regression", n_ensemble=1)).fit(X, y)
    assert not hasattr(model, "default_prior_")
