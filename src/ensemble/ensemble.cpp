// The ensemble as a composition: a MetricPlan says which group rank computes which metric,
// a ReplicaEngine runs the model, the ReplicaScheduler hands out replicas and collects
// their rows, and observers measure. run() is its phases.
#include "dislo/ensemble.hpp"

#include <fmt/core.h>
#include <petscsys.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>

#include "dislo/metric_plan.hpp"
#include "dislo/observers.hpp"
#include "dislo/progress.hpp"
#include "dislo/scheduler.hpp"
#include "dislo/sde.hpp"
#include "dislo/statistics.hpp"
#include "dislo/timing.hpp"

namespace dislo {

namespace {

// PETSc log events: -log_view splits each ensemble stage into simulation and metrics.
struct Events {
  PetscLogEvent simulate = 0, metrics = 0;
  static const Events& get() {
    static const Events events = [] {
      Events e;
      PetscClassId id = 0;
      PetscClassIdRegister("dislo", &id);
      PetscLogEventRegister("DisloSimulate", id, &e.simulate);
      PetscLogEventRegister("DisloMetrics", id, &e.metrics);
      return e;
    }();
    return events;
  }
};

// Times a phase of a replica into a seconds counter and brackets it by its PETSc event.
class PhaseTimer {
 public:
  PhaseTimer(double& seconds, PetscLogEvent event)
      : seconds_(seconds), event_(event), start_(Clock::now()) {
    PetscLogEventBegin(event_, 0, 0, 0, 0);
  }
  ~PhaseTimer() {
    seconds_ += seconds_since(start_);
    PetscLogEventEnd(event_, 0, 0, 0, 0);
  }
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;

 private:
  double& seconds_;
  PetscLogEvent event_;
  Clock::time_point start_;
};

// The ranks sharing one replica (run.ranks_per_replica; SDE only: a walk is one chain).
class ReplicaGroup {
 public:
  ReplicaGroup(MPI_Comm comm, const Study& study, ParticleModel model) {
    int rank = 0, size = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    size_ = model == ParticleModel::sde ? study.run.ranks_per_replica : 1;
    if (size % size_ != 0)
      throw InputError(
          fmt::format("{}: run.ranks_per_replica = {} does not divide the {} MPI ranks",
                      study.source, size_, size));
    if (size_ > 1) MPI_Comm_split(comm, rank / size_, rank, &comm_);
    MPI_Comm_rank(comm_, &rank_);
  }
  ~ReplicaGroup() {
    if (comm_ != MPI_COMM_SELF) MPI_Comm_free(&comm_);
  }
  ReplicaGroup(const ReplicaGroup&) = delete;
  ReplicaGroup& operator=(const ReplicaGroup&) = delete;
  MPI_Comm comm() const { return comm_; }
  int size() const { return size_; }
  int rank() const { return rank_; }
  bool leader() const { return rank_ == 0; }

 private:
  MPI_Comm comm_ = MPI_COMM_SELF;
  int size_ = 1, rank_ = 0;
};

// The couplings' distances, then bl of Xbar's signs against the mean field (eq. 18, 20).
std::vector<std::string> chaos_metrics(const ReplicaEngine& engine) {
  std::vector<std::string> names = engine.coupling_names();
  if (!names.empty()) names.insert(names.end(), {"chaos/xbar_bl_plus", "chaos/xbar_bl_minus"});
  return names;
}

Rounds rounds_of(const RunParams& run) {
  const bool automatic = run.replicas == "auto";
  const long cap = automatic ? run.max_replicas : std::stol(run.replicas);
  return {cap, automatic ? run.batch : cap, run.stop_after};
}

class Ensemble {
 public:
  Ensemble(MPI_Comm comm, const Study& study, ParticleModel model,
           const std::vector<const Trajectory*>& comparisons, const ChaosForces* chaos,
           const LaterPhases& later);
  EnsembleResult run(const EnsembleState* resume, const StopRequest& stop);
  // How many replicas run at the same time: one per group of ranks.
  int replicas_at_once() const {
    int ranks = 1;
    MPI_Comm_size(comm_, &ranks);
    return ranks / group_.size();
  }

