#include "dislo/progress.hpp"

#include <atomic>

namespace dislo {

namespace {
std::atomic<bool> enabled{true};
}  // namespace

void set_progress(bool on) { enabled = on; }
bool progress_enabled() { return enabled; }

}  // namespace dislo
