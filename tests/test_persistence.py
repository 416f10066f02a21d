"""save() / load(): exact round trips without pickle, weights found again, unsafe files refused."""

import errno
import io
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import warnings
import zipfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn import linear_model
from sklearn.base import clone, is_regressor
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, TimeSeriesSplit
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import LinearSVC

from llmboost import (
    BundledPFNPrior,
    PFNBoostClassifier,
    PriorBoostClassifier,
    PriorBoostRegressor,
    SklearnPrior,
)
from llmboost._load_paths import path_text
from llmboost._validation import booster_frame
from llmboost.persistence import InconsistentVersionWarning, UnsafeFileError, load, save
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


@pytest.mark.parametrize("unit", ["datetime64[us]", "timedelta64[us]"])
def test_a_classifier_of_date_or_duration_labels_round_trips(unit, tmp_path):
    # save refused them: "classes_ is array([...]), not a 1-D array of distinct classes"
    X, y = _data("binary", n=80)
    labels = np.where(y == "yes", 1, 2).astype(unit)
    for prior in (SklearnPrior(LogisticRegression()), BundledPFNPrior(n_ensemble=1)):
        model = _small_pfnboost(prior).fit(X, labels)
        loaded = load(save(model, tmp_path / "m.llmboost"))
        assert loaded.classes_.dtype == np.dtype(unit)
        assert np.array_equal(loaded.predict(X), model.predict(X))


def test_bundled_pfn_round_trip_in_a_new_process_and_no_weights_in_the_file(tmp_path):
    X, y = _data("binary", n=120)
    model = PFNBoostClassifier(
        prior=BundledPFNPrior(n_ensemble=2),
        booster_params={"n_estimators": 20},
        scale=1.0,
        cv=2,
        random_state=0,
    ).fit(X, y)
    model.predict_proba(X[:1])
    assert model.prior_._encoded is not None  # the kept encoded context stays out of the file
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
    # the PFN's float32 output in another process: the same up to float32 rounding (the
    # two processes may run torch with other thread counts, so sums in another order:
    # 1 against 2 threads moved these probabilities by up to 2.8e-7)
    np.testing.assert_allclose(np.load(out), model.predict_proba(X), rtol=0, atol=1e-6)

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


def test_a_torch_device_parameter_is_saved_as_its_name(tmp_path):
    # save refused it: "torch.device is not a class llmboost saves without pickle"
    torch = pytest.importorskip("torch")
    X, y = _data("binary", n=80)
    prior = BundledPFNPrior(n_ensemble=2, device=torch.device("cpu"))
    model = PFNBoostClassifier(
        prior=prior, booster_params={"n_estimators": 5}, scale=1.0, cv=2, device=torch.device("cpu")
    ).fit(X, y)
    loaded = load(save(model, tmp_path / "m.llmboost"))
    assert loaded.device == "cpu" and loaded.prior.device == "cpu" and loaded.prior_.device == "cpu"
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


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


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX named pipes")
def test_bundled_weights_at_a_pipe_or_a_folder_are_refused_unread(pfn_file, tmp_path):
    # a file edited to name a pipe waited for a writer (/dev/zero: read forever), and a
    # folder such as / was walked and read, before the fingerprints were compared
    import threading

    pipe, done = tmp_path / "pipe", threading.Event()
    os.mkfifo(pipe)

    def unblock():  # on a load that reads the pipe, a writer ends the wait after 5 s
        if not done.wait(5):
            with open(pipe, "wb") as f:
                f.write(b"x")

    threading.Thread(target=unblock, daemon=True).start()
    for where, message in [
        (pipe, "are not a file or folder (a device, pipe or socket), so they cannot be"),
        (tmp_path, "are a folder, not a checkpoint file."),
    ]:
        path = tmp_path / "crafted.llmboost"
        shutil.copy(pfn_file[0], path)
        for keys in (["prior", "weights"], ["prior_", "weights"]):
            _edit_state(path, keys, {"$": "path", "value": str(where)})
        try:
            with pytest.raises(ValueError) as err:
                load(path)
        finally:
            done.set()
        assert str(err.value) == f"The prior's weights at {where} {message}" + (
            " the weights the model was fitted with." if where == pipe else ""
        )


def test_files_without_fingerprints_still_load(tmp_path):
    X, y = _data("binary", n=80)
    model = _small_pfnboost(BundledPFNPrior(n_ensemble=1)).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    manifest = _manifest(path)
    assert len(manifest.pop("weights_fingerprints")) == 1 and manifest.pop("llmboost_version")
    _rewrite_manifest(path, manifest)
    np.testing.assert_array_equal(load(path).predict_proba(X), model.predict_proba(X))


def test_saved_files_record_the_installed_version(tmp_path):
    # the version a file records is llmboost.__version__; the package's metadata reads it
    # from there, so the two cannot drift apart
    import llmboost

    pyproject = pytest.importorskip("setuptools.config.pyprojecttoml")
    model = PriorBoostClassifier(
        prior=LogisticRegression(), booster_params={"n_estimators": 5}, scale=1.0, cv=2
    )
    path = save(model.fit(*_data("binary", n=40)), tmp_path / "m.llmboost")
    assert _manifest(path)["llmboost_version"] == llmboost.__version__
    # the version the package is built with, from a copy whose __version__ was raised (an
    # installed package's metadata keeps the version of its last install, so it cannot
    # tell): pyproject.toml's own "0.1.0" stayed
    shutil.copy(os.path.join(ROOT, "pyproject.toml"), tmp_path)
    with open(os.path.join(ROOT, "llmboost", "__init__.py")) as handle:
        init = handle.read().replace(f'"{llmboost.__version__}"', '"99.0"', 1)
    (tmp_path / "llmboost").mkdir()
    (tmp_path / "llmboost" / "__init__.py").write_text(init)
    config = pyproject.read_configuration(tmp_path / "pyproject.toml")
    assert config["project"]["version"] == "99.0"


