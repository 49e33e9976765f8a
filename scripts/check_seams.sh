#!/usr/bin/env bash
# Determinism seam check: only pipeline/rng.cc and pipeline/clock.cc may read entropy or the time.
cd "$(dirname "$0")/.."
hits=$(grep -rnE 'std::random_device|[^a-zA-Z_]rand\(\)|srand\(|time\(NULL\)|time\(nullptr\)|system_clock::now|steady_clock::now' \
  pipeline stages --include='*.cc' --include='*.h' | grep -vE '^pipeline/(rng|clock)\.(cc|h):')
if [ -n "$hits" ]; then
  echo "time or entropy read outside pipeline/rng.cc and pipeline/clock.cc:"
  echo "$hits"
  exit 1
fi
echo "determinism seams: ok"
