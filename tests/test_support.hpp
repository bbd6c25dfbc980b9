#pragma once
// Helpers shared by the model tests: studies built in code, fields gathered to every rank.

#include <mpi.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <numbers>
#include <span>
#include <utility>
#include <vector>

#include "dislo/config.hpp"
#include "dislo/spectral.hpp"

namespace dislo::testing {

// The reduced case of a long validation test: ctest sets DISLO_TEST_REDUCED in the
// sanitizer build (tests/CMakeLists.txt), where the full case takes minutes; the same
// assertions, on a smaller problem.
inline bool reduced_case() { return std::getenv("DISLO_TEST_REDUCED") != nullptr; }

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

// Neutral data rho+ = rho- (two modes on a constant) solve the heat equation
// d rho/dt = Lap rho / beta: the solver advanced to T, each sign's max error against it.
template <class Solver>
std::array<double, 2> neutral_heat_errors(Solver& solver, double beta, double T) {
  constexpr double pi = std::numbers::pi;
  auto field = [&](double d12, double d30) {
    return sample_local(solver.grid(), [&](double x, double y) {
      return 0.5 + 0.2 * d12 * std::cos(2 * pi * (x + 2 * y)) +
             0.1 * d30 * std::sin(2 * pi * 3 * x);
    });
  };
  const auto initial = field(1, 1);
  solver.set_state(initial, initial);
  solver.advance_to(T);
  const auto exact = gather_full(solver.grid(), field(std::exp(-4 * pi * pi * 5 * T / beta),
                                                      std::exp(-4 * pi * pi * 9 * T / beta)));
  std::array<double, 2> errors{};
  for (int s = 0; s < 2; ++s) {
    const auto got = gather_full(solver.grid(), solver.rho(s == 0 ? +1 : -1));
    for (std::size_t k = 0; k < got.size(); ++k)
      errors[s] = std::max(errors[s], std::abs(got[k] - exact[k]));
  }
  return errors;
}

// The decay rate of w = rho+ - rho- excited in one mode only: rho+- = p+- (1 +- a cos(2 pi
// k.x)), so that p- u+ + p+ u- = 0; the solver advanced to T, the rate -log(w_k(T)/a)/T.
template <class Solver>
double w_decay_rate(Solver& solver, double p_plus, double amplitude, int k1, int k2, double T) {
  const double p_minus = 1 - p_plus;
  auto mode = [&](double x, double y) {
    return std::cos(2 * std::numbers::pi * (k1 * x + k2 * y));
  };
  const auto plus = sample_local(
      solver.grid(), [&](double x, double y) { return p_plus * (1 + amplitude * mode(x, y)); });
  const auto minus = sample_local(
      solver.grid(), [&](double x, double y) { return p_minus * (1 - amplitude * mode(x, y)); });
  solver.set_state(plus, minus);
  solver.advance_to(T);
  const auto fp = gather_full(solver.grid(), solver.rho(+1));
  const auto fm = gather_full(solver.grid(), solver.rho(-1));
  std::vector<double> w(fp.size());
  for (std::size_t k = 0; k < w.size(); ++k) w[k] = fp[k] - fm[k];
  return -std::log(cosine_amplitude(w, solver.grid().N(), k1, k2) / amplitude) / T;
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
