#include "dislo/run.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>
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

#include "dislo/checkpoint.hpp"
#include "dislo/ensemble.hpp"
#include "dislo/ensemble_output.hpp"
#include "dislo/exact2.hpp"
#include "dislo/initial.hpp"
#include "dislo/io.hpp"
#include "dislo/lattice.hpp"
#include "dislo/meanfield.hpp"
#include "dislo/mpi_util.hpp"
#include "dislo/petsc_options.hpp"
#include "dislo/potential.hpp"
#include "dislo/preflight.hpp"
#include "dislo/progress.hpp"
#include "dislo/sde.hpp"
#include "dislo/signals.hpp"
#include "dislo/timing.hpp"
#include "dislo/version.hpp"
#include "mean_fields.hpp"
#include "stages.hpp"

namespace dislo {

namespace {

// Replicas of an ensemble state that are finished.
long replicas_finished(const EnsembleState& st) { return st.done + long(st.partial.size()); }

std::string iso8601_now() {
  const std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return buf;
}

}  // namespace

namespace {
std::string divisors(int n) {
  std::vector<int> out;
  for (int d = 1; d <= n; ++d)
    if (n % d == 0) out.push_back(d);
  return fmt::format("{}", fmt::join(out, ", "));
}
}  // namespace

namespace {

// The "auto" choices of the SDE (when it runs) and the PETSc options in effect (they
// override the [mf] and [mfeps] integrator settings), as TOML comments.
std::string resolved_text(const Study& study, const SdeChoices* sde) {
  std::string text = "\n# [resolved] what dislo chose and was given besides the study:\n";
  if (sde) {
    if (!study.model.noiseless())
      text += fmt::format("# sde.dt = {}{}\n", sde->dt, study.sde.dt > 0 ? "" : "  # auto");
    text += fmt::format("# sde.force = \"{}\"{}", sde->force,
                        study.sde.force == "auto" ? "  # auto" : "");
    if (sde->mesh > 0)
      text += fmt::format(", mesh {} x {}, B-spline order {}", sde->mesh, sde->mesh, sde->order);
    text += fmt::format(", estimated relative force error {:.2g}\n", sde->force_error);
  }
  const std::string petsc = petsc_options_in_effect();
  text += fmt::format("# PETSc options: {}\n", petsc.empty() ? "none" : petsc);
  return text;
}

std::optional<SdeChoices> sde_choices_if_run(const Study& study) {
  if (!study.run.has_model("sde")) return std::nullopt;
  return sde_choices(study);
}

void write_sde_choices(OutputFile& out, const SdeChoices& c) {
  out.set_attribute("/sde", "dt", c.dt);
  out.set_attribute("/sde", "force", c.force);
  out.set_attribute("/sde", "pm_mesh", std::int64_t(c.mesh));
  out.set_attribute("/sde", "pm_order", std::int64_t(c.order));
  out.set_attribute("/sde", "force_error_estimate", c.force_error);
}

}  // namespace

std::uint64_t predicted_output_bytes(const Study& study) {
  const RunParams& run = study.run;
  const double nt = double(run.times.size()), L = study.model.lattice;
  const bool sde = run.has_model("sde"), rw = run.has_model("rw");
  const auto square = [](double g) { return g * g; };
  double values = 0;  // doubles written
  if (study.needs_mf()) values += 2 * nt * square(study.mf.M);
  if (study.needs_mfeps()) values += 2 * nt * square(L);
  // Per ensemble: six law fields (densities, stderr, reference), the pair laws and every
  // replica's row of metrics (at most three kinds, two signs, two mean fields, couplings).
  const double rows = double(max_replicas(run)) * (1 + nt * (3 * 2 * 2 + 2));
  if (sde)
    values += 6 * nt * square(study.metrics.law_bins) + 2 * nt * study.metrics.pair_bins + rows;
  if (rw) values += 6 * nt * square(L) + 2 * nt * study.metrics.pair_bins + rows;
  constexpr double kMetadata = 1 << 20;  // attributes, the study, HDF5's own structures
  return std::uint64_t(8 * values * 1.1 + kMetadata);
}

Run::Run(MPI_Comm comm, Study study, bool resume)
    : comm_(comm), study_(std::move(study)), resume_(resume) {
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
  const int group = study_.run.ranks_per_replica;
  if (size_ % group != 0)
    throw InputError(fmt::format(
        "{}: run.ranks_per_replica = {}: must divide the number of MPI ranks ({}); valid here: {}",
        study_.source, group, size_, divisors(size_)));
  // Before any work: the run fits in memory, the output can be written and replaces
  // nothing by accident.
  check_memory(study_, comm_);
  predicted_bytes_ = predicted_output_bytes(study_);
  check_output_path(comm_, study_.run.output, study_.run.overwrite, study_.source + ": run.output",
                    predicted_bytes_);
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
      progress("exact2: t = {:<8g} L2 distance RW - SDE {:.6e} (norm {:.6e})\n", study.run.times[t],
               values[t], values[nt + t]);
    }
    values[2 * nt] = laws.fokker_planck_grid();
    values[2 * nt + 1] = laws.modes();
    values[2 * nt + 2] = double(laws.rw_steps());
    values[2 * nt + 3] = double(laws.fp_steps());
  });
  values = broadcast_from_root(comm, values);
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
  // A checkpoint being written when its run was killed is a temporary: never read.
  if (rank_ == 0)
    for (const auto& note : clear_stale_temporaries(path))
      fmt::print(stderr, "warning: {}\n", note);
  int exists = rank_ == 0 && std::filesystem::exists(path) ? 1 : 0;
  MPI_Bcast(&exists, 1, MPI_INT, 0, comm_);
  if (!exists) {
    if (resume_ && rank_ == 0) progress("no checkpoint at {}: starting from the beginning\n", path);
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
  if (rank_ == 0) progress("resuming from {}\n", path);
  return cp;
}

