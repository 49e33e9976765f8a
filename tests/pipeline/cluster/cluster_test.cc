// A study computed as cluster tasks (plan, one `worker` execution per stage instance, merge)
// must leave its database with the same content as `pipeline run`: same runs, stage keys,
// statuses, output hashes and metrics bit for bit. Here the tasks run in this process in level
// order, as Slurm's per-level arrays would; tests/scripts/slurm_*.sh do it through sbatch.

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "pipeline/cluster/cluster_merge.h"
#include "pipeline/cluster/cluster_plan.h"
#include "pipeline/cluster/cluster_status.h"
#include "pipeline/cluster/cluster_task.h"
#include "pipeline/cluster/launcher_config.h"
#include "pipeline/cluster/slurm_submitter.h"
#include "pipeline/errors.h"
#include "pipeline/store.h"
#include "pipeline/study_runner.h"
#include "tests/support/study_fixture.h"

using testing_support::StudyFixture;

namespace {

const char* kStudy =
    "study: cluster\nseed: 7\nstages:\n  data: {type: constant, value: 2, n: 8}\n"
    "  shift: {type: add, input: data, delta: [1, 2, 3]}\n"
    "  jitter: {type: noisy, input: shift, scale: [0.5, 1.0]}\n"
    "  check: {type: fail_if, input: jitter, fail: [false, true]}\n"
    "  after: {type: add, input: check, delta: 1}\n";

const std::vector<std::string> kContent = {
    "SELECT number || '|' || identity || '|' || status || '|' || params_json || '|' || error "
    "FROM runs ORDER BY number",
    "SELECT key || '|' || name || '|' || status || '|' || output_hash || '|' || error || '|' || "
    "threads FROM stages ORDER BY key",
    "SELECT stage_key || '|' || name || '|' || step || '|' || printf('%.17g', value) "
    "FROM metrics ORDER BY stage_key, name, step",
    "SELECT stage_key || '|' || name || '|' || content_hash || '|' || bytes FROM artifacts "
    "ORDER BY stage_key, name",
    "SELECT study || '|' || total || '|' || done || '|' || failed FROM study_progress"};

struct ClusterStudy {
  StudyFixture f;
  pipeline::ClusterPlan plan;
  std::string dir;

  ClusterStudy() {
    const std::string path = f.dir() + "/cluster.yaml";
    FILE* sink = std::fopen("/dev/null", "w");
    {
      std::FILE* file = std::fopen(path.c_str(), "w");
      std::fputs(kStudy, file);
      std::fclose(file);
    }
    pipeline::RunOptions options;
    options.db_path = f.db();
    options.cores = 1;
    const pipeline::PreparedStudy prepared =
        pipeline::PrepareStudy(path, options, f.registry(), f.clock(), sink);
    std::fclose(sink);
    const std::string cache = pipeline::DefaultCacheDir(f.db());
    plan = pipeline::MakeClusterPlan(prepared, cache, 1);
    dir = pipeline::ClusterDir(cache, plan.study);
    pipeline::WriteClusterPlan(plan, dir + "/plan.json");
    plan = pipeline::ReadClusterPlan(dir + "/plan.json");  // what a task sees
  }

  pipeline::TaskStatus Task(const std::string& key, const std::atomic<bool>* cancel = nullptr) {
    return pipeline::RunClusterTask(plan, dir, key, 1, f.registry(), f.clock(), cancel);
  }
  pipeline::CollectSummary Collect(bool final = false) {
    pipeline::Store store(f.db(), pipeline::Store::Mode::kReadWrite);
    return pipeline::CollectCluster(store, plan, dir, f.clock(), {final});
  }
  // Runs every task level by level, except `lost` (killed before it wrote its status).
  void RunAllBut(const std::string& lost) {
    for (const auto& level : plan.levels) {
      for (const std::string& key : level) {
        if (key != lost) Task(key);
      }
    }
  }
  // A jobs.json as SubmitToSlurm writes it: one array per level, ids 500, 501, ...
  void WriteJobs() {
    pipeline::Json jobs = pipeline::Json::array();
    for (size_t level = 0; level < plan.levels.size(); ++level) {
      jobs.push_back({{"id", std::to_string(500 + level)}, {"level", level}, {"offset", 0},
                      {"tasks", plan.levels[level].size()}});
    }
    std::ofstream(dir + "/jobs.json") << jobs.dump() << "\n";
  }
};

// The merged database holds what the local run wrote (kContent, query by query).
void CheckSameContent(StudyFixture& merged, StudyFixture& local) {
  for (const std::string& sql : kContent) {
    INFO(sql);
    CHECK(merged.Column(sql) == local.Column(sql));
  }
}

}  // namespace

