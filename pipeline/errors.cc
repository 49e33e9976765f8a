#include "pipeline/errors.h"

namespace pipeline {
namespace {

std::string FormatConfigError(const std::string& message, const std::string& file, int line,
                              int column, const std::string& key_path) {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
    out += ": ";
  }
  if (!key_path.empty()) out += "'" + key_path + "': ";
  return out + message;
}

std::string FormatDataError(const std::string& message, const std::string& file,
                            int64_t offset, int64_t row, int64_t column) {
  std::string out = file;
  if (offset >= 0) out += " (byte offset " + std::to_string(offset) + ")";
  if (row >= 0) {
    out += " (row " + std::to_string(row);
    if (column >= 0) out += ", column " + std::to_string(column);
    out += ")";
  }
  return out + ": " + message;
}

}  // namespace

ConfigError::ConfigError(const std::string& message, std::string file, int line, int column,
                         std::string key_path)
    : Error(FormatConfigError(message, file, line, column, key_path)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      key_path_(std::move(key_path)) {}

DataError::DataError(const std::string& message, std::string file, int64_t offset,
                     int64_t row, int64_t column)
    : Error(FormatDataError(message, file, offset, row, column)),
      file_(std::move(file)),
      offset_(offset) {}

}  // namespace pipeline
