"""TabICLPrior and PFNBoost with tiny random TabICL checkpoints (nothing is downloaded)."""

import os
import pickle
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold, StratifiedKFold

pytest.importorskip("tabicl")
torch = pytest.importorskip("torch")

from checkpoint_cases import UNREADABLE, write_unreadable  # noqa: E402
from tabicl_fixtures import build_checkpoint, put_in_hf_cache  # noqa: E402

from llmboost import PFNBoostClassifier, PFNBoostRegressor  # noqa: E402
from llmboost.priors import ModelNotAvailableError, TabICLPrior  # noqa: E402
from llmboost.priors._tabicl import CHECKPOINTS, MAX_CONTEXT, REPO_ID  # noqa: E402

TASKS = ("classification", "regression")


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    """Tiny classifier and regressor checkpoints, loaded through ``model_path``."""
    folder = tmp_path_factory.mktemp("tiny")
    return {t: str(build_checkpoint(folder / f"tiny-{t}.ckpt", t)) for t in TASKS}


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


def _prior(ckpt, task="classification", **kwargs):
    return TabICLPrior(task=task, model_path=ckpt[task], n_estimators=2, **kwargs)


@pytest.mark.parametrize("task", TASKS)
def test_a_checkpoint_of_the_other_task_is_refused_at_fit(ckpt, task):
    # a classifier fitted with the regressor's file (no classes) or the reverse failed
    # only when scoring, with a broadcasting error or an assertion from inside TabICL
    X, y = _table()
    other = "regression" if task == "classification" else "classification"
    target = y if task == "classification" else X["a"].to_numpy()
    prior = TabICLPrior(task=task, model_path=ckpt[other], n_estimators=1)
    with pytest.raises(ValueError, match=rf"is a {other} checkpoint .*task={other!r}"):
        prior.fit(X, target)
    with pytest.raises(ValueError, match=rf"is a {other} checkpoint"):
        prior.oof_logits(X, target, _folds(y))


def test_logits_shapes_finite_and_labels(ckpt):
    X, y = _table()
    prior = _prior(ckpt).fit(X, y)
    z = prior.logits(X.iloc[:17])
    assert list(prior.classes_) == ["no", "yes"] and prior.device_ == "cpu"
    assert z.shape == (17, 2) and np.isfinite(z).all()
    np.testing.assert_allclose(np.exp(z).sum(axis=1), 1, atol=1e-4)  # log-probabilities
    assert np.ptp(z[:, 1] - z[:, 0]) > 0  # rows get different margins
    # A row's logits do not depend on the other query rows (float32: tolerance).
    np.testing.assert_allclose(prior.logits(X)[:17], z, atol=1e-5)

    target = X["a"].to_numpy() * 3 + 1
    reg = _prior(ckpt, "regression")
    mean = reg.fit(X, target).logits(X.iloc[:17])
    assert mean.shape == (17,) and np.isfinite(mean).all() and np.ptp(mean) > 0
    oof = reg.oof_logits(X, target, list(KFold(3, shuffle=True, random_state=0).split(X)))
    assert oof.shape == (len(X),) and np.isfinite(oof).all()


def test_multiclass_and_unseen_class_in_a_fold(ckpt):
    X, _ = _table(60)
    y = np.array(["a", "b", "c"] * 19 + ["d"] * 3)
    folds = [(np.arange(30, 60), np.arange(30)), (np.arange(30), np.arange(30, 60))]
    oof = _prior(ckpt).oof_logits(X, y, folds)
    assert oof.shape == (60, 4) and np.isfinite(oof).all()
    # fold 1's context (rows 0-29) has no "d": that column gets the floor there
    np.testing.assert_allclose(oof[30:, 3], np.log(1e-7))


