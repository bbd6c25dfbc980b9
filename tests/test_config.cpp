// The study file: defaults, round trip through to_toml, resolution of dt_out, every
// validation rule, unknown keys and sections, wrong types, syntax errors, --set, warnings,
// and the key table against the parser, to_toml and docs/study-file.md.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "dislo/checkpoint.hpp"
#include "dislo/config.hpp"
#include "tolerances.hpp"

namespace dislo {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The InputError message of parsing `text` (source "study.toml"); fails the test if the
// text parses.
std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    parse_study(text, "study.toml", overrides);
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "message is not one line: " << msg;
    EXPECT_THAT(msg, HasSubstr("study.toml: ")) << msg;
    return msg;
  }
  ADD_FAILURE() << "no InputError for:\n" << text;
  return {};
}

TEST(Config, DefaultStudy) {
  const Study s = load_study("");
  EXPECT_EQ(s.source, "<default>");
  EXPECT_EQ(s.model.n, 1000);
  ASSERT_TRUE(s.model.n_plus.has_value());
  EXPECT_EQ(*s.model.n_plus, 500);
  EXPECT_EQ(s.model.lattice, 128);
  EXPECT_DOUBLE_EQ(s.model.eps(), 1.0 / 128);
  EXPECT_EQ(s.model.delta, 0.0625);
  EXPECT_EQ(s.model.beta, 4.0);
  EXPECT_FALSE(s.model.noiseless());
  EXPECT_EQ(s.model.T, 1.0);
  EXPECT_EQ(s.kernel, KernelKind::gaussian);
  EXPECT_EQ(s.initial.kind, InitialKind::cosine);
  EXPECT_EQ(s.initial.mass_plus, 0.5);
  EXPECT_EQ(s.initial.amplitude, 0.5);
  EXPECT_EQ(s.initial.amplitude_minus, -0.5);
  EXPECT_EQ(s.initial.k, (std::array<int, 2>{1, 0}));
  EXPECT_EQ(s.run.models, (std::vector<std::string>{"mf", "mfeps"}));
  EXPECT_TRUE(s.run.has_model("mf"));
  EXPECT_TRUE(s.run.has_model("mfeps"));
  EXPECT_FALSE(s.run.has_model("sde"));
  EXPECT_EQ(s.run.replicas, "64");
  EXPECT_EQ(s.run.seed, 1u);
  EXPECT_EQ(s.run.times, (std::vector<double>{0.0, 0.25, 0.5, 0.75, 1.0}));
  EXPECT_EQ(s.run.output, "dislo.h5");
  EXPECT_EQ(s.metrics.kinds, (std::vector<std::string>{"bl", "w1", "hs"}));
  EXPECT_EQ(s.mf.M, 256);
  EXPECT_EQ(s.mf.hyperviscosity, 0.0);
  EXPECT_EQ(s.mf.ts_type, "etdrk4");
  EXPECT_EQ(s.mfeps.ts_type, "etdrk4");
  EXPECT_EQ(s.mf.rtol, 1e-4);
  EXPECT_EQ(s.mf.atol, 1e-12);
  EXPECT_TRUE(s.warnings.empty());
  // An empty study file is the default study.
  Study e = parse_study("", "<default>");
  EXPECT_EQ(e, s);
}

TEST(Config, EnumNames) {
  EXPECT_STREQ(to_string(KernelKind::gaussian), "gaussian");
  EXPECT_STREQ(to_string(KernelKind::cai), "cai");
  EXPECT_STREQ(to_string(KernelKind::bump), "bump");
  EXPECT_STREQ(to_string(InitialKind::uniform), "uniform");
  EXPECT_STREQ(to_string(InitialKind::cosine), "cosine");
  EXPECT_STREQ(to_string(InitialKind::blobs), "blobs");
  EXPECT_STREQ(to_string(InitialKind::file), "file");
}

TEST(Config, FullFile) {
  const Study s = parse_study(R"(
[model]
n = 10
n_plus = "random"
lattice = 64
delta = 0.1
beta = "inf"
T = 2

[potential]
kind = "cai"

[initial]
kind = "blobs"
mass_plus = 0.25
blobs_plus = [{ centre = [0.25, 0.75], width = 0.05, weight = 2 }]
blobs_minus = [{ centre = [0.5, 0.5] }, { centre = [0.0, 0.9], width = 0.2, weight = 0.5 }]

[run]
models = ["sde", "mf"]
replicas = "auto"
target_stderr = 0.001
seed = 0
times = [0, 1, 2]
output = "out.h5"

[metrics]
kinds = ["w1"]

[mf]
M = 64
rtol = 1e-8
atol = 1e-10
ts_type = "rk"

[mfeps]
ts_type = "bdf"
)",
                              "study.toml");
  EXPECT_EQ(s.model.n, 10);
  EXPECT_FALSE(s.model.n_plus.has_value());
  EXPECT_EQ(s.model.lattice, 64);
  EXPECT_TRUE(s.model.noiseless());
  EXPECT_EQ(s.model.T, 2.0);
  EXPECT_EQ(s.kernel, KernelKind::cai);
  EXPECT_EQ(s.initial.kind, InitialKind::blobs);
  EXPECT_DOUBLE_EQ(s.initial.mass_minus(), 0.75);
  ASSERT_EQ(s.initial.blobs_plus.size(), 1u);
  EXPECT_EQ(s.initial.blobs_plus[0].centre, (std::array<double, 2>{0.25, 0.75}));
  EXPECT_EQ(s.initial.blobs_plus[0].width, 0.05);
  EXPECT_EQ(s.initial.blobs_plus[0].weight, 2.0);
  ASSERT_EQ(s.initial.blobs_minus.size(), 2u);
  EXPECT_EQ(s.initial.blobs_minus[0].width, Blob{}.width);
  EXPECT_EQ(s.initial.blobs_minus[1].weight, 0.5);
  EXPECT_EQ(s.run.models, (std::vector<std::string>{"sde", "mf"}));
  EXPECT_EQ(s.run.replicas, "auto");
  EXPECT_EQ(s.run.seed, 0u);
  EXPECT_EQ(s.run.times, (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(s.run.output, "out.h5");
  EXPECT_EQ(s.metrics.kinds, (std::vector<std::string>{"w1"}));
  EXPECT_EQ(s.mf.M, 64);
  EXPECT_EQ(s.mf.rtol, 1e-8);
  EXPECT_EQ(s.mf.ts_type, "rk");
  EXPECT_EQ(s.mfeps.ts_type, "bdf");
  // beta = inf without hyperviscosity: the default becomes 10.
  EXPECT_EQ(s.mf.hyperviscosity, 10.0);
  // Settings no model uses are reported; beta = inf > delta/eps is not (no lattice model).
  for (const auto& w : s.warnings) std::printf("[ warning ] %s\n", w.c_str());
  ASSERT_EQ(s.warnings.size(), 2u);
  EXPECT_NE(s.warnings[0].find("[mfeps] is set (ts_type) but run.models has no"),
            std::string::npos);
  EXPECT_NE(s.warnings[1].find("model.lattice is set but"), std::string::npos);
}

TEST(Config, UnusedSettingsAreReported) {
  // Nothing is silently ignored: a section or key no model of the run reads is warned
  // about, once; the same keys with their models running are not.
  const std::string ensemble_keys = "[run]\nreplicas = 8\n[sde]\ndt = 0.001\n";
  const Study alone = parse_study(ensemble_keys, "a.toml");
  ASSERT_EQ(alone.warnings.size(), 2u);
  EXPECT_EQ(alone.warnings[0], "a.toml: [sde] is set (dt) but run.models has no \"sde\": unused");
  EXPECT_EQ(alone.warnings[1],
            "a.toml: run.replicas is set but run.models has no \"sde\" or \"rw\": unused");
  const Study used = parse_study(ensemble_keys, "b.toml", {"run.models=[\"sde\"]"});
  EXPECT_TRUE(used.warnings.empty());
  // Assumption 2 only where eps plays a role.
  const std::string coarse = "[model]\nlattice = 8\nbeta = 8\ndelta = 0.125\n[run]\nmodels = ";
  const auto mf_only = parse_study(coarse + "[\"mf\"]\n", "c.toml").warnings;
  ASSERT_EQ(mf_only.size(), 1u);  // lattice unused, nothing about Assumption 2
  EXPECT_NE(mf_only[0].find("model.lattice is set"), std::string::npos);
  const auto lattice = parse_study(coarse + "[\"mf\", \"mfeps\"]\n", "c.toml").warnings;
  ASSERT_EQ(lattice.size(), 1u);
  EXPECT_NE(lattice[0].find("beta = 8 > delta/eps = 1"), std::string::npos);
}

TEST(Config, SignCountFollowsTheMasses) {
  // n_plus unset: the nearest integer to mass_plus n (ties down, n/2 at mass 1/2).
  EXPECT_EQ(*parse_study("[model]\nn = 5\n", "s").model.n_plus, 2);
  EXPECT_EQ(*parse_study("[model]\nn = 1000\n[initial]\nmass_plus = 0.3\n", "s").model.n_plus, 300);
  // Set and more than one dislocation away from mass_plus n: the discrepancy is warned.
  const Study s = parse_study("[model]\nn = 400\nn_plus = 200\n[run]\nmodels = [\"sde\"]\n",
                              "e.toml", {"model.n=1000"});
  EXPECT_EQ(*s.model.n_plus, 200);
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("kappa = 0.3"), std::string::npos) << s.warnings[0];
}

