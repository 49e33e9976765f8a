#include "pipeline/executor.h"

#include <omp.h>

#include <exception>

#include <tbb/task_arena.h>

#include "pipeline/clock.h"
#include "pipeline/errors.h"
#include "pipeline/store.h"

namespace pipeline {

StageOutcome ExecuteStage(const StageExecution& execution, ArtifactCache& cache, Clock& clock,
                          MetricSink& metrics, const std::atomic<bool>* cancel_flag) {
  StageOutcome outcome;
  const double start = clock.MonotonicSeconds();
  std::string temp_dir;
  try {
    temp_dir = cache.CreateTempDir(execution.key);
    StageContext context(*execution.type, Params(execution.params), execution.inputs,
                         execution.seed, clock, execution.threads, metrics, temp_dir,
                         cancel_flag);
    if (execution.resumable) context.set_resume_dir(cache.ResumeDir(execution.key));
    const ArtifactCache& references =
        execution.reference_cache != nullptr ? *execution.reference_cache : cache;
    for (const ParamSpec& spec : execution.type->params) {
      if (spec.type != ParamType::kStageRef) continue;
      const std::string key = StageRefKey(context.params().Get(spec.name));
      if (key.empty()) continue;
      if (!references.Has(key)) {
        throw StageError("parameter '" + spec.name + "' names stage " + key.substr(0, 12) +
                         "..., whose output is not in the cache (" +
                         references.OutputPath(key) + ")");
      }
      context.set_reference(spec.name, references.Load(key));
    }
    context.CheckCancelled();
    tbb::task_arena arena(execution.threads);
    arena.execute([&] {
      // OpenMP's thread count is per calling thread: set it where the stage body runs.
      omp_set_num_threads(execution.threads);
      execution.type->run(context);
    });
    // A stop request that comes after the body's last check (a pruner's verdict on the last
    // epoch) is too late to save anything: the stage has finished and counts as done.
    if (context.cancelled()) throw Interrupted();
    outcome.commit = cache.Commit(execution.key, temp_dir, context.output());
    outcome.output = std::make_shared<const Artifact>(std::move(context.output()));
    outcome.status = status::kDone;
  } catch (const Interrupted&) {
    outcome.status = status::kInterrupted;
    outcome.error = "interrupted by the user";
  } catch (const Pruned& e) {
    outcome.status = status::kPruned;
    outcome.error = e.what();
  } catch (const DataError& e) {
    outcome.status = status::kFailed;
    outcome.error = e.what();
    outcome.data_error = true;
  } catch (const std::bad_alloc&) {
    outcome.status = status::kFailed;
    outcome.error = "out of memory: the stage asked for more memory than the machine could "
                    "give (a parameter such as n, limit or a layer's out may be too large)";
  } catch (const std::exception& e) {
    outcome.status = status::kFailed;
    outcome.error = e.what();
  } catch (...) {
    outcome.status = status::kFailed;
    outcome.error = "unknown exception (not derived from std::exception)";
  }
  if (outcome.status != status::kDone && !temp_dir.empty()) cache.RemoveDir(temp_dir);
  outcome.seconds = clock.MonotonicSeconds() - start;
  return outcome;
}

}  // namespace pipeline
