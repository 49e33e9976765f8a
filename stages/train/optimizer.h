#pragma once
// Optimizer: updates a network's parameters from the gradients of the last backward pass.
//
// A training loop builds one optimiser per run (MakeOptimizer in optimizer_factory.h), then per
// batch: forward, backward (the network fills every ParameterView::grad), and
//   const double penalty = optimizer.Step(network.Parameters());
//   batch_loss += penalty;   // the L1/L2 term, so the loss metric includes it
// and once per epoch optimizer.set_lr(schedule.LearningRate(epoch)).
//
// Per-parameter state (momentum buffers, running averages, step counts) is keyed by the
// parameter's name, not by the view, so views may be re-created between steps (e.g. when a
// network is rebuilt from a checkpoint) and parameters that were frozen get fresh state the
// first time they are updated. ExportState/ImportState carry it through a checkpoint; an
// optimiser that imports the state exported after step k continues bit-identically.
//
// Penalties (PenaltyOptions) apply to parameters with is_weight set only; frozen parameters are
// neither updated nor penalised and get no state.
//
// Step is not thread-safe (one caller at a time); it runs in parallel itself with
// an OpenMP loop over fixed chunks of every parameter, on the caller's OpenMP threads (the
// stage's share, the threads oneDNN uses between which they would only spin). Every
// update is element-wise, so the new values do not depend on the number of threads; the penalty
// sum is added chunk by chunk in a fixed order, so it does not either.

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "stages/train/parameter_view.h"

namespace stages {

// Penalties on weights. All default to 0 (off); several may be combined.
struct PenaltyOptions {
  // Adds weight_decay * w to the gradient before the update rule (PyTorch's coupled
  // weight_decay argument, also for Adam). Not reported as part of the loss.
  double weight_decay = 0;
  // L2 penalty: l2 * sum(w^2) is added to the loss, so 2 * l2 * w to the gradient.
  double l2 = 0;
  // L1 penalty: l1 * sum(|w|) is added to the loss, so l1 * sign(w) to the gradient (the
  // subgradient with sign(0) = 0).
  double l1 = 0;

  bool active() const { return weight_decay != 0 || l2 != 0 || l1 != 0; }
};

// Optimiser state for checkpoints: "<parameter name>/<slot>" -> values. Every parameter that has
// been updated has a "<name>/step" entry (its update count, exact, as two floats: count / 2^24
// and count % 2^24) and one entry per slot of the algorithm (e.g. "conv1.weight/exp_avg").
using OptimizerState = std::map<std::string, std::vector<float>>;

class Optimizer {
 public:
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Updates every parameter that is not frozen from its value and grad (grad is read, never
  // written). Returns the L1/L2 penalty of the weights before the update, i.e. the term that
  // belongs to the loss of the batch whose gradient this is; 0 when l1 and l2 are 0.
  // Throws StageError if a parameter has no grad buffer or changed size since its state was made.
  double Step(const std::vector<ParameterView>& params);

  // The L1/L2 penalty of the current weights (not frozen), without updating anything.
  double Penalty(const std::vector<ParameterView>& params) const;

  // "sgd", "adagrad", "rmsprop" or "adam".
  const std::string& name() const { return name_; }
  double lr() const { return lr_; }
  // The learning rate of the following steps; a schedule sets it at the start of each epoch.
  void set_lr(double lr) { lr_ = lr; }
  const PenaltyOptions& penalties() const { return penalties_; }
  // Names of the per-element state buffers of the algorithm, e.g. {"exp_avg", "exp_avg_sq"}.
  const std::vector<std::string>& slot_names() const { return slot_names_; }
  // Updates made so far to the named parameter (0 if it has never been updated).
  int64_t StepCount(const std::string& parameter_name) const;

  OptimizerState ExportState() const;
  // Replaces all state with `state` (from ExportState of an optimiser of the same algorithm).
  // Throws StageError on slots this algorithm does not have, missing slots or ragged sizes.
  void ImportState(const OptimizerState& state);

 protected:
  // One contiguous piece of one parameter, handed to the update rule. `grad` already includes
  // the penalty gradients; `slots[s]` points at the same piece of slot s; `step` is the 1-based
  // number of this update of the parameter (Adam's t).
  struct Chunk {
    float* value = nullptr;
    const float* grad = nullptr;
    float* slots[2] = {nullptr, nullptr};
    int64_t size = 0;
    int64_t step = 0;
  };
  static constexpr size_t kMaxSlots = 2;

  Optimizer(std::string name, double lr, PenaltyOptions penalties,
            std::vector<std::string> slot_names);

  // The update rule, applied to each chunk of each parameter (possibly concurrently on
  // different chunks). Must be element-wise.
  virtual void UpdateChunk(const Chunk& chunk) const = 0;
  // The value a new slot buffer starts with (Adagrad's initial accumulator); default 0.
  virtual float InitialSlotValue(size_t slot) const;

 private:
  struct ParameterState {
    int64_t steps = 0;
    std::vector<std::vector<float>> slots;
  };
  ParameterState& StateFor(const ParameterView& param);

  std::string name_;
  double lr_;
  PenaltyOptions penalties_;
  std::vector<std::string> slot_names_;
  std::unordered_map<std::string, ParameterState> state_;
};

}  // namespace stages
