#include <catch2/catch.hpp>

#include <string>

#include "pipeline/errors.h"
#include "pipeline/param_schema.h"

using pipeline::ConfigError;
using pipeline::Json;
using pipeline::ParamSpec;
using pipeline::RangeScalar;

namespace {

// A tagged map shaped like an optimiser: `kind` picks fast's or slow's fields, `decay` is common.
ParamSpec Tuner() {
  return ParamSpec::Object("tuner", Json{{"kind", "slow"}, {"rate", 0.5}}, "a tuner")
      .Tagged("kind",
              {ParamSpec::Variant("fast", "fast", {ParamSpec::Float("rate", 2.0, "r").Above(0),
                                                   ParamSpec::Int("burst", 3, "b").Min(1)}),
               ParamSpec::Variant("slow", "slow", {ParamSpec::Float("rate", 0.1, "r").Above(0),
                                                   ParamSpec::Float("calm", 0.9, "c").Min(0).Max(1)})})
      .Fields({ParamSpec::Float("decay", 0.0, "d").Min(0),
               ParamSpec::String("label", nullptr, "l").Optional()});
}

// A list of tagged items shaped like a network's layers.
ParamSpec Parts() {
  ParamSpec part =
      ParamSpec::Object("part", nullptr, "a part")
          .Tagged("type", {ParamSpec::Variant("wheel", "w", {ParamSpec::Int("size", nullptr, "s").Min(1)}),
                           ParamSpec::Variant("bell", "b", {})})
          .Fields({ParamSpec::String("name", nullptr, "n").Optional()});
  return ParamSpec::List("parts", nullptr, "parts").Items(part).Min(1);
}

Json FromYaml(const ParamSpec& spec, const std::string& text) {
  return pipeline::ResolveParam(spec, YAML::Load(text), {"study.yaml", {1, 1}, "stages.s." + spec.name});
}

ConfigError YamlError(const ParamSpec& spec, const std::string& text) {
  try {
    FromYaml(spec, text);
  } catch (const ConfigError& e) {
    return e;
  }
  FAIL("expected a ConfigError for " << text);
  throw;
}

}  // namespace

TEST_CASE("a map merges with its declared default field by field", "[params]") {
  // The default names `slow`: a map that does not name another kind keeps slow, and the
  // default's own rate (0.5, not slow's field default 0.1) unless it gives one.
  const Json only_decay = pipeline::ResolveParam(Tuner(), Json{{"decay", 0.1}}, "tuner");
  CHECK(only_decay == Json{{"kind", "slow"}, {"rate", 0.5}, {"calm", 0.9}, {"decay", 0.1}});
  const Json only_rate = pipeline::ResolveParam(Tuner(), Json{{"rate", 0.01}}, "tuner");
  CHECK(only_rate["kind"] == "slow");
  CHECK(only_rate["rate"] == 0.01);
  // Spelling the default's kind out is the same value.
  CHECK(pipeline::ResolveParam(Tuner(), Json{{"kind", "slow"}, {"rate", 0.01}}, "tuner") ==
        only_rate);
  // Another kind starts from its own defaults, not the default map's.
  const Json fast = pipeline::ResolveParam(Tuner(), Json{{"kind", "fast"}}, "tuner");
  CHECK(fast == Json{{"kind", "fast"}, {"rate", 2.0}, {"burst", 3}, {"decay", 0.0}});
  // The declared default resolves to the full map; absent optional fields stay absent.
  CHECK(pipeline::ResolveDefault(Tuner(), "tuner") == Json{{"kind", "slow"}, {"rate", 0.5},
                                                           {"calm", 0.9}, {"decay", 0.0}});
}

TEST_CASE("resolution is idempotent", "[params]") {
  const Json once = pipeline::ResolveParam(Tuner(), Json{{"kind", "fast"}, {"label", "x"}}, "t");
  CHECK(pipeline::ResolveParam(Tuner(), once, "t") == once);
  const Json parts = FromYaml(Parts(), "[{type: wheel, size: 2}, {type: bell, name: ding}]");
  CHECK(pipeline::ResolveParam(Parts(), parts, "parts") == parts);
}

