// Distances between measures (models.md section 5): exact values for simple cases, and
// w1 / bl against independent solvers (POT's emd, scipy's linear programming) on small
// random cases (tests/reference/transport.py).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <numbers>
#include <random>
#include <span>
#include <string>

#include "dislo/metrics.hpp"
#include "reference_runner.hpp"
#include "tolerances.hpp"

using namespace dislo;

namespace {
GridMeasure point(int H, int i, int j, double mass = 1.0) {
  GridMeasure m{H, std::vector<double>(std::size_t(H) * H, 0.0)};
  m.mass[std::size_t(i) * H + j] = mass;
  return m;
}
}  // namespace

// A unit point mass moved by d: w1 = the graph distance g, within the stencil's distortion
// of d and exactly length_factor * d along stencil vectors, and bl = sup{phi(x) - phi(y)}
// over |phi| <= a, Lip(phi) <= 1 - a, = max_a min(2a, (1 - a) g) = 2g/(2 + g) (-> g).
TEST(Metrics, PointMassMovedByD) {
  const int H = 32;
  // The distortion e/(2 + e), e = 1/cos(widest gap / 2) - 1: the widest angular gaps
  // between stencil directions are 45 degrees, atan(1/2) and atan(1/3).
  for (auto [size, gap] : {std::pair{8, std::numbers::pi / 4}, std::pair{16, std::atan(0.5)},
                           std::pair{32, std::atan(1.0 / 3)}}) {
    const double excess = 1 / std::cos(gap / 2) - 1, expected = excess / (2 + excess);
    TransportSolver solver(H, size);
    for (auto [di, dj] : {std::pair{1, 0}, std::pair{3, 0}, std::pair{2, 2}, std::pair{5, 1},
                          std::pair{4, 2}, std::pair{16, 0}}) {
      const GridMeasure a = point(H, 4, 7), b = point(H, (4 + di) % H, (7 + dj) % H);
      const double d = std::hypot(double(di), double(dj)) / H;
      const double graph = solver.w1(a, b);
      EXPECT_GE(graph, d * (1 - solver.distortion()) - 1e-12);
      EXPECT_LE(graph, d * (1 + solver.distortion()) + 1e-12);
      const bool along_stencil = di == 0 || dj == 0 || di == dj || (size >= 16 && di == 2 * dj);
      if (along_stencil) {
        EXPECT_NEAR(graph, solver.length_factor() * d, 1e-12) << size << " " << di << "," << dj;
      }
      EXPECT_NEAR(solver.bl(a, b), 2 * graph / (2 + graph), 1e-12);
    }
    EXPECT_NEAR(solver.distortion(), expected, 1e-12) << size;
    std::printf("[ measured ] %d-neighbour stencil distortion %.5f\n", size, solver.distortion());
  }
}

TEST(Metrics, UnbalancedMass) {
  TransportSolver solver(16);
  GridMeasure zero{16, std::vector<double>(256, 0.0)};
  // ||0.3 delta_x||* = 0.3 (phi = 1 at x, constant: Lipschitz 0).
  EXPECT_NEAR(solver.bl(point(16, 3, 3, 0.3), zero), 0.3, 1e-13);
  // Equal masses m at the largest distance (graph length of sqrt(2)/2): m 2d/(2 + d).
  const double d = solver.length_factor() * std::sqrt(0.5);
  EXPECT_NEAR(solver.bl(point(16, 0, 0, 0.1), point(16, 8, 8, 0.1)), 0.1 * 2 * d / (2 + d), 1e-13);
  // Unequal masses: 0.1 delta_x - 0.04 delta_y with phi(x) = a, phi(y) = max(-a, a - (1-a)d):
  // the exact LP value, checked by scipy in AgreesWithIndependentSolvers; here its bounds.
  const double v = solver.bl(point(16, 0, 0, 0.1), point(16, 0, 1, 0.04));
  EXPECT_GE(v, 0.06 - 1e-13);
  EXPECT_LE(v, 0.14 + 1e-13);
  EXPECT_EQ(solver.bl(zero, zero), 0.0);
}

