// Implementation notes: the database is synchronised with the plan in one transaction before
// anything runs, so a crash during setup leaves the previous state intact. A stage counts as
// cached only if its row says done AND its output folder exists; either alone means an
// interrupted commit, and the stage is recomputed (its earlier metrics are cleared first by
// Store::StageStarted).

#include "pipeline/study_runner.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "pipeline/artifact_cache.h"
#include "pipeline/cache_check.h"
#include "pipeline/clock.h"
#include "pipeline/db_lock.h"
#include "pipeline/environment.h"
#include "pipeline/hash.h"
#include "pipeline/param_schema.h"
#include "pipeline/planner.h"
#include "pipeline/planner_source.h"
#include "pipeline/run_records.h"
#include "pipeline/scheduler.h"
#include "pipeline/search/search_config.h"
#include "pipeline/search/search_planner.h"
#include "pipeline/stage_registry.h"
#include "pipeline/status_printer.h"
#include "pipeline/store.h"
#include "pipeline/store_writer.h"

namespace pipeline {
namespace {

int DagWidth(const Dag& dag) {
  std::vector<int> depth(dag.nodes().size(), 0);
  std::map<int, int> per_depth;
  for (size_t n : dag.TopologicalOrder()) {
    for (size_t input : dag.nodes()[n].inputs) depth[n] = std::max(depth[n], depth[input] + 1);
    ++per_depth[depth[n]];
  }
  int width = 1;
  for (const auto& [d, count] : per_depth) width = std::max(width, count);
  return width;
}

// Without --jobs: as many parallel stages as the DAG is wide, up to the cores; but a study that
// trains networks runs one stage at a time on all cores. Training scales well inside oneDNN, and
// its weight-gradient reductions depend on the thread count, so a fixed share (decided by the
// study, not by timing) keeps the numbers identical from run to run and across resumes.
int DefaultJobs(const Dag& dag, int cores) {
  for (const DagNode& node : dag.nodes()) {
    if (node.type->kind == StageKind::kTrain) return 1;
  }
  return std::min(cores, DagWidth(dag));
}

std::string StudyText(const Study& study, const std::vector<std::string>& overrides) {
  std::string text = study.text;
  for (const std::string& o : overrides) text += "\n# override: " + o;
  return text;
}

// A run's swept values as "path=value ...". A swept map (an optimiser) shows only its fields
// that differ between the runs, e.g. model.optimizer={lr: 0.1, optimizer: sgd}: the resolved
// map holds every field, most of them the same in every run.
class RunLabeler {
 public:
  RunLabeler(const Dag& dag, const std::vector<std::string>& swept) : swept_(swept) {
    for (const std::string& path : swept_) {
      std::map<std::string, std::set<std::string>> values;  // field → distinct values
      bool maps = true;
      for (const DagRun& run : dag.runs()) {
        auto it = run.spec.flat_params.find(path);
        if (it == run.spec.flat_params.end()) continue;
        if (!it->is_object()) {
          maps = false;
          break;
        }
        for (auto field = it->begin(); field != it->end(); ++field) {
          values[field.key()].insert(field.value().dump());
        }
      }
      if (!maps) continue;
      // Fields of one variant only (sgd's momentum) follow from the tag, which differs itself.
      std::set<std::string>& varying = varying_[path];
      for (const auto& [field, distinct] : values) {
        if (distinct.size() > 1) varying.insert(field);
      }
    }
  }

  std::string Label(const DagRun& run) const {
    std::string label;
    for (const std::string& path : swept_) {
      auto it = run.spec.flat_params.find(path);
      if (it == run.spec.flat_params.end()) continue;
      label += (label.empty() ? "" : " ") + path + "=" + Value(path, *it);
    }
    return label.empty() ? "(single run)" : label;
  }