TEST(Config, DefaultsDependingOnOtherKeys) {
  EXPECT_EQ(*parse_study("[model]\nn = 7", "s").model.n_plus, 3);
  const Study a = parse_study("[initial]\namplitude = 0.3", "s");
  EXPECT_EQ(a.initial.amplitude_minus, -0.3);
  const Study b = parse_study("[initial]\namplitude = 0.3\namplitude_minus = 0.2", "s");
  EXPECT_EQ(b.initial.amplitude_minus, 0.2);
  const Study c = parse_study("[model]\nbeta = \"inf\"\n[mf]\nhyperviscosity = 0", "s");
  EXPECT_EQ(c.mf.hyperviscosity, 0.0);
  EXPECT_TRUE(parse_study("[model]\nbeta = inf", "s").model.noiseless());
  // Without times or dt_out: five equally spaced times from 0 to T.
  EXPECT_EQ(parse_study("[model]\nT = 2", "s").run.times, (std::vector<double>{0, 0.5, 1, 1.5, 2}));
}

void expect_round_trip(const Study& s) {
  const std::string text = to_toml(s);
  Study back = parse_study(text, s.source);
  EXPECT_EQ(back, s) << text;
  // And to_toml is a fixed point.
  EXPECT_EQ(to_toml(back), text);
}

TEST(Config, RoundTrip) {
  expect_round_trip(load_study(""));
  expect_round_trip(parse_study(R"(
[model]
n = 3
n_plus = "random"
lattice = 100
delta = 0.123456789012345678
beta = "inf"
T = 0.7
[potential]
kind = "bump"
[initial]
kind = "blobs"
mass_plus = 0.3333333333333333
phase = 3.141592653589793
phase_minus = -1e-300
k = [-2, 5]
blobs_plus = [{ centre = [0.1, 0.2], width = 0.03, weight = 1.5 }]
blobs_minus = [{ centre = [0.9, 0.0] }, { centre = [0.4, 0.6], weight = 7 }]
[run]
models = ["rw", "sde", "mfeps"]
replicas = 5
seed = 9223372036854775807
dt_out = 0.1
output = "a \"quoted\" \\ name.h5"
[metrics]
kinds = []
[mf]
M = 8
rtol = 1.5e-7
atol = 2e-12
ts_type = "rosw"
[mfeps]
rtol = 0.1
atol = 1e+3
ts_type = "euler"
)",
                                "x.toml"));
  expect_round_trip(parse_study("[initial]\nkind = \"file\"\nfile = \"rho.h5\"", "y.toml"));
  expect_round_trip(parse_study("[run]\ndt_out = 0.3\n[model]\nT = 1.1", "z.toml"));
  // beta as a float with many digits.
  expect_round_trip(parse_study("[model]\nbeta = 0.30000000000000004", "w.toml"));
  // The output has every key.
  const std::string t = to_toml(load_study(""));
  for (const char* key : {"n_plus = 500", "beta = 4.0", "times = [0.0, 0.25, 0.5, 0.75, 1.0]",
                          "hyperviscosity = 0.0", "replicas = 64", "blobs_plus = []"})
    EXPECT_THAT(t, HasSubstr(key));
  EXPECT_THAT(to_toml(parse_study("[model]\nn_plus = \"random\"\nbeta = \"inf\"", "s")),
              HasSubstr("beta = \"inf\""));
}

TEST(Config, DtOut) {
  auto times = [](const std::string& text) { return parse_study(text, "s").run.times; };
  EXPECT_EQ(times("[run]\ndt_out = 0.25"), (std::vector<double>{0, 0.25, 0.5, 0.75, 1}));
  // T is included even if it is not a multiple of dt_out.
  const auto t = times("[run]\ndt_out = 0.3");
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t.front(), 0.0);
  EXPECT_NEAR(t[3], 0.9, tol::roundoff);
  EXPECT_EQ(t.back(), 1.0);
  // A multiple up to rounding gives no extra time just below T.
  const auto d = times("[model]\nT = 0.3\n[run]\ndt_out = 0.1");
  ASSERT_EQ(d.size(), 4u);
  EXPECT_NEAR(d[2], 0.2, tol::roundoff);
  EXPECT_EQ(d.back(), 0.3);
  // dt_out larger than T.
  EXPECT_EQ(times("[run]\ndt_out = 5"), (std::vector<double>{0, 1}));
}

TEST(Config, BlobsAsArrayOfTables) {
  const Study s = parse_study(R"(
[initial]
kind = "blobs"
[[initial.blobs_plus]]
centre = [0.2, 0.3]
width = 0.05
[[initial.blobs_minus]]
centre = [0.7, 0.8]
)",
                              "s");
  ASSERT_EQ(s.initial.blobs_plus.size(), 1u);
  EXPECT_EQ(s.initial.blobs_plus[0].width, 0.05);
  ASSERT_EQ(s.initial.blobs_minus.size(), 1u);
  EXPECT_EQ(s.initial.blobs_minus[0].centre, (std::array<double, 2>{0.7, 0.8}));
}

