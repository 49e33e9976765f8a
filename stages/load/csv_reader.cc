#include "stages/load/csv_reader.h"

// Implementation notes
// - The file is read whole and split line by line; fields are views into the line, copied only
//   when a quoted field needs its doubled quotes undone. Feature values go straight into a flat
//   float buffer; label texts are kept until the end, because whether they are integers or
//   class names is known only after the last row.
// - Numbers are parsed with std::from_chars, which is locale-independent (strtod would read
//   "1,5" as 1.5 under a German locale) and must consume the whole field.
// - Error rows are file line numbers (1-based, counting skipped blank lines), so a person can
//   jump to them in an editor.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string_view>

#include "pipeline/errors.h"

namespace stages {
namespace {

using pipeline::DataError;

struct Field {
  std::string text;
  int64_t column = 0;  // 1-based
};

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

// Splits one line into fields; `row` is its 1-based line number, for errors.
std::vector<Field> SplitFields(std::string_view line, char delimiter, const std::string& path,
                               int64_t row) {
  std::vector<Field> fields;
  size_t pos = 0;
  while (true) {
    Field field;
    field.column = static_cast<int64_t>(fields.size()) + 1;
    while (pos < line.size() && IsSpace(line[pos]) && line[pos] != delimiter) ++pos;
    if (pos < line.size() && line[pos] == '"') {
      ++pos;
      while (true) {
        if (pos >= line.size()) {
          throw DataError("a quoted field has no closing quote (no line breaks inside quotes)",
                          path, -1, row, field.column);
        }
        if (line[pos] == '"') {
          if (pos + 1 < line.size() && line[pos + 1] == '"') {
            field.text += '"';
            pos += 2;
            continue;
          }
          ++pos;
          break;
        }
        field.text += line[pos++];
      }
      while (pos < line.size() && IsSpace(line[pos]) && line[pos] != delimiter) ++pos;
      if (pos < line.size() && line[pos] != delimiter) {
        throw DataError("unexpected text '" + std::string(line.substr(pos)) +
                            "' after a closing quote",
                        path, -1, row, field.column);
      }
    } else {
      const size_t end = std::min(line.find(delimiter, pos), line.size());
      field.text = std::string(Trim(line.substr(pos, end - pos)));
      pos = end;
    }
    fields.push_back(std::move(field));
    if (pos >= line.size()) break;
    ++pos;  // the delimiter
  }
  return fields;
}

// Parses a whole field as a finite number.
bool ParseNumber(const std::string& text, double& value) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (begin != end && *begin == '+') {
    ++begin;
    if (begin != end && (*begin == '+' || *begin == '-')) return false;
  }
  const std::from_chars_result result = std::from_chars(begin, end, value);
  return result.ec == std::errc() && result.ptr == end && std::isfinite(value);
}

[[noreturn]] void NotANumber(const Field& field, const std::string& path, int64_t row) {
  if (field.text.empty()) {
    throw DataError("empty field; every feature must be a number", path, -1, row, field.column);
  }
  throw DataError("'" + field.text + "' is not a number (features must be numeric; is this " +
                      "column the labels? set label_column)",
                  path, -1, row, field.column);
}

float FeatureValue(const Field& field, const std::string& path, int64_t row) {
  double value = 0;
  if (!ParseNumber(field.text, value)) NotANumber(field, path, row);
  if (std::abs(value) > std::numeric_limits<float>::max()) {
    throw DataError("'" + field.text + "' is beyond the float32 range", path, -1, row,
                    field.column);
  }
  return static_cast<float>(value);
}

bool AllDigits(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](char c) { return c >= '0' && c <= '9'; });
}

struct LabelColumn {
  int64_t index = -1;
  bool by_name = false;  // matched a (non-numeric, unless header=yes) first-row field
};

// Resolves options.label_column against the first row, before it is known whether that row is
// a header: a name can only match a field that could be a header name.
LabelColumn FindLabelColumn(const CsvOptions& options, const std::vector<Field>& first_row,
                            const std::string& path, int64_t row) {
  const std::string& wanted = options.label_column;
  std::string names;
  if (options.header != CsvHeader::kNo) {
    for (const Field& field : first_row) {
      double unused = 0;
      if (options.header == CsvHeader::kAuto && ParseNumber(field.text, unused)) continue;
      if (field.text == wanted) return {field.column - 1, true};
      names += (names.empty() ? "" : ", ") + field.text;
    }
  }
  if (AllDigits(wanted) && wanted.size() < 10) {
    const int64_t index = std::stoll(wanted);
    if (index < static_cast<int64_t>(first_row.size())) return {index, false};
    throw DataError("label_column " + wanted + " is out of range: the rows have " +
                        std::to_string(first_row.size()) + " columns (indices are 0-based)",
                    path, -1, row);
  }
  const std::string known = names.empty() ? "(the file has no header)" : "(" + names + ")";
  throw DataError("label_column '" + wanted + "' is neither a header name " + known +
                      " nor a 0-based column index",
                  path, -1, row);
}

