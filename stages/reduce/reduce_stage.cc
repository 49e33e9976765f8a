#include "stages/reduce/reduce_stage.h"

#include <vector>

#include "stages/common/scatter_plot.h"
#include "stages/reduce/pca.h"

namespace stages {
namespace {

std::vector<double> ToStdVector(const Eigen::VectorXd& values) {
  return std::vector<double>(values.data(), values.data() + values.size());
}

void RunPca(pipeline::StageContext& ctx) {
  const pipeline::Params& params = ctx.params();
  PcaOptions options;
  options.components = params.GetInt("components");
  options.solver = ParsePcaSolver(params.GetString("solver"));
  options.power_iterations = params.GetInt("n_iter");
  options.oversamples = params.GetInt("n_oversamples");
  const bool whiten = params.GetBool("whiten");

  const pipeline::Artifact& fit_on = ctx.input(0);
  const pipeline::Artifact& apply_to = ctx.input(ctx.num_inputs() - 1);
  const pipeline::Tensor& fit_x = fit_on.Get("x");
  const pipeline::Tensor& apply_x = apply_to.Get("x");

  const PcaSolver solver = ResolvePcaSolver(options.solver, fit_x.rows(), fit_x.row_size(),
                                            options.components);
  const PcaModel model = FitPca(fit_x.MatrixF(), options, ctx.rng());
  pipeline::Artifact& out = ctx.output();
  for (const auto& [name, tensor] : apply_to.tensors()) {
    if (name != "x") out.Put(name, tensor);
  }
  const pipeline::RowMatrixXf projected = PcaTransform(model, apply_x.MatrixF(), whiten);
  if (params.GetBool("plot") && options.components == 2) {
    const pipeline::Tensor* labels = apply_to.Find("y");
    WritePng(RenderScatterPlot(projected, labels ? labels->ToIntVector() : std::vector<int32_t>{}),
             ctx.FilePath("pca.png", "png"));
  }
  out.Put("x", pipeline::Tensor::FromMatrix(projected));
  out.Put("pca_mean", pipeline::Tensor::FromVector(ToStdVector(model.mean)));
  out.Put("pca_components", pipeline::Tensor::FromMatrix(model.components));
  out.Put("pca_explained_variance",
          pipeline::Tensor::FromVector(ToStdVector(model.explained_variance)));
  out.meta() = ctx.num_inputs() == 1 ? ctx.InputMeta() : apply_to.meta();
  out.meta()["pca_solver"] = PcaSolverName(solver);

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
  type.help = "project x onto its leading principal components (exact or randomized PCA; "
              "a second input is projected with the model fitted on the first)";
  // 2: float32 covariance blocks, the randomized solver, the solver parameter and uses_rng.
  type.code_version = 2;
  type.step_unit = "component";  // explained_variance_ratio by component
  type.uses_rng = true;
  type.min_inputs = 1;
  type.max_inputs = 2;
  type.params = {
      ParamSpec::Int("components", 2, "number of principal components kept (<= features)").Min(1),
      ParamSpec::Bool("whiten", false, "scale each component to unit variance"),
      ParamSpec::Bool("plot", true, "with components = 2, write pca.png coloured by y"),
      ParamSpec::String("solver", "auto",
                        "exact (covariance eigenvectors), randomized (Halko et al. 2011) or "
                        "auto (randomized when max(N,D) > 500 and components < 0.8 min(N,D))")
          .Choices({"auto", "exact", "randomized"}),
      ParamSpec::Int("n_iter", -1,
                     "randomized: power iterations; -1 = auto (7 if components < 0.1 min(N,D), "
                     "else 4)")
          .Min(-1),
      ParamSpec::Int("n_oversamples", 10, "randomized: extra random directions beyond components")
          .Min(0),
  };
  type.run = RunPca;
  return type;
}

}  // namespace stages