def test_default_checkpoint_from_the_hugging_face_cache(ckpt, tmp_path, monkeypatch):
    for task in TASKS:
        put_in_hf_cache(tmp_path, REPO_ID, CHECKPOINTS[task], ckpt[task])
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    X, y = _table(60)
    prior = TabICLPrior(n_estimators=1).fit(X, y)
    assert prior.checkpoint_path_.endswith(CHECKPOINTS["classification"])
    assert prior.checkpoint_path_.startswith(str(tmp_path))
    # the same file through model_path gives the same logits (float32: tolerance)
    same = TabICLPrior(model_path=ckpt["classification"], n_estimators=1).fit(X, y)
    np.testing.assert_allclose(prior.logits(X), same.logits(X), atol=1e-6)
    reg = TabICLPrior(task="regression", n_estimators=1).fit(X, X["a"].to_numpy())
    assert reg.checkpoint_path_.endswith(CHECKPOINTS["regression"])


def test_oof_never_uses_the_rows_own_label(ckpt):
    X, y = _table()
    folds = _folds(y)
    prior = _prior(ckpt)
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
    prior = _prior(ckpt)
    oof = prior.oof_logits(Xd, yd, folds)
    assert np.abs(oof[:60] - oof[60:]).max() > 1e-4
    z = prior.fit(Xd, yd).logits(Xd)
    np.testing.assert_allclose(z[:60], z[60:], atol=1e-6)  # float32 network


def test_oof_matches_one_prior_per_fold_and_any_batch_size(ckpt):
    X, y = _table(152)
    folds = _folds(y)
    oof = _prior(ckpt).oof_logits(X, y, folds)
    reference = np.empty_like(oof)
    for train, test in folds:
        part = _prior(ckpt).fit(X.iloc[train], y[train])
        reference[test] = part.logits(X.iloc[test])
    np.testing.assert_allclose(oof, reference, atol=1e-6)
    small = _prior(ckpt, batch_size=7)
    np.testing.assert_allclose(small.oof_logits(X, y, folds), reference, atol=1e-5)


def test_context_cap_warns_and_subsamples(ckpt):
    X, y = _table(150)
    prior = _prior(ckpt, max_context=40)
    with pytest.warns(UserWarning, match=r"150 rows exceed the context cap of 40 rows"):
        prior.fit(X, y)
    assert prior.context_size_ == 40 and set(prior.context_y_) == {0, 1}
    assert prior._fitted_estimator().n_samples_in_ == 40
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oof = prior.oof_logits(X, y, _folds(y))
    messages = [str(w.message) for w in caught if "context cap" in str(w.message)]
    assert len(messages) == 1 and "the training rows of each fold (the other" in messages[0]
    assert np.isfinite(oof).all()

    reg = _prior(ckpt, "regression", max_context=30)
    with pytest.warns(UserWarning, match="random subsample of 30 rows"):
        reg.fit(X, X["a"].to_numpy())
    assert reg.context_size_ == 30
    assert _prior(ckpt)._context_cap()[0] == MAX_CONTEXT == 100_000


def test_a_cap_below_the_number_of_classes_says_one_row_per_class(ckpt):
    # the warning said "a stratified subsample of 2 rows" while 3 rows (one per class) were used
    X, _ = _table(60)
    y = np.arange(60) % 3
    prior = _prior(ckpt, max_context=2)
    expected = r"cap of 2 rows; one row of each of the 3 classes \(more classes than the cap\)"
    with pytest.warns(UserWarning, match=expected):
        prior.fit(X, y)
    assert prior.context_size_ == 3 and sorted(prior.context_y_) == [0, 1, 2]
    with pytest.warns(
        UserWarning, match=expected + " is used as TabICL's context for the training"
    ):
        prior.oof_logits(X, y, _folds(y, 3))


def test_the_cap_warning_counts_the_folds_it_capped(ckpt):
    # "40 rows exceed the context cap of 30 rows; ... context for each fold's context",
    # while the fold of 26 training rows kept them all
    X, _ = _table(66)
    y = np.arange(66) % 2
    rows = np.arange(66)
    folds = [(rows[40:], rows[:40]), (rows[:40], rows[40:])]  # 26 and 40 training rows
    with pytest.warns(UserWarning) as caught:
        _prior(ckpt, max_context=30).oof_logits(X, y, folds)
    (message,) = [str(w.message) for w in caught if "context cap" in str(w.message)]
    assert message.startswith(
        "TabICLPrior: 40 rows exceed the context cap of 30 rows; a stratified subsample of 30 "
        "rows is used as TabICL's context for the training rows of 1 of 2 folds (the other "
        "folds' rows)."
    )


