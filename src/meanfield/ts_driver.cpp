#include "dislo/ts_driver.hpp"

#include <petscsnes.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace dislo::detail {

void petsc_check(PetscErrorCode ierr, const char* what) {
  if (ierr != 0) {
    const char* text = nullptr;
    PetscErrorMessage(ierr, &text, nullptr);
    throw std::runtime_error(std::string("PETSc: ") + what + " failed: " + (text ? text : "?"));
  }
}

namespace {
bool is_explicit_type(const std::string& t) {
  static const std::array<const char*, 6> explicit_types{"euler", "rk",   "ssp",
                                                         "mprk",  "glee", "rk4"};
  return std::find(explicit_types.begin(), explicit_types.end(), t) != explicit_types.end();
}
}  // namespace

// PETSc calls back into C functions; exceptions must not cross them.
struct TsCallbacks {
  template <class F>
  static PetscErrorCode guarded(F&& f) {
    return petsc_guarded("dislo", std::forward<F>(f));
  }

  // After each step: the step observer, if any (alongside -ts_monitor's own).
  static PetscErrorCode monitor(TS, PetscInt, PetscReal t, Vec, void* ctx) {
    auto* d = static_cast<TsDriver*>(ctx);
    return guarded([&] {
      if (d->step_observer_) d->step_observer_(t);
    });
  }

