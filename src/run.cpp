#include "dislo/run.hpp"

#include <fmt/core.h>
#include <petscsys.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>

#include "dislo/chaos.hpp"
#include "dislo/checkpoint.hpp"
#include "dislo/ensemble.hpp"
#include "dislo/exact2.hpp"
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

// PETSc log stages, one per phase, so that -log_view shows where a run's time goes.
struct Stages {
  PetscLogStage mf = 0, mfeps = 0, sde = 0, rw = 0, exact2 = 0, output = 0;
  static const Stages& get() {
    static const Stages stages = [] {
      Stages st;
      PetscLogStageRegister("dislo MF", &st.mf);
      PetscLogStageRegister("dislo MFeps", &st.mfeps);
      PetscLogStageRegister("dislo SDE ensemble", &st.sde);
      PetscLogStageRegister("dislo RW ensemble", &st.rw);
      PetscLogStageRegister("dislo exact2", &st.exact2);
      PetscLogStageRegister("dislo output", &st.output);
      return st;
    }();
    return stages;
  }
};
class StageScope {
 public:
  explicit StageScope(PetscLogStage stage) { PetscLogStagePush(stage); }
  ~StageScope() { PetscLogStagePop(); }
  StageScope(const StageScope&) = delete;
  StageScope& operator=(const StageScope&) = delete;
};

std::string iso8601_now() {
  const std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return buf;
}

// Solves one mean-field model through the output times, streaming each slice to the file.
// The whole N x N field on every rank of the solver's grid.

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
  std::size_t next_frame = 0;
  auto frames_until = [&](double t, bool inclusive) {
    while (next_frame < frames.size() &&
           (frames[next_frame] < t || (inclusive && frames[next_frame] == t))) {
      const auto t0 = clock_type::now();
      solver.advance_to(frames[next_frame++]);
      seconds_solve += seconds_since(t0);
      on_frame();
    }
  };
  for (std::size_t t = 0; t < times.size(); ++t) {
    frames_until(times[t], false);
    auto t0 = clock_type::now();
    solver.advance_to(times[t]);
    seconds_solve += seconds_since(t0);
    frames_until(times[t], true);
    t0 = clock_type::now();
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
      fmt::print("{:>5}: t = {:<8g} steps {:>6} (rejected {}), mass+ {:.15g}, mass- {:.15g}\n",
                 group.substr(1), times[t], s.steps, s.rejected, mass_plus.back(),
                 mass_minus.back());
      std::fflush(stdout);
    }
  }
  frames_until(std::numeric_limits<double>::infinity(), true);
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

namespace {
std::string divisors(int n) {
  std::string out;
  for (int d = 1; d <= n; ++d)
    if (n % d == 0) out += (out.empty() ? "" : ", ") + std::to_string(d);
  return out;
}
}  // namespace

Run::Run(MPI_Comm comm, Study study, bool resume)
    : comm_(comm), study_(std::move(study)), resume_(resume) {
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
  const int group = study_.run.ranks_per_replica;
  if (size_ % group != 0)
    throw InputError(fmt::format(
        "{}: run.ranks_per_replica = {}: must divide the number of MPI ranks ({}); valid here: {}",
        study_.source, group, size_, divisors(size_)));
}

namespace {
// Runs f on rank 0 only; what it throws is thrown on every rank (bad input as InputError,
// anything else as runtime_error), so that no rank waits for a collective that never comes.
template <class F>
void on_root(MPI_Comm comm, F&& f) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  int kind = 0;  // 0 fine, 1 bad input, 2 any other failure
  std::string message;
  if (rank == 0) try {
      f();
    } catch (const InputError& e) {
      kind = 1;
      message = e.what();
    } catch (const std::exception& e) {
      kind = 2;
      message = e.what();
    }
  MPI_Bcast(&kind, 1, MPI_INT, 0, comm);
  if (kind == 0) return;
  int length = int(message.size());
  MPI_Bcast(&length, 1, MPI_INT, 0, comm);
  message.resize(std::size_t(length));
  MPI_Bcast(message.data(), length, MPI_CHAR, 0, comm);
  if (kind == 1) throw InputError(message);
  throw std::runtime_error(message);
}

