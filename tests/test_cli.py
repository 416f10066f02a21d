"""Bad options of ``python -m llmboost`` and ``llmboost-bench``: exit status 2, one clear line."""

import json
import os
import subprocess
import sys

import pytest
from lock_fixtures import held, read_only

from llmboost.__main__ import main as demo_main
from llmboost.benchmarks.cli import main as bench_main
from llmboost.benchmarks.results import check_settings, read_results


def _usage_error(main, argv, capsys) -> str:
    """The error line of a command that must stop with argparse's usage error."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


@pytest.mark.parametrize("size", ["0", "2", "5", "148", "200"])
def test_train_size_outside_what_iris_can_split(size, capsys):
    line = _usage_error(demo_main, ["--train-size", size], capsys)
    assert line == (
        f"python -m llmboost: error: argument --train-size: invalid value {size}: iris has "
        "150 rows in 3 classes, so use 6 to 147 (at least two training rows and one test row "
        "per class)"
    )


def test_demo_help_states_the_allowed_ranges(capsys):
    with pytest.raises(SystemExit) as stop:
        demo_main(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert stop.value.code == 0
    assert "from 6 to 147" in help_text and "0 to 4294967295" in help_text


@pytest.mark.parametrize("seed", ["-1", "4294967296", "x"])
def test_seed_outside_what_scikit_learn_takes(seed, capsys):
    line = _usage_error(demo_main, ["--seed", seed], capsys)
    assert f"argument --seed: invalid seed {seed!r}: use an integer from 0 to 4294967295" in line


def test_no_traceback_from_the_command_lines(tmp_path):
    """Both entry points, as a user runs them: status 2 and no Python traceback."""
    for argv in (
        ["-m", "llmboost", "--train-size", "200"],
        ["-m", "llmboost.benchmarks.cli", "report", "--out", str(tmp_path / "nowhere")],
    ):
        run = subprocess.run([sys.executable, *argv], capture_output=True, text=True)
        assert run.returncode == 2, run.stderr
        assert "Traceback" not in run.stderr and ": error: argument " in run.stderr


def test_report_out_must_be_a_folder_with_results(tmp_path, capsys):
    missing, file, empty = tmp_path / "nowhere", tmp_path / "file.txt", tmp_path / "empty"
    file.write_text("x")
    empty.mkdir()
    assert _usage_error(bench_main, ["report", "--out", str(missing)], capsys) == (
        f"llmboost-bench report: error: argument --out: {missing} does not exist; "
        "give an existing folder"
    )
    line = _usage_error(bench_main, ["report", "--out", str(file)], capsys)
    assert line.endswith(f"argument --out: {file} is a file, not a folder; give a folder")
    line = _usage_error(bench_main, ["report", "--out", str(empty)], capsys)
    assert f"argument --out: no results in {empty} (results.jsonl is missing or empty)" in line
    assert f"run `llmboost-bench run --out {empty} ...` first" in line
    assert not missing.exists()


def test_datasets_data_dir_must_be_a_folder(tmp_path, capsys):
    file = tmp_path / "file.txt"
    file.write_text("x")
    line = _usage_error(bench_main, ["datasets", "--data-dir", str(tmp_path / "nowhere")], capsys)
    assert line == (
        f"llmboost-bench datasets: error: argument --data-dir: {tmp_path / 'nowhere'} "
        "does not exist; give an existing folder"
    )
    line = _usage_error(bench_main, ["datasets", "--data-dir", str(file)], capsys)
    assert line.endswith(f"argument --data-dir: {file} is a file, not a folder; give a folder")
    (tmp_path / "blood").mkdir()
    (tmp_path / "blood" / "data.csv").write_text("x,target\n1,0\n2,1\n3,0\n4,1\n5,0\n")
    (tmp_path / "one_class").mkdir()
    (tmp_path / "one_class" / "data.csv").write_text("x,target\n1,0\n2,0\n")
    (tmp_path / "notes").mkdir()
    (tmp_path / "half").mkdir()  # was left out of the list; run stops on it
    (tmp_path / "half" / "train.csv").write_text("x,target\n1,0\n2,1\n")
    assert bench_main(["datasets", "--data-dir", str(tmp_path)]) == 0
    listed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  ")]
    assert listed[0] == f"  {tmp_path / 'blood'}"
    assert listed[1] == (
        f"  {tmp_path / 'half'}  (not usable: {tmp_path / 'half'} has neither train.csv + "
        "test.csv nor data.csv.)"
    )
    assert listed[2].startswith(f"  {tmp_path / 'one_class'}  (not usable: ")
    assert len(listed) == 3 and "holds a single class" in listed[2]


def test_datasets_data_dir_says_when_it_finds_none_and_lists_itself(tmp_path, capsys):
    # a --data-dir without dataset folders listed nothing, not even that; one that is
    # itself a dataset folder (tasks/blood rather than tasks) was not listed either
    empty, blood = tmp_path / "empty", tmp_path / "blood"
    empty.mkdir()
    blood.mkdir()
    (blood / "data.csv").write_text("x,target\n1,0\n2,1\n3,0\n4,1\n5,0\n")
    assert bench_main(["datasets", "--data-dir", str(empty)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"  no dataset folder in {empty}: neither it nor a folder inside holds train.csv + "
        "test.csv or data.csv"
    )
    assert bench_main(["datasets", "--data-dir", str(blood)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"  {blood}"


def _run(out, *options):
    base = {"--datasets": ["sklearn:iris"], "--methods": ["xgboost"], "--sizes": ["16"]}
    for option, values in zip(options[::2], options[1::2]):
        base[option] = values
    argv = ["run", "--out", str(out)]
    for option, values in base.items():
        argv += [option, *values] if values else []
    return argv


def test_run_options_that_name_paths_or_names(tmp_path, capsys):
    out, file = tmp_path / "run", tmp_path / "file.txt"
    file.write_text("x")
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    cases = [
        (_run(file), f"argument --out: {file} is a file, not a folder; give a folder"),
        (
            _run(out, "--datasets", [str(tmp_path / "nowhere")]),
            f"argument --datasets: no dataset {str(tmp_path / 'nowhere')!r}; use sklearn:NAME",
        ),
        (_run(out, "--datasets", ["sklearn:titanic"]), "no dataset 'sklearn:titanic'"),
        (_run(out, "--methods", ["xgbost"]), "argument --methods: unknown methods ['xgbost']"),
        (
            _run(out, "--suite", ["nosuch"], "--datasets", None),
            "argument --suite: no suite 'nosuch': not a file, and not one of offline, quick",
        ),
        (_run(out, "--suite", [str(bad_json)]), f"argument --suite: cannot read {bad_json} as"),
        (_run(out, "--sizes", None), "error: give --suite or --sizes"),
    ]
    for argv, message in cases:
        line = _usage_error(bench_main, argv, capsys)
        assert line.startswith("llmboost-bench run: error: ") and message in line, line
    assert not out.exists()


def test_run_refuses_folders_that_are_no_dataset_or_share_a_name(tmp_path, capsys):
    out, empty = tmp_path / "run", tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("x")
    line = _usage_error(bench_main, _run(out, "--datasets", [str(empty)]), capsys)
    assert line == (
        f"llmboost-bench run: error: argument --datasets: the folder {empty} holds neither "
        "train.csv + test.csv nor data.csv; give a dataset folder (see `llmboost-bench "
        "datasets`)"
    )
    first, second = tmp_path / "a" / "iris", tmp_path / "b" / "iris"
    for folder in (first, second):
        folder.mkdir(parents=True)
        (folder / "data.csv").write_text("x,target\n1,0\n2,1\n")
    line = _usage_error(bench_main, _run(out, "--datasets", [str(first), str(second)]), capsys)
    assert line == (
        f"llmboost-bench run: error: argument --datasets: {str(first)!r} and {str(second)!r} "
        "are both named 'iris' in results.jsonl; give one of them, or rename a folder"
    )
    line = _usage_error(bench_main, _run(out, "--datasets", [str(first), "sklearn:iris"]), capsys)
    assert "are both named 'iris' in results.jsonl" in line
    assert not out.exists()


def test_one_folder_given_two_ways_is_one_dataset(tmp_path, monkeypatch):
    # 'tiny' and its absolute path (or 'tiny/') were refused as two folders named 'tiny'
    folder = tmp_path / "tiny"
    folder.mkdir()
    rows = [f"{i},{'ab'[i % 2]}" for i in range(60)]
    (folder / "data.csv").write_text("x,target\n" + "\n".join(rows) + "\n")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "run"
    argv = _run(out, "--datasets", ["tiny", str(folder), "tiny/"], "--seeds", ["0", "1"])
    assert bench_main([*argv, "--no-report"]) == 0
    records = read_results(out)
    assert [(r["dataset"], r["seed"], r["status"]) for r in records] == [
        ("tiny", 0, "ok"),
        ("tiny", 1, "ok"),
    ]


@pytest.mark.parametrize("seed", ["-1", "4294967296"])
def test_run_seeds_are_those_the_libraries_take(seed, tmp_path, capsys):
    line = _usage_error(bench_main, _run(tmp_path / "run", "--seeds", [seed]), capsys)
    assert line == (
        f"llmboost-bench run: error: argument --seeds: invalid value {seed!r}: use an integer "
        "from 0 to 4294967295"
    )
    with pytest.raises(SystemExit):
        bench_main(["run", "--help"])
    assert "subsample seeds, 0 to 4294967295" in " ".join(capsys.readouterr().out.split())


def test_a_run_says_how_many_cells_failed(tmp_path, capsys, monkeypatch):
    from llmboost.benchmarks import methods

    def broken(ds, seed, n_trials):
        raise RuntimeError("this method always fails")

    monkeypatch.setitem(methods.METHODS, "broken", ("fails on purpose", broken))
    out = tmp_path / "run"
    argv = _run(out, "--methods", ["xgboost", "broken"], "--seeds", ["0", "1"])
    assert bench_main([*argv, "--no-report"]) == 3  # was 0: some cells failed
    err = capsys.readouterr().err.strip().splitlines()[-2:]
    assert err == [
        "2 of 4 cells failed in this run (first: iris broken: RuntimeError: this method "
        f"always fails); their errors are in {out / 'results.jsonl'} and the report.",
        f"Exit status 3: 2 of the suite's 4 cells failed; the errors are in "
        f"{out / 'results.jsonl'}.",
    ]


def test_a_run_where_no_cell_scored_exits_with_status_1(tmp_path, capsys, monkeypatch):
    # every cell failed and the run exited 0, so a script took it for a success
    from llmboost.benchmarks import methods

    def broken(ds, seed, n_trials):
        raise RuntimeError("this method always fails")

    monkeypatch.setitem(methods.METHODS, "broken", ("fails on purpose", broken))
    out = tmp_path / "run"
    argv = _run(out, "--methods", ["broken"], "--sizes", ["16", "1000"], "--seeds", ["0", "1"])
    said = (
        f"Exit status 1: no cell of the suite scored (2 failed, 2 skipped); the errors are in "
        f"{out / 'results.jsonl'}."
    )
    assert bench_main(argv) == 1
    assert said in capsys.readouterr().err.splitlines()
    assert "| iris | broken | 16 | 0 | RuntimeError" in (out / "report.md").read_text()
    assert bench_main([*argv, "--no-report"]) == 1  # a rerun skips the failed cells
    assert capsys.readouterr().err.strip().splitlines()[-1] == said
    monkeypatch.setitem(methods.METHODS, "broken", methods.METHODS["xgboost"])
    assert bench_main([*argv, "--no-report", "--retry-failed"]) == 0
    with pytest.raises(SystemExit):
        bench_main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "exit status: 0 when no cell of the suite failed; 3 when some failed" in text


def test_an_interrupted_report_leaves_the_previous_one_whole(tmp_path, capsys, monkeypatch):
    from pathlib import Path

    out = tmp_path / "run"
    assert bench_main([*_run(out, "--seeds", ["0"]), "--no-report"]) == 0
    assert bench_main(["report", "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    write_text = Path.write_text

    def cut_short(self, text, *args, **kwargs):
        write_text(self, text[: len(text) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_text", cut_short)
    capsys.readouterr()
    try:
        status = bench_main(["report", "--out", str(out)])
    except KeyboardInterrupt:
        pytest.fail("the interrupt escaped llmboost-bench report")
    assert status == 130
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert capsys.readouterr().err.strip() == (
        f"Interrupted: the report is unfinished; run `llmboost-bench report --out {out}` to "
        "write it."
    )


def test_an_interrupt_during_the_checks_stops_quietly(tmp_path, capsys, monkeypatch):
    from llmboost.benchmarks import cli

    folder = tmp_path / "table"
    folder.mkdir()
    (folder / "data.csv").write_text("x,y\n1,a\n2,b\n")

    def interrupted(spec):
        raise KeyboardInterrupt  # Ctrl-C while a local table is read to check it

    monkeypatch.setattr(cli, "load_dataset", interrupted)
    out = tmp_path / "run"
    try:
        status = bench_main(_run(out, "--datasets", [str(folder)]))
    except KeyboardInterrupt:
        pytest.fail("the interrupt escaped llmboost-bench run")
    assert status == 130 and not out.exists()
    assert capsys.readouterr().err.strip() == (
        "Interrupted while checking the run's settings; nothing was run."
    )


@pytest.mark.parametrize(
    "stored, option, value",
    [({"n_trials": 5}, "--n-trials", 5), ({"max_test": 300}, "--max-test", 300)],
)
def test_a_results_folder_of_other_settings_is_refused(tmp_path, capsys, stored, option, value):
    out = tmp_path / "run"
    out.mkdir()
    record = {"dataset": "iris", "method": "xgboost", "size": 16, "seed": 0, **stored}
    (out / "results.jsonl").write_text(json.dumps({**record, "status": "ok"}) + "\n")
    default = {"--n-trials": 0, "--max-test": 2000}[option]
    line = _usage_error(bench_main, _run(out, "--seeds", ["0"]), capsys)
    assert line == (
        f"llmboost-bench run: error: argument --out: {out / 'results.jsonl'} holds results "
        f"with {option} "
        f"{value}, not {default}: a rerun would skip those cells and the report would mix "
        f"them; use another folder or the same {option}"
    )
    assert len((out / "results.jsonl").read_text().splitlines()) == 1
    # the folder's own settings pass (a record without one was written with the default)
    check_settings(out, **{"n_trials": 0, "max_test": 2000, **stored})


def test_another_budget_is_refused_only_over_scored_cells(tmp_path, capsys):
    # a folder holding only failed (or skipped) cells refused another --n-trials, though
    # those cells have no scores to mix
    out = tmp_path / "run"
    out.mkdir()
    cell = {"dataset": "iris", "method": "xgboost", "size": 16, "n_trials": 0, "max_test": 2000}
    lines = [
        json.dumps({**cell, "seed": 0, "status": "failed", "error": "URLError: offline"}),
        json.dumps({**cell, "size": 500, "seed": 0, "status": "skipped", "n_rows": 112}),
    ]
    (out / "results.jsonl").write_text("\n".join(lines) + "\n")
    argv = _run(out, "--seeds", ["0", "1"], "--n-trials", ["2"], "--methods", ["xgboost"])
    assert bench_main([*argv, "--retry-failed", "--no-report"]) == 0
    records = read_results(out)
    assert [(r["seed"], r["status"], r["n_trials"]) for r in records[2:]] == [
        (0, "ok", 2),
        (1, "ok", 2),
    ]
    line = _usage_error(bench_main, _run(out, "--seeds", ["0"]), capsys)
    assert "holds results with --n-trials 2, not 0" in line


def test_a_run_reads_its_results_file_once(tmp_path, monkeypatch):
    # a run read results.jsonl five times (twice to check the settings, once each for the
    # cells to run, the warnings and the folder check) before its report
    from llmboost.benchmarks import cli, runner

    out, reads = tmp_path / "run", []

    def counted(out_dir):
        reads.append(out_dir)
        return read_results(out_dir)

    monkeypatch.setattr(runner, "read_results", counted)
    monkeypatch.setattr(cli, "read_results", counted)
    argv = [*_run(out, "--seeds", ["0"]), "--no-report"]
    assert bench_main(argv) == 0 and len(reads) == 1
    assert bench_main([*_run(out, "--seeds", ["0", "1"]), "--no-report"]) == 0
    assert len(reads) == 2 and [r["seed"] for r in read_results(out)] == [0, 1]


def test_a_results_file_of_another_program_is_a_usage_error(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    record = {"dataset": "iris", "method": "xgboost", "size": 16, "seed": 0, "status": "ok"}
    # only a last line may be cut short by a stop: text before it is another program's
    files = [
        (2, [json.dumps(record), "[1, 2]", "cut sh"]),
        (2, [json.dumps(record), "cut sh", "[1, 2]"]),
        (1, ["epoch,loss", "1,0.5"]),
    ]
    for number, lines in files:
        (out / "results.jsonl").write_text("\n".join(lines) + "\n")
        expected = (
            f"argument --out: line {number} of {out / 'results.jsonl'} is not a cell's record "
            f"({lines[number - 1]!r}); give a folder that only llmboost-bench writes to"
        )
        assert _usage_error(bench_main, ["report", "--out", str(out)], capsys).endswith(expected)
        assert _usage_error(bench_main, _run(out, "--seeds", ["0"]), capsys).endswith(expected)
        assert (out / "results.jsonl").read_text() == "\n".join(lines) + "\n"  # left whole


def test_parallel_runs_leave_the_callers_thread_setting_alone(tmp_path, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    out = tmp_path / "run"
    argv = _run(out, "--seeds", ["0", "1"], "--jobs", ["2"])
    assert bench_main([*argv, "--no-report"]) == 0
    assert "OMP_NUM_THREADS" not in os.environ
    assert [r["status"] for r in read_results(out)] == ["ok", "ok"]


def test_a_cell_named_twice_runs_once(tmp_path):
    out = tmp_path / "run"
    argv = _run(out, "--seeds", ["0", "0"], "--sizes", ["16", "16"], "--methods", ["xgboost"] * 2)
    assert bench_main([*argv, "--no-report"]) == 0
    assert [(r["size"], r["seed"], r["status"]) for r in read_results(out)] == [(16, 0, "ok")]


def test_suite_keys_are_checked(tmp_path, capsys):
    out, suite = tmp_path / "run", tmp_path / "mine.json"
    base = {"datasets": ["sklearn:iris"], "methods": ["xgboost"]}
    suite.write_text(json.dumps({**base, "size": [16], "n_trials": 3}))
    line = _usage_error(bench_main, ["run", "--suite", str(suite), "--out", str(out)], capsys)
    assert line == (
        f"llmboost-bench run: error: argument --suite: {suite} has unknown keys ['n_trials', "
        "'size']; a suite names datasets, methods, sizes, seeds (lists) and a description; "
        "give run options on the command line"
    )
    suite.write_text(json.dumps({**base, "methods": [["xgboost"]], "sizes": [16]}))
    line = _usage_error(bench_main, ["run", "--suite", str(suite), "--out", str(out)], capsys)
    assert line == (
        f"llmboost-bench run: error: suite {str(suite)!r}: unknown methods [['xgboost']]; "
        "`llmboost-bench methods` lists them"
    )
    suite.write_text(json.dumps({**base, "seeds": []}))
    line = _usage_error(bench_main, ["run", "--suite", str(suite), "--out", str(out)], capsys)
    assert line == (
        f"llmboost-bench run: error: suite {str(suite)!r} names no sizes, seeds; give --sizes "
        "--seeds or add them to the suite"
    )
    assert not out.exists()


@pytest.mark.parametrize("spec", ["", "openml:"])
def test_an_empty_dataset_spec_names_no_dataset(spec, tmp_path, capsys):
    line = _usage_error(bench_main, _run(tmp_path / "run", "--datasets", [spec]), capsys)
    assert line == (
        f"llmboost-bench run: error: argument --datasets: no dataset {spec!r}; use "
        "sklearn:NAME (breast_cancer, iris, wine), openml:ID_OR_NAME or an existing folder"
    )
    assert not (tmp_path / "run").exists()
    # in a suite file, '' was taken for the suite's own folder
    suite = tmp_path / "mine.json"
    suite.write_text(json.dumps({"datasets": [spec], "methods": ["xgboost"], "sizes": [16]}))
    line = _usage_error(bench_main, ["run", "--suite", str(suite), "--out", str(tmp_path)], capsys)
    assert line == (
        f"llmboost-bench run: error: suite {str(suite)!r}: no dataset {spec!r}; use "
        "sklearn:NAME (breast_cancer, iris, wine), openml:ID_OR_NAME or an existing folder"
    )


def test_a_missing_command_is_named(capsys):
    line = _usage_error(bench_main, [], capsys)
    assert line == (
        "llmboost-bench: error: the following arguments are required: {datasets,methods,run,report}"
    )


def test_run_help_says_what_the_options_do(capsys):
    with pytest.raises(SystemExit):
        bench_main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--datasets, --methods, --sizes and --seeds override the suite's" in text
    assert "a suite (offline, quick, tabllm) or a suite JSON file" in text
    assert "(default: the suite's, else 0 1 2 3 4)" in text
    assert "every class gets at least two rows, so a size under twice the classes" in text
    assert "cap on test rows, stratified, at least two per class (default 2000)" in text
    assert text.count("one value per --out folder") == 2


def test_an_out_folder_that_cannot_be_written_is_a_usage_error(tmp_path, monkeypatch, capsys):
    # results.jsonl or the report in a read-only --out ended in a PermissionError traceback
    out = tmp_path / "run"
    assert bench_main([*_run(out, "--seeds", ["0"]), "--no-report"]) == 0
    read_only(monkeypatch, out)
    line = _usage_error(bench_main, _run(out, "--seeds", ["0", "1"]), capsys)
    assert line == (
        f"llmboost-bench run: error: argument --out: cannot write {out / 'results.jsonl'}: "
        "Permission denied; give a folder you can write to"
    )
    line = _usage_error(bench_main, ["report", "--out", str(out)], capsys)
    assert line.startswith(f"llmboost-bench report: error: argument --out: cannot write {out}")
    assert line.endswith(": Permission denied; give a folder you can write to")
    assert sorted(os.listdir(out)) == [".lock", "results.jsonl"]  # none half written


@pytest.mark.parametrize("command", ["run", "report", "datasets"])
def test_an_empty_folder_option_is_a_usage_error(command, tmp_path, monkeypatch, capsys):
    # --out "" (an unset shell variable) was read as the current folder: the run wrote
    # results.jsonl, .lock, report.md and its plots there
    monkeypatch.chdir(tmp_path)
    option = "--data-dir" if command == "datasets" else "--out"
    argv = [command, option, ""]
    if command == "run":
        argv += ["--datasets", "sklearn:iris", "--methods", "logistic-regression", "--sizes", "16"]
    line = _usage_error(bench_main, argv, capsys)
    assert line == f"llmboost-bench {command}: error: argument {option}: it is empty; name a folder"
    assert os.listdir(tmp_path) == []


def test_an_empty_suite_is_a_usage_error(tmp_path, capsys):
    # --suite "" (an unset shell variable) was ignored: the run went on without a suite
    argv = ["run", "--suite", "", "--out", str(tmp_path / "run"), "--datasets", "sklearn:iris"]
    argv += ["--methods", "logistic-regression", "--sizes", "16", "--seeds", "0"]
    line = _usage_error(bench_main, argv, capsys)
    assert line == (
        "llmboost-bench run: error: argument --suite: it is empty; name a suite (offline, "
        "quick, tabllm) or a JSON file"
    )
    assert not (tmp_path / "run").exists()


def test_a_second_run_on_one_out_folder_stops_at_its_start(tmp_path, capsys):
    # two runs on one --out both appended every cell to results.jsonl: each cell twice,
    # and lines of the two interleaved
    out = tmp_path / "run"
    out.mkdir()
    with held(out / ".lock") as pid:
        line = _usage_error(bench_main, _run(out, "--seeds", ["0"]), capsys)
        assert line == (
            f"llmboost-bench run: error: argument --out: process {pid} is running a suite in "
            f"{out} (it holds {out / '.lock'}): let it finish or stop it first, or use another "
            "folder"
        )
        assert sorted(os.listdir(out)) == [".lock"]  # no cell ran
    assert (out / ".lock").read_text() == str(pid)  # left by a process that has ended
    assert bench_main([*_run(out, "--seeds", ["0"]), "--no-report"]) == 0
    assert [r["status"] for r in read_results(out)] == ["ok"]
