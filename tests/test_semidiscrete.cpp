// Certified w1 / bl brackets between atoms and densities (src/metrics/semidiscrete.cpp)
// against exact values that do not come from the code under test: closed-form integrals
// of |x| (checked by quadrature here), Voronoi cells of regular grids against the uniform
// density (issue 15 part 2), and the nearest-atom integral as a lower bound of w1.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "dislo/semidiscrete.hpp"
#include "reference_runner.hpp"
#include "tolerances.hpp"

using namespace dislo;

namespace {
// (sqrt 2 + asinh 1) / 6: the mean distance from a unit square's centre to its points.
const double kUnitSquare = (std::numbers::sqrt2 + std::asinh(1.0)) / 6;

CellDensity uniform(int M) {
  return {M, std::vector<double>(std::size_t(M) * M, 1.0 / (double(M) * M)), 0.0};
}

// k x k atoms at the centres of the cells of side 1/k (each takes its own cell), shifted.
Atoms regular(int k, double shift) {
  Atoms a;
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k; ++j) {
      a.x.push_back(std::fmod((i + 0.5 + shift) / k, 1.0));
      a.y.push_back(std::fmod((j + 0.5 + shift) / k, 1.0));
      a.w.push_back(1.0 / (double(k) * k));
    }
  return a;
}

void expect_contains(const Bracket& b, double exact, double width) {
  EXPECT_LE(b.lower, exact * (1 + tol::roundoff)) << "upper " << b.upper;
  EXPECT_GE(b.upper, exact * (1 - tol::roundoff)) << "lower " << b.lower;
  EXPECT_LE(b.relative_width(), width) << "[" << b.lower << ", " << b.upper << "]";
}
}  // namespace

TEST(DistanceIntegral, ClosedFormsAgainstQuadrature) {
  EXPECT_NEAR(distance_integral(-0.5, 0.5, -0.5, 0.5), kUnitSquare, tol::roundoff);
  EXPECT_NEAR(kMeanDistanceToCentre, kUnitSquare, tol::roundoff);
  // Midpoint rule on 2000^2 points: error about h^2/24 |Lap r| area, below 1e-7 away from 0.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-0.6, 0.6);
  for (int c = 0; c < 4; ++c) {
    double x0 = u(rng), x1 = u(rng), y0 = u(rng), y1 = u(rng);
    if (x0 > x1) std::swap(x0, x1);
    if (y0 > y1) std::swap(y0, y1);
    const int K = 2000;
    double sum = 0;
    for (int i = 0; i < K; ++i)
      for (int j = 0; j < K; ++j)
        sum += std::hypot(x0 + (i + 0.5) * (x1 - x0) / K, y0 + (j + 0.5) * (y1 - y0) / K);
    sum *= (x1 - x0) * (y1 - y0) / (double(K) * K);
    EXPECT_NEAR(distance_integral(x0, x1, y0, y1), sum, 1e-7);
  }
}