def _loaded_warnings(path):
    """What ``load(path)`` warns, each warning once (a fresh filter: none is hidden)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = load(path)
    return model, [w.message for w in caught]


def test_saved_files_record_library_versions_and_load_warns_where_they_differ(tmp_path):
    # files recorded only llmboost's version: a model loaded with another LightGBM or
    # torch loaded silently (another scikit-learn: one pickle-worded warning per estimator)
    import lightgbm
    import torch
    import xgboost

    from llmboost.persistence import InconsistentVersionWarning

    X, y = _data("binary", n=80)
    here = {
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "lightgbm": lightgbm.__version__,
    }
    lgb = save(_model("binary", "lightgbm", 0.5).fit(X, y), tmp_path / "lgb.llmboost")
    assert _manifest(lgb)["library_versions"] == here
    pfn = _small_pfnboost(BundledPFNPrior(n_ensemble=1)).fit(X, y)
    path = save(pfn, tmp_path / "pfn.llmboost")
    assert _manifest(path)["library_versions"] == {
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "xgboost": xgboost.__version__,
        "torch": torch.__version__,
    }
    assert _loaded_warnings(path)[1] == []  # the same versions: no warning
    manifest = _manifest(path)
    manifest["library_versions"].update({"scikit-learn": "1.0.0", "torch": "1.13.1"})
    _rewrite_manifest(path, manifest)
    loaded, caught = _loaded_warnings(path)
    assert [type(w) for w in caught] == [InconsistentVersionWarning] * 2
    assert [(w.library, w.saved_version, w.installed_version) for w in caught] == [
        ("scikit-learn", "1.0.0", sklearn.__version__),
        ("torch", "1.13.1", torch.__version__),
    ]
    assert str(caught[1]) == (
        f"{path} was saved with torch 1.13.1, but torch {torch.__version__} is installed "
        "here: the model may predict differently. Load it where torch 1.13.1 is installed "
        f"to keep its predictions, or refit it with torch {torch.__version__} and save again."
    )
    np.testing.assert_array_equal(loaded.predict_proba(X), pfn.predict_proba(X))
    manifest["library_versions"] = {"xgboost": "0.0", "no-such-library": "1.0"}
    _rewrite_manifest(path, manifest)
    caught = _loaded_warnings(path)[1]
    assert [(w.library, w.installed_version) for w in caught] == [
        ("xgboost", xgboost.__version__),
        ("no-such-library", None),
    ]
    assert "which is not installed here; the model needs it" in str(caught[1])
    copied = pickle.loads(pickle.dumps(caught[1]))  # as a process pool sends it back
    assert str(copied) == str(caught[1]) and copied.library == "no-such-library"


def test_a_file_of_another_llmboost_numpy_or_pandas_version_warns(tmp_path):
    # a file of another llmboost loaded silently, and numpy's and pandas' versions were
    # not recorded: a model they may make predict differently gave no warning
    import llmboost
    from llmboost.persistence import InconsistentVersionWarning

    X, y = _data("binary", n=80)
    fitted = _model("binary", "xgboost", 0.5).fit(X, y)
    path = save(fitted, tmp_path / "m.llmboost")
    manifest = _manifest(path)
    assert manifest["library_versions"]["numpy"] == np.__version__
    assert manifest["library_versions"]["pandas"] == pd.__version__
    manifest["library_versions"].update({"numpy": "1.26.0", "pandas": "2.1.0"})
    _rewrite_manifest(path, {**manifest, "llmboost_version": "0.0.1"})
    model, caught = _loaded_warnings(path)
    assert all(type(w) is InconsistentVersionWarning for w in caught)
    assert [(w.library, w.saved_version, w.installed_version) for w in caught] == [
        ("llmboost", "0.0.1", llmboost.__version__),  # first: it may explain what follows
        ("numpy", "1.26.0", np.__version__),
        ("pandas", "2.1.0", pd.__version__),
    ]
    assert str(caught[0]) == (
        f"{path} was saved with llmboost 0.0.1, but llmboost {llmboost.__version__} is "
        "installed here: the model may predict differently. Load it where llmboost 0.0.1 "
        f"is installed to keep its predictions, or refit it with llmboost {llmboost.__version__}"
        " and save again."
    )
    np.testing.assert_array_equal(model.predict_proba(X), fitted.predict_proba(X))
    del manifest["llmboost_version"]  # files from before it was recorded: no warning for it
    _rewrite_manifest(path, manifest)
    assert [w.library for w in _loaded_warnings(path)[1]] == ["numpy", "pandas"]
    _rewrite_manifest(path, {**manifest, "llmboost_version": 1})
    with pytest.raises(UnsafeFileError, match="model.json's llmboost_version is not text: 1"):
        load(path)


def test_a_filter_for_scikit_learns_version_warning_silences_loads(tmp_path):
    # llmboost's warning was a plain UserWarning: a filter for scikit-learn's
    # InconsistentVersionWarning, as set to load pickles quietly, let it through
    from sklearn.exceptions import InconsistentVersionWarning as SklearnWarning

    from llmboost.persistence import InconsistentVersionWarning

    X, y = _data("binary", n=80)
    path = save(_model("binary", "lightgbm", 0.5).fit(X, y), tmp_path / "m.llmboost")
    manifest = _manifest(path)
    manifest["library_versions"].update({"scikit-learn": "1.0.0", "lightgbm": "3.0.0"})
    _rewrite_manifest(path, manifest)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", SklearnWarning)
        load(path)
    assert caught == []
    caught = _loaded_warnings(path)[1]
    assert all(isinstance(w, SklearnWarning) for w in caught) and len(caught) == 2
    sklearn_one, lightgbm_one = caught
    # scikit-learn's attributes: its versions, and (for another library) None
    assert (sklearn_one.original_sklearn_version, sklearn_one.current_sklearn_version) == (
        "1.0.0",
        sklearn.__version__,
    )
    assert sklearn_one.estimator_name == lightgbm_one.estimator_name == str(path)
    assert lightgbm_one.original_sklearn_version is lightgbm_one.current_sklearn_version is None
    assert str(lightgbm_one).startswith(f"{path} was saved with lightgbm 3.0.0, but lightgbm ")
    copied = pickle.loads(pickle.dumps(sklearn_one))
    assert type(copied) is InconsistentVersionWarning and str(copied) == str(sklearn_one)
    assert copied.original_sklearn_version == "1.0.0"


def test_a_missing_xgboost_is_advised_as_the_distribution_llmboost_requires_here(
    tmp_path, monkeypatch
):
    # on Linux llmboost requires xgboost-cpu (the same module; having both is warned
    # against), but a file whose XGBoost was missing said "install xgboost==3.2.0"
    import importlib.metadata

    import xgboost

    import llmboost._saved_versions as saved_versions

    X, y = _data("binary", n=80)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    here = saved_versions.installed_version
    monkeypatch.setattr(
        saved_versions, "installed_version", lambda name: None if name == "xgboost" else here(name)
    )
    caught = _loaded_warnings(path)[1]
    assert [w.library for w in caught] == ["xgboost"]
    wanted = "xgboost-cpu" if sys.platform.startswith("linux") else "xgboost"
    assert str(caught[0]).endswith(f"pip install {wanted}=={xgboost.__version__}.")
    monkeypatch.setattr(  # as where llmboost requires xgboost itself (macOS, Windows)
        importlib.metadata, "requires", lambda name: ["xgboost>=2.1", "numpy>=1.26"]
    )
    assert str(_loaded_warnings(path)[1][0]).endswith(
        f"pip install xgboost=={xgboost.__version__}."
    )
    monkeypatch.setattr(  # a build backend may write the name as "xgboost_cpu"
        importlib.metadata, "requires", lambda name: ["xgboost_cpu>=2.1", "numpy>=1.26"]
    )
    assert str(_loaded_warnings(path)[1][0]).endswith(
        f"pip install xgboost-cpu=={xgboost.__version__}."
    )


@pytest.mark.parametrize(
    "saved, command",
    [
        ("2.13.0+cpu", "pip install torch==2.13.0 (the file names the local build 2.13.0+cpu)."),
        ("2.13.0", "pip install torch==2.13.0."),
        (
            "1 --index-url x",
            "pip install torch (the file names no plain version: '1 --index-url x').",
        ),
    ],
)
def test_a_missing_library_of_a_local_build_is_advised_in_plain_form(saved, command):
    # a torch built locally (or PyTorch's CPU wheel) records "2.13.0+cpu", and the warning
    # said "pip install torch==2.13.0+cpu", which no package index holds
    from llmboost._saved_versions import InconsistentVersionWarning

    assert str(InconsistentVersionWarning("m.llmboost", "torch", saved, None)).endswith(command)


def test_a_model_whose_library_is_not_installed_is_refused_naming_it(tmp_path, monkeypatch):
    # after the warning that LightGBM is not installed, load said the file was unsafe:
    # "UnsafeFileError: ...: class lightgbm.sklearn:LGBMClassifier not found."
    X, y = _data("binary", n=80)
    path = save(_model("binary", "lightgbm", 0.5).fit(X, y), tmp_path / "m.llmboost")
    for name in [m for m in sys.modules if m.partition(".")[0] == "lightgbm"]:
        monkeypatch.setitem(sys.modules, name, None)  # import lightgbm: ModuleNotFoundError
    with pytest.raises(ModuleNotFoundError) as err:
        load(path)
    assert str(err.value) == (
        f"{path}: model.members_[0][3].model_: class lightgbm.sklearn:LGBMClassifier needs "
        "lightgbm, which is not installed here: pip install lightgbm."
    )
    assert err.value.name == "lightgbm.sklearn"


def test_library_versions_are_read_from_the_installed_distributions(tmp_path, monkeypatch):
    # read from an imported module's __version__ at save (torch is imported then) but from
    # the distribution at load (torch is not imported then), a build whose two differ
    # warned on every load in a new process
    import importlib.metadata

    import torch

    monkeypatch.setattr(torch, "__version__", "2.0.0a0+local")
    X, y = _data("binary", n=80)
    model = _small_pfnboost(BundledPFNPrior(n_ensemble=1)).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    assert _manifest(path)["library_versions"]["torch"] == importlib.metadata.version("torch")
    assert _loaded_warnings(path)[1] == []


def test_the_library_version_warning_comes_before_a_failure_it_may_explain(tmp_path):
    # a file whose trees another LightGBM version wrote, refused by this one's checks,
    # gave the refusal alone: the warning came only once the model was built
    from llmboost.persistence import InconsistentVersionWarning

    X, y = _data("binary", n=80)
    path = save(_model("binary", "lightgbm", 0.5).fit(X, y), tmp_path / "m.llmboost")
    manifest = _manifest(path)
    manifest["library_versions"]["lightgbm"] = "9.0.0"
    _rewrite_manifest(path, manifest)
    name, text = next(iter(_entries(path, ".txt").items()))
    newer = _replace_entry(
        path, tmp_path / "newer.llmboost", name, text.replace(b"Tree=0", b"Tree=zero")
    )
    with pytest.warns(InconsistentVersionWarning, match="saved with lightgbm 9.0.0"):
        with pytest.raises(UnsafeFileError, match=re.escape(name)):
            load(newer)


def test_files_without_library_versions_load_with_one_warning_at_most(tmp_path):
    # older files: no warning, but for scikit-learn estimators that recorded another version
    # (then one warning, not scikit-learn's "Trying to unpickle" for each estimator)
    X, y = _data("binary", n=80)
    path = save(_model("binary", "lightgbm", 0.5).fit(X, y), tmp_path / "m.llmboost")
    manifest = _manifest(path)
    del manifest["library_versions"]
    _rewrite_manifest(path, manifest)
    assert _loaded_warnings(path)[1] == []
    text = json.dumps(manifest).replace(f'"{sklearn.__version__}"', '"1.0.0"')
    assert text.count('"1.0.0"') >= 2  # the prior's estimator, its pipeline's steps, ...
    _rewrite_manifest(path, json.loads(text))
    caught = _loaded_warnings(path)[1]
    assert [(w.library, w.saved_version) for w in caught] == [("scikit-learn", "1.0.0")]


def test_files_without_library_versions_name_the_oldest_version_compared_as_a_version(tmp_path):
    # the version shown was the least as text: "1.10.0" for estimators of 1.9.0 and
    # 1.10.0, and none at all for estimators of 10.0 and the installed 1.x
    X, y = _data("binary", n=80)
    path = save(_model("binary", "lightgbm", 0.5).fit(X, y), tmp_path / "m.llmboost")
    manifest = _manifest(path)
    del manifest["library_versions"]
    parts = json.dumps(manifest).split(f'"{sklearn.__version__}"')
    assert len(parts) >= 3 and sklearn.__version__.startswith("1.")
    cases = [("1.10.0", "1.9.0"), ("1.9.0", "1.10.0"), (sklearn.__version__, "10.0")]
    for (first, second), expected in zip(cases, ["1.9.0", "1.9.0", "10.0"]):
        text = (
            parts[0]
            + "".join(  # every other estimator keeps the first version
                f'"{second if i % 2 else first}"' + part for i, part in enumerate(parts[1:])
            )
        )
        _rewrite_manifest(path, json.loads(text))
        caught = _loaded_warnings(path)[1]
        assert [(w.library, w.saved_version) for w in caught] == [("scikit-learn", expected)]


def _tuned_with_a_masked_parameter():
    """A search whose param_max_depth is masked for the prior alone (no tuned booster)."""
    pytest.importorskip("optuna")
    return PriorBoostClassifier(
        prior=LogisticRegression(), booster_params={"n_estimators": 5}, scale=[0.5, "prior"],
        n_trials=3, cv=3, random_state=0,
    ).fit(*_data("binary", n=60))  # fmt: skip


def test_cv_results_keep_their_masks(tmp_path):
    # param_<name> is masked where a candidate lacks the parameter (the prior alone has no
    # tuned booster parameters): saved with np.save, the mask was dropped and load gave
    # whatever the masked entry held (param_max_depth [5, 8, 8, 4] for [5, 8, 8, --])
    model = _tuned_with_a_masked_parameter()
    saved = model.cv_results_
    loaded = load(save(model, tmp_path / "m.llmboost")).cv_results_
    assert (
        np.ma.is_masked(saved["param_max_depth"]) and saved["param_max_depth"][-1] is np.ma.masked
    )
    assert loaded.keys() == saved.keys() and loaded["params"] == saved["params"]
    for key in set(saved) - {"params"}:
        assert type(loaded[key]) is type(saved[key]) and loaded[key].dtype == saved[key].dtype
        assert loaded[key].tolist() == saved[key].tolist(), key  # masked entries: None


def test_cv_results_of_the_layout_without_masks_still_load(tmp_path):
    # files written before the masked record held param_<name> as a plain array, and an
    # llmboost of that time refuses the record ("unknown record type 'masked'"); a record
    # this version does not know names the llmboost that wrote the file
    model = _tuned_with_a_masked_parameter()
    path = save(model, tmp_path / "m.llmboost")
    manifest = _manifest(path)

    def unmask(node, record):  # each masked record as its data record, as written before
        if isinstance(node, dict):
            if node.get("$") == "masked":
                return record(node)
            return {k: unmask(v, record) for k, v in node.items()}
        return [unmask(v, record) for v in node] if isinstance(node, list) else node

    _rewrite_manifest(path, unmask(manifest, lambda node: node["data"]))
    loaded = load(path).cv_results_
    assert type(loaded["param_max_depth"]) is np.ndarray
    assert (
        loaded["param_max_depth"].tolist()[:3] == model.cv_results_["param_max_depth"][:3].tolist()
    )
    manifest = unmask(manifest, lambda node: {**node, "$": "masked2"})
    _rewrite_manifest(path, {**manifest, "llmboost_version": "9.0"})
    with pytest.warns(UserWarning, match="saved with llmboost 9.0, but llmboost "):
        with pytest.raises(UnsafeFileError, match=r"type 'masked2' \(written by llmboost 9\.0:"):
            load(path)
    _rewrite_manifest(path, manifest)  # a file of this version: no version to name
    with pytest.raises(UnsafeFileError, match=r"unknown record type 'masked2'\.$"):
        load(path)


def test_a_class_this_version_lacks_names_the_llmboost_that_wrote_the_file(tmp_path):
    # "class llmboost.priors:FuturePrior not found." and nothing on which llmboost has it,
    # as an unknown record type says
    X, y = _data("binary", n=60)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    text = json.dumps(_manifest(path)).replace("llmboost.priors:SklearnPrior", "llmboost.priors:Fu")
    _rewrite_manifest(path, {**json.loads(text), "llmboost_version": "9.0"})
    with pytest.warns(UserWarning, match="saved with llmboost 9.0, but llmboost "):
        with pytest.raises(UnsafeFileError) as err:
            load(path)
    assert str(err.value) == (
        f"{path}: model.prior: class llmboost.priors:Fu not found (written by llmboost 9.0: "
        "load it with that version)."
    )
    _rewrite_manifest(path, json.loads(text))  # a file of this version: no version to name
    with pytest.raises(UnsafeFileError, match=r": class llmboost.priors:Fu not found\.$"):
        load(path)


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


def test_llm_prior_at_a_home_folder_path_is_found_in_the_loading_home(tmp_path, monkeypatch):
    # LLMPrior("~/gpt2") saved under one home and loaded under another, with the model
    # at ~/gpt2 there: refused, naming the saving machine's /home1/gpt2
    pytest.importorskip("transformers")
    from llm_fixtures import build_gpt2

    from llmboost import LLMBoostClassifier, LLMPrior

    monkeypatch.setenv("HOME", str(tmp_path / "home1"))
    build_gpt2(tmp_path / "home1" / "gpt2")
    X, y = _data("binary", n=40)
    prior = LLMPrior("~/gpt2", dtype="float32", cache_dir=False, progress=False)
    model = LLMBoostClassifier(prior=prior, booster_params={"n_estimators": 3}, scale=1.0, cv=2)
    path = save(model.fit(X, y), tmp_path / "m.llmboost")
    monkeypatch.setenv("HOME", str(tmp_path / "home2"))
    shutil.move(tmp_path / "home1", tmp_path / "home2")
    np.testing.assert_array_equal(load(path).predict_proba(X), model.predict_proba(X))
    shutil.rmtree(tmp_path / "home2" / "gpt2")
    with pytest.raises(FileNotFoundError) as err:  # named where this machine looks
        load(path)
    assert str(err.value).startswith(
        f"The prior's weights are not on this machine: {tmp_path / 'home2' / 'gpt2'} does not"
    )


def test_llm_prior_files_from_before_use_chat_template_load_as_they_predicted(tmp_path):
    # use_chat_template came later: every LLM model saved before it was refused as "a
    # file from an older version", though without it the prior did what True does
    pytest.importorskip("transformers")
    from llm_fixtures import build_gpt2

    from llmboost import LLMBoostClassifier, LLMPrior

    X, y = _data("binary", n=40)
    prior = LLMPrior(str(build_gpt2(tmp_path / "gpt2")), cache_dir=False, progress=False)
    model = LLMBoostClassifier(prior=prior, booster_params={"n_estimators": 5}, cv=2)
    path = save(model.fit(X, y), tmp_path / "m.llmboost")
    _drop_parameter(path, "LLMPrior", "use_chat_template")  # as saved before it existed
    loaded = load(path)
    assert loaded.prior_.use_chat_template is True and loaded.prior.use_chat_template is True
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_llm_prior_at_a_relative_path_loaded_from_another_folder_says_so(tmp_path, monkeypatch):
    # the weights were on this machine, yet the error said "this machine has 0 (none)"
    # weights files and to load with the version that saved it
    pytest.importorskip("transformers")
    from llm_fixtures import build_gpt2

    from llmboost import LLMBoostClassifier, LLMPrior

    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    build_gpt2(tmp_path / "a" / "gpt2")
    X, y = _data("binary", n=40)
    prior = LLMPrior("gpt2", dtype="float32", cache_dir=False, progress=False)
    model = LLMBoostClassifier(
        prior=prior, booster_params={"n_estimators": 5}, scale=1.0, cv=2
    ).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    monkeypatch.chdir(tmp_path / "b")
    with pytest.raises(FileNotFoundError, match=r"(?s)'gpt2' is a path relative to.*a.gpt2"):
        load(path)
    monkeypatch.chdir(tmp_path / "a")
    np.testing.assert_array_equal(load(path).predict_proba(X), model.predict_proba(X))


def test_llm_prior_at_an_absolute_path_that_is_gone_says_it_is_missing(tmp_path):
    # it said "The prior's model '/.../gpt2' is a path relative to the working directory"
    pytest.importorskip("transformers")
    from llm_fixtures import build_gpt2

    from llmboost import LLMBoostClassifier, LLMPrior

    build_gpt2(tmp_path / "gpt2")
    X, y = _data("binary", n=40)
    prior = LLMPrior(str(tmp_path / "gpt2"), dtype="float32", cache_dir=False, progress=False)
    model = LLMBoostClassifier(
        prior=prior, booster_params={"n_estimators": 5}, scale=1.0, cv=2
    ).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    (tmp_path / "gpt2").rename(tmp_path / "moved")
    gone = re.escape(str((tmp_path / "gpt2").resolve()))
    with pytest.raises(FileNotFoundError, match=rf"not on this machine: {gone} does not exist"):
        load(path)


def test_bundled_weights_at_a_relative_path_loaded_from_another_folder_say_so(
    tmp_path, monkeypatch
):
    # the error said the weights were "not on this machine" and to load with the same
    # llmboost version, though they were there
    (tmp_path / "a" / "w").mkdir(parents=True), (tmp_path / "b").mkdir()
    shutil.copy(_bundled_weights(), tmp_path / "a" / "w" / "pfn.pt")
    monkeypatch.chdir(tmp_path / "a")
    X, y = _data("binary", n=60)
    model = _small_pfnboost(BundledPFNPrior(weights="w/pfn.pt", n_ensemble=1)).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    monkeypatch.chdir(tmp_path / "b")
    with pytest.raises(FileNotFoundError) as err:
        load(path)
    assert str(err.value) == (
        "The prior's weights file 'w/pfn.pt' is a path relative to the working directory: "
        f"it was {(tmp_path / 'a' / 'w' / 'pfn.pt').resolve()} when the model was saved, "
        f"and {(tmp_path / 'b').resolve()} has no w/pfn.pt. Load it from the folder it was "
        "saved from, or put the weights file there."
    )
    monkeypatch.chdir(tmp_path / "a")
    np.testing.assert_array_equal(load(path).predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize(
    "value",
    [
        np.datetime64("2020-01-01"),
        np.datetime64(1, "ns"),
        np.timedelta64(3, "D"),
        np.complex128(1j),
    ],
)
def test_numpy_scalars_json_cannot_hold_are_refused_at_save_by_name(tmp_path, value):
    # a day's datetime64 failed in json.dumps without naming the attribute; a
    # nanosecond one was written as a bare integer, which load cannot read back
    X, y = _data("binary", n=80)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    # a scikit-learn parameter: llmboost's own are checked (and refused) before encoding
    model.prior_.estimator.tol = value
    with pytest.raises(TypeError, match=r"model\.prior_\.estimator\.tol: a numpy"):
        save(model, tmp_path / "m.llmboost")


def test_an_index_load_would_refuse_is_refused_at_save(tmp_path):
    # columns chosen by a CategoricalIndex: the file was written, and load refused it
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import StandardScaler

    X, y = _data("binary", n=80)
    columns = pd.CategoricalIndex(["age"])  # a column without missing values
    steps = make_pipeline(
        make_column_transformer((StandardScaler(), columns)), LogisticRegression()
    )
    model = _model("binary", "xgboost", 0.5).set_params(prior=SklearnPrior(steps)).fit(X, y)
    with pytest.raises(
        TypeError, match=r"transformers\[0\]\[2\]: a pandas index of dtype category"
    ):
        save(model, tmp_path / "m.llmboost")
    assert not (tmp_path / "m.llmboost").exists()


def test_a_pandas_index_keeps_its_name(tmp_path):
    # columns chosen by X.columns (named, as after a pivot) loaded without their name:
    # Index(['age'], name='feature') came back as Index(['age'])
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import StandardScaler

    X, y = _data("binary", n=80)
    X.columns.name = "feature"
    age = X.columns[:1]  # a column without missing values
    chosen = [age, age.rename(("a", 1)), age.rename(None)]
    steps = make_pipeline(
        make_column_transformer(*[(StandardScaler(), c) for c in chosen]), LogisticRegression()
    )
    model = _model("binary", "xgboost", 0.5).set_params(prior=SklearnPrior(steps)).fit(X, y)
    loaded = load(save(model, tmp_path / "m.llmboost"))
    columns = [c for _, _, c in loaded.prior_.model_[0].transformers]
    assert [c.name for c in columns] == ["feature", ("a", 1), None]
    assert all(c.equals(d) for c, d in zip(columns, chosen))
    assert np.array_equal(_outputs(loaded, X), _outputs(model, X))
    manifest = _manifest(tmp_path / "m.llmboost")
    _records(manifest, "index")[0]["name"] = {"$": "tuple", "items": [[1]]}
    _rewrite_manifest(tmp_path / "m.llmboost", manifest)
    with pytest.raises(UnsafeFileError, match=r": malformed index name"):
        load(tmp_path / "m.llmboost")


@pytest.mark.parametrize(
    "scale",
    [
        pd.Series([0.5, 1.0, "prior"], index=[3, 1, 2], name="grid"),
        pd.Series([0.25, 1.0], dtype="Float32"),
        pd.array([0.25, 1.0], dtype="Float32"),
        pd.Series([0.5, 1.0]).array,
        pd.Series([0.5, 1.0], index=[False, True]),
        pd.Series([0.5, 1.0], index=pd.Index([0.0, 1.0], name="step")),
    ],
    ids=["series", "nullable-series", "nullable-array", "numpy-backed-array", "bools", "floats"],
)
def test_a_scale_given_as_a_series_or_nullable_array_round_trips(scale, tmp_path):
    # save refused them: "pandas:Series is not a class llmboost saves"; a Series' .array
    # of a numpy dtype (a NumpyExtensionArray), which fit takes too, was refused after
    # that: "a pandas NumpyExtensionArray of dtype float64; use a list, ..."; an index equal
    # to 0, 1, ... (False, True; 0.0, 1.0 named "step") came back as a RangeIndex
    X, y = _data("binary", n=80)
    model = _model("binary", "xgboost", scale).fit(X, y)
    loaded = load(save(model, tmp_path / "m.llmboost"))
    back = loaded.get_params()["scale"]
    assert type(back) is type(scale) and back.dtype == scale.dtype
    if isinstance(scale, pd.Series):
        pd.testing.assert_series_equal(back, scale, check_index_type=True)
    else:
        pd.testing.assert_extension_array_equal(back, scale)
    assert np.array_equal(_outputs(loaded, X), _outputs(model, X))
    manifest = _manifest(tmp_path / "m.llmboost")
    record = _records(manifest, "series" if isinstance(scale, pd.Series) else "extension")[0]
    record["dtype"] = "category"
    _rewrite_manifest(tmp_path / "m.llmboost", manifest)
    with pytest.raises(UnsafeFileError, match=r"model.scale: pandas dtype 'category' is not"):
        load(tmp_path / "m.llmboost")


def test_a_series_of_a_dtype_load_would_refuse_is_refused_at_save(tmp_path):
    X, y = _data("binary", n=80)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    model.set_params(scale=pd.Series([0.5], dtype="category"))
    with pytest.raises(TypeError, match=r"model.scale: a pandas Series of dtype category"):
        save(model, tmp_path / "m.llmboost")


class MyPrior(Prior):
    def _fit(self, X, y):
        pass

    def _logits(self, X):
        return np.zeros((len(X), len(self.classes_)))


def test_a_function_in_a_parameter_is_named_as_a_function_at_save(tmp_path):
    # it said "builtins:function is not a class llmboost saves without pickle"
    def accuracy(estimator, X, y):
        return float(np.mean(estimator.predict(X) == y))

    X, y = _data("binary", n=60)
    model = PriorBoostClassifier(
        prior=LogisticRegression(), booster_params={"n_estimators": 5}, scale=[0, 1.0], cv=2
    )
    model.set_params(scoring=accuracy).fit(X, y)
    with pytest.raises(TypeError) as err:
        save(model, tmp_path / "m.llmboost")
    assert str(err.value).startswith(
        "Cannot store model.scoring: it is a function (test_a_function_in_a_parameter_is_named"
        "_as_a_function_at_save.<locals>.accuracy), whose code a file without pickle cannot hold."
    )
    assert list(tmp_path.iterdir()) == []


def test_a_numpy_function_a_partial_or_a_scorer_is_named_as_a_callable_at_save(tmp_path):
    # each was "numpy:ufunc (functools:partial, ...:_Scorer) is not a class llmboost saves",
    # as if a class had been given
    from functools import partial

    from sklearn.metrics import get_scorer

    X, y = _data("binary", n=60)
    X = X[["age", "income"]].fillna(0)
    clip = partial(np.clip, a_min=-5, a_max=5)
    for func, named in ((np.abs, "absolute"), (clip, "functools.partial(")):
        prior = make_pipeline(FunctionTransformer(func), LogisticRegression())
        model = PriorBoostClassifier(prior=prior, booster_params={"n_estimators": 5}, scale=1.0)
        model.fit(X, y)
        with pytest.raises(TypeError) as err:
            save(model, tmp_path / "m.llmboost")
        assert str(err.value).startswith(
            f"Cannot store model.prior.steps[0][1].func: it is a function ({named}"
        )
    model = PriorBoostClassifier(
        prior=LogisticRegression(), booster_params={"n_estimators": 5}, scale=[0, 1.0], cv=2
    )
    model.set_params(scoring=get_scorer("neg_log_loss")).fit(X, y)
    with pytest.raises(TypeError) as err:
        save(model, tmp_path / "m.llmboost")
    assert str(err.value) == (
        "Cannot store model.scoring: it is a callable _Scorer (make_scorer(log_loss, "
        "greater_is_better=False, response_method='predict_proba')), whose code a file "
        "without pickle cannot hold. Give a text where the parameter takes one (a template, "
        "a scorer's name), or use pickle for this model, only with files you trust."
    )
    assert list(tmp_path.iterdir()) == []


def test_a_callable_in_fitted_state_is_named_by_its_class_at_save(tmp_path):
    # a SplineTransformer's fitted splines are callable data: save called one a callable
    # "whose code a file without pickle cannot hold" and said to give a text for the
    # parameter, though no parameter holds it
    from sklearn.preprocessing import SplineTransformer

    X, y = _data("binary", n=60)
    prior = make_pipeline(SplineTransformer(), LogisticRegression())
    model = PriorBoostClassifier(prior=prior, booster_params={"n_estimators": 5}, scale=1.0)
    model.fit(X[["age"]], y)
    with pytest.raises(TypeError) as err:
        save(model, tmp_path / "m.llmboost")
    assert str(err.value) == (
        "Cannot store model.prior_.model_.steps[0][1].bsplines_[0]: "
        "scipy.interpolate:BSpline is not a class llmboost saves without pickle "
        "(only estimators and adapters of llmboost, sklearn, xgboost, lightgbm). Use pickle "
        "for this model, only with files you trust."
    )


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
    X3, y3 = _data("multiclass", n=90)
    multi_output = {"multi_strategy": "multi_output_tree", "n_estimators": 3}
    X3 = X3.drop(columns="city")  # XGBoost grows no multi-output tree on categories
    trees = PriorBoostClassifier(scale=0, booster_params=multi_output).fit(X3, y3)
    with pytest.raises(TypeError, match="xgboost model tree 0 is a multi-output tree"):
        save(trees, tmp_path / "t.llmboost")  # load would refuse it: save says so
    assert not (tmp_path / "t.llmboost").exists()


@pytest.mark.parametrize(
    "params",
    [
        {"cv": KFold(3, shuffle=True, random_state=0)},
        {"cv": TimeSeriesSplit(3)},
        {"random_state": np.random.RandomState(0)},
        {"prior": BundledPFNPrior(n_ensemble=1, random_state=np.random.RandomState(1))},
    ],
    ids=["KFold", "TimeSeriesSplit", "RandomState", "prior RandomState"],
)
def test_splitters_and_random_states_the_docs_name_are_saved(params, tmp_path):
    # documented values of cv and random_state (a splitter, a numpy RandomState) were
    # refused at save: "Cannot store model.cv: ...KFold is not a class llmboost saves"
    X, y = _data("binary", n=90)
    params = {"prior": LogisticRegression(), "scale": [0, 1], **params}
    model = PriorBoostClassifier(booster_params={"n_estimators": 5}, **params).fit(X, y)
    loaded = load(save(model, tmp_path / "m.llmboost"))
    assert np.array_equal(_outputs(loaded, X), _outputs(model, X))
    assert repr(loaded.cv) == repr(model.cv)
    for before, after in ((model, loaded), (model.prior, loaded.prior)):
        state = getattr(before, "random_state", None)
        if isinstance(state, np.random.RandomState):  # the generator as it was at save
            assert type(after.random_state) is np.random.RandomState
            assert after.random_state.randint(2**31, size=5).tolist() == (
                state.randint(2**31, size=5).tolist()
            )


_KEY = {"$": "objarray", "shape": [624], "items": [1] * 624}  # a generator's key


@pytest.mark.parametrize(
    "items",
    [
        ["MT19937", 1, 2],
        ["MT19937", _KEY, 2**70, 0, 0.0],  # a position beyond C's long: was OverflowError
    ],
)
def test_a_malformed_random_state_is_refused(tmp_path, items):
    root = {"$": "random_state", "state": {"$": "tuple", "items": items}}
    with pytest.raises(UnsafeFileError, match="malformed random state"):
        load(_crafted(tmp_path, root))


def test_metadata_requests_are_saved_and_route_as_before(tmp_path):
    # set_fit_request / set_score_request (metadata routing, to pass sample_weight through
    # a Pipeline or a search) left a MetadataRequest on the model and its prior, which save
    # refused: "Cannot store model.prior._metadata_request: ... is not a class llmboost saves"
    X, y = _data("binary", n=90)
    weight = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        prior = LogisticRegression().set_fit_request(sample_weight=True)
        model = PriorBoostClassifier(prior, scale=[0, 1], booster_params={"n_estimators": 5})
        model.set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
        model.fit(X, y, sample_weight=weight)
        loaded = load(save(model, tmp_path / "m.llmboost"))
        cloned = clone(model).fit(X, y, sample_weight=weight)  # its requests' owner: model
        cloned = load(save(cloned, tmp_path / "c.llmboost"))
        assert np.array_equal(_outputs(loaded, X), _outputs(model, X))
        for other in (loaded, cloned):
            assert str(other.get_metadata_routing()) == str(model.get_metadata_routing())
            assert str(other.prior.get_metadata_routing()) == str(prior.get_metadata_routing())
        search = GridSearchCV(loaded, {"scale": [0, 1]}, cv=2)
        weighted = search.fit(X, y, sample_weight=weight).cv_results_["mean_test_score"]
        plain = search.fit(X, y).cv_results_["mean_test_score"]
        assert not np.allclose(weighted, plain)  # the weights reached fit and score


def test_malformed_metadata_requests_are_refused(tmp_path):
    requests = {"$": "dict", "items": [["fit", {"$": "dict", "items": [["sample_weight", 1.5]]}]]}
    root = {"$": "metadata_request", "owner": "X", "requests": requests}
    with pytest.raises(UnsafeFileError, match="malformed metadata request 'sample_weight'"):
        load(_crafted(tmp_path, root))
    requests = {"$": "dict", "items": [["owner", {"$": "dict", "items": []}]]}
    root = {"$": "metadata_request", "owner": "X", "requests": requests}
    with pytest.raises(UnsafeFileError, match="unknown method 'owner'"):
        load(_crafted(tmp_path, root))


_REFUSED_PRIORS = {  # docs/persistence.md, "What cannot be saved this way"
    "SGDClassifier": (lambda: linear_model.SGDClassifier(loss="log_loss"), "_loss_function_"),
    "Perceptron": (linear_model.Perceptron, "_loss_function_"),
    "PoissonRegressor": (linear_model.PoissonRegressor, "_base_loss"),
    "GammaRegressor": (linear_model.GammaRegressor, "_base_loss"),
    "MLPClassifier": (lambda: MLPClassifier(max_iter=20), "_optimizer"),
    "CalibratedClassifierCV": (
        lambda: CalibratedClassifierCV(LogisticRegression(), cv=2),
        "calibrated_classifiers_",
    ),
}
_SAVED_PRIORS = {
    "SGDRegressor": linear_model.SGDRegressor,
    "MLPClassifier lbfgs": lambda: MLPClassifier(max_iter=20, solver="lbfgs"),
    "KNeighborsClassifier brute": lambda: KNeighborsClassifier(algorithm="brute"),
    "LinearSVC": LinearSVC,
}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # 20 iterations
@pytest.mark.parametrize("name", sorted(_REFUSED_PRIORS) + sorted(_SAVED_PRIORS))
def test_the_priors_the_docs_say_cannot_be_saved_are_refused_and_the_others_saved(name, tmp_path):
    # the docs said linear models work; SGD-trained ones and GLMs keep loss objects
    make, attribute = _REFUSED_PRIORS.get(name, (_SAVED_PRIORS.get(name), None))
    prior = make()
    task = "regression" if is_regressor(prior) else "binary"
    X, y = _data(task, n=60)
    if task == "regression":
        y = np.abs(y) + 1.0  # Poisson and gamma targets are positive
    cls = PriorBoostRegressor if task == "regression" else PriorBoostClassifier
    model = cls(prior, scale=1.0, cv=2, booster_params={"n_estimators": 2}).fit(X, y)
    if attribute is not None:
        with pytest.raises(TypeError, match=rf"model\.prior_\..*\.{attribute}"):
            save(model, tmp_path / "m.llmboost")
    else:
        loaded = load(save(model, tmp_path / "m.llmboost"))
        assert np.array_equal(_outputs(loaded, X), _outputs(model, X))


def test_lightgbm_interaction_constraints_by_name_load_again(tmp_path):
    # LightGBM wrote the names into its model text ("[interaction_constraints: [age,income]]")
    # and could not read it back: save succeeded and load failed with "boosters/N.txt is not
    # a LightGBM model load accepts: Expecting value: line 1 column 1267"
    X, y = _data("binary", n=120)
    by_name = {"interaction_constraints": [["age", "income"], ["city"]], "n_estimators": 5}
    by_position = {"interaction_constraints": [[0, 1], [2]], "n_estimators": 5}
    fitted = [
        PriorBoostClassifier(booster="lightgbm", booster_params=p, scale=1.0, random_state=0).fit(
            X, y
        )
        for p in (by_name, by_position)
    ]
    assert np.array_equal(_outputs(fitted[0], X), _outputs(fitted[1], X))
    loaded = load(save(fitted[0], tmp_path / "m.llmboost"))
    assert np.array_equal(_outputs(loaded, X), _outputs(fitted[0], X))
    assert loaded.best_params_ == by_name


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


def _edit_state(path, keys, value):
    """Set a value of a saved file's model.json: object attributes by name, list and
    named tuple items by position."""
    manifest = _manifest(path)
    node, parent, key = manifest["root"], None, None
    for k in keys:
        if isinstance(k, str):
            pairs = node["state"]
            parent, key = pairs[[name for name, _ in pairs].index(k)], 1
        else:
            parent, key = (node["items"] if isinstance(node, dict) else node), k
        node = parent[key]
    parent[key] = value
    _rewrite_manifest(path, manifest)


_DICT = {"$": "dict", "items": []}


@pytest.fixture(scope="module")
def pfn_file(tmp_path_factory):
    X, y = _data("binary", n=80)
    model = _small_pfnboost(BundledPFNPrior(n_ensemble=1)).fit(X, y)
    return save(model, tmp_path_factory.mktemp("pfn") / "m.llmboost"), X


@pytest.mark.parametrize(
    "keys, value, message",
    [  # what each did before: on load, or only at predict
        (["prior_", "weights"], 5, "prior_: BundledPFNPrior: weights must be a path"),  # TypeError
        (["prior", "n_ensemble"], "x", "prior: BundledPFNPrior: n_ensemble must be"),
        (["prior_", "softmax_temperature"], None, "prior_: BundledPFNPrior: softmax_tempera"),
        (["prior_", "max_features"], -1, "prior_: BundledPFNPrior: max_features must be"),
        (["scale"], "bogus", "model: scale="),  # loaded, unused
        (["feature_names_in_"], 5, "model: feature_names_in_ is 5, not a 1-D array of col"),
        (["n_features_in_"], "x", "model: n_features_in_ is 'x', not an integer >= 1"),
        (["prior_", "ignored_columns_"], 5, "prior_: ignored_columns_ is 5, not a 1-D array"),
        (["n_features_in_"], 4, "model: feature_names_in_ has 3 names for 4 features"),
        (["classes_"], 1.5, "model: classes_ is 1.5, not a 1-D array of distinct classes"),
        (["categories_"], 5, "model: categories_ is 5, not a dict of pandas indexes"),
        (["prior_"], 5, "model: prior_ is 5, not a fitted Prior or None"),
        (["prior_"], None, "model: prior_ is None, but members_ start from the prior"),
        (["categories_"], _DICT, "model: categories_ (none) are not prior_.categories_ (city)"),
        (["prior_", "categories_"], _DICT, "categories_ (city) are not prior_.categories_ (none"),
        (["prior_", "contexts_"], 5, "prior_: contexts_ is 5, not a list of arrays"),
        (["prior_", "seed_"], -1, "prior_: seed_ is -1, not an integer >= 0"),
        (["prior_", "context_size_"], _DICT, "prior_: context_size_ is {}, not an integer"),
        (["members_", 0, 1], 0, "model: members_ is [FusionMember(scale=1.0, n_rounds=0,"),
        (["members_", 0, 3, "unit_"], "x", "[3]: unit_ is 'x', not a positive number"),
        (["members_", 0, 3, "n_rounds_"], 1.5, "[3]: n_rounds_ is 1.5, not an integer >= 0"),
        (["members_", 0, 3, "model_"], None, "[3]: model_ is None, not a fitted estimator"),
        (["prior_", "device"], "gpu", "prior_: device is 'gpu', not a device a prior scores on: "),
        (["prior", "device"], "cuda:x", "prior: device is 'cuda:x', not a device a prior scores"),
        (["prior_", "device"], "meta", "prior_: device is 'meta', not a device a prior scores on"),
    ],
)
def test_crafted_parameters_and_fitted_values_are_refused_at_load(
    pfn_file, tmp_path, keys, value, message
):
    # each loaded and failed only at predict (a TypeError, AttributeError or worse), or
    # raised a bare TypeError as the prior's weights were checked
    path = tmp_path / "crafted.llmboost"
    shutil.copy(pfn_file[0], path)
    _edit_state(path, keys, value)
    with pytest.raises(UnsafeFileError, match=re.escape(message)):
        load(path)
    shutil.copy(pfn_file[0], path)  # the file as saved loads and predicts
    load(path).predict(pfn_file[1])


class _Uniterable(np.ndarray):
    def __iter__(self):  # a check that loops over the names in Python
        raise AssertionError("iterated in Python")

    def __contains__(self, item):  # a search of every name, once per name
        raise AssertionError("searched for one name")


@pytest.mark.parametrize("bad", [None, 1, np.nan, b"age", pd.NA])
def test_column_names_are_checked_at_load_without_a_python_loop(bad):
    # each name was tested with isinstance in a Python loop: 2.4 s per 10 million names
    from llmboost._load_checks import check_built

    X, y = _data("binary", n=60)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    names = np.array(["age", np.str_("income"), "city"], dtype=object)
    model.feature_names_in_ = names.view(_Uniterable)
    check_built(model)  # text, a numpy str too
    model.feature_names_in_ = names.astype(str).view(_Uniterable)
    check_built(model)
    names[1] = bad
    model.feature_names_in_ = names.view(_Uniterable)
    with pytest.raises(ValueError, match=r"^feature_names_in_ is .*, not a 1-D array of column"):
        check_built(model)


def test_categories_are_matched_to_the_column_names_at_load_without_a_search_per_name():
    # each category column was searched for in feature_names_in_: 6.9 s for 20,000
    from llmboost._load_checks import check_built

    X, y = _data("binary", n=60)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    assert list(model.categories_) == ["city"]
    names = model.feature_names_in_.astype(object)
    model.feature_names_in_ = names.view(_Uniterable)
    check_built(model)
    model.feature_names_in_ = np.array(["age", "income", "town"], dtype=object)
    with pytest.raises(ValueError, match=r"^categories_ names .city., not one of feature_names"):
        check_built(model)


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("task, other", [("binary", "multiclass"), ("multiclass", "binary")])
def test_trees_of_another_class_count_are_refused_at_load(booster, task, other, tmp_path):
    # a file whose trees were another model's loaded, then predict failed: XGBoost's
    # "Check failed: margin.Shape(1) == n_groups (1 vs. 3)" with its C++ stack trace, or
    # numpy's "operands could not be broadcast together with shapes (80,3) (80,)"
    X, y = _data(task, n=80)
    path = save(_model(task, booster, 0.5).fit(X, y), tmp_path / "m.llmboost")
    X2, y2 = _data(other, n=80)
    donor = zipfile.ZipFile(save(_model(other, booster, 0.5).fit(X2, y2), tmp_path / "o.llmb"))
    trees = donor.read(next(n for n in donor.namelist() if n.startswith("boosters/")))
    entries = {n: zipfile.ZipFile(path).read(n) for n in zipfile.ZipFile(path).namelist()}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, trees if name.startswith("boosters/") else data)
    wanted, got = (3, 1) if task == "multiclass" else (1, 3)
    with pytest.raises(
        UnsafeFileError,
        match=rf"^{re.escape(str(path))}: model: members_\[0\]'s "
        rf"trees give {got} margin\(s\) per row, not the {wanted} of a model of",
    ):
        load(path)


@pytest.fixture(scope="module")
def prior_files(tmp_path_factory):
    """Saved models of a language-model prior and a TabPFN prior, by name."""
    pytest.importorskip("transformers")
    pytest.importorskip("tabpfn")
    from llm_fixtures import build_gpt2
    from tabpfn_fixtures import build_checkpoint

    from llmboost import LLMBoostClassifier, LLMPrior, TabPFNPrior

    folder = tmp_path_factory.mktemp("priors")
    X, y = _data("binary", n=40)
    llm = LLMPrior(str(build_gpt2(folder / "gpt2")), cache_dir=False, progress=False)
    tabpfn = TabPFNPrior(model_path=build_checkpoint(folder / "tiny.ckpt"), n_estimators=1)
    models = {
        "llm": LLMBoostClassifier(prior=llm, booster_params={"n_estimators": 3}, cv=2),
        "tabpfn": PFNBoostClassifier(prior=tabpfn, booster_params={"n_estimators": 3}, cv=2),
    }
    return {k: save(m.set_params(scale=1.0).fit(X, y), folder / k) for k, m in models.items()}


@pytest.mark.parametrize(
    "name, keys, value, message",
    [
        ("llm", ["prior_", "class_texts_"], None, "prior_: class_texts_ is None, not texts"),
        (
            "llm",
            ["prior_", "class_texts_"],
            ["no"],
            "prior_: class_texts_ has length 1, classes_ 2",
        ),
        ("llm", ["prior_", "shots_"], [1], "prior_: shots_ is [1], not None or a list of"),
        ("tabpfn", ["prior_", "context_X_"], None, "prior_: context_X_ is None, not a 2-D"),
        ("tabpfn", ["prior_", "context_y_"], "x", "prior_: context_y_ is 'x', not a 1-D array"),
    ],
)
def test_crafted_fitted_values_of_other_priors_are_refused_at_load(
    prior_files, tmp_path, name, keys, value, message
):
    # each loaded and raised TypeError, AttributeError or KeyError at predict
    path = tmp_path / "crafted.llmboost"
    shutil.copy(prior_files[name], path)
    _edit_state(path, keys, value)
    with pytest.raises(UnsafeFileError, match=re.escape(message)):
        load(path)


def test_a_prior_device_this_machine_lacks_loads_and_is_named_at_predict(pfn_file, tmp_path):
    # a model fitted on a GPU loads on a CPU-only machine: scoring says how to move it
    path, X = tmp_path / "gpu.llmboost", pfn_file[1]
    shutil.copy(pfn_file[0], path)
    _edit_state(path, ["prior_", "device"], "cuda:0")
    loaded = load(path)
    if not _cuda_visible():
        with pytest.raises(ValueError, match=r"set_params\(device='cpu'\)"):
            loaded.predict(X)
    loaded.prior_.set_params(device="cpu")
    np.testing.assert_array_equal(loaded.predict_proba(X), load(pfn_file[0]).predict_proba(X))


def _cuda_visible() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.mark.parametrize("device", ["gpu", "cuda:x"])
def test_a_prior_device_set_to_an_unknown_name_after_the_fit_is_refused_at_save(device, tmp_path):
    X, y = _data("binary", n=80)
    model = _small_pfnboost(BundledPFNPrior(n_ensemble=1)).fit(X, y)
    model.prior_.set_params(device=device)
    with pytest.raises(ValueError, match=f"Cannot store model.prior_: device is '{device}', not"):
        save(model, tmp_path / "m.llmboost")


@pytest.mark.parametrize(
    "attribute, array, message",
    [  # IndexError at predict; a negative row predicted from other rows without a word
        ("contexts_", [0, 1, 10**6], "contexts_[0] is not a 1-D array of row numbers below 80"),
        ("contexts_", [-5, 1], "contexts_[0] is not a 1-D array of row numbers below 80"),
        ("contexts_", [0.5, 1.0], "contexts_[0] is not a 1-D array of row numbers below 80"),
        ("codes_", [0, -1], "codes_[0] is not a 1-D array of group numbers (from 0)"),
        ("codes_", [[0, 1]], "codes_[0] has length 1, classes_ 2"),
    ],
)
def test_a_bundled_pfn_context_of_other_rows_is_refused_at_load(
    pfn_file, tmp_path, attribute, array, message
):
    prior = dict(_manifest(pfn_file[0])["root"]["state"])["prior_"]
    name = dict(prior["state"])[attribute][0]["file"]
    buffer = io.BytesIO()
    np.save(buffer, np.array(array))
    crafted = _replace_entry(pfn_file[0], tmp_path / "c.llmboost", name, buffer.getvalue())
    with pytest.raises(UnsafeFileError, match=re.escape(f"model.prior_: {message}")):
        load(crafted)


def test_a_parameter_set_out_of_range_after_the_fit_is_refused_at_save(tmp_path):
    # the file was written, and load then refused it
    X, y = _data("binary", n=80)
    model = _model("binary", "xgboost", 0.5).fit(X, y).set_params(n_trials=-1)
    with pytest.raises(ValueError) as err:
        save(model, tmp_path / "m.llmboost")
    assert str(err.value) == (
        "Cannot store model: PriorBoostClassifier: n_trials must be an integer >= 0, got -1; "
        "load would refuse it. Set a valid value (and refit if the fit depends on it)."
    )
    assert list(tmp_path.iterdir()) == []


def _drop_parameter(path, class_name: str, parameter: str) -> None:
    """Rewrite the model file at ``path`` without ``parameter`` of each ``class_name``."""
    manifest = _manifest(path)

    def drop(node):
        if isinstance(node, dict):
            if node.get("class", "").endswith(f":{class_name}"):
                node["state"] = [p for p in node["state"] if p[0] != parameter]
            for child in node.values():
                drop(child)
        elif isinstance(node, list):
            for child in node:
                drop(child)

    drop(manifest)
    _rewrite_manifest(path, manifest)


@pytest.mark.parametrize(
    "task, dropped, before",  # what load did with the file before
    [
        ("binary", ["prior_"], "AttributeError: no attribute 'prior_'"),
        ("binary", ["classes_"], "loaded; predict: logits of shape (80, 2); expected (80, 0)"),
        ("regression", ["n_features_in_", "members_", "booster_"], "loaded; failed at predict"),
    ],
)
def test_a_file_of_an_estimator_without_its_fitted_attributes_is_refused(
    tmp_path, task, dropped, before
):
    X, y = _data(task, n=80)
    path = save(_model(task, "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    manifest = _manifest(path)
    state = manifest["root"]["state"]
    manifest["root"]["state"] = [pair for pair in state if pair[0] not in dropped]
    _rewrite_manifest(path, manifest)
    missing = ", ".join(name for name in dropped if name != "booster_")
    cls = "PriorBoostRegressor" if task == "regression" else "PriorBoostClassifier"
    with pytest.raises(UnsafeFileError) as err:
        load(path)
    assert str(err.value) == (
        f"{path} holds a {cls} without the fitted attribute(s) {missing} that every fit "
        "sets: not a fitted model (a damaged or edited file); save it again from the fitted "
        "model."
    )


def test_files_missing_a_parameter_of_this_version_are_refused_clearly(tmp_path):
    # the refusal said only "refit the model", not why the parameter's default would not do
    X, y = _data("binary", n=80)
    path = save(_small_pfnboost(BundledPFNPrior(n_ensemble=2)).fit(X, y), tmp_path / "m.llmb")
    _drop_parameter(path, "BundledPFNPrior", "principal_components")  # as saved before it
    _drop_parameter(path, "BundledPFNPrior", "max_features")
    with pytest.raises(ValueError) as err:
        load(path)
    assert "saved without the parameter(s) max_features, principal_components, which" in str(
        err.value
    )
    assert (
        "(a file from an older llmboost). max_features was added since: its default, 50, reads "
        "a table of more columns in parts. principal_components was added since: its default, "
        "True, reads the numeric columns as their principal components every other pass. "
        "Refit the model, or load the file with the llmboost that saved it."
    ) in str(err.value)


DATA = Path(ROOT, "tests", "data")


def test_a_file_from_before_the_device_and_n_jobs_parameters_loads_and_predicts_as_it_did():
    # written by llmboost before PriorBoost estimators had device (89e6490^): PriorBoost-
    # Classifier(prior=SklearnPrior(LogisticRegression()), scale=0.5, cv=2, random_state=0,
    # booster_params={"n_estimators": 3, "max_depth": 2}) fitted on these rows with
    # y = a + b > 0 as "yes"/"no", and its predict_proba. It was refused: "saved without
    # the parameter(s) device ...; refit the model"
    rng = np.random.default_rng(0)  # the rows the file's model was fitted and scored on
    X = pd.DataFrame({"a": rng.normal(size=40).round(2), "b": rng.normal(size=40).round(2)})
    with warnings.catch_warnings():  # another llmboost or XGBoost here: 3 trees as before
        warnings.simplefilter("ignore", InconsistentVersionWarning)
        model = load(DATA / "prior_boost_before_device.llmboost")
    assert model.get_params()["device"] is None and model.get_params()["n_jobs"] is None
    # the prior's float64 margin may differ in its last bit on another CPU and then round
    # to a neighbouring float32 in XGBoost's margin: 1e-6 is a few float32 steps of 1
    np.testing.assert_allclose(
        model.predict_proba(X),
        np.load(DATA / "prior_boost_before_device.proba.npy"),
        rtol=0,
        atol=1e-6,
    )


def test_a_file_from_before_n_jobs_loads_with_its_default(tmp_path):
    # n_jobs runs the fit's search only: without it, the model predicts as it did
    X, y = _data("binary", n=80)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    for name in ("n_jobs", "device"):
        _drop_parameter(path, "PriorBoostClassifier", name)
    loaded = load(path)
    assert loaded.n_jobs is None and loaded.device is None
    assert np.array_equal(_outputs(loaded, X), _outputs(model, X))


def test_a_parameter_missing_from_a_library_class_names_the_library_and_its_version(tmp_path):
    # "which this version has (a file from an older version)" sent users of a newer
    # scikit-learn to an older llmboost, though llmboost's version had not changed
    import llmboost

    X, y = _data("binary", n=80)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    _drop_parameter(path, "LogisticRegression", "C")  # as an older scikit-learn saved it
    with pytest.raises(ValueError) as err:
        load(path)
    assert str(err.value).endswith(
        f"this LogisticRegression was saved without the parameter(s) C, which scikit-learn "
        f"{sklearn.__version__} has (a file from an older scikit-learn). Refit the model, "
        "or load the file with the scikit-learn that saved it."
    )
    path = save(_small_pfnboost(BundledPFNPrior(n_ensemble=2)).fit(X, y), tmp_path / "p.llmb")
    _drop_parameter(path, "BundledPFNPrior", "principal_components")
    with pytest.raises(ValueError, match=f"which llmboost {llmboost.__version__} has \\(a file"):
        load(path)


def test_files_with_a_parameter_this_version_lacks_are_refused_clearly(tmp_path):
    # as a newer version with a parameter this one does not know wrote it: loaded, the
    # parameter was dropped without a word, and with it what it did to the predictions
    X, y = _data("binary", n=80)
    path = save(_small_pfnboost(BundledPFNPrior(n_ensemble=2)).fit(X, y), tmp_path / "m.llmb")
    manifest = _manifest(path)
    manifest["root"]["state"].append(["monotone_prior", True])
    _rewrite_manifest(path, manifest)
    with pytest.raises(ValueError, match="saved with the parameter.s. monotone_prior, which"):
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
    with pytest.raises(UnsafeFileError, match="is a pickle .* not a file save wrote"):
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
    # a well-formed file whose root is not an estimator: it said "does not hold a
    # llmboost estimator", not what it held
    path = _crafted(tmp_path, [1, 2, 3])
    with pytest.raises(UnsafeFileError) as err:
        load(path)
    assert str(err.value) == f"{path} holds a list, not an llmboost estimator."
    assert not marker.exists()


_ONE = {"$": "objarray", "shape": [1], "items": [1]}


@pytest.mark.parametrize(
    "root",
    [
        {"$": "scalar", "dtype": "int8", "value": 1000},  # was OverflowError
        {"$": "scalar", "dtype": "int8", "value": None},  # was TypeError
        {"$": "scalar", "dtype": "float64", "value": {"a": 1}},
        {"$": "scalar", "dtype": "float64", "value": None},  # was nan
        {"$": "scalar", "dtype": "float64", "value": [1, 2]},  # was an array
        {"$": "scalar", "dtype": "<U4", "value": None},  # was 'None'
        {"$": "path"},  # was Path('None')
        {"$": "path", "value": [1]},  # was Path('[1]')
        {"$": "objarray", "shape": ["a"], "items": [1]},  # was numpy's UFuncTypeError
        {"$": "objarray", "shape": [None], "items": [1]},
        {"$": "objarray", "shape": [0, 10**30], "items": []},
        {"$": "index", "dtype": "int64", "values": {"$": "objarray", "shape": [1], "items": ["x"]}},
        {"$": "namedtuple", "id": 0, "class": "llmboost.scale_search:FusionMember", "items": [1]},
        {"$": "dict", "items": [[{"$": "tuple", "items": [[1]]}, 2]]},  # a key holding a list
        {"$": "dict", "items": [[{"$": "index", "dtype": "int64", "values": _ONE}, 2]]},
        {"$": "masked", "data": _ONE, "mask": _ONE},  # a mask that is not of booleans
        {"$": "masked", "data": _ONE, "mask": 1},
    ],
)
def test_malformed_records_are_refused_as_unsafe(tmp_path, root):
    # \b: "malformed" alone matched this test's own name in the file's path
    with pytest.raises(UnsafeFileError, match=r"\bmalformed"):
        load(_crafted(tmp_path, root))


@pytest.mark.parametrize(
    "shape, items",
    [
        ([10**4000] * 100 + [0], []),  # math.prod of 500 such sizes took 18 s, more hours
        ([2**63, 0], []),  # past numpy's sizes
        ([1] * 65, [1]),  # past numpy's 64 dimensions
    ],
    ids=["huge sizes", "past int64", "65 dimensions"],
)
def test_an_object_array_shape_numpy_cannot_have_is_refused_unmultiplied(tmp_path, shape, items):
    root = {"$": "objarray", "shape": shape, "items": items}
    with pytest.raises(UnsafeFileError, match=r": malformed object array shape \["):
        load(_crafted(tmp_path, root))


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _peak_bytes(call) -> int:
    """The most memory Python allocated while ``call()`` raised ``UnsafeFileError``."""
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(UnsafeFileError):
            call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_arrays_load_checks_are_not_turned_into_python_objects(tmp_path):
    # an index's values from a 2 MB int8 array made 16 MB of object pointers (1 GB: 8 GB),
    # and classes_ of 16 MB of text took 170 MB to check (pd.unique made Python strings)
    codes = {"arrays/0.npy": _npy(np.zeros(2 * 10**6, np.int8))}
    root = {"$": "index", "dtype": "object", "values": {"$": "array", "file": "arrays/0.npy"}}
    path = _crafted(tmp_path, root, codes)
    assert _peak_bytes(lambda: load(path)) < 8 * 10**6  # the entry read, then refused
    with pytest.raises(UnsafeFileError, match=r": malformed index\.$"):
        load(path)
    X, y = _data("binary", n=60)
    saved = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    state = dict(_manifest(saved)["root"]["state"])
    texts = np.full(2 * 10**6, "ab")  # 16 MB, no class distinct
    bad = _replace_entry(saved, tmp_path / "bad.llmboost", state["classes_"]["file"], _npy(texts))
    assert _peak_bytes(lambda: load(bad)) < 4 * texts.nbytes  # the entry, the array, a sort
    with pytest.raises(UnsafeFileError, match=r"(?s)classes_ is .*, not a 1-D array of distinct"):
        load(bad)


@pytest.mark.parametrize(
    "root, message",
    [
        ({"$": "index", "dtype": {}, "values": _ONE}, "index dtype {} is not allowed"),
        ({"$": "ref", "id": []}, "reference to an unknown object"),
    ],
)
def test_records_with_unhashable_values_are_refused_as_unsafe(tmp_path, root, message):
    # a dict or list where a name or number belongs raised "unhashable type"
    with pytest.raises(UnsafeFileError, match=re.escape(message)):
        load(_crafted(tmp_path, root))


@pytest.mark.parametrize(
    "key, value", [("needs_files", {"a": 1}), ("needs_files", [1]), ("weights_fingerprints", True)]
)
def test_a_manifest_listing_weights_files_as_anything_but_text_is_unsafe(tmp_path, key, value):
    # TypeError ("object of type 'bool' has no len()"), or a FileNotFoundError for "a"
    X, y = _data("binary", n=80)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    manifest = _manifest(path)
    manifest[key] = value
    _rewrite_manifest(path, manifest)
    with pytest.raises(UnsafeFileError) as err:
        load(path)
    assert str(err.value) == f"{path}: model.json's {key} is not a list of text: {value!r}."


@pytest.mark.parametrize(
    "value",
    [
        ["torch"],
        {"torch": 2},
        {"": "1.0"},
        {"torch --index-url https://example.com/simple": "1.0"},  # was in the pip command
        {"-r requirements.txt": "1.0"},
    ],
)
def test_a_manifest_whose_library_versions_are_not_text_is_unsafe(tmp_path, value):
    X, y = _data("binary", n=80)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    manifest = _manifest(path)
    manifest["library_versions"] = value
    _rewrite_manifest(path, manifest)
    with pytest.raises(UnsafeFileError) as err:
        load(path)
    assert str(err.value) == (  # {"": "1.0"}: ValueError "A distribution name is required."
        f"{path}: model.json's library_versions is not a dict of library names and versions "
        f"(text): {value!r}."
    )


def test_a_manifest_listing_implausibly_many_library_versions_is_unsafe(tmp_path):
    # each name was looked up among the installed packages (0.4 ms each): 200,000 of them
    # (a 5 MB model.json) took about 90 s and gave as many warnings
    X, y = _data("binary", n=80)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    manifest = _manifest(path)
    manifest["library_versions"] = {f"library-{i}": "1.0" for i in range(65)}
    _rewrite_manifest(path, manifest)
    with pytest.raises(UnsafeFileError) as err:
        load(path)
    assert str(err.value) == (
        f"{path}: model.json lists 65 library versions, more than the 64 any model "
        "llmboost writes has: not a model llmboost wrote."
    )


def test_a_zip_without_model_json_is_named_as_one(tmp_path):
    # "has no readable model.json (KeyError(\"There is no item named 'model.json' in the
    # archive\"))"
    path = tmp_path / "m.llmboost"
    with zipfile.ZipFile(path, "w") as archive:
        for name in ("a.csv", "b.csv", "c.csv", "d.csv"):
            archive.writestr(name, "x")
    with pytest.raises(UnsafeFileError) as err:
        load(path)
    assert str(err.value) == (
        f"{path} is a zip file without model.json (entries: a.csv, b.csv, c.csv, ...), not "
        "an llmboost model file: load reads the files save writes."
    )
    zipfile.ZipFile(path, "w").close()
    with pytest.raises(UnsafeFileError, match=r"without model.json \(no entries\), not an"):
        load(path)


def test_deeply_nested_files_are_refused_as_unsafe(tmp_path):
    # a crafted model.json nested past Python's recursion limit raised RecursionError,
    # from json (lists) or from the reader (tuples: several calls per level)
    path = tmp_path / "deep.llmboost"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model.json", "[" * 100_000 + "]" * 100_000)
    with pytest.raises(UnsafeFileError, match="no readable model.json"):
        load(path)
    root = {"$": "tuple", "items": []}
    for _ in range(450):
        root = {"$": "tuple", "items": [root]}
    with pytest.raises(UnsafeFileError, match="nested too deeply"):
        load(_crafted(tmp_path, root))


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


# -- damaged or crafted booster and array entries -----------------------------------------
def _replace_entry(path, out, name, data):
    """Copy the saved file ``path`` to ``out`` with the entry ``name`` replaced by ``data``."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for entry in src.namelist():
            dst.writestr(entry, data if entry == name else src.read(entry))
    return out


