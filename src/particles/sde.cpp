#include "dislo/sde.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "dislo/force_frames.hpp"
#include "dislo/ts_driver.hpp"

namespace dislo {

using detail::petsc_check;

double default_sde_step(const ModelParams& model, double max_gradient) {
  const double delta = model.delta;
  double dt = std::numeric_limits<double>::infinity();
  if (!model.noiseless()) dt = model.beta * delta * delta / 32;         // sqrt(2 dt/beta) = delta/4
  if (max_gradient > 0) dt = std::min(dt, delta / (8 * max_gradient));  // |F| dt <= delta/8
  return std::min(dt, model.T);
}

namespace {

// The study's step: sde.dt, or default_sde_step with the force method's own bound on
// |grad V_delta| (the direct table's maximum, else the kernel constants').
double sde_step(const Study& study, const Kernel& kernel, const ForceField& force) {
  if (study.sde.dt > 0) return study.sde.dt;
  double max_grad = 0;
  if (auto* direct = dynamic_cast<const DirectForce*>(&force))
    max_grad = std::abs(direct->strength()) * direct->gradient().max_gradient();
  else
    max_grad = kernel_constants(kernel).max_grad;
  return default_sde_step(study.model, max_grad);
}

}  // namespace

SdeChoices sde_choices(const Study& study) {
  const Kernel kernel = Kernel::of(study);
  const auto force = make_force_field(kernel, study.sde.force, study.sde.pm_tolerance,
                                      study.model.n, MPI_COMM_SELF);
  SdeChoices c;
  c.dt = sde_step(study, kernel, *force);
  c.force = to_string(force->method());
  c.force_error = force->error_estimate();
  if (auto* pm = dynamic_cast<const ParticleMesh*>(force.get())) {
    c.mesh = pm->mesh().M;
    c.order = pm->mesh().order;
  }
  return c;
}

SdeEngine::SdeEngine(const Study& study, MPI_Comm group)
    : group_(group),
      beta_(study.model.beta),
      refinement_(study.sde.noise_refinement),
      seed_(study.run.seed),
      sampler_(study.initial, study.model, 0),
      ode_rtol_(study.sde.ode_rtol),
      ode_atol_(study.sde.ode_atol) {
  const Kernel kernel = Kernel::of(study);
  force_ = make_force_field(kernel, study.sde.force, study.sde.pm_tolerance, study.model.n, group);
  int rank = 0, size = 1;
  MPI_Comm_rank(group_, &rank);
  MPI_Comm_size(group_, &size);
  const auto count = std::size_t(study.model.n);
  block_ = ParticleBlock::of(count, rank, size);
  if (size > 1)
    for (int r = 0; r < size; ++r) {
      const ParticleBlock other = ParticleBlock::of(count, r, size);
      block_starts_.push_back(int(other.lo));
      block_counts_.push_back(int(other.hi - other.lo));
    }
  // The bound |F_i| <= max |grad V_delta| (n-1)/n sets the drift part of the default step.
  dt_ = sde_step(study, kernel, *force_);
  const auto n = std::size_t(study.model.n);
  x_.resize(n);
  y_.resize(n);
  ux_.resize(n);
  uy_.resize(n);
  fx_.resize(n);
  fy_.resize(n);
  if (noiseless()) {
    petsc_check(VecCreateSeq(PETSC_COMM_SELF, PetscInt(2 * n), &u_), "VecCreateSeq");
    petsc_check(TSCreate(PETSC_COMM_SELF, &ts_), "TSCreate");
    petsc_check(TSSetOptionsPrefix(ts_, "sde_ode_"), "TSSetOptionsPrefix");
    petsc_check(TSSetProblemType(ts_, TS_NONLINEAR), "TSSetProblemType");
    petsc_check(TSSetType(ts_, TSRK), "TSSetType");
    petsc_check(TSRKSetType(ts_, TSRK5DP), "TSRKSetType");
    petsc_check(TSSetRHSFunction(ts_, nullptr, &SdeEngine::ode_rhs, this), "TSSetRHSFunction");
    petsc_check(TSSetTolerances(ts_, ode_atol_, nullptr, ode_rtol_, nullptr), "TSSetTolerances");
    petsc_check(TSSetExactFinalTime(ts_, TS_EXACTFINALTIME_MATCHSTEP), "TSSetExactFinalTime");
    petsc_check(TSSetMaxSteps(ts_, PETSC_MAX_INT), "TSSetMaxSteps");
    petsc_check(TSSetTimeStep(ts_, dt_), "TSSetTimeStep");
    petsc_check(TSSetFromOptions(ts_), "TSSetFromOptions");
  }
}

SdeEngine::~SdeEngine() {
  if (ts_) TSDestroy(&ts_);
  if (u_) VecDestroy(&u_);
}

void SdeEngine::start(std::uint64_t replica) {
  rng_ = std::make_unique<CounterRng>(seed_, replica);
  signs_ = sampler_.signs(*rng_);
  kappa_ = mass_discrepancy(signs_, sampler_.density().mass(+1));
  sampler_.continuum(*rng_, signs_, x_, y_);
  if (coupled_) {
    xb_ = x_;
    yb_ = y_;
  }
  std::fill(ux_.begin(), ux_.end(), 0.0);
  std::fill(uy_.begin(), uy_.end(), 0.0);
  t_ = 0;
  step_index_ = 0;
  particle_steps_ = 0;
  if (noiseless()) {
    const std::vector<double> x = x_, y = y_;
    set_positions(x, y);
    petsc_check(TSSetTime(ts_, 0.0), "TSSetTime");
    petsc_check(TSSetStepNumber(ts_, 0), "TSSetStepNumber");
    petsc_check(TSSetTimeStep(ts_, dt_), "TSSetTimeStep");
  }
}

void SdeEngine::set_positions(std::span<const double> x, std::span<const double> y) {
  if (x.size() != x_.size() || y.size() != y_.size())
    throw std::invalid_argument("SdeEngine::set_positions: wrong number of particles");
  std::copy(x.begin(), x.end(), x_.begin());
  std::copy(y.begin(), y.end(), y_.begin());
  std::fill(ux_.begin(), ux_.end(), 0.0);
  std::fill(uy_.begin(), uy_.end(), 0.0);
  if (coupled_) {
    xb_ = x_;
    yb_ = y_;
  }
  if (noiseless()) {
    x0_ = x_;
    y0_ = y_;
    PetscScalar* u = nullptr;
    petsc_check(VecGetArray(u_, &u), "VecGetArray");
    for (std::size_t i = 0; i < x_.size(); ++i) {
      u[2 * i] = x_[i];
      u[2 * i + 1] = y_[i];
    }
    petsc_check(VecRestoreArray(u_, &u), "VecRestoreArray");
  }
}

void SdeEngine::couple(const ContinuumForce* force) {
  if (force && noiseless())
    throw std::invalid_argument("SdeEngine::couple: the coupling needs a finite beta");
  coupled_ = force;
  xb_.clear();
  yb_.clear();
}

void SdeEngine::gather(std::vector<double>& v) const {
  if (block_counts_.empty()) return;
  MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, v.data(), block_counts_.data(),
                 block_starts_.data(), MPI_DOUBLE, group_);
}