 private:
  std::string Value(const std::string& path, const Json& value) const {
    auto varying = varying_.find(path);
    if (!value.is_object() || varying == varying_.end()) {
      return value.is_string() ? value.get<std::string>() : value.dump();
    }
    std::string text;
    for (const std::string& field : varying->second) {
      if (!value.contains(field)) continue;
      const Json& v = value.at(field);
      text += (text.empty() ? "" : ", ") + field + ": " +
              (v.is_string() ? v.get<std::string>() : v.dump());
    }
    return "{" + text + "}";
  }

  std::vector<std::string> swept_;
  std::map<std::string, std::set<std::string>> varying_;
};

void PrintPlan(const StudyPlan& plan, const std::vector<bool>& cached, size_t new_runs,
               bool known_study, FILE* out) {
  const Dag& dag = plan.dag;
  std::fprintf(out, "study '%s' (%s): %zu runs", plan.study.name.c_str(),
               plan.study.file.c_str(), dag.runs().size());
  if (known_study) std::fprintf(out, ", %zu new", new_runs);
  if (dag.duplicate_runs() > 0) {
    std::fprintf(out, " (%zu more grid point(s) are the same as an earlier run once defaults "
                      "are filled in; each runs once)",
                 dag.duplicate_runs());
  }
  std::fprintf(out, "\n\n  %-14s %-14s %8s %10s %8s %8s\n", "stage", "type", "in runs",
               "distinct", "cached", "to run");
  size_t uses = 0, distinct = 0, cached_total = 0;
  for (const SharingLine& line : dag.Sharing()) {
    size_t cached_here = 0;
    for (size_t n = 0; n < dag.nodes().size(); ++n) {
      if (dag.nodes()[n].stage_name == line.stage_name && cached[n]) ++cached_here;
    }
    std::fprintf(out, "  %-14s %-14s %8zu %10zu %8zu %8zu\n", line.stage_name.c_str(),
                 line.type.c_str(), line.uses, line.nodes, cached_here, line.nodes - cached_here);
    uses += line.uses;
    distinct += line.nodes;
    cached_total += cached_here;
  }
  std::fprintf(out,
               "\n%zu runs → %zu stage uses → %zu distinct stages (sharing saves %zu), %zu cached, "
               "%zu to run\n",
               dag.runs().size(), uses, distinct, uses - distinct, cached_total,
               distinct - cached_total);
}

// The key of the stage "run:<id>/<stage>" names. Throws ConfigError at `site` when the
// reference is malformed, the run or stage is unknown, or the stage has not finished.
std::string FindReferencedStage(const std::string& reference, Store* store,
                                const std::string& db_path, const std::string& cache_dir,
                                const ValueSite& site) {
  auto fail = [&](const std::string& why) {
    throw ConfigError("'" + reference + "': " + why, site.file, site.mark.line, site.mark.column,
                      site.key_path);
  };
  const std::string rest = reference.substr(4);
  const size_t slash = rest.find('/');
  int64_t run_id = 0;
  try {
    size_t used = 0;
    run_id = std::stoll(rest.substr(0, slash), &used);
    if (used != slash) throw std::invalid_argument("");
  } catch (const std::exception&) {
    fail("expected run:<run id>/<stage>, e.g. run:12/model (run ids: `pipeline status`)");
  }
  if (slash == std::string::npos || slash + 1 == rest.size()) {
    fail("expected run:<run id>/<stage>, e.g. run:12/model");
  }
  const std::string stage_name = rest.substr(slash + 1);
  if (store == nullptr) fail("there is no database at " + db_path);
  std::string key;
  for (const auto& [name, stage_key] : store->LoadRunStages(run_id)) {
    if (name == stage_name) key = stage_key;
  }
  if (key.empty()) fail("run " + std::to_string(run_id) + " has no stage '" + stage_name + "'");
  if (!ArtifactCache(cache_dir).Has(key)) {
    fail("stage '" + stage_name + "' of run " + std::to_string(run_id) +
         " has not finished (its output is not in " + cache_dir + ")");
  }
  return key;
}

}  // namespace

std::string DefaultCacheDir(const std::string& db_path) {
  const std::filesystem::path parent = std::filesystem::path(db_path).parent_path();
  return (parent.empty() ? std::filesystem::path(".") : parent).string() + "/cache";
}

// Replaces every stage reference written "run:<id>/<stage>" (a kStageRef parameter such as
// train's init_from) by that stage's key, looked up in the database; the stage must have
// finished, with its output in `cache_dir`. The key, unlike a path, is the same whatever
// cache folder or machine the study runs with.
void ResolveRunReferences(const Study& study, Grid& grid, const std::string& db_path,
                          const std::string& cache_dir) {
  const std::string prefix = "run:";
  std::unique_ptr<Store> store;
  std::map<std::string, std::string> resolved;  // reference → stage key
  for (RunSpec& run : grid.runs) {
    for (size_t s = 0; s < study.stages.size(); ++s) {
      const StageDecl& stage = study.stages[s];
      for (const ParamSpec& spec : grid.types[s]->params) {
        if (spec.type != ParamType::kStageRef) continue;
        Json& value = run.stage_params[s][spec.name];
        if (!value.is_string() || value.get<std::string>().compare(0, prefix.size(), prefix) != 0) {
          continue;
        }
        const std::string reference = value.get<std::string>();
        if (!resolved.count(reference)) {
          const ParamDecl* decl = stage.FindParam(spec.name);
          const SourceMark mark = decl ? decl->mark : stage.mark;
          const ValueSite site{study.file, mark, "stages." + stage.name + "." + spec.name};
          if (!store && std::filesystem::exists(db_path)) {
            store = std::make_unique<Store>(db_path, Store::Mode::kReadOnly);
          }
          resolved[reference] = FindReferencedStage(reference, store.get(), db_path, cache_dir, site);
        }
        const std::string ref_value = StageRefValue(resolved[reference]);
        const std::string flat_path = stage.name + "." + spec.name;
        value = ref_value;
        if (run.flat_params.contains(flat_path)) run.flat_params[flat_path] = ref_value;
      }
    }
  }
}

StudyPlan PlanStudy(const std::string& study_path, const std::vector<std::string>& overrides,
                    const StageRegistry& registry, const std::string& db_path,
                    const std::string& cache_dir, size_t max_runs) {
  StudyPlan plan;
  plan.study = LoadStudyFile(study_path);
  for (const std::string& assignment : overrides) ApplyOverride(plan.study, assignment);
  plan.grid = ExpandGrid(plan.study, registry, max_runs);
  ResolveRunReferences(plan.study, plan.grid, db_path,
                       cache_dir.empty() ? DefaultCacheDir(db_path) : cache_dir);
  plan.dag = Dag::Build(plan.study, plan.grid);
  return plan;
}

namespace {

// The study's database state and cache while it runs: the lock, the store, the cache.
struct Session {
  Session(const RunOptions& options, const std::string& cache_dir)
      : lock(options.db_path),
        store(options.db_path, Store::Mode::kReadWrite),
        cache(cache_dir, ArtifactCache::Durability::kDeferred) {}
  DbLock lock;
  Store store;
  ArtifactCache cache;
};

// Thread shares for one DAG: `jobs` stages at once with `threads` each.
struct Shares {
  int jobs = 1;
  int threads = 1;
};

Shares ComputeShares(const Dag& dag, const RunOptions& options) {
  const int cores = options.cores > 0
                        ? options.cores
                        : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  Shares shares;
  shares.jobs = options.jobs > 0 ? options.jobs : DefaultJobs(dag, cores);
  shares.threads = std::max(1, cores / shares.jobs);
  return shares;
}

ExitCode PrintDryRun(const StudyPlan& plan, const RunOptions& options,
                     const std::string& cache_dir, FILE* out) {
  const Dag& dag = plan.dag;
  const Shares shares = ComputeShares(dag, options);
  std::vector<bool> cached(dag.nodes().size(), false);
  size_t new_runs = dag.runs().size();
  bool known = false;
  if (std::filesystem::exists(options.db_path)) {
    Store store(options.db_path, Store::Mode::kReadOnly);
    if (auto study = store.FindStudy(plan.study.name)) {
      known = true;
      std::set<std::string> identities;
      for (const RunRow& row : store.LoadRuns(study->id)) identities.insert(row.identity);
      new_runs = 0;
      for (const DagRun& run : dag.runs()) new_runs += identities.count(run.identity) ? 0 : 1;
    }
    cached = FindCached(store, ArtifactCache(cache_dir), dag, options.force);
  }
  PrintPlan(plan, cached, new_runs, known, out);
  std::fprintf(out, "\nruns (swept: ");
  for (size_t i = 0; i < plan.grid.swept.size(); ++i) {
    std::fprintf(out, "%s%s", i ? ", " : "", plan.grid.swept[i].c_str());
  }
  std::fprintf(out, "%s):\n", plan.grid.swept.empty() ? "nothing" : "");
  const RunLabeler labels(dag, plan.grid.swept);
  for (size_t r = 0; r < dag.runs().size() && r < 500; ++r) {
    std::fprintf(out, "  %4zu  %s\n", r + 1, labels.Label(dag.runs()[r]).c_str());
  }
  if (dag.runs().size() > 500) std::fprintf(out, "  ... and %zu more\n", dag.runs().size() - 500);
  std::fprintf(out, "\nwould run with %d parallel stage(s) x %d thread(s)\n", shares.jobs,
               shares.threads);
  return ExitCode::kOk;
}

// Records the study, the batch's new runs and every stage in one transaction (so a crash
// leaves the previous state). Returns the database id of each run of `plan.dag`.
std::vector<int64_t> SyncRuns(Store& store, const StudyPlan& plan, const std::string& text,
                              bool report_changes, Clock& clock, FILE* out, size_t* new_runs) {
  const Dag& dag = plan.dag;
  const std::string file_hash = HashHex(text);
  std::vector<int64_t> run_ids(dag.runs().size());
  std::vector<std::pair<int64_t, size_t>> added;  // (run number, index in the batch)
  Transaction transaction = store.Begin();
  const auto existing = store.FindStudy(plan.study.name);
  const StudyRow study_row{0, plan.study.name, plan.study.file, file_hash, text};
  const int64_t study_id = store.UpsertStudy(study_row, clock.WallSeconds());
  std::map<std::string, RunRow> by_identity;
  for (RunRow& row : store.LoadRuns(study_id)) by_identity[row.identity] = std::move(row);
  int64_t next_number = store.NextRunNumber(study_id);
  for (size_t r = 0; r < dag.runs().size(); ++r) {
    const DagRun& run = dag.runs()[r];
    auto it = by_identity.find(run.identity);
    if (it != by_identity.end()) {
      run_ids[r] = it->second.id;
      by_identity.erase(it);
      continue;
    }
    added.push_back({next_number, r});
    run_ids[r] = RecordRun(store, study_id, plan.study, dag, r, next_number++);
  }
  if (report_changes && existing && existing->file_hash != file_hash) {
    const RunLabeler labels(dag, plan.grid.swept);
    std::fprintf(out, "study '%s' changed since its last run: %zu run(s) added, %zu earlier "
                      "run(s) no longer in the file (kept in the database)\n",
                 plan.study.name.c_str(), added.size(), by_identity.size());
    for (size_t i = 0; i < added.size() && i < 20; ++i) {
      std::fprintf(out, "  + run %lld: %s\n", static_cast<long long>(added[i].first),
                   labels.Label(dag.runs()[added[i].second]).c_str());
    }
    if (added.size() > 20) std::fprintf(out, "  + ... and %zu more\n", added.size() - 20);
  } else if (report_changes && existing) {
    std::fprintf(out, "study '%s' is known: continuing it\n", plan.study.name.c_str());
  }
  RecordStages(store, dag, 0);
  transaction.Commit();
  *new_runs = added.size();
  return run_ids;
}

// Marks the runs made entirely of cached stages done (nothing to run for them) and records the
// environment for every run of the batch (its id in `environment_id`); returns how many runs
// still need stages.
size_t FinishCachedRuns(Store& store, const Dag& dag, const std::vector<bool>& cached,
                        const std::vector<int64_t>& run_ids, int threads, Clock& clock,
                        int64_t* environment_id_out) {
  size_t to_finish = 0;
  Transaction transaction = store.Begin();
  for (size_t r = 0; r < dag.runs().size(); ++r) {
    const auto& nodes = dag.runs()[r].nodes;
    if (std::all_of(nodes.begin(), nodes.end(), [&](size_t n) { return cached[n]; })) {
      auto row = store.LoadRun(run_ids[r]);
      if (row && row->status != status::kDone) {
        store.RunFinished(run_ids[r], status::kDone, "", clock.WallSeconds());
      }
    } else {
      ++to_finish;
    }
  }
  const int64_t environment_id =
      store.RecordEnvironment(CaptureEnvironment(threads), clock.WallSeconds());
  for (const int64_t id : run_ids) store.SetRunEnvironment(id, environment_id);
  transaction.Commit();
  *environment_id_out = environment_id;
  return to_finish;
}

// How many runs may execute at once: --jobs, or else one when the study trains networks (see
// DefaultJobs) and the cores otherwise.
size_t PlannerSlots(const Grid& grid, const RunOptions& options) {
  if (options.jobs > 0) return static_cast<size_t>(options.jobs);
  for (const StageType* type : grid.types) {
    if (type->kind == StageKind::kTrain) return 1;
  }
  return static_cast<size_t>(options.cores > 0
                                 ? options.cores
                                 : std::max(1u, std::thread::hardware_concurrency()));
}

void Add(ScheduleResult& total, const ScheduleResult& part) {
  total.stages_done += part.stages_done;
  total.stages_failed += part.stages_failed;
  total.stages_failed_on_data += part.stages_failed_on_data;
  total.stages_skipped += part.stages_skipped;
  total.stages_interrupted += part.stages_interrupted;
  total.runs_done += part.runs_done;
  total.runs_failed += part.runs_failed;
  total.runs_interrupted += part.runs_interrupted;
  total.stages_pruned += part.stages_pruned;
  total.runs_pruned += part.runs_pruned;
  total.cancelled = total.cancelled || part.cancelled;
}

}  // namespace

PreparedStudy PrepareStudy(const std::string& study_path, const RunOptions& options,
                           const StageRegistry& registry, Clock& clock, FILE* out) {
  const std::string cache_dir =
      options.cache_dir.empty() ? DefaultCacheDir(options.db_path) : options.cache_dir;
  {
    Study study = LoadStudyFile(study_path);
    for (const std::string& assignment : options.overrides) ApplyOverride(study, assignment);
    if (auto search = ParseSearchConfig(study); search && search->strategy != "grid") {
      throw ConfigError("a " + search->strategy + " search chooses its trials while it runs; "
                        "run it with `pipeline run`", study.file, study.search_mark.line,
                        study.search_mark.column, "search.strategy");
    }
  }
  PreparedStudy prepared;
  prepared.plan = PlanStudy(study_path, options.overrides, registry, options.db_path, cache_dir,
                            options.max_runs);
  Session session(options, cache_dir);
  session.store.MarkAbandonedAsInterrupted();
  size_t new_runs = 0;
  prepared.run_ids = SyncRuns(session.store, prepared.plan,
                              StudyText(prepared.plan.study, options.overrides), true, clock, out,
                              &new_runs);
  prepared.cached = FindCached(session.store, session.cache, prepared.plan.dag, options.force);
  QuarantineCorruptInputs(prepared.plan.dag, session.cache, clock, prepared.cached, out);
  PrintPlan(prepared.plan, prepared.cached, new_runs, true, out);
  const Shares shares = ComputeShares(prepared.plan.dag, options);
  int64_t environment_id = 0;
  FinishCachedRuns(session.store, prepared.plan.dag, prepared.cached, prepared.run_ids,
                   shares.threads * shares.jobs, clock, &environment_id);
  prepared.study_id = session.store.FindStudy(prepared.plan.study.name)->id;
  return prepared;
}

ExitCode RunStudy(const std::string& study_path, const RunOptions& options,
                  const StageRegistry& registry, Clock& clock,
                  const std::atomic<bool>* cancel_flag, FILE* out) {
  const std::string cache_dir =
      options.cache_dir.empty() ? DefaultCacheDir(options.db_path) : options.cache_dir;
  Study study = LoadStudyFile(study_path);
  for (const std::string& assignment : options.overrides) ApplyOverride(study, assignment);
  if (std::optional<SearchConfig> search = ParseSearchConfig(study)) {
    std::vector<RunSpec> grid_runs;
    if (search->strategy == "grid") grid_runs = ExpandGrid(study, registry, options.max_runs).runs;
    SearchPlanner planner(study, std::move(*search), registry, std::move(grid_runs), out);
    if (options.dry_run) {
      // The plan of one trial: what each trial computes, and what the cache already has.
      StudyPlan plan;
      plan.study = study;
      plan.grid = planner.grid();
      plan.grid.runs = {planner.example_run()};
      plan.dag = Dag::Build(plan.study, plan.grid);
      std::fprintf(out, "%s\n(below: the plan of one trial)\n", planner.Describe().c_str());
      return PrintDryRun(plan, options, cache_dir, out);
    }
    return RunWithPlanner(study, planner.grid(), planner, options, clock, cancel_flag, out);
  }
  const StudyPlan plan = PlanStudy(study_path, options.overrides, registry, options.db_path,
                                   cache_dir, options.max_runs);
  if (options.dry_run) return PrintDryRun(plan, options, cache_dir, out);
  GridPlanner planner(plan.grid.runs);
  return RunWithPlanner(plan.study, plan.grid, planner, options, clock, cancel_flag, out);
}

ExitCode RunWithPlanner(const Study& study, const Grid& grid, Planner& planner,
                        const RunOptions& options, Clock& clock,
                        const std::atomic<bool>* cancel_flag, FILE* out) {
  const std::string cache_dir =
      options.cache_dir.empty() ? DefaultCacheDir(options.db_path) : options.cache_dir;
  Session session(options, cache_dir);
  if (options.graceful_stop != nullptr) options.graceful_stop->store(true);
  const std::unique_ptr<StageExecutor> executor =
      options.make_executor ? options.make_executor(session.cache, clock, cancel_flag)
                            : std::make_unique<InProcessExecutor>(session.cache, clock, cancel_flag);
  const int abandoned = session.store.MarkAbandonedAsInterrupted();
  planner.Resume(session.store, study.name);
  session.cache.RemoveStaleTempDirs();
  if (abandoned > 0) {
    std::fprintf(out, "resuming: %d stage(s)/run(s) were cut off by an earlier interruption\n",
                 abandoned);
  }
  const std::string text = StudyText(study, options.overrides);
  const double start = clock.MonotonicSeconds();
  const size_t slots = PlannerSlots(grid, options);
  if (const std::string line = planner.Describe(); !line.empty()) {
    std::fprintf(out, "%s\n", line.c_str());
  }
  ScheduleResult total;
  size_t batches = 0;
  for (std::vector<RunSpec> runs = planner.Ask(slots); !runs.empty(); runs = planner.Ask(slots)) {
    StudyPlan batch;
    batch.study = study;
    batch.grid.runs = std::move(runs);
    batch.grid.swept = grid.swept;
    batch.grid.types = grid.types;
    ResolveRunReferences(batch.study, batch.grid, options.db_path, cache_dir);
    batch.dag = Dag::Build(batch.study, batch.grid);
    const Dag& dag = batch.dag;
    const Shares shares = ComputeShares(dag, options);

    size_t new_runs = 0;
    const std::vector<int64_t> run_ids =
        SyncRuns(session.store, batch, text, batches == 0, clock, out, &new_runs);
    std::vector<bool> cached = FindCached(session.store, session.cache, dag, options.force);
    QuarantineCorruptInputs(dag, session.cache, clock, cached, out);
    PrintPlan(batch, cached, new_runs, true, out);
    int64_t environment_id = 0;
    const size_t runs_to_finish = FinishCachedRuns(session.store, dag, cached, run_ids,
                                                   shares.threads * shares.jobs, clock,
                                                   &environment_id);
    ++batches;
    const size_t stages_to_run =
        static_cast<size_t>(std::count(cached.begin(), cached.end(), false));
    if (stages_to_run > 0) {
      std::fprintf(out,
                   "running %zu stage(s) of %zu run(s) with %d parallel stage(s) x %d thread(s)\n",
                   stages_to_run, runs_to_finish, shares.jobs, shares.threads);
    }
    StatusPrinter printer(dag, runs_to_finish, stages_to_run, clock, out, options.tty);
    {
      StoreWriter writer(session.store);
      writer.SetSyncBarrier([&session] { session.cache.SyncAll(); });
      PlannerSource::Setup setup;
      setup.study = &batch.study;
      setup.grid = &batch.grid;
      setup.dag = &batch.dag;
      setup.planner = &planner;
      setup.writer = &writer;
      setup.cache = &session.cache;
      setup.db_path = options.db_path;
      setup.cache_dir = cache_dir;
      setup.study_id = session.store.FindStudy(study.name)->id;
      setup.environment_id = environment_id;
      setup.slots = std::max<size_t>(slots, static_cast<size_t>(shares.jobs));
      setup.force = options.force;
      PlannerSource source(setup, batch.grid.runs, dag.run_of_spec(), run_ids);
      // Runs made only of cached stages have ended already.
      for (size_t r = 0; r < dag.runs().size(); ++r) {
        const auto& nodes = dag.runs()[r].nodes;
        if (std::all_of(nodes.begin(), nodes.end(), [&](size_t n) { return cached[n]; })) {
          source.Settled(r, status::kDone);
        }
      }
      Scheduler scheduler(dag, session.cache, *executor, writer, clock,
                          {shares.jobs, shares.threads}, cancel_flag, &printer, &source,
                          planner.observer());
      Add(total, scheduler.Run(cached, run_ids));
      writer.Flush();
    }
    printer.Done();
    if (total.cancelled) break;
  }
  const size_t stages_run = total.stages_done + total.stages_failed + total.stages_skipped +
                            total.stages_interrupted + total.stages_pruned;
  if (stages_run == 0 && !total.cancelled) {
    std::fprintf(out, "nothing to compute: every stage is cached (use --force to recompute)\n");
    return ExitCode::kOk;
  }
  std::fprintf(out,
               "\n%zu run(s) done, %zu failed, %zu interrupted%s; %zu stage(s) computed, %zu failed, "
               "%zu skipped in %.1fs\nresults: %s (try `pipeline status --db %s`)\n",
               total.runs_done, total.runs_failed, total.runs_interrupted,
               total.runs_pruned > 0 ? (", " + std::to_string(total.runs_pruned) + " pruned").c_str()
                                     : "",
               total.stages_done, total.stages_failed, total.stages_skipped,
               clock.MonotonicSeconds() - start,
               options.db_path.c_str(), options.db_path.c_str());
  if (total.cancelled) return ExitCode::kInterrupted;
  // Every failure a data file's: say so with its own code.
  if (total.stages_failed > 0 && total.stages_failed == total.stages_failed_on_data) {
    return ExitCode::kDataError;
  }
  if (total.runs_failed > 0 || total.runs_interrupted > 0) return ExitCode::kRunsFailed;
  return ExitCode::kOk;
}

}  // namespace pipeline
