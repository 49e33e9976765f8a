// The cluster commands: `submit` (a study as Slurm job arrays), `worker` (hidden: one task of a
// submitted study, run inside a Slurm array task) and `collect` (merge the tasks' results into
// the study's database).

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "pipeline/cli/commands.h"
#include "pipeline/cluster/cluster_merge.h"
#include "pipeline/cluster/cluster_plan.h"
#include "pipeline/cluster/cluster_status.h"
#include "pipeline/cluster/cluster_task.h"
#include "pipeline/cluster/launcher_config.h"
#include "pipeline/cluster/slurm_submitter.h"
#include "pipeline/db_lock.h"
#include "pipeline/store.h"
#include "pipeline/study.h"
#include "pipeline/study_runner.h"

namespace pipeline::cli {
namespace {

// A whole number from the environment (Slurm's SLURM_ARRAY_TASK_ID, SLURM_CPUS_PER_TASK), or -1.
long EnvNumber(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return -1;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  return *end == '\0' ? value : -1;
}

}  // namespace

void AddWorkerCommand(CLI::App& app, CommandContext& context) {
  struct Options {
    std::string plan;
    int level = 0;
    long offset = 0;
    long index = -1;
    int threads = 0;
  };
  auto o = std::make_shared<Options>();
  CLI::App* worker = app.add_subcommand(
      "worker", "Run one task of a submitted study (inside a Slurm array task)");
  worker->group("");  // not in the usual help: `pipeline submit` writes these command lines
  worker->add_option("plan", o->plan, "the study's cluster plan (plan.json)")->required();
  worker->add_option("--level", o->level, "the DAG level of the task")->required();
  worker->add_option("--offset", o->offset, "index of this array's first task in the level");
  worker->add_option("--index", o->index, "task index in the array (default SLURM_ARRAY_TASK_ID)");
  worker->add_option("--threads", o->threads, "threads (default SLURM_CPUS_PER_TASK, else the plan's)");
  worker->callback([&context, o] {
    const ClusterPlan plan = ReadClusterPlan(o->plan);
    const long index = o->index >= 0 ? o->index : EnvNumber("SLURM_ARRAY_TASK_ID");
    if (index < 0) throw ConfigError("worker: no --index and no SLURM_ARRAY_TASK_ID");
    if (o->level < 0 || static_cast<size_t>(o->level) >= plan.levels.size() ||
        static_cast<size_t>(o->offset + index) >= plan.levels[o->level].size()) {
      throw ConfigError("worker: the plan has no task " + std::to_string(o->offset + index) +
                        " at level " + std::to_string(o->level));
    }
    const std::string& key = plan.levels[o->level][o->offset + index];
    const long slurm_cpus = EnvNumber("SLURM_CPUS_PER_TASK");
    const int threads = o->threads > 0 ? o->threads
                        : slurm_cpus > 0 ? static_cast<int>(slurm_cpus)
                                         : plan.threads;
    const std::string dir = std::filesystem::path(o->plan).parent_path().string();
    // SIGTERM (preemption, time limit, scancel) now stops the stage at its next check instead of
    // ending the process, so the status file can say so; Slurm's SIGKILL follows KillWait later.
    context.graceful_stop->store(true);
    const TaskStatus status =
        RunClusterTask(plan, dir, key, threads, context.registry, context.clock,
                       context.cancel_flag);
    std::printf("task %s (%s) %s%s%s\n", key.substr(0, 12).c_str(),
                plan.tasks.at(key).stage_name.c_str(), status.status.c_str(),
                status.error.empty() ? "" : ": ", status.error.c_str());
    context.exit_code = status.status == status::kDone          ? ExitCode::kOk
                        : status.status == status::kInterrupted ? ExitCode::kInterrupted
                                                                : ExitCode::kRunsFailed;
  });
}

void AddCollectCommand(CLI::App& app, CommandContext& context) {
  auto db = std::make_shared<std::string>(kDefaultDb);
  auto cache = std::make_shared<std::string>();
  auto study = std::make_shared<std::string>();
  CLI::App* collect = app.add_subcommand(
      "collect", "Merge a submitted study's finished cluster tasks into its database");
  collect->add_option("study", *study, "the study name")->required();
  collect->add_option("--db", *db, "results database")->capture_default_str();
  collect->add_option("--cache", *cache, "stage output folder (default: 'cache' beside the database)");
  auto final = std::make_shared<bool>(false);
  collect->add_flag("--final", *final,
                    "every job has ended: fail the tasks that left no result, with Slurm's reason "
                    "(the collect job of `submit` passes this)");
  collect->callback([&context, db, cache, study, final] {
    const std::string cache_dir = cache->empty() ? DefaultCacheDir(*db) : *cache;
    const std::string dir = ClusterDir(cache_dir, *study);
    const ClusterPlan plan = ReadClusterPlan(dir + "/plan.json");
    context.graceful_stop->store(true);
    DbLock lock(*db);
    Store store(*db, Store::Mode::kReadWrite);
    const CollectSummary s = CollectCluster(store, plan, dir, context.clock, {*final});
    std::printf("collected '%s': %zu task(s) merged now, %zu before, %zu failed, %zu waiting; "
                "runs: %zu done, %zu failed, %zu waiting\n",
                study->c_str(), s.merged, s.already, s.failed, s.waiting, s.runs_done,
                s.runs_failed, s.runs_waiting);
    context.exit_code = s.runs_failed > 0 ? ExitCode::kRunsFailed : ExitCode::kOk;
  });
}

void AddSubmitCommand(CLI::App& app, CommandContext& context) {
  auto run = std::make_shared<RunOptions>();
  auto slurm = std::make_shared<SlurmOptions>();  // as given on the command line
  auto study = std::make_shared<std::string>();
  auto use_slurm = std::make_shared<bool>(false);
  auto given = std::make_shared<std::vector<CLI::Option*>>();
  CLI::App* submit = app.add_subcommand(
      "submit", "Submit a study to a Slurm cluster as job arrays, one per DAG level, and return");
  submit->add_option("study", *study, "the study file")->required()->check(CLI::ExistingFile);
  submit->add_option("overrides", run->overrides, "overrides, as for `run`");
  submit->add_flag("--slurm", *use_slurm, "submit with sbatch (the only launcher so far)")
      ->required();
  submit->add_option("--db", run->db_path, "results database (keep it on this host's disk)")
      ->capture_default_str();
  submit->add_option("--cache", run->cache_dir,
                     "stage output folder, on a file system every node sees (default: 'cache' "
                     "beside the database)");
  given->push_back(submit->add_option("--partition", slurm->partition, "sbatch --partition"));
  given->push_back(
      submit->add_option("--time", slurm->time, "sbatch --time per task, e.g. 02:00:00"));
  given->push_back(submit
                       ->add_option("-c,--cpus-per-task", slurm->cpus_per_task,
                                    "cores per task; the stage's threads (default 1)")
                       ->check(CLI::Range(1, 4096)));
  given->push_back(submit->add_option("--mem", slurm->mem, "sbatch --mem per task, e.g. 8G"));
  given->push_back(submit->add_option("--account", slurm->account, "sbatch --account"));
  submit->add_option("--sbatch", slurm->extra, "a further sbatch argument (repeatable)");
  submit->add_flag("--force", run->force, "recompute every stage, ignoring the cache");
  submit->footer(
      "A `launcher: {slurm: {partition, time, cpus_per_task, mem, account, sbatch}}` block in "
      "the study file sets defaults; these options win.");
  // Every option's storage is owned by the callback: CLI11 keeps only a reference to it.
  submit->callback([&context, run, slurm, study, use_slurm, given] {
    // The study file's launcher block first, then what the command line says.
    SlurmOptions options = SlurmLauncherOptions(LoadStudyFile(*study));
    if ((*given)[0]->count()) options.partition = slurm->partition;
    if ((*given)[1]->count()) options.time = slurm->time;
    if ((*given)[2]->count()) options.cpus_per_task = slurm->cpus_per_task;
    if ((*given)[3]->count()) options.mem = slurm->mem;
    if ((*given)[4]->count()) options.account = slurm->account;
    options.extra.insert(options.extra.end(), slurm->extra.begin(), slurm->extra.end());
    run->cores = options.cpus_per_task;
    run->jobs = 1;
    context.graceful_stop->store(true);
    const PreparedStudy prepared =
        PrepareStudy(*study, *run, context.registry, context.clock, stdout);
    const std::string cache_dir = run->cache_dir.empty() ? DefaultCacheDir(run->db_path)
                                                         : run->cache_dir;
    const ClusterPlan plan = MakeClusterPlan(prepared, cache_dir, options.cpus_per_task);
    const std::string dir = std::filesystem::absolute(ClusterDir(cache_dir, plan.study)).string();
    const std::string plan_path = dir + "/plan.json";
    const CommandRunner runner = SystemCommandRunner();
    // A second submit while the first one's tasks are queued would run them twice.
    if (const std::vector<SubmittedJob> earlier = ReadSubmittedJobs(dir); !earlier.empty() &&
        !plan.tasks.empty()) {
      const auto queue = SlurmQueue(earlier, runner);
      if (!queue.empty()) {
        throw ConfigError("study '" + plan.study + "' still has " + std::to_string(queue.size()) +
                          " job(s) or task(s) in Slurm's queue from its last submit: wait for "
                          "them (`pipeline status " + plan.study + "`) or `pipeline cancel " +
                          plan.study + "` first");
      }
    }
    // What an earlier attempt of these tasks left (a failed or interrupted status, a partial
    // shard) would be read as this attempt's.
    for (const auto& [key, task] : plan.tasks) {
      std::error_code ignored;
      std::filesystem::remove(StatusPath(dir, key), ignored);
      std::filesystem::remove(ShardPath(dir, key), ignored);
    }
    WriteClusterPlan(plan, plan_path);
    if (plan.tasks.empty()) {
      std::printf("nothing to compute: every stage is cached\n");
      context.exit_code = ExitCode::kOk;
      return;
    }
    const std::string binary = std::filesystem::read_symlink("/proc/self/exe").string();
    const std::vector<SubmittedJob> jobs = SubmitToSlurm(
        plan, plan_path, binary,
        {"--db", std::filesystem::absolute(run->db_path).string(), "--cache",
         std::filesystem::absolute(cache_dir).string(), "--final"},
        options, runner);
    std::printf("submitted %zu task(s) in %zu array job(s) over %zu level(s), then collect "
                "(job %s)\nfollow: `pipeline status %s --db %s`; merge by hand: `pipeline "
                "collect %s --db %s`\n",
                plan.tasks.size(), jobs.size() - 1, plan.levels.size(), jobs.back().id.c_str(),
                plan.study.c_str(), run->db_path.c_str(), plan.study.c_str(),
                run->db_path.c_str());
    context.exit_code = ExitCode::kOk;
  });
}

void AddCancelCommand(CLI::App& app, CommandContext& context) {
  auto db = std::make_shared<std::string>(kDefaultDb);
  auto cache = std::make_shared<std::string>();
  auto study = std::make_shared<std::string>();
  CLI::App* cancel =
      app.add_subcommand("cancel", "Cancel a submitted study's Slurm jobs that have not ended");
  cancel->add_option("study", *study, "the study name")->required();
  cancel->add_option("--db", *db, "results database")->capture_default_str();
  cancel->add_option("--cache", *cache, "stage output folder (default: 'cache' beside the database)");
  cancel->callback([&context, db, cache, study] {
    const std::string cache_dir = cache->empty() ? DefaultCacheDir(*db) : *cache;
    const std::string dir = ClusterDir(cache_dir, *study);
    const std::vector<SubmittedJob> jobs = ReadSubmittedJobs(dir);
    if (jobs.empty()) {
      throw ConfigError("study '" + *study + "' has no submitted jobs (no " + dir +
                        "/jobs.json; was it submitted with this --db / --cache?)");
    }
    const CommandRunner runner = SystemCommandRunner();
    const auto queue = SlurmQueue(jobs, runner);
    std::vector<std::string> argv = {"scancel"};
    for (const SubmittedJob& job : jobs) {
      // squeue names an array's tasks "<job>_<index>" and a plain job "<job>".
      auto it = queue.lower_bound(job.id);
      if (it != queue.end() && (it->first == job.id || it->first.rfind(job.id + "_", 0) == 0)) {
        argv.push_back(job.id);
      }
    }
    if (argv.size() == 1) {
      std::printf("nothing to cancel: every job of '%s' has ended\n", study->c_str());
      context.exit_code = ExitCode::kOk;
      return;
    }
    const auto [code, output] = runner(argv);
    if (code != 0) throw ClusterError("scancel failed: " + output);
    std::printf("cancelled %zu job(s) of '%s'. Merge what finished: `pipeline collect %s --db "
                "%s --final` once `pipeline status %s` shows nothing running; `pipeline submit` "
                "again resumes the rest.\n",
                argv.size() - 1, study->c_str(), study->c_str(), db->c_str(), study->c_str());
    context.exit_code = ExitCode::kOk;
  });
}

}  // namespace pipeline::cli
