#include "stages/cluster/gmm_params.h"

namespace stages {

std::vector<pipeline::ParamSpec> GmmParamSpecs(const GmmParamHelp& help) {
  using pipeline::ParamSpec;
  return {
      ParamSpec::Int("components", 2, help.components).Min(1),
      ParamSpec::String("covariance", "diag", "covariance matrices: diag or full")
          .Choices({"diag", "full"}),
      ParamSpec::Int("max_iter", 500, help.max_iter).Min(0),
      ParamSpec::Float("tol", 1e-5,
                       "stop when the mean NLL changes by at most tol x max(|nll|, 1) "
                       "(convergence: relative) or by less than tol (absolute)")
          .Min(0),
      ParamSpec::String("convergence", "relative",
                        "relative, or absolute: scikit-learn's rule (its tol is 1e-3)")
          .Choices({"relative", "absolute"}),
      ParamSpec::Float("reg_covar", 1e-6, "added to every variance (covariance diagonal)").Min(0),
      ParamSpec::String("init", "kmeans", "initial responsibilities: kmeans or random")
          .Choices({"kmeans", "random"}),
      ParamSpec::Int("n_init", 1, help.n_init).Min(1),
  };
}

GmmOptions GmmOptionsFromParams(const pipeline::Params& params) {
  GmmOptions options;
  options.components = params.GetInt("components");
  options.covariance = ParseCovarianceType(params.GetString("covariance"));
  options.max_iterations = params.GetInt("max_iter");
  options.tolerance = params.GetFloat("tol");
  options.convergence = ParseGmmConvergence(params.GetString("convergence"));
  options.reg_covar = params.GetFloat("reg_covar");
  options.init = ParseGmmInit(params.GetString("init"));
  options.restarts = params.GetInt("n_init");
  return options;
}

}  // namespace stages
