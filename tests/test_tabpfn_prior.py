"""TabPFNPrior and PFNBoost with tiny random TabPFN v2 checkpoints (nothing is downloaded)."""

import os
import pickle
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold, StratifiedKFold

pytest.importorskip("tabpfn")
torch = pytest.importorskip("torch")

from checkpoint_cases import UNREADABLE, write_unreadable  # noqa: E402
from tabpfn import TabPFNClassifier  # noqa: E402
from tabpfn_fixtures import build_checkpoint, default_filename  # noqa: E402

from llmboost import PFNBoostClassifier, PFNBoostRegressor  # noqa: E402
from llmboost.priors import ModelNotAvailableError, TabPFNPrior  # noqa: E402
from llmboost.priors._hosts import unreachable_reason  # noqa: E402

TASKS = ("classification", "regression")
#: float64 makes TabPFN's output for a row independent of the other rows in its batch
#: (on CPUs with bfloat16 support the default autocasts, changing the 4th digit).
EXACT = {"inference_precision": torch.float64}


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    """Tiny classifier and regressor checkpoints, loaded through ``model_path``."""
    folder = tmp_path_factory.mktemp("tiny")
    return {t: str(build_checkpoint(folder / f"tiny-{t}.ckpt", t)) for t in TASKS}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory, ckpt):
    """A model cache holding the tiny checkpoints under TabPFN's default v2 file names."""
    folder = tmp_path_factory.mktemp("cache")
    for task, path in ckpt.items():
        (folder / default_filename(task)).write_bytes(open(path, "rb").read())
    return folder


def _table(n=150, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "c": pd.Categorical(rng.choice(["x", "y", "z"], n)),
        }
    )
    X.loc[::9, "b"] = np.nan
    X.loc[::13, "c"] = np.nan
    y = np.where(X["a"] + (X["c"] == "x") > 0.3, "yes", "no")
    return X, y


def _folds(y, k=5):
    return list(StratifiedKFold(k, shuffle=True, random_state=0).split(np.zeros(len(y)), y))


def test_logits_shapes_finite_and_labels(ckpt):
    X, y = _table()
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=2).fit(X, y)
    z = prior.logits(X.iloc[:17])
    assert list(prior.classes_) == ["no", "yes"]
    assert z.shape == (17, 2) and np.isfinite(z).all()
    np.testing.assert_allclose(np.exp(z).sum(axis=1), 1, atol=1e-4)  # log-probabilities
    assert np.ptp(z[:, 1] - z[:, 0]) > 0  # rows get different margins

    target = X["a"].to_numpy() * 3 + 1
    reg = TabPFNPrior(task="regression", model_path=ckpt["regression"], n_estimators=2)
    mean = reg.fit(X, target).logits(X.iloc[:17])
    assert mean.shape == (17,) and np.isfinite(mean).all()
    oof = reg.oof_logits(X, target, list(KFold(3, shuffle=True, random_state=0).split(X)))
    assert oof.shape == (len(X),) and np.isfinite(oof).all()


def test_default_path_from_model_cache_env(ckpt, cache_dir, monkeypatch):
    monkeypatch.setenv("TABPFN_MODEL_CACHE_DIR", str(cache_dir))
    X, y = _table(60)
    prior = TabPFNPrior(n_estimators=1).fit(X, y)
    assert prior.checkpoint_path_ == str(cache_dir / default_filename("classification"))
    assert prior.logits(X).shape == (60, 2)
    reg = TabPFNPrior(task="regression", n_estimators=1).fit(X, X["a"].to_numpy())
    assert reg.checkpoint_path_ == str(cache_dir / default_filename("regression"))


def test_oof_never_uses_the_rows_own_label(ckpt):
    X, y = _table()
    folds = _folds(y)
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=2)
    oof = prior.oof_logits(X, y, folds)
    in_sample = prior.fit(X, y).logits(X)
    assert np.isfinite(oof).all() and not np.allclose(oof, in_sample, atol=1e-4)

    # Flip the labels of fold 0: its rows' out-of-fold logits must not move (their own
    # labels are never in their context), while the other folds' logits and the
    # in-sample logits of those rows do.
    test0 = folds[0][1]
    flipped = y.copy()
    flipped[test0] = np.where(y[test0] == "yes", "no", "yes")
    oof2 = prior.oof_logits(X, flipped, folds)
    np.testing.assert_allclose(oof2[test0], oof[test0], atol=1e-6)
    others = np.setdiff1d(np.arange(len(y)), test0)
    assert np.abs(oof2[others] - oof[others]).max() > 1e-4
    assert np.abs(prior.fit(X, flipped).logits(X)[test0] - in_sample[test0]).max() > 1e-4


def test_duplicate_rows_in_other_folds_carry_their_own_labels(ckpt):
    # Every row has an exact twin with the opposite label in another fold. Out of fold,
    # a row and its twin share features but each is scored without its own label, so
    # their logits differ; in sample (both labels in the context) they are identical.
    X, y = _table(60)
    Xd = pd.concat([X, X], ignore_index=True)
    yd = np.concatenate([y, np.where(y == "yes", "no", "yes")])
    half = np.arange(60)
    folds = [(half + 60, half), (half, half + 60)]
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=2, tabpfn_params=EXACT)
    oof = prior.oof_logits(Xd, yd, folds)
    assert np.abs(oof[:60] - oof[60:]).max() > 1e-4
    z = prior.fit(Xd, yd).logits(Xd)
    np.testing.assert_allclose(z[:60], z[60:], atol=1e-9)


def test_fused_folds_match_one_fit_per_fold(ckpt, monkeypatch):
    X, y = _table(152)  # uneven folds: two shape groups
    folds = _folds(y)
    calls = []
    original = TabPFNClassifier.predict_proba_batched

    def spy(self, *args, **kwargs):
        calls.append(len(args[0]))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(TabPFNClassifier, "predict_proba_batched", spy)
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=2)
    prior.oof_logits(X, y, folds)
    assert calls == []  # on CPU: one fit per fold
    monkeypatch.setattr("llmboost.priors._tabpfn.FUSED_FOLD_DEVICES", ("cuda", "cpu"))
    oof = prior.oof_logits(X, y, folds)
    assert sorted(calls) == [2, 3]  # folds of equal shape scored together
    reference = np.empty_like(oof)
    for train, test in folds:
        part = TabPFNPrior(model_path=ckpt["classification"], n_estimators=2)
        reference[test] = part.fit(X.iloc[train], y[train]).logits(X.iloc[test])
    np.testing.assert_allclose(oof, reference, atol=1e-5)
    # tiny batches take the one-fit-per-fold path with batched prediction
    small = TabPFNPrior(model_path=ckpt["classification"], n_estimators=2, batch_size=7)
    np.testing.assert_allclose(small.oof_logits(X, y, folds), reference, atol=2e-3)


