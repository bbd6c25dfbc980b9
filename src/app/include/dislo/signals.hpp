#pragma once
// Interruption of a run (docs/hpc.md): SIGTERM and SIGUSR1 set a flag that the ensembles
// poll between replicas; the run then writes a checkpoint and stops with kExitInterrupted.

#include <stdexcept>

namespace dislo {

// The interruption flag: set by SIGTERM and SIGUSR1 once install_interrupt_handlers() ran.
void install_interrupt_handlers();
bool interrupt_requested();
void request_interrupt();  // as a signal would (tests)

// Thrown by Run::run() after a checkpoint was written; the driver exits with kExitInterrupted.
class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
inline constexpr int kExitInterrupted = 3;

}  // namespace dislo
