#pragma once
// Replica statistics: the one mean-and-standard-error routine of the ensembles.

#include <cstddef>
#include <span>

namespace dislo {

struct MeanStderr {
  double mean = 0;
  double stderr_ = 0;  // sample standard deviation / sqrt(R); 0 when R < 2
};

// Mean and standard error of the mean of values[first + r * stride], r = 0 .. count - 1,
// summed in replica order (the same bits on any number of ranks).
MeanStderr mean_and_stderr(std::span<const double> values, std::size_t first, std::size_t stride,
                           std::size_t count);

}  // namespace dislo