def test_context_cap_warns_and_subsamples(ckpt):
    X, y = _table(150)
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1, max_context=40)
    with pytest.warns(UserWarning, match=r"150 rows exceed the context cap of 40 rows"):
        prior.fit(X, y)
    assert prior.context_size_ == 40 and set(prior.context_y_) == {0, 1}
    assert prior._fitted_estimator().n_train_samples_ == 40
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oof = prior.oof_logits(X, y, _folds(y))
    messages = [str(w.message) for w in caught if "context cap" in str(w.message)]
    assert len(messages) == 1 and "the training rows of each fold (the other" in messages[0]
    assert np.isfinite(oof).all()

    reg = TabPFNPrior(task="regression", model_path=ckpt["regression"], max_context=30)
    with pytest.warns(UserWarning, match="random subsample of 30 rows"):
        reg.fit(X, X["a"].to_numpy())
    # no cap given: TabPFN's own CPU limit for v2
    assert TabPFNPrior(model_path=ckpt["classification"]).fit(X, y)._context_cap() == (
        1000,
        False,
    )


def test_out_of_memory_halves_the_batch_then_gives_up(ckpt, monkeypatch):
    X, y = _table(60)
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1, tabpfn_params=EXACT)
    expected = prior.fit(X, y).logits(X)
    original, sizes = TabPFNPrior._predict, []

    def small_memory(self, estimator, values, limit=16):
        sizes.append(len(values))
        if len(values) > limit:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
        return original(self, estimator, values)

    monkeypatch.setattr(TabPFNPrior, "_predict", small_memory)
    with pytest.warns(UserWarning) as record:
        z = prior.set_params(batch_size=64).logits(X)
    assert sizes == [60, 32, 16, 16, 16, 12]
    assert "out of memory with 64 rows per batch; retrying with 32" in str(record[0].message)
    assert "with 32 rows per batch; retrying with 16" in str(record[1].message)
    np.testing.assert_allclose(z, expected, atol=1e-9)

    monkeypatch.setattr(TabPFNPrior, "_predict", lambda *a: small_memory(*a, limit=0))
    with pytest.warns(UserWarning), pytest.raises(torch.OutOfMemoryError):
        prior.logits(X)


def test_offline_error_is_fast_helpful_and_writes_nothing(tmp_path, monkeypatch):
    cache, work = tmp_path / "cache", tmp_path / "work"
    cache.mkdir()
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("TABPFN_MODEL_CACHE_DIR", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    X, y = _table(30)
    start = time.perf_counter()
    with pytest.raises(ModelNotAvailableError) as info:
        TabPFNPrior().fit(X, y)
    assert time.perf_counter() - start < 5
    message = str(info.value)
    for part in ("TabPFN v2 classifier", str(cache / default_filename("classification"))):
        assert part in message
    for part in ("hf download Prior-Labs/TabPFN-v2-clf", "TABPFN_MODEL_CACHE_DIR", "model_path"):
        assert part in message
    assert list(work.iterdir()) == [] and list(cache.iterdir()) == []

    # same answer when the hosts simply do not answer
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(
        "llmboost.priors._in_context.unreachable_reason", lambda hosts: "no download host answered"
    )
    with pytest.raises(ModelNotAvailableError, match="no download host answered"):
        TabPFNPrior(task="regression").oof_logits(X, X["a"].to_numpy(), list(KFold(2).split(X)))

    missing = tmp_path / "nowhere" / "model.ckpt"
    with pytest.raises(ModelNotAvailableError, match="checkpoint not found"):
        TabPFNPrior(model_path=missing).fit(X, y)
    assert not missing.parent.exists() and list(work.iterdir()) == []


def test_an_empty_model_path_or_a_folder_is_named(ckpt, tmp_path, monkeypatch):
    # both said "checkpoint ... not found" / "not available" with a folder as where it was
    # looked for, and the advice to download weights
    X, y = _table(30)
    for empty in ("", "  "):
        with pytest.raises(ValueError) as err:
            TabPFNPrior(model_path=empty).fit(X, y)
        assert str(err.value) == (
            f"TabPFNPrior: model_path must be a path to a checkpoint file or None, got {empty!r}."
        )
    folder = tmp_path / "weights"
    folder.mkdir()
    (folder / "model.ckpt").write_bytes(open(ckpt["classification"], "rb").read())
    (folder / "notes.txt").write_text("")
    with pytest.raises(ValueError) as err:
        TabPFNPrior(model_path=folder).fit(X, y)
    assert str(err.value) == (
        f"TabPFNPrior: model_path={str(folder)!r} is a folder ({folder}); pass the path of the "
        f"checkpoint file in it, e.g. TabPFNPrior(model_path={str(folder / 'model.ckpt')!r})."
    )
    monkeypatch.chdir(tmp_path)  # Path("") is the working folder
    with pytest.raises(ValueError, match=r"model_path='.' is a folder .*model_path='NAME.ckpt'"):
        TabPFNPrior(model_path=Path("")).fit(X, y)
    assert not TabPFNPrior(model_path=folder).is_available()


@pytest.mark.parametrize("device", ["gpu", "cuda"])
def test_a_bad_device_is_said_before_missing_weights(tmp_path, monkeypatch, device):
    # offline, device="gpu" (or "cuda" without a GPU) got the missing-weights error, and
    # after fetching the weights the device error came next
    monkeypatch.setenv("TABPFN_MODEL_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, y = _table(30)
    with pytest.raises(ValueError, match=rf"device={device!r}") as err:
        TabPFNPrior(device=device).fit(X, y)
    assert not isinstance(err.value, ModelNotAvailableError)


def test_a_missing_model_path_names_the_default_of_the_prior_s_model(tmp_path):
    # it said "the default TabPFN v2 checkpoint" whatever model and task the prior had
    X, _ = _table(30)
    prior = TabPFNPrior("regression", model="v2.5", model_path=tmp_path / "none.ckpt")
    with pytest.raises(ModelNotAvailableError) as err:
        prior.fit(X, X["a"].to_numpy())
    assert (
        "leave model_path=None to use the default TabPFN v2.5 regressor checkpoint from the "
        in (str(err.value))
    )


def test_reachability_probe_gives_up_quickly():
    start = time.perf_counter()
    assert unreachable_reason(["http://127.0.0.1:9"]) is not None  # refused at once
    assert time.perf_counter() - start < 5


def test_fit_writes_nothing_in_cwd_and_pickles_without_weights(ckpt, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    X, y = _table(80)
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=2).fit(X, y)
    prior.oof_logits(X, y, _folds(y, 3))
    z = prior.logits(X)
    blob = pickle.dumps(prior)
    assert list(tmp_path.iterdir()) == []
    assert len(blob) < 50_000  # the context, not the network
    restored = pickle.loads(blob)
    assert getattr(restored, "_estimator", None) is None  # model reloaded lazily
    assert prior._estimator is not None  # pickling left the original alone
    np.testing.assert_allclose(restored.logits(X), z, atol=1e-6)


def test_set_params_after_fit_scores_as_a_pickled_copy_does(ckpt, tmp_path):
    # the fitted prior kept scoring with its old TabPFN settings while a pickled copy of it
    # used the new ones: logits differed by 0.11 between the two
    X, y = _table(60)
    other = str(build_checkpoint(tmp_path / "other.ckpt", seed=1))
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=2, tabpfn_params=EXACT)
    prior.fit(X, y)
    for change in ({"n_estimators": 1}, {"model_path": other}):
        prior.set_params(**change)
        z = prior.logits(X)
        # float64 inference: the same computation, up to the order of sums
        np.testing.assert_allclose(pickle.loads(pickle.dumps(prior)).logits(X), z, atol=1e-9)
        refit = TabPFNPrior(**prior.get_params()).fit(X, y)
        np.testing.assert_allclose(refit.logits(X), z, atol=1e-9)
    assert prior.checkpoint_path_ == other


def test_a_random_state_set_after_fit_seeds_tabpfn_as_a_refit_does(ckpt):
    # the estimator was made again with the seed drawn at fit: every random_state set
    # after fit gave the logits of the first one (0.016 from those of a refit)
    X, y = _table(60)
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=2, tabpfn_params=EXACT)
    first = prior.fit(X, y).logits(X)
    prior.set_params(random_state=5)
    refit = TabPFNPrior(**prior.get_params()).fit(X, y).logits(X)
    assert np.abs(refit - first).max() > 1e-3  # the seed matters to these logits
    # float64 inference: the same computation, up to the order of sums
    np.testing.assert_allclose(prior.logits(X), refit, atol=1e-9)
    np.testing.assert_allclose(pickle.loads(pickle.dumps(prior)).logits(X), refit, atol=1e-9)
    assert prior.seed_ == 5


