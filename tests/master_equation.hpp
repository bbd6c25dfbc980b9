#pragma once
// The exact law of RW_2^eps (test_rw, test_chaos): the master equation (eq. 30) on the L^4
// joint states, solved by uniformisation.
#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "dislo/config.hpp"
#include "dislo/initial.hpp"
#include "dislo/potential.hpp"
#include "test_support.hpp"

namespace dislo::testing {

inline int wrap(long v, int L) { return int(((v % L) + L) % L); }

// Two particles of opposite signs on an L x L lattice (delta = 1/8, beta = 8, gaussian),
// cosine data of amplitude 0.8, up to time T.
inline Study two_particle_study(int L, double T) {
  Study study = particle_study(KernelKind::gaussian, 2, 1, L, 0.125, 8.0);
  study.initial.kind = InitialKind::cosine;
  study.initial.amplitude = 0.8;
  study.initial.amplitude_minus = -0.8;
  study.model.T = T;
  return study;
}

// The initial joint law on the L^4 states: independent lattice samples proportional to
// rho0^{+-} at the sites (particle 1 positive, particle 2 negative).
inline std::vector<double> initial_law_n2(const Study& study) {
  const int L = study.model.lattice, S = L * L;
  const InitialDensity rho0(study.initial);
  std::vector<double> pp(S), pm(S);
  double zp = 0, zm = 0;
  for (int s = 0; s < S; ++s) {
    pp[s] = rho0(+1, double(s / L) / L, double(s % L) / L);
    pm[s] = rho0(-1, double(s / L) / L, double(s % L) / L);
    zp += pp[s];
    zm += pm[s];
  }
  std::vector<double> p0(std::size_t(S) * S);
  for (int a = 0; a < S; ++a)
    for (int c = 0; c < S; ++c) p0[std::size_t(a) * S + c] = pp[a] / zp * pm[c] / zm;
  return p0;
}

// Marginals of a joint law on the L^4 states: position of particle 1, and l1 - l2.
inline std::array<std::vector<double>, 2> marginals_n2(const std::vector<double>& joint, int L) {
  const int S = L * L;
  std::vector<double> first(S, 0.0), relative(S, 0.0);
  for (int a = 0; a < S; ++a)
    for (int c = 0; c < S; ++c) {
      const double q = joint[std::size_t(a) * S + c];
      first[a] += q;
      relative[wrap(a / L - c / L, L) * L + wrap(a % L - c % L, L)] += q;
    }
  return {first, relative};
}

// Exact law of RW_2^eps at time t by uniformisation of the master equation (eq. 30) on the
// L^4 joint states; rates from models.md eq. 8 with grad V_delta sampled at the sites.
inline std::vector<double> master_equation_n2(const Study& s, const std::vector<double>& p0,
                                              double t, bool interacting) {
  const int L = s.model.lattice;
  const int S = L * L;
  const double eps = s.model.eps(), beta = s.model.beta;
  const PotentialTable table = tabulate(Kernel::of(s), L);
  const int b[2] = {+1, s.model.n_plus == 2 ? +1 : -1};
  // rate[(state) * 8 + move], move = particle * 4 + dir
  std::vector<double> rate(std::size_t(S) * S * 8);
  std::vector<int> target(rate.size());
  double exit_max = 0;
  for (int s1 = 0; s1 < S; ++s1)
    for (int s2 = 0; s2 < S; ++s2) {
      const int pos[2] = {s1, s2};
      double exit = 0;
      for (int i = 0; i < 2; ++i) {
        const int me = pos[i], other = pos[1 - i];
        const int dx = wrap(me / L - other / L, L), dy = wrap(me % L - other % L, L);
        const double g[2] = {table.dV1[std::size_t(dx) * L + dy],
                             table.dV2[std::size_t(dx) * L + dy]};
        for (int dir = 0; dir < 4; ++dir) {
          const int d = dir / 2, sgn = dir % 2 ? -1 : 1;
          // h.F_i = sgn eps * (-(b_i/n) b_j dV_d(l_i - l_j)), n = 2.
          const double hF = interacting ? sgn * eps * (-0.5 * b[i] * b[1 - i] * g[d]) : 0.0;
          const double r = std::exp(beta * hF / 2) / (beta * eps * eps);
          int x = me / L, y = me % L;
          (d == 0 ? x : y) += sgn;
          const int moved = wrap(x, L) * L + wrap(y, L);
          const int np[2] = {i == 0 ? moved : s1, i == 1 ? moved : s2};
          const std::size_t k = (std::size_t(s1) * S + s2) * 8 + i * 4 + dir;
          rate[k] = r;
          target[k] = np[0] * S + np[1];
          exit += r;
        }
      }
      exit_max = std::max(exit_max, exit);
    }
  const double Lambda = exit_max;
  std::vector<double> p = p0, next(p.size()), out(p.size(), 0.0);
  double weight = std::exp(-Lambda * t), cumulative = 0;
  for (int k = 0; cumulative < 1 - 1e-15; ++k) {
    if (k > 0) weight *= Lambda * t / k;
    for (std::size_t q = 0; q < p.size(); ++q) out[q] += weight * p[q];
    cumulative += weight;
    // p <- p (I + Q/Lambda)
    std::fill(next.begin(), next.end(), 0.0);
    for (std::size_t q = 0; q < p.size(); ++q) {
      double stay = 1;
      for (int m = 0; m < 8; ++m) {
        const double pr = rate[q * 8 + m] / Lambda;
        next[std::size_t(target[q * 8 + m])] += p[q] * pr;
        stay -= pr;
      }
      next[q] += p[q] * stay;
    }
    p.swap(next);
    if (k > 100000) break;
  }
  return out;
}

}  // namespace dislo::testing