def _entries(path, suffix):
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n.endswith(suffix)}


def _load_each_in_a_subprocess(paths):
    """Load every file in one child process: a crash there fails the test, not pytest.

    Returns ``{path: "loaded"}`` or ``{path: "UnsafeFileError: <message>"}``.
    """
    code = (
        "import sys; from llmboost.persistence import UnsafeFileError, load\n"
        "for path in sys.argv[1:]:\n"
        "    try:\n"
        "        load(path); print(path, 'loaded', flush=True)\n"
        "    except UnsafeFileError as exc:\n"
        "        print(path, 'UnsafeFileError:', str(exc).replace('\\n', ' '), flush=True)\n"
    )
    env = {**os.environ, "PYTHONPATH": ROOT}
    run = subprocess.run(
        [sys.executable, "-c", code, *map(str, paths)], capture_output=True, text=True, env=env
    )
    assert run.returncode == 0, f"load crashed (exit {run.returncode}):\n{run.stderr[-3000:]}"
    return dict(line.split(" ", 1) for line in run.stdout.splitlines())


def _resized(text: bytes) -> bytes:
    """``tree_sizes`` recomputed from the tree blocks, as a crafted file would have them."""
    start, end = text.index(b"\nTree=") + 1, text.index(b"end of trees")
    blocks = re.split(rb"(?m)^(?=Tree=)", text[start:end])
    sizes = b" ".join(b"%d" % len(b) for b in blocks if b)
    return re.sub(rb"(?m)^tree_sizes=.*$", b"tree_sizes=" + sizes, text, count=1)


