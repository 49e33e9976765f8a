// Implementation notes: bookkeeping (ready queue, dependency counters, per-run counters) lives in
// State under one mutex; stage bodies run outside it. Each TBB task pops the best ready node, so
// the number of tasks spawned equals the number of nodes made ready, and the arena's slot count
// alone bounds concurrency. In-memory outputs are dropped as soon as their last pending consumer
// has started, which keeps a 70,000-image data set from being held once per PCA.

#include "pipeline/scheduler.h"

#include <cmath>
#include <mutex>
#include <queue>

#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include "pipeline/artifact_cache.h"
#include "pipeline/clock.h"
#include "pipeline/errors.h"
#include "pipeline/store.h"
#include "pipeline/store_writer.h"

namespace pipeline {
namespace {

// The stage's metric sink with an observer beside it: every metric goes to the database and is
// shown to the observer, whose first stop reason sticks.
class ObservedMetricSink : public MetricSink {
 public:
  ObservedMetricSink(MetricSink& inner, MetricObserver& observer, std::string stage_key)
      : inner_(inner), observer_(observer), stage_key_(std::move(stage_key)) {}
  void LogMetric(const std::string& name, int64_t step, double value, double wall_time) override {
    inner_.LogMetric(name, step, value, wall_time);
    std::string reason = observer_.Observe(stage_key_, name, step, value);
    if (reason.empty()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (reason_.empty()) reason_ = std::move(reason);
  }
  std::string StopReason() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return reason_;
  }

 private:
  MetricSink& inner_;
  MetricObserver& observer_;
  std::string stage_key_;
  mutable std::mutex mutex_;
  std::string reason_;
};

bool Settled(const std::string& node_status) { return !node_status.empty(); }

}  // namespace

struct Scheduler::State {
  std::mutex mutex;
  std::mutex load_mutex;
  tbb::task_group* group = nullptr;
  // Min-heap on (first run index, node index).
  std::priority_queue<std::pair<size_t, size_t>, std::vector<std::pair<size_t, size_t>>,
                      std::greater<>>
      ready;
  std::vector<bool> cached;
  std::vector<std::string> node_status;  // "" until settled
  std::vector<int> inputs_left;          // inputs not yet available
  std::vector<int> consumers_left;       // dependents still to start
  std::vector<ArtifactPtr> outputs;
  std::vector<int64_t> run_ids;
  std::vector<int> run_left;  // nodes still to settle
  std::vector<bool> run_started;
  std::vector<std::string> run_error;
  std::vector<bool> run_pruned;  // the error is a pruned stage's
  std::vector<bool> run_settled;
  size_t unsettled_runs = 0;
  ScheduleResult result;
};

Scheduler::Scheduler(const Dag& dag, ArtifactCache& cache, StageExecutor& executor,
                     StoreWriter& writer, Clock& clock, ScheduleOptions options,
                     const std::atomic<bool>* cancel_flag, ProgressReporter* progress,
                     RunSource* source, MetricObserver* observer)
    : dag_(dag),
      cache_(cache),
      executor_(executor),
      writer_(writer),
      clock_(clock),
      options_(options),
      cancel_flag_(cancel_flag),
      progress_(progress),
      source_(source),
      observer_(observer) {}

ScheduleResult Scheduler::Run(const std::vector<bool>& cached, const std::vector<int64_t>& run_ids) {
  const auto& nodes = dag_.nodes();
  State state;
  state.cached = cached;
  state.run_ids = run_ids;
  state.node_status.assign(nodes.size(), "");
  state.inputs_left.assign(nodes.size(), 0);
  state.consumers_left.assign(nodes.size(), 0);
  state.outputs.assign(nodes.size(), nullptr);
  state.run_left.assign(dag_.runs().size(), 0);
  state.run_started.assign(dag_.runs().size(), false);
  state.run_error.assign(dag_.runs().size(), "");
  state.run_pruned.assign(dag_.runs().size(), false);
  state.run_settled.assign(dag_.runs().size(), false);

  for (size_t n = 0; n < nodes.size(); ++n) {
    if (cached[n]) continue;
    for (size_t input : nodes[n].inputs) {
      if (!cached[input]) ++state.inputs_left[n];
      ++state.consumers_left[input];
    }
    for (size_t run : nodes[n].runs) ++state.run_left[run];
  }
  for (size_t r = 0; r < dag_.runs().size(); ++r) {
    // Runs made only of cached stages were finished by the caller; the others are watched.
    if (state.run_left[r] > 0) {
      ++state.unsettled_runs;
    } else {
      state.run_settled[r] = true;
    }
  }
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (!cached[n] && state.inputs_left[n] == 0) state.ready.push({nodes[n].runs.front(), n});
  }

