// A study computed as cluster tasks (plan, one `worker` execution per stage instance, merge)
// must leave its database with the same content as `pipeline run`: same runs, stage keys,
// statuses, output hashes and metrics bit for bit. Here the tasks run in this process in level
// order, as Slurm's per-level arrays would; tests/scripts/slurm_*.sh do it through sbatch.

#include <cstdio>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "pipeline/cluster/cluster_merge.h"
#include "pipeline/cluster/cluster_plan.h"
#include "pipeline/cluster/cluster_task.h"
#include "pipeline/cluster/slurm_submitter.h"
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

  pipeline::TaskStatus Task(const std::string& key) {
    return pipeline::RunClusterTask(plan, dir, key, 1, f.registry(), f.clock(), nullptr);
  }
  pipeline::CollectSummary Collect() {
    pipeline::Store store(f.db(), pipeline::Store::Mode::kReadWrite);
    return pipeline::CollectCluster(store, plan, dir, f.clock());
  }
};

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
  for (const auto& level : cluster.plan.levels) {
    for (const std::string& key : level) {
      // Slurm's afterok: a level's array starts only once the level before succeeded, so the
      // tasks after a failed one never run.
      bool blocked = false;
      for (const std::string& input : cluster.plan.tasks.at(key).inputs) {
        auto status = pipeline::ReadTaskStatus(cluster.dir, input);
        blocked = blocked || (status && status->status != pipeline::status::kDone);
      }
      if (!blocked) cluster.Task(key);
    }
  }
  const pipeline::CollectSummary summary = cluster.Collect();
  CHECK(summary.failed == 6);
  CHECK(summary.runs_done == 6);
  CHECK(summary.runs_failed == 6);
  CHECK(summary.waiting == 0);
  for (const std::string& sql : kContent) {
    INFO(sql);
    CHECK(cluster.f.Column(sql) == local.Column(sql));
  }
  // Collecting again changes nothing.
  const pipeline::CollectSummary again = cluster.Collect();
  CHECK(again.merged == 0);
  CHECK(cluster.f.Scalar("SELECT max(attempts) FROM stages") == "1");
  for (const std::string& sql : kContent) CHECK(cluster.f.Column(sql) == local.Column(sql));
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
  for (const std::string& sql : kContent) {
    INFO(sql);
    CHECK(cluster.f.Column(sql) == local.Column(sql));
  }
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