// The plan's split of a shared leaf (polygon clipping) against the closed form: for u
// uniform on the square, n . u is the sum of two uniforms on [-a, a] and [-b, b]
// (a = |n_x| s/2, b = |n_y| s/2), whose distribution is a trapezoid; its density is the
// Newton couplings' rate. Random lines and the edge cases (n = 0, t = 0, the line through
// a corner, along an edge, missing the square).
TEST(SharedLeaf, HalfSquareShareAgainstTrapezoid) {
  auto trapezoid = [](double t, double a, double b) {
    if (a < b) std::swap(a, b);
    if (t <= -a - b) return std::pair{0.0, 0.0};
    if (t >= a + b) return std::pair{1.0, 0.0};
    if (b == 0) return std::pair{(t + a) / (2 * a), 1 / (2 * a)};
    if (t <= -a + b)
      return std::pair{(t + a + b) * (t + a + b) / (8 * a * b), (t + a + b) / (4 * a * b)};
    if (t <= a - b) return std::pair{(t + a) / (2 * a), 1 / (2 * a)};
    return std::pair{1 - (a + b - t) * (a + b - t) / (8 * a * b), (a + b - t) / (4 * a * b)};
  };
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  struct Case {
    double s, nx, ny, t;
  };
  std::vector<Case> cases{{0.1, 0.0, 0.0, 0.01}, {0.1, 0.0, 0.0, -0.01}, {0.1, 0.3, 0.4, 0.0},
                          {0.1, 1.0, 1.0, 0.1},  {0.1, 1.0, 1.0, -0.1},  {0.1, 1.0, 1.0, 0.0},
                          {0.1, 1.0, 0.0, 0.02}, {0.1, 0.0, -2.0, 0.05}, {0.1, 0.5, 0.2, 1.0}};
  for (int k = 0; k < 200; ++k) cases.push_back({0.05, u(rng), u(rng), 0.05 * u(rng)});
  for (const Case& c : cases) {
    const auto got = semidiscrete_detail::half_square_share(c.s, c.nx, c.ny, c.t);
    const auto [share, rate] = trapezoid(c.t, std::abs(c.nx) * c.s / 2, std::abs(c.ny) * c.s / 2);
    const double norm = std::hypot(c.nx, c.ny);
    EXPECT_NEAR(got.share, share, tol::roundoff) << c.nx << ' ' << c.ny << ' ' << c.t;
    // The rate per unit of t: the trapezoid's density (0 where n = 0).
    const bool on_a_corner =
        std::abs(std::abs(c.t) - (std::abs(c.nx) + std::abs(c.ny)) * c.s / 2) <= 1e-12;
    if (norm == 0) {
      EXPECT_EQ(got.rate, 0.0);
    } else if (!on_a_corner) {  // (the density jumps there)
      EXPECT_NEAR(got.rate, rate, 1e-9 * rate + tol::roundoff) << c.nx << ' ' << c.ny << ' ' << c.t;
    }
  }
}

// The shared leaves' upper bound splits a square along a line and integrates |x - p| over
// each part: the two parts of a square add up to the closed form over the whole square,
// and each agrees with a midpoint rule (its error: the 2K cells the line cuts, each off by
// at most h^2 max|x - p|, plus 0.383 h per unit area for the 1-Lipschitz integrand).
TEST(SharedLeaf, ClippedSquareDistanceAgainstQuadrature) {
  using semidiscrete_detail::clipped_square_distance;
  std::mt19937_64 rng(21);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int c = 0; c < 24; ++c) {
    const double s = 0.001 + 0.05 * u(rng), x0 = u(rng) * 0.9, y0 = u(rng) * 0.9;
    // The point anywhere from inside the square to 5 sides away.
    const double angle = 2 * std::numbers::pi * u(rng), dist = 5 * s * u(rng);
    const double px = std::fmod(x0 + s / 2 + dist * std::cos(angle) + 1, 1.0);
    const double py = std::fmod(y0 + s / 2 + dist * std::sin(angle) + 1, 1.0);
    const double theta = 2 * std::numbers::pi * u(rng), nx = std::cos(theta), ny = std::sin(theta);
    const double t = (2 * u(rng) - 1) * s * 0.7;
    const double ux = x0 - px - std::round(x0 - px), uy = y0 - py - std::round(y0 - py);
    const double whole = distance_integral(ux, ux + s, uy, uy + s);
    const double part = clipped_square_distance(x0, y0, s, px, py, nx, ny, t);
    EXPECT_NEAR(part + clipped_square_distance(x0, y0, s, px, py, -nx, -ny, -t), whole,
                1e-12 * whole);
    EXPECT_NEAR(clipped_square_distance(x0, y0, s, px, py, nx, ny, s), whole, 1e-12 * whole);
    EXPECT_EQ(clipped_square_distance(x0, y0, s, px, py, nx, ny, -s), 0.0);
    const int K = 400;
    const double h = s / K;
    double sum = 0;
    for (int i = 0; i < K; ++i)
      for (int j = 0; j < K; ++j) {
        const double x = (i + 0.5) * h - s / 2, y = (j + 0.5) * h - s / 2;
        if (nx * x + ny * y < t) sum += std::hypot(ux + s / 2 + x, uy + s / 2 + y) * h * h;
      }
    const double far = std::hypot(ux + s / 2, uy + s / 2) + s;
    EXPECT_NEAR(part, sum, 2 * K * h * h * far + 0.383 * h * s * s) << "case " << c;
  }
}

