#include "mean_fields.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>

#include "dislo/initial.hpp"
#include "dislo/lattice.hpp"
#include "dislo/meanfield.hpp"
#include "dislo/progress.hpp"
#include "dislo/timing.hpp"
#include "stages.hpp"

namespace dislo {

namespace {

// Local rows of a grid field (row_start.., local_rows x N) whole on every rank.
std::vector<double> gather_rows(const SpectralGrid& grid, const std::vector<double>& local) {
  int size = 1;
  MPI_Comm_size(grid.comm(), &size);
  const int mine = static_cast<int>(std::size_t(grid.local_rows()) * grid.N());
  std::vector<int> counts(size), displs(size);
  MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, grid.comm());
  for (int r = 1; r < size; ++r) displs[r] = displs[r - 1] + counts[r - 1];
  std::vector<double> full(std::size_t(grid.N()) * grid.N());
  MPI_Allgatherv(local.data(), mine, MPI_DOUBLE, full.data(), counts.data(), displs.data(),
                 MPI_DOUBLE, grid.comm());
  return full;
}

template <class Solver>
std::vector<double> gather_field(const Solver& solver, int sign) {
  const auto local = solver.rho(sign);
  return gather_rows(solver.grid(), std::vector<double>(local.begin(), local.end()));
}

// Progress of one mean-field solve (rank 0 prints): the share of [0, T] done, model time
// per wall second and the time left at that pace, at every output time and, while the
// solver steps between them, at most every kStepLineSeconds.
class SolveProgress {
 public:
  SolveProgress(const std::string& group, double T, bool printing)
      : name_(group.substr(1)), T_(T), printing_(printing) {}
  std::string status(double t) const {
    const double elapsed = seconds_since(start_);
    if (!(t > 0) || !(T_ > 0)) return "0%";
    const double rate = t / std::max(elapsed, 1e-9);
    return fmt::format("{:.0f}%, {:.3g} model time/s, ETA {:.0f} s", 100 * t / T_, rate,
                       std::max(T_ - t, 0.0) / rate);
  }
  void step(double t) {
    if (!printing_ || seconds_since(last_) < kStepLineSeconds) return;
    progress("{:>5}: t = {:<8g} ({})\n", name_, t, status(t));
    last_ = Clock::now();
  }
  void output_written() { last_ = Clock::now(); }

