#pragma once
// What training optimises. A TrainingObjective scores a network's output on a batch (the loss
// and its gradient with respect to the output), says which data it needs and what it reports,
// checks that a network fits it, adapts the early-stopping policy to what it measures, and runs
// one training step. The trainer, the train stage, `evaluate`, `encode` and the model artifact
// ask the objective instead of switching on a task; a new kind of training is a new objective
// in MakeObjective — a VAE adds its KL term in BatchLoss (its sampling layer's backward adds
// the rest), a GAN overrides TrainStep with its two networks and alternating updates.
//
//   classify    logits [N, classes] against int32 labels y, softmax cross-entropy (optionally
//               class-weighted); reports accuracy
//   autoencode  the network reproduces its input: mse, or bce on logits (the reconstruction is
//               then sigmoid(output))
//   vae         a variational autoencoder: the network has one gaussian_sample layer and ends
//               in logits; loss per image in nats = the per-pixel binary cross-entropy summed
//               over the image + the sampling layer's KL term (PyTorch's VAE example)
//
// Objectives are immutable after construction and thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/params.h"
#include "stages/train/nn/network.h"
#include "stages/train/optimizer.h"

namespace stages {

// One gathered mini-batch and the means to update on it.
struct TrainStep {
  nn::Network& network;
  Optimizer& optimizer;
  const std::vector<ParameterView>& parameters;
  const float* x;      // [batch, input...]
  const int32_t* y;    // [batch] labels, or nullptr when the objective uses none
  int64_t batch;
  float* grad;         // scratch of batch * output size
  int64_t* correct;    // correct predictions are added here (objectives with accuracy)
};

class TrainingObjective {
 public:
  virtual ~TrainingObjective();

  virtual std::string task() const = 0;  // the train stage's `task`, e.g. "classify"
  virtual std::string loss() const = 0;  // the resolved loss, e.g. "cross_entropy"
  virtual bool uses_labels() const = 0;
  virtual bool has_accuracy() const = 0;
  // The network's output as a reconstruction of its input (autoencoders), one value at a time;
  // objectives that do not reconstruct return false from reconstructs().
  virtual bool reconstructs() const { return false; }
  virtual float Reconstruction(float output) const { return output; }

  // Throws ConfigError naming `key_path` when the network's output cannot serve the objective.
  virtual void CheckNetwork(const nn::Network& network, const std::string& key_path) const = 0;
  // The early-stopping settings made to fit what the objective measures (e.g. val_loss when it
  // has no accuracy); throws ConfigError naming `key_path` for a policy it cannot serve.
  virtual pipeline::Json PolicyConfig(pipeline::Json config, const std::string& key_path) const;

  // The mean loss of a batch of `output` ([batch, width]) for inputs `x` and labels `y`; writes
  // d loss / d output into `grad` when not null and adds correct predictions to `correct`
  // when not null.
  virtual double BatchLoss(const float* output, const float* x, const int32_t* y, int64_t batch,
                           int64_t width, float* grad, int64_t* correct) const = 0;

  // A loss term the network computes itself in its last forward pass (a VAE's KL divergence),
  // added to BatchLoss by the trainer in training and evaluation; its gradient is the
  // network's own (added in its backward pass). Default 0.
  virtual double NetworkLoss(const nn::Network& network) const { return 0; }
  // The names under which the two parts of the loss are logged per epoch ("reconstruction" and
  // "kl" for a VAE); empty when the objective has no network loss.
  virtual std::string batch_loss_name() const { return ""; }
  virtual std::string network_loss_name() const { return ""; }

  // One update: forward in training mode, BatchLoss + NetworkLoss, backward, the optimiser's
  // step. Returns the loss including the optimiser's penalties.
  virtual double RunStep(const TrainStep& step) const;
};

// The valid values of `task`.
const std::vector<std::string>& ObjectiveNames();

// The objective for `task` and `loss` ("auto": the task's usual loss). `classes` and
// `class_weights` (empty: unweighted) are for classifiers. Throws ConfigError naming `key_path`
// for an unknown task or loss, or a loss that does not fit the task.
std::unique_ptr<TrainingObjective> MakeObjective(const std::string& task, const std::string& loss,
                                                 int64_t classes,
                                                 std::vector<float> class_weights,
                                                 const std::string& key_path);

}  // namespace stages
