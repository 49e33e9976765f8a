// Orchestration overhead: a grid of 1,000 runs of trivial stages, end to end through the real
// runner (study parse, expansion, DAG, SQLite sync, TBB scheduling, artifact commits, writer),
// and the throughput of metric logging into SQLite. Reported next to what a Python sweep pays
// per job just to start its interpreter and import its libraries, measured on this machine.
//
//   build/orchestration_bench [runs=1000] [metric_rows=200000]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "pipeline/clock.h"
#include "pipeline/stage_registry.h"
#include "pipeline/study_runner.h"

namespace {

using pipeline::ParamSpec;
using pipeline::StageContext;
using pipeline::StageKind;
using pipeline::StageType;

std::vector<StageType> BenchStages() {
  StageType source;
  source.name = "source";
  source.kind = StageKind::kLoad;
  source.help = "eight numbers";
  source.run = [](StageContext& ctx) {
    pipeline::Tensor x(pipeline::DType::kFloat32, {8, 1});
    for (int i = 0; i < 8; ++i) x.f32()[i] = static_cast<float>(i);
    ctx.output().Put("x", std::move(x));
  };
  StageType affine;
  affine.name = "affine";
  affine.kind = StageKind::kReduce;
  affine.help = "a*x + b, logging `metrics` values";
  affine.min_inputs = affine.max_inputs = 1;
  affine.params = {ParamSpec::Float("a", 1.0, "scale"), ParamSpec::Float("b", 0.0, "shift"),
                   ParamSpec::Int("metrics", 1, "metric rows to log").Min(0)};
  affine.run = [](StageContext& ctx) {
    pipeline::Tensor x = ctx.FindInput("x");
    const double a = ctx.params().GetFloat("a"), b = ctx.params().GetFloat("b");
    for (int64_t i = 0; i < x.size(); ++i) x.f32()[i] = static_cast<float>(a * x.f32()[i] + b);
    for (int64_t step = 0; step < ctx.params().GetInt("metrics"); ++step) {
      ctx.Metric("value", step, a * step + b);
    }
    ctx.output().Put("x", std::move(x));
  };
  return {source, affine};
}

double Seconds(const std::chrono::steady_clock::time_point& start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double TimeStudy(const std::string& dir, const std::string& text, pipeline::StageRegistry& registry) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/bench.yaml") << text;
  pipeline::RunOptions options;
  options.db_path = dir + "/results.db";
  pipeline::SystemClock clock;
  FILE* sink = std::fopen("/dev/null", "w");
  const auto start = std::chrono::steady_clock::now();
  const auto code = pipeline::RunStudy(dir + "/bench.yaml", options, registry, clock, nullptr, sink);
  const double seconds = Seconds(start);
  std::fclose(sink);
  if (code != pipeline::ExitCode::kOk) {
    std::fprintf(stderr, "bench study failed\n");
    std::exit(1);
  }
  return seconds;
}

// Seconds for `python3 -c "<imports>"`, best of three; negative if it fails.
double PythonStartup(const std::string& imports) {
  double best = -1;
  for (int i = 0; i < 3; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const std::string command = "python3 -c \"" + imports + "\" >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) return -1;
    const double s = Seconds(start);
    best = best < 0 ? s : std::min(best, s);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int metric_rows = argc > 2 ? std::atoi(argv[2]) : 200000;
  pipeline::StageRegistry registry(BenchStages());
  const std::string dir =
      (std::filesystem::temp_directory_path() / "pipeline-orchestration-bench").string();

  const std::string grid = "stages:\n  data: {type: source}\n"
                           "  step: {type: affine, input: data, a: {range: [1, " +
                           std::to_string(runs) + "]}, metrics: 1}\n";
  const double cold = TimeStudy(dir, grid, registry);
  // The same study again in the same database: everything cached.
  std::ofstream(dir + "/bench.yaml") << grid;
  pipeline::RunOptions options;
  options.db_path = dir + "/results.db";
  pipeline::SystemClock clock;
  FILE* sink = std::fopen("/dev/null", "w");
  auto start = std::chrono::steady_clock::now();
  pipeline::RunStudy(dir + "/bench.yaml", options, registry, clock, nullptr, sink);
  const double warm = Seconds(start);
  std::fclose(sink);

  const std::string metrics = "stages:\n  data: {type: source}\n"
                              "  step: {type: affine, input: data, metrics: " +
                              std::to_string(metric_rows) + "}\n";
  const double with_metrics = TimeStudy(dir, metrics, registry);
  const double empty = TimeStudy(dir, "stages:\n  data: {type: source}\n"
                                      "  step: {type: affine, input: data, metrics: 0}\n",
                                 registry);
  const double metric_seconds = std::max(1e-9, with_metrics - empty);

  const double python = PythonStartup("import sys");
  const double python_numpy = PythonStartup("import numpy");
  const double python_sklearn = PythonStartup("import numpy, sklearn.cluster, sklearn.decomposition");

  const double per_run_ms = cold / runs * 1000;
  std::printf("orchestration benchmark (%d runs of a 2-stage chain, data stage shared)\n", runs);
  std::printf("  cold run of the grid:        %8.3f s  -> %8.0f runs/s, %.3f ms per run\n", cold,
              runs / cold, per_run_ms);
  std::printf("  re-run, all cached:          %8.3f s  -> %.3f ms per run\n", warm,
              warm / runs * 1000);
  std::printf("  metric logging:              %8d rows in %.3f s -> %.0f rows/s into SQLite\n",
              metric_rows, metric_seconds, metric_rows / metric_seconds);
  std::printf("\nper-job start-up of a Python sweep on this machine (best of 3):\n");
  auto peer = [&](const char* what, double s) {
    if (s < 0) {
      std::printf("  %-44s not available\n", what);
    } else {
      std::printf("  %-44s %8.3f s  = %6.0fx our per-run overhead\n", what, s, s * 1000 / per_run_ms);
    }
  };
  peer("python3 (interpreter only)", python);
  peer("python3 + import numpy", python_numpy);
  peer("python3 + import numpy, sklearn", python_sklearn);
  std::filesystem::remove_all(dir);
  return 0;
}
