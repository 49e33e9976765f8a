#include "pipeline/cluster/slurm_submitter.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "pipeline/errors.h"

namespace pipeline {
namespace {

namespace fs = std::filesystem;

// One shell word: the command line is run by /bin/sh, so every argument is single-quoted.
std::string Quote(const std::string& word) {
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string Join(const std::vector<std::string>& words) {
  std::string line;
  for (const std::string& w : words) line += (line.empty() ? "" : " ") + Quote(w);
  return line;
}

}  // namespace

CommandRunner SystemCommandRunner() {
  return [](const std::vector<std::string>& argv) {
    const std::string line = Join(argv) + " 2>&1";
    FILE* pipe = ::popen(line.c_str(), "r");
    if (pipe == nullptr) return std::make_pair(127, std::string("cannot start ") + argv[0]);
    std::string output;
    char buffer[4096];
    while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
    const int status = ::pclose(pipe);
    return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : 128, output);
  };
}

size_t SlurmMaxArraySize(const CommandRunner& run) {
  const auto [code, output] = run({"scontrol", "show", "config"});
  if (code != 0) {
    throw ClusterError("`scontrol show config` failed (is Slurm running? scripts/slurm_local.sh "
                "start brings up a one-node cluster): " + output);
  }
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("MaxArraySize", 0) != 0) continue;
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    try {
      return std::stoul(line.substr(eq + 1));
    } catch (const std::exception&) {
      break;
    }
  }
  return 1001;
}

std::vector<SubmittedJob> SubmitToSlurm(const ClusterPlan& plan, const std::string& plan_path,
                                        const std::string& binary,
                                        const std::vector<std::string>& collect_args,
                                        const SlurmOptions& options, const CommandRunner& run) {
  const std::string dir = fs::path(plan_path).parent_path().string();
  std::error_code ec;
  fs::create_directories(dir + "/logs", ec);
  const size_t max_array = std::max<size_t>(1, SlurmMaxArraySize(run));
  std::vector<std::string> common = {"sbatch", "--parsable", "--requeue",
                                     "--cpus-per-task=" + std::to_string(options.cpus_per_task)};
  if (!options.partition.empty()) common.push_back("--partition=" + options.partition);
  if (!options.time.empty()) common.push_back("--time=" + options.time);
  if (!options.mem.empty()) common.push_back("--mem=" + options.mem);
  if (!options.account.empty()) common.push_back("--account=" + options.account);
  common.insert(common.end(), options.extra.begin(), options.extra.end());

  std::vector<SubmittedJob> jobs;
  // A refusal part-way (a bad --partition shows at the first array, a QOS limit later) takes
  // back what was queued: half a study in the queue, with no jobs.json naming it, helps nobody.
  auto submit = [&](std::vector<std::string> argv) {
    const auto [code, output] = run(argv);
    std::string id = output.substr(0, output.find_first_of(";\n"));
    if (code != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
      std::string taken_back;
      if (!jobs.empty()) {
        std::vector<std::string> scancel = {"scancel"};
        for (const SubmittedJob& job : jobs) scancel.push_back(job.id);
        const bool ok = run(scancel).first == 0;
        taken_back = ok ? " (the " + std::to_string(jobs.size()) + " job(s) queued before it are "
                          "cancelled)"
                        : " (cancelling the job(s) queued before it failed: " + Join(scancel) + ")";
      }
      throw ClusterError("sbatch refused the job (" + Join(argv) + "): " + output + taken_back);
    }
    return id;
  };
  std::vector<std::string> previous;  // job ids of the level before
  for (size_t level = 0; level < plan.levels.size(); ++level) {
    std::vector<std::string> current;
    const size_t n = plan.levels[level].size();
    for (size_t offset = 0; offset < n; offset += max_array) {
      const size_t count = std::min(max_array, n - offset);
      std::vector<std::string> argv = common;
      argv.push_back("--job-name=pipeline-" + plan.study + "-L" + std::to_string(level));
      argv.push_back("--array=0-" + std::to_string(count - 1));
      argv.push_back("--output=" + dir + "/logs/%A_%a.out");
      if (!previous.empty()) {
        std::string dependency = "--dependency=afterany";
        for (const std::string& id : previous) dependency += ":" + id;
        argv.push_back(dependency);
      }
      argv.push_back("--wrap=" + Join({binary, "worker", plan_path, "--level",
                                       std::to_string(level), "--offset",
                                       std::to_string(offset)}));
      const std::string id = submit(argv);
      current.push_back(id);
      jobs.push_back({id, static_cast<int>(level), offset, count});
    }
    previous = current;
  }
  // The merge, after every task has ended (done or not).
  std::vector<std::string> argv = {"sbatch", "--parsable", "--cpus-per-task=1",
                                   "--job-name=pipeline-" + plan.study + "-collect",
                                   "--output=" + dir + "/logs/collect_%j.out"};
  if (!options.partition.empty()) argv.push_back("--partition=" + options.partition);
  if (!options.account.empty()) argv.push_back("--account=" + options.account);
  if (!jobs.empty()) {
    std::string dependency = "--dependency=afterany";
    for (const SubmittedJob& job : jobs) dependency += ":" + job.id;
    argv.push_back(dependency);
  }
  std::vector<std::string> collect = {binary, "collect", plan.study};
  collect.insert(collect.end(), collect_args.begin(), collect_args.end());
  argv.push_back("--wrap=" + Join(collect));
  jobs.push_back({submit(argv), -1, 0, 0});

  Json record = Json::array();
  for (const SubmittedJob& job : jobs) {
    record.push_back({{"id", job.id}, {"level", job.level}, {"offset", job.offset},
                      {"tasks", job.tasks}});
  }
  std::ofstream(dir + "/jobs.json") << record.dump(1) << "\n";
  return jobs;
}

std::vector<SubmittedJob> ReadSubmittedJobs(const std::string& cluster_dir) {
  std::ifstream in(cluster_dir + "/jobs.json");
  if (!in) return {};
  std::stringstream text;
  text << in.rdbuf();
  std::vector<SubmittedJob> jobs;
  try {
    for (const Json& j : Json::parse(text.str())) {
      jobs.push_back({j.at("id").get<std::string>(), j.at("level").get<int>(),
                      j.at("offset").get<size_t>(), j.at("tasks").get<size_t>()});
    }
  } catch (const std::exception& e) {
    throw StoreError(cluster_dir + "/jobs.json is malformed: " + e.what());
  }
  return jobs;
}

}  // namespace pipeline