// ---------------------------------------------------------------- one test per rule

TEST(ConfigReject, LatticeBelowFour) {
  const auto m = error_of("[model]\nlattice = 3");
  EXPECT_THAT(m, HasSubstr("model.lattice = 3"));
  EXPECT_THAT(m, HasSubstr(">= 4"));
}

TEST(ConfigReject, DeltaAboveHalf) {
  const auto m = error_of("[model]\ndelta = 0.7");
  EXPECT_EQ(m,
            "study.toml: model.delta = 0.7: must satisfy eps = 1/lattice = 0.0078125 <= delta "
            "<= 0.5");
}

TEST(ConfigReject, DeltaBelowEps) {
  EXPECT_THAT(error_of("[model]\nlattice = 4\ndelta = 0.2"),
              HasSubstr("model.delta = 0.2: must satisfy eps = 1/lattice = 0.25 <= delta"));
  // Also when delta is the default and lattice makes it invalid.
  EXPECT_THAT(error_of("[model]\nlattice = 8"), HasSubstr("model.delta = 0.0625 (default)"));
}

TEST(ConfigReject, BumpCoreAboveQuarter) {
  EXPECT_EQ(error_of("[model]\ndelta = 0.3\n[potential]\nkind = \"bump\""),
            "study.toml: model.delta = 0.3: potential.kind = \"bump\" needs delta <= 0.25");
  EXPECT_NO_THROW(dislo::parse_study("[model]\ndelta = 0.3", "study.toml"));
}

TEST(ConfigReject, BetaNotPositive) {
  EXPECT_THAT(error_of("[model]\nbeta = 0"), HasSubstr("model.beta = 0: must be"));
  EXPECT_THAT(error_of("[model]\nbeta = -1.5"), HasSubstr("model.beta = -1.5"));
  EXPECT_THAT(error_of("[model]\nbeta = nan"), HasSubstr("model.beta = nan"));
  EXPECT_THAT(error_of("[model]\nbeta = \"infinite\""), HasSubstr("model.beta = \"infinite\""));
}

TEST(ConfigReject, NBelowOne) {
  EXPECT_THAT(error_of("[model]\nn = 0"),
              HasSubstr("model.n = 0: must be an integer in [1, 2147483647]"));
  EXPECT_THAT(error_of("[model]\nn = 2147483648"),
              HasSubstr("model.n = 2147483648: must be an integer in [1, 2147483647]"));
}

TEST(ConfigReject, NPlusOutOfRange) {
  EXPECT_THAT(error_of("[model]\nn = 10\nn_plus = 11"),
              HasSubstr("model.n_plus = 11: must satisfy 0 <= n_plus <= n = 10"));
  EXPECT_THAT(error_of("[model]\nn_plus = -1"), HasSubstr("model.n_plus = -1"));
  EXPECT_THAT(error_of("[model]\nn_plus = \"half\""), HasSubstr("model.n_plus = \"half\""));
}

TEST(ConfigReject, TNotPositiveFinite) {
  EXPECT_THAT(error_of("[model]\nT = 0"), HasSubstr("model.T = 0: must be a finite number > 0"));
  EXPECT_THAT(error_of("[model]\nT = inf"), HasSubstr("model.T = inf"));
}

TEST(ConfigReject, TimesOutsideZeroT) {
  EXPECT_THAT(error_of("[run]\ntimes = [0, 1.5]"),
              HasSubstr("run.times = [0, 1.5]: must be non-empty, strictly increasing and "
                        "inside [0, T] = [0, 1]"));
  EXPECT_THAT(error_of("[run]\ntimes = [-0.1, 0.5]"), HasSubstr("run.times = [-0.1, 0.5]"));
  // The first bad entry is named.
  EXPECT_THAT(error_of("[run]\ntimes = [0, 0.5, 1.5]"),
              HasSubstr("entry 2 = 1.5 is outside [0, T]"));
}

TEST(ConfigReject, TimesNotIncreasing) {
  EXPECT_THAT(error_of("[run]\ntimes = [0.5, 0.5]"),
              HasSubstr("run.times = [0.5, 0.5]: must be non-empty, strictly increasing"));
  EXPECT_THAT(error_of("[run]\ntimes = [0.5, 0.25]"), HasSubstr("run.times = [0.5, 0.25]"));
  EXPECT_THAT(error_of("[run]\ntimes = [0.5, 0.25]"),
              HasSubstr("entry 1 = 0.25 is not above the entry before it"));
}

TEST(ConfigReject, TimesEmpty) {
  EXPECT_THAT(error_of("[run]\ntimes = []"), HasSubstr("run.times = []: must be non-empty"));
}

TEST(ConfigReject, DtOutNotPositive) {
  EXPECT_THAT(error_of("[run]\ndt_out = 0"),
              HasSubstr("run.dt_out = 0: must be a finite number > 0"));
  EXPECT_THAT(error_of("[run]\ndt_out = -0.1"), HasSubstr("run.dt_out = -0.1"));
}

TEST(ConfigReject, DtOutTooSmall) {
  EXPECT_THAT(error_of("[run]\ndt_out = 1e-9"), HasSubstr("run.dt_out = 1e-09: gives more than"));
}

TEST(ConfigReject, TimesAndDtOut) {
  EXPECT_THAT(error_of("[run]\ntimes = [0, 1]\ndt_out = 0.5"),
              HasSubstr("run.dt_out = 0.5: give either run.times or run.dt_out, not both"));
}

TEST(ConfigReject, MassPlusOutsideUnitInterval) {
  EXPECT_THAT(error_of("[initial]\nmass_plus = 1.5"),
              HasSubstr("initial.mass_plus = 1.5: must satisfy 0 <= mass_plus <= 1"));
  EXPECT_THAT(error_of("[initial]\nmass_plus = -0.1"), HasSubstr("initial.mass_plus = -0.1"));
}

TEST(ConfigReject, CosineAmplitude) {
  EXPECT_THAT(error_of("[initial]\namplitude = 1.2"),
              HasSubstr("initial.amplitude = 1.2: must satisfy |amplitude| <= 1"));
  EXPECT_THAT(error_of("[initial]\namplitude_minus = -1.01"),
              HasSubstr("initial.amplitude_minus = -1.01: must satisfy |amplitude_minus| <= 1"));
}

TEST(ConfigReject, BlobWidth) {
  EXPECT_THAT(error_of("[initial]\nkind = \"blobs\"\nblobs_plus = [{centre = [0.5, 0.5], width "
                       "= 0}]\nblobs_minus = [{centre = [0.5, 0.5]}]"),
              HasSubstr("initial.blobs_plus[0].width = 0: must be a finite number > 0"));
}

