#!/usr/bin/python3
"""scikit-learn side of bench/unsupervised_bench.cc: the same measurements on the same data.

Usage: /usr/bin/python3 bench/peers/sklearn_unsupervised.py THREADS [DATA_DIR] [MEASUREMENT...]

Reads Fashion-MNIST's IDX gz files itself (gzip + numpy), scales pixels to [0, 1] float32 as the
C++ side does, limits every native thread pool (OpenBLAS, OpenMP) to THREADS with threadpoolctl,
and prints one JSON line per measurement:
  {"impl": "sklearn", "name": ..., "seconds": median wall time of 3, "cpu_seconds": median
   process CPU time, "runs": [...wall], ...extra fields}
plus a first line {"impl": "sklearn", "info": ...} naming the versions and the BLAS that
threadpoolctl sees (library, kernel/architecture, threads).

Adding a measurement: write one function `def bench_xxx(data): return name, fn, extra` below and
list it in MEASUREMENTS; fn() runs the timed work once and returns a dict of extra fields (or {}).
Run it through bench/run_unsupervised.sh, which sets OMP_NUM_THREADS and unsets OPENBLAS_CORETYPE
and OPENBLAS_L2_SIZE for this command only (they select a slower OpenBLAS kernel).
"""
import json
import statistics
import sys
import time

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_info, threadpool_limits

from idx import read_idx  # bench/peers/idx.py

import os

# Timed runs (median reported) and untimed warm-up runs first, as in unsupervised_bench.cc.
RUNS = max(1, int(os.environ.get("PIPELINE_BENCH_RUNS", "3")))
WARMUP = int(os.environ.get("PIPELINE_BENCH_WARMUP", "0"))
SEED = 0


def timed(fn):
    """Median wall and process CPU time of RUNS calls of fn, and the extras of the last call."""
    times, cpu, extra = [], [], {}
    for _ in range(WARMUP):
        fn()
    for _ in range(RUNS):
        start, cpu_start = time.perf_counter(), time.process_time()
        extra = fn() or {}
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    return statistics.median(times), statistics.median(cpu), times, extra


# ---- measurements: one function each -------------------------------------------------------

def pca(solver, components):
    def bench(data):
        x = data["x"]

        def run():
            model = PCA(n_components=components, svd_solver=solver, random_state=SEED)
            model.fit_transform(x)
            return {"explained_variance_total": float(model.explained_variance_ratio_.sum())}
        return f"pca_{solver}_{components}", run
    return bench


def kmeans(clusters, n_init):
    def bench(data):
        features = data.setdefault(
            "pca50", PCA(n_components=50, svd_solver="full").fit_transform(data["x"]))

        def run():
            model = KMeans(n_clusters=clusters, n_init=n_init, init="k-means++", max_iter=300,
                           tol=1e-4, algorithm="lloyd", random_state=SEED).fit(features)
            return {"iterations": int(model.n_iter_), "inertia": float(model.inertia_)}
        return f"kmeans_k{clusters}_pca50_ninit{n_init}", run
    return bench


def gmm_sweep():
    def bench(data):
        features = data.setdefault(
            "pca20", PCA(n_components=20, svd_solver="full").fit_transform(data["x"]))

        def run():
            nll, iterations = 0.0, 0
            for k in range(1, 11):
                model = GaussianMixture(n_components=k, covariance_type="diag", tol=1e-3,
                                        max_iter=100, random_state=SEED).fit(features)
                nll = -float(model.score(features))
                iterations += int(model.n_iter_)
            return {"nll_k10": nll, "iterations": iterations}
        return "gmm_diag_sweep_k1_10_pca20", run
    return bench


def tsne():
    def bench(data):
        head = data["x"][:5000]

        def run():
            features = PCA(n_components=50, svd_solver="full").fit_transform(head)
            model = TSNE(n_components=2, perplexity=30, n_iter=1000, init="pca",
                         learning_rate="auto", random_state=SEED)
            model.fit_transform(features)
            return {"kl_divergence": float(model.kl_divergence_)}
        return "tsne_5000_pca50", run
    return bench


MEASUREMENTS = [
    pca("full", 50), pca("randomized", 50), pca("full", 20), pca("randomized", 20),
    kmeans(10, 1), kmeans(10, 10), gmm_sweep(), tsne(),
]

# Our names for scikit-learn's solvers, so the table can pair rows.
RENAME = {"pca_full_50": "pca_exact_50", "pca_full_20": "pca_exact_20"}


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    data_dir = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
    wanted = set(sys.argv[3:])
    images = read_idx(f"{data_dir}/train-images-idx3-ubyte.gz")
    data = {"x": (images.reshape(len(images), -1).astype(np.float32) / np.float32(255))}
    with threadpool_limits(limits=threads):
        pools = [{k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads",
                                          "filepath")} for p in threadpool_info()]
        print(json.dumps({"impl": "sklearn", "info": {
            "sklearn": sklearn.__version__, "numpy": np.__version__, "threads": threads,
            "threadpools": pools}}), flush=True)
        for make in MEASUREMENTS:
            name, run = make(data)
            name = RENAME.get(name, name)
            if wanted and name not in wanted:
                continue
            seconds, cpu_seconds, runs, extra = timed(run)
            print(json.dumps({"impl": "sklearn", "name": name, "seconds": round(seconds, 4),
                              "cpu_seconds": round(cpu_seconds, 4),
                              "runs": [round(t, 4) for t in runs], **extra}), flush=True)


if __name__ == "__main__":
    main()
