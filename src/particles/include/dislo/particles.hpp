#pragma once
// What every particle engine shares: the signed configuration of one replica and its
// initial law (models.md section 3: i.i.d. positions with law rho0^b/|rho0^b| per sign;
// on the lattice, proportional to rho0 sampled at the sites).

#include <cstdint>
#include <vector>

#include "dislo/config.hpp"
#include "dislo/initial.hpp"
#include "dislo/random.hpp"

namespace dislo {

// Signs of one replica: b_i = +1 for i < n_plus, -1 after (sorted so that per-sign
// observables are contiguous).
struct Signs {
  std::vector<int> b;
  long n_plus = 0;
  long n() const { return static_cast<long>(b.size()); }
};

// Mass discrepancy between the replica's signs and rho0 (the paper's kappa, eq. 17):
// |n+/n - |rho0+|| + |n-/n - |rho0-||. Zero when n_plus matches the masses exactly.
double mass_discrepancy(const Signs& signs, double mass_plus);

// Draws the initial state of replica r: signs (fixed n_plus, or i.i.d. with
// P(+) = |rho0+| when n_plus is "random"), then positions given the signs.
// Immutable after construction; shared by all replicas.
class InitialSampler {
 public:
  // lattice_L = 0: continuum sampling only.
  InitialSampler(const InitialParams& initial, const ModelParams& model, int lattice_L);

  Signs signs(const CounterRng& rng) const;
  // Continuum positions (x, y in [0, 1)): exact rejection sampling against the density's
  // upper bound, or exact mixture sampling for blobs.
  void continuum(const CounterRng& rng, const Signs& signs, std::vector<double>& x,
                 std::vector<double>& y) const;
  // Lattice sites (integers in [0, L)), P(site) proportional to rho0^b at the site.
  void lattice(const CounterRng& rng, const Signs& signs, std::vector<std::int32_t>& x,
               std::vector<std::int32_t>& y) const;

  const InitialDensity& density() const { return density_; }

 private:
  InitialParams params_;
  ModelParams model_;
  InitialDensity density_;
  int L_ = 0;
  double bound_plus_ = 0, bound_minus_ = 0;   // sup of rho0^{+-}
  std::vector<double> cdf_plus_, cdf_minus_;  // cumulative site weights, last = 1
  void continuum_one(const CounterRng& rng, int sign, long i, double& x, double& y) const;
};

}  // namespace dislo
