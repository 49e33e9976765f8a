#include "stages/augment/transform_pipeline.h"

// Implementation notes: TransformParam() is the one table of types, keys, defaults and ranges;
// Parse resolves a list against it (unknown types and keys, types and ranges are all checked
// there, with the key path), then reads the resolved values and checks the rest (an odd blur
// kernel).

#include <cmath>
#include <limits>

#include "pipeline/errors.h"
#include "pipeline/param_schema.h"

namespace stages {
namespace {

using pipeline::ConfigError;
using pipeline::Json;
using pipeline::ParamSpec;
using pipeline::RangeScalar;

struct TransformName {
  TransformType type;
  const char* name;
};

const std::vector<TransformName>& TransformNames() {
  static const std::vector<TransformName> names = {
      {TransformType::kRotate, "rotate"},         {TransformType::kResizedCrop, "resized_crop"},
      {TransformType::kHorizontalFlip, "hflip"},  {TransformType::kVerticalFlip, "vflip"},
      {TransformType::kTranslate, "translate"},   {TransformType::kBlur, "blur"},
      {TransformType::kBrightness, "brightness"}, {TransformType::kContrast, "contrast"},
      {TransformType::kNoise, "noise"},           {TransformType::kCutout, "cutout"},
  };
  return names;
}

ParamSpec P(double value) {
  return ParamSpec::Float("p", value, "probability that the transform is applied").Min(0).Max(1);
}

ParamSpec Fill() {
  constexpr double kHuge = std::numeric_limits<double>::max();
  return ParamSpec::Float("fill", 0.0, "value of the pixels moved in").Min(-kHuge).Max(kHuge);
}

ParamSpec Factor() {
  return ParamSpec::Range("factor", Json::array({0.8, 1.2}), "factor drawn uniformly")
      .Min(0)
      .Max(100);
}

void Pair(const Json& value, double out[2]) {
  out[0] = value.at(0).get<double>();
  out[1] = value.at(1).get<double>();
}

TransformSpec ParseEntry(const Json& entry, const std::string& path) {
  const std::string name = entry.at("type").get<std::string>();
  TransformSpec spec;
  for (const TransformName& row : TransformNames()) {
    if (name == row.name) spec.type = row.type;
  }
  spec.p = entry.at("p").get<double>();
  if (entry.contains("fill")) spec.fill = static_cast<float>(entry.at("fill").get<double>());
  switch (spec.type) {
    case TransformType::kRotate:
      Pair(entry.at("degrees"), spec.degrees);
      break;
    case TransformType::kResizedCrop:
      Pair(entry.at("scale"), spec.scale);
      Pair(entry.at("ratio"), spec.ratio);
      break;
    case TransformType::kTranslate:
      Pair(entry.at("max_fraction"), spec.max_fraction);
      break;
    case TransformType::kBlur:
      spec.kernel_size = static_cast<int>(entry.at("kernel_size").get<int64_t>());
      if (spec.kernel_size % 2 == 0) {
        throw ConfigError("augment: kernel_size must be odd, got " +
                              std::to_string(spec.kernel_size),
                          "", 0, 0, path + ".kernel_size");
      }
      Pair(entry.at("sigma"), spec.sigma);
      break;
    case TransformType::kBrightness:
    case TransformType::kContrast:
      Pair(entry.at("factor"), spec.factor);
      break;
    case TransformType::kNoise:
      spec.stddev = entry.at("std").get<double>();
      break;
    case TransformType::kCutout:
      spec.size = entry.at("size").get<int64_t>();
      break;
    case TransformType::kHorizontalFlip:
    case TransformType::kVerticalFlip:
      break;
  }
  return spec;
}

}  // namespace

ParamSpec TransformParam() {
  return ParamSpec::Object("transform", nullptr, "one random transform")
      .Tagged(
          "type",
          {ParamSpec::Variant("rotate", "rotate by an angle drawn uniformly from degrees",
                              {P(1), ParamSpec::Range("degrees", nullptr, "angle range in degrees")
                                         .ScalarMeans(RangeScalar::kSymmetric)
                                         .Min(-360)
                                         .Max(360),
                               Fill()}),
           ParamSpec::Variant(
               "resized_crop", "torchvision's RandomResizedCrop box, resized back to H x W",
               {P(1),
                ParamSpec::Range("scale", Json::array({0.08, 1.0}), "area fraction of the box")
                    .Min(1e-6)
                    .Max(1),
                ParamSpec::Range("ratio", Json::array({3.0 / 4.0, 4.0 / 3.0}),
                                 "aspect ratio of the box")
                    .Min(1e-3)
                    .Max(1e3)}),
           ParamSpec::Variant("hflip", "mirror left-right", {P(0.5)}),
           ParamSpec::Variant("vflip", "mirror top-bottom", {P(0.5)}),
           ParamSpec::Variant(
               "translate", "shift by round(U(-fx, fx) W), round(U(-fy, fy) H) pixels",
               {P(1),
                ParamSpec::Range("max_fraction", nullptr, "[fx, fy]: largest shift, of W and H")
                    .ScalarMeans(RangeScalar::kRepeated)
                    .Min(0)
                    .Max(1),
                Fill()}),
           ParamSpec::Variant(
               "blur", "Gaussian blur with sigma drawn uniformly",
               {P(1), ParamSpec::Int("kernel_size", 3, "odd kernel size").Min(1).Max(99),
                ParamSpec::Range("sigma", Json::array({0.1, 2.0}), "sigma range")
                    .Min(1e-3)
                    .Max(100)}),
           ParamSpec::Variant("brightness", "scale brightness", {P(1), Factor()}),
           ParamSpec::Variant("contrast", "scale contrast about the mean", {P(1), Factor()}),
           ParamSpec::Variant("noise", "add Gaussian noise",
                              {P(1), ParamSpec::Float("std", 0.05, "noise standard deviation")
                                         .Min(0)
                                         .Max(10)}),
           ParamSpec::Variant(
               "cutout", "fill a size x size square centred uniformly in the image",
               {P(1), ParamSpec::Int("size", 8, "side of the square").Min(1), Fill()})});
}

ParamSpec TransformsParam(const std::string& name, const std::string& help) {
  return ParamSpec::List(name, Json::array(), help).Items(TransformParam());
}

const std::vector<std::string>& TransformTypeNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const TransformName& row : TransformNames()) out.emplace_back(row.name);
    return out;
  }();
  return names;
}

