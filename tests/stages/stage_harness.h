#pragma once
// Runs one stage type the way the executor does -- parameters resolved from the declared
// defaults, a StageContext over a fake clock, an in-memory metric sink and a temporary output
// folder, the body inside a task arena of the given width -- so adapter tests need no scheduler
// or store. Unknown parameter names fail the test (a typo would otherwise test the default).

#include <tbb/task_arena.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/stage.h"
#include "tests/support/fake_clock.h"
#include "tests/support/memory_metric_sink.h"
#include "tests/support/temp_dir.h"

namespace stage_testing {

class StageHarness {
 public:
  explicit StageHarness(pipeline::StageType type) : type_(std::move(type)) {}

  // Runs the stage once; returns its output artifact (valid until the next Run).
  const pipeline::Artifact& Run(const pipeline::Json& overrides,
                                std::vector<pipeline::ArtifactPtr> inputs = {}, uint64_t seed = 42,
                                int threads = 2) {
    pipeline::Json values = pipeline::Json::object();
    for (const pipeline::ParamSpec& spec : type_.params) values[spec.name] = spec.default_value;
    for (const auto& [name, value] : overrides.items()) {
      if (type_.FindParam(name) == nullptr) {
        throw std::invalid_argument("stage '" + type_.name + "' has no parameter '" + name + "'");
      }
      values[name] = value;
    }
    context_ = std::make_unique<pipeline::StageContext>(type_, pipeline::Params(values),
                                                        std::move(inputs), seed, clock_, threads,
                                                        metrics_, output_dir_.path(), nullptr);
    context_->set_resume_dir(resume_dir_);
    tbb::task_arena arena(threads);
    arena.execute([&] { type_.run(*context_); });
    return context_->output();
  }

  // Offers later runs a resume folder (StageContext::resume_dir), as the scheduler does.
  void set_resume_dir(std::string dir) { resume_dir_ = std::move(dir); }

  // Metrics of every Run so far, in logging order.
  const testing_support::MemoryMetricSink& metrics() const { return metrics_; }
  const pipeline::StageType& type() const { return type_; }

 private:
  pipeline::StageType type_;
  testing_support::FakeClock clock_;
  testing_support::MemoryMetricSink metrics_;
  testing_support::TempDir output_dir_;
  std::string resume_dir_;
  std::unique_ptr<pipeline::StageContext> context_;
};

// An input artifact holding the given tensors.
inline pipeline::ArtifactPtr MakeArtifact(
    std::vector<std::pair<std::string, pipeline::Tensor>> tensors) {
  auto artifact = std::make_shared<pipeline::Artifact>();
  for (auto& [name, tensor] : tensors) artifact->Put(name, std::move(tensor));
  return artifact;
}

// Runs fn() inside a task arena of `threads` threads and returns its result.
template <typename Fn>
auto InArena(int threads, const Fn& fn) {
  tbb::task_arena arena(threads);
  return arena.execute(fn);
}

}  // namespace stage_testing