def _shorten_an_array(text: bytes, keep_sizes: bool) -> bytes:
    """The model with the last child of a split dropped; with ``keep_sizes=False`` its
    ``tree_sizes`` still match (a crafted file rather than a damaged one)."""
    short = re.sub(rb"(?m)^(left_child=.*) \S+$", rb"\1", text, count=1)
    return short if keep_sizes else _resized(short)


def test_damaged_booster_entries_are_refused_without_a_crash(tmp_path):
    X, y = _data("binary", n=120)
    lgb_path = save(_model("binary", "lightgbm", 0.5).fit(X, y), tmp_path / "lgb.llmboost")
    xgb_path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "xgb.llmboost")
    (lgb_name, text), *_ = _entries(lgb_path, ".txt").items()
    (xgb_name, ubj), *_ = _entries(xgb_path, ".ubj").items()
    damaged = {
        lgb_name: {
            "lgb10": text[: len(text) // 10],
            "lgb50": text[: len(text) // 2],
            "lgb90": text[: len(text) * 9 // 10],
            "lgb_array": _shorten_an_array(text, keep_sizes=True),
            "lgb_array_sized": _shorten_an_array(text, keep_sizes=False),
            "lgb_garbage": b"tree\nversion=v4\n" + bytes(range(32, 127)) * 20,
        },
        xgb_name: {
            "xgb_empty": b"",
            "xgb50": ubj[: len(ubj) // 2],
            "xgb_garbage": b"{L" + np.random.default_rng(0).bytes(3000),
        },
    }
    files = {}
    for name, variants in damaged.items():
        source = lgb_path if name == lgb_name else xgb_path
        for case, data in variants.items():
            files[case] = _replace_entry(source, tmp_path / f"{case}.llmboost", name, data)
    results = _load_each_in_a_subprocess([lgb_path, xgb_path, *files.values()])
    assert results[str(lgb_path)] == results[str(xgb_path)] == "loaded"
    for case, path in files.items():
        name = lgb_name if case.startswith("lgb") else xgb_name
        library = "a LightGBM" if case.startswith("lgb") else "an XGBoost"
        message = results[str(path)]
        assert message.startswith("UnsafeFileError:"), (case, message)
        assert f"{name} is not {library} model load accepts" in message, (case, message)
        assert "Stack trace" not in message and "[bt]" not in message, (case, message)
    assert "truncated" in results[str(files["lgb50"])]
    assert "tree_sizes" in results[str(files["lgb_array"])]
    assert "left_child has" in results[str(files["lgb_array_sized"])]


def test_a_damaged_npy_entry_is_named_and_not_called_pickled(tmp_path):
    X, y = _data("binary", n=80)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    name, data = next(iter(_entries(path, ".npy").items()))
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    cases = {
        b"not an array at all": "is not a valid .npy array",
        data[: len(data) - 3]: "is not a valid .npy array",
        data[:8]: "is not a valid .npy array",
        buffer.getvalue(): r"holds pickled \(object\) data",
    }
    for bad, message in cases.items():
        damaged = _replace_entry(path, tmp_path / "bad.llmboost", name, bad)
        with pytest.raises(UnsafeFileError, match=rf"{name} {message}") as info:
            load(damaged)
        if "pickled" not in message:  # garbage is not reported as pickled data
            assert "pickle" not in str(info.value)


def test_an_npy_entry_of_items_without_bytes_is_refused(tmp_path):
    # a header saying 10**12 items of dtype <U0 (0 bytes each) loaded with no data: as
    # classes_, predict expected 10**12 columns; checked, it asked for 7.28 TiB
    X, y = _data("binary", n=80)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    name = next(iter(_entries(path, ".npy")))
    buffer = io.BytesIO()
    header = {"descr": "<U0", "fortran_order": False, "shape": (10**12,)}
    np.lib.format.write_array_header_1_0(buffer, header)
    damaged = _replace_entry(path, tmp_path / "bad.llmboost", name, buffer.getvalue())
    with pytest.raises(UnsafeFileError) as err:
        load(damaged)
    assert str(err.value).endswith(
        f"{name} holds an array of dtype <U0, which load does not build."
    )


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_a_library_error_becomes_a_short_unsafe_file_error(tmp_path, monkeypatch, library):
    X, y = _data("binary", n=80)
    path = save(_model("binary", library, 0.5).fit(X, y), tmp_path / "m.llmboost")
    module = pytest.importorskip(library)
    error = module.core.XGBoostError if library == "xgboost" else module.basic.LightGBMError

    def refuse(*args, **kwargs):
        raise error(
            "[10:20:30] /workspace/src/learner.cc:42: Check failed: boom\n"
            "Stack trace:\n  [bt] (0) libxgboost.so(+0x1) [0x7f]\n"
        )

    monkeypatch.setattr(module, "Booster", refuse)
    with pytest.raises(UnsafeFileError, match=r"boosters/\d+\.\w+ is not an? \w+ model") as info:
        load(path)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    message = str(info.value)
    assert "boom" in message and "Stack trace" not in message and "[bt]" not in message


@pytest.fixture(scope="module")
def lightgbm_text():
    """A small LightGBM model with numeric and categorical splits, as text."""
    lgb = pytest.importorskip("lightgbm")
    X, _ = _data("regression", n=200)
    y = X["age"] + 2 * (X["city"] == "y")
    params = {"n_estimators": 3, "num_leaves": 4, "min_child_samples": 5, "verbose": -1}
    booster = lgb.LGBMRegressor(**params).fit(X, y).booster_
    return booster.model_to_string(num_iteration=-1).encode()


def _tree_line(text: bytes, key: bytes, edit) -> bytes:
    """The model with the first ``key=`` line of a tree passed through ``edit``."""
    line = re.search(rb"(?m)^" + key + rb"=(.*)$", text)
    tokens = line.group(1).split(b" ")
    return _resized(text[: line.start(1)] + b" ".join(edit(tokens)) + text[line.end(1) :])


def _first_categorical_split(text: bytes):
    tree = text[text.index(b"num_cat=1") :]
    decisions = re.search(rb"decision_type=(.*)", tree).group(1).split(b" ")
    return text.index(b"num_cat=1"), next(i for i, d in enumerate(decisions) if int(d) & 1)


def _categorical_threshold(text: bytes, value: bytes) -> bytes:
    at, node = _first_categorical_split(text)
    line = re.search(rb"(?m)^threshold=(.*)$", text[at:])
    tokens = line.group(1).split(b" ")
    tokens[node] = value
    start, end = at + line.start(1), at + line.end(1)
    return _resized(text[:start] + b" ".join(tokens) + text[end:])


LIGHTGBM_CRAFTED = {
    "root is its own child": (
        lambda t: _tree_line(t, b"left_child", lambda v: [b"0", *v[1:]]),
        "reached twice",
    ),
    "a child outside the tree": (
        lambda t: _tree_line(t, b"right_child", lambda v: [b"-99", *v[1:]]),
        r"right_child '-99' is not in",
    ),
    "a split on a feature it does not have": (
        lambda t: _tree_line(t, b"split_feature", lambda v: [b"7", *v[1:]]),
        "split_feature '7'",
    ),
    "a leaf value that is no number": (
        lambda t: _tree_line(t, b"leaf_value", lambda v: [b"1e", *v[1:]]),
        "is not a number",
    ),
    "a category set that does not exist": (
        lambda t: _categorical_threshold(t, b"3"),
        "categorical split names no category set",
    ),
    "category bounds past the bitset": (
        lambda t: _tree_line(t, b"cat_boundaries", lambda v: [*v[:-1], b"9"]),
        "cat_threshold has",
    ),
    "a tree size that runs past the end": (
        lambda t: re.sub(rb"(?m)^tree_sizes=\d+", b"tree_sizes=99999", t),
        "past the end",
    ),
    "a tree size inside a tree": (
        lambda t: re.sub(rb"(?m)^(tree_sizes=\d+) (\d+)", rb"\1 10 \2", t),
        "does not",
    ),
    "classes the objective does not have": (
        lambda t: t.replace(
            b"num_class=1\nnum_tree_per_iteration=1", b"num_class=2\nnum_tree_per_iteration=2"
        ),
        "objective regression with num_class=2",
    ),
    "a header without max_feature_idx": (
        lambda t: re.sub(rb"(?m)^max_feature_idx=.*\n", b"", t),
        "no max_feature_idx",
    ),
    "an unknown key in a tree": (
        lambda t: _resized(t.replace(b"\nshrinkage=", b"\nextra=1\nshrinkage=", 1)),
        "unexpected or repeated key 'extra'",
    ),
    "a NUL byte": (lambda t: t.replace(b"version", b"vers\0on", 1), "NUL"),
    "a parameter line LightGBM cannot split": (
        lambda t: t.replace(b"[boosting: gbdt]", b"[boosting gbdt]"),
        "parameter line",
    ),
    "text after the parameters": (
        lambda t: t + b"parser:\n{}\nend of parser\n",
        "after the parameters",
    ),
    "pandas categories that are not JSON": (
        lambda t: t.replace(b"pandas_categorical:[", b"pandas_categorical:[[", 1),
        "pandas_categorical",
    ),
}


@pytest.mark.parametrize("case", LIGHTGBM_CRAFTED)
def test_lightgbm_check_refuses_what_lightgbm_would_misread(lightgbm_text, case):
    from llmboost._check_lightgbm import check_lightgbm_model

    check_lightgbm_model(lightgbm_text)
    craft, message = LIGHTGBM_CRAFTED[case]
    crafted = craft(lightgbm_text)
    assert crafted != lightgbm_text
    with pytest.raises(ValueError, match=message):
        check_lightgbm_model(crafted)


def _ubj(value) -> bytes:
    """UBJSON as XGBoost writes it (typed arrays for numpy arrays), for crafting models."""
    import struct

    def size(n):
        return b"L" + struct.pack(">q", n)

    if isinstance(value, dict):
        items = (size(len(k.encode())) + k.encode() + _ubj(v) for k, v in value.items())
        return b"{" + b"".join(items) + b"}"
    if isinstance(value, np.ndarray):
        kind = {"i1": b"i", "u1": b"U", "i2": b"I", "i4": b"l", "i8": b"L", "f4": b"d"}
        big = value.astype(value.dtype.newbyteorder(">"))
        return b"[$" + kind[value.dtype.str[1:]] + b"#" + size(len(value)) + big.tobytes()
    if isinstance(value, list):
        return b"[#" + size(len(value)) + b"".join(_ubj(v) for v in value)
    if isinstance(value, str):
        return b"S" + size(len(value.encode())) + value.encode()
    if isinstance(value, bool) or value is None:
        return {True: b"T", False: b"F", None: b"Z"}[value]
    if isinstance(value, int):
        return b"L" + struct.pack(">q", value)
    return b"d" + struct.pack(">f", value)


@pytest.fixture(scope="module")
def xgboost_model():
    """A small three-class XGBoost model with categorical splits, decoded from UBJSON."""
    xgb = pytest.importorskip("xgboost")

    X, y = _data("multiclass", n=200)
    model = xgb.XGBClassifier(n_estimators=2, max_depth=3, enable_categorical=True).fit(X, y)
    return bytes(model.get_booster().save_raw(raw_format="ubj"))


def _trees(model):
    return model["learner"]["gradient_booster"]["model"]["trees"]


def _set(array, index, value):
    array[index] = value


def _categorical_tree(model):
    return next(t for t in _trees(model) if len(t["categories"]))


XGBOOST_CRAFTED = {
    "root is its own child": (
        lambda m: _set(_trees(m)[0]["left_children"], 0, 0),
        "not a tree",
    ),
    "a parent outside the tree": (
        lambda m: _set(_trees(m)[0]["parents"], 1, 999),
        "parents outside the tree",
    ),
    "a split on a feature it does not have": (
        lambda m: _set(_trees(m)[0]["split_indices"], 0, 40),
        "splits on feature 40",
    ),
    "a node array one short": (
        lambda m: _set(_trees(m)[0], "sum_hessian", _trees(m)[0]["sum_hessian"][:-1]),
        "sum_hessian has",
    ),
    "a tree for an output it does not have": (
        lambda m: _set(m["learner"]["gradient_booster"]["model"]["tree_info"], 0, 3),
        "tree_info",
    ),
    "iterations past the trees": (
        lambda m: _set(m["learner"]["gradient_booster"]["model"]["iteration_indptr"], -1, 99),
        "iteration_indptr",
    ),
    "an objective with other classes": (
        lambda m: _set(m["learner"]["objective"]["softmax_multiclass_param"], "num_class", "5"),
        "num_class differs",
    ),
    "a negative category": (
        lambda m: _set(_categorical_tree(m)["categories"], 0, -1),
        "category codes",
    ),
    "a category run past the categories": (
        lambda m: _set(_categorical_tree(m)["categories_sizes"], 0, 999),
        "category runs",
    ),
    "a huge feature count": (
        lambda m: _set(m["learner"]["learner_model_param"], "num_feature", "99999999"),
        "num_feature",
    ),
}


@pytest.mark.parametrize("case", XGBOOST_CRAFTED)
def test_xgboost_check_refuses_what_xgboost_would_misread(xgboost_model, case):
    from llmboost._check_xgboost import _Reader, check_xgboost_model

    check_xgboost_model(xgboost_model)
    model = _Reader(xgboost_model).value(0)
    check_xgboost_model(_ubj(model))  # written again unchanged, it passes
    craft, message = XGBOOST_CRAFTED[case]
    craft(model)
    with pytest.raises(ValueError, match=message):
        check_xgboost_model(_ubj(model))


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda raw: b"", "not an XGBoost UBJSON model"),
        (lambda raw: raw[: len(raw) // 3], "truncated"),
        (lambda raw: raw + b"Z", "bytes after the model"),
        (lambda raw: raw.replace(b"[$l#L", b"[$x#L", 1), "typed array"),
    ],
)
def test_xgboost_check_reads_ubjson_within_its_bytes(xgboost_model, damage, message):
    from llmboost._check_xgboost import check_xgboost_model

    with pytest.raises(ValueError, match=message):
        check_xgboost_model(damage(xgboost_model))


# -- where the file goes, and files that cannot be read back ------------------------------
def test_save_takes_str_and_path_and_replaces_a_file_only_when_complete(tmp_path, monkeypatch):
    X, y = _data("binary", n=80)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    as_str, as_path = (
        save(model, str(tmp_path / "a.llmboost")),
        save(model, tmp_path / "b.llmboost"),
    )
    assert as_str == tmp_path / "a.llmboost" and as_path == tmp_path / "b.llmboost"
    assert np.array_equal(_outputs(load(as_str), X), _outputs(load(as_path), X))
    before = as_path.read_bytes()
    written = []

    def interrupted(self, name, data, *args, **kwargs):
        if written:
            raise KeyboardInterrupt
        written.append(name)
        return original(self, name, data, *args, **kwargs)

    original = zipfile.ZipFile.writestr
    monkeypatch.setattr(zipfile.ZipFile, "writestr", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save(model, as_path)
    monkeypatch.undo()
    assert as_path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.llmboost", "b.llmboost"]


def test_save_puts_the_new_file_on_disk_before_renaming_it_over_the_old(tmp_path, monkeypatch):
    # the new file was renamed over the old one unsynced: after a power loss, a file
    # system may keep the rename but not the data (an empty or partial model, the old lost)
    X, y = _data("binary", n=60)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    before, synced, original = path.read_bytes(), [], os.fsync

    def fsync(fd):
        synced.append((os.fstat(fd).st_size, path.read_bytes() == before))
        original(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    save(model, path)
    assert synced == [(path.stat().st_size, True)]  # the whole new file, the old still there


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_model_saves_to_the_same_bytes_whenever_it_is_saved(tmp_path, monkeypatch):
    # each entry carried the time of the save: the same model saved a second later was
    # another file (another checksum), as was a loaded model saved again
    import time

    X, y = _data("binary", n=60)
    model = _model("binary", "lightgbm", 0.5).fit(X, y)
    first = save(model, tmp_path / "a.llmboost").read_bytes()
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 3600)  # an hour later
    assert save(model, tmp_path / "b.llmboost").read_bytes() == first
    assert save(load(tmp_path / "a.llmboost"), tmp_path / "c.llmboost").read_bytes() == first
    with zipfile.ZipFile(tmp_path / "b.llmboost") as archive:  # unzipped: readable files
        infos = archive.infolist()
    assert {(i.external_attr >> 16, i.compress_type) for i in infos} == {
        (0o600, zipfile.ZIP_DEFLATED)
    }


def test_replacing_a_file_keeps_its_permissions(tmp_path):
    # the file holds training rows (the prior's context): one made private (0600) was
    # replaced by one anyone could read (0644 under the usual umask)
    X, y = _data("binary", n=80)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    path.chmod(0o600)
    save(model, path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert np.array_equal(_outputs(load(path), X), _outputs(model, X))


def test_save_into_a_missing_folder_or_onto_a_folder_is_a_clear_error(tmp_path):
    X, y = _data("binary", n=80)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    target = tmp_path / "nowhere" / "m.llmboost"
    with pytest.raises(FileNotFoundError) as err:
        save(model, target)
    assert str(err.value) == (
        f"Cannot save to {target}: the folder {target.parent} does not exist; pass a file "
        "path in an existing folder."
    )
    with pytest.raises(IsADirectoryError, match=f"Cannot save to {re.escape(str(tmp_path))}: it"):
        save(model, tmp_path)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "notes").write_text("x")  # it said "the folder .../notes does not exist"
    with pytest.raises(FileNotFoundError) as err:
        save(model, tmp_path / "notes" / "m.llmboost")
    assert str(err.value) == (
        f"Cannot save to {tmp_path / 'notes' / 'm.llmboost'}: {tmp_path / 'notes'} is a file, "
        "not a folder; pass a file path in an existing folder."
    )


def test_save_to_a_folder_path_that_is_no_folder_is_refused_and_writes_nothing(tmp_path):
    # pathlib drops a final "/": "notes/" replaced the file notes, and "m.llmboost/"
    # (a folder not made yet) wrote the file m.llmboost
    X, y = _data("binary", n=80)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    notes = tmp_path / "notes"
    notes.write_text("x")
    with pytest.raises(NotADirectoryError) as err:
        save(model, f"{notes}/")
    assert str(err.value) == (
        f"Cannot save to {notes}/: a path ending in '/' names a folder, and {notes} is a "
        "file; pass the file's path without the '/'."
    )
    with pytest.raises(FileNotFoundError) as err:
        save(model, f"{tmp_path}/m.llmboost/")
    assert str(err.value).endswith(
        f"and the folder {tmp_path / 'm.llmboost'} does not exist; pass the file's path "
        "without the '/'."
    )
    with pytest.raises(NotADirectoryError) as err:  # "notes/." wrote over notes too
        save(model, f"{notes}/.")
    assert str(err.value) == (
        f"Cannot save to {notes}/.: a path ending in '/.' names a folder, and {notes} is a "
        "file; pass the file's path without the '/.'."
    )
    with pytest.raises(FileNotFoundError, match="the folder .*m.llmboost does not exist"):
        save(model, f"{tmp_path}/m.llmboost/.")
    assert sorted(tmp_path.iterdir()) == [notes] and notes.read_text() == "x"
    for folder in (f"{tmp_path}/", f"{tmp_path}/."):  # a folder, as without the "/" or "/."
        with pytest.raises(
            IsADirectoryError, match=f"Cannot save to {re.escape(str(tmp_path))}: it"
        ):
            save(model, folder)
    assert load(save(model, f"{notes}")) is not None


@pytest.mark.skipif(not os.path.isdir("/sys/kernel"), reason="Linux sysfs")
def test_save_into_a_folder_it_cannot_write_names_the_target(tmp_path):
    # PermissionError: [Errno 13] Permission denied: '/sys/.llmboost-<hex>.part'
    X, y = _data("binary", n=80)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    with pytest.raises(OSError) as err:  # not writable even for root (EACCES or EROFS)
        save(model, "/sys/kernel/m.llmboost")
    hint = ": make the folder writable, or save elsewhere"
    assert err.value.errno is not None and str(err.value) == (
        f"[Errno {err.value.errno}] Cannot save to /sys/kernel/m.llmboost: "
        f"{os.strerror(err.value.errno)} (writing a new file in /sys/kernel to rename over it)"
        + hint
        * isinstance(err.value, PermissionError)
    )


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("step", ["create", "rename"])
def test_save_replaces_a_writable_file_in_a_folder_that_takes_no_new_file(
    step, tmp_path, monkeypatch
):
    # a read-only folder (or, for a rename, another user's file in a sticky folder like
    # /tmp) refused the new file beside the target, so a writable model file there could
    # not be saved again: "PermissionError: ... (writing a new file in ... to rename over it)"
    import llmboost._file_writer as writer

    X, y = _data("binary", n=60)
    old, model = (_model("binary", "xgboost", s).fit(X, y) for s in (0.5, 1.0))
    path = save(old, tmp_path / "m.llmboost")
    path.chmod(0o640)
    want = save(model, tmp_path / "want.llmboost").read_bytes()

    def refused(*args, **kwargs):  # as for a user without write permission on the folder
        raise PermissionError(errno.EACCES, "Permission denied", str(args[0]))

    def create_refused(file, mode, *args, **kwargs):
        return (refused if mode == "xb" else open)(file, mode, *args, **kwargs)

    if step == "create":
        monkeypatch.setattr(writer, "open", create_refused, raising=False)
    else:
        monkeypatch.setattr(writer.os, "replace", refused)
    save(model, path)
    assert path.read_bytes() == want and path.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.llmboost", "want.llmboost"]
    assert np.array_equal(_outputs(load(path), X), _outputs(model, X))
    monkeypatch.setattr(writer.os, "access", lambda *a, **k: False)  # nor the file writable
    with pytest.raises(PermissionError) as err:
        save(old, path)
    # a refused rename said "make the folder writable", which it was (it took the new file)
    assert str(err.value) == f"[Errno 13] Cannot save to {path}: Permission denied " + (
        f"(writing a new file in {tmp_path} to rename over it): make the folder writable, "
        "or save elsewhere"
        if step == "create"
        else f"(renaming a new file in {tmp_path} over it): in a sticky folder (as /tmp is) "
        "only a file's owner may replace it; save elsewhere, or have its owner remove it"
    )
    assert path.read_bytes() == want
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.llmboost", "want.llmboost"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symbolic links")
def test_the_os_errors_save_raises_are_listed_in_its_docstring(tmp_path, monkeypatch):
    # its Raises section named TypeError and ValueError only
    from sklearn.exceptions import NotFittedError

    import llmboost._file_writer as writer

    raises = save.__doc__.split("Raises\n    ------\n")[1]
    X, y = _data("binary", n=60)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    (tmp_path / "file").write_bytes(b"")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    raised = []
    for target in ("gone/m.llmboost", "file/m.llmboost", "file/", ".", "loop"):
        with pytest.raises(OSError) as err:
            save(model, tmp_path / target if target != "file/" else f"{tmp_path}/file/")
        raised.append(type(err.value))
    path = save(model, tmp_path / "m.llmboost")

    for cause in (OSError(errno.ENOSPC, "No space left"), PermissionError(errno.EACCES, "")):

        def failing(*args, cause=cause):  # a full disk; a folder that takes no new file
            raise cause

        monkeypatch.setattr(writer.os, "replace", failing)
        monkeypatch.setattr(writer.os, "access", lambda *a, **k: False)  # nor the file
        with pytest.raises(OSError) as err:
            save(model, path)
        raised.append(type(err.value))
    with pytest.raises(NotFittedError):
        save(clone(model), tmp_path / "n.llmboost")
    raised.append(NotFittedError)
    assert set(raised) == {
        FileNotFoundError,
        NotADirectoryError,
        IsADirectoryError,
        OSError,
        PermissionError,
        NotFittedError,
    }
    for kind in raised:
        assert re.search(rf"^    (\w+, )*{kind.__name__}\b", raises, re.M), kind


def test_the_os_errors_load_raises_are_listed_in_its_docstring(tmp_path, monkeypatch):
    # its Raises section named FileNotFoundError and NotADirectoryError for the weights
    # and a path ending in '/' only: not a missing model file, a folder or an unreadable
    # file, nor the ValueError of a file without a parameter
    import llmboost._load_paths as paths

    raises = load.__doc__.split("Raises\n    ------\n")[1]
    X, y = _data("binary", n=60)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    raised = []
    for target in (tmp_path / "gone.llmboost", tmp_path, f"{path}/"):
        with pytest.raises(OSError) as err:
            load(target)
        raised.append(type(err.value))

    def unreadable(*args, **kwargs):  # as for a file of another user, mode 600
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    with monkeypatch.context() as patch:
        patch.setattr(paths.zipfile, "ZipFile", unreadable)
        with pytest.raises(PermissionError):
            load(path)
    raised.append(PermissionError)
    _drop_parameter(path, "PriorBoostClassifier", "cv")
    with pytest.raises(ValueError, match="saved without the parameter.s. cv"):
        load(path)
    raised.append(ValueError)
    assert raised == [
        FileNotFoundError,
        IsADirectoryError,
        NotADirectoryError,
        PermissionError,
        ValueError,
    ]
    for kind in raised:
        assert re.search(rf"^    (\w+, )*{kind.__name__}\b", raises, re.M), kind
    assert "saved without a\n        parameter this version has" in raises


def test_save_overwrites_in_place_a_file_mounted_on_its_own(tmp_path, monkeypatch):
    # a file mounted on its own (a container's volume of one file) takes no rename over
    # it: save raised "[Errno 16] Cannot save to ...: Device or resource busy (renaming a
    # new file in ... over it)", though the file could be written in place
    import llmboost._file_writer as writer

    X, y = _data("binary", n=60)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    model = _model("binary", "lightgbm", 0.5).fit(X, y)
    want = save(model, tmp_path / "want.llmboost").read_bytes()

    def busy(*args, **kwargs):
        raise OSError(errno.EBUSY, "Device or resource busy")

    monkeypatch.setattr(writer.os, "replace", busy)
    save(model, path)
    assert path.read_bytes() == want
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.llmboost", "want.llmboost"]
    monkeypatch.setattr(writer.os, "access", lambda *a, **k: False)  # nor the file writable
    with pytest.raises(OSError) as err:
        save(model, path)
    assert err.value.errno == errno.EBUSY and str(err.value) == (
        f"[Errno {errno.EBUSY}] Cannot save to {path}: Device or resource busy (renaming a "
        f"new file in {tmp_path} over it)"
    )


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_failed_in_place_save_says_it_was_overwriting_the_file(tmp_path, monkeypatch):
    # a folder that takes no new file, then a full disk while the file was overwritten in
    # place, said "(writing a new file in ... to rename over it)", which save never did
    import llmboost._file_writer as writer

    X, y = _data("binary", n=60)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")

    class Full(io.BytesIO):  # the handle of the file overwritten in place
        def write(self, data):  # the new model fails; the old one is written back
            if len(data) != len(self.getvalue()):
                raise OSError(errno.ENOSPC, "No space left on device")
            return super().write(data)

        def fileno(self):  # synced with os.fsync, patched below
            return -1

    def opened(file, mode, *args, **kwargs):
        if mode == "xb":  # as in a read-only folder
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        if mode == "r+b":
            return Full(path.read_bytes())
        return open(file, mode, *args, **kwargs)

    monkeypatch.setattr(writer, "open", opened, raising=False)
    monkeypatch.setattr(writer.os, "fsync", lambda fd: None)
    with pytest.raises(OSError) as err:
        save(_model("binary", "xgboost", 1.0).fit(X, y), path)
    assert err.value.errno == errno.ENOSPC and str(err.value) == (
        f"[Errno {errno.ENOSPC}] Cannot save to {path}: No space left on device (overwriting "
        f"{path} in place, as {tmp_path} takes no new file)"
    )


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_an_in_place_save_that_cannot_put_the_old_model_back_says_the_file_may_be_damaged(
    tmp_path, monkeypatch
):
    # the new model and then the old bytes both failed to write: the second error was
    # raised alone ("Input/output error (overwriting ... in place ...)"), not saying that
    # the file may now hold neither model
    import llmboost._file_writer as writer

    X, y = _data("binary", n=60)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    causes = iter([(errno.ENOSPC, "No space left on device"), (errno.EIO, "Input/output error")])

    class Failing(io.BytesIO):  # the handle of the file overwritten in place
        def write(self, data):
            raise OSError(*next(causes))

    def opened(file, mode, *args, **kwargs):
        if mode == "xb":  # as in a read-only folder
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return Failing() if mode == "r+b" else open(file, mode, *args, **kwargs)

    monkeypatch.setattr(writer, "open", opened, raising=False)
    with pytest.raises(OSError) as err:
        save(_model("binary", "xgboost", 1.0).fit(X, y), path)
    assert err.value.errno == errno.EIO and str(err.value) == (
        f"[Errno {errno.EIO}] Cannot save to {path}: No space left on device, and writing the "
        f"old model back failed too (Input/output error): {path} may now be damaged; restore "
        f"it from a copy or save the model again (overwriting {path} in place, as {tmp_path} "
        "takes no new file)"
    )
    assert err.value.__cause__.__cause__.errno == errno.ENOSPC  # the first cause, chained


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_failed_in_place_save_keeps_the_old_model(tmp_path, monkeypatch):
    # a disk that filled up while a model file was overwritten in place (its folder takes
    # no new file) left the first part of the new zip over the old one: neither loaded
    import llmboost._file_writer as writer

    X, y = _data("binary", n=60)
    old = _model("binary", "xgboost", 0.5).fit(X, y)
    path = save(old, tmp_path / "m.llmboost")
    before = path.read_bytes()

    class Filling:  # the file's handle: the disk fills up halfway through the new zip
        def __init__(self, handle):
            self.handle, self.writes = handle, 0

        def write(self, data):
            self.writes += 1
            if self.writes == 1:
                self.handle.write(bytes(data)[: len(data) // 2])
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.handle.write(data)

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

    def opened(file, mode, *args, **kwargs):
        if mode == "xb":  # as in a read-only folder
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        handle = open(file, mode, *args, **kwargs)
        return Filling(handle) if mode == "r+b" else handle

    monkeypatch.setattr(writer, "open", opened, raising=False)
    with pytest.raises(OSError, match="No space left on device"):
        save(_model("binary", "xgboost", 1.0).fit(X, y), path)
    assert path.read_bytes() == before
    assert np.array_equal(_outputs(load(path), X), _outputs(old, X))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX named pipes")
@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symbolic links")
def test_save_onto_a_symbolic_link_loop_is_an_os_error_naming_it(tmp_path):
    # it was "RuntimeError: Symlink loop from '.../loop.llmboost'"
    loop = tmp_path / "loop.llmboost"
    loop.symlink_to(loop)
    X, y = _data("binary", n=60)
    with pytest.raises(OSError) as err:
        save(_model("binary", "xgboost", 0.5).fit(X, y), loop)
    assert str(err.value) == (
        f"[Errno {errno.ELOOP}] Cannot save to {loop}: it is a symbolic link whose links lead "
        "back to themselves (a loop); remove it or pass another path"
    )
    assert loop.is_symlink() and sorted(tmp_path.iterdir()) == [loop]


def test_save_onto_a_device_or_pipe_is_refused_and_leaves_it(tmp_path):
    # the rename replaced a named pipe (or, as root, /dev/null) by a regular file
    X, y = _data("binary", n=80)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(ValueError) as err:
        save(model, pipe)
    assert str(err.value) == (
        f"Cannot save to {pipe}: it is not a regular file (a device, pipe or socket), which "
        "save would replace by one; pass a file path."
    )
    assert pipe.is_fifo() and [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_load_of_a_file_path_ending_in_a_separator_is_refused(tmp_path):
    # pathlib drops a final "/": load("m.llmboost/") read the file m.llmboost, where open
    # and os.stat say "Not a directory"
    X, y = _data("binary", n=60)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    for ending in ("/", "/."):
        with pytest.raises(NotADirectoryError) as err:
            load(f"{path}{ending}")
        assert str(err.value) == (
            f"load got {path}{ending}: a path ending in {ending!r} names a folder, and {path} "
            f"is a file; pass the file's path without the {ending!r}."
        )
    with pytest.raises(IsADirectoryError, match="is a folder: pass the path of the file"):
        load(f"{tmp_path}/")  # a folder, as without the "/"
    assert load(str(path)) is not None


def test_load_of_an_unzipped_model_file_says_to_zip_it_again(tmp_path):
    # a folder a saved file was unzipped into (to look inside) was told to "pass the path
    # of the file in it (such as model.llmboost)", which it does not hold
    X, y = _data("binary", n=60)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(save(model, tmp_path / "m.llmboost")) as archive:
        archive.extractall(folder)
    with pytest.raises(IsADirectoryError) as err:
        load(folder)
    assert str(err.value) == (
        f"load reads a file written by save; {folder} is a folder holding model.json, as "
        "unzipping such a file leaves: load the file save wrote, or zip the folder's "
        "contents into one file (shutil.make_archive(name, 'zip', folder)) and load that."
    )
    again = shutil.make_archive(str(tmp_path / "again"), "zip", folder)
    assert np.array_equal(_outputs(load(again), X), _outputs(model, X))


def test_load_of_the_model_json_of_an_unzipped_file_says_to_load_the_file(tmp_path):
    # "not an llmboost model file (not a zip, or a damaged one: BadZipFile(...))", of the
    # model.json a user unzipped
    X, y = _data("binary", n=60)
    with zipfile.ZipFile(save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m")) as z:
        z.extract("model.json", tmp_path)
    with pytest.raises(UnsafeFileError) as err:
        load(tmp_path / "model.json")
    assert str(err.value) == (
        f"{tmp_path / 'model.json'} is the model.json of a file save wrote, not the file: "
        "load the file save wrote, which holds the arrays and trees model.json names too."
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX named pipes")
def test_load_of_a_pipe_is_refused_unopened(tmp_path):
    # opening a named pipe waited for a writer: load hung until something wrote to it
    import threading

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)

    def unblock():  # on a load that opens the pipe, a writer ends the wait after 5 s
        if not done.wait(5):
            with open(pipe, "wb"):
                pass

    done = threading.Event()
    threading.Thread(target=unblock, daemon=True).start()
    try:
        with pytest.raises(UnsafeFileError) as err:
            load(pipe)
    finally:
        done.set()
    assert str(err.value) == (
        f"{pipe} is not a regular file (a device, pipe or socket); load reads a file written "
        "by save. It was not read."
    )
    with pytest.raises(IsADirectoryError) as err:  # said only "[Errno 21] Is a directory"
        load(tmp_path)
    assert str(err.value) == (
        f"load reads a file written by save; {tmp_path} is a folder: pass the path of the "
        "file in it (such as model.llmboost)."
    )


@pytest.mark.parametrize("path", [5, None, b"m.llmboost"])
def test_load_of_something_not_a_path_is_a_type_error(path):
    # AttributeError: 'int' object has no attribute 'seek', from zipfile
    with pytest.raises(TypeError) as err:
        load(path)
    assert str(err.value) == (
        "load takes the path (a str or os.PathLike) of a file written by save, got "
        f"{type(path).__name__} {path!r}."
    )


@pytest.mark.parametrize("mode", ["r", "ab"])
def test_load_of_a_file_object_it_cannot_read_as_bytes_says_so(mode, tmp_path):
    # a valid model opened in text mode (or for writing) was "not an llmboost model file
    # (not a zip, or a damaged one)"
    X, y = _data("binary", n=60)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    with open(path, mode) as handle, pytest.raises(TypeError) as err:
        load(handle)
    assert str(err.value) == (
        "load reads a file object opened for reading in binary mode (open(path, 'rb')), got "
        f"{type(handle).__name__} {path}."
    )
    with open(path, "rb") as handle:
        assert np.array_equal(_outputs(load(handle), X), _outputs(load(path), X))


def test_load_of_a_closed_file_object_says_it_is_closed(tmp_path):
    # a raw ValueError "I/O operation on closed file", from readable()
    X, y = _data("binary", n=60)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    with open(path, "rb") as handle:
        pass
    with pytest.raises(ValueError) as err:
        load(handle)
    assert str(err.value) == (
        f"load got a closed file object ({type(handle).__name__} {path}): open it "
        "again (open(path, 'rb')) and call load inside the with block, or pass the path."
    )
    buffer = io.BytesIO(path.read_bytes())
    buffer.close()
    with pytest.raises(ValueError, match=r"^load got a closed file object \(BytesIO "):
        load(buffer)


def test_load_of_a_file_object_names_its_file_as_a_path_is_named(tmp_path):
    # warnings and errors named "<_io.BufferedReader name='...'>", or, past 80 characters
    # of that, part of the path
    from llmboost.persistence import InconsistentVersionWarning

    X, y = _data("binary", n=60)
    folder = tmp_path / ("long-folder-name-" * 4)
    folder.mkdir()
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), folder / "m.llmboost")
    manifest = _manifest(path)
    manifest["library_versions"]["scikit-learn"] = "0.1"
    _rewrite_manifest(path, manifest)
    with open(path, "rb") as handle, pytest.warns(InconsistentVersionWarning) as caught:
        load(handle)
    assert str(caught[0].message).startswith(f"{path} was saved with scikit-learn 0.1, but ")
    cut = folder / "cut.llmboost"
    cut.write_bytes(path.read_bytes()[:100])
    with open(cut, "rb") as handle, pytest.raises(UnsafeFileError) as err:
        load(handle)
    assert str(err.value).startswith(f"{cut} is a damaged zip file: it starts as one")
    with open(cut, "rb") as handle:
        pass
    with pytest.raises(
        ValueError,
        match=rf"^load got a closed file object \(BufferedReader "
        rf"{re.escape(str(cut))}\): open it",
    ):
        load(handle)
    buffer = io.BytesIO(b"not a model")  # no file name: its repr
    with pytest.raises(UnsafeFileError, match=r"^<_io.BytesIO object at 0x\w+> is not an llm"):
        load(buffer)


def test_load_of_a_file_object_it_cannot_seek_in_says_so(tmp_path):
    # a valid model read from a pipe was "not an llmboost model file (not a zip, or a
    # damaged one: BadZipFile('File is not a zip file'))"
    X, y = _data("binary", n=60)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    read, write = os.pipe()
    os.close(write)
    with os.fdopen(read, "rb") as stream, pytest.raises(ValueError) as err:
        load(stream)
    assert str(err.value) == (
        f"load got a file object it cannot seek in ({type(stream).__name__} {stream!r:.80}, "
        "as a pipe or stdin is); a model file is read from its end: pass "
        "load(io.BytesIO(stream.read())) or a path."
    )
    assert np.array_equal(  # as the message says
        _outputs(load(io.BytesIO(path.read_bytes())), X), _outputs(load(path), X)
    )


def test_load_of_a_model_file_read_into_bytes_says_how_to_load_it(tmp_path):
    # "got bytes b'PK\x03\x04...'" and nothing on how to load a model held in memory
    X, y = _data("binary", n=60)
    data = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost").read_bytes()
    with pytest.raises(TypeError) as err:
        load(data)
    assert str(err.value).endswith(": a model held in memory loads with load(io.BytesIO(data)).")
    assert str(err.value).startswith("load takes the path (a str or os.PathLike) of a file")
    assert np.array_equal(
        _outputs(load(io.BytesIO(data)), X), _outputs(load(tmp_path / "m.llmboost"), X)
    )


def test_an_empty_path_is_refused_not_read_as_the_current_folder():
    # both said "Is a directory: '.'", as pathlib reads "" as the current folder
    X, y = _data("binary", n=60)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    for call, what in ((lambda: save(model, ""), "save"), (lambda: load(""), "load")):
        with pytest.raises(ValueError) as err:
            call()
        assert str(err.value) == f"{what} got an empty path (''); pass the model file's path."


def test_a_path_holding_a_nul_byte_is_refused_naming_it(tmp_path):
    # both said only "embedded null byte" (from os.stat, or open once the model was encoded)
    X, y = _data("binary", n=60)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    bad = str(tmp_path / "m\0.llmboost")
    for call, what in ((lambda p: save(model, p), "save"), (load, "load")):
        for path in (bad, Path(bad)):
            with pytest.raises(ValueError) as err:
                call(path)
            assert str(err.value) == (
                f"{what} got the path {bad!r}, which holds a NUL byte ('\\x00'): no file "
                "name can hold one; pass the model file's path without it."
            )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", [None, b"m.llmboost", io.BytesIO()])
def test_save_to_something_not_a_path_is_a_type_error_naming_it(path, tmp_path):
    # "expected str, bytes or os.PathLike object, not NoneType", from pathlib, after the
    # whole model was encoded
    X, y = _data("binary", n=60)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    with pytest.raises(TypeError) as err:
        save(model, path)
    hint = ": to hold a model in memory, save it to a file and read the file's bytes" * (
        type(path) is io.BytesIO
    )
    assert str(err.value) == (
        f"save writes to a path (a str or os.PathLike), got {type(path).__name__} {path!r}{hint}."
    )


def test_save_to_a_file_object_says_to_pass_its_path(tmp_path):
    # "got BufferedWriter <_io.BufferedWriter name=...>.", and nothing on what to pass
    X, y = _data("binary", n=60)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    path = str(tmp_path / "m.llmboost")
    with open(path, "wb") as handle, pytest.raises(TypeError) as err:
        save(model, handle)
    assert str(err.value) == (
        f"save writes to a path (a str or os.PathLike), got BufferedWriter {path}: pass its "
        f"path, save(model, {path!r})."
    )
    assert np.array_equal(_outputs(load(save(model, path)), X), _outputs(model, X))


def test_save_and_load_read_a_tilde_as_the_home_folder(tmp_path, monkeypatch):
    # "Cannot save to ~/m.llmboost: the folder ~ does not exist", though it did
    monkeypatch.setenv("HOME", str(tmp_path))
    X, y = _data("binary", n=80)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    assert save(model, "~/m.llmboost") == tmp_path / "m.llmboost"
    assert np.array_equal(_outputs(load("~/m.llmboost"), X), _outputs(model, X))
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "other"))):
        load("~/other")
    for call, what in ((lambda p: save(model, p), "save"), (load, "load")):
        with pytest.raises(FileNotFoundError) as err:  # a bare RuntimeError from pathlib
            call("~no-such-user-llmboost/m.llmboost")
        assert str(err.value) == (
            f"{what} got the path '~no-such-user-llmboost/m.llmboost', whose "
            "~no-such-user-llmboost is no home folder (no user 'no-such-user-llmboost' here); "
            "pass the full path."
        )


def test_a_saved_torch_dtype_without_torch_names_the_extra(tmp_path, monkeypatch):
    # a bare ModuleNotFoundError: No module named 'torch' came out of load
    torch = pytest.importorskip("torch")
    from llmboost import LLMBoostClassifier, LLMPrior

    X, y = _data("binary", n=40)
    model = LLMBoostClassifier(prior=LLMPrior(dtype=torch.bfloat16), scale="prior").fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"model.prior.dtype \(a torch dtype\) needs torch: pip"):
        load(path)


def test_a_name_near_the_length_limit_saves(tmp_path):
    X, y = _data("binary", n=80)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    path = save(model, tmp_path / ("m" * 246 + ".llmboost"))  # 255 bytes, the usual limit
    assert np.array_equal(_outputs(load(path), X), _outputs(model, X))
    assert list(tmp_path.iterdir()) == [path]


def test_only_llmboost_estimators_are_saved_and_dask_ones_are_sent_to_pickle(tmp_path):
    from llmboost.dask import DaskPriorBoostClassifier

    with pytest.raises(TypeError, match=r"or a subclass \(PFNBoost, LLMBoost\), got Logistic"):
        save(LogisticRegression(), tmp_path / "m.llmboost")
    with pytest.raises(TypeError, match="got DaskPriorBoostClassifier: pickle a Dask estimator"):
        save(DaskPriorBoostClassifier(), tmp_path / "m.llmboost")
    # the class itself: "got ABCMeta"
    with pytest.raises(TypeError, match=r"got the class PriorBoostClassifier: pass a fitted inst"):
        save(PriorBoostClassifier, tmp_path / "m.llmboost")
    # a class save takes no instance of: "pass a fitted instance" would be refused too
    with pytest.raises(TypeError, match=r"got the class LogisticRegression\.$"):
        save(LogisticRegression, tmp_path / "m.llmboost")
    with pytest.raises(TypeError, match=r"the class DaskPriorBoostClassifier: pickle a Dask est"):
        save(DaskPriorBoostClassifier, tmp_path / "m.llmboost")
    # a Pipeline or search holding one: the message said only what save takes
    X, y = _data("binary", n=60)
    model = PriorBoostClassifier(scale=1.0, cv=2, booster_params={"n_estimators": 2})
    pipeline = make_pipeline(FunctionTransformer(), model).fit(X, y)
    with pytest.raises(TypeError, match=r"got Pipeline: save its final step \(pipeline\[-1\]\)"):
        save(pipeline, tmp_path / "p.llmboost")
    search = GridSearchCV(model, {"scale": [0, 1]}, cv=2).fit(X, y)
    with pytest.raises(TypeError, match="got GridSearchCV: save its best_estimator_"):
        save(search, tmp_path / "s.llmboost")
    assert np.array_equal(
        _outputs(load(save(pipeline[-1], tmp_path / "l.llmboost")), X), _outputs(pipeline[-1], X)
    )


def test_a_damaged_zip_directory_is_refused_as_damaged(tmp_path):
    X, y = _data("binary", n=80)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    data = path.read_bytes()
    end = data.rfind(b"PK\x05\x06")  # the end record; offset 16: where the directory starts
    for where, error in [
        (data.rfind(b"PK\x01\x02") + 6, "NotImplementedError"),  # version needed to extract
        (end + 19, "OSError"),  # the directory's offset, its high byte: a seek before 0
    ]:
        damaged = bytearray(data)
        damaged[where] ^= 0x5A
        bad = tmp_path / "bad.llmboost"
        bad.write_bytes(bytes(damaged))
        with pytest.raises(UnsafeFileError, match=rf"^{re.escape(str(bad))} .*{error}"):
            load(bad)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.99])
