// Pair forces: the interpolated grad V_delta against exact table values at points the
// interpolation table does not contain; particle-mesh against the direct sum.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

#include "dislo/forces.hpp"
#include "tolerances.hpp"

using namespace dislo;

namespace {

struct Config {
  std::vector<double> x, y;
  std::vector<int> b;
};

Config random_config(long n, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> u(0, 1);
  Config c;
  for (long i = 0; i < n; ++i) {
    c.x.push_back(u(gen));
    c.y.push_back(u(gen));
    c.b.push_back(i % 2 ? -1 : 1);
  }
  return c;
}

double relative_rms(const std::vector<double>& ax, const std::vector<double>& ay,
                    const std::vector<double>& bx, const std::vector<double>& by) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < ax.size(); ++i) {
    num += (ax[i] - bx[i]) * (ax[i] - bx[i]) + (ay[i] - by[i]) * (ay[i] - by[i]);
    den += bx[i] * bx[i] + by[i] * by[i];
  }
  return std::sqrt(num / den);
}

}  // namespace

class PairGradientTest : public ::testing::TestWithParam<std::tuple<KernelKind, double>> {};

// Exact values: the FFT table on a 1000 x 1000 grid (exact to 1e-12, test_potential), whose
// points are not nodes of the 256-point interpolation table.
TEST_P(PairGradientTest, MatchesExactValuesOffTheTable) {
  const auto [kind, delta] = GetParam();
  const Kernel kernel(kind, delta);
  const PairGradient grad(kernel);
  const int G = 1000;
  const PotentialTable exact = tabulate(kernel, G);
  std::mt19937_64 gen(7);
  std::uniform_int_distribution<int> pick(0, G - 1);
  double worst = 0;
  for (int s = 0; s < 20000; ++s) {
    int i = pick(gen), j = pick(gen);
    // Also sample the core densely: half of the points within 3 delta of the origin.
    if (s % 2) {
      const int r = static_cast<int>(3 * delta * G);
      i = ((i % (2 * r + 1)) - r + G) % G;
      j = ((j % (2 * r + 1)) - r + G) % G;
    }
    const double dx = (i < G / 2 ? i : i - G) / double(G), dy = (j < G / 2 ? j : j - G) / double(G);
    const auto g = grad(dx, dy);
    const std::size_t t = std::size_t(i) * G + j;
    worst = std::max({worst, std::abs(g[0] - exact.dV1[t]), std::abs(g[1] - exact.dV2[t])});
  }
  const double rel = worst / grad.max_gradient();
  std::printf("[ measured ] %s delta=%g: max |grad error| / max |grad V| = %.2e (bound %.2e)\n",
              to_string(kind), delta, rel, grad.error_bound());
  EXPECT_LT(rel, tol::pair_gradient);
  EXPECT_LT(grad.error_bound(), tol::pair_gradient);
}

INSTANTIATE_TEST_SUITE_P(Kernels, PairGradientTest,
                         ::testing::Values(std::tuple{KernelKind::gaussian, 1.0 / 16},
                                           std::tuple{KernelKind::gaussian, 0.25},
                                           std::tuple{KernelKind::cai, 1.0 / 16},
                                           std::tuple{KernelKind::bump, 1.0 / 16}));

// The vectorised row loop is the one-pair-at-a-time function, bit for bit, in both
// directions, for every kernel; and DirectForce's vectorised sums are the scalar loop's.
TEST(PairGradient, RowsAreThePairsBits) {
  const Config c = random_config(999, 11);  // odd: vector loops with a remainder
  for (KernelKind kind : {KernelKind::gaussian, KernelKind::cai, KernelKind::bump}) {
    const PairGradient grad(Kernel(kind, 0.1));
    std::vector<double> gx(c.x.size()), gy(c.x.size());
    for (auto direction : {PairGradient::Direction::from, PairGradient::Direction::towards}) {
      grad.gradients(c.x[0], c.y[0], c.x.data(), c.y.data(), c.x.size(), direction, gx.data(),
                     gy.data());
      long differ = 0;
      for (std::size_t k = 1; k < c.x.size(); ++k) {
        double dx = c.x[0] - c.x[k], dy = c.y[0] - c.y[k];
        if (direction == PairGradient::Direction::towards) dx = -dx, dy = -dy;
        dx += (dx < -0.5) - (dx >= 0.5);
        dy += (dy < -0.5) - (dy >= 0.5);
        const auto g = grad(dx, dy);
        differ += std::memcmp(&g[0], &gx[k], sizeof(double)) != 0 ||
                  std::memcmp(&g[1], &gy[k], sizeof(double)) != 0;
      }
      EXPECT_EQ(differ, 0) << to_string(kind);
    }
  }
}

