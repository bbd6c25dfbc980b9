#pragma once
// The regularised interaction potential V_delta = V * phi_delta on the unit torus
// (models.md section 2). V solves -Lap V = delta_0 - 1, Vhat_k = 1/(4 pi^2 |k|^2), k != 0.
// (The paper prints -4 pi^2/|k|^2: a typo, corrected here.)

#include <cstddef>
#include <vector>

#include "dislo/config.hpp"

namespace dislo {

// phihat_delta(k) for |k|^2 = k2 (integer wave vectors, k2 >= 0), and the potential
// strength * V_delta (strength 1: the paper's model; 0: no interaction; -1: attraction and
// repulsion exchanged; potential.strength).
class Kernel {
 public:
  Kernel(KernelKind kind, double delta, double strength = 1.0);
  // The study's potential (potential.kind, model.delta, potential.strength).
  static Kernel of(const Study& study);
  KernelKind kind() const { return kind_; }
  double delta() const { return delta_; }
  double strength() const { return strength_; }
  // The same mollifier at strength 1 (tables whose error bounds are relative).
  Kernel unit() const;
  // Fourier multiplier of the mollifier; phihat(0) = 1 (independent of the strength).
  double phihat(double k2) const;
  // strength * Vhat_delta(k), Vhat_delta = phihat(k) / (4 pi^2 |k|^2); 0 at k = 0.
  double vhat(double k2) const;
  // The mollifier phi_delta itself (free space, radial), for tests and the bump tables.
  double phi_free(double r) const;
  // Enclosed mass M(r) = integral over |y| < r of phi_free (free space).
  double enclosed_mass(double r) const;
  // Largest q = 2 pi |k| delta up to which phihat is computed to 1e-14 (bump: the
  // Gauss-Legendre rule resolves cos(q t)); beyond it phihat returns 0 (the true value is
  // below the 2e-15 round-off floor there). Infinite otherwise.
  double max_q() const;

 private:
  KernelKind kind_;
  double delta_;
  double strength_ = 1;
  // bump only: projection P(t) of phi_1 at Gauss-Legendre nodes on [0,1], so that
  // phihat(q) = 2 sum_i w_i P(t_i) cos(q t_i) (no Bessel functions needed).
  std::vector<double> bump_nodes_, bump_weights_;
  double bump_norm_ = 1;  // c in phi_1 = c exp(-1/(1-r^2))
};

// Values of strength * (V_delta, dV/dx1, dV/dx2) on the G x G grid x = (i/G, j/G), stored x-major
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

// The plain truncated Fourier series of V_delta on an N x N FFT grid (N a multiple of G),
// sampled at the G x G points; no tail check. For bump this is the slowly converging
// path, kept as an independent check of the hybrid table (tests).
PotentialTable tabulate_fft(const Kernel& kernel, int G, int N);

// Upper bound (radial integral) on sum over modes outside [-N/2, N/2)^2 of
// |Vhat_delta(k)| max(1, 2 pi |k|) at strength 1: bounds the max-norm error of the truncated V and
// grad V.
double fft_tail_bound(const Kernel& kernel, int N);

// m2 = integral of |y|^2 phi_1(y) over the unit disc, bump profile, by quadrature
// (models.md: 0.26131; closed form (E2(1) - E3(1))/E2(1)).
double bump_second_moment();

// Width of the gaussian used by the bump hybrid table: eta = min(delta/2, 1/18).
double bump_eta(double delta);

}  // namespace dislo
