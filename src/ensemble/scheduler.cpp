#include "dislo/scheduler.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "dislo/timing.hpp"

namespace dislo {

namespace {
// A stop request adds kStopBit to the counter: every rank then sees it at its next fetch,
// takes nothing more, and the round ends with the replicas in flight done.
constexpr std::int64_t kStopBit = std::int64_t(1) << 50;
constexpr std::int64_t kNoMore = std::numeric_limits<std::int64_t>::max() / 2;
}  // namespace

ReplicaScheduler::ReplicaScheduler(MPI_Comm comm, MPI_Comm group, Rounds rounds,
                                   std::size_t row_length)
    : comm_(comm), group_(group), rounds_(rounds), row_length_(row_length) {
  if (rounds.max_replicas < 0 || rounds.batch < 1)
    throw std::invalid_argument("ReplicaScheduler: max_replicas >= 0, batch >= 1");
  MPI_Comm_rank(comm, &rank_);
  MPI_Comm_size(comm, &size_);
  int group_rank = 0;
  MPI_Comm_rank(group, &group_rank);
  leader_ = group_rank == 0;
}

// The window lives only inside run(), which frees it collectively: freeing it here while
// an exception unwinds one rank would wait forever for the others.
ReplicaScheduler::~ReplicaScheduler() = default;

void ReplicaScheduler::restore(const EnsembleState& state) {
  // A checkpoint is checksummed and tied to the study; this guards the indexing below
  // against one that was edited anyway.
  const long taken = state.done + long(state.partial.size());
  bool fits =
      state.done >= 0 && state.done <= rounds_.max_replicas && taken <= rounds_.max_replicas;
  for (std::int64_t id : state.partial) fits = fits && id >= state.done && id < taken;
  if (rank_ == 0)
    fits = fits && state.rows.size() % row_length_ == 0 &&
           long(state.rows.size() / row_length_) >= (state.complete ? state.done : taken) &&
           long(state.rows.size() / row_length_) <= rounds_.max_replicas;
  if (!fits) throw std::runtime_error("ensemble: the saved state does not fit this study");
  complete_ = state.complete;
  done_ = state.done;
  finished_ = state.partial;
  if (rank_ == 0) ordered_ = state.rows;
}

void ReplicaScheduler::save(EnsembleState& state) const {
  state.complete = complete_;
  state.done = done_;
  state.partial = interrupted_ ? finished_ : std::vector<std::int64_t>{};
  if (rank_ == 0) state.rows = ordered_;
}

std::int64_t ReplicaScheduler::fetch_add(std::int64_t add) {
  std::int64_t got = 0;
  MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win_);
  MPI_Fetch_and_op(&add, &got, MPI_INT64_T, 0, 0, MPI_SUM, win_);
  MPI_Win_unlock(0, win_);
  return got;
}

// Rank 0: reads the counter and, when set_to >= 0, resets it.
std::int64_t ReplicaScheduler::read_counter_and(std::int64_t set_to) {
  MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, win_);
  const std::int64_t value = *counter_;
  if (set_to >= 0) *counter_ = set_to;
  MPI_Win_unlock(0, win_);
  return value;
}

// The group's leader takes the next replica of the round; the group runs it.
std::int64_t ReplicaScheduler::next_for_group(const StopRequest& stop) {
  std::int64_t v = 0;
  if (leader_) {
    if (stop && stop(longest_replica_)) fetch_add(kStopBit);
    const std::int64_t got = fetch_add(1);
    v = got >= kStopBit ? kNoMore : got;
    // Deterministic interruption: ids [first_, first_ + stop_after) run, then a stop.
    const std::int64_t id = done_ + v;
    // (Fetches past the round's end take nothing.)
    if (rounds_.stop_after > 0 && v != kNoMore && id < round_end_ &&
        id >= first_ + rounds_.stop_after) {
      fetch_add(kStopBit);
      v = kNoMore;
    }
  }
  int group_size = 1;
  MPI_Comm_size(group_, &group_size);
  if (group_size > 1) MPI_Bcast(&v, 1, MPI_INT64_T, 0, group_);
  return v;
}

