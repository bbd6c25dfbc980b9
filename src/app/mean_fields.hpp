#pragma once
// Internal to the app layer: the mean-field phase of a run. MF and MFeps solved through
// the output times and written to the file; kept whole for the ensembles that compare
// against them, with the chaos couplings' force frames.

#include <mpi.h>

#include <optional>

#include "dislo/config.hpp"
#include "dislo/force_frames.hpp"
#include "dislo/io.hpp"
#include "dislo/potential.hpp"
#include "dislo/replica_engine.hpp"
#include "dislo/run.hpp"
#include "dislo/trajectory.hpp"

namespace dislo {

struct MeanFields {
  Trajectory mf, mfeps;                     // filled when an ensemble compares against them
  std::optional<ContinuumForce> mf_force;   // [chaos] coupling with SDE
  std::optional<LatticeForce> mfeps_force;  // [chaos] coupling with RW
  ChaosForces chaos() const {
    return {mf_force ? &*mf_force : nullptr, mfeps_force ? &*mfeps_force : nullptr};
  }
};

// Collective. Solves MF when the study runs it or an ensemble needs it (SDE, RW with
// metrics.rw_against_mf), MFeps likewise (RW); writes /mf and /mfeps.
MeanFields solve_mean_fields(MPI_Comm comm, const Study& study, const Kernel& kernel,
                             OutputFile& out, RunSummary& summary);

}  // namespace dislo
