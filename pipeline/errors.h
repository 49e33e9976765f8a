#pragma once
// The error hierarchy of the pipeline. Errors are exceptions (yaml-cpp, oneDNN and TBB throw),
// caught at exactly two boundaries: the scheduler's node wrapper (which records the failure and
// skips dependents) and main (which maps them to an ExitCode). Every message names what failed,
// where, and what to do about it.

#include <cstdint>
#include <stdexcept>
#include <string>

namespace pipeline {

// Process exit codes; documented in `pipeline --help`.
enum class ExitCode : int {
  kOk = 0,
  kRunsFailed = 1,     // the study ran, but some runs failed or were skipped
  kConfigError = 2,    // bad YAML, unknown stage/parameter, bad command line
  kDataError = 3,      // a data file is missing or malformed
  kStoreError = 4,     // the results database could not be read or written
  kReproduceMismatch = 5,  // `pipeline reproduce` found a differing stage
  kClusterError = 6,   // the cluster's tools (sbatch, squeue, scancel) failed or are missing
  kInternalError = 70,
  kInterrupted = 130,  // Ctrl-C
};

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A problem in a study file or on the command line. `file`, `line` and `column` are 1-based;
// line 0 means "no position known" (e.g. a command-line override).
class ConfigError : public Error {
 public:
  ConfigError(const std::string& message, std::string file = "", int line = 0,
              int column = 0, std::string key_path = "");
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& key_path() const { return key_path_; }

 private:
  std::string file_;
  int line_;
  int column_;
  std::string key_path_;
};

// A problem in input data: `offset` is a byte offset, or -1 when `row`/`column` locate it.
class DataError : public Error {
 public:
  DataError(const std::string& message, std::string file, int64_t offset = -1,
            int64_t row = -1, int64_t column = -1);
  const std::string& file() const { return file_; }
  int64_t offset() const { return offset_; }

 private:
  std::string file_;
  int64_t offset_;
};

// A stage failed for a reason of its own (diverged, bad input shape, ...).
class StageError : public Error {
 public:
  using Error::Error;
};

// The results database or the artifact cache could not be read or written.
class StoreError : public Error {
 public:
  using Error::Error;
};

// Thrown by StageContext::CheckCancelled() after Ctrl-C; the stage is recorded as interrupted.
// sbatch, squeue, scancel or scontrol failed (not installed, controller down, job refused).
class ClusterError : public Error {
 public:
  using Error::Error;
};

class Interrupted : public Error {
 public:
  Interrupted() : Error("interrupted") {}
};

// Thrown by StageContext::CheckCancelled() once the stage's metric sink asks it to stop (a
// search's pruner judged its reported metric hopeless); the stage is recorded as pruned with
// the reason.
class Pruned : public Error {
 public:
  explicit Pruned(const std::string& reason) : Error(reason) {}
};

}  // namespace pipeline
