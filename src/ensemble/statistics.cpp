#include "dislo/statistics.hpp"

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

}  // namespace dislo
