#!/usr/bin/env bash
# Side-by-side benchmark of our unsupervised stages against scikit-learn on Fashion-MNIST
# (60,000 x 784 training images), same data, same thread count.
#
#   bench/run_unsupervised.sh [build_dir=build] [threads=2] [measurement...]
#
# Runs build_dir/unsupervised_bench (C++) and bench/peers/sklearn_unsupervised.py (Debian's
# /usr/bin/python3 with python3-sklearn; needs libopenblas0-openmp or -pthread for a fair peer),
# then prints a table: median wall seconds of 3 runs, ours/theirs ratio, speedup, and process
# CPU seconds (steadier than wall time when the machine is shared). Measurements are paired by
# name; a row one side lacks shows "-". To add a measurement, add one function to each program.
# Not part of ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
threads=${2:-2}
shift $(( $# < 2 ? $# : 2 ))
data=${PIPELINE_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# setup.sh builds only the pipeline (and tests); build this benchmark if it is missing or stale.
cmake --build "$build" --target unsupervised_bench > /dev/null
echo "machine: $(nproc) cores, $(uptime | sed 's/.*load average/load average/')"
"$build/unsupervised_bench" "$threads" "$data" "$@" | tee "$out/ours.jsonl"
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (set on some processors here for old OpenBLAS builds)
# pin numpy to a slower kernel: unset them for the peer only.
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS="$threads" \
  OPENBLAS_NUM_THREADS="$threads" \
  /usr/bin/python3 bench/peers/sklearn_unsupervised.py "$threads" "$data" "$@" \
  | tee "$out/sklearn.jsonl"
echo "load after: $(uptime | sed 's/.*load average/load average/')"

/usr/bin/python3 - "$out/ours.jsonl" "$out/sklearn.jsonl" <<'PY'
import json, sys

def load(path):
    rows, info = {}, None
    for line in open(path):
        record = json.loads(line)
        if "info" in record:
            info = record["info"]
        else:
            rows[record["name"]] = record
    return rows, info

ours, ours_info = load(sys.argv[1])
theirs, their_info = load(sys.argv[2])
print()
print(f"threads: {ours_info and ours_info.get('threads')}; Eigen SIMD: "
      f"{ours_info and ours_info.get('eigen_simd')}")
if their_info:
    print(f"scikit-learn {their_info['sklearn']}, numpy {their_info['numpy']}; thread pools:")
    for pool in their_info["threadpools"]:
        print(f"  {pool['internal_api']} {pool.get('version') or ''} "
              f"kernel={pool.get('architecture')} threads={pool['num_threads']} "
              f"({pool['filepath']})")

def cell(value, fmt="{:.3f}"):
    return "-" if value is None else fmt.format(value)

header = ["measurement", "ours s", "sklearn s", "ours/sklearn", "speedup", "ours cpu s",
          "sklearn cpu s", "cpu ours/sklearn", "ours iters", "sklearn iters"]
rows = []
for name in list(ours) + [n for n in theirs if n not in ours]:
    a, b = ours.get(name, {}), theirs.get(name, {})
    ta, tb = a.get("seconds"), b.get("seconds")
    ratio = ta / tb if ta and tb else None
    ca, cb = a.get("cpu_seconds"), b.get("cpu_seconds")
    rows.append([name, cell(ta), cell(tb), cell(ratio, "{:.2f}"),
                 cell(1 / ratio if ratio else None, "{:.1f}x"),
                 cell(ca), cell(cb), cell(ca / cb if ca and cb else None, "{:.2f}"),
                 str(a.get("iterations", "")), str(b.get("iterations", ""))])
widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
print()
print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
for r in rows:
    print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
PY
