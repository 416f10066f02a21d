"""The bundled PFN: synthetic prior, model training, shipped checkpoint, prior wrapper."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from llmboost.pfn import DEFAULT_WEIGHTS, WEIGHTS_DIR
from llmboost.pfn.prior_data import MAX_CLASSES, sample_batch, sample_task

torch = pytest.importorskip("torch")

from llmboost.priors.bundled_pfn import BundledPFNPrior  # noqa: E402

SHIPPED = WEIGHTS_DIR / DEFAULT_WEIGHTS


# ---------------------------------------------------------------- synthetic prior
def test_tasks_have_declared_shapes_classes_and_missing_rates():
    rng = np.random.default_rng(0)
    kinds = set()
    for i in range(60):
        n, f = int(rng.integers(20, 400)), int(rng.integers(1, 50))
        task = sample_task(rng, n, f, kind=("mlp", "tree", "linear")[i % 3])
        kinds.add(task.kind)
        assert task.X.shape == (n, f) and task.y.shape == (n,)
        assert 1 <= task.n_train < n
        assert 2 <= task.n_classes <= MAX_CLASSES
        assert set(np.unique(task.y)) == set(range(task.n_classes))
        assert task.categorical.shape == (f,)
        observed = np.isnan(task.X).mean()
        if task.missing_rate == 0:
            assert observed == 0
        else:
            assert observed <= task.missing_rate + 0.1
        cat = task.X[:, task.categorical]
        ok = ~np.isnan(cat)
        assert np.all(cat[ok] == np.round(cat[ok])) and np.all(cat[ok] >= 0)
    assert kinds == {"mlp", "tree", "linear"}


def test_requested_class_count_and_determinism():
    a = sample_task(np.random.default_rng(3), 300, 6, n_train=200, n_classes=4)
    b = sample_task(np.random.default_rng(3), 300, 6, n_train=200, n_classes=4)
    assert a.n_train == 200 and 2 <= a.n_classes <= 4
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)


def test_sample_batch_shapes():
    batch = sample_batch(np.random.default_rng(1), tokens=5000)
    b, n, f = batch["x"].shape
    assert batch["y"].shape == (b, n) and batch["categorical"].shape == (b, f)
    assert batch["x"].dtype == np.float32 and 0 < batch["n_train"] < n
    assert np.all(batch["y"].max(axis=1) < batch["n_classes"])


def test_some_tasks_have_missing_values_and_categoricals():
    rng = np.random.default_rng(2)
    tasks = [sample_task(rng, 100, 10) for _ in range(40)]
    assert any(t.missing_rate > 0 for t in tasks)
    assert any(t.categorical.any() for t in tasks)
    props = [np.bincount(t.y).max() / len(t.y) for t in tasks if t.n_classes == 2]
    assert max(props) > 0.7  # some imbalance


# ---------------------------------------------------------------- model training
def test_few_training_steps_reduce_loss_on_a_fixed_batch():
    from llmboost.pfn.model import PFNConfig, TabPFNLite
    from llmboost.pfn.pretrain import batch_loss

    torch.manual_seed(0)
    model = TabPFNLite(PFNConfig(width=32, layers=2, heads=2))
    batch = sample_batch(np.random.default_rng(0), shape=(120, 80, 4), batch_size=8)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(40):
        gen.manual_seed(0)
        loss = batch_loss(model, batch, "cpu", generator=gen)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.8 * losses[0]


def test_last_layer_shortcut_equals_full_layer():
    from llmboost.priors.bundled_pfn import load_model

    layer = load_model(SHIPPED).layers[-1]
    h = torch.randn(3, 50, 6, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        full = layer(h, 30)[:, 30:, -1]
        target = layer.forward_target(h, 30)
    assert target.shape == (3, 20, 64)
    torch.testing.assert_close(target, full, rtol=1e-5, atol=1e-5)


def test_pretrain_cli_resumes_and_ships(tmp_path):
    from llmboost.pfn import pretrain

    common = [
        "--out",
        str(tmp_path),
        "--width",
        "16",
        "--layers",
        "1",
        "--heads",
        "2",
        "--tokens",
        "2000",
        "--val-batches",
        "1",
        "--val-every",
        "1",
        "--max-rows",
        "96",
    ]
    info = pretrain.main([*common, "--steps", "2"])
    assert info["step"] == 2
    recipe = json.loads((tmp_path / "recipe.json").read_text())
    assert recipe["args"]["seed"] == 0 and recipe["config"]["width"] == 16
    info = pretrain.main([*common, "--steps", "3"])
    assert info["step"] == 3 and len(info["history"]) >= 3
    meta = pretrain.main([*common, "--ship", str(tmp_path / "w" / "tiny.pt")])
    assert meta["train_info"]["step"] == 3
    assert (tmp_path / "w" / "tiny.json").exists()
    X = pd.DataFrame({"a": np.arange(30.0), "b": np.arange(30.0) % 3})
    y = np.arange(30) % 2
    prior = BundledPFNPrior(weights=tmp_path / "w" / "tiny.pt").fit(X, y)
    assert prior.logits(X).shape == (30, 2)


# ------------------------------------------------------------ shipped checkpoint
@pytest.fixture(scope="module")
def cancer():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    idx = np.random.default_rng(0).permutation(len(y))
    return X.iloc[idx[:100]], y.to_numpy()[idx[:100]], X.iloc[idx[100:]], y.to_numpy()[idx[100:]]


def test_shipped_checkpoint_is_small_and_documented():
    assert SHIPPED.is_file() and SHIPPED.stat().st_size < 25 * 2**20
    meta = json.loads(SHIPPED.with_suffix(".json").read_text())
    assert meta["train_info"]["step"] > 0 and "command" in meta["recipe"]


def test_shipped_checkpoint_is_deterministic_and_accurate(cancer):
    from sklearn.metrics import roc_auc_score

    Xtr, ytr, Xte, yte = cancer
    z1 = BundledPFNPrior(random_state=0).fit(Xtr, ytr).logits(Xte)
    z2 = BundledPFNPrior(random_state=0).fit(Xtr, ytr).logits(Xte)
    np.testing.assert_array_equal(z1, z2)
    assert z1.shape == (len(yte), 2) and np.all(np.isfinite(z1)) and np.all(z1 <= 0)
    assert roc_auc_score(yte, z1[:, 1] - z1[:, 0]) > 0.8


def test_logits_do_not_depend_on_chunking(cancer):
    Xtr, ytr, Xte, _ = cancer
    a = BundledPFNPrior(random_state=1).fit(Xtr, ytr).logits(Xte)
    b = BundledPFNPrior(random_state=1, batch_cells=20_000).fit(Xtr, ytr).logits(Xte)
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_oof_logits_match_refits_per_fold(cancer):
    from sklearn.model_selection import StratifiedKFold

    Xtr, ytr, _, _ = cancer
    folds = list(StratifiedKFold(4, shuffle=True, random_state=0).split(Xtr, ytr))
    prior = BundledPFNPrior(n_ensemble=2, random_state=0)
    oof = prior.oof_logits(Xtr, ytr, folds)
    for train, test in folds[:2]:
        ref = BundledPFNPrior(n_ensemble=2, random_state=0).fit(Xtr.iloc[train], ytr[train])
        np.testing.assert_allclose(oof[test], ref.logits(Xtr.iloc[test]), atol=1e-5)


def test_categorical_object_and_missing_columns(mixed_frame):
    X, y = mixed_frame
    prior = BundledPFNPrior(n_ensemble=2).fit(X, y)
    z = prior.logits(X)
    assert z.shape == (len(X), 2) and np.all(np.isfinite(z))
    assert list(prior.classes_) == ["no", "yes"]
    assert prior.categorical_.tolist() == [False, False, True, True]
    unseen = X.head(3).copy()
    unseen["job"] = ["astronaut", None, "nurse"]
    assert np.all(np.isfinite(prior.logits(unseen)))


def test_multiclass_and_class_limit():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(90, 3)), columns=["a", "b", "c"])
    y = np.array(["u", "v", "w"])[np.argmax(X.to_numpy(), axis=1)]
    z = BundledPFNPrior(n_ensemble=3).fit(X, y).logits(X)
    assert z.shape == (90, 3)
    np.testing.assert_allclose(np.exp(z).sum(axis=1), 1.0, atol=1e-4)
    with pytest.raises(ValueError, match="at most 10 classes"):
        BundledPFNPrior().fit(X, np.arange(90) % 11)


def test_large_context_is_subsampled_with_warning(cancer):
    Xtr, ytr, Xte, _ = cancer
    with pytest.warns(UserWarning, match="stratified subsample"):
        prior = BundledPFNPrior(max_context=40).fit(Xtr, ytr)
    assert prior.context_size_ <= 40 and len(np.unique(prior.y_context_)) == 2
    assert prior.logits(Xte).shape == (len(Xte), 2)


def test_prior_boost_with_bundled_pfn(cancer):
    from sklearn.metrics import roc_auc_score

    from llmboost import PriorBoostClassifier

    Xtr, ytr, Xte, yte = cancer
    model = PriorBoostClassifier(prior=BundledPFNPrior(n_ensemble=2), random_state=0, cv=3)
    model.fit(Xtr, ytr)
    proba = model.predict_proba(Xte)
    assert proba.shape == (len(yte), 2)
    assert roc_auc_score(yte, proba[:, 1]) > 0.8


def test_import_llmboost_does_not_import_torch():
    code = (
        "import sys, llmboost, llmboost.priors.bundled_pfn, llmboost.pfn.prior_data; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