def test_an_error_in_a_fold_names_the_fold_and_keeps_tabicl_s_words(ckpt):
    # TabICL's "The number of classes (11) exceeds ..." alone: which fold, of how many rows
    X, _ = _table(66)
    y = np.arange(66) % 10
    y[:6] = 10  # class 10 in fold 0's test rows only: the other folds' contexts hold it
    rows = np.arange(66)
    folds = [(rows, rows[:0])]  # a fold without test rows still counts
    folds += [(np.setdiff1d(rows, test), test) for test in np.split(rows, 3)]
    prior = _prior(ckpt, tabicl_params={"support_many_classes": False})
    with pytest.raises(ValueError) as err:
        prior.oof_logits(X, y, folds)
    assert str(err.value).startswith("The number of classes (11) exceeds the max number of")
    assert str(err.value).endswith(
        "(in fold 2 of the out-of-fold logits: 44 training rows, 22 rows scored)"
    )
    # a capped context was said to be the training rows: "30 training rows"
    with pytest.warns(UserWarning, match="exceed the context cap"):
        with pytest.raises(ValueError) as err:
            prior.set_params(max_context=30).oof_logits(X, y, folds)
    assert str(err.value).endswith(
        "(in fold 2 of the out-of-fold logits: 44 training rows, a context of 30, 22 rows scored)"
    )


def test_out_of_memory_halves_the_batch_then_gives_up(ckpt, monkeypatch):
    X, y = _table(60)
    prior = _prior(ckpt)
    expected = prior.fit(X, y).logits(X)
    original, sizes = TabICLPrior._predict, []

    def small_memory(self, estimator, values, limit=16):
        sizes.append(len(values))
        if len(values) > limit:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
        return original(self, estimator, values)

    monkeypatch.setattr(TabICLPrior, "_predict", small_memory)
    with pytest.warns(UserWarning) as record:
        z = prior.set_params(batch_size=64).logits(X)
    assert sizes == [60, 32, 16, 16, 16, 12]
    assert "out of memory with 64 rows per batch; retrying with 32" in str(record[0].message)
    np.testing.assert_allclose(z, expected, atol=1e-6)

    monkeypatch.setattr(TabICLPrior, "_predict", lambda *a: small_memory(*a, limit=0))
    with pytest.warns(UserWarning), pytest.raises(torch.OutOfMemoryError):
        prior.logits(X)


def test_offline_error_is_fast_helpful_and_writes_nothing(tmp_path, monkeypatch):
    cache, work = tmp_path / "cache", tmp_path / "work"
    cache.mkdir()
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    X, y = _table(30)
    start = time.perf_counter()
    with pytest.raises(ModelNotAvailableError) as info:
        TabICLPrior().fit(X, y)
    assert time.perf_counter() - start < 5
    message = str(info.value)
    for part in (
        CHECKPOINTS["classification"],
        str(cache / "models--jingang--TabICL"),
        f"hf download jingang/TabICL {CHECKPOINTS['classification']}",
        "model_path",
        "HF_HUB_OFFLINE is set",
    ):
        assert part in message
    assert list(work.iterdir()) == [] and list(cache.iterdir()) == []

    # same answer when the hosts simply do not answer
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(
        "llmboost.priors._in_context.unreachable_reason", lambda hosts: "no download host answered"
    )
    with pytest.raises(ModelNotAvailableError, match="no download host answered"):
        TabICLPrior(task="regression").oof_logits(X, X["a"].to_numpy(), list(KFold(2).split(X)))

    missing = tmp_path / "nowhere" / "model.ckpt"
    start = time.perf_counter()
    with pytest.raises(
        ModelNotAvailableError,
        match=r"(?s)checkpoint file model.ckpt is not available \(model_path names no existing "
        rf"file; looked at {re.escape(str(missing))}\)\..*hf download",
    ):
        TabICLPrior(model_path=missing).fit(X, y)
    assert time.perf_counter() - start < 5
    assert not missing.parent.exists() and list(work.iterdir()) == []


