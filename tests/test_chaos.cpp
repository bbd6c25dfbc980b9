// The propagation-of-chaos couplings (chaos.hpp, docs/chaos.md): the mean-field force
// tables against exact fields; each coupling's marginals against their exact laws (X: the
// particle model, unchanged by the coupling or against the n = 2 master equation; Xbar:
// the mean field itself, MF or MFeps); identical dynamics give distance 0 exactly.
// Fixed seeds; every chi-square test asserts p >= tol::p_value (false-failure probability
// 1e-5 each, 10 in this program: at most 1e-4 in all).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numbers>
#include <numeric>

#include "dislo/chaos.hpp"
#include "dislo/lattice.hpp"
#include "dislo/meanfield.hpp"
#include "dislo/metrics.hpp"
#include "dislo/sde.hpp"
#include "master_equation.hpp"
#include "statistics.hpp"
#include "test_support.hpp"
#include "tolerances.hpp"

using namespace dislo;
using dislo::testing::chi2_goodness;
using dislo::testing::initial_law_n2;
using dislo::testing::marginals_n2;
using dislo::testing::master_equation_n2;
using dislo::testing::particle_study;
using dislo::testing::two_particle_study;
using dislo::testing::wrap;
using dislo::testing::wrong_models;

namespace {
constexpr double two_pi = 2 * std::numbers::pi;

// rho+- = 1/2 (1 +- a cos(2 pi (k1 x + k2 y))) on the N x N nodes: w = a cos(...).
void cosine_pair(int N, double a, int k1, int k2, std::vector<double>& plus,
                 std::vector<double>& minus) {
  plus.resize(std::size_t(N) * N);
  minus.resize(plus.size());
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < N; ++j) {
      const double c = a * std::cos(two_pi * (k1 * double(i) / N + k2 * double(j) / N));
      plus[std::size_t(i) * N + j] = 0.5 * (1 + c);
      minus[std::size_t(i) * N + j] = 0.5 * (1 - c);
    }
}

}  // namespace

TEST(ChaosForce, ContinuumTableInterpolatesTheExactGradient) {
  // w = a(t) cos(2 pi (x + 2 y)), a = 1 at t = 0 and 3 at t = T: g = grad V_delta * w =
  // -2 pi a Vhat_delta(5) sin(...) (1, 2).
  const Kernel kernel(KernelKind::gaussian, 0.0625);
  const int N = 64, kc = N / 3;
  const double T = 0.5;
  ContinuumForce force(kernel, N, kc, T, 1);
  std::vector<double> plus, minus;
  for (double a : {1.0, 3.0}) {
    cosine_pair(N, a, 1, 2, plus, minus);
    force.add_frame(plus, minus);
  }
  EXPECT_EQ(force.table_size(), 128);
  const double vhat = kernel.vhat(5);
  const double largest = 2 * two_pi * 3 * vhat;
  double worst = 0;
  for (int p = 0; p < 200; ++p) {
    const double x = std::fmod(0.37 * p + 0.011, 1.0), y = std::fmod(0.71 * p + 0.029, 1.0);
    const double t = T * (p % 11) / 10.0;
    const double a = 1 + 2 * t / T;
    const double s = -two_pi * a * vhat * std::sin(two_pi * (x + 2 * y));
    const auto g = force(x, y, t);
    worst = std::max({worst, std::abs(g[0] - s), std::abs(g[1] - 2 * s)});
  }
  std::printf("[ measured ] MF gradient table: max error %.2e relative (bound %.0e)\n",
              worst / largest, tol::coupled_force);
  EXPECT_LT(worst / largest, tol::coupled_force);
  EXPECT_LT(force.interpolation_error(), tol::coupled_force);
}

TEST(ChaosForce, LatticeFramesArePiecewiseConstantMeans) {
  LatticeForce force(4, 1.0, 2);
  std::vector<double> gx(16), gy(16);
  for (int f = 0; f < 3; ++f) {
    std::fill(gx.begin(), gx.end(), f);
    std::fill(gy.begin(), gy.end(), -2.0 * f);
    force.add_frame(gx, gy);
  }
  EXPECT_EQ(force.interval(0.0), 0);
  EXPECT_EQ(force.interval(0.49), 0);
  EXPECT_EQ(force.interval(0.5), 1);
  EXPECT_EQ(force.interval(1.0), 1);  // T belongs to the last interval
  EXPECT_EQ(force.at(1, 2, 3)[0], 1.5);
  EXPECT_EQ(force.at(1, 2, 3)[1], -3.0);
  EXPECT_EQ(force.max_abs(), 4.0);
  EXPECT_DOUBLE_EQ(force.interval_end(0), 0.5);
}