// What the phases of one run share.
struct Run::Phases {
  Clock::time_point start = Clock::now(), last_checkpoint = start;
  bool hard_stop = false;  // a stop request that ends the run (not a periodic checkpoint)
  Checkpoint states;
  Kernel kernel;
  KernelConstants constants;
  OutputFile out;
  MeanFields fields;
  std::optional<SdeChoices> sde_choices;
  std::int64_t particle_steps = 0, events = 0;
  Phases(MPI_Comm comm, const Study& study, Checkpoint saved)
      : states(std::move(saved)),
        kernel(Kernel::of(study)),
        constants(kernel_constants(kernel)),
        out(comm, study.run.output),
        sde_choices(sde_choices_if_run(study)) {}
};

Run::~Run() = default;

RunSummary Run::run() {
  summary_ = RunSummary{};
  const auto start = Clock::now();
  phases_ = std::make_unique<Phases>(comm_, study_, load_checkpoint());
  phases_->start = phases_->last_checkpoint = start;
  summary_.seconds_setup = seconds_since(start);
  write_header();
  phases_->fields = solve_mean_fields(comm_, study_, phases_->kernel, phases_->out, summary_);
  if (study_.run.has_model("exact2")) solve_exact_laws();
  for (ParticleModel model : {ParticleModel::sde, ParticleModel::rw})
    if (study_.run.has_model(to_string(model))) run_ensemble_of(model);
  finish();
  phases_.reset();
  return summary_;
}

std::string resolved_comments(const Study& study) {
  const auto sde = sde_choices_if_run(study);
  return resolved_text(study, sde ? &*sde : nullptr);
}