TEST(Metrics, AgreesWithIndependentSolvers) {
  const int H = 8;
  std::mt19937_64 gen(42);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<std::pair<GridMeasure, GridMeasure>> cases;
  // Case c uses the stencil of 8, 16, 32 neighbours by c mod 3: every stencil meets both
  // mass ratios.
  auto stencil_of = [](std::size_t c) { return 8 << (c % 3); };
  for (int c = 0; c < 6; ++c) {
    GridMeasure a{H, std::vector<double>(H * H, 0.0)}, b = a;
    // Sparse empirical-like a (some nodes), smooth-ish b; masses differ (bl is unnormalised).
    for (int k = 0; k < 10; ++k) a.mass[std::size_t(u(gen) * H * H)] += 0.05;
    for (auto& v : b.mass) v = (0.5 + u(gen)) * (c % 2 ? 0.6 : 0.45) / (H * H);
    cases.emplace_back(a, b);
  }
  std::ifstream ref;
  ASSERT_TRUE(dislo::testing::run_reference(
      "transport.py", "metrics",
      [&](std::ofstream& f) {
        for (std::size_t c = 0; c < cases.size(); ++c) {
          const auto& [a, b] = cases[c];
          f << H << ' ' << stencil_of(c);
          for (double v : a.mass) f << ' ' << v;
          for (double v : b.mass) f << ' ' << v;
          f << '\n';
        }
      },
      ref));
  double worst_w1 = 0, worst_bl = 0;
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const auto& [a, b] = cases[c];
    TransportSolver solver(H, stencil_of(c));
    double w1 = 0, bl = 0;
    ASSERT_TRUE(ref >> w1 >> bl);
    worst_w1 = std::max(worst_w1, std::abs(solver.w1(a, b) - w1));
    worst_bl = std::max(worst_bl, std::abs(solver.bl(a, b) - bl));
  }
  std::printf("[ measured ] against POT emd: %.2e; against scipy LP: %.2e\n", worst_w1, worst_bl);
  EXPECT_LT(worst_w1, tol::transport_reference);
  EXPECT_LT(worst_bl, tol::transport_reference);
}

// distances() shares one flow between w1 and bl when the masses are equal: the same w1,
// and bl within its relative tolerance below the exact value (a certified lower bound).
TEST(Metrics, CombinedDistancesMatchSeparateSolves) {
  const int H = 16, n = 60;
  TransportSolver solver(H);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 6; ++trial) {
    std::vector<double> x(n), y(n), rho(std::size_t(H) * H);
    for (int i = 0; i < n; ++i) x[i] = u(rng), y[i] = u(rng);
    for (auto& v : rho) v = 0.5 + u(rng);
    const GridMeasure atoms = bin_points(x, y, 0.5 / n, H);
    GridMeasure density = bin_density(rho, H, H);
    // Equal masses in even trials (the shared path), unequal in odd ones.
    const double target = trial % 2 == 0 ? atoms.total() : 0.6;
    const double scale = target / density.total();
    for (auto& v : density.mass) v *= scale;
    const double tol = 1e-2;
    const auto d = solver.distances(atoms, density, true, true, tol);
    const double w1 = solver.w1(atoms, density), bl = solver.bl(atoms, density);
    EXPECT_NEAR(d.w1, w1, 1e-12 * w1) << trial;
    EXPECT_LE(d.bl, bl * (1 + 1e-12)) << trial;
    EXPECT_GE(d.bl, bl * (1 - tol)) << trial;
    const auto only_bl = solver.distances(atoms, density, false, true, tol);
    EXPECT_TRUE(std::isnan(only_bl.w1));
    EXPECT_GE(only_bl.bl, bl * (1 - tol)) << trial;
  }
}

