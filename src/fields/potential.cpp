// The regularised interaction potential (models.md sections 2 and 6); see docs/potential.md.
#include "dislo/potential.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <numbers>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

namespace dislo {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kTwoPi = 2 * std::numbers::pi;
constexpr int kMaxFft = 8192;            // memory guard on the FFT size
constexpr int kBumpNodes = 2048;         // Gauss-Legendre nodes of the bump Hankel transform
constexpr double kBumpMaxQ = 2500;       // phihat_bump accurate to 1e-14 up to here (measured)
constexpr int kPieceNodes = 32;          // nodes per piece of the graded radial quadratures
constexpr double kTailRelative = 1e-12;  // truncated tail relative to max|grad V_delta|

// Gauss-Legendre rule on [-1, 1], by Newton on the three-term recurrence; cached.
struct GaussLegendre {
  std::vector<double> x, w;
};

GaussLegendre compute_gauss_legendre(int n) {
  GaussLegendre g;
  g.x.resize(n);
  g.w.resize(n);
  for (int i = 0; i < (n + 1) / 2; ++i) {
    double z = std::cos(kPi * (i + 0.75) / (n + 0.5));
    double dp = 1;
    for (int it = 0; it < 100; ++it) {
      double p0 = 1, p1 = z;
      for (int k = 2; k <= n; ++k) {
        const double p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      if (n == 1) p0 = 1;
      dp = n * (z * p1 - p0) / (z * z - 1);
      const double dz = p1 / dp;
      z -= dz;
      if (std::abs(dz) < 1e-16) break;
    }
    // Recompute the derivative at the converged node for the weight.
    double p0 = 1, p1 = z;
    for (int k = 2; k <= n; ++k) {
      const double p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
      p0 = p1;
      p1 = p2;
    }
    if (n == 1) p0 = 1;
    dp = n * (z * p1 - p0) / (z * z - 1);
    const double w = 2 / ((1 - z * z) * dp * dp);
    g.x[i] = -z;
    g.x[n - 1 - i] = z;
    g.w[i] = g.w[n - 1 - i] = w;
  }
  if (n % 2 == 1) g.x[n / 2] = 0;
  return g;
}

const GaussLegendre& gauss_legendre(int n) {
  static std::mutex mutex;
  static std::map<int, GaussLegendre> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(n);
  if (it == cache.end()) it = cache.emplace(n, compute_gauss_legendre(n)).first;
  return it->second;
}

// integral of f over [a, b], one Gauss-Legendre rule.
template <class F>
double gl_integrate(const F& f, double a, double b, int n) {
  const GaussLegendre& g = gauss_legendre(n);
  const double h = 0.5 * (b - a), c = 0.5 * (b + a);
  double s = 0;
  for (int i = 0; i < n; ++i) s += g.w[i] * f(c + h * g.x[i]);
  return s * h;
}

// integral over [lo, hi] within [0, 1], split at a partition graded geometrically towards 1
// (the flat end of exp(-1/(1-s^2))) and, if grade0, towards 0 (log s singularity). Each
// piece's nearest singularity is at least its own length away: geometric convergence.
template <class F>
double integrate_unit(const F& f, double lo, double hi, bool grade0) {
  if (!(hi > lo)) return 0;
  std::vector<double> br{lo, hi};
  for (int k = 1; k <= 12; ++k) {
    const double b = 1 - std::ldexp(1.0, -k);
    if (b > lo && b < hi) br.push_back(b);
  }
  if (grade0) {
    for (int k = 2; k <= 60; ++k) {
      const double b = std::ldexp(1.0, -k);
      if (b > lo && b < hi) br.push_back(b);
    }
  }
  std::sort(br.begin(), br.end());
  double s = 0;
  for (std::size_t i = 0; i + 1 < br.size(); ++i)
    s += gl_integrate(f, br[i], br[i + 1], kPieceNodes);
  return s;
}

// Unnormalised bump profile exp(-1/(1 - r^2)) on the unit disc.
double bump_shape(double r) {
  const double d = 1 - r * r;
  return d > 0 ? std::exp(-1 / d) : 0.0;
}

// 1 / integral of bump_shape over R^2 = 1 / (pi E2(1)), E2(1) = exp(-1) - E1(1).
double bump_norm() {
  const double e1 = -std::expint(-1.0);
  return 1 / (kPi * (std::exp(-1.0) - e1));
}

double expint_e1(double u) { return u > 700 ? 0.0 : -std::expint(-u); }

// Vhat_delta on the quarter (N/2+1)^2 of |k1|, |k2| (symmetric in the two).
std::vector<double> vhat_quarter(const Kernel& kernel, int N) {
  const int h = N / 2;
  std::vector<double> q(static_cast<std::size_t>(h + 1) * (h + 1));
  for (int a = 0; a <= h; ++a)
    for (int b = 0; b <= a; ++b) {
      const double v = kernel.vhat(static_cast<double>(a) * a + static_cast<double>(b) * b);
      q[static_cast<std::size_t>(a) * (h + 1) + b] = v;
      q[static_cast<std::size_t>(b) * (h + 1) + a] = v;
    }
  return q;
}

// Inverse FFT of (2 pi i k1)^da (2 pi i k2)^db Vhat(k) over the box [-N/2, N/2)^2, sampled at
// every m-th point. Nyquist modes: kept for even order in that direction (the series is then
// symmetric on the grid), zeroed for odd order (an odd multiplier has no real Nyquist value).
class Synthesizer {
 public:
  Synthesizer(const Kernel& kernel, int N) : N_(N), h_(N / 2), vq_(vhat_quarter(kernel, N)) {
    in_ = fftw_alloc_complex(static_cast<std::size_t>(N) * (h_ + 1));
    out_ = fftw_alloc_real(static_cast<std::size_t>(N) * N);
    if (in_ == nullptr || out_ == nullptr) throw std::bad_alloc();
    plan_ = fftw_plan_dft_c2r_2d(N, N, in_, out_, FFTW_ESTIMATE);
  }
  Synthesizer(const Synthesizer&) = delete;
  Synthesizer& operator=(const Synthesizer&) = delete;
  ~Synthesizer() {
    fftw_destroy_plan(plan_);
    fftw_free(in_);
    fftw_free(out_);
  }

  std::vector<double> field(int da, int db, int G) {
    const int N = N_, h = h_;
    const int order = da + db;
    const bool even = N % 2 == 0;  // odd N has no Nyquist mode
    for (int i = 0; i < N; ++i) {
      const int k1 = i <= h ? i : i - N;
      const bool zero_row = even && (da % 2 == 1) && i == h;
      const double f1 = da == 0 ? 1.0 : std::pow(kTwoPi * k1, da);
      const double* vrow = vq_.data() + static_cast<std::size_t>(std::abs(k1)) * (h + 1);
      fftw_complex* row = in_ + static_cast<std::size_t>(i) * (h + 1);
      for (int j = 0; j <= h; ++j) {
        double v = zero_row ? 0.0 : vrow[j] * f1;
        if (db > 0) v *= std::pow(kTwoPi * j, db);
        if (even && (db % 2 == 1) && j == h) v = 0;
        // i^order
        switch (order % 4) {
          case 0:
            row[j][0] = v;
            row[j][1] = 0;
            break;
          case 1:
            row[j][0] = 0;
            row[j][1] = v;
            break;
          case 2:
            row[j][0] = -v;
            row[j][1] = 0;
            break;
          default:
            row[j][0] = 0;
            row[j][1] = -v;
            break;
        }
      }
    }
    fftw_execute(plan_);
    const int m = N / G;
    std::vector<double> r(static_cast<std::size_t>(G) * G);
    for (int i = 0; i < G; ++i) {
      const double* src = out_ + static_cast<std::size_t>(i) * m * N;
      double* dst = r.data() + static_cast<std::size_t>(i) * G;
      for (int j = 0; j < G; ++j) dst[j] = src[static_cast<std::size_t>(j) * m];
    }
    return r;
  }

 private:
  int N_, h_;
  std::vector<double> vq_;
  fftw_complex* in_ = nullptr;
  double* out_ = nullptr;
  fftw_plan plan_ = nullptr;
};

// A lower estimate of max|grad V_delta|: 0.9 times the free-space maximum of M(r)/(2 pi r)
// (the periodic correction near the core is O(delta) relative to 1/delta).
double grad_reference(const Kernel& kernel) {
  double best = 0;
  const double d = kernel.delta();
  for (int i = 1; i <= 400; ++i) {
    const double r = d * 0.01 * i;
    best = std::max(best, kernel.enclosed_mass(r) / (kTwoPi * r));
  }
  return 0.9 * best;
}

std::string describe(const Kernel& kernel) {
  std::ostringstream os;
  os << to_string(kernel.kind()) << " delta=" << kernel.delta();
  return os.str();
}

// The smallest multiple N = m G with tail(N) < target; throws, naming the required N,
// when that exceeds kMaxFft.
int choose_fft_size(const Kernel& tail_kernel, const Kernel& kernel, int G, double target,
                    double* bound) {
  for (long N = G; N <= kMaxFft; N += G) {
    const double b = fft_tail_bound(tail_kernel, static_cast<int>(N));
    if (b < target) {
      *bound = b;
      return static_cast<int>(N);
    }
  }
  long need = kMaxFft;
  while (need < (1L << 24) && !(fft_tail_bound(tail_kernel, static_cast<int>(need)) < target))
    need *= 2;
  std::ostringstream os;
  os << "potential: " << describe(kernel) << " at G=" << G << " needs FFT size N ~ " << need
     << " > " << kMaxFft << " (memory guard)";
  throw std::runtime_error(os.str());
}

struct Fields {
  PotentialTable table;
  std::vector<double> H11, H12, H22;
};

Fields spectral_fields(const Kernel& kernel, int G, int N, bool hessian) {
  Fields f;
  Synthesizer s(kernel, N);
  f.table.G = G;
  f.table.fft_size = N;
  f.table.V = s.field(0, 0, G);
  f.table.dV1 = s.field(1, 0, G);
  f.table.dV2 = s.field(0, 1, G);
  if (hessian) {
    f.H11 = s.field(2, 0, G);
    f.H12 = s.field(1, 1, G);
    f.H22 = s.field(0, 2, G);
  }
  return f;
}

// The bump's exact radial correction C(x) = V_bump - V_gauss(eta) (models.md section 6).
class BumpCorrection {
 public:
  BumpCorrection(double delta, double eta) : delta_(delta), eta_(eta), c_(bump_norm()) {
    constant_ = (bump_second_moment() * delta * delta - 2 * eta * eta) / 4;
    // integral_0^1 log(s) 2 pi s phi_1(s) ds, the r = 0 value of the log moment.
    log_moment_total_ = log_moment(0);
  }
  // C and the factor g with grad C = g x, at r^2 = r2.
  std::pair<double, double> operator()(double r2) const {
    const double r = std::sqrt(r2);
    const double u = r2 / (2 * eta_ * eta_);
    if (r >= delta_) {
      if (u > 745) return {constant_, 0.0};
      return {expint_e1(u) / (4 * kPi) + constant_, -std::exp(-u) / (kTwoPi * r2)};
    }
    const double rho = r / delta_;
    const double M = mass(rho);
    const double log_phi = (r > 0 ? M * std::log(r) : 0.0) + std::log(delta_) * (1 - M) +
                           (r > 0 ? log_moment(rho) : log_moment_total_);
    const double log_gauss = r > 0 ? std::log(r) + 0.5 * expint_e1(u)
                                   : 0.5 * (std::log(2 * eta_ * eta_) - std::numbers::egamma);
    const double C = -(log_phi - log_gauss) / kTwoPi + constant_;
    const double g = r > 0 ? -(M + std::expm1(-u)) / (kTwoPi * r2) : 0.0;
    return {C, g};
  }

 private:
  double mass(double rho) const {
    return integrate_unit([this](double s) { return kTwoPi * s * c_ * bump_shape(s); }, 0, rho,
                          true);
  }
  double log_moment(double rho) const {
    return integrate_unit(
        [this](double s) { return s > 0 ? std::log(s) * kTwoPi * s * c_ * bump_shape(s) : 0.0; },
        rho, 1, true);
  }
  double delta_, eta_, c_;
  double constant_ = 0, log_moment_total_ = 0;
};

}  // namespace

Kernel::Kernel(KernelKind kind, double delta, double strength)
    : kind_(kind), delta_(delta), strength_(strength) {
  if (!(delta > 0) || !std::isfinite(delta))
    throw std::invalid_argument("potential: delta must be positive and finite");
  if (!std::isfinite(strength)) throw std::invalid_argument("potential: strength must be finite");
  if (kind_ == KernelKind::bump) {
    bump_norm_ = bump_norm();
    const GaussLegendre& g = gauss_legendre(kBumpNodes);
    bump_nodes_.resize(kBumpNodes);
    bump_weights_.resize(kBumpNodes);
    for (int i = 0; i < kBumpNodes; ++i) {
      const double t = 0.5 * (1 + g.x[i]);
      const double w = 0.5 * g.w[i];
      // P(t) = integral over u in R of phi_1(sqrt(t^2 + u^2)) = 2 a int_0^1 phi_1 ds, u = a s.
      const double a2 = 1 - t * t;
      const double a = std::sqrt(a2);
      const double P = 2 * a * bump_norm_ *
                       integrate_unit(
                           [a2](double s) {
                             const double d = a2 * (1 - s * s);
                             return d > 0 ? std::exp(-1 / d) : 0.0;
                           },
                           0, 1, false);
      bump_nodes_[i] = t;
      bump_weights_[i] = 2 * w * P;
    }
  }
}

Kernel Kernel::of(const Study& study) {
  return Kernel(study.kernel, study.model.delta, study.potential_strength);
}

Kernel Kernel::unit() const {
  Kernel k = *this;
  k.strength_ = 1;
  return k;
}

double Kernel::max_q() const {
  return kind_ == KernelKind::bump ? kBumpMaxQ : std::numeric_limits<double>::infinity();
}

double Kernel::phihat(double k2) const {
  if (k2 <= 0) return 1.0;
  const double q = kTwoPi * std::sqrt(k2) * delta_;
  switch (kind_) {
    case KernelKind::gaussian:
      return std::exp(-2 * kPi * kPi * delta_ * delta_ * k2);
    case KernelKind::cai:
      if (q > 700) return 0.0;  // q K_1(q) < 1e-300
      return q * std::cyl_bessel_k(1.0, q);
    case KernelKind::bump: {
      // Beyond the resolved range the true |phihat| is below the round-off floor (2e-15 is
      // reached near q = 800 and it keeps decaying): return 0, an error below 1e-14.
      if (q > kBumpMaxQ) return 0.0;
      double s = 0;
      const std::size_t n = bump_nodes_.size();
      for (std::size_t i = 0; i < n; ++i) s += bump_weights_[i] * std::cos(q * bump_nodes_[i]);
      return s;
    }
  }
  return 0.0;
}

double Kernel::vhat(double k2) const {
  if (k2 <= 0) return 0.0;
  return strength_ * phihat(k2) / (4 * kPi * kPi * k2);
}

double Kernel::phi_free(double r) const {
  const double d2 = delta_ * delta_;
  switch (kind_) {
    case KernelKind::gaussian:
      return std::exp(-r * r / (2 * d2)) / (kTwoPi * d2);
    case KernelKind::cai: {
      const double s = r * r + d2;
      return d2 / (kPi * s * s);
    }
    case KernelKind::bump:
      return bump_norm_ * bump_shape(r / delta_) / d2;
  }
  return 0.0;
}

double Kernel::enclosed_mass(double r) const {
  if (r <= 0) return 0.0;
  const double d2 = delta_ * delta_;
  switch (kind_) {
    case KernelKind::gaussian:
      return -std::expm1(-r * r / (2 * d2));
    case KernelKind::cai:
      return r * r / (r * r + d2);
    case KernelKind::bump: {
      const double rho = std::min(r / delta_, 1.0);
      const double c = bump_norm_;
      return integrate_unit([c](double s) { return kTwoPi * s * c * bump_shape(s); }, 0, rho, true);
    }
  }
  return 0.0;
}

double bump_second_moment() {
  const double c = bump_norm();
  return integrate_unit([c](double s) { return kTwoPi * s * s * s * c * bump_shape(s); }, 0, 1,
                        false);
}

double bump_eta(double delta) { return std::min(delta / 2, 1.0 / 18); }

double fft_tail_bound(const Kernel& kernel, int N) {
  // Each mode k outside the box has |k| >= N/2; its term f(|k|) = |phihat|/(2 pi |k|) (f
  // decreasing) is at most the integral of f(|y| - sqrt2/2) over the unit cell around k.
  // Summing: <= integral_{s >= N/2 - sqrt2} (1 + (sqrt2/2)/s) |phihat(s)| ds (s = |k|).
  const double a = 0.5 * N - std::numbers::sqrt2;
  if (a <= 0.5) return std::numeric_limits<double>::infinity();
  const double c = std::numbers::sqrt2 / 2;
  const double d = kernel.delta();
  if (kernel.kind() == KernelKind::gaussian) {
    const double b = 2 * kPi * kPi * d * d;
    return (1 + c / a) * 0.5 * std::sqrt(kPi / b) * std::erfc(a * std::sqrt(b));
  }
  if (kernel.kind() == KernelKind::cai) {
    // q K_1(q) decreasing: pieces of one e-folding length 1/(2 pi delta).
    const double w = 1 / (kTwoPi * d);
    double total = 0;
    for (int p = 0; p < 2000; ++p) {
      const double lo = a + p * w, hi = lo + w;
      const double piece =
          gl_integrate([&](double s) { return (1 + c / s) * kernel.phihat(s * s); }, lo, hi, 16);
      total += piece;
      if (piece <= 1e-17 * total || kTwoPi * lo * d > 700) break;
    }
    return total;
  }
  // bump: |phihat| oscillates; integrate its decreasing envelope (running maximum from the
  // right of samples 0.02/delta apart, about 50 per oscillation) up to the accurate range,
  // and beyond it the accuracy floor 1e-14 times the remaining length is not needed since
  // |phihat| < 1e-14 there (docs/potential.md).
  const double smax = kernel.max_q() / (kTwoPi * d);
  if (a >= smax) return 0.0;  // beyond the resolvable range |phihat| < 1e-14 (tests)
  const double ds = 0.02 / d;
  const int n = static_cast<int>((smax - a) / ds) + 1;
  std::vector<double> v(n);
  for (int j = 0; j < n; ++j) {
    const double s = a + j * ds;
    v[j] = std::abs(kernel.phihat(s * s));
  }
  double env = 0, total = 0;
  for (int j = n - 1; j >= 0; --j) {
    env = std::max(env, v[j]);
    const double s = a + j * ds;
    total += ds * (1 + c / s) * env;
  }
  return total;
}

PotentialTable tabulate_fft(const Kernel& kernel, int G, int N) {
  if (G < 1 || N < G || N % G != 0)
    throw std::invalid_argument("potential: FFT size must be a positive multiple of G");
  if (N > kMaxFft) {
    std::ostringstream os;
    os << "potential: " << describe(kernel) << " FFT size N=" << N << " > " << kMaxFft;
    throw std::runtime_error(os.str());
  }
  Fields f = spectral_fields(kernel, G, N, false);  // vhat carries the strength
  f.table.truncation_bound = std::abs(kernel.strength()) * fft_tail_bound(kernel, N);
  return std::move(f.table);
}

namespace {

void scale_fields(Fields& f, double strength) {
  for (auto* v : {&f.table.V, &f.table.dV1, &f.table.dV2, &f.H11, &f.H12, &f.H22})
    for (double& x : *v) x *= strength;
  f.table.truncation_bound *= std::abs(strength);
}

Fields tabulate_fields(const Kernel& kernel, int G, bool hessian) {
  if (G < 1) throw std::invalid_argument("potential: table size G must be positive");
  if (kernel.strength() != 1) {
    // The FFT size is chosen for a tail relative to max |grad V_delta| at strength 1.
    Fields f = tabulate_fields(kernel.unit(), G, hessian);
    scale_fields(f, kernel.strength());
    return f;
  }
  if (kernel.kind() != KernelKind::bump) {
    double bound = 0;
    const int N =
        choose_fft_size(kernel, kernel, G, kTailRelative * grad_reference(kernel), &bound);
    Fields f = spectral_fields(kernel, G, N, hessian);
    f.table.truncation_bound = bound;
    return f;
  }
  const double delta = kernel.delta();
  if (delta > 0.25) {
    std::ostringstream os;
    os << "potential: bump hybrid table needs delta <= 1/4 (got " << delta << ")";
    throw std::runtime_error(os.str());
  }
  const double eta = bump_eta(delta);
  const Kernel gauss(KernelKind::gaussian, eta);
  // The tail target refers to the bump's own max|grad|.
  double bound = 0;
  const int N = choose_fft_size(gauss, kernel, G, kTailRelative * grad_reference(kernel), &bound);
  Fields f = spectral_fields(gauss, G, N, false);
  f.table.truncation_bound = bound;
  const BumpCorrection corr(delta, eta);
  std::unordered_map<long, std::pair<double, double>> cache;
  for (int i = 0; i < G; ++i) {
    const long ii = 2 * i < G ? i : i - G;
    for (int j = 0; j < G; ++j) {
      const long jj = 2 * j < G ? j : j - G;
      const long key = ii * ii + jj * jj;
      const double r2 = static_cast<double>(key) / (static_cast<double>(G) * G);
      std::pair<double, double> cg;
      if (r2 < delta * delta) {
        auto it = cache.find(key);
        if (it == cache.end()) it = cache.emplace(key, corr(r2)).first;
        cg = it->second;
      } else {
        cg = corr(r2);
      }
      const std::size_t idx = static_cast<std::size_t>(i) * G + j;
      f.table.V[idx] += cg.first;
      f.table.dV1[idx] += cg.second * static_cast<double>(ii) / G;
      f.table.dV2[idx] += cg.second * static_cast<double>(jj) / G;
    }
  }
  if (hessian) {
    // Fourth-order central differences of the gradient table (periodic).
    const double h = 1.0 / G;
    const auto at = [G](const std::vector<double>& v, int i, int j) {
      return v[static_cast<std::size_t>((i % G + G) % G) * G + (j % G + G) % G];
    };
    const std::size_t n = static_cast<std::size_t>(G) * G;
    f.H11.resize(n);
    f.H12.resize(n);
    f.H22.resize(n);
    const auto& g1 = f.table.dV1;
    const auto& g2 = f.table.dV2;
    for (int i = 0; i < G; ++i)
      for (int j = 0; j < G; ++j) {
        const std::size_t idx = static_cast<std::size_t>(i) * G + j;
        const auto d1 = [&](const std::vector<double>& v) {
          return (-at(v, i + 2, j) + 8 * at(v, i + 1, j) - 8 * at(v, i - 1, j) + at(v, i - 2, j)) /
                 (12 * h);
        };
        const auto d2 = [&](const std::vector<double>& v) {
          return (-at(v, i, j + 2) + 8 * at(v, i, j + 1) - 8 * at(v, i, j - 1) + at(v, i, j - 2)) /
                 (12 * h);
        };
        f.H11[idx] = d1(g1);
        f.H22[idx] = d2(g2);
        f.H12[idx] = 0.5 * (d2(g1) + d1(g2));
      }
  }
  return f;
}

}  // namespace

PotentialTable tabulate(const Kernel& kernel, int G) {
  return std::move(tabulate_fields(kernel, G, false).table);
}

KernelConstants kernel_constants(const Kernel& kernel) {
  const double delta = kernel.delta();
  int G = 256;
  while (G < 16 / delta) G *= 2;
  const Fields f = tabulate_fields(kernel, G, true);
  KernelConstants k;
  const std::size_t n = f.table.V.size();
  for (std::size_t i = 0; i < n; ++i) {
    k.max_V = std::max(k.max_V, std::abs(f.table.V[i]));
    k.max_grad = std::max(k.max_grad, std::hypot(f.table.dV1[i], f.table.dV2[i]));
    // Operator (spectral) norm of the symmetric 2x2 Hessian.
    const double mean = 0.5 * (f.H11[i] + f.H22[i]);
    const double rad = std::hypot(0.5 * (f.H11[i] - f.H22[i]), f.H12[i]);
    k.max_hess = std::max(k.max_hess, std::abs(mean) + rad);
  }
  k.C_V = std::max({k.max_V / std::log(1 / delta), delta * k.max_grad, delta * delta * k.max_hess});
  return k;
}

}  // namespace dislo
