#!/bin/bash
# A real Slurm in the tests: a 20-run study with a shared PCA is submitted to the one-node
# cluster of scripts/slurm_local.sh (started here if it is down; MaxArraySize 8, so the 20-task
# levels are split into three arrays), runs as job arrays, is merged by the collect job, and its
# database must equal a local `pipeline run` of the same study row for row: runs, stages (keys,
# statuses, output hashes, threads), every metric bit for bit, every file's hash. Submitting
# again computes nothing.
#   tests/scripts/slurm_study_test.sh PIPELINE_BINARY SOURCE_DIR
set -euo pipefail
binary=$(readlink -f "$1")
source_dir=$2
if [ "$(id -u)" != 0 ]; then
  echo "skipped: the one-node Slurm cluster needs root (scripts/slurm_local.sh)"
  exit 77
fi
bash "$source_dir/scripts/slurm_local.sh" start > /dev/null
eval "$(bash "$source_dir/scripts/slurm_local.sh" env)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cat > study.yaml <<'YAML'
study: slurm_test
seed: 3
stages:
  data: {type: blobs, n: 3000, dims: 16, centers: 6, spread: 3.0}
  pca: {type: pca, input: data, components: 4}
  km: {type: kmeans, input: pca, k: {range: [2, 21]}, n_init: 2}
  score: {type: cluster_eval, input: km}
YAML
"$binary" run study.yaml --db local/results.db --cores 1 --jobs 1 --plain > local.log
"$binary" submit study.yaml --slurm --db cluster/results.db > submit.log
grep -q "submitted 42 task(s) in 8 array job(s) over 4 level(s)" submit.log ||
  { echo "unexpected submit output:"; cat submit.log; exit 1; }
jobs=$(sed -n 's/.*"id": "\([0-9]*\)".*/\1/p' cluster/cluster/slurm_test/jobs.json | paste -sd,)
deadline=$((SECONDS + 300))
while [ -n "$(squeue -h -j "$jobs" 2> /dev/null)" ]; do
  [ $SECONDS -lt $deadline ] || { echo "the jobs did not finish in 300 s"; squeue; exit 1; }
  sleep 2
done
cat cluster/cluster/slurm_test/logs/collect_*.out
grep -q "runs: 20 done, 0 failed, 0 waiting" cluster/cluster/slurm_test/logs/collect_*.out
status=0
for query in \
  "SELECT number, identity, status, params_json, error FROM runs ORDER BY number" \
  "SELECT key, name, status, output_hash, error, threads FROM stages ORDER BY key" \
  "SELECT stage_key, name, step, printf('%.17g', value) FROM metrics ORDER BY 1, 2, 3" \
  "SELECT stage_key, name, content_hash, bytes FROM artifacts ORDER BY 1, 2"; do
  if ! diff <("$binary" query --db local/results.db --csv "$query") \
            <("$binary" query --db cluster/results.db --csv "$query") > diff.txt; then
    echo "merged database differs from the local run on: $query"; head -20 diff.txt; status=1
  fi
done
[ "$("$binary" query --db cluster/results.db --csv "SELECT count(*) FROM metrics")" != "count(*)
0" ] || { echo "no metrics merged"; status=1; }
"$binary" submit study.yaml --slurm --db cluster/results.db | grep -q "nothing to compute" ||
  { echo "a second submit should compute nothing"; status=1; }
exit $status
