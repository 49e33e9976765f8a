#include "stages/builtin_stages.h"

#include <catch2/catch.hpp>
#include <set>

TEST_CASE("builtin stage types are unique and fully declared", "[builtin_stages]") {
  const std::vector<pipeline::StageType> types = stages::BuiltinStages();
  std::set<std::string> names;
  for (const pipeline::StageType& type : types) {
    INFO("stage " << type.name);
    CHECK(names.insert(type.name).second);
    CHECK_FALSE(type.help.empty());
    CHECK(type.code_version >= 1);
    CHECK(type.min_inputs <= type.max_inputs);
    CHECK(type.run);
    for (const pipeline::ParamSpec& spec : type.params) {
      INFO("parameter " << spec.name);
      CHECK_FALSE(spec.help.empty());
      // Only parameters that name the data itself (or the network) may be required.
      if (spec.required()) {
        CHECK((spec.name == "path" || spec.name == "dir" || spec.name == "classes" ||
               spec.name == "layers"));
      }
      if (spec.default_value.is_number()) {
        const double value = spec.default_value.get<double>();
        if (spec.min) CHECK(value >= *spec.min);
        if (spec.max) CHECK(value <= *spec.max);
      }
      if (!spec.choices.empty()) {
        const std::string value = spec.default_value.get<std::string>();
        CHECK(std::find(spec.choices.begin(), spec.choices.end(), value) != spec.choices.end());
      }
    }
  }
  for (const char* expected : {"idx_loader", "mnist_loader", "csv_loader", "npy_loader",
                               "image_folder_loader", "blobs", "gmm_generator", "augment", "split",
                               "take", "subset", "imbalance", "oversample", "undersample",
                               "class_weights", "pca", "tsne", "kmeans", "gmm", "gmm_bayes",
                               "cluster_eval"}) {
    INFO("expected stage " << expected);
    CHECK(names.count(expected) == 1);
  }
}
