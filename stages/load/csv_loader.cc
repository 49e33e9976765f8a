#include "stages/load/csv_loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "pipeline/errors.h"
#include "stages/load/csv_reader.h"

namespace stages {
namespace {

CsvOptions OptionsFromParams(const pipeline::Params& params) {
  CsvOptions options;
  const std::string delimiter = params.GetString("delimiter");
  if (delimiter.size() != 1 || delimiter == "\"" || delimiter == "\n" || delimiter == "\r") {
    throw pipeline::ConfigError("delimiter must be one character other than a quote or a line "
                                "break (got '" + delimiter + "'); for tabs write \"\\t\"",
                                "", 0, 0, "delimiter");
  }
  options.delimiter = delimiter[0];
  const std::string header = params.GetString("header");
  options.header = header == "yes" ? CsvHeader::kYes
                   : header == "no" ? CsvHeader::kNo
                                    : CsvHeader::kAuto;
  options.label_column = params.GetString("label_column");
  options.limit = params.GetInt("limit");
  return options;
}

// The fields of the file's first line, unquoted and trimmed; empty when it cannot be read.
std::vector<std::string> FirstLineFields(const std::string& path, char delimiter) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return {};
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> fields;
  std::stringstream stream(line);
  for (std::string field; std::getline(stream, field, delimiter);) {
    const size_t first = field.find_first_not_of(" \t");
    const size_t last = field.find_last_not_of(" \t");
    field = first == std::string::npos ? "" : field.substr(first, last - first + 1);
    if (field.size() >= 2 && field.front() == '"' && field.back() == '"') {
      field = field.substr(1, field.size() - 2);
    }
    fields.push_back(field);
  }
  return fields;
}

bool IsIndex(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

// At expansion: the delimiter, and a label column named by a header that exists now.
void CheckCsvParams(const pipeline::Params& params) {
  const CsvOptions options = OptionsFromParams(params);
  const std::string path = params.GetString("path");
  if (options.label_column.empty() || IsIndex(options.label_column) ||
      options.header == CsvHeader::kNo || !std::filesystem::is_regular_file(path)) {
    return;
  }
  const std::vector<std::string> fields = FirstLineFields(path, options.delimiter);
  if (fields.empty() ||
      std::find(fields.begin(), fields.end(), options.label_column) != fields.end()) {
    return;
  }
  std::string names;
  for (size_t i = 0; i < fields.size() && i < 20; ++i) names += (i ? ", " : "") + fields[i];
  throw pipeline::ConfigError("'" + options.label_column + "' is not a column of " + path +
                                  " (its first line has: " + names +
                                  (fields.size() > 20 ? ", ..." : "") +
                                  "); give a header name or a 0-based index",
                              "", 0, 0, "label_column");
}

void LoadCsv(pipeline::StageContext& ctx) {
  const std::string path = ctx.params().GetString("path");
  CsvTable table = ReadCsv(path, OptionsFromParams(ctx.params()));
  const auto examples = static_cast<int64_t>(table.features.rows());
  std::vector<int32_t> ids(static_cast<size_t>(examples));
  std::iota(ids.begin(), ids.end(), 0);

  pipeline::Artifact& out = ctx.output();
  out.Put("x", pipeline::Tensor::FromMatrix(table.features));
  out.Put("ids", pipeline::Tensor::FromVector(ids));
  out.meta()["source"] = path;
  if (table.has_header) out.meta()["feature_names"] = table.feature_names;
  if (table.has_labels) {
    out.Put("y", pipeline::Tensor::FromVector(table.labels));
    out.meta()["classes"] = table.classes;
    out.meta()["label_column"] = table.label_name;
    if (!table.class_names.empty()) out.meta()["class_names"] = table.class_names;
  }
  ctx.Metric("examples", static_cast<double>(examples));
}

}  // namespace

pipeline::StageType CsvLoaderStage() {
  using pipeline::ParamSpec;
  pipeline::StageType type;
  type.name = "csv_loader";
  type.kind = pipeline::StageKind::kLoad;
  type.help = "load numeric features (and optional labels) from a CSV file";
  type.code_version = 1;
  type.uses_rng = false;
  type.min_inputs = 0;
  type.max_inputs = 0;
  type.params = {
      ParamSpec::String("path", nullptr, "the CSV file to read"),
      ParamSpec::String("label_column", "",
                        "label column: a header name or a 0-based index; \"\" for no labels"),
      ParamSpec::String("header", "auto",
                        "first row is a header: auto (if any field is not a number), yes, no")
          .Choices({"auto", "yes", "no"}),
      ParamSpec::String("delimiter", ",", "field separator (one character)"),
      ParamSpec::Int("limit", 0, "keep the first `limit` data rows (0: all)").Min(0),
  };
  type.run = LoadCsv;
  type.check = CheckCsvParams;
  return type;
}

}  // namespace stages
