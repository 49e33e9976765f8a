#pragma once
// The parameters of a Gaussian mixture fitted by EM (gmm.h), declared once for every stage that
// fits one: "gmm" (one mixture of the data) and "gmm_bayes" (one mixture per class). Their
// names, types, defaults and ranges are the same everywhere; a few help lines name what one
// mixture covers ("per class"), so the caller passes those.
//
//   components  int >= 1, default 2: K
//   covariance  "diag" (default) or "full"
//   max_iter    int >= 0, default 500: EM iterations per restart
//   tol         float >= 0, default 1e-5: stop when the mean NLL changes by at most
//               tol * max(|nll|, 1) in one iteration
//   reg_covar   float >= 0, default 1e-6: added to every variance (the covariance diagonal)
//   init        "kmeans" (default) or "random" initial responsibilities
//   n_init      int >= 1, default 1: EM restarts; the lowest final NLL is kept

#include <string>
#include <vector>

#include "pipeline/params.h"
#include "stages/cluster/gmm.h"

namespace stages {

// The help lines that depend on the stage.
struct GmmParamHelp {
  std::string components;  // e.g. "number of mixture components K"
  std::string max_iter;    // e.g. "EM iterations per restart"
  std::string n_init;      // e.g. "EM restarts; the lowest final NLL is kept"
};

// The seven declarations, in the order `pipeline stages NAME` lists them.
std::vector<pipeline::ParamSpec> GmmParamSpecs(const GmmParamHelp& help);

// The options those parameters select (validated by the registry against GmmParamSpecs).
GmmOptions GmmOptionsFromParams(const pipeline::Params& params);

}  // namespace stages
