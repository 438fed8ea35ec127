#!/usr/bin/env bash
# The device checks, as one prepared script for the GPU machine (docs: benchmarks/README.md, "GPU").
#
# Prepare here, once (git-ignored folders that travel with `carry`):
#   python benchmarks/gpu/pack.py pack --out .gpu      # default encoder (XQuAD-R rows), tokenizer, data: ~27 MB
#   bash benchmarks/gpu/wheels.sh                      # the wheels the GPU image lacks, into .whl: ~22 MB
#   cp sweep.db .gpu/sweep.db                          # optional: the CPU reference study, for the confirm stage
# Then run there, e.g. with carry [".gpu", ".whl"]:
#   bash benchmarks/gpu_check.sh checks     # CUDA tests, zero-shot check, fidelity (full, bf16), confirm, report  (~8 min)
#   bash benchmarks/gpu_check.sh study      # the 40-trial study, timed alone                                     (~4 min)
#   bash benchmarks/gpu_check.sh workers    # --workers 2 --device cuda: each worker's GPU, round robin           (~2 min)
# Everything lands in $OUT as it is produced (JSON lines, logs, a tarball of the report), so a
# timeout still returns what finished. With 15 device minutes a session (starts included), run
# `checks` first (fidelity is what decides the CPU default) and `study` on the same warm machine
# only if at least ~6 minutes are left; `fidelity` alone is the minimum worth a start. Stages: setup, tests, zeroshot, fidelity, bf16,
# confirm, study, workers.
# Smoke test on a CPU (no .whl, a tiny model, few steps):
#   OUT=/tmp/o SKIP_WHEELS=1 DEVICE=cpu MODEL=/path/tiny-bert DATA=/path/xquad-r STEPS=2 ALPHAS=0,1 SEEDS=0 \
#       TRIALS=3 CONFIRM_DB=/path/sweep.db bash benchmarks/gpu_check.sh all
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu-out}
WORK=${WORK:-/tmp/gpu}
mkdir -p "$OUT" "$WORK"
MODEL=${MODEL:-$WORK/e5-small-xquad}
DATA=${DATA:-$WORK/xquad-r}
DEVICE=${DEVICE:-cuda}
ALPHAS=${ALPHAS:-0,0.25,0.5,0.75,1}
SEEDS=${SEEDS:-0 1 2}
TRIALS=${TRIALS:-40}
CONFIRM_DB=${CONFIRM_DB:-.gpu/sweep.db}
STEPS_FLAG=${STEPS:+--steps $STEPS}
export PYTHONUNBUFFERED=1 SWEEP_DATA_DIR=$DATA SWEEP_CACHE_DIR=$WORK/cache
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
stamp() { date -u +%H:%M:%S; }
log() { echo "[$(stamp)] $*" | tee -a "$OUT/gpu_check.log"; }

setup() {
    log "setup"
    if [ -d .whl ] && [ -z "${SKIP_WHEELS:-}" ]; then
        python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || return 1
        export PYTHONPATH=/tmp/site:$PWD
    else
        export PYTHONPATH=$PWD
    fi
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/device.csv" 2>&1
    python3 - > "$OUT/versions.txt" 2>&1 <<'EOF'
import torch, transformers, optuna, sqlalchemy, datasets, pydantic
print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU")
print("transformers", transformers.__version__, "optuna", optuna.__version__, "sqlalchemy", sqlalchemy.__version__,
      "datasets", datasets.__version__, "pydantic", pydantic.__version__)
EOF
    cat "$OUT/versions.txt" | tee -a "$OUT/gpu_check.log"
    python3 -m pip list --format=freeze > "$OUT/pip_freeze.txt" 2>&1
    # Every later stage imports these: stop here, not after minutes of device time, if one fails.
    python3 -c "import objectives, storage, sweep.run, sweep.confirm, sweep.report, sweep.export" >> "$OUT/gpu_check.log" 2>&1 \
        || { log "import check failed: see gpu_check.log and pip_freeze.txt"; return 1; }
    [ -e "$MODEL" ] || python3 benchmarks/gpu/pack.py unpack --src .gpu --out "$MODEL" >> "$OUT/gpu_check.log" 2>&1 || return 1
    log "model at $MODEL, data at $DATA"
}

tests() {
    log "CUDA tests"
    # The GPU image has no pytest-xdist: drop the -n of pyproject's addopts.
    python3 -m pytest -q -p no:cacheprovider -o addopts="--strict-markers" -m cuda tests/objectives/training/test_cuda.py 2>&1 | tee "$OUT/cuda_tests.log" | tail -3
}

zeroshot() {
    log "zero-shot of the rebuilt default encoder, full path, GPU (CPU reference in benchmarks/README.md)"
    python3 - 2>&1 <<EOF | tee -a "$OUT/zeroshot.jsonl"
import json, time
from objectives import TrialConfig, prepare_workspace, zero_shot
cfg = TrialConfig(model="$MODEL", regime="full", device="$DEVICE", query_prefix="query: ", passage_prefix="passage: ", max_length=128)
t = time.perf_counter(); m = zero_shot(prepare_workspace(cfg, progress=False), "dev")
print(json.dumps({"split": "dev", "same_lang_p@1": m.same_lang_p_at_k, "xling_map": m.xling_map, "cr_map": m.cr_map, "seconds": time.perf_counter() - t}))
EOF
}