TEST(ConfigReject, BlobWeight) {
  EXPECT_THAT(error_of("[initial]\nkind = \"blobs\"\nblobs_plus = [{centre = [0.5, 0.5]}]\n"
                       "blobs_minus = [{centre = [0.5, 0.5]}, {centre = [0.1, 0.1], weight = "
                       "-2}]"),
              HasSubstr("initial.blobs_minus[1].weight = -2: must be a finite number > 0"));
}

TEST(ConfigReject, BlobCentre) {
  EXPECT_THAT(error_of("[initial]\nblobs_plus = [{centre = [1.0, 0.5]}]"),
              HasSubstr("initial.blobs_plus[0].centre = [1.0, 0.5]: must lie in [0, 1)^2"));
  EXPECT_THAT(error_of("[initial]\nblobs_plus = [{centre = [0.5]}]"),
              HasSubstr("initial.blobs_plus[0].centre = [0.5]: expected two numbers"));
  EXPECT_THAT(error_of("[initial]\nblobs_plus = [{width = 0.1}]"),
              HasSubstr("initial.blobs_plus[0].centre: missing"));
  EXPECT_THAT(error_of("[initial]\nblobs_plus = [{centre = [0.5, 0.5], size = 1}]"),
              HasSubstr("initial.blobs_plus[0].size: unknown key"));
}

TEST(ConfigReject, BlobsMissingForSignWithMass) {
  EXPECT_THAT(error_of("[initial]\nkind = \"blobs\"\nblobs_plus = [{centre = [0.5, 0.5]}]"),
              HasSubstr("initial.blobs_minus: at least one blob is needed"));
  EXPECT_THAT(error_of("[initial]\nkind = \"blobs\"\nblobs_plus = []"),
              HasSubstr("initial.blobs_plus = []: at least one blob is needed"));
  // A sign without mass needs no blob.
  const Study s = parse_study(
      "[initial]\nkind = \"blobs\"\nmass_plus = 1\nblobs_plus = [{centre = [0.5, 0.5]}]", "s");
  EXPECT_TRUE(s.initial.blobs_minus.empty());
}

TEST(ConfigReject, FileEmptyPath) {
  EXPECT_THAT(error_of("[initial]\nkind = \"file\""), HasSubstr("initial.file: kind = \"file\""));
  EXPECT_THAT(error_of("[initial]\nkind = \"file\"\nfile = \"\""),
              HasSubstr("initial.file = \"\": kind = \"file\" needs a non-empty path"));
}

TEST(ConfigReject, InitialKind) {
  EXPECT_THAT(error_of("[initial]\nkind = \"gauss\""),
              HasSubstr("initial.kind = \"gauss\": must be one of uniform, cosine, blobs, file"));
}

TEST(ConfigReject, MfGridOddOrSmall) {
  EXPECT_THAT(error_of("[mf]\nM = 63"), HasSubstr("mf.M = 63: must be an even integer"));
  EXPECT_THAT(error_of("[mf]\nM = 6"), HasSubstr("mf.M = 6: must be an even integer with 8 <= M"));
}

TEST(ConfigReject, Tolerances) {
  EXPECT_THAT(error_of("[mf]\nrtol = 0"), HasSubstr("mf.rtol = 0: must be a finite number > 0"));
  EXPECT_THAT(error_of("[mf]\natol = -1e-9"), HasSubstr("mf.atol = -1e-09"));
  EXPECT_THAT(error_of("[mfeps]\nrtol = -1.0"), HasSubstr("mfeps.rtol = -1.0"));
  EXPECT_THAT(error_of("[mfeps]\natol = 0.0"), HasSubstr("mfeps.atol = 0.0"));
}

TEST(ConfigReject, HyperviscosityNegative) {
  EXPECT_THAT(error_of("[mf]\nhyperviscosity = -1"),
              HasSubstr("mf.hyperviscosity = -1: must be a finite number >= 0"));
}

TEST(ConfigReject, TsTypeEmpty) {
  EXPECT_THAT(error_of("[mf]\nts_type = \"\""),
              HasSubstr("mf.ts_type = \"\": must be a non-empty string"));
  EXPECT_THAT(error_of("[mfeps]\nts_type = 3"), HasSubstr("mfeps.ts_type = 3: expected a string"));
}

TEST(ConfigReject, KernelKind) {
  EXPECT_THAT(error_of("[potential]\nkind = \"lorentz\""),
              HasSubstr("potential.kind = \"lorentz\": must be one of gaussian, cai, bump"));
}

TEST(ConfigReject, Models) {
  EXPECT_THAT(
      error_of("[run]\nmodels = []"),
      HasSubstr("run.models = []: must be a non-empty subset of [mf, mfeps, sde, rw, exact2]"));
  EXPECT_THAT(error_of("[run]\nmodels = [\"mf\", \"mf\"]"),
              HasSubstr("run.models = [\"mf\", \"mf\"]: must be"));
  EXPECT_THAT(error_of("[run]\nmodels = [\"pde\"]"), HasSubstr("run.models = [\"pde\"]"));
}

TEST(ConfigReject, MetricKinds) {
  EXPECT_THAT(error_of("[metrics]\nkinds = [\"w2\"]"),
              HasSubstr("metrics.kinds = [\"w2\"]: must be a subset of [bl, w1, hs]"));
}

TEST(ConfigReject, Replicas) {
  EXPECT_THAT(error_of("[run]\nreplicas = 0"),
              HasSubstr("run.replicas = 0: must be an integer >= 1 or \"auto\""));
  EXPECT_THAT(error_of("[run]\nreplicas = \"many\""), HasSubstr("run.replicas = \"many\""));
}

TEST(ConfigReject, SeedNegative) {
  EXPECT_THAT(error_of("[run]\nseed = -1"), HasSubstr("run.seed = -1: must be an integer >= 0"));
}

TEST(ConfigReject, OutputEmpty) {
  EXPECT_THAT(error_of("[run]\noutput = \"\""), HasSubstr("run.output = \"\""));
}

TEST(ConfigReject, UnknownKey) {
  const auto m = error_of("[model]\nlatice = 64");
  EXPECT_THAT(m, HasSubstr("study.toml: model.latice: unknown key (allowed: n, n_plus, lattice"));
}

TEST(ConfigReject, UnknownSection) {
  EXPECT_THAT(error_of("[modle]\nn = 3"), HasSubstr("[modle]: unknown section (allowed: model"));
  EXPECT_THAT(error_of("[sweep]\nx = 1"), HasSubstr("sweep.x: unknown key (allowed: n, lattice"));
  EXPECT_THAT(error_of("n = 3"), HasSubstr("[n]: unknown section"));
  EXPECT_THAT(error_of("model = 3"), HasSubstr("model = 3: expected a table [model]"));
}

