#include "pipeline/cli/table_printer.h"

#include <algorithm>
#include <cstdlib>

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

}  // namespace

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

void PrintTable(const report::Table& table, TableFormat format, FILE* out) {
  PrintTable(table.columns, table.rows, format, out);
}

}  // namespace pipeline::cli
