#pragma once
// A network's layer list as a study declares it, e.g.
//   [{type: conv, out: 32, kernel: 3, pad: 1}, {type: relu}, {type: maxpool, kernel: 2},
//    {type: flatten}, {type: linear, out: 10}]
// LayersParam() declares every layer type and its keys (shown by `pipeline stages train`);
// ParseLayerSpecs resolves a list against it and builds the layers. Default names are the
// type and a 1-based count per type: conv1, relu1, conv2, linear1, ... Errors are
// pipeline::ConfigError with the key path of the layer, e.g. "layers[2].kernel".

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/params.h"
#include "stages/train/nn/layer.h"

namespace stages::nn {

enum class InitChoice { kAuto, kHe, kXavier, kTorch };

// The declaration of a `layers` parameter (a non-empty list, one variant per layer type).
pipeline::ParamSpec LayersParam(const std::string& name, const std::string& help);

// The valid values of a layer's or network's `init`.
const std::vector<std::string>& InitChoiceNames();

// "auto", "he", "xavier" or "torch"; throws ConfigError naming `where` otherwise.
InitChoice ParseInitChoice(const std::string& text, const std::string& where);

struct LayerSpec {
  std::unique_ptr<Layer> layer;
  std::optional<InitChoice> init;  // set when the spec has an `init` key
};

// `key_path` prefixes error paths ("layers[2].out").
std::vector<LayerSpec> ParseLayerSpecs(const nlohmann::json& layers,
                                       const std::string& key_path = "layers");

// The valid type names, comma separated, for messages and help texts.
std::string LayerTypeNames();

}  // namespace stages::nn
