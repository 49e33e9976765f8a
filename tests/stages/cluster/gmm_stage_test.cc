#include "stages/cluster/gmm_stage.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "pipeline/errors.h"
#include "tests/stages/stage_harness.h"
#include "tests/support/fake_clock.h"
#include "tests/support/memory_metric_sink.h"
#include "tests/support/temp_dir.h"

namespace {

// Two well-separated 2-D clusters: 30 examples around (-5, 0), 90 around (5, 1).
pipeline::Tensor TwoClusters() {
  pipeline::Rng rng(3);
  pipeline::Tensor x(pipeline::DType::kFloat32, {120, 2});
  auto matrix = x.MatrixF();
  for (Eigen::Index i = 0; i < 120; ++i) {
    const bool small = i < 30;
    matrix(i, 0) = static_cast<float>(rng.Normal(small ? -5.0 : 5.0, 0.5));
    matrix(i, 1) = static_cast<float>(rng.Normal(small ? 0.0 : 1.0, 1.0));
  }
  return x;
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream file(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("gmm stage outputs the model sorted by weight, per-iteration NLL and criteria",
          "[gmm_stage]") {
  std::vector<int32_t> labels(120);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = i < 30 ? 7 : 8;
  const pipeline::ArtifactPtr input = stage_testing::MakeArtifact(
      {{"x", TwoClusters()}, {"y", pipeline::Tensor::FromVector(labels)}});
  stage_testing::StageHarness harness(stages::GmmStage());
  const pipeline::Artifact& out = harness.Run({{"components", 2}}, {input});

  const pipeline::Tensor& weights = out.Get("gmm_weights");
  REQUIRE(weights.dtype() == pipeline::DType::kFloat64);
  REQUIRE(weights.shape() == std::vector<int64_t>{2});
  CHECK(weights.f64()[0] == Approx(0.25).margin(1e-6));  // lighter component first
  CHECK(weights.f64()[1] == Approx(0.75).margin(1e-6));
  CHECK(out.Get("gmm_means").shape() == std::vector<int64_t>{2, 2});
  CHECK(out.Get("gmm_means").MatrixD()(0, 0) == Approx(-5.0).margin(0.3));
  CHECK(out.Get("gmm_variances").shape() == std::vector<int64_t>{2, 2});
  CHECK_FALSE(out.Has("gmm_covariances"));
  const std::vector<int32_t> assignments = out.Get("assignments").ToIntVector();
  for (size_t i = 0; i < assignments.size(); ++i) CHECK(assignments[i] == (i < 30 ? 0 : 1));
  CHECK(out.Get("y").ToIntVector() == labels);
  CHECK(out.Has("x"));
  CHECK(out.meta()["covariance"] == "diag");

  const auto& metrics = harness.metrics();
  const std::vector<double> nll = metrics.Values("nll");
  const std::vector<double> iterations = metrics.Values("iterations");
  REQUIRE(iterations.size() == 1);
  CHECK(nll.size() == static_cast<size_t>(iterations[0]) + 1);
  CHECK(metrics.Values("converged") == std::vector<double>{1.0});
  // p = 1 + 4 + 4 = 9 parameters.
  CHECK(metrics.Values("parameters") == std::vector<double>{9.0});
  CHECK(metrics.Values("aic")[0] == Approx(2 * 120 * nll.back() + 18));
  CHECK(metrics.Values("bic")[0] == Approx(2 * 120 * nll.back() + 9 * std::log(120.0)));
}

TEST_CASE("gmm stage writes full covariances and a readable parameter table", "[gmm_stage]") {
  const pipeline::StageType type = stages::GmmStage();
  pipeline::Json values = pipeline::Json::object();
  for (const pipeline::ParamSpec& spec : type.params) values[spec.name] = spec.default_value;
  values["components"] = 2;
  values["covariance"] = "full";
  testing_support::FakeClock clock;
  testing_support::MemoryMetricSink metrics;
  testing_support::TempDir dir;
  pipeline::StageContext ctx(type, pipeline::Params(values),
                             {stage_testing::MakeArtifact({{"x", TwoClusters()}})}, 5, clock, 1,
                             metrics, dir.path(), nullptr);
  stage_testing::InArena(1, [&] { type.run(ctx); });

  const pipeline::Tensor& covariances = ctx.output().Get("gmm_covariances");
  REQUIRE(covariances.shape() == std::vector<int64_t>{2, 2, 2});
  CHECK(covariances.f64()[1] == covariances.f64()[2]);  // symmetric
  CHECK_FALSE(ctx.output().Has("gmm_variances"));
  REQUIRE(ctx.files().size() == 1);
  CHECK(ctx.files()[0].name == "gmm_parameters.csv");

  const std::vector<std::string> lines = ReadLines(dir.File("gmm_parameters.csv"));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "component,weight,mean_0,mean_1,var_0,var_1");
  double previous_weight = 0;
  for (size_t row = 1; row < lines.size(); ++row) {
    std::stringstream cells(lines[row]);
    std::vector<double> values_in_row;
    for (std::string cell; std::getline(cells, cell, ',');) values_in_row.push_back(std::stod(cell));
    REQUIRE(values_in_row.size() == 6);
    CHECK(values_in_row[0] == static_cast<double>(row - 1));
    CHECK(values_in_row[1] >= previous_weight);  // sorted by increasing weight
    previous_weight = values_in_row[1];
    // The variance columns are the covariance diagonal.
    const double* covariance = covariances.f64() + (row - 1) * 4;
    CHECK(values_in_row[4] == Approx(covariance[0]).epsilon(1e-8));
    CHECK(values_in_row[5] == Approx(covariance[3]).epsilon(1e-8));
  }
}

TEST_CASE("gmm stage rejects more components than examples", "[gmm_stage]") {
  stage_testing::StageHarness harness(stages::GmmStage());
  CHECK_THROWS_AS(
      harness.Run({{"components", 121}}, {stage_testing::MakeArtifact({{"x", TwoClusters()}})}),
      pipeline::StageError);
}
