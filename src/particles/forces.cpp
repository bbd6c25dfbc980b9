#include "dislo/forces.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <type_traits>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "dislo/config.hpp"
#include "dislo/lagrange.hpp"

namespace dislo {

namespace {
constexpr double kPi = std::numbers::pi;
constexpr double kTwoPi = 2 * std::numbers::pi;
constexpr double kInvTwoPi = 1 / kTwoPi;

constexpr int kBumpRadialPoints = 4096;
constexpr int kGaussianRadialPoints = 4096;
}  // namespace

const char* to_string(ForceMethod m) { return m == ForceMethod::direct ? "direct" : "pm"; }

// ---------------------------------------------------------------------------------------
// PairGradient

// A PairGradient's tables as plain values, for the pair loop that vectorises below.
struct detail::PairTables {
  const double* S;  // grad S interleaved: (d1 S, d2 S) at each node, rows of W nodes
  std::size_t W;
  double G, pad;
  const double* g;  // radial table (bump, gaussian)
  double g_inv_ds, g_cut, d2;
  int g_last;  // largest first node index the table allows
};

namespace {
using detail::PairTables;

// g(s) = M(sqrt s)/s: cai in closed form; bump and gaussian by cubic Lagrange interpolation
// of their table below g_cut, 1/s beyond (both evaluated: the vector loop has no branch).
template <KernelKind K>
[[gnu::always_inline]] inline double radial_at(const PairTables& t, double s) {
  if constexpr (K == KernelKind::cai) {
    return 1 / (s + t.d2);
  } else {
    const double u = s * t.g_inv_ds;
    // Node k - 1 >= 0 and k + 2 inside the table (selects by value: they vectorise).
    const int k0 = static_cast<int>(u < 1e9 ? u : 1e9);
    const int k = k0 < 1 ? 1 : (k0 > t.g_last ? t.g_last : k0);
    const auto w = detail::cubic_weights(u - k);
    const double inner = w[0] * t.g[k - 1] + w[1] * t.g[k] + w[2] * t.g[k + 1] + w[3] * t.g[k + 2];
    const double outer = 1 / s;  // unconditionally: a conditional division does not vectorise
    return s >= t.g_cut ? outer : inner;
  }
}

// grad V_delta(d) = grad S(d) - d g(|d|^2)/(2 pi), S by tensor cubic Lagrange interpolation,
// in two stages so that each vectorises: prepare() (across pairs: the radial term, the
// weights and the table cell) and combine() (within a pair: the 4 x 4 table block, rows
// of 4 contiguous values). Their order of operations is fixed here; the AVX2 form of
// combine() below performs the same operations.
struct Prepared {
  double rx, ry;        // d g(|d|^2) / (2 pi)
  double wu[4], wv[4];  // weights along x1 (rows) and x2 (columns)
  std::size_t cell;     // first node of the 4 x 4 block
};

template <KernelKind K>
[[gnu::always_inline]] inline Prepared prepare(const PairTables& t, double dx, double dy) {
  Prepared p;
  const double g = radial_at<K>(t, dx * dx + dy * dy) * kInvTwoPi;
  p.rx = dx * g;
  p.ry = dy * g;
  const double u = (dx + 0.5) * t.G + t.pad, v = (dy + 0.5) * t.G + t.pad;
  const int iu = static_cast<int>(u), iv = static_cast<int>(v);
  const auto wu = detail::cubic_weights(u - iu), wv = detail::cubic_weights(v - iv);
  for (int a = 0; a < 4; ++a) p.wu[a] = wu[a], p.wv[a] = wv[a];
  p.cell = std::size_t(iu - 1) * t.W + std::size_t(iv - 1);
  return p;
}

// Component m of the interpolant from the block at S (interleaved, row stride 2W): column
// sums c_j = ((wu0 S[0][j] + wu1 S[1][j]) + wu2 S[2][j]) + wu3 S[3][j], then
// (wv0 c_0 + wv1 c_1) + (wv2 c_2 + wv3 c_3).
[[gnu::always_inline]] inline double combine(const double* S, std::size_t W, int m,
                                             const double* wu, const double* wv) {
  double c[4];
  const std::size_t r = 2 * W;
  for (int j = 0; j < 4; ++j) {
    const double* col = S + 2 * j + m;
    c[j] = ((wu[0] * col[0] + wu[1] * col[r]) + wu[2] * col[2 * r]) + wu[3] * col[3 * r];
  }
  return (wv[0] * c[0] + wv[1] * c[1]) + (wv[2] * c[2] + wv[3] * c[3]);
}

template <KernelKind K>
[[gnu::always_inline]] inline void pair_at(const PairTables& t, double dx, double dy, double& gx,
                                           double& gy) {
  const Prepared p = prepare<K>(t, dx, dy);
  gx = combine(t.S + 2 * p.cell, t.W, 0, p.wu, p.wv) - p.rx;
  gy = combine(t.S + 2 * p.cell, t.W, 1, p.wu, p.wv) - p.ry;
}

// A block of pairs prepared, structure of arrays (the vectorised first stage's output).
constexpr std::size_t kBlock = 256;
struct PreparedBlock {
  alignas(64) double rx[kBlock], ry[kBlock];
  alignas(64) double wu[4][kBlock], wv[4][kBlock];
  alignas(64) std::size_t cell[kBlock];
};

// Stage one over a block: displacements (nearest image), radial terms, weights, cells.
template <KernelKind K, PairGradient::Direction D>
[[gnu::always_inline]] inline void prepare_block(const PairTables t, double x0, double y0,
                                                 const double* __restrict x,
                                                 const double* __restrict y, std::size_t count,
                                                 PreparedBlock& __restrict out) {
  for (std::size_t k = 0; k < count; ++k) {
    double dx = D == PairGradient::Direction::from ? x0 - x[k] : x[k] - x0;
    double dy = D == PairGradient::Direction::from ? y0 - y[k] : y[k] - y0;
    dx += (dx < -0.5) - (dx >= 0.5);  // nearest image
    dy += (dy < -0.5) - (dy >= 0.5);
    const Prepared p = prepare<K>(t, dx, dy);
    out.rx[k] = p.rx;
    out.ry[k] = p.ry;
    for (int a = 0; a < 4; ++a) out.wu[a][k] = p.wu[a], out.wv[a][k] = p.wv[a];
    out.cell[k] = p.cell;
  }
}

// Stage one, compiled (by GCC) for AVX-512 (x86-64-v4), AVX2 and baseline x86-64, the
// processor's choice made when the program loads; the lanes do exactly the scalar
// operations (no reassociation; no contraction into FMA: src/CMakeLists.txt), so every
// clone gives the same bits.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
[[gnu::target_clones("arch=x86-64-v4", "avx2", "default")]]
#endif
void prepare_rows(const PairTables& t, KernelKind kind, PairGradient::Direction direction,
                  double x0, double y0, const double* x, const double* y, std::size_t count,
                  PreparedBlock& out) {
  using D = PairGradient::Direction;
  const bool from = direction == D::from;
  switch (kind) {
    case KernelKind::gaussian:
      return from ? prepare_block<KernelKind::gaussian, D::from>(t, x0, y0, x, y, count, out)
                  : prepare_block<KernelKind::gaussian, D::towards>(t, x0, y0, x, y, count, out);
    case KernelKind::cai:
      return from ? prepare_block<KernelKind::cai, D::from>(t, x0, y0, x, y, count, out)
                  : prepare_block<KernelKind::cai, D::towards>(t, x0, y0, x, y, count, out);
    case KernelKind::bump:
      return from ? prepare_block<KernelKind::bump, D::from>(t, x0, y0, x, y, count, out)
                  : prepare_block<KernelKind::bump, D::towards>(t, x0, y0, x, y, count, out);
  }
}

// Stage two, one pair at a time.
void combine_rows(const PairTables& t, const PreparedBlock& in, std::size_t count, double* gx,
                  double* gy) {
  for (std::size_t k = 0; k < count; ++k) {
    const double wu[4] = {in.wu[0][k], in.wu[1][k], in.wu[2][k], in.wu[3][k]};
    const double wv[4] = {in.wv[0][k], in.wv[1][k], in.wv[2][k], in.wv[3][k]};
    gx[k] = combine(t.S + 2 * in.cell[k], t.W, 0, wu, wv) - in.rx[k];
    gy[k] = combine(t.S + 2 * in.cell[k], t.W, 1, wu, wv) - in.ry[k];
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
// Stage two with AVX2: a row of the block is 8 contiguous values (4 nodes x 2 components),
// two unaligned loads; the column sums are lane-wise and the last sums pair the columns
// (0, 1) and (2, 3) as combine() does, both components at once.
[[gnu::target("avx2")]] void combine_rows_avx2(const PairTables& t, const PreparedBlock& in,
                                               std::size_t count, double* gx, double* gy) {
  const std::size_t r = 2 * t.W;
  for (std::size_t k = 0; k < count; ++k) {
    const double* S = t.S + 2 * in.cell[k];
    __m256d c01 = _mm256_setzero_pd(), c23 = _mm256_setzero_pd();  // columns 0, 1 and 2, 3
    for (int a = 0; a < 4; ++a) {
      const __m256d w = _mm256_set1_pd(in.wu[a][k]);
      const __m256d p01 = _mm256_mul_pd(w, _mm256_loadu_pd(S + a * r));
      const __m256d p23 = _mm256_mul_pd(w, _mm256_loadu_pd(S + a * r + 4));
      // a = 0 starts the sums (0 + x would turn -0 into +0, which combine() does not do).
      c01 = a == 0 ? p01 : _mm256_add_pd(c01, p01);
      c23 = a == 0 ? p23 : _mm256_add_pd(c23, p23);
    }
    const double wv0 = in.wv[0][k], wv1 = in.wv[1][k], wv2 = in.wv[2][k], wv3 = in.wv[3][k];
    const __m256d q01 = _mm256_mul_pd(c01, _mm256_setr_pd(wv0, wv0, wv1, wv1));
    const __m256d q23 = _mm256_mul_pd(c23, _mm256_setr_pd(wv2, wv2, wv3, wv3));
    // (wv0 c_0 + wv1 c_1) and (wv2 c_2 + wv3 c_3), each for both components, then their sum.
    const __m128d first = _mm_add_pd(_mm256_castpd256_pd128(q01), _mm256_extractf128_pd(q01, 1));
    const __m128d second = _mm_add_pd(_mm256_castpd256_pd128(q23), _mm256_extractf128_pd(q23, 1));
    const __m128d sum = _mm_add_pd(first, second);
    gx[k] = _mm_cvtsd_f64(sum) - in.rx[k];
    gy[k] = _mm_cvtsd_f64(_mm_unpackhi_pd(sum, sum)) - in.ry[k];
  }
}
const bool kHaveAvx2 = (__builtin_cpu_init(), __builtin_cpu_supports("avx2"));
#endif

void pair_rows(const PairTables& t, KernelKind kind, PairGradient::Direction direction, double x0,
               double y0, const double* x, const double* y, std::size_t count, double* gx,
               double* gy) {
  PreparedBlock block;
  for (std::size_t base = 0; base < count; base += kBlock) {
    const std::size_t m = std::min(kBlock, count - base);
    prepare_rows(t, kind, direction, x0, y0, x + base, y + base, m, block);
#if defined(__x86_64__) && defined(__GNUC__)
    if (kHaveAvx2) {
      combine_rows_avx2(t, block, m, gx + base, gy + base);
      continue;
    }
#endif
    combine_rows(t, block, m, gx + base, gy + base);
  }
}

}  // namespace

detail::PairTables PairGradient::tables() const {
  const double inv_ds = g_ds_ > 0 ? 1 / g_ds_ : 0.0;  // cai has no radial table
  return {S_.data(),    std::size_t(W_), double(G_),
          double(pad_), g_table_.data(), inv_ds,
          g_cut_,       delta_ * delta_, int(g_table_.size()) - 3};
}

double PairGradient::radial(double s) const {
  const PairTables t = tables();
  switch (kind_) {
    case KernelKind::gaussian:
      return radial_at<KernelKind::gaussian>(t, s);
    case KernelKind::cai:
      return radial_at<KernelKind::cai>(t, s);
    case KernelKind::bump:
      return radial_at<KernelKind::bump>(t, s);
  }
  return 0;
}

PairGradient::PairGradient(const Kernel& kernel, int table_size)
    : kind_(kernel.kind()), delta_(kernel.delta()), G_(table_size) {
  if (G_ < 16 || G_ % 2 != 0) throw std::invalid_argument("PairGradient: table size even >= 16");
  const double d2 = delta_ * delta_;
  if (kind_ == KernelKind::bump) {
    // g(s) = M(sqrt s)/s on [0, delta^2] plus two nodes beyond, where M = 1.
    g_cut_ = d2;
    g_ds_ = d2 / kBumpRadialPoints;
    g_table_.resize(kBumpRadialPoints + 3);
    g_table_[0] = kPi * kernel.phi_free(0);  // M(r) ~ pi r^2 phi(0)
    for (int k = 1; k < int(g_table_.size()); ++k) {
      const double s = k * g_ds_;
      g_table_[k] = (s >= d2 ? 1.0 : kernel.enclosed_mass(std::sqrt(s))) / s;
    }
  } else if (kind_ == KernelKind::gaussian) {
    // g(s) = (1 - exp(-s / (2 delta^2))) / s = h(t) / (2 delta^2), t = s / (2 delta^2), for
    // t < 40 (beyond, 1/s is exact to exp(-40)). A table, not expm1, so that the pair loop
    // vectorises: cubic Lagrange errs by at most (9/16)/24 dt^4 max|h^(4)| = 4e-11 of g(0)
    // at dt = 40/4096 (|h^(4)| <= 1/5, at t = 0); test_forces checks it against expm1.
    g_cut_ = 80 * d2;
    g_ds_ = g_cut_ / kGaussianRadialPoints;
    g_table_.resize(kGaussianRadialPoints + 3);
    g_table_[0] = 1 / (2 * d2);
    for (int k = 1; k < int(g_table_.size()); ++k) {
      const double s = k * g_ds_;
      g_table_[k] = -std::expm1(-s / (2 * d2)) / s;
    }
  }
  const PotentialTable table = tabulate(kernel, G_);
  W_ = G_ + 1 + 2 * pad_;
  std::vector<double> S1(std::size_t(W_) * W_), S2(S1.size());
  for (int a = 0; a < W_; ++a) {
    const int ia = a - pad_ - G_ / 2;  // x1 = ia / G
    const int i = ((ia % G_) + G_) % G_;
    const double x1 = double(ia) / G_;
    for (int c = 0; c < W_; ++c) {
      const int jc = c - pad_ - G_ / 2;
      const int j = ((jc % G_) + G_) % G_;
      const double x2 = double(jc) / G_;
      const double g = radial(x1 * x1 + x2 * x2) * kInvTwoPi;
      const std::size_t t = std::size_t(i) * G_ + j;
      S1[std::size_t(a) * W_ + c] = table.dV1[t] + x1 * g;
      S2[std::size_t(a) * W_ + c] = table.dV2[t] + x2 * g;
      if (a >= pad_ && a < W_ - pad_ && c >= pad_ && c < W_ - pad_)
        max_grad_ = std::max(max_grad_, std::hypot(table.dV1[t], table.dV2[t]));
    }
  }
  // Error bound of tensor cubic interpolation: (9/16)/24 h^4 (|d1^4 S| + |d2^4 S|), the
  // fourth derivatives measured by fourth differences (h^4 d^4 S ~ Delta^4 S).
  double d4 = 0;
  for (const auto* S : {&S1, &S2})
    for (int a = 2; a < W_ - 2; ++a)
      for (int c = 2; c < W_ - 2; ++c) {
        auto at = [&](int p, int q) { return (*S)[std::size_t(p) * W_ + q]; };
        const double dx =
            at(a - 2, c) - 4 * at(a - 1, c) + 6 * at(a, c) - 4 * at(a + 1, c) + at(a + 2, c);
        const double dy =
            at(a, c - 2) - 4 * at(a, c - 1) + 6 * at(a, c) - 4 * at(a, c + 1) + at(a, c + 2);
        d4 = std::max(d4, std::abs(dx) + std::abs(dy));
      }
  error_bound_ = (9.0 / 16.0 / 24.0) * d4 / max_grad_;
  S_.resize(2 * S1.size());
  for (std::size_t k = 0; k < S1.size(); ++k) S_[2 * k] = S1[k], S_[2 * k + 1] = S2[k];
}

std::array<double, 2> PairGradient::operator()(double dx, double dy) const {
  const PairTables t = tables();
  std::array<double, 2> g{};
  switch (kind_) {
    case KernelKind::gaussian:
      pair_at<KernelKind::gaussian>(t, dx, dy, g[0], g[1]);
      break;
    case KernelKind::cai:
      pair_at<KernelKind::cai>(t, dx, dy, g[0], g[1]);
      break;
    case KernelKind::bump:
      pair_at<KernelKind::bump>(t, dx, dy, g[0], g[1]);
      break;
  }
  return g;
}

void PairGradient::gradients(double x0, double y0, const double* x, const double* y,
                             std::size_t count, Direction direction, double* gx, double* gy) const {
  pair_rows(tables(), kind_, direction, x0, y0, x, y, count, gx, gy);
}

// ---------------------------------------------------------------------------------------
// Direct pair sum

namespace {
// F_i = -(b_i/n) (strength) times the pair sums: the last step of both loops.
void scale_by_sign(std::span<const int> b, double inv_n, std::span<double> fx,
                   std::span<double> fy) {
  for (std::size_t i = 0; i < fx.size(); ++i) {
    fx[i] *= -b[i] * inv_n;
    fy[i] *= -b[i] * inv_n;
  }
}
}  // namespace

void DirectForce::compute(std::span<const double> x, std::span<const double> y,
                          std::span<const int> b, ParticleBlock block, std::span<double> fx,
                          std::span<double> fy) {
  if (loop_ == Loop::scalar) return compute_scalar(x, y, b, block, fx, fy);
  const std::size_t n = x.size();
  const double inv_n = strength_ / double(n);
  using D = PairGradient::Direction;
  gx_.resize(n);
  gy_.resize(n);
  double* gx = gx_.data();
  double* gy = gy_.data();
  if (block.lo == 0 && block.hi == n) {
    std::fill(fx.begin(), fx.end(), 0.0);
    std::fill(fy.begin(), fy.end(), 0.0);
    // Each unordered pair once: grad V_delta is odd. Particle j collects -b_i g(x_i - x_j)
    // from the rows i < j, in order, then its own row's sum over k > j.
    for (std::size_t i = 0; i + 1 < n; ++i) {
      const std::size_t m = n - i - 1;  // row i: g(x_i - x_j), j = i + 1 + k
      grad_.gradients(x[i], y[i], x.data() + i + 1, y.data() + i + 1, m, D::from, gx, gy);
      const double bi = b[i];
      double* fxj = fx.data() + i + 1;
      double* fyj = fy.data() + i + 1;
      for (std::size_t k = 0; k < m; ++k) {
        fxj[k] -= bi * gx[k];
        fyj[k] -= bi * gy[k];
      }
      double ax = 0, ay = 0;
      for (std::size_t k = 0; k < m; ++k) {
        ax += b[i + 1 + k] * gx[k];
        ay += b[i + 1 + k] * gy[k];
      }
      fx[i] += ax;
      fy[i] += ay;
    }
    scale_by_sign(b, inv_n, fx, fy);
    return;
  }
  // A block: the same two partial sums per particle, evaluated from its own row.
  for (std::size_t j = block.lo; j < block.hi; ++j) {
    double cx = 0, cy = 0, ax = 0, ay = 0;
    grad_.gradients(x[j], y[j], x.data(), y.data(), j, D::towards, gx, gy);  // g(x_i - x_j)
    for (std::size_t i = 0; i < j; ++i) {
      cx -= b[i] * gx[i];
      cy -= b[i] * gy[i];
    }
    const std::size_t m = n - j - 1;  // g(x_j - x_k), k = j + 1 + l
    grad_.gradients(x[j], y[j], x.data() + j + 1, y.data() + j + 1, m, D::from, gx, gy);
    for (std::size_t l = 0; l < m; ++l) {
      ax += b[j + 1 + l] * gx[l];
      ay += b[j + 1 + l] * gy[l];
    }
    fx[j] = (cx + ax) * (-b[j] * inv_n);
    fy[j] = (cy + ay) * (-b[j] * inv_n);
  }
}

// One pair at a time (Loop::scalar): the sums and their order of compute() below.
void DirectForce::compute_scalar(std::span<const double> x, std::span<const double> y,
                                 std::span<const int> b, ParticleBlock block, std::span<double> fx,
                                 std::span<double> fy) const {
  const std::size_t n = x.size();
  const double inv_n = strength_ / double(n);
  auto pair = [&](std::size_t i, std::size_t j) {  // grad V_delta(x_i - x_j), nearest image
    double dx = x[i] - x[j], dy = y[i] - y[j];
    dx += (dx < -0.5) - (dx >= 0.5);
    dy += (dy < -0.5) - (dy >= 0.5);
    return grad_(dx, dy);
  };
  if (block.lo == 0 && block.hi == n) {
    std::fill(fx.begin(), fx.end(), 0.0);
    std::fill(fy.begin(), fy.end(), 0.0);
    // Each unordered pair once: grad V_delta is odd. Particle j collects -b_i g(x_i - x_j)
    // from the rows i < j, in order, then its own row's sum over k > j.
    for (std::size_t i = 0; i < n; ++i) {
      double ax = 0, ay = 0;
      for (std::size_t j = i + 1; j < n; ++j) {
        const auto g = pair(i, j);
        ax += b[j] * g[0];
        ay += b[j] * g[1];
        fx[j] -= b[i] * g[0];
        fy[j] -= b[i] * g[1];
      }
      fx[i] += ax;
      fy[i] += ay;
    }
    scale_by_sign(b, inv_n, fx, fy);
    return;
  }
  // A block: the same two partial sums per particle, evaluated from its own row.
  for (std::size_t j = block.lo; j < block.hi; ++j) {
    double cx = 0, cy = 0, ax = 0, ay = 0;
    for (std::size_t i = 0; i < j; ++i) {
      const auto g = pair(i, j);
      cx -= b[i] * g[0];
      cy -= b[i] * g[1];
    }
    for (std::size_t k = j + 1; k < n; ++k) {
      const auto g = pair(j, k);
      ax += b[k] * g[0];
      ay += b[k] * g[1];
    }
    fx[j] = (cx + ax) * (-b[j] * inv_n);
    fy[j] = (cy + ay) * (-b[j] * inv_n);
  }
}

// ---------------------------------------------------------------------------------------
// Particle mesh

namespace {

// |W(q)| for one dimension: sinc(pi q / M)^p, the transform of the order-p B-spline.
inline double spline_hat(double q, int M, int p) {
  if (q == 0) return 1;
  const double a = kPi * q / M;
  return std::pow(std::sin(a) / a, p);
}

constexpr int kAliasRange = 3;  // images m in [-3, 3]^2

// h(r) = 2 pi Vhat_delta(r^2) on r in [r0, r1], for the aliased images (cubic, spacing 1/8).
struct RadialMultiplier {
  double r0 = 0, dr = 0.125;
  std::vector<double> v;
  const Kernel* kernel = nullptr;
  RadialMultiplier(const Kernel& k, double lo, double hi) : r0(std::max(lo - 1, 0.5)), kernel(&k) {
    const int count = static_cast<int>((hi - r0) / dr) + 4;
    v.resize(count);
    for (int i = 0; i < count; ++i) {
      const double r = r0 + (i - 1) * dr;
      v[i] = kTwoPi * k.vhat(r * r);
    }
  }
  double operator()(double r) const {
    const double u = (r - r0) / dr + 1;
    const int i = static_cast<int>(u);
    const auto w = detail::cubic_weights(u - i);
    return w[0] * v[i - 1] + w[1] * v[i] + w[2] * v[i + 1] + w[3] * v[i + 2];
  }
};

// Calls f(k1, k2, T1, T2, E) for every mode of the full M x M plane (k in [-M/2, M/2)),
// with the optimal influence function T (imaginary parts) and the residual error energy E
// of that mode, and returns the signal energy sum_q |G(q)|^2 over the same images.
template <class F>
double influence(const Kernel& kernel, int M, int p, bool half_plane, F&& f) {
  const int R = kAliasRange;
  const double rmax = std::sqrt(2.0) * (R + 0.5) * M + 2;
  const RadialMultiplier h(kernel, 0.5 * M, rmax);
  std::vector<double> S1(M);
  for (int i = 0; i < M; ++i) {
    const int k = i < M / 2 ? i : i - M;
    double s = 0;
    for (int m = -R; m <= R; ++m) {
      const double w = spline_hat(k + double(M) * m, M, p);
      s += w * w;
    }
    S1[i] = s;
  }
  double signal = 0;
  const int jmax = half_plane ? M / 2 + 1 : M;
  for (int i = 0; i < M; ++i) {
    const int k1 = i < M / 2 ? i : i - M;
    for (int j = 0; j < jmax; ++j) {
      const int k2 = half_plane ? j : (j < M / 2 ? j : j - M);
      if (k1 == 0 && k2 == 0) {
        f(i, j, 0.0, 0.0, 0.0);
        continue;
      }
      const bool nyquist = (k1 == -M / 2) || (std::abs(k2) == M / 2);
      double num1 = 0, num2 = 0, e = 0;
      for (int m1 = -R; m1 <= R; ++m1) {
        const double q1 = k1 + double(M) * m1;
        const double w1 = spline_hat(q1, M, p);
        for (int m2 = -R; m2 <= R; ++m2) {
          const double q2 = k2 + double(M) * m2;
          const double w2 = spline_hat(q2, M, p);
          const double r2 = q1 * q1 + q2 * q2;
          if (r2 == 0) continue;
          const double hv = (m1 == 0 && m2 == 0) ? kTwoPi * kernel.vhat(r2) : h(std::sqrt(r2));
          const double G1 = q1 * hv, G2 = q2 * hv;  // imaginary parts of G(q)
          const double w = w1 * w1 * w2 * w2;
          num1 += w * G1;
          num2 += w * G2;
          e += G1 * G1 + G2 * G2;
        }
      }
      signal += e;
      const double S = S1[i] * S1[half_plane ? j : (j < M / 2 ? j : j)];
      double T1 = 0, T2 = 0;
      if (!nyquist) {
        T1 = num1 / (S * S);
        T2 = num2 / (S * S);
        e -= (num1 * num1 + num2 * num2) / (S * S);
      }
      f(i, j, T1, T2, std::max(e, 0.0));
    }
  }
  return signal;
}

}  // namespace

double pm_error_estimate(const Kernel& kernel, int M, int order) {
  double error = 0;
  const double signal =
      influence(kernel, M, order, false, [&](int, int, double, double, double e) { error += e; });
  return std::sqrt(error / signal);
}

MeshChoice choose_mesh(const Kernel& kernel, double tolerance, long n) {
  // FFT-friendly sizes 2^a and 3 * 2^a.
  std::vector<int> sizes;
  for (int s = 16; s <= 2048; s *= 2) {
    sizes.push_back(s);
    if (3 * s / 2 <= 2048) sizes.push_back(3 * s / 2);
  }
  std::sort(sizes.begin(), sizes.end());
  MeshChoice best;
  double best_cost = std::numeric_limits<double>::infinity();
  for (int p : {4, 6, 8}) {
    for (int M : sizes) {
      // Cost model (ns): spreading and two interpolations, p^2 each, plus three FFTs.
      const double cost = double(n) * (3.0 * p * p + 30) + 4.5 * M * M * std::log2(double(M) * M);
      if (cost >= best_cost) break;
      const double e = pm_error_estimate(kernel, M, p);
      if (e <= 0.5 * tolerance) {  // a factor 2 for the estimate's own uncertainty
        best = {M, p, e};
        best_cost = cost;
        break;
      }
    }
  }
  return best;  // M == 0: no mesh up to 2048 reaches the tolerance
}

ParticleMesh::ParticleMesh(const Kernel& kernel, MeshChoice mesh, MPI_Comm comm)
    : mesh_(mesh), grid_(comm, std::max(mesh.M, 4)) {
  const int M = mesh_.M;
  if (M < 8 || mesh_.order < 2 || mesh_.order > 10 || mesh_.order % 2 != 0)
    throw std::invalid_argument("ParticleMesh: need M >= 8 and an even order <= 10");
  // This rank's spectral lines (ky), in the grid's transposed layout. The grid's inverse
  // transform divides by M^2; the influence function carries it back.
  const double scale = double(M) * double(M);
  const int first_ky = grid_.spectral_ky(0), lines = grid_.spectral_lines();
  T1_.assign(grid_.spectral_size(), 0.0);
  T2_.assign(grid_.spectral_size(), 0.0);
  influence(kernel, M, mesh_.order, true, [&](int i, int ky, double t1, double t2, double) {
    const int c = ky - first_ky;
    if (c < 0 || c >= lines) return;
    T1_[std::size_t(c) * M + i] = scale * t1;
    T2_[std::size_t(c) * M + i] = scale * t2;
  });
  rho_.resize(grid_.real_size());
  charges_.resize(std::size_t(M) * M);
  rhohat_.resize(grid_.spectral_size());
  work_.resize(grid_.spectral_size());
  field1_.resize(std::size_t(M) * M);
  field2_.resize(field1_.size());
  int size = 1;
  MPI_Comm_size(comm, &size);
  if (size > 1) {
    slab_.resize(grid_.real_size());
    slab_charges_.resize(grid_.real_size());
    const int mine[2] = {grid_.local_rows() * M, grid_.row_start() * M};
    std::vector<int> all(2 * std::size_t(size));
    MPI_Allgather(mine, 2, MPI_INT, all.data(), 2, MPI_INT, comm);
    counts_.resize(size);
    displs_.resize(size);
    for (int r = 0; r < size; ++r) {
      counts_[r] = all[2 * r];
      displs_[r] = all[2 * r + 1];
    }
  }
}

namespace {
// Weights of the P nodes floor(u) - P/2 + 1 + c, c = 0..P-1, of the centred order-P
// B-spline at u: w_c = M_P(t + P - 1 - c), t = u - floor(u), by the Cox-de Boor recursion
// (P a compile-time constant: the loops unroll and the divisions become products).
template <int P>
inline void spline_weights(double t, double* w) {
  double a[P];
  a[0] = t;  // M_2(t + j), j = 0, 1
  a[1] = 1 - t;
  for (int k = 3; k <= P; ++k) {
    const double inv = 1.0 / (k - 1);
    a[k - 1] = 0;
    for (int j = k - 1; j >= 0; --j) {
      const double left = j > 0 ? a[j - 1] : 0.0;
      a[j] = ((t + j) * a[j] + (k - t - j) * left) * inv;
    }
  }
  for (int c = 0; c < P; ++c) w[c] = a[P - 1 - c];
}

template <int P>
struct Stencil {
  double wx[P], wy[P];
  int ix[P], iy[P];
  void at(double x, double y, int M) {
    const double u = x * M, v = y * M;
    const double fu = std::floor(u), fv = std::floor(v);
    spline_weights<P>(u - fu, wx);
    spline_weights<P>(v - fv, wy);
    // First node index wrapped once, then stepped (no division per node).
    int i0 = static_cast<int>(fu) - P / 2 + 1, j0 = static_cast<int>(fv) - P / 2 + 1;
    i0 += i0 < 0 ? M : 0;
    j0 += j0 < 0 ? M : 0;
    for (int c = 0; c < P; ++c) {
      ix[c] = i0 + c < M ? i0 + c : i0 + c - M;
      iy[c] = j0 + c < M ? j0 + c : j0 + c - M;
    }
  }
};

// Charges are summed in fixed point, units of 2^-62: integer sums are exact in any order,
// so the mesh is the same bits however the particles are split over ranks. |charge| <= 1
// at every node (the weights of a particle sum to 1 and sum_k |q_k| = 1): no overflow;
// each term is truncated by less than 2^-62 (2e-19), far below double rounding of the sum.
constexpr double kChargeUnit = 4611686018427387904.0;  // 2^62
constexpr double kChargeUnitInverse = 1.0 / kChargeUnit;

// Charges of the particles in `block` on the whole M x M mesh (fixed point, added).
template <int P>
void spread(std::span<const double> x, std::span<const double> y, std::span<const int> b,
            ParticleBlock block, int M, std::int64_t* mesh) {
  const double qn = kChargeUnit / double(x.size());
  Stencil<P> s;
  for (std::size_t k = block.lo; k < block.hi; ++k) {
    s.at(x[k], y[k], M);
    const double q = b[k] * qn;
    for (int a = 0; a < P; ++a) {
      std::int64_t* row = mesh + std::size_t(s.ix[a]) * M;
      const double qa = q * s.wx[a];
      for (int c = 0; c < P; ++c) row[s.iy[c]] += static_cast<std::int64_t>(qa * s.wy[c]);
    }
  }
}

template <int P>
void interpolate(std::span<const double> x, std::span<const double> y, std::span<const int> b,
                 ParticleBlock block, int M, const double* field1, const double* field2,
                 std::span<double> fx, std::span<double> fy) {
  Stencil<P> s;
  for (std::size_t k = block.lo; k < block.hi; ++k) {
    s.at(x[k], y[k], M);
    double e1 = 0, e2 = 0;
    for (int a = 0; a < P; ++a) {
      const std::size_t row = std::size_t(s.ix[a]) * M;
      double r1 = 0, r2 = 0;
      for (int c = 0; c < P; ++c) {
        r1 += s.wy[c] * field1[row + s.iy[c]];
        r2 += s.wy[c] * field2[row + s.iy[c]];
      }
      e1 += s.wx[a] * r1;
      e2 += s.wx[a] * r2;
    }
    fx[k] = -b[k] * e1;
    fy[k] = -b[k] * e2;
  }
}

template <class F>
void with_order(int p, F&& f) {
  switch (p) {
    case 2:
      return f(std::integral_constant<int, 2>{});
    case 4:
      return f(std::integral_constant<int, 4>{});
    case 6:
      return f(std::integral_constant<int, 6>{});
    case 8:
      return f(std::integral_constant<int, 8>{});
    case 10:
      return f(std::integral_constant<int, 10>{});
    default:
      throw std::invalid_argument("ParticleMesh: order must be 2, 4, 6, 8 or 10");
  }
}
}  // namespace

void ParticleMesh::compute(std::span<const double> x, std::span<const double> y,
                           std::span<const int> b, ParticleBlock block, std::span<double> fx,
                           std::span<double> fy) {
  const int M = mesh_.M;
  std::fill(charges_.begin(), charges_.end(), 0);
  with_order(mesh_.order, [&](auto P) { spread<P()>(x, y, b, block, M, charges_.data()); });
  const bool shared = !counts_.empty();
  const std::int64_t* rows = charges_.data();
  if (shared) {
    // Each rank's rows, summed over the ranks' blocks (exact: integers).
    MPI_Reduce_scatter(charges_.data(), slab_charges_.data(), counts_.data(), MPI_INT64_T, MPI_SUM,
                       grid_.comm());
    rows = slab_charges_.data();
  }
  for (std::size_t k = 0; k < rho_.size(); ++k) rho_[k] = double(rows[k]) * kChargeUnitInverse;
  grid_.forward(rho_.data(), rhohat_.data());
  for (int comp = 0; comp < 2; ++comp) {
    const std::vector<double>& T = comp == 0 ? T1_ : T2_;
    // (a + ib)(i T) = -b T + i a T
    for (std::size_t k = 0; k < work_.size(); ++k)
      work_[k] = cplx(-rhohat_[k].imag() * T[k], rhohat_[k].real() * T[k]);
    std::vector<double>& field = comp == 0 ? field1_ : field2_;
    if (!shared) {
      grid_.backward(work_.data(), field.data());
      continue;
    }
    grid_.backward(work_.data(), slab_.data());
    MPI_Allgatherv(slab_.data(), int(slab_.size()), MPI_DOUBLE, field.data(), counts_.data(),
                   displs_.data(), MPI_DOUBLE, grid_.comm());
  }
  with_order(mesh_.order, [&](auto P) {
    interpolate<P()>(x, y, b, block, M, field1_.data(), field2_.data(), fx, fy);
  });
}

// ---------------------------------------------------------------------------------------

std::unique_ptr<ForceField> make_force_field(const Kernel& kernel, const std::string& method,
                                             double pm_tolerance, long n, MPI_Comm comm) {
  if (method == "direct") return std::make_unique<DirectForce>(kernel);
  // Relative errors: chosen at strength 1 (the strength scales the influence function).
  const MeshChoice mesh = choose_mesh(kernel.unit(), pm_tolerance, n);
  if (method == "pm") {
    if (mesh.M == 0)
      throw InputError(
          "sde.force = \"pm\": no particle mesh up to 2048^2 reaches sde.pm_tolerance for this "
          "kernel and delta; use sde.force = \"direct\" or a larger sde.pm_tolerance");
    return std::make_unique<ParticleMesh>(kernel, mesh, comm);
  }
  // auto: direct costs about 12 ns per pair (dislo-bench direct_sum_vectorised, AVX-512)
  // and particle-mesh follows choose_mesh's model.
  const double direct_cost = 12.0 * 0.5 * double(n) * double(n);
  const double pm_cost = mesh.M == 0
                             ? std::numeric_limits<double>::infinity()
                             : double(n) * (3.0 * mesh.order * mesh.order + 30) +
                                   4.5 * mesh.M * mesh.M * std::log2(double(mesh.M) * mesh.M);
  if (direct_cost <= pm_cost) return std::make_unique<DirectForce>(kernel);
  return std::make_unique<ParticleMesh>(kernel, mesh, comm);
}

}  // namespace dislo
