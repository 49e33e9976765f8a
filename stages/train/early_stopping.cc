#include "stages/train/early_stopping.h"

#include <algorithm>
#include <cmath>

#include "pipeline/errors.h"
#include "pipeline/param_schema.h"

namespace stages {

using pipeline::Json;

namespace {

double Monitored(Monitor monitor, double val_loss, double val_accuracy) {
  return monitor == Monitor::kValLoss ? val_loss : val_accuracy;
}

Json BestState(const BestValue& best) {
  return {{"has_best", best.has_value()}, {"best", best.best()}};
}

void RestoreBest(BestValue& best, const Json& state) {
  best.Restore(state.at("has_best").get<bool>(), state.at("best").get<double>());
}

}  // namespace

const char* MonitorName(Monitor monitor) {
  return monitor == Monitor::kValLoss ? "val_loss" : "val_accuracy";
}

bool BestValue::Update(double value) {
  if (!std::isfinite(value)) return false;
  const bool improved = !has_value_ || (monitor_ == Monitor::kValLoss
                                            ? value < best_ - min_delta_
                                            : value > best_ + min_delta_);
  if (improved) {
    has_value_ = true;
    best_ = value;
  }
  return improved;
}

EarlyStopping::~EarlyStopping() = default;

EpochDecision EarlyStopping::Observe(int64_t epoch, double val_loss, double val_accuracy) {
  if (stopped()) return {true, false};
  const EpochDecision decision = Decide(val_loss, val_accuracy);
  if (decision.is_new_best) chosen_epoch_ = epoch;
  if (decision.stop) stopped_epoch_ = epoch;
  return decision;
}

Json EarlyStopping::State() const {
  return {{"policy", name_},
          {"stopped_epoch", stopped_epoch_},
          {"chosen_epoch", chosen_epoch_},
          {"state", PolicyState()}};
}

void EarlyStopping::Restore(const Json& state) {
  try {
    if (state.at("policy").get<std::string>() != name_) {
      throw pipeline::StageError("early stopping: the checkpoint holds the state of policy '" +
                                 state.at("policy").get<std::string>() + "', not '" + name_ +
                                 "'");
    }
    stopped_epoch_ = state.at("stopped_epoch").get<int64_t>();
    chosen_epoch_ = state.at("chosen_epoch").get<int64_t>();
    RestorePolicyState(state.at("state"));
  } catch (const Json::exception& error) {
    throw pipeline::StageError("early stopping " + name_ + ": malformed state " + state.dump() +
                               ": " + error.what());
  }
}

NoEarlyStopping::NoEarlyStopping(Monitor monitor)
    : EarlyStopping("none"), monitor_(monitor), best_(monitor, 0) {}

EpochDecision NoEarlyStopping::Decide(double val_loss, double val_accuracy) {
  return {false, best_.Update(Monitored(monitor_, val_loss, val_accuracy))};
}

Json NoEarlyStopping::PolicyState() const { return BestState(best_); }

void NoEarlyStopping::RestorePolicyState(const Json& state) { RestoreBest(best_, state); }

PatienceStopping::PatienceStopping(const PatienceOptions& options)
    : EarlyStopping("patience"), options_(options), best_(options.monitor, options.min_delta) {
  if (options.patience < 1) throw pipeline::ConfigError("early stopping: patience must be >= 1");
  if (!(options.min_delta >= 0)) {
    throw pipeline::ConfigError("early stopping: min_delta must be >= 0");
  }
}

EpochDecision PatienceStopping::Decide(double val_loss, double val_accuracy) {
  EpochDecision decision;
  decision.is_new_best = best_.Update(Monitored(options_.monitor, val_loss, val_accuracy));
  wait_ = decision.is_new_best ? 0 : wait_ + 1;
  decision.stop = wait_ >= options_.patience;
  return decision;
}

Json PatienceStopping::PolicyState() const {
  Json state = BestState(best_);
  state["wait"] = wait_;
  return state;
}

void PatienceStopping::RestorePolicyState(const Json& state) {
  RestoreBest(best_, state);
  wait_ = state.at("wait").get<int64_t>();
}

CounterStopping::CounterStopping(const CounterOptions& options)
    : EarlyStopping("counter"), options_(options), counter_(options.start) {
  if (options.start < 1) throw pipeline::ConfigError("early stopping: start must be >= 1");
  if (options.cap < options.start) {
    throw pipeline::ConfigError("early stopping: cap must be >= start");
  }
  if (options.best_bonus < 0 || options.loss_bonus < 0) {
    throw pipeline::ConfigError("early stopping: best_bonus and loss_bonus must be >= 0");
  }
}

EpochDecision CounterStopping::Decide(double val_loss, double val_accuracy) {
  // The order of operations is the contract documented in the header.
  EpochDecision decision;
  counter_ -= 1;
  decision.is_new_best = best_accuracy_.Update(val_accuracy);
  if (decision.is_new_best) counter_ += options_.best_bonus;
  if (has_previous_loss_ && val_loss < previous_loss_) counter_ += options_.loss_bonus;
  counter_ = std::min(counter_, options_.cap);
  // A non-finite loss is no reference for "lower than the previous epoch".
  has_previous_loss_ = std::isfinite(val_loss);
  previous_loss_ = has_previous_loss_ ? val_loss : 0.0;
  decision.stop = counter_ <= 0;
  return decision;
}

Json CounterStopping::PolicyState() const {
  Json state = BestState(best_accuracy_);
  state["counter"] = counter_;
  state["has_previous_loss"] = has_previous_loss_;
  state["previous_loss"] = previous_loss_;
  return state;
}

void CounterStopping::RestorePolicyState(const Json& state) {
  RestoreBest(best_accuracy_, state);
  counter_ = state.at("counter").get<int64_t>();
  has_previous_loss_ = state.at("has_previous_loss").get<bool>();
  previous_loss_ = state.at("previous_loss").get<double>();
}

const std::vector<std::string>& EarlyStoppingNames() {
  static const std::vector<std::string> names = {"none", "patience", "counter"};
  return names;
}

pipeline::ParamSpec EarlyStoppingParam() {
  using pipeline::ParamSpec;
  const PatienceOptions patience;
  const CounterOptions counter;
  auto monitor = [](const char* value) {
    ParamSpec spec = ParamSpec::String("monitor", value ? Json(value) : Json(),
                                       value ? "the validation figure that picks the best epoch"
                                             : "the validation figure that picks the best epoch "
                                               "(default: val_accuracy, or val_loss when the "
                                               "objective has no accuracy)")
                         .Choices({"val_loss", "val_accuracy"});
    if (!value) spec.Optional();
    return spec;
  };
  return ParamSpec::Object("early_stopping", Json{{"policy", "none"}},
                           "when to stop and which epoch's weights to keep (early_stopping.h)")
      .Tagged("policy",
              {ParamSpec::Variant("none", "run every epoch; keep the best by `monitor`",
                                  {monitor(nullptr)}),
               ParamSpec::Variant(
                   "patience", "stop after `patience` epochs without improvement",
                   {monitor("val_loss"),
                    ParamSpec::Int("patience", patience.patience, "epochs to wait").Min(1),
                    ParamSpec::Float("min_delta", patience.min_delta,
                                     "smallest change that counts as improvement")
                        .Min(0)}),
               ParamSpec::Variant(
                   "counter", "a counter of epochs left, topped up by progress",
                   {ParamSpec::Int("start", counter.start, "initial counter").Min(1),
                    ParamSpec::Int("cap", counter.cap, "largest counter (>= start)").Min(1),
                    ParamSpec::Int("best_bonus", counter.best_bonus,
                                   "added on a new best val_accuracy")
                        .Min(0),
                    ParamSpec::Int("loss_bonus", counter.loss_bonus,
                                   "added when val_loss falls")
                        .Min(0)})});
}

std::unique_ptr<EarlyStopping> MakeEarlyStopping(const Json& config, const std::string& key_path) {
  const Json c = pipeline::ResolveParam(EarlyStoppingParam(), config, key_path);
  const std::string policy = c.at("policy").get<std::string>();
  const Monitor monitor = c.value("monitor", "val_accuracy") == "val_loss"
                              ? Monitor::kValLoss
                              : Monitor::kValAccuracy;
  try {
    if (policy == "patience") {
      PatienceOptions options;
      options.monitor = monitor;
      options.patience = c.at("patience").get<int64_t>();
      options.min_delta = c.at("min_delta").get<double>();
      return std::make_unique<PatienceStopping>(options);
    }
    if (policy == "counter") {
      CounterOptions options;
      options.start = c.at("start").get<int64_t>();
      options.cap = c.at("cap").get<int64_t>();
      options.best_bonus = c.at("best_bonus").get<int64_t>();
      options.loss_bonus = c.at("loss_bonus").get<int64_t>();
      return std::make_unique<CounterStopping>(options);
    }
    return std::make_unique<NoEarlyStopping>(monitor);
  } catch (const pipeline::ConfigError& error) {
    throw pipeline::ConfigError(error.what(), "", 0, 0, key_path);
  }
}

}  // namespace stages
