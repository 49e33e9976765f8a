#include "stages/train/generate_stage.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/errors.h"
#include "stages/augment/image_grid.h"
#include "stages/train/model_artifact.h"
#include "stages/train/nn/denormals.h"

namespace stages {
namespace {

constexpr int64_t kGridSide = 8;

void RunGenerate(pipeline::StageContext& ctx) {
  const ModelAndData inputs = SplitModelInputs(ctx, /*model_required=*/true);
  if (!inputs.data.empty()) {
    throw pipeline::StageError("generate: expected only a trained model as input, got " +
                               std::to_string(inputs.data.size()) + " data sets besides");
  }
  const ModelDescription model = ReadModel(*inputs.model);
  const std::unique_ptr<TrainingObjective> objective = ModelObjective(model);
  const int64_t count = ctx.params().GetInt("count");
  const int64_t batch_size = std::min(count, ctx.params().GetInt("batch_size"));
  std::unique_ptr<nn::Network> network = LoadNetwork(*inputs.model, batch_size);
  const int64_t noise = objective->NoiseSize(*network);
  if (noise == 0) {
    throw pipeline::StageError("generate: the model was trained with task '" + model.task +
                               "', which does not generate samples (use task vae or gan)");
  }
  const nn::Dims shape = model.example_shape.empty() ? model.input_shape : model.example_shape;
  const int64_t size = network->output_size();
  if (nn::Product(shape) != size) {
    throw pipeline::StageError("generate: the model outputs " + std::to_string(size) +
                               " values per sample, its training images had " +
                               std::to_string(nn::Product(shape)));
  }
  std::vector<int64_t> out_shape = {count};
  out_shape.insert(out_shape.end(), shape.begin(), shape.end());
  pipeline::Tensor x(pipeline::DType::kFloat32, out_shape);

  const nn::ScopedFlushDenormals flush_denormals;  // as in training (denormals.h)
  nn::FlushDenormalsInOpenMpThreads();
  std::vector<float> z(static_cast<size_t>(batch_size * noise));
  for (int64_t start = 0; start < count; start += batch_size) {
    ctx.CheckCancelled();
    const int64_t batch = std::min(batch_size, count - start);
    // One stream per batch: the samples do not depend on how many are drawn after them.
    pipeline::Rng rng = ctx.rng().Fork(static_cast<uint64_t>(start));
    for (int64_t i = 0; i < batch * noise; ++i) z[static_cast<size_t>(i)] = static_cast<float>(rng.Normal());
    const float* out = objective->Generate(*network, z.data(), batch);
    float* dst = x.f32() + start * size;
    for (int64_t i = 0; i < batch * size; ++i) dst[i] = objective->Reconstruction(out[i]);
  }
  ctx.Metric("generated", static_cast<double>(count));

  const bool image = shape.size() == 3 && (shape[0] == 1 || shape[0] == 3);
  if (image && count >= kGridSide * kGridSide) {
    std::vector<std::vector<Image>> rows(kGridSide);
    for (int64_t k = 0; k < kGridSide * kGridSide; ++k) {
      Image cell(shape[0], shape[1], shape[2]);
      std::copy(x.f32() + k * size, x.f32() + (k + 1) * size, cell.pixels.begin());
      rows[static_cast<size_t>(k / kGridSide)].push_back(std::move(cell));
    }
    WriteImageGridPng(ctx.FilePath("samples.png", "png"), rows);
  }

  pipeline::Artifact& output = ctx.output();
  output.meta() = inputs.model->meta();
  output.meta().erase("model");
  output.meta().erase("training");
  output.meta()["generated_by"] = model.task;
  output.Put("x", std::move(x));
}

}  // namespace

pipeline::StageType GenerateStage() {
  using pipeline::ParamSpec;
  pipeline::StageType type;
  type.name = "generate";
  type.kind = pipeline::StageKind::kEvaluate;
  type.help = "samples of a trained generative model (task gan or vae) as a data set, e.g. "
              "for sample_quality";
  type.code_version = 2;  // 2: batch norm of feature vectors on the JIT kernel, Winograd convolutions
  type.uses_rng = true;
  type.min_inputs = 1;
  type.max_inputs = 1;
  type.params = {
      ParamSpec::Int("count", 10000, "samples to draw").Min(1).Max(10000000),
      ParamSpec::Int("batch_size", 500, "samples per forward pass").Min(1),
  };
  type.run = RunGenerate;
  return type;
}

}  // namespace stages