// Rank 0's vector on every rank (the collective writes need equal shapes everywhere).
std::vector<double> shared(MPI_Comm comm, std::vector<double> v) {
  unsigned long long n = v.size();
  MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, comm);
  v.resize(n);
  MPI_Bcast(v.data(), int(n), MPI_DOUBLE, 0, comm);
  return v;
}

void write_ensemble(MPI_Comm comm, OutputFile& out, const std::string& group, const Study& study,
                    const EnsembleResult& res) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const auto& times = study.run.times;
  const std::size_t nt = times.size(), R = std::size_t(res.replicas);
  out.set_attribute(group + "/replicas", "count", std::int64_t(res.replicas));
  const auto mean = shared(comm, res.mean), err = shared(comm, res.stderr_);
  for (std::size_t m = 0; m < res.metric_names.size(); ++m) {
    // "mf/<kind>_<sign>" (RW against MF) goes to <group>/metrics_mf/<kind>_<sign>.
    const std::string& name = res.metric_names[m];
    const std::string g = name.rfind("mf/", 0) == 0      ? group + "/metrics_mf/" + name.substr(3)
                          : name.rfind("chaos/", 0) == 0 ? group + "/" + name
                                                         : group + "/metrics/" + name;
    out.write_vector(g + "/mean",
                     std::vector<double>(mean.begin() + m * nt, mean.begin() + (m + 1) * nt));
    out.write_vector(g + "/stderr",
                     std::vector<double>(err.begin() + m * nt, err.begin() + (m + 1) * nt));
    out.write_matrix(g + "/values", R, nt, rank == 0 ? res.values[m] : std::vector<double>{});
  }
  out.write_vector(group + "/kappa", shared(comm, res.kappa));
  const int G = res.law_grid;
  const char* names[2] = {"rho_plus", "rho_minus"};
  const char* l2[2] = {"l2_plus", "l2_minus"};
  for (int s = 0; s < 2; ++s) {
    const std::string d = group + "/law/" + names[s];
    out.create_field(d, times, G);
    const auto& law = s == 0 ? res.law_plus : res.law_minus;
    for (std::size_t t = 0; t < nt; ++t)
      out.write_field_rows(d, int(t), 0, rank == 0 ? G : 0,
                           rank == 0 ? law.data() + t * std::size_t(G) * G : nullptr);
    out.write_vector(group + "/law/" + l2[s], shared(comm, res.law_l2[s]));
    out.write_vector(group + "/law/" + l2[s] + "_stderr", shared(comm, res.law_l2_stderr[s]));
    const std::string sign = s == 0 ? "plus" : "minus";
    out.write_vector(group + "/law/chi2_" + sign, shared(comm, res.law_chi2[s]));
    out.write_vector(group + "/law/chi2_cells_" + sign, shared(comm, res.law_cells[s]));
  }
  out.write_vector(group + "/law/r", shared(comm, res.r));
  const std::size_t nr = std::size_t(study.metrics.pair_bins);
  out.write_matrix(group + "/law/pair_opposite", nt, nr, res.pair_opposite);
  out.write_matrix(group + "/law/pair_equal", nt, nr, res.pair_equal);
  const auto seconds = shared(comm, {res.seconds_simulate, res.seconds_metrics, double(res.work)});
  out.set_attribute(group, "seconds_simulate", seconds[0]);
  out.set_attribute(group, "seconds_metrics", seconds[1]);
  out.set_attribute(group + "/metrics", "grid", std::int64_t(study.metrics.grid));
  out.set_attribute(group + "/metrics", "stencil", std::int64_t(study.metrics.stencil));
  out.set_attribute(group + "/metrics", "hs_order", study.metrics.hs_order);
  out.set_attribute(group + "/metrics", "hs_modes", std::int64_t(study.metrics.hs_modes));
}
}  // namespace