def test_a_truncated_model_file_is_called_damaged_not_another_kind_of_file(tmp_path, fraction):
    # a model file cut short (a copy or download stopped early) was "not an llmboost model
    # file (not a zip, or a damaged one: BadZipFile('File is not a zip file'))"
    X, y = _data("binary", n=80)
    data = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost").read_bytes()
    cut = tmp_path / "cut.llmboost"
    cut.write_bytes(data[: int(len(data) * fraction)])
    message = re.escape(
        "is a damaged zip file: it starts as one, but its end (the list of entries)"
    )
    with pytest.raises(UnsafeFileError, match=f"^{re.escape(str(cut))} {message} is missing"):
        load(cut)
    with open(cut, "rb") as handle, pytest.raises(UnsafeFileError, match=message):
        load(handle)
    cut.write_bytes(b"%PDF-1.7\n" + data[: int(len(data) * fraction)])  # another kind of file
    with pytest.raises(UnsafeFileError, match="is not an llmboost model file .not a zip, or a"):
        load(cut)


@pytest.mark.parametrize("protocol", [0, 1, 2, pickle.HIGHEST_PROTOCOL])
def test_an_empty_file_or_a_pickle_is_named_as_what_it_is(tmp_path, protocol):
    # both were "not an llmboost model file (not a zip, or a damaged one: BadZipFile('File
    # is not a zip file'))", as for a damaged file; pickles of protocols 0 and 1 (which
    # have no header) still were
    X, y = _data("binary", n=60)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    empty, pickled = tmp_path / "empty.llmboost", tmp_path / "m.pkl"
    empty.write_bytes(b"")
    pickled.write_bytes(pickle.dumps(model, protocol=protocol))
    with pytest.raises(UnsafeFileError) as err:
        load(empty)
    assert str(err.value) == (
        f"{empty} is empty (0 bytes), not a file save wrote, as a failed copy or download "
        "leaves: copy it again from where it was saved, or save the model again."
    )
    for given in (pickled, io.BytesIO(pickled.read_bytes())):
        with pytest.raises(UnsafeFileError) as err:
            load(given)
        assert str(err.value).endswith(
            " is a pickle (as pickle.dump and joblib.dump write), not a file save wrote: read "
            "it with pickle.load or joblib.load, only if you trust where it came from "
            "(unpickling runs code), or write the model with llmboost's save."
        )
    assert str(err.value).startswith("<_io.BytesIO object at ")
    text = tmp_path / "m.csv"  # text that starts as a pickle may, but does not end as one
    text.write_bytes(b"(c)ity,age\n1,2\n")
    with pytest.raises(UnsafeFileError, match=r"is not an llmboost model file \(not a zip"):
        load(text)


