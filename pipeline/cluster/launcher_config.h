#pragma once
// The `launcher:` block of a study file: defaults for `pipeline submit`, so a study that always
// goes to the same partition does not need its flags retyped. Command-line options win.
//
//   launcher:
//     slurm:
//       partition: gpu
//       time: "02:00:00"       # per task
//       cpus_per_task: 4       # the stage's threads
//       mem: 8G
//       account: mylab
//       sbatch: ["--qos=long", "--constraint=avx2"]   # further sbatch arguments
//
// Slurm is the one launcher so far; another would be a further key beside `slurm`. Mistakes are
// ConfigErrors with the file, line and key.

#include "pipeline/cluster/slurm_submitter.h"
#include "pipeline/study.h"

namespace pipeline {

// The study's `launcher.slurm` settings over `defaults` (what it does not set stays).
SlurmOptions SlurmLauncherOptions(const Study& study, SlurmOptions defaults = {});

}  // namespace pipeline
