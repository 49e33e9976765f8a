#include "pipeline/cluster/cluster_plan.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "pipeline/errors.h"
#include "pipeline/stage.h"
#include "pipeline/study_runner.h"

namespace pipeline {

namespace fs = std::filesystem;

Json ClusterPlan::ToJson() const {
  Json json = {{"study", study}, {"cache_dir", cache_dir}, {"threads", threads},
               {"levels", levels}, {"tasks", Json::object()}, {"runs", Json::array()}};
  for (const auto& [key, task] : tasks) {
    json["tasks"][key] = {{"stage", task.stage_name}, {"type", task.type},
                          {"params", task.params},    {"inputs", task.inputs},
                          {"seed", std::to_string(task.seed)}, {"level", task.level}};
  }
  for (const ClusterRun& run : runs) json["runs"].push_back({{"id", run.id}, {"keys", run.keys}});
  return json;
}

ClusterPlan ClusterPlan::FromJson(const Json& json, const std::string& source) {
  try {
    ClusterPlan plan;
    plan.study = json.at("study").get<std::string>();
    plan.cache_dir = json.at("cache_dir").get<std::string>();
    plan.threads = json.at("threads").get<int>();
    plan.levels = json.at("levels").get<std::vector<std::vector<std::string>>>();
    for (auto it = json.at("tasks").begin(); it != json.at("tasks").end(); ++it) {
      ClusterTask task;
      task.key = it.key();
      task.stage_name = it->at("stage").get<std::string>();
      task.type = it->at("type").get<std::string>();
      task.params = it->at("params");
      task.inputs = it->at("inputs").get<std::vector<std::string>>();
      task.seed = std::stoull(it->at("seed").get<std::string>());
      task.level = it->at("level").get<int>();
      plan.tasks[task.key] = std::move(task);
    }
    for (const Json& run : json.at("runs")) {
      plan.runs.push_back({run.at("id").get<int64_t>(), run.at("keys").get<std::vector<std::string>>()});
    }
    return plan;
  } catch (const std::exception& e) {
    throw StoreError("the cluster plan " + source + " is malformed: " + e.what() +
                     " (submit the study again)");
  }
}

std::string ClusterDir(const std::string& cache_dir, const std::string& study) {
  const fs::path parent = fs::path(cache_dir).parent_path();
  return ((parent.empty() ? fs::path(".") : parent) / "cluster" / study).string();
}

std::string ShardPath(const std::string& cluster_dir, const std::string& key) {
  return cluster_dir + "/shards/" + key + ".db";
}

std::string StatusPath(const std::string& cluster_dir, const std::string& key) {
  return cluster_dir + "/status/" + key + ".json";
}

ClusterPlan MakeClusterPlan(const PreparedStudy& prepared, const std::string& cache_dir,
                            int threads) {
  const Dag& dag = prepared.plan.dag;
  ClusterPlan plan;
  plan.study = prepared.plan.study.name;
  plan.cache_dir = fs::absolute(cache_dir).string();
  plan.threads = std::max(1, threads);
  std::vector<int> level(dag.nodes().size(), -1);
  for (size_t n : dag.TopologicalOrder()) {
    if (prepared.cached[n]) continue;
    const DagNode& node = dag.nodes()[n];
    int l = 0;
    for (size_t input : node.inputs) {
      if (level[input] >= 0) l = std::max(l, level[input] + 1);
    }
    level[n] = l;
    if (plan.levels.size() <= static_cast<size_t>(l)) plan.levels.resize(l + 1);
    plan.levels[l].push_back(node.key);
    ClusterTask task;
    task.key = node.key;
    task.stage_name = node.stage_name;
    task.type = node.type->name;
    task.params = node.params;
    for (size_t input : node.inputs) task.inputs.push_back(dag.nodes()[input].key);
    task.seed = node.seed;
    task.level = l;
    plan.tasks[node.key] = std::move(task);
  }
  for (size_t r = 0; r < dag.runs().size(); ++r) {
    ClusterRun run;
    run.id = prepared.run_ids[r];
    for (size_t n : dag.runs()[r].nodes) run.keys.push_back(dag.nodes()[n].key);
    plan.runs.push_back(std::move(run));
  }
  return plan;
}

void WriteClusterPlan(const ClusterPlan& plan, const std::string& path) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp);
    out << plan.ToJson().dump(1) << "\n";
    if (!out) throw StoreError("cannot write " + temp);
  }
  fs::rename(temp, path, ec);
  if (ec) throw StoreError("cannot move " + temp + " to " + path + ": " + ec.message());
}

ClusterPlan ReadClusterPlan(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw StoreError("no cluster plan at " + path + " (`pipeline submit` writes it)");
  std::stringstream text;
  text << in.rdbuf();
  Json json;
  try {
    json = Json::parse(text.str());
  } catch (const std::exception& e) {
    throw StoreError("the cluster plan " + path + " is not JSON: " + e.what());
  }
  return ClusterPlan::FromJson(json, path);
}

}  // namespace pipeline
