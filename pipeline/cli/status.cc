#include "pipeline/cli/commands.h"
#include "pipeline/cli/table_printer.h"
#include "pipeline/report/study_tables.h"
#include "pipeline/store.h"

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

void AddStatusCommand(CLI::App& app, CommandContext& context) {
  auto db = std::make_shared<std::string>(kDefaultDb);
  auto study = std::make_shared<std::string>();
  CLI::App* status = app.add_subcommand(
      "status",
      "Show each study's progress, or one study's runs: swept parameters, final metrics");
  status->add_option("study", *study, "a study name: list its runs");
  status->add_option("--db", *db, "results database")->capture_default_str();
  status->callback([&context, db, study] {
    Store store(*db, Store::Mode::kReadOnly);
    if (study->empty()) {
      PrintQuery(store,
                 "SELECT study, total, done, pruned, failed, skipped, running, interrupted, pending "
                 "FROM study_progress ORDER BY study",
                 TableFormat::kAligned, stdout);
    } else {
      PrintStudyStatus(store, *study, stdout);
    }
    context.exit_code = ExitCode::kOk;
  });
}

}  // namespace pipeline::cli
