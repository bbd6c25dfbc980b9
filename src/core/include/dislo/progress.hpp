#pragma once
// Progress lines on standard output: solver steps, replicas started, checkpoints, sweep
// points and the final summary. Printed unless switched off (`dislo run --quiet`); warnings
// and errors go to standard error regardless. Callers print on rank 0 only.

#include <fmt/format.h>

#include <cstdio>
#include <utility>

namespace dislo {

void set_progress(bool on);
bool progress_enabled();

// One progress line (or several), flushed at once so that a job's log follows the run.
template <class... Args>
void progress(fmt::format_string<Args...> format, Args&&... args) {
  if (!progress_enabled()) return;
  fmt::print(format, std::forward<Args>(args)...);
  std::fflush(stdout);
}

}  // namespace dislo