// MF's cell masses are the exact integrals of its Fourier series over the metric cells:
// against the closed form for 1 + a cos(2 pi (k1 x + k2 y) + phase), on nesting and on
// non-nesting grids.
TEST(Metrics, SpectralCellMassesAreExactCellIntegrals) {
  const double a = 0.7, phase = 0.3;
  for (auto [N, H, k1, k2] :
       {std::array{64, 16, 1, 2}, std::array{48, 20, 3, -1}, std::array{30, 32, 2, 5}}) {
    std::vector<double> rho(std::size_t(N) * N);
    const int kx = k1, ky = k2;  // (clang 14 cannot capture structured bindings)
    auto wave = [&](double x, double y) {
      return 2 * std::numbers::pi * (kx * x + ky * y) + phase;
    };
    for (int i = 0; i < N; ++i)
      for (int j = 0; j < N; ++j)
        rho[std::size_t(i) * N + j] = 1 + a * std::cos(wave(double(i) / N, double(j) / N));
    const double h = 1.0 / H;
    auto sinc = [&](int k) {
      return k == 0 ? 1.0 : std::sin(std::numbers::pi * k * h) / (std::numbers::pi * k * h);
    };
    // Offset 0: cells centred on the nodes; 1/2: the histogram cells [i h, (i + 1) h).
    for (double offset : {0.0, 0.5}) {
      const GridMeasure m = cell_masses_spectral(rho, N, H, offset);
      double worst = 0;
      for (int i = 0; i < H; ++i)
        for (int j = 0; j < H; ++j) {
          const double centre_x = (i + offset) * h, centre_y = (j + offset) * h;
          const double exact =
              h * h * (1 + a * sinc(k1) * sinc(k2) * std::cos(wave(centre_x, centre_y)));
          worst = std::max(worst, std::abs(m.mass[std::size_t(i) * H + j] - exact));
        }
      EXPECT_LT(worst, 1e-15) << "N " << N << " H " << H << " offset " << offset;
      EXPECT_NEAR(m.total(), 1.0, 1e-14);
    }
  }
}

// The grid values' certified brackets (docs/ensembles.md, "Brackets") contain the exact
// distances of the unbinned measures: two atoms off the nodes (w1 = their torus distance t,
// bl = 2t/(2 + t) for unit masses), one atom against the uniform density (w1 =
// (sqrt 2 + asinh 1)/6), and sites already on the nodes (no binning term). The binning term
// is needed: without it some of these brackets miss the exact value.
TEST(Metrics, GridBracketsContainExactDistances) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  int missed_without_binning = 0;
  for (int H : {16, 32}) {
    TransportSolver solver(H);
    const double move = std::numbers::sqrt2 / 2 / H;
    const GridMeasure uniform{H, std::vector<double>(std::size_t(H) * H, 1.0 / (double(H) * H))};
    for (int trial = 0; trial < 20; ++trial) {
      const std::vector<double> ax{u(rng)}, ay{u(rng)}, bx{u(rng)}, by{u(rng)};
      const double dx = std::remainder(ax[0] - bx[0], 1.0), dy = std::remainder(ay[0] - by[0], 1.0);
      const double t = std::hypot(dx, dy);
      const GridMeasure a = bin_points(ax, ay, 1.0, H), b = bin_points(bx, by, 1.0, H);
      const auto d = solver.distances(a, b, true, true, 1e-2);
      const Bracket w1 = solver.w1_bracket(d.w1, move, move);
      const Bracket bl = solver.bl_bracket(d.bl, 1e-2, 1.0, move, 1.0, move);
      EXPECT_LE(w1.lower, t) << H;
      EXPECT_GE(w1.upper, t) << H;
      EXPECT_LE(bl.lower, 2 * t / (2 + t)) << H;
      EXPECT_GE(bl.upper, 2 * t / (2 + t)) << H;
      const Bracket unbinned = solver.w1_bracket(d.w1, 0, 0);
      missed_without_binning += t < unbinned.lower || t > unbinned.upper;
      // One atom against the uniform density.
      const Bracket one = solver.w1_bracket(solver.w1(a, uniform), move, move);
      EXPECT_LE(one.lower, kMeanDistanceToCentre) << H;
      EXPECT_GE(one.upper, kMeanDistanceToCentre) << H;
    }
    // Sites on the nodes (H = L): nothing moves, the graph's distortion is all.
    const std::vector<std::int32_t> sx{3, 11}, sy{5, 1};
    const GridMeasure p = bin_sites(std::span(sx).first(1), std::span(sy).first(1), H, 1.0, H),
                      q = bin_sites(std::span(sx).last(1), std::span(sy).last(1), H, 1.0, H);
    const double t = std::hypot(8.0, 4.0) / H;
    const Bracket sites = solver.w1_bracket(solver.w1(p, q), 0, 0);
    EXPECT_LE(sites.lower, t);
    EXPECT_GE(sites.upper, t);
    EXPECT_LE(sites.upper - sites.lower, 2.1 * solver.distortion() * t);
  }
  EXPECT_GT(missed_without_binning, 0);
  std::printf("[ measured ] brackets without the binning term missed %d of 40 exact distances\n",
              missed_without_binning);
}

