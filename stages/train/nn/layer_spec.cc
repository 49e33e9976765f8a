#include "stages/train/nn/layer_spec.h"

#include <algorithm>
#include <map>
#include <set>

#include "pipeline/errors.h"
#include "stages/train/nn/batch_norm.h"
#include "stages/train/nn/conv2d.h"
#include "stages/train/nn/conv_transpose2d.h"
#include "stages/train/nn/dropout.h"
#include "stages/train/nn/eltwise.h"
#include "stages/train/nn/linear.h"
#include "stages/train/nn/pool2d.h"
#include "stages/train/nn/reshape.h"

namespace stages::nn {
namespace {

using Json = nlohmann::json;

// Allowed keys per type (besides `type` and `name`).
const std::map<std::string, std::vector<std::string>>& AllowedKeys() {
  static const std::map<std::string, std::vector<std::string>> keys = {
      {"conv", {"out", "kernel", "stride", "pad", "bias", "init"}},
      {"conv_transpose", {"out", "kernel", "stride", "pad", "output_padding", "bias", "init"}},
      {"maxpool", {"kernel", "stride", "pad"}},
      {"avgpool", {"kernel", "stride", "pad"}},
      {"linear", {"out", "bias", "init"}},
      {"batchnorm", {"momentum", "eps"}},
      {"relu", {}},
      {"leaky_relu", {"alpha"}},
      {"sigmoid", {}},
      {"tanh", {}},
      {"dropout", {"p"}},
      {"flatten", {}},
      {"reshape", {"shape"}},
  };
  return keys;
}

std::string Join(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) text += (text.empty() ? "" : ", ") + word;
  return text;
}

// Typed access to one layer's keys with messages that say which layer and key.
class SpecReader {
 public:
  SpecReader(const Json& spec, std::string where) : spec_(spec), where_(std::move(where)) {}

  int64_t Int(const std::string& key, std::optional<int64_t> fallback, int64_t min) const {
    if (!spec_.contains(key)) return Required(key, fallback);
    const Json& value = spec_.at(key);
    if (!value.is_number_integer()) Fail("key '" + key + "' must be an integer");
    const auto result = value.get<int64_t>();
    if (result < min) Fail("key '" + key + "' must be >= " + std::to_string(min));
    return result;
  }

  double Float(const std::string& key, double fallback, double min, double max) const {
    if (!spec_.contains(key)) return fallback;
    const Json& value = spec_.at(key);
    if (!value.is_number()) Fail("key '" + key + "' must be a number");
    const auto result = value.get<double>();
    if (result < min || result > max) {
      Fail("key '" + key + "' must be in [" + std::to_string(min) + ", " + std::to_string(max) +
           "], got " + std::to_string(result));
    }
    return result;
  }

  bool Bool(const std::string& key, bool fallback) const {
    if (!spec_.contains(key)) return fallback;
    if (!spec_.at(key).is_boolean()) Fail("key '" + key + "' must be true or false");
    return spec_.at(key).get<bool>();
  }

  Dims IntList(const std::string& key) const {
    if (!spec_.contains(key)) Fail("missing key '" + key + "'");
    const Json& value = spec_.at(key);
    if (!value.is_array() || value.empty()) Fail("key '" + key + "' must be a list of integers");
    Dims result;
    for (const Json& item : value) {
      if (!item.is_number_integer()) Fail("key '" + key + "' must be a list of integers");
      result.push_back(item.get<int64_t>());
    }
    return result;
  }

  std::optional<std::string> String(const std::string& key) const {
    if (!spec_.contains(key)) return std::nullopt;
    if (!spec_.at(key).is_string()) Fail("key '" + key + "' must be a string");
    return spec_.at(key).get<std::string>();
  }

  [[noreturn]] void Fail(const std::string& message) const {
    throw pipeline::ConfigError(where_ + ": " + message);
  }

 private:
  int64_t Required(const std::string& key, std::optional<int64_t> fallback) const {
    if (!fallback) Fail("missing key '" + key + "'");
    return *fallback;
  }

