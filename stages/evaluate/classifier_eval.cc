#include "stages/evaluate/classifier_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "pipeline/errors.h"
#include "stages/common/raster.h"
#include "stages/evaluate/classification_metrics.h"
#include "stages/train/model_artifact.h"
#include "stages/train/nn/denormals.h"
#include "stages/train/nn/loss.h"

namespace stages {
namespace {

std::string Percent(double fraction) {
  char text[16];
  std::snprintf(text, sizeof text, "%.0f", 100.0 * fraction);
  return text;
}

// Cells shaded by the row-normalised rate, with the rate in percent; class numbers on the axes
// (rows: true class, columns: predicted class).
void DrawConfusionPng(const std::string& path, const ConfusionMatrix& matrix) {
  const Eigen::MatrixXd rates = RowNormalized(matrix);
  const int n = static_cast<int>(matrix.classes.size());
  const int cell = 36, margin = 30, scale = 2;
  RgbImage image(margin + n * cell + 8, margin + n * cell + 8);
  for (int i = 0; i < n; ++i) {
    const std::string label = std::to_string(matrix.classes[static_cast<size_t>(i)]);
    const int text_w = TextWidth(label, scale);
    DrawText(image, margin + i * cell + (cell - text_w) / 2, 10, label, scale, {60, 60, 60});
    DrawText(image, margin - text_w - 8, margin + i * cell + (cell - 10) / 2, label, scale,
                    {60, 60, 60});
    for (int j = 0; j < n; ++j) {
      const double rate = rates(i, j);
      const int x = margin + j * cell, y = margin + i * cell;
      FillRect(image, x, y, cell - 1, cell - 1, BlueScale(std::sqrt(rate)));
      if (matrix.counts(i, j) > 0) {
        const std::string text = Percent(rate);
        const Rgb ink = rate > 0.3 ? Rgb{255, 255, 255} : Rgb{20, 20, 20};
        DrawText(image, x + (cell - TextWidth(text, scale)) / 2, y + (cell - 10) / 2,
                        text, scale, ink);
      }
    }
  }
  WritePng(image, path);
}

// Up to 60 misclassified images in rows of 10; under each, "true-predicted".
void DrawMisclassifiedPng(const std::string& path, const pipeline::Tensor& x,
                          const std::vector<int64_t>& rows, const std::vector<int32_t>& truth,
                          const std::vector<int32_t>& predicted) {
  const int64_t h = x.shape()[2], w = x.shape()[3];
  const int scale = 2, columns = 10;
  const int count = static_cast<int>(std::min<size_t>(rows.size(), 60));
  const int tile_w = static_cast<int>(w) * scale + 8, tile_h = static_cast<int>(h) * scale + 20;
  const int grid_rows = (count + columns - 1) / columns;
  RgbImage image(columns * tile_w, std::max(1, grid_rows) * tile_h);
  for (int k = 0; k < count; ++k) {
    const int64_t row = rows[static_cast<size_t>(k)];
    const int x0 = (k % columns) * tile_w + 4, y0 = (k / columns) * tile_h + 4;
    DrawGrey(image, x0, y0, x.f32() + row * x.row_size(), static_cast<int>(h),
                    static_cast<int>(w), scale);
    DrawText(image, x0, y0 + static_cast<int>(h) * scale + 3,
                    std::to_string(truth[row]) + "-" + std::to_string(predicted[row]), 2,
                    {180, 30, 30});
  }
  WritePng(image, path);
}

void WriteCsv(const std::string& path, const std::string& text) {
  std::ofstream file(path);
  file << text;
  file.close();
  if (!file) throw pipeline::StageError("evaluate: could not write " + path);
}

void RunEvaluate(pipeline::StageContext& ctx) {
  const int64_t batch_size = ctx.params().GetInt("batch_size");
  ModelAndData inputs = OpenModelAndData(ctx, batch_size);
  if (!ModelObjective(inputs.description)->has_accuracy()) {
    throw pipeline::StageError("evaluate: the model is an autoencoder; use the encode stage "
                               "for its reconstruction error and latent vectors");
  }
  const pipeline::Artifact& data = *inputs.data[0];
  const pipeline::Tensor& x = data.Get("x");
  const std::vector<int32_t> truth = data.Get("y").ToIntVector();
  nn::Network* network = inputs.network.get();

  const nn::ScopedFlushDenormals flush_denormals;  // as in training (denormals.h)
  nn::FlushDenormalsInOpenMpThreads();
  const int64_t n = x.rows(), classes = network->output_size();
  pipeline::Tensor probabilities(pipeline::DType::kFloat32, {n, classes});
  std::vector<int32_t> predicted(static_cast<size_t>(n));
  double loss_sum = 0;
  for (int64_t start = 0; start < n; start += batch_size) {
    ctx.CheckCancelled();
    const int64_t batch = std::min(batch_size, n - start);
    const float* logits = network->Forward(x.f32() + start * x.row_size(), batch, false);
    loss_sum += nn::SoftmaxCrossEntropy(logits, truth.data() + start, batch, classes, nullptr) *
                static_cast<double>(batch);
    const std::vector<int32_t> argmax = nn::ArgMax(logits, batch, classes);
    for (int64_t i = 0; i < batch; ++i) {
      predicted[static_cast<size_t>(start + i)] = argmax[static_cast<size_t>(i)];
      const float* z = logits + i * classes;
      float* p = probabilities.f32() + (start + i) * classes;
      const float top = *std::max_element(z, z + classes);
      double sum = 0;
      for (int64_t c = 0; c < classes; ++c) sum += std::exp(static_cast<double>(z[c] - top));
      for (int64_t c = 0; c < classes; ++c) {
        p[c] = static_cast<float>(std::exp(static_cast<double>(z[c] - top)) / sum);
      }
    }
  }

  std::vector<int32_t> known(static_cast<size_t>(classes));
  for (int64_t c = 0; c < classes; ++c) known[static_cast<size_t>(c)] = static_cast<int32_t>(c);
  const ConfusionMatrix confusion = BuildConfusionMatrix(truth, predicted, known);
  const Eigen::MatrixXd rates = RowNormalized(confusion);
  ctx.Metric("accuracy", Accuracy(confusion));
  ctx.Metric("error_rate", ErrorRate(confusion));
  ctx.Metric("loss", n ? loss_sum / static_cast<double>(n) : 0.0);
  for (const ClassAccuracy& entry : PerClassAccuracy(confusion)) {
    if (entry.support > 0) ctx.Metric("class_accuracy", entry.label, entry.accuracy);
  }
  const auto size = static_cast<Eigen::Index>(confusion.classes.size());
  for (Eigen::Index i = 0; i < size; ++i) {
    for (Eigen::Index j = 0; j < size; ++j) {
      const int64_t step = ConfusionStep(confusion.classes[static_cast<size_t>(i)],
                                         confusion.classes[static_cast<size_t>(j)]);
      ctx.Metric("confusion", step, rates(i, j));
      ctx.Metric("confusion_count", step, confusion.counts(i, j));
    }
  }
  WriteMatrixCsv(ctx.FilePath("confusion_matrix.csv", "csv"), confusion.classes, rates);
  DrawConfusionPng(ctx.FilePath("confusion_matrix.png", "png"), confusion);

  std::string pairs_csv = "true,predicted,count,rate\n";
  for (const ConfusedPair& pair : MostConfusedPairs(confusion, ctx.params().GetInt("pairs"))) {
    char line[96];
    std::snprintf(line, sizeof line, "%d,%d,%lld,%.6f\n", pair.truth, pair.predicted,
                  static_cast<long long>(pair.count), pair.rate);
    pairs_csv += line;
  }
  WriteCsv(ctx.FilePath("most_confused.csv", "csv"), pairs_csv);

  const pipeline::Tensor* ids = data.Find("ids");
  std::vector<int64_t> wrong_rows;
  std::string wrong_csv = "id,true,predicted,probability\n";
  const int64_t logged_limit = ctx.params().GetInt("misclassified_rows");
  for (int64_t i = 0; i < n; ++i) {
    if (predicted[static_cast<size_t>(i)] == truth[static_cast<size_t>(i)]) continue;
    const int64_t id = ids != nullptr ? ids->i32()[i] : i;
    if (static_cast<int64_t>(wrong_rows.size()) < logged_limit) {
      ctx.Metric("misclassified", id, predicted[static_cast<size_t>(i)]);
      ctx.Metric("misclassified_true", id, truth[static_cast<size_t>(i)]);
    }
    wrong_rows.push_back(i);
    char line[96];
    std::snprintf(line, sizeof line, "%lld,%d,%d,%.4f\n", static_cast<long long>(id),
                  truth[static_cast<size_t>(i)], predicted[static_cast<size_t>(i)],
                  probabilities.f32()[i * classes + predicted[static_cast<size_t>(i)]]);
    wrong_csv += line;
  }
  WriteCsv(ctx.FilePath("misclassified.csv", "csv"), wrong_csv);
  if (x.shape().size() == 4 && x.shape()[1] == 1 && !wrong_rows.empty()) {
    DrawMisclassifiedPng(ctx.FilePath("misclassified.png", "png"), x, wrong_rows, truth,
                         predicted);
  }

  pipeline::Artifact& out = ctx.output();
  out.Put("predictions", pipeline::Tensor::FromVector(predicted));
  out.Put("probabilities", std::move(probabilities));
  out.Put("y", data.Get("y"));
  if (ids != nullptr) out.Put("ids", *ids);
  out.meta() = data.meta();
}

}  // namespace

pipeline::StageType EvaluateStage() {
  using pipeline::ParamSpec;
  pipeline::StageType type;
  type.name = "evaluate";
  type.kind = pipeline::StageKind::kEvaluate;
  type.help = "score a trained classifier on a labelled set: accuracy, per-class accuracy, "
              "confusion matrix (rows and PNG), most confused pairs, misclassified ids";
  type.code_version = 2;  // 2: a network that starts with flatten runs its first inner product on 2-D rows; BCE in float
  type.uses_rng = false;
  type.min_inputs = 2;
  type.max_inputs = 2;
  type.params = {
      ParamSpec::Int("batch_size", 500, "examples per forward pass").Min(1),
      ParamSpec::Int("pairs", 10, "most confused class pairs listed in most_confused.csv (0: all)")
          .Min(0),
      ParamSpec::Int("misclassified_rows", 1000,
                     "misclassified examples recorded as `misclassified` metric rows (all are "
                     "in misclassified.csv)")
          .Min(0),
  };
  type.run = RunEvaluate;
  return type;
}

}  // namespace stages
