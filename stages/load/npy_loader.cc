#include "stages/load/npy_loader.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <numeric>

#include "pipeline/errors.h"
#include "stages/load/npy_reader.h"

namespace stages {
namespace {

// [N, H, W, C] -> [N, C, H, W]; one task per example, so the copy is thread-count independent.
pipeline::Tensor NhwcToNchw(const pipeline::Tensor& nhwc) {
  const std::vector<int64_t>& s = nhwc.shape();
  const int64_t n = s[0], h = s[1], w = s[2], c = s[3];
  pipeline::Tensor nchw(pipeline::DType::kFloat32, {n, c, h, w});
  const float* in = nhwc.f32();
  float* out = nchw.f32();
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t i = r.begin(); i < r.end(); ++i) {
      const float* image_in = in + i * h * w * c;
      float* image_out = out + i * c * h * w;
      for (int64_t y = 0; y < h; ++y) {
        for (int64_t x = 0; x < w; ++x) {
          for (int64_t ch = 0; ch < c; ++ch) {
            image_out[(ch * h + y) * w + x] = image_in[(y * w + x) * c + ch];
          }
        }
      }
    }
  });
  return nchw;
}

// Called after CheckRank, so x has 2 to 4 dimensions.
pipeline::Tensor ToConventionalShape(pipeline::Tensor x, const std::string& layout) {
  const std::vector<int64_t> shape = x.shape();
  switch (shape.size()) {
    case 2:
      return x;
    case 3: {
      pipeline::Tensor images(pipeline::DType::kFloat32, {shape[0], 1, shape[1], shape[2]});
      std::copy(x.f32(), x.f32() + x.size(), images.f32());
      return images;
    }
    default:
      return layout == "nhwc" ? NhwcToNchw(x) : x;
  }
}

void CheckRank(const std::string& path) {
  const NpyHeader header = ReadNpyHeader(path);
  const size_t rank = header.shape.size();
  if (rank < 2 || rank > 4) {
    throw pipeline::DataError("the array has " + std::to_string(rank) +
                                  " dimensions; npy_loader reads [N, D], [N, H, W] and 4-D "
                                  "image arrays",
                              path, header.shape_offset);
  }
}

void LoadNpy(pipeline::StageContext& ctx) {
  const pipeline::Params& params = ctx.params();
  const std::string path = params.GetString("path");
  const std::string labels_path = params.GetString("labels_path");
  const int64_t limit = params.GetInt("limit");

  CheckRank(path);
  int64_t rows_in_file = 0;
  pipeline::Tensor x = ToConventionalShape(
      ReadNpyFloat(path, limit, params.GetBool("scale_uint8"), &rows_in_file),
      params.GetString("layout"));
  const int64_t examples = x.rows();

  pipeline::Artifact& out = ctx.output();
  if (!labels_path.empty()) {
    int64_t labels_in_file = 0;
    const std::vector<int32_t> labels = ReadNpyLabels(labels_path, limit, &labels_in_file);
    if (labels_in_file != rows_in_file) {
      throw pipeline::DataError("the labels file holds " + std::to_string(labels_in_file) +
                                    " labels but " + path + " holds " +
                                    std::to_string(rows_in_file) +
                                    " examples; the files do not belong together",
                                labels_path, 0);
    }
    const int32_t max_label =
        labels.empty() ? -1 : *std::max_element(labels.begin(), labels.end());
    out.Put("y", pipeline::Tensor::FromVector(labels));
    out.meta()["labels_source"] = labels_path;
    out.meta()["classes"] = max_label + 1;
  }
  std::vector<int32_t> ids(static_cast<size_t>(examples));
  std::iota(ids.begin(), ids.end(), 0);
  out.Put("x", std::move(x));
  out.Put("ids", pipeline::Tensor::FromVector(ids));
  out.meta()["source"] = path;
  ctx.Metric("examples", static_cast<double>(examples));
}

}  // namespace

pipeline::StageType NpyLoaderStage() {
  using pipeline::ParamSpec;
  pipeline::StageType type;
  type.name = "npy_loader";
  type.kind = pipeline::StageKind::kLoad;
  type.help = "load examples (and integer labels) from NumPy .npy files";
  type.code_version = 1;
  type.uses_rng = false;
  type.min_inputs = 0;
  type.max_inputs = 0;
  type.params = {
      ParamSpec::String("path", nullptr, ".npy file of examples (<f4, <f8 or |u1)"),
      ParamSpec::String("labels_path", "", "1-D .npy file of integer labels (\"\": none)"),
      ParamSpec::Bool("scale_uint8", true, "divide uint8 values by 255"),
      ParamSpec::String("layout", "nchw",
                        "layout of a 4-D array: nchw (kept) or nhwc (transposed to NCHW)")
          .Choices({"nchw", "nhwc"}),
      ParamSpec::Int("limit", 0, "keep the first `limit` examples (0: all)").Min(0),
  };
  type.run = LoadNpy;
  return type;
}

}  // namespace stages
