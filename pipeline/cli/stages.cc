#include "pipeline/cli/commands.h"
#include "pipeline/stage_registry.h"

namespace pipeline::cli {

void AddStagesCommand(CLI::App& app, CommandContext& context) {
  auto name = std::make_shared<std::string>();
  CLI::App* stages = app.add_subcommand(
      "stages", "List the stage types, or the parameters of one (name, type, default, help)");
  stages->add_option("type", *name, "a stage type, e.g. kmeans");
  stages->callback([&context, name] {
    if (name->empty()) {
      std::printf("stage types (kind, name, what it does); `pipeline stages TYPE` for its "
                  "parameters:\n%s",
                  context.registry.ListText().c_str());
    } else {
      const StageType& type = context.registry.Get(*name, "", {});
      std::printf("%s", context.registry.HelpText(type).c_str());
    }
    context.exit_code = ExitCode::kOk;
  });
}

}  // namespace pipeline::cli
