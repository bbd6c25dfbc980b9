#pragma once
// Hands replicas to the ranks of a communicator and collects their rows on rank 0 in
// replica order, whatever rank ran which: a shared counter in an MPI window (dynamic load
// balance), rounds of `batch` replicas after which a stopping rule may end the ensemble
// (replicas = "auto"), replica groups (ranks sharing one replica: the group's leader takes
// it from the counter, the whole group runs it), interruption by a StopRequest with the
// replicas in flight finished, and resumption from a saved EnsembleState.

#include <mpi.h>

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "dislo/ensemble_state.hpp"

namespace dislo {

struct Rounds {
  long max_replicas = 0;  // never more
  long batch = 0;         // replicas per round (= max_replicas: one round)
  long stop_after = 0;    // stop as on a request once run() took this many (0: never)
};

class ReplicaScheduler {
 public:
  // Runs replica `id` on every rank of its group; returns its row on the group's leader
  // (ignored on the others).
  using RunReplica = std::function<std::vector<double>(std::int64_t id)>;
  // Rank 0, after each round but the last possible one: the rows of replicas
  // [0, replicas) in order; true ends the ensemble.
  using Enough = std::function<bool(std::span<const double> rows, long replicas)>;

  // Collective over comm. group: this rank's replica group (MPI_COMM_SELF: none); its
  // leader is group rank 0. row_length: the values per replica.
  ReplicaScheduler(MPI_Comm comm, MPI_Comm group, Rounds rounds, std::size_t row_length);
  ~ReplicaScheduler();
  ReplicaScheduler(const ReplicaScheduler&) = delete;
  ReplicaScheduler& operator=(const ReplicaScheduler&) = delete;

  void restore(const EnsembleState& state);  // every rank
  // Collective over comm. Runs rounds until enough, max_replicas or a stop request.
  void run(const RunReplica& run_replica, const Enough& enough, const StopRequest& stop);
  // Where it stands: complete, done, partial on every rank; rows on rank 0.
  void save(EnsembleState& state) const;

  bool interrupted() const { return interrupted_; }
  long done() const { return done_; }
  const std::vector<double>& rows() const { return ordered_; }  // rank 0

 private:
  MPI_Comm comm_, group_;
  int rank_ = 0, size_ = 1;
  bool leader_ = true;
  Rounds rounds_;
  std::size_t row_length_;
  std::int64_t* counter_ = nullptr;
  MPI_Win win_ = MPI_WIN_NULL;
  double longest_replica_ = 0;
  long done_ = 0;
  long round_end_ = 0;  // the current round's end
  long first_ = 0;      // the first replica id this run() takes (after restore)
  bool complete_ = false, interrupted_ = false;
  std::vector<std::int64_t> finished_;  // replicas of the current round already run
  std::vector<double> rows_;            // this rank's rows of the current round
  std::vector<std::int64_t> ids_;       // and their replica ids
  std::vector<double> ordered_;         // rank 0: rows of replicas [0, done) and beyond

  std::int64_t fetch_add(std::int64_t add);
  std::int64_t read_counter_and(std::int64_t set_to = -1);
  std::int64_t next_for_group(const StopRequest& stop);
  void run_round(long round_end, const RunReplica& run_replica, const StopRequest& stop);
  std::vector<std::int64_t> gather_round(long round_end);
  bool stop_requested();
  void note_finished(std::vector<std::int64_t> round_ids);
};

}  // namespace dislo
