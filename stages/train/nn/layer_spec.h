#pragma once
// Parsing a network's layer list as a study declares it (JSON from the YAML), e.g.
//   [{type: conv, out: 32, kernel: 3, pad: 1}, {type: relu}, {type: maxpool, kernel: 2},
//    {type: flatten}, {type: linear, out: 10}]
// Types and keys (defaults in parentheses; every layer also takes `name`):
//   conv            out, kernel, stride (1), pad (0), bias (true), init (network default)
//   conv_transpose  as conv, plus output_padding (0)
//   maxpool/avgpool kernel, stride (= kernel), pad (0)
//   linear          out, bias (true), init
//   batchnorm       momentum (0.1), eps (1e-5)
//   relu, sigmoid, tanh, flatten
//   leaky_relu      alpha (0.01, >= 0)
//   dropout         p (0.5, in [0, 1))
//   reshape         shape (list of positive ints, per example, e.g. [32, 7, 7])
// init is "auto" (He before a ReLU-like activation, else Xavier), "he" or "xavier".
// Default names are the type and a 1-based count per type: conv1, relu1, conv2, linear1, ...
// Unknown types or keys, missing keys, wrong value types and duplicate names throw
// pipeline::ConfigError naming the layer (index, type) and listing what is allowed.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stages/train/nn/layer.h"

namespace stages::nn {

enum class InitChoice { kAuto, kHe, kXavier, kTorch };

// "auto", "he" or "xavier"; throws ConfigError naming `where` otherwise.
InitChoice ParseInitChoice(const std::string& text, const std::string& where);

struct LayerSpec {
  std::unique_ptr<Layer> layer;
  std::optional<InitChoice> init;  // set when the spec has an `init` key
};

std::vector<LayerSpec> ParseLayerSpecs(const nlohmann::json& layers);

// The valid type names, comma separated, for messages and help texts.
std::string LayerTypeNames();

}  // namespace stages::nn
