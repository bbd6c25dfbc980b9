// Uses the installed dislo library: the default study's MF on a 32 x 32 grid advanced by
// one step of the default integrator; exits 0 when the step ran and conserved each sign's
// mass to 1e-12.
#include <petscsys.h>

#include <cmath>
#include <cstdio>

#include "dislo/config.hpp"
#include "dislo/initial.hpp"
#include "dislo/meanfield.hpp"
#include "dislo/potential.hpp"

int main(int argc, char** argv) {
  if (PetscInitialize(&argc, &argv, nullptr, nullptr) != 0) return 1;
  int status = 1;
  {
    const dislo::Study study = dislo::load_study("", {"mf.M=32"});
    // PETSc's options database, read when the solver is set up.
    PetscOptionsSetValue(nullptr, "-ts_max_steps", "1");
    dislo::MeanField mf(PETSC_COMM_WORLD, study, dislo::Kernel::of(study));
    mf.set_initial(dislo::InitialDensity(study.initial));
    const double before[2] = {mf.mass(+1), mf.mass(-1)};
    mf.advance_to(study.run.times.back());
    const dislo::SolverStats stats = mf.stats();
    const double drift =
        std::fmax(std::fabs(mf.mass(+1) - before[0]), std::fabs(mf.mass(-1) - before[1]));
    int rank = 0;
    MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
    if (rank == 0)
      std::printf("mf_step: %s, %ld step(s), t = %g, mass change %.3g\n", stats.ts_type.c_str(),
                  stats.steps, mf.time(), drift);
    status = stats.steps == 1 && drift <= 1e-12 ? 0 : 1;
  }
  PetscFinalize();
  return status;
}
