#pragma once
// The subcommands of the `pipeline` executable, one file each (pipeline/cli/<command>.cc; git's
// commands[] table, in main.cc). Each Add*Command registers its options on the app and, when
// chosen, does its work and leaves its exit code in the context. Their tables are printed by
// table_printer.h.

#include <atomic>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "pipeline/errors.h"

namespace pipeline {
class Clock;
class StageRegistry;
class Store;
}  // namespace pipeline

namespace pipeline::cli {

struct CommandContext {
  const StageRegistry& registry;
  Clock& clock;
  const std::atomic<bool>* cancel_flag;
  // Set by a command once an interrupt must be finished gracefully (see main.cc).
  std::atomic<bool>* graceful_stop;
  bool stdout_is_tty = false;
  ExitCode exit_code = ExitCode::kOk;
};

inline constexpr const char* kDefaultDb = "results/pipeline.db";

void AddRunCommand(CLI::App& app, CommandContext& context);
void AddStatusCommand(CLI::App& app, CommandContext& context);
void AddShowCommand(CLI::App& app, CommandContext& context);
void AddQueryCommand(CLI::App& app, CommandContext& context);
void AddReproduceCommand(CLI::App& app, CommandContext& context);
void AddStagesCommand(CLI::App& app, CommandContext& context);
void AddReportCommand(CLI::App& app, CommandContext& context);
void AddCompareCommand(CLI::App& app, CommandContext& context);
void AddExportCommand(CLI::App& app, CommandContext& context);
void AddWorkerCommand(CLI::App& app, CommandContext& context);   // cluster.cc
void AddCollectCommand(CLI::App& app, CommandContext& context);  // cluster.cc
void AddSubmitCommand(CLI::App& app, CommandContext& context);   // cluster.cc
void AddCancelCommand(CLI::App& app, CommandContext& context);   // cluster.cc

// The body of `pipeline status STUDY` (status.cc): one aligned row per run with its id, number,
// status, swept parameters, final metrics and time, then the final metrics that are the same in
// every run (report::StudyStatus). Throws StoreError when the study does not exist.
void PrintStudyStatus(Store& store, const std::string& study, FILE* out);

}  // namespace pipeline::cli
