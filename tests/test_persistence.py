"""save() / load(): exact round trips without pickle, weights found again, unsafe files refused."""

import io
import json
import os
import pickle
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge

from llmboost import (
    BundledPFNPrior,
    PFNBoostClassifier,
    PriorBoostClassifier,
    PriorBoostRegressor,
    SklearnPrior,
)
from llmboost.persistence import UnsafeFileError, load, save
from llmboost.priors import Prior

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _data(task, n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.normal(size=n),
            "income": rng.normal(size=n),
            "city": pd.Categorical(rng.choice(["x", "y", "z"], n)),
        }
    )
    X.loc[::7, "income"] = np.nan
    signal = X["age"] + np.sin(3 * X["income"].fillna(0)) + (X["city"] == "x")
    if task == "regression":
        return X, signal.to_numpy() + 0.1 * rng.normal(size=n)
    if task == "binary":
        return X, np.where(signal > 0.5, "yes", "no")
    return X, np.digitize(signal, [0.0, 1.0])


def _model(task, booster, scale):
    if task == "regression":
        cls, prior = PriorBoostRegressor, SklearnPrior(Ridge())
    else:
        cls, prior = PriorBoostClassifier, SklearnPrior(LogisticRegression(max_iter=500))
    params = {"n_estimators": 20}
    return cls(
        prior=prior, booster=booster, booster_params=params, scale=scale, cv=3, random_state=0
    )


def _outputs(model, X):
    if isinstance(model, PriorBoostRegressor):
        return model.predict(X)
    return np.column_stack([model.decision_function(X), model.predict_proba(X)])


@pytest.mark.parametrize("scale", [0.5, "auto"])
@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_round_trip_predicts_exactly_as_the_saved_model(task, booster, scale, tmp_path):
    X, y = _data(task)
    model = _model(task, booster, scale).fit(X, y)
    loaded = load(save(model, tmp_path / "m.llmboost"))
    assert type(loaded) is type(model) and loaded.get_params()["scale"] == scale
    assert np.array_equal(_outputs(loaded, X), _outputs(model, X))
    if task != "regression":
        assert np.array_equal(loaded.predict(X), model.predict(X))
        assert list(loaded.classes_) == list(model.classes_)
    assert [m[:3] for m in loaded.members_] == [m[:3] for m in model.members_]
    # a booster shared by two attributes is still one object after loading
    heaviest = loaded.booster_
    assert heaviest is None or any(m.booster is heaviest for m in loaded.members_)
    # the library models are the libraries' own estimators again
    if heaviest is not None:
        assert type(heaviest.model_) is type(model.booster_.model_)


