// Initial conditions of the particle engines (models.md section 3): i.i.d. positions with
// law rho0^b/|rho0^b| (continuum) or proportional to rho0^b at the sites (lattice), signs,
// and the mass discrepancy kappa. Fixed seeds; each chi-square test asserts
// p >= tol::p_value (1e-5), 5 tests in this program.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numbers>

#include "dislo/particles.hpp"
#include "statistics.hpp"
#include "test_support.hpp"
#include "tolerances.hpp"

using namespace dislo;
using dislo::testing::chi2_goodness;

namespace {
ModelParams model(long n, std::optional<long> n_plus) {
  ModelParams m;
  m.n = n;
  m.n_plus = n_plus;
  m.lattice = 16;
  m.delta = 0.1;
  return m;
}
}  // namespace

// Cosine data rho0+ = m+ (1 + a cos(2 pi x)): the law of x has, on bin [u, v),
// probability (v - u) + a (sin 2 pi v - sin 2 pi u)/(2 pi).
TEST(InitialSampler, ContinuumPositionsFollowTheCosineLaw) {
  InitialParams in;
  in.kind = InitialKind::cosine;
  in.amplitude = 0.9;
  in.amplitude_minus = -0.6;
  const long n = 200000;
  const InitialSampler sampler(in, model(n, n / 2), 0);
  const CounterRng rng(11, 0);
  const Signs signs = sampler.signs(rng);
  std::vector<double> x, y;
  sampler.continuum(rng, signs, x, y);
  const int B = 32;
  for (int sign : {+1, -1}) {
    const double a = sign > 0 ? in.amplitude : in.amplitude_minus;
    std::vector<double> counts(B, 0.0), law(B);
    for (long i = 0; i < n; ++i)
      if (signs.b[i] == sign) counts[std::min(B - 1, int(x[i] * B))] += 1;
    for (int k = 0; k < B; ++k) {
      const double u = double(k) / B, v = double(k + 1) / B;
      law[k] =
          (v - u) + a * (std::sin(2 * std::numbers::pi * v) - std::sin(2 * std::numbers::pi * u)) /
                        (2 * std::numbers::pi);
    }
    const auto c = chi2_goodness(counts, law);
    std::printf("[ measured ] continuum cosine sampling, sign %+d: chi2 = %.1f, dof %d, p = %.3f\n",
                sign, c.stat, c.dof, c.p);
    EXPECT_GE(c.p, tol::p_value);
  }
}

// Blobs: a wrapped normal per blob is exactly the periodised gaussian; the mean of
// cos(2 pi (x - c)) over the law is exp(-2 pi^2 w^2).
TEST(InitialSampler, BlobsAreWrappedNormals) {
  InitialParams in;
  in.kind = InitialKind::blobs;
  in.mass_plus = 1.0;
  in.blobs_plus = {Blob{{0.9, 0.2}, 0.2, 1.0}};
  const long n = 100000;
  const InitialSampler sampler(in, model(n, n), 0);
  const CounterRng rng(3, 1);
  const Signs signs = sampler.signs(rng);
  std::vector<double> x, y;
  sampler.continuum(rng, signs, x, y);
  double s = 0, sq = 0;
  for (long i = 0; i < n; ++i) {
    ASSERT_TRUE(x[i] >= 0 && x[i] < 1);
    const double c = std::cos(2 * std::numbers::pi * (x[i] - 0.9));
    s += c;
    sq += c * c;
  }
  const double mean = s / n, sd = std::sqrt((sq / n - mean * mean) / n);
  const double exact = std::exp(-2 * std::numbers::pi * std::numbers::pi * 0.04);
  const double p = dislo::testing::normal_two_sided((mean - exact) / sd);
  std::printf("[ measured ] blob E cos = %.5f (exact %.5f), p = %.3f\n", mean, exact, p);
  EXPECT_GE(p, tol::p_value);
}

TEST(InitialSampler, LatticeSitesFollowTheSiteWeights) {
  InitialParams in;
  in.kind = InitialKind::cosine;
  in.k = {1, 1};
  in.amplitude = 0.7;
  const long n = 200000;
  const ModelParams m = model(n, n);
  const InitialSampler sampler(in, m, m.lattice);
  const CounterRng rng(5, 2);
  const Signs signs = sampler.signs(rng);
  std::vector<std::int32_t> x, y;
  sampler.lattice(rng, signs, x, y);
  const int L = m.lattice;
  std::vector<double> counts(L * L, 0.0), law(L * L);
  double z = 0;
  for (int i = 0; i < L; ++i)
    for (int j = 0; j < L; ++j)
      z += law[i * L + j] = sampler.density()(+1, double(i) / L, double(j) / L);
  for (auto& q : law) q /= z;
  for (long k = 0; k < n; ++k) counts[x[k] * L + y[k]] += 1;
  const auto c = chi2_goodness(counts, law);
  std::printf("[ measured ] lattice sampling: chi2 = %.1f, dof %d, p = %.3f\n", c.stat, c.dof, c.p);
  EXPECT_GE(c.p, tol::p_value);
}

TEST(InitialSampler, SignsAndMassDiscrepancy) {
  InitialParams in;
  in.mass_plus = 0.3;
  // Fixed n_plus: sorted signs, kappa = |n+/n - 0.3| + |n-/n - 0.7|.
  const InitialSampler fixed(in, model(10, 4), 0);
  const Signs s = fixed.signs(CounterRng(1, 0));
  EXPECT_EQ(s.n_plus, 4);
  EXPECT_EQ(s.b[3], 1);
  EXPECT_EQ(s.b[4], -1);
  EXPECT_NEAR(mass_discrepancy(s, 0.3), 0.2, 1e-15);
  // Random signs: n+ ~ Binomial(n, 0.3).
  const long n = 100000;
  const InitialSampler random(in, model(n, std::nullopt), 0);
  const Signs r = random.signs(CounterRng(1, 7));
  const double z = (double(r.n_plus) - 0.3 * n) / std::sqrt(n * 0.3 * 0.7);
  const double p = dislo::testing::normal_two_sided(z);
  std::printf("[ measured ] random signs: n+ = %ld of %ld, p = %.3f\n", r.n_plus, n, p);
  EXPECT_GE(p, tol::p_value);
  EXPECT_NEAR(mass_discrepancy(r, 0.3), 2 * std::abs(double(r.n_plus) / n - 0.3), 1e-15);
}