  // du/dt = A u + G(u) as one right-hand side (explicit types).
  static PetscErrorCode full_rhs(TS, PetscReal, Vec U, Vec F, void* ctx) {
    auto* d = static_cast<TsDriver*>(ctx);
    return guarded([&] {
      const PetscScalar* u;
      PetscScalar* f;
      petsc_check(VecGetArrayRead(U, &u), "VecGetArrayRead");
      petsc_check(VecGetArray(F, &f), "VecGetArray");
      d->full_rhs(u, f);
      petsc_check(VecRestoreArray(F, &f), "VecRestoreArray");
      petsc_check(VecRestoreArrayRead(U, &u), "VecRestoreArrayRead");
    });
  }
  // G(u) alone (IMEX explicit part).
  static PetscErrorCode explicit_rhs(TS, PetscReal, Vec U, Vec G, void* ctx) {
    auto* d = static_cast<TsDriver*>(ctx);
    return guarded([&] {
      const PetscScalar* u;
      PetscScalar* g;
      petsc_check(VecGetArrayRead(U, &u), "VecGetArrayRead");
      petsc_check(VecGetArray(G, &g), "VecGetArray");
      d->model_.explicit_rhs(u, g);
      d->count_rhs();
      petsc_check(VecRestoreArray(G, &g), "VecRestoreArray");
      petsc_check(VecRestoreArrayRead(U, &u), "VecRestoreArrayRead");
    });
  }
  // IMEX implicit part: F = Udot - A U.
  static PetscErrorCode imex_ifunction(TS, PetscReal, Vec U, Vec Udot, Vec F, void* ctx) {
    auto* d = static_cast<TsDriver*>(ctx);
    return guarded([&] {
      const PetscScalar *u, *ud;
      PetscScalar* f;
      petsc_check(VecGetArrayRead(U, &u), "VecGetArrayRead");
      petsc_check(VecGetArrayRead(Udot, &ud), "VecGetArrayRead");
      petsc_check(VecGetArray(F, &f), "VecGetArray");
      d->apply_linear(u, f, 0.0, false);  // f = -A u
      for (std::size_t k = 0; k < d->local_size(); ++k) f[k] += ud[k];
      petsc_check(VecRestoreArray(F, &f), "VecRestoreArray");
      petsc_check(VecRestoreArrayRead(Udot, &ud), "VecRestoreArrayRead");
      petsc_check(VecRestoreArrayRead(U, &u), "VecRestoreArrayRead");
    });
  }
  // Fully implicit: F = Udot - A U - G(U).
  static PetscErrorCode full_ifunction(TS, PetscReal, Vec U, Vec Udot, Vec F, void* ctx) {
    auto* d = static_cast<TsDriver*>(ctx);
    return guarded([&] {
      const PetscScalar *u, *ud;
      PetscScalar* f;
      petsc_check(VecGetArrayRead(U, &u), "VecGetArrayRead");
      petsc_check(VecGetArrayRead(Udot, &ud), "VecGetArrayRead");
      petsc_check(VecGetArray(F, &f), "VecGetArray");
      d->full_rhs(u, f);
      for (std::size_t k = 0; k < d->local_size(); ++k) f[k] = ud[k] - f[k];
      petsc_check(VecRestoreArray(F, &f), "VecRestoreArray");
      petsc_check(VecRestoreArrayRead(Udot, &ud), "VecRestoreArrayRead");
      petsc_check(VecRestoreArrayRead(U, &u), "VecRestoreArrayRead");
    });
  }
  static PetscErrorCode ijacobian(TS, PetscReal, Vec U, Vec, PetscReal shift, Mat A, Mat P,
                                  void* ctx) {
    auto* d = static_cast<TsDriver*>(ctx);
    return guarded([&] {
      d->shift_ = shift;
      // A matrix-free operator (-snes_mf_operator) takes its base point at assembly.
      if (A != P) {
        petsc_check(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY), "MatAssemblyBegin");
        petsc_check(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY), "MatAssemblyEnd");
      }
      if (d->model_.assemble_preconditioner && P != d->J_) {
        const PetscScalar* u;
        petsc_check(VecGetArrayRead(U, &u), "VecGetArrayRead");
        d->model_.assemble_preconditioner(u, shift, P);
        petsc_check(VecRestoreArrayRead(U, &u), "VecRestoreArrayRead");
      }
    });
  }
  // Shell matrix: y = (shift - A) x.
  static PetscErrorCode shell_mult(Mat J, Vec X, Vec Y) {
    void* ctx;
    PetscCall(MatShellGetContext(J, &ctx));
    auto* d = static_cast<TsDriver*>(ctx);
    return guarded([&] {
      const PetscScalar* x;
      PetscScalar* y;
      petsc_check(VecGetArrayRead(X, &x), "VecGetArrayRead");
      petsc_check(VecGetArray(Y, &y), "VecGetArray");
      d->apply_linear(x, y, d->shift_, false);
      petsc_check(VecRestoreArray(Y, &y), "VecRestoreArray");
      petsc_check(VecRestoreArrayRead(X, &x), "VecRestoreArrayRead");
    });
  }
  // Shell preconditioner: y = (shift - A)^-1 x, exact in Fourier space.
  static PetscErrorCode shell_pc(PC pc, Vec X, Vec Y) {
    void* ctx;
    PetscCall(PCShellGetContext(pc, &ctx));
    auto* d = static_cast<TsDriver*>(ctx);
    return guarded([&] {
      const PetscScalar* x;
      PetscScalar* y;
      petsc_check(VecGetArrayRead(X, &x), "VecGetArrayRead");
      petsc_check(VecGetArray(Y, &y), "VecGetArray");
      d->apply_linear(x, y, d->shift_, true);
      petsc_check(VecRestoreArray(Y, &y), "VecRestoreArray");
      petsc_check(VecRestoreArrayRead(X, &x), "VecRestoreArrayRead");
    });
  }
};

namespace {
// The driver's problem as the exponential integrator sees it.
class DriverOperator final : public EtdOperator {
 public:
  explicit DriverOperator(TsDriver& d) : d_(d) {}
  MPI_Comm comm() const override { return d_.grid().comm(); }
  int species() const override { return d_.model().species; }
  std::size_t real_block() const override { return d_.grid().real_size(); }
  std::size_t spectral_block() const override { return d_.grid().spectral_size(); }
  double symbol(std::size_t mode) const override {
    const int N = d_.grid().N();
    const int line = int(mode / std::size_t(N)), i = int(mode % std::size_t(N));
    return d_.model().linear_symbol(d_.grid().kx_of(i), d_.grid().spectral_ky(line));
  }
  double coupling(std::size_t mode) const override {
    if (!d_.model().linear_coupling) return 0;
    const int N = d_.grid().N();
    const int line = int(mode / std::size_t(N)), i = int(mode % std::size_t(N));
    return d_.model().linear_coupling(d_.grid().kx_of(i), d_.grid().spectral_ky(line));
  }
  double species_sign(int s) const override {
    const auto& signs = d_.model().species_signs;
    return s < int(signs.size()) ? signs[s] : 1.0;
  }
  // The (0, 0) mode lives on one rank; the others add zeros, so the sum is exact.
  std::vector<double> means(const cplx* u_hat) const override {
    std::vector<double> local(species(), 0.0), global(species());
    const double n2 = double(d_.grid().N()) * d_.grid().N();
    if (d_.grid().holds_mean())
      for (int s = 0; s < species(); ++s) local[s] = u_hat[s * spectral_block()].real() / n2;
    MPI_Allreduce(local.data(), global.data(), species(), MPI_DOUBLE, MPI_SUM, comm());
    return global;
  }
  void forward(const double* u, cplx* u_hat) override {
    for (int s = 0; s < species(); ++s)
      d_.grid().forward(u + s * real_block(), u_hat + s * spectral_block());
  }
  void backward(const cplx* u_hat, double* u) override {
    for (int s = 0; s < species(); ++s)
      d_.grid().backward(u_hat + s * spectral_block(), u + s * real_block());
  }
  void nonlinear(const double* u, const cplx* u_hat, cplx* g_hat) override {
    d_.count_rhs();
    if (d_.model().explicit_rhs_spectral) return d_.model().explicit_rhs_spectral(u, u_hat, g_hat);
    g_.resize(real_block() * species());
    d_.model().explicit_rhs(u, g_.data());
    forward(g_.data(), g_hat);
  }

