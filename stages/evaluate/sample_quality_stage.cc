#include "stages/evaluate/sample_quality_stage.h"

#include <algorithm>
#include <cmath>

#include "pipeline/errors.h"
#include "stages/evaluate/sample_quality.h"
#include "stages/train/model_artifact.h"
#include "stages/train/nn/denormals.h"

namespace stages {
namespace {

// The features (the output of `layer`) and class probabilities (softmax of the network's
// output) of the first `limit` examples of `x`.
struct SetFeatures {
  Eigen::MatrixXd features;
  Eigen::MatrixXd probabilities;
};

SetFeatures Extract(pipeline::StageContext& ctx, nn::Network& network, const std::string& layer,
                    const pipeline::Tensor& x, int64_t limit, int64_t batch_size) {
  const int64_t n = limit > 0 ? std::min(limit, x.rows()) : x.rows();
  const int64_t row = x.row_size();
  const int64_t width = nn::Product(network.LayerOutputShape(layer));
  const int64_t classes = network.output_size();
  SetFeatures out{Eigen::MatrixXd(n, width), Eigen::MatrixXd(n, classes)};
  for (int64_t start = 0; start < n; start += batch_size) {
    ctx.CheckCancelled();
    const int64_t batch = std::min(batch_size, n - start);
    const float* logits = network.Forward(x.f32() + start * row, batch, /*training=*/false);
    const std::vector<float> features = network.LayerOutput(layer);
    for (int64_t i = 0; i < batch; ++i) {
      for (int64_t j = 0; j < width; ++j) out.features(start + i, j) = features[i * width + j];
      const float* z = logits + i * classes;
      const double top = *std::max_element(z, z + classes);
      double sum = 0;
      for (int64_t c = 0; c < classes; ++c) sum += std::exp(static_cast<double>(z[c]) - top);
      for (int64_t c = 0; c < classes; ++c) {
        out.probabilities(start + i, c) = std::exp(static_cast<double>(z[c]) - top) / sum;
      }
    }
  }
  return out;
}

void RunSampleQuality(pipeline::StageContext& ctx) {
  const int64_t batch_size = ctx.params().GetInt("batch_size");
  ModelAndData inputs = SplitModelInputs(ctx, /*model_required=*/true);
  if (inputs.data.size() != 2) {
    throw pipeline::StageError("sample_quality: expected a classifier, a candidate set and a "
                               "reference set, got " +
                               std::to_string(inputs.data.size()) + " data sets");
  }
  const ModelDescription model = ReadModel(*inputs.model);
  if (!ModelObjective(model)->has_accuracy()) {
    throw pipeline::StageError("sample_quality: the model is not a classifier (task " +
                               model.task + "); train one on the real images first");
  }
  std::unique_ptr<nn::Network> network = LoadNetwork(*inputs.model, batch_size);
  std::string layer = ctx.params().GetString("layer");
  if (layer.empty()) {
    const std::vector<nn::LayerInfo> layers = network->Summary();
    if (layers.size() < 2) {
      throw pipeline::StageError("sample_quality: the classifier has one layer; name a feature "
                                 "layer with `layer`");
    }
    layer = layers[layers.size() - 2].name;
  }
  const pipeline::Tensor& candidate = inputs.data[0]->Get("x");
  const pipeline::Tensor& reference = inputs.data[1]->Get("x");
  for (const pipeline::Tensor* x : {&candidate, &reference}) {
    if (x->row_size() != network->input_size()) {
      throw pipeline::StageError("sample_quality: a data set has " +
                                 std::to_string(x->row_size()) +
                                 " values per example, the classifier takes " +
                                 std::to_string(network->input_size()));
    }
  }
  const nn::ScopedFlushDenormals flush_denormals;  // as in training (denormals.h)
  nn::FlushDenormalsInOpenMpThreads();
  const int64_t limit = ctx.params().GetInt("max_examples");
  const SetFeatures a = Extract(ctx, *network, layer, candidate, limit, batch_size);
  const SetFeatures b = Extract(ctx, *network, layer, reference, limit, batch_size);
  if (a.features.rows() < 2 || b.features.rows() < 2) {
    throw pipeline::StageError("sample_quality: each set needs at least two examples");
  }
  const double distance = FrechetDistance(FitGaussian(a.features), FitGaussian(b.features));
  const double score = ClassEntropyScore(a.probabilities);
  ctx.Metric("frechet_distance", distance);
  ctx.Metric("class_entropy_score", score);
  ctx.Metric("reference_class_entropy_score", ClassEntropyScore(b.probabilities));
  ctx.Metric("feature_size", static_cast<double>(a.features.cols()));
  ctx.Metric("candidate_examples", static_cast<double>(a.features.rows()));
  ctx.Metric("reference_examples", static_cast<double>(b.features.rows()));
  ctx.output().meta() = {{"frechet_distance", distance},
                         {"class_entropy_score", score},
                         {"feature_layer", layer}};
}

}  // namespace

pipeline::StageType SampleQualityStage() {
  using pipeline::ParamSpec;
  pipeline::StageType type;
  type.name = "sample_quality";
  type.kind = pipeline::StageKind::kEvaluate;
  type.help = "Frechet distance and class-entropy score of a candidate image set against a "
              "reference set, in the features of a classifier trained in the study";
  type.code_version = 2;  // 2: a network that starts with flatten runs its first inner product on 2-D rows; BCE in float
  type.uses_rng = false;
  type.min_inputs = 3;
  type.max_inputs = 3;
  type.params = {
      ParamSpec::String("layer", "", "the classifier layer whose output are the features "
                                     "(empty: the layer before the last)"),
      ParamSpec::Int("max_examples", 0, "use the first this many examples of each set (0: all)")
          .Min(0),
      ParamSpec::Int("batch_size", 500, "examples per forward pass").Min(1),
  };
  type.run = RunSampleQuality;
  return type;
}

}  // namespace stages