def test_a_max_context_set_after_fit_warns_that_the_context_stays_fit_s(ckpt):
    # the docs said a fitted prior scores with settings set after fit; a new max_context
    # changed nothing, without a word (fit keeps only the context rows)
    X, y = _table(60)
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1, tabpfn_params=EXACT)
    first = prior.fit(X, y).logits(X)
    prior.set_params(max_context=20)
    message = (
        "TabPFNPrior: max_context=20 was set after fit; the context stays fit's 60 rows (the "
        "other training rows are not kept) until the next fit."
    )
    for scored in (prior, pickle.loads(pickle.dumps(prior))):
        with pytest.warns(UserWarning) as caught:
            z = scored.logits(X)
        assert [str(w.message) for w in caught] == [message]
        np.testing.assert_array_equal(z, first)  # the same context and settings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the cap's own warning: 60 rows above 20
        assert prior.fit(X, y).context_size_ == 20
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prior.logits(X)


def test_a_max_context_set_after_fit_that_keeps_the_context_does_not_warn(ckpt):
    # max_context=500 after a fit on 60 rows (TabPFN's own cap: 1000) warned that "the
    # context stays fit's 60 rows", though a refit would use the same 60 rows
    X, y = _table(60)
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1, tabpfn_params=EXACT)
    first = prior.fit(X, y).logits(X)
    for cap in (500, 60, 1000, None):
        prior.set_params(max_context=cap)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            np.testing.assert_array_equal(prior.logits(X), first)
    with pytest.warns(UserWarning, match="max_context=59 was set after fit; the context stays"):
        prior.set_params(max_context=59).logits(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the cap's own warning: 60 rows above 30
        prior.set_params(max_context=30).fit(X, y)
    with pytest.warns(UserWarning, match="max_context=60 was set after fit; the context stays"):
        prior.set_params(max_context=60).logits(X)  # a refit would use all 60 rows


def test_a_bad_parameter_set_after_fit_is_named_when_scoring(ckpt):
    # set_params(n_estimators=0) on a fitted prior failed in TabPFN: ZeroDivisionError
    X, y = _table(40)
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1).fit(X, y)
    prior.set_params(n_estimators=0)
    with pytest.raises(ValueError) as err:
        prior.logits(X)
    assert str(err.value) == "TabPFNPrior: n_estimators must be an integer >= 1, got 0."


def test_importing_llmboost_does_not_import_torch_or_tabpfn():
    code = "import sys, llmboost, llmboost.priors._tabpfn; print('torch' in sys.modules)"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "False", out.stderr


def test_bad_parameters(ckpt):
    X, y = _table(30)
    for params in ({"model": "v9"}, {"task": "ranking"}, {"n_estimators": 0}, {"max_context": 1}):
        with pytest.raises(ValueError):
            TabPFNPrior(**{"model_path": None, **params}).fit(X, y)


