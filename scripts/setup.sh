#!/usr/bin/env bash
# Sets up a Debian 12 machine for the pipeline and builds it into build/.
# Installs only what is missing (as root, or through sudo), so it is cheap to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config git
  libdnnl-dev libeigen3-dev libtbb-dev libyaml-cpp-dev libsqlite3-dev sqlite3
  catch2 libcli11-dev nlohmann-json3-dev libxxhash-dev zlib1g-dev libstb-dev
  dataset-fashion-mnist
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$jobs"
echo "setup: built build/pipeline and build/pipeline_tests"
