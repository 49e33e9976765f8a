#!/usr/bin/env bash
# Side-by-side training benchmark: our train stage's code path (build/train_bench) against
# PyTorch (bench/peers/torch_train.py, Debian's python3-torch) on Fashion-MNIST, same networks
# (bench/networks.json: S8's CNN, S9's 784-200-10 MLP and 3x400 batch-norm MLP), batch size,
# optimiser (Adam 1e-3) and thread count, interleaved.
#
#   bench/run_train.sh [build_dir=build] [threads=2] [epochs=2] [network...]
#   BENCH_ROUNDS=5 bench/run_train.sh ...        (default 3 rounds)
#
# For each network, bench/sidebyside.py trains it for EPOCHS epochs with ours, then PyTorch, then
# ours, ... (one process per run, ROUNDS times) and compares the training images/s of the last
# epoch (the first includes one-time kernel generation on both sides): median ratio and min-max,
# process CPU seconds and peak RSS per side, and oneDNN's ISA line (ONEDNN_VERBOSE=1 on our
# side). Test accuracy after each epoch is in the JSON lines (--json-out). PyTorch needs
# libopenblas0-openmp for its fast configuration. Not part of ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
threads=${2:-2}
epochs=${3:-2}
shift $(( $# < 3 ? $# : 3 ))
data=${PIPELINE_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
networks=("$@")
((${#networks[@]})) || networks=(cnn mlp mlp_bn)

# setup.sh builds only the pipeline (and tests); build this benchmark if it is missing or stale.
cmake --build "$build" --target train_bench > /dev/null
out=${BENCH_JSON_OUT:-$(mktemp)}
# ONEDNN_VERBOSE=1 prints one line per primitive execution: keep only the first lines (the
# info lines, with the ISA) by letting sidebyside.py read them and drop the rest.
/usr/bin/python3 bench/sidebyside.py --rounds "${BENCH_ROUNDS:-3}" --name-a ours --name-b torch \
  --value images_per_s --higher-is-better --json-out "$out" \
  --cmd-a "ONEDNN_VERBOSE=1 $build/train_bench $threads $data bench/networks.json $epochs 100 {m} | grep -v '^onednn_verbose,exec'" \
  --cmd-b "/usr/bin/python3 bench/peers/torch_train.py $threads $data bench/networks.json $epochs 100 {m}" \
  --env-b=-OPENBLAS_CORETYPE --env-b=-OPENBLAS_L2_SIZE --env-b OMP_NUM_THREADS="$threads" \
  "${networks[@]}"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
print("\ntest accuracy after the last epoch, per round:")
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(f"  {r['measurement']:8} round {r['round'] + 1} {r['side']:5}: "
          f"{r['result'].get('test_accuracy', float('nan')):.4f}")
PY