TEST(Metrics, BinningConservesMass) {
  const int N = 64, H = 16;
  std::vector<double> rho(N * N);
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < N; ++j)
      rho[i * N + j] = 1 + 0.5 * std::cos(2 * std::numbers::pi * (i + 2.0 * j) / N);
  const GridMeasure m = bin_density(rho, N, H);
  EXPECT_NEAR(m.total(), 1.0, 1e-14);
  // Grids that do not nest (50 samples to 16 nodes) conserve mass too.
  const std::vector<double> flat(50 * 50, 2.0);
  EXPECT_NEAR(bin_density(flat, 50, 16).total(), 2.0, 1e-13);
  const std::vector<double> x{0.999, 0.03, 0.5}, y{0.2, 0.97, 0.5};
  const GridMeasure p = bin_points(x, y, 0.25, H);
  EXPECT_NEAR(p.total(), 0.75, 1e-15);
  EXPECT_EQ(p.mass[0 * H + 3], 0.25);  // (0.999, 0.2) -> node (0, 3)
  EXPECT_EQ(p.mass[0 * H + 0], 0.25);  // (0.03, 0.97) -> node (0, 0)
  const std::vector<std::int32_t> sx{3, 7}, sy{5, 0};
  const GridMeasure s = bin_sites(sx, sy, H, 0.5, H);
  EXPECT_EQ(s.mass[3 * H + 5], 0.5);
  EXPECT_EQ(s.mass[7 * H + 0], 0.5);
}

// Atom coefficients against the definition, every mode (k1, k2) with |k|_inf <= K.
TEST(Metrics, SobolevAtomCoefficientsMatchTheDefinition) {
  const int K = 5, W = 2 * K + 1;
  const SobolevNorm hs(3.0, K);
  const std::vector<double> x{0.1, 0.77, 0.5}, y{0.9, 0.31, 0.0};
  const auto c = hs.atoms(x, y, 0.25);
  double worst = 0;
  for (int k1 = -K; k1 <= K; ++k1)
    for (int k2 = -K; k2 <= K; ++k2) {
      std::complex<double> exact = 0;
      for (std::size_t i = 0; i < x.size(); ++i)
        exact += 0.25 * std::polar(1.0, -2 * std::numbers::pi * (k1 * x[i] + k2 * y[i]));
      worst = std::max(worst, std::abs(c[std::size_t(k1 + K) * W + (k2 + K)] - exact));
    }
  EXPECT_LT(worst, 1e-14);
}

// ||delta_x - 1||^2_{H^-s} = sum_{k != 0} (1 + 4 pi^2 |k|^2)^-s; atoms at nodes equal nodes.
TEST(Metrics, SobolevNormExactCases) {
  const SobolevNorm hs(3.0, 16);
  const std::vector<double> x{0.3125}, y{0.75};
  const auto atom = hs.atoms(x, y, 1.0);
  GridMeasure uniform{16, std::vector<double>(256, 1.0 / 256)};
  // The uniform node measure has coefficients 1 at k in 16 Z^2, 0 elsewhere: use the exact
  // Lebesgue measure instead, whose only coefficient is k = 0.
  std::vector<std::complex<double>> lebesgue(atom.size(), 0.0);
  lebesgue[16 * 33 + 16] = 1.0;
  double expect = 0;
  for (int a = -16; a <= 16; ++a)
    for (int b = -16; b <= 16; ++b)
      if (a || b)
        expect += std::pow(1 + 4 * std::numbers::pi * std::numbers::pi * (a * a + b * b), -3.0);
  EXPECT_NEAR(hs.distance(atom, lebesgue), std::sqrt(expect), 1e-13);
  GridMeasure node = point(16, 5, 12);  // (5/16, 12/16) = (0.3125, 0.75)
  EXPECT_NEAR(hs.distance(atom, hs.nodes(node)), 0.0, 1e-13);
  // Tail: K = 16 against K = 48 for the same atom.
  const SobolevNorm wide(3.0, 48);
  std::vector<std::complex<double>> leb48((2 * 48 + 1) * (2 * 48 + 1), 0.0);
  leb48[48 * 97 + 48] = 1.0;
  const double d16 = hs.distance(atom, lebesgue), d48 = wide.distance(wide.atoms(x, y, 1.0), leb48);
  EXPECT_LE(d48 - d16, hs.tail_bound(2.0));
  std::printf("[ measured ] hs tail K=16: %.2e (bound %.2e)\n", d48 - d16, hs.tail_bound(2.0));
}
