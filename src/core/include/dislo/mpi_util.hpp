#pragma once
// Small MPI helpers shared by the layers that know ranks.

#include <mpi.h>

#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "dislo/study.hpp"

namespace dislo {

// Rank 0's vector on every rank (collective writes need equal shapes everywhere).
inline std::vector<double> broadcast_from_root(MPI_Comm comm, std::vector<double> v) {
  unsigned long long n = v.size();
  MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, comm);
  v.resize(n);
  MPI_Bcast(v.data(), int(n), MPI_DOUBLE, 0, comm);
  return v;
}

// Runs f on rank 0 only; what it throws is thrown on every rank (bad input as InputError,
// anything else as runtime_error), so that no rank waits for a collective that never comes.
template <class F>
void on_root(MPI_Comm comm, F&& f) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  int kind = 0;  // 0 fine, 1 bad input, 2 any other failure
  std::string message;
  if (rank == 0) try {
      f();
    } catch (const InputError& e) {
      kind = 1;
      message = e.what();
    } catch (const std::exception& e) {
      kind = 2;
      message = e.what();
    }
  MPI_Bcast(&kind, 1, MPI_INT, 0, comm);
  if (kind == 0) return;
  int length = int(message.size());
  MPI_Bcast(&length, 1, MPI_INT, 0, comm);
  message.resize(std::size_t(length));
  MPI_Bcast(message.data(), length, MPI_CHAR, 0, comm);
  if (kind == 1) throw InputError(message);
  throw std::runtime_error(message);
}

}  // namespace dislo