// The shared leaves' lower bound against a midpoint rule for int min_i (|x - x_i| - psi_i)
// (1-Lipschitz: the rule is within 0.383 h s^2): never above it, on squares that 2 to 4
// cones share, their apexes 0.6 to 27 sides away. Its shortfall is second order: the
// curvature margin scales as s / d, so with the apexes 3.33 times farther the shortfall
// (relative to the first-order bound's 0.383 s per unit area) must fall by more than half
// (by 0.3 in theory; a first-order bound would stay the same). Without the margin the bound
// rises above the integral on some of these squares (checked by hand when it was written).
TEST(SharedLeaf, LowerBoundBelowIntegralAndSecondOrder) {
  using semidiscrete_detail::Cone;
  std::mt19937_64 rng(22);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double s = 0.01, first_order = 0.383 * s * s * s;
  std::vector<double> ratio;
  for (const auto& [nearest, farthest] : {std::pair{0.6, 3.0}, {3.0, 8.0}, {10.0, 26.7}}) {
    double shortfall = 0;
    const int cases = 60;
    for (int c = 0; c < cases; ++c) {
      const double x0 = 0.2 + 0.6 * u(rng), y0 = 0.2 + 0.6 * u(rng);
      const double cx = x0 + s / 2, cy = y0 + s / 2;
      std::vector<Cone> cones;
      const int k = 2 + c % 3;
      for (int i = 0; i < k; ++i) {
        const double angle = 2 * std::numbers::pi * u(rng);
        const double dist = s * (nearest + (farthest - nearest) * u(rng));
        // Values at the centre within 0.4 s of each other: the boundaries cross the square.
        cones.push_back(
            {cx + dist * std::cos(angle), cy + dist * std::sin(angle), dist - 0.4 * s * u(rng)});
      }
      const double lower = semidiscrete_detail::shared_leaf_lower(x0, y0, s, cones);
      const int K = 300;
      const double h = s / K;
      double sum = 0;
      for (int i = 0; i < K; ++i)
        for (int j = 0; j < K; ++j) {
          const double x = x0 + (i + 0.5) * h, y = y0 + (j + 0.5) * h;
          double f = std::numeric_limits<double>::infinity();
          for (const Cone& q : cones) f = std::min(f, std::hypot(x - q.x, y - q.y) - q.psi);
          sum += f * h * h;
        }
      EXPECT_LE(lower, sum + 0.383 * h * s * s) << "case " << c << ", apexes from " << nearest;
      shortfall += (sum - lower) / cases;
    }
    ratio.push_back(shortfall / first_order);
    std::printf(
        "apexes %.1f to %.1f sides away: mean shortfall %.3g of the first-order "
        "bound's\n",
        nearest, farthest, ratio.back());
  }
  EXPECT_LE(ratio[2], 0.5 * ratio[1]);
}

// Each atom takes its own cell: w1 = (sqrt 2 + asinh 1) / (6k) exactly (issue 15 part 2).
TEST(Certified, RegularGridsAgainstUniform) {
  std::vector<int> ks{1, 4, 31};
#ifdef NDEBUG
  ks.push_back(100);  // 1e4 atoms: seconds in Release, minutes under the sanitizers
#endif
  for (int k : ks) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto d = certified_distances(regular(k, 0.3), uniform(32));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("k %d: w1 [%.7g, %.7g] width %.3g%%, bl [%.7g, %.7g], grid %d rounds %d, %.2f s\n",
                k, d.w1.lower, d.w1.upper, 100 * d.w1.relative_width(), d.bl.lower, d.bl.upper,
                d.grid, d.rounds, s);
    expect_contains(d.w1, kUnitSquare / k, CertifiedOptions{}.tolerance);
    // Equal masses: bl <= w1 (phi with |phi| + Lip <= 1 is 1-Lipschitz).
    EXPECT_LE(d.bl.lower, d.bl.upper);
    EXPECT_LE(d.bl.upper, d.w1.upper * (1 + tol::roundoff));
  }
}