// Lemma 4.2's right-hand side at the output times, with the replicas' mean kappa.
void write_chaos_bound(MPI_Comm comm, OutputFile& out, const std::string& group, const Study& study,
                       const EnsembleResult& res, double C_V, double interpolation_error) {
  double kappa = 0;
  for (double k : res.kappa) kappa += k;
  kappa /= std::max<double>(1, double(res.kappa.size()));
  MPI_Bcast(&kappa, 1, MPI_DOUBLE, 0, comm);
  std::vector<double> bound;
  for (double t : study.run.times)
    bound.push_back(coupling_bound(C_V, study.model.delta, study.model.n, kappa, t));
  out.write_vector(group + "/chaos/bound", bound);
  out.set_attribute(group + "/chaos", "C_V", C_V);
  out.set_attribute(group + "/chaos", "kappa_mean", kappa);
  out.set_attribute(group + "/chaos", "frames", std::int64_t(study.chaos.frames));
  out.set_attribute(group + "/chaos", "bound_formula",
                    std::string("2 C_V t/delta (1/sqrt(n) + kappa) exp(2 C_V t/delta^2) "
                                "(Lemma 4.2)"));
  if (group == "/sde")
    out.set_attribute(group + "/chaos", "force_interpolation_error", interpolation_error);
  else
    out.set_attribute(group + "/chaos", "time_change_max_n",
                      std::int64_t(study.chaos.time_change_max_n));
}

// The exact two-particle laws (Theorem 1.2), solved on rank 0: their L2(nu_eps x nu_eps)
// distance at the output times, and the SDE law's norm for scale.
void write_exact2(MPI_Comm comm, OutputFile& out, const Study& study) {
  const std::size_t nt = study.run.times.size();
  std::vector<double> values(2 * nt + 4, 0.0);
  on_root(comm, [&] {
    TwoParticleLaws laws(study);
    for (std::size_t t = 0; t < nt; ++t) {
      laws.advance_to(study.run.times[t]);
      values[t] = laws.l2_distance();
      values[nt + t] = laws.l2_norm_sde();
      fmt::print("exact2: t = {:<8g} L2 distance RW - SDE {:.6e} (norm {:.6e})\n",
                 study.run.times[t], values[t], values[nt + t]);
    }
    values[2 * nt] = laws.fokker_planck_grid();
    values[2 * nt + 1] = laws.modes();
    values[2 * nt + 2] = double(laws.rw_steps());
    values[2 * nt + 3] = double(laws.fp_steps());
  });
  values = shared(comm, values);
  out.write_vector("/exact2/l2_law_distance",
                   std::vector<double>(values.begin(), values.begin() + long(nt)));
  out.write_vector("/exact2/l2_law_norm",
                   std::vector<double>(values.begin() + long(nt), values.begin() + long(2 * nt)));
  out.set_attribute("/exact2", "lattice", std::int64_t(study.model.lattice));
  out.set_attribute("/exact2", "fokker_planck_grid", std::int64_t(values[2 * nt]));
  out.set_attribute("/exact2", "x1_modes", std::int64_t(values[2 * nt + 1]));
  out.set_attribute("/exact2", "rw_steps", std::int64_t(values[2 * nt + 2]));
  out.set_attribute("/exact2", "fp_steps", std::int64_t(values[2 * nt + 3]));
}