  const Json& spec_;
  std::string where_;
};

std::unique_ptr<Layer> MakeLayer(const std::string& type, const std::string& name,
                                 const SpecReader& reader) {
  if (type == "conv" || type == "conv_transpose") {
    ConvOptions options;
    options.out_channels = reader.Int("out", std::nullopt, 1);
    options.kernel = reader.Int("kernel", std::nullopt, 1);
    options.stride = reader.Int("stride", 1, 1);
    options.pad = reader.Int("pad", 0, 0);
    options.bias = reader.Bool("bias", true);
    if (type == "conv") return std::make_unique<Conv2d>(name, options);
    options.output_padding = reader.Int("output_padding", 0, 0);
    return std::make_unique<ConvTranspose2d>(name, options);
  }
  if (type == "maxpool" || type == "avgpool") {
    PoolOptions options;
    options.kernel = reader.Int("kernel", std::nullopt, 1);
    options.stride = reader.Int("stride", options.kernel, 1);
    options.pad = reader.Int("pad", 0, 0);
    return std::make_unique<Pool2d>(name, options, type == "maxpool");
  }
  if (type == "linear") {
    LinearOptions options;
    options.out_features = reader.Int("out", std::nullopt, 1);
    options.bias = reader.Bool("bias", true);
    return std::make_unique<Linear>(name, options);
  }
  if (type == "batchnorm") {
    BatchNormOptions options;
    options.momentum = reader.Float("momentum", 0.1, 0.0, 1.0);
    options.epsilon = reader.Float("eps", 1e-5, 1e-12, 1.0);
    return std::make_unique<BatchNorm>(name, options);
  }
  if (type == "relu") return std::make_unique<Eltwise>(name, Activation::kRelu);
  if (type == "leaky_relu") {
    return std::make_unique<Eltwise>(name, Activation::kLeakyRelu,
                                     reader.Float("alpha", 0.01, 0.0, 1e6));
  }
  if (type == "sigmoid") return std::make_unique<Eltwise>(name, Activation::kSigmoid);
  if (type == "tanh") return std::make_unique<Eltwise>(name, Activation::kTanh);
  if (type == "dropout") {
    const double p = reader.Float("p", 0.5, 0.0, 1.0);
    if (p >= 1.0) reader.Fail("key 'p' must be below 1 (p = 1 would drop everything)");
    return std::make_unique<Dropout>(name, p);
  }
  if (type == "flatten") return std::make_unique<Reshape>(name, Dims());
  return std::make_unique<Reshape>(name, reader.IntList("shape"));  // reshape
}

}  // namespace

InitChoice ParseInitChoice(const std::string& text, const std::string& where) {
  if (text == "auto") return InitChoice::kAuto;
  if (text == "he") return InitChoice::kHe;
  if (text == "xavier") return InitChoice::kXavier;
  if (text == "torch") return InitChoice::kTorch;
  throw pipeline::ConfigError(where + ": init must be auto, he, xavier or torch, not '" + text +
                              "'");
}

std::string LayerTypeNames() {
  std::vector<std::string> names;
  for (const auto& [type, keys] : AllowedKeys()) names.push_back(type);
  return Join(names);
}

std::vector<LayerSpec> ParseLayerSpecs(const nlohmann::json& layers) {
  if (!layers.is_array() || layers.empty()) {
    throw pipeline::ConfigError("layers must be a non-empty list of layer specs such as "
                                "{type: linear, out: 10}");
  }
  std::vector<LayerSpec> specs;
  std::map<std::string, int> type_counts;
  std::set<std::string> names;
  for (size_t i = 0; i < layers.size(); ++i) {
    const Json& spec = layers[i];
    std::string where = "layer " + std::to_string(i + 1);
    if (!spec.is_object() || !spec.contains("type") || !spec.at("type").is_string()) {
      throw pipeline::ConfigError(where + " must be a map with a 'type' (one of " +
                                  LayerTypeNames() + ")");
    }
    const std::string type = spec.at("type").get<std::string>();
    const auto allowed = AllowedKeys().find(type);
    if (allowed == AllowedKeys().end()) {
      throw pipeline::ConfigError(where + ": unknown layer type '" + type + "'; valid types: " +
                                  LayerTypeNames());
    }
    where += " (" + type + ")";
    for (const auto& item : spec.items()) {
      const std::string& key = item.key();
      if (key == "type" || key == "name") continue;
      const std::vector<std::string>& keys = allowed->second;
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
        throw pipeline::ConfigError(where + ": unknown key '" + key + "'; valid keys: " +
                                    Join(keys) + (keys.empty() ? "" : ", ") + "name");
      }
    }
    const SpecReader reader(spec, where);
    std::string name = type + std::to_string(++type_counts[type]);
    if (const auto given = reader.String("name")) name = *given;
    if (name.empty() || !names.insert(name).second) {
      reader.Fail("layer name '" + name + "' is empty or used twice");
    }
    LayerSpec parsed;
    parsed.layer = MakeLayer(type, name, reader);
    if (const auto init = reader.String("init")) parsed.init = ParseInitChoice(*init, where);
    specs.push_back(std::move(parsed));
  }
  return specs;
}

}  // namespace stages::nn
