#!/usr/bin/env bash
# Continue training the built-in weights on a lent GPU machine (the `device` tool's `run`),
# resuming from runs/default when it is carried, else from the shipped weights and the recipe
# recorded in them (learning rate, weight average, ...), with a new cosine schedule of
# TOTAL_STEPS (the shipped weights end a cool-down; their own schedule has run out).
#
# Here, once per session (the training images do not travel by themselves):
#   mkdir -p .train_data && cp -r ../shared/data/train/. .train_data/
#   grep -qx '/.train_data/' .git/info/exclude || echo /.train_data/ >> .git/info/exclude
# Then: run(command="bash scripts/train_on_device.sh 8", carry=[".train_data", "runs/default"],
#           timeout_s=600)
# and copy the files that come back under $OUT/run into runs/default here.
# SETTINGS="key=value ...": more training settings, e.g. SETTINGS="forest_guess_fraction=0.5".
set -euo pipefail
minutes=${1:-8}
batch_size=${BATCH_SIZE:-16}
run_dir="$OUT/run"
mkdir -p "$run_dir"
start=()
schedule=()
extra=()
if [ -n "${SETTINGS:-}" ]; then read -r -a extra <<< "$SETTINGS"; fi
if [ -f runs/default/last.pt ]; then
    cp runs/default/last.pt "$run_dir/"
    for f in best.pt history.jsonl; do [ -f "runs/default/$f" ] && cp "runs/default/$f" "$run_dir/"; done
else
    start=(--init multiverseg_widget/weights/default.pt)
    schedule=(total_steps="${TOTAL_STEPS:-40000}")
fi
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv || true
PYTHONUNBUFFERED=1 python3 -m multiverseg_widget.train --minutes "$minutes" --run-dir "$run_dir" \
    "${start[@]}" --set data_dir='".train_data"' batch_size="$batch_size" "${schedule[@]}" \
    "${extra[@]}" 2>&1 | tee "$run_dir/train.log"
