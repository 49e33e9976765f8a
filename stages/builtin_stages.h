#pragma once
// The stage types this build provides, in one explicit list (ninja's tool table). A new stage
// type is added by declaring its factory in its own header and calling it from
// builtin_stages.cc; there are no self-registering statics, which a static library's linker
// would drop.

#include <vector>

#include "pipeline/stage.h"

namespace stages {

// Every built-in stage type, ordered by kind in data-flow order (load, ..., evaluate).
std::vector<pipeline::StageType> BuiltinStages();

}  // namespace stages
