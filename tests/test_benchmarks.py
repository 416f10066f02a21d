"""The llmboost-bench CLI, its datasets, subsampling and baselines."""

import json

import numpy as np
import pandas as pd
import pytest

from llmboost.benchmarks import methods
from llmboost.benchmarks.baselines import WEIGHTS, AveragingClassifier, StackingClassifier
from llmboost.benchmarks.cli import main
from llmboost.benchmarks.datasets import load_dataset, stratified_subsample
from llmboost.benchmarks.runner import read_results


@pytest.fixture
def folder_dataset(tmp_path):
    rng = np.random.default_rng(0)

    def table(n):
        frame = pd.DataFrame(
            {"blood_pressure": rng.normal(120, 15, n), "smoker": rng.choice(["yes", "no"], n)}
        )
        frame["outcome"] = np.where(
            frame["blood_pressure"] + 10 * (frame["smoker"] == "yes") > 125, "sick", "well"
        )
        return frame

    folder = tmp_path / "clinic"
    folder.mkdir()
    table(200).to_csv(folder / "train.csv", index=False)
    table(80).to_csv(folder / "test.csv", index=False)
    meta = {"target_column": "outcome", "task_description": "Is the patient sick?"}
    (folder / "meta.json").write_text(json.dumps(meta))
    return folder


def test_folder_dataset_reads_meta(folder_dataset):
    ds = load_dataset(str(folder_dataset))
    assert ds.name == "clinic" and ds.task_description == "Is the patient sick?"
    assert list(ds.X_train.columns) == ["blood_pressure", "smoker"]
    assert len(ds.y_train) == 200 and set(ds.y_test) == {"sick", "well"}
    with pytest.raises(ValueError, match="Unknown dataset"):
        load_dataset(str(folder_dataset / "nowhere"))


def test_subsample_is_stratified_and_seeded():
    y = np.array(["a"] * 90 + ["b"] * 9 + ["c"] * 3)
    rows = stratified_subsample(y, 20, seed=1)
    assert len(rows) == 20 and len(set(rows)) == 20
    counts = {c: int((y[rows] == c).sum()) for c in "abc"}
    assert counts["b"] >= 2 and counts["c"] >= 2 and counts["a"] >= 15
    np.testing.assert_array_equal(rows, stratified_subsample(y, 20, seed=1))
    assert not np.array_equal(np.sort(rows), np.sort(stratified_subsample(y, 20, seed=2)))
    assert len(stratified_subsample(y, 1000, seed=0)) == len(y)


def test_cli_runs_resumes_and_reports(folder_dataset, tmp_path, monkeypatch, capsys):
    def broken(ds, seed, n):
        raise RuntimeError("this method always fails")

    monkeypatch.setitem(methods.METHODS, "broken", ("fails on purpose", broken))
    out = tmp_path / "run"
    args = [
        "run",
        "--datasets",
        "sklearn:iris",
        str(folder_dataset),
        "--sizes",
        "16",
        "32",
        "--seeds",
        "0",
        "--methods",
        "xgboost",
        "logistic-regression",
        "broken",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    records = read_results(out)
    assert len(records) == 2 * 2 * 3
    failed = [r for r in records if r["status"] == "failed"]
    assert {r["method"] for r in failed} == {"broken"}
    assert "this method always fails" in failed[0]["error"]
    ok = [r for r in records if r["status"] == "ok"]
    assert all(0.5 < r["auc"] <= 1.0 and r["fit_s"] > 0 for r in ok)
    assert {r["n_train"] for r in ok if r["dataset"] == "clinic"} == {16, 32}

    assert main(args) == 0  # resume: nothing left to run
    assert len(read_results(out)) == len(records)
    assert main([*args, "--retry-failed"]) == 0  # only the failed cells again
    assert len(read_results(out)) == len(records) + len(failed)

    report = (out / "report.md").read_text()
    for name in ("xgboost", "logistic-regression", "## iris", "## clinic", "Failed cells"):
        assert name in report
    assert (out / "auc_iris.png").stat().st_size > 0 and (out / "normalized_auc.png").exists()
    assert main(["methods"]) == 0 and "pfnboost" in capsys.readouterr().out


def test_parallel_workers_write_every_cell(tmp_path):
    out = tmp_path / "par"
    main(
        [
            "run",
            "--datasets",
            "sklearn:wine",
            "--methods",
            "xgboost",
            "--sizes",
            "16",
            "32",
            "--seeds",
            "0",
            "1",
            "--jobs",
            "2",
            "--out",
            str(out),
            "--no-report",
        ]
    )
    assert sorted((r["size"], r["seed"]) for r in read_results(out)) == [
        (16, 0),
        (16, 1),
        (32, 0),
        (32, 1),
    ]


def test_stacking_and_averaging_baselines(mixed_frame):
    from sklearn.linear_model import LogisticRegression

    X, y = mixed_frame
    stack = StackingClassifier(LogisticRegression(), random_state=0).fit(X, y)
    proba = stack.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1)
    assert "prior_logit_1" in stack.model_.feature_names_in_
    avg = AveragingClassifier(LogisticRegression(), random_state=0).fit(X, y)
    assert avg.weight_ in WEIGHTS
    assert (avg.predict(X) == y).mean() > 0.8