double SdeEngine::coupling_distance() const {
  if (!coupled_ || x_.empty()) return 0;
  double sum = 0;
  for (std::size_t i = 0; i < x_.size(); ++i) {
    double dx = std::abs(x_[i] - xb_[i]), dy = std::abs(y_[i] - yb_[i]);
    dx = std::min(dx, 1 - dx);
    dy = std::min(dy, 1 - dy);
    sum += std::sqrt(dx * dx + dy * dy);
  }
  return sum / double(x_.size());
}

void SdeEngine::euler_maruyama_step(double h, double t_start) {
  force_->compute(x_, y_, signs_.b, block_, fx_, fy_);
  // Increment sqrt(2h/beta) xi, xi the normalised sum of 2^r finer normals (counter =
  // (particle, fine step), ziggurat normals), so runs at dt and dt/2 with r and r-1 share Brownian
  // paths.
  const std::uint64_t sub = 1ULL << refinement_;
  const double scale = std::sqrt(2 * h / beta_ / double(sub));
  const std::size_t n = x_.size();
  for (std::size_t i = block_.lo; i < block_.hi; ++i) {
    double zx = 0, zy = 0;
    for (std::uint64_t s = 0; s < sub; ++s) {
      NormalStream normal(*rng_, i, step_index_ * sub + s, Stream::sde_noise);
      zx += normal.next();
      zy += normal.next();
    }
    const double dx = fx_[i] * h + scale * zx, dy = fy_[i] * h + scale * zy;
    ux_[i] += dx;
    uy_[i] += dy;
    double xi = x_[i] + dx, yi = y_[i] + dy;
    xi -= std::floor(xi);
    yi -= std::floor(yi);
    x_[i] = xi < 1 ? xi : 0;  // floor rounding can give exactly 1
    y_[i] = yi < 1 ? yi : 0;
    if (coupled_) {
      // Xbar_i: the same increment, the mean-field force -b g at the step's start.
      const auto g = (*coupled_)(xb_[i], yb_[i], t_start);
      double xb = xb_[i] - signs_.b[i] * g[0] * h + scale * zx;
      double yb = yb_[i] - signs_.b[i] * g[1] * h + scale * zy;
      xb -= std::floor(xb);
      yb -= std::floor(yb);
      xb_[i] = xb < 1 ? xb : 0;
      yb_[i] = yb < 1 ? yb : 0;
    }
  }
  // The direct sum reads every position; the particle mesh only this rank's block.
  if (force_->needs_all_positions()) {
    gather(x_);
    gather(y_);
  }
  ++step_index_;
  particle_steps_ += n;
}

