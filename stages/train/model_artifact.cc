#include "stages/train/model_artifact.h"

#include "pipeline/errors.h"

namespace stages {
namespace {

constexpr const char* kPrefix = "model/";

}  // namespace

void PutModel(pipeline::Artifact& artifact, const ModelDescription& model,
              const std::map<std::string, pipeline::Tensor>& state) {
  for (const auto& [name, tensor] : state) artifact.Put(kPrefix + name, tensor);
  pipeline::Json description;
  description["layers"] = model.layers;
  description["input_shape"] = model.input_shape;
  description["task"] = model.task;
  description["loss"] = model.loss;
  description["classes"] = model.classes;
  description["latent"] = model.latent;
  if (!model.example_shape.empty()) description["example_shape"] = model.example_shape;
  if (!model.settings.is_null()) description["settings"] = model.settings;
  artifact.meta()["model"] = description;
}

bool IsModel(const pipeline::Artifact& artifact) {
  return artifact.meta().contains("model") && artifact.meta()["model"].is_object();
}

ModelDescription ReadModel(const pipeline::Artifact& artifact) {
  if (!IsModel(artifact)) {
    throw pipeline::StageError("the input is not a trained model (it holds " +
                               artifact.Describe() + "); give the output of a train stage");
  }
  const pipeline::Json& description = artifact.meta()["model"];
  ModelDescription model;
  try {
    model.layers = description.at("layers");
    model.input_shape = description.at("input_shape").get<nn::Dims>();
    model.task = description.at("task").get<std::string>();
    model.loss = description.at("loss").get<std::string>();
    model.classes = description.at("classes").get<int64_t>();
    model.latent = description.value("latent", std::string());
    if (description.contains("example_shape")) {
      model.example_shape = description["example_shape"].get<nn::Dims>();
    }
    if (description.contains("settings")) model.settings = description["settings"];
  } catch (const nlohmann::json::exception& error) {
    throw pipeline::StageError(std::string("the model's description is damaged: ") +
                               error.what());
  }
  ModelObjective(model);  // checks task and loss
  return model;
}

std::unique_ptr<TrainingObjective> ModelObjective(const ModelDescription& model) {
  try {
    return MakeObjective(model.task, model.loss, model.classes, {}, "model", model.settings);
  } catch (const pipeline::ConfigError& error) {
    throw pipeline::StageError(std::string("the model's description is damaged: ") +
                               error.what());
  }
}

std::map<std::string, pipeline::Tensor> ReadModelState(const pipeline::Artifact& artifact) {
  std::map<std::string, pipeline::Tensor> state;
  const std::string prefix = kPrefix;
  for (const auto& [name, tensor] : artifact.tensors()) {
    if (name.compare(0, prefix.size(), prefix) == 0) state[name.substr(prefix.size())] = tensor;
  }
  return state;
}

std::unique_ptr<nn::Network> LoadNetwork(const pipeline::Artifact& artifact, int64_t batch) {
  const ModelDescription model = ReadModel(artifact);
  nn::NetworkOptions options;
  options.input_shape = model.input_shape;
  options.batch = batch;
  auto network = std::make_unique<nn::Network>(model.layers, options);
  network->LoadStateDict(ReadModelState(artifact), /*strict=*/true);
  return network;
}

ModelAndData SplitModelInputs(const pipeline::StageContext& ctx, bool model_required) {
  ModelAndData split;
  int models = 0;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const pipeline::Artifact& input = ctx.input(i);
    if (IsModel(input)) {
      ++models;
      split.model = &input;
    } else {
      split.data.push_back(&input);
    }
  }
  if (models > 1 || (model_required && models == 0)) {
    throw pipeline::StageError(
        ctx.type().name + ": expected " + (model_required ? "exactly one" : "at most one") +
        " trained model (a train stage's output) among the inputs, found " +
        std::to_string(models));
  }
  return split;
}

ModelAndData OpenModelAndData(const pipeline::StageContext& ctx, int64_t batch) {
  ModelAndData inputs = SplitModelInputs(ctx, /*model_required=*/true);
  const std::string& stage = ctx.type().name;
  if (inputs.data.size() != 1) {
    throw pipeline::StageError(stage + ": expected one model and one data set, got " +
                               std::to_string(inputs.data.size()) + " data sets");
  }
  inputs.description = ReadModel(*inputs.model);
  inputs.network = LoadNetwork(*inputs.model, batch);
  const pipeline::Tensor& x = inputs.data[0]->Get("x");
  if (x.row_size() != inputs.network->input_size()) {
    throw pipeline::StageError(stage + ": the data has " + std::to_string(x.row_size()) +
                               " values per example, the model takes " +
                               std::to_string(inputs.network->input_size()));
  }
  return inputs;
}

nn::Dims ExampleShape(const pipeline::Tensor& x) {
  if (x.shape().size() < 2) {
    throw pipeline::StageError("x has shape " + x.ShapeString() +
                               "; expected [examples, features...]");
  }
  return nn::Dims(x.shape().begin() + 1, x.shape().end());
}

}  // namespace stages