def test_pfnboost_defaults_to_tabpfn(cache_dir, monkeypatch):
    monkeypatch.setenv("TABPFN_MODEL_CACHE_DIR", str(cache_dir))
    X, y = _table(80)
    clf = PFNBoostClassifier(booster_params={"n_estimators": 10}, scale=1.0, cv=2).fit(X, y)
    assert isinstance(clf.prior_, TabPFNPrior) and clf.prior_.task == "classification"
    assert clf.default_prior_ == "tabpfn"
    assert clf.predict_proba(X).shape == (80, 2)
    reg = PFNBoostRegressor(booster_params={"n_estimators": 10}, scale=1.0, cv=2)
    reg.fit(X, X["a"].to_numpy())
    assert isinstance(reg.prior_, TabPFNPrior) and reg.prior_.task == "regression"
    assert reg.predict(X).shape == (80,)


def test_pfnboost_falls_back_to_the_bundled_pfn(tmp_path, monkeypatch):
    from llmboost.priors import BundledPFNPrior

    monkeypatch.setenv("TABPFN_MODEL_CACHE_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    X, y = _table(80)
    start = time.perf_counter()
    match = "TabPFN v2 is not available.*uses the PFN bundled"
    with pytest.warns(UserWarning, match=match) as seen:
        clf = PFNBoostClassifier(booster_params={"n_estimators": 10}, scale=1.0, cv=2).fit(X, y)
    assert time.perf_counter() - start < 30
    assert len([w for w in seen if "TabPFN v2 is not available" in str(w.message)]) == 1
    assert clf.default_prior_ == "bundled" and isinstance(clf.prior_, BundledPFNPrior)
    assert clf.predict_proba(X).shape == (80, 2)


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_classes_with_a_single_row(ckpt, booster):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    y = np.where(X["a"] > 0, "p", "n").astype(object)
    y[:2] = ["once", "twice"]  # two classes with one row each
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1)
    model = PFNBoostClassifier(prior=prior, booster=booster, booster_params={"n_estimators": 10},
                               random_state=0).fit(X, y)  # fmt: skip
    assert list(model.classes_) == ["n", "once", "p", "twice"]
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)


def test_is_available_looks_on_disk_only(ckpt, cache_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TABPFN_MODEL_CACHE_DIR", str(cache_dir))
    assert TabPFNPrior().is_available() and TabPFNPrior(task="regression").is_available()
    assert TabPFNPrior(model_path=ckpt["classification"]).is_available()
    assert not TabPFNPrior(model="v2.5").is_available()
    monkeypatch.setenv("TABPFN_MODEL_CACHE_DIR", str(tmp_path / "empty"))
    assert not TabPFNPrior().is_available()
    assert not TabPFNPrior(model_path=tmp_path / "none.ckpt").is_available()
    # a model_path that is no path raised TypeError: "expected str, bytes or os.PathLike"
    assert not TabPFNPrior(model_path=3).is_available()
    assert list(tmp_path.iterdir()) == []  # nothing downloaded or created


def test_constructor_arguments_after_task_are_keyword_only():
    with pytest.raises(TypeError):
        TabPFNPrior("classification", "v2")


@pytest.mark.parametrize("task", TASKS)
def test_a_checkpoint_of_the_other_task_is_refused_by_name(ckpt, task):
    # tabpfn's own words named neither the task nor the fix ("has neither saved criterion
    # borders nor a regression_borders buffer", "max_num_classes is 0")
    X, y = _table(40)
    other = "regression" if task == "classification" else "classification"
    target = y if task == "classification" else X["a"].to_numpy()
    prior = TabPFNPrior(task=task, model_path=ckpt[other], n_estimators=1, device="cpu")
    match = rf"is a {other} checkpoint .*task={task!r}.*Pass task={other!r}"
    with pytest.raises(ValueError, match=match):
        prior.fit(X, target)
    with pytest.raises(ValueError, match=match):
        prior.oof_logits(X, target, _folds(y))


def test_a_checkpoint_of_another_model_is_named(ckpt, tmp_path):
    # it was the other model's error: TabPFN "Trying to create tensor with negative
    # dimension -1", TabICL "__init__() got an unexpected keyword argument 'emsize'"
    pytest.importorskip("tabicl")
    from tabicl_fixtures import build_checkpoint as build_other

    from llmboost.pfn import DEFAULT_WEIGHTS, WEIGHTS_DIR

    X, y = _table(40)
    other = build_other(tmp_path / "other.ckpt")
    for path, kind, reader in (
        (other, "TabICL", "TabICLPrior(model_path=...)"),
        (WEIGHTS_DIR / DEFAULT_WEIGHTS, "bundled PFN", "BundledPFNPrior(weights=...)"),
    ):
        with pytest.raises(ValueError) as err:
            TabPFNPrior(model_path=path, n_estimators=1).fit(X, y)
        assert str(err.value).startswith(
            f"TabPFN cannot read the checkpoint {path}: it is a {kind} checkpoint, which "
            f"{reader} reads. Pass model_path= a TabPFN classifi"
        )


@pytest.mark.parametrize("content, why", UNREADABLE)
def test_unreadable_checkpoint_is_named(ckpt, tmp_path, content, why):
    X, y = _table(40)
    path = write_unreadable(tmp_path / "bad.ckpt", content, ckpt["classification"])
    prior = TabPFNPrior(model_path=str(path), n_estimators=1)
    with pytest.raises(
        ValueError,
        match=f"TabPFN cannot read the checkpoint .*bad.ckpt: (it is )?{why}.*classifier",
    ):
        prior.fit(X, y)


def test_unpickled_prior_whose_checkpoint_is_gone_names_it(ckpt, tmp_path):
    X, y = _table(40)
    path = tmp_path / "moved.ckpt"
    path.write_bytes(open(ckpt["classification"], "rb").read())
    saved = pickle.dumps(TabPFNPrior(model_path=str(path), n_estimators=1).fit(X, y))
    path.unlink()
    with pytest.raises(FileNotFoundError, match=r"TabPFN checkpoint .*moved.ckpt does not exist"):
        pickle.loads(saved).logits(X)
    assert list(tmp_path.iterdir()) == []  # no lock file or folder left behind


def test_context_without_varying_features_gives_the_label_distribution(ckpt, monkeypatch):
    X, y = _table(40)
    X = X[["a", "b"]]
    flat = pd.DataFrame({"a": np.full(40, 2.0), "b": np.nan})
    z = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1).fit(flat, y).logits(X)
    share = np.mean(y == "yes")
    np.testing.assert_allclose(z, np.tile(np.log([1 - share, share]), (40, 1)), atol=1e-12)
    reg = TabPFNPrior("regression", model_path=ckpt["regression"], n_estimators=1)
    target = np.arange(40.0)
    np.testing.assert_allclose(reg.fit(flat, target).logits(X), np.full(40, 19.5), atol=1e-12)
    folds = _folds(y)
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1)
    oof = prior.oof_logits(flat, y, folds)
    assert oof.shape == (40, 2) and np.isfinite(oof).all()
    monkeypatch.setattr("llmboost.priors._tabpfn.FUSED_FOLD_DEVICES", ("cuda", "cpu"))
    np.testing.assert_array_equal(prior.oof_logits(flat, y, folds), oof)  # not fused


