#!/usr/bin/env bash
# Side-by-side benchmark of our samplers (pipeline/search/sampler.h) against Optuna 3.1's
# TPESampler and RandomSampler on three minimisation problems: shifted 5-D sphere (min 0),
# Branin (min 0.397887) and Hartmann 6-D (min -3.32237).
#
#   bench/run_search.sh [build_dir=build] [seeds=10] [trials=100]
#
# Builds nothing: needs build_dir/sampler_bench (cmake --build build --target sampler_bench)
# and Debian's /usr/bin/python3 with python3-optuna. For every function, sampler and seed it
# runs ours, then Optuna (interleaved, so drifts in machine load hit both alike), and prints a
# markdown table: median best value after 20/50/100 trials with the min-max over seeds, and the
# sampler's milliseconds per trial (Sample / study.ask only; median over seeds). Not part of ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
seeds=${2:-10}
trials=${3:-100}
bench="$build/sampler_bench"
[ -x "$bench" ] || { echo "missing $bench: cmake --build $build --target sampler_bench" >&2; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
echo "avx512f: $(grep -qw avx512f /proc/cpuinfo && echo yes || echo no)"
echo "optuna: $(/usr/bin/python3 -c 'import optuna; print(optuna.__version__)')"
for function in sphere5 branin hartmann6; do
  for sampler in tpe random; do
    for seed in $(seq 1 "$seeds"); do
      "$bench" "$function" "$sampler" "$seed" "$trials" >> "$out"
      /usr/bin/python3 bench/peers/optuna_sampler.py "$function" "$sampler" "$seed" "$trials" >> "$out"
    done
  done
done

/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def pick(function, sampler, tool):
    return [r for r in rows if (r["function"], r["sampler"], r["tool"]) == (function, sampler, tool)]
def bests(runs):
    cells = []
    for t in (20, 50, 100):
        v = [r[f"best_{t}"] for r in runs if f"best_{t}" in r]
        cells.append(f"{statistics.median(v):.4g} ({min(v):.3g}–{max(v):.3g})" if v else "-")
    return " / ".join(cells)
print()
print("| function | sampler | ours median best @20 / 50 / 100 (min–max) "
      "| optuna median best @20 / 50 / 100 (min–max) | ms/trial ours | ms/trial optuna | ours/optuna |")
print("|---|---|---|---|---|---|---|")
for function in ("sphere5", "branin", "hartmann6"):
    for sampler in ("tpe", "random"):
        ours, theirs = pick(function, sampler, "ours"), pick(function, sampler, "optuna")
        ms_ours = 1e3 * statistics.median(r["sampler_seconds_per_trial"] for r in ours)
        ms_theirs = 1e3 * statistics.median(r["sampler_seconds_per_trial"] for r in theirs)
        print(f"| {function} | {sampler} | {bests(ours)} | {bests(theirs)} "
              f"| {ms_ours:.4f} | {ms_theirs:.4f} | {ms_ours / ms_theirs:.3f} |")
PY
