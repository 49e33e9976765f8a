#include "stages/cluster/gmm_stage.h"

#include <fstream>
#include <vector>

#include "pipeline/errors.h"
#include "stages/cluster/gmm.h"
#include "stages/cluster/gmm_params.h"

namespace stages {
namespace {

std::vector<double> ToStdVector(const Eigen::VectorXd& values) {
  return std::vector<double>(values.data(), values.data() + values.size());
}

pipeline::Tensor CovarianceTensor(const GmmModel& model) {
  const int64_t components = model.components();
  const int64_t dims = model.dims();
  pipeline::Tensor tensor(pipeline::DType::kFloat64, {components, dims, dims});
  double* out = tensor.f64();
  for (int64_t k = 0; k < components; ++k) {
    const Eigen::MatrixXd& covariance = model.covariances[static_cast<size_t>(k)];
    for (int64_t row = 0; row < dims; ++row) {
      for (int64_t column = 0; column < dims; ++column) {
        *out++ = covariance(row, column);
      }
    }
  }
  return tensor;
}

void WriteParametersCsv(const std::string& path, const GmmModel& model) {
  std::ofstream file(path);
  file.precision(10);
  file << "component,weight";
  for (int64_t d = 0; d < model.dims(); ++d) file << ",mean_" << d;
  for (int64_t d = 0; d < model.dims(); ++d) file << ",var_" << d;
  file << "\n";
  for (int64_t k = 0; k < model.components(); ++k) {
    file << k << "," << model.weights(k);
    for (int64_t d = 0; d < model.dims(); ++d) file << "," << model.means(k, d);
    for (int64_t d = 0; d < model.dims(); ++d) file << "," << model.variances(k, d);
    file << "\n";
  }
  file.close();
  if (!file) throw pipeline::StageError("gmm: could not write " + path);
}

void RunGmm(pipeline::StageContext& ctx) {
  const GmmOptions options = GmmOptionsFromParams(ctx.params());
  const pipeline::Tensor& x = ctx.FindInput("x");

  GmmResult result = FitGmm(x.MatrixF(), options, ctx.rng(),
                            [&ctx](int64_t, int64_t, double) { ctx.CheckCancelled(); });
  SortComponentsByWeight(result);
  const GmmModel& model = result.model;

  pipeline::Artifact& out = ctx.output();
  for (const char* name : {"x", "y", "ids"}) {
    if (const pipeline::Tensor* tensor = ctx.FindInputOrNull(name)) out.Put(name, *tensor);
  }
  out.Put("assignments", pipeline::Tensor::FromVector(result.assignments));
  out.Put("gmm_weights", pipeline::Tensor::FromVector(ToStdVector(model.weights)));
  out.Put("gmm_means", pipeline::Tensor::FromMatrix(model.means));
  if (options.covariance == CovarianceType::kDiagonal) {
    out.Put("gmm_variances", pipeline::Tensor::FromMatrix(model.variances));
  } else {
    out.Put("gmm_covariances", CovarianceTensor(model));
  }
  out.meta() = ctx.InputMeta();
  out.meta()["components"] = options.components;
  out.meta()["covariance"] = CovarianceTypeName(options.covariance);
  out.meta()["converged"] = result.converged;
  out.meta()["nll"] = result.nll;
  out.meta()["aic"] = result.aic;
  out.meta()["bic"] = result.bic;
  WriteParametersCsv(ctx.FilePath("gmm_parameters.csv", "csv"), model);

  for (size_t step = 0; step < result.nll_history.size(); ++step) {
    ctx.Metric("nll", static_cast<int64_t>(step), result.nll_history[step]);
  }
  ctx.Metric("nll_total", result.total_nll);
  ctx.Metric("aic", result.aic);
  ctx.Metric("bic", result.bic);
  ctx.Metric("parameters", static_cast<double>(result.parameters));
  ctx.Metric("iterations", static_cast<double>(result.iterations));
  ctx.Metric("converged", result.converged ? 1.0 : 0.0);
  ctx.Metric("reseeds", static_cast<double>(result.reseed_iterations.size()));
}

}  // namespace

pipeline::StageType GmmStage() {
  pipeline::StageType type;
  type.name = "gmm";
  type.kind = pipeline::StageKind::kCluster;
  type.help = "Gaussian mixture of x fitted by EM (diagonal or full covariances), with AIC/BIC";
  // 3: the k-means initialisation sums its distances in a fixed order (last bits).
  type.code_version = 3;  // 2: greedy k-means++ in the k-means initialisation; convergence rule
  type.step_unit = "iteration";  // EM iterations
  type.uses_rng = true;
  type.min_inputs = 1;
  type.max_inputs = 1;
  type.params = GmmParamSpecs({"number of mixture components K", "EM iterations per restart",
                               "EM restarts; the lowest final NLL is kept"});
  type.run = RunGmm;
  return type;
}

}  // namespace stages
