// The `pipeline` executable: error boundary 2. Every error becomes a message on stderr and an
// ExitCode. SIGINT/SIGTERM (Ctrl-C, Slurm's preemption): before a command has anything to
// finish (parsing, expanding a grid, a dry run) the process ends at once with exit 130; once
// `run` writes to the database (it sets the graceful flag) the signal sets the cancel flag so
// running stages stop cleanly and the writes are finished (exit 130); a second one ends at once.

#include <unistd.h>

#include <csignal>
#include <new>
#include <cstdio>
#include <cstdlib>

#include <CLI/CLI.hpp>

#include "pipeline/cli/commands.h"
#include "pipeline/clock.h"
#include "pipeline/errors.h"
#include "pipeline/stage_registry.h"
#include "stages/builtin_stages.h"

namespace {

std::atomic<bool> g_cancel{false};
std::atomic<bool> g_graceful{false};

extern "C" void OnInterrupt(int) {
  if (!g_graceful.load()) {
    const char message[] = "\ninterrupted\n";
    [[maybe_unused]] ssize_t n = write(STDERR_FILENO, message, sizeof message - 1);
    std::_Exit(130);  // nothing written yet: nothing to finish
  }
  if (g_cancel.exchange(true)) std::_Exit(130);  // a second Ctrl-C stops at once
  const char message[] = "\ninterrupt: finishing the database writes (Ctrl-C again to abort)\n";
  [[maybe_unused]] ssize_t n = write(STDERR_FILENO, message, sizeof message - 1);
}

const char* kExitCodes =
    "\nExit codes:\n"
    "  0    success\n"
    "  1    the study ran but some runs failed or were skipped\n"
    "  2    bad study file, parameter or command line\n"
    "  3    a data file is missing or malformed (also: every failed stage of a run failed on\n"
    "       its data file)\n"
    "  4    the results database or cache could not be read or written\n"
    "  5    `reproduce` found a stage that is not bit-identical\n"
    "  6    Slurm's tools (sbatch, squeue, scancel) failed or are not installed\n"
    "  70   internal error\n"
    "  130  interrupted (Ctrl-C)\n";

}  // namespace

int main(int argc, char** argv) {
  using pipeline::ExitCode;
  pipeline::StageRegistry registry(stages::BuiltinStages());
  pipeline::SystemClock clock;
  pipeline::cli::CommandContext context{registry, clock, &g_cancel, &g_graceful,
                                        isatty(STDOUT_FILENO) != 0};

  CLI::App app{"pipeline: reproducible machine-learning studies from YAML, results in SQLite"};
  app.footer(kExitCodes);
  app.require_subcommand(1);
  app.set_version_flag("--version", PIPELINE_VERSION);
  pipeline::cli::AddRunCommand(app, context);
  pipeline::cli::AddStatusCommand(app, context);
  pipeline::cli::AddShowCommand(app, context);
  pipeline::cli::AddQueryCommand(app, context);
  pipeline::cli::AddReproduceCommand(app, context);
  pipeline::cli::AddStagesCommand(app, context);
  pipeline::cli::AddReportCommand(app, context);
  pipeline::cli::AddCompareCommand(app, context);
  pipeline::cli::AddExportCommand(app, context);
  pipeline::cli::AddSubmitCommand(app, context);
  pipeline::cli::AddCollectCommand(app, context);
  pipeline::cli::AddCancelCommand(app, context);
  pipeline::cli::AddWorkerCommand(app, context);

  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(ExitCode::kConfigError);
  } catch (const pipeline::ConfigError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return static_cast<int>(ExitCode::kConfigError);
  } catch (const pipeline::DataError& e) {
    std::fprintf(stderr, "data error: %s\n", e.what());
    return static_cast<int>(ExitCode::kDataError);
  } catch (const pipeline::StoreError& e) {
    std::fprintf(stderr, "store error: %s\n", e.what());
    return static_cast<int>(ExitCode::kStoreError);
  } catch (const pipeline::ClusterError& e) {
    std::fprintf(stderr, "cluster error: %s\n", e.what());
    return static_cast<int>(ExitCode::kClusterError);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "error: out of memory (a study, grid or value larger than this machine "
                         "can hold)\n");
    return static_cast<int>(ExitCode::kInternalError);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "internal error: %s\n", e.what());
    return static_cast<int>(ExitCode::kInternalError);
  }
  return static_cast<int>(context.exit_code);
}
