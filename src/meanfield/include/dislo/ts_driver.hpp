#pragma once
// Time stepping shared by the two mean-field solvers: du/dt = A u + G(u), where A is
// linear, diagonal in Fourier space (per species, symbol a(k) <= 0), and G the rest.
// The PETSc TS type decides the formulation (the options database has the last word):
//   etdrk4 (default)        exponential: A exact per Fourier mode, G by Cox-Matthews ETDRK4,
//                           step control on the deviation from the mean (dislo/etd.hpp).
//   arkimex                 IMEX: A implicit, solved exactly in Fourier space; G explicit.
//   explicit types          du/dt = A u + G(u) as one right-hand side.
//   other implicit types    the whole operator implicit, matrix-free Jacobian, preconditioned
//                           by (shift - A) inverted in Fourier space, or by an assembled
//                           matrix the model provides.
// Internal to src/: models expose advance_to() and observers, not PETSc.

#include <petscts.h>

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dislo/etd.hpp"
#include "dislo/spectral.hpp"

namespace dislo::detail {

void petsc_check(PetscErrorCode ierr, const char* what);

// Runs f inside a PETSc callback: exceptions must not cross PETSc's C frames, so one
// becomes a PETSc error carrying its message.
template <class F>
PetscErrorCode petsc_guarded(const char* where, F&& f) {
  try {
    f();
    return 0;
  } catch (const std::exception& e) {
    return PetscError(PETSC_COMM_SELF, __LINE__, where, __FILE__, PETSC_ERR_LIB,
                      PETSC_ERROR_INITIAL, "%s", e.what());
  }
}

class TsDriver {
 public:
  struct Model {
    int species = 2;
    // g = G(u); u, g hold `species` blocks of grid.real_size() values.
    std::function<void(const double* u, double* g)> explicit_rhs;
    // Optional: the spectrum of G, given u and its spectrum (species blocks of
    // grid.spectral_size()); saves the exponential integrator the transforms around
    // explicit_rhs.
    std::function<void(const double* u, const cplx* u_hat, cplx* g_hat)> explicit_rhs_spectral;
    // a(kx, ky) <= 0: the symbol of A.
    std::function<double(int kx, int ky)> linear_symbol;
    // Optional, for the exponential integrator: the linearised coupling c(kx, ky) >= 0 of
    // the species through sum_s b_s u_s (dislo/etd.hpp), b = species_signs. It is integrated
    // exactly there and stays part of G for every other type.
    std::function<double(int kx, int ky)> linear_coupling;
    std::vector<double> species_signs;
    // Optional: assemble P = shift I - dF/du (frozen-coefficient approximation) for the
    // fully implicit formulation; nullptr means the Fourier-space (shift - A)^-1.
    std::function<void(const double* u, double shift, Mat P)> assemble_preconditioner;
  };
  struct Settings {
    std::string ts_type = "etdrk4";
    double rtol = 1e-6, atol = 1e-9;
    double initial_dt = 1e-4;
    // The whole time span (the exponential integrator's first trial step, clamped to the
    // next output time).
    double horizon = 1;
  };
  struct Counters {
    long steps = 0, rejected = 0, rhs_evaluations = 0;
  };

  TsDriver(SpectralGrid& grid, Model model, const Settings& settings);
  ~TsDriver();
  TsDriver(const TsDriver&) = delete;
  TsDriver& operator=(const TsDriver&) = delete;

  // The state: species blocks of local rows (read/write between advances; writing through
  // state() makes the next step start afresh).
  double* state() {
    state_written_ = true;
    return state_;
  }
  const double* state() const { return state_; }
  std::size_t local_size() const { return size_t(model_.species) * grid_.real_size(); }
  double time() const { return time_; }
  // Advance exactly to t >= time() (the final step is shortened to land on t).
  void advance_to(double t);
  // Called at the start of each advance (PETSc's step 0) and after every accepted step
  // with the time reached (progress; changes nothing).
  void set_step_observer(std::function<void(double t)> observer) {
    step_observer_ = std::move(observer);
  }
  Counters counters() const;
  const std::string& formulation() const { return formulation_; }
  std::string ts_type() const;
  // The error-control tolerances in effect (the study's, or -ts_rtol / -ts_atol).
  std::pair<double, double> tolerances() const;

  // Building blocks, also used by tests and benchmarks.
  void apply_linear(const double* u, double* out, double shift, bool inverse);
  void full_rhs(const double* u, double* f);
  long rhs_evaluations() const { return rhs_evals_; }
  void count_rhs() { ++rhs_evals_; }
  const Model& model() const { return model_; }
  SpectralGrid& grid() { return grid_; }

 private:
  void set_up_formulation(const std::string& type, PetscInt n);
  void prefer_max_norm();
  void start_with_whole_intervals(const Settings& settings);
  void restore_state();
  SpectralGrid& grid_;
  Model model_;
  TS ts_ = nullptr;
  Vec U_ = nullptr;
  Mat J_ = nullptr, P_ = nullptr;
  double shift_ = 0;
  double time_ = 0;
  double* state_ = nullptr;  // borrowed from U_ between advances
  long rhs_evals_ = 0;
  std::string formulation_;
  std::vector<cplx> spec_;

  bool state_written_ = true;
  std::unique_ptr<EtdOperator> etd_;
  std::function<void(double)> step_observer_;

  friend struct TsCallbacks;
};

}  // namespace dislo::detail
