#include "pipeline/cli/commands.h"
#include "pipeline/cli/table_printer.h"
#include "pipeline/store.h"

namespace pipeline::cli {

void AddShowCommand(CLI::App& app, CommandContext& context) {
  auto db = std::make_shared<std::string>(kDefaultDb);
  auto run_id = std::make_shared<int64_t>(0);
  CLI::App* show = app.add_subcommand(
      "show", "Show one run: parameters, stages (status, time, threads), final metrics, files");
  show->add_option("run", *run_id, "run id (the run_id column of `pipeline status STUDY`)")
      ->required();
  show->add_option("--db", *db, "results database")->capture_default_str();
  show->callback([&context, db, run_id] {
    Store store(*db, Store::Mode::kReadOnly);
    const auto run = store.LoadRun(*run_id);
    if (!run) throw StoreError("no run with id " + std::to_string(*run_id) + " in " + *db);
    const std::string id = std::to_string(*run_id);
    std::printf("run %s (number %lld of its study), status %s, seed %llu%s%s\n\n", id.c_str(),
                static_cast<long long>(run->number), run->status.c_str(),
                static_cast<unsigned long long>(run->seed),
                run->error.empty() ? "" : "\nerror: ", run->error.c_str());
    std::printf("parameters:\n");
    PrintQuery(store, "SELECT key, value FROM params WHERE run_id = " + id + " ORDER BY key",
               TableFormat::kAligned, stdout);
    std::printf("\nstages:\n");
    PrintQuery(store,
               "SELECT rs.stage, s.type, s.status, substr(s.key, 1, 12) AS key, s.threads, "
               "round(s.duration_s, 3) AS seconds, s.error FROM run_stages rs JOIN stages s ON "
               "s.key = rs.stage_key WHERE rs.run_id = " + id + " ORDER BY s.started_at",
               TableFormat::kAligned, stdout);
    std::printf("\nfinal metrics:\n");
    PrintQuery(store,
               "SELECT stage, name, step, value FROM final_metrics WHERE run_id = " + id +
                   " ORDER BY stage, name",
               TableFormat::kAligned, stdout);
    std::printf("\nfiles:\n");
    PrintQuery(store,
               "SELECT rs.stage, a.kind, a.path, a.bytes FROM run_stages rs JOIN artifacts a ON "
               "a.stage_key = rs.stage_key WHERE rs.run_id = " + id + " ORDER BY rs.stage, a.name",
               TableFormat::kAligned, stdout);
    context.exit_code = ExitCode::kOk;
  });
}

}  // namespace pipeline::cli
