#!/usr/bin/env bash
# The authors' network size on a lent GPU machine (the `device` tool's `run`): session-step
# latency at 1 and 8 context images in fp32 and bf16, and the agreement of bf16 with fp32 masks
# on the eval tasks. Random weights of the official shapes (the machine cannot download the
# authors' files), so the Dice is numerical agreement, not quality.
#
# Here, once per session (the eval images do not travel by themselves):
#   mkdir -p .eval_data && cp -r ../shared/data/eval/. .eval_data/
#   grep -qx '/.eval_data/' .git/info/exclude || echo /.eval_data/ >> .git/info/exclude
# Then: run(command="bash scripts/official_on_device.sh", carry=[".eval_data"], timeout_s=600)
set -euo pipefail
out=${OUT:-runs/official_on_device}
mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv || true
for precision in fp32 bf16; do
  for context in 1 8; do
    python3 benchmarks/session_step.py --official-size --device cuda --precision "$precision" \
      --context "$context" --steps 10 2>&1 | tee "$out/session_step_${precision}_${context}.txt"
  done
done
python3 benchmarks/precision.py --official-size --device cuda --eval-dir .eval_data \
  2>&1 | tee "$out/precision.txt"
