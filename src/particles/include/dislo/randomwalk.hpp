#pragma once
// RW_n^eps (models.md section 3, eq. 8): each of the 4n moves (particle i, step h in
// {+-eps e1, +-eps e2}) fires at rate (1/(beta eps^2)) exp(beta h.F_i/2), positions on the
// lattice eps Z^2 / Z^2 stored as integer coordinates in [0, L).
//
// Two exact simulators behind one interface:
// - VetoWalk (the default): O(1) expected work per event, independent of n. Proposals
//   (i, h) arrive uniformly at the bound rate 4n Rbar; a proposal is accepted with
//   probability prod_j exp(-c_ij), realised by Poisson thinning over partners
//   (docs/particles.md, ../shared/notes/algorithms.md).
// - ReferenceWalk: the direct method (Gillespie) with all 4n rates kept current by O(n)
//   incremental force updates per event; for tests and the benchmark's comparison.
// beta = inf is refused: the discrete beta -> inf limit is a different process.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dislo/config.hpp"
#include "dislo/particles.hpp"
#include "dislo/potential.hpp"

namespace dislo {

// grad V_delta at every lattice vector, shared by both simulators: (dV1, dV2) interleaved
// at index 2 (dx L + dy), dx, dy in [0, L).
struct LatticeGradient {
  int L = 0;
  std::vector<double> g;  // 2 L^2 values
  double G = 0;           // max over lattice vectors and components of |d_j V_delta|
  LatticeGradient(const Kernel& kernel, int L);
  // (dV1, dV2) at the lattice vector (dx, dy), |dx|, |dy| < L.
  const double* at(int dx, int dy) const {
    dx += dx < 0 ? L : 0;
    dy += dy < 0 ? L : 0;
    return &g[2 * (std::size_t(dx) * L + dy)];
  }
  // f_i = sum_{j != i} b_j grad V_delta(l_i - l_j) for every particle (O(n^2)).
  void sums(std::span<const std::int32_t> x, std::span<const std::int32_t> y,
            std::span<const int> b, std::span<double> fx, std::span<double> fy) const;
  // Particle i has moved from (old_x, old_y): every partner's f_j changes by it and f_i is
  // summed afresh (O(n)).
  void moved(std::size_t i, int old_x, int old_y, std::span<const std::int32_t> x,
             std::span<const std::int32_t> y, std::span<const int> b, std::span<double> fx,
             std::span<double> fy) const;
};

// K ~ Poisson(mu) by inversion of a table of P(K <= k), kept until the remainder is
// below the 2^-53 resolution of the uniform draw (usually K = 0: one comparison).
class PoissonTable {
 public:
  PoissonTable() = default;
  explicit PoissonTable(double mu);
  std::size_t draw(double u) const {
    std::size_t k = 0;
    while (k < cdf_.size() && u > cdf_[k]) ++k;
    return k;
  }

 private:
  std::vector<double> cdf_;
};

class LatticeWalk {
 public:
  virtual ~LatticeWalk() = default;
  virtual void start(std::uint64_t replica) = 0;
  // Simulate exactly to time t >= time().
  virtual void advance_to(double t) = 0;
  virtual const char* algorithm() const = 0;

  double time() const { return t_; }
  long n() const { return signs_.n(); }
  int L() const { return L_; }
  const Signs& signs() const { return signs_; }
  double kappa() const { return kappa_; }
  std::span<const std::int32_t> x() const { return x_; }  // site coordinates in [0, L)
  std::span<const std::int32_t> y() const { return y_; }
  // Unwrapped displacement in lattice steps.
  std::span<const std::int64_t> displacement_x() const { return ux_; }
  std::span<const std::int64_t> displacement_y() const { return uy_; }
  std::uint64_t events() const { return events_; }  // jumps performed

 protected:
  LatticeWalk(const Study& study, const char* who);
  void reset(std::uint64_t replica);
  void jump(std::size_t i, int dir);  // dir 0: +e1, 1: -e1, 2: +e2, 3: -e2

  int L_;
  double beta_, eps_;
  std::uint64_t seed_;
  InitialSampler sampler_;
  std::shared_ptr<const LatticeGradient> grad_;
  std::unique_ptr<CounterRng> rng_;
  Signs signs_;
  double kappa_ = 0, t_ = 0;
  std::uint64_t events_ = 0;
  std::vector<std::int32_t> x_, y_;
  std::vector<std::int64_t> ux_, uy_;
};

class VetoWalk final : public LatticeWalk {
 public:
  explicit VetoWalk(const Study& study);
  void start(std::uint64_t replica) override;
  void advance_to(double t) override;
  const char* algorithm() const override { return "veto"; }
  std::uint64_t proposals() const { return proposals_; }
  // Bound rate per move Rbar and expected partners per proposal beta A (n-1).
  double bound_rate() const { return rbar_; }
  double mean_partners() const { return mu_; }
  // Acceptance probability of proposal (i, dir) in the current state, computed exactly
  // as r/Rbar (O(n); for tests).
  double acceptance(std::size_t i, int dir) const;

 private:
  double rbar_ = 0, mu_ = 0;
  PoissonTable partners_;  // K ~ Poisson(mu)
  std::uint64_t proposals_ = 0, intervals_ = 0;
  bool propose(std::uint64_t index);
};

class ReferenceWalk final : public LatticeWalk {
 public:
  explicit ReferenceWalk(const Study& study);
  void start(std::uint64_t replica) override;
  void advance_to(double t) override;
  const char* algorithm() const override { return "reference"; }

 private:
  std::vector<double> fx_, fy_;  // sum_j b_j grad V_delta(l_i - l_j)
  std::vector<double> rates_;    // 4n
  std::uint64_t draws_ = 0;
  void refresh_forces();
  void update_rates();
};

// The simulator a study asks for (rw.algorithm).
std::unique_ptr<LatticeWalk> make_lattice_walk(const Study& study);

}  // namespace dislo
