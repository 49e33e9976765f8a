#include "stages/reduce/tsne_stage.h"

#include <string>
#include <vector>

#include "stages/common/scatter_plot.h"
#include "stages/reduce/tsne.h"

namespace stages {
namespace {

void RunTsneStage(pipeline::StageContext& ctx) {
  const pipeline::Params& params = ctx.params();
  TsneOptions options;
  options.dims = static_cast<int>(params.GetInt("dims"));
  options.perplexity = params.GetFloat("perplexity");
  options.learning_rate = params.GetFloat("learning_rate");
  options.iterations = params.GetInt("iterations");
  options.theta = params.GetFloat("theta");
  options.early_exaggeration = params.GetFloat("early_exaggeration");
  options.init = params.GetString("init") == "random" ? TsneInit::kRandom : TsneInit::kPca;

  TsneCallbacks callbacks;
  callbacks.on_iteration = [&ctx](int64_t) { ctx.CheckCancelled(); };
  callbacks.on_kl = [&ctx](int64_t iteration, double kl) {
    ctx.Metric("kl_divergence", iteration, kl);
  };
  const pipeline::Tensor& x = ctx.FindInput("x");
  const TsneResult result = RunTsne(x.MatrixF(), options, ctx.rng(), callbacks);
  const pipeline::RowMatrixXf embedding = result.embedding.cast<float>();

  pipeline::Artifact& out = ctx.output();
  for (const auto& [name, tensor] : ctx.input(0).tensors()) {
    if (name != "x") out.Put(name, tensor);
  }
  out.Put("x", pipeline::Tensor::FromMatrix(embedding));
  out.meta() = ctx.InputMeta();

  if (params.GetBool("plot") && options.dims == 2) {
    const pipeline::Tensor* labels = ctx.FindInputOrNull("y");
    WritePng(RenderScatterPlot(embedding, labels ? labels->ToIntVector() : std::vector<int32_t>{}),
             ctx.FilePath("tsne.png", "png"));
  }
}

}  // namespace

pipeline::StageType TsneStage() {
  using pipeline::ParamSpec;
  pipeline::StageType type;
  type.name = "tsne";
  type.kind = pipeline::StageKind::kReduce;
  type.help = "embed x in 2-D or 3-D with Barnes-Hut t-SNE (KL logged every 50 iterations)";
  type.code_version = 1;
  type.step_unit = "iteration";
  type.uses_rng = true;
  type.min_inputs = 1;
  type.max_inputs = 1;
  type.params = {
      ParamSpec::Int("dims", 2, "output dimensions").Min(2).Max(3),
      ParamSpec::Float("perplexity", 30.0, "effective number of neighbours (<= N - 1)").Min(1),
      ParamSpec::Float("learning_rate", 0.0, "gradient step; 0 = auto, max(N / 48, 50)").Min(0),
      ParamSpec::Int("iterations", 1000, "total iterations, the first 250 exaggerated").Min(250),
      ParamSpec::Float("theta", 0.5, "Barnes-Hut accuracy; 0 = exact O(N^2)").Min(0).Max(1),
      ParamSpec::Float("early_exaggeration", 12.0, "factor on P for the first 250 iterations")
          .Min(1),
      ParamSpec::String("init", "pca", "initial embedding, scaled to std 1e-4")
          .Choices({"pca", "random"}),
      ParamSpec::Bool("plot", true, "with dims = 2, write tsne.png coloured by y"),
  };
  type.run = RunTsneStage;
  return type;
}

}  // namespace stages
