"""Pretraining the bundled PFN: stopping, progress, resuming and shipping runs."""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from llmboost.pfn import pretrain  # noqa: E402
from llmboost.pfn._pretrain_cli import _cpus, _parser  # noqa: E402

TINY = ["--width", "16", "--layers", "1", "--heads", "2", "--tokens", "2000"]
TINY += ["--val-batches", "1", "--max-rows", "96"]


@pytest.mark.parametrize(
    "stop, status, said",
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "stopped (SIGTERM)")],
)
def test_a_stop_saves_the_last_step_and_a_rerun_goes_on(stop, status, said, tmp_path):
    # Ctrl-C and a batch scheduler's kill (SIGTERM) lost everything since the last timed
    # checkpoint (3 minutes by default)
    run = tmp_path / "run"
    args = ["--out", str(run), *TINY, "--steps", "100000"]
    command = [sys.executable, "-m", "llmboost.pfn.pretrain", *args]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (run / "recipe.json").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3.0)  # the validation set is drawn and a few steps run
    child.send_signal(stop)
    out, err = child.communicate(timeout=120)
    assert child.returncode == status, err
    saved = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=False)
    assert saved["step"] >= 1 and saved["smooth"] is not None
    assert json.loads((run / "train_info.json").read_text())["step"] == saved["step"]
    assert f"{said}: step {saved['step']} saved in" in out
    info = pretrain.main([*args[:-1], str(saved["step"] + 1)])
    assert info["step"] == saved["step"] + 1


def test_a_run_started_from_another_folder_ships_with_its_parent_record(tmp_path, monkeypatch):
    # initialised_from was resolved against the folder ship ran in, not the run's
    first, second, elsewhere = (tmp_path / d for d in ("first", "second", "elsewhere"))
    for d in (second, elsewhere):
        d.mkdir()
    pretrain.main(["--out", str(first), *TINY, "--steps", "1"])
    pretrain.main(["--out", str(first), "--ship", str(second / "parent.pt")])
    parent = json.loads((second / "parent.json").read_text())
    monkeypatch.chdir(second)
    pretrain.main(["--out", "run", "--init-from", "parent.pt", *TINY, "--steps", "1"])
    # another parent.pt of the same name in the folder ship runs in is not the one
    (elsewhere / "parent.json").write_text(json.dumps({"recipe": {}, "note": "wrong"}))
    monkeypatch.chdir(elsewhere)
    meta = pretrain.main(["--out", str(second / "run"), "--ship", str(tmp_path / "w.pt")])
    assert meta["parent"] == parent


def test_an_old_recipe_path_relative_to_the_starting_folder_still_finds_the_parent(
    tmp_path, monkeypatch
):
    # recipes written before recorded --init-from as given, relative to the working folder
    pretrain.main(["--out", str(tmp_path / "first"), *TINY, "--steps", "1"])
    pretrain.main(["--out", str(tmp_path / "first"), "--ship", str(tmp_path / "parent.pt")])
    run = tmp_path / "run"
    init = ["--init-from", str(tmp_path / "parent.pt")]
    pretrain.main(["--out", str(run), *init, *TINY, "--steps", "1"])
    ck = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=False)
    ck["recipe"]["initialised_from"] = "parent.pt"
    torch.save(ck, run / "checkpoint.pt")
    monkeypatch.chdir(tmp_path)
    meta = pretrain.main(["--out", str(run), "--ship", str(tmp_path / "w.pt")])
    assert meta["parent"] == json.loads((tmp_path / "parent.json").read_text())


def test_a_checkpoint_is_read_onto_the_cpu_whatever_the_device(tmp_path, monkeypatch):
    # read onto the training device, a checkpoint's torch RNG state (a CPU tensor) went
    # to the GPU, and torch.set_rng_state refused it: no run could resume on CUDA
    args = ["--out", str(tmp_path), *TINY, "--steps", "1"]
    pretrain.main(args)
    seen, load = [], torch.load

    def spy(path, *a, map_location=None, **kw):
        seen.append((os.path.basename(path), map_location))
        return load(path, *a, map_location=map_location, **kw)

    monkeypatch.setattr(torch, "load", spy)
    assert pretrain.main([*args[:-1], "2"])["step"] == 2
    assert ("checkpoint.pt", "cpu") in seen and all(m == "cpu" for _, m in seen)
    assert not [s for s in seen if not isinstance(s[1], str)]


def _last_bar(err: str) -> str:
    return [line for line in err.replace("\r", "\n").splitlines() if "/" in line][-1]


@pytest.mark.parametrize("minutes", ["0.01", "0.03"])
def test_a_time_budget_fills_the_progress_bar_exactly(tmp_path, capsys, minutes):
    # the bar counted seconds up to int(60 * minutes): 0/0 under a second, and the
    # last step ran it past its total (tqdm clamped it and showed a negative time left)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tqdm's "clamping frac to range [0, 1]"
        pretrain.main(["--out", str(tmp_path), *TINY, "--minutes", minutes])
    bar = _last_bar(capsys.readouterr().err)
    assert bar.startswith("100%|") and "<-" not in bar, bar


def test_a_run_resumed_with_other_settings_is_refused_naming_each(tmp_path, capsys):
    # --seed was ignored on resume, --val-seed / --val-batches / --tokens / --max-rows drew
    # another validation set mid-run, --lr and --kind-weights changed silently, and leaving
    # out --init-from dropped the parent from the recipe
    first = tmp_path / "first"
    pretrain.main(["--out", str(first), *TINY, "--steps", "1"])
    pretrain.main(["--out", str(first), "--ship", str(tmp_path / "parent.pt")])
    run = tmp_path / "run"
    init = ["--init-from", str(tmp_path / "parent.pt")]
    args = ["--out", str(run), *init, *TINY, "--seed", "3", "--lr", "0.002"]
    pretrain.main([*args, "--steps", "1"])
    recipe = (run / "recipe.json").read_text()
    changes = [
        (["--seed", "4"], "--seed: 3 in the run, 4 now"),
        (["--val-seed", "7"], "--val-seed: 20251128 in the run, 7 now"),
        (["--val-batches", "2"], "--val-batches: 1 in the run, 2 now"),
        (["--tokens", "3000"], "--tokens: 2000 in the run, 3000 now"),
        (["--max-rows", "64"], "--max-rows: 96 in the run, 64 now"),
        (["--lr", "0.001"], "--lr: 0.002 in the run, 0.001 now"),
        (
            ["--kind-weights", "1", "1", "2"],
            "--kind-weights: 0.5 0.3 0.2 in the run, 0.25 0.25 0.5 now",
        ),
    ]
    changes = [(["--steps", "2", *change], line) for change, line in changes]
    changes.append((["--minutes", "5"], "--steps: 1 in the run, left out now"))
    for change, line in changes:
        with pytest.raises(SystemExit) as stop:
            pretrain.main([*args, *change])
        message = str(stop.value.code)
        assert line in message and message.count(" in the run, ") == 1, message
        assert "start a new run with another --out" in message
    without_parent = [a for a in args if a not in init]
    with pytest.raises(SystemExit, match=r"--init-from: \S+parent.pt in the run, left out now"):
        pretrain.main([*without_parent, "--steps", "2"])
    assert (run / "recipe.json").read_text() == recipe  # nothing written
    # the budget, validation and checkpoint frequency, threads and device may change
    threads = str(min(2, _cpus()))
    more = ["--steps", "3", "--val-every", "1", "--checkpoint-every", "5", "--threads", threads]
    assert pretrain.main([*args, *more])["step"] == 3
    # the parent's file may be gone: a resumed run does not read it
    (tmp_path / "parent.pt").unlink()
    assert pretrain.main([*args, "--steps", "4"])["step"] == 4
    assert json.loads((run / "recipe.json").read_text())["initialised_from"] == "../parent.pt"


