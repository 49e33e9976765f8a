#!/usr/bin/env bash
# The S9 search with and without pruning, side by side with Optuna 3.1 + PyTorch 1.13
# (bench/peers/optuna_search.py): the same two-layer network, data split sizes, batch, epochs,
# search space and trial budget; TPE on both sides, ASHA from epoch 1 with reduction factor 3
# (rungs at epochs 1, 3, 9) or 4 (rungs at 1, 4), or no pruning. A trial that reaches its last epoch completes on both
# sides (Optuna's peer runs with --no-prune-last, as our train stage does).
#
#   bench/run_search_study.sh [build_dir=build] [trials=60]
#
# Order: ours, optuna for asha3, asha4, none. Each side in a fresh database. Prints a
# markdown table: epochs spent, trials pruned, best validation accuracy, the test accuracy of
# the best trial, wall seconds. Needs Fashion-MNIST (dataset-fashion-mnist) and /usr/bin/python3
# with python3-torch and python3-optuna. Not part of ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
trials=${2:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
echo "avx512f: $(grep -qw avx512f /proc/cpuinfo && echo yes || echo no)"
echo "optuna: $(/usr/bin/python3 -c 'import optuna; print(optuna.__version__)'), torch: $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"

ours() {  # mode
  local mode=$1 db="$work/ours_$1.db" start end
  start=$(date +%s.%N)
  local pruner=("search.pruner=none")
  [ "$mode" != none ] && pruner=("search.pruner={type: asha, min_epochs: 1, reduction_factor: ${mode#asha}}")
  "$build/pipeline" run experiments/s9_search.yaml --db "$db" "study=s9_bench_$mode" \
    "${pruner[@]}" "search.trials=$trials" > "$work/ours_$mode.log" 2>&1 ||
    { echo "ours ($mode) failed:" >&2; tail -5 "$work/ours_$mode.log" >&2; exit 1; }
  end=$(date +%s.%N)
  sqlite3 -separator ' | ' "$db" "
    SELECT 'ours', '$mode',
      (SELECT count(*) FROM trials t JOIN run_metrics m ON m.run_id = t.run_id
         WHERE m.stage = 'model' AND m.name = 'val_accuracy'),
      (SELECT count(*) FROM trials WHERE state = 'pruned'),
      (SELECT printf('%.4f', max(value)) FROM trials),
      (SELECT printf('%.4f', json_extract(r.metrics, '\$.\"test.accuracy\"')) FROM trials t
         JOIN run_summary r ON r.run_id = t.run_id WHERE t.state = 'done'
         ORDER BY t.value DESC LIMIT 1),
      printf('%.0f', $end - $start)"
}

optuna() {  # mode
  local args=(--pruner none)
  [ "$1" != none ] && args=(--pruner asha --reduction-factor "${1#asha}")
  /usr/bin/python3 bench/peers/optuna_search.py "${args[@]}" --trials "$trials" --threads 2 \
    --no-prune-last 2> "$work/optuna_$1.log" | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)
print(" | ".join(["optuna", sys.argv[1], str(r["epochs_trained"]), str(r["pruned"]),
                  "%.4f" % r["best_val_accuracy"], "%.4f" % r["test_accuracy"],
                  "%.0f" % r["wall_seconds"]]))' "$1"
}

echo
echo "| tool | pruner | epochs spent | trials pruned | best val accuracy | test accuracy of best | wall s |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for mode in asha3 asha4 none; do
  echo "| $(ours "$mode") |"
  echo "| $(optuna "$mode") |"
done
