#include "pipeline/cli/commands.h"
#include "pipeline/reproduce.h"
#include "pipeline/store.h"
#include "pipeline/study_runner.h"

namespace pipeline::cli {

void AddReproduceCommand(CLI::App& app, CommandContext& context) {
  auto db = std::make_shared<std::string>(kDefaultDb);
  auto run_id = std::make_shared<int64_t>(0);
  auto cache = std::make_shared<std::string>();
  CLI::App* reproduce = app.add_subcommand(
      "reproduce",
      "Re-execute a run from its stored config without the cache and check every output and "
      "metric is bit-identical (exit 5 and the first differing stage if not)");
  reproduce->add_option("run", *run_id, "run id")->required();
  reproduce->add_option("--db", *db, "results database")->capture_default_str();
  reproduce->add_option("--cache", *cache,
                        "stage output folder the run was made with, for the checkpoints its "
                        "init_from names (default: 'cache' beside the database)");
  reproduce->callback([&context, db, run_id, cache] {
    Store store(*db, Store::Mode::kReadOnly);
    std::printf("reproducing run %lld from %s\n", static_cast<long long>(*run_id), db->c_str());
    const ReproduceReport report =
        ReproduceRun(store, *run_id, context.registry, context.clock, stdout,
                     cache->empty() ? DefaultCacheDir(*db) : *cache);
    if (report.identical()) {
      std::printf("run %lld reproduced bit for bit (%zu stages)\n",
                  static_cast<long long>(*run_id), report.stages.size());
      context.exit_code = ExitCode::kOk;
    } else {
      std::printf("run %lld did NOT reproduce: first difference in stage '%s'\n",
                  static_cast<long long>(*run_id), report.first_difference().c_str());
      context.exit_code = ExitCode::kReproduceMismatch;
    }
  });
}

}  // namespace pipeline::cli
