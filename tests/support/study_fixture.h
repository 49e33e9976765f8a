#pragma once
// Runs study text through the real runner into a temporary database, for integration tests.

#include <atomic>
#include <fstream>
#include <string>
#include <vector>

#include "pipeline/clock.h"
#include "pipeline/stage_registry.h"
#include "pipeline/store.h"
#include "pipeline/study_runner.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_stages.h"

namespace testing_support {

class StudyFixture {
 public:
  StudyFixture() : registry_(TestStages()) {}

  // Writes `text` to <dir>/<name>.yaml and runs it; returns the exit code.
  pipeline::ExitCode Run(const std::string& text, pipeline::RunOptions options = {},
                         const std::string& name = "study",
                         const std::atomic<bool>* cancel = nullptr) {
    const std::string path = dir_.File(name + ".yaml");
    std::ofstream(path) << text;
    options.db_path = db();
    FILE* sink = std::fopen("/dev/null", "w");
    const auto code = pipeline::RunStudy(path, options, registry_, clock_, cancel, sink);
    std::fclose(sink);
    return code;
  }

  // The first column of every row of `sql`, as text.
  std::vector<std::string> Column(const std::string& sql) {
    pipeline::Store store(db(), pipeline::Store::Mode::kReadOnly);
    std::vector<std::string> out;
    store.Query(sql, [&](const std::vector<std::string>&,
                         const std::vector<std::optional<std::string>>& values) {
      out.push_back(values.empty() || !values[0] ? "NULL" : *values[0]);
    });
    return out;
  }
  std::string Scalar(const std::string& sql) {
    auto column = Column(sql);
    return column.empty() ? "" : column[0];
  }

  std::string db() const { return dir_.File("results.db"); }
  const std::string& dir() const { return dir_.path(); }
  pipeline::StageRegistry& registry() { return registry_; }
  pipeline::Clock& clock() { return clock_; }

 private:
  TempDir dir_;
  pipeline::StageRegistry registry_;
  pipeline::SystemClock clock_;
};

}  // namespace testing_support