TEST_CASE("unknown fields name the nearest field with file, line, column and key path",
          "[params]") {
  const ConfigError e = YamlError(Tuner(), "{kind: slow,\n calmm: 0.5}");
  CHECK(e.file() == "study.yaml");
  CHECK(e.line() == 2);
  CHECK(e.column() == 2);
  CHECK(e.key_path() == "stages.s.tuner.calmm");
  CHECK_THAT(e.what(), Catch::Contains("did you mean 'calm'"));
}

TEST_CASE("a field of another variant says whose setting it is", "[params]") {
  const ConfigError e = YamlError(Tuner(), "{kind: slow, burst: 4}");
  CHECK(e.key_path() == "stages.s.tuner.burst");
  CHECK_THAT(e.what(), Catch::Contains("does not apply to kind slow"));
  CHECK_THAT(e.what(), Catch::Contains("setting of fast"));
}

TEST_CASE("an unknown tag value gets a suggestion", "[params]") {
  const ConfigError e = YamlError(Tuner(), "{kind: fsat}");
  CHECK(e.key_path() == "stages.s.tuner.kind");
  CHECK_THAT(e.what(), Catch::Contains("did you mean 'fast'"));
}

TEST_CASE("field values are converted and range-checked", "[params]") {
  CHECK(FromYaml(Tuner(), "{kind: fast, burst: 2.0}")["burst"] == 2);
  const ConfigError below = YamlError(Tuner(), "{kind: fast, rate: 0}");
  CHECK(below.key_path() == "stages.s.tuner.rate");
  CHECK_THAT(below.what(), Catch::Contains("below the minimum"));
  CHECK_THAT(YamlError(Tuner(), "{kind: slow, calm: high}").what(),
             Catch::Contains("not a number"));
}

TEST_CASE("list items resolve against the item schema with indexed key paths", "[params]") {
  const Json parts = FromYaml(Parts(), "[{type: wheel, size: 2}, {type: bell}]");
  CHECK(parts == Json::array({Json{{"type", "wheel"}, {"size", 2}}, Json{{"type", "bell"}}}));

  const ConfigError missing = YamlError(Parts(), "[{type: bell},\n {type: wheel}]");
  CHECK(missing.key_path() == "stages.s.parts[1].size");
  CHECK(missing.line() == 2);
  CHECK_THAT(missing.what(), Catch::Contains("missing 'size'"));

  const ConfigError tag = YamlError(Parts(), "[{type: wheal, size: 1}]");
  CHECK(tag.key_path() == "stages.s.parts[0].type");
  CHECK_THAT(tag.what(), Catch::Contains("did you mean 'wheel'"));

  CHECK_THAT(YamlError(Parts(), "[]").what(), Catch::Contains("0 item(s)"));
}

TEST_CASE("ranges accept [low, high] and, where declared, a single number", "[params]") {
  const ParamSpec angle =
      ParamSpec::Range("angle", nullptr, "a").ScalarMeans(RangeScalar::kSymmetric).Min(-90).Max(90);
  CHECK(FromYaml(angle, "15") == Json::array({-15.0, 15.0}));
  CHECK(FromYaml(angle, "[-5, 10]") == Json::array({-5.0, 10.0}));
  CHECK_THAT(YamlError(angle, "[10, -5]").what(), Catch::Contains("exceeds high"));
  CHECK_THAT(YamlError(angle, "[0, 100]").what(), Catch::Contains("above the maximum"));

  const ParamSpec shift = ParamSpec::Range("shift", nullptr, "s").ScalarMeans(RangeScalar::kRepeated);
  CHECK(FromYaml(shift, "0.2") == Json::array({0.2, 0.2}));
  CHECK(FromYaml(shift, "[0.3, 0.1]") == Json::array({0.3, 0.1}));  // [fx, fy], not ordered

  const ParamSpec pair = ParamSpec::Range("pair", nullptr, "p");
  CHECK_THAT(YamlError(pair, "3").what(), Catch::Contains("expected a list [low, high]"));
}

TEST_CASE("help shows nested fields with their defaults", "[params]") {
  const std::string help = pipeline::ParamHelp(Tuner(), 2);
  CHECK_THAT(help, Catch::Contains("kind: fast | slow"));
  CHECK_THAT(help, Catch::Contains("with kind: fast"));
  CHECK_THAT(help, Catch::Contains("burst (int >= 1, default 3)"));
  CHECK_THAT(help, Catch::Contains("decay (float >= 0, default 0"));
  CHECK_THAT(pipeline::ParamHelp(Parts(), 2), Catch::Contains("each item:"));
}
