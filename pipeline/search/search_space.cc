#include "pipeline/search/search_space.h"

#include <cstdio>

namespace pipeline {

std::string FormatMetric(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

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