def test_a_cuda_runs_random_state_is_saved_and_restored(tmp_path, monkeypatch):
    # checkpoints kept the CPU's torch random state only: resumed on a GPU, the feature
    # embeddings were drawn from another stream than the uninterrupted run's
    import numpy as np

    from llmboost.pfn import _resume

    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    state, restored = torch.arange(16, dtype=torch.uint8), []
    monkeypatch.setattr(torch.cuda, "get_rng_state", lambda device="cuda": state.clone())
    monkeypatch.setattr(
        torch.cuda, "set_rng_state", lambda new, device="cuda": restored.append((new, device))
    )
    saved = _resume.random_states(np.random.default_rng(0), cuda)
    assert torch.equal(saved["cuda_rng"], state) and torch.equal(
        saved["torch_rng"], torch.get_rng_state()
    )
    assert _resume.random_states(np.random.default_rng(0), cpu)["cuda_rng"] is None
    rng = np.random.default_rng(1)
    _resume.set_random_states(saved, rng, cuda)
    assert len(restored) == 1 and torch.equal(restored[0][0], state) and restored[0][1] == cuda
    assert rng.bit_generator.state == np.random.default_rng(0).bit_generator.state
    # written on the CPU, or before the CUDA state was kept: nothing to restore on the GPU
    _resume.set_random_states({**saved, "cuda_rng": None}, rng, cuda)
    _resume.set_random_states({k: v for k, v in saved.items() if k != "cuda_rng"}, rng, cuda)
    _resume.set_random_states(saved, rng, cpu)  # a GPU run resumed on the CPU
    assert len(restored) == 1
    # an old checkpoint without the key still resumes
    args = ["--out", str(tmp_path), *TINY, "--steps", "1"]
    pretrain.main(args)
    ck = torch.load(tmp_path / "checkpoint.pt", map_location="cpu", weights_only=False)
    assert ck["cuda_rng"] is None
    del ck["cuda_rng"]
    torch.save(ck, tmp_path / "checkpoint.pt")
    assert pretrain.main([*args[:-1], "2"])["step"] == 2


def test_the_recipe_names_the_gpu_the_run_is_on(tmp_path, monkeypatch):
    # a run on cuda:1 recorded torch.cuda.get_device_name(0): the name of another GPU
    from llmboost.pfn._pretrain_cli import parse_args
    from llmboost.pfn.model import PFNConfig, TabPFNLite

    names = {0: "GPU zero", 1: "GPU one"}
    asked = []

    def name(device=None):
        asked.append(device)
        if isinstance(device, int):
            return names[device]
        index = None if device is None else torch.device(device).index
        return names[0 if index is None else index]  # no index: the current GPU, 0 here

    monkeypatch.setattr(torch.cuda, "get_device_name", name)
    args = parse_args(["--out", str(tmp_path / "run"), *TINY])
    cfg = PFNConfig(width=16, layers=1, heads=2)
    model = TabPFNLite(cfg)
    for device, said in (("cuda:1", "GPU one"), ("cuda:0", "GPU zero"), ("cuda", "GPU zero")):
        recipe = pretrain._recipe(args, [], cfg, model, torch.device(device), None)
        assert recipe["device"] == device and recipe["hardware"]["cuda"] == said
    asked.clear()
    recipe = pretrain._recipe(args, [], cfg, model, torch.device("cpu"), None)
    assert recipe["hardware"]["cuda"] is None and asked == []


def test_a_run_started_again_without_a_checkpoint_records_only_its_own_command(tmp_path):
    # a run stopped before its first checkpoint (killed, or Ctrl-C while the validation
    # set was drawn) left recipe.json: started again with other settings, its
    # invocations still listed only the first command
    pretrain.main(["--out", str(tmp_path), *TINY, "--steps", "1"])
    (tmp_path / "checkpoint.pt").unlink()
    pretrain.main(["--out", str(tmp_path), *TINY, "--steps", "1", "--seed", "5"])
    recipe = json.loads((tmp_path / "recipe.json").read_text())
    assert [r["command"] for r in recipe["invocations"]] == [recipe["command"]]
    assert "--seed 5" in recipe["command"] and recipe["invocations"][0]["from_step"] == 0


@pytest.mark.parametrize(
    "dest, kept", [("checkpoint.pt", "checkpoint.pt"), ("recipe.pt", "recipe.json")]
)
def test_ship_refuses_to_write_over_the_runs_own_files(tmp_path, capsys, dest, kept):
    # --ship run/checkpoint.pt replaced the checkpoint by the exported weights (no
    # optimizer: the run could not resume), --ship run/recipe.pt its recipe by the JSON
    pretrain.main(["--out", str(tmp_path), *TINY, "--steps", "1"])
    before = (tmp_path / kept).read_bytes()
    with pytest.raises(SystemExit) as stop:
        pretrain.main(["--out", str(tmp_path), "--ship", str(tmp_path / dest)])
    assert stop.value.code == 2
    assert f"--ship {tmp_path / dest} would write over the run's {kept}" in capsys.readouterr().err
    assert (tmp_path / kept).read_bytes() == before