 private:
  MPI_Comm comm_;
  const Study& study_;
  ParticleModel model_;
  int rank_ = 0;
  ReplicaGroup group_;
  std::unique_ptr<ReplicaEngine> engine_;
  MetricPlan plan_;
  ReplicaScheduler scheduler_;
  // Observers that run on every rank of a replica's group (distances) or on its leader
  // only (tallies, progress).
  std::vector<std::unique_ptr<Observer>> group_observers_, leader_observers_;
  double seconds_simulate_ = 0, seconds_metrics_ = 0;
  std::uint64_t work_ = 0;

  std::vector<double> run_replica(std::int64_t id);
  void merge_group_row(std::vector<double>& row) const;
  bool enough(std::span<const double> rows, long replicas) const;
  void restore(const EnsembleState& state);
  void reduce(EnsembleResult& result);
  void summarise(EnsembleResult& result) const;
};

Ensemble::Ensemble(MPI_Comm comm, const Study& study, ParticleModel model,
                   const std::vector<const Trajectory*>& comparisons, const ChaosForces* chaos,
                   const LaterPhases& later)
    : comm_(comm),
      study_(study),
      model_(model),
      group_(comm, study, model),
      engine_(make_replica_engine(study, model, group_.comm(), chaos)),
      plan_(study.metrics.kinds, int(comparisons.size()), chaos_metrics(*engine_),
            int(study.run.times.size()), group_.size()),
      scheduler_(comm, group_.comm(), rounds_of(study.run), plan_.row_length()) {
  MPI_Comm_rank(comm, &rank_);
  group_observers_.push_back(
      std::make_unique<DistanceObserver>(plan_, study.metrics, comparisons, group_.rank()));
  // Tallies exist on every rank (their reductions are collective); leaders fill them.
  const int G = model == ParticleModel::sde ? study.metrics.law_bins : study.model.lattice;
  leader_observers_.push_back(std::make_unique<LawObserver>(G, study.model.n, *comparisons[0]));
  leader_observers_.push_back(
      std::make_unique<PairObserver>(study.metrics.pair_bins, plan_.times()));
  if (const auto couplings = engine_->coupling_names().size(); couplings > 0)
    leader_observers_.push_back(std::make_unique<CoupledDistanceObserver>(
        plan_, study.metrics, *comparisons[0], plan_.first_chaos() + int(couplings)));
  if (rank_ == 0)
    leader_observers_.push_back(
        std::make_unique<ProgressObserver>(to_string(model), rounds_of(study.run).max_replicas,
                                           later, &seconds_metrics_, replicas_at_once()));
}

// One replica on every rank of its group: its row on the leader.
std::vector<double> Ensemble::run_replica(std::int64_t id) {
  const Events& events = Events::get();
  std::vector<double> row(plan_.row_length(), 0.0);
  {
    const PhaseTimer timer(seconds_simulate_, events.simulate);
    engine_->start(std::uint64_t(id));
    row[0] = engine_->kappa();
  }
  std::vector<double> couplings(engine_->coupling_names().size());
  for (int t = 0; t < plan_.times(); ++t) {
    Observation o{id, t, {}, {}, row};
    {
      const PhaseTimer timer(seconds_simulate_, events.simulate);
      engine_->advance_to(study_.run.times[t]);
      engine_->coupling_distances(couplings);
      for (std::size_t c = 0; c < couplings.size(); ++c)
        row[plan_.slot(plan_.first_chaos() + int(c), t)] = couplings[c];
      o.particles = engine_->view();
      o.coupled = engine_->coupled_view();
    }
    const PhaseTimer timer(seconds_metrics_, events.metrics);
    for (auto& observer : group_observers_) observer->observe(o);
    if (group_.leader())
      for (auto& observer : leader_observers_) observer->observe(o);
  }
  merge_group_row(row);
  if (group_.leader()) work_ += engine_->work();
  return row;
}

// The group's metric values to its leader: each entry has one writer (MetricPlan), so the
// sum of the others' entries is exact.
void Ensemble::merge_group_row(std::vector<double>& row) const {
  if (group_.size() == 1) return;
  std::vector<double> shared(row.size(), 0.0);
  const int nk = int(plan_.kinds().size());
  auto for_each_delegated = [&](auto&& f) {
    for (int s = 0; s < 2; ++s)
      for (int c = 0; c < plan_.comparisons(); ++c)
        for (int k = 0; k < nk; ++k)
          if (const int owner = plan_.owner(s, c, plan_.part(k)); owner != 0) {
            const int m = plan_.metric(c, k, s);
            for (int metric : {m, plan_.bracket(m, 0), plan_.bracket(m, 1)})
              if (metric >= 0)
                for (int t = 0; t < plan_.times(); ++t) f(owner, plan_.slot(metric, t));
          }
  };
  for_each_delegated([&](int owner, std::size_t i) {
    if (owner == group_.rank()) shared[i] = row[i];
  });
  MPI_Reduce(group_.leader() ? MPI_IN_PLACE : shared.data(), shared.data(), int(shared.size()),
             MPI_DOUBLE, MPI_SUM, 0, group_.comm());
  if (group_.leader()) for_each_delegated([&](int, std::size_t i) { row[i] = shared[i]; });
}

// replicas = "auto": is every metric's standard error at every time below the target?
bool Ensemble::enough(std::span<const double> rows, long replicas) const {
  double worst = 0;
  for (std::size_t c = 1; c < plan_.row_length(); ++c)
    worst = std::max(
        worst, replicas > 1
                   ? mean_and_stderr(rows, c, plan_.row_length(), std::size_t(replicas)).stderr_
                   : std::numeric_limits<double>::infinity());
  progress("{:>5}: {} replicas, largest standard error {:.3e} (target {:.3e})\n", to_string(model_),
           replicas, worst, study_.run.target_stderr);
  return worst <= study_.run.target_stderr;
}

void Ensemble::restore(const EnsembleState& state) {
  scheduler_.restore(state);
  if (rank_ != 0) return;
  for (auto& observer : leader_observers_) observer->restore(state);
  work_ = state.work;
  seconds_simulate_ = state.seconds_simulate;
  seconds_metrics_ = state.seconds_metrics;
}

// Collective: every tally, timing and work counter summed onto rank 0.
void Ensemble::reduce(EnsembleResult& result) {
  for (auto& observer : leader_observers_) observer->reduce(comm_);
  double local[2] = {seconds_simulate_, seconds_metrics_}, global[2] = {0, 0};
  MPI_Reduce(local, global, 2, MPI_DOUBLE, MPI_SUM, 0, comm_);
  result.seconds_simulate = global[0];
  result.seconds_metrics = global[1];
  unsigned long long work = work_, work_sum = 0;
  MPI_Reduce(&work, &work_sum, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0, comm_);
  result.work = work_sum;
}

// Rank 0: kappa, every metric's values, mean and standard error in replica order.
void Ensemble::summarise(EnsembleResult& result) const {
  const long R = result.replicas;
  const std::size_t len = plan_.row_length(), nt = std::size_t(plan_.times());
  const std::vector<double>& rows = scheduler_.rows();
  result.kappa.resize(std::size_t(R));
  for (long r = 0; r < R; ++r) result.kappa[r] = rows[std::size_t(r) * len];
  result.values.assign(plan_.metrics(), std::vector<double>(std::size_t(R) * nt));
  result.mean.assign(std::size_t(plan_.metrics()) * nt, 0.0);
  result.stderr_.assign(std::size_t(plan_.metrics()) * nt, 0.0);
  for (int m = 0; m < plan_.metrics(); ++m)
    for (std::size_t t = 0; t < nt; ++t) {
      const std::size_t slot = plan_.slot(m, int(t));
      for (long r = 0; r < R; ++r) result.values[m][std::size_t(r) * nt + t] = rows[r * len + slot];
      const MeanStderr ms = mean_and_stderr(rows, slot, len, std::size_t(R));
      result.mean[m * nt + t] = ms.mean;
      result.stderr_[m * nt + t] = ms.stderr_;
    }
  for (const auto& observer : leader_observers_) observer->finish(R, result);
}

EnsembleResult Ensemble::run(const EnsembleState* resume, const StopRequest& stop) {
  EnsembleResult result;
  result.metric_names = plan_.names();
  result.law_grid = model_ == ParticleModel::sde ? study_.metrics.law_bins : study_.model.lattice;
  if (resume) restore(*resume);
  const bool automatic = study_.run.replicas == "auto";
  scheduler_.run(
      [this](std::int64_t id) { return run_replica(id); },
      automatic ? ReplicaScheduler::Enough([this](auto rows, long r) { return enough(rows, r); })
                : ReplicaScheduler::Enough{},
      stop);
  reduce(result);
  result.replicas = scheduler_.done();
  result.interrupted = scheduler_.interrupted();
  EnsembleState& state = result.state;
  scheduler_.save(state);
  if (rank_ == 0) {
    for (const auto& observer : leader_observers_) observer->save(state);
    state.work = result.work;
    state.seconds_simulate = result.seconds_simulate;
    state.seconds_metrics = result.seconds_metrics;
  }
  if (rank_ != 0 || result.interrupted) return result;
  summarise(result);
  return result;
}

}  // namespace

long max_replicas(const RunParams& run) { return rounds_of(run).max_replicas; }

double forecast_seconds(const Study& study, ParticleModel model, int ranks) {
  // Throughputs of docs/performance.md (2026-11, one core of the development machine).
  constexpr double kSdeMesh = 6e6, kSdeDirectPairs = 3.6e7, kRwVeto = 3e7;
  constexpr double kRwScanPerEvent = 2e8, kRwTimeChangeScan = 2.9e7, kRwVetoCoupled = 1e7;
  const ModelParams& m = study.model;
  const double n = double(m.n), T = m.T;
  double work = 0, rate = 0;
  if (model == ParticleModel::sde) {
    const SdeChoices c = sde_choices(study);
    const double steps = m.noiseless() ? T / 1e-3 : T / c.dt;  // the ODE adapts: a guess
    work = n * steps * (study.chaos.coupling ? 2 : 1);
    rate = c.force == "pm" ? kSdeMesh : kSdeDirectPairs / n;
  } else {
    // Four jumps of rate 1/(beta eps^2) per particle, the force's tilt ignored.
    work = n * T * 4 / (m.beta * m.eps() * m.eps());
    rate = study.rw.algorithm == "veto" ? kRwVeto : kRwScanPerEvent / n;
    if (study.chaos.coupling) {
      // Per event of X: the veto coupling's two events, and the exact-force couplings'
      // two O(n) events each where they run.
      double seconds = 1 / rate + 2 / kRwVetoCoupled;
      if (m.n <= study.chaos.thinning_max_n) seconds += 2 * n / kRwScanPerEvent;
      if (m.n <= study.chaos.time_change_max_n) seconds += 2 * n / kRwTimeChangeScan;
      rate = 1 / seconds;
    }
  }
  return double(rounds_of(study.run).max_replicas) * work / rate / std::max(ranks, 1);
}

EnsembleResult run_ensemble(MPI_Comm comm, const Study& study, ParticleModel model,
                            const Trajectory& reference, const Trajectory* continuum,
                            const EnsembleState* resume, const StopRequest& stop,
                            const ChaosForces* chaos, const LaterPhases& later) {
  std::vector<const Trajectory*> comparisons{&reference};
  if (continuum) comparisons.push_back(continuum);
  Ensemble ensemble(comm, study, model, comparisons, chaos, later);
  return ensemble.run(resume, stop);
}

}  // namespace dislo
