#pragma once
// Stage "csv_loader" (kind load): a numeric table from a delimited text file, with an optional
// label column (file format and label rules: stages/load/csv_reader.h).
//
// Parameters
//   path          string, required: the CSV file
//   label_column  string, default "": the label column, as a header name or a 0-based index
//                 written as text ("4"); "" means the file has no labels
//   header        "auto" (default) | "yes" | "no": whether the first row names the columns;
//                 auto takes it as a header when a field outside the label column is not a
//                 number, or label_column names one of its fields
//   delimiter     string of one character, default ","
//   limit         int >= 0, default 0: keep the first `limit` data rows; 0 keeps all
//
// Output
//   x    float32 [N, D]  every column but the label column, in file order
//   y    int32   [N]     class labels (only with a label column)
//   ids  int32   [N]     index of the data row in the file (0 = first row after any header)
//   meta {"source": path, "classes": C (with labels), "class_names": [...] (when the labels
//         were names; index = class), "feature_names": [...] (with a header),
//         "label_column": name or index (with labels)}
// Metric "examples" = N. Malformed files raise pipeline::DataError with row and column.

#include "pipeline/stage.h"

namespace stages {

pipeline::StageType CsvLoaderStage();

}  // namespace stages
