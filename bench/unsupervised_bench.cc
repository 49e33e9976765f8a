// Unsupervised stages on Fashion-MNIST sizes: PCA (exact and randomized, 784 -> 50 and -> 20) on
// the 60,000 training images and k-means (K = 10) on their PCA-50 features, each the median wall
// time of 3 runs (PIPELINE_BENCH_RUNS) with exactly THREADS threads (a tbb::task_arena, and omp_set_num_threads for
// any OpenMP code). Prints one JSON line per measurement,
//   {"impl": "ours", "name": ..., "seconds": median wall, "cpu_seconds": median process CPU,
//    "runs": [...wall], ...extra fields},
// the same shape as bench/peers/sklearn_unsupervised.py; bench/run_unsupervised.sh pairs them.
//
//   build/unsupervised_bench [threads=2] [data_dir=/usr/share/datasets/fashion-mnist] [name...]
//
// Adding a measurement: write one function returning a Measurement (name + the timed body,
// which returns its extra fields) and list it in Measurements(). Not part of ctest.

#include <omp.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/rng.h"
#include "stages/cluster/gmm.h"
#include "stages/cluster/kmeans.h"
#include "stages/load/idx_reader.h"
#include "stages/reduce/pca.h"
#include "stages/reduce/tsne.h"

namespace {

using Json = nlohmann::json;
// Timed runs per measurement (median reported) and untimed warm-up runs before them; the
// side-by-side driver (bench/sidebyside.py) sets PIPELINE_BENCH_RUNS=1 PIPELINE_BENCH_WARMUP=1
// and repeats whole processes instead, interleaved with the peer's.
int EnvInt(const char* name, int fallback) {
  const char* text = std::getenv(name);
  return text != nullptr && *text != '\0' ? std::atoi(text) : fallback;
}

struct Data {
  pipeline::Tensor images;                 // [60000, 1, 28, 28] float32 in [0, 1]
  pipeline::RowMatrixXf pca50;             // exact PCA-50 features (computed on demand)
  pipeline::RowMatrixXf pca20;             // exact PCA-20 features (computed on demand)
};

struct Measurement {
  std::string name;
  std::function<Json()> run;  // the timed work; returns extra fields for the JSON line
};

// ---- measurements: one function each ---------------------------------------------------------

Measurement Pca(Data& data, stages::PcaSolver solver, int64_t components) {
  return {std::string("pca_") + stages::PcaSolverName(solver) + "_" + std::to_string(components),
          [&data, solver, components] {
            stages::PcaOptions options;
            options.components = components;
            options.solver = solver;
            pipeline::Rng rng(0);
            const auto x = static_cast<const pipeline::Tensor&>(data.images).MatrixF();
            const stages::PcaModel model = stages::FitPca(x, options, rng);
            const pipeline::RowMatrixXf projected = stages::PcaTransform(model, x, false);
            return Json{{"explained_variance_total", model.explained_variance_ratio.sum()},
                        {"output_rows", projected.rows()}};
          }};
}

Measurement KMeans(Data& data, int64_t clusters, int64_t restarts) {
  return {"kmeans_k" + std::to_string(clusters) + "_pca50_ninit" + std::to_string(restarts),
          [&data, clusters, restarts] {
            if (data.pca50.size() == 0) {
              const auto x = static_cast<const pipeline::Tensor&>(data.images).MatrixF();
              data.pca50 = stages::PcaTransform(stages::FitPca(x, 50), x, false);
            }
            stages::KMeansOptions options;
            options.clusters = clusters;
            options.restarts = restarts;
            const stages::KMeansResult result =
                stages::KMeans(data.pca50, options, pipeline::Rng(0));
            return Json{{"iterations", result.iterations}, {"inertia", result.inertia}};
          }};
}

// S6/S7's workload: diagonal GMMs for K = 1..10 on PCA-20 features of all 60,000 images.
Measurement GmmSweep(Data& data) {
  return {"gmm_diag_sweep_k1_10_pca20", [&data] {
            const auto x = static_cast<const pipeline::Tensor&>(data.images).MatrixF();
            if (data.pca20.size() == 0) data.pca20 = stages::PcaTransform(stages::FitPca(x, 20), x, false);
            double nll = 0;
            int64_t iterations = 0;
            for (int64_t k = 1; k <= 10; ++k) {
              stages::GmmOptions options;
              options.components = k;
              options.covariance = stages::CovarianceType::kDiagonal;
              options.tolerance = 1e-3;  // scikit-learn's default tol and its rule
              options.convergence = stages::GmmConvergence::kAbsolute;
              options.max_iterations = 100;
              const stages::GmmResult result = stages::FitGmm(data.pca20, options, pipeline::Rng(0));
              nll = result.nll;
              // Counted as scikit-learn counts: its loop does one more M-step after the check
              // that stops it (n_iter_ = our EM iterations + 1).
              iterations += result.iterations + 1;
            }
            return Json{{"nll_k10", nll}, {"iterations", iterations}};
          }};
}

// t-SNE of 5,000 images (PCA-50), 1,000 iterations, perplexity 30.
Measurement Tsne(Data& data) {
  return {"tsne_5000_pca50", [&data] {
            const auto x = static_cast<const pipeline::Tensor&>(data.images).MatrixF();
            const pipeline::RowMatrixXf head = x.topRows(5000);
            const pipeline::RowMatrixXf features =
                stages::PcaTransform(stages::FitPca(head, 50), head, false);
            stages::TsneOptions options;
            const stages::TsneResult result = stages::RunTsne(features, options, pipeline::Rng(0));
            return Json{{"kl_divergence", result.kl_divergence}};
          }};
}

std::vector<Measurement> Measurements(Data& data) {
  using stages::PcaSolver;
  return {
      Pca(data, PcaSolver::kExact, 50),      Pca(data, PcaSolver::kRandomized, 50),
      Pca(data, PcaSolver::kExact, 20),      Pca(data, PcaSolver::kRandomized, 20),
      KMeans(data, 10, 1),                   KMeans(data, 10, 10),
      GmmSweep(data),                        Tsne(data),
  };
}

// ---- driver ------------------------------------------------------------------------------------

struct Timing {
  double wall = 0.0;
  double cpu = 0.0;  // process CPU time of all threads: on a busy machine, a steadier measure
};

Timing Time(const std::function<void()>& fn) {
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  fn();
  return {std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
          static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC};
}

// What Eigen's kernels were compiled for: SimdInstructionSetsInUse() says "AVX" for AVX2 + FMA
// builds too, so name the macros.
std::string EigenVectorize() {
  std::string sets;
  auto add = [&sets](bool on, const char* name) {
    if (on) sets += std::string(sets.empty() ? "" : " ") + name;
  };
#ifdef EIGEN_VECTORIZE_AVX512
  add(true, "AVX512F");
#endif
#ifdef EIGEN_VECTORIZE_AVX2
  add(true, "AVX2");
#endif
#ifdef EIGEN_VECTORIZE_FMA
  add(true, "FMA");
#endif
#ifdef EIGEN_VECTORIZE_AVX
  add(true, "AVX");
#endif
  add(sets.empty(), "SSE only");
  return sets;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double Round4(double value) { return static_cast<double>(static_cast<int64_t>(value * 1e4 + 0.5)) / 1e4; }

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const std::string data_dir = argc > 2 ? argv[2] : "/usr/share/datasets/fashion-mnist";
  const std::set<std::string> wanted(argv + std::min(argc, 3), argv + argc);
  if (threads < 1) {
    std::fprintf(stderr, "usage: %s [threads>=1] [data_dir] [measurement...]\n", argv[0]);
    return 2;
  }
  omp_set_num_threads(threads);
  tbb::task_arena arena(threads);

  Data data;
  arena.execute([&] {
    data.images = stages::ReadIdxImages(data_dir + "/train-images-idx3-ubyte.gz").pixels;
  });
  std::cout << Json{{"impl", "ours"},
                    {"info",
                     {{"threads", threads},
                      {"eigen_simd", Eigen::SimdInstructionSetsInUse()},
                      {"eigen_vectorize", EigenVectorize()},
                      {"examples", data.images.rows()},
                      {"features", data.images.row_size()}}}}
                   .dump()
            << std::endl;

  for (const Measurement& measurement : Measurements(data)) {
    if (!wanted.empty() && wanted.count(measurement.name) == 0) continue;
    std::vector<double> runs, cpu;
    Json extra;
    for (int r = 0; r < EnvInt("PIPELINE_BENCH_WARMUP", 0); ++r) arena.execute(measurement.run);
    for (int r = 0; r < std::max(1, EnvInt("PIPELINE_BENCH_RUNS", 3)); ++r) {
      const Timing timing = Time([&] { extra = arena.execute(measurement.run); });
      runs.push_back(Round4(timing.wall));
      cpu.push_back(timing.cpu);
    }
    Json line{{"impl", "ours"},
              {"name", measurement.name},
              {"seconds", Median(runs)},
              {"cpu_seconds", Round4(Median(cpu))},
              {"runs", runs}};
    for (const auto& [key, value] : extra.items()) line[key] = value;
    std::cout << line.dump() << std::endl;
  }
  return 0;
}
