#include "stages/train/encode_stage.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "pipeline/errors.h"
#include "stages/common/raster.h"
#include "stages/train/model_artifact.h"
#include "stages/train/nn/denormals.h"

namespace stages {
namespace {

// Two rows per group of up to 12 examples: originals, then their reconstructions.
void DrawReconstructions(const std::string& path, const pipeline::Tensor& x,
                         const std::vector<float>& reconstructions, int64_t count) {
  const int h = static_cast<int>(x.shape()[2]), w = static_cast<int>(x.shape()[3]);
  const int scale = 2, columns = 12, gap = 4;
  const int groups = static_cast<int>((count + columns - 1) / columns);
  const int tile_w = w * scale + gap, tile_h = h * scale + gap;
  RgbImage image(columns * tile_w + gap, groups * (2 * tile_h + 3 * gap) + gap);
  for (int64_t k = 0; k < count; ++k) {
    const int x0 = gap + static_cast<int>(k % columns) * tile_w;
    const int y0 = gap + static_cast<int>(k / columns) * (2 * tile_h + 3 * gap);
    DrawGrey(image, x0, y0, x.f32() + k * x.row_size(), h, w, scale);
    DrawGrey(image, x0, y0 + tile_h, reconstructions.data() + k * x.row_size(), h, w, scale);
  }
  WritePng(image, path);
}

void RunEncode(pipeline::StageContext& ctx) {
  const int64_t batch_size = ctx.params().GetInt("batch_size");
  ModelAndData inputs = OpenModelAndData(ctx, batch_size);
  const ModelDescription& model = inputs.description;
  std::string layer = ctx.params().GetString("layer");
  if (layer.empty()) layer = model.latent;
  if (layer.empty()) {
    throw pipeline::ConfigError("encode.layer: the model names no latent layer (train's "
                                "`latent`); say which layer's output to use");
  }
  const pipeline::Artifact& data = *inputs.data[0];
  const pipeline::Tensor& x = data.Get("x");
  nn::Network* network = inputs.network.get();
  const nn::ScopedFlushDenormals flush_denormals;  // as in training (denormals.h)
  nn::FlushDenormalsInOpenMpThreads();
  const int64_t n = x.rows(), row = x.row_size();
  const int64_t width = nn::Product(network->LayerOutputShape(layer));
  const std::unique_ptr<TrainingObjective> objective = ModelObjective(model);
  const bool autoencoder = objective->reconstructs();
  const int64_t pictures = autoencoder ? std::min<int64_t>(n, ctx.params().GetInt("pictures")) : 0;
  const int64_t examples = autoencoder ? std::min<int64_t>(n, ctx.params().GetInt("examples")) : 0;
  const pipeline::Tensor* ids = data.Find("ids");

  pipeline::Tensor latent(pipeline::DType::kFloat32, {n, width});
  std::vector<float> reconstructions(static_cast<size_t>(pictures * row));
  double squared_error = 0;
  for (int64_t start = 0; start < n; start += batch_size) {
    ctx.CheckCancelled();
    const int64_t batch = std::min(batch_size, n - start);
    const float* input = x.f32() + start * row;
    const float* output = network->Forward(input, batch, /*training=*/false);
    if (autoencoder) {
      for (int64_t i = 0; i < batch; ++i) {
        double example_error = 0;
        for (int64_t j = 0; j < row; ++j) {
          const float value = objective->Reconstruction(output[i * row + j]);
          const double d = static_cast<double>(value) - input[i * row + j];
          example_error += d * d;
          if (start + i < pictures) reconstructions[static_cast<size_t>((start + i) * row + j)] = value;
        }
        squared_error += example_error;
        if (start + i < examples) {
          ctx.Metric("example_mse", ids ? ids->i32()[start + i] : start + i,
                     example_error / static_cast<double>(row));
        }
      }
    }
    const std::vector<float> codes = network->LayerOutput(layer);
    std::copy(codes.begin(), codes.end(), latent.f32() + start * width);
  }
  if (autoencoder) {
    ctx.Metric("reconstruction_mse", squared_error / static_cast<double>(n * row));
    if (pictures > 0 && x.shape().size() == 4 && x.shape()[1] == 1) {
      DrawReconstructions(ctx.FilePath("reconstructions.png", "png"), x, reconstructions,
                          pictures);
    }
  }
  ctx.Metric("latent_size", static_cast<double>(width));

  pipeline::Artifact& out = ctx.output();
  out.meta() = data.meta();
  out.meta()["encoded_by"] = layer;
  out.Put("x", std::move(latent));
  for (const char* name : {"y", "ids"}) {
    if (const pipeline::Tensor* tensor = data.Find(name)) out.Put(name, *tensor);
  }
}

}  // namespace

pipeline::StageType EncodeStage() {
  using pipeline::ParamSpec;
  pipeline::StageType type;
  type.name = "encode";
  type.kind = pipeline::StageKind::kReduce;
  type.help = "a trained network's layer output as features (e.g. an autoencoder's latent "
              "code), with reconstruction error and pictures for autoencoders";
  type.code_version = 3;  // 2: a network that starts with flatten runs its first inner product on 2-D rows; BCE in float. 3: Winograd convolutions (algorithm auto), batch norm of feature vectors on the JIT kernel, our own weight gradient for one-channel convolutions in nChw8c
  type.uses_rng = false;
  type.min_inputs = 2;
  type.max_inputs = 2;
  type.params = {
      ParamSpec::String("layer", "", "layer whose output becomes x; empty: the model's latent"),
      ParamSpec::Int("batch_size", 500, "examples per forward pass").Min(1),
      ParamSpec::Int("examples", 2, "autoencoders: examples whose own reconstruction error is "
                                    "recorded (example_mse, step = id)")
          .Min(0),
      ParamSpec::Int("pictures", 24, "autoencoders: examples drawn in reconstructions.png")
          .Min(0),
  };
  type.run = RunEncode;
  return type;
}

}  // namespace stages
