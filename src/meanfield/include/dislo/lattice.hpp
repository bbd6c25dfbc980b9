#pragma once
// MFeps: the lattice mean-field master equation (eq. 10-11) on Lambda_eps, L = 1/eps,
//   d rho(l)/dt = sum_h [R_h(l-h) rho(l-h) - R_h(l) rho(l)],
//   R_h(l, b; rho) = (1/(beta eps^2)) exp(beta h.F(l, b; rho)/2),
//   F(l, b; rho) = -b eps^2 sum_{l'} grad V_delta(l - l') (rho+ - rho-)(l'),
// for each sign, rho a density w.r.t. nu_eps. The lattice sum is a circular convolution,
// done exactly by FFT of the lattice samples of grad V_delta. Rows of the lattice are
// split over the ranks of a communicator.

#include <petscmat.h>

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "dislo/config.hpp"
#include "dislo/initial.hpp"
#include "dislo/meanfield.hpp"
#include "dislo/potential.hpp"
#include "dislo/spectral.hpp"

namespace dislo {

class LatticeMeanField {
 public:
  // Throws InputError for beta = inf (the rates are not defined).
  LatticeMeanField(MPI_Comm comm, const Study& study, const Kernel& kernel);
  ~LatticeMeanField();

  void set_initial(const InitialDensity& rho0);  // rho0 at the sites, normalised to the masses
  void set_state(std::span<const double> plus, std::span<const double> minus);
  void advance_to(double t);
  double time() const;
  // Called at the start of each advance and after every accepted step with the time
  // reached (progress lines; changes nothing).
  void set_step_observer(std::function<void(double t)> observer);

  const SpectralGrid& grid() const { return *grid_; }
  std::span<const double> rho(int sign) const;  // local rows, density w.r.t. nu_eps
  double mass(int sign) const;                  // eps^2 sum_l rho(l) (collective)
  double min_density() const;
  SolverStats stats() const;
  double truncation_bound() const { return truncation_bound_; }
  // Collective. g = grad V_delta conv_eps (rho+ - rho-) at the local sites for the current
  // state, exactly as the rates use it: F(l, b) = -b g(l).
  void interaction_gradient(std::vector<double>& gx, std::vector<double>& gy);

  // The full right-hand side of the master equation (for tests and benchmarks).
  void rhs(const double* u, double* f);
  // G(u) = full - A u, with A u = (1/(beta eps^2)) (discrete Laplacian of u): only the
  // rate changes (R_h - R_0) enter, through expm1, so nothing cancels.
  void drift(const double* u, double* g);
  double linear_symbol(int kx, int ky) const;
  // The interaction's linearisation about the uniform state, as etdrk4 takes it (etd.hpp).
  double linear_coupling(int kx, int ky) const;

 private:
  void forces(const double* u);  // fills fx_, fy_ = (grad V_delta conv w), per site
  void flux_balance(const double* u, double* f, bool increments);
  void exchange_flux_halos();
  void assemble_frozen(const double* u, double shift, Mat P);

  int L_;
  double beta_, eps_, rate0_;
  double truncation_bound_ = 0;
  std::unique_ptr<SpectralGrid> grid_;
  std::vector<cplx> g1_hat_, g2_hat_, w_hat_, tmp_hat_;
  std::vector<double> fx_, fy_, w_;
  std::vector<double> q_[4];  // outgoing fluxes per direction +x, -x, +y, -y
  std::vector<double> halo_prev_, halo_next_, send_last_,
      send_first_;  // q_{+x} of the row before, q_{-x} after
  int prev_rank_ = -1, next_rank_ = -1;
  std::vector<int> all_rows_, all_starts_;
  std::unique_ptr<detail::TsDriver> ts_;
};

}  // namespace dislo