  tbb::task_arena arena(std::max(1, options_.jobs));
  tbb::task_group group;
  state.group = &group;
  arena.execute([&] {
    size_t initial = 0;
    {
      std::lock_guard<std::mutex> lock(state.mutex);
      initial = state.ready.size();
      Refill(state);  // spawns a task for each node it makes ready
    }
    for (size_t i = 0; i < initial; ++i) group.run([this, &state] { RunOne(state); });
    group.wait();
  });

  // Whatever never started (Ctrl-C) leaves its runs interrupted.
  for (size_t r = 0; r < dag_.runs().size(); ++r) {
    if (state.run_left[r] > 0 && !state.run_settled[r]) {
      ++state.result.runs_interrupted;
      const int64_t id = run_ids[r];
      const double now = clock_.WallSeconds();
      writer_.Post([id, now](Store& store) {
        store.RunFinished(id, status::kInterrupted, "interrupted before it finished", now);
      });
    }
  }
  state.result.cancelled = cancel_flag_ && cancel_flag_->load();
  writer_.Flush();
  return state.result;
}

std::vector<ArtifactPtr> Scheduler::GatherInputs(State& state, size_t node) {
  std::vector<ArtifactPtr> inputs;
  for (size_t input : dag_.nodes()[node].inputs) {
    ArtifactPtr artifact;
    {
      std::lock_guard<std::mutex> lock(state.mutex);
      artifact = state.outputs[input];
    }
    if (!artifact) {
      // A cached input (or one whose memory copy was released): read it once from disk.
      std::lock_guard<std::mutex> load_lock(state.load_mutex);
      {
        std::lock_guard<std::mutex> lock(state.mutex);
        artifact = state.outputs[input];
      }
      if (!artifact) {
        const DagNode& source = dag_.nodes()[input];
        try {
          artifact = cache_.Load(source.key);
        } catch (const DataError& e) {
          // Corrupted after the pre-run check (cache_check.h): this stage fails, but the entry
          // is moved aside so that the next run recomputes it instead of failing again.
          const auto now = static_cast<int64_t>(std::floor(clock_.WallSeconds()));
          const std::string moved_to = cache_.Quarantine(source.key, now);
          throw Error(std::string(e.what()) + "; the output of stage '" + source.stage_name +
                      "' was moved to " + moved_to + " and the next run recomputes it");
        }
        std::lock_guard<std::mutex> lock(state.mutex);
        state.outputs[input] = artifact;
      }
    }
    inputs.push_back(std::move(artifact));
  }
  return inputs;
}

void Scheduler::RunOne(State& state) {
  size_t node_index;
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    if (state.ready.empty()) return;
    node_index = state.ready.top().second;
    state.ready.pop();
  }
  const DagNode& node = dag_.nodes()[node_index];
  if (cancel_flag_ && cancel_flag_->load()) return;  // leave it pending; runs end interrupted

  const int threads = std::max(1, options_.threads_per_stage);
  const double now = clock_.WallSeconds();
  writer_.Post([key = node.key, threads, now](Store& store) {
    store.StageStarted(key, threads, now);
  });
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    for (size_t run : node.runs) {
      if (state.run_started[run]) continue;
      state.run_started[run] = true;
      writer_.Post([id = state.run_ids[run], now](Store& store) { store.RunStarted(id, now); });
    }
    if (progress_) progress_->OnStageStarted(node, threads);
  }

  StageOutcome outcome;
  try {
    StageExecution execution;
    execution.type = node.type;
    execution.key = node.key;
    execution.stage_name = node.stage_name;
    execution.params = node.params;
    execution.inputs = GatherInputs(state, node_index);
    execution.seed = node.seed;
    execution.threads = threads;
    execution.resumable = true;
    StageMetricSink metrics(writer_, node.key);
    if (observer_ != nullptr) {
      ObservedMetricSink observed(metrics, *observer_, node.key);
      outcome = executor_.Execute(execution, observed);
    } else {
      outcome = executor_.Execute(execution, metrics);
    }
  } catch (const std::exception& e) {
    // Only input loading can throw here (executors turn every failure into an outcome).
    outcome.status = status::kFailed;
    outcome.error = std::string("cannot load an input: ") + e.what();
  }
  Finish(state, node_index, outcome);
}

