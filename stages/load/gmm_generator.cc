#include "stages/load/gmm_generator.h"

// Implementation notes
// - Dirichlet weights: if G_k ~ Gamma(alpha, 1) independently, (G_1, ..., G_K) / sum G is
//   Dirichlet(alpha, ..., alpha) (Devroye 1986, "Non-Uniform Random Variate Generation",
//   ch. XI.4). For the integer alpha = 2, Gamma(2, 1) is the sum of two Exp(1) variates,
//   -ln(U1) - ln(U2), so no general Gamma sampler is needed. alpha = 2 (rather than 1, the
//   uniform simplex) makes near-empty components unlikely, which EM studies need.
// - A point's component is drawn by inverting the cumulative weights with one uniform; its
//   coordinates are mu + sigma * z with z standard normal, dimension by dimension.
// - Points are drawn in fixed blocks (ForEachRowBlock), each point from its own Fork(i + 1),
//   so the sample is identical for any thread count.

#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>

#include "pipeline/errors.h"
#include "stages/common/row_blocks.h"

namespace stages {
namespace {

constexpr int64_t kBlockRows = 1024;
constexpr double kWeightTolerance = 1e-6;

// One Gamma(2, 1) variate: the sum of two Exp(1) variates; 1 - U lies in (0, 1], so log is finite.
double Gamma2(pipeline::Rng& rng) {
  return -std::log(1.0 - rng.Uniform()) - std::log(1.0 - rng.Uniform());
}

int32_t PickComponent(const std::vector<double>& cumulative, double u) {
  for (size_t k = 0; k < cumulative.size(); ++k) {
    if (u < cumulative[k]) return static_cast<int32_t>(k);
  }
  // u >= the rounded total: take the last component with a non-zero weight.
  size_t k = cumulative.size() - 1;
  while (k > 0 && cumulative[k] == cumulative[k - 1]) --k;
  return static_cast<int32_t>(k);
}

pipeline::Json MatrixJson(const pipeline::RowMatrixXd& matrix) {
  pipeline::Json rows = pipeline::Json::array();
  for (Eigen::Index r = 0; r < matrix.rows(); ++r) {
    rows.push_back(std::vector<double>(matrix.row(r).data(), matrix.row(r).data() + matrix.cols()));
  }
  return rows;
}

void WriteTruthJson(const std::string& path, const GmmGeneratorTruth& truth) {
  const pipeline::Json json = {{"weights", truth.weights},
                               {"means", MatrixJson(truth.means)},
                               {"variances", MatrixJson(truth.variances)}};
  std::ofstream out(path);
  out << json.dump(2) << "\n";
  if (!out) throw pipeline::StageError("cannot write " + path);
}

void WriteDatasetCsv(const std::string& path, const GmmGeneratorSample& sample) {
  std::ofstream out(path);
  for (Eigen::Index d = 0; d < sample.x.cols(); ++d) out << "x" << d << ",";
  out << "component\n";
  char number[32];
  for (Eigen::Index i = 0; i < sample.x.rows(); ++i) {
    for (Eigen::Index d = 0; d < sample.x.cols(); ++d) {
      // %.9g round-trips a float32 exactly.
      std::snprintf(number, sizeof(number), "%.9g", static_cast<double>(sample.x(i, d)));
      out << number << ",";
    }
    out << sample.labels[static_cast<size_t>(i)] << "\n";
  }
  if (!out) throw pipeline::StageError("cannot write " + path);
}

GmmGeneratorOptions OptionsFromParams(const pipeline::Params& params) {
  GmmGeneratorOptions options;
  options.examples = params.GetInt("n");
  options.dims = params.GetInt("dims");
  options.components = params.GetInt("components");
  for (const pipeline::Json& weight : params.Get("weights")) {
    if (!weight.is_number()) {
      throw pipeline::ConfigError("weights must be numbers, got " + weight.dump(), "", 0, 0,
                                  "weights");
    }
    options.weights.push_back(weight.get<double>());
  }
  options.mean_box = params.GetFloat("mean_box");
  options.min_variance = params.GetFloat("min_variance");
  options.max_variance = params.GetFloat("max_variance");
  return options;
}

void RunGmmGenerator(pipeline::StageContext& ctx) {
  const GmmGeneratorOptions options = OptionsFromParams(ctx.params());
  const GmmGeneratorSample sample = SampleGmm(options, ctx.rng());
  std::vector<int32_t> ids(sample.labels.size());
  std::iota(ids.begin(), ids.end(), 0);

  pipeline::Artifact& out = ctx.output();
  out.Put("x", pipeline::Tensor::FromMatrix(sample.x));
  out.Put("y", pipeline::Tensor::FromVector(sample.labels));
  out.Put("ids", pipeline::Tensor::FromVector(ids));
  out.Put("true_weights", pipeline::Tensor::FromVector(sample.truth.weights));
  out.Put("true_means", pipeline::Tensor::FromMatrix(sample.truth.means));
  out.Put("true_variances", pipeline::Tensor::FromMatrix(sample.truth.variances));
  out.meta()["classes"] = options.components;
  out.meta()["components"] = options.components;
  out.meta()["dims"] = options.dims;

  WriteTruthJson(ctx.FilePath("truth.json", "json"), sample.truth);
  if (ctx.params().GetBool("write_csv")) {
    WriteDatasetCsv(ctx.FilePath("gmm_dataset.csv", "csv"), sample);
  }
  ctx.Metric("examples", static_cast<double>(options.examples));
}

}  // namespace

void ValidateGmmGeneratorOptions(const GmmGeneratorOptions& options) {
  if (!(options.min_variance > 0.0)) {
    throw pipeline::ConfigError("min_variance must be > 0", "", 0, 0, "min_variance");
  }
  if (options.max_variance < options.min_variance) {
    throw pipeline::ConfigError("max_variance must be >= min_variance", "", 0, 0,
                                "max_variance");
  }
  if (options.weights.empty()) return;
  if (static_cast<int64_t>(options.weights.size()) != options.components) {
    throw pipeline::ConfigError("weights has " + std::to_string(options.weights.size()) +
                                    " entries but components is " +
                                    std::to_string(options.components),
                                "", 0, 0, "weights");
  }
  double total = 0.0;
  for (double weight : options.weights) {
    if (!(weight >= 0.0)) {
      throw pipeline::ConfigError("weights must be >= 0", "", 0, 0, "weights");
    }
    total += weight;
  }
  if (std::abs(total - 1.0) > kWeightTolerance) {
    throw pipeline::ConfigError("weights sum to " + std::to_string(total) +
                                    ", not 1 (within 1e-6)",
                                "", 0, 0, "weights");
  }
}

GmmGeneratorTruth DrawGmmTruth(const GmmGeneratorOptions& options, const pipeline::Rng& rng) {
  pipeline::Rng truth_rng = rng.Fork(0);
  const auto components = static_cast<size_t>(options.components);
  GmmGeneratorTruth truth;
  truth.weights = options.weights;
  if (truth.weights.empty()) {
    for (size_t k = 0; k < components; ++k) truth.weights.push_back(Gamma2(truth_rng));
  }
  const double total = std::accumulate(truth.weights.begin(), truth.weights.end(), 0.0);
  for (double& weight : truth.weights) weight /= total;

  truth.means.resize(options.components, options.dims);
  truth.variances.resize(options.components, options.dims);
  for (Eigen::Index k = 0; k < truth.means.rows(); ++k) {
    for (Eigen::Index d = 0; d < truth.means.cols(); ++d) {
      truth.means(k, d) = truth_rng.Uniform(-options.mean_box, options.mean_box);
      truth.variances(k, d) = truth_rng.Uniform(options.min_variance, options.max_variance);
    }
  }
  return truth;
}

GmmGeneratorSample SampleGmm(const GmmGeneratorOptions& options, const pipeline::Rng& rng) {
  ValidateGmmGeneratorOptions(options);
  GmmGeneratorSample sample;
  sample.truth = DrawGmmTruth(options, rng);
  std::vector<double> cumulative(sample.truth.weights.size());
  std::partial_sum(sample.truth.weights.begin(), sample.truth.weights.end(), cumulative.begin());
  // std::sqrt is correctly rounded everywhere; Eigen's vectorised cwiseSqrt may use an
  // approximate reciprocal square root plus Newton steps on AVX-512, which would make the data
  // depend on the machine.
  pipeline::RowMatrixXd deviations(options.components, options.dims);
  for (Eigen::Index k = 0; k < deviations.rows(); ++k) {
    for (Eigen::Index d = 0; d < deviations.cols(); ++d) {
      deviations(k, d) = std::sqrt(sample.truth.variances(k, d));
    }
  }

  sample.x.resize(options.examples, options.dims);
  sample.labels.resize(static_cast<size_t>(options.examples));
  ForEachRowBlock(options.examples, kBlockRows, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      pipeline::Rng point_rng = rng.Fork(static_cast<uint64_t>(i) + 1);
      const int32_t k = PickComponent(cumulative, point_rng.Uniform());
      sample.labels[static_cast<size_t>(i)] = k;
      for (int64_t d = 0; d < options.dims; ++d) {
        sample.x(i, d) = static_cast<float>(
            point_rng.Normal(sample.truth.means(k, d), deviations(k, d)));
      }
    }
  });
  return sample;
}