TEST(ConfigReject, WrongType) {
  EXPECT_THAT(error_of("[model]\nn = \"abc\""),
              HasSubstr("model.n = \"abc\": expected an integer"));
  EXPECT_THAT(error_of("[model]\nbeta = [1]"), HasSubstr("model.beta = [1]: expected a number"));
  // Integer-valued floats are not integers.
  EXPECT_THAT(error_of("[model]\nlattice = 128.0"),
              HasSubstr("model.lattice = 128.0: expected an integer"));
  EXPECT_THAT(error_of("[mf]\nM = 64.0"), HasSubstr("mf.M = 64.0: expected an integer"));
  EXPECT_THAT(error_of("[model]\ndelta = \"0.1\""),
              HasSubstr("model.delta = \"0.1\": expected a number"));
  EXPECT_THAT(error_of("[run]\ntimes = [0, \"1\"]"),
              HasSubstr("run.times = [0, \"1\"]: expected an array of numbers"));
  EXPECT_THAT(error_of("[run]\nmodels = \"mf\""),
              HasSubstr("run.models = \"mf\": expected an array of strings"));
  EXPECT_THAT(error_of("[initial]\nk = [1.0, 0]"),
              HasSubstr("initial.k = [1.0, 0]: expected two integers"));
  EXPECT_THAT(error_of("[initial]\nblobs_plus = 3"), HasSubstr("initial.blobs_plus = 3: expected"));
}

TEST(ConfigReject, SyntaxError) {
  const auto m = error_of("[model]\nn = 1000\ndelta = = 0.1\n");
  EXPECT_THAT(m, HasSubstr("study.toml: line 3, column"));
  EXPECT_THAT(m, HasSubstr("TOML syntax error"));
}

TEST(Config, FileNotReadable) {
  EXPECT_THROW(load_study("/nonexistent/dir/study.toml"), InputError);
  try {
    load_study("/nonexistent/dir/study.toml");
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/dir/study.toml"));
  }
}

TEST(Config, LoadFromFile) {
  const std::string path = ::testing::TempDir() + "dislo_test_config_study.toml";
  {
    std::ofstream f(path);
    f << "[model]\nlattice = 64\n[run]\ndt_out = 0.5\n";
  }
  const Study s = load_study(path, {"model.n=20"});
  std::remove(path.c_str());
  EXPECT_EQ(s.source, path);
  EXPECT_EQ(s.model.lattice, 64);
  EXPECT_EQ(s.model.n, 20);
  EXPECT_EQ(*s.model.n_plus, 10);
  EXPECT_EQ(s.run.times, (std::vector<double>{0, 0.5, 1}));
}

// ---------------------------------------------------------------- --set

TEST(ConfigOverride, Applies) {
  const Study s = parse_study("[model]\nlattice = 64", "study.toml",
                              {"model.lattice=256", "model.beta=inf", "run.output=out dir/r.h5",
                               "run.models=[\"sde\"]", "potential.kind=bump", "mf.M = 32",
                               "initial.blobs_plus=[{centre=[0.1,0.1]}]", "run.times=[0, 1]"});
  EXPECT_EQ(s.model.lattice, 256);
  EXPECT_TRUE(s.model.noiseless());
  EXPECT_EQ(s.run.output, "out dir/r.h5");  // not TOML: a bare string
  EXPECT_EQ(s.run.models, (std::vector<std::string>{"sde"}));
  EXPECT_EQ(s.kernel, KernelKind::bump);  // bare string
  EXPECT_EQ(s.mf.M, 32);
  EXPECT_EQ(s.initial.blobs_plus.size(), 1u);
  EXPECT_EQ(s.run.times, (std::vector<double>{0, 1}));
  // On the default study too; a later override wins.
  const Study d = load_study("", {"run.seed=5", "run.seed=7", "model.beta=\"inf\""});
  EXPECT_EQ(d.run.seed, 7u);
  EXPECT_TRUE(d.model.noiseless());
  EXPECT_EQ(d.mf.hyperviscosity, 10.0);
}

TEST(ConfigOverride, Validated) {
  const auto m = error_of("", {"model.delta=0.7"});
  EXPECT_THAT(m, HasSubstr("--set model.delta = 0.7: must satisfy"));
  EXPECT_THAT(error_of("", {"model.lattice=128.0"}),
              HasSubstr("--set model.lattice = 128.0: expected an integer"));
  EXPECT_THAT(error_of("", {"model.n=abc"}), HasSubstr("model.n = \"abc\": expected an integer"));
  EXPECT_THAT(error_of("[run]\ntimes = [0, 1]", {"run.dt_out=0.1"}),
              HasSubstr("run.dt_out = 0.1: give either"));
}

TEST(ConfigOverride, UnknownKey) {
  EXPECT_THAT(error_of("", {"model.latice=64"}),
              HasSubstr("--set model.latice: unknown key (allowed: n, n_plus"));
  EXPECT_THAT(error_of("", {"foo.dt=0.1"}), HasSubstr("--set foo.dt: unknown section"));
}

TEST(ConfigParticles, SdeAndRwKeys) {
  const Study s = parse_study(
      "[sde]\ndt = 0.001\nforce = \"pm\"\npm_tolerance = 1e-7\nnoise_refinement = 3\n"
      "[rw]\nalgorithm = \"reference\"",
      "<t>");
  EXPECT_EQ(s.sde.dt, 0.001);
  EXPECT_EQ(s.sde.force, "pm");
  EXPECT_EQ(s.sde.pm_tolerance, 1e-7);
  EXPECT_EQ(s.sde.noise_refinement, 3);
  EXPECT_EQ(s.rw.algorithm, "reference");
  EXPECT_EQ(parse_study(to_toml(s), "<again>"), [&] {
    Study t = s;
    t.source = "<again>";
    return t;
  }());
  EXPECT_EQ(parse_study("[sde]\ndt = \"auto\"", "<t>").sde.dt, 0);
}

TEST(ConfigParticles, MetricsKeys) {
  const Study s = parse_study(
      "[metrics]\ngrid = 64\nhs_order = 2.5\nhs_modes = 8\nlaw_bins = 32\npair_bins = 10", "<t>");
  EXPECT_EQ(s.metrics.grid, 64);
  EXPECT_EQ(s.metrics.hs_order, 2.5);
  EXPECT_EQ(s.metrics.hs_modes, 8);
  EXPECT_EQ(s.metrics.law_bins, 32);
  EXPECT_EQ(s.metrics.pair_bins, 10);
  EXPECT_FALSE(s.metrics.rw_against_mf);
  EXPECT_TRUE(parse_study("[metrics]\nrw_against_mf = true", "<t>").metrics.rw_against_mf);
  EXPECT_THAT(error_of("[metrics]\nrw_against_mf = 1"),
              HasSubstr("rw_against_mf = 1: expected true or false"));
  EXPECT_THAT(error_of("[metrics]\ngrid = 4"),
              HasSubstr("metrics.grid = 4: must be an integer in [8, 1024]"));
  EXPECT_THAT(error_of("[metrics]\nhs_order = 1"), HasSubstr("1 < s <= 10"));
  EXPECT_EQ(s.metrics.stencil, 16);
  EXPECT_EQ(parse_study("[metrics]\nstencil = 32", "<t>").metrics.stencil, 32);
  EXPECT_THAT(error_of("[metrics]\nstencil = 24"),
              HasSubstr("metrics.stencil = 24: must be 8, 16 or 32"));
  EXPECT_THAT(error_of("[run]\nmodels = [\"sde\"]\n[mf]\nM = 32\n[metrics]\nlaw_bins = 64"),
              HasSubstr("metrics.law_bins = 64: must be <= mf.M = 32"));
  EXPECT_EQ(s.metrics.method, "grid");
  const Study c = parse_study("[metrics]\nmethod = \"certified\"\ntolerance = 0.05", "<t>");
  EXPECT_EQ(c.metrics.method, "certified");
  EXPECT_EQ(c.metrics.tolerance, 0.05);
  EXPECT_THAT(error_of("[metrics]\nmethod = \"exact\""),
              HasSubstr("metrics.method = \"exact\": must be \"grid\" or \"certified\""));
  EXPECT_THAT(error_of("[metrics]\ntolerance = 0"), HasSubstr("metrics.tolerance = 0: must be"));
  // RW against MFeps at the sites themselves on any lattice (no all-pairs limit).
  for (const char* lattice : {"250", "256"})
    EXPECT_NO_THROW(parse_study(std::string("[model]\nn = 1000\nlattice = ") + lattice +
                                    "\n[run]\nmodels = [\"mfeps\", \"rw\"]\n[metrics]\n"
                                    "method = \"certified\"",
                                "<t>"))
        << lattice;
}