TransformPipeline TransformPipeline::Parse(const pipeline::Json& list,
                                           const std::string& key_path) {
  const Json resolved =
      pipeline::ResolveParam(TransformsParam(key_path, "transforms"), list, key_path);
  TransformPipeline pipeline;
  for (size_t i = 0; i < resolved.size(); ++i) {
    pipeline.transforms_.push_back(
        ParseEntry(resolved[i], key_path + "[" + std::to_string(i) + "]"));
  }
  return pipeline;
}

Image TransformPipeline::Apply(const Image& image, pipeline::Rng& rng) const {
  Image current = image;
  for (const TransformSpec& spec : transforms_) {
    if (rng.Uniform() >= spec.p) continue;
    current = ApplyTransform(spec, current, rng);
  }
  return current;
}

Image ApplyTransform(const TransformSpec& spec, const Image& image, pipeline::Rng& rng) {
  switch (spec.type) {
    case TransformType::kRotate:
      return Rotate(image, rng.Uniform(spec.degrees[0], spec.degrees[1]), spec.fill);
    case TransformType::kResizedCrop:
      return CropAndResize(image, SampleResizedCropBox(image.height, image.width, spec.scale,
                                                       spec.ratio, rng));
    case TransformType::kHorizontalFlip:
      return FlipHorizontal(image);
    case TransformType::kVerticalFlip:
      return FlipVertical(image);
    case TransformType::kTranslate: {
      const double fx = spec.max_fraction[0] * static_cast<double>(image.width);
      const double fy = spec.max_fraction[1] * static_cast<double>(image.height);
      const auto dx = static_cast<int64_t>(std::round(rng.Uniform(-fx, fx)));
      const auto dy = static_cast<int64_t>(std::round(rng.Uniform(-fy, fy)));
      return Translate(image, dx, dy, spec.fill);
    }
    case TransformType::kBlur:
      return GaussianBlur(image, spec.kernel_size, rng.Uniform(spec.sigma[0], spec.sigma[1]));
    case TransformType::kBrightness:
      return AdjustBrightness(image, rng.Uniform(spec.factor[0], spec.factor[1]));
    case TransformType::kContrast:
      return AdjustContrast(image, rng.Uniform(spec.factor[0], spec.factor[1]));
    case TransformType::kNoise:
      return AddGaussianNoise(image, spec.stddev, rng);
    case TransformType::kCutout: {
      // The centre is uniform over the pixels; the square may stick out and is then clipped.
      const auto centre_y = static_cast<int64_t>(rng.UniformInt(static_cast<uint64_t>(image.height)));
      const auto centre_x = static_cast<int64_t>(rng.UniformInt(static_cast<uint64_t>(image.width)));
      return Cutout(image, centre_y - spec.size / 2, centre_x - spec.size / 2, spec.size,
                    spec.fill);
    }
  }
  return image;
}

}  // namespace stages
