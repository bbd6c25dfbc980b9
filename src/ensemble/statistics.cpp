#include "dislo/statistics.hpp"

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>

namespace dislo {

MeanStderr mean_and_stderr(std::span<const double> values, std::size_t first, std::size_t stride,
                           std::size_t count) {
  MeanStderr out;
  double sum = 0;
  for (std::size_t r = 0; r < count; ++r) sum += values[first + r * stride];
  out.mean = sum / double(count);  // NaN for no replicas
  // Two passes: the deviations are small against the mean for tight ensembles.
  double sq = 0;
  for (std::size_t r = 0; r < count; ++r) {
    const double d = values[first + r * stride] - out.mean;
    sq += d * d;
  }
  if (count > 1) out.stderr_ = std::sqrt(sq / double(count - 1) / double(count));
  return out;
}

CellTest cell_mean_test(std::span<const double> diff, std::span<const double> var, long replicas) {
  CellTest out;
  if (replicas < 2) return out;
  const boost::math::students_t t_law(double(replicas - 1));
  const boost::math::normal normal;
  for (std::size_t q = 0; q < diff.size(); ++q) {
    if (!(var[q] > 0)) continue;
    // The lower tail of -|t|, accurate far out; below the smallest normal double the
    // quantile is clamped (|z| <= 37.5, p = 0 anyway).
    const double tail = boost::math::cdf(t_law, -std::abs(diff[q]) / std::sqrt(var[q]));
    const double z = boost::math::quantile(normal, std::max(tail, 1e-300));
    out.stat += z * z;
    ++out.cells;
  }
  if (out.cells < 2) return out;
  const double k = out.cells;
  out.p = boost::math::cdf(
      boost::math::complement(boost::math::chi_squared(k - 1), out.stat * (k - 1) / k));
  return out;
}

}  // namespace dislo
