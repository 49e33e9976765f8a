#pragma once
// ConfigReader: typed, checked reads from a small JSON object of settings (an optimiser, a
// learning-rate schedule, an early-stopping policy) with errors that name the key path, e.g.
// "train.optimizer.beta1: expected a number, got \"high\"". Absent and null keys read as the
// given default. Used by the factories in stages/train/; holds a reference to the object, so
// the object must outlive the reader.

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/params.h"

namespace stages {

class ConfigReader {
 public:
  // `key_path` prefixes every message, e.g. "train.optimizer". Throws ConfigError if `config`
  // is not an object; `example` shows the expected form, e.g. "{optimizer: adam, lr: 0.001}".
  ConfigReader(const pipeline::Json& config, std::string key_path, const std::string& example);

  // Throws ConfigError "<key_path>.<key>: <why>" (just "<key_path>: <why>" for an empty key).
  [[noreturn]] void Fail(const std::string& key, const std::string& why) const;

  bool Has(const std::string& key) const;
  double Number(const std::string& key, double default_value) const;
  // A number with an integral value.
  int64_t Integer(const std::string& key, int64_t default_value) const;
  bool Bool(const std::string& key, bool default_value) const;
  // A string that must be one of `choices` (the message lists them and the nearest).
  std::string Choice(const std::string& key, const std::string& default_value,
                     const std::vector<std::string>& choices) const;

  // Rejects keys not in `known`, naming the nearest and listing all of them.
  void RejectUnknownKeys(const std::vector<std::string>& known, const std::string& what) const;

  const pipeline::Json& config() const { return config_; }

 private:
  const pipeline::Json& config_;
  std::string key_path_;
};

// "a, b, c".
std::string JoinNames(const std::vector<std::string>& names);

}  // namespace stages
