#pragma once
// Cubic Lagrange interpolation weights, shared by the force tables (forces.cpp) and the
// mean-field force frames (chaos.cpp). Internal to the library.

#include <array>

namespace dislo::detail {

// Weights of the nodes -1, 0, 1, 2 at u in [0, 1).
inline std::array<double, 4> cubic_weights(double u) {
  const double um1 = u - 1, um2 = u - 2, up1 = u + 1;
  return {-u * um1 * um2 / 6, up1 * um1 * um2 / 2, -up1 * u * um2 / 2, up1 * u * um1 / 6};
}

}  // namespace dislo::detail