pipeline::StageType GmmGeneratorStage() {
  using pipeline::ParamSpec;
  pipeline::StageType type;
  type.name = "gmm_generator";
  type.kind = pipeline::StageKind::kLoad;
  type.help = "seeded points from a diagonal Gaussian mixture with known weights, means, variances";
  type.code_version = 1;
  type.uses_rng = true;
  type.min_inputs = 0;
  type.max_inputs = 0;
  type.params = {
      ParamSpec::Int("n", 2000, "number of points").Min(1),
      ParamSpec::Int("dims", 2, "dimensions").Min(1),
      ParamSpec::Int("components", 3, "number of mixture components").Min(1),
      ParamSpec::List("weights", pipeline::Json::array(),
                      "the K mixture weights, >= 0 and summing to 1 within 1e-6 (renormalised "
                      "to exactly 1); []: drawn from a symmetric Dirichlet(2)")
          .Items(pipeline::ParamSpec::Float("weight", nullptr, "a mixture weight").Min(0)),
      ParamSpec::Float("mean_box", 10.0, "mean coordinates are uniform in [-box, box)").Min(0),
      ParamSpec::Float("min_variance", 0.5, "smallest per-dimension variance").Min(1e-12),
      ParamSpec::Float("max_variance", 3.0, "largest per-dimension variance").Min(1e-12),
      ParamSpec::Bool("write_csv", true, "also write the points as gmm_dataset.csv"),
  };
  type.run = RunGmmGenerator;
  // Weights that do not fit `components` or do not sum to 1, and min_variance > max_variance,
  // are known before anything runs.
  type.check = [](const pipeline::Params& params) {
    ValidateGmmGeneratorOptions(OptionsFromParams(params));
  };
  return type;
}

}  // namespace stages
