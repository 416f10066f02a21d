"""PFNBoost's offline default: the bundled PFNs, with the network unreachable."""

from __future__ import annotations

import urllib.error
import urllib.request
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

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
    # quoted, so that it runs as written in zsh too (it said: install llmboost[tabpfn])
    assert 'pip install "llmboost[tabpfn]"' in messages[0]
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


def _warned_from(call, words):
    """The files the warnings containing ``words`` point at."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    files = {w.filename for w in caught if words in str(w.message)}
    assert files, f"no warning with {words!r}"
    return files


def test_the_default_prior_warning_points_at_the_user_s_call(offline):
    # it pointed into llmboost (estimators/_prior_boost.py, the line in fit)
    X, y = _table(60)
    params = {"booster_params": {"n_estimators": 5}, "scale": 1.0, "cv": 2}
    label = (y > np.median(y)).astype(int)
    calls = [
        lambda: PFNBoostRegressor(**params).fit(X, y),
        lambda: PFNBoostClassifier(**params).fit(X, label),
    ]
    for call in calls:
        assert _warned_from(call, "uses the PFN bundled") == {__file__}
    # through a Pipeline too (it pointed at scikit-learn's pipeline.py)
    pipe = make_pipeline(FunctionTransformer(), PFNBoostRegressor(**params))
    assert _warned_from(lambda: pipe.fit(X, y), "uses the PFN bundled") == {__file__}


def test_the_out_of_memory_warning_points_at_the_user_s_call(tmp_path, monkeypatch):
    # it pointed into llmboost (priors/_in_context.py) on both paths
    pytest.importorskip("tabpfn")
    from tabpfn_fixtures import build_checkpoint

    from llmboost.priors import TabPFNPrior

    path = str(build_checkpoint(tmp_path / "tiny.ckpt"))
    original = TabPFNPrior._predict

    def small_memory(self, estimator, values):
        if len(values) > 16:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2 GiB")
        return original(self, estimator, values)

    monkeypatch.setattr(TabPFNPrior, "_predict", small_memory)
    X, y = _table(60)
    y = (y > np.median(y)).astype(int)
    prior = TabPFNPrior(model_path=path, n_estimators=1, batch_size=64)
    model = PFNBoostClassifier(prior, booster_params={"n_estimators": 5}, scale=1.0, cv=2)
    assert _warned_from(lambda: model.fit(X, y), "out of memory") == {__file__}
    assert _warned_from(lambda: model.predict_proba(X), "out of memory") == {__file__}


def test_a_failed_fit_leaves_no_default_prior(offline):
    # default_prior_ was set before the fit failed, so check_is_fitted took the model
    # for fitted while predict raised NotFittedError
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    X, _ = _table(40)
    y = np.r_[np.zeros(39, int), 1]  # a class of one row: cross-validation refuses it
    model = PFNBoostClassifier(scale=1.0, cv=2)
    with pytest.warns(UserWarning, match="uses the PFN bundled"):
        with pytest.raises(ValueError, match="at least two classes with 2 or more rows"):
            model.fit(X, y)
    assert not hasattr(model, "default_prior_")
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    # a failed refit leaves the previous fit whole: its prior_ and its default_prior_
    with pytest.warns(UserWarning, match="uses the PFN bundled"):
        model.fit(X, (X["a"] > 0).astype(int))
    given = BundledPFNPrior(n_ensemble=1)
    with pytest.raises(ValueError, match="at least two classes"):
        model.set_params(prior=given).fit(X, y)
    assert model.default_prior_ == "bundled" and model.prior_.n_ensemble != 1


@pytest.mark.parametrize("cls", [PFNBoostClassifier, PFNBoostRegressor])
def test_without_torch_the_default_fails_alone_before_any_warning(offline, monkeypatch, cls):
    # it warned that it used the bundled PFN, then failed because torch was missing
    import sys

    X, y = _table(40)
    y = (y > np.median(y)).astype(int) if cls is PFNBoostClassifier else y
    monkeypatch.setitem(sys.modules, "torch", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ImportError, match=r'^BundledPFNPrior needs torch: pip install "llm'):
            cls(booster_params={"n_estimators": 5}, scale=1.0, cv=2).fit(X, y)
    assert [str(w.message) for w in caught] == []
    # the default is not named without torch, but the rule still is
    with pytest.raises(ValueError, match=r"stands for the default prior.*pass the prior itself, "):
        cls().set_params(prior__n_ensemble=2)


def test_without_torch_scale_0_needs_no_prior(offline, monkeypatch):
    # the torch check of the default prior also refused scale=0, which never runs it
    import sys

    X, y = _table(40)
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.warns(UserWarning, match="uses the PFN bundled"):
        model = PFNBoostRegressor(booster_params={"n_estimators": 5}, scale=0, cv=2).fit(X, y)
    assert model.prior_ is None and model.default_prior_ == "bundled"
    assert model.predict(X).shape == (40,)


@pytest.mark.parametrize(
    ("variable", "value", "folder"),
    [
        ("HF_HUB_CACHE", "~/hub", "hub"),
        ("HF_HOME", "$HOME/hf", "hf/hub"),
        ("HUGGINGFACE_HUB_CACHE", "~/legacy", "legacy"),  # it was HF_HOME's hub (hf/hub)
    ],
)
def test_the_hugging_face_cache_is_read_as_huggingface_hub_reads_it(
    tmp_path, monkeypatch, variable, value, folder
):
    # "~/hub" was a folder named "~" under the working directory: TabICL's checkpoint,
    # cached in ~/hub by huggingface_hub, was not found, and was downloaded again
    from llmboost import _compat
    from llmboost.priors import TabICLPrior

    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("HF_HOME", "$HOME/hf")  # outranked by the two cache variables
    monkeypatch.setenv(variable, value)
    assert _compat.hf_cache_dir() == str(tmp_path / folder)
    prior = TabICLPrior()
    repo = tmp_path / folder / "models--jingang--TabICL"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("abc")
    (repo / "snapshots" / "abc").mkdir(parents=True)
    (repo / "snapshots" / "abc" / prior._name()).write_text("weights")
    assert prior._cached_checkpoint() == str(repo / "snapshots" / "abc" / prior._name())
