#pragma once
// Goodness-of-fit tests for the statistical tests of the particle engines. Each returns a
// p-value: the probability, under the hypothesis, of a statistic at least as extreme.
// A test that asserts p >= alpha fails falsely with probability alpha.

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

namespace dislo::testing {

// Regularised upper incomplete gamma Q(a, x) = Gamma(a, x)/Gamma(a): series for x < a + 1,
// Lentz's continued fraction otherwise (both to 1e-15 relative).
inline double gamma_q(double a, double x) {
  if (x <= 0) return 1.0;
  const double log_prefactor = a * std::log(x) - x - std::lgamma(a);
  if (x < a + 1) {
    double term = 1.0 / a, sum = term;
    for (int k = 1; k < 100000; ++k) {
      term *= x / (a + k);
      sum += term;
      if (std::abs(term) < 1e-16 * std::abs(sum)) break;
    }
    return 1.0 - sum * std::exp(log_prefactor);
  }
  const double tiny = 1e-300;
  double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < 100000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1) < 1e-16) break;
  }
  return std::exp(log_prefactor) * h;
}

// P(chi^2_dof >= stat).
inline double chi2_sf(double stat, double dof) { return gamma_q(0.5 * dof, 0.5 * stat); }

// Two-sided normal tail P(|Z| >= z).
inline double normal_two_sided(double z) { return std::erfc(std::abs(z) / std::sqrt(2.0)); }

struct Chi2 {
  double stat = 0;
  int dof = 0;
  double p = 1;
};

// Pearson's test of observed counts against cell probabilities (summing to 1). Cells with
// expected count below 5 are pooled, so the chi-square approximation holds.
inline Chi2 chi2_goodness(const std::vector<double>& counts, const std::vector<double>& prob) {
  if (counts.size() != prob.size()) throw std::invalid_argument("chi2_goodness: sizes differ");
  double total = 0;
  for (double c : counts) total += c;
  Chi2 r;
  double pooled_obs = 0, pooled_exp = 0;
  int cells = 0;
  for (std::size_t k = 0; k < counts.size(); ++k) {
    const double e = prob[k] * total;
    if (e < 5) {
      pooled_obs += counts[k];
      pooled_exp += e;
      continue;
    }
    r.stat += (counts[k] - e) * (counts[k] - e) / e;
    ++cells;
  }
  if (pooled_exp > 0) {
    r.stat += (pooled_obs - pooled_exp) * (pooled_obs - pooled_exp) / pooled_exp;
    ++cells;
  }
  r.dof = cells - 1;
  r.p = chi2_sf(r.stat, r.dof);
  return r;
}

// Two-sample chi-square test of homogeneity: are counts a and b draws from one law?
// Cells with fewer than 10 counts in total are pooled.
inline Chi2 chi2_two_sample(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) throw std::invalid_argument("chi2_two_sample: sizes differ");
  double na = 0, nb = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    na += a[k];
    nb += b[k];
  }
  Chi2 r;
  double pa = 0, pb = 0;
  int cells = 0;
  auto add = [&](double x, double y) {
    const double n = x + y;
    const double ea = n * na / (na + nb), eb = n * nb / (na + nb);
    r.stat += (x - ea) * (x - ea) / ea + (y - eb) * (y - eb) / eb;
    ++cells;
  };
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k] + b[k] < 10) {
      pa += a[k];
      pb += b[k];
      continue;
    }
    add(a[k], b[k]);
  }
  if (pa + pb > 0) add(pa, pb);
  r.dof = cells - 1;
  r.p = chi2_sf(r.stat, r.dof);
  return r;
}

}  // namespace dislo::testing
