#include "stages/load/image_folder_loader.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "pipeline/errors.h"
#include "tests/stages/load/mnist_test_files.h"
#include "tests/stages/stage_harness.h"
#include "tests/support/temp_dir.h"

// stb_image_write compiled privately into this test (static functions: no clash with others).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

using stage_testing::StageHarness;

namespace {

// Writes a width x height PNG with `channels` interleaved 8-bit channels.
void WritePng(const std::string& path, int width, int height, int channels,
              const std::vector<unsigned char>& pixels) {
  REQUIRE(pixels.size() == static_cast<size_t>(width * height * channels));
  REQUIRE(stbi_write_png(path.c_str(), width, height, channels, pixels.data(),
                         width * channels) != 0);
}

void WriteGrayPng(const std::string& path, int width, int height, unsigned char value) {
  WritePng(path, width, height, 1,
           std::vector<unsigned char>(static_cast<size_t>(width * height), value));
}

// Class a_cat: p.png, q.png; class b_dog: r.png; plus files that must be ignored.
void WriteTwoClasses(const std::string& root) {
  std::filesystem::create_directories(root + "/b_dog");
  std::filesystem::create_directories(root + "/a_cat");
  WriteGrayPng(root + "/a_cat/p.png", 2, 2, 10);
  WriteGrayPng(root + "/a_cat/q.PNG", 2, 2, 20);
  WriteGrayPng(root + "/b_dog/r.png", 2, 2, 30);
  stage_testing::WriteText(root + "/a_cat/notes.txt", "not an image");
  stage_testing::WriteText(root + "/b_dog/.hidden.png", "not an image");
  WriteGrayPng(root + "/top_level.png", 2, 2, 40);
}

}  // namespace

TEST_CASE("image_folder_loader labels images by sorted folder and interleaves classes",
          "[image_folder_loader]") {
  testing_support::TempDir dir;
  WriteTwoClasses(dir.path());
  StageHarness harness(stages::ImageFolderLoaderStage());
  const pipeline::Artifact& out =
      harness.Run({{"dir", dir.path()}, {"height", 2}, {"width", 2}});
  const pipeline::Tensor& x = out.Get("x");
  REQUIRE(x.shape() == std::vector<int64_t>{3, 1, 2, 2});
  // Output order a_cat/p, b_dog/r, a_cat/q; ids from the listing p = 0, q = 1, r = 2.
  CHECK(out.Get("y").ToIntVector() == std::vector<int32_t>{0, 1, 0});
  CHECK(out.Get("ids").ToIntVector() == std::vector<int32_t>{0, 2, 1});
  CHECK(x.f32()[0] == 10.0f / 255.0f);
  CHECK(x.f32()[4] == 30.0f / 255.0f);
  CHECK(x.f32()[11] == 20.0f / 255.0f);
  CHECK(out.meta()["class_names"] == pipeline::Json({"a_cat", "b_dog"}));
  CHECK(out.meta()["classes"] == 2);
  CHECK(harness.metrics().Values("examples") == std::vector<double>{3});

  const pipeline::Artifact& limited =
      harness.Run({{"dir", dir.path()}, {"height", 2}, {"width", 2}, {"limit", 2}});
  CHECK(limited.Get("y").ToIntVector() == std::vector<int32_t>{0, 1});
}

TEST_CASE("image_folder_loader resizes a constant image to the same constant",
          "[image_folder_loader]") {
  testing_support::TempDir dir;
  std::filesystem::create_directories(dir.File("only"));
  WriteGrayPng(dir.File("only/flat.png"), 2, 2, 100);
  StageHarness harness(stages::ImageFolderLoaderStage());
  const pipeline::Tensor& x =
      harness.Run({{"dir", dir.path()}, {"height", 4}, {"width", 4}}).Get("x");
  REQUIRE(x.shape() == std::vector<int64_t>{1, 1, 4, 4});
  for (int i = 0; i < 16; ++i) CHECK(x.f32()[i] == Approx(100.0f / 255.0f).margin(1e-6));

  const pipeline::Tensor& small =
      harness.Run({{"dir", dir.path()}, {"height", 1}, {"width", 1}}).Get("x");
  CHECK(small.f32()[0] == Approx(100.0f / 255.0f).margin(1e-6));
}

TEST_CASE("image_folder_loader converts colour to grayscale or planar RGB",
          "[image_folder_loader]") {
  testing_support::TempDir dir;
  std::filesystem::create_directories(dir.File("c"));
  // A 2 x 1 image: a red pixel, then a blue one.
  WritePng(dir.File("c/rb.png"), 2, 1, 3, {255, 0, 0, 0, 0, 255});
  StageHarness harness(stages::ImageFolderLoaderStage());
  const pipeline::Tensor& gray =
      harness.Run({{"dir", dir.path()}, {"height", 1}, {"width", 2}}).Get("x");
  // stb's luma: (77 R + 150 G + 29 B) >> 8.
  CHECK(gray.f32()[0] == (255 * 77 >> 8) / 255.0f);
  CHECK(gray.f32()[1] == (255 * 29 >> 8) / 255.0f);

  const pipeline::Tensor& rgb =
      harness.Run({{"dir", dir.path()}, {"channels", 3}, {"height", 1}, {"width", 2}}).Get("x");
  REQUIRE(rgb.shape() == std::vector<int64_t>{1, 3, 1, 2});
  CHECK(std::vector<float>(rgb.f32(), rgb.f32() + 6) == std::vector<float>{1, 0, 0, 0, 0, 1});
}

TEST_CASE("image_folder_loader reads JPEG files", "[image_folder_loader]") {
  testing_support::TempDir dir;
  std::filesystem::create_directories(dir.File("j"));
  const std::vector<unsigned char> pixels(8 * 8, 200);
  REQUIRE(stbi_write_jpg(dir.File("j/flat.jpg").c_str(), 8, 8, 1, pixels.data(), 100) != 0);
  StageHarness harness(stages::ImageFolderLoaderStage());
  const pipeline::Tensor& x =
      harness.Run({{"dir", dir.path()}, {"height", 8}, {"width", 8}}).Get("x");
  CHECK(x.MatrixF().minCoeff() == Approx(200.0f / 255.0f).margin(2.0 / 255));
  CHECK(x.MatrixF().maxCoeff() == Approx(200.0f / 255.0f).margin(2.0 / 255));
}

TEST_CASE("image_folder_loader names undecodable files and empty folders",
          "[image_folder_loader]") {
  testing_support::TempDir dir;
  StageHarness harness(stages::ImageFolderLoaderStage());
  CHECK_THROWS_WITH(harness.Run({{"dir", dir.path()}}), Catch::Contains("no class sub-folders"));
  std::filesystem::create_directories(dir.File("k"));
  CHECK_THROWS_WITH(harness.Run({{"dir", dir.path()}}), Catch::Contains("no .png"));

  WriteGrayPng(dir.File("k/good.png"), 2, 2, 1);
  stage_testing::WriteText(dir.File("k/zbad.png"), "this is not a PNG");
  CHECK_THROWS_AS(harness.Run({{"dir", dir.path()}}), pipeline::DataError);
  CHECK_THROWS_WITH(harness.Run({{"dir", dir.path()}}),
                    Catch::Contains("zbad.png") &&
                        Catch::Contains("cannot decode the image: unknown image type"));
  CHECK_THROWS_WITH(harness.Run({{"dir", dir.File("missing")}}), Catch::Contains("`dir`"));
  CHECK_THROWS_AS(harness.Run({{"dir", dir.path()}, {"channels", 2}}), pipeline::ConfigError);
}