def test_fit_writes_nothing_in_cwd_and_pickles_without_weights(ckpt, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    X, y = _table(80)
    prior = _prior(ckpt).fit(X, y)
    prior.oof_logits(X, y, _folds(y, 3))
    z = prior.logits(X)
    blob = pickle.dumps(prior)
    assert list(tmp_path.iterdir()) == []
    assert len(blob) < os.path.getsize(ckpt["classification"]) / 2  # the context, not the net
    restored = pickle.loads(blob)
    assert getattr(restored, "_estimator", None) is None  # model reloaded lazily
    assert prior._estimator is not None  # pickling left the original alone
    np.testing.assert_allclose(restored.logits(X), z, atol=1e-6)


def test_importing_llmboost_does_not_import_torch_or_tabicl():
    code = (
        "import sys, llmboost, llmboost.priors._tabicl; "
        "print('torch' in sys.modules, 'tabicl' in sys.modules)"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "False False", out.stderr


def test_an_empty_model_path_or_a_folder_is_named(ckpt, tmp_path, monkeypatch):
    # both said "checkpoint ... not found" / "not available" with a folder as where it was
    # looked for, and the advice to download weights
    X, y = _table(30)
    for empty in ("", "  "):
        with pytest.raises(ValueError) as err:
            TabICLPrior(model_path=empty).fit(X, y)
        assert str(err.value) == (
            f"TabICLPrior: model_path must be a path to a checkpoint file or None, got {empty!r}."
        )
    folder = tmp_path / "weights"
    folder.mkdir()
    (folder / "model.ckpt").write_bytes(open(ckpt["classification"], "rb").read())
    (folder / "notes.txt").write_text("")
    with pytest.raises(ValueError) as err:
        TabICLPrior(model_path=folder).fit(X, y)
    assert str(err.value) == (
        f"TabICLPrior: model_path={str(folder)!r} is a folder ({folder}); pass the path of the "
        f"checkpoint file in it, e.g. TabICLPrior(model_path={str(folder / 'model.ckpt')!r})."
    )
    monkeypatch.chdir(tmp_path)  # Path("") is the working folder
    with pytest.raises(ValueError, match=r"model_path='.' is a folder .*model_path='NAME.ckpt'"):
        TabICLPrior(model_path=Path("")).fit(X, y)
    assert not TabICLPrior(model_path=folder).is_available()


@pytest.mark.parametrize("device", ["gpu", "cuda"])
def test_a_bad_device_is_said_before_missing_weights(tmp_path, monkeypatch, device):
    # offline, device="gpu" (or "cuda" without a GPU) got the missing-weights error, and
    # after fetching the weights the device error came next
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, y = _table(30)
    with pytest.raises(ValueError, match=rf"device={device!r}") as err:
        TabICLPrior(device=device).fit(X, y)
    assert not isinstance(err.value, ModelNotAvailableError)


def test_bad_parameters(ckpt):
    X, y = _table(30)
    for params in (
        {"task": "ranking"},
        {"n_estimators": 0},
        {"batch_size": 1.5},
        {"max_context": 1},
        {"tabicl_params": "fast"},
        {"checkpoint": " "},  # an empty name was read as the default checkpoint
    ):
        with pytest.raises(ValueError, match=next(iter(params))):
            TabICLPrior(**{"model_path": ckpt["classification"], **params}).fit(X, y)


def test_a_path_as_checkpoint_name_points_at_model_path(ckpt):
    # a path in checkpoint= failed inside huggingface_hub: "Invalid filename ...: cannot be an
    # absolute, drive-relative or UNC path. Please ask the repository owner to rename this file"
    X, y = _table(30)
    for path in (ckpt["classification"], "models/tabicl.ckpt", "models\\tabicl.ckpt"):
        with pytest.raises(ValueError) as err:
            TabICLPrior(checkpoint=path).fit(X, y)
        assert str(err.value) == (
            "TabICLPrior: checkpoint must be a file name in jingang/TabICL (a path: "
            f"model_path) or None, got {path!r}."
        )


def test_an_unknown_extra_keyword_is_named_with_its_parameter(ckpt):
    # it was TabICL's bare "__init__() got an unexpected keyword argument", at fit
    X, y = _table(30)
    prior = TabICLPrior(model_path=ckpt["classification"], tabicl_params={"softmax_temprature": 1})
    match = r"tabicl_params has 'softmax_temprature', which TabICLClassifier does not take"
    with pytest.raises(ValueError, match=match):
        prior.fit(X, y)


def test_nan_probabilities_from_tabicl_are_an_error_naming_the_extra_keywords(ckpt):
    # tabicl_params={"outlier_threshold": -1} (TabICL takes it unchecked) made every logit
    # NaN: logits returned them, and a booster said "TabICLPrior.oof_logits returned
    # non-finite values ... return finite numbers", as if the prior's code were wrong
    from llmboost import PriorBoostClassifier

    X, y = _table(40)
    extra = {"outlier_threshold": -1}
    prior = TabICLPrior(model_path=ckpt["classification"], n_estimators=1, tabicl_params=extra)
    message = (
        r"TabICLPrior: TabICL returned NaN or infinite probabilities for 3 of 3 rows \(check "
        r"tabicl_params=\{'outlier_threshold': -1\}; checkpoint .*tiny-classification.ckpt\)\."
    )
    with pytest.raises(ValueError, match=message + "$"):
        prior.fit(X, y).logits(X[:3])
    with pytest.raises(ValueError, match=r"for 20 of 20 rows .* \(in fold 0 of the out-of-fold"):
        PriorBoostClassifier(prior, cv=2).fit(X, y)


@pytest.mark.parametrize("value", [-1.0, 0, float("nan"), float("inf")])
def test_a_softmax_temperature_that_is_no_positive_number_is_refused(ckpt, value):
    # TabICL took it: -1.0 turned the probabilities around (P(class 1) 0.42 -> 0.58 on a
    # row), 0 and NaN made every logit NaN, inf made every row 50/50
    X, y = _table(40)
    prior = TabICLPrior(
        model_path=ckpt["classification"], tabicl_params={"softmax_temperature": value}
    )
    with pytest.raises(ValueError) as err:
        prior.fit(X, y)
    assert str(err.value) == (
        f"TabICLPrior: tabicl_params has softmax_temperature={value!r}; it must be a number > 0."
    )
    prior.set_params(tabicl_params={"softmax_temperature": 0.5}).fit(X, y)  # any number > 0


def test_an_extra_keyword_that_is_the_prior_s_own_parameter_is_refused(ckpt):
    # tabicl_params={"n_estimators": 1} silently replaced the prior's n_estimators=8 (likewise
    # device, random_state); batch_size is TabICL's own, other setting and still passes
    X, y = _table(30)
    for key, value in (("n_estimators", 1), ("random_state", 3), ("device", "cpu")):
        prior = TabICLPrior(model_path=ckpt["classification"], tabicl_params={key: value})
        with pytest.raises(ValueError, match=rf"tabicl_params has '{key}', which TabICLPrior sets"):
            prior.fit(X, y)
    prior = TabICLPrior(model_path=ckpt["classification"], tabicl_params={"batch_size": 2})
    assert prior.fit(X, y).logits(X).shape == (30, 2)


def test_set_params_after_fit_scores_as_a_pickled_copy_does(ckpt):
    # the fitted prior kept scoring with its old TabICL settings while a pickled copy of it
    # used the new ones: logits differed by 0.03 between the two
    X, y = _table(60)
    prior = TabICLPrior(model_path=ckpt["classification"], n_estimators=2).fit(X, y)
    prior.set_params(n_estimators=1, tabicl_params={"softmax_temperature": 0.5})
    z = prior.logits(X)
    # float32 network: the same computation in another call may differ in the last bits
    np.testing.assert_allclose(pickle.loads(pickle.dumps(prior)).logits(X), z, atol=1e-5)
    np.testing.assert_allclose(TabICLPrior(**prior.get_params()).fit(X, y).logits(X), z, atol=1e-5)


def test_extra_keywords_that_choose_the_checkpoint_are_refused(ckpt):
    # allow_auto_download was overridden in silence, and checkpoint_version ignored by
    # TabICL, which reads the file the prior gives it: the user's choice had no effect
    X, y = _table(30)
    for key, value, why in (
        ("allow_auto_download", True, "which TabICLPrior sets itself (to False)"),
        ("checkpoint_version", "tabicl-classifier-v1.1-20250506.ckpt", "which TabICL ignores"),
    ):
        prior = TabICLPrior(model_path=ckpt["classification"], tabicl_params={key: value})
        with pytest.raises(ValueError) as err:
            prior.fit(X, y)
        assert str(err.value).startswith(f"TabICLPrior: tabicl_params has {key!r}, {why}")
    with pytest.raises(ValueError) as err:
        TabICLPrior(
            model_path=ckpt["classification"], tabicl_params={"checkpoint_version": "x"}
        ).fit(X, y)
    assert str(err.value) == (
        "TabICLPrior: tabicl_params has 'checkpoint_version', which TabICL ignores when given a "
        "checkpoint file, as TabICLPrior gives it; pass TabICLPrior(checkpoint=...) a file name "
        "in jingang/TabICL instead."
    )


def test_pfnboost_with_tabicl_prior_end_to_end(ckpt):
    X, y = _table(80)
    clf = PFNBoostClassifier(
        prior=TabICLPrior(model_path=ckpt["classification"], n_estimators=2),
        booster_params={"n_estimators": 10},
        scale=1.0,
        cv=2,
        random_state=0,
    ).fit(X, y)
    assert isinstance(clf.prior_, TabICLPrior)
    proba = clf.predict_proba(X)
    assert proba.shape == (80, 2) and np.isfinite(proba).all()
    assert set(clf.predict(X)) <= {"no", "yes"}
    reg = PFNBoostRegressor(
        prior=TabICLPrior(task="regression", model_path=ckpt["regression"], n_estimators=2),
        booster_params={"n_estimators": 10},
        scale=0.5,
        cv=2,
        random_state=0,
    ).fit(X, X["a"].to_numpy())
    assert isinstance(reg.prior_, TabICLPrior) and reg.predict(X).shape == (80,)


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_classes_with_a_single_row(ckpt, booster):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    y = np.where(X["a"] > 0, "p", "n").astype(object)
    y[:2] = ["once", "twice"]  # two classes with one row each
    prior = TabICLPrior(model_path=ckpt["classification"], n_estimators=1)
    model = PFNBoostClassifier(prior=prior, booster=booster, booster_params={"n_estimators": 10},
                               random_state=0).fit(X, y)  # fmt: skip
    assert list(model.classes_) == ["n", "once", "p", "twice"]
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)


def test_is_available_looks_on_disk_only(ckpt, tmp_path, monkeypatch):
    hub = tmp_path / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    assert not TabICLPrior().is_available() and not hub.exists()
    put_in_hf_cache(hub, REPO_ID, CHECKPOINTS["classification"], ckpt["classification"])
    assert TabICLPrior().is_available() and not TabICLPrior(task="regression").is_available()
    assert TabICLPrior(model_path=ckpt["regression"]).is_available()
    assert not TabICLPrior(model_path=tmp_path / "none.ckpt").is_available()


def test_a_checkpoint_of_another_model_is_named(ckpt, tmp_path):
    # it was the other model's error: TabPFN "Trying to create tensor with negative
    # dimension -1", TabICL "__init__() got an unexpected keyword argument 'emsize'"
    pytest.importorskip("tabpfn")
    from tabpfn_fixtures import build_checkpoint as build_other

    from llmboost.pfn import DEFAULT_WEIGHTS, WEIGHTS_DIR

    X, y = _table(40)
    other = build_other(tmp_path / "other.ckpt")
    for path, kind, reader in (
        (other, "TabPFN", "TabPFNPrior(model_path=...)"),
        (WEIGHTS_DIR / DEFAULT_WEIGHTS, "bundled PFN", "BundledPFNPrior(weights=...)"),
    ):
        with pytest.raises(ValueError) as err:
            TabICLPrior(model_path=path, n_estimators=1).fit(X, y)
        assert str(err.value).startswith(
            f"TabICL cannot read the checkpoint {path}: it is a {kind} checkpoint, which "
            f"{reader} reads. Pass model_path= a TabICL classifi"
        )


@pytest.mark.parametrize("content, why", UNREADABLE)
def test_unreadable_checkpoint_is_named(ckpt, tmp_path, content, why):
    X, y = _table(40)
    path = write_unreadable(tmp_path / "bad.ckpt", content, ckpt["classification"])
    prior = TabICLPrior(model_path=str(path), n_estimators=1)
    with pytest.raises(
        ValueError,
        match=f"TabICL cannot read the checkpoint .*bad.ckpt: (it is )?{why}.*classification",
    ):
        prior.fit(X, y)


def test_unpickled_prior_whose_checkpoint_is_gone_names_it(ckpt, tmp_path):
    X, y = _table(40)
    path = tmp_path / "moved.ckpt"
    path.write_bytes(open(ckpt["classification"], "rb").read())
    saved = pickle.dumps(TabICLPrior(model_path=str(path), n_estimators=1).fit(X, y))
    path.unlink()
    with pytest.raises(FileNotFoundError, match=r"TabICL checkpoint .*moved.ckpt does not exist"):
        pickle.loads(saved).logits(X)
    assert list(tmp_path.iterdir()) == []  # no lock file or folder left behind


@pytest.mark.parametrize("unit, offset", [(1.0, 1.7e9), (1e200, 0.0), (1e-200, 0.0)])
def test_regression_targets_in_any_units_give_the_same_means(ckpt, unit, offset):
    # TabICL casts the target to float32: unix times (1.7e9 + spread 100) came back off by more
    # than the spread, and targets beyond float32 failed with "Input X contains infinity"
    X, _ = _table(60)
    y = 100 * X["a"].to_numpy() + 10 * np.sin(np.arange(60))
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))

    def means(target):
        prior = _prior(ckpt, "regression")
        return prior.fit(X, target).logits(X), prior.oof_logits(X, target, folds)

    for plain, moved in zip(means(y), means(y * unit + offset)):
        # the library sees the same standardised target up to float64 rounding (1.7e9 + y
        # holds y to about 2e-7); through the float32 network that moved a mean by 3e-6
        np.testing.assert_allclose((moved - offset) / unit, plain, rtol=0, atol=1e-3)


