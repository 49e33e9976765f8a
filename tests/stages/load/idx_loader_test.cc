#include "stages/load/idx_loader.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "pipeline/errors.h"
#include "tests/stages/load/idx_test_files.h"
#include "tests/stages/stage_harness.h"
#include "tests/support/temp_dir.h"

using stage_testing::IdxBytes;
using stage_testing::StageHarness;
using stage_testing::TestPixels;
using stage_testing::WriteFile;

namespace {

constexpr char kFashionMnist[] = "/usr/share/datasets/fashion-mnist";

// Writes a 4-image, 3 x 2 pixel "t10k" split with labels {2, 0, 5, 2}.
void WriteTestSplit(const std::string& dir) {
  WriteFile(dir + "/t10k-images-idx3-ubyte.gz", IdxBytes({4, 3, 2}, TestPixels(24)), true);
  WriteFile(dir + "/t10k-labels-idx1-ubyte.gz", IdxBytes({4}, {2, 0, 5, 2}), true);
}

}  // namespace

TEST_CASE("idx_loader stage outputs images, labels, ids and metadata of a split", "[idx]") {
  testing_support::TempDir dir;
  WriteTestSplit(dir.path());
  StageHarness harness(stages::IdxLoaderStage());

  const pipeline::Artifact& out = harness.Run({{"dir", dir.path()}, {"split", "test"}});
  CHECK(out.Get("x").shape() == std::vector<int64_t>{4, 1, 3, 2});
  CHECK(out.Get("x").f32()[23] == static_cast<float>(stage_testing::TestPixel(23)) / 255.0f);
  CHECK(out.Get("y").ToIntVector() == std::vector<int32_t>{2, 0, 5, 2});
  CHECK(out.Get("ids").ToIntVector() == std::vector<int32_t>{0, 1, 2, 3});
  CHECK(out.meta()["classes"] == 6);
  CHECK(out.meta()["split"] == "test");
  CHECK(out.meta()["dataset"] == dir.path());
  CHECK(harness.metrics().Values("examples") == std::vector<double>{4});

  const pipeline::Artifact& limited =
      harness.Run({{"dir", dir.path()}, {"split", "test"}, {"limit", 2}});
  CHECK(limited.Get("y").ToIntVector() == std::vector<int32_t>{2, 0});
  CHECK(limited.Get("x").rows() == 2);
}

TEST_CASE("idx_loader explains how to install a missing data set", "[idx]") {
  testing_support::TempDir dir;
  StageHarness harness(stages::IdxLoaderStage());
  CHECK_THROWS_WITH(harness.Run({{"dir", dir.path()}}),
                    Catch::Contains("train-images-idx3-ubyte.gz") &&
                        Catch::Contains("apt-get install dataset-fashion-mnist") &&
                        Catch::Contains("`dir`"));
}

TEST_CASE("idx_loader rejects images and labels of different lengths", "[idx]") {
  testing_support::TempDir dir;
  WriteTestSplit(dir.path());
  WriteFile(dir.File("t10k-labels-idx1-ubyte.gz"), IdxBytes({3}, {1, 1, 1}), true);
  StageHarness harness(stages::IdxLoaderStage());
  CHECK_THROWS_AS(harness.Run({{"dir", dir.path()}, {"split", "test"}}), pipeline::DataError);
}

TEST_CASE("idx_loader reads a slice of the installed Fashion-MNIST", "[idx][integration]") {
  if (!std::filesystem::exists(std::string(kFashionMnist) + "/train-images-idx3-ubyte.gz")) {
    WARN("Fashion-MNIST is not installed; skipping");
    return;
  }
  StageHarness harness(stages::IdxLoaderStage());
  const pipeline::Artifact& out = harness.Run({{"limit", 500}});
  const pipeline::Tensor& x = out.Get("x");
  REQUIRE(x.shape() == std::vector<int64_t>{500, 1, 28, 28});
  CHECK(x.MatrixF().minCoeff() >= 0.0f);
  CHECK(x.MatrixF().maxCoeff() == 1.0f);
  const std::vector<int32_t> labels = out.Get("y").ToIntVector();
  CHECK(*std::min_element(labels.begin(), labels.end()) == 0);
  CHECK(*std::max_element(labels.begin(), labels.end()) == 9);
  CHECK(out.meta()["classes"] == 10);
}
