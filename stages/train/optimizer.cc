#include "stages/train/optimizer.h"

// Implementation notes.
// - Every parameter is cut into chunks of kChunkElements elements (the last one shorter); the
//   cut depends only on the parameter's size. One OpenMP loop runs over the chunks of all
//   parameters together, so many small layers parallelise as well as one big one. Below
//   kParallelElements elements in total the loop stays serial: waking threads would cost more
//   than the update.
// - Penalty gradients are added into a per-chunk scratch copy of the gradient (the network's grad
//   buffer is read only), which keeps each update rule a single formula over plain arrays. The
//   scratch lives on the stack and the chunk is still in cache when the rule reads it.
// - The penalty value is summed per chunk in double and the chunk sums are added in chunk order
//   after the loop, so the result does not depend on the thread count.
// - Update rules are plain float loops over __restrict pointers, which GCC vectorises at -O3
//   with -march=native. Not Eigen array expressions: with EIGEN_FAST_MATH (its default) Eigen's
//   packet sqrt is an rsqrt approximation plus a Newton step while its scalar path is exact,
//   and which elements take which path depends on the buffers' addresses, so results changed
//   with the allocation. In a plain loop the scalar and vector paths give the same bits (IEEE
//   sqrt and division are exact in both). A loop calling sqrtf is vectorised only with
//   -fno-math-errno, which CMakeLists.txt gives adaptive_optimizers.cc: scalar, Adam took about
//   1 ns per element, 0.3 ms a step for the 3x400 batch-norm MLP (a sixth of its step).


#include <algorithm>
#include <cmath>

#include "pipeline/errors.h"
#include "stages/train/nn/denormals.h"

namespace stages {
namespace {

constexpr int64_t kChunkElements = 8192;
constexpr int64_t kParallelElements = 4 * kChunkElements;
constexpr int64_t kStepHighUnit = int64_t{1} << 24;  // float holds integers below 2^24 exactly

struct ChunkTask {
  size_t param = 0;
  int64_t begin = 0;
  int64_t end = 0;
};

std::vector<ChunkTask> PlanChunks(const std::vector<ParameterView>& params, int64_t* total) {
  std::vector<ChunkTask> tasks;
  *total = 0;
  for (size_t p = 0; p < params.size(); ++p) {
    if (params[p].frozen) continue;
    for (int64_t begin = 0; begin < params[p].size; begin += kChunkElements) {
      tasks.push_back({p, begin, std::min(params[p].size, begin + kChunkElements)});
    }
    *total += params[p].size;
  }
  return tasks;
}

// Runs body(task_index) for every task, in parallel when there is enough work.
template <typename Body>
void ForEachChunk(size_t tasks, int64_t total_elements, const Body& body) {
  if (total_elements < kParallelElements) {
    for (size_t t = 0; t < tasks; ++t) body(t);
    return;
  }
  // On the stage's OpenMP threads, oneDNN's: between its primitives they are spinning anyway,
  // and a TBB loop here would put a second set of threads on the same cores.
  const auto count = static_cast<std::ptrdiff_t>(tasks);
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t t = 0; t < count; ++t) body(static_cast<size_t>(t));
}

// l2 * sum(w^2) + l1 * sum(|w|) over one chunk of weights, summed in order in double.
double ChunkPenalty(const float* weights, int64_t size, const PenaltyOptions& penalties) {
  double squares = 0;
  double absolutes = 0;
  for (int64_t i = 0; i < size; ++i) {
    const double w = weights[i];
    squares += w * w;
    absolutes += std::abs(w);
  }
  return penalties.l2 * squares + penalties.l1 * absolutes;
}

// out = grad + linear * w + l1 * sign(w), with sign(0) = 0.
void AddPenaltyGradient(const float* __restrict w, const float* __restrict grad, int64_t size,
                        float linear, float l1, float* __restrict out) {
  for (int64_t i = 0; i < size; ++i) {
    const float sign = w[i] > 0.0f ? 1.0f : (w[i] < 0.0f ? -1.0f : 0.0f);
    out[i] = grad[i] + linear * w[i] + l1 * sign;
  }
}

bool Penalised(const ParameterView& param, const PenaltyOptions& penalties) {
  return param.is_weight && !param.frozen && penalties.active();
}

}  // namespace

