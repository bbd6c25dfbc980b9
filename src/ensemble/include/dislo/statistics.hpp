#pragma once
// Replica statistics: the one mean-and-standard-error routine of the ensembles, and the
// test of replica means against a reference in many cells at once.

#include <cstddef>
#include <limits>
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

// Does the replica mean equal the reference in every cell? diff[q] = mean - reference,
// var[q] its variance estimated from `replicas` replicas (cells with var = 0 are left out).
// Each cell's t = diff / sqrt(var) has Student's t law with replicas - 1 degrees of
// freedom; it is mapped to the normal quantile z of equal tail probability, and
// stat = sum z^2. The deviations sum to zero over the cells (both sides carry the same
// mass), so stat is a quadratic form of rank cells - 1 and mean cells: p is its tail as
// (cells / (cells - 1)) chi^2_{cells - 1} (exact for equal cells of independent particles
// in the normal limit; tests/test_statistics.cpp checks the calibration by simulation).
// A plain sum of t^2 against chi^2_cells has a tail too light for tens of replicas.
struct CellTest {
  double stat = 0;
  int cells = 0;
  double p = std::numeric_limits<double>::quiet_NaN();  // NaN: fewer than 2 cells
};
CellTest cell_mean_test(std::span<const double> diff, std::span<const double> var, long replicas);

}  // namespace dislo
