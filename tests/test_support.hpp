#pragma once
// Helpers shared by the model tests: studies built in code, fields gathered to every rank.

#include <mpi.h>

#include <numbers>
#include <span>
#include <utility>
#include <vector>

#include "dislo/config.hpp"
#include "dislo/spectral.hpp"

namespace dislo::testing {

// A small study with tight time-stepping tolerances (tests compare with exact solutions).
inline Study small_study(KernelKind kernel, int M, int L, double delta, double beta) {
  Study s;
  s.source = "<test>";
  s.kernel = kernel;
  s.model.delta = delta;
  s.model.beta = beta;
  s.model.lattice = L;
  s.mf.M = M;
  s.mf.rtol = 1e-13;
  s.mf.atol = 1e-16;
  s.mfeps.rtol = 1e-13;
  s.mfeps.atol = 1e-16;
  return s;
}

// The whole N x N field (x-major) on every rank.
inline std::vector<double> gather_full(const SpectralGrid& grid, std::span<const double> local) {
  int size = 1;
  MPI_Comm_size(grid.comm(), &size);
  std::vector<int> counts(size), displs(size);
  const int mine = static_cast<int>(local.size());
  MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, grid.comm());
  for (int r = 1; r < size; ++r) displs[r] = displs[r - 1] + counts[r - 1];
  std::vector<double> full(std::size_t(grid.N()) * grid.N());
  MPI_Allgatherv(local.data(), mine, MPI_DOUBLE, full.data(), counts.data(), displs.data(),
                 MPI_DOUBLE, grid.comm());
  return full;
}

// f(x, y) at the local rows of the grid.
template <class F>
std::vector<double> sample_local(const SpectralGrid& grid, F f) {
  const int N = grid.N();
  std::vector<double> out(grid.real_size());
  for (int i = 0; i < grid.local_rows(); ++i)
    for (int j = 0; j < N; ++j)
      out[std::size_t(i) * N + j] = f(double(grid.row_start() + i) / N, double(j) / N);
  return out;
}

// Amplitude c of c cos(2 pi k.x) in a field on the full grid: 2 mean(f cos).
inline double cosine_amplitude(const std::vector<double>& full, int N, int k1, int k2) {
  double s = 0;
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < N; ++j)
      s += full[std::size_t(i) * N + j] *
           std::cos(2 * std::numbers::pi * (k1 * double(i) / N + k2 * double(j) / N));
  return 2 * s / (double(N) * N);
}

// Plausible wrong models of a study, which every statistical test must reject (its
// power): the interaction switched off, its sign flipped, beta halved.
inline std::vector<std::pair<const char*, Study>> wrong_models(const Study& right) {
  std::vector<std::pair<const char*, Study>> out = {
      {"interaction off", right}, {"interaction flipped", right}, {"beta halved", right}};
  out[0].second.potential_strength = 0;
  out[1].second.potential_strength = -1;
  out[2].second.model.beta = right.model.beta / 2;
  return out;
}

}  // namespace dislo::testing

namespace dislo::testing {

// A particle study: n particles of which n_plus positive, uniform initial densities with
// the masses matching the signs, potential and lattice as given.
inline Study particle_study(KernelKind kernel, long n, long n_plus, int L, double delta,
                            double beta, std::uint64_t seed = 1) {
  Study s;
  s.source = "<test>";
  s.kernel = kernel;
  s.model.n = n;
  s.model.n_plus = n_plus;
  s.model.lattice = L;
  s.model.delta = delta;
  s.model.beta = beta;
  s.initial.kind = InitialKind::uniform;
  s.initial.mass_plus = n > 0 ? double(n_plus) / double(n) : 0.5;
  if (n_plus == n || n_plus == 0) s.initial.mass_plus = 0.5;  // the other sign is empty
  s.run.seed = seed;
  return s;
}

}  // namespace dislo::testing
