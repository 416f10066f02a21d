"""The llmboost-bench CLI, its datasets, subsampling and baselines."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llmboost.benchmarks import methods
from llmboost.benchmarks.baselines import WEIGHTS, AveragingClassifier, StackingClassifier
from llmboost.benchmarks.cli import main
from llmboost.benchmarks.datasets import dataset_name, load_dataset, stratified_subsample
from llmboost.benchmarks.results import check_settings, read_results
from llmboost.benchmarks.runner import run_cell, run_suite


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


@pytest.mark.parametrize(
    "names, expected",
    [
        (["well", "sick"], None),  # the labels themselves
        (["ill", "healthy"], {"sick": "ill", "well": "healthy"}),  # sorted labels' order
        ({"sick": "ill", "well": "fine"}, {"sick": "ill", "well": "fine"}),
    ],
)
def test_meta_class_names_reach_the_language_model(folder_dataset, names, expected):
    meta = json.loads((folder_dataset / "meta.json").read_text())
    (folder_dataset / "meta.json").write_text(json.dumps({**meta, "class_names": names}))
    ds = load_dataset(str(folder_dataset))
    assert ds.class_names == expected
    assert methods.PRIORS["llm"][1](ds, 0).class_names == expected


def test_test_rows_of_a_class_absent_from_training_are_counted_apart(folder_dataset):
    test = pd.read_csv(folder_dataset / "test.csv")
    test.loc[:4, "outcome"] = "critical"  # five test rows of a class train.csv lacks
    test.to_csv(folder_dataset / "test.csv", index=False)
    record = run_cell(str(folder_dataset), "xgboost", 64, 0, 0, 1000)
    assert record["status"] == "ok"
    assert record["n_test"] == 75 and record["n_test_unscored"] == 5
    without = shutil.copytree(folder_dataset, folder_dataset.parent / "without")
    test.iloc[5:].to_csv(without / "test.csv", index=False)
    same = run_cell(str(without), "xgboost", 64, 0, 0, 1000)  # the same rows, scored alike
    assert same["n_test"] == 75 and "n_test_unscored" not in same
    assert same["auc"] == record["auc"] and same["log_loss"] == record["log_loss"]


@pytest.mark.parametrize("task_type", ["classification", "binary", "multiclass"])
def test_meta_task_types_of_classification_are_read(folder_dataset, task_type):
    meta = json.loads((folder_dataset / "meta.json").read_text())
    (folder_dataset / "meta.json").write_text(json.dumps({**meta, "task_type": task_type}))
    assert set(load_dataset(str(folder_dataset)).y_test) == {"sick", "well"}


def test_meta_class_names_that_do_not_fit_the_labels_are_refused(folder_dataset):
    meta = json.loads((folder_dataset / "meta.json").read_text())
    for names, match in ((["a", "b", "c"], "3 entries for 2 labels"), ({"sick": "ill"}, "well")):
        (folder_dataset / "meta.json").write_text(json.dumps({**meta, "class_names": names}))
        with pytest.raises(ValueError, match=match):
            load_dataset(str(folder_dataset))


def test_numeric_labels_take_class_names_in_numeric_order(tmp_path):
    frame = pd.DataFrame({"x": range(30), "target": [2, 10, 1] * 10})
    frame.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "meta.json").write_text(json.dumps({"class_names": ["one", "two", "ten"]}))
    assert load_dataset(str(tmp_path)).class_names == {"1": "one", "2": "two", "10": "ten"}


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
    assert main(args) == 3  # some cells failed
    records = read_results(out)
    assert len(records) == 2 * 2 * 3
    failed = [r for r in records if r["status"] == "failed"]
    assert {r["method"] for r in failed} == {"broken"}
    assert "this method always fails" in failed[0]["error"]
    ok = [r for r in records if r["status"] == "ok"]
    assert all(0.5 < r["auc"] <= 1.0 and r["fit_s"] > 0 for r in ok)
    assert {r["n_train"] for r in ok if r["dataset"] == "clinic"} == {16, 32}

    capsys.readouterr()
    assert main(args) == 3  # resume: nothing left to run; the failed cells still count
    assert len(read_results(out)) == len(records)
    assert "4 cells failed in an earlier run and are skipped; add" in capsys.readouterr().err
    assert main([*args, "--retry-failed"]) == 3  # only the failed cells again
    assert len(read_results(out)) == len(records) + len(failed)
    assert "--retry-failed" not in capsys.readouterr().err

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


def _quick_args(out, *extra, sizes=("16",)):
    return [
        "run",
        "--datasets",
        "sklearn:iris",
        "--methods",
        "logistic-regression",
        "--sizes",
        *sizes,
        "--out",
        str(out),
        "--no-report",
        *extra,
    ]


def test_resume_after_a_line_cut_short(tmp_path):
    out = tmp_path / "run"
    assert main(_quick_args(out, "--seeds", "0", "1")) == 0
    path = out / "results.jsonl"
    path.write_bytes(path.read_bytes()[:-25])  # the run was stopped mid-write
    assert [r["seed"] for r in read_results(out)] == [0]
    assert main(_quick_args(out, "--seeds", "0", "1", "2")) == 0
    lines = path.read_text().splitlines()
    assert sorted(json.loads(line)["seed"] for line in lines) == [0, 1, 2]


def test_a_whole_last_record_without_its_newline_is_kept(tmp_path):
    # a file whose last record lost its newline (an editor, a merge with cat) had that
    # finished cell cut on resume: the run took it as done, so it was lost for good
    out = tmp_path / "run"
    assert main(_quick_args(out, "--seeds", "0", "1")) == 0
    path = out / "results.jsonl"
    path.write_text(path.read_text().rstrip("\n"))
    assert main(_quick_args(out, "--seeds", "0", "1", "2")) == 0
    assert [r["seed"] for r in read_results(out)] == [0, 1, 2]
    assert path.read_text().count("\n") == 3


def test_a_blank_line_in_the_results_is_passed_over(tmp_path):
    # emptying a failed cell's line by hand, to run it again, made the folder unreadable:
    # "line 1 of results.jsonl is not a cell's record ('')", for run and report alike
    out = tmp_path / "run"
    assert main(_quick_args(out, "--seeds", "0", "1")) == 0
    path = out / "results.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(["", lines[1], "  "]) + "\n")
    assert [r["seed"] for r in read_results(out)] == [1]
    assert main(_quick_args(out, "--seeds", "0", "1")) == 0  # seed 0 runs again
    assert [r["seed"] for r in read_results(out)] == [1, 0]
    assert main(["report", "--out", str(out)]) == 0


@pytest.mark.parametrize(
    ("sizes", "message"),
    [(["0"], "invalid size '0'"), (["16", "-5"], "invalid size '-5'"), (["abc"], "'abc'")],
)
def test_sizes_must_be_positive_integers_or_all(tmp_path, capsys, sizes, message):
    with pytest.raises(SystemExit) as stop:
        main(_quick_args(tmp_path / "run", sizes=sizes))
    assert stop.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_suite_sizes_are_checked(tmp_path, capsys):
    suite = tmp_path / "bad.json"
    suite.write_text(
        json.dumps({"datasets": ["sklearn:iris"], "methods": ["xgboost"], "sizes": [0]})
    )
    with pytest.raises(SystemExit) as stop:
        main(["run", "--suite", str(suite), "--out", str(tmp_path / "run")])
    assert stop.value.code == 2
    assert f"suite {str(suite)!r}: invalid size '0'" in capsys.readouterr().err


def test_a_size_above_the_training_rows_is_skipped_and_said(tmp_path, capsys):
    """iris has 112 training rows: 112 is fitted on every row, 5000 is skipped, not capped."""
    out = tmp_path / "run"
    args = _quick_args(out, "--seeds", "0", "1", sizes=("112", "5000"))
    assert main(args) == 0
    records = {(r["size"], r["seed"]): r for r in read_results(out)}
    assert {k: r["status"] for k, r in records.items()} == {
        (112, 0): "ok",
        (112, 1): "ok",
        (5000, 0): "skipped",
        (5000, 1): "skipped",
    }
    assert records[(112, 0)]["n_train"] == 112
    skipped = records[(5000, 0)]
    assert skipped["n_rows"] == 112 and "n_train" not in skipped and "auc" not in skipped
    assert skipped["reason"] == "size 5000 exceeds the 112 training rows of iris"
    err = capsys.readouterr().err
    assert err.count("iris has 112 training rows, fewer than size 5000: those cells") == 1

    assert main([*args, "--retry-failed"]) == 0  # resume: skipped cells are done, not failed
    assert len(read_results(out)) == 4
    assert "failed in an earlier run" not in capsys.readouterr().err
    assert main(["report", "--out", str(out)]) == 0
    report = (out / "report.md").read_text()
    assert "2 cells finished, 0 failed, 2 skipped" in report
    assert "| iris | 112 | 5000 | 2 |" in report and "Failed cells" not in report


SLOW_DRIVER = """
import sys, time

