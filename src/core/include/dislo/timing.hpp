#pragma once
// Wall-clock timing of phases (progress lines, run summaries, wall-time budgets).

#include <chrono>

namespace dislo {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace dislo