@pytest.mark.parametrize("task", TASKS)
def test_columns_in_any_units_give_the_same_logits(ckpt, task):
    # TabICL divides each column by its spread + 1e-6: columns in units of 1e-8 (a spread
    # of 1e-8) moved probabilities by up to 0.09 with the tiny checkpoint, 1e-4 by 9e-4
    X, y = _table(60)
    X = X[["a", "b"]]
    if task == "regression":
        y = 3 * X["a"].to_numpy() + np.sin(np.arange(60))
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))

    def scores(rows):
        prior = _prior(ckpt, task)
        return prior.fit(rows, y).logits(rows), prior.oof_logits(rows, y, folds)

    for plain, small in zip(scores(X), scores(X * 1e-8)):
        # each column reaches TabICL standardised in float64 either way: they differ by
        # rounding, which the float32 network carries to the outputs (3e-7 measured)
        np.testing.assert_allclose(small, plain, rtol=0, atol=1e-5)


def test_a_constant_target_predicts_that_constant(ckpt):
    # a constant target of 7 reached TabICL as all zeros and came back as about 7.04
    X, _ = _table(60)
    prior = _prior(ckpt, "regression").fit(X, np.full(60, 7.0))
    np.testing.assert_array_equal(prior.logits(X), 7.0)
    # a fold whose context is constant gives its value too (other folds' targets vary)
    y = np.concatenate([np.full(30, 7.0), X["a"].to_numpy()[30:]])
    folds = [(np.arange(30), np.arange(30, 60)), (np.arange(30, 60), np.arange(30))]
    oof = _prior(ckpt, "regression").oof_logits(X, y, folds)
    # standardised and mapped back in float64: 7 up to rounding
    np.testing.assert_allclose(oof[30:], 7.0, rtol=1e-12)
    assert np.ptp(oof[:30]) > 0


