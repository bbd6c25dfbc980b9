#pragma once
// The particle models behind one interface, so that the ensemble chooses SDE or RW once:
// an engine runs one replica at a time (start, advance_to) and shows its particles and,
// with [chaos] coupling, the distances to its coupled mean-field processes.

#include <mpi.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dislo/config.hpp"

namespace dislo {

class ContinuumForce;
class LatticeForce;
// The mean-field forces driving the coupled processes ([chaos] coupling = true): MF's for
// SDE, MFeps's for RW (force_frames.hpp).
struct ChaosForces {
  const ContinuumForce* mf = nullptr;
  const LatticeForce* mfeps = nullptr;
};

enum class ParticleModel { sde, rw };
const char* to_string(ParticleModel model);

// One replica's particles at the current time: plus signs first, [0, n_plus).
struct ReplicaView {
  std::span<const double> x, y;          // positions in [0, 1)
  std::span<const std::int32_t> ix, iy;  // RW only: the lattice sites, x = ix / L
  int L = 0;                             // RW only
  long n = 0, n_plus = 0;
  bool on_lattice() const { return L > 0; }
};

class ReplicaEngine {
 public:
  virtual ~ReplicaEngine() = default;
  // Draws replica `replica`'s initial state (keyed by seed and id only).
  virtual void start(std::uint64_t replica) = 0;
  virtual void advance_to(double t) = 0;
  virtual double kappa() const = 0;  // the initial state's discrepancy (particles.hpp)
  virtual ReplicaView view() = 0;
  // The coupled mean-field process Xbar (its law is the mean field's): n = 0 when none.
  virtual ReplicaView coupled_view() = 0;
  // The couplings this engine runs, named as their metrics ("chaos/..."), and their
  // distances (1/n) sum_i |X_i - Xbar_i| now, in that order (NaN for one not run).
  virtual std::vector<std::string> coupling_names() const = 0;
  virtual void coupling_distances(std::span<double> out) const = 0;
  // Particle-steps (SDE) or events (RW) of the current replica.
  virtual std::uint64_t work() const = 0;
};

// Collective over group (SDE replicas shared by run.ranks_per_replica ranks; RW runs on
// one rank, group = MPI_COMM_SELF). chaos adds the couplings when study.chaos.coupling
// holds and the model's force is given.
std::unique_ptr<ReplicaEngine> make_replica_engine(const Study& study, ParticleModel model,
                                                   MPI_Comm group, const ChaosForces* chaos);

}  // namespace dislo
