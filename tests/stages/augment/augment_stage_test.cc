#include "stages/augment/augment_stage.h"

#include <catch2/catch.hpp>
#include <tbb/task_arena.h>

#include <filesystem>
#include <vector>

#include "pipeline/errors.h"
#include "stages/augment/image_grid.h"
#include "stages/augment/image_transforms.h"
#include "tests/stages/stage_harness.h"

// stb_image is compiled privately into this test to read the sample grid back.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wshadow"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

using pipeline::Json;
using pipeline::Tensor;
using stage_testing::MakeArtifact;
using stage_testing::StageHarness;

namespace {

// n images of shape [channels, side, side] with seeded pixels in [0, 1), labels i % 3,
// ids 100 + i, and a tensor "class_weights" [4] that is not row-aligned.
pipeline::ArtifactPtr Images(int64_t n, int64_t channels = 1, int64_t side = 8) {
  Tensor x(pipeline::DType::kFloat32, {n, channels, side, side});
  pipeline::Rng rng(77);
  for (int64_t i = 0; i < x.size(); ++i) x.f32()[i] = static_cast<float>(rng.Uniform());
  std::vector<int32_t> labels;
  std::vector<int32_t> ids;
  for (int64_t i = 0; i < n; ++i) {
    labels.push_back(static_cast<int32_t>(i % 3));
    ids.push_back(static_cast<int32_t>(100 + i));
  }
  return MakeArtifact({{"x", std::move(x)},
                       {"y", Tensor::FromVector(labels)},
                       {"ids", Tensor::FromVector(ids)},
                       {"class_weights", Tensor::FromVector(std::vector<double>{1, 2, 3, 4})}});
}

const Json kRotate = Json::parse(R"([{"type": "rotate", "degrees": [-20, 20]},
                                     {"type": "noise", "std": 0.05}])");

std::vector<float> Row(const Tensor& x, int64_t row) {
  return std::vector<float>(x.f32() + row * x.row_size(), x.f32() + (row + 1) * x.row_size());
}

}  // namespace

TEST_CASE("copies of selected classes keep their labels and ids", "[augment_stage]") {
  StageHarness harness(stages::AugmentStage());
  const pipeline::ArtifactPtr input = Images(6);
  const pipeline::Artifact& out =
      harness.Run({{"transforms", kRotate}, {"classes", {1}}, {"copies", 4}}, {input});
  // 6 originals, then copy 0 of rows 1 and 4, copy 1 of rows 1 and 4, ...
  const Tensor& x = out.Get("x");
  REQUIRE(x.shape() == std::vector<int64_t>{14, 1, 8, 8});
  CHECK(out.Get("y").ToIntVector() ==
        std::vector<int32_t>{0, 1, 2, 0, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1});
  CHECK(out.Get("ids").ToIntVector() ==
        std::vector<int32_t>{100, 101, 102, 103, 104, 105, 101, 104, 101, 104, 101, 104, 101, 104});
  CHECK(out.Get("augmented_from").ToIntVector() ==
        std::vector<int32_t>{-1, -1, -1, -1, -1, -1, 1, 4, 1, 4, 1, 4, 1, 4});
  CHECK(out.Get("augment_copy").ToIntVector() ==
        std::vector<int32_t>{-1, -1, -1, -1, -1, -1, 0, 0, 1, 1, 2, 2, 3, 3});
  CHECK(out.Get("class_weights").shape() == std::vector<int64_t>{4});
  for (int64_t i = 0; i < 6; ++i) CHECK(Row(x, i) == Row(input->Get("x"), i));
  CHECK(Row(x, 6) != Row(input->Get("x"), 1));
  CHECK(Row(x, 6) != Row(x, 8));  // copies of the same image differ

  CHECK(harness.metrics().Values("examples_in") == std::vector<double>{6});
  CHECK(harness.metrics().Values("examples_out") == std::vector<double>{14});
  CHECK(harness.metrics().Values("class_count") == std::vector<double>{2, 10, 2});
}

TEST_CASE("keep_original false outputs only the copies", "[augment_stage]") {
  StageHarness harness(stages::AugmentStage());
  const pipeline::Artifact& out = harness.Run(
      {{"transforms", kRotate}, {"copies", 2}, {"keep_original", false}}, {Images(5)});
  CHECK(out.Get("x").rows() == 10);
  CHECK(out.Get("augmented_from").ToIntVector() ==
        std::vector<int32_t>{0, 1, 2, 3, 4, 0, 1, 2, 3, 4});
  CHECK(out.Get("y").ToIntVector() == std::vector<int32_t>{0, 1, 2, 0, 1, 0, 1, 2, 0, 1});
  CHECK(harness.metrics().Values("class_count") == std::vector<double>{4, 4, 2});
}

TEST_CASE("each copy can have its own transform list", "[augment_stage]") {
  StageHarness harness(stages::AugmentStage());
  const pipeline::ArtifactPtr input = Images(3);
  const Json copy_transforms = Json::parse(
      R"([[{"type": "hflip", "p": 1}], [{"type": "vflip", "p": 1}], [{"type": "hflip", "p": 0}]])");
  const pipeline::Artifact& out = harness.Run({{"copy_transforms", copy_transforms}}, {input});
  const Tensor& x = out.Get("x");
  REQUIRE(x.rows() == 3 + 3 * 3);
  for (int64_t i = 0; i < 3; ++i) {
    const stages::Image original = stages::Image::FromData(
        input->Get("x").f32() + i * 64, 1, 8, 8);
    CHECK(Row(x, 3 + i) == stages::FlipHorizontal(original).pixels);
    CHECK(Row(x, 6 + i) == stages::FlipVertical(original).pixels);
    CHECK(Row(x, 9 + i) == original.pixels);
  }
  CHECK(out.Get("augment_copy").ToIntVector()[11] == 2);
}