import numpy as np

from llmboost.benchmarks import methods
from llmboost.benchmarks.cli import main


class Slow:
    def fit(self, X, y):
        time.sleep(1.0)
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.full((len(X), len(self.classes_)), 1 / len(self.classes_))


methods.METHODS["slow"] = ("sleeps 1 s", lambda ds, seed, n_trials: Slow())  # also in workers

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
"""


def test_ctrl_c_with_two_jobs_stops_at_once_and_keeps_finished_cells(tmp_path):
    driver = tmp_path / "driver.py"
    driver.write_text(SLOW_DRIVER)
    out = tmp_path / "run"
    args = _quick_args(out, "--jobs", "2", "--seeds", *map(str, range(16)))
    args[args.index("logistic-regression")] = "slow"
    proc = subprocess.Popen(
        [sys.executable, str(driver), *args],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's job
    )
    results = out / "results.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if results.exists() and len(results.read_text().splitlines()) >= 2:
            break
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the parent and its workers
    start = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - start < 5, "the run went on after Ctrl-C"
    assert proc.returncode == 130 and "Interrupted: finished cells are kept" in err
    kept = read_results(out)
    assert 2 <= len(kept) < 16 and all(r["status"] == "ok" for r in kept)
    time.sleep(1.5)  # no worker left behind still writing
    assert len(read_results(out)) == len(kept)


def test_quick_suite_runs_from_an_installed_package(tmp_path):
    """Suite files are package data: an installed (non-editable) copy finds them."""
    root = Path(__file__).resolve().parents[1]
    src, site = tmp_path / "src", tmp_path / "site"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, src)
    shutil.copytree(
        root / "llmboost", src / "llmboost", ignore=shutil.ignore_patterns("__pycache__")
    )
    install = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index"]
    install += ["--no-build-isolation", "--target", str(site), str(src)]
    subprocess.run(install, check=True, capture_output=True)
    code = (
        "import sys; from llmboost.benchmarks.cli import SUITES, main; print(SUITES); "
        "sys.exit(main(sys.argv[1:]))"
    )
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            *_quick_args(tmp_path / "run", "--suite", "quick", "--seeds", "0"),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(str(site / "llmboost" / "benchmarks" / "suites"))
    assert [r["status"] for r in read_results(tmp_path / "run")] == ["ok"]


def test_a_failed_cell_error_stays_in_one_table_cell():
    import pandas as pd

    from llmboost.benchmarks.report import _failed_lines

    failed = pd.DataFrame(
        [{"dataset": "d", "method": "m", "size": 32, "seed": 0, "error": "a | b\nc"}]
    )
    row = _failed_lines(failed)[-1]
    assert row == "| d | m | 32 | 0 | a \\| b c |"


def _rows(n, labels="ab"):
    return "".join(f"{i},{i % 7},{labels[i % len(labels)]}\n" for i in range(n))


HEADER = "x,z,label\n"
BAD_TABLES = [
    (
        {"data.csv": HEADER + _rows(40), "meta.json": '{"target_column": "outcome"}'},
        "the target column 'outcome' (target_column in {d}/meta.json) is not in "
        "{d}/data.csv, whose columns are ['x', 'z', 'label']; name one of them",
    ),
    (
        {"data.csv": HEADER + _rows(40, "a")},
        "the target column 'label' of {d}/data.csv holds a single class ('a'); give rows of "
        "at least two classes (fitting a classifier and ROC AUC both need them)",
    ),
    (
        {"train.csv": HEADER + _rows(40), "test.csv": HEADER + _rows(10, "b")},
        "the target column 'label' of {d}/test.csv holds a single class ('b'); give rows of "
        "at least two classes (fitting a classifier and ROC AUC both need them)",
    ),
    (
        {"train.csv": HEADER + _rows(40), "test.csv": "x,z\n1,2\n"},
        "{d}/test.csv has no target column 'label', which train.csv has; add it",
    ),
    (
        {"train.csv": HEADER + _rows(40), "test.csv": "x,w,label\n1,2,a\n2,3,b\n"},
        "{d}/test.csv has other columns than train.csv (missing ['z'], extra ['w']); give "
        "both files the same columns",
    ),
    (
        {"data.csv": HEADER + _rows(40) + "1,2,\n3,4,\n"},
        "2 rows of {d}/data.csv have no value in the target column 'label'; drop those "
        "rows or give them a class",
    ),
    (
        {"data.csv": HEADER + _rows(40) + "1,2,\n"},
        "1 row of {d}/data.csv has no value in the target column 'label'; drop it or give "
        "it a class",
    ),
    (
        {"data.csv": HEADER + _rows(40) + "1,2,c\n"},
        "1 class of the target column 'label' in {d}/data.csv has a single row ('c'); the "
        "stratified 75/25 split needs two per class: drop that row, or give train.csv + "
        "test.csv",
    ),
    (
        {"data.csv": HEADER + _rows(40) + "1,2,c\n3,4,d\n"},
        "2 classes of the target column 'label' in {d}/data.csv have a single row ('c', "
        "'d'); the stratified 75/25 split needs two per class: drop those rows, or give "
        "train.csv + test.csv",
    ),
    (
        {"data.csv": HEADER + _rows(8, "abc")},
        "{d}/data.csv has 8 rows of 3 classes; the stratified 75/25 split puts a row of each "
        "class on both sides, so it needs at least 9: give more rows, or train.csv + test.csv",
    ),
    (
        {"data.csv": "x,y\n" + "".join(f"{i},{i / 3 + 0.1}\n" for i in range(30))},
        "the target column 'y' of {d}/data.csv holds 30 distinct numbers: a regression "
        "target; llmboost-bench compares classifiers, so give a column of class labels",
    ),
    (
        {"data.csv": HEADER + _rows(40), "meta.json": '{"task_type": "regression"}'},
        "{d}/meta.json says task_type 'regression': llmboost-bench compares classifiers; "
        "give a folder whose target column holds class labels",
    ),
    (
        {"data.csv": HEADER + _rows(40), "meta.json": "{target_column: label}"},
        "cannot read {d}/meta.json as JSON (Expecting property name enclosed in double "
        "quotes: line 1 column 2 (char 1)); fix it or remove it",
    ),
    (
        {"data.csv": HEADER + _rows(40), "meta.json": '{"class_names": 5}'},
        "class_names in {d}/meta.json must be a list of texts, one per label, or a "
        "{{label: text}} object, not 5",
    ),
    (
        {"data.csv": HEADER + _rows(40), "meta.json": '{"target_column": ["label"]}'},
        "target_column in {d}/meta.json must be a column name, not ['label']",
    ),
    (  # blank: once the default target column (here the last) was used unsaid
        {"data.csv": HEADER + _rows(40), "meta.json": '{"target_column": " "}'},
        "target_column in {d}/meta.json is blank (' '): name the target column, or remove "
        "the key to use the default",
    ),
    (
        {"data.csv": HEADER + _rows(40), "meta.json": '{"task_type": "forecasting"}'},
        "task_type in {d}/meta.json is 'forecasting': llmboost-bench compares classifiers; "
        "write one of 'classification', 'binary', 'multiclass', or remove it",
    ),
    (
        {"train.csv": HEADER + _rows(40), "test.csv": HEADER + _rows(10, "AB")},
        "{d}/test.csv has the labels ['A', 'B'] and {d}/train.csv ['a', 'b']: fewer than two "
        "in common, so no AUC can be scored; spell the labels alike in both files",
    ),
    ({"data.csv": ""}, "cannot read {d}/data.csv as CSV: No columns to parse from file"),
    (
        {"data.csv": HEADER},
        "{d}/data.csv has no rows; give a table with a header line and rows",
    ),
]


@pytest.mark.parametrize("files, message", BAD_TABLES)
def test_a_folder_that_is_no_classification_task_stops_the_run(tmp_path, capsys, files, message):
    """Every cell would fail on such a table: the run stops before any, naming the fix."""
    folder = tmp_path / "clinic"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    expected = message.format(d=folder)
    with pytest.raises(ValueError) as error:
        load_dataset(str(folder))
    assert str(error.value) == expected
    out = tmp_path / "run"
    args = _quick_args(out, "--seeds", "0")
    args[args.index("sklearn:iris")] = str(folder)
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line == f"llmboost-bench run: error: argument --datasets: {expected}"
    assert not out.exists()


def test_only_sklearn_and_openml_are_prefixes_of_a_dataset_name():
    # a folder with a colon in its path was named after what followed the colon
    assert dataset_name("runs/2024-01-01T10:00") == "2024-01-01T10:00"
    assert dataset_name("data/v2:x/blood") == "blood"
    assert dataset_name("sklearn:iris") == "iris" and dataset_name("openml:31") == "31"


def test_two_of_three_classes_in_the_test_rows_score_a_binary_auc():
    # roc_auc_score raised "y should be a 1d array, got an array of shape (n, 2)"
    from sklearn.metrics import roc_auc_score

    from llmboost.benchmarks.runner import _scores

    rng = np.random.default_rng(0)
    proba = rng.dirichlet([1, 1, 1], size=30)
    y_true = np.array(["a", "c"] * 15)
    scores = _scores(y_true, proba, np.array(["a", "b", "c"]))
    expected = roc_auc_score(y_true == "c", proba[:, 2] / proba[:, [0, 2]].sum(axis=1))
    assert scores["auc"] == expected and scores["n_test"] == 30


def _record(status, **extra):
    cell = {"dataset": "iris", "method": "xgboost", "size": 16, "seed": 0, "n_trials": 0}
    return json.dumps({**cell, "max_test": 2000, "status": status, **extra}) + "\n"


def test_the_report_of_a_stopped_run_names_the_cells_not_run(tmp_path, monkeypatch):
    # a run stopped part way: the report ranked xgboost on seed 0 against
    # logistic-regression on seeds 0 and 1 without a word
    from llmboost.benchmarks import report

    monkeypatch.setattr(report, "_plots", lambda *args: None)
    scores = {"n_train": 16, "log_loss": 0.3, "n_test": 38}
    records = [
        _record("ok", method=method, seed=seed, size=size, auc=0.9, **scores)
        for size, seeds in ((16, [0, 1, 2]), (128, [0, 1]))
        for seed in seeds
        for method in ("logistic-regression", "xgboost")
        if (method, size, seed) not in {("xgboost", 16, 1), ("xgboost", 16, 2)}
    ]
    (tmp_path / "results.jsonl").write_text("".join(records))
    text = report.write_report(tmp_path).read_text()
    assert text.endswith(
        "## Cells not run: the tables compare these methods on fewer seeds\n\n"
        "Other methods have records for these seeds; run the suite's command again to "
        "resume it.\n\n"
        "| dataset | size | method | seeds not run |\n|---|---|---|---|\n"
        "| iris | 16 | xgboost | 1, 2 |\n"
    )
    (tmp_path / "results.jsonl").write_text("".join(records[:2]))  # every method, seed 0
    assert "Cells not run" not in report.write_report(tmp_path).read_text()


def test_a_cell_run_again_counts_once_in_the_report(tmp_path):
    from llmboost.benchmarks.report import write_report

    failed = _record("failed", error="URLError: no network")
    ok = _record("ok", n_train=16, auc=0.9, log_loss=0.3, n_test=38)
    (tmp_path / "results.jsonl").write_text(failed + failed + ok)
    report = write_report(tmp_path).read_text()
    assert "1 cell finished, 0 failed;" in report  # was "1 cells" and "Failed cells" not in report
    (tmp_path / "results.jsonl").write_text(ok + failed)  # the latest record counts
    report = write_report(tmp_path).read_text()
    assert "0 cells finished, 1 failed;" in report and "URLError: no network" in report


def test_the_report_lists_cells_with_test_rows_not_scored(tmp_path, monkeypatch):
    # their AUC was over fewer test rows than the other cells', and the report said nothing
    from llmboost.benchmarks import report

    monkeypatch.setattr(report, "_plots", lambda *args: None)  # the tables are checked
    scored = dict(n_train=16, auc=0.9, log_loss=0.3)
    lines = _record("ok", n_test=33, n_test_unscored=5, **scored)
    lines += _record("ok", n_test=38, **scored).replace('"seed": 0', '"seed": 1')
    lines += _record("ok", n_test=36, n_test_unscored=2, **scored).replace('"seed": 0', '"seed": 2')
    (tmp_path / "results.jsonl").write_text(lines)
    text = report.write_report(tmp_path).read_text()
    assert (
        "## Test rows not scored: classes absent from the training rows\n\n"
        "| dataset | size | cells | rows not scored (most) |\n|---|---|---|---|\n"
        "| iris | 16 | 2 | 5 |\n"
    ) in text
    (tmp_path / "results.jsonl").write_text(_record("ok", n_test=38, **scored))
    assert "Test rows not scored" not in report.write_report(tmp_path).read_text()


def test_results_written_before_n_train_resume_and_report(tmp_path, monkeypatch, capsys):
    # records of the first llmboost-bench have no n_train: the report and a resumed run
    # (its warnings) both stopped with KeyError: 'n_train'
    from llmboost.benchmarks import report

    monkeypatch.setattr(report, "_plots", lambda *args: None)  # the tables are checked
    old = _record("ok", auc=0.9, log_loss=0.3)
    (tmp_path / "results.jsonl").write_text(old)
    assert "| xgboost | 0.900 |" in report.write_report(tmp_path).read_text()
    run_suite(["sklearn:iris"], ["xgboost"], [16], [0, 1], tmp_path, progress=False)
    records = read_results(tmp_path)
    assert [r["seed"] for r in records] == [0, 1] and records[1]["n_train"] == 16
    text = report.write_report(tmp_path).read_text()
    assert "2 cells finished, 0 failed" in text and "Sizes raised" not in text


def test_the_report_is_written_without_matplotlib(tmp_path, monkeypatch, capsys):
    from llmboost.benchmarks.report import write_report

    ok = _record("ok", n_train=16, auc=0.9, log_loss=0.3, n_test=38)
    (tmp_path / "results.jsonl").write_text(ok)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    report = write_report(tmp_path).read_text()
    note = "No plots: matplotlib is not installed; pip install 'llmboost[bench]'."
    assert "## iris" in report and note in report
    assert capsys.readouterr().err.strip() == note
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md", "results.jsonl"]


def test_a_method_has_the_same_colour_in_every_plot(tmp_path, monkeypatch):
    # colours were assigned per figure: a dataset without "lr" shifted the others'
    pytest.importorskip("matplotlib")
    from llmboost.benchmarks import report

    records = [
        _record("ok", n_train=16, auc=0.8, log_loss=0.4, n_test=38, dataset=name, method=method)
        for name, methods in [("iris", ["lr", "xgboost"]), ("wine", ["xgboost"])]
        for method in methods
    ]
    (tmp_path / "results.jsonl").write_text("".join(records))
    colours = {}

    def keep_colours(path, write):  # a plot is written by its figure's savefig
        figure = getattr(getattr(write, "func", None), "__self__", None)
        for line in [] if figure is None else figure.axes[0].get_lines():
            colours[(path.name, line.get_label())] = line.get_color()

    monkeypatch.setattr(report, "replace_whole", keep_colours)
    report.write_report(tmp_path)
    xgboost = {colour for (_, method), colour in colours.items() if method == "xgboost"}
    assert len(colours) == 5 and len(xgboost) == 1
    assert colours[("auc_iris.png", "lr")] != colours[("auc_iris.png", "xgboost")]


def test_a_folder_given_as_dot_is_named_after_itself(tmp_path, monkeypatch):
    folder = tmp_path / "clinic"
    folder.mkdir()
    (folder / "data.csv").write_text(HEADER + _rows(60))
    monkeypatch.chdir(folder)
    assert dataset_name(".") == "clinic" and dataset_name(f"{folder}/") == "clinic"
    assert load_dataset(".").name == "clinic"
    out = tmp_path / "run"
    args = ["run", "--datasets", ".", "--methods", "logistic-regression", "--sizes", "16"]
    assert main([*args, "--seeds", "0", "--out", str(out)]) == 0
    assert [r["dataset"] for r in read_results(out)] == ["clinic"]
    assert (out / "auc_clinic.png").exists() and "## clinic" in (out / "report.md").read_text()


def test_sizes_under_two_rows_per_class_are_said(tmp_path, capsys):
    """iris has 3 classes: sizes 2 and 4 train on 6 rows, which the run and report say."""
    out = tmp_path / "run"
    assert main(_quick_args(out, "--seeds", "0", "1", sizes=("2", "4", "8"))) == 0
    n_train = {(r["size"], r["seed"]): r["n_train"] for r in read_results(out)}
    assert n_train == {(2, 0): 6, (2, 1): 6, (4, 0): 6, (4, 1): 6, (8, 0): 8, (8, 1): 8}
    err = capsys.readouterr().err
    assert err.count("iris trains") == 1
    assert (
        "iris trains size 2 on 6, size 4 on 6 rows: every class gets at least two training "
        "rows (n_train in results.jsonl); use sizes of at least 6 to train on exactly that "
        "many." in err
    )
    assert main(["report", "--out", str(out)]) == 0
    report = (out / "report.md").read_text()
    assert (
        "## Sizes raised to two training rows per class\n\n| dataset | size | rows trained on |"
        "\n|---|---|---|\n| iris | 2 | 6 |\n| iris | 4 | 6 |\n" in report
    )


def test_run_suite_refuses_another_test_cap(tmp_path):
    out = tmp_path / "run"
    run_suite(["sklearn:iris"], ["logistic-regression"], [16], [0], out, progress=False)
    with pytest.raises(ValueError) as error:
        run_suite(["sklearn:iris"], ["logistic-regression"], [16], [0, 1], out, max_test=20)
    assert str(error.value) == (
        f"{out / 'results.jsonl'} holds results with --max-test 2000, not 20: a rerun would "
        "skip those cells and the report would mix them; use another folder or the same "
        "--max-test"
    )
    assert [r["seed"] for r in read_results(out)] == [0]
    run_suite(["sklearn:iris"], ["logistic-regression"], [16], [1], out, progress=False)
    assert [r["max_test"] for r in read_results(out)] == [2000, 2000]
    # iris's 38 test rows are below both 2000 and 100: the cells are the same either way
    run_suite(["sklearn:iris"], ["logistic-regression"], [16], [0, 2], out, max_test=100,
              progress=False)  # fmt: skip
    records = read_results(out)
    assert [(r["seed"], r["max_test"], r["n_test"]) for r in records] == [
        (0, 2000, 38), (1, 2000, 38), (2, 100, 38)
    ]  # fmt: skip
    with pytest.raises(ValueError, match="holds results with --max-test 100, 2000, not 37"):
        check_settings(out, 0, 37)
    check_settings(out, 0, 38)


def test_a_refused_run_suite_leaves_its_folder_as_it_was(tmp_path):
    # a run refused for other settings left the .lock it made in the folder (an untracked
    # file beside committed results, which hold no .lock)
    out = tmp_path / "run"
    run_suite(["sklearn:iris"], ["logistic-regression"], [16], [0], out, progress=False)
    (out / ".lock").unlink()  # results copied or committed without it
    results = (out / "results.jsonl").read_bytes()
    with pytest.raises(ValueError, match="holds results with --n-trials 0, not 2"):
        run_suite(["sklearn:iris"], ["logistic-regression"], [16], [0], out, n_trials=2)
    assert os.listdir(out) == ["results.jsonl"]
    assert (out / "results.jsonl").read_bytes() == results
    # a lock file that was there stays (the next run writes its own id in it)
    (out / ".lock").write_text("4242\n")
    with pytest.raises(ValueError, match="holds results with --n-trials 0, not 2"):
        run_suite(["sklearn:iris"], ["logistic-regression"], [16], [0], out, n_trials=2)
    assert sorted(os.listdir(out)) == [".lock", "results.jsonl"]


def test_a_run_suite_with_nothing_to_run_leaves_no_lock(tmp_path):
    # rerun on finished results copied without their .lock, the run wrote nothing and
    # left a .lock beside them
    out = tmp_path / "run"
    run_suite(["sklearn:iris"], ["logistic-regression"], [16], [0], out, progress=False)
    (out / ".lock").unlink()
    results = (out / "results.jsonl").read_bytes()
    run_suite(["sklearn:iris"], ["logistic-regression"], [16], [0], out, progress=False)
    assert os.listdir(out) == ["results.jsonl"]
    assert (out / "results.jsonl").read_bytes() == results
    run_suite(["sklearn:iris"], ["logistic-regression"], [16], [1], out, progress=False)
    assert sorted(os.listdir(out)) == [".lock", "results.jsonl"]  # a run that wrote keeps it


def test_a_lock_file_this_user_cannot_write_still_locks(tmp_path, monkeypatch):
    # another user's .lock (a shared folder) could not be opened for appending, and the
    # run went on unlocked beside the process holding it, both appending every cell
    from lock_fixtures import held, read_only

    out = tmp_path / "run"
    out.mkdir()
    read_only(monkeypatch, out / ".lock")
    with held(out / ".lock") as pid:
        with pytest.raises(ValueError, match=f"^process {pid} is running a suite in {out} "):
            run_suite(["sklearn:iris"], ["logistic-regression"], [16], [0], out, progress=False)
        assert sorted(os.listdir(out)) == [".lock"]  # no cell ran
    run_suite(["sklearn:iris"], ["logistic-regression"], [16], [0], out, progress=False)
    assert [r["status"] for r in read_results(out)] == ["ok"]
    assert (out / ".lock").read_text() == str(pid)  # not its own to write


def test_a_report_written_beside_another_keeps_its_temporary_apart(tmp_path):
    # report.md went through .report.md.part: a report command beside a run writing its
    # report overwrote the other's file, and one of them failed on its move
    out = tmp_path / "run"
    run_suite(["sklearn:iris"], ["logistic-regression"], [16], [0], out, progress=False)
    other = out / ".report.md.part"  # the other process's, being written
    other.write_text("half")
    assert main(["report", "--out", str(out)]) == 0
    assert other.read_text() == "half"
    assert (out / "report.md").read_text().startswith("# ")
    assert not [p.name for p in out.iterdir() if p.name.endswith(".part") and p != other]


def test_an_openml_download_that_fails_is_tried_once_per_run_and_says_what_to_do(
    tmp_path, monkeypatch
):
    # offline, every cell used to try the download again (with sklearn's retries) and
    # record a bare URLError; a later run tries again
    from types import SimpleNamespace

    import sklearn.datasets

    calls = _offline_openml(tmp_path, monkeypatch)
    out = tmp_path / "run"
    methods = ["xgboost", "logistic-regression"]
    run_suite(["openml:31"], methods, [32], [0, 1], out, progress=False)
    records = read_results(out)
    assert len(calls) == 1 and calls[0]["data_id"] == 31
    assert [r["status"] for r in records] == ["failed"] * 4
    assert {r["error"] for r in records} == {
        "ValueError: openml:31 could not be fetched (Name or service not known); it is "
        f"downloaded from OpenML the first time and then read from {tmp_path / 'cache'} "
        "(LLMBOOST_DATA_CACHE). Check the internet connection, or give a local folder with "
        "train.csv and test.csv instead."
    }
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.normal(size=(120, 3)), columns=["a", "b", "c"])
    target = pd.Series(np.where(table["a"] > 0, "yes", "no"))
    online = SimpleNamespace(details={"name": "credit"}, data=table, target=target)
    monkeypatch.setattr(sklearn.datasets, "fetch_openml", lambda **kwargs: online)
    run_suite(["openml:31"], methods, [32], [0, 1], out, retry_failed=True, progress=False)
    assert [r["status"] for r in read_results(out)[4:]] == ["ok"] * 4


def _offline_openml(tmp_path, monkeypatch) -> list:
    """Make every OpenML download fail as offline; the list collects the calls."""
    from urllib.error import URLError

    import sklearn.datasets

    calls = []

    def offline(**kwargs):
        calls.append(kwargs)
        raise URLError("Name or service not known")

    monkeypatch.setenv("LLMBOOST_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(sklearn.datasets, "fetch_openml", offline)
    return calls


def test_an_openml_download_that_fails_is_tried_once_with_two_jobs(tmp_path, monkeypatch):
    # with --jobs 2 each worker tried the download again (the parent's 0 tries here, the
    # workers' unseen); now the parent tries it once and the workers run the other cells
    calls = _offline_openml(tmp_path, monkeypatch)
    out = tmp_path / "run"
    specs, methods = ["openml:31", "sklearn:iris"], ["logistic-regression"]
    run_suite(specs, methods, [32], [0, 1], out, jobs=2, progress=False)
    status = {(r["dataset"], r["seed"]): r["status"] for r in read_results(out)}
    assert len(calls) == 1 and calls[0]["data_id"] == 31
    assert status == {
        ("31", 0): "failed",
        ("31", 1): "failed",
        ("iris", 0): "ok",
        ("iris", 1): "ok",
    }


def test_no_more_workers_start_than_cells_to_run(tmp_path, monkeypatch):
    # --jobs 8 with one cell left started eight worker processes, each importing the
    # libraries: 39 s against 12 s with --jobs 2 on two cores
    from types import SimpleNamespace

    from llmboost.benchmarks import runner

    started = []

    class Pool:  # runs the cells here, as the workers would
        def __init__(self, processes, initializer):
            started.append(processes)

        def imap_unordered(self, function, tasks):
            return map(function, tasks)

        def terminate(self):
            pass

        def join(self):
            pass

    monkeypatch.setattr(runner, "get_context", lambda method: SimpleNamespace(Pool=Pool))
    out = tmp_path / "run"
    run_suite(["sklearn:iris"], ["logistic-regression"], [16], [0], out, jobs=8, progress=False)
    run_suite(
        ["sklearn:iris"], ["logistic-regression"], [16], [0, 1, 2], out, jobs=8, progress=False
    )
    assert started == [1, 2] and [r["seed"] for r in read_results(out)] == [0, 1, 2]


@pytest.mark.parametrize(
    "target, message",
    [
        ("price", "the target column 'price' of openml:houses holds 120 distinct numbers: a "
         "regression target; llmboost-bench compares classifiers"),
        ("label", "30 rows of openml:houses have no value in the target column 'label'"),
    ],
)  # fmt: skip
def test_an_openml_table_that_is_no_classification_task_fails_its_cells_clearly(
    tmp_path, monkeypatch, target, message
):
    # a regression target failed every cell with scikit-learn's list of 120 one-row
    # classes; rows without a target became a class 'None' and were scored as one
    from types import SimpleNamespace

    import sklearn.datasets

    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.normal(size=(120, 3)), columns=["a", "b", "c"])
    if target == "price":
        values = pd.Series(table["a"] * 3.7 + rng.normal(size=120), name=target)
    else:
        values = pd.Series(np.where(table["a"] > 0, "yes", "no"), dtype=object, name=target)
        values[:30] = None
    bunch = SimpleNamespace(details={"name": "houses"}, data=table, target=values)
    monkeypatch.setenv("LLMBOOST_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(sklearn.datasets, "fetch_openml", lambda **kwargs: bunch)
    run_suite(["openml:houses"], ["xgboost"], [32], [0], tmp_path / "run", progress=False)
    (record,) = read_results(tmp_path / "run")
    assert record["status"] == "failed" and message in record["error"]


def test_a_rerun_refuses_results_of_other_files_under_the_same_folder_name(tmp_path):
    # the cells were keyed by the folder's name alone: data_v2/tiny reused data_v1/tiny's
    old, new, edited = (tmp_path / v / "tiny" for v in ("v1", "v2", "v3"))
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=60), "target": np.tile(["no", "yes"], 30)})
    for folder, table in ((old, frame), (new, frame.assign(a=-frame["a"])), (edited, frame)):
        folder.mkdir(parents=True)
        table[:40].to_csv(folder / "train.csv", index=False)
        table[40:].to_csv(folder / "test.csv", index=False)
    out = tmp_path / "run"
    run_suite([str(old)], ["logistic-regression"], [20], [0], out, progress=False)
    assert len(read_results(out)[0]["data"]) == 16
    with pytest.raises(ValueError, match=f"results for 'tiny' computed on other data than {new}"):
        run_suite([str(new)], ["logistic-regression"], [20], [0, 1], out, progress=False)
    # the same files in another place are the same data: the cell is reused, seed 1 runs
    run_suite([str(edited)], ["logistic-regression"], [20], [0, 1], out, progress=False)
    assert [r["seed"] for r in read_results(out)] == [0, 1]
    (edited / "meta.json").write_text('{"target_column": "target"}')  # changed since
    with pytest.raises(ValueError, match="files changed since"):
        check_settings(out, 0, 2000, [str(edited)])
    check_settings(out, 0, 2000, [str(old), "sklearn:iris"])


def test_a_rerun_refuses_results_of_a_builtin_table_under_a_folder_name(tmp_path):
    # only folders kept a digest: a folder "iris" reused sklearn:iris's cells, and back
    folder = tmp_path / "data" / "iris"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=90), "target": np.tile(["p", "q", "r"], 30)})
    frame.to_csv(folder / "data.csv", index=False)
    out, other = tmp_path / "run", tmp_path / "other"
    run_suite(["sklearn:iris"], ["logistic-regression"], [20], [0], out, progress=False)
    assert read_results(out)[0]["data"] == "sklearn:iris"
    with pytest.raises(
        ValueError, match=f"results for 'iris' computed on other data than {folder}"
    ):
        check_settings(out, 0, 2000, [str(folder)])
    run_suite([str(folder)], ["logistic-regression"], [20], [0], other, progress=False)
    with pytest.raises(
        ValueError, match="results for 'iris' computed on other data than sklearn:iris"
    ):
        check_settings(other, 0, 2000, ["sklearn:iris"])
    check_settings(out, 0, 2000, ["sklearn:iris"])


def test_a_folder_digest_needs_no_python_3_11(folder_dataset, monkeypatch):
    # hashlib.file_digest is new in Python 3.11, and the package supports 3.10: there,
    # every run on a dataset folder stopped with an AttributeError
    import hashlib

    from llmboost.benchmarks.datasets import data_digest

    expected = data_digest(str(folder_dataset))
    monkeypatch.delattr(hashlib, "file_digest")
    assert data_digest(str(folder_dataset)) == expected


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")
def test_sigterm_stops_a_parallel_run_and_its_workers(tmp_path):
    # SIGTERM (kill, a scheduler's stop) killed the parent alone: its workers went on
    # with their cells, orphaned, until each finished
    driver = tmp_path / "driver.py"
    driver.write_text(SLOW_DRIVER.replace("time.sleep(1.0)", "time.sleep(60)"))
    out = tmp_path / "run"
    args = _quick_args(out, "--jobs", "2", "--seeds", "0", "1", "2")
    args[args.index("logistic-regression")] = "slow"
    proc = subprocess.Popen(
        [sys.executable, str(driver), *args], cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    listing, children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children"), []
    deadline = time.monotonic() + 60
    while len(children) < 3 and time.monotonic() < deadline:  # two workers, one tracker
        time.sleep(0.1)
        children = listing.read_text().split()
    time.sleep(2)  # the workers start their cells
    proc.send_signal(signal.SIGTERM)  # to the parent only, as kill PID does
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143 and "Stopped (SIGTERM): finished cells are kept" in err
    left, deadline = children, time.monotonic() + 10  # a cell would take 60 s
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [pid for pid in children if Path(f"/proc/{pid}").exists()]
    assert len(children) == 3 and not left
    assert read_results(out) == []
