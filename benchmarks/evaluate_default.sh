#!/usr/bin/env bash
# The model card's evaluation: the built-in weights (or $CHECKPOINT) on every task in the folder
# given by --eval-dir (unseen tasks, never trained on; the repository ships none), with the
# classical baselines measured by the same tool. Writes JSON and plots to ${OUT:-runs/eval} and
# prints the tables. CONTEXT_GUIDE=1: the network's context-only predictions start from the
# context guide's answer; ADAPT_CONTEXT=1: the network is first fine-tuned on each context set.
# Usage: bash benchmarks/evaluate_default.sh --eval-dir PATH
set -euo pipefail
usage="usage: bash benchmarks/evaluate_default.sh --eval-dir PATH (a folder of eval tasks, *.npz)"
EVAL=
while [ $# -gt 0 ]; do
  case "$1" in
    --eval-dir) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; EVAL=$2; shift 2 ;;
    --eval-dir=*) EVAL=${1#--eval-dir=}; shift ;;
    -h|--help) echo "$usage"; exit 0 ;;
    *) echo "unknown argument: $1; $usage" >&2; exit 2 ;;
  esac
done
if [ -z "$EVAL" ]; then echo "--eval-dir is required; $usage" >&2; exit 2; fi
if [ ! -d "$EVAL" ]; then echo "--eval-dir $EVAL: no such folder" >&2; exit 2; fi
EVAL=$(cd "$EVAL" && pwd)  # absolute: the cd below must not change what it names
for task in medscribble_OASIS medscribble_PanDental; do  # the growing-gt run below needs them
  if [ ! -f "$EVAL/$task.npz" ]; then echo "--eval-dir $EVAL: no $task.npz in it" >&2; exit 2; fi
done
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/eval}
ORDERINGS=${ORDERINGS:-2}
MAX_IMAGES=${MAX_IMAGES:-10}
mkdir -p "$OUT"
model=()
if [ -n "${CHECKPOINT:-}" ]; then model=(--checkpoint "$CHECKPOINT"); fi
if [ -n "${CONTEXT_GUIDE:-}" ]; then model+=(--context-guide); fi
if [ -n "${ADAPT_CONTEXT:-}" ]; then model+=(--adapt-context); fi
common=(--orderings "$ORDERINGS" --max-images "$MAX_IMAGES" --no-progress)
for protocol in clicks scribbles; do
  echo "== $protocol: no context vs growing context"
  multiverseg-widget evaluate "$EVAL"/*.npz --protocol "$protocol" --compare "${common[@]}" \
    "${model[@]}" --json "$OUT/$protocol.json" --plot "$OUT/$protocol.png"
done
for baseline in random-walker disk; do
  echo "== clicks, no context: $baseline"
  multiverseg-widget evaluate "$EVAL"/*.npz --protocol clicks --context none --model "$baseline" \
    "${common[@]}" --json "$OUT/clicks_$baseline.json"
done
echo "== context-only prediction from ground-truth context (image n sees n - 1 truths)"
multiverseg-widget evaluate "$EVAL"/medscribble_OASIS.npz "$EVAL"/medscribble_PanDental.npz \
  --protocol clicks --context growing-gt "${common[@]}" "${model[@]}" --json "$OUT/growing_gt.json"