void Scheduler::Finish(State& state, size_t node_index, const StageOutcome& outcome) {
  const DagNode& node = dag_.nodes()[node_index];
  const double now = clock_.WallSeconds();
  writer_.Post([key = node.key, outcome_status = outcome.status, error = outcome.error,
                hash = outcome.commit.output_hash, files = outcome.commit.files,
                now](Store& store) {
    for (const CommittedFile& file : files) {
      const size_t dot = file.name.rfind('.');
      store.InsertArtifact({key, dot == std::string::npos ? "file" : file.name.substr(dot + 1),
                            file.name, file.path, file.content_hash, file.bytes});
    }
    store.StageFinished(key, outcome_status, error, hash, now);
  }, /*needs_sync=*/outcome.status == status::kDone);

  std::vector<size_t> newly_ready;
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    if (progress_) progress_->OnStageFinished(node, outcome);
    for (size_t input : node.inputs) {
      if (--state.consumers_left[input] == 0) state.outputs[input].reset();
    }
    if (outcome.status == status::kDone) {
      ++state.result.stages_done;
      if (state.consumers_left[node_index] > 0) state.outputs[node_index] = outcome.output;
      for (size_t dependent : node.dependents) {
        if (state.cached[dependent] || !state.node_status[dependent].empty()) continue;
        if (--state.inputs_left[dependent] == 0) {
          state.ready.push({dag_.nodes()[dependent].runs.front(), dependent});
          newly_ready.push_back(dependent);
        }
      }
      NodeSettled(state, node_index, status::kDone, "");
    } else if (outcome.status == status::kInterrupted) {
      ++state.result.stages_interrupted;
      state.node_status[node_index] = status::kInterrupted;
    } else if (outcome.status == status::kPruned) {
      ++state.result.stages_pruned;
      for (size_t run : node.runs) state.run_pruned[run] = state.run_error[run].empty();
      NodeSettled(state, node_index, status::kPruned, outcome.error);
      SkipDownstream(state, node_index, "input stage '" + node.stage_name + "' was pruned");
    } else {
      ++state.result.stages_failed;
      if (outcome.data_error) ++state.result.stages_failed_on_data;
      NodeSettled(state, node_index, status::kFailed,
                  "stage '" + node.stage_name + "' failed: " + outcome.error);
      SkipDownstream(state, node_index, "input stage '" + node.stage_name + "' failed");
    }
    for (size_t i = 0; i < newly_ready.size(); ++i) {
      state.group->run([this, &state] { RunOne(state); });
    }
  }
}

void Scheduler::SkipDownstream(State& state, size_t failed_node, const std::string& reason) {
  std::vector<size_t> stack(dag_.nodes()[failed_node].dependents);
  while (!stack.empty()) {
    const size_t n = stack.back();
    stack.pop_back();
    if (state.cached[n] || !state.node_status[n].empty()) continue;
    const DagNode& node = dag_.nodes()[n];
    ++state.result.stages_skipped;
    const double now = clock_.WallSeconds();
    writer_.Post([key = node.key, reason, now](Store& store) {
      store.StageFinished(key, status::kSkipped, reason, "", now);
    });
    for (size_t input : node.inputs) {
      if (--state.consumers_left[input] == 0) state.outputs[input].reset();
    }
    NodeSettled(state, n, status::kSkipped, "skipped: " + reason);
    stack.insert(stack.end(), node.dependents.begin(), node.dependents.end());
  }
}

void Scheduler::NodeSettled(State& state, size_t node_index, const std::string& node_status,
                            const std::string& error) {
  state.node_status[node_index] = node_status;
  for (size_t run : dag_.nodes()[node_index].runs) {
    if (state.run_settled[run]) continue;
    if (!error.empty() && state.run_error[run].empty()) state.run_error[run] = error;
    if (--state.run_left[run] > 0) continue;
    RunSettled(state, run);
  }
}

void Scheduler::RunSettled(State& state, size_t run) {
  state.run_settled[run] = true;
  --state.unsettled_runs;
  const bool ok = state.run_error[run].empty();
  const std::string run_status =
      ok ? status::kDone : (state.run_pruned[run] ? status::kPruned : status::kFailed);
  if (ok) {
    ++state.result.runs_done;
  } else if (state.run_pruned[run]) {
    ++state.result.runs_pruned;
  } else {
    ++state.result.runs_failed;
  }
  const int64_t id = state.run_ids[run];
  const double now = clock_.WallSeconds();
  writer_.Post([id, run_status, error = state.run_error[run], now](Store& store) {
    store.RunFinished(id, run_status, error, now);
  });
  if (progress_) progress_->OnRunFinished(run, run_status);
  if (source_ != nullptr) {
    source_->Settled(run, run_status);
    Refill(state);
  }
}

