// Implementation notes: where corruption is caught. Verifying every cached output up front
// would read the whole cache on each run, most of it needlessly: a cached stage whose
// dependents are all cached too is never read. Verifying inside the scheduler, when
// GatherInputs loads an input, reads only what is needed, but then a node that the plan counted
// as cached has to be recomputed in the middle of the graph, with its consumers already
// started or waiting, and the printed plan and the runs marked done from the cache would be
// wrong. So the check runs between FindCached and scheduling, on exactly the cached nodes that
// some stage of the batch will load: each such file is read once more than before (a streamed
// checksum, no parsing, usually from the page cache), and a corrupt node simply joins the set
// to compute before anything is planned or printed. Corruption that happens later, during the
// run, is still caught by the loader; the scheduler then quarantines the entry so the next run
// recomputes it.

#include "pipeline/cache_check.h"

#include <cmath>
#include <string>

#include "pipeline/artifact_cache.h"
#include "pipeline/clock.h"
#include "pipeline/dag.h"
#include "pipeline/errors.h"

namespace pipeline {

size_t QuarantineCorruptInputs(const Dag& dag, ArtifactCache& cache, Clock& clock,
                               std::vector<bool>& cached, FILE* out) {
  const auto& nodes = dag.nodes();
  std::vector<bool> checked(nodes.size(), false);
  std::vector<size_t> consumers;
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (!cached[n]) consumers.push_back(n);
  }
  size_t quarantined = 0;
  while (!consumers.empty()) {
    const size_t consumer = consumers.back();
    consumers.pop_back();
    for (size_t input : nodes[consumer].inputs) {
      if (!cached[input] || checked[input]) continue;
      checked[input] = true;
      try {
        cache.Verify(nodes[input].key);
      } catch (const DataError& e) {
        const auto now = static_cast<int64_t>(std::floor(clock.WallSeconds()));
        const std::string moved_to = cache.Quarantine(nodes[input].key, now);
        std::fprintf(out,
                     "cache: the output of stage '%s' (key %.12s) is corrupt (%s); moved it to "
                     "%s and recomputing the stage\n",
                     nodes[input].stage_name.c_str(), nodes[input].key.c_str(), e.what(),
                     moved_to.c_str());
        cached[input] = false;
        consumers.push_back(input);
        ++quarantined;
      }
    }
  }
  return quarantined;
}

}  // namespace pipeline