@pytest.mark.parametrize(
    "compress, kind",
    [("zlib", "zlib"), ("gzip", "gzip"), ("bz2", "bz2"), ("xz", "xz"), ("lzma", "lzma")],
)
def test_a_compressed_joblib_file_is_named_as_one(tmp_path, compress, kind):
    # "not an llmboost model file (not a zip, or a damaged one: BadZipFile('File is not
    # a zip file'))", as for a damaged file
    joblib = pytest.importorskip("joblib")
    path = tmp_path / "m.joblib"
    joblib.dump(LogisticRegression().fit([[0], [1]], [0, 1]), path, compress=compress)
    for given in (path, io.BytesIO(path.read_bytes())):
        with pytest.raises(UnsafeFileError) as err:
            load(given)
        assert str(err.value) == (
            f"{path_text(given)} appears to be a {kind}-compressed file (as joblib.dump with "
            "compress= writes), not a file llmboost.save wrote, and llmboost.load reads only "
            "those: if it is a joblib file, read it with joblib.load, only if you trust where "
            "it came from (unpickling runs code), or write the model with llmboost's save."
        )


def _damage(path, out, name):
    """``path`` copied to ``out`` with 8 bytes in the middle of entry ``name``'s data flipped."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    header = info.header_offset  # local header: 30 bytes, then the name and the extra field
    start = header + 30 + int.from_bytes(data[header + 26 : header + 28], "little")
    start += int.from_bytes(data[header + 28 : header + 30], "little")
    middle = start + info.compress_size // 2
    data[middle : middle + 8] = bytes(b ^ 0xFF for b in data[middle : middle + 8])
    out.write_bytes(bytes(data))
    return out


def test_damaged_entries_are_refused_naming_the_file_and_the_entry(tmp_path):
    X, y = _data("binary", n=80)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    array = next(iter(_entries(path, ".npy")))
    bad_json = _damage(path, tmp_path / "json.llmboost", "model.json")
    with pytest.raises(
        UnsafeFileError, match=rf"^{re.escape(str(bad_json))} has no readable model"
    ):
        load(bad_json)
    bad_array = _damage(path, tmp_path / "array.llmboost", array)
    with pytest.raises(UnsafeFileError) as err:
        load(bad_array)
    message = str(err.value)
    assert message.startswith(f"{bad_array}: model.")
    assert f"{array} is damaged (" in message and message.endswith("; save it again.")


def test_a_file_of_a_newer_format_says_which_llmboost_wrote_it(tmp_path):
    X, y = _data("binary", n=80)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    with zipfile.ZipFile(path) as archive:
        entries = {n: archive.read(n) for n in archive.namelist()}
    manifest = json.loads(entries["model.json"])
    manifest.update(version=3, llmboost_version="9.0")
    newer = _replace_entry(path, tmp_path / "newer.llmboost", "model.json", json.dumps(manifest))
    from llmboost import __version__

    with pytest.raises(UnsafeFileError) as err:
        load(newer)
    assert str(err.value) == (
        f"{newer} has format version 3 (written by llmboost 9.0); this llmboost "
        f"{__version__} reads versions 1 to 2: load it with llmboost 9.0."
    )


@pytest.mark.parametrize("version", [1.0, True, "1", 0])
def test_a_format_version_that_only_compares_equal_to_1_is_refused(tmp_path, version):
    # 1.0 and true compared equal to 1 and were read as this format
    X, y = _data("binary", n=80)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("model.json"))
    manifest["version"] = version
    odd = _replace_entry(path, tmp_path / "odd.llmboost", "model.json", json.dumps(manifest))
    with pytest.raises(UnsafeFileError, match=f"has format version {version!r} "):
        load(odd)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symbolic links")
def test_load_through_a_link_to_a_missing_file_says_the_link_is_broken(tmp_path):
    # "[Errno 2] No such file or directory: '.../m.llmboost'", of a file ls lists
    link = tmp_path / "m.llmboost"
    link.symlink_to(tmp_path / "gone.llmboost")
    with pytest.raises(FileNotFoundError) as err:
        load(link)
    assert str(err.value) == (
        f"load reads {link}, a symbolic link to {tmp_path / 'gone.llmboost'}, which does not "
        "exist (moved or deleted?): point the link at the model file, or pass its path."
    )
    with pytest.raises(FileNotFoundError, match=r"^\[Errno 2\] No such file"):
        load(tmp_path / "other.llmboost")  # not a link: as before


def test_save_through_a_symbolic_link_keeps_the_link(tmp_path):
    # the link was replaced by a plain file, and the file it pointed at kept the old model
    X, y = _data("binary", n=80)
    (tmp_path / "models").mkdir()
    target = tmp_path / "models" / "v1.llmboost"
    target.write_bytes(b"old")
    link = tmp_path / "current.llmboost"
    link.symlink_to(target)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    assert save(model, link) == link
    assert link.is_symlink() and link.resolve() == target.resolve()
    np.testing.assert_array_equal(load(target).predict_proba(X), model.predict_proba(X))
    assert not [p.name for p in target.parent.iterdir() if p.suffix == ".part"]


def test_files_from_before_the_regression_centre_keep_their_start(tmp_path):
    # members saved without ``center`` were trained from scale * prior, shrunk toward 0
    X, y = _data("regression")
    model = _model("regression", "xgboost", 0.5).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    manifest = _manifest(path)
    member = dict(manifest["root"]["state"])["members_"][0]
    assert member["items"].pop() == pytest.approx(np.mean(y), rel=1e-12)
    _rewrite_manifest(path, manifest)
    loaded = load(path)
    assert loaded.members_[0].center == 0.0
    frame, z = loaded._prepared(X)
    booster = loaded.members_[0].booster
    expected = booster.predict_margin(booster_frame(frame), 0.5 * z, booster.n_rounds_)
    np.testing.assert_array_equal(loaded.predict(X), expected)


def _declare_size(path, out, name, size):
    """``path`` copied to ``out`` with entry ``name``'s stated uncompressed size set to
    ``size`` in its local header and in the zip directory (its data left as it is)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        header = archive.getinfo(name).header_offset
    data[header + 22 : header + 26] = size.to_bytes(4, "little")
    entry = data.rfind(b"PK\x01\x02")  # the directory's records: 46 bytes, then the name
    while data[entry + 46 : entry + 46 + len(name)] != name.encode():
        entry = data.rfind(b"PK\x01\x02", 0, entry)
    data[entry + 24 : entry + 28] = size.to_bytes(4, "little")
    out.write_bytes(bytes(data))
    return out


