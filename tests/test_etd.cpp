// The exponential integrator (TS type etdrk4, docs/numerics.md) against exact references:
// its phi functions, its order at fixed steps, linearised decay and the heat equation at
// the default tolerances.
#include <gtest/gtest.h>
#include <petscsys.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <string>
#include <utility>

#include "dislo/etd.hpp"
#include "dislo/meanfield.hpp"
#include "test_support.hpp"
#include "tolerances.hpp"

using namespace dislo;
using dislo::testing::cosine_amplitude;
using dislo::testing::gather_full;
using dislo::testing::sample_local;

namespace {
constexpr double pi = std::numbers::pi;

// phi_k(z) in long double: the Taylor series sum_j z^j/(j+k)! below |z| = 1 (terms
// decreasing), else the closed form (its cancellation costs at most a factor 10 of the
// long double's 1e-19).
long double phi_reference(int k, long double z) {
  if (std::fabs(z) < 1) {
    long double sum = 0, term = 1;
    for (int i = 1; i <= k; ++i) term /= i;  // 1/k!
    for (int j = 0; j < 80; ++j) {
      sum += term;
      term *= z / (j + k + 1);
    }
    return sum;
  }
  long double p = std::exp(z), fact = 1;
  for (int i = 0; i < k; ++i) {
    p = (p - 1 / fact) / z;
    fact *= i + 1;
  }
  return p;
}

// The default study, on a small grid, with fixed steps: -ts_adapt_type none, -ts_dt dt.
struct FixedSteps {
  explicit FixedSteps(double dt) {
    PetscOptionsSetValue(nullptr, "-ts_adapt_type", "none");
    PetscOptionsSetValue(nullptr, "-ts_dt", std::to_string(dt).c_str());
  }
  ~FixedSteps() {
    PetscOptionsClearValue(nullptr, "-ts_adapt_type");
    PetscOptionsClearValue(nullptr, "-ts_dt");
  }
};

Study default_mf(int M) {
  Study s = dislo::testing::small_study(KernelKind::gaussian, M, 32, 0.1, 4.0);
  s.mf = MfParams{};
  s.mf.M = M;
  s.initial.amplitude = 0.8;  // strongly nonlinear, so the interaction's error shows
  s.initial.amplitude_minus = -0.8;
  return s;
}

std::vector<double> solve_plus(const Study& study, double T) {
  MeanField mf(MPI_COMM_WORLD, study, Kernel(study.kernel, study.model.delta));
  mf.set_initial(InitialDensity(study.initial));
  mf.advance_to(T);
  return gather_full(mf.grid(), mf.rho(+1));
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (std::size_t k = 0; k < a.size(); ++k) m = std::max(m, std::abs(a[k] - b[k]));
  return m;
}

bool root() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank == 0;
}
}  // namespace

TEST(Etd, PhiFunctionsMatchLongDoubleReference) {
  for (double z : {0.0, -1e-300, -1e-12, -1e-6, -0.3, -0.999999, -1.0, -1.000001, -2.5, -7.9, -8.1,
                   -30.0, -700.0, -1e6, -1e300, 1e-9, 0.5, 0.999}) {
    const auto got = detail::phi_functions(z);
    for (int k = 0; k < 4; ++k) {
      const long double want = phi_reference(k, z);
      const double rel = want == 0 ? std::abs(got[k]) : double(std::fabs((got[k] - want) / want));
      EXPECT_LE(rel, tol::phi_relative)
          << "phi_" << k << "(" << z << ") = " << got[k] << ", reference " << double(want);
    }
  }
}

// The registered type is chosen by the study or by -ts_type, and reports its formulation.
TEST(Etd, RegisteredWithPetsc) {
  Study study = default_mf(32);
  {
    MeanField mf(MPI_COMM_WORLD, study, Kernel(study.kernel, study.model.delta));
    EXPECT_EQ(mf.stats().ts_type, "etdrk4");
    EXPECT_EQ(mf.stats().formulation, "exponential");
  }
  study.mf.ts_type = "arkimex";
  PetscOptionsSetValue(nullptr, "-ts_type", "etdrk4");
  MeanField mf(MPI_COMM_WORLD, study, Kernel(study.kernel, study.model.delta));
  PetscOptionsClearValue(nullptr, "-ts_type");
  EXPECT_EQ(mf.stats().ts_type, "etdrk4");
}

// At fixed steps the error at T falls like dt^4 (Cox and Matthews' order).
TEST(Etd, FixedStepOrderIsFour) {
  const Study study = default_mf(32);
  const double T = 0.5;
  std::vector<double> reference;
  {
    FixedSteps fixed(T / 512);
    reference = solve_plus(study, T);
  }
  std::vector<double> errors;
  for (int steps : {4, 8, 16}) {
    FixedSteps fixed(T / steps);
    errors.push_back(max_abs_diff(solve_plus(study, T), reference));
  }
  for (std::size_t i = 0; i + 1 < errors.size(); ++i) {
    const double order = std::log2(errors[i] / errors[i + 1]);
    if (root())
      std::printf("ETDRK4 fixed steps: error %.3e -> %.3e, order %.3f\n", errors[i], errors[i + 1],
                  order);
    EXPECT_NEAR(order, 4.0, tol::integrator_order)
        << "errors " << errors[i] << ", " << errors[i + 1];
  }
}