def test_a_column_that_varies_only_in_missing_cells_reaches_tabpfn(ckpt):
    # a column observed in some rows only counted as constant, so every row got the class
    # frequencies (0.5 each here), though TabPFN takes the column and reads its missingness
    y = np.arange(40) % 2
    X = pd.DataFrame({"a": np.where(y == 1, 1.0, np.nan), "b": np.full(40, 2.0)})
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1, tabpfn_params=EXACT)
    z = prior.fit(X, y).logits(X.iloc[:2])
    direct = TabPFNClassifier(
        model_path=ckpt["classification"],
        n_estimators=1,
        random_state=0,
        fit_mode="fit_preprocessors",
        **EXACT,
    ).fit(X.to_numpy(), y)
    # the same model, inputs and seed: equal up to float rounding in TabPFN's float64 pass
    np.testing.assert_allclose(z, np.log(direct.predict_proba(X.to_numpy()[:2])), atol=1e-9)
    assert abs(z[0, 0] - z[1, 0]) > 1e-4


def test_more_classes_than_tabpfn_takes_names_the_limit_and_the_alternative(ckpt, monkeypatch):
    X, _ = _table(120)
    y = np.arange(120) % 12  # the model's inference config takes at most 10 classes
    message = (
        "TabPFNPrior: y has 12 classes, but this TabPFN model takes at most 10 (its "
        "MAX_NUMBER_OF_CLASSES; ignore_pretraining_limits does not lift it). Use "
        "BundledPFNPrior, which takes any number of classes (split into groups its network "
        "takes), or merge classes so that at most 10 remain."
    )
    lifted = {"ignore_pretraining_limits": True}  # lifts the feature limit, not this one
    for params in (None, lifted):
        prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1, tabpfn_params=params)
        with pytest.raises(ValueError) as err:
            prior.fit(X, y)
        assert str(err.value) == message
    folds = list(KFold(2, shuffle=True, random_state=0).split(X))
    for fused in (("cuda",), ("cuda", "cpu")):  # out of fold, fold by fold and fused
        monkeypatch.setattr("llmboost.priors._tabpfn.FUSED_FOLD_DEVICES", fused)
        with pytest.raises(ValueError) as err:
            prior.oof_logits(X, y, folds)
        where = " (in fold 0 of the out-of-fold logits: 60 training rows, 60 rows scored)"
        assert str(err.value) == message + where
    model = PFNBoostClassifier(prior=prior, scale=1.0, cv=2)
    with pytest.raises(ValueError, match=r"^TabPFNPrior: y has 12 classes, .* at most 10 \("):
        model.fit(X, y)


def test_an_error_in_a_fold_names_the_fold_and_keeps_tabpfn_s_words(ckpt, monkeypatch):
    # "y has 11 classes, ..." alone: which fold failed, of how many rows, was unsaid
    X, _ = _table(66)
    y = np.arange(66) % 10
    y[:6] = 10  # class 10 in fold 0's test rows only: the other folds' contexts hold it
    rows = np.arange(66)
    given = [(rows, rows[:0])]  # a fold without test rows still counts
    given += [(np.setdiff1d(rows, test), test) for test in np.split(rows, 3)]
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1)
    for fused in (("cuda",), ("cuda", "cpu")):  # fold by fold, and fused
        monkeypatch.setattr("llmboost.priors._tabpfn.FUSED_FOLD_DEVICES", fused)
        with pytest.raises(ValueError) as err:
            prior.oof_logits(X, y, given)
        assert str(err.value).startswith("TabPFNPrior: y has 11 classes, but this TabPFN model")
        assert str(err.value).endswith(
            "(in fold 2 of the out-of-fold logits: 44 training rows, 22 rows scored)"
        )
    # a capped context was said to be the training rows: "30 training rows"
    with pytest.warns(UserWarning, match="exceed the context cap"):
        with pytest.raises(ValueError) as err:
            prior.set_params(max_context=30).oof_logits(X, y, given)
    assert str(err.value).endswith(
        "(in fold 2 of the out-of-fold logits: 44 training rows, a context of 30, 22 rows scored)"
    )
    prior.set_params(max_context=None)
    y[:6] = 0  # ten classes everywhere: scored
    assert prior.oof_logits(X, y, given).shape == (66, 10)


@pytest.mark.parametrize("task", TASKS)
def test_more_features_than_tabpfn_takes_names_the_limit_and_the_alternatives(ckpt, task):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 501)), columns=[f"c{i}" for i in range(501)])
    y = np.arange(40) % 2 if task == "classification" else rng.normal(size=40)
    prior = TabPFNPrior(task, model_path=ckpt[task], n_estimators=1)
    with pytest.raises(ValueError) as err:
        prior.fit(X, y)
    assert str(err.value) == (
        "TabPFNPrior: X has 501 columns, but this TabPFN model reads at most 500 (its "
        "MAX_NUMBER_OF_FEATURES). Select at most 500 columns, use BundledPFNPrior, which reads "
        "any number of columns in parts, or pass tabpfn_params={'ignore_pretraining_limits': "
        "True} to go beyond the tables TabPFN was pretrained on."
    )
    prior.fit(X.iloc[:, :500], y)  # at the limit
    prior.set_params(tabpfn_params={"ignore_pretraining_limits": True}).fit(X, y)
    assert np.isfinite(prior.logits(X)).all()


