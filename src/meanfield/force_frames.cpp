#include "dislo/force_frames.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <memory>
#include <numbers>
#include <stdexcept>

#include "dislo/lagrange.hpp"

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

void LatticeForce::add_frame(std::span<const double> gx, std::span<const double> gy,
                             std::span<const double> plus, std::span<const double> minus) {
  if (gx.size() != std::size_t(L_) * L_ || gy.size() != gx.size())
    throw std::invalid_argument("LatticeForce::add_frame: fields must be L x L");
  const bool densities = !plus.empty() || !minus.empty();
  if (densities && (plus.size() != gx.size() || minus.size() != gx.size()))
    throw std::invalid_argument("LatticeForce::add_frame: densities must be L x L");
  if (!gx_.empty() && densities != has_densities())
    throw std::invalid_argument("LatticeForce::add_frame: densities with every frame or none");
  plus_.insert(plus_.end(), plus.begin(), plus.end());
  minus_.insert(minus_.end(), minus.begin(), minus.end());
  gx_.insert(gx_.end(), gx.begin(), gx.end());
  gy_.insert(gy_.end(), gy.begin(), gy.end());
  for (std::size_t k = 0; k < gx.size(); ++k)
    max_abs_ = std::max({max_abs_, std::abs(gx[k]), std::abs(gy[k])});
}

void LatticeForce::interval_masses(int k, std::span<double> out) const {
  const std::size_t S = std::size_t(L_) * L_;
  if (!has_densities() || out.size() != 2 * S || k < 0 || std::size_t(k + 2) * S > plus_.size())
    throw std::invalid_argument("LatticeForce::interval_masses: no densities for that interval");
  const double site = 1.0 / (double(L_) * L_);  // eps^2
  const std::size_t a = std::size_t(k) * S, b = a + S;
  for (std::size_t s = 0; s < S; ++s) {
    out[s] = 0.5 * site * (plus_[a + s] + plus_[b + s]);
    out[S + s] = 0.5 * site * (minus_[a + s] + minus_[b + s]);
  }
}

int LatticeForce::interval(double t) const {
  return std::clamp(int(std::floor(t / dt_)), 0, frames_ - 1);
}

}  // namespace dislo