namespace {
constexpr double kAmplitude = 0.5;
double cosine(double x) { return 1 + kAmplitude * std::cos(2 * std::numbers::pi * x); }
// Samples of rho = 1 + 0.5 cos(2 pi x) on N x N points (mass 1).
std::vector<double> cosine_samples(int N) {
  std::vector<double> rho(std::size_t(N) * N);
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < N; ++j) rho[std::size_t(i) * N + j] = cosine(double(i) / N);
  return rho;
}
Atoms random_atoms(int n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Atoms a;
  for (int i = 0; i < n; ++i) {
    a.x.push_back(u(rng));
    a.y.push_back(u(rng));
    a.w.push_back(1.0 / n);
  }
  return a;
}
}  // namespace

// The cell means of 1 + 0.5 cos(2 pi x) carry the bound sum |m1_x| + sqrt(2) H h^3, with
// H = 2 pi^2 and the cells' first moments in closed form: 0.5 h sin(2 pi c) 2 (sin(w a) /
// w^2 - a cos(w a) / w), w = 2 pi, a = h/2, c the cell's centre. Refining the cells must
// give overlapping brackets (both contain the exact value).
TEST(Certified, FourierDensityBoundAndRefinement) {
  const auto rho = cosine_samples(16);
  const CellDensity coarse = cell_density_from_fourier(rho, 16, 32);
  {
    const int M = 32;
    const double h = 1.0 / M, a = h / 2, w = 2 * std::numbers::pi;
    const double moment = 0.5 * h * 2 * (std::sin(w * a) / (w * w) - a * std::cos(w * a) / w);
    double linear = 0;
    for (int i = 0; i < M; ++i) linear += M * std::abs(moment * std::sin(w * (i + 0.5) * h));
    const double H = 2 * std::numbers::pi * std::numbers::pi;
    EXPECT_NEAR(coarse.error, linear + std::numbers::sqrt2 * H * h * h * h, tol::roundoff);
  }
  EXPECT_NEAR(coarse.total(), 1.0, tol::roundoff);
  const CellDensity fine = cell_density_from_fourier(rho, 16, 128);
  const Atoms atoms = random_atoms(200, 3);
  const auto a = certified_distances(atoms, coarse), b = certified_distances(atoms, fine);
  EXPECT_LE(a.w1.lower, b.w1.upper);
  EXPECT_LE(b.w1.lower, a.w1.upper);
  std::printf("coarse [%.6g, %.6g] rounds %d depth %d; fine [%.6g, %.6g] rounds %d depth %d\n",
              a.w1.lower, a.w1.upper, a.rounds, a.depth, b.w1.lower, b.w1.upper, b.rounds, b.depth);
  // Measured: 0.8% (fine, 9 Newton rounds) and 3.7% (coarse, where the density's own
  // bound is 2.4e-3 of the 0.067). Uniform atoms against this density need transport
  // across the torus, where the W1 dual is degenerate (|grad psi| = 1 along the rays).
  EXPECT_LE(b.w1.relative_width(), CertifiedOptions{}.tolerance);
  EXPECT_LE(a.w1.relative_width(), 0.05);
}

