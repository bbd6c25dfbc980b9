#pragma once
// Where an ensemble stands (checkpoints), and how a run asks it to stop.

#include <cstdint>
#include <functional>
#include <vector>

namespace dislo {

// Enough to continue an ensemble with the same results. Every rank holds complete, done
// and partial; rank 0 also holds rows and the summed counts.
struct EnsembleState {
  bool complete = false;              // every round run (rows hold all replicas)
  long done = 0;                      // replicas [0, done): the rounds before the current one
  std::vector<std::int64_t> partial;  // replicas of the current round already finished
  std::vector<double> rows;           // rank 0: replica-major rows (kappa, metrics x times)
  std::vector<std::int64_t> law[2], law_sq[2], pairs[2];  // rank 0: summed integer tallies
  std::uint64_t work = 0;                                 // rank 0: summed
  double seconds_simulate = 0, seconds_metrics = 0;       // rank 0: summed
  bool operator==(const EnsembleState&) const = default;
};

// Asked before each replica is taken, with the longest replica time seen so far on this
// rank; true stops the ensemble after the replicas in flight (signals, wall-time budget).
using StopRequest = std::function<bool(double longest_replica_seconds)>;

}  // namespace dislo