fidelity() {
    log "fidelity: full at alphas $ALPHAS x seeds $SEEDS (one process per seed)"
    for seed in $SEEDS; do
        python3 benchmarks/fidelity.py run --regimes full --seeds $seed --alphas $ALPHAS --device $DEVICE --model "$MODEL" \
            --data "$DATA" --threads 4 $STEPS_FLAG --out "$OUT/fidelity_gpu_seed$seed.jsonl" > "$OUT/fidelity_seed$seed.log" 2>&1 &
    done
    wait
    cat "$OUT"/fidelity_gpu_seed*.jsonl > "$OUT/fidelity_gpu.jsonl"
    log "fidelity rows: $(wc -l < "$OUT/fidelity_gpu.jsonl")"
}

bf16() {
    log "bf16 autocast against fp32: full regime, seed 0, 5 alphas"
    python3 benchmarks/fidelity.py run --regimes full-bf16 --seeds 0 --alphas $ALPHAS --device $DEVICE --model "$MODEL" \
        --data "$DATA" --threads 8 $STEPS_FLAG --out "$OUT/fidelity_gpu_bf16.jsonl" > "$OUT/bf16.log" 2>&1
    tail -5 "$OUT/bf16.log"
}

confirm() {
    if [ ! -f "$CONFIRM_DB" ]; then log "confirm: no $CONFIRM_DB carried, skipped"; return 0; fi
    log "confirm the CPU reference study in the full regime on the GPU"
    cp "$CONFIRM_DB" $WORK/sweep.db
    local url=sqlite:///$WORK/sweep.db
    local start=$(date +%s)
    python3 -m sweep.confirm --study-name xling-default --storage $url --regime full --device $DEVICE \
        --repeats 3 --workers 3 --model "$MODEL" --data "$DATA" --artifacts-dir $WORK/artifacts > "$OUT/confirm.log" 2>&1
    echo "{\"rc\": $?, \"wall_s\": $(( $(date +%s) - start )), \"workers\": 3}" | tee "$OUT/confirm_time.json"
    tail -20 "$OUT/confirm.log"
    python3 -m sweep.export --study-name xling-default --storage $url --out "$OUT/best_ratio_confirmed.yaml" >> "$OUT/confirm.log" 2>&1
    (cd $WORK && python3 -m sweep.report --study-name xling-default --storage $url --out $WORK/reports \
        --run-command "python -m sweep.run --trials 40 && python -m sweep.confirm --regime full --device cuda") >> "$OUT/confirm.log" 2>&1
    tar czf "$OUT/report_confirmed.tgz" -C $WORK/reports . 2>/dev/null
    cp $WORK/sweep.db "$OUT/sweep_confirmed.db"
}

study() {
    log "40-trial study on the GPU (regime full), timed alone"
    rm -f $WORK/study.db
    local start=$(date +%s)
    python3 -m sweep.run --trials $TRIALS --device $DEVICE --model "$MODEL" --data "$DATA" --storage sqlite:///$WORK/study.db \
        --study-name xling-gpu --artifacts-dir $WORK/artifacts $STEPS_FLAG > "$OUT/study.log" 2>&1
    local rc=$?
    local end=$(date +%s)
    echo "{\"rc\": $rc, \"wall_s\": $((end - start)), \"workers\": 1}" | tee "$OUT/study_time.json"
    tail -25 "$OUT/study.log"
    python3 -m sweep.export --study-name xling-gpu --storage sqlite:///$WORK/study.db --out "$OUT/best_ratio_gpu.yaml" >> "$OUT/study.log" 2>&1
    cp $WORK/study.db "$OUT/study_gpu.db"
}

workers() {
    log "two workers (--workers 2 --device cuda): round robin over the visible GPUs (on one GPU both share it)"
    rm -f $WORK/workers.db
    local start=$(date +%s)
    python3 -m sweep.run --trials ${WORKER_TRIALS:-8} --workers 2 --device $DEVICE --model "$MODEL" --data "$DATA" \
        --storage sqlite:///$WORK/workers.db --study-name xling-workers --artifacts-dir $WORK/artifacts-workers $STEPS_FLAG \
        > "$OUT/workers.log" 2>&1 &
    local pid=$!
    # While both train: which process holds which GPU.
    sleep ${WORKER_PROBE_S:-60}
    nvidia-smi --query-compute-apps=pid,gpu_uuid,used_memory --format=csv > "$OUT/workers_gpus.csv" 2>&1
    nvidia-smi --query-gpu=index,uuid --format=csv >> "$OUT/workers_gpus.csv" 2>&1
    wait $pid
    local rc=$?
    echo "{\"rc\": $rc, \"wall_s\": $(( $(date +%s) - start )), \"workers\": 2}" | tee "$OUT/workers_time.json"
    cat "$OUT/workers_gpus.csv"
    tail -15 "$OUT/workers.log"
}

setup || { log "setup failed"; exit 1; }
case "${1:-checks}" in
    checks) tests; zeroshot; fidelity; bf16; confirm ;;
    study) study ;;
    all) tests; zeroshot; fidelity; bf16; confirm; study ;;
    *) for stage in "$@"; do "$stage"; done ;;
esac
log "done"
