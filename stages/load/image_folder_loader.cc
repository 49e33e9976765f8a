#include "stages/load/image_folder_loader.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <filesystem>

#include "pipeline/errors.h"
#include "stages/load/image_decode.h"

namespace stages {
namespace {

namespace fs = std::filesystem;

struct ImageFile {
  std::string path;
  int32_t label;
  int32_t id;  // position in the class-major listing
};

bool IsImageName(const std::string& name) {
  std::string extension = fs::path(name).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".png" || extension == ".jpg" || extension == ".jpeg";
}

std::vector<std::string> SortedEntries(const fs::path& dir, bool directories) {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    if (directories ? entry.is_directory() : (entry.is_regular_file() && IsImageName(name))) {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Lists the images in the interleaved order of the header; fills the class names.
std::vector<ImageFile> ListImages(const std::string& dir, std::vector<std::string>& classes) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    throw pipeline::DataError(
        "no such folder; set the stage parameter `dir` to a folder with one sub-folder of "
        "images per class",
        dir);
  }
  classes = SortedEntries(dir, true);
  if (classes.empty()) {
    throw pipeline::DataError("the folder has no class sub-folders (expected dir/<class>/<image>)",
                              dir);
  }
  std::vector<std::vector<ImageFile>> per_class(classes.size());
  int32_t id = 0;
  size_t rounds = 0;
  for (size_t c = 0; c < classes.size(); ++c) {
    const fs::path class_dir = fs::path(dir) / classes[c];
    for (const std::string& name : SortedEntries(class_dir, false)) {
      per_class[c].push_back({(class_dir / name).string(), static_cast<int32_t>(c), id++});
    }
    rounds = std::max(rounds, per_class[c].size());
  }
  if (id == 0) {
    throw pipeline::DataError("the class folders hold no .png, .jpg or .jpeg files", dir);
  }
  std::vector<ImageFile> order;
  for (size_t round = 0; round < rounds; ++round) {
    for (const std::vector<ImageFile>& files : per_class) {
      if (round < files.size()) order.push_back(files[round]);
    }
  }
  return order;
}

void LoadImageFolder(pipeline::StageContext& ctx) {
  const pipeline::Params& params = ctx.params();
  const std::string dir = params.GetString("dir");
  ImageSize size;
  size.channels = static_cast<int>(params.GetInt("channels"));
  size.height = static_cast<int>(params.GetInt("height"));
  size.width = static_cast<int>(params.GetInt("width"));
  if (size.channels != 1 && size.channels != 3) {
    throw pipeline::ConfigError("channels must be 1 (grayscale) or 3 (RGB)", "", 0, 0,
                                "channels");
  }
  const int64_t limit = params.GetInt("limit");

  std::vector<std::string> classes;
  std::vector<ImageFile> files = ListImages(dir, classes);
  if (limit > 0 && static_cast<int64_t>(files.size()) > limit) {
    files.resize(static_cast<size_t>(limit));
  }
  const auto examples = static_cast<int64_t>(files.size());
  const int64_t image_values = int64_t{size.channels} * size.height * size.width;

  pipeline::Tensor x(pipeline::DType::kFloat32, {examples, size.channels, size.height, size.width});
  float* pixels = x.f32();
  std::vector<std::exception_ptr> failures(files.size());
  tbb::parallel_for(tbb::blocked_range<size_t>(0, files.size(), 8),
                    [&](const tbb::blocked_range<size_t>& range) {
                      for (size_t i = range.begin(); i < range.end(); ++i) {
                        try {
                          const std::vector<float> image = DecodeImageFile(files[i].path, size);
                          std::copy(image.begin(), image.end(),
                                    pixels + static_cast<int64_t>(i) * image_values);
                        } catch (...) {
                          failures[i] = std::current_exception();
                        }
                      }
                    });
  for (const std::exception_ptr& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }

  std::vector<int32_t> labels;
  std::vector<int32_t> ids;
  for (const ImageFile& file : files) {
    labels.push_back(file.label);
    ids.push_back(file.id);
  }
  pipeline::Artifact& out = ctx.output();
  out.Put("x", std::move(x));
  out.Put("y", pipeline::Tensor::FromVector(labels));
  out.Put("ids", pipeline::Tensor::FromVector(ids));
  out.meta()["classes"] = classes.size();
  out.meta()["class_names"] = classes;
  out.meta()["source"] = dir;
  out.meta()["channels"] = size.channels;
  out.meta()["height"] = size.height;
  out.meta()["width"] = size.width;
  ctx.Metric("examples", static_cast<double>(examples));
}

}  // namespace

pipeline::StageType ImageFolderLoaderStage() {
  using pipeline::ParamSpec;
  pipeline::StageType type;
  type.name = "image_folder_loader";
  type.kind = pipeline::StageKind::kLoad;
  type.help = "load PNG/JPEG images from one sub-folder per class, resized to height x width";
  type.code_version = 1;
  type.uses_rng = false;
  type.min_inputs = 0;
  type.max_inputs = 0;
  type.params = {
      ParamSpec::String("dir", nullptr, "root folder with one sub-folder of images per class"),
      ParamSpec::Int("channels", 1, "1 (grayscale) or 3 (RGB)").Min(1).Max(3),
      ParamSpec::Int("height", 28, "image height after resizing").Min(1),
      ParamSpec::Int("width", 28, "image width after resizing").Min(1),
      ParamSpec::Int("limit", 0, "keep the first `limit` images, classes interleaved (0: all)")
          .Min(0),
  };
  type.run = LoadImageFolder;
  return type;
}

}  // namespace stages
