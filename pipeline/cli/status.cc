#include <algorithm>
#include <filesystem>

#include "pipeline/cli/commands.h"
#include "pipeline/cli/table_printer.h"
#include "pipeline/cluster/cluster_plan.h"
#include "pipeline/cluster/cluster_status.h"
#include "pipeline/report/study_tables.h"
#include "pipeline/store.h"
#include "pipeline/study_runner.h"

namespace pipeline::cli {

void PrintStudyStatus(Store& store, const std::string& study, FILE* out) {
  if (!store.FindStudy(study)) {
    throw StoreError("no study named '" + study + "' in " + store.path() +
                     " (`pipeline status` lists them)");
  }
  const report::StatusTables status = report::StudyStatus(report::LoadStudyData(store, study));
  PrintTable(status.runs, TableFormat::kAligned, out);
  if (status.shared_metrics.rows.empty()) return;
  std::fprintf(out, "\nfinal metrics with the same value in every run:\n");
  PrintTable(status.shared_metrics, TableFormat::kAligned, out);
}

// A submitted study's tasks, per stage: from their status files and Slurm's queue.
void PrintClusterStatus(const std::string& cluster_dir, FILE* out) {
  const ClusterPlan plan = ReadClusterPlan(cluster_dir + "/plan.json");
  const std::vector<SubmittedJob> jobs = ReadSubmittedJobs(cluster_dir);
  std::map<std::string, std::string> queue;
  std::string queue_note;
  try {
    queue = SlurmQueue(jobs, SystemCommandRunner());
  } catch (const ClusterError& e) {
    queue_note = std::string("(queued and running are unknown: ") + e.what() + ")";
  }
  const ClusterProgress progress = ReadClusterProgress(plan, cluster_dir, jobs, queue);
  std::fprintf(out, "\ncluster tasks of the last submit (%zu in %zu job(s); %zu still in Slurm's "
                    "queue):\n",
               plan.tasks.size(), jobs.size(), progress.in_queue);
  std::vector<std::vector<std::optional<std::string>>> rows;
  for (const StageProgress& p : progress.stages) {
    rows.push_back({p.stage, std::to_string(p.tasks), std::to_string(p.done),
                    std::to_string(p.running), std::to_string(p.queued), std::to_string(p.failed),
                    std::to_string(p.skipped), std::to_string(p.interrupted),
                    std::to_string(p.not_running)});
  }
  PrintTable({"stage", "tasks", "done", "running", "queued", "failed", "skipped", "interrupted",
              "not running"},
             rows, TableFormat::kAligned, out);
  if (!queue_note.empty()) std::fprintf(out, "%s\n", queue_note.c_str());
  const size_t shown = std::min<size_t>(progress.problems.size(), 20);
  for (size_t i = 0; i < shown; ++i) std::fprintf(out, "%s\n", progress.problems[i].c_str());
  if (progress.problems.size() > shown) {
    std::fprintf(out, "  ... and %zu more\n", progress.problems.size() - shown);
  }
  if (progress.in_queue == 0 && !progress.problems.empty()) {
    std::fprintf(out, "nothing is left in the queue: `pipeline submit` again resumes what did "
                      "not finish\n");
  }
}

void AddStatusCommand(CLI::App& app, CommandContext& context) {
  auto db = std::make_shared<std::string>(kDefaultDb);
  auto study = std::make_shared<std::string>();
  CLI::App* status = app.add_subcommand(
      "status",
      "Show each study's progress, or one study's runs: swept parameters, final metrics");
  status->add_option("study", *study, "a study name: list its runs");
  status->add_option("--db", *db, "results database")->capture_default_str();
  auto cache = std::make_shared<std::string>();
  status->add_option("--cache", *cache,
                     "stage output folder, for a submitted study's tasks (default: 'cache' "
                     "beside the database)");
  status->callback([&context, db, study, cache] {
    Store store(*db, Store::Mode::kReadOnly);
    if (study->empty()) {
      PrintQuery(store,
                 "SELECT study, total, done, pruned, failed, skipped, running, interrupted, pending "
                 "FROM study_progress ORDER BY study",
                 TableFormat::kAligned, stdout);
    } else {
      PrintStudyStatus(store, *study, stdout);
      const std::string cluster_dir =
          ClusterDir(cache->empty() ? DefaultCacheDir(*db) : *cache, *study);
      if (std::filesystem::exists(cluster_dir + "/plan.json")) PrintClusterStatus(cluster_dir, stdout);
    }
    context.exit_code = ExitCode::kOk;
  });
}

}  // namespace pipeline::cli
