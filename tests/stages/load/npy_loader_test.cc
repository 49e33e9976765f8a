#include "stages/load/npy_loader.h"

#include <catch2/catch.hpp>

#include "pipeline/errors.h"
#include "tests/stages/load/npy_test_files.h"
#include "tests/stages/stage_harness.h"
#include "tests/support/temp_dir.h"

using stage_testing::NpyFile;
using stage_testing::StageHarness;
using stage_testing::WriteBytes;

TEST_CASE("npy_loader turns [N, H, W] uint8 images into [N, 1, H, W] with labels",
          "[npy_loader]") {
  testing_support::TempDir dir;
  WriteBytes(dir.File("x.npy"), NpyFile<uint8_t>("|u1", "(3, 2, 2)",
                                                 {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255}));
  WriteBytes(dir.File("y.npy"), NpyFile<int64_t>("<i8", "(3,)", {4, 0, 2}));
  StageHarness harness(stages::NpyLoaderStage());
  const pipeline::Artifact& out =
      harness.Run({{"path", dir.File("x.npy")}, {"labels_path", dir.File("y.npy")}});
  const pipeline::Tensor& x = out.Get("x");
  REQUIRE(x.shape() == std::vector<int64_t>{3, 1, 2, 2});
  CHECK(x.f32()[5] == 5.0f / 255.0f);
  CHECK(x.f32()[11] == 1.0f);
  CHECK(out.Get("y").ToIntVector() == std::vector<int32_t>{4, 0, 2});
  CHECK(out.Get("ids").ToIntVector() == std::vector<int32_t>{0, 1, 2});
  CHECK(out.meta()["classes"] == 5);
  CHECK(out.meta()["source"] == dir.File("x.npy"));
  CHECK(harness.metrics().Values("examples") == std::vector<double>{3});

  const pipeline::Artifact& limited = harness.Run(
      {{"path", dir.File("x.npy")}, {"labels_path", dir.File("y.npy")}, {"limit", 2}});
  CHECK(limited.Get("x").rows() == 2);
  CHECK(limited.Get("y").ToIntVector() == std::vector<int32_t>{4, 0});
}

TEST_CASE("npy_loader transposes NHWC arrays and keeps NCHW and 2-D arrays", "[npy_loader]") {
  testing_support::TempDir dir;
  // One 2 x 3 image with 2 channels, NHWC: value = 10 * channel + (3 * row + col).
  std::vector<float> nhwc;
  for (int pixel = 0; pixel < 6; ++pixel) {
    for (int channel = 0; channel < 2; ++channel) nhwc.push_back(10.0f * channel + pixel);
  }
  WriteBytes(dir.File("img.npy"), NpyFile<float>("<f4", "(1, 2, 3, 2)", nhwc));
  StageHarness harness(stages::NpyLoaderStage());
  const pipeline::Tensor transposed =
      harness.Run({{"path", dir.File("img.npy")}, {"layout", "nhwc"}}).Get("x");
  REQUIRE(transposed.shape() == std::vector<int64_t>{1, 2, 2, 3});
  CHECK(std::vector<float>(transposed.f32(), transposed.f32() + 12) ==
        std::vector<float>{0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15});

  const pipeline::Tensor kept = harness.Run({{"path", dir.File("img.npy")}}).Get("x");
  CHECK(kept.shape() == std::vector<int64_t>{1, 2, 3, 2});
  CHECK(std::vector<float>(kept.f32(), kept.f32() + 12) == nhwc);

  WriteBytes(dir.File("flat.npy"), NpyFile<double>("<f8", "(2, 2)", {1, 2, 3, 4}));
  const pipeline::Artifact& flat = harness.Run({{"path", dir.File("flat.npy")}});
  CHECK(flat.Get("x").shape() == std::vector<int64_t>{2, 2});
  CHECK_FALSE(flat.Has("y"));
}

TEST_CASE("npy_loader rejects 1-D arrays and labels of another length", "[npy_loader]") {
  testing_support::TempDir dir;
  WriteBytes(dir.File("v.npy"), NpyFile<float>("<f4", "(2,)", {1, 2}));
  WriteBytes(dir.File("x.npy"), NpyFile<float>("<f4", "(2, 1)", {1, 2}));
  WriteBytes(dir.File("y.npy"), NpyFile<int32_t>("<i4", "(3,)", {1, 2, 3}));
  StageHarness harness(stages::NpyLoaderStage());
  CHECK_THROWS_WITH(harness.Run({{"path", dir.File("v.npy")}}),
                    Catch::Contains("1 dimensions") && Catch::Contains("v.npy"));
  CHECK_THROWS_WITH(
      harness.Run({{"path", dir.File("x.npy")}, {"labels_path", dir.File("y.npy")}}),
      Catch::Contains("3 labels") && Catch::Contains("y.npy"));
}
