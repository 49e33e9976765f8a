#pragma once
// A trained model as an artifact: the train stage's output is its checkpoint. The artifact holds
// every tensor of the network's StateDict under "model/<name>" (plain float32, e.g.
// "model/conv1.weight") and describes the network in meta["model"]:
//   {"layers": [...], "input_shape": [1, 28, 28], "task": "classify", "loss": "cross_entropy",
//    "classes": 10, "latent": "latent"}, plus "example_shape" and "settings" for a GAN
// so `evaluate` and `encode` rebuild the network from it, and another `train` stage starts from
// it (transfer learning). The class names and other metadata of the training set travel along
// in meta. Thread-safe: pure functions over their arguments.

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "pipeline/artifact.h"
#include "pipeline/stage.h"
#include "stages/train/nn/network.h"
#include "stages/train/trainer.h"

namespace stages {

struct ModelDescription {
  pipeline::Json layers;
  nn::Dims input_shape;
  std::string task = "classify";  // the objective (objective.h)
  std::string loss = "cross_entropy";
  int64_t classes = 0;
  std::string latent;  // the layer whose output is the latent code ("" if none)
  // Per-example shape of the data it was trained on, when it differs from input_shape (a GAN's
  // generator takes noise and makes images of this shape); empty otherwise.
  nn::Dims example_shape;
  pipeline::Json settings;  // the objective's settings (a GAN's `gan` block); null if none
};

// Writes the description and the state into `artifact`.
void PutModel(pipeline::Artifact& artifact, const ModelDescription& model,
              const std::map<std::string, pipeline::Tensor>& state);

// True when `artifact` is a model checkpoint.
bool IsModel(const pipeline::Artifact& artifact);

// Reads the description; throws StageError when `artifact` holds no model.
ModelDescription ReadModel(const pipeline::Artifact& artifact);
// The objective the model was trained with.
std::unique_ptr<TrainingObjective> ModelObjective(const ModelDescription& model);
// The state tensors, named as Network::StateDict names them.
std::map<std::string, pipeline::Tensor> ReadModelState(const pipeline::Artifact& artifact);

// Rebuilds the network for inference with batch size `batch` and loads the state (strict).
std::unique_ptr<nn::Network> LoadNetwork(const pipeline::Artifact& artifact, int64_t batch);

// Splits a stage's inputs into the one model checkpoint and the data sets (in order). Throws
// StageError naming the stage when more than one input is a model, or none is but one is required.
struct ModelAndData {
  const pipeline::Artifact* model = nullptr;
  std::vector<const pipeline::Artifact*> data;
  // Filled by OpenModelAndData only.
  ModelDescription description;
  std::unique_ptr<nn::Network> network;
};
ModelAndData SplitModelInputs(const pipeline::StageContext& ctx, bool model_required);

// For stages that run a trained model over one data set (evaluate, encode): exactly one model
// and one data set, the model's description and its network rebuilt for `batch` examples.
// Throws StageError naming the stage on other inputs, or when the data's values per example do
// not fit the network's input.
ModelAndData OpenModelAndData(const pipeline::StageContext& ctx, int64_t batch);

// The per-example shape of a data set's "x" ([N, C, H, W] → {C, H, W}).
nn::Dims ExampleShape(const pipeline::Tensor& x);

}  // namespace stages
