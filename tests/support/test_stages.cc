#include "tests/support/test_stages.h"

#include <chrono>
#include <cmath>
#include <thread>

#include "pipeline/errors.h"

namespace testing_support {

using pipeline::ParamSpec;
using pipeline::StageContext;
using pipeline::StageKind;
using pipeline::StageType;
using pipeline::Tensor;

namespace {

double Sum(const Tensor& x) {
  double sum = 0;
  for (int64_t i = 0; i < x.size(); ++i) sum += x.f32()[i];
  return sum;
}

}  // namespace

std::vector<StageType> TestStages() {
  std::vector<StageType> types;

  StageType constant;
  constant.name = "constant";
  constant.kind = StageKind::kLoad;
  constant.help = "a column of one value";
  constant.params = {ParamSpec::Float("value", 1.0, "the value"),
                     ParamSpec::Int("n", 4, "rows").Min(1)};
  constant.run = [](StageContext& ctx) {
    Tensor x(pipeline::DType::kFloat32, {ctx.params().GetInt("n"), 1});
    for (int64_t i = 0; i < x.size(); ++i) x.f32()[i] = static_cast<float>(ctx.params().GetFloat("value"));
    ctx.output().Put("x", std::move(x));
    ctx.Metric("value", ctx.params().GetFloat("value"));
  };
  types.push_back(constant);

  StageType add;
  add.name = "add";
  add.kind = StageKind::kReduce;
  add.help = "adds a constant";
  add.min_inputs = add.max_inputs = 1;
  add.params = {ParamSpec::Float("delta", 0.0, "what to add")};
  add.run = [](StageContext& ctx) {
    Tensor x = ctx.FindInput("x");
    for (int64_t i = 0; i < x.size(); ++i) x.f32()[i] += static_cast<float>(ctx.params().GetFloat("delta"));
    ctx.Metric("sum", Sum(x));
    ctx.output().Put("x", std::move(x));
  };
  types.push_back(add);

  StageType noisy;
  noisy.name = "noisy";
  noisy.kind = StageKind::kReduce;
  noisy.help = "adds seeded Gaussian noise";
  noisy.uses_rng = true;
  noisy.min_inputs = noisy.max_inputs = 1;
  noisy.params = {ParamSpec::Float("scale", 1.0, "noise standard deviation").Min(0)};
  noisy.run = [](StageContext& ctx) {
    Tensor x = ctx.FindInput("x");
    for (int64_t i = 0; i < x.size(); ++i) {
      x.f32()[i] += static_cast<float>(ctx.rng().Normal(0, ctx.params().GetFloat("scale")));
    }
    ctx.Metric("first", x.f32()[0]);
    ctx.output().Put("x", std::move(x));
  };
  types.push_back(noisy);

  StageType fail_if;
  fail_if.name = "fail_if";
  fail_if.kind = StageKind::kEvaluate;
  fail_if.help = "fails on request";
  fail_if.min_inputs = fail_if.max_inputs = 1;
  fail_if.params = {ParamSpec::Bool("fail", false, "throw instead of succeeding")};
  fail_if.run = [](StageContext& ctx) {
    if (ctx.params().GetBool("fail")) throw pipeline::StageError("asked to fail");
    const Tensor& x = ctx.FindInput("x");
    ctx.Metric("mean", Sum(x) / static_cast<double>(x.size()));
    ctx.output().Put("x", x);
  };
  types.push_back(fail_if);

  StageType slow;
  slow.name = "slow";
  slow.kind = StageKind::kTrain;
  slow.help = "takes its time";
  slow.min_inputs = slow.max_inputs = 1;
  slow.params = {ParamSpec::Int("steps", 10, "steps").Min(1),
                 ParamSpec::Int("sleep_ms", 10, "milliseconds per step").Min(0)};
  slow.run = [](StageContext& ctx) {
    const double base = Sum(ctx.FindInput("x"));
    for (int64_t step = 0; step < ctx.params().GetInt("steps"); ++step) {
      ctx.CheckCancelled();
      std::this_thread::sleep_for(std::chrono::milliseconds(ctx.params().GetInt("sleep_ms")));
      ctx.Metric("step", step, base + static_cast<double>(step));
    }
    ctx.output().Put("x", ctx.FindInput("x"));
  };
  types.push_back(slow);

  StageType curve;
  curve.name = "curve";
  curve.kind = StageKind::kTrain;
  curve.help = "a learning curve whose height depends on x and width";
  curve.min_inputs = curve.max_inputs = 1;
  curve.step_unit = "epoch";
  curve.params = {ParamSpec::Float("x", 0.5, "where on the curve"),
                  ParamSpec::Int("width", 1, "a whole-number knob").Min(1),
                  ParamSpec::Int("epochs", 9, "steps").Min(1),
                  ParamSpec::Int("sleep_ms", 0, "milliseconds per step").Min(0)};
  curve.run = [](StageContext& ctx) {
    // score rises towards 1 - (x - 0.3)^2 - (width - 4)^2 / 100 over the epochs.
    const double x = ctx.params().GetFloat("x");
    const double width = static_cast<double>(ctx.params().GetInt("width"));
    const double top = 1 - (x - 0.3) * (x - 0.3) - (width - 4) * (width - 4) / 100 +
                       0 * Sum(ctx.FindInput("x"));
    const int64_t epochs = ctx.params().GetInt("epochs");
    for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
      std::this_thread::sleep_for(std::chrono::milliseconds(ctx.params().GetInt("sleep_ms")));
      ctx.Metric("score", epoch, top * (1 - std::exp(-0.5 * static_cast<double>(epoch))));
      ctx.Metric("epochs_run", epoch, static_cast<double>(epoch));
      if (epoch < epochs) ctx.CheckCancelled();
    }
    ctx.output().Put("x", ctx.FindInput("x"));
  };
  types.push_back(curve);
  return types;
}

}  // namespace testing_support
