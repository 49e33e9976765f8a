#include "pipeline/cli/commands.h"
#include "pipeline/stage_registry.h"

namespace pipeline::cli {

void AddStagesCommand(CLI::App& app, CommandContext& context) {
  auto name = std::make_shared<std::string>();
  CLI::App* stages = app.add_subcommand(
      "stages", "List the stage types, or the parameters of one (name, type, default, help)");
  auto reference = std::make_shared<bool>(false);
  stages->add_option("type", *name, "a stage type, e.g. kmeans");
  stages->add_flag("--reference", *reference,
                   "print every type's parameters as Markdown (docs/stages.md is this output)");
  stages->callback([&context, name, reference] {
    if (*reference) {
      std::printf("# Stage reference\n\nGenerated from the stage declarations by `pipeline "
                  "stages --reference`; `pipeline stages TYPE` prints one.\n");
      for (const StageType* type : context.registry.All()) {
        std::printf("\n## %s\n\n```\n%s```\n", type->name.c_str(),
                    context.registry.HelpText(*type).c_str());
      }
    } else if (name->empty()) {
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
