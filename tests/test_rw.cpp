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
#include "statistics.hpp"
#include "test_support.hpp"
#include "tolerances.hpp"

using namespace dislo;
using dislo::testing::chi2_goodness;
using dislo::testing::chi2_two_sample;
using dislo::testing::particle_study;

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

int wrap(long v, int L) { return int(((v % L) + L) % L); }

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

namespace {

// Exact law of RW_2^eps at time t by uniformisation of the master equation (eq. 30) on the
// L^4 joint states; rates from models.md eq. 8 with grad V_delta sampled at the sites.
std::vector<double> master_equation_n2(const Study& s, const std::vector<double>& p0, double t,
                                       bool interacting) {
  const int L = s.model.lattice;
  const int S = L * L;
  const double eps = s.model.eps(), beta = s.model.beta;
  const PotentialTable table = tabulate(Kernel(s.kernel, s.model.delta), L);
  const int b[2] = {+1, s.model.n_plus == 2 ? +1 : -1};
  // rate[(state) * 8 + move], move = particle * 4 + dir
  std::vector<double> rate(std::size_t(S) * S * 8);
  std::vector<int> target(rate.size());
  double exit_max = 0;
  for (int s1 = 0; s1 < S; ++s1)
    for (int s2 = 0; s2 < S; ++s2) {
      const int pos[2] = {s1, s2};
      double exit = 0;
      for (int i = 0; i < 2; ++i) {
        const int me = pos[i], other = pos[1 - i];
        const int dx = wrap(me / L - other / L, L), dy = wrap(me % L - other % L, L);
        const double g[2] = {table.dV1[std::size_t(dx) * L + dy],
                             table.dV2[std::size_t(dx) * L + dy]};
        for (int dir = 0; dir < 4; ++dir) {
          const int d = dir / 2, sgn = dir % 2 ? -1 : 1;
          // h.F_i = sgn eps * (-(b_i/n) b_j dV_d(l_i - l_j)), n = 2.
          const double hF = interacting ? sgn * eps * (-0.5 * b[i] * b[1 - i] * g[d]) : 0.0;
          const double r = std::exp(beta * hF / 2) / (beta * eps * eps);
          int x = me / L, y = me % L;
          (d == 0 ? x : y) += sgn;
          const int moved = wrap(x, L) * L + wrap(y, L);
          const int np[2] = {i == 0 ? moved : s1, i == 1 ? moved : s2};
          const std::size_t k = (std::size_t(s1) * S + s2) * 8 + i * 4 + dir;
          rate[k] = r;
          target[k] = np[0] * S + np[1];
          exit += r;
        }
      }
      exit_max = std::max(exit_max, exit);
    }
  const double Lambda = exit_max;
  std::vector<double> p = p0, next(p.size()), out(p.size(), 0.0);
  double weight = std::exp(-Lambda * t), cumulative = 0;
  for (int k = 0; cumulative < 1 - 1e-15; ++k) {
    if (k > 0) weight *= Lambda * t / k;
    for (std::size_t q = 0; q < p.size(); ++q) out[q] += weight * p[q];
    cumulative += weight;
    // p <- p (I + Q/Lambda)
    std::fill(next.begin(), next.end(), 0.0);
    for (std::size_t q = 0; q < p.size(); ++q) {
      double stay = 1;
      for (int m = 0; m < 8; ++m) {
        const double pr = rate[q * 8 + m] / Lambda;
        next[std::size_t(target[q * 8 + m])] += p[q] * pr;
        stay -= pr;
      }
      next[q] += p[q] * stay;
    }
    p.swap(next);
    if (k > 100000) break;
  }
  return out;
}

}  // namespace

TEST(RandomWalk, TwoParticlesMatchTheMasterEquation) {
  const int L = 8;
  const double t = 0.15;
  Study study = particle_study(KernelKind::gaussian, 2, 1, L, 0.125, 8.0);
  study.initial.kind = InitialKind::cosine;
  study.initial.amplitude = 0.8;
  study.initial.amplitude_minus = -0.8;
  const int S = L * L;
  // Initial law: independent lattice samples proportional to rho0^{+-} at the sites.
  InitialDensity rho0(study.initial);
  std::vector<double> pp(S), pm(S);
  double zp = 0, zm = 0;
  for (int s = 0; s < S; ++s) {
    pp[s] = rho0(+1, double(s / L) / L, double(s % L) / L);
    pm[s] = rho0(-1, double(s / L) / L, double(s % L) / L);
    zp += pp[s];
    zm += pm[s];
  }
  std::vector<double> p0(std::size_t(S) * S);
  for (int a = 0; a < S; ++a)
    for (int c = 0; c < S; ++c) p0[std::size_t(a) * S + c] = pp[a] / zp * pm[c] / zm;
  const auto exact = master_equation_n2(study, p0, t, true);
  const auto free_law = master_equation_n2(study, p0, t, false);
  // Marginals: position of particle 1 and the relative vector l1 - l2.
  auto marginals = [&](const std::vector<double>& joint) {
    std::vector<double> first(S, 0.0), relative(S, 0.0);
    for (int a = 0; a < S; ++a)
      for (int c = 0; c < S; ++c) {
        const double q = joint[std::size_t(a) * S + c];
        first[a] += q;
        relative[wrap(a / L - c / L, L) * L + wrap(a % L - c % L, L)] += q;
      }
    return std::array{first, relative};
  };
  const auto exact_m = marginals(exact);
  const auto free_m = marginals(free_law);
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