TEST(DirectForce, VectorisedSumsAreTheScalarLoopsBits) {
  const Config c = random_config(301, 13);
  const std::size_t n = c.x.size();
  for (KernelKind kind : {KernelKind::gaussian, KernelKind::cai, KernelKind::bump}) {
    const Kernel kernel(kind, 0.1);
    DirectForce fast(kernel), scalar(kernel, DirectForce::Loop::scalar);
    std::vector<double> fx(n), fy(n), sx(n), sy(n);
    fast.compute(c.x, c.y, c.b, fx, fy);
    scalar.compute(c.x, c.y, c.b, sx, sy);
    EXPECT_EQ(0, std::memcmp(fx.data(), sx.data(), n * sizeof(double))) << to_string(kind);
    EXPECT_EQ(0, std::memcmp(fy.data(), sy.data(), n * sizeof(double))) << to_string(kind);
    // Blocks (the ranks of a replica group) give the whole sum's bits too.
    std::vector<double> bx(n), by(n);
    for (int part = 0; part < 3; ++part)
      fast.compute(c.x, c.y, c.b, ParticleBlock::of(n, part, 3), bx, by);
    EXPECT_EQ(0, std::memcmp(bx.data(), sx.data(), n * sizeof(double))) << to_string(kind);
    EXPECT_EQ(0, std::memcmp(by.data(), sy.data(), n * sizeof(double))) << to_string(kind);
  }
}

TEST(DirectForce, ActionEqualsReaction) {
  // sum_i F_i = -(1/n) sum_{i != j} b_i b_j grad V(x_i - x_j) = 0 since grad V is odd.
  const Config c = random_config(301, 3);
  DirectForce direct(Kernel(KernelKind::gaussian, 0.1));
  std::vector<double> fx(c.x.size()), fy(c.x.size());
  direct.compute(c.x, c.y, c.b, fx, fy);
  double sx = 0, sy = 0, scale = 0;
  for (std::size_t i = 0; i < fx.size(); ++i) {
    sx += fx[i];
    sy += fy[i];
    scale += std::abs(fx[i]) + std::abs(fy[i]);
  }
  EXPECT_LT(std::abs(sx) + std::abs(sy), tol::roundoff * scale);
}

TEST(ForceField, StrengthScalesEveryForceExactly) {
  // potential.strength s: every method's forces are s times those at strength 1 (the
  // tables and the mesh are built at strength 1; s = 0 is a non-interacting system).
  const Config c = random_config(500, 5);
  const std::size_t n = c.x.size();
  for (const char* method : {"direct", "pm"}) {
    auto unit = make_force_field(Kernel(KernelKind::gaussian, 0.1), method, 1e-6, long(n));
    std::vector<double> ux(n), uy(n), fx(n), fy(n);
    unit->compute(c.x, c.y, c.b, ux, uy);
    for (double s : {-1.0, 0.0, 2.5}) {
      auto scaled = make_force_field(Kernel(KernelKind::gaussian, 0.1, s), method, 1e-6, long(n));
      scaled->compute(c.x, c.y, c.b, fx, fy);
      double worst = 0, size = 0;
      for (std::size_t i = 0; i < n; ++i) {
        worst = std::max({worst, std::abs(fx[i] - s * ux[i]), std::abs(fy[i] - s * uy[i])});
        size = std::max({size, std::abs(ux[i]), std::abs(uy[i])});
      }
      EXPECT_LE(worst, tol::roundoff * size) << method << ", strength " << s;
    }
  }
}

class ParticleMeshTest : public ::testing::TestWithParam<std::tuple<KernelKind, double>> {};

TEST_P(ParticleMeshTest, AgreesWithDirectSumOnRandomConfigurations) {
  const auto [kind, delta] = GetParam();
  const Kernel kernel(kind, delta);
  const MeshChoice mesh = choose_mesh(kernel, tol::pm_force, 2000);
  ASSERT_GT(mesh.M, 0);
  ParticleMesh pm(kernel, mesh);
  DirectForce direct(kernel);
  double worst = 0;
  for (unsigned seed : {1u, 2u, 3u}) {
    const Config c = random_config(2000, seed);
    const std::size_t n = c.x.size();
    std::vector<double> px(n), py(n), dx(n), dy(n);
    pm.compute(c.x, c.y, c.b, px, py);
    direct.compute(c.x, c.y, c.b, dx, dy);
    worst = std::max(worst, relative_rms(px, py, dx, dy));
  }
  std::printf("[ measured ] %s delta=%g: M=%d order=%d, RMS error %.2e (estimate %.2e)\n",
              to_string(kind), delta, mesh.M, mesh.order, worst, mesh.error_estimate);
  EXPECT_LT(worst, tol::pm_force);
  // The estimate is what users read: it must be the right size (within a factor 5).
  EXPECT_LT(worst, 5 * mesh.error_estimate);
  EXPECT_GT(worst, mesh.error_estimate / 5);
}

INSTANTIATE_TEST_SUITE_P(Kernels, ParticleMeshTest,
                         ::testing::Values(std::tuple{KernelKind::gaussian, 1.0 / 16},
                                           std::tuple{KernelKind::gaussian, 0.25},
                                           std::tuple{KernelKind::cai, 1.0 / 16}));

TEST(ForceField, AutomaticChoiceFollowsCost) {
  const Kernel kernel(KernelKind::gaussian, 1.0 / 16);
  EXPECT_EQ(make_force_field(kernel, "auto", 1e-6, 50)->method(), ForceMethod::direct);
  EXPECT_EQ(make_force_field(kernel, "auto", 1e-6, 100000)->method(), ForceMethod::pm);
  EXPECT_EQ(make_force_field(kernel, "direct", 1e-6, 100000)->method(), ForceMethod::direct);
  EXPECT_EQ(make_force_field(kernel, "pm", 1e-6, 10)->method(), ForceMethod::pm);
}