// Any plan moves each point of the density at least to its nearest atom: the upper bound
// is never below the integral of min_i |x - a_i| against the density, here by a midpoint
// rule on Q^2 points (error below (0.39 max rho + pi 0.71 / 2) / Q for a 1-Lipschitz
// distance and |grad rho| <= pi). And the brackets tell this density from the uniform one.
TEST(Certified, NearestAtomIntegralBelowUpperAndPower) {
  const Atoms atoms = random_atoms(40, 5);
  const CellDensity density = cell_density_from_fourier(cosine_samples(16), 16, 64);
  const int Q = 1024;
  double nearest = 0;
  for (int i = 0; i < Q; ++i)
    for (int j = 0; j < Q; ++j) {
      const double x = (i + 0.5) / Q, y = (j + 0.5) / Q;
      double d = 1;
      for (std::size_t a = 0; a < atoms.x.size(); ++a) {
        const double dx = x - atoms.x[a] - std::round(x - atoms.x[a]);
        const double dy = y - atoms.y[a] - std::round(y - atoms.y[a]);
        d = std::min(d, std::hypot(dx, dy));
      }
      nearest += d * cosine(x) / (double(Q) * Q);
    }
  const double quadrature = (0.39 * (1 + kAmplitude) + std::numbers::pi * 0.71 / 2) / Q;
  const auto d = certified_distances(atoms, density);
  EXPECT_GE(d.w1.upper, nearest - quadrature);
  EXPECT_LE(d.w1.relative_width(), 0.025);  // 2.0% measured (uniform atoms, as above)
  const auto flat = certified_distances(atoms, uniform(64));
  EXPECT_TRUE(flat.w1.upper < d.w1.lower || d.w1.upper < flat.w1.lower)
      << "uniform [" << flat.w1.lower << ", " << flat.w1.upper << "], cosine [" << d.w1.lower
      << ", " << d.w1.upper << "]";
}

// Unequal masses: bl is at least the mass difference, and at most transport plus banking.
TEST(Certified, BlWithUnequalMasses) {
  Atoms atoms = random_atoms(100, 9);
  for (double& w : atoms.w) w *= 0.6;  // mass 0.6 against 1
  const auto d = certified_distances(atoms, uniform(32));
  EXPECT_GE(d.bl.lower, 0.4 - tol::roundoff);
  EXPECT_LE(d.bl.lower, d.bl.upper);
  EXPECT_LE(d.bl.upper, 0.6 * d.w1.upper + 0.4 + tol::roundoff);
}

namespace {
// n atoms drawn from rho = 1 + 0.5 cos(2 pi x) by rejection: the regime of SDE against
// MF, where only the sampling fluctuations are transported.
Atoms sampled_atoms(int n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Atoms a;
  while (int(a.x.size()) < n) {
    const double x = u(rng), y = u(rng);
    if (u(rng) * (1 + kAmplitude) > cosine(x)) continue;
    a.x.push_back(x);
    a.y.push_back(y);
    a.w.push_back(1.0 / n);
  }
  return a;
}
}  // namespace

// The target regime: atoms sampled from the density, bracket within tolerance.
TEST(Certified, SampledAtomsWithinTolerance) {
  std::vector<int> ns{100};
#ifdef NDEBUG
  ns.push_back(1000);  // seconds in Release, many minutes under the sanitizers
#endif
  for (int n : ns) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto d = certified_distances(sampled_atoms(n, 21), cosine_samples(16), 16);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("n %d: %.2f s, grid %d, density error %.2g\n", n, s, d.grid, d.density_error);
    std::printf("n %d: w1 [%.6g, %.6g] width %.3g%%, bl [%.6g, %.6g] width %.3g%%\n", n, d.w1.lower,
                d.w1.upper, 100 * d.w1.relative_width(), d.bl.lower, d.bl.upper,
                100 * d.bl.relative_width());
    EXPECT_LE(d.w1.relative_width(), CertifiedOptions{}.tolerance);
  }
}

