#include "stages/reduce/reduce_stage.h"

#include <vector>

#include "stages/reduce/pca.h"

namespace stages {
namespace {

std::vector<double> ToStdVector(const Eigen::VectorXd& values) {
  return std::vector<double>(values.data(), values.data() + values.size());
}

void RunPca(pipeline::StageContext& ctx) {
  const int64_t components = ctx.params().GetInt("components");
  const bool whiten = ctx.params().GetBool("whiten");
  const pipeline::Tensor& x = ctx.FindInput("x");

  const PcaModel model = FitPca(x.MatrixF(), components);
  pipeline::Artifact& out = ctx.output();
  for (const auto& [name, tensor] : ctx.input(0).tensors()) {
    if (name != "x") out.Put(name, tensor);
  }
  out.Put("x", pipeline::Tensor::FromMatrix(PcaTransform(model, x.MatrixF(), whiten)));
  out.Put("pca_mean", pipeline::Tensor::FromVector(ToStdVector(model.mean)));
  out.Put("pca_components", pipeline::Tensor::FromMatrix(model.components));
  out.Put("pca_explained_variance",
          pipeline::Tensor::FromVector(ToStdVector(model.explained_variance)));
  out.meta() = ctx.InputMeta();

  for (Eigen::Index c = 0; c < model.explained_variance_ratio.size(); ++c) {
    ctx.Metric("explained_variance_ratio", c, model.explained_variance_ratio(c));
  }
  ctx.Metric("explained_variance_total", model.explained_variance_ratio.sum());
}

}  // namespace

pipeline::StageType PcaStage() {
  using pipeline::ParamSpec;
  pipeline::StageType type;
  type.name = "pca";
  type.kind = pipeline::StageKind::kReduce;
  type.help = "project x onto its leading principal components (exact covariance PCA)";
  type.code_version = 1;
  type.uses_rng = false;
  type.min_inputs = 1;
  type.max_inputs = 1;
  type.params = {
      ParamSpec::Int("components", 2, "number of principal components kept (<= features)").Min(1),
      ParamSpec::Bool("whiten", false, "scale each component to unit variance"),
  };
  type.run = RunPca;
  return type;
}

}  // namespace stages