 private:
  TsDriver& d_;
  std::vector<double> g_;
};
}  // namespace

TsDriver::TsDriver(SpectralGrid& grid, Model model, const Settings& settings)
    : grid_(grid), model_(std::move(model)), spec_(grid.spectral_size()) {
  MPI_Comm comm = grid_.comm();
  const PetscInt n = static_cast<PetscInt>(local_size());
  petsc_check(VecCreateMPI(comm, n, PETSC_DETERMINE, &U_), "VecCreateMPI");
  petsc_check(VecSet(U_, 0.0), "VecSet");

  // The formulation follows the TS type: the study's default unless -ts_type says otherwise.
  char type_buf[64] = {0};
  PetscBool given = PETSC_FALSE;
  petsc_check(
      PetscOptionsGetString(nullptr, nullptr, "-ts_type", type_buf, sizeof type_buf, &given),
      "PetscOptionsGetString");
  const std::string type = given ? std::string(type_buf) : settings.ts_type;

  register_exponential_integrators();
  petsc_check(TSCreate(comm, &ts_), "TSCreate");
  petsc_check(TSSetType(ts_, type.c_str()), ("TSSetType " + type).c_str());
  petsc_check(TSSetProblemType(ts_, TS_NONLINEAR), "TSSetProblemType");
  petsc_check(TSSetTolerances(ts_, settings.atol, nullptr, settings.rtol, nullptr),
              "TSSetTolerances");
  petsc_check(TSSetTimeStep(ts_, settings.initial_dt), "TSSetTimeStep");
  petsc_check(TSSetMaxSteps(ts_, PETSC_MAX_INT), "TSSetMaxSteps");
  petsc_check(TSSetExactFinalTime(ts_, TS_EXACTFINALTIME_MATCHSTEP), "TSSetExactFinalTime");
  petsc_check(TSSetSolution(ts_, U_), "TSSetSolution");

  set_up_formulation(type, n);
  // The exponential integrator takes the stiff part exactly: it can start 100 times larger.
  if (formulation_ == "exponential")
    petsc_check(TSSetTimeStep(ts_, 100 * settings.initial_dt), "TSSetTimeStep");
  prefer_max_norm();
  // Last, so every -ts_*, -snes_*, -ksp_*, -pc_* option wins over the defaults above.
  petsc_check(TSSetFromOptions(ts_), "TSSetFromOptions");
  petsc_check(TSMonitorSet(ts_, TsCallbacks::monitor, this, nullptr), "TSMonitorSet");
  if (formulation_ == "exponential") start_with_whole_intervals(settings);
  etd_ = std::make_unique<DriverOperator>(*this);
  attach_etd_operator(ts_, etd_.get());
  // Work space now, not in the first step.
  if (formulation_ == "exponential") petsc_check(TSSetUp(ts_), "TSSetUp");
  petsc_check(VecGetArray(U_, &state_), "VecGetArray");
}

