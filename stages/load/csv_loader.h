#pragma once
// Stage "csv_loader" (kind load): a numeric table from a delimited text file, with an optional
// label column (file format and label rules: stages/load/csv_reader.h).
//
// Parameters: declared with the stage type (its .cc file); `pipeline stages <type>` and
// docs/stages.md print them with types, defaults and ranges.
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