TEST(ConfigParticles, WalltimeInSecondsOrSlurmFormat) {
  EXPECT_EQ(parse_study("[run]\nwalltime = 90", "<t>").run.walltime, 90);
  EXPECT_EQ(parse_study("[run]\nwalltime = \"1:30\"", "<t>").run.walltime, 90);
  EXPECT_EQ(parse_study("[run]\nwalltime = \"02:00:05\"", "<t>").run.walltime, 7205);
  EXPECT_EQ(parse_study("[run]\nwalltime = \"1-00:00:00\"", "<t>").run.walltime, 86400);
  EXPECT_EQ(parse_study("", "<t>").run.walltime, 0);
  for (const char* bad : {"\"1h\"", "\"::\"", "\"5\"", "\"1:2:3:4\"", "\"0:00\"", "-3"})
    EXPECT_THAT(error_of(std::string("[run]\nwalltime = ") + bad), HasSubstr("run.walltime"))
        << bad;
}

TEST(ConfigParticles, AutomaticReplicas) {
  const Study s = parse_study(
      "[run]\nreplicas = \"auto\"\ntarget_stderr = 0.01\nmax_replicas = 500\nbatch = 32", "<t>");
  EXPECT_EQ(s.run.replicas, "auto");
  EXPECT_EQ(s.run.target_stderr, 0.01);
  EXPECT_EQ(s.run.max_replicas, 500);
  EXPECT_EQ(s.run.batch, 32);
  EXPECT_THAT(error_of("[run]\nreplicas = \"auto\""), HasSubstr("needs run.target_stderr > 0"));
  EXPECT_THAT(error_of("[run]\nmax_replicas = 0"),
              HasSubstr("run.max_replicas = 0: must be an integer >= 1"));
  EXPECT_THAT(error_of("[run]\nbatch = 0"),
              HasSubstr("run.batch = 0: must be an integer in [1, 1000000]"));
}

TEST(ConfigParticles, RanksPerReplica) {
  EXPECT_EQ(parse_study("", "<t>").run.ranks_per_replica, 1);
  const Study s = parse_study("[run]\nranks_per_replica = 4", "<t>");
  EXPECT_EQ(s.run.ranks_per_replica, 4);
  // A layout choice: written in the resolved study, left out of a checkpoint's identity.
  EXPECT_THAT(to_toml(s), HasSubstr("ranks_per_replica = 4"));
  EXPECT_THAT(to_toml(parse_study("", "<t>")), Not(HasSubstr("ranks_per_replica")));
  EXPECT_EQ(checkpoint_identity(s), checkpoint_identity(parse_study("", "<t>")));
  for (const char* bad : {"0", "-2", "2.5", "\"2\""})
    EXPECT_THAT(error_of(std::string("[run]\nranks_per_replica = ") + bad),
                HasSubstr("run.ranks_per_replica"))
        << bad;
  EXPECT_THAT(error_of("[run]\nranks_per_replica = 0"),
              HasSubstr("must be an integer in [1, 1000000] that divides the number of MPI ranks"));
}

TEST(ConfigParticles, Rejections) {
  EXPECT_THAT(error_of("[sde]\ndt = 0"), HasSubstr("sde.dt = 0: must be \"auto\" or a number"));
  EXPECT_THAT(error_of("[sde]\ndt = 2.0"), HasSubstr("0 < dt <= T = 1"));
  EXPECT_THAT(error_of("[sde]\nforce = \"fmm\""), HasSubstr("sde.force = \"fmm\": must be one of"));
  EXPECT_THAT(error_of("[sde]\npm_tolerance = 0.5"), HasSubstr("must be in [1e-12, 0.1]"));
  EXPECT_THAT(error_of("[sde]\nnoise_refinement = 17"), HasSubstr("integer in [0, 16]"));
  EXPECT_THAT(error_of("[sde]\node_rtol = -1"), HasSubstr("sde.ode_rtol = -1"));
  EXPECT_THAT(error_of("[rw]\nalgorithm = \"tau\""), HasSubstr("rw.algorithm = \"tau\": must be"));
  EXPECT_THAT(error_of("[model]\nn = 4\nn_plus = 4\n[initial]\nmass_plus = 0.0\n"
                       "[run]\nmodels = [\"sde\"]"),
              HasSubstr("model.n_plus = 4: a sign with particles needs positive initial mass"));
}

TEST(ConfigOverride, Malformed) {
  EXPECT_THAT(error_of("", {"model.lattice"}), HasSubstr("malformed"));
  EXPECT_THAT(error_of("", {"lattice=64"}), HasSubstr("--set lattice=64: malformed"));
  EXPECT_THAT(error_of("", {"=3"}), HasSubstr("malformed"));
}

// ---------------------------------------------------------------- warnings

TEST(Config, WarningOutsideAssumption2) {
  const Study s = parse_study("[model]\nlattice = 64\ndelta = 0.0625\nbeta = 8", "study.toml");
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_THAT(s.warnings[0],
              HasSubstr("outside Assumption 2 of the paper: beta = 8 > delta/eps = 4"));
  // At the boundary: no warning.
  EXPECT_TRUE(parse_study("[model]\nlattice = 64\ndelta = 0.0625\nbeta = 4", "s").warnings.empty());
  EXPECT_THAT(parse_study("[model]\nbeta = \"inf\"", "s").warnings,
              ::testing::ElementsAre(HasSubstr("beta = inf > delta/eps = 8")));
  EXPECT_THAT(to_toml(s), Not(HasSubstr("Assumption")));
}

// ---------------------------------------------------------------- [sweep]

// The InputError message of parse_sweep(text); fails the test if it parses.
std::string sweep_error_of(const std::string& text) {
  try {
    parse_sweep(text, "study.toml");
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    return msg;
  }
  ADD_FAILURE() << "no InputError for:\n" << text;
  return {};
}