// The checkpoint to continue from (resume) or to protect (a fresh run refuses to start
// beside one). Every rank gets complete/done/partial; rank 0 also the data.
std::map<std::string, EnsembleState> Run::load_checkpoint() const {
  const std::string path = checkpoint_path(study_);
  int exists = rank_ == 0 && std::filesystem::exists(path) ? 1 : 0;
  MPI_Bcast(&exists, 1, MPI_INT, 0, comm_);
  if (!exists) {
    if (resume_ && rank_ == 0)
      fmt::print("no checkpoint at {}: starting from the beginning\n", path);
    return {};
  }
  if (!resume_)
    throw InputError(
        fmt::format("{}: a checkpoint of an interrupted run of this output exists; "
                    "continue it with --resume, or remove it to start afresh",
                    path));
  Checkpoint cp;
  on_root(comm_, [&] { cp = read_checkpoint(path, checkpoint_identity(study_)); });
  for (const char* name : {"sde", "rw"}) {
    int has = rank_ == 0 && cp.count(name) ? 1 : 0;
    MPI_Bcast(&has, 1, MPI_INT, 0, comm_);
    if (!has) continue;
    EnsembleState& st = cp[name];
    long head[3] = {st.complete ? 1L : 0L, st.done, long(st.partial.size())};
    MPI_Bcast(head, 3, MPI_LONG, 0, comm_);
    st.complete = head[0] != 0;
    st.done = head[1];
    st.partial.resize(std::size_t(head[2]));
    MPI_Bcast(st.partial.data(), int(head[2]), MPI_INT64_T, 0, comm_);
  }
  if (rank_ == 0) fmt::print("resuming from {}\n", path);
  return cp;
}

