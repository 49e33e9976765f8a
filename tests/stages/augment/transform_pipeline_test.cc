#include "stages/augment/transform_pipeline.h"

#include <catch2/catch.hpp>

#include <string>

#include "pipeline/errors.h"

using pipeline::Json;
using stages::Image;
using stages::TransformPipeline;
using stages::TransformType;

namespace {

Image Ramp(int64_t channels, int64_t height, int64_t width) {
  Image image(channels, height, width);
  for (size_t i = 0; i < image.pixels.size(); ++i) {
    image.pixels[i] = static_cast<float>(i) / static_cast<float>(image.pixels.size());
  }
  return image;
}

// The ConfigError message of parsing `list`; fails the test if parsing succeeds.
std::string ParseError(const Json& list) {
  try {
    TransformPipeline::Parse(list, "transforms");
  } catch (const pipeline::ConfigError& error) {
    return error.what();
  }
  FAIL("expected a ConfigError for " << list.dump());
  return "";
}

}  // namespace

TEST_CASE("transform lists parse with their defaults and ranges", "[transform_pipeline]") {
  const Json list = Json::parse(R"([
      {"type": "rotate", "degrees": [-15, 15]},
      {"type": "hflip"},
      {"type": "resized_crop", "scale": [0.6, 1.0]},
      {"type": "rotate", "degrees": 10, "p": 0.25, "fill": 0.5},
      {"type": "translate", "max_fraction": 0.1},
      {"type": "blur", "kernel_size": 5}])");
  const TransformPipeline pipeline = TransformPipeline::Parse(list, "transforms");
  const auto& specs = pipeline.transforms();
  REQUIRE(specs.size() == 6);
  CHECK(specs[0].type == TransformType::kRotate);
  CHECK(specs[0].degrees[0] == -15);
  CHECK(specs[0].p == 1.0);
  CHECK(specs[1].type == TransformType::kHorizontalFlip);
  CHECK(specs[1].p == 0.5);
  CHECK(specs[2].scale[0] == 0.6);
  CHECK(specs[2].ratio[1] == Approx(4.0 / 3.0));
  CHECK(specs[3].degrees[0] == -10);
  CHECK(specs[3].degrees[1] == 10);
  CHECK(specs[3].p == 0.25);
  CHECK(specs[3].fill == 0.5f);
  CHECK(specs[4].max_fraction[0] == 0.1);
  CHECK(specs[4].max_fraction[1] == 0.1);
  CHECK(specs[5].kernel_size == 5);
  CHECK(stages::TransformTypeNames().size() == 10);
}

TEST_CASE("an unknown transform type is a ConfigError naming the valid types",
          "[transform_pipeline]") {
  const std::string message = ParseError(Json::parse(R"([{"type": "hflip"}, {"type": "twist"}])"));
  CHECK_THAT(message, Catch::Contains("transforms[1].type"));
  CHECK_THAT(message, Catch::Contains("twist"));
  for (const std::string& name : stages::TransformTypeNames()) {
    CHECK_THAT(message, Catch::Contains(name));
  }
}

TEST_CASE("unknown keys and out-of-range values are ConfigErrors", "[transform_pipeline]") {
  const std::string unknown_key = ParseError(Json::parse(R"([{"type": "rotate", "degree": 5}])"));
  CHECK_THAT(unknown_key, Catch::Contains("transforms[0].degree"));
  CHECK_THAT(unknown_key, Catch::Contains("valid: type, p, degrees, fill"));

  CHECK_THAT(ParseError(Json::parse(R"([{"type": "rotate"}])")), Catch::Contains("missing 'degrees'"));
  CHECK_THAT(ParseError(Json::parse(R"([{"type": "hflip", "p": 1.5}])")),
             Catch::Contains("transforms[0].p"));
  CHECK_THAT(ParseError(Json::parse(R"([{"type": "resized_crop", "scale": [0.9, 0.5]}])")),
             Catch::Contains("exceeds"));
  CHECK_THAT(ParseError(Json::parse(R"([{"type": "resized_crop", "scale": [0.5, 1.5]}])")),
             Catch::Contains("transforms[0].scale"));
  CHECK_THAT(ParseError(Json::parse(R"([{"type": "blur", "kernel_size": 4}])")),
             Catch::Contains("odd"));
  CHECK_THAT(ParseError(Json::parse(R"([{"type": "noise", "std": -1}])")),
             Catch::Contains("transforms[0].std"));
  CHECK_THAT(ParseError(Json::parse(R"([{"type": "cutout", "size": 2.5}])")),
             Catch::Contains("integer"));
  CHECK_THAT(ParseError(Json::parse(R"(["hflip"])")), Catch::Contains("expected a map"));
  CHECK_THAT(ParseError(Json::parse(R"({"type": "hflip"})")), Catch::Contains("expected a list"));
}

TEST_CASE("a transform with p = 0 is never applied, with p = 1 always", "[transform_pipeline]") {
  const Image image = Ramp(1, 6, 6);
  const TransformPipeline never =
      TransformPipeline::Parse(Json::parse(R"([{"type": "hflip", "p": 0}])"), "t");
  const TransformPipeline always =
      TransformPipeline::Parse(Json::parse(R"([{"type": "hflip", "p": 1}])"), "t");
  for (uint64_t seed = 0; seed < 20; ++seed) {
    pipeline::Rng rng_a(seed);
    pipeline::Rng rng_b(seed);
    REQUIRE(never.Apply(image, rng_a).pixels == image.pixels);
    REQUIRE(always.Apply(image, rng_b).pixels == stages::FlipHorizontal(image).pixels);
  }
}

TEST_CASE("identity parameter settings leave the image unchanged", "[transform_pipeline]") {
  const Image image = Ramp(1, 8, 8);
  const TransformPipeline identity = TransformPipeline::Parse(Json::parse(R"([
      {"type": "rotate", "degrees": [0, 0]},
      {"type": "resized_crop", "scale": [1, 1], "ratio": [1, 1]},
      {"type": "brightness", "factor": [1, 1]},
      {"type": "contrast", "factor": [1, 1]},
      {"type": "noise", "std": 0},
      {"type": "translate", "max_fraction": 0}])"), "t");
  pipeline::Rng rng(5);
  CHECK(identity.Apply(image, rng).pixels == image.pixels);
}

TEST_CASE("the same rng stream gives the same augmentation", "[transform_pipeline]") {
  const Image image = Ramp(1, 12, 12);
  const TransformPipeline pipeline = TransformPipeline::Parse(Json::parse(R"([
      {"type": "rotate", "degrees": 30}, {"type": "resized_crop"}, {"type": "cutout", "size": 3},
      {"type": "noise", "std": 0.1}, {"type": "blur"}])"), "t");
  pipeline::Rng a(11);
  pipeline::Rng b(11);
  pipeline::Rng c(12);
  const Image first = pipeline.Apply(image, a);
  CHECK(pipeline.Apply(image, b).pixels == first.pixels);
  CHECK(pipeline.Apply(image, c).pixels != first.pixels);
  CHECK(first.height == 12);
  CHECK(first.width == 12);
}
