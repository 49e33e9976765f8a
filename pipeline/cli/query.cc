#include <algorithm>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/cli/commands.h"
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
    if (value->find_first_of(".eE") == std::string::npos) return std::stoll(*value);
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

void AddQueryCommand(CLI::App& app, CommandContext& context) {
  auto db = std::make_shared<std::string>(kDefaultDb);
  auto sql = std::make_shared<std::string>();
  auto csv = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  CLI::App* query = app.add_subcommand(
      "query", "Run SQL on the results database, read-only (tables and views: docs/schema.md)");
  query->add_option("sql", *sql, "the SQL, e.g. \"SELECT * FROM run_summary\"")->required();
  query->add_option("--db", *db, "results database")->capture_default_str();
  auto* csv_flag = query->add_flag("--csv", *csv, "print CSV");
  query->add_flag("--json", *json, "print a JSON array of objects")->excludes(csv_flag);
  query->callback([&context, db, sql, csv, json] {
    Store store(*db, Store::Mode::kReadOnly);
    PrintQuery(store, *sql,
               *csv ? TableFormat::kCsv : (*json ? TableFormat::kJson : TableFormat::kAligned),
               stdout);
    context.exit_code = ExitCode::kOk;
  });
}

}  // namespace pipeline::cli