RunSummary Run::run() {
  RunSummary summary;
  const auto start = clock_type::now();
  Checkpoint states = load_checkpoint();
  const double walltime = study_.run.walltime;
  const StopRequest stop = [&](double longest_replica) {
    // Leave room for the replicas in flight (twice the longest so far) and the checkpoint.
    return interrupt_requested() ||
           (walltime > 0 &&
            seconds_since(start) + 2 * longest_replica + 0.05 * walltime > walltime);
  };
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
  if (study_.sweep.index >= 0) {
    // The point's swept values, typed, for scripts that read a point without parsing the study.
    out.set_attribute("/", "sweep_index", std::int64_t(study_.sweep.index));
    out.set_attribute("/", "sweep_points", std::int64_t(study_.sweep.points));
    const ModelParams& m = study_.model;
    for (const auto& key : study_.sweep.keys) {
      if (key == "n") out.set_attribute("/", key, std::int64_t(m.n));
      if (key == "lattice") out.set_attribute("/", key, std::int64_t(m.lattice));
      if (key == "delta") out.set_attribute("/", key, m.delta);
      if (key == "beta") out.set_attribute("/", key, m.beta);
      if (key == "T") out.set_attribute("/", key, m.T);
      if (key == "kernel") out.set_attribute("/", key, std::string(to_string(study_.kernel)));
    }
  }
  out.set_attribute("/potential", "kind", std::string(to_string(study_.kernel)));
  out.set_attribute("/potential", "delta", study_.model.delta);
  out.set_attribute("/potential", "C_V", constants.C_V);
  out.set_attribute("/potential", "max_V", constants.max_V);
  out.set_attribute("/potential", "max_grad_V", constants.max_grad);
  out.set_attribute("/potential", "max_hess_V", constants.max_hess);

  const InitialDensity rho0(study_.initial);
  const bool want_sde = study_.run.has_model("sde"), want_rw = study_.run.has_model("rw");
  Trajectory mf_trajectory, mfeps_trajectory;
  // [chaos]: the mean-field forces at the frame times drive the coupled processes.
  const bool chaos_sde = study_.chaos.coupling && want_sde;
  const bool chaos_rw = study_.chaos.coupling && want_rw;
  const std::vector<double> frames = frame_times(study_.model.T, study_.chaos.frames);
  std::optional<ContinuumForce> mf_force;
  std::optional<LatticeForce> mfeps_force;
  mfeps_trajectory.lattice = true;
  // SDE replicas are compared with MF, RW replicas with MFeps: those are solved (and
  // written) whenever their particle model runs.
  const bool rw_mf = want_rw && study_.metrics.rw_against_mf;
  if (study_.run.has_model("mf") || want_sde || rw_mf) {
    const StageScope stage(Stages::get().mf);
    auto t0 = clock_type::now();
    MeanField mf(comm_, study_, kernel);
    mf.set_initial(rho0);
    summary.seconds_mf += seconds_since(t0);
    if (chaos_sde)
      mf_force.emplace(kernel, mf.grid().N(), mf.dealias_cutoff(), study_.model.T,
                       study_.chaos.frames);
    solve_and_write(mf, study_, out, "/mf", rank_, summary.seconds_mf, summary.seconds_io,
                    want_sde || rw_mf ? &mf_trajectory : nullptr,
                    chaos_sde ? frames : std::vector<double>{},
                    [&] { mf_force->add_frame(gather_field(mf, +1), gather_field(mf, -1)); });
    summary.mf_steps = mf.stats().steps;
  }
  if (study_.run.has_model("mfeps") || want_rw) {
    const StageScope stage(Stages::get().mfeps);
    auto t0 = clock_type::now();
    LatticeMeanField mfeps(comm_, study_, kernel);
    mfeps.set_initial(rho0);
    out.set_attribute("/potential", "lattice_truncation_bound", mfeps.truncation_bound());
    summary.seconds_mfeps += seconds_since(t0);
    if (chaos_rw) mfeps_force.emplace(study_.model.lattice, study_.model.T, study_.chaos.frames);
    solve_and_write(
        mfeps, study_, out, "/mfeps", rank_, summary.seconds_mfeps, summary.seconds_io,
        want_rw ? &mfeps_trajectory : nullptr, chaos_rw ? frames : std::vector<double>{}, [&] {
          std::vector<double> gx, gy;
          mfeps.interaction_gradient(gx, gy);
          mfeps_force->add_frame(gather_rows(mfeps.grid(), gx), gather_rows(mfeps.grid(), gy));
        });
    summary.mfeps_steps = mfeps.stats().steps;
  }

  if (study_.run.has_model("exact2")) {
    const StageScope stage(Stages::get().exact2);
    const auto t0 = clock_type::now();
    write_exact2(comm_, out, study_);
    summary.seconds_exact2 = seconds_since(t0);
  }

  ChaosForces chaos_forces;
  if (mf_force) chaos_forces.mf = &*mf_force;
  if (mfeps_force) chaos_forces.mfeps = &*mfeps_force;
  std::int64_t particle_steps = 0, events = 0;
  for (ParticleModel model : {ParticleModel::sde, ParticleModel::rw}) {
    const bool is_sde = model == ParticleModel::sde;
    if (!(is_sde ? want_sde : want_rw)) continue;
    const StageScope stage(is_sde ? Stages::get().sde : Stages::get().rw);
    auto t0 = clock_type::now();
    const std::string name = is_sde ? "sde" : "rw";
    const auto saved = states.find(name);
    EnsembleResult res =
        run_ensemble(comm_, study_, model, is_sde ? mf_trajectory : mfeps_trajectory,
                     !is_sde && rw_mf ? &mf_trajectory : nullptr,
                     saved == states.end() ? nullptr : &saved->second, stop, &chaos_forces);
    states[name] = std::move(res.state);
    if (res.interrupted) {
      const auto& st = states[name];
      const std::string path = checkpoint_path(study_);
      if (rank_ == 0) write_checkpoint(path, checkpoint_identity(study_), states);
      MPI_Barrier(comm_);
      throw Interrupted(fmt::format(
          "interrupted during {}: {} replicas complete; checkpoint {} written (nothing else); "
          "continue with: dislo run ... --resume",
          name, st.done + long(st.partial.size()), path));
    }
    (is_sde ? summary.seconds_sde : summary.seconds_rw) = seconds_since(t0);
    t0 = clock_type::now();
    write_ensemble(comm_, out, is_sde ? "/sde" : "/rw", study_, res);
    if (study_.chaos.coupling)
      write_chaos_bound(comm_, out, is_sde ? "/sde" : "/rw", study_, res, constants.C_V,
                        is_sde && mf_force ? mf_force->interpolation_error() : 0.0);
    summary.seconds_io += seconds_since(t0);
    double work = double(res.work), metrics_share = res.seconds_metrics;
    MPI_Bcast(&work, 1, MPI_DOUBLE, 0, comm_);
    MPI_Bcast(&metrics_share, 1, MPI_DOUBLE, 0, comm_);
    (is_sde ? particle_steps : events) = std::int64_t(work);
    summary.seconds_metrics += metrics_share / size_;  // summed over ranks -> per rank
    if (rank_ == 0)
      fmt::print(
          "{:>5}: {} replicas, {} {}, metrics {:.1f}% of the replica time\n", is_sde ? "sde" : "rw",
          res.replicas, std::int64_t(work), is_sde ? "particle-steps" : "events",
          100 * res.seconds_metrics / std::max(res.seconds_metrics + res.seconds_simulate, 1e-300));
  }

  auto t0 = clock_type::now();
  summary.wall_seconds = seconds_since(start);
  out.set_attribute("/summary", "wall_seconds", summary.wall_seconds);
  out.set_attribute("/summary", "mpi_ranks", std::int64_t(size_));
  out.set_attribute("/summary", "sde_particle_steps", particle_steps);
  out.set_attribute("/summary", "rw_events", events);
  out.set_attribute("/summary", "seconds_sde", summary.seconds_sde);
  out.set_attribute("/summary", "seconds_rw", summary.seconds_rw);
  out.set_attribute("/summary", "seconds_exact2", summary.seconds_exact2);
  out.set_attribute("/summary", "seconds_metrics", summary.seconds_metrics);
  out.set_attribute("/summary", "seconds_setup", summary.seconds_setup);
  out.set_attribute("/summary", "seconds_mf", summary.seconds_mf);
  out.set_attribute("/summary", "seconds_mfeps", summary.seconds_mfeps);
  out.set_attribute("/summary", "seconds_io", summary.seconds_io);
  out.set_attribute("/summary", "mf_steps", std::int64_t(summary.mf_steps));
  out.set_attribute("/summary", "mfeps_steps", std::int64_t(summary.mfeps_steps));
  {
    const StageScope stage(Stages::get().output);
    out.finalise();
  }
  if (rank_ == 0 && !states.empty()) std::filesystem::remove(checkpoint_path(study_));
  summary.seconds_io += seconds_since(t0);
  summary.wall_seconds = seconds_since(start);
  return summary;
}

