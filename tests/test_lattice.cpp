// MFeps against the exact solutions of models.md section 4.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <numbers>

#include "dislo/lattice.hpp"
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

// Neutral data: F = 0, each density solves the lattice heat equation, rate 1/(beta eps^2)
// per step: mode k decays at (4/(beta eps^2)) sum_j sin^2(pi k_j eps).
TEST(LatticeMeanField, NeutralDataSolvesLatticeHeatEquation) {
  const int L = 32;
  const double beta = 2.0, T = 0.05, eps = 1.0 / L;
  Study study = small_study(KernelKind::gaussian, 32, L, 0.1, beta);
  LatticeMeanField mfeps(MPI_COMM_WORLD, study, Kernel(study.kernel, study.model.delta));
  auto rate = [&](int k1, int k2) {
    return 4 / (beta * eps * eps) *
           (std::pow(std::sin(pi * k1 * eps), 2) + std::pow(std::sin(pi * k2 * eps), 2));
  };
  const auto initial = sample_local(mfeps.grid(), [](double x, double y) {
    return 0.5 + 0.2 * std::cos(2 * pi * (x + 2 * y)) + 0.1 * std::sin(2 * pi * 3 * x);
  });
  mfeps.set_state(initial, initial);
  mfeps.advance_to(T);
  const double d12 = std::exp(-rate(1, 2) * T), d30 = std::exp(-rate(3, 0) * T);
  const auto exact = sample_local(mfeps.grid(), [&](double x, double y) {
    return 0.5 + 0.2 * d12 * std::cos(2 * pi * (x + 2 * y)) + 0.1 * d30 * std::sin(2 * pi * 3 * x);
  });
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  for (int sign : {+1, -1}) {
    const double err =
        max_abs_diff(gather_full(mfeps.grid(), mfeps.rho(sign)), gather_full(mfeps.grid(), exact));
    if (rank == 0)
      std::printf("MFeps neutral data, sign %+d: max |rho - heat| = %.2e\n", sign, err);
    EXPECT_LT(err, tol::heat_exact);
  }
}

struct DecayCase {
  KernelKind kernel;
  int k1, k2;
  double p_plus;
};

class LatticeDecay : public ::testing::TestWithParam<DecayCase> {};

// lambda_w^eps exactly, aliasing included (models.md section 4): with the lattice samples
// g_j = d_j V_delta(l), S_j = sum_l g_j(l) sin(2 pi k.l),
//   lambda = (4/(beta eps^2)) sum_j sin^2(pi k_j eps) - eps sum_j sin(2 pi k_j eps) S_j.
TEST_P(LatticeDecay, SingleModeDecaysAtLatticeRate) {
  const auto c = GetParam();
  const int L = 32;
  const double beta = 4.0, delta = 0.1, amplitude = 1e-6, eps = 1.0 / L;
  Study study = small_study(c.kernel, 32, L, delta, beta);
  const Kernel kernel(c.kernel, delta);
  const PotentialTable table = tabulate(kernel, L);
  double S1 = 0, S2 = 0;
  for (int i = 0; i < L; ++i)
    for (int j = 0; j < L; ++j) {
      const double s = std::sin(2 * pi * (c.k1 * i + c.k2 * j) * eps);
      S1 += table.dV1[std::size_t(i) * L + j] * s;
      S2 += table.dV2[std::size_t(i) * L + j] * s;
    }
  const double lambda =
      4 / (beta * eps * eps) *
          (std::pow(std::sin(pi * c.k1 * eps), 2) + std::pow(std::sin(pi * c.k2 * eps), 2)) -
      eps * (std::sin(2 * pi * c.k1 * eps) * S1 + std::sin(2 * pi * c.k2 * eps) * S2);
  const double p_plus = c.p_plus;
  const double T = 1.0 / lambda;
  auto measure = [&](const Study& s) {
    LatticeMeanField solver(MPI_COMM_WORLD, s, kernel);
    return dislo::testing::w_decay_rate(solver, c.p_plus, amplitude, c.k1, c.k2, T);
  };
  // At tight tolerances, and at the default ones (etdrk4 takes the linearised interaction
  // exactly, docs/numerics.md).
  Study defaults = study;
  defaults.mfeps = MfepsParams{};
  const double measured = measure(study), at_defaults = measure(defaults);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0)
    std::printf("%s k = (%d,%d) p+ = %.1f: |measured/%s - 1| = %.2e, %.2e at default tolerances\n",
                to_string(c.kernel), c.k1, c.k2, c.p_plus, "lambda_w^eps",
                std::abs(measured / lambda - 1), std::abs(at_defaults / lambda - 1));
  EXPECT_NEAR(measured / lambda, 1.0, tol::decay_rate)
      << "kernel " << to_string(c.kernel) << " k = (" << c.k1 << "," << c.k2 << ") p+ = " << p_plus
      << ": measured " << measured << ", lambda_w^eps " << lambda;
  EXPECT_NEAR(at_defaults / lambda, 1.0, tol::decay_rate_default) << "at default tolerances";
}

