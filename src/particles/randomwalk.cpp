#include "dislo/randomwalk.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

namespace dislo {

LatticeGradient::LatticeGradient(const Kernel& kernel, int L_) : L(L_) {
  // Exact samples of grad V_delta at the lattice vectors (potential.hpp: truncation
  // below 1e-12 relative).
  const PotentialTable t = tabulate(kernel, L);
  g.resize(2 * std::size_t(L) * L);
  for (std::size_t k = 0; k < std::size_t(L) * L; ++k) {
    g[2 * k] = t.dV1[k];
    g[2 * k + 1] = t.dV2[k];
    G = std::max({G, std::abs(t.dV1[k]), std::abs(t.dV2[k])});
  }
}

void LatticeGradient::sums(std::span<const std::int32_t> x, std::span<const std::int32_t> y,
                           std::span<const int> b, std::span<double> fx,
                           std::span<double> fy) const {
  const std::size_t n = x.size();
  for (std::size_t i = 0; i < n; ++i) {
    double ax = 0, ay = 0;
    for (std::size_t j = 0; j < n; ++j) {
      if (j == i) continue;
      const double* v = at(x[i] - x[j], y[i] - y[j]);
      ax += b[j] * v[0];
      ay += b[j] * v[1];
    }
    fx[i] = ax;
    fy[i] = ay;
  }
}

void LatticeGradient::moved(std::size_t i, int old_x, int old_y, std::span<const std::int32_t> x,
                            std::span<const std::int32_t> y, std::span<const int> b,
                            std::span<double> fx, std::span<double> fy) const {
  double ax = 0, ay = 0;
  for (std::size_t j = 0; j < x.size(); ++j) {
    if (j == i) continue;
    const double* before = at(x[j] - old_x, y[j] - old_y);
    const double* after = at(x[j] - x[i], y[j] - y[i]);
    fx[j] += b[i] * (after[0] - before[0]);
    fy[j] += b[i] * (after[1] - before[1]);
    const double* mine = at(x[i] - x[j], y[i] - y[j]);
    ax += b[j] * mine[0];
    ay += b[j] * mine[1];
  }
  fx[i] = ax;
  fy[i] = ay;
}

LatticeWalk::LatticeWalk(const Study& study, const char* who)
    : L_(study.model.lattice),
      beta_(study.model.beta),
      eps_(study.model.eps()),
      seed_(study.run.seed),
      sampler_(study.initial, study.model, study.model.lattice) {
  if (study.model.noiseless())
    throw InputError(fmt::format(
        "{}: model.beta = inf is refused for the random walk ({}): the paper's discrete "
        "beta -> inf limit is a different, rate-independent process; use a finite beta",
        study.source, who));
  grad_ = std::make_shared<LatticeGradient>(Kernel::of(study), L_);
  const auto n = std::size_t(study.model.n);
  x_.resize(n);
  y_.resize(n);
  ux_.resize(n);
  uy_.resize(n);
}

void LatticeWalk::reset(std::uint64_t replica) {
  rng_ = std::make_unique<CounterRng>(seed_, replica);
  signs_ = sampler_.signs(*rng_);
  kappa_ = mass_discrepancy(signs_, sampler_.density().mass(+1));
  sampler_.lattice(*rng_, signs_, x_, y_);
  std::fill(ux_.begin(), ux_.end(), 0);
  std::fill(uy_.begin(), uy_.end(), 0);
  t_ = 0;
  events_ = 0;
}

void LatticeWalk::jump(std::size_t i, int dir) {
  const int s = (dir & 1) ? -1 : 1;
  if (dir < 2) {
    int v = x_[i] + s;
    x_[i] = v < 0 ? v + L_ : (v >= L_ ? v - L_ : v);
    ux_[i] += s;
  } else {
    int v = y_[i] + s;
    y_[i] = v < 0 ? v + L_ : (v >= L_ ? v - L_ : v);
    uy_[i] += s;
  }
  ++events_;
}

// ---------------------------------------------------------------------------------------
// VetoWalk

PoissonTable::PoissonTable(double mu) {
  double p = std::exp(-mu), acc = p;
  cdf_.push_back(acc);
  for (int k = 1; 1 - acc > 1e-17 && k < 100000; ++k) {
    p *= mu / k;
    acc += p;
    cdf_.push_back(acc);
  }
}

VetoWalk::VetoWalk(const Study& study) : LatticeWalk(study, "rw.algorithm = \"veto\"") {
  const double n = double(study.model.n);
  // A = eps G / n bounds |a_ij|; mu = beta A (n-1) partners per proposal on average.
  const double A = eps_ * grad_->G / n;
  mu_ = beta_ * A * (n - 1);
  rbar_ = std::exp(mu_ / 2) / (beta_ * eps_ * eps_);
  partners_ = PoissonTable(mu_);
}

void VetoWalk::start(std::uint64_t replica) {
  reset(replica);
  proposals_ = 0;
  intervals_ = 0;
}

double VetoWalk::acceptance(std::size_t i, int dir) const {
  const std::size_t n = x_.size();
  const int d = dir >> 1;
  const double s = (dir & 1) ? -1.0 : 1.0;
  double hF = 0;  // h.F_i / eps
  for (std::size_t j = 0; j < n; ++j) {
    if (j == i) continue;
    int dx = x_[i] - x_[j], dy = y_[i] - y_[j];
    dx += dx < 0 ? L_ : 0;
    dy += dy < 0 ? L_ : 0;
    hF += -double(signs_.b[i] * signs_.b[j]) / double(n) * s *
          grad_->g[2 * (std::size_t(dx) * L_ + dy) + d];
  }
  return std::exp(beta_ * eps_ * hF / 2) / (rbar_ * beta_ * eps_ * eps_);
}

bool VetoWalk::propose(std::uint64_t index) {
  const std::size_t n = x_.size();
  const auto w = rng_->draw(index, 0, Stream::rw_proposal);
  const std::uint64_t move =
      rng_->below_exact(w[0], 4 * std::uint64_t(n), index, Stream::rw_proposal, 0);
  const std::size_t i = move >> 2;
  const int dir = int(move & 3);
  const std::size_t K = partners_.draw(CounterRng::unit(w[1]));
  if (K > 0) {
    const int d = dir >> 1;
    const int bi = signs_.b[i];
    const double s = (dir & 1) ? -1.0 : 1.0;
    const double Ginv = 1.0 / grad_->G;
    // Partner k uses words 2k (which partner) and 2k+1 (veto) of the stream w[2], w[3],
    // then blocks 1, 2, ... of (index, block, rw_partner).
    CounterRng::Words block{};
    auto word = [&](std::size_t m) {
      if (m < 2) return w[2 + m];
      if ((m - 2) % 4 == 0) block = rng_->draw(index, 1 + (m - 2) / 4, Stream::rw_partner);
      return block[(m - 2) % 4];
    };
    for (std::size_t k = 0; k < K; ++k) {
      const std::uint64_t pick = word(2 * k), veto = word(2 * k + 1);
      const std::uint64_t jj = rng_->below_exact(pick, n - 1, index, Stream::rw_partner, k + 1);
      const std::size_t j = std::size_t(jj + (jj >= i));
      int dx = x_[i] - x_[j], dy = y_[i] - y_[j];
      dx += dx < 0 ? L_ : 0;
      dy += dy < 0 ? L_ : 0;
      const double gd = grad_->g[2 * (std::size_t(dx) * L_ + dy) + d];
      // Veto with probability (A - a_ij)/(2A) = (1 + b_i b_j s dV_d / G)/2.
      if (CounterRng::unit(veto) <= 0.5 * (1 + bi * signs_.b[j] * s * gd * Ginv)) return false;
    }
  }
  jump(i, dir);
  return true;
}

void VetoWalk::advance_to(double t) {
  if (t < t_) throw std::invalid_argument("VetoWalk::advance_to: time runs backwards");
  if (t == t_) return;
  // Uniformisation: proposals form a Poisson process of constant rate 4 n Rbar, so the
  // number in (t_, t] is Poisson and the state at t is the state after that many.
  const double mean = 4.0 * double(x_.size()) * rbar_ * (t - t_);
  CounterEngine engine(*rng_, intervals_++, Stream::rw_count);
  std::poisson_distribution<std::uint64_t> count(mean);
  const std::uint64_t N = count(engine);
  for (std::uint64_t e = 0; e < N; ++e) propose(proposals_ + e);
  proposals_ += N;
  t_ = t;
}

// ---------------------------------------------------------------------------------------
// ReferenceWalk

ReferenceWalk::ReferenceWalk(const Study& study)
    : LatticeWalk(study, "rw.algorithm = \"reference\"") {
  const auto n = std::size_t(study.model.n);
  fx_.resize(n);
  fy_.resize(n);
  rates_.resize(4 * n);
}

void ReferenceWalk::refresh_forces() { grad_->sums(x_, y_, signs_.b, fx_, fy_); }

void ReferenceWalk::update_rates() {
  const std::size_t n = x_.size();
  const double base = 1 / (beta_ * eps_ * eps_);
  const double c = beta_ * eps_ / (2 * double(n));
  for (std::size_t i = 0; i < n; ++i) {
    // h.F_i = s eps (-b_i/n) f_d: rate = base exp(beta h.F_i / 2).
    const double ex = -signs_.b[i] * c * fx_[i], ey = -signs_.b[i] * c * fy_[i];
    rates_[4 * i + 0] = base * std::exp(ex);
    rates_[4 * i + 1] = base * std::exp(-ex);
    rates_[4 * i + 2] = base * std::exp(ey);
    rates_[4 * i + 3] = base * std::exp(-ey);
  }
}

void ReferenceWalk::start(std::uint64_t replica) {
  reset(replica);
  draws_ = 0;
  refresh_forces();
  update_rates();
}

void ReferenceWalk::advance_to(double t) {
  if (t < t_) throw std::invalid_argument("ReferenceWalk::advance_to: time runs backwards");
  for (;;) {
    double total = 0;
    for (double r : rates_) total += r;
    const auto w = rng_->draw(draws_++, 0, Stream::rw_reference);
    const double tau = -std::log(CounterRng::unit(w[0])) / total;
    if (t_ + tau > t) {
      t_ = t;  // memoryless: the residual clock may be discarded
      return;
    }
    t_ += tau;
    double target = (1 - CounterRng::unit(w[1])) * total, acc = 0;
    std::size_t k = 0;
    for (; k + 1 < rates_.size(); ++k) {
      acc += rates_[k];
      if (target < acc) break;
    }
    const std::size_t i = k / 4;
    const int oldx = x_[i], oldy = y_[i];
    jump(i, int(k % 4));
    // O(n) incremental update: every partner's force changes by the moved particle.
    grad_->moved(i, oldx, oldy, x_, y_, signs_.b, fx_, fy_);
    update_rates();
  }
}

std::unique_ptr<LatticeWalk> make_lattice_walk(const Study& study) {
  if (study.rw.algorithm == "reference") return std::make_unique<ReferenceWalk>(study);
  return std::make_unique<VetoWalk>(study);
}

}  // namespace dislo
