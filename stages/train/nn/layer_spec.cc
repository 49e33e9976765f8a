#include "stages/train/nn/layer_spec.h"

#include <algorithm>
#include <map>
#include <set>

#include "pipeline/errors.h"
#include "pipeline/param_schema.h"
#include "stages/train/nn/batch_norm.h"
#include "stages/train/nn/conv2d.h"
#include "stages/train/nn/conv_transpose2d.h"
#include "stages/train/nn/dropout.h"
#include "stages/train/nn/eltwise.h"
#include "stages/train/nn/gaussian_sample.h"
#include "stages/train/nn/linear.h"
#include "stages/train/nn/pool2d.h"
#include "stages/train/nn/reshape.h"

namespace stages::nn {
namespace {

using Json = nlohmann::json;
using pipeline::ParamSpec;

// Sizes beyond these are typos (or would ask oneDNN for more memory than any machine has).
constexpr double kMaxWidth = 1 << 20;  // out: channels or features
constexpr double kMaxWindow = 1024;    // kernel, stride, pad

ParamSpec Count(const char* key, const char* help) {
  return ParamSpec::Int(key, nullptr, help).Min(1).Max(std::string(key) == "out" ? kMaxWidth
                                                                                   : kMaxWindow);
}

std::vector<ParamSpec> ConvFields(bool transposed) {
  std::vector<ParamSpec> fields = {
      Count("out", "output channels"),
      Count("kernel", "kernel size (square)"),
      ParamSpec::Int("stride", 1, "stride").Min(1).Max(kMaxWindow),
      ParamSpec::Int("pad", 0, "zero padding on each side").Min(0).Max(kMaxWindow),
      ParamSpec::Bool("bias", true, "add a learnt bias"),
      ParamSpec::String("init", nullptr, "weight initialisation (default: the network's)")
          .Choices(InitChoiceNames())
          .Optional(),
  };
  if (transposed) {
    fields.push_back(ParamSpec::Int("output_padding", 0, "extra rows/columns on one side").Min(0));
  } else {
    fields.push_back(
        ParamSpec::String("algorithm", "auto",
                          "auto: Winograd for the forward pass and the weight gradient of 3x3 "
                          "stride-1 layers with >= 16 input and output channels where oneDNN "
                          "has it (AVX-512), direct otherwise; "
                          "direct: as PyTorch computes it")
            .Choices({"auto", "direct"}));
  }
  return fields;
}

std::vector<ParamSpec> PoolFields() {
  return {Count("kernel", "window size (square)"),
          ParamSpec::Int("stride", nullptr, "stride (default: the kernel size)").Min(1).Optional(),
          ParamSpec::Int("pad", 0, "padding on each side").Min(0)};
}

// The resolved layer's value of `key` (present after resolution unless optional).
int64_t Int(const Json& spec, const char* key) { return spec.at(key).get<int64_t>(); }
double Float(const Json& spec, const char* key) { return spec.at(key).get<double>(); }

std::unique_ptr<Layer> MakeLayer(const std::string& type, const std::string& name,
                                 const Json& spec) {
  if (type == "conv" || type == "conv_transpose") {
    ConvOptions options;
    options.out_channels = Int(spec, "out");
    options.kernel = Int(spec, "kernel");
    options.stride = Int(spec, "stride");
    options.pad = Int(spec, "pad");
    options.bias = spec.at("bias").get<bool>();
    if (type == "conv") {
      options.algorithm = spec.at("algorithm").get<std::string>() == "direct"
                              ? ConvAlgorithm::kDirect
                              : ConvAlgorithm::kAuto;
      return std::make_unique<Conv2d>(name, options);
    }
    options.output_padding = Int(spec, "output_padding");
    return std::make_unique<ConvTranspose2d>(name, options);
  }
  if (type == "maxpool" || type == "avgpool") {
    PoolOptions options;
    options.kernel = Int(spec, "kernel");
    options.stride = spec.contains("stride") ? Int(spec, "stride") : options.kernel;
    options.pad = Int(spec, "pad");
    return std::make_unique<Pool2d>(name, options, type == "maxpool");
  }
  if (type == "linear") {
    LinearOptions options;
    options.out_features = Int(spec, "out");
    options.bias = spec.at("bias").get<bool>();
    return std::make_unique<Linear>(name, options);
  }
  if (type == "batchnorm") {
    BatchNormOptions options;
    options.momentum = Float(spec, "momentum");
    options.epsilon = Float(spec, "eps");
    return std::make_unique<BatchNorm>(name, options);
  }
  if (type == "relu") return std::make_unique<Eltwise>(name, Activation::kRelu);
  if (type == "leaky_relu") {
    return std::make_unique<Eltwise>(name, Activation::kLeakyRelu, Float(spec, "alpha"));
  }
  if (type == "sigmoid") return std::make_unique<Eltwise>(name, Activation::kSigmoid);
  if (type == "tanh") return std::make_unique<Eltwise>(name, Activation::kTanh);
  if (type == "dropout") return std::make_unique<Dropout>(name, Float(spec, "p"));
  if (type == "flatten") return std::make_unique<Reshape>(name, Dims());
  if (type == "gaussian_sample") return std::make_unique<GaussianSample>(name);
  return std::make_unique<Reshape>(name, spec.at("shape").get<Dims>());  // reshape
}

}  // namespace

const std::vector<std::string>& InitChoiceNames() {
  static const std::vector<std::string> names = {"auto", "he", "xavier", "torch"};
  return names;
}

ParamSpec LayersParam(const std::string& name, const std::string& help) {
  const BatchNormOptions batchnorm;
  ParamSpec layer =
      ParamSpec::Object("layer", nullptr, "one layer")
          .Tagged("type",
                  {ParamSpec::Variant("conv", "2-D convolution", ConvFields(false)),
                   ParamSpec::Variant("conv_transpose", "2-D transposed convolution",
                                      ConvFields(true)),
                   ParamSpec::Variant("maxpool", "max pooling", PoolFields()),
                   ParamSpec::Variant("avgpool", "average pooling", PoolFields()),
                   ParamSpec::Variant(
                       "linear", "fully connected",
                       {Count("out", "output features"),
                        ParamSpec::Bool("bias", true, "add a learnt bias"),
                        ParamSpec::String("init", nullptr,
                                          "weight initialisation (default: the network's)")
                            .Choices(InitChoiceNames())
                            .Optional()}),
                   ParamSpec::Variant(
                       "batchnorm", "batch normalisation",
                       {ParamSpec::Float("momentum", batchnorm.momentum,
                                         "running-statistics update rate")
                            .Min(0)
                            .Max(1),
                        ParamSpec::Float("eps", batchnorm.epsilon, "added to the variance")
                            .Min(1e-12)
                            .Max(1)}),
                   ParamSpec::Variant("relu", "max(x, 0)", {}),
                   ParamSpec::Variant("leaky_relu", "x, or alpha * x below 0",
                                      {ParamSpec::Float("alpha", 0.01, "slope below 0")
                                           .Min(0)
                                           .Max(1e6)}),
                   ParamSpec::Variant("sigmoid", "1 / (1 + exp(-x))", {}),
                   ParamSpec::Variant("tanh", "tanh(x)", {}),
                   ParamSpec::Variant("dropout", "zeroes inputs with probability p in training",
                                      {ParamSpec::Float("p", 0.5, "drop probability")
                                           .Min(0)
                                           .Below(1)}),
                   ParamSpec::Variant("flatten", "one vector per example", {}),
                   ParamSpec::Variant("gaussian_sample",
                                      "VAE reparameterisation: [mu, log_var] -> mu + "
                                      "exp(log_var / 2) eps in training, mu in inference",
                                      {}),
                   ParamSpec::Variant(
                       "reshape", "a new per-example shape",
                       {ParamSpec::List("shape", nullptr, "per-example shape, e.g. [32, 7, 7]")
                            .Items(ParamSpec::Int("size", nullptr, "a dimension").Min(1))
                            .Min(1)})})
          .Fields({ParamSpec::String("name", nullptr,
                                     "layer name (default: type and count, e.g. conv2)")
                       .Optional()});
  return ParamSpec::List(name, nullptr, help).Items(std::move(layer)).Min(1);
}

InitChoice ParseInitChoice(const std::string& text, const std::string& where) {
  if (text == "auto") return InitChoice::kAuto;
  if (text == "he") return InitChoice::kHe;
  if (text == "xavier") return InitChoice::kXavier;
  if (text == "torch") return InitChoice::kTorch;
  throw pipeline::ConfigError(where + ": init must be auto, he, xavier or torch, not '" + text +
                              "'");
}

std::vector<LayerSpec> ParseLayerSpecs(const nlohmann::json& layers, const std::string& key_path) {
  const Json resolved = pipeline::ResolveParam(LayersParam(key_path, "the network"), layers,
                                               key_path);
  std::vector<LayerSpec> specs;
  std::map<std::string, int> type_counts;
  std::set<std::string> names;
  for (size_t i = 0; i < resolved.size(); ++i) {
    const Json& spec = resolved[i];
    const std::string where = key_path + "[" + std::to_string(i) + "]";
    const std::string type = spec.at("type").get<std::string>();
    std::string name = type + std::to_string(++type_counts[type]);
    if (spec.contains("name")) name = spec.at("name").get<std::string>();
    if (name.empty() || !names.insert(name).second) {
      throw pipeline::ConfigError("layer name '" + name + "' is empty or used twice", "", 0, 0,
                                  where + ".name");
    }
    LayerSpec parsed;
    parsed.layer = MakeLayer(type, name, spec);
    if (spec.contains("init")) parsed.init = ParseInitChoice(spec.at("init"), where);
    specs.push_back(std::move(parsed));
  }
  return specs;
}

}  // namespace stages::nn
