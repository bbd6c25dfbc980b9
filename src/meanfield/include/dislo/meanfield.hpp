#pragma once
// MF: the continuum mean-field PDE (eq. 12) for the two signed densities,
//   d rho+-/dt = -div(rho+- F(., +-1; rho)) + (1/beta) Lap rho+-,
//   F(x, b; rho) = -b (grad V_delta * (rho+ - rho-))(x)                    (eq. 10)
// pseudo-spectral on an M x M grid split in slabs over the ranks of a communicator.
// beta = inf is GB^delta, stabilised by an implicit hyperviscosity (docs/numerics.md).

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dislo/config.hpp"
#include "dislo/initial.hpp"
#include "dislo/potential.hpp"
#include "dislo/spectral.hpp"

namespace dislo {

namespace detail {
class TsDriver;
}

struct SolverStats {
  long steps = 0, rejected = 0, rhs_evaluations = 0;
  std::string ts_type, formulation;
  double rtol = 0, atol = 0;  // in effect (the study's or PETSc options')
};

class MeanField {
 public:
  MeanField(MPI_Comm comm, const Study& study, const Kernel& kernel);
  ~MeanField();

  // rho0 sampled on the grid, projected onto the de-aliased modes, masses exact.
  void set_initial(const InitialDensity& rho0);
  // Local rows of each sign (projected onto the de-aliased modes).
  void set_state(std::span<const double> plus, std::span<const double> minus);
  void advance_to(double t);
  double time() const;
  // Called at the start of each advance and after every accepted step with the time
  // reached (progress lines; changes nothing).
  void set_step_observer(std::function<void(double t)> observer);

  const SpectralGrid& grid() const { return *grid_; }
  std::span<const double> rho(int sign) const;  // local rows of rho^{sign}
  double mass(int sign) const;                  // integral over the torus (collective)
  double min_density() const;                   // over both signs (collective)
  SolverStats stats() const;

  // The explicit part G(u) of du/dt = A u + G(u): the drift -div(rho F), de-aliased.
  void drift(const double* u, double* g);
  // The same in spectral form, from u and its spectrum (both signs' blocks).
  void drift_spectral(const double* u, const cplx* u_hat, cplx* g_hat);
  // Symbol of A: -(4 pi^2 |k|^2)/beta - hyperviscosity (|k|/k_c)^8.
  double linear_symbol(int kx, int ky) const;
  int dealias_cutoff() const { return kc_; }

 private:
  void project(double* field);
  void drift_from_difference(const double* u, cplx* g_hat);
  double beta_inv_;
  double hyper_;
  int kc_;
  std::unique_ptr<SpectralGrid> grid_;
  std::vector<double> vhat_;  // Vhat_delta on the local spectrum, 0 beyond the cutoff
  std::vector<cplx> w_hat_, a_hat_, b_hat_, g_hat_;
  std::vector<double> gx_, gy_, px_, py_;
  std::unique_ptr<detail::TsDriver> ts_;
};

}  // namespace dislo
