#include <memory>
#include <string>
#include <vector>

#include "pipeline/cli/commands.h"
#include "pipeline/cli/table_printer.h"
#include "pipeline/report/study_tables.h"
#include "pipeline/store.h"

namespace pipeline::cli {

void AddCompareCommand(CLI::App& app, CommandContext& context) {
  auto db = std::make_shared<std::string>(kDefaultDb);
  auto runs = std::make_shared<std::vector<int64_t>>();
  CLI::App* compare = app.add_subcommand(
      "compare", "Compare runs: the parameters that differ, then final metrics side by side");
  compare->add_option("runs", *runs, "two or more run ids")->required()->expected(2, 100);
  compare->add_option("--db", *db, "results database")->capture_default_str();
  compare->callback([&context, db, runs] {
    Store store(*db, Store::Mode::kReadOnly);
    PrintTable(report::CompareRuns(store, *runs), TableFormat::kAligned, stdout);
    context.exit_code = ExitCode::kOk;
  });
}

}  // namespace pipeline::cli
