"""Bad options of ``python -m llmboost`` and ``llmboost-bench``: exit status 2, one clear line."""

import subprocess
import sys

import pytest

from llmboost.__main__ import main as demo_main
from llmboost.benchmarks.cli import main as bench_main


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
    assert bench_main(["datasets", "--data-dir", str(tmp_path)]) == 0
    assert f"  {tmp_path / 'blood'}" in capsys.readouterr().out.splitlines()


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