def test_other_tabpfn_refusals_keep_tabpfn_s_own_words(ckpt):
    X, y = _table(40)
    prior = TabPFNPrior(
        model_path=ckpt["classification"], tabpfn_params={"inference_precision": "fast"}
    )
    with pytest.raises(ValueError) as err:
        prior.fit(X, y)
    assert type(err.value).__name__ == "TabPFNValidationError"
    assert str(err.value) == "Unknown inference_precision=fast"


def test_an_unknown_extra_keyword_is_named_with_its_parameter(ckpt):
    # it was TabPFN's bare "__init__() got an unexpected keyword argument", at fit
    X, y = _table(40)
    prior = TabPFNPrior(model_path=ckpt["regression"], task="regression", tabpfn_params={"foo": 1})
    with pytest.raises(ValueError, match="tabpfn_params has 'foo', which TabPFNRegressor does not"):
        prior.fit(X, X["a"].to_numpy())


@pytest.mark.parametrize("value", [-1.0, 0, float("nan"), float("inf")])
def test_a_softmax_temperature_that_is_no_positive_number_is_refused(ckpt, value):
    # TabPFN took it: -1.0 turned the probabilities around (P(class 1) 0.53 -> 0.47 on a
    # row), 0 and NaN made every logit NaN, inf made every row 50/50
    X, y = _table(40)
    prior = TabPFNPrior(
        model_path=ckpt["classification"], tabpfn_params={"softmax_temperature": value}
    )
    with pytest.raises(ValueError) as err:
        prior.fit(X, y)
    assert str(err.value) == (
        f"TabPFNPrior: tabpfn_params has softmax_temperature={value!r}; it must be a number > 0."
    )
    prior.set_params(tabpfn_params={"softmax_temperature": 0.5}).fit(X, y)  # any number > 0


def test_an_extra_keyword_that_is_the_prior_s_own_parameter_is_refused(ckpt):
    # tabpfn_params={"n_estimators": 0} failed with ZeroDivisionError inside TabPFN, and any
    # other value silently replaced the prior's n_estimators (likewise device, random_state)
    X, y = _table(40)
    for key, value in (("n_estimators", 0), ("random_state", 3), ("device", "cpu")):
        prior = TabPFNPrior(model_path=ckpt["classification"], tabpfn_params={key: value})
        with pytest.raises(ValueError, match=rf"tabpfn_params has '{key}', which TabPFNPrior sets"):
            prior.fit(X, y)
    prior = TabPFNPrior(model_path=ckpt["classification"], tabpfn_params={"n_estimators": 8})
    with pytest.raises(ValueError) as err:
        prior.fit(X, y)
    assert str(err.value) == (
        "TabPFNPrior: tabpfn_params has 'n_estimators', which TabPFNPrior sets itself (to 4 "
        "here); pass n_estimators=... to TabPFNPrior instead."
    )


def test_categorical_features_indices_in_tabpfn_params_is_refused(ckpt):
    # it replaced the indices of X's categorical columns in silence
    X, y = _table(40)
    prior = TabPFNPrior(
        model_path=ckpt["classification"], tabpfn_params={"categorical_features_indices": [0]}
    )
    with pytest.raises(ValueError) as err:
        prior.fit(X, y)
    assert str(err.value) == (
        "TabPFNPrior: tabpfn_params has 'categorical_features_indices', which TabPFNPrior sets "
        "itself from X's categorical columns; give a column the pandas 'category' dtype to have "
        "it read as categorical (text columns are already)."
    )


def test_ignore_pretraining_limits_false_keeps_the_limits_the_prior_lifts(ckpt):
    # with max_context=1100 on a CPU, tabpfn_params={"ignore_pretraining_limits": False}
    # failed in TabPFN: "Running on CPU with more than 1000 samples is not allowed"
    X, y = _table(1100)
    for value in (False, True):
        prior = TabPFNPrior(
            model_path=ckpt["classification"],
            n_estimators=1,
            max_context=1100,
            device="cpu",
            tabpfn_params={**EXACT, "ignore_pretraining_limits": value},
        )
        assert prior.fit(X, y).context_size_ == 1100
        assert prior.logits(X[:5]).shape == (5, 2)


def test_ignore_pretraining_limits_true_lifts_the_context_cap_on_a_cpu(ckpt):
    # the context stayed capped at TabPFN's CPU limit of 1,000 rows, with a warning to set
    # max_context, although TabPFN itself takes every row with this setting
    X, y = _table(1200)
    lifted = {**EXACT, "ignore_pretraining_limits": True}
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1, device="cpu")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert prior.set_params(tabpfn_params=lifted).fit(X, y).context_size_ == 1200
        z = prior.oof_logits(X, y, _folds(y, 12))  # each fold's 1,100 context rows
    assert not [w for w in seen if "context cap" in str(w.message)]
    assert z.shape == (1200, 2) and np.isfinite(z).all()
    prior.set_params(tabpfn_params=EXACT)  # the limit back, on the lifted context
    with pytest.warns(UserWarning, match="higher limit: .* or with the limit lifted"):
        prior.logits(X[:5])
    with pytest.warns(UserWarning, match="1200 rows exceed the context cap of 1000 rows"):
        assert prior.fit(X, y).context_size_ == 1000


def test_fit_mode_in_tabpfn_params_is_passed_on(ckpt):
    X, y = _table(60)
    plain = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1, tabpfn_params=EXACT)
    low = TabPFNPrior(
        model_path=ckpt["classification"],
        n_estimators=1,
        tabpfn_params={**EXACT, "fit_mode": "low_memory"},
    )
    assert low.fit(X, y)._estimator.fit_mode == "low_memory"
    # float64 inference: the two modes compute the same numbers, up to the order of sums
    np.testing.assert_allclose(low.logits(X), plain.fit(X, y).logits(X), atol=1e-9)