 private:
  static constexpr double kStepLineSeconds = 10;
  std::string name_;
  double T_;
  bool printing_;
  Clock::time_point start_ = Clock::now(), last_ = Clock::now();
};

// Solves one mean-field model through the output times, streaming each slice to the file
// and, when keep is given, keeping the whole fields for the ensembles.
// With frames, on_frame() is also called at each of those times (the chaos forces).
template <class Solver>
void solve_and_write(Solver& solver, const Study& study, OutputFile& out, const std::string& group,
                     int rank, double& seconds_solve, double& seconds_io, Trajectory* keep,
                     const std::vector<double>& frames = {},
                     const std::function<void()>& on_frame = nullptr) {
  if (keep) keep->N = solver.grid().N();
  const auto& times = study.run.times;
  const int G = solver.grid().N();
  out.create_field(group + "/rho_plus", times, G);
  out.create_field(group + "/rho_minus", times, G);
  std::vector<double> mass_plus, mass_minus;
  double min_density = solver.min_density();
  SolveProgress line(group, study.model.T, rank == 0);
  solver.set_step_observer([&line](double t) { line.step(t); });
  std::size_t next_frame = 0;
  auto frames_until = [&](double t, bool inclusive) {
    while (next_frame < frames.size() &&
           (frames[next_frame] < t || (inclusive && frames[next_frame] == t))) {
      const auto t0 = Clock::now();
      solver.advance_to(frames[next_frame++]);
      seconds_solve += seconds_since(t0);
      on_frame();
    }
  };
  for (std::size_t t = 0; t < times.size(); ++t) {
    frames_until(times[t], false);
    auto t0 = Clock::now();
    solver.advance_to(times[t]);
    seconds_solve += seconds_since(t0);
    frames_until(times[t], true);
    t0 = Clock::now();
    const int rows = solver.grid().local_rows(), row0 = solver.grid().row_start();
    out.write_field_rows(group + "/rho_plus", int(t), row0, rows, solver.rho(+1).data());
    out.write_field_rows(group + "/rho_minus", int(t), row0, rows, solver.rho(-1).data());
    if (keep) {
      keep->plus.push_back(gather_field(solver, +1));
      keep->minus.push_back(gather_field(solver, -1));
    }
    mass_plus.push_back(solver.mass(+1));
    mass_minus.push_back(solver.mass(-1));
    min_density = std::min(min_density, solver.min_density());
    seconds_io += seconds_since(t0);
    if (rank == 0) {
      const auto s = solver.stats();
      progress("{:>5}: t = {:<8g} steps {:>6} (rejected {}), mass+ {:.15g}, mass- {:.15g} ({})\n",
               group.substr(1), times[t], s.steps, s.rejected, mass_plus.back(), mass_minus.back(),
               line.status(times[t]));
      line.output_written();
    }
  }
  frames_until(std::numeric_limits<double>::infinity(), true);
  solver.set_step_observer(nullptr);
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
  out.set_attribute(group, "rtol", s.rtol);
  out.set_attribute(group, "atol", s.atol);
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

namespace {

// MF: also the force frames when SDE replicas are coupled to it.
void solve_mf(MPI_Comm comm, const Study& study, const Kernel& kernel, OutputFile& out,
              const InitialDensity& rho0, RunSummary& summary, MeanFields& fields, bool keep) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const StageScope stage(Stages::get().mf);
  const auto t0 = Clock::now();
  MeanField mf(comm, study, kernel);
  mf.set_initial(rho0);
  summary.seconds_mf += seconds_since(t0);
  const bool chaos = study.chaos.coupling && study.run.has_model("sde");
  if (chaos)
    fields.mf_force.emplace(kernel, mf.grid().N(), mf.dealias_cutoff(), study.model.T,
                            study.chaos.frames);
  solve_and_write(mf, study, out, "/mf", rank, summary.seconds_mf, summary.seconds_io,
                  keep ? &fields.mf : nullptr,
                  chaos ? frame_times(study.model.T, study.chaos.frames) : std::vector<double>{},
                  [&] { fields.mf_force->add_frame(gather_field(mf, +1), gather_field(mf, -1)); });
  summary.mf_steps = mf.stats().steps;
}

// MFeps: also the lattice force frames when RW replicas are coupled to it.
void solve_mfeps(MPI_Comm comm, const Study& study, const Kernel& kernel, OutputFile& out,
                 const InitialDensity& rho0, RunSummary& summary, MeanFields& fields, bool keep) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const StageScope stage(Stages::get().mfeps);
  const auto t0 = Clock::now();
  LatticeMeanField mfeps(comm, study, kernel);
  mfeps.set_initial(rho0);
  out.set_attribute("/potential", "lattice_truncation_bound", mfeps.truncation_bound());
  summary.seconds_mfeps += seconds_since(t0);
  const bool chaos = study.chaos.coupling && study.run.has_model("rw");
  if (chaos) fields.mfeps_force.emplace(study.model.lattice, study.model.T, study.chaos.frames);
  solve_and_write(
      mfeps, study, out, "/mfeps", rank, summary.seconds_mfeps, summary.seconds_io,
      keep ? &fields.mfeps : nullptr,
      chaos ? frame_times(study.model.T, study.chaos.frames) : std::vector<double>{}, [&] {
        std::vector<double> gx, gy;
        mfeps.interaction_gradient(gx, gy);
        // With the densities: the veto coupling draws Xbar's partners from them.
        fields.mfeps_force->add_frame(gather_rows(mfeps.grid(), gx), gather_rows(mfeps.grid(), gy),
                                      gather_field(mfeps, +1), gather_field(mfeps, -1));
      });
  summary.mfeps_steps = mfeps.stats().steps;
}

}  // namespace

MeanFields solve_mean_fields(MPI_Comm comm, const Study& study, const Kernel& kernel,
                             OutputFile& out, RunSummary& summary) {
  MeanFields fields;
  fields.mfeps.lattice = true;
  const InitialDensity rho0(study.initial);
  // SDE replicas are compared with MF, RW replicas with MFeps (and MF with rw_against_mf).
  const bool want_sde = study.run.has_model("sde"), want_rw = study.run.has_model("rw");
  const bool rw_mf = want_rw && study.metrics.rw_against_mf;
  if (study.needs_mf())
    solve_mf(comm, study, kernel, out, rho0, summary, fields, want_sde || rw_mf);
  if (study.needs_mfeps()) solve_mfeps(comm, study, kernel, out, rho0, summary, fields, want_rw);
  return fields;
}

}  // namespace dislo
