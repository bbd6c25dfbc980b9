#pragma once
// The regularised interaction potential V_delta = V * phi_delta on the unit torus
// (models.md section 2). V solves -Lap V = delta_0 - 1, Vhat_k = 1/(4 pi^2 |k|^2), k != 0.
// (The paper prints -4 pi^2/|k|^2: a typo, corrected here.)

#include <cstddef>
#include <vector>

#include "dislo/config.hpp"

namespace dislo {

// phihat_delta(k) for |k|^2 = k2 (integer wave vectors, k2 >= 0).
class Kernel {
 public:
  Kernel(KernelKind kind, double delta);
  KernelKind kind() const { return kind_; }
  double delta() const { return delta_; }
  // Fourier multiplier of the mollifier; phihat(0) = 1.
  double phihat(double k2) const;
  // Vhat_delta(k) = phihat(k) / (4 pi^2 |k|^2); 0 at k = 0.
  double vhat(double k2) const;
  // The mollifier phi_delta itself (free space, radial), for tests and the bump tables.
  double phi_free(double r) const;

 private:
  KernelKind kind_;
  double delta_;
  // bump only: projection P(t) of phi_1 at Gauss-Legendre nodes on [0,1], so that
  // phihat(q) = 2 sum_i w_i P(t_i) cos(q t_i) (no Bessel functions needed).
  std::vector<double> bump_nodes_, bump_weights_;
  double bump_norm_ = 1;  // c in phi_1 = c exp(-1/(1-r^2))
};

// Values of V_delta, dV/dx1, dV/dx2 on the G x G grid x = (i/G, j/G), stored x-major
// (index i*G + j), plus the bound on what the truncated Fourier series leaves out.
struct PotentialTable {
  int G = 0;
  std::vector<double> V, dV1, dV2;
  double truncation_bound = 0;  // max-norm bound on the neglected tail (V and grad V)
  int fft_size = 0;             // the FFT size used (a multiple of G)
};

// Kernel constants of Assumption 1 (orders 0..2), measured on a fine table.
struct KernelConstants {
  double max_V = 0, max_grad = 0, max_hess = 0;
  double C_V = 0;  // max(|V|/log(1/delta), delta |grad V|, delta^2 |Hess V|)
};

// Tabulate V_delta and grad V_delta at the G x G points (G = lattice L or an FFT grid).
// The internal FFT size is the smallest multiple of G for which the truncated tail is
// below 1e-12 relative to max|grad V_delta| (bump: gaussian FFT plus the exact radial
// correction of models.md section 6). Serial: every rank computes the same table.
PotentialTable tabulate(const Kernel& kernel, int G);

KernelConstants kernel_constants(const Kernel& kernel);

}  // namespace dislo