def test_the_context_cap_warning_points_at_the_user_s_call(ckpt):
    # it pointed into llmboost's own fit (priors/_base.py) on the fit path
    X, y = _table(60)
    calls = [
        lambda: _prior(ckpt, max_context=20).fit(X, y),
        lambda: _prior(ckpt, max_context=20).oof_logits(X, y, _folds(y, 2)),
        lambda: PFNBoostClassifier(_prior(ckpt, max_context=20), scale=[1.0], cv=2).fit(X, y),
    ]
    for call in calls:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        cap = [w for w in caught if "context cap" in str(w.message)]
        assert cap and {w.filename for w in cap} == {__file__}


@pytest.mark.parametrize("task", TASKS)
def test_folds_with_an_empty_part(ckpt, task):
    # a fold without training rows gave NaN means (regression) or -16.1 for every class,
    # with no error; one without test rows failed inside numpy ("need at least one array")
    X, y = _table(60)
    target = y if task == "classification" else X["a"].to_numpy()
    rows = np.arange(60)
    with pytest.raises(ValueError, match=r"folds: fold 1 has no training rows, so its 30 test"):
        _prior(ckpt, task).oof_logits(X, target, [(rows[30:], rows[:30]), (rows[:0], rows[30:])])
    folds = [(rows[30:], rows[:30]), (rows[:30], rows[30:])]
    expected = _prior(ckpt, task).oof_logits(X, target, folds)
    with_empty = _prior(ckpt, task).oof_logits(X, target, [*folds, (rows, rows[:0])])
    masks = [(np.isin(rows, train), np.isin(rows, test)) for train, test in folds]
    np.testing.assert_array_equal(with_empty, expected)
    np.testing.assert_array_equal(_prior(ckpt, task).oof_logits(X, target, masks), expected)


