#include "stages/augment/augment_stage.h"

// Implementation notes
// - The output is first built with Tensor::SelectRows from the list of source rows, so every
//   row-aligned tensor (x included) is extended the same way; the copies' rows of "x" are then
//   overwritten in parallel. Blocks of copies write disjoint rows, and each copy draws from its
//   own Rng::Fork stream, so the thread count cannot change the result.
// - The fork index uses the input row index, not the position among the selected rows, so
//   changing `classes` does not change the augmentation of the images that stay selected.

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "pipeline/errors.h"
#include "stages/augment/image_grid.h"
#include "stages/augment/transform_pipeline.h"
#include "stages/common/row_blocks.h"

namespace stages {
namespace {

using pipeline::ConfigError;
using pipeline::StageError;
using pipeline::Tensor;

constexpr int64_t kCopiesPerBlock = 32;

// The transforms of each copy: the common list, then the copy's own list (possibly empty).
struct CopyPlan {
  TransformPipeline common;
  std::vector<TransformPipeline> per_copy;  // one per copy
};

CopyPlan PlanCopies(const pipeline::Params& params) {
  CopyPlan plan;
  plan.common = TransformPipeline::Parse(params.Get("transforms"), "transforms");
  const pipeline::Json& copy_lists = params.Get("copy_transforms");
  const int64_t copies = params.GetInt("copies");
  if (copies == 0) return plan;  // no copies: the data passes through
  if (!copy_lists.is_array()) {
    throw ConfigError("augment: copy_transforms must be a list of transform lists", "", 0, 0,
                      "copy_transforms");
  }
  if (copy_lists.empty()) {
    if (plan.common.empty()) {
      throw ConfigError("augment needs transforms (or copy_transforms), e.g. transforms: "
                        "[{type: rotate, degrees: [-15, 15]}]", "", 0, 0, "transforms");
    }
    plan.per_copy.resize(static_cast<size_t>(copies));
    return plan;
  }
  if (copies != 1 && copies != static_cast<int64_t>(copy_lists.size())) {
    throw ConfigError("augment: copies = " + std::to_string(copies) + " but copy_transforms has " +
                      std::to_string(copy_lists.size()) + " lists; leave copies out or make "
                      "them equal", "", 0, 0, "copies");
  }
  for (size_t k = 0; k < copy_lists.size(); ++k) {
    plan.per_copy.push_back(TransformPipeline::Parse(
        copy_lists[k], "copy_transforms[" + std::to_string(k) + "]"));
  }
  return plan;
}

// Input rows that get copies, in input order.
std::vector<int64_t> SelectRows(const pipeline::StageContext& ctx, int64_t n) {
  const pipeline::Json& class_list = ctx.params().Get("classes");
  std::vector<int64_t> classes;
  for (const pipeline::Json& label : class_list) {
    if (!label.is_number_integer()) {
      throw ConfigError("augment: classes must be a list of integer labels, got " +
                        class_list.dump(), "", 0, 0, "classes");
    }
    classes.push_back(label.get<int64_t>());
  }
  std::vector<int64_t> selected;
  if (classes.empty()) {
    for (int64_t i = 0; i < n; ++i) selected.push_back(i);
    return selected;
  }
  const Tensor* y = ctx.FindInputOrNull("y");
  if (y == nullptr || y->dtype() != pipeline::DType::kInt32 || y->rows() != n) {
    throw StageError("augment: `classes` needs int32 labels \"y\" with one row per image");
  }
  const std::set<int64_t> wanted(classes.begin(), classes.end());
  for (int64_t i = 0; i < n; ++i) {
    if (wanted.count(y->i32()[i]) > 0) selected.push_back(i);
  }
  return selected;
}

Image RowImage(const Tensor& x, int64_t row) {
  const auto& shape = x.shape();
  return Image::FromData(x.f32() + row * x.row_size(), shape[1], shape[2], shape[3]);
}

void WriteSamples(pipeline::StageContext& ctx, const Tensor& x_in, const Tensor& x_out,
                  const std::vector<int64_t>& selected, int64_t first_copy_row, int64_t copies) {
  const int64_t rows = std::min<int64_t>(ctx.params().GetInt("sample_grid"),
                                         static_cast<int64_t>(selected.size()));
  const int64_t channels = x_in.shape()[1];
  if (rows <= 0 || (channels != 1 && channels != 3)) return;
  const auto selected_count = static_cast<int64_t>(selected.size());
  std::vector<std::vector<Image>> cells(static_cast<size_t>(rows));
  for (int64_t j = 0; j < rows; ++j) {
    auto& row = cells[static_cast<size_t>(j)];
    row.push_back(RowImage(x_in, selected[static_cast<size_t>(j)]));
    for (int64_t k = 0; k < copies; ++k) {
      row.push_back(RowImage(x_out, first_copy_row + k * selected_count + j));
    }
  }
  WriteImageGridPng(ctx.FilePath("augment_samples.png", "png"), cells);
}

void LogClassCounts(pipeline::StageContext& ctx, const pipeline::Artifact& out) {
  const Tensor* y = out.Find("y");
  if (y == nullptr || y->dtype() != pipeline::DType::kInt32) return;
  std::vector<int64_t> counts;
  for (int64_t i = 0; i < y->size(); ++i) {
    const int32_t label = y->i32()[i];
    if (label < 0) continue;
    if (static_cast<size_t>(label) >= counts.size()) counts.resize(static_cast<size_t>(label) + 1);
    ++counts[static_cast<size_t>(label)];
  }
  for (size_t c = 0; c < counts.size(); ++c) {
    ctx.Metric("class_count", static_cast<int64_t>(c), static_cast<double>(counts[c]));
  }
}

void RunAugment(pipeline::StageContext& ctx) {
  const CopyPlan plan = PlanCopies(ctx.params());
  const auto copies = static_cast<int64_t>(plan.per_copy.size());
  const bool keep_original = ctx.params().GetBool("keep_original");
  if (copies == 0 && !keep_original) {
    throw ConfigError("augment: copies = 0 with keep_original = false would output nothing", "",
                      0, 0, "copies");
  }

  const Tensor& x = ctx.FindInput("x");
  if (x.dtype() != pipeline::DType::kFloat32 || x.shape().size() != 4) {
    throw StageError("augment needs images \"x\" float32 [N, C, H, W], got " + x.ShapeString() +
                     "; put it before any stage that flattens or reduces the images");
  }
  const int64_t n = x.rows();
  const std::vector<int64_t> selected = SelectRows(ctx, n);
  const auto selected_count = static_cast<int64_t>(selected.size());

  // Source row of every output row, and the provenance columns.
  std::vector<int64_t> sources;
  std::vector<int32_t> augmented_from;
  std::vector<int32_t> augment_copy;
  if (keep_original) {
    for (int64_t i = 0; i < n; ++i) {
      sources.push_back(i);
      augmented_from.push_back(-1);
      augment_copy.push_back(-1);
    }
  }
  const auto first_copy_row = static_cast<int64_t>(sources.size());
  for (int64_t k = 0; k < copies; ++k) {
    for (int64_t i : selected) {
      sources.push_back(i);
      augmented_from.push_back(static_cast<int32_t>(i));
      augment_copy.push_back(static_cast<int32_t>(k));
    }
  }

  pipeline::Artifact& out = ctx.output();
  for (const auto& [name, tensor] : ctx.input(0).tensors()) {
    const bool row_aligned = !tensor.shape().empty() && tensor.shape()[0] == n;
    out.Put(name, row_aligned ? tensor.SelectRows(sources) : tensor);
  }
  out.Put("augmented_from", Tensor::FromVector(augmented_from));
  out.Put("augment_copy", Tensor::FromVector(augment_copy));
  out.meta() = ctx.InputMeta();

  Tensor& x_out = out.Mutable("x");
  const pipeline::Rng& base_rng = ctx.rng();
  const int64_t row_size = x.row_size();
  ForEachRowBlock(copies * selected_count, kCopiesPerBlock, [&](int64_t begin, int64_t end) {
    ctx.CheckCancelled();
    for (int64_t t = begin; t < end; ++t) {
      const int64_t k = t / selected_count;
      const int64_t i = selected[static_cast<size_t>(t % selected_count)];
      pipeline::Rng rng = base_rng.Fork(static_cast<uint64_t>(i * copies + k));
      Image image = plan.common.Apply(RowImage(x, i), rng);
      image = plan.per_copy[static_cast<size_t>(k)].Apply(image, rng);
      std::copy(image.pixels.begin(), image.pixels.end(),
                x_out.f32() + (first_copy_row + t) * row_size);
    }
  });

  WriteSamples(ctx, x, x_out, selected, first_copy_row, copies);
  ctx.Metric("examples_in", static_cast<double>(n));
  ctx.Metric("examples_out", static_cast<double>(sources.size()));
  LogClassCounts(ctx, out);
}

}  // namespace

pipeline::StageType AugmentStage() {
  using pipeline::ParamSpec;
  pipeline::StageType type;
  type.name = "augment";
  type.kind = pipeline::StageKind::kAugment;
  type.help = "append randomly transformed copies of the images (rotate, crop, flip, blur, ...)";
  type.code_version = 1;
  type.uses_rng = true;
  type.min_inputs = 1;
  type.max_inputs = 1;
  type.params = {
      TransformsParam("transforms",
                      "transforms applied in order to every copy, e.g. [{type: rotate, degrees: "
                      "[-15, 15]}, {type: hflip}]"),
      ParamSpec::List("copy_transforms", pipeline::Json::array(),
                      "list of transform lists: copy k applies transforms then the k-th list "
                      "(copies = its length; leave copies at 1 or equal it). At least one of "
                      "transforms and copy_transforms must be non-empty")
          .Items(TransformsParam("transforms", "the transforms of one copy")),
      ParamSpec::Int("copies", 1, "augmented copies made of each selected image (0 with "
                                  "keep_original: pass the data through, e.g. as a variant)")
          .Min(0)
          .Max(1000),
      ParamSpec::Bool("keep_original", true,
                      "output the originals followed by the copies (false: copies only)"),
      ParamSpec::List("classes", pipeline::Json::array(),
                      "labels whose images get copies ([] = all), e.g. to oversample a class")
          .Items(ParamSpec::Int("label", nullptr, "a class label").Min(0)),
      ParamSpec::Int("sample_grid", 0,
                     "if > 0, write augment_samples.png: this many images, each followed by its "
                     "copies").Min(0),
  };
  type.run = RunAugment;
  type.check = [](const pipeline::Params& params) { PlanCopies(params); };
  return type;
}

}  // namespace stages