// Asks the source for runs while it has some (under the lock). New nodes that can start are
// queued and spawned when the group is running (state.group set), else left for Run's start.
void Scheduler::Refill(State& state) {
  if (source_ == nullptr) return;
  while (!(cancel_flag_ && cancel_flag_->load())) {
    const size_t old_nodes = state.cached.size();
    const size_t old_ready = state.ready.size();
    RunBatch batch = source_->More(state.unsettled_runs);
    if (batch.run_ids.empty() && dag_.nodes().size() == old_nodes) break;
    Extend(state, batch);
    // Spawn one task per node made ready (Run's start spawns the first ones itself).
    if (state.group != nullptr && state.ready.size() > old_ready) {
      for (size_t i = old_ready; i < state.ready.size(); ++i) {
        state.group->run([this, &state] { RunOne(state); });
      }
    }
  }
}

void Scheduler::Extend(State& state, const RunBatch& batch) {
  const auto& nodes = dag_.nodes();
  const size_t old_nodes = state.cached.size();
  const size_t old_runs = state.run_left.size();
  const size_t new_nodes = nodes.size() - old_nodes;
  state.cached.insert(state.cached.end(), batch.cached_nodes.begin(), batch.cached_nodes.end());
  state.cached.resize(nodes.size(), false);
  state.node_status.resize(nodes.size(), "");
  state.inputs_left.resize(nodes.size(), 0);
  state.consumers_left.resize(nodes.size(), 0);
  state.outputs.resize(nodes.size(), nullptr);
  state.run_ids.insert(state.run_ids.end(), batch.run_ids.begin(), batch.run_ids.end());
  state.run_left.resize(dag_.runs().size(), 0);
  state.run_started.resize(dag_.runs().size(), false);
  state.run_error.resize(dag_.runs().size(), "");
  state.run_pruned.resize(dag_.runs().size(), false);
  state.run_settled.resize(dag_.runs().size(), false);

  auto available = [&](size_t n) { return state.cached[n] || state.node_status[n] == status::kDone; };
  std::vector<size_t> blocked_inputs;  // settled without output, with new dependents
  for (size_t n = old_nodes; n < nodes.size(); ++n) {
    if (state.cached[n]) continue;
    for (size_t input : nodes[n].inputs) {
      if (!available(input)) ++state.inputs_left[n];
      ++state.consumers_left[input];
      if (input < old_nodes && Settled(state.node_status[input]) && !available(input)) {
        blocked_inputs.push_back(input);
      }
    }
  }
  size_t stages = 0;
  for (size_t r = old_runs; r < dag_.runs().size(); ++r) {
    for (size_t n : dag_.runs()[r].nodes) {
      if (available(n)) continue;
      if (Settled(state.node_status[n])) {
        // An earlier run's stage that failed or was pruned: this run cannot succeed.
        if (state.run_error[r].empty()) {
          state.run_error[r] = "stage '" + nodes[n].stage_name + "' " + state.node_status[n];
          state.run_pruned[r] = state.node_status[n] == status::kPruned;
        }
        continue;
      }
      ++state.run_left[r];
    }
    if (state.run_left[r] > 0) ++state.unsettled_runs;
  }
  for (size_t n = old_nodes; n < nodes.size(); ++n) stages += state.cached[n] ? 0 : 1;
  if (progress_) progress_->OnWorkAdded(dag_.runs().size() - old_runs, stages);
  for (size_t input : blocked_inputs) {
    SkipDownstream(state, input, "input stage '" + nodes[input].stage_name + "' " +
                                     state.node_status[input]);
  }
  for (size_t n = old_nodes; n < nodes.size(); ++n) {
    if (!state.cached[n] && !Settled(state.node_status[n]) && state.inputs_left[n] == 0) {
      state.ready.push({nodes[n].runs.front(), n});
    }
  }
  // Runs with nothing left to compute (all cached, or already doomed) settle now.
  for (size_t r = old_runs; r < dag_.runs().size(); ++r) {
    if (state.run_left[r] == 0 && !state.run_settled[r]) {
      ++state.unsettled_runs;
      RunSettled(state, r);
    }
  }
  (void)new_nodes;
}

}  // namespace pipeline
