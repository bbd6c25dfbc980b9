#include "dislo/chaos.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <numbers>
#include <stdexcept>

#include "lagrange.hpp"

namespace dislo {

namespace {
constexpr double two_pi = 2 * std::numbers::pi;
// The continuum table has at least this many points per side: cubic interpolation of the
// force's significant modes (|k| up to a few / delta) then stays near 1e-5 relative.
constexpr int kMinTable = 128;
// Frames whose interpolation error is measured, and points per measured frame.
constexpr int kErrorFrameStride = 16;
constexpr int kErrorPoints = 16;

struct FftwFree {
  void operator()(void* p) const { fftw_free(p); }
};
template <class T>
std::unique_ptr<T[], FftwFree> fftw_array(std::size_t n) {
  auto* p = static_cast<T*>(fftw_malloc(sizeof(T) * std::max<std::size_t>(n, 1)));
  if (!p) throw std::bad_alloc();
  return std::unique_ptr<T[], FftwFree>(p);
}
}  // namespace

std::vector<double> frame_times(double T, int frames) {
  std::vector<double> t(std::size_t(frames) + 1);
  for (int k = 0; k <= frames; ++k) t[std::size_t(k)] = k == frames ? T : T * k / frames;
  return t;
}

double coupling_bound(double C_V, double delta, long n, double kappa, double t) {
  return 2 * C_V * t / delta * (1 / std::sqrt(double(n)) + kappa) *
         std::exp(2 * C_V * t / (delta * delta));
}

// ---------------------------------------------------------------- ContinuumForce

ContinuumForce::ContinuumForce(const Kernel& kernel, int N, int kc, double T, int frames)
    : kernel_(&kernel), N_(N), kc_(kc), G_(std::max(N, kMinTable)), dt_(T / frames) {
  if (frames < 1 || !(T > 0)) throw std::invalid_argument("ContinuumForce: frames >= 1, T > 0");
  gx_.reserve(std::size_t(frames + 1) * G_ * G_);
  gy_.reserve(std::size_t(frames + 1) * G_ * G_);
}

void ContinuumForce::add_frame(std::span<const double> plus, std::span<const double> minus) {
  const std::size_t nn = std::size_t(N_) * N_;
  if (plus.size() != nn || minus.size() != nn)
    throw std::invalid_argument("ContinuumForce::add_frame: fields must be N x N");
  const int Nc = N_ / 2 + 1, Gc = G_ / 2 + 1;
  auto w = fftw_array<double>(nn);
  auto w_hat = fftw_array<fftw_complex>(std::size_t(N_) * Nc);
  for (std::size_t k = 0; k < nn; ++k) w[k] = plus[k] - minus[k];
  fftw_plan forward = fftw_plan_dft_r2c_2d(N_, N_, w.get(), w_hat.get(), FFTW_ESTIMATE);
  fftw_execute(forward);
  fftw_destroy_plan(forward);

  // g_hat = 2 pi i k Vhat_delta(k) w_hat / N^2 on the modes MF keeps, placed in the
  // G x (G/2 + 1) spectrum of the table (zero padding: exact band-limited values).
  auto ax = fftw_array<fftw_complex>(std::size_t(G_) * Gc);
  auto ay = fftw_array<fftw_complex>(std::size_t(G_) * Gc);
  std::fill_n(&ax[0][0], 2 * std::size_t(G_) * Gc, 0.0);
  std::fill_n(&ay[0][0], 2 * std::size_t(G_) * Gc, 0.0);
  struct Mode {
    int kx, ky;
    std::complex<double> gx, gy;
  };
  std::vector<Mode> modes;  // for the error measurement
  const double norm = 1.0 / double(nn);
  for (int i = 0; i < N_; ++i) {
    const int kx = i <= N_ / 2 ? i : i - N_;
    if (std::abs(kx) > kc_) continue;
    for (int ky = 0; ky <= std::min(kc_, Nc - 1); ++ky) {
      const std::complex<double> wk(w_hat[std::size_t(i) * Nc + ky][0],
                                    w_hat[std::size_t(i) * Nc + ky][1]);
      const std::complex<double> phi = std::complex<double>(0, two_pi) *
                                       kernel_->vhat(double(kx) * kx + double(ky) * ky) * wk * norm;
      const std::size_t dst = std::size_t((kx + G_) % G_) * Gc + ky;
      const std::complex<double> gx = double(kx) * phi, gy = double(ky) * phi;
      ax[dst][0] = gx.real();
      ax[dst][1] = gx.imag();
      ay[dst][0] = gy.real();
      ay[dst][1] = gy.imag();
      if (gx != 0.0 || gy != 0.0) modes.push_back({kx, ky, gx, gy});
    }
  }
  auto out = fftw_array<double>(std::size_t(G_) * G_);
  const std::size_t offset = gx_.size();
  gx_.resize(offset + std::size_t(G_) * G_);
  gy_.resize(offset + std::size_t(G_) * G_);
  double largest = 0;
  for (int c = 0; c < 2; ++c) {
    fftw_plan back =
        fftw_plan_dft_c2r_2d(G_, G_, c == 0 ? ax.get() : ay.get(), out.get(), FFTW_ESTIMATE);
    fftw_execute(back);
    fftw_destroy_plan(back);
    float* dst = (c == 0 ? gx_.data() : gy_.data()) + offset;
    for (std::size_t k = 0; k < std::size_t(G_) * G_; ++k) {
      dst[k] = static_cast<float>(out[k]);
      largest = std::max(largest, std::abs(out[k]));
    }
  }

  // Interpolation against the exact Fourier sum at fixed off-grid points (a real field:
  // the half spectrum counts twice except its ky = 0 column).
  const int k = frames_added() - 1;
  if (k % kErrorFrameStride == 0 && largest > 0) {
    for (int p = 0; p < kErrorPoints; ++p) {
      const double x = std::fmod(0.1234567 + 0.6180339887 * p, 1.0);
      const double y = std::fmod(0.7654321 + 0.4142135623 * p, 1.0);
      double ex = 0, ey = 0;
      for (const auto& m : modes) {
        const std::complex<double> e = std::polar(1.0, two_pi * (m.kx * x + m.ky * y));
        const double weight = m.ky == 0 ? 1.0 : 2.0;
        ex += weight * (m.gx * e).real();
        ey += weight * (m.gy * e).real();
      }
      const auto g = at_frame(k, x, y);
      interpolation_error_ = std::max(interpolation_error_,
                                      std::max(std::abs(g[0] - ex), std::abs(g[1] - ey)) / largest);
    }
  }
}

std::array<double, 2> ContinuumForce::at_frame(int k, double x, double y) const {
  const double sx = x * G_, sy = y * G_;
  const int ix = int(std::floor(sx)), iy = int(std::floor(sy));
  const auto wx = detail::cubic_weights(sx - ix), wy = detail::cubic_weights(sy - iy);
  const float* fx = gx_.data() + std::size_t(k) * G_ * G_;
  const float* fy = gy_.data() + std::size_t(k) * G_ * G_;
  double gx = 0, gy = 0;
  for (int a = 0; a < 4; ++a) {
    const int row = (ix - 1 + a + 2 * G_) % G_;
    double rx = 0, ry = 0;
    for (int b = 0; b < 4; ++b) {
      const std::size_t idx = std::size_t(row) * G_ + std::size_t((iy - 1 + b + 2 * G_) % G_);
      rx += wy[b] * fx[idx];
      ry += wy[b] * fy[idx];
    }
    gx += wx[a] * rx;
    gy += wx[a] * ry;
  }
  return {gx, gy};
}

std::array<double, 2> ContinuumForce::operator()(double x, double y, double t) const {
  const int frames = frames_added();
  if (frames == 0) throw std::logic_error("ContinuumForce: no frames");
  if (frames == 1) return at_frame(0, x, y);
  const int k = std::clamp(int(std::floor(t / dt_)), 0, frames - 2);
  const double theta = std::clamp(t / dt_ - k, 0.0, 1.0);
  const auto a = at_frame(k, x, y), b = at_frame(k + 1, x, y);
  return {(1 - theta) * a[0] + theta * b[0], (1 - theta) * a[1] + theta * b[1]};
}

// ---------------------------------------------------------------- LatticeForce

LatticeForce::LatticeForce(int L, double T, int frames) : L_(L), frames_(frames), dt_(T / frames) {
  if (frames < 1 || !(T > 0)) throw std::invalid_argument("LatticeForce: frames >= 1, T > 0");
}

void LatticeForce::add_frame(std::span<const double> gx, std::span<const double> gy) {
  if (gx.size() != std::size_t(L_) * L_ || gy.size() != gx.size())
    throw std::invalid_argument("LatticeForce::add_frame: fields must be L x L");
  gx_.insert(gx_.end(), gx.begin(), gx.end());
  gy_.insert(gy_.end(), gy.begin(), gy.end());
  for (std::size_t k = 0; k < gx.size(); ++k)
    max_abs_ = std::max({max_abs_, std::abs(gx[k]), std::abs(gy[k])});
}

int LatticeForce::interval(double t) const {
  return std::clamp(int(std::floor(t / dt_)), 0, frames_ - 1);
}

// ---------------------------------------------------------------- CoupledWalks

CoupledWalks::CoupledWalks(const Study& study, const LatticeForce& force, Kind kind)
    : kind_(kind),
      L_(study.model.lattice),
      beta_(study.model.beta),
      eps_(study.model.eps()),
      base_(1 / (study.model.beta * study.model.eps() * study.model.eps())),
      seed_(study.run.seed),
      force_(&force),
      grad_(std::make_shared<LatticeGradient>(Kernel(study.kernel, study.model.delta),
                                              study.model.lattice)) {
  if (force.L() != L_) throw std::invalid_argument("CoupledWalks: force on another lattice");
  if (std::size_t(2) * L_ * L_ != grad_->g.size())
    throw std::logic_error("CoupledWalks: gradient table size");
}

double CoupledWalks::rate_x(std::size_t i, int dir) const {
  // h.F_i = s eps (-b_i/n) f_d, rate = base exp(beta h.F_i / 2).
  const double f = dir < 2 ? fx_[i] : fy_[i];
  const double s = (dir & 1) ? -1.0 : 1.0;
  return base_ * std::exp(-s * b_[i] * beta_ * eps_ * f / (2 * double(b_.size())));
}

double CoupledWalks::rate_xbar(std::size_t i, int dir, int interval) const {
  // F(l, b) = -b g(l): rate = base exp(-b beta s eps g_d / 2).
  const auto g = force_->at(interval, xb_[i], yb_[i]);
  const double s = (dir & 1) ? -1.0 : 1.0;
  return base_ * std::exp(-s * b_[i] * beta_ * eps_ * g[dir < 2 ? 0 : 1] / 2);
}

void CoupledWalks::move(std::vector<std::int32_t>& x, std::vector<std::int32_t>& y, std::size_t i,
                        int dir) {
  const int s = (dir & 1) ? -1 : 1;
  auto& v = dir < 2 ? x[i] : y[i];
  v += s;
  v = v < 0 ? v + L_ : (v >= L_ ? v - L_ : v);
}

void CoupledWalks::move_x(std::size_t i, int dir) {
  const int ox = x_[i], oy = y_[i];
  move(x_, y_, i, dir);
  grad_->moved(i, ox, oy, x_, y_, b_, fx_, fy_);
}

void CoupledWalks::start(std::uint64_t replica, const Signs& signs, std::span<const std::int32_t> x,
                         std::span<const std::int32_t> y) {
  rng_ = std::make_unique<CounterRng>(seed_, replica);
  b_ = signs.b;
  x_.assign(x.begin(), x.end());
  y_.assign(y.begin(), y.end());
  xb_ = x_;
  yb_ = y_;
  const std::size_t n = x_.size();
  fx_.resize(n);
  fy_.resize(n);
  grad_->sums(x_, y_, b_, fx_, fy_);
  t_ = 0;
  events_ = 0;
  draws_ = 0;
  if (kind_ == Kind::time_change) {
    interval_ = 0;
    T_.assign(4 * n, 0);
    Tb_.assign(4 * n, 0);
    m_.assign(4 * n, 1);
    mb_.assign(4 * n, 1);
    P_.resize(4 * n);
    a_.resize(4 * n);
    ab_.resize(4 * n);
    for (std::size_t k = 0; k < 4 * n; ++k) {
      P_[k] = arrival(k, 1);
      a_[k] = rate_x(k / 4, int(k % 4));
      ab_[k] = rate_xbar(k / 4, int(k % 4), 0);
    }
    Pb_ = P_;
  }
}

double CoupledWalks::arrival(std::size_t k, std::uint64_t m) const {
  // The m-th inter-arrival time of move k's unit Poisson process, shared by X and Xbar.
  const auto w = rng_->draw(k, m, Stream::chaos_time_change);
  return -std::log(CounterRng::unit(w[0]));
}

void CoupledWalks::advance_to(double t) {
  if (t < t_) throw std::invalid_argument("CoupledWalks::advance_to: time runs backwards");
  if (kind_ == Kind::thinning)
    advance_thinning(t);
  else
    advance_time_change(t);
}

void CoupledWalks::advance_thinning(double t) {
  const std::size_t n = x_.size();
  // Bounds on every rate of X (|h.F_i| <= eps (n-1)/n max|grad V|) and of Xbar.
  const double bound_x =
      base_ * std::exp(beta_ * eps_ * grad_->G * double(n - 1) / (2 * double(n)));
  const double bound_xbar = base_ * std::exp(beta_ * eps_ * force_->max_abs() / 2);
  const double rbar = std::max(bound_x, bound_xbar) * (1 + 1e-12);
  const double total = 4 * double(n) * rbar;
  for (;;) {
    const auto w = rng_->draw(draws_++, 0, Stream::chaos_thinning);
    const double tau = -std::log(CounterRng::unit(w[0])) / total;
    if (t_ + tau > t) {
      t_ = t;  // memoryless: the residual clock may be discarded
      return;
    }
    t_ += tau;
    const std::uint64_t k = CounterRng::below(w[1], 4 * n);
    const std::size_t i = k / 4;
    const int dir = int(k % 4);
    const double u = CounterRng::unit(w[2]) * rbar;
    const bool bar_jumps = u <= rate_xbar(i, dir, force_->interval(t_));
    if (u <= rate_x(i, dir)) {
      move_x(i, dir);
      ++events_;
    }
    if (bar_jumps) {
      move(xb_, yb_, i, dir);
      ++events_;
    }
  }
}

void CoupledWalks::advance_time_change(double t) {
  const std::size_t moves = a_.size();
  for (;;) {
    // The next firing of every move of X and Xbar, the frame boundary, or t.
    double step = t - t_;
    int kind = 0;  // 0: reach t, 1: frame boundary, 2: X move, 3: Xbar move
    std::size_t which = 0;
    const double boundary = force_->interval_end(interval_) - t_;
    if (interval_ + 1 < force_->intervals() && boundary < step) {
      step = boundary;
      kind = 1;
    }
    for (std::size_t k = 0; k < moves; ++k) {
      const double dx = (P_[k] - T_[k]) / a_[k];
      if (dx < step) {
        step = dx;
        kind = 2;
        which = k;
      }
      const double db = (Pb_[k] - Tb_[k]) / ab_[k];
      if (db < step) {
        step = db;
        kind = 3;
        which = k;
      }
    }
    step = std::max(step, 0.0);
    for (std::size_t k = 0; k < moves; ++k) {
      T_[k] += a_[k] * step;
      Tb_[k] += ab_[k] * step;
    }
    t_ += step;
    if (kind == 0) {
      t_ = t;
      return;
    }
    const std::size_t i = which / 4;
    if (kind == 1) {
      ++interval_;
      t_ = force_->interval_end(interval_ - 1);
      for (std::size_t k = 0; k < moves; ++k) ab_[k] = rate_xbar(k / 4, int(k % 4), interval_);
    } else if (kind == 2) {
      T_[which] = P_[which];  // exactly at its arrival
      P_[which] += arrival(which, ++m_[which]);
      move_x(i, int(which % 4));
      ++events_;
      for (std::size_t k = 0; k < moves; ++k) a_[k] = rate_x(k / 4, int(k % 4));
    } else {
      Tb_[which] = Pb_[which];
      Pb_[which] += arrival(which, ++mb_[which]);
      move(xb_, yb_, i, int(which % 4));
      ++events_;
      for (int d = 0; d < 4; ++d) ab_[4 * i + d] = rate_xbar(i, d, interval_);
    }
  }
}

double CoupledWalks::distance() const {
  double sum = 0;
  for (std::size_t i = 0; i < x_.size(); ++i) {
    int dx = std::abs(x_[i] - xb_[i]), dy = std::abs(y_[i] - yb_[i]);
    dx = std::min(dx, L_ - dx);
    dy = std::min(dy, L_ - dy);
    sum += std::sqrt(double(dx) * dx + double(dy) * dy) * eps_;
  }
  return x_.empty() ? 0.0 : sum / double(x_.size());
}

}  // namespace dislo
