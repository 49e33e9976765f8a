#include "stages/load/gmm_generator.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "pipeline/errors.h"
#include "tests/stages/stage_harness.h"
#include "tests/support/fake_clock.h"
#include "tests/support/memory_metric_sink.h"
#include "tests/support/temp_dir.h"

using stage_testing::InArena;
using stage_testing::StageHarness;

namespace {

stages::GmmGeneratorOptions LargeSample() {
  stages::GmmGeneratorOptions options;
  options.examples = 200000;
  options.dims = 3;
  options.components = 4;
  return options;
}

}  // namespace

TEST_CASE("gmm_generator sample statistics match the true weights, means and variances",
          "[gmm_generator]") {
  const stages::GmmGeneratorOptions options = LargeSample();
  const stages::GmmGeneratorSample sample =
      InArena(2, [&] { return stages::SampleGmm(options, pipeline::Rng(7)); });
  const stages::GmmGeneratorTruth& truth = sample.truth;
  REQUIRE(truth.weights.size() == 4);
  double total = 0;
  for (double weight : truth.weights) total += weight;
  CHECK(total == Approx(1.0).epsilon(1e-12));
  CHECK(truth.means.cwiseAbs().maxCoeff() <= 10.0);
  CHECK(truth.variances.minCoeff() >= 0.5);
  CHECK(truth.variances.maxCoeff() < 3.0);

  const auto n = static_cast<double>(options.examples);
  for (int32_t k = 0; k < 4; ++k) {
    INFO("component " << k);
    Eigen::RowVectorXd sum = Eigen::RowVectorXd::Zero(3);
    Eigen::RowVectorXd squares = Eigen::RowVectorXd::Zero(3);
    double count = 0;
    for (Eigen::Index i = 0; i < sample.x.rows(); ++i) {
      if (sample.labels[static_cast<size_t>(i)] != k) continue;
      const Eigen::RowVectorXd point = sample.x.row(i).cast<double>();
      sum += point;
      squares += point.cwiseProduct(point);
      count += 1;
    }
    // Binomial standard error of a weight is at most sqrt(0.25 / n) ~ 0.0011.
    CHECK(count / n == Approx(truth.weights[static_cast<size_t>(k)]).margin(0.006));
    const Eigen::RowVectorXd mean = sum / count;
    const Eigen::RowVectorXd variance = squares / count - mean.cwiseProduct(mean);
    for (int d = 0; d < 3; ++d) {
      // Standard error of the mean: sqrt(3 / count) <= 0.02 for count >= 7500.
      CHECK(mean(d) == Approx(truth.means(k, d)).margin(0.1));
      CHECK(variance(d) == Approx(truth.variances(k, d)).epsilon(0.06));
    }
  }
}

TEST_CASE("gmm_generator uses given weights and draws the same data for a seed on any threads",
          "[gmm_generator][determinism]") {
  stages::GmmGeneratorOptions options;
  options.examples = 5000;
  options.weights = {0.5, 0.3, 0.2};
  const auto draw = [&] { return stages::SampleGmm(options, pipeline::Rng(3)); };
  const stages::GmmGeneratorSample one = InArena(1, draw);
  const stages::GmmGeneratorSample two = InArena(2, draw);
  CHECK(one.truth.weights == std::vector<double>{0.5, 0.3, 0.2});
  CHECK(one.labels == two.labels);
  CHECK(one.x == two.x);
  CHECK(one.truth.means == two.truth.means);
  const stages::GmmGeneratorSample other = stages::SampleGmm(options, pipeline::Rng(4));
  CHECK(other.x != one.x);
  CHECK(other.truth.means != one.truth.means);
}