TEST_CASE("tasks run level by level and merged give the database a local run gives",
          "[cluster][integration]") {
  StudyFixture local;
  pipeline::RunOptions options;
  options.cores = 1;
  REQUIRE(local.Run(kStudy, options, "cluster") == pipeline::ExitCode::kRunsFailed);

  ClusterStudy cluster;
  // Levels follow the DAG: data, then the 3 shifts, then the 6 jitters, ...
  REQUIRE(cluster.plan.levels.size() == 5);
  CHECK(cluster.plan.levels[0].size() == 1);
  CHECK(cluster.plan.levels[1].size() == 3);
  CHECK(cluster.plan.levels[2].size() == 6);
  // Levels wait for each other with afterany, so every task starts; one whose input failed is
  // skipped by the worker, saying which input.
  size_t skipped = 0;
  for (const auto& level : cluster.plan.levels) {
    for (const std::string& key : level) {
      const pipeline::TaskStatus status = cluster.Task(key);
      if (status.status != pipeline::status::kSkipped) continue;
      ++skipped;
      CHECK(status.error == "input stage 'check' failed");
      CHECK_FALSE(pipeline::ArtifactCache(cluster.plan.cache_dir).Has(key));
    }
  }
  CHECK(skipped == 6);  // the `after` of each failed check
  const pipeline::CollectSummary summary = cluster.Collect();
  CHECK(summary.failed == 6);
  CHECK(summary.runs_done == 6);
  CHECK(summary.runs_failed == 6);
  CHECK(summary.waiting == 0);
  CheckSameContent(cluster.f, local);
  // Collecting again changes nothing.
  const pipeline::CollectSummary again = cluster.Collect();
  CHECK(again.merged == 0);
  CHECK(cluster.f.Scalar("SELECT max(attempts) FROM stages") == "1");
  CheckSameContent(cluster.f, local);
}

TEST_CASE("a task that never finished leaves its runs waiting until it is run again",
          "[cluster][integration]") {
  StudyFixture local;
  pipeline::RunOptions options;
  options.cores = 1;
  local.Run(kStudy, options, "cluster");
  ClusterStudy cluster;
  const std::string lost = cluster.plan.levels[1][0];  // one shift: killed before its status
  for (const auto& level : cluster.plan.levels) {
    for (const std::string& key : level) {
      bool blocked = key == lost;
      for (const std::string& input : cluster.plan.tasks.at(key).inputs) {
        auto status = pipeline::ReadTaskStatus(cluster.dir, input);
        blocked = blocked || !status || status->status != pipeline::status::kDone;
      }
      if (!blocked) cluster.Task(key);
    }
  }
  const pipeline::CollectSummary partial = cluster.Collect();
  CHECK(partial.runs_waiting == 4);  // the lost shift's 2 jitters x 2 checks
  CHECK(cluster.f.Scalar("SELECT count(*) FROM runs WHERE status = 'pending'") == "4");
  // Resubmitted: the tasks without a status run (finished ones are not run again).
  const pipeline::TaskStatus first = cluster.Task(cluster.plan.levels[0][0]);
  CHECK(first.status == pipeline::status::kDone);
  for (const auto& level : cluster.plan.levels) {
    for (const std::string& key : level) {
      if (pipeline::ReadTaskStatus(cluster.dir, key)) continue;
      bool blocked = false;
      for (const std::string& input : cluster.plan.tasks.at(key).inputs) {
        auto status = pipeline::ReadTaskStatus(cluster.dir, input);
        blocked = blocked || !status || status->status != pipeline::status::kDone;
      }
      if (!blocked) cluster.Task(key);
    }
  }
  cluster.Collect();
  CheckSameContent(cluster.f, local);
}