TEST(ConfigSweep, ProductVariesTheLastKeyFastest) {
  const auto points = parse_sweep(
      "[run]\noutput = \"out/s.h5\"\n[sweep]\ndelta = [0.1, 0.2, 0.3]\nn = [10, 20]\n"
      "kernel = [\"gaussian\"]",
      "study.toml");
  ASSERT_EQ(points.size(), 6u);
  // Sweep order is n, lattice, delta, beta, T, kernel, seed whatever the file's order.
  const std::vector<std::pair<long, double>> expected{{10, 0.1}, {10, 0.2}, {10, 0.3},
                                                      {20, 0.1}, {20, 0.2}, {20, 0.3}};
  for (std::size_t p = 0; p < points.size(); ++p) {
    EXPECT_EQ(points[p].model.n, expected[p].first);
    EXPECT_EQ(points[p].model.n_plus, expected[p].first / 2);  // the default follows n
    EXPECT_EQ(points[p].model.delta, expected[p].second);
    EXPECT_EQ(points[p].sweep.index, long(p));
    EXPECT_EQ(points[p].sweep.points, 6);
    EXPECT_EQ(points[p].sweep.keys, (std::vector<std::string>{"n", "delta", "kernel"}));
    EXPECT_EQ(points[p].sweep.table, "out/s.h5");
    EXPECT_EQ(points[p].run.output, "out/s-" + std::to_string(p) + ".h5");
  }
  // A point's resolved study names the point and reads back as the same parameters.
  const std::string text = to_toml(points[4]);
  EXPECT_THAT(text, HasSubstr("# sweep point 4 of 6 (0-based; swept: n, delta, kernel)"));
  Study back = parse_study(text, "back.toml");
  EXPECT_EQ(back.model, points[4].model);
  EXPECT_EQ(back.run.output, points[4].run.output);
}

TEST(ConfigSweep, ZipPairsTheLists) {
  const auto points = parse_sweep(
      "[sweep]\nmode = \"zip\"\nlattice = [16, 32, 64]\ndelta = [0.25, 0.125, 0.0625]\n"
      "beta = [2, \"inf\", 8]\nseed = [3, 4, 5]\nT = [0.5, 1, 2]",
      "study.toml");
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[1].model.lattice, 32);
  EXPECT_EQ(points[1].model.delta, 0.125);
  EXPECT_TRUE(points[1].model.noiseless());
  EXPECT_EQ(points[2].run.seed, 5u);
  EXPECT_EQ(points[2].model.T, 2.0);
  EXPECT_EQ(points[0].run.output, "dislo-0.h5");
}

TEST(ConfigSweep, WithoutSweepOneStudyAndNoPoint) {
  const auto points = parse_sweep("[model]\nn = 7", "study.toml");
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].sweep.index, -1);
  EXPECT_EQ(points[0], parse_study("[model]\nn = 7", "study.toml"));
  // --set can make a sweep.
  EXPECT_EQ(parse_sweep("", "study.toml", {"sweep.n=[4, 8, 16]"}).size(), 3u);
}

TEST(ConfigSweep, PointOutputNames) {
  EXPECT_EQ(sweep_point_output("a/b/run.h5", 3, 12), "a/b/run-03.h5");
  EXPECT_EQ(sweep_point_output("run.h5", 0, 1), "run-0.h5");
  EXPECT_EQ(sweep_point_output("run", 7, 100), "run-07");
}

TEST(ConfigSweep, Rejections) {
  // A bad point names the sweep key, its position, and the point.
  EXPECT_THAT(sweep_error_of("[sweep]\ndelta = [0.1, 0.001]"),
              HasSubstr("study.toml: sweep.delta[1] = 0.001: must satisfy eps = 1/lattice = "
                        "0.0078125 <= delta <= 0.5 (sweep point 1 of 2: delta = 0.001)"));
  EXPECT_THAT(sweep_error_of("[sweep]\nlattice = [4]"),
              HasSubstr("model.delta = 0.0625 (default): must satisfy eps = 1/lattice = 0.25"));
  EXPECT_THAT(sweep_error_of("[sweep]\nn = [10, 0]"), HasSubstr("sweep.n[1] = 0: must be"));
  EXPECT_THAT(sweep_error_of("[sweep]\nkernel = [\"cia\"]"),
              HasSubstr("sweep.kernel[0] = \"cia\""));
  EXPECT_THAT(sweep_error_of("[sweep]\nn = 10"),
              HasSubstr("sweep.n = 10: expected a non-empty array of values of model.n"));
  EXPECT_THAT(sweep_error_of("[sweep]\nn = []"), HasSubstr("expected a non-empty array"));
  EXPECT_THAT(sweep_error_of("[sweep]\nmode = \"zip\"\nn = [1, 2]\ndelta = [0.1]"),
              HasSubstr("sweep.delta has 1 values but sweep.n has 2"));
  EXPECT_THAT(sweep_error_of("[sweep]\nmode = \"cartesian\"\nn = [1]"),
              HasSubstr("sweep.mode = \"cartesian\": must be \"product\" or \"zip\""));
  EXPECT_THAT(sweep_error_of("[sweep]\nmode = \"zip\""), HasSubstr("[sweep]: no values to sweep"));
  EXPECT_THAT(sweep_error_of("[sweep]\nn = [1, 2]\nfoo = 3"), HasSubstr("sweep.foo: unknown key"));
  // One study cannot be a sweep.
  EXPECT_THAT(error_of("[sweep]\nn = [1, 2]"), HasSubstr("[sweep]: a sweep is several studies"));
}

TEST(ConfigExact2, ValidStudiesOnly) {
  const std::string ok =
      "[model]\nn = 2\nn_plus = 1\n[initial]\nkind = \"cosine\"\n[run]\nmodels = [\"exact2\"]";
  EXPECT_TRUE(parse_study(ok, "study.toml").run.has_model("exact2"));
  EXPECT_THAT(error_of("[run]\nmodels = [\"exact2\"]"),
              HasSubstr("run.models = [\"exact2\"]: \"exact2\" needs model.n = 2 (is 1000)"));
  EXPECT_THAT(error_of("[model]\nn = 2\nn_plus = \"random\"\n[run]\nmodels = [\"exact2\"]"),
              HasSubstr("needs fixed signs"));
  EXPECT_THAT(error_of(ok + "\n[potential]\nkind = \"cai\"\n", {"initial.k=[40, 0]"}),
              HasSubstr("twice initial.k's components below lattice/2 = 64"));
  EXPECT_THAT(error_of(ok, {"initial.kind=uniform", "model.beta=inf"}),
              HasSubstr("finite model.beta"));
}

// ---------------------------------------------------------------- [chaos]