TEST(ChaosForce, LemmaBoundFormula) {
  // 2 C_V t/delta (1/sqrt(n) + kappa) exp(2 C_V t/delta^2) at C_V = 0.5, delta = 0.5, n = 4.
  EXPECT_DOUBLE_EQ(coupling_bound(0.5, 0.5, 4, 0.25, 1.0), 2 * 0.75 * std::exp(4.0));
  EXPECT_EQ(coupling_bound(0.5, 0.5, 4, 0.25, 0.0), 0.0);
}

TEST(ChaosCoupling, IdenticalDynamicsGiveDistanceZero) {
  // One particle feels no interaction, and neutral data (rho+ = rho-) give g = 0: X and
  // Xbar then move identically under every coupling.
  Study study = particle_study(KernelKind::gaussian, 1, 1, 16, 0.125, 4.0);
  study.model.T = 0.5;
  const Kernel kernel(study.kernel, study.model.delta);
  ContinuumForce continuum(kernel, 32, 10, study.model.T, 4);
  const std::vector<double> half(32 * 32, 0.5);
  for (int f = 0; f <= 4; ++f) continuum.add_frame(half, half);
  SdeEngine sde(study);
  sde.couple(&continuum);
  sde.start(3);
  sde.advance_to(study.model.T);
  EXPECT_EQ(sde.coupling_distance(), 0.0);
  EXPECT_EQ(sde.xbar()[0], sde.x()[0]);

  LatticeForce lattice(16, study.model.T, 4);
  const std::vector<double> zero(16 * 16, 0.0);
  for (int f = 0; f <= 4; ++f) lattice.add_frame(zero, zero);
  const Signs signs{{1}, 1};
  for (auto kind : {CoupledWalks::Kind::thinning, CoupledWalks::Kind::time_change}) {
    CoupledWalks walks(study, lattice, kind);
    const std::vector<std::int32_t> x{5}, y{9};
    walks.start(7, signs, x, y);
    walks.advance_to(study.model.T);
    EXPECT_GT(walks.events(), 20u);
    EXPECT_EQ(walks.distance(), 0.0);
    EXPECT_EQ(walks.x()[0], walks.xbar()[0]);
    EXPECT_EQ(walks.y()[0], walks.ybar()[0]);
  }
}

TEST(ChaosCoupling, SdeCouplingLeavesTheReplicaUnchanged) {
  Study study = particle_study(KernelKind::gaussian, 40, 20, 16, 0.125, 4.0);
  const Kernel kernel(study.kernel, study.model.delta);
  ContinuumForce force(kernel, 32, 10, study.model.T, 2);
  std::vector<double> plus, minus;
  cosine_pair(32, 0.5, 1, 0, plus, minus);
  for (int f = 0; f <= 2; ++f) force.add_frame(plus, minus);
  SdeEngine alone(study), coupled(study);
  coupled.couple(&force);
  alone.start(11);
  coupled.start(11);
  alone.advance_to(0.3);
  coupled.advance_to(0.3);
  for (std::size_t i = 0; i < 40; ++i) {
    EXPECT_EQ(alone.x()[i], coupled.x()[i]);
    EXPECT_EQ(alone.y()[i], coupled.y()[i]);
  }
  EXPECT_GT(coupled.coupling_distance(), 0.0);
}

