#include <algorithm>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/cli/commands.h"
#include "pipeline/report/study_tables.h"
#include "pipeline/store.h"

namespace pipeline::cli {
namespace {

std::string CsvField(const std::optional<std::string>& value) {
  if (!value) return "";
  if (value->find_first_of(",\"\n") == std::string::npos) return *value;
  std::string quoted = "\"";
  for (char c : *value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

nlohmann::json JsonValue(const std::optional<std::string>& value) {
  if (!value) return nullptr;
  // Numbers stay numbers in the JSON output.
  char* end = nullptr;
  const double d = std::strtod(value->c_str(), &end);
  if (!value->empty() && end == value->c_str() + value->size()) {
    if (value->find_first_of(".eE") == std::string::npos && value->size() < 19) {
      return std::stoll(*value);
    }
    return d;
  }
  return *value;
}

}  // namespace

void PrintQuery(Store& store, const std::string& sql, TableFormat format, FILE* out) {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
  store.Query(sql, [&](const std::vector<std::string>& names,
                       const std::vector<std::optional<std::string>>& values) {
    columns = names;
    rows.push_back(values);
  });
  PrintTable(columns, rows, format, out);
}

void PrintTable(const std::vector<std::string>& columns,
                const std::vector<std::vector<std::optional<std::string>>>& rows,
                TableFormat format, FILE* out) {
  if (format == TableFormat::kCsv) {
    for (size_t c = 0; c < columns.size(); ++c) {
      std::fprintf(out, "%s%s", c ? "," : "", CsvField(columns[c]).c_str());
    }
    if (!columns.empty()) std::fprintf(out, "\n");
    for (const auto& row : rows) {
      for (size_t c = 0; c < row.size(); ++c) {
        std::fprintf(out, "%s%s", c ? "," : "", CsvField(row[c]).c_str());
      }
      std::fprintf(out, "\n");
    }
    return;
  }
  if (format == TableFormat::kJson) {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& row : rows) {
      nlohmann::json object = nlohmann::json::object();
      for (size_t c = 0; c < row.size(); ++c) object[columns[c]] = JsonValue(row[c]);
      array.push_back(object);
    }
    std::fprintf(out, "%s\n", array.dump(2).c_str());
    return;
  }
  std::vector<size_t> width(columns.size());
  for (size_t c = 0; c < columns.size(); ++c) width[c] = columns[c].size();
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      width[c] = std::min<size_t>(60, std::max(width[c], row[c] ? row[c]->size() : 4));
    }
  }
  auto print_row = [&](const std::vector<std::optional<std::string>>& row) {
    for (size_t c = 0; c < row.size(); ++c) {
      std::string text = row[c] ? *row[c] : "NULL";
      if (text.size() > width[c]) text = text.substr(0, width[c] - 1) + "~";
      std::fprintf(out, "%s%-*s", c ? "  " : "", static_cast<int>(width[c]), text.c_str());
    }
    std::fprintf(out, "\n");
  };
  if (columns.empty()) {
    std::fprintf(out, "(no rows)\n");
    return;
  }
  std::vector<std::optional<std::string>> header(columns.begin(), columns.end());
  print_row(header);
  for (size_t c = 0; c < columns.size(); ++c) {
    std::fprintf(out, "%s%s", c ? "  " : "", std::string(width[c], '-').c_str());
  }
  std::fprintf(out, "\n");
  for (const auto& row : rows) print_row(row);
  std::fprintf(out, "(%zu row%s)\n", rows.size(), rows.size() == 1 ? "" : "s");
}

namespace {

const char* kNamedQueries =
    "Named queries (instead of SQL):\n"
    "  runs   --study S                      every run: swept params, final metrics\n"
    "  best   METRIC --study S [--min] [--top N]   best runs by a final metric\n"
    "  pivot  METRIC ROW_PARAM COL_PARAM --study S  mean of a metric over two params\n"
    "  curve  METRIC --study S [--runs 1,2]  a per-step metric, one column per run\n"
    "Metrics are named stage.metric (e.g. score.accuracy), params stage.param.\n";

void PrintReportTable(const report::Table& table, TableFormat format) {
  PrintTable(table.columns, table.rows, format, stdout);
}

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
    if (name == "runs") PrintReportTable(report::RunsTable(data), format);
    if (name == "best") PrintReportTable(report::BestRuns(data, o->words[1], o->minimize, o->top), format);
    if (name == "pivot") {
      PrintReportTable(report::Pivot(data, o->words[1], o->words[2], o->words[3]), format);
    }
    if (name == "curve") PrintReportTable(report::Curve(data, o->words[1], o->runs), format);
    context.exit_code = ExitCode::kOk;
  });
}

void AddCompareCommand(CLI::App& app, CommandContext& context) {
  auto db = std::make_shared<std::string>(kDefaultDb);
  auto runs = std::make_shared<std::vector<int64_t>>();
  CLI::App* compare = app.add_subcommand(
      "compare", "Compare runs: the parameters that differ, then final metrics side by side");
  compare->add_option("runs", *runs, "two or more run ids")->required()->expected(2, 100);
  compare->add_option("--db", *db, "results database")->capture_default_str();
  compare->callback([&context, db, runs] {
    Store store(*db, Store::Mode::kReadOnly);
    PrintReportTable(report::CompareRuns(store, *runs), TableFormat::kAligned);
    context.exit_code = ExitCode::kOk;
  });
}

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
      PrintReportTable(table, TableFormat::kCsv);
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
