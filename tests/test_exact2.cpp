// Exact two-particle laws (exact2.hpp, Theorem 1.2): the per-mode master equation against
// the full L^4-state master equation solved independently (uniformisation) and against
// RW Monte Carlo; Fokker-Planck against the Gibbs law it relaxes to (models.md section
// 4); the RW -> SDE law distance falls like eps^2 (order in [1.7, 2.3], the range).
// One chi-square test at tol::p_value: false-failure probability 1e-5.
#include <gtest/gtest.h>
#include <petscsys.h>

#include <cmath>
#include <cstdio>
#include <numeric>
#include <utility>
#include <vector>

#include "dislo/exact2.hpp"
#include "dislo/potential.hpp"
#include "dislo/randomwalk.hpp"
#include "master_equation.hpp"
#include "statistics.hpp"
#include "test_support.hpp"
#include "tolerances.hpp"

using namespace dislo;
using dislo::testing::chi2_goodness;
using dislo::testing::marginals_n2;
using dislo::testing::master_equation_n2;
using dislo::testing::two_particle_study;
using dislo::testing::wrap;

namespace {
Study two_particles(int L, double T) {
  Study study = two_particle_study(L, T);
  study.run.models = {"exact2"};
  return study;
}

// max |a - b| over the largest |b|: the joint laws' difference relative to their scale.
double relative_max_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0, largest = 0;
  for (std::size_t q = 0; q < b.size(); ++q) {
    worst = std::max(worst, std::abs(a[q] - b[q]));
    largest = std::max(largest, b[q]);
  }
  return worst / largest;
}
}  // namespace

TEST(ExactLaws, ModeSplitMasterEquationEqualsTheFullOne) {
  const int L = 8, S = L * L;
  const double t = 0.15;
  const Study study = two_particles(L, t);
  TwoParticleLaws laws(study);
  const auto p0 = laws.rw_joint();
  EXPECT_NEAR(std::accumulate(p0.begin(), p0.end(), 0.0), 1.0, 1e-13);
  laws.advance_to(t);
  const auto mine = laws.rw_joint();
  const auto full = master_equation_n2(study, p0, t, true);
  ASSERT_EQ(mine.size(), std::size_t(S) * S);
  const double error = relative_max_difference(mine, full);
  std::printf("[ measured ] per-mode master equation vs uniformisation: %.2e relative\n", error);
  EXPECT_LT(error, tol::exact_law);

  // Monte Carlo: the veto simulator's relative vector against the exact law.
  const auto relative = marginals_n2(mine, L)[1];
  std::vector<double> counts(S, 0.0);
  VetoWalk walk(study);
  for (int r = 0; r < 100000; ++r) {
    walk.start(std::uint64_t(r));
    walk.advance_to(t);
    counts[wrap(walk.x()[0] - walk.x()[1], L) * L + wrap(walk.y()[0] - walk.y()[1], L)] += 1;
  }
  const auto chi = chi2_goodness(counts, relative);
  std::printf("[ measured ] RW Monte Carlo against the exact law: chi2 = %.1f, dof %d, p = %.3f\n",
              chi.stat, chi.dof, chi.p);
  EXPECT_GE(chi.p, tol::p_value);
  // Power: the same counts reject the exact laws of the wrong models.
  for (const auto& [name, wrong] : dislo::testing::wrong_models(study)) {
    TwoParticleLaws other(wrong);
    other.advance_to(t);
    const double p = chi2_goodness(counts, marginals_n2(other.rw_joint(), L)[1]).p;
    std::printf("[ measured ] power against %s: p = %.1e\n", name, p);
    EXPECT_LT(p, tol::power_p_value) << name;
  }
}

