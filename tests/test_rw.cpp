// RW_n^eps: both exact simulators against exact laws (models.md section 4): the one-particle
// Bessel law, the master equation (eq. 30) for n = 2 on an 8 x 8 lattice, and each other
// (n = 3). Fixed seeds; every chi-square test asserts p >= tol::p_value (false-failure
// probability 1e-5 each, 10 tests in this program: below 1e-4 in all).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>

#include "dislo/randomwalk.hpp"
#include "master_equation.hpp"
#include "statistics.hpp"
#include "test_support.hpp"
#include "tolerances.hpp"

using namespace dislo;
using dislo::testing::chi2_goodness;
using dislo::testing::chi2_two_sample;
using dislo::testing::initial_law_n2;
using dislo::testing::marginals_n2;
using dislo::testing::master_equation_n2;
using dislo::testing::particle_study;
using dislo::testing::two_particle_study;
using dislo::testing::wrap;

namespace {

template <class Walk>
std::vector<std::vector<double>> histograms(
    Walk& walk, long replicas, double t, int cells,
    const std::vector<std::function<int(const LatticeWalk&)>>& observables) {
  std::vector<std::vector<double>> h(observables.size(), std::vector<double>(cells, 0.0));
  for (long r = 0; r < replicas; ++r) {
    walk.start(std::uint64_t(r));
    walk.advance_to(t);
    for (std::size_t o = 0; o < observables.size(); ++o) h[o][observables[o](walk)] += 1;
  }
  return h;
}

}  // namespace

// n = 1: each coordinate of the displacement is a continuous-time walk with rate
// lambda = 1/(beta eps^2) each way: P(m) = exp(-2 lambda t) I_m(2 lambda t), wrapped mod L.
TEST(RandomWalk, OneParticleFollowsTheBesselLaw) {
  const int L = 16;
  const double beta = 4, t = 0.02;
  const Study study = particle_study(KernelKind::gaussian, 1, 1, L, 0.125, beta);
  const double a = 2 * t / (beta * study.model.eps() * study.model.eps());
  std::vector<double> law(L, 0.0);
  for (int m = -60; m <= 60; ++m)
    law[wrap(m, L)] += std::exp(-a) * std::cyl_bessel_i(double(std::abs(m)), a);
  VetoWalk veto(study);
  ReferenceWalk reference(study);
  const std::vector<std::function<int(const LatticeWalk&)>> obs{
      [&](const LatticeWalk& w) { return wrap(w.displacement_x()[0], L); },
      [&](const LatticeWalk& w) { return wrap(w.displacement_y()[0], L); }};
  for (LatticeWalk* walk :
       {static_cast<LatticeWalk*>(&veto), static_cast<LatticeWalk*>(&reference)}) {
    const auto h = histograms(*walk, 20000, t, L, obs);
    for (const auto& counts : h) {
      const auto c = chi2_goodness(counts, law);
      std::printf("[ measured ] %s n=1 Bessel law: chi2 = %.1f, dof %d, p = %.3f\n",
                  walk->algorithm(), c.stat, c.dof, c.p);
      EXPECT_GE(c.p, tol::p_value);
    }
  }
}

TEST(RandomWalk, TwoParticlesMatchTheMasterEquation) {
  const int L = 8;
  const double t = 0.15;
  const Study study = two_particle_study(L, t);
  const int S = L * L;
  const auto p0 = initial_law_n2(study);
  const auto exact_m = marginals_n2(master_equation_n2(study, p0, t, true), L);
  const auto free_m = marginals_n2(master_equation_n2(study, p0, t, false), L);
  const std::vector<std::function<int(const LatticeWalk&)>> obs{
      [&](const LatticeWalk& w) { return w.x()[0] * L + w.y()[0]; },
      [&](const LatticeWalk& w) {
        return wrap(w.x()[0] - w.x()[1], L) * L + wrap(w.y()[0] - w.y()[1], L);
      }};
  VetoWalk veto(study);
  ReferenceWalk reference(study);
  for (LatticeWalk* walk :
       {static_cast<LatticeWalk*>(&veto), static_cast<LatticeWalk*>(&reference)}) {
    const auto h = histograms(*walk, 60000, t, S, obs);
    for (int o = 0; o < 2; ++o) {
      const auto c = chi2_goodness(h[o], exact_m[o]);
      std::printf("[ measured ] %s n=2 master equation, %s: chi2 = %.1f, dof %d, p = %.3f\n",
                  walk->algorithm(), o == 0 ? "l1" : "l1 - l2", c.stat, c.dof, c.p);
      EXPECT_GE(c.p, tol::p_value);
    }
    // Power: the same counts reject the law without interaction.
    const auto wrong = chi2_goodness(h[1], free_m[1]);
    std::printf("[ measured ] %s n=2 against the non-interacting law: p = %.2e\n",
                walk->algorithm(), wrong.p);
    EXPECT_LT(wrong.p, tol::p_value);
  }
}