// Provenance, the study, the times and the potential's constants.
void Run::write_header() {
  OutputFile& out = phases_->out;
  out.set_attribute("/", "dislo_version", std::string(version()));
  out.set_attribute("/", "git_revision", std::string(git_revision()));
  out.set_attribute("/", "created", iso8601_now());
  out.set_attribute("/", "mpi_ranks", std::int64_t(size_));
  out.set_attribute("/", "seed", std::int64_t(study_.run.seed));
  const auto& sde = phases_->sde_choices;
  out.set_attribute("/", "study", to_toml(study_) + resolved_text(study_, sde ? &*sde : nullptr));
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
  const KernelConstants& c = phases_->constants;
  out.set_attribute("/potential", "kind", std::string(to_string(study_.kernel)));
  out.set_attribute("/potential", "delta", study_.model.delta);
  out.set_attribute("/potential", "strength", study_.potential_strength);
  out.set_attribute("/potential", "C_V", c.C_V);
  out.set_attribute("/potential", "max_V", c.max_V);
  out.set_attribute("/potential", "max_grad_V", c.max_grad);
  out.set_attribute("/potential", "max_hess_V", c.max_hess);
}

void Run::solve_exact_laws() {
  const StageScope stage(Stages::get().exact2);
  const auto t0 = Clock::now();
  write_exact2(comm_, phases_->out, study_);
  summary_.seconds_exact2 = seconds_since(t0);
}

// Stops the ensembles on a signal, or in time to checkpoint within run.walltime (room for
// the replicas in flight, twice the longest so far, and the checkpoint): a hard stop,
// noted in phases_. Also every run.checkpoint_every seconds, but not before this rank ran
// a replica since the last checkpoint, and not more often than every ten of its longest
// replicas, so that waiting for the replicas in flight costs at most about 5%.
StopRequest Run::stop_request() {
  const double walltime = study_.run.walltime, every = study_.run.checkpoint_every;
  Phases* p = phases_.get();
  return [walltime, every, p](double longest_replica) {
    if (interrupt_requested() ||
        (walltime > 0 &&
         seconds_since(p->start) + 2 * longest_replica + 0.05 * walltime > walltime))
      return p->hard_stop = true;
    return every > 0 && longest_replica > 0 &&
           seconds_since(p->last_checkpoint) >= std::max(every, 10 * longest_replica);
  };
}

// The model's ensemble from its saved state, if any, to its end. At each periodic
// checkpoint it stops with the replicas in flight finished, writes every ensemble's state
// and goes on from the state it saved: the same path as a resumed run, so the results are
// the same bits as running straight through. A hard stop checkpoints and throws.
EnsembleResult Run::ensemble_with_checkpoints(ParticleModel model) {
  const bool is_sde = model == ParticleModel::sde;
  const std::string name = to_string(model);
  MeanFields& f = phases_->fields;
  const bool rw_mf = !is_sde && study_.metrics.rw_against_mf;
  const ChaosForces chaos = f.chaos();
  // run.stop_after counts the replicas this process ran, across its checkpoints.
  Study study = study_;
  for (;;) {
    const auto saved = phases_->states.find(name);
    const EnsembleState* resume = saved == phases_->states.end() ? nullptr : &saved->second;
    const long before = resume ? replicas_finished(*resume) : 0;
    EnsembleResult res =
        run_ensemble(comm_, study, model, is_sde ? f.mf : f.mfeps, rw_mf ? &f.mf : nullptr, resume,
                     stop_request(), &chaos, later_phases(model));
    EnsembleState& state = phases_->states[name] = std::move(res.state);
    if (!res.interrupted) return res;
    const long ran = replicas_finished(state) - before;
    int hard = phases_->hard_stop || (study.run.stop_after > 0 && ran >= study.run.stop_after);
    MPI_Allreduce(MPI_IN_PLACE, &hard, 1, MPI_INT, MPI_MAX, comm_);
    if (hard) checkpoint_and_stop(name);
    if (study.run.stop_after > 0) study.run.stop_after -= ran;
    write_periodic_checkpoint(name);
  }
}

// Collective: every ensemble's state so far to the checkpoint, on rank 0.
void Run::write_periodic_checkpoint(const std::string& name) {
  const std::string path = checkpoint_path(study_);
  if (rank_ == 0) {
    write_checkpoint(path, checkpoint_identity(study_), phases_->states);
    progress("{:>5}: checkpoint {} written, {} replicas complete (run.checkpoint_every = {} s)\n",
             name, path, replicas_finished(phases_->states[name]), study_.run.checkpoint_every);
  }
  MPI_Barrier(comm_);
  phases_->last_checkpoint = Clock::now();
}

