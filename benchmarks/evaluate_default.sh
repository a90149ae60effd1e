#!/usr/bin/env bash
# The model card's evaluation: the built-in weights (or $CHECKPOINT) on every task in
# ../shared/data/eval (unseen tasks, never trained on), with the classical baselines measured by
# the same tool. Writes JSON and plots to ${OUT:-runs/eval} and prints the tables.
set -euo pipefail
cd "$(dirname "$0")/.."
EVAL=${MVW_SHARED:-../shared}/data/eval
OUT=${OUT:-runs/eval}
ORDERINGS=${ORDERINGS:-2}
MAX_IMAGES=${MAX_IMAGES:-10}
mkdir -p "$OUT"
model=()
if [ -n "${CHECKPOINT:-}" ]; then model=(--checkpoint "$CHECKPOINT"); fi
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