TEST_CASE("the augmentation depends on the seed but not on the thread count",
          "[augment_stage][determinism]") {
  const pipeline::ArtifactPtr input = Images(100);
  const Json params = {{"transforms", Json::parse(R"([{"type": "rotate", "degrees": 30},
      {"type": "resized_crop", "scale": [0.5, 1]}, {"type": "hflip"}, {"type": "cutout"}])")},
                       {"copies", 3}};
  StageHarness harness(stages::AugmentStage());
  const Tensor one_thread = harness.Run(params, {input}, /*seed=*/7, /*threads=*/1).Get("x");
  const Tensor two_threads = harness.Run(params, {input}, 7, 2).Get("x");
  const Tensor other_seed = harness.Run(params, {input}, 8, 2).Get("x");
  REQUIRE(one_thread.rows() == 400);
  CHECK(Row(one_thread, 399) == Row(two_threads, 399));
  CHECK(std::equal(one_thread.f32(), one_thread.f32() + one_thread.size(), two_threads.f32()));
  CHECK_FALSE(std::equal(one_thread.f32(), one_thread.f32() + one_thread.size(),
                         other_seed.f32()));
  // The originals are untouched whatever the seed.
  CHECK(Row(other_seed, 42) == Row(one_thread, 42));
}

TEST_CASE("bad augment parameters are ConfigErrors", "[augment_stage]") {
  StageHarness harness(stages::AugmentStage());
  const pipeline::ArtifactPtr input = Images(3);
  try {
    harness.Run({{"transforms", Json::parse(R"([{"type": "shear"}])")}}, {input});
    FAIL("an unknown transform was accepted");
  } catch (const pipeline::ConfigError& error) {
    CHECK_THAT(error.what(), Catch::Contains("shear"));
    CHECK_THAT(error.what(), Catch::Contains("rotate, resized_crop, hflip, vflip, translate"));
    CHECK(error.key_path() == "transforms[0].type");
  }
  CHECK_THROWS_AS(harness.Run(Json::object(), {input}), pipeline::ConfigError);
  CHECK_THROWS_AS(harness.Run({{"copies", 2},
                               {"copy_transforms", Json::parse(R"([[{"type": "hflip"}]])")}},
                              {input}),
                  pipeline::ConfigError);
  CHECK_THROWS_AS(harness.Run({{"transforms", kRotate}, {"classes", {"cat"}}}, {input}),
                  pipeline::ConfigError);
}

TEST_CASE("flattened features are rejected with a StageError", "[augment_stage]") {
  StageHarness harness(stages::AugmentStage());
  Tensor features(pipeline::DType::kFloat32, {4, 10});
  CHECK_THROWS_AS(harness.Run({{"transforms", kRotate}}, {MakeArtifact({{"x", features}})}),
                  pipeline::StageError);
}

TEST_CASE("the sample grid PNG shows originals next to their copies", "[augment_stage]") {
  // Run through a StageContext of our own to know the output folder.
  const pipeline::StageType type = stages::AugmentStage();
  Json values = Json::object();
  for (const pipeline::ParamSpec& spec : type.params) values[spec.name] = spec.default_value;
  values["transforms"] = kRotate;
  values["copies"] = 4;
  values["sample_grid"] = 3;
  testing_support::FakeClock clock;
  testing_support::MemoryMetricSink metrics;
  testing_support::TempDir dir;
  pipeline::StageContext ctx(type, pipeline::Params(values), {Images(5, 1, 10)}, 1, clock, 2,
                             metrics, dir.path(), nullptr);
  tbb::task_arena(2).execute([&] { type.run(ctx); });

  REQUIRE(ctx.files().size() == 1);
  CHECK(ctx.files()[0].name == "augment_samples.png");
  CHECK(ctx.files()[0].kind == "png");
  const std::string path = dir.File("augment_samples.png");
  REQUIRE(std::filesystem::exists(path));
  int width = 0;
  int height = 0;
  int channels = 0;
  unsigned char* pixels = stbi_load(path.c_str(), &width, &height, &channels, 0);
  REQUIRE(pixels != nullptr);
  // 10 x 10 images are upscaled x3: 5 columns (original + 4 copies), 3 rows, 2-pixel gaps.
  CHECK(stages::ImageGridUpscale(10, 10) == 3);
  CHECK(width == 5 * 30 + 6 * 2);
  CHECK(height == 3 * 30 + 4 * 2);
  CHECK(channels == 1);
  // The first original's top-left pixel, scaled to 0..255, fills a 3 x 3 block at (2, 2).
  const pipeline::ArtifactPtr input = Images(5, 1, 10);
  const int expected = static_cast<int>(std::lround(input->Get("x").f32()[0] * 255.0f));
  CHECK(static_cast<int>(pixels[2 * width + 2]) == expected);
  CHECK(static_cast<int>(pixels[4 * width + 4]) == expected);
  CHECK(static_cast<int>(pixels[0]) == 128);  // the grey border
  stbi_image_free(pixels);
}