def test_a_relative_model_path_loaded_from_another_folder_says_so(ckpt, tmp_path, monkeypatch):
    # the error said the checkpoint was not available and suggested downloading the
    # default one, though it was on this machine, relative to the folder it was saved from
    from llmboost import load, save

    (tmp_path / "a" / "w").mkdir(parents=True), (tmp_path / "b").mkdir()
    (tmp_path / "a" / "w" / "tiny.ckpt").write_bytes(open(ckpt["classification"], "rb").read())
    monkeypatch.chdir(tmp_path / "a")
    X, y = _table(60)
    prior = TabICLPrior(model_path="w/tiny.ckpt", n_estimators=1)
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
    prior = TabICLPrior(model_path=ckpt["classification"], n_estimators=1)
    model = PFNBoostClassifier(prior=prior, booster_params={"n_estimators": 5}, cv=2).fit(X, y)
    expected = model.predict_proba(X)
    model.prior_.set_params(device="cuda")  # as saved on a machine with a GPU
    path = save(model, tmp_path / "m.llmboost")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loaded = load(path)
    with pytest.raises(ValueError, match=r"device='cuda', but this torch .* sees no CUDA GPU") as e:
        loaded.predict_proba(X)
    assert "model.prior_.set_params(device='cpu') on a fitted llmboost model" in str(e.value)
    loaded.prior_.set_params(device="cpu")
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
