#pragma once
// The subcommands of the `pipeline` executable, one file each (git's commands[] table, in
// main.cc). Each Add*Command registers its options on the app and, when chosen, does its work
// and leaves its exit code in the context.

#include <atomic>
#include <optional>
#include <string>
#include <vector>

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

// Prints rows of a query as an aligned table, CSV or JSON (query.cc).
enum class TableFormat { kAligned, kCsv, kJson };
void PrintQuery(Store& store, const std::string& sql, TableFormat format,
                FILE* out);
// Prints given rows (NULL as an empty optional) in one of the formats.
void PrintTable(const std::vector<std::string>& columns,
                const std::vector<std::vector<std::optional<std::string>>>& rows,
                TableFormat format, FILE* out);

}  // namespace pipeline::cli