def test_model_path_under_the_home_folder_with_a_tilde(ckpt, tmp_path, monkeypatch):
    import llmboost

    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "tiny.ckpt").write_bytes(open(ckpt["classification"], "rb").read())
    X, y = _table(60)
    prior = TabPFNPrior(model_path="~/tiny.ckpt", n_estimators=1, tabpfn_params=EXACT)
    assert prior.is_available()
    model = PFNBoostClassifier(prior=prior, scale=1.0, cv=2, booster_params={"n_estimators": 5})
    model.fit(X, y)
    assert model.prior_.checkpoint_path_ == str(tmp_path / "tiny.ckpt")
    reference = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1, tabpfn_params=EXACT)
    np.testing.assert_array_equal(model.prior_.logits(X), reference.fit(X, y).logits(X))
    loaded = llmboost.load(llmboost.save(model, tmp_path / "model.llmb"))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert not list(tmp_path.glob("~*")) and not list(Path.cwd().glob("~*"))  # nothing literal


@pytest.mark.parametrize("unit, offset", [(1.0, 1.7e9), (1e200, 0.0), (1e-200, 0.0)])
def test_regression_targets_in_any_units_give_the_same_means(ckpt, unit, offset):
    # TabPFN failed with an AssertionError on targets of 1e200 (its squares overflow) and gave
    # means of 1e-22 for targets of 1e-200
    X, _ = _table(60)
    y = 100 * X["a"].to_numpy() + 10 * np.sin(np.arange(60))
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))

    def means(target):
        prior = TabPFNPrior(
            "regression",
            model_path=ckpt["regression"],
            n_estimators=2,
            device="cpu",
            tabpfn_params=EXACT,
        )
        return prior.fit(X, target).logits(X), prior.oof_logits(X, target, folds)

    for plain, moved in zip(means(y), means(y * unit + offset)):
        # the library sees the same standardised target up to float64 rounding (1.7e9 + y
        # holds y to about 2e-7); through the float32 network that moved a mean by 3e-6
        np.testing.assert_allclose((moved - offset) / unit, plain, rtol=0, atol=1e-3)


def test_a_relative_model_path_loaded_from_another_folder_says_so(ckpt, tmp_path, monkeypatch):
    # the error said model_path named no file and to use the default checkpoint, though
    # the checkpoint was on this machine, relative to the folder the model was saved from
    from llmboost import load, save

    (tmp_path / "a" / "w").mkdir(parents=True), (tmp_path / "b").mkdir()
    (tmp_path / "a" / "w" / "tiny.ckpt").write_bytes(open(ckpt["classification"], "rb").read())
    monkeypatch.chdir(tmp_path / "a")
    X, y = _table(60)
    prior = TabPFNPrior(model_path=Path("w/tiny.ckpt"), n_estimators=1, tabpfn_params=EXACT)
    model = PFNBoostClassifier(prior=prior, booster_params={"n_estimators": 5}, cv=2).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    monkeypatch.chdir(tmp_path / "b")
    with pytest.raises(FileNotFoundError) as err:
        load(path)
    assert str(err.value) == (
        "The prior's checkpoint 'w/tiny.ckpt' is a path relative to the working directory: "
        f"it was {(tmp_path / 'a' / 'w' / 'tiny.ckpt').resolve()} when the model was saved, "
        f"and {(tmp_path / 'b').resolve()} has no w/tiny.ckpt. Load it from the folder it was "
        "saved from, or put the checkpoint there."
    )
    monkeypatch.chdir(tmp_path / "a")
    np.testing.assert_array_equal(load(path).predict_proba(X), model.predict_proba(X))


def test_a_model_fitted_on_a_gpu_loads_on_a_machine_without_one(ckpt, tmp_path, monkeypatch):
    # load raised "device='cuda', but this torch sees no CUDA GPU" and returned no model,
    # so the prior's device could not be changed to score on the CPU
    import torch

    from llmboost import load, save

    X, y = _table(60)
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1, tabpfn_params=EXACT)
    model = PFNBoostClassifier(prior=prior, booster_params={"n_estimators": 5}, cv=2).fit(X, y)
    expected = model.predict_proba(X)
    model.prior_.set_params(device="cuda")  # as saved on a machine with a GPU
    path = save(model, tmp_path / "m.llmboost")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loaded = load(path)
    no_gpu = r"device='cuda', but this torch .* sees no CUDA GPU"
    with pytest.raises(ValueError, match=no_gpu) as err:
        loaded.predict_proba(X)
    # the error said to pass device='cpu', not where: the fitted prior inside the model
    assert str(err.value).endswith(
        "A fitted TabPFNPrior scores on its device='cuda' (kept in saved models); to score on "
        "this machine, set another one: model.prior_.set_params(device='cpu') on a fitted llmboost "
        "model, or set_params(device='cpu') on the prior itself."
    )
    loaded.prior_.set_params(device="cpu")
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)


@pytest.mark.parametrize("width", [2, 4])
def test_a_saved_context_of_another_width_than_the_features_is_refused(ckpt, tmp_path, width):
    # a context of 2 or 4 columns for a prior of 3 features loaded, then predict failed
    # with TabPFN's "X has 3 features, but TabPFNClassifier is expecting 2 features"
    import io
    import json
    import zipfile

    from llmboost import load, save
    from llmboost.persistence import UnsafeFileError

    X, y = _table(60)
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1)
    model = PFNBoostClassifier(prior=prior, booster_params={"n_estimators": 3}, cv=2).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    with zipfile.ZipFile(path) as archive:
        files = {member: archive.read(member) for member in archive.namelist()}
    state = dict(dict(json.loads(files["model.json"])["root"]["state"])["prior_"]["state"])
    data, context = io.BytesIO(), model.prior_.context_X_
    np.save(data, np.column_stack([context, context])[:, :width], allow_pickle=False)
    files[state["context_X_"]["file"]] = data.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        for member, content in files.items():
            archive.writestr(member, content)
    with pytest.raises(UnsafeFileError, match=f"context_X_ has {width} columns, n_features_in_ 3"):
        load(path)


def test_a_model_path_set_after_fit_is_the_checkpoint_save_records(ckpt, tmp_path):
    # save recorded the fitted checkpoint's fingerprint, so load said "The prior's weights at
    # .../other.ckpt are not the ones this model was fitted with"
    from llmboost import load, save

    other = build_checkpoint(tmp_path / "other.ckpt", seed=1)
    X, y = _table(60)
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1, tabpfn_params=EXACT)
    model = PFNBoostClassifier(prior=prior, booster_params={"n_estimators": 5}, cv=2).fit(X, y)
    before = model.predict_proba(X)
    model.prior_.set_params(model_path=str(other))
    path = save(model, tmp_path / "m.llmboost")
    expected = model.predict_proba(X)
    assert np.abs(expected - before).max() > 1e-3  # the other checkpoint is in use
    np.testing.assert_array_equal(load(path).predict_proba(X), expected)