def test_bundled_pfn_round_trip_in_a_new_process_and_no_weights_in_the_file(tmp_path):
    X, y = _data("binary", n=120)
    model = PFNBoostClassifier(
        prior=BundledPFNPrior(n_ensemble=2),
        booster_params={"n_estimators": 20},
        scale=1.0,
        cv=2,
        random_state=0,
    ).fit(X, y)
    path = save(model, tmp_path / "pfnboost.llmboost")
    X.to_pickle(tmp_path / "X.pkl")  # the test's own data, written and read by the test
    code = (
        "import sys, numpy as np, pandas as pd; from llmboost import load; "
        "m = load(sys.argv[1]); X = pd.read_pickle(sys.argv[2]); "
        "np.save(sys.argv[3], m.predict_proba(X))"
    )
    out = tmp_path / "proba.npy"
    env = {**os.environ, "PYTHONPATH": ROOT}
    run = subprocess.run(
        [sys.executable, "-c", code, str(path), str(tmp_path / "X.pkl"), str(out)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    # same machine, same float32 kernels: identical bits (another CPU could differ
    # in the last bits of the PFN's float32 output)
    assert np.array_equal(np.load(out), model.predict_proba(X))

    weights = os.path.getsize(model.prior_.weights or _bundled_weights())
    size = path.stat().st_size
    assert size < pickle_size(model) and size < weights / 4
    with zipfile.ZipFile(path) as archive:
        assert all(
            n == "model.json" or n.startswith(("arrays/", "boosters/")) for n in archive.namelist()
        )


def pickle_size(model):
    return len(pickle.dumps(model))


def _bundled_weights():
    from llmboost.priors._bundled_pfn import default_weights_path

    return default_weights_path()


def _small_pfnboost(prior):
    return PFNBoostClassifier(prior=prior, booster_params={"n_estimators": 5}, scale=1.0, cv=2)


def test_missing_weights_give_a_clear_error(tmp_path):
    X, y = _data("binary", n=80)
    weights = tmp_path / "pfn.pt"
    shutil.copy(_bundled_weights(), weights)
    model = _small_pfnboost(BundledPFNPrior(weights=weights, n_ensemble=1)).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    np.testing.assert_array_equal(load(path).predict_proba(X), model.predict_proba(X))
    weights.unlink()
    with pytest.raises(FileNotFoundError, match=r"weights are not on this machine: .*pfn\.pt"):
        load(path)


def test_tabicl_prior_round_trip_and_missing_checkpoint(tmp_path):
    pytest.importorskip("tabicl")
    from tabicl_fixtures import build_checkpoint

    from llmboost import TabICLPrior
    from llmboost.priors import ModelNotAvailableError

    ckpt = build_checkpoint(tmp_path / "tiny.ckpt")
    X, y = _data("binary", n=80)
    model = PFNBoostClassifier(
        prior=TabICLPrior(model_path=ckpt, n_estimators=1),
        booster_params={"n_estimators": 5},
        scale=1.0,
        cv=2,
    ).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    assert path.stat().st_size < ckpt.stat().st_size
    loaded = load(path)
    assert getattr(loaded.prior_, "_estimator", None) is None  # TabICL reloaded lazily
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    ckpt.unlink()
    with pytest.raises(ModelNotAvailableError, match=r"(?s)tiny\.ckpt.*hf download"):
        load(path)


def test_weights_other_than_the_fitted_ones_are_refused(tmp_path):
    torch = pytest.importorskip("torch")
    X, y = _data("binary", n=80)
    weights = tmp_path / "pfn.pt"
    shutil.copy(_bundled_weights(), weights)
    model = _small_pfnboost(BundledPFNPrior(weights=weights, n_ensemble=1)).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    original = weights.read_bytes()
    checkpoint = torch.load(weights, weights_only=True)  # retrained: one tensor moved
    name = next(k for k, v in checkpoint["state_dict"].items() if v.is_floating_point())
    checkpoint["state_dict"][name] += 0.01
    torch.save(checkpoint, weights)
    with pytest.raises(ValueError, match=r"weights at .*pfn\.pt are not the ones .* llmboost 0"):
        load(path)
    weights.write_bytes(original)
    np.testing.assert_array_equal(load(path).predict_proba(X), model.predict_proba(X))


def _manifest(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("model.json"))


def _rewrite_manifest(path, manifest):
    """Replace a saved file's ``model.json``, keeping its other members."""
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in {**files, "model.json": json.dumps(manifest).encode()}.items():
            archive.writestr(name, data)


def test_files_without_fingerprints_still_load(tmp_path):
    X, y = _data("binary", n=80)
    model = _small_pfnboost(BundledPFNPrior(n_ensemble=1)).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    manifest = _manifest(path)
    assert len(manifest.pop("weights_fingerprints")) == 1 and manifest.pop("llmboost_version")
    _rewrite_manifest(path, manifest)
    np.testing.assert_array_equal(load(path).predict_proba(X), model.predict_proba(X))


def test_a_different_number_of_weights_files_is_refused(tmp_path):
    X, y = _data("binary", n=80)
    model = _small_pfnboost(BundledPFNPrior(n_ensemble=1)).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    manifest = _manifest(path)
    manifest["weights_fingerprints"] *= 2  # saved with two weights files, one here
    _rewrite_manifest(path, manifest)
    with pytest.raises(ValueError, match=r"saved with 2 weights file\(s\).*this machine has 1"):
        load(path)


def test_fingerprint_of_a_weights_folder(tmp_path):
    from llmboost._prior_weights import fingerprint

    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    big = np.random.default_rng(0).bytes(12 << 20)  # over 8 MiB: sampled
    (folder / "weights.bin").write_bytes(big)
    first = fingerprint(folder)
    (folder / ".lock").write_text("x")  # hidden files are not the model
    assert fingerprint(folder) == first
    for at in (10, len(big) // 2 + 10, len(big) - 10):  # start, middle and end are read
        changed = bytearray(big)
        changed[at] ^= 1
        (folder / "weights.bin").write_bytes(bytes(changed))
        assert fingerprint(folder) != first
    (folder / "weights.bin").write_bytes(big)
    (folder / "config.json").rename(folder / "other.json")
    assert fingerprint(folder) != first


def test_llm_prior_round_trip(tmp_path):
    pytest.importorskip("transformers")
    from llm_fixtures import build_gpt2

    from llmboost import LLMBoostClassifier, LLMPrior

    folder = build_gpt2(tmp_path / "gpt2")
    X, y = _data("binary", n=40)
    prior = LLMPrior(str(folder), dtype="float32", cache_dir=False, progress=False)
    model = LLMBoostClassifier(
        prior=prior, booster_params={"n_estimators": 5}, scale=1.0, cv=2
    ).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    np.testing.assert_array_equal(load(path).predict_proba(X), model.predict_proba(X))
    shutil.rmtree(folder)
    with pytest.raises(FileNotFoundError, match="gpt2"):
        load(path)
    model.prior_.template = lambda row: str(row)
    with pytest.raises(TypeError, match=r"model\.prior_\.template"):
        save(model, tmp_path / "other.llmboost")


class MyPrior(Prior):
    def _fit(self, X, y):
        pass

    def _logits(self, X):
        return np.zeros((len(X), len(self.classes_)))


def test_states_that_need_pickle_are_refused_at_save(tmp_path):
    X, y = _data("binary", n=80)
    forest = PriorBoostClassifier(
        prior=RandomForestClassifier(n_estimators=3, random_state=0),
        scale=1.0,
        cv=2,
        booster_params={"n_estimators": 5},
    ).fit(X, y)
    with pytest.raises(TypeError, match=r"model\.prior_\.model_.*estimators_.*Tree"):
        save(forest, tmp_path / "f.llmboost")
    custom = PriorBoostClassifier(prior=MyPrior(), scale=1.0, cv=2).fit(X, y)
    with pytest.raises(TypeError, match=r"model\.prior.*test_persistence:MyPrior"):
        save(custom, tmp_path / "c.llmboost")
    with pytest.raises(TypeError, match="llmboost estimator"):
        save(LogisticRegression(), tmp_path / "l.llmboost")


def test_classes_are_written_by_their_public_path_and_old_paths_still_load(tmp_path):
    X, y = _data("binary")
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    text = json.dumps(_manifest(path))
    assert '"llmboost.estimators:PriorBoostClassifier"' in text
    assert '"llmboost.priors:SklearnPrior"' in text
    assert '"sklearn.linear_model:LogisticRegression"' in text
    # the layout files had before the implementation modules became private
    old = text.replace("llmboost.estimators:", "llmboost.estimators.prior_boost:")
    old = old.replace("llmboost.priors:", "llmboost.priors.sklearn:")
    _rewrite_manifest(path, json.loads(old))
    loaded = load(path)
    assert np.array_equal(_outputs(loaded, X), _outputs(model, X))


def test_files_missing_a_parameter_of_this_version_are_refused_clearly(tmp_path):
    X, y = _data("binary", n=80)
    path = save(_small_pfnboost(BundledPFNPrior(n_ensemble=2)).fit(X, y), tmp_path / "m.llmb")
    manifest = _manifest(path)

    def drop(node):  # as a version without principal_components wrote it
        if isinstance(node, dict):
            if node.get("class", "").endswith(":BundledPFNPrior"):
                node["state"] = [p for p in node["state"] if p[0] != "principal_components"]
            for child in node.values():
                drop(child)
        elif isinstance(node, list):
            for child in node:
                drop(child)

    drop(manifest)
    _rewrite_manifest(path, manifest)
    with pytest.raises(ValueError, match="saved without the parameter.s. principal_components"):
        load(path)


def _crafted(tmp_path, root, files=None):
    path = tmp_path / "crafted.llmboost"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "model.json",
            json.dumps({"format": "llmboost-model", "version": 1, "root": root, "needs_files": []}),
        )
        for name, data in (files or {}).items():
            archive.writestr(name, data)
    return path


class _Payload:
    """Pickling this runs ``open(marker, 'w')`` when unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_untrusted_files_are_refused_without_running_code(tmp_path):
    marker = tmp_path / "pwned"
    # a pickle under the model's name
    bad = tmp_path / "model.llmboost"
    bad.write_bytes(pickle.dumps(_Payload(str(marker))))
    with pytest.raises(UnsafeFileError, match="not a zip"):
        load(bad)
    # an object array stored as pickle inside .npy
    buffer = io.BytesIO()
    np.save(buffer, np.array([_Payload(str(marker))], dtype=object), allow_pickle=True)
    path = _crafted(
        tmp_path, {"$": "array", "file": "arrays/0.npy"}, {"arrays/0.npy": buffer.getvalue()}
    )
    with pytest.raises(UnsafeFileError, match="pickle"):
        load(path)
    # classes outside the trusted packages, or callables inside them
    for cls in (
        "builtins:eval",
        "os:system",
        "subprocess:Popen",
        "llmboost.persistence:_Writer",
        "sklearn.utils:Bunch",
        "llmboost.scale_search:prior_margin",
        "llmboost.__main__:main",
    ):
        path = _crafted(tmp_path, {"$": "object", "id": 0, "class": cls, "state": []})
        with pytest.raises(UnsafeFileError):
            load(path)
    # unknown record types, references to nothing, paths outside the archive
    for root in (
        {"$": "exec", "code": "1"},
        {"$": "ref", "id": 3},
        {"$": "xgboost", "id": 0, "file": "../../etc/passwd"},
        {"plain": "dict"},
    ):
        with pytest.raises(UnsafeFileError):
            load(_crafted(tmp_path, root))
    # a well-formed file whose root is not an estimator
    with pytest.raises(UnsafeFileError, match="does not hold"):
        load(_crafted(tmp_path, [1, 2, 3]))
    assert not marker.exists()


def test_tabpfn_prior_round_trip_and_missing_checkpoint(tmp_path):
    pytest.importorskip("tabpfn")
    from tabpfn_fixtures import build_checkpoint

    from llmboost import TabPFNPrior
    from llmboost.priors import ModelNotAvailableError

    ckpt = build_checkpoint(tmp_path / "tiny-tabpfn.ckpt")
    X, y = _data("binary", n=80)
    model = PFNBoostClassifier(
        prior=TabPFNPrior(model_path=ckpt, n_estimators=1),
        booster_params={"n_estimators": 5},
        scale=1.0,
        cv=2,
    ).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    assert path.stat().st_size < ckpt.stat().st_size
    np.testing.assert_array_equal(load(path).predict_proba(X), model.predict_proba(X))
    ckpt.unlink()
    with pytest.raises(ModelNotAvailableError, match=r"tiny-tabpfn\.ckpt"):
        load(path)
