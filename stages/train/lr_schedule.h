#pragma once
// LrSchedule: the learning rate as a function of the epoch, set on the optimiser at the start of
// each epoch (optimizer.set_lr(schedule.LearningRate(epoch))). Epochs are counted from 0 here,
// like PyTorch's last_epoch: LearningRate(0) is the rate of the first epoch and equals base_lr
// for every schedule. The formulas follow torch.optim.lr_scheduler (closed forms):
//   constant  lr(e) = base_lr
//   step      lr(e) = base_lr * gamma^floor(e / step_size)                        (StepLR)
//   cosine    lr(e) = eta_min + (base_lr - eta_min) * (1 + cos(pi * e / t_max)) / 2
//             (CosineAnnealingLR; Loshchilov & Hutter, "SGDR: stochastic gradient descent with
//             warm restarts", ICLR 2017, without restarts). Past t_max the cosine goes on and
//             the rate rises again, as in PyTorch's closed form; set t_max to the epoch count.
// Immutable after construction, so thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/params.h"

namespace stages {

enum class LrScheduleKind { kConstant, kStep, kCosine };

struct LrScheduleOptions {
  LrScheduleKind kind = LrScheduleKind::kConstant;
  int64_t step_size = 10;  // step: epochs between decays, >= 1
  double gamma = 0.1;      // step: decay factor, > 0
  int64_t t_max = 10;      // cosine: epochs of the half period, >= 1
  double eta_min = 0;      // cosine: the lowest rate, in [0, base_lr]
};

class LrSchedule {
 public:
  // Throws ConfigError on base_lr <= 0 or options outside the ranges above.
  LrSchedule(double base_lr, const LrScheduleOptions& options);

  // The learning rate of 0-based epoch `epoch` (>= 0).
  double LearningRate(int64_t epoch) const;

  double base_lr() const { return base_lr_; }
  const LrScheduleOptions& options() const { return options_; }

 private:
  double base_lr_;
  LrScheduleOptions options_;
};

// The declaration of the `lr_schedule` parameter: tagged by `schedule` (default constant),
// with step_size and gamma for step, t_max and eta_min for cosine (defaults as above).
pipeline::ParamSpec LrScheduleParam();

// Builds a schedule from JSON such as {"schedule": "step", "step_size": 30, "gamma": 0.1},
// resolved against LrScheduleParam. Throws ConfigError naming `key_path` on unknown names or
// keys, bad values, or a key of another schedule.
LrSchedule MakeLrSchedule(const pipeline::Json& config, double base_lr,
                          const std::string& key_path = "lr_schedule");

// The valid values of "schedule".
const std::vector<std::string>& LrScheduleNames();

}  // namespace stages
