#pragma once
// Which metric values a replica produces, where each sits in the replica's row, and which
// rank of a replica group computes it: a pure plan (no MPI), after heFFTe's plan_logic.
//
// A row is [kappa, metric 0 at times 0..nt-1, metric 1 ..., ...]. The metrics are, for
// each comparison c (0: the model's own mean field, 1: MF for RW with rw_against_mf),
// each kind k of metrics.kinds and each sign s (0 plus, 1 minus), metric (c nk + k) 2 + s,
// named "[mf/]<kind>_<sign>"; then the couplings' distances ("chaos/..."); then the
// certified brackets of the transport metrics (w1, bl), "<name>/lower" and "<name>/upper",
// in the order of their metrics.
//
// Tasks: a group's ranks share the metric work of one replica. A task is (part, sign,
// comparison): part 0 the transport metrics (w1 and bl share their flow solves), part 1
// hs (far cheaper), numbered q = (part 2 + s) nc + c so that the costly ones spread first.
// Task q goes to group rank (q + 1) mod group size: the leader (rank 0) last, since it
// also keeps the law and pair tallies.

#include <cstddef>
#include <string>
#include <vector>

namespace dislo {

class MetricPlan {
 public:
  MetricPlan(std::vector<std::string> kinds, int comparisons, std::vector<std::string> chaos_names,
             int times, int group_size);

  const std::vector<std::string>& names() const { return names_; }
  const std::vector<std::string>& kinds() const { return kinds_; }
  int metrics() const { return int(names_.size()); }
  int comparisons() const { return comparisons_; }
  int times() const { return times_; }
  int group_size() const { return group_size_; }
  int first_chaos() const { return first_chaos_; }
  std::size_t row_length() const { return 1 + std::size_t(metrics()) * std::size_t(times_); }

  // Position in the row of metric m at time t (kappa sits at 0).
  std::size_t slot(int m, int t) const { return 1 + std::size_t(m) * times_ + std::size_t(t); }
  int metric(int comparison, int kind, int sign) const {
    return (comparison * int(kinds_.size()) + kind) * 2 + sign;
  }

  // The bracket of distance metric m: side 0 lower, 1 upper; -1 when m has none (hs).
  int bracket(int m, int side) const {
    const int first = brackets_[std::size_t(m)];
    return first < 0 ? -1 : first + side;
  }

  bool wants(const std::string& kind) const;
  bool transport() const { return wants_w1_ || wants_bl_; }
  bool wants_w1() const { return wants_w1_; }
  bool wants_bl() const { return wants_bl_; }
  bool wants_hs() const { return wants_hs_; }

  int part(int kind) const;  // 0: transport, hs_part(): hs
  int hs_part() const { return transport() && wants_hs_ ? 1 : 0; }
  int owner(int sign, int comparison, int part) const;
  // Does group rank own (sign, part) for some comparison?
  bool owns_any(int group_rank, int sign, int part) const;

 private:
  std::vector<std::string> kinds_;
  int comparisons_, times_, group_size_;
  std::vector<std::string> names_;
  int first_chaos_ = 0;
  std::vector<int> brackets_;  // per distance metric: its lower bound's index, or -1
  bool wants_w1_ = false, wants_bl_ = false, wants_hs_ = false;
};

}  // namespace dislo