Optimizer::Optimizer(std::string name, double lr, PenaltyOptions penalties,
                     std::vector<std::string> slot_names)
    : name_(std::move(name)),
      lr_(lr),
      penalties_(penalties),
      slot_names_(std::move(slot_names)) {
  if (slot_names_.size() > kMaxSlots) throw std::logic_error("optimizer: too many slots");
}

Optimizer::~Optimizer() = default;

float Optimizer::InitialSlotValue(size_t) const { return 0.0f; }

int64_t Optimizer::StepCount(const std::string& parameter_name) const {
  const auto found = state_.find(parameter_name);
  return found == state_.end() ? 0 : found->second.steps;
}

Optimizer::ParameterState& Optimizer::StateFor(const ParameterView& param) {
  if (param.value == nullptr || param.grad == nullptr) {
    throw pipeline::StageError("optimizer " + name_ + ": parameter '" + param.name +
                               "' has no value or gradient buffer");
  }
  ParameterState& state = state_[param.name];
  if (state.slots.empty()) {
    for (size_t s = 0; s < slot_names_.size(); ++s) {
      state.slots.emplace_back(static_cast<size_t>(param.size), InitialSlotValue(s));
    }
  }
  for (const std::vector<float>& slot : state.slots) {
    if (static_cast<int64_t>(slot.size()) != param.size) {
      throw pipeline::StageError("optimizer " + name_ + ": parameter '" + param.name + "' has " +
                                 std::to_string(param.size) + " elements but its state has " +
                                 std::to_string(slot.size()) +
                                 " (a network of another shape, or a checkpoint of another "
                                 "network?)");
    }
  }
  return state;
}

double Optimizer::Step(const std::vector<ParameterView>& params) {
  // Resolve state before the parallel loop: the map must not be modified concurrently. Count
  // the step only once every parameter has passed its checks, so a throw leaves counts as
  // they were.
  std::vector<ParameterState*> states(params.size(), nullptr);
  for (size_t p = 0; p < params.size(); ++p) {
    if (!params[p].frozen) states[p] = &StateFor(params[p]);
  }
  for (size_t p = 0; p < params.size(); ++p) {
    if (states[p] == nullptr) continue;
    if (std::count(states.begin(), states.begin() + static_cast<std::ptrdiff_t>(p), states[p])) {
      throw pipeline::StageError("optimizer " + name_ + ": two parameters are named '" +
                                 params[p].name + "'; names must be unique");
    }
  }
  for (ParameterState* state : states) {
    if (state != nullptr) ++state->steps;
  }
  int64_t total = 0;
  const std::vector<ChunkTask> tasks = PlanChunks(params, &total);
  std::vector<double> chunk_penalty(tasks.size(), 0.0);
  const float linear = static_cast<float>(penalties_.weight_decay + 2.0 * penalties_.l2);
  const float l1 = static_cast<float>(penalties_.l1);

  ForEachChunk(tasks.size(), total, [&](size_t t) {
    const ChunkTask& task = tasks[t];
    const ParameterView& param = params[task.param];
    ParameterState& state = *states[task.param];
    Chunk chunk;
    chunk.value = param.value + task.begin;
    chunk.grad = param.grad + task.begin;
    chunk.size = task.end - task.begin;
    chunk.step = state.steps;
    for (size_t s = 0; s < state.slots.size(); ++s) chunk.slots[s] = state.slots[s].data() + task.begin;

    const nn::ScopedFlushDenormals flush_denormals;  // decaying moments go denormal (denormals.h)
    float penalised_grad[kChunkElements];
    if (Penalised(param, penalties_)) {
      chunk_penalty[t] = ChunkPenalty(chunk.value, chunk.size, penalties_);
      AddPenaltyGradient(chunk.value, chunk.grad, chunk.size, linear, l1, penalised_grad);
      chunk.grad = penalised_grad;
    }
    UpdateChunk(chunk);
  });

  double penalty = 0;
  for (const double value : chunk_penalty) penalty += value;
  return penalty;
}

