// The regularised interaction potential: symmetry, -Lap V_delta = phi_delta - 1, log
// asymptotics, lattice samples, the bump hybrid against a plain FFT, kernel constants.
#include <fftw3.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "dislo/potential.hpp"
#include "tolerances.hpp"

namespace {

using dislo::Kernel;
using dislo::KernelKind;
using dislo::PotentialTable;
constexpr double kPi = std::numbers::pi;
constexpr double kC0 = -0.2085777932435;  // models.md section 6
constexpr KernelKind kAll[] = {KernelKind::gaussian, KernelKind::cai, KernelKind::bump};

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

double max_grad(const PotentialTable& t) {
  double m = 0;
  for (std::size_t i = 0; i < t.V.size(); ++i) m = std::max(m, std::hypot(t.dV1[i], t.dV2[i]));
  return m;
}

// Minimal image of grid index i on G points, as a coordinate in [-1/2, 1/2).
double image(int i, int G) { return (2 * i < G ? i : i - G) / static_cast<double>(G); }

// -Lap of a real periodic table by FFT (the table's own truncated series is recovered
// exactly by the DFT, so this is -Lap of the truncated Fourier series).
std::vector<double> spectral_neg_laplacian(const std::vector<double>& v, int N) {
  const int h = N / 2;
  std::vector<double> in(v), out(static_cast<std::size_t>(N) * N);
  fftw_complex* c = fftw_alloc_complex(static_cast<std::size_t>(N) * (h + 1));
  fftw_plan fwd = fftw_plan_dft_r2c_2d(N, N, in.data(), c, FFTW_ESTIMATE);
  fftw_plan bwd = fftw_plan_dft_c2r_2d(N, N, c, out.data(), FFTW_ESTIMATE);
  fftw_execute(fwd);
  for (int i = 0; i < N; ++i) {
    const double k1 = i <= h ? i : i - N;
    for (int j = 0; j <= h; ++j) {
      const double f =
          4 * kPi * kPi * (k1 * k1 + static_cast<double>(j) * j) / (static_cast<double>(N) * N);
      c[static_cast<std::size_t>(i) * (h + 1) + j][0] *= f;
      c[static_cast<std::size_t>(i) * (h + 1) + j][1] *= f;
    }
  }
  fftw_execute(bwd);
  fftw_destroy_plan(fwd);
  fftw_destroy_plan(bwd);
  fftw_free(c);
  return out;
}

// Number of image shells K so that the images with |n|_inf > K contribute at most
// tol::image_remainder * max phi. For x in [-1/2,1/2)^2 and phi radial decreasing, each
// neglected term is at most the integral of phi(|y| - sqrt2) over the unit cell around n, so
// the remainder is at most the integral over |y| >= K + 1/2 of phi(|y| - sqrt2); for cai
// phi(s) <= delta^2/(pi s^4) this is 2 delta^2 [1/(2a^2) + sqrt2/(3a^3)], a = K + 1/2 - sqrt2.
int image_shells(const Kernel& k) {
  const double d = k.delta(), phimax = k.phi_free(0);
  for (int K = 1;; ++K) {
    const double a = K + 0.5 - std::numbers::sqrt2;
    if (a <= 0) continue;
    double rem = 0;
    if (k.kind() == KernelKind::cai) {
      rem = 2 * d * d * (0.5 / (a * a) + std::numbers::sqrt2 / (3 * a * a * a));
    } else {  // gaussian: integral of 2 pi s phi(s - sqrt2) <= 2 (1 + sqrt2/a) exp(-a^2/(2d^2))
      rem = 2 * (1 + std::numbers::sqrt2 / a) * std::exp(-a * a / (2 * d * d));
    }
    if (rem < dislo::tol::image_remainder * phimax) return K;
  }
}

double periodised_phi(const Kernel& k, double x1, double x2, int K) {
  double s = 0;
  for (int n1 = -K; n1 <= K; ++n1) {
    const double a = x1 + n1;
    for (int n2 = -K; n2 <= K; ++n2) {
      const double b = x2 + n2;
      s += k.phi_free(std::sqrt(a * a + b * b));
    }
  }
  return s;
}

// Test 1: V_delta even and grad V_delta odd on the table, to round-off.
TEST(Potential, EvenPotentialOddGradient) {
  // G = 45 gives an odd FFT size (no Nyquist mode) for gaussian and bump.
  for (KernelKind kind : kAll)
    for (int G : {128, 45}) {
      const Kernel k(kind, 1.0 / 16);
      const PotentialTable t = dislo::tabulate(k, G);
      const double sv = max_abs(t.V), sg = max_grad(t);
      double ev = 0, eg = 0;
      for (int i = 0; i < G; ++i)
        for (int j = 0; j < G; ++j) {
          const std::size_t a = static_cast<std::size_t>(i) * G + j;
          const std::size_t b = static_cast<std::size_t>((G - i) % G) * G + (G - j) % G;
          ev = std::max(ev, std::abs(t.V[a] - t.V[b]));
          eg = std::max({eg, std::abs(t.dV1[a] + t.dV1[b]), std::abs(t.dV2[a] + t.dV2[b])});
        }
      EXPECT_LE(ev, dislo::tol::roundoff * sv) << to_string(kind);
      EXPECT_LE(eg, dislo::tol::roundoff * sg) << to_string(kind);
      // Also a real check that the table is not trivially symmetric: V decreases away from 0.
      EXPECT_GT(t.V[0], t.V[static_cast<std::size_t>(G / 4) * G]) << to_string(kind);
    }
}

// Tests 2 and 4: -Lap V_delta = phi_delta(periodised) - 1, images summed directly.
TEST(Potential, NegativeLaplacianIsMollifierMinusOne) {
  for (KernelKind kind : {KernelKind::gaussian, KernelKind::cai}) {
    const Kernel k(kind, 1.0 / 16);
    const int N = 256;
    const PotentialTable t = dislo::tabulate(k, N);
    const std::vector<double> lap = spectral_neg_laplacian(t.V, N);
    const int K = image_shells(k);
    const double phimax = k.phi_free(0);
    double err = 0;
    int count = 0;
    // 144 points: a 12 x 12 sublattice shifted so it passes close to the core.
    for (int a = 0; a < 12; ++a)
      for (int b = 0; b < 12; ++b) {
        const int i = (a * 21 + (a < 3 ? 0 : 1)) % N, j = (b * 21 + 2 * b % 5) % N;
        const double x1 = image(i, N), x2 = image(j, N);
        const double want = periodised_phi(k, x1, x2, K) - 1;
        err = std::max(err, std::abs(lap[static_cast<std::size_t>(i) * N + j] - want));
        ++count;
      }
    EXPECT_GE(count, 100);
    EXPECT_LE(err, dislo::tol::cai_image_sum * phimax) << to_string(kind) << " image shells " << K;
  }
}

// Test 3: log asymptotics. Gaussian and bump: outside the core V_delta = V + const exactly
// (Newton/mean value: V*phi = V + m2(phi)/4 with m2 = 2 delta^2 gaussian, m2 delta^2 bump),
// up to exp(-|x|^2/(2 delta^2)) terms < 1e-30 at |x| >= 0.2, delta <= 1/64.
TEST(Potential, LogAsymptoticsTwoDeltas) {
  const int G = 256;
  const double d1 = 1.0 / 64, d2 = 1.0 / 128;
  const double m2 = dislo::bump_second_moment();
  for (KernelKind kind : kAll) {
    const Kernel k1(kind, d1), k2(kind, d2);
    const PotentialTable t1 = dislo::tabulate(k1, G), t2 = dislo::tabulate(k2, G);
    double shift = 0;
    if (kind == KernelKind::gaussian) shift = (d1 * d1 - d2 * d2) / 2;
    if (kind == KernelKind::bump) shift = m2 * (d1 * d1 - d2 * d2) / 4;
    double lo = 1e300, hi = -1e300, err = 0;
    for (int i = 0; i < G; ++i)
      for (int j = 0; j < G; ++j) {
        const double x1 = image(i, G), x2 = image(j, G), r = std::hypot(x1, x2);
        if (r < 0.2 || r > 0.4) continue;
        const std::size_t idx = static_cast<std::size_t>(i) * G + j;
        double d = t1.V[idx] - t2.V[idx];
        if (kind == KernelKind::cai) {
          // Remove the free-space cai difference -(1/4pi)[log(r^2+d1^2) - log(r^2+d2^2)].
          d += (std::log1p(d1 * d1 / (r * r)) - std::log1p(d2 * d2 / (r * r))) / (4 * kPi);
        }
        lo = std::min(lo, d);
        hi = std::max(hi, d);
        err = std::max(err, std::abs(d - shift));
      }
    if (kind == KernelKind::cai) {
      // What is left is (d1^2 - d2^2) w(x) + O(d^4/r^4), where -Lap w = sum_{n != 0}
      // 1/(pi |x+n|^4) (the far tails of the mollifiers, delta^2/(pi |y|^4)); near 0 this
      // is S4/pi, S4 = sum_{n != 0} |n|^-4 = 6.0268, so w varies by about
      // S4/(4 pi) (0.4^2 - 0.2^2) = 0.058 over the annulus (plus a harmonic part of the same
      // order): we allow 2 * 0.058 (d1^2 - d2^2) + d1^4/r^4 / (4 pi) (next free-space term).
      const double dd = d1 * d1 - d2 * d2;
      const double tol = 2 * 0.058 * dd + std::pow(d1 / 0.2, 4) / (4 * kPi);
      EXPECT_LE(hi - lo, tol) << "cai";
      // And the variation is really of order delta^2, not an artefact: without the
      // free-space term it would be (d1^2-d2^2)/(4 pi)(1/0.04 - 1/0.16) = 2.7e-4.
      EXPECT_LT(tol, 2.7e-4 / 4);
    } else {
      EXPECT_LE(err, dislo::tol::roundoff) << to_string(kind);
    }
  }
}

// Test 3 (second half): V_delta(x) = -(1/2pi) log|x| + c0 + |x|^2/4 + (G4/(8 pi)) Re z^4
// + m2(phi)/4 + O(|x|^8) outside the core, G4 = sum' (m + i n)^-4 = Gamma(1/4)^8/(960 pi^2).
TEST(Potential, LogAsymptoticsConstantC0) {
  const int G = 256;
  const double d = 1.0 / 128;
  const double G4 = std::pow(std::tgamma(0.25), 8) / (960 * kPi * kPi);
  for (KernelKind kind : {KernelKind::gaussian, KernelKind::bump}) {
    const Kernel k(kind, d);
    const PotentialTable t = dislo::tabulate(k, G);
    const double m2 =
        kind == KernelKind::gaussian ? 2 * d * d : dislo::bump_second_moment() * d * d;
    double err = 0, gerr = 0;
    int count = 0;
    for (int i = 0; i < G; ++i)
      for (int j = 0; j < G; ++j) {
        const double x1 = image(i, G), x2 = image(j, G), r = std::hypot(x1, x2);
        if (r < 8 * d || r > 0.125) continue;  // gaussian core: exp(-32) < 1e-13
        const double re_z4 = std::real(std::pow(std::complex<double>(x1, x2), 4));
        const double want =
            -std::log(r) / (2 * kPi) + kC0 + r * r / 4 + G4 / (8 * kPi) * re_z4 + m2 / 4;
        const std::size_t idx = static_cast<std::size_t>(i) * G + j;
        err = std::max(err, std::abs(t.V[idx] - want));
        // Gradient: -x/(2 pi r^2) + x/2 + (G4/(8 pi)) grad Re z^4, grad Re z^4 = 4 (Re z^3,
        // -Im z^3); checks the sign and scale of the gradient multiplier 2 pi i k Vhat.
        const std::complex<double> z3 = std::pow(std::complex<double>(x1, x2), 3);
        const double g1 = -x1 / (2 * kPi * r * r) + x1 / 2 + G4 / (8 * kPi) * 4 * z3.real();
        const double g2 = -x2 / (2 * kPi * r * r) + x2 / 2 - G4 / (8 * kPi) * 4 * z3.imag();
        gerr = std::max({gerr, std::abs(t.dV1[idx] - g1), std::abs(t.dV2[idx] - g2)});
        ++count;
      }
    EXPECT_GT(count, 100);
    EXPECT_LE(err, dislo::tol::log_asymptotics_r8) << to_string(kind);
    EXPECT_LE(gerr, dislo::tol::log_asymptotics_grad_r7) << to_string(kind);
  }
}

// Test 5: the G = 32 table samples the G = 256 table at the common points.
TEST(Potential, LatticeSamplesEqualFineGrid) {
  for (KernelKind kind : kAll) {
    const Kernel k(kind, 1.0 / 16);
    const PotentialTable a = dislo::tabulate(k, 32), b = dislo::tabulate(k, 256);
    EXPECT_EQ(a.fft_size % 32, 0);
    const double tol = a.truncation_bound + b.truncation_bound +
                       dislo::tol::roundoff * std::max(max_abs(b.V), max_grad(b));
    double err = 0;
    for (int i = 0; i < 32; ++i)
      for (int j = 0; j < 32; ++j) {
        const std::size_t ia = static_cast<std::size_t>(i) * 32 + j;
        const std::size_t ib = static_cast<std::size_t>(8 * i) * 256 + 8 * j;
        err = std::max({err, std::abs(a.V[ia] - b.V[ib]), std::abs(a.dV1[ia] - b.dV1[ib]),
                        std::abs(a.dV2[ia] - b.dV2[ib])});
      }
    EXPECT_LE(err, tol) << to_string(kind) << " fft sizes " << a.fft_size << ", " << b.fft_size;
  }
}

// Test 6: bump hybrid (gaussian FFT + exact radial correction) against the plain FFT of the
// bump multiplier, and the plain FFT against the exact exterior formula.
TEST(Potential, BumpHybridMatchesPlainFft) {
  const double d = 1.0 / 8;
  const int G = 64, N = 1024;
  const Kernel k(KernelKind::bump, d);
  const PotentialTable hybrid = dislo::tabulate(k, G);
  const PotentialTable plain = dislo::tabulate_fft(k, G, N);
  // The plain FFT's own tail bound (envelope of |phihat| beyond |k| = N/2).
  EXPECT_LT(plain.truncation_bound, 1e-6);
  const double tol =
      plain.truncation_bound + hybrid.truncation_bound + dislo::tol::roundoff * max_grad(plain);
  double err = 0;
  for (std::size_t i = 0; i < hybrid.V.size(); ++i)
    err = std::max({err, std::abs(hybrid.V[i] - plain.V[i]), std::abs(hybrid.dV1[i] - plain.dV1[i]),
                    std::abs(hybrid.dV2[i] - plain.dV2[i])});
  EXPECT_LE(err, tol) << "plain tail bound " << plain.truncation_bound;

  // Outside B_delta: V_bump - V_gauss(eta) = (m2 d^2 - 2 eta^2)/4 + E1(r^2/(2 eta^2))/(4 pi)
  // (the last term is the gaussian's own core), checked on the independent plain FFT.
  const double eta = dislo::bump_eta(d);
  const PotentialTable gauss = dislo::tabulate(Kernel(KernelKind::gaussian, eta), G);
  const double want = (dislo::bump_second_moment() * d * d - 2 * eta * eta) / 4;
  double ext = 0;
  int count = 0;
  for (int i = 0; i < G; ++i)
    for (int j = 0; j < G; ++j) {
      const double x1 = image(i, G), x2 = image(j, G), r2 = x1 * x1 + x2 * x2;
      if (r2 < d * d) continue;
      const std::size_t idx = static_cast<std::size_t>(i) * G + j;
      const double e1 = -std::expint(-r2 / (2 * eta * eta));
      ext = std::max(ext, std::abs(plain.V[idx] - gauss.V[idx] - e1 / (4 * kPi) - want));
      ++count;
    }
  EXPECT_GT(count, 1000);
  EXPECT_LE(ext, tol + gauss.truncation_bound);
}

TEST(Potential, BumpMultiplier) {
  const Kernel k(KernelKind::bump, 1.0);
  // The quadrature sum at tiny |k| is the total mass.
  EXPECT_NEAR(k.phihat(1e-16), 1.0, 1e-14);
  // First zero in s = |k| delta (models.md: 0.918).
  auto f = [&](double s) { return k.phihat(s * s); };
  double lo = 0.5, hi = 1.5;
  ASSERT_GT(f(lo), 0);
  ASSERT_LT(f(hi), 0);
  for (int it = 0; it < 60; ++it) {
    const double mid = 0.5 * (lo + hi);
    (f(mid) > 0 ? lo : hi) = mid;
  }
  EXPECT_NEAR(lo, 0.918, dislo::tol::bump_first_zero);
  // The Hankel transform against the 2D transform of the profile at one q by a direct
  // polar quadrature, phihat(q) = int 2 pi r phi(r) J0(q r) dr: midpoint rule with one
  // Richardson step (the integrand is flat at r = 1, its h^2 error comes from r = 0 and the
  // h^4 remainder is below 1e-15 at h = 1/20000).
  const double q = 7.3;
  const auto midpoint = [&](int n) {
    double s = 0;
    for (int i = 0; i < n; ++i) {
      const double r = (i + 0.5) / n;
      s += 2 * kPi * r * k.phi_free(r) * std::cyl_bessel_j(0.0, q * r) / n;
    }
    return s;
  };
  const double direct = (4 * midpoint(40000) - midpoint(20000)) / 3;
  EXPECT_NEAR(f(q / (2 * kPi)), direct, 1e-13);
  // The resolved range: |phihat| is at the round-off floor well before max_q, and 0 beyond.
  EXPECT_LT(std::abs(f(0.99 * k.max_q() / (2 * kPi))), 1e-14);
  EXPECT_EQ(f(1.01 * k.max_q() / (2 * kPi)), 0.0);
}

// Test 7: m2 and the kernel constants.
TEST(Potential, SecondMomentAndKernelConstants) {
  const double m2 = dislo::bump_second_moment();
  EXPECT_NEAR(m2, 0.26131, dislo::tol::bump_m2);
  const double e1 = -std::expint(-1.0), E2 = std::exp(-1.0) - e1, E3 = (std::exp(-1.0) - E2) / 2;
  EXPECT_NEAR(m2, (E2 - E3) / E2, dislo::tol::roundoff);

  const double d = 1.0 / 16;
  // gaussian: C_V = max|V|/log(1/delta) with max|V| = V(0) = -(log(2 d^2) - gamma)/(4 pi) + c0
  // + d^2/2 (Newton + mean value); models.md's 1/(2 pi) is its delta -> 0 limit.
  {
    const auto c = dislo::kernel_constants(Kernel(KernelKind::gaussian, d));
    const double v0 = -(std::log(2 * d * d) - std::numbers::egamma) / (4 * kPi) + kC0 + d * d / 2;
    EXPECT_NEAR(c.max_V, v0, dislo::tol::log_asymptotics_r8);
    EXPECT_NEAR(c.C_V, v0 / std::log(1 / d), dislo::tol::log_asymptotics_r8);
    // Hessian at 0: -(phi(0) - 1)/2 I.
    EXPECT_NEAR(c.max_hess * d * d, (1 / (2 * kPi) - d * d) / 2, 1e-6);
  }
  {
    const auto c = dislo::kernel_constants(Kernel(KernelKind::cai, d));
    EXPECT_NEAR(c.C_V, 1 / (2 * kPi), dislo::tol::kernel_constant_rel / (2 * kPi));
    EXPECT_NEAR(c.max_hess * d * d, c.C_V, 1e-12);
  }
  {
    const Kernel k(KernelKind::bump, d);
    const auto c = dislo::kernel_constants(k);
    EXPECT_NEAR(c.C_V, 0.394, dislo::tol::kernel_constant_rel * 0.394);
    const double h0 = (k.phi_free(0) * d * d - d * d) / 2;  // (phi(0) - 1)/2 times d^2
    EXPECT_NEAR(c.max_hess * d * d, h0, dislo::tol::hessian_fd * h0);
  }
}

// Test 8: the tail bound meets 1e-12 relative at the defaults (delta = 1/16, G = 128).
TEST(Potential, StrengthScalesTheTablesAndConstants) {
  // potential.strength multiplies V_delta: tables, multipliers and the kernel constants
  // scale with it (constants with its absolute value); the mollifier does not.
  for (KernelKind kind : {KernelKind::gaussian, KernelKind::bump}) {
    const Kernel unit(kind, 1.0 / 16), flipped(kind, 1.0 / 16, -2.0), off(kind, 1.0 / 16, 0.0);
    const PotentialTable a = dislo::tabulate(unit, 32), b = dislo::tabulate(flipped, 32),
                         z = dislo::tabulate(off, 32);
    for (std::size_t k = 0; k < a.V.size(); ++k) {
      EXPECT_EQ(b.V[k], -2.0 * a.V[k]);
      EXPECT_EQ(b.dV1[k], -2.0 * a.dV1[k]);
      EXPECT_EQ(z.dV2[k], 0.0);
    }
    EXPECT_EQ(b.truncation_bound, 2.0 * a.truncation_bound);
    EXPECT_EQ(flipped.vhat(5.0), -2.0 * unit.vhat(5.0));
    EXPECT_EQ(flipped.phihat(5.0), unit.phihat(5.0));
    const auto ca = dislo::kernel_constants(unit), cb = dislo::kernel_constants(flipped);
    EXPECT_EQ(cb.max_grad, 2.0 * ca.max_grad);
    EXPECT_EQ(cb.C_V, 2.0 * ca.C_V);
  }
  EXPECT_THROW(Kernel(KernelKind::gaussian, 0.1, std::nan("")), std::invalid_argument);
}

TEST(Potential, TruncationBoundAtDefaults) {
  for (KernelKind kind : kAll) {
    const Kernel k(kind, 1.0 / 16);
    const PotentialTable t = dislo::tabulate(k, 128);
    EXPECT_EQ(t.G, 128);
    EXPECT_EQ(t.fft_size % 128, 0);
    EXPECT_LE(t.truncation_bound, dislo::tol::table_truncation * max_grad(t)) << to_string(kind);
  }
  // The tail bound really bounds the tail: a too small FFT for cai is caught.
  const Kernel cai(KernelKind::cai, 1.0 / 16);
  EXPECT_GT(dislo::fft_tail_bound(cai, 32), 1e-6);
}

TEST(Potential, MemoryGuard) {
  EXPECT_THROW(dislo::tabulate(Kernel(KernelKind::cai, 1e-4), 64), std::runtime_error);
}

}  // namespace