@pytest.mark.parametrize("how", ["load", "pickle"])
def test_a_model_path_set_on_a_loaded_prior_is_the_checkpoint_it_scores_with(ckpt, tmp_path, how):
    # a loaded or unpickled prior kept scoring with the checkpoint it was saved with
    import pickle

    from llmboost import load, save

    other = build_checkpoint(tmp_path / "other.ckpt", seed=1)
    X, y = _table(60)
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1, tabpfn_params=EXACT)
    model = PFNBoostClassifier(prior=prior, booster_params={"n_estimators": 5}, cv=2).fit(X, y)
    before = model.predict_proba(X)
    copy = (
        load(save(model, tmp_path / "m.llmboost"))
        if how == "load"
        else pickle.loads(pickle.dumps(model))
    )
    model.prior_.set_params(model_path=str(other))
    expected = model.predict_proba(X)
    assert np.abs(expected - before).max() > 1e-3  # the other checkpoint is in use
    copy.prior_.set_params(model_path=str(other))
    np.testing.assert_array_equal(copy.predict_proba(X), expected)
    assert copy.prior_.checkpoint_path_ == str(other)


def test_a_context_within_a_gpu_s_row_limit_scores_on_a_cpu(ckpt, monkeypatch):
    # a prior fitted on a GPU (TabPFN v2's limit: 10,000 rows) with 1,100 rows failed once
    # pickled or loaded on a CPU: "Running on CPU with more than 1000 samples is not allowed"
    from tabpfn.settings import settings

    X, y = _table(1100)
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1, tabpfn_params=EXACT)
    with monkeypatch.context() as gpu:  # TabPFN's limits as on a GPU
        gpu.setattr(settings.tabpfn, "allow_cpu_large_dataset", True)
        prior.fit(X, y)
    assert prior.context_size_ == 1100
    z = prior.logits(X[:20])
    copy = pickle.loads(pickle.dumps(prior))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.testing.assert_array_equal(copy.logits(X[:20]), z)
        copy.logits(X[:5])
    # it scored beyond the CPU's limit without a word about the cost or the way out
    slow = [w for w in caught if "more than TabPFN's limit" in str(w.message)]
    assert len(slow) == 1 and slow[0].filename == __file__  # once, at the user's line
    assert str(slow[0].message) == (
        "TabPFNPrior: the context has 1100 rows, more than TabPFN's limit of 1000 rows on cpu "
        "(it was fitted with a higher limit: on another device, with another checkpoint or "
        "with the limit lifted); scoring it here goes beyond the limit and is slow on a CPU. "
        "To score faster, refit with TabPFNPrior(max_context=1000), or "
        "set_params(device='cuda') where a GPU is."
    )


def test_a_checkpoint_with_a_lower_limit_set_after_fit_is_named_as_a_cause(
    ckpt, tmp_path, monkeypatch
):
    # the warning said the prior "was fitted on a device with a higher limit" when the
    # device was the same and model_path named a checkpoint with a lower one (TabPFN v3's
    # CPU limit is 5,000 rows, v2's 1,000)
    X, y = _table(60)
    other = str(build_checkpoint(tmp_path / "other.ckpt", seed=1))
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1).fit(X, y)
    limits = {ckpt["classification"]: 1000, other: 40}
    monkeypatch.setattr(TabPFNPrior, "_row_limit", lambda self: limits[self.checkpoint_path_])
    prior.set_params(model_path=other)
    with pytest.warns(UserWarning, match="more than TabPFN's limit of 40 rows") as caught:
        prior.logits(X[:5])
    assert (
        "(it was fitted with a higher limit: on another device, with another checkpoint or "
        "with the limit lifted)" in str(caught[0].message)
    )


def test_a_default_checkpoint_from_another_cache_folder_is_named_on_load(
    cache_dir, tmp_path, monkeypatch
):
    # load said to download the checkpoint, though the one the model was fitted with was
    # on this machine, in the cache folder TABPFN_MODEL_CACHE_DIR named when it was saved
    from llmboost import load, save

    monkeypatch.setenv("TABPFN_MODEL_CACHE_DIR", str(cache_dir))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    X, y = _table(60)
    prior = TabPFNPrior(n_estimators=1)
    model = PFNBoostClassifier(prior=prior, booster_params={"n_estimators": 5}, cv=2).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    monkeypatch.setenv("TABPFN_MODEL_CACHE_DIR", str(tmp_path / "empty"))
    fitted_with = cache_dir / default_filename("classification")
    with pytest.raises(ModelNotAvailableError) as err:
        load(path)
    assert str(err.value).startswith(
        f"{fitted_with}, the checkpoint this model was fitted with, is on this machine, but "
        "TabPFNPrior now looks for its default checkpoint elsewhere: its cache folder setting "
        "differs from when the model was saved. Set it as it was then.\nTabPFN v2 classifier "
        f"weights are not available: no file at {tmp_path / 'empty'}"
    )
    assert not (tmp_path / "empty").exists()


def test_the_cpu_row_limit_is_lifted_only_as_tabpfn_sees_it(ckpt, monkeypatch):
    # TabPFN reads TABPFN_ALLOW_CPU_LARGE_DATASET once, at its import; set later, llmboost
    # read it as lifting the limit and gave TabPFN all 1,100 rows, which it refused:
    # "RuntimeError: Running on CPU with more than 1000 samples is not allowed"
    from tabpfn.settings import settings

    monkeypatch.setattr(settings.tabpfn, "allow_cpu_large_dataset", False)
    monkeypatch.setenv("TABPFN_ALLOW_CPU_LARGE_DATASET", "1")
    X, y = _table(1100)
    prior = TabPFNPrior(model_path=ckpt["classification"], n_estimators=1, device="cpu")
    with pytest.warns(UserWarning, match="a stratified subsample of 1000 rows"):
        prior.fit(X, y)
    assert prior.context_size_ == 1000