void ReplicaScheduler::run_round(long round_end, const RunReplica& run_replica,
                                 const StopRequest& stop) {
  round_end_ = round_end;
  MPI_Barrier(comm_);
  if (rank_ == 0) read_counter_and(0);
  MPI_Barrier(comm_);
  for (std::int64_t v = next_for_group(stop); done_ + v < round_end; v = next_for_group(stop)) {
    const std::int64_t id = done_ + v;
    if (std::find(finished_.begin(), finished_.end(), id) != finished_.end()) continue;
    const auto start = Clock::now();
    const std::vector<double> row = run_replica(id);
    if (leader_) {
      if (row.size() != row_length_) throw std::logic_error("ReplicaScheduler: row length");
      rows_.insert(rows_.end(), row.begin(), row.end());
      ids_.push_back(id);
    }
    longest_replica_ = std::max(longest_replica_, seconds_since(start));
  }
}

// This round's rows to rank 0, placed by replica id; returns the ids received (rank 0).
std::vector<std::int64_t> ReplicaScheduler::gather_round(long round_end) {
  const int mine = static_cast<int>(ids_.size()), len = static_cast<int>(row_length_);
  std::vector<int> counts(size_), displs(size_), rcounts(size_), rdispls(size_);
  MPI_Gather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm_);
  int received = 0;
  for (int p = 0; rank_ == 0 && p < size_; ++p) {
    displs[p] = received;
    rcounts[p] = counts[p] * len;
    rdispls[p] = received * len;
    received += counts[p];
  }
  std::vector<std::int64_t> round_ids(static_cast<std::size_t>(received));
  std::vector<double> round_rows(std::size_t(received) * row_length_);
  MPI_Gatherv(ids_.data(), mine, MPI_INT64_T, round_ids.data(), counts.data(), displs.data(),
              MPI_INT64_T, 0, comm_);
  MPI_Gatherv(rows_.data(), mine * len, MPI_DOUBLE, round_rows.data(), rcounts.data(),
              rdispls.data(), MPI_DOUBLE, 0, comm_);
  ids_.clear();
  rows_.clear();
  if (rank_ == 0) {
    ordered_.resize(std::size_t(round_end) * row_length_);
    for (std::size_t k = 0; k < round_ids.size(); ++k)
      std::copy_n(&round_rows[k * row_length_], row_length_,
                  &ordered_[std::size_t(round_ids[k]) * row_length_]);
  }
  return round_ids;
}

// Collective: was a stop requested? The counter says so once every rank left the round.
bool ReplicaScheduler::stop_requested() {
  MPI_Barrier(comm_);
  int flag = rank_ == 0 && read_counter_and() >= kStopBit ? 1 : 0;
  MPI_Bcast(&flag, 1, MPI_INT, 0, comm_);
  return flag != 0;
}

// Collective: the replicas of this round finished so far join the earlier ones, on every
// rank, so that a resumed run skips them.
void ReplicaScheduler::note_finished(std::vector<std::int64_t> round_ids) {
  int count = static_cast<int>(round_ids.size());
  MPI_Bcast(&count, 1, MPI_INT, 0, comm_);
  round_ids.resize(std::size_t(count));
  MPI_Bcast(round_ids.data(), count, MPI_INT64_T, 0, comm_);
  finished_.insert(finished_.end(), round_ids.begin(), round_ids.end());
  std::sort(finished_.begin(), finished_.end());
}

void ReplicaScheduler::run(const RunReplica& run_replica, const Enough& enough,
                           const StopRequest& stop) {
  MPI_Win_allocate(rank_ == 0 ? sizeof(std::int64_t) : 0, sizeof(std::int64_t), MPI_INFO_NULL,
                   comm_, &counter_, &win_);
  if (rank_ == 0) *counter_ = 0;
  MPI_Barrier(comm_);
  interrupted_ = false;
  // Replicas are taken in id order and the ones in flight finish before a stop, so the
  // ones a resumed round finished before are the round's first ids.
  first_ = done_ + long(finished_.size());
  while (!complete_) {
    const long round_end = std::min(done_ + rounds_.batch, rounds_.max_replicas);
    run_round(round_end, run_replica, stop);
    std::vector<std::int64_t> received = gather_round(round_end);
    if ((interrupted_ = stop_requested())) {
      note_finished(std::move(received));
      break;
    }
    finished_.clear();
    // The decision depends only on replica results: the same on any number of ranks.
    int last = 1;
    if (rank_ == 0 && enough && round_end < rounds_.max_replicas)
      last = enough(ordered_, round_end) ? 1 : 0;
    MPI_Bcast(&last, 1, MPI_INT, 0, comm_);
    done_ = round_end;
    complete_ = last != 0;
  }
  MPI_Win_free(&win_);
}

}  // namespace dislo
