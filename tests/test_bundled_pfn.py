"""The bundled PFN: synthetic prior, model training, shipped checkpoint, prior wrapper."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss

from llmboost.pfn import DEFAULT_WEIGHTS, WEIGHTS_DIR
from llmboost.pfn.prior_data import MAX_CLASSES, sample_batch, sample_task

torch = pytest.importorskip("torch")

from llmboost.priors import BundledPFNPrior  # noqa: E402
from llmboost.priors._bundled_pfn import load_model  # noqa: E402

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


def test_kind_weights_choose_the_task_families():
    rng = np.random.default_rng(4)
    only_linear = {sample_task(rng, 60, 3, kind_weights=(0, 0, 1)).kind for _ in range(10)}
    assert only_linear == {"linear"}
    kinds = [sample_task(rng, 60, 3, kind_weights=(0.5, 0, 0.5)).kind for _ in range(200)]
    # 200 draws of a fair coin: 100 +- 7 (one standard deviation)
    assert set(kinds) == {"mlp", "linear"} and 65 < kinds.count("linear") < 135
    batch = sample_batch(np.random.default_rng(1), tokens=5000, kind_weights=(0, 1, 0))
    assert batch["x"].ndim == 3


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
    from llmboost.priors._bundled_pfn import load_model

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
    assert recipe["prior"] == "llmboost.pfn.prior_data (mlp 0.5 / tree 0.3 / linear 0.2)"
    linear = pretrain.main([*common[:1], str(tmp_path / "lin"), *common[2:], "--steps", "1"]
                           + ["--kind-weights", "1", "1", "2"])  # fmt: skip
    assert linear["step"] == 1
    recipe = json.loads((tmp_path / "lin" / "recipe.json").read_text())
    assert recipe["args"]["kind_weights"] == [0.25, 0.25, 0.5]
    assert recipe["prior"].endswith("(mlp 0.25 / tree 0.25 / linear 0.5)")
    with pytest.raises(SystemExit):
        pretrain.main([*common, "--kind-weights", "1", "-1", "0"])
    meta = pretrain.main([*common, "--ship", str(tmp_path / "w" / "tiny.pt")])
    assert meta["train_info"]["step"] == 3
    assert (tmp_path / "w" / "tiny.json").exists()
    X = pd.DataFrame({"a": np.arange(30.0), "b": np.arange(30.0) % 3})
    y = np.arange(30) % 2
    prior = BundledPFNPrior(weights=tmp_path / "w" / "tiny.pt").fit(X, y)
    assert prior.logits(X).shape == (30, 2)


@pytest.mark.parametrize(
    "option, message",
    [
        (["--steps", "0"], "--steps must be >= 1, got 0"),  # trained for 60 minutes
        (["--minutes", "0"], "--minutes must be > 0, got 0.0"),
        (["--warmup", "0"], "--warmup must be >= 1, got 0"),  # ZeroDivisionError
        (["--val-every", "0"], "--val-every must be >= 1, got 0"),
        (["--max-rows", "20"], "--max-rows must be >= 48, got 20"),
        (["--heads", "5"], "--heads must divide --width (64), got 5"),
        (["--kind-weights", "nan", "1", "1"], "--kind-weights must be finite, >= 0"),
        (["--min-lr-ratio", "2"], "--min-lr-ratio must be at most 1, got 2.0"),
        (["--minutes", "inf"], "--minutes must be finite, got inf"),  # tqdm's TypeError
        (["--minutes", "5", "--steps", "9"], "give --minutes or --steps, not both"),  # ignored
        (["--lr", "inf"], "--lr must be finite, got inf"),  # trained to NaN weights
        (["--weight-decay", "inf"], "--weight-decay must be finite, got inf"),
        (["--init-from", "/nowhere.pt"], "--init-from /nowhere.pt: no such checkpoint file"),
        (["--ship", "w.json"], "--ship must name a .pt file (its .json is written beside"),
        (["--ship", "w.pt"], "holds no checkpoint.pt; train the run first"),
    ],
)
def test_pretrain_options_a_run_cannot_use_are_usage_errors(tmp_path, capsys, option, message):
    from llmboost.pfn import pretrain

    with pytest.raises(SystemExit) as stop:
        pretrain.main(["--out", str(tmp_path / "run"), *option])
    assert stop.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_pretrain_paths_under_a_file_are_usage_errors(tmp_path, capsys):
    # a --out or --ship path below a file stopped with a traceback (NotADirectoryError,
    # FileExistsError) from making its folder
    from llmboost.pfn import pretrain

    (tmp_path / "notes.txt").write_text("")
    for option in (
        ["--out", str(tmp_path / "notes.txt" / "run")],
        ["--ship", str(tmp_path / "notes.txt" / "w.pt")],
    ):
        args = ["--out", str(tmp_path / "run"), "--steps", "1", *option]
        with pytest.raises(SystemExit) as stop:
            pretrain.main(args)
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert f"{option[0]} {option[1]}: " in err and "is a file, so no folder can be made" in err
    assert not (tmp_path / "run").exists()


def test_a_refused_init_from_leaves_no_run_folder(tmp_path):
    # the run folder was made (holding only .lock) before --init-from was read and refused
    from llmboost.pfn import pretrain

    (tmp_path / "notes.json").write_text("{}")
    with pytest.raises(SystemExit) as stop:
        pretrain.main(["--out", str(tmp_path / "run"), "--init-from", str(tmp_path / "notes.json")])
    assert "not a checkpoint of `python -m llmboost.pfn.pretrain`" in str(stop.value.code)
    assert not (tmp_path / "run").exists()


def test_pretrain_cli_trains_and_ships_a_regression_model(tmp_path):
    from llmboost.pfn import pretrain

    args = ["--out", str(tmp_path), "--task", "regression", "--bins", "16", "--steps", "2"]
    args += ["--width", "16", "--layers", "1", "--heads", "2", "--tokens", "2000"]
    args += ["--val-batches", "1", "--val-every", "1", "--max-rows", "96"]
    info = pretrain.main(args)
    assert info["step"] == 2 and info["history"][0]["val_loss"] > 0
    pretrain.main([*args, "--steps", "3"])
    recipe = json.loads((tmp_path / "recipe.json").read_text())
    assert recipe["task"] == "regression" and recipe["config"]["n_bins"] == 16
    pretrain.main([*args, "--ship", str(tmp_path / "w" / "reg.pt")])
    # a run started from a shipped checkpoint, shipped over it, keeps its parent's record
    first = json.loads((tmp_path / "w" / "reg.json").read_text())
    assert "parent" not in first  # model.pt has no JSON next to it
    child = tmp_path / "child"
    init = ["--init-from", str(tmp_path / "w" / "reg.pt"), "--seed", "1"]
    pretrain.main([*args[:1], str(child), *args[2:], *init])
    pretrain.main([*args[:1], str(child), *args[2:], "--ship", str(tmp_path / "w" / "reg.pt")])
    second = json.loads((tmp_path / "w" / "reg.json").read_text())
    assert second["parent"] == first and second["recipe"]["args"]["seed"] == 1
    # shipped again over the same file: its parent is still the first run, not itself
    pretrain.main([*args[:1], str(child), *args[2:], "--ship", str(tmp_path / "w" / "reg.pt")])
    third = json.loads((tmp_path / "w" / "reg.json").read_text())
    assert third["parent"] == first
    X = pd.DataFrame({"a": np.arange(30.0)})
    prior = BundledPFNPrior(task="regression", weights=tmp_path / "w" / "reg.pt")
    y = 2.0 * np.arange(30)
    z = prior.fit(X, y).logits(X)
    # a mean over bins that end at 4 standard deviations of the context's targets
    assert z.shape == (30,) and np.all(np.abs(z - y.mean()) <= 4 * y.std() + 1e-9)


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


def test_cell_inputs_do_not_depend_on_units():
    from llmboost.pfn.model import cell_inputs

    rng = np.random.default_rng(0)
    x = rng.normal(3, 2, size=(1, 40, 3)).astype(np.float32)
    x[0, 4, 1] = np.nan
    categorical = torch.zeros(1, 3, dtype=torch.bool)
    base = cell_inputs(torch.from_numpy(x), categorical, 30)
    # a power of two is exact in every channel; 1e-8 once lost the z-score to the
    # constant-column guard and 1e20 overflowed the float32 variance
    for factor, atol in ((2.0**-30, 0), (1e-8, 1e-5), (1e20, 1e-5)):
        scaled = cell_inputs(torch.from_numpy(x * np.float32(factor)), categorical, 30)
        np.testing.assert_allclose(scaled.numpy(), base.numpy(), rtol=0, atol=atol)
    assert base[0, :, 0, 0].abs().max() > 1  # the z-score channel carries the column
    constant = cell_inputs(torch.full((1, 40, 1), 1e-9), categorical[:, :1], 30)
    assert torch.all(constant[..., 0] == 0)  # rounding noise of a constant stays 0


def test_logits_do_not_depend_on_units(cancer):
    Xtr, ytr, Xte, _ = cancer
    base = BundledPFNPrior(random_state=0).fit(Xtr, ytr).logits(Xte)
    # 1e34 brings the largest values to 4e37, within float32's range: they were clipped
    # to 1e30, which flattened every column (logits off by 1.6 at 1e37)
    for factor in (1e-8, 1e20, 1e34):
        z = BundledPFNPrior(random_state=0).fit(Xtr * factor, ytr).logits(Xte * factor)
        # rescaled float32 inputs differ in their last bit, which the network carries
        # to the logits (8e-5 measured); without the rescale 1e-8 lost the z-scores
        np.testing.assert_allclose(z, base, atol=1e-3)


def test_logits_do_not_depend_on_a_shift_of_the_features(cancer):
    # the rows were cast to float32 before the network standardised them: X + 1e8 rounded
    # each column to steps of 8 (most to one or two values) and moved logits by up to 3.0
    Xtr, ytr, Xte, _ = cancer
    prior = BundledPFNPrior(random_state=0)
    base = prior.fit(Xtr, ytr).logits(Xte)
    folds = [(np.arange(50, 100), np.arange(50)), (np.arange(50), np.arange(50, 100))]
    oof = prior.oof_logits(Xtr, ytr, folds)
    for shift in (1e8, -1e6):
        # float64 holds X + 1e8 to 1.5e-8, against a spread of 0.003 in the smallest
        # columns: their standardised inputs differ in the last float32 bits, which the
        # network carries to the logits (6e-4 measured)
        z = prior.fit(Xtr + shift, ytr).logits(Xte + shift)
        np.testing.assert_allclose(z, base, rtol=0, atol=2e-3)
        shifted = prior.oof_logits(Xtr + shift, ytr, folds)
        np.testing.assert_allclose(shifted, oof, rtol=0, atol=2e-3)
    assert prior.X_train_.dtype == np.float32  # kept standardised, as small as before


def test_a_prior_fitted_before_the_standardising_keeps_scoring_its_rows_as_given(cancer):
    # a prior pickled before the training rows were kept standardised has neither moment:
    # it scores the rows as given, which the network standardises itself (in float32, so
    # the logits agree to its rounding, 6e-4 measured above)
    Xtr, ytr, Xte, _ = cancer
    prior = BundledPFNPrior(random_state=0).fit(Xtr, ytr)
    base = prior.logits(Xte)
    older = pickle.loads(pickle.dumps(prior))
    del older.feature_centre_, older.feature_scale_
    older.X_train_ = Xtr.to_numpy(dtype=np.float32)
    np.testing.assert_allclose(older.logits(Xte), base, rtol=0, atol=2e-3)


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


def test_oof_logits_take_the_splits_of_a_splitter_as_they_come(cancer):
    # a generator (StratifiedKFold(...).split(X, y)) was used up by the fold check, and
    # the scores came back as uninitialised memory (4.7e-310, 0.0)
    from sklearn.model_selection import StratifiedKFold

    Xtr, ytr, _, _ = cancer
    splitter = StratifiedKFold(2, shuffle=True, random_state=0)
    prior = BundledPFNPrior(n_ensemble=1)
    expected = prior.oof_logits(Xtr, ytr, list(splitter.split(Xtr, ytr)))
    np.testing.assert_array_equal(prior.oof_logits(Xtr, ytr, splitter.split(Xtr, ytr)), expected)


def test_oof_logits_leave_the_prior_unfitted(cancer):
    from sklearn.model_selection import StratifiedKFold

    Xtr, ytr, _, _ = cancer
    folds = list(StratifiedKFold(2, shuffle=True, random_state=0).split(Xtr, ytr))
    prior = BundledPFNPrior(n_ensemble=1)
    assert prior.oof_logits(Xtr, ytr, folds).shape == (len(ytr), 2)
    assert not any(name.endswith("_") for name in vars(prior))
    with pytest.raises(TypeError):
        BundledPFNPrior("classification", 4)


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


def test_a_column_missing_in_every_training_row_carries_no_information(mixed_frame):
    # its values at predict still reached the network and moved probabilities by up to
    # 0.06; TabPFN and TabICL ignore such a column, as missing cells
    X, y = mixed_frame
    X = X.assign(blank=np.nan)
    rng = np.random.default_rng(1)
    filled = X.assign(blank=rng.normal(0, 5, len(X)))
    prior = BundledPFNPrior(n_ensemble=2).fit(X, y)
    np.testing.assert_array_equal(prior.logits(filled), prior.logits(X))
    folds = [(np.arange(60, 120), np.arange(60)), (np.arange(60), np.arange(60, 120))]
    oof = prior.oof_logits(X, y, folds)
    half = X.assign(blank=np.where(np.arange(120) < 60, np.nan, filled["blank"]))
    # fold 1's context (rows 0-59) never observes it: its rows 60-119 ignore their values
    np.testing.assert_array_equal(prior.oof_logits(half, y, folds)[60:], oof[60:])


def test_the_columns_unseen_at_fit_are_found_once_at_fit(mixed_frame, monkeypatch):
    # logits scanned every training row for them on every call: O(rows) per predict,
    # 5 ms a call for 100,000 rows of 50 columns however few rows it scored
    import llmboost.pfn.inference as inference

    X, y = mixed_frame
    X = X.assign(blank=np.nan)
    prior = BundledPFNPrior(n_ensemble=2).fit(X, y)
    np.testing.assert_array_equal(prior.ignored_columns_, [False] * 4 + [True])
    older = pickle.loads(pickle.dumps(prior))
    del older.ignored_columns_  # a prior fitted before fit kept them: found at its first call
    base = prior.logits(X)
    np.testing.assert_array_equal(older.logits(X.assign(blank=3.0)), base)
    np.testing.assert_array_equal(older.ignored_columns_, prior.ignored_columns_)

    def scan(x):
        raise AssertionError("the training rows were scanned at predict")

    monkeypatch.setattr(inference, "unseen_columns", scan)
    np.testing.assert_array_equal(prior.logits(X.assign(blank=3.0)), base)
    np.testing.assert_array_equal(older.logits(X), base)


def test_a_column_one_context_never_observes_carries_no_information_in_its_passes():
    # above max_context, a pass whose context subsample had the column missing in every
    # row still read its values in the query rows (moving that pass's probabilities)
    from llmboost.pfn.inference import decode_passes, run_passes

    X, y = _blobs(120, 2, 3, 0)
    X["rare"] = np.where(np.arange(120) < 3, 1.0, np.nan)  # observed in rows 0-2 only
    prior = BundledPFNPrior(max_context=40, n_ensemble=1, principal_components=False)
    prior.fit(X, y)
    lacking = [not set(c) & {0, 1, 2} for c in prior.contexts_]
    assert any(lacking) and not all(lacking)
    job = (prior.X_train_, prior.y_train_, prior.contexts_, prior.codes_)
    model, passes, _, _, groups = prior._encoded_context(job)
    query = prior.X_train_[3:20]
    filled = query.copy()
    filled[:, 3] = 5.0
    assert [np.isnan(p.x[:, 3]).all() for p in passes] == lacking  # one pass per context
    args = (prior.categorical_, 10**6)
    for run in (
        lambda q: run_passes(model, passes, [q], *args),
        lambda q: decode_passes(model, groups, passes, [q], *args),
    ):
        for blank, a, b in zip(lacking, run(query), run(filled)):
            if blank:
                np.testing.assert_array_equal(a, b)
            else:  # a context that observes it reads it
                assert np.abs(a - b).max() > 1e-3


def test_a_column_one_context_never_observes_is_not_read_by_its_rotated_passes():
    # above max_context, a pass of the principal view whose context lacked the column
    # filled it with the mean of all training rows there, while its query rows' values
    # still fed the components (moving that pass's probabilities)
    from llmboost.pfn.inference import run_passes
    from llmboost.priors._bundled_pfn import _with_views

    X, y = _blobs(120, 2, 3, 0)
    X["x1"] = X["x0"] + 0.1 * X["x1"]  # correlated: the principal view is used
    X["rare"] = np.where(np.arange(120) < 2, X["x0"], np.nan)  # observed in rows 0-1 only
    prior = BundledPFNPrior(max_context=40, n_ensemble=8).fit(X, y)
    lacking = [not set(c) & {0, 1} for c in prior.contexts_]
    assert any(lacking) and not all(lacking)
    job = (prior.X_train_, prior.y_train_, prior.contexts_, prior.codes_)
    model, passes, _, views, _ = prior._encoded_context(job)
    query = prior.X_train_[2:20]
    filled = query.copy()
    filled[:, 3] = 5.0
    rotated = [p.queries > 0 for p in passes]
    assert any(rotated) and not all(rotated)
    outputs = [
        run_passes(model, passes, _with_views([q], views), prior.categorical_, 10**6)
        for q in (query, filled)
    ]
    for e, (turned, a, b) in enumerate(zip(rotated, *outputs)):
        if lacking[e % len(lacking)]:
            np.testing.assert_array_equal(a, b)
        elif turned:  # a context that observes it reads it, rotated too
            assert np.abs(a - b).max() > 1e-3


def test_multiclass_probabilities_sum_to_one():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(90, 3)), columns=["a", "b", "c"])
    y = np.array(["u", "v", "w"])[np.argmax(X.to_numpy(), axis=1)]
    prior = BundledPFNPrior(n_ensemble=3).fit(X, y)
    z = prior.logits(X)
    assert z.shape == (90, 3) and len(prior.codes_) == 1
    np.testing.assert_allclose(np.exp(z).sum(axis=1), 1.0, atol=1e-4)


def test_auto_passes_are_more_for_small_contexts():
    from llmboost.pfn.ensemble import auto_passes

    sizes = (1, 32, 64, 100, 128, 204, 205, 1024, 5000)  # context rows
    assert [auto_passes(m) for m in sizes] == [16, 16, 16, 10, 8, 5, 4, 4, 4]
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    y = (X["a"] + rng.normal(size=300) > 0).astype(int)
    for rows, passes in ((40, 16), (300, 4)):  # "auto" is that many passes, exactly
        auto = BundledPFNPrior(random_state=0).fit(X[:rows], y[:rows]).logits(X)
        fixed = BundledPFNPrior(n_ensemble=passes, random_state=0).fit(X[:rows], y[:rows])
        np.testing.assert_array_equal(auto, fixed.logits(X))
    with_16 = BundledPFNPrior(n_ensemble=16, random_state=0).fit(X[:300], y[:300]).logits(X)
    assert not np.array_equal(auto, with_16)


def _blobs(n, k, d, seed):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(k, d)) * 2.5
    y = np.arange(n) % k
    X = centers[y] + rng.normal(size=(n, d))
    return pd.DataFrame(X, columns=[f"x{j}" for j in range(d)]), np.array([f"c{i:02d}" for i in y])


def test_25_classes_use_an_output_code_and_beat_chance():
    X, y = _blobs(500, 25, 3, seed=0)
    prior = BundledPFNPrior(n_ensemble=1, random_state=0).fit(X[:375], y[:375])
    z = prior.logits(X[375:])
    assert len(prior.classes_) == 25 and z.shape == (125, 25)
    assert len(prior.codes_) >= 5 and all(c.max() < 10 for c in prior.codes_)
    np.testing.assert_allclose(np.exp(z).sum(axis=1), 1.0, atol=1e-6)
    accuracy = np.mean(prior.classes_[z.argmax(axis=1)] == y[375:])
    assert accuracy > 5 / 25  # chance (and the majority class) is 1/25


def test_output_codes_separate_every_pair_of_classes():
    from llmboost.pfn.ensemble import output_codes

    np.testing.assert_array_equal(output_codes(7, 10, np.random.default_rng(0))[0], np.arange(7))
    for k in (11, 25, 100):
        codes = output_codes(k, 10, np.random.default_rng(k))
        same = np.ones((k, k), dtype=bool)
        for code in codes:
            assert np.bincount(code).max() - np.bincount(code).min() <= 1  # balanced groups
            same &= code[:, None] == code[None, :]
        np.testing.assert_array_equal(same, np.eye(k, dtype=bool))


def test_output_codes_count_the_class_frequencies_once():
    # the product over 5 codes held the frequencies 5 times: 11 classes, one of 92% of
    # the rows, on columns of noise got p(majority) = 1.000 and log loss 1.88 on new rows
    # (0.47 for the frequencies); now 0.88 and 0.59
    from llmboost.pfn.ensemble import decode, output_codes

    counts = np.r_[200, np.full(10, 2)]
    codes = output_codes(11, 10, np.random.default_rng(0))
    freq = counts / counts.sum()
    at_frequencies = [np.tile(np.bincount(c, weights=freq)[c], (3, 1)) for c in codes]
    # float64 sums of logs: rounding only
    np.testing.assert_allclose(np.exp(decode(at_frequencies, codes, counts)), [freq] * 3)
    identity = [np.random.default_rng(1).dirichlet(np.ones(4), size=3)]
    # up to 10 classes the network's own probabilities, up to the normalisation's rounding
    np.testing.assert_allclose(
        decode(identity, [np.arange(4)], [5, 1, 1, 1]), np.log(identity[0]), rtol=0, atol=1e-12
    )
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(220, 3)), np.repeat(np.arange(11), counts)
    proba = np.exp(BundledPFNPrior(n_ensemble=4).fit(X, y).logits(rng.normal(size=(500, 3))))
    new_y = rng.choice(11, size=500, p=freq)
    # within 1.5 times the frequencies' log loss (0.47): the codes' row-to-row noise on
    # columns of noise costs some (0.62 here); the frequencies counted 5 times gave 1.87
    assert log_loss(new_y, proba, labels=range(11)) < 1.5 * log_loss(new_y, [freq] * 500)


def test_a_class_absent_from_a_folds_context_is_not_made_the_likeliest():
    # with more than 10 classes, a class missing from a fold's training rows had its
    # frequency (0, clipped to 1e-7) taken out once per code: its rows of that fold got
    # P(absent class) up to 0.99995
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=list("abc"))
    y = np.arange(60) % 12
    train = np.flatnonzero(y != 11)[:40]
    test = np.setdiff1d(np.arange(60), train)
    oof = BundledPFNPrior(n_ensemble=2).oof_logits(X, y, [(train, test), (test, train)])
    assert np.exp(oof[test, 11]).max() < 1e-4
    # float64 sums of exponentials: rounding only
    np.testing.assert_allclose(np.exp(oof).sum(axis=1), 1.0, rtol=0, atol=1e-9)
    from llmboost.pfn.ensemble import decode

    identity = [np.random.default_rng(1).dirichlet(np.ones(4), size=3)]
    # up to 10 classes the network's own probabilities, an absent class's too (rounding)
    np.testing.assert_allclose(
        decode(identity, [np.arange(4)], [5, 0, 1, 1]), np.log(identity[0]), rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("stratified", [True, False])
def test_context_parts_use_every_row_once_or_more(stratified):
    from llmboost.pfn.ensemble import context_parts

    rng = np.random.default_rng(0)
    y = rng.choice(4, size=1000, p=[0.7, 0.2, 0.097, 0.003])
    parts = context_parts(1000, 128, rng, y if stratified else None)
    assert len(parts) >= 1000 / 128
    assert all(len(p) == 128 and len(np.unique(p)) == 128 for p in parts)
    np.testing.assert_array_equal(np.unique(np.concatenate(parts)), np.arange(1000))
    if stratified:
        assert all(set(y[p]) == set(y) for p in parts)
    assert len(context_parts(100, 128, rng, None)) == 1


def test_feature_parts_cover_every_column_in_equal_parts():
    from llmboost.pfn.ensemble import feature_parts

    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(feature_parts(30, 50, rng)[0], np.arange(30))
    for n_features in (51, 120, 200, 1001):
        parts = feature_parts(n_features, 50, rng)
        assert len({len(p) for p in parts}) == 1 and len(parts[0]) <= 50
        assert all(len(np.unique(p)) == len(p) for p in parts)
        np.testing.assert_array_equal(np.unique(np.concatenate(parts)), np.arange(n_features))


def test_wide_tables_read_column_parts_per_pass():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 130)), columns=[f"c{i}" for i in range(130)])
    y = (X["c0"] + X["c77"] > 0).astype(int).to_numpy()
    prior = BundledPFNPrior(n_ensemble=1, random_state=0).fit(X[:80], y[:80])
    passes = list(
        prior._passes(prior._model(), [(0, prior.X_train_)], y[:80], prior.contexts_, prior.codes_)
    )
    used = np.concatenate([p.features for _key, p in passes])
    assert len(passes) == 3 and all(len(p.features) == 44 for _key, p in passes)
    np.testing.assert_array_equal(np.unique(used), np.arange(130))
    z = prior.logits(X[80:])
    assert z.shape == (40, 2) and np.all(np.isfinite(z))
    with pytest.raises(ValueError, match="max_features must be an integer >= 1"):
        BundledPFNPrior(max_features=0).fit(X, y)


def test_principal_view_decorrelates_the_numeric_columns_only():
    from llmboost.pfn.ensemble import principal_view

    rng = np.random.default_rng(0)
    base = rng.normal(size=(200, 1))
    x = np.column_stack([base + 0.1 * rng.normal(size=(200, 3)), rng.integers(0, 4, 200)])
    x[5, 1] = np.nan
    categorical = np.array([False, False, False, True])
    view = principal_view(x, categorical)
    out = view(x)
    assert out.dtype == np.float32 and np.all(np.isfinite(out))
    np.testing.assert_array_equal(out[:, 3], x[:, 3])  # the categorical column as given
    cov = np.cov(out[:, :3].astype(np.float64), rowvar=False)
    # float32 scores of unit-scale columns: off-diagonal covariance is rounding only
    np.testing.assert_allclose(cov - np.diag(np.diag(cov)), 0, atol=1e-5)
    assert cov[0, 0] > 2.5 > 0.1 > cov[1, 1] >= cov[2, 2]  # one shared direction first
    rescaled = x.copy()
    rescaled[:, 0] = 1000 * rescaled[:, 0] - 7  # standardised first: units do not matter
    np.testing.assert_allclose(principal_view(rescaled, categorical)(rescaled), out, atol=1e-4)
    assert principal_view(x[:, 2:], categorical[2:]) is None  # one numeric column
    wide = base + 0.1 * rng.normal(size=(200, 6))
    few = principal_view(wide[:5], np.zeros(6, dtype=bool))(wide)  # 5 rows span 5 axes
    assert np.all(few[:, 5] == 0) and np.all(np.isfinite(few))
    # a column in other units: dependent up to the inputs' float32 rounding
    dependent = np.column_stack([wide[:, :3], 1e-8 * wide[:, 1]]).astype(np.float32)
    assert np.all(principal_view(dependent, np.zeros(4, dtype=bool))(dependent)[:, 3] == 0)


def test_principal_view_leaves_independent_columns_alone():
    from llmboost.pfn.ensemble import SHARED_VARIANCE, principal_view

    rng = np.random.default_rng(0)
    for n, d in ((32, 6), (64, 40), (800, 200)):
        # the leading axis of independent columns stays near the Marchenko-Pastur edge
        assert principal_view(rng.normal(size=(n, d)), np.zeros(d, dtype=bool)) is None
    two = rng.normal(size=(100, 2))
    two[:, 1] = two[:, 0] + 0.3 * two[:, 1]  # correlation 0.96: largest axis 1.96
    assert 1.96 / (1 + np.sqrt(2 / 100)) ** 2 > SHARED_VARIANCE
    assert principal_view(two, np.zeros(2, dtype=bool)) is not None


def test_view_of_reads_every_context_both_ways():
    from llmboost.pfn.ensemble import view_of

    assert [view_of(e, 1) for e in range(4)] == [0, 1, 0, 1]
    for n_contexts in range(1, 7):
        seen = {(e % n_contexts, view_of(e, n_contexts)) for e in range(2 * n_contexts)}
        assert len(seen) == 2 * n_contexts


def test_principal_component_passes():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(90, 3)), columns=["a", "b", "c"])
    X["b"] = X["a"] + 0.3 * X["b"]
    y = (X["a"] + X["c"] > 0).astype(int).to_numpy()
    fit = {k: BundledPFNPrior(n_ensemble=2, random_state=0, principal_components=k).fit(X, y)
           for k in (True, False)}  # fmt: skip
    assert not np.allclose(fit[True].logits(X), fit[False].logits(X), atol=1e-3)
    one = [
        BundledPFNPrior(n_ensemble=1, random_state=0, principal_components=k) for k in (False, True)
    ]
    # pass 0 reads the columns as given, so one pass is the same either way
    np.testing.assert_array_equal(*[p.fit(X, y).logits(X) for p in one])
    # more rows than max_context: one pass per context subsample, every other one rotated
    split = [p.set_params(max_context=30).fit(X, y) for p in one]
    assert len(split[1].contexts_) == 4
    assert not np.allclose(*[p.logits(X) for p in split], atol=1e-3)
    single = X[["a"]].assign(k=pd.Categorical(np.where(X["c"] > 0, "u", "v")))
    wide = pd.DataFrame(X["a"].to_numpy()[:, None] + 0.1 * rng.normal(size=(90, 60)))
    wide.columns = [f"w{i}" for i in range(60)]  # correlated, but read in column parts
    for table in (single, X[["a", "c"]], wide):  # nothing to rotate: read as given
        np.testing.assert_array_equal(
            *[
                BundledPFNPrior(random_state=0, principal_components=k).fit(table, y).logits(table)
                for k in (True, False)
            ]
        )


def test_many_rows_use_every_row_in_some_context(cancer):
    Xtr, ytr, Xte, _ = cancer
    prior = BundledPFNPrior(max_context=40, n_ensemble=2, random_state=0).fit(Xtr, ytr)
    assert prior.context_size_ == 40 and len(prior.contexts_) >= 3
    used = np.unique(np.concatenate(prior.contexts_))
    np.testing.assert_array_equal(used, np.arange(len(ytr)))
    assert all(set(ytr[c]) == set(ytr) for c in prior.contexts_)
    z = prior.logits(Xte)
    assert z.shape == (len(Xte), 2) and np.all(np.isfinite(z))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"max_context": 0}, "max_context must be an integer >= 2"),
        ({"max_context": 2.5}, "max_context must be an integer"),
        ({"max_context": 5}, "max_context=5 is smaller than the 7 classes"),
        ({"softmax_temperature": 0}, "softmax_temperature must be a number > 0, got 0"),
        ({"softmax_temperature": -1.0}, "softmax_temperature must be a number > 0"),
        ({"softmax_temperature": float("nan")}, "softmax_temperature must be a number > 0"),
        ({"n_ensemble": 0}, "n_ensemble must be an integer >= 1"),
        ({"n_ensemble": 2.7}, "n_ensemble must be an integer >= 1 or one of 'auto', got 2.7"),
        ({"n_ensemble": "many"}, "n_ensemble must be .* got 'many'"),
        ({"n_ensemble": True}, "n_ensemble must be an integer"),
        ({"batch_cells": 0}, "batch_cells must be an integer >= 1"),
        ({"random_state": "seed"}, "random_state must be an integer .* or None, got 'seed'"),
        ({"task": "ranking"}, "task must be one of 'classification', 'regression'"),
    ],
)
def test_bad_parameters_raise_naming_them(params, match):
    X = pd.DataFrame({"a": np.arange(70.0)})
    y = np.arange(70) % 7
    with pytest.raises(ValueError, match=match):
        BundledPFNPrior(**params).fit(X, y)
    with pytest.raises(ValueError, match=match):
        halves = [(np.arange(35), np.arange(35, 70)), (np.arange(35, 70), np.arange(35))]
        BundledPFNPrior(**params).oof_logits(X, y, halves)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_a_temperature_below_float32s_range_gives_the_argmax_not_nan(cancer, task):
    # the float32 logits were divided by the temperature before the softmax: below about
    # 1e-45 the division gave inf and every logit (regression: every mean) was NaN
    Xtr, ytr, Xte, _ = cancer
    y = ytr if task == "classification" else Xtr["mean radius"].to_numpy()
    Xtr = Xtr.drop(columns="mean radius") if task == "regression" else Xtr
    Xte = Xte.drop(columns="mean radius") if task == "regression" else Xte
    cold, colder = (
        BundledPFNPrior(task, n_ensemble=2, random_state=0, softmax_temperature=t)
        .fit(Xtr, y)
        .logits(Xte[:20])
        for t in (1e-30, 1e-300)
    )
    assert np.all(np.isfinite(colder))
    # both are the argmax (the bin of the largest logit): the same up to float rounding
    np.testing.assert_allclose(colder, cold, rtol=1e-9, atol=1e-9)


def test_random_state_accepts_a_numpy_random_state(cancer):
    Xtr, ytr, Xte, _ = cancer
    a = BundledPFNPrior(n_ensemble=2, random_state=np.random.RandomState(5)).fit(Xtr, ytr)
    b = BundledPFNPrior(n_ensemble=2, random_state=np.random.RandomState(5)).fit(Xtr, ytr)
    assert a.seed_ == b.seed_
    np.testing.assert_array_equal(a.logits(Xte), b.logits(Xte))


def test_plan_keeps_forward_calls_near_the_cell_budget():
    from llmboost.pfn.inference import plan

    # (passes, context rows, query rows, columns): 800 x 200 out-of-fold, 1,000 x 150, ...
    for n_pass, n_ctx, n_query, n_cols in [
        (20, 640, 160, 201),
        (20, 800, 200, 151),
        (4, 1024, 5000, 21),
        (4, 1024, 1000, 2001),
        (40, 100, 30, 11),
    ]:
        budget = 2_000_000 // n_cols
        group, chunk = plan(n_pass, n_ctx, n_query, budget)
        calls = -(-n_pass // group) * -(-n_query // chunk)
        assert chunk >= min(n_query, n_ctx)  # never a sliver of queries per call
        assert group * (n_ctx + chunk) <= max(budget, n_ctx + chunk)
        work = n_pass * (n_ctx + n_query)
        assert calls <= 2 * -(-work // budget) + 2


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
        "import sys, llmboost, llmboost.priors._bundled_pfn, llmboost.pfn.prior_data; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------- regression
SHIPPED_REGRESSION = WEIGHTS_DIR / "llmboost-pfn-small-regression.pt"


def _regression_table(n, seed):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.uniform(-2, 2, size=n), "g": rng.choice(["p", "q"], n)}
    )
    y = 3 * X["a"] + np.sin(2 * X["b"]) + (X["g"] == "q") * 2 + 0.3 * rng.normal(size=n) + 50
    return X, y.to_numpy()


def test_regression_head_outputs_a_distribution_over_bins():
    from llmboost.pfn.inference import Pass, run_passes
    from llmboost.priors._bundled_pfn import load_model

    model = load_model(SHIPPED_REGRESSION)
    assert model.cfg.task == "regression" and model.borders.shape == (model.cfg.n_bins + 1,)
    assert torch.all(model.borders[1:] > model.borders[:-1])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3)).astype(np.float32)
    y = (x[:40, 0] - x[:40, 0].mean()) / x[:40, 0].std()
    noise = rng.normal(size=(3, model.cfg.feature_embed)).astype(np.float32)
    p = Pass(0, x[:40], y.astype(np.float32), np.arange(3), noise)
    (proba,) = run_passes(model, [p], [x[40:]], np.zeros(3, dtype=bool), 10_000)
    assert proba.shape == (20, model.cfg.n_bins) and np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)


def test_regression_prior_is_deterministic_and_accurate():
    from sklearn.metrics import r2_score

    X, y = _regression_table(300, 0)
    prior = BundledPFNPrior(task="regression", random_state=3).fit(X[:200], y[:200])
    z = prior.logits(X[200:])
    again = BundledPFNPrior(task="regression", random_state=3).fit(X[:200], y[:200])
    np.testing.assert_array_equal(z, again.logits(X[200:]))
    assert z.shape == (100,) and r2_score(y[200:], z) > 0.8
    assert not hasattr(prior, "classes_")


def test_regression_oof_matches_refits_and_many_rows_use_every_row():
    X, y = _regression_table(240, 1)
    X = X.drop(columns="g")  # category codes follow the rows seen, so refits would differ
    folds = [(np.arange(80, 240), np.arange(80)), (np.arange(80), np.arange(80, 240))]
    prior = BundledPFNPrior(task="regression", n_ensemble=2, max_context=60, random_state=0)
    oof = prior.oof_logits(X, y, folds)
    for train, test in folds:
        ref = BundledPFNPrior(task="regression", n_ensemble=2, max_context=60, random_state=0)
        ref.fit(X.iloc[train], y[train])
        used = np.unique(np.concatenate(ref.contexts_))
        np.testing.assert_array_equal(used, np.arange(len(train)))
        # Stacked forward calls differ from single ones in float32 rounding only.
        np.testing.assert_allclose(oof[test], ref.logits(X.iloc[test]), rtol=1e-5, atol=1e-4)


def test_regression_rejects_a_classification_checkpoint_and_bad_targets():
    X, y = _regression_table(50, 2)
    with pytest.raises(ValueError, match="is a classification model"):
        BundledPFNPrior(task="regression", weights=SHIPPED).fit(X, y)
    with pytest.raises(ValueError, match="y contains NaN or infinity"):
        BundledPFNPrior(task="regression").fit(X, np.where(np.arange(50) == 3, np.nan, y))


def test_a_constant_regression_target_is_predicted_exactly():
    X = np.random.default_rng(0).normal(size=(40, 3))
    prior = BundledPFNPrior(task="regression", n_ensemble=2).fit(X, np.full(40, 3.5))
    np.testing.assert_array_equal(prior.logits(X[:5]), np.full(5, 3.5))


@pytest.mark.parametrize(
    "device, why",
    [
        ("gpu", "not a torch device name"),
        ("", "not a torch device name"),
        ("meta", "the meta device holds no data"),
    ],
)
def test_a_device_torch_cannot_use_is_a_clear_error(device, why):
    X, y = pd.DataFrame({"a": np.arange(6.0)}), np.arange(6) % 2
    message = (
        f"BundledPFNPrior: device={device!r} cannot be used here ({why}); pass 'cpu', "
        "'auto' (CUDA when torch sees a GPU) or a device torch sees, such as 'cuda:0'."
    )
    with pytest.raises(ValueError) as err:
        BundledPFNPrior(device=device).fit(X, y)
    assert str(err.value) == message
    with pytest.raises(ValueError, match=f"load_model: device={device!r} cannot be used"):
        load_model(SHIPPED, device)


def test_a_cuda_device_torch_cannot_see_is_named_with_the_class(monkeypatch):
    # the message began "device='cuda', ..." without the class, unlike the other device errors
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, y = pd.DataFrame({"a": np.arange(6.0)}), np.arange(6) % 2
    message = (
        f"BundledPFNPrior: device='cuda', but this torch ({torch.__version__}) sees no CUDA "
        "GPU; pass device='cpu' or 'auto', or install a CUDA build of torch (the README's GPU "
        "install)."
    )
    with pytest.raises(ValueError) as err:
        BundledPFNPrior(device="cuda").fit(X, y)
    assert str(err.value) == message
    with pytest.raises(ValueError, match=r"^load_model: device='cuda:0', but this torch"):
        load_model(SHIPPED, "cuda:0")


def test_an_indexed_cpu_device_scores_as_the_cpu():
    X, y = pd.DataFrame({"a": np.arange(6.0)}), np.arange(6) % 2
    plain = BundledPFNPrior(n_ensemble=2).fit(X, y).logits(X)
    indexed = BundledPFNPrior(n_ensemble=2, device="cpu:0").fit(X, y).logits(X)
    np.testing.assert_array_equal(indexed, plain)


def test_a_torch_device_is_taken_as_its_name():
    # the parameter check refused it: "device must be a device name ..., got device(type='cpu')"
    X, y = pd.DataFrame({"a": np.arange(6.0)}), np.arange(6) % 2
    plain = BundledPFNPrior(n_ensemble=2).fit(X, y).logits(X)
    given = BundledPFNPrior(n_ensemble=2, device=torch.device("cpu")).fit(X, y).logits(X)
    np.testing.assert_array_equal(given, plain)
    with pytest.raises(ValueError, match=r"device='meta' cannot be used here \(the meta device"):
        BundledPFNPrior(device=torch.device("meta")).fit(X, y)  # checked as its name is


def test_one_class_error_lists_the_labels_plainly():
    with pytest.raises(ValueError) as err:
        BundledPFNPrior().fit(pd.DataFrame({"a": [0.0, 1.0]}), np.array(["x", "x"]))
    assert str(err.value) == "BundledPFNPrior needs at least 2 classes in y; got 1 class (['x'])."


def test_huge_regression_targets_give_finite_means_in_their_units():
    X = pd.DataFrame({"a": np.arange(6.0)})
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    small = BundledPFNPrior(task="regression", n_ensemble=2).fit(X, y).logits(X)
    # 1e200 is beyond what a squared deviation can hold in float64
    huge = BundledPFNPrior(task="regression", n_ensemble=2).fit(X, y * 1e200).logits(X)
    assert np.isfinite(huge).all()
    # The scaled targets standardise to the same context; only float rounding differs.
    np.testing.assert_allclose(huge / 1e200, small, rtol=1e-9)


@pytest.mark.parametrize("unit", [1e-13, 1e-20, 1e-200])
def test_tiny_regression_targets_are_not_read_as_a_constant(unit):
    # a context whose standard deviation was below 1e-12 was taken for a constant: targets
    # in 1e-13 units got the context mean for every row (correlation 0 with y); in 1e-200
    # units the squared deviations underflowed to a standard deviation of 0, with the same effect
    X = pd.DataFrame({"a": np.arange(6.0)})
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    plain = BundledPFNPrior(task="regression", n_ensemble=2).fit(X, y).logits(X)
    tiny = BundledPFNPrior(task="regression", n_ensemble=2).fit(X, y * unit).logits(X)
    # The scaled targets standardise to the same context; only float rounding differs.
    np.testing.assert_allclose(tiny / unit, plain, rtol=1e-9)


@pytest.mark.parametrize("change", [{"random_state": 5}, {"max_context": 40}])
def test_a_random_state_or_max_context_set_after_fit_scores_as_a_refit_does(change):
    # the seed and context plan of fit were kept: a random_state or max_context set after
    # fit changed nothing (0.045 from the logits of a refit with random_state=5)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 4)), columns=list("abcd"))
    y = np.arange(60) % 3
    prior = BundledPFNPrior(max_context=30)  # two context subsamples, drawn from the seed
    first = prior.fit(X, y).logits(X)
    prior.set_params(**change)
    refit = BundledPFNPrior(**prior.get_params()).fit(X, y)
    assert np.abs(refit.logits(X) - first).max() > 1e-3  # the change matters to these logits
    np.testing.assert_array_equal(prior.logits(X), refit.logits(X))
    assert prior.seed_ == refit.seed_ and prior.context_size_ == refit.context_size_
    prior.set_params(max_context=2)
    with pytest.raises(ValueError, match="max_context=2 is smaller than the 3 classes in y"):
        prior.logits(X)


def _few_rows_checkpoint(path, max_rows):
    """The shipped classification network, recorded as pretrained on ``max_rows`` rows."""
    checkpoint = torch.load(SHIPPED, map_location="cpu", weights_only=True)
    checkpoint["recipe"]["args"]["max_rows"] = max_rows
    torch.save(checkpoint, path)
    return path


def test_a_checkpoint_with_fewer_rows_than_classes_is_refused_at_fit(tmp_path):
    # with max_context=None its max_rows was the cap: numpy's "negative dimensions are not
    # allowed" from the context plan
    path = _few_rows_checkpoint(tmp_path / "few.pt", 8)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=list("abc"))
    y = np.arange(60) % 12
    with pytest.raises(ValueError) as err:
        BundledPFNPrior(weights=path).fit(X, y)
    assert str(err.value) == (
        f"BundledPFNPrior: the checkpoint {path} was pretrained on tables of at most 8 rows "
        "(its max_rows), fewer than the 12 classes in y; every class needs a context row: "
        "pass max_context=12 or more (beyond its pretraining), or weights= a checkpoint "
        "pretrained on larger tables."
    )
    halves = [(np.arange(30, 60), np.arange(30)), (np.arange(30), np.arange(30, 60))]
    with pytest.raises(ValueError, match="at most 8 rows"):
        BundledPFNPrior(weights=path).oof_logits(X, y, halves)
    z = BundledPFNPrior(weights=path, max_context=12, n_ensemble=1).fit(X, y).logits(X)
    assert z.shape == (60, 12) and np.isfinite(z).all()


def test_weights_set_after_fit_plan_the_contexts_for_their_row_limit(tmp_path):
    # the plan of fit was kept: the whole 60-row context went to a network pretrained on
    # 30 rows (context_size_ 60, logits 0.87 from those of a refit)
    path = _few_rows_checkpoint(tmp_path / "thirty.pt", 30)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=list("abc"))
    y = np.arange(60) % 3
    prior = BundledPFNPrior().fit(X, y)
    prior.set_params(weights=path)
    refit = BundledPFNPrior(weights=path).fit(X, y)
    np.testing.assert_array_equal(prior.logits(X), refit.logits(X))
    assert prior.context_size_ == refit.context_size_ == 30 and len(prior.contexts_) == 3
    prior.set_params(weights=_few_rows_checkpoint(tmp_path / "two.pt", 2))
    with pytest.raises(ValueError, match="at most 2 rows .its max_rows., fewer than the 3"):
        prior.logits(X)


def test_a_saved_prior_seeded_by_a_random_state_instance_loads_with_its_seed(tmp_path):
    # the loaded copy of the RandomState was not the object fit recorded, so it read as
    # a random_state set after fit: the seed was drawn again (probabilities off by 0.28)
    from llmboost import PriorBoostClassifier, load, save

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=list("abc"))
    y = np.arange(60) % 2
    prior = BundledPFNPrior(random_state=np.random.RandomState(3), max_context=30)
    model = PriorBoostClassifier(prior, booster_params={"n_estimators": 3}, cv=2, scale="prior")
    expected = model.fit(X, y).predict_proba(X)
    loaded = load(save(model, tmp_path / "m.llmboost"))
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    assert loaded.prior_.seed_ == model.prior_.seed_


@pytest.mark.parametrize(
    "name, value",
    [
        ("ignored_columns_", np.array([False, True])),  # IndexError at predict
        ("categorical_", np.array([False, False])),  # IndexError at predict
        ("feature_centre_", np.array([0.5])),  # broadcast: P(class 1) 0.31 -> 0.81
        ("feature_scale_", np.array([2.0])),  # broadcast: P(class 1) 0.31 -> 0.66
    ],
)
def test_a_saved_prior_with_a_value_per_column_of_another_width_is_refused(tmp_path, name, value):
    # load checked each as a 1-D array only: a shorter one loaded, then failed at predict
    # or was broadcast over every column, and the probabilities were silently wrong
    from llmboost.persistence import UnsafeFileError, load

    path = _saved_prior_with(tmp_path, lambda prior: {name: value})
    with pytest.raises(UnsafeFileError, match=f"{name} has length {len(value)}, X_train_ 3 col"):
        load(path)


def test_a_saved_prior_whose_training_rows_miss_a_feature_is_refused(tmp_path):
    # training rows of 2 columns (and every per-column value cut to 2) for a prior of 3
    # features loaded, then predict failed with a bare "operands could not be broadcast"
    from llmboost.persistence import UnsafeFileError, load

    names = ("X_train_", "categorical_", "ignored_columns_", "feature_centre_", "feature_scale_")
    path = _saved_prior_with(tmp_path, lambda p: {n: getattr(p, n)[..., :2] for n in names})
    with pytest.raises(UnsafeFileError, match=r"m.llmboost: .*X_train_ has 2 columns, n_featu"):
        load(path)


def _saved_prior_with(tmp_path, arrays):
    """A saved PriorBoostClassifier on 3 columns whose prior's arrays ``arrays(prior)``
    (name -> array) replace the written ones."""
    import io
    import zipfile

    from llmboost import PriorBoostClassifier
    from llmboost.persistence import save

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=list("abc"))
    prior = BundledPFNPrior(n_ensemble=1)
    model = PriorBoostClassifier(prior, booster_params={"n_estimators": 3}, cv=2, scale="prior")
    path = save(model.fit(X, np.arange(60) % 2), tmp_path / "m.llmboost")
    with zipfile.ZipFile(path) as archive:
        files = {member: archive.read(member) for member in archive.namelist()}
    state = dict(dict(json.loads(files["model.json"])["root"]["state"])["prior_"]["state"])
    for name, value in arrays(model.prior_).items():
        data = io.BytesIO()
        np.save(data, value, allow_pickle=False)
        files[state[name]["file"]] = data.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        for member, content in files.items():
            archive.writestr(member, content)
    return path


def test_a_weights_file_that_is_no_bundled_pfn_checkpoint_is_a_clear_error(tmp_path):
    X, y = pd.DataFrame({"a": np.arange(6.0)}), np.arange(6) % 2
    text, empty, other = tmp_path / "notes.txt", tmp_path / "empty.pt", tmp_path / "other.pt"
    text.write_text("hello")
    empty.write_bytes(b"")
    torch.save({"state_dict": {}}, other)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(SHIPPED.read_bytes()[:5000])
    # a saved tensor raised a bare IndexError; a config of 3 heads over a width not a
    # multiple of 3 loaded, then failed at the first logits with a RuntimeError
    tensor, heads = tmp_path / "tensor.pt", tmp_path / "heads.pt"
    torch.save(torch.zeros(3), tensor)
    shipped = torch.load(SHIPPED, map_location="cpu", weights_only=True)
    torch.save({**shipped, "config": {**shipped["config"], "heads": 3}}, heads)
    # a recipe of text, or a max_rows of text: a bare AttributeError or ValueError
    recipe, rows = tmp_path / "recipe.pt", tmp_path / "rows.pt"
    torch.save({**shipped, "recipe": "x"}, recipe)
    args = {**shipped["recipe"]["args"], "max_rows": "big"}
    torch.save({**shipped, "recipe": {**shipped["recipe"], "args": args}}, rows)
    for path, why in [
        (text, ""),
        (empty, ""),
        (other, "RuntimeError: its state_dict is not a dict of named tensors ({})"),
        (truncated, ""),
        (tensor, "RuntimeError: it holds a Tensor, not a checkpoint dict"),
        (heads, "RuntimeError: its config is not one of a pretraining run: PFNConfig("),
        (recipe, "RuntimeError: its recipe's args hold no max_rows, a row count >= 1: 'x'"),
        (rows, "RuntimeError: its recipe's args hold no max_rows, a row count >= 1: {"),
    ]:
        with pytest.raises(ValueError) as err:
            BundledPFNPrior(weights=path).fit(X, y)
        message = str(err.value)
        assert message.startswith(f"{path} is not a checkpoint of the bundled PFN (")
        assert why in message and message.endswith(
            "pass weights= a file written by `python -m llmboost.pfn.pretrain`, or None for "
            "the shipped network."
        )


def test_without_torch_the_extra_is_named(monkeypatch, tmp_path):
    # torch_device's plain "import torch" came first: ModuleNotFoundError: No module named 'torch'
    from llmboost import PFNBoostClassifier
    from llmboost.pfn import pretrain

    X, y = pd.DataFrame({"a": np.arange(20.0)}), np.arange(20) % 2
    monkeypatch.setitem(sys.modules, "torch", None)
    for fit in (BundledPFNPrior().fit, PFNBoostClassifier(scale="prior").fit):
        with pytest.raises(ImportError, match=r'BundledPFNPrior needs torch: pip install "llmbo'):
            fit(X, y)
    with pytest.raises(ImportError, match=r'pretrain needs torch: pip install "llmboost\[pfn\]"'):
        pretrain.main(["--out", str(tmp_path / "run"), "--steps", "1"])


def test_a_missing_checkpoint_says_what_to_pass(tmp_path):
    X, y = pd.DataFrame({"a": np.arange(6.0)}), np.arange(6) % 2
    for path in (tmp_path / "nope.pt", tmp_path):
        with pytest.raises(FileNotFoundError) as err:
            BundledPFNPrior(weights=path).fit(X, y)
        folder = " (a folder)" if path.is_dir() else ""
        assert str(err.value) == (
            f"No PFN checkpoint at {path}{folder}: pass weights= a file written by `python -m "
            "llmboost.pfn.pretrain` (a fitted prior needs the file it was fitted with), or "
            "None for the shipped network."
        )


def test_a_checkpoint_written_over_in_place_is_read_again(tmp_path):
    # the network was cached by path: the old one kept scoring, also in fitted priors
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=list("abc"))
    y = (X["a"] > 0).astype(int).to_numpy()
    path = tmp_path / "mine.pt"
    path.write_bytes(SHIPPED.read_bytes())
    fitted = BundledPFNPrior(weights=path, random_state=0).fit(X, y)
    before = fitted.logits(X.iloc[:5])  # keeps its encoded context
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    for name, value in checkpoint["state_dict"].items():
        if value.is_floating_point():
            checkpoint["state_dict"][name] = value + 0.3
    torch.save(checkpoint, path)
    after = BundledPFNPrior(weights=path, random_state=0).fit(X, y).logits(X.iloc[:5])
    assert np.abs(after - before).max() > 0.1
    np.testing.assert_array_equal(fitted.logits(X.iloc[:5]), after)  # same network, same rows


def test_weights_under_the_home_folder_are_found_with_a_tilde(tmp_path, monkeypatch):
    from llmboost._prior_weights import weights_files

    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "pfn.pt").write_bytes(SHIPPED.read_bytes())
    X, y = pd.DataFrame({"a": np.arange(8.0), "b": np.arange(8.0) % 3}), np.arange(8) % 2
    prior = BundledPFNPrior(weights="~/pfn.pt", n_ensemble=1).fit(X, y)
    shipped = BundledPFNPrior(n_ensemble=1).fit(X, y)
    np.testing.assert_array_equal(prior.logits(X), shipped.logits(X))  # same weights
    assert weights_files(prior) == [tmp_path / "pfn.pt"]


def test_a_model_saved_with_a_tilde_checks_the_weights_under_the_home_folder(tmp_path, monkeypatch):
    import llmboost
    from llmboost import PriorBoostClassifier
    from llmboost.pfn import DEFAULT_REGRESSION_WEIGHTS

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    (home / "pfn.pt").write_bytes(SHIPPED.read_bytes())
    X, y = pd.DataFrame({"a": np.arange(30.0), "b": np.arange(30.0) % 4}), np.arange(30) % 2
    prior = BundledPFNPrior(weights="~/pfn.pt", n_ensemble=1)
    model = PriorBoostClassifier(prior=prior, scale=1.0, cv=2, booster_params={"n_estimators": 3})
    path = llmboost.save(model.fit(X, y), tmp_path / "model.llmb")
    np.testing.assert_array_equal(llmboost.load(path).predict_proba(X), model.predict_proba(X))
    (home / "pfn.pt").write_bytes((WEIGHTS_DIR / DEFAULT_REGRESSION_WEIGHTS).read_bytes())
    with pytest.raises(ValueError, match=rf"weights at {home / 'pfn.pt'} are not the ones"):
        llmboost.load(path)
    (home / "pfn.pt").unlink()
    with pytest.raises(FileNotFoundError, match=rf"{home / 'pfn.pt'} does not exist"):
        llmboost.load(path)


# ------------------------------------------------------------------ encoded context
def test_encode_then_decode_equals_the_full_forward():
    from llmboost.priors._bundled_pfn import default_weights_path

    for task in ("classification", "regression"):
        model = load_model(default_weights_path(task))
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(3, 90, 6, generator=gen)
        x[0, 3, 2] = x[1, 70, 4] = float("nan")  # missing in a context row and a test row
        categorical = torch.tensor([[False] * 5 + [True]] * 3)
        x[..., 5] = x[..., 5].round()
        y = torch.randint(0, 3, (3, 60), generator=gen)
        y = y if task == "classification" else torch.randn(3, 60, generator=gen)
        noise = torch.randn(3, 6, model.cfg.feature_embed, generator=gen)
        n_classes = torch.tensor([3, 3, 2])
        with torch.no_grad():
            full = model(x, y, categorical, n_classes, feature_noise=noise)
            context = model.encode(x[:, :60], y, categorical, noise)
            parts = [model.decode(context, x[:, s : s + 7], categorical, n_classes)
                     for s in range(60, 90, 7)]  # fmt: skip
        # float32 products summed in another order: last-bit differences only
        torch.testing.assert_close(torch.cat(parts, dim=1), full, rtol=1e-5, atol=1e-5)


def _shared_axis_table(n, seed):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=["a", "b", "c", "d"])
    X["b"] = X["a"] + 0.3 * X["b"]  # a principal axis: every other pass reads the rotation
    X["k"] = pd.Categorical(rng.choice(["u", "v", "w"], n))
    X.loc[::9, "c"] = np.nan
    return X


@pytest.mark.parametrize("task", ["binary", "25 classes", "regression", "context and column parts"])
def test_logits_from_the_kept_context_equal_a_full_pass(task, monkeypatch):
    import llmboost.priors._bundled_pfn as bundled

    X = _shared_axis_table(120, 0)
    y = {
        "binary": (X["a"] > 0).astype(int).to_numpy(),
        "25 classes": np.arange(120) % 25,
        "regression": 3 * X["a"].to_numpy() + 50,
        "context and column parts": (X["a"] > 0).astype(int).to_numpy(),
    }[task]
    kind = "regression" if task == "regression" else "classification"
    params = {"random_state": 0}
    if task == "context and column parts":  # 3 contexts of 40 rows, columns in 2 parts
        params.update(max_context=50, max_features=3)
    kept = BundledPFNPrior(kind, **params).fit(X, y)
    first = kept.logits(X.iloc[:40])  # encodes the context and keeps it
    assert kept._encoded is not None
    rows = [kept.logits(X.iloc[[i]]) for i in range(5)]
    monkeypatch.setattr(bundled, "ENCODED_CONTEXT_BYTES", 0)  # every call a full pass
    full = BundledPFNPrior(kind, **params).fit(X, y)
    expected = full.logits(X.iloc[:40])
    assert full._encoded is None
    # float32 network, other batch shapes: last-bit differences, here at most 1e-6
    np.testing.assert_allclose(first, expected, rtol=0, atol=1e-5)
    np.testing.assert_allclose(np.concatenate(rows), expected[:5], rtol=0, atol=1e-5)


def test_a_context_beyond_the_memory_budget_plans_its_passes_once_a_call(monkeypatch):
    # logits planned the passes (principal axes included) to size the kept context, then
    # again for the full pass it fell back to: 2 plans a call instead of 1
    import llmboost.priors._bundled_pfn as bundled

    X = _shared_axis_table(80, 2)
    y = (X["a"] > 0).astype(int).to_numpy()
    expected = BundledPFNPrior(random_state=0).fit(X, y).logits(X)
    monkeypatch.setattr(bundled, "ENCODED_CONTEXT_BYTES", 0)  # every call a full pass
    plans = []
    planned = BundledPFNPrior._planned

    def counted(self, model, jobs):
        plans.append(len(jobs))
        return planned(self, model, jobs)

    monkeypatch.setattr(BundledPFNPrior, "_planned", counted)
    prior = BundledPFNPrior(random_state=0).fit(X, y)
    full = [prior.logits(X), prior.logits(X.iloc[:5])]
    assert plans == [1, 1] and prior._encoded is None
    # float32 network, other batch shapes: last-bit differences, here at most 1e-6
    np.testing.assert_allclose(full[0], expected, rtol=0, atol=1e-5)
    np.testing.assert_allclose(full[1], expected[:5], rtol=0, atol=1e-5)


def test_the_kept_context_follows_refits_and_new_parameters():
    import pickle

    X = _shared_axis_table(100, 1)
    y = (X["a"] + X["d"] > 0).astype(int).to_numpy()
    prior = BundledPFNPrior(random_state=0).fit(X, y)
    prior.logits(X)
    prior.fit(X.iloc[:60], y[:60])  # a refit drops the old context
    fresh = BundledPFNPrior(random_state=0).fit(X.iloc[:60], y[:60]).logits(X)
    np.testing.assert_array_equal(prior.logits(X), fresh)
    prior.set_params(n_ensemble=2, principal_components=False)
    other = BundledPFNPrior(random_state=0, n_ensemble=2, principal_components=False)
    np.testing.assert_array_equal(prior.logits(X), other.fit(X.iloc[:60], y[:60]).logits(X))
    assert len(prior._encoded[1][1]) == 2  # encoded anew: two passes
    copy = pickle.loads(pickle.dumps(prior))  # the tensors stay out of pickles
    assert "_encoded" not in copy.__dict__
    np.testing.assert_array_equal(copy.logits(X), prior.logits(X))


def test_a_fitted_prior_on_a_machine_without_its_gpu_says_how_to_score(monkeypatch):
    # the error said "pass device='cpu'" though a fitted prior takes no device at logits
    import torch

    X, y = _blobs(60, 2, 3, 0)
    prior = BundledPFNPrior(n_ensemble=1).fit(X, y)
    z = prior.logits(X)
    prior.set_params(device="cuda")  # as fitted on a machine with a GPU
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="sees no CUDA GPU") as err:
        prior.logits(X)
    assert "model.prior_.set_params(device='cpu') on a fitted llmboost model" in str(err.value)
    np.testing.assert_array_equal(prior.set_params(device="cpu").logits(X), z)


def test_empty_weights_or_a_folder_are_named(tmp_path):
    # weights="" fitted the shipped network in silence; a folder was "No PFN checkpoint at"
    X, y = _blobs(40, 2, 3, 0)
    for empty in ("", "  "):
        with pytest.raises(ValueError) as err:
            BundledPFNPrior(weights=empty).fit(X, y)
        assert str(err.value) == (
            f"BundledPFNPrior: weights must be a path to a checkpoint file or None, got {empty!r}."
        )
    with pytest.raises(FileNotFoundError, match=rf"No PFN checkpoint at {tmp_path} \(a folder\)"):
        BundledPFNPrior(weights=tmp_path).fit(X, y)


def test_a_target_far_from_zero_keeps_its_spread():
    # y = 2**60 + 1e5 * (3a + ...): a spread of 3e-13 of |y| (float64 holds 2**60 to 256)
    # was taken for the rounding of a constant, and every row got the mean
    X, y = _regression_table(60, 0)
    y = 1e5 * (y - 50)
    near = BundledPFNPrior("regression", n_ensemble=1).fit(X, y).logits(X)
    far = BundledPFNPrior("regression", n_ensemble=1).fit(X, y + 2.0**60).logits(X) - 2.0**60
    assert np.std(far) > 0.5 * np.std(near)
    # the same standardised target up to float64's 256 at 2**60, which moves a mean through
    # the float32 network by a few hundred (of a spread of 3e5)
    np.testing.assert_allclose(far, near, rtol=0, atol=1e3)


def test_a_class_no_split_tests_is_warned_about_with_what_the_network_gives_it():
    # the warning said such a class is scored "as near impossible", but the network gives
    # a class absent from its context (up to 10 classes) a few percent: about 2% here
    from sklearn.model_selection import TimeSeriesSplit

    from llmboost import PriorBoostClassifier, explain
    from llmboost.fusion_inputs import prior_folds

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(90, 3)), columns=list("abc"))
    y = np.array(["a", "b", "c"], dtype=object)[np.arange(90) % 3]
    y[:10:3] = "d"  # rows 0, 3, 6, 9: only in the first rows, which no split tests
    folds = list(TimeSeriesSplit(3).split(X))
    z = BundledPFNPrior().oof_logits(X, y, prior_folds(folds, len(y)))
    assert 0.005 < np.exp(z[:10:3, 3]).min() and np.exp(z[:10:3, 3]).max() < 0.1
    model = PriorBoostClassifier(BundledPFNPrior(), booster_params={"n_estimators": 3})
    with pytest.warns(UserWarning) as caught:
        model.set_params(cv=TimeSeriesSplit(3), scale=1.0).fit(X, y)
    assert [str(w.message) for w in caught] == [
        "cv: class 'd' is only in rows [0, 3, 6, 9] (4 rows), which no split tests: their "
        "out-of-fold prior logits come from a prior fitted on the tested rows, which never "
        "saw the class: most priors give it about 1e-7 (BundledPFNPrior up to 10 classes: a "
        "few percent). Use other folds, whose test parts hold rows of every class "
        "(StratifiedKFold, or TimeSeriesSplit with more splits)."
    ]
    parts = explain(model, X[:12])  # the refitted prior saw the class: nothing is missing
    # float32 SHAP values: the sum matches the margin to about 1e-6
    sums = np.stack([parts[c].sum(axis=1) for c in model.classes_], axis=1)
    np.testing.assert_allclose(sums, model.decision_function(X[:12]), atol=1e-5)


@pytest.mark.parametrize("size", [1e-200, 1e-300])
def test_a_column_of_tiny_numbers_keeps_its_spread(size):
    # the squares of values below about 1e-154 underflowed to 0, so every such column read
    # as constant: each row got the class frequencies (P(class 1) 0.48 for all four rows
    # instead of 0.96, 0.95, 0.99, 0.008); the network reads the same standardised values
    # whatever the columns' units
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=list("abc"))
    y = (X["a"] > 0).astype(int)
    expected = BundledPFNPrior(n_ensemble=2).fit(X, y).logits(X[:4])
    z = BundledPFNPrior(n_ensemble=2).fit(X * size, y).logits(X[:4] * size)
    # float64 standardisation, then float32: at most the last bit of an input differs
    np.testing.assert_allclose(z, expected, atol=1e-5)


def test_a_fold_given_as_a_mask_of_another_length_or_as_floats_is_refused():
    # a train mask of 40 entries for 60 rows was taken as rows 30 to 39 (10 training rows
    # instead of 30; logits moved by up to 3.4), one of 65 with a false tail as it was;
    # float positions raised numpy's "arrays used as indices must be of integer type"
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 2)), columns=list("ab"))
    y = np.arange(60) % 2
    first = np.arange(60) < 30
    prior = BundledPFNPrior(n_ensemble=1)
    for mask in (~first[:40], np.r_[~first, [False] * 5]):
        with pytest.raises(ValueError) as err:
            prior.oof_logits(X, y, [(mask, first), (first, ~first)])
        assert str(err.value) == (
            f"folds: the train part of fold 0 is a boolean mask of {len(mask)} entries for 60 "
            "rows; give one entry per row of X."
        )
    floats = np.arange(30, 60, dtype=float)
    with pytest.raises(TypeError, match=r"the train part of fold 1 has shape \(30,\) and dtype f"):
        prior.oof_logits(X, y, [(~first, first), (floats, np.arange(30))])
    with pytest.raises(TypeError, match=r"the test part of fold 0 has shape \(1, 30\) and dtype"):
        prior.oof_logits(X, y, [(~first, np.flatnonzero(first)[None]), (first, ~first)])
    z = prior.oof_logits(X, y, [(~first, first), (list(range(30)), list(range(30, 60)))])
    assert z.shape == (60, 2) and np.isfinite(z).all()  # masks and lists of positions