TEST(ConfigChaos, DefaultsAndRoundTrip) {
  const Study s =
      parse_study("[run]\nmodels = [\"sde\"]\n[chaos]\ncoupling = true\nframes = 64", "study.toml");
  EXPECT_TRUE(s.chaos.coupling);
  EXPECT_EQ(s.chaos.frames, 64);
  EXPECT_EQ(s.chaos.time_change_max_n, 200);
  EXPECT_EQ(parse_study(to_toml(s), "back.toml").chaos, s.chaos);
  EXPECT_THAT(error_of("[chaos]\ncoupling = true"),
              HasSubstr("chaos.coupling = true: couples particle models"));
  EXPECT_THAT(error_of("[chaos]\ncoupling = 1"), HasSubstr("expected true or false"));
  EXPECT_THAT(error_of("[chaos]\nframes = 0"), HasSubstr("chaos.frames = 0: must be an integer"));
  EXPECT_THAT(error_of("[chaos]\ntime_change_max_n = -1"), HasSubstr("must be an integer >= 0"));
  // The RW couplings' O(n) per event: a warning when a replica needs over 1e10 updates.
  const std::string rw =
      "[run]\nmodels = [\"rw\"]\n[chaos]\ncoupling = true\n[model]\nT = 0.5\ndelta = 0.125\n";
  EXPECT_TRUE(parse_study(rw + "n = 100\nlattice = 32", "study.toml").warnings.empty());
  const auto warned = parse_study(rw + "n = 1000\nlattice = 128", "study.toml").warnings;
  ASSERT_EQ(warned.size(), 1u);
  EXPECT_THAT(warned[0], HasSubstr("about 1.6e+10 pair updates per replica"));
  EXPECT_THAT(
      error_of("[model]\nbeta = \"inf\"\n[run]\nmodels = [\"sde\"]\n[chaos]\ncoupling = true"),
      HasSubstr("model.beta must be finite"));
}

// ---------------------------------------------------------------- the key table

// section -> key -> value text, as to_toml wrote them.
std::map<std::string, std::map<std::string, std::string>> toml_keys(const std::string& text) {
  std::map<std::string, std::map<std::string, std::string>> out;
  std::istringstream in(text);
  std::string section;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      section = line.substr(1, line.size() - 2);
      continue;
    }
    const auto eq = line.find(" = ");
    EXPECT_NE(eq, std::string::npos) << line;
    if (eq != std::string::npos) out[section][line.substr(0, eq)] = line.substr(eq + 3);
  }
  return out;
}

TEST(ConfigKeys, TableCoversEveryKeyToTomlWrites) {
  // Also the keys written only when they differ from their default.
  const Study full = parse_study(
      "[run]\nmodels = [\"sde\"]\nreplicas = \"auto\"\ntarget_stderr = 0.01\nwalltime = 90\n"
      "ranks_per_replica = 2\ncheckpoint_every = 60\n[chaos]\ncoupling = true",
      "full.toml");
  std::set<std::pair<std::string, std::string>> table, written, seen;
  for (const StudyKey& k : study_keys()) {
    EXPECT_TRUE(table.insert({k.section, k.key}).second) << k.section << "." << k.key << " twice";
    if (k.written) written.insert({k.section, k.key});
  }
  const auto points = parse_sweep("[sweep]\nn = [10, 20]", "sweep.toml");
  for (const Study& s : {load_study(""), full, points[1]}) {
    if (s.sweep.index < 0) expect_round_trip(s);  // a point's text does not say its sweep
    for (const auto& [section, keys] : toml_keys(to_toml(s)))
      for (const auto& [key, value] : keys) {
        EXPECT_TRUE(written.count({section, key})) << section << "." << key << " not in the table";
        seen.insert({section, key});
      }
  }
  EXPECT_EQ(seen, written);
  // Only dt_out is read but not written (it resolves into run.times).
  EXPECT_EQ(table.size(), written.size() + 1);
  EXPECT_FALSE(written.count({"run", "dt_out"}));
}

TEST(ConfigKeys, EveryTableKeyIsRead) {
  // A value of no key's type: refused naming the key, so the key is read, not ignored.
  for (const StudyKey& k : study_keys()) {
    const std::string name = k.section + "." + k.key;
    EXPECT_THAT(error_of("[" + k.section + "]\n" + k.key + " = { x = 1 }"),
                HasSubstr("study.toml: " + name + " = { x = 1 }: "));
  }
}

TEST(ConfigKeys, RangeChecksRejectOutOfRangeValues) {
  int checked = 0;
  for (const StudyKey& k : study_keys()) {
    if (k.rule.empty()) continue;
    EXPECT_FALSE(k.out_of_range.empty()) << k.section << "." << k.key;
    for (const std::string& bad : k.out_of_range) {
      const std::string name = k.section + "." + k.key;
      // The message names the file, the key, the value and the range.
      EXPECT_EQ(error_of("[" + k.section + "]\n" + k.key + " = " + bad),
                "study.toml: " + name + " = " + bad + ": " + k.rule);
      EXPECT_EQ(error_of("", {name + "=" + bad}),
                "study.toml: --set " + name + " = " + bad + ": " + k.rule);
      ++checked;
    }
  }
  EXPECT_GE(checked, 60);
}

TEST(ConfigKeys, DocsColumnsAreFilled) {
  for (const StudyKey& k : study_keys()) {
    EXPECT_FALSE(k.type.empty()) << k.section << "." << k.key;
    EXPECT_FALSE(k.default_value.empty()) << k.section << "." << k.key;
    EXPECT_FALSE(k.allowed.empty()) << k.section << "." << k.key;
    EXPECT_FALSE(k.meaning.empty()) << k.section << "." << k.key;
  }
}

TEST(ConfigKeys, MarkdownTablesReplaceOnlyTheMarkedBlocks) {
  const std::string table = study_keys_markdown("rw");
  EXPECT_THAT(table,
              HasSubstr("| `algorithm` | string | `\"veto\"` | \"veto\" or \"reference\" |"));
  const std::string doc = "# T\nprose\n<!-- keys:begin rw -->\nold\n<!-- keys:end -->\nmore prose";
  EXPECT_EQ(with_study_key_tables(doc),
            "# T\nprose\n<!-- keys:begin rw -->\n" + table + "<!-- keys:end -->\nmore prose");
  EXPECT_THAT(study_keys_markdown("sweep"), HasSubstr("| `kernel` | `potential.kind` |"));
  EXPECT_THROW(with_study_key_tables("<!-- keys:begin rw -->\n"), std::invalid_argument);
  EXPECT_THROW(with_study_key_tables("<!-- keys:begin nope -->\n<!-- keys:end -->\n"),
               std::invalid_argument);
}

// docs/study-file.md's key tables are the generated ones. DISLO_UPDATE_DOCS=1 rewrites them.
TEST(ConfigKeys, DocsStudyFileMatchesTheKeyTable) {
  const char* src = std::getenv("DISLO_SOURCE_DIR");
  if (src == nullptr) GTEST_SKIP() << "DISLO_SOURCE_DIR is not set (ctest sets it)";
  const std::string path = std::string(src) + "/docs/study-file.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::ostringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const std::string generated = with_study_key_tables(doc);
  if (std::getenv("DISLO_UPDATE_DOCS") != nullptr && generated != doc)
    std::ofstream(path) << generated;
  EXPECT_EQ(doc, generated) << path << " differs from the key table in src/config/config.cpp; "
                            << "DISLO_UPDATE_DOCS=1 ctest -R test_config rewrites it";
  std::set<std::string> sections{"sweep"};
  for (const StudyKey& k : study_keys()) sections.insert(k.section);
  for (const std::string& section : sections)
    EXPECT_THAT(doc, HasSubstr("<!-- keys:begin " + section + " -->\n")) << section;
}

}  // namespace
}  // namespace dislo
