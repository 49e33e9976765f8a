#!/usr/bin/env bash
# Every study file in experiments/ parses and expands against the built-in stages: a dry run of
# each (nothing computed) exits 0. Catches a broken edit to a study (a lost comment marker, a
# renamed parameter) before a user runs it overnight.
#   tests/scripts/studies_expand_test.sh <pipeline binary> <source dir>
set -euo pipefail
pipeline=$1
source_dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
count=0
for study in "$source_dir"/experiments/*.yaml; do
  count=$((count + 1))
  if ! "$pipeline" run "$study" --dry-run --db "$tmp/check.db" > "$tmp/out.txt" 2>&1; then
    echo "FAIL: $study"
    tail -5 "$tmp/out.txt"
    failed=1
  fi
done
echo "$count study files checked"
exit $failed
