#pragma once
// One run of a study: the mean fields at the output times, the exact two-particle laws,
// the particle ensembles against their mean fields, all written to one HDF5 file.
// The driver builds a Run and calls run(); everything else happens here.

#include <mpi.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dislo/config.hpp"
#include "dislo/ensemble.hpp"

namespace dislo {

// The values dislo chooses for the study's "auto" settings (sde.dt, sde.force and its
// mesh, when "sde" runs) and the PETSc options in effect, as TOML comments: appended to
// the output's study attribute and to dislo check's output, so that a run can be
// repeated exactly from its file.
std::string resolved_comments(const Study& study);

// About the size of the study's output file (within tens of percent, from above): its
// fields, laws and replica rows; checked against the room at the output path first.
std::uint64_t predicted_output_bytes(const Study& study);

struct RunSummary {
  double wall_seconds = 0;
  double seconds_mf = 0, seconds_mfeps = 0, seconds_io = 0, seconds_setup = 0;
  double seconds_sde = 0, seconds_rw = 0, seconds_metrics = 0;  // metrics: inside sde/rw
  double seconds_exact2 = 0;
  long mf_steps = 0, mfeps_steps = 0;
};

class Run {
 public:
  // Collective over comm. Checks that the study can run with this build (InputError if not).
  // resume: continue from the checkpoint beside the output, when there is one.
  Run(MPI_Comm comm, Study study, bool resume = false);
  ~Run();
  // Collective. Solves, writes study.run.output atomically; returns the timings. The
  // ensembles write a checkpoint every run.checkpoint_every seconds and go on; a stop
  // request (SIGTERM, SIGUSR1, run.walltime, run.stop_after) during them writes one and
  // throws Interrupted; a fresh run beside a checkpoint is refused (InputError).
  RunSummary run();

 private:
  MPI_Comm comm_;
  Study study_;
  int rank_ = 0, size_ = 1;
  bool resume_ = false;
  std::uint64_t predicted_bytes_ = 0;  // predicted_output_bytes(study_)
  RunSummary summary_;
  struct Phases;  // what the phases share while run() runs
  std::unique_ptr<Phases> phases_;

  std::map<std::string, EnsembleState> load_checkpoint() const;
  void write_header();
  void solve_exact_laws();
  StopRequest stop_request();
  void run_ensemble_of(ParticleModel model);
  EnsembleResult ensemble_with_checkpoints(ParticleModel model);
  void write_periodic_checkpoint(const std::string& model);
  LaterPhases later_phases(ParticleModel model) const;
  [[noreturn]] void checkpoint_and_stop(const std::string& model);
  void report_ensemble(ParticleModel model, const EnsembleResult& res);
  void finish();
};

// Collective. Runs the points of a sweep (load_sweep) one after another, each to its own
// output, then collects them into the sweep's table (sweep.table). With resume, points
// whose output exists with no checkpoint beside it are kept, not run again.
void run_sweep(MPI_Comm comm, const std::vector<Study>& points, bool resume);

// What `dislo collect --sweep STUDY` merges: the outputs the study's points write, and
// the sweep's table. InputError if the study has no [sweep] or a point has not run yet
// (each one named with the --sweep-index command that runs it).
struct SweepOutputs {
  std::vector<std::string> points;
  std::string table;
};
SweepOutputs sweep_outputs(const std::string& study_file, const std::vector<std::string>& sets);

// Collective: collect_runs (io.hpp) on rank 0; its errors are thrown on every rank.
std::size_t collect(MPI_Comm comm, const std::vector<std::string>& inputs,
                    const std::string& output);

}  // namespace dislo