namespace {

// MF of a study at the frame times: the densities that drive Xbar, and at T the plus
// density's exact masses of the H x H cells centred on the nodes a/H, as probabilities.
struct MeanFieldPath {
  int cutoff = 0;
  std::vector<std::vector<double>> plus, minus;
  std::vector<double> cells;
};

MeanFieldPath solve_mf(const Study& study, int frames, int H) {
  const Kernel kernel = Kernel::of(study);
  MeanField mf(MPI_COMM_SELF, study, kernel);
  mf.set_initial(InitialDensity(study.initial));
  MeanFieldPath path;
  path.cutoff = mf.dealias_cutoff();
  for (double t : frame_times(study.model.T, frames)) {
    mf.advance_to(t);
    const auto p = mf.rho(+1), m = mf.rho(-1);
    path.plus.emplace_back(p.begin(), p.end());
    path.minus.emplace_back(m.begin(), m.end());
  }
  path.cells = cell_masses_spectral(path.plus.back(), study.mf.M, H).mass;
  const double total = std::accumulate(path.cells.begin(), path.cells.end(), 0.0);
  for (auto& c : path.cells) c /= total;
  return path;
}

}  // namespace

TEST(ChaosCoupling, SdeXbarFollowsTheMeanField) {
  // Xbar's particles are independent with the law of MF (McKean-Vlasov): their histogram
  // at T against MF's exact cell masses. Power: the same counts reject the mean fields
  // with the interaction off, flipped and beta halved, and Xbar driven by the flipped
  // mean-field force is rejected against the right one (beta = 32, where interaction and
  // diffusion move the density at comparable rates).
  Study study = particle_study(KernelKind::gaussian, 50, 25, 16, 0.125, 32.0);
  study.initial.kind = InitialKind::cosine;
  study.initial.amplitude = 0.8;
  study.initial.amplitude_minus = -0.8;
  study.model.T = 0.5;
  study.mf.M = 32;
  const int frames = 64, H = 8;
  const MeanFieldPath path = solve_mf(study, frames, H);
  const Kernel kernel = Kernel::of(study);
  ContinuumForce force(kernel, 32, path.cutoff, study.model.T, frames),
      flipped(kernel, 32, path.cutoff, study.model.T, frames);
  for (std::size_t f = 0; f < path.plus.size(); ++f) {
    force.add_frame(path.plus[f], path.minus[f]);
    flipped.add_frame(path.minus[f], path.plus[f]);  // kappa -> -kappa: g -> -g
  }
  auto xbar_counts = [&](const ContinuumForce& driving) {
    SdeEngine engine(study);
    engine.couple(&driving);
    std::vector<double> counts(std::size_t(H) * H, 0.0);
    for (int r = 0; r < 600; ++r) {
      engine.start(std::uint64_t(r));
      engine.advance_to(study.model.T);
      for (long i = 0; i < engine.signs().n_plus; ++i) {
        const int a = int(std::lround(engine.xbar()[i] * H)) % H;
        const int b = int(std::lround(engine.ybar()[i] * H)) % H;
        counts[std::size_t(a) * H + b] += 1;
      }
    }
    return counts;
  };
  const auto counts = xbar_counts(force);
  const auto c = chi2_goodness(counts, path.cells);
  std::printf("[ measured ] SDE Xbar+ against MF at T: chi2 = %.1f, dof %d, p = %.3f\n", c.stat,
              c.dof, c.p);
  EXPECT_GE(c.p, tol::p_value);
  for (const auto& [name, wrong] : wrong_models(study)) {
    const double p = chi2_goodness(counts, solve_mf(wrong, frames, H).cells).p;
    std::printf("[ measured ] power: against MF with %s, p = %.1e\n", name, p);
    EXPECT_LT(p, tol::power_p_value) << name;
  }
  const double p = chi2_goodness(xbar_counts(flipped), path.cells).p;
  std::printf("[ measured ] power: Xbar driven by the flipped force, p = %.1e\n", p);
  EXPECT_LT(p, tol::power_p_value);
}

