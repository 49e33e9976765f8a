#pragma once
// What the machine and the build were when a run executed: recorded once per `pipeline run` in
// the `environment` table, so a result can be traced to its compiler, libraries and CPU.

#include "pipeline/store.h"

namespace pipeline {

EnvironmentRow CaptureEnvironment(int threads);

}  // namespace pipeline
