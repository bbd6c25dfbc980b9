#include "dislo/lattice.hpp"

#include <petscmat.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "dislo/ts_driver.hpp"

namespace dislo {

namespace {
enum Direction { plus_x = 0, minus_x = 1, plus_y = 2, minus_y = 3 };
}

LatticeMeanField::LatticeMeanField(MPI_Comm comm, const Study& study, const Kernel& kernel)
    : L_(study.model.lattice), beta_(study.model.beta), eps_(1.0 / study.model.lattice) {
  if (study.model.noiseless())
    throw InputError(study.source +
                     ": model.beta = inf: MFeps needs a finite beta (its rates are "
                     "exp(beta h.F/2)/(beta eps^2)); drop \"mfeps\" from run.models");
  if (L_ % 2 != 0)
    throw InputError(study.source + ": model.lattice = " + std::to_string(L_) +
                     ": MFeps needs an even lattice size (its FFT grid)");
  rate0_ = 1.0 / (beta_ * eps_ * eps_);
  grid_ = std::make_unique<SpectralGrid>(comm, L_);

  // Lattice samples of grad V_delta, then their DFT on the local spectrum.
  const PotentialTable table = tabulate(kernel, L_);
  truncation_bound_ = table.truncation_bound;
  const std::size_t n = grid_->real_size();
  std::vector<double> local1(n), local2(n);
  const std::size_t offset = std::size_t(grid_->row_start()) * L_;
  std::copy_n(table.dV1.begin() + offset, n, local1.begin());
  std::copy_n(table.dV2.begin() + offset, n, local2.begin());
  g1_hat_.resize(grid_->spectral_size());
  g2_hat_.resize(grid_->spectral_size());
  w_hat_.resize(grid_->spectral_size());
  tmp_hat_.resize(grid_->spectral_size());
  grid_->forward(local1.data(), g1_hat_.data());
  grid_->forward(local2.data(), g2_hat_.data());
  fx_.resize(n);
  fy_.resize(n);
  w_.resize(n);
  for (auto& q : q_) q.resize(2 * n);
  halo_prev_.resize(2 * L_);
  halo_next_.resize(2 * L_);
  send_last_.resize(2 * L_);
  send_first_.resize(2 * L_);

  // Neighbouring non-empty slabs (FFTW-MPI may leave a rank without rows).
  int size = 1, rank = 0;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  all_rows_.resize(size);
  all_starts_.resize(size);
  const int mine[2] = {grid_->local_rows(), grid_->row_start()};
  std::vector<int> both(2 * size);
  MPI_Allgather(mine, 2, MPI_INT, both.data(), 2, MPI_INT, comm);
  for (int r = 0; r < size; ++r) {
    all_rows_[r] = both[2 * r];
    all_starts_[r] = both[2 * r + 1];
  }
  auto owner = [&](int row) {
    row = (row + L_) % L_;
    for (int r = 0; r < size; ++r)
      if (all_rows_[r] > 0 && row >= all_starts_[r] && row < all_starts_[r] + all_rows_[r])
        return r;
    return -1;
  };
  if (grid_->local_rows() > 0) {
    prev_rank_ = owner(grid_->row_start() - 1);
    next_rank_ = owner(grid_->row_start() + grid_->local_rows());
  }

  detail::TsDriver::Model model;
  model.species = 2;
  model.explicit_rhs = [this](const double* u, double* g) { drift(u, g); };
  model.linear_symbol = [this](int kx, int ky) { return linear_symbol(kx, ky); };
  model.linear_coupling = [this](int kx, int ky) { return linear_coupling(kx, ky); };
  model.species_signs = {1.0, -1.0};
  model.assemble_preconditioner = [this](const double* u, double shift, Mat P) {
    assemble_frozen(u, shift, P);
  };
  detail::TsDriver::Settings settings;
  settings.ts_type = study.mfeps.ts_type;
  settings.rtol = study.mfeps.rtol;
  settings.atol = study.mfeps.atol;
  settings.initial_dt = 1e-4 * study.model.T;
  settings.horizon = study.model.T;
  ts_ = std::make_unique<detail::TsDriver>(*grid_, std::move(model), settings);
}

LatticeMeanField::~LatticeMeanField() = default;

// Eigenvalue of (1/(beta eps^2)) sum_h [u(l-h) - u(l)] on exp(2 pi i k.l).
double LatticeMeanField::linear_symbol(int kx, int ky) const {
  const double sx = std::sin(std::numbers::pi * kx * eps_);
  const double sy = std::sin(std::numbers::pi * ky * eps_);
  return -4 * rate0_ * (sx * sx + sy * sy);
}

// The jump rates linearised about the uniform state p+-: the drift of sign b gains
// (p_b / (2 eps^2)) sum_h h.(F(l - h) - F(l)), whose symbol on w = rho+ - rho- is
// -c(k) b p_b with c(k) = eps sum_j sin(2 pi k_j eps) Im Dhat_j(k), Dhat_j the DFT of the
// lattice samples of d_j V_delta (docs/numerics.md; c -> phihat(k) as eps -> 0). The
// exponential integrator takes this part exactly. Called for local modes only.
double LatticeMeanField::linear_coupling(int kx, int ky) const {
  const int line = ky - grid_->spectral_ky(0);
  const std::size_t idx = std::size_t(line) * L_ + std::size_t(kx < 0 ? kx + L_ : kx);
  return eps_ * (std::sin(2 * std::numbers::pi * kx * eps_) * g1_hat_[idx].imag() +
                 std::sin(2 * std::numbers::pi * ky * eps_) * g2_hat_[idx].imag());
}

// conv_j(l) = eps^2 sum_l' d_j V_delta(l - l') w(l'), w = rho+ - rho-; F(l, b) = -b conv.
void LatticeMeanField::forces(const double* u) {
  const std::size_t n = grid_->real_size();
  for (std::size_t k = 0; k < n; ++k) w_[k] = u[k] - u[n + k];
  grid_->forward(w_.data(), w_hat_.data());
  const double eps2 = eps_ * eps_;
  for (std::size_t k = 0; k < w_hat_.size(); ++k) tmp_hat_[k] = eps2 * g1_hat_[k] * w_hat_[k];
  grid_->backward(tmp_hat_.data(), fx_.data());
  for (std::size_t k = 0; k < w_hat_.size(); ++k) tmp_hat_[k] = eps2 * g2_hat_[k] * w_hat_[k];
  grid_->backward(tmp_hat_.data(), fy_.data());
}

namespace {
// Outgoing flux along each direction, q_h(l) = rate(h.F(l)) u(l), and its sum into f:
// f(l) = sum_h q_h(l - h) - q_h(l). The halo rows carry q_{+x} from the row before the slab
// and q_{-x} from the row after it.
template <class Rate>
void fluxes(int rows, int L, const double* u, const double* fx, const double* fy,
            double beta_eps_half, Rate rate, std::vector<double>* q) {
  const std::size_t n = std::size_t(rows) * L;
  for (int s = 0; s < 2; ++s) {
    const double b = s == 0 ? 1.0 : -1.0;
    const double* us = u + s * n;
    double* qpx = q[plus_x].data() + s * n;
    double* qmx = q[minus_x].data() + s * n;
    double* qpy = q[plus_y].data() + s * n;
    double* qmy = q[minus_y].data() + s * n;
    for (std::size_t k = 0; k < n; ++k) {
      // h.F(l, b)/2 * beta with F = -b conv and h = +-eps e_j
      const double ax = -b * beta_eps_half * fx[k];
      const double ay = -b * beta_eps_half * fy[k];
      qpx[k] = rate(ax) * us[k];
      qmx[k] = rate(-ax) * us[k];
      qpy[k] = rate(ay) * us[k];
      qmy[k] = rate(-ay) * us[k];
    }
  }
}
}  // namespace

void LatticeMeanField::rhs(const double* u, double* f) { flux_balance(u, f, false); }
void LatticeMeanField::drift(const double* u, double* g) { flux_balance(u, g, true); }

// f(l) = sum_h q_h(l - h) - q_h(l) with q_h = R_h u (full right-hand side) or
// q_h = (R_h - R_0) u (increments: the drift G, without the stiff Laplacian).
void LatticeMeanField::flux_balance(const double* u, double* f, bool increments) {
  forces(u);
  const double r0 = rate0_;
  const int rows = grid_->local_rows();
  const std::size_t n = std::size_t(rows) * L_;
  if (increments)
    fluxes(
        rows, L_, u, fx_.data(), fy_.data(), 0.5 * beta_ * eps_,
        [r0](double a) { return r0 * std::expm1(a); }, q_);
  else
    fluxes(
        rows, L_, u, fx_.data(), fy_.data(), 0.5 * beta_ * eps_,
        [r0](double a) { return r0 * std::exp(a); }, q_);
  exchange_flux_halos();
  for (int s = 0; s < 2; ++s) {
    const double* qpx = q_[plus_x].data() + s * n;
    const double* qmx = q_[minus_x].data() + s * n;
    const double* qpy = q_[plus_y].data() + s * n;
    const double* qmy = q_[minus_y].data() + s * n;
    double* fs = f + s * n;
    for (int i = 0; i < rows; ++i) {
      const double* in_px = i > 0 ? qpx + std::size_t(i - 1) * L_ : halo_prev_.data() + s * L_;
      const double* in_mx =
          i + 1 < rows ? qmx + std::size_t(i + 1) * L_ : halo_next_.data() + s * L_;
      const std::size_t row = std::size_t(i) * L_;
      for (int j = 0; j < L_; ++j) {
        const int jm = j == 0 ? L_ - 1 : j - 1;
        const int jp = j == L_ - 1 ? 0 : j + 1;
        const std::size_t k = row + j;
        fs[k] = in_px[j] + in_mx[j] + qpy[row + jm] + qmy[row + jp] -
                (qpx[k] + qmx[k] + qpy[k] + qmy[k]);
      }
    }
  }
}

// halo_prev_ <- q_{+x} of the row before the slab; halo_next_ <- q_{-x} of the row after.
void LatticeMeanField::exchange_flux_halos() {
  const int rows = grid_->local_rows();
  if (rows == 0) return;
  const std::size_t n = std::size_t(rows) * L_;
  for (int s = 0; s < 2; ++s) {
    std::copy_n(q_[plus_x].data() + s * n + std::size_t(rows - 1) * L_, L_,
                send_last_.data() + s * L_);
    std::copy_n(q_[minus_x].data() + s * n, L_, send_first_.data() + s * L_);
  }
  MPI_Sendrecv(send_last_.data(), 2 * L_, MPI_DOUBLE, next_rank_, 11, halo_prev_.data(), 2 * L_,
               MPI_DOUBLE, prev_rank_, 11, grid_->comm(), MPI_STATUS_IGNORE);
  MPI_Sendrecv(send_first_.data(), 2 * L_, MPI_DOUBLE, prev_rank_, 12, halo_next_.data(), 2 * L_,
               MPI_DOUBLE, next_rank_, 12, grid_->comm(), MPI_STATUS_IGNORE);
}

// P = shift I - J_frozen: the master-equation operator with the rates frozen at u (the
// dependence of the rates on rho through F is left out), both signs, 5-point stencil.
void LatticeMeanField::assemble_frozen(const double* u, double shift, Mat P) {
  forces(u);
  const double r0 = rate0_;
  const int rows = grid_->local_rows();
  const std::size_t n = std::size_t(rows) * L_;
  std::vector<double> ones(2 * n, 1.0);
  fluxes(
      rows, L_, ones.data(), fx_.data(), fy_.data(), 0.5 * beta_ * eps_,
      [r0](double a) { return r0 * std::exp(a); }, q_);
  exchange_flux_halos();
  int size = static_cast<int>(all_rows_.size());
  std::vector<PetscInt> base(size + 1, 0);
  for (int r = 0; r < size; ++r) base[r + 1] = base[r] + PetscInt(2) * all_rows_[r] * L_;
  auto index = [&](int s, int row, int col) -> PetscInt {
    row = (row + L_) % L_;
    col = (col + L_) % L_;
    for (int r = 0; r < size; ++r)
      if (all_rows_[r] > 0 && row >= all_starts_[r] && row < all_starts_[r] + all_rows_[r])
        return base[r] + PetscInt(s) * all_rows_[r] * L_ + PetscInt(row - all_starts_[r]) * L_ +
               col;
    return -1;
  };
  for (int s = 0; s < 2; ++s) {
    const double* qpx = q_[plus_x].data() + s * n;
    const double* qmx = q_[minus_x].data() + s * n;
    const double* qpy = q_[plus_y].data() + s * n;
    const double* qmy = q_[minus_y].data() + s * n;
    for (int i = 0; i < rows; ++i) {
      const int gi = grid_->row_start() + i;
      const double* in_px = i > 0 ? qpx + std::size_t(i - 1) * L_ : halo_prev_.data() + s * L_;
      const double* in_mx =
          i + 1 < rows ? qmx + std::size_t(i + 1) * L_ : halo_next_.data() + s * L_;
      for (int j = 0; j < L_; ++j) {
        const std::size_t k = std::size_t(i) * L_ + j;
        const std::size_t row = std::size_t(i) * L_;
        const PetscInt me = index(s, gi, j);
        const PetscInt cols[5] = {me, index(s, gi - 1, j), index(s, gi + 1, j), index(s, gi, j - 1),
                                  index(s, gi, j + 1)};
        const PetscScalar vals[5] = {shift + qpx[k] + qmx[k] + qpy[k] + qmy[k], -in_px[j],
                                     -in_mx[j], -qpy[row + (j == 0 ? L_ - 1 : j - 1)],
                                     -qmy[row + (j == L_ - 1 ? 0 : j + 1)]};
        detail::petsc_check(MatSetValues(P, 1, &me, 5, cols, vals, INSERT_VALUES), "MatSetValues");
      }
    }
  }
  detail::petsc_check(MatAssemblyBegin(P, MAT_FINAL_ASSEMBLY), "MatAssemblyBegin");
  detail::petsc_check(MatAssemblyEnd(P, MAT_FINAL_ASSEMBLY), "MatAssemblyEnd");
}

void LatticeMeanField::set_initial(const InitialDensity& rho0) {
  const auto plus = rho0.sample(+1, *grid_);
  const auto minus = rho0.sample(-1, *grid_);
  set_state(plus, minus);
}

void LatticeMeanField::set_state(std::span<const double> plus, std::span<const double> minus) {
  const std::size_t n = grid_->real_size();
  double* u = ts_->state();
  std::copy(plus.begin(), plus.begin() + n, u);
  std::copy(minus.begin(), minus.begin() + n, u + n);
}

void LatticeMeanField::advance_to(double t) { ts_->advance_to(t); }

void LatticeMeanField::interaction_gradient(std::vector<double>& gx, std::vector<double>& gy) {
  forces(ts_->state());
  gx = fx_;
  gy = fy_;
}
double LatticeMeanField::time() const { return ts_->time(); }
void LatticeMeanField::set_step_observer(std::function<void(double t)> observer) {
  ts_->set_step_observer(std::move(observer));
}

std::span<const double> LatticeMeanField::rho(int sign) const {
  const std::size_t n = grid_->real_size();
  return {ts_->state() + (sign > 0 ? 0 : n), n};
}

double LatticeMeanField::mass(int sign) const {
  const auto r = rho(sign);
  return grid_->sum(r.data()) * eps_ * eps_;
}

double LatticeMeanField::min_density() const {
  double m = std::numeric_limits<double>::infinity();
  const std::size_t n = 2 * grid_->real_size();
  for (std::size_t k = 0; k < n; ++k) m = std::min(m, ts_->state()[k]);
  double global = m;
  MPI_Allreduce(&m, &global, 1, MPI_DOUBLE, MPI_MIN, grid_->comm());
  return global;
}

SolverStats LatticeMeanField::stats() const {
  const auto c = ts_->counters();
  const auto [rtol, atol] = ts_->tolerances();
  return {c.steps, c.rejected, c.rhs_evaluations, ts_->ts_type(), ts_->formulation(), rtol, atol};
}

}  // namespace dislo