namespace {

// MFeps of a study at the frame times: its interaction gradient (what drives the walks'
// Xbar), and at T the plus density at the sites, as probabilities.
struct LatticePath {
  std::vector<std::vector<double>> gx, gy, plus, minus;
  std::vector<double> sites;
};

LatticePath solve_mfeps(const Study& study, int frames) {
  LatticeMeanField mfeps(MPI_COMM_SELF, study, Kernel::of(study));
  mfeps.set_initial(InitialDensity(study.initial));
  LatticePath path;
  for (double t : frame_times(study.model.T, frames)) {
    mfeps.advance_to(t);
    path.gx.emplace_back();
    path.gy.emplace_back();
    mfeps.interaction_gradient(path.gx.back(), path.gy.back());
    path.plus.emplace_back(mfeps.rho(+1).begin(), mfeps.rho(+1).end());
    path.minus.emplace_back(mfeps.rho(-1).begin(), mfeps.rho(-1).end());
  }
  path.sites.assign(mfeps.rho(+1).begin(), mfeps.rho(+1).end());
  const double total = std::accumulate(path.sites.begin(), path.sites.end(), 0.0);
  for (auto& v : path.sites) v /= total;
  return path;
}

}  // namespace

TEST(ChaosCoupling, CoupledWalksHaveTheRightMarginals) {
  // X: RW_2^eps, against the master equation (position of particle 1, relative vector).
  // Xbar: two independent walks with MFeps's rates, so Xbar_1 has the law rho_eps+(T) /
  // mass. For the three couplings; 60000 replicas each (20000 in the sanitizer builds'
  // reduced case, where the power p-values stay below 1e-19). Power as for the SDE (beta = 32):
  // the Xbar counts reject MFeps with the interaction off, flipped and beta halved, and
  // Xbar driven by the flipped force (the veto coupling: by flipped densities) is
  // rejected against the right MFeps.
  Study study = two_particle_study(8, 0.5);
  study.model.beta = 32;
  const int L = study.model.lattice, S = L * L;
  const double T = study.model.T;
  const auto [first, relative] =
      marginals_n2(master_equation_n2(study, initial_law_n2(study), T, true), L);
  const int frames = 32;
  const LatticePath path = solve_mfeps(study, frames);
  LatticeForce force(L, T, frames), flipped(L, T, frames);
  for (std::size_t f = 0; f < path.gx.size(); ++f) {
    force.add_frame(path.gx[f], path.gy[f], path.plus[f], path.minus[f]);
    std::vector<double> gx = path.gx[f], gy = path.gy[f];
    for (auto* v : {&gx, &gy})
      for (double& g : *v) g = -g;
    // g is linear in rho+ - rho-: the flipped force comes from the swapped densities.
    flipped.add_frame(gx, gy, path.minus[f], path.plus[f]);
  }

  // Initial sites as the RW engines draw them (InitialSampler), per replica.
  InitialSampler sampler(study.initial, study.model, L);
  struct Histograms {
    std::vector<double> first, relative, bar;
  };
  enum class Coupling { thinning, time_change, veto };
  auto make = [&](const LatticeForce& driving, Coupling kind) -> std::unique_ptr<WalkCoupling> {
    if (kind == Coupling::veto) return std::make_unique<VetoCoupledWalks>(study, driving);
    return std::make_unique<CoupledWalks>(study, driving,
                                          kind == Coupling::thinning
                                              ? CoupledWalks::Kind::thinning
                                              : CoupledWalks::Kind::time_change);
  };
  auto simulate = [&](const LatticeForce& driving, Coupling kind) {
    const auto coupled = make(driving, kind);
    WalkCoupling& walks = *coupled;
    Histograms h{std::vector<double>(S, 0.0), std::vector<double>(S, 0.0),
                 std::vector<double>(S, 0.0)};
    std::vector<std::int32_t> x, y;
    const int replicas = dislo::testing::reduced_case() ? 20000 : 60000;
    for (int r = 0; r < replicas; ++r) {
      const CounterRng rng(study.run.seed, std::uint64_t(r));
      const Signs signs = sampler.signs(rng);
      x.resize(2);
      y.resize(2);
      sampler.lattice(rng, signs, x, y);
      walks.start(std::uint64_t(r), signs, x, y);
      walks.advance_to(T);
      h.first[walks.x()[0] * L + walks.y()[0]] += 1;
      h.relative[wrap(walks.x()[0] - walks.x()[1], L) * L + wrap(walks.y()[0] - walks.y()[1], L)] +=
          1;
      h.bar[walks.xbar()[0] * L + walks.ybar()[0]] += 1;
    }
    return h;
  };
  for (auto kind : {Coupling::thinning, Coupling::time_change, Coupling::veto}) {
    const char* name = kind == Coupling::thinning      ? "thinning"
                       : kind == Coupling::time_change ? "time change"
                                                       : "veto";
    const Histograms h = simulate(force, kind);
    const auto a = chi2_goodness(h.first, first), b = chi2_goodness(h.relative, relative),
               c = chi2_goodness(h.bar, path.sites);
    std::printf(
        "[ measured ] %s: X l1 p = %.3f, X l1 - l2 p = %.3f, Xbar+ against MFeps p = %.3f\n", name,
        a.p, b.p, c.p);
    EXPECT_GE(a.p, tol::p_value) << name;
    EXPECT_GE(b.p, tol::p_value) << name;
    EXPECT_GE(c.p, tol::p_value) << name;
    for (const auto& [model, wrong] : wrong_models(study)) {
      const double p = chi2_goodness(h.bar, solve_mfeps(wrong, frames).sites).p;
      const auto [wrong_first, wrong_relative] =
          marginals_n2(master_equation_n2(wrong, initial_law_n2(wrong), T, true), L);
      const double px = chi2_goodness(h.relative, wrong_relative).p;
      std::printf("[ measured ] %s: power against %s: Xbar+ p = %.1e, X l1 - l2 p = %.1e\n", name,
                  model, p, px);
      EXPECT_LT(p, tol::power_p_value) << name << ", " << model;
      EXPECT_LT(px, tol::power_p_value) << name << ", " << model;
    }
    const double p = chi2_goodness(simulate(flipped, kind).bar, path.sites).p;
    std::printf("[ measured ] %s: power, Xbar driven by the flipped force: p = %.1e\n", name, p);
    EXPECT_LT(p, tol::power_p_value) << name;
  }
}