TEST(ExactLaws, FokkerPlanckRelaxesToTheGibbsLaw) {
  // Uniform data: the relative coordinate's law tends to exp(-(beta/2) b1 b2 V_delta(r))/Z
  // (models.md section 4), at rate about 4 pi^2 (2/beta) = 20 per unit time.
  Study study = two_particles(16, 2.0);
  study.initial.kind = InitialKind::uniform;
  study.model.beta = 4.0;
  TwoParticleLaws laws(study);
  laws.advance_to(study.model.T);
  const int L = 16, S = L * L;
  const auto joint = laws.sde_joint();
  const PotentialTable table = tabulate(Kernel(study.kernel, study.model.delta), L);
  std::vector<double> gibbs(S), law(S, 0.0);
  for (int r = 0; r < S; ++r) gibbs[r] = std::exp(-0.5 * study.model.beta * (-1.0) * table.V[r]);
  const double z = std::accumulate(gibbs.begin(), gibbs.end(), 0.0);
  for (int a = 0; a < S; ++a)
    for (int c = 0; c < S; ++c)
      law[wrap(a / L - c / L, L) * L + wrap(a % L - c % L, L)] += joint[std::size_t(a) * S + c];
  const double total = std::accumulate(law.begin(), law.end(), 0.0);
  double worst = 0;
  for (int r = 0; r < S; ++r) worst = std::max(worst, std::abs(law[r] / total - gibbs[r] / z) * S);
  std::printf("[ measured ] Fokker-Planck at t = 2 against Gibbs: %.2e (density units)\n", worst);
  EXPECT_LT(worst, tol::exact_law_gibbs);
}

TEST(ExactLaws, LawDistanceFallsLikeEpsSquared) {
  std::vector<double> eps, distance;
  for (int L : {8, 16, 32}) {
    TwoParticleLaws laws(two_particles(L, 0.1));
    laws.advance_to(0.1);
    eps.push_back(1.0 / L);
    distance.push_back(laws.l2_distance());
  }
  for (std::size_t i = 1; i < eps.size(); ++i) {
    const double order = std::log(distance[i - 1] / distance[i]) / std::log(eps[i - 1] / eps[i]);
    std::printf("[ measured ] L2(nu_eps) law distance %.4e -> %.4e: order %.4f\n", distance[i - 1],
                distance[i], order);
    EXPECT_GT(order, 1.7);
    EXPECT_LT(order, 2.3);
  }
}

// The default exponential integrator (etdrk4) against PETSc's RK5DP on the same laws: both
// equations, every x1-mode, through two output times.
TEST(ExactLaws, ExponentialIntegratorAgreesWithRungeKutta) {
  const double T = 0.1;
  auto solve = [&](bool runge_kutta) {
    const char* options[][2] = {{"-exact2_rw_ts_type", "rk"},
                                {"-exact2_rw_ts_rk_type", "5dp"},
                                {"-exact2_fp_ts_type", "rk"},
                                {"-exact2_fp_ts_rk_type", "5dp"}};
    if (runge_kutta)
      for (auto& o : options) PetscOptionsSetValue(nullptr, o[0], o[1]);
    TwoParticleLaws laws(two_particles(16, T));
    for (auto& o : options) PetscOptionsClearValue(nullptr, o[0]);
    std::vector<double> values;
    for (double t : {T / 2, T}) {
      laws.advance_to(t);
      values.push_back(laws.l2_distance());
      values.push_back(laws.l2_norm_sde());
    }
    return std::make_pair(values, laws.rw_joint());
  };
  const auto [etd, etd_joint] = solve(false);
  const auto [rk, rk_joint] = solve(true);
  for (std::size_t i = 0; i < etd.size(); ++i) {
    std::printf("[ measured ] %s at t = %g: etdrk4 %.12e, rk5dp %.12e\n",
                i % 2 ? "SDE law norm" : "law distance", i < 2 ? T / 2 : T, etd[i], rk[i]);
    EXPECT_NEAR(etd[i], rk[i], tol::exact2_integrators * rk[i]);
  }
  const double relative = relative_max_difference(etd_joint, rk_joint);
  std::printf("[ measured ] RW joint law: max difference %.2e of its largest value\n", relative);
  EXPECT_LT(relative, tol::exact2_integrators);
}
