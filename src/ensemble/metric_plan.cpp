#include "dislo/metric_plan.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace dislo {

MetricPlan::MetricPlan(std::vector<std::string> kinds, int comparisons,
                       std::vector<std::string> chaos_names, int times, int group_size)
    : kinds_(std::move(kinds)), comparisons_(comparisons), times_(times), group_size_(group_size) {
  if (comparisons < 1 || times < 0 || group_size < 1)
    throw std::invalid_argument("MetricPlan: comparisons >= 1, times >= 0, group_size >= 1");
  for (int c = 0; c < comparisons; ++c)
    for (const auto& k : kinds_)
      for (const char* s : {"plus", "minus"}) names_.push_back((c ? "mf/" : "") + k + "_" + s);
  first_chaos_ = int(names_.size());
  names_.insert(names_.end(), chaos_names.begin(), chaos_names.end());
  for (int m = 0; m < first_chaos_; ++m) {
    const bool transport = kinds_[std::size_t(m / 2) % kinds_.size()] != "hs";
    brackets_.push_back(transport ? int(names_.size()) : -1);
    if (transport) {
      const std::string name = names_[std::size_t(m)];
      names_.push_back(name + "/lower");
      names_.push_back(name + "/upper");
    }
  }
  wants_w1_ = wants("w1");
  wants_bl_ = wants("bl");
  wants_hs_ = wants("hs");
}

bool MetricPlan::wants(const std::string& kind) const {
  return std::find(kinds_.begin(), kinds_.end(), kind) != kinds_.end();
}

int MetricPlan::part(int kind) const {
  return kinds_.at(std::size_t(kind)) == "hs" ? hs_part() : 0;
}

int MetricPlan::owner(int sign, int comparison, int part) const {
  const std::size_t q = (std::size_t(part) * 2 + std::size_t(sign)) * comparisons_ + comparison;
  return int((q + 1) % std::size_t(group_size_));
}

bool MetricPlan::owns_any(int group_rank, int sign, int part) const {
  for (int c = 0; c < comparisons_; ++c)
    if (owner(sign, c, part) == group_rank) return true;
  return false;
}

}  // namespace dislo
