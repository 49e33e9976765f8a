#pragma once
// A list of random image transforms, parsed from a study's JSON/YAML list and applied in order,
// e.g. [{type: rotate, degrees: [-15, 15]}, {type: hflip, p: 0.5},
//       {type: resized_crop, scale: [0.6, 1.0]}]
//
// TransformParam() declares each type's keys, defaults and ranges (`pipeline stages augment`
// prints them); every transform takes `p`, the probability that it is applied (default 1,
// flips 0.5). Parsing rejects an unknown type or key, a missing required key and out-of-range
// values with a pipeline::ConfigError whose key path is e.g. "transforms[1].degrees". Random
// draws per applied transform, in this order: one Uniform() for the coin flip against p, then
// that transform's parameters. A TransformPipeline is immutable after parsing and safe to share
// between threads; Apply draws only from the Rng it is given.

#include <string>
#include <vector>

#include "pipeline/params.h"
#include "pipeline/rng.h"
#include "stages/augment/image_transforms.h"

namespace stages {

enum class TransformType {
  kRotate,
  kResizedCrop,
  kHorizontalFlip,
  kVerticalFlip,
  kTranslate,
  kBlur,
  kBrightness,
  kContrast,
  kNoise,
  kCutout,
};

// One parsed transform; only the fields of its type are meaningful.
struct TransformSpec {
  TransformType type = TransformType::kHorizontalFlip;
  double p = 1.0;
  double degrees[2] = {0, 0};
  double scale[2] = {0.08, 1.0};
  double ratio[2] = {3.0 / 4.0, 4.0 / 3.0};
  double max_fraction[2] = {0, 0};  // of width, of height
  int kernel_size = 3;
  double sigma[2] = {0.1, 2.0};
  double factor[2] = {0.8, 1.2};
  double stddev = 0.05;
  int64_t size = 8;
  float fill = 0.0f;
};

// The declaration of one transform (a map tagged by `type`) and of a list of them.
pipeline::ParamSpec TransformParam();
pipeline::ParamSpec TransformsParam(const std::string& name, const std::string& help);

// The YAML names of the transform types, in declaration order ("rotate", "resized_crop", ...).
const std::vector<std::string>& TransformTypeNames();

class TransformPipeline {
 public:
  TransformPipeline() = default;
  // Parses a JSON list of transform maps; `key_path` (e.g. "transforms") prefixes error paths.
  static TransformPipeline Parse(const pipeline::Json& list, const std::string& key_path);

  // Returns `image` after every transform in order (each applied with its probability).
  Image Apply(const Image& image, pipeline::Rng& rng) const;

  const std::vector<TransformSpec>& transforms() const { return transforms_; }
  bool empty() const { return transforms_.empty(); }

 private:
  std::vector<TransformSpec> transforms_;
};

// Applies one transform unconditionally, drawing its random parameters from `rng`.
Image ApplyTransform(const TransformSpec& spec, const Image& image, pipeline::Rng& rng);

}  // namespace stages
