#pragma once
// Ensembles of independent particle replicas spread over MPI ranks (the only module of
// the particle side that knows ranks). Replicas are handed out dynamically (a shared
// counter in an MPI window); a replica's result depends only on (study, seed, replica id),
// and every statistic is reduced exactly (integer counts) or in replica order on rank 0,
// so the output is bit-identical whatever the number of ranks.

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dislo/config.hpp"
#include "dislo/ensemble_state.hpp"
#include "dislo/replica_engine.hpp"
#include "dislo/trajectory.hpp"

namespace dislo {

// Phases of a run after the current ensemble: the forecast seconds of their simulation
// (forecast_seconds) and their replicas, whose metrics are taken to cost what the current
// ensemble's cost per replica (the same n, times and kinds).
struct LaterPhases {
  double seconds = 0;
  long replicas = 0;
  std::string names;  // empty: the current ensemble is the run's last phase
};

struct EnsembleResult {
  bool interrupted = false;  // stopped by a StopRequest: state says where, nothing else is set
  EnsembleState state;       // also when complete: a later model's checkpoint needs it
  long replicas = 0;
  // "<kind>_<sign>", e.g. "w1_plus"; with chaos also "chaos/coupling" (SDE) or
  // "chaos/thinning" and "chaos/time_change" (RW): (1/n) sum_i |X_i - Xbar_i|.
  std::vector<std::string> metric_names;
  std::vector<std::vector<double>> values;  // per metric: [R * nt], replica-major (rank 0)
  std::vector<double> mean, stderr_;        // per metric: [nt] each, concatenated
  std::vector<double> kappa;                // [R] (rank 0)
  int law_grid = 0;                         // H (SDE histogram) or L (RW sites)
  std::vector<double> law_plus, law_minus;  // [nt * G * G] densities (rank 0)
  // [nt * G * G]: the densities' standard errors, and the mean field's cell averages
  // they are compared with (rank 0).
  std::vector<double> law_stderr[2], law_reference[2];
  std::vector<double> law_l2[2], law_l2_stderr[2];  // [nt]: L2 distance to the mean field
  // [nt]: cell_mean_test of the law against the mean field (statistics.hpp): its
  // statistic, cells and p-value (propagation of chaos: the law is the mean field up to
  // O(1/n), so p is uniform unless the replicas resolve that bias).
  std::vector<double> law_chi2[2], law_cells[2], law_p[2];
  std::vector<double> r;                             // [nr] bin centres of the pair distance
  std::vector<double> pair_opposite, pair_equal;     // [nt * nr] densities (NaN without pairs)
  double seconds_simulate = 0, seconds_metrics = 0;  // summed over ranks
  std::uint64_t work = 0;  // particle-steps (SDE) or events (RW), summed over ranks
};

// Collective over comm. Runs study.run.replicas replicas of the model, each compared at
// every output time with the reference mean-field trajectory (MF for SDE, MFeps for RW)
// and, when continuum is given (RW with metrics.rw_against_mf), with MF as well: those
// metrics are named "mf/<kind>_<sign>".
// resume continues from a saved state (every rank passes it; see EnsembleState).
// chaos (with study.chaos.coupling) adds the coupling distances of every replica.
// later: the phases of the run still to come after this ensemble, added to its progress
// lines' ETA so that they show the whole run's.
EnsembleResult run_ensemble(MPI_Comm comm, const Study& study, ParticleModel model,
                            const Trajectory& reference, const Trajectory* continuum = nullptr,
                            const EnsembleState* resume = nullptr,
                            const StopRequest& stop = nullptr, const ChaosForces* chaos = nullptr,
                            const LaterPhases& later = {});

// A rough forecast of an ensemble's wall seconds on `ranks` ranks before it starts: its
// simulation work (particle-steps, or the random walk's expected events) at the
// throughputs docs/performance.md records for its method; metrics are not counted. For
// the whole-run ETA while an earlier phase runs, never for a decision.
double forecast_seconds(const Study& study, ParticleModel model, int ranks);
long max_replicas(const RunParams& run);

}  // namespace dislo
