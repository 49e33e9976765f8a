#pragma once
// Heals corrupt cache entries before a batch is scheduled: a cached stage output that a stage
// to be run will read is verified (checksum of output.art); a corrupt one is quarantined
// (ArtifactCache::Quarantine) and recomputed like a missing one.

#include <cstdio>
#include <vector>

namespace pipeline {

class ArtifactCache;
class Clock;
class Dag;

// `cached[n]`: node n's output is in the cache and recorded done (FindCached). Every cached node
// with an uncached dependent is verified; each corrupt one is quarantined, set to uncached and
// reported on `out` with its stage name, key, the problem and where it went. Its own cached
// inputs are then checked too, as they now have a consumer. Returns how many were quarantined.
// Throws StoreError if a corrupt entry cannot be moved aside.
size_t QuarantineCorruptInputs(const Dag& dag, ArtifactCache& cache, Clock& clock,
                               std::vector<bool>& cached, FILE* out);

}  // namespace pipeline