TEST(ChaosCoupling, VetoCouplingTightensWithN) {
  // Uniform initial sites and the stationary uniform MFeps (g = 0 exactly): Xbar walks
  // freely and X interacts. The veto coupling's distance at T must fall with n (its partner
  // coupling works: with independent partner draws it would not depend on n); measured
  // beside thinning, which it trails (docs/chaos.md). Asserted: E d(50) > 1.5 E d(5000) at
  // 4 standard errors (false failure below 1e-4 by the normal approximation).
  const int L = 32, R = dislo::testing::reduced_case() ? 8 : 16;
  const double T = 0.25;
  LatticeForce force(L, T, 1);
  const std::vector<double> zero(L * L, 0.0), half(L * L, 0.5);
  for (int f = 0; f <= 1; ++f) force.add_frame(zero, zero, half, half);
  auto measure = [&](long n, bool veto) {
    const Study study = particle_study(KernelKind::gaussian, n, n / 2, L, 0.125, 4.0);
    InitialSampler sampler(study.initial, study.model, L);
    std::unique_ptr<WalkCoupling> walks;
    if (veto)
      walks = std::make_unique<VetoCoupledWalks>(study, force);
    else
      walks = std::make_unique<CoupledWalks>(study, force, CoupledWalks::Kind::thinning);
    std::vector<double> d;
    std::vector<std::int32_t> x(static_cast<std::size_t>(n)), y(x.size());
    for (int r = 0; r < R; ++r) {
      const CounterRng rng(study.run.seed, std::uint64_t(r));
      const Signs signs = sampler.signs(rng);
      sampler.lattice(rng, signs, x, y);
      walks->start(std::uint64_t(r), signs, x, y);
      walks->advance_to(T);
      d.push_back(walks->distance());
    }
    const double mean = std::accumulate(d.begin(), d.end(), 0.0) / R;
    double var = 0;
    for (double v : d) var += (v - mean) * (v - mean);
    return std::array<double, 2>{mean, std::sqrt(var / (R - 1) / R)};
  };
  const auto small = measure(50, true), large = measure(5000, true), thin = measure(50, false);
  std::printf(
      "[ measured ] veto coupling at T = %.2f: n = 50: %.4f +- %.4f, n = 5000: %.5f +- %.5f; "
      "thinning at n = 50: %.4f +- %.4f\n",
      T, small[0], small[1], large[0], large[1], thin[0], thin[1]);
  const double margin = small[0] - 1.5 * large[0];
  EXPECT_GT(margin, 4 * std::hypot(small[1], 1.5 * large[1]));
}