@pytest.mark.parametrize("dest", ["model.json", "model.bin", "model"])
def test_ship_from_python_refuses_a_dest_that_is_not_a_pt_file(tmp_path, dest):
    # ship(run, "model.json") wrote the weights there, then the JSON record over them
    from llmboost.pfn._ship import ship

    pretrain.main(["--out", str(tmp_path / "run"), *TINY, "--steps", "1"])
    with pytest.raises(ValueError) as err:
        ship(tmp_path / "run", tmp_path / dest)
    assert str(err.value) == (
        "ship: dest must name a .pt file (its .json record is written beside it), got "
        f"{str(tmp_path / dest)!r}."
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # nothing written
    assert ship(tmp_path / "run", tmp_path / "model.pt")["train_info"]["step"] == 1


@pytest.mark.parametrize(
    "run_dir, dest, error, said",
    [
        ("nowhere", "m.pt", FileNotFoundError, "run_dir {run_dir!r} does not exist; name the "
         "folder of a pretraining run (its --out)."),
        ("a-file", "m.pt", NotADirectoryError, "run_dir {run_dir!r} is a file; name the folder "
         "of a pretraining run (its --out)."),
        ("empty", "m.pt", FileNotFoundError, "run_dir {run_dir!r} holds no checkpoint.pt; train "
         "the run first."),
        ("", "m.pt", ValueError, "run_dir is empty; name a path."),
        (None, "m.pt", TypeError, "run_dir must be a path (str or os.PathLike), got NoneType."),
        ("run", None, TypeError, "dest must be a path (str or os.PathLike), got NoneType."),
        ("run", "", ValueError, "dest is empty; name a path."),
        ("run", "a-file/m.pt", NotADirectoryError, "dest {dest!r} is inside {above!r}, a file; "
         "name another dest."),
    ],
)  # fmt: skip
def test_ship_from_python_names_the_bad_path(run_dir, dest, error, said, tmp_path):
    # Python's own errors named 'RUN/checkpoint.pt' (an empty run_dir: 'checkpoint.pt'),
    # 'expected str, bytes or os.PathLike object', or, once the run was read, the folder
    # that could not be made
    from llmboost.pfn._ship import ship

    (tmp_path / "a-file").touch()
    (tmp_path / "empty").mkdir()
    if run_dir == "run":
        pretrain.main(["--out", str(tmp_path / "run"), *TINY, "--steps", "1"])
    full = {k: str(tmp_path / v) if v else v for k, v in [("run_dir", run_dir), ("dest", dest)]}
    with pytest.raises(error) as err:
        ship(full["run_dir"], full["dest"])
    assert str(err.value) == "ship: " + said.format(above=str(tmp_path / "a-file"), **full)
    assert not (tmp_path / "m.pt").exists() and not (tmp_path / "m.json").exists()


def test_ship_from_python_raises_on_a_checkpoint_it_cannot_read(tmp_path):
    # a cut checkpoint.pt stopped the calling program: SystemExit, not an error
    from llmboost.pfn._ship import ship

    run = tmp_path / "run"
    pretrain.main(["--out", str(run), *TINY, "--steps", "1"])
    (run / "checkpoint.pt").write_bytes((run / "checkpoint.pt").read_bytes()[:100])
    with pytest.raises(ValueError) as err:
        ship(run, tmp_path / "m.pt")
    assert str(err.value).startswith(f"ship: {run / 'checkpoint.pt'} cannot be read (")
    assert not (tmp_path / "m.pt").exists()


def test_ship_from_python_refuses_to_write_over_the_runs_own_files(tmp_path):
    # ship(run, run / "checkpoint.pt") replaced the checkpoint by the exported weights
    # (the run could not resume), as --ship did before it refused
    from llmboost.pfn._ship import ship

    pretrain.main(["--out", str(tmp_path), *TINY, "--steps", "1"])
    for dest, kept in [("checkpoint.pt", "checkpoint.pt"), ("recipe.pt", "recipe.json")]:
        before = (tmp_path / kept).read_bytes()
        with pytest.raises(ValueError) as err:
            ship(tmp_path, tmp_path / dest)
        assert str(err.value) == (
            f"ship: dest {str(tmp_path / dest)!r} would write over the run's {kept}; name "
            "another file."
        )
        assert (tmp_path / kept).read_bytes() == before


@pytest.mark.parametrize("folder", ["tiny.pt", "tiny.json"])
def test_ship_refuses_a_dest_or_record_that_is_a_folder(tmp_path, capsys, folder):
    # --ship tiny.pt with a folder tiny.json wrote the weights, then stopped with an
    # IsADirectoryError traceback: new weights without their record (tiny.pt: the
    # traceback alone)
    from llmboost.pfn._ship import ship

    run, dest = tmp_path / "run", tmp_path / "tiny.pt"
    pretrain.main(["--out", str(run), *TINY, "--steps", "1"])
    (tmp_path / folder).mkdir()
    with pytest.raises(SystemExit) as stop:
        pretrain.main(["--out", str(run), "--ship", str(dest)])
    assert stop.value.code == 2 and capsys.readouterr().err.endswith(
        f"error: --ship {dest}: {tmp_path / folder} is a folder; name another file\n"
    )
    with pytest.raises(ValueError) as err:
        ship(run, dest)
    assert str(err.value) == f"ship: {str(tmp_path / folder)!r} is a folder; name another dest."
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["run", folder])