// Against POT's exact emd between the atoms and a q x q quadrature of each density cell
// (tests/reference/semidiscrete.py), which is within 0.3826 h / q of the density.
TEST(Certified, BracketsContainPotOnQuadrature) {
  const int M = 16, q = 16;
  std::vector<std::pair<Atoms, CellDensity>> cases;
  for (unsigned c = 0; c < 3; ++c) {
    const Atoms atoms = c == 0 ? random_atoms(20, 31) : sampled_atoms(30, 31 + c);
    CellDensity density =
        c == 2 ? uniform(M) : cell_density_from_fourier(cosine_samples(16), 16, M);
    density.error = 0;  // the reference sees the same piecewise-constant density
    cases.emplace_back(atoms, density);
  }
  std::ifstream ref;
  ASSERT_TRUE(dislo::testing::run_reference(
      "semidiscrete.py", "semidiscrete",
      [&](std::ofstream& f) {
        for (const auto& [atoms, density] : cases) {
          f << atoms.x.size() << ' ' << M << ' ' << q;
          for (std::size_t i = 0; i < atoms.x.size(); ++i)
            f << ' ' << atoms.x[i] << ' ' << atoms.y[i] << ' ' << atoms.w[i];
          for (double v : density.mass) f << ' ' << v;
          f << '\n';
        }
      },
      ref));
  const double quadrature = kMeanDistanceToCentre / (M * q);
  for (const auto& [atoms, density] : cases) {
    double emd = 0;
    ASSERT_TRUE(ref >> emd);
    const auto d = certified_distances(atoms, density);
    std::printf("POT %.6g (+- %.2g) in [%.6g, %.6g]\n", emd, quadrature, d.w1.lower, d.w1.upper);
    EXPECT_LE(d.w1.lower, emd + quadrature);
    EXPECT_GE(d.w1.upper, emd - quadrature);
  }
}

// Regression (review of the flow's upper bound): density cells finer than the flow's, each
// flow cell's mass in its sub-cell farthest from one atom at the centre. With one atom all
// mass goes to it, so w1 = sum of mass x mean distance, from the closed form.
TEST(Certified, FineDensityUnderCoarseFlowCells) {
  const int M = 512, G = 32, k = M / G;
  CellDensity density{M, std::vector<double>(std::size_t(M) * M, 0.0), 0.0};
  double exact = 0;
  const double h = 1.0 / M;
  for (int I = 0; I < G; ++I)
    for (int J = 0; J < G; ++J) {
      // The sub-cell of flow cell (I, J) farthest from (0.5, 0.5).
      const int i = I * k + ((I + 0.5) / G < 0.5 ? 0 : k - 1);
      const int j = J * k + ((J + 0.5) / G < 0.5 ? 0 : k - 1);
      const double m = 1.0 / (G * G);
      density.mass[std::size_t(i) * M + j] = m;
      exact += m / (h * h) *
               distance_integral(i * h - 0.5, (i + 1) * h - 0.5, j * h - 0.5, (j + 1) * h - 0.5);
    }
  const Atoms atom{{0.5}, {0.5}, {1.0}};
  const auto d = certified_distances(atom, density);
  std::printf("exact %.9g in [%.9g, %.9g], grid %d\n", exact, d.w1.lower, d.w1.upper, d.grid);
  EXPECT_EQ(d.grid, G);
  expect_contains(d.w1, exact, CertifiedOptions{}.tolerance);
}

namespace {
// MFeps's measure on an L x L lattice: mass (1 + 0.5 cos(2 pi x)) / L^2 at the sites.
CellDensity cosine_sites(int L) {
  CellDensity d{L, std::vector<double>(std::size_t(L) * L), 0.0};
  for (int i = 0; i < L; ++i)
    for (int j = 0; j < L; ++j) d.mass[std::size_t(i) * L + j] = cosine(double(i) / L) / (L * L);
  return d;
}
Atoms sites_as_atoms(const CellDensity& d) {
  Atoms a;
  for (int i = 0; i < d.M; ++i)
    for (int j = 0; j < d.M; ++j) {
      a.x.push_back(double(i) / d.M);
      a.y.push_back(double(j) / d.M);
      a.w.push_back(d.mass[std::size_t(i) * d.M + j]);
    }
  return a;
}
// RW's atoms: n sites drawn from the lattice measure (repeats allowed).
Atoms sampled_sites(int n, int L, unsigned seed) {
  const Atoms continuous = sampled_atoms(n, seed);
  Atoms a;
  for (std::size_t i = 0; i < continuous.x.size(); ++i) {
    a.x.push_back(std::floor(continuous.x[i] * L) / L);
    a.y.push_back(std::floor(continuous.y[i] * L) / L);
    a.w.push_back(continuous.w[i]);
  }
  return a;
}
}  // namespace

