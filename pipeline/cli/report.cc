#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "pipeline/cli/commands.h"
#include "pipeline/report/html_report.h"
#include "pipeline/store.h"

namespace pipeline::cli {

void AddReportCommand(CLI::App& app, CommandContext& context) {
  auto db = std::make_shared<std::string>(kDefaultDb);
  auto study = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  CLI::App* report = app.add_subcommand(
      "report", "Write one self-contained HTML page for a study: summary, charts, runs table, pictures");
  report->add_option("study", *study, "the study name")->required();
  report->add_option("--out", *out, "output file (default: results/<study>-report.html)");
  report->add_option("--db", *db, "results database")->capture_default_str();
  report->callback([&context, db, study, out] {
    Store store(*db, Store::Mode::kReadOnly);
    const report::StudyData data = report::LoadStudyData(store, *study, &context.registry);
    std::string path = *out;
    if (path.empty()) {
      const auto parent = std::filesystem::path(*db).parent_path();
      path = ((parent.empty() ? std::filesystem::path(".") : parent) / (*study + "-report.html")).string();
    }
    std::vector<std::string> problems;
    const std::string html = report::RenderHtmlReport(data, &problems);
    for (const std::string& problem : problems) std::fprintf(stderr, "warning: %s\n", problem.c_str());
    const std::string temp = path + ".tmp";
    {
      std::ofstream file(temp, std::ios::binary);
      file << html;
      if (!file) throw StoreError("cannot write " + temp);
    }
    std::filesystem::rename(temp, path);
    std::printf("wrote %s (%zu runs, %.1f KiB)\n", path.c_str(), data.runs.size(),
                html.size() / 1024.0);
    context.exit_code = ExitCode::kOk;
  });
}

}  // namespace pipeline::cli
