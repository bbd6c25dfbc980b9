#pragma once
// The mean-field gradient g = grad V_delta * (rho+ - rho-) of a mean-field solution over
// [0, T], tabulated at frame times (the force on sign b is -b g): for MF (ContinuumForce)
// and MFeps (LatticeForce). The coupled processes of the chaos module move in it.

#include <array>
#include <span>
#include <vector>

#include "dislo/potential.hpp"

namespace dislo {

// Times of the force frames: k T / frames, k = 0 .. frames.
std::vector<double> frame_times(double T, int frames);

// g(x, t) for the continuum mean field, from MF's densities at the frame times.
class ContinuumForce {
 public:
  // N: the MF grid; kc: its de-aliasing cutoff (the modes MF keeps, |k_x|, |k_y| <= kc).
  ContinuumForce(const Kernel& kernel, int N, int kc, double T, int frames);
  // Appends the next frame from MF's densities (N x N, x-major, w.r.t. Lebesgue): g is
  // summed exactly from their Fourier modes and tabulated on the G x G table.
  void add_frame(std::span<const double> plus, std::span<const double> minus);
  // g at (x, y) in [0, 1)^2 and t in [0, T]: tensor cubic Lagrange interpolation in
  // space, linear in time between frames.
  std::array<double, 2> operator()(double x, double y, double t) const;
  int table_size() const { return G_; }
  int frames_added() const { return int(gx_.size() / (std::size_t(G_) * G_)); }
  // Relative error of the spatial interpolation on the frames so far, measured against
  // the exact Fourier sum at off-grid points (docs/chaos.md).
  double interpolation_error() const { return interpolation_error_; }

 private:
  const Kernel* kernel_;
  int N_, kc_, G_;
  double dt_;
  std::vector<float> gx_, gy_;  // [frame][G * G], x-major
  double interpolation_error_ = 0;
  std::array<double, 2> at_frame(int k, double x, double y) const;
};

// g at the lattice sites for MFeps: the lattice convolution that MFeps's rates use.
class LatticeForce {
 public:
  LatticeForce(int L, double T, int frames);
  // Appends the next frame: gx, gy at the L x L sites, x-major; with the densities rho+,
  // rho- (w.r.t. Lebesgue, as MFeps holds them) that g was made from when the veto
  // coupling will draw partners from them (every frame or none).
  void add_frame(std::span<const double> gx, std::span<const double> gy,
                 std::span<const double> plus = {}, std::span<const double> minus = {});
  // The frame interval holding t (the last one for t = T) and its end time.
  int interval(double t) const;
  double interval_end(int k) const { return (k + 1) * dt_; }
  int intervals() const { return frames_; }
  // g during interval k at site (i, j): the mean of its two end frames (piecewise
  // constant in time, so the driven walk is simulated exactly).
  std::array<double, 2> at(int k, int i, int j) const {
    const std::size_t s = std::size_t(i) * L_ + j, a = std::size_t(k) * L_ * L_ + s,
                      b = a + std::size_t(L_) * L_;
    return {0.5 * (gx_[a] + gx_[b]), 0.5 * (gy_[a] + gy_[b])};
  }
  double max_abs() const { return max_abs_; }  // over frames, sites and components
  int L() const { return L_; }
  bool has_densities() const { return !plus_.empty(); }
  // Site masses eps^2 rho_b during interval k, the mean of its end frames as for g:
  // rho+ at [0, L^2), rho- at [L^2, 2 L^2), sites x-major.
  void interval_masses(int k, std::span<double> out) const;

 private:
  int L_, frames_;
  double dt_;
  std::vector<double> gx_, gy_;       // [frame][L * L]
  std::vector<double> plus_, minus_;  // [frame][L * L], when given
  double max_abs_ = 0;
};

}  // namespace dislo
