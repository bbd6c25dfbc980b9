#include "dislo/chaos.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <numbers>
#include <stdexcept>

#include "dislo/lagrange.hpp"

namespace dislo {

double coupling_bound(double C_V, double delta, long n, double kappa, double t) {
  return 2 * C_V * t / delta * (1 / std::sqrt(double(n)) + kappa) *
         std::exp(2 * C_V * t / (delta * delta));
}

double lattice_coupling_bound(double C_V, double delta, long n, double kappa, double t, double eps,
                              double beta) {
  const double rate = 4 * C_V * std::exp(C_V * eps * beta / (2 * delta));
  return rate * t / delta * (1 / std::sqrt(double(n)) + kappa) *
         std::exp(rate * t / (delta * delta));
}

WalkCoupling::WalkCoupling(const Study& study, const LatticeForce& force)
    : L_(study.model.lattice),
      beta_(study.model.beta),
      eps_(study.model.eps()),
      base_(1 / (study.model.beta * study.model.eps() * study.model.eps())),
      seed_(study.run.seed),
      force_(&force),
      grad_(std::make_shared<LatticeGradient>(Kernel::of(study), study.model.lattice)) {
  if (force.L() != L_) throw std::invalid_argument("WalkCoupling: force on another lattice");
  if (std::size_t(2) * L_ * L_ != grad_->g.size())
    throw std::logic_error("WalkCoupling: gradient table size");
}

void WalkCoupling::reset(std::uint64_t replica, const Signs& signs, std::span<const std::int32_t> x,
                         std::span<const std::int32_t> y) {
  rng_ = std::make_unique<CounterRng>(seed_, replica);
  b_ = signs.b;
  x_.assign(x.begin(), x.end());
  y_.assign(y.begin(), y.end());
  xb_ = x_;
  yb_ = y_;
  t_ = 0;
  events_ = 0;
}

void WalkCoupling::move(std::vector<std::int32_t>& x, std::vector<std::int32_t>& y, std::size_t i,
                        int dir) const {
  const int s = (dir & 1) ? -1 : 1;
  auto& v = dir < 2 ? x[i] : y[i];
  v += s;
  v = v < 0 ? v + L_ : (v >= L_ ? v - L_ : v);
}

double WalkCoupling::distance() const {
  double sum = 0;
  for (std::size_t i = 0; i < x_.size(); ++i) {
    int dx = std::abs(x_[i] - xb_[i]), dy = std::abs(y_[i] - yb_[i]);
    dx = std::min(dx, L_ - dx);
    dy = std::min(dy, L_ - dy);
    sum += std::sqrt(double(dx) * dx + double(dy) * dy) * eps_;
  }
  return x_.empty() ? 0.0 : sum / double(x_.size());
}

CoupledWalks::CoupledWalks(const Study& study, const LatticeForce& force, Kind kind)
    : WalkCoupling(study, force), kind_(kind) {}

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

void CoupledWalks::move_x(std::size_t i, int dir) {
  const int ox = x_[i], oy = y_[i];
  move(x_, y_, i, dir);
  grad_->moved(i, ox, oy, x_, y_, b_, fx_, fy_);
}

void CoupledWalks::start(std::uint64_t replica, const Signs& signs, std::span<const std::int32_t> x,
                         std::span<const std::int32_t> y) {
  reset(replica, signs, x, y);
  const std::size_t n = x_.size();
  fx_.resize(n);
  fy_.resize(n);
  grad_->sums(x_, y_, b_, fx_, fy_);
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

}  // namespace dislo
