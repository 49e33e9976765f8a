#include "pipeline/search/search_space.h"

namespace pipeline {

const char* Distribution::name() const {
  switch (kind) {
    case DistributionKind::kUniform: return "uniform";
    case DistributionKind::kLogUniform: return "loguniform";
    case DistributionKind::kInt: return "int";
    case DistributionKind::kLogInt: return "logint";
    case DistributionKind::kChoice: return "choice";
  }
  return "unknown";
}

}  // namespace pipeline
