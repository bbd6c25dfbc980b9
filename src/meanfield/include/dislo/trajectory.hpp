#pragma once
// A mean-field solution sampled at the output times: what the ensembles compare against.

#include <vector>

namespace dislo {

// A mean-field solution at the output times, whole on every rank: densities at the N x N
// nodes (w.r.t. Lebesgue for MF, w.r.t. nu_eps for MFeps), x-major.
struct Trajectory {
  int N = 0;
  // MFeps: values at lattice sites (each site's mass goes to its nearest metric node);
  // MF: a spectral field (each metric cell's mass is integrated from its Fourier series).
  bool lattice = false;
  std::vector<std::vector<double>> plus, minus;  // [nt][N * N]
};

}  // namespace dislo