// RW against MFeps: the sites' bracket contains the exact w1 of the two point sets (a
// network simplex on every pair, exact to its rounding) and is within a hundredth of the
// tolerance;
// bl's bracket overlaps the exact w1's bl bracket. Unequal masses too.
TEST(Certified, LatticeSitesAgainstEveryPairFlow) {
  // A few sites per atom spacing (the extra passes run), on lattices that are and are not
  // a power of two (the weights then come from the sites spread over a 32 or 64 grid).
  // (L = 30: blocks of 4 sites that do not divide it; L = 100: spread over M = 64.)
  for (const auto& [L, n] :
       {std::pair{32, 1}, {32, 16}, {32, 50}, {32, 64}, {24, 16}, {48, 50}, {30, 1}, {100, 16}}) {
    const CellDensity sites = cosine_sites(L);
    const Atoms every_site = sites_as_atoms(sites);
    Atoms atoms = sampled_sites(n, L, 40 + unsigned(n));
    if (n == 16)
      for (double& w : atoms.w) w *= 0.9;  // unequal masses: bl sees the difference
    const auto exact = certified_distances(atoms, every_site);
    const auto d = certified_distances_to_sites(atoms, sites);
    std::printf("L %d, n %d: exact [%.7g, %.7g] in sites' [%.7g, %.7g] (%.2g%%), bl [%.5g, %.5g]\n",
                L, n, exact.w1.lower, exact.w1.upper, d.w1.lower, d.w1.upper,
                100 * d.w1.relative_width(), d.bl.lower, d.bl.upper);
    EXPECT_LE(d.w1.lower, exact.w1.upper * (1 + tol::roundoff));
    EXPECT_GE(d.w1.upper, exact.w1.lower * (1 - tol::roundoff));
    EXPECT_LE(d.w1.relative_width(), CertifiedOptions{}.tolerance / 100);
    EXPECT_LE(d.bl.lower, exact.bl.upper * (1 + tol::roundoff));
    EXPECT_GE(d.bl.upper, exact.bl.lower * (1 - tol::roundoff));
  }
}

// w1 and bl of atoms against MFeps's sites, both contained in their brackets, against an
// independent reference on every pair of points (tests/reference/point_sets.py: POT's emd
// and bl as one linear program): atoms on sites (RW), with unequal total masses, and off
// the lattice (SDE against MFeps).
TEST(Certified, LatticeSitesContainExactBl) {
  const int L = 16;
  const CellDensity sites = cosine_sites(L);
  std::vector<Atoms> cases{sampled_sites(4, L, 61), sampled_sites(12, L, 62),
                           sampled_atoms(10, 63)};
  for (double& w : cases[1].w) w *= 0.8;
  std::ifstream ref;
  ASSERT_TRUE(dislo::testing::run_reference(
      "point_sets.py", "point_sets",
      [&](std::ofstream& f) {
        for (const Atoms& a : cases) {
          f << a.x.size() + sites.mass.size();
          for (std::size_t i = 0; i < a.x.size(); ++i)
            f << ' ' << a.x[i] << ' ' << a.y[i] << ' ' << a.w[i];
          for (int i = 0; i < L; ++i)
            for (int j = 0; j < L; ++j)
              f << ' ' << double(i) / L << ' ' << double(j) / L << ' '
                << -sites.mass[std::size_t(i) * L + j];
          f << '\n';
        }
      },
      ref));
  for (const Atoms& a : cases) {
    double w1 = 0, bl = 0;
    ASSERT_TRUE(ref >> w1 >> bl);
    const auto d = certified_distances_to_sites(a, sites);
    std::printf("w1 %.7g in [%.7g, %.7g]; bl %.7g in [%.7g, %.7g] (%.1f%% wide)\n", w1, d.w1.lower,
                d.w1.upper, bl, d.bl.lower, d.bl.upper, 100 * d.bl.relative_width());
    expect_contains(d.w1, w1, CertifiedOptions{}.tolerance);
    expect_contains(d.bl, bl, 1.0);
  }
}
