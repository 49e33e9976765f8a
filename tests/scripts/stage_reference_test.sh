#!/bin/bash
# docs/stages.md is generated from the stage declarations; fails when it is out of date.
#   tests/scripts/stage_reference_test.sh PIPELINE_BINARY SOURCE_DIR
set -euo pipefail
binary=$1
source_dir=$2
if ! diff -u "$source_dir/docs/stages.md" <("$binary" stages --reference); then
  echo "docs/stages.md is out of date: run  build/pipeline stages --reference > docs/stages.md" >&2
  exit 1
fi
