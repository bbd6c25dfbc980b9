// SDE_n laws (models.md section 4), long runs: the Gibbs law of the relative coordinate
// (n = 2) and the weak order of Euler-Maruyama. Fixed seeds; every statistical
// test asserts p >= tol::p_value (1e-5 each, at most 10 in this program: below 1e-4).
#include <gtest/gtest.h>

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

class GibbsTest : public ::testing::TestWithParam<std::tuple<KernelKind, double, bool>> {};

// n = 2: r = x1 - x2 has stationary density proportional to exp(-(beta/2) b1 b2 V_delta(r)).
TEST_P(GibbsTest, RelativeCoordinateFollowsTheGibbsLaw) {
  const auto [kind, beta, opposite] = GetParam();
  // Reduced case (sanitizer build): beta = 8 only, a quarter of the samples.
  if (dislo::testing::reduced_case() && beta < 6) GTEST_SKIP() << "reduced case: beta = 8 only";
  const double delta = 0.1;
  Study study = particle_study(kind, 2, opposite ? 1 : 2, 32, delta, beta);
  SdeEngine sde(study);  // the default step: its O(dt) bias is below this test's resolution
  const double T = 2.0;  // > 10 relaxation times of r for these betas
  // Bins of the torus distance |r|: the law differs from uniform mostly near the core.
  const int B = 14;
  const double rmax = std::sqrt(0.5);
  auto bin = [&](double dx, double dy) {
    dx -= std::round(dx);
    dy -= std::round(dy);
    return std::min(B - 1, int(std::hypot(dx, dy) / rmax * B));
  };
  // Enough samples that the test rejects the uniform law (power), at beta = 4 too.
  const long R = beta < 6 ? 12000 : 4000;
  std::vector<double> counts(B, 0.0);
  for (long r = 0; r < R; ++r) {
    sde.start(std::uint64_t(r));
    sde.advance_to(T);
    counts[bin(sde.x()[0] - sde.x()[1], sde.y()[0] - sde.y()[1])] += 1;
  }
  // Bin probabilities by the midpoint rule on a 256^2 grid (midpoints are the odd points of
  // the exact 512^2 table): error O(h^2) relative, far below 1/sqrt(R).
  const int G = 512;
  const PotentialTable V = tabulate(Kernel(kind, delta), G);
  const double b1b2 = opposite ? -1 : 1;
  std::vector<double> law(B, 0.0), uniform(B, 0.0);
  double Z = 0, Zu = 0;
  for (int i = 1; i < G; i += 2)
    for (int j = 1; j < G; j += 2) {
      const double w = std::exp(-0.5 * beta * b1b2 * V.V[std::size_t(i) * G + j]);
      const int k = bin(double(i) / G, double(j) / G);
      law[k] += w;
      uniform[k] += 1;
      Z += w;
      Zu += 1;
    }
  for (int k = 0; k < B; ++k) {
    law[k] /= Z;
    uniform[k] /= Zu;
  }
  const auto c = chi2_goodness(counts, law);
  const auto wrong = chi2_goodness(counts, uniform);
  std::printf("[ measured ] %s beta=%g %s: chi2 = %.1f, dof %d, p = %.3f (uniform: p = %.1e)\n",
              to_string(kind), beta, opposite ? "opposite" : "equal", c.stat, c.dof, c.p, wrong.p);
  EXPECT_GE(c.p, tol::p_value);
  EXPECT_LT(wrong.p, tol::p_value);  // the law is far from uniform: the test has power
}

INSTANTIATE_TEST_SUITE_P(KernelsBetasSigns, GibbsTest,
                         ::testing::Combine(::testing::Values(KernelKind::gaussian,
                                                              KernelKind::cai),
                                            ::testing::Values(4.0, 8.0), ::testing::Bool()));

// Weak order of Euler-Maruyama: E f(X_T) at dt_l = T/(32 2^l), l = 0..4, on shared Brownian
// paths (noise_refinement 4 - l sums the same finest normals), so the differences
// d_l = E f_l - E f_{l+1} ~ C dt_l are resolved far beyond their Monte Carlo error.
TEST(Sde, EulerMaruyamaHasWeakOrderOne) {
  const double T = 0.5;
  const int levels = 5;
  const long R = 4000;
  // An attracting pair with little noise: the drift's nonlinearity, which Euler-Maruyama
  // resolves to O(dt), dominates (dt_0 is near the default step of this study).
  Study study = particle_study(KernelKind::gaussian, 2, 1, 32, 0.1, 32.0);
  std::vector<std::vector<double>> f(levels, std::vector<double>(R));
  for (int l = 0; l < levels; ++l) {
    study.sde.dt = T / (32 << l);
    study.sde.noise_refinement = levels - 1 - l;
    SdeEngine sde(study);
    for (long r = 0; r < R; ++r) {
      sde.start(std::uint64_t(r));
      sde.advance_to(T);
      // Squared torus distance of the pair.
      double dx = sde.x()[0] - sde.x()[1], dy = sde.y()[0] - sde.y()[1];
      dx -= std::round(dx);
      dy -= std::round(dy);
      f[l][r] = dx * dx + dy * dy;
    }
  }
  std::vector<double> logdt, logd;
  for (int l = 0; l + 1 < levels; ++l) {
    double mean = 0, sq = 0;
    for (long r = 0; r < R; ++r) {
      const double d = f[l][r] - f[l + 1][r];
      mean += d;
      sq += d * d;
    }
    mean /= R;
    const double stderr_ = std::sqrt((sq / R - mean * mean) / (R - 1));
    std::printf("[ measured ] dt = %.5f: E f_l - E f_(l+1) = %.3e +- %.1e\n", T / (32 << l), mean,
                stderr_);
    ASSERT_GT(std::abs(mean), 5 * stderr_) << "difference not resolved";
    logdt.push_back(std::log(T / (32 << l)));
    logd.push_back(std::log(std::abs(mean)));
  }
  // Least-squares slope of log |d_l| against log dt_l.
  const double n = double(logdt.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t k = 0; k < logdt.size(); ++k) {
    sx += logdt[k];
    sy += logd[k];
    sxx += logdt[k] * logdt[k];
    sxy += logdt[k] * logd[k];
  }
  const double order = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  double finest = 0;
  for (long r = 0; r < R; ++r) finest += f[levels - 1][r] / double(R);
  SdeEngine probe(particle_study(KernelKind::gaussian, 2, 1, 32, 0.1, 32.0));
  std::printf("[ measured ] observed weak order %.3f; E f at dt = %.5f: %.4e; default step %.5f\n",
              order, T / (32 << (levels - 1)), finest, probe.step());
  EXPECT_GE(order, tol::weak_order_min);
  EXPECT_LE(order, tol::weak_order_max);
}
