#include <memory>
#include <string>
#include <vector>

#include "pipeline/cli/commands.h"
#include "pipeline/cli/table_printer.h"
#include "pipeline/report/study_tables.h"
#include "pipeline/store.h"

namespace pipeline::cli {
namespace {

const char* kNamedQueries =
    "Named queries (instead of SQL):\n"
    "  runs   --study S                      every run: swept params, final metrics\n"
    "  best   METRIC --study S [--min] [--top N]   best runs by a final metric\n"
    "  pivot  METRIC ROW_PARAM COL_PARAM --study S  mean of a metric over two params\n"
    "  curve  METRIC --study S [--runs 1,2]  a per-step metric, one column per run\n"
    "Metrics are named stage.metric (e.g. score.accuracy), params stage.param.\n";

}  // namespace

void AddQueryCommand(CLI::App& app, CommandContext& context) {
  struct Options {
    std::string db = kDefaultDb;
    std::vector<std::string> words;
    std::string study;
    bool csv = false;
    bool json = false;
    bool minimize = false;
    size_t top = 10;
    std::vector<int64_t> runs;
  };
  auto o = std::make_shared<Options>();
  CLI::App* query = app.add_subcommand(
      "query", "Run SQL on the results database, read-only (docs/schema.md), or a named query");
  query->footer(kNamedQueries);
  query->add_option("sql", o->words, "SQL, e.g. \"SELECT * FROM run_summary\", or a named query")
      ->required();
  query->add_option("--db", o->db, "results database")->capture_default_str();
  query->add_option("--study", o->study, "the study, for named queries");
  query->add_flag("--min", o->minimize, "best: lower is better");
  query->add_option("--top", o->top, "best: how many runs")->capture_default_str();
  query->add_option("--runs", o->runs, "curve: run numbers")->delimiter(',');
  auto* csv_flag = query->add_flag("--csv", o->csv, "print CSV");
  query->add_flag("--json", o->json, "print a JSON array of objects")->excludes(csv_flag);
  query->callback([&context, o] {
    Store store(o->db, Store::Mode::kReadOnly);
    const TableFormat format =
        o->csv ? TableFormat::kCsv : (o->json ? TableFormat::kJson : TableFormat::kAligned);
    const std::string& name = o->words[0];
    const bool named = name == "runs" || name == "best" || name == "pivot" || name == "curve";
    if (!named) {
      std::string sql;
      for (const std::string& w : o->words) sql += (sql.empty() ? "" : " ") + w;
      PrintQuery(store, sql, format, stdout);
      context.exit_code = ExitCode::kOk;
      return;
    }
    if (o->study.empty()) throw ConfigError("`query " + name + "` needs --study NAME");
    const size_t wanted = name == "runs" ? 0 : name == "pivot" ? 3 : 1;
    if (o->words.size() != wanted + 1) {
      throw ConfigError(std::string("wrong number of arguments for `query ") + name + "`\n" +
                        kNamedQueries);
    }
    const report::StudyData data = report::LoadStudyData(store, o->study);
    if (name == "runs") PrintTable(report::RunsTable(data), format, stdout);
    if (name == "best") {
      PrintTable(report::BestRuns(data, o->words[1], o->minimize, o->top), format, stdout);
    }
    if (name == "pivot") {
      PrintTable(report::Pivot(data, o->words[1], o->words[2], o->words[3]), format, stdout);
    }
    if (name == "curve") PrintTable(report::Curve(data, o->words[1], o->runs), format, stdout);
    context.exit_code = ExitCode::kOk;
  });
}

}  // namespace pipeline::cli