TEST_CASE("gmm_generator rejects invalid weights and variance ranges", "[gmm_generator]") {
  stages::GmmGeneratorOptions options;
  options.weights = {0.5, 0.5};
  CHECK_THROWS_WITH(stages::ValidateGmmGeneratorOptions(options),
                    Catch::Contains("'weights'") && Catch::Contains("2 entries"));
  options.weights = {0.5, 0.3, 0.1};
  CHECK_THROWS_WITH(stages::ValidateGmmGeneratorOptions(options), Catch::Contains("not 1"));
  options.weights = {1.2, -0.1, -0.1};
  CHECK_THROWS_WITH(stages::ValidateGmmGeneratorOptions(options), Catch::Contains(">= 0"));
  options.weights = {0.2, 0.3, 0.5 + 1e-7};
  CHECK_NOTHROW(stages::ValidateGmmGeneratorOptions(options));
  options.weights = {};
  options.min_variance = 2;
  options.max_variance = 1;
  CHECK_THROWS_AS(stages::ValidateGmmGeneratorOptions(options), pipeline::ConfigError);

  StageHarness harness(stages::GmmGeneratorStage());
  CHECK_THROWS_AS(harness.Run({{"weights", {0.5, "x", 0.5}}}), pipeline::ConfigError);
}

TEST_CASE("gmm_generator stage outputs the points, the truth tensors and its files",
          "[gmm_generator]") {
  const pipeline::StageType type = stages::GmmGeneratorStage();
  pipeline::Json values = pipeline::Json::object();
  for (const pipeline::ParamSpec& spec : type.params) values[spec.name] = spec.default_value;
  values["n"] = 50;
  values["components"] = 2;
  testing_support::TempDir out_dir;
  testing_support::FakeClock clock;
  testing_support::MemoryMetricSink metrics;
  pipeline::StageContext ctx(type, pipeline::Params(values), {}, 11, clock, 2, metrics,
                             out_dir.path(), nullptr);
  InArena(2, [&] {
    type.run(ctx);
    return 0;
  });

  const pipeline::Artifact& out = ctx.output();
  CHECK(out.Get("x").shape() == std::vector<int64_t>{50, 2});
  CHECK(out.Get("y").shape() == std::vector<int64_t>{50});
  CHECK(out.Get("ids").ToIntVector().back() == 49);
  CHECK(out.Get("true_weights").shape() == std::vector<int64_t>{2});
  CHECK(out.Get("true_means").shape() == std::vector<int64_t>{2, 2});
  CHECK(out.Get("true_variances").dtype() == pipeline::DType::kFloat64);
  CHECK(out.meta()["classes"] == 2);
  CHECK(metrics.Values("examples") == std::vector<double>{50});

  // The stage draws exactly what SampleGmm draws from the context's rng.
  stages::GmmGeneratorOptions options;
  options.examples = 50;
  options.components = 2;
  const stages::GmmGeneratorSample expected = stages::SampleGmm(options, pipeline::Rng(ctx.seed()));
  CHECK(out.Get("y").ToIntVector() == expected.labels);

  REQUIRE(ctx.files().size() == 2);
  std::ifstream truth_file(out_dir.File("truth.json"));
  const pipeline::Json truth = pipeline::Json::parse(truth_file);
  CHECK(truth["weights"][1].get<double>() == out.Get("true_weights").f64()[1]);
  CHECK(truth["means"][1][0].get<double>() == out.Get("true_means").f64()[2]);
  CHECK(truth["variances"][0][1].get<double>() == out.Get("true_variances").f64()[1]);

  std::ifstream csv(out_dir.File("gmm_dataset.csv"));
  std::string header;
  std::getline(csv, header);
  CHECK(header == "x0,x1,component");
  std::string row;
  std::getline(csv, row);
  std::ostringstream first;
  first.precision(9);
  first << out.Get("x").f32()[0] << "," << out.Get("x").f32()[1] << ","
        << out.Get("y").i32()[0];
  CHECK(row == first.str());
  int rows = 1;
  while (std::getline(csv, row)) ++rows;
  CHECK(rows == 50);
}