double Optimizer::Penalty(const std::vector<ParameterView>& params) const {
  if (penalties_.l1 == 0 && penalties_.l2 == 0) return 0;
  int64_t total = 0;
  const std::vector<ChunkTask> tasks = PlanChunks(params, &total);
  std::vector<double> chunk_penalty(tasks.size(), 0.0);
  ForEachChunk(tasks.size(), total, [&](size_t t) {
    const ParameterView& param = params[tasks[t].param];
    if (!Penalised(param, penalties_)) return;
    chunk_penalty[t] = ChunkPenalty(param.value + tasks[t].begin, tasks[t].end - tasks[t].begin,
                                    penalties_);
  });
  double penalty = 0;
  for (const double value : chunk_penalty) penalty += value;
  return penalty;
}

OptimizerState Optimizer::ExportState() const {
  OptimizerState out;
  for (const auto& [param_name, state] : state_) {
    out[param_name + "/step"] = {static_cast<float>(state.steps / kStepHighUnit),
                                 static_cast<float>(state.steps % kStepHighUnit)};
    for (size_t s = 0; s < state.slots.size(); ++s) {
      out[param_name + "/" + slot_names_[s]] = state.slots[s];
    }
  }
  return out;
}

void Optimizer::ImportState(const OptimizerState& state) {
  auto fail = [this](const std::string& why) {
    throw pipeline::StageError("optimizer " + name_ + ": cannot import state: " + why +
                               " (was the checkpoint written with another optimizer?)");
  };
  std::unordered_map<std::string, ParameterState> imported;
  std::unordered_map<std::string, size_t> slots_seen;
  std::unordered_map<std::string, bool> step_seen;
  for (const auto& [key, values] : state) {
    const size_t slash = key.rfind('/');
    if (slash == std::string::npos) fail("entry '" + key + "' is not <parameter>/<slot>");
    const std::string param_name = key.substr(0, slash);
    const std::string slot_name = key.substr(slash + 1);
    ParameterState& target = imported[param_name];
    target.slots.resize(slot_names_.size());
    if (slot_name == "step") {
      if (values.size() != 2) fail("entry '" + key + "' should hold 2 values");
      target.steps = static_cast<int64_t>(values[0]) * kStepHighUnit +
                     static_cast<int64_t>(values[1]);
      step_seen[param_name] = true;
      continue;
    }
    const auto slot = std::find(slot_names_.begin(), slot_names_.end(), slot_name);
    if (slot == slot_names_.end()) fail("unknown slot '" + slot_name + "' in '" + key + "'");
    target.slots[static_cast<size_t>(slot - slot_names_.begin())] = values;
    ++slots_seen[param_name];
  }
  for (auto& [param_name, target] : imported) {
    if (!step_seen[param_name]) fail("parameter '" + param_name + "' has no step count");
    if (slots_seen[param_name] != slot_names_.size()) {
      fail("parameter '" + param_name + "' lacks some of its slots");
    }
    for (const std::vector<float>& slot : target.slots) {
      if (slot.size() != target.slots.front().size()) {
        fail("slots of parameter '" + param_name + "' differ in size");
      }
    }
    // A parameter without slots (plain SGD) keeps an empty slot list, as a fresh state does.
    if (slot_names_.empty()) target.slots.clear();
  }
  state_ = std::move(imported);
}

}  // namespace stages