// One particle model's ensemble against its mean field, then its output.
void Run::run_ensemble_of(ParticleModel model) {
  const bool is_sde = model == ParticleModel::sde;
  const std::string group = std::string("/") + to_string(model);
  const StageScope stage(is_sde ? Stages::get().sde : Stages::get().rw);
  auto t0 = Clock::now();
  EnsembleResult res = ensemble_with_checkpoints(model);
  (is_sde ? summary_.seconds_sde : summary_.seconds_rw) = seconds_since(t0);
  t0 = Clock::now();
  write_ensemble(comm_, phases_->out, group, study_, res);
  if (is_sde) write_sde_choices(phases_->out, *phases_->sde_choices);
  const MeanFields& f = phases_->fields;
  if (study_.chaos.coupling)
    write_chaos_bound(comm_, phases_->out, group, study_, res, phases_->constants.C_V,
                      is_sde && f.mf_force ? f.mf_force->interpolation_error() : 0.0);
  summary_.seconds_io += seconds_since(t0);
  report_ensemble(model, res);
}

// The ensembles still to run after `model`'s (a resumed run skips those complete).
LaterPhases Run::later_phases(ParticleModel model) const {
  LaterPhases later;
  if (model != ParticleModel::sde || !study_.run.has_model("rw")) return later;
  const auto saved = phases_->states.find("rw");
  if (saved != phases_->states.end() && saved->second.complete) return later;
  later.seconds = forecast_seconds(study_, ParticleModel::rw, size_);
  later.replicas = max_replicas(study_.run);
  later.names = "rw";
  return later;
}

[[noreturn]] void Run::checkpoint_and_stop(const std::string& name) {
  const EnsembleState& st = phases_->states[name];
  const std::string path = checkpoint_path(study_);
  if (rank_ == 0) write_checkpoint(path, checkpoint_identity(study_), phases_->states);
  MPI_Barrier(comm_);
  throw Interrupted(fmt::format(
      "interrupted during {}: {} replicas complete; checkpoint {} written (nothing else); "
      "continue with: dislo run ... --resume",
      name, replicas_finished(st), path));
}

// The ensemble's work and metric share into the summary, and its line on rank 0.
void Run::report_ensemble(ParticleModel model, const EnsembleResult& res) {
  const bool is_sde = model == ParticleModel::sde;
  double work = double(res.work), metrics_share = res.seconds_metrics;
  MPI_Bcast(&work, 1, MPI_DOUBLE, 0, comm_);
  MPI_Bcast(&metrics_share, 1, MPI_DOUBLE, 0, comm_);
  (is_sde ? phases_->particle_steps : phases_->events) = std::int64_t(work);
  summary_.seconds_metrics += metrics_share / size_;  // summed over ranks -> per rank
  if (rank_ == 0)
    progress(
        "{:>5}: {} replicas, {} {}, metrics {:.1f}% of the replica time\n", to_string(model),
        res.replicas, std::int64_t(work), is_sde ? "particle-steps" : "events",
        100 * res.seconds_metrics / std::max(res.seconds_metrics + res.seconds_simulate, 1e-300));
}

