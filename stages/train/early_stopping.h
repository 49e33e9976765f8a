#pragma once
// Early-stopping policies. After each epoch's validation pass the training loop calls
//   const EpochDecision decision = policy.Observe(epoch, val_loss, val_accuracy);
//   if (decision.is_new_best) SaveCheckpoint();   // the checkpoint the run will keep
//   if (decision.stop) break;
// and at the end records policy.stopped_epoch() (-1: ran to the epoch limit) and
// policy.chosen_epoch() (the epoch of the kept checkpoint).
//
// Epoch numbers are the caller's (1-based in the train stage); they are only recorded, never
// used in arithmetic, except that they must increase. A NaN or infinite value never counts as
// an improvement (divergence is the training loop's business).
//
// Policies:
//   none      never stops; the best epoch is the one with the best `monitor` value
//             (default val_accuracy).
//   patience  stops when `monitor` (default val_loss; lower is better for val_loss, higher for
//             val_accuracy) has not improved by more than min_delta (default 0, i.e. strictly
//             better) for `patience` epochs in a row (default 10): with the best value at epoch
//             b and no improvement since, it stops at epoch b + patience (Keras' EarlyStopping
//             rule). The best epoch is the one with the best monitored value.
//   counter   the rule of study S1. A counter starts at `start` (default 10). Each epoch, in
//             this order:
//               1. counter -= 1;
//               2. if val_accuracy is higher than every earlier epoch's (a new best; always so
//                  for the first epoch): counter += best_bonus (default 5) and this epoch
//                  becomes the chosen one (save a checkpoint);
//               3. if val_loss is lower than the previous epoch's (not on the first epoch):
//                  counter += loss_bonus (default 2);
//               4. counter = min(counter, cap) (default cap 10; capping after each bonus, as
//                  the write-up says, gives the same number because both caps are equal);
//               5. stop if counter <= 0.
//             Decrementing first means a bonus earned in the epoch that would take the counter
//             to 0 still saves the run. With no bonus after the last new best (which leaves
//             the counter at the cap), the run stops cap epochs after it.
//
// Not thread-safe; one policy object per run.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/params.h"

namespace stages {

enum class Monitor { kValLoss, kValAccuracy };

struct EpochDecision {
  bool stop = false;         // end training after this epoch
  bool is_new_best = false;  // this epoch becomes the chosen one: save its checkpoint
};

class EarlyStopping {
 public:
  virtual ~EarlyStopping();

  // Feeds one epoch's validation results. After the policy has said stop, further calls
  // change nothing and return {stop = true, is_new_best = false}.
  EpochDecision Observe(int64_t epoch, double val_loss, double val_accuracy);

  const std::string& name() const { return name_; }
  bool stopped() const { return stopped_epoch_ >= 0; }
  // The epoch whose Observe returned stop, or -1.
  int64_t stopped_epoch() const { return stopped_epoch_; }
  // The epoch of the last is_new_best, or -1 before the first one.
  int64_t chosen_epoch() const { return chosen_epoch_; }

  // The policy's state for checkpoint-resume: Restore(State()) on a policy made from the same
  // settings continues identically. Throws StageError on state of another policy.
  pipeline::Json State() const;
  void Restore(const pipeline::Json& state);

 protected:
  explicit EarlyStopping(std::string name) : name_(std::move(name)) {}
  virtual EpochDecision Decide(double val_loss, double val_accuracy) = 0;
  virtual pipeline::Json PolicyState() const = 0;
  virtual void RestorePolicyState(const pipeline::Json& state) = 0;

 private:
  std::string name_;
  int64_t stopped_epoch_ = -1;
  int64_t chosen_epoch_ = -1;
};

// "val_loss" or "val_accuracy".
const char* MonitorName(Monitor monitor);

// Tracks the best value of one metric; shared by the none and patience policies.
class BestValue {
 public:
  BestValue(Monitor monitor, double min_delta) : monitor_(monitor), min_delta_(min_delta) {}
  // True (and remembers `value`) if `value` improves on the best by more than min_delta.
  bool Update(double value);
  bool has_value() const { return has_value_; }
  double best() const { return best_; }
  void Restore(bool has_value, double best) { has_value_ = has_value; best_ = best; }

 private:
  Monitor monitor_;
  double min_delta_;
  bool has_value_ = false;
  double best_ = 0;
};

class NoEarlyStopping : public EarlyStopping {
 public:
  explicit NoEarlyStopping(Monitor monitor = Monitor::kValAccuracy);

 protected:
  EpochDecision Decide(double val_loss, double val_accuracy) override;
  pipeline::Json PolicyState() const override;
  void RestorePolicyState(const pipeline::Json& state) override;

 private:
  Monitor monitor_;
  BestValue best_;
};

struct PatienceOptions {
  Monitor monitor = Monitor::kValLoss;
  int64_t patience = 10;  // >= 1
  double min_delta = 0;   // >= 0
};

class PatienceStopping : public EarlyStopping {
 public:
  // Throws ConfigError on patience < 1 or min_delta < 0.
  explicit PatienceStopping(const PatienceOptions& options);
  // Epochs since the last improvement.
  int64_t epochs_without_improvement() const { return wait_; }

 protected:
  EpochDecision Decide(double val_loss, double val_accuracy) override;
  pipeline::Json PolicyState() const override;
  void RestorePolicyState(const pipeline::Json& state) override;

 private:
  PatienceOptions options_;
  BestValue best_;
  int64_t wait_ = 0;
};

struct CounterOptions {
  int64_t start = 10;      // >= 1
  int64_t cap = 10;        // >= start
  int64_t best_bonus = 5;  // >= 0
  int64_t loss_bonus = 2;  // >= 0
};

class CounterStopping : public EarlyStopping {
 public:
  // Throws ConfigError on values outside the ranges above.
  explicit CounterStopping(const CounterOptions& options);
  // The counter after the last Observe (start before the first).
  int64_t counter() const { return counter_; }

 protected:
  EpochDecision Decide(double val_loss, double val_accuracy) override;
  pipeline::Json PolicyState() const override;
  void RestorePolicyState(const pipeline::Json& state) override;

 private:
  CounterOptions options_;
  int64_t counter_;
  BestValue best_accuracy_{Monitor::kValAccuracy, 0};
  bool has_previous_loss_ = false;
  double previous_loss_ = 0;
};

// The declaration of the `early_stopping` parameter: tagged by `policy` (default none), with
// monitor for none and patience, patience and min_delta for patience, start, cap, best_bonus
// and loss_bonus for counter (defaults as above).
pipeline::ParamSpec EarlyStoppingParam();

// Builds a policy from JSON such as {"policy": "patience", "monitor": "val_loss",
// "patience": 10}, resolved against EarlyStoppingParam. Throws ConfigError naming `key_path` on unknown names or keys, bad values, or a key of
// another policy.
std::unique_ptr<EarlyStopping> MakeEarlyStopping(const pipeline::Json& config,
                                                 const std::string& key_path = "early_stopping");

// The valid values of "policy".
const std::vector<std::string>& EarlyStoppingNames();

}  // namespace stages
