#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "pipeline/cli/commands.h"
#include "pipeline/cli/table_printer.h"
#include "pipeline/report/study_tables.h"
#include "pipeline/store.h"

namespace pipeline::cli {

void AddExportCommand(CLI::App& app, CommandContext& context) {
  auto db = std::make_shared<std::string>(kDefaultDb);
  auto study = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("csv");
  auto metric = std::make_shared<std::string>();
  CLI::App* export_command = app.add_subcommand(
      "export", "Export a study's runs (all params and final metrics) or a metric's history");
  export_command->add_option("study", *study, "the study name")->required();
  export_command->add_option("--format", *format, "csv or jsonl")
      ->check(CLI::IsMember({"csv", "jsonl"}))
      ->capture_default_str();
  export_command->add_option("--metric", *metric,
                             "export this per-step metric's history instead (stage.metric)");
  export_command->add_option("--db", *db, "results database")->capture_default_str();
  export_command->callback([&context, db, study, format, metric] {
    Store store(*db, Store::Mode::kReadOnly);
    const report::StudyData data = report::LoadStudyData(store, *study);
    const report::Table table =
        metric->empty() ? report::ExportRuns(data) : report::ExportHistory(data, *metric);
    if (*format == "csv") {
      PrintTable(table, TableFormat::kCsv, stdout);
    } else {
      for (const auto& row : table.rows) {
        nlohmann::json object = nlohmann::json::object();
        for (size_t c = 0; c < row.size(); ++c) object[table.columns[c]] = JsonValue(row[c]);
        std::printf("%s\n", object.dump().c_str());
      }
    }
    context.exit_code = ExitCode::kOk;
  });
}

}  // namespace pipeline::cli
