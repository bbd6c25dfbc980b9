// MF against the exact solutions of models.md section 4.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numbers>
#include <vector>

#include "dislo/meanfield.hpp"
#include "test_support.hpp"
#include "tolerances.hpp"

using namespace dislo;
using dislo::testing::cosine_amplitude;
using dislo::testing::gather_full;
using dislo::testing::sample_local;
using dislo::testing::small_study;

namespace {
constexpr double pi = std::numbers::pi;

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (std::size_t k = 0; k < a.size(); ++k) m = std::max(m, std::abs(a[k] - b[k]));
  return m;
}
}  // namespace

// Neutral data rho+ = rho-: F = 0 and each density solves d rho/dt = (1/beta) Lap rho.
TEST(MeanField, NeutralDataSolvesHeatEquation) {
  const double beta = 2.0, T = 0.3;
  Study study = small_study(KernelKind::gaussian, 32, 32, 0.1, beta);
  MeanField mf(MPI_COMM_WORLD, study, Kernel(study.kernel, study.model.delta));
  const auto errors = dislo::testing::neutral_heat_errors(mf, beta, T);
  for (int s = 0; s < 2; ++s) {
    const int sign = s == 0 ? +1 : -1;
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0)
      std::printf("MF neutral data, sign %+d: max |rho - heat| = %.2e\n", sign, errors[s]);
    EXPECT_LT(errors[s], tol::heat_exact) << "sign " << sign;
  }
}

// Linearised MF: w = u+ - u- decays at lambda_w = phihat(k) + 4 pi^2 |k|^2/beta.
struct DecayCase {
  KernelKind kernel;
  int k1, k2;
  double p_plus;
};

class MeanFieldDecay : public ::testing::TestWithParam<DecayCase> {};

TEST_P(MeanFieldDecay, SingleModeDecaysAtLinearRate) {
  const auto c = GetParam();
  const double beta = 4.0, delta = 0.1, amplitude = 1e-6;
  Study study = small_study(c.kernel, 32, 32, delta, beta);
  const Kernel kernel(c.kernel, delta);
  MeanField mf(MPI_COMM_WORLD, study, kernel);
  const double k2 = double(c.k1) * c.k1 + double(c.k2) * c.k2;
  const double lambda = kernel.phihat(k2) + 4 * pi * pi * k2 / beta;
  const double p_plus = c.p_plus, p_minus = 1 - c.p_plus;
  // s = p- u+ + p+ u- = 0, so only the w-mode is excited: u+ = a p+ cos, u- = -a p- cos.
  auto mode = [&](double x, double y) { return std::cos(2 * pi * (c.k1 * x + c.k2 * y)); };
  const auto plus = sample_local(
      mf.grid(), [&](double x, double y) { return p_plus * (1 + amplitude * mode(x, y)); });
  const auto minus = sample_local(
      mf.grid(), [&](double x, double y) { return p_minus - amplitude * p_minus * mode(x, y); });
  mf.set_state(plus, minus);
  const double T = 1.0 / lambda;
  mf.advance_to(T);
  const int N = mf.grid().N();
  const auto full_plus = gather_full(mf.grid(), mf.rho(+1));
  const auto full_minus = gather_full(mf.grid(), mf.rho(-1));
  std::vector<double> w(full_plus.size());
  for (std::size_t k = 0; k < w.size(); ++k) w[k] = full_plus[k] - full_minus[k];
  const double w0 = amplitude * (p_plus + p_minus);
  const double measured = -std::log(cosine_amplitude(w, N, c.k1, c.k2) / w0) / T;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0)
    std::printf("%s k = (%d,%d) p+ = %.1f: |measured/%s - 1| = %.2e\n", to_string(c.kernel), c.k1,
                c.k2, c.p_plus, "lambda_w", std::abs(measured / lambda - 1));
  EXPECT_NEAR(measured / lambda, 1.0, tol::decay_rate)
      << "kernel " << to_string(c.kernel) << " k = (" << c.k1 << "," << c.k2 << ") p+ = " << p_plus
      << ": measured " << measured << ", lambda_w " << lambda;
}

INSTANTIATE_TEST_SUITE_P(
    KernelsModesImbalances, MeanFieldDecay,
    ::testing::Values(
        DecayCase{KernelKind::gaussian, 1, 0, 0.7}, DecayCase{KernelKind::gaussian, 2, 1, 0.3},
        DecayCase{KernelKind::gaussian, 1, 0, 0.3}, DecayCase{KernelKind::gaussian, 2, 1, 0.7},
        DecayCase{KernelKind::cai, 1, 0, 0.7}, DecayCase{KernelKind::cai, 2, 1, 0.3},
        DecayCase{KernelKind::cai, 1, 0, 0.3}, DecayCase{KernelKind::cai, 2, 1, 0.7},
        DecayCase{KernelKind::bump, 1, 0, 0.7}, DecayCase{KernelKind::bump, 2, 1, 0.3},
        DecayCase{KernelKind::bump, 1, 0, 0.3}, DecayCase{KernelKind::bump, 2, 1, 0.7}));