// Explicit types see the whole right-hand side; ARKIMEX the linear part implicitly (its
// inverse is exact: one preconditioner application); other implicit types the whole
// IFunction with matrix-free Jacobians.
void TsDriver::set_up_formulation(const std::string& type, PetscInt n) {
  MPI_Comm comm = grid_.comm();
  SNES snes;
  KSP ksp;
  PC pc;
  petsc_check(TSGetSNES(ts_, &snes), "TSGetSNES");
  petsc_check(SNESGetKSP(snes, &ksp), "SNESGetKSP");
  petsc_check(KSPGetPC(ksp, &pc), "KSPGetPC");
  petsc_check(MatCreateShell(comm, n, n, PETSC_DETERMINE, PETSC_DETERMINE, this, &J_),
              "MatCreateShell");
  petsc_check(MatShellSetOperation(J_, MATOP_MULT, (void (*)(void))TsCallbacks::shell_mult),
              "MatShellSetOperation");

  if (type == ts_etdrk4) {
    formulation_ = "exponential";
    // The integrator calls the model itself; the right-hand side serves PETSc's tools.
    petsc_check(TSSetRHSFunction(ts_, nullptr, TsCallbacks::full_rhs, this), "TSSetRHSFunction");
  } else if (is_explicit_type(type)) {
    formulation_ = "explicit";
    petsc_check(TSSetRHSFunction(ts_, nullptr, TsCallbacks::full_rhs, this), "TSSetRHSFunction");
  } else if (type == TSARKIMEX) {
    formulation_ = "imex";
    petsc_check(TSSetIFunction(ts_, nullptr, TsCallbacks::imex_ifunction, this), "TSSetIFunction");
    petsc_check(TSSetRHSFunction(ts_, nullptr, TsCallbacks::explicit_rhs, this),
                "TSSetRHSFunction");
    petsc_check(TSSetIJacobian(ts_, J_, J_, TsCallbacks::ijacobian, this), "TSSetIJacobian");
    // The implicit part is linear and its inverse exact: one preconditioner application.
    petsc_check(SNESSetType(snes, SNESKSPONLY), "SNESSetType");
    petsc_check(KSPSetType(ksp, KSPPREONLY), "KSPSetType");
    petsc_check(PCSetType(pc, PCSHELL), "PCSetType");
    petsc_check(PCShellSetContext(pc, this), "PCShellSetContext");
    petsc_check(PCShellSetApply(pc, TsCallbacks::shell_pc), "PCShellSetApply");
  } else {
    formulation_ = "implicit";
    petsc_check(TSSetIFunction(ts_, nullptr, TsCallbacks::full_ifunction, this), "TSSetIFunction");
    // Jacobian-vector products by finite differences of the IFunction.
    petsc_check(SNESSetUseMatrixFree(snes, PETSC_TRUE, PETSC_FALSE), "SNESSetUseMatrixFree");
    if (model_.assemble_preconditioner) {
      petsc_check(
          MatCreateAIJ(comm, n, n, PETSC_DETERMINE, PETSC_DETERMINE, 5, nullptr, 2, nullptr, &P_),
          "MatCreateAIJ");
      petsc_check(MatSetOption(P_, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_FALSE), "MatSetOption");
      petsc_check(TSSetIJacobian(ts_, J_, P_, TsCallbacks::ijacobian, this), "TSSetIJacobian");
    } else {
      petsc_check(TSSetIJacobian(ts_, J_, J_, TsCallbacks::ijacobian, this), "TSSetIJacobian");
      petsc_check(PCSetType(pc, PCSHELL), "PCSetType");
      petsc_check(PCShellSetContext(pc, this), "PCShellSetContext");
      petsc_check(PCShellSetApply(pc, TsCallbacks::shell_pc), "PCShellSetApply");
    }
    petsc_check(KSPSetType(ksp, KSPGMRES), "KSPSetType");
  }
}

// The step-size controller measures the local error in the max norm: a max is the same
// bits in any reduction order, so the accepted steps, hence the solution, do not depend
// on the number of ranks (the RMS norm's MPI sum does). -ts_adapt_wnormtype 2 overrides.
void TsDriver::prefer_max_norm() {
  PetscBool norm_given = PETSC_FALSE;
  petsc_check(PetscOptionsHasName(nullptr, nullptr, "-ts_adapt_wnormtype", &norm_given),
              "PetscOptionsHasName");
  if (!norm_given)
    petsc_check(PetscOptionsSetValue(nullptr, "-ts_adapt_wnormtype", "infinity"),
                "PetscOptionsSetValue");
}

