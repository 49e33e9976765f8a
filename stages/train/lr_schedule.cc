#include "stages/train/lr_schedule.h"

#include <cmath>

#include "pipeline/errors.h"
#include "pipeline/param_schema.h"

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

pipeline::ParamSpec LrScheduleParam() {
  using pipeline::ParamSpec;
  const LrScheduleOptions defaults;
  return ParamSpec::Object("lr_schedule", pipeline::Json{{"schedule", "constant"}},
                           "learning-rate schedule over epochs (lr_schedule.h)")
      .Tagged("schedule",
              {ParamSpec::Variant("constant", "the optimiser's lr throughout", {}),
               ParamSpec::Variant(
                   "step", "lr * gamma^floor(epoch / step_size) (StepLR)",
                   {ParamSpec::Int("step_size", defaults.step_size, "epochs between decays").Min(1),
                    ParamSpec::Float("gamma", defaults.gamma, "decay factor").Above(0)}),
               ParamSpec::Variant(
                   "cosine", "cosine annealing from lr to eta_min over t_max epochs",
                   {ParamSpec::Int("t_max", defaults.t_max, "epochs of the half period").Min(1),
                    ParamSpec::Float("eta_min", defaults.eta_min, "the lowest rate, in [0, lr]")
                        .Min(0)})});
}

LrSchedule MakeLrSchedule(const pipeline::Json& config, double base_lr,
                          const std::string& key_path) {
  const pipeline::Json c = pipeline::ResolveParam(LrScheduleParam(), config, key_path);
  const std::string name = c.at("schedule").get<std::string>();
  LrScheduleOptions options;
  if (name == "step") {
    options.kind = LrScheduleKind::kStep;
    options.step_size = c.at("step_size").get<int64_t>();
    options.gamma = c.at("gamma").get<double>();
  } else if (name == "cosine") {
    options.kind = LrScheduleKind::kCosine;
    options.t_max = c.at("t_max").get<int64_t>();
    options.eta_min = c.at("eta_min").get<double>();
  }
  try {
    return LrSchedule(base_lr, options);
  } catch (const pipeline::ConfigError& error) {
    throw pipeline::ConfigError(error.what(), "", 0, 0, key_path);
  }
}

}  // namespace stages