// Each sign's mass is an invariant of eq. 12; the spectral divergence has no k = 0 mode.
TEST(MeanField, MassOfEachSignConserved) {
  Study study = small_study(KernelKind::gaussian, 64, 64, 0.0625, 4.0);
  study.mf.rtol = 1e-6;
  study.mf.atol = 1e-9;
  study.initial.mass_plus = 0.6;
  MeanField mf(MPI_COMM_WORLD, study, Kernel(study.kernel, study.model.delta));
  mf.set_initial(InitialDensity(study.initial));
  const double m_plus = mf.mass(+1), m_minus = mf.mass(-1);
  EXPECT_NEAR(m_plus, 0.6, tol::roundoff);
  mf.advance_to(0.5);
  EXPECT_NEAR(mf.mass(+1) / m_plus, 1.0, tol::mass);
  EXPECT_NEAR(mf.mass(-1) / m_minus, 1.0, tol::mass);
  EXPECT_GT(mf.stats().steps, 0);
}

TEST(MeanField, StepObserverSeesEveryStepAndChangesNothing) {
  // The progress lines' hook: called at the start (PETSc's step 0) and once per accepted
  // step, times increasing to the target; the solution is the same bits as without it.
  Study study = small_study(KernelKind::gaussian, 32, 32, 0.1, 4.0);
  const Kernel kernel(study.kernel, study.model.delta);
  MeanField watched(MPI_COMM_WORLD, study, kernel), plain(MPI_COMM_WORLD, study, kernel);
  watched.set_initial(InitialDensity(study.initial));
  plain.set_initial(InitialDensity(study.initial));
  std::vector<double> seen;
  watched.set_step_observer([&](double t) { seen.push_back(t); });
  watched.advance_to(0.02);
  plain.advance_to(0.02);
  ASSERT_EQ(long(seen.size()), watched.stats().steps + 1);
  EXPECT_EQ(seen.front(), 0.0);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_NEAR(seen.back(), 0.02, 1e-12);
  const auto a = watched.rho(+1), b = plain.rho(+1);
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size_bytes()));
}

// The same study on this communicator and on one rank alone: the same bits (the
// transforms, sums and the step-size controller's max norm do not depend on the ranks).
TEST(MeanField, ResultIndependentOfRankCount) {
  Study study = small_study(KernelKind::cai, 64, 64, 0.0625, 4.0);
  study.mf.rtol = 1e-8;
  study.mf.atol = 1e-11;
  const Kernel kernel(study.kernel, study.model.delta);
  MeanField shared(MPI_COMM_WORLD, study, kernel);
  MeanField alone(MPI_COMM_SELF, study, kernel);
  shared.set_initial(InitialDensity(study.initial));
  alone.set_initial(InitialDensity(study.initial));
  shared.advance_to(0.2);
  alone.advance_to(0.2);
  for (int sign : {+1, -1}) {
    const auto a = gather_full(shared.grid(), shared.rho(sign));
    const auto b = std::vector<double>(alone.rho(sign).begin(), alone.rho(sign).end());
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == 0)
      std::printf("MF %d ranks vs 1, sign %+d: max |difference| %.2e\n", size, sign,
                  max_abs_diff(a, b));
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), sizeof(double) * a.size()));
  }
}

// beta = inf (GB^delta) runs with the hyperviscous stabilisation and keeps the masses.
TEST(MeanField, NoiselessLimitRunsStably) {
  Study study = small_study(KernelKind::gaussian, 64, 64, 0.0625, 4.0);
  study.model.beta = std::numeric_limits<double>::infinity();
  study.mf.hyperviscosity = 10;
  study.mf.rtol = 1e-6;
  study.mf.atol = 1e-9;
  MeanField mf(MPI_COMM_WORLD, study, Kernel(study.kernel, study.model.delta));
  mf.set_initial(InitialDensity(study.initial));
  const double m0 = mf.mass(+1);
  mf.advance_to(1.0);
  EXPECT_NEAR(mf.mass(+1) / m0, 1.0, tol::mass);
  const auto full = gather_full(mf.grid(), mf.rho(+1));
  for (double v : full) ASSERT_TRUE(std::isfinite(v));
}

// Explicit, IMEX, fully implicit and exponential formulations solve the same equation.
TEST(MeanField, FormulationsAgree) {
  Study study = small_study(KernelKind::gaussian, 32, 32, 0.1, 4.0);
  study.mf.rtol = 1e-9;
  study.mf.atol = 1e-12;
  const Kernel kernel(study.kernel, study.model.delta);
  std::vector<std::vector<double>> results;
  const std::vector<std::pair<std::string, std::string>> types = {
      {"arkimex", "imex"}, {"rk", "explicit"}, {"bdf", "implicit"}, {"etdrk4", "exponential"}};
  for (const auto& [type, formulation] : types) {
    study.mf.ts_type = type;
    MeanField mf(MPI_COMM_WORLD, study, kernel);
    mf.set_initial(InitialDensity(study.initial));
    mf.advance_to(0.1);
    EXPECT_EQ(mf.stats().formulation, formulation);
    results.push_back(gather_full(mf.grid(), mf.rho(+1)));
  }
  // Each is within a few times its error tolerance of the others (rtol 1e-9 on O(1) data,
  // global error a few hundred local tolerances).
  for (std::size_t i = 1; i < results.size(); ++i)
    EXPECT_LT(max_abs_diff(results[0], results[i]), 1e-6) << types[i].first;
}
