#include "stages/train/lr_schedule.h"

#include <cmath>

#include "pipeline/errors.h"
#include "stages/train/config_reader.h"

namespace stages {

namespace {
constexpr double kPi = 3.14159265358979323846;
}  // namespace

LrSchedule::LrSchedule(double base_lr, const LrScheduleOptions& options)
    : base_lr_(base_lr), options_(options) {
  auto fail = [](const std::string& why) { throw pipeline::ConfigError("lr schedule: " + why); };
  if (!(base_lr > 0) || !std::isfinite(base_lr)) fail("the base learning rate must be > 0");
  if (options.kind == LrScheduleKind::kStep) {
    if (options.step_size < 1) fail("step_size must be >= 1");
    if (!(options.gamma > 0) || !std::isfinite(options.gamma)) fail("gamma must be > 0");
  }
  if (options.kind == LrScheduleKind::kCosine) {
    if (options.t_max < 1) fail("t_max must be >= 1");
    if (!(options.eta_min >= 0 && options.eta_min <= base_lr)) {
      fail("eta_min must be in [0, lr]");
    }
  }
}

double LrSchedule::LearningRate(int64_t epoch) const {
  switch (options_.kind) {
    case LrScheduleKind::kConstant:
      return base_lr_;
    case LrScheduleKind::kStep:
      return base_lr_ * std::pow(options_.gamma, static_cast<double>(epoch / options_.step_size));
    case LrScheduleKind::kCosine:
      return options_.eta_min +
             (base_lr_ - options_.eta_min) *
                 (1 + std::cos(kPi * static_cast<double>(epoch) /
                               static_cast<double>(options_.t_max))) /
                 2;
  }
  return base_lr_;
}

const std::vector<std::string>& LrScheduleNames() {
  static const std::vector<std::string> names = {"constant", "step", "cosine"};
  return names;
}

LrSchedule MakeLrSchedule(const pipeline::Json& config, double base_lr,
                          const std::string& key_path) {
  const ConfigReader reader(config, key_path, "{schedule: step, step_size: 10, gamma: 0.1}");
  reader.RejectUnknownKeys({"schedule", "step_size", "gamma", "t_max", "eta_min"}, "schedule");
  const std::string name = reader.Choice("schedule", "constant", LrScheduleNames());
  LrScheduleOptions options;
  options.kind = name == "step"     ? LrScheduleKind::kStep
                 : name == "cosine" ? LrScheduleKind::kCosine
                                    : LrScheduleKind::kConstant;
  for (const char* key : {"step_size", "gamma"}) {
    if (reader.Has(key) && name != "step") reader.Fail(key, "applies to the step schedule only");
  }
  for (const char* key : {"t_max", "eta_min"}) {
    if (reader.Has(key) && name != "cosine") {
      reader.Fail(key, "applies to the cosine schedule only");
    }
  }
  options.step_size = reader.Integer("step_size", options.step_size);
  options.gamma = reader.Number("gamma", options.gamma);
  options.t_max = reader.Integer("t_max", options.t_max);
  options.eta_min = reader.Number("eta_min", options.eta_min);
  try {
    return LrSchedule(base_lr, options);
  } catch (const pipeline::ConfigError& error) {
    reader.Fail("", error.what());
  }
}

}  // namespace stages
