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
// and the three RW couplings (CoupledWalks, VetoCoupledWalks). The SDE coupling shares the
// Euler-Maruyama increments and lives in SdeEngine.

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

// What the ensemble sees of an RW coupling of one replica: X (RW_n^eps) and Xbar
// (independent walks with the MFeps rates R_h(l, b; rho_eps(t))), started at the
// replica's initial sites; every draw is keyed by (seed, replica).
class WalkCoupling {
 public:
  virtual ~WalkCoupling() = default;
  virtual void start(std::uint64_t replica, const Signs& signs, std::span<const std::int32_t> x,
                     std::span<const std::int32_t> y) = 0;
  virtual void advance_to(double t) = 0;
  // (1/n) sum_i |X_i - Xbar_i| (torus distance).
  double distance() const;
  double time() const { return t_; }
  std::span<const std::int32_t> x() const { return x_; }
  std::span<const std::int32_t> y() const { return y_; }
  std::span<const std::int32_t> xbar() const { return xb_; }
  std::span<const std::int32_t> ybar() const { return yb_; }
  std::uint64_t events() const { return events_; }  // jumps of X and of Xbar

 protected:
  WalkCoupling(const Study& study, const LatticeForce& force);
  // Both processes at the replica's initial sites, time 0.
  void reset(std::uint64_t replica, const Signs& signs, std::span<const std::int32_t> x,
             std::span<const std::int32_t> y);
  // One nearest-neighbour step of particle i (dir 0: +e1, 1: -e1, 2: +e2, 3: -e2).
  void move(std::vector<std::int32_t>& x, std::vector<std::int32_t>& y, std::size_t i,
            int dir) const;

  int L_;
  double beta_, eps_, base_;  // base_ = 1/(beta eps^2), the rate of a move in zero force
  std::uint64_t seed_;
  const LatticeForce* force_;
  std::shared_ptr<const LatticeGradient> grad_;
  std::unique_ptr<CounterRng> rng_;
  std::vector<int> b_;
  std::vector<std::int32_t> x_, y_, xb_, yb_;
  double t_ = 0;
  std::uint64_t events_ = 0;
};

// The exact-force couplings, O(n) per event (X's rates kept current):
//  - by thinning: both see the same proposals (time, particle, step, uniform) at a rate
//    bounding both, and each accepts with its own rate (Anderson-Higham split coupling);
//  - by time change: each move (i, h) of X and of Xbar is driven by the same unit
//    Poisson process (the paper's representation), simulated exactly by the modified
//    next reaction method (Anderson 2007).
class CoupledWalks final : public WalkCoupling {
 public:
  enum class Kind { thinning, time_change };
  CoupledWalks(const Study& study, const LatticeForce& force, Kind kind);
  void start(std::uint64_t replica, const Signs& signs, std::span<const std::int32_t> x,
             std::span<const std::int32_t> y) override;
  void advance_to(double t) override;

 private:
  Kind kind_;
  std::vector<double> fx_, fy_;  // sum_j b_j grad V_delta(l_i - l_j)
  std::uint64_t draws_ = 0;
  // Time change: per move k = 4 i + dir, internal times, next unit-process arrivals,
  // arrivals used and current rates, for X and for Xbar.
  std::vector<double> T_, P_, a_, Tb_, Pb_, ab_;
  std::vector<std::uint64_t> m_, mb_;
  int interval_ = 0;

  double rate_x(std::size_t i, int dir) const;
  double rate_xbar(std::size_t i, int dir, int interval) const;
  void move_x(std::size_t i, int dir);                   // with the O(n) force update
  double arrival(std::size_t k, std::uint64_t m) const;  // m-th unit exponential of move k
  void advance_thinning(double t);
  void advance_time_change(double t);
};

// The veto coupling (docs/chaos.md), O(1) expected work per event whatever n. Both
// processes see the same proposals (i, h) at rate 4 n Rbar, Rbar = e^{mu/2}/(beta eps^2),
// mu = beta eps G (G = max |d_k V_delta| over lattice vectors), each with K ~ Poisson(mu)
// candidate partners. A candidate is a pair: X's, a (sign, site) of X's empirical measure
// (i itself included, where grad V = 0), and Xbar's, a (sign, site) drawn from MFeps's
// site masses; both come from one descent of a binary tree over (sign, site) driven by
// the same uniforms, so they coincide at every node they share as far as the two laws
// allow (a maximal coupling per node). One uniform per candidate vetoes X's move with
// probability (1 + c)/2 and Xbar's with (1 + cbar)/2, c = b_i b_j h.grad V(l_i - l_j)/(eps G).
// Then X moves at exactly R_h(X) and Xbar at exactly MFeps's rate (both proved in
// docs/chaos.md). The force needs its densities (LatticeForce::has_densities()).
class VetoCoupledWalks final : public WalkCoupling {
 public:
  VetoCoupledWalks(const Study& study, const LatticeForce& force);
  void start(std::uint64_t replica, const Signs& signs, std::span<const std::int32_t> x,
             std::span<const std::int32_t> y) override;
  void advance_to(double t) override;
  double mean_partners() const { return mu_; }
  double bound_rate() const { return rbar_; }
  std::uint64_t proposals() const { return proposals_; }

 private:
  // The tree over (sign, site): leaf bits sign, x_{D-1}, y_{D-1}, ..., x_0, y_0 (sites in a
  // 2^D x 2^D square holding the L x L lattice); heap order, root 1, leaves from leaves_.
  int bits_ = 0;               // D
  int levels_ = 0;             // 1 + 2 D
  std::uint32_t leaves_ = 0;   // 2 * 4^D
  std::vector<double> slope_;  // grad V / G at lattice vectors, as LatticeGradient::g; 0 at 0
  double mu_ = 0, rbar_ = 0;
  PoissonTable partners_;            // K ~ Poisson(mu)
  std::vector<std::int32_t> count_;  // X's particles under each node
  std::vector<double> left_;         // Xbar: probability of each node's left child
  std::vector<double> masses_;       // scratch: one interval's site masses
  int interval_ = -1;                // the interval left_ holds
  std::uint64_t proposals_ = 0, segments_ = 0;

  std::uint32_t leaf(int sign, int x, int y) const;
  void use_interval(int k);  // left_ from the interval's MFeps masses
  void jump_x(std::size_t i, int dir);
  void propose(std::uint64_t index);
};

}  // namespace dislo
