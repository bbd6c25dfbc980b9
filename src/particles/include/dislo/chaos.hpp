#pragma once
// Propagation of chaos by coupling (models.md section 5; the paper's Lemma 4.2, eq. 64,
// and Lemma 5.2, eq. 74-75): beside a replica X of the interacting particles, the process
// Xbar in which every particle moves independently in the mean-field force of the
// mean-field solution, driven by the same noise. Its one-particle law is the mean field
// itself, and (1/n) E sum_i |X_i - Xbar_i| measures how far the interaction is from its
// mean-field limit.
//
// Here: the mean-field gradient g = grad V_delta * (rho+ - rho-) of a solution over
// [0, T] (the force on sign b is -b g), for MF (ContinuumForce) and MFeps (LatticeForce),
// and the two RW couplings (CoupledWalks). The SDE coupling shares the Euler-Maruyama
// increments and lives in SdeEngine.

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "dislo/config.hpp"
#include "dislo/force_frames.hpp"
#include "dislo/particles.hpp"
#include "dislo/potential.hpp"
#include "dislo/random.hpp"
#include "dislo/randomwalk.hpp"

namespace dislo {

// Lemma 4.2's right-hand side: 2 C_V t/delta (1/sqrt(n) + kappa) exp(2 C_V t/delta^2).
double coupling_bound(double C_V, double delta, long n, double kappa, double t);
// Lemma 5.2's right-hand side for RW_n^eps with constants tracked through eq. 79-82
// (models.md 5a; our derivation, not the paper's): with a = C_V eps beta / (2 delta),
// 4 C_V e^a (t/delta) (1/sqrt(n) + kappa) exp(4 C_V e^a t/delta^2).
double lattice_coupling_bound(double C_V, double delta, long n, double kappa, double t, double eps,
                              double beta);

// The RW couplings of one replica: X (RW_n^eps) and Xbar (independent walks with the
// MFeps rates R_h(l, b; rho_eps(t))), started at the replica's initial sites, coupled
//  - by thinning: both see the same proposals (time, particle, step, uniform) at a rate
//    bounding both, and each accepts with its own rate (Anderson-Higham split coupling);
//  - by time change: each move (i, h) of X and of Xbar is driven by the same unit
//    Poisson process (the paper's representation), simulated exactly by the modified
//    next reaction method (Anderson 2007).
// Both cost O(n) per event (X's exact rates); every draw is keyed by (seed, replica).
class CoupledWalks {
 public:
  enum class Kind { thinning, time_change };
  CoupledWalks(const Study& study, const LatticeForce& force, Kind kind);
  void start(std::uint64_t replica, const Signs& signs, std::span<const std::int32_t> x,
             std::span<const std::int32_t> y);
  void advance_to(double t);
  // (1/n) sum_i |X_i - Xbar_i| (torus distance).
  double distance() const;
  double time() const { return t_; }
  std::span<const std::int32_t> x() const { return x_; }
  std::span<const std::int32_t> y() const { return y_; }
  std::span<const std::int32_t> xbar() const { return xb_; }
  std::span<const std::int32_t> ybar() const { return yb_; }
  std::uint64_t events() const { return events_; }

 private:
  Kind kind_;
  int L_;
  double beta_, eps_, base_;
  std::uint64_t seed_;
  const LatticeForce* force_;
  std::shared_ptr<const LatticeGradient> grad_;
  std::unique_ptr<CounterRng> rng_;
  std::vector<int> b_;
  std::vector<std::int32_t> x_, y_, xb_, yb_;
  std::vector<double> fx_, fy_;  // sum_j b_j grad V_delta(l_i - l_j)
  double t_ = 0;
  std::uint64_t events_ = 0, draws_ = 0;
  // Time change: per move k = 4 i + dir, internal times, next unit-process arrivals,
  // arrivals used and current rates, for X and for Xbar.
  std::vector<double> T_, P_, a_, Tb_, Pb_, ab_;
  std::vector<std::uint64_t> m_, mb_;
  int interval_ = 0;

  double rate_x(std::size_t i, int dir) const;
  double rate_xbar(std::size_t i, int dir, int interval) const;
  void move(std::vector<std::int32_t>& x, std::vector<std::int32_t>& y, std::size_t i, int dir);
  void move_x(std::size_t i, int dir);                   // with the O(n) force update
  double arrival(std::size_t k, std::uint64_t m) const;  // m-th unit exponential of move k
  void advance_thinning(double t);
  void advance_time_change(double t);
};

}  // namespace dislo
