#include "pipeline/cli/commands.h"
#include "pipeline/study_runner.h"

namespace pipeline::cli {

void AddRunCommand(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<RunOptions>();
  auto study = std::make_shared<std::string>();
  CLI::App* run = app.add_subcommand(
      "run", "Run a study (or continue it): expand its grid, reuse cached stages, run the rest");
  run->add_option("study", *study, "the study file, e.g. experiments/quickstart.yaml")
      ->required()
      ->check(CLI::ExistingFile);
  run->add_option("overrides", options->overrides,
                  "overrides: stage.param=value, stage.param=a,b,c (a sweep), seed=1,2,3");
  run->add_option("--db", options->db_path, "results database")->capture_default_str();
  run->add_option("--cache", options->cache_dir,
                  "stage output folder (default: 'cache' beside the database)");
  run->add_option("-j,--jobs", options->jobs,
                  "stages to run at once (default: min(cores, widest level of the DAG))");
  run->add_option("--cores", options->cores,
                  "cores to use in all; each stage gets cores/jobs threads (default: all)");
  run->add_flag("--force", options->force, "recompute every stage, ignoring the cache");
  run->add_flag("-n,--dry-run", options->dry_run,
                "print the runs, what sharing and the cache save, and run nothing");
  run->add_option("--max-runs", options->max_runs,
                  "refuse a study whose grid expands to more runs than this")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1'000'000'000}));
  auto no_progress = std::make_shared<bool>(false);
  run->add_flag("--plain", *no_progress, "plain progress lines even on a terminal");
  run->callback([&context, options, study, no_progress] {
    options->tty = context.stdout_is_tty && !*no_progress;
    options->graceful_stop = context.graceful_stop;
    context.exit_code = RunStudy(*study, *options, context.registry, context.clock,
                                 context.cancel_flag, stdout);
  });
}

}  // namespace pipeline::cli
