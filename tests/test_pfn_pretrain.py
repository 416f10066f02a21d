"""Pretraining the bundled PFN: stopping, progress, resuming and shipping runs."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

torch = pytest.importorskip("torch")

from llmboost.pfn import pretrain  # noqa: E402

TINY = ["--width", "16", "--layers", "1", "--heads", "2", "--tokens", "2000"]
TINY += ["--val-batches", "1", "--max-rows", "96"]


def test_sigterm_saves_the_last_step_and_a_rerun_goes_on(tmp_path):
    # a batch scheduler's kill (SIGTERM) lost everything since the last timed checkpoint
    run = tmp_path / "run"
    args = ["--out", str(run), *TINY, "--steps", "100000"]
    command = [sys.executable, "-m", "llmboost.pfn.pretrain", *args]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (run / "recipe.json").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3.0)  # the validation set is drawn and a few steps run
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 128 + signal.SIGTERM, err
    saved = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=False)
    assert saved["step"] >= 1
    assert f"stopped (SIGTERM): step {saved['step']} saved in" in out
    info = pretrain.main([*args[:-1], str(saved["step"] + 1)])
    assert info["step"] == saved["step"] + 1
