#include "stages/load/csv_loader.h"

#include <numeric>

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
  return type;
}

}  // namespace stages