INSTANTIATE_TEST_SUITE_P(
    KernelsModesImbalances, LatticeDecay,
    ::testing::Values(
        DecayCase{KernelKind::gaussian, 1, 0, 0.7}, DecayCase{KernelKind::gaussian, 2, 1, 0.3},
        DecayCase{KernelKind::gaussian, 1, 0, 0.3}, DecayCase{KernelKind::gaussian, 2, 1, 0.7},
        DecayCase{KernelKind::cai, 1, 0, 0.7}, DecayCase{KernelKind::cai, 2, 1, 0.3},
        DecayCase{KernelKind::cai, 1, 0, 0.3}, DecayCase{KernelKind::cai, 2, 1, 0.7},
        DecayCase{KernelKind::bump, 1, 0, 0.7}, DecayCase{KernelKind::bump, 2, 1, 0.3},
        DecayCase{KernelKind::bump, 1, 0, 0.3}, DecayCase{KernelKind::bump, 2, 1, 0.7}));

// Mass of each sign is exact (every jump out of a site is a jump into another); the
// solution stays positive.
TEST(LatticeMeanField, MassConservedAndPositive) {
  Study study = small_study(KernelKind::gaussian, 64, 64, 0.0625, 4.0);
  study.mfeps.rtol = 1e-6;
  study.mfeps.atol = 1e-9;
  study.initial.mass_plus = 0.6;
  study.initial.amplitude = 0.9;
  study.initial.amplitude_minus = -0.9;
  LatticeMeanField mfeps(MPI_COMM_WORLD, study, Kernel(study.kernel, study.model.delta));
  mfeps.set_initial(InitialDensity(study.initial));
  EXPECT_NEAR(mfeps.mass(+1), 0.6, tol::roundoff);
  EXPECT_NEAR(mfeps.mass(-1), 0.4, tol::roundoff);
  mfeps.advance_to(0.5);
  EXPECT_NEAR(mfeps.mass(+1) / 0.6, 1.0, tol::mass);
  EXPECT_NEAR(mfeps.mass(-1) / 0.4, 1.0, tol::mass);
  EXPECT_GT(mfeps.min_density(), 0.0);
}

// The full right-hand side sums to zero over the lattice for any state (exact balance).
TEST(LatticeMeanField, RightHandSideBalances) {
  Study study = small_study(KernelKind::cai, 32, 32, 0.0625, 4.0);
  LatticeMeanField mfeps(MPI_COMM_WORLD, study, Kernel(study.kernel, study.model.delta));
  const auto& grid = mfeps.grid();
  const std::size_t n = grid.real_size();
  std::vector<double> u(2 * n), f(2 * n);
  const auto a = sample_local(
      grid, [](double x, double y) { return 1 + 0.9 * std::sin(2 * pi * (x + 3 * y)); });
  const auto b =
      sample_local(grid, [](double x, double y) { return 1 + 0.5 * std::cos(2 * pi * 2 * x * y); });
  std::copy(a.begin(), a.end(), u.begin());
  std::copy(b.begin(), b.end(), u.begin() + n);
  mfeps.rhs(u.data(), f.data());
  const double sum_plus = grid.sum(f.data()), sum_minus = grid.sum(f.data() + n);
  EXPECT_NEAR(sum_plus, 0.0, 1e-9 * 32 * 32 * 32 * 32 / 4);  // rates ~ L^2/beta, round-off
  EXPECT_NEAR(sum_minus, 0.0, 1e-9 * 32 * 32 * 32 * 32 / 4);
}

TEST(LatticeMeanField, ResultIndependentOfRankCount) {
  Study study = small_study(KernelKind::gaussian, 64, 64, 0.0625, 4.0);
  study.mfeps.rtol = 1e-8;
  study.mfeps.atol = 1e-11;
  const Kernel kernel(study.kernel, study.model.delta);
  LatticeMeanField shared(MPI_COMM_WORLD, study, kernel);
  LatticeMeanField alone(MPI_COMM_SELF, study, kernel);
  shared.set_initial(InitialDensity(study.initial));
  alone.set_initial(InitialDensity(study.initial));
  shared.advance_to(0.2);
  alone.advance_to(0.2);
  for (int sign : {+1, -1}) {
    const auto a = gather_full(shared.grid(), shared.rho(sign));
    const std::vector<double> b(alone.rho(sign).begin(), alone.rho(sign).end());
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == 0)
      std::printf("MFeps %d ranks vs 1, sign %+d: max |difference| %.2e\n", size, sign,
                  max_abs_diff(a, b));
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), sizeof(double) * a.size()));
  }
}

// Explicit RK, IMEX and the fully implicit path (matrix-free Jacobian, frozen-rate
// 5-point preconditioner) solve the same equation.
TEST(LatticeMeanField, FormulationsAgree) {
  Study study = small_study(KernelKind::gaussian, 32, 32, 0.1, 4.0);
  study.mfeps.rtol = 1e-9;
  study.mfeps.atol = 1e-12;
  const Kernel kernel(study.kernel, study.model.delta);
  std::vector<std::vector<double>> results;
  for (const char* type : {"arkimex", "rk", "bdf"}) {
    study.mfeps.ts_type = type;
    LatticeMeanField mfeps(MPI_COMM_WORLD, study, kernel);
    mfeps.set_initial(InitialDensity(study.initial));
    mfeps.advance_to(0.05);
    results.push_back(gather_full(mfeps.grid(), mfeps.rho(+1)));
  }
  EXPECT_LT(max_abs_diff(results[0], results[1]), 1e-6);
  EXPECT_LT(max_abs_diff(results[0], results[2]), 1e-6);
}

TEST(LatticeMeanField, RefusesInfiniteBeta) {
  Study study = small_study(KernelKind::gaussian, 32, 32, 0.1, 4.0);
  study.model.beta = std::numeric_limits<double>::infinity();
  EXPECT_THROW(LatticeMeanField(MPI_COMM_WORLD, study, Kernel(study.kernel, 0.1)), InputError);
}