TEST_CASE("submit splits levels into arrays of at most MaxArraySize and chains them",
          "[cluster]") {
  ClusterStudy cluster;
  std::vector<std::vector<std::string>> calls;
  int next_id = 100;
  const pipeline::CommandRunner fake = [&](const std::vector<std::string>& argv) {
    calls.push_back(argv);
    if (argv[0] == "scontrol") return std::make_pair(0, std::string("MaxArraySize            = 4\n"));
    return std::make_pair(0, std::to_string(next_id++) + "\n");
  };
  pipeline::SlurmOptions options;
  options.cpus_per_task = 2;
  const auto jobs = pipeline::SubmitToSlurm(cluster.plan, cluster.dir + "/plan.json", "/bin/p",
                                            {"--db", "x.db"}, options, fake);
  // Levels of 1, 3, 6, 12 and 12 tasks with arrays of at most 4: 1 + 1 + 2 + 3 + 3 = 10 arrays,
  // then the collect job.
  REQUIRE(jobs.size() == 11);
  CHECK(jobs[3].level == 2);
  CHECK(jobs[3].offset == 4);
  CHECK(jobs[3].tasks == 2);
  auto has = [](const std::vector<std::string>& argv, const std::string& arg) {
    return std::find(argv.begin(), argv.end(), arg) != argv.end();
  };
  // calls[0] is scontrol; the level-2 arrays wait for the level-1 array (job 101).
  CHECK(has(calls[3], "--array=0-3"));
  CHECK(has(calls[3], "--dependency=afterany:101"));
  CHECK(has(calls[3], "--cpus-per-task=2"));
  CHECK(has(calls[4], "--array=0-1"));
  CHECK(has(calls[5], "--dependency=afterany:102:103"));
  // The collect job waits for every array.
  CHECK(has(calls.back(), "--dependency=afterany:100:101:102:103:104:105:106:107:108:109"));
  CHECK(calls.back().back() == "--wrap='/bin/p' 'collect' 'cluster' '--db' 'x.db'");
  CHECK(pipeline::ReadSubmittedJobs(cluster.dir).size() == 11);
  // A refusal is an error with sbatch's message.
  const pipeline::CommandRunner refuse = [](const std::vector<std::string>& argv) {
    if (argv[0] == "scontrol") return std::make_pair(0, std::string());
    return std::make_pair(1, std::string("sbatch: error: Batch job submission failed"));
  };
  CHECK_THROWS_WITH(pipeline::SubmitToSlurm(cluster.plan, cluster.dir + "/plan.json", "/bin/p",
                                            {}, options, refuse),
                    Catch::Matchers::Contains("Batch job submission failed"));
}

TEST_CASE("SIGTERM (preemption) leaves a task interrupted with nothing counted, and it runs again",
          "[cluster][integration]") {
  StudyFixture local;
  pipeline::RunOptions options;
  options.cores = 1;
  local.Run(kStudy, options, "cluster");
  ClusterStudy cluster;
  cluster.Task(cluster.plan.levels[0][0]);  // the data
  const std::string preempted = cluster.plan.levels[1][1];
  const std::atomic<bool> sigterm{true};
  const pipeline::TaskStatus stopped = cluster.Task(preempted, &sigterm);
  CHECK(stopped.status == pipeline::status::kInterrupted);
  CHECK_FALSE(pipeline::ArtifactCache(cluster.plan.cache_dir).Has(preempted));
  CHECK_FALSE(std::filesystem::exists(pipeline::ShardPath(cluster.dir, preempted)));
  REQUIRE(pipeline::ReadTaskStatus(cluster.dir, preempted)->status ==
          pipeline::status::kInterrupted);
  // Its dependents, had they started, are skipped as not finished; the merge waits for them.
  const std::string dependent = cluster.plan.levels[2][2];
  REQUIRE(cluster.plan.tasks.at(dependent).inputs[0] == preempted);
  const pipeline::TaskStatus early = cluster.Task(dependent);
  CHECK(early.status == pipeline::status::kSkipped);
  CHECK(early.error.find("input stage 'shift' has not finished (interrupted: stopped by a signal") == 0);
  CHECK(cluster.Collect().runs_waiting == 12);  // only the data is done: every run waits
  // Requeued: the same command runs it to the end; then everything equals a local run.
  cluster.RunAllBut("");
  cluster.Collect();
  CheckSameContent(cluster.f, local);
}