// An adaptive exponential integrator tries each first step over the whole interval to the
// next output (TSSolve shortens the step to it) and shrinks it by its error model if
// rejected (dislo/etd.hpp): at most one rejected step instead of a ramp from a small
// guess. Fixed steps (-ts_adapt_type none) and a given -ts_dt keep the step as set.
void TsDriver::start_with_whole_intervals(const Settings& settings) {
  TSAdapt adapt;
  PetscBool fixed = PETSC_FALSE, dt_given = PETSC_FALSE;
  petsc_check(TSGetAdapt(ts_, &adapt), "TSGetAdapt");
  petsc_check(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(adapt), TSADAPTNONE, &fixed),
              "PetscObjectTypeCompare");
  petsc_check(PetscOptionsHasName(nullptr, nullptr, "-ts_dt", &dt_given), "PetscOptionsHasName");
  if (!fixed && !dt_given) petsc_check(TSSetTimeStep(ts_, settings.horizon), "TSSetTimeStep");
}

TsDriver::~TsDriver() {
  if (state_) VecRestoreArray(U_, &state_);
  TSDestroy(&ts_);
  MatDestroy(&J_);
  MatDestroy(&P_);
  VecDestroy(&U_);
}

std::string TsDriver::ts_type() const {
  TSType t;
  TSGetType(ts_, &t);
  return t ? t : "";
}

std::pair<double, double> TsDriver::tolerances() const {
  PetscReal atol = 0, rtol = 0;
  TSGetTolerances(ts_, &atol, nullptr, &rtol, nullptr);
  return {double(rtol), double(atol)};
}

void TsDriver::apply_linear(const double* u, double* out, double shift, bool inverse) {
  const std::size_t block = grid_.real_size();
  const int N = grid_.N();
  for (int s = 0; s < model_.species; ++s) {
    grid_.forward(u + s * block, spec_.data());
    for (int c = 0; c < grid_.spectral_lines(); ++c) {
      const int ky = grid_.spectral_ky(c);
      for (int i = 0; i < N; ++i) {
        const double m = shift - model_.linear_symbol(grid_.kx_of(i), ky);
        spec_[std::size_t(c) * N + i] *= inverse ? 1.0 / m : m;
      }
    }
    grid_.backward(spec_.data(), out + s * block);
  }
}

void TsDriver::full_rhs(const double* u, double* f) {
  std::vector<double> lin(local_size());
  apply_linear(u, lin.data(), 0.0, false);  // lin = -A u
  model_.explicit_rhs(u, f);
  count_rhs();
  for (std::size_t k = 0; k < local_size(); ++k) f[k] -= lin[k];
}

void TsDriver::advance_to(double t) {
  if (t < time_) throw std::invalid_argument("TsDriver::advance_to: time goes backwards");
  if (t == time_) return;
  petsc_check(VecRestoreArray(U_, &state_), "VecRestoreArray");
  state_ = nullptr;
  if (!state_written_) etd_state_unchanged(ts_);
  state_written_ = false;
  petsc_check(TSSetMaxTime(ts_, t), "TSSetMaxTime");
  petsc_check(TSSolve(ts_, U_), "TSSolve");
  TSConvergedReason reason;
  petsc_check(TSGetConvergedReason(ts_, &reason), "TSGetConvergedReason");
  petsc_check(VecGetArray(U_, &state_), "VecGetArray");
  if (reason < 0)
    throw std::runtime_error(std::string("time stepping diverged (") + TSConvergedReasons[reason] +
                             ") before t = " + std::to_string(t));
  PetscReal now;
  petsc_check(TSGetTime(ts_, &now), "TSGetTime");
  time_ = t;  // MATCHSTEP lands on t up to round-off; report the requested time
}

TsDriver::Counters TsDriver::counters() const {
  Counters c;
  PetscInt steps = 0, rejected = 0;
  TSGetStepNumber(ts_, &steps);
  TSGetStepRejections(ts_, &rejected);
  c.steps = steps;
  c.rejected = rejected;
  c.rhs_evaluations = rhs_evals_;
  return c;
}

}  // namespace dislo::detail