def test_a_write_that_fails_leaves_the_old_file_and_no_part_file(tmp_path):
    # a value JSON cannot hold (or a full disk, or Ctrl-C) left an empty recipe.json.tmp
    from llmboost.pfn._ship import atomic_save, atomic_write_json

    path = tmp_path / "recipe.json"
    atomic_write_json({"steps": 1}, path)
    with pytest.raises(TypeError, match="not JSON serializable"):
        atomic_write_json({"steps": object()}, path)
    assert json.loads(path.read_text()) == {"steps": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recipe.json"]
    with pytest.raises(TypeError, match="cannot pickle"):  # torch.save pickles
        atomic_save({"lock": threading.Lock()}, tmp_path / "model.pt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recipe.json"]


def test_two_ships_to_one_file_at_once_keep_their_temporaries_apart(tmp_path):
    # every write of a file went through NAME.tmp: a second ship to the same file
    # overwrote the first's, which then moved the other's bytes, perhaps half written,
    # into place, and the second's own move failed with FileNotFoundError
    from llmboost.pfn._ship import ship

    pretrain.main(["--out", str(tmp_path / "run"), *TINY, "--steps", "1"])
    others = [tmp_path / "tiny.pt.tmp", tmp_path / "tiny.json.tmp"]  # another ship's
    for other in others:
        other.write_bytes(b"half")
    assert ship(tmp_path / "run", tmp_path / "tiny.pt")["train_info"]["step"] == 1
    assert all(other.read_bytes() == b"half" for other in others)
    assert torch.load(tmp_path / "tiny.pt", weights_only=True)["train_info"]["step"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["run", "tiny.pt", "tiny.json", "tiny.pt.tmp", "tiny.json.tmp"]
    )


def test_an_init_from_file_that_cannot_start_the_model_is_a_clear_error(tmp_path):
    # a file that is no checkpoint stopped with a bare UnpicklingError or KeyError, and
    # a checkpoint of another width started nothing but an output bias
    pretrain.main(["--out", str(tmp_path / "narrow"), *TINY, "--steps", "1"])
    text, other = tmp_path / "notes.pt", tmp_path / "other.pt"
    text.write_text("hello")
    torch.save({"weights": {}}, other)
    wide = [*TINY[:1], "32", *TINY[2:]]
    named = {"state_dict": {"layers.0.norm_col.weight": 3}}  # an AttributeError traceback
    torch.save(named, tmp_path / "named.pt")
    for path, why in [
        (text, "not a checkpoint of `python -m llmboost.pfn.pretrain` (UnpicklingError"),
        (
            other,
            "not a checkpoint of `python -m llmboost.pfn.pretrain` (RuntimeError: it has "
            "no weights (keys: weights))",
        ),
        (
            tmp_path / "named.pt",
            "not a checkpoint of `python -m llmboost.pfn.pretrain` "
            "(RuntimeError: its state_dict is not a dict of named tensors",
        ),
        (tmp_path / "narrow" / "model.pt", "none of its layers fits this model (its width"),
    ]:
        run = tmp_path / f"run-{path.stem}"
        with pytest.raises(SystemExit) as stop:
            pretrain.main(["--out", str(run), "--init-from", str(path), *wide, "--steps", "1"])
        assert str(stop.value.code).startswith(f"--init-from {path}: {why}"), stop.value.code
        assert not (run / "recipe.json").exists()  # nothing written


class _MakesAFolder:
    """Unpickled, it makes a folder: code a checkpoint file may run when read in full."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def test_init_from_and_a_resume_read_only_tensors_and_plain_values(tmp_path):
    # --init-from was read with weights_only=False: a file holding any pickled object ran
    # its code (here: made a folder) before it was refused; later a file named
    # checkpoint.pt beside a recipe.json, and the --out folder's own checkpoint.pt on a
    # resume, still were, by name and place alone (a run's checkpoint holds only
    # tensors and plain values)
    marker, evil = tmp_path / "made", tmp_path / "evil.pt"
    torch.save({"state_dict": {}, "x": _MakesAFolder(marker)}, evil)
    refused = (
        "not a checkpoint of `python -m llmboost.pfn.pretrain` (UnpicklingError: it holds "
        "more than tensors and plain values (Trying to load unsupported GLOBAL posix.mkdir "
        "whose module posix is blocked), so it is not read; the model.pt and checkpoint.pt "
        "of `python -m llmboost.pfn.pretrain` hold only those)"
    )
    with pytest.raises(SystemExit) as stop:
        pretrain.main(["--out", str(tmp_path / "run"), "--init-from", str(evil), *TINY])
    assert str(stop.value.code) == f"--init-from {evil}: {refused}"
    assert not marker.exists() and not (tmp_path / "run").exists()
    first = tmp_path / "first"
    pretrain.main(["--out", str(first), *TINY, "--steps", "1"])
    init = ["--init-from", str(first / "checkpoint.pt"), *TINY, "--steps", "1"]
    assert pretrain.main(["--out", str(tmp_path / "second"), *init])["step"] == 1
    ck = torch.load(first / "checkpoint.pt", map_location="cpu", weights_only=True)
    torch.save({**ck, "x": _MakesAFolder(marker)}, first / "checkpoint.pt")
    with pytest.raises(SystemExit) as stop:  # in its run folder, beside its recipe.json
        pretrain.main(["--out", str(tmp_path / "third"), *init])
    assert str(stop.value.code) == f"--init-from {first / 'checkpoint.pt'}: {refused}"
    with pytest.raises(SystemExit, match="it holds more than tensors and plain values"):
        pretrain.main(["--out", str(first), *TINY, "--steps", "2"])  # resumed
    assert not marker.exists()


def test_an_out_path_that_is_a_file_is_a_usage_error(tmp_path, capsys):
    # it stopped with a FileExistsError traceback
    taken = tmp_path / "notes.txt"
    taken.write_text("mine")
    with pytest.raises(SystemExit) as stop:
        pretrain.main(["--out", str(taken), *TINY, "--steps", "1"])
    assert stop.value.code == 2 and taken.read_text() == "mine"
    assert f"--out {taken} is a file; name a folder for the run" in capsys.readouterr().err


@pytest.mark.parametrize("made", [True, False])  # the run folder, or the one above it
def test_an_out_folder_that_cannot_be_written_is_a_usage_error(tmp_path, monkeypatch, capsys, made):
    # it stopped with a PermissionError traceback on recipe.json.tmp, after building the
    # model and making the run folder
    from lock_fixtures import read_only

    folder = tmp_path / "runs"
    folder.mkdir()
    out = folder / "run" if made else folder / "new" / "run"
    if made:
        out.mkdir()
    read_only(monkeypatch, folder)
    with pytest.raises(SystemExit) as stop:
        pretrain.main(["--out", str(out), *TINY, "--steps", "1"])
    where = out if made else folder
    assert stop.value.code == 2 and capsys.readouterr().err.endswith(
        f"error: --out {out}: cannot write in {where} (Permission denied); give a folder you "
        "can write to\n"
    )
    assert [p.name for p in folder.rglob("*")] == (["run"] if made else [])


def test_a_ship_folder_that_cannot_be_written_is_a_usage_error(tmp_path, monkeypatch, capsys):
    # it stopped with a PermissionError traceback on the .pt.tmp file
    from lock_fixtures import read_only

    pretrain.main(["--out", str(tmp_path / "run"), *TINY, "--steps", "1"])
    (tmp_path / "w").mkdir()
    read_only(monkeypatch, tmp_path / "w")
    dest = tmp_path / "w" / "tiny.pt"
    with pytest.raises(SystemExit) as stop:
        pretrain.main(["--out", str(tmp_path / "run"), "--ship", str(dest)])
    assert stop.value.code == 2 and capsys.readouterr().err.endswith(
        f"error: --ship {dest}: cannot write in {tmp_path / 'w'} (Permission denied); give a "
        "folder you can write to\n"
    )
    assert not any((tmp_path / "w").iterdir())


@pytest.mark.parametrize("option", ["--out", "--init-from", "--ship"])
def test_an_empty_path_is_a_usage_error(tmp_path, monkeypatch, capsys, option):
    # --out "" (an unset shell variable) trained into the working folder; --init-from ""
    # trained from scratch, recording "" as the starting weights
    monkeypatch.chdir(tmp_path)
    args = {"--out": str(tmp_path / "run"), option: ""}
    with pytest.raises(SystemExit) as stop:
        pretrain.main([*(x for item in args.items() for x in item), *TINY, "--steps", "1"])
    said = f"error: {option} is empty; name a path (or leave it out)\n"
    assert stop.value.code == 2 and capsys.readouterr().err.endswith(said)
    assert not any(tmp_path.iterdir())


class _Killed(Exception):
    pass


def test_a_stop_during_the_final_validation_still_saves_the_run(tmp_path, monkeypatch):
    # the signal handlers were given back before the final validation and save: a stop
    # there lost every step since the last timed checkpoint (up to 3 minutes by default)
    calls, validate = [], pretrain.validate

    def stopped_at_the_end(*a, **kw):
        calls.append(1)
        if len(calls) == 2:  # step 0, then the final step's validation
            os.kill(os.getpid(), signal.SIGTERM)
        return validate(*a, **kw)

    def killed(*_):
        raise _Killed  # what the caller's own handler (the default: death) would do

    monkeypatch.setattr(pretrain, "validate", stopped_at_the_end)
    previous = signal.signal(signal.SIGTERM, killed)
    try:
        with pytest.raises(SystemExit) as stop:
            args = ["--out", str(tmp_path), *TINY, "--steps", "3", "--checkpoint-every", "1e9"]
            pretrain.main(args)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert stop.value.code == 143
    saved = torch.load(tmp_path / "checkpoint.pt", map_location="cpu", weights_only=False)
    assert saved["step"] == 3 and [h["step"] for h in saved["history"]] == [0, 3]


def test_the_recorded_command_reruns_with_a_path_holding_a_space(tmp_path):
    # arguments were joined with spaces unquoted: "--out /x/my runs/pfn" named two words
    import shlex

    argv = ["--out", str(tmp_path / "my runs" / "pfn"), *TINY, "--steps", "1"]
    pretrain.main(argv)
    recipe = json.loads((tmp_path / "my runs" / "pfn" / "recipe.json").read_text())
    words = shlex.split(recipe["invocations"][0]["command"])
    assert words[:3] == ["python", "-m", "llmboost.pfn.pretrain"] and words[3:] == argv


def test_a_diverged_run_stops_and_keeps_its_last_finite_checkpoint(tmp_path):
    # a loss gone to NaN trained on for the whole budget, and every checkpoint, model.pt
    # and the validation history after it held NaN weights
    args = ["--out", str(tmp_path), *TINY, "--steps", "30", "--lr", "1e6", "--warmup", "1"]
    with pytest.raises(SystemExit) as stop:
        pretrain.main([*args, "--checkpoint-every", "0"])  # saved after every step
    message = str(stop.value.code)
    assert message.startswith("training diverged at step ") and "lower --lr" in message
    saved = torch.load(tmp_path / "checkpoint.pt", map_location="cpu", weights_only=False)
    assert f"at step {saved['step']}:" in message and 1 <= saved["step"] < 30
    assert all(torch.isfinite(v).all() for v in saved["model"].values())
    assert all(math.isfinite(h["val_loss"]) for h in saved["history"])


def test_validation_lines_show_the_training_loss_rounded(tmp_path, capsys):
    # they printed "train None" before the first step and the loss to 16 digits after it
    pretrain.main(["--out", str(tmp_path), *TINY, "--steps", "2", "--val-every", "1"])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("step")]
    assert len(lines) == 2 and lines[0].endswith(" train -"), lines
    assert re.fullmatch(r"step 1 min 0\.0 val \d\.\d{4} train \d\.\d{4}", lines[1]), lines


def test_a_full_disk_while_writing_the_recipe_leaves_the_run_resumable(tmp_path):
    # recipe.json was written in place: a write that failed part way (disk full) left
    # it cut short, and every later resume stopped with a JSONDecodeError
    args = ["--out", str(tmp_path), *TINY, "--steps", "1"]
    pretrain.main(args)
    size = (tmp_path / "recipe.json").stat().st_size
    full_disk = (  # files may not grow past half the recipe: its next write fails
        "import resource, signal, sys; from llmboost.pfn import pretrain; "
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({size // 2}, resource.RLIM_INFINITY)); "
        "pretrain.main(sys.argv[1:])"
    )
    again = [*args[:-1], "2"]
    failed = subprocess.run([sys.executable, "-c", full_disk, *again], capture_output=True)
    assert failed.returncode == 1 and b"File too large" in failed.stderr, failed.stderr
    json.loads((tmp_path / "recipe.json").read_text())  # whole
    assert pretrain.main(again)["step"] == 2


def test_a_run_whose_recipe_predates_an_option_resumes(tmp_path):
    # recipes written before --kind-weights existed record it as null (the shipped
    # weights' first run does): resuming such a run stopped with a TypeError
    args = ["--out", str(tmp_path), *TINY, "--steps", "1"]
    pretrain.main(args)
    ck = torch.load(tmp_path / "checkpoint.pt", map_location="cpu", weights_only=False)
    ck["recipe"]["args"]["kind_weights"] = None
    del ck["recipe"]["args"]["min_lr_ratio"]
    torch.save(ck, tmp_path / "checkpoint.pt")
    assert pretrain.main([*args[:-1], "2"])["step"] == 2


def test_a_second_process_on_the_same_run_folder_stops(tmp_path):
    # two commands on one --out (started twice, or a requeued job while the first
    # still ran) both trained and wrote over each other's checkpoint
    fcntl = pytest.importorskip("fcntl")
    args = ["--out", str(tmp_path), *TINY, "--steps", "1"]
    pretrain.main(args)
    before = (tmp_path / "checkpoint.pt").read_bytes()
    with open(tmp_path / ".lock", "a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # the other process
        with pytest.raises(SystemExit, match=f"another process is training {tmp_path} "):
            pretrain.main([*args[:-1], "2"])
    assert (tmp_path / "checkpoint.pt").read_bytes() == before
    assert pretrain.main([*args[:-1], "2"])["step"] == 2  # released when it ends


def test_a_finished_run_run_again_writes_nothing(tmp_path, capsys):
    # rerun as it was, a finished run wrote its checkpoint, model.pt and recipe again and
    # listed one more invocation (from its last step, training nothing) in the recipe
    args = ["--out", str(tmp_path), *TINY, "--steps", "2"]
    first = pretrain.main(args)
    files = {f.name: f.read_bytes() for f in tmp_path.iterdir()}
    assert pretrain.main(args) == first
    assert {f.name: f.read_bytes() for f in tmp_path.iterdir()} == files
    said = capsys.readouterr().out
    assert f"{tmp_path} is trained to its budget (step 2): nothing to do" in said


def test_ship_says_what_it_wrote(tmp_path, capsys):
    # --ship printed nothing: no word of which step and validation loss went out, or where
    pretrain.main(["--out", str(tmp_path / "run"), *TINY, "--steps", "2"])
    dest = tmp_path / "w" / "tiny.pt"
    capsys.readouterr()
    meta = pretrain.main(["--out", str(tmp_path / "run"), "--ship", str(dest)])
    val = meta["train_info"]["val_loss"]
    assert capsys.readouterr().out == (
        f"shipped {tmp_path / 'run'} at step 2 (validation loss {val:.4f}) to {dest} "
        f"and {dest.with_suffix('.json')}\n"
    )


def test_a_run_stopped_and_resumed_equals_the_run_done_in_one_go(tmp_path, monkeypatch):
    # with --steps a run is repeatable step for step: stopping and resuming changes nothing
    args = [*TINY, "--steps", "6", "--val-every", "2"]
    whole = pretrain.main(["--out", str(tmp_path / "whole"), *args])

    class StopAfterThreeSteps(pretrain.StopOnInterrupt):
        def __bool__(self):  # asked once before each step
            self.asked = getattr(self, "asked", 0) + 1
            self.signum = signal.SIGINT if self.asked > 3 else self.signum
            return self.signum is not None

    monkeypatch.setattr(pretrain, "StopOnInterrupt", StopAfterThreeSteps)
    with pytest.raises(SystemExit):
        pretrain.main(["--out", str(tmp_path / "parts"), *args])
    monkeypatch.undo()
    parts = pretrain.main(["--out", str(tmp_path / "parts"), *args])
    # bit for bit: the same process on the same CPU (minutes are wall-clock: left out)
    losses = [
        [(h["step"], h["val_loss"], h["train_loss"]) for h in r["history"]] for r in (whole, parts)
    ]
    assert losses[0] == losses[1] and parts["step"] == whole["step"] == 6
    a, b = (
        torch.load(tmp_path / d / "checkpoint.pt", map_location="cpu", weights_only=False)
        for d in ("whole", "parts")
    )
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert a["smooth"] == b["smooth"] and a["numpy_rng"] == b["numpy_rng"]


def test_a_stop_while_the_validation_set_is_drawn_ends_like_one_during_training(
    tmp_path, monkeypatch, capsys
):
    # the signal handlers were installed after the validation set was drawn: a Ctrl-C
    # there (seconds with many --val-batches) ended the run with a KeyboardInterrupt
    # traceback instead of a saved checkpoint, a message and exit status 130
    drawn, validation_set = [], pretrain.validation_set

    def interrupted_while_drawn(*a, **kw):
        os.kill(os.getpid(), signal.SIGINT)
        drawn.append(1)
        return validation_set(*a, **kw)

    def killed(*_):
        raise _Killed  # what Python's own handler (KeyboardInterrupt) would do

    monkeypatch.setattr(pretrain, "validation_set", interrupted_while_drawn)
    args = ["--out", str(tmp_path), *TINY, "--steps", "2"]
    previous = signal.signal(signal.SIGINT, killed)
    try:
        with pytest.raises(SystemExit) as stop:
            pretrain.main(args)
        assert signal.getsignal(signal.SIGINT) is killed  # given back
    finally:
        signal.signal(signal.SIGINT, previous)
    assert stop.value.code == 130 and drawn
    assert f"interrupted: step 0 saved in {tmp_path / 'checkpoint.pt'}" in capsys.readouterr().out
    monkeypatch.undo()
    assert pretrain.main(args)["step"] == 2  # the rerun goes on


def test_a_stop_while_the_validation_set_is_drawn_ends_the_drawing(tmp_path, monkeypatch):
    # the run drew every --val-batches batch first (46 ms each at the default --tokens:
    # 46 s for 1,000), so a Ctrl-C or SIGTERM waited for the whole set
    drawn, sample_batch = [], pretrain.sample_batch

    def counted(*args, **kwargs):
        drawn.append(1)
        if len(drawn) == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return sample_batch(*args, **kwargs)

    monkeypatch.setattr(pretrain, "sample_batch", counted)
    with pytest.raises(SystemExit) as stop:
        pretrain.main(["--out", str(tmp_path), *TINY, "--val-batches", "50", "--steps", "2"])
    assert stop.value.code == 143 and len(drawn) == 2
    monkeypatch.undo()
    info = pretrain.main(["--out", str(tmp_path), *TINY, "--val-batches", "50", "--steps", "2"])
    assert info["step"] == 2 and [h["step"] for h in info["history"]] == [0, 2]


def test_a_recipe_cut_short_by_an_older_version_is_rebuilt_from_the_checkpoint(tmp_path, capsys):
    # versions before wrote recipe.json in place; one cut short stopped every later
    # resume with a bare JSONDecodeError naming no file
    args = ["--out", str(tmp_path), *TINY, "--steps", "1"]
    pretrain.main(args)
    first = json.loads((tmp_path / "recipe.json").read_text())["invocations"]
    (tmp_path / "recipe.json").write_text((tmp_path / "recipe.json").read_text()[:300])
    assert pretrain.main([*args[:-1], "2"])["step"] == 2
    said = capsys.readouterr().out
    assert f"{tmp_path / 'recipe.json'} could not be read (JSONDecodeError: " in said
    runs = json.loads((tmp_path / "recipe.json").read_text())["invocations"]
    assert runs[:1] == first and [r["from_step"] for r in runs] == [0, 1]
    assert runs[1]["command"].endswith("--steps 2")


@pytest.mark.parametrize("ship", [False, True])
def test_a_checkpoint_cut_short_is_a_clear_error_naming_it(tmp_path, ship):
    # a checkpoint.pt cut short (a copy that stopped, a disk that filled) stopped a resume
    # or --ship with torch's "PytorchStreamReader failed reading zip archive" traceback
    run = tmp_path / "run"
    args = ["--out", str(run), *TINY, "--steps", "1"]
    pretrain.main(args)
    ckpt = run / "checkpoint.pt"
    ckpt.write_bytes(ckpt.read_bytes()[:1000])
    again = ["--out", str(run), "--ship", str(tmp_path / "w.pt")] if ship else [*args[:-1], "2"]
    with pytest.raises(SystemExit) as stop:
        pretrain.main(again)
    message = str(stop.value.code)
    assert message.startswith(f"{ckpt} cannot be read (RuntimeError: "), message
    assert "restore it from a copy, or start a new run with another --out" in message
    assert f"--init-from {run / 'model.pt'}" in message
    assert ckpt.stat().st_size == 1000 and not (tmp_path / "w.pt").exists()


def test_a_time_budget_counts_the_validations_between_steps(tmp_path, monkeypatch):
    # docs/bundled_pfn.md: a frequent --val-every does not stretch a --minutes run
    validate = pretrain.validate

    def slow(*a, **kw):
        time.sleep(0.5)  # each validation takes half the budget
        return validate(*a, **kw)

    monkeypatch.setattr(pretrain, "validate", slow)
    args = ["--out", str(tmp_path), *TINY, "--minutes", "0.0167", "--val-every", "1"]
    info = pretrain.main(args)
    steps = [h["step"] for h in info["history"]]
    assert info["step"] <= 2 and steps == list(range(info["step"] + 1))
    assert info["minutes"] * 60 >= 0.5 * info["step"]  # each step's validation counted


@pytest.mark.parametrize("device", ["gpu", "meta"])
def test_a_device_that_cannot_train_is_refused_before_the_run_folder_is_made(
    tmp_path, capsys, device
):
    # it stopped with a ValueError traceback, after making the run folder and its lock;
    # then with exit status 1 and no usage line, unlike every other bad option
    run = tmp_path / "run"
    with pytest.raises(SystemExit) as stop:
        pretrain.main(["--out", str(run), *TINY, "--steps", "1", "--device", device])
    line = capsys.readouterr().err.splitlines()[-1]
    assert stop.value.code == 2 and line.startswith(
        f"python -m llmboost.pfn.pretrain: error: argument --device: pretrain: "
        f"device={device!r} cannot be used"
    )
    assert "pass 'cpu', 'auto'" in line and not run.exists()


def test_ship_names_the_training_options_it_does_not_use(tmp_path, capsys):
    # --ship with training options exported the run as it was, saying nothing of them
    run = ["--out", str(tmp_path / "run")]
    pretrain.main([*run, *TINY, "--steps", "1"])
    capsys.readouterr()
    meta = pretrain.main([*run, "--ship", str(tmp_path / "w.pt"), "--steps=5", "--lr", "0.1"])
    assert meta["train_info"]["step"] == 1  # not trained further
    assert capsys.readouterr().err == (
        "python -m llmboost.pfn.pretrain: warning: --ship only exports the run in --out as it "
        "was trained; --steps, --lr not used\n"
    )
    pretrain.main([*run, "--ship", str(tmp_path / "w.pt"), "--bins", "16"])
    assert capsys.readouterr().err.endswith("trained; --bins not used\n")
    pretrain.main([*run, "--ship", str(tmp_path / "w.pt")])
    assert capsys.readouterr().err == ""


def test_ship_with_a_parent_record_cut_short_says_which_file(tmp_path):
    # the parent's JSON cut short stopped --ship with a bare JSONDecodeError
    pretrain.main(["--out", str(tmp_path / "first"), *TINY, "--steps", "1"])
    pretrain.main(["--out", str(tmp_path / "first"), "--ship", str(tmp_path / "parent.pt")])
    run = ["--out", str(tmp_path / "run")]
    pretrain.main([*run, "--init-from", str(tmp_path / "parent.pt"), *TINY, "--steps", "1"])
    record = tmp_path / "parent.json"
    record.write_text(record.read_text()[:100])
    with pytest.raises(SystemExit) as stop:
        pretrain.main([*run, "--ship", str(tmp_path / "w.pt")])
    message = str(stop.value.code)
    assert message.startswith(f"{record} (the record of the weights this run started from)")
    assert "cannot be read (JSONDecodeError: " in message and "restore it" in message
    assert not (tmp_path / "w.pt").exists()


def test_a_ctrl_c_while_ship_reads_the_run_writes_nothing(tmp_path, monkeypatch, capsys):
    # it showed a KeyboardInterrupt traceback
    from llmboost.pfn import _ship

    pretrain.main(["--out", str(tmp_path / "run"), *TINY, "--steps", "1"])

    def pressed(*_, **__):
        raise KeyboardInterrupt

    monkeypatch.setattr(_ship, "load_checkpoint", pressed)
    dest = tmp_path / "w" / "tiny.pt"
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        pretrain.main(["--out", str(tmp_path / "run"), "--ship", str(dest)])
    assert stop.value.code == 130 and not dest.parent.exists()
    assert capsys.readouterr().err == (
        f"\ninterrupted: nothing was written ({dest} and {dest.with_suffix('.json')} are as "
        "they were)\n"
    )


def test_a_ctrl_c_while_ship_writes_leaves_both_files_of_one_run(tmp_path, monkeypatch, capsys):
    # a Ctrl-C after the weights were written left them beside the record of the run
    # shipped before (or none), and showed a KeyboardInterrupt traceback
    from llmboost.pfn import _ship

    run, dest = tmp_path / "run", tmp_path / "tiny.pt"
    pretrain.main(["--out", str(run), *TINY, "--steps", "1"])
    pretrain.main(["--out", str(run), "--ship", str(dest)])
    pretrain.main(["--out", str(run), *TINY, "--steps", "2"])
    write_json = _ship.atomic_write_json

    def pressed_then_written(obj, path):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C between the two files
        write_json(obj, path)

    monkeypatch.setattr(_ship, "atomic_write_json", pressed_then_written)
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        pretrain.main(["--out", str(run), "--ship", str(dest)])
    assert stop.value.code == 130
    assert capsys.readouterr().err == (
        f"\ninterrupted: {dest} and {dest.with_suffix('.json')} were written whole before "
        "stopping\n"
    )
    shipped = torch.load(dest, map_location="cpu", weights_only=True)
    record = json.loads(dest.with_suffix(".json").read_text())
    assert shipped["train_info"]["step"] == record["train_info"]["step"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "tiny.json", "tiny.pt"]


def test_a_runs_checkpoint_scores_like_its_model_file(tmp_path):
    # BundledPFNPrior(weights=<run>/checkpoint.pt) was refused as "not a checkpoint of
    # the bundled PFN ... pass a file written by python -m llmboost.pfn.pretrain"
    import pandas as pd

    from llmboost.priors import BundledPFNPrior

    pretrain.main(["--out", str(tmp_path), *TINY, "--steps", "2"])
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    y = (X["a"] > 0).to_numpy().astype(int)
    model_pt, checkpoint_pt = (
        BundledPFNPrior(weights=tmp_path / f, n_ensemble=2, random_state=0).fit(X, y).logits(X)
        for f in ("model.pt", "checkpoint.pt")
    )
    np.testing.assert_array_equal(checkpoint_pt, model_pt)  # the same weights


class _StopAfterTwoSteps(pretrain.StopOnInterrupt):
    def __bool__(self):  # asked once before each step (and once as TINY's single
        # validation batch is drawn): a run that trains on stops
        self.asked = getattr(self, "asked", 0) + 1
        self.signum = signal.SIGINT if self.asked > 3 else self.signum
        return self.signum is not None


@pytest.mark.parametrize("budget", [["--minutes", "0.001"], ["--steps", "2"]])
def test_a_rerun_without_a_budget_keeps_the_runs(tmp_path, monkeypatch, capsys, budget):
    # left out, --minutes was 60 whatever the run's: a finished run of --minutes 0.001
    # trained on for an hour, and one of --steps 2 was refused ("--steps: 2 in the run,
    # left out now")
    args = ["--out", str(tmp_path), *TINY]
    first = pretrain.main([*args, *budget])
    monkeypatch.setattr(pretrain, "StopOnInterrupt", _StopAfterTwoSteps)
    assert pretrain.main(args) == first
    assert "nothing to do" in capsys.readouterr().out
    ck = torch.load(tmp_path / "checkpoint.pt", map_location="cpu", weights_only=False)
    ck["history"].pop()  # stopped before its final validation: resumed to do it
    torch.save(ck, tmp_path / "checkpoint.pt")
    assert pretrain.main(args)["step"] == first["step"]
    said = f"at step {first['step']} ({first['minutes']:.1f} min; the run's budget, "
    assert said + " ".join(budget) + ")" in capsys.readouterr().out


def test_a_seed_beyond_64_bits_is_a_usage_error(tmp_path, capsys):
    # torch.manual_seed stopped the run with "ValueError: Overflow when unpacking long
    # long" after the run folder was made
    run = tmp_path / "run"
    with pytest.raises(SystemExit) as stop:
        pretrain.main(["--out", str(run), *TINY, "--steps", "1", "--seed", str(2**64)])
    assert stop.value.code == 2 and not run.exists()
    assert f"--seed must be < 2**64 (torch's seeds are 64-bit), got {2**64}" in (
        capsys.readouterr().err
    )
    assert pretrain.main(["--out", str(run), *TINY, "--steps", "1", "--seed", str(2**64 - 1)])


@pytest.mark.parametrize(
    "option, message",
    [
        (["--lr", "1e38", "--warmup", "1"], "--lr must be at most 3.4e+37, got 1e+38"),  # AdamW
        (["--weight-decay", "1e300"], "--weight-decay must be at most 3.4e+38, got 1e+300"),
        (["--checkpoint-every", "inf"], "--checkpoint-every must be finite, got inf"),
        (["--width", str(2**63)], f"--width must be at most {2**63 - 1}, got {2**63}"),
        (["--max-rows", str(2**63)], f"--max-rows must be at most {2**63 - 1}, got {2**63}"),
        (["--kind-weights", "1e308", "1e308", "1"], "--kind-weights must be finite, >= 0, with"),
    ],
)
def test_a_number_out_of_what_the_run_can_hold_is_a_usage_error(tmp_path, capsys, option, message):
    # they stopped with RuntimeError (AdamW's float32 overflow), ValueError (overflow when
    # unpacking long, probabilities that do not sum to 1, a kind weights' sum of inf),
    # TypeError, a run diverged at step 1, or ran with no checkpoint until the end
    run = tmp_path / "run"
    with pytest.raises(SystemExit) as stop:
        pretrain.main(["--out", str(run), *TINY, "--steps", "1", *option])
    assert stop.value.code == 2 and message in capsys.readouterr().err and not run.exists()


@pytest.mark.parametrize("threads", ["99999", str(2**31)])
def test_threads_torch_cannot_start_are_a_usage_error(tmp_path, capsys, threads):
    # --threads 99999 reached torch, which failed to start them: an ImportError traceback
    # (a shared library that could not be mapped), the run folder left behind
    run = tmp_path / "run"
    with pytest.raises(SystemExit) as stop:
        pretrain.main(["--out", str(run), *TINY, "--steps", "1", "--threads", threads])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert stop.value.code == 2 and not run.exists()
    assert err.endswith(
        f"error: --threads must be at most {64 * _cpus()}, 64 per CPU this process may use "
        f"({_cpus()}), got {threads}"
    )


def test_more_threads_than_cpus_run_with_a_warning(tmp_path, monkeypatch, capsys):
    # on one CPU, --threads 2 was a usage error: a command written on a larger machine
    # could not run
    from llmboost.pfn import _pretrain_cli

    monkeypatch.setattr(_pretrain_cli, "_cpus", lambda: 1)
    args = _pretrain_cli.parse_args(["--out", str(tmp_path / "run"), "--threads", "2"])
    assert args.threads == 2
    assert capsys.readouterr().err == (
        "python -m llmboost.pfn.pretrain: warning: --threads 2 is more than the 1 CPU this "
        "process may use; the threads share them\n"
    )
    with pytest.raises(SystemExit) as stop:
        _pretrain_cli.parse_args(["--out", str(tmp_path / "run"), "--threads", "65"])
    assert stop.value.code == 2 and capsys.readouterr().err.endswith(
        "error: --threads must be at most 64, 64 per CPU this process may use (1), got 65\n"
    )


def test_every_option_has_a_help_text(capsys):
    # --device (and --seed, --lr, --val-every and others) had none: `--help` listed
    # `--device DEVICE` with no word of 'auto' or of the names it takes
    assert [a.option_strings[0] for a in _parser()._actions if not a.help] == []
    with pytest.raises(SystemExit) as stop:
        pretrain.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert stop.value.code == 0
    assert "--device DEVICE torch device: auto (CUDA when torch sees a GPU, else the CPU), " in text


def test_help_shows_every_default(capsys):
    # --lr, --warmup, --tokens, --threads, --device and ten more options said nothing of
    # their defaults: `--help` gave `--lr LR peak learning rate (AdamW)` only
    with pytest.raises(SystemExit) as stop:
        pretrain.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert stop.value.code == 0
    for said in (
        "--lr LR peak learning rate (AdamW) (default: 0.001)",
        "--warmup WARMUP warm-up steps (default: 200)",
        "--kind-weights MLP TREE LINEAR training's probabilities of the synthetic task "
        "families (validation's are fixed) (default: 0.5 0.3 0.2)",
        "--task {classification,regression} what the model learns to predict "
        "(default: classification)",
        "the CPU), cpu, or one such as cuda:0 (default: auto)",
        # the limit --threads 65 on one CPU is refused by went unsaid
        "--threads THREADS torch CPU threads, at most 64 per CPU; more than the CPUs share "
        "them (default: 1)",
    ):
        assert said in text
    formatter = _parser()._get_formatter()
    for action in _parser()._actions:
        if action.default not in (None, argparse.SUPPRESS) and not isinstance(action.default, bool):
            assert "default" in formatter._expand_help(action), action.option_strings


def test_bins_without_regression_is_a_usage_error(tmp_path, capsys):
    # --bins 16 trained a classification run, the bins unused without a word
    run = tmp_path / "run"
    with pytest.raises(SystemExit) as stop:
        pretrain.main(["--out", str(run), *TINY, "--steps", "1", "--bins", "16"])
    assert stop.value.code == 2 and not run.exists()
    assert (
        capsys.readouterr()
        .err.strip()
        .splitlines()[-1]
        .endswith("error: --bins 16: only --task regression uses it; drop it, or add that")
    )


def test_a_time_budget_whose_seconds_overflow_is_a_usage_error(tmp_path, capsys):
    # --minutes 1e307 (inf seconds) stopped with tqdm's TypeError after a validation
    run = tmp_path / "run"
    with pytest.raises(SystemExit) as stop:
        pretrain.main(["--out", str(run), *TINY, "--minutes", "1e307"])
    assert stop.value.code == 2 and not run.exists()
    assert "--minutes must be at most 1e+306, got 1e+307" in capsys.readouterr().err


def test_a_ctrl_c_while_torch_loads_ends_with_one_line(tmp_path, monkeypatch, capsys):
    # it showed a KeyboardInterrupt traceback from the import
    def pressed(*_, **__):
        raise KeyboardInterrupt

    monkeypatch.setattr(pretrain, "require", pressed)
    run = tmp_path / "run"
    with pytest.raises(SystemExit) as stop:
        pretrain.main(["--out", str(run), *TINY, "--steps", "1"])
    assert stop.value.code == 130 and not run.exists()
    assert capsys.readouterr().err == "\ninterrupted while loading torch: nothing was run\n"


def test_a_stop_during_a_validation_ends_it_without_another_step(tmp_path, monkeypatch):
    # a Ctrl-C during a validation waited for all of its batches (minutes with many
    # --val-batches) and then for one more training step
    calls, batch_loss = [], pretrain.batch_loss

    def stopped_in_the_second_validation(model, batch, device, generator=None):
        if generator is not None:  # a validation batch
            calls.append(1)
            if len(calls) == 3:  # the second validation's first batch
                os.kill(os.getpid(), signal.SIGINT)
        return batch_loss(model, batch, device, generator=generator)

    monkeypatch.setattr(pretrain, "batch_loss", stopped_in_the_second_validation)
    args = ["--out", str(tmp_path), *TINY, "--val-batches", "2", "--val-every", "2"]
    with pytest.raises(SystemExit) as stop:
        pretrain.main([*args, "--steps", "6"])
    assert stop.value.code == 130 and len(calls) == 3
    saved = torch.load(tmp_path / "checkpoint.pt", map_location="cpu", weights_only=False)
    assert saved["step"] == 2 and [h["step"] for h in saved["history"]] == [0]
    monkeypatch.undo()
    info = pretrain.main([*args, "--steps", "6"])  # validates step 2 again, and goes on
    assert [h["step"] for h in info["history"]] == [0, 2, 4, 6]
