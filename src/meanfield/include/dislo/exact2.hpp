#pragma once
// Exact laws of two particles (Theorem 1.2; docs/chaos.md, "Exact laws for n = 2"):
// the law of RW_2^eps by its master equation on Lambda_eps^2 and the law of SDE_2 by its
// Fokker-Planck equation on T^4, both with PETSc TS, and their L2(nu_eps x nu_eps)
// distance.
//
// Both equations are solved in the coordinates (x1, r = x1 - x2): the rates and the drift
// depend on r only, so each Fourier mode k of the x1-dependence evolves on its own. The
// study's cosine (or uniform) initial law has x1-modes 0, k0 and 2 k0 only (and their
// conjugates), so the joint laws are exact with three 2-D problems each: the master
// equation on the L x L relative sites, Fokker-Planck pseudo-spectrally on an M x M grid
// (M a multiple of L, so that every site is a node).

#include <array>
#include <memory>
#include <vector>

#include "dislo/config.hpp"

namespace dislo {

class TwoParticleLaws {
 public:
  // InputError unless n = 2 with fixed signs, finite beta, uniform or cosine initial data
  // with 2 k0 resolved by the lattice.
  explicit TwoParticleLaws(const Study& study);
  ~TwoParticleLaws();
  TwoParticleLaws(const TwoParticleLaws&) = delete;
  TwoParticleLaws& operator=(const TwoParticleLaws&) = delete;

  void advance_to(double t);
  double time() const { return t_; }
  // ||f_eps - f||_{L2(nu_eps x nu_eps)}: f_eps the RW law's density w.r.t. nu_eps x nu_eps,
  // f the SDE law's density at the sites; and ||f||.
  double l2_distance() const;
  double l2_norm_sde() const;
  // Whole laws at the sites, index (a1 L + b1) L^2 + (a2 L + b2) for l_i = (a_i, b_i) eps:
  // RW probabilities; SDE density times eps^4 (tests, small L).
  std::vector<double> rw_joint() const;
  std::vector<double> sde_joint() const;
  int fokker_planck_grid() const { return M_; }
  int modes() const { return int(modes_.size()); }
  long rw_steps() const, fp_steps() const;

 private:
  double l2(bool difference) const;
  int L_, M_;
  double beta_, c_;  // c = b1 b2
  double t_ = 0;
  std::vector<std::array<int, 2>> modes_;  // x1-modes k: (0,0), k0, 2 k0
  // Master equation: rates of particle 1 and 2 per step h (+e1, -e1, +e2, -e2) at r.
  std::vector<double> r1_[4], r2_[4];
  // Fokker-Planck: grad V_delta at the M x M nodes.
  std::vector<double> u1_, u2_;
  // Each x1-mode of each equation is its own problem with its own TS (prefixes
  // -exact2_rw_ and -exact2_fp_; default type etdrk4, dislo/etd.hpp).
  class ModeProblem;
  class WalkMode;
  class DiffusionMode;
  std::vector<std::unique_ptr<ModeProblem>> rw_, fp_;
  void set_initial(const Study& study);
};

}  // namespace dislo