void SdeEngine::advance_to(double t) {
  if (t < t_) throw std::invalid_argument("SdeEngine::advance_to: time runs backwards");
  if (t == t_) return;
  if (noiseless()) {
    ode_advance(t);
    return;
  }
  const auto steps = static_cast<std::uint64_t>(std::ceil((t - t_) / dt_ * (1 - 1e-12)));
  const double h = (t - t_) / double(std::max<std::uint64_t>(steps, 1));
  for (std::uint64_t k = 0; k < std::max<std::uint64_t>(steps, 1); ++k)
    euler_maruyama_step(h, t_ + double(k) * h);
  // The block-local parts of the state, whole again on every rank.
  if (!force_->needs_all_positions()) {
    gather(x_);
    gather(y_);
  }
  gather(ux_);
  gather(uy_);
  if (coupled_) {
    gather(xb_);
    gather(yb_);
  }
  t_ = t;
}

PetscErrorCode SdeEngine::ode_rhs(TS, PetscReal, Vec U, Vec F, void* ctx) {
  auto* self = static_cast<SdeEngine*>(ctx);
  const PetscScalar* u = nullptr;
  PetscScalar* f = nullptr;
  PetscCall(VecGetArrayRead(U, &u));
  const std::size_t n = self->x_.size();
  for (std::size_t i = 0; i < n; ++i) {
    self->x_[i] = u[2 * i] - std::floor(u[2 * i]);
    self->y_[i] = u[2 * i + 1] - std::floor(u[2 * i + 1]);
    if (self->x_[i] >= 1) self->x_[i] = 0;
    if (self->y_[i] >= 1) self->y_[i] = 0;
  }
  PetscCall(VecRestoreArrayRead(U, &u));
  self->force_->compute(self->x_, self->y_, self->signs_.b, self->block_, self->fx_, self->fy_);
  self->gather(self->fx_);
  self->gather(self->fy_);
  PetscCall(VecGetArray(F, &f));
  for (std::size_t i = 0; i < n; ++i) {
    f[2 * i] = self->fx_[i];
    f[2 * i + 1] = self->fy_[i];
  }
  PetscCall(VecRestoreArray(F, &f));
  self->particle_steps_ += n;  // counted per force evaluation
  return 0;
}

void SdeEngine::ode_advance(double t) {
  petsc_check(TSSetMaxTime(ts_, t), "TSSetMaxTime");
  petsc_check(TSSolve(ts_, u_), "TSSolve");
  TSConvergedReason reason;
  petsc_check(TSGetConvergedReason(ts_, &reason), "TSGetConvergedReason");
  if (reason < 0) throw std::runtime_error("ODE_n: the Runge-Kutta integration diverged");
  const PetscScalar* u = nullptr;
  petsc_check(VecGetArrayRead(u_, &u), "VecGetArrayRead");
  for (std::size_t i = 0; i < x_.size(); ++i) {
    ux_[i] = u[2 * i] - x0_[i];
    uy_[i] = u[2 * i + 1] - y0_[i];
    x_[i] = u[2 * i] - std::floor(u[2 * i]);
    y_[i] = u[2 * i + 1] - std::floor(u[2 * i + 1]);
    if (x_[i] >= 1) x_[i] = 0;
    if (y_[i] >= 1) y_[i] = 0;
  }
  petsc_check(VecRestoreArrayRead(u_, &u), "VecRestoreArrayRead");
  t_ = t;
}

}  // namespace dislo
