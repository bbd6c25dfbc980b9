#include "dislo/run.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <memory>

#include "dislo/initial.hpp"
#include "dislo/io.hpp"
#include "dislo/lattice.hpp"
#include "dislo/meanfield.hpp"
#include "dislo/potential.hpp"
#include "dislo/version.hpp"

namespace dislo {

namespace {
using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

std::string iso8601_now() {
  const std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return buf;
}

// Solves one mean-field model through the output times, streaming each slice to the file.
template <class Solver>
void solve_and_write(Solver& solver, const Study& study, OutputFile& out, const std::string& group,
                     int rank, double& seconds_solve, double& seconds_io) {
  const auto& times = study.run.times;
  const int G = solver.grid().N();
  out.create_field(group + "/rho_plus", times, G);
  out.create_field(group + "/rho_minus", times, G);
  std::vector<double> mass_plus, mass_minus;
  double min_density = solver.min_density();
  for (std::size_t t = 0; t < times.size(); ++t) {
    auto t0 = clock_type::now();
    solver.advance_to(times[t]);
    seconds_solve += seconds_since(t0);
    t0 = clock_type::now();
    const int rows = solver.grid().local_rows(), row0 = solver.grid().row_start();
    out.write_field_rows(group + "/rho_plus", int(t), row0, rows, solver.rho(+1).data());
    out.write_field_rows(group + "/rho_minus", int(t), row0, rows, solver.rho(-1).data());
    mass_plus.push_back(solver.mass(+1));
    mass_minus.push_back(solver.mass(-1));
    min_density = std::min(min_density, solver.min_density());
    seconds_io += seconds_since(t0);
    if (rank == 0) {
      const auto s = solver.stats();
      fmt::print("{:>5}: t = {:<8g} steps {:>6} (rejected {}), mass+ {:.15g}, mass- {:.15g}\n",
                 group.substr(1), times[t], s.steps, s.rejected, mass_plus.back(),
                 mass_minus.back());
      std::fflush(stdout);
    }
  }
  out.write_vector(group + "/mass_plus", mass_plus);
  out.write_vector(group + "/mass_minus", mass_minus);
  const auto s = solver.stats();
  out.set_attribute(group, "grid", std::int64_t(G));
  out.set_attribute(group, "min_density", min_density);
  out.set_attribute(group, "steps", std::int64_t(s.steps));
  out.set_attribute(group, "rejected_steps", std::int64_t(s.rejected));
  out.set_attribute(group, "rhs_evaluations", std::int64_t(s.rhs_evaluations));
  out.set_attribute(group, "ts_type", s.ts_type);
  out.set_attribute(group, "formulation", s.formulation);
  double drift = 0;
  for (std::size_t t = 0; t < times.size(); ++t)
    drift = std::max({drift, std::abs(mass_plus[t] - mass_plus[0]) / std::max(mass_plus[0], 1e-300),
                      std::abs(mass_minus[t] - mass_minus[0]) / std::max(mass_minus[0], 1e-300)});
  out.set_attribute(group, "mass_relative_drift", drift);
  if (rank == 0 && min_density < 0)
    fmt::print(stderr,
               "warning: {}: negative density, minimum {:.3e} (refine the grid or "
               "tighten the tolerances)\n",
               group.substr(1), min_density);
}
}  // namespace

Run::Run(MPI_Comm comm, Study study) : comm_(comm), study_(std::move(study)) {
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
  for (const char* m : {"sde", "rw"})
    if (study_.run.has_model(m))
      throw InputError(study_.source + ": run.models includes \"" + m +
                       "\": the ensemble layer that runs particle replicas over ranks is not part "
                       "of this version of dislo (allowed now: \"mf\", \"mfeps\")");
}

RunSummary Run::run() {
  RunSummary summary;
  const auto start = clock_type::now();
  const Kernel kernel(study_.kernel, study_.model.delta);
  const KernelConstants constants = kernel_constants(kernel);
  summary.seconds_setup = seconds_since(start);

  OutputFile out(comm_, study_.run.output);
  out.set_attribute("/", "dislo_version", std::string(version()));
  out.set_attribute("/", "git_revision", std::string(git_revision()));
  out.set_attribute("/", "created", iso8601_now());
  out.set_attribute("/", "mpi_ranks", std::int64_t(size_));
  out.set_attribute("/", "seed", std::int64_t(study_.run.seed));
  out.set_attribute("/", "study", to_toml(study_));
  out.write_vector("/times", study_.run.times);
  out.set_attribute("/potential", "kind", std::string(to_string(study_.kernel)));
  out.set_attribute("/potential", "delta", study_.model.delta);
  out.set_attribute("/potential", "C_V", constants.C_V);
  out.set_attribute("/potential", "max_V", constants.max_V);
  out.set_attribute("/potential", "max_grad_V", constants.max_grad);
  out.set_attribute("/potential", "max_hess_V", constants.max_hess);

  const InitialDensity rho0(study_.initial);
  if (study_.run.has_model("mf")) {
    auto t0 = clock_type::now();
    MeanField mf(comm_, study_, kernel);
    mf.set_initial(rho0);
    summary.seconds_mf += seconds_since(t0);
    solve_and_write(mf, study_, out, "/mf", rank_, summary.seconds_mf, summary.seconds_io);
    summary.mf_steps = mf.stats().steps;
  }
  if (study_.run.has_model("mfeps")) {
    auto t0 = clock_type::now();
    LatticeMeanField mfeps(comm_, study_, kernel);
    mfeps.set_initial(rho0);
    out.set_attribute("/potential", "lattice_truncation_bound", mfeps.truncation_bound());
    summary.seconds_mfeps += seconds_since(t0);
    solve_and_write(mfeps, study_, out, "/mfeps", rank_, summary.seconds_mfeps, summary.seconds_io);
    summary.mfeps_steps = mfeps.stats().steps;
  }

  auto t0 = clock_type::now();
  summary.wall_seconds = seconds_since(start);
  out.set_attribute("/summary", "wall_seconds", summary.wall_seconds);
  out.set_attribute("/summary", "mpi_ranks", std::int64_t(size_));
  out.set_attribute("/summary", "sde_particle_steps", std::int64_t(0));
  out.set_attribute("/summary", "rw_events", std::int64_t(0));
  out.set_attribute("/summary", "seconds_setup", summary.seconds_setup);
  out.set_attribute("/summary", "seconds_mf", summary.seconds_mf);
  out.set_attribute("/summary", "seconds_mfeps", summary.seconds_mfeps);
  out.set_attribute("/summary", "seconds_io", summary.seconds_io);
  out.set_attribute("/summary", "mf_steps", std::int64_t(summary.mf_steps));
  out.set_attribute("/summary", "mfeps_steps", std::int64_t(summary.mfeps_steps));
  out.finalise();
  summary.seconds_io += seconds_since(t0);
  summary.wall_seconds = seconds_since(start);
  return summary;
}

}  // namespace dislo