// Neutral data rho+ = rho-: the heat equation, exact per mode, at the default tolerances.
TEST(Etd, NeutralDataSolvesHeatEquationAtDefaultTolerances) {
  Study study = default_mf(32);
  const double beta = study.model.beta, T = 0.3;
  MeanField mf(MPI_COMM_WORLD, study, Kernel(study.kernel, study.model.delta));
  const auto errors = dislo::testing::neutral_heat_errors(mf, beta, T);
  for (int s = 0; s < 2; ++s) {
    const int sign = s == 0 ? +1 : -1;
    if (root())
      std::printf("etdrk4 neutral data, sign %+d: max |rho - heat| = %.2e\n", sign, errors[s]);
    EXPECT_LT(errors[s], tol::heat_exponential) << "sign " << sign;
  }
}

// The first step from a state tries the whole interval to the next output time and, if
// rejected, shrinks as far as the error model asks (docs/numerics.md). The default study's
// data (M = 64) through its four output times: at rtol 1e-2 one step per interval, none
// rejected (starting at 1e-2 T with PETSc's 10x growth limit took 7 steps); at rtol 1e-8
// the too-long first guesses cost at most two rejections per interval in all.
TEST(Etd, FirstStepTriesTheWholeInterval) {
  Study study = load_study("");
  study.mf.M = 64;
  auto counters = [&](double rtol) {
    study.mf.rtol = rtol;
    MeanField mf(MPI_COMM_WORLD, study, Kernel(study.kernel, study.model.delta));
    mf.set_initial(InitialDensity(study.initial));
    for (double t : study.run.times) mf.advance_to(t);
    return std::make_pair(mf.stats().steps, mf.stats().rejected);
  };
  const auto [loose_steps, loose_rejected] = counters(1e-2);
  EXPECT_EQ(loose_steps, long(study.run.times.size()) - 1);
  EXPECT_EQ(loose_rejected, 0);
  const auto [tight_steps, tight_rejected] = counters(1e-8);
  if (root())
    std::printf("rtol 1e-2: %ld steps, %ld rejected; rtol 1e-8: %ld steps, %ld rejected\n",
                loose_steps, loose_rejected, tight_steps, tight_rejected);
  EXPECT_LE(tight_rejected, 2 * (long(study.run.times.size()) - 1));
}

// Linearised decay at the default tolerances: amplitude 1e-6 against the exact rate
// lambda_w = phihat(k) + 4 pi^2 |k|^2 / beta (+ the hyperviscous rate when beta = inf);
// amplitude 1e-2, whose own rate differs from lambda_w by O(amplitude^2), against the
// same solution at tolerances 1e6 times tighter.
struct EtdDecayCase {
  KernelKind kernel;
  double p_plus;
  bool noiseless;
};

class EtdDecay : public ::testing::TestWithParam<EtdDecayCase> {};

namespace {
double decay_rate(const Study& study, const EtdDecayCase& c, double amplitude, double T) {
  MeanField mf(MPI_COMM_WORLD, study, Kernel(c.kernel, study.model.delta));
  return dislo::testing::w_decay_rate(mf, c.p_plus, amplitude, 2, 1, T);
}
}  // namespace

TEST_P(EtdDecay, RateAtDefaultTolerances) {
  const auto c = GetParam();
  Study study = default_mf(32);
  study.kernel = c.kernel;
  if (c.noiseless) {
    study.model.beta = std::numeric_limits<double>::infinity();
    study.mf.hyperviscosity = 10;
  }
  const Kernel kernel(c.kernel, study.model.delta);
  const double k2 = 5, kc = study.mf.M / 3;
  const double hyper = c.noiseless ? study.mf.hyperviscosity * std::pow(k2 / (kc * kc), 4) : 0;
  const double lambda =
      kernel.phihat(k2) + (c.noiseless ? 0 : 4 * pi * pi * k2 / study.model.beta) + hyper;
  const double T = 1 / lambda;
  const double small = decay_rate(study, c, 1e-6, T);
  const double large = decay_rate(study, c, 1e-2, T);
  Study tight = study;
  tight.mf.rtol *= 1e-6;
  tight.mf.atol = 1e-18;
  const double large_tight = decay_rate(tight, c, 1e-2, T);
  if (root())
    std::printf(
        "%s p+ = %.1f beta %s: |rate/lambda - 1| = %.2e (a = 1e-6), %.2e (a = 1e-2 vs tight)\n",
        to_string(c.kernel), c.p_plus, c.noiseless ? "inf" : "4", std::abs(small / lambda - 1),
        std::abs(large / large_tight - 1));
  EXPECT_NEAR(small / lambda, 1.0, tol::decay_rate_default);
  EXPECT_NEAR(large / large_tight, 1.0, tol::decay_rate_default);
}

INSTANTIATE_TEST_SUITE_P(KernelsImbalancesNoise, EtdDecay,
                         ::testing::Values(EtdDecayCase{KernelKind::gaussian, 0.7, false},
                                           EtdDecayCase{KernelKind::gaussian, 0.3, true},
                                           EtdDecayCase{KernelKind::cai, 0.3, false},
                                           EtdDecayCase{KernelKind::cai, 0.7, true},
                                           EtdDecayCase{KernelKind::bump, 0.7, false},
                                           EtdDecayCase{KernelKind::bump, 0.3, true}));
