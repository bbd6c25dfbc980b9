#include "dislo/meanfield.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "dislo/ts_driver.hpp"

namespace dislo {

namespace {
constexpr double two_pi = 2 * std::numbers::pi;
}

MeanField::MeanField(MPI_Comm comm, const Study& study, const Kernel& kernel)
    : beta_inv_(study.model.noiseless() ? 0.0 : 1.0 / study.model.beta),
      hyper_(study.mf.hyperviscosity),
      kc_(study.mf.M / 3),
      // The state lives on |kx|, |ky| <= M/3, so the lines beyond ky = M/3 are never transformed.
      grid_(std::make_unique<SpectralGrid>(comm, study.mf.M, study.mf.M / 3)) {
  const int N = grid_->N();
  vhat_.assign(grid_->spectral_size(), 0.0);
  for (int c = 0; c < grid_->spectral_lines(); ++c) {
    const int ky = grid_->spectral_ky(c);
    for (int i = 0; i < N; ++i) {
      const int kx = grid_->kx_of(i);
      if (std::abs(kx) <= kc_ && ky <= kc_)
        vhat_[std::size_t(c) * N + i] = kernel.vhat(double(kx) * kx + double(ky) * ky);
    }
  }
  w_hat_.resize(grid_->spectral_size());
  a_hat_.resize(grid_->spectral_size());
  b_hat_.resize(grid_->spectral_size());
  gx_.resize(grid_->real_size());
  gy_.resize(grid_->real_size());
  px_.resize(grid_->real_size());
  py_.resize(grid_->real_size());

  detail::TsDriver::Model model;
  model.species = 2;
  model.explicit_rhs = [this](const double* u, double* g) { drift(u, g); };
  model.explicit_rhs_spectral = [this](const double* u, const cplx* u_hat, cplx* g_hat) {
    drift_spectral(u, u_hat, g_hat);
  };
  model.linear_symbol = [this](int kx, int ky) { return linear_symbol(kx, ky); };
  // About the uniform state the drift is -c(k) p+- (w+ - w-)-hat per sign, c = 4 pi^2 |k|^2
  // Vhat_delta(k): the exponential integrator takes that part exactly.
  model.linear_coupling = [this, kernel](int kx, int ky) {
    if (std::abs(kx) > kc_ || std::abs(ky) > kc_) return 0.0;
    const double k2 = double(kx) * kx + double(ky) * ky;
    return k2 == 0 ? 0.0 : two_pi * two_pi * k2 * kernel.vhat(k2);
  };
  model.species_signs = {1.0, -1.0};
  detail::TsDriver::Settings settings;
  settings.ts_type = study.mf.ts_type;
  settings.rtol = study.mf.rtol;
  settings.atol = study.mf.atol;
  settings.initial_dt = 1e-4 * study.model.T;
  settings.horizon = study.model.T;
  ts_ = std::make_unique<detail::TsDriver>(*grid_, std::move(model), settings);
}

MeanField::~MeanField() = default;

double MeanField::linear_symbol(int kx, int ky) const {
  const double k2 = double(kx) * kx + double(ky) * ky;
  double a = -two_pi * two_pi * k2 * beta_inv_;
  if (hyper_ > 0) {
    const double r = k2 / (double(kc_) * kc_);
    a -= hyper_ * r * r * r * r;
  }
  return a;
}

// Zero every mode beyond the 2/3 cutoff (|kx| or |ky| > M/3).
void MeanField::project(double* field) {
  const int N = grid_->N();
  grid_->forward(field, a_hat_.data());
  for (int c = 0; c < grid_->spectral_lines(); ++c) {
    const bool line_kept = grid_->spectral_ky(c) <= kc_;
    for (int i = 0; i < N; ++i)
      if (!line_kept || std::abs(grid_->kx_of(i)) > kc_) a_hat_[std::size_t(c) * N + i] = 0;
  }
  grid_->backward(a_hat_.data(), field);
}

// G_+- = -div(rho+- F+-) = +- div(rho+- grad Phi), Phi = V_delta * (rho+ - rho-).  (eq. 10, 12)
// The state lives in the de-aliased subspace, so products of two fields are alias-free
// on the kept modes, which are all the output keeps. Nine FFTs per call.
void MeanField::drift(const double* u, double* g) {
  const std::size_t n = grid_->real_size(), ns = grid_->spectral_size();
  for (std::size_t k = 0; k < n; ++k) px_[k] = u[k] - u[n + k];
  grid_->forward(px_.data(), w_hat_.data());
  g_hat_.resize(2 * ns);
  drift_from_difference(u, g_hat_.data());
  for (int s = 0; s < 2; ++s) grid_->backward(g_hat_.data() + s * ns, g + s * n);
}

// The same from the state's spectrum: six FFTs.
void MeanField::drift_spectral(const double* u, const cplx* u_hat, cplx* g_hat) {
  const std::size_t ns = grid_->spectral_size();
  for (std::size_t k = 0; k < ns; ++k) w_hat_[k] = u_hat[k] - u_hat[ns + k];
  drift_from_difference(u, g_hat);
}

// Calls f(first index, count, first kx) for the runs of line c's entries with |kx| <= kc
// (kx = i for i <= N/2, i - N above), and zeroes the rest of `zero` on that line: the
// loops over the runs have no branches, so they vectorise.
template <class F>
void for_kept_runs(int N, int kc, std::size_t line_start, cplx* zero, F&& f) {
  const int low = std::min(kc, N / 2), high_start = std::max(N - kc, N / 2 + 1);
  f(line_start, low + 1, 0);
  std::fill(zero + line_start + low + 1, zero + line_start + high_start, cplx(0));
  f(line_start + high_start, N - high_start, high_start - N);
}

// g_hat (both signs) from u and w_hat_ (the spectrum of rho+ - rho-). Vhat is zero beyond
// the 2/3 cut, and the drift is cut there too.
void MeanField::drift_from_difference(const double* u, cplx* g_hat) {
  const std::size_t n = grid_->real_size(), ns = grid_->spectral_size();
  const int N = grid_->N(), lines = grid_->spectral_lines();
  // grad Phi: (2 pi i k) Vhat_delta w_hat
  for (int c = 0; c < lines; ++c) {
    const double ky = grid_->spectral_ky(c);
    const std::size_t start = std::size_t(c) * N;
    std::fill(b_hat_.begin() + start, b_hat_.begin() + start + N, cplx(0));
    for_kept_runs(N, kc_, start, a_hat_.data(), [&](std::size_t first, int count, int kx0) {
      for (int j = 0; j < count; ++j) {
        const std::size_t idx = first + j;
        const double v = two_pi * vhat_[idx];  // phi = i 2 pi Vhat w
        const cplx phi(-v * w_hat_[idx].imag(), v * w_hat_[idx].real());
        a_hat_[idx] = double(kx0 + j) * phi;
        b_hat_[idx] = ky * phi;
      }
    });
  }
  grid_->backward(a_hat_.data(), gx_.data());
  grid_->backward(b_hat_.data(), gy_.data());
  for (int s = 0; s < 2; ++s) {
    const double* density = u + s * n;
    for (std::size_t k = 0; k < n; ++k) {
      px_[k] = density[k] * gx_[k];
      py_[k] = density[k] * gy_[k];
    }
    grid_->forward(px_.data(), a_hat_.data());
    grid_->forward(py_.data(), b_hat_.data());
    const double sign_two_pi = (s == 0 ? 1.0 : -1.0) * two_pi;
    cplx* out = g_hat + s * ns;
    for (int c = 0; c < lines; ++c) {
      const int ky = grid_->spectral_ky(c);
      const std::size_t start = std::size_t(c) * N;
      if (ky > kc_) {
        std::fill(out + start, out + start + N, cplx(0));
        continue;
      }
      for_kept_runs(N, kc_, start, out, [&](std::size_t first, int count, int kx0) {
        for (int j = 0; j < count; ++j) {
          const std::size_t idx = first + j;
          const cplx d = double(kx0 + j) * a_hat_[idx] + double(ky) * b_hat_[idx];
          out[idx] = cplx(-sign_two_pi * d.imag(), sign_two_pi * d.real());  // i 2 pi k.(a, b)
        }
      });
    }
    if (grid_->holds_mean()) out[0] = 0;  // mass exactly kept
  }
}

void MeanField::set_initial(const InitialDensity& rho0) {
  const auto plus = rho0.sample(+1, *grid_);
  const auto minus = rho0.sample(-1, *grid_);
  set_state(plus, minus);
}

void MeanField::set_state(std::span<const double> plus, std::span<const double> minus) {
  const std::size_t n = grid_->real_size();
  double* u = ts_->state();
  std::copy(plus.begin(), plus.begin() + n, u);
  std::copy(minus.begin(), minus.begin() + n, u + n);
  project(u);
  project(u + n);
}

void MeanField::advance_to(double t) { ts_->advance_to(t); }
double MeanField::time() const { return ts_->time(); }
void MeanField::set_step_observer(std::function<void(double t)> observer) {
  ts_->set_step_observer(std::move(observer));
}

std::span<const double> MeanField::rho(int sign) const {
  const std::size_t n = grid_->real_size();
  return {ts_->state() + (sign > 0 ? 0 : n), n};
}

double MeanField::mass(int sign) const {
  const auto r = rho(sign);
  return grid_->sum(r.data()) / (double(grid_->N()) * grid_->N());
}

double MeanField::min_density() const {
  double m = std::numeric_limits<double>::infinity();
  const std::size_t n = 2 * grid_->real_size();
  for (std::size_t k = 0; k < n; ++k) m = std::min(m, ts_->state()[k]);
  double global = m;
  MPI_Allreduce(&m, &global, 1, MPI_DOUBLE, MPI_MIN, grid_->comm());
  return global;
}

SolverStats MeanField::stats() const {
  const auto c = ts_->counters();
  const auto [rtol, atol] = ts_->tolerances();
  return {c.steps, c.rejected, c.rhs_evaluations, ts_->ts_type(), ts_->formulation(), rtol, atol};
}

}  // namespace dislo
