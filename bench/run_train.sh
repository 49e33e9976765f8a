#!/usr/bin/env bash
# Side-by-side training benchmark: our train stage's code path (build/train_bench) against
# PyTorch (bench/peers/torch_train.py, Debian's python3-torch) on Fashion-MNIST, same networks
# (bench/networks.json: S8's CNN, S9's 784-200-10 MLP and 3x400 batch-norm MLP), batch size,
# optimiser (Adam 1e-3) and thread count.
#
#   bench/run_train.sh [build_dir=build] [threads=2] [epochs=2] [network...]
#
# Prints training images/s per epoch for both and the ratio of the last epoch (the first
# includes one-time kernel generation on both sides), plus test accuracy after each epoch.
# PyTorch needs libopenblas0-openmp for its fast configuration (without it Debian's torch uses
# the reference BLAS, ~5x slower on the CNN). Not part of ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
threads=${2:-2}
epochs=${3:-2}
shift $(( $# < 3 ? $# : 3 ))
data=${PIPELINE_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# setup.sh builds only the pipeline (and tests); build this benchmark if it is missing or stale.
cmake --build "$build" --target train_bench > /dev/null
echo "machine: $(nproc) cores, $(uptime | sed 's/.*load average/load average/')"
"$build/train_bench" "$threads" "$data" bench/networks.json "$epochs" 100 "$@" | tee "$out/ours.jsonl"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS="$threads" \
  /usr/bin/python3 bench/peers/torch_train.py "$threads" "$data" bench/networks.json "$epochs" 100 "$@" \
  | tee "$out/torch.jsonl" | cut -c1-200
echo "load after: $(uptime | sed 's/.*load average/load average/')"

/usr/bin/python3 - "$out/ours.jsonl" "$out/torch.jsonl" <<'PY'
import json, sys

def load(path):
    rows = {}
    for line in open(path):
        record = json.loads(line)
        if "name" in record:
            rows.setdefault(record["name"], []).append(record)
    return rows

ours, torch = load(sys.argv[1]), load(sys.argv[2])
print()
print(f"{'network':10} {'epoch':>5} {'ours img/s':>11} {'torch img/s':>12} {'ratio':>6} "
      f"{'ours acc':>9} {'torch acc':>9}")
for name in ours:
    for mine, theirs in zip(ours[name], torch.get(name, [])):
        ratio = mine["images_per_s"] / theirs["images_per_s"]
        print(f"{name:10} {mine['epoch']:5d} {mine['images_per_s']:11.0f} "
              f"{theirs['images_per_s']:12.0f} {ratio:6.2f} {mine['test_accuracy']:9.4f} "
              f"{theirs['test_accuracy']:9.4f}")
PY