def test_a_file_that_would_unpack_to_implausibly_many_bytes_is_refused_unread(
    tmp_path, monkeypatch
):
    # an entry stating 4 GB from a few kB was read whole (a zip bomb exhausts memory)
    X, y = _data("binary", n=80)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    array = next(iter(_entries(path, ".npy")))
    bomb = _declare_size(path, tmp_path / "bomb.llmboost", array, 2**32 - 1)
    with zipfile.ZipFile(bomb) as archive:
        assert archive.getinfo(array).file_size == 2**32 - 1  # what zipfile reads
    opened = []
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: opened.append(a[1]))
    with pytest.raises(UnsafeFileError) as err:
        load(bomb)
    assert not opened  # refused before any entry is decompressed
    assert str(err.value).startswith(f"{bomb} would unpack to 4,29")
    assert "more than 100 times its compressed size past 1,073,741,824 bytes" in str(err.value)
    monkeypatch.undo()
    # a model's own ratio is far from the bound: it loads with no free bytes at all
    monkeypatch.setattr("llmboost._load_checks.ANY_RATIO_BYTES", 0)
    assert np.array_equal(_outputs(load(path), X), _outputs(model, X))


def test_a_model_json_that_would_parse_to_implausibly_many_objects_is_refused(
    tmp_path, monkeypatch
):
    # under 1 GiB in all, but json.loads of 1 GiB of "[]," takes about 25 GiB: a
    # model.json past 1 MiB may compress at most 20 times (its text is distinct values)
    X, y = _data("binary", n=80)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    bomb = _declare_size(path, tmp_path / "bomb.llmboost", "model.json", 2**29)
    with pytest.raises(UnsafeFileError) as err:
        load(bomb)
    assert str(err.value).startswith(f"{bomb}'s model.json would unpack to 536,870,912 bytes")
    assert "more than 20 times its compressed size past 1,048,576 bytes" in str(err.value)
    monkeypatch.setattr("llmboost._load_checks.ANY_RATIO_JSON", 0)  # a model's own json
    assert np.array_equal(_outputs(load(path), X), _outputs(model, X))


