#include "stages/augment/transform_pipeline.h"

// Implementation notes
// - One table (kTransformTable) lists each type's YAML name, its keys and its default p; the
//   parser checks every key of an entry against it before reading any value, so a typo is
//   reported with the valid keys rather than silently ignored.
// - Value checks throw ConfigError with the full key path ("transforms[2].scale") so the
//   message can be traced back to the study file even though the stage parses at run time.

#include <cmath>
#include <limits>

#include "pipeline/errors.h"

namespace stages {
namespace {

using pipeline::ConfigError;
using pipeline::Json;

struct TransformTableEntry {
  TransformType type;
  const char* name;
  std::vector<std::string> keys;  // besides "type" and "p"
  double default_p;
};

const std::vector<TransformTableEntry>& TransformTable() {
  static const std::vector<TransformTableEntry> table = {
      {TransformType::kRotate, "rotate", {"degrees", "fill"}, 1.0},
      {TransformType::kResizedCrop, "resized_crop", {"scale", "ratio"}, 1.0},
      {TransformType::kHorizontalFlip, "hflip", {}, 0.5},
      {TransformType::kVerticalFlip, "vflip", {}, 0.5},
      {TransformType::kTranslate, "translate", {"max_fraction", "fill"}, 1.0},
      {TransformType::kBlur, "blur", {"kernel_size", "sigma"}, 1.0},
      {TransformType::kBrightness, "brightness", {"factor"}, 1.0},
      {TransformType::kContrast, "contrast", {"factor"}, 1.0},
      {TransformType::kNoise, "noise", {"std"}, 1.0},
      {TransformType::kCutout, "cutout", {"size", "fill"}, 1.0},
  };
  return table;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// Reads and checks the values of one transform entry; `path` is e.g. "transforms[1]".
class EntryReader {
 public:
  EntryReader(const Json& entry, std::string path) : entry_(entry), path_(std::move(path)) {}

  [[noreturn]] void Fail(const std::string& key, const std::string& why) const {
    const std::string key_path = key.empty() ? path_ : path_ + "." + key;
    throw ConfigError("augment: " + why, "", 0, 0, key_path);  // what() shows key_path
  }

  bool Has(const std::string& key) const { return entry_.contains(key); }

  double Number(const std::string& key, double default_value, double low, double high) const {
    if (!Has(key)) return default_value;
    const Json& value = entry_.at(key);
    if (!value.is_number()) Fail(key, "expected a number, got " + value.dump());
    const double number = value.get<double>();
    CheckBounds(key, number, low, high);
    return number;
  }

  int64_t Integer(const std::string& key, int64_t default_value, int64_t low) const {
    if (!Has(key)) return default_value;
    const Json& value = entry_.at(key);
    if (!value.is_number() || std::floor(value.get<double>()) != value.get<double>()) {
      Fail(key, "expected an integer, got " + value.dump());
    }
    const auto number = static_cast<int64_t>(value.get<double>());
    if (number < low) Fail(key, std::to_string(number) + " is below the minimum " +
                                    std::to_string(low));
    return number;
  }

  // A [low, high] pair; a single number r means [-r, r] when `symmetric` (else it is rejected).
  void Range(const std::string& key, double out[2], bool symmetric, double low,
             double high) const {
    if (!Has(key)) return;
    const Json& value = entry_.at(key);
    if (symmetric && value.is_number()) {
      const double r = std::abs(value.get<double>());
      out[0] = -r;
      out[1] = r;
    } else if (value.is_array() && value.size() == 2 && value[0].is_number() &&
               value[1].is_number()) {
      out[0] = value[0].get<double>();
      out[1] = value[1].get<double>();
    } else {
      Fail(key, std::string("expected [low, high]") + (symmetric ? " or a number" : "") +
                    ", got " + value.dump());
    }
    CheckBounds(key, out[0], low, high);
    CheckBounds(key, out[1], low, high);
    if (out[0] > out[1]) Fail(key, "low " + Json(out[0]).dump() + " exceeds high " +
                                       Json(out[1]).dump());
  }

 private:
  void CheckBounds(const std::string& key, double value, double low, double high) const {
    if (!std::isfinite(value) || value < low || value > high) {
      Fail(key, Json(value).dump() + " is outside [" + Json(low).dump() + ", " +
                    Json(high).dump() + "]");
    }
  }

  const Json& entry_;
  std::string path_;
};

TransformSpec ParseEntry(const Json& entry, const std::string& path) {
  EntryReader reader(entry, path);
  if (!entry.is_object()) reader.Fail("", "expected a map such as {type: hflip}, got " + entry.dump());
  if (!entry.contains("type") || !entry.at("type").is_string()) {
    reader.Fail("type", "missing or not a string; valid types: " + JoinNames(TransformTypeNames()));
  }
  const std::string name = entry.at("type").get<std::string>();
  const TransformTableEntry* row = nullptr;
  for (const TransformTableEntry& candidate : TransformTable()) {
    if (name == candidate.name) row = &candidate;
  }
  if (row == nullptr) {
    reader.Fail("type", "unknown transform '" + name + "'; valid types: " +
                            JoinNames(TransformTypeNames()));
  }
  for (const auto& item : entry.items()) {
    if (item.key() == "type" || item.key() == "p") continue;
    bool known = false;
    for (const std::string& key : row->keys) known = known || key == item.key();
    if (!known) {
      std::vector<std::string> valid = {"type", "p"};
      valid.insert(valid.end(), row->keys.begin(), row->keys.end());
      reader.Fail(item.key(), "unknown key for transform '" + name + "'; valid keys: " +
                                  JoinNames(valid));
    }
  }

  constexpr double kHuge = std::numeric_limits<double>::max();
  TransformSpec spec;
  spec.type = row->type;
  spec.p = reader.Number("p", row->default_p, 0.0, 1.0);
  spec.fill = static_cast<float>(reader.Number("fill", 0.0, -kHuge, kHuge));
  switch (spec.type) {
    case TransformType::kRotate:
      if (!reader.Has("degrees")) reader.Fail("degrees", "required, e.g. degrees: [-15, 15]");
      reader.Range("degrees", spec.degrees, /*symmetric=*/true, -360.0, 360.0);
      break;
    case TransformType::kResizedCrop:
      reader.Range("scale", spec.scale, false, 1e-6, 1.0);
      reader.Range("ratio", spec.ratio, false, 1e-3, 1e3);
      break;
    case TransformType::kTranslate:
      if (!reader.Has("max_fraction")) {
        reader.Fail("max_fraction", "required, e.g. max_fraction: [0.1, 0.1] (of width, height)");
      }
      if (entry.at("max_fraction").is_number()) {
        spec.max_fraction[0] = spec.max_fraction[1] = reader.Number("max_fraction", 0, 0, 1);
      } else {
        reader.Range("max_fraction", spec.max_fraction, false, 0.0, 1.0);  // [fx, fy]
      }
      break;
    case TransformType::kBlur:
      spec.kernel_size = static_cast<int>(reader.Integer("kernel_size", 3, 1));
      if (spec.kernel_size % 2 == 0 || spec.kernel_size > 99) {
        reader.Fail("kernel_size", "must be an odd integer in [1, 99], got " +
                                       std::to_string(spec.kernel_size));
      }
      reader.Range("sigma", spec.sigma, false, 1e-3, 100.0);
      break;
    case TransformType::kBrightness:
    case TransformType::kContrast:
      reader.Range("factor", spec.factor, false, 0.0, 100.0);
      break;
    case TransformType::kNoise:
      spec.stddev = reader.Number("std", 0.05, 0.0, 10.0);
      break;
    case TransformType::kCutout:
      spec.size = reader.Integer("size", 8, 1);
      break;
    case TransformType::kHorizontalFlip:
    case TransformType::kVerticalFlip:
      break;
  }
  return spec;
}

}  // namespace

const std::vector<std::string>& TransformTypeNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const TransformTableEntry& row : TransformTable()) out.emplace_back(row.name);
    return out;
  }();
  return names;
}

TransformPipeline TransformPipeline::Parse(const pipeline::Json& list,
                                           const std::string& key_path) {
  if (!list.is_array()) {
    throw ConfigError("augment: " + key_path + " must be a list of transforms such as "
                      "[{type: rotate, degrees: [-15, 15]}, {type: hflip}]; got " + list.dump(),
                      "", 0, 0, key_path);
  }
  TransformPipeline pipeline;
  for (size_t i = 0; i < list.size(); ++i) {
    pipeline.transforms_.push_back(
        ParseEntry(list[i], key_path + "[" + std::to_string(i) + "]"));
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
