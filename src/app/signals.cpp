#include "dislo/signals.hpp"

#include <csignal>

namespace dislo {

namespace {
volatile std::sig_atomic_t g_interrupt = 0;
extern "C" void on_interrupt_signal(int) { g_interrupt = 1; }
}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGUSR1, &sa, nullptr);
}

bool interrupt_requested() { return g_interrupt != 0; }
void request_interrupt() { g_interrupt = 1; }

}  // namespace dislo
