#!/usr/bin/env bash
# One GPU check for a machine with one NVIDIA GPU, under 10 minutes; writes one results file.
#
#   bash benchmarks/gpu_check.sh [results file, default benchmarks/results/gpu_check.md]
#
# Needs the README's GPU install (CUDA torch, the full xgboost wheel, extras llm, tabpfn,
# dask, test); no download: every model has random weights. Steps, each with its own
# time limit so that one failure does not hide the others:
#   1. the gpu-marked tests (tests/test_gpu.py);
#   2. LLMPrior throughput on a random llama-8b-shaped model in bfloat16 (tokens/s,
#      achieved TFLOP/s and its share of the GPU's dense bf16 peak, PEAK_TFLOPS);
#   3. the bundled PFN and a TabPFN of the real v2 shape (random weights): fit on 10,000 x
#      100 rows, score 10,000 rows (the bundled PFN also on the CPU);
#   4. XGBoost device="cuda" fusion (PriorBoostClassifier, scale=0.3) on 1,000,000 rows
#      against the CPU (all cores).
# Worst case (every step at its limit) 580 s plus start-up.
# STEPS: the steps to run (default "1 2 3 4").
# LLM_MODEL: a local model folder whose tokenizer step 2 uses instead of the default
# model's (a folder with config.json and the tokenizer files; weights not needed).
# Never part of CI.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-benchmarks/results/gpu_check.md}
# Dense bf16 peak of the GPU in TFLOP/s (H100/H200 SXM: 989; A100: 312; L4: 121).
PEAK_TFLOPS=${PEAK_TFLOPS:-989}
export PYTHONPATH="$PWD/tests:$PWD/benchmarks:${PYTHONPATH:-}"
TMP=$(mktemp -d)
started=$(date +%s)

section() { printf '\n## %s\n\n' "$1" >>"$OUT"; }
want() { [[ " ${STEPS:-1 2 3 4} " == *" $1 "* ]]; }
fenced() { printf '```\n' >>"$OUT"; cat >>"$OUT"; printf '```\n' >>"$OUT"; }

{
    echo "# GPU check"
    echo
    echo "\`bash benchmarks/gpu_check.sh $*\` on $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
} >"$OUT"
{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
    python - <<'EOF'
import torch, xgboost
print(f"torch {torch.__version__}, CUDA available {torch.cuda.is_available()}, "
      f"xgboost {xgboost.__version__} (CUDA build: {xgboost.build_info().get('USE_CUDA')})")
EOF
} 2>&1 | fenced

if want 1; then
section "1. gpu-marked tests"
timeout 150 python -m pytest -m gpu tests/test_gpu.py -q -rs -p no:cacheprovider >"$TMP/tests.log" 2>&1
status=$?
tail -15 "$TMP/tests.log" | fenced
[ $status -eq 0 ] || echo "(exit status $status)" >>"$OUT"
fi

if want 2; then
section "2. LLMPrior, random llama-8b shape, bfloat16"
echo "Peak used for the share: PEAK_TFLOPS=$PEAK_TFLOPS (dense bf16)." >>"$OUT"
echo >>"$OUT"
timeout 180 python benchmarks/bench_llm_prior.py --dataset jungle --device cuda --dtype bfloat16 \
    --model-config llama-8b --rows 2000 --naive-rows 20 --rounds 2 \
    --peak-tflops "$PEAK_TFLOPS" ${LLM_MODEL:+--model "$LLM_MODEL"} \
    --out "$TMP/llm.md" >"$TMP/llm.log" 2>&1
status=$?
if [ -s "$TMP/llm.md" ]; then cat "$TMP/llm.md" >>"$OUT"; else tail -20 "$TMP/llm.log" | fenced; fi
[ $status -eq 0 ] || echo "(exit status $status)" >>"$OUT"
fi

if want 3; then
section "3. Bundled PFN and TabPFN v2 shape (random weights), 10,000 x 100"
timeout 100 python - >"$TMP/pfn.log" 2>&1 <<'EOF'
import time
import numpy as np, pandas as pd, torch
from tabpfn_fixtures import build_checkpoint
from llmboost import BundledPFNPrior, TabPFNPrior