TEST(RandomWalk, VetoAndReferenceSimulatorsAgreeForThreeParticles) {
  const int L = 8;
  const double t = 0.2;
  const Study study = particle_study(KernelKind::cai, 3, 2, L, 0.125, 8.0);
  VetoWalk veto(study);
  Study other = study;
  other.run.seed = 2;  // independent samples
  ReferenceWalk reference(other);
  const std::vector<std::function<int(const LatticeWalk&)>> obs{
      [&](const LatticeWalk& w) {
        return wrap(w.x()[0] - w.x()[1], L) * L + wrap(w.y()[0] - w.y()[1], L);
      },
      [&](const LatticeWalk& w) {
        return wrap(w.x()[0] - w.x()[2], L) * L + wrap(w.y()[0] - w.y()[2], L);
      }};
  const auto a = histograms(veto, 40000, t, L * L, obs);
  const auto b = histograms(reference, 40000, t, L * L, obs);
  for (int o = 0; o < 2; ++o) {
    const auto c = chi2_two_sample(a[o], b[o]);
    std::printf("[ measured ] n=3 veto vs reference, %s: chi2 = %.1f, dof %d, p = %.3f\n",
                o == 0 ? "equal signs" : "opposite signs", c.stat, c.dof, c.p);
    EXPECT_GE(c.p, tol::p_value);
  }
}

TEST(RandomWalk, BoundRateDominatesEveryRate) {
  const Study study = particle_study(KernelKind::gaussian, 200, 100, 64, 1.0 / 16, 4.0);
  VetoWalk veto(study);
  for (std::uint64_t r = 0; r < 3; ++r) {
    veto.start(r);
    veto.advance_to(0.01 * double(r));
    for (std::size_t i = 0; i < 200; ++i)
      for (int dir = 0; dir < 4; ++dir) {
        const double acc = veto.acceptance(i, dir);
        EXPECT_GT(acc, 0);
        EXPECT_LE(acc, 1 + 1e-14);
      }
  }
  std::printf("[ measured ] n=200 L=64: expected partners per proposal %.4f\n",
              veto.mean_partners());
}

template <class Walk>
void expect_replica_is_pure_function(const Study& study) {
  Walk alone(study);
  alone.start(16);
  alone.advance_to(0.05);
  alone.advance_to(0.1);
  Walk batch(study);
  std::vector<std::int32_t> x, y;
  for (std::uint64_t r = 0; r < 32; ++r) {
    batch.start(r);
    batch.advance_to(0.05);
    batch.advance_to(0.1);
    if (r == 16) {
      x.assign(batch.x().begin(), batch.x().end());
      y.assign(batch.y().begin(), batch.y().end());
    }
  }
  ASSERT_EQ(x.size(), alone.x().size());
  EXPECT_EQ(0, std::memcmp(x.data(), alone.x().data(), x.size() * sizeof(x[0])));
  EXPECT_EQ(0, std::memcmp(y.data(), alone.y().data(), y.size() * sizeof(y[0])));
  EXPECT_GT(alone.events(), 0u);
}

TEST(RandomWalk, ReplicaIsAPureFunctionOfSeedAndId) {
  Study study = particle_study(KernelKind::gaussian, 40, 20, 32, 1.0 / 16, 4.0);
  study.model.n_plus.reset();  // random signs too
  expect_replica_is_pure_function<VetoWalk>(study);
  expect_replica_is_pure_function<ReferenceWalk>(study);
}

TEST(RandomWalk, RefusesInfiniteBeta) {
  Study study = particle_study(KernelKind::gaussian, 4, 2, 32, 1.0 / 16, 4.0);
  study.model.beta = std::numeric_limits<double>::infinity();
  try {
    VetoWalk walk(study);
    FAIL() << "beta = inf accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("beta = inf"), std::string::npos);
  }
}
