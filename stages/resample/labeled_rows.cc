#include "stages/resample/labeled_rows.h"

#include <algorithm>

#include "pipeline/errors.h"
#include "stages/resample/class_counts.h"

namespace stages {
namespace {

int64_t RowCount(const pipeline::Artifact& artifact) {
  if (const pipeline::Tensor* y = artifact.Find("y")) return y->rows();
  if (const pipeline::Tensor* x = artifact.Find("x")) return x->rows();
  return -1;
}

bool IsRowAligned(const pipeline::Tensor& tensor, int64_t examples) {
  return !tensor.shape().empty() && tensor.shape()[0] == examples;
}

}  // namespace

int64_t ExampleCount(const pipeline::StageContext& ctx) {
  const int64_t examples = RowCount(ctx.input(0));
  if (examples < 0) {
    throw pipeline::StageError("stage '" + ctx.type().name +
                               "' needs an input with examples ('x' or 'y'); its input holds " +
                               ctx.input(0).Describe());
  }
  return examples;
}

std::vector<int32_t> InputLabels(const pipeline::StageContext& ctx) {
  const pipeline::Tensor* y = ctx.input(0).Find("y");
  if (y == nullptr) {
    throw pipeline::StageError("stage '" + ctx.type().name +
                               "' needs class labels 'y' int32 [N]; its input holds " +
                               ctx.input(0).Describe());
  }
  return y->ToIntVector();
}

int64_t InputClassCount(const pipeline::StageContext& ctx, const std::vector<int32_t>& labels) {
  const pipeline::Json meta = ctx.InputMeta();
  int64_t declared = 0;
  if (meta.contains("classes") && meta["classes"].is_number_integer()) {
    declared = meta["classes"].get<int64_t>();
  }
  return NumClasses(labels, declared);
}

void PutSelectedRows(pipeline::StageContext& ctx, const std::vector<int64_t>& rows) {
  const int64_t examples = ExampleCount(ctx);
  pipeline::Artifact& out = ctx.output();
  for (const auto& [name, tensor] : ctx.input(0).tensors()) {
    out.Put(name, IsRowAligned(tensor, examples) ? tensor.SelectRows(rows) : tensor);
  }
  out.meta() = ctx.InputMeta();
}

void PutUnchanged(pipeline::StageContext& ctx) {
  pipeline::Artifact& out = ctx.output();
  for (const auto& [name, tensor] : ctx.input(0).tensors()) out.Put(name, tensor);
  out.meta() = ctx.InputMeta();
}

void LogOutputCounts(pipeline::StageContext& ctx) {
  ctx.Metric("examples", static_cast<double>(RowCount(ctx.output())));
  const pipeline::Tensor* y = ctx.output().Find("y");
  if (y == nullptr) return;
  const std::vector<int32_t> labels = y->ToIntVector();
  const std::vector<int32_t> input_labels = ctx.input(0).Get("y").ToIntVector();
  const int64_t classes =
      std::max(InputClassCount(ctx, input_labels), NumClasses(labels, 0));
  const std::vector<int64_t> counts = CountClasses(labels, classes);
  for (size_t c = 0; c < counts.size(); ++c) {
    ctx.Metric("class_count", static_cast<int64_t>(c), static_cast<double>(counts[c]));
  }
}

}  // namespace stages