// Whether the first row is a header (see CsvHeader::kAuto in the header file).
bool IsHeader(const CsvOptions& options, const std::vector<Field>& first_row,
              const LabelColumn& label) {
  if (options.header != CsvHeader::kAuto) return options.header == CsvHeader::kYes;
  if (label.by_name) return true;
  return std::any_of(first_row.begin(), first_row.end(), [&](const Field& field) {
    double unused = 0;
    return field.column - 1 != label.index && !ParseNumber(field.text, unused);
  });
}

struct LabelText {
  std::string text;
  int64_t row;
};

// Turns the label texts into class indices (see the header for the rule).
void ResolveLabels(const std::vector<LabelText>& texts, int64_t column, const std::string& path,
                   CsvTable& table) {
  table.labels.resize(texts.size());
  bool numeric = true;
  for (const LabelText& label : texts) {
    double value = 0;
    if (!ParseNumber(label.text, value)) {
      numeric = false;
      break;
    }
  }
  if (numeric) {
    int32_t max_label = -1;
    for (size_t i = 0; i < texts.size(); ++i) {
      double value = 0;
      ParseNumber(texts[i].text, value);
      if (value < 0 || value != std::floor(value) ||
          value > std::numeric_limits<int32_t>::max()) {
        throw DataError("label '" + texts[i].text +
                            "' is not an integer >= 0 (numeric labels are class indices)",
                        path, -1, texts[i].row, column + 1);
      }
      table.labels[i] = static_cast<int32_t>(value);
      max_label = std::max(max_label, table.labels[i]);
    }
    table.classes = max_label + 1;
    return;
  }
  std::map<std::string, int32_t> index;
  for (const LabelText& label : texts) index.emplace(label.text, 0);
  for (auto& [name, value] : index) {
    value = static_cast<int32_t>(table.class_names.size());
    table.class_names.push_back(name);
  }
  for (size_t i = 0; i < texts.size(); ++i) table.labels[i] = index.at(texts[i].text);
  table.classes = static_cast<int64_t>(table.class_names.size());
}

std::string ReadText(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw DataError("no such file (or not a regular file); check the stage parameter `path`",
                    path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError("cannot open the file for reading", path);
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

}  // namespace

CsvTable ReadCsv(const std::string& path, const CsvOptions& options) {
  const std::string text = ReadText(path);
  CsvTable table;
  std::vector<float> values;
  std::vector<LabelText> label_texts;
  int64_t columns = -1;
  int64_t first_row_line = 0;
  int64_t rows = 0;
  int64_t line_number = 0;

  for (size_t begin = 0; begin < text.size();) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + begin, end - begin);
    begin = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Trim(line).empty()) continue;
    if (options.limit > 0 && rows == options.limit) break;

    std::vector<Field> fields = SplitFields(line, options.delimiter, path, line_number);
    if (columns < 0) {
      columns = static_cast<int64_t>(fields.size());
      first_row_line = line_number;
      LabelColumn label;
      if (!options.label_column.empty()) {
        label = FindLabelColumn(options, fields, path, line_number);
        table.has_labels = true;
        table.label_index = label.index;
      }
      table.has_header = IsHeader(options, fields, label);
      if (table.has_labels) {
        table.label_name = table.has_header ? fields[static_cast<size_t>(label.index)].text
                                            : std::to_string(label.index);
      }
      if (columns - (table.has_labels ? 1 : 0) == 0) {
        throw DataError("the rows have no feature column (only the label column)", path, -1,
                        line_number);
      }
      if (table.has_header) {
        for (const Field& field : fields) {
          if (field.column - 1 != table.label_index) table.feature_names.push_back(field.text);
        }
        continue;
      }
    }
    const auto count = static_cast<int64_t>(fields.size());
    if (count != columns) {
      throw DataError("ragged row: " + std::to_string(count) + " fields, but row " +
                          std::to_string(first_row_line) + " has " + std::to_string(columns),
                      path, -1, line_number, std::min(count, columns) + 1);
    }
    for (const Field& field : fields) {
      if (field.column - 1 == table.label_index) {
        label_texts.push_back({field.text, line_number});
      } else {
        values.push_back(FeatureValue(field, path, line_number));
      }
    }
    ++rows;
  }

  if (columns < 0) throw DataError("empty file: no rows", path, 0);
  if (rows == 0) throw DataError("the file has a header but no data rows", path, -1, line_number);
  const int64_t features = columns - (table.has_labels ? 1 : 0);
  table.features = Eigen::Map<pipeline::RowMatrixXf>(values.data(), rows, features);
  if (table.has_labels) ResolveLabels(label_texts, table.label_index, path, table);
  return table;
}

}  // namespace stages
