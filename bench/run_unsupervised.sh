#!/usr/bin/env bash
# Side-by-side benchmark of our unsupervised stages against scikit-learn on Fashion-MNIST
# (60,000 x 784 training images), same data, same thread count, interleaved.
#
#   bench/run_unsupervised.sh [build_dir=build] [threads=2] [measurement...]
#   BENCH_ROUNDS=5 bench/run_unsupervised.sh ...        (default 3 rounds)
#
# For each measurement, bench/sidebyside.py runs build_dir/unsupervised_bench and
# bench/peers/sklearn_unsupervised.py (Debian's /usr/bin/python3 with python3-sklearn; needs
# libopenblas0-openmp or -pthread for a fair peer) alternately, one process per run (one
# untimed warm-up, then the timed run), ROUNDS times, and prints the median ratio with its
# min-max, each side's median seconds, process CPU seconds, peak RSS and iteration counts (a
# row whose iteration counts differ is flagged: the two sides did different work). The machine
# line names the CPU and its ISA; the info lines give Eigen's SIMD set and the peer's BLAS.
# Measurements: pca_exact_50 pca_randomized_50 pca_exact_20 pca_randomized_20
# kmeans_k10_pca50_ninit1 kmeans_k10_pca50_ninit10 gmm_diag_sweep_k1_10_pca20 tsne_5000_pca50.
# Not part of ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
threads=${2:-2}
shift $(( $# < 2 ? $# : 2 ))
data=${PIPELINE_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
measurements=("$@")
((${#measurements[@]})) || measurements=(pca_exact_50 pca_randomized_50 pca_exact_20
  pca_randomized_20 kmeans_k10_pca50_ninit1 kmeans_k10_pca50_ninit10 gmm_diag_sweep_k1_10_pca20
  tsne_5000_pca50)

# setup.sh builds only the pipeline (and tests); build this benchmark if it is missing or stale.
cmake --build "$build" --target unsupervised_bench > /dev/null
export PIPELINE_BENCH_RUNS=1 PIPELINE_BENCH_WARMUP=1
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (set on some processors here for old OpenBLAS builds)
# pin numpy to a slower kernel: unset them for the peer only.
/usr/bin/python3 bench/sidebyside.py --rounds "${BENCH_ROUNDS:-3}" --name-a ours \
  --name-b sklearn --value seconds \
  --cmd-a "$build/unsupervised_bench $threads $data {m}" \
  --cmd-b "/usr/bin/python3 bench/peers/sklearn_unsupervised.py $threads $data {m}" \
  --env-b=-OPENBLAS_CORETYPE --env-b=-OPENBLAS_L2_SIZE --env-b OMP_NUM_THREADS="$threads" \
  --env-b OPENBLAS_NUM_THREADS="$threads" "${measurements[@]}"
