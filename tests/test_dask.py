"""The Dask estimators on a 2-process LocalCluster against the local estimators."""

import os
import re
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from column_prior import FirstColumnPrior
from sklearn.exceptions import NotFittedError
from xgboost.callback import EarlyStopping

dd = pytest.importorskip("dask.dataframe")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import llmboost  # noqa: E402
from llmboost import PriorBoostClassifier, PriorBoostRegressor  # noqa: E402
from llmboost._validation import align_categories, feature_names, to_frame  # noqa: E402
from llmboost.dask import (  # noqa: E402
    DaskPFNBoostClassifier,
    DaskPriorBoostClassifier,
    DaskPriorBoostRegressor,
)
from llmboost.priors import Prior  # noqa: E402


@pytest.fixture(scope="module")
def client():
    import cloudpickle

    # Workers are separate processes that cannot import this test module: ship the
    # test prior below by value.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as c:  # fmt: skip
        yield c
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def table(n=300, task="binary", seed=0, levels=(20, 30)):
    """Few distinct values per column (``levels``), so partitions share them (see below)."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "a": rng.integers(0, levels[0], n) * 2 / levels[0],
            "b": rng.integers(0, levels[1], n) * 3 / levels[1],
            "colour": rng.choice(["red", "green", "blue"], n),
        }
    )
    signal = X["a"] - X["b"] / 2 + (X["colour"] == "red") + rng.normal(0, 0.5, n)
    if task == "regression":
        y = signal
    elif task == "binary":
        y = pd.Series(np.where(signal > signal.median(), "yes", "no"))
    else:
        y = pd.Series(np.array(["low", "mid", "high"])[np.digitize(signal, [-0.5, 0.5])])
    return X, y.rename("target")


def to_dask(X, y, npartitions=3):
    return dd.from_pandas(X, npartitions=npartitions), dd.from_pandas(y, npartitions=npartitions)


def output(model, X):
    if isinstance(model, PriorBoostRegressor | DaskPriorBoostRegressor):
        return model.predict(X)
    return model.decision_function(X)


# XGBoost builds its histogram cuts from a distributed quantile sketch; with fewer distinct
# values per column than bins (256) the sketch is exact, so the trees and margins equal the
# local ones (compared at 1e-6; measured equal to the last bit). LightGBM builds each
# column's bins on one worker from that worker's rows (categorical bins ordered by local
# counts), so equality needs numeric columns whose values appear in every partition (no
# text column in its cases); even then its data-parallel learner matched the serial one for
# the first rounds only and then drifted (0.3 in the margin after 20 rounds on 300 rows),
# so its equality checks use 5 rounds. Multiclass LightGBM differs even so on this table
# (0.09 in the margin without a prior, also with one worker's rows split in two parts; exact
# with a single partition): there the probabilities are compared at 0.05 (measured 0.027)
# and the predicted classes must all agree.
CASES = [
    ("binary", "xgboost", 0, None),
    ("binary", "xgboost", 0.5, None),
    ("multiclass", "xgboost", 0.5, None),
    ("regression", "xgboost", 0, None),
    ("regression", "xgboost", 0.5, None),
    ("regression", "xgboost", 0, {"base_score": 3.0}),  # a fixed start, in the trees' unit
    ("binary", "lightgbm", 0, {"n_estimators": 5}),
    ("binary", "lightgbm", 0.5, {"n_estimators": 5}),
    ("multiclass", "lightgbm", 0.5, {"n_estimators": 5}),
    ("regression", "lightgbm", 0, {"n_estimators": 5}),
    ("regression", "lightgbm", 0.5, {"n_estimators": 5}),
]


@pytest.mark.parametrize("task,booster,scale,params", CASES)
def test_fixed_scale_equals_local(client, task, booster, scale, params):
    if booster == "lightgbm":
        X, y = table(task=task, levels=(5, 6))
        X = X.drop(columns="colour")
    else:
        X, y = table(task=task)
    local_cls, dask_cls = (
        (PriorBoostRegressor, DaskPriorBoostRegressor)
        if task == "regression"
        else (PriorBoostClassifier, DaskPriorBoostClassifier)
    )
    kw = dict(scale=scale, booster=booster, booster_params=params, random_state=0)
    local = local_cls(**kw).fit(X, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = dask_cls(**kw).fit(*to_dask(X, y))
    assert [str(w.message) for w in caught if "will be ignored" in str(w.message)] == []
    assert model.n_sample_ == len(X)  # fewer rows than sample_size: the sample is everything
    assert model.scale_ == local.scale_ and (model.prior_ is None) == (scale == 0)
    assert [(m.scale, m.n_rounds, m.weight) for m in model.members_] == [
        (m.scale, m.n_rounds, m.weight) for m in local.members_
    ]
    Xd = dd.from_pandas(X, npartitions=2)  # other partitions than at fit
    got = output(model, Xd)
    assert isinstance(got, da.Array)
    exact = not (task == "multiclass" and booster == "lightgbm")
    if exact:
        np.testing.assert_allclose(got.compute(), output(local, X), atol=1e-6)
    if task != "regression":
        np.testing.assert_allclose(
            model.predict_proba(Xd).compute(), local.predict_proba(X), atol=1e-6 if exact else 0.05
        )
        assert (model.predict(Xd).compute() == local.predict(X)).all()
        np.testing.assert_array_equal(model.classes_, local.classes_)
    booster_model = model.booster_.dask_model_
    assert type(booster_model).__module__.startswith(("xgboost.dask", "lightgbm.dask"))
    # score computes the predictions (unknown chunk sizes) and the labels it compares
    weight = np.linspace(0.5, 1.5, len(X))
    got = model.score(Xd, dd.from_pandas(y, npartitions=3), dd.from_pandas(pd.Series(weight), 2))
    np.testing.assert_allclose(got, local.score(X, y, sample_weight=weight), rtol=1e-6)


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_score_reads_sample_weight_as_the_local_score(client, task):
    # a float failed in scikit-learn ("Input should have at least 1 dimension"), 5 weights
    # for 60 rows said "inconsistent numbers of samples", negative weights were scored
    X, y = table(n=60, task=task)
    Xd, yd = to_dask(X, y)
    local_cls = PriorBoostRegressor if task == "regression" else PriorBoostClassifier
    dask_cls = DaskPriorBoostRegressor if task == "regression" else DaskPriorBoostClassifier
    kw = dict(scale=0, booster_params={"n_estimators": 5}, random_state=0)
    model, local = dask_cls(**kw).fit(Xd, yd), local_cls(**kw).fit(X, y)
    assert model.score(Xd, yd, sample_weight=2.0) == model.score(Xd, yd)
    for weight in (-np.ones(len(X)), np.ones(5)):
        with pytest.raises(ValueError) as caught:
            local.score(X, y, sample_weight=weight)
        with pytest.raises(ValueError, match=f"^{re.escape(str(caught.value))}$"):
            model.score(Xd, yd, sample_weight=weight)


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_score_of_dask_array_labels_and_weights_warns_of_nothing(client, task):
    # computing the margin (a table's) with labels or weights in dask arrays warned
    # dask's "Computing mixed collections ..." on every score
    X, y = table(n=60, task=task)
    Xd, yd = to_dask(X, y)
    local_cls = PriorBoostRegressor if task == "regression" else PriorBoostClassifier
    dask_cls = DaskPriorBoostRegressor if task == "regression" else DaskPriorBoostClassifier
    kw = dict(scale=0, booster_params={"n_estimators": 5}, random_state=0)
    model, local = dask_cls(**kw).fit(Xd, yd), local_cls(**kw).fit(X, y)
    weight = np.linspace(0.5, 1.5, len(X))
    labels, weights = da.from_array(y.to_numpy(), chunks=25), da.from_array(weight, chunks=25)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = [model.score(Xd, labels), model.score(Xd, yd, sample_weight=weights)]
    assert [str(w.message) for w in caught] == []
    # as the local score: the boosters' float32 outputs differ in the last bits (1e-6)
    expected = [local.score(X, y), local.score(X, y, sample_weight=weight)]
    np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_auto_scale_equals_local_and_exposes_the_search(client, task):
    X, y = table(task=task, seed=1)
    kw = dict(scale=[0, 0.3, 1.0, "prior"], cv=3, random_state=0)
    if task == "regression":  # folds stratified on the target, as the local ones
        local = PriorBoostRegressor(**kw).fit(X, y)
        model = DaskPriorBoostRegressor(**kw).fit(*to_dask(X, y))
    else:
        local = PriorBoostClassifier(**kw).fit(X, y)
        model = DaskPriorBoostClassifier(**kw).fit(*to_dask(X, y))
    assert model.scale_ == local.scale_
    assert model.cv_results_.keys() == local.cv_results_.keys()
    for key in ("split0_test_score", "split2_test_score", "mean_test_score"):  # same folds
        np.testing.assert_allclose(
            np.asarray(model.cv_results_[key], dtype=float),
            np.asarray(local.cv_results_[key], dtype=float),
        )
    Xd, _ = to_dask(X, y)
    np.testing.assert_allclose(output(model, Xd).compute(), output(local, X), atol=1e-6)


class PidPrior(Prior):
    """Logits from two columns; records where it is fitted, loaded and scoring."""

    def __init__(self, log=None):
        self.log = log

    def _record(self, event, n=0):
        with open(self.log, "a") as f:
            f.write(f"{event} {os.getpid()} {id(self)} {n}\n")

    def _fit(self, X, y):
        self.center_ = float(X["a"].mean())
        self._record("fit", len(X))

    def _logits(self, X):
        if getattr(self, "_model", None) is None:  # the expensive load, once per object
            self._model = "loaded"
            self._record("load")
        self._record("score", len(X))
        d = (X["a"].to_numpy() - self.center_)[:, None]
        z = np.hstack([-d, d])
        return z - np.logaddexp.reduce(z, axis=1, keepdims=True)

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_model"}


def events(path):
    rows = [line.split() for line in path.read_text().splitlines()]
    return pd.DataFrame(rows, columns=["event", "pid", "obj", "n"]).astype({"n": int})


def test_prior_scores_partitions_on_the_workers(client, tmp_path):
    X, y = table(n=600, task="binary")
    log = tmp_path / "events.txt"
    model = DaskPriorBoostClassifier(
        prior=PidPrior(str(log)), scale=1.0, sample_size=100, random_state=0
    ).fit(*to_dask(X, y, npartitions=6))
    workers = {str(p) for p in client.run(os.getpid).values()}
    fit_log = events(log)
    here = fit_log[fit_log.pid == str(os.getpid())]
    # the prior is fitted on the client only: out of fold and once on the whole sample
    assert set(fit_log[fit_log.event == "fit"].pid) == {str(os.getpid())}
    assert here[here.event == "fit"].n.max() == model.n_sample_
    # the trees reuse the search's out-of-fold margin: each sampled row is scored once
    # on the client (it was twice: 5 + 5 fold fits and 2 * n_sample_ rows scored)
    assert (here.event == "fit").sum() == 5 + 1
    assert here[here.event == "score"].n.sum() == model.n_sample_
    assert 60 <= model.n_sample_ <= 150  # about sample_size rows, stratified
    remote = fit_log[fit_log.pid.isin(workers)]
    assert len(remote) and set(fit_log.pid) <= workers | {str(os.getpid())}  # scored remotely
    # rows outside the sample are scored on the workers; sampled rows use out-of-fold logits
    assert remote[remote.event == "score"].n.sum() == len(X) - model.n_sample_
    for _, rows in remote.groupby("pid"):
        assert rows.obj.nunique() == 1 and (rows.event == "load").sum() == 1
    # every partition is scored, and a worker reuses its one loaded prior across several
    # (how the scheduler splits the 6 partitions between the 2 workers varies)
    scores = remote[remote.event == "score"].groupby("pid").size()
    assert scores.sum() >= 6 and scores.max() >= 2

    log.write_text("")
    Xd = dd.from_pandas(X, npartitions=6)
    proba = model.predict_proba(Xd).compute()
    pred_log = events(log)
    assert set(pred_log.pid) <= workers and pred_log[pred_log.event == "score"].n.sum() == len(X)
    for _, rows in pred_log.groupby("pid"):
        assert rows.obj.nunique() == 1 and (rows.event == "load").sum() == 1
    z = model.prior_.logits(X)  # the same prior, here
    frame = align_categories(to_frame(X), model.categories_)
    margin = model.members_[0].booster.predict_margin(frame, z[:, 1] - z[:, 0])
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-margin)), atol=1e-6)


def test_workers_get_the_mmap_threshold_back(client):
    from llmboost.dask import _scoring

    glibc = sys.platform == "linux" and __import__("platform").libc_ver()[0] == "glibc"
    # distributed's default worker environment sets the trim threshold
    envs = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert set(envs.values()) == {"65536"}
    X, y = table(n=200, task="binary")
    model = DaskPriorBoostClassifier(scale=1.0, sample_size=50, random_state=0)
    model.fit(*to_dask(X, y, npartitions=4))
    # the workers that scored raised the mmap threshold (the function reports the
    # outcome of their first call); this process, without the variable, did not
    done = client.run(lambda: list(sys.modules["llmboost.dask._scoring"]._restored))
    assert {tuple(v) for v in done.values() if v} == {(glibc,)}
    assert _scoring.needs_mmap_threshold({"MALLOC_TRIM_THRESHOLD_": "65536"}) == glibc
    assert not _scoring.needs_mmap_threshold({})
    explicit = {"MALLOC_TRIM_THRESHOLD_": "65536", "MALLOC_MMAP_THRESHOLD_": "131072"}
    assert not _scoring.needs_mmap_threshold(explicit)


def test_sample_keeps_rare_classes_and_all_categories(client):
    X, y = table(n=600, task="binary", seed=2)
    y = y.copy()
    y.iloc[[5, 300, 590]] = "rare"
    X.loc[597, "colour"] = "violet"  # a category most likely outside the sample
    model = DaskPriorBoostClassifier(scale=0.3, sample_size=60, cv=3, random_state=0).fit(
        *to_dask(X, y)
    )
    assert list(model.classes_) == ["no", "rare", "yes"]
    assert "violet" in list(model.categories_["colour"])
    proba = model.predict_proba(dd.from_pandas(X, npartitions=2)).compute()
    assert proba.shape == (600, 3) and np.allclose(proba.sum(axis=1), 1)


def test_dask_arrays_in_known_chunks_out(client):
    X, y = table(task="regression")
    Xn = X[["a", "b"]].to_numpy()
    local = PriorBoostRegressor(scale=0.5, random_state=0).fit(Xn, y.to_numpy())
    model = DaskPriorBoostRegressor(scale=0.5, random_state=0).fit(
        da.from_array(Xn, chunks=(100, 2)), da.from_array(y.to_numpy(), chunks=100)
    )
    got = model.predict(da.from_array(Xn, chunks=(120, 1)))
    assert got.chunks == ((120, 120, 60),)
    np.testing.assert_allclose(got.compute(), local.predict(Xn), atol=1e-6)
    assert feature_names(model) == ["x0", "x1"] and not hasattr(model, "feature_names_in_")


def test_integer_column_names_read_like_an_array(client):
    X, y = table()
    values = X[["a", "b"]].to_numpy()
    numbered = pd.DataFrame(values)  # columns 0 and 1: named x0, x1 as locally
    kw = dict(scale=0.5, random_state=0)
    local = PriorBoostClassifier(**kw).fit(numbered, y)
    model = DaskPriorBoostClassifier(**kw).fit(*to_dask(numbered, y))
    assert feature_names(model) == ["x0", "x1"] and not hasattr(model, "feature_names_in_")
    from_array = model.decision_function(da.from_array(values, chunks=(120, 2))).compute()
    np.testing.assert_allclose(from_array, local.decision_function(values), atol=1e-6)
    # named columns: an array of them is taken too, with scikit-learn's warning
    named = DaskPriorBoostClassifier(scale=0, random_state=0).fit(*to_dask(X[["a", "b"]], y))
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        got = named.predict(da.from_array(values, chunks=100)).compute()
    expected = named.predict(dd.from_pandas(X[["a", "b"]], npartitions=2)).compute()
    np.testing.assert_array_equal(got, expected)


def test_categories_of_any_type_and_object_columns_convert_as_locally(client):
    import dask

    rng = np.random.default_rng(3)
    n = 300
    code = rng.choice([10, 2, 3], n)
    mixed = np.array([1, 2.5, True], dtype=object)[rng.integers(0, 3, n)]
    mixed[:5] = "text"  # text in the first partition only: locally the column is text
    X = pd.DataFrame(
        {
            "a": rng.integers(0, 20, n) / 10,
            "code": pd.Categorical(code),  # int categories
            "flag": pd.Categorical(rng.random(n) < 0.5),  # bool categories
            "size": pd.Categorical(rng.choice([0.5, 1.5], n)),  # float categories
            "count": pd.Series(rng.integers(0, 5, n), dtype=object),  # numbers: floats
            "mixed": pd.Series(mixed, dtype=object),
        }
    )
    y = pd.Series(np.where((code == 2) ^ (X["a"] > 1), "yes", "no"))
    kw = dict(scale=0.5, random_state=0)
    local = PriorBoostClassifier(**kw).fit(X, y)
    # dask turns object columns into strings unless told not to (see docs/dask.md)
    with dask.config.set({"dataframe.convert-string": False}):
        model = DaskPriorBoostClassifier(**kw).fit(*to_dask(X, y))
        Xd = dd.from_pandas(X, npartitions=2)
    assert model.categories_.keys() == local.categories_.keys() == {"code", "flag", "size", "mixed"}
    for name, categories in local.categories_.items():
        pd.testing.assert_index_equal(model.categories_[name], categories)
    np.testing.assert_allclose(
        model.decision_function(Xd).compute(), local.decision_function(X), atol=1e-6
    )


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_a_text_column_missing_in_every_row_is_categorical_as_locally(client, booster):
    # the schema read it as numbers (no categories_ entry, as the local fit then did)
    import dask

    X, y = table(levels=(5, 6))  # LightGBM matches the local fit on these (see above)
    X = X.drop(columns="colour").assign(empty=pd.Series([None] * len(X), dtype=object))
    kw = dict(scale=0.5, booster=booster, booster_params={"n_estimators": 5}, random_state=0)
    local = PriorBoostClassifier(**kw).fit(X, y)
    with dask.config.set({"dataframe.convert-string": False}):
        model = DaskPriorBoostClassifier(**kw).fit(*to_dask(X, y))
    pd.testing.assert_index_equal(model.categories_["empty"], pd.Index([], dtype=object))
    new = X.assign(empty=np.array(["1", "u", "v"], dtype=object)[np.arange(len(X)) % 3])
    got = model.decision_function(dd.from_pandas(new, npartitions=2)).compute()
    np.testing.assert_allclose(got, local.decision_function(X), atol=1e-6)  # see above


def test_a_column_whose_kind_changed_since_fit_is_warned_about_once_per_call(client):
    # the local warning was raised on the workers, where only their logs showed it: the
    # text column given as numbers became missing in every row without a word; then it
    # came once per partition (4 here), now once per column and call
    import time

    X, y = table(n=120)
    model = DaskPriorBoostClassifier(scale=0, booster_params={"n_estimators": 3}).fit(
        *to_dask(X, y)
    )
    codes = X.assign(colour=X["colour"].map({"red": 1, "green": 2, "blue": 3}))
    rows = dd.from_pandas(codes, npartitions=4)  # 30 rows each
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):  # two calls: one warning each
            model.predict(rows).compute()
        for _ in range(50):  # the workers' warnings arrive as events, maybe after compute
            if len(caught) >= 2:
                break
            time.sleep(0.1)
        time.sleep(1)  # (any more would have arrived)
    assert [str(w.message) for w in caught] == 2 * [
        "Column 'colour' was categorical at fit but is numeric now; its values were matched "
        "to the fit categories by number; 30 value(s) matched nothing and became missing "
        "(counted in the first partition of X to report it: the warning comes once per "
        "column and call, not summed over partitions)."
    ]  # 120 values were lost in all; the 30 said so as if they were all
    assert {w.category for w in caught} == {UserWarning}


def test_a_worker_sends_a_column_s_warning_once_per_call(client):
    # every partition sent its warning to the scheduler and the client, which showed the
    # first: 8 events for 8 partitions on 2 workers, now at most one per worker
    import time

    from llmboost.dask._forward import TOPIC

    X, y = table(n=120)
    model = DaskPriorBoostClassifier(scale=0, booster_params={"n_estimators": 3})
    model.fit(*to_dask(X, y))
    before = {msg["call"] for _, msg in client.get_events(TOPIC)}
    codes = X.assign(colour=X["colour"].map({"red": 1, "green": 2, "blue": 3}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.predict(dd.from_pandas(codes, npartitions=8)).compute()
        for _ in range(50):  # the events arrive after compute, maybe
            if caught:
                break
            time.sleep(0.1)
        time.sleep(1)  # (any more would have arrived)
    sent = [msg for _, msg in client.get_events(TOPIC) if msg["call"] not in before]
    assert 1 <= len(sent) <= 2 and len(caught) == 1


def test_partitions_converted_outside_a_worker_warn_once_per_call(client):
    # with dask's threaded scheduler (no worker), each of the 4 partitions warned of the
    # column whose kind changed: 4 warnings for one call, now one (one more call: one more)
    from llmboost.dask._data import prepared

    categories = {"colour": pd.Index(["1", "2", "3"])}
    X = pd.DataFrame({"colour": np.tile([1.0, 2.0, 3.0], 8)})  # numbers, text at fit
    rows = dd.from_pandas(X, npartitions=4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            prepared(rows, categories, client).compute(scheduler="threads")
    assert [str(w.message) for w in caught] == 2 * [
        "Column 'colour' was categorical at fit but is numeric now; its values were matched "
        "to the fit categories by number."
    ]


def test_a_partition_s_lost_values_are_not_hidden_by_one_that_lost_none(client):
    # the first partition's warning (no value lost) was the call's one warning: the 5
    # values the second partition lost were not said; its count is its own
    from llmboost.dask._data import prepared

    categories = {"colour": pd.Index(["1", "2", "3"])}
    X = pd.DataFrame({"colour": [1.0, 2, 3, 1, 2, 9, 9, 9, 9, 9]})  # numbers, text at fit
    rows = dd.from_pandas(X, npartitions=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prepared(rows, categories, client).compute(scheduler="sync")
    said = "Column 'colour' was categorical at fit but is numeric now; its values were "
    assert sorted(str(w.message) for w in caught) == [  # (dask picks their order)
        f"{said}matched to the fit categories by number.",
        f"{said}matched to the fit categories by number; 5 value(s) matched nothing and "
        "became missing (counted in the first partition of X to report it: the warning "
        "comes once per column and call, not summed over partitions).",
    ]


def test_no_category_seen_at_fit_is_said_of_a_partition_not_the_column(client):
    # the first partition's values are all unseen, the second's all seen: the warning
    # said the column held no category seen at fit, when half its rows did
    from llmboost.dask._data import prepared

    categories = {"colour": pd.Index(["blue", "green", "red"])}
    X = pd.DataFrame({"colour": ["pink", "grey", "pink", "red", "blue", "green"]})
    rows = dd.from_pandas(X, npartitions=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = prepared(rows, categories, client).compute(scheduler="sync")
    assert out["colour"].tolist()[3:] == ["red", "blue", "green"]
    assert [str(w.message) for w in caught] == [
        "Column 'colour' holds no category seen at fit in a partition of X: its values (such "
        "as 'pink', 'grey') are not among the fit's ('blue', 'green', 'red'), so all 3 became "
        "missing (counted in the first partition of X to report it: the warning comes once "
        "per column and call, not summed over partitions). Check that it is the column of "
        "the fit, its values written the same way."
    ]


def test_partitions_converted_at_once_on_a_worker_s_threads_forward_every_warning(
    monkeypatch,
):
    # each partition recorded its warnings by swapping the process's warning state
    # (catch_warnings), which a worker's threads share: one partition's end restored the
    # state under another, whose warnings went to the worker's log (1 forwarded of 2),
    # and the last end left "always" and a dead recorder in place for every later warning
    import threading

    from llmboost.dask import _data

    begun, entered, ended = threading.Event(), threading.Event(), threading.Event()

    def align(frame, categories):  # partition 0 ends while partition 1 converts
        if frame.index[0] == 0:
            begun.set()
            warnings.warn("partition 0", UserWarning, stacklevel=2)
            entered.wait(1)  # partition 1 waits for it (at most 1 s) to begin
        else:
            entered.set()
            ended.wait(5)
            warnings.warn("partition 1", UserWarning, stacklevel=2)
        return frame

    sent = []
    monkeypatch.setattr(_data, "align_categories", align)
    forward = lambda got, call: sent.extend(str(w.message) for w in got)  # noqa: E731
    monkeypatch.setattr(_data, "forward", forward)
    meta = pd.DataFrame({"a": pd.Series(dtype=float)})
    filters = list(warnings.filters)

    def convert(row):
        _data.prepare_partition(pd.DataFrame({"a": [1.0]}, index=[row]), {}, meta)
        if row == 0:
            ended.set()

    threads = [threading.Thread(target=convert, args=(row,)) for row in (0, 1)]
    threads[0].start()
    begun.wait(5)
    threads[1].start()
    for thread in threads:
        thread.join(10)
    assert sorted(sent) == ["partition 0", "partition 1"]
    assert warnings.filters == filters  # the state before, not a partition's


def test_categories_dask_does_not_know_are_sorted_as_locally(client):
    # each partition of X["code"].astype("category") makes its own sorted categories;
    # their union kept the order of appearance: ['7', '10', '2', '3'], locally sorted
    X, y = table(n=300)
    code = np.array([7, 10, 2, 3])[np.repeat([0, 1, 2, 3], 75)]  # partitions hold few
    X = X.assign(code=code)
    local = PriorBoostClassifier(scale=0.5, random_state=0).fit(X.astype({"code": "category"}), y)
    Xd, yd = to_dask(X, y)
    Xd["code"] = Xd["code"].astype("category")
    assert not Xd["code"].cat.known
    model = DaskPriorBoostClassifier(scale=0.5, random_state=0).fit(Xd, yd)
    assert model.categories_["code"].tolist() == local.categories_["code"].tolist()
    assert local.categories_["code"].tolist() == ["2", "3", "7", "10"]
    np.testing.assert_allclose(  # see above: XGBoost's trees equal the local ones
        model.decision_function(Xd).compute(),
        local.decision_function(X.astype({"code": "category"})),
        atol=1e-6,
    )


# -- errors ------------------------------------------------------------------------------
def test_missing_extra_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r'pip install "llmboost\[dask\]"'):
        DaskPriorBoostClassifier().fit(None, None)


def test_unknown_and_missing_columns(client):
    X, y = table(n=100)
    model = DaskPriorBoostClassifier(scale=0, random_state=0).fit(*to_dask(X, y))
    bad = dd.from_pandas(X.rename(columns={"b": "beta"}), npartitions=2)
    with pytest.raises(ValueError, match=r"unseen at fit time:\n- beta\n.*now missing:\n- b"):
        model.predict(bad)
    with pytest.raises(ValueError, match="same order as they were in fit"):
        model.predict(dd.from_pandas(X[["b", "a", "colour"]], npartitions=2))


def test_fit_s_columns_in_another_order_get_the_local_hint(client):
    X, y = table(n=100)
    model = DaskPriorBoostClassifier(scale=0, random_state=0).fit(*to_dask(X, y))
    swapped = X[["b", "a", "colour"]]
    with pytest.raises(ValueError) as local:
        PriorBoostClassifier(scale=0).fit(X, y).predict(swapped)
    with pytest.raises(ValueError) as error:
        model.predict(dd.from_pandas(swapped, npartitions=2))
    hint = "X has fit's columns in another order: column 0 is 'b', fit's is 'a'."
    assert hint in str(error.value)
    assert str(error.value) == str(local.value)


def local_error(model, X, y):
    """The message the local estimator gives for these rows."""
    with pytest.raises(ValueError) as error:
        model.fit(X, y)
    return str(error.value)


def test_missing_labels_are_named_as_locally(client):
    X, y = table(n=150)
    Xd = dd.from_pandas(X, npartitions=3)
    missing = y.where(~y.index.isin([7, 140]))  # text labels with NaN
    codes = (y == "yes").astype(float).where(y.index != 99)
    target = table(n=150, task="regression")[1].where(y.index != 140)
    for dask_cls, local_cls, labels in [
        (DaskPriorBoostClassifier, PriorBoostClassifier, missing),
        (DaskPriorBoostClassifier, PriorBoostClassifier, codes),
        (DaskPriorBoostRegressor, PriorBoostRegressor, target),
    ]:
        message = local_error(local_cls(scale=0), X, labels)
        assert "rows [" in message
        with pytest.raises(
            ValueError, match=re.escape(message)
        ):  # rows 99, 140: most likely unsampled
            dask_cls(scale=0, sample_size=20).fit(Xd, dd.from_pandas(labels, npartitions=3))


@pytest.mark.parametrize("bad", ["nan", "inf", "-Infinity", "abc"])
def test_text_in_a_regressor_s_labels_is_named_as_locally(client, bad):
    # labels held as objects were checked for NaN and infinity only as floats: "inf" at an
    # unsampled row reached XGBoost's workers ("Label contains NaN, infinity ...")
    X, y = table(n=150, task="regression")
    y = y.astype(object)
    y[140] = bad  # row 140: most likely unsampled
    message = local_error(PriorBoostRegressor(scale=0), X, y)
    assert ("rows [140]" in message) != (bad == "abc")
    with pytest.raises(ValueError, match=re.escape(message)):
        DaskPriorBoostRegressor(scale=0, sample_size=20).fit(*to_dask(X, y))


@pytest.mark.parametrize("strings", [False, True])
def test_a_regressor_s_label_beyond_floats_outside_the_sample_is_named_as_locally(client, strings):
    # left to the local fit on the sample: unsampled, it failed on the workers with a
    # bare AssertionError; with dask's strings (on by default) the label became the text
    # "-1000...0", read as -inf: "Input y contains NaN or infinity (rows [140])"
    import dask

    X, y = table(n=150, task="regression")
    y = y.astype(object)
    y[140] = -(10**400)  # row 140: not in the sample of random_state=0
    message = local_error(PriorBoostRegressor(scale=0), X, y)
    assert message.startswith("y holds -1e+400 (about 401 digits) at row 140, beyond")
    model = DaskPriorBoostRegressor(scale=0, sample_size=20, random_state=0)
    with dask.config.set({"dataframe.convert-string": strings}):
        with pytest.raises(ValueError, match=re.escape(message)):
            model.fit(*to_dask(X, y))


@pytest.mark.parametrize("strings", [False, True])
@pytest.mark.parametrize("big", [2**70, 10**400], ids=["2**70", "10**400"])
def test_a_classifier_s_label_beyond_int64_is_named_at_its_row_as_locally(client, strings, big):
    # the local fit on the sample refused it at its row in the sample: "(row 19)"
    import dask

    X, _ = table(n=150)
    y = pd.Series(np.where(np.arange(150) % 2, 1, 2), dtype=object, name="target")
    y[140] = big
    message = local_error(PriorBoostClassifier(scale=0), X, y)
    assert "(row 140), beyond int64's range" in message
    model = DaskPriorBoostClassifier(scale=0, sample_size=20, random_state=0)
    with dask.config.set({"dataframe.convert-string": strings}):
        with pytest.raises(ValueError, match=re.escape(message)):
            model.fit(*to_dask(X, y))


@pytest.mark.parametrize(
    ("booster", "params", "read", "fix"),
    [  # before: XGBoost failed in training, LightGBM predicted 4.86e+36 for every row
        ("xgboost", {}, "1.57e+39", "(y - 0.494) / 0.637"),
        ("lightgbm", {}, "1.57e+39", "(y - 0.494) / 0.637"),
        ("xgboost", {"objective": "reg:absoluteerror"}, "1e+39", "(y - 0.494) / 1"),
    ],
)
def test_a_label_beyond_float32_in_the_trees_unit_outside_the_sample_is_named(
    client, booster, params, read, fix
):
    # the trees train on (y - centre) / spread of the sampled rows: the local fit on the
    # sample never saw row 140 (random_state=0)
    X, y = table(n=150, task="regression")
    y[140] = 1e39
    kw = dict(scale=0, booster=booster, booster_params={"n_estimators": 3, **params})
    model = DaskPriorBoostRegressor(**kw, sample_size=20, random_state=0)
    with pytest.raises(ValueError) as error:
        model.fit(*to_dask(X, y))
    advice = "or raise sample_size so that the sample spans y" if params == {} else "or drop"
    assert str(error.value).startswith(
        f"y holds 1e+39 (at index 140), which the trees read as {read}: they train on "
        f"{fix}, set on the sampled rows, and store it as float32 (|value| <= 3.4e+38); "
        "divide y by a power of ten (and multiply the predictions back)"
    )
    assert str(error.value).endswith(f"{advice} that row." if params else f"{advice}.")


def test_too_few_classes_for_the_folds_are_counted_over_all_rows(client):
    # the local fit on the sample named the sample's counts: {'a': 50, 'b': 1}
    X, _ = table(n=600)
    y = pd.Series(np.where(np.arange(600) == 5, "b", "a"), name="target")
    message = local_error(PriorBoostClassifier(scale=0.5), X, y)
    assert "class counts are {'a': 599, 'b': 1}." in message
    with pytest.raises(ValueError, match=re.escape(message)):
        DaskPriorBoostClassifier(scale=0.5, sample_size=50).fit(*to_dask(X, y))


def test_text_labels_that_read_as_infinity_are_a_classifier_s_classes(client):
    X, y = table(n=60)
    y = y.map({"yes": "inf", "no": "1"})  # text: classes, as locally
    local = PriorBoostClassifier(scale=0).fit(X, y)
    model = DaskPriorBoostClassifier(scale=0).fit(*to_dask(X, y))
    assert model.classes_.tolist() == local.classes_.tolist() == ["1", "inf"]


@pytest.mark.parametrize("booster, scale", [("xgboost", 0), ("lightgbm", 0), ("lightgbm", 0.5)])
@pytest.mark.parametrize("unit, offset", [(1e-9, 0.0), (1.0, 1e9)])
def test_a_target_in_any_unit_trains_trees_as_locally(client, booster, scale, unit, offset):
    # 1e-9 units: XGBoost alone grows no tree; 1e9 + y: float32 labels lose the digits
    levels = (5, 6) if booster == "lightgbm" else (20, 30)  # as in the cases above
    X, y = table(n=150, task="regression", levels=levels)
    X, y = X.drop(columns="colour"), y * unit + offset
    kw = {"scale": scale, "booster": booster, "booster_params": {"n_estimators": 5}}
    local = PriorBoostRegressor(**kw, random_state=0).fit(X, y)
    model = DaskPriorBoostRegressor(**kw, random_state=0).fit(*to_dask(X, y))
    got = model.predict(dd.from_pandas(X, npartitions=2)).compute()
    # float32 trees: agreement to 1e-5 of the target's spread, whatever its offset
    np.testing.assert_allclose(got, local.predict(X), rtol=0, atol=1e-5 * np.std(y))
    assert np.std(got) > 0.2 * np.std(y)  # 5 rounds at learning rate 0.1; no tree: 0


def test_a_bad_feature_value_is_named_by_its_index(client):
    X, y = table(n=150)
    X.loc[120, "a"] = np.inf  # in the last of 3 partitions: its 20th row
    said = r"'a' contains infinity \(first in partition 2 of X at index 120\)"
    with pytest.raises(ValueError, match=said):
        DaskPriorBoostClassifier(scale=0).fit(*to_dask(X, y))
    with pytest.raises(ValueError, match=r"'a' contains infinity \(first at row 120\)"):
        PriorBoostClassifier(scale=0).fit(X, y)


def test_a_bad_value_is_the_first_of_its_partition_not_said_first_of_x(client):
    # partitions 1 and 2 hold infinity from their first row: the one that failed first
    # said "first at index 100" (dask picks which) while index 50 held it too
    X, y = table(n=150)
    model = DaskPriorBoostClassifier(scale=0, booster_params={"n_estimators": 3})
    model.fit(*to_dask(X, y))
    rows = dd.from_pandas(X.assign(a=np.where(X.index >= 50, np.inf, X["a"])), npartitions=3)
    with pytest.raises(ValueError) as error:
        model.predict(rows).compute()
    first = re.search(r"\(first [^)]*\)", str(error.value))[0]
    assert first in ("(first in partition 1 of X at index 50)",
                     "(first in partition 2 of X at index 100)")  # fmt: skip
    with pytest.raises(ValueError, match=r"\(first at row 0\)"):  # as locally
        model.predict(dd.from_pandas(X.assign(a=np.inf), npartitions=1)).compute()


@pytest.mark.parametrize("strings", [False, True])
def test_a_feature_beyond_floats_is_named_as_locally(client, strings):
    # dask's strings wrote 10**400 as text, read back as inf: "'h' contains infinity"
    import dask

    X, y = table(n=150)
    X["h"] = pd.Series(np.arange(150.0), dtype=object)
    X.loc[120, "h"] = 10**400
    message = local_error(PriorBoostClassifier(scale=0), X, y)
    assert message.startswith("Column 'h' holds 1e+400 (about 401 digits) (first at row 120)")
    with dask.config.set({"dataframe.convert-string": strings}):
        where = message.replace("(first at row", "(first in partition 2 of X at index")
        with pytest.raises(ValueError, match=re.escape(where)):
            DaskPriorBoostClassifier(scale=0).fit(*to_dask(X, y))


def test_labels_need_the_index_of_X(client):
    X, y = table(n=150)
    Xd = dd.from_pandas(X, npartitions=3)
    shifted = dd.from_pandas(y.set_axis(np.arange(100, 250)), npartitions=3)
    with pytest.raises(ValueError, match="y's index runs from 100 to 249 but X's from 0 to 149"):
        DaskPriorBoostClassifier(scale=0).fit(Xd, shifted)
    short = dd.from_pandas(y.drop(index=[40]), npartitions=3)
    with pytest.raises(ValueError, match="X has 150 rows, y has 149"):
        DaskPriorBoostClassifier(scale=0).fit(Xd, short)
    even = dd.from_pandas(X.set_axis(np.arange(150) * 2), npartitions=3)
    other = dd.from_pandas(y.set_axis([*range(149), 298]), npartitions=3)  # same ends
    with pytest.raises(ValueError, match="y's index differs from X's in partition 0: .* y needs"):
        DaskPriorBoostClassifier(scale=0).fit(even, other)


def test_explain_takes_in_memory_rows(client):
    X, y = table()
    kw = dict(scale=0.5, booster_params={"n_estimators": 20}, random_state=0)
    local = PriorBoostClassifier(**kw).fit(X, y)
    model = DaskPriorBoostClassifier(**kw).fit(*to_dask(X, y))
    rows = X.iloc[:50]
    explained = llmboost.explain(model, rows)
    margin = model.decision_function(dd.from_pandas(rows, npartitions=2)).compute()
    np.testing.assert_allclose(explained.sum(axis=1), margin, atol=1e-6)
    assert (explained["prior"] != 0).all()
    pd.testing.assert_frame_equal(model.explain(rows), local.explain(rows), atol=1e-6)
    with pytest.raises(TypeError, match=r"in-memory rows .* got a dask DataFrame: .*head"):
        model.explain(dd.from_pandas(rows, npartitions=2))


def test_a_refit_with_a_given_prior_drops_default_prior(client):
    from sklearn.linear_model import LogisticRegression

    X, y = table(n=100)
    model = DaskPFNBoostClassifier(scale=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the bundled PFN's notice when TabPFN is missing
        model.fit(*to_dask(X, y))
    assert model.default_prior_ in ("tabpfn", "bundled")
    model.set_params(prior=LogisticRegression()).fit(*to_dask(X, y))
    assert not hasattr(model, "default_prior_")


def test_messages_of_the_sample_fit_name_the_dask_class(client, monkeypatch):
    from llmboost.dask import DaskPFNBoostRegressor
    from llmboost.priors import TabPFNPrior

    # the sample's local fit named its own class (PFNBoostRegressor), not the one built
    monkeypatch.setattr(TabPFNPrior, "is_available", lambda self: False)
    X, y = table(n=100, task="regression")
    model = DaskPFNBoostRegressor(scale=0, cv=2, random_state=0)
    with pytest.warns(UserWarning, match="TabPFN v2 is not available") as caught:
        model.fit(*to_dask(X, y))
    texts = [str(w.message) for w in caught if "TabPFN v2" in str(w.message)]
    assert len(texts) == 1 and "; DaskPFNBoostRegressor uses the PFN bundled" in texts[0]
    assert model.sample_estimator_._who == "PFNBoostRegressor"  # its own name after fit
    model = DaskPriorBoostRegressor(prior=FirstColumnPrior(), scale=0, cv=2)
    with pytest.raises(ValueError, match="^DaskPriorBoostRegressor needs a regression prior"):
        model.fit(*to_dask(X, y))


def test_unknown_divisions_and_chunks(client, tmp_path):
    X, y = table(n=100)
    Xd, yd = to_dask(X, y)
    # dd.read_csv's frames have unknown divisions: X and y taken from one frame are
    # matched partition by partition (fit refused them: "X has unknown divisions")
    for k in range(3):
        X.assign(target=y).iloc[k * 40 : (k + 1) * 40].to_csv(tmp_path / f"{k}.csv", index=False)
    df = dd.read_csv(tmp_path / "*.csv")
    assert not df.known_divisions and df.npartitions == 3
    kw = dict(scale=0.5, random_state=0)
    expected = DaskPriorBoostClassifier(**kw).fit(Xd, yd).decision_function(Xd).compute()
    for X_, y_ in [(df[list(X.columns)], df["target"]), (Xd, yd.clear_divisions())]:
        model = DaskPriorBoostClassifier(**kw).fit(X_, y_)
        # XGBoost on every row reproduces the fit (see CASES)
        np.testing.assert_allclose(model.decision_function(X_).compute(), expected, atol=1e-6)
    with pytest.raises(ValueError, match="y has 2 partitions and X 3: take both from one"):
        DaskPriorBoostClassifier(scale=0).fit(df[list(X.columns)], yd.repartition(npartitions=2))
    with pytest.raises(ValueError, match="y's index differs from X's in partition 0"):
        DaskPriorBoostClassifier(scale=0).fit(Xd.clear_divisions(), df["target"])
    unknown = Xd[["a", "b"]].to_dask_array()  # chunk sizes not computed
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        DaskPriorBoostClassifier(scale=0).fit(unknown, yd.to_dask_array(lengths=True))
    # predict maps partitions, matching nothing: unknown divisions (dd.read_csv) are fine
    model = DaskPriorBoostClassifier(scale=0.5, random_state=0).fit(Xd, yd)
    unknown = Xd.clear_divisions()
    np.testing.assert_array_equal(model.predict(unknown).compute(), model.predict(Xd).compute())
    assert model.score(unknown, yd) == model.score(Xd, yd)
    # an array of unknown chunk sizes (X.to_dask_array()) was refused at predict too
    array = Xd[["a", "b"]].to_dask_array()
    numbers = DaskPriorBoostClassifier(scale=0.5, random_state=0).fit(Xd[["a", "b"]], yd)
    expected = numbers.predict_proba(Xd[["a", "b"]]).compute()
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        np.testing.assert_array_equal(numbers.predict_proba(array).compute(), expected)


def test_bad_inputs_and_parameters(client):
    X, y = table(n=100)
    Xd, yd = to_dask(X, y)
    with pytest.raises(TypeError, match="dask DataFrame or dask array, got DataFrame"):
        DaskPriorBoostClassifier().fit(X, y)
    with pytest.raises(ValueError, match="sample_size must be an integer >= 2"):
        DaskPriorBoostClassifier(sample_size=1).fit(Xd, yd)
    with pytest.raises(ValueError, match="scale=-1 is invalid"):
        DaskPriorBoostClassifier(scale=-1).fit(Xd, yd)
    # the private class's "unexpected keyword argument" came through
    message = "DaskPriorBoostClassifier.fit takes no sample_weight yet; fit PriorBoostClassifier"
    with pytest.raises(TypeError, match=message):
        DaskPriorBoostClassifier().fit(Xd, yd, sample_weight=np.ones(100))
    with pytest.raises(TypeError, match="takes no eval_set yet"):
        DaskPriorBoostClassifier().fit(Xd, yd, eval_set=(X, y))
    for unfitted in (DaskPriorBoostClassifier().predict, DaskPriorBoostRegressor().predict):
        with pytest.raises(NotFittedError):
            unfitted(Xd)


def test_no_rows_are_named_as_locally(client):
    # a classifier failed with "ZeroDivisionError: division by zero" (the sample's size)
    X, y = table(n=100)
    Xd = dd.from_pandas(X.iloc[:0], npartitions=1)
    message = re.escape("Found array with shape (0, 3); at least 1 sample")
    for model, labels in ((DaskPriorBoostClassifier(), y), (DaskPriorBoostRegressor(), X["a"])):
        with pytest.raises(ValueError, match=message):
            model.fit(Xd, dd.from_pandas(labels.iloc[:0], npartitions=1))
    with pytest.raises(ValueError, match=message):
        PriorBoostClassifier().fit(X.iloc[:0], y.iloc[:0])
    # no columns: a partition's shape was named ("Found array with shape (34, 0)")
    Xd, yd = to_dask(X[[]], y)
    with pytest.raises(ValueError, match=r"X has no columns \(shape \(100, 0\)\); at least 1"):
        DaskPriorBoostClassifier().fit(Xd, yd)
    with pytest.raises(ValueError, match=r"X has no columns \(shape \(100, 0\)\); at least 1"):
        DaskPriorBoostClassifier().fit(da.zeros((100, 0), chunks=50), yd)


def test_a_client_given_computes_everything(client):
    # fit and score computed with the default client (the module's, here: "cancelled
    # for reason: lost dependencies") or without one ("Missing dependency"), while the
    # persisted rows were the given client's
    X, y = table(n=100)
    Xd, yd = to_dask(X, y)
    expected = DaskPriorBoostClassifier(scale=0.5, random_state=0).fit(Xd, yd)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster, distributed.Client(cluster, set_as_default=False) as other:  # fmt: skip
        model = DaskPriorBoostClassifier(scale=0.5, random_state=0, client=other)
        model.fit(Xd, yd)
        assert model.score(Xd, yd) == expected.score(Xd, yd)
        # the outputs are lazy: computed by the client that holds the model's parts
        got = other.compute(model.predict_proba(Xd)).result()
    np.testing.assert_allclose(got, expected.predict_proba(Xd).compute(), atol=1e-6)


def test_xgboost_trains_on_every_thread_of_a_worker():
    # the boosters' n_jobs=1 (a local default, for the parallel search) reached
    # xgboost.dask, so each worker trained on one thread whatever its threads
    import json

    X, y = table(n=100)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster, distributed.Client(cluster, set_as_default=False) as c:  # fmt: skip
        Xd, yd = to_dask(X, y)
        for params, threads in (({}, "2"), ({"n_jobs": 1}, "1")):
            params = {"n_estimators": 2, **params}
            model = DaskPriorBoostClassifier(scale=0, booster_params=params, client=c)
            config = model.fit(Xd, yd).booster_.dask_model_.get_booster().save_config()
            assert json.loads(config)["learner"]["generic_param"]["nthread"] == threads
            assert model.booster_.model_.get_params()["n_jobs"] == 1  # predicts per task


def test_in_memory_labels_say_how_to_wrap_them(client):
    # "y must be a dask Series or 1-d dask array, got Series." said nothing of the fix
    X, y = table(n=100)
    Xd = dd.from_pandas(X, npartitions=3)
    for labels, kind in ((y, "Series"), (y.to_numpy(), "ndarray"), ([0, 1], "list")):
        message = f"got {kind}; wrap in-memory labels as one, e.g. dd.from_pandas"
        with pytest.raises(TypeError, match=message):
            DaskPriorBoostClassifier(scale=0).fit(Xd, labels)
    with pytest.raises(TypeError, match="got a dask DataFrame of 2 columns; pass one"):
        DaskPriorBoostClassifier(scale=0).fit(Xd, Xd[["a", "b"]])


@pytest.mark.parametrize("dask_cls", [DaskPriorBoostClassifier, DaskPriorBoostRegressor])
def test_tags_say_missing_values_and_text_are_taken(dask_cls):
    # scikit-learn's defaults said neither, though both are read as locally
    tags = dask_cls().__sklearn_tags__()
    assert tags.input_tags.allow_nan and tags.input_tags.string
    assert tags.estimator_type == dask_cls._local().__sklearn_tags__().estimator_type


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_empty_partitions_train(client, booster):
    # a worker holding only empty partitions (rows filtered out) failed LightGBM's
    # fit: "Input data must be 2 dimensional and non empty."
    X, y = table()
    X = X.drop(columns="colour")
    Xd, yd = to_dask(X, y, npartitions=4)
    keep = dd.from_pandas(pd.Series(np.arange(300) < 75), npartitions=4)  # partition 0
    Xd, yd = Xd[keep], yd[keep]
    assert [len(p) for p in dask_partitions(yd)] == [75, 0, 0, 0]
    kw = dict(scale=0.5, booster=booster, booster_params={"n_estimators": 5}, random_state=0)
    model = DaskPriorBoostClassifier(**kw).fit(Xd, yd)
    local = PriorBoostClassifier(**kw).fit(X.iloc[:75], y.iloc[:75])
    # one partition with rows: trained on one worker, as locally (to the last bits)
    np.testing.assert_allclose(
        model.decision_function(Xd).compute(), local.decision_function(X.iloc[:75]), atol=1e-6
    )


def test_no_client_is_named(monkeypatch):
    def no_client():
        raise ValueError("No clients found")

    monkeypatch.setattr(distributed, "default_client", no_client)
    X, y = table(n=50)
    with pytest.raises(ValueError, match="needs a dask client: pass client="):
        DaskPriorBoostClassifier().fit(*to_dask(X, y))


@pytest.fixture(scope="module")
def language_models(client, tmp_path_factory):
    """A tiny language model's folder, and LLMBoostClassifier and DaskLLMBoostClassifier
    fitted with it on one table (each with a disk cache of its own), shared by the tests
    below: building and fitting them once saves each test its own."""
    pytest.importorskip("transformers")
    from llm_fixtures import build_gpt2

    from llmboost import LLMBoostClassifier, LLMPrior
    from llmboost.dask import DaskLLMBoostClassifier

    tmp_path = tmp_path_factory.mktemp("language_models")
    X, y = table(n=120)
    path = str(build_gpt2(tmp_path / "gpt2"))
    kw = dict(scale=0.5, booster_params={"n_estimators": 10}, random_state=0)

    def prior(cache):
        return LLMPrior(path, dtype="float32", cache_dir=tmp_path / cache, progress=False)

    local = LLMBoostClassifier(prior=prior("local"), **kw).fit(X, y)
    model = DaskLLMBoostClassifier(prior=prior("dask"), **kw).fit(*to_dask(X, y))
    fitted = {"local": local, "model": model}
    return {"path": path, "cache": tmp_path / "dask", "X": X, "y": y, **fitted}


def test_language_model_prior_on_the_workers(language_models):
    from llmboost import LLMPrior

    local, model, X = (language_models[k] for k in ("local", "model", "X"))
    assert model.prior_.task_description_ == local.prior_.task_description_  # names "target"
    X_new, _ = table(n=60, seed=5)
    proba = model.predict_proba(dd.from_pandas(X_new, npartitions=3)).compute()
    # Batches hold other rows on the workers (other padding): float32 logits differ in the
    # last bits, so probabilities are compared at 1e-5.
    np.testing.assert_allclose(proba, local.predict_proba(X_new), atol=1e-5)
    path, cache = language_models["path"], language_models["cache"]
    cached = LLMPrior(path, dtype="float32", cache_dir=cache, progress=False)
    cached.fit(X, language_models["y"]).logits(X_new)  # the workers wrote these rows' scores
    assert cached.stats_["cached"] == len(X_new) and cached.stats_["forward_passes"] == 0


def test_language_model_reads_text_unseen_at_fit_as_locally(language_models):
    # the workers scored the rows aligned to the fit's categories: a colour unseen at fit
    # reached the prompt as missing, where the local predict writes it
    local, model, X = (language_models[k] for k in ("local", "model", "X"))
    X_new = X.head(6).assign(colour=["purple", "red", "teal", "blue", "purple", "green"])
    missing = X_new.assign(colour=X_new["colour"].where(X_new["colour"].isin(X["colour"])))
    expected = local.predict_proba(X_new)
    assert np.abs(expected - local.predict_proba(missing)).max() > 1e-4  # the text matters
    # float32 logits of batches holding other rows differ in the last bits: 1e-5
    proba = model.predict_proba(dd.from_pandas(X_new, npartitions=2)).compute()
    np.testing.assert_allclose(proba, expected, atol=1e-5)
    contributions = model.explain(X_new)["prior"].to_numpy()
    np.testing.assert_allclose(contributions, local.explain(X_new)["prior"], atol=1e-5)


def test_a_language_model_on_a_worker_does_not_warn_again_of_a_changed_column(tmp_path):
    # the alignment of the partitions warns once per call, on the client; the language
    # model's own encoding of the rows as given warned again on every partition
    pytest.importorskip("transformers")
    from llm_fixtures import build_gpt2

    from llmboost import LLMPrior
    from llmboost.dask._scoring import score_partition

    X = pd.DataFrame({"a": [1.0, 2, 3, 4], "colour": ["red", "blue", "red", "blue"]})
    y = pd.Series(["yes", "no", "yes", "no"], name="target")
    path = str(build_gpt2(tmp_path / "gpt2"))
    prior = LLMPrior(path, dtype="float32", cache_dir=tmp_path / "c", progress=False)
    prior.fit(X, y)
    new = pd.DataFrame({"a": [1.0, 2.0], "colour": [3.0, 4.0]})  # numbers, text at fit
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z = score_partition(new, prior, "classification", 2, ["a", "colour"], {})
    assert z.shape == (2,) and np.isfinite(z).all()


def test_clone_shares_the_client_and_pickle_drops_it(client):
    import pickle

    from sklearn.base import clone

    model = DaskPriorBoostClassifier(scale=0, client=client, random_state=0)
    copy = clone(model)
    assert copy.client is client and copy.get_params()["scale"] == 0
    X, y = table(n=100)
    Xd, yd = to_dask(X, y)
    model.fit(Xd, yd)
    restored = pickle.loads(pickle.dumps(model))
    assert restored.client is None  # uses the default client
    np.testing.assert_allclose(
        restored.predict_proba(Xd).compute(), model.predict_proba(Xd).compute()
    )


def test_the_label_check_gathers_at_most_distinct_labels_over_all_partitions(client):
    # each partition sent its first 1,000 distinct labels to the client: 4,000 of these
    # 4 partitions (a partition count times as many); now 1,000 in all, the first in order
    from llmboost.dask._labels import DISTINCT, check_labels

    y = pd.Series(np.arange(4 * (DISTINCT + 1)), name="target")
    X = pd.DataFrame({"a": np.zeros(len(y))})
    Xd, yd = to_dask(X, y, npartitions=4)
    given = []
    lengths, _ = check_labels(Xd, yd, classes=lambda firsts, n: given.append((firsts, n)))
    assert lengths == 4 * [DISTINCT + 1]
    ((firsts, n),) = given
    assert n == DISTINCT and firsts.tolist() == list(range(DISTINCT))


def test_every_class_and_at_least_cv_rows_enter_the_sample(client):
    # 8 classes of 40 rows, 2 per class: a random draw of the sample missed a class in
    # 3 of these 5 fits (seeds 0, 1, 4), and that class's rows trained as a neighbour's
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=320), "b": rng.normal(size=320)})
    y = pd.Series(np.repeat(list("ABCDEFGH"), 40)[rng.permutation(320)], name="target")
    kw = {"scale": 0, "cv": 2, "sample_size": 16, "booster_params": {"n_estimators": 2}}
    for seed in range(5):
        model = DaskPriorBoostClassifier(**kw, random_state=seed).fit(*to_dask(X, y))
        assert list(model.classes_) == list("ABCDEFGH")
        assert model.n_sample_ == 16  # two rows of each class, none by chance
    # regression: a uniform sample of exactly sample_size rows, at least cv (a draw of
    # 2 expected rows out of 320 held none for 3 of the seeds 0 to 13: fit failed)
    for cv, expected in [(2, 2), (5, 5)]:
        model = DaskPriorBoostRegressor(scale=0, cv=cv, sample_size=2, random_state=0).fit(
            *to_dask(X, X["a"])
        )
        assert model.n_sample_ == expected


def _read_rows(number, folder, X, y):
    """Partition ``number`` of ``X`` with its labels, leaving a file for each read."""
    import uuid

    (folder / uuid.uuid4().hex).touch()
    return X.assign(target=y).iloc[number * 50 : (number + 1) * 50]


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_score_reads_a_source_that_x_and_y_share_once(client, tmp_path, task):
    # the predictions and y were computed one after the other: each partition of a
    # table holding both was read twice (6 reads of 3 partitions), now once
    X, y = table(n=150, task=task)
    kw = dict(scale=0, booster_params={"n_estimators": 5})
    dask_cls = DaskPriorBoostRegressor if task == "regression" else DaskPriorBoostClassifier
    from sklearn.metrics import accuracy_score, r2_score

    Xd, yd = to_dask(X, y)
    model = dask_cls(**kw).fit(Xd, yd)
    metric = r2_score if task == "regression" else accuracy_score
    expected = metric(y, model.predict(Xd).compute())  # the same rows: the same value
    meta = X.assign(target=y).iloc[:0]
    table_ = dd.from_map(_read_rows, range(3), folder=tmp_path, X=X, y=y, meta=meta)
    assert model.score(table_.drop(columns="target"), table_["target"]) == expected
    assert len(list(tmp_path.iterdir())) == 3


def test_score_reads_the_labels_as_fit_does(client):
    # booleans held as objects (a column that had missing values): fit reads booleans,
    # score passed the objects to scikit-learn, which refused them as 'a mix of unknown
    # and binary targets'
    import dask

    X, y = table(n=150)
    y = pd.Series((y == "yes").to_numpy(), dtype=object, name="target")
    with dask.config.set({"dataframe.convert-string": False}):
        Xd, yd = to_dask(X, y)
    kw = {"scale": 0, "booster_params": {"n_estimators": 5}}
    model = DaskPriorBoostClassifier(**kw).fit(Xd, yd)
    local = PriorBoostClassifier(**kw).fit(X, y)
    assert model.score(Xd, yd) == local.score(X, y) > 0.7  # equal fits, as above
    assert model.score(Xd, y) == local.score(X, y)


def test_score_of_continuous_labels_names_score_s_y_as_locally(client):
    # the Dask classifier said "use a regressor", though it was fitted on labels and only
    # the labels given to score were scores
    X, y = table(n=60)
    model = DaskPriorBoostClassifier(scale=0, booster_params={"n_estimators": 3})
    model.fit(*to_dask(X, y))
    scores = np.linspace(0.05, 0.95, len(X))
    with pytest.raises(ValueError) as error:
        model.score(to_dask(X, y)[0], scores)
    assert str(error.value) == (
        "score's y is continuous (e.g. 0.05), but it must hold the class labels of fit's y "
        f"{list(model.classes_)}, not scores or probabilities."
    )


@pytest.mark.parametrize(
    "name,regressor",
    [
        ("DaskPriorBoostClassifier", "DaskPriorBoostRegressor"),
        ("DaskPFNBoostClassifier", "DaskPFNBoostRegressor"),
        ("DaskLLMBoostClassifier", "DaskPriorBoostRegressor or DaskPFNBoostRegressor"),
    ],
)
def test_continuous_labels_name_the_dask_regressor(client, name, regressor):
    # the Dask classifiers named the local regressor, which takes no dask collection
    X, _ = table(n=60)
    with pytest.raises(ValueError) as error:
        getattr(llmboost.dask, name)().fit(*to_dask(X, X["a"].rename("target")))
    assert str(error.value) == (
        f"y is continuous (e.g. {float(X['a'][0])!r}): a classifier needs class labels; for a "
        f"numeric target use {regressor} (or bin y into classes)."
    )


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("dask_cls", [DaskPriorBoostClassifier, DaskPriorBoostRegressor])
def test_new_rows_whose_starting_margin_overflows_are_refused_as_locally(client, library, dask_cls):
    # fitted at scale=1e36 on logits within 0 to 2, a row whose logit is 1000 got an
    # infinite margin (XGBoost) or 1e39 (LightGBM) where the local predict refuses it
    X, y = table(n=80)
    task = "regression" if dask_cls is DaskPriorBoostRegressor else "classification"
    y = 2 * X["a"] if task == "regression" else y
    kw = dict(booster=library, booster_params={"n_estimators": 5}, cv=3, random_state=0)
    model = dask_cls(FirstColumnPrior(task), scale=1e36, **kw).fit(*to_dask(X, y))
    local = dask_cls._local(FirstColumnPrior(task), scale=1e36, **kw).fit(X, y)
    new = X.head(3).copy()
    new.loc[1, "a"] = 1e3
    with pytest.raises(ValueError) as expected:
        local.predict(new)
    with pytest.raises(ValueError, match=f"^{re.escape(str(expected.value))}$"):
        model.predict(dd.from_pandas(new, npartitions=1)).compute()
    # several partitions: the row was named by its position in its partition ("rows
    # [1]"), now by X's index label, or an array's position in the whole array
    rows = pd.concat([X.head(3), new], ignore_index=True).set_axis(range(100, 106))
    local_named = "on 1 of 3 rows (rows [1],"
    assert local_named in str(expected.value)
    numeric = dask_cls(FirstColumnPrior(task), scale=1e36, **kw)  # for an array
    numeric.fit(*to_dask(X[["a", "b"]], y))
    for fitted, several, named in [
        (model, dd.from_pandas(rows, npartitions=2), "index [104]"),
        (numeric, da.from_array(rows[["a", "b"]].to_numpy(), chunks=(3, 2)), "rows [4]"),
    ]:
        with pytest.raises(ValueError) as error:
            fitted.predict(several).compute()
        assert str(error.value) == str(expected.value).replace(
            local_named, f"on 1 of 3 rows of partition 1 of X ({named},"
        )
    assert np.isfinite(output(model, to_dask(X, y)[0]).compute()).all()


class NaNPrior(FirstColumnPrior):
    """The first column as the margin, but NaN where column "b" is 99."""

    def _logits(self, X):
        z = super()._logits(X).copy()
        z[X["b"].to_numpy() == 99.0] = np.nan
        return z


def test_a_prior_s_non_finite_logits_name_the_row_by_index_not_partition_position(client):
    # the prior's NaN on the row at index 4 (the second row of partition 1) was named
    # "rows [1]" by predict, and the row at index 100 "rows [15]" by fit (its position
    # among the unsampled rows of its partition); the local estimators name 4 and 100
    X, y = table(n=120)
    kw = dict(scale=0.5, booster_params={"n_estimators": 3}, cv=3, random_state=0)
    model = DaskPriorBoostClassifier(NaNPrior(), **kw).fit(*to_dask(X, y))
    new = X.head(6).copy()
    new.loc[4, "b"] = 99.0
    said = "NaNPrior.logits returned non-finite values ({}); return finite numbers"
    with pytest.raises(ValueError, match=re.escape(said.format("rows [4]"))):
        PriorBoostClassifier(NaNPrior(), **kw).fit(X, y).predict(new)
    with pytest.raises(ValueError, match=re.escape(said.format("index [4]"))):
        model.predict(dd.from_pandas(new, npartitions=2)).compute()
    with pytest.raises(ValueError, match=re.escape(said.format("index [204]"))):
        model.predict(dd.from_pandas(new.set_axis(range(200, 206)), npartitions=2)).compute()
    with pytest.raises(ValueError, match=re.escape(said.format("rows [4]"))):  # as locally
        model.predict(dd.from_pandas(new, npartitions=1)).compute()
    X.loc[100, "b"] = 99.0
    model.set_params(sample_size=30)
    with pytest.raises(ValueError, match=re.escape(said.format("index [100]"))):
        model.fit(*to_dask(X, y))


def test_a_prior_s_non_finite_logits_on_a_sampled_row_name_it_by_x_s_index(client):
    # the local fit on the sample named the row by its place in the sample ("rows
    # [100]"), which the caller cannot find in X, whose index labels it 1100
    X, y = table(n=120)
    X.loc[100, "b"] = 99.0
    X, y = X.set_axis(range(1000, 1120)), y.set_axis(range(1000, 1120))
    kw = dict(scale=0.5, booster_params={"n_estimators": 3}, cv=3, random_state=0)
    said = "NaNPrior.oof_logits returned non-finite values ({}); return finite numbers"
    with pytest.raises(ValueError, match=re.escape(said.format("index [1100]"))):
        DaskPriorBoostClassifier(NaNPrior(), **kw).fit(*to_dask(X, y))  # a sample of all rows


@pytest.mark.parametrize(
    "dask_cls,library",
    [
        (DaskPriorBoostClassifier, "xgboost"),
        (DaskPriorBoostClassifier, "lightgbm"),
        (DaskPriorBoostRegressor, "xgboost"),
    ],
)
def test_a_training_row_whose_starting_margin_overflows_outside_the_sample_is_refused(
    client, dask_cls, library
):
    # the local fit refuses a scale that overflows on a training row; the search saw the
    # sample alone, and the trees trained on the row's 1e39 (1e40 in the trees' unit) in
    # silence
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200)})
    y = pd.Series(np.where(X["a"] > 0, "yes", "no"), name="target")
    if dask_cls is DaskPriorBoostRegressor:
        y = 2 * X["a"].clip(-3, 3)
    X.loc[150, "a"] = 1e3
    task = "regression" if dask_cls is DaskPriorBoostRegressor else "classification"
    kw = dict(booster=library, booster_params={"n_estimators": 5}, cv=3, random_state=0)
    model = dask_cls(FirstColumnPrior(task), scale=1e36 if task != "regression" else 1e37, **kw)
    with pytest.raises(ValueError) as error:
        model.set_params(sample_size=50).fit(*to_dask(X, y, npartitions=2))
    what = "logit" if task == "classification" else "distance from the target's mean"
    peak = 1e3 if task == "classification" else 1e3 - y.mean()
    assert str(error.value) == (
        f"scale={model.scale:g} times the prior's largest {what} on the training rows "
        f"({peak:.4g}) overflows the trees' starting margin (at most 3.403e+38, float32's "
        "largest): the predictions are infinite. Give a smaller scale, or add smaller ones "
        "to the scales searched (the search, on the sample, leaves out the scales whose "
        "margin overflows there)."
    )
    X.loc[150, "a"] = 1.0  # without the row, it fits
    model.fit(*to_dask(X, y, npartitions=2))
    assert np.isfinite(output(model, to_dask(X, y)[0]).compute()).all()


def test_labels_of_arrow_string_view_are_read_as_locally(client):
    # fit failed inside pandas with 'NotImplementedError: string_view' (NumPy has no type
    # for them), where the local fit reads them as text classes (a regressor: as floats)
    pa = pytest.importorskip("pyarrow")
    view = pd.ArrowDtype(pa.string_view())
    X, y = table(n=60)
    kw = {"scale": 0, "booster_params": {"n_estimators": 3}}
    model = DaskPriorBoostClassifier(**kw).fit(*to_dask(X, y.astype(view)))
    local = PriorBoostClassifier(**kw).fit(X, y.astype(view))
    assert list(model.classes_) == list(local.classes_) == ["no", "yes"]
    Xd, yd = to_dask(X, y.astype(view))
    np.testing.assert_allclose(output(model, Xd).compute(), output(local, X), atol=1e-6)
    assert model.score(Xd, yd) == local.score(X, y.astype(view))
    target = X["a"].astype(str).astype(view).rename("target")
    regressor = DaskPriorBoostRegressor(**kw).fit(*to_dask(X, target))
    local = PriorBoostRegressor(**kw).fit(X, target)
    np.testing.assert_allclose(regressor.predict(Xd).compute(), local.predict(X), atol=1e-6)


class NamedPrior(PidPrior):
    """PidPrior with a ``target_name``, which LLMBoostClassifier fills from a named y."""

    def __init__(self, target_name=None):
        self.target_name = target_name

    def _record(self, event, n=0):
        pass


@pytest.mark.parametrize("name", ["y", "target", None])
def test_a_named_y_names_the_task_as_locally(client, name):
    # a y named "y" lost its name (the name given to a dask array's y), so a language
    # model was told another task than LLMBoostClassifier tells it
    from llmboost import LLMBoostClassifier
    from llmboost.dask import DaskLLMBoostClassifier

    X, y = table(n=90)
    y = y.rename(name)
    kw = {"prior": NamedPrior(), "scale": 0.5, "booster_params": {"n_estimators": 2}}
    local = LLMBoostClassifier(**kw).fit(X, y)
    model = DaskLLMBoostClassifier(**kw).fit(*to_dask(X, y))
    assert model.prior_.target_name == local.prior_.target_name == name
    array_y = dd.from_pandas(y, npartitions=3).to_dask_array(lengths=True)
    model = DaskLLMBoostClassifier(**kw).fit(dd.from_pandas(X, npartitions=3), array_y)
    assert model.prior_.target_name is None  # an array has no name


def test_predict_errors_say_how_to_predict(client):
    # predict on pandas rows said to "use the local estimators" (refit on one machine)
    X, y = table(n=90)
    Xd, yd = to_dask(X, y)
    model = DaskPriorBoostClassifier(scale=0.5, booster_params={"n_estimators": 2}).fit(Xd, yd)
    with pytest.raises(TypeError, match=r"got DataFrame; wrap .* dd\.from_pandas\(X, npartitions"):
        model.predict(X)
    expected = model.predict(dd.from_pandas(X, npartitions=1)).compute()
    assert np.array_equal(expected, model.predict(Xd).compute())
    with pytest.raises(TypeError, match="use the local estimators for in-memory data"):
        DaskPriorBoostClassifier().fit(X, y)
    # a dask Series (one column) was told to wrap in-memory rows or use the local estimators
    message = r"got a dask Series; make it one, e\.g\. X\.to_frame\(\)"
    with pytest.raises(TypeError, match=message):
        model.predict(Xd["a"])
    with pytest.raises(TypeError, match=message):
        DaskPriorBoostClassifier().fit(Xd["a"], yd)


def test_predict_on_zero_rows_is_refused_as_locally(client):
    # a collection of zero rows gave empty outputs where the local estimator raises
    X, y = table(n=90)
    kw = {"scale": 0, "booster_params": {"n_estimators": 2}}
    model = DaskPriorBoostClassifier(**kw).fit(*to_dask(X, y))
    local = PriorBoostClassifier(**kw).fit(X, y)
    rows = X.to_numpy()[:0]
    given = [(dd.from_pandas(X.head(0), npartitions=1), X.head(0)),  # lengths known
             (dd.from_pandas(X.head(0), npartitions=1)[["a", "b"]], X[["a", "b"]].head(0)),
             (da.from_array(rows, chunks=(10, 3)), rows)]  # fmt: skip
    for empty, in_memory in given:
        with pytest.raises(ValueError) as expected:
            local.predict(in_memory)
        for method in ("predict", "predict_proba", "decision_function"):
            with pytest.raises(ValueError, match=re.escape(str(expected.value))):
                getattr(model, method)(empty)
        with pytest.raises(ValueError, match=re.escape(str(expected.value))):
            model.score(empty, y.head(0))
    # a length dask knows only by reading the rows (a filter): empty outputs, as documented
    filtered = dd.from_pandas(X, npartitions=2).loc[lambda d: d["a"] > 100]
    assert model.predict(filtered).compute().shape == (0,)


def test_predict_does_not_depend_on_the_private_length_dask_gives(client, monkeypatch):
    # the zero-row check asks dask-expr's private Len for a length it knows; a dask whose
    # Len takes other arguments failed every predict with its TypeError
    import dask.dataframe.dask_expr._reductions as reductions

    X, y = table(n=90)
    model = DaskPriorBoostClassifier(scale=0, booster_params={"n_estimators": 2})
    Xd = dd.from_pandas(X, npartitions=2)
    expected = model.fit(Xd, dd.from_pandas(y, npartitions=2)).predict_proba(Xd).compute()

    def changed(*args, **kwargs):
        raise TypeError("Len() takes other arguments")

    monkeypatch.setattr(reductions, "Len", changed)
    np.testing.assert_array_equal(model.predict_proba(Xd).compute(), expected)


def test_labels_held_as_objects_fit_with_a_prior(client):
    # booleans held as objects: the sampled rows' out-of-fold margin took the labels as
    # they were, and scikit-learn's folds refused them ("Supported target types are:
    # ('binary', 'multiclass'). Got 'unknown' instead.")
    import dask

    X, y = table(n=150)
    y = pd.Series((y == "yes").to_numpy(), dtype=object, name="target")
    with dask.config.set({"dataframe.convert-string": False}):
        Xd, yd = to_dask(X, y)
    kw = {"scale": 0.5, "booster_params": {"n_estimators": 5}, "random_state": 0}
    model = DaskPriorBoostClassifier(**kw).fit(Xd, yd)
    local = PriorBoostClassifier(**kw).fit(X, y)
    assert list(model.classes_) == [False, True]
    # XGBoost on few distinct values per column: equal fits (see CASES)
    np.testing.assert_allclose(output(model, Xd).compute(), output(local, X), atol=1e-6)


def test_an_object_array_reads_as_locally(client):
    # an object array (a mixed table's to_numpy()): dask made its columns text when
    # building the frame, so numbers became categories ('0.0', '0.1', ...; probabilities
    # 0.10 off the local fit on the same array) and boolean labels became 'False' / 'True'
    X, y = table(n=150)
    values = X.to_numpy()  # object: floats and text
    labels = np.array(list(y == "yes"), dtype=object)
    kw = {"scale": 0.5, "booster_params": {"n_estimators": 5}, "random_state": 0}
    local = PriorBoostClassifier(**kw).fit(values, labels)
    Xa, ya = da.from_array(values, chunks=(50, 3)), da.from_array(labels, chunks=50)
    model = DaskPriorBoostClassifier(**kw).fit(Xa, ya)
    assert list(model.categories_) == ["x2"] and list(model.classes_) == [False, True]
    # XGBoost on few distinct values per column: equal fits (see CASES)
    np.testing.assert_allclose(output(model, Xa).compute(), output(local, values), atol=1e-6)
    assert np.array_equal(model.predict(Xa).compute(), local.predict(values))


@pytest.mark.parametrize("random_state", [None, np.random.RandomState(0)])
def test_any_random_state_trains_the_sampled_rows_from_the_search_margin(client, random_state):
    # without an integer seed the sampled rows' margin came from other folds than the
    # search's (a second out-of-fold pass of the prior): the trees differed from the
    # local fit on the same rows by up to 0.17 in the margin
    X, y = table(task="binary", seed=1)
    kw = dict(scale=[0.3, 1.0], cv=3, booster_params={"n_estimators": 20})
    model = DaskPriorBoostClassifier(**kw, random_state=random_state).fit(*to_dask(X, y))
    assert model.n_sample_ == len(X)  # every row: the fit equals the sample's local fit
    # XGBoost on few distinct values per column: equal fits (see CASES)
    got = output(model, dd.from_pandas(X, npartitions=2)).compute()
    np.testing.assert_allclose(got, output(model.sample_estimator_, X), atol=1e-6)


def test_numbers_held_as_objects_stay_numbers_under_dask_strings(client):
    # dask's dataframe.convert-string (on by default) wrote an object column of numbers
    # as text: the Dask fit read it as categories where a local fit reads numbers
    # (probabilities up to 0.33 off the local fit on a table like this one)
    rng = np.random.default_rng(4)
    n = 300
    count = pd.Series(rng.integers(0, 30, n), dtype=object)
    count[::7] = None  # missing, as locally
    X = pd.DataFrame(
        {
            "a": rng.integers(0, 20, n) / 10,
            "count": count,
            "flag": pd.Series(rng.random(n) < 0.5, dtype=object),  # booleans: 1 and 0
            "colour": rng.choice(["red", "blue"], n),
        }
    )
    signal = X["a"] + count.fillna(15).astype(float) / 10 + X["flag"] + rng.normal(0, 0.5, n)
    y = pd.Series(np.where(signal > signal.median(), "yes", "no"))
    kw = dict(scale=0.5, random_state=0)
    local = PriorBoostClassifier(**kw).fit(X, y)
    Xd, yd = to_dask(X, y)
    assert isinstance(Xd.dtypes["count"], pd.StringDtype)  # dask made it text
    model = DaskPriorBoostClassifier(**kw).fit(Xd, yd)
    assert list(model.categories_) == list(local.categories_) == ["colour"]
    new = dd.from_pandas(X, npartitions=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # read as numbers, not as a column that changed kind
        got = model.predict_proba(new).compute()
    # XGBoost on few distinct values per column: equal fits (see CASES)
    np.testing.assert_allclose(got, local.predict_proba(X), atol=1e-6)


def test_an_array_y_is_matched_to_the_rows_by_position(client):
    # a dask array y with a table X whose index is not 0..n-1 (a filtered or re-indexed
    # table) was refused: "y's index runs from 0 to 149 but X's from 1000 to 1149: ...
    # y needs X's index", which an array cannot have; locally an array y is positional
    X, y = table(n=150)
    X = X.set_axis(np.arange(1000, 1150))
    kw = dict(scale=0.5, booster_params={"n_estimators": 5}, random_state=0)
    local = PriorBoostClassifier(**kw).fit(X, y.to_numpy())
    Xd = dd.from_pandas(X, npartitions=3)
    model = DaskPriorBoostClassifier(**kw).fit(Xd, da.from_array(y.to_numpy(), chunks=70))
    # XGBoost on few distinct values per column: equal fits (see CASES)
    np.testing.assert_allclose(output(model, Xd).compute(), output(local, X), atol=1e-6)
    kept = Xd[Xd["a"] > 0.5]  # a filtered table and its labels
    labels = da.from_array(y[X["a"].to_numpy() > 0.5].to_numpy(), chunks=40)
    assert DaskPriorBoostClassifier(**kw).fit(kept, labels).n_sample_ == len(labels)
    with pytest.raises(ValueError, match="X has 150 rows, y has 100"):
        DaskPriorBoostClassifier(**kw).fit(Xd, da.from_array(y.to_numpy()[:100], chunks=50))


@pytest.mark.parametrize("values", [(0.0, 1.0), (0.5, 1.5)])
@pytest.mark.parametrize("form", ["array", "series"])
def test_labels_whose_dtype_is_not_the_one_dask_says_are_read_as_locally(client, values, form):
    # a y that says int64 but holds floats: an array's floats were made ints (classes_
    # [0 1] where the local fit on y.compute() gives [0. 1.]), or refused by dask with
    # "Trying to coerce float values to integers" (continuous labels); a Series' floats
    # in one partition met ints in the others: a sample of the others alone gave [0 1]
    X, y = table(n=120)
    held = np.where(y == "yes", values[1], values[0])
    if form == "array":
        labels = da.from_array(held, chunks=40).map_blocks(lambda b: b, dtype=np.int64)
    else:
        ints = dd.from_pandas(pd.Series((y == "yes").astype(np.int64)), npartitions=3)

        def last_as_floats(part, partition_info=None):
            return (
                pd.Series(held[part.index], index=part.index)
                if partition_info["number"] == 2
                else part
            )

        labels = ints.map_partitions(last_as_floats, meta=ints._meta)
    assert labels.dtype == np.int64
    kw = dict(scale=0, booster_params={"n_estimators": 3})
    Xd = dd.from_pandas(X, npartitions=3)
    computed = labels.compute()
    if values == (0.5, 1.5):
        message = local_error(PriorBoostClassifier(**kw), X, computed)
        assert message.startswith("y is continuous (e.g. 1.5)")
        message = message.replace("PriorBoostRegressor", "DaskPriorBoostRegressor")  # its own
        with pytest.raises(ValueError, match=re.escape(message)):
            DaskPriorBoostClassifier(**kw).fit(Xd, labels)
        return
    local = PriorBoostClassifier(**kw).fit(X, computed)
    model = DaskPriorBoostClassifier(**kw, cv=2, sample_size=4, random_state=0).fit(Xd, labels)
    assert model.classes_.dtype == local.classes_.dtype
    np.testing.assert_array_equal(model.classes_, local.classes_)
    np.testing.assert_array_equal(model.predict(Xd).compute(), local.predict(X))


@pytest.mark.parametrize("kind", ["booleans", "integers"])
def test_labels_held_as_objects_keep_their_type_under_dask_strings(client, kind):
    # dask's dataframe.convert-string wrote object labels as text: classes_ were
    # ['False', 'True'] (or ['1', '3']) where the local ones are booleans (integers),
    # and predict returned that text
    X, y = table(n=150)
    yes = (y == "yes").to_numpy()
    labels = list(yes) if kind == "booleans" else [3 if v else 1 for v in yes]
    y = pd.Series(labels, dtype=object, name="target")
    Xd, yd = to_dask(X, y)
    assert isinstance(yd.dtype, pd.StringDtype)  # dask made them text
    kw = {"scale": 0.5, "booster_params": {"n_estimators": 5}, "random_state": 0}
    model = DaskPriorBoostClassifier(**kw).fit(Xd, yd)
    local = PriorBoostClassifier(**kw).fit(X, y)
    np.testing.assert_array_equal(model.classes_, local.classes_)
    assert model.classes_.dtype == local.classes_.dtype
    np.testing.assert_array_equal(model.predict(Xd).compute(), local.predict(X))
    assert model.score(Xd, yd) == local.score(X, y) > 0.7  # equal fits (see CASES)


@pytest.mark.parametrize("other", [None, "text", 2.5])
def test_object_labels_of_part_of_their_table_are_judged_on_that_part(client, other):
    # the labels' kind was judged on the whole source column: a missing label, or text,
    # in a row that dropna or a filter had left out made the integers in y text
    # (classes_ ['1', '3'] where the local ones are [1, 3]), and a float made them floats
    X, y = table(n=150)
    labels = pd.Series(np.where(y == "yes", 3, 1), dtype=object, name="target")
    labels.iloc[7] = other
    full = X.assign(target=labels, keep=np.arange(150) != 7)
    part = dd.from_pandas(full, npartitions=3)
    part = part[part["keep"]]
    kw = {"scale": 0.5, "booster_params": {"n_estimators": 5}, "random_state": 0}
    model = DaskPriorBoostClassifier(**kw).fit(part[["a", "b", "colour"]], part["target"])
    kept = full[full["keep"]]
    local = PriorBoostClassifier(**kw).fit(kept[["a", "b", "colour"]], kept["target"])
    np.testing.assert_array_equal(model.classes_, [1, 3])
    np.testing.assert_array_equal(model.classes_, local.classes_)
    assert model.classes_.dtype == local.classes_.dtype


@pytest.mark.parametrize("other", ["text", 2])
def test_labels_of_mixed_kinds_under_dask_strings_are_refused_as_locally(client, other):
    # dask's text made them one kind: classes_ ['1', 'no', 'yes'] (['2', 'False', 'True'])
    # where the local fit says "y mixes text (booleans) and other labels"
    X, y = table(n=150)
    y = (y if other == "text" else y == "yes").astype(object)
    y[5] = 1 if other == "text" else 2
    message = local_error(PriorBoostClassifier(scale=0), X, y)
    assert message.startswith("y mixes ")
    with pytest.raises(ValueError, match=re.escape(message)):  # every row in the sample
        DaskPriorBoostClassifier(scale=0).fit(*to_dask(X, y))


@pytest.mark.parametrize("strings", [False, True])
def test_labels_of_mixed_kinds_are_named_by_the_first_rows_of_all(client, strings):
    # the local fit on the sample named the sample's first text label: "(e.g. 'no' and
    # 1)" where the local fit on all rows says "(e.g. 'yes' and 1)"
    import dask

    X, y = table(n=150)
    y = y.astype(object)
    y[5] = 1
    message = local_error(PriorBoostClassifier(scale=0), X, y)
    assert message.startswith(f"y mixes text and other labels (e.g. {y[0]!r} and 1)")
    model = DaskPriorBoostClassifier(scale=0, sample_size=20, random_state=0)
    with dask.config.set({"dataframe.convert-string": strings}):
        with pytest.raises(ValueError, match=re.escape(message)):
            model.fit(*to_dask(X, y))


def test_a_regressor_s_booleans_among_numbers_under_dask_strings_read_as_locally(client):
    # dask's text "True" was not a number: "y holds 'True', which is not a number"; the
    # local fit reads True and False as 1 and 0
    X, y = table(n=150, task="regression")
    y = y.astype(object)
    y[3], y[4] = True, False
    kw = {"scale": 0, "booster_params": {"n_estimators": 5}}
    local = PriorBoostRegressor(**kw).fit(X, y)
    model = DaskPriorBoostRegressor(**kw).fit(*to_dask(X, y))
    Xd = dd.from_pandas(X, npartitions=2)  # XGBoost on few distinct values: equal fits (CASES)
    np.testing.assert_allclose(model.predict(Xd).compute(), local.predict(X), atol=1e-6)


@pytest.mark.parametrize("scale", [0, 0.5])
def test_lightgbm_multiclass_with_a_class_missing_on_a_worker(client, scale):
    # LightGBM's Dask classifier encodes the labels anew on every worker: with each
    # class in its own partition (3 partitions on 2 workers, so a worker lacks a class)
    # it trained a binary model at scale 0 (1-d margins) and failed with "Number of
    # class for initial score error" from a prior's margin
    rng = np.random.default_rng(0)
    y = pd.Series(np.repeat(["high", "low", "mid"], 100), name="target")
    centre = y.map({"low": 0, "mid": 1, "high": 2}).to_numpy()
    X = pd.DataFrame({"a": centre + rng.integers(0, 6, 300) / 4, "b": rng.integers(0, 5, 300)})
    kw = dict(scale=scale, booster="lightgbm", booster_params={"n_estimators": 5})
    Xd, yd = to_dask(X, y)
    assert [set(p) for p in dask_partitions(yd)] == [{"high"}, {"low"}, {"mid"}]
    model = DaskPriorBoostClassifier(**kw, random_state=0).fit(Xd, yd)
    local = PriorBoostClassifier(**kw, random_state=0).fit(X, y)
    margin = model.decision_function(Xd).compute()
    assert margin.shape == (300, 3)
    # LightGBM on Dask is close to local LightGBM, not equal (see CASES): the bins each
    # worker finds depend on which partitions it was given, which varies between runs
    # (accuracy measured 0.59 to 0.80, against 0.80 locally); well above chance (1/3),
    # the class codes agree across workers
    assert (model.predict(Xd).compute() == y).mean() > 0.5
    # per-class contributions, as locally, that sum to the margin
    explained = model.explain(X.head(5))
    assert explained.shape == local.explain(X.head(5)).shape
    np.testing.assert_allclose(explained.T.groupby(level=0).sum().T, margin[:5], atol=1e-6)


def test_lightgbm_binary_with_one_class_per_worker(client):
    # LightGBM's Dask classifier encodes the labels anew on every worker: with each
    # class in its own partition, a worker holding only the second class trained it
    # as the first (accuracy 0.50 against 0.82 locally)
    X, y = table()
    X = X.drop(columns="colour")
    order = np.argsort(y.to_numpy(), kind="stable")
    X, y = X.iloc[order].reset_index(drop=True), y.iloc[order].reset_index(drop=True)
    kw = dict(scale=0, booster="lightgbm", booster_params={"n_estimators": 5}, random_state=0)
    Xd, yd = to_dask(X, y, npartitions=2)
    assert [set(p) for p in dask_partitions(yd)] == [{"no"}, {"yes"}]
    model = DaskPriorBoostClassifier(**kw).fit(Xd, yd)
    local = PriorBoostClassifier(**kw).fit(X, y)
    assert model.decision_function(Xd).compute().shape == (300,)
    # close to local LightGBM, not equal (see CASES): measured 0.82 against 0.82
    assert model.score(Xd, yd) > 0.75 and local.score(X, y) > 0.75
    np.testing.assert_allclose(model.predict_proba(Xd).compute(), local.predict_proba(X), atol=0.1)
    margin = model.decision_function(Xd).compute()
    np.testing.assert_allclose(model.explain(X.head(5)).sum(axis=1), margin[:5], atol=1e-6)


@pytest.mark.parametrize("class_weight", ["balanced", {"yes": 3.0}])
def test_lightgbm_class_weight_over_all_rows(client, class_weight):
    # LightGBM's Dask fit weighs the classes on every worker from its own rows: a worker
    # without "yes" failed ("The classes, [0], are not in class_weight") and "balanced"
    # balanced each worker's rows (mean probability of "yes" 0.20 off the local fit's)
    X, y = table()
    X = X.drop(columns="colour")
    order = np.argsort(y.to_numpy(), kind="stable")[:210]  # 150 "no" then 60 "yes"
    X, y = X.iloc[order].reset_index(drop=True), y.iloc[order].reset_index(drop=True)
    params = {"n_estimators": 5, "class_weight": class_weight}
    kw = dict(scale=0, booster="lightgbm", booster_params=params, random_state=0)
    Xd, yd = to_dask(X, y, npartitions=2)
    assert set(dask_partitions(yd)[0]) == {"no"}
    model = DaskPriorBoostClassifier(**kw).fit(Xd, yd)
    local = PriorBoostClassifier(**kw).fit(X, y)
    assert model.best_params_ == local.best_params_
    # close to local LightGBM, not equal (see CASES): measured within 0.002
    got = model.predict_proba(Xd).compute()[:, 1].mean()
    assert abs(got - local.predict_proba(X)[:, 1].mean()) < 0.03


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_fit_counts_the_labels_without_a_shuffle(client, booster):
    # dask's value_counts shuffles its groups across the workers (a P2P shuffle for a
    # few labels, and 2 warnings from distributed's scheduler on every classifier fit);
    # so does XGBoost's Dask classifier finding the classes of a Series (drop_duplicates:
    # 13.1 s against 2.4 s for its fit on 100 partitions of 30 rows)
    import logging

    class Records(logging.Handler):
        def __init__(self):
            super().__init__(logging.WARNING)
            self.messages = []

        def emit(self, record):
            self.messages.append(record.getMessage())

    X, y = table(n=100)
    weights = {"class_weight": "balanced"} if booster == "lightgbm" else {}
    params = {"n_estimators": 2, **weights}
    kw = dict(scale=0, booster=booster, booster_params=params, sample_size=50)
    handler, logger = Records(), logging.getLogger("distributed.shuffle")
    logger.addHandler(handler)
    try:
        DaskPriorBoostClassifier(**kw).fit(*to_dask(X, y))
    finally:
        logger.removeHandler(handler)
    assert [m for m in handler.messages if "Shuffle" in m] == []


def dask_partitions(collection):
    return [collection.get_partition(k).compute() for k in range(collection.npartitions)]


def test_numbers_held_as_objects_are_looked_for_only_in_dask_expressions():
    # a dask without query planning has no expression to find the pandas table in: the
    # columns then stay as dask gives them (documented), with no AttributeError
    from llmboost.dask._text import _source_objects

    assert _source_objects(pd.Series([1.0])) == {}


def test_regressor_score_reads_y_as_fit_does(client):
    # the Dask regressor's score passed y to scikit-learn as it was: durations were ticks
    # of their unit (R^2 -2.9 here, no error), and a missing value or text named no y
    # ("Input contains NaN.", "could not convert string to float"); now as the local score
    X, y = table(n=60, task="regression")
    kw = {"scale": 0, "booster_params": {"n_estimators": 3}}
    model = DaskPriorBoostRegressor(**kw).fit(*to_dask(X, y))
    Xd = to_dask(X, y)[0]
    durations = pd.Series(pd.to_timedelta(np.arange(60), unit="s"), name="target")
    with pytest.raises(ValueError, match=r"y has dtype timedelta64\[\w+\]: a regressor needs"):
        model.score(Xd, dd.from_pandas(durations, npartitions=3))
    missing = y.astype("Float64").where(np.arange(60) > 0)
    with pytest.raises(ValueError, match=r"Input y contains NaN or infinity \(rows \[0\]\)"):
        model.score(Xd, missing)
    with pytest.raises(ValueError, match=r"score's y holds 'a', which is not a number"):
        model.score(Xd, ["a"] * 60)
    local = PriorBoostRegressor(**kw).fit(X, y)
    text = [str(v) for v in y]
    assert model.score(Xd, text) == pytest.approx(local.score(X, text))  # equal fits (CASES)


def test_lightgbm_categorical_columns_in_booster_params_add_to_the_text_columns(
    client, lightgbm_splits
):
    # with a text column in X, LightGBM's Dask training replaced the given positions by
    # the category columns ("categorical_feature in param dict is overridden"): d was
    # split as a number ('<='), where the local fit gives it '==' splits
    X, y = table(n=300, task="regression")
    d = np.random.default_rng(1).integers(0, 6, len(X))
    X, y = X.assign(d=d), y + np.isin(d, [1, 4]) * 2.0
    params = {"categorical_feature": [3], "n_estimators": 20, "num_leaves": 4}
    kw = {"scale": 0, "booster": "lightgbm", "booster_params": params}
    model = DaskPriorBoostRegressor(**kw).fit(*to_dask(X, y))
    booster = model.members_[0].booster
    splits = lightgbm_splits(booster)
    assert (3, "==") in splits and (2, "==") in splits and (3, "<=") not in splits
    assert booster.params["categorical_feature"] == [3]  # as given


def test_lightgbm_interaction_constraints_are_refused_before_any_work(client):
    # LightGBM's distributed training failed with them after the local search
    # (LightGBMError 'std::bad_alloc', 'std::bad_array_new_length' or 'Socket recv error,
    # Connection reset by peer'; LightGBM issue 5680)
    X, y = table(n=60)
    for groups in ([["a", "b"]], np.array([[0, 1]])):  # NumPy groups as the local fit
        params = {"n_estimators": 3, "interaction_constraints": groups}
        model = DaskPriorBoostClassifier(scale=0, booster="lightgbm", booster_params=params)
        with pytest.raises(ValueError) as error:
            model.fit(*to_dask(X.drop(columns="colour"), y))
        assert str(error.value) == (
            "booster_params interaction_constraints: LightGBM's distributed training fails "
            "with them (errors such as 'std::bad_alloc', or a reset connection). Use "
            "booster='xgboost', or fit PriorBoostClassifier on a pandas table (a sample of "
            "the rows)."
        )
        assert not hasattr(model, "members_")  # refused before the search on the sample
    params = {"n_estimators": 3, "interaction_constraints": [["a", "b"], ["colour"]]}
    model = DaskPriorBoostClassifier(scale=0, booster="xgboost", booster_params=params)
    assert model.fit(*to_dask(X, y)).score(to_dask(X, y)[0], y) > 0.6  # XGBoost's are kept


@pytest.mark.parametrize(
    "booster, params",
    [
        ("xgboost", {"monotone_constraints": {"colour": 1}}),  # a categorical column
        ("lightgbm", {"monotone_constraints": [0, 0, 1]}),
        ("xgboost", {"device": "cuda"}),  # refused where XGBoost is built without CUDA
        ("xgboost", {"max_dept": 3}),  # a name XGBoost does not use
        ("lightgbm", {"max_dept": 3}),
        ("xgboost", {"objective": "reg:quantileerror"}),  # without quantile_alpha
    ],
)
def test_fit_refuses_booster_params_as_the_local_fit(client, booster, params):
    # the Dask fit runs the local fit's checks on its sample first: the same error
    X, y = table(n=60, task="regression")
    kw = {"scale": 0, "booster": booster, "booster_params": {"n_estimators": 3, **params}}
    try:
        PriorBoostRegressor(**kw).fit(X, y)
    except ValueError as error:
        expected = str(error)
    else:
        pytest.skip("the local fit takes these parameters here (a CUDA build)")
    with pytest.raises(ValueError) as error:
        DaskPriorBoostRegressor(**kw).fit(*to_dask(X, y))
    assert str(error.value) == expected and "booster_params" in expected


@pytest.mark.parametrize("dask_cls", [DaskPriorBoostClassifier, DaskPFNBoostClassifier])
def test_xgboost_class_weight_is_refused_with_advice_the_dask_fit_takes(dask_cls):
    # the local check advised sample_weight=compute_sample_weight(...), which the Dask
    # fit refuses: the advice now is what the Dask fit takes
    X, y = table(n=60)
    model = dask_cls(booster_params={"class_weight": "balanced"})
    with pytest.raises(ValueError) as error:
        model.fit(*to_dask(X, y))  # before any work: no client is needed
    assert str(error.value) == (
        "booster_params class_weight is a LightGBM parameter: XGBoost does not read it, and "
        f"{dask_cls.__name__}.fit takes no sample_weight yet. Use booster='lightgbm' (its "
        "class_weight weighs each row, over all rows), or fit "
        f"{dask_cls.__name__.removeprefix('Dask')} on a pandas table (a sample of the rows) "
        "with sample_weight."
    )
    assert not hasattr(model, "members_")


@pytest.mark.parametrize(
    ("task", "params"),
    [
        ("binary", {"objective": "multi:softprob", "num_class": 2}),  # at scale 'auto'
        ("binary", {"objective": "multi:softmax"}),  # names the classes in order
        ("multiclass", {"objective": "binary:logistic"}),
        ("multiclass", {"num_class": 4}),
    ],
)
def test_a_loss_the_classes_contradict_is_refused_before_the_sample(
    client, monkeypatch, task, params
):
    # only the class weights were checked over all rows: these were refused by the
    # sample's local fit, after the sample was drawn from every partition
    import llmboost.dask._base as base

    def drawn(*args, **kwargs):
        raise AssertionError("the sample was drawn and fitted")

    monkeypatch.setattr(base, "fit_keeping_margin", drawn)
    X, y = table(n=90, task=task)
    with pytest.raises(ValueError) as local:
        PriorBoostClassifier(booster_params=params).fit(X, y)
    with pytest.raises(ValueError) as error:
        DaskPriorBoostClassifier(booster_params=params).fit(*to_dask(X, y))
    assert str(error.value) == str(local.value)
    assert "booster_params" in str(error.value)


def test_a_missing_file_of_forced_splits_is_refused_before_the_sample(client, monkeypatch):
    # the local fit checks the file at fit alone (a fitted model loads without it): the Dask
    # fit refused it only in the sample's local fit, after the sample was drawn
    import llmboost.dask._base as base

    def drawn(*args, **kwargs):
        raise AssertionError("the sample was drawn and fitted")

    monkeypatch.setattr(base, "fit_keeping_margin", drawn)
    X, y = table(n=60)
    model = DaskPriorBoostClassifier(booster="lightgbm", booster_params={"fs": "gone.json"})
    with pytest.raises(ValueError, match=r"^booster_params fs='gone\.json' is no file"):
        model.fit(*to_dask(X, y))


@pytest.mark.parametrize(
    ("booster", "params", "how"),
    [
        ("xgboost", {"scale_pos_weight": 3}, "booster='lightgbm' and "),
        ("lightgbm", {"is_unbalance": True}, ""),
        ("lightgbm", {"unbalance": True}, ""),  # an alias
    ],
)
def test_a_positive_class_weight_with_three_classes_gets_advice_the_dask_fit_takes(
    client, booster, params, how
):
    # the local check on the sample advised sample_weight=compute_sample_weight(...),
    # which the Dask fit refuses
    X, y = table(n=60, task="multiclass")
    model = DaskPriorBoostClassifier(scale=0, booster=booster, booster_params=params)
    with pytest.raises(ValueError) as error:
        model.fit(*to_dask(X, y))
    ((name, value),) = params.items()
    assert str(error.value) == (
        f"booster_params {name}={value!r} weights the positive class of a binary target, "
        "but y has 3 classes, where the library ignores it, and DaskPriorBoostClassifier"
        f".fit takes no sample_weight yet: weight the classes with {how}booster_params "
        "class_weight (it weighs each row, over all rows), or fit PriorBoostClassifier on "
        "a pandas table (a sample of the rows) with sample_weight."
    )
    assert not hasattr(model, "members_")


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("params", [{"class_weight": "balanced"}, {"is_unbalance": True}])
def test_class_weights_of_a_regressor_are_refused_with_advice_the_dask_fit_takes(booster, params):
    # the advice was booster='lightgbm' (refused too for a regressor) or sample_weight at
    # fit (refused by the Dask fit)
    X, y = table(n=60, task="regression")
    model = DaskPriorBoostRegressor(booster=booster, booster_params=params)
    with pytest.raises(ValueError) as error:
        model.fit(*to_dask(X, y))
    [(key, value)] = params.items()
    assert str(error.value) == (
        f"booster_params {key}={value!r} weights classes, but a regressor has no classes "
        "(the library would ignore it, or weigh each distinct target value as a class), and "
        "DaskPriorBoostRegressor.fit takes no sample_weight yet: leave it out, or fit "
        "PriorBoostRegressor on a pandas table (a sample of the rows) with sample_weight."
    )


def test_squared_log_error_on_rows_at_or_below_minus_one_outside_the_sample_is_refused(client):
    # the sample's fit missed them: XGBoost failed in training, after the prior's scores,
    # with "label must be greater than -1 for rmsle"
    X, y = table(n=300, task="regression")
    y = y - y.min() + 0.5
    y.iloc[[7, 150]] = -3.0
    params = {"objective": "reg:squaredlogerror", "n_estimators": 5}
    model = DaskPriorBoostRegressor(booster_params=params, sample_size=40, scale=0.5, cv=2)
    message = "but 2 rows of y are at or below -1 (row 7: -3.0); shift y"
    with pytest.raises(ValueError, match=re.escape(message)):
        model.fit(*to_dask(X, y))


def test_a_regressor_names_a_class_weight_flag_given_as_text_as_text(client):
    # is_unbalance='false' was refused as weighing classes, which the user did not ask for
    X, y = table(n=60, task="regression")
    params = {"is_unbalance": "false"}
    model = DaskPriorBoostRegressor(booster="lightgbm", booster_params=params)
    with pytest.raises(ValueError, match=r"is_unbalance='false': give False \(a bool\), not"):
        model.fit(*to_dask(X, y))


@pytest.mark.parametrize(
    "booster, name", [("xgboost", "early_stopping_rounds"), ("lightgbm", "n_iter_no_change")]
)
def test_early_stopping_is_refused_with_advice_the_dask_fit_takes(client, booster, name):
    # the local fit on the sample advised eval_set=(X_val, y_val), which the Dask fit refuses
    X, y = table(n=60)
    model = DaskPriorBoostClassifier(booster=booster, booster_params={name: 3})
    with pytest.raises(ValueError) as error:
        model.fit(*to_dask(X, y))
    assert str(error.value) == (
        f"booster_params {name}=3 is the patience of early stopping on eval_set, but "
        "DaskPriorBoostClassifier.fit takes no eval_set yet, so every one of n_estimators "
        f"rounds would be trained: leave {name} out (n_estimators sets the rounds), or fit "
        "PriorBoostClassifier on a pandas table (a sample of the rows) with "
        "fit(X, y, eval_set=(X_val, y_val))."
    )
    assert not hasattr(model, "members_")


@pytest.mark.parametrize(
    "key, form", [("sample_weight", "sample_weight=w"), ("eval_set", "eval_set=(X_val, y_val)")]
)
def test_fit_data_in_booster_params_gets_advice_the_dask_fit_takes(client, key, form):
    # the local check advised fit(X, y, key=...), which the Dask fit refuses
    X, y = table(n=60, task="regression")
    model = DaskPriorBoostRegressor(booster_params={key: None})
    with pytest.raises(ValueError) as error:
        model.fit(*to_dask(X, y))
    assert str(error.value) == (
        f"booster_params {key} is not a parameter but data of the library's fit, and "
        f"DaskPriorBoostRegressor.fit takes no {key} yet: leave it out, or fit "
        f"PriorBoostRegressor on a pandas table (a sample of the rows) with fit(X, y, {form})."
    )


@pytest.mark.parametrize("name", ["__llmboost_y__", "__llmboost_partition__"])
def test_a_column_named_as_the_sample_s_labels_is_refused(client, name):
    # the sample's labels (or partition numbers) overwrote that column: the local fit on
    # the sample saw one feature fewer than the trees trained on all rows
    X, y = table(n=60, task="regression")
    Xd, yd = to_dask(X.rename(columns={"a": name}), y)
    with pytest.raises(ValueError, match=re.escape(f"X has a column named '{name}', which")):
        DaskPriorBoostRegressor(scale=0).fit(Xd, yd)


def test_xgboost_early_stopping_callback_is_refused_with_advice_the_dask_fit_takes(client):
    # the local check advised fit(X, y, eval_set=...), which the Dask fit refuses
    X, y = table(n=60, task="regression")
    params = {"callbacks": [EarlyStopping(rounds=3)]}
    with pytest.raises(ValueError) as error:
        DaskPriorBoostRegressor(booster_params=params).fit(*to_dask(X, y))
    assert str(error.value) == (
        "booster_params callbacks holds XGBoost's EarlyStopping, which needs validation rows, "
        "and DaskPriorBoostRegressor.fit takes no eval_set yet: leave it out, or fit "
        "PriorBoostRegressor on a pandas table (a sample of the rows) with fit(X, y, "
        "eval_set=(X_val, y_val)) and booster_params early_stopping_rounds."
    )
    # the prior alone fits no trees: taken, as the local fit and a patience are
    model = DaskPriorBoostRegressor(booster_params=params, scale="prior", cv=2)
    assert model.fit(*to_dask(X, y)).booster_ is None
