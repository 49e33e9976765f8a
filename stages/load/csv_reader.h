#pragma once
// Reader for numeric tables in delimited text (CSV): every column a number, except an optional
// label column that may hold integers or class names.
//
// Format accepted
//   - One row per line; "\n" or "\r\n" line ends; lines that are empty or only whitespace are
//     skipped. Fields are separated by a single delimiter character.
//   - A field may be wrapped in double quotes (a doubled quote inside stands for one); no line
//     breaks inside quotes. Spaces around fields are ignored.
//   - Numbers are decimal or scientific notation as std::from_chars reads them (an optional
//     leading '+' is allowed); NaN, infinities and values beyond float32 range are rejected.
//   - Header: with CsvHeader::kAuto the first row is a header when label_column names one of
//     its non-numeric fields, or when any field outside the label column is not a number (so a
//     headerless file whose labels are names is still read as data).
//   - Labels: when every label is a number, each must be an integer >= 0 and is used as it is
//     (classes = max + 1). Otherwise the labels are class names, numbered 0..C-1 in sorted
//     (byte-wise) order.
// Every problem raises pipeline::DataError naming the file, the 1-based line ("row") and the
// 1-based column and quoting the offending text. Thread-safe (no shared state).

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/tensor.h"

namespace stages {

enum class CsvHeader { kAuto, kYes, kNo };

struct CsvOptions {
  char delimiter = ',';
  CsvHeader header = CsvHeader::kAuto;
  // "" (default): no label column. Otherwise a header name or a 0-based column index as text;
  // a name that matches a first-row field wins over reading it as an index (with kAuto only
  // non-numeric fields are names; with kNo there are no names).
  std::string label_column;
  int64_t limit = 0;  // > 0: read only the first `limit` data rows
};

struct CsvTable {
  pipeline::RowMatrixXf features;          // [rows, feature columns], file order
  bool has_header = false;
  std::vector<std::string> feature_names;  // header names of the feature columns (if a header)
  bool has_labels = false;
  int64_t label_index = -1;                // 0-based column index of the labels
  std::string label_name;                  // its header name, or its index as text
  std::vector<int32_t> labels;             // one per row, when has_labels
  int64_t classes = 0;                     // max label + 1, or the number of class names
  std::vector<std::string> class_names;    // sorted, when the labels were names
};

CsvTable ReadCsv(const std::string& path, const CsvOptions& options);

}  // namespace stages