std::size_t collect(MPI_Comm comm, const std::vector<std::string>& inputs,
                    const std::string& output) {
  unsigned long long rows = 0;
  on_root(comm, [&] { rows = collect_runs(inputs, output); });
  MPI_Bcast(&rows, 1, MPI_UNSIGNED_LONG_LONG, 0, comm);
  return std::size_t(rows);
}

void run_sweep(MPI_Comm comm, const std::vector<Study>& points, bool resume) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::vector<std::string> outputs;
  for (const Study& point : points) {
    outputs.push_back(point.run.output);
    int finished = rank == 0 && resume && std::filesystem::exists(point.run.output) &&
                   !std::filesystem::exists(checkpoint_path(point));
    MPI_Bcast(&finished, 1, MPI_INT, 0, comm);
    if (rank == 0)
      fmt::print("sweep point {} of {}{}\n", point.sweep.index, point.sweep.points,
                 finished ? ": finished before, kept" : "");
    if (finished) continue;
    Run run(comm, point, resume);
    const auto summary = run.run();
    if (rank == 0)
      fmt::print("sweep point {}: {} written in {:.2f} s\n", point.sweep.index, point.run.output,
                 summary.wall_seconds);
  }
  const auto rows = collect(comm, outputs, points.front().sweep.table);
  if (rank == 0)
    fmt::print("sweep: {} points collected into {} ({} rows)\n", points.size(),
               points.front().sweep.table, rows);
}

}  // namespace dislo
