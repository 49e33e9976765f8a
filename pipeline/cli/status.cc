#include "pipeline/cli/commands.h"
#include "pipeline/cli/table_printer.h"
#include "pipeline/store.h"

namespace pipeline::cli {

void AddStatusCommand(CLI::App& app, CommandContext& context) {
  auto db = std::make_shared<std::string>(kDefaultDb);
  auto study = std::make_shared<std::string>();
  CLI::App* status = app.add_subcommand(
      "status", "Show each study's progress, or the runs of one study with their final metrics");
  status->add_option("study", *study, "a study name: list its runs");
  status->add_option("--db", *db, "results database")->capture_default_str();
  status->callback([&context, db, study] {
    Store store(*db, Store::Mode::kReadOnly);
    if (study->empty()) {
      PrintQuery(store,
                 "SELECT study, total, done, failed, skipped, running, interrupted, pending "
                 "FROM study_progress ORDER BY study",
                 TableFormat::kAligned, stdout);
    } else {
      if (!store.FindStudy(*study)) {
        throw StoreError("no study named '" + *study + "' in " + *db +
                         " (`pipeline status` lists them)");
      }
      std::string quoted;
      for (char c : *study) quoted += c == '\'' ? std::string("''") : std::string(1, c);
      PrintQuery(store,
                 "SELECT run_id, number, status, params, metrics, round(seconds, 2) AS seconds, "
                 "error FROM run_summary WHERE study = '" + quoted + "' ORDER BY number",
                 TableFormat::kAligned, stdout);
    }
    context.exit_code = ExitCode::kOk;
  });
}

}  // namespace pipeline::cli
