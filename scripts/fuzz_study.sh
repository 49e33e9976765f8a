#!/usr/bin/env bash
# Mutation-fuzzes study loading (ParseStudy + ExpandGrid) for SECONDS (default 60), starting
# from every experiments/*.yaml. Any outcome other than a pipeline error (a crash, another
# exception, > 5 s or > 1 GiB for one case) is a failure; its input is kept in OUT_DIR.
#   scripts/fuzz_study.sh [SECONDS] [SEED] [FUZZER] [OUT_DIR]
# SEED defaults to 1 (give another to explore further; the same seed gives the same cases);
# FUZZER to build/study_fuzzer; OUT_DIR to results/fuzz (git-ignored).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-60}"
seed="${2:-1}"
fuzzer="${3:-$root/build/study_fuzzer}"
out_dir="${4:-$root/results/fuzz}"
if [ ! -x "$fuzzer" ]; then
  echo "fuzz_study.sh: no fuzzer at $fuzzer (cmake --build build --target study_fuzzer)" >&2
  exit 2
fi
exec "$fuzzer" "$seconds" "$seed" "$out_dir" "$root"/experiments/*.yaml