TEST_CASE("the final collect fails a task that left no status, with Slurm's reason from its log",
          "[cluster][integration]") {
  ClusterStudy cluster;
  cluster.WriteJobs();
  const std::string lost = cluster.plan.levels[1][0];
  cluster.RunAllBut(lost);
  std::filesystem::create_directories(cluster.dir + "/logs");
  std::ofstream(cluster.dir + "/logs/501_0.out")
      << "slurmstepd: error: *** JOB 501 ON node1 CANCELLED AT 2026-12-04T03:00:07 DUE TO TIME "
         "LIMIT ***\n";
  CHECK(pipeline::SlurmEndLine(cluster.dir + "/logs/501_0.out") ==
        "JOB 501 ON node1 CANCELLED AT 2026-12-04T03:00:07 DUE TO TIME LIMIT");
  // While jobs may still run, it waits ...
  const pipeline::CollectSummary partial = cluster.Collect();
  CHECK(partial.runs_waiting == 4);
  // ... once every job has ended it fails, and its runs fail with the reason.
  const pipeline::CollectSummary final = cluster.Collect(true);
  CHECK(final.runs_waiting == 0);
  CHECK(final.runs_failed == 8);  // the 4 runs below the lost shift + the 4 whose check fails
  const std::string error = cluster.f.Scalar(
      "SELECT error FROM stages WHERE key = '" + lost + "'");
  CHECK(error.find("the cluster task did not finish: JOB 501 ON node1 CANCELLED AT "
                   "2026-12-04T03:00:07 DUE TO TIME LIMIT; log: ") == 0);
  CHECK(cluster.f.Scalar("SELECT count(*) FROM runs WHERE status = 'failed' AND error LIKE "
                         "'%DUE TO TIME LIMIT%'") == "4");
  // A second final collect changes nothing.
  CHECK(cluster.Collect(true).runs_failed == 8);
  CHECK(cluster.f.Scalar("SELECT max(attempts) FROM stages") == "1");
}

TEST_CASE("status counts tasks from their status files and Slurm's queue", "[cluster]") {
  ClusterStudy cluster;
  cluster.WriteJobs();
  const std::vector<pipeline::SubmittedJob> jobs = pipeline::ReadSubmittedJobs(cluster.dir);
  REQUIRE(jobs.size() == cluster.plan.levels.size());
  // Level 0 and 1 have run, level 2's array has two tasks running and the rest pending.
  for (size_t level = 0; level < 2; ++level) {
    for (const std::string& key : cluster.plan.levels[level]) cluster.Task(key);
  }
  std::vector<std::vector<std::string>> calls;
  const pipeline::CommandRunner squeue = [&](const std::vector<std::string>& argv) {
    calls.push_back(argv);
    return std::make_pair(0, std::string("502_0 RUNNING\n502_1 RUNNING\n502_[2-5] PENDING\n"
                                         "503_[0-11%4] PENDING\n504_[0-11] PENDING\n"));
  };
  const auto queue = pipeline::SlurmQueue(jobs, squeue);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0] == std::vector<std::string>{"squeue", "-h", "-r", "-j", "500,501,502,503,504",
                                             "-o", "%i %T"});
  CHECK(queue.size() == 30);
  CHECK(queue.at("503_11") == "PENDING");
  const pipeline::ClusterProgress progress =
      pipeline::ReadClusterProgress(cluster.plan, cluster.dir, jobs, queue);
  REQUIRE(progress.stages.size() == 5);
  CHECK(progress.in_queue == 30);
  CHECK(progress.stages[0].stage == "data");
  CHECK(progress.stages[0].done == 1);
  CHECK(progress.stages[1].done == 3);
  CHECK(progress.stages[2].running == 2);
  CHECK(progress.stages[2].queued == 4);
  CHECK(progress.stages[4].queued == 12);
  CHECK(progress.problems.empty());
  // The queue empties with level 2 unfinished: those tasks are "not running", each named.
  const pipeline::ClusterProgress after =
      pipeline::ReadClusterProgress(cluster.plan, cluster.dir, jobs, {});
  CHECK(after.stages[2].not_running == 6);
  CHECK(after.problems.size() == 30);
  CHECK(after.problems[0].find("(task 502_0): not in the queue and no status") !=
        std::string::npos);
  // squeue about ids Slurm has forgotten is not an outage; squeue failing is.
  const pipeline::CommandRunner forgotten = [](const std::vector<std::string>&) {
    return std::make_pair(1, std::string("slurm_load_jobs error: Invalid job id specified\n"));
  };
  CHECK(pipeline::SlurmQueue(jobs, forgotten).empty());
  const pipeline::CommandRunner down = [](const std::vector<std::string>&) {
    return std::make_pair(1, std::string("slurm_load_jobs error: Unable to contact slurm "
                                         "controller (connect failure)\n"));
  };
  CHECK_THROWS_AS(pipeline::SlurmQueue(jobs, down), pipeline::ClusterError);
}

