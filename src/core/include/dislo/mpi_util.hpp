#pragma once
// Small MPI helpers shared by the layers that know ranks.

#include <mpi.h>

#include <vector>

namespace dislo {

// Rank 0's vector on every rank (collective writes need equal shapes everywhere).
inline std::vector<double> broadcast_from_root(MPI_Comm comm, std::vector<double> v) {
  unsigned long long n = v.size();
  MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, comm);
  v.resize(n);
  MPI_Bcast(v.data(), int(n), MPI_DOUBLE, 0, comm);
  return v;
}

}  // namespace dislo
