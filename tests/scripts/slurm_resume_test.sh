#!/bin/bash
# Failure and resume on the one-node cluster of scripts/slurm_local.sh: a study with four
# training runs is submitted; while two `model` tasks train, one is preempted (`scontrol
# requeue`: Slurm's SIGTERM, then the task is queued again) and the other is killed outright
# (SIGKILL: no status file). The preempted task must stop cleanly (status "interrupted"), run
# again and finish; the killed one must fail its run with the reason while the other runs finish
# and are merged; `pipeline status` must name it; `pipeline submit` again must submit only what
# is missing (the killed model and its evaluation), and the merged database must then equal a
# local `pipeline run` of the study row for row (durations and throughputs, which measure the
# machine, by presence only, as `pipeline reproduce` compares them).
#   tests/scripts/slurm_resume_test.sh PIPELINE_BINARY SOURCE_DIR
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
study: slurm_resume
seed: 11
stages:
  data: {type: idx_loader, split: train, limit: 6000}
  split: {type: split, input: data, validation: 0.2}
  train_part: {type: take, input: split, part: train}
  validation: {type: take, input: split, part: validation}
  model:
    type: train
    inputs: [train_part, validation]
    epochs: 40
    batch_size: [40, 50, 60, 80]
    optimizer: {optimizer: sgd, lr: 0.05}
    layers:
      - {type: flatten}
      - {type: linear, out: 256}
      - {type: relu}
      - {type: linear, out: 256}
      - {type: relu}
      - {type: linear, out: 10}
  test: {type: evaluate, inputs: [model, validation]}
YAML
cluster=cluster/cluster/slurm_resume
fail() { echo "FAIL: $*"; squeue || true; tail -n 5 "$cluster"/logs/*.out 2> /dev/null || true; exit 1; }
# wait_queue_empty JOBS SECONDS
wait_queue_empty() {
  local deadline=$((SECONDS + $2))
  while [ -n "$(squeue -h -j "$1" 2> /dev/null)" ]; do
    [ $SECONDS -lt $deadline ] || fail "the jobs did not finish in $2 s"
    sleep 1
  done
}
# kill_task JOB INDEX: SIGKILL the worker process of array task JOB_INDEX on this node, as the
# OOM killer or a lost node would (scancel --signal=KILL would be a cancel: SIGTERM first).
kill_task() {
  local d
  for d in /proc/[0-9]*; do
    [ "$(cat "$d/comm" 2> /dev/null)" = pipeline ] || continue
    tr '\0' '\n' < "$d/environ" 2> /dev/null | grep -qx "SLURM_ARRAY_JOB_ID=$1" || continue
    tr '\0' '\n' < "$d/environ" 2> /dev/null | grep -qx "SLURM_ARRAY_TASK_ID=$2" || continue
    kill -KILL "${d#/proc/}" && return 0
  done
  return 1
}
job_ids() { sed -n 's/.*"id": "\([0-9]*\)".*/\1/p' "$cluster/jobs.json" | paste -sd,; }

"$binary" run study.yaml --db local/results.db --cores 1 --jobs 1 --plain > local.log
"$binary" submit study.yaml --slurm --db cluster/results.db > submit.log
grep -q "submitted 12 task(s) in 5 array job(s) over 5 level(s)" submit.log ||
  fail "unexpected submit output: $(cat submit.log)"
jobs=$(job_ids)
# jobs.json lists {"id", "level", "offset", "tasks"} one key per line: the level-3 array's id.
model_job=$(awk -F'"' '/"id"/ { id = $4 } /"level": 3,/ { print id; exit }' "$cluster/jobs.json")
[ -n "$model_job" ] || fail "no level-3 array in jobs.json"
# Two model tasks training (1 core each on this 2-core node).
deadline=$((SECONDS + 120))
while :; do
  running=$(squeue -h -r -j "$model_job" -t RUNNING -o %i | sort)
  [ "$(echo "$running" | grep -c _)" -ge 2 ] && break
  [ $SECONDS -lt $deadline ] || fail "two model tasks never ran at once"
  sleep 0.5
done
sleep 1  # into their epochs (each model task trains for about 5 s)
preempted=$(echo "$running" | sed -n 1p)
killed=$(echo "$running" | sed -n 2p)
echo "preempting $preempted, killing $killed"
kill_task "$model_job" "${killed#*_}" || fail "no worker process for task $killed"
scontrol requeue "$preempted"
# The preempted task's SIGTERM ends it cleanly: an "interrupted" status, soon.
deadline=$((SECONDS + 60))
until grep -l '"status":"interrupted"' "$cluster"/status/*.json > /dev/null 2>&1; do
  [ $SECONDS -lt $deadline ] || fail "no task wrote an interrupted status after SIGTERM"
  sleep 0.2
done
interrupted_key=$(basename "$(grep -l '"status":"interrupted"' "$cluster"/status/*.json)" .json)
# Slurm holds a requeued job for 121 s (BeginTime); a preempted job waits for its slot anyway.
# Lift the hold so the test does not wait: the requeued task is pending again once it has ended.
deadline=$((SECONDS + 30))
until [ "$(squeue -h -r -j "$preempted" -o %T 2> /dev/null)" = PENDING ] &&
      scontrol update JobId="$preempted" StartTime=now 2> /dev/null; do
  [ $SECONDS -lt $deadline ] || fail "the preempted task $preempted was not requeued"
  sleep 0.5
done
wait_queue_empty "$jobs" 300
cat "$cluster"/logs/collect_*.out
grep -q "runs: 3 done, 1 failed, 0 waiting" "$cluster"/logs/collect_*.out ||
  fail "the final collect should have 3 runs done and the killed one failed"
grep -q '"status":"done"' "$cluster/status/$interrupted_key.json" ||
  fail "the preempted task did not run again to the end"
"$binary" status slurm_resume --db cluster/results.db > status.log
cat status.log
grep -q "model .*(task ${killed}): not in the queue and no status" status.log ||
  fail "status does not name the killed task"
error=$("$binary" query --db cluster/results.db --csv \
  "SELECT error FROM runs WHERE status = 'failed'" | tail -n 1)
case "$error" in
  *"the cluster task did not finish"*"pipeline submit"*) ;;
  *) fail "the failed run's error does not say why: $error" ;;
esac

# Resume: only the killed model and its evaluation are left.
"$binary" submit study.yaml --slurm --db cluster/results.db > resubmit.log
grep -q "submitted 2 task(s) in 2 array job(s) over 2 level(s)" resubmit.log ||
  fail "the second submit should submit only what is missing: $(cat resubmit.log)"
wait_queue_empty "$(job_ids)" 300
status=0
for query in \
  "SELECT number, identity, status, params_json, error FROM runs ORDER BY number" \
  "SELECT key, name, status, output_hash, error, threads FROM stages ORDER BY key" \
  "SELECT stage_key, name, step, CASE WHEN name LIKE '%\\_time' ESCAPE '\\' OR name LIKE '%\\_per\\_s' ESCAPE '\\' OR name LIKE '%\\_seconds' ESCAPE '\\' THEN 'timing' ELSE printf('%.17g', value) END FROM metrics ORDER BY 1, 2, 3" \
  "SELECT stage_key, name, content_hash, bytes FROM artifacts ORDER BY 1, 2"; do
  if ! diff <("$binary" query --db local/results.db --csv "$query") \
            <("$binary" query --db cluster/results.db --csv "$query") > diff.txt; then
    echo "after resume the database differs from the local run on: $query"; head -20 diff.txt
    status=1
  fi
done
exit $status