def _deflated_manifest(path, root: bytes, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        archive.writestr(
            "model.json", b'{"format": "llmboost-model", "version": 1, "root": ' + root + b"}"
        )
    return path


def test_a_small_file_whose_model_json_would_take_gigabytes_to_parse_is_refused(tmp_path):
    # 64 MiB of "[]," in a 65 KB file took 3 GB and 62 s to parse and decode before it
    # was refused; 64 MiB of '"ab",' (a 98 KB file) 1 GB and 29 s. Stored (not
    # compressed past the bound on its size), 6 MB of lists are refused by their count
    lists = b"[" + b"[]," * 2_000_001 + b"[]]"
    lists = _deflated_manifest(tmp_path / "lists.llmboost", lists, zipfile.ZIP_STORED)
    with pytest.raises(UnsafeFileError) as err:
        load(lists)
    assert str(err.value) == (
        f"{lists}'s model.json holds 2,000,004 '[' and '{{', more than the 2,000,000 any "
        "model llmboost writes has: not a model llmboost wrote; it was not parsed."
    )
    texts = b"[" + b'"ab",' * (17 * 2**20 // 5) + b'"ab"]'  # past 16 MiB, compressed 600 times
    texts = _deflated_manifest(tmp_path / "texts.llmboost", texts)
    with pytest.raises(UnsafeFileError, match="past 1,048,576 bytes: not a model llmboost"):
        load(texts)


def test_a_tiny_file_cannot_make_load_parse_megabytes_of_model_json(tmp_path, monkeypatch):
    # a 25 KB file of 16 MiB of '"ab",' took 230 MB to parse and decode before it was
    # refused ("does not hold a llmboost estimator"): past 1 MiB, 20 times is the bound
    import tracemalloc

    texts = b"[" + b'"ab",' * (3 * 2**20 // 5) + b'"ab"]'  # 3 MiB in a 5 KB file
    texts = _deflated_manifest(tmp_path / "texts.llmboost", texts)
    assert texts.stat().st_size < 10_000
    tracemalloc.start()
    try:
        with pytest.raises(UnsafeFileError) as err:
            load(texts)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20  # refused before model.json is read (parsed, it took 40 MB)
    assert str(err.value).startswith(f"{texts}'s model.json would unpack to 3,145,7")
    assert "more than 20 times its compressed size past 1,048,576 bytes" in str(err.value)
    # a model's own model.json that compresses past the bound is stored, and loads
    monkeypatch.setattr("llmboost._load_checks.ANY_RATIO_JSON", 1000)
    monkeypatch.setattr("llmboost._load_checks.MAX_JSON_RATIO", 2)
    X, y = _data("binary", n=80)
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("model.json").compress_type == zipfile.ZIP_STORED
        assert archive.getinfo("arrays/0.npy").compress_type == zipfile.ZIP_DEFLATED
    assert np.array_equal(_outputs(load(path), X), _outputs(model, X))


def test_a_file_saved_with_a_deflated_model_json_of_many_categories_loads(tmp_path):
    # before model.json past 1 MiB had to compress at most 20 times, save deflated it
    # whatever its size: 30,000 URLs as categories wrote 4.9 MB compressed 21 times, and
    # load refused that file as "not a model llmboost wrote (a zip bomb?)"
    X, y = _data("binary", n=80)
    urls = [f"https://shop.example.com/products/item?id={i:08d}" for i in range(30_000)]
    X["city"] = X["city"].cat.rename_categories(urls[:3]).cat.add_categories(urls[3:])
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():  # as save wrote every entry then
            archive.writestr(name, data)
        info = archive.getinfo("model.json")
    assert info.file_size > 2**20 and info.file_size > 20 * info.compress_size
    loaded = load(path)
    assert len(loaded.categories_["city"]) == 30_000
    assert np.array_equal(_outputs(loaded, X), _outputs(model, X))


def test_a_model_json_load_would_refuse_for_its_brackets_is_refused_at_save(tmp_path, monkeypatch):
    # brackets in categories count as lists: such a model saved, and load refused it
    X, y = _data("binary", n=80)
    X["city"] = X["city"].cat.rename_categories(["[x]", "[y]", "{z}"])
    model = _model("binary", "xgboost", 0.5).fit(X, y)
    text = _manifest(save(model, tmp_path / "ok.llmboost"))
    count = sum(json.dumps(text).count(c) for c in "[{")
    monkeypatch.setattr("llmboost._load_checks.MAX_JSON_CONTAINERS", count - 1)
    with pytest.raises(ValueError) as err:
        save(model, tmp_path / "m.llmboost")
    assert str(err.value) == (
        f"Cannot save to {tmp_path / 'm.llmboost'}: its model.json would hold {count:,} '[' "
        f"and '{{' (in text too, such as categories), more than the {count - 1:,} load reads; "
        "write those categories without brackets, or pickle the model."
    )
    assert not (tmp_path / "m.llmboost").exists()


def test_an_entry_read_twice_or_shorter_than_stated_is_refused(tmp_path):
    # one large entry named by many records was read (and held) once per record
    X, y = _data("binary", n=80)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    text = (tmp_path / "m.llmboost").read_bytes()
    manifest = _manifest(path)
    names = re.findall(r'"file": "(arrays/\d+\.npy)"', json.dumps(manifest))
    twice = json.loads(json.dumps(manifest).replace(names[1], names[0]))
    _rewrite_manifest(path, twice)
    with pytest.raises(UnsafeFileError, match=rf"{names[0]} is read a second time"):
        load(path)
    path.write_bytes(text)
    # stating more bytes than the entry holds: its data is not taken as the whole
    longer = _declare_size(path, tmp_path / "longer.llmboost", names[0], 10**6)
    with pytest.raises(UnsafeFileError, match=rf"{names[0]} is damaged \(BadZipFile"):
        load(longer)


def test_a_file_with_encrypted_entries_is_refused_as_unsafe(tmp_path):
    # zipfile's RuntimeError ('... is encrypted, password required') came out as it was
    X, y = _data("binary", n=80)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    data = bytearray(path.read_bytes())
    for signature, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # headers' flag bits
        at = data.find(signature)
        while at >= 0:
            data[at + flags] |= 0x1  # encrypted
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))
    with pytest.raises(UnsafeFileError) as err:
        load(path)
    assert str(err.value) == (
        f"{path} has encrypted entries (model.json), which load does not read (save writes "
        "none): unzip them with their password into a new zip, or save again."
    )


@pytest.mark.skipif(os.name != "posix", reason="POSIX hard links")
def test_replacing_a_file_is_atomic_and_leaves_other_hard_links_with_the_old_model(tmp_path):
    # the file is replaced by rename (never half written), as the docs say: a second hard
    # link to it still names the old model
    X, y = _data("binary", n=80)
    old = _model("binary", "xgboost", 0.5).fit(X, y)
    path = save(old, tmp_path / "m.llmboost")
    os.link(path, tmp_path / "backup.llmboost")
    new = _model("binary", "lightgbm", 0.5).fit(X, y)
    save(new, path)
    assert load(path).booster == "lightgbm"
    assert load(tmp_path / "backup.llmboost").booster == "xgboost"


@pytest.mark.skipif(os.name != "posix", reason="POSIX hard links")
def test_a_file_overwritten_in_place_is_new_through_every_hard_link_as_the_docs_say(
    tmp_path, monkeypatch
):
    # in a folder that takes no new file, the file is written in place: its other hard
    # links got the new model, while the docs and docstring said they kept the old one
    import llmboost._file_writer as writer

    X, y = _data("binary", n=80)
    path = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "m.llmboost")
    os.link(path, tmp_path / "backup.llmboost")

    def opened(file, mode, *args, **kwargs):
        if mode == "xb":  # as in a read-only folder
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return open(file, mode, *args, **kwargs)

    monkeypatch.setattr(writer, "open", opened, raising=False)
    save(_model("binary", "lightgbm", 0.5).fit(X, y), path)
    assert load(tmp_path / "backup.llmboost").booster == "lightgbm"
    docs = " ".join(Path(ROOT, "docs", "persistence.md").read_text().split())
    assert "Written in place, the file is the same file: every hard link to it gets" in docs
    assert "its hard links then all get the new model" in " ".join(save.__doc__.split())


def test_xgboost_files_saved_with_equals_signs_in_edge_names_still_predict(tmp_path):
    # Files written before the boosters saw the first name's leading and the last name's
    # trailing '=' as '_' hold XGBoost trees named '=a' and 'b='; loaded, they predict
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 2)), columns=["=a", "b="])
    y = (X["=a"] + X["b="] > 0).astype(int)
    model = PriorBoostClassifier(scale=[0.0, 1.0], booster_params={"n_estimators": 5})
    model.fit(X, y)
    expected = model.predict_proba(X)
    for member in model.members_:
        if member.booster is not None:  # the trees as the earlier version named them
            member.booster.model_.get_booster().feature_names = ["=a", "b="]
    loaded = load(save(model, tmp_path / "old.llmboost"))
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    names = list(booster_frame(pd.DataFrame(columns=X.columns)).columns)
    assert loaded.booster_.model_.get_booster().feature_names == names


def _records(node, tag):
    """The records of type ``tag`` in a model.json tree."""
    if isinstance(node, dict):
        return [node] * (node.get("$") == tag) + [
            r for v in node.values() for r in _records(v, tag)
        ]
    return [r for v in node for r in _records(v, tag)] if isinstance(node, list) else []


def test_a_fraction_or_decimal_in_booster_params_is_saved_as_it_is(tmp_path):
    # booster_params take a Fraction or Decimal (read as its float), but save refused the
    # fitted model: "fractions:Fraction is not a class llmboost saves without pickle"
    X, y = _data("binary", n=60)
    params = {"learning_rate": Fraction(1, 4), "reg_lambda": Decimal("0.5"), "n_estimators": 5}
    model = PriorBoostClassifier(booster_params=params, scale=1.0, cv=2).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    loaded = load(path)
    assert loaded.booster_params == params
    assert [type(v) for v in loaded.booster_params.values()] == [Fraction, Decimal, int]
    assert np.array_equal(_outputs(loaded, X), _outputs(model, X))
    manifest = _manifest(path)
    _records(manifest, "exact")[0]["text"] = "1/0"
    _rewrite_manifest(path, manifest)
    with pytest.raises(UnsafeFileError, match=r": malformed number \(.*\)\.$"):
        load(path)
    # Fraction("1e10000000") took 21 s (an exponent of 99999999: hours); str(Fraction)
    # writes "numerator/denominator" only
    for text in ("1e99999999", "1e5", "0.25", " 1/4"):
        _records(manifest, "exact")[0]["text"] = text
        _rewrite_manifest(path, manifest)
        with pytest.raises(UnsafeFileError, match=r"malformed fraction '.*' \(not numerator/"):
            load(path)


def test_a_set_in_booster_params_is_saved_as_a_set(tmp_path, monkeypatch):
    # LightGBM's booster_params take a set (its columns, its eval_at), but save refused
    # the fitted model: "builtins:set is not a class llmboost saves without pickle"
    import llmboost.persistence as persistence

    X, y = _data("binary", n=60)
    params = {"n_estimators": 5, "categorical_feature": {1}, "eval_at": {3, 1}}
    model = PriorBoostClassifier(booster="lightgbm", booster_params=params, scale=1.0, cv=2)
    path = save(model.fit(X, y), tmp_path / "m.llmboost")
    loaded = load(path)
    assert loaded.booster_params == params
    assert type(loaded.booster_params["eval_at"]) is set
    assert np.array_equal(_outputs(loaded, X), _outputs(model, X))
    manifest = _manifest(path)
    assert manifest["version"] == 2  # an llmboost without set records says "newer format"
    assert {tuple(r["items"]) for r in _records(manifest, "set")} == {(1,), (1, 3)}  # sorted
    frozen = {"$": "set", "frozen": True, "items": ["b", 2, {"$": "tuple", "items": [1]}]}
    assert persistence._Reader(None).decode(frozen, "x") == frozenset({"b", 2, (1,)})
    _records(manifest, "set")[0]["items"] = [[1]]  # a list is no set item
    _rewrite_manifest(path, manifest)
    with pytest.raises(UnsafeFileError, match=r"malformed set \(an unhashable item\)"):
        load(path)


def test_sets_of_frozensets_are_saved_in_an_order_that_does_not_vary_between_runs():
    # frozensets have no total order ("<" is "subset of"): sorted() kept a set of them in
    # its hash order, which for text varies between runs, so one model saved to
    # different bytes (a record or its items, and a file's checksum, changed)
    from llmboost._model_writer import Writer

    groups = {frozenset({c, c.upper()}) for c in "dbfaceg"} | {frozenset()}
    pairs = {(c, frozenset({c, "z"})) for c in "ecadb"}
    encoded = Writer().encode({"groups": groups, "pairs": pairs}, "booster_params")
    (_, groups_record), (_, pairs_record) = encoded["items"]

    def frozen(*items):
        return {"$": "set", "frozen": True, "items": list(items)}

    assert groups_record["items"] == [frozen()] + [frozen(c.upper(), c) for c in "abcdefg"]
    assert pairs_record["items"] == [{"$": "tuple", "items": [c, frozen(c, "z")]} for c in "abcde"]


def test_a_file_with_records_older_readers_lack_has_a_newer_format_version(tmp_path, monkeypatch):
    # masked, exact, random_state and metadata_request records were written in format
    # version 1, so an llmboost from before them read the file as its own format and
    # refused "unknown record type"
    import llmboost.persistence as persistence

    X, y = _data("binary", n=60)
    plain = save(_model("binary", "xgboost", 0.5).fit(X, y), tmp_path / "plain.llmboost")
    params = {"learning_rate": Fraction(1, 4), "n_estimators": 5}
    exact = PriorBoostClassifier(booster_params=params, scale=1.0, cv=2).fit(X, y)
    generator = PriorBoostClassifier(
        LogisticRegression(), scale=1.0, cv=2, random_state=np.random.RandomState(0)
    )
    with sklearn.config_context(enable_metadata_routing=True):
        routed = PriorBoostClassifier(LogisticRegression(), scale=1.0, cv=2)
        routed.set_fit_request(sample_weight=True).fit(X, y, sample_weight=np.ones(len(y)))
    paths = [
        save(exact, tmp_path / "exact.llmboost"),
        save(_tuned_with_a_masked_parameter(), tmp_path / "masked.llmboost"),
        save(generator.fit(X, y), tmp_path / "random_state.llmboost"),
        save(routed, tmp_path / "metadata_request.llmboost"),
    ]
    assert _manifest(plain)["version"] == 1  # older llmboost still reads these
    assert [_manifest(p)["version"] for p in paths] == [2] * 4
    assert all(_records(_manifest(p), p.stem) for p in paths)
    for path in paths:
        load(path)
        manifest = _manifest(path)  # as written before: version 1 with such records
        _rewrite_manifest(path, {**manifest, "version": 1})
        load(path)
        _rewrite_manifest(path, manifest)
    monkeypatch.setattr(persistence, "VERSION", 1)  # an llmboost of format version 1 only
    load(plain)
    with pytest.raises(UnsafeFileError, match=r" has format version 2 \(written by llmboost "):
        load(paths[1])


@pytest.mark.parametrize("cv", [KFold(3, shuffle=True, random_state=0), TimeSeriesSplit(2)])
def test_a_file_holding_a_splitter_has_a_newer_format_version(cv, tmp_path, monkeypatch):
    # splitters are trusted since format version 1 was written, yet such a file stayed in
    # version 1, so an older llmboost said "KFold is not a trusted class", not "newer format"
    import llmboost.persistence as persistence

    X, y = _data("binary", n=60)
    model = PriorBoostClassifier(LogisticRegression(), scale=1.0, cv=cv).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    assert _manifest(path)["version"] == 2
    assert np.array_equal(_outputs(load(path), X), _outputs(model, X))
    monkeypatch.setattr(persistence, "VERSION", 1)  # an llmboost of format version 1 only
    with pytest.raises(UnsafeFileError, match=r" has format version 2 \(written by llmboost "):
        load(path)


def test_a_search_without_masked_candidates_stays_in_format_version_1(tmp_path, monkeypatch):
    # scale="auto" keeps cv_results_' param_<name> as masked arrays with no entry masked:
    # every such file was written in version 2, which llmboost before masks refused
    import llmboost.persistence as persistence

    X, y = _data("binary", n=60)
    model = PriorBoostClassifier(booster_params={"n_estimators": 5}, cv=2).fit(X, y)
    path = save(model, tmp_path / "m.llmboost")
    assert _manifest(path)["version"] == 1
    loaded = load(path)
    for name in ("param_scale", "param_n_rounds"):
        got, want = loaded.cv_results_[name], model.cv_results_[name]
        assert isinstance(got, np.ma.MaskedArray) and got.dtype == want.dtype
        assert not got.mask.any() and got.mask.shape == want.shape
        assert np.array_equal(got.data, want.data)
    monkeypatch.delattr(persistence._Reader, "_tag_masked")  # an llmboost before masks
    monkeypatch.setattr(persistence, "VERSION", 1)
    assert np.array_equal(load(path).cv_results_["param_n_rounds"], want.data)


def test_numpy_float64_and_str_scalars_keep_their_type(tmp_path):
    # np.float64 and np.str_ are subclasses of float and str and were written as those:
    # booster_params' np.float64(0.2) and a scaler's n_samples_seen_ loaded as float
    X, y = _data("binary", n=60)
    params = {"learning_rate": np.float64(0.2), "n_estimators": 5}
    params["grow_policy"] = np.str_("lossguide")
    model = PriorBoostClassifier(booster_params=params, scale=1.0, cv=2).fit(X, y)
    loaded = load(save(model, tmp_path / "m.llmboost"))
    assert [type(v) for v in loaded.booster_params.values()] == [np.float64, int, np.str_]
    assert loaded.booster_params == params
    found = [  # the prior pipeline's scaler
        (type(a.n_samples_seen_), type(b.n_samples_seen_))
        for a, b in zip(_all_objects(model.prior_), _all_objects(loaded.prior_))
        if hasattr(a, "n_samples_seen_")
    ]
    assert found and all(a is b is np.float64 for a, b in found), found
    assert np.array_equal(_outputs(loaded, X), _outputs(model, X))


def _all_objects(root):
    """The scikit-learn and llmboost objects reachable from ``root``, in a fixed order."""
    out, todo = [], [root]
    while todo:
        obj = todo.pop(0)
        if isinstance(obj, list | tuple):
            todo.extend(obj)
        elif hasattr(obj, "__dict__") and type(obj).__module__.split(".")[0] in (
            "sklearn",
            "llmboost",
        ):
            out.append(obj)
            todo.extend(vars(obj).values())
    return out
