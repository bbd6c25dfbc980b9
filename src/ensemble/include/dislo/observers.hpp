#pragma once
// What the ensemble measures of each replica, one observer per idea (after LAMMPS's Fix
// end_of_step / write_restart and HOOMD's Analyzer): observers see a replica's particles
// at each output time and never change them; each keeps its own tallies, sums them over
// the ranks, saves and restores them with the ensemble's state, and turns them into
// statistics on rank 0.

#include <mpi.h>

#include <complex>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dislo/ensemble.hpp"
#include "dislo/metric_plan.hpp"
#include "dislo/metrics.hpp"
#include "dislo/timing.hpp"

namespace dislo {

// One replica at one output time, as an observer sees it.
struct Observation {
  std::int64_t replica = 0;
  int t = 0;  // output time index
  ReplicaView particles;
  ReplicaView coupled;    // Xbar, with [chaos] coupling (n = 0 otherwise)
  std::span<double> row;  // this rank's row of the replica (MetricPlan's layout)
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void observe(const Observation& o) = 0;
  // Collective over comm: this rank's tallies summed onto rank 0.
  virtual void reduce(MPI_Comm /*comm*/) {}
  virtual void save(EnsembleState& /*state*/) const {}
  virtual void restore(const EnsembleState& /*state*/) {}  // rank 0
  // Rank 0, after reduce, for `replicas` replicas: statistics into the result.
  virtual void finish(long /*replicas*/, EnsembleResult& /*result*/) const {}
};

// One mean-field trajectory as the semi-discrete certified distances see it
// (metrics.method = "certified"): MF by its Fourier series, MFeps by its sites as atoms.
class CertifiedReference {
 public:
  CertifiedReference(const Trajectory& tr, const CertifiedOptions& options);
  // The brackets of one sign's atoms against sign s at output time t.
  CertifiedDistances distances(const Atoms& atoms, int s, int t) const;

 private:
  const Trajectory* tr_;
  CertifiedOptions options_;
  std::vector<CellDensity> sites_[2];  // [s][t], lattice trajectories only
};

// The distances (w1, bl, hs) between each sign's empirical measure and each comparison's
// mean field, written into the row: the metrics of the group rank's tasks (MetricPlan),
// with the certified brackets of w1 and bl.
class DistanceObserver final : public Observer {
 public:
  DistanceObserver(const MetricPlan& plan, const MetricsParams& params,
                   const std::vector<const Trajectory*>& comparisons, int group_rank);
  void observe(const Observation& o) override;

 private:
  const MetricPlan* plan_;
  int H_, group_rank_;
  TransportSolver solver_;
  SobolevNorm hs_;
  // [2 c + s][t]: the comparisons' measures on the metric grid and Fourier coefficients.
  std::vector<std::vector<GridMeasure>> grid_;
  std::vector<std::vector<std::vector<std::complex<double>>>> coefficients_;
  // Binning moves each unit of mass by at most h/sqrt(2), or not at all for a lattice
  // field on the metric grid itself (per comparison).
  double h_move_;
  std::vector<bool> exact_field_;
  // metrics.method = "certified": semi-discrete brackets instead of the grid.
  bool certified_;
  std::vector<CertifiedReference> certified_references_;  // per comparison
  void observe_sign(const Observation& o, int s);
};

// bl between each sign's empirical measure of the coupled process Xbar and the mean field,
// its certified upper bound (the grid value plus its error, or with metrics.method =
// "certified" the semi-discrete bracket's upper end): the measured
// Glivenko-Cantelli term of eq. 18 and eq. 20 (Lemma 4.3; models.md 5a), so that the
// bounds stay bounds; written into the row as metrics first_metric (plus) and
// first_metric + 1 (minus).
class CoupledDistanceObserver final : public Observer {
 public:
  CoupledDistanceObserver(const MetricPlan& plan, const MetricsParams& params,
                          const Trajectory& reference, int first_metric);
  void observe(const Observation& o) override;

 private:
  const MetricPlan* plan_;
  int H_, first_metric_;
  TransportSolver solver_;
  std::vector<std::vector<GridMeasure>> grid_;  // [s][t]
  double h_move_;                               // binning's largest move
  bool exact_field_;  // a lattice field on the metric grid itself: no move
  std::optional<CertifiedReference> certified_;
};

// The one-particle laws: occupation counts of G x G cells (RW: the lattice sites) and
// their squares, summed over replicas; statistics against the model's own mean field.
class LawObserver final : public Observer {
 public:
  LawObserver(int G, long n, const Trajectory& reference);
  void observe(const Observation& o) override;
  void reduce(MPI_Comm comm) override;
  void save(EnsembleState& state) const override;
  void restore(const EnsembleState& state) override;
  void finish(long replicas, EnsembleResult& result) const override;

 private:
  int G_, nt_;
  long n_;
  std::vector<std::vector<double>> reference_[2];  // [s][t]: the mean field on the cells
  std::vector<std::int64_t> law_[2], law_sq_[2];   // [s][t * G * G]
  std::vector<std::int64_t> counts_;               // one replica's, scratch
  void finish_sign(int s, long replicas, EnsembleResult& result) const;
};

// Pair-distance histograms by class (0: opposite signs, 1: equal), summed over replicas.
class PairObserver final : public Observer {
 public:
  PairObserver(int bins, int times);
  void observe(const Observation& o) override;
  void reduce(MPI_Comm comm) override;
  void save(EnsembleState& state) const override;
  void restore(const EnsembleState& state) override;
  void finish(long replicas, EnsembleResult& result) const override;

 private:
  int bins_, nt_;
  std::vector<std::int64_t> pairs_[2];  // [cls][t * bins]
};

// A progress line on rank 0 at most every 5 s: replicas started, the rate of this
// process (a resumed run does not count the replicas of the run before), this ensemble's
// ETA and the whole run's (with the later phases' forecast).
class ProgressObserver final : public Observer {
 public:
  // metrics_seconds: this rank's time in the metrics so far (the ensemble's counter), for
  // the later phases' metrics; ranks: how many share the replicas.
  ProgressObserver(const char* model, long max_replicas, LaterPhases later = {},
                   const double* metrics_seconds = nullptr, int ranks = 1);
  void observe(const Observation& o) override;
  void restore(const EnsembleState& state) override;
  // The line for `started` replicas after `seconds` (empty before the first replica).
  std::string line(std::int64_t started, double seconds) const;

 private:
  const char* model_;
  long max_replicas_;
  LaterPhases later_;
  const double* metrics_seconds_;
  int ranks_;
  long before_ = 0;  // replicas finished before this process started (resume)
  long mine_ = 0;    // replicas this rank started
  Clock::time_point start_, last_;
};

}  // namespace dislo
