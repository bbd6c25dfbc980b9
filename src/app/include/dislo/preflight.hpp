#pragma once
// Pre-flight (docs/hpc.md, "Memory"): the memory each rank of a run will need, per part,
// predicted from the study before anything is allocated, against what the node gives each
// rank; a study that cannot fit is refused (InputError, exit 2) naming the keys that drive
// it, instead of a std::bad_alloc part-way.

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dislo/study.hpp"

namespace dislo {

struct MemoryNeed {
  std::string part;         // "process", "mf", "mfeps", "sde", "rw", "chaos", "exact2"
  std::uint64_t bytes = 0;  // on the rank that needs the most
  std::string keys;         // the study keys that drive it, with their values
};

// Per part, for a run on `ranks` ranks. Peak resident memory measured on the development
// machine per grid point, site and particle (docs/hpc.md has the commands); a part's
// share on one rank when it is distributed.
std::vector<MemoryNeed> memory_needs(const Study& study, int ranks);
std::uint64_t total_bytes(const std::vector<MemoryNeed>& needs);

// What one rank of comm may use: the node's available memory (the least of MemAvailable
// and the cgroup's limit less its usage) over the ranks on the node. The environment
// variable DISLO_MEMORY_PER_RANK (bytes, or with a K/M/G/T suffix) overrides it, for
// nodes whose share is known better than the system says. Collective.
std::uint64_t memory_per_rank(MPI_Comm comm);

// Lines for `dislo check`: each part's need, the total and the share per rank.
std::string memory_report(const std::vector<MemoryNeed>& needs, std::uint64_t per_rank);

// A line for `dislo check`: the forecast seconds of each ensemble's simulation on `ranks`
// ranks at the benchmark throughputs (forecast_seconds; metrics not counted); empty
// without ensembles.
std::string forecast_report(const Study& study, int ranks);
// For a sweep: the line above per point and their total (the single line for one point).
std::string forecast_report(const std::vector<Study>& points, int ranks);
// The sweep point that needs the most memory per rank on `ranks` ranks (0 for one point).
std::size_t largest_point(const std::vector<Study>& points, int ranks);

// InputError when the total need exceeds the share per rank: names the largest parts and
// their keys. Collective.
void check_memory(const Study& study, MPI_Comm comm);

}  // namespace dislo
