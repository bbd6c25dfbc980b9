// The law test of the ensembles (statistics.hpp, cell_mean_test): its p-value is
// calibrated, that is uniform when the replica means equal the reference, including the
// tail the suite's assertions use; the plain chi-square of t^2 it replaces is not.
// Null data: replicas of n independent particles in K cells (the law of one particle in
// a replica of the non-interacting model), compared with the exact cell probabilities.
// Fixed seeds; each of the 6 calibration bands fails falsely with probability below
// tol::p_value = 1e-5 (6e-5 for this program).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <random>
#include <vector>

#include "dislo/statistics.hpp"
#include "statistics.hpp"
#include "tolerances.hpp"

using dislo::cell_mean_test;

namespace {

struct NullCase {
  int trials;       // null experiments
  int cells;        // K
  long n;           // particles per replica
  long replicas;    // R
  double contrast;  // cell probabilities 1 + contrast cos(2 pi q / K), normalised
};

std::vector<double> probabilities(const NullCase& c) {
  std::vector<double> p(c.cells);
  double total = 0;
  for (int q = 0; q < c.cells; ++q)
    total += p[q] = 1 + c.contrast * std::cos(2 * std::numbers::pi * q / c.cells);
  for (double& v : p) v /= total;
  return p;
}

// p-values of `trials` null experiments: by cell_mean_test, and by the plain sum of t^2
// against chi^2 with K degrees of freedom.
struct PValues {
  std::vector<double> calibrated, plain;
};

PValues null_p_values(const NullCase& c, int trials, std::uint64_t seed) {
  const auto p = probabilities(c);
  const int K = c.cells;
  const double R = double(c.replicas);
  std::mt19937_64 rng(seed);
  PValues out;
  std::vector<double> sum(K), sq(K), diff(K), var(K), counts(K);
  for (int trial = 0; trial < trials; ++trial) {
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(sq.begin(), sq.end(), 0.0);
    for (long r = 0; r < c.replicas; ++r) {
      // Multinomial by successive binomials.
      long left = c.n;
      double mass_left = 1;
      for (int q = 0; q < K; ++q) {
        const double share = q + 1 == K ? 1.0 : std::min(1.0, p[q] / mass_left);
        const long k = std::binomial_distribution<long>(left, share)(rng);
        left -= k;
        mass_left -= p[q];
        const double f = double(k) / double(c.n);
        sum[q] += f;
        sq[q] += f * f;
      }
    }
    double plain = 0;
    for (int q = 0; q < K; ++q) {
      const double m = sum[q] / R;
      diff[q] = m - p[q];
      var[q] = (sq[q] / R - m * m) * R / (R - 1) / R;
      plain += diff[q] * diff[q] / var[q];
    }
    out.calibrated.push_back(cell_mean_test(diff, var, c.replicas).p);
    out.plain.push_back(dislo::testing::chi2_sf(plain, K));
  }
  return out;
}

// How many of the p-values fall below alpha, and the band [lo, hi] that count stays in
// with probability at least 1 - tol::p_value when the p-values are uniform (Poisson tails
// of mean N alpha, which bound the binomial's).
struct TailCount {
  long count = 0, lo = 0, hi = 0;
};

TailCount tail_count(const std::vector<double>& pv, double alpha) {
  using dislo::testing::gamma_q;  // P(X <= k) = Q(k + 1, mean) for X ~ Poisson(mean)
  TailCount t;
  t.count = std::count_if(pv.begin(), pv.end(), [&](double v) { return v < alpha; });
  const double mean = double(pv.size()) * alpha, each_side = 0.5 * dislo::tol::p_value;
  while (t.lo + 1 <= mean && gamma_q(double(t.lo + 1), mean) <= each_side) ++t.lo;
  t.hi = long(mean);
  while (1 - gamma_q(double(t.hi + 1), mean) > each_side) ++t.hi;
  return t;
}

}  // namespace

TEST(CellMeanTest, EdgeCases) {
  const std::vector<double> zero(5, 0.0), one(5, 1.0);
  // Every mean on its reference: the smallest statistic, p = 1.
  const auto exact = cell_mean_test(zero, one, 64);
  EXPECT_EQ(exact.cells, 5);
  EXPECT_EQ(exact.stat, 0.0);
  EXPECT_DOUBLE_EQ(exact.p, 1.0);
  // Cells without variance are left out; fewer than two cells cannot be tested.
  const std::vector<double> var = {1, 0, 0, 0, 0};
  EXPECT_EQ(cell_mean_test(one, var, 64).cells, 1);
  EXPECT_TRUE(std::isnan(cell_mean_test(one, var, 64).p));
  EXPECT_TRUE(std::isnan(cell_mean_test(one, one, 1).p));
  // A deviation far beyond the t law's tail still gives a finite statistic and p = 0.
  const std::vector<double> far = {1e6, -1e6, 0, 0, 0};
  const auto out = cell_mean_test(far, one, 64);
  EXPECT_TRUE(std::isfinite(out.stat));
  EXPECT_LT(out.p, 1e-100);
}

TEST(CellMeanTest, NullTailsAreCalibrated) {
  // The suite asserts p >= 1e-5; a tail that heavy cannot be counted directly, so the
  // calibration is checked at alpha = 0.01 and 0.001 with thousands of experiments, for the
  // ensemble tests' shapes: 64 replicas and 64 cells (SDE), 64 replicas and 256 sites (RW), and few
  // replicas, where the t correction matters most.
  const NullCase cases[] = {
      {8000, 64, 2000, 64, 0.6}, {2000, 256, 4000, 64, 0.6}, {16000, 64, 2000, 16, 0.0}};
  std::uint64_t seed = 1;
  for (const NullCase& c : cases) {
    const auto pv = null_p_values(c, c.trials, seed++);
    for (double alpha : {1e-2, 1e-3}) {
      const auto cal = tail_count(pv.calibrated, alpha), plain = tail_count(pv.plain, alpha);
      std::printf(
          "[ measured ] K = %d, R = %ld: p < %g in %ld of %d (band [%ld, %ld]); plain "
          "chi-square of t^2: %ld\n",
          c.cells, c.replicas, alpha, cal.count, c.trials, cal.lo, cal.hi, plain.count);
      EXPECT_GE(cal.count, cal.lo) << c.cells << " cells, alpha " << alpha;
      EXPECT_LE(cal.count, cal.hi) << c.cells << " cells, alpha " << alpha;
      // Power of the calibration check: the statistic the ensembles used before fails it.
      if (alpha == 1e-2) {
        EXPECT_GT(plain.count, plain.hi) << c.cells << " cells";
      }
    }
  }
}