// The summary attributes, then the file renamed into place and the checkpoint removed.
void Run::finish() {
  OutputFile& out = phases_->out;
  const auto t0 = Clock::now();
  summary_.wall_seconds = seconds_since(phases_->start);
  out.set_attribute("/summary", "wall_seconds", summary_.wall_seconds);
  out.set_attribute("/summary", "mpi_ranks", std::int64_t(size_));
  out.set_attribute("/summary", "predicted_output_bytes", std::int64_t(predicted_bytes_));
  out.set_attribute("/summary", "sde_particle_steps", phases_->particle_steps);
  out.set_attribute("/summary", "rw_events", phases_->events);
  out.set_attribute("/summary", "seconds_sde", summary_.seconds_sde);
  out.set_attribute("/summary", "seconds_rw", summary_.seconds_rw);
  out.set_attribute("/summary", "seconds_exact2", summary_.seconds_exact2);
  out.set_attribute("/summary", "seconds_metrics", summary_.seconds_metrics);
  out.set_attribute("/summary", "seconds_setup", summary_.seconds_setup);
  out.set_attribute("/summary", "seconds_mf", summary_.seconds_mf);
  out.set_attribute("/summary", "seconds_mfeps", summary_.seconds_mfeps);
  out.set_attribute("/summary", "seconds_io", summary_.seconds_io);
  out.set_attribute("/summary", "mf_steps", std::int64_t(summary_.mf_steps));
  out.set_attribute("/summary", "mfeps_steps", std::int64_t(summary_.mfeps_steps));
  {
    const StageScope stage(Stages::get().output);
    out.finalise();
  }
  if (rank_ == 0 && !phases_->states.empty()) std::filesystem::remove(checkpoint_path(study_));
  summary_.seconds_io += seconds_since(t0);
  summary_.wall_seconds = seconds_since(phases_->start);
}

std::size_t collect(MPI_Comm comm, const std::vector<std::string>& inputs,
                    const std::string& output) {
  unsigned long long rows = 0;
  on_root(comm, [&] { rows = collect_runs(inputs, output); });
  MPI_Bcast(&rows, 1, MPI_UNSIGNED_LONG_LONG, 0, comm);
  return std::size_t(rows);
}

SweepOutputs sweep_outputs(const std::string& study_file, const std::vector<std::string>& sets) {
  const auto points = load_sweep(study_file, sets);
  if (points[0].sweep.index < 0)
    throw InputError(fmt::format("{}: --sweep: the study has no [sweep]", study_file));
  SweepOutputs out{{}, points[0].sweep.table};
  std::vector<std::string> missing;
  for (const auto& p : points) {
    out.points.push_back(p.run.output);
    if (!std::filesystem::exists(p.run.output))
      missing.push_back(fmt::format("{} (dislo run {} --sweep-index {})", p.run.output, study_file,
                                    p.sweep.index));
  }
  if (!missing.empty())
    throw InputError(
        fmt::format("{}: --sweep: points not run yet: {}", study_file, fmt::join(missing, ", ")));
  return out;
}

void run_sweep(MPI_Comm comm, const std::vector<Study>& points, bool resume) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::vector<std::string> outputs;
  std::vector<int> finished(points.size(), 0);
  for (std::size_t i = 0; i < points.size(); ++i) {
    const Study& point = points[i];
    finished[i] = rank == 0 && resume && std::filesystem::exists(point.run.output) &&
                  !std::filesystem::exists(checkpoint_path(point));
    MPI_Bcast(&finished[i], 1, MPI_INT, 0, comm);
    // Every point's memory and output are checked before the first point runs.
    if (!finished[i]) check_memory(point, comm);
    if (!finished[i])
      check_output_path(comm, point.run.output, point.run.overwrite,
                        fmt::format("{}: point {}: run.output", point.source, point.sweep.index),
                        predicted_output_bytes(point));
  }
  for (std::size_t i = 0; i < points.size(); ++i) {
    const Study& point = points[i];
    outputs.push_back(point.run.output);
    if (rank == 0)
      progress("sweep point {} of {}{}\n", point.sweep.index, point.sweep.points,
               finished[i] ? ": finished before, kept" : "");
    if (finished[i]) continue;
    Run run(comm, point, resume);
    const auto summary = run.run();
    if (rank == 0)
      progress("sweep point {}: {} written in {:.2f} s\n", point.sweep.index, point.run.output,
               summary.wall_seconds);
  }
  const auto rows = collect(comm, outputs, points.front().sweep.table);
  if (rank == 0)
    progress("sweep: {} points collected into {} ({} rows)\n", points.size(),
             points.front().sweep.table, rows);
}

}  // namespace dislo
