#include "stages/load/idx_loader.h"

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "pipeline/errors.h"
#include "stages/load/idx_reader.h"

namespace stages {
namespace {

constexpr char kDefaultDir[] = "/usr/share/datasets/fashion-mnist";

// The file of one split; the names are those of the MNIST and Fashion-MNIST distributions.
std::string SplitFile(const std::string& dir, const std::string& split, const char* part) {
  const std::string prefix = split == "test" ? "t10k" : "train";
  return (std::filesystem::path(dir) / (prefix + "-" + part + "-ubyte.gz")).string();
}

void RequireFile(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_regular_file(path, error)) return;
  throw pipeline::DataError(
      "data set file not found; install Fashion-MNIST with `apt-get install "
      "dataset-fashion-mnist` (it goes to " +
          std::string(kDefaultDir) +
          "), or set the stage parameter `dir` to a folder holding the IDX files",
      path);
}

void LoadIdx(pipeline::StageContext& ctx) {
  const pipeline::Params& params = ctx.params();
  const std::string dir = params.GetString("dir");
  const std::string split = params.GetString("split");
  const int64_t limit = params.GetInt("limit");

  const std::string images_path = SplitFile(dir, split, "images-idx3");
  const std::string labels_path = SplitFile(dir, split, "labels-idx1");
  RequireFile(images_path);
  RequireFile(labels_path);

  IdxImages images = ReadIdxImages(images_path, limit);
  IdxLabels labels = ReadIdxLabels(labels_path, limit);
  if (images.examples_in_file != labels.examples_in_file) {
    throw pipeline::DataError(
        "the labels file declares " + std::to_string(labels.examples_in_file) + " labels but " +
            images_path + " declares " + std::to_string(images.examples_in_file) +
            " images; the files do not belong together",
        labels_path, 4);
  }

  const int64_t examples = images.pixels.rows();
  const int32_t* label_values = labels.labels.i32();
  const int32_t max_label =
      examples == 0 ? -1 : *std::max_element(label_values, label_values + examples);
  std::vector<int32_t> ids(static_cast<size_t>(examples));
  std::iota(ids.begin(), ids.end(), 0);

  pipeline::Artifact& out = ctx.output();
  out.Put("x", std::move(images.pixels));
  out.Put("y", std::move(labels.labels));
  out.Put("ids", pipeline::Tensor::FromVector(ids));
  out.meta()["dataset"] = dir;
  out.meta()["split"] = split;
  out.meta()["classes"] = max_label + 1;
  ctx.Metric("examples", static_cast<double>(examples));
}

}  // namespace

pipeline::StageType IdxLoaderStage() {
  using pipeline::ParamSpec;
  pipeline::StageType type;
  type.name = "idx_loader";
  type.kind = pipeline::StageKind::kLoad;
  type.help = "load one split of an IDX image data set (Fashion-MNIST, MNIST)";
  type.code_version = 1;
  type.uses_rng = false;
  type.min_inputs = 0;
  type.max_inputs = 0;
  type.params = {
      ParamSpec::String("dir", kDefaultDir,
                        "folder with {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz"),
      ParamSpec::String("split", "train", "which files to read: train or test (t10k)")
          .Choices({"train", "test"}),
      ParamSpec::Int("limit", 0, "keep the first `limit` examples of the file (0: all)").Min(0),
  };
  type.run = LoadIdx;
  return type;
}

}  // namespace stages