TEST_CASE("a refusal part-way through submit cancels the arrays already queued", "[cluster]") {
  ClusterStudy cluster;
  std::vector<std::vector<std::string>> calls;
  int accepted = 0;
  const pipeline::CommandRunner qos_limit = [&](const std::vector<std::string>& argv) {
    calls.push_back(argv);
    if (argv[0] == "scontrol") return std::make_pair(0, std::string("MaxArraySize = 1001\n"));
    if (argv[0] == "scancel") return std::make_pair(0, std::string());
    if (accepted == 2) {
      return std::make_pair(1, std::string("sbatch: error: QOSMaxSubmitJobPerUserLimit"));
    }
    return std::make_pair(0, std::to_string(700 + accepted++) + "\n");
  };
  CHECK_THROWS_WITH(pipeline::SubmitToSlurm(cluster.plan, cluster.dir + "/plan.json", "/bin/p",
                                            {}, {}, qos_limit),
                    Catch::Matchers::Contains("QOSMaxSubmitJobPerUserLimit") &&
                        Catch::Matchers::Contains("the 2 job(s) queued before it are cancelled"));
  CHECK(calls.back() == std::vector<std::string>{"scancel", "700", "701"});
  CHECK(pipeline::ReadSubmittedJobs(cluster.dir).empty());
}

TEST_CASE("a study's launcher block gives submit its defaults; mistakes name the line and key",
          "[cluster][config]") {
  const pipeline::Study study = pipeline::ParseStudy(
      "stages:\n  data: {type: constant, value: 1}\nlauncher:\n  slurm:\n    partition: "
      "long\n    time: \"02:00:00\"\n    cpus_per_task: 4\n    mem: 8G\n    sbatch: "
      "[\"--qos=high\", \"--constraint=avx2\"]\n",
      "s.yaml");
  const pipeline::SlurmOptions options = pipeline::SlurmLauncherOptions(study);
  CHECK(options.partition == "long");
  CHECK(options.time == "02:00:00");
  CHECK(options.cpus_per_task == 4);
  CHECK(options.mem == "8G");
  CHECK(options.account.empty());
  CHECK(options.extra == std::vector<std::string>{"--qos=high", "--constraint=avx2"});
  // No block: the defaults stay.
  const pipeline::Study plain =
      pipeline::ParseStudy("stages:\n  data: {type: constant, value: 1}\n", "p.yaml");
  CHECK(pipeline::SlurmLauncherOptions(plain).cpus_per_task == 1);

  auto error_of = [](const std::string& launcher) {
    try {
      pipeline::SlurmLauncherOptions(pipeline::ParseStudy(
          "stages:\n  data: {type: constant, value: 1}\nlauncher:\n" + launcher, "bad.yaml"));
    } catch (const pipeline::ConfigError& e) {
      return std::string(e.what()) + " @" + std::to_string(e.line()) + " " + e.key_path();
    }
    return std::string("no error");
  };
  CHECK_THAT(error_of("  slurm:\n    partiton: long\n"),
             Catch::Matchers::Contains("did you mean 'partition'") &&
                 Catch::Matchers::EndsWith("@5 launcher.slurm.partiton"));
  CHECK_THAT(error_of("  slurm:\n    cpus_per_task: many\n"),
             Catch::Matchers::EndsWith("@5 launcher.slurm.cpus_per_task"));
  CHECK_THAT(error_of("  pbs: {queue: q}\n"),
             Catch::Matchers::EndsWith("@4 launcher.pbs"));
}
