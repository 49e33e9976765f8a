#pragma once
// StageRegistry: the stage types a study may use, by name. Filled from the explicit list in
// stages/builtin_stages.cc (tests and benchmarks may add their own types to their own registry).
// Not thread-safe for Add(); concurrent
// lookups are fine once filled.

#include <map>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "pipeline/stage.h"
#include "pipeline/study.h"

namespace pipeline {

class StageRegistry {
 public:
  StageRegistry() = default;
  explicit StageRegistry(std::vector<StageType> types);
  StageRegistry(const StageRegistry&) = delete;
  StageRegistry& operator=(const StageRegistry&) = delete;

  // Throws std::logic_error on a duplicate name (a programming error).
  void Add(StageType type);
  const StageType* Find(const std::string& name) const;
  // Throws ConfigError at `mark` listing the valid types and the nearest name.
  const StageType& Get(const std::string& name, const std::string& file, SourceMark mark) const;
  std::vector<const StageType*> All() const;  // ordered by kind, then name

  // `pipeline stages` output: one line per type, or the full parameter table of one type.
  std::string ListText() const;
  std::string HelpText(const StageType& type) const;

 private:
  std::map<std::string, StageType> types_;
};

}  // namespace pipeline
