#pragma once
// The integer units of the metrics' min-cost flows (private to the metrics module). LEMON's
// network simplex runs in integers here (with floating-point costs it can cycle): supplies
// are masses times 1e14, costs lengths times 1e12 (rounding 1e-14 and 1e-12 relative).

#include <cmath>
#include <cstddef>
#include <vector>

namespace dislo::integer_flow {

inline constexpr double kSupplyScale = 1e14;
inline constexpr double kCostScale = 1e12;

// Rounds supplies to integers that sum to zero (the residue goes to the largest one);
// `rounding` is the total mass the rounding moved.
inline std::vector<long long> supplies(const std::vector<double>& s, double& rounding) {
  std::vector<long long> out(s.size());
  long long sum = 0;
  std::size_t big = 0;
  for (std::size_t k = 0; k < s.size(); ++k) {
    out[k] = std::llround(s[k] * kSupplyScale);
    sum += out[k];
    if (std::abs(s[k]) > std::abs(s[big])) big = k;
  }
  if (!out.empty()) out[big] -= sum;
  rounding = 0;
  for (std::size_t k = 0; k < s.size(); ++k)
    rounding += std::abs(s[k] - double(out[k]) / kSupplyScale);
  return out;
}

}  // namespace dislo::integer_flow