rng = np.random.default_rng(0)
X = pd.DataFrame(rng.normal(size=(20000, 100)), columns=[f"f{j}" for j in range(100)])
y = (X["f0"] + X["f1"] * X["f2"] + rng.normal(size=20000) > 0).astype(int).to_numpy()
path = build_checkpoint("/tmp/gpu_check_tabpfn/tabpfn-v2-classifier.ckpt", size="v2")
print("| prior | device | fit s | score 10,000 rows s | rows/s | GPU peak memory |")
print("|---|---|---|---|---|---|")
# TabPFN's v2 shape on 10,000 context rows is GPU work only (minutes on a CPU).
for name, make, devices in (
    ("bundled PFN", lambda d: BundledPFNPrior(random_state=0, device=d), ("cuda", "cpu")),
    ("TabPFN v2 shape", lambda d: TabPFNPrior(model_path=str(path), device=d,
                                              random_state=0, max_context=10000), ("cuda",)),
):
    for device in devices:
        torch.cuda.reset_peak_memory_stats()
        prior = make(device)
        t0 = time.perf_counter(); prior.fit(X[:10000], y[:10000]); fit = time.perf_counter() - t0
        prior.logits(X[10000:10100])  # warm-up
        if device == "cuda": torch.cuda.synchronize()
        t0 = time.perf_counter(); z = prior.logits(X[10000:])
        if device == "cuda": torch.cuda.synchronize()
        score = time.perf_counter() - t0
        mem = f"{torch.cuda.max_memory_allocated() / 2**30:.1f} GiB" if device == "cuda" else ""
        print(f"| {name} | {device} | {fit:.1f} | {score:.1f} | {10000 / score:,.0f} | {mem} |",
              flush=True)
EOF
status=$?
grep '^|' "$TMP/pfn.log" >>"$OUT"
[ $status -eq 0 ] || { echo "(exit status $status)" >>"$OUT"; tail -8 "$TMP/pfn.log" | fenced; }
fi

if want 4; then
section "4. XGBoost device=cuda fusion on 1,000,000 rows against CPU"
if ! python -c "import sys, xgboost; sys.exit(not xgboost.build_info().get('USE_CUDA'))"; then
    echo "Skipped: this xgboost has no CUDA build (xgboost-cpu); see the README's GPU install." >>"$OUT"
else
timeout 150 python - >"$TMP/xgb.log" 2>&1 <<'EOF'
import os, time
from sklearn.metrics import roc_auc_score
from bench_dask import synthetic
from llmboost import PriorBoostClassifier

X, y = synthetic(1_000_000, seed=0)
X_test, y_test = synthetic(100_000, seed=99)
print("| device | fit s (OOF prior + 300 trees, depth 8) | predict 100,000 s | test ROC AUC |")
print("|---|---|---|---|")
params = {"n_estimators": 300, "max_depth": 8}
for name, extra in (("cuda", {"device": "cuda"}), (f"cpu ({os.cpu_count()} threads)",
                                                   {"n_jobs": os.cpu_count()})):
    model = PriorBoostClassifier(scale=0.3, booster_params={**params, **extra}, random_state=0)
    t0 = time.perf_counter(); model.fit(X, y); fit = time.perf_counter() - t0
    t0 = time.perf_counter(); p = model.predict_proba(X_test)[:, 1]
    pred = time.perf_counter() - t0
    print(f"| {name} | {fit:.1f} | {pred:.2f} | {roc_auc_score(y_test, p):.4f} |", flush=True)
EOF
status=$?
grep '^|' "$TMP/xgb.log" >>"$OUT"
[ $status -eq 0 ] || { echo "(exit status $status)" >>"$OUT"; tail -8 "$TMP/xgb.log" | fenced; }
fi
fi

printf '\nTotal: %s s.\n' "$(($(date +%s) - started))" >>"$OUT"
rm -rf "$TMP"
cat "$OUT"
