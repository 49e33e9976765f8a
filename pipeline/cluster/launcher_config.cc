#include "pipeline/cluster/launcher_config.h"

#include "pipeline/errors.h"

namespace pipeline {
namespace {

const std::vector<std::string> kLaunchers = {"slurm"};
const std::vector<std::string> kSlurmKeys = {"partition", "time", "cpus_per_task", "mem",
                                             "account", "sbatch"};

[[noreturn]] void Fail(const Study& study, const std::string& message, const YAML::Node& node,
                       const std::string& key) {
  const YAML::Mark mark = node.Mark();
  throw ConfigError(message, study.file, mark.line < 0 ? 0 : mark.line + 1,
                    mark.line < 0 ? 0 : mark.column + 1, key);
}

std::string Text(const Study& study, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar() || node.Scalar().empty()) {
    Fail(study, "expected a non-empty text value", node, key);
  }
  return node.Scalar();
}

// Keys of a map, each checked against `valid` (with the nearest one as a hint).
void CheckKeys(const Study& study, const YAML::Node& map, const std::vector<std::string>& valid,
               const std::string& where) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    bool known = false;
    for (const std::string& v : valid) known = known || v == key;
    if (known) continue;
    const std::string hint = NearestName(key, valid);
    std::string list;
    for (const std::string& v : valid) list += (list.empty() ? "" : ", ") + v;
    Fail(study,
         "unknown key" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
             "; valid keys: " + list,
         it->first, where + "." + key);
  }
}

}  // namespace

SlurmOptions SlurmLauncherOptions(const Study& study, SlurmOptions options) {
  if (!study.launcher || study.launcher.IsNull()) return options;
  CheckKeys(study, study.launcher, kLaunchers, "launcher");
  const YAML::Node slurm = study.launcher["slurm"];
  if (!slurm) return options;
  if (!slurm.IsMap()) {
    Fail(study, "`launcher.slurm` is a map: {partition: ..., time: ..., cpus_per_task: ...}",
         slurm, "launcher.slurm");
  }
  CheckKeys(study, slurm, kSlurmKeys, "launcher.slurm");
  if (slurm["partition"]) options.partition = Text(study, slurm["partition"], "launcher.slurm.partition");
  if (slurm["time"]) options.time = Text(study, slurm["time"], "launcher.slurm.time");
  if (slurm["mem"]) options.mem = Text(study, slurm["mem"], "launcher.slurm.mem");
  if (slurm["account"]) options.account = Text(study, slurm["account"], "launcher.slurm.account");
  if (const YAML::Node cpus = slurm["cpus_per_task"]) {
    int value = 0;
    try {
      value = cpus.as<int>();
    } catch (const YAML::Exception&) {
      value = 0;
    }
    if (value < 1 || value > 4096) {
      Fail(study, "expected a whole number of cores from 1 to 4096", cpus,
           "launcher.slurm.cpus_per_task");
    }
    options.cpus_per_task = value;
  }
  if (const YAML::Node extra = slurm["sbatch"]) {
    if (extra.IsScalar()) {
      options.extra.push_back(Text(study, extra, "launcher.slurm.sbatch"));
    } else if (extra.IsSequence()) {
      for (size_t i = 0; i < extra.size(); ++i) {
        options.extra.push_back(
            Text(study, extra[i], "launcher.slurm.sbatch[" + std::to_string(i) + "]"));
      }
    } else {
      Fail(study, "expected an sbatch argument or a list of them", extra, "launcher.slurm.sbatch");
    }
  }
  return options;
}

}  // namespace pipeline
